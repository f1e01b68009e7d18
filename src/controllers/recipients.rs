//! Recipients (救助对象): list with filters and search, detail with the
//! household and history, register and edit, status changes, revealing an
//! ID number (with a reason, audited) and exporting the filtered list.
use super::{invalid_or, require};
use crate::{
    errors::{AppError, AppResult},
    models::{
        recipients::{self, RecipientParams, Registration, RevealParams, StatusParams},
        today,
    },
    vault::Vault,
    views::recipients::{self as view, no_store, ExportParams},
    web::{
        csrf::is_cross_site,
        input::{pid, ListQuery, QueryParams},
        render::redirect_flash,
        FormData, Page, Viewer,
    },
};
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use loco_rs::prelude::*;
use serde::Deserialize;

const LIST: &str = "recipients/list.html";
const RESULTS: &str = "recipients/_results.html";
const FORM: &str = "recipients/form.html";
const REVEAL: &str = "recipients/reveal.html";

fn saved(r: &recipients::Model) -> Response {
    let flash = if r.registry == "proposed" {
        "flash-proposed"
    } else {
        "flash-saved"
    };
    redirect_flash(&format!("/recipients/{}", r.pid), flash)
}

/// The form again, with its field errors.
fn form_again(data: serde_json::Value, v: &Viewer) -> Response {
    Page::new(FORM, data)
        .status(StatusCode::UNPROCESSABLE_ENTITY)
        .render(v)
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    headers: HeaderMap,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let (data, status) = view::list_page(&ctx.db, &v, &q, is_cross_site(&headers)).await?;
    // Search as you type swaps the results region only; htmx swaps 2xx
    // answers, so a refused search shows its reason there with a 200.
    let page = if view::wants_results(&headers) {
        Page::new(RESULTS, data)
    } else {
        Page::new(LIST, data).status(status)
    };
    Ok(view::vary_on_htmx(page.render(&v)))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let data = view::show_page(&ctx.db, &v, &r).await?;
    Ok(Page::new("recipients/show.html", data).render(&v))
}

#[derive(Debug, Default, Deserialize)]
struct NewQuery {
    household: Option<String>,
    township: Option<String>,
    /// A name a search found nobody for.
    name: Option<String>,
}

async fn new(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<NewQuery>,
) -> AppResult<Response> {
    require(v.scope.may_add_recipients())?;
    let data = view::new_form(
        &ctx.db,
        &v.scope,
        q.household.as_deref(),
        q.township,
        q.name,
    )
    .await?;
    Ok(Page::new(FORM, data).render(&v))
}

/// The register form as typed, with the villages of the township chosen:
/// what a browser without JavaScript posts to list them (nothing is saved).
async fn refresh(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(p): FormData<RecipientParams>,
) -> AppResult<Response> {
    require(v.scope.may_add_recipients())?;
    let data = view::add_form_again(&ctx.db, &v.scope, &p, serde_json::json!({})).await?;
    Ok(Page::new(FORM, data).render(&v))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(p): FormData<RecipientParams>,
) -> AppResult<Response> {
    require(v.scope.may_add_recipients())?;
    let vault = Vault::of(&ctx)?;
    let result = Registration::register(&ctx.db, &v.scope, &v.actor, &vault, &p, today()).await;
    match invalid_or(result, v.lang)? {
        Ok(r) => Ok(saved(&r)),
        Err(errors) => Ok(form_again(
            view::add_form_again(&ctx.db, &v.scope, &p, errors).await?,
            &v,
        )),
    }
}

async fn edit(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_edit_recipient(&r))?;
    Ok(Page::new(FORM, view::edit_form(&ctx.db, &v.scope, &r).await?).render(&v))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(p): FormData<RecipientParams>,
) -> AppResult<Response> {
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_edit_recipient(&r))?;
    let vault = Vault::of(&ctx)?;
    let result = r
        .clone()
        .apply_edit(&ctx.db, &v.actor, &vault, &p, today())
        .await;
    match invalid_or(result, v.lang)? {
        Ok(r) => Ok(saved(&r)),
        Err(errors) => Ok(form_again(
            view::edit_form_again(&ctx.db, &v.scope, &r, &p, errors).await?,
            &v,
        )),
    }
}

async fn change_status(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(p): FormData<StatusParams>,
) -> AppResult<Response> {
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_change_status(&r))?;
    let back = format!("/recipients/{}", r.pid);
    match r.change_status_to(&ctx.db, &v.actor, &p, today()).await {
        Ok(r) => Ok(saved(&r)),
        Err(AppError::Invalid(e)) => {
            Ok(redirect_flash(&back, e.first().unwrap_or("error-required")))
        }
        Err(e) => Err(e),
    }
}

async fn reveal_form(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(
        v.scope
            .may_reveal_id(recipients::served_now(&ctx.db, &v.scope, &r).await?),
    )?;
    Ok(Page::new(REVEAL, view::reveal_page(&r, None, None)).render(&v))
}

async fn reveal(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(p): FormData<RevealParams>,
) -> AppResult<Response> {
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(
        v.scope
            .may_reveal_id(recipients::served_now(&ctx.db, &v.scope, &r).await?),
    )?;
    let vault = Vault::of(&ctx)?;
    let reason = p.reason.as_deref().unwrap_or("");
    let result = r.reveal(&ctx.db, &v.actor, &vault, reason).await;
    Ok(no_store(match invalid_or(result, v.lang)? {
        Ok(id) => Page::new(REVEAL, view::reveal_page(&r, None, Some(id.as_str()))).render(&v),
        Err(errors) => Page::new(REVEAL, view::reveal_page(&r, Some(errors), None))
            .status(StatusCode::UNPROCESSABLE_ENTITY)
            .render(&v),
    }))
}

async fn export_form(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(p): FormData<ExportParams>,
) -> AppResult<Response> {
    match view::export(&ctx, &v, &p).await {
        Ok(file) => Ok(file.into_response()),
        Err(AppError::Invalid(_)) => {
            let back = format!("/recipients?{}", p.query.without_page());
            Ok(redirect_flash(&back, "error-export-reason"))
        }
        Err(e) => Err(e),
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/recipients", get(list))
        .add("/recipients", post(add))
        .add("/recipients/new", get(new))
        .add("/recipients/new", post(refresh))
        .add("/recipients/export", post(export_form))
        .add("/recipients/{pid}", get(show))
        .add("/recipients/{pid}", post(update))
        .add("/recipients/{pid}/edit", get(edit))
        .add("/recipients/{pid}/status", post(change_status))
        .add("/recipients/{pid}/reveal", get(reveal_form))
        .add("/recipients/{pid}/reveal", post(reveal))
}
