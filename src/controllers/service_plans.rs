//! Plan pages: the plans in scope, one plan with its coming visits, and
//! the plan form with common patterns and a live preview of the next
//! visits (htmx; without JavaScript the preview button posts the form).
use super::{invalid_or, merge, require};
use crate::{
    controllers::api::service_plans::plan_json,
    domain::{
        date_input::parse_optional_date,
        plan_pattern::{Pattern, WEEKDAYS},
        recurrence::Recurrence,
    },
    errors::{AppError, AppResult, FieldErrors},
    i18n::t,
    models::{
        _entities::users,
        households,
        plan_changes::{self, ChangeRequest},
        recipients,
        service_plans::{self, PlanParams},
        service_types::Catalogue,
        visits,
    },
    views::recipients::VisitJson,
    web::{
        input::{pid, ListQuery, QueryParams},
        render::redirect_flash,
        FormData, Page, Viewer,
    },
    workers::plan_materialise::horizon,
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};
use loco_rs::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

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

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let (rows, page) = service_plans::list(&ctx.db, &v.scope, None, q.page()).await?;
    let mut items = Vec::with_capacity(rows.len());
    for p in &rows {
        let r = service_plans::recipient_of(&ctx.db, p).await?;
        items.push(plan_json(&v, p, r.as_ref()));
    }
    Ok(Page::new(
        "service_plans/list.html",
        json!({"items": items, "page": page, "base_query": q.without_page(),
               "service_names": Catalogue::load(&ctx.db).await?.names(v.lang)}),
    )
    .render(&v))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let plan = service_plans::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let r = service_plans::recipient_of(&ctx.db, &plan).await?;
    let now = chrono::Utc::now();
    let (coming, _) = visits::list(
        &ctx.db,
        &v.scope,
        now - chrono::Duration::hours(12),
        now + chrono::Duration::days(366),
        Some(plan.id),
        crate::domain::pagination::PageRequest::parse(None, Some("20")),
    )
    .await?;
    let worker = match plan.worker_id {
        Some(w) => users::Entity::find_by_id(w)
            .one(&ctx.db)
            .await?
            .map(|u| u.name),
        None => None,
    };
    let split_from = match plan.split_from_id {
        Some(id) => service_plans::Entity::find_by_id(id)
            .one(&ctx.db)
            .await?
            .map(|p| p.pid),
        None => None,
    };
    Ok(Page::new(
        "service_plans/show.html",
        json!({
            "plan": plan_json(&v, &plan, r.as_ref()),
            "recipient_openable": r.as_ref().is_some_and(|r| v.scope.sees_recipient(r)),
            "worker": worker,
            "visits": coming.iter().map(VisitJson::from).collect::<Vec<_>>(),
            "may_manage": v.scope.may_manage_plans(),
            "split_from": split_from,
            "service_names": Catalogue::load(&ctx.db).await?.names(v.lang),
            "contract_items": crate::models::contracts::items_for_plan(&ctx.db, &plan, crate::models::today()).await?,
            "sees_contracts": !matches!(v.scope.contracts(), crate::policy::Visible::Nothing),
        }),
    )
    .render(&v))
}

/// Whom a plan form is for: a recipient or a whole household, with the
/// organisation whose workers may be chosen.
struct Subject {
    title: String,
    organization_id: Option<i64>,
}

async fn subject(ctx: &AppContext, v: &Viewer, f: &PlanForm) -> AppResult<Subject> {
    let present = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    if let Some(h) = present(&f.household) {
        let h = households::load(&ctx.db, &v.scope, pid(&h)?).await?;
        return Ok(Subject {
            title: format!("{} ({})", h.address, t(v.lang, "whole-household")),
            organization_id: v.scope.own_organization().or(h.organization_id),
        });
    }
    let r = recipients::load(
        &ctx.db,
        &v.scope,
        pid(&present(&f.recipient).unwrap_or_default())?,
    )
    .await?;
    Ok(Subject {
        title: r.name.clone(),
        organization_id: v.scope.own_organization().or(r.organization_id),
    })
}

/// The choices of the form: the workers of the organisation, services,
/// weekdays.
async fn choices(
    ctx: &AppContext,
    subject: &Subject,
    lang: crate::domain::locale::Locale,
) -> AppResult<serde_json::Value> {
    let workers: Vec<serde_json::Value> = match subject.organization_id {
        Some(o) => crate::models::users::workers_of(&ctx.db, o).await?,
        None => Vec::new(),
    };
    Ok(json!({
        "subject": subject.title,
        "workers": workers,
        "services": Catalogue::load(&ctx.db).await?.choices(lang),
        "weekdays": WEEKDAYS,
    }))
}

