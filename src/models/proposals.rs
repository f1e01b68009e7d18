//! Proposals (主动发现): a provider's coordinator enters a person found in
//! outreach; the person is on the register as `proposed`, seen by the
//! proposer and the township's officials, until an official of the
//! person's township confirms them (on the roster: `registered`) or
//! declines them with a reason (`declined`: the proposer still sees what
//! they entered and why). A declined proposal may still be confirmed
//! later; a confirmed one is final (the roster's status changes apply).
pub use super::_entities::proposals::{self, ActiveModel, Column, Entity, Model};
use sea_orm::{entity::prelude::*, ActiveValue::Set};

super::pid_and_timestamps!();
use super::{
    _entities::{organizations, recipients},
    audit_logs::{Action, Chain},
    fetch_page, find_scoped, scoped, Actor,
};
use crate::{
    domain::pagination::{PageInfo, PageRequest},
    errors::{AppError, AppResult},
    policy::Scope,
};
use sea_orm::{sea_query::Expr, ConnectionTrait, QueryOrder, TransactionTrait};
use std::collections::HashMap;

/// What an official decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Confirm,
    Decline,
}

impl Decision {
    /// The proposal's status after the decision.
    #[must_use]
    pub const fn status(self) -> &'static str {
        match self {
            Self::Confirm => "confirmed",
            Self::Decline => "declined",
        }
    }

    /// The recipient's place on the register after the decision.
    #[must_use]
    pub const fn registry(self) -> &'static str {
        match self {
            Self::Confirm => "registered",
            Self::Decline => "declined",
        }
    }
}

impl std::str::FromStr for Decision {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.trim() {
            "confirm" | "confirmed" => Ok(Self::Confirm),
            "decline" | "declined" => Ok(Self::Decline),
            _ => Err(()),
        }
    }
}

