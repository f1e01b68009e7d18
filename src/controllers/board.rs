//! The coordinator's board (a week of visits by worker or by recipient,
//! unassigned and conflicting visits marked, bulk reassignment) and the
//! worker's "my week". Officials see their townships' board, read only.
use super::require;
use crate::domain::visit::VisitStatus;
use crate::{
    controllers::api::visits::{reassign_many, ReassignBody},
    controllers::visits::{household_contact, place_of},
    domain::role::Role,
    errors::AppResult,
    i18n::t,
    models::{
        _entities::{households, recipients, service_plans, users, villages},
        service_types::Catalogue,
        visits::{self, Conflict},
    },
    views::person::{PersonView, Place},
    web::{
        input::QueryParams,
        render::{redirect_flash, DISPLAY_ZONE},
        FormData, Page, Viewer,
    },
};
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use chrono::{Datelike, Duration, NaiveDate};
use loco_rs::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct BoardQuery {
    /// Any day of the week to show (`2026-12-07`); this week by default.
    pub week: Option<String>,
    /// `worker` (default) or `recipient`.
    pub by: Option<String>,
}

/// The Monday of the week of `raw` (or of today).
fn monday(raw: Option<&str>) -> NaiveDate {
    let day = raw
        .and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
        .unwrap_or_else(crate::models::today);
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// One visit on the board.
#[derive(Debug, Serialize)]
pub struct BoardVisit {
    pub pid: uuid::Uuid,
    pub day: usize,
    pub date: String,
    pub time: String,
    pub starts_at: chrono::DateTime<chrono::FixedOffset>,
    pub ends_at: chrono::DateTime<chrono::FixedOffset>,
    pub status: String,
    pub exception: bool,
    pub worker: Option<crate::views::Ref>,
    pub recipient: String,
    pub recipient_pid: Option<uuid::Uuid>,
    pub village: String,
    /// Empty where the viewer may not see it (a worker away from the door).
    pub address: String,
    pub care_tags: Vec<&'static str>,
    /// The day card of a visit at the door (`/today`, a worker's own
    /// visit within `privacy::at_the_door`): the person whole, or for a
    /// whole household its phone.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub at_door: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<PersonView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// What to deliver: the plan's services, by name.
    pub services: Vec<String>,
    /// Logged without a plan.
    pub ad_hoc: bool,
    pub late: bool,
    pub conflicts: Vec<&'static str>,
    #[serde(skip)]
    worker_key: String,
    #[serde(skip)]
    recipient_key: String,
}

/// The week's visits with names and conflicts, for the page and the API.
///
/// # Errors
/// `NotFound` for callers who see no visits; database errors.
pub async fn week(
    ctx: &AppContext,
    v: &Viewer,
    start: NaiveDate,
    only_worker: Option<i64>,
) -> AppResult<(Vec<BoardVisit>, bool)> {
    let zone = DISPLAY_ZONE;
    let from = crate::domain::recurrence::resolve(zone, start.and_time(chrono::NaiveTime::MIN));
    let to = crate::domain::recurrence::resolve(
        zone,
        (start + Duration::days(7)).and_time(chrono::NaiveTime::MIN),
    );
    let (rows, found, cut) = visits::board(&ctx.db, &v.scope, from, to, only_worker).await?;
    Ok((describe(ctx, v, &rows, &found).await?, cut))
}

/// Visits with the names a page shows: worker, recipient (a `PersonView`:
/// masked for workers), village, and their conflicts.
///
/// # Errors
/// Database errors.
pub async fn describe(
    ctx: &AppContext,
    v: &Viewer,
    rows: &[visits::Model],
    found: &[Conflict],
) -> AppResult<Vec<BoardVisit>> {
    describe_at(ctx, v, rows, found, false).await
}

/// As `describe`; with `day_cards` (the worker's `/today`), a visit at the
/// door shows its person whole.
async fn describe_at(
    ctx: &AppContext,
    v: &Viewer,
    rows: &[visits::Model],
    found: &[Conflict],
    day_cards: bool,
) -> AppResult<Vec<BoardVisit>> {
    let zone = DISPLAY_ZONE;
    let ids = |f: &dyn Fn(&visits::Model) -> Option<i64>| {
        let mut v: Vec<i64> = rows.iter().filter_map(f).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let workers: HashMap<i64, users::Model> = users::Entity::find()
        .filter(users::Column::Id.is_in(ids(&|r| r.worker_id)))
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let people: HashMap<i64, recipients::Model> = recipients::Entity::find()
        .filter(recipients::Column::Id.is_in(ids(&|r| r.recipient_id)))
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let homes: HashMap<i64, households::Model> = households::Entity::find()
        .filter(households::Column::Id.is_in(ids(&|r| Some(r.household_id))))
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|h| (h.id, h))
        .collect();
    let mut village_ids: Vec<i64> = homes.values().map(|h| h.village_id).collect();
    village_ids.sort_unstable();
    village_ids.dedup();
    let places: HashMap<i64, String> = villages::Entity::find()
        .filter(villages::Column::Id.is_in(village_ids))
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let plans: HashMap<i64, String> = service_plans::Entity::find()
        .filter(service_plans::Column::Id.is_in(ids(&|r| r.plan_id)))
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.services))
        .collect();
    let catalogue = Catalogue::load(&ctx.db).await?;
    let mut by_visit: HashMap<usize, Vec<&'static str>> = HashMap::new();
    for Conflict { index, kind, .. } in found {
        by_visit.entry(*index).or_default().push(kind.as_str());
    }
    let household_label = t(v.lang, "whole-household");
    let today = crate::models::today();
    let planned = if day_cards && rows.iter().any(|r| r.plan_id.is_none()) {
        crate::controllers::visits::door_people(ctx, v, today).await?
    } else {
        std::collections::HashSet::new()
    };
    let out = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let local = r.starts_at.with_timezone(&zone);
            let place = if day_cards {
                place_of(v, r, today, &planned)
            } else {
                Place::Elsewhere
            };
            let at_door = place == Place::AtTheDoor;
            let home = homes.get(&r.household_id);
            let person = r.recipient_id.and_then(|id| people.get(&id));
            let view = person.map(|p| {
                let openable = v.scope.sees_recipient(p);
                let view = PersonView::new(
                    &v.scope,
                    p,
                    homes.get(&p.household_id),
                    place,
                    openable,
                    today,
                );
                if openable || at_door || v.scope.role() == Role::Worker {
                    view
                } else {
                    view.name_only()
                }
            });
            let contact = match (person, home) {
                (None, Some(h)) => household_contact(v, h, place),
                _ => Value::Null,
            };
            let text = |k: &str| contact[k].as_str().map(str::to_string);
            let worker = r.worker_id.and_then(|id| workers.get(&id));
            BoardVisit {
                pid: r.pid,
                day: local.weekday().num_days_from_monday() as usize,
                date: local.format("%m-%d").to_string(),
                time: format!(
                    "{}–{}",
                    local.format("%H:%M"),
                    r.ends_at.with_timezone(&zone).format("%H:%M")
                ),
                starts_at: r.starts_at,
                ends_at: r.ends_at,
                status: r.status.clone(),
                exception: r.exception,
                worker: worker.map(|u| crate::views::Ref {
                    pid: u.pid,
                    name: u.name.clone(),
                }),
                recipient: view
                    .as_ref()
                    .map_or_else(|| household_label.clone(), |p| p.name.clone()),
                recipient_pid: view.as_ref().and_then(|p| p.pid),
                village: home
                    .and_then(|h| places.get(&h.village_id))
                    .cloned()
                    .unwrap_or_default(),
                address: view
                    .as_ref()
                    .map_or_else(|| text("address"), |p| p.address.clone())
                    .unwrap_or_default(),
                care_tags: view
                    .as_ref()
                    .map(|p| p.care_tags.clone())
                    .unwrap_or_default(),
                at_door,
                phone: if at_door {
                    view.as_ref()
                        .map_or_else(|| text("phone"), |p| p.phone.clone())
                } else {
                    None
                },
                person: view.filter(|_| at_door),
                services: r
                    .plan_id
                    .and_then(|id| plans.get(&id))
                    .map(|codes| {
                        codes
                            .split(',')
                            .filter(|c| !c.is_empty())
                            .map(|c| catalogue.name(c, v.lang))
                            .collect()
                    })
                    .unwrap_or_default(),
                ad_hoc: r.plan_id.is_none(),
                late: r.late,
                conflicts: by_visit.remove(&i).unwrap_or_default(),
                worker_key: worker
                    .map_or_else(String::new, |u| format!("{}\u{1}{}", u.name, u.pid)),
                recipient_key: format!(
                    "{}\u{1}{}",
                    person.map_or(String::new(), |p| p.name.clone()),
                    r.recipient_id.unwrap_or(-r.household_id)
                ),
            }
        })
        .collect();
    Ok(out)
}

