//! The request span, in place of Loco's `logger` middleware: Loco's span
//! logs the whole URI, which carries calendar feed tokens in the path and
//! export reasons or search terms in the query string. Ours logs the path
//! without its query string, with feed tokens replaced by `[redacted]`.
use axum::{extract::Request, http::Uri, middleware::Next, response::Response, Router};
use loco_rs::{
    app::AppContext, controller::middleware::request_id::LocoRequestId,
    controller::middleware::MiddlewareLayer, environment::Environment,
};
use serde_json::json;
use tracing::Instrument;

/// What the logs may say of a request's address: the path only, with the
/// token of a calendar feed (`/calendar/<token>.ics`) redacted.
#[must_use]
pub fn loggable_path(uri: &Uri) -> String {
    let path = uri.path();
    match path.strip_prefix("/calendar/") {
        Some(rest) if !rest.is_empty() => {
            let suffix = if rest.ends_with(".ics") { ".ics" } else { "" };
            format!("/calendar/[redacted]{suffix}")
        }
        _ => path.to_string(),
    }
}

/// The `logger` middleware (enabled by `server.middlewares.logger.enable`).
pub struct RedactedLogger {
    pub enable: bool,
    pub environment: Environment,
}

impl MiddlewareLayer for RedactedLogger {
    fn name(&self) -> &'static str {
        "logger"
    }

    fn is_enabled(&self) -> bool {
        self.enable
    }

    fn config(&self) -> serde_json::Result<serde_json::Value> {
        Ok(json!({"enable": self.enable, "redacted": true}))
    }

    fn apply(&self, app: Router<AppContext>) -> loco_rs::Result<Router<AppContext>> {
        let env = self.environment.to_string();
        Ok(app.layer(axum::middleware::from_fn(
            move |req: Request, next: Next| {
                let env = env.clone();
                async move { in_span(req, next, &env).await }
            },
        )))
    }
}

async fn in_span(req: Request, next: Next, env: &str) -> Response {
    let request_id = req
        .extensions()
        .get::<LocoRequestId>()
        .map_or_else(|| "req-id-none".to_string(), |r| r.get().to_string());
    let user_agent = req
        .headers()
        .get(axum::http::header::USER_AGENT)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string();
    let span = tracing::error_span!(
        "http-request",
        "http.method" = %req.method(),
        "http.uri" = %loggable_path(req.uri()),
        "http.version" = ?req.version(),
        "http.user_agent" = %user_agent,
        "environment" = %env,
        request_id = %request_id,
    );
    let started = std::time::Instant::now();
    async move {
        let res = next.run(req).await;
        tracing::debug!(
            status = res.status().as_u16(),
            latency_ms = started.elapsed().as_millis(),
            "finished processing request"
        );
        res
    }
    .instrument(span)
    .await
}

#[cfg(test)]
mod tests {
    use super::loggable_path;
    use axum::http::Uri;

    fn p(s: &str) -> String {
        loggable_path(&s.parse::<Uri>().expect("uri"))
    }

    #[test]
    fn logged_paths_carry_no_query_string_and_no_feed_token() {
        assert_eq!(
            p("/calendar/0123456789abcdef0123456789abcdef0123456789abcdef.ics"),
            "/calendar/[redacted].ics"
        );
        assert_eq!(p("/calendar/abc"), "/calendar/[redacted]");
        assert_eq!(p("/calendar/x.ics?a=1"), "/calendar/[redacted].ics");
        assert_eq!(
            p("/api/v1/recipients/export?reveal=1&reason=%E6%9F%A5"),
            "/api/v1/recipients/export"
        );
        assert_eq!(p("/recipients?q=3019"), "/recipients");
        assert_eq!(p("/settings/calendar"), "/settings/calendar");
        assert_eq!(p("/"), "/");
    }
}
