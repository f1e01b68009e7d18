//! Issue 13, the privacy page: `/privacy` and `/api/v1/privacy`, generated
//! from `domain::privacy`, in both languages, without signing in.
use crate::support::builders::attr;
use crate::support::*;
use axum::http::StatusCode;
use doudi::domain::{
    privacy::{kept, seen_key, Datum, Retention},
    role::Role,
};
use serde_json::Value;

#[tokio::test]
async fn the_privacy_page_shows_every_datum_for_every_role_without_signing_in() {
    with_app(|server, _ctx| async move {
        let zh = server.get("/privacy").await;
        assert_eq!(zh.status_code(), StatusCode::OK);
        let zh = zh.text();
        assert!(zh.contains("<html lang=\"zh-CN\">"));
        assert_eq!(select_text(&zh, "h1"), vec!["个人信息保护"]);
        let en = server
            .get("/privacy")
            .add_header("accept-language", "en")
            .await
            .text();
        assert!(en.contains("<html lang=\"en\">"));
        assert_eq!(select_text(&en, "h1"), vec!["Privacy"]);

        for (html, worker, whole) in [
            (&zh, "社工、志愿者", "完整"),
            (&en, "Worker / volunteer", "whole"),
        ] {
            // One card per kind of data, in the order of the rule.
            let cards = attr(html, "article.datum", "id");
            let expected: Vec<String> = Datum::ALL
                .iter()
                .map(|d| format!("datum-{}", d.key()))
                .collect();
            assert_eq!(cards, expected);
            for d in Datum::ALL {
                // Every role, with the rule's answer.
                let sel = format!("#datum-{} table.seen th", d.key());
                let roles = attr(html, &sel, "data-role");
                let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                assert_eq!(roles, names, "{d:?}");
                let sel = format!("#datum-{} table.seen td .tag", d.key());
                let seen = attr(html, &sel, "data-seen");
                let rule: Vec<&str> = Role::ALL.iter().map(|&r| seen_key(r, d)).collect();
                assert_eq!(seen, rule, "{d:?}");
            }
            assert!(select_text(html, "#datum-name table.seen th").contains(&worker.to_string()));
            assert!(select_text(html, "#datum-name table.seen td").contains(&whole.to_string()));
            // No placeholder left unresolved.
            assert!(!html.contains("Unknown localization"), "{html}");
            assert!(!html.contains("{$") && !html.contains("{ $"), "{html}");
        }
        // The configured roster retention is in the words.
        assert!(zh.contains("30 天后"));
        assert!(en.contains("after 30 days"));
        assert!(en.contains("from 1 day before its day to 3 days after"));
        // Nobody is signed in: no sections menu, and the sign-in page links here.
        assert!(select_text(&zh, "nav.sections").is_empty());
        let login = server.get("/login").await.text();
        assert!(attr(&login, "main a", "href").contains(&"/privacy".to_string()));
        assert!(attr(&login, "footer a", "href").contains(&"/privacy".to_string()));
    })
    .await;
}

#[tokio::test]
async fn a_signed_in_person_reads_the_privacy_page_in_their_language_with_their_menu() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "worker@doudi.test").await;
        let page = server.get("/privacy").add_header("cookie", cookie).await;
        assert_eq!(page.status_code(), StatusCode::OK);
        let page = page.text();
        assert!(!select_text(&page, "nav.sections").is_empty());
        assert_eq!(attr(&page, "article.datum", "id").len(), Datum::ALL.len());
    })
    .await;
}

#[tokio::test]
async fn the_privacy_policy_is_served_as_data() {
    with_app(|server, _ctx| async move {
        let res = server
            .get("/api/v1/privacy")
            .add_header("accept-language", "en")
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let body = res.json::<Value>();
        assert_eq!(body["lang"], "en");
        let roles: Vec<&str> = body["roles"]
            .as_array()
            .expect("roles")
            .iter()
            .filter_map(|r| r["key"].as_str())
            .collect();
        assert_eq!(roles, ["admin", "official", "coordinator", "worker"]);
        let data = body["data"].as_array().expect("data");
        assert_eq!(data.len(), Datum::ALL.len());
        for (d, row) in Datum::ALL.iter().zip(data) {
            assert_eq!(row["key"], d.key());
            let seen = row["seen"].as_array().expect("seen");
            for (r, cell) in Role::ALL.iter().zip(seen) {
                assert_eq!(cell["role"], r.as_str());
                assert_eq!(cell["seen"], seen_key(*r, *d), "{d:?} {r}");
            }
            assert_eq!(row["kept"]["rule"], kept(*d, Retention::default()).key());
            assert!(!row["why"].as_str().unwrap_or("").is_empty());
        }
        let roster = &data[Datum::ALL
            .iter()
            .position(|d| *d == Datum::Roster)
            .expect("roster")];
        assert_eq!(roster["kept"]["days"], 30);
        let zh = server.get("/api/v1/privacy").await.json::<Value>();
        assert_eq!(zh["lang"], "zh-CN");
        assert_eq!(zh["data"][0]["label"], "姓名");
    })
    .await;
}