/// Visits grouped into rows (a worker or a recipient), each with 7 days.
fn rows_by(list: Vec<BoardVisit>, by_worker: bool, unassigned: &str) -> Vec<Value> {
    let mut rows: BTreeMap<String, (String, Vec<Vec<BoardVisit>>)> = BTreeMap::new();
    for visit in list {
        let (key, label) = if by_worker {
            let label = visit
                .worker
                .as_ref()
                .map_or_else(|| unassigned.to_string(), |w| w.name.clone());
            (visit.worker_key.clone(), label)
        } else {
            (visit.recipient_key.clone(), visit.recipient.clone())
        };
        let row = rows
            .entry(key)
            .or_insert_with(|| (label, (0..7).map(|_| Vec::new()).collect()));
        let day = visit.day.min(6);
        row.1[day].push(visit);
    }
    rows.into_iter()
        .map(|(key, (label, days))| {
            let count: usize = days.iter().map(Vec::len).sum();
            let conflicts = days.iter().flatten().any(|v| !v.conflicts.is_empty());
            json!({"label": label, "unassigned": by_worker && key.is_empty(),
                   "count": count, "conflicts": conflicts, "days": days})
        })
        .collect()
}

fn day_heads(v: &Viewer, start: NaiveDate) -> Vec<Value> {
    (0..7)
        .map(|i| {
            let d = start + Duration::days(i);
            json!({"date": d.format("%m-%d").to_string(), "weekday": t(v.lang, &format!("weekday-{}", i + 1)),
                   "today": d == crate::models::today()})
        })
        .collect()
}

