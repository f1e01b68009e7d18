//! The service catalogue: admins add, rename, reorder and retire service
//! types; everyone else chooses from it on plans and visit lines.
use super::{form_response, require};
use crate::{
    errors::AppResult,
    models::service_types::{self, ServiceTypeParams},
    views::service_types as view,
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

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    require(v.scope.is_admin())?;
    Ok(view::list_page(&ctx.db, &q).await?.render(&v))
}

async fn new(v: Viewer) -> AppResult<Response> {
    require(v.scope.is_admin())?;
    Ok(view::form(None, &view::new_params(), None).render(&v))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(p): FormData<ServiceTypeParams>,
) -> AppResult<Response> {
    require(v.scope.is_admin())?;
    let result = service_types::Model::create(&ctx.db, &v.actor, &p).await;
    form_response(
        result,
        v.lang,
        |_| redirect_flash("/service_types", "flash-saved"),
        |errors| view::form(None, &p, Some(errors)).render(&v),
    )
}

async fn edit(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require(v.scope.is_admin())?;
    let t = service_types::load(&ctx.db, pid(&id)?).await?;
    Ok(view::form(Some(t.pid), &view::params_of(&t), None).render(&v))
}

/// The code cannot change: the form shows it as it is.
async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(p): FormData<ServiceTypeParams>,
) -> AppResult<Response> {
    require(v.scope.is_admin())?;
    let t = service_types::load(&ctx.db, pid(&id)?).await?;
    let (at, code) = (Some(t.pid), Some(t.code.clone()));
    let result = t.change(&ctx.db, &v.actor, &p).await;
    form_response(
        result,
        v.lang,
        |_| redirect_flash("/service_types", "flash-saved"),
        |errors| view::form(at, &ServiceTypeParams { code, ..p }, Some(errors)).render(&v),
    )
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/service_types", get(list))
        .add("/service_types", post(add))
        .add("/service_types/new", get(new))
        .add("/service_types/{pid}", post(update))
        .add("/service_types/{pid}/edit", get(edit))
}
