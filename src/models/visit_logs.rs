//! What a worker records at the door. Every submission from a phone may
//! carry a client-generated id: the first result is stored under that id
//! (a unique key, in the same transaction as the change) and a repeat of
//! the id is answered with it, creating nothing new.
use super::{
    _entities::{recipients, visit_submissions, visits},
    audit_logs::{self, Action},
    visit_writes, Actor,
};
use crate::domain::visit::VisitStatus;
pub use crate::domain::visit_log::{LogInput, MaterialInput, ReferralInput, ServiceInput};
use crate::{
    domain::{
        geo::{self, Point},
        visit_log::{self, LocationReason, Outcome, Referral, VisitLog},
    },
    errors::{is_unique_violation, AppError, AppResult, FieldErrors},
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    entity::prelude::*, ActiveValue::Set, ConnectionTrait, DatabaseTransaction, QueryOrder,
    TransactionTrait,
};
use serde::Deserialize;
use serde_json::Value;

/// Rules of the door that a deployment sets (`settings`).
#[derive(Debug, Clone, Copy)]
pub struct DoorRules {
    /// A check-in farther than this from the home is an exception.
    pub radius_m: f64,
    /// A check-in this long after the start is late.
    pub late_after: Duration,
}

impl Default for DoorRules {
    fn default() -> Self {
        Self {
            radius_m: 500.0,
            late_after: Duration::minutes(15),
        }
    }
}

impl DoorRules {
    /// From the app's `settings` (`check_in_radius_m`,
    /// `late_after_minutes`), with the defaults for anything missing.
    #[must_use]
    pub fn from_settings(settings: Option<&Value>) -> Self {
        let d = Self::default();
        let get = |k: &str| settings.and_then(|s| s.get(k)).and_then(Value::as_f64);
        Self {
            radius_m: get("check_in_radius_m")
                .filter(|r| *r > 0.0)
                .unwrap_or(d.radius_m),
            late_after: get("late_after_minutes")
                .filter(|m| *m >= 0.0)
                .map_or(d.late_after, |m| Duration::minutes(m as i64)),
        }
    }
}

/// A check-in as the phone sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CheckIn {
    pub client_id: Option<String>,
    /// The phone's clock, RFC 3339.
    pub device_time: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Metres, as the browser reports it.
    pub accuracy: Option<f64>,
    /// Why there is no location, or why it is far from the home.
    pub location_reason: Option<String>,
}

/// A stored first answer, or the visit just changed.
#[derive(Debug, Clone)]
pub enum Answer {
    Fresh(Box<visits::Model>),
    Replay { status: u16, body: Value },
}

fn client_id(raw: Option<&str>) -> AppResult<Option<Uuid>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Uuid::parse_str(s)
            .map(Some)
            .map_err(|_| AppError::field("client_id", "error-client-id")),
    }
}

/// What a client id was first used for: one user, one visit (none yet
/// for an ad-hoc creation), one action.
#[derive(Debug, Clone, Copy)]
pub struct Use<'a> {
    pub user_id: i64,
    pub visit_id: Option<i64>,
    pub action: &'a str,
}

