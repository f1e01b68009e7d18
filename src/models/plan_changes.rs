//! Changing a plan as calendars do: the whole series, this and following
//! (the series splits), or ending it; and keeping its future visits right
//! afterwards.
//!
//! The rules, whatever the change:
//! - visits that have started, been completed, attempted, refused, missed
//!   or accepted are never touched, nor visits whose time has passed;
//! - future visits whose occurrence is no longer in the series are removed;
//! - future visits still in the series follow the plan's worker and
//!   duration, unless they were changed on their own (an exception: moved,
//!   reassigned or cancelled), which keeps its change;
//! - every change is audited with who and why, in the same transaction.
use super::{
    _entities::visits,
    audit_logs::{self, Action},
    service_plans::{
        instants_ahead, local_time, times_column, times_of, ActiveModel, Model, NewPlan,
        PlanParams, LOCAL_FORMAT,
    },
    Actor,
};
use crate::domain::visit::VisitStatus;
use crate::{
    domain::{
        recurrence::{rule_from, rule_until, Recurrence},
        text,
    },
    errors::{AppError, AppResult},
};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use sea_orm::{entity::prelude::*, ActiveValue::Set, ConnectionTrait, TransactionTrait};
use serde::Serialize;
use std::collections::HashSet;

/// Statuses of visits a plan change may remove or update.
pub const CHANGEABLE: [&str; 2] = [
    VisitStatus::Scheduled.as_str(),
    VisitStatus::Cancelled.as_str(),
];

/// What a change did to the plan's visits.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VisitSync {
    pub removed: u64,
    pub updated: u64,
    pub created: u64,
}

/// A reason is required for every change (max 200 characters).
///
/// # Errors
/// `reason` field error.
pub fn reason_of(raw: Option<&str>) -> AppResult<String> {
    text::required(raw.unwrap_or_default(), 200)
        .map_err(|e| AppError::field("reason", e.message_key()))
}

/// The day from which an ended plan has no visits.
///
/// # Errors
/// `end_on` field error for a missing or bad date.
pub fn end_date(raw: Option<&str>) -> AppResult<NaiveDate> {
    crate::domain::date_input::parse_optional_date(raw)
        .ok()
        .flatten()
        .ok_or_else(|| AppError::field("end_on", "error-date"))
}

fn utc(t: DateTime<Utc>) -> DateTimeWithTimeZone {
    t.into()
}

/// Brings the plan's future, not-yet-started visits in line with the plan
/// and creates the missing ones over the horizon.
///
/// # Errors
/// Database errors; a stored rule that no longer parses.
pub async fn sync_visits<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    plan: &Model,
    now: DateTime<Utc>,
    horizon: Duration,
) -> AppResult<VisitSync> {
    let until = plan
        .materialised_until
        .map_or(now, |t| t.with_timezone(&Utc))
        .max(now + horizon);
    let keep: HashSet<i64> = if plan.status == "active" {
        instants_ahead(&plan.recurrence()?, now, until)?
            .iter()
            .map(DateTime::timestamp)
            .collect()
    } else {
        HashSet::new()
    };
    let future = visits::Entity::find()
        .filter(visits::Column::PlanId.eq(plan.id))
        .filter(visits::Column::OccurrenceAt.gte(utc(now)))
        .filter(visits::Column::StartsAt.gte(utc(now)))
        .filter(visits::Column::Status.is_in(CHANGEABLE))
        .all(db)
        .await?;
    let length = Duration::minutes(plan.duration_minutes);
    let mut sync = VisitSync::default();
    let mut gone = Vec::new();
    for v in future {
        let in_series = v
            .occurrence_at
            .is_some_and(|t| keep.contains(&t.timestamp()));
        if !in_series {
            // Only a visit still scheduled goes; a cancelled one is history.
            if v.status() == VisitStatus::Scheduled {
                gone.push(v.id);
            }
            continue;
        }
        let ends_at = v.starts_at + length;
        if v.exception
            || v.status() != VisitStatus::Scheduled
            || (v.worker_id == plan.worker_id && v.ends_at == ends_at && v.tzid == plan.tzid)
        {
            continue;
        }
        if super::visit_writes::follow_plan(db, actor, &v, plan.worker_id, ends_at, &plan.tzid, now)
            .await?
        {
            sync.updated += 1;
        }
    }
    sync.removed +=
        super::visit_writes::remove_unstarted(db, actor, &gone, "the plan changed", now).await?;
    sync.created = plan.materialise(db, now, horizon).await?;
    Ok(sync)
}

