//! Correcting a logged visit: only by an amendment with a reason, shown on
//! the visit page with the record and the signature.
use crate::support::builders::{complete, completed, visits_for_worker};
use crate::support::*;
use axum::http::StatusCode;
use doudi::models::_entities::visits;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{json, Value};

#[tokio::test]
async fn a_logged_visit_is_corrected_only_by_an_amendment_with_a_reason() {
    with_app(|server, ctx| async move {
        let list = visits_for_worker(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        let c = token(&ctx, "coordinator@doudi.test").await;
        let amend = |v: &visits::Model| format!("/api/v1/visits/{}/amendments", v.pid);
        // Nothing logged yet: nothing to correct.
        let res = server
            .post(&amend(&list[0]))
            .authorization_bearer(&w)
            .json(&json!({"reason": "x", "outcome": "attempted"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["status"].is_array());
        complete(&server, &w, &list[0]).await;
        let shown: Value = server
            .get(&format!("/api/v1/visits/{}", list[0].pid))
            .authorization_bearer(&c)
            .await
            .json();
        let record = shown["record"].clone();
        assert_eq!(record["outcome"], "completed");
        assert_eq!(record["services"].as_array().map(Vec::len), Some(3));
        assert_eq!(record["materials"][0]["value"], "35.50");
        assert_eq!(record["materials"][0]["quantity"], "10");
        assert_eq!(record["signature"], true);
        assert_eq!(shown["amendments"], json!([]));

        // The correction: one service was 45 minutes, not 30; the rice was
        // 5 jin; the signature on file is kept.
        let mut fix = completed();
        fix["client_id"] = json!(uuid::Uuid::new_v4());
        fix["signature"] = json!(null);
        fix["services"][0]["minutes"] = json!(45);
        fix["materials"][0]["quantity"] = json!("5");
        fix["materials"][0]["value"] = json!("17.75");
        // Without a reason: refused, nothing changes.
        let res = server
            .post(&amend(&list[0]))
            .authorization_bearer(&w)
            .json(&fix)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["reason"].is_array());
        // The same record again is no correction.
        let mut same = completed();
        same["signature"] = json!(null);
        same["reason"] = json!("核对");
        let res = server
            .post(&amend(&list[0]))
            .authorization_bearer(&w)
            .json(&same)
            .await;
        assert_eq!(
            res.status_code(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        // Bad lines are refused the same way as at the door.
        let mut bad = fix.clone();
        bad["reason"] = json!("时长记错");
        bad["services"][1]["minutes"] = json!(0);
        let res = server
            .post(&amend(&list[0]))
            .authorization_bearer(&w)
            .json(&bad)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["services.1.minutes"].is_array());

        let audits = audit_count(&ctx, "update", "visits").await;
        fix["reason"] = json!("时长和数量记错了");
        let res = server
            .post(&amend(&list[0]))
            .authorization_bearer(&w)
            .json(&fix)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        // Sent again after a network cut: the first answer, one amendment.
        let again = server
            .post(&amend(&list[0]))
            .authorization_bearer(&w)
            .json(&fix)
            .await;
        assert_eq!(again.header("idempotent-replay"), "true");
        assert_eq!(audit_count(&ctx, "update", "visits").await, audits + 1);
        let shown: Value = server
            .get(&format!("/api/v1/visits/{}", list[0].pid))
            .authorization_bearer(&c)
            .await
            .json();
        assert_eq!(shown["record"]["services"][0]["minutes"], 45);
        assert_eq!(shown["record"]["materials"][0]["value_fen"], 1775);
        assert_eq!(shown["record"]["signature"], true);
        let amendments = shown["amendments"].as_array().cloned().unwrap_or_default();
        assert_eq!(amendments.len(), 1);
        assert_eq!(amendments[0]["reason"], "时长和数量记错了");
        assert_eq!(
            amendments[0]["by"],
            user(&ctx, "worker@doudi.test").await.name
        );
        // The original stays readable.
        assert_eq!(amendments[0]["before"], record);
        assert_eq!(amendments[0]["after"], shown["record"]);
        // The check-in and check-out are facts: unchanged.
        assert_eq!(
            shown["checked_in_at"],
            json!(complete_times(&ctx, &list[0]).await.0)
        );

        // A coordinator of the organisation corrects too; the worker's
        // colleague, another organisation and officials cannot.
        let mut by_coordinator = fix.clone();
        by_coordinator["client_id"] = json!(null);
        by_coordinator["outcome"] = json!("attempted");
        by_coordinator["services"] = json!([]);
        by_coordinator["materials"] = json!([]);
        by_coordinator["reason"] = json!("电话回访：当天家中无人");
        for who in [
            "worker1@doudi.test",
            "coordinator2@doudi.test",
            "official@doudi.test",
        ] {
            let res = server
                .post(&amend(&list[0]))
                .authorization_bearer(&token(&ctx, who).await)
                .json(&by_coordinator)
                .await;
            assert_eq!(res.status_code(), StatusCode::NOT_FOUND, "{who}");
        }
        let res = server
            .post(&amend(&list[0]))
            .authorization_bearer(&c)
            .json(&by_coordinator)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(res.json::<Value>()["status"], "attempted");
        let res = server
            .get(&amend(&list[0]))
            .authorization_bearer(&token(&ctx, "official@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        assert_eq!(
            res.json::<Value>()["items"].as_array().map(Vec::len),
            Some(2)
        );
        let res = server
            .get(&amend(&list[0]))
            .authorization_bearer(&token(&ctx, "coordinator2@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);

        // Once the period is accepted, nothing changes.
        let locked = visits::Entity::find_by_id(list[0].id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("v");
        let mut am: visits::ActiveModel = locked.into();
        am.locked_at = Set(Some(chrono::Utc::now().into()));
        am.update(&ctx.db).await.expect("lock");
        let mut late = fix.clone();
        late["client_id"] = json!(uuid::Uuid::new_v4());
        let res = server
            .post(&amend(&list[0]))
            .authorization_bearer(&c)
            .json(&late)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("status"), "{}", res.text());
        assert_eq!(audit_count(&ctx, "update", "visits").await, audits + 2);
    })
    .await;
}

/// The check-in and check-out of a visit as stored (RFC 3339).
async fn complete_times(ctx: &loco_rs::app::AppContext, v: &visits::Model) -> (String, String) {
    let v = visits::Entity::find_by_id(v.id)
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("v");
    let t = |x: Option<sea_orm::prelude::DateTimeWithTimeZone>| {
        serde_json::to_value(x)
            .expect("json")
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    (t(v.checked_in_at), t(v.checked_out_at))
}

#[tokio::test]
async fn the_visit_page_shows_the_record_its_corrections_and_the_signature_in_scope() {
    with_app(|server, ctx| async move {
        let list = visits_for_worker(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        complete(&server, &w, &list[0]).await;
        let mut fix = completed();
        fix["client_id"] = json!(null);
        fix["signature"] = json!(null);
        fix["services"][0]["minutes"] = json!(45);
        fix["reason"] = json!("时长记错");
        let res = server
            .post(&format!("/api/v1/visits/{}/amendments", list[0].pid))
            .authorization_bearer(&w)
            .json(&fix)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let page = server
            .get(&format!("/visits/{}", list[0].pid))
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        let html = page.text();
        let record = select_text(&html, "#record").join(" ");
        for want in [
            "生活照料",
            "45 分钟",
            "大米",
            "35.50",
            "巴中市慈善总会",
            "单秀英",
            "时长记错",
            "30 分钟",
        ] {
            assert!(record.contains(want), "{want} in {record}");
        }
        // About 9 m from the registered home.
        assert!(record.contains("距登记住址 9 米"), "{record}");
        assert!(html.contains(&format!("/visits/{}/signature", list[0].pid)));
        // The coordinator may correct it: the form starts from the record.
        assert!(html.contains("id=\"amend-box\""));
        assert!(html.contains("value=\"45\""));
        // The signature: in scope only.
        let img = server
            .get(&format!("/visits/{}/signature", list[0].pid))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert_eq!(img.status_code(), StatusCode::OK);
        assert_eq!(img.header("content-type"), "image/png");
        assert!(img.as_bytes().starts_with(b"\x89PNG"));
        let img = server
            .get(&format!("/api/v1/visits/{}/signature", list[0].pid))
            .authorization_bearer(&token(&ctx, "coordinator2@doudi.test").await)
            .await;
        assert_eq!(img.status_code(), StatusCode::NOT_FOUND);
        // Officials read the record but may not correct it.
        let page = server
            .get(&format!("/visits/{}", list[0].pid))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert!(!page.text().contains("id=\"amend-box\""));
        assert!(page.text().contains("时长记错"));
    })
    .await;
}
