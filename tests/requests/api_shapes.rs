//! The shape of every API answer, as a snapshot in `tests/snapshots/`:
//! every list and show under `/api/v1` and the answer of each main write,
//! read as the role that sees most (admin, or the official and coordinator
//! where the answer is theirs), with ids, times, dates and numbers
//! replaced and lists cut to two items (`support::shapes`). A change of
//! shape is a diff in a snapshot: the test fails, with `CI` set nothing is
//! written, otherwise a `.snap.new` is left beside the snapshot. Accept a
//! wanted change with `INSTA_UPDATE=always cargo test --test mod -- api_shapes`
//! and commit the changed `.snap` files. The demo is laid out relative to
//! today; the snapshots were checked to stay the same with the clock moved
//! 4, 30 and 75 days on (libfaketime), and on SQLite and PostgreSQL.
use crate::support::builders::{contract_body, person, visit};
use crate::support::shapes::snapshot;
use crate::support::*;
use axum_test::{
    multipart::{MultipartForm, Part},
    TestServer,
};
use chrono::{Datelike, Duration};
use serde_json::{json, Value};

fn pid(res: &axum_test::TestResponse) -> String {
    res.json::<Value>()["pid"]
        .as_str()
        .unwrap_or_else(|| panic!("no pid in {}", res.text()))
        .to_string()
}

/// GET `path` as `token`, snapshot as `name`.
async fn get(server: &TestServer, token: &str, name: &str, path: &str) -> Value {
    let res = server.get(path).authorization_bearer(token).await;
    assert!(res.status_code().is_success(), "{path}: {}", res.text());
    snapshot(name, &res);
    res.json()
}

/// POST `body` to `path` as `token`, snapshot as `name`.
async fn post(
    server: &TestServer,
    token: &str,
    name: &str,
    path: &str,
    body: &Value,
) -> axum_test::TestResponse {
    let res = server
        .post(path)
        .authorization_bearer(token)
        .json(body)
        .await;
    assert!(res.status_code().is_success(), "{path}: {}", res.text());
    snapshot(name, &res);
    res
}

/// The first item's pid of a list answer.
fn first(list: &Value) -> String {
    list["items"][0]["pid"]
        .as_str()
        .unwrap_or_else(|| panic!("no items in {list}"))
        .to_string()
}

#[tokio::test]
async fn api_shapes_of_places_people_and_settings() {
    with_app(|server, ctx| async move {
        let admin = token(&ctx, "admin@doudi.test").await;
        let s = &server;
        let a = admin.as_str();

        let login = server
            .post("/api/v1/auth/login")
            .json(&json!({"email": "admin@doudi.test", "password": "doudi-demo"}))
            .await;
        snapshot("auth_login", &login);
        get(s, a, "auth_me", "/api/v1/auth/me").await;

        for (resource, body) in [
            (
                "townships",
                json!({"name": "新镇", "code": "511902199000", "population": 5000}),
            ),
            (
                "organizations",
                json!({"name": "某社工中心", "kind": "social_work", "credit_code": "9144030071526726XG"}),
            ),
            (
                "service_types",
                json!({"code": "haircut", "name_zh": "理发", "name_en": "Haircut"}),
            ),
        ] {
            let list = get(s, a, &format!("{resource}_list"), &format!("/api/v1/{resource}")).await;
            get(
                s,
                a,
                &format!("{resource}_show"),
                &format!("/api/v1/{resource}/{}", first(&list)),
            )
            .await;
            post(s, a, &format!("{resource}_add"), &format!("/api/v1/{resource}"), &body).await;
        }
        let town = township_pid(&ctx, "曾口镇").await;
        let list = get(s, a, "villages_list", "/api/v1/villages").await;
        get(s, a, "villages_show", &format!("/api/v1/villages/{}", first(&list))).await;
        post(
            s,
            a,
            "villages_add",
            "/api/v1/villages",
            &json!({"township": town, "name": "新村", "code": "511902101299"}),
        )
        .await;
        let list = get(s, a, "users_list", "/api/v1/users").await;
        get(s, a, "users_show", &format!("/api/v1/users/{}", first(&list))).await;
        post(
            s,
            a,
            "users_add",
            "/api/v1/users",
            &json!({"name": "何平", "email": "heping@doudi.test", "role": "official",
                    "townships": [town], "password": "long-enough"}),
        )
        .await;
        get(s, a, "audit_logs_list", "/api/v1/audit_logs").await;
        get(s, a, "privacy", "/api/v1/privacy").await;
        let w = token(&ctx, "worker@doudi.test").await;
        post(s, &w, "calendar_feed_rotate", "/api/v1/calendar_feed", &json!({})).await;
    })
    .await;
}

