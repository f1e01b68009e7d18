//! Test harness: a fresh database per test (created next to
//! TEST_DATABASE_URL and dropped afterwards, with the pool closed first so
//! PostgreSQL can drop it), the demo county loaded, and sign-in helpers.
#![allow(dead_code)]
pub mod builders;
pub mod lists;
pub mod shapes;

use axum_test::TestServer;
use doudi::{app::App, demo, models::users};
use loco_rs::{app::AppContext, testing::prelude::boot_test_with_create_db};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::net::SocketAddr;

/// Boots the app on a fresh database with the demo data and runs `f`.
pub async fn with_app<F, Fut>(f: F)
where
    F: FnOnce(TestServer, AppContext) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let boot = boot_test_with_create_db::<App>()
        .await
        .expect("boot test app");
    let ctx = boot.app_context.clone();
    demo::seed(&ctx.db, &doudi::vault::Vault::of(&ctx).expect("vault"))
        .await
        .expect("demo seed");
    let router = boot.router.clone().expect("router");
    let server = TestServer::new(router.into_make_service_with_connect_info::<SocketAddr>())
        .expect("test server");
    f(server, ctx.clone()).await;
    ctx.db.clone().close().await.ok();
    drop(boot);
}

pub fn backend(ctx: &AppContext) -> &'static str {
    match ctx.db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => "postgres",
        sea_orm::DatabaseBackend::Sqlite => "sqlite",
        _ => "other",
    }
}

pub async fn user(ctx: &AppContext, email: &str) -> users::Model {
    users::Model::find_by_email(&ctx.db, email)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no user {email}"))
}

/// A bearer token for a demo user, as `POST /api/v1/auth/login` gives.
pub async fn token(ctx: &AppContext, email: &str) -> String {
    let u = user(ctx, email).await;
    let jwt = ctx.config.get_jwt_config().expect("jwt config");
    u.generate_token(&jwt.secret, jwt.expiration)
        .expect("token")
}

/// The `Cookie` header value of a signed-in page session.
pub async fn session(ctx: &AppContext, email: &str) -> String {
    format!("doudi_session={}", token(ctx, email).await)
}

pub async fn township_pid(ctx: &AppContext, name: &str) -> uuid::Uuid {
    use doudi::models::_entities::townships;
    townships::Entity::find()
        .filter(townships::Column::Name.eq(name))
        .one(&ctx.db)
        .await
        .expect("query")
        .expect("township")
        .pid
}

pub async fn village_pid(ctx: &AppContext, name: &str) -> uuid::Uuid {
    use doudi::models::_entities::villages;
    villages::Entity::find()
        .filter(villages::Column::Name.eq(name))
        .one(&ctx.db)
        .await
        .expect("query")
        .expect("village")
        .pid
}

pub async fn organization_pid(ctx: &AppContext, name: &str) -> uuid::Uuid {
    use doudi::models::_entities::organizations;
    organizations::Entity::find()
        .filter(organizations::Column::Name.eq(name))
        .one(&ctx.db)
        .await
        .expect("query")
        .expect("organization")
        .pid
}

pub async fn audit_count(ctx: &AppContext, action: &str, entity: &str) -> u64 {
    use doudi::models::_entities::audit_logs;
    use sea_orm::PaginatorTrait;
    audit_logs::Entity::find()
        .filter(audit_logs::Column::Action.eq(action))
        .filter(audit_logs::Column::Entity.eq(entity))
        .count(&ctx.db)
        .await
        .expect("count")
}

pub const SUNSHINE: &str = "巴中市巴州区阳光社会工作服务中心";
pub const YIMIN: &str = "巴中市益民社会工作服务中心";
pub const CHARITY: &str = "巴中市慈善总会";

pub fn select_text(html: &str, selector: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(selector).expect("selector");
    doc.select(&sel)
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

/// Rolls the test database back to just before `migration` (by name), so
/// a test can put data as it was and run the migration on it.
pub async fn down_to_before(ctx: &AppContext, migration: &str) {
    use migration::{Migrator, MigratorTrait};
    let applied: Vec<String> = Migrator::get_applied_migrations(&ctx.db)
        .await
        .expect("applied")
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let at = applied
        .iter()
        .position(|n| n == migration)
        .expect("applied");
    let steps = u32::try_from(applied.len() - at).expect("steps");
    Migrator::down(&ctx.db, Some(steps)).await.expect("down");
}

/// How many database statements the request ran (`x-query-count`, set
/// because the test configuration has `count_queries: true`).
pub fn queries(res: &axum_test::TestResponse) -> u32 {
    res.headers()
        .get("x-query-count")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("x-query-count header")
}
