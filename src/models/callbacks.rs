//! Satisfaction call-backs (满意度回访): a random sample of a contract's
//! completed visits; an official calls each recipient (or guardian) and
//! records whether they were reached and how satisfied they are (1–5).
pub use super::_entities::callbacks::{self, ActiveModel, Column, Entity, Model};
use super::{
    _entities::{contracts, recipients, visits},
    audit_logs::{self, Action},
    Actor,
};
use crate::domain::visit::VisitStatus;
use crate::{
    domain::form::loose,
    domain::text,
    errors::{AppError, AppResult, FieldErrors},
};
use chrono::Duration;
use sea_orm::{
    entity::prelude::*, sea_query::Expr, ActiveValue::Set, QueryOrder, QuerySelect, QueryTrait,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};

super::pid_and_timestamps!();

/// The most drawn at once.
pub const MAX_SAMPLE: u64 = 50;

/// One call-back as the official sees it: whom to call and about which
/// visit.
#[derive(Debug, Clone, Serialize)]
pub struct CallbackJson {
    pub pid: Uuid,
    pub status: String,
    pub satisfaction: Option<i64>,
    pub note: Option<String>,
    pub called_at: Option<DateTimeWithTimeZone>,
    pub visit: Uuid,
    pub visit_day: String,
    pub recipient: Option<String>,
    /// The recipient's phone, else the guardian's.
    pub phone: Option<String>,
}

/// The result of a call as sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct CallResult {
    /// `reached` or `unreachable`.
    #[serde(default, deserialize_with = "loose")]
    pub status: Option<String>,
    /// 1 (very dissatisfied) to 5 (very satisfied), when reached.
    #[serde(default, deserialize_with = "loose")]
    pub satisfaction: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub note: Option<String>,
}

fn start_of(day: chrono::NaiveDate) -> chrono::DateTime<chrono::FixedOffset> {
    crate::domain::recurrence::resolve(crate::zone::display(), day.and_time(chrono::NaiveTime::MIN))
        .into()
}

