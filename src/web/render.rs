//! Tera pages. Every page gets `lang`, `me` (the signed-in user or null),
//! `nav` (which sections the role may open), `flash` and `path`.
use crate::{
    domain::locale::Locale,
    errors::AppError,
    i18n::t,
    web::session::{expired_cookie, flash_cookie, Guest, Viewer, FLASH_COOKIE},
};
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
};
use serde_json::{json, Value};
use std::sync::OnceLock;

const VIEWS: &str = "assets/views/**/*.html";

static TERA: OnceLock<Result<tera::Tera, String>> = OnceLock::new();

/// `{{ time | local }}`: an RFC 3339 time as `YYYY-MM-DD HH:MM` in
/// Asia/Shanghai; anything else unchanged.
fn local_time(value: &str, _: tera::Kwargs, _: &tera::State) -> String {
    chrono::DateTime::parse_from_rfc3339(value).map_or_else(
        |_| value.to_string(),
        |t| {
            t.with_timezone(&crate::zone::display())
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        },
    )
}

fn build() -> Result<tera::Tera, String> {
    let mut tera = tera::Tera::default();
    crate::i18n::register(&mut tera);
    tera.register_filter("local", local_time);
    tera.register_function("plan_words", crate::views::service_plans::plan_words_fn);
    tera.load_from_glob(VIEWS).map_err(|e| format!("{e:?}"))?;
    Ok(tera)
}

/// Loads the templates once; a broken template stops the start-up.
///
/// # Errors
/// The template error.
pub fn init() -> Result<(), String> {
    TERA.get_or_init(build)
        .as_ref()
        .map(|_| ())
        .map_err(Clone::clone)
}

/// A template without the page around it (htmx partials); `ctx` needs
/// `lang`.
///
/// # Errors
/// Template errors.
pub fn render_partial(template: &str, ctx: &Value) -> Result<String, String> {
    render_raw(template, ctx)
}

fn render_raw(template: &str, ctx: &Value) -> Result<String, String> {
    let tera = TERA.get_or_init(build).as_ref().map_err(Clone::clone)?;
    let context = tera::Context::from_serialize(ctx).map_err(|e| format!("{e:?}"))?;
    tera.render(template, &context)
        .map_err(|e| format!("{e:?}"))
}

/// A page to render: template, data and status.
pub struct Page {
    template: &'static str,
    data: Value,
    status: StatusCode,
}

impl Page {
    #[must_use]
    pub fn new(template: &'static str, data: Value) -> Self {
        Self {
            template,
            data,
            status: StatusCode::OK,
        }
    }

    #[must_use]
    pub const fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    fn finish(
        self,
        lang: Locale,
        me: Value,
        nav: Value,
        flash: Option<&str>,
        path: &str,
    ) -> Response {
        let mut ctx = json!({
            "lang": lang.as_str(),
            "me": me,
            "nav": nav,
            "flash": flash.map(|k| t(lang, k)),
            "path": path,
        });
        if let (Some(base), Value::Object(extra)) = (ctx.as_object_mut(), self.data) {
            base.extend(extra);
        }
        let mut res = match render_raw(self.template, &ctx) {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(e) => {
                return AppError::Internal(format!("template {}: {e}", self.template))
                    .into_response()
            }
        };
        if flash.is_some() {
            if let Ok(v) = HeaderValue::from_str(&expired_cookie(FLASH_COOKIE).to_string()) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        res
    }

    /// Renders for a signed-in user.
    #[must_use]
    pub fn render(self, v: &Viewer) -> Response {
        let me = json!({
            "pid": v.user.pid,
            "name": v.user.name,
            "email": v.user.email,
            "role": v.user.role,
            "volunteer": v.user.volunteer,
        });
        let allowed = nav_allowed(v);
        let role = v.scope.role();
        let current = crate::domain::nav::current(role, &allowed, &v.path);
        let tabs: Vec<Value> = crate::domain::nav::tabs(role, &allowed)
            .into_iter()
            .map(|s| json!({"name": s.name(), "href": s.href(), "key": s.tab_key(), "current": Some(s) == current}))
            .collect();
        let mut nav = json!(allowed);
        if let Some(m) = nav.as_object_mut() {
            m.insert("manage_places".into(), json!(v.scope.may_manage_places()));
            m.insert("tabs".into(), json!(tabs));
        }
        self.finish(v.lang, me, nav, v.flash.as_deref(), &v.path)
    }

    /// Renders for a visitor who is not signed in.
    #[must_use]
    pub fn render_guest(self, g: &Guest) -> Response {
        self.finish(g.lang, Value::Null, json!({}), g.flash.as_deref(), &g.path)
    }
}

/// The sections the caller may open (`nav` in every page).
#[must_use]
pub fn nav_allowed(v: &Viewer) -> crate::domain::nav::Allowed {
    use crate::policy::Visible;
    crate::domain::nav::Allowed {
        townships: !matches!(v.scope.townships(), Visible::Nothing),
        organizations: !matches!(v.scope.organizations(), Visible::Nothing),
        users: v.scope.may_create_users() || v.scope.is_admin(),
        audit: v.scope.is_admin(),
        recipients: !matches!(v.scope.recipients(), Visible::Nothing),
        proposals: !matches!(v.scope.proposals(), Visible::Nothing),
        handover: v.scope.own_organization().is_some(),
        imports: v.scope.may_register_recipients(),
        plans: !matches!(v.scope.service_plans(), Visible::Nothing),
        board: v.scope.may_plan(),
        referrals: !matches!(v.scope.referrals(), Visible::Nothing),
        contracts: !matches!(v.scope.contracts(), Visible::Nothing),
        my_week: v.user.role == crate::domain::role::Role::Worker.as_str(),
    }
}

/// Redirects (303) and shows `flash_key` once on the next page.
#[must_use]
pub fn redirect_flash(to: &str, flash_key: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(&flash_cookie(flash_key).to_string()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// The page for an error that is not a form's field error.
#[must_use]
pub fn error_page(lang: Locale, err: &AppError) -> Response {
    let ctx = json!({
        "lang": lang.as_str(),
        "me": Value::Null,
        "nav": {},
        "flash": Value::Null,
        "path": "",
        "status": err.status().as_u16(),
        "message": t(lang, err.message_key()),
        "fields": crate::web::errors::json_body(err, lang).get("errors").cloned().unwrap_or(Value::Null),
    });
    let body = render_raw("errors/error.html", &ctx).unwrap_or_else(|e| {
        tracing::error!(error = %e, "error page failed to render");
        t(lang, err.message_key())
    });
    (err.status(), Html(body)).into_response()
}

/// Field errors of a form as `{"field": ["translated message"]}` for the
/// template.
#[must_use]
pub fn form_errors(err: &AppError, lang: Locale) -> Value {
    crate::web::errors::json_body(err, lang)
        .get("errors")
        .cloned()
        .unwrap_or_else(|| json!({ "base": [t(lang, err.message_key())] }))
}
