use crate::support::*;
use axum::http::StatusCode;

#[tokio::test]
async fn admins_filter_the_audit_log_and_see_local_times() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "admin@doudi.test").await;
        let res = server
            .get("/audit?entity=townships&action=create")
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let html = res.text();
        let entries = select_text(&html, "ul.audit > li > div:first-child strong");
        assert_eq!(entries, vec!["新增", "新增", "新增"]);
        for t in select_text(&html, "ul.audit time") {
            let ok = t.len() == 19 && t.as_bytes()[4] == b'-' && t.as_bytes()[10] == b' ';
            assert!(ok, "local time, not RFC 3339: {t}");
        }
        let api: serde_json::Value = server
            .get("/api/v1/audit_logs?entity=users&action=create&per_page=5")
            .authorization_bearer(token(&ctx, "admin@doudi.test").await)
            .await
            .json();
        assert_eq!(api["page"]["total"], 13);
        assert_eq!(api["items"].as_array().map(Vec::len), Some(5));
        assert!(api["items"][0]["changes"]["password"]["changed"]
            .as_bool()
            .unwrap_or(false));
    })
    .await;
}

#[tokio::test]
async fn a_visitor_switches_language_with_a_cookie() {
    with_app(|server, _ctx| async move {
        let res = server
            .post("/language")
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("lang", "en"), ("next", "/login")])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        let cookie = res
            .header("set-cookie")
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(cookie.starts_with("lang=en"), "{cookie}");
        let res = server
            .post("/language")
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("lang", "en"), ("next", "https://evil.example/")])
            .await;
        assert_eq!(res.header("location"), "/");
    })
    .await;
}
