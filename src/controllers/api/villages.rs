use super::{created, ok, page};
use crate::{
    controllers::require,
    errors::AppResult,
    models::villages::{self, VillageParams},
    views::{
        places::{self, ReasonForm},
        VillageJson,
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

/// A township the caller may not see lists no villages.
async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let (items, info) = places::village_list(&ctx.db, &v.scope, &q, true).await?;
    Ok(page(items, info))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let pair = villages::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(VillageJson::from_pair(&pair)))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(p): ApiJson<VillageParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let pair = villages::add(&ctx.db, &v.scope, &v.actor, &p).await?;
    Ok(created(VillageJson::from_pair(&pair)))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<VillageParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let (village, _) = villages::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let pair = village.change(&ctx.db, &v.scope, &v.actor, &p).await?;
    Ok(ok(VillageJson::from_pair(&pair)))
}

async fn remove(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<ReasonForm>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let (village, _) = villages::load(&ctx.db, &v.scope, pid(&id)?).await?;
    village.remove(&ctx.db, &v.actor, q.reason()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/v1/villages")
        .add("/", get(list))
        .add("/", post(add))
        .add("/{pid}", get(show))
        .add("/{pid}", put(update))
        .add("/{pid}", patch(update))
        .add("/{pid}", delete(remove))
}
