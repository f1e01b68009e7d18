//! Accepting a period: milestones, frozen figures, locked visits, the
//! drill-down, exports, payments and the acceptance pack.
use crate::support::builders::{contract_body, person, visit};
use crate::support::*;
use axum::http::StatusCode;
use doudi::models::_entities::visits;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

#[tokio::test]
async fn accepting_a_period_freezes_its_figures_locks_its_visits_and_meets_the_milestone() {
    with_app(|server, ctx| async move {
        let official = token(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        let mut body = contract_body(&town, &org);
        body["starts_on"] = json!("2026-09-01");
        body["ends_on"] = json!("2026-12-31");
        body["signed_on"] = json!("2026-08-20");
        let c: Value = server.post("/api/v1/contracts").authorization_bearer(&official).json(&body).await.json();
        let pid = c["pid"].as_str().expect("pid").to_string();
        let url = |p: &str| format!("/api/v1/contracts/{pid}{p}");
        let a = person(&ctx, "单秀英").await;
        server
            .post(&url("/recipients"))
            .authorization_bearer(&official)
            .json(&json!({"recipients": [a.pid]}))
            .await;
        // Milestones: within the total, while a draft.
        let res = server
            .post(&url("/milestones"))
            .authorization_bearer(&official)
            .json(&json!({"title": "第一期", "amount": "200000", "due_on": "2026-10-10", "condition": "delivery_percent", "condition_percent": 10}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post(&url("/milestones"))
            .authorization_bearer(&official)
            .json(&json!({"title": "第一期", "amount": "30000", "due_on": "2026-10-10", "condition": "delivery_percent", "condition_percent": 5}))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let milestone = res.json::<Value>()["pid"].clone();
        server
            .post(&url("/status"))
            .authorization_bearer(&official)
            .json(&json!({"status": "active"}))
            .await;
        // September: two completed visits: 2 of 10 daily-care visits, 100 of
        // the 1,900 yuan the items buy (5.3 %, over the milestone's 5 %).
        for day in ["2026-09-08", "2026-09-22"] {
            visit(&ctx, &a, day, "completed", false, false, None, &[("daily_care", 45)], &[]).await;
        }
        visit(&ctx, &a, "2026-10-06", "completed", false, false, None, &[("daily_care", 45)], &[]).await;
        // Not over yet, outside the period, or reversed: refused.
        for (s, e) in [("2026-11-01", "2026-12-31"), ("2026-08-01", "2026-09-30"), ("2026-09-30", "2026-09-01")] {
            let res = server
                .post(&url("/acceptances"))
                .authorization_bearer(&official)
                .json(&json!({"period_start": s, "period_end": e}))
                .await;
            assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY, "{s}–{e}");
        }
        let audits = audit_count(&ctx, "create", "acceptances").await;
        let res = server
            .post(&url("/acceptances"))
            .authorization_bearer(&official)
            .json(&json!({"period_start": "2026-09-01", "period_end": "2026-09-30", "milestone": milestone, "note": "资料齐全"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        assert_eq!(audit_count(&ctx, "create", "acceptances").await, audits + 1);
        let acc: Value = res.json();
        assert_eq!(acc["locked_visits"], 2);
        // The snapshot holds the figures as of the period's last day.
        assert_eq!(acc["snapshot"]["items"][0]["delivered_milli"], 2000);
        assert_eq!(acc["snapshot"]["today"], "2026-09-30");
        let ms: Value = server.get(&url("/milestones")).authorization_bearer(&official).await.json();
        assert_eq!(ms["items"][0]["status"], "met");
        // The period is settled: no overlapping acceptance, no amendment
        // reaching back, no changes to its visits.
        let res = server
            .post(&url("/acceptances"))
            .authorization_bearer(&official)
            .json(&json!({"period_start": "2026-09-15", "period_end": "2026-10-15"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let mut change = body.clone();
        change["items"][0]["quantity"] = json!(12);
        change["total"] = json!("120000");
        change["reason"] = json!("补充");
        change["effective_on"] = json!("2026-09-15");
        let res = server.post(&url("/amendments")).authorization_bearer(&official).json(&change).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["effective_on"].is_array());
        change["effective_on"] = json!("2026-10-01");
        let res = server.post(&url("/amendments")).authorization_bearer(&official).json(&change).await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let locked = visits::Entity::find()
            .filter(visits::Column::LockedAt.is_not_null())
            .all(&ctx.db)
            .await
            .expect("q");
        assert_eq!(locked.len(), 2);
        let res = server
            .post(&format!("/api/v1/visits/{}/amendments", locked[0].pid))
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .json(&json!({"reason": "改", "outcome": "attempted"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("status"));
        // The contract page's acceptance section shows the acceptance and
        // the milestone met.
        let page = server
            .get(&format!("/contracts/{pid}?tab=acceptance"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert!(page.text().contains("锁定走访 2 次") && page.text().contains("已达成"), "{}", page.text());
        // A second period through the page's form: October.
        let res = server
            .post(&format!("/contracts/{pid}/acceptances"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("period_start", "2026-10-01"), ("period_end", "2026-10-31"), ("milestone", "")])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        let list: Value = server.get(&url("/acceptances")).authorization_bearer(&official).await.json();
        assert_eq!(list["items"][0]["locked_visits"], 1);
        // Drill-down: the visits behind each figure.
        let behind = |f: &str| {
            let path = url(&format!("/visits?figure={f}"));
            let t = official.clone();
            let server = &server;
            async move { server.get(&path).authorization_bearer(&t).await }
        };
        assert_eq!(behind("completed").await.json::<Value>()["page"]["total"], 3);
        assert_eq!(behind("missed").await.json::<Value>()["page"]["total"], 0);
        let item = c["items"][0]["pid"].as_str().expect("item").to_string();
        assert_eq!(behind(&format!("item:{item}")).await.json::<Value>()["page"]["total"], 3);
        assert_eq!(behind("bogus").await.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let cookie = session(&ctx, "official@doudi.test").await;
        let page = server
            .get(&format!("/contracts/{pid}/visits?figure=completed"))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert_eq!(select_text(&page.text(), "li.visit-card").len(), 3);
        // Exports: CSV with a BOM, XLSX, and OCDS without personal data.
        let csv = server
            .get(&format!("/contracts/{pid}/export/items.csv"))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(csv.status_code(), StatusCode::OK);
        assert!(csv.as_bytes().starts_with(b"\xEF\xBB\xBF"));
        assert!(csv.text().contains("生活照料"));
        let xlsx = server
            .get(&format!("/contracts/{pid}/export/funding.xlsx"))
            .add_header("cookie", cookie.clone())
            .await;
        assert!(xlsx.as_bytes().starts_with(b"PK"));
        let missing = server
            .get(&format!("/contracts/{pid}/export/people.csv"))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(missing.status_code(), StatusCode::NOT_FOUND);
        let other = server
            .get(&format!("/contracts/{pid}/export/items.csv"))
            .add_header("cookie", session(&ctx, "official2@doudi.test").await)
            .await;
        assert_eq!(other.status_code(), StatusCode::NOT_FOUND);
        // Payments: the met milestone is paid, never beyond its amount or
        // the total, with a voucher reference; others see nothing.
        let pay = |body: Value| {
            let server = &server;
            let official = official.clone();
            let to = url("/payments");
            async move {
                server
                    .post(&to)
                    .authorization_bearer(&official)
                    .json(&body)
                    .await
            }
        };
        for bad in [
            json!({"amount": "30000.01", "paid_on": "2026-10-20", "reference": "PZ-2026-118", "milestone": milestone}),
            json!({"amount": "0", "paid_on": "2026-10-20", "reference": "PZ-2026-118"}),
            json!({"amount": "100", "paid_on": "2099-01-01", "reference": "PZ-2026-118"}),
            json!({"amount": "100", "paid_on": "2026-10-20", "reference": ""}),
            json!({"amount": "100", "paid_on": "2026-10-20", "reference": "X", "milestone": "nope"}),
        ] {
            let res = pay(bad.clone()).await;
            assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        }
        let audits = audit_count(&ctx, "create", "payments").await;
        let res = pay(json!({"amount": "30000", "paid_on": "2026-10-20", "reference": "PZ-2026-118", "milestone": milestone, "note": "第一期"})).await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        assert_eq!(res.json::<Value>()["milestone_title"], "第一期");
        assert_eq!(audit_count(&ctx, "create", "payments").await, audits + 1);
        let res = pay(json!({"amount": "1", "paid_on": "2026-10-21", "reference": "PZ-2026-119", "milestone": milestone})).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = pay(json!({"amount": "70000.01", "paid_on": "2026-10-21", "reference": "PZ-2026-120"})).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let listed: Value = server.get(&url("/payments")).authorization_bearer(&official).await.json();
        assert_eq!(listed["paid_fen"], 3_000_000);
        for (who, code) in [("official2@doudi.test", StatusCode::NOT_FOUND), ("coordinator@doudi.test", StatusCode::OK)] {
            let res = server.get(&url("/payments")).authorization_bearer(&token(&ctx, who).await).await;
            assert_eq!(res.status_code(), code, "{who}");
        }
        let res = server
            .post(&url("/payments"))
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .json(&json!({"amount": "1", "paid_on": "2026-10-21", "reference": "X"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        let page = server
            .get(&format!("/contracts/{pid}?tab=acceptance"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert!(page.text().contains("PZ-2026-118"));
        let ocds = server.get(&url("/ocds")).authorization_bearer(&official).await;
        assert_eq!(ocds.status_code(), StatusCode::OK);
        let o: Value = ocds.json();
        let k = &o["releases"][0]["contracts"][0];
        assert_eq!(k["milestones"][0]["status"], "met");
        assert_eq!(k["value"]["amount"], 100_000.0);
        assert_eq!(k["implementation"]["milestones"].as_array().map(Vec::len), Some(2));
        let paid = &k["implementation"]["transactions"][0];
        assert_eq!(paid["value"]["amount"], 30_000.0);
        assert_eq!(paid["relatedImplementationMilestone"]["title"], "第一期");
        assert!(paid["payer"]["name"].is_string() && paid["payee"]["name"].is_string());
        assert_eq!(o["releases"][0]["parties"].as_array().map(Vec::len), Some(2));
        assert!(!ocds.text().contains("单秀英"));
        // The acceptance pack: the figures and the period's visits, in
        // full or masked for publication.
        let sheets = |bytes: &[u8]| {
            use calamine::Reader;
            let mut book: calamine::Xlsx<_> =
                calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
            let names = book.sheet_names();
            names
                .iter()
                .map(|n| {
                    let range = book.worksheet_range(n).expect("sheet");
                    range
                        .rows()
                        .map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("|"))
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .collect::<Vec<_>>()
        };
        let sep = acc["pid"].as_str().expect("pid").to_string();
        let full = server
            .get(&format!("/contracts/{pid}/acceptances/{sep}/pack.xlsx"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert_eq!(full.status_code(), StatusCode::OK);
        let full = sheets(full.as_bytes());
        assert_eq!(full.len(), 2);
        assert!(full[0].contains("BZ-ZK-2027-001") && full[0].contains("生活照料"), "{}", full[0]);
        assert_eq!(full[1].lines().count(), 3, "{}", full[1]);
        assert!(full[1].contains("单秀英"));
        let public = server
            .get(&url(&format!("/acceptances/{sep}/pack.xlsx?masked=1")))
            .authorization_bearer(&official)
            .await;
        assert_eq!(public.status_code(), StatusCode::OK);
        let public = sheets(public.as_bytes()).join("\n");
        // No person served in the public version, not even masked; the
        // note was not marked public.
        assert!(!public.contains("单**") && !public.contains("单秀英"), "{public}");
        assert!(!public.contains("资料齐全"), "{public}");
        // The same pack as PDF. Its text is glyphs; the Unicode map lists
        // each character used, so 秀 (U+79C0) shows whether the name is in.
        let has_xiu = |pdf: &[u8]| {
            let text = String::from_utf8_lossy(pdf);
            text.contains("<79C0>") || text.contains("<79c0>")
        };
        let full_pdf = server
            .get(&format!("/contracts/{pid}/acceptances/{sep}/pack.pdf"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert_eq!(full_pdf.status_code(), StatusCode::OK);
        assert_eq!(full_pdf.header("content-type"), "application/pdf");
        assert!(full_pdf.as_bytes().starts_with(b"%PDF-"));
        assert!(has_xiu(full_pdf.as_bytes()));
        let public_pdf = server
            .get(&url(&format!("/acceptances/{sep}/pack.pdf?masked=1")))
            .authorization_bearer(&official)
            .await;
        assert_eq!(public_pdf.status_code(), StatusCode::OK);
        assert!(!has_xiu(public_pdf.as_bytes()));
        let other = server
            .get(&url(&format!("/acceptances/{sep}/pack.pdf")))
            .authorization_bearer(&token(&ctx, "official2@doudi.test").await)
            .await;
        assert_eq!(other.status_code(), StatusCode::NOT_FOUND);
        let other = server
            .get(&url(&format!("/acceptances/{sep}/pack.xlsx")))
            .authorization_bearer(&token(&ctx, "official2@doudi.test").await)
            .await;
        assert_eq!(other.status_code(), StatusCode::NOT_FOUND);
        // Others outside the township see none of it.
        let res = server
            .get(&url("/acceptances"))
            .authorization_bearer(&token(&ctx, "official2@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        let res = server
            .post(&url("/acceptances"))
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .json(&json!({"period_start": "2026-10-01", "period_end": "2026-10-31"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
    })
    .await;
}
