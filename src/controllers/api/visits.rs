use super::{ok, page};
use crate::{
    controllers::require,
    errors::{AppError, AppResult},
    models::{
        ad_hoc_visits::{self, AdHocParams},
        service_plans,
        service_types::Catalogue,
        visit_amendments, visit_lines,
        visit_logs::{self, AmendmentInput, Answer, CheckIn, DoorRules, Submission},
        visits::{self, VisitChange},
    },
    views::recipients::VisitJson,
    web::{
        input::{pid, QueryParams},
        ApiJson, Viewer,
    },
};
use axum::{
    extract::{Path, State},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Duration, Utc};
use loco_rs::prelude::*;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Default, Deserialize)]
struct VisitQuery {
    from: Option<String>,
    to: Option<String>,
    plan: Option<String>,
    /// `late`, `missed` or `location_exception`: the visits needing
    /// attention since `from` (default the last 14 days).
    flag: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

fn instant(s: Option<&str>, default: DateTime<Utc>) -> AppResult<DateTime<Utc>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| AppError::field("from", "error-instant")),
    }
}

/// Visits in `[from, to)` (RFC 3339 instants; default: the next 4 weeks).
async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<VisitQuery>,
) -> AppResult<Response> {
    let now = Utc::now();
    let req =
        crate::domain::pagination::PageRequest::parse(q.page.as_deref(), q.per_page.as_deref());
    if let Some(f) = q.flag.as_deref().filter(|f| !f.trim().is_empty()) {
        let flag = visits::Flag::parse(f).ok_or_else(|| AppError::field("flag", "error-flag"))?;
        let since = instant(q.from.as_deref(), now - Duration::days(14))?;
        let (rows, info) = visits::flagged(&ctx.db, &v.scope, flag, since, req).await?;
        return Ok(page(rows.iter().map(VisitJson::from).collect(), info));
    }
    let from = instant(q.from.as_deref(), now - Duration::days(1))?;
    let to = instant(q.to.as_deref(), now + Duration::days(28))?;
    let plan = match q.plan.as_deref().map(crate::web::input::pid) {
        Some(Ok(p)) => Some(service_plans::load(&ctx.db, &v.scope, p).await?.id),
        Some(Err(e)) => return Err(e),
        None => None,
    };
    let (rows, info) = visits::list(&ctx.db, &v.scope, from, to, plan, req).await?;
    Ok(page(rows.iter().map(VisitJson::from).collect(), info))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let visit = visits::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let today = crate::models::today();
    let place = crate::controllers::visits::place_of_visit(&ctx, &v, &visit, today).await?;
    let person = crate::controllers::visits::person_of(&ctx, &v, &visit, place, today).await?;
    let mut body = serde_json::to_value(VisitJson::from(&visit)).unwrap_or_default();
    let submitted = visit.status().has_record() && visit.submitted_by_id.is_some();
    if let serde_json::Value::Object(m) = &mut body {
        let record = if submitted {
            Some(visit_lines::record(&ctx.db, &visit).await?)
        } else {
            None
        };
        m.insert("record".into(), json!(record));
        m.insert(
            "amendments".into(),
            json!(visit_amendments::of_visit(&ctx.db, visit.id).await?),
        );
        m.insert("locked".into(), json!(visit.locked_at.is_some()));
        // Whom it is for, as the caller may see them here: whole at the
        // door of their own visit (workers), masked elsewhere.
        m.insert("person".into(), json!(person));
    }
    Ok(ok(body))
}

/// The body of a change of one visit.
#[derive(Debug, Default, Deserialize)]
pub struct VisitChangeBody {
    /// For a move: the new local start, `2026-12-03T14:00:00`.
    pub starts_at: Option<String>,
    /// For a reassignment: the worker's pid, or empty for nobody.
    pub worker: Option<String>,
    pub reason: Option<String>,
    /// The visit's `version` as the caller saw it: when given and the visit
    /// has changed since, the change is refused (409).
    #[serde(default)]
    pub version: Option<i64>,
}

/// The change a body asks for.
///
/// # Errors
/// A move without a valid local time.
pub fn visit_change(kind: &str, b: &VisitChangeBody) -> AppResult<VisitChange> {
    match kind {
        "move" => b
            .starts_at
            .as_deref()
            .and_then(|s| {
                let s = s.trim();
                chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
                    .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
                    .ok()
            })
            .map(VisitChange::Move)
            .ok_or_else(|| AppError::field("starts_at", "error-local-time")),
        "cancel" => Ok(VisitChange::Cancel),
        _ => Ok(VisitChange::Reassign(
            b.worker.clone().filter(|w| !w.trim().is_empty()),
        )),
    }
}

