//! Issue 15, point 4: at the door on a cheap phone. Labelled lines and
//! none pre-filled; service minutes that fit between check-in and
//! check-out or come with a reason (also for a record queued offline,
//! which carries the times the phone recorded); honest card states;
//! "next visit" after submitting; two masked names told apart; the
//! person whole on the assigned worker's visit page at the door.
use crate::support::builders::{attr, completed};
use crate::support::*;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use doudi::models::_entities::{recipients, visits};
use loco_rs::app::AppContext;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

async fn named(ctx: &AppContext, name: &str) -> recipients::Model {
    recipients::Entity::find()
        .filter(recipients::Column::Name.eq(name))
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("recipient")
}

/// A visit of `r` for worker@ from `start` for an hour, in `status`
/// (checked in at `start` when in progress).
async fn visit_at(
    ctx: &AppContext,
    r: &recipients::Model,
    start: DateTime<Utc>,
    status: &str,
) -> visits::Model {
    let worker = user(ctx, "worker@doudi.test").await;
    let at = |t: DateTime<Utc>| DateTime::<FixedOffset>::from(t);
    visits::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        organization_id: Set(worker.organization_id.expect("org")),
        recipient_id: Set(Some(r.id)),
        household_id: Set(r.household_id),
        township_id: Set(r.township_id),
        worker_id: Set(Some(worker.id)),
        starts_at: Set(at(start)),
        ends_at: Set(at(start + Duration::hours(1))),
        tzid: Set("Asia/Shanghai".into()),
        status: Set(status.into()),
        exception: Set(false),
        late: Set(false),
        location_exception: Set(false),
        checked_in_at: Set((status == "in_progress").then(|| at(start))),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .expect("visit")
}

/// A visit of 单秀英's plan with worker@ tomorrow at `time`: at the door
/// from today (`privacy::at_the_door`).
async fn planned_tomorrow(
    server: &axum_test::TestServer,
    ctx: &AppContext,
    r: &recipients::Model,
    time: &str,
) -> visits::Model {
    let today = doudi::models::today() + Duration::days(1);
    let res = server
        .post("/api/v1/service_plans")
        .authorization_bearer(&token(ctx, "coordinator@doudi.test").await)
        .json(&json!({
            "recipient": r.pid,
            "worker": user(ctx, "worker@doudi.test").await.pid,
            "services": ["daily_care"],
            "dtstart": format!("{today}T{time}:00"),
            "rrule": "FREQ=DAILY;COUNT=1",
        }))
        .await;
    assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    visits::Entity::find()
        .filter(visits::Column::RecipientId.eq(r.id))
        .filter(visits::Column::PlanId.is_not_null())
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("visit")
}

fn log_with(minutes: &[i64], device_time: Option<String>, reason: Option<&str>) -> Value {
    let mut body = completed();
    body["services"] = Value::Array(
        minutes
            .iter()
            .map(|m| json!({"service": "daily_care", "minutes": m}))
            .collect(),
    );
    body["minutes_reason"] = reason.map_or(Value::Null, |r| json!(r));
    body["device_time"] = device_time.map_or(Value::Null, |t| json!(t));
    body
}

async fn check_in_at(
    server: &axum_test::TestServer,
    w: &str,
    v: &visits::Model,
    device_time: Option<DateTime<Utc>>,
) {
    let mut body = json!({"location_reason": "no_gps_signal"});
    if let Some(t) = device_time {
        body["device_time"] = json!(t.to_rfc3339());
    }
    let res = server
        .post(&format!("/api/v1/visits/{}/check_in", v.pid))
        .authorization_bearer(w)
        .json(&body)
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
}

