//! The dashboard's batched fulfilment (`fulfilment::reports`,
//! `fulfilment::monthly_of_all`) gives, for every contract at once, the
//! same figures as the one-contract path (`fulfilment::report`,
//! `fulfilment::monthly`): the demo county's contracts and one more with
//! visits and an approved amendment (two stretches of terms), on several
//! days.
use crate::support::builders::{contract_body, person, visit};
use crate::support::*;
use axum::http::StatusCode;
use chrono::{NaiveDate, TimeZone};
use doudi::models::{_entities::contracts, fulfilment};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{json, Value};

/// An active contract over September to December 2026 covering 单秀英,
/// with visits in September and October and an amendment from 15 October
/// (daily care dearer, one visit a month enough).
async fn amended_contract(server: &axum_test::TestServer, ctx: &loco_rs::app::AppContext) {
    let official = token(ctx, "official@doudi.test").await;
    let town = township_pid(ctx, "曾口镇").await.to_string();
    let org = organization_pid(ctx, SUNSHINE).await.to_string();
    let mut body = contract_body(&town, &org);
    body["code"] = json!("BZ-ZK-2026-B1");
    body["starts_on"] = json!("2026-09-01");
    body["ends_on"] = json!("2026-12-31");
    body["signed_on"] = json!("2026-08-20");
    let res = server
        .post("/api/v1/contracts")
        .authorization_bearer(&official)
        .json(&body)
        .await;
    assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    let pid = res.json::<Value>()["pid"]
        .as_str()
        .expect("pid")
        .to_string();
    let who = person(ctx, "单秀英").await;
    let res = server
        .post(&format!("/api/v1/contracts/{pid}/recipients"))
        .authorization_bearer(&official)
        .json(&json!({"recipients": [who.pid]}))
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
    let res = server
        .post(&format!("/api/v1/contracts/{pid}/status"))
        .authorization_bearer(&official)
        .json(&json!({"status": "active"}))
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
    for (i, day) in [
        "2026-09-03",
        "2026-09-17",
        "2026-10-08",
        "2026-10-20",
        "2026-11-05",
    ]
    .iter()
    .enumerate()
    {
        let status = if i == 3 { "missed" } else { "completed" };
        visit(
            ctx,
            &who,
            day,
            status,
            i % 2 == 0,
            i == 1,
            None,
            &[("daily_care", 40), ("emotional_support", 30)],
            &[("food", 5000, "contract", None)],
        )
        .await;
    }
    let mut change = body.clone();
    change["items"][0]["unit_price"] = json!("60.00");
    change["min_visits_per_month"] = json!(1);
    change["reason"] = json!("单价调整");
    change["effective_on"] = json!("2026-10-15");
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
        .authorization_bearer(&token(ctx, "admin@doudi.test").await)
        .json(&json!({"note": "同意"}))
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
}

#[tokio::test]
async fn batched_reports_equal_one_contract_reports_for_every_contract() {
    with_app(|server, ctx| async move {
        doudi::demo::seed_story(&ctx.db, chrono::Duration::weeks(8))
            .await
            .expect("demo story");
        amended_contract(&server, &ctx).await;
        let all = contracts::Entity::find()
            .order_by_asc(contracts::Column::Id)
            .all(&ctx.db)
            .await
            .expect("contracts");
        assert!(all.len() >= 3, "{} contracts", all.len());
        let real_today = chrono::Utc::now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive();
        let days = [
            NaiveDate::from_ymd_opt(2026, 9, 20).expect("day"),
            NaiveDate::from_ymd_opt(2026, 10, 31).expect("day"),
            real_today,
            real_today + chrono::Duration::days(40),
            NaiveDate::from_ymd_opt(2027, 6, 30).expect("day"),
        ];
        let mut figures_seen = 0;
        for today in days {
            // Early in the day and at the real time (what is still
            // scheduled differs).
            for now in [
                chrono::Utc.from_utc_datetime(&today.and_hms_opt(1, 0, 0).expect("time")),
                chrono::Utc::now(),
            ] {
                let batched = fulfilment::reports(&ctx.db, &all, today, now)
                    .await
                    .expect("reports");
                assert_eq!(batched.len(), all.len());
                for (c, b) in all.iter().zip(&batched) {
                    let single = fulfilment::report(&ctx.db, c, today, now)
                        .await
                        .expect("report");
                    let (one, many) = (
                        serde_json::to_value(&single).expect("json"),
                        serde_json::to_value(b).expect("json"),
                    );
                    assert_eq!(one, many, "{} on {today} at {now}", c.code);
                    figures_seen += single.visits.completed + single.rates.due;
                }
            }
            let months = fulfilment::monthly_of_all(&ctx.db, &all, today)
                .await
                .expect("monthly");
            for (c, m) in all.iter().zip(&months) {
                let single = fulfilment::monthly(&ctx.db, c, today)
                    .await
                    .expect("monthly");
                assert_eq!(
                    serde_json::to_value(&single).expect("json"),
                    serde_json::to_value(m).expect("json"),
                    "{} on {today}",
                    c.code
                );
            }
        }
        // The comparison was not of empty reports.
        assert!(figures_seen > 0);
        // One contract alone, and none.
        let one = fulfilment::reports(&ctx.db, &all[..1], days[2], chrono::Utc::now())
            .await
            .expect("reports");
        assert_eq!(one.len(), 1);
        assert!(
            fulfilment::reports(&ctx.db, &[], days[2], chrono::Utc::now())
                .await
                .expect("reports")
                .is_empty()
        );
    })
    .await;
}
