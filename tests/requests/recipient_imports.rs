use crate::support::*;
use axum::http::StatusCode;
use axum_test::multipart::{MultipartForm, Part};
use chrono::NaiveDate;
use doudi::{demo::names::resident_id, models::_entities::recipients};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;

fn id(y: i32, seq: u32) -> String {
    resident_id(NaiveDate::from_ymd_opt(y, 3, 4).expect("date"), seq)
}

/// A roster as the civil-affairs system exports it: 4 good rows, a bad
/// check digit, an unknown village, a duplicate, a formula and a blank row.
fn roster() -> String {
    let mut bad = id(1951, 7).into_bytes();
    bad[17] = if bad[17] == b'1' { b'2' } else { b'1' };
    let bad = String::from_utf8(bad).expect("ascii");
    let head = id(1950, 1);
    [
        "姓名,身份证号码,村（社区）,家庭住址,联系电话,救助类别,户主身份证号,与户主关系,备注说明"
            .to_string(),
        format!("赵大山,{head},石门村,石门村2组4号,13812340001,低保,,本人,"),
        format!(
            "钱秀芝,{},石门村,石门村2组4号,,低保,{head},配偶,",
            id(1952, 2)
        ),
        format!(
            "孙有福,'{},高峰村,高峰村1组1号,0827-5212345,特困,,本人,",
            id(1940, 3)
        ),
        format!(
            "李翠花,{},龙泉村,龙泉村3组9号,,2026/1/5,,本人,",
            id(1945, 4)
        )
        .replace(",2026/1/5,", ",低收入,"),
        format!("周错号,{bad},石门村,石门村1组1号,,低保,,本人,"),
        format!("吴无村,{},不存在村,某地,,低保,,本人,", id(1953, 5)),
        format!("郑重复,{},石门村,石门村1组2号,,低保,,本人,", id(1940, 3)),
        format!(
            "=HYPERLINK(\"x\"),{},石门村,石门村1组3号,,低保,,本人,",
            id(1954, 6)
        ),
        ",,,,,,,,".to_string(),
    ]
    .join("\r\n")
}

fn upload(township: &str, roster_name: &str, file: Vec<u8>, file_name: &str) -> MultipartForm {
    MultipartForm::new()
        .add_text("township", township.to_string())
        .add_text("roster", roster_name.to_string())
        .add_part("file", Part::bytes(file).file_name(file_name.to_string()))
}

async fn start(
    server: &axum_test::TestServer,
    token: &str,
    form: MultipartForm,
) -> axum_test::TestResponse {
    server
        .post("/api/v1/recipient_imports")
        .authorization_bearer(token)
        .multipart(form)
        .await
}

async fn report(server: &axum_test::TestServer, token: &str, pid: &str) -> Value {
    let res = server
        .get(&format!("/api/v1/recipient_imports/{pid}"))
        .authorization_bearer(token)
        .await;
    assert_eq!(res.status_code(), StatusCode::OK);
    res.json()
}

