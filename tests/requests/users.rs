use crate::support::*;
use axum::http::StatusCode;
use doudi::models::_entities::audit_logs;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{json, Value};

#[tokio::test]
async fn a_coordinator_adds_a_volunteer_to_their_organisation_through_the_form() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "coordinator@doudi.test").await;
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        let form = [
            ("name", "孙丽"),
            ("email", "sunli@doudi.test"),
            ("phone", "139 0000 1234"),
            ("role", "worker"),
            ("organization", org.as_str()),
            ("volunteer", "true"),
            ("password", "a-long-password"),
        ];
        let res = server
            .post("/users")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&form)
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER, "{}", res.text());
        let created = user(&ctx, "sunli@doudi.test").await;
        assert!(created.volunteer);
        assert_eq!(created.phone.as_deref(), Some("13900001234"));
        assert!(created.verify_password("a-long-password"));
        let audit = audit_logs::Entity::find()
            .order_by_desc(audit_logs::Column::Id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("row");
        assert_eq!(audit.entity_pid, Some(created.pid));
        assert!(!audit.changes.contains("a-long-password"));
        assert!(
            !audit.changes.contains(&created.password),
            "the hash is never logged"
        );
        let changes: Value = serde_json::from_str(&audit.changes).expect("json");
        assert_eq!(changes["password"], json!({"changed": true}));
        assert_eq!(changes["api_key"], json!({"changed": true}));
    })
    .await;
}

#[tokio::test]
async fn a_bad_user_form_keeps_what_was_typed_except_the_password() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "admin@doudi.test").await;
        let res = server
            .post("/users")
            .add_header("cookie", cookie)
            .add_header("sec-fetch-site", "same-origin")
            .form(&[
                ("name", "王五"),
                ("email", "worker@doudi.test"),
                ("phone", "12345"),
                ("role", "official"),
                ("password", "short"),
            ])
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text();
        let errors = select_text(&html, ".field-error");
        assert!(errors.iter().any(|e| e.contains("手机号")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("8 个字符")), "{errors:?}");
        assert!(
            errors.iter().any(|e| e.contains("负责的乡镇")),
            "{errors:?}"
        );
        assert!(html.contains("value=\"王五\""));
        assert!(!html.contains("value=\"short\""));
    })
    .await;
}

#[tokio::test]
async fn an_admin_makes_an_official_of_two_townships_and_the_official_sees_them() {
    with_app(|server, ctx| async move {
        let admin = token(&ctx, "admin@doudi.test").await;
        let t1 = township_pid(&ctx, "清江镇").await;
        let t2 = township_pid(&ctx, "水宁寺镇").await;
        let res = server
            .post("/api/v1/users")
            .authorization_bearer(admin)
            .json(
                &json!({"name": "何平", "email": "heping@doudi.test", "role": "official",
                          "townships": [t1, t2], "password": "long-enough"}),
            )
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let body: Value = res.json();
        assert_eq!(body["townships"].as_array().map(Vec::len), Some(2));
        let official = token(&ctx, "heping@doudi.test").await;
        let list: Value = server
            .get("/api/v1/townships")
            .authorization_bearer(official)
            .await
            .json();
        let mut names: Vec<String> = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|t| t["name"].as_str().expect("name").to_string())
            .collect();
        names.sort();
        assert_eq!(names, vec!["水宁寺镇", "清江镇"]);
    })
    .await;
}

#[tokio::test]
async fn changing_ones_own_password_signs_out_everywhere() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "worker@doudi.test").await;
        let wrong = server
            .post("/settings/password")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[
                ("current_password", "nope"),
                ("new_password", "new-password-1"),
            ])
            .await;
        assert_eq!(wrong.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            select_text(&wrong.text(), ".field-error").contains(&"当前密码不正确。".to_string())
        );
        let ok = server
            .post("/settings/password")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[
                ("current_password", "doudi-demo"),
                ("new_password", "new-password-1"),
            ])
            .await;
        assert_eq!(ok.status_code(), StatusCode::SEE_OTHER);
        assert_eq!(
            server
                .get("/")
                .add_header("cookie", cookie)
                .await
                .status_code(),
            StatusCode::SEE_OTHER
        );
        assert!(user(&ctx, "worker@doudi.test")
            .await
            .verify_password("new-password-1"));
    })
    .await;
}
