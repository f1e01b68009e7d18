//! People who sign in. Admins manage everyone; coordinators manage the
//! workers and volunteers of their own organisation.
use super::{invalid_or, require};
use crate::{
    errors::AppResult,
    models::users::{self, UserParams},
    views::users as view,
    web::{
        input::{pid, ListQuery, QueryParams},
        render::redirect_flash,
        FormData, Viewer,
    },
};
use axum::{
    extract::{Path, State},
    response::Response,
};
use loco_rs::prelude::*;
use uuid::Uuid;

/// After a save: the user's page, or the form again with the errors.
async fn saved_or_form(
    ctx: &AppContext,
    v: &Viewer,
    at: Option<Uuid>,
    p: &UserParams,
    result: AppResult<users::Model>,
) -> AppResult<Response> {
    match invalid_or(result, v.lang)? {
        Ok(u) => Ok(redirect_flash(&format!("/users/{}", u.pid), "flash-saved")),
        Err(e) => Ok(view::form(&ctx.db, &v.scope, at, p, Some(e))
            .await?
            .render(v)),
    }
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    Ok(view::list_page(&ctx.db, &v.scope, &q).await?.render(&v))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let d = users::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(view::show_page(&v.scope, &d).render(&v))
}

async fn new(State(ctx): State<AppContext>, v: Viewer) -> AppResult<Response> {
    require(v.scope.may_create_users())?;
    let p = view::new_params(&ctx.db, &v.scope).await?;
    Ok(view::form(&ctx.db, &v.scope, None, &p, None)
        .await?
        .render(&v))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(p): FormData<UserParams>,
) -> AppResult<Response> {
    require(v.scope.may_create_users())?;
    let result = users::add(&ctx.db, &v.scope, &v.actor, &p).await;
    saved_or_form(&ctx, &v, None, &p, result).await
}

async fn edit(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let d = users::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_edit_user(&d.user))?;
    let p = view::params_of(&d);
    Ok(view::form(&ctx.db, &v.scope, Some(d.user.pid), &p, None)
        .await?
        .render(&v))
}

/// Unchecked checkboxes are absent from a form post: no `active` is
/// inactive.
async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(mut p): FormData<UserParams>,
) -> AppResult<Response> {
    let d = users::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_edit_user(&d.user))?;
    p.active = Some(p.active.is_some().to_string());
    let at = Some(d.user.pid);
    let result = d.user.change(&ctx.db, &v.scope, &v.actor, &p).await;
    saved_or_form(&ctx, &v, at, &p, result).await
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/users", get(list))
        .add("/users", post(add))
        .add("/users/new", get(new))
        .add("/users/{pid}", get(show))
        .add("/users/{pid}", post(update))
        .add("/users/{pid}/edit", get(edit))
}
