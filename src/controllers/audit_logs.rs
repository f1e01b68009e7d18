//! The audit log, for admins: newest first, filtered by entity, action,
//! actor or record.
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
    Ok(view::list_page(&ctx.db, &v.scope, &q).await?.render(&v))
}

pub fn routes() -> Routes {
    Routes::new().add("/audit", get(list))
}
