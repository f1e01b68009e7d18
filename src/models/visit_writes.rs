//! The one funnel for visit writes. Every change of a visit's state —
//! check-in, submission, correction, cancellation, move, reassignment,
//! plan sync, the overdue job, an acceptance's lock — goes through here,
//! inside the caller's transaction:
//!
//! 1. [`claim`]: a conditional `UPDATE … WHERE version = <seen> AND
//!    locked_at IS NULL` on the visit as the caller decided on it. The
//!    loser of a race changes no row and gets 409 (the visit changed
//!    meanwhile); a locked visit gets 422. On PostgreSQL the row stays
//!    locked to the end of the transaction; on SQLite the statement takes
//!    the database's write lock, so it comes first in the transaction.
//! 2. The accepted-period check ([`period_closed`]): nothing may change a
//!    visit on a day of a period accepted for a contract it counts toward.
//! 3. [`Claimed::save`]: the update, the kept fulfilment totals moved by
//!    the visit's difference, and the audit entry.
//!
//! Bulk writes ([`mark_overdue_rows`], [`remove_unstarted`],
//! [`reassign_unstarted`]) are the same rules as one statement per chunk,
//! each conditional on the status it expects, so a visit is counted once
//! however many processes run them.
use super::{
    _entities::{acceptances, contract_recipients, contracts, visits},
    audit_logs::{self, Action},
    fulfilment::{self, Totals},
    Actor,
};
use crate::domain::visit::VisitStatus;
use crate::errors::{AppError, AppResult};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use sea_orm::{
    entity::prelude::*,
    sea_query::{Expr, ExprTrait, Query},
    ConnectionTrait, QuerySelect, QueryTrait,
};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Visits changed per statement in bulk writes (one bound id each).
const CHUNK: usize = 500;

/// The local day a visit falls on (acceptance periods are local days).
#[must_use]
fn day_of(v: &visits::Model) -> NaiveDate {
    v.starts_at
        .with_timezone(&crate::zone::display())
        .date_naive()
}

/// Whether `day` lies in a period accepted for a contract of `org` that
/// covered `recipient` on that day: the visits it would count toward are
/// frozen. A household visit (no one recipient) counts toward none.
///
/// # Errors
/// Database errors.
async fn period_closed<C: ConnectionTrait>(
    db: &C,
    org: i64,
    recipient: Option<i64>,
    day: NaiveDate,
) -> AppResult<bool> {
    let Some(r) = recipient else {
        return Ok(false);
    };
    Ok(!closed_days(db, org, &[r], day, day).await?.is_empty())
}

