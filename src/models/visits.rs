//! Visits (上门服务): one occurrence of a plan (or, later, an ad-hoc
//! visit). This issue creates them from plans; the visits issue records
//! what happened at the door.
pub use super::_entities::visits::{self, ActiveModel, Column, Entity, Model};
use super::{
    _entities::{households, recipients, service_plans, users, villages},
    audit_logs::{self, Action},
    fetch_page, find_scoped, scoped, Actor,
};
use crate::domain::visit::VisitStatus;
use crate::{
    domain::{
        conflicts::{overlaps, ConflictKind, Slot},
        pagination::{PageInfo, PageRequest},
        recurrence::resolve,
    },
    errors::{AppError, AppResult},
    policy::Scope,
};
use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::{
    entity::prelude::*, ActiveValue::Set, Condition, ConnectionTrait, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

super::pid_and_timestamps!();

/// # Errors
/// `NotFound` when missing or out of scope.
pub async fn load(db: &DatabaseConnection, scope: &Scope, pid: Uuid) -> AppResult<Model> {
    find_scoped(
        db,
        scoped(Entity::find().filter(Column::Pid.eq(pid)), scope.visits()),
    )
    .await
}

/// Visits the caller may see that start in `[from, to)`, in time order,
/// optionally of one plan.
///
/// # Errors
/// `NotFound` for callers who see no visits.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    plan_id: Option<i64>,
    page: PageRequest,
) -> AppResult<(Vec<Model>, PageInfo)> {
    let mut q = scoped(Entity::find(), scope.visits()).ok_or(AppError::NotFound)?;
    q = q
        .filter(Column::StartsAt.gte(DateTime::<chrono::FixedOffset>::from(from)))
        .filter(Column::StartsAt.lt(DateTime::<chrono::FixedOffset>::from(to)));
    if let Some(p) = plan_id {
        q = q.filter(Column::PlanId.eq(p));
    }
    fetch_page(
        db,
        q.order_by_asc(Column::StartsAt).order_by_asc(Column::Id),
        page,
    )
    .await
}

/// A conflict of one visit (or would-be visit), with the other visit's
/// time when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// Index into the slots checked.
    #[serde(skip)]
    pub index: usize,
    pub kind: ConflictKind,
    pub starts_at: DateTime<Utc>,
    pub other_starts_at: Option<DateTime<Utc>>,
    pub other_ends_at: Option<DateTime<Utc>>,
    /// The start on the display clock, `2026-12-03 09:00`.
    pub local_start: String,
    /// The other visit on the display clock, `09:30–10:30`.
    pub other_local: Option<String>,
    /// The other visit's id (to name it to those who may see it).
    #[serde(skip)]
    pub other_visit: Option<i64>,
}

impl Conflict {
    fn new(index: usize, kind: ConflictKind, at: DateTime<Utc>, other: Option<&Slot>) -> Self {
        let clock = |t: DateTime<Utc>, f: &str| {
            t.with_timezone(&crate::zone::display())
                .format(f)
                .to_string()
        };
        Self {
            index,
            kind,
            starts_at: at,
            other_starts_at: other.map(|o| o.start),
            other_ends_at: other.map(|o| o.end),
            other_visit: other.and_then(|o| o.visit),
            local_start: clock(at, "%Y-%m-%d %H:%M"),
            other_local: other.map(|o| {
                format!(
                    "{}–{}",
                    clock(o.start, "%m-%d %H:%M"),
                    clock(o.end, "%H:%M")
                )
            }),
        }
    }
}

