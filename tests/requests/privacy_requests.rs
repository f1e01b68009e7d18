//! Issue 13, "writes are never GETs": a revealing export is a POST behind
//! the cross-site check, sign-in follows only same-site paths, the sign-in
//! throttle counts atomically and keeps no typed text, and the client
//! address comes from the configured source.
use crate::support::builders::{last_audit, whole_id_of};
use crate::support::*;
use axum::http::StatusCode;
use axum_test::TestServer;
use doudi::{
    app::App,
    controllers::sessions::throttle,
    models::_entities::{audit_logs, sign_in_failures},
};
use loco_rs::{
    app::{AppContext, Hooks},
    controller::middleware::remote_ip::{ClientIpSource, RemoteIpMiddleware},
    environment::Environment,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;
use std::net::SocketAddr;

/// A second pool on the test's database with several connections.
async fn wide_pool(ctx: &AppContext) -> DatabaseConnection {
    let mut cfg = ctx.config.database.clone();
    cfg.max_connections = 8;
    cfg.min_connections = 1;
    doudi::db_pool::connect(&cfg).await.expect("second pool")
}

/// As `with_app`, but behind one proxy: the client address is the
/// rightmost `X-Forwarded-For` entry (`CLIENT_IP_SOURCE` in production).
async fn with_app_behind_a_proxy<F, Fut>(f: F)
where
    F: FnOnce(TestServer, AppContext) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut config = App::load_config(&Environment::Test).await.expect("config");
    config.server.middlewares.remote_ip = Some(RemoteIpMiddleware {
        enable: true,
        source: ClientIpSource::RightmostXForwardedFor,
    });
    let test_db =
        loco_rs::testing::db::init_test_db_creation(&config.database.uri).expect("test db");
    test_db.init_db().await;
    config.database.uri = test_db.get_connection_str().to_string();
    let boot = App::boot(
        loco_rs::boot::StartMode::ServerOnly,
        &Environment::Test,
        config,
    )
    .await
    .expect("boot");
    let boot = loco_rs::testing::request::BootResultWrapper::new(boot, test_db);
    let ctx = boot.app_context.clone();
    doudi::demo::seed(&ctx.db, &doudi::vault::Vault::of(&ctx).expect("vault"))
        .await
        .expect("demo seed");
    let router = boot.router.clone().expect("router");
    let server = TestServer::new(router.into_make_service_with_connect_info::<SocketAddr>())
        .expect("test server");
    f(server, ctx.clone()).await;
    ctx.db.clone().close().await.ok();
    drop(boot);
}

#[tokio::test]
async fn a_get_export_never_reveals_nor_writes_a_reveal() {
    with_app(|server, ctx| async move {
        let whole = whole_id_of(&ctx, "单秀英").await;
        let reveals = audit_count(&ctx, "reveal", "recipients").await;
        // A link on another site, riding the coordinator's cookie.
        let res = server
            .get("/api/v1/recipients/export?format=csv&reveal=1&reason=attacker")
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .add_header("sec-fetch-site", "cross-site")
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(!res.text().contains(&whole));
        // Not with a token either: a GET export is masked only.
        let res = server
            .get("/api/v1/recipients/export?format=csv&reveal=1&reason=x")
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .get("/api/v1/recipients/export?format=csv")
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        assert!(res.text().contains("单秀英"));
        assert!(!res.text().contains(&whole));
        assert_eq!(audit_count(&ctx, "reveal", "recipients").await, reveals);
        assert!(!last_audit(&ctx).await.changes.contains("attacker"));
    })
    .await;
}

