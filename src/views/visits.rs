//! One visit as its page and the API show it: when, who, for whom (as the
//! viewer may see them, `views::person`), its conflicts, what the door
//! recorded; the ad-hoc visit form; the change form of one visit.
use super::{
    person::{door_people, person_at, place_of, HouseholdContact, PersonView, Place},
    recipients::VisitJson,
};
use crate::{
    domain::{
        role::Role,
        visit::VisitStatus,
        visit_log::{
            LocationReason, MaterialCategory, NoConfirmationReason, Outcome, ReferralKind,
        },
    },
    errors::AppResult,
    i18n::t,
    models::{
        ad_hoc_visits::{self, AdHocParams},
        service_types::Catalogue,
        users,
        visit_amendments::{self, Amendment},
        visit_lines::{self, Record},
        visit_logs,
        visits::{self, ChangeKind, Related, VisitChangeBody},
    },
    web::Viewer,
};
use axum::{
    http::header,
    response::{IntoResponse, Response},
};
use loco_rs::app::AppContext;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashSet;

/// The change form of one visit (move, cancel, reassign) on its page.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ChangeForm {
    pub date: Option<String>,
    pub time: Option<String>,
    pub worker: Option<String>,
    pub reason: Option<String>,
    /// The visit's version when the page was shown.
    pub version: Option<String>,
}

impl ChangeForm {
    /// The change the form asks for, as the API would receive it.
    #[must_use]
    pub fn body(&self) -> VisitChangeBody {
        VisitChangeBody {
            starts_at: Some(format!(
                "{}T{}",
                self.date.as_deref().unwrap_or_default().trim(),
                self.time.as_deref().unwrap_or_default().trim()
            )),
            worker: self.worker.clone(),
            reason: self.reason.clone(),
            version: self.version.as_deref().and_then(|s| s.trim().parse().ok()),
        }
    }

    /// The form as typed, with the action chosen, to show again.
    #[must_use]
    pub fn echo(&self, kind: ChangeKind) -> Value {
        let mut form = serde_json::to_value(self).unwrap_or_default();
        if let Value::Object(m) = &mut form {
            m.insert("action".into(), json!(kind.as_str()));
        }
        form
    }
}

/// The choices of the door's form (door.js): outcomes, material
/// categories, location and no-confirmation reasons, referral kinds.
fn door_choices() -> Value {
    json!({
        "outcomes": Outcome::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
        "categories": MaterialCategory::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
        "location_reasons": LocationReason::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
        "no_confirmation_reasons": NoConfirmationReason::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
        "referral_kinds": ReferralKind::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
    })
}

/// Page data: `a` with the fields of `b` added.
fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

fn radius(ctx: &AppContext) -> f64 {
    visit_logs::DoorRules::from_settings(ctx.config.settings.as_ref()).radius_m
}

