//! Acceptance of a period (履约验收): an official freezes the period's
//! fulfilment as a snapshot, locks its visits (no more corrections) and
//! meets the milestone it pays.
pub use super::_entities::acceptances::{self, ActiveModel, Column, Entity, Model};
use super::{
    _entities::{contracts, users, visits},
    audit_logs::{self, Action},
    fulfilment::{self, Report},
    milestones, Actor,
};
use crate::{
    domain::form::loose,
    domain::{date_input::parse_date, text},
    errors::{AppError, AppResult, FieldErrors},
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    entity::prelude::*, sea_query::Expr, ActiveValue::Set, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};

super::pid_and_timestamps!();

/// An acceptance as sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AcceptanceParams {
    #[serde(default, deserialize_with = "loose")]
    pub period_start: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub period_end: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub note: Option<String>,
    /// The note may go into the public pack and the OCDS release
    /// (`true`, or a checked box).
    #[serde(default, deserialize_with = "loose")]
    pub public: Option<String>,
    /// The milestone it pays (pid), if any.
    #[serde(default, deserialize_with = "loose")]
    pub milestone: Option<String>,
}

/// One acceptance as people read it.
#[derive(Debug, Clone, Serialize)]
pub struct AcceptanceJson {
    pub pid: Uuid,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub accepted_by: String,
    pub accepted_at: DateTimeWithTimeZone,
    pub note: Option<String>,
    /// Whether its author marked the note public.
    pub public: bool,
    pub locked_visits: i64,
    pub snapshot: Option<serde_json::Value>,
}

/// The acceptances of a contract, latest period first.
///
/// # Errors
/// Database errors.
pub async fn of_contract(
    db: &DatabaseConnection,
    contract_id: i64,
) -> AppResult<Vec<AcceptanceJson>> {
    let rows = Entity::find()
        .filter(Column::ContractId.eq(contract_id))
        .order_by_desc(Column::PeriodEnd)
        .limit(200)
        .all(db)
        .await?;
    // Who accepted them: one query for the whole list.
    let mut ids: Vec<i64> = rows.iter().map(|r| r.accepted_by_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let names: std::collections::HashMap<i64, String> = users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| AcceptanceJson {
            pid: r.pid,
            period_start: r.period_start,
            period_end: r.period_end,
            accepted_by: names.get(&r.accepted_by_id).cloned().unwrap_or_default(),
            accepted_at: r.created_at,
            note: r.note,
            public: r.public,
            locked_visits: r.locked_visits,
            snapshot: serde_json::from_str(&r.snapshot).ok(),
        })
        .collect())
}

/// The last day of the latest accepted period of a contract.
///
/// # Errors
/// Database errors.
pub async fn accepted_until<C: ConnectionTrait>(
    db: &C,
    contract_id: i64,
) -> AppResult<Option<NaiveDate>> {
    Ok(Entity::find()
        .filter(Column::ContractId.eq(contract_id))
        .order_by_desc(Column::PeriodEnd)
        .one(db)
        .await?
        .map(|a| a.period_end))
}

fn start_of(day: NaiveDate) -> DateTime<chrono::FixedOffset> {
    crate::domain::recurrence::resolve(crate::zone::display(), day.and_time(chrono::NaiveTime::MIN))
        .into()
}

/// Value delivered over value contracted, in percent, from a snapshot.
fn delivered_percent(r: &Report) -> f64 {
    let (mut done, mut bought) = (0i128, 0i128);
    for i in &r.items {
        done += i128::from(
            i.value_fen.min(
                i64::try_from(i128::from(i.quantity_milli) * i128::from(i.unit_price_fen) / 1000)
                    .unwrap_or(i64::MAX),
            ),
        );
        bought += i128::from(i.quantity_milli) * i128::from(i.unit_price_fen) / 1000;
    }
    if bought == 0 {
        0.0
    } else {
        (done as f64 * 1000.0 / bought as f64).round() / 10.0
    }
}

