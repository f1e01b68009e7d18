//! Service plans: recurring home visits for a recipient (or a whole
//! household), and their materialisation into concrete visits over a
//! rolling horizon. Materialising is idempotent: the unique key
//! (plan, occurrence) means two runs, or two processes at once, never
//! create a visit twice.
pub use super::_entities::service_plans::{self, ActiveModel, Column, Entity, Model};
use super::{
    _entities::{households, recipients, users, visits},
    audit_logs::{self, Action},
    fetch_page, find_scoped, scoped, Actor,
};
use crate::domain::visit::VisitStatus;
use crate::{
    domain::form::loose,
    domain::{
        conflicts::Slot,
        pagination::{PageInfo, PageRequest},
        recurrence::{Recurrence, RecurrenceError},
        role::Role,
        service_type::parse_list,
    },
    errors::{AppError, AppResult, FieldErrors},
    policy::Scope,
};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use sea_orm::{
    entity::prelude::*, ActiveValue::Set, ConnectionTrait, QueryOrder, QuerySelect,
    TransactionTrait, TryInsertResult,
};
use serde::{Deserialize, Serialize};

super::pid_and_timestamps!();

/// The default rolling horizon of materialised visits.
pub const DEFAULT_HORIZON_DAYS: i64 = 56;
/// A plan may not create more visits than this in its first 8 weeks.
const MAX_VISITS_PER_HORIZON: usize = 500;

/// Local times are written `2026-03-03T09:00:00`.
pub(super) const LOCAL_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PlanParams {
    #[serde(default, deserialize_with = "loose")]
    pub recipient: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub household: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub worker: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub backup_worker: Option<String>,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default, deserialize_with = "loose")]
    pub duration_minutes: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub tzid: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub dtstart: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub rrule: Option<String>,
    #[serde(default)]
    pub exdates: Vec<String>,
    #[serde(default)]
    pub rdates: Vec<String>,
}

/// A plan, checked: who, what, how long and when.
#[derive(Debug, Clone)]
pub struct NewPlan {
    pub(super) organization_id: i64,
    pub(super) recipient_id: Option<i64>,
    pub(super) household_id: i64,
    pub(super) township_id: i64,
    pub(super) worker_id: Option<i64>,
    pub(super) backup_worker_id: Option<i64>,
    pub(super) services: Vec<String>,
    pub(super) duration_minutes: i64,
    pub(super) tzid: String,
    pub(super) dtstart: NaiveDateTime,
    pub(super) rrule: Option<String>,
    pub(super) exdates: Vec<NaiveDateTime>,
    pub(super) rdates: Vec<NaiveDateTime>,
}

pub fn local_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, LOCAL_FORMAT)
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .ok()
}

pub(super) fn times_column(v: &[NaiveDateTime]) -> String {
    v.iter()
        .map(|t| t.format(LOCAL_FORMAT).to_string())
        .collect::<Vec<_>>()
        .join(",")
}

pub(super) fn times_of(column: &str) -> Vec<NaiveDateTime> {
    column.split(',').filter_map(local_time).collect()
}

/// A worker of `organization_id` named by pid, active.
pub async fn worker_of(
    db: &DatabaseConnection,
    raw: Option<&str>,
    organization_id: i64,
) -> AppResult<Result<Option<i64>, ()>> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(Ok(None));
    };
    let Ok(pid) = Uuid::parse_str(raw) else {
        return Ok(Err(()));
    };
    let found = users::Entity::find()
        .filter(users::Column::Pid.eq(pid))
        .filter(users::Column::OrganizationId.eq(organization_id))
        .filter(users::Column::Role.eq(Role::Worker.as_str()))
        .filter(users::Column::Active.eq(true))
        .one(db)
        .await?;
    Ok(found.map(|u| Some(u.id)).ok_or(()))
}

