use crate::support::builders::last_audit;
use crate::support::*;
use axum::http::StatusCode;
use doudi::models::_entities::townships;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

#[tokio::test]
async fn an_admin_creates_edits_and_deletes_a_township_through_the_pages() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "admin@doudi.test").await;
        let form = [
            ("name", "化成镇"),
            ("code", "511902104000"),
            ("population", "18000"),
        ];
        let res = server
            .post("/townships")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&form)
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        let location = res.header("location").to_str().expect("ascii").to_string();
        let flash = res
            .header("set-cookie")
            .to_str()
            .expect("ascii")
            .split(';')
            .next()
            .expect("pair")
            .to_string();
        assert!(flash.starts_with("doudi_flash="), "{flash}");
        let created = townships::Entity::find()
            .filter(townships::Column::Code.eq("511902104000"))
            .one(&ctx.db)
            .await
            .expect("query")
            .expect("created");
        assert_eq!(location, format!("/townships/{}", created.pid));
        let audit = last_audit(&ctx).await;
        assert_eq!(
            (audit.action.as_str(), audit.entity.as_str()),
            ("create", "townships")
        );
        assert_eq!(audit.entity_pid, Some(created.pid));
        let changes: Value = serde_json::from_str(&audit.changes).expect("json");
        assert_eq!(changes["name"]["after"], "化成镇");
        assert!(audit.request_id.is_some(), "request id recorded");

        let page = server
            .get(&location)
            .add_header("cookie", format!("{cookie}; {flash}"))
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert!(
            page.header("set-cookie")
                .to_str()
                .expect("ascii")
                .contains("doudi_flash=; "),
            "shown once, then cleared"
        );
        assert_eq!(select_text(&page.text(), "h1"), vec!["化成镇"]);
        assert!(page.text().contains("已保存。"), "flash shown once");

        let edit = [
            ("name", "化成镇"),
            ("code", "511902104000"),
            ("population", "18500"),
        ];
        let res = server
            .post(&location)
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&edit)
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        let audit = last_audit(&ctx).await;
        let changes: Value = serde_json::from_str(&audit.changes).expect("json");
        assert_eq!(
            changes,
            json!({"population": {"before": 18000, "after": 18500}})
        );

        let res = server
            .post(&format!("{location}/delete"))
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("reason", "录入重复")])
            .await;
        assert_eq!(res.header("location"), "/townships");
        assert_eq!(last_audit(&ctx).await.action, "delete");
        assert_eq!(
            server
                .get(&location)
                .add_header("cookie", cookie)
                .await
                .status_code(),
            StatusCode::NOT_FOUND
        );
    })
    .await;
}

#[tokio::test]
async fn a_bad_township_form_comes_back_with_messages_and_the_typed_values() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "admin@doudi.test").await;
        let before = audit_count(&ctx, "create", "townships").await;
        let res = server
            .post("/townships")
            .add_header("cookie", cookie)
            .add_header("sec-fetch-site", "same-origin")
            .form(&[
                ("name", ""),
                ("code", "511902101001"),
                ("population", "many"),
            ])
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text();
        let errors = select_text(&html, ".field-error");
        assert!(errors.contains(&"必填。".to_string()), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("乡镇级")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("整数")), "{errors:?}");
        assert!(html.contains("value=\"many\""), "typed values are kept");
        assert_eq!(audit_count(&ctx, "create", "townships").await, before);
    })
    .await;
}

#[tokio::test]
async fn the_api_answers_bad_input_with_422_field_errors() {
    with_app(|server, ctx| async move {
        let admin = token(&ctx, "admin@doudi.test").await;
        let res = server
            .post("/api/v1/townships")
            .authorization_bearer(admin.clone())
            .add_header("accept-language", "en")
            .json(&json!({"name": "x", "code": "511902101000", "population": 5}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res.json::<Value>(), json!({"errors": {"code": ["This code is already in use."]}}));

        let res = server
            .post("/api/v1/townships")
            .authorization_bearer(admin.clone())
            .content_type("application/json")
            .text("{not json")
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["body"].is_array());

        let res = server
            .post("/api/v1/organizations")
            .authorization_bearer(admin.clone())
            .add_header("accept-language", "en")
            .json(&json!({"name": "某社工中心", "kind": "social_work", "credit_code": "9144030071526726XH"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            res.json::<Value>()["errors"]["credit_code"][0],
            "The credit code's check character does not match; please check it."
        );
        let ok = server
            .post("/api/v1/organizations")
            .authorization_bearer(admin.clone())
            .json(&json!({"name": "某社工中心", "kind": "social_work", "credit_code": "9144030071526726xg"}))
            .await;
        assert_eq!(ok.status_code(), StatusCode::CREATED);
        assert_eq!(ok.json::<Value>()["credit_code"], "9144030071526726XG");

        for path in ["/api/v1/townships/not-a-uuid", "/api/v1/townships/00000000-0000-4000-8000-000000000000"] {
            let res = server.get(path).authorization_bearer(admin.clone()).await;
            assert_eq!(res.status_code(), StatusCode::NOT_FOUND, "{path}");
        }
        let res = server.get("/api/v1/townships?page=abc&per_page=-5").authorization_bearer(admin).await;
        assert_eq!(res.status_code(), StatusCode::OK);
        assert_eq!(res.json::<Value>()["page"]["page"], 1);
    })
    .await;
}

#[tokio::test]
async fn a_township_with_villages_cannot_be_deleted() {
    with_app(|server, ctx| async move {
        let admin = token(&ctx, "admin@doudi.test").await;
        let t = township_pid(&ctx, "曾口镇").await;
        let res = server
            .delete(&format!("/api/v1/townships/{t}?reason=%E5%90%88%E5%B9%B6"))
            .authorization_bearer(admin)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["base"].is_array());
    })
    .await;
}

#[tokio::test]
async fn villages_are_created_in_a_township_and_their_codes_must_belong_to_it() {
    with_app(|server, ctx| async move {
        let admin = token(&ctx, "admin@doudi.test").await;
        let t = township_pid(&ctx, "曾口镇").await;
        let bad = server
            .post("/api/v1/villages")
            .authorization_bearer(admin.clone())
            .json(&json!({"township": t, "name": "新村", "code": "511902102299"}))
            .await;
        assert_eq!(bad.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.json::<Value>()["errors"]["code"].is_array());
        let ok = server
            .post("/api/v1/villages")
            .authorization_bearer(admin.clone())
            .json(&json!({"township": t, "name": "新村", "code": "511902101299"}))
            .await;
        assert_eq!(ok.status_code(), StatusCode::CREATED);
        let body: Value = ok.json();
        assert_eq!(body["township"]["name"], "曾口镇");
        let dup = server
            .post("/api/v1/villages")
            .authorization_bearer(admin.clone())
            .json(&json!({"township": t, "name": "新村"}))
            .await;
        assert_eq!(dup.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            dup.json::<Value>()["errors"]["name"].is_array(),
            "{}",
            dup.text()
        );
        let list: Value = server
            .get(&format!("/api/v1/villages?township={t}&per_page=2"))
            .authorization_bearer(admin)
            .await
            .json();
        assert_eq!(list["page"]["total"], 5);
        assert_eq!(list["page"]["pages"], 3);
        assert_eq!(list["items"].as_array().map(Vec::len), Some(2));
    })
    .await;
}
