use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// What a signed-in person is allowed to do; see `crate::policy` for what
/// each role may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Official,
    Coordinator,
    Worker,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role")]
pub struct UnknownRole;

impl Role {
    pub const ALL: [Self; 4] = [Self::Admin, Self::Official, Self::Coordinator, Self::Worker];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Official => "official",
            Self::Coordinator => "coordinator",
            Self::Worker => "worker",
        }
    }

    /// Coordinators and workers belong to a provider organisation.
    #[must_use]
    pub const fn needs_organization(self) -> bool {
        matches!(self, Self::Coordinator | Self::Worker)
    }
}

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or(UnknownRole)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("admin", Some(Role::Admin))]
    #[case("official", Some(Role::Official))]
    #[case(" coordinator ", Some(Role::Coordinator))]
    #[case("worker", Some(Role::Worker))]
    #[case("volunteer", None)]
    #[case("", None)]
    fn roles_parse_from_their_names(#[case] input: &str, #[case] expected: Option<Role>) {
        assert_eq!(input.parse::<Role>().ok(), expected);
    }

    #[test]
    fn every_role_round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
    }
}