/// Conflicts of `slots` (visits to be, or existing visits with their ids
/// in `ids`) with each other and with every other visit that is not
/// cancelled, whoever's they are (only the time of the other visit is
/// told), except visits of `ignore_plan` (the plan being changed). Also
/// flags visits on or after the day their recipient was suspended or
/// exited.
///
/// # Errors
/// Database errors.
pub async fn conflicts<C: ConnectionTrait>(
    db: &C,
    slots: &[Slot],
    ids: &[i64],
    ignore_plan: Option<i64>,
) -> AppResult<Vec<Conflict>> {
    let (Some(first), Some(last)) = (
        slots.iter().map(|s| s.start).min(),
        slots.iter().map(|s| s.end).max(),
    ) else {
        return Ok(Vec::new());
    };
    let mut workers: Vec<i64> = slots.iter().filter_map(|s| s.worker).collect();
    let mut people: Vec<i64> = slots.iter().filter_map(|s| s.recipient).collect();
    let mut homes: Vec<i64> = slots.iter().map(|s| s.household).collect();
    for v in [&mut workers, &mut people, &mut homes] {
        v.sort_unstable();
        v.dedup();
    }
    let mut q = Entity::find()
        .filter(Column::StartsAt.lt(DateTime::<chrono::FixedOffset>::from(last)))
        .filter(Column::EndsAt.gt(DateTime::<chrono::FixedOffset>::from(first)))
        .filter(Column::Status.ne(VisitStatus::Cancelled.as_str()))
        .filter(
            Condition::any()
                .add(Column::WorkerId.is_in(workers))
                .add(Column::RecipientId.is_in(people.clone()))
                .add(Column::HouseholdId.is_in(homes)),
        );
    if let Some(p) = ignore_plan {
        q = q.filter(
            Condition::any()
                .add(Column::PlanId.is_null())
                .add(Column::PlanId.ne(p)),
        );
    }
    let shown: HashSet<i64> = ids.iter().copied().collect();
    let others: Vec<Model> = q
        .limit(5000)
        .all(db)
        .await?
        .into_iter()
        .filter(|v| !shown.contains(&v.id))
        .collect();
    let mut all: Vec<Slot> = slots.to_vec();
    all.extend(others.iter().map(Model::slot));
    let n = slots.len();
    let mut out = Vec::new();
    for (i, j, kind) in overlaps(&all) {
        // i < j: i is always one of ours when any of the two is.
        if i >= n {
            continue;
        }
        if j < n {
            out.push(Conflict::new(i, kind, all[i].start, Some(&all[j])));
            out.push(Conflict::new(j, kind, all[j].start, Some(&all[i])));
        } else {
            out.push(Conflict::new(i, kind, all[i].start, Some(&all[j])));
        }
    }
    // Recipients who are not active from some day on.
    let inactive: Vec<(i64, chrono::NaiveDate)> = recipients::Entity::find()
        .filter(recipients::Column::Id.is_in(people))
        .filter(recipients::Column::Status.ne("active"))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.status_on))
        .collect();
    for (index, s) in slots.iter().enumerate() {
        let day = s.start.with_timezone(&crate::zone::display()).date_naive();
        if inactive
            .iter()
            .any(|(id, on)| s.recipient == Some(*id) && day >= *on)
        {
            out.push(Conflict::new(
                index,
                ConflictKind::RecipientInactive,
                s.start,
                None,
            ));
        }
    }
    out.sort_by_key(|c| (c.index, c.kind));
    out.dedup_by_key(|c| (c.index, c.kind));
    Ok(out)
}

impl Model {
    /// The visit as the conflict check sees it.
    #[must_use]
    pub fn slot(&self) -> Slot {
        Slot {
            visit: Some(self.id),
            worker: self.worker_id,
            recipient: self.recipient_id,
            household: self.household_id,
            start: self.starts_at.with_timezone(&Utc),
            end: self.ends_at.with_timezone(&Utc),
        }
    }

    /// The visit's status (`domain::visit`).
    #[must_use]
    pub fn status(&self) -> VisitStatus {
        VisitStatus::of_stored(&self.status)
    }

    /// Whether a plan change or a change of this visit alone may still
    /// touch it: it has not started and its time has not passed.
    #[must_use]
    pub fn changeable(&self, now: DateTime<Utc>) -> bool {
        self.status().changeable()
            && self.locked_at.is_none()
            && self.starts_at.with_timezone(&Utc) >= now
    }
}

/// A change of one visit alone; it becomes an exception of its series.
#[derive(Debug, Clone)]
pub enum VisitChange {
    /// To another local time (in the visit's zone), keeping its length.
    Move(NaiveDateTime),
    Cancel,
    Reassign(Option<String>),
}

