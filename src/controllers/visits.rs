//! One visit: when, who, for whom, its conflicts; and, for coordinators,
//! the calendar choices: this visit only (move, cancel, reassign), this
//! and following, or the whole series.
use super::{invalid_or, require};
use crate::domain::visit::VisitStatus;
use crate::{
    controllers::api::visits::{visit_change, VisitChangeBody},
    domain::{
        privacy::{self, Datum, Shown},
        role::Role,
        visit_log::{
            LocationReason, MaterialCategory, NoConfirmationReason, Outcome, ReferralKind,
        },
    },
    errors::AppResult,
    models::{
        _entities::{households, recipients, users, villages},
        ad_hoc_visits::{self, AdHocParams},
        service_plans,
        service_types::Catalogue,
        visit_amendments, visit_lines, visit_logs, visits,
    },
    views::{
        person::{PersonView, Place},
        recipients::VisitJson,
    },
    web::{
        input::pid,
        render::{redirect_flash, DISPLAY_ZONE},
        FormData, Page, Viewer,
    },
};
use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use loco_rs::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Default, Deserialize, Serialize)]
struct ChangeForm {
    date: Option<String>,
    time: Option<String>,
    worker: Option<String>,
    reason: Option<String>,
    /// The visit's version when the page was shown.
    version: Option<String>,
}

/// Where the viewer sees the person of `visit` on `today`: at the door
/// when they are a worker (`Scope::role`), the visit is assigned to them,
/// it is not cancelled, and its day (display zone) is within
/// `privacy::at_the_door`; anywhere else for everyone and everything else.
/// An ad-hoc visit is at the door only for someone in `planned`
/// ([`door_people`]): the worker's planned visits at the door.
#[must_use]
pub fn place_of(
    v: &Viewer,
    visit: &visits::Model,
    today: chrono::NaiveDate,
    planned: &std::collections::HashSet<i64>,
) -> Place {
    let day = visit.starts_at.with_timezone(&DISPLAY_ZONE).date_naive();
    if v.scope.role() == Role::Worker
        && visit.worker_id == Some(v.user.id)
        && visit.status() != VisitStatus::Cancelled
        && (visit.plan_id.is_some() || visit.recipient_id.is_some_and(|r| planned.contains(&r)))
        && privacy::at_the_door(day, today)
    {
        Place::AtTheDoor
    } else {
        Place::Elsewhere
    }
}

/// [`place_of`] for one visit, loading the worker's planned people only
/// when the visit is ad hoc.
///
/// # Errors
/// Database errors.
pub async fn place_of_visit(
    ctx: &AppContext,
    v: &Viewer,
    visit: &visits::Model,
    today: chrono::NaiveDate,
) -> AppResult<Place> {
    let planned = if visit.plan_id.is_none() {
        door_people(ctx, v, today).await?
    } else {
        std::collections::HashSet::new()
    };
    Ok(place_of(v, visit, today, &planned))
}

/// The people a worker's planned visits take to the door today (empty for
/// other roles), for [`place_of`].
///
/// # Errors
/// Database errors.
pub async fn door_people(
    ctx: &AppContext,
    v: &Viewer,
    today: chrono::NaiveDate,
) -> AppResult<std::collections::HashSet<i64>> {
    if v.scope.role() == Role::Worker {
        ad_hoc_visits::at_the_door(&ctx.db, v.user.id, today).await
    } else {
        Ok(std::collections::HashSet::new())
    }
}

/// What the viewer is shown of the person of `visit` at `place` (none for
/// a whole household's visit). Someone outside the viewer's registry
/// (`Scope::sees_recipient`) who is not at the door is shown by name only.
///
/// # Errors
/// Database errors.
pub async fn person_of(
    ctx: &AppContext,
    v: &Viewer,
    visit: &visits::Model,
    place: Place,
    today: chrono::NaiveDate,
) -> AppResult<Option<PersonView>> {
    let Some(id) = visit.recipient_id else {
        return Ok(None);
    };
    let Some(r) = recipients::Entity::find_by_id(id).one(&ctx.db).await? else {
        return Ok(None);
    };
    let home = households::Entity::find_by_id(r.household_id)
        .one(&ctx.db)
        .await?;
    let openable = v.scope.sees_recipient(&r);
    let view = PersonView::new(&v.scope, &r, home.as_ref(), place, openable, today);
    Ok(Some(if openable || place == Place::AtTheDoor {
        view
    } else {
        view.name_only()
    }))
}

