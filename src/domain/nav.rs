//! Navigation by role: the few tabs of the bottom bar, and the sections
//! the role may open that sit behind "more" (`/more`, or for a worker the
//! "mine" page). Pure: what a role may open (`Allowed`) is worked out by
//! `policy` and handed in.
use super::role::Role;
use serde::Serialize;

/// The sections a signed-in person may open, as `policy::Scope` says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[allow(clippy::struct_excessive_bools)]
pub struct Allowed {
    pub townships: bool,
    pub organizations: bool,
    pub users: bool,
    pub audit: bool,
    pub recipients: bool,
    /// Proposals (主动发现): officials decide them, coordinators follow
    /// theirs.
    pub proposals: bool,
    /// The handover list: a provider's coordinators.
    pub handover: bool,
    pub imports: bool,
    pub plans: bool,
    pub board: bool,
    pub referrals: bool,
    pub contracts: bool,
    pub my_week: bool,
}

/// A place in the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Home,
    Today,
    MyWeek,
    Townships,
    Villages,
    Recipients,
    Households,
    Plans,
    Board,
    Attention,
    Dashboard,
    Contracts,
    Referrals,
    Proposals,
    Handover,
    Imports,
    Organizations,
    Users,
    ServiceTypes,
    Audit,
    Settings,
    More,
}

/// Every section but `More`, in the order the old one-list menu had them
/// (the order of the "more" list).
const ORDER: [Section; 21] = [
    Section::Home,
    Section::Today,
    Section::MyWeek,
    Section::Board,
    Section::Attention,
    Section::Dashboard,
    Section::Contracts,
    Section::Recipients,
    Section::Households,
    Section::Plans,
    Section::Referrals,
    Section::Proposals,
    Section::Handover,
    Section::Imports,
    Section::Townships,
    Section::Villages,
    Section::Organizations,
    Section::Users,
    Section::ServiceTypes,
    Section::Audit,
    Section::Settings,
];

