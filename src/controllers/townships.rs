//! Townships (乡镇/街道): admins manage them; officials see their own.
use super::{form_response, invalid_or, require};
use crate::{
    errors::AppResult,
    models::townships::{self, TownshipParams},
    views::places::{self, ReasonForm},
    web::{
        input::{pid, ListQuery, QueryParams},
        render::redirect_flash,
        FormData, Viewer,
    },
};
use axum::{
    extract::{Path, State},
    response::Response,
};
use loco_rs::prelude::*;

fn saved(t: &townships::Model) -> Response {
    redirect_flash(&format!("/townships/{}", t.pid), "flash-saved")
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    Ok(places::township_list_page(&ctx.db, &v.scope, &q)
        .await?
        .render(&v))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let t = townships::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(places::township_page(&ctx.db, &v.scope, &t, None)
        .await?
        .render(&v))
}

async fn new(v: Viewer) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    Ok(places::township_form(None, &TownshipParams::default(), None).render(&v))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(p): FormData<TownshipParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let result = townships::add(&ctx.db, &v.actor, &p).await;
    form_response(
        result,
        v.lang,
        |t| saved(&t),
        |errors| places::township_form(None, &p, Some(errors)).render(&v),
    )
}

async fn edit(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let t = townships::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(places::township_form(Some(t.pid), &places::township_params(&t), None).render(&v))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(p): FormData<TownshipParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let t = townships::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let at = Some(t.pid);
    let result = t.change(&ctx.db, &v.actor, &p).await;
    form_response(
        result,
        v.lang,
        |t| saved(&t),
        |errors| places::township_form(at, &p, Some(errors)).render(&v),
    )
}

/// Deletes a township for a reason: without one (or in use), its page
/// again with the delete form open and the error (422).
async fn remove(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<ReasonForm>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let t = townships::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let again = t.clone();
    match invalid_or(t.remove(&ctx.db, &v.actor, f.reason()).await, v.lang)? {
        Ok(()) => Ok(redirect_flash("/townships", "flash-deleted")),
        Err(errors) => {
            let deleting = f.again(errors);
            Ok(
                places::township_page(&ctx.db, &v.scope, &again, Some(deleting))
                    .await?
                    .render(&v),
            )
        }
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/townships", get(list))
        .add("/townships", post(add))
        .add("/townships/new", get(new))
        .add("/townships/{pid}", get(show))
        .add("/townships/{pid}", post(update))
        .add("/townships/{pid}/edit", get(edit))
        .add("/townships/{pid}/delete", post(remove))
}