/// The data of `visits/show.html` for `visit` (in the viewer's scope):
/// `form` is what was typed (`Null`: the visit as it is), `errors` the
/// form's errors.
///
/// # Errors
/// Database errors.
pub async fn show(
    ctx: &AppContext,
    v: &Viewer,
    visit: &visits::Model,
    form: Value,
    errors: Value,
) -> AppResult<Value> {
    let today = crate::models::today();
    let related = Related::load(&ctx.db, std::slice::from_ref(visit)).await?;
    let planned = if visit.plan_id.is_none() {
        door_people(&ctx.db, &v.scope, today).await?
    } else {
        HashSet::new()
    };
    let place = place_of(&v.scope, visit, today, &planned);
    let at_door = place == Place::AtTheDoor;
    let openable = crate::models::recipients::visible_ids(
        &ctx.db,
        &v.scope,
        visit.recipient_id.into_iter().collect(),
    )
    .await?;
    let person = related.person(visit).map(|p| {
        let open = openable.contains(&p.id);
        person_at(&v.scope, p, related.home_of(p), place, today, (false, open))
    });
    let home = related.home(visit);
    let worker = related.worker(visit);
    let plan = related.plan(visit);
    let conflicts = if visit.status() == VisitStatus::Cancelled {
        Vec::new()
    } else {
        visits::conflicts(&ctx.db, &[visit.slot()], &[visit.id], None).await?
    };
    let start = visit.starts_at.with_timezone(&crate::zone::display());
    let workers: Vec<Value> = if v.scope.may_manage_plans() {
        users::workers_of(&ctx.db, visit.organization_id).await?
    } else {
        Vec::new()
    };
    let form = if form.is_null() {
        json!({"date": start.format("%Y-%m-%d").to_string(), "time": start.format("%H:%M").to_string(),
               "worker": worker.map(|w| w.pid)})
    } else {
        form
    };
    let catalogue = Catalogue::load(&ctx.db).await?;
    let log = logged(&ctx.db, visit, &related).await?;
    let door = visit.worker_id == Some(v.user.id) && visit.status().open_at_the_door();
    // What the door shows of whom it is for: the person whole, or a whole
    // household's address and phone.
    let door_person = match (&person, home) {
        _ if !at_door => Value::Null,
        (Some(p), _) => serde_json::to_value(p).unwrap_or_default(),
        (None, Some(h)) => json!(HouseholdContact::new(&v.scope, h, place)),
        (None, None) => Value::Null,
    };
    // Only the assigned worker's door learns where the home is, and only
    // at the door's days (`privacy::at_the_door`): door.js asks for the
    // location reason before it queues a far check-in.
    let home_point = if door && at_door {
        visit_logs::home_of(&ctx.db, visit)
            .await?
            .map(|p| json!({"lat": p.lat, "lon": p.lon}))
    } else {
        None
    };
    // The worker who logged it, or a coordinator, corrects it.
    let amend = visit_logs::amendable(visit)
        && (visit.worker_id == Some(v.user.id) || v.scope.may_manage_plans());
    // The assigned worker goes on from here: to their next visit today,
    // or back to today's list (shown once the record is in, or by door.js
    // as soon as it is queued on the phone).
    let mine = visit.worker_id == Some(v.user.id) && v.user.role == Role::Worker.as_str();
    let next = if mine && (door || visit.status().has_record()) {
        super::board::next_after(ctx, v, visit, chrono::Utc::now()).await?
    } else {
        None
    };
    let utc =
        |t: Option<chrono::DateTime<chrono::FixedOffset>>| t.map(|t| t.with_timezone(&chrono::Utc));
    // What door.js checks the service minutes against before it queues a
    // record (`domain::visit_log::elapsed`, as the server will): the
    // check-in as the phone recorded it, or, for a correction, how long
    // the visit lasted.
    let checked_in_at = visit.device_checked_in_at.or(visit.checked_in_at);
    let lasted = crate::domain::visit_log::elapsed(
        (utc(visit.checked_in_at), utc(visit.checked_out_at)),
        (
            utc(visit.device_checked_in_at),
            utc(visit.device_checked_out_at),
        ),
    )
    .map(|d| d.num_seconds());
    Ok(merge(
        json!({
            "visit": VisitJson::from(visit),
            "when": format!("{} {}–{}", start.format("%Y-%m-%d"), start.format("%H:%M"),
                            visit.ends_at.with_timezone(&crate::zone::display()).format("%H:%M")),
            "weekday": t(v.lang, &format!("weekday-{}", start.format("%u"))),
            "recipient": person.as_ref().map(|p| p.name.clone()),
            "recipient_pid": person.as_ref().and_then(|p| p.pid),
            "door_person": door_person, "at_door": at_door,
            "village": home.and_then(|h| related.village(h)).map(|p| p.name.clone()),
            "cancel_reason": visit.cancel_reason,
            "ad_hoc_reason": visit.ad_hoc_reason,
            "worker": worker.map(|w| w.name.clone()),
            "plan_pid": plan.map(|p| p.pid),
            "plan_active": plan.is_some_and(|p| p.status == "active"),
            "changeable": v.scope.may_manage_plans() && visit.changeable(chrono::Utc::now()),
            "conflicts": conflicts, "workers": workers, "form": form, "errors": errors,
            "door": door,
            "home": home_point,
            "radius": radius(ctx),
            "services": catalogue.choices(v.lang),
            "service_names": catalogue.names(v.lang),
            "log": log,
            "amend": amend,
            "mine": mine,
            "next": next,
            "finished": visit.status().has_record(),
            "mark": if v.user.role == Role::Worker.as_str() {
                Some(super::board::mark_of(related.person(visit).map_or_else(|| home.map(|h| h.pid), |p| Some(p.pid))))
            } else {
                None
            },
            "checked_in_at": checked_in_at.map(|t| t.to_rfc3339()),
            "lasted": lasted,
            "tolerance": crate::domain::visit_log::MINUTES_TOLERANCE,
        }),
        door_choices(),
    ))
}

/// What the door recorded: check-in and check-out facts, the record (once
/// submitted) and its corrections.
async fn logged(
    db: &sea_orm::DatabaseConnection,
    visit: &visits::Model,
    related: &Related,
) -> AppResult<Value> {
    if visit.checked_in_at.is_none() && visit.submitted_by_id.is_none() {
        return Ok(Value::Null);
    }
    let record = if visit.status().has_record() {
        Some(visit_lines::record(db, visit).await?)
    } else {
        None
    };
    Ok(json!({
        "by": related.submitter(visit).map(|u| u.name.clone()),
        "checked_in_at": visit.checked_in_at,
        "device_checked_in_at": visit.device_checked_in_at,
        "checked_out_at": visit.checked_out_at,
        "device_checked_out_at": visit.device_checked_out_at,
        "located": visit.check_in_lat.is_some(),
        "distance": visit.distance_m.filter(|d| *d < 1000.0).map(|d| format!("{d:.0}")),
        "distance_km": visit.distance_m.filter(|d| *d >= 1000.0).map(|d| format!("{:.1}", d / 1000.0)),
        "accuracy": visit.check_in_accuracy.map(|d| format!("{d:.0}")),
        "location_exception": visit.location_exception,
        "location_reason": visit.location_reason,
        "late": visit.late,
        "locked": visit.locked_at.is_some(),
        "record": record,
        "amendments": visit_amendments::of_visit(db, visit.id).await?,
    }))
}

