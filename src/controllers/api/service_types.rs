//! The service catalogue over JSON: anyone signed in reads it; admins
//! add and change types.
use super::{created, ok, page};
use crate::{
    controllers::require,
    errors::AppResult,
    models::service_types::{self, ServiceTypeParams},
    views::service_types::{self as view, ServiceTypeJson},
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

async fn list(
    State(ctx): State<AppContext>,
    _v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let (items, info) = view::list(&ctx.db, &q).await?;
    Ok(page(items, info))
}

async fn show(
    State(ctx): State<AppContext>,
    _v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let t = service_types::load(&ctx.db, pid(&id)?).await?;
    Ok(ok(ServiceTypeJson::from(&t)))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(p): ApiJson<ServiceTypeParams>,
) -> AppResult<Response> {
    require(v.scope.is_admin())?;
    let t = service_types::Model::create(&ctx.db, &v.actor, &p).await?;
    Ok(created(ServiceTypeJson::from(&t)))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<ServiceTypeParams>,
) -> AppResult<Response> {
    require(v.scope.is_admin())?;
    let t = service_types::load(&ctx.db, pid(&id)?).await?;
    let t = t.change(&ctx.db, &v.actor, &p).await?;
    Ok(ok(ServiceTypeJson::from(&t)))
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/v1/service_types")
        .add("/", get(list))
        .add("/", post(add))
        .add("/{pid}", get(show))
        .add("/{pid}", patch(update))
}