async fn apply(
    ctx: &AppContext,
    v: &Viewer,
    id: &str,
    kind: &str,
    b: &VisitChangeBody,
) -> AppResult<Response> {
    let visit = visits::load(&ctx.db, &v.scope, pid(id)?).await?;
    require(v.scope.may_manage_plans())?;
    let change = visit_change(kind, b)?;
    let after = visits::change(
        &ctx.db,
        &v.actor,
        &visit,
        b.version,
        change,
        b.reason.as_deref(),
        Utc::now(),
    )
    .await?;
    Ok(ok(VisitJson::from(&after)))
}

async fn move_one(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<VisitChangeBody>,
) -> AppResult<Response> {
    apply(&ctx, &v, &id, "move", &b).await
}

async fn cancel(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<VisitChangeBody>,
) -> AppResult<Response> {
    apply(&ctx, &v, &id, "cancel", &b).await
}

async fn reassign(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<VisitChangeBody>,
) -> AppResult<Response> {
    apply(&ctx, &v, &id, "reassign", &b).await
}

/// A bulk reassignment: every visit of `from_worker` from `from` to `to`
/// (local dates, inclusive) that has not started goes to `to_worker`.
#[derive(Debug, Default, Deserialize)]
pub struct ReassignBody {
    pub from_worker: Option<String>,
    pub to_worker: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
}

/// Runs a bulk reassignment; returns how many visits moved.
///
/// # Errors
/// Field errors; database errors.
pub async fn reassign_many(ctx: &AppContext, v: &Viewer, b: &ReassignBody) -> AppResult<u64> {
    require(v.scope.may_manage_plans())?;
    let date = |s: Option<&str>, field: &str| {
        crate::domain::date_input::parse_optional_date(s)
            .ok()
            .flatten()
            .ok_or_else(|| AppError::field(field, "error-date"))
    };
    let from = date(b.from.as_deref(), "from")?;
    let to = date(b.to.as_deref(), "to")?;
    if to < from {
        return Err(AppError::field("to", "error-date-order"));
    }
    let worker = b
        .from_worker
        .as_deref()
        .and_then(|w| uuid::Uuid::parse_str(w.trim()).ok())
        .ok_or_else(|| AppError::field("from_worker", "error-choose-worker"))?;
    let zone = crate::web::render::DISPLAY_ZONE;
    let start = crate::domain::recurrence::resolve(zone, from.and_time(chrono::NaiveTime::MIN));
    let end = crate::domain::recurrence::resolve(
        zone,
        (to + Duration::days(1)).and_time(chrono::NaiveTime::MIN),
    );
    visits::reassign_many(
        &ctx.db,
        &v.actor,
        &v.scope,
        worker,
        b.to_worker.as_deref().filter(|w| !w.trim().is_empty()),
        start,
        end,
        b.reason.as_deref(),
        Utc::now(),
    )
    .await
}

async fn bulk_reassign(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(b): ApiJson<ReassignBody>,
) -> AppResult<Response> {
    let n = reassign_many(&ctx, &v, &b).await?;
    Ok(ok(json!({ "reassigned": n })))
}

/// Checks the assigned worker in (once per `client_id`).
async fn check_in(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CheckIn>,
) -> AppResult<Response> {
    let visit = visits::load(&ctx.db, &v.scope, pid(&id)?).await?;
    // Only the worker the visit is assigned to logs it.
    require(visit.worker_id == Some(v.user.id))?;
    let rules = DoorRules::from_settings(ctx.config.settings.as_ref());
    let now = Utc::now();
    let answer = visit_logs::once(
        &ctx.db,
        b.client_id.as_deref(),
        visit_logs::Use {
            user_id: v.user.id,
            visit_id: Some(visit.id),
            action: "check_in",
        },
        |m| serde_json::to_value(VisitJson::from(m)).unwrap_or_default(),
        async |txn| visit_logs::check_in(txn, &v.actor, &visit, &b, rules, now).await,
    )
    .await?;
    Ok(answered(answer))
}

/// Ends the visit: outcome, lines, confirmation, check-out (once per
/// `client_id`).
async fn submit(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<Submission>,
) -> AppResult<Response> {
    let visit = visits::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(visit.worker_id == Some(v.user.id))?;
    let now = Utc::now();
    // Read before the transaction: its first statement is the visit's claim.
    let catalogue = Catalogue::load(&ctx.db).await?;
    let answer = visit_logs::once(
        &ctx.db,
        b.client_id.as_deref(),
        visit_logs::Use {
            user_id: v.user.id,
            visit_id: Some(visit.id),
            action: "submit",
        },
        |m| serde_json::to_value(VisitJson::from(m)).unwrap_or_default(),
        async |txn| {
            let offered = |c: &str| catalogue.is_offered(c);
            visit_logs::submit(txn, &v.actor, &visit, &b, &offered, now).await
        },
    )
    .await?;
    Ok(answered(answer))
}