/// Where the form posts and what it says it changes.
#[derive(Debug, Default, Serialize)]
struct Mode {
    /// `new`, `series` or `following`.
    kind: &'static str,
    action: String,
    plan: Option<Uuid>,
}

impl Mode {
    fn new() -> Self {
        Self {
            kind: "new",
            action: "/service_plans".into(),
            plan: None,
        }
    }

    fn edit(plan: &service_plans::Model, following: bool) -> Self {
        Self {
            kind: if following { "following" } else { "series" },
            action: format!("/service_plans/{}/edit", plan.pid),
            plan: Some(plan.pid),
        }
    }
}

async fn form(
    ctx: &AppContext,
    v: &Viewer,
    f: &PlanForm,
    mode: &Mode,
    problems: (serde_json::Value, serde_json::Value),
    status: StatusCode,
) -> AppResult<Response> {
    let subject = subject(ctx, v, f).await?;
    let data = json!({"form": f, "errors": problems.0, "conflicts": problems.1,
                      "mode": mode, "preview": preview_items(v, f)});
    Ok(Page::new(
        "service_plans/form.html",
        merge(data, choices(ctx, &subject, v.lang).await?),
    )
    .status(status)
    .render(v))
}

/// After a save: the page to go to, or the form again with the field
/// errors or the conflicts to confirm.
async fn saved_or_form(
    ctx: &AppContext,
    v: &Viewer,
    f: &PlanForm,
    mode: &Mode,
    result: AppResult<service_plans::Model>,
) -> AppResult<Response> {
    match result {
        Err(AppError::Conflicts(list)) => {
            form(ctx, v, f, mode, (json!({}), list), StatusCode::CONFLICT).await
        }
        other => match invalid_or(other, v.lang)? {
            Ok(plan) => Ok(redirect_flash(
                &format!("/service_plans/{}", plan.pid),
                "flash-saved",
            )),
            Err(errors) => {
                form(
                    ctx,
                    v,
                    f,
                    mode,
                    (errors, json!([])),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
        },
    }
}

#[derive(Debug, Default, Deserialize)]
struct NewQuery {
    recipient: Option<String>,
    household: Option<String>,
}

async fn new(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<NewQuery>,
) -> AppResult<Response> {
    require(v.scope.may_manage_plans())?;
    let today = crate::models::today() + chrono::Duration::days(1);
    let f = PlanForm {
        recipient: q.recipient,
        household: q.household,
        services: vec!["home_visit".into()],
        duration_minutes: Some("60".into()),
        start_date: Some(today.to_string()),
        start_time: Some("09:00".into()),
        pattern: Some("weekly".into()),
        weekdays: vec![
            WEEKDAYS[today.format("%u").to_string().parse::<usize>().unwrap_or(1) - 1].to_string(),
        ],
        ..Default::default()
    };
    form(
        &ctx,
        &v,
        &f,
        &Mode::new(),
        (json!({}), json!([])),
        StatusCode::OK,
    )
    .await
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(f): FormData<PlanForm>,
) -> AppResult<Response> {
    require(v.scope.may_manage_plans())?;
    let result = async {
        let params = f.params()?;
        let plan = plan_changes::create_checked(
            &ctx.db,
            &v.scope,
            &v.actor,
            &params,
            f.confirm.is_some(),
            chrono::Utc::now(),
            horizon(&ctx),
        )
        .await?;
        plan.materialise_later(&ctx).await?;
        Ok::<_, AppError>(plan)
    }
    .await;
    saved_or_form(&ctx, &v, &f, &Mode::new(), result).await
}

#[derive(Debug, Default, Deserialize)]
struct EditQuery {
    /// A visit: change this and following from it.
    from: Option<String>,
}

/// The change form, filled with the plan as it is (from the visit `from`
/// on, for "this and following"); the rule is shown as written.
async fn edit(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<EditQuery>,
) -> AppResult<Response> {
    let plan = service_plans::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_plans() && plan.status == "active")?;
    let now = chrono::Utc::now();
    let at = match q.from.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(from) => {
            Some(plan_changes::split_point(&ctx.db, &v.scope, &plan, Some(from), now).await?)
        }
        None => None,
    };
    let p = plan.current_params(&ctx.db, at).await?;
    let start = p
        .dtstart
        .as_deref()
        .and_then(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok());
    let f = PlanForm {
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
        apply: Some(if at.is_some() { "following" } else { "series" }.into()),
        from: q.from,
        ..Default::default()
    };
    form(
        &ctx,
        &v,
        &f,
        &Mode::edit(&plan, at.is_some()),
        (json!({}), json!([])),
        StatusCode::OK,
    )
    .await
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<PlanForm>,
) -> AppResult<Response> {
    let plan = service_plans::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_plans())?;
    let mode = Mode::edit(&plan, f.apply.as_deref() == Some("following"));
    let result = async {
        let params = f.params()?;
        let req = ChangeRequest {
            apply: f.apply.clone(),
            from: f.from.clone(),
            reason: f.reason.clone(),
            confirm: f.confirm.is_some(),
        };
        plan_changes::change_checked(
            &ctx.db,
            &v.scope,
            &v.actor,
            &plan,
            &params,
            &req,
            chrono::Utc::now(),
            horizon(&ctx),
        )
        .await
        .map(|(p, _)| p)
    }
    .await;
    saved_or_form(&ctx, &v, &f, &mode, result).await
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct EndForm {
    end_on: Option<String>,
    reason: Option<String>,
}

