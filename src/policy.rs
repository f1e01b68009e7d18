//! Who may see and change what: the one place that decides. Every model
//! finder takes a `Scope` and asks it for a condition; a record outside the
//! condition is simply not found (404).
//!
//! The role tables are data: [`SCOPE_TABLE`] says in words what each role's
//! scope reaches, the README's "Who sees what" tables are rendered from it
//! ([`scope_markdown`]), and the tests below tie every "all" and "—" to the
//! scope functions. What a role sees *of a person* within its scope is
//! `crate::domain::privacy`.
use crate::{
    domain::role::Role,
    models::_entities::{
        contracts, households, organizations, recipients, referrals, service_plans, townships,
        users, villages, visits,
    },
};
use sea_orm::{ColumnTrait, Condition};

/// The kinds of records a scope reaches, as the README groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Places,
    Organizations,
    Users,
    AuditLog,
    Recipients,
    IdNumbers,
    Plans,
    Referrals,
    Contracts,
}

impl Resource {
    /// The column's heading in the README.
    #[must_use]
    pub const fn heading(self) -> &'static str {
        match self {
            Self::Places => "townships, villages",
            Self::Organizations => "organisations",
            Self::Users => "user accounts",
            Self::AuditLog => "audit log",
            Self::Recipients => "households, recipients",
            Self::IdNumbers => "ID numbers",
            Self::Plans => "service plans, visits, board",
            Self::Referrals => "referrals",
            Self::Contracts => "contracts and their fulfilment",
        }
    }
}

/// The README's tables: which resources share one.
pub const SCOPE_TABLES: [&[Resource]; 4] = [
    &[
        Resource::Places,
        Resource::Organizations,
        Resource::Users,
        Resource::AuditLog,
    ],
    &[Resource::Recipients, Resource::IdNumbers],
    &[Resource::Plans, Resource::Referrals],
    &[Resource::Contracts],
];

/// What each role's scope reaches, in words. A cell that begins with
/// "all" is `Visible::All`, one that begins with "—" is `Visible::Nothing`,
/// anything else `Visible::Only`; the verbs (manages, registers, creates
/// and changes plans, draws up) are the `may_*` answers. The tests check
/// both.
pub const SCOPE_TABLE: &[(Role, Resource, &str)] = &[
    (Role::Admin, Resource::Places, "all, manages"),
    (Role::Admin, Resource::Organizations, "all, manages"),
    (Role::Admin, Resource::Users, "all, manages"),
    (Role::Admin, Resource::AuditLog, "all"),
    (Role::Official, Resource::Places, "the townships they oversee"),
    (Role::Official, Resource::Organizations, "all (read)"),
    (Role::Official, Resource::Users, "themselves"),
    (Role::Official, Resource::AuditLog, "—"),
    (Role::Coordinator, Resource::Places, "all (read)"),
    (Role::Coordinator, Resource::Organizations, "their own"),
    (
        Role::Coordinator,
        Resource::Users,
        "their organisation's; creates and edits its workers and volunteers",
    ),
    (Role::Coordinator, Resource::AuditLog, "—"),
    (Role::Worker, Resource::Places, "—"),
    (Role::Worker, Resource::Organizations, "their own"),
    (Role::Worker, Resource::Users, "themselves"),
    (Role::Worker, Resource::AuditLog, "—"),
    (
        Role::Admin,
        Resource::Recipients,
        "all; registers, edits, imports",
    ),
    (
        Role::Admin,
        Resource::IdNumbers,
        "masked; may reveal with a reason",
    ),
    (
        Role::Official,
        Resource::Recipients,
        "those of the townships they oversee (read only)",
    ),
    (Role::Official, Resource::IdNumbers, "masked"),
    (
        Role::Coordinator,
        Resource::Recipients,
        "those their organisation registered; registers, edits, imports",
    ),
    (
        Role::Coordinator,
        Resource::IdNumbers,
        "masked; may reveal with a reason",
    ),
    (
        Role::Worker,
        Resource::Recipients,
        "— (they meet the people of their own visits only through those visits)",
    ),
    (Role::Worker, Resource::IdNumbers, "— never, not even masked"),
    (
        Role::Admin,
        Resource::Plans,
        "all; creates and changes plans, moves, cancels and reassigns visits",
    ),
    (Role::Admin, Resource::Referrals, "all"),
    (
        Role::Official,
        Resource::Plans,
        "those of the townships they oversee, and their board (read only)",
    ),
    (
        Role::Official,
        Resource::Referrals,
        "those of the townships they oversee; assigns them to an official, sets due dates, closes them with an outcome",
    ),
    (
        Role::Coordinator,
        Resource::Plans,
        "their organisation's; creates and changes plans, moves, cancels and reassigns visits, bulk reassignment",
    ),
    (
        Role::Coordinator,
        Resource::Referrals,
        "their organisation's (read only): who is responsible, the due date, the outcome",
    ),
    (
        Role::Worker,
        Resource::Plans,
        "the plans and visits assigned to them, \"my week\" and a calendar feed; names masked except at the door",
    ),
    (
        Role::Worker,
        Resource::Referrals,
        "— (they raise them on their visits)",
    ),
    (Role::Admin, Resource::Contracts, "all; draws up, puts in force, closes"),
    (
        Role::Official,
        Resource::Contracts,
        "those of the townships they oversee; draws up, covers recipients, puts in force, closes",
    ),
    (
        Role::Coordinator,
        Resource::Contracts,
        "their organisation's (the provider's side), read only",
    ),
    (Role::Worker, Resource::Contracts, "—"),
];

