//! Who is calling. Pages carry the token in an HttpOnly, SameSite=Lax
//! cookie; the API in `Authorization: Bearer`. A token names the user's pid
//! and token version: signing out bumps the version, which revokes it.
use crate::{
    domain::locale::Locale,
    errors::AppError,
    models::{users, Actor},
    policy::Scope,
    web::errors::LangSlot,
};
use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, HeaderMap},
};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use loco_rs::{
    app::AppContext,
    auth::jwt,
    controller::middleware::{remote_ip::RemoteIP, request_id::LocoRequestId},
};

pub const SESSION_COOKIE: &str = "doudi_session";
pub const LANG_COOKIE: &str = "lang";
pub const FLASH_COOKIE: &str = "doudi_flash";

#[must_use]
pub fn has_session_cookie(headers: &HeaderMap) -> bool {
    CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .is_some()
}

/// What every request has, signed in or not.
#[derive(Debug, Clone)]
pub struct Guest {
    pub lang: Locale,
    pub actor: Actor,
    pub flash: Option<String>,
    /// Path and query of this request, to come back to after signing in.
    pub path: String,
    secure_cookies: bool,
}

/// A signed-in, active user with an unrevoked token.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: users::Model,
    pub scope: Scope,
    pub lang: Locale,
    pub actor: Actor,
    pub flash: Option<String>,
    pub path: String,
    pub secure_cookies: bool,
}

fn settings_flag(ctx: &AppContext, name: &str) -> bool {
    ctx.config
        .settings
        .as_ref()
        .and_then(|s| s.get(name))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

/// The client's address from the source `server.middlewares.remote_ip`
/// configures (`CLIENT_IP_SOURCE` in production): the rightmost
/// `X-Forwarded-For` entry behind one proxy, the socket peer without one.
/// Loco's middleware only puts the configured source into the request;
/// `RemoteIP` is an extractor that has to be asked, which this does. With
/// the middleware off, the socket peer.
async fn client_ip(parts: &mut Parts) -> Option<String> {
    match RemoteIP::from_request_parts(parts, &()).await {
        Ok(RemoteIP::Forwarded(ip) | RemoteIP::Socket(ip)) => Some(ip.to_string()),
        _ => parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string()),
    }
}

impl Guest {
    async fn from_parts(parts: &mut Parts, ctx: &AppContext) -> Self {
        let ip = client_ip(parts).await;
        let jar = CookieJar::from_headers(&parts.headers);
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let lang = Locale::negotiate(None, jar.get(LANG_COOKIE).map(Cookie::value), accept);
        Self {
            lang,
            actor: Actor {
                user_id: None,
                label: String::new(),
                request_id: parts
                    .extensions
                    .get::<LocoRequestId>()
                    .map(|r| r.get().to_string()),
                ip,
            },
            flash: jar.get(FLASH_COOKIE).map(|c| c.value().to_string()),
            path: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_string(), |p| p.as_str().to_string()),
            secure_cookies: settings_flag(ctx, "secure_cookies"),
        }
    }

    #[must_use]
    pub const fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }
}

impl FromRequestParts<AppContext> for Guest {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, ctx: &AppContext) -> Result<Self, AppError> {
        let mut guest = Self::from_parts(parts, ctx).await;
        // A signed-in visitor's own language setting wins on guest pages too.
        if let Ok(viewer) = Viewer::from_guest(parts, ctx, guest.clone()).await {
            guest.lang = viewer.lang;
        }
        if let Some(slot) = parts.extensions.get::<LangSlot>() {
            slot.set(guest.lang);
        }
        Ok(guest)
    }
}

fn token_of(headers: &HeaderMap) -> Option<String> {
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(bearer.trim().to_string());
    }
    CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_string())
}

impl Viewer {
    async fn from_guest(parts: &Parts, ctx: &AppContext, guest: Guest) -> Result<Self, AppError> {
        let token = token_of(&parts.headers).ok_or(AppError::Unauthorized)?;
        let secret = &ctx
            .config
            .get_jwt_config()
            .map_err(|e| AppError::Internal(e.to_string()))?
            .secret;
        let claims = jwt::JWT::new(secret)
            .validate(&token)
            .map_err(|_| AppError::Unauthorized)?
            .claims;
        let pid = uuid::Uuid::parse_str(&claims.pid).map_err(|_| AppError::Unauthorized)?;
        let version = claims.claims.get("tv").and_then(serde_json::Value::as_i64);
        // A user that no longer exists is signed out; a database that cannot
        // be reached is a 503, not the caller's fault (never a 401).
        let user = users::Model::find_by_pid(&ctx.db, pid)
            .await
            .map_err(|e| match e {
                AppError::NotFound => AppError::Unauthorized,
                other => other,
            })?;
        if !user.active || version != Some(user.token_version) {
            return Err(AppError::Unauthorized);
        }
        let townships = users::township_ids(&ctx.db, user.id).await?;
        let scope = Scope::new(&user, townships);
        let cookie = CookieJar::from_headers(&parts.headers);
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let lang = Locale::negotiate(
            user.locale.as_deref(),
            cookie.get(LANG_COOKIE).map(Cookie::value),
            accept,
        );
        let actor = Actor {
            user_id: Some(user.id),
            label: user.email.clone(),
            ..guest.actor
        };
        Ok(Self {
            user,
            scope,
            lang,
            actor,
            flash: guest.flash,
            path: guest.path,
            secure_cookies: guest.secure_cookies,
        })
    }
}

impl FromRequestParts<AppContext> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, ctx: &AppContext) -> Result<Self, AppError> {
        let guest = Guest::from_parts(parts, ctx).await;
        if let Some(slot) = parts.extensions.get::<LangSlot>() {
            slot.set(guest.lang);
        }
        let viewer = Self::from_guest(parts, ctx, guest).await?;
        if let Some(slot) = parts.extensions.get::<LangSlot>() {
            slot.set(viewer.lang);
        }
        Ok(viewer)
    }
}

/// The session cookie for a freshly issued token.
#[must_use]
pub fn session_cookie(token: String, secure: bool, max_age_secs: u64) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(time_secs(max_age_secs))
        .build()
}

/// A cookie that removes `name`.
#[must_use]
pub fn expired_cookie(name: &'static str) -> Cookie<'static> {
    Cookie::build((name, ""))
        .path("/")
        .max_age(time_secs(0))
        .build()
}

/// A short-lived cookie with the Fluent id of a message to show once.
#[must_use]
pub fn flash_cookie(key: &str) -> Cookie<'static> {
    Cookie::build((FLASH_COOKIE, key.to_string()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(time_secs(60))
        .build()
}

/// The language cookie (one year).
#[must_use]
pub fn lang_cookie(lang: Locale) -> Cookie<'static> {
    Cookie::build((LANG_COOKIE, lang.as_str()))
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(time_secs(365 * 24 * 3600))
        .build()
}

fn time_secs(secs: u64) -> cookie::time::Duration {
    cookie::time::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// The signed-in user if there is one (pages anyone may use).
#[derive(Debug, Clone)]
pub struct MaybeViewer(pub Option<Viewer>);

impl FromRequestParts<AppContext> for MaybeViewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, ctx: &AppContext) -> Result<Self, AppError> {
        let guest = Guest::from_parts(parts, ctx).await;
        match Viewer::from_guest(parts, ctx, guest).await {
            Ok(viewer) => Ok(Self(Some(viewer))),
            Err(AppError::Unauthorized) => Ok(Self(None)),
            // Not knowing who is calling because the database is down is
            // not the same as nobody being signed in.
            Err(other) => Err(other),
        }
    }
}
