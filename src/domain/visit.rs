//! A visit's lifecycle: its statuses, how one may change into another, and
//! what each allows. The database stores `as_str()`; its CHECK lists
//! exactly the words of [`VisitStatus::ALL`] (migration
//! `m20261202_000034_narrow_visit_status`, and a test compares the two);
//! nothing outside the domain and that mapping spells a status.
use std::{fmt, str::FromStr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VisitStatus {
    /// Planned (or made ad hoc), not started.
    Scheduled,
    /// Checked in, not yet logged.
    InProgress,
    /// Logged: the service was delivered.
    Completed,
    /// Logged: nobody was at home, or the visit could not be made.
    Attempted,
    /// Logged: the person declined.
    Refused,
    /// Called off before it happened, with a reason.
    Cancelled,
    /// Its day passed with nobody checked in (it may still be logged).
    Missed,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown visit status")]
pub struct UnknownStatus;

impl VisitStatus {
    pub const ALL: [Self; 7] = [
        Self::Scheduled,
        Self::InProgress,
        Self::Completed,
        Self::Attempted,
        Self::Refused,
        Self::Cancelled,
        Self::Missed,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Attempted => "attempted",
            Self::Refused => "refused",
            Self::Cancelled => "cancelled",
            Self::Missed => "missed",
        }
    }

    /// The status a stored word names; an unknown word (which the
    /// database's CHECK forbids) reads as cancelled, the status that
    /// allows nothing.
    #[must_use]
    pub fn of_stored(s: &str) -> Self {
        s.parse().unwrap_or(Self::Cancelled)
    }

    /// The assigned worker may act at the door: check in, log, cancel.
    #[must_use]
    pub const fn open_at_the_door(self) -> bool {
        matches!(self, Self::Scheduled | Self::Missed | Self::InProgress)
    }

    /// A check-in may start it (a missed visit may be logged after the
    /// fact).
    #[must_use]
    pub const fn may_check_in(self) -> bool {
        matches!(self, Self::Scheduled | Self::Missed)
    }

    /// It has a submitted record (or was cancelled at the door), which a
    /// correction may change.
    #[must_use]
    pub const fn has_record(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Attempted | Self::Refused | Self::Cancelled
        )
    }

    /// A plan's change or end, a move or a reassignment may still touch
    /// it (when its time has not passed and it is not locked).
    #[must_use]
    pub const fn changeable(self) -> bool {
        matches!(self, Self::Scheduled)
    }

    /// It counts toward the contracts that cover it (in their status
    /// figures; only a completed visit counts toward items).
    #[must_use]
    pub const fn counts_toward_contract(self) -> bool {
        !matches!(self, Self::Scheduled | Self::InProgress)
    }

    /// Its late flag counts in the late figure: a visit that was made
    /// (completed, attempted, refused). A missed visit is missed, not also
    /// late (the overdue job flags it late before it becomes missed); a
    /// cancelled one was never due.
    #[must_use]
    pub const fn may_count_late(self) -> bool {
        matches!(self, Self::Completed | Self::Attempted | Self::Refused)
    }

    /// The service was delivered: its lines count toward items.
    #[must_use]
    pub const fn delivered(self) -> bool {
        matches!(self, Self::Completed)
    }

    /// The statuses that count toward a contract, for a SQL `IN` list.
    #[must_use]
    pub fn counted() -> Vec<Self> {
        Self::ALL
            .into_iter()
            .filter(|s| s.counts_toward_contract())
            .collect()
    }

    /// Whether `self` may become `to` (the lifecycle, as the writes in
    /// `models::visit_writes` and `models::visit_logs` make it).
    #[must_use]
    pub const fn may_become(self, to: Self) -> bool {
        use VisitStatus as S;
        matches!(
            (self, to),
            (S::Scheduled, S::InProgress | S::Cancelled | S::Missed)
                | (S::Missed, S::InProgress)
                | (
                    S::InProgress,
                    S::Completed | S::Attempted | S::Refused | S::Cancelled
                )
                | (
                    S::Scheduled | S::Missed,
                    S::Completed | S::Attempted | S::Refused
                )
                | (
                    S::Completed | S::Attempted | S::Refused,
                    S::Completed | S::Attempted | S::Refused
                )
        )
    }
}

/// How a visit reads on a worker's list or a board card, at an instant:
/// what is to be done about it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardState {
    /// Not started, and its planned end has not passed.
    Due,
    /// Checked in, not yet logged.
    InProgress,
    /// Not checked in and past its planned end (start + duration).
    Overdue,
    /// Logged: it has a record (completed, nobody home, refused).
    Done,
    /// Called off.
    Cancelled,
}

impl CardState {
    pub const ALL: [Self; 5] = [
        Self::Due,
        Self::InProgress,
        Self::Overdue,
        Self::Done,
        Self::Cancelled,
    ];