/// The address and phone of a whole household's visit, as the viewer may
/// see them at `place` (the same rule as a person's: `privacy::shown`).
#[must_use]
pub fn household_contact(v: &Viewer, h: &households::Model, place: Place) -> Value {
    let door = place == Place::AtTheDoor;
    let whole = |d: Datum| privacy::shown(v.scope.role(), d, door) == Shown::Whole;
    json!({
        "address": whole(Datum::Address).then(|| h.address.clone()),
        "phone": if whole(Datum::Phone) { h.phone.clone() } else { None },
    })
}

async fn page(
    ctx: &AppContext,
    v: &Viewer,
    visit: &visits::Model,
    form: Value,
    errors: Value,
    status: StatusCode,
) -> AppResult<Response> {
    let today = crate::models::today();
    let place = place_of_visit(ctx, v, visit, today).await?;
    let person = person_of(ctx, v, visit, place, today).await?;
    let home = households::Entity::find_by_id(visit.household_id)
        .one(&ctx.db)
        .await?;
    let village = match &home {
        Some(h) => villages::Entity::find_by_id(h.village_id)
            .one(&ctx.db)
            .await?
            .map(|p| p.name),
        None => None,
    };
    let worker = match visit.worker_id {
        Some(id) => users::Entity::find_by_id(id).one(&ctx.db).await?,
        None => None,
    };
    let plan = match visit.plan_id {
        Some(id) => service_plans::Entity::find_by_id(id).one(&ctx.db).await?,
        None => None,
    };
    let conflicts = if visit.status() == VisitStatus::Cancelled {
        Vec::new()
    } else {
        visits::conflicts(&ctx.db, &[visit.slot()], &[visit.id], None).await?
    };
    let zone = DISPLAY_ZONE;
    let start = visit.starts_at.with_timezone(&zone);
    let workers: Vec<Value> = if v.scope.may_manage_plans() {
        crate::models::users::workers_of(&ctx.db, visit.organization_id).await?
    } else {
        Vec::new()
    };
    let form = if form.is_null() {
        json!({"date": start.format("%Y-%m-%d").to_string(), "time": start.format("%H:%M").to_string(),
               "worker": worker.as_ref().map(|w| w.pid)})
    } else {
        form
    };
    let catalogue = Catalogue::load(&ctx.db).await?;
    let log = logged(ctx, visit).await?;
    let door = visit.worker_id == Some(v.user.id) && visit.status().open_at_the_door();
    let at_door = place == Place::AtTheDoor;
    // What the door shows of whom it is for: the person whole, or a whole
    // household's address and phone.
    let door_person = match (&person, &home) {
        _ if !at_door => Value::Null,
        (Some(p), _) => serde_json::to_value(p).unwrap_or_default(),
        (None, Some(h)) => household_contact(v, h, place),
        (None, None) => Value::Null,
    };
    // Only the assigned worker's door learns where the home is, and only
    // at the door's days (`privacy::at_the_door`): door.js asks for the
    // location reason before it queues a far check-in.
    let home = if door && at_door {
        visit_logs::home_of(&ctx.db, visit)
            .await?
            .map(|p| json!({"lat": p.lat, "lon": p.lon}))
    } else {
        None
    };
    // The worker who logged it, or a coordinator, corrects it.
    let amend = visit_logs::amendable(visit)
        && (visit.worker_id == Some(v.user.id) || v.scope.may_manage_plans());
    Ok(Page::new(
        "visits/show.html",
        json!({
            "visit": VisitJson::from(visit),
            "when": format!("{} {}–{}", start.format("%Y-%m-%d"), start.format("%H:%M"),
                            visit.ends_at.with_timezone(&zone).format("%H:%M")),
            "weekday": crate::i18n::t(v.lang, &format!("weekday-{}", start.format("%u"))),
            "recipient": person.as_ref().map(|p| p.name.clone()),
            "recipient_pid": person.as_ref().and_then(|p| p.pid),
            "door_person": door_person, "at_door": at_door,
            "village": village, "cancel_reason": visit.cancel_reason,
            "ad_hoc_reason": visit.ad_hoc_reason,
            "worker": worker.as_ref().map(|w| w.name.clone()),
            "plan_pid": plan.as_ref().map(|p| p.pid),
            "plan_active": plan.as_ref().is_some_and(|p| p.status == "active"),
            "changeable": v.scope.may_manage_plans() && visit.changeable(chrono::Utc::now()),
            "conflicts": conflicts, "workers": workers, "form": form, "errors": errors,
            "door": door,
            "home": home,
            "radius": visit_logs::DoorRules::from_settings(ctx.config.settings.as_ref()).radius_m,
            "services": catalogue.choices(v.lang),
            "service_names": catalogue.names(v.lang),
            "log": log,
            "amend": amend,
            "outcomes": Outcome::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
            "categories": MaterialCategory::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
            "location_reasons": LocationReason::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
            "no_confirmation_reasons": NoConfirmationReason::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
            "referral_kinds": ReferralKind::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
        }),
    )
    .status(status)
    .render(v))
}

