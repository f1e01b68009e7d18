//! Referrals raised at a visit are the township's work (issue 16, item 6):
//! an official of the referral's township (or an admin) makes an official
//! responsible, sets a due date and closes it with an outcome and a note;
//! overdue ones are flagged and counted on the officials' start page; the
//! coordinators of the organisation whose visit raised one read what came
//! of it.
use crate::support::builders::{attr, completed, last_audit, person, visits_for_worker};
use crate::support::*;
use axum::http::StatusCode;
use axum_test::TestServer;
use chrono::Duration;
use doudi::{
    domain::referral::ReferralOutcome,
    models::{
        _entities::{referrals, visits},
        today,
    },
};
use loco_rs::app::AppContext;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{json, Value};

/// A referral about `name` raised `days_ago` days ago at a visit of
/// worker@'s organisation, written straight to the database.
async fn raised(ctx: &AppContext, name: &str, days_ago: i64) -> referrals::Model {
    let r = person(ctx, name).await;
    let worker = user(ctx, "worker@doudi.test").await;
    let at = (chrono::Utc::now() - Duration::days(days_ago)).fixed_offset();
    let v = visits::ActiveModel {
        organization_id: Set(worker.organization_id.expect("org")),
        recipient_id: Set(Some(r.id)),
        household_id: Set(r.household_id),
        township_id: Set(r.township_id),
        worker_id: Set(Some(worker.id)),
        starts_at: Set(at),
        ends_at: Set(at + Duration::hours(1)),
        tzid: Set("Asia/Shanghai".into()),
        status: Set("completed".into()),
        exception: Set(false),
        location_exception: Set(false),
        late: Set(false),
        version: Set(0),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .expect("visit");
    referrals::ActiveModel {
        visit_id: Set(v.id),
        recipient_id: Set(Some(r.id)),
        household_id: Set(r.household_id),
        organization_id: Set(v.organization_id),
        township_id: Set(r.township_id),
        kind: Set("health_risk".into()),
        note: Set("血压偏高，建议联系村医随访。".into()),
        status: Set("open".into()),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .expect("referral")
}

async fn stored(ctx: &AppContext, r: &referrals::Model) -> referrals::Model {
    referrals::Entity::find_by_id(r.id)
        .one(&ctx.db)
        .await
        .expect("query")
        .expect("referral")
}

async fn post_api(
    server: &TestServer,
    bearer: &str,
    path: &str,
    body: &Value,
) -> axum_test::TestResponse {
    server
        .post(path)
        .authorization_bearer(bearer)
        .json(body)
        .await
}

async fn post_form(
    server: &TestServer,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> axum_test::TestResponse {
    server
        .post(path)
        .add_header("cookie", cookie.to_string())
        .add_header("sec-fetch-site", "same-origin")
        .form(form)
        .await
}

async fn html(server: &TestServer, cookie: &str, path: &str) -> String {
    let res = server
        .get(path)
        .add_header("cookie", cookie.to_string())
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{path}");
    res.text()
}

/// The field errors of a 422 answer.
fn errors(res: &axum_test::TestResponse) -> Value {
    assert_eq!(
        res.status_code(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        res.text()
    );
    res.json::<Value>()["errors"].clone()
}

/// The figure `id` of a start page.
fn figure(html: &str, id: &str) -> Option<u64> {
    select_text(html, &format!("#{id} .start-count strong"))
        .first()
        .map(|n| n.parse().expect("number"))
}

#[tokio::test]
async fn a_referral_from_a_visit_is_worked_by_the_township_and_its_outcome_read_by_the_coordinator()
{
    with_app(|server, ctx| async move {
        let list = visits_for_worker(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        server
            .post(&format!("/api/v1/visits/{}/check_in", list[0].pid))
            .authorization_bearer(&w)
            .json(&json!({"location_reason": "no_gps_signal"}))
            .await;
        let res = server
            .post(&format!("/api/v1/visits/{}/submission", list[0].pid))
            .authorization_bearer(&w)
            .json(&completed())
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let c = token(&ctx, "coordinator@doudi.test").await;
        let body: Value = server
            .get("/api/v1/referrals")
            .authorization_bearer(&c)
            .await
            .json();
        assert_eq!(body["page"]["total"], 1);
        let item = &body["items"][0];
        assert_eq!(item["kind"], "health_risk");
        assert_eq!(item["recipient"]["name"], "单秀英");
        assert_eq!(item["assignee"], Value::Null);
        assert_eq!(item["due_on"], Value::Null);
        assert_eq!(item["overdue"], false);
        assert_eq!(item["outcome"], Value::Null);
        let pid = item["pid"].as_str().expect("pid").to_string();
        // The other provider and the other township's official see none;
        // the worker has no list.
        for who in ["coordinator2@doudi.test", "official2@doudi.test"] {
            let res = server
                .get("/api/v1/referrals")
                .authorization_bearer(&token(&ctx, who).await)
                .await;
            assert_eq!(res.json::<Value>()["page"]["total"], 0, "{who}");
        }
        let res = server
            .get("/api/v1/referrals")
            .authorization_bearer(&w)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        // The coordinator's pages read it and offer no forms; a post is
        // refused as out of reach.
        let coordinator = session(&ctx, "coordinator@doudi.test").await;
        let page = html(&server, &coordinator, "/referrals").await;
        assert_eq!(select_text(&page, "li.referral.open").len(), 1);
        assert!(attr(&page, "main form", "action").is_empty());
        let page = html(&server, &coordinator, &format!("/referrals/{pid}")).await;
        assert!(attr(&page, "main form", "action").is_empty());
        let res = post_form(
            &server,
            &coordinator,
            &format!("/referrals/{pid}/close"),
            &[("outcome", "no_action"), ("outcome_note", "已联系村医")],
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        // The official of its township closes it on its page.
        let official = session(&ctx, "official@doudi.test").await;
        let page = html(&server, &official, &format!("/referrals/{pid}")).await;
        assert_eq!(
            attr(&page, "main form", "action"),
            vec![
                format!("/referrals/{pid}/assign"),
                format!("/referrals/{pid}/close")
            ]
        );
        assert_eq!(attr(&page, "input[name=outcome]", "value").len(), 6);
        let res = post_form(
            &server,
            &official,
            &format!("/referrals/{pid}/close"),
            &[
                ("outcome", "special"),
                ("outcome_note", "已联系村医周五上门测血压，申请医疗救助"),
            ],
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER, "{}", res.text());
        // The coordinator sees the outcome and the note, off the open list.
        let res = server
            .get("/api/v1/referrals")
            .authorization_bearer(&c)
            .await;
        assert_eq!(res.json::<Value>()["page"]["total"], 0);
        let body: Value = server
            .get("/api/v1/referrals?show=all")
            .authorization_bearer(&c)
            .await
            .json();
        let item = &body["items"][0];
        assert_eq!(item["status"], "closed");
        assert_eq!(item["outcome"], "special");
        assert_eq!(
            item["outcome_note"],
            "已联系村医周五上门测血压，申请医疗救助"
        );
        let page = html(&server, &coordinator, &format!("/referrals/{pid}")).await;
        assert!(page.contains("专项救助"), "{page}");
        assert!(page.contains("已联系村医周五上门测血压，申请医疗救助"));
        let page = html(&server, &coordinator, "/referrals?show=all").await;
        assert!(select_text(&page, "li.referral")
            .join(" ")
            .contains("专项救助"));
    })
    .await;
}

#[tokio::test]
async fn an_official_makes_an_official_of_the_township_responsible_with_a_due_date() {
    with_app(|server, ctx| async move {
        let r = raised(&ctx, "单秀英", 3).await;
        let off = token(&ctx, "official@doudi.test").await;
        let me = user(&ctx, "official@doudi.test").await;
        let path = format!("/api/v1/referrals/{}/assign", r.pid);
        let due = today() + Duration::days(7);
        let before = audit_count(&ctx, "update", "referrals").await;
        let res = post_api(
            &server,
            &off,
            &path,
            &json!({"assignee": me.pid, "due_on": due.to_string()}),
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let body: Value = res.json();
        assert_eq!(body["assignee"]["name"], me.name);
        assert_eq!(body["assignee"]["pid"], me.pid.to_string());
        assert_eq!(body["due_on"], due.to_string());
        assert_eq!(body["overdue"], false);
        assert_eq!(body["status"], "open");
        let saved = stored(&ctx, &r).await;
        assert_eq!(saved.assigned_to_id, Some(me.id));
        assert_eq!(saved.due_on, Some(due));
        // Audited, with what changed.
        assert_eq!(audit_count(&ctx, "update", "referrals").await, before + 1);
        let entry = last_audit(&ctx).await;
        assert_eq!(entry.entity, "referrals");
        assert_eq!(entry.entity_pid, Some(r.pid));
        assert_eq!(entry.actor_id, Some(me.id));
        let changes = &entry.changes;
        assert!(changes.contains("assigned_to_id"), "{changes}");
        assert!(changes.contains("due_on"), "{changes}");
        // The due date changes, and may go: one raised 3 days ago may be
        // due the day it was raised.
        let raised_on = today() - Duration::days(3);
        let res = post_api(
            &server,
            &off,
            &path,
            &json!({"assignee": me.pid, "due_on": raised_on.to_string()}),
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(res.json::<Value>()["overdue"], true);
        let res = post_api(&server, &off, &path, &json!({"assignee": me.pid})).await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(stored(&ctx, &r).await.due_on, None);
        // An admin may assign too.
        let res = post_api(
            &server,
            &token(&ctx, "admin@doudi.test").await,
            &path,
            &json!({"assignee": me.pid, "due_on": due.to_string()}),
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(audit_count(&ctx, "update", "referrals").await, before + 4);
    })
    .await;
}

#[tokio::test]
async fn an_assignment_to_anyone_but_an_official_of_the_township_or_due_before_it_was_raised_is_refused(
) {
    with_app(|server, ctx| async move {
        let r = raised(&ctx, "单秀英", 3).await;
        let off = token(&ctx, "official@doudi.test").await;
        let me = user(&ctx, "official@doudi.test").await;
        let path = format!("/api/v1/referrals/{}/assign", r.pid);
        let before = audit_count(&ctx, "update", "referrals").await;
        let other_township = user(&ctx, "official2@doudi.test").await.pid.to_string();
        let coordinator = user(&ctx, "coordinator@doudi.test").await.pid.to_string();
        let admin = user(&ctx, "admin@doudi.test").await.pid.to_string();
        let unknown = uuid::Uuid::new_v4().to_string();
        let mine = me.pid.to_string();
        for (assignee, due, field) in [
            (other_township.as_str(), None, "assignee"),
            (coordinator.as_str(), None, "assignee"),
            (admin.as_str(), None, "assignee"),
            (unknown.as_str(), None, "assignee"),
            ("not-a-pid", None, "assignee"),
            ("", None, "assignee"),
            (
                mine.as_str(),
                Some((today() - Duration::days(4)).to_string()),
                "due_on",
            ),
            (mine.as_str(), Some("2026-02-30".to_string()), "due_on"),
        ] {
            let res = post_api(
                &server,
                &off,
                &path,
                &json!({"assignee": assignee, "due_on": due}),
            )
            .await;
            let e = errors(&res);
            assert!(e[field].is_array(), "{assignee} {due:?}: {e}");
        }
        // A missing assignee and a bad date are told together.
        let res = post_api(&server, &off, &path, &json!({"due_on": "yesterday"})).await;
        let e = errors(&res);
        assert!(e["assignee"].is_array() && e["due_on"].is_array(), "{e}");
        assert_eq!(stored(&ctx, &r).await.assigned_to_id, None);
        assert_eq!(audit_count(&ctx, "update", "referrals").await, before);
        // The page shows its form again with the choice kept and the error
        // beside the date.
        let cookie = session(&ctx, "official@doudi.test").await;
        let early = (today() - Duration::days(10)).to_string();
        let res = post_form(
            &server,
            &cookie,
            &format!("/referrals/{}/assign", r.pid),
            &[("assignee", &me.pid.to_string()), ("due_on", &early)],
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = res.text();
        assert_eq!(
            attr(&page, "select[name=assignee] option[selected]", "value"),
            vec![me.pid.to_string()]
        );
        assert_eq!(attr(&page, "input[name=due_on]", "value"), vec![early]);
        assert_eq!(
            select_text(&page, "#assign .field-error"),
            vec!["办理期限不能早于提出转介的日期。".to_string()]
        );
        // The choice offered is the township's officials.
        assert_eq!(
            select_text(&page, "select[name=assignee] option")[1..].to_vec(),
            vec![me.name.clone()]
        );
        // And on a good post, the page says so.
        let ok = (today() + Duration::days(5)).to_string();
        let res = post_form(
            &server,
            &cookie,
            &format!("/referrals/{}/assign", r.pid),
            &[("assignee", &me.pid.to_string()), ("due_on", &ok)],
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        assert_eq!(res.header("location"), format!("/referrals/{}", r.pid));
        assert_eq!(
            stored(&ctx, &r).await.due_on.map(|d| d.to_string()),
            Some(ok)
        );
    })
    .await;
}

#[tokio::test]
async fn a_referral_closes_with_each_outcome_and_a_note_once() {
    with_app(|server, ctx| async move {
        let off = token(&ctx, "official@doudi.test").await;
        let me = user(&ctx, "official@doudi.test").await;
        for outcome in ReferralOutcome::ALL {
            let r = raised(&ctx, "曾德明", 1).await;
            let before = audit_count(&ctx, "update", "referrals").await;
            let note = format!("{} · 已入户核实", outcome.as_str());
            let res = post_api(
                &server,
                &off,
                &format!("/api/v1/referrals/{}/close", r.pid),
                &json!({"outcome": outcome.as_str(), "outcome_note": note}),
            )
            .await;
            assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
            let body: Value = res.json();
            assert_eq!(body["status"], "closed");
            assert_eq!(body["outcome"], outcome.as_str());
            assert_eq!(body["outcome_note"], note);
            assert_eq!(body["recipient"]["name"], "曾德明");
            let saved = stored(&ctx, &r).await;
            assert_eq!(saved.status, "closed");
            assert_eq!(saved.outcome.as_deref(), Some(outcome.as_str()));
            assert_eq!(saved.outcome_note.as_deref(), Some(note.as_str()));
            assert_eq!(saved.closed_by_id, Some(me.id));
            assert!(saved.closed_at.is_some());
            assert_eq!(saved.action_note, None);
            assert_eq!(audit_count(&ctx, "update", "referrals").await, before + 1);
            let entry = last_audit(&ctx).await;
            assert_eq!(entry.entity_pid, Some(r.pid));
            assert!(
                entry.changes.contains(outcome.as_str()),
                "{}",
                entry.changes
            );
        }
        // Closed once: neither closed again nor reassigned.
        let r = raised(&ctx, "曾德明", 1).await;
        let close = format!("/api/v1/referrals/{}/close", r.pid);
        let res = post_api(
            &server,
            &off,
            &close,
            &json!({"outcome": "charity", "outcome_note": "慈善总会送米面油"}),
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let before = audit_count(&ctx, "update", "referrals").await;
        let res = post_api(
            &server,
            &off,
            &close,
            &json!({"outcome": "no_action", "outcome_note": "again"}),
        )
        .await;
        assert!(errors(&res)["status"].is_array());
        let res = post_api(
            &server,
            &off,
            &format!("/api/v1/referrals/{}/assign", r.pid),
            &json!({"assignee": me.pid}),
        )
        .await;
        assert!(errors(&res)["status"].is_array());
        assert_eq!(stored(&ctx, &r).await.outcome.as_deref(), Some("charity"));
        assert_eq!(audit_count(&ctx, "update", "referrals").await, before);
    })
    .await;
}

#[tokio::test]
async fn a_close_without_a_known_outcome_or_with_no_note_or_a_long_one_is_refused() {
    with_app(|server, ctx| async move {
        let r = raised(&ctx, "单秀英", 1).await;
        let off = token(&ctx, "official@doudi.test").await;
        let close = format!("/api/v1/referrals/{}/close", r.pid);
        let long = "很".repeat(1001);
        for (body, fields) in [
            (json!({"outcome_note": "已处理"}), vec!["outcome"]),
            (
                json!({"outcome": "", "outcome_note": "已处理"}),
                vec!["outcome"],
            ),
            (
                json!({"outcome": "closed", "outcome_note": "已处理"}),
                vec!["outcome"],
            ),
            (json!({"outcome": "charity"}), vec!["outcome_note"]),
            (
                json!({"outcome": "charity", "outcome_note": "  "}),
                vec!["outcome_note"],
            ),
            (
                json!({"outcome": "charity", "outcome_note": long}),
                vec!["outcome_note"],
            ),
            (
                json!({"action_note": "旧的写法"}),
                vec!["outcome", "outcome_note"],
            ),
        ] {
            let res = post_api(&server, &off, &close, &body).await;
            let e = errors(&res);
            for f in &fields {
                assert!(e[f].is_array(), "{body}: {e}");
            }
            assert_eq!(e.as_object().map(|o| o.len()), Some(fields.len()), "{e}");
        }
        assert_eq!(stored(&ctx, &r).await.status, "open");
        // 1000 characters are enough.
        let res = post_api(
            &server,
            &off,
            &close,
            &json!({"outcome": "no_action", "outcome_note": "很".repeat(1000)}),
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        // The page keeps the choice and says what is missing.
        let r = raised(&ctx, "单秀英", 1).await;
        let cookie = session(&ctx, "official@doudi.test").await;
        let res = post_form(
            &server,
            &cookie,
            &format!("/referrals/{}/close", r.pid),
            &[("outcome", "emergency"), ("outcome_note", "")],
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = res.text();
        assert_eq!(
            attr(&page, "input[name=outcome][checked]", "value"),
            vec!["emergency".to_string()]
        );
        assert_eq!(select_text(&page, "#close .field-error").len(), 1);
    })
    .await;
}

#[tokio::test]
async fn coordinators_read_referrals_and_officials_of_other_townships_do_not_reach_them() {
    with_app(|server, ctx| async move {
        let r = raised(&ctx, "单秀英", 2).await;
        let me = user(&ctx, "official@doudi.test").await;
        let body = json!({"assignee": me.pid, "due_on": today().to_string()});
        let close = json!({"outcome": "no_action", "outcome_note": "不需要"});
        let before = audit_count(&ctx, "update", "referrals").await;
        // (who, show, assign and close): the coordinator reads and may not
        // act; the other provider, the other township's official and the
        // worker do not find it.
        for (who, show, act) in [
            ("coordinator@doudi.test", 200, 404),
            ("coordinator2@doudi.test", 404, 404),
            ("official2@doudi.test", 404, 404),
            ("worker@doudi.test", 404, 404),
        ] {
            let t = token(&ctx, who).await;
            let res = server
                .get(&format!("/api/v1/referrals/{}", r.pid))
                .authorization_bearer(&t)
                .await;
            assert_eq!(res.status_code().as_u16(), show, "{who} show");
            for (verb, b) in [("assign", &body), ("close", &close)] {
                let res = post_api(
                    &server,
                    &t,
                    &format!("/api/v1/referrals/{}/{verb}", r.pid),
                    b,
                )
                .await;
                assert_eq!(res.status_code().as_u16(), act, "{who} {verb}");
            }
            let cookie = session(&ctx, who).await;
            let res = server
                .get(&format!("/referrals/{}", r.pid))
                .add_header("cookie", cookie.clone())
                .await;
            assert_eq!(res.status_code().as_u16(), show, "{who} page");
            let res = post_form(
                &server,
                &cookie,
                &format!("/referrals/{}/close", r.pid),
                &[("outcome", "no_action"), ("outcome_note", "不需要")],
            )
            .await;
            assert_eq!(res.status_code().as_u16(), act, "{who} page close");
        }
        assert_eq!(stored(&ctx, &r).await.status, "open");
        assert_eq!(audit_count(&ctx, "update", "referrals").await, before);
        // Once the official assigns and closes it, the coordinator reads
        // who was responsible, the due date, the outcome and the note.
        let off = token(&ctx, "official@doudi.test").await;
        let res = post_api(
            &server,
            &off,
            &format!("/api/v1/referrals/{}/assign", r.pid),
            &body,
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let res = post_api(
            &server,
            &off,
            &format!("/api/v1/referrals/{}/close", r.pid),
            &json!({"outcome": "basic_living", "outcome_note": "已纳入低保"}),
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let c = token(&ctx, "coordinator@doudi.test").await;
        let seen: Value = server
            .get(&format!("/api/v1/referrals/{}", r.pid))
            .authorization_bearer(&c)
            .await
            .json();
        assert_eq!(seen["assignee"]["name"], me.name);
        assert_eq!(seen["due_on"], today().to_string());
        assert_eq!(seen["outcome"], "basic_living");
        assert_eq!(seen["outcome_note"], "已纳入低保");
        assert_eq!(seen["overdue"], false);
        let cookie = session(&ctx, "coordinator@doudi.test").await;
        let page = html(&server, &cookie, &format!("/referrals/{}", r.pid)).await;
        let facts = select_text(&page, "dl.facts dd").join(" ");
        for text in [me.name.as_str(), "基本生活救助", "已纳入低保", "已办结"] {
            assert!(facts.contains(text), "{text} in {facts}");
        }
        assert!(attr(&page, "main form", "action").is_empty());
    })
    .await;
}

#[tokio::test]
async fn overdue_referrals_are_flagged_filtered_and_counted_on_the_officials_start_page() {
    with_app(|server, ctx| async move {
        let official = session(&ctx, "official@doudi.test").await;
        let start = html(&server, &official, "/").await;
        let (open_before, overdue_before) = (
            figure(&start, "referrals").expect("open referrals"),
            figure(&start, "overdue-referrals").expect("overdue referrals"),
        );
        let me = user(&ctx, "official@doudi.test").await;
        let off = token(&ctx, "official@doudi.test").await;
        let assign = |r: &referrals::Model, due: chrono::NaiveDate| {
            let (server, off, pid) = (&server, off.clone(), r.pid);
            let body = json!({"assignee": me.pid, "due_on": due.to_string()});
            async move {
                let res = post_api(
                    server,
                    &off,
                    &format!("/api/v1/referrals/{pid}/assign"),
                    &body,
                )
                .await;
                assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
            }
        };
        // Due two days ago: overdue. Due today: not yet. Due yesterday but
        // closed: not overdue. No due date: never.
        let late = raised(&ctx, "单秀英", 10).await;
        assign(&late, today() - Duration::days(2)).await;
        let due_today = raised(&ctx, "单秀英", 10).await;
        assign(&due_today, today()).await;
        let done = raised(&ctx, "曾德明", 10).await;
        assign(&done, today() - Duration::days(1)).await;
        let res = post_api(
            &server,
            &off,
            &format!("/api/v1/referrals/{}/close", done.pid),
            &json!({"outcome": "emergency", "outcome_note": "已发放临时救助金"}),
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        raised(&ctx, "曾德明", 10).await;

        let body: Value = server
            .get("/api/v1/referrals?overdue=true")
            .authorization_bearer(&off)
            .await
            .json();
        assert_eq!(body["page"]["total"], overdue_before + 1);
        assert_eq!(body["items"][0]["pid"], late.pid.to_string());
        let items = body["items"].as_array().expect("items");
        assert!(items
            .iter()
            .all(|i| i["overdue"] == true && i["status"] == "open"));
        // The flag in the open list is the filter's rule.
        let body: Value = server
            .get("/api/v1/referrals?per_page=100")
            .authorization_bearer(&off)
            .await
            .json();
        let flagged: Vec<&Value> = body["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|i| i["overdue"] == true)
            .collect();
        assert_eq!(flagged.len() as u64, overdue_before + 1);
        assert_eq!(body["page"]["total"], open_before + 3);
        // The page: an "overdue" tab, the flag on the card.
        let page = html(&server, &official, "/referrals?overdue=true").await;
        assert_eq!(
            select_text(&page, "li.referral.overdue").len() as u64,
            overdue_before + 1
        );
        assert_eq!(
            select_text(&page, ".tabs a[aria-current=page]"),
            vec!["已逾期".to_string()]
        );
        assert!(attr(&page, "li.referral.overdue a", "href")
            .contains(&format!("/referrals/{}", late.pid)));
        assert_eq!(select_text(&page, "li.referral .tag.flag")[0], "逾期");
        let page = html(&server, &official, &format!("/referrals/{}", late.pid)).await;
        assert_eq!(
            select_text(&page, "dl.facts .flag"),
            vec!["逾期".to_string()]
        );
        let page = html(&server, &official, &format!("/referrals/{}", due_today.pid)).await;
        assert!(select_text(&page, "dl.facts .flag").is_empty());
        // The start page counts them beside the open ones and links to the
        // filtered list.
        let start = html(&server, &official, "/").await;
        assert_eq!(figure(&start, "referrals"), Some(open_before + 3));
        assert_eq!(
            figure(&start, "overdue-referrals"),
            Some(overdue_before + 1)
        );
        assert_eq!(
            attr(&start, "#overdue-referrals a", "href"),
            vec!["/referrals?overdue=true".to_string()]
        );
        // Not another township's official's; the admin's too; the
        // coordinator's start page has no such figure.
        let other = html(&server, &session(&ctx, "official2@doudi.test").await, "/").await;
        assert_eq!(figure(&other, "overdue-referrals"), Some(0));
        let admin = html(&server, &session(&ctx, "admin@doudi.test").await, "/").await;
        assert_eq!(
            figure(&admin, "overdue-referrals"),
            Some(overdue_before + 1)
        );
        let coordinator = html(&server, &session(&ctx, "coordinator@doudi.test").await, "/").await;
        assert_eq!(figure(&coordinator, "overdue-referrals"), None);
        assert_eq!(figure(&coordinator, "referrals"), Some(open_before + 3));
    })
    .await;
}

#[tokio::test]
async fn a_referral_closed_before_outcomes_keeps_its_note_across_the_migration() {
    with_app(|server, ctx| async move {
        let r = raised(&ctx, "单秀英", 5).await;
        let coordinator = user(&ctx, "coordinator@doudi.test").await;
        let mut am: referrals::ActiveModel = r.clone().into();
        am.status = Set("closed".into());
        am.action_note = Set(Some("已联系村医，周五上门测血压".into()));
        am.closed_by_id = Set(Some(coordinator.id));
        am.closed_at = Set(Some(chrono::Utc::now().into()));
        am.update(&ctx.db).await.expect("closed the old way");
        // Down and up again: the old note stays, with no outcome.
        let name = "m20261203_000038_referrals_township_work";
        down_to_before(&ctx, name).await;
        {
            use migration::{Migrator, MigratorTrait};
            Migrator::up(&ctx.db, None).await.expect("up");
        }
        let saved = stored(&ctx, &r).await;
        assert_eq!(
            saved.action_note.as_deref(),
            Some("已联系村医，周五上门测血压")
        );
        assert_eq!(
            (saved.outcome, saved.assigned_to_id, saved.due_on),
            (None, None, None)
        );
        let body: Value = server
            .get(&format!("/api/v1/referrals/{}", r.pid))
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .await
            .json();
        assert_eq!(body["outcome"], Value::Null);
        assert_eq!(body["action_note"], "已联系村医，周五上门测血压");
        let cookie = session(&ctx, "official@doudi.test").await;
        let page = html(&server, &cookie, &format!("/referrals/{}", r.pid)).await;
        let facts = select_text(&page, "dl.facts dd").join(" ");
        assert!(facts.contains("已联系村医，周五上门测血压"), "{facts}");
        assert!(facts.contains("旧记录，未选结果"), "{facts}");
        // Closed: no forms for it.
        assert!(attr(&page, "main form", "action").is_empty());
    })
    .await;
}

#[test]
fn the_migrations_outcomes_are_the_domains() {
    let domain: Vec<&str> = ReferralOutcome::ALL.iter().map(|o| o.as_str()).collect();
    assert_eq!(
        migration::m20261203_000038_referrals_township_work::OUTCOMES.to_vec(),
        domain
    );
}

#[tokio::test]
async fn the_database_refuses_an_outcome_outside_the_six() {
    with_app(|_server, ctx| async move {
        let r = raised(&ctx, "单秀英", 1).await;
        let mut am: referrals::ActiveModel = r.into();
        am.outcome = Set(Some("closed".into()));
        let err = am.update(&ctx.db).await.expect_err("refused").to_string();
        assert!(err.to_lowercase().contains("check"), "{err}");
    })
    .await;
}
