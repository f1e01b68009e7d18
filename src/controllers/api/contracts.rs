//! Contracts over JSON: officials (for their townships) and admins draw
//! them up; the provider's coordinators read them; everyone in scope reads
//! the fulfilment.
use super::{created, ok, page};
use crate::{
    controllers::{contracts::managed, require},
    domain::money::format_yuan,
    errors::{AppError, AppResult},
    models::{
        _entities::{contract_items, organizations, townships},
        acceptances::{self, AcceptanceParams},
        callbacks::{self, CallResult},
        contract_amendments::{self, AmendmentParams},
        contracts::{self, ContractParams, NewContract},
        fulfilment,
        milestones::{self, MilestoneParams},
    },
    views::Ref,
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
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// One line item as the API shows it.
#[derive(Debug, Serialize)]
pub struct ItemJson {
    pub pid: uuid::Uuid,
    pub position: i64,
    pub service: Option<String>,
    pub material_category: Option<String>,
    pub unit: String,
    pub quantity: String,
    pub quantity_milli: i64,
    pub unit_price: String,
    pub unit_price_fen: i64,
    pub min_minutes: Option<i64>,
}

impl From<&contract_items::Model> for ItemJson {
    fn from(m: &contract_items::Model) -> Self {
        Self {
            pid: m.pid,
            position: m.position,
            service: m.service.clone(),
            material_category: m.material_category.clone(),
            unit: m.unit.clone(),
            quantity: crate::domain::visit_log::format_quantity(m.quantity_milli),
            quantity_milli: m.quantity_milli,
            unit_price: format_yuan(m.unit_price_fen),
            unit_price_fen: m.unit_price_fen,
            min_minutes: m.min_minutes,
        }
    }
}

/// A contract with its purchaser, provider and items.
#[derive(Debug, Serialize)]
pub struct ContractJson {
    pub pid: uuid::Uuid,
    pub code: String,
    pub title: String,
    pub township: Option<Ref>,
    pub organization: Option<Ref>,
    pub procurement_method: String,
    pub signed_on: chrono::NaiveDate,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    pub total: String,
    pub total_fen: i64,
    pub status: String,
    pub version: i64,
    pub content: Option<String>,
    pub quality: Option<String>,
    pub settlement: Option<String>,
    pub liability: Option<String>,
    pub min_visits_per_month: Option<i64>,
    pub min_visit_minutes: Option<i64>,
    pub max_late_percent: Option<i64>,
    pub items: Vec<ItemJson>,
}

/// The contract as the API and pages show it.
///
/// # Errors
/// Database errors.
pub async fn contract_json(ctx: &AppContext, c: &contracts::Model) -> AppResult<ContractJson> {
    let town = townships::Entity::find_by_id(c.township_id)
        .one(&ctx.db)
        .await?;
    let org = organizations::Entity::find_by_id(c.organization_id)
        .one(&ctx.db)
        .await?;
    let items = contracts::items_of(&ctx.db, c.id).await?;
    Ok(ContractJson {
        pid: c.pid,
        code: c.code.clone(),
        title: c.title.clone(),
        township: town.map(|t| Ref {
            pid: t.pid,
            name: t.name,
        }),
        organization: org.map(|o| Ref {
            pid: o.pid,
            name: o.name,
        }),
        procurement_method: c.procurement_method.clone(),
        signed_on: c.signed_on,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        total: format_yuan(c.total_fen),
        total_fen: c.total_fen,
        status: c.status.clone(),
        version: c.version,
        content: c.content.clone(),
        quality: c.quality.clone(),
        settlement: c.settlement.clone(),
        liability: c.liability.clone(),
        min_visits_per_month: c.min_visits_per_month,
        min_visit_minutes: c.min_visit_minutes,
        max_late_percent: c.max_late_percent,
        items: items.iter().map(ItemJson::from).collect(),
    })
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let (rows, info) = contracts::list(&ctx.db, &v.scope, q.page()).await?;
    let mut items = Vec::with_capacity(rows.len());
    for c in &rows {
        items.push(contract_json(&ctx, c).await?);
    }
    Ok(page(items, info))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(contract_json(&ctx, &c).await?))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(p): ApiJson<ContractParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_contracts())?;
    let new = NewContract::parse(&ctx.db, &v.scope, &p).await?;
    let c = contracts::Model::create(&ctx.db, &v.actor, new).await?;
    Ok(created(contract_json(&ctx, &c).await?))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<ContractParams>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let new = NewContract::parse(&ctx.db, &v.scope, &p).await?;
    let c = c.update_draft(&ctx.db, &v.actor, new).await?;
    Ok(ok(contract_json(&ctx, &c).await?))
}

