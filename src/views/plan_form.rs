//! The plan form: common patterns instead of a raw rule, the workers of
//! the plan's organisation, the services, and a live preview of the next
//! visits (htmx; without JavaScript the preview button posts the form).
use crate::{
    domain::{
        date_input::parse_optional_date,
        locale::Locale,
        plan_pattern::{Pattern, WEEKDAYS},
        recurrence::Recurrence,
    },
    errors::{AppError, AppResult, FieldErrors},
    i18n::t,
    models::{
        households,
        plan_changes::ChangeRequest,
        recipients,
        service_plans::{self, PlanParams},
        service_types::Catalogue,
        users,
    },
    policy::Scope,
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
    /// (from the visit `from` on, for "this and following"); the rule is
    /// shown as written.
    #[must_use]
    pub fn changing(p: PlanParams, following: bool, from: Option<String>) -> Self {
        let start = p
            .dtstart
            .as_deref()
            .and_then(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok());
        Self {
            recipient: p.recipient,
            household: p.household,
            worker: p.worker,
            backup_worker: p.backup_worker,
            services: p.services,
            duration_minutes: p.duration_minutes,
            start_date: start.map(|s| s.format("%Y-%m-%d").to_string()),
            start_time: start.map(|s| s.format("%H:%M").to_string()),
            pattern: Some(if p.rrule.is_some() { "raw" } else { "once" }.into()),
            rrule: p.rrule,
            exdates: Some(p.exdates.join(",")),
            rdates: Some(p.rdates.join(",")),
            tzid: p.tzid,
            apply: Some(if following { "following" } else { "series" }.into()),
            from,
            ..Default::default()
        }
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

/// The plan form page: the form as given, its problems, the choices (the
/// workers of the organisation, services, weekdays) and the preview.
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
    Ok(Page::new(
        "service_plans/form.html",
        json!({"form": f, "errors": problems.errors, "conflicts": problems.conflicts,
               "mode": mode, "preview": preview_items(v.lang, f),
               "subject": subject.title,
               "workers": workers,
               "services": Catalogue::load(db).await?.choices(v.lang),
               "weekdays": WEEKDAYS}),
    )
    .status(problems.status))
}

/// The next 10 visits of the form's plan, or the problem, as page data.
#[must_use]
pub fn preview_items(lang: Locale, f: &PlanForm) -> Value {
    let result = f.params().ok().and_then(|p| {
        let raw = p.dtstart.as_deref()?;
        let start = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
            .ok()?;
        let times = |v: &[String]| -> Vec<chrono::NaiveDateTime> {
            v.iter()
                .filter_map(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok())
                .collect()
        };
        Some(
            Recurrence::parse(
                p.tzid.as_deref().unwrap_or("Asia/Shanghai"),
                start,
                p.rrule.as_deref().filter(|r| !r.is_empty()),
                &times(&p.exdates),
                &times(&p.rdates),
            )
            .map(|r| (r, start)),
        )
    });
    match result {
        None => json!({"error": t(lang, "plan-preview-incomplete")}),
        Some(Err(e)) => json!({"error": e.to_string()}),
        Some(Ok((r, start))) => {
            let now = chrono::Utc::now().with_timezone(&r.zone()).naive_local();
            let from = start.max(now);
            match r.occurrences_between(from, from + chrono::Duration::days(3 * 366)) {
                Ok(list) => json!({
                    "items": list.iter().take(10).map(|d| json!({
                        "date": d.format("%Y-%m-%d").to_string(),
                        "time": d.format("%H:%M").to_string(),
                        "weekday": t(lang, &format!("weekday-{}", d.format("%u"))),
                    })).collect::<Vec<_>>(),
                }),
                Err(e) => json!({"error": e.to_string()}),
            }
        }
    }
}

/// The live preview (an htmx partial) as HTML.
///
/// # Errors
/// A template error.
pub fn preview_html(lang: Locale, f: &PlanForm) -> AppResult<String> {
    crate::web::render::render_partial(
        "service_plans/_preview.html",
        &json!({"lang": lang.as_str(), "preview": preview_items(lang, f)}),
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
