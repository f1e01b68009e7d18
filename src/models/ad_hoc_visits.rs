//! Ad-hoc visits (临时走访): a visit without a plan, logged with the reason
//! it happened (a neighbour called, a health scare, a visit after the
//! fact). Workers log them for the people they already visit; coordinators
//! for anyone their organisation serves, naming the worker.
use super::{
    _entities::{recipients, service_plans, users, villages, visits},
    audit_logs::{self, Action},
    find_scoped, scoped,
    service_plans::{local_time, worker_of},
    Actor,
};
use crate::domain::visit::VisitStatus;
use crate::{
    domain::form::loose,
    domain::{privacy, recurrence::resolve, role::Role, text},
    errors::{AppError, AppResult, FieldErrors},
    policy::Scope,
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    entity::prelude::*, ActiveValue::Set, Condition, ConnectionTrait, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

/// How far back an ad-hoc visit may be logged after the fact.
const AFTER_THE_FACT: i64 = 7;

/// An ad-hoc visit as typed into the form or sent to the API.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AdHocParams {
    #[serde(default, deserialize_with = "loose")]
    pub client_id: Option<String>,
    /// The recipient's pid.
    #[serde(default, deserialize_with = "loose")]
    pub recipient: Option<String>,
    /// The worker's pid (coordinators only; a worker logs their own).
    #[serde(default, deserialize_with = "loose")]
    pub worker: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub reason: Option<String>,
    /// Local start (`2026-12-03T14:00`, Asia/Shanghai); default now.
    #[serde(default, deserialize_with = "loose")]
    pub starts_at: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub duration_minutes: Option<String>,
}

/// Someone a worker may log an ad-hoc visit for, as the worker sees them.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub pid: Uuid,
    pub name: String,
    pub village: String,
}

/// The people a worker visits: of their visits within 90 days either side
/// of `now` and of the plans they are the worker or backup of (at most 200,
/// by name).
///
/// # Errors
/// Database errors.
pub async fn workers_recipients<C: ConnectionTrait>(
    db: &C,
    worker_id: i64,
    now: DateTime<Utc>,
) -> AppResult<Vec<recipients::Model>> {
    let window = |d: i64| DateTime::<chrono::FixedOffset>::from(now + Duration::days(d));
    let from_visits: Vec<i64> = visits::Entity::find()
        .select_only()
        .column(visits::Column::RecipientId)
        .distinct()
        .filter(visits::Column::WorkerId.eq(worker_id))
        .filter(visits::Column::RecipientId.is_not_null())
        .filter(visits::Column::StartsAt.between(window(-90), window(90)))
        .into_tuple::<Option<i64>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let from_plans: Vec<i64> = service_plans::Entity::find()
        .select_only()
        .column(service_plans::Column::RecipientId)
        .distinct()
        .filter(
            Condition::any()
                .add(service_plans::Column::WorkerId.eq(worker_id))
                .add(service_plans::Column::BackupWorkerId.eq(worker_id)),
        )
        .filter(service_plans::Column::Status.eq("active"))
        .into_tuple::<Option<i64>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    Ok(recipients::Entity::find()
        .filter(
            Condition::any()
                .add(recipients::Column::Id.is_in(from_visits))
                .add(recipients::Column::Id.is_in(from_plans)),
        )
        .filter(recipients::Column::Status.ne("exited"))
        .order_by_asc(recipients::Column::Name)
        .limit(200)
        .all(db)
        .await?)
}

