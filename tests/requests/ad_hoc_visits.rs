//! Ad hoc visits: logged with a reason, for someone the worker visits.
use crate::support::builders::{completed, visits_for_worker};
use crate::support::*;
use axum::http::StatusCode;
use doudi::models::_entities::recipients;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

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
