//! At the door: checking in once, with the location or a reason.
use crate::support::*;
use axum::http::StatusCode;
use chrono::Datelike;
use doudi::models::_entities::{recipients, visit_submissions, visits};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde_json::{json, Value};

/// Home of 单秀英 for the test, and a plan with her visits for worker@.
async fn visits_for_worker(
    server: &axum_test::TestServer,
    ctx: &loco_rs::app::AppContext,
) -> Vec<visits::Model> {
    let r = recipients::Entity::find()
        .filter(recipients::Column::Name.eq("单秀英"))
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("r");
    let mut am: recipients::ActiveModel = r.clone().into();
    am.latitude = Set(Some(31.85));
    am.longitude = Set(Some(106.75));
    am.update(&ctx.db).await.expect("home");
    let today = doudi::models::today();
    let monday =
        today + chrono::Duration::days(i64::from(7 - today.weekday().num_days_from_monday()));
    let res = server
        .post("/api/v1/service_plans")
        .authorization_bearer(&token(ctx, "coordinator@doudi.test").await)
        .json(&json!({
            "recipient": r.pid,
            "worker": user(ctx, "worker@doudi.test").await.pid,
            "services": ["daily_care"],
            "dtstart": format!("{monday}T09:00:00"),
            "rrule": "FREQ=DAILY;COUNT=5",
        }))
        .await;
    assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    visits::Entity::find()
        .order_by_asc(visits::Column::StartsAt)
        .all(&ctx.db)
        .await
        .expect("visits")
}

#[tokio::test]
async fn a_check_in_is_recorded_once_with_its_distance_or_a_reason() {
    with_app(|server, ctx| async move {
        let list = visits_for_worker(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        let url = |v: &visits::Model| format!("/api/v1/visits/{}/check_in", v.pid);
        let client = uuid::Uuid::new_v4();
        // About 100 m east of the home.
        let body = json!({"client_id": client, "device_time": "2026-12-07T09:01:00+08:00",
                          "latitude": 31.85, "longitude": 106.751_06, "accuracy": 12.0});
        let first = server
            .post(&url(&list[0]))
            .authorization_bearer(&w)
            .json(&body)
            .await;
        assert_eq!(first.status_code(), StatusCode::OK, "{}", first.text());
        let v: Value = first.json();
        assert_eq!(v["status"], "in_progress");
        assert_eq!(v["location_exception"], false);
        let d = v["distance_m"].as_f64().expect("distance");
        assert!((90.0..=110.0).contains(&d), "{d}");
        let audits = audit_count(&ctx, "update", "visits").await;
        // The same submission again (a network cut): the first answer,
        // nothing new.
        let again = server
            .post(&url(&list[0]))
            .authorization_bearer(&w)
            .json(&body)
            .await;
        assert_eq!(again.status_code(), StatusCode::OK);
        assert_eq!(again.header("idempotent-replay"), "true");
        assert_eq!(again.json::<Value>(), v);
        assert_eq!(audit_count(&ctx, "update", "visits").await, audits);
        assert_eq!(
            visit_submissions::Entity::find()
                .count(&ctx.db)
                .await
                .expect("n"),
            1
        );
        // A new submission to check in twice is refused.
        let mut twice = body.clone();
        twice["client_id"] = json!(uuid::Uuid::new_v4());
        let res = server
            .post(&url(&list[0]))
            .authorization_bearer(&w)
            .json(&twice)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);

        // 2 km away: a reason is needed.
        let far =
            json!({"client_id": uuid::Uuid::new_v4(), "latitude": 31.868, "longitude": 106.75});
        let res = server
            .post(&url(&list[1]))
            .authorization_bearer(&w)
            .json(&far)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["location_reason"].is_array());
        let mut far = far;
        far["client_id"] = json!(uuid::Uuid::new_v4());
        far["location_reason"] = json!("met_at_hospital");
        let res = server
            .post(&url(&list[1]))
            .authorization_bearer(&w)
            .json(&far)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(res.json::<Value>()["location_exception"], true);
        assert_eq!(res.json::<Value>()["location_reason"], "met_at_hospital");
        // No location at all (permission refused, no signal).
        let res = server
            .post(&url(&list[2]))
            .authorization_bearer(&w)
            .json(&json!({"location_reason": "no_gps_signal"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        // Nonsense is a 422, never a 500.
        for bad in [
            json!({"latitude": 95.0, "longitude": 106.0, "location_reason": "other"}),
            json!({"latitude": 31.0}),
            json!({"client_id": "not-a-uuid"}),
            json!({"device_time": "yesterday", "location_reason": "no_gps_signal"}),
            json!({"location_reason": "aliens"}),
        ] {
            let res = server
                .post(&url(&list[3]))
                .authorization_bearer(&w)
                .json(&bad)
                .await;
            assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        }
        // Someone else's submission id is not theirs to replay.
        let res = server
            .post(&url(&list[3]))
            .authorization_bearer(&token(&ctx, "admin@doudi.test").await)
            .json(&body)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        // Only the assigned worker checks in.
        for who in [
            "coordinator@doudi.test",
            "worker1@doudi.test",
            "coordinator2@doudi.test",
            "official@doudi.test",
        ] {
            let res = server
                .post(&url(&list[3]))
                .authorization_bearer(&token(&ctx, who).await)
                .json(&json!({"location_reason": "no_gps_signal"}))
                .await;
            assert_eq!(res.status_code(), StatusCode::NOT_FOUND, "{who}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_same_submission_sent_twice_at_once_lands_once() {
    with_app(|server, ctx| async move {
        let list = visits_for_worker(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        let body = json!({"client_id": uuid::Uuid::new_v4(), "location_reason": "no_gps_signal"});
        let url = format!("/api/v1/visits/{}/check_in", list[0].pid);
        let (a, b) = tokio::join!(
            server.post(&url).authorization_bearer(&w).json(&body),
            server.post(&url).authorization_bearer(&w).json(&body)
        );
        assert_eq!(a.status_code(), StatusCode::OK, "{}", a.text());
        assert_eq!(b.status_code(), StatusCode::OK, "{}", b.text());
        assert_eq!(a.json::<Value>(), b.json::<Value>());
        assert_eq!(
            visit_submissions::Entity::find()
                .count(&ctx.db)
                .await
                .expect("n"),
            1
        );
    })
    .await;
}