/// `workers_recipients` as a worker sees them: masked names and villages.
///
/// # Errors
/// Database errors.
pub async fn choices<C: ConnectionTrait>(
    db: &C,
    worker_id: i64,
    now: DateTime<Utc>,
) -> AppResult<Vec<Choice>> {
    let people = workers_recipients(db, worker_id, now).await?;
    let village_ids: Vec<i64> = people.iter().map(|r| r.village_id).collect();
    let names: std::collections::HashMap<i64, String> = villages::Entity::find()
        .filter(villages::Column::Id.is_in(village_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    Ok(people
        .iter()
        .map(|r| Choice {
            pid: r.pid,
            name: crate::views::person::PersonView::name_for(Role::Worker, &r.name, false),
            village: names.get(&r.village_id).cloned().unwrap_or_default(),
        })
        .collect())
}

/// The people with a planned (not ad-hoc), not cancelled visit assigned to
/// the worker whose day (display zone) is at the door on `today`
/// (`privacy::at_the_door`): the only ones whose home point the worker's
/// phone may hold, and the only ones an ad-hoc visit shows whole (an
/// ad-hoc visit the worker made themselves must not open the door to
/// anyone they can pick).
///
/// # Errors
/// Database errors.
pub async fn at_the_door<C: ConnectionTrait>(
    db: &C,
    worker_id: i64,
    today: chrono::NaiveDate,
) -> AppResult<std::collections::HashSet<i64>> {
    let midnight = |d: chrono::NaiveDate| {
        DateTime::<chrono::FixedOffset>::from(resolve(
            crate::zone::display(),
            d.and_time(chrono::NaiveTime::MIN),
        ))
    };
    let rows: Vec<(Option<i64>, DateTimeWithTimeZone)> = visits::Entity::find()
        .select_only()
        .column(visits::Column::RecipientId)
        .column(visits::Column::StartsAt)
        .filter(visits::Column::WorkerId.eq(worker_id))
        .filter(visits::Column::RecipientId.is_not_null())
        .filter(visits::Column::Status.ne(VisitStatus::Cancelled.as_str()))
        .filter(visits::Column::PlanId.is_not_null())
        .filter(
            visits::Column::StartsAt
                .gte(midnight(today - Duration::days(privacy::DOOR_DAYS_AFTER))),
        )
        .filter(visits::Column::StartsAt.lt(midnight(
            today + Duration::days(privacy::DOOR_DAYS_BEFORE + 1),
        )))
        .limit(1000)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, at)| {
            privacy::at_the_door(
                at.with_timezone(&crate::zone::display()).date_naive(),
                today,
            )
        })
        .filter_map(|(r, _)| r)
        .collect())
}

/// The recipient named by `raw`, if the caller may log a visit for them.
async fn recipient_for(
    db: &DatabaseConnection,
    scope: &Scope,
    caller: &users::Model,
    raw: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Option<recipients::Model>> {
    let Some(pid) = raw.map(str::trim).and_then(|s| Uuid::parse_str(s).ok()) else {
        return Ok(None);
    };
    let found = if caller.role == Role::Worker.as_str() {
        workers_recipients(db, caller.id, now)
            .await?
            .into_iter()
            .find(|r| r.pid == pid)
    } else {
        find_scoped(
            db,
            scoped(
                recipients::Entity::find().filter(recipients::Column::Pid.eq(pid)),
                scope.recipients(),
            ),
        )
        .await
        .ok()
    };
    Ok(found.filter(|r| r.status != "exited"))
}

/// Checks an ad-hoc visit: the visit to insert (scheduled, ready to check
/// in to), not yet written.
///
/// # Errors
/// Field errors (`recipient`, `worker`, `reason`, `starts_at`,
/// `duration_minutes`); `NotFound` for callers who may not log visits;
/// database errors.
pub async fn check(
    db: &DatabaseConnection,
    scope: &Scope,
    caller: &users::Model,
    p: &AdHocParams,
    now: DateTime<Utc>,
) -> AppResult<visits::ActiveModel> {
    let is_worker = caller.role == Role::Worker.as_str();
    if !is_worker && !scope.may_manage_plans() {
        return Err(AppError::NotFound);
    }
    let mut e = FieldErrors::new();
    let recipient = recipient_for(db, scope, caller, p.recipient.as_deref(), now).await?;
    if recipient.is_none() {
        e.add("recipient", "error-choose-recipient");
    }
    // A provider logs visits only to the people it serves today.
    if let Some(r) = &recipient {
        if scope.served_today().is_some()
            && super::recipients::served_among(db, scope, &[r.id])
                .await?
                .is_empty()
        {
            e.add("recipient", "error-not-served");
        }
    }
    let organization_id = if is_worker {
        caller.organization_id
    } else {
        scope
            .own_organization()
            .or_else(|| recipient.as_ref().and_then(|r| r.organization_id))
    };
    if recipient.is_some() && organization_id.is_none() {
        e.add("recipient", "error-no-organization");
    }
    let worker_id = if is_worker {
        Some(caller.id)
    } else {
        match worker_of(db, p.worker.as_deref(), organization_id.unwrap_or_default()).await? {
            Ok(Some(id)) => Some(id),
            _ => {
                e.add("worker", "error-choose-worker");
                None
            }
        }
    };
    let reason = e.take(
        "reason",
        text::required(p.reason.as_deref().unwrap_or_default(), 200),
        |x| x.message_key(),
    );
    let starts_at = match p
        .starts_at
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Some(now),
        Some(s) => {
            let t = local_time(s)
                .map(|l| resolve(crate::zone::display(), l))
                .filter(|t| {
                    *t >= now - Duration::days(AFTER_THE_FACT) && *t <= now + Duration::hours(12)
                });
            if t.is_none() {
                e.add("starts_at", "error-ad-hoc-start");
            }
            t
        }
    };
    let minutes = match p
        .duration_minutes
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Some(60),
        Some(s) => {
            let m = s.parse::<i64>().ok().filter(|m| (5..=720).contains(m));
            if m.is_none() {
                e.add("duration_minutes", "error-duration");
            }
            m
        }
    };
    e.into_result(|| Some(()))?;
    let (Some(r), Some(org), Some(start), Some(minutes), Some(reason)) =
        (recipient, organization_id, starts_at, minutes, reason)
    else {
        return Err(AppError::field("recipient", "error-choose-recipient"));
    };
    Ok(visits::ActiveModel {
        organization_id: Set(org),
        recipient_id: Set(Some(r.id)),
        household_id: Set(r.household_id),
        township_id: Set(r.township_id),
        worker_id: Set(worker_id),
        starts_at: Set(start.into()),
        ends_at: Set((start + Duration::minutes(minutes)).into()),
        tzid: Set(crate::zone::display().name().to_string()),
        status: Set(VisitStatus::Scheduled.as_str().into()),
        exception: Set(false),
        ad_hoc_reason: Set(Some(reason)),
        ..Default::default()
    })
}

