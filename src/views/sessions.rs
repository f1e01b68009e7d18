//! The sign-in page.
use crate::{
    domain::locale::Locale,
    errors::AppError,
    web::{render::form_errors, Page},
};
use axum::http::StatusCode;
use serde_json::json;

/// The sign-in form, with the email as typed and where to go afterwards;
/// after a failed attempt its error (429 when throttled, else 422).
#[must_use]
pub fn sign_in_page(email: &str, next: &str, failed: Option<&AppError>, lang: Locale) -> Page {
    let status = match failed.map(AppError::status) {
        None => StatusCode::OK,
        Some(StatusCode::TOO_MANY_REQUESTS) => StatusCode::TOO_MANY_REQUESTS,
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let errors = failed.map_or_else(|| json!({}), |e| form_errors(e, lang));
    Page::new(
        "sessions/new.html",
        json!({"email": email, "next": next, "errors": errors}),
    )
    .status(status)
}
