use crate::support::*;
use axum::http::StatusCode;

fn login_form(email: &str, password: &str) -> [(&'static str, String); 3] {
    [
        ("email", email.into()),
        ("password", password.into()),
        ("next", "/townships".into()),
    ]
}

#[tokio::test]
async fn signing_in_sets_an_http_only_lax_cookie_and_audits_it() {
    with_app(|server, ctx| async move {
        let res = server
            .post("/login")
            .add_header("sec-fetch-site", "same-origin")
            .form(&login_form("ADMIN@doudi.test", "doudi-demo"))
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        assert_eq!(res.header("location"), "/townships");
        let cookie = res
            .header("set-cookie")
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(cookie.starts_with("doudi_session="), "{cookie}");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert_eq!(audit_count(&ctx, "sign_in", "users").await, 1);
        let session = cookie.split(';').next().expect("pair").to_string();
        let page = server.get("/townships").add_header("cookie", session).await;
        assert_eq!(page.status_code(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again_and_is_audited_as_failed() {
    with_app(|server, ctx| async move {
        let res = server
            .post("/login")
            .add_header("sec-fetch-site", "same-origin")
            .form(&login_form("admin@doudi.test", "wrong-password"))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text();
        assert_eq!(
            select_text(&html, ".form-error"),
            vec!["邮箱或密码不正确。"]
        );
        assert!(
            html.contains("value=\"admin@doudi.test\""),
            "the email is kept"
        );
        assert_eq!(audit_count(&ctx, "sign_in_failed", "users").await, 1);
        assert_eq!(audit_count(&ctx, "sign_in", "users").await, 0);
    })
    .await;
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_account_even_with_the_right_password() {
    with_app(|server, ctx| async move {
        for _ in 0..5 {
            let res = server
                .post("/api/v1/auth/login")
                .json(&serde_json::json!({"email": "worker@doudi.test", "password": "nope-nope"}))
                .await;
            assert_eq!(res.status_code(), StatusCode::UNAUTHORIZED);
        }
        let res = server
            .post("/api/v1/auth/login")
            .json(&serde_json::json!({"email": "worker@doudi.test", "password": "doudi-demo"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::TOO_MANY_REQUESTS);
        // Another account from the same address is not locked yet.
        let other = server
            .post("/api/v1/auth/login")
            .json(&serde_json::json!({"email": "admin@doudi.test", "password": "doudi-demo"}))
            .await;
        assert_eq!(other.status_code(), StatusCode::OK);
        assert_eq!(audit_count(&ctx, "sign_in_failed", "users").await, 6);
    })
    .await;
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_address_across_accounts() {
    with_app(|server, _ctx| async move {
        for i in 0..20 {
            server
                .post("/api/v1/auth/login")
                .json(
                    &serde_json::json!({"email": format!("nobody{i}@doudi.test"), "password": "x"}),
                )
                .await;
        }
        let res = server
            .post("/api/v1/auth/login")
            .json(&serde_json::json!({"email": "admin@doudi.test", "password": "doudi-demo"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::TOO_MANY_REQUESTS);
    })
    .await;
}

#[tokio::test]
async fn signing_out_revokes_the_session_everywhere() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "coordinator@doudi.test").await;
        let token = token(&ctx, "coordinator@doudi.test").await;
        assert_eq!(
            server
                .get("/")
                .add_header("cookie", cookie.clone())
                .await
                .status_code(),
            StatusCode::OK
        );
        let out = server
            .post("/logout")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .await;
        assert_eq!(out.status_code(), StatusCode::SEE_OTHER);
        assert_eq!(audit_count(&ctx, "sign_out", "users").await, 1);
        let again = server.get("/").add_header("cookie", cookie).await;
        assert_eq!(again.status_code(), StatusCode::SEE_OTHER);
        assert_eq!(again.header("location"), "/login?next=%2F");
        // The API token issued before is revoked too.
        let api = server
            .get("/api/v1/auth/me")
            .authorization_bearer(token)
            .await;
        assert_eq!(api.status_code(), StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn a_deactivated_user_cannot_sign_in_or_use_an_old_token() {
    with_app(|server, ctx| async move {
        let old = token(&ctx, "worker@doudi.test").await;
        let admin = token(&ctx, "admin@doudi.test").await;
        let worker = user(&ctx, "worker@doudi.test").await;
        let org = organization_pid(&ctx, SUNSHINE).await;
        let res = server
            .put(&format!("/api/v1/users/{}", worker.pid))
            .authorization_bearer(admin)
            .json(
                &serde_json::json!({"name": worker.name, "email": worker.email, "role": "worker",
                                      "organization": org, "active": false}),
            )
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(
            server
                .get("/api/v1/auth/me")
                .authorization_bearer(old)
                .await
                .status_code(),
            StatusCode::UNAUTHORIZED
        );
        let login = server
            .post("/api/v1/auth/login")
            .json(&serde_json::json!({"email": "worker@doudi.test", "password": "doudi-demo"}))
            .await;
        assert_eq!(login.status_code(), StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn after_signing_in_only_same_site_paths_are_followed() {
    with_app(|server, _ctx| async move {
        let res = server
            .post("/login")
            .add_header("sec-fetch-site", "same-origin")
            .form(&[
                ("email", "admin@doudi.test"),
                ("password", "doudi-demo"),
                ("next", "//evil.example/"),
            ])
            .await;
        assert_eq!(res.header("location"), "/");
    })
    .await;
}
