//! Procurement contracts (合同): a township (purchaser) buys services from
//! an organisation (provider) for a period: line items with quantities and
//! unit prices, terms, and the recipients covered. Drafts are edited
//! freely; an active contract changes only through an amendment.
pub use super::_entities::contracts::{self, ActiveModel, Column, Entity, Model};
use super::{
    _entities::{contract_items, contract_recipients, organizations, recipients, townships},
    audit_logs::{self, Action},
    fetch_page, find_scoped, scoped,
    service_types::Catalogue,
    Actor,
};
use crate::{
    domain::form::loose,
    domain::{
        date_input::parse_date,
        fulfilment::Unit,
        money::parse_yuan,
        pagination::{PageInfo, PageRequest},
        reason::{Reason, ReasonError},
        text,
        visit_log::{quantity_milli, MaterialCategory},
    },
    errors::{is_unique_violation, AppError, AppResult, FieldErrors},
    policy::Scope,
};
use chrono::NaiveDate;
use sea_orm::{
    entity::prelude::*, ActiveValue::Set, ConnectionTrait, QueryOrder, QueryTrait, TransactionTrait,
};
use serde::{Deserialize, Serialize};

super::pid_and_timestamps!();

#[async_trait::async_trait]
impl ActiveModelBehavior for contract_items::ActiveModel {
    async fn before_save<C>(self, _db: &C, insert: bool) -> Result<Self, DbErr>
    where
        C: ConnectionTrait,
    {
        let mut this = self;
        if insert {
            this.pid = Set(Uuid::new_v4());
        }
        Ok(this)
    }
}
impl ActiveModelBehavior for contract_recipients::ActiveModel {}

/// How the contract was procured (政府采购方式).
pub const PROCUREMENT_METHODS: [&str; 6] = [
    "public_tender",
    "invited_tender",
    "competitive_negotiation",
    "competitive_consultation",
    "single_source",
    "inquiry",
];

/// One line item as sent: a service type or a material category, a unit,
/// a quantity, a unit price in yuan and an optional minimum of minutes per
/// unit.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ItemParams {
    #[serde(default, deserialize_with = "loose")]
    pub service: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub material_category: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub unit: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub quantity: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub unit_price: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub min_minutes: Option<String>,
}

/// A contract as typed or sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ContractParams {
    #[serde(default, deserialize_with = "loose")]
    pub township: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub organization: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub procurement_method: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub signed_on: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub starts_on: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub ends_on: Option<String>,
    /// The total in yuan (`"360000.00"`).
    #[serde(default, deserialize_with = "loose")]
    pub total: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub content: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub quality: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub settlement: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub liability: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub min_visits_per_month: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub min_visit_minutes: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub max_late_percent: Option<String>,
    #[serde(default)]
    pub items: Vec<ItemParams>,
}

/// A checked line item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewItem {
    pub service: Option<String>,
    pub material_category: Option<String>,
    pub unit: Unit,
    pub quantity_milli: i64,
    pub unit_price_fen: i64,
    pub min_minutes: Option<i64>,
}

impl NewItem {
    /// The item's contracted value: quantity × unit price, in fen.
    #[must_use]
    pub fn value_fen(&self) -> i64 {
        i64::try_from(
            (i128::from(self.quantity_milli) * i128::from(self.unit_price_fen) + 500) / 1000,
        )
        .unwrap_or(i64::MAX)
    }
}

/// A checked contract.
#[derive(Debug, Clone)]
pub struct NewContract {
    township_id: i64,
    organization_id: i64,
    code: String,
    title: String,
    procurement_method: String,
    signed_on: NaiveDate,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    total_fen: i64,
    content: Option<String>,
    quality: Option<String>,
    settlement: Option<String>,
    liability: Option<String>,
    min_visits_per_month: Option<i64>,
    min_visit_minutes: Option<i64>,
    max_late_percent: Option<i64>,
    pub items: Vec<NewItem>,
}

fn small_number(
    e: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
    range: std::ops::RangeInclusive<i64>,
) -> Option<i64> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    let n = raw.parse::<i64>().ok().filter(|n| range.contains(n));
    if n.is_none() {
        e.add(field, "error-contract-number");
    }
    n
}

fn check_item(
    e: &mut FieldErrors,
    i: usize,
    p: &ItemParams,
    catalogue: &Catalogue,
) -> Option<NewItem> {
    let f = |k: &str| format!("items.{i}.{k}");
    let unit = Unit::parse(p.unit.as_deref().unwrap_or_default());
    if unit.is_none() {
        e.add(&f("unit"), "error-contract-unit");
    }
    let service = p
        .service
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let category = p
        .material_category
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let service_ok = service.is_some_and(|s| catalogue.is_offered(s));
    let category_ok = category.is_some_and(|c| MaterialCategory::parse(c).is_ok());
    match unit {
        Some(u) if u.is_service() && !service_ok => e.add(&f("service"), "error-choose-services"),
        Some(u) if !u.is_service() && !category_ok => {
            e.add(&f("material_category"), "error-material-category");
        }
        _ => {}
    }
    let quantity = p.quantity.as_deref().and_then(quantity_milli);
    if quantity.is_none() {
        e.add(&f("quantity"), "error-quantity");
    }
    let price = match p.unit_price.as_deref() {
        Some(v) => e.take(&f("unit_price"), parse_yuan(v), |x| x.message_key()),
        None => {
            e.add(&f("unit_price"), "error-money");
            None
        }
    };
    let min_minutes = small_number(e, &f("min_minutes"), p.min_minutes.as_deref(), 1..=720);
    let unit = unit?;
    Some(NewItem {
        service: service.filter(|_| unit.is_service()).map(str::to_string),
        material_category: category.filter(|_| !unit.is_service()).map(str::to_string),
        unit,
        quantity_milli: quantity?,
        unit_price_fen: price?,
        min_minutes: min_minutes.filter(|_| unit == Unit::Visit),
    })
}

