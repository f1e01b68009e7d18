use super::{created, ok};
use crate::{
    controllers::require,
    errors::AppResult,
    models::{
        recipients::{self, RecipientParams, Registration, RevealParams, StatusParams},
        today,
    },
    vault::Vault,
    views::recipients::{
        self as view, no_store, Download, ExportParams, RecipientDetailJson, RecipientJson,
        RevealJson,
    },
    web::{
        csrf::is_cross_site,
        input::{pid, ListQuery, QueryParams},
        ApiJson, FormData, Viewer,
    },
};
use axum::{
    extract::{FromRequest, Path, Request, State},
    http::{header, HeaderMap},
    response::Response,
};
use loco_rs::prelude::*;

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    headers: HeaderMap,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let cross_site = is_cross_site(&headers);
    Ok(ok(view::list_json(&ctx.db, &v, &q, cross_site).await?))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(RecipientDetailJson::load(&ctx.db, &v.scope, &r).await?))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(p): ApiJson<RecipientParams>,
) -> AppResult<Response> {
    require(v.scope.may_add_recipients())?;
    let vault = Vault::of(&ctx)?;
    let r = Registration::register(&ctx.db, &v.scope, &v.actor, &vault, &p, today()).await?;
    Ok(created(RecipientJson::load(&ctx.db, &v.scope, &r).await?))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<RecipientParams>,
) -> AppResult<Response> {
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_edit_recipient(&r))?;
    let r = r
        .apply_edit(&ctx.db, &v.actor, &Vault::of(&ctx)?, &p, today())
        .await?;
    Ok(ok(RecipientJson::load(&ctx.db, &v.scope, &r).await?))
}

async fn change_status(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<StatusParams>,
) -> AppResult<Response> {
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_change_status(&r))?;
    let r = r.change_status_to(&ctx.db, &v.actor, &p, today()).await?;
    Ok(created(RecipientJson::load(&ctx.db, &v.scope, &r).await?))
}

async fn reveal(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<RevealParams>,
) -> AppResult<Response> {
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(
        v.scope
            .may_reveal_id(recipients::served_now(&ctx.db, &v.scope, &r).await?),
    )?;
    let reason = p.reason.as_deref().unwrap_or("");
    let id = r
        .reveal(&ctx.db, &v.actor, &Vault::of(&ctx)?, reason)
        .await?;
    let id_number = id.as_str().to_string();
    Ok(no_store(created(RevealJson {
        pid: r.pid,
        id_number,
    })))
}

/// `GET /export`: masked only. A link can make a browser send a GET with
/// the session cookie, so asking for whole ID numbers here is refused; the
/// revealing export is the POST below, behind the cross-site check.
async fn export_file(
    State(ctx): State<AppContext>,
    v: Viewer,
    headers: HeaderMap,
    QueryParams(p): QueryParams<ExportParams>,
) -> AppResult<Download> {
    let p = p.for_link(is_cross_site(&headers))?;
    view::export(&ctx, &v, &p).await
}

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.trim_start().starts_with("application/json"))
}

/// `POST /export` with a JSON or form body: may reveal (with a reason,
/// audited).
async fn export_revealing(
    State(ctx): State<AppContext>,
    v: Viewer,
    req: Request,
) -> AppResult<Download> {
    let p: ExportParams = if is_json(&req) {
        ApiJson::from_request(req, &ctx).await?.0
    } else {
        FormData::from_request(req, &ctx).await?.0
    };
    view::export(&ctx, &v, &p).await
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/v1/recipients")
        .add("/", get(list))
        .add("/", post(add))
        .add("/export", get(export_file))
        .add("/export", post(export_revealing))
        .add("/{pid}", get(show))
        .add("/{pid}", put(update))
        .add("/{pid}", patch(update))
        .add("/{pid}/status_changes", post(change_status))
        .add("/{pid}/id_reveals", post(reveal))
}