/// Moves, cancels or reassigns one visit that has not started, recording
/// who and why. With `seen_version`, a visit changed since the caller saw
/// it is refused (409).
///
/// # Errors
/// A missing reason, a bad time or worker, a visit that has started or
/// passed (422); database errors.
pub async fn change(
    db: &DatabaseConnection,
    actor: &Actor,
    visit: &Model,
    seen_version: Option<i64>,
    change: VisitChange,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Model> {
    // Decided on a page or answer showing an older state of the visit.
    if seen_version.is_some_and(|v| v != visit.version) {
        return Err(AppError::Stale("error-visit-changed"));
    }
    let reason = super::plan_changes::reason_of(reason)?;
    if !visit.changeable(now) {
        return Err(AppError::field("status", "error-visit-not-changeable"));
    }
    let new_worker = match &change {
        VisitChange::Reassign(worker) => {
            super::service_plans::worker_of(db, worker.as_deref(), visit.organization_id)
                .await?
                .map_err(|()| AppError::field("worker", "error-choose-worker"))?
        }
        _ => None,
    };
    let txn = db.begin().await?;
    let claimed = super::visit_writes::claim(&txn, visit).await?;
    let visit = &claimed.visit.clone();
    if !visit.changeable(now) {
        return Err(AppError::field("status", "error-visit-not-changeable"));
    }
    let mut am: ActiveModel = visit.clone().into();
    match change {
        VisitChange::Move(local) => {
            let zone: chrono_tz::Tz = visit.tzid.parse().unwrap_or(crate::zone::display());
            let start = resolve(zone, local);
            if start < now {
                return Err(AppError::field("starts_at", "error-visit-in-past"));
            }
            let length = visit.ends_at - visit.starts_at;
            am.starts_at = Set(start.into());
            am.ends_at = Set((start + length).into());
        }
        VisitChange::Cancel => {
            am.status = Set(VisitStatus::Cancelled.as_str().into());
            am.cancel_reason = Set(Some(reason.clone()));
        }
        VisitChange::Reassign(_) => {
            am.worker_id = Set(new_worker);
        }
    }
    am.exception = Set(true);
    let after = claimed
        .save(&txn, actor, am, async |before, after| {
            let mut changes = audit_logs::change_json(Some(before), Some(after));
            audit_logs::add_context(&mut changes, Some(&reason), None);
            Ok(Some(changes))
        })
        .await?;
    txn.commit().await?;
    Ok(after)
}

/// Hands every visit of one worker in `[from, to)` that has not started to
/// another worker of the same organisation (or to nobody): a worker off
/// sick for a week. Each visit becomes an exception, audited with the
/// reason. Returns how many moved.
///
/// # Errors
/// A missing reason or unknown worker (422); database errors.
#[allow(clippy::too_many_arguments)]
pub async fn reassign_many(
    db: &DatabaseConnection,
    actor: &Actor,
    scope: &Scope,
    from_worker: Uuid,
    to_worker: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let reason = super::plan_changes::reason_of(reason)?;
    let absent = users::Entity::find()
        .filter(users::Column::Pid.eq(from_worker))
        .one(db)
        .await?
        .filter(|u| {
            scope
                .own_organization()
                .is_none_or(|o| u.organization_id == Some(o))
        })
        .ok_or_else(|| AppError::field("from_worker", "error-choose-worker"))?;
    let org = absent.organization_id.unwrap_or_default();
    let to = to.min(now + chrono::Duration::days(366));
    let target = super::service_plans::worker_of(db, to_worker, org)
        .await?
        .map_err(|()| AppError::field("to_worker", "error-choose-worker"))?;
    if target == Some(absent.id) {
        return Err(AppError::field("to_worker", "error-same-worker"));
    }
    let q = scoped(Entity::find(), scope.visits()).ok_or(AppError::NotFound)?;
    let rows = q
        .filter(Column::WorkerId.eq(absent.id))
        .filter(Column::OrganizationId.eq(org))
        .filter(Column::Status.eq(VisitStatus::Scheduled.as_str()))
        .filter(Column::StartsAt.gte(DateTime::<chrono::FixedOffset>::from(from.max(now))))
        .filter(Column::StartsAt.lt(DateTime::<chrono::FixedOffset>::from(to)))
        .order_by_asc(Column::StartsAt)
        .limit(5000)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let txn = db.begin().await?;
    let ids: Vec<i64> = rows.iter().map(|v| v.id).collect();
    let moved: HashSet<i64> =
        super::visit_writes::reassign_unstarted(&txn, &ids, absent.id, target, now)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
    // A visit checked in (or changed) meanwhile stays with its worker.
    let rows: Vec<&Model> = rows.iter().filter(|v| moved.contains(&v.id)).collect();
    let worker_pid = |id: Option<i64>| {
        if id == Some(absent.id) {
            Some(absent.pid)
        } else {
            None
        }
    };
    let target_pid = match target {
        Some(t) => users::Entity::find_by_id(t).one(&txn).await?.map(|u| u.pid),
        None => None,
    };
    let entries = rows
        .iter()
        .map(|v| {
            (
                Action::Update,
                "visits",
                v.pid,
                serde_json::json!({
                    "worker": {"before": worker_pid(v.worker_id), "after": target_pid},
                    "exception": {"before": v.exception, "after": true},
                    "reason": reason,
                }),
            )
        })
        .collect();
    audit_logs::Chain::default()
        .append_many(&txn, actor, entries)
        .await?;
    txn.commit().await?;
    Ok(rows.len() as u64)
}

/// At most this many visits on one board (a week of a large provider).
pub const BOARD_LIMIT: u64 = 3000;

/// The visits the caller sees in `[from, to)` with their conflicts (index
/// into the visits), and whether the board was cut at `BOARD_LIMIT`.
///
/// # Errors
/// `NotFound` for callers who see no visits; database errors.
pub async fn board(
    db: &DatabaseConnection,
    scope: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    worker: Option<i64>,
) -> AppResult<(Vec<Model>, Vec<Conflict>, bool)> {
    let mut q = scoped(Entity::find(), scope.visits())
        .ok_or(AppError::NotFound)?
        .filter(Column::StartsAt.gte(DateTime::<chrono::FixedOffset>::from(from)))
        .filter(Column::StartsAt.lt(DateTime::<chrono::FixedOffset>::from(to)));
    if let Some(w) = worker {
        q = q.filter(Column::WorkerId.eq(w));
    }
    let mut rows = q
        .order_by_asc(Column::StartsAt)
        .order_by_asc(Column::Id)
        .limit(BOARD_LIMIT + 1)
        .all(db)
        .await?;
    let cut = rows.len() as u64 > BOARD_LIMIT;
    rows.truncate(usize::try_from(BOARD_LIMIT).unwrap_or(usize::MAX));
    let live: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].status() != VisitStatus::Cancelled)
        .collect();
    let slots: Vec<Slot> = live.iter().map(|&i| rows[i].slot()).collect();
    let ids: Vec<i64> = live.iter().map(|&i| rows[i].id).collect();
    let mut found = conflicts(db, &slots, &ids, None).await?;
    for c in &mut found {
        c.index = live[c.index];
    }
    Ok((rows, found, cut))
}

