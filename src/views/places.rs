//! Townships and villages: their JSON shapes and the pages of lists,
//! records and forms.
use super::Ref;
use crate::{
    domain::pagination::{PageInfo, PageRequest},
    errors::AppResult,
    models::{
        _entities::{townships, villages},
        townships::TownshipParams,
        villages::VillageParams,
    },
    policy::Scope,
    web::{input::ListQuery, Page},
};
use axum::http::StatusCode;
use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

type Time = chrono::DateTime<chrono::FixedOffset>;

#[derive(Debug, Serialize)]
pub struct TownshipJson {
    pub pid: Uuid,
    pub name: String,
    pub code: String,
    pub population: i64,
    pub created_at: Time,
    pub updated_at: Time,
}

impl From<&townships::Model> for TownshipJson {
    fn from(m: &townships::Model) -> Self {
        Self {
            pid: m.pid,
            name: m.name.clone(),
            code: m.code.clone(),
            population: m.population,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct VillageJson {
    pub pid: Uuid,
    pub name: String,
    pub code: Option<String>,
    pub township: Ref,
    pub created_at: Time,
    pub updated_at: Time,
}

impl From<(&villages::Model, &townships::Model)> for VillageJson {
    fn from((v, t): (&villages::Model, &townships::Model)) -> Self {
        Self {
            pid: v.pid,
            name: v.name.clone(),
            code: v.code.clone(),
            township: Ref {
                pid: t.pid,
                name: t.name.clone(),
            },
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

/// A form page: where it posts, the fields as given, and their errors
/// (422 when there are any).
pub(super) fn form_page(template: &'static str, data: Value, errors: Option<Value>) -> Page {
    let status = if errors.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut data = data;
    if let Some(d) = data.as_object_mut() {
        d.insert("errors".into(), errors.unwrap_or_else(|| json!({})));
    }
    Page::new(template, data).status(status)
}

/// A page of the townships the caller may see, searched by `q`.
///
/// # Errors
/// `NotFound` for callers who see no townships; database errors.
pub async fn township_list(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ListQuery,
) -> AppResult<(Vec<TownshipJson>, PageInfo)> {
    let (rows, page) =
        crate::models::townships::list(db, scope, ListQuery::get(q.q.as_ref()), q.page()).await?;
    Ok((rows.iter().map(TownshipJson::from).collect(), page))
}

/// The township list page.
///
/// # Errors
/// As [`township_list`].
pub async fn township_list_page(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ListQuery,
) -> AppResult<Page> {
    let (items, page) = township_list(db, scope, q).await?;
    Ok(Page::new(
        "townships/list.html",
        json!({"items": items, "page": page, "query": q, "base_query": q.without_page()}),
    ))
}

/// The reason sent with a destructive act (deleting a place, ending a
/// contract, rejecting an amendment): a form field, or `?reason=` on an
/// API `DELETE`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ReasonForm {
    #[serde(default, deserialize_with = "crate::domain::form::loose")]
    pub reason: Option<String>,
}

impl ReasonForm {
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// The delete form again with `errors`, keeping what was typed.
    #[must_use]
    pub fn again(&self, errors: Value) -> Deleting {
        Deleting {
            reason: self.reason.clone().unwrap_or_default(),
            errors,
        }
    }
}

/// The delete form of a place shown again: the reason as typed and its
/// translated errors (422).
#[derive(Debug, Clone, Default)]
pub struct Deleting {
    pub reason: String,
    pub errors: Value,
}

/// A place's page data with its delete form, open and 422 when `deleting`
/// is a failed attempt.
fn with_deleting(template: &'static str, mut data: Value, deleting: Option<Deleting>) -> Page {
    let status = if deleting.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut d = deleting.unwrap_or_default();
    if !d.errors.is_object() {
        d.errors = json!({});
    }
    if let Some(m) = data.as_object_mut() {
        m.insert(
            "deleting".into(),
            json!({"open": status != StatusCode::OK, "reason": d.reason, "errors": d.errors}),
        );
    }
    Page::new(template, data).status(status)
}

/// A township's page with its first 100 villages.
///
/// # Errors
/// Database errors.
pub async fn township_page(
    db: &DatabaseConnection,
    scope: &Scope,
    t: &townships::Model,
    deleting: Option<Deleting>,
) -> AppResult<Page> {
    let (rows, page) = crate::models::villages::list(
        db,
        scope,
        Some(t.id),
        None,
        PageRequest::parse(None, Some("100")),
    )
    .await?;
    let villages: Vec<VillageJson> = rows.iter().map(VillageJson::from_pair).collect();
    Ok(with_deleting(
        "townships/show.html",
        json!({"township": TownshipJson::from(t), "villages": villages, "villages_total": page.total}),
        deleting,
    ))
}

/// The township form: new (`pid` is `None`) or a change of the township
/// `pid`.
#[must_use]
pub fn township_form(pid: Option<Uuid>, params: &TownshipParams, errors: Option<Value>) -> Page {
    let action = pid.map_or_else(|| "/townships".into(), |p| format!("/townships/{p}"));
    form_page(
        "townships/form.html",
        json!({"action": action, "form": params}),
        errors,
    )
}

/// The fields of a township as its change form starts.
#[must_use]
pub fn township_params(t: &townships::Model) -> TownshipParams {
    TownshipParams {
        name: Some(t.name.clone()),
        code: Some(t.code.clone()),
        population: Some(t.population.to_string()),
    }
}

impl VillageJson {
    /// From a village with its township, as the loaders return them.
    #[must_use]
    pub fn from_pair((v, t): &(villages::Model, townships::Model)) -> Self {
        Self::from((v, t))
    }
}

/// A page of the villages the caller may see, filtered by township and
/// searched by name. A township the caller may not see lists nothing
/// when `strict` (the API), and is ignored otherwise (the page).
///
/// # Errors
/// `NotFound` for callers who see no villages; database errors.
pub async fn village_list(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ListQuery,
    strict: bool,
) -> AppResult<(Vec<VillageJson>, PageInfo)> {
    let named = ListQuery::get(q.township.as_ref());
    let town = crate::models::townships::named(db, scope, named).await?;
    if strict && named.is_some() && town.is_none() {
        return Ok((Vec::new(), PageInfo::new(q.page(), 0)));
    }
    let (rows, page) = crate::models::villages::list(
        db,
        scope,
        town.map(|t| t.id),
        ListQuery::get(q.q.as_ref()),
        q.page(),
    )
    .await?;
    Ok((rows.iter().map(VillageJson::from_pair).collect(), page))
}

/// The townships the caller may see, for select boxes.
///
/// # Errors
/// Database errors.
pub async fn township_options(
    db: &DatabaseConnection,
    scope: &Scope,
) -> AppResult<Vec<TownshipJson>> {
    Ok(crate::models::townships::options(db, scope)
        .await?
        .iter()
        .map(TownshipJson::from)
        .collect())
}

/// The village list page, with the townships to filter by.
///
/// # Errors
/// As [`village_list`].
pub async fn village_list_page(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ListQuery,
) -> AppResult<Page> {
    let (items, page) = village_list(db, scope, q, false).await?;
    Ok(Page::new(
        "villages/list.html",
        json!({"items": items, "page": page, "query": q, "base_query": q.without_page(),
               "townships": township_options(db, scope).await?}),
    ))
}

/// A village's page.
#[must_use]
pub fn village_page(
    pair: &(villages::Model, townships::Model),
    deleting: Option<Deleting>,
) -> Page {
    with_deleting(
        "villages/show.html",
        json!({"village": VillageJson::from_pair(pair)}),
        deleting,
    )
}

/// The village form: new (`pid` is `None`) or a change of the village
/// `pid`, with the townships to choose from.
///
/// # Errors
/// Database errors.
pub async fn village_form(
    db: &DatabaseConnection,
    scope: &Scope,
    pid: Option<Uuid>,
    params: &VillageParams,
    errors: Option<Value>,
) -> AppResult<Page> {
    let action = pid.map_or_else(|| "/villages".into(), |p| format!("/villages/{p}"));
    Ok(form_page(
        "villages/form.html",
        json!({"action": action, "form": params, "townships": township_options(db, scope).await?}),
        errors,
    ))
}

/// The fields of a village as its change form starts.
#[must_use]
pub fn village_params((village, town): &(villages::Model, townships::Model)) -> VillageParams {
    VillageParams {
        township: Some(town.pid.to_string()),
        name: Some(village.name.clone()),
        code: village.code.clone(),
    }
}