async fn replay<C: ConnectionTrait>(db: &C, id: Uuid, to: Use<'_>) -> AppResult<Option<Answer>> {
    let Some(found) = visit_submissions::Entity::find()
        .filter(visit_submissions::Column::ClientId.eq(id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    // An id belongs to one person, one visit and one action: reused for
    // anything else it answers nothing (another person's id is none of
    // this caller's business either).
    if found.user_id != to.user_id
        || found.action != to.action
        || to.visit_id.is_some_and(|v| v != found.visit_id)
    {
        return Err(AppError::field("client_id", "error-client-id-reused"));
    }
    Ok(Some(Answer::Replay {
        status: u16::try_from(found.status_code).unwrap_or(200),
        body: serde_json::from_str(&found.response).unwrap_or(Value::Null),
    }))
}

/// The stored answer to `raw_client_id`, if it was already used (as
/// `once` would replay it).
///
/// # Errors
/// A malformed id, or one used for something else (422); database errors.
pub async fn replayed(
    db: &DatabaseConnection,
    raw_client_id: Option<&str>,
    to: Use<'_>,
) -> AppResult<Option<Answer>> {
    match client_id(raw_client_id)? {
        Some(id) => replay(db, id, to).await,
        None => Ok(None),
    }
}

/// Runs `change` once per client id: inside one transaction with the
/// stored answer (`respond` of the changed visit); a repeat, or a race
/// lost to the same id, gets the first answer.
///
/// # Errors
/// What `change` returns; a client id used for something else (422);
/// database errors.
pub async fn once<F>(
    db: &DatabaseConnection,
    raw_client_id: Option<&str>,
    to: Use<'_>,
    respond: impl Fn(&visits::Model) -> Value,
    change: F,
) -> AppResult<Answer>
where
    F: for<'t> AsyncFnOnce(&'t DatabaseTransaction) -> AppResult<visits::Model>,
{
    let id = client_id(raw_client_id)?;
    if let Some(id) = id {
        if let Some(a) = replay(db, id, to).await? {
            return Ok(a);
        }
    }
    let txn = db.begin().await?;
    let changed = match change(&txn).await {
        Ok(v) => v,
        Err(e) => {
            txn.rollback().await?;
            // The same id sent twice at once: the loser of the race on the
            // visit is answered with the winner's stored answer.
            if let (AppError::Stale(_), Some(id)) = (&e, id) {
                if let Some(a) = replay(db, id, to).await? {
                    return Ok(a);
                }
            }
            return Err(e);
        }
    };
    if let Some(id) = id {
        let row = visit_submissions::ActiveModel {
            client_id: Set(id),
            user_id: Set(to.user_id),
            visit_id: Set(changed.id),
            action: Set(to.action.to_string()),
            // A creation is answered 201, a repeat of it too.
            status_code: Set(if to.visit_id.is_none() { 201 } else { 200 }),
            response: Set(respond(&changed).to_string()),
            created_at: Set(Utc::now().into()),
            ..Default::default()
        };
        if let Err(e) = row.insert(&txn).await {
            if is_unique_violation(&e) {
                txn.rollback().await?;
                return replay(db, id, to)
                    .await?
                    .ok_or_else(|| AppError::Internal("submission vanished".into()));
            }
            return Err(e.into());
        }
    }
    txn.commit().await?;
    Ok(Answer::Fresh(Box::new(changed)))
}

/// Checks the assigned worker in: server and device time, the location
/// and its distance to the registered home, or the reason there is none
/// (also needed when the distance is over the radius); late when past the
/// start by more than the rules allow.
///
/// # Errors
/// Field errors (already checked in, bad coordinates, a missing reason);
/// 409 when the visit changed meanwhile; database errors.
pub async fn check_in<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    visit: &visits::Model,
    input: &CheckIn,
    rules: DoorRules,
    now: DateTime<Utc>,
) -> AppResult<visits::Model> {
    let claimed = visit_writes::claim(db, visit).await?;
    let visit = &claimed.visit.clone();
    // A missed visit may still be logged after the fact; it stays late.
    if !visit.status().may_check_in() || visit.checked_in_at.is_some() {
        return Err(AppError::field("status", "error-already-checked-in"));
    }
    let mut e = FieldErrors::new();
    let point = match (input.latitude, input.longitude) {
        (Some(lat), Some(lon)) => {
            e.take("latitude", Point::new(lat, lon), geo::GeoError::message_key)
        }
        (None, None) => None,
        _ => {
            e.add("latitude", "error-latitude");
            None
        }
    };
    let accuracy = match input.accuracy {
        Some(a) => e.take("accuracy", geo::accuracy(a), geo::GeoError::message_key),
        None => None,
    };
    let device_time = e.optional(
        "device_time",
        input.device_time.as_deref(),
        "error-instant",
        DateTime::parse_from_rfc3339,
    );
    let reason = e.optional(
        "location_reason",
        input.location_reason.as_deref(),
        "error-location-reason",
        LocationReason::parse,
    );
    let home = home_of(db, visit).await?;
    let distance = point.zip(home).map(|(p, h)| p.distance_m(h));
    let exception = point.is_none() || distance.is_some_and(|d| d > rules.radius_m);
    if exception && reason.is_none() && e.is_empty() {
        e.add("location_reason", "error-location-reason-needed");
    }
    e.into_result(|| Some(()))?;
    let mut am: visits::ActiveModel = visit.clone().into();
    am.status = Set(VisitStatus::InProgress.as_str().into());
    am.checked_in_at = Set(Some(now.into()));
    am.device_checked_in_at = Set(device_time);
    am.check_in_lat = Set(point.map(|p| p.lat));
    am.check_in_lon = Set(point.map(|p| p.lon));
    am.check_in_accuracy = Set(accuracy);
    am.distance_m = Set(distance);
    am.location_exception = Set(exception);
    am.location_reason = Set(if exception {
        reason.map(|r| r.as_str().to_string())
    } else {
        None
    });
    am.late = Set(visit.late
        || visit.status() == VisitStatus::Missed
        || now > visit.starts_at.with_timezone(&Utc) + rules.late_after);
    am.submitted_by_id = Set(actor.user_id);
    claimed.save(db, actor, am, async |_, _| Ok(None)).await
}