impl NewPlan {
    /// Checks a plan against the caller's scope: the recipient or household
    /// must be theirs, the workers of the plan's organisation, the
    /// recurrence valid and not absurdly dense.
    ///
    /// # Errors
    /// Field errors; database errors.
    pub async fn parse(
        db: &DatabaseConnection,
        scope: &Scope,
        p: &PlanParams,
        now: DateTime<Utc>,
    ) -> AppResult<Self> {
        let mut e = FieldErrors::new();
        let pid_of = |s: Option<&str>| {
            s.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(Uuid::parse_str)
        };
        // Who the visits are for.
        let (recipient, household) = match (
            pid_of(p.recipient.as_deref()),
            pid_of(p.household.as_deref()),
        ) {
            (Some(Ok(pid)), None) => match super::recipients::load(db, scope, pid).await {
                Ok(r) => {
                    let h = households::Entity::find_by_id(r.household_id)
                        .one(db)
                        .await?;
                    (Some(r), h)
                }
                Err(AppError::NotFound) => {
                    e.add("recipient", "error-choose-recipient");
                    (None, None)
                }
                Err(err) => return Err(err),
            },
            (None, Some(Ok(pid))) => match super::households::load(db, scope, pid).await {
                Ok(h) => (None, Some(h)),
                Err(AppError::NotFound) => {
                    e.add("household", "error-choose-household");
                    (None, None)
                }
                Err(err) => return Err(err),
            },
            _ => {
                e.add("recipient", "error-choose-recipient");
                (None, None)
            }
        };
        // A provider plans only for the people its contracts cover today
        // (not during the read-only grace period, not for proposals).
        let members: Vec<i64> = match (&recipient, &household) {
            (Some(r), _) => vec![r.id],
            (None, Some(h)) => {
                super::recipients::Entity::find()
                    .select_only()
                    .column(super::recipients::Column::Id)
                    .filter(super::recipients::Column::HouseholdId.eq(h.id))
                    .into_tuple::<i64>()
                    .all(db)
                    .await?
            }
            (None, None) => Vec::new(),
        };
        if (recipient.is_some() || household.is_some())
            && scope.served_today().is_some()
            && super::recipients::served_among(db, scope, &members)
                .await?
                .is_empty()
        {
            e.add(
                if recipient.is_some() {
                    "recipient"
                } else {
                    "household"
                },
                "error-not-served",
            );
        }
        let organization_id = scope.own_organization().or_else(|| {
            recipient
                .as_ref()
                .and_then(|r| r.organization_id)
                .or_else(|| household.as_ref().and_then(|h| h.organization_id))
        });
        if household.is_some() && organization_id.is_none() {
            e.add("recipient", "error-no-organization");
        }
        let org = organization_id.unwrap_or_default();
        let worker = worker_of(db, p.worker.as_deref(), org).await?;
        if worker.is_err() {
            e.add("worker", "error-choose-worker");
        }
        let backup = worker_of(db, p.backup_worker.as_deref(), org).await?;
        if backup.is_err() {
            e.add("backup_worker", "error-choose-worker");
        }
        use crate::domain::limits::List;
        let catalogue = super::service_types::Catalogue::load(db).await?;
        let services = match List::PlanServices.check(p.services.len()) {
            Err(key) => {
                e.add("services", key);
                None
            }
            Ok(()) => match parse_list(p.services.iter().map(String::as_str), &catalogue.offered())
            {
                Ok(s) => Some(s),
                Err(_) => {
                    e.add("services", "error-choose-services");
                    None
                }
            },
        };
        let duration = match p.duration_minutes.as_deref().map(str::trim) {
            None | Some("") => Some(60),
            Some(d) => match d.parse::<i64>() {
                Ok(n) if (5..=720).contains(&n) => Some(n),
                _ => {
                    e.add("duration_minutes", "error-duration");
                    None
                }
            },
        };
        let tzid = p
            .tzid
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(crate::zone::display().name())
            .to_string();
        let dtstart = p.dtstart.as_deref().and_then(local_time);
        if dtstart.is_none() {
            e.add("dtstart", "error-local-time");
        }
        let list = |v: &[String], e: &mut FieldErrors, field: &str| -> Vec<NaiveDateTime> {
            let raw: Vec<&str> = v
                .iter()
                .take(List::PlanDates.max() + 1)
                .flat_map(|s| s.split(','))
                .filter(|s| !s.trim().is_empty())
                .take(List::PlanDates.max() + 1)
                .collect();
            if let Err(key) = List::PlanDates.check(raw.len()) {
                e.add(field, key);
                return Vec::new();
            }
            let parsed: Vec<Option<NaiveDateTime>> = raw.into_iter().map(local_time).collect();
            if parsed.iter().any(Option::is_none) {
                e.add(field, "error-local-time");
            }
            parsed.into_iter().flatten().collect()
        };
        let exdates = list(&p.exdates, &mut e, "exdates");
        let rdates = list(&p.rdates, &mut e, "rdates");
        let rrule = p
            .rrule
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        if let Some(start) = dtstart {
            match Recurrence::parse(&tzid, start, rrule.as_deref(), &exdates, &rdates) {
                Ok(r) => {
                    let from = now.with_timezone(&r.zone()).naive_local();
                    let to = from + Duration::days(DEFAULT_HORIZON_DAYS);
                    match r.instants_between(from, to) {
                        Ok(v) if v.len() <= MAX_VISITS_PER_HORIZON => {}
                        Ok(_) | Err(RecurrenceError::TooMany) => {
                            e.add("rrule", "error-plan-too-dense")
                        }
                        Err(err) => e.add("rrule", err.message_key()),
                    }
                }
                Err(RecurrenceError::UnknownZone(_)) => e.add("tzid", "error-tzid"),
                Err(err) => e.add("rrule", err.message_key()),
            }
        }
        e.into_result(|| {
            let household = household?;
            Some(Self {
                organization_id: organization_id?,
                recipient_id: recipient.map(|r| r.id),
                household_id: household.id,
                township_id: household.township_id,
                worker_id: worker.ok()?,
                backup_worker_id: backup.ok()?,
                services: services?,
                duration_minutes: duration?,
                tzid,
                dtstart: dtstart?,
                rrule,
                exdates,
                rdates,
            })
        })
    }
}

