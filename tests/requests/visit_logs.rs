//! At the door: checking in once, with the location or a reason.
use crate::support::builders::{complete, completed, visits_for_worker};
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

#[tokio::test]
async fn a_completed_visit_holds_its_lines_confirmation_and_the_six_elements() {
    use doudi::models::_entities::{
        referrals, visit_material_lines, visit_service_lines, visit_signatures,
    };
    with_app(|server, ctx| async move {
        let list = visits_for_worker(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        let submit = |v: &visits::Model| format!("/api/v1/visits/{}/submission", v.pid);
        let check_in = |v: &visits::Model| format!("/api/v1/visits/{}/check_in", v.pid);
        // Not checked in yet.
        let res = server.post(&submit(&list[0])).authorization_bearer(&w).json(&completed()).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["status"].is_array());
        let res = server
            .post(&check_in(&list[0]))
            .authorization_bearer(&w)
            .json(&json!({"location_reason": "no_gps_signal"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        // No service line: the verification element is named.
        let mut none = completed();
        none["services"] = json!([]);
        let res = server.post(&submit(&list[0])).authorization_bearer(&w).json(&none).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("verification"), "{}", res.text());
        // No confirmation and no reason.
        let mut unconfirmed = completed();
        unconfirmed["signature"] = json!(null);
        let res = server.post(&submit(&list[0])).authorization_bearer(&w).json(&unconfirmed).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["confirmation"].is_array());
        // Bad lines are named by position.
        let mut bad = completed();
        bad["materials"] = json!([{"item": "", "category": "gold", "quantity": 0, "unit": "斤", "value": "12.345", "funding": "donation"}]);
        bad["services"] = json!([{"service": "magic", "minutes": 0}]);
        let res = server.post(&submit(&list[0])).authorization_bearer(&w).json(&bad).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let errors = res.json::<Value>()["errors"].clone();
        for k in ["materials.0.item", "materials.0.category", "materials.0.quantity", "materials.0.value", "materials.0.donor", "services.0.service", "services.0.minutes"] {
            assert!(errors[k].is_array(), "{k}: {errors}");
        }
        assert_eq!(visit_service_lines::Entity::find().count(&ctx.db).await.expect("n"), 0);

        let body = completed();
        let res = server.post(&submit(&list[0])).authorization_bearer(&w).json(&body).await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let v: Value = res.json();
        assert_eq!(v["status"], "completed");
        assert!(v["checked_out_at"].is_string());
        let again = server.post(&submit(&list[0])).authorization_bearer(&w).json(&body).await;
        assert_eq!(again.header("idempotent-replay"), "true");
        assert_eq!(again.json::<Value>(), v);
        assert_eq!(visit_service_lines::Entity::find().count(&ctx.db).await.expect("n"), 3);
        let materials = visit_material_lines::Entity::find().all(&ctx.db).await.expect("m");
        assert_eq!(
            materials.iter().map(|m| (m.value_fen, m.quantity_milli)).collect::<Vec<_>>(),
            vec![(3550, 10_000), (12_000, 1000)]
        );
        assert_eq!(materials[1].donor.as_deref(), Some("巴中市慈善总会"));
        assert_eq!(referrals::Entity::find().count(&ctx.db).await.expect("n"), 1);
        assert_eq!(visit_signatures::Entity::find().count(&ctx.db).await.expect("n"), 1);
        // Done is done: a new submission is refused.
        let res = server.post(&submit(&list[0])).authorization_bearer(&w).json(&completed()).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);

        // Nobody home: effort, no lines.
        server
            .post(&check_in(&list[1]))
            .authorization_bearer(&w)
            .json(&json!({"location_reason": "no_gps_signal"}))
            .await;
        let res = server
            .post(&submit(&list[1]))
            .authorization_bearer(&w)
            .json(&json!({"outcome": "attempted", "services": [{"service": "home_visit", "minutes": 5}]}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post(&submit(&list[1]))
            .authorization_bearer(&w)
            .json(&json!({"outcome": "attempted", "notes": "敲门无人应答"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(res.json::<Value>()["status"], "attempted");
        // Cancelled needs a reason; it needs no check-in.
        let res = server
            .post(&submit(&list[2]))
            .authorization_bearer(&w)
            .json(&json!({"outcome": "cancelled"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post(&submit(&list[2]))
            .authorization_bearer(&w)
            .json(&json!({"outcome": "cancelled", "notes": "老人住院"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        // Someone else's visit.
        let res = server
            .post(&submit(&list[3]))
            .authorization_bearer(&token(&ctx, "worker1@doudi.test").await)
            .json(&json!({"outcome": "cancelled", "notes": "x"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn a_referral_from_a_visit_waits_on_the_coordinators_list_until_acted_on() {
    with_app(|server, ctx| async move {
        let list = visits_for_worker(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        server
            .post(&format!("/api/v1/visits/{}/check_in", list[0].pid))
            .authorization_bearer(&w)
            .json(&json!({"location_reason": "no_gps_signal"}))
            .await;
        let res = server
            .post(&format!("/api/v1/visits/{}/submission", list[0].pid))
            .authorization_bearer(&w)
            .json(&completed())
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let c = token(&ctx, "coordinator@doudi.test").await;
        let res = server
            .get("/api/v1/referrals")
            .authorization_bearer(&c)
            .await;
        let body: Value = res.json();
        assert_eq!(body["page"]["total"], 1);
        assert_eq!(body["items"][0]["kind"], "health_risk");
        assert_eq!(body["items"][0]["recipient"]["name"], "单秀英");
        let pid = body["items"][0]["pid"].as_str().expect("pid").to_string();
        // The other provider sees none, the official reads, the worker has no list.
        let res = server
            .get("/api/v1/referrals")
            .authorization_bearer(&token(&ctx, "coordinator2@doudi.test").await)
            .await;
        assert_eq!(res.json::<Value>()["page"]["total"], 0);
        let off = token(&ctx, "official@doudi.test").await;
        let res = server
            .get("/api/v1/referrals")
            .authorization_bearer(&off)
            .await;
        assert_eq!(res.json::<Value>()["page"]["total"], 1);
        let res = server
            .post(&format!("/api/v1/referrals/{pid}/close"))
            .authorization_bearer(&off)
            .json(&json!({"action_note": "x"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        let res = server
            .get("/api/v1/referrals")
            .authorization_bearer(&w)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        // The page, and closing from it.
        let cookie = session(&ctx, "coordinator@doudi.test").await;
        let page = server
            .get("/referrals")
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert_eq!(select_text(&page.text(), "li.referral.open").len(), 1);
        let res = server
            .post(&format!("/referrals/{pid}/close"))
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("action_note", "")])
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post(&format!("/referrals/{pid}/close"))
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("action_note", "已联系村医，周五上门测血压")])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        let res = server
            .get("/api/v1/referrals")
            .authorization_bearer(&c)
            .await;
        assert_eq!(res.json::<Value>()["page"]["total"], 0);
        let res = server
            .get("/api/v1/referrals?show=all")
            .authorization_bearer(&c)
            .await;
        assert_eq!(res.json::<Value>()["items"][0]["status"], "closed");
        let res = server
            .post(&format!("/api/v1/referrals/{pid}/close"))
            .authorization_bearer(&c)
            .json(&json!({"action_note": "again"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
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

#[tokio::test]
async fn the_worker_starts_on_today_and_logs_from_the_visit_page() {
    with_app(|server, ctx| async move {
        let list = visits_for_worker(&server, &ctx).await;
        // The first visit tomorrow.
        let mut am: visits::ActiveModel = list[0].clone().into();
        let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
        am.starts_at = Set(tomorrow.into());
        am.ends_at = Set((tomorrow + chrono::Duration::hours(1)).into());
        am.update(&ctx.db).await.expect("move");
        let cookie = session(&ctx, "worker@doudi.test").await;
        let res = server.get("/").add_header("cookie", cookie.clone()).await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        assert_eq!(res.header("location"), "/today");
        let page = server
            .get("/today")
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        let cards = select_text(&page.text(), "#later li.visit-card");
        assert!(!cards.is_empty(), "{}", page.text());
        // Tomorrow's visit is at the door (privacy::at_the_door): whom it
        // is for, whole, with a phone to call.
        assert!(cards[0].contains("单秀英"), "{cards:?}");
        assert_eq!(
            select_text(
                &page.text(),
                "#later li.visit-card .door-calls a[href^=\"tel:\"]"
            )
            .len(),
            2,
            "{}",
            page.text()
        );
        let page = server
            .get(&format!("/visits/{}", list[0].pid))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert_eq!(select_text(&page.text(), "#door #check-in").len(), 1);
        assert_eq!(select_text(&page.text(), "#door-form").len(), 1);
        // Not for the coordinator: they change the plan, not log the visit.
        let page = server
            .get(&format!("/visits/{}", list[0].pid))
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .await;
        assert!(select_text(&page.text(), "#door").is_empty());
        let sw = server.get("/sw.js").await;
        assert_eq!(sw.status_code(), StatusCode::OK);
        assert!(sw
            .header("content-type")
            .to_str()
            .unwrap()
            .starts_with("application/javascript"));
    })
    .await;
}

#[tokio::test]
async fn a_logged_visit_is_corrected_only_by_an_amendment_with_a_reason() {
    with_app(|server, ctx| async move {
        let list = visits_for_worker(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        let c = token(&ctx, "coordinator@doudi.test").await;
        let amend = |v: &visits::Model| format!("/api/v1/visits/{}/amendments", v.pid);
        // Nothing logged yet: nothing to correct.
        let res = server
            .post(&amend(&list[0]))
            .authorization_bearer(&w)
            .json(&json!({"reason": "x", "outcome": "attempted"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["status"].is_array());
        complete(&server, &w, &list[0]).await;
        let shown: Value = server
            .get(&format!("/api/v1/visits/{}", list[0].pid))
            .authorization_bearer(&c)
            .await
            .json();
        let record = shown["record"].clone();
        assert_eq!(record["outcome"], "completed");
        assert_eq!(record["services"].as_array().map(Vec::len), Some(3));
        assert_eq!(record["materials"][0]["value"], "35.50");
        assert_eq!(record["materials"][0]["quantity"], "10");
        assert_eq!(record["signature"], true);
        assert_eq!(shown["amendments"], json!([]));

        // The correction: one service was 45 minutes, not 30; the rice was
        // 5 jin; the signature on file is kept.
        let mut fix = completed();
        fix["client_id"] = json!(uuid::Uuid::new_v4());
        fix["signature"] = json!(null);
        fix["services"][0]["minutes"] = json!(45);
        fix["materials"][0]["quantity"] = json!("5");
        fix["materials"][0]["value"] = json!("17.75");
        // Without a reason: refused, nothing changes.
        let res = server
            .post(&amend(&list[0]))
            .authorization_bearer(&w)
            .json(&fix)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["reason"].is_array());
        // The same record again is no correction.
        let mut same = completed();
        same["signature"] = json!(null);
        same["reason"] = json!("核对");
        let res = server
            .post(&amend(&list[0]))
            .authorization_bearer(&w)
            .json(&same)
            .await;
        assert_eq!(
            res.status_code(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        // Bad lines are refused the same way as at the door.
        let mut bad = fix.clone();
        bad["reason"] = json!("时长记错");
        bad["services"][1]["minutes"] = json!(0);
        let res = server
            .post(&amend(&list[0]))
            .authorization_bearer(&w)
            .json(&bad)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["services.1.minutes"].is_array());

        let audits = audit_count(&ctx, "update", "visits").await;
        fix["reason"] = json!("时长和数量记错了");
        let res = server
            .post(&amend(&list[0]))
            .authorization_bearer(&w)
            .json(&fix)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        // Sent again after a network cut: the first answer, one amendment.
        let again = server
            .post(&amend(&list[0]))
            .authorization_bearer(&w)
            .json(&fix)
            .await;
        assert_eq!(again.header("idempotent-replay"), "true");
        assert_eq!(audit_count(&ctx, "update", "visits").await, audits + 1);
        let shown: Value = server
            .get(&format!("/api/v1/visits/{}", list[0].pid))
            .authorization_bearer(&c)
            .await
            .json();
        assert_eq!(shown["record"]["services"][0]["minutes"], 45);
        assert_eq!(shown["record"]["materials"][0]["value_fen"], 1775);
        assert_eq!(shown["record"]["signature"], true);
        let amendments = shown["amendments"].as_array().cloned().unwrap_or_default();
        assert_eq!(amendments.len(), 1);
        assert_eq!(amendments[0]["reason"], "时长和数量记错了");
        assert_eq!(
            amendments[0]["by"],
            user(&ctx, "worker@doudi.test").await.name
        );
        // The original stays readable.
        assert_eq!(amendments[0]["before"], record);
        assert_eq!(amendments[0]["after"], shown["record"]);
        // The check-in and check-out are facts: unchanged.
        assert_eq!(
            shown["checked_in_at"],
            json!(complete_times(&ctx, &list[0]).await.0)
        );

        // A coordinator of the organisation corrects too; the worker's
        // colleague, another organisation and officials cannot.
        let mut by_coordinator = fix.clone();
        by_coordinator["client_id"] = json!(null);
        by_coordinator["outcome"] = json!("attempted");
        by_coordinator["services"] = json!([]);
        by_coordinator["materials"] = json!([]);
        by_coordinator["reason"] = json!("电话回访：当天家中无人");
        for who in [
            "worker1@doudi.test",
            "coordinator2@doudi.test",
            "official@doudi.test",
        ] {
            let res = server
                .post(&amend(&list[0]))
                .authorization_bearer(&token(&ctx, who).await)
                .json(&by_coordinator)
                .await;
            assert_eq!(res.status_code(), StatusCode::NOT_FOUND, "{who}");
        }
        let res = server
            .post(&amend(&list[0]))
            .authorization_bearer(&c)
            .json(&by_coordinator)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(res.json::<Value>()["status"], "attempted");
        let res = server
            .get(&amend(&list[0]))
            .authorization_bearer(&token(&ctx, "official@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        assert_eq!(
            res.json::<Value>()["items"].as_array().map(Vec::len),
            Some(2)
        );
        let res = server
            .get(&amend(&list[0]))
            .authorization_bearer(&token(&ctx, "coordinator2@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);

        // Once the period is accepted, nothing changes.
        let locked = visits::Entity::find_by_id(list[0].id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("v");
        let mut am: visits::ActiveModel = locked.into();
        am.locked_at = Set(Some(chrono::Utc::now().into()));
        am.update(&ctx.db).await.expect("lock");
        let mut late = fix.clone();
        late["client_id"] = json!(uuid::Uuid::new_v4());
        let res = server
            .post(&amend(&list[0]))
            .authorization_bearer(&c)
            .json(&late)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("status"), "{}", res.text());
        assert_eq!(audit_count(&ctx, "update", "visits").await, audits + 2);
    })
    .await;
}

/// The check-in and check-out of a visit as stored (RFC 3339).
async fn complete_times(ctx: &loco_rs::app::AppContext, v: &visits::Model) -> (String, String) {
    let v = visits::Entity::find_by_id(v.id)
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("v");
    let t = |x: Option<sea_orm::prelude::DateTimeWithTimeZone>| {
        serde_json::to_value(x)
            .expect("json")
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    (t(v.checked_in_at), t(v.checked_out_at))
}

#[tokio::test]
async fn the_visit_page_shows_the_record_its_corrections_and_the_signature_in_scope() {
    with_app(|server, ctx| async move {
        let list = visits_for_worker(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        complete(&server, &w, &list[0]).await;
        let mut fix = completed();
        fix["client_id"] = json!(null);
        fix["signature"] = json!(null);
        fix["services"][0]["minutes"] = json!(45);
        fix["reason"] = json!("时长记错");
        let res = server
            .post(&format!("/api/v1/visits/{}/amendments", list[0].pid))
            .authorization_bearer(&w)
            .json(&fix)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let page = server
            .get(&format!("/visits/{}", list[0].pid))
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        let html = page.text();
        let record = select_text(&html, "#record").join(" ");
        for want in [
            "生活照料",
            "45 分钟",
            "大米",
            "35.50",
            "巴中市慈善总会",
            "单秀英",
            "时长记错",
            "30 分钟",
        ] {
            assert!(record.contains(want), "{want} in {record}");
        }
        // About 9 m from the registered home.
        assert!(record.contains("距登记住址 9 米"), "{record}");
        assert!(html.contains(&format!("/visits/{}/signature", list[0].pid)));
        // The coordinator may correct it: the form starts from the record.
        assert!(html.contains("id=\"amend-box\""));
        assert!(html.contains("value=\"45\""));
        // The signature: in scope only.
        let img = server
            .get(&format!("/visits/{}/signature", list[0].pid))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert_eq!(img.status_code(), StatusCode::OK);
        assert_eq!(img.header("content-type"), "image/png");
        assert!(img.as_bytes().starts_with(b"\x89PNG"));
        let img = server
            .get(&format!("/api/v1/visits/{}/signature", list[0].pid))
            .authorization_bearer(&token(&ctx, "coordinator2@doudi.test").await)
            .await;
        assert_eq!(img.status_code(), StatusCode::NOT_FOUND);
        // Officials read the record but may not correct it.
        let page = server
            .get(&format!("/visits/{}", list[0].pid))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert!(!page.text().contains("id=\"amend-box\""));
        assert!(page.text().contains("时长记错"));
    })
    .await;
}

#[tokio::test]
async fn an_ad_hoc_visit_is_logged_with_a_reason_for_someone_the_worker_visits() {
    with_app(|server, ctx| async move {
        visits_for_worker(&server, &ctx).await;
        let who = |name: &'static str| {
            let db = ctx.db.clone();
            async move {
                recipients::Entity::find()
                    .filter(recipients::Column::Name.eq(name))
                    .one(&db)
                    .await
                    .expect("q")
                    .expect("r")
                    .pid
            }
        };
        let w = token(&ctx, "worker@doudi.test").await;
        let client = uuid::Uuid::new_v4();
        let body = json!({"client_id": client, "recipient": who("单秀英").await,
                          "reason": "邻居来电说老人摔倒"});
        // Nothing without a reason, nor for someone the worker does not visit.
        for bad in [
            json!({"recipient": who("单秀英").await}),
            json!({"recipient": who("何淑珍").await, "reason": "路过"}),
            json!({"recipient": "not-a-pid", "reason": "路过"}),
            json!({"recipient": who("单秀英").await, "reason": "补记", "starts_at": "2020-01-01T09:00"}),
            json!({"recipient": who("单秀英").await, "reason": "补记", "duration_minutes": 0}),
        ] {
            let res = server.post("/api/v1/visits").authorization_bearer(&w).json(&bad).await;
            assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        }
        let audits = audit_count(&ctx, "create", "visits").await;
        let res = server.post("/api/v1/visits").authorization_bearer(&w).json(&body).await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let v: Value = res.json();
        assert_eq!(v["ad_hoc_reason"], "邻居来电说老人摔倒");
        assert_eq!(v["status"], "scheduled");
        let again = server.post("/api/v1/visits").authorization_bearer(&w).json(&body).await;
        assert_eq!(again.header("idempotent-replay"), "true");
        assert_eq!(again.json::<Value>()["pid"], v["pid"]);
        assert_eq!(audit_count(&ctx, "create", "visits").await, audits + 1);
        // Then logged as any visit.
        let pid = v["pid"].as_str().unwrap_or_default().to_string();
        let res = server
            .post(&format!("/api/v1/visits/{pid}/check_in"))
            .authorization_bearer(&w)
            .json(&json!({"latitude": 31.85, "longitude": 106.7501}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(res.json::<Value>()["late"], false);
        let res = server
            .post(&format!("/api/v1/visits/{pid}/submission"))
            .authorization_bearer(&w)
            .json(&completed())
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());

        // A coordinator names the worker; other organisations and
        // officials cannot log one.
        let c = token(&ctx, "coordinator@doudi.test").await;
        let by_coordinator = json!({"recipient": who("王光荣").await, "reason": "事后补记：电话通知上门送药",
                                    "starts_at": format!("{}T08:00", doudi::models::today())});
        let res = server.post("/api/v1/visits").authorization_bearer(&c).json(&by_coordinator).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["worker"].is_array());
        let mut named = by_coordinator.clone();
        named["worker"] = json!(user(&ctx, "worker1@doudi.test").await.pid);
        let res = server.post("/api/v1/visits").authorization_bearer(&c).json(&named).await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let res = server
            .post("/api/v1/visits")
            .authorization_bearer(&token(&ctx, "coordinator2@doudi.test").await)
            .json(&named)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post("/api/v1/visits")
            .authorization_bearer(&token(&ctx, "official@doudi.test").await)
            .json(&named)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);

        // The page: workers choose among masked names.
        let cookie = session(&ctx, "worker@doudi.test").await;
        let page = server.get("/visits/new").add_header("cookie", cookie.clone()).await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert!(page.text().contains("单** · 石门村"), "{}", page.text());
        assert!(!page.text().contains("单秀英"));
        let res = server
            .post("/visits")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("recipient", who("单秀英").await.to_string().as_str()), ("reason", "")])
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post("/visits")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("recipient", who("单秀英").await.to_string().as_str()), ("reason", "老人来电")])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER, "{}", res.text());
        let location = res.header("location").to_str().expect("ascii").to_string();
        let page = server.get(&location).add_header("cookie", cookie.clone()).await;
        assert!(page.text().contains("老人来电"));
        assert!(page.text().contains("id=\"check-in\""));
        let today = server.get("/today").add_header("cookie", cookie).await;
        assert!(today.text().contains("临时走访"));
        // Coordinators start from a recipient's page.
        let res = server
            .get("/visits/new")
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
    })
    .await;
}