async fn audit_update<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    before: &Model,
    after: &Model,
    reason: &str,
    sync: VisitSync,
    related: Option<(&str, Uuid)>,
) -> AppResult<()> {
    let mut changes = audit_logs::change_json(Some(before), Some(after));
    audit_logs::add_context(&mut changes, Some(reason), related);
    if let serde_json::Value::Object(map) = &mut changes {
        map.insert(
            "visits".into(),
            serde_json::to_value(sync).unwrap_or_default(),
        );
    }
    audit_logs::record(
        db,
        actor,
        Action::Update,
        "service_plans",
        Some(after.pid),
        &changes,
    )
    .await?;
    Ok(())
}

impl Model {
    /// Changes the whole series.
    ///
    /// # Errors
    /// A missing reason; database errors.
    pub async fn change_series(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        new: &NewPlan,
        now: DateTime<Utc>,
        horizon: Duration,
        reason: Option<&str>,
    ) -> AppResult<(Self, VisitSync)> {
        let reason = reason_of(reason)?;
        let txn = db.begin().await?;
        let after = new.active_model(self.clone().into()).update(&txn).await?;
        let sync = sync_visits(&txn, actor, &after, now, horizon).await?;
        audit_update(&txn, actor, self, &after, &reason, sync, None).await?;
        txn.commit().await?;
        Ok((after, sync))
    }

    /// Changes this and following: the series ends just before `at` (a
    /// local time) and a new plan, `new`, takes over from there. At or
    /// before the series' start this is a change of the whole series.
    /// Returns the plan that now holds the visits from `at` on.
    ///
    /// # Errors
    /// A missing reason; database errors.
    #[allow(clippy::too_many_arguments)]
    pub async fn split_at(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        at: NaiveDateTime,
        new: &NewPlan,
        now: DateTime<Utc>,
        horizon: Duration,
        reason: Option<&str>,
    ) -> AppResult<(Self, VisitSync)> {
        if local_time(&self.dtstart).is_none_or(|start| at <= start) {
            return self
                .change_series(db, actor, new, now, horizon, reason)
                .await;
        }
        let reason = reason_of(reason)?;
        let txn = db.begin().await?;
        let head = self.cut_before(at).update(&txn).await?;
        let head_sync = sync_visits(&txn, actor, &head, now, horizon).await?;
        let tail = Self::insert_in(&txn, actor, new, Some(self), Some(&reason)).await?;
        let mut sync = sync_visits(&txn, actor, &tail, now, horizon).await?;
        sync.removed += head_sync.removed;
        sync.updated += head_sync.updated;
        audit_update(
            &txn,
            actor,
            self,
            &head,
            &reason,
            head_sync,
            Some(("split_into", tail.pid)),
        )
        .await?;
        txn.commit().await?;
        Ok((tail, sync))
    }