#[tokio::test]
async fn a_roster_is_checked_then_applied_and_reimporting_it_changes_nothing() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "coordinator@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(roster().as_bytes());
        let res = start(
            &server,
            &t,
            upload(&town, "曾口镇低保名册", bytes.clone(), "名册.csv"),
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let pid = res.json::<Value>()["pid"]
            .as_str()
            .expect("pid")
            .to_string();
        let before = recipients::Entity::find()
            .count(&ctx.db)
            .await
            .expect("count");

        // The dry run ran (in the foreground in tests) and changed nothing.
        let r = report(&server, &t, &pid).await;
        assert_eq!(r["state"], "checked");
        assert_eq!(r["total_rows"], 8);
        assert_eq!(
            (
                r["new"].as_i64(),
                r["updated"].as_i64(),
                r["unchanged"].as_i64()
            ),
            (Some(4), Some(0), Some(0))
        );
        assert_eq!(r["rejected"], 4);
        assert_eq!(
            recipients::Entity::find()
                .count(&ctx.db)
                .await
                .expect("count"),
            before
        );
        let problems = r["report"]["problems"]
            .as_array()
            .expect("problems")
            .clone();
        let reasons: Vec<(u64, String, String)> = problems
            .iter()
            .map(|p| {
                (
                    p["row"].as_u64().expect("row"),
                    p["column"].as_str().expect("column").to_string(),
                    p["message"].as_str().expect("message").to_string(),
                )
            })
            .collect();
        assert!(
            reasons.contains(&(6, "身份证号码".into(), "error-id-check".into())),
            "{reasons:?}"
        );
        assert!(reasons.contains(&(7, "村（社区）".into(), "error-unknown-village".into())));
        assert!(reasons.contains(&(8, "身份证号码".into(), "error-duplicate-in-file".into())));
        assert!(reasons.contains(&(9, "姓名".into(), "error-formula".into())));
        assert_eq!(r["report"]["ignored_columns"][0], "备注说明");

        // The rejected rows download as a file to fix.
        let res = server
            .get(&format!("/api/v1/recipient_imports/{pid}/rejected/csv"))
            .authorization_bearer(&t)
            .await;
        let rows = doudi::sheets::read_table(res.as_bytes()).expect("csv");
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[1][0], "周错号");

        // Apply: the valid rows land, household members together.
        let res = server
            .post(&format!("/api/v1/recipient_imports/{pid}/apply"))
            .authorization_bearer(&t)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let r = report(&server, &t, &pid).await;
        assert_eq!(r["state"], "applied");
        assert_eq!(
            recipients::Entity::find()
                .count(&ctx.db)
                .await
                .expect("count"),
            before + 4
        );
        let husband = recipients::Entity::find()
            .filter(recipients::Column::Name.eq("赵大山"))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("imported");
        let wife = recipients::Entity::find()
            .filter(recipients::Column::Name.eq("钱秀芝"))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("imported");
        assert_eq!(husband.household_id, wife.household_id);
        let chain = doudi::models::audit_logs::verify(&ctx.db)
            .await
            .expect("verify");
        assert_eq!(
            chain.broken, None,
            "the bulk audit entries extend the chain"
        );
        assert_eq!(audit_count(&ctx, "create", "recipients").await, 11 + 4);
        assert_eq!(husband.roster.as_deref(), Some("曾口镇低保名册"));
        // A second apply of the same import is refused.
        let res = server
            .post(&format!("/api/v1/recipient_imports/{pid}/apply"))
            .authorization_bearer(&t)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);

        // The same file again: everything unchanged, nothing new.
        let res = start(
            &server,
            &t,
            upload(&town, "曾口镇低保名册", bytes, "名册.csv"),
        )
        .await;
        let pid2 = res.json::<Value>()["pid"]
            .as_str()
            .expect("pid")
            .to_string();
        let r = report(&server, &t, &pid2).await;
        assert_eq!(
            (
                r["new"].as_i64(),
                r["updated"].as_i64(),
                r["unchanged"].as_i64()
            ),
            (Some(0), Some(0), Some(4))
        );
        let audit_before = doudi::models::_entities::audit_logs::Entity::find()
            .count(&ctx.db)
            .await
            .expect("count");
        server
            .post(&format!("/api/v1/recipient_imports/{pid2}/apply"))
            .authorization_bearer(&t)
            .await;
        let audit_after = doudi::models::_entities::audit_logs::Entity::find()
            .count(&ctx.db)
            .await
            .expect("count");
        assert_eq!(
            audit_after - audit_before,
            1,
            "only the import itself is logged"
        );
        assert_eq!(
            recipients::Entity::find()
                .count(&ctx.db)
                .await
                .expect("count"),
            before + 4
        );

        // Another coordinator cannot see this import.
        let t2 = token(&ctx, "coordinator2@doudi.test").await;
        let res = server
            .get(&format!("/api/v1/recipient_imports/{pid}"))
            .authorization_bearer(&t2)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        let res = server
            .post(&format!("/api/v1/recipient_imports/{pid}/apply"))
            .authorization_bearer(&t2)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn people_missing_from_a_later_roster_are_listed_for_review_and_changes_are_updates() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "coordinator@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let first = roster();
        let res = start(
            &server,
            &t,
            upload(&town, "R", first.clone().into_bytes(), "r.csv"),
        )
        .await;
        let pid = res.json::<Value>()["pid"]
            .as_str()
            .expect("pid")
            .to_string();
        server
            .post(&format!("/api/v1/recipient_imports/{pid}/apply"))
            .authorization_bearer(&t)
            .await;
        // The next month's roster drops 李翠花 and changes a phone number.
        let next: Vec<&str> = first
            .split("\r\n")
            .filter(|l| !l.starts_with("李翠花"))
            .collect();
        let next = next.join("\r\n").replace("13812340001", "13812340002");
        // Chinese Excel saves CSV as GBK.
        let gbk = encoding_rs::GB18030.encode(&next).0.into_owned();
        let res = start(&server, &t, upload(&town, "R", gbk, "r2.csv")).await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let pid2 = res.json::<Value>()["pid"]
            .as_str()
            .expect("pid")
            .to_string();
        let r = report(&server, &t, &pid2).await;
        assert_eq!(r["updated"], 1, "{r}");
        assert_eq!(r["unchanged"], 2);
        assert_eq!(r["vanished"], 1);
        let gone = recipients::Entity::find()
            .filter(recipients::Column::Name.eq("李翠花"))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("still there");
        assert_eq!(r["report"]["vanished"][0], gone.pid.to_string());
        assert_eq!(gone.status, "active", "listed, not exited");
        // The progress page shows the report and the people to review.
        let cookie = session(&ctx, "coordinator@doudi.test").await;
        let page = server
            .get(&format!("/recipient_imports/{pid2}"))
            .add_header("cookie", cookie)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert!(page.text().contains("李翠花"));
    })
    .await;
}

