//! Importing the official roster: upload, progress and dry-run report,
//! apply, and the rejected rows as a file to fix and upload again.
use super::{require, villages::township_of};
use crate::{
    errors::{AppError, AppResult},
    i18n::t,
    models::{
        organizations,
        recipient_imports::{self, ImportParams, ImportState, NewImport, Report},
        townships,
    },
    sheets,
    views::{recipients::RecipientImportJson, OrganizationJson, TownshipJson},
    web::{
        input::{pid, ListQuery, QueryParams},
        render::{form_errors, redirect_flash},
        Page, Viewer,
    },
};
use axum::{
    extract::{DefaultBodyLimit, Multipart, Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use loco_rs::prelude::*;
use serde_json::json;

/// Room for a 20 MB file plus the form around it; larger uploads are
/// refused while they arrive, with the form's message.
pub const UPLOAD_LIMIT: usize = sheets::MAX_FILE_BYTES + 1024 * 1024;

/// An upload: the form's text fields and the file.
#[derive(Debug, Default)]
pub struct Upload {
    pub params: ImportParams,
    pub file_name: Option<String>,
    pub content: Option<Vec<u8>>,
}

/// Reads a multipart upload; a body over the limit or broken on the way
/// becomes a field error on `file`.
///
/// # Errors
/// Field errors.
pub async fn read_upload(mut mp: Multipart) -> AppResult<Upload> {
    let too_large = || AppError::field("file", "error-file-too-large");
    let mut up = Upload::default();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(too_large()),
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().map(str::to_string);
            let bytes = field.bytes().await.map_err(|_| too_large())?;
            if bytes.len() > sheets::MAX_FILE_BYTES {
                return Err(too_large());
            }
            if !bytes.is_empty() {
                up.file_name = file_name;
                up.content = Some(bytes.to_vec());
            }
        } else {
            let text = field.text().await.map_err(|_| too_large())?;
            let value = Some(text.trim().to_string()).filter(|s| !s.is_empty());
            match name.as_str() {
                "township" => up.params.township = value,
                "roster" => up.params.roster = value,
                "organization" => up.params.organization = value,
                _ => {}
            }
        }
    }
    Ok(up)
}

/// Checks an upload and starts its dry run.
///
/// # Errors
/// Field errors; database errors.
pub async fn start(
    ctx: &AppContext,
    v: &Viewer,
    up: Upload,
) -> AppResult<recipient_imports::Model> {
    require(v.scope.may_register_recipients())?;
    let town = township_of(&ctx.db, &v.scope, up.params.township.as_deref()).await?;
    let organization_id = match v.scope.own_organization() {
        Some(o) => Some(o),
        None => match up.params.organization.as_deref().map(pid) {
            Some(Ok(p)) => Some(organizations::load(&ctx.db, &v.scope, p).await?.id),
            Some(Err(_)) => {
                return Err(AppError::field("organization", "error-choose-organization"))
            }
            None => None,
        },
    };
    let new = NewImport::parse(
        town.map(|t| t.id),
        organization_id,
        up.params.roster.as_deref(),
        up.file_name.as_deref(),
        up.content,
    )?;
    let import = recipient_imports::Model::create(&ctx.db, &v.actor, v.user.id, new).await?;
    import.check_later(ctx).await?;
    Ok(import)
}

async fn page(
    ctx: &AppContext,
    v: &Viewer,
    form: serde_json::Value,
    errors: serde_json::Value,
    status: StatusCode,
    page_no: &ListQuery,
) -> AppResult<Response> {
    let (rows, info) = recipient_imports::list(&ctx.db, &v.scope, page_no.page()).await?;
    let items: Vec<RecipientImportJson> = rows
        .iter()
        .map(|m| RecipientImportJson::new(m, None))
        .collect();
    let towns: Vec<TownshipJson> = townships::options(&ctx.db, &v.scope)
        .await?
        .iter()
        .map(TownshipJson::from)
        .collect();
    let orgs: Vec<OrganizationJson> = if v.scope.is_admin() {
        organizations::options(&ctx.db, &v.scope)
            .await?
            .iter()
            .map(OrganizationJson::from)
            .collect()
    } else {
        Vec::new()
    };
    Ok(Page::new(
        "recipient_imports/list.html",
        json!({
            "items": items, "page": info, "base_query": page_no.without_page(),
            "townships": towns, "organizations": orgs, "form": form, "errors": errors,
            "max_mb": sheets::MAX_FILE_BYTES / 1024 / 1024,
        }),
    )
    .status(status)
    .render(v))
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    page(&ctx, &v, json!({}), json!({}), StatusCode::OK, &q).await
}

