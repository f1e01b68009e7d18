//! Accepted periods are closed on every path (visits, plans, amendments,
//! reassignments, household moves), approvals and acceptances check each
//! other, and history and kept totals follow every change.
use crate::support::builders::{completed, contract_body, kept_is_rebuilt, person, planned, visit};
use crate::support::*;
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate};
use doudi::models::{
    _entities::{contract_versions, contracts, service_plans, visits},
    fulfilment,
    visit_logs::{mark_overdue, DoorRules},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

/// A contract over the last sixty days and the next sixty covering
/// 单秀英, in force, with the last thirty days up to yesterday accepted.
/// Returns (contract pid, official token, period end).
async fn accepted_contract(
    server: &axum_test::TestServer,
    ctx: &loco_rs::app::AppContext,
    accept: bool,
) -> (String, String, NaiveDate) {
    let official = token(ctx, "official@doudi.test").await;
    let town = township_pid(ctx, "曾口镇").await.to_string();
    let org = organization_pid(ctx, SUNSHINE).await.to_string();
    let today = doudi::models::today();
    let mut body = contract_body(&town, &org);
    body["starts_on"] = json!((today - Duration::days(60)).to_string());
    body["ends_on"] = json!((today + Duration::days(60)).to_string());
    body["signed_on"] = json!((today - Duration::days(70)).to_string());
    let c: Value = server
        .post("/api/v1/contracts")
        .authorization_bearer(&official)
        .json(&body)
        .await
        .json();
    let pid = c["pid"].as_str().expect("pid").to_string();
    let a = person(ctx, "单秀英").await;
    let res = server
        .post(&format!("/api/v1/contracts/{pid}/recipients"))
        .authorization_bearer(&official)
        .json(&json!({"recipients": [a.pid]}))
        .await;
    assert!(res.status_code().is_success(), "{}", res.text());
    let res = server
        .post(&format!("/api/v1/contracts/{pid}/status"))
        .authorization_bearer(&official)
        .json(&json!({"status": "active"}))
        .await;
    assert!(res.status_code().is_success(), "{}", res.text());
    let d = |n: i64| (today - Duration::days(n)).to_string();
    visit(
        ctx,
        &a,
        &d(20),
        "completed",
        false,
        false,
        None,
        &[("daily_care", 45)],
        &[],
    )
    .await;
    let end = today - Duration::days(1);
    if accept {
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/acceptances"))
            .authorization_bearer(&official)
            .json(&json!({"period_start": d(30), "period_end": end.to_string()}))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    }
    (pid, official, end)
}

#[tokio::test]
async fn an_accepted_period_is_closed_on_every_path() {
    with_app(|server, ctx| async move {
        let (pid, _official, end) = accepted_contract(&server, &ctx, true).await;
        let c = contracts::Entity::find()
            .filter(contracts::Column::Pid.eq(uuid::Uuid::parse_str(&pid).expect("pid")))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("c");
        let now = chrono::Utc::now();
        let figures = || async {
            serde_json::to_value(
                fulfilment::report(&ctx.db, &c, end, now)
                    .await
                    .expect("report"),
            )
            .expect("json")
        };
        let frozen = figures().await;
        let a = person(&ctx, "单秀英").await;
        let coordinator = token(&ctx, "coordinator@doudi.test").await;
        let w = token(&ctx, "worker@doudi.test").await;
        let worker = user(&ctx, "worker@doudi.test").await;
        // Created: an ad-hoc visit dated inside the period, by the
        // coordinator and on the page.
        let three_days_ago = (doudi::models::today() - Duration::days(3)).to_string();
        let res = server
            .post("/api/v1/visits")
            .authorization_bearer(&coordinator)
            .add_header("accept-language", "zh-CN")
            .json(
                &json!({"recipient": a.pid, "worker": worker.pid, "reason": "补录",
                          "starts_at": format!("{three_days_ago}T10:00")}),
            )
            .await;
        assert_eq!(
            res.status_code(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        let msg = res.json::<Value>()["errors"]["starts_at"][0]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(msg.contains("验收"), "{msg}");
        // A visit that reached the period anyway (created while the
        // acceptance was being decided): it cannot be checked in,
        // submitted, corrected or cancelled, and the overdue job locks it
        // instead of counting it missed.
        let day = |n: i64| (doudi::models::today() - Duration::days(n)).to_string();
        let stray = visit(&ctx, &a, &day(2), "scheduled", false, false, None, &[], &[]).await;
        let logged = visit(
            &ctx,
            &a,
            &day(4),
            "in_progress",
            false,
            false,
            None,
            &[],
            &[],
        )
        .await;
        for (v, action, who, body) in [
            (
                &stray,
                "check_in",
                &w,
                json!({"location_reason": "no_gps_signal"}),
            ),
            (
                &stray,
                "submission",
                &w,
                json!({"outcome": "cancelled", "notes": "老人住院"}),
            ),
            (
                &stray,
                "cancel",
                &coordinator,
                json!({"reason": "老人住院"}),
            ),
            (&logged, "submission", &w, completed()),
        ] {
            let res = server
                .post(&format!("/api/v1/visits/{}/{action}", v.pid))
                .authorization_bearer(who)
                .json(&body)
                .await;
            assert_eq!(
                res.status_code(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{action}: {}",
                res.text()
            );
        }
        let (_, missed) = mark_overdue(&ctx.db, DoorRules::default(), chrono::Utc::now())
            .await
            .expect("job");
        assert_eq!(missed, 0);
        let stray = visits::Entity::find_by_id(stray.id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("v");
        assert_eq!(stray.status, "scheduled");
        assert!(stray.locked_at.is_some(), "locked by the overdue job");
        // The live figures of the accepted period did not move.
        assert_eq!(figures().await, frozen);
        kept_is_rebuilt(&ctx, "paths into an accepted period").await;
    })
    .await;
}

#[tokio::test]
async fn approvals_and_acceptances_check_each_other_when_decided() {
    with_app(|server, ctx| async move {
        let (pid, official, end) = accepted_contract(&server, &ctx, false).await;
        let url = |p: &str| format!("/api/v1/contracts/{pid}{p}");
        let today = doudi::models::today();
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        let mut change = contract_body(&town, &org);
        change["starts_on"] = json!((today - Duration::days(60)).to_string());
        change["ends_on"] = json!((today + Duration::days(60)).to_string());
        change["signed_on"] = json!((today - Duration::days(70)).to_string());
        change["items"][0]["quantity"] = json!(12);
        change["reason"] = json!("补充");
        change["effective_on"] = json!((today - Duration::days(5)).to_string());
        let res = server.post(&url("/amendments")).authorization_bearer(&official).json(&change).await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let amendment = res.json::<Value>()["pid"].as_str().expect("pid").to_string();
        // The period is accepted while the amendment awaits a decision
        // (proposed before, so allowed then) ...
        let period = json!({"period_start": (today - Duration::days(30)).to_string(), "period_end": end.to_string()});
        let res = server
            .post(&url("/acceptances"))
            .authorization_bearer(&official)
            .json(&period)
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        // ... so at decision time the amendment reaches back into an
        // accepted period and cannot be approved.
        let res = server
            .post(&url(&format!("/amendments/{amendment}/approve")))
            .authorization_bearer(&token(&ctx, "admin@doudi.test").await)
            .add_header("accept-language", "zh-CN")
            .json(&json!({"note": "同意"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text());
        assert!(res.json::<Value>()["errors"]["effective_on"].is_array(), "{}", res.text());
        // A second acceptance decided against the first: overlapping, refused.
        let res = server
            .post(&url("/acceptances"))
            .authorization_bearer(&official)
            .json(&period)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text());
        let still = contract_versions::Entity::find()
            .filter(contract_versions::Column::Pid.eq(uuid::Uuid::parse_str(&amendment).expect("pid")))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("amendment");
        assert_eq!(still.status, "pending");
    })
    .await;
}

#[tokio::test]
async fn plan_changes_bulk_reassignment_and_household_moves_keep_history_and_totals() {
    with_app(|server, ctx| async move {
        doudi::demo::seed_story(&ctx.db, Duration::weeks(8))
            .await
            .expect("demo story");
        let (_pid, _official, _end) = accepted_contract(&server, &ctx, false).await;
        let list = planned(&server, &ctx).await;
        let plan_id = list.iter().find_map(|v| v.plan_id.filter(|_| v.starts_at > chrono::Utc::now())).expect("plan");
        let plan = service_plans::Entity::find_by_id(plan_id).one(&ctx.db).await.expect("q").expect("plan");
        let coordinator = token(&ctx, "coordinator@doudi.test").await;
        let ahead: Vec<&visits::Model> = list
            .iter()
            .filter(|v| v.plan_id == Some(plan_id) && v.starts_at > chrono::Utc::now())
            .collect();
        // One future visit cancelled, then the plan moved to 15:00 and
        // ended: the cancellation stays, as history.
        let res = server
            .post(&format!("/api/v1/visits/{}/cancel", ahead[1].pid))
            .authorization_bearer(&coordinator)
            .json(&json!({"reason": "老人住院"}))
            .await;
        assert!(res.status_code().is_success(), "{}", res.text());
        kept_is_rebuilt(&ctx, "a cancellation").await;
        let res = server
            .patch(&format!("/api/v1/service_plans/{}", plan.pid))
            .authorization_bearer(&coordinator)
            .json(&json!({"dtstart": format!("{}T15:00:00", doudi::models::today() + Duration::days(2)),
                          "reason": "老人午睡后方便", "confirm": true}))
            .await;
        assert!(res.status_code().is_success(), "{}", res.text());
        kept_is_rebuilt(&ctx, "a plan change").await;
        let res = server
            .post(&format!("/api/v1/service_plans/{}/end", plan.pid))
            .authorization_bearer(&coordinator)
            .json(&json!({"end_on": doudi::models::today().to_string(), "reason": "转由家属照料"}))
            .await;
        assert!(res.status_code().is_success(), "{}", res.text());
        kept_is_rebuilt(&ctx, "a plan ended").await;
        let cancelled = visits::Entity::find_by_id(ahead[1].id).one(&ctx.db).await.expect("q");
        assert_eq!(cancelled.map(|v| v.status), Some("cancelled".to_string()), "history is never deleted");
        // A worker off sick: a week of visits handed over.
        let worker = user(&ctx, "worker@doudi.test").await;
        let to = doudi::models::_entities::users::Entity::find()
            .filter(doudi::models::_entities::users::Column::OrganizationId.eq(worker.organization_id))
            .filter(doudi::models::_entities::users::Column::Role.eq("worker"))
            .filter(doudi::models::_entities::users::Column::Id.ne(worker.id))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("a colleague");
        let today = doudi::models::today();
        let res = server
            .post("/api/v1/visit_reassignments")
            .authorization_bearer(&coordinator)
            .json(&json!({"from_worker": worker.pid, "to_worker": to.pid, "from": today.to_string(),
                          "to": (today + Duration::days(7)).to_string(), "reason": "病假"}))
            .await;
        assert!(res.status_code().is_success(), "{}", res.text());
        assert!(res.json::<Value>()["reassigned"].as_u64().unwrap_or_default() >= 1);
        kept_is_rebuilt(&ctx, "a bulk reassignment").await;
        // A household moves to another village.
        let a = person(&ctx, "单秀英").await;
        let home = doudi::models::_entities::households::Entity::find_by_id(a.household_id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("home");
        let other_village = doudi::models::_entities::villages::Entity::find()
            .filter(doudi::models::_entities::villages::Column::TownshipId.eq(home.township_id))
            .filter(doudi::models::_entities::villages::Column::Id.ne(home.village_id))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("village");
        let res = server
            .patch(&format!("/api/v1/households/{}", home.pid))
            .authorization_bearer(&token(&ctx, "official@doudi.test").await)
            .json(&json!({"village": other_village.pid, "address": home.address, "phone": home.phone,
                          "assistance_status": home.assistance_status,
                          "status_since": home.status_since.map(|d| d.to_string()),
                          "status_until": home.status_until.map(|d| d.to_string())}))
            .await;
        assert!(res.status_code().is_success(), "{}", res.text());
        kept_is_rebuilt(&ctx, "a household move").await;
    })
    .await;
}
