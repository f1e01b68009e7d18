//! The one counting rule of a contract's kept totals: what one visit
//! contributes to a contract that covers it. The write paths (a visit
//! checked in, logged, corrected, cancelled, missed) move the kept totals
//! by the difference of a visit's contribution before and after; a
//! rebuild streams the contract's visits through the same function and
//! writes the sum. Nothing here reads a database or a clock.
use super::{fulfilment::Unit, visit::VisitStatus};
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;

/// An item a contract buys (in any version of its terms), as counting
/// sees it: a service (with an optional minimum length per line) or a
/// category of material, and the unit it is counted in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub service: Option<String>,
    pub material: Option<String>,
    pub unit: Unit,
    pub min_minutes: Option<i64>,
}

impl Item {
    /// What the kept totals file the item under: the same for the same
    /// item in every version of the terms (service or material, unit,
    /// minimum).
    #[must_use]
    pub fn key(&self) -> String {
        key_of(
            self.service.as_deref(),
            self.material.as_deref(),
            self.unit.as_str(),
            self.min_minutes,
        )
    }
}

/// [`Item::key`] of an item as stored (its unit as written).
#[must_use]
pub fn key_of(
    service: Option<&str>,
    material: Option<&str>,
    unit: &str,
    min_minutes: Option<i64>,
) -> String {
    match (service, material) {
        (Some(s), _) => format!(
            "s|{s}|{unit}|{}",
            min_minutes.map(|m| m.to_string()).unwrap_or_default()
        ),
        (None, m) => format!("m|{}|{unit}", m.unwrap_or_default()),
    }
}

/// A contract as counting needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub contract: i64,
    pub organization: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Every item any version of the terms bought, once.
    pub items: Vec<Item>,
    /// The day each version of the terms took effect (the first: the
    /// start) and its minimum visit length.
    pub versions: Vec<(NaiveDate, Option<i64>)>,
}

impl Rule {
    /// The minimum length of a visit in the month holding `day`: the one
    /// in force on the month's first day in the period.
    #[must_use]
    pub fn month_minimum(&self, day: NaiveDate) -> Option<i64> {
        let first = day.with_day(1).unwrap_or(day).max(self.starts_on);
        self.versions
            .iter()
            .rev()
            .find(|(from, _)| *from <= first)
            .or_else(|| self.versions.first())
            .and_then(|(_, m)| *m)
    }
}

/// The days a recipient is covered by a contract (either end open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cover {
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

impl Cover {
    #[must_use]
    pub fn on(self, day: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= day) && self.until.is_none_or(|u| u >= day)
    }
}

/// A service line of a visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLine {
    pub service: String,
    pub minutes: i64,
}

/// A material line of a visit (`funding`: `contract` or `donation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialLine {
    pub category: String,
    pub funding: String,
    pub donor: String,
    pub value_fen: i64,
    pub quantity_milli: i64,
}

impl MaterialLine {
    fn bought_by_the_contract(&self) -> bool {
        self.funding == "contract"
    }
}

/// A visit as counting needs it. `day` is its local day (the display
/// zone's), the day coverage and terms are judged on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub organization: i64,
    /// None for a household visit: it counts toward no contract.
    pub recipient: Option<i64>,
    pub day: NaiveDate,
    pub status: VisitStatus,
    pub late: bool,
    pub location_exception: bool,
    pub services: Vec<ServiceLine>,
    pub materials: Vec<MaterialLine>,
}

/// Whether `v` counts toward the contract of `rule` at all: the
/// contract's provider made it, for a person the contract covered on the
/// day, within the contract's period, and its status counts.
#[must_use]
pub fn counts_toward(v: &Visit, rule: &Rule, cover: Cover) -> bool {
    v.recipient.is_some()
        && v.status.counts_toward_contract()
        && v.organization == rule.organization
        && rule.starts_on <= v.day
        && v.day <= rule.ends_on
        && cover.on(v.day)
}

