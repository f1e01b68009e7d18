//! Scheduling conflicts between visits: a worker booked for two visits
//! that overlap, or a recipient (or household) with two visits at once.
//! Visits that touch (one ends when the next starts) do not overlap.
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A visit as the conflict check sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// The visit's id, when it exists (not for visits a plan would make).
    pub visit: Option<i64>,
    pub worker: Option<i64>,
    /// `None` for a visit to a whole household.
    pub recipient: Option<i64>,
    pub household: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// The worker has another visit at the same time.
    WorkerOverlap,
    /// The recipient (or their household) has another visit at once.
    RecipientOverlap,
    /// The recipient is suspended or has exited on the visit's day.
    RecipientInactive,
}

impl ConflictKind {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::WorkerOverlap => "worker_overlap",
            Self::RecipientOverlap => "recipient_overlap",
            Self::RecipientInactive => "recipient_inactive",
        }
    }
}

impl Slot {
    const fn overlaps(&self, other: &Self) -> bool {
        // Compare as timestamps: const-friendly and exact.
        self.start.timestamp() < other.end.timestamp()
            && other.start.timestamp() < self.end.timestamp()
    }

    /// Whether the two visits are for the same person: the same recipient,
    /// or one of them is for the whole household of the other.
    fn same_person(&self, other: &Self) -> bool {
        match (self.recipient, other.recipient) {
            (Some(a), Some(b)) => a == b,
            _ => self.household == other.household,
        }
    }
}

/// Every pair of slots that conflict, as `(i, j, kind)` with `i < j`
/// (indices into `slots`), sorted. A pair that conflicts for both reasons
/// appears twice, once per kind.
#[must_use]
pub fn overlaps(slots: &[Slot]) -> Vec<(usize, usize, ConflictKind)> {
    let mut order: Vec<usize> = (0..slots.len()).collect();
    order.sort_by_key(|&i| (slots[i].start, slots[i].end, i));
    let mut open: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    for &i in &order {
        let s = &slots[i];
        open.retain(|&j| slots[j].end > s.start);
        for &j in &open {
            let o = &slots[j];
            if !s.overlaps(o) {
                continue;
            }
            let pair = (i.min(j), i.max(j));
            if s.worker.is_some() && s.worker == o.worker {
                out.push((pair.0, pair.1, ConflictKind::WorkerOverlap));
            }
            if s.same_person(o) {
                out.push((pair.0, pair.1, ConflictKind::RecipientOverlap));
            }
        }
        open.push(i);
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use rstest::rstest;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, m, 0).unwrap()
    }

    fn slot(
        worker: Option<i64>,
        recipient: Option<i64>,
        household: i64,
        from: (u32, u32),
        to: (u32, u32),
    ) -> Slot {
        Slot {
            visit: None,
            worker,
            recipient,
            household,
            start: at(from.0, from.1),
            end: at(to.0, to.1),
        }
    }

    #[rstest]
    // Same worker, overlapping.
    #[case(slot(Some(1), Some(10), 100, (9, 0), (10, 0)), slot(Some(1), Some(11), 101, (9, 30), (10, 30)), vec![ConflictKind::WorkerOverlap])]
    // Same worker, back to back: fine.
    #[case(slot(Some(1), Some(10), 100, (9, 0), (10, 0)), slot(Some(1), Some(11), 101, (10, 0), (11, 0)), vec![])]
    // Different workers, same recipient.
    #[case(slot(Some(1), Some(10), 100, (9, 0), (10, 0)), slot(Some(2), Some(10), 100, (9, 59), (11, 0)), vec![ConflictKind::RecipientOverlap])]
    // Same worker and same recipient.
    #[case(slot(Some(1), Some(10), 100, (9, 0), (10, 0)), slot(Some(1), Some(10), 100, (9, 0), (10, 0)), vec![ConflictKind::WorkerOverlap, ConflictKind::RecipientOverlap])]
    // Two members of one household: no conflict.
    #[case(slot(Some(1), Some(10), 100, (9, 0), (10, 0)), slot(Some(2), Some(11), 100, (9, 0), (10, 0)), vec![])]
    // A household visit and a member's visit at once.
    #[case(slot(Some(1), None, 100, (9, 0), (10, 0)), slot(Some(2), Some(11), 100, (9, 30), (10, 0)), vec![ConflictKind::RecipientOverlap])]
    // Unassigned visits never conflict on the worker.
    #[case(slot(None, Some(10), 100, (9, 0), (10, 0)), slot(None, Some(11), 101, (9, 0), (10, 0)), vec![])]
    // One inside the other.
    #[case(slot(Some(1), Some(10), 100, (8, 0), (12, 0)), slot(Some(1), Some(11), 101, (9, 0), (9, 15)), vec![ConflictKind::WorkerOverlap])]
    fn pairs(#[case] a: Slot, #[case] b: Slot, #[case] kinds: Vec<ConflictKind>) {
        let got: Vec<ConflictKind> = overlaps(&[a, b]).into_iter().map(|(_, _, k)| k).collect();
        assert_eq!(got, kinds);
        // Order does not matter.
        let got: Vec<ConflictKind> = overlaps(&[b, a]).into_iter().map(|(_, _, k)| k).collect();
        assert_eq!(got, kinds);
    }

    #[test]
    fn a_long_visit_conflicts_with_every_one_it_covers() {
        let slots = [
            slot(Some(1), Some(10), 100, (8, 0), (17, 0)),
            slot(Some(1), Some(11), 101, (9, 0), (10, 0)),
            slot(Some(2), Some(12), 102, (9, 0), (10, 0)),
            slot(Some(1), Some(13), 103, (15, 0), (16, 0)),
        ];
        assert_eq!(
            overlaps(&slots),
            vec![
                (0, 1, ConflictKind::WorkerOverlap),
                (0, 3, ConflictKind::WorkerOverlap)
            ]
        );
    }

    proptest! {
        /// The sweep finds exactly the pairs a check of every pair finds.
        #[test]
        fn sweep_equals_all_pairs(raw in proptest::collection::vec((0i64..3, 0i64..4, 0u32..20, 1u32..8), 0..40)) {
            let slots: Vec<Slot> = raw.iter().map(|&(w, r, s, len)| Slot {
                visit: None,
                worker: (w > 0).then_some(w),
                recipient: (r > 0).then_some(r),
                household: r % 2,
                start: at(6, 0) + chrono::Duration::minutes(i64::from(s) * 30),
                end: at(6, 0) + chrono::Duration::minutes(i64::from(s + len) * 30),
            }).collect();
            let mut naive = Vec::new();
            for i in 0..slots.len() {
                for j in i + 1..slots.len() {
                    let (a, b) = (&slots[i], &slots[j]);
                    if a.start < b.end && b.start < a.end {
                        if a.worker.is_some() && a.worker == b.worker {
                            naive.push((i, j, ConflictKind::WorkerOverlap));
                        }
                        if a.same_person(b) {
                            naive.push((i, j, ConflictKind::RecipientOverlap));
                        }
                    }
                }
            }
            naive.sort_unstable();
            prop_assert_eq!(overlaps(&slots), naive);
        }
    }
}
