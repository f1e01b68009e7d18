use crate::support::builders::person;
use crate::support::*;
use axum::http::StatusCode;
use chrono::NaiveDate;
use doudi::{
    demo::names::resident_id,
    models::_entities::{audit_logs, households, recipients},
};
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};
use serde_json::{json, Value};

fn id_born(y: i32, m: u32, d: u32, seq: u32) -> String {
    resident_id(NaiveDate::from_ymd_opt(y, m, d).expect("date"), seq)
}

async fn register(
    server: &axum_test::TestServer,
    token: &str,
    body: Value,
) -> axum_test::TestResponse {
    server
        .post("/api/v1/recipients")
        .authorization_bearer(token)
        .json(&body)
        .await
}

fn names(res: &Value) -> Vec<String> {
    res["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["name"].as_str().expect("name").to_string())
        .collect()
}

#[tokio::test]
async fn an_official_registers_a_recipient_whose_id_number_is_sealed_masked_and_never_logged() {
    with_app(|server, ctx| async move {
        let token = token(&ctx, "official@doudi.test").await;
        let id = id_born(1948, 5, 6, 321);
        let before = audit_logs::Entity::find()
            .count(&ctx.db)
            .await
            .expect("count");
        let res = register(
            &server,
            &token,
            json!({
                "name": "杨淑珍",
                "id_number": format!(" {} ", id.to_lowercase()),
                "village": village_pid(&ctx, "石门村").await,
                "address": "石门村5组8号",
                "assistance_status": "dibao",
                "care_tags": ["lives_alone", "dementia"],
                "consent_by": "杨淑珍",
                "consent_on": "2026-11-01",
            }),
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let body: Value = res.json();
        let masked = format!("{}**************", &id[..4]);
        assert_eq!(body["id_number"], masked);
        assert_eq!(body["birth_year"], 1948);
        assert!(body.get("birth_date").is_none(), "{body}");
        assert_eq!(body["categories"], json!(["elderly"]));
        assert_eq!(body["household"]["assistance_status"], "dibao");
        assert_eq!(body["care_tags"], json!(["lives_alone", "dementia"]));
        assert_eq!(body["consent_missing"], false);
        let stored = person(&ctx, "杨淑珍").await;
        assert!(stored.id_sealed.starts_with("v1:"));
        assert!(!stored.id_sealed.contains(&id[6..14]));
        assert_eq!(
            stored.birth_date,
            NaiveDate::from_ymd_opt(1948, 5, 6).unwrap()
        );
        // One entry for the household, one for the person; neither holds
        // the number.
        let after = audit_logs::Entity::find()
            .count(&ctx.db)
            .await
            .expect("count");
        assert_eq!(after - before, 2);
        for row in audit_logs::Entity::find()
            .order_by_desc(audit_logs::Column::Id)
            .all(&ctx.db)
            .await
            .expect("rows")
        {
            assert!(
                !row.changes.contains(&id),
                "the ID number reached the audit log"
            );
            assert!(!row.changes.contains(&stored.id_sealed));
        }
    })
    .await;
}

#[tokio::test]
async fn registering_refuses_bad_and_duplicate_id_numbers_and_minors_without_a_guardian() {
    with_app(|server, ctx| async move {
        let token = token(&ctx, "coordinator@doudi.test").await;
        let village = village_pid(&ctx, "石门村").await;
        let good = id_born(1950, 1, 2, 11);
        let mut bad = good.clone().into_bytes();
        bad[10] = if bad[10] == b'9' { b'0' } else { bad[10] + 1 };
        let bad = String::from_utf8(bad).expect("ascii");
        let body = |id: &str, name: &str| {
            json!({"name": name, "id_number": id, "village": village, "address": "石门村1组1号"})
        };
        let res = register(&server, &token, body(&bad, "甲")).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["id_number"].is_array());

        // Full-width digits are normalised and accepted.
        let full_width: String = good
            .chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap(),
                c => c,
            })
            .collect();
        let res = register(&server, &token, body(&full_width, "乙")).await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let res = register(&server, &token, body(&good, "丙")).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("id_number"), "{}", res.text());

        let child = id_born(2016, 4, 1, 22);
        let res = register(&server, &token, body(&child, "丁")).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let errors = res.json::<Value>()["errors"].clone();
        assert!(errors["guardian_name"].is_array(), "{errors}");
        assert!(errors["guardian_phone"].is_array(), "{errors}");
        // A child's own consent is refused: a guardian must consent.
        let mut with_guardian = body(&child, "丁");
        with_guardian["guardian_name"] = json!("丁母");
        with_guardian["guardian_phone"] = json!("13912345678");
        with_guardian["consent_by"] = json!("丁");
        with_guardian["consent_relation"] = json!("self");
        with_guardian["consent_on"] = json!("2026-11-01");
        let res = register(&server, &token, with_guardian.clone()).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["consent_relation"].is_array());
        with_guardian["consent_relation"] = json!("guardian");
        let res = register(&server, &token, with_guardian).await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        assert_eq!(res.json::<Value>()["categories"], json!(["minor"]));
    })
    .await;
}