/// What the door recorded: check-in and check-out facts, the record (once
/// submitted) and its corrections.
async fn logged(ctx: &AppContext, visit: &visits::Model) -> AppResult<Value> {
    if visit.checked_in_at.is_none() && visit.submitted_by_id.is_none() {
        return Ok(Value::Null);
    }
    let by = match visit.submitted_by_id {
        Some(id) => users::Entity::find_by_id(id)
            .one(&ctx.db)
            .await?
            .map(|u| u.name),
        None => None,
    };
    let submitted = visit.status().has_record();
    let record = if submitted {
        Some(visit_lines::record(&ctx.db, visit).await?)
    } else {
        None
    };
    Ok(json!({
        "by": by,
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
        "amendments": visit_amendments::of_visit(&ctx.db, visit.id).await?,
    }))
}

/// The ad-hoc visit form: a worker chooses among the people they visit; a
/// coordinator comes from a recipient's page and names the worker.
async fn ad_hoc_form(
    ctx: &AppContext,
    v: &Viewer,
    form: &AdHocParams,
    errors: Value,
    status: StatusCode,
) -> AppResult<Response> {
    let worker_view = v.user.role == Role::Worker.as_str();
    if !worker_view && !v.scope.may_manage_plans() {
        return Err(crate::errors::AppError::NotFound);
    }
    let now = chrono::Utc::now();
    let (people, workers, subject) = if worker_view {
        (with_homes(ctx, v.user.id, now).await?, Vec::new(), None)
    } else {
        let Some(r) = form
            .recipient
            .as_deref()
            .and_then(|p| pid(p).ok())
            .map(|p| crate::models::recipients::load(&ctx.db, &v.scope, p))
        else {
            return Ok(redirect_flash("/recipients", "ad-hoc-choose-recipient"));
        };
        let r = r.await?;
        let workers = match r.organization_id {
            Some(o) => crate::models::users::workers_of(&ctx.db, o).await?,
            None => Vec::new(),
        };
        (
            Vec::new(),
            workers,
            Some(json!({"pid": r.pid, "name": r.name})),
        )
    };
    let local_now = now.with_timezone(&DISPLAY_ZONE);
    let mut data = json!({"form": form, "errors": errors, "people": people, "workers": workers,
               "subject": subject, "worker_view": worker_view,
               "now": local_now.format("%Y-%m-%dT%H:%M").to_string(),
               "earliest": (local_now - chrono::Duration::days(7)).format("%Y-%m-%dT%H:%M").to_string()});
    if worker_view {
        // The door for a visit created offline (door.js shows it).
        let catalogue = Catalogue::load(&ctx.db).await?;
        data = super::merge(
            data,
            json!({
                "door": true,
                "visit": {"pid": "", "status": VisitStatus::Scheduled.as_str()},
                "zone": DISPLAY_ZONE.name(),
                "radius": visit_logs::DoorRules::from_settings(ctx.config.settings.as_ref()).radius_m,
                "services": catalogue.choices(v.lang),
                "outcomes": Outcome::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
                "categories": MaterialCategory::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
                "location_reasons": LocationReason::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
                "no_confirmation_reasons": NoConfirmationReason::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
                "referral_kinds": ReferralKind::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
            }),
        );
    }
    Ok(Page::new("visits/new.html", data).status(status).render(v))
}

