//! Fulfilment of a contract (履约): what was bought, what was delivered,
//! whether delivery keeps pace. Pure arithmetic over totals the database
//! aggregates; quantities in thousandths of a unit, money in fen.
use chrono::{Datelike, NaiveDate};

/// What a line item counts. Stored (and kept in a version's terms) as
/// its lowercase word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// A completed visit that delivered the item's service.
    Visit,
    /// Service minutes, in hours.
    Hour,
    /// One service line of the item's type.
    Session,
    /// Material items handed over (their quantity).
    Item,
    /// Material value, in yuan.
    Yuan,
}

impl Unit {
    pub const ALL: [Self; 5] = [
        Self::Visit,
        Self::Hour,
        Self::Session,
        Self::Item,
        Self::Yuan,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Visit => "visit",
            Self::Hour => "hour",
            Self::Session => "session",
            Self::Item => "item",
            Self::Yuan => "yuan",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.as_str() == s.trim())
    }

    /// Whether the unit counts services (else materials).
    #[must_use]
    pub const fn is_service(self) -> bool {
        matches!(self, Self::Visit | Self::Hour | Self::Session)
    }
}

/// A contract's period, both days included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Period {
    /// Days in the period.
    #[must_use]
    pub fn days(self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    /// Days of the period that have passed by the end of `today`
    /// (0 before it starts, all of them after it ends).
    #[must_use]
    pub fn elapsed_days(self, today: NaiveDate) -> i64 {
        ((today - self.start).num_days() + 1).clamp(0, self.days())
    }

    /// The calendar months the period touches, as (year, month).
    #[must_use]
    pub fn months(self) -> Vec<(i32, u32)> {
        let mut out = Vec::new();
        let (mut y, mut m) = (self.start.year(), self.start.month());
        while (y, m) <= (self.end.year(), self.end.month()) {
            out.push((y, m));
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        }
        out
    }

    /// The months whose last day (or the period's end, if earlier) has
    /// passed by `today`: the ones whose frequency can be judged.
    #[must_use]
    pub fn judged_months(self, today: NaiveDate) -> Vec<(i32, u32)> {
        self.months()
            .into_iter()
            .filter(|&(y, m)| month_end(y, m).min(self.end) < today)
            .collect()
    }
}

/// The last day of a month.
#[must_use]
pub fn month_end(year: i32, month: u32) -> NaiveDate {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

/// Thresholds below which a contract is at risk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Delivered under this share of the pace expected by today.
    pub pace: f64,
    /// Judged recipient-months meeting the frequency term under this share.
    pub compliance: f64,
    /// Pace is not judged before this share of the period has passed.
    pub grace: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            pace: 0.85,
            compliance: 0.9,
            grace: 0.1,
        }
    }
}

/// One line item's contract figures and what the database counted for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ItemInput {
    /// Contracted quantity, in thousandths of the unit.
    pub quantity_milli: i64,
    pub unit_price_fen: i64,
    /// Delivered so far, in thousandths of the unit.
    pub delivered_milli: i64,
    /// Still scheduled inside the period (visits not yet done), in
    /// thousandths of the unit.
    pub scheduled_milli: i64,
    /// What the delivery is worth when parts of it were delivered under
    /// earlier prices (see [`priced`]); `None`: delivered × unit price.
    pub value_fen: Option<i64>,
}

/// Deliveries made under different versions of the terms, each as
/// (thousandths of the unit, unit price then in force): the total
/// delivered and what it is worth, each part at its own price.
#[must_use]
pub fn priced(parts: &[(i64, i64)]) -> (i64, i64) {
    parts.iter().fold((0, 0), |(milli, fen), &(m, price)| {
        (milli + m, fen + mul_div(m, price, 1000))
    })
}

