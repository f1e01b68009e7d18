//! The handover list (issue 16): the people a provider's contracts cover
//! whom another provider planned for, each with their care needs and tags,
//! the other provider's plans (pattern, services, length, when they end)
//! and the dates of its last visits — never its notes, workers or records.
//! One query per related table per page.
use super::{ListResponse, Ref};
use crate::{
    domain::locale::Locale,
    domain::{pagination::PageRequest, recipient::CareTag, visit::VisitStatus},
    errors::{AppError, AppResult},
    models::{
        _entities::{
            contract_recipients, contracts, organizations, recipients, service_plans, visits,
        },
        fetch_page, today,
    },
    policy::{covered_by_provider, Scope},
};
use chrono::NaiveDate;
use sea_orm::{
    sea_query::Query, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// How many of the last visits a row shows.
const LAST_VISITS: usize = 3;

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct HandoverQuery {
    pub page: Option<String>,
    pub per_page: Option<String>,
}

/// One of the outgoing provider's plans, as the incoming one may see it.
#[derive(Debug, Serialize)]
pub struct OutgoingPlan {
    /// To start a plan from this pattern (`/service_plans/new?recipient=…&from_plan=…`).
    pub pid: Uuid,
    pub provider: Option<String>,
    pub status: String,
    pub services: Vec<String>,
    pub duration_minutes: i64,
    /// The rule in words, its first visit and zone (`plan_words`).
    pub words: Value,
}

#[derive(Debug, Serialize)]
pub struct HandoverRow {
    pub recipient: Ref,
    pub care_needs: Option<String>,
    pub care_tags: Vec<&'static str>,
    /// The first day this provider's coverage of the person begins.
    pub covered_from: Option<NaiveDate>,
    pub plans: Vec<OutgoingPlan>,
    /// Dates of the other providers' last visits (what happened, not how).
    pub last_visits: Vec<NaiveDate>,
}

/// The caller's handover list: only for a provider's coordinator.
///
/// # Errors
/// `NotFound` for anyone else; database errors.
pub async fn list_json(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &HandoverQuery,
    lang: Locale,
) -> AppResult<ListResponse<HandoverRow>> {
    let org = scope.own_organization().ok_or(AppError::NotFound)?;
    let page = PageRequest::parse(q.page.as_deref(), q.per_page.as_deref());
    let others = Query::select()
        .column(service_plans::Column::RecipientId)
        .from(service_plans::Entity)
        .and_where(service_plans::Column::OrganizationId.ne(org))
        .and_where(service_plans::Column::RecipientId.is_not_null())
        .to_owned();
    let (people, page) = fetch_page(
        db,
        recipients::Entity::find()
            .filter(recipients::Column::Id.in_subquery(covered_by_provider(org, scope.today)))
            .filter(recipients::Column::Id.in_subquery(others))
            .order_by_asc(recipients::Column::Name)
            .order_by_asc(recipients::Column::Id),
        page,
    )
    .await?;
    let ids: Vec<i64> = people.iter().map(|r| r.id).collect();
    if ids.is_empty() {
        return Ok(ListResponse {
            items: Vec::new(),
            page,
        });
    }
    let plans = service_plans::Entity::find()
        .filter(service_plans::Column::RecipientId.is_in(ids.clone()))
        .filter(service_plans::Column::OrganizationId.ne(org))
        .order_by_desc(service_plans::Column::Id)
        .all(db)
        .await?;
    let mut org_ids: Vec<i64> = plans.iter().map(|p| p.organization_id).collect();
    org_ids.sort_unstable();
    org_ids.dedup();
    let names: HashMap<i64, String> = organizations::Entity::find()
        .filter(organizations::Column::Id.is_in(org_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let covered_from = coverage_start(db, org, &ids).await?;
    // The other providers' last visits that took place (dates only), at
    // most a few per person: the newest rows first, capped for the page.
    let happened = [
        VisitStatus::Completed,
        VisitStatus::Attempted,
        VisitStatus::Refused,
    ]
    .map(VisitStatus::as_str);
    let recent: Vec<(Option<i64>, chrono::DateTime<chrono::FixedOffset>)> = visits::Entity::find()
        .select_only()
        .column(visits::Column::RecipientId)
        .column(visits::Column::StartsAt)
        .filter(visits::Column::RecipientId.is_in(ids.clone()))
        .filter(visits::Column::OrganizationId.ne(org))
        .filter(visits::Column::Status.is_in(happened))
        .order_by_desc(visits::Column::StartsAt)
        .limit((ids.len() * 20) as u64)
        .into_tuple()
        .all(db)
        .await?;
    let zone = crate::zone::display();
    let mut last: HashMap<i64, Vec<NaiveDate>> = HashMap::new();
    for (person, at) in recent {
        let Some(person) = person else { continue };
        let list = last.entry(person).or_default();
        let day = at.with_timezone(&zone).date_naive();
        if list.len() < LAST_VISITS && !list.contains(&day) {
            list.push(day);
        }
    }
    let items = people
        .iter()
        .map(|r| HandoverRow {
            recipient: Ref {
                pid: r.pid,
                name: r.name.clone(),
            },
            care_needs: r.care_needs.clone(),
            care_tags: CareTag::ALL
                .iter()
                .filter(|t| r.care_tags.contains(&format!(",{},", t.as_str())))
                .map(|t| t.as_str())
                .collect(),
            covered_from: covered_from.get(&r.id).copied(),
            plans: plans
                .iter()
                .filter(|p| p.recipient_id == Some(r.id))
                .map(|p| OutgoingPlan {
                    pid: p.pid,
                    provider: names.get(&p.organization_id).cloned(),
                    status: p.status.clone(),
                    services: p
                        .services
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                    duration_minutes: p.duration_minutes,
                    words: super::service_plans::plan_words(p, lang),
                })
                .collect(),
            last_visits: last.remove(&r.id).unwrap_or_default(),
        })
        .collect();
    Ok(ListResponse { items, page })
}

/// The page's data.
///
/// # Errors
/// As [`list_json`].
pub async fn list_page(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &HandoverQuery,
    lang: Locale,
) -> AppResult<Value> {
    let list = list_json(db, scope, q, lang).await?;
    let names = crate::models::service_types::Catalogue::load(db)
        .await?
        .names(lang);
    Ok(serde_json::json!({
        "items": list.items, "page": list.page, "base_query": "",
        "today": today(), "service_names": names,
    }))
}

/// A plan form that starts from another provider's plan for a person the
/// caller's organisation serves: its pattern, services and length, from
/// the first day of the caller's coverage (or tomorrow), with no worker
/// yet. `None` when the plan is not one the handover list shows the
/// caller.
///
/// # Errors
/// Database errors.
pub async fn pattern_of(
    db: &DatabaseConnection,
    scope: &Scope,
    plan: &str,
) -> AppResult<Option<(service_plans::Model, recipients::Model, NaiveDate)>> {
    let Some(org) = scope.own_organization() else {
        return Ok(None);
    };
    let Ok(pid) = Uuid::parse_str(plan.trim()) else {
        return Ok(None);
    };
    let Some(p) = service_plans::Entity::find()
        .filter(service_plans::Column::Pid.eq(pid))
        .filter(service_plans::Column::OrganizationId.ne(org))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(person) = p.recipient_id else {
        return Ok(None);
    };
    let Some(r) = recipients::Entity::find_by_id(person)
        .filter(recipients::Column::Id.in_subquery(covered_by_provider(org, scope.today)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let from = coverage_start(db, org, &[r.id]).await?.remove(&r.id);
    let start = from
        .unwrap_or(scope.today)
        .max(scope.today + chrono::Duration::days(1));
    Ok(Some((p, r, start)))
}

/// The first day `org`'s contracts (in force or closed) cover each of
/// `people`.
async fn coverage_start(
    db: &DatabaseConnection,
    org: i64,
    people: &[i64],
) -> AppResult<HashMap<i64, NaiveDate>> {
    let starts: Vec<(i64, Option<NaiveDate>, NaiveDate)> = contract_recipients::Entity::find()
        .select_only()
        .column(contract_recipients::Column::RecipientId)
        .column(contract_recipients::Column::CoveredFrom)
        .column(contracts::Column::StartsOn)
        .join(
            sea_orm::JoinType::InnerJoin,
            contract_recipients::Entity::belongs_to(contracts::Entity)
                .from(contract_recipients::Column::ContractId)
                .to(contracts::Column::Id)
                .into(),
        )
        .filter(contract_recipients::Column::RecipientId.is_in(people.iter().copied()))
        .filter(contracts::Column::OrganizationId.eq(org))
        .filter(contracts::Column::Status.is_in(crate::policy::ACCESS_STATUSES))
        .into_tuple()
        .all(db)
        .await?;
    let mut covered_from: HashMap<i64, NaiveDate> = HashMap::new();
    for (person, from, starts_on) in starts {
        let day = from.unwrap_or(starts_on);
        covered_from
            .entry(person)
            .and_modify(|d| *d = (*d).min(day))
            .or_insert(day);
    }
    Ok(covered_from)
}
