//! Issue 13, "minimum kept, minimum logged": calendar tokens kept as
//! hashes, no `X-Powered-By`, every signature of a visit kept, rosters
//! deleted once applied or too old.
use crate::support::*;
use axum::http::StatusCode;
use doudi::models::_entities::users;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

fn feed_path(url: &str) -> String {
    url[url.find("/calendar/").expect("path")..].to_string()
}

#[tokio::test]
async fn a_calendar_token_is_kept_as_its_hash_and_shown_once() {
    with_app(|server, ctx| async move {
        let w = token(&ctx, "worker@doudi.test").await;
        let res = server
            .post("/api/v1/calendar_feed")
            .authorization_bearer(&w)
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED);
        let url = res.json::<Value>()["url"]
            .as_str()
            .expect("url")
            .to_string();
        let path = feed_path(&url);
        let plain = path
            .trim_start_matches("/calendar/")
            .trim_end_matches(".ics")
            .to_string();
        let stored = user(&ctx, "worker@doudi.test")
            .await
            .calendar_token
            .expect("stored");
        assert_ne!(stored, plain);
        assert_eq!(stored, doudi::models::calendar_feeds::token_hash(&plain));
        assert_eq!(server.get(&path).await.status_code(), StatusCode::OK);
        // The stored hash itself is not a working address.
        assert_eq!(
            server
                .get(&format!("/calendar/{stored}.ics"))
                .await
                .status_code(),
            StatusCode::NOT_FOUND
        );
        // The settings page says the feed is on but cannot show the address.
        let cookie = session(&ctx, "worker@doudi.test").await;
        let page = server
            .get("/settings")
            .add_header("cookie", cookie.clone())
            .await
            .text();
        assert!(!page.contains(&plain));
        assert!(page.contains("/settings/calendar/revoke"), "{page}");
        // A new address is shown once, on the answer to the change.
        let res = server
            .post("/settings/calendar")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let html = res.text();
        let start = html.find("/calendar/").expect("new address shown");
        let new_path: String = html[start..]
            .chars()
            .take_while(|c| !matches!(c, '"' | '<' | '\'' | ' '))
            .collect();
        assert_ne!(new_path, path);
        assert_eq!(server.get(&new_path).await.status_code(), StatusCode::OK);
        assert_eq!(server.get(&path).await.status_code(), StatusCode::NOT_FOUND);
        let again = server
            .get("/settings")
            .add_header("cookie", cookie)
            .await
            .text();
        assert!(!again.contains(&new_path));
    })
    .await;
}

