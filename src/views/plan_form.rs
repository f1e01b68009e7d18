//! The plan form: common patterns instead of a raw rule, the workers of
//! the plan's organisation, the services, and a live preview of the next
//! visits (htmx; without JavaScript the preview button posts the form).
use crate::{
    domain::{
        date_input::parse_optional_date,
        locale::Locale,
        plan_pattern::{Pattern, WEEKDAYS},
        recurrence::Recurrence,
        recurrence_words::{day_and_weekday, describe},
    },
    errors::{AppError, AppResult, FieldErrors},
    i18n::{t, t_args},
    models::{
        households,
        plan_changes::ChangeRequest,
        recipients,
        service_plans::{self, PlanParams},
        service_types::Catalogue,
        users,
    },
    policy::Scope,
    views::person::PersonView,
    web::{input::pid, render::form_errors, Page, Viewer},
};
use axum::http::StatusCode;
use chrono::NaiveDate;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

/// The plan form as the page posts it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PlanForm {
    pub recipient: Option<String>,
    pub household: Option<String>,
    pub worker: Option<String>,
    pub backup_worker: Option<String>,
    #[serde(default)]
    pub services: Vec<String>,
    pub duration_minutes: Option<String>,
    pub start_date: Option<String>,
    pub start_time: Option<String>,
    pub pattern: Option<String>,
    #[serde(default)]
    pub weekdays: Vec<String>,
    pub interval: Option<String>,
    pub month_day: Option<String>,
    pub nth: Option<String>,
    pub nth_weekday: Option<String>,
    pub days: Option<String>,
    pub until_date: Option<String>,
    pub rrule: Option<String>,
    /// Extra and removed dates, comma-separated local times (kept as
    /// they are by the page).
    pub exdates: Option<String>,
    pub rdates: Option<String>,
    /// For a change: `series` or `following` (from the visit `from`).
    pub apply: Option<String>,
    pub from: Option<String>,
    pub reason: Option<String>,
    /// Save although the visits conflict with others.
    pub confirm: Option<String>,
    /// The plan's zone (kept as it is by the page).
    pub tzid: Option<String>,
    /// The plan being changed (its own visits are no conflict).
    pub plan: Option<String>,
}

