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
        contract_recipients, contracts, households, organizations, proposals, recipients,
        referrals, service_plans, townships, users, villages, visits,
    },
};
use chrono::NaiveDate;
use sea_orm::{
    sea_query::{Expr, ExprTrait, Func, Query, SelectStatement},
    ColumnTrait, Condition,
};
use std::sync::OnceLock;

/// Days after the last day of a contract's coverage during which its
/// provider still reads the person's details (for corrections and
/// acceptance), when the `access_grace_days` setting is absent.
pub const DEFAULT_GRACE_DAYS: i64 = 60;

static GRACE: OnceLock<i64> = OnceLock::new();

/// The grace period in days (the `access_grace_days` setting).
#[must_use]
pub fn grace_days() -> i64 {
    GRACE.get().copied().unwrap_or(DEFAULT_GRACE_DAYS)
}

/// Reads `access_grace_days` from the app's settings (once, at boot).
///
/// # Errors
/// A value that is not a whole number of days from 0 to 3650.
pub fn configure_grace(settings: Option<&serde_json::Value>) -> Result<i64, String> {
    let days = match settings.and_then(|s| s.get("access_grace_days")) {
        None | Some(serde_json::Value::Null) => DEFAULT_GRACE_DAYS,
        Some(v) => v
            .as_i64()
            .filter(|d| (0..=3650).contains(d))
            .ok_or_else(|| format!("access_grace_days: {v} is not a number of days (0 to 3650)"))?,
    };
    let _ = GRACE.set(days);
    Ok(grace_days())
}

/// The statuses of a contract whose coverage gives its provider access:
/// in force, or closed (until the closing day and the grace period after).
pub const ACCESS_STATUSES: [&str; 2] = ["active", "closed"];

/// The recipients a contract of `organization` (in force or closed)
/// covers on `since` or later: its coverage's last day (the row's own, or
/// the contract's end, or the day it was closed) is not before `since`.
/// With `since` = today this is whom the provider serves; with today less
/// the grace period, whom it may still read.
#[must_use]
pub fn covered_by_provider(organization: i64, since: NaiveDate) -> SelectStatement {
    let mut q = covered_query(since);
    q.and_where(Expr::col((contracts::Entity, contracts::Column::OrganizationId)).eq(organization));
    q
}

/// The recipients covered by contracts of `townships` (any status: a
/// draft's coverage is the purchasing official's work).
#[must_use]
pub fn covered_by_townships(townships: &[i64]) -> SelectStatement {
    let mut q = coverage_rows();
    q.and_where(
        Expr::col((contracts::Entity, contracts::Column::TownshipId))
            .is_in(townships.iter().copied()),
    );
    q
}

/// The covered recipients of every coverage row, joined to its contract.
fn coverage_rows() -> SelectStatement {
    Query::select()
        .column((
            contract_recipients::Entity,
            contract_recipients::Column::RecipientId,
        ))
        .from(contract_recipients::Entity)
        .inner_join(
            contracts::Entity,
            Expr::col((contracts::Entity, contracts::Column::Id)).equals((
                contract_recipients::Entity,
                contract_recipients::Column::ContractId,
            )),
        )
        .to_owned()
}

fn covered_query(since: NaiveDate) -> SelectStatement {
    let mut q = coverage_rows();
    q.and_where(Expr::col((contracts::Entity, contracts::Column::Status)).is_in(ACCESS_STATUSES))
        .and_where(
            Expr::expr(Func::coalesce([
                Expr::col((
                    contract_recipients::Entity,
                    contract_recipients::Column::CoveredUntil,
                )),
                Expr::col((contracts::Entity, contracts::Column::EndsOn)),
            ]))
            .gte(since),
        )
        .and_where(
            Expr::col((contracts::Entity, contracts::Column::ClosedOn))
                .is_null()
                .or(Expr::col((contracts::Entity, contracts::Column::ClosedOn)).gte(since)),
        );
    q
}

/// The townships where `organization` holds a contract (any status).
fn contract_townships_of(organization: i64) -> SelectStatement {
    Query::select()
        .column(contracts::Column::TownshipId)
        .from(contracts::Entity)
        .and_where(contracts::Column::OrganizationId.eq(organization))
        .to_owned()
}

