//! Villages (村/社区), each in a township.
use super::{invalid_or, require};
use crate::{
    errors::{AppError, AppResult},
    models::villages::{self, VillageParams},
    views::places,
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
    Ok(places::village_page(&pair).render(&v))
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

async fn remove(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let (village, town) = villages::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let back = format!("/villages/{}", village.pid);
    match village.remove(&ctx.db, &v.actor).await {
        Ok(()) => Ok(redirect_flash(
            &format!("/townships/{}", town.pid),
            "flash-deleted",
        )),
        Err(AppError::Invalid(_)) => Ok(redirect_flash(&back, "error-in-use")),
        Err(e) => Err(e),
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
