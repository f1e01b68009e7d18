//! The audit log, for admins: newest first, filtered by entity, action,
//! actor or record.
use crate::{
    errors::AppResult,
    models::audit_logs::{self, Action, AuditFilter},
    views::AuditJson,
    web::{
        input::{ListQuery, QueryParams},
        Page, Viewer,
    },
};
use axum::{extract::State, response::Response};
use loco_rs::prelude::*;
use serde_json::json;

#[must_use]
pub fn filter_of(q: &ListQuery) -> AuditFilter {
    AuditFilter {
        entity: ListQuery::get(q.entity.as_ref()).map(str::to_string),
        action: ListQuery::get(q.action.as_ref()).map(str::to_string),
        actor: ListQuery::get(q.actor.as_ref()).map(str::to_string),
        entity_pid: ListQuery::get(q.entity_pid.as_ref())
            .and_then(|p| uuid::Uuid::parse_str(p).ok()),
    }
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let (rows, page) = audit_logs::list(&ctx.db, &v.scope, &filter_of(&q), q.page()).await?;
    let items: Vec<AuditJson> = rows.iter().map(AuditJson::from).collect();
    let actions: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
    Ok(Page::new(
        "audit_logs/list.html",
        json!({"items": items, "page": page, "query": q, "base_query": q.without_page(),
               "actions": actions, "entities": ["townships", "villages", "organizations", "users", "households", "recipients", "recipient_imports", "recipient_import_files", "contracts", "acceptances", "contract_documents"]}),
    )
    .render(&v))
}

pub fn routes() -> Routes {
    Routes::new().add("/audit", get(list))
}