/// Which version of the terms rules each part of `[from, to]`: version
/// `i` is in force from `starts[i]` until the day before `starts[i + 1]`
/// (the first also before its start). Returns (first day, last day,
/// version), in order; empty when `to < from`.
#[must_use]
pub fn segments(
    starts: &[NaiveDate],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<(NaiveDate, NaiveDate, usize)> {
    let mut out = Vec::new();
    if to < from || starts.is_empty() {
        return out;
    }
    for i in 0..starts.len() {
        let first = if i == 0 { from } else { starts[i].max(from) };
        let last = match starts.get(i + 1) {
            Some(next) => next.pred_opt().unwrap_or(*next).min(to),
            None => to,
        };
        if first <= last {
            out.push((first, last, i));
        }
    }
    out
}

/// The version in force on `day` (see [`segments`]).
#[must_use]
pub fn in_force(starts: &[NaiveDate], day: NaiveDate) -> usize {
    starts.iter().rposition(|s| *s <= day).unwrap_or(0)
}

/// Whether a recipient covered from `from` until `until` (either open)
/// was covered on every day of `[first, last]`.
#[must_use]
pub fn covered_throughout(
    from: Option<NaiveDate>,
    until: Option<NaiveDate>,
    first: NaiveDate,
    last: NaiveDate,
) -> bool {
    from.is_none_or(|f| f <= first) && until.is_none_or(|u| u >= last)
}

/// Why an item or a contract is at risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Risk {
    /// Delivery is behind the linear pace.
    Behind,
    /// Even with every scheduled visit done, the quantity is not reached.
    ForecastShort,
    /// Too few covered recipients get their visits each month.
    Frequency,
    /// More late visits than the terms allow.
    Late,
}

impl Risk {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Behind => "behind",
            Self::ForecastShort => "forecast_short",
            Self::Frequency => "frequency",
            Self::Late => "late",
        }
    }
}

/// One item's fulfilment.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemFigures {
    pub delivered_milli: i64,
    /// Delivered units at the unit price (half a fen and up rounds up).
    pub value_fen: i64,
    /// Delivered share of the contracted quantity, in percent.
    pub percent: f64,
    /// What linear delivery would have reached by today.
    pub expected_milli: i64,
    /// Delivered minus expected (negative: behind).
    pub gap_milli: i64,
    /// Delivered plus still scheduled.
    pub forecast_milli: i64,
    pub risks: Vec<Risk>,
}

/// `a * b / c`, rounded half up, without overflow for realistic inputs.
fn mul_div(a: i64, b: i64, c: i64) -> i64 {
    if c == 0 {
        return 0;
    }
    let n = i128::from(a) * i128::from(b);
    let c = i128::from(c);
    let q = (2 * n + c).div_euclid(2 * c);
    i64::try_from(q).unwrap_or(if q > 0 { i64::MAX } else { i64::MIN })
}

/// An item's fulfilment on `today`.
#[must_use]
pub fn item(input: ItemInput, period: Period, today: NaiveDate, t: Thresholds) -> ItemFigures {
    let (days, elapsed) = (period.days(), period.elapsed_days(today));
    let expected = mul_div(input.quantity_milli, elapsed, days);
    let forecast = input.delivered_milli + input.scheduled_milli;
    let mut risks = Vec::new();
    let judged = elapsed as f64 >= t.grace * days as f64 && elapsed > 0;
    if judged && (input.delivered_milli as f64) < t.pace * expected as f64 {
        risks.push(Risk::Behind);
    }
    if forecast < input.quantity_milli {
        risks.push(Risk::ForecastShort);
    }
    ItemFigures {
        delivered_milli: input.delivered_milli,
        value_fen: input
            .value_fen
            .unwrap_or_else(|| mul_div(input.delivered_milli, input.unit_price_fen, 1000)),
        percent: if input.quantity_milli > 0 {
            (input.delivered_milli as f64 * 1000.0 / input.quantity_milli as f64).round() / 10.0
        } else {
            0.0
        },
        expected_milli: expected,
        gap_milli: input.delivered_milli - expected,
        forecast_milli: forecast,
        risks,
    }
}

/// Completed visits of one covered recipient in one month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthCount {
    pub recipient: i64,
    pub year: i32,
    pub month: u32,
    pub completed: i64,
}

/// How many judged recipient-months met the frequency term.
#[derive(Debug, Clone, PartialEq)]
pub struct Compliance {
    /// Recipient-months judged (covered recipients × months over).
    pub judged: usize,
    pub met: usize,
    /// Share met, in percent (100 when nothing is judged yet).
    pub percent: f64,
    /// The recipient-months short of the term: (recipient, year, month,
    /// completed).
    pub short: Vec<(i64, i32, u32, i64)>,
}

/// A month whose frequency is judged: the term then in force and the
/// recipients covered all through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JudgedMonth {
    pub year: i32,
    pub month: u32,
    pub min_per_month: i64,
    pub recipients: Vec<i64>,
}

