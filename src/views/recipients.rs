//! JSON shapes of households, recipients and roster imports. ID numbers
//! leave the server masked, and not at all for workers.
use super::{AuditJson, ListResponse, OrganizationJson, Ref, TownshipJson};
use crate::{
    domain::{
        name_search::Query,
        pagination::{PageInfo, PageRequest},
        recipient::{
            needs_guardian_consent, AssistanceStatus, CareTag, Category, DisabilityType,
            RecipientStatus,
        },
    },
    errors::{AppError, AppResult},
    i18n::t,
    models::{
        _entities::{households, recipient_status_changes, recipients, villages},
        audit_logs,
        households::{self as households_model, HouseholdRow},
        organizations,
        recipients::{
            self as recipients_model, params_of, RecipientFilter, RecipientParams, RecipientRow,
        },
        service_plans,
        service_types::Catalogue,
        today, townships, villages as villages_model,
    },
    policy::{Scope, Visible},
    sheets,
    vault::Vault,
    web::{
        input::{checked, pid, ListQuery},
        Viewer,
    },
};
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::{Datelike, NaiveDate};
use loco_rs::app::AppContext;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

type Time = chrono::DateTime<chrono::FixedOffset>;

#[derive(Debug, Serialize)]
pub struct HouseholdJson {
    pub pid: Uuid,
    pub address: String,
    pub phone: Option<String>,
    pub assistance_status: String,
    pub status_since: Option<NaiveDate>,
    pub status_until: Option<NaiveDate>,
    pub village: Option<Ref>,
    pub members: Option<i64>,
    pub created_at: Time,
    pub updated_at: Time,
}

impl HouseholdJson {
    #[must_use]
    pub fn new(
        h: &households::Model,
        village: Option<&villages::Model>,
        members: Option<i64>,
    ) -> Self {
        Self {
            pid: h.pid,
            address: h.address.clone(),
            phone: h.phone.clone(),
            assistance_status: h.assistance_status.clone(),
            status_since: h.status_since,
            status_until: h.status_until,
            village: village.map(|v| Ref {
                pid: v.pid,
                name: v.name.clone(),
            }),
            members,
            created_at: h.created_at,
            updated_at: h.updated_at,
        }
    }
}

impl From<&HouseholdRow> for HouseholdJson {
    fn from(r: &HouseholdRow) -> Self {
        Self::new(&r.household, r.village.as_ref(), Some(r.members))
    }
}

#[derive(Debug, Serialize)]
pub struct ConsentJson {
    pub by: String,
    pub relation: Option<String>,
    pub on: Option<NaiveDate>,
}

#[derive(Debug, Serialize)]
pub struct RecipientJson {
    pub pid: Uuid,
    pub name: String,
    pub gender: String,
    /// The year only: with the township and the gender, a whole birth date
    /// would leave too few possible ID numbers (`domain::privacy`).
    pub birth_year: i32,
    /// The age reached this year; stable all year.
    pub age_this_year: i32,
    pub categories: Vec<&'static str>,
    /// Masked (`5119**************`); absent for workers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    pub household: Option<HouseholdJson>,
    pub village: Option<Ref>,
    pub relation: Option<String>,
    pub phone: Option<String>,
    pub disability_level: Option<i64>,
    pub disability_type: Option<String>,
    pub guardian_name: Option<String>,
    pub guardian_phone: Option<String>,
    pub guardian_relation: Option<String>,
    pub care_needs: Option<String>,
    pub care_tags: Vec<&'static str>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub consent: Option<ConsentJson>,
    /// Under 14: consent must come from the guardian.
    pub needs_guardian_consent: bool,
    /// No consent recorded, or a child's consent not given by a guardian.
    pub consent_missing: bool,
    pub status: String,
    pub status_reason: Option<String>,
    pub status_on: NaiveDate,
    pub roster: Option<String>,
    /// `registered` (on the township's roster), `proposed` or `declined`.
    pub registry: String,
    pub created_at: Time,
    pub updated_at: Time,
}

