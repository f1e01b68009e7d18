//! Issue 13, finding 2: a worker sees a person whole (name, address,
//! phone, guardian, care notes) only on the page, day card and JSON of a
//! visit assigned to them, from the day before its day to three days after
//! (`domain::privacy::at_the_door`). Everywhere else names are masked and
//! phones, addresses and ID numbers absent. The walk below fetches every
//! GET route of the app as a worker, with every pid the worker could know,
//! and searches each answer for everyone's distinctive details.
use crate::support::*;
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate, TimeZone};
use doudi::{
    app::App,
    models::_entities::{households, recipients, service_plans, users, visits},
};
use loco_rs::app::{AppContext, Hooks};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

const ZONE: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// Two rare characters per person, so a whole name is found by string
/// search and never by accident.
const RARE: [&str; 12] = [
    "翀翃", "骞骥", "彧昶", "璟瑄", "珩琰", "邃邈", "晔暄", "骁骐", "瀚澍", "曦晞", "淼焱", "赟韫",
];

/// What must not leak of one person, as the test made it.
#[derive(Debug, Clone)]
struct Person {
    id: i64,
    household_id: i64,
    name: String,
    /// Their own, their guardian's and their household's.
    phones: Vec<String>,
    guardian: String,
    address: String,
    home_phone: String,
    /// The home point, as pages print it.
    coords: Vec<String>,
    id_number: String,
    id_masked: String,
    birth_date: String,
}

impl Person {
    /// The whole details, any of which must not appear where the person
    /// is not at the door.
    fn whole(&self) -> Vec<&str> {
        let mut v = vec![
            self.name.as_str(),
            self.guardian.as_str(),
            self.address.as_str(),
        ];
        v.extend(self.phones.iter().map(String::as_str));
        v
    }
}

/// Gives every person and household distinctive names, phones and
/// addresses, and returns them with their ID numbers.
async fn distinctive(ctx: &AppContext) -> Vec<Person> {
    let vault = doudi::vault::Vault::of(ctx).expect("vault");
    let homes = households::Entity::find()
        .order_by_asc(households::Column::Id)
        .all(&ctx.db)
        .await
        .expect("households");
    let mut home_of = HashMap::new();
    for (i, h) in homes.into_iter().enumerate() {
        let address = format!("蓁蓁巷{}号", 101 + i);
        let phone = format!("1396{:07}", 4_200_000 + i);
        let mut am: households::ActiveModel = h.clone().into();
        am.address = Set(address.clone());
        am.phone = Set(Some(phone.clone()));
        am.update(&ctx.db).await.expect("household");
        home_of.insert(h.id, (address, phone));
    }
    let people = recipients::Entity::find()
        .order_by_asc(recipients::Column::Id)
        .all(&ctx.db)
        .await
        .expect("recipients");
    assert!(people.len() <= RARE.len(), "more people than rare names");
    let mut out = Vec::new();
    for (i, r) in people.into_iter().enumerate() {
        let first: String = r.name.chars().take(1).collect();
        let name = format!("{first}{}", RARE[i]);
        let guardian = format!("蘅{}", RARE[RARE.len() - 1 - i]);
        let phone = format!("1398{:07}", 4_300_000 + i);
        let guardian_phone = format!("1397{:07}", 4_400_000 + i);
        let mut am: recipients::ActiveModel = r.clone().into();
        am.name = Set(name.clone());
        // Children have no phone of their own.
        let own = r.phone.is_some().then(|| phone.clone());
        am.phone = Set(own.clone());
        am.guardian_name = Set(Some(guardian.clone()));
        am.guardian_phone = Set(Some(guardian_phone.clone()));
        am.care_needs = Set(Some(format!("照护{}需要", RARE[i])));
        am.update(&ctx.db).await.expect("recipient");
        let (address, home_phone) = home_of[&r.household_id].clone();
        let id_number = vault
            .open(&r.id_sealed)
            .expect("id number")
            .as_str()
            .to_string();
        let mut phones = vec![guardian_phone, home_phone.clone()];
        let coords: Vec<String> = [r.latitude, r.longitude]
            .into_iter()
            .flatten()
            .map(|x| x.to_string())
            .collect();
        assert_eq!(coords.len(), 2, "the demo gives every home a point");
        phones.extend(own);
        out.push(Person {
            id: r.id,
            household_id: r.household_id,
            name,
            phones,
            guardian,
            address,
            home_phone,
            coords,
            id_number,
            id_masked: r.id_masked.clone(),
            birth_date: r.birth_date.format("%Y-%m-%d").to_string(),
        });
    }
    out
}

