//! The start page: who you are and what your role lets you open.
use crate::{errors::AppResult, models::users, views::users as view, web::Viewer};
use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use loco_rs::prelude::*;

async fn show(State(ctx): State<AppContext>, v: Viewer) -> AppResult<Response> {
    // A worker starts the day with their visits.
    if v.user.role == crate::domain::role::Role::Worker.as_str() {
        return Ok(axum::response::Redirect::to("/today").into_response());
    }
    let detail = users::load(&ctx.db, &v.scope, v.user.pid).await?;
    Ok(view::home_page(&detail).render(&v))
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
        .add("/sw.js", get(service_worker))
}
