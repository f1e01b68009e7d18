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
use crate::{
    domain::{
        geo::{self, Point},
        visit_log::{LocationReason, MaterialCategory, NoConfirmationReason, Outcome},
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

/// An optional field: absent or blank is `None`; present, it must parse,
/// or the field gets `key`.
fn optional_field<T, E>(
    e: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
    key: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Option<T> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    match parse(raw) {
        Ok(v) => Some(v),
        Err(_) => {
            e.add(field, key);
            None
        }
    }
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
    let device_time = optional_field(
        &mut e,
        "device_time",
        input.device_time.as_deref(),
        "error-instant",
        DateTime::parse_from_rfc3339,
    );
    let reason = optional_field(
        &mut e,
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

/// A number or a string, as phones send them.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One service line as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServiceInput {
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub minutes: Value,
}

/// One material line as sent; `value` is in yuan (`"12.50"`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MaterialInput {
    #[serde(default)]
    pub item: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub quantity: Value,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub value: Value,
    /// `contract` (the contract's budget) or `donation`.
    #[serde(default)]
    pub funding: Option<String>,
    /// The charity or donor, for a donation.
    #[serde(default)]
    pub donor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReferralInput {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// What happened at a visit, as sent at check-out or in a correction:
/// outcome, lines, notes and the recipient's confirmation.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LogInput {
    /// `completed`, `attempted`, `refused` or `cancelled`.
    pub outcome: Option<String>,
    #[serde(default)]
    pub services: Vec<ServiceInput>,
    #[serde(default)]
    pub materials: Vec<MaterialInput>,
    pub notes: Option<String>,
    /// Who confirmed (the recipient or a family member) and how related.
    pub confirmed_by: Option<String>,
    pub confirmed_relation: Option<String>,
    /// The signature drawn on the screen, `data:image/png;base64,...`.
    pub signature: Option<String>,
    /// Why nobody could confirm.
    pub no_confirmation_reason: Option<String>,
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

/// The largest signature image accepted.
const MAX_SIGNATURE_BYTES: usize = 300 * 1024;

fn signature_image(raw: &str) -> Option<(String, Vec<u8>)> {
    use base64::Engine;
    let (head, data) = raw.trim().split_once(',')?;
    let kind = head.strip_prefix("data:")?.strip_suffix(";base64")?;
    if !["image/png", "image/jpeg", "image/webp"].contains(&kind) {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .ok()?;
    let magic_ok = match kind {
        "image/png" => bytes.starts_with(b"\x89PNG"),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8]),
        _ => bytes.get(8..12) == Some(b"WEBP"),
    };
    (magic_ok && !bytes.is_empty() && bytes.len() <= MAX_SIGNATURE_BYTES)
        .then(|| (kind.to_string(), bytes))
}

/// A log that passed its checks, ready to store.
struct CheckedLog {
    outcome: Option<Outcome>,
    notes: Option<String>,
    services: Vec<(String, i64)>,
    materials: Vec<MaterialRow>,
    confirmed_by: Option<String>,
    relation: Option<String>,
    no_reason: Option<NoConfirmationReason>,
    signature: Option<(String, Vec<u8>)>,
}

struct MaterialRow {
    item: String,
    category: MaterialCategory,
    quantity: i64,
    unit: String,
    value: i64,
    funding: &'static str,
    donor: Option<String>,
}

impl CheckedLog {
    fn delivered(&self) -> bool {
        self.outcome == Some(Outcome::Completed)
    }
}

/// Checks a log's fields, collecting every problem in `e` (per line:
/// `services.0.minutes`). `offered` says whether a service code is in the
/// catalogue; `signed` whether a signature is already on file.
fn check_log(
    e: &mut FieldErrors,
    input: &LogInput,
    offered: &(dyn Fn(&str) -> bool + Sync),
    signed: bool,
) -> CheckedLog {
    use crate::domain::{money::parse_yuan, text, visit_log::quantity_milli};
    let outcome = match Outcome::parse(input.outcome.as_deref().unwrap_or_default()) {
        Ok(o) => Some(o),
        Err(_) => {
            e.add("outcome", "error-outcome");
            None
        }
    };
    let notes = e
        .take("notes", text::optional(input.notes.as_deref(), 2000), |x| {
            x.message_key()
        })
        .flatten();
    if outcome == Some(Outcome::Cancelled) && notes.is_none() {
        e.add("notes", "error-cancel-reason");
    }
    let delivered = outcome == Some(Outcome::Completed);
    if !delivered && (!input.services.is_empty() || !input.materials.is_empty()) {
        e.add("services", "error-lines-only-completed");
    }
    use crate::domain::limits::List;
    let mut services = Vec::new();
    let mut materials = Vec::new();
    // Too many lines: refused as a whole, none of them looked at.
    let over = [
        ("services", List::ServiceLines, input.services.len()),
        ("materials", List::MaterialLines, input.materials.len()),
    ]
    .into_iter()
    .filter_map(|(field, list, n)| list.check(n).err().map(|key| (field, key)))
    .collect::<Vec<_>>();
    for (field, key) in &over {
        e.add(field, key);
    }
    let (service_inputs, material_inputs) = if over.is_empty() {
        (&input.services[..], &input.materials[..])
    } else {
        (&[][..], &[][..])
    };
    for (i, s) in service_inputs.iter().enumerate() {
        let service = s.service.as_deref().map(str::trim).filter(|x| offered(x));
        let minutes = text_of(&s.minutes)
            .and_then(|m| m.trim().parse::<i64>().ok())
            .filter(|m| (1..=720).contains(m));
        if service.is_none() {
            e.add(&format!("services.{i}.service"), "error-choose-services");
        }
        if minutes.is_none() {
            e.add(&format!("services.{i}.minutes"), "error-minutes");
        }
        if let (Some(s), Some(m)) = (service, minutes) {
            services.push((s.to_string(), m));
        }
    }
    for (i, m) in material_inputs.iter().enumerate() {
        let f = |k: &str| format!("materials.{i}.{k}");
        let item = e.take(
            &f("item"),
            text::required(m.item.as_deref().unwrap_or_default(), 100),
            |x| x.message_key(),
        );
        let category = MaterialCategory::parse(m.category.as_deref().unwrap_or_default()).ok();
        if category.is_none() {
            e.add(&f("category"), "error-material-category");
        }
        let quantity = text_of(&m.quantity).and_then(|q| quantity_milli(&q));
        if quantity.is_none() {
            e.add(&f("quantity"), "error-quantity");
        }
        let unit = e.take(
            &f("unit"),
            text::required(m.unit.as_deref().unwrap_or_default(), 20),
            |x| x.message_key(),
        );
        let value = match text_of(&m.value) {
            Some(v) => e.take(&f("value"), parse_yuan(&v), |x| x.message_key()),
            None => {
                e.add(&f("value"), "error-money");
                None
            }
        };
        let funding = match m.funding.as_deref().map(str::trim) {
            Some("contract") => Some("contract"),
            Some("donation") => Some("donation"),
            _ => {
                e.add(&f("funding"), "error-funding");
                None
            }
        };
        let donor = e
            .take(&f("donor"), text::optional(m.donor.as_deref(), 100), |x| {
                x.message_key()
            })
            .flatten();
        if funding == Some("donation") && donor.is_none() {
            e.add(&f("donor"), "error-donor");
        }
        if let (Some(item), Some(category), Some(quantity), Some(unit), Some(value), Some(fu)) =
            (item, category, quantity, unit, value, funding)
        {
            materials.push(MaterialRow {
                item,
                category,
                quantity,
                unit,
                value,
                funding: fu,
                donor: if fu == "donation" { donor } else { None },
            });
        }
    }
    let confirmed_by = e
        .take(
            "confirmed_by",
            text::optional(input.confirmed_by.as_deref(), 50),
            |x| x.message_key(),
        )
        .flatten();
    let relation = e
        .take(
            "confirmed_relation",
            text::optional(input.confirmed_relation.as_deref(), 20),
            |x| x.message_key(),
        )
        .flatten();
    let no_reason = optional_field(
        e,
        "no_confirmation_reason",
        input.no_confirmation_reason.as_deref(),
        "error-location-reason",
        NoConfirmationReason::parse,
    );
    let signature = match input.signature.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(raw) => signature_image(raw).or_else(|| {
            e.add("signature", "error-signature");
            None
        }),
        None => None,
    };
    if delivered
        && no_reason.is_none()
        && (confirmed_by.is_none() || relation.is_none() || !(signed || signature.is_some()))
    {
        e.add("confirmation", "error-confirmation");
    }
    CheckedLog {
        outcome,
        notes,
        services,
        materials,
        confirmed_by,
        relation,
        no_reason,
        signature,
    }
}

/// Refuses to complete a visit that lacks any of the six verification
/// elements (`verification` lists what is missing).
fn require_elements(
    visit: &visits::Model,
    log: &CheckedLog,
    checked_out_at: Option<DateTime<Utc>>,
) -> AppResult<()> {
    use crate::domain::visit_log::{missing, Evidence};
    if !log.delivered() {
        return Ok(());
    }
    let lacking = missing(&Evidence {
        service_lines: log.services.len(),
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
    log: CheckedLog,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> AppResult<(usize, usize)> {
    use super::_entities::{visit_material_lines, visit_service_lines, visit_signatures};
    let delivered = log.delivered();
    am.status = Set(outcome.as_str().into());
    if outcome == Outcome::Cancelled {
        am.cancel_reason = Set(log.notes.clone());
    }
    am.notes = Set(log.notes);
    am.confirmed_by = Set(log.confirmed_by.filter(|_| delivered));
    am.confirmed_relation = Set(log.relation.filter(|_| delivered));
    am.no_confirmation_reason = Set(log
        .no_reason
        .filter(|_| delivered)
        .map(|r| r.as_str().to_string()));
    visit_service_lines::Entity::delete_many()
        .filter(visit_service_lines::Column::VisitId.eq(visit.id))
        .exec(db)
        .await?;
    visit_material_lines::Entity::delete_many()
        .filter(visit_material_lines::Column::VisitId.eq(visit.id))
        .exec(db)
        .await?;
    let counts = (log.services.len(), log.materials.len());
    if !log.services.is_empty() {
        visit_service_lines::Entity::insert_many(log.services.into_iter().map(|(s, m)| {
            visit_service_lines::ActiveModel {
                visit_id: Set(visit.id),
                service: Set(s),
                minutes: Set(m),
                created_at: Set(now.into()),
                ..Default::default()
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    if !log.materials.is_empty() {
        visit_material_lines::Entity::insert_many(log.materials.into_iter().map(|m| {
            visit_material_lines::ActiveModel {
                visit_id: Set(visit.id),
                item: Set(m.item),
                category: Set(m.category.as_str().into()),
                quantity_milli: Set(m.quantity),
                unit: Set(m.unit),
                value_fen: Set(m.value),
                funding: Set(m.funding.into()),
                donor: Set(m.donor),
                created_at: Set(now.into()),
                ..Default::default()
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    // A new signature is added beside the ones before it (the newest is
    // the current one): a correction never deletes what was signed.
    if let (true, Some((kind, data))) = (delivered, log.signature) {
        visit_signatures::ActiveModel {
            visit_id: Set(visit.id),
            content_type: Set(kind),
            data: Set(data),
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
    use crate::domain::{text, visit_log::ReferralKind};
    let claimed = visit_writes::claim(db, visit).await?;
    let visit = &claimed.visit.clone();
    let mut e = FieldErrors::new();
    let log = check_log(&mut e, &input.log, offered, false);
    let open = match log.outcome {
        Some(Outcome::Cancelled) => matches!(
            visit.status(),
            VisitStatus::Scheduled | VisitStatus::InProgress
        ),
        _ => visit.status() == VisitStatus::InProgress,
    };
    if log.outcome.is_some() && !open {
        e.add("status", "error-visit-not-open");
    }
    let mut referral_rows = Vec::new();
    let referrals = match crate::domain::limits::List::Referrals.check(input.referrals.len()) {
        Ok(()) => &input.referrals[..],
        Err(key) => {
            e.add("referrals", key);
            &[][..]
        }
    };
    for (i, r) in referrals.iter().enumerate() {
        let kind = ReferralKind::parse(r.kind.as_deref().unwrap_or_default()).ok();
        if kind.is_none() {
            e.add(&format!("referrals.{i}.kind"), "error-referral-kind");
        }
        let note = e.take(
            &format!("referrals.{i}.note"),
            text::required(r.note.as_deref().unwrap_or_default(), 1000),
            |x| x.message_key(),
        );
        if let (Some(k), Some(n)) = (kind, note) {
            referral_rows.push((k, n));
        }
    }
    let device_time = optional_field(
        &mut e,
        "device_time",
        input.device_time.as_deref(),
        "error-instant",
        DateTime::parse_from_rfc3339,
    );
    e.into_result(|| Some(()))?;
    let outcome = log
        .outcome
        .ok_or_else(|| AppError::field("outcome", "error-outcome"))?;
    require_elements(visit, &log, Some(now))?;
    let mut am: visits::ActiveModel = visit.clone().into();
    if visit.checked_in_at.is_some() {
        am.checked_out_at = Set(Some(now.into()));
        am.device_checked_out_at = Set(device_time);
    }
    am.submitted_by_id = Set(actor.user_id);
    let (n_services, n_materials) = store_log(db, &mut am, visit, log, outcome, now).await?;
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
    for (kind, note) in referral_rows {
        let r = referrals::ActiveModel {
            visit_id: Set(visit.id),
            recipient_id: Set(visit.recipient_id),
            household_id: Set(visit.household_id),
            organization_id: Set(visit.organization_id),
            township_id: Set(visit.township_id),
            kind: Set(kind.as_str().into()),
            note: Set(note),
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
    let log = check_log(&mut e, &input.log, offered, before.signature);
    e.into_result(|| Some(()))?;
    let (Some(reason), Some(outcome)) = (reason, log.outcome) else {
        return Err(AppError::field("outcome", "error-outcome"));
    };
    require_elements(
        visit,
        &log,
        visit.checked_out_at.map(|t| t.with_timezone(&Utc)),
    )?;
    let mut am: visits::ActiveModel = visit.clone().into();
    store_log(db, &mut am, visit, log, outcome, now).await?;
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
    let zone = crate::web::render::DISPLAY_ZONE;
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