async fn workers_of(ctx: &AppContext, v: &Viewer) -> AppResult<Vec<Value>> {
    let Some(org) = v.scope.own_organization() else {
        return Ok(Vec::new());
    };
    crate::models::users::workers_of(&ctx.db, org).await
}

async fn board_page(
    ctx: &AppContext,
    v: &Viewer,
    q: &BoardQuery,
    form: Value,
    errors: Value,
    status: StatusCode,
) -> AppResult<Response> {
    require(v.scope.may_plan())?;
    let start = monday(q.week.as_deref());
    let by_worker = q.by.as_deref() != Some("recipient");
    let (list, cut) = week(ctx, v, start, None).await?;
    let total = list.len();
    let conflicted = list.iter().filter(|x| !x.conflicts.is_empty()).count();
    let unassigned = list
        .iter()
        .filter(|x| x.worker.is_none() && x.status != VisitStatus::Cancelled.as_str())
        .count();
    let rows = rows_by(list, by_worker, &t(v.lang, "unassigned"));
    Ok(Page::new(
        "board/week.html",
        json!({
            "rows": rows, "days": day_heads(v, start), "by": if by_worker { "worker" } else { "recipient" },
            "week": start.to_string(), "prev": (start - Duration::days(7)).to_string(),
            "next": (start + Duration::days(7)).to_string(), "end": (start + Duration::days(6)).to_string(),
            "total": total, "conflicted": conflicted, "unassigned_count": unassigned, "cut": cut,
            "workers": workers_of(ctx, v).await?, "may_manage": v.scope.may_manage_plans(),
            "form": form, "errors": errors,
        }),
    )
    .status(status)
    .render(v))
}

