//! Villages (村/社区), each in a township.
use super::{invalid_or, require};
use crate::{
    errors::AppResult,
    models::villages::{self, VillageParams},
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
use uuid::Uuid;

/// The household, recipient and import pages still name these here; they
/// are the township finders of `models::townships`.
pub use crate::models::townships::{
    named as township_of, pid_of_village as township_pid_of_village,
};

/// After a save: the village's page, or the form again with the errors.
async fn saved_or_form(
    ctx: &AppContext,
    v: &Viewer,
    at: Option<Uuid>,
    p: &VillageParams,
    result: AppResult<(villages::Model, crate::models::_entities::townships::Model)>,
) -> AppResult<Response> {
    match invalid_or(result, v.lang)? {
        Ok((village, _)) => Ok(redirect_flash(
            &format!("/villages/{}", village.pid),
            "flash-saved",
        )),
        Err(e) => Ok(places::village_form(&ctx.db, &v.scope, at, p, Some(e))
            .await?
            .render(v)),
    }
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    Ok(places::village_list_page(&ctx.db, &v.scope, &q)
        .await?
        .render(&v))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let pair = villages::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(places::village_page(&pair, None).render(&v))
}

async fn new(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let p = VillageParams {
        township: q.township,
        ..Default::default()
    };
    Ok(places::village_form(&ctx.db, &v.scope, None, &p, None)
        .await?
        .render(&v))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(p): FormData<VillageParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let result = villages::add(&ctx.db, &v.scope, &v.actor, &p).await;
    saved_or_form(&ctx, &v, None, &p, result).await
}

async fn edit(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let pair = villages::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let p = places::village_params(&pair);
    let page = places::village_form(&ctx.db, &v.scope, Some(pair.0.pid), &p, None).await?;
    Ok(page.render(&v))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(p): FormData<VillageParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let (village, _) = villages::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let at = Some(village.pid);
    let result = village.change(&ctx.db, &v.scope, &v.actor, &p).await;
    saved_or_form(&ctx, &v, at, &p, result).await
}

/// Deletes a village for a reason: without one (or in use), its page
/// again with the delete form open and the error (422).
async fn remove(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<ReasonForm>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let pair = villages::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let (village, town) = pair.clone();
    match invalid_or(village.remove(&ctx.db, &v.actor, f.reason()).await, v.lang)? {
        Ok(()) => Ok(redirect_flash(
            &format!("/townships/{}", town.pid),
            "flash-deleted",
        )),
        Err(errors) => Ok(places::village_page(&pair, Some(f.again(errors))).render(&v)),
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/villages", get(list))
        .add("/villages", post(add))
        .add("/villages/new", get(new))
        .add("/villages/{pid}", get(show))
        .add("/villages/{pid}", post(update))
        .add("/villages/{pid}/edit", get(edit))
        .add("/villages/{pid}/delete", post(remove))
}
