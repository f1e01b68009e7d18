//! The official's contract page (issue 15, point 5): destructive acts
//! (ending a contract, rejecting an amendment, deleting a place) ask for a
//! reason, kept in the act's audit entry and shown where the act is; the
//! page in sections that its forms return to; units on its figures;
//! call-backs with no presumptive answers; a missed visit is not also late.
use crate::support::builders::{attr, contract_body, kept_is_rebuilt, person, visit};
use crate::support::*;
use axum::http::StatusCode;
use axum_test::TestServer;
use doudi::models::{
    _entities::{audit_logs, callbacks, contracts, villages, visits},
    fulfilment::{self, Behind},
    visit_logs::{mark_overdue, DoorRules},
};
use loco_rs::app::AppContext;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

const MIGRATION: &str = "m20261202_000035_clear_late_of_missed_totals";

/// A contract of 曾口镇 with the Sunshine centre for the first quarter of
/// 2027, covering 李长林, in force. Returns its pid.
async fn in_force(server: &TestServer, ctx: &AppContext, code: &str) -> String {
    let official = token(ctx, "official@doudi.test").await;
    let town = township_pid(ctx, "曾口镇").await.to_string();
    let org = organization_pid(ctx, SUNSHINE).await.to_string();
    let mut body = contract_body(&town, &org);
    body["code"] = json!(code);
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
    let res = server
        .post(&format!("/api/v1/contracts/{pid}/recipients"))
        .authorization_bearer(&official)
        .json(&json!({"recipients": [person(ctx, "李长林").await.pid]}))
        .await;
    assert!(res.status_code().is_success(), "{}", res.text());
    let res = server
        .post(&format!("/api/v1/contracts/{pid}/status"))
        .authorization_bearer(&official)
        .json(&json!({"status": "active"}))
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
    pid
}

async fn contract(ctx: &AppContext, pid: &str) -> contracts::Model {
    contracts::Entity::find()
        .filter(contracts::Column::Pid.eq(uuid::Uuid::parse_str(pid).expect("uuid")))
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("contract")
}

/// The newest audit entry about `entity` `pid`.
async fn last_about(ctx: &AppContext, entity: &str, pid: &str) -> audit_logs::Model {
    audit_logs::Entity::find()
        .filter(audit_logs::Column::Entity.eq(entity))
        .filter(audit_logs::Column::EntityPid.eq(uuid::Uuid::parse_str(pid).expect("uuid")))
        .order_by_desc(audit_logs::Column::Id)
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("an audit entry")
}

fn post_form(server: &TestServer, cookie: &str, path: &str) -> axum_test::TestRequest {
    server
        .post(path)
        .add_header("cookie", cookie.to_string())
        .add_header("sec-fetch-site", "same-origin")
}