/// The kinds of kept day rows: a visit's status, an item it delivered,
/// the value of its material by funding.
pub const DAY_KINDS: [&str; 3] = ["status", "item", "funding"];

/// The kind of a stored day row as [`DAY_KINDS`] holds it (None for a
/// kind counting never writes).
#[must_use]
pub fn day_kind(stored: &str) -> Option<&'static str> {
    DAY_KINDS.into_iter().find(|k| *k == stored)
}

/// What a kept day row is: contract, day, kind (`status`, `item`,
/// `funding`), key, donor.
pub type DayKey = (i64, NaiveDate, &'static str, String, String);

/// A kept day row's figures: count or amount, late, location exceptions.
pub type DayFigures = (i64, i64, i64);

/// A kept month row: contract, `YYYY-MM`, recipient (the columns of its
/// unique index, in order, so a `BTreeMap` of them is in the index's
/// order: see `models::fulfilment::keep`).
pub type MonthKey = (i64, String, i64);

/// Kept totals: day rows and completed visits per person and month.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub days: BTreeMap<DayKey, DayFigures>,
    pub months: BTreeMap<MonthKey, i64>,
}

impl Totals {
    fn day(&mut self, key: DayKey, f: DayFigures) {
        let e = self.days.entry(key).or_default();
        *e = (e.0 + f.0, e.1 + f.1, e.2 + f.2);
    }

    /// Adds what `v` contributes to the contract of `rule` (the caller
    /// has checked [`counts_toward`]).
    pub fn add(&mut self, v: &Visit, rule: &Rule) {
        let Some(recipient) = v.recipient else {
            return;
        };
        let (c, day) = (rule.contract, v.day);
        self.day(
            (
                c,
                day,
                "status",
                v.status.as_str().to_string(),
                String::new(),
            ),
            (
                1,
                i64::from(v.late && v.status.may_count_late()),
                i64::from(v.location_exception),
            ),
        );
        if !v.status.delivered() {
            return;
        }
        for item in &rule.items {
            if let Some(n) = item_amount(v, item) {
                self.day((c, day, "item", item.key(), String::new()), (n, 0, 0));
            }
        }
        for m in &v.materials {
            self.day(
                (c, day, "funding", m.funding.clone(), m.donor.clone()),
                (m.value_fen, 0, 0),
            );
        }
        let minutes: i64 = v.services.iter().map(|l| l.minutes).sum();
        if rule.month_minimum(day).is_none_or(|m| minutes >= m) {
            *self
                .months
                .entry((c, month_key(day), recipient))
                .or_default() += 1;
        }
    }

    /// What must be added to `before` to make `after`, row by row (rows
    /// that do not change are left out).
    #[must_use]
    pub fn change(before: &Self, after: &Self) -> Self {
        let mut out = Self::default();
        for k in before.days.keys().chain(after.days.keys()) {
            let (b, a) = (
                before.days.get(k).copied().unwrap_or_default(),
                after.days.get(k).copied().unwrap_or_default(),
            );
            let d = (a.0 - b.0, a.1 - b.1, a.2 - b.2);
            if d != (0, 0, 0) {
                out.days.insert(k.clone(), d);
            }
        }
        for k in before.months.keys().chain(after.months.keys()) {
            let d = after.months.get(k).copied().unwrap_or_default()
                - before.months.get(k).copied().unwrap_or_default();
            if d != 0 {
                out.months.insert(k.clone(), d);
            }
        }
        out
    }

    /// Adds `other` row by row.
    pub fn merge(&mut self, other: &Self) {
        for (k, f) in &other.days {
            self.day(k.clone(), *f);
        }
        for (k, n) in &other.months {
            *self.months.entry(k.clone()).or_default() += n;
        }
    }

    /// The same totals without rows that are all zero.
    #[must_use]
    pub fn without_zeros(mut self) -> Self {
        self.days.retain(|_, f| *f != (0, 0, 0));
        self.months.retain(|_, n| *n != 0);
        self
    }
}

