//! Contracts and their fulfilment: a contract with three items, two
//! covered recipients and a known set of visits (covered and not, inside
//! and outside the period, every outcome), every figure worked out by hand.
use crate::support::*;
use axum::http::StatusCode;
use chrono::{NaiveDate, TimeZone};
use doudi::models::{
    _entities::{
        contracts, recipients, service_plans, visit_material_lines, visit_service_lines, visits,
    },
    fulfilment,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

pub(crate) async fn person(ctx: &loco_rs::app::AppContext, name: &str) -> recipients::Model {
    recipients::Entity::find()
        .filter(recipients::Column::Name.eq(name))
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("recipient")
}

pub(crate) fn contract_body(town: &str, org: &str) -> Value {
    json!({
        "township": town, "organization": org,
        "code": "BZ-ZK-2027-001", "title": "曾口镇2027年一季度居家探访服务",
        "procurement_method": "competitive_consultation",
        "signed_on": "2026-12-20", "starts_on": "2027-01-01", "ends_on": "2027-03-31",
        "total": "100000.00",
        "content": "为特困、低保老人提供上门探访、生活照料和精神慰藉。",
        "quality": "每次上门不少于30分钟，须经服务对象确认。",
        "settlement": "按季度验收后支付。", "liability": "未达标部分按比例扣减。",
        "min_visits_per_month": 2, "min_visit_minutes": 30, "max_late_percent": 10,
        "items": [
            {"service": "daily_care", "unit": "visit", "quantity": 10, "unit_price": "50.00", "min_minutes": 30},
            {"service": "emotional_support", "unit": "hour", "quantity": 5, "unit_price": 80},
            {"material_category": "food", "unit": "yuan", "quantity": 1000, "unit_price": "1.00"},
        ],
    })
}

/// One visit at 09:00 Beijing time on `day`, with its lines.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn visit(
    ctx: &loco_rs::app::AppContext,
    r: &recipients::Model,
    day: &str,
    status: &str,
    late: bool,
    exception: bool,
    plan: Option<i64>,
    services: &[(&str, i64)],
    materials: &[(&str, i64, &str, Option<&str>)],
) -> visits::Model {
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").expect("day");
    let start = chrono_tz::Asia::Shanghai
        .from_local_datetime(&d.and_hms_opt(9, 0, 0).expect("time"))
        .single()
        .expect("local")
        .fixed_offset();
    let worker = user(ctx, "worker@doudi.test").await;
    let v = visits::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        plan_id: Set(plan),
        organization_id: Set(worker.organization_id.expect("org")),
        recipient_id: Set(Some(r.id)),
        household_id: Set(r.household_id),
        township_id: Set(r.township_id),
        worker_id: Set(Some(worker.id)),
        starts_at: Set(start),
        ends_at: Set(start + chrono::Duration::hours(1)),
        tzid: Set("Asia/Shanghai".into()),
        status: Set(status.into()),
        exception: Set(false),
        late: Set(late),
        location_exception: Set(exception),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .expect("visit");
    for (s, m) in services {
        visit_service_lines::ActiveModel {
            visit_id: Set(v.id),
            service: Set((*s).into()),
            minutes: Set(*m),
            created_at: Set(start),
            ..Default::default()
        }
        .insert(&ctx.db)
        .await
        .expect("line");
    }
    for (cat, fen, funding, donor) in materials {
        visit_material_lines::ActiveModel {
            visit_id: Set(v.id),
            item: Set("大米".into()),
            category: Set((*cat).into()),
            quantity_milli: Set(1000),
            unit: Set("袋".into()),
            value_fen: Set(*fen),
            funding: Set((*funding).into()),
            donor: Set(donor.map(str::to_string)),
            created_at: Set(start),
            ..Default::default()
        }
        .insert(&ctx.db)
        .await
        .expect("material");
    }
    // What every write path does: bring the contracts' kept totals along.
    fulfilment::count_new(&ctx.db, v.id).await.expect("count");
    v
}

/// The figures of a report that a rebuild must reproduce.
fn figures(r: &fulfilment::Report) -> Value {
    serde_json::to_value(r).expect("json")
}

/// The kept totals equal a rebuild from the visits.
async fn same_as_rebuilt(
    ctx: &loco_rs::app::AppContext,
    c: &contracts::Model,
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) {
    let kept = fulfilment::report(&ctx.db, c, today, now)
        .await
        .expect("report");
    fulfilment::rebuild(&ctx.db, c).await.expect("rebuild");
    let rebuilt = fulfilment::report(&ctx.db, c, today, now)
        .await
        .expect("report");
    assert_eq!(figures(&kept), figures(&rebuilt));
    // Compliance counted in the database equals the per-person count.
    let detailed = fulfilment::report_with_shortfalls(&ctx.db, c, today, now)
        .await
        .expect("report");
    assert_eq!(
        (detailed.compliance.judged, detailed.compliance.met),
        (kept.compliance.judged, kept.compliance.met)
    );
}

