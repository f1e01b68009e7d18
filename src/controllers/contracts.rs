//! Contract pages: the contracts in scope; one contract with its terms,
//! items and live fulfilment; the form officials draw drafts up with; the
//! covered recipients.
use super::{invalid_or, require};
use crate::views::pack::{self, Format, PackQuery};
use crate::{
    errors::{AppError, AppResult},
    models::{
        acceptances::{self, AcceptanceParams},
        callbacks::{self, CallResult},
        contract_amendments, contract_documents as documents, contracts, fulfilment,
        milestones::{self, MilestoneParams},
        payments::{self, PaymentParams},
    },
    views::contracts::{self as shown, Again, ContractForm, Section},
    views::places::ReasonForm,
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

#[derive(Debug, Default, Deserialize)]
struct TabQuery {
    tab: Option<String>,
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<TabQuery>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let section = Section::parse(q.tab.as_deref());
    contract_page(&ctx, &v, &c, section, None).await
}

/// The contract page at `section`; with `again`, a refused form of that
/// section shown again with its errors (422).
async fn contract_page(
    ctx: &AppContext,
    v: &Viewer,
    c: &contracts::Model,
    section: Section,
    again: Option<Again>,
) -> AppResult<Response> {
    let (today, now) = (crate::models::today(), chrono::Utc::now());
    let status = match again {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let data = shown::show_page(&ctx.db, &v.scope, v.lang, c, today, now, section, again).await?;
    Ok(Page::new("contracts/show.html", data)
        .status(status)
        .render(v))
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
    back_or(&c, Section::Fulfilment, result, "error-contract-status")
}

/// The page that asks for a reason before ending a contract in force.
fn closure_page(
    v: &Viewer,
    c: &contracts::Model,
    f: &ReasonForm,
    errors: Option<Value>,
) -> Response {
    let status = match errors {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let data = json!({"contract": {"pid": c.pid, "title": c.title, "code": c.code,
                                   "status": c.status, "starts_on": c.starts_on,
                                   "ends_on": c.ends_on},
                      "reason": f.reason().unwrap_or_default(),
                      "errors": errors.unwrap_or_else(|| json!({}))});
    Page::new("contracts/close.html", data)
        .status(status)
        .render(v)
}

async fn confirm_close(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    require(c.status == "active")?;
    Ok(closure_page(&v, &c, &ReasonForm::default(), None))
}

/// Ends a contract in force for the reason given; without one, the
/// confirmation again with the error (422).
async fn close(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<ReasonForm>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    match invalid_or(c.close(&ctx.db, &v.actor, f.reason()).await, v.lang)? {
        Ok(c) => Ok(redirect_flash(
            &Section::Fulfilment.url(c.pid),
            "flash-contract-closed",
        )),
        Err(errors) => Ok(closure_page(&v, &c, &f, Some(errors))),
    }
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
    /// Why people registered in another township are covered.
    #[serde(default)]
    reason: Option<String>,
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
    match contracts::cover_pasted(&ctx.db, &v.actor, &vault, &c, &raw, f.reason.as_deref()).await {
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
    let action = format!("/contracts/{}/amendments", c.pid);
    match invalid_or(result, v.lang)? {
        Ok(_) => Ok(redirect_flash(
            &Section::Amendments.url(c.pid),
            "flash-amendment-proposed",
        )),
        Err(errors) => form(&ctx, &v, &action, &f, Some(errors)).await,
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct DecisionForm {
    decision: Option<String>,
    note: Option<String>,
    /// Why a rejection: required for one.
    reason: Option<String>,
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
    let note = if approve {
        f.note.as_deref()
    } else {
        f.reason.as_deref()
    };
    let result = contract_amendments::decide(&ctx.db, &v.actor, &c, &a, approve, note).await;
    match invalid_or(result, v.lang)? {
        Ok(_) => Ok(redirect_flash(
            &Section::Amendments.url(c.pid),
            "flash-saved",
        )),
        Err(errors) => {
            let form = if approve { "approve" } else { "reject" };
            let again = Again {
                form: format!("{form}:{}", a.pid),
                values: json!(f),
                errors,
            };
            contract_page(&ctx, &v, &c, Section::Amendments, Some(again)).await
        }
    }
}

/// Back to the contract's `section`, saying what went wrong if anything
/// did.
fn back_with<T>(
    c: &contracts::Model,
    section: Section,
    result: AppResult<T>,
) -> AppResult<Response> {
    back_or(c, section, result, "error-invalid")
}

/// Back to the contract's `section`: saved, or the first field error
/// (`fallback` when it names none); other errors are an error page.
fn back_or<T>(
    c: &contracts::Model,
    section: Section,
    result: AppResult<T>,
    fallback: &str,
) -> AppResult<Response> {
    let back = section.url(c.pid);
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
    back_with(
        &c,
        Section::Acceptance,
        milestones::create(&ctx.db, &v.actor, &c, &f).await,
    )
}

async fn add_payment(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<PaymentParams>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let result = payments::record(&ctx.db, &v.actor, &c, &f, crate::models::today()).await;
    back_with(&c, Section::Acceptance, result)
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
    back_with(&c, Section::Acceptance, result)
}

/// The visits behind one figure of the fulfilment page.
async fn visits_page(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<shown::BehindQuery>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let (behind, req) = q.parse()?;
    let today = crate::models::today();
    let (rows, page) = fulfilment::visits_behind(&ctx.db, &c, &behind, today, req).await?;
    // The board's visit rows (`board.rs` belongs to the board's pages).
    let list = crate::views::board::describe(&ctx, &v, &rows, &[]).await?;
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
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let (today, now) = (crate::models::today(), chrono::Utc::now());
    let table = crate::views::export::Table::load(&ctx.db, v.lang, &c, &file, today, now).await?;
    Ok(table.audited(&ctx.db, &v.actor).await?.into_response())
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
    let result = callbacks::sample(&ctx.db, &v.actor, &c, f.size()).await;
    back_with(&c, Section::Callbacks, result)
}

async fn record_callback(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path((id, cb)): Path<(String, String)>,
    FormData(f): FormData<CallResult>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let found = callbacks::load(&ctx.db, &c, pid(&cb)?).await?;
    match invalid_or(
        callbacks::record(&ctx.db, &v.actor, &found, &f).await,
        v.lang,
    )? {
        Ok(_) => Ok(redirect_flash(
            &Section::Callbacks.url(c.pid),
            "flash-saved",
        )),
        Err(errors) => {
            let again = Again {
                form: format!("callback:{}", found.pid),
                values: json!(f),
                errors,
            };
            contract_page(&ctx, &v, &c, Section::Callbacks, Some(again)).await
        }
    }
}

/// The acceptance pack as XLSX: the accepted figures, and every visit of
/// the period; `masked=1` gives the version fit for publication (names
/// masked; ID numbers and addresses are never in it).
async fn acceptance_pack(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path((id, acceptance)): Path<(String, String)>,
    QueryParams(q): QueryParams<PackQuery>,
) -> AppResult<Response> {
    let ids = (id.as_str(), acceptance.as_str());
    let file = pack::download_for(&ctx.db, &v.scope, &v.actor, v.lang, ids, &q, Format::Xlsx);
    Ok(file.await?.into_response())
}

/// The same pack as PDF (A4, Chinese set in the font built into the
/// binary), for printing, signing and filing.
async fn acceptance_pack_pdf(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path((id, acceptance)): Path<(String, String)>,
    QueryParams(q): QueryParams<PackQuery>,
) -> AppResult<Response> {
    let ids = (id.as_str(), acceptance.as_str());
    let file = pack::download_for(&ctx.db, &v.scope, &v.actor, v.lang, ids, &q, Format::Pdf);
    Ok(file.await?.into_response())
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
    back_with(&c, Section::Documents, result)
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
        .add("/contracts/{pid}/closure", get(confirm_close))
        .add("/contracts/{pid}/closure", post(close))
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