/// A plan of `days` daily visits from `start` for a recipient or a
/// household, made by the coordinator for `worker`.
async fn plan(
    server: &axum_test::TestServer,
    ctx: &AppContext,
    subject: Value,
    worker: &str,
    start: NaiveDate,
    days: u32,
) -> Uuid {
    let mut body = json!({
        "worker": user(ctx, worker).await.pid,
        "services": ["daily_care"],
        "dtstart": format!("{start}T09:00:00"),
        "rrule": format!("FREQ=DAILY;COUNT={days}"),
        "confirm": true,
    });
    if let (Value::Object(b), Value::Object(s)) = (&mut body, subject) {
        b.extend(s);
    }
    let res = server
        .post("/api/v1/service_plans")
        .authorization_bearer(&token(ctx, "coordinator@doudi.test").await)
        .json(&body)
        .await;
    assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    res.json::<Value>()["pid"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .expect("plan pid")
}

async fn visits_of(ctx: &AppContext, plan: Uuid) -> Vec<visits::Model> {
    let p = service_plans::Entity::find()
        .filter(service_plans::Column::Pid.eq(plan))
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("plan");
    visits::Entity::find()
        .filter(visits::Column::PlanId.eq(p.id))
        .order_by_asc(visits::Column::StartsAt)
        .all(&ctx.db)
        .await
        .expect("visits")
}

/// Moves a visit to 09:00 on `day` (display zone).
async fn move_to(ctx: &AppContext, v: &visits::Model, day: NaiveDate) -> visits::Model {
    let start = ZONE
        .from_local_datetime(&day.and_hms_opt(9, 0, 0).expect("time"))
        .single()
        .expect("local time")
        .fixed_offset();
    let mut am: visits::ActiveModel = v.clone().into();
    am.starts_at = Set(start);
    am.ends_at = Set(start + Duration::hours(1));
    am.update(&ctx.db).await.expect("move")
}

fn day_of(v: &visits::Model) -> NaiveDate {
    v.starts_at.with_timezone(&ZONE).date_naive()
}

/// The world of the walk: the worker's visits in and out of the window,
/// another worker's, a household's, with every person made distinctive.
struct World {
    people: Vec<Person>,
    /// The worker's visits whose day is at the door today.
    at_door: Vec<visits::Model>,
    all_visits: Vec<visits::Model>,
    plans: Vec<Uuid>,
    worker: users::Model,
}

async fn world(server: &axum_test::TestServer, ctx: &AppContext) -> World {
    let people = distinctive(ctx).await;
    let today = doudi::models::today();
    let find = |first: &str| {
        people
            .iter()
            .find(|p| p.name.starts_with(first))
            .cloned()
            .expect("person")
    };
    let rpid = |id: i64| async move {
        recipients::Entity::find_by_id(id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("r")
            .pid
    };
    // 单 at the door: five days ago (out), three days ago and today (in).
    let shan = find("单");
    let p1 = plan(
        server,
        ctx,
        json!({"recipient": rpid(shan.id).await}),
        "worker@doudi.test",
        today + Duration::days(1),
        3,
    )
    .await;
    let v1 = visits_of(ctx, p1).await;
    move_to(ctx, &v1[0], today - Duration::days(5)).await;
    move_to(ctx, &v1[1], today).await;
    move_to(ctx, &v1[2], today - Duration::days(3)).await;
    // 曾: the worker's, but only from the day after tomorrow (out).
    let zeng = find("曾");
    let p2 = plan(
        server,
        ctx,
        json!({"recipient": rpid(zeng.id).await}),
        "worker@doudi.test",
        today + Duration::days(2),
        2,
    )
    .await;
    // 张 (the grandmother): another worker's visit tomorrow.
    let zhang = people
        .iter()
        .find(|p| p.name.starts_with('张') && p.phones.len() == 3)
        .cloned()
        .expect("zhang");
    let p3 = plan(
        server,
        ctx,
        json!({"recipient": rpid(zhang.id).await}),
        "volunteer@doudi.test",
        today + Duration::days(1),
        2,
    )
    .await;
    // 李's whole household, the worker's, tomorrow (in).
    let li = find("李");
    let home = households::Entity::find_by_id(li.household_id)
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("h");
    let p4 = plan(
        server,
        ctx,
        json!({"household": home.pid}),
        "worker@doudi.test",
        today + Duration::days(1),
        1,
    )
    .await;
    let worker = user(ctx, "worker@doudi.test").await;
    let all_visits = visits::Entity::find()
        .order_by_asc(visits::Column::StartsAt)
        .all(&ctx.db)
        .await
        .expect("visits");
    let at_door: Vec<visits::Model> = all_visits
        .iter()
        .filter(|v| v.worker_id == Some(worker.id))
        .filter(|v| (-3..=1).contains(&(day_of(v) - today).num_days()))
        .cloned()
        .collect();
    // The setup has what the walk needs: visits of the worker in and out
    // of the window, and someone else's.
    assert_eq!(at_door.len(), 3, "{at_door:?}");
    assert!(all_visits
        .iter()
        .any(|v| v.worker_id == Some(worker.id) && !at_door.contains(v)));
    World {
        people,
        at_door,
        all_visits,
        plans: vec![p1, p2, p3, p4],
        worker,
    }
}

impl World {
    /// The people (by id) a response of `uri` (with `pid` substituted) may
    /// show whole, and the households whose address it may show.
    fn allowed(&self, route: &str, pid: Option<&str>) -> (BTreeSet<i64>, BTreeSet<i64>) {
        let door: Vec<&visits::Model> = match route {
            "/today" => self.at_door.iter().collect(),
            "/visits/{pid}" | "/api/v1/visits/{pid}" => self
                .at_door
                .iter()
                .filter(|v| Some(v.pid.to_string().as_str()) == pid)
                .collect(),
            _ => Vec::new(),
        };
        (
            door.iter().filter_map(|v| v.recipient_id).collect(),
            door.iter().map(|v| v.household_id).collect(),
        )
    }

    fn at_door_people(&self) -> BTreeSet<i64> {
        self.at_door.iter().filter_map(|v| v.recipient_id).collect()
    }

    /// Everything wrong with one answer.
    fn leaks(&self, route: &str, pid: Option<&str>, body: &str) -> Vec<String> {
        let (people, homes) = self.allowed(route, pid);
        let mut out = Vec::new();
        for p in &self.people {
            // The privacy page shows what a mask looks like (5119 and
            // stars, the same for everyone of the city): no person's.
            let policy = route.ends_with("/privacy");
            for s in [&p.id_number, &p.id_masked, &p.birth_date] {
                if body.contains(s.as_str()) && !(policy && s == &p.id_masked) {
                    out.push(format!("{s} (of {})", p.name));
                }
            }
            if people.contains(&p.id) {
                continue;
            }
            // The offline ad-hoc form keeps the home points of the people
            // at the door only.
            // A whole household's door is measured from its home.
            let door_form = (route == "/visits/new" && self.at_door_people().contains(&p.id))
                || homes.contains(&p.household_id);
            for s in &p.coords {
                if !door_form && body.contains(s.as_str()) {
                    out.push(format!("{s} (home of {})", p.name));
                }
            }
            for s in p.whole() {
                // A household visit at the door shows its address and
                // phone, not its members.
                let home = homes.contains(&p.household_id) && (s == p.address || s == p.home_phone);
                if !home && body.contains(s) {
                    out.push(format!("{s} (of {})", p.name));
                }
            }
        }
        out
    }
}

/// The values a route's parameters take: every pid of the matching kind
/// the worker could know, and for other kinds a few of each.
async fn values(
    ctx: &AppContext,
    w: &World,
    route: &str,
    param: &str,
    calendar: &str,
) -> Vec<String> {
    let people: Vec<String> = recipients::Entity::find()
        .all(&ctx.db)
        .await
        .expect("r")
        .iter()
        .map(|r| r.pid.to_string())
        .collect();
    let homes: Vec<String> = households::Entity::find()
        .all(&ctx.db)
        .await
        .expect("h")
        .iter()
        .map(|h| h.pid.to_string())
        .collect();
    let visits: Vec<String> = w.all_visits.iter().map(|v| v.pid.to_string()).collect();
    let plans: Vec<String> = w.plans.iter().map(ToString::to_string).collect();
    match param {
        "{file}" => vec![calendar.to_string(), "nothing.ics".into(), "x.csv".into()],
        "{format}" => vec!["csv".into(), "xlsx".into()],
        _ if route.contains("visits/{pid}") => visits,
        _ if route.contains("service_plans/{pid}") => plans,
        _ if route.contains("recipients/{pid}") => people,
        _ if route.contains("households/{pid}") => homes,
        _ => {
            let mut some = vec![w.worker.pid.to_string()];
            some.extend(visits.into_iter().take(2));
            some.extend(plans.into_iter().take(1));
            some.extend(people.into_iter().take(2));
            some.extend(homes.into_iter().take(1));
            some
        }
    }
}

/// Every GET route of the app with its parameters filled in, each with
/// the route pattern and the pid it was given.
async fn requests(
    ctx: &AppContext,
    w: &World,
    calendar: &str,
) -> Vec<(String, String, Option<String>)> {
    let routes: BTreeSet<String> = App::routes(ctx)
        .collect()
        .into_iter()
        .filter(|r| r.actions.contains(&axum::http::Method::GET))
        .map(|r| r.uri)
        .collect();
    assert!(routes.len() > 40, "{routes:?}");
    let mut out = Vec::new();
    for route in routes {
        let mut urls = vec![(route.clone(), None)];
        let params: Vec<String> = route
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(p, _)| format!("{{{p}}}")))
            .collect();
        for param in &params {
            let param = param.as_str();
            let vals = values(ctx, w, &route, param, calendar).await;
            urls = urls
                .into_iter()
                .flat_map(|(u, pid): (String, Option<String>)| {
                    vals.iter()
                        .map(|v| {
                            let pid = if param == "{pid}" {
                                Some(v.clone())
                            } else {
                                pid.clone()
                            };
                            (u.replace(param, v), pid)
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
        }
        out.extend(urls.into_iter().map(|(u, pid)| (route.clone(), u, pid)));
    }
    out
}

#[tokio::test]
async fn a_worker_sees_people_whole_only_at_the_door_on_every_route() {
    with_app(|server, ctx| async move {
        let w = world(&server, &ctx).await;
        let email = "worker@doudi.test";
        let cookie = session(&ctx, email).await;
        let bearer = token(&ctx, email).await;
        let feed = server
            .post("/api/v1/calendar_feed")
            .authorization_bearer(&bearer)
            .await;
        assert_eq!(feed.status_code(), StatusCode::CREATED, "{}", feed.text());
        let url = feed.json::<Value>()["url"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let calendar = url.rsplit('/').next().unwrap_or_default().to_string();
        let mut leaks = Vec::new();
        let mut reached = 0;
        for (route, url, pid) in requests(&ctx, &w, &calendar).await {
            let res = if url.starts_with("/api/") {
                server.get(&url).authorization_bearer(&bearer).await
            } else {
                server.get(&url).add_header("cookie", cookie.clone()).await
            };
            let status = res.status_code();
            assert!(status.as_u16() < 500, "{url}: {status}");
            if status.is_success() {
                reached += 1;
            }
            let body = String::from_utf8_lossy(res.as_bytes()).to_string();
            for leak in w.leaks(&route, pid.as_deref(), &body) {
                leaks.push(format!("{url}: {leak}"));
            }
        }
        assert!(leaks.is_empty(), "{}", leaks.join("\n"));
        // The walk reached the worker's pages, not only 404s.
        assert!(reached > 20, "{reached}");
    })
    .await;
}

#[tokio::test]
async fn at_the_door_the_worker_sees_whom_they_visit_and_how_to_reach_them() {
    with_app(|server, ctx| async move {
        let w = world(&server, &ctx).await;
        let cookie = session(&ctx, "worker@doudi.test").await;
        let bearer = token(&ctx, "worker@doudi.test").await;
        let today = doudi::models::today();
        let person = |v: &visits::Model| {
            w.people
                .iter()
                .find(|p| Some(p.id) == v.recipient_id)
                .cloned()
        };
        let inside = w
            .at_door
            .iter()
            .find(|v| day_of(v) == today && v.recipient_id.is_some())
            .expect("today's visit");
        let p = person(inside).expect("person");
        let page = server
            .get(&format!("/visits/{}", inside.pid))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        let html = page.text();
        assert!(
            select_text(&html, "h1").concat().contains(&p.name),
            "{html}"
        );
        assert!(html.contains(&p.address));
        let own_phone = p.phones.last().expect("phone");
        assert!(
            select_text(&html, "#person a[href^=\"tel:\"]")
                .iter()
                .any(|t| t.contains(own_phone.as_str())
                    || p.phones.iter().any(|x| t.contains(x.as_str()))),
            "{html}"
        );
        assert!(html.contains(&p.guardian));
        assert!(html.contains("照护"));
        // The coordinator's page of the same visit is as it was: the whole
        // name linking to the record, no door block.
        let html_c = server
            .get(&format!("/visits/{}", inside.pid))
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .await
            .text();
        let links = select_text(&html_c, "h1 a[href^=\"/recipients/\"]");
        assert_eq!(links.len(), 1);
        assert_eq!(links[0], p.name);
        assert!(select_text(&html_c, "#person").is_empty());
        // The JSON of the same visit carries the same person.
        let json: Value = server
            .get(&format!("/api/v1/visits/{}", inside.pid))
            .authorization_bearer(&bearer)
            .await
            .json();
        assert_eq!(json["person"]["name"], json!(p.name));
        assert_eq!(json["person"]["address"], json!(p.address));
        assert!(json["person"].get("id_number").is_none());
        // Five days on, the same person's older visit is masked.
        let old = w
            .all_visits
            .iter()
            .find(|v| v.recipient_id == Some(p.id) && day_of(v) == today - Duration::days(5))
            .expect("old visit");
        let json: Value = server
            .get(&format!("/api/v1/visits/{}", old.pid))
            .authorization_bearer(&bearer)
            .await
            .json();
        let masked: String = p
            .name
            .chars()
            .enumerate()
            .map(|(i, c)| if i == 0 { c } else { '*' })
            .collect();
        assert_eq!(json["person"], json!({"name": masked}));
        let html = server
            .get(&format!("/visits/{}", old.pid))
            .add_header("cookie", cookie.clone())
            .await
            .text();
        assert!(html.contains(&masked) && !html.contains(&p.address));
        assert!(!html.contains("data-home-lat"));
        // Today's cards show the door's people whole.
        let html = server
            .get("/today")
            .add_header("cookie", cookie.clone())
            .await
            .text();
        assert!(
            html.contains(&p.name) && html.contains(&p.address),
            "{html}"
        );
        assert!(
            html.contains(&masked),
            "the overdue visit is masked: {html}"
        );
        // The offline ad-hoc form lists everyone the worker visits (masked)
        // but keeps the home point of those at the door only.
        let html = server
            .get("/visits/new")
            .add_header("cookie", cookie.clone())
            .await
            .text();
        let later = w
            .people
            .iter()
            .find(|x| x.name.starts_with('曾'))
            .expect("zeng");
        assert!(html.contains(&p.coords[0]), "{html}");
        assert!(!html.contains(&later.coords[0]), "{html}");
        assert_eq!(
            select_text(&html, "select[name=recipient] option[data-lat]").len(),
            1,
            "{html}"
        );
        // A cancelled visit takes nobody to the door: masked again.
        {
            use sea_orm::{ActiveModelTrait, ActiveValue::Set};
            let mut am: visits::ActiveModel = inside.clone().into();
            am.status = Set("cancelled".into());
            am.cancel_reason = Set(Some("对象住院".into()));
            am.update(&ctx.db).await.expect("cancel");
        }
        let json: Value = server
            .get(&format!("/api/v1/visits/{}", inside.pid))
            .authorization_bearer(&bearer)
            .await
            .json();
        assert_eq!(json["person"], json!({"name": masked}), "{json}");
    })
    .await;
}

/// Finding 2 as reported: the plan API gave a worker whole names.
#[tokio::test]
async fn a_workers_plans_carry_masked_names_only() {
    with_app(|server, ctx| async move {
        let w = world(&server, &ctx).await;
        let bearer = token(&ctx, "worker@doudi.test").await;
        let json: Value = server
            .get("/api/v1/service_plans")
            .authorization_bearer(&bearer)
            .await
            .json();
        let names: Vec<String> = json["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|p| p["recipient"]["name"].as_str().map(str::to_string))
            .collect();
        assert!(!names.is_empty());
        for n in &names {
            assert!(n.ends_with("**"), "{n}");
            assert!(w.people.iter().all(|p| &p.name != n));
        }
        // The coordinator keeps the whole names.
        let json: Value = server
            .get("/api/v1/service_plans")
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .await
            .json();
        let whole: Vec<&str> = json["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|p| p["recipient"]["name"].as_str())
            .collect();
        assert!(!whole.is_empty());
        for n in whole {
            assert!(w.people.iter().any(|p| p.name == n), "{json}");
        }
    })
    .await;
}

/// Review finding: an ad-hoc visit the worker makes themselves must not
/// open the door to anyone they can pick; only people their planned
/// visits take them to are shown whole on it.
#[tokio::test]
async fn an_ad_hoc_visit_opens_the_door_only_to_people_of_planned_visits_there() {
    use doudi::models::_entities::recipients;
    with_app(|server, ctx| async move {
        let w = world(&server, &ctx).await;
        let cookie = session(&ctx, "worker@doudi.test").await;
        let today = doudi::models::today();
        let later = w
            .people
            .iter()
            .find(|x| x.name.starts_with('曾'))
            .expect("zeng")
            .clone();
        let near = w
            .at_door
            .iter()
            .find(|v| day_of(v) == today && v.recipient_id.is_some())
            .and_then(|v| w.people.iter().find(|p| Some(p.id) == v.recipient_id))
            .expect("today's person")
            .clone();
        for (p, whole) in [(&later, false), (&near, true)] {
            let pid = recipients::Entity::find_by_id(p.id)
                .one(&ctx.db)
                .await
                .unwrap()
                .unwrap()
                .pid;
            let res = server
                .post("/visits")
                .add_header("cookie", cookie.clone())
                .add_header("sec-fetch-site", "same-origin")
                .form(&[
                    ("recipient", pid.to_string()),
                    ("reason", "路过探望".to_string()),
                ])
                .await;
            assert_eq!(res.status_code(), StatusCode::SEE_OTHER, "{}", res.text());
            let to = res.header("location").to_str().unwrap().to_string();
            let html = server
                .get(&to)
                .add_header("cookie", cookie.clone())
                .await
                .text();
            assert_eq!(html.contains(&p.name), whole, "{}: {html}", p.name);
            assert_eq!(html.contains(&p.address), whole, "{}", p.name);
            assert_eq!(html.contains("data-home-lat"), whole, "{}", p.name);
            let visit = to.trim_start_matches("/visits/").to_string();
            let json: Value = server
                .get(&format!("/api/v1/visits/{visit}"))
                .authorization_bearer(&token(&ctx, "worker@doudi.test").await)
                .await
                .json();
            assert_eq!(json["person"]["name"] == json!(p.name), whole, "{json}");
        }
    })
    .await;
}