#[tokio::test]
async fn the_migration_hashes_plain_tokens_in_place_so_subscriptions_keep_working() {
    use migration::{Migrator, MigratorTrait};
    with_app(|server, ctx| async move {
        // Back to before the migration, a plain token as it used to be kept.
        down_to_before(&ctx, "m20261202_000030_hash_calendar_tokens").await;
        let plain = "0123456789abcdef0123456789abcdef0123456789abcdef";
        let w = user(&ctx, "worker@doudi.test").await;
        let mut am: users::ActiveModel = w.into();
        am.calendar_token = Set(Some(plain.to_string()));
        am.update(&ctx.db).await.expect("plain");
        Migrator::up(&ctx.db, None).await.expect("up");
        let stored = users::Entity::find()
            .filter(users::Column::Email.eq("worker@doudi.test"))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("u")
            .calendar_token
            .expect("kept");
        assert_eq!(stored, doudi::models::calendar_feeds::token_hash(plain));
        let res = server.get(&format!("/calendar/{plain}.ics")).await;
        assert_eq!(res.status_code(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn no_response_says_what_it_is_powered_by() {
    with_app(|server, ctx| async move {
        for res in [
            server.get("/login").await,
            server.get("/_health").await,
            server.get("/no-such-page").await,
            server
                .get("/api/v1/service_plans")
                .authorization_bearer(&token(&ctx, "worker@doudi.test").await)
                .await,
        ] {
            assert!(
                res.maybe_header("x-powered-by").is_none(),
                "{:?}",
                res.headers()
            );
        }
    })
    .await;
}

/// A second, different signature image (2×1 pixels).
const OTHER_PNG: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAD0lEQVR4nGNgYGD4//8/AAYBAv4CsjmuAAAAAElFTkSuQmCC";

#[tokio::test]
async fn a_correction_keeps_the_original_signature_beside_the_new_one() {
    use crate::support::builders::{complete, completed, visits_for_worker};
    use doudi::models::_entities::visit_signatures;
    use sea_orm::QueryOrder;
    use serde_json::json;
    use sha2::{Digest, Sha256};
    with_app(|server, ctx| async move {
        let list = visits_for_worker(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        complete(&server, &w, &list[0]).await;
        let mut fix = completed();
        fix["client_id"] = json!(null);
        fix["signature"] = json!(OTHER_PNG);
        fix["reason"] = json!("家属重新签字");
        let res = server
            .post(&format!("/api/v1/visits/{}/amendments", list[0].pid))
            .authorization_bearer(&w)
            .json(&fix)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let kept = visit_signatures::Entity::find()
            .filter(visit_signatures::Column::VisitId.eq(list[0].id))
            .order_by_asc(visit_signatures::Column::Id)
            .all(&ctx.db)
            .await
            .expect("q");
        assert_eq!(kept.len(), 2, "the original is kept");
        let sha = |d: &[u8]| hex::encode(Sha256::digest(d));
        let (first, second) = (sha(&kept[0].data), sha(&kept[1].data));
        assert_ne!(first, second);
        // The visit shows the newest; the amendment names both.
        let img = server
            .get(&format!("/api/v1/visits/{}/signature", list[0].pid))
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .await;
        assert_eq!(img.status_code(), StatusCode::OK);
        assert_eq!(sha(img.as_bytes()), second);
        let shown: Value = server
            .get(&format!("/api/v1/visits/{}", list[0].pid))
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .await
            .json();
        let a = &shown["amendments"][0];
        assert_eq!(a["before"]["signature_sha256"], json!(first), "{a}");
        assert_eq!(a["after"]["signature_sha256"], json!(second), "{a}");
        assert_eq!(shown["record"]["signature_sha256"], json!(second));
    })
    .await;
}

async fn upload_roster(server: &axum_test::TestServer, t: &str, town: &str, seq: u32) -> String {
    use axum_test::multipart::{MultipartForm, Part};
    let id = doudi::demo::names::resident_id(
        chrono::NaiveDate::from_ymd_opt(1950, 3, 4).expect("date"),
        seq,
    );
    let csv = format!(
        "姓名,身份证号码,村（社区）,家庭住址,联系电话,救助类别,户主身份证号,与户主关系,备注说明\r\n\
         赵大山,{id},石门村,石门村2组4号,13812340001,低保,,本人,"
    );
    let form = MultipartForm::new()
        .add_text("township", town.to_string())
        .add_text("roster", format!("名册{seq}"))
        .add_part(
            "file",
            Part::bytes(csv.into_bytes()).file_name("名册.csv".to_string()),
        );
    let res = server
        .post("/api/v1/recipient_imports")
        .authorization_bearer(t)
        .multipart(form)
        .await;
    assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    res.json::<Value>()["pid"]
        .as_str()
        .expect("pid")
        .to_string()
}

async fn roster_file(
    ctx: &loco_rs::app::AppContext,
    pid: &str,
) -> (
    doudi::models::_entities::recipient_imports::Model,
    doudi::models::_entities::recipient_import_files::Model,
) {
    use doudi::models::_entities::{recipient_import_files, recipient_imports};
    let import = recipient_imports::Entity::find()
        .filter(recipient_imports::Column::Pid.eq(uuid::Uuid::parse_str(pid).expect("uuid")))
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("import");
    let file = recipient_import_files::Entity::find_by_id(import.id)
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("file");
    (import, file)
}

#[tokio::test]
async fn an_applied_roster_is_deleted_and_an_unapplied_one_is_purged_after_the_retention() {
    use doudi::models::_entities::recipient_imports;
    use doudi::tasks::imports_purge::ImportsPurge;
    use loco_rs::task::{Task, Vars};
    with_app(|server, ctx| async move {
        let t = token(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        // Applied: the file is gone at once, the report and counts stay.
        let applied = upload_roster(&server, &t, &town, 1).await;
        assert!(!roster_file(&ctx, &applied).await.1.content.is_empty());
        let res = server
            .post(&format!("/api/v1/recipient_imports/{applied}/apply"))
            .authorization_bearer(&t)
            .await;
        assert!(res.status_code().is_success(), "{}", res.text());
        let (import, file) = roster_file(&ctx, &applied).await;
        assert_eq!(import.state, "applied");
        assert!(
            file.content.is_empty(),
            "the roster is deleted once applied"
        );
        assert!(file.report.is_some(), "the report stays");
        assert_eq!(import.new_count, 1);
        let shown: Value = server
            .get(&format!("/api/v1/recipient_imports/{applied}"))
            .authorization_bearer(&t)
            .await
            .json();
        assert_eq!(shown["state"], "applied");
        assert!(shown["report"].is_object(), "{shown}");

        // Never applied: kept while young, purged once older than 30 days.
        let old = upload_roster(&server, &t, &town, 2).await;
        let young = upload_roster(&server, &t, &town, 3).await;
        let (import, _) = roster_file(&ctx, &old).await;
        let mut am: recipient_imports::ActiveModel = import.into();
        am.created_at = Set((chrono::Utc::now() - chrono::Duration::days(31)).into());
        am.update(&ctx.db).await.expect("backdate");
        let deletions = audit_count(&ctx, "delete", "recipient_import_files").await;
        ImportsPurge
            .run(&ctx, &Vars::default())
            .await
            .expect("purge");
        let (import, file) = roster_file(&ctx, &old).await;
        assert!(file.content.is_empty(), "purged");
        assert!(file.report.is_some(), "the report stays");
        assert_eq!(import.state, "failed");
        assert!(!roster_file(&ctx, &young).await.1.content.is_empty());
        assert_eq!(
            audit_count(&ctx, "delete", "recipient_import_files").await,
            deletions + 1
        );
        // Run again: nothing more to do, no second entry.
        ImportsPurge
            .run(&ctx, &Vars::default())
            .await
            .expect("purge");
        assert_eq!(
            audit_count(&ctx, "delete", "recipient_import_files").await,
            deletions + 1
        );
        // The purged import cannot be applied any more.
        let res = server
            .post(&format!("/api/v1/recipient_imports/{old}/apply"))
            .authorization_bearer(&t)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}

#[tokio::test]
async fn the_rows_kept_of_rejected_lines_are_cleared_after_the_retention() {
    use axum_test::multipart::{MultipartForm, Part};
    use doudi::models::_entities::recipient_imports;
    use doudi::tasks::imports_purge::ImportsPurge;
    use loco_rs::task::{Task, Vars};
    with_app(|server, ctx| async move {
        let t = token(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let id = doudi::demo::names::resident_id(
            chrono::NaiveDate::from_ymd_opt(1951, 6, 7).expect("date"),
            41,
        );
        // A valid number in a village the township does not have: rejected.
        let csv = format!("姓名,身份证号码,村（社区）,家庭住址\r\n钱小河,{id},没有这个村,某处1号");
        let form = MultipartForm::new()
            .add_text("township", town.clone())
            .add_text("roster", "名册R".to_string())
            .add_part(
                "file",
                Part::bytes(csv.into_bytes()).file_name("r.csv".to_string()),
            );
        let res = server
            .post("/api/v1/recipient_imports")
            .authorization_bearer(&t)
            .multipart(form)
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let pid = res.json::<Value>()["pid"]
            .as_str()
            .expect("pid")
            .to_string();
        let (import, file) = roster_file(&ctx, &pid).await;
        assert_eq!(import.rejected_count, 1, "{:?}", file.report);
        assert!(file.report.as_deref().unwrap_or("").contains(&id));
        let rejected = server
            .get(&format!("/api/v1/recipient_imports/{pid}/rejected/csv"))
            .authorization_bearer(&t)
            .await;
        assert!(
            rejected.text().contains(&id),
            "downloadable to fix while young"
        );
        // Older than the retention: the row as uploaded goes, the line and
        // its problem stay.
        let mut am: recipient_imports::ActiveModel = import.into();
        am.created_at = Set((chrono::Utc::now() - chrono::Duration::days(31)).into());
        am.update(&ctx.db).await.expect("backdate");
        let updates = audit_count(&ctx, "update", "recipient_import_files").await;
        ImportsPurge
            .run(&ctx, &Vars::default())
            .await
            .expect("purge");
        let (import, file) = roster_file(&ctx, &pid).await;
        let report = file.report.clone().unwrap_or_default();
        assert!(!report.contains(&id), "{report}");
        assert!(!report.contains("钱小河"), "{report}");
        assert_eq!(import.rejected_count, 1);
        let shown: Value = server
            .get(&format!("/api/v1/recipient_imports/{pid}"))
            .authorization_bearer(&t)
            .await
            .json();
        assert!(!shown.to_string().contains(&id));
        assert!(
            shown.to_string().contains("没有这个村")
                || shown["report"]["problems"]
                    .as_array()
                    .is_some_and(|p| !p.is_empty()),
            "{shown}"
        );
        let rejected = server
            .get(&format!("/api/v1/recipient_imports/{pid}/rejected/csv"))
            .authorization_bearer(&t)
            .await;
        assert_eq!(rejected.status_code(), StatusCode::OK);
        assert!(!rejected.text().contains(&id));
        assert_eq!(
            audit_count(&ctx, "update", "recipient_import_files").await,
            updates + 1
        );
        // Once cleared, a second run finds nothing.
        ImportsPurge
            .run(&ctx, &Vars::default())
            .await
            .expect("purge");
        assert_eq!(
            audit_count(&ctx, "update", "recipient_import_files").await,
            updates + 1
        );
    })
    .await;
}
