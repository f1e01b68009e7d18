//! Payment milestones (付款节点): tranches of a contract, each due on a
//! day and met by a delivery percentage or by an accepted period.
pub use super::_entities::milestones::{self, ActiveModel, Column, Entity, Model};
use super::{
    _entities::contracts,
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

/// A milestone as sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct MilestoneParams {
    #[serde(default, deserialize_with = "loose")]
    pub title: Option<String>,
    /// In yuan.
    #[serde(default, deserialize_with = "loose")]
    pub amount: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub due_on: Option<String>,
    /// `delivery_percent` or `accepted_period`.
    #[serde(default, deserialize_with = "loose")]
    pub condition: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub condition_percent: Option<String>,
}

/// The milestones of a contract, by due day.
///
/// # Errors
/// Database errors.
pub async fn of_contract<C: ConnectionTrait>(db: &C, contract_id: i64) -> AppResult<Vec<Model>> {
    Ok(Entity::find()
        .filter(Column::ContractId.eq(contract_id))
        .order_by_asc(Column::DueOn)
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// The milestone of contract `contract_id` a form names by pid: `None`
/// when none is named, `Some(None)` when the pid is not one of its
/// milestones.
///
/// # Errors
/// Database errors.
pub async fn named<C: ConnectionTrait>(
    db: &C,
    contract_id: i64,
    raw: Option<&str>,
) -> AppResult<Option<Option<Model>>> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let Ok(pid) = Uuid::parse_str(raw) else {
        return Ok(Some(None));
    };
    Ok(Some(
        Entity::find()
            .filter(Column::Pid.eq(pid))
            .filter(Column::ContractId.eq(contract_id))
            .one(db)
            .await?,
    ))
}

/// Adds a milestone to a draft; all milestones together stay within the
/// contract's total and their days inside its period.
///
/// # Errors
/// `status` when not a draft; field errors; database errors.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    c: &contracts::Model,
    p: &MilestoneParams,
) -> AppResult<Model> {
    if c.status != "draft" {
        return Err(AppError::field("status", "error-contract-not-draft"));
    }
    let mut e = FieldErrors::new();
    let title = e.take(
        "title",
        text::required(p.title.as_deref().unwrap_or_default(), 100),
        |x| x.message_key(),
    );
    let amount = e.take(
        "amount",
        parse_yuan(p.amount.as_deref().unwrap_or_default()),
        |x| x.message_key(),
    );
    let due_on = e.take(
        "due_on",
        parse_date(p.due_on.as_deref().unwrap_or_default()),
        |x| x.message_key(),
    );
    if due_on.is_some_and(|d| d < c.starts_on || d > c.ends_on + chrono::Duration::days(90)) {
        e.add("due_on", "error-milestone-due");
    }
    let condition = p
        .condition
        .as_deref()
        .map(str::trim)
        .filter(|x| ["delivery_percent", "accepted_period"].contains(x));
    if condition.is_none() {
        e.add("condition", "error-milestone-condition");
    }
    let percent = p
        .condition_percent
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<i64>().ok().filter(|n| (1..=100).contains(n)));
    let percent = match (condition, percent) {
        (Some("delivery_percent"), Some(Some(n))) => Some(n),
        (Some("delivery_percent"), _) | (_, Some(None)) => {
            e.add("condition_percent", "error-contract-number");
            None
        }
        _ => None,
    };
    let so_far: i64 = of_contract(db, c.id)
        .await?
        .iter()
        .map(|m| m.amount_fen)
        .sum();
    if amount.is_some_and(|a| so_far + a > c.total_fen) {
        e.add("amount", "error-milestones-over-total");
    }
    let (title, amount, due_on, condition) =
        e.into_result(|| Some((title?, amount?, due_on?, condition?)))?;
    let txn = db.begin().await?;
    let m = ActiveModel {
        contract_id: Set(c.id),
        title: Set(title),
        amount_fen: Set(amount),
        due_on: Set(due_on),
        condition: Set(condition.to_string()),
        condition_percent: Set(percent),
        status: Set("scheduled".into()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit_logs::record_change(
        &txn,
        actor,
        Action::Create,
        "milestones",
        m.pid,
        None,
        Some(&m),
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

/// The status a milestone reaches at an acceptance whose delivery (value
/// delivered over value contracted) is `delivered_percent`.
#[must_use]
pub fn status_at_acceptance(m: &Model, delivered_percent: f64) -> &'static str {
    match (m.condition.as_str(), m.condition_percent) {
        ("delivery_percent", Some(p)) if delivered_percent >= p as f64 => "met",
        ("delivery_percent", Some(p)) if delivered_percent * 2.0 >= p as f64 => "partially_met",
        ("delivery_percent", _) => "not_met",
        _ => "met",
    }
}