/// Accepts a period of a contract in force (or closed): the figures as of
/// its last day are frozen, its visits locked, the chosen milestone met
/// (or, for a delivery milestone, judged against the delivery).
///
/// # Errors
/// Field errors (a period outside the contract, not over yet, or
/// overlapping an accepted one; an unknown or settled milestone);
/// `status` for a draft; database errors.
pub async fn accept(
    db: &DatabaseConnection,
    actor: &Actor,
    c: &contracts::Model,
    p: &AcceptanceParams,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<Model> {
    if c.status == "draft" {
        return Err(AppError::field("status", "error-contract-not-active"));
    }
    let mut e = FieldErrors::new();
    let start = e.take(
        "period_start",
        parse_date(p.period_start.as_deref().unwrap_or_default()),
        |x| x.message_key(),
    );
    let end = e.take(
        "period_end",
        parse_date(p.period_end.as_deref().unwrap_or_default()),
        |x| x.message_key(),
    );
    if let (Some(s), Some(en)) = (start, end) {
        if en < s {
            e.add("period_end", "error-date-order");
        } else if s < c.starts_on || en > c.ends_on {
            e.add("period_start", "error-acceptance-outside");
        } else if en >= today {
            e.add("period_end", "error-acceptance-not-over");
        }
    }
    let note = e
        .take("note", text::optional(p.note.as_deref(), 2000), |x| {
            x.message_key()
        })
        .flatten();
    let public = crate::domain::form::checked(p.public.as_deref());
    let milestone = match milestones::named(db, c.id, p.milestone.as_deref()).await? {
        None => None,
        Some(Some(m)) if m.status == "scheduled" => Some(m),
        Some(_) => {
            e.add("milestone", "error-milestone-choose");
            None
        }
    };
    let (start, end) = e.into_result(|| Some((start?, end?)))?;
    let txn = db.begin().await?;
    // Decided against the contract as it stands now (an amendment decided
    // or another acceptance made meanwhile is seen), and its visits locked
    // before the figures are frozen: a write that won the race on a visit
    // is in the snapshot, one that lost it is refused.
    super::contracts::lock_row(&txn, c.id).await?;
    if accepted_until(&txn, c.id)
        .await?
        .is_some_and(|last| start <= last)
    {
        return Err(AppError::field("period_start", "error-acceptance-overlap"));
    }
    let covered = super::fulfilment::covered_visit(db.get_database_backend(), c.id, "visits");
    let locked = visits::Entity::update_many()
        .col_expr(
            visits::Column::LockedAt,
            Expr::value(DateTime::<chrono::FixedOffset>::from(now)),
        )
        .col_expr(
            visits::Column::Version,
            sea_orm::sea_query::ExprTrait::add(Expr::col(visits::Column::Version), 1),
        )
        .filter(visits::Column::OrganizationId.eq(c.organization_id))
        .filter(covered)
        .filter(visits::Column::StartsAt.gte(start_of(start)))
        .filter(visits::Column::StartsAt.lt(start_of(end + Duration::days(1))))
        .filter(visits::Column::LockedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    let report = fulfilment::report(&txn, c, end, now).await?;
    let a = ActiveModel {
        contract_id: Set(c.id),
        period_start: Set(start),
        period_end: Set(end),
        accepted_by_id: Set(actor.user_id.unwrap_or_default()),
        note: Set(note),
        public: Set(public),
        snapshot: Set(serde_json::to_string(&report).unwrap_or_default()),
        locked_visits: Set(i64::try_from(locked).unwrap_or(i64::MAX)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut chain = audit_logs::Chain::default();
    chain
        .append(
            &txn,
            actor,
            Action::Create,
            "acceptances",
            Some(a.pid),
            &serde_json::json!({
                "contract": c.pid.to_string(),
                "period_start": start, "period_end": end,
                "locked_visits": locked, "public": public,
            }),
        )
        .await?;
    if let Some(m) = milestone {
        let status = milestones::status_at_acceptance(&m, delivered_percent(&report));
        let mut am: milestones::ActiveModel = m.clone().into();
        am.status = Set(status.to_string());
        am.acceptance_id = Set(Some(a.id));
        let after = am.update(&txn).await?;
        chain
            .append_change(
                &txn,
                actor,
                Action::Update,
                "milestones",
                after.pid,
                Some(&m),
                Some(&after),
            )
            .await?;
    }
    txn.commit().await?;
    Ok(a)
}

/// One visit of an accepted period, as the acceptance pack lists it.
#[derive(Debug, Clone, Serialize)]
pub struct PackVisit {
    pub starts_at: DateTimeWithTimeZone,
    pub recipient: String,
    pub worker: String,
    pub status: String,
    pub late: bool,
    pub location_exception: bool,
    pub service_minutes: i64,
    pub material_fen: i64,
    pub confirmed: bool,
}

/// The most visits one pack lists.
const PACK_LIMIT: u64 = 50_000;

/// The visits an acceptance locked (those of its period for covered
/// recipients), in time order, with their service minutes and material
/// value.
///
/// # Errors
/// Database errors.
pub async fn period_visits(
    db: &DatabaseConnection,
    c: &contracts::Model,
    a: &Model,
) -> AppResult<Vec<PackVisit>> {
    use super::_entities::{recipients, visit_material_lines, visit_service_lines};
    use std::collections::HashMap;
    let covered = super::fulfilment::covered_visit(db.get_database_backend(), c.id, "visits");
    let rows = visits::Entity::find()
        .filter(visits::Column::OrganizationId.eq(c.organization_id))
        .filter(covered)
        .filter(visits::Column::StartsAt.gte(start_of(a.period_start)))
        .filter(visits::Column::StartsAt.lt(start_of(a.period_end + Duration::days(1))))
        .order_by_asc(visits::Column::StartsAt)
        .limit(PACK_LIMIT)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|v| v.id).collect();
    let mut minutes: HashMap<i64, i64> = HashMap::new();
    let mut material: HashMap<i64, i64> = HashMap::new();
    for chunk in ids.chunks(500) {
        for l in visit_service_lines::Entity::find()
            .filter(visit_service_lines::Column::VisitId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            *minutes.entry(l.visit_id).or_default() += l.minutes;
        }
        for l in visit_material_lines::Entity::find()
            .filter(visit_material_lines::Column::VisitId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            *material.entry(l.visit_id).or_default() += l.value_fen;
        }
    }
    let mut people_ids: Vec<i64> = rows.iter().filter_map(|v| v.recipient_id).collect();
    people_ids.sort_unstable();
    people_ids.dedup();
    let people: HashMap<i64, String> = recipients::Entity::find()
        .filter(recipients::Column::Id.is_in(people_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let mut worker_ids: Vec<i64> = rows.iter().filter_map(|v| v.worker_id).collect();
    worker_ids.sort_unstable();
    worker_ids.dedup();
    let workers: HashMap<i64, String> = users::Entity::find()
        .filter(users::Column::Id.is_in(worker_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(rows
        .iter()
        .map(|v| PackVisit {
            starts_at: v.starts_at,
            recipient: v
                .recipient_id
                .and_then(|id| people.get(&id).cloned())
                .unwrap_or_default(),
            worker: v
                .worker_id
                .and_then(|id| workers.get(&id).cloned())
                .unwrap_or_default(),
            status: v.status.clone(),
            late: v.late,
            location_exception: v.location_exception,
            service_minutes: minutes.get(&v.id).copied().unwrap_or(0),
            material_fen: material.get(&v.id).copied().unwrap_or(0),
            confirmed: v.confirmed_by.is_some() || v.no_confirmation_reason.is_some(),
        })
        .collect())
}

/// One acceptance of `c` by pid.
///
/// # Errors
/// `NotFound`; database errors.
pub async fn load(db: &DatabaseConnection, c: &contracts::Model, pid: Uuid) -> AppResult<Model> {
    Entity::find()
        .filter(Column::ContractId.eq(c.id))
        .filter(Column::Pid.eq(pid))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}
