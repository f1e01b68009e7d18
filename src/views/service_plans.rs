//! What the plan pages and the plan API show: plans with their person's
//! name as the viewer may see it, a page of plans loaded with one query
//! for their recipients, and one plan with its coming visits.
use super::recipients::{PlanJson, VisitJson};
use crate::{
    domain::{
        locale::Locale,
        pagination::{PageInfo, PageRequest},
    },
    errors::AppResult,
    models::{
        _entities::recipients, contracts, plan_changes::VisitSync, service_plans,
        service_types::Catalogue, visits,
    },
    policy::{Scope, Visible},
    views::person::PersonView,
    web::{input::ListQuery, Page},
};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde_json::json;

/// A plan as the caller may see it: its person's name through
/// `PersonView::name_for`. A plan is never the door, so workers see 单**.
#[must_use]
pub fn plan_json(
    scope: &Scope,
    p: &service_plans::Model,
    r: Option<&recipients::Model>,
) -> PlanJson {
    let shown = r.map(|r| recipients::Model {
        name: PersonView::name_for(scope.role(), &r.name, false),
        ..r.clone()
    });
    PlanJson::new(p, shown.as_ref())
}

/// Plans as the caller may see them, with one query for the recipients of
/// all of them.
///
/// # Errors
/// Database errors.
pub async fn load(
    db: &DatabaseConnection,
    scope: &Scope,
    plans: &[service_plans::Model],
) -> AppResult<Vec<PlanJson>> {
    let people = service_plans::recipients_of(db, plans).await?;
    Ok(plans
        .iter()
        .map(|p| plan_json(scope, p, p.recipient_id.and_then(|id| people.get(&id))))
        .collect())
}

/// One plan as the caller may see it.
///
/// # Errors
/// Database errors.
pub async fn one(
    db: &DatabaseConnection,
    scope: &Scope,
    plan: &service_plans::Model,
) -> AppResult<PlanJson> {
    let r = service_plans::recipient_of(db, plan).await?;
    Ok(plan_json(scope, plan, r.as_ref()))
}

/// A page of the caller's plans, newest first: one query for the plans,
/// one for their count, one for their recipients.
///
/// # Errors
/// `NotFound` for callers who see no plans; database errors.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ListQuery,
) -> AppResult<(Vec<PlanJson>, PageInfo)> {
    let (rows, page) = service_plans::list(db, scope, None, q.page()).await?;
    Ok((load(db, scope, &rows).await?, page))
}

/// The plan list page.
///
/// # Errors
/// As [`list`].
pub async fn list_page(
    db: &DatabaseConnection,
    scope: &Scope,
    lang: Locale,
    q: &ListQuery,
) -> AppResult<Page> {
    let (items, page) = list(db, scope, q).await?;
    Ok(Page::new(
        "service_plans/list.html",
        json!({"items": items, "page": page, "base_query": q.without_page(),
               "service_names": Catalogue::load(db).await?.names(lang)}),
    ))
}

/// One plan's page: the plan, its worker, its visits of the coming year
/// (the first 20), the plan it was split from, and the contract items it
/// is delivered under.
///
/// # Errors
/// Database errors.
pub async fn show_page(
    db: &DatabaseConnection,
    scope: &Scope,
    lang: Locale,
    plan: &service_plans::Model,
) -> AppResult<Page> {
    let r = service_plans::recipient_of(db, plan).await?;
    let now = chrono::Utc::now();
    let (coming, _) = visits::list(
        db,
        scope,
        now - chrono::Duration::hours(12),
        now + chrono::Duration::days(366),
        Some(plan.id),
        PageRequest::parse(None, Some("20")),
    )
    .await?;
    Ok(Page::new(
        "service_plans/show.html",
        json!({
            "plan": plan_json(scope, plan, r.as_ref()),
            "recipient_openable": r.as_ref().is_some_and(|r| scope.sees_recipient(r)),
            "worker": plan.worker_name(db).await?,
            "visits": coming.iter().map(VisitJson::from).collect::<Vec<_>>(),
            "may_manage": scope.may_manage_plans(),
            "split_from": plan.split_from_pid(db).await?,
            "service_names": Catalogue::load(db).await?.names(lang),
            "contract_items": contracts::items_for_plan(db, plan, crate::models::today()).await?,
            "sees_contracts": !matches!(scope.contracts(), Visible::Nothing),
        }),
    ))
}

/// The answer to a change or an end: the plan after it, and what happened
/// to its visits.
#[derive(Debug, Serialize)]
pub struct PlanChangeJson {
    pub plan: PlanJson,
    pub visits: VisitSync,
}

impl PlanChangeJson {
    /// # Errors
    /// Database errors.
    pub async fn load(
        db: &DatabaseConnection,
        scope: &Scope,
        (plan, visits): (service_plans::Model, VisitSync),
    ) -> AppResult<Self> {
        Ok(Self {
            plan: one(db, scope, &plan).await?,
            visits,
        })
    }
}