/// Where the visit should happen: the recipient's registered home, or for
/// a household visit the first member's with a location on record.
pub async fn home_of<C: ConnectionTrait>(
    db: &C,
    visit: &visits::Model,
) -> AppResult<Option<Point>> {
    let mut q = recipients::Entity::find()
        .filter(recipients::Column::Latitude.is_not_null())
        .filter(recipients::Column::Longitude.is_not_null());
    q = match visit.recipient_id {
        Some(id) => q.filter(recipients::Column::Id.eq(id)),
        None => q
            .filter(recipients::Column::HouseholdId.eq(visit.household_id))
            .order_by_asc(recipients::Column::Id),
    };
    Ok(q.one(db)
        .await?
        .and_then(|r| Point::new(r.latitude?, r.longitude?).ok()))
}

/// What the worker sends when the visit ends (check-out).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Submission {
    pub client_id: Option<String>,
    pub device_time: Option<String>,
    #[serde(flatten)]
    pub log: LogInput,
    #[serde(default)]
    pub referrals: Vec<ReferralInput>,
}

/// A correction of a logged visit: the whole log as it should read, and
/// why. A signature sent replaces the one on file; none keeps it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AmendmentInput {
    pub client_id: Option<String>,
    pub reason: Option<String>,
    /// How many corrections the record had when the sender saw it; when
    /// given and the record has had more since, the correction is refused
    /// (409) rather than made on a copy that is no longer the record.
    #[serde(default)]
    pub based_on: Option<u64>,
    #[serde(flatten)]
    pub log: LogInput,
}

/// Refuses to complete a visit that lacks any of the six verification
/// elements (`verification` lists what is missing).
fn require_elements(
    visit: &visits::Model,
    log: &VisitLog,
    checked_out_at: Option<DateTime<Utc>>,
) -> AppResult<()> {
    use crate::domain::visit_log::{missing, Evidence};
    if !log.delivered() {
        return Ok(());
    }
    let lacking = missing(&Evidence {
        service_lines: log.services().len(),
        recipient: true,
        provider: visit.worker_id.is_some(),
        checked_in_at: visit.checked_in_at.map(|t| t.with_timezone(&Utc)),
        checked_out_at,
        located: visit.check_in_lat.is_some() || visit.location_reason.is_some(),
    });
    if lacking.is_empty() {
        return Ok(());
    }
    let mut e = FieldErrors::new();
    for el in lacking {
        e.add("verification", &format!("error-missing-{}", el.as_str()));
    }
    Err(AppError::Invalid(e))
}

