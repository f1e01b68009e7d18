//! The services a visit delivers (policy notice 五(二)): stored as codes.
//! The visits issue turns this catalogue into data admins can extend.
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceType {
    DailyCare,
    EmotionalSupport,
    Counselling,
    CapacityBuilding,
    SocialRehabilitation,
    HomeVisit,
    SkillsTraining,
    JobLinkage,
}

impl ServiceType {
    pub const ALL: [Self; 8] = [
        Self::DailyCare,
        Self::EmotionalSupport,
        Self::Counselling,
        Self::CapacityBuilding,
        Self::SocialRehabilitation,
        Self::HomeVisit,
        Self::SkillsTraining,
        Self::JobLinkage,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DailyCare => "daily_care",
            Self::EmotionalSupport => "emotional_support",
            Self::Counselling => "counselling",
            Self::CapacityBuilding => "capacity_building",
            Self::SocialRehabilitation => "social_rehabilitation",
            Self::HomeVisit => "home_visit",
            Self::SkillsTraining => "skills_training",
            Self::JobLinkage => "job_linkage",
        }
    }
}

impl FromStr for ServiceType {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s.trim())
            .ok_or(())
    }
}

/// Parses a list of codes (each may itself be comma-separated), keeping the
/// catalogue's order and dropping repeats; at least one is required.
///
/// # Errors
/// `None` for an empty list, `Some(code)` for the first unknown code.
pub fn parse_list<'a>(
    items: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<ServiceType>, Option<String>> {
    let mut found = Vec::new();
    for raw in items {
        for code in raw.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            found.push(
                code.parse::<ServiceType>()
                    .map_err(|()| Some(code.to_string()))?,
            );
        }
    }
    let out: Vec<ServiceType> = ServiceType::ALL
        .iter()
        .copied()
        .filter(|t| found.contains(t))
        .collect();
    if out.is_empty() {
        Err(None)
    } else {
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_keep_catalogue_order_and_refuse_unknown_or_empty() {
        assert_eq!(
            parse_list(["home_visit,daily_care", "daily_care"]),
            Ok(vec![ServiceType::DailyCare, ServiceType::HomeVisit])
        );
        assert_eq!(parse_list(["massage"]), Err(Some("massage".into())));
        assert_eq!(parse_list([" "]), Err(None));
    }
}
