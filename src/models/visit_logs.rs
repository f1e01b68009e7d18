//! What a worker records at the door. Every submission from a phone may
//! carry a client-generated id: the first result is stored under that id
//! (a unique key, in the same transaction as the change) and a repeat of
//! the id is answered with it, creating nothing new.
use super::{
    _entities::{recipients, visit_submissions, visits},
    audit_logs::{self, Action},
    Actor,
};
use crate::{
    domain::{
        geo::{self, Point},
        visit_log::LocationReason,
    },
    errors::{is_unique_violation, AppError, AppResult, FieldErrors},
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    entity::prelude::*, ActiveValue::Set, ConnectionTrait, DatabaseTransaction, TransactionTrait,
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

async fn replay<C: ConnectionTrait>(db: &C, id: Uuid, user_id: i64) -> AppResult<Option<Answer>> {
    let Some(found) = visit_submissions::Entity::find()
        .filter(visit_submissions::Column::ClientId.eq(id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    // Another person's id is none of this caller's business.
    if found.user_id != user_id {
        return Err(AppError::field("client_id", "error-client-id"));
    }
    Ok(Some(Answer::Replay {
        status: u16::try_from(found.status_code).unwrap_or(200),
        body: serde_json::from_str(&found.response).unwrap_or(Value::Null),
    }))
}

/// Runs `change` once per client id: inside one transaction with the
/// stored answer (`respond` of the changed visit); a repeat, or a race
/// lost to the same id, gets the first answer.
///
/// # Errors
/// What `change` returns; database errors.
pub async fn once<F>(
    db: &DatabaseConnection,
    raw_client_id: Option<&str>,
    user_id: i64,
    visit_id: i64,
    action: &str,
    respond: impl Fn(&visits::Model) -> Value,
    change: F,
) -> AppResult<Answer>
where
    F: for<'t> AsyncFnOnce(&'t DatabaseTransaction) -> AppResult<visits::Model>,
{
    let id = client_id(raw_client_id)?;
    if let Some(id) = id {
        if let Some(a) = replay(db, id, user_id).await? {
            return Ok(a);
        }
    }
    let txn = db.begin().await?;
    let changed = change(&txn).await?;
    if let Some(id) = id {
        let row = visit_submissions::ActiveModel {
            client_id: Set(id),
            user_id: Set(user_id),
            visit_id: Set(visit_id),
            action: Set(action.to_string()),
            status_code: Set(200),
            response: Set(respond(&changed).to_string()),
            created_at: Set(Utc::now().into()),
            ..Default::default()
        };
        if let Err(e) = row.insert(&txn).await {
            if is_unique_violation(&e) {
                txn.rollback().await?;
                return replay(db, id, user_id)
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
/// database errors.
pub async fn check_in<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    visit: &visits::Model,
    input: &CheckIn,
    rules: DoorRules,
    now: DateTime<Utc>,
) -> AppResult<visits::Model> {
    if visit.status != "scheduled" || visit.checked_in_at.is_some() {
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
    let device_time = match input
        .device_time
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => Some(t),
            Err(_) => {
                e.add("device_time", "error-instant");
                None
            }
        },
        None => None,
    };
    let reason = match input
        .location_reason
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(r) => match LocationReason::parse(r) {
            Ok(r) => Some(r),
            Err(_) => {
                e.add("location_reason", "error-location-reason");
                None
            }
        },
        None => None,
    };
    let home = match visit.recipient_id {
        Some(id) => recipients::Entity::find_by_id(id).one(db).await?,
        None => None,
    }
    .and_then(|r| Point::new(r.latitude?, r.longitude?).ok());
    let distance = point.zip(home).map(|(p, h)| p.distance_m(h));
    let exception = point.is_none() || distance.is_some_and(|d| d > rules.radius_m);
    if exception && reason.is_none() && e.is_empty() {
        e.add("location_reason", "error-location-reason-needed");
    }
    e.into_result(|| Some(()))?;
    let mut am: visits::ActiveModel = visit.clone().into();
    am.status = Set("in_progress".into());
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
    am.late = Set(visit.late || now > visit.starts_at.with_timezone(&Utc) + rules.late_after);
    am.submitted_by_id = Set(actor.user_id);
    let after = am.update(db).await?;
    let mut changes = audit_logs::change_json(Some(visit), Some(&after));
    audit_logs::add_context(&mut changes, None, None);
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