/// For each of `recipients` (visited by `org`), the accepted periods
/// within `[from, to]` that freeze their visits: (recipient, start, end).
async fn closed_days<C: ConnectionTrait>(
    db: &C,
    org: i64,
    recipients: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<(i64, NaiveDate, NaiveDate)>> {
    let mut covers = Vec::new();
    for chunk in recipients.chunks(CHUNK) {
        covers.extend(
            contract_recipients::Entity::find()
                .filter(contract_recipients::Column::RecipientId.is_in(chunk.to_vec()))
                .all(db)
                .await?,
        );
    }
    if covers.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<i64> = covers.iter().map(|c| c.contract_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut ours = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        ours.extend(
            contracts::Entity::find()
                .select_only()
                .column(contracts::Column::Id)
                .filter(contracts::Column::Id.is_in(chunk.to_vec()))
                .filter(contracts::Column::OrganizationId.eq(org))
                .into_tuple::<i64>()
                .all(db)
                .await?,
        );
    }
    let ours: Vec<i64> = ours.into_iter().collect();
    let mut periods: HashMap<i64, Vec<(NaiveDate, NaiveDate)>> = HashMap::new();
    for chunk in ours.chunks(CHUNK) {
        for a in acceptances::Entity::find()
            .filter(acceptances::Column::ContractId.is_in(chunk.to_vec()))
            .filter(acceptances::Column::PeriodStart.lte(to))
            .filter(acceptances::Column::PeriodEnd.gte(from))
            .all(db)
            .await?
        {
            periods
                .entry(a.contract_id)
                .or_default()
                .push((a.period_start, a.period_end));
        }
    }
    let mut out = Vec::new();
    for cr in covers {
        for &(s, e) in periods.get(&cr.contract_id).into_iter().flatten() {
            // The part of the period in which the contract covered them.
            let s = cr.covered_from.map_or(s, |f| Ord::max(f, s));
            let e = cr.covered_until.map_or(e, |u| Ord::min(u, e));
            if s <= e {
                out.push((cr.recipient_id, s, e));
            }
        }
    }
    Ok(out)
}

/// Of `rows`, those on a day of an accepted period (see
/// [`period_closed`]), by id.
///
/// # Errors
/// Database errors.
async fn closed_among<C: ConnectionTrait>(
    db: &C,
    rows: &[visits::Model],
) -> AppResult<HashSet<i64>> {
    let mut by_org: HashMap<i64, Vec<&visits::Model>> = HashMap::new();
    for v in rows.iter().filter(|v| v.recipient_id.is_some()) {
        by_org.entry(v.organization_id).or_default().push(v);
    }
    let mut out = HashSet::new();
    for (org, vs) in by_org {
        let (Some(from), Some(to)) = (
            vs.iter().map(|v| day_of(v)).min(),
            vs.iter().map(|v| day_of(v)).max(),
        ) else {
            continue;
        };
        let mut people: Vec<i64> = vs.iter().filter_map(|v| v.recipient_id).collect();
        people.sort_unstable();
        people.dedup();
        let closed = closed_days(db, org, &people, from, to).await?;
        for v in vs {
            let d = day_of(v);
            if closed
                .iter()
                .any(|&(r, s, e)| Some(r) == v.recipient_id && s <= d && d <= e)
            {
                out.insert(v.id);
            }
        }
    }
    Ok(out)
}

/// Refuses a new (ad-hoc) visit on a day of an accepted period for its
/// recipient. A plan's visits need no check: they are created from now on,
/// and only periods that are over can be accepted.
///
/// # Errors
/// `starts_at` field error when closed; database errors.
pub async fn ensure_open<C: ConnectionTrait>(
    db: &C,
    org: i64,
    recipient: Option<i64>,
    starts_at: DateTime<Utc>,
) -> AppResult<()> {
    audit_logs::lock_chain(db).await?;
    let day = starts_at
        .with_timezone(&crate::zone::display())
        .date_naive();
    if period_closed(db, org, recipient, day).await? {
        return Err(AppError::field("starts_at", "error-period-accepted"));
    }
    Ok(())
}

/// A visit claimed for one change in the caller's transaction.
#[derive(Debug)]
pub struct Claimed {
    /// The visit as it stands (the version the caller saw, now taken).
    pub visit: visits::Model,
    counted: Totals,
}

fn at(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.into()
}

/// An UPDATE of visits that takes a new version (every write does, so a
/// writer holding an older copy loses its claim), stamped `now`.
fn versioned(now: DateTime<Utc>) -> sea_orm::UpdateMany<visits::Entity> {
    visits::Entity::update_many()
        .col_expr(
            visits::Column::Version,
            Expr::col(visits::Column::Version).add(1),
        )
        .col_expr(visits::Column::UpdatedAt, Expr::value(at(now)))
}

/// Claims `seen` — the visit as the caller loaded it and decided on — for
/// a change. It must be the first write of the transaction.
///
/// # Errors
/// 409 (`Stale`) when the visit changed since it was loaded; 422 when it
/// is locked or on a day of an accepted period; database errors.
pub async fn claim<C: ConnectionTrait>(db: &C, seen: &visits::Model) -> AppResult<Claimed> {
    // Every write that moves kept totals takes the audit chain's lock
    // first, as a rebuild and an acceptance do: one order, no deadlock.
    // (On SQLite this is the write lock, so nothing is read before it.)
    audit_logs::lock_chain(db).await?;
    let res = visits::Entity::update_many()
        .col_expr(
            visits::Column::Version,
            Expr::col(visits::Column::Version).add(1),
        )
        .filter(visits::Column::Id.eq(seen.id))
        .filter(visits::Column::Version.eq(seen.version))
        .filter(visits::Column::LockedAt.is_null())
        .exec(db)
        .await?;
    if res.rows_affected != 1 {
        let now = visits::Entity::find_by_id(seen.id).one(db).await?;
        return Err(match now {
            Some(v) if v.locked_at.is_some() => AppError::field("status", "error-visit-accepted"),
            Some(_) => AppError::Stale("error-visit-changed"),
            None => AppError::NotFound,
        });
    }
    if period_closed(db, seen.organization_id, seen.recipient_id, day_of(seen)).await? {
        return Err(AppError::field("status", "error-visit-accepted"));
    }
    let counted = fulfilment::totals_of(db, seen.id).await?;
    let mut visit = seen.clone();
    visit.version += 1;
    Ok(Claimed { visit, counted })
}

impl Claimed {
    /// Saves the change `am` (made from [`Claimed::visit`]), moves the kept
    /// totals by the visit's difference and records the audit entry
    /// `audit(before, after)` (`None`: the plain field difference).
    ///
    /// # Errors
    /// 422 when the change moves the visit onto a day of an accepted
    /// period; database errors.
    pub async fn save<C: ConnectionTrait>(
        self,
        db: &C,
        actor: &Actor,
        am: visits::ActiveModel,
        audit: impl AsyncFnOnce(&visits::Model, &visits::Model) -> AppResult<Option<Value>>,
    ) -> AppResult<visits::Model> {
        let after = sea_orm::ActiveModelTrait::update(am, db).await?;
        if day_of(&after) != day_of(&self.visit)
            && period_closed(
                db,
                after.organization_id,
                after.recipient_id,
                day_of(&after),
            )
            .await?
        {
            return Err(AppError::field("starts_at", "error-period-accepted"));
        }
        let counts = fulfilment::totals_of(db, after.id).await?;
        fulfilment::apply(db, &self.counted, &counts).await?;
        let changes = match audit(&self.visit, &after).await? {
            Some(c) => c,
            None => audit_logs::change_json(Some(&self.visit), Some(&after)),
        };
        audit_logs::record(
            db,
            actor,
            Action::Update,
            "visits",
            Some(after.pid),
            &changes,
        )
        .await?;
        Ok(after)
    }
}

/// Runs `update` (an `UPDATE visits …` whose conditions say which rows it
/// may change) and returns the ids and pids of the rows it changed: with
/// `RETURNING` on both backends, so two runs at once never both take a
/// row.
async fn update_returning<C: ConnectionTrait>(
    db: &C,
    mut update: sea_orm::sea_query::UpdateStatement,
) -> AppResult<Vec<(i64, Uuid)>> {
    update.returning(Query::returning().columns([visits::Column::Id, visits::Column::Pid]));
    returned(db, &update).await
}

/// The ids and pids a statement with `RETURNING id, pid` gave back.
async fn returned<C: ConnectionTrait, S: sea_orm::StatementBuilder>(
    db: &C,
    stmt: &S,
) -> AppResult<Vec<(i64, Uuid)>> {
    let stmt = db.get_database_backend().build(stmt);
    let rows = db.query_all_raw(stmt).await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<i64>("", "id")?, r.try_get::<Uuid>("", "pid")?)))
        .collect::<Result<Vec<_>, DbErr>>()
        .map_err(Into::into)
}