/// Draws up to `size` completed visits of `c` at random, not drawn
/// before. Returns how many were drawn.
///
/// # Errors
/// `size` out of range; database errors.
pub async fn sample(
    db: &DatabaseConnection,
    actor: &Actor,
    c: &contracts::Model,
    size: u64,
) -> AppResult<usize> {
    if !(1..=MAX_SAMPLE).contains(&size) {
        return Err(AppError::field("size", "error-sample-size"));
    }
    let covered = super::fulfilment::covered_visit(db.get_database_backend(), c.id, "visits");
    let drawn = Entity::find()
        .select_only()
        .column(Column::VisitId)
        .filter(Column::ContractId.eq(c.id))
        .into_query();
    let picked: Vec<(i64, Uuid)> = visits::Entity::find()
        .select_only()
        .column(visits::Column::Id)
        .column(visits::Column::Pid)
        .filter(visits::Column::OrganizationId.eq(c.organization_id))
        .filter(covered)
        .filter(visits::Column::Status.eq(VisitStatus::Completed.as_str()))
        .filter(visits::Column::StartsAt.gte(start_of(c.starts_on)))
        .filter(visits::Column::StartsAt.lt(start_of(c.ends_on + Duration::days(1))))
        .filter(visits::Column::Id.not_in_subquery(drawn))
        .order_by(Expr::cust("RANDOM()"), sea_orm::Order::Asc)
        .limit(size)
        .into_tuple()
        .all(db)
        .await?;
    let txn = db.begin().await?;
    for (id, _) in &picked {
        ActiveModel {
            contract_id: Set(c.id),
            visit_id: Set(*id),
            status: Set("pending".into()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    audit_logs::record(
        &txn,
        actor,
        Action::Create,
        "callbacks",
        Some(c.pid),
        &serde_json::json!({
            "sampled": picked.iter().map(|(_, p)| p.to_string()).collect::<Vec<_>>(),
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(picked.len())
}

/// Records the result of a call.
///
/// # Errors
/// Field errors (`status`, `satisfaction` 1–5 when reached, `note`);
/// database errors.
pub async fn record(
    db: &DatabaseConnection,
    actor: &Actor,
    cb: &Model,
    r: &CallResult,
) -> AppResult<Model> {
    let mut e = FieldErrors::new();
    let status = r
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| ["reached", "unreachable"].contains(s));
    if status.is_none() {
        e.add("status", "error-callback-status");
    }
    let satisfaction = r
        .satisfaction
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<i64>().ok().filter(|n| (1..=5).contains(n)));
    let satisfaction = match (status, satisfaction) {
        (Some("reached"), Some(Some(n))) => Some(n),
        (Some("reached"), _) => {
            e.add("satisfaction", "error-satisfaction");
            None
        }
        _ => None,
    };
    let note = e
        .take("note", text::optional(r.note.as_deref(), 1000), |x| {
            x.message_key()
        })
        .flatten();
    let status = e.into_result(|| status)?;
    let txn = db.begin().await?;
    let mut am: ActiveModel = cb.clone().into();
    am.status = Set(status.to_string());
    am.satisfaction = Set(satisfaction);
    am.note = Set(note);
    am.called_by_id = Set(actor.user_id);
    am.called_at = Set(Some(chrono::Utc::now().into()));
    let after = am.update(&txn).await?;
    audit_logs::record_change(
        &txn,
        actor,
        Action::Update,
        "callbacks",
        after.pid,
        Some(cb),
        Some(&after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// The call-backs of a contract, pending first, newest first.
///
/// # Errors
/// Database errors.
pub async fn of_contract(
    db: &DatabaseConnection,
    c: &contracts::Model,
) -> AppResult<Vec<CallbackJson>> {
    let rows = Entity::find()
        .filter(Column::ContractId.eq(c.id))
        .order_by_desc(Column::Status.eq("pending"))
        .order_by_desc(Column::Id)
        .limit(200)
        .all(db)
        .await?;
    let visit_ids: Vec<i64> = rows.iter().map(|r| r.visit_id).collect();
    let seen: std::collections::HashMap<i64, visits::Model> = visits::Entity::find()
        .filter(visits::Column::Id.is_in(visit_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let people_ids: Vec<i64> = seen.values().filter_map(|v| v.recipient_id).collect();
    let people: std::collections::HashMap<i64, recipients::Model> = recipients::Entity::find()
        .filter(recipients::Column::Id.is_in(people_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let v = seen.get(&r.visit_id)?;
            let p = v.recipient_id.and_then(|id| people.get(&id));
            Some(CallbackJson {
                pid: r.pid,
                status: r.status,
                satisfaction: r.satisfaction,
                note: r.note,
                called_at: r.called_at,
                visit: v.pid,
                visit_day: v
                    .starts_at
                    .with_timezone(&crate::zone::display())
                    .format("%Y-%m-%d")
                    .to_string(),
                recipient: p.map(|p| p.name.clone()),
                phone: p.and_then(|p| p.phone.clone().or_else(|| p.guardian_phone.clone())),
            })
        })
        .collect())
}

/// One call-back of `c` by pid.
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

/// Call-backs done and the average satisfaction of those reached.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Summary {
    pub sampled: usize,
    pub reached: usize,
    pub unreachable: usize,
    /// Average satisfaction (1–5) of those reached, one decimal.
    pub satisfaction: Option<f64>,
}

#[must_use]
pub fn summary(list: &[CallbackJson]) -> Summary {
    let reached: Vec<i64> = list
        .iter()
        .filter(|c| c.status == "reached")
        .filter_map(|c| c.satisfaction)
        .collect();
    Summary {
        sampled: list.len(),
        reached: list.iter().filter(|c| c.status == "reached").count(),
        unreachable: list.iter().filter(|c| c.status == "unreachable").count(),
        satisfaction: (!reached.is_empty()).then(|| {
            (reached.iter().sum::<i64>() as f64 * 10.0 / reached.len() as f64).round() / 10.0
        }),
    }
}