/// Logs an ad-hoc visit (no plan) with its reason, ready to check in to
/// (once per `client_id`): 201 with the visit.
async fn add_ad_hoc(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(b): ApiJson<AdHocParams>,
) -> AppResult<Response> {
    let to = visit_logs::Use {
        user_id: v.user.id,
        visit_id: None,
        action: "ad_hoc",
    };
    // A repeat is answered as the first time even if the visit could no
    // longer be made now (the answer was lost, the phone sends again).
    if let Some(replay) = visit_logs::replayed(&ctx.db, b.client_id.as_deref(), to).await? {
        return Ok(answered(replay));
    }
    let am = ad_hoc_visits::check(&ctx.db, &v.scope, &v.user, &b, Utc::now()).await?;
    let answer = visit_logs::once(
        &ctx.db,
        b.client_id.as_deref(),
        to,
        |m| serde_json::to_value(VisitJson::from(m)).unwrap_or_default(),
        async |txn| ad_hoc_visits::insert(txn, &v.actor, am).await,
    )
    .await?;
    Ok(match answer {
        Answer::Fresh(m) => super::created(VisitJson::from(m.as_ref())),
        replay => answered(replay),
    })
}

/// Corrects a logged visit with a reason (once per `client_id`): the
/// worker who logged it or a coordinator of its organisation.
async fn amend(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AmendmentInput>,
) -> AppResult<Response> {
    let visit = visits::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(visit.worker_id == Some(v.user.id) || v.scope.may_manage_plans())?;
    let now = Utc::now();
    // Read before the transaction: its first statement is the visit's claim.
    let catalogue = Catalogue::load(&ctx.db).await?;
    let answer = visit_logs::once(
        &ctx.db,
        b.client_id.as_deref(),
        visit_logs::Use {
            user_id: v.user.id,
            visit_id: Some(visit.id),
            action: "amend",
        },
        |m| serde_json::to_value(VisitJson::from(m)).unwrap_or_default(),
        async |txn| {
            let offered = |c: &str| catalogue.is_offered(c);
            visit_logs::amend(txn, &v.actor, &visit, &b, &offered, now).await
        },
    )
    .await?;
    Ok(answered(answer))
}

/// The corrections of a visit, oldest first, each with the record before
/// and after.
async fn amendments(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let visit = visits::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(json!({
        "items": visit_amendments::of_visit(&ctx.db, visit.id).await?,
    })))
}

/// A fresh answer, or the first answer again (marked as a replay).
fn answered(answer: Answer) -> Response {
    match answer {
        Answer::Fresh(m) => ok(VisitJson::from(m.as_ref())),
        Answer::Replay { status, body } => {
            let mut r = (
                axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK),
                axum::Json(body),
            )
                .into_response();
            r.headers_mut().insert(
                "idempotent-replay",
                axum::http::HeaderValue::from_static("true"),
            );
            r
        }
    }
}

/// The largest body a visit route takes: a submission or correction
/// carries a signature image (at most 300 KB, as base64 400 KB) and at
/// most 50 + 50 lines; everything else on a visit is a few fields.
pub const LOG_BODY_LIMIT: usize = 1024 * 1024;
pub const SMALL_BODY_LIMIT: usize = 16 * 1024;

pub fn routes() -> Routes {
    use axum::extract::DefaultBodyLimit;
    let small = || DefaultBodyLimit::max(SMALL_BODY_LIMIT);
    let log = || DefaultBodyLimit::max(LOG_BODY_LIMIT);
    Routes::new()
        .prefix("/api/v1")
        .add("/visits", get(list))
        .add("/visits", post(add_ad_hoc).layer(small()))
        .add("/visits/{pid}", get(show))
        .add("/visits/{pid}/move", post(move_one).layer(small()))
        .add("/visits/{pid}/cancel", post(cancel).layer(small()))
        .add("/visits/{pid}/reassign", post(reassign).layer(small()))
        .add("/visits/{pid}/check_in", post(check_in).layer(small()))
        .add("/visits/{pid}/submission", post(submit).layer(log()))
        .add("/visits/{pid}/amendments", get(amendments))
        .add("/visits/{pid}/amendments", post(amend).layer(log()))
        .add(
            "/visits/{pid}/signature",
            get(crate::controllers::visits::signature),
        )
        .add("/visit_reassignments", post(bulk_reassign).layer(small()))
}
