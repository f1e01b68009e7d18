//! Plans over JSON: the same scope, checks and model calls as the pages.
use super::{created, ok, page};
use crate::{
    controllers::require,
    errors::AppResult,
    models::{plan_changes::Planner, service_plans},
    views::service_plans::{self as plans, PlanChangeJson},
    web::{
        input::{pid, ListQuery, QueryParams},
        ApiJson, Viewer,
    },
};
use axum::{
    extract::{Path, State},
    response::Response,
};
use loco_rs::prelude::*;
use serde::Deserialize;
use serde_json::Value;

fn planner<'a>(ctx: &'a AppContext, v: &'a Viewer) -> Planner<'a> {
    Planner::new(ctx, &v.scope, &v.actor)
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let (items, info) = plans::list(&ctx.db, &v.scope, &q).await?;
    Ok(page(items, info))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let p = service_plans::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(plans::one(&ctx.db, &v.scope, &p).await?))
}

/// `confirm: true` saves a plan whose visits conflict with others.
async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(body): ApiJson<Value>,
) -> AppResult<Response> {
    require(v.scope.may_manage_plans())?;
    let plan = planner(&ctx, &v).create_from(body).await?;
    Ok(created(plans::one(&ctx.db, &v.scope, &plan).await?))
}

/// Changes the whole series (`apply: "series"`, the default) or this and
/// following (`apply: "following"`, `from`: a visit pid). Fields left out
/// keep their current values.
async fn change(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> AppResult<Response> {
    let plan = service_plans::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_plans())?;
    let changed = planner(&ctx, &v).patch(&plan, body).await?;
    Ok(ok(PlanChangeJson::load(&ctx.db, &v.scope, changed).await?))
}

#[derive(Debug, Default, Deserialize)]
struct EndBody {
    end_on: Option<String>,
    reason: Option<String>,
}

/// Ends a plan: no visits on or after `end_on` (a local date).
async fn end(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<EndBody>,
) -> AppResult<Response> {
    let plan = service_plans::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_plans())?;
    let planner = planner(&ctx, &v);
    let ended = planner
        .end(&plan, b.end_on.as_deref(), b.reason.as_deref())
        .await?;
    Ok(ok(PlanChangeJson::load(&ctx.db, &v.scope, ended).await?))
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/v1/service_plans")
        .add("/", get(list))
        .add("/", post(add))
        .add("/{pid}", get(show))
        .add("/{pid}", patch(change))
        .add("/{pid}/end", post(end))
}
