use super::{created, ok, page};
use crate::{
    controllers::{require, villages::township_of},
    errors::AppResult,
    models::villages::{self, NewVillage, VillageParams},
    views::VillageJson,
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
    let town = township_of(&ctx.db, &v.scope, ListQuery::get(q.township.as_ref())).await?;
    if ListQuery::get(q.township.as_ref()).is_some() && town.is_none() {
        return Ok(page(
            Vec::<VillageJson>::new(),
            crate::domain::pagination::PageInfo::new(q.page(), 0),
        ));
    }
    let (rows, info) = villages::list(
        &ctx.db,
        &v.scope,
        town.map(|t| t.id),
        ListQuery::get(q.q.as_ref()),
        q.page(),
    )
    .await?;
    Ok(page(
        rows.iter()
            .map(|(v, t)| VillageJson::from((v, t)))
            .collect(),
        info,
    ))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (village, town) = villages::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(VillageJson::from((&village, &town))))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(p): ApiJson<VillageParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let town = township_of(&ctx.db, &v.scope, p.township.as_deref()).await?;
    let village =
        villages::Model::create(&ctx.db, &v.actor, NewVillage::parse(&p, town.as_ref())?).await?;
    let town = town.ok_or(crate::errors::AppError::NotFound)?;
    Ok(created(VillageJson::from((&village, &town))))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<VillageParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let (village, _) = villages::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let town = township_of(&ctx.db, &v.scope, p.township.as_deref()).await?;
    let village = village
        .update(&ctx.db, &v.actor, NewVillage::parse(&p, town.as_ref())?)
        .await?;
    let town = town.ok_or(crate::errors::AppError::NotFound)?;
    Ok(ok(VillageJson::from((&village, &town))))
}

async fn remove(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    villages::load(&ctx.db, &v.scope, pid(&id)?)
        .await?
        .0
        .remove(&ctx.db, &v.actor)
        .await?;
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