/// The townships where `organization` proposed someone.
fn proposal_townships_of(organization: i64) -> SelectStatement {
    Query::select()
        .column(proposals::Column::TownshipId)
        .from(proposals::Entity)
        .and_where(proposals::Column::OrganizationId.eq(organization))
        .to_owned()
}

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
    (
        Role::Coordinator,
        Resource::Places,
        "the townships of their organisation's contracts and proposals, and where the people they serve live (read)",
    ),
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
        "all; registers, edits, imports, changes statuses, confirms or declines proposals",
    ),
    (
        Role::Admin,
        Resource::IdNumbers,
        "masked; may reveal with a reason",
    ),
    (
        Role::Official,
        Resource::Recipients,
        "those of the townships they oversee, and those their townships' contracts cover; registers, edits, imports, changes statuses, confirms or declines proposals (their townships')",
    ),
    (Role::Official, Resource::IdNumbers, "masked"),
    (
        Role::Coordinator,
        Resource::Recipients,
        "those their organisation's contracts (in force or closed) cover, until a grace period after the coverage's last day (`access_grace_days`, 60 by default; read only after the last day), and the people they proposed; proposes people found in outreach, edits a proposal until the township decides",
    ),
    (
        Role::Coordinator,
        Resource::IdNumbers,
        "masked; may reveal with a reason (the people they serve today, and their proposals)",
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
        "their organisation's; creates and changes plans (for the people they serve), moves, cancels and reassigns visits, bulk reassignment",
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

/// The caller as the policy sees them, on the day they act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub user_id: i64,
    pub kind: ScopeKind,
    /// Today in the display zone: coverage that ended before today less
    /// the grace period gives no access.
    pub today: NaiveDate,
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
    /// Builds the scope of a user, today. A coordinator without an
    /// organisation (which the forms do not allow) sees nothing of anyone
    /// else's.
    #[must_use]
    pub fn new(user: &users::Model, official_townships: Vec<i64>) -> Self {
        Self::on(user, official_townships, crate::models::today())
    }

    /// The scope of a user on `today` (tests and tasks that fix the day).
    #[must_use]
    pub fn on(user: &users::Model, official_townships: Vec<i64>, today: NaiveDate) -> Self {
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
            today,
        }
    }

    /// The first coverage end that still gives read access: today less
    /// the grace period.
    #[must_use]
    pub fn read_since(&self) -> NaiveDate {
        self.today - chrono::Duration::days(grace_days())
    }

    /// A coordinator's people: those their organisation's contracts cover
    /// (until the grace period after the coverage's last day), and those
    /// they proposed that are not (or not yet) on the roster.
    fn provider_people(&self, organization: i64) -> Condition {
        Condition::any()
            .add(
                recipients::Column::Id
                    .in_subquery(covered_by_provider(organization, self.read_since())),
            )
            .add(
                Condition::all()
                    .add(recipients::Column::OrganizationId.eq(organization))
                    .add(recipients::Column::Registry.ne("registered")),
            )
    }

    /// An official's people: registered in their townships, or covered by
    /// their townships' contracts (coverage where the need is).
    fn township_people(townships: &[i64]) -> Condition {
        Condition::any()
            .add(recipients::Column::TownshipId.is_in(townships.iter().copied()))
            .add(recipients::Column::Id.in_subquery(covered_by_townships(townships)))
    }

    /// The households of the people `people` picks.
    fn households_of(people: Condition) -> Condition {
        Condition::all().add(
            households::Column::Id.in_subquery(
                Query::select()
                    .column(recipients::Column::HouseholdId)
                    .from(recipients::Entity)
                    .cond_where(people)
                    .to_owned(),
            ),
        )
    }

    /// A coordinator's townships: where their organisation holds a
    /// contract or proposed someone, and where the people they serve live.
    fn provider_townships(&self, organization: i64) -> Condition {
        Condition::any()
            .add(townships::Column::Id.in_subquery(contract_townships_of(organization)))
            .add(townships::Column::Id.in_subquery(proposal_townships_of(organization)))
            .add(
                townships::Column::Id.in_subquery(
                    Query::select()
                        .column(recipients::Column::TownshipId)
                        .from(recipients::Entity)
                        .and_where(
                            recipients::Column::Id
                                .in_subquery(covered_by_provider(organization, self.read_since())),
                        )
                        .to_owned(),
                ),
            )
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
            ScopeKind::Admin => Visible::All,
            ScopeKind::Coordinator { organization_id } => {
                Visible::only(self.provider_townships(*organization_id))
            }
            ScopeKind::Official { townships } => {
                Visible::only(townships::Column::Id.is_in(townships.clone()))
            }
            ScopeKind::Worker { .. } => Visible::Nothing,
        }
    }

    #[must_use]
    pub fn villages(&self) -> Visible {
        match &self.kind {
            ScopeKind::Admin => Visible::All,
            ScopeKind::Coordinator { organization_id } => Visible::only(
                villages::Column::TownshipId.in_subquery(
                    Query::select()
                        .column(townships::Column::Id)
                        .from(townships::Entity)
                        .cond_where(self.provider_townships(*organization_id))
                        .to_owned(),
                ),
            ),
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

    /// Households: officials see their townships' (and those of the
    /// people their contracts cover), coordinators those of the people
    /// they see. Workers meet households only through their visits.
    #[must_use]
    pub fn households(&self) -> Visible {
        match &self.kind {
            ScopeKind::Admin => Visible::All,
            ScopeKind::Official { townships } => Visible::only(
                Condition::any()
                    .add(households::Column::TownshipId.is_in(townships.clone()))
                    .add(Self::households_of(Condition::all().add(
                        recipients::Column::Id.in_subquery(covered_by_townships(townships)),
                    ))),
            ),
            ScopeKind::Coordinator { organization_id } => {
                Visible::only(Self::households_of(self.provider_people(*organization_id)))
            }
            ScopeKind::Worker { .. } => Visible::Nothing,
        }
    }

    /// Recipients: the registry is the township's. Officials see their
    /// townships' people and those their contracts cover; a provider's
    /// coordinators see whom its contracts cover (read only during the
    /// grace period after the coverage's last day) and their own
    /// proposals.
    #[must_use]
    pub fn recipients(&self) -> Visible {
        match &self.kind {
            ScopeKind::Admin => Visible::All,
            ScopeKind::Official { townships } => Visible::only(Self::township_people(townships)),
            ScopeKind::Coordinator { organization_id } => {
                Visible::only(self.provider_people(*organization_id))
            }
            ScopeKind::Worker { .. } => Visible::Nothing,
        }
    }

    /// The people a provider serves today (coverage not yet over), for
    /// writes: plans, revealing an ID number. `None` for callers who are
    /// not a provider's coordinator (admins and officials are not
    /// limited by coverage).
    #[must_use]
    pub fn served_today(&self) -> Option<SelectStatement> {
        match &self.kind {
            ScopeKind::Coordinator { organization_id } => {
                Some(covered_by_provider(*organization_id, self.today))
            }
            _ => None,
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

    /// Proposals (主动发现): the township's officials decide them, the
    /// proposing provider's coordinators follow them, admins see all.
    #[must_use]
    pub fn proposals(&self) -> Visible {
        match &self.kind {
            ScopeKind::Admin => Visible::All,
            ScopeKind::Official { townships } => {
                Visible::only(proposals::Column::TownshipId.is_in(townships.clone()))
            }
            ScopeKind::Coordinator { organization_id } => {
                Visible::only(proposals::Column::OrganizationId.eq(*organization_id))
            }
            ScopeKind::Worker { .. } => Visible::Nothing,
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

    /// Whether a recipient already loaded is on the caller's part of the
    /// registry: everyone for admins, their townships' people for
    /// officials (a roster import compares every ID number with the whole
    /// registry). Providers reach people through contracts, which a loaded
    /// row does not tell: ask `models::recipients::visible_ids`.
    #[must_use]
    pub fn registers_recipient(&self, r: &recipients::Model) -> bool {
        match &self.kind {
            ScopeKind::Admin => true,
            ScopeKind::Official { townships } => townships.contains(&r.township_id),
            ScopeKind::Coordinator { .. } | ScopeKind::Worker { .. } => false,
        }
    }

    /// The registry is the township's: admins and officials (for their
    /// townships) register and edit households and recipients, import the
    /// roster and change statuses.
    #[must_use]
    pub const fn may_register_recipients(&self) -> bool {
        matches!(self.kind, ScopeKind::Admin | ScopeKind::Official { .. })
    }

    /// Providers' coordinators propose people they found in outreach
    /// (主动发现); the township confirms or declines.
    #[must_use]
    pub const fn may_propose_recipients(&self) -> bool {
        matches!(self.kind, ScopeKind::Coordinator { .. })
    }

    /// Whether the caller may open the register form: to register, or to
    /// propose.
    #[must_use]
    pub const fn may_add_recipients(&self) -> bool {
        self.may_register_recipients() || self.may_propose_recipients()
    }

    /// Whether the caller may edit a person they see: admins; officials
    /// the people registered in their townships; a coordinator their own
    /// proposals while the township has not decided.
    #[must_use]
    pub fn may_edit_recipient(&self, r: &recipients::Model) -> bool {
        match &self.kind {
            ScopeKind::Admin => true,
            ScopeKind::Official { townships } => townships.contains(&r.township_id),
            ScopeKind::Coordinator { organization_id } => {
                r.organization_id == Some(*organization_id) && r.registry == "proposed"
            }
            ScopeKind::Worker { .. } => false,
        }
    }

    /// Whether the caller may change a person's status (deceased, moved
    /// away, ...): the registry's keepers only.
    #[must_use]
    pub fn may_change_status(&self, r: &recipients::Model) -> bool {
        self.registers_recipient(r)
    }

    /// Whether the caller may decide a proposal of `township`.
    #[must_use]
    pub fn may_decide_proposals_of(&self, township: i64) -> bool {
        match &self.kind {
            ScopeKind::Admin => true,
            ScopeKind::Official { townships } => townships.contains(&township),
            _ => false,
        }
    }

    /// Whether the caller may see a whole ID number (after giving a reason):
    /// admins, and the coordinators of a provider that serves the person
    /// today (or proposed them): `serves` says whether it does
    /// (`models::recipients::served_now`).
    #[must_use]
    pub fn may_reveal_id(&self, serves: bool) -> bool {
        match &self.kind {
            ScopeKind::Admin => true,
            ScopeKind::Coordinator { .. } => serves,
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
    fn only_admins_and_the_serving_coordinators_may_reveal_id_numbers() {
        let admin = Scope::new(&user("admin", None), vec![]);
        let coordinator = Scope::new(&user("coordinator", Some(3)), vec![]);
        let official = Scope::new(&user("official", None), vec![1]);
        let worker = Scope::new(&user("worker", Some(3)), vec![]);
        assert!(admin.may_reveal_id(false));
        assert!(coordinator.may_reveal_id(true));
        assert!(!coordinator.may_reveal_id(false));
        assert!(!official.may_reveal_id(true));
        assert!(!worker.may_reveal_id(true));
        assert!(!worker.sees_id_numbers());
        assert!(matches!(worker.recipients(), Visible::Nothing));
        assert!(official.may_register_recipients());
        assert!(!coordinator.may_register_recipients());
        assert!(coordinator.may_propose_recipients() && coordinator.may_add_recipients());
        assert!(!official.may_propose_recipients());
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
            registry: "registered".into(),
        };
        let coordinator = Scope::new(&user("coordinator", Some(3)), vec![]);
        assert!(Scope::new(&user("admin", None), vec![]).registers_recipient(&r));
        assert!(!coordinator.registers_recipient(&r));
        assert!(Scope::new(&user("official", None), vec![5]).registers_recipient(&r));
        assert!(!Scope::new(&user("official", None), vec![6]).registers_recipient(&r));
        assert!(!Scope::new(&user("worker", Some(3)), vec![]).registers_recipient(&r));
        // A coordinator edits their own proposal until the township decides.
        assert!(!coordinator.may_edit_recipient(&r));
        let proposed = recipients::Model {
            registry: "proposed".into(),
            ..r.clone()
        };
        assert!(coordinator.may_edit_recipient(&proposed));
        assert!(!Scope::new(&user("coordinator", Some(4)), vec![]).may_edit_recipient(&proposed));
        assert!(Scope::new(&user("official", None), vec![5]).may_change_status(&r));
        assert!(!coordinator.may_change_status(&proposed));
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
                cell(Resource::Recipients).contains("proposes"),
                s.may_propose_recipients(),
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
            let reveals = s.may_reveal_id(true);
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
    fn the_grace_period_is_read_from_the_settings_and_bounded() {
        assert_eq!(DEFAULT_GRACE_DAYS, 60);
        assert!(configure_grace(Some(&serde_json::json!({"access_grace_days": -1}))).is_err());
        assert!(configure_grace(Some(&serde_json::json!({"access_grace_days": "x"}))).is_err());
        assert!(configure_grace(Some(&serde_json::json!({"access_grace_days": 4000}))).is_err());
        let s = Scope::on(
            &user("coordinator", Some(1)),
            vec![],
            NaiveDate::from_ymd_opt(2027, 3, 1).unwrap_or_default(),
        );
        assert_eq!(
            s.read_since(),
            NaiveDate::from_ymd_opt(2027, 3, 1).unwrap_or_default()
                - chrono::Duration::days(grace_days())
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
