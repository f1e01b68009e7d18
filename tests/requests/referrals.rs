//! Referrals raised from a visit, on the coordinator's list until acted on.
use crate::support::builders::{completed, visits_for_worker};
use crate::support::*;
use axum::http::StatusCode;
use serde_json::{json, Value};

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
