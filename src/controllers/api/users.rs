use super::{created, ok, page};
use crate::{
    controllers::require,
    errors::AppResult,
    models::users::{self, UserParams},
    views::{users as view, UserJson},
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
    let (items, info) = view::list(&ctx.db, &v.scope, &q).await?;
    Ok(page(items, info))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let d = users::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(UserJson::from(&d)))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(p): ApiJson<UserParams>,
) -> AppResult<Response> {
    require(v.scope.may_create_users())?;
    let u = users::add(&ctx.db, &v.scope, &v.actor, &p).await?;
    let d = users::load(&ctx.db, &v.scope, u.pid).await?;
    Ok(created(UserJson::from(&d)))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<UserParams>,
) -> AppResult<Response> {
    let d = users::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_edit_user(&d.user))?;
    let u = d.user.change(&ctx.db, &v.scope, &v.actor, &p).await?;
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
