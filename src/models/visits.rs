//! Visits (上门服务): one occurrence of a plan (or, later, an ad-hoc
//! visit). This issue creates them from plans; the visits issue records
//! what happened at the door.
pub use super::_entities::visits::{self, ActiveModel, Column, Entity, Model};
use super::{fetch_page, find_scoped, scoped};
use crate::{
    domain::pagination::{PageInfo, PageRequest},
    errors::{AppError, AppResult},
    policy::Scope,
};
use chrono::{DateTime, Utc};
use sea_orm::{entity::prelude::*, ActiveValue::Set, QueryOrder};

super::pid_and_timestamps!();

/// # Errors
/// `NotFound` when missing or out of scope.
pub async fn load(db: &DatabaseConnection, scope: &Scope, pid: Uuid) -> AppResult<Model> {
    find_scoped(
        db,
        scoped(Entity::find().filter(Column::Pid.eq(pid)), scope.visits()),
    )
    .await
}

/// Visits the caller may see that start in `[from, to)`, in time order,
/// optionally of one plan.
///
/// # Errors
/// `NotFound` for callers who see no visits.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    plan_id: Option<i64>,
    page: PageRequest,
) -> AppResult<(Vec<Model>, PageInfo)> {
    let mut q = scoped(Entity::find(), scope.visits()).ok_or(AppError::NotFound)?;
    q = q
        .filter(Column::StartsAt.gte(DateTime::<chrono::FixedOffset>::from(from)))
        .filter(Column::StartsAt.lt(DateTime::<chrono::FixedOffset>::from(to)));
    if let Some(p) = plan_id {
        q = q.filter(Column::PlanId.eq(p));
    }
    fetch_page(
        db,
        q.order_by_asc(Column::StartsAt).order_by_asc(Column::Id),
        page,
    )
    .await
}