impl NewPlan {
    /// `m` with the plan's who, what and when set (not whose plan it is).
    #[must_use]
    pub fn active_model(&self, mut m: ActiveModel) -> ActiveModel {
        m.worker_id = Set(self.worker_id);
        m.backup_worker_id = Set(self.backup_worker_id);
        m.services = Set(self.services.join(","));
        m.duration_minutes = Set(self.duration_minutes);
        m.tzid = Set(self.tzid.clone());
        m.dtstart = Set(self.dtstart.format(LOCAL_FORMAT).to_string());
        m.rrule = Set(self.rrule.clone());
        m.exdates = Set(times_column(&self.exdates));
        m.rdates = Set(times_column(&self.rdates));
        m
    }

    /// The visits this plan would have from `now` over `horizon`, as the
    /// conflict check sees them.
    #[must_use]
    pub fn slots(&self, now: DateTime<Utc>, horizon: Duration) -> Vec<Slot> {
        let Ok(r) = Recurrence::parse(
            &self.tzid,
            self.dtstart,
            self.rrule.as_deref(),
            &self.exdates,
            &self.rdates,
        ) else {
            return Vec::new();
        };
        instants_ahead(&r, now, now + horizon)
            .unwrap_or_default()
            .into_iter()
            .map(|at| Slot {
                visit: None,
                worker: self.worker_id,
                recipient: self.recipient_id,
                household: self.household_id,
                start: at,
                end: at + Duration::minutes(self.duration_minutes),
            })
            .collect()
    }
}

