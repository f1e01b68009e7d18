//! The acceptance pack and exports under Chinese file names, the pack's
//! signature and seal blocks and its frequency figure when nothing was
//! due; the dashboard's figures with their units, its tables behind the
//! charts and ECharts left to the script to fetch.
use crate::support::builders::{contract_body, person, visit};
use crate::support::*;
use axum::http::StatusCode;
use axum_test::TestServer;
use loco_rs::app::AppContext;
use serde_json::{json, Value};

/// An active contract of 曾口镇 over September to December 2026 covering
/// 单秀英, with two completed visits in September.
async fn active_contract(server: &TestServer, ctx: &AppContext) -> String {
    let official = token(ctx, "official@doudi.test").await;
    let town = township_pid(ctx, "曾口镇").await.to_string();
    let org = organization_pid(ctx, SUNSHINE).await.to_string();
    let mut body = contract_body(&town, &org);
    body["code"] = json!("BZ-ZK-2026-D1");
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
    for day in ["2026-09-03", "2026-09-17"] {
        visit(
            ctx,
            &who,
            day,
            "completed",
            false,
            false,
            None,
            &[("daily_care", 40), ("emotional_support", 30)],
            &[("food", 5000, "contract", None)],
        )
        .await;
    }
    pid
}

/// Accepts `[start, end]` of contract `c`, giving the acceptance's pid.
async fn accept(server: &TestServer, ctx: &AppContext, c: &str, start: &str, end: &str) -> String {
    let res = server
        .post(&format!("/api/v1/contracts/{c}/acceptances"))
        .authorization_bearer(&token(ctx, "official@doudi.test").await)
        .json(&json!({"period_start": start, "period_end": end}))
        .await;
    assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    res.json::<Value>()["pid"]
        .as_str()
        .expect("pid")
        .to_string()
}

