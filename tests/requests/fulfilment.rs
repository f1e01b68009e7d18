//! Fulfilment of a contract: a contract with three items, two covered
//! recipients and a known set of visits (covered and not, inside and
//! outside the period, every outcome), every figure worked out by hand; and
//! the kept totals following every write to a visit.
use crate::support::builders::{completed, contract_body, kept_is_rebuilt, person, visit};
use crate::support::*;
use axum::http::StatusCode;
use chrono::{NaiveDate, TimeZone};
use doudi::models::{
    _entities::{contracts, service_plans, visits},
    fulfilment,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

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
            // The missed visit of 15 January was flagged late too: missed
            // is not also late, so only 20 January's counts.
            (4, 1, 0, 1, 1, 1, 1)
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
            [66.7, 16.7, 16.7, 16.7, 16.7]
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
            .json(&completed())
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

/// Compliance counted in the database (people covered over every judged
/// month read from the months index alone, the others joined to their
/// coverage month by month, all of them so when there are many) equals the
/// per-person count, with nobody, a few and many people covered for only
/// part of the judged months.
#[tokio::test]
async fn compliance_agrees_however_many_people_are_partly_covered() {
    use doudi::models::_entities::contract_recipients;
    use sea_orm::{QueryOrder, QuerySelect};
    with_app(|_server, ctx| async move {
        let vault = doudi::vault::Vault::of(&ctx).expect("vault");
        doudi::demo::perf_seed(&ctx.db, &vault, 2_000, 7)
            .await
            .expect("perf seed");
        doudi::demo::perf_visits(&ctx.db, 6_000, 7)
            .await
            .expect("perf visits");
        // The contract of the seeded township (the others cover the demo
        // townships' few people).
        let (busiest, _): (i64, i64) = contract_recipients::Entity::find()
            .select_only()
            .column(contract_recipients::Column::ContractId)
            .column_as(contract_recipients::Column::Id.count(), "n")
            .group_by(contract_recipients::Column::ContractId)
            .order_by_desc(contract_recipients::Column::Id.count())
            .into_tuple()
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("a perf contract");
        let c = contracts::Entity::find_by_id(busiest)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("the contract");
        // One completed visit a month is enough: many meet it, many do not.
        let c = contracts::ActiveModel {
            id: Set(c.id),
            min_visits_per_month: Set(Some(1)),
            ..Default::default()
        }
        .update(&ctx.db)
        .await
        .expect("term");
        let today = doudi::models::today();
        let now = chrono::Utc::now();
        let people: Vec<i64> = contract_recipients::Entity::find()
            .select_only()
            .column(contract_recipients::Column::Id)
            .filter(contract_recipients::Column::ContractId.eq(c.id))
            .order_by_asc(contract_recipients::Column::Id)
            .into_tuple()
            .all(&ctx.db)
            .await
            .expect("coverage");
        assert!(people.len() > 600, "{}", people.len());
        let mid = c.starts_on + chrono::Duration::days(100);
        let mut done = 0;
        for partly in [0, 7, 600] {
            // Take the next people on from the middle of the period.
            for id in &people[done..partly] {
                contract_recipients::ActiveModel {
                    id: Set(*id),
                    covered_from: Set(Some(mid)),
                    ..Default::default()
                }
                .update(&ctx.db)
                .await
                .expect("cover");
            }
            done = done.max(partly);
            fulfilment::rebuild(&ctx.db, &c).await.expect("rebuild");
            let kept = fulfilment::report(&ctx.db, &c, today, now)
                .await
                .expect("report");
            let each = fulfilment::report_with_shortfalls(&ctx.db, &c, today, now)
                .await
                .expect("report");
            assert!(kept.compliance.judged > 0 && kept.compliance.met > 0);
            assert_eq!(
                (kept.compliance.judged, kept.compliance.met),
                (each.compliance.judged, each.compliance.met),
                "{partly} partly covered"
            );
            let batched = fulfilment::reports(&ctx.db, std::slice::from_ref(&c), today, now)
                .await
                .expect("reports");
            assert_eq!(
                figures(&batched[0]),
                figures(&kept),
                "{partly} partly covered"
            );
        }
    })
    .await;
}

/// Every counted visit changes `fulfilment_months.completed`, so no index
/// may hold it (each submission would move an entry; migration 40 dropped
/// the one migration 39 added). The compliance count reads the unique
/// `(contract_id, month, recipient_id)` index and the rows.
#[tokio::test]
async fn no_index_holds_the_count_every_visit_changes() {
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
    with_app(|_server, ctx| async move {
        let backend = ctx.db.get_database_backend();
        let sql = match backend {
            DatabaseBackend::Sqlite => {
                "SELECT sql FROM sqlite_master WHERE type = 'index' \
                 AND tbl_name = 'fulfilment_months' AND sql IS NOT NULL"
            }
            _ => "SELECT indexdef FROM pg_indexes WHERE tablename = 'fulfilment_months'",
        };
        let defs: Vec<String> = ctx
            .db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .expect("indexes")
            .iter()
            .map(|r| r.try_get_by_index(0).expect("text"))
            .collect();
        assert!(
            defs.iter()
                .any(|d| d.contains("UNIQUE") && d.contains("recipient_id")),
            "the unique months index: {defs:?}"
        );
        assert!(
            defs.iter().all(|d| !d.contains("completed")),
            "no index holds completed: {defs:?}"
        );
    })
    .await;
}

/// The rows of `sql`, two columns each: a text and a number.
async fn text_and_number(ctx: &loco_rs::app::AppContext, sql: String) -> Vec<(String, i64)> {
    use sea_orm::{ConnectionTrait, Statement};
    ctx.db
        .query_all_raw(Statement::from_string(ctx.db.get_database_backend(), sql))
        .await
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r.try_get_by_index(0).expect("text"),
                r.try_get_by_index(1).expect("number"),
            )
        })
        .collect()
}

