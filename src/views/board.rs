//! The board and the worker's lists of visits: a week by worker or by
//! recipient (`/board`, `/api/v1/board`), the worker's week (`/my_week`)
//! and day (`/today`), the visits needing attention. Each list loads its
//! related rows in one query per table (`visits::Related`), whatever its
//! length.
use super::{
    person::{door_people, person_at, place_of, HouseholdContact, PersonView, Place},
    Ref,
};
use crate::{
    domain::{
        pagination::PageRequest,
        recurrence::resolve,
        role::Role,
        visit::{CardState, VisitStatus},
    },
    errors::AppResult,
    i18n::t,
    models::{
        service_types::Catalogue,
        users,
        visits::{self, Conflict, Flag, ReassignBody, Related},
    },
    web::Viewer,
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use loco_rs::app::AppContext;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

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
    /// How the card reads now (`domain::visit::CardState`): due, in
    /// progress, overdue (past its end, nobody checked in), done,
    /// cancelled.
    pub state: &'static str,
    pub exception: bool,
    pub worker: Option<Ref>,
    pub recipient: String,
    pub recipient_pid: Option<uuid::Uuid>,
    /// For workers, who see names masked away from the door (张**): a
    /// short mark of the person (or household) that tells two 张** of one
    /// village apart. It is cut from the record's random `pid`, so it says
    /// nothing about the person; the visit page at the door shows it
    /// beside the whole name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mark: Option<String>,
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

/// Midnight (display zone) at the start of `day`.
fn midnight(day: NaiveDate) -> DateTime<Utc> {
    resolve(crate::zone::display(), day.and_time(NaiveTime::MIN))
}

/// The week from `start` of the visits the viewer sees (of one worker
/// with `only_worker`), with names and conflicts, and whether it was cut.
///
/// # Errors
/// `NotFound` for callers who see no visits; database errors.
pub async fn week(
    ctx: &AppContext,
    v: &Viewer,
    start: NaiveDate,
    only_worker: Option<i64>,
) -> AppResult<(Vec<BoardVisit>, bool)> {
    let (from, to) = (midnight(start), midnight(start + Duration::days(7)));
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
    let related = Related::load(&ctx.db, rows).await?;
    let catalogue = Catalogue::load(&ctx.db).await?;
    let mut by_visit: HashMap<usize, Vec<&'static str>> = HashMap::new();
    for Conflict { index, kind, .. } in found {
        by_visit.entry(*index).or_default().push(kind.as_str());
    }
    let today = crate::models::today();
    let planned = if day_cards && rows.iter().any(|r| r.plan_id.is_none()) {
        door_people(&ctx.db, &v.scope, today).await?
    } else {
        HashSet::new()
    };
    let openable = crate::models::recipients::visible_ids(
        &ctx.db,
        &v.scope,
        rows.iter().filter_map(|r| r.recipient_id).collect(),
    )
    .await?;
    let card = Card {
        v,
        related: &related,
        openable: &openable,
        catalogue: &catalogue,
        household_label: t(v.lang, "whole-household"),
        today,
        now: Utc::now(),
    };
    Ok(rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let place = if day_cards {
                place_of(&v.scope, r, today, &planned)
            } else {
                Place::Elsewhere
            };
            card.of(r, place, by_visit.remove(&i).unwrap_or_default())
        })
        .collect())
}

/// What one visit's card is built from.
struct Card<'a> {
    v: &'a Viewer,
    related: &'a Related,
    /// The people the viewer may open (`recipients::visible_ids`).
    openable: &'a HashSet<i64>,
    catalogue: &'a Catalogue,
    household_label: String,
    today: NaiveDate,
    now: DateTime<Utc>,
}