impl NewContract {
    /// Checks a contract: the township must be the caller's (officials),
    /// the provider an organisation, the period sound, every item valid
    /// and their sum within the total.
    ///
    /// # Errors
    /// Field errors; database errors.
    pub async fn parse(
        db: &DatabaseConnection,
        scope: &Scope,
        p: &ContractParams,
    ) -> AppResult<Self> {
        let mut e = FieldErrors::new();
        let pid_of = |s: Option<&str>| s.and_then(|s| Uuid::parse_str(s.trim()).ok());
        let township = match pid_of(p.township.as_deref()) {
            Some(pid) => find_scoped(
                db,
                scoped(
                    townships::Entity::find().filter(townships::Column::Pid.eq(pid)),
                    scope.contract_townships(),
                ),
            )
            .await
            .ok(),
            None => None,
        };
        if township.is_none() {
            e.add("township", "error-choose-township");
        }
        let organization = match pid_of(p.organization.as_deref()) {
            Some(pid) => {
                organizations::Entity::find()
                    .filter(organizations::Column::Pid.eq(pid))
                    .one(db)
                    .await?
            }
            None => None,
        };
        if organization.is_none() {
            e.add("organization", "error-choose-organization");
        }
        let code = e.take(
            "code",
            text::required(p.code.as_deref().unwrap_or_default(), 60),
            |x| x.message_key(),
        );
        let title = e.take(
            "title",
            text::required(p.title.as_deref().unwrap_or_default(), 200),
            |x| x.message_key(),
        );
        let method = p
            .procurement_method
            .as_deref()
            .map(str::trim)
            .filter(|m| PROCUREMENT_METHODS.contains(m));
        if method.is_none() {
            e.add("procurement_method", "error-procurement-method");
        }
        let mut date = |field: &str, raw: Option<&str>| {
            e.take(field, parse_date(raw.unwrap_or_default()), |x| {
                x.message_key()
            })
        };
        let signed_on = date("signed_on", p.signed_on.as_deref());
        let starts_on = date("starts_on", p.starts_on.as_deref());
        let ends_on = date("ends_on", p.ends_on.as_deref());
        if let (Some(s), Some(en)) = (starts_on, ends_on) {
            if en < s {
                e.add("ends_on", "error-date-order");
            } else if (en - s).num_days() > 366 * 5 {
                e.add("ends_on", "error-period-long");
            }
        }
        let total = match p.total.as_deref() {
            Some(v) => e.take("total", parse_yuan(v), |x| x.message_key()),
            None => {
                e.add("total", "error-money");
                None
            }
        };
        let long = |e: &mut FieldErrors, field: &str, raw: Option<&str>| {
            e.take(field, text::optional(raw, 5000), |x| x.message_key())
                .flatten()
        };
        let content = long(&mut e, "content", p.content.as_deref());
        let quality = long(&mut e, "quality", p.quality.as_deref());
        let settlement = long(&mut e, "settlement", p.settlement.as_deref());
        let liability = long(&mut e, "liability", p.liability.as_deref());
        let min_visits = small_number(
            &mut e,
            "min_visits_per_month",
            p.min_visits_per_month.as_deref(),
            1..=31,
        );
        let min_minutes = small_number(
            &mut e,
            "min_visit_minutes",
            p.min_visit_minutes.as_deref(),
            1..=720,
        );
        let max_late = small_number(
            &mut e,
            "max_late_percent",
            p.max_late_percent.as_deref(),
            0..=100,
        );
        let catalogue = Catalogue::load(db).await?;
        let item_inputs = match crate::domain::limits::List::ContractItems.check(p.items.len()) {
            Ok(()) => &p.items[..],
            Err(key) => {
                e.add("items", key);
                &[][..]
            }
        };
        let items: Vec<Option<NewItem>> = item_inputs
            .iter()
            .enumerate()
            .map(|(i, it)| check_item(&mut e, i, it, &catalogue))
            .collect();
        let items: Vec<NewItem> = items.into_iter().flatten().collect();
        let sum: i64 = items.iter().map(NewItem::value_fen).sum();
        if total.is_some_and(|t| sum > t) {
            e.add("items", "error-items-over-total");
        }
        e.into_result(|| {
            Some(Self {
                township_id: township?.id,
                organization_id: organization?.id,
                code: code?,
                title: title?,
                procurement_method: method?.to_string(),
                signed_on: signed_on?,
                starts_on: starts_on?,
                ends_on: ends_on?,
                total_fen: total?,
                content,
                quality,
                settlement,
                liability,
                min_visits_per_month: min_visits,
                min_visit_minutes: min_minutes,
                max_late_percent: max_late,
                items,
            })
        })
    }

