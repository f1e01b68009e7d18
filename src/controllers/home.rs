//! The start page of each role (its work; a worker's is `/today`) and the
//! "more" page: the account and the sections not on the tab bar.
use crate::{
    domain::{nav, role::Role},
    errors::AppResult,
    models::users,
    views::{start, users as view},
    web::{render::nav_allowed, Viewer},
};
use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use loco_rs::prelude::*;

async fn show(State(ctx): State<AppContext>, v: Viewer) -> AppResult<Response> {
    // A worker starts the day with their visits.
    if v.scope.role() == Role::Worker {
        return Ok(axum::response::Redirect::to("/today").into_response());
    }
    let work = start::load(&ctx, &v, chrono::Utc::now()).await?;
    Ok(view::home_page(work).render(&v))
}

async fn more(State(ctx): State<AppContext>, v: Viewer) -> AppResult<Response> {
    let detail = users::load(&ctx.db, &v.scope, v.user.pid).await?;
    let sections = nav::more(v.scope.role(), &nav_allowed(&v));
    Ok(view::more_page(&detail, &sections).render(&v))
}

/// The service worker, served from the root so that it may control every
/// page (a worker under `/static/` could only control `/static/`).
async fn service_worker() -> impl axum::response::IntoResponse {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../assets/static/sw.js"),
    )
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/", get(show))
        .add("/more", get(more))
        .add("/sw.js", get(service_worker))
}
