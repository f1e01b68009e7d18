//! Renders every `AppError` response in the caller's language: JSON under
//! `/api/`, a page (or a redirect to sign in) elsewhere.
use crate::{
    domain::locale::Locale,
    errors::{AppError, ErrorExtension},
    i18n::t,
    web::render,
};
use axum::{
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
    Json,
};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use std::sync::{Arc, Mutex};

/// Filled by the session extractors with the language they settled on, so
/// that errors raised later in the handler speak it too.
#[derive(Debug, Clone, Default)]
pub struct LangSlot(Arc<Mutex<Option<Locale>>>);

impl LangSlot {
    pub fn set(&self, lang: Locale) {
        if let Ok(mut guard) = self.0.lock() {
            *guard = Some(lang);
        }
    }

    fn get(&self) -> Option<Locale> {
        self.0.lock().ok().and_then(|g| *g)
    }
}

fn header_lang(req: &Request) -> Locale {
    let jar = CookieJar::from_headers(req.headers());
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Locale::negotiate(
        None,
        jar.get(super::session::LANG_COOKIE).map(Cookie::value),
        accept,
    )
}

/// JSON body of an error: `{"errors": {...}}` for field errors, otherwise
/// `{"error": "..."}`.
#[must_use]
pub fn json_body(err: &AppError, lang: Locale) -> serde_json::Value {
    match err {
        AppError::Invalid(fields) => {
            let map: serde_json::Map<String, serde_json::Value> = fields
                .iter()
                .map(|(f, keys)| {
                    let msgs: Vec<String> = keys.iter().map(|k| t(lang, k)).collect();
                    (f.clone(), serde_json::json!(msgs))
                })
                .collect();
            serde_json::json!({ "errors": map })
        }
        AppError::Conflicts(list) => {
            serde_json::json!({ "error": t(lang, err.message_key()), "conflicts": list })
        }
        other => serde_json::json!({ "error": t(lang, other.message_key()) }),
    }
}

pub async fn render_errors(mut req: Request, next: Next) -> Response {
    let slot = LangSlot::default();
    req.extensions_mut().insert(slot.clone());
    let fallback_lang = header_lang(&req);
    let is_api = req.uri().path().starts_with("/api/");
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_string(), |p| p.as_str().to_string());
    let res = next.run(req).await;
    let err = match res.extensions().get::<ErrorExtension>().cloned() {
        Some(ErrorExtension(err)) => err,
        None if is_framework_text(&res) => Arc::new(AppError::rejected(res.status())),
        None => return res,
    };
    let lang = slot.get().unwrap_or(fallback_lang);
    let mut out = if is_api {
        (err.status(), Json(json_body(&err, lang))).into_response()
    } else if matches!(*err, AppError::Unauthorized) {
        let target = format!("/login?next={}", urlencode(&path));
        let mut r = Redirect::to(&target).into_response();
        // A stale or revoked session cookie is removed.
        if let Ok(v) = HeaderValue::from_str(
            &super::session::expired_cookie(super::session::SESSION_COOKIE).to_string(),
        ) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
        r
    } else {
        render::error_page(lang, &err)
    };
    if is_api && err.status() == StatusCode::UNAUTHORIZED {
        out.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    out
}

/// An error status whose body the framework wrote (plain text such as
/// "Failed to deserialize ...", or nothing): ours are pages or JSON.
fn is_framework_text(res: &Response) -> bool {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return false;
    }
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.starts_with("text/plain"))
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|v| v.trim_start_matches('=').to_string())
        .unwrap_or_default()
}
