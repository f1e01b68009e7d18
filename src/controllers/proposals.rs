//! Proposals (主动发现): officials confirm or decline the people providers
//! found in outreach; coordinators follow their own. Pages and API.
use super::invalid_or;
use crate::{
    errors::{AppError, AppResult},
    models::proposals::{self, Decision},
    views::proposals::{self as view, ProposalQuery},
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

const LIST: &str = "proposals/list.html";

/// A decision as the form and the API send it.
#[derive(Debug, Default, Deserialize)]
pub struct DecisionForm {
    #[serde(default, deserialize_with = "crate::domain::form::loose")]
    pub decision: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::form::loose")]
    pub note: Option<String>,
}

impl DecisionForm {
    fn decision(&self) -> AppResult<Decision> {
        self.decision
            .as_deref()
            .unwrap_or_default()
            .parse()
            .map_err(|()| AppError::field("decision", "error-choose-decision"))
    }
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ProposalQuery>,
) -> AppResult<Response> {
    let data = view::list_page(&ctx.db, &v.scope, &q, None, serde_json::json!({})).await?;
    Ok(Page::new(LIST, data).render(&v))
}

async fn decide(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<DecisionForm>,
) -> AppResult<Response> {
    let p = proposals::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let result = match f.decision() {
        Ok(d) => {
            p.decide(&ctx.db, &v.scope, &v.actor, d, f.note.as_deref())
                .await
        }
        Err(e) => Err(e),
    };
    match invalid_or(result, v.lang)? {
        Ok(after) => Ok(redirect_flash(
            "/proposals",
            if after.status == "confirmed" {
                "flash-proposal-confirmed"
            } else {
                "flash-proposal-declined"
            },
        )),
        Err(errors) => Ok(Page::new(
            LIST,
            view::list_page(
                &ctx.db,
                &v.scope,
                &ProposalQuery::default(),
                Some(p.pid),
                errors,
            )
            .await?,
        )
        .status(StatusCode::UNPROCESSABLE_ENTITY)
        .render(&v)),
    }
}

async fn api_list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ProposalQuery>,
) -> AppResult<Response> {
    Ok(Json(view::list_json(&ctx.db, &v.scope, &q).await?).into_response())
}

async fn api_decide(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(f): ApiJson<DecisionForm>,
) -> AppResult<Response> {
    let p = proposals::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let after = p
        .decide(
            &ctx.db,
            &v.scope,
            &v.actor,
            f.decision()?,
            f.note.as_deref(),
        )
        .await?;
    Ok(Json(view::one_json(&ctx.db, &after).await?).into_response())
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/proposals", get(list))
        .add("/proposals/{pid}/decision", post(decide))
        .add("/api/v1/proposals", get(api_list))
        .add("/api/v1/proposals/{pid}/decision", post(api_decide))
}
