//! Logging a visit: one submission with its lines, confirmation and the six
//! elements, landing once however often it is sent, from the API or the
//! visit page.
use crate::support::builders::{completed, visits_for_worker};
use crate::support::*;
use axum::http::StatusCode;
use doudi::models::_entities::{visit_submissions, visits};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, PaginatorTrait};
use serde_json::{json, Value};

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