/// How much of `item` a delivered visit handed over, in the kept unit
/// (minutes for hours, fen for yuan, thousandths for items; visits and
/// sessions as counts), or None when it delivered none of it.
fn item_amount(v: &Visit, item: &Item) -> Option<i64> {
    if item.unit.is_service() {
        let lines: Vec<&ServiceLine> = v
            .services
            .iter()
            .filter(|l| Some(&l.service) == item.service.as_ref())
            .filter(|l| item.min_minutes.is_none_or(|m| l.minutes >= m))
            .collect();
        if lines.is_empty() {
            return None;
        }
        Some(match item.unit {
            Unit::Visit => 1,
            Unit::Hour => lines.iter().map(|l| l.minutes).sum(),
            _ => i64::try_from(lines.len()).unwrap_or(i64::MAX),
        })
    } else {
        let lines: Vec<&MaterialLine> = v
            .materials
            .iter()
            .filter(|m| Some(&m.category) == item.material.as_ref())
            .filter(|m| m.bought_by_the_contract())
            .collect();
        if lines.is_empty() {
            return None;
        }
        Some(if item.unit == Unit::Yuan {
            lines.iter().map(|m| m.value_fen).sum()
        } else {
            lines.iter().map(|m| m.quantity_milli).sum()
        })
    }
}