async fn board(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<BoardQuery>,
) -> AppResult<Response> {
    let start = monday(q.week.as_deref());
    let form = json!({"from": start.max(crate::models::today()).to_string(), "to": (start + Duration::days(6)).to_string()});
    board_page(&ctx, &v, &q, form, json!({}), StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct ReassignForm {
    week: Option<String>,
    from_worker: Option<String>,
    to_worker: Option<String>,
    from: Option<String>,
    to: Option<String>,
    reason: Option<String>,
}

async fn reassign(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(f): FormData<ReassignForm>,
) -> AppResult<Response> {
    let body = ReassignBody {
        from_worker: f.from_worker.clone(),
        to_worker: f.to_worker.clone(),
        from: f.from.clone(),
        to: f.to.clone(),
        reason: f.reason.clone(),
    };
    let q = BoardQuery {
        week: f.week.clone(),
        by: None,
    };
    match super::invalid_or(reassign_many(&ctx, &v, &body).await, v.lang)? {
        Ok(n) => Ok(redirect_flash(
            &format!("/board?week={}", monday(f.week.as_deref())),
            if n == 0 {
                "flash-reassigned-none"
            } else {
                "flash-reassigned"
            },
        )),
        Err(errors) => {
            board_page(
                &ctx,
                &v,
                &q,
                serde_json::to_value(&f).unwrap_or_default(),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// A worker's own week, day by day.
async fn my_week(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<BoardQuery>,
) -> AppResult<Response> {
    let start = monday(q.week.as_deref());
    let (list, cut) = week(&ctx, &v, start, Some(v.user.id)).await?;
    let heads = day_heads(&v, start);
    let mut days: Vec<Value> = heads.clone();
    let mut per_day: Vec<Vec<BoardVisit>> = (0..7).map(|_| Vec::new()).collect();
    for visit in list {
        let d = visit.day.min(6);
        per_day[d].push(visit);
    }
    for (head, visits) in days.iter_mut().zip(per_day) {
        if let Value::Object(m) = head {
            m.insert("visits".into(), json!(visits));
        }
    }
    Ok(Page::new(
        "board/my_week.html",
        json!({
            "days": days, "week": start.to_string(), "cut": cut,
            "prev": (start - Duration::days(7)).to_string(),
            "next": (start + Duration::days(7)).to_string(),
            "end": (start + Duration::days(6)).to_string(),
        }),
    )
    .render(&v))
}

/// Visits needing attention: missed, late and location exceptions of the
/// last 14 days (coordinators, officials, admins).
async fn attention(State(ctx): State<AppContext>, v: Viewer) -> AppResult<Response> {
    require(v.scope.may_plan())?;
    let since = chrono::Utc::now() - Duration::days(14);
    let mut sections = Vec::new();
    for (key, flag) in [
        ("missed", visits::Flag::Missed),
        ("late", visits::Flag::Late),
        ("location_exception", visits::Flag::LocationException),
    ] {
        let (rows, page) = visits::flagged(
            &ctx.db,
            &v.scope,
            flag,
            since,
            crate::domain::pagination::PageRequest::parse(None, Some("50")),
        )
        .await?;
        let list = describe(&ctx, &v, &rows, &[]).await?;
        sections.push(json!({"key": key, "visits": list, "total": page.total}));
    }
    Ok(Page::new("board/attention.html", json!({"sections": sections})).render(&v))
}

/// A worker's start page: what is overdue (not yet done, start passed, in
/// the last 7 days), today's visits and the next three days', in time
/// order, each a tap away.
async fn today(State(ctx): State<AppContext>, v: Viewer) -> AppResult<Response> {
    require(v.user.role == Role::Worker.as_str())?;
    let now = chrono::Utc::now();
    let zone = DISPLAY_ZONE;
    let day = now.with_timezone(&zone).date_naive();
    let midnight =
        |d: NaiveDate| crate::domain::recurrence::resolve(zone, d.and_time(chrono::NaiveTime::MIN));
    let (rows, _, cut) = visits::board(
        &ctx.db,
        &v.scope,
        now - Duration::days(7),
        midnight(day + Duration::days(4)),
        Some(v.user.id),
    )
    .await?;
    let rows: Vec<visits::Model> = rows
        .into_iter()
        .filter(|r| {
            r.starts_at.with_timezone(&chrono::Utc) >= midnight(day)
                || r.status().open_at_the_door()
        })
        .collect();
    let list = describe_at(&ctx, &v, &rows, &[], true).await?;
    let (mut overdue, mut today, mut later) = (Vec::new(), Vec::new(), Vec::new());
    for (x, r) in list.into_iter().zip(&rows) {
        let start = r.starts_at.with_timezone(&chrono::Utc);
        if r.status().open_at_the_door() && (start < now || r.status() != VisitStatus::Scheduled) {
            overdue.push(x);
        } else if start < midnight(day + Duration::days(1)) {
            today.push(x);
        } else {
            later.push(x);
        }
    }
    Ok(Page::new(
        "board/today.html",
        json!({"overdue": overdue, "today": today, "later": later, "cut": cut,
               "date": day.to_string(), "weekday": t(v.lang, &format!("weekday-{}", day.format("%u")))}),
    )
    .render(&v))
}

/// The board as JSON: the week's visits with names and conflicts.
async fn api_board(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<BoardQuery>,
) -> AppResult<Response> {
    let start = monday(q.week.as_deref());
    let only = if v.user.role == Role::Worker.as_str() {
        Some(v.user.id)
    } else {
        None
    };
    let (list, cut) = week(&ctx, &v, start, only).await?;
    Ok(Json(json!({"week_start": start, "visits": list, "truncated": cut})).into_response())
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/board", get(board))
        .add("/board/reassign", post(reassign))
        .add("/my_week", get(my_week))
        .add("/attention", get(attention))
        .add("/today", get(today))
        .add("/api/v1/board", get(api_board))
}
