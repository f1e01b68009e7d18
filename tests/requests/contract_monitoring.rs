//! Contracts in force in the demo county: months of history, the
//! dashboard, and satisfaction call-backs.
use crate::support::*;
use axum::http::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn the_demo_county_has_two_contracts_in_force_with_months_of_history() {
    with_app(|server, ctx| async move {
        doudi::demo::seed_story(&ctx.db, chrono::Duration::weeks(8))
            .await
            .expect("demo story");
        let official = token(&ctx, "official@doudi.test").await;
        let list: Value = server
            .get("/api/v1/contracts")
            .authorization_bearer(&official)
            .await
            .json();
        // This year's two with the Sunshine centre, the charity's food for
        // two people in 曾口镇, last year's with Yimin, closed (issue 16).
        assert_eq!(list["page"]["total"], 4);
        for c in list["items"].as_array().expect("items") {
            if c["organization"]["name"] != SUNSHINE {
                continue;
            }
            assert_eq!(c["status"], "active");
            let pid = c["pid"].as_str().expect("pid");
            let r: Value = server
                .get(&format!("/api/v1/contracts/{pid}/fulfilment"))
                .authorization_bearer(&official)
                .await
                .json();
            // Months of history: completed visits, and some of each trouble.
            assert!(r["visits"]["completed"].as_i64().unwrap_or(0) > 10, "{r}");
            assert!(
                r["rates"]["due"].as_i64().unwrap_or(0)
                    > r["visits"]["completed"].as_i64().unwrap_or(0)
            );
            assert!(r["compliance"]["judged"].as_i64().unwrap_or(0) > 0);
        }
        let accepted: usize = {
            let mut n = 0;
            for c in list["items"].as_array().expect("items") {
                let a: Value = server
                    .get(&format!(
                        "/api/v1/contracts/{}/acceptances",
                        c["pid"].as_str().expect("pid")
                    ))
                    .authorization_bearer(&official)
                    .await
                    .json();
                n += a["items"].as_array().map_or(0, Vec::len);
            }
            n
        };
        assert_eq!(accepted, 1);
        // The dashboard: both contracts, their charts' data, ECharts on
        // this page only.
        let cookie = session(&ctx, "official@doudi.test").await;
        let dash = server
            .get("/dashboard")
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(dash.status_code(), StatusCode::OK);
        let html = dash.text();
        // The contracts in force (last year's is closed).
        assert_eq!(select_text(&html, "article.contract-card").len(), 3);
        assert!(html.contains("/static/vendor/echarts.min.js"));
        let data = select_text(&html, "script#dashboard-data").join("");
        let charts: Value = serde_json::from_str(&data).expect("chart data");
        assert_eq!(charts["charts"].as_array().map(Vec::len), Some(3));
        assert!(charts["charts"][0]["months"]
            .as_array()
            .is_some_and(|m| m.len() >= 3));
        // By township: both demo townships, each one's contracts on its own.
        let towns = select_text(&html, "h2 + ul.cards li");
        assert_eq!(towns.len(), 2, "{towns:?}");
        assert!(towns.iter().any(|t| t.contains("曾口镇")));
        let zk = township_pid(&ctx, "曾口镇").await;
        let one = server
            .get(&format!("/dashboard?township={zk}"))
            .add_header("cookie", cookie.clone())
            .await;
        // 曾口镇: the Sunshine centre's and the charity's.
        assert_eq!(select_text(&one.text(), "article.contract-card").len(), 2);
        let home = server.get("/contracts").add_header("cookie", cookie).await;
        assert!(!home.text().contains("echarts"));
        // Satisfaction call-backs on a random sample of completed visits.
        let cpid = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|c| c["organization"]["name"] == SUNSHINE)
            .and_then(|c| c["pid"].as_str())
            .expect("pid")
            .to_string();
        let cb = |p: &str| format!("/api/v1/contracts/{cpid}/callbacks{p}");
        let res = server
            .post(&cb(""))
            .authorization_bearer(&official)
            .json(&json!({"size": 500}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post(&cb(""))
            .authorization_bearer(&official)
            .json(&json!({"size": 5}))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        assert_eq!(res.json::<Value>()["sampled"], 5);
        let calls: Value = server
            .get(&cb(""))
            .authorization_bearer(&official)
            .await
            .json();
        let items = calls["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 5);
        assert!(items
            .iter()
            .all(|c| c["status"] == "pending" && c["recipient"].is_string()));
        let first = items[0]["pid"].as_str().expect("pid").to_string();
        let res = server
            .post(&cb(&format!("/{first}")))
            .authorization_bearer(&official)
            .json(&json!({"status": "reached"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post(&cb(&format!("/{first}")))
            .authorization_bearer(&official)
            .json(&json!({"status": "reached", "satisfaction": 4, "note": "老人说社工很耐心"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let second = items[1]["pid"].as_str().expect("pid").to_string();
        server
            .post(&cb(&format!("/{second}")))
            .authorization_bearer(&official)
            .json(&json!({"status": "unreachable"}))
            .await;
        let calls: Value = server
            .get(&cb(""))
            .authorization_bearer(&official)
            .await
            .json();
        assert_eq!(
            calls["summary"],
            json!({"sampled": 5, "reached": 1, "unreachable": 1, "satisfaction": 4.0})
        );
        // Drawing again never draws the same visit twice.
        server
            .post(&cb(""))
            .authorization_bearer(&official)
            .json(&json!({"size": 50}))
            .await;
        let calls: Value = server
            .get(&cb(""))
            .authorization_bearer(&official)
            .await
            .json();
        let mut visits: Vec<String> = calls["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| c["visit"].as_str().unwrap_or_default().to_string())
            .collect();
        let n = visits.len();
        visits.sort();
        visits.dedup();
        assert_eq!(visits.len(), n);
        // The provider does not see the purchaser's call-backs.
        let res = server
            .get(&cb(""))
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        // The page renders with its figures; the call-backs section with
        // their average.
        let shown = cpid.as_str();
        let page = server
            .get(&format!("/contracts/{shown}"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert!(page.text().contains("履约情况"));
        let page = server
            .get(&format!("/contracts/{shown}?tab=callbacks"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert!(page.text().contains("平均满意度 4"), "{}", page.text());
    })
    .await;
}
