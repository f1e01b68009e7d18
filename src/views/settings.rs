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
            "webcal": new_feed_url.as_deref().map(webcal),
            "url": new_feed_url,
        })
    });
    Page::new(
        "settings/show.html",
        json!({"errors": {}, "calendar": calendar}),
    )
}

/// The `webcal:` address of a feed (calendar apps subscribe to it): the
/// same address with its scheme replaced.
#[must_use]
pub fn webcal(url: &str) -> String {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    format!("webcal://{rest}")
}

/// The settings page after a password change that failed.
#[must_use]
pub fn password_failed(errors: Value) -> Page {
    Page::new("settings/show.html", json!({ "errors": errors }))
        .status(StatusCode::UNPROCESSABLE_ENTITY)
}

#[cfg(test)]
mod tests {
    use super::webcal;
    use rstest::rstest;

    #[rstest]
    #[case(
        "https://doudi.example/calendar/abc.ics",
        "webcal://doudi.example/calendar/abc.ics"
    )]
    #[case(
        "http://localhost:5150/calendar/abc.ics",
        "webcal://localhost:5150/calendar/abc.ics"
    )]
    fn a_feed_is_subscribed_to_with_webcal(#[case] url: &str, #[case] want: &str) {
        assert_eq!(webcal(url), want);
    }
}
