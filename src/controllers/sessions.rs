//! Signing in and out of the web pages.
use crate::{
    errors::{AppError, AppResult},
    models::{sign_in_failures::Throttle, users},
    web::{
        render::{form_errors, redirect_flash},
        session::{expired_cookie, session_cookie, SESSION_COOKIE},
        FormData, Guest, Page, Viewer,
    },
};
use axum::{
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use loco_rs::prelude::*;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct NextQuery {
    pub next: Option<String>,
}

/// One round of percent-decoding; `None` when a `%` is not followed by two
/// hex digits or the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A same-site path: one `/` then a character that is neither `/` nor `\`,
/// and no control character or backslash anywhere.
fn is_local_path(p: &str) -> bool {
    let mut chars = p.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !p.chars().any(|c| c.is_control() || c == '\\')
}

/// Only same-site paths are followed after signing in: the path must be
/// local as typed and after each round of percent-decoding (browsers drop
/// tabs and newlines and read `\` as `/`, so `/%09/evil.example` and
/// `/\evil.example` would leave the site).
fn safe_next(next: Option<&str>) -> String {
    let Some(n) = next else {
        return "/".to_string();
    };
    let mut current = n.to_string();
    for _ in 0..4 {
        if !is_local_path(&current) {
            return "/".to_string();
        }
        match percent_decode(&current) {
            Some(d) if d == current => return n.to_string(),
            Some(d) => current = d,
            None => return "/".to_string(),
        }
    }
    "/".to_string()
}

async fn new(
    g: Guest,
    crate::web::input::QueryParams(q): crate::web::input::QueryParams<NextQuery>,
) -> Response {
    Page::new(
        "sessions/new.html",
        json!({"email": "", "next": safe_next(q.next.as_deref()), "errors": {}}),
    )
    .render_guest(&g)
}

async fn add(
    State(ctx): State<AppContext>,
    g: Guest,
    FormData(f): FormData<LoginForm>,
) -> AppResult<Response> {
    let next = safe_next(f.next.as_deref());
    match users::sign_in(&ctx.db, &throttle(&ctx), &g.actor, &f.email, &f.password).await {
        Ok(user) => {
            let jwt = ctx.config.get_jwt_config().map_err(AppError::from)?;
            let token = user.generate_token(&jwt.secret, jwt.expiration)?;
            let mut res = Redirect::to(&next).into_response();
            let cookie = session_cookie(token, g.secure_cookies(), jwt.expiration);
            if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(res)
        }
        Err(e @ (AppError::BadCredentials | AppError::TooManyAttempts)) => {
            let status = e.status();
            Ok(Page::new(
                "sessions/new.html",
                json!({"email": f.email, "next": next, "errors": form_errors(&e, g.lang)}),
            )
            .status(if status == StatusCode::TOO_MANY_REQUESTS {
                status
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            })
            .render_guest(&g))
        }
        Err(e) => Err(e),
    }
}

async fn remove(State(ctx): State<AppContext>, v: Viewer) -> AppResult<Response> {
    v.user.clone().sign_out(&ctx.db, &v.actor).await?;
    let mut res = redirect_flash("/login", "flash-signed-out");
    if let Ok(c) = HeaderValue::from_str(&expired_cookie(SESSION_COOKIE).to_string()) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// The sign-in throttle from `settings.sign_in_throttle`, or the defaults.
#[must_use]
pub fn throttle(ctx: &AppContext) -> Throttle {
    // The key of the account hashes comes from the JWT secret, which boot
    // requires; a missing one leaves the all-zero key.
    let secret = ctx
        .config
        .get_jwt_config()
        .map(|j| j.secret.clone())
        .unwrap_or_default();
    let mut t = Throttle::default().keyed(secret.as_bytes());
    if let Some(s) = ctx
        .config
        .settings
        .as_ref()
        .and_then(|s| s.get("sign_in_throttle"))
    {
        if let Some(n) = s.get("per_account").and_then(serde_json::Value::as_u64) {
            t.per_account = n;
        }
        if let Some(n) = s.get("per_address").and_then(serde_json::Value::as_u64) {
            t.per_address = n;
        }
        if let Some(n) = s.get("window_minutes").and_then(serde_json::Value::as_i64) {
            t.window = chrono::Duration::minutes(n);
        }
    }
    t
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/login", get(new))
        .add("/login", post(add))
        .add("/logout", post(remove))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn sign_in_follows_only_same_site_paths() {
        for (next, to) in [
            ("/visits/today", "/visits/today"),
            (
                "/recipients?q=%E5%BC%A0&page=2",
                "/recipients?q=%E5%BC%A0&page=2",
            ),
            ("/", "/"),
            ("/a/b%20c", "/a/b%20c"),
            ("/%09/evil.example", "/"),
            ("/\t/evil.example", "/"),
            ("/\tevil", "/"),
            ("/%0a/evil.example", "/"),
            ("/%0D%0A/evil.example", "/"),
            ("/%5Cevil.example", "/"),
            ("/%5cevil.example", "/"),
            ("/%2F/evil.example", "/"),
            ("/%2f/evil.example", "/"),
            ("/%252F/evil.example", "/"),
            ("//evil.example", "/"),
            ("/\\evil.example", "/"),
            ("/ok\\evil", "/"),
            ("https://evil.example", "/"),
            ("https:evil.example", "/"),
            ("javascript:alert(1)", "/"),
            ("evil.example", "/"),
            ("", "/"),
            ("/%zz", "/"),
            ("/%E5", "/"),
        ] {
            assert_eq!(safe_next(Some(next)), to, "{next:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
