use super::ok;
use crate::{
    errors::AppResult,
    models::users,
    views::{TokenJson, UserJson},
    web::{ApiJson, Guest, Viewer},
};
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use loco_rs::prelude::*;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct LoginParams {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
}

/// `POST /api/v1/auth/login` → `{"token": "...", "user": {...}}`.
async fn login(
    State(ctx): State<AppContext>,
    g: Guest,
    ApiJson(p): ApiJson<LoginParams>,
) -> AppResult<Response> {
    let (user, token, _) =
        users::sign_in_with_token(&ctx.db, &ctx.config, &g.actor, &p.email, &p.password).await?;
    let detail = users::load(&ctx.db, &crate::policy::Scope::new(&user, vec![]), user.pid).await?;
    Ok(ok(TokenJson::new(token, &detail)))
}

/// `POST /api/v1/auth/logout`: revokes every token of the caller.
async fn logout(State(ctx): State<AppContext>, v: Viewer) -> AppResult<Response> {
    v.user.sign_out(&ctx.db, &v.actor).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/auth/me`
async fn me(State(ctx): State<AppContext>, v: Viewer) -> AppResult<Response> {
    let detail = users::load(&ctx.db, &v.scope, v.user.pid).await?;
    Ok(ok(UserJson::from(&detail)))
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/v1/auth")
        .add("/login", post(login))
        .add("/logout", post(logout))
        .add("/me", get(me))
}
