//! Contract pages: the contracts in scope; one contract with its terms,
//! items and live fulfilment; the form officials draw drafts up with; the
//! covered recipients.
use super::{invalid_or, require};
use crate::{
    domain::{pagination::PageRequest, publication::Edition},
    errors::{AppError, AppResult},
    models::{
        _entities::recipients,
        acceptances::{self, AcceptanceParams},
        audit_logs::{self, Action},
        callbacks::{self, CallResult},
        contract_amendments, contract_documents as documents, contracts, fulfilment,
        milestones::{self, MilestoneParams},
        payments::{self, PaymentParams},
        service_types::Catalogue,
    },
    views::contracts::{self as shown, contract_json, ContractForm},
    web::{
        input::{pid, ListQuery, QueryParams},
        render::redirect_flash,
        FormData, Page, Viewer,
    },
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use loco_rs::prelude::*;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A contract in scope that the caller may also change; 404 otherwise.
async fn managed(ctx: &AppContext, v: &Viewer, id: &str) -> AppResult<contracts::Model> {
    contracts::managed(&ctx.db, &v.scope, pid(id)?).await
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let (rows, page) = contracts::list(&ctx.db, &v.scope, q.page()).await?;
    let items = shown::load(&ctx.db, &rows).await?;
    Ok(Page::new(
        "contracts/list.html",
        json!({"items": items, "page": page, "base_query": q.without_page(),
               "may_manage": v.scope.may_manage_contracts()}),
    )
    .render(&v))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let (today, now) = (crate::models::today(), chrono::Utc::now());
    let data = shown::show_page(&ctx.db, &v.scope, v.lang, &c, today, now).await?;
    Ok(Page::new("contracts/show.html", data).render(&v))
}

/// The contract form posting to `action`, with `errors` (422) or without.
async fn form(
    ctx: &AppContext,
    v: &Viewer,
    action: &str,
    f: &ContractForm,
    errors: Option<Value>,
) -> AppResult<Response> {
    let status = match errors {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let errors = errors.unwrap_or_else(|| json!({}));
    let data = shown::form_page(&ctx.db, &v.scope, v.lang, action, f, errors).await?;
    Ok(Page::new("contracts/form.html", data)
        .status(status)
        .render(v))
}

async fn new(State(ctx): State<AppContext>, v: Viewer) -> AppResult<Response> {
    require(v.scope.may_manage_contracts())?;
    form(&ctx, &v, "/contracts", &ContractForm::default(), None).await
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(f): FormData<ContractForm>,
) -> AppResult<Response> {
    require(v.scope.may_manage_contracts())?;
    let result = contracts::draw_up(&ctx.db, &v.scope, &v.actor, &f.params()).await;
    match invalid_or(result, v.lang)? {
        Ok(c) => Ok(saved(&c)),
        Err(errors) => form(&ctx, &v, "/contracts", &f, Some(errors)).await,
    }
}

/// To the contract, saying it was saved.
fn saved(c: &contracts::Model) -> Response {
    redirect_flash(&format!("/contracts/{}", c.pid), "flash-saved")
}

async fn edit(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_contracts() && c.status == "draft")?;
    let f = ContractForm::load(&ctx.db, &c).await?;
    form(&ctx, &v, &format!("/contracts/{}", c.pid), &f, None).await
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<ContractForm>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let action = format!("/contracts/{}", c.pid);
    let result = contracts::redraw(&ctx.db, &v.scope, &v.actor, &c, &f.params()).await;
    match invalid_or(result, v.lang)? {
        Ok(c) => Ok(saved(&c)),
        Err(errors) => form(&ctx, &v, &action, &f, Some(errors)).await,
    }
}

#[derive(Debug, Default, Deserialize)]
struct StatusForm {
    status: Option<String>,
}

async fn set_status(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<StatusForm>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let status = f.status.as_deref().unwrap_or_default();
    let result = c.set_status(&ctx.db, &v.actor, status).await;
    back_or(&c, result, "error-contract-status")
}

async fn recipients_page(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let text = ListQuery::get(q.q.as_ref());
    let data = shown::recipients_page(&ctx.db, &v.scope, &c, q.page(), text).await?;
    let data = super::merge(data, json!({"query": q, "base_query": q.without_page()}));
    Ok(Page::new("contracts/recipients.html", data).render(&v))
}

#[derive(Debug, Default, Deserialize)]
struct CoverForm {
    #[serde(default)]
    recipients: Vec<String>,
    /// Households to cover whole.
    #[serde(default)]
    households: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ImportForm {
    #[serde(default)]
    id_numbers: Option<String>,
}

/// Covers the people whose ID numbers were pasted (a column from the
/// township's roster), then shows what was added and what was not found.
async fn cover_import(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<ImportForm>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let back = format!("/contracts/{}/recipients", c.pid);
    let vault = crate::vault::Vault::of(&ctx)?;
    let raw = f.id_numbers.unwrap_or_default();
    match contracts::cover_pasted(&ctx.db, &v.actor, &vault, &c, &raw).await {
        Ok(p) => {
            let data = shown::cover_result(&ctx.db, &c, &p).await?;
            Ok(Page::new("contracts/cover_result.html", data).render(&v))
        }
        Err(AppError::Invalid(e)) => {
            Ok(redirect_flash(&back, e.first().unwrap_or("error-invalid")))
        }
        Err(AppError::Limited(key)) => Ok(redirect_flash(&back, key)),
        Err(e) => Err(e),
    }
}

/// Pids as sent; what is no pid is left out.
fn uuids(raw: &[String]) -> Vec<uuid::Uuid> {
    raw.iter()
        .filter_map(|s| uuid::Uuid::parse_str(s.trim()).ok())
        .collect()
}

async fn cover(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<CoverForm>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let back = format!("/contracts/{}/recipients", c.pid);
    let (people, homes) = (uuids(&f.recipients), uuids(&f.households));
    match contracts::cover(&ctx.db, &v.actor, &c, &people, &homes).await {
        Ok(_) => Ok(redirect_flash(&back, "flash-saved")),
        Err(AppError::Invalid(_)) => Ok(redirect_flash(&back, "error-choose-recipient")),
        Err(e) => Err(e),
    }
}

async fn new_amendment(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_contracts() && c.status == "active")?;
    let mut f = ContractForm::load(&ctx.db, &c).await?;
    let from = crate::models::today().max(c.starts_on).min(c.ends_on);
    f.effective_on = Some(from.to_string());
    let action = format!("/contracts/{}/amendments", c.pid);
    form(&ctx, &v, &action, &f, None).await
}

async fn propose(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<ContractForm>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let p = f.amendment();
    let result = contract_amendments::propose(&ctx.db, &v.scope, &v.actor, &c, &p).await;
    let back = format!("/contracts/{}", c.pid);
    match invalid_or(result, v.lang)? {
        Ok(_) => Ok(redirect_flash(&back, "flash-amendment-proposed")),
        Err(errors) => form(&ctx, &v, &format!("{back}/amendments"), &f, Some(errors)).await,
    }
}

#[derive(Debug, Default, Deserialize)]
struct DecisionForm {
    decision: Option<String>,
    note: Option<String>,
}

async fn decide(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path((id, amendment)): Path<(String, String)>,
    FormData(f): FormData<DecisionForm>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let a = contract_amendments::load(&ctx.db, &c, pid(&amendment)?).await?;
    let approve = f.decision.as_deref() == Some("approve");
    let note = f.note.as_deref();
    let result = contract_amendments::decide(&ctx.db, &v.actor, &c, &a, approve, note).await;
    back_with(&c, result)
}

/// Back to the contract, saying what went wrong if anything did.
fn back_with<T>(c: &contracts::Model, result: AppResult<T>) -> AppResult<Response> {
    back_or(c, result, "error-invalid")
}

/// Back to the contract: saved, or the first field error (`fallback`
/// when it names none); other errors are an error page.
fn back_or<T>(c: &contracts::Model, result: AppResult<T>, fallback: &str) -> AppResult<Response> {
    let back = format!("/contracts/{}", c.pid);
    match result {
        Ok(_) => Ok(redirect_flash(&back, "flash-saved")),
        Err(AppError::Invalid(e)) => Ok(redirect_flash(&back, e.first().unwrap_or(fallback))),
        Err(e) => Err(e),
    }
}

async fn add_milestone(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<MilestoneParams>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    back_with(&c, milestones::create(&ctx.db, &v.actor, &c, &f).await)
}

async fn add_payment(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<PaymentParams>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let result = payments::record(&ctx.db, &v.actor, &c, &f, crate::models::today()).await;
    back_with(&c, result)
}

async fn accept(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<AcceptanceParams>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let (today, now) = (crate::models::today(), chrono::Utc::now());
    let result = acceptances::accept(&ctx.db, &v.actor, &c, &f, today, now).await;
    back_with(&c, result)
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct BehindQuery {
    figure: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

impl BehindQuery {
    /// The figure named and the page asked for.
    fn parse(&self) -> AppResult<(fulfilment::Behind, PageRequest)> {
        let behind = fulfilment::Behind::parse(self.figure.as_deref().unwrap_or_default())
            .ok_or_else(|| AppError::field("figure", "error-flag"))?;
        let req = PageRequest::parse(self.page.as_deref(), self.per_page.as_deref());
        Ok((behind, req))
    }
}

/// The visits behind one figure of the fulfilment page.
async fn visits_page(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<BehindQuery>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let (behind, req) = q.parse()?;
    let today = crate::models::today();
    let (rows, page) = fulfilment::visits_behind(&ctx.db, &c, &behind, today, req).await?;
    // The board's visit rows (`board.rs` belongs to the board's pages).
    let list = crate::controllers::board::describe(&ctx, &v, &rows, &[]).await?;
    let figure = q.figure.as_deref().unwrap_or_default();
    let data = shown::visits_page(&c, figure, &rows, list, page)?;
    Ok(Page::new("contracts/visits.html", data).render(&v))
}

/// A fulfilment table as CSV (UTF-8 with BOM) or XLSX:
/// `items`, `compliance` or `funding`.
async fn export(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path((id, file)): Path<(String, String)>,
) -> AppResult<Response> {
    use crate::i18n::t;
    use axum::{http::header, response::IntoResponse};
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let (name, ext) = file
        .rsplit_once('.')
        .ok_or(crate::errors::AppError::NotFound)?;
    if !["csv", "xlsx"].contains(&ext) {
        return Err(crate::errors::AppError::NotFound);
    }
    let today = crate::models::today();
    let r = fulfilment::report_with_shortfalls(&ctx.db, &c, today, chrono::Utc::now()).await?;
    let names = Catalogue::load(&ctx.db).await?;
    let lang = v.lang;
    let rows: Vec<Vec<String>> = match name {
        "items" => {
            let mut rows = vec![[
                "contract-item",
                "field-unit",
                "fulfilment-delivered",
                "door-quantity",
                "fulfilment-expected",
                "fulfilment-forecast",
                "fulfilment-value",
            ]
            .iter()
            .map(|k| t(lang, k))
            .chain(["%".to_string(), t(lang, "risks")])
            .collect()];
            for i in &r.items {
                let what = match (&i.service, &i.material_category) {
                    (Some(s), _) => names.name(s, lang),
                    (_, Some(m)) => t(lang, &format!("material-{m}")),
                    _ => String::new(),
                };
                rows.push(vec![
                    what,
                    t(lang, &format!("unit-{}", i.unit)),
                    i.shown.delivered.clone(),
                    i.shown.quantity.clone(),
                    i.shown.expected.clone(),
                    i.shown.forecast.clone(),
                    i.shown.value.clone(),
                    i.percent.to_string(),
                    i.risks
                        .iter()
                        .map(|x| t(lang, &format!("risk-{x}")))
                        .collect::<Vec<_>>()
                        .join("、"),
                ]);
            }
            rows
        }
        "compliance" => {
            let ids: Vec<i64> = r.compliance.short.iter().map(|s| s.0).collect();
            let people: std::collections::HashMap<i64, String> = recipients::Entity::find()
                .filter(recipients::Column::Id.is_in(ids))
                .all(&ctx.db)
                .await?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect();
            let mut rows = vec![vec![
                t(lang, "field-recipient"),
                t(lang, "export-month"),
                t(lang, "fulfilment-completed"),
                t(lang, "field-min-visits-per-month"),
            ]];
            for (who, y, m, done) in &r.compliance.short {
                rows.push(vec![
                    people.get(who).cloned().unwrap_or_default(),
                    format!("{y}-{m:02}"),
                    done.to_string(),
                    r.compliance.min_per_month.unwrap_or(0).to_string(),
                ]);
            }
            rows
        }
        "funding" => {
            let mut rows = vec![vec![
                t(lang, "door-funding"),
                t(lang, "door-donor"),
                t(lang, "fulfilment-value"),
            ]];
            for f in &r.funding {
                rows.push(vec![
                    t(lang, &format!("funding-{}", f.funding)),
                    f.donor.clone().unwrap_or_default(),
                    f.value.clone(),
                ]);
            }
            rows
        }
        _ => return Err(crate::errors::AppError::NotFound),
    };
    let (body, mime) = if ext == "xlsx" {
        (
            crate::sheets::write_xlsx(name, &rows).map_err(crate::errors::AppError::Internal)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    } else {
        (crate::sheets::write_csv(&rows), "text/csv; charset=utf-8")
    };
    audit_logs::record_download(
        &ctx.db,
        &v.actor,
        Action::Export,
        "contracts",
        Some(c.pid),
        &json!({"file": format!("{name}.{ext}"), "rows": rows.len().saturating_sub(1)}),
    )
    .await?;
    let disposition = format!(
        "attachment; filename=\"{}-{name}-{}.{ext}\"",
        c.code
            .chars()
            .filter(|ch| ch.is_ascii_alphanumeric() || *ch == '-')
            .collect::<String>(),
        today.format("%Y%m%d")
    );
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
struct SampleForm {
    size: Option<String>,
}

impl SampleForm {
    /// How many to draw; what is no number is 0 (and refused).
    fn size(&self) -> u64 {
        let size = self.size.as_deref().map(str::trim);
        size.and_then(|s| s.parse().ok()).unwrap_or(0)
    }
}

async fn sample_callbacks(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<SampleForm>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    back_with(&c, callbacks::sample(&ctx.db, &v.actor, &c, f.size()).await)
}

async fn record_callback(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path((id, cb)): Path<(String, String)>,
    FormData(f): FormData<CallResult>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let found = callbacks::load(&ctx.db, &c, pid(&cb)?).await?;
    back_with(&c, callbacks::record(&ctx.db, &v.actor, &found, &f).await)
}

/// `masked=1` for the public version.
#[derive(Debug, Default, Deserialize)]
pub struct PackQuery {
    masked: Option<String>,
}

/// An acceptance pack's contents: the accepted figures and every visit
/// of the period, as rows with a header each.
struct Pack {
    title: String,
    summary: Vec<Vec<String>>,
    visits: Vec<Vec<String>>,
    /// The file name without its extension.
    file: String,
    /// What the audit entry of its download names.
    contract: uuid::Uuid,
    acceptance: uuid::Uuid,
    edition: Edition,
}

impl Pack {
    /// Records the download of this pack as `format`, just before it is sent.
    async fn audited(&self, ctx: &AppContext, v: &Viewer, format: &str) -> AppResult<()> {
        audit_logs::record_download(
            &ctx.db,
            &v.actor,
            Action::Export,
            "acceptances",
            Some(self.acceptance),
            &json!({"contract": self.contract.to_string(), "file": format!("pack.{format}"),
                    "public": self.edition.is_public(),
                    "visits": self.visits.len().saturating_sub(1)}),
        )
        .await
    }
}

/// The acceptance pack as XLSX: the accepted figures, and every visit of
/// the period; `masked=1` gives the version fit for publication (names
/// masked; ID numbers and addresses are never in it).
pub async fn acceptance_pack(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path((id, acceptance)): Path<(String, String)>,
    QueryParams(q): QueryParams<PackQuery>,
) -> AppResult<Response> {
    let lang = v.lang;
    let p = pack(&ctx, &v, &id, &acceptance, &q).await?;
    let summary_name = crate::i18n::t(lang, "pack-summary-sheet");
    let visits_name = crate::i18n::t(lang, "pack-visits-sheet");
    let body = crate::sheets::write_xlsx_book(&[
        (summary_name.as_str(), p.summary.as_slice()),
        (visits_name.as_str(), p.visits.as_slice()),
    ])
    .map_err(crate::errors::AppError::Internal)?;
    p.audited(&ctx, &v, "xlsx").await?;
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{}.xlsx", p.file),
        body,
    ))
}

/// The same pack as PDF (A4, Chinese set in the font built into the
/// binary), for printing, signing and filing.
pub async fn acceptance_pack_pdf(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path((id, acceptance)): Path<(String, String)>,
    QueryParams(q): QueryParams<PackQuery>,
) -> AppResult<Response> {
    let lang = v.lang;
    let p = pack(&ctx, &v, &id, &acceptance, &q).await?;
    let summary_name = crate::i18n::t(lang, "pack-summary-sheet");
    let visits_name = crate::i18n::t(lang, "pack-visits-sheet");
    // The summary holds the figures, an empty row, then the items: two
    // tables on paper.
    let split = p
        .summary
        .iter()
        .position(Vec::is_empty)
        .unwrap_or(p.summary.len());
    let (figures, items) = p.summary.split_at(split);
    let items_name = crate::i18n::t(lang, "contract-items");
    let body = crate::pdf::write_pdf_tables(
        &p.title,
        &[
            (summary_name.as_str(), figures),
            (items_name.as_str(), items.get(1..).unwrap_or_default()),
            (visits_name.as_str(), p.visits.as_slice()),
        ],
    )
    .map_err(crate::errors::AppError::Internal)?;
    p.audited(&ctx, &v, "pdf").await?;
    Ok(download(
        "application/pdf",
        &format!("{}.pdf", p.file),
        body,
    ))
}

/// A file to download, never cached.
fn download(content_type: &str, file: &str, body: Vec<u8>) -> Response {
    use axum::{http::header, response::IntoResponse};
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

async fn pack(
    ctx: &AppContext,
    v: &Viewer,
    id: &str,
    acceptance: &str,
    q: &PackQuery,
) -> AppResult<Pack> {
    use crate::{i18n::t, web::render::DISPLAY_ZONE};
    let c = contracts::load(&ctx.db, &v.scope, pid(id)?).await?;
    let a = acceptances::load(&ctx.db, &c, pid(acceptance)?).await?;
    let edition = Edition::of_pack(crate::web::input::checked(q.masked.as_deref()));
    let lang = v.lang;
    let cj = contract_json(ctx, &c).await?;
    let snapshot: Value = serde_json::from_str(&a.snapshot).unwrap_or(Value::Null);
    let names = Catalogue::load(&ctx.db).await?;
    let by = crate::models::_entities::users::Entity::find_by_id(a.accepted_by_id)
        .one(&ctx.db)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    // A count and its share of the visits due.
    let counted = |kind: &str| {
        vec![
            t(lang, &format!("fulfilment-{kind}")),
            format!(
                "{} ({}%)",
                text(&snapshot["visits"][kind]),
                text(&snapshot["rates"][kind])
            ),
        ]
    };
    let mut summary: Vec<Vec<String>> = vec![
        vec![t(lang, "pack-field"), t(lang, "pack-value")],
        vec![t(lang, "field-contract-code"), c.code.clone()],
        vec![t(lang, "field-contract-title"), c.title.clone()],
        vec![
            t(lang, "contract-purchaser"),
            cj.township
                .as_ref()
                .map(|x| x.name.clone())
                .unwrap_or_default(),
        ],
        vec![
            t(lang, "contract-provider"),
            cj.organization
                .as_ref()
                .map(|x| x.name.clone())
                .unwrap_or_default(),
        ],
        vec![
            t(lang, "pack-period"),
            format!("{} – {}", a.period_start, a.period_end),
        ],
        vec![t(lang, "pack-accepted-by"), edition.staff(&by)],
        vec![
            t(lang, "pack-accepted-at"),
            a.created_at
                .with_timezone(&DISPLAY_ZONE)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        ],
        vec![
            t(lang, "acceptance-note"),
            edition
                .free_text(a.note.as_deref(), a.public)
                .unwrap_or_default()
                .to_string(),
        ],
        vec![t(lang, "pack-locked"), a.locked_visits.to_string()],
        vec![t(lang, "fulfilment-due"), text(&snapshot["rates"]["due"])],
        counted("completed"),
        counted("missed"),
        counted("late"),
        vec![
            t(lang, "fulfilment-compliance"),
            format!(
                "{} / {} ({}%)",
                text(&snapshot["compliance"]["met"]),
                text(&snapshot["compliance"]["judged"]),
                text(&snapshot["compliance"]["percent"])
            ),
        ],
        vec![
            t(lang, "fulfilment-material-service"),
            format!(
                "¥{} + ¥{}",
                text(&snapshot["material_value"]),
                text(&snapshot["service_value"])
            ),
        ],
    ];
    let mut items = vec![vec![
        t(lang, "contract-item"),
        t(lang, "field-unit"),
        t(lang, "fulfilment-delivered"),
        t(lang, "door-quantity"),
        "%".to_string(),
        t(lang, "fulfilment-value"),
    ]];
    for i in snapshot["items"].as_array().cloned().unwrap_or_default() {
        let what = match (i["service"].as_str(), i["material_category"].as_str()) {
            (Some(s), _) => names.name(s, lang),
            (_, Some(m)) => t(lang, &format!("material-{m}")),
            _ => String::new(),
        };
        items.push(vec![
            what,
            t(lang, &format!("unit-{}", text(&i["unit"]))),
            text(&i["shown"]["delivered"]),
            text(&i["shown"]["quantity"]),
            text(&i["percent"]),
            text(&i["shown"]["value"]),
        ]);
    }
    summary.push(Vec::new());
    summary.extend(items);
    // The public edition names no person served, not even masked: the
    // column is left out.
    let row = |when: String, person: String, rest: Vec<String>| {
        std::iter::once(when)
            .chain(edition.person_served(&person))
            .chain(rest)
            .collect::<Vec<String>>()
    };
    let mut visit_rows = vec![row(
        t(lang, "visit-when"),
        t(lang, "field-recipient"),
        [
            "field-worker",
            "field-status",
            "fulfilment-late",
            "fulfilment-exceptions",
            "pack-minutes",
            "pack-material",
            "door-confirmation",
        ]
        .iter()
        .map(|k| t(lang, k))
        .collect(),
    )];
    let yes = |b: bool| if b { "✓".to_string() } else { String::new() };
    for pv in acceptances::period_visits(&ctx.db, &c, &a).await? {
        visit_rows.push(row(
            pv.starts_at
                .with_timezone(&DISPLAY_ZONE)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            pv.recipient,
            vec![
                edition.staff(&pv.worker),
                t(lang, &format!("visit-status-{}", pv.status)),
                yes(pv.late),
                yes(pv.location_exception),
                pv.service_minutes.to_string(),
                crate::domain::money::format_yuan(pv.material_fen),
                yes(pv.confirmed),
            ],
        ));
    }
    let code: String = c
        .code
        .chars()
        .filter(|ch| ch.is_ascii_alphanumeric() || *ch == '-')
        .collect();
    Ok(Pack {
        title: format!("{} · {} {}", t(lang, "pack-title"), c.code, c.title),
        summary,
        visits: visit_rows,
        file: format!(
            "{code}-acceptance-{}-{}{}",
            a.period_start.format("%Y%m%d"),
            a.period_end.format("%Y%m%d"),
            if edition.is_public() { "-public" } else { "" }
        ),
        contract: c.pid,
        acceptance: a.pid,
        edition,
    })
}

/// Stores a document of the contract (officials, admins).
async fn add_document(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    mp: axum::extract::Multipart,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let result = documents::add(&ctx.db, &ctx.storage, &v.actor, &c, mp).await;
    back_with(&c, result)
}

/// Downloads a document of a contract in scope.
async fn document(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path((id, doc)): Path<(String, String)>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let doc = pid(&doc)?;
    let (m, bytes) = documents::download(&ctx.db, &ctx.storage, &v.actor, &c, doc).await?;
    Ok(shown::document(&m, bytes))
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/contracts", get(list))
        .add("/contracts", post(add))
        .add("/contracts/new", get(new))
        .add("/contracts/{pid}", get(show))
        .add("/contracts/{pid}", post(update))
        .add("/contracts/{pid}/edit", get(edit))
        .add("/contracts/{pid}/status", post(set_status))
        .add("/contracts/{pid}/recipients", get(recipients_page))
        .add("/contracts/{pid}/recipients", post(cover))
        .add("/contracts/{pid}/milestones", post(add_milestone))
        .add("/contracts/{pid}/recipients/import", post(cover_import))
        .add("/contracts/{pid}/payments", post(add_payment))
        .add("/contracts/{pid}/visits", get(visits_page))
        .add(
            "/contracts/{pid}/documents",
            post(add_document).layer(axum::extract::DefaultBodyLimit::max(
                crate::models::contract_documents::MAX_BYTES + 1024 * 1024,
            )),
        )
        .add("/contracts/{pid}/documents/{document}", get(document))
        .add("/contracts/{pid}/callbacks", post(sample_callbacks))
        .add(
            "/contracts/{pid}/callbacks/{callback}",
            post(record_callback),
        )
        .add("/contracts/{pid}/export/{file}", get(export))
        .add("/contracts/{pid}/acceptances", post(accept))
        .add(
            "/contracts/{pid}/acceptances/{acceptance}/pack.xlsx",
            get(acceptance_pack),
        )
        .add(
            "/contracts/{pid}/acceptances/{acceptance}/pack.pdf",
            get(acceptance_pack_pdf),
        )
        .add("/contracts/{pid}/amendments", post(propose))
        .add("/contracts/{pid}/amendments/new", get(new_amendment))
        .add(
            "/contracts/{pid}/amendments/{amendment}/decision",
            post(decide),
        )
}