async fn end_page(
    v: &Viewer,
    plan: &service_plans::Model,
    f: &EndForm,
    errors: serde_json::Value,
    status: StatusCode,
) -> Response {
    Page::new(
        "service_plans/end.html",
        json!({"plan": {"pid": plan.pid}, "form": f, "errors": errors}),
    )
    .status(status)
    .render(v)
}

async fn end_form(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let plan = service_plans::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_plans() && plan.status == "active")?;
    let f = EndForm {
        end_on: Some(crate::models::today().to_string()),
        reason: None,
    };
    Ok(end_page(&v, &plan, &f, json!({}), StatusCode::OK).await)
}

async fn end(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<EndForm>,
) -> AppResult<Response> {
    let plan = service_plans::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_plans())?;
    let result = async {
        let on = plan_changes::end_date(f.end_on.as_deref())?;
        plan.end_on(
            &ctx.db,
            &v.actor,
            on,
            chrono::Utc::now(),
            horizon(&ctx),
            f.reason.as_deref(),
        )
        .await
    }
    .await;
    match invalid_or(result, v.lang)? {
        Ok((p, _)) => Ok(redirect_flash(
            &format!("/service_plans/{}", p.pid),
            "flash-saved",
        )),
        Err(errors) => Ok(end_page(&v, &plan, &f, errors, StatusCode::UNPROCESSABLE_ENTITY).await),
    }
}

/// The next 10 visits of the form's plan, or the problem, as page data.
fn preview_items(v: &Viewer, f: &PlanForm) -> serde_json::Value {
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
        None => json!({"error": t(v.lang, "plan-preview-incomplete")}),
        Some(Err(e)) => json!({"error": e.to_string()}),
        Some(Ok((r, start))) => {
            let now = chrono::Utc::now().with_timezone(&r.zone()).naive_local();
            let from = start.max(now);
            match r.occurrences_between(from, from + chrono::Duration::days(3 * 366)) {
                Ok(list) => json!({
                    "items": list.iter().take(10).map(|d| json!({
                        "date": d.format("%Y-%m-%d").to_string(),
                        "time": d.format("%H:%M").to_string(),
                        "weekday": t(v.lang, &format!("weekday-{}", d.format("%u"))),
                    })).collect::<Vec<_>>(),
                }),
                Err(e) => json!({"error": e.to_string()}),
            }
        }
    }
}

/// The live preview (an htmx partial).
async fn preview(v: Viewer, FormData(f): FormData<PlanForm>) -> AppResult<Response> {
    require(v.scope.may_manage_plans())?;
    let html = crate::web::render::render_partial(
        "service_plans/_preview.html",
        &json!({"lang": v.lang.as_str(), "preview": preview_items(&v, &f)}),
    )
    .map_err(AppError::Internal)?;
    Ok(Html(html).into_response())
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/service_plans", get(list))
        .add("/service_plans", post(add))
        .add("/service_plans/new", get(new))
        .add("/service_plans/preview", post(preview))
        .add("/service_plans/{pid}", get(show))
        .add("/service_plans/{pid}/edit", get(edit))
        .add("/service_plans/{pid}/edit", post(update))
        .add("/service_plans/{pid}/end", get(end_form))
        .add("/service_plans/{pid}/end", post(end))
}