impl Card<'_> {
    fn of(&self, r: &visits::Model, place: Place, conflicts: Vec<&'static str>) -> BoardVisit {
        let (v, related) = (self.v, self.related);
        let local = r.starts_at.with_timezone(&crate::zone::display());
        let at_door = place == Place::AtTheDoor;
        let home = related.home(r);
        let person = related.person(r);
        let view = person.map(|p| {
            let openable = self.openable.contains(&p.id);
            person_at(
                &v.scope,
                p,
                related.home_of(p),
                place,
                self.today,
                (true, openable),
            )
        });
        let contact = match (person, home) {
            (None, Some(h)) => HouseholdContact::new(&v.scope, h, place),
            _ => HouseholdContact::default(),
        };
        let worker = related.worker(r);
        BoardVisit {
            pid: r.pid,
            day: local.weekday().num_days_from_monday() as usize,
            date: local.format("%m-%d").to_string(),
            time: format!(
                "{}–{}",
                local.format("%H:%M"),
                r.ends_at
                    .with_timezone(&crate::zone::display())
                    .format("%H:%M")
            ),
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            status: r.status.clone(),
            state: CardState::of(r.status(), r.ends_at.with_timezone(&Utc), self.now).as_str(),
            exception: r.exception,
            worker: worker.map(|u| Ref {
                pid: u.pid,
                name: u.name.clone(),
            }),
            recipient: view
                .as_ref()
                .map_or_else(|| self.household_label.clone(), |p| p.name.clone()),
            recipient_pid: view.as_ref().and_then(|p| p.pid),
            mark: (v.scope.role() == Role::Worker)
                .then(|| mark_of(person.map_or_else(|| home.map(|h| h.pid), |p| Some(p.pid)))),
            village: home
                .and_then(|h| related.village(h))
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            address: view
                .as_ref()
                .map_or_else(|| contact.address.clone(), |p| p.address.clone())
                .unwrap_or_default(),
            care_tags: view
                .as_ref()
                .map(|p| p.care_tags.clone())
                .unwrap_or_default(),
            at_door,
            phone: if at_door {
                view.as_ref()
                    .map_or_else(|| contact.phone.clone(), |p| p.phone.clone())
            } else {
                None
            },
            person: view.filter(|_| at_door),
            services: related
                .plan(r)
                .map(|p| {
                    p.services
                        .split(',')
                        .filter(|c| !c.is_empty())
                        .map(|c| self.catalogue.name(c, v.lang))
                        .collect()
                })
                .unwrap_or_default(),
            ad_hoc: r.plan_id.is_none(),
            late: r.late,
            conflicts,
            worker_key: worker.map_or_else(String::new, |u| format!("{}\u{1}{}", u.name, u.pid)),
            recipient_key: format!(
                "{}\u{1}{}",
                person.map_or(String::new(), |p| p.name.clone()),
                r.recipient_id.unwrap_or(-r.household_id)
            ),
        }
    }
}

/// A short mark of a person or household (`#3F2A`): four characters of
/// the random part of its `pid` (nothing about the person), for telling
/// two masked names apart.
#[must_use]
pub fn mark_of(pid: Option<uuid::Uuid>) -> String {
    pid.map_or_else(String::new, |p| {
        let hex = p.simple().to_string().to_uppercase();
        format!("#{}", &hex[hex.len() - 4..])
    })
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

/// The week before, after and its last day, for the pages' links.
fn week_links(start: NaiveDate) -> Value {
    json!({
        "week": start.to_string(), "prev": (start - Duration::days(7)).to_string(),
        "next": (start + Duration::days(7)).to_string(), "end": (start + Duration::days(6)).to_string(),
    })
}

/// Page data: `a` with the fields of `b` added.
fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

/// The bulk reassignment form of the board.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ReassignForm {
    pub week: Option<String>,
    pub from_worker: Option<String>,
    pub to_worker: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
}

impl ReassignForm {
    /// The reassignment the form asks for, as the API would receive it.
    #[must_use]
    pub fn body(&self) -> ReassignBody {
        ReassignBody {
            from_worker: self.from_worker.clone(),
            to_worker: self.to_worker.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            reason: self.reason.clone(),
        }
    }

    /// The form as first shown on the week from `start`: from today (or
    /// the week's start, if later) to the week's end.
    #[must_use]
    pub fn first(start: NaiveDate) -> Value {
        json!({"from": start.max(crate::models::today()).to_string(), "to": (start + Duration::days(6)).to_string()})
    }
}

/// The data of `board/week.html`: the week from `start` by worker (or by
/// recipient), its counts, and the reassignment form.
///
/// # Errors
/// `NotFound` for callers who see no visits; database errors.
pub async fn week_page(
    ctx: &AppContext,
    v: &Viewer,
    start: NaiveDate,
    by_worker: bool,
    form: Value,
    errors: Value,
) -> AppResult<Value> {
    let (list, cut) = week(ctx, v, start, None).await?;
    let total = list.len();
    let conflicted = list.iter().filter(|x| !x.conflicts.is_empty()).count();
    let unassigned = list
        .iter()
        .filter(|x| x.worker.is_none() && x.status != VisitStatus::Cancelled.as_str())
        .count();
    let rows = rows_by(list, by_worker, &t(v.lang, "unassigned"));
    let workers = match v.scope.own_organization() {
        Some(org) => users::workers_of(&ctx.db, org).await?,
        None => Vec::new(),
    };
    Ok(merge(
        json!({
            "rows": rows, "days": day_heads(v, start), "by": if by_worker { "worker" } else { "recipient" },
            "total": total, "conflicted": conflicted, "unassigned_count": unassigned, "cut": cut,
            "workers": workers, "may_manage": v.scope.may_manage_plans(),
            "form": form, "errors": errors,
        }),
        week_links(start),
    ))
}

/// The data of `board/my_week.html`: the viewer's own week, day by day.
///
/// # Errors
/// `NotFound` for callers who see no visits; database errors.
pub async fn my_week(ctx: &AppContext, v: &Viewer, start: NaiveDate) -> AppResult<Value> {
    let (list, cut) = week(ctx, v, start, Some(v.user.id)).await?;
    let mut days = day_heads(v, start);
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
    Ok(merge(json!({"days": days, "cut": cut}), week_links(start)))
}