/// The overdue job's writes: of `late` and `missed` (candidate ids), the
/// visits still scheduled and unlocked are flagged late, and those of
/// `missed` marked missed and counted — each exactly once even when two
/// runs overlap (a check-in in between wins). Missed visits on a day of
/// an accepted period are locked instead of counted. Returns (late,
/// missed, locked) pids with their audit entries written.
///
/// # Errors
/// Database errors.
pub async fn mark_overdue_rows<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    late: &[i64],
    missed: &[i64],
    now: DateTime<Utc>,
) -> AppResult<(usize, usize, usize)> {
    audit_logs::lock_chain(db).await?;
    let mut entries = Vec::new();
    let mut closed = HashSet::new();
    for chunk in missed.chunks(CHUNK) {
        let rows = visits::Entity::find()
            .filter(visits::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?;
        closed.extend(closed_among(db, &rows).await?);
    }
    let closed: Vec<i64> = closed.into_iter().collect();
    let mut locked = 0;
    for chunk in closed.chunks(CHUNK) {
        let rows = update_returning(
            db,
            versioned(now)
                .col_expr(visits::Column::LockedAt, Expr::value(at(now)))
                .filter(visits::Column::Id.is_in(chunk.to_vec()))
                .filter(visits::Column::Status.eq(VisitStatus::Scheduled.as_str()))
                .filter(visits::Column::LockedAt.is_null())
                .into_query(),
        )
        .await?;
        locked += rows.len();
        entries.extend(rows.into_iter().map(|(_, pid)| {
            (
                Action::Update,
                "visits",
                pid,
                serde_json::json!({"locked": {"before": false, "after": true},
                                   "reason": "accepted period"}),
            )
        }));
    }
    let closed: HashSet<i64> = closed.into_iter().collect();
    let mut counts = (0, 0);
    for (ids, is_missed) in [(late, false), (missed, true)] {
        let ids: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|i| !closed.contains(i))
            .collect();
        for chunk in ids.chunks(CHUNK) {
            let mut update = versioned(now)
                .col_expr(visits::Column::Late, Expr::value(true))
                .filter(visits::Column::Id.is_in(chunk.to_vec()))
                .filter(visits::Column::Status.eq(VisitStatus::Scheduled.as_str()))
                .filter(visits::Column::LockedAt.is_null());
            let change = if is_missed {
                update = update.col_expr(
                    visits::Column::Status,
                    Expr::value(VisitStatus::Missed.as_str()),
                );
                serde_json::json!({"status": {"before": VisitStatus::Scheduled.as_str(), "after": VisitStatus::Missed.as_str()}})
            } else {
                update = update.filter(visits::Column::Late.eq(false));
                serde_json::json!({"late": {"before": false, "after": true}})
            };
            let rows = update_returning(db, update.into_query()).await?;
            if is_missed {
                counts.1 += rows.len();
                for (id, _) in &rows {
                    fulfilment::count_new(db, *id).await?;
                }
            } else {
                counts.0 += rows.len();
            }
            entries.extend(
                rows.into_iter()
                    .map(|(_, pid)| (Action::Update, "visits", pid, change.clone())),
            );
        }
    }
    audit_logs::Chain::default()
        .append_many(db, actor, entries)
        .await?;
    Ok((counts.0, counts.1, locked))
}

