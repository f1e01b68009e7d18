use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// 社会工作服务机构 / 慈善组织 / 政府部门
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationKind {
    SocialWork,
    Charity,
    Government,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown organisation kind")]
pub struct UnknownKind;

impl OrganizationKind {
    pub const ALL: [Self; 3] = [Self::SocialWork, Self::Charity, Self::Government];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SocialWork => "social_work",
            Self::Charity => "charity",
            Self::Government => "government",
        }
    }
}

impl FromStr for OrganizationKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or(UnknownKind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_unknown_kinds_are_rejected() {
        for kind in OrganizationKind::ALL {
            assert_eq!(kind.as_str().parse(), Ok(kind));
        }
        assert_eq!("company".parse::<OrganizationKind>(), Err(UnknownKind));
    }
}
