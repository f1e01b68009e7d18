//! The audit log as admins read it: entries with recorded personal data
//! redacted, filtered by entity, action, actor or record.
use crate::{
    domain::pagination::PageInfo,
    errors::AppResult,
    models::{
        _entities::audit_logs,
        audit_logs::{Action, AuditFilter},
    },
    policy::Scope,
    web::{input::ListQuery, Page},
};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

type Time = chrono::DateTime<chrono::FixedOffset>;

/// The entities the page offers to filter by.
const ENTITIES: [&str; 11] = [
    "townships",
    "villages",
    "organizations",
    "users",
    "households",
    "recipients",
    "recipient_imports",
    "recipient_import_files",
    "contracts",
    "acceptances",
    "contract_documents",
];

#[derive(Debug, Serialize)]
pub struct AuditJson {
    pub id: i64,
    pub created_at: Time,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_pid: Option<Uuid>,
    pub changes: serde_json::Value,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub hash: String,
}

impl From<&audit_logs::Model> for AuditJson {
    fn from(m: &audit_logs::Model) -> Self {
        Self {
            id: m.id,
            created_at: m.created_at,
            actor: m.actor_label.clone(),
            action: m.action.clone(),
            entity: m.entity.clone(),
            entity_pid: m.entity_pid,
            changes: {
                let mut c = m.changes_json();
                crate::domain::privacy::redact_recorded(&mut c);
                c
            },
            request_id: m.request_id.clone(),
            ip: m.ip.clone(),
            hash: m.hash.clone(),
        }
    }
}

/// The filter of the page's and the API's query.
#[must_use]
pub fn filter_of(q: &ListQuery) -> AuditFilter {
    AuditFilter {
        entity: ListQuery::get(q.entity.as_ref()).map(str::to_string),
        action: ListQuery::get(q.action.as_ref()).map(str::to_string),
        actor: ListQuery::get(q.actor.as_ref()).map(str::to_string),
        entity_pid: ListQuery::get(q.entity_pid.as_ref()).and_then(|p| Uuid::parse_str(p).ok()),
    }
}

/// A page of entries, newest first: one query for the entries, one for
/// their count.
///
/// # Errors
/// `NotFound` for callers who may not read the log; database errors.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ListQuery,
) -> AppResult<(Vec<AuditJson>, PageInfo)> {
    let (rows, page) = crate::models::audit_logs::list(db, scope, &filter_of(q), q.page()).await?;
    Ok((rows.iter().map(AuditJson::from).collect(), page))
}

/// The audit log page, with the actions and entities to filter by.
///
/// # Errors
/// As [`list`].
pub async fn list_page(db: &DatabaseConnection, scope: &Scope, q: &ListQuery) -> AppResult<Page> {
    let (items, page) = list(db, scope, q).await?;
    let actions: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
    Ok(Page::new(
        "audit_logs/list.html",
        json!({"items": items, "page": page, "query": q, "base_query": q.without_page(),
               "actions": actions, "entities": ENTITIES}),
    ))
}
