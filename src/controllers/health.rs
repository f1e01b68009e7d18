use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use loco_rs::prelude::*;
use serde_json::json;

/// `/_health`: 200 when the database answers, 503 when it does not.
async fn health(State(ctx): State<AppContext>) -> impl IntoResponse {
    match ctx.db.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({"ok": true, "database": "ok"}))),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"ok": false, "database": "unreachable"})),
            )
        }
    }
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
