//! Cross-site request protection for cookie-authenticated forms: on every
//! unsafe method, the browser's `Sec-Fetch-Site` (or, from older browsers,
//! `Origin`) must say the request came from this site. Requests that carry
//! no cookie session but a bearer token cannot be forged cross-site and pass.
use crate::errors::AppError;
use axum::{
    extract::Request,
    http::{header, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};

fn host_of(origin: &str) -> Option<&str> {
    let rest = origin.split_once("://").map(|(_, r)| r)?;
    Some(rest.split('/').next().unwrap_or(rest))
}

/// Whether an unsafe request is same-site, judging by the headers a browser
/// always sends.
#[must_use]
pub fn is_same_site(req: &Request) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        return host.is_some() && host_of(origin) == host;
    }
    // Neither header: not a browser form post (curl, a native app). Without
    // a session cookie there is nothing to ride on.
    !super::session::has_session_cookie(headers)
}

/// Whether a request says it came from another site (a link or form
/// there): for GETs that would still write, such as an audited search.
#[must_use]
pub fn is_cross_site(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|s| s == "cross-site")
}

pub async fn protect(req: Request, next: Next) -> Response {
    let safe = matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    let bearer = req.headers().contains_key(header::AUTHORIZATION)
        && !super::session::has_session_cookie(req.headers());
    if safe || bearer || is_same_site(&req) {
        next.run(req).await
    } else {
        AppError::Forbidden.into_response()
    }
}