    /// Ends the plan: no visits on or after `on` (a local date). A plan
    /// ended today or earlier is marked ended.
    ///
    /// # Errors
    /// A missing reason; database errors.
    pub async fn end_on(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        on: NaiveDate,
        now: DateTime<Utc>,
        horizon: Duration,
        reason: Option<&str>,
    ) -> AppResult<(Self, VisitSync)> {
        let reason = reason_of(reason)?;
        let txn = db.begin().await?;
        let out = self.end_in(&txn, actor, on, now, horizon, &reason).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// [`Self::end_on`] inside the caller's transaction, with a checked
    /// reason (a handover ends the outgoing provider's plans with the
    /// contract that takes over).
    ///
    /// # Errors
    /// Database errors; a stored rule that no longer parses.
    pub async fn end_in<C: ConnectionTrait>(
        &self,
        db: &C,
        actor: &Actor,
        on: NaiveDate,
        now: DateTime<Utc>,
        horizon: Duration,
        reason: &str,
    ) -> AppResult<(Self, VisitSync)> {
        let at = on.and_time(chrono::NaiveTime::MIN);
        let mut am = self.cut_before(at);
        let zone = self.recurrence()?.zone();
        let started = local_time(&self.dtstart).is_none_or(|start| start < at);
        if !started || on <= now.with_timezone(&zone).date_naive() {
            am.status = Set("ended".into());
        }
        let after = am.update(db).await?;
        let sync = sync_visits(db, actor, &after, now, horizon).await?;
        audit_update(db, actor, self, &after, reason, sync, None).await?;
        Ok((after, sync))
    }

    /// The plan with its series cut just before `at`: the rule gets an
    /// UNTIL, and extra and removed dates from `at` on are dropped.
    fn cut_before(&self, at: NaiveDateTime) -> ActiveModel {
        let mut am: ActiveModel = self.clone().into();
        am.rrule = Set(self.rrule.as_deref().map(|r| rule_until(r, at)));
        let before = |column: &str| {
            times_column(
                &times_of(column)
                    .into_iter()
                    .filter(|t| *t < at)
                    .collect::<Vec<_>>(),
            )
        };
        am.exdates = Set(before(&self.exdates));
        am.rdates = Set(before(&self.rdates));
        am
    }

    /// The plan's parameters as a form shows them; from `at` on (the rest
    /// of the series after a split) when given: starting at `at`, with a
    /// COUNT shortened by the occurrences before it.
    #[must_use]
    pub fn params_from(
        &self,
        at: Option<NaiveDateTime>,
        recipient: Option<Uuid>,
        household: Option<Uuid>,
        worker: Option<Uuid>,
        backup_worker: Option<Uuid>,
    ) -> PlanParams {
        let start = local_time(&self.dtstart);
        let at = at.filter(|a| start.is_some_and(|s| *a > s));
        let keep = |column: &str| -> Vec<String> {
            times_of(column)
                .into_iter()
                .filter(|t| at.is_none_or(|a| *t >= a))
                .map(|t| t.format(LOCAL_FORMAT).to_string())
                .collect()
        };
        let rrule = match (at, self.rrule.as_deref(), start) {
            (Some(a), Some(r), Some(s)) => {
                let before = Recurrence::parse(&self.tzid, s, Some(r), &[], &[])
                    .and_then(|rec| rec.instants_between(s, a - Duration::seconds(1)))
                    .map_or(0, |v| v.len());
                Some(rule_from(r, before))
            }
            (_, r, _) => r.map(str::to_string),
        };
        PlanParams {
            recipient: recipient.map(|p| p.to_string()),
            household: household.map(|p| p.to_string()),
            worker: worker.map(|p| p.to_string()),
            backup_worker: backup_worker.map(|p| p.to_string()),
            services: self.services.split(',').map(str::to_string).collect(),
            duration_minutes: Some(self.duration_minutes.to_string()),
            tzid: Some(self.tzid.clone()),
            dtstart: Some(at.map_or_else(
                || self.dtstart.clone(),
                |a| a.format(LOCAL_FORMAT).to_string(),
            )),
            rrule,
            exdates: keep(&self.exdates),
            rdates: keep(&self.rdates),
        }
    }
}

/// Which part of a series a change applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apply {
    /// The whole series.
    Series,
    /// The visit `from` and every later one.
    Following,
}

impl Apply {
    /// # Errors
    /// `apply` field error for anything but `series` or `following`.
    pub fn parse(raw: Option<&str>) -> AppResult<Self> {
        match raw.map(str::trim).unwrap_or("series") {
            "" | "series" => Ok(Self::Series),
            "following" => Ok(Self::Following),
            _ => Err(AppError::field("apply", "error-apply")),
        }
    }
}

/// How a change is asked for: which part, from which visit, why, and
/// whether conflicts were seen and accepted.
#[derive(Debug, Clone, Default)]
pub struct ChangeRequest {
    pub apply: Option<String>,
    pub from: Option<String>,
    pub reason: Option<String>,
    pub confirm: bool,
}

/// Refuses a plan whose visits would conflict, unless confirmed.
///
/// # Errors
/// `Conflicts` with the list; database errors.
pub async fn check_conflicts<C: ConnectionTrait>(
    db: &C,
    new: &NewPlan,
    ignore_plan: Option<i64>,
    confirm: bool,
    now: DateTime<Utc>,
    horizon: Duration,
) -> AppResult<()> {
    if confirm {
        return Ok(());
    }
    let found = super::visits::conflicts(db, &new.slots(now, horizon), &[], ignore_plan).await?;
    if found.is_empty() {
        Ok(())
    } else {
        Err(AppError::Conflicts(
            serde_json::to_value(&found).unwrap_or_default(),
        ))
    }
}

/// Creates a plan after checking it and its conflicts.
///
/// # Errors
/// Field errors, `Conflicts`, database errors.
pub async fn create_checked(
    db: &DatabaseConnection,
    scope: &crate::policy::Scope,
    actor: &Actor,
    params: &PlanParams,
    confirm: bool,
    now: DateTime<Utc>,
    horizon: Duration,
) -> AppResult<Model> {
    let new = NewPlan::parse(db, scope, params, now).await?;
    check_conflicts(db, &new, None, confirm, now, horizon).await?;
    Model::create(db, actor, new).await
}

