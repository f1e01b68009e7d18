use super::{created, ok, page};
use crate::{
    controllers::require,
    domain::organization_kind::OrganizationKind,
    errors::AppResult,
    models::organizations::{self, NewOrganization, OrganizationParams},
    views::OrganizationJson,
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
    let kind = ListQuery::get(q.kind.as_ref()).and_then(|k| k.parse::<OrganizationKind>().ok());
    let (rows, info) = organizations::list(
        &ctx.db,
        &v.scope,
        kind,
        ListQuery::get(q.q.as_ref()),
        q.page(),
    )
    .await?;
    Ok(page(
        rows.iter().map(OrganizationJson::from).collect(),
        info,
    ))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    Ok(ok(OrganizationJson::from(
        &organizations::load(&ctx.db, &v.scope, pid(&id)?).await?,
    )))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(p): ApiJson<OrganizationParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let o = organizations::Model::create(&ctx.db, &v.actor, NewOrganization::try_from(&p)?).await?;
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
    let o = o
        .update(&ctx.db, &v.actor, NewOrganization::try_from(&p)?)
        .await?;
    Ok(ok(OrganizationJson::from(&o)))
}

async fn remove(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    organizations::load(&ctx.db, &v.scope, pid(&id)?)
        .await?
        .remove(&ctx.db, &v.actor)
        .await?;
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