/// What a coordinator's list of visits needing attention shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// Checked in late, or not yet and past the grace time.
    Late,
    /// Not done by the end of their day.
    Missed,
    /// Checked in without a location or far from the home.
    LocationException,
}

impl Flag {
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        [Self::Late, Self::Missed, Self::LocationException]
            .into_iter()
            .find(|f| f.key() == s)
    }

    /// The flag's name in a query (`?flag=`) and on the attention page.
    #[must_use]
    pub const fn key(self) -> &'static str {
        match self {
            Self::Late => "late",
            Self::Missed => "missed",
            Self::LocationException => "location_exception",
        }
    }
}

/// Visits in scope with `flag` that started since `since`, newest first.
///
/// # Errors
/// `NotFound` for callers who see no visits.
pub async fn flagged(
    db: &DatabaseConnection,
    scope: &Scope,
    flag: Flag,
    since: DateTime<Utc>,
    page: PageRequest,
) -> AppResult<(Vec<Model>, PageInfo)> {
    let q = scoped(Entity::find(), scope.visits())
        .ok_or(AppError::NotFound)?
        .filter(Column::StartsAt.gte(DateTime::<chrono::FixedOffset>::from(since)));
    let q = match flag {
        Flag::Late => q
            .filter(Column::Late.eq(true))
            .filter(Column::Status.ne(VisitStatus::Missed.as_str())),
        Flag::Missed => q.filter(Column::Status.eq(VisitStatus::Missed.as_str())),
        Flag::LocationException => q.filter(Column::LocationException.eq(true)),
    };
    fetch_page(
        db,
        q.order_by_desc(Column::StartsAt).order_by_desc(Column::Id),
        page,
    )
    .await
}

/// Which change of one visit alone a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Move,
    Cancel,
    Reassign,
}

impl ChangeKind {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Move => "move",
            Self::Cancel => "cancel",
            Self::Reassign => "reassign",
        }
    }
}

/// The body of a change of one visit (the API's JSON; the page's form is
/// turned into one).
#[derive(Debug, Default, serde::Deserialize)]
pub struct VisitChangeBody {
    /// For a move: the new local start, `2026-12-03T14:00:00`.
    pub starts_at: Option<String>,
    /// For a reassignment: the worker's pid, or empty for nobody.
    pub worker: Option<String>,
    pub reason: Option<String>,
    /// The visit's `version` as the caller saw it: when given and the visit
    /// has changed since, the change is refused (409).
    #[serde(default)]
    pub version: Option<i64>,
}