    fn set(&self, m: &mut ActiveModel) {
        m.township_id = Set(self.township_id);
        m.organization_id = Set(self.organization_id);
        m.code = Set(self.code.clone());
        m.title = Set(self.title.clone());
        m.procurement_method = Set(self.procurement_method.clone());
        m.signed_on = Set(self.signed_on);
        m.starts_on = Set(self.starts_on);
        m.ends_on = Set(self.ends_on);
        m.total_fen = Set(self.total_fen);
        m.content = Set(self.content.clone());
        m.quality = Set(self.quality.clone());
        m.settlement = Set(self.settlement.clone());
        m.liability = Set(self.liability.clone());
        m.min_visits_per_month = Set(self.min_visits_per_month);
        m.min_visit_minutes = Set(self.min_visit_minutes);
        m.max_late_percent = Set(self.max_late_percent);
    }
}

/// One line item as a version keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermItem {
    pub service: Option<String>,
    pub material_category: Option<String>,
    pub unit: Unit,
    pub quantity_milli: i64,
    pub unit_price_fen: i64,
    pub min_minutes: Option<i64>,
}

/// A contract's terms as a version keeps them: everything but the parties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    pub code: String,
    pub title: String,
    pub procurement_method: String,
    pub signed_on: NaiveDate,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub total_fen: i64,
    pub content: Option<String>,
    pub quality: Option<String>,
    pub settlement: Option<String>,
    pub liability: Option<String>,
    pub min_visits_per_month: Option<i64>,
    pub min_visit_minutes: Option<i64>,
    pub max_late_percent: Option<i64>,
    pub items: Vec<TermItem>,
}

impl Terms {
    /// The terms of a stored contract.
    ///
    /// # Errors
    /// Database errors.
    pub async fn of_contract<C: ConnectionTrait>(db: &C, c: &Model) -> AppResult<Self> {
        Ok(Self::with_items(c, items_of(db, c.id).await?))
    }

    /// The terms of a stored contract with its items, already loaded
    /// (by position).
    #[must_use]
    pub fn with_items(c: &Model, items: Vec<contract_items::Model>) -> Self {
        Self {
            code: c.code.clone(),
            title: c.title.clone(),
            procurement_method: c.procurement_method.clone(),
            signed_on: c.signed_on,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            total_fen: c.total_fen,
            content: c.content.clone(),
            quality: c.quality.clone(),
            settlement: c.settlement.clone(),
            liability: c.liability.clone(),
            min_visits_per_month: c.min_visits_per_month,
            min_visit_minutes: c.min_visit_minutes,
            max_late_percent: c.max_late_percent,
            items: items
                .into_iter()
                // The table's CHECK allows only the units `Unit` names.
                .filter_map(|i| {
                    Some(TermItem {
                        unit: Unit::parse(&i.unit)?,
                        service: i.service,
                        material_category: i.material_category,
                        quantity_milli: i.quantity_milli,
                        unit_price_fen: i.unit_price_fen,
                        min_minutes: i.min_minutes,
                    })
                })
                .collect(),
        }
    }
}

impl NewContract {
    /// The proposed terms.
    #[must_use]
    pub fn terms(&self) -> Terms {
        Terms {
            code: self.code.clone(),
            title: self.title.clone(),
            procurement_method: self.procurement_method.clone(),
            signed_on: self.signed_on,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            total_fen: self.total_fen,
            content: self.content.clone(),
            quality: self.quality.clone(),
            settlement: self.settlement.clone(),
            liability: self.liability.clone(),
            min_visits_per_month: self.min_visits_per_month,
            min_visit_minutes: self.min_visit_minutes,
            max_late_percent: self.max_late_percent,
            items: self
                .items
                .iter()
                .map(|i| TermItem {
                    service: i.service.clone(),
                    material_category: i.material_category.clone(),
                    unit: i.unit,
                    quantity_milli: i.quantity_milli,
                    unit_price_fen: i.unit_price_fen,
                    min_minutes: i.min_minutes,
                })
                .collect(),
        }
    }

    /// Whether the parties are those of `c` (an amendment never changes
    /// who buys from whom).
    #[must_use]
    pub const fn same_parties(&self, c: &Model) -> bool {
        self.township_id == c.township_id && self.organization_id == c.organization_id
    }
}