#[tokio::test]
async fn a_21_second_visit_with_60_minutes_of_service_needs_a_reason() {
    with_app(|server, ctx| async move {
        let r = named(&ctx, "单秀英").await;
        let v = visit_at(&ctx, &r, Utc::now() - Duration::minutes(5), "scheduled").await;
        let w = token(&ctx, "worker@doudi.test").await;
        check_in_at(&server, &w, &v, None).await;
        let url = format!("/api/v1/visits/{}/submission", v.pid);
        let res = server
            .post(&url)
            .authorization_bearer(&w)
            .json(&log_with(&[30, 30], None, None))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = res.json();
        let said = body["errors"]["minutes_reason"].to_string();
        assert!(said.contains("分钟"), "{body}");
        let after = visits::Entity::find_by_id(v.id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("v");
        assert_eq!(after.status, "in_progress", "nothing written");
        // With a reason it goes in, and the reason is on the record.
        let reason = "签到时忘了点，离开时才签到";
        let res = server
            .post(&url)
            .authorization_bearer(&w)
            .json(&log_with(&[30, 30], None, Some(reason)))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let shown: Value = server
            .get(&format!("/api/v1/visits/{}", v.pid))
            .authorization_bearer(&w)
            .await
            .json();
        assert_eq!(shown["record"]["minutes_reason"], reason);
        let page = server
            .get(&format!("/visits/{}", v.pid))
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .await;
        assert!(page.text().contains(reason), "shown on the visit record");
        let audit = last_audit_of(&ctx, "visits").await;
        assert!(audit.contains("minutes_reason"), "{audit}");
    })
    .await;
}

async fn last_audit_of(ctx: &AppContext, entity: &str) -> String {
    use doudi::models::_entities::audit_logs;
    use sea_orm::QueryOrder;
    let a = audit_logs::Entity::find()
        .filter(audit_logs::Column::Entity.eq(entity))
        .order_by_desc(audit_logs::Column::Id)
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("audit");
    serde_json::to_string(&a).expect("json")
}

#[tokio::test]
async fn minutes_within_the_visit_and_five_minutes_more_need_no_reason() {
    with_app(|server, ctx| async move {
        let r = named(&ctx, "单秀英").await;
        let v = visit_at(&ctx, &r, Utc::now() - Duration::hours(1), "scheduled").await;
        let w = token(&ctx, "worker@doudi.test").await;
        // The phone checked in 40 minutes ago and sends 45 minutes now.
        let t0 = Utc::now() - Duration::minutes(40);
        check_in_at(&server, &w, &v, Some(t0)).await;
        let res = server
            .post(&format!("/api/v1/visits/{}/submission", v.pid))
            .authorization_bearer(&w)
            .json(&log_with(
                &[30, 15],
                Some((t0 + Duration::minutes(40)).to_rfc3339()),
                None,
            ))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let after = visits::Entity::find_by_id(v.id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("v");
        assert_eq!(after.minutes_reason, None, "nothing to explain");
    })
    .await;
}

/// Offline, the phone queued the check-in and the record; both reach the
/// server a second apart, hours later. The phone's own times show a
/// 45-minute visit: 45 minutes go in without a reason; 60 minutes went
/// with the reason the phone asked for, and are accepted with it.
#[tokio::test]
async fn a_record_queued_offline_is_judged_by_the_times_the_phone_recorded() {
    with_app(|server, ctx| async move {
        let r = named(&ctx, "单秀英").await;
        let w = token(&ctx, "worker@doudi.test").await;
        let t0 = Utc::now() - Duration::hours(3);
        for (minutes, reason) in [(&[45][..], None), (&[30, 30][..], Some("多做了一次理发"))]
        {
            let v = visit_at(&ctx, &r, t0, "scheduled").await;
            check_in_at(&server, &w, &v, Some(t0)).await;
            let res = server
                .post(&format!("/api/v1/visits/{}/submission", v.pid))
                .authorization_bearer(&w)
                .json(&log_with(
                    minutes,
                    Some((t0 + Duration::minutes(45)).to_rfc3339()),
                    reason,
                ))
                .await;
            assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
            let after = visits::Entity::find_by_id(v.id)
                .one(&ctx.db)
                .await
                .expect("q")
                .expect("v");
            assert_eq!(after.status, "completed");
            assert_eq!(after.minutes_reason.as_deref(), reason);
        }
        // The same 60 minutes without the reason: refused (the phone asks
        // for it before queueing, so a queued record always has it).
        let v = visit_at(&ctx, &r, t0, "scheduled").await;
        check_in_at(&server, &w, &v, Some(t0)).await;
        let res = server
            .post(&format!("/api/v1/visits/{}/submission", v.pid))
            .authorization_bearer(&w)
            .json(&log_with(
                &[30, 30],
                Some((t0 + Duration::minutes(45)).to_rfc3339()),
                None,
            ))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}

#[tokio::test]
async fn a_completed_log_without_a_service_line_gets_a_clear_error() {
    with_app(|server, ctx| async move {
        let r = named(&ctx, "单秀英").await;
        let v = visit_at(&ctx, &r, Utc::now() - Duration::minutes(30), "scheduled").await;
        let w = token(&ctx, "worker@doudi.test").await;
        check_in_at(&server, &w, &v, None).await;
        let res = server
            .post(&format!("/api/v1/visits/{}/submission", v.pid))
            .authorization_bearer(&w)
            .json(&log_with(&[], None, None))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("至少一条服务记录"), "{}", res.text());
    })
    .await;
}

#[tokio::test]
async fn the_door_has_labelled_fields_and_no_line_filled_in() {
    with_app(|server, ctx| async move {
        let r = named(&ctx, "单秀英").await;
        let v = visit_at(&ctx, &r, Utc::now() - Duration::minutes(10), "scheduled").await;
        let w = token(&ctx, "worker@doudi.test").await;
        let t0 = Utc::now() - Duration::minutes(8);
        check_in_at(&server, &w, &v, Some(t0)).await;
        let page = server
            .get(&format!("/visits/{}", v.pid))
            .add_header("cookie", session(&ctx, "worker@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        let html = page.text();
        // No line until the worker adds one.
        assert!(select_text(&html, "#service-lines > .service-line").is_empty());
        assert!(select_text(&html, "#material-lines > .material-line").is_empty());
        assert_eq!(
            select_text(&html, "button[data-add=service-line]"),
            ["+ 添加服务"]
        );
        // The lines a tap adds carry visible labels (in the templates).
        for label in ["服务项目", "分钟"] {
            assert!(
                html.contains(&format!("<label>{label}<")),
                "service line label {label}"
            );
        }
        for label in ["物资", "数量", "单位", "金额（元）", "来源"] {
            assert!(
                html.contains(&format!("{label}<input"))
                    || html.contains(&format!("{label}<select")),
                "material line label {label}"
            );
        }
        // What door.js checks minutes against: the phone's check-in.
        let at = attr(&html, "#door", "data-checked-in");
        assert_eq!(at.len(), 1);
        let at = DateTime::parse_from_rfc3339(&at[0]).expect("instant");
        assert!((at.with_timezone(&Utc) - t0).num_seconds().abs() <= 1);
        assert_eq!(attr(&html, "#door", "data-tolerance"), ["5"]);
        assert_eq!(attr(&html, "#minutes-why", "hidden").len(), 1);
        // In English too.
        let page = server
            .get(&format!("/visits/{}", v.pid))
            .add_header(
                "cookie",
                format!("{}; lang=en", session(&ctx, "worker@doudi.test").await),
            )
            .await;
        let html = page.text();
        for label in [
            "<label>Service<",
            "<label>Minutes<",
            "Value (yuan)<input",
            "Paid by<select",
        ] {
            assert!(html.contains(label), "{label}");
        }
    })
    .await;
}

/// Due, in progress, overdue (only past its end and not checked in),
/// done: as a class and a word on /today and /my_week, and on the board.
#[tokio::test]
async fn cards_tell_due_in_progress_overdue_and_done_apart() {
    with_app(|server, ctx| async move {
        let r = named(&ctx, "单秀英").await;
        let now = Utc::now();
        let just_started = visit_at(&ctx, &r, now - Duration::minutes(3), "scheduled").await;
        let in_progress = visit_at(&ctx, &r, now - Duration::minutes(90), "in_progress").await;
        let past_end = visit_at(&ctx, &r, now - Duration::minutes(70), "scheduled").await;
        let done = visit_at(&ctx, &r, now - Duration::minutes(200), "completed").await;
        let page = server
            .get("/today")
            .add_header("cookie", session(&ctx, "worker@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        let html = page.text();
        let hrefs = |sel: &str| attr(&html, sel, "href");
        let overdue = hrefs("#overdue li.visit-card > a");
        assert_eq!(
            overdue,
            [format!("/visits/{}", past_end.pid)],
            "only past its end"
        );
        let state = |v: &visits::Model| state_of(&html, v);
        // A card of today's list is overdue only past its end.
        assert_eq!(state(&just_started), ["◷ 待上门"]);
        assert_eq!(state(&in_progress), ["▶ 服务中"]);
        assert_eq!(state(&past_end), ["⚠ 已逾期"]);
        // Done today: in today's list when it started today (display zone).
        let today_start = doudi::models::today();
        let done_day = done
            .starts_at
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive();
        if done_day == today_start {
            assert_eq!(state(&done), ["✓ 已完成"]);
        }
        // The board API says the same.
        let board: Value = server
            .get("/api/v1/board")
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .await
            .json();
        let of = |v: &visits::Model| {
            board["visits"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|x| x["pid"] == json!(v.pid))
                .map(|x| x["state"].clone())
        };
        // The board shows this week; the visits are today's.
        if let Some(s) = of(&past_end) {
            assert_eq!(s, "overdue");
            assert_eq!(of(&just_started), Some(json!("due")));
            assert_eq!(of(&in_progress), Some(json!("in_progress")));
        }
        // And /my_week, in English.
        let page = server
            .get("/my_week")
            .add_header(
                "cookie",
                format!("{}; lang=en", session(&ctx, "worker@doudi.test").await),
            )
            .await;
        let html = page.text();
        let sel = format!("li.state-overdue a[href=\"/visits/{}\"]", past_end.pid);
        if !select_text(&html, "li.visit-card").is_empty() {
            assert_eq!(select_text(&html, &sel).len(), 1, "{sel}");
            assert!(html.contains("⚠</span> Overdue"));
        }
    })
    .await;
}

/// The state word of `v`'s card on a page.
fn state_of(html: &str, v: &visits::Model) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let card = scraper::Selector::parse("li.visit-card").expect("selector");
    let link = scraper::Selector::parse("a").expect("selector");
    let state = scraper::Selector::parse(".state").expect("selector");
    let href = format!("/visits/{}", v.pid);
    doc.select(&card)
        .filter(|c| {
            c.select(&link)
                .any(|a| a.value().attr("href") == Some(href.as_str()))
        })
        .flat_map(|c| {
            c.select(&state)
                .map(|e| e.text().collect::<String>().trim().to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn after_submitting_the_worker_is_offered_the_next_visit_today() {
    with_app(|server, ctx| async move {
        let r = named(&ctx, "单秀英").await;
        let w = token(&ctx, "worker@doudi.test").await;
        // Both today in the display zone, whatever the hour the test runs:
        // in ten minutes, or late in the evening before midnight.
        let now = Utc::now();
        let midnight = (now.with_timezone(&doudi::zone::display()).date_naive()
            + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(doudi::zone::display()).single())
        .expect("midnight")
        .with_timezone(&Utc);
        let at = (now + Duration::minutes(10)).min(midnight - Duration::minutes(40));
        let first = visit_at(&ctx, &r, at, "scheduled").await;
        let second = visit_at(&ctx, &r, at + Duration::minutes(20), "scheduled").await;
        let cookie = session(&ctx, "worker@doudi.test").await;
        // Before: the door, with the next step hidden until logged.
        let page = server
            .get(&format!("/visits/{}", first.pid))
            .add_header("cookie", cookie.clone())
            .await;
        let html = page.text();
        assert_eq!(attr(&html, "#door-next", "hidden").len(), 1);
        assert_eq!(
            attr(&html, "#door-next a.big", "href"),
            [format!("/visits/{}", second.pid)]
        );
        check_in_at(&server, &w, &first, None).await;
        let res = server
            .post(&format!("/api/v1/visits/{}/submission", first.pid))
            .authorization_bearer(&w)
            .json(&completed())
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let page = server
            .get(&format!("/visits/{}", first.pid))
            .add_header("cookie", cookie.clone())
            .await;
        let html = page.text();
        assert!(
            attr(&html, "#door-next", "hidden").is_empty(),
            "shown once logged"
        );
        assert_eq!(
            attr(&html, "#door-next a.big", "href"),
            [format!("/visits/{}", second.pid)]
        );
        // The last one of the day leads back to today's list.
        check_in_at(&server, &w, &second, None).await;
        let res = server
            .post(&format!("/api/v1/visits/{}/submission", second.pid))
            .authorization_bearer(&w)
            .json(&completed())
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let page = server
            .get(&format!("/visits/{}", second.pid))
            .add_header("cookie", cookie)
            .await;
        let html = page.text();
        assert_eq!(attr(&html, "#door-next a.big", "href"), ["/today"]);
        // Nobody else is offered a worker's next visit.
        let page = server
            .get(&format!("/visits/{}", first.pid))
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .await;
        assert!(select_text(&page.text(), "#door-next").is_empty());
    })
    .await;
}

/// Away from the door a worker sees 张**: each card carries a mark cut
/// from the person's random pid, different for two people, the same for
/// one person everywhere, and never the name.
#[tokio::test]
async fn two_masked_names_in_one_village_are_told_apart() {
    with_app(|server, ctx| async move {
        let a = named(&ctx, "单秀英").await;
        let others = recipients::Entity::find()
            .filter(recipients::Column::Id.ne(a.id))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("another person");
        // Both next week (not at the door: masked).
        let start = Utc::now() + Duration::days(8);
        let va = visit_at(&ctx, &a, start, "scheduled").await;
        let vb = visit_at(&ctx, &others, start + Duration::minutes(5), "scheduled").await;
        let week = start
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive()
            .to_string();
        let page = server
            .get(&format!("/my_week?week={week}"))
            .add_header("cookie", session(&ctx, "worker@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        let html = page.text();
        let mark =
            |v: &visits::Model| select_text(&html, &format!("a[href=\"/visits/{}\"] .mark", v.pid));
        let (ma, mb) = (mark(&va), mark(&vb));
        assert_eq!(ma.len(), 1, "{html}");
        assert_eq!(mb.len(), 1);
        assert_ne!(ma, mb);
        assert!(ma[0].starts_with('#') && ma[0].len() == 5);
        assert!(!html.contains("单秀英"), "masked away from the door");
        // The same mark beside the name on the visit page.
        let page = server
            .get(&format!("/visits/{}", va.pid))
            .add_header("cookie", session(&ctx, "worker@doudi.test").await)
            .await;
        assert_eq!(select_text(&page.text(), "h1 .mark"), ma);
        // Coordinators see names whole, and no mark.
        let page = server
            .get(&format!("/visits/{}", va.pid))
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .await;
        assert!(select_text(&page.text(), ".mark").is_empty());
    })
    .await;
}

/// From the day before the visit the assigned worker's page shows the person
/// whole (name, address, phone, care notes); a week later it is masked.
#[tokio::test]
async fn the_assigned_worker_sees_whom_the_visit_is_for_at_the_door_only() {
    with_app(|server, ctx| async move {
        let r = named(&ctx, "单秀英").await;
        let today = planned_tomorrow(&server, &ctx, &r, "10:00").await;
        let cookie = session(&ctx, "worker@doudi.test").await;
        let page = server
            .get(&format!("/visits/{}", today.pid))
            .add_header("cookie", cookie.clone())
            .await;
        let html = page.text();
        assert!(select_text(&html, "h1")[0].contains("单秀英"));
        assert_eq!(select_text(&html, "#person .door-address").len(), 1);
        assert!(
            !attr(&html, "#person a.tel", "href").is_empty(),
            "tap to call"
        );
        // Moved ten days ahead: no longer at the door.
        let mut am: visits::ActiveModel = today.clone().into();
        am.starts_at = Set(today.starts_at + Duration::days(10));
        am.ends_at = Set(today.ends_at + Duration::days(10));
        am.update(&ctx.db).await.expect("moved");
        let page = server
            .get(&format!("/visits/{}", today.pid))
            .add_header("cookie", cookie)
            .await;
        let html = page.text();
        assert!(select_text(&html, "#person").is_empty());
        assert!(!html.contains("单秀英"));
        assert!(select_text(&html, "h1")[0].contains("单**"));
    })
    .await;
}