/// The instants of `r` in `[from, to]`; when too many, the first week's.
///
/// # Errors
/// A rule that cannot be expanded.
pub fn instants_ahead(
    r: &Recurrence,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<DateTime<Utc>>> {
    let from = from.with_timezone(&r.zone()).naive_local();
    let to = to.with_timezone(&r.zone()).naive_local();
    match r.instants_between(from, to) {
        Ok(v) => Ok(v),
        Err(RecurrenceError::TooMany) => Ok(r
            .instants_between(from, from + Duration::days(7))
            .unwrap_or_default()),
        Err(e) => Err(AppError::Internal(e.to_string())),
    }
}

impl Model {
    /// The plan's recurrence (checked when it was saved).
    ///
    /// # Errors
    /// When the stored rule no longer parses.
    pub fn recurrence(&self) -> AppResult<Recurrence> {
        let start = local_time(&self.dtstart)
            .ok_or_else(|| AppError::Internal(format!("plan {}: dtstart", self.pid)))?;
        Recurrence::parse(
            &self.tzid,
            start,
            self.rrule.as_deref(),
            &times_of(&self.exdates),
            &times_of(&self.rdates),
        )
        .map_err(|e| AppError::Internal(format!("plan {}: {e}", self.pid)))
    }

    /// # Errors
    /// Database errors.
    pub async fn create(db: &DatabaseConnection, actor: &Actor, new: NewPlan) -> AppResult<Self> {
        let txn = db.begin().await?;
        let m = Self::insert_in(&txn, actor, &new, None, None).await?;
        txn.commit().await?;
        Ok(m)
    }

    /// Inserts a plan (perhaps the second half of a split series) and its
    /// audit entry, inside the caller's transaction.
    ///
    /// # Errors
    /// Database errors.
    pub(super) async fn insert_in<C: ConnectionTrait>(
        db: &C,
        actor: &Actor,
        new: &NewPlan,
        split_from: Option<&Self>,
        reason: Option<&str>,
    ) -> AppResult<Self> {
        let m = new
            .active_model(ActiveModel {
                organization_id: Set(new.organization_id),
                recipient_id: Set(new.recipient_id),
                household_id: Set(new.household_id),
                township_id: Set(new.township_id),
                status: Set("active".into()),
                split_from_id: Set(split_from.map(|p| p.id)),
                ..Default::default()
            })
            .insert(db)
            .await?;
        let mut changes = audit_logs::change_json(None, Some(&m));
        audit_logs::add_context(
            &mut changes,
            reason,
            split_from.map(|p| ("split_from", p.pid)),
        );
        audit_logs::record(
            db,
            actor,
            Action::Create,
            "service_plans",
            Some(m.pid),
            &changes,
        )
        .await?;
        Ok(m)
    }

    /// Creates the plan's visits from `now` to `now + horizon` that do not
    /// exist yet, and returns how many it created. Safe to run any number
    /// of times, in any number of processes.
    ///
    /// # Errors
    /// Database errors; a stored rule that no longer parses.
    pub async fn materialise<C: ConnectionTrait>(
        &self,
        db: &C,
        now: DateTime<Utc>,
        horizon: Duration,
    ) -> AppResult<u64> {
        if self.status != "active" {
            return Ok(0);
        }
        let created = insert_visits(db, self.visit_rows(now, horizon)?).await?;
        mark_materialised(db, &[self.id], now + horizon).await?;
        Ok(created)
    }

    /// The rows of the plan's visits from `now` over `horizon`.
    ///
    /// # Errors
    /// A stored rule that no longer parses.
    pub fn visit_rows(
        &self,
        now: DateTime<Utc>,
        horizon: Duration,
    ) -> AppResult<Vec<visits::ActiveModel>> {
        let instants = instants_ahead(&self.recurrence()?, now, now + horizon)?;
        let length = Duration::minutes(self.duration_minutes);
        Ok(instants
            .iter()
            .map(|at| visits::ActiveModel {
                pid: Set(Uuid::new_v4()),
                plan_id: Set(Some(self.id)),
                occurrence_at: Set(Some((*at).into())),
                organization_id: Set(self.organization_id),
                recipient_id: Set(self.recipient_id),
                household_id: Set(self.household_id),
                township_id: Set(self.township_id),
                worker_id: Set(self.worker_id),
                starts_at: Set((*at).into()),
                ends_at: Set((*at + length).into()),
                tzid: Set(self.tzid.clone()),
                status: Set(VisitStatus::Scheduled.as_str().into()),
                exception: Set(false),
                cancel_reason: Set(None),
                ..Default::default()
            })
            .collect())
    }

    /// Enqueues materialising this plan.
    ///
    /// # Errors
    /// When the job cannot be enqueued.
    pub async fn materialise_later(&self, ctx: &loco_rs::app::AppContext) -> AppResult<()> {
        use crate::workers::plan_materialise::{PlanMaterialiseWorker, PlanMaterialiseWorkerArgs};
        use loco_rs::bgworker::BackgroundWorker;
        PlanMaterialiseWorker::perform_later(
            ctx,
            PlanMaterialiseWorkerArgs {
                plan_id: Some(self.id),
            },
        )
        .await
        .map(|_| ())
        .map_err(|e| AppError::Internal(e.to_string()))
    }
}

/// Rows per INSERT statement when materialising (17 columns each).
const INSERT_CHUNK: usize = 500;

/// Inserts visit rows, skipping those whose (plan, occurrence) exists;
/// returns how many were new.
///
/// # Errors
/// Database errors.
pub async fn insert_visits<C: ConnectionTrait>(
    db: &C,
    rows: Vec<visits::ActiveModel>,
) -> AppResult<u64> {
    let mut created = 0u64;
    for chunk in rows.chunks(INSERT_CHUNK) {
        let res = visits::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing_on([visits::Column::PlanId, visits::Column::OccurrenceAt])
            .exec_without_returning(db)
            .await?;
        if let TryInsertResult::Inserted(n) = res {
            created += n;
        }
    }
    Ok(created)
}

async fn mark_materialised<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    until: DateTime<Utc>,
) -> AppResult<()> {
    Entity::update_many()
        .col_expr(
            Column::MaterialisedUntil,
            Expr::value(DateTime::<chrono::FixedOffset>::from(until)),
        )
        .filter(Column::Id.is_in(ids.to_vec()))
        .exec(db)
        .await?;
    Ok(())
}