/// Frequency compliance: each recipient of a judged month needs that
/// month's `min_per_month` completed visits. `counts` holds only the
/// months with visits; a missing pair counts as zero.
#[must_use]
pub fn compliance(months: &[JudgedMonth], counts: &[MonthCount]) -> Compliance {
    let done: std::collections::HashMap<(i64, i32, u32), i64> = counts
        .iter()
        .map(|c| ((c.recipient, c.year, c.month), c.completed))
        .collect();
    let mut short = Vec::new();
    let mut judged = 0;
    for m in months {
        for &r in &m.recipients {
            judged += 1;
            let n = done.get(&(r, m.year, m.month)).copied().unwrap_or(0);
            if n < m.min_per_month {
                short.push((r, m.year, m.month, n));
            }
        }
    }
    short.sort_unstable();
    let met = judged - short.len();
    Compliance {
        short,
        ..Compliance::of_counts(judged, met)
    }
}

impl Compliance {
    /// Compliance from the counts alone (no list of who fell short).
    #[must_use]
    pub fn of_counts(judged: usize, met: usize) -> Self {
        Self {
            judged,
            met,
            percent: if judged == 0 {
                100.0
            } else {
                (met as f64 * 1000.0 / judged as f64).round() / 10.0
            },
            short: Vec::new(),
        }
    }
}

/// Visits of a contract by how they went, for its rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VisitCounts {
    pub completed: i64,
    pub attempted: i64,
    pub refused: i64,
    pub cancelled: i64,
    pub missed: i64,
    /// Of all the above, those flagged late.
    pub late: i64,
    /// Of all the above, those with a location exception.
    pub exceptions: i64,
}

/// Shares of the visits that were due (done or not), in percent.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rates {
    pub due: i64,
    pub completed: f64,
    pub attempted: f64,
    pub missed: f64,
    pub late: f64,
    pub exceptions: f64,
}

fn percent(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / whole as f64).round() / 10.0
    }
}

/// The rates of `c`: cancelled visits are not due.
#[must_use]
pub fn rates(c: VisitCounts) -> Rates {
    let due = c.completed + c.attempted + c.refused + c.missed;
    Rates {
        due,
        completed: percent(c.completed, due),
        attempted: percent(c.attempted + c.refused, due),
        missed: percent(c.missed, due),
        late: percent(c.late, due),
        exceptions: percent(c.exceptions, due),
    }
}

/// "Material + service": the value of each and the material share of the
/// two, in percent.
#[must_use]
pub fn material_share(service_fen: i64, material_fen: i64) -> f64 {
    percent(material_fen, service_fen + material_fen)
}

