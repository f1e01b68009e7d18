//! Contracts over JSON: officials (for their townships) and admins draw
//! them up; the provider's coordinators read them; everyone in scope reads
//! the fulfilment.
use super::{created, ok, page};
use crate::views::pack::{self, Format, PackQuery};
use crate::{
    controllers::require,
    errors::{AppError, AppResult},
    models::{
        acceptances::{self, AcceptanceParams},
        callbacks::{self, CallResult},
        contract_amendments::{self, AmendmentParams},
        contract_documents as documents,
        contracts::{self, ContractParams},
        fulfilment,
        milestones::{self, MilestoneParams},
        payments::{self, PaymentParams},
    },
    views::contracts::{self as shown, CallJson, CoverJson, ItemsJson, SampledJson, UploadedJson},
    web::{
        input::{pid, ListQuery, QueryParams},
        ApiJson, Viewer,
    },
};
use axum::{
    extract::{Path, State},
    response::Response,
};
use loco_rs::prelude::*;
use serde::Deserialize;

/// The shapes moved to `views::contracts`; these paths stay for the code
/// that still names them here.
pub use crate::views::contracts::{contract_json, ContractJson, ItemJson, MilestoneJson};

/// A contract in scope that the caller may also change; 404 otherwise.
async fn managed(ctx: &AppContext, v: &Viewer, id: &str) -> AppResult<contracts::Model> {
    contracts::managed(&ctx.db, &v.scope, pid(id)?).await
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let (rows, info) = contracts::list(&ctx.db, &v.scope, q.page()).await?;
    Ok(page(shown::load(&ctx.db, &rows).await?, info))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(shown::one(&ctx.db, &c).await?))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(p): ApiJson<ContractParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_contracts())?;
    let c = contracts::draw_up(&ctx.db, &v.scope, &v.actor, &p).await?;
    Ok(created(shown::one(&ctx.db, &c).await?))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<ContractParams>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let c = contracts::redraw(&ctx.db, &v.scope, &v.actor, &c, &p).await?;
    Ok(ok(shown::one(&ctx.db, &c).await?))
}

#[derive(Debug, Default, Deserialize)]
struct StatusBody {
    /// `active` or `closed`.
    status: Option<String>,
    /// Why: required to close (2–500 characters), kept in the audit entry.
    reason: Option<String>,
}

async fn set_status(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StatusBody>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let c = match b.status.as_deref().unwrap_or_default() {
        "closed" => c.close(&ctx.db, &v.actor, b.reason.as_deref()).await?,
        status => c.set_status(&ctx.db, &v.actor, status).await?,
    };
    Ok(ok(shown::one(&ctx.db, &c).await?))
}

#[derive(Debug, Default, Deserialize)]
struct CoverBody {
    #[serde(default)]
    recipients: Vec<String>,
    #[serde(default)]
    households: Vec<String>,
    /// Resident ID numbers to cover (imported from a roster).
    #[serde(default)]
    id_numbers: Vec<String>,
    /// Why people registered in another township are covered (they are
    /// found by their ID numbers only with a reason).
    #[serde(default)]
    reason: Option<String>,
}

fn pids(raw: &[String], field: &str) -> AppResult<Vec<uuid::Uuid>> {
    raw.iter()
        .map(|s| {
            uuid::Uuid::parse_str(s.trim())
                .map_err(|_| AppError::field(field, "error-choose-recipient"))
        })
        .collect()
}

async fn cover(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CoverBody>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let people = pids(&b.recipients, "recipients")?;
    let homes = pids(&b.households, "households")?;
    let vault = crate::vault::Vault::of(&ctx)?;
    let (added, unmatched) = contracts::cover_all(
        &ctx.db,
        &v.actor,
        &vault,
        &c,
        people,
        &homes,
        &b.id_numbers,
        b.reason.as_deref(),
    )
    .await?;
    Ok(ok(CoverJson { added, unmatched }))
}

async fn covered(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let (people, info) = shown::covered(&ctx.db, &c, q.page()).await?;
    Ok(page(people, info))
}

/// The visits behind a figure (`figure=completed|attempted|missed|
/// cancelled|late|exceptions|item:<item pid>`).
async fn visits_behind(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<shown::BehindQuery>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let (behind, req) = q.parse()?;
    let today = crate::models::today();
    let (rows, info) = fulfilment::visits_behind(&ctx.db, &c, &behind, today, req).await?;
    let items = rows.iter().map(crate::views::recipients::VisitJson::from);
    Ok(page(items.collect(), info))
}

#[derive(Debug, Default, Deserialize)]
struct FulfilmentQuery {
    /// The day to compute for (default today, display zone).
    on: Option<String>,
}

impl FulfilmentQuery {
    fn day(&self) -> AppResult<chrono::NaiveDate> {
        match self.on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => crate::domain::date_input::parse_date(s)
                .map_err(|_| AppError::field("on", "error-date")),
            None => Ok(crate::models::today()),
        }
    }
}

async fn report(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<FulfilmentQuery>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let r = fulfilment::report(&ctx.db, &c, q.day()?, chrono::Utc::now()).await?;
    Ok(ok(r))
}

async fn amendments(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let items = contract_amendments::of_contract(&ctx.db, &c).await?;
    Ok(ok(ItemsJson::new(items)))
}

async fn propose(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<AmendmentParams>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let a = contract_amendments::propose(&ctx.db, &v.scope, &v.actor, &c, &p).await?;
    let all = contract_amendments::of_contract(&ctx.db, &c).await?;
    Ok(created(all.into_iter().find(|x| x.pid == a.pid)))
}

