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
        let new_path: String = html[start..].chars().take_while(|c| *c != '"').collect();
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
        let applied: Vec<String> = Migrator::get_applied_migrations(&ctx.db)
            .await
            .expect("applied")
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        let at = applied
            .iter()
            .position(|n| n == "m20261202_000030_hash_calendar_tokens")
            .expect("applied");
        let steps = u32::try_from(applied.len() - at).expect("steps");
        Migrator::down(&ctx.db, Some(steps)).await.expect("down");
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
    use super::visit_logs::{complete, completed, visits_for_worker};
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