/// `s` percent-encoded as `filename*` carries it.
fn encoded(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The rows of a workbook's first sheet, cells joined by `|`.
fn first_sheet(bytes: &[u8]) -> String {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).expect("sheet");
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a PDF sets the character `ch` (its Unicode map lists each
/// character used).
fn sets(pdf: &[u8], ch: char) -> bool {
    let text = String::from_utf8_lossy(pdf);
    let hex = format!("<{:04X}>", ch as u32);
    text.contains(&hex) || text.contains(&hex.to_lowercase())
}

#[tokio::test]
async fn an_acceptance_pack_has_a_chinese_file_name_with_an_ascii_fallback() {
    with_app(|server, ctx| async move {
        let c = active_contract(&server, &ctx).await;
        let a = accept(&server, &ctx, &c, "2026-09-01", "2026-09-30").await;
        let cookie = session(&ctx, "official@doudi.test").await;
        let path = |p: &str| format!("/contracts/{c}/acceptances/{a}/{p}");
        let cases = [
            (
                "pack.pdf",
                "zh-CN",
                "验收材料_曾口镇_2026年9月_BZ-ZK-2026-D1.pdf",
                "BZ-ZK-2026-D1-acceptance-20260901-20260930.pdf",
            ),
            (
                "pack.xlsx",
                "zh-CN",
                "验收材料_曾口镇_2026年9月_BZ-ZK-2026-D1.xlsx",
                "BZ-ZK-2026-D1-acceptance-20260901-20260930.xlsx",
            ),
            (
                "pack.pdf?masked=1",
                "zh-CN",
                "验收材料_曾口镇_2026年9月_BZ-ZK-2026-D1_公开版.pdf",
                "BZ-ZK-2026-D1-acceptance-20260901-20260930-public.pdf",
            ),
            (
                "pack.pdf",
                "en",
                "Acceptance_曾口镇_2026-09_BZ-ZK-2026-D1.pdf",
                "BZ-ZK-2026-D1-acceptance-20260901-20260930.pdf",
            ),
        ];
        for (p, lang, name, fallback) in cases {
            let res = server
                .get(&path(p))
                .add_header("cookie", format!("{cookie}; lang={lang}"))
                .await;
            assert_eq!(res.status_code(), StatusCode::OK, "{p}");
            let header = res.header("content-disposition");
            let header = header.to_str().expect("ascii header");
            assert_eq!(
                header,
                format!(
                    "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
                    encoded(name)
                ),
                "{p} in {lang}"
            );
        }
        // The API gives the same file.
        let res = server
            .get(&format!("/api/v1/contracts/{c}/acceptances/{a}/pack.pdf"))
            .authorization_bearer(&token(&ctx, "official@doudi.test").await)
            .await;
        if res.status_code() == StatusCode::OK {
            let header = res.header("content-disposition");
            assert!(header
                .to_str()
                .expect("ascii")
                .contains("filename*=UTF-8''"));
        }
    })
    .await;
}

#[tokio::test]
async fn the_pdf_pack_ends_with_signature_and_seal_blocks_for_both_parties() {
    with_app(|server, ctx| async move {
        let c = active_contract(&server, &ctx).await;
        let a = accept(&server, &ctx, &c, "2026-09-01", "2026-09-30").await;
        let cookie = session(&ctx, "official@doudi.test").await;
        let res = server
            .get(&format!("/contracts/{c}/acceptances/{a}/pack.pdf"))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let pdf = res.as_bytes();
        if let Ok(out) = std::env::var("DOUDI_PACK_OUT") {
            std::fs::write(format!("{out}-zh.pdf"), pdf).expect("write");
        }
        // 购买方 / 承接方, the township's government (政府, 民政办), the
        // signature (签字), the seal (盖章) and the date (日期).
        for ch in "购买承接政府民政办签字盖章日期".chars() {
            assert!(sets(pdf, ch), "{ch} is not in the pack");
        }
        // In English, the same blocks in English.
        let en = server
            .get(&format!("/contracts/{c}/acceptances/{a}/pack.pdf"))
            .add_header("cookie", format!("{cookie}; lang=en"))
            .await;
        assert_eq!(en.status_code(), StatusCode::OK);
        if let Ok(out) = std::env::var("DOUDI_PACK_OUT") {
            std::fs::write(format!("{out}-en.pdf"), en.as_bytes()).expect("write");
        }
        for ch in ['S', 'l', 'P', 'v'] {
            assert!(sets(en.as_bytes(), ch), "{ch}");
        }
        assert!(!sets(en.as_bytes(), '盖'), "盖 in the English pack");
    })
    .await;
}

#[tokio::test]
async fn a_frequency_figure_with_nothing_due_says_so() {
    with_app(|server, ctx| async move {
        let c = active_contract(&server, &ctx).await;
        let cookie = session(&ctx, "official@doudi.test").await;
        // Half of September: no month judged, nothing due.
        let half = accept(&server, &ctx, &c, "2026-09-01", "2026-09-15").await;
        let res = server
            .get(&format!("/contracts/{c}/acceptances/{half}/pack.xlsx"))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let sheet = first_sheet(res.as_bytes());
        assert!(sheet.contains("频次达标|—（无应访）"), "{sheet}");
        assert!(!sheet.contains("0 / 0"), "{sheet}");
        // The whole of the rest of September: judged, as before.
        let rest = accept(&server, &ctx, &c, "2026-09-16", "2026-09-30").await;
        let res = server
            .get(&format!("/contracts/{c}/acceptances/{rest}/pack.xlsx"))
            .add_header("cookie", format!("{cookie}; lang=en"))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let sheet = first_sheet(res.as_bytes());
        assert!(sheet.contains("Frequency met|"), "{sheet}");
    })
    .await;
}

#[tokio::test]
async fn exports_have_chinese_file_names_with_an_ascii_fallback() {
    with_app(|server, ctx| async move {
        let c = active_contract(&server, &ctx).await;
        let cookie = session(&ctx, "official@doudi.test").await;
        for (file, name) in [
            ("items.csv", "服务项目完成情况"),
            ("compliance.csv", "走访频次未达标名单"),
            ("funding.xlsx", "物资来源"),
        ] {
            let res = server
                .get(&format!("/contracts/{c}/export/{file}"))
                .add_header("cookie", cookie.clone())
                .await;
            assert_eq!(res.status_code(), StatusCode::OK, "{file}");
            let header = res.header("content-disposition");
            let header = header.to_str().expect("ascii");
            let (stem, ext) = file.split_once('.').expect("ext");
            assert!(
                header.starts_with(&format!("attachment; filename=\"BZ-ZK-2026-D1-{stem}-")),
                "{header}"
            );
            assert!(
                header.contains(&format!(
                    "filename*=UTF-8''{}_BZ-ZK-2026-D1_",
                    encoded(name)
                )),
                "{header}"
            );
            assert!(header.ends_with(&format!(".{ext}")), "{header}");
        }
    })
    .await;
}

/// The dashboard of the demo county as an official, in `lang`.
async fn dashboard(server: &TestServer, ctx: &AppContext, lang: &str) -> String {
    let cookie = session(ctx, "official@doudi.test").await;
    let res = server
        .get("/dashboard")
        .add_header("cookie", format!("{cookie}; lang={lang}"))
        .await;
    assert_eq!(res.status_code(), StatusCode::OK);
    res.text()
}

#[tokio::test]
async fn dashboard_figures_carry_their_units() {
    with_app(|server, ctx| async move {
        doudi::demo::seed_story(&ctx.db, chrono::Duration::weeks(8))
            .await
            .expect("demo story");
        let zh = dashboard(&server, &ctx, "zh-CN").await;
        let figures = select_text(&zh, "dl.dash-facts dd");
        assert!(!figures.is_empty());
        // Every figure says what it counts: 小时, 次, 元, 人, 件, 节, % or 人·月.
        for f in &figures {
            assert!(
                ["小时", "次", "元", "人", "件", "节", "%", "无应访", "/ 5"]
                    .iter()
                    .any(|u| f.contains(u)),
                "no unit: {f}"
            );
        }
        // Each item's delivered figure names the item's unit.
        let items = select_text(&zh, "dl.dash-facts dd a[href*='figure=item']");
        assert!(!items.is_empty());
        for f in &items {
            assert!(
                ["小时", "次", "元", "件", "节"]
                    .iter()
                    .any(|u| f.contains(u)),
                "{f}"
            );
        }
        // English: the same figures in words.
        let en = dashboard(&server, &ctx, "en").await;
        let figures = select_text(&en, "dl.dash-facts dd a[href*='figure=completed']");
        assert!(figures.iter().all(|f| f.contains("visit")), "{figures:?}");
    })
    .await;
}

#[tokio::test]
async fn the_dashboard_charts_have_tables_and_echarts_waits_for_the_script() {
    with_app(|server, ctx| async move {
        doudi::demo::seed_story(&ctx.db, chrono::Duration::weeks(8))
            .await
            .expect("demo story");
        let html = dashboard(&server, &ctx, "zh-CN").await;
        // No ECharts script element: dashboard.js inserts it when a chart
        // comes into view.
        assert!(!html.contains("<script src=\"/static/vendor/echarts.min.js\""));
        assert!(html.contains("data-echarts=\"/static/vendor/echarts.min.js\""));
        // Each chart stands over a table of the same figures.
        let data = select_text(&html, "script#dashboard-data");
        let data: Value = serde_json::from_str(&data[0]).expect("json");
        let charts = data["charts"].as_array().expect("charts");
        assert!(!charts.is_empty());
        let doc = scraper::Html::parse_document(&html);
        for c in charts {
            let id = c["id"].as_str().expect("id");
            let sel = scraper::Selector::parse(&format!("figure[data-chart='{id}'] tbody tr"))
                .expect("selector");
            let cell = scraper::Selector::parse("th, td").expect("selector");
            let rows: Vec<Vec<String>> = doc
                .select(&sel)
                .map(|r| {
                    r.select(&cell)
                        .map(|x| x.text().collect::<String>())
                        .collect()
                })
                .collect();
            let items = c["items"].as_array().expect("items");
            assert_eq!(rows.len(), items.len(), "{id}");
            for (k, row) in rows.iter().enumerate() {
                assert_eq!(row[0], items[k].as_str().expect("name"));
                for (col, series) in ["delivered", "expected", "forecast"].iter().enumerate() {
                    let shown: f64 = row[col + 1].trim_end_matches('%').parse().expect("percent");
                    assert_eq!(Some(shown), c[series][k].as_f64(), "{id} {series} {row:?}");
                }
            }
            let months = c["months"].as_array().expect("months");
            let sel =
                scraper::Selector::parse(&format!("figure[data-chart='{id}-months'] tbody tr"))
                    .expect("selector");
            assert_eq!(doc.select(&sel).count(), months.len(), "{id}");
        }
        // Tap targets: every figure link is marked to be 44 px tall.
        assert!(select_text(&html, "dl.dash-facts dd a:not(.figure)").is_empty());
    })
    .await;
}
