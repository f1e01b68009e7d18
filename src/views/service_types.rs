//! The service catalogue: its JSON shape, the list page and the form.
use crate::{
    domain::pagination::PageInfo,
    errors::AppResult,
    models::{_entities::service_types, service_types::ServiceTypeParams},
    web::{input::ListQuery, Page},
};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

#[derive(Debug, Serialize)]
pub struct ServiceTypeJson {
    pub pid: Uuid,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub position: i64,
    pub active: bool,
}

impl From<&service_types::Model> for ServiceTypeJson {
    fn from(m: &service_types::Model) -> Self {
        Self {
            pid: m.pid,
            code: m.code.clone(),
            name_zh: m.name_zh.clone(),
            name_en: m.name_en.clone(),
            position: m.position,
            active: m.active,
        }
    }
}

/// A page of the catalogue, in its order.
///
/// # Errors
/// Database errors.
pub async fn list(
    db: &DatabaseConnection,
    q: &ListQuery,
) -> AppResult<(Vec<ServiceTypeJson>, PageInfo)> {
    let (rows, page) = crate::models::service_types::list(db, q.page()).await?;
    Ok((rows.iter().map(ServiceTypeJson::from).collect(), page))
}

/// The catalogue page (the rows as stored).
///
/// # Errors
/// Database errors.
pub async fn list_page(db: &DatabaseConnection, q: &ListQuery) -> AppResult<Page> {
    let (rows, page) = crate::models::service_types::list(db, q.page()).await?;
    Ok(Page::new(
        "service_types/list.html",
        json!({"items": rows, "page": page, "base_query": q.without_page()}),
    ))
}

/// The service type form: new (`pid` is `None`) or a change.
#[must_use]
pub fn form(pid: Option<Uuid>, params: &ServiceTypeParams, errors: Option<Value>) -> Page {
    let action = pid.map_or_else(
        || "/service_types".into(),
        |p| format!("/service_types/{p}"),
    );
    super::places::form_page(
        "service_types/form.html",
        json!({"action": action, "form": params, "new": pid.is_none()}),
        errors,
    )
}

/// A new service type's fields: active.
#[must_use]
pub fn new_params() -> ServiceTypeParams {
    ServiceTypeParams {
        active: Some("true".into()),
        ..Default::default()
    }
}

/// The fields of a service type as its change form starts.
#[must_use]
pub fn params_of(t: &service_types::Model) -> ServiceTypeParams {
    ServiceTypeParams {
        code: Some(t.code.clone()),
        name_zh: Some(t.name_zh.clone()),
        name_en: Some(t.name_en.clone()),
        position: Some(t.position.to_string()),
        active: Some(t.active.to_string()),
    }
}
