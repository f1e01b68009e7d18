//! Proposals (主动发现): the township's list to decide (officials), the
//! provider's list to follow (coordinators), page and API; people and
//! organisations loaded in one query each.
use super::{ListResponse, Ref};
use crate::{
    domain::pagination::PageRequest,
    errors::{AppError, AppResult},
    models::{
        _entities::recipients,
        proposals::{self, ProposalRow},
    },
    policy::Scope,
};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

type Time = chrono::DateTime<chrono::FixedOffset>;

/// The list's query string.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ProposalQuery {
    /// `pending` (the default), `confirmed`, `declined` or `all`.
    pub show: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

impl ProposalQuery {
    /// The status the list is narrowed to (`None`: all); an unknown word
    /// shows the pending ones.
    #[must_use]
    pub fn status(&self) -> Option<&'static str> {
        match self.show.as_deref().map(str::trim) {
            Some("all") => None,
            Some("confirmed") => Some("confirmed"),
            Some("declined") => Some("declined"),
            _ => Some("pending"),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ProposalJson {
    pub pid: Uuid,
    pub status: String,
    pub recipient: Option<Ref>,
    /// The proposing organisation's name.
    pub organization: Option<String>,
    pub decision_note: Option<String>,
    pub decided_at: Option<Time>,
    pub created_at: Time,
}

impl ProposalJson {
    #[must_use]
    pub fn new(
        p: &proposals::Model,
        person: Option<&recipients::Model>,
        organization: Option<String>,
    ) -> Self {
        Self {
            pid: p.pid,
            status: p.status.clone(),
            recipient: person.map(|r| Ref {
                pid: r.pid,
                name: r.name.clone(),
            }),
            organization,
            decision_note: p.decision_note.clone(),
            decided_at: p.decided_at,
            created_at: p.created_at,
        }
    }
}

impl From<&ProposalRow> for ProposalJson {
    fn from(r: &ProposalRow) -> Self {
        Self::new(&r.proposal, r.person.as_ref(), r.organization.clone())
    }
}

/// The proposals in scope.
///
/// # Errors
/// `NotFound` for callers who see none.
pub async fn list_json(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ProposalQuery,
) -> AppResult<ListResponse<ProposalJson>> {
    let page = PageRequest::parse(q.page.as_deref(), q.per_page.as_deref());
    let (rows, page) = proposals::list(db, scope, q.status(), page).await?;
    Ok(ListResponse {
        items: rows.iter().map(ProposalJson::from).collect(),
        page,
    })
}

/// The list page; `failed` and `errors` show a refused decision again.
///
/// # Errors
/// As `list_json`.
pub async fn list_page(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ProposalQuery,
    failed: Option<Uuid>,
    errors: Value,
) -> AppResult<Value> {
    let list = list_json(db, scope, q).await?;
    let show = q.status().unwrap_or("all");
    Ok(json!({
        "items": list.items, "page": list.page, "show": show,
        "may_decide": scope.may_register_recipients(),
        "failed": failed, "errors": errors,
        "base_query": format!("show={show}"),
    }))
}

/// One decided proposal as the API answers it.
///
/// # Errors
/// Database errors.
pub async fn one_json<C: ConnectionTrait>(db: &C, p: &proposals::Model) -> AppResult<ProposalJson> {
    use sea_orm::EntityTrait;
    let person = recipients::Entity::find_by_id(p.recipient_id)
        .one(db)
        .await?;
    let org = crate::models::_entities::organizations::Entity::find_by_id(p.organization_id)
        .one(db)
        .await?
        .map(|o| o.name);
    Ok(ProposalJson::new(p, person.as_ref(), org))
}

/// The newest proposal of a person, for their page, when the viewer sees
/// proposals of it (the township's officials, the proposer).
///
/// # Errors
/// Database errors.
pub async fn of_person(
    db: &DatabaseConnection,
    scope: &Scope,
    person: &recipients::Model,
) -> AppResult<Option<ProposalJson>> {
    let Some(p) = proposals::of_recipient(db, person.id).await? else {
        return Ok(None);
    };
    match proposals::load(db, scope, p.pid).await {
        Ok(p) => Ok(Some(one_json(db, &p).await?)),
        Err(AppError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}
