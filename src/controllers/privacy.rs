//! The privacy page (`/privacy`) and the same as data (`/api/v1/privacy`):
//! generated from `domain::privacy`, open to anyone, signed in or not.
use crate::{
    views::privacy::{policy, retention},
    web::{session::MaybeViewer, Guest, Page},
};
use axum::{
    extract::State,
    response::{IntoResponse, Response},
    Json,
};
use loco_rs::prelude::*;

async fn show(
    State(ctx): State<AppContext>,
    MaybeViewer(viewer): MaybeViewer,
    g: Guest,
) -> Response {
    let page = Page::new("privacy/show.html", policy(g.lang, retention(&ctx.config)));
    match viewer {
        Some(v) => page.render(&v),
        None => page.render_guest(&g),
    }
}

async fn api(State(ctx): State<AppContext>, g: Guest) -> Response {
    Json(policy(g.lang, retention(&ctx.config))).into_response()
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/privacy", get(show))
        .add("/api/v1/privacy", get(api))
}
