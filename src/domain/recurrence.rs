//! Recurring visits: an RFC 5545 RRULE with a DTSTART in an IANA zone,
//! EXDATEs and RDATEs, stricter than the `rrule` crate alone.
//!
//! The rule is checked here first (the crate accepts rules that RFC 5545
//! forbids, such as an ordinal BYDAY with FREQ=WEEKLY, and expands them to
//! something else). Expansion then runs on local wall-clock times (the
//! crate sees them as "floating", in UTC), and every local time is mapped
//! to an instant by the zone's rules: a time in a daylight-saving gap takes
//! the offset in force before the gap, an ambiguous time means its first
//! occurrence. EXDATEs and RDATEs are compared as instants, so an RDATE
//! equal to a rule occurrence is emitted once.
use super::recurrence_fast::FastRule;
use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::BTreeSet;

/// At most this many occurrences in one answer.
pub const MAX_OCCURRENCES: usize = 5000;
/// At most this many rule occurrences are walked to reach a window
/// (bounds the work of a huge COUNT or a window far from DTSTART).
const MAX_STEPS: usize = 500_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecurrenceError {
    #[error("unknown time zone {0}")]
    UnknownZone(String),
    #[error("the rule has no FREQ")]
    NoFreq,
    #[error("FREQ={0} is not supported (use DAILY, WEEKLY, MONTHLY, YEARLY or HOURLY)")]
    Freq(String),
    #[error("{0} is not a rule part")]
    UnknownPart(String),
    #[error("{0} appears twice")]
    Repeated(String),
    #[error("{part}={value} is not valid")]
    Value { part: String, value: String },
    #[error("INTERVAL must be at least 1")]
    IntervalZero,
    #[error("COUNT and UNTIL cannot be used together")]
    CountAndUntil,
    #[error("BYMONTHDAY=0 is not a day of the month")]
    MonthDayZero,
    #[error("BYDAY with a number (such as 2TU) needs FREQ=MONTHLY or FREQ=YEARLY")]
    OrdinalByDay,
    #[error("BYSETPOS needs another BY rule (such as BYDAY)")]
    SetPosAlone,
    #[error("the window ends before it starts")]
    Window,
    #[error("more than {MAX_OCCURRENCES} occurrences in the window")]
    TooMany,
    #[error("the window lies too far from DTSTART")]
    TooFar,
    #[error("UNTIL is before the start")]
    UntilBeforeStart,
    #[error("the rule is not valid: {0}")]
    Rule(String),
}

impl RecurrenceError {
    /// The translated message of the error, for a field or an API answer:
    /// what the user can change, never the crate's text.
    #[must_use]
    pub const fn message_key(&self) -> &'static str {
        match self {
            Self::UnknownZone(_) => "error-tzid",
            Self::NoFreq | Self::Freq(_) => "error-rrule-freq",
            Self::UnknownPart(_) | Self::Repeated(_) => "error-rrule-part",
            Self::Value { .. } | Self::IntervalZero | Self::MonthDayZero => "error-rrule-value",
            Self::CountAndUntil => "error-rrule-count-and-until",
            Self::OrdinalByDay => "error-rrule-ordinal-byday",
            Self::SetPosAlone => "error-rrule-setpos",
            Self::Window => "error-rrule-window",
            Self::TooMany => "error-rrule-too-many",
            Self::TooFar => "error-rrule-too-far",
            Self::UntilBeforeStart => "error-rrule-until-before-start",
            Self::Rule(_) => "error-rrule",
        }
    }
}

/// How a checked rule is expanded.
#[derive(Debug, Clone)]
enum Rule {
    /// The common shapes, walked directly on the local calendar.
    Fast(FastRule),
    /// Everything else: the rule with UNTIL rewritten as local wall time
    /// ("floating"), built once and expanded by the `rrule` crate on the
    /// local clock as if it were UTC.
    General(Box<rrule::RRuleSet>),
}

/// A recurrence, checked.
#[derive(Debug, Clone)]
pub struct Recurrence {
    zone: Tz,
    dtstart: NaiveDateTime,
    rule: Option<Rule>,
    exdates: BTreeSet<DateTime<Utc>>,
    rdates: Vec<NaiveDateTime>,
}

const PARTS: [&str; 14] = [
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
];

fn bad(part: &str, value: &str) -> RecurrenceError {
    RecurrenceError::Value {
        part: part.to_string(),
        value: value.to_string(),
    }
}

fn int_list(part: &str, value: &str, lo: i32, hi: i32, zero: bool) -> Result<(), RecurrenceError> {
    for v in value.split(',') {
        let n: i32 = v.trim().parse().map_err(|_| bad(part, value))?;
        if n == 0 && !zero {
            return Err(if part == "BYMONTHDAY" {
                RecurrenceError::MonthDayZero
            } else {
                bad(part, value)
            });
        }
        if n < lo || n > hi {
            return Err(bad(part, value));
        }
    }
    Ok(())
}

