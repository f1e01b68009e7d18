use super::{ok, page};
use crate::{
    controllers::require,
    errors::AppResult,
    models::{
        ad_hoc_visits::{self, AdHocParams},
        service_types::Catalogue,
        visit_lines,
        visit_logs::{self, AmendmentInput, Answer, CheckIn, DoorRules, Submission},
        visits::{self, ChangeKind, ListQuery, ReassignBody, VisitChangeBody},
    },
    views::{
        recipients::VisitJson,
        visits::{signature_image, AmendmentList, Reassigned, VisitDetail},
    },
    web::{
        input::{pid, QueryParams},
        ApiJson, Viewer,
    },
};
use axum::{
    extract::{Path, State},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use loco_rs::prelude::*;

/// Visits in `[from, to)` (RFC 3339 instants; default: the next 4 weeks),
/// or with `flag` those needing attention (`visits::listed`).
async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let (rows, info) = visits::listed(&ctx.db, &v.scope, &q, Utc::now()).await?;
    Ok(page(rows.iter().map(VisitJson::from).collect(), info))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let visit = visits::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(VisitDetail::load(&ctx.db, &v, &visit).await?))
}

async fn apply(
    ctx: &AppContext,
    v: &Viewer,
    id: &str,
    kind: ChangeKind,
    b: &VisitChangeBody,
) -> AppResult<Response> {
    let visit = visits::load(&ctx.db, &v.scope, pid(id)?).await?;
    require(v.scope.may_manage_plans())?;
    let after = visits::change_as_asked(&ctx.db, &v.actor, &visit, kind, b, Utc::now()).await?;
    Ok(ok(VisitJson::from(&after)))
}

async fn move_one(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<VisitChangeBody>,
) -> AppResult<Response> {
    apply(&ctx, &v, &id, ChangeKind::Move, &b).await
}

async fn cancel(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<VisitChangeBody>,
) -> AppResult<Response> {
    apply(&ctx, &v, &id, ChangeKind::Cancel, &b).await
}

async fn reassign(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<VisitChangeBody>,
) -> AppResult<Response> {
    apply(&ctx, &v, &id, ChangeKind::Reassign, &b).await
}

/// Hands one worker's visits that have not started, between two local
/// dates, to another worker (or nobody): how many moved.
async fn bulk_reassign(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(b): ApiJson<ReassignBody>,
) -> AppResult<Response> {
    require(v.scope.may_manage_plans())?;
    let n = visits::reassign_as_asked(
        &ctx.db,
        &v.actor,
        &v.scope,
        &b,
        crate::zone::display(),
        Utc::now(),
    )
    .await?;
    Ok(ok(Reassigned { reassigned: n }))
}

/// The idempotency key of `action` on `visit` (or a new visit) by the caller.
fn use_of(
    v: &Viewer,
    visit: Option<&visits::Model>,
    action: &'static str,
) -> visit_logs::Use<'static> {
    visit_logs::Use {
        user_id: v.user.id,
        visit_id: visit.map(|m| m.id),
        action,
    }
}

/// The answer kept for a replay of a visit log.
fn kept(m: &visits::Model) -> serde_json::Value {
    serde_json::to_value(VisitJson::from(m)).unwrap_or_default()
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
        use_of(&v, Some(&visit), "check_in"),
        kept,
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
        use_of(&v, Some(&visit), "submit"),
        kept,
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
    let to = use_of(&v, None, "ad_hoc");
    // A repeat is answered as the first time even if the visit could no
    // longer be made now (the answer was lost, the phone sends again).
    if let Some(replay) = visit_logs::replayed(&ctx.db, b.client_id.as_deref(), to).await? {
        return Ok(answered(replay));
    }
    let am = ad_hoc_visits::check(&ctx.db, &v.scope, &v.user, &b, Utc::now()).await?;
    let answer = visit_logs::once(&ctx.db, b.client_id.as_deref(), to, kept, async |txn| {
        ad_hoc_visits::insert(txn, &v.actor, am).await
    })
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
        use_of(&v, Some(&visit), "amend"),
        kept,
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
    Ok(ok(AmendmentList::load(&ctx.db, &visit).await?))
}

/// The recipient's signature image of a visit in scope.
async fn signature(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let image = visit_lines::signature_in_scope(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(signature_image(image))
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
        .add("/visits/{pid}/signature", get(signature))
        .add("/visit_reassignments", post(bulk_reassign).layer(small()))
}