/// `YYYY-MM` of a day.
#[must_use]
pub fn month_key(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn rule() -> Rule {
        Rule {
            contract: 7,
            organization: 3,
            starts_on: d(1, 1),
            ends_on: d(12, 31),
            items: vec![
                Item {
                    service: Some("care".into()),
                    material: None,
                    unit: Unit::Visit,
                    min_minutes: Some(30),
                },
                Item {
                    service: Some("care".into()),
                    material: None,
                    unit: Unit::Hour,
                    min_minutes: None,
                },
                Item {
                    service: Some("clean".into()),
                    material: None,
                    unit: Unit::Session,
                    min_minutes: None,
                },
                Item {
                    service: None,
                    material: Some("food".into()),
                    unit: Unit::Yuan,
                    min_minutes: None,
                },
                Item {
                    service: None,
                    material: Some("food".into()),
                    unit: Unit::Item,
                    min_minutes: None,
                },
            ],
            versions: vec![(d(1, 1), Some(40)), (d(6, 15), Some(60))],
        }
    }

    fn visit() -> Visit {
        Visit {
            organization: 3,
            recipient: Some(11),
            day: d(3, 4),
            status: VisitStatus::Completed,
            late: true,
            location_exception: false,
            services: vec![
                ServiceLine {
                    service: "care".into(),
                    minutes: 25,
                },
                ServiceLine {
                    service: "care".into(),
                    minutes: 35,
                },
                ServiceLine {
                    service: "clean".into(),
                    minutes: 20,
                },
            ],
            materials: vec![
                MaterialLine {
                    category: "food".into(),
                    funding: "contract".into(),
                    donor: String::new(),
                    value_fen: 5000,
                    quantity_milli: 2000,
                },
                MaterialLine {
                    category: "food".into(),
                    funding: "donation".into(),
                    donor: "慈善总会".into(),
                    value_fen: 3000,
                    quantity_milli: 1000,
                },
            ],
        }
    }

    fn row(t: &Totals, kind: &'static str, key: &str, donor: &str) -> Option<DayFigures> {
        t.days
            .get(&(7, d(3, 4), kind, key.to_string(), donor.to_string()))
            .copied()
    }

    #[rstest::rstest]
    #[case(VisitStatus::Completed, 1)]
    #[case(VisitStatus::Attempted, 1)]
    #[case(VisitStatus::Refused, 1)]
    #[case(VisitStatus::Missed, 0)]
    #[case(VisitStatus::Cancelled, 0)]
    fn a_late_flag_counts_only_on_a_visit_that_was_made(
        #[case] status: VisitStatus,
        #[case] late: i64,
    ) {
        let mut t = Totals::default();
        let v = Visit { status, ..visit() };
        t.add(&v, &rule());
        assert_eq!(row(&t, "status", status.as_str(), ""), Some((1, late, 0)));
    }

    #[test]
    fn a_completed_visit_counts_its_status_items_funding_and_month() {
        let mut t = Totals::default();
        t.add(&visit(), &rule());
        assert_eq!(row(&t, "status", "completed", ""), Some((1, 1, 0)));
        // A visit of the item: one line of 35 minutes meets 30.
        assert_eq!(row(&t, "item", "s|care|visit|30", ""), Some((1, 0, 0)));
        // Hours are kept in minutes, all care lines.
        assert_eq!(row(&t, "item", "s|care|hour|", ""), Some((60, 0, 0)));
        assert_eq!(row(&t, "item", "s|clean|session|", ""), Some((1, 0, 0)));
        // Only the contract's own material counts toward its items.
        assert_eq!(row(&t, "item", "m|food|yuan", ""), Some((5000, 0, 0)));
        assert_eq!(row(&t, "item", "m|food|item", ""), Some((2000, 0, 0)));
        // Funding rows keep both, by donor.
        assert_eq!(row(&t, "funding", "contract", ""), Some((5000, 0, 0)));
        assert_eq!(
            row(&t, "funding", "donation", "慈善总会"),
            Some((3000, 0, 0))
        );
        // 80 minutes in all meets March's minimum of 40.
        assert_eq!(t.months.get(&(7, "2026-03".into(), 11)), Some(&1));
        assert_eq!(t.days.len(), 8);
        // Every kind written reads back from the database as itself.
        for k in t.days.keys() {
            assert_eq!(day_kind(k.2), Some(k.2));
        }
        assert_eq!(day_kind("other"), None);
    }

    #[rstest]
    #[case(VisitStatus::Attempted)]
    #[case(VisitStatus::Refused)]
    #[case(VisitStatus::Cancelled)]
    #[case(VisitStatus::Missed)]
    fn a_visit_not_delivered_counts_only_its_status(#[case] status: VisitStatus) {
        let mut t = Totals::default();
        t.add(&Visit { status, ..visit() }, &rule());
        assert_eq!(t.days.len(), 1);
        // Late counts only on a visit that was made (missed is not also late).
        let late = i64::from(status.may_count_late());
        assert_eq!(row(&t, "status", status.as_str(), ""), Some((1, late, 0)));
        assert!(t.months.is_empty());
    }

    #[rstest]
    #[case::its_provider(visit(), Cover::default(), true)]
    #[case::other_provider(Visit { organization: 4, ..visit() }, Cover::default(), false)]
    #[case::household_visit(Visit { recipient: None, ..visit() }, Cover::default(), false)]
    #[case::scheduled(Visit { status: VisitStatus::Scheduled, ..visit() }, Cover::default(), false)]
    #[case::in_progress(Visit { status: VisitStatus::InProgress, ..visit() }, Cover::default(), false)]
    #[case::missed(Visit { status: VisitStatus::Missed, ..visit() }, Cover::default(), true)]
    #[case::before_the_period(Visit { day: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(), ..visit() }, Cover::default(), false)]
    #[case::covered_from_that_day(visit(), Cover { from: Some(d(3, 4)), until: None }, true)]
    #[case::covered_from_the_next(visit(), Cover { from: Some(d(3, 5)), until: None }, false)]
    #[case::covered_until_that_day(visit(), Cover { from: None, until: Some(d(3, 4)) }, true)]
    #[case::covered_until_the_day_before(visit(), Cover { from: None, until: Some(d(3, 3)) }, false)]
    fn what_counts_toward_a_contract(#[case] v: Visit, #[case] cover: Cover, #[case] counts: bool) {
        assert_eq!(counts_toward(&v, &rule(), cover), counts);
    }

    #[rstest]
    // March: the first version (40); June 20: the second took effect on
    // June 15, but June's first day had the first version.
    #[case(d(3, 4), Some(40))]
    #[case(d(6, 20), Some(40))]
    #[case(d(7, 1), Some(60))]
    fn the_months_minimum_is_the_one_in_force_on_its_first_day(
        #[case] day: NaiveDate,
        #[case] want: Option<i64>,
    ) {
        assert_eq!(rule().month_minimum(day), want);
    }

    #[test]
    fn a_short_visit_counts_but_not_toward_the_month() {
        let short = Visit {
            services: vec![ServiceLine {
                service: "care".into(),
                minutes: 39,
            }],
            ..visit()
        };
        let mut t = Totals::default();
        t.add(&short, &rule());
        assert!(t.months.is_empty());
        assert_eq!(row(&t, "item", "s|care|visit|30", ""), Some((1, 0, 0)));
    }

    #[test]
    fn keys_are_the_stored_item_signatures() {
        assert_eq!(
            key_of(Some("care"), None, "hour", Some(30)),
            "s|care|hour|30"
        );
        assert_eq!(key_of(Some("care"), None, "hour", None), "s|care|hour|");
        assert_eq!(key_of(None, Some("food"), "yuan", None), "m|food|yuan");
    }

    fn any_visit() -> impl Strategy<Value = Visit> {
        let line =
            (prop_oneof![Just("care"), Just("clean")], 1i64..120).prop_map(|(s, m)| ServiceLine {
                service: s.into(),
                minutes: m,
            });
        let material = (
            prop_oneof![Just("food"), Just("cash")],
            prop::bool::ANY,
            1i64..10_000,
            1i64..5_000,
        )
            .prop_map(|(c, own, fen, q)| MaterialLine {
                category: c.into(),
                funding: if own { "contract" } else { "donation" }.into(),
                donor: if own { String::new() } else { "d".into() },
                value_fen: fen,
                quantity_milli: q,
            });
        (
            prop::sample::select(VisitStatus::ALL.to_vec()),
            0u32..60,
            0i64..3,
            prop::bool::ANY,
            prop::bool::ANY,
            prop::collection::vec(line, 0..4),
            prop::collection::vec(material, 0..3),
        )
            .prop_map(|(status, day, who, late, exc, services, materials)| Visit {
                organization: 3,
                recipient: Some(10 + who),
                day: d(5, 1) + chrono::Duration::days(i64::from(day)),
                status,
                late,
                location_exception: exc,
                services,
                materials,
            })
    }

    fn rebuilt(visits: &[Visit]) -> Totals {
        let mut t = Totals::default();
        for v in visits {
            if counts_toward(v, &rule(), Cover::default()) {
                t.add(v, &rule());
            }
        }
        t.without_zeros()
    }

    fn contribution(v: &Visit) -> Totals {
        let mut t = Totals::default();
        if counts_toward(v, &rule(), Cover::default()) {
            t.add(v, &rule());
        }
        t
    }

    proptest! {
        /// Kept totals moved by the difference at every write equal a
        /// rebuild from the visits as they end up.
        #[test]
        fn kept_by_differences_equals_a_rebuild(
            first in prop::collection::vec(any_visit(), 1..6),
            writes in prop::collection::vec((0usize..6, any_visit()), 0..20),
        ) {
            let mut visits = first;
            let mut kept = Totals::default();
            for v in &visits {
                kept.merge(&contribution(v));
            }
            for (i, after) in writes {
                let i = i % visits.len();
                let change = Totals::change(&contribution(&visits[i]), &contribution(&after));
                kept.merge(&change);
                visits[i] = after;
            }
            prop_assert_eq!(kept.without_zeros(), rebuilt(&visits));
        }
    }
}