/// Contract-level risks from its items and terms.
#[must_use]
pub fn contract_risks(
    items: &[ItemFigures],
    compliance: &Compliance,
    rates: &Rates,
    max_late_percent: Option<f64>,
    t: Thresholds,
) -> Vec<Risk> {
    let mut out = Vec::new();
    for r in [Risk::Behind, Risk::ForecastShort] {
        if items.iter().any(|i| i.risks.contains(&r)) {
            out.push(r);
        }
    }
    if compliance.judged > 0 && compliance.percent < t.compliance * 100.0 {
        out.push(Risk::Frequency);
    }
    if max_late_percent.is_some_and(|m| rates.due > 0 && rates.late > m) {
        out.push(Risk::Late);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn year_2027() -> Period {
        Period {
            start: d("2027-01-01"),
            end: d("2027-12-31"),
        }
    }

    #[rstest]
    #[case("2026-12-31", 0)]
    #[case("2027-01-01", 1)]
    #[case("2027-03-31", 90)]
    #[case("2027-12-31", 365)]
    #[case("2028-06-01", 365)]
    fn elapsed_days(#[case] today: &str, #[case] want: i64) {
        assert_eq!(year_2027().elapsed_days(d(today)), want);
    }

    #[test]
    fn months_and_the_ones_that_can_be_judged() {
        let p = Period {
            start: d("2027-01-15"),
            end: d("2027-04-10"),
        };
        assert_eq!(p.months(), vec![(2027, 1), (2027, 2), (2027, 3), (2027, 4)]);
        assert_eq!(p.judged_months(d("2027-03-01")), vec![(2027, 1), (2027, 2)]);
        // April ends with the period on the 10th.
        assert_eq!(p.judged_months(d("2027-04-11")).len(), 4);
        assert_eq!(month_end(2028, 2), d("2028-02-29"));
        assert_eq!(month_end(2027, 12), d("2027-12-31"));
    }

    // 1,200 visits at 50 yuan over 2027; on 31 March (90 of 365 days) the
    // pace is 1200 × 90 / 365 = 295.89 → 295.890 visits.
    #[rstest]
    #[case::on_pace(300_000, 0, vec![Risk::ForecastShort])]
    #[case::behind(200_000, 1_000_000, vec![Risk::Behind])]
    #[case::ahead_and_scheduled(400_000, 800_000, vec![])]
    fn items_against_the_linear_pace(
        #[case] delivered: i64,
        #[case] scheduled: i64,
        #[case] risks: Vec<Risk>,
    ) {
        let f = item(
            ItemInput {
                quantity_milli: 1_200_000,
                unit_price_fen: 5000,
                delivered_milli: delivered,
                scheduled_milli: scheduled,
                value_fen: None,
            },
            year_2027(),
            d("2027-03-31"),
            Thresholds::default(),
        );
        assert_eq!(f.expected_milli, 295_890);
        assert_eq!(f.gap_milli, delivered - 295_890);
        assert_eq!(f.value_fen, delivered / 1000 * 5000);
        assert_eq!(f.forecast_milli, delivered + scheduled);
        assert_eq!(f.risks, risks);
    }

    #[test]
    fn hours_and_money_round_half_up_to_the_fen() {
        // 2.5 hours at 33.33 yuan: 83.325 → 83.33.
        let f = item(
            ItemInput {
                quantity_milli: 100_000,
                unit_price_fen: 3333,
                delivered_milli: 2500,
                scheduled_milli: 0,
                value_fen: None,
            },
            year_2027(),
            d("2027-01-01"),
            Thresholds::default(),
        );
        assert_eq!(f.value_fen, 8333);
        assert!((f.percent - 2.5).abs() < 1e-9);
        // The first days are not judged for pace.
        assert!(!f.risks.contains(&Risk::Behind));
    }

    #[test]
    fn frequency_compliance_counts_missing_months_as_zero() {
        let counts = [
            MonthCount {
                recipient: 1,
                year: 2027,
                month: 1,
                completed: 2,
            },
            MonthCount {
                recipient: 1,
                year: 2027,
                month: 2,
                completed: 3,
            },
            MonthCount {
                recipient: 2,
                year: 2027,
                month: 1,
                completed: 1,
            },
            // Not covered: ignored.
            MonthCount {
                recipient: 9,
                year: 2027,
                month: 1,
                completed: 5,
            },
        ];
        let month = |m: u32, min: i64| JudgedMonth {
            year: 2027,
            month: m,
            min_per_month: min,
            recipients: vec![1, 2],
        };
        let c = compliance(&[month(1, 2), month(2, 2)], &counts);
        assert_eq!(c.judged, 4);
        assert_eq!(c.met, 2);
        assert!((c.percent - 50.0).abs() < 1e-9);
        assert_eq!(c.short, vec![(2, 2027, 1, 1), (2, 2027, 2, 0)]);
        assert!((compliance(&[], &counts).percent - 100.0).abs() < 1e-9);
        // A term amended to 3 from February judges February by 3.
        let c = compliance(&[month(1, 2), month(2, 3)], &counts);
        assert_eq!(c.short, vec![(2, 2027, 1, 1), (2, 2027, 2, 0)]);
        let c = compliance(&[month(1, 2), month(2, 4)], &counts);
        assert_eq!(
            c.short,
            vec![(1, 2027, 2, 3), (2, 2027, 1, 1), (2, 2027, 2, 0)]
        );
    }

    #[test]
    fn rates_leave_cancelled_visits_out() {
        let r = rates(VisitCounts {
            completed: 14,
            attempted: 3,
            refused: 1,
            cancelled: 5,
            missed: 2,
            late: 4,
            exceptions: 1,
        });
        assert_eq!(r.due, 20);
        assert!((r.completed - 70.0).abs() < 1e-9);
        assert!((r.attempted - 20.0).abs() < 1e-9);
        assert!((r.missed - 10.0).abs() < 1e-9);
        assert!((r.late - 20.0).abs() < 1e-9);
        assert!((r.exceptions - 5.0).abs() < 1e-9);
        assert_eq!(rates(VisitCounts::default()).completed, 0.0);
        assert!((material_share(7500, 2500) - 25.0).abs() < 1e-9);
    }

    #[test]
    fn contract_risks_gather_item_frequency_and_late_risks() {
        let behind = ItemFigures {
            delivered_milli: 0,
            value_fen: 0,
            percent: 0.0,
            expected_milli: 10,
            gap_milli: -10,
            forecast_milli: 0,
            risks: vec![Risk::Behind],
        };
        let c = compliance(
            &[JudgedMonth {
                year: 2027,
                month: 1,
                min_per_month: 2,
                recipients: vec![1],
            }],
            &[],
        );
        let r = rates(VisitCounts {
            completed: 8,
            late: 2,
            ..Default::default()
        });
        assert_eq!(
            contract_risks(&[behind], &c, &r, Some(10.0), Thresholds::default()),
            vec![Risk::Behind, Risk::Frequency, Risk::Late]
        );
        assert_eq!(
            contract_risks(&[], &c, &r, Some(30.0), Thresholds::default()),
            vec![Risk::Frequency]
        );
    }

    #[rstest]
    // One version: it rules everything asked.
    #[case::one(&["2027-01-01"], "2027-01-01", "2027-12-31", &[("2027-01-01", "2027-12-31", 0)])]
    // Amended from 1 April: March under the first, April on under the second.
    #[case::two(&["2027-01-01", "2027-04-01"], "2027-03-01", "2027-05-31",
                &[("2027-03-01", "2027-03-31", 0), ("2027-04-01", "2027-05-31", 1)])]
    // Asked only before the amendment.
    #[case::before(&["2027-01-01", "2027-04-01"], "2027-01-01", "2027-02-28", &[("2027-01-01", "2027-02-28", 0)])]
    // Two amendments the same day: the later rules from it, the earlier never.
    #[case::same_day(&["2027-01-01", "2027-04-01", "2027-04-01"], "2027-01-01", "2027-04-30",
                     &[("2027-01-01", "2027-03-31", 0), ("2027-04-01", "2027-04-30", 2)])]
    #[case::empty(&["2027-01-01"], "2027-02-01", "2027-01-31", &[])]
    fn versions_rule_their_days(
        #[case] starts: &[&str],
        #[case] from: &str,
        #[case] to: &str,
        #[case] want: &[(&str, &str, usize)],
    ) {
        let starts: Vec<NaiveDate> = starts.iter().map(|s| d(s)).collect();
        let got = segments(&starts, d(from), d(to));
        let want: Vec<_> = want.iter().map(|(a, b, i)| (d(a), d(b), *i)).collect();
        assert_eq!(got, want);
        for (first, last, i) in got {
            assert_eq!(in_force(&starts, first), i);
            assert_eq!(in_force(&starts, last), i);
        }
    }

    #[test]
    fn deliveries_are_worth_the_price_of_their_day() {
        // 10 visits at 50 yuan, then 4 at 60 yuan after an amendment.
        assert_eq!(priced(&[(10_000, 5000), (4000, 6000)]), (14_000, 74_000));
        assert_eq!(priced(&[]), (0, 0));
        // 1.5 hours at 33.33 and 1 hour at 40: 49.995 → 50.00, + 40.
        assert_eq!(priced(&[(1500, 3333), (1000, 4000)]), (2500, 9000));
        let f = item(
            ItemInput {
                quantity_milli: 20_000,
                unit_price_fen: 6000,
                delivered_milli: 14_000,
                scheduled_milli: 0,
                value_fen: Some(74_000),
            },
            year_2027(),
            d("2027-06-30"),
            Thresholds::default(),
        );
        assert_eq!(f.value_fen, 74_000);
        assert!((f.percent - 70.0).abs() < 1e-9);
    }

    #[test]
    fn coverage_throughout_a_month() {
        let (jan1, jan31) = (d("2027-01-01"), d("2027-01-31"));
        assert!(covered_throughout(None, None, jan1, jan31));
        assert!(covered_throughout(Some(jan1), Some(jan31), jan1, jan31));
        assert!(!covered_throughout(
            Some(d("2027-01-02")),
            None,
            jan1,
            jan31
        ));
        assert!(!covered_throughout(
            None,
            Some(d("2027-01-30")),
            jan1,
            jan31
        ));
    }

    proptest! {
        #[test]
        fn the_pace_grows_with_time_and_ends_at_the_quantity(
            q in 0i64..10_000_000, a in 0i64..400, b in 0i64..400
        ) {
            let p = year_2027();
            let at = |n: i64| item(ItemInput { quantity_milli: q, ..Default::default() },
                                   p, p.start + chrono::Duration::days(n), Thresholds::default());
            let (x, y) = (a.min(b), a.max(b));
            prop_assert!(at(x).expected_milli <= at(y).expected_milli);
            prop_assert_eq!(at(364).expected_milli, q);
            prop_assert!(at(x).expected_milli <= q);
        }
    }
}
