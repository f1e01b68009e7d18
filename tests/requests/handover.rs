//! Issue 16, "done means": the handover played end to end, with the
//! figures of both contracts worked out by hand.
//!
//! Dates (M0 = the first of this month, T = today):
//! - contract 1: 曾口镇 buys daily care from the Sunshine centre (A) for
//!   柳春花, from M0 − 2 months to M0 + 2 months − 1: 12 visits at 50.00.
//! - A plans a weekly Monday visit and has served her: completed visits
//!   on S1 + 5 (40 min) and S1 + 12 (45 min), one missed on S1 + 20, and
//!   a completed one on M0 (40 min).
//! - the township closes contract 1 today and signs contract 2 with Yimin
//!   (B), covering her from M0 to M0 + 3 months − 1: 8 visits at 60.00.
//!   A's visits after today are cancelled with a reason, A's plan ends.
//! - B sees her, takes the handover list's pattern, plans and logs a
//!   completed visit today (50 min).
//!
//! By hand: contract 1 counts A's three completed visits (S1 + 5,
//! S1 + 12, M0; the missed one delivers nothing): 3 visits = 3,000
//! thousandths, 3 × 50.00 = 150.00 yuan. Contract 2 counts only B's
//! visit: 1 visit, 60.00 yuan; A's visit on M0 falls inside contract 2's
//! period and covered person but is A's, so it counts toward contract 1
//! only, never twice.
use crate::support::builders::{kept_is_rebuilt, person, visit};
use crate::support::*;
use axum::http::StatusCode;
use chrono::{Datelike, Duration, Months, NaiveDate};
use doudi::{
    demo::names::resident_id,
    domain::visit::VisitStatus,
    models::{
        _entities::{service_plans, visits},
        handover::REASON,
        today,
    },
    policy::Scope,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
};
use serde_json::{json, Value};

fn contract(
    town: uuid::Uuid,
    org: uuid::Uuid,
    code: &str,
    (from, to): (NaiveDate, NaiveDate),
    (qty, price): (i64, &str),
) -> Value {
    json!({
        "township": town, "organization": org, "code": code,
        "title": format!("{code} 居家探访服务"),
        "procurement_method": "competitive_consultation",
        "signed_on": (from - Duration::days(5)).to_string(),
        "starts_on": from.to_string(), "ends_on": to.to_string(),
        "total": "100000.00",
        "content": "上门探访、生活照料。", "quality": "每次不少于30分钟。",
        "settlement": "按季度验收后支付。", "liability": "未达标按比例扣减。",
        "min_visits_per_month": 2, "min_visit_minutes": 30, "max_late_percent": 10,
        "items": [{"service": "daily_care", "unit": "visit", "quantity": qty, "unit_price": price, "min_minutes": 30}],
    })
}

async fn in_force(
    server: &axum_test::TestServer,
    t: &str,
    body: Value,
    person: uuid::Uuid,
) -> String {
    let res = server
        .post("/api/v1/contracts")
        .authorization_bearer(t)
        .json(&body)
        .await;
    assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    let pid = res.json::<Value>()["pid"]
        .as_str()
        .expect("pid")
        .to_string();
    let res = server
        .post(&format!("/api/v1/contracts/{pid}/recipients"))
        .authorization_bearer(t)
        .json(&json!({"recipients": [person]}))
        .await;
    assert!(res.status_code().is_success(), "{}", res.text());
    let res = server
        .post(&format!("/api/v1/contracts/{pid}/status"))
        .authorization_bearer(t)
        .json(&json!({"status": "active"}))
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
    pid
}

async fn figures(server: &axum_test::TestServer, t: &str, pid: &str) -> (i64, i64, i64) {
    let r: Value = server
        .get(&format!("/api/v1/contracts/{pid}/fulfilment"))
        .authorization_bearer(t)
        .await
        .json();
    (
        r["items"][0]["delivered_milli"].as_i64().unwrap_or(-1),
        r["items"][0]["value_fen"].as_i64().unwrap_or(-1),
        r["visits"]["completed"].as_i64().unwrap_or(-1),
    )
}