/// Opens the proposal of a person just entered (inside the caller's
/// transaction and audit chain).
///
/// # Errors
/// Database errors.
pub async fn open_in<C: ConnectionTrait>(
    db: &C,
    chain: &mut Chain,
    actor: &Actor,
    person: &recipients::Model,
    organization_id: i64,
) -> AppResult<Model> {
    let m = ActiveModel {
        recipient_id: Set(person.id),
        organization_id: Set(organization_id),
        township_id: Set(person.township_id),
        proposed_by_id: Set(actor.user_id),
        status: Set("pending".into()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    chain
        .append(
            db,
            actor,
            Action::Create,
            "proposals",
            Some(m.pid),
            &serde_json::json!({"recipient": person.pid, "status": m.status}),
        )
        .await?;
    Ok(m)
}

/// A proposal with the person and the proposing organisation's name.
#[derive(Debug, Clone)]
pub struct ProposalRow {
    pub proposal: Model,
    pub person: Option<recipients::Model>,
    pub organization: Option<String>,
}

/// The proposals the caller sees, pending first, newest first; `status`
/// narrows to one status. People and organisations of a page are loaded
/// in one query each.
///
/// # Errors
/// `NotFound` for callers who see none.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    status: Option<&str>,
    page: PageRequest,
) -> AppResult<(Vec<ProposalRow>, PageInfo)> {
    let mut q = scoped(Entity::find(), scope.proposals()).ok_or(AppError::NotFound)?;
    if let Some(s) = status {
        q = q.filter(Column::Status.eq(s));
    }
    let (list, info) = fetch_page(
        db,
        q.order_by_desc(Column::Status.eq("pending"))
            .order_by_desc(Column::Id),
        page,
    )
    .await?;
    let people =
        super::recipients::by_ids(db, list.iter().map(|p| p.recipient_id).collect()).await?;
    let mut org_ids: Vec<i64> = list.iter().map(|p| p.organization_id).collect();
    org_ids.sort_unstable();
    org_ids.dedup();
    let orgs: HashMap<i64, String> = if org_ids.is_empty() {
        HashMap::new()
    } else {
        organizations::Entity::find()
            .filter(organizations::Column::Id.is_in(org_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect()
    };
    let rows = list
        .into_iter()
        .map(|p| ProposalRow {
            person: people.get(&p.recipient_id).cloned(),
            organization: orgs.get(&p.organization_id).cloned(),
            proposal: p,
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
            scope.proposals(),
        ),
    )
    .await
}

/// The newest proposal of a person, if any.
///
/// # Errors
/// Database errors.
pub async fn of_recipient<C: ConnectionTrait>(
    db: &C,
    recipient_id: i64,
) -> AppResult<Option<Model>> {
    Ok(Entity::find()
        .filter(Column::RecipientId.eq(recipient_id))
        .order_by_desc(Column::Id)
        .one(db)
        .await?)
}

/// How many proposals wait for the caller's decision.
///
/// # Errors
/// Database errors.
pub async fn pending_count(db: &DatabaseConnection, scope: &Scope) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    if !matches!(
        scope.role(),
        crate::domain::role::Role::Admin | crate::domain::role::Role::Official
    ) {
        return Ok(0);
    }
    let Some(q) = scoped(Entity::find(), scope.proposals()) else {
        return Ok(0);
    };
    Ok(q.filter(Column::Status.eq("pending")).count(db).await?)
}

impl Model {
    /// Confirms (the person joins the roster) or declines (with the
    /// reason, shown to the proposer) a proposal, with the person's
    /// register entry in the same transaction and audit entries for both.
    ///
    /// # Errors
    /// `Forbidden` for callers who may not decide this township's
    /// proposals; field errors: a decision on a confirmed proposal, a
    /// decline without a reason, a note over 500 characters; database
    /// errors.
    pub async fn decide(
        &self,
        db: &DatabaseConnection,
        scope: &Scope,
        actor: &Actor,
        decision: Decision,
        note: Option<&str>,
    ) -> AppResult<Self> {
        if !scope.may_decide_proposals_of(self.township_id) {
            return Err(AppError::Forbidden);
        }
        let note = match decision {
            Decision::Decline => Some(
                crate::domain::text::required(note.unwrap_or_default(), 500)
                    .map_err(|e| AppError::field("note", e.message_key()))?,
            ),
            Decision::Confirm => crate::domain::text::optional(note, 500)
                .map_err(|e| AppError::field("note", e.message_key()))?,
        };
        let txn = db.begin().await?;
        let current = Entity::find_by_id(self.id)
            .one(&txn)
            .await?
            .ok_or(AppError::NotFound)?;
        if current.status == "confirmed" || current.status == decision.status() {
            return Err(AppError::field("decision", "error-proposal-decided"));
        }
        // Only from the status just read: of two decisions at once, the
        // second finds nothing to change.
        let now: DateTimeWithTimeZone = chrono::Utc::now().into();
        let changed = Entity::update_many()
            .col_expr(Column::Status, Expr::value(decision.status()))
            .col_expr(Column::DecidedById, Expr::value(actor.user_id))
            .col_expr(Column::DecidedAt, Expr::value(now))
            .col_expr(Column::DecisionNote, Expr::value(note))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.eq(self.id))
            .filter(Column::Status.eq(current.status.clone()))
            .exec(&txn)
            .await?;
        if changed.rows_affected == 0 {
            return Err(AppError::field("decision", "error-proposal-decided"));
        }
        let after = Entity::find_by_id(self.id)
            .one(&txn)
            .await?
            .ok_or(AppError::NotFound)?;
        let person = recipients::Entity::find_by_id(self.recipient_id)
            .one(&txn)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut pam: recipients::ActiveModel = person.clone().into();
        pam.registry = Set(decision.registry().into());
        let person_after = pam.update(&txn).await?;
        let mut chain = Chain::default();
        chain
            .append_change(
                &txn,
                actor,
                Action::Update,
                "proposals",
                after.pid,
                Some(&current),
                Some(&after),
            )
            .await?;
        chain
            .append_change(
                &txn,
                actor,
                Action::Update,
                "recipients",
                person_after.pid,
                Some(&super::recipients::audit_view(&person)),
                Some(&super::recipients::audit_view(&person_after)),
            )
            .await?;
        txn.commit().await?;
        Ok(after)
    }
}
