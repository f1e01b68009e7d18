//! HTML pages (phone-first, server-rendered) and, under `api/`, the JSON API.
//! Handlers parse, scope, call one model method and render or redirect.
pub mod api;
pub mod audit_logs;
pub mod board;
pub mod calendar;
pub mod contracts;
pub mod dashboard;
pub mod handover;
pub mod health;
pub mod home;
pub mod households;
pub mod organizations;
pub mod privacy;
pub mod proposals;
pub mod recipient_imports;
pub mod recipients;
pub mod referrals;
pub mod service_plans;
pub mod service_types;
pub mod sessions;
pub mod settings;
pub mod townships;
pub mod users;
pub mod village_options;
pub mod villages;
pub mod visits;

use crate::{
    domain::locale::Locale,
    errors::{AppError, AppResult},
    web::render::form_errors,
};
use axum::response::Response;
use serde_json::Value;

/// Page data: `a` with the fields of `b` added.
#[must_use]
pub fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

/// Out of the caller's scope looks exactly like missing.
///
/// # Errors
/// `NotFound` when `allowed` is false.
pub const fn require(allowed: bool) -> AppResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Separates field errors (the form is shown again with their translated
/// messages) from every other error (an error page).
///
/// # Errors
/// Errors other than field errors.
pub fn invalid_or<T>(result: AppResult<T>, lang: Locale) -> AppResult<Result<T, Value>> {
    match result {
        Ok(v) => Ok(Ok(v)),
        Err(e @ AppError::Invalid(_)) => Ok(Err(form_errors(&e, lang))),
        Err(e) => Err(e),
    }
}

/// After a form post: on success `ok`, on field errors the form again
/// (`invalid` gets the translated errors), anything else is an error page.
///
/// # Errors
/// Errors other than field errors.
pub fn form_response<T>(
    result: AppResult<T>,
    lang: Locale,
    ok: impl FnOnce(T) -> Response,
    invalid: impl FnOnce(Value) -> Response,
) -> AppResult<Response> {
    Ok(invalid_or(result, lang)?.map_or_else(invalid, ok))
}
