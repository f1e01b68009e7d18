//! Issue 16: the registry is the township's; providers propose people and
//! reach people through their contracts, read only for a grace period
//! after the coverage's last day, then only their own visit records.
use crate::support::builders::{last_audit, person};
use crate::support::*;
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate};
use doudi::{
    demo::names::resident_id,
    models::{
        _entities::{contract_recipients, contracts, proposals, recipients, visits},
        today,
    },
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
};
use serde_json::{json, Value};

fn new_person(name: &str, seq: u32, village: uuid::Uuid) -> Value {
    json!({
        "name": name,
        "id_number": resident_id(NaiveDate::from_ymd_opt(1949, 3, 3).expect("date"), seq),
        "village": village,
        "address": "石门村3组2号",
        "assistance_status": "tekun",
        "consent_by": name,
        "consent_on": "2026-11-01",
    })
}

async fn get(server: &axum_test::TestServer, t: &str, path: &str) -> axum_test::TestResponse {
    server.get(path).authorization_bearer(t).await
}

/// Ends the coverage of `name` by the demo contracts `days_ago` days ago.
async fn coverage_ended(ctx: &loco_rs::app::AppContext, name: &str, days_ago: i64) {
    let r = person(ctx, name).await;
    for row in contract_recipients::Entity::find()
        .filter(contract_recipients::Column::RecipientId.eq(r.id))
        .all(&ctx.db)
        .await
        .expect("q")
    {
        let mut am = row.into_active_model();
        am.covered_until = Set(Some(today() - Duration::days(days_ago)));
        am.update(&ctx.db).await.expect("update");
    }
}