/// Removes a plan's future visits that fell out of its series: only those
/// still scheduled, not started and unlocked (a scheduled visit counts
/// toward nothing, so the kept totals do not move). Cancelled visits and
/// anything that happened stay: history is never deleted. Returns how
/// many went.
///
/// # Errors
/// Database errors.
pub async fn remove_unstarted<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    ids: &[i64],
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    audit_logs::lock_chain(db).await?;
    let mut entries = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let mut delete = visits::Entity::delete_many()
            .filter(visits::Column::Id.is_in(chunk.to_vec()))
            .filter(visits::Column::Status.eq(VisitStatus::Scheduled.as_str()))
            .filter(visits::Column::CheckedInAt.is_null())
            .filter(visits::Column::LockedAt.is_null())
            .filter(visits::Column::StartsAt.gte(at(now)))
            .into_query();
        delete.returning(Query::returning().columns([visits::Column::Id, visits::Column::Pid]));
        entries.extend(returned(db, &delete).await?.into_iter().map(|(_, pid)| {
            (
                Action::Delete,
                "visits",
                pid,
                serde_json::json!({"status": {"before": VisitStatus::Scheduled.as_str(), "after": null},
                                   "reason": reason}),
            )
        }));
    }
    let removed = entries.len() as u64;
    audit_logs::Chain::default()
        .append_many(db, actor, entries)
        .await?;
    Ok(removed)
}

