//! The referral list (page and API), loaded with its people and visits in
//! one query each.
use super::{ListResponse, Ref};
use crate::{
    domain::pagination::PageRequest,
    errors::AppResult,
    models::referrals::{self, ReferralRow},
    policy::Scope,
};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

type Time = chrono::DateTime<chrono::FixedOffset>;

/// The list's query string.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ReferralQuery {
    /// `all` shows closed ones too.
    pub show: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ReferralJson {
    pub pid: Uuid,
    pub kind: String,
    pub note: String,
    pub status: String,
    pub recipient: Option<Ref>,
    pub visit: Option<Uuid>,
    pub action_note: Option<String>,
    pub closed_at: Option<Time>,
    pub created_at: Time,
}

impl ReferralJson {
    #[must_use]
    pub fn new(
        m: &crate::models::_entities::referrals::Model,
        recipient: Option<&crate::models::_entities::recipients::Model>,
        visit: Option<Uuid>,
    ) -> Self {
        Self {
            pid: m.pid,
            kind: m.kind.clone(),
            note: m.note.clone(),
            status: m.status.clone(),
            recipient: recipient.map(|r| Ref {
                pid: r.pid,
                name: r.name.clone(),
            }),
            visit,
            action_note: m.action_note.clone(),
            closed_at: m.closed_at,
            created_at: m.created_at,
        }
    }
}

impl From<&ReferralRow> for ReferralJson {
    fn from(r: &ReferralRow) -> Self {
        Self::new(&r.referral, r.recipient.as_ref(), r.visit)
    }
}

/// The referrals in scope, open ones only unless `show=all`.
///
/// # Errors
/// `NotFound` for callers who see no referrals.
pub async fn list_json(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ReferralQuery,
) -> AppResult<ListResponse<ReferralJson>> {
    let page = PageRequest::parse(q.page.as_deref(), q.per_page.as_deref());
    let open_only = q.show.as_deref() != Some("all");
    let (rows, page) = referrals::list(db, scope, open_only, page).await?;
    Ok(ListResponse {
        items: rows.iter().map(ReferralJson::from).collect(),
        page,
    })
}

/// The list page.
///
/// # Errors
/// As `list_json`.
pub async fn list_page(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ReferralQuery,
) -> AppResult<Value> {
    let list = list_json(db, scope, q).await?;
    Ok(json!({
        "items": list.items, "page": list.page, "show": q.show,
        "may_act": scope.may_manage_plans(),
        "base_query": format!("show={}", q.show.as_deref().unwrap_or("open")),
    }))
}

/// The open list again with the errors of a refused close of `failed`.
///
/// # Errors
/// As `list_json`.
pub async fn close_failed_page(
    db: &DatabaseConnection,
    scope: &Scope,
    failed: Uuid,
    errors: Value,
) -> AppResult<Value> {
    let list = list_json(db, scope, &ReferralQuery::default()).await?;
    Ok(json!({
        "items": list.items, "page": list.page, "may_act": true, "errors": errors,
        "failed": failed, "base_query": "show=open",
    }))
}
