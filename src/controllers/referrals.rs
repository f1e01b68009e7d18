//! Referrals (转介) from visits: the coordinator's list of needs to act on,
//! and closing one with what was done. Officials read their townships'.
use super::{invalid_or, require};
use crate::{
    errors::AppResult,
    models::referrals,
    views::referrals::{self as view, ReferralJson, ReferralQuery},
    web::{
        input::{pid, QueryParams},
        render::redirect_flash,
        ApiJson, FormData, Page, Viewer,
    },
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use loco_rs::prelude::*;
use serde::Deserialize;

const LIST: &str = "referrals/list.html";

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ReferralQuery>,
) -> AppResult<Response> {
    Ok(Page::new(LIST, view::list_page(&ctx.db, &v.scope, &q).await?).render(&v))
}

#[derive(Debug, Default, Deserialize)]
pub struct CloseForm {
    pub action_note: Option<String>,
}

async fn close(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<CloseForm>,
) -> AppResult<Response> {
    let r = referrals::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_plans())?;
    let result = r.close(&ctx.db, &v.actor, f.action_note.as_deref()).await;
    match invalid_or(result, v.lang)? {
        Ok(_) => Ok(redirect_flash("/referrals", "flash-referral-closed")),
        Err(errors) => Ok(Page::new(
            LIST,
            view::close_failed_page(&ctx.db, &v.scope, r.pid, errors).await?,
        )
        .status(StatusCode::UNPROCESSABLE_ENTITY)
        .render(&v)),
    }
}

async fn api_list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ReferralQuery>,
) -> AppResult<Response> {
    Ok(Json(view::list_json(&ctx.db, &v.scope, &q).await?).into_response())
}

async fn api_close(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(f): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let r = referrals::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_plans())?;
    let note = f.get("action_note").and_then(|n| n.as_str());
    let after = r.close(&ctx.db, &v.actor, note).await?;
    Ok(Json(ReferralJson::new(&after, None, None)).into_response())
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/referrals", get(list))
        .add("/referrals/{pid}/close", post(close))
        .add("/api/v1/referrals", get(api_list))
        .add("/api/v1/referrals/{pid}/close", post(api_close))
}