/// Puts approved terms in force on `c` (inside the caller's transaction):
/// fields, items and the next version number.
///
/// # Errors
/// Database errors; a code already taken.
pub async fn apply_terms<C: ConnectionTrait>(db: &C, c: &Model, t: &Terms) -> AppResult<Model> {
    let mut am: ActiveModel = c.clone().into();
    am.code = Set(t.code.clone());
    am.title = Set(t.title.clone());
    am.procurement_method = Set(t.procurement_method.clone());
    am.signed_on = Set(t.signed_on);
    am.starts_on = Set(t.starts_on);
    am.ends_on = Set(t.ends_on);
    am.total_fen = Set(t.total_fen);
    am.content = Set(t.content.clone());
    am.quality = Set(t.quality.clone());
    am.settlement = Set(t.settlement.clone());
    am.liability = Set(t.liability.clone());
    am.min_visits_per_month = Set(t.min_visits_per_month);
    am.min_visit_minutes = Set(t.min_visit_minutes);
    am.max_late_percent = Set(t.max_late_percent);
    am.version = Set(c.version + 1);
    let after = am.update(db).await.map_err(code_taken)?;
    let items: Vec<NewItem> = t
        .items
        .iter()
        .map(|i| NewItem {
            service: i.service.clone(),
            material_category: i.material_category.clone(),
            unit: i.unit,
            quantity_milli: i.quantity_milli,
            unit_price_fen: i.unit_price_fen,
            min_minutes: i.min_minutes,
        })
        .collect();
    replace_items(db, after.id, &items).await?;
    Ok(after)
}

fn code_taken(err: DbErr) -> AppError {
    if is_unique_violation(&err) {
        AppError::field("code", "error-code-taken")
    } else {
        err.into()
    }
}