/// Parses UNTIL: `YYYYMMDD`, `YYYYMMDDTHHMMSS` (local) or with `Z` (UTC).
fn parse_until(value: &str, zone: Tz) -> Result<NaiveDateTime, RecurrenceError> {
    let v = value.trim();
    if let Some(utc) = v.strip_suffix('Z') {
        let t = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").map_err(|_| bad("UNTIL", v))?;
        return Ok(Utc.from_utc_datetime(&t).with_timezone(&zone).naive_local());
    }
    if v.len() == 8 {
        let d = chrono::NaiveDate::parse_from_str(v, "%Y%m%d").map_err(|_| bad("UNTIL", v))?;
        return d.and_hms_opt(23, 59, 59).ok_or_else(|| bad("UNTIL", v));
    }
    NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").map_err(|_| bad("UNTIL", v))
}

/// Checks a rule against RFC 5545 and returns it with UNTIL as local time.
fn check_rule(text: &str, zone: Tz) -> Result<String, RecurrenceError> {
    let text = text.trim().trim_start_matches("RRULE:");
    let mut seen: Vec<(String, String)> = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| RecurrenceError::UnknownPart(part.to_string()))?;
        let k = k.trim().to_ascii_uppercase();
        if !PARTS.contains(&k.as_str()) {
            return Err(RecurrenceError::UnknownPart(k));
        }
        if seen.iter().any(|(s, _)| *s == k) {
            return Err(RecurrenceError::Repeated(k));
        }
        seen.push((k, v.trim().to_ascii_uppercase()));
    }
    let get = |k: &str| seen.iter().find(|(s, _)| s == k).map(|(_, v)| v.as_str());
    let freq = get("FREQ").ok_or(RecurrenceError::NoFreq)?;
    if !["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY"].contains(&freq) {
        return Err(RecurrenceError::Freq(freq.to_string()));
    }
    if let Some(i) = get("INTERVAL") {
        match i.parse::<u32>() {
            Ok(0) => return Err(RecurrenceError::IntervalZero),
            Ok(n) if n <= 10_000 => {}
            _ => return Err(bad("INTERVAL", i)),
        }
    }
    if get("COUNT").is_some() && get("UNTIL").is_some() {
        return Err(RecurrenceError::CountAndUntil);
    }
    if let Some(c) = get("COUNT") {
        match c.parse::<u64>() {
            Ok(n) if n >= 1 => {}
            _ => return Err(bad("COUNT", c)),
        }
    }
    if let Some(v) = get("BYMONTHDAY") {
        int_list("BYMONTHDAY", v, -31, 31, false)?;
    }
    if let Some(v) = get("BYYEARDAY") {
        int_list("BYYEARDAY", v, -366, 366, false)?;
    }
    if let Some(v) = get("BYWEEKNO") {
        int_list("BYWEEKNO", v, -53, 53, false)?;
    }
    if let Some(v) = get("BYMONTH") {
        int_list("BYMONTH", v, 1, 12, false)?;
    }
    if let Some(v) = get("BYHOUR") {
        int_list("BYHOUR", v, 0, 23, true)?;
    }
    if let Some(v) = get("BYMINUTE") {
        int_list("BYMINUTE", v, 0, 59, true)?;
    }
    if let Some(v) = get("BYSECOND") {
        int_list("BYSECOND", v, 0, 60, true)?;
    }
    if let Some(v) = get("BYSETPOS") {
        int_list("BYSETPOS", v, -366, 366, false)?;
        let others = [
            "BYSECOND",
            "BYMINUTE",
            "BYHOUR",
            "BYDAY",
            "BYMONTHDAY",
            "BYYEARDAY",
            "BYWEEKNO",
            "BYMONTH",
        ];
        if !others.iter().any(|k| get(k).is_some()) {
            return Err(RecurrenceError::SetPosAlone);
        }
    }
    if let Some(w) = get("WKST") {
        if !["MO", "TU", "WE", "TH", "FR", "SA", "SU"].contains(&w) {
            return Err(bad("WKST", w));
        }
    }
    if let Some(days) = get("BYDAY") {
        for d in days.split(',') {
            let d = d.trim();
            let (num, wd) = d.split_at(d.len().saturating_sub(2));
            if !["MO", "TU", "WE", "TH", "FR", "SA", "SU"].contains(&wd) {
                return Err(bad("BYDAY", days));
            }
            if !num.is_empty() {
                let n: i32 = num.parse().map_err(|_| bad("BYDAY", days))?;
                if n == 0 || n.abs() > 53 {
                    return Err(bad("BYDAY", days));
                }
                if !["MONTHLY", "YEARLY"].contains(&freq) {
                    return Err(RecurrenceError::OrdinalByDay);
                }
                if freq == "YEARLY" && get("BYWEEKNO").is_some() {
                    return Err(RecurrenceError::OrdinalByDay);
                }
            }
        }
    }
    let mut out: Vec<String> = Vec::with_capacity(seen.len());
    for (k, v) in &seen {
        if k == "UNTIL" {
            let local = parse_until(v, zone)?;
            // The crate expands floating times as if they were UTC.
            out.push(format!("UNTIL={}Z", local.format("%Y%m%dT%H%M%S")));
        } else {
            out.push(format!("{k}={v}"));
        }
    }
    Ok(out.join(";"))
}

