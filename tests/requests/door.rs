//! What the visit pages give door.js: the home point and radius for the
//! assigned worker's door only (to ask the location reason before a
//! check-in is queued offline), the user's queue key, and the door for an
//! ad-hoc visit made offline.
use crate::support::builders::attr;
use crate::support::*;
use axum::http::StatusCode;
use doudi::models::_entities::{recipients, visits};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;

/// 单秀英 with a home on record, and a week of her visits for worker@.
async fn her_visits(
    server: &axum_test::TestServer,
    ctx: &loco_rs::app::AppContext,
) -> (recipients::Model, Vec<visits::Model>) {
    let r = recipients::Entity::find()
        .filter(recipients::Column::Name.eq("单秀英"))
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("r");
    let mut am: recipients::ActiveModel = r.clone().into();
    am.latitude = Set(Some(31.85));
    am.longitude = Set(Some(106.75));
    let r = am.update(&ctx.db).await.expect("home");
    let start = doudi::models::today() + chrono::Duration::days(1);
    let res = server
        .post("/api/v1/service_plans")
        .authorization_bearer(&token(ctx, "coordinator@doudi.test").await)
        .json(&json!({
            "recipient": r.pid,
            "worker": user(ctx, "worker@doudi.test").await.pid,
            "services": ["daily_care"],
            "dtstart": format!("{start}T09:00:00"),
            "rrule": "FREQ=DAILY;COUNT=3",
        }))
        .await;
    assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    let list = visits::Entity::find()
        .filter(visits::Column::RecipientId.eq(r.id))
        .order_by_asc(visits::Column::StartsAt)
        .all(&ctx.db)
        .await
        .expect("visits");
    (r, list)
}

#[tokio::test]
async fn only_the_assigned_workers_door_knows_where_the_home_is() {
    with_app(|server, ctx| async move {
        let (_, list) = her_visits(&server, &ctx).await;
        let worker = user(&ctx, "worker@doudi.test").await;
        let page = server
            .get(&format!("/visits/{}", list[0].pid))
            .add_header("cookie", session(&ctx, "worker@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        let html = page.text();
        assert_eq!(attr(&html, "#door", "data-home-lat"), ["31.85"]);
        assert_eq!(attr(&html, "#door", "data-home-lon"), ["106.75"]);
        assert_eq!(attr(&html, "#door", "data-radius"), ["500.0"]);
        // The queue is keyed by the signed-in user.
        assert_eq!(
            attr(&html, "#door-queue", "data-door-user"),
            [worker.pid.to_string()]
        );
        assert_eq!(select_text(&html, "#door-attention h2"), ["待处理"]);
        // The coordinator's page of the same visit has no door and no home.
        let page = server
            .get(&format!("/visits/{}", list[0].pid))
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert!(attr(&page.text(), "[data-home-lat]", "data-home-lat").is_empty());
        assert!(!page.text().contains("106.75"));
        assert!(select_text(&page.text(), "#door-queue").is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_worker_can_make_an_ad_hoc_visit_without_signal() {
    with_app(|server, ctx| async move {
        let (r, _) = her_visits(&server, &ctx).await;
        let page = server
            .get("/visits/new")
            .add_header("cookie", session(&ctx, "worker@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        let html = page.text();
        // door.js queues the creation and opens this door for it.
        assert_eq!(attr(&html, "#ad-hoc-form", "data-offline"), ["1"]);
        assert_eq!(attr(&html, "#ad-hoc-form", "data-zone"), ["Asia/Shanghai"]);
        assert_eq!(attr(&html, "#door", "data-local"), ["1"]);
        assert_eq!(select_text(&html, "#door #check-in").len(), 1);
        assert_eq!(select_text(&html, "#door-form").len(), 1);
        let her = format!("option[value=\"{}\"]", r.pid);
        assert_eq!(attr(&html, &her, "data-lat"), ["31.85"]);
        assert_eq!(attr(&html, &her, "data-lon"), ["106.75"]);
        // A coordinator's form (naming the worker) is a plain form.
        let page = server
            .get(&format!("/visits/new?recipient={}", r.pid))
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert!(select_text(&page.text(), "#door").is_empty());
        assert!(attr(&page.text(), "#ad-hoc-form", "data-offline").is_empty());
        assert!(!page.text().contains("106.75"));
    })
    .await;
}
