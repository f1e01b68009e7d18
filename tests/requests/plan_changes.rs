//! Changing plans and visits: whole series, this and following, one
//! visit alone, ending; conflicts; the board and bulk reassignment.
use crate::support::builders::person;
use crate::support::*;
use axum::http::StatusCode;
use chrono::{Datelike, Duration, NaiveDate, Timelike};
use doudi::models::{
    _entities::{recipients, visits},
    service_plans,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde_json::{json, Value};

type Ctx = loco_rs::app::AppContext;

/// The Monday after today.
fn next_monday() -> NaiveDate {
    let today = doudi::models::today();
    today + Duration::days(i64::from(7 - today.weekday().num_days_from_monday()))
}

async fn plan_of(ctx: &Ctx, pid: &str) -> service_plans::Model {
    service_plans::Entity::find()
        .filter(service_plans::Column::Pid.eq(uuid::Uuid::parse_str(pid).expect("pid")))
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("plan")
}

async fn visits_of(ctx: &Ctx, plan_id: i64) -> Vec<visits::Model> {
    visits::Entity::find()
        .filter(visits::Column::PlanId.eq(plan_id))
        .order_by_asc(visits::Column::StartsAt)
        .all(&ctx.db)
        .await
        .expect("visits")
}

fn local(v: &visits::Model) -> chrono::NaiveDateTime {
    v.starts_at
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .naive_local()
}

async fn create_plan(
    server: &axum_test::TestServer,
    token: &str,
    body: Value,
) -> axum_test::TestResponse {
    server
        .post("/api/v1/service_plans")
        .authorization_bearer(token)
        .json(&body)
        .await
}

async fn weekly_plan(ctx: &Ctx, server: &axum_test::TestServer, t: &str, rule: &str) -> String {
    let worker = user(ctx, "worker@doudi.test").await.pid.to_string();
    let res = create_plan(
        server,
        t,
        json!({
            "recipient": person(ctx, "单秀英").await.pid,
            "worker": worker,
            "services": ["home_visit"],
            "duration_minutes": 60,
            "dtstart": format!("{}T09:00:00", next_monday()),
            "rrule": rule,
        }),
    )
    .await;
    assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    res.json::<Value>()["pid"]
        .as_str()
        .expect("pid")
        .to_string()
}

async fn set_status(ctx: &Ctx, v: &visits::Model, status: &str) {
    let mut am: visits::ActiveModel = v.clone().into();
    am.status = Set(status.into());
    am.update(&ctx.db).await.expect("status");
}

#[tokio::test]
async fn changing_the_whole_series_moves_coming_visits_and_never_done_ones() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "coordinator@doudi.test").await;
        let pid = weekly_plan(&ctx, &server, &t, "FREQ=WEEKLY;BYDAY=MO,TH").await;
        let plan = plan_of(&ctx, &pid).await;
        let before = visits_of(&ctx, plan.id).await;
        assert!(before.len() >= 14, "{}", before.len());
        // One visit is done, one has started; a third was moved on its own.
        set_status(&ctx, &before[0], "completed").await;
        set_status(&ctx, &before[1], "in_progress").await;
        let moved_to = format!("{}T15:00:00", local(&before[2]).date());
        let res = server
            .post(&format!("/api/v1/visits/{}/move", before[2].pid))
            .authorization_bearer(&t)
            .json(&json!({"starts_at": moved_to, "reason": "家属要求改到下午"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());

        // Without a reason: refused, nothing changes.
        let res = server
            .patch(&format!("/api/v1/service_plans/{pid}"))
            .authorization_bearer(&t)
            .json(&json!({"rrule": "FREQ=WEEKLY;BYDAY=MO,WE,TH"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["reason"].is_array());
        assert_eq!(visits_of(&ctx, plan.id).await.len(), before.len());

        // Mondays and Thursdays become Mondays, Wednesdays and Thursdays
        // with another worker and 45 minutes.
        let worker1 = user(&ctx, "worker1@doudi.test").await;
        let res = server
            .patch(&format!("/api/v1/service_plans/{pid}"))
            .authorization_bearer(&t)
            .json(&json!({
                "rrule": "FREQ=WEEKLY;BYDAY=MO,WE,TH",
                "worker": worker1.pid,
                "duration_minutes": 45,
                "reason": "增加周三探访",
            }))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let body: Value = res.json();
        assert_eq!(body["plan"]["rrule"], "FREQ=WEEKLY;BYDAY=MO,WE,TH");
        assert_eq!(body["plan"]["duration_minutes"], 45);
        assert!(body["visits"]["created"].as_u64().expect("created") >= 7);

        let after = visits_of(&ctx, plan.id).await;
        let same = |a: &visits::Model| before.iter().find(|b| b.id == a.id).cloned();
        // The done and started visits are exactly as they were.
        for (i, status) in [(0, "completed"), (1, "in_progress")] {
            let v = after.iter().find(|v| v.id == before[i].id).expect("kept");
            assert_eq!(v.status, status);
            assert_eq!(v.worker_id, before[i].worker_id);
            assert_eq!(v.ends_at, before[i].ends_at);
        }
        // The moved visit keeps its move and its worker.
        let moved = after.iter().find(|v| v.id == before[2].id).expect("moved");
        assert!(moved.exception);
        assert_eq!(local(moved).hour(), 15);
        assert_eq!(moved.worker_id, before[2].worker_id);
        // Every other coming visit follows the new plan: kept pids for
        // kept occurrences, Wednesdays added.
        let others: Vec<&visits::Model> = after
            .iter()
            .filter(|v| v.status == "scheduled" && !v.exception)
            .collect();
        assert!(others.iter().all(|v| v.worker_id == Some(worker1.id)));
        assert!(others
            .iter()
            .all(|v| (v.ends_at - v.starts_at).num_minutes() == 45));
        assert!(others
            .iter()
            .any(|v| local(v).weekday() == chrono::Weekday::Wed));
        assert!(others
            .iter()
            .filter(|v| local(v).weekday() == chrono::Weekday::Mon)
            .all(|v| same(v).is_some()));
        // The nightly job afterwards neither moves nor doubles the done
        // visit.
        service_plans::materialise_all(&ctx.db, chrono::Utc::now(), Duration::days(56))
            .await
            .expect("nightly");
        let again = visits_of(&ctx, plan.id).await;
        assert_eq!(again.len(), after.len());
        let done = again.iter().find(|v| v.id == before[0].id).expect("done");
        assert_eq!(
            (done.starts_at, done.status.as_str()),
            (before[0].starts_at, "completed")
        );
        // Who and why are in the audit log.
        let res = server
            .get("/api/v1/audit_logs?entity=service_plans")
            .authorization_bearer(&token(&ctx, "admin@doudi.test").await)
            .await;
        assert!(res.text().contains("增加周三探访"), "{}", res.text());
        let res = server
            .get("/api/v1/audit_logs?entity=visits")
            .authorization_bearer(&token(&ctx, "admin@doudi.test").await)
            .await;
        assert!(res.text().contains("家属要求改到下午"), "{}", res.text());
    })
    .await;
}

#[tokio::test]
async fn this_and_following_splits_the_series_at_the_visit() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "coordinator@doudi.test").await;
        let pid = weekly_plan(&ctx, &server, &t, "FREQ=WEEKLY;BYDAY=MO;COUNT=8").await;
        let plan = plan_of(&ctx, &pid).await;
        let before = visits_of(&ctx, plan.id).await;
        assert_eq!(before.len(), 8);
        let fourth = &before[3];
        let worker1 = user(&ctx, "worker1@doudi.test").await;
        let res = server
            .patch(&format!("/api/v1/service_plans/{pid}"))
            .authorization_bearer(&t)
            .json(&json!({
                "apply": "following",
                "from": fourth.pid,
                "worker": worker1.pid,
                "duration_minutes": 30,
                "reason": "换社工跟进",
            }))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let tail_pid = res.json::<Value>()["plan"]["pid"]
            .as_str()
            .expect("pid")
            .to_string();
        assert_ne!(tail_pid, pid);
        let head = plan_of(&ctx, &pid).await;
        let tail = plan_of(&ctx, &tail_pid).await;
        assert!(head.rrule.as_deref().expect("rule").contains("UNTIL="));
        assert_eq!(tail.rrule.as_deref(), Some("FREQ=WEEKLY;BYDAY=MO;COUNT=5"));
        assert_eq!(tail.split_from_id, Some(head.id));
        assert_eq!(
            tail.dtstart,
            local(fourth).format("%Y-%m-%dT%H:%M:%S").to_string()
        );
        let head_visits = visits_of(&ctx, head.id).await;
        let tail_visits = visits_of(&ctx, tail.id).await;
        // Nothing lost, nothing doubled: 3 + 5, the first three untouched.
        assert_eq!(head_visits.len(), 3);
        assert_eq!(tail_visits.len(), 5);
        assert_eq!(
            head_visits.iter().map(|v| v.id).collect::<Vec<_>>(),
            before[..3].iter().map(|v| v.id).collect::<Vec<_>>()
        );
        assert!(tail_visits
            .iter()
            .all(|v| v.worker_id == Some(worker1.id)
                && (v.ends_at - v.starts_at).num_minutes() == 30));
        assert_eq!(
            tail_visits.iter().map(local).collect::<Vec<_>>(),
            before[3..].iter().map(local).collect::<Vec<_>>()
        );
        // A visit that is done cannot start a split.
        set_status(&ctx, &tail_visits[0], "completed").await;
        let res = server
            .patch(&format!("/api/v1/service_plans/{tail_pid}"))
            .authorization_bearer(&t)
            .json(&json!({"apply": "following", "from": tail_visits[0].pid, "reason": "x"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["from"].is_array());
        // A visit of another plan is not found from this one.
        let res = server
            .patch(&format!("/api/v1/service_plans/{pid}"))
            .authorization_bearer(&t)
            .json(&json!({"apply": "following", "from": tail_visits[1].pid, "reason": "x"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn one_visit_is_moved_cancelled_or_reassigned_alone_with_a_reason() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "coordinator@doudi.test").await;
        let pid = weekly_plan(&ctx, &server, &t, "FREQ=WEEKLY;BYDAY=MO").await;
        let plan = plan_of(&ctx, &pid).await;
        let list = visits_of(&ctx, plan.id).await;
        let (a, b, c) = (&list[0], &list[1], &list[2]);
        // Cancel needs a reason.
        let res = server
            .post(&format!("/api/v1/visits/{}/cancel", a.pid))
            .authorization_bearer(&t)
            .json(&json!({}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post(&format!("/api/v1/visits/{}/cancel", a.pid))
            .authorization_bearer(&t)
            .json(&json!({"reason": "住院"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(res.json::<Value>()["status"], "cancelled");
        // Reassign: only to a worker of the same organisation.
        let other_org = user(&ctx, "worker2@doudi.test").await;
        let res = server
            .post(&format!("/api/v1/visits/{}/reassign", b.pid))
            .authorization_bearer(&t)
            .json(&json!({"worker": other_org.pid, "reason": "请假"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let w3 = user(&ctx, "worker3@doudi.test").await;
        let res = server
            .post(&format!("/api/v1/visits/{}/reassign", b.pid))
            .authorization_bearer(&t)
            .json(&json!({"worker": w3.pid, "reason": "请假"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let b2 = visits::Entity::find_by_id(b.id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("b");
        assert_eq!(b2.worker_id, Some(w3.id));
        assert!(b2.exception);
        // Moving into the past or with a bad time is refused.
        let res = server
            .post(&format!("/api/v1/visits/{}/move", c.pid))
            .authorization_bearer(&t)
            .json(&json!({"starts_at": "2020-01-01T09:00:00", "reason": "x"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post(&format!("/api/v1/visits/{}/move", c.pid))
            .authorization_bearer(&t)
            .json(&json!({"starts_at": "tomorrow", "reason": "x"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        // A completed visit never changes.
        set_status(&ctx, c, "completed").await;
        let res = server
            .post(&format!("/api/v1/visits/{}/cancel", c.pid))
            .authorization_bearer(&t)
            .json(&json!({"reason": "x"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        // Out of scope: another organisation, an official, the worker.
        for who in [
            "coordinator2@doudi.test",
            "official@doudi.test",
            "worker@doudi.test",
        ] {
            let o = token(&ctx, who).await;
            let res = server
                .post(&format!("/api/v1/visits/{}/cancel", list[3].pid))
                .authorization_bearer(&o)
                .json(&json!({"reason": "x"}))
                .await;
            assert_eq!(res.status_code(), StatusCode::NOT_FOUND, "{who}");
            let res = server
                .patch(&format!("/api/v1/service_plans/{pid}"))
                .authorization_bearer(&o)
                .json(&json!({"reason": "x"}))
                .await;
            assert_eq!(res.status_code(), StatusCode::NOT_FOUND, "{who}");
        }
        let res = server
            .get(&format!("/api/v1/visits/{}", list[3].pid))
            .authorization_bearer(&token(&ctx, "coordinator2@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        // Pages and the end of a plan are out of reach too.
        let other_cookie = session(&ctx, "coordinator2@doudi.test").await;
        for url in [
            format!("/visits/{}", list[3].pid),
            format!("/service_plans/{pid}/edit"),
            format!("/service_plans/{pid}/end"),
        ] {
            let res = server
                .get(&url)
                .add_header("cookie", other_cookie.clone())
                .await;
            assert_eq!(res.status_code(), StatusCode::NOT_FOUND, "{url}");
        }
        let res = server
            .post(&format!("/api/v1/service_plans/{pid}/end"))
            .authorization_bearer(&token(&ctx, "coordinator2@doudi.test").await)
            .json(&json!({"end_on": "2030-01-01", "reason": "x"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        // The assigned worker reads their visit.
        let res = server
            .get(&format!("/api/v1/visits/{}", list[3].pid))
            .authorization_bearer(&token(&ctx, "worker@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn conflicts_need_a_confirmation_and_show_on_the_board() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "coordinator@doudi.test").await;
        weekly_plan(&ctx, &server, &t, "FREQ=WEEKLY;BYDAY=MO").await;
        let worker = user(&ctx, "worker@doudi.test").await;
        let other = json!({
            "recipient": person(&ctx, "李长林").await.pid,
            "worker": worker.pid,
            "services": ["home_visit"],
            "duration_minutes": 60,
            "dtstart": format!("{}T09:30:00", next_monday()),
            "rrule": "FREQ=WEEKLY;BYDAY=MO",
        });
        let res = create_plan(&server, &t, other.clone()).await;
        assert_eq!(res.status_code(), StatusCode::CONFLICT, "{}", res.text());
        let body: Value = res.json();
        assert_eq!(body["conflicts"][0]["kind"], "worker_overlap");
        assert!(body["conflicts"][0]["other_local"].is_string());
        assert_eq!(
            service_plans::Entity::find()
                .count(&ctx.db)
                .await
                .expect("n"),
            1
        );
        // Confirmed, it is saved.
        let mut confirmed = other.clone();
        confirmed["confirm"] = json!(true);
        let res = create_plan(&server, &t, confirmed).await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        // The same recipient twice at once, with another worker.
        let res = create_plan(
            &server,
            &t,
            json!({
                "recipient": person(&ctx, "单秀英").await.pid,
                "worker": user(&ctx, "worker1@doudi.test").await.pid,
                "services": ["daily_care"],
                "dtstart": format!("{}T09:15:00", next_monday()),
                "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=1",
            }),
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::CONFLICT);
        assert!(res.text().contains("recipient_overlap"));
        // A suspended recipient.
        let mut r: recipients::ActiveModel = person(&ctx, "李长林").await.into();
        r.status = Set("suspended".into());
        r.status_on = Set(doudi::models::today());
        r.update(&ctx.db).await.expect("suspend");
        let res = create_plan(
            &server,
            &t,
            json!({
                "recipient": person(&ctx, "李长林").await.pid,
                "services": ["daily_care"],
                "dtstart": format!("{}T15:00:00", next_monday()),
                "rrule": "FREQ=DAILY;COUNT=2",
            }),
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::CONFLICT);
        assert!(res.text().contains("recipient_inactive"));

        // The board marks the overlapping visits and the unassigned ones.
        let week = next_monday().to_string();
        let res = server
            .get(&format!("/api/v1/board?week={week}"))
            .authorization_bearer(&t)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let board: Value = res.json();
        let list = board["visits"].as_array().expect("visits");
        let flagged = list
            .iter()
            .filter(|v| v["conflicts"].as_array().is_some_and(|c| !c.is_empty()))
            .count();
        assert_eq!(flagged, 2, "{board}");
        let cookie = session(&ctx, "coordinator@doudi.test").await;
        let page = server
            .get(&format!("/board?week={week}"))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert_eq!(select_text(&page.text(), "a.chip.conflict").len(), 2);
        let page = server
            .get(&format!("/board?week={week}&by=recipient"))
            .add_header("cookie", cookie)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert!(select_text(&page.text(), ".board-row h2")
            .iter()
            .any(|h| h.contains("单秀英")));
        // Officials read their townships' board without the reassign form;
        // workers have their week instead; the other provider sees nothing.
        let page = server
            .get(&format!("/board?week={week}"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert!(select_text(&page.text(), "#reassign").is_empty());
        assert_eq!(select_text(&page.text(), "a.chip").len(), 2);
        let page = server
            .get("/board")
            .add_header("cookie", session(&ctx, "worker@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::NOT_FOUND);
        let page = server
            .get(&format!("/my_week?week={week}"))
            .add_header("cookie", session(&ctx, "worker@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        let mine = select_text(&page.text(), ".my-day li a");
        assert_eq!(mine.len(), 2, "{mine:?}");
        assert!(mine.iter().any(|m| m.contains("单**")), "{mine:?}");
        assert!(!page.text().contains("单秀英"));
        let res = server
            .get(&format!("/api/v1/board?week={week}"))
            .authorization_bearer(&token(&ctx, "coordinator2@doudi.test").await)
            .await;
        assert_eq!(res.json::<Value>()["visits"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn a_sick_workers_week_is_reassigned_in_bulk() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "coordinator@doudi.test").await;
        weekly_plan(&ctx, &server, &t, "FREQ=WEEKLY;BYDAY=MO,WE,FR").await;
        let worker = user(&ctx, "worker@doudi.test").await;
        let w1 = user(&ctx, "worker1@doudi.test").await;
        let (from, to) = (next_monday(), next_monday() + Duration::days(6));
        let audits = audit_count(&ctx, "update", "visits").await;
        // The other provider cannot touch this worker.
        let res = server
            .post("/api/v1/visit_reassignments")
            .authorization_bearer(&token(&ctx, "coordinator2@doudi.test").await)
            .json(&json!({"from_worker": worker.pid, "to_worker": null,
                          "from": from.to_string(), "to": to.to_string(), "reason": "病假"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        // Dates the wrong way round, no reason.
        let res = server
            .post("/api/v1/visit_reassignments")
            .authorization_bearer(&t)
            .json(&json!({"from_worker": worker.pid, "to_worker": w1.pid,
                          "from": to.to_string(), "to": from.to_string()}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post("/api/v1/visit_reassignments")
            .authorization_bearer(&t)
            .json(&json!({"from_worker": worker.pid, "to_worker": w1.pid,
                          "from": from.to_string(), "to": to.to_string(), "reason": "病假一周"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(res.json::<Value>()["reassigned"], 3);
        assert_eq!(audit_count(&ctx, "update", "visits").await, audits + 3);
        let moved = visits::Entity::find()
            .filter(visits::Column::WorkerId.eq(w1.id))
            .all(&ctx.db)
            .await
            .expect("q");
        assert_eq!(moved.len(), 3);
        assert!(moved.iter().all(|v| v.exception));
        // The board form does the same (the next week, to nobody).
        let res = server
            .post("/board/reassign")
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .add_header("sec-fetch-site", "same-origin")
            .form(&[
                ("week", from.to_string().as_str()),
                ("from_worker", worker.pid.to_string().as_str()),
                ("to_worker", ""),
                ("from", (from + Duration::days(7)).to_string().as_str()),
                ("to", (to + Duration::days(7)).to_string().as_str()),
                ("reason", "病假延长"),
            ])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER, "{}", res.text());
        let open = visits::Entity::find()
            .filter(visits::Column::WorkerId.is_null())
            .count(&ctx.db)
            .await
            .expect("n");
        assert_eq!(open, 3);
        // Without a reason the board comes back with the message.
        let res = server
            .post("/board/reassign")
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .add_header("sec-fetch-site", "same-origin")
            .form(&[
                ("from_worker", worker.pid.to_string().as_str()),
                ("from", from.to_string().as_str()),
                ("to", to.to_string().as_str()),
            ])
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(!select_text(&res.text(), "#reassign .field-error").is_empty());
    })
    .await;
}

#[tokio::test]
async fn ending_a_plan_removes_its_coming_visits_from_that_day() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "coordinator@doudi.test").await;
        let pid = weekly_plan(&ctx, &server, &t, "FREQ=WEEKLY;BYDAY=MO").await;
        let plan = plan_of(&ctx, &pid).await;
        let n = visits_of(&ctx, plan.id).await.len();
        let end_on = next_monday() + Duration::days(14);
        let res = server
            .post(&format!("/api/v1/service_plans/{pid}/end"))
            .authorization_bearer(&t)
            .json(&json!({"end_on": end_on.to_string(), "reason": "迁往外地"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(res.json::<Value>()["plan"]["status"], "active");
        let left = visits_of(&ctx, plan.id).await;
        assert_eq!(left.len(), 2, "{n} → {}", left.len());
        assert!(left.iter().all(|v| local(v).date() < end_on));
        // The nightly run adds nothing after the end.
        service_plans::materialise_all(&ctx.db, chrono::Utc::now(), Duration::days(120))
            .await
            .expect("all");
        assert_eq!(visits_of(&ctx, plan.id).await.len(), 2);
        // Ended today: marked ended, no coming visits, no more changes.
        let res = server
            .post(&format!("/api/v1/service_plans/{pid}/end"))
            .authorization_bearer(&t)
            .json(&json!({"end_on": doudi::models::today().to_string(), "reason": "服务终止"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        assert_eq!(res.json::<Value>()["plan"]["status"], "ended");
        assert!(visits_of(&ctx, plan.id).await.is_empty());
        let res = server
            .patch(&format!("/api/v1/service_plans/{pid}"))
            .authorization_bearer(&t)
            .json(&json!({"reason": "x"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = server
            .get(&format!("/service_plans/{pid}/edit"))
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn the_pages_change_a_series_a_visit_and_ask_before_saving_conflicts() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "coordinator@doudi.test").await;
        let pid = weekly_plan(&ctx, &server, &t, "FREQ=WEEKLY;BYDAY=MO,TH").await;
        let plan = plan_of(&ctx, &pid).await;
        let list = visits_of(&ctx, plan.id).await;
        let cookie = session(&ctx, "coordinator@doudi.test").await;
        let post = |url: String, form: Vec<(&'static str, String)>| {
            let server = &server;
            let cookie = cookie.clone();
            async move {
                server
                    .post(&url)
                    .add_header("cookie", cookie)
                    .add_header("sec-fetch-site", "same-origin")
                    .form(&form)
                    .await
            }
        };
        // The series form shows the rule as its pattern (issue 15: no raw
        // rule for a rule the form makes).
        let page = server
            .get(&format!("/service_plans/{pid}/edit"))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert_eq!(
            crate::support::builders::attr(&page.text(), "input[name=weekdays][checked]", "value"),
            vec!["MO", "TH"]
        );
        // This and following, from the third visit.
        let page = server
            .get(&format!("/service_plans/{pid}/edit?from={}", list[2].pid))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert!(page.text().contains(&local(&list[2]).date().to_string()));
        let worker = user(&ctx, "worker@doudi.test").await.pid.to_string();
        let start = local(&list[2]);
        let form = vec![
            ("recipient", person(&ctx, "单秀英").await.pid.to_string()),
            ("worker", worker.clone()),
            ("services", "home_visit".to_string()),
            ("duration_minutes", "60".to_string()),
            ("start_date", start.date().to_string()),
            ("start_time", "10:00".to_string()),
            ("pattern", "weekly".to_string()),
            ("weekdays", "MO".to_string()),
            ("weekdays", "TH".to_string()),
            ("apply", "following".to_string()),
            ("from", list[2].pid.to_string()),
        ];
        // No reason: the form again.
        let res = post(format!("/service_plans/{pid}/edit"), form.clone()).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let mut with_reason = form.clone();
        with_reason.push(("reason", "改到上午十点".to_string()));
        let res = post(format!("/service_plans/{pid}/edit"), with_reason).await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER, "{}", res.text());
        assert_eq!(visits_of(&ctx, plan.id).await.len(), 2);
        // A visit's page, and cancelling it from there.
        let first = &list[0];
        let page = server
            .get(&format!("/visits/{}", first.pid))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert_eq!(select_text(&page.text(), "details form").len(), 3);
        let res = post(format!("/visits/{}/cancel", first.pid), vec![]).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(!select_text(&res.text(), ".field-error").is_empty());
        let res = post(
            format!("/visits/{}/cancel", first.pid),
            vec![("reason", "老人住院".to_string())],
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        // A new plan that overlaps comes back with the conflicts and a box
        // to tick; ticked, it is saved.
        let overlap = vec![
            ("recipient", person(&ctx, "李长林").await.pid.to_string()),
            ("worker", worker.clone()),
            ("services", "home_visit".to_string()),
            ("duration_minutes", "60".to_string()),
            ("start_date", next_monday().to_string()),
            ("start_time", "09:30".to_string()),
            ("pattern", "weekly".to_string()),
            ("weekdays", "MO".to_string()),
        ];
        let res = post("/service_plans".into(), overlap.clone()).await;
        assert_eq!(res.status_code(), StatusCode::CONFLICT, "{}", res.text());
        assert!(!select_text(&res.text(), "#conflicts li").is_empty());
        assert!(res.text().contains("name=\"confirm\""));
        let mut confirmed = overlap.clone();
        confirmed.push(("confirm", "1".to_string()));
        let res = post("/service_plans".into(), confirmed).await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER, "{}", res.text());
        // Ending from the page.
        let res = post(
            format!("/service_plans/{pid}/end"),
            vec![
                ("end_on", "not a date".to_string()),
                ("reason", "x".to_string()),
            ],
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}

#[tokio::test]
async fn the_demo_schedule_gives_the_board_a_clash_and_an_open_plan() {
    with_app(|server, ctx| async move {
        let made = doudi::demo::seed_schedule(&ctx.db, Duration::days(56))
            .await
            .expect("schedule");
        assert_eq!(made, 9);
        // The demo worker has a visit today, whatever the day (李长林's
        // daily plan): the door has something to show on first start.
        let worker = user(&ctx, "worker@doudi.test").await;
        let today = doudi::models::today();
        let theirs = visits::Entity::find()
            .filter(visits::Column::WorkerId.eq(worker.id))
            .all(&ctx.db)
            .await
            .expect("visits");
        assert!(theirs.iter().any(|v| v
            .starts_at
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive()
            == today));
        let t = token(&ctx, "coordinator@doudi.test").await;
        let res = server
            .get(&format!("/api/v1/board?week={}", next_monday()))
            .authorization_bearer(&t)
            .await;
        let board: Value = res.json();
        let list = board["visits"].as_array().expect("visits");
        assert!(list.iter().any(|v| v["conflicts"]
            .as_array()
            .is_some_and(|c| c.contains(&json!("worker_overlap")))));
        assert!(list.iter().any(|v| v["worker"].is_null()));
        // The other provider's plans stay theirs.
        assert!(list.iter().all(|v| v["recipient"] != "何淑珍"));
    })
    .await;
}