/// The UNTIL of a checked rule (local wall time, written with `Z`).
fn until_of(checked: &str) -> Option<NaiveDateTime> {
    checked
        .split(';')
        .find_map(|p| p.strip_prefix("UNTIL="))
        .and_then(|u| NaiveDateTime::parse_from_str(u.trim_end_matches('Z'), "%Y%m%dT%H%M%S").ok())
}

/// The parts of a rule other than COUNT and UNTIL, as written.
fn parts_without_bounds(rule: &str) -> Vec<String> {
    rule.trim()
        .trim_start_matches("RRULE:")
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let k = p.split('=').next().unwrap_or_default().trim();
            !k.eq_ignore_ascii_case("COUNT") && !k.eq_ignore_ascii_case("UNTIL")
        })
        .map(str::to_string)
        .collect()
}

/// The rule of a series cut just before `at` (a local wall time): COUNT
/// and UNTIL give way to an UNTIL one second before `at`, in local time.
#[must_use]
pub fn rule_until(rule: &str, at: NaiveDateTime) -> String {
    let mut parts = parts_without_bounds(rule);
    parts.push(format!(
        "UNTIL={}",
        (at - Duration::seconds(1)).format("%Y%m%dT%H%M%S")
    ));
    parts.join(";")
}

/// The rule of the series from a split on, when `before` occurrences of
/// the rule came before the split: a COUNT shrinks by that many (to at
/// least 1); UNTIL and everything else stay.
#[must_use]
pub fn rule_from(rule: &str, before: usize) -> String {
    let rule = rule.trim().trim_start_matches("RRULE:");
    rule.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("COUNT") => {
                let n = v.trim().parse::<usize>().unwrap_or(1);
                format!("COUNT={}", n.saturating_sub(before).max(1))
            }
            _ => p.to_string(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// The instant of a local wall-clock time: in a gap, the offset before
/// the gap; when ambiguous, the first occurrence.
#[must_use]
pub fn resolve(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // The offset in force just before the gap (gaps last at most a
            // few hours; look back a day to be safe).
            let before = (1..=48)
                .map(|h| local - Duration::minutes(30 * h))
                .find_map(|t| match zone.from_local_datetime(&t) {
                    LocalResult::Single(x) => Some(x.offset().fix()),
                    LocalResult::Ambiguous(x, _) => Some(x.offset().fix()),
                    LocalResult::None => None,
                });
            match before {
                Some(off) => Utc.from_utc_datetime(
                    &(local - Duration::seconds(i64::from(off.local_minus_utc()))),
                ),
                None => Utc.from_utc_datetime(&local),
            }
        }
    }
}

use chrono::Offset;

impl Recurrence {
    /// # Errors
    /// The zone or the rule, with what is wrong.
    pub fn parse(
        tzid: &str,
        dtstart: NaiveDateTime,
        rrule: Option<&str>,
        exdates: &[NaiveDateTime],
        rdates: &[NaiveDateTime],
    ) -> Result<Self, RecurrenceError> {
        Self::parse_with(tzid, dtstart, rrule, exdates, rdates, true)
    }

    /// As `parse`; `fast` false always expands with the `rrule` crate (to
    /// compare the two in tests).
    ///
    /// # Errors
    /// As `parse`.
    pub(crate) fn parse_with(
        tzid: &str,
        dtstart: NaiveDateTime,
        rrule: Option<&str>,
        exdates: &[NaiveDateTime],
        rdates: &[NaiveDateTime],
        fast: bool,
    ) -> Result<Self, RecurrenceError> {
        let zone: Tz = tzid
            .trim()
            .parse()
            .map_err(|_| RecurrenceError::UnknownZone(tzid.to_string()))?;
        let rule = match rrule.map(str::trim).filter(|r| !r.is_empty()) {
            None => None,
            Some(r) => {
                let checked = check_rule(r, zone)?;
                if until_of(&checked).is_some_and(|u| u < dtstart) {
                    return Err(RecurrenceError::UntilBeforeStart);
                }
                // Let the crate check what is left (and fail here, not
                // later).
                let start = rrule::Tz::UTC
                    .from_local_datetime(&dtstart)
                    .single()
                    .ok_or_else(|| RecurrenceError::Rule("DTSTART".into()))?;
                let set = checked
                    .parse::<rrule::RRule<rrule::Unvalidated>>()
                    .map_err(|e| RecurrenceError::Rule(e.to_string()))?
                    .build(start)
                    .map_err(|e| RecurrenceError::Rule(e.to_string()))?;
                match FastRule::of(&checked, dtstart).filter(|_| fast) {
                    Some(f) => Some(Rule::Fast(f)),
                    None => Some(Rule::General(Box::new(set))),
                }
            }
        };
        Ok(Self {
            zone,
            dtstart,
            rule,
            exdates: exdates.iter().map(|e| resolve(zone, *e)).collect(),
            rdates: rdates.to_vec(),
        })
    }

