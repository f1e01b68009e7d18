use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use loco_rs::prelude::*;
use serde_json::json;
use std::time::Duration;

/// How long `/_health` waits for the database: well under the pool's
/// connect timeout, so a monitor hears "down" promptly.
const DATABASE_CHECK: Duration = Duration::from_millis(1500);

/// `/_health`: 200 when the database answers within [`DATABASE_CHECK`],
/// 503 when it fails or takes longer (`"database"` says which).
async fn health(State(ctx): State<AppContext>) -> impl IntoResponse {
    let state = match tokio::time::timeout(DATABASE_CHECK, ctx.db.ping()).await {
        Ok(Ok(())) => return (StatusCode::OK, Json(json!({"ok": true, "database": "ok"}))),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "health check: database unreachable");
            "unreachable"
        }
        Err(_) => {
            tracing::error!(
                timeout_ms = DATABASE_CHECK.as_millis(),
                "health check: database gave no answer in time"
            );
            "timeout"
        }
    };
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({"ok": false, "database": state})),
    )
}

/// `/_ping`: the process is up.
async fn ping() -> impl IntoResponse {
    Json(json!({"ok": true}))
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/_health", get(health))
        .add("/_ping", get(ping))
}