/// The local time of the occurrence of `from` (a visit of `plan` that has
/// not started), where a "this and following" change begins.
///
/// # Errors
/// `NotFound` for a visit of another plan or out of scope; a field error
/// for a visit that has started or passed.
pub async fn split_point(
    db: &DatabaseConnection,
    scope: &crate::policy::Scope,
    plan: &Model,
    from: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<NaiveDateTime> {
    let pid = crate::models::pid(from.unwrap_or_default())?;
    let visit = super::visits::load(db, scope, pid).await?;
    if visit.plan_id != Some(plan.id) {
        return Err(AppError::NotFound);
    }
    if !visit.changeable(now) {
        return Err(AppError::field("from", "error-visit-not-changeable"));
    }
    let zone = plan.recurrence()?.zone();
    Ok(visit
        .occurrence_at
        .unwrap_or(visit.starts_at)
        .with_timezone(&zone)
        .naive_local())
}

/// Changes a plan as asked (whole series or this and following), after
/// checking the new plan and its conflicts. Returns the plan that holds
/// the changed visits.
///
/// # Errors
/// Field errors, `Conflicts`, `NotFound`, database errors.
#[allow(clippy::too_many_arguments)]
pub async fn change_checked(
    db: &DatabaseConnection,
    scope: &crate::policy::Scope,
    actor: &Actor,
    plan: &Model,
    params: &PlanParams,
    req: &ChangeRequest,
    now: DateTime<Utc>,
    horizon: Duration,
) -> AppResult<(Model, VisitSync)> {
    if plan.status != "active" {
        return Err(AppError::field("status", "error-plan-ended"));
    }
    let apply = Apply::parse(req.apply.as_deref())?;
    let at = match apply {
        Apply::Series => None,
        Apply::Following => Some(split_point(db, scope, plan, req.from.as_deref(), now).await?),
    };
    reason_of(req.reason.as_deref())?;
    let new = NewPlan::parse(db, scope, params, now).await?;
    check_conflicts(db, &new, Some(plan.id), req.confirm, now, horizon).await?;
    match at {
        None => {
            plan.change_series(db, actor, &new, now, horizon, req.reason.as_deref())
                .await
        }
        Some(at) => {
            plan.split_at(db, actor, at, &new, now, horizon, req.reason.as_deref())
                .await
        }
    }
}

impl Model {
    /// The plan's current parameters, for a form or for a partial change
    /// through the API; from `at` on when given (see `params_from`).
    ///
    /// # Errors
    /// Database errors.
    pub async fn current_params<C: ConnectionTrait>(
        &self,
        db: &C,
        at: Option<NaiveDateTime>,
    ) -> AppResult<PlanParams> {
        use super::_entities::{households, recipients, users};
        let recipient = match self.recipient_id {
            Some(id) => recipients::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|r| r.pid),
            None => None,
        };
        let household = if recipient.is_none() {
            households::Entity::find_by_id(self.household_id)
                .one(db)
                .await?
                .map(|h| h.pid)
        } else {
            None
        };
        let user = |id: Option<i64>| async move {
            match id {
                Some(id) => users::Entity::find_by_id(id)
                    .one(db)
                    .await
                    .map(|u| u.map(|u| u.pid)),
                None => Ok(None),
            }
        };
        let worker = user(self.worker_id).await?;
        let backup = user(self.backup_worker_id).await?;
        Ok(self.params_from(at, recipient, household, worker, backup))
    }
}

/// Plan changes as one caller makes them at one moment: in their scope,
/// recorded as them, materialised over the configured horizon. Pages and
/// the API call the same methods.
pub struct Planner<'a> {
    pub ctx: &'a loco_rs::app::AppContext,
    pub scope: &'a crate::policy::Scope,
    pub actor: &'a Actor,
    pub now: DateTime<Utc>,
}

impl<'a> Planner<'a> {
    /// The caller's changes, made now.
    #[must_use]
    pub fn new(
        ctx: &'a loco_rs::app::AppContext,
        scope: &'a crate::policy::Scope,
        actor: &'a Actor,
    ) -> Self {
        Self {
            ctx,
            scope,
            actor,
            now: Utc::now(),
        }
    }

    fn horizon(&self) -> Duration {
        crate::workers::plan_materialise::horizon(self.ctx)
    }

    /// Creates a plan after checking it and its conflicts, and has its
    /// visits materialised; returns it as it is after the job (which may
    /// have run already, inline in tests and small setups).
    ///
    /// # Errors
    /// Field errors, `Conflicts`, database and queue errors.
    pub async fn create(&self, params: &PlanParams, confirm: bool) -> AppResult<Model> {
        let db = &self.ctx.db;
        let plan = create_checked(
            db,
            self.scope,
            self.actor,
            params,
            confirm,
            self.now,
            self.horizon(),
        )
        .await?;
        plan.materialise_later(self.ctx).await?;
        Ok(super::service_plans::Entity::find_by_id(plan.id)
            .one(db)
            .await?
            .unwrap_or(plan))
    }

