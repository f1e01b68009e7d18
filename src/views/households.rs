//! The household pages and API answers, loaded: the list runs a fixed
//! number of queries (the page, its count, villages, member counts).
use super::{
    recipients::{merge, HouseholdJson, RecipientJson},
    ListResponse, Ref, TownshipJson,
};
use crate::{
    domain::recipient::AssistanceStatus,
    errors::AppResult,
    models::{
        households::{self, HouseholdFilter, HouseholdParams},
        recipients, today, townships, villages,
    },
    policy::Scope,
    web::{input::ListQuery, Viewer},
};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde_json::{json, Value};

/// The list filter of a query string.
///
/// # Errors
/// Database errors.
pub async fn filter_of(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ListQuery,
) -> AppResult<HouseholdFilter> {
    let town = recipients::township_of(db, scope, ListQuery::get(q.township.as_ref())).await?;
    let village = recipients::village_of(db, scope, ListQuery::get(q.village.as_ref())).await?;
    // A village left over from another township is dropped.
    let village = village.filter(|v| town.as_ref().is_none_or(|t| t.id == v.township_id));
    Ok(HouseholdFilter {
        township_id: town.map(|t| t.id),
        village_id: village.map(|v| v.id),
        assistance_status: ListQuery::get(q.assistance_status.as_ref())
            .and_then(|s| s.parse::<AssistanceStatus>().ok()),
        search: ListQuery::get(q.q.as_ref()).map(str::to_string),
    })
}

/// The choices of the filter and form select boxes.
async fn options(
    db: &DatabaseConnection,
    scope: &Scope,
    township: Option<&str>,
) -> AppResult<Value> {
    let towns: Vec<TownshipJson> = townships::options(db, scope)
        .await?
        .iter()
        .map(TownshipJson::from)
        .collect();
    let vs: Vec<Ref> = match recipients::township_of(db, scope, township).await? {
        Some(t) => villages::of_township(db, t.id)
            .await?
            .iter()
            .map(|x| Ref {
                pid: x.pid,
                name: x.name.clone(),
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(json!({
        "townships": towns,
        "villages": vs,
        "assistance_statuses": AssistanceStatus::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
    }))
}

/// The API list.
///
/// # Errors
/// `NotFound` for callers who see no households; database errors.
pub async fn list_json(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ListQuery,
) -> AppResult<ListResponse<HouseholdJson>> {
    let filter = filter_of(db, scope, q).await?;
    let (rows, page) = households::list(db, scope, &filter, q.page()).await?;
    Ok(ListResponse {
        items: rows.iter().map(HouseholdJson::from).collect(),
        page,
    })
}

/// The list page.
///
/// # Errors
/// As `list_json`.
pub async fn list_page(db: &DatabaseConnection, v: &Viewer, q: &ListQuery) -> AppResult<Value> {
    let list = list_json(db, &v.scope, q).await?;
    let may_register = v.scope.may_register_recipients();
    // Nothing found at a typed address: offer to register the household.
    let register = match ListQuery::get(q.q.as_ref()) {
        Some(typed) if may_register && list.items.is_empty() => Some(json!({
            "href": format!(
                "/households/new?{}",
                serde_html_form::to_string([("q", typed)]).unwrap_or_default()
            ),
            "address": typed,
        })),
        _ => None,
    };
    let data = json!({
        "items": list.items, "page": list.page, "query": q, "base_query": q.without_page(),
        "may_register": may_register, "register": register,
    });
    let opts = options(db, &v.scope, ListQuery::get(q.township.as_ref())).await?;
    Ok(merge(data, opts))
}

impl HouseholdJson {
    /// One household with its village.
    ///
    /// # Errors
    /// Database errors.
    pub async fn load(
        db: &DatabaseConnection,
        h: &households::Model,
        members: Option<i64>,
    ) -> AppResult<Self> {
        let village = h.village(db).await?;
        Ok(Self::new(h, village.as_ref(), members))
    }
}

/// A household with its members (the API's answer for one; the page's
/// data).
#[derive(Debug, Serialize)]
pub struct HouseholdDetailJson {
    #[serde(flatten)]
    pub household: HouseholdJson,
    pub member_list: Vec<RecipientJson>,
}

impl HouseholdDetailJson {
    /// # Errors
    /// Database errors.
    pub async fn load(
        db: &DatabaseConnection,
        scope: &Scope,
        h: &households::Model,
    ) -> AppResult<Self> {
        let day = today();
        let show_id = scope.sees_id_numbers();
        let members: Vec<RecipientJson> = h
            .members(db)
            .await?
            .iter()
            .map(|m| RecipientJson::new(m, None, None, show_id, day))
            .collect();
        let n = i64::try_from(members.len()).unwrap_or(i64::MAX);
        Ok(Self {
            household: HouseholdJson::load(db, h, Some(n)).await?,
            member_list: members,
        })
    }
}

/// The household's page.
///
/// # Errors
/// Database errors.
pub async fn show_page(
    db: &DatabaseConnection,
    scope: &Scope,
    h: &households::Model,
) -> AppResult<Value> {
    let d = HouseholdDetailJson::load(db, scope, h).await?;
    Ok(json!({
        "household": d.household,
        "members": d.member_list,
        "may_edit": scope.may_register_recipients(),
    }))
}

/// The register form; `township` chooses the village list, `address`
/// (what a search found nothing for) fills the address.
///
/// # Errors
/// Database errors.
pub async fn new_form(
    db: &DatabaseConnection,
    scope: &Scope,
    township: Option<String>,
    address: Option<String>,
) -> AppResult<Value> {
    let params = HouseholdParams {
        address: address.map(|a| a.trim().chars().take(200).collect()),
        ..HouseholdParams::default()
    };
    form_page(
        db,
        scope,
        "/households".into(),
        &params,
        township,
        json!({}),
    )
    .await
}

/// A form (posted to `action`) again, with its field errors.
///
/// # Errors
/// Database errors.
pub async fn form_again(
    db: &DatabaseConnection,
    scope: &Scope,
    action: String,
    p: &HouseholdParams,
    errors: Value,
) -> AppResult<Value> {
    form_page(db, scope, action, p, None, errors).await
}

/// The register or edit form's data; `township` (or the village in the
/// form) chooses the village list.
async fn form_page(
    db: &DatabaseConnection,
    scope: &Scope,
    action: String,
    params: &HouseholdParams,
    township: Option<String>,
    errors: Value,
) -> AppResult<Value> {
    let chosen = township.or_else(|| ListQuery::get(params.township.as_ref()).map(str::to_string));
    let town = match (chosen, params.village.as_deref()) {
        (Some(t), _) => Some(t),
        (None, Some(vp)) => recipients::township_pid_of_village(db, scope, vp).await?,
        (None, None) => None,
    };
    let opts = options(db, scope, town.as_deref()).await?;
    let data = json!({"action": action, "form": params, "errors": errors, "township": town});
    Ok(merge(data, opts))
}

/// The edit form of a stored household.
///
/// # Errors
/// `NotFound` when its village is missing; database errors.
pub async fn edit_form(
    db: &DatabaseConnection,
    scope: &Scope,
    h: &households::Model,
) -> AppResult<Value> {
    let params = h.params(db).await?;
    let action = format!("/households/{}", h.pid);
    form_page(db, scope, action, &params, None, json!({})).await
}
