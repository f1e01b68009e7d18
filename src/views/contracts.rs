//! Contracts as the pages and the API show them: a contract with its
//! purchaser, provider and items (built for a whole page of contracts at
//! once by [`load`]: one query per related table, never one per row), its
//! milestones and documents, the contract form, and the data of each
//! contract page.
use super::Ref;
use crate::{
    domain::{
        fulfilment::Unit,
        locale::Locale,
        money::format_yuan,
        pagination::PageInfo,
        visit_log::{format_quantity, MaterialCategory},
    },
    errors::{AppError, AppResult},
    models::{
        _entities::{contract_items, organizations, recipients, townships},
        acceptances, callbacks,
        contract_amendments::{self, AmendmentParams},
        contract_documents,
        contracts::{self, ContractParams, ItemParams, Pasted, PROCUREMENT_METHODS},
        fulfilment, milestones, payments,
        service_types::{Catalogue, Choice},
    },
    policy::Scope,
};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use loco_rs::app::AppContext;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use sea_orm::{QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

type Time = chrono::DateTime<chrono::FixedOffset>;

/// Page data from a typed shape.
fn data<T: Serialize>(shape: &T) -> AppResult<Value> {
    serde_json::to_value(shape).map_err(|e| AppError::Internal(e.to_string()))
}

/// One line item as the API shows it.
#[derive(Debug, Serialize)]
pub struct ItemJson {
    pub pid: Uuid,
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
            quantity: format_quantity(m.quantity_milli),
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
    pub pid: Uuid,
    pub code: String,
    pub title: String,
    pub township: Option<Ref>,
    pub organization: Option<Ref>,
    pub procurement_method: String,
    pub signed_on: NaiveDate,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
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

impl ContractJson {
    #[must_use]
    pub fn new(
        c: &contracts::Model,
        town: Option<&townships::Model>,
        org: Option<&organizations::Model>,
        items: Vec<ItemJson>,
    ) -> Self {
        Self {
            pid: c.pid,
            code: c.code.clone(),
            title: c.title.clone(),
            township: town.map(|t| Ref {
                pid: t.pid,
                name: t.name.clone(),
            }),
            organization: org.map(|o| Ref {
                pid: o.pid,
                name: o.name.clone(),
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
            items,
        }
    }
}

/// Ids, each once.
fn distinct(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut v: Vec<i64> = ids.collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The contracts of a page as they are shown, in the order given: their
/// townships, providers and items in one query each (three in all,
/// however many contracts).
///
/// # Errors
/// Database errors.
pub async fn load<C: ConnectionTrait>(
    db: &C,
    rows: &[contracts::Model],
) -> AppResult<Vec<ContractJson>> {
    let towns: HashMap<i64, townships::Model> = townships::Entity::find()
        .filter(townships::Column::Id.is_in(distinct(rows.iter().map(|c| c.township_id))))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let orgs: HashMap<i64, organizations::Model> = organizations::Entity::find()
        .filter(organizations::Column::Id.is_in(distinct(rows.iter().map(|c| c.organization_id))))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let mut items: HashMap<i64, Vec<ItemJson>> = HashMap::new();
    for i in contracts::items_of_all(db, &ids).await? {
        items
            .entry(i.contract_id)
            .or_default()
            .push(ItemJson::from(&i));
    }
    Ok(rows
        .iter()
        .map(|c| {
            ContractJson::new(
                c,
                towns.get(&c.township_id),
                orgs.get(&c.organization_id),
                items.remove(&c.id).unwrap_or_default(),
            )
        })
        .collect())
}

/// One contract as the API and pages show it ([`load`] for one).
///
/// # Errors
/// Database errors.
pub async fn contract_json(ctx: &AppContext, c: &contracts::Model) -> AppResult<ContractJson> {
    one(&ctx.db, c).await
}

/// One contract as the API and pages show it ([`load`] for one).
///
/// # Errors
/// Database errors.
pub async fn one<C: ConnectionTrait>(db: &C, c: &contracts::Model) -> AppResult<ContractJson> {
    load(db, std::slice::from_ref(c))
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// A milestone as the API shows it.
#[derive(Debug, Serialize)]
pub struct MilestoneJson {
    pub pid: Uuid,
    pub title: String,
    pub amount: String,
    pub amount_fen: i64,
    pub due_on: NaiveDate,
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

/// A list answer without pages: `{"items": [..]}`.
#[derive(Debug, Serialize)]
pub struct ItemsJson<T: Serialize> {
    pub items: Vec<T>,
}

impl<T: Serialize> ItemsJson<T> {
    #[must_use]
    pub const fn new(items: Vec<T>) -> Self {
        Self { items }
    }
}

/// The milestones of a contract.
///
/// # Errors
/// Database errors.
pub async fn milestone_list(
    db: &DatabaseConnection,
    c: &contracts::Model,
) -> AppResult<ItemsJson<MilestoneJson>> {
    let rows = milestones::of_contract(db, c.id).await?;
    Ok(ItemsJson::new(
        rows.iter().map(MilestoneJson::from).collect(),
    ))
}

/// The covered recipients of a contract, by name, a page at a time.
///
/// # Errors
/// Database errors.
pub async fn covered(
    db: &DatabaseConnection,
    c: &contracts::Model,
    page: crate::domain::pagination::PageRequest,
) -> AppResult<(Vec<Ref>, PageInfo)> {
    let (rows, info) = contracts::covered(db, c, page).await?;
    let people = rows.iter().map(|r| Ref {
        pid: r.pid,
        name: r.name.clone(),
    });
    Ok((people.collect(), info))
}

/// What covering recipients did (fields in the order the API always
/// wrote them).
#[derive(Debug, Serialize)]
pub struct CoverJson {
    pub added: usize,
    pub unmatched: Vec<String>,
}

/// The payments of a contract with what is paid and the total.
#[derive(Debug, Serialize)]
pub struct PaymentsJson {
    pub items: Vec<payments::PaymentJson>,
    pub paid: String,
    pub paid_fen: i64,
    pub total_fen: i64,
}

/// The payments of a contract.
///
/// # Errors
/// Database errors.
pub async fn payment_list(
    db: &DatabaseConnection,
    c: &contracts::Model,
) -> AppResult<PaymentsJson> {
    let items = payments::shown(db, c.id).await?;
    let paid: i64 = items.iter().map(|p| p.amount_fen).sum();
    Ok(PaymentsJson {
        items,
        paid: format_yuan(paid),
        paid_fen: paid,
        total_fen: c.total_fen,
    })
}

/// The call-backs of a contract with their summary.
#[derive(Debug, Serialize)]
pub struct CallbacksJson {
    pub items: Vec<callbacks::CallbackJson>,
    pub summary: callbacks::Summary,
}

/// The call-backs of a contract.
///
/// # Errors
/// Database errors.
pub async fn callback_list(
    db: &DatabaseConnection,
    c: &contracts::Model,
) -> AppResult<CallbacksJson> {
    let items = callbacks::of_contract(db, c).await?;
    Ok(CallbacksJson {
        summary: callbacks::summary(&items),
        items,
    })
}

/// How many visits were drawn for call-backs.
#[derive(Debug, Serialize)]
pub struct SampledJson {
    pub sampled: usize,
}

/// A call-back after its call.
#[derive(Debug, Serialize)]
pub struct CallJson {
    pub pid: Uuid,
    pub satisfaction: Option<i64>,
    pub status: String,
}

impl From<&callbacks::Model> for CallJson {
    fn from(m: &callbacks::Model) -> Self {
        Self {
            pid: m.pid,
            satisfaction: m.satisfaction,
            status: m.status.clone(),
        }
    }
}

/// A document just stored.
#[derive(Debug, Serialize)]
pub struct UploadedJson {
    pub content_type: String,
    pub file_name: String,
    pub kind: String,
    pub pid: Uuid,
    pub size: i64,
}

impl From<&contract_documents::Model> for UploadedJson {
    fn from(d: &contract_documents::Model) -> Self {
        Self {
            content_type: d.content_type.clone(),
            file_name: d.file_name.clone(),
            kind: d.kind.clone(),
            pid: d.pid,
            size: d.size,
        }
    }
}

/// A document of a contract in its list.
#[derive(Debug, Serialize)]
pub struct DocumentJson {
    pub content_type: String,
    pub file_name: String,
    pub kind: String,
    pub pid: Uuid,
    pub size: i64,
    pub uploaded_at: Time,
}

impl From<&contract_documents::Model> for DocumentJson {
    fn from(d: &contract_documents::Model) -> Self {
        Self {
            content_type: d.content_type.clone(),
            file_name: d.file_name.clone(),
            kind: d.kind.clone(),
            pid: d.pid,
            size: d.size,
            uploaded_at: d.created_at,
        }
    }
}

/// The documents of a contract.
///
/// # Errors
/// Database errors.
pub async fn document_list(
    db: &DatabaseConnection,
    c: &contracts::Model,
) -> AppResult<ItemsJson<DocumentJson>> {
    let rows = contract_documents::of_contract(db, c.id).await?;
    Ok(ItemsJson::new(
        rows.iter().map(DocumentJson::from).collect(),
    ))
}

/// A document to download, never cached; its name in ASCII and, for
/// browsers that read it, in UTF-8.
#[must_use]
pub fn document(m: &contract_documents::Model, bytes: Vec<u8>) -> Response {
    use axum::http::header;
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
    let encoded: String = m
        .file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, m.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// A document on the contract page.
#[derive(Debug, Serialize)]
struct DocumentRow {
    pid: Uuid,
    kind: String,
    file_name: String,
    size_kb: i64,
    at: Time,
}

/// The sections of the contract page, one shown at a time under the
/// summary (`?tab=`; every form returns to its own section).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Section {
    /// 履约: items, visit figures, exports.
    #[default]
    Fulfilment,
    /// 验收: acceptances, milestones, payments.
    Acceptance,
    /// 变更: amendments and their decisions.
    Amendments,
    /// 回访: satisfaction call-backs (those who manage contracts).
    Callbacks,
    /// 文件: terms and documents.
    Documents,
    /// 对象: covered people and the visits-per-month term.
    Recipients,
}

impl Section {
    pub const ALL: [Self; 6] = [
        Self::Fulfilment,
        Self::Acceptance,
        Self::Amendments,
        Self::Callbacks,
        Self::Documents,
        Self::Recipients,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Fulfilment => "fulfilment",
            Self::Acceptance => "acceptance",
            Self::Amendments => "amendments",
            Self::Callbacks => "callbacks",
            Self::Documents => "documents",
            Self::Recipients => "recipients",
        }
    }

    /// The section named by `?tab=`; the first one for anything else.
    #[must_use]
    pub fn parse(s: Option<&str>) -> Self {
        let s = s.map(str::trim).unwrap_or_default();
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .unwrap_or_default()
    }

    /// The contract page at this section: where its forms return.
    #[must_use]
    pub fn url(self, contract: Uuid) -> String {
        let s = self.as_str();
        format!("/contracts/{contract}?tab={s}#{s}")
    }
}

/// Who ended a contract, when, and why (from the audit entry that closed
/// it).
#[derive(Debug, Serialize)]
pub struct ClosureJson {
    pub by: String,
    pub at: Time,
    pub reason: String,
}

/// A form of the contract page shown again after a refused post: which
/// form (`callback:<pid>`, `reject:<pid>`), what was typed, the
/// translated errors.
#[derive(Debug, Clone, Serialize)]
pub struct Again {
    pub form: String,
    pub values: Value,
    pub errors: Value,
}

/// The contract page: a summary, then one section at a time (fulfilment,
/// acceptance and money, amendments, call-backs for those who manage
/// contracts, terms and documents, covered people).
#[derive(Debug, Serialize)]
struct ShowPage {
    section: &'static str,
    sections: Vec<&'static str>,
    closure: Option<ClosureJson>,
    /// The refused form, or one naming no form (`form` empty).
    again: Again,
    /// An empty object, for the forms that were not refused.
    blank: Value,
    contract: ContractJson,
    report: fulfilment::Report,
    may_manage: bool,
    amendments: Vec<contract_amendments::AmendmentJson>,
    milestones: Vec<MilestoneJson>,
    acceptances: Vec<acceptances::AcceptanceJson>,
    payments: Vec<payments::PaymentJson>,
    paid: String,
    total: String,
    callbacks_summary: callbacks::Summary,
    callbacks: Vec<callbacks::CallbackJson>,
    documents: Vec<DocumentRow>,
    service_names: Value,
}

/// The data of the contract page.
///
/// # Errors
/// Database errors.
#[allow(clippy::too_many_arguments)]
pub async fn show_page(
    db: &DatabaseConnection,
    scope: &Scope,
    lang: Locale,
    c: &contracts::Model,
    today: NaiveDate,
    now: DateTime<Utc>,
    section: Section,
    again: Option<Again>,
) -> AppResult<Value> {
    let may_manage = scope.may_manage_contracts();
    let sections = Section::ALL
        .into_iter()
        .filter(|s| may_manage || *s != Section::Callbacks)
        .map(Section::as_str)
        .collect();
    let section = if !may_manage && section == Section::Callbacks {
        Section::default()
    } else {
        section
    };
    let closure = contracts::closure(db, c).await?.map(|a| ClosureJson {
        by: a.actor_label.clone(),
        at: a.created_at,
        reason: a.changes_json()["reason"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    });
    let calls = if may_manage {
        callbacks::of_contract(db, c).await?
    } else {
        Vec::new()
    };
    let payments = payments::shown(db, c.id).await?;
    let paid: i64 = payments.iter().map(|p| p.amount_fen).sum();
    let documents = contract_documents::of_contract(db, c.id).await?;
    data(&ShowPage {
        section: section.as_str(),
        sections,
        closure,
        again: again.unwrap_or_else(|| Again {
            form: String::new(),
            values: Value::Object(serde_json::Map::new()),
            errors: Value::Object(serde_json::Map::new()),
        }),
        blank: Value::Object(serde_json::Map::new()),
        contract: one(db, c).await?,
        report: fulfilment::report(db, c, today, now).await?,
        may_manage,
        amendments: contract_amendments::of_contract(db, c).await?,
        milestones: milestones::of_contract(db, c.id)
            .await?
            .iter()
            .map(MilestoneJson::from)
            .collect(),
        acceptances: acceptances::of_contract(db, c.id).await?,
        payments,
        paid: format_yuan(paid),
        total: format_yuan(c.total_fen),
        callbacks_summary: callbacks::summary(&calls),
        callbacks: calls,
        documents: documents
            .iter()
            .map(|d| DocumentRow {
                pid: d.pid,
                kind: d.kind.clone(),
                file_name: d.file_name.clone(),
                size_kb: (d.size + 1023) / 1024,
                at: d.created_at,
            })
            .collect(),
        service_names: Catalogue::load(db).await?.names(lang),
    })
}

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
    pub reason: Option<String>,
    pub effective_on: Option<String>,
    /// The reason may be published (a checked box).
    pub public: Option<String>,
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
#[derive(Debug, Clone, Default, Serialize)]
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

    /// The contract as sent: rows left empty are not items.
    #[must_use]
    pub fn params(&self) -> ContractParams {
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
    #[must_use]
    pub fn of(c: &ContractJson) -> Self {
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

    /// The amendment as sent: the contract, why and from when.
    #[must_use]
    pub fn amendment(&self) -> AmendmentParams {
        AmendmentParams {
            reason: self.reason.clone(),
            effective_on: self.effective_on.clone(),
            public: self.public.clone(),
            contract: self.params(),
            ..Default::default()
        }
    }

    /// The form of a stored contract (to edit a draft).
    ///
    /// # Errors
    /// Database errors.
    pub async fn load(db: &DatabaseConnection, c: &contracts::Model) -> AppResult<Self> {
        Ok(Self::of(&one(db, c).await?))
    }
}

/// The contract form page: the form as sent (with three empty item rows
/// more), its errors, and the choices: the caller's townships, providers,
/// services, material categories, units and methods.
#[derive(Debug, Serialize)]
struct FormPage<'a> {
    action: &'a str,
    form: &'a ContractForm,
    rows: Vec<Row>,
    errors: Value,
    amendment: bool,
    townships: Vec<Ref>,
    organizations: Vec<Ref>,
    services: Vec<Choice>,
    categories: Vec<&'static str>,
    units: Vec<&'static str>,
    methods: [&'static str; 6],
}

/// The data of the contract form posting to `action` (an amendment when
/// it ends in `/amendments`).
///
/// # Errors
/// Database errors.
pub async fn form_page(
    db: &DatabaseConnection,
    scope: &Scope,
    lang: Locale,
    action: &str,
    f: &ContractForm,
    errors: Value,
) -> AppResult<Value> {
    let towns = match crate::models::scoped(townships::Entity::find(), scope.contract_townships()) {
        Some(q) => {
            q.order_by_asc(townships::Column::Name)
                .limit(200)
                .all(db)
                .await?
        }
        None => Vec::new(),
    };
    let orgs = organizations::Entity::find()
        .order_by_asc(organizations::Column::Name)
        .limit(500)
        .all(db)
        .await?;
    let mut rows = f.rows();
    rows.extend((0..3).map(|_| Row::default()));
    let named = |pid: Uuid, name: &str| Ref {
        pid,
        name: name.to_string(),
    };
    data(&FormPage {
        action,
        form: f,
        rows,
        errors,
        amendment: action.ends_with("/amendments"),
        townships: towns.iter().map(|t| named(t.pid, &t.name)).collect(),
        organizations: orgs.iter().map(|o| named(o.pid, &o.name)).collect(),
        services: Catalogue::load(db).await?.choices(lang),
        categories: MaterialCategory::ALL.iter().map(|c| c.as_str()).collect(),
        units: Unit::ALL.iter().map(|u| u.as_str()).collect(),
        methods: PROCUREMENT_METHODS,
    })
}

/// The contract named on its sub-pages.
#[derive(Debug, Serialize)]
struct Named<'a> {
    pid: Uuid,
    code: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
}

/// A person who may be covered, with their household to cover whole.
#[derive(Debug, Serialize)]
struct Candidate {
    pid: Uuid,
    name: String,
    household: Option<Uuid>,
}

#[derive(Debug, Serialize)]
struct RecipientsPage<'a> {
    contract: Named<'a>,
    covered: Vec<Ref>,
    candidates: Vec<Candidate>,
    page: PageInfo,
    may_add: bool,
}

/// The covered recipients of a contract, a page at a time, and (for a
/// draft the caller manages) people of the township to add, `text` in
/// their name.
///
/// # Errors
/// Database errors.
pub async fn recipients_page(
    db: &DatabaseConnection,
    scope: &Scope,
    c: &contracts::Model,
    page: crate::domain::pagination::PageRequest,
    text: Option<&str>,
) -> AppResult<Value> {
    let (covered, page) = contracts::covered(db, c, page).await?;
    let may_add = scope.may_manage_contracts() && c.status == "draft";
    let candidates = if may_add {
        contracts::candidates(db, c, text).await?
    } else {
        Vec::new()
    };
    let person = |r: &recipients::Model| Ref {
        pid: r.pid,
        name: r.name.clone(),
    };
    data(&RecipientsPage {
        contract: Named {
            pid: c.pid,
            code: &c.code,
            title: &c.title,
            status: Some(&c.status),
        },
        covered: covered.iter().map(person).collect(),
        candidates: candidates
            .into_iter()
            .map(|(r, household)| Candidate {
                pid: r.pid,
                name: r.name,
                household,
            })
            .collect(),
        page,
        may_add,
    })
}

#[derive(Debug, Serialize)]
struct CoverResult<'a> {
    contract: ContractJson,
    #[serde(flatten)]
    pasted: &'a Pasted,
}

/// What covering pasted ID numbers did, on its page.
///
/// # Errors
/// Database errors.
pub async fn cover_result(
    db: &DatabaseConnection,
    c: &contracts::Model,
    pasted: &Pasted,
) -> AppResult<Value> {
    data(&CoverResult {
        contract: one(db, c).await?,
        pasted,
    })
}

#[derive(Debug, Serialize)]
struct VisitsPage<'a, T: Serialize> {
    contract: Named<'a>,
    figure_kind: &'a str,
    items: T,
    years: Vec<String>,
    page: PageInfo,
    base_query: String,
}

/// The visits behind one figure of the fulfilment page: `items` as the
/// board describes `rows`.
///
/// # Errors
/// Never in practice (page data from typed shapes).
pub fn visits_page<T: Serialize>(
    c: &contracts::Model,
    figure: &str,
    rows: &[crate::models::_entities::visits::Model],
    items: T,
    page: PageInfo,
) -> AppResult<Value> {
    let years = rows
        .iter()
        .map(|r| {
            r.starts_at
                .with_timezone(&crate::zone::display())
                .format("%Y")
                .to_string()
        })
        .collect();
    data(&VisitsPage {
        contract: Named {
            pid: c.pid,
            code: &c.code,
            title: &c.title,
            status: None,
        },
        figure_kind: figure.split(':').next().unwrap_or_default(),
        items,
        years,
        page,
        base_query: format!("figure={}", escape_figure(figure)),
    })
}

/// Enough escaping for a figure name in a query string.
fn escape_figure(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '.' => c.to_string(),
            ':' => "%3A".to_string(),
            other => format!("%{:02X}", u32::from(other) & 0xFF),
        })
        .collect()
}

/// The query of the visits behind one figure of the fulfilment page
/// (`figure=completed|attempted|missed|cancelled|late|exceptions|item:<pid>`,
/// `page`, `per_page`), for the page and the API.
#[derive(Debug, Default, serde::Deserialize)]
pub struct BehindQuery {
    pub figure: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

impl BehindQuery {
    /// The figure named and the page asked for.
    ///
    /// # Errors
    /// 422 `figure` for a figure not named above.
    pub fn parse(&self) -> AppResult<(fulfilment::Behind, crate::domain::pagination::PageRequest)> {
        let behind = fulfilment::Behind::parse(self.figure.as_deref().unwrap_or_default())
            .ok_or_else(|| AppError::field("figure", "error-flag"))?;
        let req = crate::domain::pagination::PageRequest::parse(
            self.page.as_deref(),
            self.per_page.as_deref(),
        );
        Ok((behind, req))
    }
}
