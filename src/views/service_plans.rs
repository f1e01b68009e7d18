//! What the plan pages and the plan API show: plans with their person's
//! name as the viewer may see it, a page of plans loaded with one query
//! for their recipients, and one plan with its coming visits.
use super::recipients::{PlanJson, VisitJson};
use crate::{
    domain::{
        locale::Locale,
        pagination::{PageInfo, PageRequest},
        recurrence_words::{day_and_weekday, describe, local_datetime},
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

/// How a plan reads on the pages: its rule in plain words, its first
/// visit as a local date and time, and its zone only when it is not the
/// display zone.
#[must_use]
pub fn plan_words(p: &service_plans::Model, lang: Locale) -> serde_json::Value {
    let zone: chrono_tz::Tz = p.tzid.parse().unwrap_or_else(|_| crate::zone::display());
    match service_plans::local_time(&p.dtstart) {
        Some(start) => json!({
            "pattern": describe(p.rrule.as_deref(), start, zone, lang),
            "first": local_datetime(start, lang),
            "zone": (zone != crate::zone::display()).then(|| p.tzid.clone()),
        }),
        None => json!({"pattern": "", "first": p.dtstart, "zone": p.tzid}),
    }
}

/// The plan list page: each plan in plain words, with its worker and
/// backup (one query for the names of the whole page).
///
/// # Errors
/// As [`list`].
pub async fn list_page(
    db: &DatabaseConnection,
    scope: &Scope,
    lang: Locale,
    q: &ListQuery,
) -> AppResult<Page> {
    let (rows, page) = service_plans::list(db, scope, None, q.page()).await?;
    let items = load(db, scope, &rows).await?;
    let names = service_plans::worker_names_of(db, &rows).await?;
    let name = |id: Option<i64>| id.and_then(|i| names.get(&i).cloned());
    let items: Vec<serde_json::Value> = rows
        .iter()
        .zip(items)
        .map(|(m, p)| {
            json!({"plan": p, "words": plan_words(m, lang),
                   "worker": name(m.worker_id), "backup": name(m.backup_worker_id)})
        })
        .collect();
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
    let openable = match &r {
        Some(r) => crate::models::recipients::visible_ids(db, scope, vec![r.id])
            .await?
            .contains(&r.id),
        None => false,
    };
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
            "recipient_openable": openable,
            "worker": plan.worker_name(db).await?,
            "backup": service_plans::worker_names_of(db, std::slice::from_ref(plan))
                .await?
                .get(&plan.backup_worker_id.unwrap_or_default())
                .cloned(),
            "words": plan_words(plan, lang),
            "visits": coming.iter().map(|vs| json!({
                "visit": VisitJson::from(vs),
                "when": day_and_weekday(vs.starts_at.with_timezone(&crate::zone::display()).date_naive(), lang),
                "time": vs.starts_at.with_timezone(&crate::zone::display()).format("%H:%M").to_string(),
            })).collect::<Vec<_>>(),
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

#[derive(serde::Deserialize)]
struct WordsArgs {
    rrule: Option<String>,
    dtstart: String,
    tzid: Option<String>,
}

/// `{{ plan_words(rrule=p.rrule, dtstart=p.dtstart, tzid=p.tzid) }}`: a
/// plan's rule in plain words in the page's language, for pages that list
/// plans from their JSON (a recipient's page).
///
/// # Errors
/// Missing arguments.
pub fn plan_words_fn(kwargs: tera::Kwargs, state: &tera::State) -> tera::TeraResult<String> {
    let a: WordsArgs = kwargs.deserialize()?;
    let lang = state
        .get::<String>("lang")?
        .and_then(|l| l.parse::<Locale>().ok())
        .unwrap_or_default();
    let zone: chrono_tz::Tz = a
        .tzid
        .as_deref()
        .and_then(|z| z.parse().ok())
        .unwrap_or_else(crate::zone::display);
    Ok(
        service_plans::local_time(&a.dtstart).map_or_else(String::new, |start| {
            describe(a.rrule.as_deref(), start, zone, lang)
        }),
    )
}