    /// The state of a visit in `status` planned to end at `ends_at`, at
    /// `now`. A visit started a few minutes ago, or already checked in,
    /// is not overdue; only one nobody checked in to, past its end, is.
    #[must_use]
    pub fn of<T: PartialOrd>(status: VisitStatus, ends_at: T, now: T) -> Self {
        match status {
            VisitStatus::InProgress => Self::InProgress,
            VisitStatus::Cancelled => Self::Cancelled,
            VisitStatus::Completed | VisitStatus::Attempted | VisitStatus::Refused => Self::Done,
            VisitStatus::Scheduled | VisitStatus::Missed if now >= ends_at => Self::Overdue,
            VisitStatus::Scheduled | VisitStatus::Missed => Self::Due,
        }
    }

    /// The word pages use (`card-state-due`, the card's CSS class).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Due => "due",
            Self::InProgress => "in_progress",
            Self::Overdue => "overdue",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }

    /// The worker may still act on it at the door.
    #[must_use]
    pub const fn open(self) -> bool {
        matches!(self, Self::Due | Self::InProgress | Self::Overdue)
    }
}

impl FromStr for VisitStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or(UnknownStatus)
    }
}

impl fmt::Display for VisitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use VisitStatus as S;

    #[test]
    fn every_status_reads_back_from_its_word() {
        for s in S::ALL {
            assert_eq!(s.as_str().parse::<S>(), Ok(s));
            assert_eq!(S::of_stored(s.as_str()), s);
        }
        assert_eq!("accepted".parse::<S>(), Err(UnknownStatus));
        assert_eq!(S::of_stored("nonsense"), S::Cancelled);
    }

    #[rstest]
    //          status   door  check-in record changeable counts delivered
    #[case(S::Scheduled, true, true, false, true, false, false)]
    #[case(S::InProgress, true, false, false, false, false, false)]
    #[case(S::Missed, true, true, false, false, true, false)]
    #[case(S::Completed, false, false, true, false, true, true)]
    #[case(S::Attempted, false, false, true, false, true, false)]
    #[case(S::Refused, false, false, true, false, true, false)]
    #[case(S::Cancelled, false, false, true, false, true, false)]
    fn what_each_status_allows(
        #[case] s: S,
        #[case] door: bool,
        #[case] check_in: bool,
        #[case] record: bool,
        #[case] changeable: bool,
        #[case] counts: bool,
        #[case] delivered: bool,
    ) {
        assert_eq!(s.open_at_the_door(), door);
        assert_eq!(s.may_check_in(), check_in);
        assert_eq!(s.has_record(), record);
        assert_eq!(s.changeable(), changeable);
        assert_eq!(s.counts_toward_contract(), counts);
        assert_eq!(s.delivered(), delivered);
    }

    #[test]
    fn nothing_comes_back_from_cancelled_and_nothing_unstarts() {
        for to in S::ALL {
            assert!(!S::Cancelled.may_become(to), "{to}");
            assert!(!to.may_become(S::Scheduled), "{to}");
        }
        assert!(S::Scheduled.may_become(S::InProgress));
        assert!(S::InProgress.may_become(S::Completed));
        assert!(S::Completed.may_become(S::Refused), "a correction");
        assert!(!S::Completed.may_become(S::Cancelled));
        // Whatever may check in is open at the door.
        for s in S::ALL {
            assert!(!s.may_check_in() || s.open_at_the_door(), "{s}");
        }
    }

    #[rstest]
    //     status         ends (min from now)  state
    #[case(S::Scheduled, 60, CardState::Due)]
    #[case::started_three_minutes_ago(S::Scheduled, 57, CardState::Due)]
    #[case::ends_now(S::Scheduled, 0, CardState::Overdue)]
    #[case::past_its_end(S::Scheduled, -1, CardState::Overdue)]
    #[case::checked_in(S::InProgress, 30, CardState::InProgress)]
    #[case::checked_in_past_its_end(S::InProgress, -90, CardState::InProgress)]
    #[case::missed_past(S::Missed, -600, CardState::Overdue)]
    #[case::missed_not_yet_ended(S::Missed, 10, CardState::Due)]
    #[case(S::Completed, -30, CardState::Done)]
    #[case(S::Attempted, 30, CardState::Done)]
    #[case(S::Refused, -30, CardState::Done)]
    #[case(S::Cancelled, -30, CardState::Cancelled)]
    #[case(S::Cancelled, 30, CardState::Cancelled)]
    fn a_card_is_overdue_only_past_its_end_and_not_checked_in(
        #[case] s: S,
        #[case] ends_in_minutes: i64,
        #[case] want: CardState,
    ) {
        use chrono::{Duration, TimeZone, Utc};
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 2, 3, 0).unwrap();
        let ends = now + Duration::minutes(ends_in_minutes);
        assert_eq!(CardState::of(s, ends, now), want);
        assert_eq!(want.open(), s.open_at_the_door(), "{s}");
    }

    #[test]
    fn card_states_have_distinct_words() {
        let words: std::collections::HashSet<_> =
            CardState::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(words.len(), CardState::ALL.len());
    }
}