/// The README's label of a role (workers and volunteers share one).
#[must_use]
pub const fn role_label(role: Role) -> &'static str {
    match role {
        Role::Worker => "worker / volunteer",
        r => r.as_str(),
    }
}

/// The cell of [`SCOPE_TABLE`] for `role` and `resource` ("" if missing,
/// which a test forbids).
#[must_use]
pub fn scope_cell(role: Role, resource: Resource) -> &'static str {
    SCOPE_TABLE
        .iter()
        .find(|(r, res, _)| *r == role && *res == resource)
        .map_or("", |(_, _, cell)| cell)
}

/// [`SCOPE_TABLES`] as markdown, tables separated by a blank line: what
/// the README shows between `<!-- scope-tables:start -->` and
/// `<!-- scope-tables:end -->`.
#[must_use]
pub fn scope_markdown() -> String {
    let mut out = String::new();
    for (i, columns) in SCOPE_TABLES.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str("| role |");
        for c in *columns {
            out.push_str(&format!(" {} |", c.heading()));
        }
        out.push_str("\n|---|");
        for _ in *columns {
            out.push_str("---|");
        }
        out.push('\n');
        for role in Role::ALL {
            out.push_str(&format!("| {} |", role_label(role)));
            for c in *columns {
                out.push_str(&format!(" {} |", scope_cell(role, *c)));
            }
            out.push('\n');
        }
    }
    out
}

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

    /// The role whose column of `domain::privacy` applies (a coordinator
    /// without an organisation sees as a worker).
    #[must_use]
    pub const fn role(&self) -> Role {
        match self.kind {
            ScopeKind::Admin => Role::Admin,
            ScopeKind::Official { .. } => Role::Official,
            ScopeKind::Coordinator { .. } => Role::Coordinator,
            ScopeKind::Worker { .. } => Role::Worker,
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

    /// Households: officials see their townships', coordinators those their
    /// organisation registered. Workers will see the households of their
    /// assigned visits once visits exist; until then none.
    #[must_use]
    pub fn households(&self) -> Visible {
        match &self.kind {
            ScopeKind::Admin => Visible::All,
            ScopeKind::Official { townships } => {
                Visible::only(households::Column::TownshipId.is_in(townships.clone()))
            }
            ScopeKind::Coordinator { organization_id } => {
                Visible::only(households::Column::OrganizationId.eq(*organization_id))
            }
            ScopeKind::Worker { .. } => Visible::Nothing,
        }
    }

    /// Recipients, by the same rule as their households.
    #[must_use]
    pub fn recipients(&self) -> Visible {
        match &self.kind {
            ScopeKind::Admin => Visible::All,
            ScopeKind::Official { townships } => {
                Visible::only(recipients::Column::TownshipId.is_in(townships.clone()))
            }
            ScopeKind::Coordinator { organization_id } => {
                Visible::only(recipients::Column::OrganizationId.eq(*organization_id))
            }
            ScopeKind::Worker { .. } => Visible::Nothing,
        }
    }

    /// Plans: coordinators their organisation's, officials their
    /// townships' (read), workers those they are assigned to (read).
    #[must_use]
    pub fn service_plans(&self) -> Visible {
        match &self.kind {
            ScopeKind::Admin => Visible::All,
            ScopeKind::Official { townships } => {
                Visible::only(service_plans::Column::TownshipId.is_in(townships.clone()))
            }
            ScopeKind::Coordinator { organization_id } => {
                Visible::only(service_plans::Column::OrganizationId.eq(*organization_id))
            }
            ScopeKind::Worker { .. } => Visible::only(
                Condition::any()
                    .add(service_plans::Column::WorkerId.eq(self.user_id))
                    .add(service_plans::Column::BackupWorkerId.eq(self.user_id)),
            ),
        }
    }

    /// Visits: as plans; a worker sees the visits assigned to them.
    #[must_use]
    pub fn visits(&self) -> Visible {
        match &self.kind {
            ScopeKind::Admin => Visible::All,
            ScopeKind::Official { townships } => {
                Visible::only(visits::Column::TownshipId.is_in(townships.clone()))
            }
            ScopeKind::Coordinator { organization_id } => {
                Visible::only(visits::Column::OrganizationId.eq(*organization_id))
            }
            ScopeKind::Worker { .. } => Visible::only(visits::Column::WorkerId.eq(self.user_id)),
        }
    }

    /// Referrals from visits: the organisation's for coordinators (who act
    /// on them), the townships' for officials (read), all for admins.
    #[must_use]
    pub fn referrals(&self) -> Visible {
        match &self.kind {
            ScopeKind::Admin => Visible::All,
            ScopeKind::Official { townships } => {
                Visible::only(referrals::Column::TownshipId.is_in(townships.clone()))
            }
            ScopeKind::Coordinator { organization_id } => {
                Visible::only(referrals::Column::OrganizationId.eq(*organization_id))
            }
            ScopeKind::Worker { .. } => Visible::Nothing,
        }
    }

    /// Contracts: their townships' for officials, their organisation's for
    /// coordinators, all for admins.
    #[must_use]
    pub fn contracts(&self) -> Visible {
        match &self.kind {
            ScopeKind::Admin => Visible::All,
            ScopeKind::Official { townships } => {
                Visible::only(contracts::Column::TownshipId.is_in(townships.clone()))
            }
            ScopeKind::Coordinator { organization_id } => {
                Visible::only(contracts::Column::OrganizationId.eq(*organization_id))
            }
            ScopeKind::Worker { .. } => Visible::Nothing,
        }
    }

    /// The townships the caller may buy services for: all for admins,
    /// their own for officials.
    #[must_use]
    pub fn contract_townships(&self) -> Visible {
        match &self.kind {
            ScopeKind::Admin => Visible::All,
            ScopeKind::Official { townships } => {
                Visible::only(townships::Column::Id.is_in(townships.clone()))
            }
            _ => Visible::Nothing,
        }
    }

    /// Admins and officials (for their townships) draw up contracts.
    #[must_use]
    pub const fn may_manage_contracts(&self) -> bool {
        matches!(self.kind, ScopeKind::Admin | ScopeKind::Official { .. })
    }

    /// Admins and coordinators create plans (officials read them).
    #[must_use]
    pub const fn may_manage_plans(&self) -> bool {
        matches!(self.kind, ScopeKind::Admin | ScopeKind::Coordinator { .. })
    }

    /// Admins and officials (for their townships) assign referrals, set
    /// their due dates and close them; coordinators read their
    /// organisation's.
    #[must_use]
    pub const fn may_manage_referrals(&self) -> bool {
        matches!(self.kind, ScopeKind::Admin | ScopeKind::Official { .. })
    }

    /// Whether a recipient already loaded lies in the caller's scope: the
    /// same rule as `recipients()`, for rows fetched without it (a roster
    /// import compares every ID number with the whole registry).
    #[must_use]
    pub fn sees_recipient(&self, r: &recipients::Model) -> bool {
        match &self.kind {
            ScopeKind::Admin => true,
            ScopeKind::Official { townships } => townships.contains(&r.township_id),
            ScopeKind::Coordinator { organization_id } => {
                r.organization_id == Some(*organization_id)
            }
            ScopeKind::Worker { .. } => false,
        }
    }

    /// Admins and coordinators register and edit households and
    /// recipients (within what they see); officials only read.
    #[must_use]
    pub const fn may_register_recipients(&self) -> bool {
        matches!(self.kind, ScopeKind::Admin | ScopeKind::Coordinator { .. })
    }

    /// Whether the caller may see a whole ID number (after giving a reason):
    /// admins, and the coordinators of the organisation that registered the
    /// recipient.
    #[must_use]
    pub fn may_reveal_id(&self, organization_id: Option<i64>) -> bool {
        match &self.kind {
            ScopeKind::Admin => true,
            ScopeKind::Coordinator {
                organization_id: own,
            } => organization_id == Some(*own),
            _ => false,
        }
    }

    /// Searching by the last four characters of an ID number tells them
    /// to whoever searches: only for those who may reveal the numbers they
    /// see (admins; coordinators see only their organisation's people).
    /// Each such search is audited and counted (`recipients::allow_id_search`).
    #[must_use]
    pub const fn may_search_by_id_end(&self) -> bool {
        matches!(self.kind, ScopeKind::Admin | ScopeKind::Coordinator { .. })
    }

    /// Who plans visits, or checks a recurrence: admins, officials and
    /// coordinators (not workers).
    #[must_use]
    pub const fn may_plan(&self) -> bool {
        !matches!(self.kind, ScopeKind::Worker { .. })
    }

    /// Workers never see ID numbers, not even masked (`domain::privacy`).
    #[must_use]
    pub fn sees_id_numbers(&self) -> bool {
        crate::domain::privacy::shown(self.role(), crate::domain::privacy::Datum::IdNumber, false)
            != crate::domain::privacy::Shown::Hidden
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
            calendar_token: None,
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
    fn only_admins_and_the_registering_coordinators_may_reveal_id_numbers() {
        let admin = Scope::new(&user("admin", None), vec![]);
        let coordinator = Scope::new(&user("coordinator", Some(3)), vec![]);
        let official = Scope::new(&user("official", None), vec![1]);
        let worker = Scope::new(&user("worker", Some(3)), vec![]);
        assert!(admin.may_reveal_id(None));
        assert!(coordinator.may_reveal_id(Some(3)));
        assert!(!coordinator.may_reveal_id(Some(4)));
        assert!(!coordinator.may_reveal_id(None));
        assert!(!official.may_reveal_id(Some(3)));
        assert!(!worker.may_reveal_id(Some(3)));
        assert!(!worker.sees_id_numbers());
        assert!(matches!(worker.recipients(), Visible::Nothing));
        assert!(!official.may_register_recipients());
    }

    #[test]
    fn a_loaded_recipient_is_in_scope_by_the_same_rule_as_the_list() {
        let now = chrono::Utc::now().into();
        let r = recipients::Model {
            created_at: now,
            updated_at: now,
            id: 1,
            pid: uuid::Uuid::nil(),
            household_id: 1,
            township_id: 5,
            village_id: 1,
            organization_id: Some(3),
            name: "x".into(),
            name_key: String::new(),
            gender: "female".into(),
            birth_date: chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap(),
            id_sealed: String::new(),
            id_hash: String::new(),
            id_masked: String::new(),
            id_last4: String::new(),
            relation: None,
            phone: None,
            disability_level: None,
            disability_type: None,
            guardian_name: None,
            guardian_phone: None,
            guardian_relation: None,
            care_needs: None,
            care_tags: String::new(),
            latitude: None,
            longitude: None,
            consent_by: None,
            consent_relation: None,
            consent_on: None,
            status: "active".into(),
            status_reason: None,
            status_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            roster: None,
        };
        assert!(Scope::new(&user("admin", None), vec![]).sees_recipient(&r));
        assert!(Scope::new(&user("coordinator", Some(3)), vec![]).sees_recipient(&r));
        assert!(!Scope::new(&user("coordinator", Some(4)), vec![]).sees_recipient(&r));
        assert!(Scope::new(&user("official", None), vec![5]).sees_recipient(&r));
        assert!(!Scope::new(&user("official", None), vec![6]).sees_recipient(&r));
        assert!(!Scope::new(&user("worker", Some(3)), vec![]).sees_recipient(&r));
    }

    /// A scope of each role, each reaching something (an official one
    /// township, a coordinator and a worker one organisation).
    fn scope_of(role: Role) -> Scope {
        match role {
            Role::Admin => Scope::new(&user("admin", None), vec![]),
            Role::Official => Scope::new(&user("official", None), vec![1]),
            Role::Coordinator => Scope::new(&user("coordinator", Some(1)), vec![]),
            Role::Worker => Scope::new(&user("worker", Some(1)), vec![]),
        }
    }

    /// The scope functions behind a column (`None` for ID numbers, which
    /// `domain::privacy` decides).
    fn visibles(s: &Scope, resource: Resource) -> Option<Vec<Visible>> {
        Some(match resource {
            Resource::Places => vec![s.townships(), s.villages()],
            Resource::Organizations => vec![s.organizations()],
            Resource::Users => vec![s.users()],
            Resource::AuditLog => vec![s.audit_logs()],
            Resource::Recipients => vec![s.recipients(), s.households()],
            Resource::Plans => vec![s.service_plans(), s.visits()],
            Resource::Referrals => vec![s.referrals()],
            Resource::Contracts => vec![s.contracts()],
            Resource::IdNumbers => return None,
        })
    }

    #[test]
    fn the_scope_table_has_one_cell_for_every_role_and_resource() {
        let resources: Vec<Resource> = SCOPE_TABLES
            .iter()
            .flat_map(|t| t.iter().copied())
            .collect();
        assert_eq!(SCOPE_TABLE.len(), resources.len() * Role::ALL.len());
        for role in Role::ALL {
            for resource in &resources {
                let n = SCOPE_TABLE
                    .iter()
                    .filter(|(r, res, _)| *r == role && res == resource)
                    .count();
                assert_eq!(n, 1, "{role} / {resource:?}");
            }
        }
    }

    #[test]
    fn every_all_and_every_dash_in_the_scope_table_is_what_the_scope_does() {
        for &(role, resource, cell) in SCOPE_TABLE {
            let Some(visibles) = visibles(&scope_of(role), resource) else {
                continue;
            };
            for v in visibles {
                let ok = match v {
                    Visible::All => cell.starts_with("all"),
                    Visible::Nothing => cell.starts_with('—'),
                    Visible::Only(_) => !cell.starts_with("all") && !cell.starts_with('—'),
                };
                assert!(
                    ok,
                    "{role} / {resource:?}: {cell:?} but the scope says {v:?}"
                );
            }
        }
    }

    #[test]
    fn the_verbs_in_the_scope_table_are_what_each_role_may_do() {
        for role in Role::ALL {
            let s = scope_of(role);
            let cell = |r| scope_cell(role, r);
            assert_eq!(
                cell(Resource::Places).contains("manages"),
                s.may_manage_places(),
                "{role}"
            );
            assert_eq!(
                cell(Resource::Organizations).contains("manages"),
                s.may_manage_places(),
                "{role}"
            );
            assert_eq!(
                cell(Resource::Users).contains("manages")
                    || cell(Resource::Users).contains("creates"),
                s.may_create_users(),
                "{role}"
            );
            assert_eq!(
                cell(Resource::Recipients).contains("registers"),
                s.may_register_recipients(),
                "{role}"
            );
            assert_eq!(
                cell(Resource::Plans).contains("creates and changes plans"),
                s.may_manage_plans(),
                "{role}"
            );
            assert_eq!(
                cell(Resource::Plans).contains("board") && !s.may_manage_plans(),
                s.may_plan() && !s.may_manage_plans(),
                "{role}: the board is named for those who only read it"
            );
            assert_eq!(
                cell(Resource::Plans).contains("my week"),
                role == Role::Worker,
                "{role}"
            );
            assert_eq!(
                cell(Resource::Contracts).contains("draws up"),
                s.may_manage_contracts(),
                "{role}"
            );
        }
    }

    #[test]
    fn the_id_number_column_is_the_privacy_rule() {
        use crate::domain::privacy::{seen, Datum, Seen};
        for role in Role::ALL {
            let s = scope_of(role);
            let cell = scope_cell(role, Resource::IdNumbers);
            assert_eq!(cell.starts_with('—'), !s.sees_id_numbers(), "{role}");
            assert_eq!(cell.starts_with("masked"), s.sees_id_numbers(), "{role}");
            let reveals = s.may_reveal_id(Some(1));
            assert_eq!(cell.contains("may reveal"), reveals, "{role}");
            assert_eq!(
                seen(role, Datum::IdNumber) == Seen::MaskedRevealable,
                reveals,
                "{role}"
            );
        }
    }

    #[test]
    fn the_readme_scope_tables_are_the_scope_table() {
        let expected = scope_markdown();
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .expect("README.md");
        assert_eq!(
            crate::domain::privacy::between_markers(&readme, "scope-tables"),
            Some(expected.as_str()),
            "README.md, between <!-- scope-tables:start --> and <!-- scope-tables:end -->, should be:\n\n{expected}"
        );
    }

    #[test]
    fn workers_see_no_places() {
        let s = Scope::new(&user("worker", Some(1)), vec![]);
        assert!(matches!(s.townships(), Visible::Nothing));
        assert!(matches!(s.villages(), Visible::Nothing));
        assert!(matches!(s.organizations(), Visible::Only(_)));
    }
}
