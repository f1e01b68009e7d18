//! The officials' dashboard: every contract in force in the caller's
//! scope with its fulfilment, risks and call-backs, and charts (ECharts,
//! loaded on this page only) of delivery against pace and of visits by
//! month. The page's data is `views::dashboard`.
use crate::{
    errors::AppResult,
    views::dashboard,
    web::{
        input::{ListQuery, QueryParams},
        Page, Viewer,
    },
};
use axum::{extract::State, response::Response};
use loco_rs::prelude::*;

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let (today, now) = (crate::models::today(), chrono::Utc::now());
    let data = dashboard::load(&ctx.db, &v.scope, v.lang, &q, today, now).await?;
    Ok(Page::new("dashboard/show.html", data).render(&v))
}

pub fn routes() -> Routes {
    Routes::new().add("/dashboard", get(show))
}