    #[must_use]
    pub const fn zone(&self) -> Tz {
        self.zone
    }

    /// Occurrences whose instants lie in `[from, to]` (local times of the
    /// zone, inclusive), as instants, ascending and unique.
    ///
    /// # Errors
    /// A window that ends before it starts, more than `MAX_OCCURRENCES`
    /// occurrences, or a window too far from DTSTART to reach.
    pub fn instants_between(
        &self,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Result<Vec<DateTime<Utc>>, RecurrenceError> {
        if to < from {
            return Err(RecurrenceError::Window);
        }
        let (lo, hi) = (resolve(self.zone, from), resolve(self.zone, to));
        let mut found: Vec<DateTime<Utc>> = Vec::new();
        let add =
            |t: DateTime<Utc>, found: &mut Vec<DateTime<Utc>>| -> Result<(), RecurrenceError> {
                if t >= lo && t <= hi && !self.exdates.contains(&t) {
                    found.push(t);
                    // Rule occurrences are unique; RDATEs may repeat them.
                    if found.len() > MAX_OCCURRENCES + self.rdates.len() {
                        return Err(RecurrenceError::TooMany);
                    }
                }
                Ok(())
            };
        match &self.rule {
            None => add(resolve(self.zone, self.dtstart), &mut found)?,
            Some(rule) => {
                // Local times may shift by a DST offset: walk a day either
                // side of the window, and resolve only those.
                let (early, stop) = (from - Duration::days(1), to + Duration::days(1));
                match rule {
                    Rule::Fast(f) => {
                        let ran_out = f.walk(stop, MAX_STEPS, |local| {
                            if local >= early {
                                add(resolve(self.zone, local), &mut found)?;
                            }
                            Ok(())
                        })?;
                        if ran_out {
                            return Err(RecurrenceError::TooFar);
                        }
                    }
                    Rule::General(set) => {
                        for (steps, dt) in set.as_ref().into_iter().enumerate() {
                            let local = dt.naive_utc();
                            if local > stop {
                                break;
                            }
                            if steps >= MAX_STEPS {
                                return Err(RecurrenceError::TooFar);
                            }
                            if local >= early {
                                add(resolve(self.zone, local), &mut found)?;
                            }
                        }
                    }
                }
            }
        }
        for r in &self.rdates {
            add(resolve(self.zone, *r), &mut found)?;
        }
        found.sort_unstable();
        found.dedup();
        if found.len() > MAX_OCCURRENCES {
            return Err(RecurrenceError::TooMany);
        }
        Ok(found)
    }

    /// As `instants_between`, shown as local wall-clock times of the zone.
    ///
    /// # Errors
    /// As `instants_between`.
    pub fn occurrences_between(
        &self,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Result<Vec<NaiveDateTime>, RecurrenceError> {
        Ok(self
            .instants_between(from, to)?
            .into_iter()
            .map(|t| t.with_timezone(&self.zone).naive_local())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;
    use proptest::prelude::*;
    use rstest::rstest;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").unwrap()
    }

    fn occ(tz: &str, start: &str, rule: &str, from: &str, to: &str) -> Vec<String> {
        Recurrence::parse(tz, t(start), Some(rule), &[], &[])
            .unwrap()
            .occurrences_between(t(from), t(to))
            .unwrap()
            .iter()
            .map(|x| x.format("%Y-%m-%dT%H:%M:%S").to_string())
            .collect()
    }

    #[rstest]
    #[case(
        "FREQ=WEEKLY;BYDAY=TU",
        "2026-03-10T09:00:00",
        "FREQ=WEEKLY;BYDAY=TU;UNTIL=20260310T085959"
    )]
    #[case(
        "FREQ=WEEKLY;COUNT=10;BYDAY=TU",
        "2026-03-10T09:00:00",
        "FREQ=WEEKLY;BYDAY=TU;UNTIL=20260310T085959"
    )]
    #[case(
        "RRULE:FREQ=DAILY;UNTIL=20270101T000000Z",
        "2026-03-01T00:00:00",
        "FREQ=DAILY;UNTIL=20260228T235959"
    )]
    fn a_series_cut_before_a_time(#[case] rule: &str, #[case] at: &str, #[case] want: &str) {
        assert_eq!(rule_until(rule, t(at)), want);
    }

    #[rstest]
    #[case("FREQ=WEEKLY;COUNT=10;BYDAY=TU", 4, "FREQ=WEEKLY;COUNT=6;BYDAY=TU")]
    #[case("FREQ=WEEKLY;COUNT=3", 7, "FREQ=WEEKLY;COUNT=1")]
    #[case("FREQ=DAILY;UNTIL=20270101", 40, "FREQ=DAILY;UNTIL=20270101")]
    fn the_rest_of_a_series(#[case] rule: &str, #[case] before: usize, #[case] want: &str) {
        assert_eq!(rule_from(rule, before), want);
    }

    /// Splitting a series loses and doubles nothing: the two halves give
    /// exactly the occurrences of the whole.
    #[rstest]
    #[case(
        "2026-01-06T09:00:00",
        "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=20",
        "2026-02-10T09:00:00"
    )]
    #[case(
        "2026-01-31T09:00:00",
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        "2026-06-30T09:00:00"
    )]
    #[case("2026-03-01T02:30:00", "FREQ=DAILY;COUNT=40", "2026-03-20T02:30:00")]
    fn split_halves_make_the_whole(#[case] start: &str, #[case] rule: &str, #[case] at: &str) {
        let zone = "America/New_York";
        let whole = occ(
            zone,
            start,
            rule,
            "2026-01-01T00:00:00",
            "2027-12-31T00:00:00",
        );
        let before = whole.iter().filter(|x| x.as_str() < at).count();
        let head = occ(
            zone,
            start,
            &rule_until(rule, t(at)),
            "2026-01-01T00:00:00",
            "2027-12-31T00:00:00",
        );
        let tail = occ(
            zone,
            at,
            &rule_from(rule, before),
            "2026-01-01T00:00:00",
            "2027-12-31T00:00:00",
        );
        let mut both = head.clone();
        both.extend(tail);
        assert_eq!(both, whole);
        assert!(head.iter().all(|x| x.as_str() < at));
    }

    #[rstest]
    #[case("FREQ=WEEKLY;BYDAY=2TU", RecurrenceError::OrdinalByDay)]
    #[case("FREQ=WEEKLY;INTERVAL=0", RecurrenceError::IntervalZero)]
    #[case(
        "FREQ=DAILY;COUNT=3;UNTIL=20260401T000000Z",
        RecurrenceError::CountAndUntil
    )]
    #[case("FREQ=MONTHLY;BYMONTHDAY=0", RecurrenceError::MonthDayZero)]
    #[case("FREQ=MONTHLY;BYSETPOS=1", RecurrenceError::SetPosAlone)]
    #[case("INTERVAL=2", RecurrenceError::NoFreq)]
    #[case("FREQ=SECONDLY", RecurrenceError::Freq("SECONDLY".into()))]
    #[case("FREQ=DAILY;FOO=1", RecurrenceError::UnknownPart("FOO".into()))]
    #[case("FREQ=DAILY;FREQ=WEEKLY", RecurrenceError::Repeated("FREQ".into()))]
    #[case("FREQ=DAILY;COUNT=0", bad("COUNT", "0"))]
    #[case("FREQ=WEEKLY;BYDAY=XX", bad("BYDAY", "XX"))]
    #[case("FREQ=YEARLY;BYWEEKNO=20;BYDAY=1MO", RecurrenceError::OrdinalByDay)]
    fn refuses_rules_that_rfc_5545_forbids(#[case] rule: &str, #[case] err: RecurrenceError) {
        let r = Recurrence::parse(
            "Asia/Shanghai",
            t("2026-03-03T09:00:00"),
            Some(rule),
            &[],
            &[],
        );
        assert_eq!(r.err(), Some(err), "{rule}");
    }

    #[test]
    fn the_issue_example_tuesdays_and_thursdays_without_an_exdate() {
        let r = Recurrence::parse(
            "Asia/Shanghai",
            t("2026-03-03T09:00:00"),
            Some("FREQ=WEEKLY;BYDAY=TU,TH"),
            &[t("2026-03-10T09:00:00")],
            &[],
        )
        .unwrap();
        let got: Vec<String> = r
            .occurrences_between(t("2026-03-01T00:00:00"), t("2026-04-01T00:00:00"))
            .unwrap()
            .iter()
            .map(|x| x.format("%m-%d").to_string())
            .collect();
        assert_eq!(
            got,
            ["03-03", "03-05", "03-12", "03-17", "03-19", "03-24", "03-26", "03-31"]
        );
    }

    #[rstest]
    // Month ends: the 31st only in months that have one; -1 is the last day.
    #[case("2026-01-31T09:00:00", "FREQ=MONTHLY;COUNT=4", vec!["2026-01-31T09:00:00", "2026-03-31T09:00:00", "2026-05-31T09:00:00", "2026-07-31T09:00:00"])]
    #[case("2026-01-31T09:00:00", "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3", vec!["2026-01-31T09:00:00", "2026-02-28T09:00:00", "2026-03-31T09:00:00"])]
    // Leap day: only in leap years.
    #[case("2024-02-29T09:00:00", "FREQ=YEARLY;COUNT=2", vec!["2024-02-29T09:00:00", "2028-02-29T09:00:00"])]
    // The last working day of the month.
    #[case("2026-01-01T09:00:00", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3", vec!["2026-01-30T09:00:00", "2026-02-27T09:00:00", "2026-03-31T09:00:00"])]
    // The second Tuesday, monthly.
    #[case("2026-01-01T09:00:00", "FREQ=MONTHLY;BYDAY=2TU;COUNT=2", vec!["2026-01-13T09:00:00", "2026-02-10T09:00:00"])]
    // Every other week on Monday, with WKST changing which weeks count.
    #[case("2026-03-01T09:00:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;WKST=SU;COUNT=2", vec!["2026-03-02T09:00:00", "2026-03-16T09:00:00"])]
    #[case("2026-03-01T09:00:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;WKST=MO;COUNT=2", vec!["2026-03-09T09:00:00", "2026-03-23T09:00:00"])]
    fn expands_month_ends_leap_days_setpos_and_wkst(
        #[case] start: &str,
        #[case] rule: &str,
        #[case] expected: Vec<&str>,
    ) {
        assert_eq!(
            occ(
                "Asia/Shanghai",
                start,
                rule,
                "2020-01-01T00:00:00",
                "2030-12-31T00:00:00"
            ),
            expected,
            "{rule}"
        );
    }

    #[test]
    fn a_huge_count_costs_only_the_window() {
        let got = occ(
            "Asia/Shanghai",
            "2026-03-02T09:00:00",
            "FREQ=DAILY;COUNT=4000000000",
            "2026-03-01T00:00:00",
            "2026-03-07T23:59:59",
        );
        assert_eq!(got.len(), 6);
    }

    #[test]
    fn more_than_the_cap_is_refused() {
        let r = Recurrence::parse(
            "UTC",
            t("2026-01-01T00:00:00"),
            Some("FREQ=HOURLY"),
            &[],
            &[],
        )
        .unwrap();
        assert_eq!(
            r.occurrences_between(t("2026-01-01T00:00:00"), t("2027-01-01T00:00:00"))
                .err(),
            Some(RecurrenceError::TooMany)
        );
        assert_eq!(
            r.occurrences_between(t("2026-02-01T00:00:00"), t("2026-01-01T00:00:00"))
                .err(),
            Some(RecurrenceError::Window)
        );
    }

    #[test]
    fn an_rdate_on_a_rule_occurrence_is_emitted_once() {
        let r = Recurrence::parse(
            "Asia/Shanghai",
            t("2026-03-03T09:00:00"),
            Some("FREQ=WEEKLY;COUNT=2"),
            &[],
            &[t("2026-03-10T09:00:00"), t("2026-03-11T15:00:00")],
        )
        .unwrap();
        let got = r
            .occurrences_between(t("2026-03-01T00:00:00"), t("2026-03-31T00:00:00"))
            .unwrap();
        assert_eq!(
            got,
            vec![
                t("2026-03-03T09:00:00"),
                t("2026-03-10T09:00:00"),
                t("2026-03-11T15:00:00")
            ]
        );
    }

    #[test]
    fn a_start_in_a_dst_gap_takes_the_offset_before_the_gap() {
        // New York springs forward at 02:00 on 2026-03-08: 02:30 does not
        // exist; with the EST offset it is 07:30 UTC, shown as 03:30 EDT.
        let r = Recurrence::parse(
            "America/New_York",
            t("2026-03-07T02:30:00"),
            Some("FREQ=DAILY;COUNT=3"),
            &[],
            &[],
        )
        .unwrap();
        let inst = r
            .instants_between(t("2026-03-01T00:00:00"), t("2026-03-31T00:00:00"))
            .unwrap();
        assert_eq!(inst[1], Utc.with_ymd_and_hms(2026, 3, 8, 7, 30, 0).unwrap());
        let local = r
            .occurrences_between(t("2026-03-01T00:00:00"), t("2026-03-31T00:00:00"))
            .unwrap();
        assert_eq!(
            local,
            vec![
                t("2026-03-07T02:30:00"),
                t("2026-03-08T03:30:00"),
                t("2026-03-09T02:30:00")
            ]
        );
    }

    #[test]
    fn an_ambiguous_time_means_its_first_occurrence_and_exdates_match_it() {
        // New York falls back at 02:00 on 2026-11-01: 01:30 happens twice.
        let r = Recurrence::parse(
            "America/New_York",
            t("2026-10-31T01:30:00"),
            Some("FREQ=DAILY;COUNT=3"),
            &[],
            &[],
        )
        .unwrap();
        let inst = r
            .instants_between(t("2026-10-01T00:00:00"), t("2026-11-30T00:00:00"))
            .unwrap();
        assert_eq!(
            inst[1],
            Utc.with_ymd_and_hms(2026, 11, 1, 5, 30, 0).unwrap(),
            "EDT, the first"
        );
        let without = Recurrence::parse(
            "America/New_York",
            t("2026-10-31T01:30:00"),
            Some("FREQ=DAILY;COUNT=3"),
            &[t("2026-11-01T01:30:00")],
            &[],
        )
        .unwrap()
        .instants_between(t("2026-10-01T00:00:00"), t("2026-11-30T00:00:00"))
        .unwrap();
        assert_eq!(without.len(), 2);
    }

    #[test]
    fn until_in_utc_counts_on_the_local_date() {
        // 2026-03-31T17:00Z is 2026-04-01 01:00 in Shanghai: the visit at
        // 09:00 on 1 April is after UNTIL, the one on 31 March is not.
        let got = occ(
            "Asia/Shanghai",
            "2026-03-30T09:00:00",
            "FREQ=DAILY;UNTIL=20260331T170000Z",
            "2026-03-01T00:00:00",
            "2026-04-30T00:00:00",
        );
        assert_eq!(got, vec!["2026-03-30T09:00:00", "2026-03-31T09:00:00"]);
        let later = occ(
            "Asia/Shanghai",
            "2026-03-30T09:00:00",
            "FREQ=DAILY;UNTIL=20260401T010000Z",
            "2026-03-01T00:00:00",
            "2026-04-30T00:00:00",
        );
        assert_eq!(later.len(), 3, "01:00Z on 1 April is 09:00 in Shanghai");
    }

    #[test]
    fn unknown_zones_are_named() {
        assert_eq!(
            Recurrence::parse("Mars/Olympus", t("2026-01-01T00:00:00"), None, &[], &[]).err(),
            Some(RecurrenceError::UnknownZone("Mars/Olympus".into()))
        );
    }

    /// The rules the fast path takes, built from random parts.
    fn fast_rule() -> impl Strategy<Value = String> {
        let days =
            proptest::sample::subsequence(vec!["MO", "TU", "WE", "TH", "FR", "SA", "SU"], 0..=7);
        let wkst = proptest::sample::select(vec!["MO", "SU", "WE"]);
        let shape = prop_oneof![
            (1u32..4).prop_map(|i| format!("FREQ=DAILY;INTERVAL={i}")),
            (1u32..4, days.clone(), wkst).prop_map(|(i, d, w)| if d.is_empty() {
                format!("FREQ=WEEKLY;INTERVAL={i};WKST={w}")
            } else {
                format!("FREQ=WEEKLY;INTERVAL={i};BYDAY={};WKST={w}", d.join(","))
            }),
            (
                1u32..4,
                proptest::collection::vec(prop_oneof![1i32..=31, -31i32..=-1], 0..4)
            )
                .prop_map(|(i, d)| if d.is_empty() {
                    format!("FREQ=MONTHLY;INTERVAL={i}")
                } else {
                    format!(
                        "FREQ=MONTHLY;INTERVAL={i};BYMONTHDAY={}",
                        d.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                }),
            (
                1u32..3,
                proptest::collection::vec(
                    (
                        -5i32..=5,
                        proptest::sample::select(vec!["MO", "TU", "SA", "SU"])
                    ),
                    1..3
                )
            )
                .prop_map(|(i, d)| if d.iter().any(|x| x.0 == 0) {
                    (i, d.into_iter().map(|(_, w)| (0, w)).collect::<Vec<_>>())
                } else {
                    (i, d)
                })
                .prop_map(|(i, d)| format!(
                    "FREQ=MONTHLY;INTERVAL={i};BYDAY={}",
                    d.iter()
                        .map(|(n, w)| if *n == 0 {
                            (*w).to_string()
                        } else {
                            format!("{n}{w}")
                        })
                        .collect::<Vec<_>>()
                        .join(",")
                )),
        ];
        let bound = prop_oneof![
            Just(String::new()),
            (1u32..40).prop_map(|c| format!(";COUNT={c}")),
            (0i64..400, 0u32..24).prop_map(|(d, h)| format!(";UNTIL+{d}+{h}")),
        ];
        (shape, bound).prop_map(|(s, b)| format!("{s}{b}"))
    }

    proptest! {
        /// The fast path gives exactly what the `rrule` crate gives.
        #[test]
        fn the_fast_path_agrees_with_the_crate(
            rule in fast_rule(),
            start_day in 0i64..500,
            minute in 0i64..(24 * 60),
            from_day in -40i64..400,
            length in 0i64..400,
            ny in proptest::bool::ANY,
            ex in proptest::option::of(0i64..60),
        ) {
            let zone = if ny { "America/New_York" } else { "Asia/Shanghai" };
            let start = t("2025-06-01T00:00:00") + Duration::days(start_day) + Duration::minutes(minute);
            // UNTIL is drawn as days and an hour after the start.
            let rule = match rule.split_once(";UNTIL+") {
                Some((head, tail)) => {
                    let (d, h) = tail.split_once('+').unwrap();
                    let until = (start.date() + Duration::days(d.parse().unwrap()))
                        .and_hms_opt(h.parse().unwrap(), 0, 0)
                        .unwrap()
                        .max(start);
                    format!("{head};UNTIL={}", until.format("%Y%m%dT%H%M%S"))
                }
                None => rule,
            };
            let exdates: Vec<NaiveDateTime> = ex.map(|d| start + Duration::days(d)).into_iter().collect();
            let general = Recurrence::parse_with(zone, start, Some(&rule), &exdates, &[], false);
            // An UNTIL before the start is refused by both.
            prop_assume!(general.is_ok());
            let general = general.unwrap();
            let fast = Recurrence::parse_with(zone, start, Some(&rule), &exdates, &[], true).unwrap();
            prop_assert!(matches!(fast.rule, Some(Rule::Fast(_))), "{rule} not fast");
            let from = start + Duration::days(from_day);
            let to = from + Duration::days(length);
            prop_assert_eq!(
                fast.instants_between(from, to).ok(),
                general.instants_between(from, to).ok(),
                "{} from {}", rule, start
            );
        }

        #[test]
        fn occurrences_are_sorted_unique_inside_the_window_and_respect_count_and_exdates(
            days in 0i64..400,
            count in 1u32..60,
            interval in 1u32..4,
            from_offset in 0i64..200,
            len in 1i64..200,
            ex in 0usize..10,
            freq in prop::sample::select(vec!["DAILY", "WEEKLY", "MONTHLY"]),
        ) {
            // Days 29-31 are skipped in shorter months (RFC 5545), which
            // would stretch COUNT beyond any fixed window: start by the 28th.
            let start = t("2025-01-01T09:00:00") + Duration::days(days);
            let start = start.with_day(start.day().min(28)).unwrap();
            let rule = format!("FREQ={freq};INTERVAL={interval};COUNT={count}");
            let all = Recurrence::parse("Asia/Shanghai", start, Some(&rule), &[], &[]).unwrap()
                .occurrences_between(t("2024-01-01T00:00:00"), t("2045-01-01T00:00:00")).unwrap();
            prop_assert_eq!(all.len(), count as usize);
            let exdate = all[ex.min(all.len() - 1)];
            let r = Recurrence::parse("Asia/Shanghai", start, Some(&rule), &[exdate], &[]).unwrap();
            let from = start + Duration::days(from_offset);
            let to = from + Duration::days(len);
            let got = r.occurrences_between(from, to).unwrap();
            prop_assert!(got.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(got.iter().all(|x| *x >= from && *x <= to));
            prop_assert!(!got.contains(&exdate));
            prop_assert!(got.iter().all(|x| all.contains(x)));
        }
    }
}

#[cfg(test)]
mod message_tests {
    use super::*;
    use rstest::rstest;

    /// Every refused rule has a translated message of its own; the
    /// crate's text never decides what the user reads.
    #[rstest]
    #[case(
        "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261101",
        "error-rrule-until-before-start"
    )]
    #[case(
        "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261201T085959",
        "error-rrule-until-before-start"
    )]
    #[case("FREQ=WEEKLY;BYDAY=2TU", "error-rrule-ordinal-byday")]
    #[case("garbage", "error-rrule-part")]
    #[case("FREQ=FORTNIGHTLY", "error-rrule-freq")]
    #[case("BYDAY=MO", "error-rrule-freq")]
    #[case("FREQ=WEEKLY;BYDAY=XX", "error-rrule-value")]
    #[case("FREQ=WEEKLY;INTERVAL=0", "error-rrule-value")]
    #[case("FREQ=MONTHLY;BYMONTHDAY=0", "error-rrule-value")]
    #[case("FREQ=WEEKLY;COUNT=3;UNTIL=20270101", "error-rrule-count-and-until")]
    #[case("FREQ=MONTHLY;BYSETPOS=1", "error-rrule-setpos")]
    #[case("FREQ=WEEKLY;FREQ=DAILY", "error-rrule-part")]
    fn a_refused_rule_names_what_to_change(#[case] rule: &str, #[case] key: &str) {
        let start =
            NaiveDateTime::parse_from_str("2026-12-01T09:00:00", "%Y-%m-%dT%H:%M:%S").unwrap();
        let err = Recurrence::parse("Asia/Shanghai", start, Some(rule), &[], &[]).unwrap_err();
        assert_eq!(err.message_key(), key, "{rule}: {err}");
    }

    #[test]
    fn an_until_on_the_start_day_after_the_start_is_fine() {
        let start =
            NaiveDateTime::parse_from_str("2026-12-01T09:00:00", "%Y-%m-%dT%H:%M:%S").unwrap();
        assert!(Recurrence::parse(
            "Asia/Shanghai",
            start,
            Some("FREQ=DAILY;UNTIL=20261201"),
            &[],
            &[]
        )
        .is_ok());
    }
}