impl Section {
    #[must_use]
    pub const fn href(self) -> &'static str {
        match self {
            Self::Home => "/",
            Self::Today => "/today",
            Self::MyWeek => "/my_week",
            Self::Townships => "/townships",
            Self::Villages => "/villages",
            Self::Recipients => "/recipients",
            Self::Households => "/households",
            Self::Plans => "/service_plans",
            Self::Board => "/board",
            Self::Attention => "/attention",
            Self::Dashboard => "/dashboard",
            Self::Contracts => "/contracts",
            Self::Referrals => "/referrals",
            Self::Proposals => "/proposals",
            Self::Handover => "/handover",
            Self::Imports => "/recipient_imports",
            Self::Organizations => "/organizations",
            Self::Users => "/users",
            Self::ServiceTypes => "/service_types",
            Self::Audit => "/audit",
            Self::Settings => "/settings",
            Self::More => "/more",
        }
    }

    /// The message key of its name in a list.
    #[must_use]
    pub const fn key(self) -> &'static str {
        match self {
            Self::Home => "nav-home",
            Self::Today => "nav-today",
            Self::MyWeek => "nav-my-week",
            Self::Townships => "nav-townships",
            Self::Villages => "nav-villages",
            Self::Recipients => "nav-recipients",
            Self::Households => "nav-households",
            Self::Plans => "nav-plans",
            Self::Board => "nav-board",
            Self::Attention => "nav-attention",
            Self::Dashboard => "nav-dashboard",
            Self::Contracts => "nav-contracts",
            Self::Referrals => "nav-referrals",
            Self::Proposals => "nav-proposals",
            Self::Handover => "handover",
            Self::Imports => "nav-imports",
            Self::Organizations => "nav-organizations",
            Self::Users => "nav-users",
            Self::ServiceTypes => "nav-service-types",
            Self::Audit => "nav-audit",
            Self::Settings => "nav-settings",
            Self::More => "nav-more",
        }
    }

    /// The message key of its short name on a tab (two characters in
    /// Chinese, one word in English).
    #[must_use]
    pub const fn tab_key(self) -> &'static str {
        match self {
            Self::Home => "nav-tab-home",
            Self::MyWeek => "nav-tab-my-week",
            Self::Recipients => "nav-tab-recipients",
            Self::Dashboard => "nav-tab-dashboard",
            Self::Settings => "nav-tab-mine",
            other => other.key(),
        }
    }

    /// A short stable name (tests, `data-tab`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Home => "home",
            Self::Today => "today",
            Self::MyWeek => "my_week",
            Self::Townships => "townships",
            Self::Villages => "villages",
            Self::Recipients => "recipients",
            Self::Households => "households",
            Self::Plans => "plans",
            Self::Board => "board",
            Self::Attention => "attention",
            Self::Dashboard => "dashboard",
            Self::Contracts => "contracts",
            Self::Referrals => "referrals",
            Self::Proposals => "proposals",
            Self::Handover => "handover",
            Self::Imports => "imports",
            Self::Organizations => "organizations",
            Self::Users => "users",
            Self::ServiceTypes => "service_types",
            Self::Audit => "audit",
            Self::Settings => "settings",
            Self::More => "more",
        }
    }

    /// Whether the person may open it.
    #[must_use]
    pub const fn allowed(self, a: &Allowed) -> bool {
        match self {
            Self::Home | Self::Settings | Self::More => true,
            Self::Today | Self::MyWeek => a.my_week,
            Self::Townships | Self::Villages => a.townships,
            Self::Recipients | Self::Households => a.recipients,
            Self::Plans => a.plans,
            Self::Board | Self::Attention => a.board,
            Self::Dashboard | Self::Contracts => a.contracts,
            Self::Referrals => a.referrals,
            Self::Proposals => a.proposals,
            Self::Handover => a.handover,
            Self::Imports => a.imports,
            Self::Organizations => a.organizations,
            Self::Users => a.users,
            Self::ServiceTypes | Self::Audit => a.audit,
        }
    }

    /// Whether `path` is this section or a page inside it.
    #[must_use]
    pub fn holds(self, path: &str) -> bool {
        let href = self.href();
        if href == "/" {
            return path == "/";
        }
        path == href
            || path
                .strip_prefix(href)
                .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('?'))
    }
}

/// The tabs of a role's bar, at most five. A worker starts at "today" (the
/// start page redirects there), so has no "home" tab; "mine" holds what
/// else a worker may open.
#[must_use]
pub fn tabs(role: Role, a: &Allowed) -> Vec<Section> {
    use Section as S;
    let wanted: &[Section] = match role {
        Role::Worker => &[S::Today, S::MyWeek, S::Settings],
        Role::Coordinator => &[S::Home, S::Board, S::Recipients, S::Attention, S::More],
        Role::Official | Role::Admin => {
            &[S::Home, S::Dashboard, S::Contracts, S::Attention, S::More]
        }
    };
    wanted.iter().copied().filter(|s| s.allowed(a)).collect()
}

/// What the role may open that is not a tab: the "more" list. Settings
/// is in it for roles whose bar has no "mine" tab.
#[must_use]
pub fn more(role: Role, a: &Allowed) -> Vec<Section> {
    let tabs = tabs(role, a);
    ORDER
        .iter()
        .copied()
        .filter(|s| s.allowed(a) && !tabs.contains(s))
        .filter(|s| !(role == Role::Worker && *s == Section::Home))
        .collect()
}