impl RecipientJson {
    #[must_use]
    pub fn new(
        m: &recipients::Model,
        household: Option<&households::Model>,
        village: Option<&villages::Model>,
        show_id: bool,
        today: NaiveDate,
    ) -> Self {
        let child = needs_guardian_consent(m.birth_date, today);
        let consent = m.consent_by.as_ref().map(|by| ConsentJson {
            by: by.clone(),
            relation: m.consent_relation.clone(),
            on: m.consent_on,
        });
        let consent_missing =
            consent.is_none() || (child && m.consent_relation.as_deref() != Some("guardian"));
        Self {
            pid: m.pid,
            name: m.name.clone(),
            gender: m.gender.clone(),
            birth_year: m.birth_date.year(),
            age_this_year: today.year() - m.birth_date.year(),
            categories: m.categories(today).iter().map(|c| c.as_str()).collect(),
            id_number: show_id.then(|| m.id_masked.clone()),
            household: household.map(|h| HouseholdJson::new(h, village, None)),
            village: village.map(|v| Ref {
                pid: v.pid,
                name: v.name.clone(),
            }),
            relation: m.relation.clone(),
            phone: m.phone.clone(),
            disability_level: m.disability_level,
            disability_type: m.disability_type.clone(),
            guardian_name: m.guardian_name.clone(),
            guardian_phone: m.guardian_phone.clone(),
            guardian_relation: m.guardian_relation.clone(),
            care_needs: m.care_needs.clone(),
            care_tags: CareTag::ALL
                .iter()
                .filter(|t| m.care_tags.contains(&format!(",{},", t.as_str())))
                .map(|t| t.as_str())
                .collect(),
            latitude: m.latitude,
            longitude: m.longitude,
            consent,
            needs_guardian_consent: child,
            consent_missing,
            status: m.status.clone(),
            status_reason: m.status_reason.clone(),
            status_on: m.status_on,
            roster: m.roster.clone(),
            registry: m.registry.clone(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }

    #[must_use]
    pub fn from_row(r: &RecipientRow, show_id: bool, today: NaiveDate) -> Self {
        Self::new(
            &r.recipient,
            r.household.as_ref(),
            r.village.as_ref(),
            show_id,
            today,
        )
    }
}

#[derive(Debug, Serialize)]
pub struct StatusChangeJson {
    pub from_status: Option<String>,
    pub to_status: String,
    pub reason: Option<String>,
    pub effective_on: NaiveDate,
    pub by: String,
    pub at: Time,
}

impl From<&recipient_status_changes::Model> for StatusChangeJson {
    fn from(m: &recipient_status_changes::Model) -> Self {
        Self {
            from_status: m.from_status.clone(),
            to_status: m.to_status.clone(),
            reason: m.reason.clone(),
            effective_on: m.effective_on,
            by: m.actor_label.clone(),
            at: m.created_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PlanJson {
    pub pid: Uuid,
    pub recipient: Option<super::Ref>,
    pub services: Vec<String>,
    pub duration_minutes: i64,
    pub tzid: String,
    pub dtstart: String,
    pub rrule: Option<String>,
    pub exdates: Vec<String>,
    pub rdates: Vec<String>,
    pub status: String,
    pub materialised_until: Option<Time>,
    pub created_at: Time,
}

impl PlanJson {
    #[must_use]
    pub fn new(
        m: &crate::models::_entities::service_plans::Model,
        recipient: Option<&recipients::Model>,
    ) -> Self {
        let list = |s: &str| -> Vec<String> {
            s.split(',')
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        };
        Self {
            pid: m.pid,
            recipient: recipient.map(|r| super::Ref {
                pid: r.pid,
                name: r.name.clone(),
            }),
            services: list(&m.services),
            duration_minutes: m.duration_minutes,
            tzid: m.tzid.clone(),
            dtstart: m.dtstart.clone(),
            rrule: m.rrule.clone(),
            exdates: list(&m.exdates),
            rdates: list(&m.rdates),
            status: m.status.clone(),
            materialised_until: m.materialised_until,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct VisitJson {
    pub pid: Uuid,
    pub starts_at: Time,
    pub ends_at: Time,
    /// The start on the plan's local clock, without offset.
    pub local_start: String,
    pub tzid: String,
    pub status: String,
    pub exception: bool,
    pub checked_in_at: Option<Time>,
    pub checked_out_at: Option<Time>,
    /// Metres from the recipient's registered home at check-in.
    pub distance_m: Option<f64>,
    pub location_exception: bool,
    pub location_reason: Option<String>,
    pub late: bool,
    /// Why an ad-hoc visit (one without a plan) happened.
    pub ad_hoc_reason: Option<String>,
    /// Changes with every write: send it back with a change (`version`) to
    /// be told (409) when someone else changed the visit first.
    pub version: i64,
}

impl From<&crate::models::_entities::visits::Model> for VisitJson {
    fn from(m: &crate::models::_entities::visits::Model) -> Self {
        let zone: chrono_tz::Tz = m.tzid.parse().unwrap_or(chrono_tz::Asia::Shanghai);
        Self {
            pid: m.pid,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            local_start: m
                .starts_at
                .with_timezone(&zone)
                .format("%Y-%m-%dT%H:%M:%S")
                .to_string(),
            tzid: m.tzid.clone(),
            status: m.status.clone(),
            exception: m.exception,
            checked_in_at: m.checked_in_at,
            checked_out_at: m.checked_out_at,
            distance_m: m.distance_m.map(f64::round),
            location_exception: m.location_exception,
            location_reason: m.location_reason.clone(),
            late: m.late,
            ad_hoc_reason: m.ad_hoc_reason.clone(),
            version: m.version,
        }
    }
}

// The recipient pages and API answers, loaded: each list runs a fixed
// number of queries (the page, its count, one per related table).

/// `a` with the fields of `b` added (page data).
pub(crate) fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

/// The list filter of a query string; filters naming something outside
/// the caller's scope are ignored (the scope still applies).
///
/// # Errors
/// Database errors.
pub async fn filter_of(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ListQuery,
) -> AppResult<RecipientFilter> {
    let town =
        recipients_model::township_of(db, scope, ListQuery::get(q.township.as_ref())).await?;
    let village =
        recipients_model::village_of(db, scope, ListQuery::get(q.village.as_ref())).await?;
    // A village left over from another township (the township select
    // changed, the village select not yet) is dropped, not an empty list.
    let village = village.filter(|v| town.as_ref().is_none_or(|t| t.id == v.township_id));
    let parse = |v: Option<&String>| ListQuery::get(v).map(str::to_string);
    Ok(RecipientFilter {
        township_id: town.map(|t| t.id),
        village_id: village.map(|v| v.id),
        category: parse(q.category.as_ref()).and_then(|c| c.parse::<Category>().ok()),
        status: parse(q.status.as_ref()).and_then(|c| c.parse::<RecipientStatus>().ok()),
        assistance_status: parse(q.assistance_status.as_ref())
            .and_then(|c| c.parse::<AssistanceStatus>().ok()),
        care_tag: parse(q.tag.as_ref()).and_then(|c| c.parse::<CareTag>().ok()),
        query: ListQuery::get(q.q.as_ref()).and_then(Query::parse),
    })
}

/// The villages of a township named by pid (for a select box).
async fn village_options(
    db: &DatabaseConnection,
    scope: &Scope,
    township: Option<&str>,
) -> AppResult<Vec<Ref>> {
    Ok(
        match recipients_model::township_of(db, scope, township).await? {
            Some(t) => villages_model::of_township(db, t.id)
                .await?
                .iter()
                .map(|v| Ref {
                    pid: v.pid,
                    name: v.name.clone(),
                })
                .collect(),
            None => Vec::new(),
        },
    )
}

/// The villages of the township a township select names (its htmx
/// options): blank or malformed names no township (no villages), a
/// township outside the caller's scope is not found.
///
/// # Errors
/// `NotFound` for a township out of scope; database errors.
pub async fn village_choices(
    db: &DatabaseConnection,
    scope: &Scope,
    township: Option<&str>,
) -> AppResult<Vec<Ref>> {
    let Some(Ok(town)) = township
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(uuid::Uuid::parse_str)
    else {
        return Ok(Vec::new());
    };
    let town = townships::load(db, scope, town).await?;
    Ok(villages_model::of_township(db, town.id)
        .await?
        .iter()
        .map(|v| Ref {
            pid: v.pid,
            name: v.name.clone(),
        })
        .collect())
}

/// The `<option>`s of a village select: `blank` is `all` for a list
/// filter, anything else for a form (which asks for a township first when
/// there are no villages).
///
/// # Errors
/// A template error.
pub fn village_options_html(
    lang: crate::domain::locale::Locale,
    villages: &[Ref],
    blank: Option<&str>,
    selected: Option<&str>,
) -> AppResult<String> {
    crate::web::render::render_partial(
        "partials/village_options.html",
        &json!({
            "lang": lang.as_str(),
            "villages": villages,
            "blank": blank.unwrap_or("choose"),
            "selected": selected.unwrap_or(""),
        }),
    )
    .map_err(AppError::Internal)
}

/// True when an htmx request asks for the results region only (search as
/// you type); a history restore asks for the whole page.
#[must_use]
pub fn wants_results(headers: &axum::http::HeaderMap) -> bool {
    let has = |name: &str, value: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case(value))
    };
    has("hx-request", "true")
        && has("hx-target", "results")
        && !has("hx-history-restore-request", "true")
}

/// The list page or its results region (`wants_results`), never cached
/// across the two.
#[must_use]
pub fn vary_on_htmx(mut res: Response) -> Response {
    res.headers_mut().append(
        header::VARY,
        HeaderValue::from_static("HX-Request, HX-Target"),
    );
    res
}

/// The new-recipient form with `typed` as the name, when a search for a
/// name found nobody and the caller may register people.
fn register_link(scope: &Scope, q: &ListQuery, found: usize) -> Option<Value> {
    if found > 0 || !scope.may_add_recipients() {
        return None;
    }
    match ListQuery::get(q.q.as_ref()).and_then(Query::parse) {
        Some(Query::Name(name)) => Some(json!({
            "href": format!(
                "/recipients/new?{}",
                serde_html_form::to_string([("name", name.as_str())]).unwrap_or_default()
            ),
            "name": name,
        })),
        _ => None,
    }
}

/// The choices of the filter and form select boxes.
///
/// # Errors
/// Database errors.
pub async fn choices(
    db: &DatabaseConnection,
    scope: &Scope,
    township: Option<&str>,
) -> AppResult<Value> {
    let towns: Vec<TownshipJson> = if matches!(scope.townships(), Visible::Nothing) {
        Vec::new()
    } else {
        townships::options(db, scope)
            .await?
            .iter()
            .map(TownshipJson::from)
            .collect()
    };
    let villages = village_options(db, scope, township).await?;
    let orgs: Vec<OrganizationJson> = if scope.is_admin() {
        organizations::options(db, scope)
            .await?
            .iter()
            .map(OrganizationJson::from)
            .collect()
    } else {
        Vec::new()
    };
    Ok(json!({
        "townships": towns,
        "villages": villages,
        "organizations": orgs,
        "categories": Category::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "statuses": RecipientStatus::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "assistance_statuses": AssistanceStatus::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "care_tags": CareTag::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "disability_types": DisabilityType::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
    }))
}

/// The list page: data and status. A refused search by ID end shows the
/// page with the reason under the box (422, 403 or 429), not an error
/// page.
///
/// # Errors
/// Database errors; `NotFound` for callers who see no recipients.
pub async fn list_page(
    db: &DatabaseConnection,
    v: &Viewer,
    q: &ListQuery,
    cross_site: bool,
) -> AppResult<(Value, StatusCode)> {
    let filter = filter_of(db, &v.scope, q).await?;
    let now = chrono::Utc::now();
    let refused =
        match recipients_model::allow_id_search(db, &v.scope, &v.actor, &filter, cross_site, now)
            .await
        {
            Ok(()) => None,
            Err(e @ (AppError::Invalid(_) | AppError::Limited(_) | AppError::Forbidden)) => Some(e),
            Err(e) => return Err(e),
        };
    let day = today();
    let (rows, page) = if refused.is_some() {
        (Vec::new(), PageInfo::new(q.page(), 0))
    } else {
        recipients_model::list(db, &v.scope, &filter, day, q.page()).await?
    };
    let show_id = v.scope.sees_id_numbers();
    let items: Vec<RecipientJson> = rows
        .iter()
        .map(|r| RecipientJson::from_row(r, show_id, day))
        .collect();
    let data = json!({
        "items": items,
        "page": page,
        "query": q,
        "base_query": q.without_page(),
        "may_register": v.scope.may_add_recipients(),
        "proposes": v.scope.may_propose_recipients(),
        "register": register_link(&v.scope, q, items.len()),
        "may_reveal_export": may_reveal_export(&v.scope),
    });
    let choices = choices(db, &v.scope, ListQuery::get(q.township.as_ref())).await?;
    let mut data = merge(data, choices);
    let status = refused.map_or(StatusCode::OK, |e| {
        data["search_error"] = json!(match &e {
            AppError::Invalid(_) => t(v.lang, "error-id-search-not-allowed"),
            _ => t(v.lang, e.message_key()),
        });
        e.status()
    });
    Ok((data, status))
}

/// The API list (a refused search by ID end is an error).
///
/// # Errors
/// As `recipients::allow_id_search` and `recipients::list`.
pub async fn list_json(
    db: &DatabaseConnection,
    v: &Viewer,
    q: &ListQuery,
    cross_site: bool,
) -> AppResult<ListResponse<RecipientJson>> {
    let filter = filter_of(db, &v.scope, q).await?;
    let now = chrono::Utc::now();
    recipients_model::allow_id_search(db, &v.scope, &v.actor, &filter, cross_site, now).await?;
    let day = today();
    let (rows, page) = recipients_model::list(db, &v.scope, &filter, day, q.page()).await?;
    let show_id = v.scope.sees_id_numbers();
    Ok(ListResponse {
        items: rows
            .iter()
            .map(|r| RecipientJson::from_row(r, show_id, day))
            .collect(),
        page,
    })
}

impl RecipientJson {
    /// One recipient with their household and village, as `scope` sees it.
    ///
    /// # Errors
    /// Database errors.
    pub async fn load(
        db: &DatabaseConnection,
        scope: &Scope,
        r: &recipients::Model,
    ) -> AppResult<Self> {
        let row = recipients_model::row_of(db, r.clone()).await?;
        Ok(Self::from_row(&row, scope.sees_id_numbers(), today()))
    }
}

/// A recipient with their status history (the API's answer for one).
#[derive(Debug, Serialize)]
pub struct RecipientDetailJson {
    #[serde(flatten)]
    pub recipient: RecipientJson,
    pub status_history: Vec<StatusChangeJson>,
}

impl RecipientDetailJson {
    /// # Errors
    /// Database errors.
    pub async fn load(
        db: &DatabaseConnection,
        scope: &Scope,
        r: &recipients::Model,
    ) -> AppResult<Self> {
        let history = r
            .status_history(db)
            .await?
            .iter()
            .map(StatusChangeJson::from)
            .collect();
        Ok(Self {
            recipient: RecipientJson::load(db, scope, r).await?,
            status_history: history,
        })
    }
}

/// The person's plans on their page (none when the caller sees no plans).
async fn plans_of(
    db: &DatabaseConnection,
    scope: &Scope,
    r: &recipients::Model,
) -> AppResult<Vec<PlanJson>> {
    match service_plans::list(db, scope, Some(r.id), PageRequest::parse(None, Some("20"))).await {
        Ok((rows, _)) => Ok(rows.iter().map(|p| PlanJson::new(p, None)).collect()),
        Err(AppError::NotFound) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// The record's own history (which fields changed, when, by whom); the
/// audit log's reads (reveals and their reasons) only for admins, who
/// read the audit log itself.
async fn changes_of(
    db: &DatabaseConnection,
    scope: &Scope,
    r: &recipients::Model,
) -> AppResult<Vec<AuditJson>> {
    Ok(audit_logs::for_entity(db, "recipients", r.pid, 50)
        .await?
        .iter()
        .filter(|c| scope.is_admin() || ["create", "update", "delete"].contains(&c.action.as_str()))
        .map(AuditJson::from)
        .collect())
}

/// The recipient's page: the person, their household's other members,
/// plans, status history and record history.
///
/// # Errors
/// Database errors.
pub async fn show_page(
    db: &DatabaseConnection,
    v: &Viewer,
    r: &recipients::Model,
) -> AppResult<Value> {
    let day = today();
    let show_id = v.scope.sees_id_numbers();
    let row = recipients_model::row_of(db, r.clone()).await?;
    let township = r.township(db).await?;
    let members: Vec<RecipientJson> = match &row.household {
        Some(h) => h
            .members(db)
            .await?
            .iter()
            .filter(|m| m.id != r.id)
            .map(|m| RecipientJson::new(m, None, None, show_id, day))
            .collect(),
        None => Vec::new(),
    };
    let history: Vec<StatusChangeJson> = r
        .status_history(db)
        .await?
        .iter()
        .map(StatusChangeJson::from)
        .collect();
    Ok(json!({
        "recipient": RecipientJson::from_row(&row, show_id, day),
        "township": township.map(|t| Ref { pid: t.pid, name: t.name }),
        "members": members,
        "plans": plans_of(db, &v.scope, r).await?,
        "may_plan": v.scope.may_manage_plans(),
        "history": history,
        "changes": changes_of(db, &v.scope, r).await?,
        "may_edit": v.scope.may_edit_recipient(r),
        "may_change_status": v.scope.may_change_status(r),
        "may_reveal": v.scope.may_reveal_id(recipients_model::served_now(db, &v.scope, r).await?),
        "proposal": super::proposals::of_person(db, &v.scope, r).await?,
        "coverage": coverage_of(db, v, r).await?,
        "statuses": RecipientStatus::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "today": day,
        "errors": {},
        "service_names": Catalogue::load(db).await?.names(v.lang),
    }))
}

/// The register or edit form's data.
async fn form_page(
    db: &DatabaseConnection,
    scope: &Scope,
    action: String,
    params: &RecipientParams,
    household: Option<HouseholdJson>,
    errors: Value,
    township: Option<String>,
) -> AppResult<Value> {
    // The village list follows the township chosen (a page without
    // JavaScript reloads with it) or the village already in the form.
    let chosen = township.or_else(|| ListQuery::get(params.township.as_ref()).map(str::to_string));
    let town_pid = match (chosen, params.village.as_deref()) {
        (Some(t), _) => Some(t),
        (None, Some(vp)) => recipients_model::township_pid_of_village(db, scope, vp).await?,
        (None, None) => None,
    };
    let choices = choices(db, scope, town_pid.as_deref()).await?;
    let data = json!({
        "action": action,
        "form": params,
        "household": household,
        "errors": errors,
        "township": town_pid,
        "is_new": household.is_none() && action == "/recipients",
        "proposes": scope.may_propose_recipients(),
    });
    Ok(merge(data, choices))
}

/// The register form, for a new person of an existing household when
/// `household` names one in scope.
///
/// # Errors
/// `NotFound` for a household out of scope; database errors.
pub async fn new_form(
    db: &DatabaseConnection,
    scope: &Scope,
    household: Option<&str>,
    township: Option<String>,
    name: Option<String>,
) -> AppResult<Value> {
    let household = match household {
        Some(h) => Some(households_model::load(db, scope, pid(h)?).await?),
        None => None,
    };
    let params = RecipientParams {
        household: household.as_ref().map(|h| h.pid.to_string()),
        name: name.map(|n| n.trim().chars().take(50).collect()),
        ..Default::default()
    };
    let hjson = household
        .as_ref()
        .map(|h| HouseholdJson::new(h, None, None));
    form_page(
        db,
        scope,
        "/recipients".into(),
        &params,
        hjson,
        json!({}),
        township,
    )
    .await
}

/// The register form again with its field errors.
///
/// # Errors
/// Database errors.
pub async fn add_form_again(
    db: &DatabaseConnection,
    scope: &Scope,
    p: &RecipientParams,
    errors: Value,
) -> AppResult<Value> {
    let household = match p.household.as_deref().map(pid) {
        Some(Ok(h)) => households_model::load(db, scope, h)
            .await
            .ok()
            .map(|h| HouseholdJson::new(&h, None, None)),
        _ => None,
    };
    form_page(db, scope, "/recipients".into(), p, household, errors, None).await
}

/// The edit form of `r` with its stored values.
///
/// # Errors
/// Database errors.
pub async fn edit_form(
    db: &DatabaseConnection,
    scope: &Scope,
    r: &recipients::Model,
) -> AppResult<Value> {
    edit_page(db, scope, r, &params_of(r), json!({})).await
}

/// The edit form of `r` again, with `p` and its field errors.
///
/// # Errors
/// Database errors.
pub async fn edit_form_again(
    db: &DatabaseConnection,
    scope: &Scope,
    r: &recipients::Model,
    p: &RecipientParams,
    errors: Value,
) -> AppResult<Value> {
    edit_page(db, scope, r, p, errors).await
}

async fn edit_page(
    db: &DatabaseConnection,
    scope: &Scope,
    r: &recipients::Model,
    params: &RecipientParams,
    errors: Value,
) -> AppResult<Value> {
    let household = r.household(db).await?;
    let errors = merge(errors, json!({"id_masked": r.id_masked}));
    let action = format!("/recipients/{}", r.pid);
    let hjson = household
        .as_ref()
        .map(|h| HouseholdJson::new(h, None, None));
    form_page(db, scope, action, params, hjson, errors, None).await
}

/// The reveal page: the form (with `errors` after a refusal), or the
/// whole number once revealed.
#[must_use]
pub fn reveal_page(r: &recipients::Model, errors: Option<Value>, revealed: Option<&str>) -> Value {
    json!({
        "recipient": {"pid": r.pid, "name": r.name, "id_number": r.id_masked},
        "errors": errors.unwrap_or_else(|| json!({})),
        "revealed": revealed,
    })
}

/// A response that shows a whole ID number is never stored by the browser
/// or a proxy.
#[must_use]
pub fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The API's answer to a reveal.
#[derive(Debug, Serialize)]
pub struct RevealJson {
    pub pid: Uuid,
    pub id_number: String,
}

/// A file to download; never stored by the browser or a proxy.
#[derive(Debug)]
pub struct Download {
    pub body: Vec<u8>,
    pub mime: &'static str,
    pub file_name: String,
}

impl Download {
    /// A table as CSV, or as XLSX when `xlsx`, named `{stem}.{ext}`.
    ///
    /// # Errors
    /// When the spreadsheet cannot be written.
    pub fn table(sheet: &str, stem: &str, rows: &[Vec<String>], xlsx: bool) -> AppResult<Self> {
        Ok(if xlsx {
            Self {
                body: sheets::write_xlsx(sheet, rows).map_err(AppError::Internal)?,
                mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                file_name: format!("{stem}.xlsx"),
            }
        } else {
            Self {
                body: sheets::write_csv(rows),
                mime: "text/csv; charset=utf-8",
                file_name: format!("{stem}.csv"),
            }
        })
    }
}

impl IntoResponse for Download {
    fn into_response(self) -> Response {
        (
            [
                (header::CONTENT_TYPE, self.mime.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", self.file_name),
                ),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            self.body,
        )
            .into_response()
    }
}

/// Export options: the list's filters plus format and, to include whole
/// ID numbers, `reveal` with a reason.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ExportParams {
    #[serde(flatten)]
    pub query: ListQuery,
    pub format: Option<String>,
    pub reveal: Option<String>,
    pub reason: Option<String>,
    /// Set by the GET route from `Sec-Fetch-Site` (never read from input).
    #[serde(skip)]
    pub cross_site: bool,
}

impl ExportParams {
    /// The options of an export asked for by a link (`GET`): never whole
    /// ID numbers, which a link on another site could ask for with the
    /// caller's session.
    ///
    /// # Errors
    /// A field error on `reveal`.
    pub fn for_link(self, cross_site: bool) -> AppResult<Self> {
        if checked(self.reveal.as_deref()) {
            return Err(AppError::field("reveal", "error-reveal-needs-post"));
        }
        Ok(Self { cross_site, ..self })
    }
}

/// Who may export whole ID numbers: admins, and coordinators (whose list
/// holds only their organisation's recipients).
#[must_use]
pub fn may_reveal_export(scope: &Scope) -> bool {
    scope.is_admin() || scope.own_organization().is_some()
}

/// The export file of the filtered list; whole ID numbers only when
/// asked, allowed and given a reason (audited either way).
///
/// # Errors
/// `NotFound` when revealing is not allowed; a field error without a
/// reason.
pub async fn export(ctx: &AppContext, v: &Viewer, p: &ExportParams) -> AppResult<Download> {
    let reveal = checked(p.reveal.as_deref());
    let reason = p.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if reveal {
        if !may_reveal_export(&v.scope) {
            return Err(AppError::NotFound);
        }
        if reason.is_none() {
            return Err(AppError::field("reason", "error-required"));
        }
    }
    let filter = filter_of(&ctx.db, &v.scope, &p.query).await?;
    let now = chrono::Utc::now();
    recipients_model::allow_id_search(&ctx.db, &v.scope, &v.actor, &filter, p.cross_site, now)
        .await?;
    let day = today();
    let limit = sheets::MAX_ROWS as u64;
    let rows = recipients_model::all_filtered(&ctx.db, &v.scope, &filter, day, limit).await?;
    let vault = if reveal { Some(Vault::of(ctx)?) } else { None };
    // A provider's coordinator sees whole numbers only of the people it
    // serves today (not during the grace period).
    let served = if reveal {
        let ids: Vec<i64> = rows.iter().map(|r| r.recipient.id).collect();
        recipients_model::served_among(&ctx.db, &v.scope, &ids).await?
    } else {
        HashSet::new()
    };
    let table = export_table(v, &rows, vault.as_ref().map(|vt| (vt, &served)), day);
    let revealed = if reveal { reason } else { None };
    let query = p.query.without_page();
    recipients_model::record_export(&ctx.db, &v.actor, rows.len(), &query, revealed).await?;
    let stem = format!("recipients-{}", day.format("%Y%m%d"));
    let xlsx = p.format.as_deref() == Some("xlsx");
    Download::table(&t(v.lang, "nav-recipients"), &stem, &table, xlsx)
}

fn export_table(
    v: &Viewer,
    rows: &[RecipientRow],
    vault: Option<(&Vault, &HashSet<i64>)>,
    day: NaiveDate,
) -> Vec<Vec<String>> {
    let l = v.lang;
    let show_id = v.scope.sees_id_numbers();
    let mut header = vec![t(l, "field-person-name")];
    if show_id {
        header.push(t(l, "field-id-number"));
    }
    // A whole birth date only beside whole ID numbers; otherwise the year
    // (`domain::privacy`).
    let whole = vault.is_some();
    for k in [
        "field-gender",
        if whole {
            "field-birth-date-whole"
        } else {
            "field-birth-date"
        },
        "field-categories",
        "field-village",
        "field-address",
        "field-phone",
        "field-assistance-status",
        "field-relation",
        "field-disability-level",
        "field-disability-type",
        "export-guardian-name",
        "export-guardian-phone",
        "field-care-needs",
        "field-status",
    ] {
        header.push(t(l, k));
    }
    let mut out = vec![header];
    for r in rows {
        let m = &r.recipient;
        let mut row = vec![m.name.clone()];
        let opened = vault.filter(|(_, served)| served.contains(&m.id));
        let whole = opened.is_some();
        if show_id {
            row.push(match opened.map(|(vt, _)| vt.open(&m.id_sealed)) {
                Some(Ok(id)) => id.as_str().to_string(),
                _ => m.id_masked.clone(),
            });
        }
        let cats: Vec<String> = m
            .categories(day)
            .iter()
            .map(|c| t(l, &format!("category-{}", c.as_str())))
            .collect();
        row.extend([
            t(l, &format!("gender-{}", m.gender)),
            if whole {
                m.birth_date.to_string()
            } else {
                m.birth_date.year().to_string()
            },
            cats.join("、"),
            r.village
                .as_ref()
                .map(|x| x.name.clone())
                .unwrap_or_default(),
            r.household
                .as_ref()
                .map(|h| h.address.clone())
                .unwrap_or_default(),
            m.phone.clone().unwrap_or_default(),
            r.household
                .as_ref()
                .map(|h| t(l, &format!("roster-assistance-{}", h.assistance_status)))
                .unwrap_or_default(),
            m.relation.clone().unwrap_or_default(),
            m.disability_level
                .map(|d| d.to_string())
                .unwrap_or_default(),
            m.disability_type
                .as_ref()
                .map(|d| t(l, &format!("disability-{d}")))
                .unwrap_or_default(),
            m.guardian_name.clone().unwrap_or_default(),
            m.guardian_phone.clone().unwrap_or_default(),
            m.care_needs.clone().unwrap_or_default(),
            t(l, &format!("status-{}", m.status)),
        ]);
        out.push(row);
    }
    out
}

/// One contract covering a person, as their page shows it.
#[derive(Debug, Serialize)]
pub struct CoverageJson {
    pub code: String,
    pub township: String,
    pub provider: String,
    pub from: NaiveDate,
    pub until: NaiveDate,
    pub status: String,
    /// Why a contract of another township covers the person.
    pub reason: Option<String>,
}

/// The contracts (drafts too) covering `r`, for officials and
/// admins: a contract of another township shows with its reason, so both
/// townships see it. One query for the rows, one for the names.
///
/// # Errors
/// Database errors.
pub async fn coverage_of(
    db: &DatabaseConnection,
    v: &Viewer,
    r: &recipients_model::Model,
) -> AppResult<Vec<CoverageJson>> {
    use crate::models::_entities::{contract_recipients, contracts, organizations, townships};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    if !matches!(
        v.scope.role(),
        crate::domain::role::Role::Admin | crate::domain::role::Role::Official
    ) {
        return Ok(Vec::new());
    }
    let rows = contract_recipients::Entity::find()
        .filter(contract_recipients::Column::RecipientId.eq(r.id))
        .order_by_asc(contract_recipients::Column::Id)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let cs: HashMap<i64, contracts::Model> = contracts::Entity::find()
        .filter(contracts::Column::Id.is_in(rows.iter().map(|c| c.contract_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let towns: HashMap<i64, String> = townships::Entity::find()
        .filter(townships::Column::Id.is_in(cs.values().map(|c| c.township_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let orgs: HashMap<i64, String> = organizations::Entity::find()
        .filter(organizations::Column::Id.is_in(cs.values().map(|c| c.organization_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    Ok(rows
        .iter()
        .filter_map(|row| {
            let c = cs.get(&row.contract_id)?;
            let until = row.covered_until.unwrap_or(c.ends_on);
            Some(CoverageJson {
                code: c.code.clone(),
                township: towns.get(&c.township_id).cloned().unwrap_or_default(),
                provider: orgs.get(&c.organization_id).cloned().unwrap_or_default(),
                from: row.covered_from.unwrap_or(c.starts_on),
                until: c.closed_on.map_or(until, |d| until.min(d)),
                status: c.status.clone(),
                reason: row.reason.clone(),
            })
        })
        .collect())
}
