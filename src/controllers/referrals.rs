//! Referrals (转介) from visits: the coordinator's list of needs to act on,
//! and closing one with what was done. Officials read their townships'.
use super::{invalid_or, require};
use crate::{
    errors::AppResult,
    models::{
        _entities::{recipients, visits},
        referrals,
    },
    views::recipients::ReferralJson,
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
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ReferralQuery {
    /// `all` shows closed ones too.
    pub show: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

/// The referrals in scope with their recipients and visits, as JSON rows.
async fn rows(
    ctx: &AppContext,
    v: &Viewer,
    q: &ReferralQuery,
) -> AppResult<(Vec<ReferralJson>, crate::domain::pagination::PageInfo)> {
    let (list, info) = referrals::list(
        &ctx.db,
        &v.scope,
        q.show.as_deref() != Some("all"),
        crate::domain::pagination::PageRequest::parse(q.page.as_deref(), q.per_page.as_deref()),
    )
    .await?;
    let people: Vec<i64> = list.iter().filter_map(|r| r.recipient_id).collect();
    let visit_ids: Vec<i64> = list.iter().map(|r| r.visit_id).collect();
    let people = recipients::Entity::find()
        .filter(recipients::Column::Id.is_in(people))
        .all(&ctx.db)
        .await?;
    let visit_pids = visits::Entity::find()
        .filter(visits::Column::Id.is_in(visit_ids))
        .all(&ctx.db)
        .await?;
    Ok((
        list.iter()
            .map(|r| {
                ReferralJson::new(
                    r,
                    r.recipient_id
                        .and_then(|id| people.iter().find(|p| p.id == id)),
                    visit_pids
                        .iter()
                        .find(|x| x.id == r.visit_id)
                        .map(|x| x.pid),
                )
            })
            .collect(),
        info,
    ))
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ReferralQuery>,
) -> AppResult<Response> {
    let (items, page) = rows(&ctx, &v, &q).await?;
    Ok(Page::new(
        "referrals/list.html",
        json!({"items": items, "page": page, "show": q.show, "may_act": v.scope.may_manage_plans(),
               "base_query": format!("show={}", q.show.as_deref().unwrap_or("open"))}),
    )
    .render(&v))
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
    match invalid_or(
        r.close(&ctx.db, &v.actor, f.action_note.as_deref()).await,
        v.lang,
    )? {
        Ok(_) => Ok(redirect_flash("/referrals", "flash-referral-closed")),
        Err(errors) => {
            let (items, page) = rows(&ctx, &v, &ReferralQuery::default()).await?;
            Ok(Page::new(
                "referrals/list.html",
                json!({"items": items, "page": page, "may_act": true, "errors": errors,
                       "failed": r.pid, "base_query": "show=open"}),
            )
            .status(StatusCode::UNPROCESSABLE_ENTITY)
            .render(&v))
        }
    }
}

async fn api_list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ReferralQuery>,
) -> AppResult<Response> {
    let (items, page) = rows(&ctx, &v, &q).await?;
    Ok(crate::controllers::api::page(items, page))
}

async fn api_close(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(f): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let r = referrals::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_plans())?;
    let after = r
        .close(
            &ctx.db,
            &v.actor,
            f.get("action_note").and_then(|n| n.as_str()),
        )
        .await?;
    Ok(Json(ReferralJson::new(&after, None, None)).into_response())
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/referrals", get(list))
        .add("/referrals/{pid}/close", post(close))
        .add("/api/v1/referrals", get(api_list))
        .add("/api/v1/referrals/{pid}/close", post(api_close))
}
