//! Statements per request of the outputs (`x-query-count`): the
//! dashboard, a contract's exports, an acceptance pack and the OCDS
//! release. None of them runs a statement per visit, per call-back or per
//! payment, nor the dashboard a statement per card.
use crate::support::builders::{contract_body, person, visit};
use crate::support::*;
use axum::http::StatusCode;
use axum_test::TestServer;
use loco_rs::app::AppContext;
use serde_json::{json, Value};

/// An active contract of 曾口镇 with the provider, three items (two
/// services and food) and 单秀英 covered, over September to December
/// 2026.
async fn active_contract(server: &TestServer, ctx: &AppContext, code: &str) -> String {
    let official = token(ctx, "official@doudi.test").await;
    let town = township_pid(ctx, "曾口镇").await.to_string();
    let org = organization_pid(ctx, SUNSHINE).await.to_string();
    let mut body = contract_body(&town, &org);
    body["code"] = json!(code);
    body["starts_on"] = json!("2026-09-01");
    body["ends_on"] = json!("2026-12-31");
    body["signed_on"] = json!("2026-08-20");
    let res = server
        .post("/api/v1/contracts")
        .authorization_bearer(&official)
        .json(&body)
        .await;
    assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    let pid = res.json::<Value>()["pid"]
        .as_str()
        .expect("pid")
        .to_string();
    let who = person(ctx, "单秀英").await;
    let res = server
        .post(&format!("/api/v1/contracts/{pid}/recipients"))
        .authorization_bearer(&official)
        .json(&json!({"recipients": [who.pid]}))
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
    let res = server
        .post(&format!("/api/v1/contracts/{pid}/status"))
        .authorization_bearer(&official)
        .json(&json!({"status": "active"}))
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
    pid
}

/// `n` completed visits to 单秀英 in September 2026, each with a
/// service line and food from the contract.
async fn september_visits(ctx: &AppContext, n: u32) {
    let who = person(ctx, "单秀英").await;
    for i in 0..n {
        let day = format!("2026-09-{:02}", 2 + i % 27);
        visit(
            ctx,
            &who,
            &day,
            "completed",
            i % 3 == 0,
            false,
            None,
            &[("daily_care", 40), ("emotional_support", 30)],
            &[("food", 5000, "contract", None)],
        )
        .await;
    }
}

/// The statements of a page request, after checking it answered 200.
async fn counted(server: &TestServer, cookie: &str, path: &str) -> u32 {
    let res = server
        .get(path)
        .add_header("cookie", cookie.to_string())
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{path}: {}", res.text());
    queries(&res)
}

/// The dashboard's statements do not grow with its cards: the parties,
/// the call-back summaries and the cards' fulfilment (`fulfilment::reports`:
/// the approved amendments, the items, the day totals by stretch of
/// terms, what is still scheduled, the coverage, the months meeting the
/// frequency term) and visits by month (`fulfilment::monthly_of_all`) are
/// each one statement for the whole page (before this, each card ran its
/// own report and months: 9 statements a card, 28 for the demo's two).
#[tokio::test]
async fn the_dashboard_costs_the_same_whatever_the_number_of_cards() {
    with_app(|server, ctx| async move {
        doudi::demo::seed_story(&ctx.db, chrono::Duration::weeks(8))
            .await
            .expect("demo story");
        let cookie = session(&ctx, "official@doudi.test").await;
        let two = counted(&server, &cookie, "/dashboard").await;
        // Call-backs drawn on a demo contract change nothing.
        let official = token(&ctx, "official@doudi.test").await;
        let list: Value = server
            .get("/api/v1/contracts")
            .authorization_bearer(&official)
            .await
            .json();
        let demo = list["items"][0]["pid"].as_str().expect("pid").to_string();
        let res = server
            .post(&format!("/api/v1/contracts/{demo}/callbacks"))
            .authorization_bearer(&official)
            .json(&json!({"size": 5}))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        assert_eq!(counted(&server, &cookie, "/dashboard").await, two);
        // Three more contracts in force, with items: a card each.
        for n in 1..=3 {
            active_contract(&server, &ctx, &format!("BZ-ZK-2026-Q{n}")).await;
        }
        september_visits(&ctx, 4).await;
        let five = counted(&server, &cookie, "/dashboard").await;
        let html = server
            .get("/dashboard")
            .add_header("cookie", cookie.clone())
            .await
            .text();
        assert_eq!(select_text(&html, "article.contract-card").len(), 6);
        assert_eq!(
            five, two,
            "the page's statements do not grow with its cards: {two} for two cards, {five} for five"
        );
        // (On SQLite, 19 statements: the session, the contracts in force,
        // their townships' sums, the townships, the page and its count,
        // the service names, the providers, the call-backs, the cards'
        // fulfilment (7) and months (1).)
        // One card a page: the same statements.
        let one = counted(&server, &cookie, "/dashboard?per_page=1").await;
        assert_eq!(one, five, "{one} for one card, {five} for five");
    })
    .await;
}

