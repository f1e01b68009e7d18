//! Importing the official roster: upload, progress and dry-run report,
//! apply, and the rejected rows as a file to fix and upload again.
use super::{invalid_or, require};
use crate::{
    errors::{AppError, AppResult},
    models::recipient_imports,
    views::{
        recipient_imports::{self as view, UPLOAD_LIMIT},
        recipients::Download,
    },
    web::{
        input::{pid, ListQuery, QueryParams},
        render::redirect_flash,
        Page, Viewer,
    },
};
use axum::{
    extract::{DefaultBodyLimit, Multipart, Path, State},
    http::StatusCode,
    response::Response,
};
use loco_rs::prelude::*;

const LIST: &str = "recipient_imports/list.html";

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    Ok(Page::new(LIST, view::list_page(&ctx.db, &v.scope, &q).await?).render(&v))
}

async fn add(State(ctx): State<AppContext>, v: Viewer, mp: Multipart) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let (result, form) = view::upload(&ctx, &v, mp).await;
    match invalid_or(result, v.lang)? {
        Ok(import) => Ok(redirect_flash(
            &format!("/recipient_imports/{}", import.pid),
            "flash-import-started",
        )),
        Err(errors) => Ok(Page::new(
            LIST,
            view::upload_again(&ctx.db, &v.scope, form, errors).await?,
        )
        .status(StatusCode::UNPROCESSABLE_ENTITY)
        .render(&v)),
    }
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let import = recipient_imports::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let data = view::show_page(&ctx.db, &v, &import).await?;
    Ok(Page::new("recipient_imports/show.html", data).render(&v))
}

async fn apply(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let import = recipient_imports::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let back = format!("/recipient_imports/{}", import.pid);
    match import.begin_apply(&ctx).await {
        Ok(_) => Ok(redirect_flash(&back, "flash-import-applying")),
        Err(AppError::Invalid(_)) => Ok(redirect_flash(&back, "error-import-not-ready")),
        Err(e) => Err(e),
    }
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
        .add("/recipient_imports", get(list))
        .add(
            "/recipient_imports",
            post(add).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .add("/recipient_imports/{pid}", get(show))
        .add("/recipient_imports/{pid}/apply", post(apply))
        .add("/recipient_imports/{pid}/rejected/{format}", get(rejected))
}
