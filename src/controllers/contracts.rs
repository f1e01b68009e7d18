//! Contract pages: the contracts in scope; one contract with its terms,
//! items and live fulfilment; the form officials draw drafts up with; the
//! covered recipients.
use super::{invalid_or, require};
use crate::{
    controllers::api::contracts::{contract_json, MilestoneJson},
    domain::{fulfilment::Unit, publication::Edition},
    errors::AppResult,
    models::{
        _entities::{organizations, recipients, townships},
        acceptances::{self, AcceptanceParams},
        audit_logs::{self, Action},
        callbacks::{self, CallResult},
        contract_amendments::{self, AmendmentParams},
        contracts::{self, ContractParams, ItemParams, NewContract, PROCUREMENT_METHODS},
        fulfilment,
        milestones::{self, MilestoneParams},
        service_types::Catalogue,
    },
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
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The contract form: one field per term, item rows as parallel lists.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ContractForm {
    township: Option<String>,
    organization: Option<String>,
    code: Option<String>,
    title: Option<String>,
    procurement_method: Option<String>,
    signed_on: Option<String>,
    starts_on: Option<String>,
    ends_on: Option<String>,
    total: Option<String>,
    content: Option<String>,
    quality: Option<String>,
    settlement: Option<String>,
    liability: Option<String>,
    min_visits_per_month: Option<String>,
    min_visit_minutes: Option<String>,
    max_late_percent: Option<String>,
    /// For an amendment: why, and from when.
    reason: Option<String>,
    effective_on: Option<String>,
    /// The reason may be published (a checked box).
    public: Option<String>,
    #[serde(default)]
    item_what: Vec<String>,
    #[serde(default)]
    item_unit: Vec<String>,
    #[serde(default)]
    item_quantity: Vec<String>,
    #[serde(default)]
    item_price: Vec<String>,
    #[serde(default)]
    item_min_minutes: Vec<String>,
}

/// One item row of the form: `what` is `service:code` or
/// `material:category`.
#[derive(Debug, Clone, Serialize)]
struct Row {
    what: String,
    unit: String,
    quantity: String,
    price: String,
    min_minutes: String,
}

impl ContractForm {
    fn rows(&self) -> Vec<Row> {
        let at = |v: &Vec<String>, i: usize| v.get(i).cloned().unwrap_or_default();
        (0..self.item_what.len().max(self.item_unit.len()))
            .map(|i| Row {
                what: at(&self.item_what, i),
                unit: at(&self.item_unit, i),
                quantity: at(&self.item_quantity, i),
                price: at(&self.item_price, i),
                min_minutes: at(&self.item_min_minutes, i),
            })
            .collect()
    }

    fn params(&self) -> ContractParams {
        let items = self
            .rows()
            .into_iter()
            .filter(|r| !(r.what.trim().is_empty() && r.quantity.trim().is_empty()))
            .map(|r| {
                let (kind, code) = r.what.split_once(':').unwrap_or(("", ""));
                ItemParams {
                    service: (kind == "service").then(|| code.to_string()),
                    material_category: (kind == "material").then(|| code.to_string()),
                    unit: Some(r.unit),
                    quantity: Some(r.quantity),
                    unit_price: Some(r.price),
                    min_minutes: Some(r.min_minutes),
                }
            })
            .collect();
        ContractParams {
            township: self.township.clone(),
            organization: self.organization.clone(),
            code: self.code.clone(),
            title: self.title.clone(),
            procurement_method: self.procurement_method.clone(),
            signed_on: self.signed_on.clone(),
            starts_on: self.starts_on.clone(),
            ends_on: self.ends_on.clone(),
            total: self.total.clone(),
            content: self.content.clone(),
            quality: self.quality.clone(),
            settlement: self.settlement.clone(),
            liability: self.liability.clone(),
            min_visits_per_month: self.min_visits_per_month.clone(),
            min_visit_minutes: self.min_visit_minutes.clone(),
            max_late_percent: self.max_late_percent.clone(),
            items,
        }
    }

    /// The form of a stored contract.
    fn of(c: &crate::controllers::api::contracts::ContractJson) -> Self {
        let s = |x: &Option<i64>| x.map(|n| n.to_string());
        let mut f = Self {
            township: c.township.as_ref().map(|t| t.pid.to_string()),
            organization: c.organization.as_ref().map(|o| o.pid.to_string()),
            code: Some(c.code.clone()),
            title: Some(c.title.clone()),
            procurement_method: Some(c.procurement_method.clone()),
            signed_on: Some(c.signed_on.to_string()),
            starts_on: Some(c.starts_on.to_string()),
            ends_on: Some(c.ends_on.to_string()),
            total: Some(c.total.clone()),
            content: c.content.clone(),
            quality: c.quality.clone(),
            settlement: c.settlement.clone(),
            liability: c.liability.clone(),
            min_visits_per_month: s(&c.min_visits_per_month),
            min_visit_minutes: s(&c.min_visit_minutes),
            max_late_percent: s(&c.max_late_percent),
            ..Default::default()
        };
        for it in &c.items {
            f.item_what
                .push(match (&it.service, &it.material_category) {
                    (Some(s), _) => format!("service:{s}"),
                    (_, Some(m)) => format!("material:{m}"),
                    _ => String::new(),
                });
            f.item_unit.push(it.unit.clone());
            f.item_quantity.push(it.quantity.clone());
            f.item_price.push(it.unit_price.clone());
            f.item_min_minutes
                .push(it.min_minutes.map(|m| m.to_string()).unwrap_or_default());
        }
        f
    }
}

/// A contract in scope that the caller may also change (officials of its
/// township, admins); anyone else gets 404.
///
/// # Errors
/// `NotFound`; database errors.
pub async fn managed(ctx: &AppContext, v: &Viewer, id: &str) -> AppResult<contracts::Model> {
    let c = contracts::load(&ctx.db, &v.scope, pid(id)?).await?;
    require(v.scope.may_manage_contracts())?;
    Ok(c)
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let (rows, page) = contracts::list(&ctx.db, &v.scope, q.page()).await?;
    let mut items = Vec::with_capacity(rows.len());
    for c in &rows {
        items.push(contract_json(&ctx, c).await?);
    }
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
    let today = crate::models::today();
    let report = fulfilment::report(&ctx.db, &c, today, chrono::Utc::now()).await?;
    let calls = if v.scope.may_manage_contracts() {
        callbacks::of_contract(&ctx.db, &c).await?
    } else {
        Vec::new()
    };
    let payments = crate::models::payments::shown(&ctx.db, c.id).await?;
    let paid: i64 = payments.iter().map(|p| p.amount_fen).sum();
    Ok(Page::new(
        "contracts/show.html",
        json!({"contract": contract_json(&ctx, &c).await?, "report": report,
               "may_manage": v.scope.may_manage_contracts(),
               "amendments": contract_amendments::of_contract(&ctx.db, &c).await?,
               "milestones": milestones::of_contract(&ctx.db, c.id).await?.iter().map(MilestoneJson::from).collect::<Vec<_>>(),
               "acceptances": acceptances::of_contract(&ctx.db, c.id).await?,
               "payments": payments, "paid": crate::domain::money::format_yuan(paid),
               "total": crate::domain::money::format_yuan(c.total_fen),
               "callbacks_summary": callbacks::summary(&calls), "callbacks": calls,
               "documents": crate::models::contract_documents::of_contract(&ctx.db, c.id).await?
                   .iter().map(|d| json!({"pid": d.pid, "kind": d.kind, "file_name": d.file_name,
                                          "size_kb": (d.size + 1023) / 1024, "at": d.created_at}))
                   .collect::<Vec<_>>(),
               "service_names": Catalogue::load(&ctx.db).await?.names(v.lang)}),
    )
    .render(&v))
}

/// Choices of the form: the caller's townships, providers, services,
/// material categories, units and methods.
async fn form(
    ctx: &AppContext,
    v: &Viewer,
    action: String,
    f: &ContractForm,
    errors: Value,
    status: StatusCode,
) -> AppResult<Response> {
    let towns = match crate::models::scoped(townships::Entity::find(), v.scope.contract_townships())
    {
        Some(q) => {
            q.order_by_asc(townships::Column::Name)
                .limit(200)
                .all(&ctx.db)
                .await?
        }
        None => Vec::new(),
    };
    let orgs = organizations::Entity::find()
        .order_by_asc(organizations::Column::Name)
        .limit(500)
        .all(&ctx.db)
        .await?;
    let mut rows = f.rows();
    rows.extend((0..3).map(|_| Row {
        what: String::new(),
        unit: String::new(),
        quantity: String::new(),
        price: String::new(),
        min_minutes: String::new(),
    }));
    let amendment = action.ends_with("/amendments");
    Ok(Page::new(
        "contracts/form.html",
        json!({
            "action": action, "form": f, "rows": rows, "errors": errors, "amendment": amendment,
            "townships": towns.iter().map(|t| json!({"pid": t.pid, "name": t.name})).collect::<Vec<_>>(),
            "organizations": orgs.iter().map(|o| json!({"pid": o.pid, "name": o.name})).collect::<Vec<_>>(),
            "services": Catalogue::load(&ctx.db).await?.choices(v.lang),
            "categories": crate::domain::visit_log::MaterialCategory::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            "units": Unit::ALL.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
            "methods": PROCUREMENT_METHODS,
        }),
    )
    .status(status)
    .render(v))
}

async fn new(State(ctx): State<AppContext>, v: Viewer) -> AppResult<Response> {
    require(v.scope.may_manage_contracts())?;
    form(
        &ctx,
        &v,
        "/contracts".into(),
        &ContractForm::default(),
        json!({}),
        StatusCode::OK,
    )
    .await
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(f): FormData<ContractForm>,
) -> AppResult<Response> {
    require(v.scope.may_manage_contracts())?;
    let result = async {
        let new = NewContract::parse(&ctx.db, &v.scope, &f.params()).await?;
        contracts::Model::create(&ctx.db, &v.actor, new).await
    }
    .await;
    match invalid_or(result, v.lang)? {
        Ok(c) => Ok(redirect_flash(
            &format!("/contracts/{}", c.pid),
            "flash-saved",
        )),
        Err(errors) => {
            form(
                &ctx,
                &v,
                "/contracts".into(),
                &f,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

async fn edit(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_contracts() && c.status == "draft")?;
    let f = ContractForm::of(&contract_json(&ctx, &c).await?);
    form(
        &ctx,
        &v,
        format!("/contracts/{}", c.pid),
        &f,
        json!({}),
        StatusCode::OK,
    )
    .await
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<ContractForm>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let result = async {
        let new = NewContract::parse(&ctx.db, &v.scope, &f.params()).await?;
        c.update_draft(&ctx.db, &v.actor, new).await
    }
    .await;
    match invalid_or(result, v.lang)? {
        Ok(c) => Ok(redirect_flash(
            &format!("/contracts/{}", c.pid),
            "flash-saved",
        )),
        Err(errors) => {
            form(
                &ctx,
                &v,
                format!("/contracts/{}", c.pid),
                &f,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
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
    let back = format!("/contracts/{}", c.pid);
    match c
        .set_status(&ctx.db, &v.actor, f.status.as_deref().unwrap_or_default())
        .await
    {
        Ok(_) => Ok(redirect_flash(&back, "flash-saved")),
        Err(crate::errors::AppError::Invalid(e)) => Ok(redirect_flash(
            &back,
            e.first().unwrap_or("error-contract-status"),
        )),
        Err(e) => Err(e),
    }
}

async fn recipients_page(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let (covered, page) = contracts::covered(&ctx.db, &c, q.page()).await?;
    // People of the township not yet covered, to add (drafts only).
    let candidates = if v.scope.may_manage_contracts() && c.status == "draft" {
        use crate::models::_entities::contract_recipients;
        use sea_orm::QueryTrait;
        let taken = contract_recipients::Entity::find()
            .select_only()
            .column(contract_recipients::Column::RecipientId)
            .filter(contract_recipients::Column::ContractId.eq(c.id))
            .into_query();
        let mut find = recipients::Entity::find()
            .filter(recipients::Column::TownshipId.eq(c.township_id))
            .filter(recipients::Column::Status.eq("active"))
            .filter(recipients::Column::Id.not_in_subquery(taken));
        if let Some(text) = ListQuery::get(q.q.as_ref()) {
            find = find.filter(recipients::Column::Name.contains(text));
        }
        find.order_by_asc(recipients::Column::Name)
            .limit(50)
            .all(&ctx.db)
            .await?
    } else {
        Vec::new()
    };
    let person = |r: &recipients::Model| json!({"pid": r.pid, "name": r.name});
    // Each candidate's household, to cover all of it at once.
    let homes: Vec<crate::models::_entities::households::Model> =
        crate::models::_entities::households::Entity::find()
            .filter(
                crate::models::_entities::households::Column::Id
                    .is_in(candidates.iter().map(|r| r.household_id)),
            )
            .all(&ctx.db)
            .await?;
    let candidate = |r: &recipients::Model| {
        json!({"pid": r.pid, "name": r.name,
               "household": homes.iter().find(|h| h.id == r.household_id).map(|h| h.pid)})
    };
    Ok(Page::new(
        "contracts/recipients.html",
        json!({
            "contract": {"pid": c.pid, "code": c.code, "title": c.title, "status": c.status},
            "covered": covered.iter().map(person).collect::<Vec<_>>(),
            "candidates": candidates.iter().map(candidate).collect::<Vec<_>>(),
            "page": page, "query": q, "base_query": q.without_page(),
            "may_add": v.scope.may_manage_contracts() && c.status == "draft",
        }),
    )
    .render(&v))
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
    let (found, unmatched) =
        match contracts::recipients_by_ids(&ctx.db, &v.actor, &vault, &c, &raw).await {
            Ok(x) => x,
            Err(crate::errors::AppError::Invalid(e)) => {
                return Ok(redirect_flash(&back, e.first().unwrap_or("error-invalid")))
            }
            Err(crate::errors::AppError::Limited(key)) => return Ok(redirect_flash(&back, key)),
            Err(e) => return Err(e),
        };
    let added = if found.is_empty() {
        0
    } else {
        match contracts::cover(&ctx.db, &v.actor, &c, &found, &[]).await {
            Ok(n) => n,
            Err(crate::errors::AppError::Invalid(e)) => {
                return Ok(redirect_flash(&back, e.first().unwrap_or("error-invalid")))
            }
            Err(e) => return Err(e),
        }
    };
    Ok(Page::new(
        "contracts/cover_result.html",
        json!({"contract": contract_json(&ctx, &c).await?, "added": added,
               "found": found.len(), "unmatched": unmatched}),
    )
    .render(&v))
}

async fn cover(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<CoverForm>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let back = format!("/contracts/{}/recipients", c.pid);
    let pids: Vec<uuid::Uuid> = f
        .recipients
        .iter()
        .filter_map(|s| uuid::Uuid::parse_str(s.trim()).ok())
        .collect();
    let homes: Vec<uuid::Uuid> = f
        .households
        .iter()
        .filter_map(|s| uuid::Uuid::parse_str(s.trim()).ok())
        .collect();
    match contracts::cover(&ctx.db, &v.actor, &c, &pids, &homes).await {
        Ok(_) => Ok(redirect_flash(&back, "flash-saved")),
        Err(crate::errors::AppError::Invalid(_)) => {
            Ok(redirect_flash(&back, "error-choose-recipient"))
        }
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
    let mut f = ContractForm::of(&contract_json(&ctx, &c).await?);
    f.effective_on = Some(
        crate::models::today()
            .max(c.starts_on)
            .min(c.ends_on)
            .to_string(),
    );
    form(
        &ctx,
        &v,
        format!("/contracts/{}/amendments", c.pid),
        &f,
        json!({}),
        StatusCode::OK,
    )
    .await
}

async fn propose(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<ContractForm>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let p = AmendmentParams {
        reason: f.reason.clone(),
        effective_on: f.effective_on.clone(),
        public: f.public.clone(),
        contract: f.params(),
        ..Default::default()
    };
    let result = contract_amendments::propose(&ctx.db, &v.scope, &v.actor, &c, &p).await;
    match invalid_or(result, v.lang)? {
        Ok(_) => Ok(redirect_flash(
            &format!("/contracts/{}", c.pid),
            "flash-amendment-proposed",
        )),
        Err(errors) => {
            form(
                &ctx,
                &v,
                format!("/contracts/{}/amendments", c.pid),
                &f,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
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
    let back = format!("/contracts/{}", c.pid);
    let approve = f.decision.as_deref() == Some("approve");
    match contract_amendments::decide(&ctx.db, &v.actor, &c, &a, approve, f.note.as_deref()).await {
        Ok(_) => Ok(redirect_flash(&back, "flash-saved")),
        Err(crate::errors::AppError::Invalid(e)) => {
            Ok(redirect_flash(&back, e.first().unwrap_or("error-invalid")))
        }
        Err(e) => Err(e),
    }
}

/// Back to the contract, saying what went wrong if anything did.
fn back_with(c: &contracts::Model, result: AppResult<()>) -> AppResult<Response> {
    let back = format!("/contracts/{}", c.pid);
    match result {
        Ok(()) => Ok(redirect_flash(&back, "flash-saved")),
        Err(crate::errors::AppError::Invalid(e)) => {
            Ok(redirect_flash(&back, e.first().unwrap_or("error-invalid")))
        }
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
    let result = milestones::create(&ctx.db, &v.actor, &c, &f)
        .await
        .map(|_| ());
    back_with(&c, result)
}

async fn add_payment(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<crate::models::payments::PaymentParams>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let result = crate::models::payments::record(&ctx.db, &v.actor, &c, &f, crate::models::today())
        .await
        .map(|_| ());
    back_with(&c, result)
}

async fn accept(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<AcceptanceParams>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let result = acceptances::accept(
        &ctx.db,
        &v.actor,
        &c,
        &f,
        crate::models::today(),
        chrono::Utc::now(),
    )
    .await
    .map(|_| ());
    back_with(&c, result)
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct BehindQuery {
    figure: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

/// The visits behind one figure of the fulfilment page.
async fn visits_page(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<BehindQuery>,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let figure = q.figure.clone().unwrap_or_default();
    let behind = fulfilment::Behind::parse(&figure)
        .ok_or_else(|| crate::errors::AppError::field("figure", "error-flag"))?;
    let req =
        crate::domain::pagination::PageRequest::parse(q.page.as_deref(), q.per_page.as_deref());
    let (rows, page) =
        fulfilment::visits_behind(&ctx.db, &c, &behind, crate::models::today(), req).await?;
    let list = crate::controllers::board::describe(&ctx, &v, &rows, &[]).await?;
    let years: Vec<String> = rows
        .iter()
        .map(|r| {
            r.starts_at
                .with_timezone(&crate::web::render::DISPLAY_ZONE)
                .format("%Y")
                .to_string()
        })
        .collect();
    Ok(Page::new(
        "contracts/visits.html",
        json!({"contract": {"pid": c.pid, "title": c.title, "code": c.code},
               "figure_kind": figure.split(':').next().unwrap_or_default(), "items": list, "years": years, "page": page,
               "base_query": format!("figure={}", urlencoding_light(&figure))}),
    )
    .render(&v))
}

/// Enough escaping for a figure name in a query string.
fn urlencoding_light(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '.' => c.to_string(),
            ':' => "%3A".to_string(),
            other => format!("%{:02X}", u32::from(other) & 0xFF),
        })
        .collect()
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

async fn sample_callbacks(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<SampleForm>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let size = f
        .size
        .as_deref()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let result = callbacks::sample(&ctx.db, &v.actor, &c, size)
        .await
        .map(|_| ());
    back_with(&c, result)
}

async fn record_callback(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path((id, cb)): Path<(String, String)>,
    FormData(f): FormData<CallResult>,
) -> AppResult<Response> {
    let c = managed(&ctx, &v, &id).await?;
    let found = callbacks::load(&ctx.db, &c, pid(&cb)?).await?;
    let result = callbacks::record(&ctx.db, &v.actor, &found, &f)
        .await
        .map(|_| ());
    back_with(&c, result)
}

/// `masked=1` for the public version.
#[derive(Debug, Default, Deserialize)]
pub struct PackQuery {
    masked: Option<String>,
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
    use crate::views::pack::Format;
    pack(&ctx, &v, &id, &acceptance, &q, Format::Xlsx).await
}

/// The same pack as PDF (A4, Chinese set in the font built into the
/// binary), for printing, signing and filing.
pub async fn acceptance_pack_pdf(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path((id, acceptance)): Path<(String, String)>,
    QueryParams(q): QueryParams<PackQuery>,
) -> AppResult<Response> {
    use crate::views::pack::Format;
    pack(&ctx, &v, &id, &acceptance, &q, Format::Pdf).await
}

/// An acceptance of a contract in scope, its pack as `format`, audited.
async fn pack(
    ctx: &AppContext,
    v: &Viewer,
    id: &str,
    acceptance: &str,
    q: &PackQuery,
    format: crate::views::pack::Format,
) -> AppResult<Response> {
    let c = contracts::load(&ctx.db, &v.scope, pid(id)?).await?;
    let a = acceptances::load(&ctx.db, &c, pid(acceptance)?).await?;
    let edition = Edition::of_pack(crate::web::input::checked(q.masked.as_deref()));
    let p = crate::views::pack::Pack::load(&ctx.db, v.lang, &c, &a, edition).await?;
    Ok(p.download(&ctx.db, &v.actor, format).await?.into_response())
}

/// A document upload: `kind` and `file`.
async fn read_document(
    mut mp: axum::extract::Multipart,
) -> AppResult<(Option<String>, Option<String>, Option<Vec<u8>>)> {
    let too_large = || crate::errors::AppError::field("file", "error-file-too-large");
    let (mut kind, mut name, mut bytes) = (None, None, None);
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(too_large()),
        };
        match field.name().unwrap_or_default() {
            "file" => {
                name = field.file_name().map(str::to_string);
                bytes = Some(field.bytes().await.map_err(|_| too_large())?.to_vec());
            }
            "kind" => kind = Some(field.text().await.map_err(|_| too_large())?),
            _ => {}
        }
    }
    Ok((kind, name, bytes))
}

/// Stores a document of the contract (officials, admins).
pub async fn upload_document(
    ctx: &AppContext,
    v: &Viewer,
    id: &str,
    mp: axum::extract::Multipart,
) -> AppResult<(contracts::Model, crate::models::contract_documents::Model)> {
    let c = managed(ctx, v, id).await?;
    let (kind, name, bytes) = read_document(mp).await?;
    let m = crate::models::contract_documents::upload(
        &ctx.db,
        &ctx.storage,
        &v.actor,
        &c,
        kind.as_deref(),
        name.as_deref(),
        bytes,
    )
    .await?;
    Ok((c, m))
}

async fn add_document(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    mp: axum::extract::Multipart,
) -> AppResult<Response> {
    match upload_document(&ctx, &v, &id, mp).await {
        Ok((c, _)) => Ok(redirect_flash(
            &format!("/contracts/{}", c.pid),
            "flash-saved",
        )),
        Err(crate::errors::AppError::Invalid(e)) => Ok(redirect_flash(
            &format!("/contracts/{id}"),
            e.first().unwrap_or("error-invalid"),
        )),
        Err(e) => Err(e),
    }
}

/// Downloads a document of a contract in scope.
pub async fn document(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path((id, doc)): Path<(String, String)>,
) -> AppResult<Response> {
    use axum::{http::header, response::IntoResponse};
    let c = contracts::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let (m, bytes) =
        crate::models::contract_documents::fetch(&ctx.db, &ctx.storage, &c, pid(&doc)?).await?;
    // Which document, never its name (a file name may name a person).
    audit_logs::record_download(
        &ctx.db,
        &v.actor,
        Action::Download,
        "contract_documents",
        Some(m.pid),
        &json!({"contract": c.pid.to_string(), "kind": m.kind, "size": m.size}),
    )
    .await?;
    let ascii: String = m
        .file_name
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '.' || ch == '-' {
                ch
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        m.file_name
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            })
            .collect::<String>()
    );
    Ok((
        [
            (header::CONTENT_TYPE, m.content_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
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
