//! Amendments of a contract in force (合同变更): never a silent edit. A
//! proposal carries the whole contract as it should read, recipients to
//! cover or release, a reason and the day it takes effect; an official of
//! the purchasing township (or an admin) other than the proposer approves
//! or rejects it. Approval puts the terms in force as the next version and
//! keeps the terms it replaced.
pub use super::_entities::contract_versions::{self, ActiveModel, Column, Entity, Model};
use super::{
    _entities::{contract_recipients, contracts, recipients, users},
    audit_logs::{self, Action},
    contracts::{apply_terms, ContractParams, NewContract, Terms},
    Actor,
};
use crate::{
    domain::form::loose,
    domain::{date_input::parse_date, text},
    errors::{AppError, AppResult, FieldErrors},
    policy::Scope,
};
use sea_orm::{entity::prelude::*, ActiveValue::Set, QueryOrder, QuerySelect, TransactionTrait};
use serde::{Deserialize, Serialize};

super::pid_and_timestamps!();

/// An amendment as sent: the contract fields (as when drawing it up),
/// plus why, from when, and who to cover or release.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AmendmentParams {
    #[serde(default, deserialize_with = "loose")]
    pub reason: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub effective_on: Option<String>,
    /// The reason may go into the OCDS release (`true`, or a checked box).
    #[serde(default, deserialize_with = "loose")]
    pub public: Option<String>,
    #[serde(flatten)]
    pub contract: ContractParams,
    #[serde(default)]
    pub add_recipients: Vec<String>,
    #[serde(default)]
    pub remove_recipients: Vec<String>,
}

/// What a version proposes: the terms and the coverage changes (pids).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub terms: Terms,
    pub add: Vec<Uuid>,
    pub remove: Vec<Uuid>,
}

/// One amendment as people read it.
#[derive(Debug, Clone, Serialize)]
pub struct AmendmentJson {
    pub pid: Uuid,
    pub status: String,
    pub version: Option<i64>,
    pub reason: String,
    /// Whether its author marked the reason public.
    pub public: bool,
    pub effective_on: chrono::NaiveDate,
    pub requested_by: String,
    pub requested_at: DateTimeWithTimeZone,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTimeWithTimeZone>,
    pub decision_note: Option<String>,
    pub proposal: Option<Proposal>,
    /// The terms in force before it (once approved).
    pub previous: Option<Terms>,
    /// The proposed total and items as people write them.
    pub shown: Option<Shown>,
}

/// A proposal's money and quantities as people write them.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub total: String,
    pub items: Vec<ShownItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShownItem {
    pub service: Option<String>,
    pub material_category: Option<String>,
    pub unit: crate::domain::fulfilment::Unit,
    pub quantity: String,
    pub unit_price: String,
}

impl Shown {
    fn of(t: &Terms) -> Self {
        use crate::domain::{money::format_yuan, visit_log::format_quantity};
        Self {
            total: format_yuan(t.total_fen),
            items: t
                .items
                .iter()
                .map(|i| ShownItem {
                    service: i.service.clone(),
                    material_category: i.material_category.clone(),
                    unit: i.unit,
                    quantity: format_quantity(i.quantity_milli),
                    unit_price: format_yuan(i.unit_price_fen),
                })
                .collect(),
        }
    }
}

fn uuids(e: &mut FieldErrors, field: &str, raw: &[String]) -> Vec<Uuid> {
    let mut out = Vec::new();
    if let Err(key) = crate::domain::limits::List::Coverage.check(raw.len()) {
        e.add(field, key);
        return out;
    }
    for s in raw {
        match Uuid::parse_str(s.trim()) {
            Ok(u) => out.push(u),
            Err(_) => e.add(field, "error-choose-recipient"),
        }
    }
    out
}

