//! Corrections of logged visits: each keeps the record as it was before,
//! who changed it, when and why.
pub use super::_entities::visit_amendments::{self, ActiveModel, Column, Entity, Model};
use super::{_entities::users, visit_lines::Record};
use crate::errors::AppResult;
use sea_orm::{entity::prelude::*, ActiveValue::Set, QueryOrder};
use serde::Serialize;

super::pid_and_timestamps!();

/// One amendment as people read it.
#[derive(Debug, Clone, Serialize)]
pub struct Amendment {
    pub pid: Uuid,
    pub at: DateTimeWithTimeZone,
    pub by: String,
    pub reason: String,
    pub before: Option<Record>,
    pub after: Option<Record>,
}

/// The amendments of a visit, oldest first.
///
/// # Errors
/// Database errors.
pub async fn of_visit<C: ConnectionTrait>(db: &C, visit_id: i64) -> AppResult<Vec<Amendment>> {
    let rows = Entity::find()
        .filter(Column::VisitId.eq(visit_id))
        .order_by_asc(Column::Id)
        .find_also_related(users::Entity)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(a, u)| Amendment {
            pid: a.pid,
            at: a.created_at,
            by: u.map(|u| u.name).unwrap_or_default(),
            reason: a.reason,
            before: serde_json::from_str(&a.before).ok(),
            after: serde_json::from_str(&a.after).ok(),
        })
        .collect())
}