/// Inserts a checked ad-hoc visit and its audit entry.
///
/// # Errors
/// Database errors.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    am: visits::ActiveModel,
) -> AppResult<visits::Model> {
    use sea_orm::ActiveModelTrait;
    // Nothing is added to an accepted period (checked in the transaction
    // that inserts, so an acceptance decided meanwhile is seen; one
    // committed just after leaves this visit unable to change: every later
    // write re-checks).
    if let (
        sea_orm::ActiveValue::Set(org),
        sea_orm::ActiveValue::Set(recipient),
        sea_orm::ActiveValue::Set(start),
    ) = (&am.organization_id, &am.recipient_id, &am.starts_at)
    {
        super::visit_writes::ensure_open(db, *org, *recipient, start.with_timezone(&chrono::Utc))
            .await?;
    }
    let m = am.insert(db).await?;
    audit_logs::record_change(db, actor, Action::Create, "visits", m.pid, None, Some(&m)).await?;
    Ok(m)
}

/// Checks and inserts an ad-hoc visit in one transaction (the page form;
/// the API adds idempotency around [`check`] and [`insert`]).
///
/// # Errors
/// As [`check`] and [`insert`].
pub async fn add(
    db: &DatabaseConnection,
    scope: &Scope,
    caller: &users::Model,
    actor: &Actor,
    p: &AdHocParams,
    now: DateTime<Utc>,
) -> AppResult<visits::Model> {
    use sea_orm::TransactionTrait;
    let am = check(db, scope, caller, p, now).await?;
    let txn = db.begin().await?;
    let m = insert(&txn, actor, am).await?;
    txn.commit().await?;
    Ok(m)
}

/// Someone on a worker's ad-hoc form, with the home point a check-in is
/// measured against when the form may hold it.
#[derive(Debug, Clone, Serialize)]
pub struct ChoiceWithHome {
    pub pid: Uuid,
    pub name: String,
    pub village: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// The people a worker may log an ad-hoc visit for (masked names), each
/// with the home point a check-in is measured against only when the worker
/// has a visit of theirs at the door (`privacy::at_the_door`): the form is
/// kept offline on the phone, and the home of everyone they visit within
/// 90 days is more than the door needs. Without it, door.js queues a check-in
/// without asking the location reason and the server measures the distance.
///
/// # Errors
/// Database errors.
pub async fn choices_with_homes<C: ConnectionTrait>(
    db: &C,
    worker_id: i64,
    today: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<Vec<ChoiceWithHome>> {
    let door = at_the_door(db, worker_id, today).await?;
    let homes: std::collections::HashMap<Uuid, (Option<f64>, Option<f64>)> =
        workers_recipients(db, worker_id, now)
            .await?
            .into_iter()
            .filter(|r| door.contains(&r.id))
            .map(|r| (r.pid, (r.latitude, r.longitude)))
            .collect();
    Ok(choices(db, worker_id, now)
        .await?
        .into_iter()
        .map(|c| {
            let (lat, lon) = homes.get(&c.pid).copied().unwrap_or((None, None));
            ChoiceWithHome {
                pid: c.pid,
                name: c.name,
                village: c.village,
                lat,
                lon,
            }
        })
        .collect())
}