/// Cancels visits that have not started, with `reason` kept on each (a
/// handover: the provider no longer covers the person on those days).
/// Only those still scheduled, not started and unlocked; a scheduled visit
/// counts toward nothing, so the kept totals do not move. They stay as
/// history. Returns how many were cancelled.
///
/// # Errors
/// Database errors.
pub async fn cancel_unstarted<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    ids: &[i64],
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    audit_logs::lock_chain(db).await?;
    let mut entries = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let mut update = visits::Entity::update_many()
            .col_expr(
                visits::Column::Status,
                Expr::value(VisitStatus::Cancelled.as_str()),
            )
            .col_expr(visits::Column::CancelReason, Expr::value(reason))
            .col_expr(
                visits::Column::Version,
                Expr::col(visits::Column::Version).add(1),
            )
            .col_expr(visits::Column::UpdatedAt, Expr::value(at(now)))
            .filter(visits::Column::Id.is_in(chunk.to_vec()))
            .filter(visits::Column::Status.eq(VisitStatus::Scheduled.as_str()))
            .filter(visits::Column::CheckedInAt.is_null())
            .filter(visits::Column::LockedAt.is_null())
            .filter(visits::Column::StartsAt.gte(at(now)))
            .into_query();
        update.returning(Query::returning().columns([visits::Column::Id, visits::Column::Pid]));
        entries.extend(returned(db, &update).await?.into_iter().map(|(_, pid)| {
            (
                Action::Update,
                "visits",
                pid,
                serde_json::json!({
                    "status": {"before": VisitStatus::Scheduled.as_str(),
                               "after": VisitStatus::Cancelled.as_str()},
                    "reason": reason,
                }),
            )
        }));
    }
    let cancelled = entries.len() as u64;
    audit_logs::Chain::default()
        .append_many(db, actor, entries)
        .await?;
    Ok(cancelled)
}

/// Brings one future visit of a plan in line with a changed plan (its
/// worker, end and zone), if it is still scheduled, not started, unlocked
/// and as `seen`; a scheduled visit counts toward nothing, so the kept
/// totals do not move. Returns whether it changed.
///
/// # Errors
/// Database errors.
pub async fn follow_plan<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    seen: &visits::Model,
    worker: Option<i64>,
    ends_at: DateTime<FixedOffset>,
    tzid: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    audit_logs::lock_chain(db).await?;
    let res = versioned(now)
        .col_expr(visits::Column::WorkerId, Expr::value(worker))
        .col_expr(visits::Column::EndsAt, Expr::value(ends_at))
        .col_expr(visits::Column::Tzid, Expr::value(tzid))
        .filter(visits::Column::Id.eq(seen.id))
        .filter(visits::Column::Version.eq(seen.version))
        .filter(visits::Column::Status.eq(VisitStatus::Scheduled.as_str()))
        .filter(visits::Column::LockedAt.is_null())
        .exec(db)
        .await?;
    if res.rows_affected != 1 {
        return Ok(false);
    }
    let mut changes = serde_json::json!({});
    for (key, before, after) in [
        (
            "worker_id",
            serde_json::json!(seen.worker_id),
            serde_json::json!(worker),
        ),
        (
            "ends_at",
            serde_json::json!(seen.ends_at),
            serde_json::json!(ends_at),
        ),
        (
            "tzid",
            serde_json::json!(seen.tzid),
            serde_json::json!(tzid),
        ),
    ] {
        if before != after {
            changes[key] = serde_json::json!({"before": before, "after": after});
        }
    }
    changes["reason"] = serde_json::json!("the plan changed");
    audit_logs::record(
        db,
        actor,
        Action::Update,
        "visits",
        Some(seen.pid),
        &changes,
    )
    .await?;
    Ok(true)
}

/// Hands the visits among `ids` still with worker `from` — scheduled, not
/// started, unlocked — to `worker` (an exception of their series); returns
/// the ids and pids it changed. A visit checked in or reassigned meanwhile
/// is left alone.
///
/// # Errors
/// Database errors.
pub async fn reassign_unstarted<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    from: i64,
    worker: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<Vec<(i64, Uuid)>> {
    audit_logs::lock_chain(db).await?;
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        out.extend(
            update_returning(
                db,
                versioned(now)
                    .col_expr(visits::Column::WorkerId, Expr::value(worker))
                    .col_expr(visits::Column::Exception, Expr::value(true))
                    .filter(visits::Column::Id.is_in(chunk.to_vec()))
                    .filter(visits::Column::WorkerId.eq(from))
                    .filter(visits::Column::Status.eq(VisitStatus::Scheduled.as_str()))
                    .filter(visits::Column::LockedAt.is_null())
                    .filter(visits::Column::StartsAt.gte(at(now)))
                    .into_query(),
            )
            .await?,
        );
    }
    Ok(out)
}