#[tokio::test]
async fn the_township_registers_and_a_provider_proposes_whom_it_found() {
    with_app(|server, ctx| async move {
        let official = token(&ctx, "official@doudi.test").await;
        let official2 = token(&ctx, "official2@doudi.test").await;
        let coordinator = token(&ctx, "coordinator@doudi.test").await;
        let coordinator2 = token(&ctx, "coordinator2@doudi.test").await;
        let village = village_pid(&ctx, "石门村").await;

        // The township's official registers: on the roster at once, but no
        // provider sees the person until a contract covers them.
        let res = server
            .post("/api/v1/recipients")
            .authorization_bearer(&official)
            .json(&new_person("邓桂花", 611, village))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let registered: Value = res.json();
        assert_eq!(registered["registry"], "registered");
        let path = format!("/api/v1/recipients/{}", registered["pid"].as_str().unwrap());
        assert_eq!(
            get(&server, &coordinator, &path).await.status_code(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&server, &official, &path).await.status_code(),
            StatusCode::OK
        );
        assert_eq!(
            get(&server, &official2, &path).await.status_code(),
            StatusCode::NOT_FOUND
        );

        // A provider's coordinator proposes someone found in outreach.
        let res = server
            .post("/api/v1/recipients")
            .authorization_bearer(&coordinator)
            .json(&new_person("彭大爷", 613, village))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let proposed: Value = res.json();
        assert_eq!(proposed["registry"], "proposed");
        let path = format!("/api/v1/recipients/{}", proposed["pid"].as_str().unwrap());
        assert_eq!(
            get(&server, &coordinator, &path).await.status_code(),
            StatusCode::OK
        );
        assert_eq!(
            get(&server, &coordinator2, &path).await.status_code(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&server, &official2, &path).await.status_code(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(last_audit(&ctx).await.entity, "proposals");
        // The proposer may correct what they entered, not a registered person.
        let mut corrected = new_person("彭大爷", 613, village);
        corrected["care_needs"] = json!("腿脚不便，需代购");
        let res = server
            .patch(&path)
            .authorization_bearer(&coordinator)
            .json(&corrected)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let shan = person(&ctx, "单秀英").await;
        let res = server
            .patch(&format!("/api/v1/recipients/{}", shan.pid))
            .authorization_bearer(&coordinator)
            .json(&json!({"care_needs": "x"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        let res = server
            .post(&format!("/api/v1/recipients/{}/status_changes", shan.pid))
            .authorization_bearer(&coordinator)
            .json(&json!({"status": "suspended", "reason": "住院"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        // Nor can a provider plan for a proposal: no contract covers them.
        let res = server
            .post("/api/v1/service_plans")
            .authorization_bearer(&coordinator)
            .json(&json!({
                "recipient": proposed["pid"], "worker": user(&ctx, "worker@doudi.test").await.pid,
                "services": ["daily_care"], "dtstart": "2027-01-04T09:00",
                "rrule": "FREQ=WEEKLY;BYDAY=MO",
            }))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("recipient"), "{}", res.text());

        // The township's list of proposals; another township's official
        // and the other provider do not see it.
        let list: Value = get(&server, &official, "/api/v1/proposals").await.json();
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
        let p = list["items"][0]["pid"].as_str().unwrap().to_string();
        assert_eq!(list["items"][0]["recipient"]["name"], "彭大爷");
        let other: Value = get(&server, &official2, "/api/v1/proposals").await.json();
        assert_eq!(other["items"].as_array().unwrap().len(), 0);
        let decide = |t: String, body: Value| {
            let server = &server;
            let p = p.clone();
            async move {
                server
                    .post(&format!("/api/v1/proposals/{p}/decision"))
                    .authorization_bearer(&t)
                    .json(&body)
                    .await
            }
        };
        let res = decide(official2.clone(), json!({"decision": "confirm"})).await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        let res = decide(coordinator.clone(), json!({"decision": "confirm"})).await;
        assert_eq!(res.status_code(), StatusCode::FORBIDDEN);
        let res = decide(official.clone(), json!({"decision": "maybe"})).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = decide(official.clone(), json!({"decision": "decline"})).await;
        assert_eq!(
            res.status_code(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "a reason is needed"
        );
        let res = decide(
            official.clone(),
            json!({"decision": "decline", "note": "户籍不在本镇，请联系其户籍地"}),
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(res.json::<Value>()["status"], "declined");
        // The proposer sees the decision and its reason.
        let mine: Value = get(&server, &coordinator, "/api/v1/proposals?show=declined")
            .await
            .json();
        assert_eq!(
            mine["items"][0]["decision_note"],
            "户籍不在本镇，请联系其户籍地"
        );
        let seen: Value = get(&server, &coordinator, &path).await.json();
        assert_eq!(seen["registry"], "declined");
        // Reconsidered: confirmed onto the roster. The proposer no longer
        // sees the person (no contract covers them); a second decision is
        // refused.
        let res = decide(official.clone(), json!({"decision": "confirm"})).await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let stored = person(&ctx, "彭大爷").await;
        assert_eq!(stored.registry, "registered");
        assert_eq!(
            get(&server, &coordinator, &path).await.status_code(),
            StatusCode::NOT_FOUND
        );
        let res = decide(
            official.clone(),
            json!({"decision": "decline", "note": "x"}),
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let decided = proposals::Entity::find()
            .filter(proposals::Column::RecipientId.eq(stored.id))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("proposal");
        assert_eq!(decided.status, "confirmed");
        assert_eq!(
            decided.decided_by_id,
            Some(user(&ctx, "official@doudi.test").await.id)
        );
        assert_eq!(last_audit(&ctx).await.entity, "recipients");
        assert_eq!(audit_count(&ctx, "update", "proposals").await, 2);
    })
    .await;
}

#[tokio::test]
async fn a_provider_reads_a_person_for_the_grace_period_after_its_coverage_then_only_its_records() {
    with_app(|server, ctx| async move {
        let coordinator = token(&ctx, "coordinator@doudi.test").await;
        let r = person(&ctx, "单秀英").await;
        let path = format!("/api/v1/recipients/{}", r.pid);
        assert_eq!(
            get(&server, &coordinator, &path).await.status_code(),
            StatusCode::OK
        );
        // A visit of the provider's while it served her.
        let v = crate::support::builders::visit(
            &ctx,
            &r,
            &(today() - Duration::days(70)).to_string(),
            "completed",
            false,
            false,
            None,
            &[("daily_care", 40)],
            &[],
        )
        .await;

        // Coverage ended ten days ago: read only.
        coverage_ended(&ctx, "单秀英", 10).await;
        assert_eq!(
            get(&server, &coordinator, &path).await.status_code(),
            StatusCode::OK
        );
        let res = server
            .post(&format!("{path}/id_reveals"))
            .authorization_bearer(&coordinator)
            .json(&json!({"reason": "核对身份"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        let res = server
            .post("/api/v1/service_plans")
            .authorization_bearer(&coordinator)
            .json(&json!({
                "recipient": r.pid, "worker": user(&ctx, "worker@doudi.test").await.pid,
                "services": ["daily_care"], "dtstart": "2027-01-04T09:00",
                "rrule": "FREQ=WEEKLY;BYDAY=MO",
            }))
            .await;
        assert_eq!(
            res.status_code(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );

        // On the grace period's last day still; the day after, not.
        coverage_ended(&ctx, "单秀英", 60).await;
        assert_eq!(
            get(&server, &coordinator, &path).await.status_code(),
            StatusCode::OK
        );
        coverage_ended(&ctx, "单秀英", 61).await;
        assert_eq!(
            get(&server, &coordinator, &path).await.status_code(),
            StatusCode::NOT_FOUND
        );
        // Its own visit record stays.
        let res = get(&server, &coordinator, &format!("/api/v1/visits/{}", v.pid)).await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        // The page names the person without opening them.
        let page = server
            .get(&format!("/visits/{}", v.pid))
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert!(!page.text().contains(&format!("/recipients/{}", r.pid)));
        // The township still sees her.
        let official = token(&ctx, "official@doudi.test").await;
        assert_eq!(
            get(&server, &official, &path).await.status_code(),
            StatusCode::OK
        );
        let _ = visits::Entity::find_by_id(v.id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("kept");
    })
    .await;
}

#[tokio::test]
async fn closing_a_contract_starts_the_grace_period_and_places_follow_contracts() {
    with_app(|server, ctx| async move {
        let coordinator = token(&ctx, "coordinator@doudi.test").await;
        let coordinator2 = token(&ctx, "coordinator2@doudi.test").await;
        // Places: the townships of the provider's contracts only.
        let names = |v: Value| -> Vec<String> {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_string())
                .collect()
        };
        let mine = names(get(&server, &coordinator, "/api/v1/townships").await.json());
        assert_eq!(mine.len(), 2, "{mine:?}");
        assert!(!mine.contains(&"水宁寺镇".to_string()));
        let theirs = names(
            get(&server, &coordinator2, "/api/v1/townships")
                .await
                .json(),
        );
        assert_eq!(theirs, vec!["水宁寺镇".to_string()]);
        let far = doudi::models::_entities::villages::Entity::find()
            .filter(
                doudi::models::_entities::villages::Column::TownshipId.eq(
                    doudi::models::_entities::townships::Entity::find()
                        .filter(doudi::models::_entities::townships::Column::Name.eq("水宁寺镇"))
                        .one(&ctx.db)
                        .await
                        .expect("q")
                        .expect("town")
                        .id,
                ),
            )
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("village");
        let res = get(
            &server,
            &coordinator,
            &format!("/api/v1/villages/{}", far.pid),
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);

        // The official closes 曾口镇's contract: the provider still reads
        // its people (grace period) but plans for none of them.
        let c = contracts::Entity::find()
            .filter(
                contracts::Column::OrganizationId.eq(user(&ctx, "coordinator@doudi.test")
                    .await
                    .organization_id
                    .unwrap()),
            )
            .filter(contracts::Column::TownshipId.eq(person(&ctx, "单秀英").await.township_id))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("contract");
        let official = token(&ctx, "official@doudi.test").await;
        let res = server
            .post(&format!("/api/v1/contracts/{}/status", c.pid))
            .authorization_bearer(&official)
            .json(&json!({"status": "closed", "reason": "服务机构申请终止合同"}))
            .await;
        assert!(res.status_code().is_success(), "{}", res.text());
        let closed = contracts::Entity::find_by_id(c.id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("c");
        assert_eq!(closed.status, "closed");
        assert_eq!(closed.closed_on, Some(today()));
        let r: recipients::Model = person(&ctx, "单秀英").await;
        let path = format!("/api/v1/recipients/{}", r.pid);
        assert_eq!(
            get(&server, &coordinator, &path).await.status_code(),
            StatusCode::OK
        );
    })
    .await;
}

#[tokio::test]
async fn a_contract_covers_a_person_of_another_township_only_with_a_reason_both_townships_see() {
    with_app(|server, ctx| async move {
        let official = token(&ctx, "official@doudi.test").await;
        let coordinator = token(&ctx, "coordinator@doudi.test").await;
        let he = person(&ctx, "何淑珍").await; // registered in 水宁寺镇
        let id = crate::support::builders::whole_id_of(&ctx, "何淑珍").await;
        let path = format!("/api/v1/recipients/{}", he.pid);
        assert_eq!(
            get(&server, &official, &path).await.status_code(),
            StatusCode::NOT_FOUND
        );
        let res = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&crate::support::builders::contract_body(
                &township_pid(&ctx, "曾口镇").await.to_string(),
                &organization_pid(&ctx, SUNSHINE).await.to_string(),
            ))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let c = res.json::<Value>()["pid"].as_str().unwrap().to_string();
        let cover = |body: Value| {
            let (server, official, c) = (&server, official.clone(), c.clone());
            async move {
                server
                    .post(&format!("/api/v1/contracts/{c}/recipients"))
                    .authorization_bearer(&official)
                    .json(&body)
                    .await
            }
        };
        // Without a reason her number is not found in 曾口镇.
        let res = cover(json!({"id_numbers": [id.clone()]})).await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(res.json::<Value>()["added"], 0);
        let res = cover(json!({"id_numbers": [id.clone()], "reason": "x"})).await;
        assert_eq!(
            res.status_code(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "a reason too short"
        );
        let res = cover(
            json!({"id_numbers": [id.clone()], "reason": "暂住女儿家（曾口镇石门村），需就近照料"}),
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(res.json::<Value>()["added"], 1);
        let row = contract_recipients::Entity::find()
            .filter(contract_recipients::Column::RecipientId.eq(he.id))
            .filter(contract_recipients::Column::Reason.is_not_null())
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("covered elsewhere");
        assert_eq!(
            row.reason.as_deref(),
            Some("暂住女儿家（曾口镇石门村），需就近照料")
        );
        // The purchasing township's official now sees her; her own
        // township's official sees the coverage and its reason.
        assert_eq!(
            get(&server, &official, &path).await.status_code(),
            StatusCode::OK
        );
        let page = server
            .get(&format!("/recipients/{}", he.pid))
            .add_header("cookie", session(&ctx, "official2@doudi.test").await)
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert!(page.text().contains("暂住女儿家"), "{}", page.text());
        let page = server
            .get(&format!("/recipients/{}", he.pid))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert!(page.text().contains("暂住女儿家"));
        // In force: the provider serves her too, and sees where she lives.
        let res = server
            .post(&format!("/api/v1/contracts/{c}/status"))
            .authorization_bearer(&official)
            .json(&json!({"status": "active"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(
            get(&server, &coordinator, &path).await.status_code(),
            StatusCode::OK
        );
        let towns: Value = get(&server, &coordinator, "/api/v1/townships").await.json();
        assert_eq!(towns["items"].as_array().unwrap().len(), 3, "{towns}");
    })
    .await;
}

#[tokio::test]
async fn two_providers_serve_one_person_at_once_and_see_only_the_time_of_each_others_visits() {
    with_app(|server, ctx| async move {
        let official = token(&ctx, "official@doudi.test").await;
        let sunshine = token(&ctx, "coordinator@doudi.test").await;
        let yimin = token(&ctx, "coordinator2@doudi.test").await;
        let r = person(&ctx, "单秀英").await;
        let path = format!("/api/v1/recipients/{}", r.pid);
        assert_eq!(
            get(&server, &yimin, &path).await.status_code(),
            StatusCode::NOT_FOUND
        );
        // 曾口镇 also buys emotional support from Yimin for her, now.
        let mut body = crate::support::builders::contract_body(
            &township_pid(&ctx, "曾口镇").await.to_string(),
            &organization_pid(&ctx, YIMIN).await.to_string(),
        );
        body["code"] = json!("BZ-ZK-TWO-001");
        body["signed_on"] = json!((today() - Duration::days(20)).to_string());
        body["starts_on"] = json!((today() - Duration::days(10)).to_string());
        body["ends_on"] = json!((today() + Duration::days(80)).to_string());
        let res = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&body)
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let c = res.json::<Value>()["pid"].as_str().unwrap().to_string();
        let res = server
            .post(&format!("/api/v1/contracts/{c}/recipients"))
            .authorization_bearer(&official)
            .json(&json!({"recipients": [r.pid]}))
            .await;
        assert!(res.status_code().is_success(), "{}", res.text());
        let res = server
            .post(&format!("/api/v1/contracts/{c}/status"))
            .authorization_bearer(&official)
            .json(&json!({"status": "active"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        // Both serve her; neither loses a visit (each still covers her).
        assert_eq!(
            get(&server, &yimin, &path).await.status_code(),
            StatusCode::OK
        );
        assert_eq!(
            get(&server, &sunshine, &path).await.status_code(),
            StatusCode::OK
        );
        let monday = {
            let t = today();
            t + Duration::days(i64::from(
                7 - chrono::Datelike::weekday(&t).num_days_from_monday(),
            ))
        };
        let plan = |t: String, worker: uuid::Uuid, time: &str| {
            let server = &server;
            let body = json!({
                "recipient": r.pid, "worker": worker, "services": ["daily_care"],
                "dtstart": format!("{monday}T{time}:00"), "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=2",
            });
            async move {
                server
                    .post("/api/v1/service_plans")
                    .authorization_bearer(&t)
                    .json(&body)
                    .await
            }
        };
        let res = plan(
            sunshine.clone(),
            user(&ctx, "worker@doudi.test").await.pid,
            "09:00",
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        // Yimin at the same time: a conflict, shown with the time only.
        let res = plan(
            yimin.clone(),
            user(&ctx, "worker2@doudi.test").await.pid,
            "09:30",
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::CONFLICT, "{}", res.text());
        let text = res.text();
        assert!(text.contains("recipient_overlap"), "{text}");
        assert!(
            !text.contains("刘洋"),
            "the other provider's worker: {text}"
        );
        // Each provider's visit counts only toward its own contract.
        let v = crate::support::builders::visit(
            &ctx,
            &r,
            &(today() - Duration::days(2)).to_string(),
            "completed",
            false,
            false,
            None,
            &[("daily_care", 40), ("emotional_support", 30)],
            &[],
        )
        .await;
        let report: Value = server
            .get(&format!("/api/v1/contracts/{c}/fulfilment"))
            .authorization_bearer(&official)
            .await
            .json();
        assert_eq!(
            report["visits"]["completed"], 0,
            "Sunshine's visit is not Yimin's: {report}"
        );
        let yimin_org = user(&ctx, "coordinator2@doudi.test").await.organization_id;
        let mut am = v.into_active_model();
        am.organization_id = Set(yimin_org.unwrap());
        am.update(&ctx.db).await.expect("Yimin's visit");
        doudi::models::fulfilment::rebuild_all(&ctx.db)
            .await
            .expect("rebuild");
        let report: Value = server
            .get(&format!("/api/v1/contracts/{c}/fulfilment"))
            .authorization_bearer(&official)
            .await
            .json();
        assert_eq!(report["visits"]["completed"], 1, "{report}");
    })
    .await;
}