async fn add(State(ctx): State<AppContext>, v: Viewer, mp: Multipart) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let (result, form) = match read_upload(mp).await {
        Ok(up) => {
            let form = json!({"township": up.params.township, "roster": up.params.roster, "organization": up.params.organization});
            (start(&ctx, &v, up).await, form)
        }
        Err(e) => (Err(e), json!({})),
    };
    match result {
        Ok(import) => Ok(redirect_flash(
            &format!("/recipient_imports/{}", import.pid),
            "flash-import-started",
        )),
        Err(e @ AppError::Invalid(_)) => {
            page(
                &ctx,
                &v,
                form,
                form_errors(&e, v.lang),
                StatusCode::UNPROCESSABLE_ENTITY,
                &ListQuery::default(),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let import = recipient_imports::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let busy = matches!(
        import.state(),
        ImportState::Checking | ImportState::Applying
    );
    let report = if busy {
        None
    } else {
        Some(import.report(&ctx.db).await?)
    };
    let problems = report.as_ref().map(|r| translated_problems(&v, r));
    let vanished = match &report {
        Some(r) if !r.vanished.is_empty() => vanished_people(&ctx, &v, r).await?,
        _ => Vec::new(),
    };
    Ok(Page::new(
        "recipient_imports/show.html",
        json!({
            "import": RecipientImportJson::new(&import, None),
            "busy": busy,
            "ignored_columns": report.as_ref().map(|r| r.ignored_columns.clone()),
            "problems": problems,
            "problems_total": report.as_ref().map_or(0, |r| r.problems_total),
            "vanished": vanished,
        }),
    )
    .render(&v))
}

fn translated_problems(v: &Viewer, r: &Report) -> Vec<serde_json::Value> {
    r.problems
        .iter()
        .map(|p| {
            let mut message = t(v.lang, &p.message);
            if let Some(o) = p.other_row {
                message = format!("{message} ({} {o})", t(v.lang, "import-row"));
            }
            json!({"row": p.row, "column": p.column, "message": message})
        })
        .collect()
}

async fn vanished_people(
    ctx: &AppContext,
    v: &Viewer,
    r: &Report,
) -> AppResult<Vec<serde_json::Value>> {
    use crate::models::recipients;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let ids: Vec<uuid::Uuid> = r.vanished.iter().take(500).copied().collect();
    let Some(q) = crate::models::scoped(recipients::Entity::find(), v.scope.recipients()) else {
        return Ok(Vec::new());
    };
    Ok(q.filter(recipients::Column::Pid.is_in(ids))
        .limit(500)
        .all(&ctx.db)
        .await?
        .iter()
        .map(
            |m| json!({"pid": m.pid, "name": m.name, "id_number": m.id_masked, "status": m.status}),
        )
        .collect())
}

async fn apply(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let import = recipient_imports::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let back = format!("/recipient_imports/{}", import.pid);
    match import.start_apply(&ctx.db).await {
        Ok(import) => {
            import.apply_later(&ctx).await?;
            Ok(redirect_flash(&back, "flash-import-applying"))
        }
        Err(AppError::Invalid(_)) => Ok(redirect_flash(&back, "error-import-not-ready")),
        Err(e) => Err(e),
    }
}

/// The rejected rows as they were, with a column naming the problems, in
/// the format asked for (`csv` or `xlsx`).
///
/// # Errors
/// `NotFound` when out of scope.
pub async fn rejected_file(
    ctx: &AppContext,
    v: &Viewer,
    id: &str,
    format: &str,
) -> AppResult<Response> {
    let import = recipient_imports::load(&ctx.db, &v.scope, pid(id)?).await?;
    let report = import.report(&ctx.db).await?;
    let mut header = report.header.clone();
    header.push(t(v.lang, "import-problems"));
    let mut rows = vec![header];
    for r in &report.rejected {
        let mut cells = r.cells.clone();
        cells.resize(report.header.len(), String::new());
        let reasons: Vec<String> = r
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.column, t(v.lang, &p.message)))
            .collect();
        cells.push(reasons.join("; "));
        rows.push(cells);
    }
    let (body, mime, ext) = if format == "xlsx" {
        (
            sheets::write_xlsx("rejected", &rows).map_err(AppError::Internal)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    } else {
        (sheets::write_csv(&rows), "text/csv; charset=utf-8", "csv")
    };
    crate::models::audit_logs::record_download(
        &ctx.db,
        &v.actor,
        crate::models::audit_logs::Action::Export,
        "recipient_imports",
        Some(import.pid),
        &json!({"file": format!("rejected.{ext}"), "rows": report.rejected.len()}),
    )
    .await?;
    let name = format!("attachment; filename=\"rejected-{}.{ext}\"", import.pid);
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, name),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response())
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
        .add("/recipient_imports", get(list))
        .add(
            "/recipient_imports",
            post(add).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .add("/recipient_imports/{pid}", get(show))
        .add("/recipient_imports/{pid}/apply", post(apply))
        .add("/recipient_imports/{pid}/rejected/{format}", get(rejected))
}