/// The tab to mark as the current page at `path`: the tab holding it, or
/// "more" for a section in the "more" list (or the settings page when it
/// is not a tab).
#[must_use]
pub fn current(role: Role, a: &Allowed, path: &str) -> Option<Section> {
    let tabs = tabs(role, a);
    if let Some(t) = tabs.iter().copied().find(|t| t.holds(path)) {
        return Some(t);
    }
    if tabs.contains(&Section::More) && more(role, a).iter().any(|s| s.holds(path)) {
        return Some(Section::More);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    /// What `policy` allows each role (as the demo's people have it).
    fn allowed(role: Role) -> Allowed {
        match role {
            Role::Admin => Allowed {
                townships: true,
                organizations: true,
                users: true,
                audit: true,
                recipients: true,
                proposals: true,
                handover: false,
                imports: true,
                plans: true,
                board: true,
                referrals: true,
                contracts: true,
                my_week: false,
            },
            Role::Official => Allowed {
                townships: true,
                organizations: true,
                recipients: true,
                proposals: true,
                imports: true,
                plans: true,
                board: true,
                referrals: true,
                contracts: true,
                ..Allowed::default()
            },
            Role::Coordinator => Allowed {
                townships: true,
                organizations: true,
                users: true,
                recipients: true,
                proposals: true,
                handover: true,
                plans: true,
                board: true,
                referrals: true,
                contracts: true,
                ..Allowed::default()
            },
            Role::Worker => Allowed {
                plans: true,
                my_week: true,
                ..Allowed::default()
            },
        }
    }

    fn names(list: &[Section]) -> Vec<&'static str> {
        list.iter().map(|s| s.name()).collect()
    }

    #[rstest]
    #[case(Role::Worker, &["today", "my_week", "settings"])]
    #[case(Role::Coordinator, &["home", "board", "recipients", "attention", "more"])]
    #[case(Role::Official, &["home", "dashboard", "contracts", "attention", "more"])]
    #[case(Role::Admin, &["home", "dashboard", "contracts", "attention", "more"])]
    fn each_role_has_a_short_bar(#[case] role: Role, #[case] want: &[&str]) {
        assert_eq!(names(&tabs(role, &allowed(role))), want);
    }

    #[rstest]
    #[case(Role::Worker, &["plans"])]
    #[case(Role::Coordinator, &["dashboard", "contracts", "households", "plans", "referrals", "proposals", "handover", "townships", "villages", "organizations", "users", "settings"])]
    #[case(Role::Official, &["board", "recipients", "households", "plans", "referrals", "proposals", "imports", "townships", "villages", "organizations", "settings"])]
    #[case(Role::Admin, &["board", "recipients", "households", "plans", "referrals", "proposals", "imports", "townships", "villages", "organizations", "users", "service_types", "audit", "settings"])]
    fn the_rest_is_behind_more(#[case] role: Role, #[case] want: &[&str]) {
        assert_eq!(names(&more(role, &allowed(role))), want);
    }

    #[rstest]
    #[case(Role::Admin)]
    #[case(Role::Official)]
    #[case(Role::Coordinator)]
    #[case(Role::Worker)]
    fn every_section_a_role_may_open_stays_reachable(#[case] role: Role) {
        let a = allowed(role);
        let (tabs, more) = (tabs(role, &a), more(role, &a));
        for s in ORDER {
            let reachable = tabs.contains(&s) || more.contains(&s);
            // A worker's home is /today.
            let expected = s.allowed(&a) && !(role == Role::Worker && s == Section::Home);
            assert_eq!(reachable, expected, "{role} {}", s.name());
        }
    }

    #[rstest]
    #[case(Role::Coordinator, "/", Some("home"))]
    #[case(Role::Coordinator, "/board", Some("board"))]
    #[case(Role::Coordinator, "/board?week=2026-12-07", Some("board"))]
    #[case(Role::Coordinator, "/recipients/abc/edit", Some("recipients"))]
    #[case(Role::Coordinator, "/referrals", Some("more"))]
    #[case(Role::Coordinator, "/more", Some("more"))]
    #[case(Role::Coordinator, "/settings", Some("more"))]
    #[case(Role::Coordinator, "/boarding", None)]
    #[case(Role::Official, "/contracts/x", Some("contracts"))]
    #[case(Role::Worker, "/today", Some("today"))]
    #[case(Role::Worker, "/settings", Some("settings"))]
    #[case(Role::Worker, "/service_plans", None)]
    #[case(Role::Worker, "/visits/x", None)]
    fn the_current_tab_is_marked(
        #[case] role: Role,
        #[case] path: &str,
        #[case] want: Option<&str>,
    ) {
        assert_eq!(current(role, &allowed(role), path).map(Section::name), want);
    }
}
