//! How many statements the contract pages and API run. A list loads its
//! related rows (townships, providers, items, users, visits, people) with
//! one query per table for the whole page, so its count does not grow with
//! its rows: each test measures, adds rows, and measures again.
use crate::support::builders::{contract_body, demo_in_force};
use crate::support::*;
use axum::http::StatusCode;
use serde_json::{json, Value};

/// Draws up `n` more drafts (each with three items) for 曾口镇.
async fn more_contracts(server: &axum_test::TestServer, ctx: &loco_rs::app::AppContext, n: u32) {
    let official = token(ctx, "official@doudi.test").await;
    let town = township_pid(ctx, "曾口镇").await.to_string();
    let org = organization_pid(ctx, SUNSHINE).await.to_string();
    for i in 0..n {
        let mut body = contract_body(&town, &org);
        body["code"] = json!(format!("BZ-ZK-2027-Q{i:02}"));
        let res = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&body)
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    }
}

#[tokio::test]
async fn the_contract_list_runs_the_same_statements_however_many_contracts_it_shows() {
    with_app(|server, ctx| async move {
        doudi::demo::seed_story(&ctx.db, chrono::Duration::weeks(8))
            .await
            .expect("demo story");
        let cookie = session(&ctx, "official@doudi.test").await;
        let official = token(&ctx, "official@doudi.test").await;
        let measure = || async {
            let page = server
                .get("/contracts")
                .add_header("cookie", cookie.clone())
                .await;
            page.assert_status_ok();
            let api = server
                .get("/api/v1/contracts")
                .authorization_bearer(&official)
                .await;
            api.assert_status_ok();
            let shown = api.json::<Value>()["items"].as_array().map_or(0, Vec::len);
            (queries(&page), queries(&api), shown)
        };
        let (page_before, api_before, shown_before) = measure().await;
        more_contracts(&server, &ctx, 3).await;
        let (page_after, api_after, shown_after) = measure().await;
        eprintln!(
            "contract list: page {page_before} → {page_after}, api {api_before} → {api_after}"
        );
        assert_eq!(
            (shown_before, shown_after),
            (4, 7),
            "the new contracts are on the page"
        );
        // Page and API alike: the caller and their townships (2), the page
        // of contracts and its total (2), then the townships, providers and
        // items of the whole page (3). Before the batched loader: 4 + 3 a
        // contract (10 for 2, 19 for 5).
        assert_eq!((page_before, page_after), (7, 7));
        assert_eq!((api_before, api_after), (7, 7));
    })
    .await;
}

#[tokio::test]
async fn a_contracts_page_and_its_lists_run_a_fixed_number_of_statements() {
    with_app(|server, ctx| async move {
        doudi::demo::seed_story(&ctx.db, chrono::Duration::weeks(8))
            .await
            .expect("demo story");
        let cookie = session(&ctx, "official@doudi.test").await;
        let official = token(&ctx, "official@doudi.test").await;
        let pid = demo_in_force(&server, &official).await;
        let url = |p: &str| format!("/api/v1/contracts/{pid}{p}");
        let measure = || async {
            let mut counts = Vec::new();
            let page = server
                .get(&format!("/contracts/{pid}"))
                .add_header("cookie", cookie.clone())
                .await;
            page.assert_status_ok();
            counts.push(queries(&page));
            for p in ["/callbacks", "/acceptances", "/payments", "/amendments"] {
                let res = server.get(&url(p)).authorization_bearer(&official).await;
                res.assert_status_ok();
                counts.push(queries(&res));
            }
            counts
        };
        let before = measure().await;
        // Three more call-backs, each of a visit and a person.
        let res = server
            .post(&url("/callbacks"))
            .authorization_bearer(&official)
            .json(&json!({"size": 3}))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let after = measure().await;
        eprintln!(
            "contract page, callbacks, acceptances, payments, amendments: {before:?} → {after:?}"
        );
        assert_eq!(before, after, "the same statements with more call-backs");
        // Each: the caller (2) and the contract (1), then
        // - the page: call-backs with their visits and people (3), payments
        //   with milestones and recorders (3), documents (1), the contract's
        //   townships, providers and items (3), the fulfilment report (8),
        //   amendments and their people (2), milestones (1), acceptances
        //   and who accepted them (2, was 1 an acceptance), services (1);
        // - call-backs: 3; acceptances: 2; payments: 3; amendments: 2.
        assert_eq!(before, vec![PAGE, 6, 5, 6, 5]);
    })
    .await;
}

/// The contract page's statements (see the test above).
const PAGE: u32 = 27;

#[tokio::test]
async fn the_milestones_list_runs_the_same_statements_with_more_milestones() {
    with_app(|server, ctx| async move {
        let official = token(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        let c: Value = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&contract_body(&town, &org))
            .await
            .json();
        let pid = c["pid"].as_str().expect("pid").to_string();
        let url = format!("/api/v1/contracts/{pid}/milestones");
        let measure = || async {
            let res = server.get(&url).authorization_bearer(&official).await;
            res.assert_status_ok();
            (
                queries(&res),
                res.json::<Value>()["items"].as_array().map_or(0, Vec::len),
            )
        };
        let (none, n0) = measure().await;
        for amount in ["100", "200", "300"] {
            let res = server
                .post(&url)
                .authorization_bearer(&official)
                .json(&json!({"title": format!("第{amount}元"), "amount": amount,
                              "due_on": "2027-03-31", "condition": "accepted_period"}))
                .await;
            assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        }
        let (three, n3) = measure().await;
        eprintln!("milestones: {none} ({n0} rows) → {three} ({n3} rows)");
        assert_eq!((n0, n3), (0, 3));
        // The caller (2), the contract (1), its milestones (1).
        assert_eq!((none, three), (4, 4));
    })
    .await;
}

#[tokio::test]
async fn the_amendments_list_runs_the_same_statements_with_more_amendments() {
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
        server
            .post(&url("/status"))
            .authorization_bearer(&official)
            .json(&json!({"status": "active"}))
            .await
            .assert_status_ok();
        let propose = |quantity: i64| {
            let mut change = contract_body(&town, &org);
            change["items"][0]["quantity"] = json!(quantity);
            change["reason"] = json!(format!("探访次数改为{quantity}次"));
            change["effective_on"] = json!("2027-02-01");
            change
        };
        let measure = || async {
            let res = server
                .get(&url("/amendments"))
                .authorization_bearer(&official)
                .await;
            res.assert_status_ok();
            (
                queries(&res),
                res.json::<Value>()["items"].as_array().map_or(0, Vec::len),
            )
        };
        let res = server
            .post(&url("/amendments"))
            .authorization_bearer(&official)
            .json(&propose(12))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let apid = res.json::<Value>()["pid"]
            .as_str()
            .expect("pid")
            .to_string();
        let (one, n1) = measure().await;
        server
            .post(&url(&format!("/amendments/{apid}/approve")))
            .authorization_bearer(&admin)
            .json(&json!({}))
            .await
            .assert_status_ok();
        let res = server
            .post(&url("/amendments"))
            .authorization_bearer(&official)
            .json(&propose(14))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let (two, n2) = measure().await;
        eprintln!("amendments: {one} ({n1} rows) → {two} ({n2} rows)");
        assert_eq!((n1, n2), (1, 2));
        // The token's user and townships (2), the contract (1), the
        // amendments (1) and the people who proposed and decided them (1).
        assert_eq!((one, two), (5, 5));
    })
    .await;
}