#[tokio::test]
async fn each_role_sees_only_the_recipients_in_its_scope() {
    with_app(|server, ctx| async move {
        let mut counts = Vec::new();
        for email in [
            "admin@doudi.test",
            "official@doudi.test",
            "official2@doudi.test",
            "coordinator@doudi.test",
            "coordinator2@doudi.test",
        ] {
            let t = token(&ctx, email).await;
            let res = server
                .get("/api/v1/recipients?per_page=100")
                .authorization_bearer(&t)
                .await;
            assert_eq!(res.status_code(), StatusCode::OK);
            counts.push(
                res.json::<Value>()["page"]["total"]
                    .as_u64()
                    .expect("total"),
            );
        }
        assert_eq!(counts, vec![11, 9, 2, 9, 2]);
        // Workers see none (until visits assign them) and never ID numbers.
        let t = token(&ctx, "worker@doudi.test").await;
        let res = server
            .get("/api/v1/recipients")
            .authorization_bearer(&t)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);

        // Outside the scope is a 404 on every endpoint.
        let theirs = person(&ctx, "何淑珍").await.pid;
        let t = token(&ctx, "coordinator@doudi.test").await;
        for (method, path, body) in [
            ("get", format!("/api/v1/recipients/{theirs}"), json!(null)),
            (
                "put",
                format!("/api/v1/recipients/{theirs}"),
                json!({"name": "x"}),
            ),
            (
                "post",
                format!("/api/v1/recipients/{theirs}/status_changes"),
                json!({"status": "exited", "reason": "x"}),
            ),
            (
                "post",
                format!("/api/v1/recipients/{theirs}/id_reveals"),
                json!({"reason": "x"}),
            ),
        ] {
            let req = match method {
                "get" => server.get(&path),
                "put" => server.put(&path).json(&body),
                _ => server.post(&path).json(&body),
            };
            let res = req.authorization_bearer(&t).await;
            assert_eq!(res.status_code(), StatusCode::NOT_FOUND, "{method} {path}");
        }
        let cookie = session(&ctx, "coordinator@doudi.test").await;
        for path in [
            format!("/recipients/{theirs}"),
            format!("/recipients/{theirs}/edit"),
            format!("/recipients/{theirs}/reveal"),
        ] {
            let res = server.get(&path).add_header("cookie", cookie.clone()).await;
            assert_eq!(res.status_code(), StatusCode::NOT_FOUND, "{path}");
        }
        // Officials keep the registry (a bad registration is a 422) but do
        // not reveal ID numbers.
        let mine = person(&ctx, "单秀英").await.pid;
        let t = token(&ctx, "official@doudi.test").await;
        let res = server
            .get(&format!("/api/v1/recipients/{mine}"))
            .authorization_bearer(&t)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let res = server
            .post("/api/v1/recipients")
            .authorization_bearer(&t)
            .json(&json!({"name": "x"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post(&format!("/api/v1/recipients/{mine}/id_reveals"))
            .authorization_bearer(&t)
            .json(&json!({"reason": "curious"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn people_are_found_by_name_pinyin_every_reading_initials_and_the_last_four_id_characters() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "admin@doudi.test").await;
        let find = |q: &str| {
            let server = &server;
            let t = t.clone();
            let q = q.to_string();
            async move {
                let res = server
                    .get("/api/v1/recipients")
                    .add_query_param("q", &q)
                    .authorization_bearer(&t)
                    .await;
                assert_eq!(res.status_code(), StatusCode::OK);
                names(&res.json::<Value>())
            }
        };
        assert_eq!(find("单秀英").await, vec!["单秀英"]);
        assert_eq!(find("shanxiuying").await, vec!["单秀英"]);
        assert_eq!(find("danxiuying").await, vec!["单秀英"]);
        assert_eq!(find("SXY").await, vec!["单秀英"]);
        // 曾 reads zeng and ceng.
        assert_eq!(find("cengdeming").await, vec!["曾德明"]);
        assert_eq!(find("lvguiying").await, vec!["吕桂英"]);
        let last4 = person(&ctx, "王光荣").await.id_last4;
        assert!(find(&last4).await.contains(&"王光荣".to_string()));
        assert!(find("nobodyatall").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn the_list_filters_by_category_assistance_status_village_status_and_care_need() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "admin@doudi.test").await;
        let get = |query: String| {
            let server = &server;
            let t = t.clone();
            async move {
                let res = server
                    .get(&format!("/api/v1/recipients?per_page=100&{query}"))
                    .authorization_bearer(&t)
                    .await;
                assert_eq!(res.status_code(), StatusCode::OK, "{query}");
                let mut n = names(&res.json::<Value>());
                n.sort();
                n
            }
        };
        assert_eq!(get("category=minor".into()).await, vec!["刘洋洋", "张小雨"]);
        assert_eq!(
            get("category=disabled".into()).await.len(),
            5,
            "曾德明 李长林 王光荣 刘建华 罗春兰"
        );
        assert_eq!(
            get("assistance_status=tekun".into()).await,
            vec!["单秀英", "王光荣"]
        );
        let village = village_pid(&ctx, "高峰村").await;
        assert_eq!(
            get(format!("village={village}")).await,
            vec!["吕桂英", "曾德明"]
        );
        assert_eq!(get("tag=dementia".into()).await, vec!["吕桂英"]);
        assert_eq!(get("status=exited".into()).await, Vec::<String>::new());
        let res = server
            .get("/api/v1/recipients?page=abc&category=unknown")
            .authorization_bearer(&t)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn revealing_an_id_number_needs_a_reason_and_is_audited_without_the_number() {
    with_app(|server, ctx| async move {
        let r = person(&ctx, "单秀英").await;
        let t = token(&ctx, "coordinator@doudi.test").await;
        let path = format!("/api/v1/recipients/{}/id_reveals", r.pid);
        let res = server
            .post(&path)
            .authorization_bearer(&t)
            .json(&json!({"reason": " "}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let before = audit_count(&ctx, "reveal", "recipients").await;
        let res = server
            .post(&path)
            .authorization_bearer(&t)
            .json(&json!({"reason": "核对残疾证"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED);
        assert_eq!(res.header("cache-control"), "no-store");
        let id = res.json::<Value>()["id_number"]
            .as_str()
            .expect("id")
            .to_string();
        assert_eq!(id.len(), 18);
        assert_eq!(&id[14..], r.id_last4);
        assert_eq!(audit_count(&ctx, "reveal", "recipients").await, before + 1);
        let row = audit_logs::Entity::find()
            .order_by_desc(audit_logs::Column::Id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("row");
        assert_eq!(row.entity_pid, Some(r.pid));
        assert!(row.changes.contains("核对残疾证"));
        assert!(!row.changes.contains(&id));

        // The page asks for the reason, shows the number, and is not cached.
        let cookie = session(&ctx, "admin@doudi.test").await;
        let page = server
            .post(&format!("/recipients/{}/reveal", r.pid))
            .add_header("cookie", cookie)
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("reason", "回访核对")])
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert_eq!(page.header("cache-control"), "no-store");
        assert_eq!(select_text(&page.text(), ".revealed"), vec![id]);
    })
    .await;
}

#[tokio::test]
async fn exiting_needs_a_reason_keeps_the_person_and_their_history() {
    with_app(|server, ctx| async move {
        let r = person(&ctx, "何淑珍").await;
        let t = token(&ctx, "official2@doudi.test").await;
        let path = format!("/api/v1/recipients/{}/status_changes", r.pid);
        let res = server
            .post(&path)
            .authorization_bearer(&t)
            .json(&json!({"status": "exited"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["reason"].is_array());
        let res = server
            .post(&path)
            .authorization_bearer(&t)
            .json(&json!({"status": "exited", "reason": "迁往外地", "effective_on": "2026-11-20"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let res = server
            .get(&format!("/api/v1/recipients/{}", r.pid))
            .authorization_bearer(&t)
            .await;
        let body: Value = res.json();
        assert_eq!(body["status"], "exited");
        assert_eq!(body["status_reason"], "迁往外地");
        assert_eq!(body["status_history"][0]["to_status"], "exited");
        assert_eq!(body["status_history"][1]["to_status"], "active");
        // Nothing deletes a recipient: there is no DELETE route.
        let res = server
            .delete(&format!("/api/v1/recipients/{}", r.pid))
            .authorization_bearer(&t)
            .await;
        assert!(res.status_code().is_client_error());
        assert!(recipients::Entity::find_by_id(r.id)
            .one(&ctx.db)
            .await
            .expect("q")
            .is_some());
    })
    .await;
}

#[tokio::test]
async fn exports_are_masked_unless_revealed_with_a_reason_and_always_audited() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "coordinator@doudi.test").await;
        let r = person(&ctx, "单秀英").await;
        let before = audit_count(&ctx, "export", "recipients").await;
        let res = server
            .get("/api/v1/recipients/export?format=csv&q=shanxiuying")
            .authorization_bearer(&t)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let bytes = res.as_bytes().to_vec();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
        let text = String::from_utf8(bytes).expect("utf8");
        assert!(text.contains("单秀英"));
        assert!(text.contains(&r.id_masked), "{text}");
        assert_eq!(audit_count(&ctx, "export", "recipients").await, before + 1);

        let res = server
            .post("/api/v1/recipients/export")
            .authorization_bearer(&t)
            .json(&json!({"format": "csv", "reveal": "1"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post("/api/v1/recipients/export")
            .authorization_bearer(&t)
            .json(&json!({"format": "xlsx", "reveal": "1", "reason": "年度核查"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let rows = doudi::sheets::read_table(res.as_bytes()).expect("xlsx");
        assert_eq!(rows.len(), 10, "header and the 9 recipients of the centre");
        let row = rows.iter().find(|row| row[0] == "单秀英").expect("row");
        assert_eq!(row[1].len(), 18);
        assert_eq!(&row[1][14..], r.id_last4);
        let last = audit_logs::Entity::find()
            .order_by_desc(audit_logs::Column::Id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("row");
        assert_eq!(last.action, "reveal");
        assert!(last.changes.contains("年度核查"));

        // Officials may export masked, never revealed.
        let t = token(&ctx, "official@doudi.test").await;
        let res = server
            .post("/api/v1/recipients/export")
            .authorization_bearer(&t)
            .json(&json!({"reveal": "1", "reason": "x"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn households_list_their_members_together_and_moving_one_moves_its_members() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "official@doudi.test").await;
        let r = person(&ctx, "曾德明").await;
        let h = households::Entity::find_by_id(r.household_id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("household");
        let res = server
            .get(&format!("/api/v1/households/{}", h.pid))
            .authorization_bearer(&t)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let body: Value = res.json();
        assert_eq!(body["members"], 2);
        let new_village = village_pid(&ctx, "白岩村").await;
        let res = server
            .put(&format!("/api/v1/households/{}", h.pid))
            .authorization_bearer(&t)
            .json(&json!({"village": new_village, "address": "白岩村2组3号", "assistance_status": "dibao"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        for name in ["曾德明", "吕桂英"] {
            let m = person(&ctx, name).await;
            assert_eq!(m.township_id, h.township_id + 1, "{name} moved to 清江镇");
        }
        // Another organisation's household is not found.
        let t2 = token(&ctx, "coordinator2@doudi.test").await;
        let res = server
            .get(&format!("/api/v1/households/{}", h.pid))
            .authorization_bearer(&t2)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        let res = server
            .put(&format!("/api/v1/households/{}", h.pid))
            .authorization_bearer(&t2)
            .json(&json!({"address": "x"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        let res = server.get("/api/v1/households").authorization_bearer(&t2).await;
        assert_eq!(res.json::<Value>()["page"]["total"], 2);
    })
    .await;
}

#[tokio::test]
async fn the_pages_list_show_and_register_recipients_and_keep_the_form_on_errors() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "official@doudi.test").await;
        let page = server
            .get("/recipients?q=zsf")
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        let page = server
            .get("/recipients")
            .add_header("cookie", cookie.clone())
            .await;
        let cards = select_text(&page.text(), "ul.cards li strong");
        assert_eq!(cards.len(), 9);
        let r = person(&ctx, "张小雨").await;
        let page = server
            .get(&format!("/recipients/{}", r.pid))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        let html = page.text();
        assert!(html.contains(&r.id_masked));
        assert!(select_text(&html, "h3 + ul.cards li strong").contains(&"张玉兰".to_string()));
        for path in [
            "/recipients/new",
            "/households",
            "/households/new",
            "/recipient_imports",
        ] {
            let res = server.get(path).add_header("cookie", cookie.clone()).await;
            assert_eq!(res.status_code(), StatusCode::OK, "{path}");
        }
        let village = village_pid(&ctx, "石门村").await.to_string();
        let res = server
            .post("/recipients")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[
                ("name", "马春兰"),
                ("id_number", "12345"),
                ("village", village.as_str()),
                ("address", "石门村9组1号"),
                ("care_tags", "lives_alone"),
                ("care_tags", "bedridden"),
            ])
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text();
        assert!(!select_text(&html, ".field-error").is_empty());
        assert!(html.contains("马春兰"), "what was typed is kept");
        assert_eq!(
            select_text(&html, "input[name=care_tags][checked]").len(),
            2
        );
        let id = id_born(1944, 2, 3, 55);
        let res = server
            .post("/recipients")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[
                ("name", "马春兰"),
                ("id_number", id.as_str()),
                ("village", village.as_str()),
                ("address", "石门村9组1号"),
                ("care_tags", "lives_alone"),
                ("care_tags", "bedridden"),
            ])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER, "{}", res.text());
        let stored = person(&ctx, "马春兰").await;
        assert_eq!(stored.care_tags, ",lives_alone,bedridden,");
        // Editing without re-entering the ID number keeps it.
        let res = server
            .post(&format!("/recipients/{}", stored.pid))
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("name", "马春兰"), ("phone", "13800001111")])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER, "{}", res.text());
        let edited = person(&ctx, "马春兰").await;
        assert_eq!(edited.id_hash, stored.id_hash);
        assert_eq!(edited.phone.as_deref(), Some("13800001111"));
        // Workers have no recipient pages.
        let worker = session(&ctx, "worker@doudi.test").await;
        let res = server.get("/recipients").add_header("cookie", worker).await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
    })
    .await;
}