impl VisitChangeBody {
    /// The change the body asks for as `kind`.
    ///
    /// # Errors
    /// A move without a valid local time.
    pub fn change(&self, kind: ChangeKind) -> AppResult<VisitChange> {
        match kind {
            ChangeKind::Move => self
                .starts_at
                .as_deref()
                .and_then(|s| {
                    let s = s.trim();
                    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
                        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
                        .ok()
                })
                .map(VisitChange::Move)
                .ok_or_else(|| AppError::field("starts_at", "error-local-time")),
            ChangeKind::Cancel => Ok(VisitChange::Cancel),
            ChangeKind::Reassign => Ok(VisitChange::Reassign(
                self.worker.clone().filter(|w| !w.trim().is_empty()),
            )),
        }
    }
}

/// [`change`] as a body asks it (`kind` of change, the version seen, the
/// reason).
///
/// # Errors
/// As [`VisitChangeBody::change`] and [`change`].
pub async fn change_as_asked(
    db: &DatabaseConnection,
    actor: &Actor,
    visit: &Model,
    kind: ChangeKind,
    body: &VisitChangeBody,
    now: DateTime<Utc>,
) -> AppResult<Model> {
    let asked = body.change(kind)?;
    change(
        db,
        actor,
        visit,
        body.version,
        asked,
        body.reason.as_deref(),
        now,
    )
    .await
}

/// A bulk reassignment: every visit of `from_worker` from `from` to `to`
/// (local dates, inclusive) that has not started goes to `to_worker`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ReassignBody {
    pub from_worker: Option<String>,
    pub to_worker: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
}

/// Runs a bulk reassignment as asked, the dates read on `zone`'s clock;
/// returns how many visits moved.
///
/// # Errors
/// Field errors (`from`, `to`, `from_worker`, `to_worker`, `reason`);
/// database errors.
pub async fn reassign_as_asked(
    db: &DatabaseConnection,
    actor: &Actor,
    scope: &Scope,
    b: &ReassignBody,
    zone: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let date = |s: Option<&str>, field: &str| {
        crate::domain::date_input::parse_optional_date(s)
            .ok()
            .flatten()
            .ok_or_else(|| AppError::field(field, "error-date"))
    };
    let from = date(b.from.as_deref(), "from")?;
    let to = date(b.to.as_deref(), "to")?;
    if to < from {
        return Err(AppError::field("to", "error-date-order"));
    }
    let worker = b
        .from_worker
        .as_deref()
        .and_then(|w| Uuid::parse_str(w.trim()).ok())
        .ok_or_else(|| AppError::field("from_worker", "error-choose-worker"))?;
    let start = resolve(zone, from.and_time(chrono::NaiveTime::MIN));
    let end = resolve(
        zone,
        (to + chrono::Duration::days(1)).and_time(chrono::NaiveTime::MIN),
    );
    reassign_many(
        db,
        actor,
        scope,
        worker,
        b.to_worker.as_deref().filter(|w| !w.trim().is_empty()),
        start,
        end,
        b.reason.as_deref(),
        now,
    )
    .await
}

/// The query of the visits API list.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub plan: Option<String>,
    /// `late`, `missed` or `location_exception`: the visits needing
    /// attention since `from` (default the last 14 days).
    pub flag: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

fn instant(s: Option<&str>, default: DateTime<Utc>) -> AppResult<DateTime<Utc>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| AppError::field("from", "error-instant")),
    }
}

/// The visits the API lists for `q`: with a `flag`, those needing
/// attention ([`flagged`]); otherwise those in `[from, to)` (RFC 3339
/// instants; default from a day ago to 4 weeks ahead), optionally of one
/// plan in scope ([`list`]).
///
/// # Errors
/// Field errors (`flag`, `from`); `NotFound` for a plan out of scope or
/// callers who see no visits; database errors.
pub async fn listed(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ListQuery,
    now: DateTime<Utc>,
) -> AppResult<(Vec<Model>, PageInfo)> {
    let req = PageRequest::parse(q.page.as_deref(), q.per_page.as_deref());
    if let Some(f) = q.flag.as_deref().filter(|f| !f.trim().is_empty()) {
        let flag = Flag::parse(f).ok_or_else(|| AppError::field("flag", "error-flag"))?;
        let since = instant(q.from.as_deref(), now - chrono::Duration::days(14))?;
        return flagged(db, scope, flag, since, req).await;
    }
    let from = instant(q.from.as_deref(), now - chrono::Duration::days(1))?;
    let to = instant(q.to.as_deref(), now + chrono::Duration::days(28))?;
    // A plan that is not a pid is as missing as one out of scope.
    let plan = match q.plan.as_deref() {
        Some(raw) => {
            let p = Uuid::parse_str(raw.trim()).map_err(|_| AppError::NotFound)?;
            Some(super::service_plans::load(db, scope, p).await?.id)
        }
        None => None,
    };
    list(db, scope, from, to, plan, req).await
}

