//! What leaves the building: the public outputs (the public acceptance
//! pack, the OCDS release) carry no free text unless its author marked it
//! public, and no person served, masked or not; every download of an
//! export, a pack, a document or a roster's rejected rows is audited.
use crate::support::builders::{contract_body, person, visit, whole_id_of};
use crate::support::*;
use axum::http::StatusCode;
use axum_test::{
    multipart::{MultipartForm, Part},
    TestServer,
};
use doudi::models::_entities::{audit_logs, visits};
use loco_rs::app::AppContext;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder};
use serde_json::{json, Value};

/// Notes nobody marked public, each with a name and a phone number; `鑫`
/// marks the acceptance note in a PDF's Unicode map.
const PRIVATE: [(&str, &str); 9] = [
    ("acceptance note", "验收备注：鑫王小明13900000001"),
    ("amendment reason", "变更理由：王小明13900000002要求加量"),
    ("decision note", "审批意见：已电话王小明13900000003"),
    ("payment note", "付款备注：王小明13900000004代领"),
    ("callback note", "回访备注：王小明13900000005不满意"),
    ("visit notes", "走访记录：王小明13900000006咳嗽"),
    ("cancel reason", "取消原因：王小明13900000007住院"),
    ("location reason", "位置说明：王小明13900000008女儿家"),
    ("no confirmation", "未确认：王小明13900000009昏睡"),
];
const PUBLIC_REASON: &str = "公开理由：服务量按季度调增";
const PUBLIC_NOTE: &str = "公开备注：台账齐全，同意验收";

/// A contract with a history: covered 单秀英, visits with notes, a
/// call-back, a payment, two approved amendments (one reason public), a
/// document, September accepted (note private) and October accepted
/// through the page (note public).
struct Built {
    contract: String,
    september: String,
    october: String,
    document: String,
}

