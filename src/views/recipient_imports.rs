//! The roster import pages and API answers: the upload form as it arrives,
//! the list, the dry-run report and the rejected rows as a file.
use super::{recipients::Download, ListResponse, OrganizationJson, TownshipJson};
use crate::{
    errors::{AppError, AppResult},
    i18n::t,
    models::{
        _entities::recipient_imports,
        organizations,
        recipient_imports::{self as imports, ImportState, Report, Upload},
        recipients, townships,
    },
    policy::Scope,
    sheets,
    web::{input::ListQuery, Viewer},
};
use axum::extract::Multipart;
use loco_rs::app::AppContext;
use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

type Time = chrono::DateTime<chrono::FixedOffset>;

/// Room for a 20 MB file plus the form around it; larger uploads are
/// refused while they arrive, with the form's message.
pub const UPLOAD_LIMIT: usize = sheets::MAX_FILE_BYTES + 1024 * 1024;

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

#[derive(Debug, Serialize)]
pub struct RecipientImportJson {
    pub pid: Uuid,
    pub file_name: String,
    pub roster: String,
    pub state: String,
    pub total_rows: i64,
    pub processed_rows: i64,
    /// 0-100.
    pub percent: i64,
    pub new: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub vanished: i64,
    pub error: Option<String>,
    pub applied_at: Option<Time>,
    pub created_at: Time,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Report>,
}

impl RecipientImportJson {
    #[must_use]
    pub fn new(m: &recipient_imports::Model, report: Option<Report>) -> Self {
        let percent = if m.total_rows > 0 {
            (m.processed_rows * 100 / m.total_rows).clamp(0, 100)
        } else {
            0
        };
        Self {
            pid: m.pid,
            file_name: m.file_name.clone(),
            roster: m.roster.clone(),
            state: m.state.clone(),
            total_rows: m.total_rows,
            processed_rows: m.processed_rows,
            percent,
            new: m.new_count,
            updated: m.updated_count,
            unchanged: m.unchanged_count,
            rejected: m.rejected_count,
            vanished: m.vanished_count,
            error: m.error.clone(),
            applied_at: m.applied_at,
            created_at: m.created_at,
            report,
        }
    }
}

/// The API list.
///
/// # Errors
/// `NotFound` for callers who may not import.
pub async fn list_json(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ListQuery,
) -> AppResult<ListResponse<RecipientImportJson>> {
    let (rows, page) = imports::list(db, scope, q.page()).await?;
    Ok(ListResponse {
        items: rows
            .iter()
            .map(|m| RecipientImportJson::new(m, None))
            .collect(),
        page,
    })
}

/// The list page with the upload form.
///
/// # Errors
/// As `list_json`.
pub async fn list_page(db: &DatabaseConnection, scope: &Scope, q: &ListQuery) -> AppResult<Value> {
    page(db, scope, q, json!({}), json!({})).await
}

/// The list page with a refused upload's form and field errors.
///
/// # Errors
/// As `list_json`.
pub async fn upload_again(
    db: &DatabaseConnection,
    scope: &Scope,
    form: Value,
    errors: Value,
) -> AppResult<Value> {
    page(db, scope, &ListQuery::default(), form, errors).await
}

async fn page(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ListQuery,
    form: Value,
    errors: Value,
) -> AppResult<Value> {
    let list = list_json(db, scope, q).await?;
    let towns: Vec<TownshipJson> = townships::options(db, scope)
        .await?
        .iter()
        .map(TownshipJson::from)
        .collect();
    let orgs: Vec<OrganizationJson> = if scope.is_admin() {
        organizations::options(db, scope)
            .await?
            .iter()
            .map(OrganizationJson::from)
            .collect()
    } else {
        Vec::new()
    };
    Ok(json!({
        "items": list.items, "page": list.page, "base_query": q.without_page(),
        "townships": towns, "organizations": orgs, "form": form, "errors": errors,
        "max_mb": sheets::MAX_FILE_BYTES / 1024 / 1024,
    }))
}

/// Reads an upload and starts its import; with the result, the form's
/// text fields to show again if it was refused.
pub async fn upload(
    ctx: &AppContext,
    v: &Viewer,
    mp: Multipart,
) -> (AppResult<recipient_imports::Model>, Value) {
    match read_upload(mp).await {
        Ok(up) => {
            let form = json!({"township": up.params.township, "roster": up.params.roster, "organization": up.params.organization});
            let started = imports::start(ctx, &v.scope, &v.actor, v.user.id, up).await;
            (started, form)
        }
        Err(e) => (Err(e), json!({})),
    }
}

/// The import's page: progress, or the report once the job is done.
///
/// # Errors
/// Database errors.
pub async fn show_page(
    db: &DatabaseConnection,
    v: &Viewer,
    import: &recipient_imports::Model,
) -> AppResult<Value> {
    let busy = matches!(
        import.state(),
        ImportState::Checking | ImportState::Applying
    );
    let report = if busy {
        None
    } else {
        Some(import.report(db).await?)
    };
    let problems = report.as_ref().map(|r| translated_problems(v, r));
    let vanished = match &report {
        Some(r) if !r.vanished.is_empty() => vanished_people(db, &v.scope, r).await?,
        _ => Vec::new(),
    };
    Ok(json!({
        "import": RecipientImportJson::new(import, None),
        "busy": busy,
        "ignored_columns": report.as_ref().map(|r| r.ignored_columns.clone()),
        "problems": problems,
        "problems_total": report.as_ref().map_or(0, |r| r.problems_total),
        "vanished": vanished,
    }))
}

fn translated_problems(v: &Viewer, r: &Report) -> Vec<Value> {
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
    db: &DatabaseConnection,
    scope: &Scope,
    r: &Report,
) -> AppResult<Vec<Value>> {
    let ids: Vec<Uuid> = r.vanished.iter().take(500).copied().collect();
    Ok(recipients::in_scope_by_pids(db, scope, ids, 500)
        .await?
        .iter()
        .map(
            |m| json!({"pid": m.pid, "name": m.name, "id_number": m.id_masked, "status": m.status}),
        )
        .collect())
}

/// The rejected rows as they were, with a column naming the problems, in
/// the format asked for (`csv` or `xlsx`); the download is audited.
///
/// # Errors
/// Database errors.
pub async fn rejected_file(
    db: &DatabaseConnection,
    v: &Viewer,
    import: &recipient_imports::Model,
    format: &str,
) -> AppResult<Download> {
    let report = import.report(db).await?;
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
    let stem = format!("rejected-{}", import.pid);
    let file = Download::table("rejected", &stem, &rows, format == "xlsx")?;
    let ext = if format == "xlsx" { "xlsx" } else { "csv" };
    import
        .record_rejected_download(db, &v.actor, ext, report.rejected.len())
        .await?;
    Ok(file)
}