#[derive(Debug, Default, Deserialize)]
struct StatusBody {
    /// `active` or `closed`.
    status: Option<String>,
}

async fn set_status(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StatusBody>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let c = c
        .set_status(&ctx.db, &v.actor, b.status.as_deref().unwrap_or_default())
        .await?;
    Ok(ok(contract_json(&ctx, &c).await?))
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
    let mut people = pids(&b.recipients, "recipients")?;
    let mut unmatched = Vec::new();
    if !b.id_numbers.is_empty() {
        let vault = crate::vault::Vault::of(&ctx)?;
        let (found, missing) =
            contracts::recipients_by_ids(&ctx.db, &v.actor, &vault, &c, &b.id_numbers.join("\n"))
                .await?;
        people.extend(found);
        unmatched = missing;
    }
    people.sort_unstable();
    people.dedup();
    let n = contracts::cover(
        &ctx.db,
        &v.actor,
        &c,
        &people,
        &pids(&b.households, "households")?,
    )
    .await?;
    Ok(ok(json!({ "added": n, "unmatched": unmatched })))
}

async fn covered(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let (rows, info) = contracts::covered(&ctx.db, &c, q.page()).await?;
    Ok(page(
        rows.iter()
            .map(|r| Ref {
                pid: r.pid,
                name: r.name.clone(),
            })
            .collect(),
        info,
    ))
}

#[derive(Debug, Default, Deserialize)]
struct BehindQuery {
    figure: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

/// The visits behind a figure (`figure=completed|attempted|missed|
/// cancelled|late|exceptions|item:<item pid>`).
async fn visits_behind(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<BehindQuery>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let behind = fulfilment::Behind::parse(q.figure.as_deref().unwrap_or_default())
        .ok_or_else(|| AppError::field("figure", "error-flag"))?;
    let req =
        crate::domain::pagination::PageRequest::parse(q.page.as_deref(), q.per_page.as_deref());
    let (rows, info) =
        fulfilment::visits_behind(&ctx.db, &c, &behind, crate::models::today(), req).await?;
    Ok(page(
        rows.iter()
            .map(crate::views::recipients::VisitJson::from)
            .collect(),
        info,
    ))
}

#[derive(Debug, Default, Deserialize)]
struct FulfilmentQuery {
    /// The day to compute for (default today, display zone).
    on: Option<String>,
}

async fn report(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<FulfilmentQuery>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let today = match q.on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => crate::domain::date_input::parse_date(s)
            .map_err(|_| AppError::field("on", "error-date"))?,
        None => crate::models::today(),
    };
    let r = fulfilment::report(&ctx.db, &c, today, chrono::Utc::now()).await?;
    Ok(ok(r))
}

async fn amendments(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(json!({
        "items": contract_amendments::of_contract(&ctx.db, &c).await?,
    })))
}

async fn propose(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<AmendmentParams>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let a = contract_amendments::propose(&ctx.db, &v.scope, &v.actor, &c, &p).await?;
    let shown = contract_amendments::of_contract(&ctx.db, &c)
        .await?
        .into_iter()
        .find(|x| x.pid == a.pid);
    Ok(created(shown))
}

#[derive(Debug, Default, Deserialize)]
struct DecisionBody {
    note: Option<String>,
}

async fn decide(
    ctx: &AppContext,
    v: &Viewer,
    id: &str,
    amendment: &str,
    approve: bool,
    note: Option<&str>,
) -> AppResult<Response> {
    let c = managed(ctx, v, id).await?;
    let a = contract_amendments::load(&ctx.db, &c, pid(amendment)?).await?;
    let c = contract_amendments::decide(&ctx.db, &v.actor, &c, &a, approve, note).await?;
    Ok(ok(contract_json(ctx, &c).await?))
}