/// Materialises every active plan (the nightly job), 500 plans per
/// transaction with their visits inserted together; returns (plans,
/// visits created).
///
/// # Errors
/// Database errors.
pub async fn materialise_all(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    horizon: Duration,
) -> AppResult<(u64, u64)> {
    let mut after = 0i64;
    let (mut plans, mut created) = (0u64, 0u64);
    loop {
        let batch = Entity::find()
            .filter(Column::Status.eq("active"))
            .filter(Column::Id.gt(after))
            .order_by_asc(Column::Id)
            .limit(500)
            .all(db)
            .await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        let mut rows = Vec::with_capacity(batch.len() * 16);
        let mut done = Vec::with_capacity(batch.len());
        for plan in &batch {
            match plan.visit_rows(now, horizon) {
                Ok(r) => {
                    rows.extend(r);
                    done.push(plan.id);
                }
                Err(AppError::Internal(e)) => {
                    tracing::warn!(plan = %plan.pid, error = %e, "plan not materialised");
                }
                Err(e) => return Err(e),
            }
            plans += 1;
        }
        let txn = db.begin().await?;
        created += insert_visits(&txn, rows).await?;
        mark_materialised(&txn, &done, now + horizon).await?;
        txn.commit().await?;
    }
    Ok((plans, created))
}

/// # Errors
/// `NotFound` when missing or out of scope.
pub async fn load(db: &DatabaseConnection, scope: &Scope, pid: Uuid) -> AppResult<Model> {
    find_scoped(
        db,
        scoped(
            Entity::find().filter(Column::Pid.eq(pid)),
            scope.service_plans(),
        ),
    )
    .await
}

/// The caller's plans, newest first, optionally of one recipient.
///
/// # Errors
/// `NotFound` for callers who see no plans.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    recipient_id: Option<i64>,
    page: PageRequest,
) -> AppResult<(Vec<Model>, PageInfo)> {
    let mut q = scoped(Entity::find(), scope.service_plans()).ok_or(AppError::NotFound)?;
    if let Some(r) = recipient_id {
        q = q.filter(Column::RecipientId.eq(r));
    }
    fetch_page(db, q.order_by_desc(Column::Id), page).await
}

/// The recipient of a plan, if it has one (for views).
///
/// # Errors
/// Database errors.
pub async fn recipient_of<C: ConnectionTrait>(
    db: &C,
    plan: &Model,
) -> AppResult<Option<recipients::Model>> {
    match plan.recipient_id {
        Some(id) => Ok(recipients::Entity::find_by_id(id).one(db).await?),
        None => Ok(None),
    }
}

/// The recipients of a page of plans, by id, in one query.
///
/// # Errors
/// Database errors.
pub async fn recipients_of<C: ConnectionTrait>(
    db: &C,
    plans: &[Model],
) -> AppResult<std::collections::HashMap<i64, recipients::Model>> {
    let ids: Vec<i64> = plans.iter().filter_map(|p| p.recipient_id).collect();
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(recipients::Entity::find()
        .filter(recipients::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect())
}

impl Model {
    /// Whether the plan still runs (not ended).
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }

    /// The name of the plan's worker, if it has one.
    ///
    /// # Errors
    /// Database errors.
    pub async fn worker_name<C: ConnectionTrait>(&self, db: &C) -> AppResult<Option<String>> {
        match self.worker_id {
            Some(w) => Ok(users::Entity::find_by_id(w).one(db).await?.map(|u| u.name)),
            None => Ok(None),
        }
    }

    /// The pid of the plan this one was split from ("this and following").
    ///
    /// # Errors
    /// Database errors.
    pub async fn split_from_pid<C: ConnectionTrait>(&self, db: &C) -> AppResult<Option<Uuid>> {
        match self.split_from_id {
            Some(id) => Ok(Entity::find_by_id(id).one(db).await?.map(|p| p.pid)),
            None => Ok(None),
        }
    }
}