/// Proposes an amendment of a contract in force.
///
/// # Errors
/// `status` when the contract is not in force; field errors (the contract's
/// own, `reason`, `effective_on` outside the period, parties changed,
/// recipients not of the township or not covered, nothing changed);
/// database errors.
pub async fn propose(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    c: &contracts::Model,
    p: &AmendmentParams,
) -> AppResult<Model> {
    if c.status != "active" {
        return Err(AppError::field("status", "error-contract-not-active"));
    }
    let (new, mut e) = match NewContract::parse(db, scope, &p.contract).await {
        Ok(n) => (Some(n), FieldErrors::new()),
        Err(AppError::Invalid(fields)) => (None, fields),
        Err(other) => return Err(other),
    };
    if new.as_ref().is_some_and(|n| !n.same_parties(c)) {
        e.add("township", "error-amendment-parties");
    }
    let reason = e.take(
        "reason",
        text::required(p.reason.as_deref().unwrap_or_default(), 1000),
        |x| x.message_key(),
    );
    let effective_on = e.take(
        "effective_on",
        parse_date(p.effective_on.as_deref().unwrap_or_default()),
        |x| x.message_key(),
    );
    if effective_on.is_some_and(|d| d < c.starts_on || d > c.ends_on) {
        e.add("effective_on", "error-amendment-effective");
    }
    // An accepted period is settled: an amendment may not reach back into it.
    if let (Some(d), Some(last)) = (
        effective_on,
        super::acceptances::accepted_until(db, c.id).await?,
    ) {
        if d <= last {
            e.add("effective_on", "error-amendment-accepted-period");
        }
    }
    if let (Some(d), Some(last)) = (effective_on, latest_effective(db, c.id).await?) {
        if d < last {
            e.add("effective_on", "error-amendment-order");
        }
    }
    let add = uuids(&mut e, "add_recipients", &p.add_recipients);
    let remove = uuids(&mut e, "remove_recipients", &p.remove_recipients);
    let found = recipients::Entity::find()
        .filter(recipients::Column::Pid.is_in(add.clone()))
        .filter(recipients::Column::TownshipId.eq(c.township_id))
        .all(db)
        .await?;
    if found.len() != add.len() {
        e.add("add_recipients", "error-choose-recipient");
    }
    let released = contract_recipients::Entity::find()
        .filter(contract_recipients::Column::ContractId.eq(c.id))
        .filter(contract_recipients::Column::RecipientId.is_in(found.iter().map(|r| r.id)))
        .filter(contract_recipients::Column::CoveredUntil.is_not_null())
        .count(db)
        .await?;
    if released > 0 {
        e.add("add_recipients", "error-recipient-released");
    }
    let of_contract = {
        use sea_orm::{QuerySelect, QueryTrait};
        contract_recipients::Entity::find()
            .select_only()
            .column(contract_recipients::Column::RecipientId)
            .filter(contract_recipients::Column::ContractId.eq(c.id))
            .filter(contract_recipients::Column::CoveredUntil.is_null())
            .into_query()
    };
    let covered: Vec<Uuid> = recipients::Entity::find()
        .filter(recipients::Column::Id.in_subquery(of_contract))
        .filter(recipients::Column::Pid.is_in(remove.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.pid)
        .collect();
    if covered.len() != remove.len() {
        e.add("remove_recipients", "error-choose-recipient");
    }
    let current = Terms::of_contract(db, c).await?;
    let proposal = new.map(|n| Proposal {
        terms: n.terms(),
        add,
        remove,
    });
    if proposal
        .as_ref()
        .is_some_and(|pr| pr.terms == current && pr.add.is_empty() && pr.remove.is_empty())
    {
        e.add("reason", "error-amendment-unchanged");
    }
    let (proposal, reason, effective_on) =
        e.into_result(|| Some((proposal?, reason?, effective_on?)))?;
    let txn = db.begin().await?;
    let m = ActiveModel {
        contract_id: Set(c.id),
        status: Set("pending".into()),
        reason: Set(reason.clone()),
        public: Set(crate::domain::form::checked(p.public.as_deref())),
        effective_on: Set(effective_on),
        requested_by_id: Set(actor.user_id.unwrap_or_default()),
        proposal: Set(serde_json::to_string(&proposal).unwrap_or_default()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut changes = serde_json::json!({"proposal": proposal, "effective_on": effective_on,
                                         "public": m.public});
    audit_logs::add_context(&mut changes, Some(&reason), Some(("contract", c.pid)));
    audit_logs::record(
        &txn,
        actor,
        Action::Create,
        "contract_versions",
        Some(m.pid),
        &changes,
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

/// Approves or rejects a pending amendment. The decider may not be its
/// proposer; a rejection needs a reason (`note`, 2–500 characters), kept
/// as the decision's note and in its audit entry.
///
/// # Errors
/// `status` when already decided; `decided_by` for the proposer; `reason`
/// missing, too short or too long on a rejection; database errors.
pub async fn decide(
    db: &DatabaseConnection,
    actor: &Actor,
    c: &contracts::Model,
    a: &Model,
    approve: bool,
    note: Option<&str>,
) -> AppResult<contracts::Model> {
    if a.status != "pending" {
        return Err(AppError::field("status", "error-amendment-decided"));
    }
    if actor.user_id == Some(a.requested_by_id) {
        return Err(AppError::field("decided_by", "error-amendment-own"));
    }
    // A rejection is destructive: its note is a required reason, kept in
    // the decision and in the audit entry.
    let reason = if approve {
        None
    } else {
        Some(super::contracts::checked_reason(note)?)
    };
    let note = match &reason {
        Some(r) => Some(r.to_string()),
        None => text::optional(note, 1000).map_err(|x| AppError::field("note", x.message_key()))?,
    };
    let proposal: Proposal = serde_json::from_str(&a.proposal)
        .map_err(|e| AppError::Internal(format!("amendment proposal: {e}")))?;
    if approve
        && latest_effective(db, c.id)
            .await?
            .is_some_and(|last| a.effective_on < last)
    {
        return Err(AppError::field("effective_on", "error-amendment-order"));
    }
    let txn = db.begin().await?;
    // Decided against the contract as it stands now: another decision or
    // an acceptance made meanwhile is seen.
    super::contracts::lock_row(&txn, c.id).await?;
    let a = &Entity::find_by_id(a.id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if a.status != "pending" {
        return Err(AppError::field("status", "error-amendment-decided"));
    }
    if approve {
        if latest_effective(&txn, c.id)
            .await?
            .is_some_and(|last| a.effective_on < last)
        {
            return Err(AppError::field("effective_on", "error-amendment-order"));
        }
        // An accepted period is settled: an amendment reaching back into
        // it can no longer be approved.
        if super::acceptances::accepted_until(&txn, c.id)
            .await?
            .is_some_and(|last| a.effective_on <= last)
        {
            return Err(AppError::field(
                "effective_on",
                "error-amendment-accepted-period",
            ));
        }
    }
    let mut am: ActiveModel = a.clone().into();
    am.status = Set(if approve { "approved" } else { "rejected" }.into());
    am.decided_by_id = Set(actor.user_id);
    am.decided_at = Set(Some(chrono::Utc::now().into()));
    am.decision_note = Set(note);
    let after_contract = if approve {
        let previous = Terms::of_contract(&txn, c).await?;
        let after = apply_terms(&txn, c, &proposal.terms).await?;
        let add: Vec<i64> = recipients::Entity::find()
            .filter(recipients::Column::Pid.is_in(proposal.add.clone()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        let already: Vec<i64> = contract_recipients::Entity::find()
            .filter(contract_recipients::Column::ContractId.eq(c.id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|r| r.recipient_id)
            .collect();
        for id in add.into_iter().filter(|id| !already.contains(id)) {
            contract_recipients::ActiveModel {
                contract_id: Set(c.id),
                recipient_id: Set(id),
                created_at: Set(chrono::Utc::now().into()),
                covered_from: Set(Some(a.effective_on)),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        if !proposal.remove.is_empty() {
            let remove: Vec<i64> = recipients::Entity::find()
                .filter(recipients::Column::Pid.is_in(proposal.remove.clone()))
                .all(&txn)
                .await?
                .into_iter()
                .map(|r| r.id)
                .collect();
            // Released from the effective day: their earlier visits still count.
            contract_recipients::Entity::update_many()
                .col_expr(
                    contract_recipients::Column::CoveredUntil,
                    sea_orm::sea_query::Expr::value(a.effective_on.pred_opt()),
                )
                .filter(contract_recipients::Column::ContractId.eq(c.id))
                .filter(contract_recipients::Column::RecipientId.is_in(remove))
                .filter(contract_recipients::Column::CoveredUntil.is_null())
                .exec(&txn)
                .await?;
        }
        am.version = Set(Some(after.version));
        // Recorded before the rebuild: the timeline reads the approved versions.
        am.previous = Set(Some(serde_json::to_string(&previous).unwrap_or_default()));
        audit_logs::record_change(
            &txn,
            actor,
            Action::Update,
            "contracts",
            after.pid,
            Some(c),
            Some(&after),
        )
        .await?;
        after
    } else {
        c.clone()
    };
    let decided = am.update(&txn).await?;
    if approve {
        super::fulfilment::rebuild(&txn, &after_contract).await?;
    }
    let mut changes = audit_logs::change_json(Some(a), Some(&decided));
    let why = reason.as_ref().map(crate::domain::reason::Reason::as_str);
    audit_logs::add_context(&mut changes, why, Some(("contract", c.pid)));
    audit_logs::record(
        &txn,
        actor,
        Action::Update,
        "contract_versions",
        Some(decided.pid),
        &changes,
    )
    .await?;
    txn.commit().await?;
    Ok(after_contract)
}

/// The effective day of the latest approved amendment, if any.
async fn latest_effective<C: ConnectionTrait>(
    db: &C,
    contract_id: i64,
) -> AppResult<Option<chrono::NaiveDate>> {
    Ok(Entity::find()
        .filter(Column::ContractId.eq(contract_id))
        .filter(Column::Status.eq("approved"))
        .order_by_desc(Column::EffectiveOn)
        .one(db)
        .await?
        .map(|v| v.effective_on))
}

/// The amendments of a contract, newest first (a contract has few).
///
/// # Errors
/// Database errors.
pub async fn of_contract(
    db: &DatabaseConnection,
    c: &contracts::Model,
) -> AppResult<Vec<AmendmentJson>> {
    let rows = Entity::find()
        .filter(Column::ContractId.eq(c.id))
        .order_by_desc(Column::Id)
        .limit(200)
        .all(db)
        .await?;
    let mut ids: Vec<i64> = rows
        .iter()
        .flat_map(|r| [Some(r.requested_by_id), r.decided_by_id])
        .flatten()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let names: std::collections::HashMap<i64, String> = users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let proposal: Option<Proposal> = serde_json::from_str(&r.proposal).ok();
            AmendmentJson {
                shown: proposal.as_ref().map(|p| Shown::of(&p.terms)),
                pid: r.pid,
                status: r.status,
                version: r.version,
                reason: r.reason,
                public: r.public,
                effective_on: r.effective_on,
                requested_by: names.get(&r.requested_by_id).cloned().unwrap_or_default(),
                requested_at: r.created_at,
                decided_by: r.decided_by_id.and_then(|id| names.get(&id).cloned()),
                decided_at: r.decided_at,
                decision_note: r.decision_note,
                proposal,
                previous: r
                    .previous
                    .as_deref()
                    .and_then(|p| serde_json::from_str(p).ok()),
            }
        })
        .collect())
}

/// One amendment of `c` by pid.
///
/// # Errors
/// `NotFound`; database errors.
pub async fn load(db: &DatabaseConnection, c: &contracts::Model, pid: Uuid) -> AppResult<Model> {
    Entity::find()
        .filter(Column::ContractId.eq(c.id))
        .filter(Column::Pid.eq(pid))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}