async fn approve(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path((id, amendment)): Path<(String, String)>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> AppResult<Response> {
    decide(&ctx, &v, &id, &amendment, true, b.note.as_deref()).await
}

async fn reject(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path((id, amendment)): Path<(String, String)>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> AppResult<Response> {
    decide(&ctx, &v, &id, &amendment, false, b.note.as_deref()).await
}

/// A milestone as the API shows it.
#[derive(Debug, Serialize)]
pub struct MilestoneJson {
    pub pid: uuid::Uuid,
    pub title: String,
    pub amount: String,
    pub amount_fen: i64,
    pub due_on: chrono::NaiveDate,
    pub condition: String,
    pub condition_percent: Option<i64>,
    pub status: String,
}

impl From<&milestones::Model> for MilestoneJson {
    fn from(m: &milestones::Model) -> Self {
        Self {
            pid: m.pid,
            title: m.title.clone(),
            amount: format_yuan(m.amount_fen),
            amount_fen: m.amount_fen,
            due_on: m.due_on,
            condition: m.condition.clone(),
            condition_percent: m.condition_percent,
            status: m.status.clone(),
        }
    }
}

async fn milestone_list(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let rows = milestones::of_contract(&ctx.db, c.id).await?;
    Ok(ok(
        json!({"items": rows.iter().map(MilestoneJson::from).collect::<Vec<_>>()}),
    ))
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
    let items = crate::models::payments::shown(&ctx.db, c.id).await?;
    let paid: i64 = items.iter().map(|p| p.amount_fen).sum();
    Ok(ok(
        json!({"items": items, "paid_fen": paid, "paid": format_yuan(paid),
                 "total_fen": c.total_fen}),
    ))
}

async fn payment_add(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<crate::models::payments::PaymentParams>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let row =
        crate::models::payments::record(&ctx.db, &v.actor, &c, &p, crate::models::today()).await?;
    let shown = crate::models::payments::shown(&ctx.db, c.id)
        .await?
        .into_iter()
        .find(|x| x.pid == row.pid);
    Ok(created(shown))
}

async fn acceptance_list(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(ok(
        json!({"items": acceptances::of_contract(&ctx.db, c.id).await?}),
    ))
}

async fn accept(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<AcceptanceParams>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let a = acceptances::accept(
        &ctx.db,
        &v.actor,
        &c,
        &p,
        crate::models::today(),
        chrono::Utc::now(),
    )
    .await?;
    let shown = acceptances::of_contract(&ctx.db, c.id)
        .await?
        .into_iter()
        .find(|x| x.pid == a.pid);
    Ok(created(shown))
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
    let list = callbacks::of_contract(&ctx.db, &c).await?;
    Ok(ok(
        json!({"summary": callbacks::summary(&list), "items": list}),
    ))
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
    let n = callbacks::sample(&ctx.db, &v.actor, &c, b.size.unwrap_or(5)).await?;
    Ok(created(json!({ "sampled": n })))
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
    Ok(ok(
        json!({"pid": after.pid, "status": after.status, "satisfaction": after.satisfaction}),
    ))
}

async fn documents(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let rows = crate::models::contract_documents::of_contract(&ctx.db, c.id).await?;
    Ok(ok(json!({"items": rows.iter().map(|d| json!({
        "pid": d.pid, "kind": d.kind, "file_name": d.file_name, "content_type": d.content_type,
        "size": d.size, "uploaded_at": d.created_at,
    })).collect::<Vec<_>>()})))
}

async fn add_document(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    mp: axum::extract::Multipart,
) -> AppResult<Response> {
    let (_, d) = crate::controllers::contracts::upload_document(&ctx, &v, &id, mp).await?;
    Ok(created(
        json!({"pid": d.pid, "kind": d.kind, "file_name": d.file_name,
                      "content_type": d.content_type, "size": d.size}),
    ))
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
        .add(
            "/{pid}/documents/{document}",
            get(crate::controllers::contracts::document),
        )
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
            get(crate::controllers::contracts::acceptance_pack),
        )
        .add(
            "/{pid}/acceptances/{acceptance}/pack.pdf",
            get(crate::controllers::contracts::acceptance_pack_pdf),
        )
        .add("/{pid}/amendments", get(amendments))
        .add("/{pid}/amendments", post(propose))
        .add("/{pid}/amendments/{amendment}/approve", post(approve))
        .add("/{pid}/amendments/{amendment}/reject", post(reject))
}