/// A conflict the plan form shows before saving, with the other visit
/// named as far as the caller may see it.
#[derive(Debug, Clone)]
pub struct ConflictSeen {
    pub conflict: super::visits::Conflict,
    /// The other visit when it is in the caller's scope (time only
    /// otherwise).
    pub other: Option<visits::Model>,
    /// The other visit's worker, when the other visit is seen.
    pub worker: Option<String>,
    /// The other visit's recipient, when the caller may see that person.
    pub person: Option<recipients::Model>,
}

/// The conflicts a plan would have if saved now, for the form's preview:
/// `None` while the plan is not yet valid (the form shows its own
/// errors), else every conflict with the other visit named when the
/// caller may see it. `plan` is the plan being changed (its own visits
/// do not count).
///
/// # Errors
/// Database errors.
pub async fn conflicts_before_saving(
    db: &DatabaseConnection,
    scope: &Scope,
    params: &PlanParams,
    plan: Option<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<Option<Vec<ConflictSeen>>> {
    let ignore = match plan {
        Some(pid) => match load(db, scope, pid).await {
            Ok(p) => Some(p.id),
            Err(AppError::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        },
        None => None,
    };
    let new = match NewPlan::parse(db, scope, params, now).await {
        Ok(n) => n,
        Err(AppError::Invalid(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let horizon = Duration::days(DEFAULT_HORIZON_DAYS);
    let found = super::visits::conflicts(db, &new.slots(now, horizon), &[], ignore).await?;
    let ids: Vec<i64> = found.iter().filter_map(|c| c.other_visit).collect();
    let seen: std::collections::HashMap<i64, visits::Model> =
        match scoped(visits::Entity::find(), scope.visits()) {
            Some(q) if !ids.is_empty() => q
                .filter(visits::Column::Id.is_in(ids))
                .all(db)
                .await?
                .into_iter()
                .map(|v| (v.id, v))
                .collect(),
            _ => std::collections::HashMap::new(),
        };
    let worker_ids: Vec<i64> = seen.values().filter_map(|v| v.worker_id).collect();
    let workers: std::collections::HashMap<i64, String> = if worker_ids.is_empty() {
        std::collections::HashMap::new()
    } else {
        users::Entity::find()
            .filter(users::Column::Id.is_in(worker_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect()
    };
    let person_ids: Vec<i64> = seen.values().filter_map(|v| v.recipient_id).collect();
    let openable = super::recipients::visible_ids(db, scope, person_ids.clone()).await?;
    let people: std::collections::HashMap<i64, recipients::Model> = if openable.is_empty() {
        std::collections::HashMap::new()
    } else {
        recipients::Entity::find()
            .filter(recipients::Column::Id.is_in(openable.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect()
    };
    Ok(Some(
        found
            .into_iter()
            .map(|c| {
                let other = c.other_visit.and_then(|id| seen.get(&id)).cloned();
                let worker = other
                    .as_ref()
                    .and_then(|v| v.worker_id)
                    .and_then(|w| workers.get(&w).cloned());
                let person = other
                    .as_ref()
                    .and_then(|v| v.recipient_id)
                    .and_then(|r| people.get(&r).cloned());
                ConflictSeen {
                    conflict: c,
                    other,
                    worker,
                    person,
                }
            })
            .collect(),
    ))
}

/// The names of the workers and backups of a page of plans, by user id, in
/// one query.
///
/// # Errors
/// Database errors.
pub async fn worker_names_of<C: ConnectionTrait>(
    db: &C,
    plans: &[Model],
) -> AppResult<std::collections::HashMap<i64, String>> {
    let ids: Vec<i64> = plans
        .iter()
        .flat_map(|p| [p.worker_id, p.backup_worker_id])
        .flatten()
        .collect();
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}
