//! Which months of a contract are over and not yet accepted: what a
//! township official still has to accept (`履约验收`).
use super::fulfilment::{month_end, Period};
use chrono::NaiveDate;

/// The months of `period` whose last day (or the period's end, if
/// earlier) has passed by `today` and that lie after the last accepted
/// day (`accepted_until`), as (year, month).
#[must_use]
pub fn months_due(
    period: Period,
    accepted_until: Option<NaiveDate>,
    today: NaiveDate,
) -> Vec<(i32, u32)> {
    period
        .judged_months(today)
        .into_iter()
        .filter(|&(y, m)| accepted_until.is_none_or(|a| month_end(y, m).min(period.end) > a))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[rstest]
    // Nothing accepted: every month over by today.
    #[case("2026-01-01", "2026-12-31", None, "2026-04-10", &[(2026, 1), (2026, 2), (2026, 3)])]
    // A month is due only the day after it ends.
    #[case("2026-01-01", "2026-12-31", None, "2026-01-31", &[])]
    #[case("2026-01-01", "2026-12-31", None, "2026-02-01", &[(2026, 1)])]
    // Accepted to the end of February: March alone.
    #[case("2026-01-01", "2026-12-31", Some("2026-02-28"), "2026-04-10", &[(2026, 3)])]
    // All accepted.
    #[case("2026-01-01", "2026-12-31", Some("2026-03-31"), "2026-04-10", &[])]
    // A period starting mid-month, accepted to mid-month: that month is still due.
    #[case("2026-01-15", "2026-06-30", Some("2026-02-15"), "2026-03-05", &[(2026, 2)])]
    // A period ending mid-month: its last part is due after its end.
    #[case("2026-01-01", "2026-03-20", Some("2026-02-28"), "2026-03-21", &[(2026, 3)])]
    // Not started.
    #[case("2026-05-01", "2026-12-31", None, "2026-04-10", &[])]
    fn the_months_over_and_not_accepted_are_due(
        #[case] start: &str,
        #[case] end: &str,
        #[case] accepted: Option<&str>,
        #[case] today: &str,
        #[case] want: &[(i32, u32)],
    ) {
        let period = Period {
            start: d(start),
            end: d(end),
        };
        assert_eq!(months_due(period, accepted.map(d), d(today)), want);
    }
}
