use super::{created, ok};
use crate::{
    controllers::require,
    errors::AppResult,
    models::households::{self, HouseholdParams},
    views::{
        households::{self as view, HouseholdDetailJson},
        recipients::HouseholdJson,
    },
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
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    Ok(ok(view::list_json(&ctx.db, &v.scope, &q).await?))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let h = households::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(HouseholdDetailJson::load(&ctx.db, &v.scope, &h).await?))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(p): ApiJson<HouseholdParams>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let h = households::Model::create_from(&ctx.db, &v.scope, &v.actor, &p).await?;
    Ok(created(HouseholdJson::load(&ctx.db, &h, Some(0)).await?))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<HouseholdParams>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let h = households::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let h = h.update_from(&ctx.db, &v.scope, &v.actor, &p).await?;
    Ok(ok(HouseholdJson::load(&ctx.db, &h, None).await?))
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/v1/households")
        .add("/", get(list))
        .add("/", post(add))
        .add("/{pid}", get(show))
        .add("/{pid}", put(update))
        .add("/{pid}", patch(update))
}
