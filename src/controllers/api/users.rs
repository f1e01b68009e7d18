use super::{created, ok, page};
use crate::{
    controllers::{require, users::filter_of},
    errors::AppResult,
    models::users::{self, UserParams},
    views::UserJson,
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
    let filter = filter_of(&ctx.db, &v, &q).await?;
    let (rows, info) = users::list(&ctx.db, &v.scope, &filter, q.page()).await?;
    Ok(page(
        rows.iter()
            .map(|(u, o)| UserJson::new(u, o.as_ref(), &[]))
            .collect(),
        info,
    ))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    Ok(ok(UserJson::from(
        &users::load(&ctx.db, &v.scope, pid(&id)?).await?,
    )))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(p): ApiJson<UserParams>,
) -> AppResult<Response> {
    require(v.scope.may_create_users())?;
    let new = users::parse_for(&ctx.db, &v.scope, &p, true).await?;
    let u = users::Model::create(&ctx.db, &v.actor, new).await?;
    Ok(created(UserJson::from(
        &users::load(&ctx.db, &v.scope, u.pid).await?,
    )))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<UserParams>,
) -> AppResult<Response> {
    let d = users::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_edit_user(&d.user))?;
    let new = users::parse_for(&ctx.db, &v.scope, &p, false).await?;
    let u = d.user.update(&ctx.db, &v.actor, new).await?;
    Ok(ok(UserJson::from(
        &users::load(&ctx.db, &v.scope, u.pid).await?,
    )))
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/v1/users")
        .add("/", get(list))
        .add("/", post(add))
        .add("/{pid}", get(show))
        .add("/{pid}", put(update))
        .add("/{pid}", patch(update))
}