#[tokio::test]
async fn fulfilment_figures_match_the_hand_worked_example() {
    with_app(|server, ctx| async move {
        let official = token(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        let res = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&contract_body(&town, &org))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let c: Value = res.json();
        assert_eq!(c["status"], "draft");
        assert_eq!(c["total_fen"], 10_000_000);
        assert_eq!(c["items"][1]["unit_price_fen"], 8000);
        let pid = c["pid"].as_str().expect("pid").to_string();
        let (a, b, outside) = (
            person(&ctx, "单秀英").await,
            person(&ctx, "李长林").await,
            person(&ctx, "王光荣").await,
        );
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/recipients"))
            .authorization_bearer(&official)
            .json(&json!({"recipients": [a.pid, b.pid]}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(res.json::<Value>()["added"], 2);
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/status"))
            .authorization_bearer(&official)
            .json(&json!({"status": "active"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());

        let plan = service_plans::ActiveModel {
            pid: Set(uuid::Uuid::new_v4()),
            organization_id: Set(user(&ctx, "worker@doudi.test")
                .await
                .organization_id
                .expect("org")),
            recipient_id: Set(Some(a.id)),
            household_id: Set(a.household_id),
            township_id: Set(a.township_id),
            services: Set("daily_care,emotional_support".into()),
            duration_minutes: Set(60),
            tzid: Set("Asia/Shanghai".into()),
            dtstart: Set("2027-03-10T09:00:00".into()),
            exdates: Set(String::new()),
            rdates: Set(String::new()),
            status: Set("active".into()),
            ..Default::default()
        }
        .insert(&ctx.db)
        .await
        .expect("plan");
        let food = |fen| ("food", fen, "contract", None);
        // Covered, inside the period.
        visit(
            &ctx,
            &a,
            "2027-01-05",
            "completed",
            false,
            true,
            None,
            &[("daily_care", 45), ("emotional_support", 30)],
            &[
                food(10_000),
                ("food", 2000, "donation", Some("巴中市慈善总会")),
            ],
        )
        .await;
        visit(
            &ctx,
            &a,
            "2027-01-20",
            "completed",
            true,
            false,
            None,
            &[("daily_care", 20), ("emotional_support", 60)],
            &[],
        )
        .await;
        visit(
            &ctx,
            &a,
            "2027-02-03",
            "completed",
            false,
            false,
            None,
            &[("daily_care", 30)],
            &[],
        )
        .await;
        visit(
            &ctx,
            &a,
            "2027-02-10",
            "attempted",
            false,
            false,
            None,
            &[],
            &[],
        )
        .await;
        visit(
            &ctx,
            &b,
            "2027-01-10",
            "completed",
            false,
            false,
            None,
            &[("daily_care", 60)],
            &[food(5000)],
        )
        .await;
        visit(
            &ctx,
            &b,
            "2027-01-15",
            "missed",
            true,
            false,
            None,
            &[],
            &[],
        )
        .await;
        visit(
            &ctx,
            &b,
            "2027-02-12",
            "cancelled",
            false,
            false,
            None,
            &[],
            &[],
        )
        .await;
        // Still to come: counts only toward the forecast.
        visit(
            &ctx,
            &a,
            "2027-03-10",
            "scheduled",
            false,
            false,
            Some(plan.id),
            &[],
            &[],
        )
        .await;
        // Not covered, or outside the period: not counted at all.
        visit(
            &ctx,
            &outside,
            "2027-01-07",
            "completed",
            false,
            false,
            None,
            &[("daily_care", 60)],
            &[food(9900)],
        )
        .await;
        visit(
            &ctx,
            &a,
            "2026-12-28",
            "completed",
            false,
            false,
            None,
            &[("daily_care", 60)],
            &[],
        )
        .await;
        visit(
            &ctx,
            &a,
            "2027-04-02",
            "completed",
            false,
            false,
            None,
            &[("daily_care", 60)],
            &[],
        )
        .await;

        let contract = contracts::Entity::find()
            .filter(contracts::Column::Pid.eq(uuid::Uuid::parse_str(&pid).expect("uuid")))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("contract");
        let today = NaiveDate::from_ymd_opt(2027, 3, 1).expect("day");
        let now = chrono::Utc
            .with_ymd_and_hms(2027, 3, 1, 2, 0, 0)
            .single()
            .expect("now");
        let r = fulfilment::report(&ctx.db, &contract, today, now)
            .await
            .expect("report");
        assert_eq!((r.period_days, r.elapsed_days, r.covered), (90, 60, 2));
        let items: Vec<_> = r
            .items
            .iter()
            .map(|i| {
                (
                    i.delivered_milli,
                    i.value_fen,
                    i.percent,
                    i.expected_milli,
                    i.gap_milli,
                    i.forecast_milli,
                    i.risks.clone(),
                )
            })
            .collect();
        let both = vec!["behind", "forecast_short"];
        assert_eq!(
            items,
            vec![
                // Three visits with 30+ minutes of daily care (the 20-minute
                // one does not count): 3 × 50 yuan; pace 10 × 60/90.
                (3000, 15_000, 30.0, 6667, -3667, 4000, both.clone()),
                // 30 + 60 minutes = 1.5 h × 80 yuan; the planned hour ahead.
                (1500, 12_000, 30.0, 3333, -1833, 2500, both.clone()),
                // 100 + 50 yuan of contract-funded food (not the donation).
                (150_000, 15_000, 15.0, 666_667, -516_667, 150_000, both),
            ]
        );
        let v = &r.visits;
        assert_eq!(
            (
                v.completed,
                v.attempted,
                v.refused,
                v.cancelled,
                v.missed,
                v.late,
                v.exceptions
            ),
            (4, 1, 0, 1, 1, 2, 1)
        );
        assert_eq!(r.rates.due, 6);
        assert_eq!(
            [
                r.rates.completed,
                r.rates.attempted,
                r.rates.missed,
                r.rates.late,
                r.rates.exceptions
            ],
            [66.7, 16.7, 16.7, 33.3, 16.7]
        );
        // January and February are over: A had 2 then 1, B 1 then 0.
        assert_eq!((r.compliance.judged, r.compliance.met), (4, 1));
        assert!((r.compliance.percent - 25.0).abs() < 1e-9);
        assert_eq!(
            r.funding
                .iter()
                .map(|f| (f.funding.as_str(), f.donor.as_deref(), f.value_fen))
                .collect::<Vec<_>>(),
            vec![
                ("contract", None, 15_000),
                ("donation", Some("巴中市慈善总会"), 2000)
            ]
        );
        assert_eq!(
            (r.service_value_fen, r.material_value_fen),
            (27_000, 17_000)
        );
        assert!((r.material_share - 38.6).abs() < 1e-9);
        assert_eq!(
            r.risks,
            vec!["behind", "forecast_short", "frequency", "late"]
        );

        // The API gives the same to everyone in scope.
        for who in [
            "official@doudi.test",
            "coordinator@doudi.test",
            "admin@doudi.test",
        ] {
            let res = server
                .get(&format!("/api/v1/contracts/{pid}/fulfilment?on=2027-03-01"))
                .authorization_bearer(&token(&ctx, who).await)
                .await;
            assert_eq!(res.status_code(), StatusCode::OK, "{who}");
            assert_eq!(res.json::<Value>()["compliance"]["judged"], 4);
        }
        same_as_rebuilt(&ctx, &contract, today, now).await;

        // An amendment from 1 February: daily care costs 60 yuan, one visit
        // a month is enough, and B is released. January keeps its terms.
        let mut change = contract_body(&town, &org);
        change["items"][0]["unit_price"] = json!("60.00");
        change["min_visits_per_month"] = json!(1);
        change["reason"] = json!("单价调整，李长林迁出");
        change["effective_on"] = json!("2027-02-01");
        change["remove_recipients"] = json!([b.pid]);
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/amendments"))
            .authorization_bearer(&official)
            .json(&change)
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let apid = res.json::<Value>()["pid"]
            .as_str()
            .expect("pid")
            .to_string();
        let res = server
            .post(&format!(
                "/api/v1/contracts/{pid}/amendments/{apid}/approve"
            ))
            .authorization_bearer(&token(&ctx, "admin@doudi.test").await)
            .json(&json!({"note": "同意"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        // Released people cannot come back to the same contract.
        let mut again = contract_body(&town, &org);
        again["items"][0]["unit_price"] = json!("60.00");
        again["min_visits_per_month"] = json!(1);
        again["reason"] = json!("重新纳入");
        again["effective_on"] = json!("2027-03-01");
        again["add_recipients"] = json!([b.pid]);
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/amendments"))
            .authorization_bearer(&official)
            .json(&again)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        // Nor may an amendment take effect before one already approved.
        again["add_recipients"] = json!([]);
        again["min_visits_per_month"] = json!(3);
        again["effective_on"] = json!("2027-01-15");
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/amendments"))
            .authorization_bearer(&official)
            .json(&again)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);

        let contract = contracts::Entity::find_by_id(contract.id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("contract");
        let r = fulfilment::report(&ctx.db, &contract, today, now)
            .await
            .expect("report");
        // Daily care: two January visits at 50 yuan, one February visit at 60.
        assert_eq!(
            (
                r.items[0].delivered_milli,
                r.items[0].value_fen,
                r.items[0].unit_price_fen
            ),
            (3000, 16_000, 6000)
        );
        // Hours and food were all delivered in January: unchanged.
        assert_eq!(
            (r.items[1].value_fen, r.items[2].value_fen),
            (12_000, 15_000)
        );
        assert_eq!((r.service_value_fen, r.covered), (28_000, 1));
        // B's cancelled visit of 12 February was after B was released.
        assert_eq!(
            (r.visits.completed, r.visits.cancelled, r.visits.missed),
            (4, 0, 1)
        );
        // January by two visits (A met, B not); February by one, for A only
        // (B was not covered all month): A met.
        assert_eq!((r.compliance.judged, r.compliance.met), (3, 2));
        assert_eq!(r.compliance.min_per_month, Some(1));
        let detailed = fulfilment::report_with_shortfalls(&ctx.db, &contract, today, now)
            .await
            .expect("report");
        assert_eq!(detailed.compliance.short, vec![(b.id, 2027, 1, 1)]);
        assert_eq!(
            (detailed.compliance.judged, detailed.compliance.met),
            (r.compliance.judged, r.compliance.met)
        );
        same_as_rebuilt(&ctx, &contract, today, now).await;
    })
    .await;
}

#[tokio::test]
async fn contracts_are_drawn_up_by_officials_for_their_townships_and_read_by_the_provider() {
    with_app(|server, ctx| async move {
        let official = token(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let other_town = township_pid(&ctx, "水宁寺镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        // Bad input is named field by field; nothing is stored.
        let mut bad = contract_body(&town, &org);
        bad["ends_on"] = json!("2026-12-01");
        bad["total"] = json!("100.00");
        bad["items"][0]["unit"] = json!("bucket");
        bad["items"][1]["service"] = json!("massage");
        bad["procurement_method"] = json!("lottery");
        let res = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&bad)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let errors = res.json::<Value>()["errors"].clone();
        for k in [
            "ends_on",
            "items.0.unit",
            "items.1.service",
            "procurement_method",
            "items",
        ] {
            assert!(errors[k].is_array(), "{k}: {errors}");
        }
        // Another official's township is not theirs to buy for.
        let res = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&contract_body(&other_town, &org))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        for who in ["coordinator@doudi.test", "worker@doudi.test"] {
            let res = server
                .post("/api/v1/contracts")
                .authorization_bearer(&token(&ctx, who).await)
                .json(&contract_body(&town, &org))
                .await;
            assert_eq!(res.status_code(), StatusCode::NOT_FOUND, "{who}");
        }
        let audits = audit_count(&ctx, "create", "contracts").await;
        let res = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&contract_body(&town, &org))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        assert_eq!(audit_count(&ctx, "create", "contracts").await, audits + 1);
        let pid = res.json::<Value>()["pid"]
            .as_str()
            .expect("pid")
            .to_string();
        // The same code twice is refused.
        let res = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&contract_body(&town, &org))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["code"].is_array());
        // Who sees it: the township's official, the provider, admins.
        for (who, status) in [
            ("official@doudi.test", 200),
            ("admin@doudi.test", 200),
            ("coordinator@doudi.test", 200),
            ("official2@doudi.test", 404),
            ("coordinator2@doudi.test", 404),
            ("worker@doudi.test", 404),
        ] {
            let t = token(&ctx, who).await;
            for path in [
                format!("/api/v1/contracts/{pid}"),
                format!("/api/v1/contracts/{pid}/fulfilment"),
                format!("/api/v1/contracts/{pid}/recipients"),
            ] {
                let res = server.get(&path).authorization_bearer(&t).await;
                assert_eq!(res.status_code().as_u16(), status, "{who} {path}");
            }
        }
        // A draft is edited; the provider cannot edit it.
        let mut edit = contract_body(&town, &org);
        edit["title"] = json!("曾口镇2027年一季度居家探访服务（修订）");
        let res = server
            .patch(&format!("/api/v1/contracts/{pid}"))
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .json(&edit)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        let res = server
            .patch(&format!("/api/v1/contracts/{pid}"))
            .authorization_bearer(&official)
            .json(&edit)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        // Covering someone of another township is refused.
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/recipients"))
            .authorization_bearer(&official)
            .json(&json!({"recipients": [person(&ctx, "何淑珍").await.pid]}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        // In force: no more silent edits, no going back.
        let status = |s: &str| json!({"status": s});
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/status"))
            .authorization_bearer(&official)
            .json(&status("closed"))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/status"))
            .authorization_bearer(&official)
            .json(&status("active"))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let res = server
            .patch(&format!("/api/v1/contracts/{pid}"))
            .authorization_bearer(&official)
            .json(&edit)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["status"].is_array());
        let res = server
            .get("/api/v1/contracts")
            .authorization_bearer(&token(&ctx, "official2@doudi.test").await)
            .await;
        assert_eq!(res.json::<Value>()["page"]["total"], 0);
    })
    .await;
}

#[tokio::test]
async fn officials_draw_up_a_contract_on_the_pages_and_see_its_fulfilment() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        let page = server
            .get("/contracts/new")
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert!(page.text().contains("竞争性磋商"));
        let mut form: Vec<(&str, String)> = vec![
            ("township", town.clone()),
            ("organization", org.clone()),
            ("code", "BZ-ZK-2027-009".into()),
            ("title", "曾口镇居家探访".into()),
            ("procurement_method", "single_source".into()),
            ("signed_on", "2026-12-20".into()),
            ("starts_on", "2027-01-01".into()),
            ("ends_on", "2027-12-31".into()),
            ("total", "50".into()),
            ("min_visits_per_month", "2".into()),
        ];
        for (what, unit, q, price) in [
            ("service:daily_care", "visit", "100", "50"),
            ("material:food", "yuan", "2000", "1"),
            ("", "visit", "", ""),
        ] {
            form.push(("item_what", what.into()));
            form.push(("item_unit", unit.into()));
            form.push(("item_quantity", q.into()));
            form.push(("item_price", price.into()));
            form.push(("item_min_minutes", String::new()));
        }
        // Items over the total: the form again, everything kept.
        let res = server
            .post("/contracts")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&form)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("曾口镇居家探访"));
        assert!(res.text().contains("各服务项目金额之和超过合同总额"));
        form[8].1 = "10000.00".into();
        let res = server
            .post("/contracts")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&form)
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER, "{}", res.text());
        let location = res.header("location").to_str().expect("ascii").to_string();
        let show = server
            .get(&location)
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(show.status_code(), StatusCode::OK);
        let text = show.text();
        assert!(
            text.contains("生活照料") && text.contains("0 / 100"),
            "{text}"
        );
        assert!(text.contains("履约情况"));
        // Cover a recipient, then put it in force.
        let page = server
            .get(&format!("{location}/recipients"))
            .add_header("cookie", cookie.clone())
            .await;
        assert!(page.text().contains("单秀英"));
        let a = person(&ctx, "单秀英").await;
        let res = server
            .post(&format!("{location}/recipients"))
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("recipients", a.pid.to_string())])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        // A whole household at once.
        let b = person(&ctx, "李长林").await;
        let home = doudi::models::_entities::households::Entity::find_by_id(b.household_id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("household");
        let members = recipients::Entity::find()
            .filter(recipients::Column::HouseholdId.eq(b.household_id))
            .all(&ctx.db)
            .await
            .expect("q")
            .len();
        let page = server
            .get(&format!("{location}/recipients?q=李长林"))
            .add_header("cookie", cookie.clone())
            .await;
        assert!(page.text().contains(&home.pid.to_string()));
        let res = server
            .post(&format!("{location}/recipients"))
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("households", home.pid.to_string())])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        let res = server
            .post(&format!("{location}/status"))
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("status", "active")])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        let show = server
            .get(&location)
            .add_header("cookie", cookie.clone())
            .await;
        assert!(show.text().contains("履行中"));
        assert!(show.text().contains(&format!("{} 人", 1 + members)));
        // Nothing to edit once in force.
        let edit = server
            .get(&format!("{location}/edit"))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(edit.status_code(), StatusCode::NOT_FOUND);
        // The provider reads it; another township's official does not.
        let res = server
            .get(&location)
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let res = server
            .get(&location)
            .add_header("cookie", session(&ctx, "official2@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn a_contract_in_force_changes_only_by_an_approved_amendment_kept_as_a_version() {
    with_app(|server, ctx| async move {
        let official = token(&ctx, "official@doudi.test").await;
        let admin = token(&ctx, "admin@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        let c: Value = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&contract_body(&town, &org))
            .await
            .json();
        let pid = c["pid"].as_str().expect("pid").to_string();
        let url = |p: &str| format!("/api/v1/contracts/{pid}{p}");
        // A draft is not amended: it is edited.
        let mut change = contract_body(&town, &org);
        change["items"][0]["quantity"] = json!(12);
        change["total"] = json!("120000.00");
        change["reason"] = json!("增加特困人员2名，相应增加探访次数");
        change["effective_on"] = json!("2027-02-01");
        change["add_recipients"] = json!([person(&ctx, "李长林").await.pid]);
        let res = server
            .post(&url("/amendments"))
            .authorization_bearer(&official)
            .json(&change)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        server
            .post(&url("/status"))
            .authorization_bearer(&official)
            .json(&json!({"status": "active"}))
            .await;
        // Without a reason, outside the period, or to another provider: no.
        for (k, v) in [
            ("reason", json!("")),
            ("effective_on", json!("2028-01-01")),
            ("organization", json!(organization_pid(&ctx, YIMIN).await)),
        ] {
            let mut bad = change.clone();
            bad[k] = v;
            let res = server
                .post(&url("/amendments"))
                .authorization_bearer(&official)
                .json(&bad)
                .await;
            assert_eq!(
                res.status_code(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{k}: {}",
                res.text()
            );
        }
        let res = server
            .post(&url("/amendments"))
            .authorization_bearer(&official)
            .json(&change)
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let a: Value = res.json();
        assert_eq!(a["status"], "pending");
        let apid = a["pid"].as_str().expect("pid").to_string();
        // Nothing changed yet; the proposer cannot approve their own.
        let shown: Value = server
            .get(&url(""))
            .authorization_bearer(&official)
            .await
            .json();
        assert_eq!(shown["items"][0]["quantity"], "10");
        let res = server
            .post(&url(&format!("/amendments/{apid}/approve")))
            .authorization_bearer(&official)
            .json(&json!({}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        // Outside the township: not found.
        let res = server
            .post(&url(&format!("/amendments/{apid}/approve")))
            .authorization_bearer(&token(&ctx, "official2@doudi.test").await)
            .json(&json!({}))
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        let res = server
            .post(&url(&format!("/amendments/{apid}/approve")))
            .authorization_bearer(&admin)
            .json(&json!({"note": "同意"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let after: Value = res.json();
        assert_eq!(after["version"], 2);
        assert_eq!(after["items"][0]["quantity"], "12");
        assert_eq!(after["total_fen"], 12_000_000);
        let covered: Value = server
            .get(&url("/recipients"))
            .authorization_bearer(&official)
            .await
            .json();
        assert_eq!(covered["page"]["total"], 1);
        // The version keeps the terms it replaced.
        let list: Value = server
            .get(&url("/amendments"))
            .authorization_bearer(&official)
            .await
            .json();
        let first = &list["items"][0];
        assert_eq!(first["status"], "approved");
        assert_eq!(first["version"], 2);
        assert_eq!(first["previous"]["items"][0]["quantity_milli"], 10_000);
        assert_eq!(first["previous"]["total_fen"], 10_000_000);
        // Deciding twice is refused; a rejection needs a note.
        let res = server
            .post(&url(&format!("/amendments/{apid}/reject")))
            .authorization_bearer(&admin)
            .json(&json!({"note": "x"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let mut again = change.clone();
        again["add_recipients"] = json!([]);
        again["items"][0]["quantity"] = json!(20);
        again["total"] = json!("200000.00");
        let b: Value = server
            .post(&url("/amendments"))
            .authorization_bearer(&official)
            .json(&again)
            .await
            .json();
        let bpid = b["pid"].as_str().expect("pid").to_string();
        let res = server
            .post(&url(&format!("/amendments/{bpid}/reject")))
            .authorization_bearer(&admin)
            .json(&json!({}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post(&url(&format!("/amendments/{bpid}/reject")))
            .authorization_bearer(&admin)
            .json(&json!({"note": "预算不足"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let shown: Value = server
            .get(&url(""))
            .authorization_bearer(&official)
            .await
            .json();
        assert_eq!(
            (
                shown["version"].clone(),
                shown["items"][0]["quantity"].clone()
            ),
            (json!(2), json!("12"))
        );
        // The page lists both, and offers the form.
        let cookie = session(&ctx, "official@doudi.test").await;
        let page = server
            .get(&format!("/contracts/{pid}"))
            .add_header("cookie", cookie.clone())
            .await;
        assert!(
            page.text().contains("已批准")
                && page.text().contains("已驳回")
                && page.text().contains("预算不足")
        );
        let form = server
            .get(&format!("/contracts/{pid}/amendments/new"))
            .add_header("cookie", cookie)
            .await;
        assert_eq!(form.status_code(), StatusCode::OK);
        assert!(form.text().contains("变更理由"));
    })
    .await;
}

#[tokio::test]
async fn accepting_a_period_freezes_its_figures_locks_its_visits_and_meets_the_milestone() {
    with_app(|server, ctx| async move {
        let official = token(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        let mut body = contract_body(&town, &org);
        body["starts_on"] = json!("2026-09-01");
        body["ends_on"] = json!("2026-12-31");
        body["signed_on"] = json!("2026-08-20");
        let c: Value = server.post("/api/v1/contracts").authorization_bearer(&official).json(&body).await.json();
        let pid = c["pid"].as_str().expect("pid").to_string();
        let url = |p: &str| format!("/api/v1/contracts/{pid}{p}");
        let a = person(&ctx, "单秀英").await;
        server
            .post(&url("/recipients"))
            .authorization_bearer(&official)
            .json(&json!({"recipients": [a.pid]}))
            .await;
        // Milestones: within the total, while a draft.
        let res = server
            .post(&url("/milestones"))
            .authorization_bearer(&official)
            .json(&json!({"title": "第一期", "amount": "200000", "due_on": "2026-10-10", "condition": "delivery_percent", "condition_percent": 10}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post(&url("/milestones"))
            .authorization_bearer(&official)
            .json(&json!({"title": "第一期", "amount": "30000", "due_on": "2026-10-10", "condition": "delivery_percent", "condition_percent": 5}))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let milestone = res.json::<Value>()["pid"].clone();
        server
            .post(&url("/status"))
            .authorization_bearer(&official)
            .json(&json!({"status": "active"}))
            .await;
        // September: two completed visits: 2 of 10 daily-care visits, 100 of
        // the 1,900 yuan the items buy (5.3 %, over the milestone's 5 %).
        for day in ["2026-09-08", "2026-09-22"] {
            visit(&ctx, &a, day, "completed", false, false, None, &[("daily_care", 45)], &[]).await;
        }
        visit(&ctx, &a, "2026-10-06", "completed", false, false, None, &[("daily_care", 45)], &[]).await;
        // Not over yet, outside the period, or reversed: refused.
        for (s, e) in [("2026-11-01", "2026-12-31"), ("2026-08-01", "2026-09-30"), ("2026-09-30", "2026-09-01")] {
            let res = server
                .post(&url("/acceptances"))
                .authorization_bearer(&official)
                .json(&json!({"period_start": s, "period_end": e}))
                .await;
            assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY, "{s}–{e}");
        }
        let audits = audit_count(&ctx, "create", "acceptances").await;
        let res = server
            .post(&url("/acceptances"))
            .authorization_bearer(&official)
            .json(&json!({"period_start": "2026-09-01", "period_end": "2026-09-30", "milestone": milestone, "note": "资料齐全"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        assert_eq!(audit_count(&ctx, "create", "acceptances").await, audits + 1);
        let acc: Value = res.json();
        assert_eq!(acc["locked_visits"], 2);
        // The snapshot holds the figures as of the period's last day.
        assert_eq!(acc["snapshot"]["items"][0]["delivered_milli"], 2000);
        assert_eq!(acc["snapshot"]["today"], "2026-09-30");
        let ms: Value = server.get(&url("/milestones")).authorization_bearer(&official).await.json();
        assert_eq!(ms["items"][0]["status"], "met");
        // The period is settled: no overlapping acceptance, no amendment
        // reaching back, no changes to its visits.
        let res = server
            .post(&url("/acceptances"))
            .authorization_bearer(&official)
            .json(&json!({"period_start": "2026-09-15", "period_end": "2026-10-15"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let mut change = body.clone();
        change["items"][0]["quantity"] = json!(12);
        change["total"] = json!("120000");
        change["reason"] = json!("补充");
        change["effective_on"] = json!("2026-09-15");
        let res = server.post(&url("/amendments")).authorization_bearer(&official).json(&change).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["effective_on"].is_array());
        change["effective_on"] = json!("2026-10-01");
        let res = server.post(&url("/amendments")).authorization_bearer(&official).json(&change).await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let locked = visits::Entity::find()
            .filter(visits::Column::LockedAt.is_not_null())
            .all(&ctx.db)
            .await
            .expect("q");
        assert_eq!(locked.len(), 2);
        let res = server
            .post(&format!("/api/v1/visits/{}/amendments", locked[0].pid))
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .json(&json!({"reason": "改", "outcome": "attempted"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("status"));
        // The contract page shows the acceptance and the milestone met.
        let page = server
            .get(&format!("/contracts/{pid}"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert!(page.text().contains("锁定走访 2 次") && page.text().contains("已达成"), "{}", page.text());
        // A second period through the page's form: October.
        let res = server
            .post(&format!("/contracts/{pid}/acceptances"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("period_start", "2026-10-01"), ("period_end", "2026-10-31"), ("milestone", "")])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        let list: Value = server.get(&url("/acceptances")).authorization_bearer(&official).await.json();
        assert_eq!(list["items"][0]["locked_visits"], 1);
        // Drill-down: the visits behind each figure.
        let behind = |f: &str| {
            let path = url(&format!("/visits?figure={f}"));
            let t = official.clone();
            let server = &server;
            async move { server.get(&path).authorization_bearer(&t).await }
        };
        assert_eq!(behind("completed").await.json::<Value>()["page"]["total"], 3);
        assert_eq!(behind("missed").await.json::<Value>()["page"]["total"], 0);
        let item = c["items"][0]["pid"].as_str().expect("item").to_string();
        assert_eq!(behind(&format!("item:{item}")).await.json::<Value>()["page"]["total"], 3);
        assert_eq!(behind("bogus").await.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let cookie = session(&ctx, "official@doudi.test").await;
        let page = server
            .get(&format!("/contracts/{pid}/visits?figure=completed"))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert_eq!(select_text(&page.text(), "li.visit-card").len(), 3);
        // Exports: CSV with a BOM, XLSX, and OCDS without personal data.
        let csv = server
            .get(&format!("/contracts/{pid}/export/items.csv"))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(csv.status_code(), StatusCode::OK);
        assert!(csv.as_bytes().starts_with(b"\xEF\xBB\xBF"));
        assert!(csv.text().contains("生活照料"));
        let xlsx = server
            .get(&format!("/contracts/{pid}/export/funding.xlsx"))
            .add_header("cookie", cookie.clone())
            .await;
        assert!(xlsx.as_bytes().starts_with(b"PK"));
        let missing = server
            .get(&format!("/contracts/{pid}/export/people.csv"))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(missing.status_code(), StatusCode::NOT_FOUND);
        let other = server
            .get(&format!("/contracts/{pid}/export/items.csv"))
            .add_header("cookie", session(&ctx, "official2@doudi.test").await)
            .await;
        assert_eq!(other.status_code(), StatusCode::NOT_FOUND);
        // Payments: the met milestone is paid, never beyond its amount or
        // the total, with a voucher reference; others see nothing.
        let pay = |body: Value| {
            let server = &server;
            let official = official.clone();
            let to = url("/payments");
            async move {
                server
                    .post(&to)
                    .authorization_bearer(&official)
                    .json(&body)
                    .await
            }
        };
        for bad in [
            json!({"amount": "30000.01", "paid_on": "2026-10-20", "reference": "PZ-2026-118", "milestone": milestone}),
            json!({"amount": "0", "paid_on": "2026-10-20", "reference": "PZ-2026-118"}),
            json!({"amount": "100", "paid_on": "2099-01-01", "reference": "PZ-2026-118"}),
            json!({"amount": "100", "paid_on": "2026-10-20", "reference": ""}),
            json!({"amount": "100", "paid_on": "2026-10-20", "reference": "X", "milestone": "nope"}),
        ] {
            let res = pay(bad.clone()).await;
            assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        }
        let audits = audit_count(&ctx, "create", "payments").await;
        let res = pay(json!({"amount": "30000", "paid_on": "2026-10-20", "reference": "PZ-2026-118", "milestone": milestone, "note": "第一期"})).await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        assert_eq!(res.json::<Value>()["milestone_title"], "第一期");
        assert_eq!(audit_count(&ctx, "create", "payments").await, audits + 1);
        let res = pay(json!({"amount": "1", "paid_on": "2026-10-21", "reference": "PZ-2026-119", "milestone": milestone})).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = pay(json!({"amount": "70000.01", "paid_on": "2026-10-21", "reference": "PZ-2026-120"})).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let listed: Value = server.get(&url("/payments")).authorization_bearer(&official).await.json();
        assert_eq!(listed["paid_fen"], 3_000_000);
        for (who, code) in [("official2@doudi.test", StatusCode::NOT_FOUND), ("coordinator@doudi.test", StatusCode::OK)] {
            let res = server.get(&url("/payments")).authorization_bearer(&token(&ctx, who).await).await;
            assert_eq!(res.status_code(), code, "{who}");
        }
        let res = server
            .post(&url("/payments"))
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .json(&json!({"amount": "1", "paid_on": "2026-10-21", "reference": "X"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        let page = server
            .get(&format!("/contracts/{pid}"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert!(page.text().contains("PZ-2026-118"));
        let ocds = server.get(&url("/ocds")).authorization_bearer(&official).await;
        assert_eq!(ocds.status_code(), StatusCode::OK);
        let o: Value = ocds.json();
        let k = &o["releases"][0]["contracts"][0];
        assert_eq!(k["milestones"][0]["status"], "met");
        assert_eq!(k["value"]["amount"], 100_000.0);
        assert_eq!(k["implementation"]["milestones"].as_array().map(Vec::len), Some(2));
        let paid = &k["implementation"]["transactions"][0];
        assert_eq!(paid["value"]["amount"], 30_000.0);
        assert_eq!(paid["relatedImplementationMilestone"]["title"], "第一期");
        assert!(paid["payer"]["name"].is_string() && paid["payee"]["name"].is_string());
        assert_eq!(o["releases"][0]["parties"].as_array().map(Vec::len), Some(2));
        assert!(!ocds.text().contains("单秀英"));
        // The acceptance pack: the figures and the period's visits, in
        // full or masked for publication.
        let sheets = |bytes: &[u8]| {
            use calamine::Reader;
            let mut book: calamine::Xlsx<_> =
                calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
            let names = book.sheet_names();
            names
                .iter()
                .map(|n| {
                    let range = book.worksheet_range(n).expect("sheet");
                    range
                        .rows()
                        .map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("|"))
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .collect::<Vec<_>>()
        };
        let sep = acc["pid"].as_str().expect("pid").to_string();
        let full = server
            .get(&format!("/contracts/{pid}/acceptances/{sep}/pack.xlsx"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert_eq!(full.status_code(), StatusCode::OK);
        let full = sheets(full.as_bytes());
        assert_eq!(full.len(), 2);
        assert!(full[0].contains("BZ-ZK-2027-001") && full[0].contains("生活照料"), "{}", full[0]);
        assert_eq!(full[1].lines().count(), 3, "{}", full[1]);
        assert!(full[1].contains("单秀英"));
        let public = server
            .get(&url(&format!("/acceptances/{sep}/pack.xlsx?masked=1")))
            .authorization_bearer(&official)
            .await;
        assert_eq!(public.status_code(), StatusCode::OK);
        let public = sheets(public.as_bytes()).join("\n");
        // No person served in the public version, not even masked; the
        // note was not marked public.
        assert!(!public.contains("单**") && !public.contains("单秀英"), "{public}");
        assert!(!public.contains("资料齐全"), "{public}");
        // The same pack as PDF. Its text is glyphs; the Unicode map lists
        // each character used, so 秀 (U+79C0) shows whether the name is in.
        let has_xiu = |pdf: &[u8]| {
            let text = String::from_utf8_lossy(pdf);
            text.contains("<79C0>") || text.contains("<79c0>")
        };
        let full_pdf = server
            .get(&format!("/contracts/{pid}/acceptances/{sep}/pack.pdf"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert_eq!(full_pdf.status_code(), StatusCode::OK);
        assert_eq!(full_pdf.header("content-type"), "application/pdf");
        assert!(full_pdf.as_bytes().starts_with(b"%PDF-"));
        assert!(has_xiu(full_pdf.as_bytes()));
        let public_pdf = server
            .get(&url(&format!("/acceptances/{sep}/pack.pdf?masked=1")))
            .authorization_bearer(&official)
            .await;
        assert_eq!(public_pdf.status_code(), StatusCode::OK);
        assert!(!has_xiu(public_pdf.as_bytes()));
        let other = server
            .get(&url(&format!("/acceptances/{sep}/pack.pdf")))
            .authorization_bearer(&token(&ctx, "official2@doudi.test").await)
            .await;
        assert_eq!(other.status_code(), StatusCode::NOT_FOUND);
        let other = server
            .get(&url(&format!("/acceptances/{sep}/pack.xlsx")))
            .authorization_bearer(&token(&ctx, "official2@doudi.test").await)
            .await;
        assert_eq!(other.status_code(), StatusCode::NOT_FOUND);
        // Others outside the township see none of it.
        let res = server
            .get(&url("/acceptances"))
            .authorization_bearer(&token(&ctx, "official2@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        let res = server
            .post(&url("/acceptances"))
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .json(&json!({"period_start": "2026-10-01", "period_end": "2026-10-31"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn the_demo_county_has_two_contracts_in_force_with_months_of_history() {
    with_app(|server, ctx| async move {
        doudi::demo::seed_story(&ctx.db, chrono::Duration::weeks(8))
            .await
            .expect("demo story");
        let official = token(&ctx, "official@doudi.test").await;
        let list: Value = server
            .get("/api/v1/contracts")
            .authorization_bearer(&official)
            .await
            .json();
        assert_eq!(list["page"]["total"], 2);
        for c in list["items"].as_array().expect("items") {
            assert_eq!(c["status"], "active");
            let pid = c["pid"].as_str().expect("pid");
            let r: Value = server
                .get(&format!("/api/v1/contracts/{pid}/fulfilment"))
                .authorization_bearer(&official)
                .await
                .json();
            // Months of history: completed visits, and some of each trouble.
            assert!(r["visits"]["completed"].as_i64().unwrap_or(0) > 10, "{r}");
            assert!(
                r["rates"]["due"].as_i64().unwrap_or(0)
                    > r["visits"]["completed"].as_i64().unwrap_or(0)
            );
            assert!(r["compliance"]["judged"].as_i64().unwrap_or(0) > 0);
        }
        let accepted: usize = {
            let mut n = 0;
            for c in list["items"].as_array().expect("items") {
                let a: Value = server
                    .get(&format!(
                        "/api/v1/contracts/{}/acceptances",
                        c["pid"].as_str().expect("pid")
                    ))
                    .authorization_bearer(&official)
                    .await
                    .json();
                n += a["items"].as_array().map_or(0, Vec::len);
            }
            n
        };
        assert_eq!(accepted, 1);
        // The dashboard: both contracts, their charts' data, ECharts on
        // this page only.
        let cookie = session(&ctx, "official@doudi.test").await;
        let dash = server
            .get("/dashboard")
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(dash.status_code(), StatusCode::OK);
        let html = dash.text();
        assert_eq!(select_text(&html, "article.contract-card").len(), 2);
        assert!(html.contains("/static/vendor/echarts.min.js"));
        let data = select_text(&html, "script#dashboard-data").join("");
        let charts: Value = serde_json::from_str(&data).expect("chart data");
        assert_eq!(charts["charts"].as_array().map(Vec::len), Some(2));
        assert!(charts["charts"][0]["months"]
            .as_array()
            .is_some_and(|m| m.len() >= 3));
        // By township: both demo townships, each one's contracts on its own.
        let towns = select_text(&html, "h2 + ul.cards li");
        assert_eq!(towns.len(), 2, "{towns:?}");
        assert!(towns.iter().any(|t| t.contains("曾口镇")));
        let zk = township_pid(&ctx, "曾口镇").await;
        let one = server
            .get(&format!("/dashboard?township={zk}"))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(select_text(&one.text(), "article.contract-card").len(), 1);
        let home = server.get("/contracts").add_header("cookie", cookie).await;
        assert!(!home.text().contains("echarts"));
        // Satisfaction call-backs on a random sample of completed visits.
        let cpid = list["items"][0]["pid"].as_str().expect("pid").to_string();
        let cb = |p: &str| format!("/api/v1/contracts/{cpid}/callbacks{p}");
        let res = server
            .post(&cb(""))
            .authorization_bearer(&official)
            .json(&json!({"size": 500}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post(&cb(""))
            .authorization_bearer(&official)
            .json(&json!({"size": 5}))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        assert_eq!(res.json::<Value>()["sampled"], 5);
        let calls: Value = server
            .get(&cb(""))
            .authorization_bearer(&official)
            .await
            .json();
        let items = calls["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 5);
        assert!(items
            .iter()
            .all(|c| c["status"] == "pending" && c["recipient"].is_string()));
        let first = items[0]["pid"].as_str().expect("pid").to_string();
        let res = server
            .post(&cb(&format!("/{first}")))
            .authorization_bearer(&official)
            .json(&json!({"status": "reached"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post(&cb(&format!("/{first}")))
            .authorization_bearer(&official)
            .json(&json!({"status": "reached", "satisfaction": 4, "note": "老人说社工很耐心"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let second = items[1]["pid"].as_str().expect("pid").to_string();
        server
            .post(&cb(&format!("/{second}")))
            .authorization_bearer(&official)
            .json(&json!({"status": "unreachable"}))
            .await;
        let calls: Value = server
            .get(&cb(""))
            .authorization_bearer(&official)
            .await
            .json();
        assert_eq!(
            calls["summary"],
            json!({"sampled": 5, "reached": 1, "unreachable": 1, "satisfaction": 4.0})
        );
        // Drawing again never draws the same visit twice.
        server
            .post(&cb(""))
            .authorization_bearer(&official)
            .json(&json!({"size": 50}))
            .await;
        let calls: Value = server
            .get(&cb(""))
            .authorization_bearer(&official)
            .await
            .json();
        let mut visits: Vec<String> = calls["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| c["visit"].as_str().unwrap_or_default().to_string())
            .collect();
        let n = visits.len();
        visits.sort();
        visits.dedup();
        assert_eq!(visits.len(), n);
        // The provider does not see the purchaser's call-backs.
        let res = server
            .get(&cb(""))
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        // The page renders with its figures.
        let page = server
            .get(&format!(
                "/contracts/{}",
                list["items"][0]["pid"].as_str().expect("pid")
            ))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert!(page.text().contains("履约情况"));
        assert!(page.text().contains("平均满意度 4"), "{}", page.text());
    })
    .await;
}

#[tokio::test]
async fn contract_documents_are_stored_and_read_back_in_scope() {
    use axum_test::multipart::{MultipartForm, Part};
    with_app(|server, ctx| async move {
        let official = token(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        let c: Value = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&contract_body(&town, &org))
            .await
            .json();
        let pid = c["pid"].as_str().expect("pid").to_string();
        let url = format!("/api/v1/contracts/{pid}/documents");
        let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec();
        let form = |bytes: Vec<u8>, name: &str, kind: &str| {
            MultipartForm::new()
                .add_text("kind", kind.to_string())
                .add_part("file", Part::bytes(bytes).file_name(name.to_string()))
        };
        // Not a kept type, an unknown kind, nothing: refused.
        for (bytes, name, kind) in [
            (b"MZ\x90\x00".to_vec(), "setup.exe", "contract"),
            (pdf.clone(), "合同.pdf", "secret"),
            (Vec::new(), "empty.pdf", "contract"),
        ] {
            let res = server
                .post(&url)
                .authorization_bearer(&official)
                .multipart(form(bytes, name, kind))
                .await;
            assert_eq!(
                res.status_code(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name}"
            );
        }
        // Providers and other townships do not upload.
        for who in ["coordinator@doudi.test", "official2@doudi.test"] {
            let res = server
                .post(&url)
                .authorization_bearer(&token(&ctx, who).await)
                .multipart(form(pdf.clone(), "合同.pdf", "contract"))
                .await;
            assert_eq!(res.status_code(), StatusCode::NOT_FOUND, "{who}");
        }
        let res = server
            .post(&url)
            .authorization_bearer(&official)
            .multipart(form(pdf.clone(), "../曾口镇 合同.pdf", "contract"))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let d: Value = res.json();
        assert_eq!(d["file_name"], "曾口镇 合同.pdf");
        assert_eq!(d["content_type"], "application/pdf");
        let list: Value = server
            .get(&url)
            .authorization_bearer(&official)
            .await
            .json();
        assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
        // Read back by the provider too; not outside the township.
        let doc = format!(
            "/api/v1/contracts/{pid}/documents/{}",
            d["pid"].as_str().expect("pid")
        );
        let got = server
            .get(&doc)
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .await;
        assert_eq!(got.status_code(), StatusCode::OK);
        assert_eq!(got.as_bytes().to_vec(), pdf);
        assert_eq!(got.header("content-type"), "application/pdf");
        let other = server
            .get(&doc)
            .authorization_bearer(&token(&ctx, "official2@doudi.test").await)
            .await;
        assert_eq!(other.status_code(), StatusCode::NOT_FOUND);
        assert_eq!(audit_count(&ctx, "create", "contract_documents").await, 1);
        // The page lists it.
        let page = server
            .get(&format!("/contracts/{pid}"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert!(page.text().contains("曾口镇 合同.pdf"));
    })
    .await;
}

#[derive(Debug, PartialEq, Eq, sea_orm::FromQueryResult)]
struct KeptRow {
    contract_id: i64,
    day: String,
    kind: String,
    key: String,
    n: i64,
    late: i64,
    exceptions: i64,
}

#[derive(Debug, PartialEq, Eq, sea_orm::FromQueryResult)]
struct KeptMonth {
    contract_id: i64,
    recipient_id: i64,
    month: String,
    completed: i64,
}

/// Every contract's kept totals, in order.
async fn kept(ctx: &loco_rs::app::AppContext) -> (Vec<KeptRow>, Vec<KeptMonth>) {
    use sea_orm::{FromQueryResult, Statement};
    let b = ctx.db.get_database_backend();
    let days = KeptRow::find_by_statement(Statement::from_string(
        b,
        "SELECT contract_id, CAST(day AS TEXT) AS day, kind, key || '/' || COALESCE(donor, '') AS key, \
         n, late, exceptions FROM fulfilment_days WHERE n <> 0 OR late <> 0 OR exceptions <> 0 \
         ORDER BY contract_id, day, kind, key, donor",
    ))
    .all(&ctx.db)
    .await
    .expect("days");
    let months = KeptMonth::find_by_statement(Statement::from_string(
        b,
        "SELECT contract_id, recipient_id, month, completed FROM fulfilment_months \
         WHERE completed <> 0 ORDER BY contract_id, recipient_id, month",
    ))
    .all(&ctx.db)
    .await
    .expect("months");
    (days, months)
}

/// The kept totals are exactly what rebuilding every contract gives.
pub(crate) async fn kept_is_rebuilt(ctx: &loco_rs::app::AppContext, after: &str) {
    let before = kept(ctx).await;
    assert!(!before.0.is_empty(), "{after}: nothing kept");
    fulfilment::rebuild_all(&ctx.db).await.expect("rebuild");
    let rebuilt = kept(ctx).await;
    assert_eq!(before.0, rebuilt.0, "{after}: day totals");
    assert_eq!(before.1, rebuilt.1, "{after}: months");
}

#[tokio::test]
async fn kept_totals_follow_every_write_to_a_visit() {
    use doudi::models::{
        _entities::{contract_recipients, users},
        visit_logs::{mark_overdue, DoorRules},
    };
    with_app(|server, ctx| async move {
        doudi::demo::seed_story(&ctx.db, chrono::Duration::weeks(8))
            .await
            .expect("demo story");
        kept_is_rebuilt(&ctx, "the demo story").await;
        // The demo contract with the most visits still to come.
        let mut best: Option<(contracts::Model, Vec<visits::Model>)> = None;
        for c in contracts::Entity::find().all(&ctx.db).await.expect("q") {
            let covered: Vec<i64> = contract_recipients::Entity::find()
                .filter(contract_recipients::Column::ContractId.eq(c.id))
                .all(&ctx.db)
                .await
                .expect("q")
                .into_iter()
                .map(|r| r.recipient_id)
                .collect();
            let coming = visits::Entity::find()
                .filter(visits::Column::OrganizationId.eq(c.organization_id))
                .filter(visits::Column::RecipientId.is_in(covered))
                .filter(visits::Column::Status.eq("scheduled"))
                .filter(visits::Column::StartsAt.gt(chrono::Utc::now()))
                .filter(visits::Column::WorkerId.is_not_null())
                .all(&ctx.db)
                .await
                .expect("q");
            if best.as_ref().is_none_or(|(_, b)| b.len() < coming.len()) {
                best = Some((c, coming));
            }
        }
        let (c, coming) = best.expect("a demo contract");
        assert!(coming.len() >= 3, "demo visits ahead for covered people");
        let today = doudi::models::today();
        let now = chrono::Utc::now();
        let report = || async {
            fulfilment::report(&ctx.db, &c, today, now)
                .await
                .expect("report")
        };
        let before = report().await;
        // The plan behind a visit says which contract item its services
        // count toward.
        let plan = service_plans::Entity::find_by_id(coming[0].plan_id.expect("plan"))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("plan");
        let page = server
            .get(&format!("/service_plans/{}", plan.pid))
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert!(page.text().contains(&c.code), "{}", page.text());
        // A worker logs a visit: it counts at once.
        let v = &coming[0];
        let worker = users::Entity::find_by_id(v.worker_id.expect("worker"))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("worker");
        let w = token(&ctx, &worker.email).await;
        let res = server
            .post(&format!("/api/v1/visits/{}/check_in", v.pid))
            .authorization_bearer(&w)
            .json(&json!({"location_reason": "no_gps_signal"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let res = server
            .post(&format!("/api/v1/visits/{}/submission", v.pid))
            .authorization_bearer(&w)
            .json(&super::visit_logs::completed())
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let visit_day = v
            .starts_at
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive();
        let counted = fulfilment::report(&ctx.db, &c, visit_day.max(today), now)
            .await
            .expect("report");
        assert_eq!(counted.visits.completed, before.visits.completed + 1);
        kept_is_rebuilt(&ctx, "a submission").await;
        // It is corrected to "nobody home".
        let res = server
            .post(&format!("/api/v1/visits/{}/amendments", v.pid))
            .authorization_bearer(&w)
            .json(
                &json!({"reason": "记错了，老人不在家", "outcome": "attempted",
                          "client_id": uuid::Uuid::new_v4()}),
            )
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let corrected = fulfilment::report(&ctx.db, &c, visit_day.max(today), now)
            .await
            .expect("report");
        assert_eq!(corrected.visits.completed, before.visits.completed);
        assert_eq!(corrected.visits.attempted, before.visits.attempted + 1);
        kept_is_rebuilt(&ctx, "a correction").await;
        // The coordinator cancels another.
        let coordinator = token(&ctx, "coordinator@doudi.test").await;
        let res = server
            .post(&format!("/api/v1/visits/{}/cancel", coming[1].pid))
            .authorization_bearer(&coordinator)
            .json(&json!({"reason": "老人住院"}))
            .await;
        assert!(res.status_code().is_success(), "{}", res.text());
        kept_is_rebuilt(&ctx, "a cancellation").await;
        // Nobody went to a third: once its day is over it is missed.
        let mut am: visits::ActiveModel = coming[2].clone().into();
        let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
        am.starts_at = Set(yesterday.into());
        am.ends_at = Set((yesterday + chrono::Duration::hours(1)).into());
        sea_orm::ActiveModelTrait::update(am, &ctx.db)
            .await
            .expect("moved");
        let (_, missed) = mark_overdue(&ctx.db, DoorRules::default(), chrono::Utc::now())
            .await
            .expect("job");
        assert!(missed >= 1);
        kept_is_rebuilt(&ctx, "the overdue job").await;
    })
    .await;
}

#[tokio::test]
async fn a_draft_covers_people_from_a_pasted_column_of_id_numbers() {
    with_app(|server, ctx| async move {
        let official = token(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        let c: Value = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&contract_body(&town, &org))
            .await
            .json();
        let pid = c["pid"].as_str().expect("pid").to_string();
        let vault = doudi::vault::Vault::of(&ctx).expect("vault");
        let id_of =
            |r: &recipients::Model| vault.open(&r.id_sealed).expect("id").as_str().to_string();
        let (a, b) = (person(&ctx, "单秀英").await, person(&ctx, "李长林").await);
        // Another township's resident is not covered by this contract.
        let elsewhere = recipients::Entity::find()
            .filter(recipients::Column::TownshipId.ne(a.township_id))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("someone elsewhere");
        let column = format!(
            "{}\n{}\n\n{}\n12345\n{}",
            id_of(&a),
            id_of(&b).to_lowercase(),
            id_of(&elsewhere),
            id_of(&a)
        );
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/recipients"))
            .authorization_bearer(&official)
            .json(&json!({"id_numbers": column.lines().collect::<Vec<_>>()}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let body: Value = res.json();
        assert_eq!(body["added"], 2);
        // What was not found comes back masked, never whole.
        let unmatched = body["unmatched"].as_array().cloned().unwrap_or_default();
        assert_eq!(unmatched.len(), 2, "{body}");
        assert!(unmatched.contains(&json!("#4")));
        assert!(!res.text().contains(&id_of(&elsewhere)));
        // The page form does the same and shows the result.
        let c2 = {
            let mut other = contract_body(&town, &org);
            other["code"] = json!("BZ-ZK-2027-009");
            server
                .post("/api/v1/contracts")
                .authorization_bearer(&official)
                .json(&other)
                .await
                .json::<Value>()
        };
        let pid2 = c2["pid"].as_str().expect("pid").to_string();
        let page = server
            .post(&format!("/contracts/{pid2}/recipients/import"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("id_numbers", column.as_str())])
            .await;
        assert_eq!(page.status_code(), StatusCode::OK, "{}", page.text());
        assert!(page.text().contains("#4"));
        let covered: Value = server
            .get(&format!("/api/v1/contracts/{pid2}/recipients"))
            .authorization_bearer(&official)
            .await
            .json();
        assert_eq!(covered["page"]["total"], 2);
        // Nothing pasted, or someone else's township: refused.
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/recipients"))
            .authorization_bearer(&official)
            .json(&json!({"id_numbers": [" "]}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post(&format!("/contracts/{pid2}/recipients/import"))
            .add_header("cookie", session(&ctx, "official2@doudi.test").await)
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("id_numbers", column.as_str())])
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
    })
    .await;
}
