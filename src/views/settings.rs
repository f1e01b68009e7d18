//! A person's own settings page: language, password and, for workers,
//! the calendar feed.
use crate::{domain::role::Role, models::_entities::users, web::Page};
use axum::http::StatusCode;
use serde_json::{json, Value};

/// The settings page. A feed's address is shown only when it was just
/// made (`new_feed_url`): only the token's hash is kept.
#[must_use]
pub fn page(user: &users::Model, new_feed_url: Option<String>) -> Page {
    let calendar = (user.role == Role::Worker.as_str()).then(|| {
        json!({
            "on": user.calendar_token.is_some() || new_feed_url.is_some(),
            "url": new_feed_url,
        })
    });
    Page::new(
        "settings/show.html",
        json!({"errors": {}, "calendar": calendar}),
    )
}

/// The settings page after a password change that failed.
#[must_use]
pub fn password_failed(errors: Value) -> Page {
    Page::new("settings/show.html", json!({ "errors": errors }))
        .status(StatusCode::UNPROCESSABLE_ENTITY)
}