#[tokio::test]
#[allow(clippy::too_many_lines)]
async fn a_new_provider_takes_over_a_person_and_each_visit_counts_toward_its_own_contract() {
    with_app(|server, ctx| async move {
        let official = token(&ctx, "official@doudi.test").await;
        let a = token(&ctx, "coordinator@doudi.test").await;
        let b = token(&ctx, "coordinator2@doudi.test").await;
        let t = today();
        let m0 = t.with_day(1).expect("first");
        let s1 = m0 - Months::new(2);
        let town = township_pid(&ctx, "曾口镇").await;
        // The township registers her; no provider covers her yet.
        let res = server
            .post("/api/v1/recipients")
            .authorization_bearer(&official)
            .json(&json!({
                "name": "柳春花",
                "id_number": resident_id(NaiveDate::from_ymd_opt(1944, 2, 9).expect("d"), 731),
                "village": village_pid(&ctx, "石门村").await,
                "address": "石门村7组1号", "assistance_status": "tekun",
                "care_tags": ["lives_alone"], "care_needs": "独居，需每周上门。",
                "consent_by": "柳春花", "consent_on": "2026-11-01",
            }))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let p = person(&ctx, "柳春花").await;
        let path = format!("/api/v1/recipients/{}", p.pid);

        // Contract 1 with A.
        let c1 = in_force(
            &server,
            &official,
            contract(
                town,
                organization_pid(&ctx, SUNSHINE).await,
                "HO-001",
                (s1, m0 + Months::new(2) - Duration::days(1)),
                (12, "50.00"),
            ),
            p.pid,
        )
        .await;
        assert_eq!(
            server
                .get(&path)
                .authorization_bearer(&a)
                .await
                .status_code(),
            StatusCode::OK
        );
        assert_eq!(
            server
                .get(&path)
                .authorization_bearer(&b)
                .await
                .status_code(),
            StatusCode::NOT_FOUND
        );
        // A's weekly plan, and what A did.
        let monday = t + Duration::days(i64::from(7 - t.weekday().num_days_from_monday()));
        let res = server
            .post("/api/v1/service_plans")
            .authorization_bearer(&a)
            .json(&json!({
                "recipient": p.pid, "worker": user(&ctx, "worker@doudi.test").await.pid,
                "services": ["daily_care"], "duration_minutes": 45,
                "dtstart": format!("{monday}T09:30:00"), "rrule": "FREQ=WEEKLY;BYDAY=MO",
            }))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let a_plan = res.json::<Value>()["pid"]
            .as_str()
            .expect("pid")
            .to_string();
        let day = |d: NaiveDate| d.to_string();
        let done = [("daily_care", 40)];
        visit(
            &ctx,
            &p,
            &day(s1 + Duration::days(5)),
            "completed",
            false,
            false,
            None,
            &done,
            &[],
        )
        .await;
        visit(
            &ctx,
            &p,
            &day(s1 + Duration::days(12)),
            "completed",
            false,
            false,
            None,
            &[("daily_care", 45)],
            &[],
        )
        .await;
        visit(
            &ctx,
            &p,
            &day(s1 + Duration::days(20)),
            "missed",
            false,
            false,
            None,
            &[],
            &[],
        )
        .await;
        let a_on_m0 = visit(
            &ctx,
            &p,
            &day(m0),
            "completed",
            false,
            false,
            None,
            &done,
            &[],
        )
        .await;
        let a_org = a_on_m0.organization_id;
        let a_future = |status: &'static str| {
            let ctx = ctx.clone();
            async move {
                visits::Entity::find()
                    .filter(visits::Column::RecipientId.eq(p.id))
                    .filter(visits::Column::OrganizationId.eq(a_org))
                    .filter(visits::Column::Status.eq(status))
                    .filter(visits::Column::StartsAt.gt(chrono::Utc::now()))
                    .all(&ctx.db)
                    .await
                    .expect("q")
            }
        };
        let planned = a_future("scheduled").await;
        assert!(planned.len() >= 7, "{} visits planned", planned.len());

        // The township ends contract 1 today and signs contract 2 with B.
        let res = server
            .post(&format!("/api/v1/contracts/{c1}/status"))
            .authorization_bearer(&official)
            .json(&json!({"status": "closed", "reason": "服务机构更换，转由新中标机构服务"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let c2 = in_force(
            &server,
            &official,
            contract(
                town,
                organization_pid(&ctx, YIMIN).await,
                "HO-002",
                (m0, m0 + Months::new(3) - Duration::days(1)),
                (8, "60.00"),
            ),
            p.pid,
        )
        .await;
        // A's future visits are cancelled with the reason, kept; its plan ends.
        assert!(a_future("scheduled").await.is_empty());
        let cancelled = a_future("cancelled").await;
        assert_eq!(cancelled.len(), planned.len());
        assert!(cancelled
            .iter()
            .all(|v| v.cancel_reason.as_deref() == Some(REASON)));
        let plan = service_plans::Entity::find()
            .filter(service_plans::Column::Pid.eq(uuid::Uuid::parse_str(&a_plan).expect("pid")))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("plan");
        assert!(
            plan.rrule.as_deref().is_some_and(|r| r.contains("UNTIL")),
            "{:?}",
            plan.rrule
        );

        // B sees her, and the handover list: needs, A's pattern, last visits.
        assert_eq!(
            server
                .get(&path)
                .authorization_bearer(&b)
                .await
                .status_code(),
            StatusCode::OK
        );
        let list: Value = server
            .get("/api/v1/handover")
            .authorization_bearer(&b)
            .await
            .json();
        let row = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|r| r["recipient"]["pid"] == json!(p.pid))
            .cloned()
            .unwrap_or_else(|| panic!("{list}"));
        assert_eq!(row["care_needs"], "独居，需每周上门。");
        assert_eq!(row["care_tags"], json!(["lives_alone"]));
        assert_eq!(row["plans"][0]["pid"], a_plan.as_str());
        assert_eq!(row["plans"][0]["provider"], SUNSHINE);
        assert_eq!(row["plans"][0]["duration_minutes"], 45);
        assert_eq!(
            row["last_visits"],
            json!([
                day(m0),
                day(s1 + Duration::days(12)),
                day(s1 + Duration::days(5))
            ])
        );
        assert!(row.get("notes").is_none());
        // A sees no handover of its own.
        let none: Value = server
            .get("/api/v1/handover")
            .authorization_bearer(&a)
            .await
            .json();
        assert!(none["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|r| r["recipient"]["pid"] != json!(p.pid)));
        // One step: the plan form from A's pattern.
        let form = server
            .get(&format!(
                "/service_plans/new?recipient={}&from_plan={a_plan}",
                p.pid
            ))
            .add_header("cookie", session(&ctx, "coordinator2@doudi.test").await)
            .await;
        assert_eq!(form.status_code(), StatusCode::OK);
        let html = form.text();
        assert!(html.contains("09:30"), "the pattern's time");
        assert!(
            html.contains(&(t + Duration::days(1)).to_string()),
            "from tomorrow"
        );
        // A may not borrow B's person's form the other way round.
        let theirs = server
            .get(&format!(
                "/service_plans/new?recipient={}&from_plan={a_plan}",
                p.pid
            ))
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .await;
        assert!(!theirs.text().contains("09:30"));
        // B plans and logs a visit today.
        let res = server
            .post("/api/v1/service_plans")
            .authorization_bearer(&b)
            .json(&json!({
                "recipient": p.pid, "worker": user(&ctx, "worker2@doudi.test").await.pid,
                "services": ["daily_care"], "duration_minutes": 45,
                "dtstart": format!("{monday}T09:30:00"), "rrule": "FREQ=WEEKLY;BYDAY=MO",
            }))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let b_visit = visit(
            &ctx,
            &p,
            &day(t),
            "completed",
            false,
            false,
            None,
            &[("daily_care", 50)],
            &[],
        )
        .await;
        let worker2 = user(&ctx, "worker2@doudi.test").await;
        let mut am = b_visit.clone().into_active_model();
        am.organization_id = Set(worker2.organization_id.expect("org"));
        am.worker_id = Set(Some(worker2.id));
        am.update(&ctx.db).await.expect("B's visit");
        doudi::models::fulfilment::rebuild_all(&ctx.db)
            .await
            .expect("rebuild");

        // The figures, by hand (see the top of the file).
        assert_eq!(figures(&server, &official, &c1).await, (3000, 15000, 3));
        assert_eq!(figures(&server, &official, &c2).await, (1000, 6000, 1));
        kept_is_rebuilt(&ctx, "after the handover").await;

        // A reads her for the grace period after its coverage ended today,
        // then only its own records.
        let coord = user(&ctx, "coordinator@doudi.test").await;
        let at = |days: i64| Scope::on(&coord, vec![], t + Duration::days(days));
        let load = doudi::models::recipients::load;
        assert!(load(&ctx.db, &at(60), p.pid).await.is_ok());
        assert!(load(&ctx.db, &at(61), p.pid).await.is_err());
        let record = doudi::models::visits::load(&ctx.db, &at(61), a_on_m0.pid).await;
        assert!(record.is_ok(), "A keeps its visit records");
        assert_eq!(record.expect("visit").status(), VisitStatus::Completed);
        // B's records are not A's.
        assert!(doudi::models::visits::load(&ctx.db, &at(0), b_visit.pid)
            .await
            .is_err());
    })
    .await;
}
