//! Integrity: bounded input, one funnel for visit writes (the loser of a
//! race is told), accepted periods closed on every path, history kept.
use crate::support::builders::{completed, contract_body, kept_is_rebuilt, person, planned, visit};
use crate::support::*;
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate};
use doudi::models::{
    _entities::{contract_versions, contracts, service_plans, visits},
    fulfilment,
    visit_logs::{mark_overdue, DoorRules},
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::{json, Value};

async fn check_in(server: &axum_test::TestServer, w: &str, v: &visits::Model) {
    let res = server
        .post(&format!("/api/v1/visits/{}/check_in", v.pid))
        .authorization_bearer(w)
        .json(&json!({"location_reason": "no_gps_signal"}))
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
}

#[tokio::test]
async fn two_different_submissions_of_one_visit_sent_at_once_one_wins() {
    with_app(|server, ctx| async move {
        let list = planned(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        check_in(&server, &w, &list[0]).await;
        let url = format!("/api/v1/visits/{}/submission", list[0].pid);
        let mut other = completed();
        other["client_id"] = json!(uuid::Uuid::new_v4());
        other["notes"] = json!("另一台手机");
        let (a, b) = tokio::join!(
            server
                .post(&url)
                .authorization_bearer(&w)
                .json(&completed()),
            server.post(&url).authorization_bearer(&w).json(&other)
        );
        let codes = [a.status_code(), b.status_code()];
        assert_eq!(
            codes.iter().filter(|c| **c == StatusCode::OK).count(),
            1,
            "exactly one wins: {} / {}",
            a.text(),
            b.text()
        );
        let loser = if a.status_code() == StatusCode::OK {
            &b
        } else {
            &a
        };
        assert!(
            [StatusCode::CONFLICT, StatusCode::UNPROCESSABLE_ENTITY].contains(&loser.status_code()),
            "{}",
            loser.text()
        );
        // One record: one submission stored, one audit entry of it, no
        // amendment made by the loser.
        let subs = doudi::models::_entities::visit_submissions::Entity::find()
            .filter(doudi::models::_entities::visit_submissions::Column::Action.eq("submit"))
            .count(&ctx.db)
            .await
            .expect("n");
        assert_eq!(subs, 1);
        let amendments = doudi::models::_entities::visit_amendments::Entity::find()
            .count(&ctx.db)
            .await
            .expect("n");
        assert_eq!(amendments, 0);
        kept_is_rebuilt_or_empty(&ctx).await;
    })
    .await;
}

/// Kept totals equal a rebuild (there may be none kept at all).
async fn kept_is_rebuilt_or_empty(ctx: &loco_rs::app::AppContext) {
    use sea_orm::{ConnectionTrait, Statement};
    let row = ctx
        .db
        .query_one_raw(Statement::from_string(
            ctx.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM fulfilment_days WHERE n <> 0",
        ))
        .await
        .expect("count")
        .expect("row");
    let any: i64 = row.try_get("", "n").expect("n");
    if any > 0 {
        kept_is_rebuilt(ctx, "after the race").await;
    }
}

#[tokio::test]
async fn a_stale_write_is_refused_with_409_and_a_message() {
    use doudi::models::{visit_logs, Actor};
    with_app(|server, ctx| async move {
        let list = planned(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        let stale = list[0].clone();
        check_in(&server, &w, &list[0]).await;
        // A writer still holding the copy from before the check-in loses.
        let txn = sea_orm::TransactionTrait::begin(&ctx.db)
            .await
            .expect("txn");
        let err = visit_logs::check_in(
            &txn,
            &Actor::system("test"),
            &stale,
            &visit_logs::CheckIn {
                location_reason: Some("no_gps_signal".into()),
                ..Default::default()
            },
            DoorRules::default(),
            chrono::Utc::now(),
        )
        .await
        .expect_err("stale");
        assert_eq!(err.status(), StatusCode::CONFLICT);
        assert_eq!(err.message_key(), "error-visit-changed");
        txn.rollback().await.expect("rollback");
        let zh = doudi::i18n::t(doudi::domain::locale::Locale::ZhCn, err.message_key());
        assert!(zh.contains("刷新"), "{zh}");
    })
    .await;
}

#[tokio::test]
async fn a_client_id_belongs_to_one_user_one_visit_and_one_action() {
    with_app(|server, ctx| async move {
        let list = planned(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        let id = uuid::Uuid::new_v4();
        let res = server
            .post(&format!("/api/v1/visits/{}/check_in", list[0].pid))
            .authorization_bearer(&w)
            .json(&json!({"client_id": id, "location_reason": "no_gps_signal"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        // The same id for another visit: refused, nothing checked in.
        let res = server
            .post(&format!("/api/v1/visits/{}/check_in", list[1].pid))
            .authorization_bearer(&w)
            .json(&json!({"client_id": id, "location_reason": "no_gps_signal"}))
            .await;
        assert_eq!(
            res.status_code(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        assert!(res.json::<Value>()["errors"]["client_id"].is_array());
        let second = visits::Entity::find_by_id(list[1].id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("v");
        assert_eq!(second.status, "scheduled");
        // The same id for another action on the same visit: refused, not
        // answered with the check-in.
        let mut body = completed();
        body["client_id"] = json!(id);
        let res = server
            .post(&format!("/api/v1/visits/{}/submission", list[0].pid))
            .authorization_bearer(&w)
            .json(&body)
            .await;
        assert_eq!(
            res.status_code(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        let first = visits::Entity::find_by_id(list[0].id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("v");
        assert_eq!(first.status, "in_progress");
        // Sent again as it was: the first answer, marked a replay.
        let res = server
            .post(&format!("/api/v1/visits/{}/check_in", list[0].pid))
            .authorization_bearer(&w)
            .json(&json!({"client_id": id, "location_reason": "no_gps_signal"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        assert_eq!(res.header("idempotent-replay"), "true");
    })
    .await;
}

#[tokio::test]
async fn two_overdue_runs_at_once_count_each_visit_missed_once_and_spare_a_check_in() {
    with_app(|server, ctx| async move {
        doudi::demo::seed_story(&ctx.db, Duration::weeks(8))
            .await
            .expect("demo story");
        let list = planned(&server, &ctx).await;
        // Two of the plan's visits moved to yesterday: nobody went.
        let yesterday = chrono::Utc::now() - Duration::days(1);
        for v in &list[..2] {
            let mut am: visits::ActiveModel = v.clone().into();
            am.starts_at = Set(yesterday.into());
            am.ends_at = Set((yesterday + Duration::hours(1)).into());
            am.update(&ctx.db).await.expect("moved");
        }
        // One of them is checked in after the fact just before the runs.
        let w = token(&ctx, "worker@doudi.test").await;
        check_in(&server, &w, &list[1]).await;
        let before_missed = visits::Entity::find()
            .filter(visits::Column::Status.eq("missed"))
            .count(&ctx.db)
            .await
            .expect("n");
        let now = chrono::Utc::now();
        let db2 = ctx.db.clone();
        let (a, b) = tokio::join!(
            mark_overdue(&ctx.db, DoorRules::default(), now),
            mark_overdue(&db2, DoorRules::default(), now)
        );
        let (a, b) = (a.expect("run a"), b.expect("run b"));
        let after_missed = visits::Entity::find()
            .filter(visits::Column::Status.eq("missed"))
            .count(&ctx.db)
            .await
            .expect("n");
        assert_eq!(a.1 + b.1, after_missed - before_missed, "each counted once");
        let first = visits::Entity::find_by_id(list[0].id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("v");
        assert_eq!(first.status, "missed");
        let second = visits::Entity::find_by_id(list[1].id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("v");
        assert_eq!(second.status, "in_progress", "a check-in is never reset");
        // One audit entry per visit marked missed.
        let entries = doudi::models::audit_logs::for_entity(&ctx.db, "visits", list[0].pid, 100)
            .await
            .expect("audit");
        let missed_entries = entries
            .iter()
            .filter(|e| e.changes.contains("\"missed\""))
            .count();
        assert_eq!(missed_entries, 1);
        kept_is_rebuilt(&ctx, "two overdue runs").await;
    })
    .await;
}

#[tokio::test]
async fn a_visit_log_with_too_many_lines_is_refused_naming_the_field_and_nothing_is_lost() {
    with_app(|server, ctx| async move {
        let list = planned(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        check_in(&server, &w, &list[0]).await;
        let url = format!("/api/v1/visits/{}/submission", list[0].pid);
        let line = json!({"service": "daily_care", "minutes": 5});
        for (field, n, max) in [
            ("services", 10_000, 50),
            ("services", 51, 50),
            ("materials", 51, 50),
            ("referrals", 11, 10),
        ] {
            let mut body = completed();
            body[field] = match field {
                "services" => json!(vec![line.clone(); n]),
                "materials" => json!(vec![body["materials"][0].clone(); n]),
                _ => json!(vec![json!({"kind": "health_risk", "note": "血压"}); n]),
            };
            let res = server.post(&url).authorization_bearer(&w).json(&body).await;
            assert_eq!(
                res.status_code(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{field} × {n}"
            );
            let errors = res.json::<Value>()["errors"].clone();
            let msg = errors[field][0].as_str().unwrap_or_default().to_string();
            assert!(msg.contains(&max.to_string()), "{field}: {errors}");
            // One message for the list, not one per line.
            assert_eq!(errors.as_object().map(|o| o.len()), Some(1), "{errors}");
        }
        // A body over the route's limit: 413 with the reason.
        let mut body = completed();
        body["notes"] = json!("很".repeat(400_000));
        let res = server
            .post(&url)
            .authorization_bearer(&w)
            .add_header("accept-language", "zh-CN")
            .json(&body)
            .await;
        assert_eq!(res.status_code(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(res.json::<Value>()["error"]
            .as_str()
            .unwrap_or_default()
            .contains("太大"));
        // The check-in stands; at the limit, the visit is logged.
        let mut body = completed();
        body["services"] = json!(vec![line; 50]);
        let res = server.post(&url).authorization_bearer(&w).json(&body).await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let ping = server.get("/_ping").await;
        assert_eq!(ping.status_code(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn every_list_in_a_request_has_a_maximum() {
    with_app(|server, ctx| async move {
        let official = token(&ctx, "official@doudi.test").await;
        let coordinator = token(&ctx, "coordinator@doudi.test").await;
        let admin = token(&ctx, "admin@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        let many = |n: usize| json!(vec![uuid::Uuid::new_v4(); n]);
        // Contract items, coverage.
        let mut body = contract_body(&town, &org);
        body["items"] = json!(vec![body["items"][0].clone(); 101]);
        let res = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&body)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.json::<Value>()["errors"]["items"].is_array(),
            "{}",
            res.text()
        );
        let c: Value = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&contract_body(&town, &org))
            .await
            .json();
        let res = server
            .post(&format!(
                "/api/v1/contracts/{}/recipients",
                c["pid"].as_str().expect("pid")
            ))
            .authorization_bearer(&official)
            .json(&json!({"recipients": many(5001)}))
            .await;
        assert_eq!(
            res.status_code(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        assert!(res.json::<Value>()["errors"]["recipients"].is_array());
        // Plans: services, skipped dates.
        let r = person(&ctx, "单秀英").await;
        let today = doudi::models::today();
        for (field, value) in [
            ("services", json!(vec!["daily_care"; 21])),
            ("exdates", json!(vec![format!("{today}T09:00:00"); 367])),
        ] {
            let mut plan = json!({
                "recipient": r.pid,
                "worker": user(&ctx, "worker@doudi.test").await.pid,
                "services": ["daily_care"],
                "dtstart": format!("{}T09:00:00", today + Duration::days(2)),
                "rrule": "FREQ=DAILY;COUNT=5",
            });
            plan[field] = value;
            let res = server
                .post("/api/v1/service_plans")
                .authorization_bearer(&coordinator)
                .json(&plan)
                .await;
            assert_eq!(
                res.status_code(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{field}"
            );
            assert!(
                res.json::<Value>()["errors"][field].is_array(),
                "{field}: {}",
                res.text()
            );
        }
        // An official's townships.
        let res = server
            .post("/api/v1/users")
            .authorization_bearer(&admin)
            .json(
                &json!({"name": "多镇干部", "email": "many@doudi.test", "role": "official",
                          "password": "long-enough-1", "townships": many(51)}),
            )
            .await;
        assert_eq!(
            res.status_code(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        assert!(
            res.json::<Value>()["errors"]["townships"].is_array(),
            "{}",
            res.text()
        );
    })
    .await;
}

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
            .authorization_bearer(&coordinator)
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

#[tokio::test]
async fn a_correction_made_on_an_outdated_copy_is_refused_and_an_ad_hoc_repeat_is_answered_once() {
    with_app(|server, ctx| async move {
        let list = planned(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        check_in(&server, &w, &list[0]).await;
        let res = server
            .post(&format!("/api/v1/visits/{}/submission", list[0].pid))
            .authorization_bearer(&w)
            .json(&completed())
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let url = format!("/api/v1/visits/{}/amendments", list[0].pid);
        let fix = |reason: &str, outcome: &str| {
            json!({"reason": reason, "outcome": outcome, "based_on": 0,
                   "client_id": uuid::Uuid::new_v4()})
        };
        let res = server
            .post(&url)
            .authorization_bearer(&w)
            .json(&fix("老人不在家", "attempted"))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        // A second phone still showing the record before that correction.
        let res = server
            .post(&url)
            .authorization_bearer(&w)
            .json(&fix("老人拒绝", "refused"))
            .await;
        assert_eq!(res.status_code(), StatusCode::CONFLICT, "{}", res.text());
        let v = visits::Entity::find_by_id(list[0].id).one(&ctx.db).await.expect("q").expect("v");
        assert_eq!(v.status, "attempted");
        // An ad-hoc visit sent twice (the first answer lost) lands once, and
        // the repeat is answered even when the visit could not be made now.
        let r = person(&ctx, "单秀英").await;
        let c = token(&ctx, "coordinator@doudi.test").await;
        let body = json!({"client_id": uuid::Uuid::new_v4(), "recipient": r.pid,
                          "worker": user(&ctx, "worker@doudi.test").await.pid, "reason": "电话求助"});
        let first = server.post("/api/v1/visits").authorization_bearer(&c).json(&body).await;
        assert_eq!(first.status_code(), StatusCode::CREATED, "{}", first.text());
        let again = server.post("/api/v1/visits").authorization_bearer(&c).json(&body).await;
        assert_eq!(again.header("idempotent-replay"), "true");
        assert_eq!(again.json::<Value>()["pid"], first.json::<Value>()["pid"]);
        let n = visits::Entity::find()
            .filter(visits::Column::AdHocReason.eq("电话求助"))
            .count(&ctx.db)
            .await
            .expect("n");
        assert_eq!(n, 1);
    })
    .await;
}

#[tokio::test]
async fn a_visit_changed_since_its_page_was_shown_is_not_changed_again_unseen() {
    with_app(|server, ctx| async move {
        let list = planned(&server, &ctx).await;
        let v = &list[0];
        let cookie = session(&ctx, "coordinator@doudi.test").await;
        let coordinator = token(&ctx, "coordinator@doudi.test").await;
        // The page carries the version it shows.
        let page = server
            .get(&format!("/visits/{}", v.pid))
            .add_header("cookie", cookie.clone())
            .await;
        assert!(
            page.text()
                .contains(&format!("name=\"version\" value=\"{}\"", v.version)),
            "{}",
            page.text()
        );
        // Meanwhile the visit is moved by someone else.
        let day = (doudi::models::today() + Duration::days(3)).to_string();
        let res = server
            .post(&format!("/api/v1/visits/{}/move", v.pid))
            .authorization_bearer(&coordinator)
            .json(&json!({"starts_at": format!("{day}T14:00:00"), "reason": "家属要求改期"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        // The cancel from the page shown before: the page again, as the
        // visit is now, with the reason typed and what happened.
        let res = server
            .post(&format!("/visits/{}/cancel", v.pid))
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[
                ("reason", "老人住院了"),
                ("version", &v.version.to_string()),
            ])
            .await;
        assert_eq!(res.status_code(), StatusCode::CONFLICT);
        let html = res.text();
        assert!(html.contains("刚被其他人或其他设备改过"), "{html}");
        assert!(html.contains("老人住院了"), "the reason typed is kept");
        assert!(html.contains("14:00"), "the visit as it is now");
        let now = visits::Entity::find_by_id(v.id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("v");
        assert_eq!(now.status, "scheduled");
        // Through the API: the same 409 with the version from an old answer.
        let res = server
            .post(&format!("/api/v1/visits/{}/cancel", v.pid))
            .authorization_bearer(&coordinator)
            .json(&json!({"reason": "老人住院", "version": v.version}))
            .await;
        assert_eq!(res.status_code(), StatusCode::CONFLICT, "{}", res.text());
        // With the version it shows now, it goes through.
        let res = server
            .post(&format!("/visits/{}/cancel", v.pid))
            .add_header("cookie", cookie)
            .add_header("sec-fetch-site", "same-origin")
            .form(&[
                ("reason", "老人住院了"),
                ("version", &now.version.to_string()),
            ])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER, "{}", res.text());
    })
    .await;
}
