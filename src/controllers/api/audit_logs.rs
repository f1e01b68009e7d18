use super::page;
use crate::{
    errors::AppResult,
    views::audit_logs as view,
    web::{
        input::{ListQuery, QueryParams},
        Viewer,
    },
};
use axum::{extract::State, response::Response};
use loco_rs::prelude::*;

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let (items, info) = view::list(&ctx.db, &v.scope, &q).await?;
    Ok(page(items, info))
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/v1/audit_logs")
        .add("/", get(list))
}
