//! The worker's private calendar feed (`/calendar/<token>.ics`), and the
//! settings actions that turn it on, change its address or turn it off.
use crate::{
    domain::{ical, locale::Locale, role::Role},
    errors::{AppError, AppResult},
    i18n::t,
    models::calendar_feeds,
    web::{render::redirect_flash, Viewer},
};
use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use loco_rs::prelude::*;
use serde_json::json;

/// The absolute address of a feed, from the request's host.
#[must_use]
pub fn feed_url(headers: &HeaderMap, secure: bool, token: &str) -> String {
    let host = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(header::HOST))
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if secure { "https" } else { "http" };
    format!("{scheme}://{host}/calendar/{token}.ics")
}

async fn feed(State(ctx): State<AppContext>, Path(file): Path<String>) -> AppResult<Response> {
    let token = file.strip_suffix(".ics").ok_or(AppError::NotFound)?;
    let label = t(Locale::default(), "calendar-visit");
    let events = calendar_feeds::feed(&ctx.db, token, chrono::Utc::now(), &label)
        .await?
        .ok_or(AppError::NotFound)?;
    let body = ical::render(
        &t(Locale::default(), "calendar-name"),
        &events,
        chrono::Utc::now(),
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        body,
    )
        .into_response())
}

fn may_have_feed(v: &Viewer) -> bool {
    v.user.role == Role::Worker.as_str()
}

/// Makes a new address and shows it, this once, on the settings page.
async fn rotate(
    State(ctx): State<AppContext>,
    v: Viewer,
    headers: HeaderMap,
) -> AppResult<Response> {
    crate::controllers::require(may_have_feed(&v))?;
    let token = calendar_feeds::rotate(&ctx.db, &v.actor, v.user.clone()).await?;
    let url = feed_url(&headers, v.secure_cookies, &token);
    Ok(crate::views::settings::page(&v.user, Some(url)).render(&v))
}

async fn revoke(State(ctx): State<AppContext>, v: Viewer) -> AppResult<Response> {
    crate::controllers::require(may_have_feed(&v))?;
    calendar_feeds::revoke(&ctx.db, &v.actor, v.user.clone()).await?;
    Ok(redirect_flash("/settings", "flash-calendar-off"))
}

async fn api_rotate(
    State(ctx): State<AppContext>,
    v: Viewer,
    headers: HeaderMap,
) -> AppResult<Response> {
    crate::controllers::require(may_have_feed(&v))?;
    let token = calendar_feeds::rotate(&ctx.db, &v.actor, v.user.clone()).await?;
    let url = feed_url(&headers, v.secure_cookies, &token);
    Ok((StatusCode::CREATED, Json(json!({ "url": url }))).into_response())
}

async fn api_revoke(State(ctx): State<AppContext>, v: Viewer) -> AppResult<Response> {
    crate::controllers::require(may_have_feed(&v))?;
    calendar_feeds::revoke(&ctx.db, &v.actor, v.user.clone()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/calendar/{file}", get(feed))
        .add("/settings/calendar", post(rotate))
        .add("/settings/calendar/revoke", post(revoke))
        .add("/api/v1/calendar_feed", post(api_rotate))
        .add("/api/v1/calendar_feed", delete(api_revoke))
}
