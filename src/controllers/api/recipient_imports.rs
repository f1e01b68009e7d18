use super::{created, ok};
use crate::{
    controllers::require,
    errors::AppResult,
    models::recipient_imports,
    views::{
        recipient_imports::{self as view, RecipientImportJson, UPLOAD_LIMIT},
        recipients::Download,
    },
    web::{
        input::{pid, ListQuery, QueryParams},
        Viewer,
    },
};
use axum::{
    extract::{DefaultBodyLimit, Multipart, Path, State},
    response::Response,
};
use loco_rs::prelude::*;

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    Ok(ok(view::list_json(&ctx.db, &v.scope, &q).await?))
}

async fn add(State(ctx): State<AppContext>, v: Viewer, mp: Multipart) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let up = view::read_upload(mp).await?;
    let import = recipient_imports::start(&ctx, &v.scope, &v.actor, v.user.id, up).await?;
    Ok(created(RecipientImportJson::new(
        &import.reload(&ctx.db).await?,
        None,
    )))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let import = recipient_imports::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let report = import.report(&ctx.db).await?;
    Ok(ok(RecipientImportJson::new(&import, Some(report))))
}

async fn apply(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let import = recipient_imports::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let import = import.begin_apply(&ctx).await?.reload(&ctx.db).await?;
    Ok(ok(RecipientImportJson::new(&import, None)))
}

async fn rejected(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path((id, format)): Path<(String, String)>,
) -> AppResult<Download> {
    let import = recipient_imports::load(&ctx.db, &v.scope, pid(&id)?).await?;
    view::rejected_file(&ctx.db, &v, &import, &format).await
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/v1/recipient_imports")
        .add("/", get(list))
        .add("/", post(add).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)))
        .add("/{pid}", get(show))
        .add("/{pid}/apply", post(apply))
        .add("/{pid}/rejected/{format}", get(rejected))
}
