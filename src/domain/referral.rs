//! A referral (转介) as the township works it: what it was closed with
//! (the outcome), when it falls due and when it is overdue.
//!
//! The outcomes are the kinds of help the notice names — 基本生活救助
//! (basic living assistance: 低保, 特困 support), 专项救助 (special
//! assistance: medical, education, housing, employment), 急难救助
//! (emergency hardship assistance: temporary assistance), 慈善帮扶
//! (charity) — and the two answers that give none: not eligible, and no
//! action needed.
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// What a closed referral led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralOutcome {
    /// 基本生活救助
    BasicLiving,
    /// 专项救助
    Special,
    /// 急难救助
    Emergency,
    /// 慈善帮扶
    Charity,
    /// 不符合条件
    NotEligible,
    /// 无需处理
    NoAction,
}

/// An outcome that is none of the six.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown referral outcome")]
pub struct UnknownOutcome;

impl UnknownOutcome {
    #[must_use]
    pub const fn message_key(self) -> &'static str {
        "error-referral-outcome"
    }
}

impl ReferralOutcome {
    /// In the order the close form offers them: help given first.
    pub const ALL: [Self; 6] = [
        Self::BasicLiving,
        Self::Special,
        Self::Emergency,
        Self::Charity,
        Self::NotEligible,
        Self::NoAction,
    ];

    /// As stored in `referrals.outcome` and sent in the API.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BasicLiving => "basic_living",
            Self::Special => "special",
            Self::Emergency => "emergency",
            Self::Charity => "charity",
            Self::NotEligible => "not_eligible",
            Self::NoAction => "no_action",
        }
    }

    /// The Fluent id of its label.
    #[must_use]
    pub const fn key(self) -> &'static str {
        match self {
            Self::BasicLiving => "referral-outcome-basic_living",
            Self::Special => "referral-outcome-special",
            Self::Emergency => "referral-outcome-emergency",
            Self::Charity => "referral-outcome-charity",
            Self::NotEligible => "referral-outcome-not_eligible",
            Self::NoAction => "referral-outcome-no_action",
        }
    }

    /// From a form or the API: the stored word, surrounding spaces
    /// ignored.
    ///
    /// # Errors
    /// `UnknownOutcome` for anything else, blank included.
    pub fn parse(input: &str) -> Result<Self, UnknownOutcome> {
        let s = input.trim();
        Self::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or(UnknownOutcome)
    }
}

impl FromStr for ReferralOutcome {
    type Err = UnknownOutcome;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A due date that is not allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("due before the referral was raised")]
pub struct DueBeforeRaised;

impl DueBeforeRaised {
    #[must_use]
    pub const fn message_key(self) -> &'static str {
        "error-referral-due-before-raised"
    }
}

/// A due date may be any day from the day the referral was raised (both
/// in the display zone); a day already past is allowed (the referral is
/// then overdue at once), one before it was raised is not.
///
/// # Errors
/// `DueBeforeRaised` for a day before `raised_on`.
pub fn check_due(raised_on: NaiveDate, due_on: NaiveDate) -> Result<NaiveDate, DueBeforeRaised> {
    if due_on < raised_on {
        Err(DueBeforeRaised)
    } else {
        Ok(due_on)
    }
}

/// Overdue: still open and due before `today` (the due day itself is not
/// overdue). The list's `overdue=true` filter is the same rule in SQL
/// (`models::referrals::overdue_condition`).
#[must_use]
pub fn is_overdue(open: bool, due_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    open && due_on.is_some_and(|d| d < today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[rstest]
    #[case("basic_living", Some(ReferralOutcome::BasicLiving))]
    #[case("special", Some(ReferralOutcome::Special))]
    #[case("emergency", Some(ReferralOutcome::Emergency))]
    #[case("charity", Some(ReferralOutcome::Charity))]
    #[case("not_eligible", Some(ReferralOutcome::NotEligible))]
    #[case(" no_action ", Some(ReferralOutcome::NoAction))]
    #[case("", None)]
    #[case("closed", None)]
    #[case("Basic_Living", None)]
    #[case("基本生活救助", None)]
    fn outcomes_parse_from_their_stored_words_only(
        #[case] input: &str,
        #[case] want: Option<ReferralOutcome>,
    ) {
        assert_eq!(ReferralOutcome::parse(input).ok(), want);
        assert_eq!(input.parse::<ReferralOutcome>().ok(), want);
    }

    #[test]
    fn every_outcome_reads_back_and_has_its_own_label() {
        for o in ReferralOutcome::ALL {
            assert_eq!(ReferralOutcome::parse(o.as_str()), Ok(o));
            assert_eq!(o.key(), format!("referral-outcome-{}", o.as_str()));
            assert_eq!(
                serde_json::to_value(o).expect("json"),
                serde_json::json!(o.as_str())
            );
        }
        assert_eq!(
            ReferralOutcome::parse("nope").map_err(UnknownOutcome::message_key),
            Err("error-referral-outcome")
        );
    }

    #[rstest]
    #[case("2026-12-01", "2026-12-01", true)]
    #[case("2026-12-01", "2026-12-31", true)]
    #[case("2026-12-01", "2026-11-30", false)]
    #[case("2026-12-01", "2025-12-01", false)]
    #[case("2026-12-31", "2027-01-01", true)]
    fn a_due_date_is_not_before_the_day_the_referral_was_raised(
        #[case] raised: &str,
        #[case] due: &str,
        #[case] ok: bool,
    ) {
        let got = check_due(day(raised), day(due));
        assert_eq!(got.is_ok(), ok, "{raised} → {due}");
        if ok {
            assert_eq!(got, Ok(day(due)));
        } else {
            assert_eq!(
                got.map_err(DueBeforeRaised::message_key),
                Err("error-referral-due-before-raised")
            );
        }
    }

    #[rstest]
    #[case(true, Some("2026-12-09"), "2026-12-10", true)]
    #[case(true, Some("2026-12-10"), "2026-12-10", false)]
    #[case(true, Some("2026-12-11"), "2026-12-10", false)]
    #[case(true, None, "2026-12-10", false)]
    #[case(false, Some("2026-12-01"), "2026-12-10", false)]
    #[case(false, None, "2026-12-10", false)]
    fn overdue_is_open_and_due_before_today(
        #[case] open: bool,
        #[case] due: Option<&str>,
        #[case] today: &str,
        #[case] want: bool,
    ) {
        assert_eq!(is_overdue(open, due.map(day), day(today)), want);
    }
}
