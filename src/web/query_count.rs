//! Counts the database statements each request runs, for the tests that
//! keep list pages free of per-row queries. Off unless the `count_queries`
//! setting is true (the test configuration): then every response carries
//! `x-query-count`.
//!
//! The count is kept in a task-local cell set around the handler, so
//! concurrent requests do not mix; statements run in spawned tasks (job
//! workers) are not counted.
use axum::{extract::Request, http::HeaderValue, middleware::Next, response::Response};
use sea_orm::DatabaseConnection;
use std::sync::{
    atomic::{AtomicU32, Ordering},
    Arc,
};

tokio::task_local! {
    static STATEMENTS: Arc<AtomicU32>;
}

/// The response header that carries the count.
pub const HEADER: &str = "x-query-count";

/// Whether the app's settings ask for counting.
#[must_use]
pub fn enabled(ctx: &loco_rs::app::AppContext) -> bool {
    ctx.config
        .settings
        .as_ref()
        .and_then(|s| s.get("count_queries"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

/// Makes `db` count its statements into the current request's cell.
pub fn install(db: &mut DatabaseConnection) {
    db.set_metric_callback(|_| {
        let _ = STATEMENTS.try_with(|n| n.fetch_add(1, Ordering::Relaxed));
    });
}

/// Runs the request with a fresh count and reports it in `x-query-count`.
pub async fn count(req: Request, next: Next) -> Response {
    let n = Arc::new(AtomicU32::new(0));
    let mut res = STATEMENTS.scope(n.clone(), next.run(req)).await;
    res.headers_mut()
        .insert(HEADER, HeaderValue::from(n.load(Ordering::Relaxed)));
    res
}