    /// Creates a plan from an API body: the plan's fields and `confirm`
    /// (save although its visits conflict with others).
    ///
    /// # Errors
    /// `body` field error for a body of the wrong shape; as [`Self::create`].
    pub async fn create_from(&self, body: serde_json::Value) -> AppResult<Model> {
        #[derive(Debug, Default, serde::Deserialize)]
        struct Confirm {
            #[serde(default)]
            confirm: bool,
        }
        let params: PlanParams = from_body(body.clone())?;
        let c: Confirm = from_body(body)?;
        self.create(&params, c.confirm).await
    }

    /// Changes a plan as asked (see [`change_checked`]).
    ///
    /// # Errors
    /// Field errors, `Conflicts`, `NotFound`, database errors.
    pub async fn change(
        &self,
        plan: &Model,
        params: &PlanParams,
        req: &ChangeRequest,
    ) -> AppResult<(Model, VisitSync)> {
        change_checked(
            &self.ctx.db,
            self.scope,
            self.actor,
            plan,
            params,
            req,
            self.now,
            self.horizon(),
        )
        .await
    }

    /// A partial change as the API takes it: `apply` (`series`, the
    /// default, or `following` from the visit `from`), `reason`,
    /// `confirm`, and any plan fields to change; fields left out keep
    /// their current values, and the plan's person cannot change.
    ///
    /// # Errors
    /// `body` field error for a body of the wrong shape; as [`Self::change`].
    pub async fn patch(
        &self,
        plan: &Model,
        body: serde_json::Value,
    ) -> AppResult<(Model, VisitSync)> {
        #[derive(Debug, Default, serde::Deserialize)]
        struct ChangeBody {
            apply: Option<String>,
            from: Option<String>,
            reason: Option<String>,
            #[serde(default)]
            confirm: bool,
        }
        let b: ChangeBody = from_body(body.clone())?;
        let at = match Apply::parse(b.apply.as_deref())? {
            Apply::Series => None,
            Apply::Following => Some(
                split_point(&self.ctx.db, self.scope, plan, b.from.as_deref(), self.now).await?,
            ),
        };
        let mut params = serde_json::to_value(plan.current_params(&self.ctx.db, at).await?)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        if let (Some(p), serde_json::Value::Object(given)) = (params.as_object_mut(), body) {
            for (k, val) in given {
                if p.contains_key(&k) && k != "recipient" && k != "household" {
                    p.insert(k, val);
                }
            }
        }
        let req = ChangeRequest {
            apply: b.apply,
            from: b.from,
            reason: b.reason,
            confirm: b.confirm,
        };
        self.change(plan, &from_body(params)?, &req).await
    }

    /// Ends a plan: no visits on or after `end_on` (a local date).
    ///
    /// # Errors
    /// `end_on` and `reason` field errors; database errors.
    pub async fn end(
        &self,
        plan: &Model,
        end_on: Option<&str>,
        reason: Option<&str>,
    ) -> AppResult<(Model, VisitSync)> {
        let on = end_date(end_on)?;
        plan.end_on(
            &self.ctx.db,
            self.actor,
            on,
            self.now,
            self.horizon(),
            reason,
        )
        .await
    }

    /// The plan's parameters as the change form starts with them: from the
    /// visit `from` on ("this and following") when given, else the whole
    /// series; and whether it is "this and following".
    ///
    /// # Errors
    /// `NotFound` or a `from` field error for a visit that cannot start a
    /// change; database errors.
    pub async fn form_params(
        &self,
        plan: &Model,
        from: Option<&str>,
    ) -> AppResult<(PlanParams, bool)> {
        let at = match from.filter(|s| !s.trim().is_empty()) {
            Some(from) => {
                Some(split_point(&self.ctx.db, self.scope, plan, Some(from), self.now).await?)
            }
            None => None,
        };
        Ok((plan.current_params(&self.ctx.db, at).await?, at.is_some()))
    }
}

/// A JSON body as `T`; a body of the wrong shape is a `body` field error.
///
/// # Errors
/// `body` field error.
pub fn from_body<T: serde::de::DeserializeOwned>(body: serde_json::Value) -> AppResult<T> {
    serde_json::from_value(body).map_err(|_| AppError::field("body", "error-bad-json"))
}