#[tokio::test]
async fn api_shapes_of_households_recipients_and_imports() {
    with_app(|server, ctx| async move {
        let admin = token(&ctx, "admin@doudi.test").await;
        // The township's official keeps the registry (issue 16).
        let coordinator = token(&ctx, "official@doudi.test").await;
        let s = &server;
        let a = admin.as_str();
        let c = coordinator.as_str();
        let list = get(s, a, "households_list", "/api/v1/households").await;
        get(s, a, "households_show", &format!("/api/v1/households/{}", first(&list))).await;
        let village = village_pid(&ctx, "石门村").await;
        post(
            s,
            c,
            "households_add",
            "/api/v1/households",
            &json!({"village": village, "address": "石门村5组9号", "assistance_status": "dibao"}),
        )
        .await;

        let list = get(s, a, "recipients_list", "/api/v1/recipients").await;
        get(s, a, "recipients_show", &format!("/api/v1/recipients/{}", first(&list))).await;
        let id = doudi::demo::names::resident_id(
            chrono::NaiveDate::from_ymd_opt(1948, 5, 6).expect("date"),
            321,
        );
        let added = post(
            s,
            c,
            "recipients_add",
            "/api/v1/recipients",
            &json!({
                "name": "杨淑珍", "id_number": id, "village": village,
                "address": "石门村5组8号", "assistance_status": "dibao",
                "care_tags": ["lives_alone"], "consent_by": "杨淑珍",
                "consent_on": "2026-11-01",
            }),
        )
        .await;
        let r = pid(&added);
        // Officials may not reveal ID numbers; admins may.
        post(
            s,
            a,
            "recipients_id_reveal",
            &format!("/api/v1/recipients/{r}/id_reveals"),
            &json!({"reason": "核对低保名单"}),
        )
        .await;
        post(
            s,
            c,
            "recipients_status_change",
            &format!("/api/v1/recipients/{r}/status_changes"),
            &json!({"status": "suspended", "reason": "住院"}),
        )
        .await;

        let roster = format!(
            "姓名,身份证号码,村（社区）,家庭住址,联系电话,救助类别,户主身份证号,与户主关系,备注说明\r\n\
             赵大山,{},石门村,石门村2组4号,13812340001,低保,,本人,",
            doudi::demo::names::resident_id(
                chrono::NaiveDate::from_ymd_opt(1950, 3, 4).expect("date"),
                1
            )
        );
        let form = MultipartForm::new()
            .add_text("township", township_pid(&ctx, "曾口镇").await.to_string())
            .add_text("roster", "2026年低保名单")
            .add_part(
                "file",
                Part::bytes(roster.as_bytes().to_vec())
                    .file_name("roster.csv")
                    .mime_type("text/csv"),
            );
        let res = server
            .post("/api/v1/recipient_imports")
            .authorization_bearer(a)
            .multipart(form)
            .await;
        assert!(res.status_code().is_success(), "{}", res.text());
        snapshot("recipient_imports_add", &res);
        let import = pid(&res);
        get(s, a, "recipient_imports_show", &format!("/api/v1/recipient_imports/{import}")).await;
        get(s, a, "recipient_imports_list", "/api/v1/recipient_imports").await;
        let res = server
            .post(&format!("/api/v1/recipient_imports/{import}/apply"))
            .authorization_bearer(a)
            .await;
        assert!(res.status_code().is_success(), "{}", res.text());
        snapshot("recipient_imports_apply", &res);
    })
    .await;
}

