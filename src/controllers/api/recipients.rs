use super::{created, ok, page};
use crate::{
    controllers::{
        recipients::{export, filter_of, ExportParams, RevealParams, StatusParams},
        require,
    },
    errors::{AppError, AppResult},
    models::{
        households,
        recipients::{self, RecipientParams, Registration},
        today, villages,
    },
    vault::Vault,
    views::recipients::{RecipientJson, StatusChangeJson},
    web::{
        input::{checked, pid, ListQuery, QueryParams},
        ApiJson, FormData, Viewer,
    },
};
use axum::{
    extract::{FromRequest, Path, Request, State},
    http::{header, HeaderValue},
    response::Response,
};
use loco_rs::prelude::*;
use serde_json::json;

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    headers: axum::http::HeaderMap,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let filter = filter_of(&ctx.db, &v.scope, &q).await?;
    recipients::allow_id_search(
        &ctx.db,
        &v.scope,
        &v.actor,
        &filter,
        crate::web::csrf::is_cross_site(&headers),
        chrono::Utc::now(),
    )
    .await?;
    let day = today();
    let (rows, info) = recipients::list(&ctx.db, &v.scope, &filter, day, q.page()).await?;
    let show_id = v.scope.sees_id_numbers();
    Ok(page(
        rows.iter()
            .map(|r| RecipientJson::from_row(r, show_id, day))
            .collect(),
        info,
    ))
}

async fn json_of(ctx: &AppContext, v: &Viewer, r: &recipients::Model) -> AppResult<RecipientJson> {
    let household = households::Entity::find_by_id(r.household_id)
        .one(&ctx.db)
        .await?;
    let village = villages::Entity::find_by_id(r.village_id)
        .one(&ctx.db)
        .await?;
    Ok(RecipientJson::new(
        r,
        household.as_ref(),
        village.as_ref(),
        v.scope.sees_id_numbers(),
        today(),
    ))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let history: Vec<StatusChangeJson> = r
        .status_history(&ctx.db)
        .await?
        .iter()
        .map(StatusChangeJson::from)
        .collect();
    let mut body = serde_json::to_value(json_of(&ctx, &v, &r).await?).unwrap_or_default();
    if let Some(o) = body.as_object_mut() {
        o.insert("status_history".into(), json!(history));
    }
    Ok(ok(body))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(p): ApiJson<RecipientParams>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let vault = Vault::of(&ctx)?;
    let day = today();
    let r = Registration::parse(&ctx.db, &v.scope, &p, day)
        .await?
        .save(&ctx.db, &v.actor, &vault, day)
        .await?;
    Ok(created(json_of(&ctx, &v, &r).await?))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<RecipientParams>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let vault = Vault::of(&ctx)?;
    let fields = r.parse_edit(&vault, &p, today())?;
    let r = r.update(&ctx.db, &v.actor, &vault, fields).await?;
    Ok(ok(json_of(&ctx, &v, &r).await?))
}

async fn change_status(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<StatusParams>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let (to, reason, on) = p.parse(today())?;
    let r = r.change_status(&ctx.db, &v.actor, to, reason, on).await?;
    Ok(created(json_of(&ctx, &v, &r).await?))
}

async fn reveal(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<RevealParams>,
) -> AppResult<Response> {
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_reveal_id(r.organization_id))?;
    let vault = Vault::of(&ctx)?;
    let id = r
        .reveal(&ctx.db, &v.actor, &vault, p.reason.as_deref().unwrap_or(""))
        .await?;
    let mut res = created(json!({"pid": r.pid, "id_number": id.as_str()}));
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// `GET /export`: masked only. A link can make a browser send a GET with
/// the session cookie, so asking for whole ID numbers here is refused; the
/// revealing export is the POST below, behind the cross-site check.
async fn export_file(
    State(ctx): State<AppContext>,
    v: Viewer,
    headers: axum::http::HeaderMap,
    QueryParams(mut p): QueryParams<ExportParams>,
) -> AppResult<Response> {
    if checked(p.reveal.as_deref()) {
        return Err(AppError::field("reveal", "error-reveal-needs-post"));
    }
    p.cross_site = crate::web::csrf::is_cross_site(&headers);
    export(&ctx, &v, &p).await
}

/// `POST /export` with a JSON or form body: may reveal (with a reason,
/// audited).
async fn export_revealing(
    State(ctx): State<AppContext>,
    v: Viewer,
    req: Request,
) -> AppResult<Response> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.trim_start().starts_with("application/json"));
    let p: ExportParams = if json {
        ApiJson::from_request(req, &ctx).await?.0
    } else {
        FormData::from_request(req, &ctx).await?.0
    };
    export(&ctx, &v, &p).await
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
