//! Referrals (转介): needs seen at a visit, on the coordinator's list until
//! someone acts on them.
pub use super::_entities::referrals::{self, ActiveModel, Column, Entity, Model};
use sea_orm::{entity::prelude::*, ActiveValue::Set};

super::pid_and_timestamps!();
use super::_entities::visits;
use super::{
    audit_logs::{self, Action},
    fetch_page, find_scoped, scoped, Actor,
};
use crate::{
    domain::pagination::{PageInfo, PageRequest},
    errors::{AppError, AppResult},
    policy::Scope,
};
use sea_orm::{QueryOrder, QuerySelect, TransactionTrait};
use std::collections::HashMap;

/// A referral with the person it is about and the pid of the visit it
/// came from, for lists.
#[derive(Debug, Clone)]
pub struct ReferralRow {
    pub referral: Model,
    pub recipient: Option<super::recipients::Model>,
    pub visit: Option<Uuid>,
}

/// The caller's referrals, open ones first, newest first; `open_only`
/// leaves out those acted on. The people and visits of a page are loaded
/// in one query each.
///
/// # Errors
/// `NotFound` for callers who see no referrals.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    open_only: bool,
    page: PageRequest,
) -> AppResult<(Vec<ReferralRow>, PageInfo)> {
    let mut q = scoped(Entity::find(), scope.referrals()).ok_or(AppError::NotFound)?;
    if open_only {
        q = q.filter(Column::Status.eq("open"));
    }
    let (list, info) = fetch_page(
        db,
        q.order_by_desc(Column::Status.eq("open"))
            .order_by_desc(Column::Id),
        page,
    )
    .await?;
    let people =
        super::recipients::by_ids(db, list.iter().filter_map(|r| r.recipient_id).collect()).await?;
    let visit_ids: Vec<i64> = list.iter().map(|r| r.visit_id).collect();
    let visits: HashMap<i64, Uuid> = if visit_ids.is_empty() {
        HashMap::new()
    } else {
        visits::Entity::find()
            .select_only()
            .column(visits::Column::Id)
            .column(visits::Column::Pid)
            .filter(visits::Column::Id.is_in(visit_ids))
            .into_tuple::<(i64, Uuid)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let rows = list
        .into_iter()
        .map(|r| ReferralRow {
            recipient: r.recipient_id.and_then(|id| people.get(&id).cloned()),
            visit: visits.get(&r.visit_id).copied(),
            referral: r,
        })
        .collect();
    Ok((rows, info))
}

/// # Errors
/// `NotFound` when missing or out of scope.
pub async fn load(db: &DatabaseConnection, scope: &Scope, pid: Uuid) -> AppResult<Model> {
    find_scoped(
        db,
        scoped(
            Entity::find().filter(Column::Pid.eq(pid)),
            scope.referrals(),
        ),
    )
    .await
}

impl Model {
    /// Records what was done about it and takes it off the open list.
    ///
    /// # Errors
    /// A missing note, an already closed referral (422); database errors.
    pub async fn close(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        note: Option<&str>,
    ) -> AppResult<Self> {
        let note = crate::domain::text::required(note.unwrap_or_default(), 1000)
            .map_err(|e| AppError::field("action_note", e.message_key()))?;
        if self.status != "open" {
            return Err(AppError::field("status", "error-referral-closed"));
        }
        let txn = db.begin().await?;
        let mut am: ActiveModel = self.clone().into();
        am.status = Set("closed".into());
        am.closed_by_id = Set(actor.user_id);
        am.closed_at = Set(Some(chrono::Utc::now().into()));
        am.action_note = Set(Some(note));
        let after = am.update(&txn).await?;
        audit_logs::record_change(
            &txn,
            actor,
            Action::Update,
            "referrals",
            after.pid,
            Some(self),
            Some(&after),
        )
        .await?;
        txn.commit().await?;
        Ok(after)
    }
}