/// The contract's kept rows: id and figures, by table and key.
async fn kept_rows(ctx: &loco_rs::app::AppContext, c: &contracts::Model) -> Vec<(String, i64)> {
    let sql = format!(
        "SELECT 'd|' || CAST(day AS TEXT) || '|' || kind || '|' || key || '|' || donor || '|' \
         || CAST(n AS TEXT) || '|' || CAST(late AS TEXT) || '|' || CAST(exceptions AS TEXT), id \
         FROM fulfilment_days WHERE contract_id = {0} \
         UNION ALL SELECT 'm|' || CAST(recipient_id AS TEXT) || '|' || month || '|' \
         || CAST(completed AS TEXT), id FROM fulfilment_months WHERE contract_id = {0} \
         ORDER BY 1",
        c.id
    );
    text_and_number(ctx, sql).await
}

/// A rebuild writes only what differs from the kept rows: after a rebuild
/// that changes nothing every row is the one it was (same id); a row that
/// drifted is put right, a row counting never makes and a row at nothing
/// go; lines whose text JSON must escape (quotes, backslashes, brackets)
/// are read back as written.
#[tokio::test]
async fn a_rebuild_writes_only_what_differs_from_the_kept_rows() {
    use doudi::models::_entities::contract_recipients;
    use sea_orm::{ConnectionTrait, Statement};
    with_app(|_server, ctx| async move {
        doudi::demo::seed_story(&ctx.db, chrono::Duration::weeks(8))
            .await
            .expect("demo story");
        let worker = user(&ctx, "worker@doudi.test").await;
        let today = doudi::models::today();
        let mut found = None;
        for c in contracts::Entity::find().all(&ctx.db).await.expect("q") {
            if Some(c.organization_id) != worker.organization_id
                || c.starts_on > today - chrono::Duration::days(3)
                || c.ends_on < today
            {
                continue;
            }
            let covered = contract_recipients::Entity::find()
                .filter(contract_recipients::Column::ContractId.eq(c.id))
                .filter(contract_recipients::Column::CoveredFrom.is_null())
                .filter(contract_recipients::Column::CoveredUntil.is_null())
                .one(&ctx.db)
                .await
                .expect("q");
            if let Some(cr) = covered {
                found = Some((c, cr.recipient_id));
                break;
            }
        }
        let (c, recipient) = found.expect("a contract of worker@'s organisation in force");
        let r = doudi::models::_entities::recipients::Entity::find_by_id(recipient)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("r");
        let donor = r#"巴中"慈善"\总会 [1], {x}"#;
        let day = (today - chrono::Duration::days(2)).to_string();
        visit(
            &ctx,
            &r,
            &day,
            "completed",
            false,
            false,
            None,
            &[("daily_care", 45), ("home_visit", 10)],
            &[("food", 1_234, "donation", Some(donor)), ("food", 500, "contract", None)],
        )
        .await;
        kept_is_rebuilt(&ctx, "a donor JSON must escape").await;
        let before = kept_rows(&ctx, &c).await;
        assert!(
            before.iter().any(|(k, _)| k.contains(donor)),
            "the donor's row: {before:?}"
        );
        fulfilment::rebuild(&ctx.db, &c).await.expect("rebuild");
        assert_eq!(kept_rows(&ctx, &c).await, before, "nothing rewritten");
        // A drifted row, a row counting never makes, a row at nothing.
        let backend = ctx.db.get_database_backend();
        let (drifted, id) = before
            .iter()
            .find(|(k, _)| k.starts_with("d|") && k.contains("|status|completed|"))
            .cloned()
            .expect("a completed row");
        for sql in [
            format!("UPDATE fulfilment_days SET n = n + 5 WHERE id = {id}"),
            format!(
                "INSERT INTO fulfilment_days (contract_id, day, kind, key, donor, n, late, exceptions) \
                 VALUES ({}, '{}', 'status', 'refused', '', 3, 1, 0)",
                c.id, c.starts_on
            ),
            format!(
                "INSERT INTO fulfilment_months (contract_id, recipient_id, month, completed) \
                 VALUES ({}, {recipient}, '1999-01', 0)",
                c.id
            ),
        ] {
            ctx.db
                .execute_raw(Statement::from_string(backend, sql))
                .await
                .expect("change");
        }
        assert_ne!(kept_rows(&ctx, &c).await, before);
        fulfilment::rebuild(&ctx.db, &c).await.expect("rebuild");
        assert_eq!(
            kept_rows(&ctx, &c).await,
            before,
            "put right, {drifted} in place"
        );
    })
    .await;
}