async fn built(server: &TestServer, ctx: &AppContext) -> Built {
    let official = token(ctx, "official@doudi.test").await;
    let admin = token(ctx, "admin@doudi.test").await;
    let town = township_pid(ctx, "曾口镇").await.to_string();
    let org = organization_pid(ctx, SUNSHINE).await.to_string();
    let mut body = contract_body(&town, &org);
    body["starts_on"] = json!("2026-09-01");
    body["ends_on"] = json!("2026-12-31");
    body["signed_on"] = json!("2026-08-20");
    let c: Value = server
        .post("/api/v1/contracts")
        .authorization_bearer(&official)
        .json(&body)
        .await
        .json();
    let pid = c["pid"].as_str().expect("pid").to_string();
    let url = |p: &str| format!("/api/v1/contracts/{pid}{p}");
    let a = person(ctx, "单秀英").await;
    server
        .post(&url("/recipients"))
        .authorization_bearer(&official)
        .json(&json!({"recipients": [a.pid]}))
        .await;
    let res = server
        .post(&url("/status"))
        .authorization_bearer(&official)
        .json(&json!({"status": "active"}))
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
    // Visits of September and October, with every free text a visit has.
    for day in ["2026-09-08", "2026-09-22", "2026-10-06"] {
        let v = visit(
            ctx,
            &a,
            day,
            "completed",
            false,
            true,
            None,
            &[("daily_care", 45)],
            &[],
        )
        .await;
        let mut am: visits::ActiveModel = v.into();
        am.notes = Set(Some(PRIVATE[5].1.into()));
        am.location_reason = Set(Some(PRIVATE[7].1.into()));
        am.no_confirmation_reason = Set(Some(PRIVATE[8].1.into()));
        am.update(&ctx.db).await.expect("notes");
    }
    let v = visit(
        ctx,
        &a,
        "2026-09-15",
        "cancelled",
        false,
        false,
        None,
        &[],
        &[],
    )
    .await;
    let mut am: visits::ActiveModel = v.into();
    am.cancel_reason = Set(Some(PRIVATE[6].1.into()));
    am.update(&ctx.db).await.expect("cancel reason");
    // A call-back with a note, a payment with a note.
    let res = server
        .post(&url("/callbacks"))
        .authorization_bearer(&official)
        .json(&json!({"size": 1}))
        .await;
    assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    let calls: Value = server
        .get(&url("/callbacks"))
        .authorization_bearer(&official)
        .await
        .json();
    let cb = calls["items"][0]["pid"]
        .as_str()
        .expect("callback")
        .to_string();
    let res = server
        .post(&url(&format!("/callbacks/{cb}")))
        .authorization_bearer(&official)
        .json(&json!({"status": "reached", "satisfaction": 2, "note": PRIVATE[4].1}))
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
    let res = server
        .post(&url("/payments"))
        .authorization_bearer(&official)
        .json(&json!({"amount": "1000", "paid_on": "2026-11-20", "reference": "PZ-1", "note": PRIVATE[3].1}))
        .await;
    assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    // Two amendments, approved by the admin: the first one's reason is
    // private, the second one's public.
    for (n, (effective, reason, public)) in [
        ("2026-11-01", PRIVATE[1].1, None),
        ("2026-11-15", PUBLIC_REASON, Some(true)),
    ]
    .into_iter()
    .enumerate()
    {
        let mut change = body.clone();
        change["items"][0]["quantity"] = json!(12 + n);
        change["reason"] = json!(reason);
        change["effective_on"] = json!(effective);
        if let Some(p) = public {
            change["public"] = json!(p);
        }
        let res = server
            .post(&url("/amendments"))
            .authorization_bearer(&official)
            .json(&change)
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let proposed: Value = res.json();
        assert_eq!(proposed["public"], public.unwrap_or(false));
        let apid = proposed["pid"].as_str().expect("pid").to_string();
        let res = server
            .post(&url(&format!("/amendments/{apid}/approve")))
            .authorization_bearer(&admin)
            .json(&json!({"note": PRIVATE[2].1}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
    }
    // A document whose name names someone.
    let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec();
    let res = server
        .post(&url("/documents"))
        .authorization_bearer(&official)
        .multipart(
            MultipartForm::new()
                .add_text("kind", "acceptance")
                .add_part("file", Part::bytes(pdf).file_name("王小明13900000010.pdf")),
        )
        .await;
    assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    let document = res.json::<Value>()["pid"]
        .as_str()
        .expect("pid")
        .to_string();
    // September through the API (note private), October through the
    // page's form with the box checked.
    let res = server
        .post(&url("/acceptances"))
        .authorization_bearer(&official)
        .json(&json!({"period_start": "2026-09-01", "period_end": "2026-09-30", "note": PRIVATE[0].1}))
        .await;
    assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    let september: Value = res.json();
    assert_eq!(september["public"], false);
    let res = server
        .post(&format!("/contracts/{pid}/acceptances"))
        .add_header("cookie", session(ctx, "official@doudi.test").await)
        .add_header("sec-fetch-site", "same-origin")
        .form(&[
            ("period_start", "2026-10-01"),
            ("period_end", "2026-10-31"),
            ("milestone", ""),
            ("note", PUBLIC_NOTE),
            ("public", "true"),
        ])
        .await;
    assert_eq!(res.status_code(), StatusCode::SEE_OTHER, "{}", res.text());
    let list: Value = server
        .get(&url("/acceptances"))
        .authorization_bearer(&official)
        .await
        .json();
    let october = &list["items"][0];
    assert_eq!(october["period_start"], "2026-10-01");
    assert_eq!(october["public"], true);
    Built {
        contract: pid.clone(),
        september: september["pid"].as_str().expect("pid").to_string(),
        october: october["pid"].as_str().expect("pid").to_string(),
        document,
    }
}

/// Every sheet of an XLSX file as text, a row a line, cells `|`-separated.
fn sheets(bytes: &[u8]) -> Vec<String> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    book.sheet_names()
        .iter()
        .map(|n| {
            let range = book.worksheet_range(n).expect("sheet");
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
        })
        .collect()
}

/// Whether a PDF of ours sets `ch`: its Unicode map lists every
/// character used.
fn pdf_has(pdf: &[u8], ch: char) -> bool {
    let text = String::from_utf8_lossy(pdf);
    let code = format!("<{:04X}>", u32::from(ch));
    text.contains(&code) || text.contains(&code.to_lowercase())
}

/// Nothing private, nobody served.
fn assert_clean(what: &str, text: &str, whole_id: &str) {
    for (field, note) in PRIVATE {
        assert!(!text.contains(note), "{what}: the {field} leaked: {text}");
    }
    for bit in ["王小明", "1390000", "单秀英", "单**", whole_id] {
        assert!(!text.contains(bit), "{what}: {bit} in {text}");
    }
}

#[tokio::test]
async fn public_outputs_carry_free_text_only_when_marked_public_and_no_person_served() {
    with_app(|server, ctx| async move {
        let b = built(&server, &ctx).await;
        let whole = whole_id_of(&ctx, "单秀英").await;
        let official = token(&ctx, "official@doudi.test").await;
        let pack = |acceptance: &str, ext: &str, public: bool| {
            format!(
                "/api/v1/contracts/{}/acceptances/{acceptance}/pack.{ext}{}",
                b.contract,
                if public { "?masked=1" } else { "" }
            )
        };
        // The OCDS release: the public reason and note, nothing else.
        let ocds = server
            .get(&format!("/api/v1/contracts/{}/ocds", b.contract))
            .authorization_bearer(&official)
            .await;
        assert_eq!(ocds.status_code(), StatusCode::OK);
        assert_clean("OCDS", &ocds.text(), &whole);
        let o: Value = ocds.json();
        let k = &o["releases"][0]["contracts"][0];
        let reasons: Vec<&Value> = k["amendments"]
            .as_array()
            .expect("amendments")
            .iter()
            .map(|a| &a["rationale"])
            .collect();
        assert_eq!(reasons.len(), 2);
        assert!(
            reasons.contains(&&json!(PUBLIC_REASON)) && reasons.contains(&&Value::Null),
            "{reasons:?}"
        );
        let notes: Vec<&Value> = k["implementation"]["milestones"]
            .as_array()
            .expect("deliveries")
            .iter()
            .map(|m| &m["description"])
            .collect();
        assert!(
            notes.contains(&&json!(PUBLIC_NOTE)) && notes.contains(&&Value::Null),
            "{notes:?}"
        );
        // The public pack of September: no note, no person served (not
        // even a column for them), staff masked.
        let public = server
            .get(&pack(&b.september, "xlsx", true))
            .authorization_bearer(&official)
            .await;
        assert_eq!(public.status_code(), StatusCode::OK);
        let public = sheets(public.as_bytes());
        assert_clean("public pack", &public.join("\n"), &whole);
        let header = public[1].lines().next().expect("header");
        assert_eq!(header.split('|').count(), 8, "{header}");
        assert_eq!(public[1].lines().count(), 4, "{}", public[1]);
        // October's public pack carries its public note.
        let public = server
            .get(&pack(&b.october, "xlsx", true))
            .authorization_bearer(&official)
            .await;
        let public = sheets(public.as_bytes()).join("\n");
        assert!(public.contains(PUBLIC_NOTE), "{public}");
        assert_clean("public pack", &public, &whole);
        // The public PDF sets neither the note nor the name.
        let pdf = server
            .get(&pack(&b.september, "pdf", true))
            .authorization_bearer(&official)
            .await;
        assert_eq!(pdf.status_code(), StatusCode::OK);
        assert!(!pdf_has(pdf.as_bytes(), '鑫') && !pdf_has(pdf.as_bytes(), '秀'));
        // The internal pack is as before: the note and the names.
        let full = server
            .get(&pack(&b.september, "xlsx", false))
            .authorization_bearer(&official)
            .await;
        let full = sheets(full.as_bytes());
        assert!(full[0].contains(PRIVATE[0].1), "{}", full[0]);
        assert!(full[1].contains("单秀英"), "{}", full[1]);
        assert_eq!(
            full[1].lines().next().expect("header").split('|').count(),
            9
        );
        let pdf = server
            .get(&pack(&b.september, "pdf", false))
            .authorization_bearer(&official)
            .await;
        assert!(pdf_has(pdf.as_bytes(), '鑫') && pdf_has(pdf.as_bytes(), '秀'));
        // The contract page says which texts are public (the amendment's
        // reason and the acceptance's note, each in its own section).
        let cookie = session(&ctx, "official@doudi.test").await;
        let mut marked = 0;
        for tab in ["amendments", "acceptance"] {
            let page = server
                .get(&format!("/contracts/{}?tab={tab}", b.contract))
                .add_header("cookie", cookie.clone())
                .await;
            let n = select_text(&page.text(), ".amendment .public-text").len();
            assert_eq!(n, 1, "{tab}: {}", page.text());
            marked += n;
        }
        assert_eq!(marked, 2);
    })
    .await;
}

/// The newest audit entry, and how many entries there are.
async fn newest(ctx: &AppContext) -> (u64, Option<audit_logs::Model>) {
    use sea_orm::PaginatorTrait;
    let n = audit_logs::Entity::find()
        .count(&ctx.db)
        .await
        .expect("count");
    let last = audit_logs::Entity::find()
        .order_by_desc(audit_logs::Column::Id)
        .one(&ctx.db)
        .await
        .expect("q");
    (n, last)
}

/// `path` as `who` writes exactly one entry: `action` on `entity`, by
/// them, naming `pid`, with nothing personal in it; its details returned.
#[allow(clippy::too_many_arguments)]
async fn audited(
    server: &TestServer,
    ctx: &AppContext,
    who: &str,
    path: &str,
    action: &str,
    entity: &str,
    pid: &str,
    whole_id: &str,
) -> Value {
    let (before, _) = newest(ctx).await;
    let res = server
        .get(path)
        .authorization_bearer(&token(ctx, who).await)
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{path}: {}", res.text());
    let (after, last) = newest(ctx).await;
    assert_eq!(after, before + 1, "{path}");
    let e = last.expect("entry");
    assert_eq!(
        (e.action.as_str(), e.entity.as_str()),
        (action, entity),
        "{path}"
    );
    assert_eq!(e.actor_id, Some(user(ctx, who).await.id), "{path}");
    assert_eq!(
        e.entity_pid.map(|p| p.to_string()).as_deref(),
        Some(pid),
        "{path}"
    );
    assert_clean(path, &e.changes, whole_id);
    serde_json::from_str(&e.changes).expect("json")
}

/// `path` as `who` answers 404 and writes nothing.
async fn refused(server: &TestServer, ctx: &AppContext, who: &str, path: &str) {
    let (before, _) = newest(ctx).await;
    let res = server
        .get(path)
        .authorization_bearer(&token(ctx, who).await)
        .await;
    assert_eq!(res.status_code(), StatusCode::NOT_FOUND, "{path} as {who}");
    assert_eq!(newest(ctx).await.0, before, "{path} as {who}");
}

#[tokio::test]
async fn every_download_is_audited_with_its_actor_and_nothing_personal() {
    with_app(|server, ctx| async move {
        let b = built(&server, &ctx).await;
        let whole = whole_id_of(&ctx, "单秀英").await;
        let c = &b.contract;
        let official = "official@doudi.test";
        // The fulfilment tables, pages and API alike.
        for (file, rows) in [("items.csv", 3), ("compliance.xlsx", 0), ("funding.csv", 0)] {
            let path = format!("/contracts/{c}/export/{file}");
            let d = audited(
                &server,
                &ctx,
                official,
                &path,
                "export",
                "contracts",
                c,
                &whole,
            )
            .await;
            assert_eq!(d["file"], file);
            assert!(d["rows"].as_u64().is_some_and(|n| n >= rows), "{d}");
        }
        refused(
            &server,
            &ctx,
            official,
            &format!("/contracts/{c}/export/people.csv"),
        )
        .await;
        refused(
            &server,
            &ctx,
            official,
            &format!("/contracts/{c}/export/items.txt"),
        )
        .await;
        refused(
            &server,
            &ctx,
            "official2@doudi.test",
            &format!("/contracts/{c}/export/items.csv"),
        )
        .await;
        // The packs, internal and public, PDF and XLSX, under both prefixes.
        for (prefix, ext, public) in [
            ("/contracts", "pdf", false),
            ("/api/v1/contracts", "xlsx", true),
            ("/api/v1/contracts", "pdf", true),
            ("/contracts", "xlsx", false),
        ] {
            let path = format!(
                "{prefix}/{c}/acceptances/{}/pack.{ext}{}",
                b.september,
                if public { "?masked=1" } else { "" }
            );
            let d = audited(
                &server,
                &ctx,
                official,
                &path,
                "export",
                "acceptances",
                &b.september,
                &whole,
            )
            .await;
            assert_eq!(d["file"], format!("pack.{ext}"));
            assert_eq!(d["public"], public);
            assert_eq!(d["contract"], c.as_str());
            assert_eq!(d["visits"], 3, "{d}");
        }
        let other = format!("/api/v1/contracts/{c}/acceptances/{}/pack.pdf", b.september);
        refused(&server, &ctx, "official2@doudi.test", &other).await;
        let missing = format!(
            "/api/v1/contracts/{c}/acceptances/{}/pack.pdf",
            uuid::Uuid::new_v4()
        );
        refused(&server, &ctx, official, &missing).await;
        // The OCDS release.
        let path = format!("/api/v1/contracts/{c}/ocds");
        audited(
            &server,
            &ctx,
            official,
            &path,
            "export",
            "contracts",
            c,
            &whole,
        )
        .await;
        refused(&server, &ctx, "official2@doudi.test", &path).await;
        // A document: which one and its kind, never its name; the provider
        // reads it too.
        for (prefix, who) in [
            ("/api/v1/contracts", "coordinator@doudi.test"),
            ("/contracts", official),
        ] {
            let path = format!("{prefix}/{c}/documents/{}", b.document);
            let d = audited(
                &server,
                &ctx,
                who,
                &path,
                "download",
                "contract_documents",
                &b.document,
                &whole,
            )
            .await;
            assert_eq!(d["kind"], "acceptance");
        }
        refused(
            &server,
            &ctx,
            "official2@doudi.test",
            &format!("/contracts/{c}/documents/{}", b.document),
        )
        .await;
        refused(
            &server,
            &ctx,
            official,
            &format!("/contracts/{c}/documents/{}", uuid::Uuid::new_v4()),
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn downloading_a_rosters_rejected_rows_is_audited() {
    with_app(|server, ctx| async move {
        let who = "official@doudi.test";
        let t = token(&ctx, who).await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let good = doudi::demo::names::resident_id(
            chrono::NaiveDate::from_ymd_opt(1950, 3, 4).expect("day"),
            1,
        );
        let mut bad = good.clone().into_bytes();
        bad[17] = if bad[17] == b'1' { b'2' } else { b'1' };
        let bad = String::from_utf8(bad).expect("ascii");
        let roster = format!(
            "姓名,身份证号码,村（社区）,家庭住址,联系电话,救助类别,户主身份证号,与户主关系\r\n\
             赵大山,{good},石门村,石门村2组4号,13812340001,低保,,本人\r\n\
             周错号,{bad},石门村,石门村1组1号,,低保,,本人\r\n"
        );
        let res = server
            .post("/api/v1/recipient_imports")
            .authorization_bearer(&t)
            .multipart(
                MultipartForm::new()
                    .add_text("township", town)
                    .add_text("roster", "曾口镇低保名册")
                    .add_part(
                        "file",
                        Part::bytes(roster.into_bytes()).file_name("名册.csv"),
                    ),
            )
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let pid = res.json::<Value>()["pid"]
            .as_str()
            .expect("pid")
            .to_string();
        for (path, ext) in [
            (
                format!("/api/v1/recipient_imports/{pid}/rejected/csv"),
                "csv",
            ),
            (format!("/recipient_imports/{pid}/rejected/xlsx"), "xlsx"),
        ] {
            let d = audited(
                &server,
                &ctx,
                who,
                &path,
                "export",
                "recipient_imports",
                &pid,
                &bad,
            )
            .await;
            assert_eq!(d, json!({"file": format!("rejected.{ext}"), "rows": 1}));
        }
        // Outside the township: not found, nothing written.
        refused(
            &server,
            &ctx,
            "official2@doudi.test",
            &format!("/api/v1/recipient_imports/{pid}/rejected/csv"),
        )
        .await;
    })
    .await;
}
