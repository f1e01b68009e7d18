//! Who may see and change what: the one place that decides. Every model
//! finder takes a `Scope` and asks it for a condition; a record outside the
//! condition is simply not found (404).
//!
//! | role        | townships, villages | organisations | users                      | audit log |
//! |-------------|---------------------|---------------|----------------------------|-----------|
//! | admin       | all, manage         | all, manage   | all, manage                | all       |
//! | official    | their townships     | all (read)    | themselves                 | none      |
//! | coordinator | all (read)          | their own     | their organisation's; manage its workers | none |
//! | worker      | none                | their own     | themselves                 | none      |
use crate::{
    domain::role::Role,
    models::_entities::{organizations, townships, users, villages},
};
use sea_orm::{ColumnTrait, Condition};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeKind {
    Admin,
    Official { townships: Vec<i64> },
    Coordinator { organization_id: i64 },
    Worker { organization_id: Option<i64> },
}

/// The caller as the policy sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub user_id: i64,
    pub kind: ScopeKind,
}

/// What part of a table the caller may see.
#[derive(Debug, Clone)]
pub enum Visible {
    All,
    Only(Condition),
    Nothing,
}

impl Visible {
    fn only(c: impl Into<Condition>) -> Self {
        Self::Only(c.into())
    }
}

impl Scope {
    /// Builds the scope of a user. A coordinator without an organisation
    /// (which the forms do not allow) sees nothing of anyone else's.
    #[must_use]
    pub fn new(user: &users::Model, official_townships: Vec<i64>) -> Self {
        let role = user.role.parse::<Role>().unwrap_or(Role::Worker);
        let kind = match (role, user.organization_id) {
            (Role::Admin, _) => ScopeKind::Admin,
            (Role::Official, _) => ScopeKind::Official {
                townships: official_townships,
            },
            (Role::Coordinator, Some(org)) => ScopeKind::Coordinator {
                organization_id: org,
            },
            (Role::Coordinator | Role::Worker, org) => ScopeKind::Worker {
                organization_id: org,
            },
        };
        Self {
            user_id: user.id,
            kind,
        }
    }

    #[must_use]
    pub fn is_admin(&self) -> bool {
        self.kind == ScopeKind::Admin
    }

    #[must_use]
    pub fn townships(&self) -> Visible {
        match &self.kind {
            ScopeKind::Admin | ScopeKind::Coordinator { .. } => Visible::All,
            ScopeKind::Official { townships } => {
                Visible::only(townships::Column::Id.is_in(townships.clone()))
            }
            ScopeKind::Worker { .. } => Visible::Nothing,
        }
    }

    #[must_use]
    pub fn villages(&self) -> Visible {
        match &self.kind {
            ScopeKind::Admin | ScopeKind::Coordinator { .. } => Visible::All,
            ScopeKind::Official { townships } => {
                Visible::only(villages::Column::TownshipId.is_in(townships.clone()))
            }
            ScopeKind::Worker { .. } => Visible::Nothing,
        }
    }

    #[must_use]
    pub fn organizations(&self) -> Visible {
        match &self.kind {
            ScopeKind::Admin | ScopeKind::Official { .. } => Visible::All,
            ScopeKind::Coordinator { organization_id }
            | ScopeKind::Worker {
                organization_id: Some(organization_id),
            } => Visible::only(organizations::Column::Id.eq(*organization_id)),
            ScopeKind::Worker {
                organization_id: None,
            } => Visible::Nothing,
        }
    }

    #[must_use]
    pub fn users(&self) -> Visible {
        match &self.kind {
            ScopeKind::Admin => Visible::All,
            ScopeKind::Coordinator { organization_id } => Visible::only(
                Condition::any()
                    .add(users::Column::OrganizationId.eq(*organization_id))
                    .add(users::Column::Id.eq(self.user_id)),
            ),
            ScopeKind::Official { .. } | ScopeKind::Worker { .. } => {
                Visible::only(users::Column::Id.eq(self.user_id))
            }
        }
    }

    #[must_use]
    pub fn audit_logs(&self) -> Visible {
        if self.is_admin() {
            Visible::All
        } else {
            Visible::Nothing
        }
    }

    /// Townships, villages and organisations are managed by admins.
    #[must_use]
    pub fn may_manage_places(&self) -> bool {
        self.is_admin()
    }

    /// Admins create anyone; a coordinator creates workers and volunteers
    /// of their own organisation.
    #[must_use]
    pub fn may_create_user(&self, role: Role, organization_id: Option<i64>) -> bool {
        match &self.kind {
            ScopeKind::Admin => true,
            ScopeKind::Coordinator {
                organization_id: own,
            } => role == Role::Worker && organization_id == Some(*own),
            _ => false,
        }
    }

    /// Whether the caller may open the "new user" form at all.
    #[must_use]
    pub fn may_create_users(&self) -> bool {
        matches!(self.kind, ScopeKind::Admin | ScopeKind::Coordinator { .. })
    }

    /// Admins edit anyone; a coordinator edits their organisation's workers.
    #[must_use]
    pub fn may_edit_user(&self, target: &users::Model) -> bool {
        match &self.kind {
            ScopeKind::Admin => true,
            ScopeKind::Coordinator { organization_id } => {
                target.role == Role::Worker.as_str()
                    && target.organization_id == Some(*organization_id)
            }
            _ => false,
        }
    }

    /// The organisation a coordinator's new users must belong to.
    #[must_use]
    pub const fn own_organization(&self) -> Option<i64> {
        match &self.kind {
            ScopeKind::Coordinator { organization_id } => Some(*organization_id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: &str, org: Option<i64>) -> users::Model {
        let now = chrono::Utc::now().into();
        users::Model {
            created_at: now,
            updated_at: now,
            id: 7,
            pid: uuid::Uuid::nil(),
            email: "x@doudi.test".into(),
            password: String::new(),
            api_key: String::new(),
            name: "x".into(),
            phone: None,
            role: role.into(),
            organization_id: org,
            volunteer: false,
            active: true,
            locale: None,
            token_version: 0,
        }
    }

    #[test]
    fn a_coordinator_may_create_only_workers_of_their_own_organisation() {
        let s = Scope::new(&user("coordinator", Some(3)), vec![]);
        assert!(s.may_create_user(Role::Worker, Some(3)));
        assert!(!s.may_create_user(Role::Worker, Some(4)));
        assert!(!s.may_create_user(Role::Coordinator, Some(3)));
        assert!(!s.may_create_user(Role::Admin, None));
        assert!(s.may_edit_user(&user("worker", Some(3))));
        assert!(!s.may_edit_user(&user("coordinator", Some(3))));
    }

    #[test]
    fn only_admins_manage_places_and_read_the_audit_log() {
        for (role, admin) in [
            ("admin", true),
            ("official", false),
            ("coordinator", false),
            ("worker", false),
        ] {
            let s = Scope::new(&user(role, Some(1)), vec![1]);
            assert_eq!(s.may_manage_places(), admin);
            assert_eq!(matches!(s.audit_logs(), Visible::All), admin);
        }
    }

    #[test]
    fn workers_see_no_places() {
        let s = Scope::new(&user("worker", Some(1)), vec![]);
        assert!(matches!(s.townships(), Visible::Nothing));
        assert!(matches!(s.villages(), Visible::Nothing));
        assert!(matches!(s.organizations(), Visible::Only(_)));
    }
}