async fn replace_items<C: ConnectionTrait>(
    db: &C,
    contract_id: i64,
    items: &[NewItem],
) -> AppResult<()> {
    contract_items::Entity::delete_many()
        .filter(contract_items::Column::ContractId.eq(contract_id))
        .exec(db)
        .await?;
    for (position, it) in (1i64..).zip(items) {
        contract_items::ActiveModel {
            contract_id: Set(contract_id),
            position: Set(position),
            service: Set(it.service.clone()),
            material_category: Set(it.material_category.clone()),
            unit: Set(it.unit.as_str().to_string()),
            quantity_milli: Set(it.quantity_milli),
            unit_price_fen: Set(it.unit_price_fen),
            min_minutes: Set(it.min_minutes),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Items of a contract, in order.
///
/// # Errors
/// Database errors.
pub async fn items_of<C: ConnectionTrait>(
    db: &C,
    contract_id: i64,
) -> AppResult<Vec<contract_items::Model>> {
    Ok(contract_items::Entity::find()
        .filter(contract_items::Column::ContractId.eq(contract_id))
        .order_by_asc(contract_items::Column::Position)
        .all(db)
        .await?)
}

impl Model {
    /// Creates a draft with its items.
    ///
    /// # Errors
    /// Field errors (a taken code); database errors.
    pub async fn create(
        db: &DatabaseConnection,
        actor: &Actor,
        new: NewContract,
    ) -> AppResult<Self> {
        let txn = db.begin().await?;
        let mut am = ActiveModel {
            status: Set("draft".into()),
            version: Set(1),
            ..Default::default()
        };
        new.set(&mut am);
        let m = am.insert(&txn).await.map_err(code_taken)?;
        replace_items(&txn, m.id, &new.items).await?;
        let mut changes = audit_logs::change_json(None, Some(&m));
        if let serde_json::Value::Object(map) = &mut changes {
            map.insert("items".into(), new.items.len().into());
        }
        audit_logs::record(
            &txn,
            actor,
            Action::Create,
            "contracts",
            Some(m.pid),
            &changes,
        )
        .await?;
        txn.commit().await?;
        Ok(m)
    }

    /// Changes a draft. An active or closed contract changes only through
    /// an amendment.
    ///
    /// # Errors
    /// `status` when not a draft; field errors; database errors.
    pub async fn update_draft(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        new: NewContract,
    ) -> AppResult<Self> {
        if self.status != "draft" {
            return Err(AppError::field("status", "error-contract-not-draft"));
        }
        let txn = db.begin().await?;
        let mut am: ActiveModel = self.clone().into();
        new.set(&mut am);
        let after = am.update(&txn).await.map_err(code_taken)?;
        replace_items(&txn, after.id, &new.items).await?;
        super::fulfilment::rebuild(&txn, &after).await?;
        audit_logs::record_change(
            &txn,
            actor,
            Action::Update,
            "contracts",
            after.pid,
            Some(self),
            Some(&after),
        )
        .await?;
        txn.commit().await?;
        Ok(after)
    }

    /// Moves a draft to active (it needs items). Closing needs a reason:
    /// see [`Model::close`].
    ///
    /// # Errors
    /// `status` for any other move or a draft without items; `reason`
    /// when asked to close; database errors.
    pub async fn set_status(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        to: &str,
    ) -> AppResult<Self> {
        self.change_status(db, actor, to, None).await
    }

    /// Ends a contract in force, for `reason` (kept in the audit entry
    /// and shown on the contract).
    ///
    /// # Errors
    /// `status` when not in force; `reason` missing, too short or too
    /// long; database errors.
    pub async fn close(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        reason: Option<&str>,
    ) -> AppResult<Self> {
        let reason = checked_reason(reason)?;
        self.change_status(db, actor, "closed", Some(&reason)).await
    }

    /// Moves the status: draft to active, or active to closed (with a
    /// reason), auditing the move (and the reason) in the same transaction.
    async fn change_status(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        to: &str,
        reason: Option<&Reason>,
    ) -> AppResult<Self> {
        let allowed = matches!(
            (self.status.as_str(), to),
            ("draft", "active") | ("active", "closed")
        );
        if !allowed {
            return Err(AppError::field("status", "error-contract-status"));
        }
        if to == "closed" && reason.is_none() {
            return Err(AppError::field(
                "reason",
                ReasonError::Missing.message_key(),
            ));
        }
        let txn = db.begin().await?;
        if to == "active" && items_of(&txn, self.id).await?.is_empty() {
            return Err(AppError::field("items", "error-contract-no-items"));
        }
        let mut am: ActiveModel = self.clone().into();
        am.status = Set(to.to_string());
        if to == "closed" {
            // Coverage, and the provider's access to the people, end here
            // (`policy::covered_by_provider`).
            am.closed_on = Set(Some(super::today()));
        }
        let after = am.update(&txn).await?;
        super::fulfilment::rebuild(&txn, &after).await?;
        if to == "active" {
            // People another provider served: its visits on the days this
            // contract now covers are cancelled, its plans end.
            super::handover::hand_over(
                &txn,
                actor,
                &after,
                chrono::Utc::now(),
                chrono::Duration::days(super::service_plans::DEFAULT_HORIZON_DAYS),
            )
            .await?;
        }
        let mut changes = audit_logs::change_json(Some(self), Some(&after));
        audit_logs::add_context(&mut changes, reason.map(Reason::as_str), None);
        audit_logs::record(
            &txn,
            actor,
            Action::Update,
            "contracts",
            Some(after.pid),
            &changes,
        )
        .await?;
        txn.commit().await?;
        Ok(after)
    }

    #[must_use]
    pub fn period(&self) -> crate::domain::fulfilment::Period {
        crate::domain::fulfilment::Period {
            start: self.starts_on,
            end: self.ends_on,
        }
    }
}

/// A reason for a destructive act as sent, checked: a field error on
/// `reason` otherwise.
///
/// # Errors
/// `reason` missing, too short or too long.
pub fn checked_reason(input: Option<&str>) -> AppResult<Reason> {
    Reason::parse(input).map_err(|e| AppError::field("reason", e.message_key()))
}

/// Who ended a closed contract, when and why: from the audit entry that
/// closed it (the reason is kept there, with the change). `None` for a
/// contract not closed, or closed before reasons were asked for.
///
/// # Errors
/// Database errors.
pub async fn closure(db: &DatabaseConnection, c: &Model) -> AppResult<Option<audit_logs::Model>> {
    use sea_orm::QuerySelect;
    if c.status != "closed" {
        return Ok(None);
    }
    let rows = audit_logs::Entity::find()
        .filter(audit_logs::Column::Entity.eq("contracts"))
        .filter(audit_logs::Column::EntityPid.eq(c.pid))
        .filter(audit_logs::Column::Action.eq(Action::Update.as_str()))
        .order_by_desc(audit_logs::Column::Id)
        .limit(20)
        .all(db)
        .await?;
    Ok(rows.into_iter().find(|r| {
        let ch = r.changes_json();
        ch["status"]["after"] == "closed" && ch["reason"].is_string()
    }))
}

/// Contracts the caller may see, newest period first.
///
/// # Errors
/// `NotFound` for callers who see no contracts.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    page: PageRequest,
) -> AppResult<(Vec<Model>, PageInfo)> {
    let q = scoped(Entity::find(), scope.contracts()).ok_or(AppError::NotFound)?;
    fetch_page(
        db,
        q.order_by_desc(Column::StartsOn).order_by_desc(Column::Id),
        page,
    )
    .await
}

/// # Errors
/// `NotFound` when missing or out of scope.
pub async fn load(db: &DatabaseConnection, scope: &Scope, pid: Uuid) -> AppResult<Model> {
    find_scoped(
        db,
        scoped(
            Entity::find().filter(Column::Pid.eq(pid)),
            scope.contracts(),
        ),
    )
    .await
}

/// A contract in scope that the caller may also change (officials of its
/// township, admins); anyone else gets 404.
///
/// # Errors
/// `NotFound` when missing, out of scope or not the caller's to manage.
pub async fn managed(db: &DatabaseConnection, scope: &Scope, pid: Uuid) -> AppResult<Model> {
    let c = load(db, scope, pid).await?;
    if scope.may_manage_contracts() {
        Ok(c)
    } else {
        Err(AppError::NotFound)
    }
}

/// Draws up a draft from the contract as sent ([`NewContract::parse`],
/// then [`Model::create`]).
///
/// # Errors
/// Field errors; database errors.
pub async fn draw_up(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    p: &ContractParams,
) -> AppResult<Model> {
    let new = NewContract::parse(db, scope, p).await?;
    Model::create(db, actor, new).await
}

/// Redraws a draft from the contract as sent ([`NewContract::parse`],
/// then [`Model::update_draft`]).
///
/// # Errors
/// `status` when not a draft; field errors; database errors.
pub async fn redraw(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    c: &Model,
    p: &ContractParams,
) -> AppResult<Model> {
    let new = NewContract::parse(db, scope, p).await?;
    c.update_draft(db, actor, new).await
}

/// The items of several contracts (a page of them) in one query, by
/// contract, then position.
///
/// # Errors
/// Database errors.
pub async fn items_of_all<C: ConnectionTrait>(
    db: &C,
    contract_ids: &[i64],
) -> AppResult<Vec<contract_items::Model>> {
    if contract_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(contract_items::Entity::find()
        .filter(contract_items::Column::ContractId.is_in(contract_ids.to_vec()))
        .order_by_asc(contract_items::Column::ContractId)
        .order_by_asc(contract_items::Column::Position)
        .all(db)
        .await?)
}

/// Active people of a draft's township not yet covered, to add (at most
/// 50, by name; `text` narrows by name), each with their household's pid
/// to cover all of it at once.
///
/// # Errors
/// Database errors.
pub async fn candidates(
    db: &DatabaseConnection,
    contract: &Model,
    text: Option<&str>,
) -> AppResult<Vec<(recipients::Model, Option<Uuid>)>> {
    use super::_entities::households;
    use sea_orm::{QuerySelect, QueryTrait};
    let taken = contract_recipients::Entity::find()
        .select_only()
        .column(contract_recipients::Column::RecipientId)
        .filter(contract_recipients::Column::ContractId.eq(contract.id))
        .into_query();
    let mut find = recipients::Entity::find()
        .filter(recipients::Column::TownshipId.eq(contract.township_id))
        .filter(recipients::Column::Registry.eq("registered"))
        .filter(recipients::Column::Status.eq("active"))
        .filter(recipients::Column::Id.not_in_subquery(taken));
    if let Some(text) = text {
        find = find.filter(recipients::Column::Name.contains(text));
    }
    let people = find
        .order_by_asc(recipients::Column::Name)
        .limit(50)
        .all(db)
        .await?;
    let homes = households::Entity::find()
        .filter(households::Column::Id.is_in(people.iter().map(|r| r.household_id)))
        .all(db)
        .await?;
    Ok(people
        .into_iter()
        .map(|r| {
            let home = homes.iter().find(|h| h.id == r.household_id).map(|h| h.pid);
            (r, home)
        })
        .collect())
}

/// What covering pasted ID numbers did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Pasted {
    /// Newly covered.
    pub added: usize,
    /// Recipients the numbers named.
    pub found: usize,
    /// Numbers not found (masked) or not valid (`#N`).
    pub unmatched: Vec<String>,
}

/// Covers the people whose ID numbers were pasted (a column from the
/// township's roster): [`recipients_by_ids`], then [`cover`].
///
/// # Errors
/// As [`recipients_by_ids`] and [`cover`].
pub async fn cover_pasted(
    db: &DatabaseConnection,
    actor: &Actor,
    vault: &crate::vault::Vault,
    contract: &Model,
    raw: &str,
    reason: Option<&str>,
) -> AppResult<Pasted> {
    let reason = elsewhere_reason(reason)?;
    let (found, unmatched) =
        recipients_by_ids(db, actor, vault, contract, raw, reason.is_some()).await?;
    let added = if found.is_empty() {
        0
    } else {
        cover_with(db, actor, contract, &found, &[], reason.as_ref()).await?
    };
    Ok(Pasted {
        added,
        found: found.len(),
        unmatched,
    })
}

/// Covers recipients by pid, whole households, and people named by their
/// ID numbers (when any are given). Returns how many were new and the ID
/// numbers not found.
///
/// # Errors
/// As [`recipients_by_ids`] and [`cover`].
#[allow(clippy::too_many_arguments)]
pub async fn cover_all(
    db: &DatabaseConnection,
    actor: &Actor,
    vault: &crate::vault::Vault,
    contract: &Model,
    mut people: Vec<Uuid>,
    households: &[Uuid],
    id_numbers: &[String],
    reason: Option<&str>,
) -> AppResult<(usize, Vec<String>)> {
    let reason = elsewhere_reason(reason)?;
    let mut unmatched = Vec::new();
    if !id_numbers.is_empty() {
        let (found, missing) = recipients_by_ids(
            db,
            actor,
            vault,
            contract,
            &id_numbers.join("\n"),
            reason.is_some(),
        )
        .await?;
        people.extend(found);
        unmatched = missing;
    }
    people.sort_unstable();
    people.dedup();
    let n = cover_with(db, actor, contract, &people, households, reason.as_ref()).await?;
    Ok((n, unmatched))
}

/// The reason for covering people registered in another township, when
/// one is given (checked like any reason).
fn elsewhere_reason(raw: Option<&str>) -> AppResult<Option<Reason>> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(r) => Reason::parse(Some(r))
            .map(Some)
            .map_err(|e| AppError::field("reason", e.message_key())),
    }
}

