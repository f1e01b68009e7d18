//! A person's own settings: language and password. The language switch
//! also works before signing in (cookie only).
use super::form_response;
use crate::{
    domain::locale::Locale,
    errors::AppResult,
    views::settings as view,
    web::{
        render::redirect_flash,
        session::{lang_cookie, MaybeViewer},
        FormData, Viewer,
    },
};
use axum::{
    extract::State,
    http::{header, HeaderValue},
    response::{IntoResponse, Redirect, Response},
};
use loco_rs::prelude::*;
use serde::Deserialize;

#[derive(Debug, Deserialize, Default)]
pub struct LanguageForm {
    #[serde(default)]
    pub lang: String,
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct PasswordForm {
    #[serde(default)]
    pub current_password: String,
    #[serde(default)]
    pub new_password: String,
}

async fn show(v: Viewer) -> Response {
    view::page(&v.user, None).render(&v)
}

/// Sets the language cookie, and the signed-in user's setting.
async fn language(
    State(ctx): State<AppContext>,
    MaybeViewer(viewer): MaybeViewer,
    FormData(f): FormData<LanguageForm>,
) -> AppResult<Response> {
    let lang = f.lang.parse::<Locale>().unwrap_or_default();
    if let Some(v) = viewer {
        v.user.set_locale(&ctx.db, &v.actor, lang).await?;
    }
    let next = f
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    let mut res = Redirect::to(&next).into_response();
    if let Ok(c) = HeaderValue::from_str(&lang_cookie(lang).to_string()) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

async fn password(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(f): FormData<PasswordForm>,
) -> AppResult<Response> {
    let result = v
        .user
        .clone()
        .change_password(&ctx.db, &v.actor, &f.current_password, &f.new_password)
        .await;
    form_response(
        result,
        v.lang,
        |_| redirect_flash("/login", "flash-password-changed"),
        |errors| view::password_failed(errors).render(&v),
    )
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/settings", get(show))
        .add("/settings/password", post(password))
        .add("/language", post(language))
}
