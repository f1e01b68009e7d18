use super::{created, ok, page};
use crate::{
    controllers::require,
    errors::AppResult,
    models::organizations::{self, OrganizationParams},
    views::{organizations as view, OrganizationJson},
    web::{
        input::{pid, ListQuery, QueryParams},
        ApiJson, Viewer,
    },
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use loco_rs::prelude::*;

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let (items, info) = view::list(&ctx.db, &v.scope, &q).await?;
    Ok(page(items, info))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let o = organizations::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(OrganizationJson::from(&o)))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(p): ApiJson<OrganizationParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let o = organizations::add(&ctx.db, &v.actor, &p).await?;
    Ok(created(OrganizationJson::from(&o)))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<OrganizationParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let o = organizations::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(OrganizationJson::from(
        &o.change(&ctx.db, &v.actor, &p).await?,
    )))
}

async fn remove(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let o = organizations::load(&ctx.db, &v.scope, pid(&id)?).await?;
    o.remove(&ctx.db, &v.actor).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/v1/organizations")
        .add("/", get(list))
        .add("/", post(add))
        .add("/{pid}", get(show))
        .add("/{pid}", put(update))
        .add("/{pid}", patch(update))
        .add("/{pid}", delete(remove))
}
