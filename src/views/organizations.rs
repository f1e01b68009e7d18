//! Organisations: their JSON shape and the pages of the list, one
//! organisation and the form.
use crate::{
    domain::{organization_kind::OrganizationKind, pagination::PageInfo},
    errors::AppResult,
    models::{_entities::organizations, organizations::OrganizationParams},
    policy::Scope,
    web::{input::ListQuery, Page},
};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

type Time = chrono::DateTime<chrono::FixedOffset>;

#[derive(Debug, Serialize)]
pub struct OrganizationJson {
    pub pid: Uuid,
    pub name: String,
    pub kind: String,
    pub credit_code: String,
    pub created_at: Time,
    pub updated_at: Time,
}

impl From<&organizations::Model> for OrganizationJson {
    fn from(m: &organizations::Model) -> Self {
        Self {
            pid: m.pid,
            name: m.name.clone(),
            kind: m.kind.clone(),
            credit_code: m.credit_code.clone(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A page of the organisations the caller may see, filtered by kind and
/// searched by `q`.
///
/// # Errors
/// `NotFound` for callers who see no organisations; database errors.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ListQuery,
) -> AppResult<(Vec<OrganizationJson>, PageInfo)> {
    let kind = ListQuery::get(q.kind.as_ref()).and_then(|k| k.parse::<OrganizationKind>().ok());
    let search = ListQuery::get(q.q.as_ref());
    let (rows, page) =
        crate::models::organizations::list(db, scope, kind, search, q.page()).await?;
    Ok((rows.iter().map(OrganizationJson::from).collect(), page))
}

/// The organisation list page.
///
/// # Errors
/// As [`list`].
pub async fn list_page(db: &DatabaseConnection, scope: &Scope, q: &ListQuery) -> AppResult<Page> {
    let (items, page) = list(db, scope, q).await?;
    Ok(Page::new(
        "organizations/list.html",
        json!({"items": items, "page": page, "query": q, "base_query": q.without_page()}),
    ))
}

/// One organisation's page.
#[must_use]
pub fn show_page(o: &organizations::Model) -> Page {
    Page::new(
        "organizations/show.html",
        json!({"organization": OrganizationJson::from(o)}),
    )
}

/// The organisation form: new (`pid` is `None`) or a change.
#[must_use]
pub fn form(pid: Option<Uuid>, params: &OrganizationParams, errors: Option<Value>) -> Page {
    let action = pid.map_or_else(
        || "/organizations".into(),
        |p| format!("/organizations/{p}"),
    );
    super::places::form_page(
        "organizations/form.html",
        json!({"action": action, "form": params}),
        errors,
    )
}

/// The fields of an organisation as its change form starts.
#[must_use]
pub fn params_of(o: &organizations::Model) -> OrganizationParams {
    OrganizationParams {
        name: Some(o.name.clone()),
        kind: Some(o.kind.clone()),
        credit_code: Some(o.credit_code.clone()),
    }
}
