//! One funnel for visit writes: of two writes at once, or a write made on
//! an outdated copy, one wins and the other is told; a client id answers
//! one user, one visit and one action; the overdue job counts a visit once.
use crate::support::builders::{check_in, completed, kept_is_rebuilt, person, planned};
use crate::support::*;
use axum::http::StatusCode;
use chrono::Duration;
use doudi::models::{
    _entities::visits,
    visit_logs::{mark_overdue, DoorRules},
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::{json, Value};

#[tokio::test]
async fn two_different_submissions_of_one_visit_sent_at_once_one_wins() {
    with_app(|server, ctx| async move {
        let list = planned(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        check_in(&server, &w, &list[0]).await;
        let url = format!("/api/v1/visits/{}/submission", list[0].pid);
        let mut other = completed();
        other["client_id"] = json!(uuid::Uuid::new_v4());
        other["notes"] = json!("另一台手机");
        let (a, b) = tokio::join!(
            server
                .post(&url)
                .authorization_bearer(&w)
                .json(&completed()),
            server.post(&url).authorization_bearer(&w).json(&other)
        );
        let codes = [a.status_code(), b.status_code()];
        assert_eq!(
            codes.iter().filter(|c| **c == StatusCode::OK).count(),
            1,
            "exactly one wins: {} / {}",
            a.text(),
            b.text()
        );
        let loser = if a.status_code() == StatusCode::OK {
            &b
        } else {
            &a
        };
        assert!(
            [StatusCode::CONFLICT, StatusCode::UNPROCESSABLE_ENTITY].contains(&loser.status_code()),
            "{}",
            loser.text()
        );
        // One record: one submission stored, one audit entry of it, no
        // amendment made by the loser.
        let subs = doudi::models::_entities::visit_submissions::Entity::find()
            .filter(doudi::models::_entities::visit_submissions::Column::Action.eq("submit"))
            .count(&ctx.db)
            .await
            .expect("n");
        assert_eq!(subs, 1);
        let amendments = doudi::models::_entities::visit_amendments::Entity::find()
            .count(&ctx.db)
            .await
            .expect("n");
        assert_eq!(amendments, 0);
        kept_is_rebuilt_or_empty(&ctx).await;
    })
    .await;
}

/// Kept totals equal a rebuild (there may be none kept at all).
async fn kept_is_rebuilt_or_empty(ctx: &loco_rs::app::AppContext) {
    use sea_orm::{ConnectionTrait, Statement};
    let row = ctx
        .db
        .query_one_raw(Statement::from_string(
            ctx.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM fulfilment_days WHERE n <> 0",
        ))
        .await
        .expect("count")
        .expect("row");
    let any: i64 = row.try_get("", "n").expect("n");
    if any > 0 {
        kept_is_rebuilt(ctx, "after the race").await;
    }
}

#[tokio::test]
async fn a_stale_write_is_refused_with_409_and_a_message() {
    use doudi::models::{visit_logs, Actor};
    with_app(|server, ctx| async move {
        let list = planned(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        let stale = list[0].clone();
        check_in(&server, &w, &list[0]).await;
        // A writer still holding the copy from before the check-in loses.
        let txn = sea_orm::TransactionTrait::begin(&ctx.db)
            .await
            .expect("txn");
        let err = visit_logs::check_in(
            &txn,
            &Actor::system("test"),
            &stale,
            &visit_logs::CheckIn {
                location_reason: Some("no_gps_signal".into()),
                ..Default::default()
            },
            DoorRules::default(),
            chrono::Utc::now(),
        )
        .await
        .expect_err("stale");
        assert_eq!(err.status(), StatusCode::CONFLICT);
        assert_eq!(err.message_key(), "error-visit-changed");
        txn.rollback().await.expect("rollback");
        let zh = doudi::i18n::t(doudi::domain::locale::Locale::ZhCn, err.message_key());
        assert!(zh.contains("刷新"), "{zh}");
    })
    .await;
}

#[tokio::test]
async fn a_client_id_belongs_to_one_user_one_visit_and_one_action() {
    with_app(|server, ctx| async move {
        let list = planned(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        let id = uuid::Uuid::new_v4();
        let res = server
            .post(&format!("/api/v1/visits/{}/check_in", list[0].pid))
            .authorization_bearer(&w)
            .json(&json!({"client_id": id, "location_reason": "no_gps_signal"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        // The same id for another visit: refused, nothing checked in.
        let res = server
            .post(&format!("/api/v1/visits/{}/check_in", list[1].pid))
            .authorization_bearer(&w)
            .json(&json!({"client_id": id, "location_reason": "no_gps_signal"}))
            .await;
        assert_eq!(
            res.status_code(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        assert!(res.json::<Value>()["errors"]["client_id"].is_array());
        let second = visits::Entity::find_by_id(list[1].id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("v");
        assert_eq!(second.status, "scheduled");
        // The same id for another action on the same visit: refused, not
        // answered with the check-in.
        let mut body = completed();
        body["client_id"] = json!(id);
        let res = server
            .post(&format!("/api/v1/visits/{}/submission", list[0].pid))
            .authorization_bearer(&w)
            .json(&body)
            .await;
        assert_eq!(
            res.status_code(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        let first = visits::Entity::find_by_id(list[0].id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("v");
        assert_eq!(first.status, "in_progress");
        // Sent again as it was: the first answer, marked a replay.
        let res = server
            .post(&format!("/api/v1/visits/{}/check_in", list[0].pid))
            .authorization_bearer(&w)
            .json(&json!({"client_id": id, "location_reason": "no_gps_signal"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        assert_eq!(res.header("idempotent-replay"), "true");
    })
    .await;
}

#[tokio::test]
async fn two_overdue_runs_at_once_count_each_visit_missed_once_and_spare_a_check_in() {
    with_app(|server, ctx| async move {
        doudi::demo::seed_story(&ctx.db, Duration::weeks(8))
            .await
            .expect("demo story");
        let list = planned(&server, &ctx).await;
        // Two of the plan's visits moved to yesterday: nobody went.
        let yesterday = chrono::Utc::now() - Duration::days(1);
        for v in &list[..2] {
            let mut am: visits::ActiveModel = v.clone().into();
            am.starts_at = Set(yesterday.into());
            am.ends_at = Set((yesterday + Duration::hours(1)).into());
            am.update(&ctx.db).await.expect("moved");
        }
        // One of them is checked in after the fact just before the runs.
        let w = token(&ctx, "worker@doudi.test").await;
        check_in(&server, &w, &list[1]).await;
        let before_missed = visits::Entity::find()
            .filter(visits::Column::Status.eq("missed"))
            .count(&ctx.db)
            .await
            .expect("n");
        let now = chrono::Utc::now();
        let db2 = ctx.db.clone();
        let (a, b) = tokio::join!(
            mark_overdue(&ctx.db, DoorRules::default(), now),
            mark_overdue(&db2, DoorRules::default(), now)
        );
        let (a, b) = (a.expect("run a"), b.expect("run b"));
        let after_missed = visits::Entity::find()
            .filter(visits::Column::Status.eq("missed"))
            .count(&ctx.db)
            .await
            .expect("n");
        assert_eq!(a.1 + b.1, after_missed - before_missed, "each counted once");
        let first = visits::Entity::find_by_id(list[0].id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("v");
        assert_eq!(first.status, "missed");
        let second = visits::Entity::find_by_id(list[1].id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("v");
        assert_eq!(second.status, "in_progress", "a check-in is never reset");
        // One audit entry per visit marked missed.
        let entries = doudi::models::audit_logs::for_entity(&ctx.db, "visits", list[0].pid, 100)
            .await
            .expect("audit");
        let missed_entries = entries
            .iter()
            .filter(|e| e.changes.contains("\"missed\""))
            .count();
        assert_eq!(missed_entries, 1);
        kept_is_rebuilt(&ctx, "two overdue runs").await;
    })
    .await;
}

#[tokio::test]
async fn a_correction_made_on_an_outdated_copy_is_refused_and_an_ad_hoc_repeat_is_answered_once() {
    with_app(|server, ctx| async move {
        let list = planned(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        check_in(&server, &w, &list[0]).await;
        let res = server
            .post(&format!("/api/v1/visits/{}/submission", list[0].pid))
            .authorization_bearer(&w)
            .json(&completed())
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let url = format!("/api/v1/visits/{}/amendments", list[0].pid);
        let fix = |reason: &str, outcome: &str| {
            json!({"reason": reason, "outcome": outcome, "based_on": 0,
                   "client_id": uuid::Uuid::new_v4()})
        };
        let res = server
            .post(&url)
            .authorization_bearer(&w)
            .json(&fix("老人不在家", "attempted"))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        // A second phone still showing the record before that correction.
        let res = server
            .post(&url)
            .authorization_bearer(&w)
            .json(&fix("老人拒绝", "refused"))
            .await;
        assert_eq!(res.status_code(), StatusCode::CONFLICT, "{}", res.text());
        let v = visits::Entity::find_by_id(list[0].id).one(&ctx.db).await.expect("q").expect("v");
        assert_eq!(v.status, "attempted");
        // An ad-hoc visit sent twice (the first answer lost) lands once, and
        // the repeat is answered even when the visit could not be made now.
        let r = person(&ctx, "单秀英").await;
        let c = token(&ctx, "coordinator@doudi.test").await;
        let body = json!({"client_id": uuid::Uuid::new_v4(), "recipient": r.pid,
                          "worker": user(&ctx, "worker@doudi.test").await.pid, "reason": "电话求助"});
        let first = server.post("/api/v1/visits").authorization_bearer(&c).json(&body).await;
        assert_eq!(first.status_code(), StatusCode::CREATED, "{}", first.text());
        let again = server.post("/api/v1/visits").authorization_bearer(&c).json(&body).await;
        assert_eq!(again.header("idempotent-replay"), "true");
        assert_eq!(again.json::<Value>()["pid"], first.json::<Value>()["pid"]);
        let n = visits::Entity::find()
            .filter(visits::Column::AdHocReason.eq("电话求助"))
            .count(&ctx.db)
            .await
            .expect("n");
        assert_eq!(n, 1);
    })
    .await;
}

#[tokio::test]
async fn a_visit_changed_since_its_page_was_shown_is_not_changed_again_unseen() {
    with_app(|server, ctx| async move {
        let list = planned(&server, &ctx).await;
        let v = &list[0];
        let cookie = session(&ctx, "coordinator@doudi.test").await;
        let coordinator = token(&ctx, "coordinator@doudi.test").await;
        // The page carries the version it shows.
        let page = server
            .get(&format!("/visits/{}", v.pid))
            .add_header("cookie", cookie.clone())
            .await;
        assert!(
            page.text()
                .contains(&format!("name=\"version\" value=\"{}\"", v.version)),
            "{}",
            page.text()
        );
        // Meanwhile the visit is moved by someone else.
        let day = (doudi::models::today() + Duration::days(3)).to_string();
        let res = server
            .post(&format!("/api/v1/visits/{}/move", v.pid))
            .authorization_bearer(&coordinator)
            .json(&json!({"starts_at": format!("{day}T14:00:00"), "reason": "家属要求改期"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        // The cancel from the page shown before: the page again, as the
        // visit is now, with the reason typed and what happened.
        let res = server
            .post(&format!("/visits/{}/cancel", v.pid))
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[
                ("reason", "老人住院了"),
                ("version", &v.version.to_string()),
            ])
            .await;
        assert_eq!(res.status_code(), StatusCode::CONFLICT);
        let html = res.text();
        assert!(html.contains("刚被其他人或其他设备改过"), "{html}");
        assert!(html.contains("老人住院了"), "the reason typed is kept");
        assert!(html.contains("14:00"), "the visit as it is now");
        let now = visits::Entity::find_by_id(v.id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("v");
        assert_eq!(now.status, "scheduled");
        // Through the API: the same 409 with the version from an old answer.
        let res = server
            .post(&format!("/api/v1/visits/{}/cancel", v.pid))
            .authorization_bearer(&coordinator)
            .json(&json!({"reason": "老人住院", "version": v.version}))
            .await;
        assert_eq!(res.status_code(), StatusCode::CONFLICT, "{}", res.text());
        // With the version it shows now, it goes through.
        let res = server
            .post(&format!("/visits/{}/cancel", v.pid))
            .add_header("cookie", cookie)
            .add_header("sec-fetch-site", "same-origin")
            .form(&[
                ("reason", "老人住院了"),
                ("version", &now.version.to_string()),
            ])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER, "{}", res.text());
    })
    .await;
}