/// Adds recipients to a draft's coverage: each by pid, or every member of
/// a household; they must live in the contract's township. Returns how many
/// were new.
///
/// # Errors
/// `status` when not a draft; field errors for unknown people; database
/// errors.
pub async fn cover(
    db: &DatabaseConnection,
    actor: &Actor,
    contract: &Model,
    recipient_pids: &[Uuid],
    household_pids: &[Uuid],
) -> AppResult<usize> {
    cover_with(db, actor, contract, recipient_pids, household_pids, None).await
}

/// [`cover`]; with `reason`, people registered in another township may be
/// named too (found by their ID numbers): coverage where the need is
/// (temporary residence, an emergency), the reason kept on their coverage
/// and shown to both townships' officials.
///
/// # Errors
/// As [`cover`].
pub async fn cover_with(
    db: &DatabaseConnection,
    actor: &Actor,
    contract: &Model,
    recipient_pids: &[Uuid],
    household_pids: &[Uuid],
    reason: Option<&Reason>,
) -> AppResult<usize> {
    use super::_entities::households;
    if contract.status != "draft" {
        return Err(AppError::field("status", "error-contract-not-draft"));
    }
    for (field, n) in [
        ("recipients", recipient_pids.len()),
        ("households", household_pids.len()),
    ] {
        crate::domain::limits::List::Coverage
            .check(n)
            .map_err(|key| AppError::field(field, key))?;
    }
    let mut people = recipients::Entity::find()
        .filter(recipients::Column::Pid.is_in(recipient_pids.to_vec()))
        .apply_if(reason.is_none().then_some(contract.township_id), |q, t| {
            q.filter(recipients::Column::TownshipId.eq(t))
        })
        .filter(recipients::Column::Registry.eq("registered"))
        .all(db)
        .await?;
    if people.len() != recipient_pids.len() {
        return Err(AppError::field("recipients", "error-choose-recipient"));
    }
    if !household_pids.is_empty() {
        let homes: Vec<i64> = households::Entity::find()
            .filter(households::Column::Pid.is_in(household_pids.to_vec()))
            .filter(households::Column::TownshipId.eq(contract.township_id))
            .all(db)
            .await?
            .into_iter()
            .map(|h| h.id)
            .collect();
        if homes.len() != household_pids.len() {
            return Err(AppError::field("households", "error-choose-recipient"));
        }
        people.extend(
            recipients::Entity::find()
                .filter(recipients::Column::HouseholdId.is_in(homes))
                .all(db)
                .await?,
        );
    }
    let txn = db.begin().await?;
    let already: Vec<i64> = contract_recipients::Entity::find()
        .filter(contract_recipients::Column::ContractId.eq(contract.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| c.recipient_id)
        .collect();
    let mut new: Vec<&recipients::Model> =
        people.iter().filter(|r| !already.contains(&r.id)).collect();
    new.sort_by_key(|r| r.id);
    new.dedup_by_key(|r| r.id);
    for r in &new {
        let elsewhere = r.township_id != contract.township_id;
        contract_recipients::ActiveModel {
            contract_id: Set(contract.id),
            recipient_id: Set(r.id),
            created_at: Set(chrono::Utc::now().into()),
            reason: Set(reason.filter(|_| elsewhere).map(|r| r.as_str().to_string())),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    super::fulfilment::rebuild(&txn, contract).await?;
    let elsewhere: Vec<String> = new
        .iter()
        .filter(|r| r.township_id != contract.township_id)
        .map(|r| r.pid.to_string())
        .collect();
    let mut changes = serde_json::json!({
        "covered": new.iter().map(|r| r.pid.to_string()).collect::<Vec<_>>(),
    });
    if !elsewhere.is_empty() {
        changes["elsewhere"] = serde_json::json!(elsewhere);
        changes["reason"] = serde_json::json!(reason.map(Reason::as_str));
    }
    audit_logs::record(
        &txn,
        actor,
        Action::Update,
        "contracts",
        Some(contract.pid),
        &changes,
    )
    .await?;
    txn.commit().await?;
    Ok(new.len())
}

/// The covered recipients of a contract, by name, a page at a time.
///
/// # Errors
/// Database errors.
pub async fn covered(
    db: &DatabaseConnection,
    contract: &Model,
    page: PageRequest,
) -> AppResult<(Vec<recipients::Model>, PageInfo)> {
    use sea_orm::{QuerySelect, QueryTrait};
    let ids = contract_recipients::Entity::find()
        .select_only()
        .column(contract_recipients::Column::RecipientId)
        .filter(contract_recipients::Column::ContractId.eq(contract.id))
        .filter(
            sea_orm::Condition::any()
                .add(contract_recipients::Column::CoveredUntil.is_null())
                .add(contract_recipients::Column::CoveredUntil.gte(super::today())),
        )
        .into_query();
    fetch_page(
        db,
        recipients::Entity::find()
            .filter(recipients::Column::Id.in_subquery(ids))
            .order_by_asc(recipients::Column::Name),
        page,
    )
    .await
}

/// Where a plan's services count: for each service the plan delivers, the
/// contract in force today (of the plan's provider, covering the plan's
/// recipient) and the item that buys it, if any. A household plan counts
/// toward no contract (contracts cover people).
#[derive(Debug, Clone, Serialize)]
pub struct PlanItem {
    pub service: String,
    pub contract: Option<Uuid>,
    pub contract_code: Option<String>,
    pub position: Option<i64>,
    pub unit: Option<String>,
}

/// See [`PlanItem`].
///
/// # Errors
/// Database errors.
pub async fn items_for_plan<C: ConnectionTrait>(
    db: &C,
    plan: &super::_entities::service_plans::Model,
    today: NaiveDate,
) -> AppResult<Vec<PlanItem>> {
    let services: Vec<String> = plan
        .services
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let mut found: Vec<(Model, contract_items::Model)> = Vec::new();
    if let Some(r) = plan.recipient_id {
        let ids: Vec<i64> = contract_recipients::Entity::find()
            .filter(contract_recipients::Column::RecipientId.eq(r))
            .filter(
                sea_orm::Condition::any()
                    .add(contract_recipients::Column::CoveredUntil.is_null())
                    .add(contract_recipients::Column::CoveredUntil.gte(today)),
            )
            .all(db)
            .await?
            .into_iter()
            .map(|c| c.contract_id)
            .collect();
        let live = Entity::find()
            .filter(Column::Id.is_in(ids))
            .filter(Column::OrganizationId.eq(plan.organization_id))
            .filter(Column::Status.eq("active"))
            .filter(Column::StartsOn.lte(today))
            .filter(Column::EndsOn.gte(today))
            .order_by_asc(Column::StartsOn)
            .all(db)
            .await?;
        for c in live {
            for it in items_of(db, c.id).await? {
                found.push((c.clone(), it));
            }
        }
    }
    Ok(services
        .into_iter()
        .map(|s| {
            let hit = found
                .iter()
                .find(|(_, it)| it.service.as_deref() == Some(s.as_str()));
            PlanItem {
                contract: hit.map(|(c, _)| c.pid),
                contract_code: hit.map(|(c, _)| c.code.clone()),
                position: hit.map(|(_, it)| it.position),
                unit: hit.map(|(_, it)| it.unit.clone()),
                service: s,
            }
        })
        .collect())
}

/// The most ID numbers one coverage import takes.
pub const MAX_IMPORT: usize = 5000;

/// Resolves pasted resident ID numbers (a column from a spreadsheet: one
/// per line, or separated by commas, semicolons or spaces) to recipients
/// of the contract's township, by their keyed hash (numbers are never
/// decrypted to compare). Returns the recipients found and what was not:
/// a number not registered in the township, masked (`5119**************`),
/// or `#N` for the N-th entry that is no valid ID number.
///
/// # Errors
/// `id_numbers` when empty or over [`MAX_IMPORT`]; `Limited` (429) past
/// the day's lookups; database errors.
pub async fn recipients_by_ids(
    db: &DatabaseConnection,
    actor: &Actor,
    vault: &crate::vault::Vault,
    contract: &Model,
    raw: &str,
    elsewhere: bool,
) -> AppResult<(Vec<Uuid>, Vec<String>)> {
    use crate::domain::resident_id::ResidentId;
    let tokens: Vec<&str> = raw
        .split(|ch: char| ch.is_whitespace() || [',', ';', '，', '；', '、'].contains(&ch))
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.is_empty() || tokens.len() > MAX_IMPORT {
        return Err(AppError::field("id_numbers", "error-cover-import-size"));
    }
    let mut unmatched = Vec::new();
    let mut wanted: Vec<(String, String)> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        match ResidentId::parse(t) {
            Ok(id) => wanted.push((vault.lookup_hash(&id), id.masked())),
            Err(_) => unmatched.push(format!("#{}", i + 1)),
        }
    }
    // Each answer says whether a number is registered: the lookups are
    // audited and limited (`recipients::ID_LOOKUPS_PER_DAY`).
    super::recipients::spend_id_lookups(
        db,
        actor,
        "coverage",
        wanted.len() as u64,
        super::recipients::ID_LOOKUPS_PER_DAY,
        chrono::Utc::now(),
    )
    .await?;
    let mut found: Vec<(String, Uuid)> = Vec::new();
    for chunk in wanted.chunks(500) {
        found.extend(
            recipients::Entity::find()
                .apply_if((!elsewhere).then_some(contract.township_id), |q, t| {
                    q.filter(recipients::Column::TownshipId.eq(t))
                })
                .filter(recipients::Column::Registry.eq("registered"))
                .filter(recipients::Column::IdHash.is_in(chunk.iter().map(|w| w.0.clone())))
                .all(db)
                .await?
                .into_iter()
                .map(|r| (r.id_hash, r.pid)),
        );
    }
    for (hash, masked) in &wanted {
        if !found.iter().any(|f| &f.0 == hash) {
            unmatched.push(masked.clone());
        }
    }
    let mut pids: Vec<Uuid> = found.into_iter().map(|f| f.1).collect();
    pids.sort_unstable();
    pids.dedup();
    Ok((pids, unmatched))
}

/// Takes the audit chain's lock and the contract's row for the rest of the
/// transaction (PostgreSQL: a row lock; SQLite: the write lock), so that decisions on
/// one contract — an acceptance, an amendment's approval — see each other.
/// It must be the first write of the transaction.
///
/// # Errors
/// Database errors.
pub async fn lock_row<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<()> {
    use sea_orm::sea_query::Expr;
    // The audit chain's lock first, as every visit write and rebuild takes
    // it: one order of locks, so no deadlock.
    audit_logs::lock_chain(db).await?;
    Entity::update_many()
        .col_expr(Column::Id, Expr::col(Column::Id))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