#[tokio::test]
async fn a_revealing_export_is_a_post_behind_the_cross_site_check_and_audits_its_reason() {
    with_app(|server, ctx| async move {
        let whole = whole_id_of(&ctx, "单秀英").await;
        let cookie = session(&ctx, "coordinator@doudi.test").await;
        let reveals = audit_count(&ctx, "reveal", "recipients").await;
        let form = [("format", "csv"), ("reveal", "1"), ("reason", "年度核查")];
        for (path, site) in [
            ("/recipients/export", "cross-site"),
            ("/api/v1/recipients/export", "cross-site"),
            ("/api/v1/recipients/export", "same-site"),
        ] {
            let res = server
                .post(path)
                .add_header("cookie", cookie.clone())
                .add_header("sec-fetch-site", site)
                .form(&form)
                .await;
            assert_eq!(res.status_code(), StatusCode::FORBIDDEN, "{path} {site}");
        }
        assert_eq!(audit_count(&ctx, "reveal", "recipients").await, reveals);

        // The page's form, from the page.
        let res = server
            .post("/recipients/export")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&form)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        assert!(res.text().contains(&whole));
        assert_eq!(audit_count(&ctx, "reveal", "recipients").await, reveals + 1);
        assert!(last_audit(&ctx).await.changes.contains("年度核查"));

        // The API with a form body and a cookie from the page...
        let res = server
            .post("/api/v1/recipients/export")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("reveal", "1"), ("reason", "季度抽查")])
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        assert!(res.text().contains(&whole));
        assert!(last_audit(&ctx).await.changes.contains("季度抽查"));
        // ... and with JSON and a token.
        let res = server
            .post("/api/v1/recipients/export")
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .json(&json!({"reveal": "1", "reason": "省厅复核"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        assert!(res.text().contains(&whole));
        assert_eq!(audit_count(&ctx, "reveal", "recipients").await, reveals + 3);
        assert!(last_audit(&ctx).await.changes.contains("省厅复核"));
        // Without a reason: a field error, nothing revealed.
        let res = server
            .post("/api/v1/recipients/export")
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .json(&json!({"reveal": "1", "reason": "  "}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(audit_count(&ctx, "reveal", "recipients").await, reveals + 3);
    })
    .await;
}

#[tokio::test]
async fn signing_in_follows_only_same_site_paths() {
    with_app(|server, _ctx| async move {
        for (next, to) in [
            ("/visits/today", "/visits/today"),
            ("/recipients?q=%E5%BC%A0", "/recipients?q=%E5%BC%A0"),
            ("/%09/evil.example", "/"),
            ("/\t/evil.example", "/"),
            ("/%5Cevil.example", "/"),
            ("/%2F/evil.example", "/"),
            ("//evil.example", "/"),
            ("/\\evil.example", "/"),
            ("https://evil.example", "/"),
            ("javascript:alert(1)", "/"),
        ] {
            let res = server
                .post("/login")
                .add_header("sec-fetch-site", "same-origin")
                .form(&[
                    ("email", "admin@doudi.test"),
                    ("password", "doudi-demo"),
                    ("next", next),
                ])
                .await;
            assert_eq!(res.status_code(), StatusCode::SEE_OTHER, "{next:?}");
            assert_eq!(res.header("location"), to, "{next:?}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_parallel_wrong_passwords_get_at_most_five_evaluated() {
    with_app(|server, ctx| async move {
        // Through the API (the test app has one connection, so these meet
        // in its pool)...
        let local = tokio::task::LocalSet::new();
        let codes = local
            .run_until(async {
                let mut attempts = tokio::task::JoinSet::new();
                for _ in 0..30 {
                    let req = server
                        .post("/api/v1/auth/login")
                        .json(&json!({"email": "worker@doudi.test", "password": "nope-nope"}));
                    attempts.spawn_local(async move { req.await.status_code() });
                }
                attempts.join_all().await
            })
            .await;
        let evaluated = codes
            .iter()
            .filter(|c| **c == StatusCode::UNAUTHORIZED)
            .count();
        assert_eq!(evaluated, 5, "{codes:?}");
        assert_eq!(
            codes
                .iter()
                .filter(|c| **c == StatusCode::TOO_MANY_REQUESTS)
                .count(),
            25
        );

        // ... and truly in parallel, on a pool of several connections.
        let pool = wide_pool(&ctx).await;
        let t = throttle(&ctx);
        let mut parallel = tokio::task::JoinSet::new();
        for _ in 0..30 {
            let pool = pool.clone();
            parallel.spawn(async move {
                t.reserve(&pool, "admin@doudi.test", Some("192.0.2.1"))
                    .await
                    .expect("reserve")
            });
        }
        let reservations = parallel.join_all().await;
        assert_eq!(reservations.iter().filter(|r| !r.locked).count(), 5);
        pool.close().await.ok();
    })
    .await;
}

#[tokio::test]
async fn failed_sign_ins_keep_a_hash_of_what_was_typed_not_the_text() {
    with_app(|server, ctx| async move {
        for _ in 0..5 {
            let res = server
                .post("/api/v1/auth/login")
                .json(&json!({"email": "Hunter2-Secret", "password": "x"}))
                .await;
            assert_eq!(res.status_code(), StatusCode::UNAUTHORIZED);
        }
        // Counting per account still works: the sixth is refused.
        let res = server
            .post("/api/v1/auth/login")
            .json(&json!({"email": "hunter2-secret ", "password": "x"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::TOO_MANY_REQUESTS);
        let rows = sign_in_failures::Entity::find()
            .all(&ctx.db)
            .await
            .expect("q");
        assert!(!rows.is_empty());
        let audits = audit_logs::Entity::find()
            .filter(audit_logs::Column::Action.eq("sign_in_failed"))
            .all(&ctx.db)
            .await
            .expect("q");
        assert_eq!(audits.len(), 6);
        let typed = "hunter2";
        for r in &rows {
            assert!(
                !r.throttle_key.to_lowercase().contains(typed),
                "{}",
                r.throttle_key
            );
        }
        for a in &audits {
            assert!(
                !a.actor_label.to_lowercase().contains(typed),
                "{}",
                a.actor_label
            );
            assert!(!a.changes.to_lowercase().contains(typed));
        }
        // A known account is still named in its audit.
        server
            .post("/api/v1/auth/login")
            .json(&json!({"email": "worker@doudi.test", "password": "x"}))
            .await;
        assert_eq!(last_audit(&ctx).await.actor_label, "worker@doudi.test");
    })
    .await;
}

#[tokio::test]
async fn behind_a_proxy_each_forwarded_client_is_throttled_and_audited_by_its_own_address() {
    with_app_behind_a_proxy(|server, ctx| async move {
        // One client (a spoofed leftmost entry changes nothing) uses up its
        // address's failures across accounts.
        for i in 0..20 {
            let res = server
                .post("/api/v1/auth/login")
                .add_header("x-forwarded-for", format!("10.9.9.{i}, 203.0.113.7"))
                .json(&json!({"email": format!("nobody{i}@doudi.test"), "password": "x"}))
                .await;
            assert_eq!(res.status_code(), StatusCode::UNAUTHORIZED, "attempt {i}");
        }
        let res = server
            .post("/api/v1/auth/login")
            .add_header("x-forwarded-for", "203.0.113.7")
            .json(&json!({"email": "admin@doudi.test", "password": "doudi-demo"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(last_audit(&ctx).await.ip.as_deref(), Some("203.0.113.7"));
        // Another client behind the same proxy is not locked out, even
        // naming the locked address first.
        let res = server
            .post("/api/v1/auth/login")
            .add_header("x-forwarded-for", "203.0.113.7, 198.51.100.9")
            .json(&json!({"email": "admin@doudi.test", "password": "doudi-demo"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let last = last_audit(&ctx).await;
        assert_eq!(last.action, "sign_in");
        assert_eq!(last.ip.as_deref(), Some("198.51.100.9"));
    })
    .await;
}