#[tokio::test]
async fn api_shapes_of_plans_visits_and_their_changes() {
    with_app(|server, ctx| async move {
        let admin = token(&ctx, "admin@doudi.test").await;
        let coordinator = token(&ctx, "coordinator@doudi.test").await;
        let worker = token(&ctx, "worker@doudi.test").await;
        let s = &server;
        let (a, c, w) = (admin.as_str(), coordinator.as_str(), worker.as_str());
        post(
            s,
            c,
            "plan_previews_add",
            "/api/v1/plan_previews",
            &json!({
                "tzid": "Asia/Shanghai", "dtstart": "2026-03-03T09:00:00",
                "rrule": "FREQ=WEEKLY;BYDAY=TU,FR", "exdates": [], "rdates": [],
                "window_start": "2026-03-01T00:00:00", "window_end": "2026-04-01T00:00:00",
            }),
        )
        .await;
        let today = doudi::models::today();
        let monday =
            today + Duration::days(i64::from(7 - today.weekday().num_days_from_monday()));
        let r = person(&ctx, "单秀英").await;
        let plan = post(
            s,
            c,
            "service_plans_add",
            "/api/v1/service_plans",
            &json!({
                "recipient": r.pid,
                "worker": user(&ctx, "worker@doudi.test").await.pid,
                "services": ["daily_care"],
                "dtstart": format!("{monday}T09:00:00"),
                "rrule": "FREQ=DAILY;COUNT=5",
                "confirm": true,
            }),
        )
        .await;
        let plan = pid(&plan);
        let list = get(s, a, "service_plans_list", "/api/v1/service_plans").await;
        assert!(list["items"].is_array());
        get(s, a, "service_plans_show", &format!("/api/v1/service_plans/{plan}")).await;
        let visits = get(s, a, "visits_list", &format!("/api/v1/visits?plan={plan}")).await;
        let v: Vec<String> = visits["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|v| v["pid"].as_str().expect("pid").to_string())
            .collect();
        assert_eq!(v.len(), 5, "{visits}");
        get(s, a, "visits_show", &format!("/api/v1/visits/{}", v[0])).await;
        post(
            s,
            w,
            "visits_check_in",
            &format!("/api/v1/visits/{}/check_in", v[0]),
            &json!({"location_reason": "no_gps_signal"}),
        )
        .await;
        post(
            s,
            w,
            "visits_submission",
            &format!("/api/v1/visits/{}/submission", v[0]),
            &crate::support::builders::completed(),
        )
        .await;
        post(
            s,
            w,
            "visits_amendment_add",
            &format!("/api/v1/visits/{}/amendments", v[0]),
            &json!({"reason": "记错了，老人不在家", "outcome": "attempted",
                    "client_id": uuid::Uuid::new_v4()}),
        )
        .await;
        get(s, a, "visits_amendments", &format!("/api/v1/visits/{}/amendments", v[0])).await;
        post(
            s,
            c,
            "visits_move",
            &format!("/api/v1/visits/{}/move", v[1]),
            &json!({"starts_at": format!("{}T15:00:00", monday + Duration::days(1)),
                    "reason": "家属要求改到下午"}),
        )
        .await;
        post(
            s,
            c,
            "visits_cancel",
            &format!("/api/v1/visits/{}/cancel", v[2]),
            &json!({"reason": "老人住院"}),
        )
        .await;
        let w3 = user(&ctx, "worker3@doudi.test").await;
        post(
            s,
            c,
            "visits_reassign",
            &format!("/api/v1/visits/{}/reassign", v[3]),
            &json!({"worker": w3.pid, "reason": "请假"}),
        )
        .await;
        post(
            s,
            c,
            "visit_reassignments_add",
            "/api/v1/visit_reassignments",
            &json!({"from_worker": w3.pid, "to_worker": user(&ctx, "worker@doudi.test").await.pid,
                    "from": monday.to_string(), "to": (monday + Duration::days(6)).to_string(),
                    "reason": "病假"}),
        )
        .await;
        post(
            s,
            w,
            "visits_add_ad_hoc",
            "/api/v1/visits",
            &json!({"recipient": r.pid, "reason": "老人来电求助",
                    "client_id": uuid::Uuid::new_v4()}),
        )
        .await;
        post(
            s,
            c,
            "service_plans_end",
            &format!("/api/v1/service_plans/{plan}/end"),
            &json!({"end_on": (monday + Duration::days(3)).to_string(), "reason": "老人入住养老院"}),
        )
        .await;
        let referrals = get(s, c, "referrals_list", "/api/v1/referrals").await;
        let referral = first(&referrals);
        let official = token(&ctx, "official@doudi.test").await;
        let o = official.as_str();
        get(s, c, "referrals_show", &format!("/api/v1/referrals/{referral}")).await;
        post(
            s,
            o,
            "referrals_assign",
            &format!("/api/v1/referrals/{referral}/assign"),
            &json!({"assignee": user(&ctx, "official@doudi.test").await.pid,
                    "due_on": (today + Duration::days(7)).to_string()}),
        )
        .await;
        post(
            s,
            o,
            "referrals_close",
            &format!("/api/v1/referrals/{referral}/close"),
            &json!({"outcome": "special", "outcome_note": "已联系村医上门量血压，申请医疗救助"}),
        )
        .await;
        get(s, c, "board", &format!("/api/v1/board?week={monday}")).await;
    })
    .await;
}

#[tokio::test]
async fn api_shapes_of_a_contract_and_its_fulfilment() {
    with_app(|server, ctx| async move {
        let admin = token(&ctx, "admin@doudi.test").await;
        let official = token(&ctx, "official@doudi.test").await;
        let s = &server;
        let (a, o) = (admin.as_str(), official.as_str());
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        let today = doudi::models::today();
        let day = |n: i64| (today + Duration::days(n)).to_string();
        let mut body = contract_body(&town, &org);
        body["starts_on"] = json!(day(-60));
        body["ends_on"] = json!(day(60));
        body["signed_on"] = json!(day(-70));
        let c = post(s, o, "contracts_add", "/api/v1/contracts", &body).await;
        let c = pid(&c);
        let url = |p: &str| format!("/api/v1/contracts/{c}{p}");
        let r = person(&ctx, "单秀英").await;
        post(
            s,
            o,
            "contracts_cover",
            &url("/recipients"),
            &json!({"recipients": [r.pid]}),
        )
        .await;
        post(
            s,
            o,
            "contracts_milestone_add",
            &url("/milestones"),
            &json!({"title": "第一期", "amount": "30000", "due_on": day(30),
                    "condition": "delivery_percent", "condition_percent": 5}),
        )
        .await;
        post(
            s,
            o,
            "contracts_status",
            &url("/status"),
            &json!({"status": "active"}),
        )
        .await;
        visit(
            &ctx,
            &r,
            &day(-20),
            "completed",
            true,
            false,
            None,
            &[("daily_care", 45)],
            &[("food", 10_000, "contract", None)],
        )
        .await;
        // The list's shape, as 水宁寺镇's official sees it: the demo's one
        // contract there (the others' order depends on the day of the run).
        let official2 = token(&ctx, "official2@doudi.test").await;
        get(s, &official2, "contracts_list", "/api/v1/contracts").await;
        get(s, a, "contracts_show", &url("")).await;
        get(s, a, "contracts_recipients", &url("/recipients")).await;
        get(s, a, "contracts_fulfilment", &url("/fulfilment")).await;
        get(s, a, "contracts_ocds", &url("/ocds")).await;
        get(s, a, "contracts_visits", &url("/visits?figure=late")).await;
        let form = MultipartForm::new().add_text("kind", "contract").add_part(
            "file",
            Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec())
                .file_name("合同.pdf")
                .mime_type("application/pdf"),
        );
        let res = server
            .post(&url("/documents"))
            .authorization_bearer(o)
            .multipart(form)
            .await;
        assert!(res.status_code().is_success(), "{}", res.text());
        snapshot("contracts_document_add", &res);
        get(s, a, "contracts_documents", &url("/documents")).await;
        post(
            s,
            o,
            "contracts_acceptance_add",
            &url("/acceptances"),
            &json!({"period_start": day(-30), "period_end": day(-1)}),
        )
        .await;
        get(s, a, "contracts_acceptances", &url("/acceptances")).await;
        get(s, a, "contracts_milestones", &url("/milestones")).await;
        post(
            s,
            o,
            "contracts_payment_add",
            &url("/payments"),
            &json!({"amount": "300", "paid_on": day(-1), "reference": "PZ-2026-118"}),
        )
        .await;
        get(s, a, "contracts_payments", &url("/payments")).await;
        let sampled = post(
            s,
            o,
            "contracts_callbacks_sample",
            &url("/callbacks"),
            &json!({"size": 5}),
        )
        .await
        .json::<Value>();
        assert!(sampled["sampled"].as_i64().unwrap_or(0) > 0, "{sampled}");
        let calls = get(s, a, "contracts_callbacks", &url("/callbacks")).await;
        post(
            s,
            o,
            "contracts_callback_record",
            &url(&format!("/callbacks/{}", first(&calls))),
            &json!({"status": "reached", "satisfaction": 4, "note": "老人说社工很耐心"}),
        )
        .await;
        let mut change = body.clone();
        change["items"][0]["quantity"] = json!(12);
        change["total"] = json!("120000.00");
        change["reason"] = json!("增加特困人员2名，相应增加探访次数");
        change["effective_on"] = json!(day(1));
        let amendment = post(
            s,
            o,
            "contracts_amendment_add",
            &url("/amendments"),
            &change,
        )
        .await;
        let amendment = pid(&amendment);
        post(
            s,
            a,
            "contracts_amendment_approve",
            &url(&format!("/amendments/{amendment}/approve")),
            &json!({"note": "同意"}),
        )
        .await;
        change["effective_on"] = json!(day(2));
        change["items"][0]["quantity"] = json!(14);
        change["total"] = json!("130000.00");
        let again = post(
            s,
            o,
            "contracts_amendment_again",
            &url("/amendments"),
            &change,
        )
        .await;
        post(
            s,
            a,
            "contracts_amendment_reject",
            &url(&format!("/amendments/{}/reject", pid(&again))),
            &json!({"reason": "理由不足"}),
        )
        .await;
        get(s, a, "contracts_amendments", &url("/amendments")).await;
    })
    .await;
}