/// Sets the log's fields on `am` and replaces the visit's lines (and adds
/// the signature, when a new one came); returns how many lines were stored.
async fn store_log<C: ConnectionTrait>(
    db: &C,
    am: &mut visits::ActiveModel,
    visit: &visits::Model,
    log: &VisitLog,
    now: DateTime<Utc>,
) -> AppResult<(usize, usize)> {
    use super::_entities::{visit_material_lines, visit_service_lines, visit_signatures};
    let text = |t: Option<&str>| t.map(str::to_string);
    am.status = Set(log.status().as_str().into());
    if let Some(reason) = log.cancel_reason() {
        am.cancel_reason = Set(Some(reason.to_string()));
    }
    am.notes = Set(text(log.notes()));
    am.confirmed_by = Set(text(log.confirmed_by()));
    am.confirmed_relation = Set(text(log.confirmed_relation()));
    am.no_confirmation_reason = Set(log.no_confirmation_reason().map(|r| r.as_str().to_string()));
    am.minutes_reason = Set(text(log.minutes_reason()));
    visit_service_lines::Entity::delete_many()
        .filter(visit_service_lines::Column::VisitId.eq(visit.id))
        .exec(db)
        .await?;
    visit_material_lines::Entity::delete_many()
        .filter(visit_material_lines::Column::VisitId.eq(visit.id))
        .exec(db)
        .await?;
    let counts = (log.services().len(), log.materials().len());
    if !log.services().is_empty() {
        visit_service_lines::Entity::insert_many(log.services().iter().map(|s| {
            visit_service_lines::ActiveModel {
                visit_id: Set(visit.id),
                service: Set(s.service().to_string()),
                minutes: Set(s.minutes()),
                created_at: Set(now.into()),
                ..Default::default()
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    if !log.materials().is_empty() {
        visit_material_lines::Entity::insert_many(log.materials().iter().map(|m| {
            visit_material_lines::ActiveModel {
                visit_id: Set(visit.id),
                item: Set(m.item().to_string()),
                category: Set(m.category().as_str().into()),
                quantity_milli: Set(m.quantity_milli()),
                unit: Set(m.unit().to_string()),
                value_fen: Set(m.value_fen()),
                funding: Set(m.funding().as_str().into()),
                donor: Set(text(m.donor())),
                created_at: Set(now.into()),
                ..Default::default()
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    // A new signature is added beside the ones before it (the newest is
    // the current one): a correction never deletes what was signed. The
    // log holds one only when the visit was completed.
    if let Some(signature) = log.signature() {
        visit_signatures::ActiveModel {
            visit_id: Set(visit.id),
            content_type: Set(signature.content_type().into()),
            data: Set(signature.data().to_vec()),
            created_at: Set(now.into()),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(counts)
}

/// Ends a visit with its outcome and what it delivered; a completed visit
/// must hold all six verification elements and a confirmation (or why
/// none could be given).
///
/// # Errors
/// Field errors (per line: `services.0.minutes`), `verification` with the
/// missing elements; database errors.
pub async fn submit<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    visit: &visits::Model,
    input: &Submission,
    offered: &(dyn Fn(&str) -> bool + Sync),
    now: DateTime<Utc>,
) -> AppResult<visits::Model> {
    use super::_entities::referrals;
    let claimed = visit_writes::claim(db, visit).await?;
    let visit = &claimed.visit.clone();
    let mut e = FieldErrors::new();
    let device_time = e.optional(
        "device_time",
        input.device_time.as_deref(),
        "error-instant",
        DateTime::parse_from_rfc3339,
    );
    // How long the visit lasted, by the server's clock and by the phone's
    // (a record queued offline carries the times the phone recorded).
    let utc = |t: Option<DateTime<chrono::FixedOffset>>| t.map(|t| t.with_timezone(&Utc));
    let lasted = visit_log::elapsed(
        (utc(visit.checked_in_at), Some(now)),
        (utc(visit.device_checked_in_at), utc(device_time)),
    );
    let log = VisitLog::parse(&input.log, offered, false, lasted)
        .map_err(|errors| e.extend(errors))
        .ok();
    let outcome = Outcome::parse(input.log.outcome.as_deref().unwrap_or_default()).ok();
    if outcome.is_some_and(|o| !o.may_end(visit.status())) {
        e.add("status", "error-visit-not-open");
    }
    let raised = Referral::parse_list(&input.referrals)
        .map_err(|errors| e.extend(errors))
        .ok();
    let (log, raised) = e.into_result(|| log.zip(raised))?;
    require_elements(visit, &log, Some(now))?;
    let mut am: visits::ActiveModel = visit.clone().into();
    if visit.checked_in_at.is_some() {
        am.checked_out_at = Set(Some(now.into()));
        am.device_checked_out_at = Set(device_time);
    }
    am.submitted_by_id = Set(actor.user_id);
    let (n_services, n_materials) = store_log(db, &mut am, visit, &log, now).await?;
    let after = claimed
        .save(db, actor, am, async |before, after| {
            let mut changes = audit_logs::change_json(Some(before), Some(after));
            if let Value::Object(map) = &mut changes {
                map.insert("service_lines".into(), n_services.into());
                map.insert("material_lines".into(), n_materials.into());
            }
            Ok(Some(changes))
        })
        .await?;
    let mut chain = audit_logs::Chain::default();
    for referral in raised {
        let r = referrals::ActiveModel {
            visit_id: Set(visit.id),
            recipient_id: Set(visit.recipient_id),
            household_id: Set(visit.household_id),
            organization_id: Set(visit.organization_id),
            township_id: Set(visit.township_id),
            kind: Set(referral.kind().as_str().into()),
            note: Set(referral.note().to_string()),
            status: Set("open".into()),
            ..Default::default()
        }
        .insert(db)
        .await?;
        chain
            .append_change(
                db,
                actor,
                Action::Create,
                "referrals",
                r.pid,
                None,
                Some(&r),
            )
            .await?;
    }
    Ok(after)
}

/// Whether a visit's log may be corrected: it was submitted (an outcome
/// from the door, not a plan change) and its period is not accepted.
#[must_use]
pub fn amendable(visit: &visits::Model) -> bool {
    visit.locked_at.is_none() && visit.submitted_by_id.is_some() && visit.status().has_record()
}

/// Corrects a logged visit: the new log replaces the old one, which stays
/// readable in the amendment (`before`), with who, when and why. Check-in
/// and check-out times and the location are facts and do not change.
///
/// # Errors
/// `status` when the visit was never logged or its period is accepted;
/// `reason` when none is given; the log's field errors; database errors.
pub async fn amend<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    visit: &visits::Model,
    input: &AmendmentInput,
    offered: &(dyn Fn(&str) -> bool + Sync),
    now: DateTime<Utc>,
) -> AppResult<visits::Model> {
    use super::{_entities::visit_amendments, visit_lines};
    use crate::domain::text;
    let claimed = visit_writes::claim(db, visit).await?;
    let visit = &claimed.visit.clone();
    if !amendable(visit) {
        return Err(AppError::field("status", "error-visit-not-logged"));
    }
    if let Some(seen) = input.based_on {
        use sea_orm::PaginatorTrait;
        let made = visit_amendments::Entity::find()
            .filter(visit_amendments::Column::VisitId.eq(visit.id))
            .count(db)
            .await?;
        if made != seen {
            return Err(AppError::Stale("error-visit-changed"));
        }
    }
    let before = visit_lines::record(db, visit).await?;
    let mut e = FieldErrors::new();
    let reason = e.take(
        "reason",
        text::required(input.reason.as_deref().unwrap_or_default(), 500),
        |x| x.message_key(),
    );
    let utc = |t: Option<DateTime<chrono::FixedOffset>>| t.map(|t| t.with_timezone(&Utc));
    let lasted = visit_log::elapsed(
        (utc(visit.checked_in_at), utc(visit.checked_out_at)),
        (
            utc(visit.device_checked_in_at),
            utc(visit.device_checked_out_at),
        ),
    );
    let log = VisitLog::parse(&input.log, offered, before.signature, lasted)
        .map_err(|errors| e.extend(errors))
        .ok();
    let (reason, log) = e.into_result(|| reason.zip(log))?;
    require_elements(
        visit,
        &log,
        visit.checked_out_at.map(|t| t.with_timezone(&Utc)),
    )?;
    let mut am: visits::ActiveModel = visit.clone().into();
    store_log(db, &mut am, visit, &log, now).await?;
    claimed
        .save(db, actor, am, async |_, after| {
            let after_record = visit_lines::record(db, after).await?;
            if after_record == before {
                return Err(AppError::field("reason", "error-amendment-unchanged"));
            }
            let json = |r: &visit_lines::Record| serde_json::to_string(r).unwrap_or_default();
            let row = visit_amendments::ActiveModel {
                visit_id: Set(visit.id),
                user_id: Set(actor.user_id.unwrap_or_default()),
                reason: Set(reason.clone()),
                before: Set(json(&before)),
                after: Set(json(&after_record)),
                ..Default::default()
            }
            .insert(db)
            .await?;
            let mut changes = serde_json::json!({
                "record": {"before": before, "after": after_record},
            });
            audit_logs::add_context(&mut changes, Some(&reason), Some(("amendment", row.pid)));
            Ok(Some(changes))
        })
        .await
}

/// Flags visits nobody checked in to: late once `late_after` has passed
/// since the start, missed once the day of the visit (display zone) is
/// over. Each flagged visit gets an audit entry. Returns (late, missed).
///
/// # Errors
/// Database errors.
pub async fn mark_overdue(
    db: &DatabaseConnection,
    rules: DoorRules,
    now: DateTime<Utc>,
) -> AppResult<(u64, u64)> {
    use sea_orm::QuerySelect;
    let actor = Actor::system("visits:mark_overdue");
    let zone = crate::zone::display();
    let today = crate::domain::recurrence::resolve(
        zone,
        now.with_timezone(&zone)
            .date_naive()
            .and_time(chrono::NaiveTime::MIN),
    );
    let at = |t: DateTime<Utc>| DateTime::<chrono::FixedOffset>::from(t);
    let ids = |q: sea_orm::Select<visits::Entity>| async move {
        q.select_only()
            .column(visits::Column::Id)
            .limit(10_000)
            .into_tuple::<i64>()
            .all(db)
            .await
    };
    let late = ids(visits::Entity::find()
        .filter(visits::Column::Status.eq(VisitStatus::Scheduled.as_str()))
        .filter(visits::Column::Late.eq(false))
        .filter(visits::Column::StartsAt.lt(at(now - rules.late_after))))
    .await?;
    let missed = ids(visits::Entity::find()
        .filter(visits::Column::Status.eq(VisitStatus::Scheduled.as_str()))
        .filter(visits::Column::StartsAt.lt(at(today))))
    .await?;
    let txn = db.begin().await?;
    let (late, missed, _locked) =
        visit_writes::mark_overdue_rows(&txn, &actor, &late, &missed, now).await?;
    txn.commit().await?;
    Ok((late as u64, missed as u64))
}