#[tokio::test]
async fn xlsx_rosters_import_and_bad_files_get_a_clear_message_without_storing_anything() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "admin@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let table: Vec<Vec<String>> = roster()
            .split("\r\n")
            .take(4)
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        let xlsx = doudi::sheets::write_xlsx("名册", &table).expect("xlsx");
        let res = start(&server, &t, upload(&town, "X", xlsx, "r.xlsx")).await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let pid = res.json::<Value>()["pid"]
            .as_str()
            .expect("pid")
            .to_string();
        let r = report(&server, &t, &pid).await;
        assert_eq!(r["new"], 3, "{r}");

        let imports_before = doudi::models::_entities::recipient_imports::Entity::find()
            .count(&ctx.db)
            .await
            .expect("count");
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (Vec::new(), "file"),
            (b"\n\n".to_vec(), "file"),
            ("姓名,电话\n张三,1\n".as_bytes().to_vec(), "file"),
            (vec![0x81, 0x20, 0xFF, 0xFE, 0x00, 0x41], "file"),
            (b"PK\x03\x04broken".to_vec(), "file"),
        ];
        for (bytes, field) in cases {
            let res = start(&server, &t, upload(&town, "X", bytes.clone(), "bad.csv")).await;
            assert_eq!(
                res.status_code(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{bytes:?}"
            );
            assert!(
                res.json::<Value>()["errors"][field].is_array(),
                "{}",
                res.text()
            );
        }
        let res = start(&server, &t, upload("", "", roster().into_bytes(), "r.csv")).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let errors = res.json::<Value>()["errors"].clone();
        assert!(
            errors["township"].is_array() && errors["roster"].is_array(),
            "{errors}"
        );

        // Over the size limit: refused while it arrives, with the message.
        let big = vec![b'a'; doudi::sheets::MAX_FILE_BYTES + 2 * 1024 * 1024];
        let res = start(&server, &t, upload(&town, "X", big, "big.csv")).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["file"].is_array());
        let imports_after = doudi::models::_entities::recipient_imports::Entity::find()
            .count(&ctx.db)
            .await
            .expect("count");
        assert_eq!(imports_after, imports_before);

        // The HTML form shows the same message on the form.
        let cookie = session(&ctx, "coordinator@doudi.test").await;
        let res = server
            .post("/recipient_imports")
            .add_header("cookie", cookie)
            .add_header("sec-fetch-site", "same-origin")
            .multipart(upload(&town, "X", Vec::new(), "empty.csv"))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(!select_text(&res.text(), ".field-error").is_empty());
        // Officials and workers cannot import.
        for who in ["official@doudi.test", "worker@doudi.test"] {
            let t = token(&ctx, who).await;
            let res = start(
                &server,
                &t,
                upload(&town, "X", roster().into_bytes(), "r.csv"),
            )
            .await;
            assert_eq!(res.status_code(), StatusCode::NOT_FOUND, "{who}");
        }
    })
    .await;
}

#[tokio::test]
async fn an_exported_list_imports_again_without_changes() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "coordinator@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await;
        let res = server
            .get(&format!(
                "/api/v1/recipients/export?format=xlsx&township={town}&reveal=1&reason=%E5%AF%BC%E5%85%A5%E6%A0%B8%E5%AF%B9"
            ))
            .authorization_bearer(&t)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let file = res.as_bytes().to_vec();
        let res = start(&server, &t, upload(&town.to_string(), "R", file, "export.xlsx")).await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let pid = res.json::<Value>()["pid"].as_str().expect("pid").to_string();
        let r = report(&server, &t, &pid).await;
        assert_eq!(r["rejected"], 0, "{r}");
        assert_eq!(r["new"], 0, "{r}");
        // Only the roster name is new to them.
        assert_eq!(r["updated"].as_i64().unwrap() + r["unchanged"].as_i64().unwrap(), 6, "{r}");
    })
    .await;
}
