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

/// Only same-site paths are followed after signing in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
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
    let mut t = Throttle::default();
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