#[derive(Debug, Default, Deserialize)]
struct DecisionBody {
    /// An approval's optional note.
    note: Option<String>,
    /// Why a rejection: required for one (2–500 characters).
    reason: Option<String>,
}

async fn decide(
    ctx: &AppContext,
    v: &Viewer,
    (id, amendment): (String, String),
    approve: bool,
    note: Option<&str>,
) -> AppResult<Response> {
    let c = managed(ctx, v, &id).await?;
    let a = contract_amendments::load(&ctx.db, &c, pid(&amendment)?).await?;
    let c = contract_amendments::decide(&ctx.db, &v.actor, &c, &a, approve, note).await?;
    Ok(ok(shown::one(&ctx.db, &c).await?))
}

async fn approve(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(ids): Path<(String, String)>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> AppResult<Response> {
    decide(&ctx, &v, ids, true, b.note.as_deref()).await
}

async fn reject(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(ids): Path<(String, String)>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> AppResult<Response> {
    decide(&ctx, &v, ids, false, b.reason.as_deref()).await
}

async fn milestone_list(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(shown::milestone_list(&ctx.db, &c).await?))
}

async fn milestone_add(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<MilestoneParams>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let m = milestones::create(&ctx.db, &v.actor, &c, &p).await?;
    Ok(created(MilestoneJson::from(&m)))
}

async fn payment_list(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(shown::payment_list(&ctx.db, &c).await?))
}

async fn payment_add(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<PaymentParams>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let row = payments::record(&ctx.db, &v.actor, &c, &p, crate::models::today()).await?;
    let all = payments::shown(&ctx.db, c.id).await?;
    Ok(created(all.into_iter().find(|x| x.pid == row.pid)))
}

async fn acceptance_list(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let items = acceptances::of_contract(&ctx.db, c.id).await?;
    Ok(ok(ItemsJson::new(items)))
}

async fn accept(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<AcceptanceParams>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let (today, now) = (crate::models::today(), chrono::Utc::now());
    let a = acceptances::accept(&ctx.db, &v.actor, &c, &p, today, now).await?;
    let all = acceptances::of_contract(&ctx.db, c.id).await?;
    Ok(created(all.into_iter().find(|x| x.pid == a.pid)))
}

/// The contract and its implementation as an OCDS 1.1 release package
/// (`views::ocds`: public by design, no personal data).
async fn ocds(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let release = crate::views::ocds::release(&ctx.db, &c, chrono::Utc::now()).await?;
    Ok(ok(release.audited(&ctx.db, &v.actor).await?))
}

/// Call-backs are the purchaser's supervision: officials and admins.
async fn callback_list(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    Ok(ok(shown::callback_list(&ctx.db, &c).await?))
}

#[derive(Debug, Default, Deserialize)]
struct SampleBody {
    size: Option<u64>,
}

async fn callback_sample(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SampleBody>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let sampled = callbacks::sample(&ctx.db, &v.actor, &c, b.size.unwrap_or(5)).await?;
    Ok(created(SampledJson { sampled }))
}

async fn callback_record(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path((id, cb)): Path<(String, String)>,
    ApiJson(r): ApiJson<CallResult>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let found = callbacks::load(&ctx.db, &c, pid(&cb)?).await?;
    let after = callbacks::record(&ctx.db, &v.actor, &found, &r).await?;
    Ok(ok(CallJson::from(&after)))
}

async fn documents(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(shown::document_list(&ctx.db, &c).await?))
}

async fn add_document(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    mp: axum::extract::Multipart,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let d = documents::add(&ctx.db, &ctx.storage, &v.actor, &c, mp).await?;
    Ok(created(UploadedJson::from(&d)))
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

/// An acceptance's pack as XLSX (`masked=1`: the public version).
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

/// The same pack as PDF.
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

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/v1/contracts")
        .add("/", get(list))
        .add("/", post(add))
        .add("/{pid}", get(show))
        .add("/{pid}", patch(update))
        .add("/{pid}/status", post(set_status))
        .add("/{pid}/recipients", get(covered))
        .add("/{pid}/recipients", post(cover))
        .add("/{pid}/fulfilment", get(report))
        .add("/{pid}/ocds", get(ocds))
        .add("/{pid}/documents", get(documents))
        .add(
            "/{pid}/documents",
            post(add_document).layer(axum::extract::DefaultBodyLimit::max(
                crate::models::contract_documents::MAX_BYTES + 1024 * 1024,
            )),
        )
        .add("/{pid}/documents/{document}", get(document))
        .add("/{pid}/callbacks", get(callback_list))
        .add("/{pid}/callbacks", post(callback_sample))
        .add("/{pid}/callbacks/{callback}", post(callback_record))
        .add("/{pid}/visits", get(visits_behind))
        .add("/{pid}/milestones", get(milestone_list))
        .add("/{pid}/milestones", post(milestone_add))
        .add("/{pid}/payments", get(payment_list))
        .add("/{pid}/payments", post(payment_add))
        .add("/{pid}/acceptances", get(acceptance_list))
        .add("/{pid}/acceptances", post(accept))
        .add(
            "/{pid}/acceptances/{acceptance}/pack.xlsx",
            get(acceptance_pack),
        )
        .add(
            "/{pid}/acceptances/{acceptance}/pack.pdf",
            get(acceptance_pack_pdf),
        )
        .add("/{pid}/amendments", get(amendments))
        .add("/{pid}/amendments", post(propose))
        .add("/{pid}/amendments/{amendment}/approve", post(approve))
        .add("/{pid}/amendments/{amendment}/reject", post(reject))
}
