//! Payments (资金拨付) under a contract in force or closed: the amount, the
//! day, the voucher's reference, and the milestone it settles. A milestone
//! is paid only once met (or partially met), never beyond its amount, and
//! all payments together never beyond the contract's total.
pub use super::_entities::payments::{self, ActiveModel, Column, Entity, Model};
use super::{
    _entities::{contracts, users},
    audit_logs::{self, Action},
    Actor,
};
use crate::{
    domain::form::loose,
    domain::{date_input::parse_date, money::parse_yuan, text},
    errors::{AppError, AppResult, FieldErrors},
};
use sea_orm::{entity::prelude::*, ActiveValue::Set, QueryOrder, TransactionTrait};
use serde::{Deserialize, Serialize};

super::pid_and_timestamps!();

/// A payment as sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PaymentParams {
    /// In yuan.
    #[serde(default, deserialize_with = "loose")]
    pub amount: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub paid_on: Option<String>,
    /// The voucher or bank reference.
    #[serde(default, deserialize_with = "loose")]
    pub reference: Option<String>,
    /// The milestone's pid.
    #[serde(default, deserialize_with = "loose")]
    pub milestone: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub note: Option<String>,
}

/// A payment as people read it.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentJson {
    pub pid: Uuid,
    pub amount: String,
    pub amount_fen: i64,
    pub paid_on: chrono::NaiveDate,
    pub reference: String,
    pub note: Option<String>,
    pub milestone: Option<Uuid>,
    pub milestone_title: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTimeWithTimeZone,
}

/// The payments of a contract, oldest first (a contract has a handful).
///
/// # Errors
/// Database errors.
pub async fn of_contract<C: ConnectionTrait>(db: &C, contract_id: i64) -> AppResult<Vec<Model>> {
    Ok(Entity::find()
        .filter(Column::ContractId.eq(contract_id))
        .order_by_asc(Column::PaidOn)
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// The payments of a contract with their milestones and recorders.
///
/// # Errors
/// Database errors.
pub async fn shown(db: &DatabaseConnection, contract_id: i64) -> AppResult<Vec<PaymentJson>> {
    let rows = of_contract(db, contract_id).await?;
    let tranches = super::milestones::of_contract(db, contract_id).await?;
    let people = users::Entity::find()
        .filter(users::Column::Id.is_in(rows.iter().map(|p| p.recorded_by_id)))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|p| {
            let m = tranches.iter().find(|m| Some(m.id) == p.milestone_id);
            PaymentJson {
                pid: p.pid,
                amount: crate::domain::money::format_yuan(p.amount_fen),
                amount_fen: p.amount_fen,
                paid_on: p.paid_on,
                reference: p.reference,
                note: p.note,
                milestone: m.map(|m| m.pid),
                milestone_title: m.map(|m| m.title.clone()),
                recorded_by: people
                    .iter()
                    .find(|u| u.id == p.recorded_by_id)
                    .map(|u| u.name.clone())
                    .unwrap_or_default(),
                recorded_at: p.created_at,
            }
        })
        .collect())
}

/// Records a payment.
///
/// # Errors
/// `status` for a draft; field errors (amount, day, reference, a milestone
/// not of this contract or not met, more than the milestone or the total
/// left); database errors.
pub async fn record(
    db: &DatabaseConnection,
    actor: &Actor,
    c: &contracts::Model,
    p: &PaymentParams,
    today: chrono::NaiveDate,
) -> AppResult<Model> {
    if c.status == "draft" {
        return Err(AppError::field("status", "error-contract-not-active"));
    }
    let mut e = FieldErrors::new();
    let amount = e.take(
        "amount",
        parse_yuan(p.amount.as_deref().unwrap_or_default()),
        |x| x.message_key(),
    );
    let amount = amount.filter(|a| {
        let ok = *a > 0;
        if !ok {
            e.add("amount", "error-payment-amount");
        }
        ok
    });
    let paid_on = e.take(
        "paid_on",
        parse_date(p.paid_on.as_deref().unwrap_or_default()),
        |x| x.message_key(),
    );
    if paid_on.is_some_and(|d| d > today || d < c.signed_on) {
        e.add("paid_on", "error-payment-day");
    }
    let reference = e.take(
        "reference",
        text::required(p.reference.as_deref().unwrap_or_default(), 100),
        |x| x.message_key(),
    );
    let note = e
        .take("note", text::optional(p.note.as_deref(), 1000), |x| {
            x.message_key()
        })
        .flatten();
    let milestone = match super::milestones::named(db, c.id, p.milestone.as_deref()).await? {
        None => None,
        Some(Some(m)) if ["met", "partially_met"].contains(&m.status.as_str()) => Some(m),
        Some(Some(_)) => {
            e.add("milestone", "error-payment-milestone-unmet");
            None
        }
        Some(None) => {
            e.add("milestone", "error-milestone-choose");
            None
        }
    };
    let (amount, paid_on, reference) = e.into_result(|| Some((amount?, paid_on?, reference?)))?;
    let txn = db.begin().await?;
    // Serialise payments of this contract (the audit chain's lock) before
    // reading what was already paid.
    audit_logs::lock_chain(&txn).await?;
    let paid = of_contract(&txn, c.id).await?;
    let total: i64 = paid.iter().map(|x| x.amount_fen).sum();
    if total + amount > c.total_fen {
        return Err(AppError::field("amount", "error-payment-over-total"));
    }
    if let Some(m) = &milestone {
        let on_it: i64 = paid
            .iter()
            .filter(|x| x.milestone_id == Some(m.id))
            .map(|x| x.amount_fen)
            .sum();
        if on_it + amount > m.amount_fen {
            return Err(AppError::field("amount", "error-payment-over-milestone"));
        }
    }
    let row = ActiveModel {
        contract_id: Set(c.id),
        milestone_id: Set(milestone.as_ref().map(|m| m.id)),
        amount_fen: Set(amount),
        paid_on: Set(paid_on),
        reference: Set(reference),
        note: Set(note),
        recorded_by_id: Set(actor.user_id.unwrap_or_default()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit_logs::record_change(
        &txn,
        actor,
        Action::Create,
        "payments",
        row.pid,
        None,
        Some(&row),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}