/// The data of `board/attention.html`: missed, late and location
/// exceptions since `since` (50 of each).
///
/// # Errors
/// `NotFound` for callers who see no visits; database errors.
pub async fn attention(ctx: &AppContext, v: &Viewer, since: DateTime<Utc>) -> AppResult<Value> {
    let flags = [Flag::Missed, Flag::Late, Flag::LocationException];
    let mut rows = Vec::new();
    let mut sizes = Vec::new();
    for flag in flags {
        let req = PageRequest::parse(None, Some("50"));
        let (found, page) = visits::flagged(&ctx.db, &v.scope, flag, since, req).await?;
        sizes.push((found.len(), page.total));
        rows.extend(found);
    }
    // One description of the three sections: their related rows at once.
    let mut described = describe(ctx, v, &rows, &[]).await?.into_iter();
    let sections: Vec<Value> = flags
        .iter()
        .zip(sizes)
        .map(|(flag, (n, total))| {
            let list: Vec<BoardVisit> = described.by_ref().take(n).collect();
            json!({"key": flag.key(), "visits": list, "total": total})
        })
        .collect();
    Ok(json!({ "sections": sections }))
}

/// The data of `board/today.html`, a worker's start page at `now`: what is
/// overdue (not yet done, start passed, in the last 7 days), today's
/// visits and the next three days', in time order.
///
/// # Errors
/// `NotFound` for callers who see no visits; database errors.
pub async fn today(ctx: &AppContext, v: &Viewer, now: DateTime<Utc>) -> AppResult<Value> {
    let day = now.with_timezone(&crate::zone::display()).date_naive();
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
            r.starts_at.with_timezone(&Utc) >= midnight(day) || r.status().open_at_the_door()
        })
        .collect();
    let list = describe_at(ctx, v, &rows, &[], true).await?;
    // Overdue only past its end with nobody checked in; a visit started a
    // few minutes ago, or in progress, is today's work.
    let (mut overdue, mut today, mut later) = (Vec::new(), Vec::new(), Vec::new());
    for (x, r) in list.into_iter().zip(&rows) {
        let start = r.starts_at.with_timezone(&Utc);
        let state = CardState::of(r.status(), r.ends_at.with_timezone(&Utc), now);
        if state == CardState::Overdue {
            overdue.push(x);
        } else if start < midnight(day + Duration::days(1)) {
            today.push(x);
        } else {
            later.push(x);
        }
    }
    Ok(
        json!({"overdue": overdue, "today": today, "later": later, "cut": cut,
              "date": day.to_string(), "weekday": t(v.lang, &format!("weekday-{}", day.format("%u")))}),
    )
}

/// The worker's next visit today after `visit` (display zone) that is
/// still open at the door, named as lists name it (masked for workers:
/// the page it is shown on is another visit's): the first one
/// starting after `visit`, else the first one left today. None for other
/// roles, or when none is left.
///
/// # Errors
/// Database errors.
pub async fn next_after(
    ctx: &AppContext,
    v: &Viewer,
    visit: &visits::Model,
    now: DateTime<Utc>,
) -> AppResult<Option<BoardVisit>> {
    if v.scope.role() != Role::Worker {
        return Ok(None);
    }
    let day = now.with_timezone(&crate::zone::display()).date_naive();
    let (rows, _, _) = visits::board(
        &ctx.db,
        &v.scope,
        midnight(day),
        midnight(day + Duration::days(1)),
        Some(v.user.id),
    )
    .await?;
    let open: Vec<&visits::Model> = rows
        .iter()
        .filter(|r| r.id != visit.id && r.status().open_at_the_door())
        .collect();
    let Some(next) = open
        .iter()
        .find(|r| r.starts_at >= visit.starts_at)
        .or_else(|| open.first())
    else {
        return Ok(None);
    };
    // Named as on any list (masked): this page is another person's door.
    let next = (*next).clone();
    Ok(describe(ctx, v, std::slice::from_ref(&next), &[])
        .await?
        .into_iter()
        .next())
}

/// The board as JSON: the week's visits with names and conflicts.
#[derive(Debug, Serialize)]
pub struct BoardJson {
    pub week_start: NaiveDate,
    pub visits: Vec<BoardVisit>,
    pub truncated: bool,
}

impl BoardJson {
    /// The week from `start` the viewer sees (a worker: their own visits).
    ///
    /// # Errors
    /// `NotFound` for callers who see no visits; database errors.
    pub async fn load(ctx: &AppContext, v: &Viewer, start: NaiveDate) -> AppResult<Self> {
        let only = (v.user.role == crate::domain::role::Role::Worker.as_str()).then_some(v.user.id);
        let (visits, truncated) = week(ctx, v, start, only).await?;
        Ok(Self {
            week_start: start,
            visits,
            truncated,
        })
    }
}
