//! The lists the other query tests do not reach: townships, service
//! types, proposals, the handover list, a contract's covered people and
//! the visits behind one of its figures. Each costs the same for a page of
//! one row as for a page of many (one query per related table per page).
use crate::support::builders::demo_in_force;
use crate::support::lists::{one_and_many_api, one_and_many_page};
use crate::support::*;
use axum::http::StatusCode;
use axum_test::TestServer;
use chrono::NaiveDate;
use doudi::demo::names::resident_id;
use serde_json::json;

/// Both forms of a list cost the same for one row as for many; returns
/// (page, API) statements.
async fn page_and_api(
    server: &TestServer,
    ctx: &loco_rs::app::AppContext,
    email: &str,
    page: &str,
    api: &str,
) -> (u32, u32) {
    let cookie = session(ctx, email).await;
    let bearer = token(ctx, email).await;
    let (p1, pn) = one_and_many_page(server, &cookie, page).await;
    let (a1, an) = one_and_many_api(server, &bearer, api).await;
    eprintln!("{page}: page {p1} → {pn}; {api}: API {a1} → {an}");
    assert_eq!(p1, pn, "{page}: page");
    assert_eq!(a1, an, "{api}: API");
    (pn, an)
}

#[tokio::test]
async fn the_township_and_service_type_lists_cost_the_same_for_one_row_or_many() {
    with_app(|server, ctx| async move {
        let townships = page_and_api(
            &server,
            &ctx,
            "admin@doudi.test",
            "/townships",
            "/api/v1/townships",
        )
        .await;
        let types = page_and_api(
            &server,
            &ctx,
            "admin@doudi.test",
            "/service_types",
            "/api/v1/service_types",
        )
        .await;
        assert_eq!(
            (townships, types),
            ((TOWNSHIPS_PAGE, TOWNSHIPS_API), (TYPES_PAGE, TYPES_API))
        );
    })
    .await;
}

const TOWNSHIPS_PAGE: u32 = 4;
const TOWNSHIPS_API: u32 = 4;
const TYPES_PAGE: u32 = 4;
const TYPES_API: u32 = 4;

#[tokio::test]
async fn the_proposals_cost_the_same_for_one_row_or_many() {
    with_app(|server, ctx| async move {
        let coordinator = token(&ctx, "coordinator@doudi.test").await;
        let village = village_pid(&ctx, "石门村").await;
        for (i, name) in ["彭大爷", "邹奶奶", "龙大伯"].iter().enumerate() {
            let seq = 620 + u32::try_from(i).expect("seq");
            let res = server
                .post("/api/v1/recipients")
                .authorization_bearer(&coordinator)
                .json(&json!({
                    "name": name,
                    "id_number": resident_id(NaiveDate::from_ymd_opt(1948, 5, 6).expect("date"), seq),
                    "village": village, "address": "石门村3组2号",
                    "assistance_status": "tekun", "consent_by": name, "consent_on": "2026-11-01",
                }))
                .await;
            assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        }
        // The township's official decides them; the proposer follows them.
        let official = page_and_api(
            &server,
            &ctx,
            "official@doudi.test",
            "/proposals",
            "/api/v1/proposals",
        )
        .await;
        let proposer = page_and_api(
            &server,
            &ctx,
            "coordinator@doudi.test",
            "/proposals",
            "/api/v1/proposals",
        )
        .await;
        assert_eq!((official, proposer), ((PROPOSALS_PAGE, PROPOSALS_API), (PROPOSALS_PAGE, PROPOSALS_API)));
    })
    .await;
}

const PROPOSALS_PAGE: u32 = 6;
const PROPOSALS_API: u32 = 6;

#[tokio::test]
async fn the_handover_list_costs_the_same_for_one_row_or_many() {
    with_app(|server, ctx| async move {
        doudi::demo::seed_story(&ctx.db, chrono::Duration::weeks(8))
            .await
            .expect("demo story");
        let counts = page_and_api(
            &server,
            &ctx,
            "coordinator@doudi.test",
            "/handover",
            "/api/v1/handover",
        )
        .await;
        assert_eq!(counts, (HANDOVER_PAGE, HANDOVER_API));
    })
    .await;
}

const HANDOVER_PAGE: u32 = 9;
const HANDOVER_API: u32 = 8;

#[tokio::test]
async fn a_contracts_people_and_the_visits_behind_a_figure_cost_the_same_for_one_row_or_many() {
    with_app(|server, ctx| async move {
        doudi::demo::seed_story(&ctx.db, chrono::Duration::weeks(8))
            .await
            .expect("demo story");
        let official = token(&ctx, "official@doudi.test").await;
        let pid = demo_in_force(&server, &official).await;
        let people = page_and_api(
            &server,
            &ctx,
            "official@doudi.test",
            &format!("/contracts/{pid}/recipients"),
            &format!("/api/v1/contracts/{pid}/recipients"),
        )
        .await;
        let behind = page_and_api(
            &server,
            &ctx,
            "official@doudi.test",
            &format!("/contracts/{pid}/visits?figure=completed"),
            &format!("/api/v1/contracts/{pid}/visits?figure=completed"),
        )
        .await;
        assert_eq!(
            (people, behind),
            ((PEOPLE_PAGE, PEOPLE_API), (BEHIND_PAGE, BEHIND_API))
        );
    })
    .await;
}

const PEOPLE_PAGE: u32 = 5;
const PEOPLE_API: u32 = 5;
const BEHIND_PAGE: u32 = 11;
const BEHIND_API: u32 = 5;
