//! Plan pages: the plans in scope, one plan with its coming visits, and
//! the plan form with common patterns and a live preview of the next
//! visits (htmx; without JavaScript the preview button posts the form).
use super::{invalid_or, merge, require};
use crate::{
    domain::{
        date_input::parse_optional_date,
        plan_pattern::{Pattern, WEEKDAYS},
        recurrence::Recurrence,
        role::Role,
        service_type::ServiceType,
    },
    errors::{AppError, AppResult, FieldErrors},
    i18n::t,
    models::{
        _entities::users,
        recipients,
        service_plans::{self, NewPlan, PlanParams},
        visits,
    },
    views::recipients::{PlanJson, VisitJson},
    web::{
        input::{pid, ListQuery, QueryParams},
        render::redirect_flash,
        FormData, Page, Viewer,
    },
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
}

impl PlanForm {
    /// The API's plan parameters: the pattern becomes an RRULE.
    ///
    /// # Errors
    /// Field errors for the pattern and the dates.
    pub fn params(&self) -> AppResult<PlanParams> {
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
                recipient: self.recipient.clone(),
                household: None,
                worker: self.worker.clone(),
                backup_worker: self.backup_worker.clone(),
                services: self.services.clone(),
                duration_minutes: self.duration_minutes.clone(),
                tzid: None,
                dtstart: Some(format!("{date}T{time}")),
                rrule: Some(pattern?.rrule(until?)),
                exdates: Vec::new(),
                rdates: Vec::new(),
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
        items.push(PlanJson::new(p, r.as_ref()));
    }
    Ok(Page::new(
        "service_plans/list.html",
        json!({"items": items, "page": page, "base_query": q.without_page()}),
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
    Ok(Page::new(
        "service_plans/show.html",
        json!({
            "plan": PlanJson::new(&plan, r.as_ref()),
            "worker": worker,
            "visits": coming.iter().map(VisitJson::from).collect::<Vec<_>>(),
        }),
    )
    .render(&v))
}

/// The choices of the form: the workers of the recipient's organisation,
/// services, weekdays.
async fn choices(
    ctx: &AppContext,
    v: &Viewer,
    recipient: &recipients::Model,
) -> AppResult<serde_json::Value> {
    let org = v.scope.own_organization().or(recipient.organization_id);
    let workers: Vec<serde_json::Value> = match org {
        Some(o) => users::Entity::find()
            .filter(users::Column::OrganizationId.eq(o))
            .filter(users::Column::Role.eq(Role::Worker.as_str()))
            .filter(users::Column::Active.eq(true))
            .order_by_asc(users::Column::Name)
            .limit(500)
            .all(&ctx.db)
            .await?
            .iter()
            .map(|u| json!({"pid": u.pid, "name": u.name, "volunteer": u.volunteer}))
            .collect(),
        None => Vec::new(),
    };
    Ok(json!({
        "recipient": {"pid": recipient.pid, "name": recipient.name},
        "workers": workers,
        "services": ServiceType::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "weekdays": WEEKDAYS,
    }))
}

async fn form(
    ctx: &AppContext,
    v: &Viewer,
    f: &PlanForm,
    errors: serde_json::Value,
    status: StatusCode,
) -> AppResult<Response> {
    let r = recipients::load(
        &ctx.db,
        &v.scope,
        pid(f.recipient.as_deref().unwrap_or(""))?,
    )
    .await?;
    let data = json!({"form": f, "errors": errors, "preview": preview_items(v, f)});
    Ok(Page::new(
        "service_plans/form.html",
        merge(data, choices(ctx, v, &r).await?),
    )
    .status(status)
    .render(v))
}

#[derive(Debug, Default, Deserialize)]
struct NewQuery {
    recipient: Option<String>,
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
    form(&ctx, &v, &f, json!({}), StatusCode::OK).await
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(f): FormData<PlanForm>,
) -> AppResult<Response> {
    require(v.scope.may_manage_plans())?;
    let result = async {
        let params = f.params()?;
        let new = NewPlan::parse(&ctx.db, &v.scope, &params, chrono::Utc::now()).await?;
        let plan = service_plans::Model::create(&ctx.db, &v.actor, new).await?;
        plan.materialise_later(&ctx).await?;
        Ok::<_, AppError>(plan)
    }
    .await;
    match invalid_or(result, v.lang)? {
        Ok(plan) => Ok(redirect_flash(
            &format!("/service_plans/{}", plan.pid),
            "flash-saved",
        )),
        Err(errors) => form(&ctx, &v, &f, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

/// The next 10 visits of the form's plan, or the problem, as page data.
fn preview_items(v: &Viewer, f: &PlanForm) -> serde_json::Value {
    let result = f.params().ok().and_then(|p| {
        let raw = p.dtstart.as_deref()?;
        let start = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
            .ok()?;
        Some(
            Recurrence::parse("Asia/Shanghai", start, p.rrule.as_deref(), &[], &[])
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
}
