//! The handover list: the people a provider's new contracts cover whom
//! another provider served, with one step to start a plan from the other
//! provider's pattern. Page and API.
use crate::{
    errors::AppResult,
    views::handover::{self as view, HandoverQuery},
    web::{input::QueryParams, Page, Viewer},
};
use axum::{
    extract::State,
    response::{IntoResponse, Response},
    Json,
};
use loco_rs::prelude::*;

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<HandoverQuery>,
) -> AppResult<Response> {
    let data = view::list_page(&ctx.db, &v.scope, &q, v.lang).await?;
    Ok(Page::new("handover/list.html", data).render(&v))
}

async fn api_list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<HandoverQuery>,
) -> AppResult<Response> {
    Ok(Json(view::list_json(&ctx.db, &v.scope, &q, v.lang).await?).into_response())
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/handover", get(list))
        .add("/api/v1/handover", get(api_list))
}