/// The data of `visits/new.html`, the ad-hoc visit form: a worker chooses
/// among the people they visit (and gets the door for a visit created
/// offline); a coordinator comes from `subject`'s page (a recipient in
/// scope) and names the worker.
///
/// # Errors
/// `NotFound` for a subject out of scope; database errors.
pub async fn ad_hoc_form(
    ctx: &AppContext,
    v: &Viewer,
    form: &AdHocParams,
    errors: Value,
    subject: Option<uuid::Uuid>,
) -> AppResult<Value> {
    let worker_view = v.user.role == Role::Worker.as_str();
    let now = chrono::Utc::now();
    let (people, workers, subject) = match subject.filter(|_| !worker_view) {
        None => {
            let today = crate::models::today();
            let people = ad_hoc_visits::choices_with_homes(&ctx.db, v.user.id, today, now).await?;
            (people, Vec::new(), None)
        }
        Some(p) => {
            let r = crate::models::recipients::load(&ctx.db, &v.scope, p).await?;
            let workers = match r.organization_id {
                Some(o) => users::workers_of(&ctx.db, o).await?,
                None => Vec::new(),
            };
            (
                Vec::new(),
                workers,
                Some(json!({"pid": r.pid, "name": r.name})),
            )
        }
    };
    let local_now = now.with_timezone(&crate::zone::display());
    let data = json!({"form": form, "errors": errors, "people": people, "workers": workers,
               "subject": subject, "worker_view": worker_view,
               "now": local_now.format("%Y-%m-%dT%H:%M").to_string(),
               "earliest": (local_now - chrono::Duration::days(7)).format("%Y-%m-%dT%H:%M").to_string()});
    if !worker_view {
        return Ok(data);
    }
    // The door for a visit created offline (door.js shows it).
    let catalogue = Catalogue::load(&ctx.db).await?;
    let door = json!({
        "door": true,
        "visit": {"pid": "", "status": VisitStatus::Scheduled.as_str()},
        "zone": crate::zone::display().name(),
        "radius": radius(ctx),
        "services": catalogue.choices(v.lang),
    });
    Ok(merge(merge(data, door), door_choices()))
}

/// One visit in the API: the visit, its record once submitted, its
/// corrections, whether its period is accepted, and whom it is for as the
/// caller may see them here (whole at the door of their own visit for
/// workers, masked elsewhere).
#[derive(Debug, Serialize)]
pub struct VisitDetail {
    #[serde(flatten)]
    pub visit: VisitJson,
    pub record: Option<Record>,
    pub amendments: Vec<Amendment>,
    pub locked: bool,
    pub person: Option<PersonView>,
}

impl VisitDetail {
    /// # Errors
    /// Database errors.
    pub async fn load(
        db: &sea_orm::DatabaseConnection,
        v: &Viewer,
        visit: &visits::Model,
    ) -> AppResult<Self> {
        let today = crate::models::today();
        let place = super::person::place_of_visit(db, &v.scope, visit, today).await?;
        let related = Related::load(db, std::slice::from_ref(visit)).await?;
        let openable = crate::models::recipients::visible_ids(
            db,
            &v.scope,
            visit.recipient_id.into_iter().collect(),
        )
        .await?;
        let person = related.person(visit).map(|p| {
            let open = openable.contains(&p.id);
            person_at(&v.scope, p, related.home_of(p), place, today, (false, open))
        });
        let submitted = visit.status().has_record() && visit.submitted_by_id.is_some();
        let record = if submitted {
            Some(visit_lines::record(db, visit).await?)
        } else {
            None
        };
        Ok(Self {
            visit: VisitJson::from(visit),
            record,
            amendments: visit_amendments::of_visit(db, visit.id).await?,
            locked: visit.locked_at.is_some(),
            person,
        })
    }
}

/// The corrections of a visit, oldest first.
#[derive(Debug, Serialize)]
pub struct AmendmentList {
    pub items: Vec<Amendment>,
}

impl AmendmentList {
    /// # Errors
    /// Database errors.
    pub async fn load(db: &sea_orm::DatabaseConnection, visit: &visits::Model) -> AppResult<Self> {
        Ok(Self {
            items: visit_amendments::of_visit(db, visit.id).await?,
        })
    }
}

/// The answer to a bulk reassignment.
#[derive(Debug, Serialize)]
pub struct Reassigned {
    pub reassigned: u64,
}

/// A signature image, never cached by anyone else.
#[must_use]
pub fn signature_image((kind, data): (String, Vec<u8>)) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        data,
    )
        .into_response()
}