/// The rows a list of visits shows beside each visit, loaded with one
/// query per table (per 500 ids), never one per visit: the workers and
/// the submitters, the people, the homes (the visit's and the person's),
/// their villages and the plans.
#[derive(Debug, Default)]
pub struct Related {
    pub users: HashMap<i64, users::Model>,
    pub people: HashMap<i64, recipients::Model>,
    pub homes: HashMap<i64, households::Model>,
    pub villages: HashMap<i64, villages::Model>,
    pub plans: HashMap<i64, service_plans::Model>,
}

/// The rows of `E` with the ids `ids` (deduplicated, 500 to a statement).
async fn by_id<C, E>(
    db: &C,
    column: E::Column,
    mut ids: Vec<i64>,
    id: impl Fn(&E::Model) -> i64,
) -> AppResult<HashMap<i64, E::Model>>
where
    C: ConnectionTrait,
    E: EntityTrait,
{
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        for m in E::find()
            .filter(column.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            out.insert(id(&m), m);
        }
    }
    Ok(out)
}

impl Related {
    /// Loads what `rows` refer to.
    ///
    /// # Errors
    /// Database errors.
    pub async fn load<C: ConnectionTrait>(db: &C, rows: &[Model]) -> AppResult<Self> {
        let users_of = rows
            .iter()
            .flat_map(|r| [r.worker_id, r.submitted_by_id])
            .flatten()
            .collect();
        let users = by_id::<_, users::Entity>(db, users::Column::Id, users_of, |u| u.id).await?;
        let people_of = rows.iter().filter_map(|r| r.recipient_id).collect();
        let people =
            by_id::<_, recipients::Entity>(db, recipients::Column::Id, people_of, |r| r.id).await?;
        let homes_of = rows
            .iter()
            .map(|r| r.household_id)
            .chain(people.values().map(|p| p.household_id))
            .collect();
        let homes =
            by_id::<_, households::Entity>(db, households::Column::Id, homes_of, |h| h.id).await?;
        let villages_of = homes.values().map(|h| h.village_id).collect();
        let villages =
            by_id::<_, villages::Entity>(db, villages::Column::Id, villages_of, |p| p.id).await?;
        let plans_of = rows.iter().filter_map(|r| r.plan_id).collect();
        let plans =
            by_id::<_, service_plans::Entity>(db, service_plans::Column::Id, plans_of, |p| p.id)
                .await?;
        Ok(Self {
            users,
            people,
            homes,
            villages,
            plans,
        })
    }

    #[must_use]
    pub fn worker(&self, v: &Model) -> Option<&users::Model> {
        v.worker_id.and_then(|id| self.users.get(&id))
    }

    /// Who submitted the visit's record.
    #[must_use]
    pub fn submitter(&self, v: &Model) -> Option<&users::Model> {
        v.submitted_by_id.and_then(|id| self.users.get(&id))
    }

    /// The person the visit is for (none for a whole household's visit).
    #[must_use]
    pub fn person(&self, v: &Model) -> Option<&recipients::Model> {
        v.recipient_id.and_then(|id| self.people.get(&id))
    }

    /// The household the visit goes to.
    #[must_use]
    pub fn home(&self, v: &Model) -> Option<&households::Model> {
        self.homes.get(&v.household_id)
    }

    /// A person's own household.
    #[must_use]
    pub fn home_of(&self, p: &recipients::Model) -> Option<&households::Model> {
        self.homes.get(&p.household_id)
    }

    #[must_use]
    pub fn village(&self, h: &households::Model) -> Option<&villages::Model> {
        self.villages.get(&h.village_id)
    }

    #[must_use]
    pub fn plan(&self, v: &Model) -> Option<&service_plans::Model> {
        v.plan_id.and_then(|id| self.plans.get(&id))
    }
}
