//! Signing in and out of the web pages.
use crate::{
    errors::{AppError, AppResult},
    models::users,
    views::sessions::sign_in_page,
    web::{
        input::QueryParams,
        render::redirect_flash,
        session::{expired_cookie, session_cookie, SESSION_COOKIE},
        FormData, Guest, Viewer,
    },
};
use axum::{
    extract::State,
    http::{header, HeaderValue},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::Cookie;
use loco_rs::prelude::*;
use serde::Deserialize;

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

async fn new(g: Guest, QueryParams(q): QueryParams<NextQuery>) -> Response {
    sign_in_page("", &safe_next(q.next.as_deref()), None, g.lang).render_guest(&g)
}

/// `res` setting `cookie` too.
fn with_cookie(mut res: Response, cookie: &Cookie<'_>) -> Response {
    if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

async fn add(
    State(ctx): State<AppContext>,
    g: Guest,
    FormData(f): FormData<LoginForm>,
) -> AppResult<Response> {
    let next = safe_next(f.next.as_deref());
    match users::sign_in_with_token(&ctx.db, &ctx.config, &g.actor, &f.email, &f.password).await {
        Ok((_, token, expiration)) => Ok(with_cookie(
            Redirect::to(&next).into_response(),
            &session_cookie(token, g.secure_cookies(), expiration),
        )),
        Err(e @ (AppError::BadCredentials | AppError::TooManyAttempts)) => {
            Ok(sign_in_page(&f.email, &next, Some(&e), g.lang).render_guest(&g))
        }
        Err(e) => Err(e),
    }
}

async fn remove(State(ctx): State<AppContext>, v: Viewer) -> AppResult<Response> {
    v.user.clone().sign_out(&ctx.db, &v.actor).await?;
    let res = redirect_flash("/login", "flash-signed-out");
    Ok(with_cookie(res, &expired_cookie(SESSION_COOKIE)))
}

/// The sign-in throttle of the configuration (tests name it here).
#[must_use]
pub fn throttle(ctx: &AppContext) -> crate::models::sign_in_failures::Throttle {
    users::sign_in_throttle(&ctx.config)
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
