//! Organisations: social-work organisations, charities, government bodies.
use super::{form_response, require};
use crate::{
    errors::{AppError, AppResult},
    models::organizations::{self, OrganizationParams},
    views::organizations as view,
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

fn saved(o: &organizations::Model) -> Response {
    redirect_flash(&format!("/organizations/{}", o.pid), "flash-saved")
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
    let o = organizations::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(view::show_page(&o).render(&v))
}

async fn new(v: Viewer) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    Ok(view::form(None, &OrganizationParams::default(), None).render(&v))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(p): FormData<OrganizationParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let result = organizations::add(&ctx.db, &v.actor, &p).await;
    form_response(
        result,
        v.lang,
        |o| saved(&o),
        |errors| view::form(None, &p, Some(errors)).render(&v),
    )
}

async fn edit(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let o = organizations::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(view::form(Some(o.pid), &view::params_of(&o), None).render(&v))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(p): FormData<OrganizationParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let o = organizations::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let at = Some(o.pid);
    let result = o.change(&ctx.db, &v.actor, &p).await;
    form_response(
        result,
        v.lang,
        |o| saved(&o),
        |errors| view::form(at, &p, Some(errors)).render(&v),
    )
}

async fn remove(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let o = organizations::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let back = format!("/organizations/{}", o.pid);
    match o.remove(&ctx.db, &v.actor).await {
        Ok(()) => Ok(redirect_flash("/organizations", "flash-deleted")),
        Err(AppError::Invalid(_)) => Ok(redirect_flash(&back, "error-in-use")),
        Err(e) => Err(e),
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/organizations", get(list))
        .add("/organizations", post(add))
        .add("/organizations/new", get(new))
        .add("/organizations/{pid}", get(show))
        .add("/organizations/{pid}", post(update))
        .add("/organizations/{pid}/edit", get(edit))
        .add("/organizations/{pid}/delete", post(remove))
}
