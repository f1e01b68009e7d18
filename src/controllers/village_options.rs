//! The village options of a township: what a township select loads into
//! its village select in place (htmx), on the registration forms and the
//! list filters. Blank or malformed townships give no villages; one
//! outside the caller's scope is not found.
use crate::{
    errors::AppResult,
    views::recipients as view,
    web::{input::QueryParams, Viewer},
};
use axum::{
    extract::State,
    response::{Html, IntoResponse, Response},
};
use loco_rs::prelude::*;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
struct OptionsQuery {
    township: Option<String>,
    /// `all` for a list filter ("all villages"), else a form's "choose".
    blank: Option<String>,
    /// The village to keep selected when it is in the list.
    village: Option<String>,
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<OptionsQuery>,
) -> AppResult<Response> {
    let villages = view::village_choices(&ctx.db, &v.scope, q.township.as_deref()).await?;
    let html =
        view::village_options_html(v.lang, &villages, q.blank.as_deref(), q.village.as_deref())?;
    Ok(Html(html).into_response())
}

pub fn routes() -> Routes {
    Routes::new().add("/villages/options", get(list))
}
