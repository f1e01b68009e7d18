//! The service catalogue over JSON: anyone signed in reads it; admins
//! add and change types.
use super::{created, ok, page};
use crate::{
    controllers::require,
    errors::AppResult,
    models::service_types::{self, ServiceTypeParams},
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
use serde::Serialize;

#[derive(Debug, Serialize)]
struct ServiceTypeJson {
    pid: uuid::Uuid,
    code: String,
    name_zh: String,
    name_en: String,
    position: i64,
    active: bool,
}

impl From<&service_types::Model> for ServiceTypeJson {
    fn from(m: &service_types::Model) -> Self {
        Self {
            pid: m.pid,
            code: m.code.clone(),
            name_zh: m.name_zh.clone(),
            name_en: m.name_en.clone(),
            position: m.position,
            active: m.active,
        }
    }
}

async fn list(
    State(ctx): State<AppContext>,
    _v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let (rows, info) = service_types::list(&ctx.db, q.page()).await?;
    Ok(page(rows.iter().map(ServiceTypeJson::from).collect(), info))
}

async fn show(
    State(ctx): State<AppContext>,
    _v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    Ok(ok(ServiceTypeJson::from(
        &service_types::load(&ctx.db, pid(&id)?).await?,
    )))
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