fn split_times(s: Option<&String>) -> Vec<String> {
    s.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

impl PlanForm {
    /// A new plan's form for a recipient or a household: a weekly visit of
    /// an hour at nine on the weekday of `start`.
    #[must_use]
    pub fn starting(
        recipient: Option<String>,
        household: Option<String>,
        start: NaiveDate,
    ) -> Self {
        Self {
            recipient,
            household,
            services: vec!["home_visit".into()],
            duration_minutes: Some("60".into()),
            start_date: Some(start.to_string()),
            start_time: Some("09:00".into()),
            pattern: Some("weekly".into()),
            weekdays: vec![WEEKDAYS
                [start.format("%u").to_string().parse::<usize>().unwrap_or(1) - 1]
                .to_string()],
            ..Default::default()
        }
    }

    /// The change form, filled with the plan's parameters as they are
    /// (from the visit `from` on, for "this and following"); a rule the
    /// form makes shows as its pattern, any other as written.
    #[must_use]
    pub fn changing(p: PlanParams, following: bool, from: Option<String>) -> Self {
        let start = p
            .dtstart
            .as_deref()
            .and_then(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok());
        let mut form = Self::default();
        match Pattern::of_rule(p.rrule.as_deref()) {
            Some((pattern, until)) => {
                form.until_date = until.map(|u| u.to_string());
                form.pattern = Some(
                    match pattern {
                        Pattern::Weekly { days, interval } => {
                            form.weekdays = days;
                            form.interval = Some(interval.to_string());
                            "weekly"
                        }
                        Pattern::MonthlyDay { day } => {
                            form.month_day = Some(day.to_string());
                            "monthly_day"
                        }
                        Pattern::MonthlyNth { nth, weekday } => {
                            form.nth = Some(nth.to_string());
                            form.nth_weekday = Some(weekday);
                            "monthly_nth"
                        }
                        Pattern::Daily { count } => {
                            form.days = Some(count.to_string());
                            "daily"
                        }
                        Pattern::Once => "once",
                        Pattern::Raw(_) => "raw",
                    }
                    .into(),
                );
            }
            None => {
                form.pattern = Some("raw".into());
                form.rrule.clone_from(&p.rrule);
            }
        }
        Self {
            recipient: p.recipient,
            household: p.household,
            worker: p.worker,
            backup_worker: p.backup_worker,
            services: p.services,
            duration_minutes: p.duration_minutes,
            start_date: start.map(|s| s.format("%Y-%m-%d").to_string()),
            start_time: start.map(|s| s.format("%H:%M").to_string()),
            exdates: Some(p.exdates.join(",")),
            rdates: Some(p.rdates.join(",")),
            tzid: p.tzid,
            apply: Some(if following { "following" } else { "series" }.into()),
            from,
            ..form
        }
    }

    /// A new plan for the person of another provider's plan, from its
    /// pattern (the handover list's "start a plan from this pattern"): its
    /// rule, services and length, starting on `start`, with no worker, no
    /// end and none of its moved or removed dates.
    #[must_use]
    pub fn from_pattern(plan: &service_plans::Model, recipient: Uuid, start: NaiveDate) -> Self {
        let p = plan.params_from(None, Some(recipient), None, None, None);
        let mut f = Self::changing(p, false, None);
        f.start_date = Some(start.to_string());
        f.until_date = None;
        f.exdates = None;
        f.rdates = None;
        f.apply = None;
        f.from = None;
        f.reason = None;
        f.plan = None;
        f
    }

    /// The plan being changed, as the page posts it.
    #[must_use]
    pub fn plan_pid(&self) -> Option<Uuid> {
        self.plan
            .as_deref()
            .and_then(|p| Uuid::parse_str(p.trim()).ok())
    }

    /// The change the form asks for: which part, from which visit, why.
    #[must_use]
    pub fn change_request(&self) -> ChangeRequest {
        ChangeRequest {
            apply: self.apply.clone(),
            from: self.from.clone(),
            reason: self.reason.clone(),
            confirm: self.confirm.is_some(),
        }
    }

    /// The API's plan parameters: the pattern becomes an RRULE.
    ///
    /// # Errors
    /// Field errors for the pattern and the dates.
    pub fn params(&self) -> AppResult<PlanParams> {
        crate::domain::limits::List::Weekdays
            .check(self.weekdays.len())
            .map_err(|key| AppError::field("weekdays", key))?;
        let mut e = FieldErrors::new();
        let pattern = e.take(
            "pattern",
            Pattern::parse(
                self.pattern.as_deref().unwrap_or("weekly"),
                &self.weekdays,
                self.interval.as_deref(),
                self.month_day.as_deref(),
                self.nth.as_deref(),
                self.nth_weekday.as_deref(),
                self.days.as_deref(),
                self.rrule.as_deref(),
            ),
            |x| x.message_key(),
        );
        let until = e.take(
            "until_date",
            parse_optional_date(self.until_date.as_deref()),
            |x| x.message_key(),
        );
        let date = self
            .start_date
            .as_deref()
            .map(str::trim)
            .unwrap_or_default();
        let time = self
            .start_time
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("09:00");
        e.into_result(|| {
            Some(PlanParams {
                recipient: self.recipient.clone().filter(|r| !r.trim().is_empty()),
                household: self.household.clone().filter(|h| !h.trim().is_empty()),
                worker: self.worker.clone(),
                backup_worker: self.backup_worker.clone(),
                services: self.services.clone(),
                duration_minutes: self.duration_minutes.clone(),
                tzid: self.tzid.clone(),
                dtstart: Some(format!("{date}T{time}")),
                rrule: Some(pattern?.rrule(until?)),
                exdates: split_times(self.exdates.as_ref()),
                rdates: split_times(self.rdates.as_ref()),
            })
        })
    }
}

/// Where the form posts and what it says it changes.
#[derive(Debug, Default, Serialize)]
pub struct Mode {
    /// `new`, `series` or `following`.
    kind: &'static str,
    action: String,
    plan: Option<Uuid>,
}

impl Mode {
    #[must_use]
    pub fn new() -> Self {
        Self {
            kind: "new",
            action: "/service_plans".into(),
            plan: None,
        }
    }

    #[must_use]
    pub fn edit(plan: &service_plans::Model, following: bool) -> Self {
        Self {
            kind: if following { "following" } else { "series" },
            action: format!("/service_plans/{}/edit", plan.pid),
            plan: Some(plan.pid),
        }
    }
}

/// What the form shows again after a save that did not happen: field
/// errors (422) or conflicts to confirm (409).
pub struct Problems {
    errors: Value,
    conflicts: Value,
    status: StatusCode,
}

impl Problems {
    /// A form shown for the first time.
    #[must_use]
    pub fn none() -> Self {
        Self {
            errors: json!({}),
            conflicts: json!([]),
            status: StatusCode::OK,
        }
    }

    /// The problems of a failed save.
    ///
    /// # Errors
    /// Errors that are neither field errors nor conflicts (an error page).
    pub fn of(err: AppError, lang: Locale) -> AppResult<Self> {
        match err {
            AppError::Conflicts(list) => Ok(Self {
                errors: json!({}),
                conflicts: list,
                status: StatusCode::CONFLICT,
            }),
            e @ AppError::Invalid(_) => Ok(Self {
                errors: form_errors(&e, lang),
                conflicts: json!([]),
                status: StatusCode::UNPROCESSABLE_ENTITY,
            }),
            e => Err(e),
        }
    }
}

/// Whom a plan form is for: a recipient or a whole household, with the
/// organisation whose workers may be chosen.
struct Subject {
    title: String,
    organization_id: Option<i64>,
}

async fn subject(
    db: &DatabaseConnection,
    scope: &Scope,
    lang: Locale,
    f: &PlanForm,
) -> AppResult<Subject> {
    let present = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    if let Some(h) = present(&f.household) {
        let h = households::load(db, scope, pid(&h)?).await?;
        return Ok(Subject {
            title: format!("{} ({})", h.address, t(lang, "whole-household")),
            organization_id: scope.own_organization().or(h.organization_id),
        });
    }
    let r = recipients::load(db, scope, pid(&present(&f.recipient).unwrap_or_default())?).await?;
    Ok(Subject {
        title: r.name.clone(),
        organization_id: scope.own_organization().or(r.organization_id),
    })
}

/// The plan form from another provider's plan named by the handover list
/// (`from_plan`), when the caller's organisation serves its person.
///
/// # Errors
/// Database errors.
pub async fn handed_over(
    db: &DatabaseConnection,
    scope: &Scope,
    from_plan: Option<&str>,
) -> AppResult<Option<PlanForm>> {
    let Some(raw) = from_plan else {
        return Ok(None);
    };
    Ok(super::handover::pattern_of(db, scope, raw)
        .await?
        .map(|(plan, person, start)| PlanForm::from_pattern(&plan, person.pid, start)))
}

/// The plan form page: the form as given, its problems, the choices (the
/// workers of the organisation, services, weekdays) and the preview with
/// its conflicts.
///
/// # Errors
/// `NotFound` for a recipient or household out of scope; database errors.
pub async fn page(
    db: &DatabaseConnection,
    v: &Viewer,
    f: &PlanForm,
    mode: &Mode,
    problems: Problems,
) -> AppResult<Page> {
    let subject = subject(db, &v.scope, v.lang, f).await?;
    let workers: Vec<Value> = match subject.organization_id {
        Some(o) => users::workers_of(db, o).await?,
        None => Vec::new(),
    };
    let more_open = ["services", "duration_minutes", "until_date"]
        .iter()
        .any(|k| problems.errors.get(k).is_some())
        || f.until_date
            .as_deref()
            .is_some_and(|u| !u.trim().is_empty());
    Ok(Page::new(
        "service_plans/form.html",
        json!({"form": f, "errors": problems.errors, "conflicts": problems.conflicts,
               "mode": mode, "preview": preview_items(db, v, f, mode.plan.or_else(|| f.plan_pid())).await?,
               "subject": subject.title,
               "workers": workers,
               "more_open": more_open,
               "services": Catalogue::load(db).await?.choices(v.lang),
               "weekdays": WEEKDAYS}),
    )
    .status(problems.status))
}

/// How many next visits the preview lists, and how many conflicts.
const PREVIEW_VISITS: usize = 6;
const PREVIEW_CONFLICTS: usize = 3;

/// The form's plan in words, its next visits (local dates and times), and
/// the conflicts it would have if saved now (each naming the other visit
/// as far as the viewer may see it); or the translated problem.
///
/// # Errors
/// Database errors.
pub async fn preview_items(
    db: &DatabaseConnection,
    v: &Viewer,
    f: &PlanForm,
    plan: Option<Uuid>,
) -> AppResult<Value> {
    let lang = v.lang;
    let params = match f.params() {
        Ok(p) => p,
        Err(e @ AppError::Invalid(_)) => {
            let errors: Vec<Value> = form_errors(&e, lang)
                .as_object()
                .map(|m| {
                    m.values()
                        .flat_map(|v| v.as_array().cloned().unwrap_or_default())
                        .collect()
                })
                .unwrap_or_default();
            return Ok(json!({"errors": errors}));
        }
        Err(e) => return Err(e),
    };
    let Some(start) = params
        .dtstart
        .as_deref()
        .and_then(service_plans::local_time)
    else {
        return Ok(json!({"errors": [t(lang, "plan-preview-incomplete")]}));
    };
    let times = |v: &[String]| -> Vec<chrono::NaiveDateTime> {
        v.iter()
            .filter_map(|s| service_plans::local_time(s))
            .collect()
    };
    let rrule = params.rrule.as_deref().filter(|r| !r.is_empty());
    let r = match Recurrence::parse(
        params
            .tzid
            .as_deref()
            .unwrap_or(crate::zone::display().name()),
        start,
        rrule,
        &times(&params.exdates),
        &times(&params.rdates),
    ) {
        Ok(r) => r,
        Err(e) => return Ok(json!({"errors": [t(lang, e.message_key())]})),
    };
    let now = chrono::Utc::now();
    let from = start.max(now.with_timezone(&r.zone()).naive_local());
    let list = match r.occurrences_between(from, from + chrono::Duration::days(3 * 366)) {
        Ok(list) => list,
        Err(e) => return Ok(json!({"errors": [t(lang, e.message_key())]})),
    };
    let items: Vec<Value> = list
        .iter()
        .take(PREVIEW_VISITS)
        .map(|d| json!({"day": day_and_weekday(d.date(), lang), "time": d.format("%H:%M").to_string()}))
        .collect();
    let conflicts = service_plans::conflicts_before_saving(db, &v.scope, &params, plan, now)
        .await?
        .unwrap_or_default();
    let lines: Vec<Value> = conflicts
        .iter()
        .take(PREVIEW_CONFLICTS)
        .map(|c| conflict_line(v, c))
        .collect();
    Ok(json!({
        "words": describe(rrule, start, r.zone(), lang),
        "items": items,
        "more": list.len() > PREVIEW_VISITS,
        "conflicts": lines,
        "conflict_count": conflicts.len(),
        "conflicts_more": conflicts.len().saturating_sub(PREVIEW_CONFLICTS),
        "confirm": f.confirm.is_some(),
    }))
}

/// One conflict as the preview shows it: when our visit is, what clashes,
/// and the other visit: its time, and its worker and person only when the
/// viewer may see them.
fn conflict_line(v: &Viewer, c: &service_plans::ConflictSeen) -> Value {
    let lang = v.lang;
    let zone = crate::zone::display();
    let ours = c.conflict.starts_at.with_timezone(&zone).naive_local();
    let other = match (c.conflict.other_starts_at, c.conflict.other_ends_at) {
        (Some(s), Some(e)) => {
            let (s, e) = (s.with_timezone(&zone), e.with_timezone(&zone));
            let time = format!(
                "{} {}–{}",
                day_and_weekday(s.date_naive(), lang),
                s.format("%H:%M"),
                e.format("%H:%M")
            );
            let worker = c.worker.clone().unwrap_or_else(|| t(lang, "unassigned"));
            Some(match (&c.other, &c.person) {
                (None, _) => t_args(lang, "plan-conflict-with-time", &[("time", time)]),
                (Some(_), None) => t_args(
                    lang,
                    "plan-conflict-with-worker",
                    &[("time", time), ("worker", worker)],
                ),
                (Some(_), Some(p)) => t_args(
                    lang,
                    "plan-conflict-with-all",
                    &[
                        ("time", time),
                        ("worker", worker),
                        (
                            "person",
                            PersonView::name_for(v.scope.role(), &p.name, false),
                        ),
                    ],
                ),
            })
        }
        _ => None,
    };
    json!({
        "at": format!("{} {}", day_and_weekday(ours.date(), lang), ours.format("%H:%M")),
        "kind": t(lang, &format!("conflict-{}", c.conflict.kind.as_str())),
        "other": other,
    })
}

/// The live preview (an htmx partial) as HTML.
///
/// # Errors
/// Database or template errors.
pub async fn preview_html(db: &DatabaseConnection, v: &Viewer, f: &PlanForm) -> AppResult<String> {
    crate::web::render::render_partial(
        "service_plans/_preview.html",
        &json!({"lang": v.lang.as_str(), "preview": preview_items(db, v, f, f.plan_pid()).await?}),
    )
    .map_err(AppError::Internal)
}

/// The end form: the day from which the plan has no visits, and why.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct EndForm {
    pub end_on: Option<String>,
    pub reason: Option<String>,
}

/// The page that ends a plan; today is the first day without visits
/// unless the form says otherwise.
#[must_use]
pub fn end_page(plan: &service_plans::Model, f: Option<&EndForm>, errors: Option<Value>) -> Page {
    let today = EndForm {
        end_on: Some(crate::models::today().to_string()),
        reason: None,
    };
    let status = if errors.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Page::new(
        "service_plans/end.html",
        json!({"plan": {"pid": plan.pid}, "form": f.unwrap_or(&today),
               "errors": errors.unwrap_or_else(|| json!({}))}),
    )
    .status(status)
}
