use super::{created, ok, page};
use crate::{
    controllers::{
        recipient_imports::{read_upload, rejected_file, start, UPLOAD_LIMIT},
        require,
    },
    errors::{AppError, AppResult},
    models::recipient_imports,
    views::recipients::RecipientImportJson,
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
    let (rows, info) = recipient_imports::list(&ctx.db, &v.scope, q.page()).await?;
    Ok(page(
        rows.iter()
            .map(|m| RecipientImportJson::new(m, None))
            .collect(),
        info,
    ))
}

async fn add(State(ctx): State<AppContext>, v: Viewer, mp: Multipart) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let up = read_upload(mp).await?;
    let import = start(&ctx, &v, up).await?;
    let import = recipient_imports::Entity::find_by_id(import.id)
        .one(&ctx.db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(created(RecipientImportJson::new(&import, None)))
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
    let import = import.start_apply(&ctx.db).await?;
    import.apply_later(&ctx).await?;
    let import = recipient_imports::Entity::find_by_id(import.id)
        .one(&ctx.db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(ok(RecipientImportJson::new(&import, None)))
}

async fn rejected(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path((id, format)): Path<(String, String)>,
) -> AppResult<Response> {
    rejected_file(&ctx, &v, &id, &format).await
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