#[tokio::test]
async fn ending_a_contract_asks_for_a_reason_audits_it_and_shows_it() {
    with_app(|server, ctx| async move {
        let pid = in_force(&server, &ctx, "BZ-ZK-2027-101").await;
        let cookie = session(&ctx, "official@doudi.test").await;
        let page = server
            .get(&format!("/contracts/{pid}"))
            .add_header("cookie", cookie.clone())
            .await;
        page.assert_status_ok();
        let html = page.text();
        // No one-tap end: the page links to a confirmation, away from the
        // amendment button (which lives in the changes section).
        assert!(attr(&html, "form input[name=status][value=closed]", "value").is_empty());
        assert_eq!(
            attr(&html, ".danger-zone a[role=button]", "href"),
            vec![format!("/contracts/{pid}/closure")]
        );
        assert!(attr(&html, ".danger-zone a", "href")
            .iter()
            .all(|h| !h.contains("amendments")));
        let confirm = server
            .get(&format!("/contracts/{pid}/closure"))
            .add_header("cookie", cookie.clone())
            .await;
        confirm.assert_status_ok();
        let form = confirm.text();
        assert_eq!(attr(&form, "textarea[name=reason]", "required").len(), 1);
        assert_eq!(select_text(&form, "button.danger").len(), 1);
        // Without a reason, or with one character: the form again, 422,
        // nothing changed and nothing audited.
        let audits = audit_count(&ctx, "update", "contracts").await;
        for reason in ["", "   ", " 否 "] {
            let res = post_form(&server, &cookie, &format!("/contracts/{pid}/closure"))
                .form(&[("reason", reason)])
                .await;
            assert_eq!(
                res.status_code(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{reason:?}"
            );
            assert_eq!(select_text(&res.text(), ".field-error").len(), 1);
            assert_eq!(attr(&res.text(), "textarea[name=reason]", "name").len(), 1);
        }
        assert_eq!(contract(&ctx, &pid).await.status, "active");
        assert_eq!(audit_count(&ctx, "update", "contracts").await, audits);
        // The old status form cannot close without a reason either.
        let res = post_form(&server, &cookie, &format!("/contracts/{pid}/status"))
            .form(&[("status", "closed")])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        assert_eq!(contract(&ctx, &pid).await.status, "active");
        // Others cannot even see the confirmation.
        for who in ["official2@doudi.test", "coordinator@doudi.test"] {
            let other = session(&ctx, who).await;
            let res = server
                .get(&format!("/contracts/{pid}/closure"))
                .add_header("cookie", other.clone())
                .await;
            assert_eq!(res.status_code(), StatusCode::NOT_FOUND, "{who}");
            let res = post_form(&server, &other, &format!("/contracts/{pid}/closure"))
                .form(&[("reason", "服务商违约，提前终止")])
                .await;
            assert_eq!(res.status_code(), StatusCode::NOT_FOUND, "{who}");
        }
        let res = post_form(&server, &cookie, &format!("/contracts/{pid}/closure"))
            .form(&[("reason", "  服务商违约，提前终止 ")])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        assert_eq!(
            res.header("location"),
            format!("/contracts/{pid}?tab=fulfilment#fulfilment")
        );
        assert_eq!(contract(&ctx, &pid).await.status, "closed");
        let audit = last_about(&ctx, "contracts", &pid).await;
        let changes = audit.changes_json();
        assert_eq!(changes["reason"], "服务商违约，提前终止");
        assert_eq!(changes["status"]["after"], "closed");
        // The ended contract says who ended it and why; no end button.
        let html = server
            .get(&format!("/contracts/{pid}"))
            .add_header("cookie", cookie.clone())
            .await
            .text();
        assert!(select_text(&html, ".closure")
            .join(" ")
            .contains("服务商违约，提前终止"));
        assert!(attr(&html, ".danger-zone a", "href").is_empty());
        // The API asks for the reason too.
        let other = in_force(&server, &ctx, "BZ-ZK-2027-102").await;
        let official = token(&ctx, "official@doudi.test").await;
        let res = server
            .post(&format!("/api/v1/contracts/{other}/status"))
            .authorization_bearer(&official)
            .json(&json!({"status": "closed"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["reason"].is_array());
        let res = server
            .post(&format!("/api/v1/contracts/{other}/status"))
            .authorization_bearer(&official)
            .json(&json!({"status": "closed", "reason": "合同期满"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let audit = last_about(&ctx, "contracts", &other).await;
        assert_eq!(audit.changes_json()["reason"], "合同期满");
    })
    .await;
}

#[tokio::test]
async fn rejecting_an_amendment_needs_a_reason_kept_with_the_decision() {
    with_app(|server, ctx| async move {
        let pid = in_force(&server, &ctx, "BZ-ZK-2027-103").await;
        let official = token(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        let mut change = contract_body(&town, &org);
        change["code"] = json!("BZ-ZK-2027-103");
        change["items"][0]["quantity"] = json!(12);
        change["total"] = json!("120000.00");
        change["reason"] = json!("增加探访次数");
        change["effective_on"] = json!("2027-02-01");
        let propose = || async {
            let res = server
                .post(&format!("/api/v1/contracts/{pid}/amendments"))
                .authorization_bearer(&official)
                .json(&change)
                .await;
            assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
            res.json::<Value>()["pid"]
                .as_str()
                .expect("pid")
                .to_string()
        };
        // The API: a reason, not a note, and 2..500 characters.
        let first = propose().await;
        let admin = token(&ctx, "admin@doudi.test").await;
        let reject = format!("/api/v1/contracts/{pid}/amendments/{first}/reject");
        for body in [
            json!({}),
            json!({"note": "预算不足"}),
            json!({"reason": "x"}),
        ] {
            let res = server
                .post(&reject)
                .authorization_bearer(&admin)
                .json(&body)
                .await;
            assert_eq!(
                res.status_code(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{body}"
            );
            assert!(res.json::<Value>()["errors"]["reason"].is_array(), "{body}");
        }
        let res = server
            .post(&reject)
            .authorization_bearer(&admin)
            .json(&json!({"reason": "预算不足"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let audit = last_about(&ctx, "contract_versions", &first).await;
        assert_eq!(audit.changes_json()["reason"], "预算不足");
        assert_eq!(audit.changes_json()["status"]["after"], "rejected");
        // The page: reject sits behind its own reason form.
        let second = propose().await;
        let cookie = session(&ctx, "admin@doudi.test").await;
        let decision = format!("/contracts/{pid}/amendments/{second}/decision");
        let res = post_form(&server, &cookie, &decision)
            .form(&[("decision", "reject"), ("reason", " ")])
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text();
        assert_eq!(
            attr(&html, "details[open] textarea[name=reason]", "name").len(),
            1
        );
        assert_eq!(select_text(&html, "details[open] .field-error").len(), 1);
        let res = post_form(&server, &cookie, &decision)
            .form(&[("decision", "reject"), ("reason", "理由不充分，请补充名单")])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        assert_eq!(
            res.header("location"),
            format!("/contracts/{pid}?tab=amendments#amendments")
        );
        let html = server
            .get(&format!("/contracts/{pid}?tab=amendments"))
            .add_header("cookie", cookie)
            .await
            .text();
        let shown = select_text(&html, "#amendments .amendment").join(" ");
        assert!(shown.contains("理由不充分，请补充名单"), "{shown}");
        assert!(shown.contains("预算不足"), "{shown}");
    })
    .await;
}

#[tokio::test]
async fn deleting_a_place_needs_a_reason_kept_in_its_audit_entry() {
    with_app(|server, ctx| async move {
        let admin = token(&ctx, "admin@doudi.test").await;
        let cookie = session(&ctx, "admin@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await;
        let res = server
            .post("/api/v1/villages")
            .authorization_bearer(&admin)
            .json(&json!({"township": town, "name": "测试村"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let village = res.json::<Value>()["pid"]
            .as_str()
            .expect("pid")
            .to_string();
        let page = server
            .get(&format!("/villages/{village}"))
            .add_header("cookie", cookie.clone())
            .await
            .text();
        assert_eq!(
            attr(
                &page,
                "details.danger-zone textarea[name=reason]",
                "required"
            )
            .len(),
            1
        );
        let res = post_form(&server, &cookie, &format!("/villages/{village}/delete"))
            .form(&[("reason", "")])
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            select_text(&res.text(), "details[open] .field-error").len(),
            1
        );
        let exists = || async {
            villages::Entity::find()
                .filter(villages::Column::Pid.eq(uuid::Uuid::parse_str(&village).expect("uuid")))
                .one(&ctx.db)
                .await
                .expect("q")
                .is_some()
        };
        assert!(exists().await);
        let res = post_form(&server, &cookie, &format!("/villages/{village}/delete"))
            .form(&[("reason", "与邻村合并")])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        assert!(!exists().await);
        let audit = last_about(&ctx, "villages", &village).await;
        assert_eq!(audit.action, "delete");
        assert_eq!(audit.changes_json()["reason"], "与邻村合并");
        // The API: DELETE with ?reason=.
        let res = server
            .post("/api/v1/townships")
            .authorization_bearer(&admin)
            .json(&json!({"name": "测试镇", "code": "511902199000", "population": 100}))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let t = res.json::<Value>()["pid"]
            .as_str()
            .expect("pid")
            .to_string();
        let res = server
            .delete(&format!("/api/v1/townships/{t}"))
            .authorization_bearer(&admin)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["reason"].is_array());
        let res = server
            .delete(&format!("/api/v1/townships/{t}?reason=%E5%BD%95%E9%94%99"))
            .authorization_bearer(&admin)
            .await;
        assert_eq!(res.status_code(), StatusCode::NO_CONTENT);
        assert_eq!(
            last_about(&ctx, "townships", &t).await.changes_json()["reason"],
            "录错"
        );
    })
    .await;
}

#[tokio::test]
async fn the_contract_page_is_in_sections_with_units_and_each_form_returns_to_its_own() {
    with_app(|server, ctx| async move {
        let pid = in_force(&server, &ctx, "BZ-ZK-2027-104").await;
        let r = person(&ctx, "李长林").await;
        visit(
            &ctx,
            &r,
            "2027-01-05",
            "completed",
            false,
            false,
            None,
            &[("daily_care", 40)],
            &[],
        )
        .await;
        let cookie = session(&ctx, "official@doudi.test").await;
        let get = |tab: &str| {
            let path = format!("/contracts/{pid}?tab={tab}");
            let server = &server;
            let cookie = cookie.clone();
            async move { server.get(&path).add_header("cookie", cookie).await }
        };
        // The summary and the section menu on every section; one section
        // shown at a time; anything unknown is the first.
        for (tab, shown) in [
            ("fulfilment", "fulfilment"),
            ("acceptance", "acceptance"),
            ("amendments", "amendments"),
            ("callbacks", "callbacks"),
            ("documents", "documents"),
            ("recipients", "recipients"),
            ("bogus", "fulfilment"),
        ] {
            let res = get(tab).await;
            res.assert_status_ok();
            let html = res.text();
            assert_eq!(
                attr(&html, "section.contract-section", "id"),
                vec![shown],
                "{tab}"
            );
            assert_eq!(attr(&html, "nav.sections-menu a", "href").len(), 6, "{tab}");
            assert_eq!(
                attr(&html, "nav.sections-menu a[aria-current=page]", "href"),
                vec![format!("/contracts/{pid}?tab={shown}#{shown}")]
            );
            assert_eq!(select_text(&html, ".key-figures a").len(), 5, "{tab}");
        }
        // Units on the figures (visits, people, yuan, the item's unit);
        // the period has not begun, so nothing is counted yet.
        let html = get("fulfilment").await.text();
        let figures = select_text(&html, ".key-figures a").join(" ");
        assert!(figures.contains("0 次已完成"), "{figures}");
        assert!(figures.contains("1 人"), "{figures}");
        assert!(figures.contains("100000.00 元"), "{figures}");
        let items = select_text(&html, "ul.items dd").join(" ");
        assert!(items.contains("0 / 10 次"), "{items}");
        assert!(items.contains("/ 5 小时"), "{items}");
        assert!(select_text(&html, "dl.figures a.figure").len() >= 5);
        // A provider sees no call-backs section.
        let coordinator = session(&ctx, "coordinator@doudi.test").await;
        let html = server
            .get(&format!("/contracts/{pid}?tab=callbacks"))
            .add_header("cookie", coordinator)
            .await
            .text();
        assert_eq!(
            attr(&html, "section.contract-section", "id"),
            vec!["fulfilment"]
        );
        assert_eq!(attr(&html, "nav.sections-menu a", "href").len(), 5);
        // Forms return to their section.
        let res = post_form(&server, &cookie, &format!("/contracts/{pid}/callbacks"))
            .form(&[("size", "5")])
            .await;
        assert_eq!(
            res.header("location"),
            format!("/contracts/{pid}?tab=callbacks#callbacks")
        );
        let res = post_form(&server, &cookie, &format!("/contracts/{pid}/payments"))
            .form(&[
                ("amount", "100"),
                ("paid_on", "2027-01-10"),
                ("reference", "BZ-001"),
            ])
            .await;
        assert_eq!(
            res.header("location"),
            format!("/contracts/{pid}?tab=acceptance#acceptance")
        );
    })
    .await;
}

#[tokio::test]
async fn a_call_back_starts_with_no_answer_and_needs_a_satisfaction_when_reached() {
    with_app(|server, ctx| async move {
        let pid = in_force(&server, &ctx, "BZ-ZK-2027-105").await;
        let r = person(&ctx, "李长林").await;
        visit(
            &ctx,
            &r,
            "2027-01-05",
            "completed",
            false,
            false,
            None,
            &[("daily_care", 40)],
            &[],
        )
        .await;
        let cookie = session(&ctx, "official@doudi.test").await;
        let res = post_form(&server, &cookie, &format!("/contracts/{pid}/callbacks"))
            .form(&[("size", "5")])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        let cb = callbacks::Entity::find()
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("a call-back");
        let html = server
            .get(&format!("/contracts/{pid}?tab=callbacks"))
            .add_header("cookie", cookie.clone())
            .await
            .text();
        // The outcome starts at "choose" and is required; satisfaction is
        // labelled and starts at "choose" too.
        assert_eq!(attr(&html, "select[name=status]", "required").len(), 1);
        assert_eq!(
            attr(&html, "select[name=status] option[selected]", "value"),
            vec![""]
        );
        assert_eq!(
            attr(&html, "select[name=satisfaction] option[selected]", "value"),
            vec![""]
        );
        let labels = select_text(&html, "#callbacks form label").join(" ");
        assert!(labels.contains("满意度（联系上时必填）"), "{labels}");
        assert!(labels.contains("回访结果"), "{labels}");
        let record = format!("/contracts/{pid}/callbacks/{}", cb.pid);
        // Reached without a satisfaction: the form again, what was chosen kept.
        let res = post_form(&server, &cookie, &record)
            .form(&[
                ("status", "reached"),
                ("satisfaction", ""),
                ("note", "老人说挺好"),
            ])
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text();
        assert_eq!(
            select_text(&html, "#callbacks .field-error"),
            vec!["联系上的须填写满意度（1–5）。"]
        );
        assert_eq!(
            attr(&html, "select[name=status] option[selected]", "value"),
            vec!["reached"]
        );
        assert_eq!(attr(&html, "input[name=note]", "value"), vec!["老人说挺好"]);
        // No outcome at all: refused too.
        let res = post_form(&server, &cookie, &record)
            .form(&[("status", ""), ("satisfaction", "")])
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let pending = || async {
            callbacks::Entity::find_by_id(cb.id)
                .one(&ctx.db)
                .await
                .expect("q")
                .expect("cb")
        };
        assert_eq!(pending().await.status, "pending");
        // Unreachable needs no satisfaction; reached with one is saved.
        let res = post_form(&server, &cookie, &record)
            .form(&[("status", "reached"), ("satisfaction", "4")])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        assert_eq!(
            res.header("location"),
            format!("/contracts/{pid}?tab=callbacks#callbacks")
        );
        let saved = pending().await;
        assert_eq!(
            (saved.status.as_str(), saved.satisfaction),
            ("reached", Some(4))
        );
    })
    .await;
}

#[tokio::test]
async fn a_visit_that_went_late_then_missed_counts_as_missed_not_late() {
    with_app(|server, ctx| async move {
        let pid = in_force(&server, &ctx, "BZ-ZK-2027-106").await;
        let c = contract(&ctx, &pid).await;
        let r = person(&ctx, "李长林").await;
        let gone = visit(
            &ctx,
            &r,
            "2027-01-05",
            "scheduled",
            false,
            false,
            None,
            &[],
            &[],
        )
        .await;
        // Stored in UTC, as the app stores times (the overdue job compares).
        let utc = gone.starts_at.with_timezone(&chrono::Utc).fixed_offset();
        let mut am: visits::ActiveModel = gone.clone().into();
        am.starts_at = sea_orm::ActiveValue::Set(utc);
        am.ends_at = sea_orm::ActiveValue::Set(utc + chrono::Duration::hours(1));
        let gone = sea_orm::ActiveModelTrait::update(am, &ctx.db)
            .await
            .expect("in UTC");
        // A late visit that was made still counts as late.
        let made = visit(
            &ctx,
            &r,
            "2027-01-07",
            "completed",
            true,
            false,
            None,
            &[("daily_care", 40)],
            &[],
        )
        .await;
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&chrono::Utc)
        };
        // 10:00 that day (09:00 start): late; the next morning: missed.
        mark_overdue(
            &ctx.db,
            DoorRules::default(),
            at("2027-01-05T10:00:00+08:00"),
        )
        .await
        .expect("job");
        let reload = || async {
            visits::Entity::find_by_id(gone.id)
                .one(&ctx.db)
                .await
                .expect("q")
                .expect("visit")
        };
        assert!(reload().await.late);
        mark_overdue(
            &ctx.db,
            DoorRules::default(),
            at("2027-01-06T08:00:00+08:00"),
        )
        .await
        .expect("job");
        let v = reload().await;
        assert_eq!((v.status.as_str(), v.late), ("missed", true));
        let today = chrono::NaiveDate::from_ymd_opt(2027, 1, 31).expect("day");
        let report = fulfilment::report(&ctx.db, &c, today, at("2027-01-31T12:00:00+08:00"))
            .await
            .expect("report");
        assert_eq!((report.visits.missed, report.visits.late), (1, 1));
        let behind = |b: Behind| {
            let (ctx, c) = (&ctx, &c);
            let page = doudi::domain::pagination::PageRequest::parse(None, None);
            async move {
                fulfilment::visits_behind(&ctx.db, c, &b, today, page)
                    .await
                    .expect("behind")
                    .0
                    .into_iter()
                    .map(|v| v.id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(behind(Behind::Late).await, vec![made.id]);
        assert_eq!(behind(Behind::Missed).await, vec![gone.id]);
        kept_is_rebuilt(&ctx, "late, then missed").await;
        // Totals kept before the rule: the migration clears the late count
        // of missed rows, and they equal a rebuild again.
        down_to_before(&ctx, MIGRATION).await;
        use sea_orm::ConnectionTrait;
        ctx.db
            .execute_unprepared(
                "UPDATE fulfilment_days SET late = n WHERE kind = 'status' AND key = 'missed'",
            )
            .await
            .expect("old totals");
        {
            use migration::{Migrator, MigratorTrait};
            Migrator::up(&ctx.db, None).await.expect("up");
        }
        let again = fulfilment::report(&ctx.db, &c, today, at("2027-01-31T12:00:00+08:00"))
            .await
            .expect("report");
        assert_eq!((again.visits.missed, again.visits.late), (1, 1));
        kept_is_rebuilt(&ctx, "the migration").await;
    })
    .await;
}
