use super::page;
use crate::{
    controllers::audit_logs::filter_of,
    errors::AppResult,
    models::audit_logs,
    views::AuditJson,
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
    let (rows, info) = audit_logs::list(&ctx.db, &v.scope, &filter_of(&q), q.page()).await?;
    Ok(page(rows.iter().map(AuditJson::from).collect(), info))
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/v1/audit_logs")
        .add("/", get(list))
}