/// A rebuild writes a contract's month rows in the order of their unique
/// index (contract, month, recipient), so a month's rows lie together: on
/// SQLite a row's place in the table follows the order of writing, and
/// the compliance count reads a month through that index (README →
/// Benchmarks, "The rebuild rewritten"). Ids follow the order of writing
/// on both databases.
#[tokio::test]
async fn a_rebuild_writes_month_rows_in_the_order_of_their_index() {
    use sea_orm::{ConnectionTrait, Statement};
    with_app(|_server, ctx| async move {
        doudi::demo::seed_story(&ctx.db, chrono::Duration::weeks(10))
            .await
            .expect("demo story");
        let backend = ctx.db.get_database_backend();
        let mut checked = 0;
        for c in contracts::Entity::find().all(&ctx.db).await.expect("q") {
            ctx.db
                .execute_raw(Statement::from_string(
                    backend,
                    format!("DELETE FROM fulfilment_months WHERE contract_id = {}", c.id),
                ))
                .await
                .expect("delete");
            fulfilment::rebuild(&ctx.db, &c).await.expect("rebuild");
            let rows = text_and_number(
                &ctx,
                format!(
                    "SELECT month, recipient_id FROM fulfilment_months \
                     WHERE contract_id = {} ORDER BY id",
                    c.id
                ),
            )
            .await;
            let mut sorted = rows.clone();
            sorted.sort();
            assert_eq!(
                rows, sorted,
                "contract {}: written by (month, recipient)",
                c.id
            );
            let months: std::collections::BTreeSet<_> = rows.iter().map(|r| &r.0).collect();
            let recipients: std::collections::BTreeSet<_> = rows.iter().map(|r| r.1).collect();
            if months.len() > 1 && recipients.len() > 1 {
                checked += 1;
            }
        }
        assert!(checked > 0, "a contract with several months and recipients");
        kept_is_rebuilt(&ctx, "after the rebuilds").await;
    })
    .await;
}
