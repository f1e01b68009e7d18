//! Amendments: a contract in force changes only by an approved amendment,
//! kept as a version.
use crate::support::builders::{contract_body, person};
use crate::support::*;
use axum::http::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn a_contract_in_force_changes_only_by_an_approved_amendment_kept_as_a_version() {
    with_app(|server, ctx| async move {
        let official = token(&ctx, "official@doudi.test").await;
        let admin = token(&ctx, "admin@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        let c: Value = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&contract_body(&town, &org))
            .await
            .json();
        let pid = c["pid"].as_str().expect("pid").to_string();
        let url = |p: &str| format!("/api/v1/contracts/{pid}{p}");
        // A draft is not amended: it is edited.
        let mut change = contract_body(&town, &org);
        change["items"][0]["quantity"] = json!(12);
        change["total"] = json!("120000.00");
        change["reason"] = json!("增加特困人员2名，相应增加探访次数");
        change["effective_on"] = json!("2027-02-01");
        change["add_recipients"] = json!([person(&ctx, "李长林").await.pid]);
        let res = server
            .post(&url("/amendments"))
            .authorization_bearer(&official)
            .json(&change)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        server
            .post(&url("/status"))
            .authorization_bearer(&official)
            .json(&json!({"status": "active"}))
            .await;
        // Without a reason, outside the period, or to another provider: no.
        for (k, v) in [
            ("reason", json!("")),
            ("effective_on", json!("2028-01-01")),
            ("organization", json!(organization_pid(&ctx, YIMIN).await)),
        ] {
            let mut bad = change.clone();
            bad[k] = v;
            let res = server
                .post(&url("/amendments"))
                .authorization_bearer(&official)
                .json(&bad)
                .await;
            assert_eq!(
                res.status_code(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{k}: {}",
                res.text()
            );
        }
        let res = server
            .post(&url("/amendments"))
            .authorization_bearer(&official)
            .json(&change)
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let a: Value = res.json();
        assert_eq!(a["status"], "pending");
        let apid = a["pid"].as_str().expect("pid").to_string();
        // Nothing changed yet; the proposer cannot approve their own.
        let shown: Value = server
            .get(&url(""))
            .authorization_bearer(&official)
            .await
            .json();
        assert_eq!(shown["items"][0]["quantity"], "10");
        let res = server
            .post(&url(&format!("/amendments/{apid}/approve")))
            .authorization_bearer(&official)
            .json(&json!({}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        // Outside the township: not found.
        let res = server
            .post(&url(&format!("/amendments/{apid}/approve")))
            .authorization_bearer(&token(&ctx, "official2@doudi.test").await)
            .json(&json!({}))
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        let res = server
            .post(&url(&format!("/amendments/{apid}/approve")))
            .authorization_bearer(&admin)
            .json(&json!({"note": "同意"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let after: Value = res.json();
        assert_eq!(after["version"], 2);
        assert_eq!(after["items"][0]["quantity"], "12");
        assert_eq!(after["total_fen"], 12_000_000);
        let covered: Value = server
            .get(&url("/recipients"))
            .authorization_bearer(&official)
            .await
            .json();
        assert_eq!(covered["page"]["total"], 1);
        // The version keeps the terms it replaced.
        let list: Value = server
            .get(&url("/amendments"))
            .authorization_bearer(&official)
            .await
            .json();
        let first = &list["items"][0];
        assert_eq!(first["status"], "approved");
        assert_eq!(first["version"], 2);
        assert_eq!(first["previous"]["items"][0]["quantity_milli"], 10_000);
        assert_eq!(first["previous"]["total_fen"], 10_000_000);
        // Deciding twice is refused; a rejection needs a reason.
        let res = server
            .post(&url(&format!("/amendments/{apid}/reject")))
            .authorization_bearer(&admin)
            .json(&json!({"note": "x"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let mut again = change.clone();
        again["add_recipients"] = json!([]);
        again["items"][0]["quantity"] = json!(20);
        again["total"] = json!("200000.00");
        let b: Value = server
            .post(&url("/amendments"))
            .authorization_bearer(&official)
            .json(&again)
            .await
            .json();
        let bpid = b["pid"].as_str().expect("pid").to_string();
        let res = server
            .post(&url(&format!("/amendments/{bpid}/reject")))
            .authorization_bearer(&admin)
            .json(&json!({}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post(&url(&format!("/amendments/{bpid}/reject")))
            .authorization_bearer(&admin)
            .json(&json!({"reason": "预算不足"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let shown: Value = server
            .get(&url(""))
            .authorization_bearer(&official)
            .await
            .json();
        assert_eq!(
            (
                shown["version"].clone(),
                shown["items"][0]["quantity"].clone()
            ),
            (json!(2), json!("12"))
        );
        // The page's changes section lists both, and offers the form.
        let cookie = session(&ctx, "official@doudi.test").await;
        let page = server
            .get(&format!("/contracts/{pid}?tab=amendments"))
            .add_header("cookie", cookie.clone())
            .await;
        assert!(
            page.text().contains("已批准")
                && page.text().contains("已驳回")
                && page.text().contains("预算不足")
        );
        let form = server
            .get(&format!("/contracts/{pid}/amendments/new"))
            .add_header("cookie", cookie)
            .await;
        assert_eq!(form.status_code(), StatusCode::OK);
        assert!(form.text().contains("变更理由"));
    })
    .await;
}
