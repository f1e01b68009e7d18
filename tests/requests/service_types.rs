//! The service catalogue is data: admins add, rename and retire types;
//! plans and visit lines choose from what is offered; retired types stay
//! readable on old records.
use crate::support::*;
use axum::http::StatusCode;
use doudi::models::_entities::recipients;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

async fn plan_for(
    server: &axum_test::TestServer,
    ctx: &loco_rs::app::AppContext,
    services: Value,
) -> axum_test::TestResponse {
    let r = recipients::Entity::find()
        .filter(recipients::Column::Name.eq("单秀英"))
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("r");
    server
        .post("/api/v1/service_plans")
        .authorization_bearer(&token(ctx, "coordinator@doudi.test").await)
        .json(&json!({
            "recipient": r.pid,
            "worker": user(ctx, "worker@doudi.test").await.pid,
            "services": services,
            "dtstart": "2027-01-04T09:00:00",
            "rrule": "FREQ=WEEKLY;COUNT=2",
        }))
        .await
}

#[tokio::test]
async fn admins_extend_the_catalogue_and_plans_choose_from_what_is_offered() {
    with_app(|server, ctx| async move {
        let admin = session(&ctx, "admin@doudi.test").await;
        // The eight services of the notice are there from the start.
        let list: Value = server
            .get("/api/v1/service_types")
            .authorization_bearer(&token(&ctx, "worker@doudi.test").await)
            .await
            .json();
        assert_eq!(list["page"]["total"], 8);
        assert_eq!(list["items"][0]["code"], "daily_care");
        assert_eq!(list["items"][0]["name_zh"], "生活照料");

        // A bad code: the form again with what was typed.
        let res = server
            .post("/service_types")
            .add_header("cookie", admin.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("code", "Meal Delivery"), ("name_zh", "助餐"), ("name_en", "Meals")])
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("助餐"));
        assert!(!select_text(&res.text(), ".field-error").is_empty());
        let audits = audit_count(&ctx, "create", "service_types").await;
        let res = server
            .post("/service_types")
            .add_header("cookie", admin.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("code", "meal_delivery"), ("name_zh", "助餐"), ("name_en", "Meal delivery")])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER, "{}", res.text());
        assert_eq!(audit_count(&ctx, "create", "service_types").await, audits + 1);
        // The same code twice is refused.
        let res = server
            .post("/api/v1/service_types")
            .authorization_bearer(&token(&ctx, "admin@doudi.test").await)
            .json(&json!({"code": "meal_delivery", "name_zh": "送餐", "name_en": "Meals"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["code"].is_array());
        let page = server.get("/service_types").add_header("cookie", admin.clone()).await;
        assert!(page.text().contains("助餐"));

        // Plans offer it, and show its name.
        let res = plan_for(&server, &ctx, json!(["meal_delivery", "daily_care"])).await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let plan: Value = res.json();
        assert_eq!(plan["services"], json!(["daily_care", "meal_delivery"]));
        let coordinator = session(&ctx, "coordinator@doudi.test").await;
        let show = server
            .get(&format!("/service_plans/{}", plan["pid"].as_str().unwrap_or_default()))
            .add_header("cookie", coordinator.clone())
            .await;
        assert!(show.text().contains("助餐"), "{}", show.text());

        // Renamed and retired: not offered any more, still readable.
        let pid = list_pid(&server, &ctx, "meal_delivery").await;
        let res = server
            .patch(&format!("/api/v1/service_types/{pid}"))
            .authorization_bearer(&token(&ctx, "admin@doudi.test").await)
            .json(&json!({"code": "renamed", "name_zh": "老年助餐", "name_en": "Meals for elders", "active": false}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(res.json::<Value>()["code"], "meal_delivery");
        let res = plan_for(&server, &ctx, json!(["meal_delivery"])).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let form = server
            .get("/service_plans/new")
            .add_header("cookie", coordinator.clone())
            .await;
        assert!(!form.text().contains("value=\"meal_delivery\""));
        let show = server
            .get(&format!("/service_plans/{}", plan["pid"].as_str().unwrap_or_default()))
            .add_header("cookie", coordinator)
            .await;
        assert!(show.text().contains("老年助餐"));
        // Only admins change the catalogue.
        let res = server
            .patch(&format!("/api/v1/service_types/{pid}"))
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .json(&json!({"name_zh": "x", "name_en": "x"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        let res = server
            .post(&format!("/service_types/{pid}"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("name_zh", "x"), ("name_en", "x")])
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        // The edit form keeps the code fixed and shows the retirement.
        let edit = server
            .get(&format!("/service_types/{pid}/edit"))
            .add_header("cookie", admin)
            .await;
        assert_eq!(edit.status_code(), StatusCode::OK);
        assert!(edit.text().contains("value=\"meal_delivery\" disabled"));
    })
    .await;
}

async fn list_pid(
    server: &axum_test::TestServer,
    ctx: &loco_rs::app::AppContext,
    code: &str,
) -> String {
    let list: Value = server
        .get("/api/v1/service_types?per_page=100")
        .authorization_bearer(&token(ctx, "admin@doudi.test").await)
        .await
        .json();
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["code"] == code)
        .and_then(|t| t["pid"].as_str())
        .expect("type")
        .to_string()
}