/// The people a worker may log an ad-hoc visit for (masked names), each
/// with the home point a check-in is measured against only when the worker
/// has a visit of theirs at the door (`privacy::at_the_door`): the form is
/// kept offline on the phone, and the home of everyone they visit within
/// 90 days is more than the door needs. Without it, door.js queues a check-in
/// without asking the location reason and the server measures the distance.
async fn with_homes(
    ctx: &AppContext,
    worker_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Vec<Value>> {
    let door = ad_hoc_visits::at_the_door(&ctx.db, worker_id, crate::models::today()).await?;
    let homes: std::collections::HashMap<uuid::Uuid, (Option<f64>, Option<f64>)> =
        ad_hoc_visits::workers_recipients(&ctx.db, worker_id, now)
            .await?
            .into_iter()
            .filter(|r| door.contains(&r.id))
            .map(|r| (r.pid, (r.latitude, r.longitude)))
            .collect();
    Ok(ad_hoc_visits::choices(&ctx.db, worker_id, now)
        .await?
        .into_iter()
        .map(|c| {
            let (lat, lon) = homes.get(&c.pid).copied().unwrap_or((None, None));
            json!({"pid": c.pid, "name": c.name, "village": c.village, "lat": lat, "lon": lon})
        })
        .collect())
}

#[derive(Debug, Default, Deserialize)]
struct NewQuery {
    recipient: Option<String>,
}

async fn new_ad_hoc(
    State(ctx): State<AppContext>,
    v: Viewer,
    crate::web::input::QueryParams(q): crate::web::input::QueryParams<NewQuery>,
) -> AppResult<Response> {
    let form = AdHocParams {
        recipient: q.recipient,
        ..Default::default()
    };
    ad_hoc_form(&ctx, &v, &form, json!({}), StatusCode::OK).await
}

async fn add_ad_hoc(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(f): FormData<AdHocParams>,
) -> AppResult<Response> {
    let result = async {
        let am = ad_hoc_visits::check(&ctx.db, &v.scope, &v.user, &f, chrono::Utc::now()).await?;
        let txn = ctx.db.begin().await?;
        let m = ad_hoc_visits::insert(&txn, &v.actor, am).await?;
        txn.commit().await?;
        Ok(m)
    }
    .await;
    match invalid_or(result, v.lang)? {
        Ok(m) => Ok(redirect_flash(&format!("/visits/{}", m.pid), "flash-saved")),
        Err(errors) => ad_hoc_form(&ctx, &v, &f, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

/// The recipient's signature image of a visit in scope.
pub async fn signature(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let visit = visits::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let (kind, data) = visit_lines::signature(&ctx.db, &visit)
        .await?
        .ok_or(crate::errors::AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        data,
    )
        .into_response())
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let visit = visits::load(&ctx.db, &v.scope, pid(&id)?).await?;
    page(&ctx, &v, &visit, Value::Null, json!({}), StatusCode::OK).await
}

async fn change(
    ctx: &AppContext,
    v: &Viewer,
    id: &str,
    kind: &str,
    f: ChangeForm,
) -> AppResult<Response> {
    let visit = visits::load(&ctx.db, &v.scope, pid(id)?).await?;
    require(v.scope.may_manage_plans())?;
    let body = VisitChangeBody {
        starts_at: Some(format!(
            "{}T{}",
            f.date.as_deref().unwrap_or_default().trim(),
            f.time.as_deref().unwrap_or_default().trim()
        )),
        worker: f.worker.clone(),
        reason: f.reason.clone(),
        version: f.version.as_deref().and_then(|s| s.trim().parse().ok()),
    };
    let result = async {
        let change = visit_change(kind, &body)?;
        visits::change(
            &ctx.db,
            &v.actor,
            &visit,
            body.version,
            change,
            body.reason.as_deref(),
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    let mut form = serde_json::to_value(&f).unwrap_or_default();
    if let Value::Object(m) = &mut form {
        m.insert("action".into(), json!(kind));
    }
    // Changed by someone else since the page was shown: the page again,
    // as the visit is now, with what was typed and what happened.
    if let Err(crate::errors::AppError::Stale(key)) = &result {
        let fresh = visits::load(&ctx.db, &v.scope, visit.pid).await?;
        let errors = json!({"status": [crate::i18n::t(v.lang, key)]});
        return page(ctx, v, &fresh, form, errors, StatusCode::CONFLICT).await;
    }
    match invalid_or(result, v.lang)? {
        Ok(after) => Ok(redirect_flash(
            &format!("/visits/{}", after.pid),
            "flash-saved",
        )),
        Err(errors) => {
            page(
                ctx,
                v,
                &visit,
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

async fn move_one(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<ChangeForm>,
) -> AppResult<Response> {
    change(&ctx, &v, &id, "move", f).await
}

async fn cancel(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<ChangeForm>,
) -> AppResult<Response> {
    change(&ctx, &v, &id, "cancel", f).await
}

async fn reassign(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<ChangeForm>,
) -> AppResult<Response> {
    change(&ctx, &v, &id, "reassign", f).await
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/visits", post(add_ad_hoc))
        .add("/visits/new", get(new_ad_hoc))
        .add("/visits/{pid}", get(show))
        .add("/visits/{pid}/move", post(move_one))
        .add("/visits/{pid}/cancel", post(cancel))
        .add("/visits/{pid}/reassign", post(reassign))
        .add("/visits/{pid}/signature", get(signature))
}
