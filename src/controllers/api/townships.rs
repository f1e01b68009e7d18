use super::{created, ok, page};
use crate::{
    controllers::require,
    errors::AppResult,
    models::townships::{self, TownshipParams},
    views::{
        places::{self, ReasonForm},
        TownshipJson,
    },
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
    let (items, info) = places::township_list(&ctx.db, &v.scope, &q).await?;
    Ok(page(items, info))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let t = townships::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(TownshipJson::from(&t)))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(p): ApiJson<TownshipParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let t = townships::add(&ctx.db, &v.actor, &p).await?;
    Ok(created(TownshipJson::from(&t)))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<TownshipParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let t = townships::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(TownshipJson::from(
        &t.change(&ctx.db, &v.actor, &p).await?,
    )))
}

async fn remove(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<ReasonForm>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let t = townships::load(&ctx.db, &v.scope, pid(&id)?).await?;
    t.remove(&ctx.db, &v.actor, q.reason()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/v1/townships")
        .add("/", get(list))
        .add("/", post(add))
        .add("/{pid}", get(show))
        .add("/{pid}", put(update))
        .add("/{pid}", patch(update))
        .add("/{pid}", delete(remove))
}
