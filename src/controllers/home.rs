//! The start page: who you are and what your role lets you open.
use crate::{
    errors::AppResult,
    models::users,
    views::UserJson,
    web::{Page, Viewer},
};
use axum::{extract::State, response::Response};
use loco_rs::prelude::*;
use serde_json::json;

async fn show(State(ctx): State<AppContext>, v: Viewer) -> AppResult<Response> {
    let detail = users::load(&ctx.db, &v.scope, v.user.pid).await?;
    Ok(Page::new(
        "home/show.html",
        json!({ "account": UserJson::from(&detail) }),
    )
    .render(&v))
}

pub fn routes() -> Routes {
    Routes::new().add("/", get(show))
}
