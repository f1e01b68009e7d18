//! At the door: checking in once, with the location or a reason, measured
//! from the person's or the household's home; visits nobody checked in to
//! turn late, then missed.
use crate::support::builders::visits_for_worker;
use crate::support::*;
use axum::http::StatusCode;
use doudi::models::_entities::{recipients, visit_submissions, visits};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::{json, Value};

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
async fn a_household_visit_is_measured_from_the_households_home() {
    with_app(|server, ctx| async move {
        let r = recipients::Entity::find()
            .filter(recipients::Column::Name.eq("单秀英"))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("r");
        let h = doudi::models::_entities::households::Entity::find_by_id(r.household_id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("h");
        let mut am: recipients::ActiveModel = r.clone().into();
        am.latitude = Set(Some(31.85));
        am.longitude = Set(Some(106.75));
        am.update(&ctx.db).await.expect("home");
        let res = server
            .post("/api/v1/service_plans")
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .json(&json!({
                "household": h.pid,
                "worker": user(&ctx, "worker@doudi.test").await.pid,
                "services": ["home_visit"],
                "dtstart": "2027-01-04T09:00:00",
                "rrule": "FREQ=DAILY;COUNT=1",
            }))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let v = visits::Entity::find()
            .filter(visits::Column::RecipientId.is_null())
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("household visit");
        let w = token(&ctx, "worker@doudi.test").await;
        let url = format!("/api/v1/visits/{}/check_in", v.pid);
        // 2 km from the household's home: a reason is needed.
        let res = server
            .post(&url)
            .authorization_bearer(&w)
            .json(&json!({"latitude": 31.868, "longitude": 106.75}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["location_reason"].is_array());
        let res = server
            .post(&url)
            .authorization_bearer(&w)
            .json(&json!({"latitude": 31.8505, "longitude": 106.75}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let d = res.json::<Value>()["distance_m"]
            .as_f64()
            .expect("distance");
        assert!((50.0..=60.0).contains(&d), "{d}");
    })
    .await;
}

#[tokio::test]
async fn visits_nobody_checked_in_to_turn_late_then_missed_and_stay_late_when_logged() {
    use doudi::models::visit_logs::{mark_overdue, DoorRules};
    with_app(|server, ctx| async move {
        let list = visits_for_worker(&server, &ctx).await;
        // Move the first two visits into the past: one 30 minutes ago
        // (today), one yesterday.
        let now = chrono::Utc::now();
        let shift = |v: &visits::Model, at: chrono::DateTime<chrono::Utc>| {
            let mut am: visits::ActiveModel = v.clone().into();
            am.starts_at = Set(at.into());
            am.ends_at = Set((at + chrono::Duration::hours(1)).into());
            am
        };
        let today_start = chrono::Utc::now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let minutes_into_today = (now.with_timezone(&chrono_tz::Asia::Shanghai).naive_local()
            - today_start)
            .num_minutes();
        // Late needs a start after midnight today; skip the "today" part just after midnight.
        let late_case = minutes_into_today > 40;
        if late_case {
            shift(&list[0], now - chrono::Duration::minutes(30))
                .update(&ctx.db)
                .await
                .expect("a");
        }
        shift(
            &list[1],
            now - chrono::Duration::days(1) - chrono::Duration::hours(1),
        )
        .update(&ctx.db)
        .await
        .expect("b");
        let (late, missed) = mark_overdue(&ctx.db, DoorRules::default(), now)
            .await
            .expect("job");
        assert_eq!(missed, 1);
        assert!(late >= u64::from(late_case));
        // Again: nothing new.
        let (late2, missed2) = mark_overdue(&ctx.db, DoorRules::default(), now)
            .await
            .expect("job");
        assert_eq!((late2, missed2), (0, 0));
        let c = token(&ctx, "coordinator@doudi.test").await;
        let res = server
            .get("/api/v1/visits?flag=missed")
            .authorization_bearer(&c)
            .await;
        assert_eq!(res.json::<Value>()["page"]["total"], 1);
        if late_case {
            let res = server
                .get("/api/v1/visits?flag=late")
                .authorization_bearer(&c)
                .await;
            assert_eq!(res.json::<Value>()["page"]["total"], 1);
        }
        let res = server
            .get("/api/v1/visits?flag=nonsense")
            .authorization_bearer(&c)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        // Logged after the fact: accepted, and stays late.
        let w = token(&ctx, "worker@doudi.test").await;
        let res = server
            .post(&format!("/api/v1/visits/{}/check_in", list[1].pid))
            .authorization_bearer(&w)
            .json(&json!({"location_reason": "no_gps_signal"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(res.json::<Value>()["late"], true);
        // The coordinator's page lists what needs attention.
        let page = server
            .get("/attention")
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert!(!select_text(&page.text(), "#location_exception li a").is_empty());
        let page = server
            .get("/attention")
            .add_header("cookie", session(&ctx, "worker@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::NOT_FOUND);
    })
    .await;
}
