use crate::support::*;
use axum::http::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn the_api_signs_in_with_email_and_password_and_returns_a_bearer_token() {
    with_app(|server, ctx| async move {
        let res = server
            .post("/api/v1/auth/login")
            .json(&json!({"email": "official@doudi.test", "password": "doudi-demo"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let body: Value = res.json();
        let token = body["token"].as_str().expect("token").to_string();
        assert_eq!(body["user"]["role"], "official");
        assert_eq!(body["user"]["townships"].as_array().map(Vec::len), Some(2));
        let me: Value = server
            .get("/api/v1/auth/me")
            .authorization_bearer(token.clone())
            .await
            .json();
        assert_eq!(me["email"], "official@doudi.test");
        assert!(me.get("password").is_none() && me.get("id").is_none());
        let out = server
            .post("/api/v1/auth/logout")
            .authorization_bearer(token.clone())
            .await;
        assert_eq!(out.status_code(), StatusCode::NO_CONTENT);
        let after = server
            .get("/api/v1/auth/me")
            .authorization_bearer(token)
            .await;
        assert_eq!(after.status_code(), StatusCode::UNAUTHORIZED);
        assert_eq!(audit_count(&ctx, "sign_out", "users").await, 1);
    })
    .await;
}

#[tokio::test]
async fn the_api_without_a_token_is_401_json() {
    with_app(|server, _ctx| async move {
        let res = server.get("/api/v1/townships").await;
        assert_eq!(res.status_code(), StatusCode::UNAUTHORIZED);
        let body: Value = res.json();
        assert_eq!(body["error"], "请先登录。");
        let forged = server
            .get("/api/v1/townships")
            .authorization_bearer("not.a.token")
            .await;
        assert_eq!(forged.status_code(), StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn bad_credentials_are_401_with_a_message() {
    with_app(|server, _ctx| async move {
        let res = server
            .post("/api/v1/auth/login")
            .add_header("accept-language", "en")
            .json(&json!({"email": "nobody@doudi.test", "password": "whatever1"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNAUTHORIZED);
        assert_eq!(res.json::<Value>()["error"], "Wrong email or password.");
    })
    .await;
}
