//! The JSON API under `/api/v1`: bearer tokens, the same scope rules and
//! model calls as the pages. Errors are `{"error": ".."}` or, for bad input,
//! 422 `{"errors": {"field": [".."]}}`.
pub mod audit_logs;
pub mod auth;
pub mod contracts;
pub mod households;
pub mod organizations;
pub mod plan_previews;
pub mod recipient_imports;
pub mod recipients;
pub mod service_plans;
pub mod service_types;
pub mod townships;
pub mod users;
pub mod villages;
pub mod visits;

use crate::views::ListResponse;
use axum::{http::StatusCode, response::IntoResponse, Json};
use serde::Serialize;

pub fn created<T: Serialize>(body: T) -> axum::response::Response {
    (StatusCode::CREATED, Json(body)).into_response()
}

pub fn ok<T: Serialize>(body: T) -> axum::response::Response {
    Json(body).into_response()
}

pub fn page<T: Serialize>(
    items: Vec<T>,
    page: crate::domain::pagination::PageInfo,
) -> axum::response::Response {
    Json(ListResponse { items, page }).into_response()
}
