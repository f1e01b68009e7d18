//! Contracts drawn up by officials for their townships (API and pages):
//! terms, items, coverage of recipients, status, and who reads them.
use crate::support::builders::{contract_body, person};
use crate::support::*;
use axum::http::StatusCode;
use doudi::models::_entities::recipients;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

#[tokio::test]
async fn contracts_are_drawn_up_by_officials_for_their_townships_and_read_by_the_provider() {
    with_app(|server, ctx| async move {
        let official = token(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let other_town = township_pid(&ctx, "水宁寺镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        // Bad input is named field by field; nothing is stored.
        let mut bad = contract_body(&town, &org);
        bad["ends_on"] = json!("2026-12-01");
        bad["total"] = json!("100.00");
        bad["items"][0]["unit"] = json!("bucket");
        bad["items"][1]["service"] = json!("massage");
        bad["procurement_method"] = json!("lottery");
        let res = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&bad)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let errors = res.json::<Value>()["errors"].clone();
        for k in [
            "ends_on",
            "items.0.unit",
            "items.1.service",
            "procurement_method",
            "items",
        ] {
            assert!(errors[k].is_array(), "{k}: {errors}");
        }
        // Another official's township is not theirs to buy for.
        let res = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&contract_body(&other_town, &org))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        for who in ["coordinator@doudi.test", "worker@doudi.test"] {
            let res = server
                .post("/api/v1/contracts")
                .authorization_bearer(&token(&ctx, who).await)
                .json(&contract_body(&town, &org))
                .await;
            assert_eq!(res.status_code(), StatusCode::NOT_FOUND, "{who}");
        }
        let audits = audit_count(&ctx, "create", "contracts").await;
        let res = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&contract_body(&town, &org))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        assert_eq!(audit_count(&ctx, "create", "contracts").await, audits + 1);
        let pid = res.json::<Value>()["pid"]
            .as_str()
            .expect("pid")
            .to_string();
        // The same code twice is refused.
        let res = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&contract_body(&town, &org))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["code"].is_array());
        // Who sees it: the township's official, the provider, admins.
        for (who, status) in [
            ("official@doudi.test", 200),
            ("admin@doudi.test", 200),
            ("coordinator@doudi.test", 200),
            ("official2@doudi.test", 404),
            ("coordinator2@doudi.test", 404),
            ("worker@doudi.test", 404),
        ] {
            let t = token(&ctx, who).await;
            for path in [
                format!("/api/v1/contracts/{pid}"),
                format!("/api/v1/contracts/{pid}/fulfilment"),
                format!("/api/v1/contracts/{pid}/recipients"),
            ] {
                let res = server.get(&path).authorization_bearer(&t).await;
                assert_eq!(res.status_code().as_u16(), status, "{who} {path}");
            }
        }
        // A draft is edited; the provider cannot edit it.
        let mut edit = contract_body(&town, &org);
        edit["title"] = json!("曾口镇2027年一季度居家探访服务（修订）");
        let res = server
            .patch(&format!("/api/v1/contracts/{pid}"))
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .json(&edit)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        let res = server
            .patch(&format!("/api/v1/contracts/{pid}"))
            .authorization_bearer(&official)
            .json(&edit)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        // Covering someone of another township is refused.
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/recipients"))
            .authorization_bearer(&official)
            .json(&json!({"recipients": [person(&ctx, "何淑珍").await.pid]}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        // In force: no more silent edits, no going back.
        let status = |s: &str| json!({"status": s});
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/status"))
            .authorization_bearer(&official)
            .json(&status("closed"))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/status"))
            .authorization_bearer(&official)
            .json(&status("active"))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let res = server
            .patch(&format!("/api/v1/contracts/{pid}"))
            .authorization_bearer(&official)
            .json(&edit)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["status"].is_array());
        let res = server
            .get("/api/v1/contracts")
            .authorization_bearer(&token(&ctx, "official2@doudi.test").await)
            .await;
        // Only 水宁寺镇's own (the demo's contract with Yimin).
        assert_eq!(res.json::<Value>()["page"]["total"], 1);
    })
    .await;
}

#[tokio::test]
async fn officials_draw_up_a_contract_on_the_pages_and_see_its_fulfilment() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        let page = server
            .get("/contracts/new")
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert!(page.text().contains("竞争性磋商"));
        let mut form: Vec<(&str, String)> = vec![
            ("township", town.clone()),
            ("organization", org.clone()),
            ("code", "BZ-ZK-2027-009".into()),
            ("title", "曾口镇居家探访".into()),
            ("procurement_method", "single_source".into()),
            ("signed_on", "2026-12-20".into()),
            ("starts_on", "2027-01-01".into()),
            ("ends_on", "2027-12-31".into()),
            ("total", "50".into()),
            ("min_visits_per_month", "2".into()),
        ];
        for (what, unit, q, price) in [
            ("service:daily_care", "visit", "100", "50"),
            ("material:food", "yuan", "2000", "1"),
            ("", "visit", "", ""),
        ] {
            form.push(("item_what", what.into()));
            form.push(("item_unit", unit.into()));
            form.push(("item_quantity", q.into()));
            form.push(("item_price", price.into()));
            form.push(("item_min_minutes", String::new()));
        }
        // Items over the total: the form again, everything kept.
        let res = server
            .post("/contracts")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&form)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("曾口镇居家探访"));
        assert!(res.text().contains("各服务项目金额之和超过合同总额"));
        form[8].1 = "10000.00".into();
        let res = server
            .post("/contracts")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&form)
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER, "{}", res.text());
        let location = res.header("location").to_str().expect("ascii").to_string();
        let show = server
            .get(&location)
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(show.status_code(), StatusCode::OK);
        let text = show.text();
        assert!(
            text.contains("生活照料") && text.contains("0 / 100"),
            "{text}"
        );
        assert!(text.contains("履约情况"));
        // Cover a recipient, then put it in force.
        let page = server
            .get(&format!("{location}/recipients"))
            .add_header("cookie", cookie.clone())
            .await;
        assert!(page.text().contains("单秀英"));
        let a = person(&ctx, "单秀英").await;
        let res = server
            .post(&format!("{location}/recipients"))
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("recipients", a.pid.to_string())])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        // A whole household at once.
        let b = person(&ctx, "李长林").await;
        let home = doudi::models::_entities::households::Entity::find_by_id(b.household_id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("household");
        let members = recipients::Entity::find()
            .filter(recipients::Column::HouseholdId.eq(b.household_id))
            .all(&ctx.db)
            .await
            .expect("q")
            .len();
        let page = server
            .get(&format!("{location}/recipients?q=李长林"))
            .add_header("cookie", cookie.clone())
            .await;
        assert!(page.text().contains(&home.pid.to_string()));
        let res = server
            .post(&format!("{location}/recipients"))
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("households", home.pid.to_string())])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        let res = server
            .post(&format!("{location}/status"))
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("status", "active")])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        let show = server
            .get(&location)
            .add_header("cookie", cookie.clone())
            .await;
        assert!(show.text().contains("履行中"));
        assert!(show.text().contains(&format!("{} 人", 1 + members)));
        // Nothing to edit once in force.
        let edit = server
            .get(&format!("{location}/edit"))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(edit.status_code(), StatusCode::NOT_FOUND);
        // The provider reads it; another township's official does not.
        let res = server
            .get(&location)
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let res = server
            .get(&location)
            .add_header("cookie", session(&ctx, "official2@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
    })
    .await;
}