#[tokio::test]
async fn exports_cost_the_same_whatever_the_number_of_visits() {
    with_app(|server, ctx| async move {
        let c = active_contract(&server, &ctx, "BZ-ZK-2026-E1").await;
        september_visits(&ctx, 2).await;
        let cookie = session(&ctx, "official@doudi.test").await;
        let files = ["items.csv", "compliance.csv", "funding.xlsx"];
        let mut before = Vec::new();
        for f in files {
            before.push(counted(&server, &cookie, &format!("/contracts/{c}/export/{f}")).await);
        }
        september_visits(&ctx, 25).await;
        for (f, b) in files.iter().zip(&before) {
            let after = counted(&server, &cookie, &format!("/contracts/{c}/export/{f}")).await;
            assert_eq!(after, *b, "{f}: {b} with 2 visits, {after} with 27");
        }
    })
    .await;
}

#[tokio::test]
async fn an_acceptance_pack_costs_the_same_whatever_the_number_of_visits() {
    with_app(|server, ctx| async move {
        let c = active_contract(&server, &ctx, "BZ-ZK-2026-P1").await;
        september_visits(&ctx, 2).await;
        let official = token(&ctx, "official@doudi.test").await;
        let res = server
            .post(&format!("/api/v1/contracts/{c}/acceptances"))
            .authorization_bearer(&official)
            .json(&json!({"period_start": "2026-09-01", "period_end": "2026-09-30"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let a = res.json::<Value>()["pid"]
            .as_str()
            .expect("pid")
            .to_string();
        let cookie = session(&ctx, "official@doudi.test").await;
        let packs = ["pack.xlsx", "pack.pdf", "pack.xlsx?masked=1"];
        let path = |p: &str| format!("/contracts/{c}/acceptances/{a}/{p}");
        let mut before = Vec::new();
        for p in packs {
            before.push(counted(&server, &cookie, &path(p)).await);
        }
        // Visits written into the period afterwards are listed too.
        september_visits(&ctx, 25).await;
        for (p, b) in packs.iter().zip(&before) {
            let after = counted(&server, &cookie, &path(p)).await;
            assert_eq!(after, *b, "{p}: {b} with 2 visits, {after} with 27");
        }
    })
    .await;
}

#[tokio::test]
async fn the_ocds_release_costs_the_same_whatever_the_number_of_visits_payments_and_acceptances() {
    with_app(|server, ctx| async move {
        let c = active_contract(&server, &ctx, "BZ-ZK-2026-O1").await;
        september_visits(&ctx, 2).await;
        let official = token(&ctx, "official@doudi.test").await;
        let release = || async {
            let res = server
                .get(&format!("/api/v1/contracts/{c}/ocds"))
                .authorization_bearer(&official)
                .await;
            assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
            queries(&res)
        };
        let bare = release().await;
        september_visits(&ctx, 25).await;
        for (n, (start, end)) in [("2026-09-01", "2026-09-30"), ("2026-10-01", "2026-10-31")]
            .into_iter()
            .enumerate()
        {
            let res = server
                .post(&format!("/api/v1/contracts/{c}/acceptances"))
                .authorization_bearer(&official)
                .json(&json!({"period_start": start, "period_end": end}))
                .await;
            assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
            let res = server
                .post(&format!("/api/v1/contracts/{c}/payments"))
                .authorization_bearer(&official)
                .json(&json!({"amount": "100", "paid_on": "2026-11-20", "reference": format!("PZ-{n}")}))
                .await;
            assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        }
        let full = release().await;
        assert_eq!(full, bare, "{bare} bare, {full} with visits, acceptances and payments");
    })
    .await;
}
