//! The plan form's common patterns, turned into RRULEs so that nobody has
//! to write one: weekly on chosen weekdays (every N weeks), monthly on day
//! N, monthly on the Nth or last weekday, daily for N days; or a raw rule.
use chrono::NaiveDate;

pub const WEEKDAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// Every `interval` weeks on the given weekdays (`MO`..`SU`).
    Weekly { days: Vec<String>, interval: u32 },
    /// Monthly on day `day` (1-31, or -1 for the last day).
    MonthlyDay { day: i32 },
    /// Monthly on the `nth` (1-4, or -1 for last) `weekday`.
    MonthlyNth { nth: i32, weekday: String },
    /// Every day for `count` days.
    Daily { count: u32 },
    /// A rule written by hand.
    Raw(String),
    /// No rule: the start (and any extra dates) only.
    Once,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("choose at least one weekday")]
    NoWeekday,
    #[error("not a valid number for this pattern")]
    Number,
    #[error("choose a pattern")]
    Unknown,
}

impl PatternError {
    #[must_use]
    pub const fn message_key(self) -> &'static str {
        match self {
            Self::NoWeekday => "error-choose-weekdays",
            Self::Number => "error-pattern-number",
            Self::Unknown => "error-choose-pattern",
        }
    }
}

impl Pattern {
    /// Reads the form's pattern fields.
    ///
    /// # Errors
    /// A missing weekday, a number out of range or an unknown pattern.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        kind: &str,
        weekdays: &[String],
        interval: Option<&str>,
        month_day: Option<&str>,
        nth: Option<&str>,
        nth_weekday: Option<&str>,
        days: Option<&str>,
        raw: Option<&str>,
    ) -> Result<Self, PatternError> {
        let num = |s: Option<&str>, lo: i32, hi: i32, default: i32| -> Result<i32, PatternError> {
            match s.map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(default),
                Some(s) => match s.parse::<i32>() {
                    Ok(n) if (lo..=hi).contains(&n) && n != 0 => Ok(n),
                    _ => Err(PatternError::Number),
                },
            }
        };
        match kind.trim() {
            "weekly" => {
                let days: Vec<String> = WEEKDAYS
                    .iter()
                    .filter(|d| weekdays.iter().any(|w| w.trim().eq_ignore_ascii_case(d)))
                    .map(|d| (*d).to_string())
                    .collect();
                if days.is_empty() {
                    return Err(PatternError::NoWeekday);
                }
                let interval =
                    u32::try_from(num(interval, 1, 52, 1)?).map_err(|_| PatternError::Number)?;
                Ok(Self::Weekly { days, interval })
            }
            "monthly_day" => Ok(Self::MonthlyDay {
                day: num(month_day, -1, 31, 1)?,
            }),
            "monthly_nth" => {
                let weekday = nth_weekday
                    .map(|w| w.trim().to_ascii_uppercase())
                    .filter(|w| WEEKDAYS.contains(&w.as_str()))
                    .ok_or(PatternError::NoWeekday)?;
                Ok(Self::MonthlyNth {
                    nth: num(nth, -1, 4, 1)?,
                    weekday,
                })
            }
            "daily" => Ok(Self::Daily {
                count: u32::try_from(num(days, 1, 366, 7)?).map_err(|_| PatternError::Number)?,
            }),
            "raw" => Ok(Self::Raw(raw.unwrap_or_default().trim().to_string())),
            "once" => Ok(Self::Once),
            _ => Err(PatternError::Unknown),
        }
    }

    /// The RRULE, ending on `until` (inclusive, local) when given.
    #[must_use]
    pub fn rrule(&self, until: Option<NaiveDate>) -> String {
        let mut rule = match self {
            Self::Weekly { days, interval } => {
                let mut r = format!("FREQ=WEEKLY;BYDAY={}", days.join(","));
                if *interval > 1 {
                    r = format!("FREQ=WEEKLY;INTERVAL={interval};BYDAY={}", days.join(","));
                }
                r
            }
            Self::MonthlyDay { day } => format!("FREQ=MONTHLY;BYMONTHDAY={day}"),
            Self::MonthlyNth { nth, weekday } => format!("FREQ=MONTHLY;BYDAY={nth}{weekday}"),
            Self::Daily { count } => return format!("FREQ=DAILY;COUNT={count}"),
            Self::Raw(r) => r.clone(),
            Self::Once => return String::new(),
        };
        if let Some(u) = until {
            if !rule.contains("UNTIL=") && !rule.contains("COUNT=") {
                rule.push_str(&format!(";UNTIL={}T235959", u.format("%Y%m%d")));
            }
        }
        rule
    }
}

impl Pattern {
    /// The pattern (and end date) the form would make `rule` from, when it
    /// could have made it exactly; `None` for any other rule (the form
    /// shows it as a custom rule).
    #[must_use]
    pub fn of_rule(rule: Option<&str>) -> Option<(Self, Option<NaiveDate>)> {
        let Some(rule) = rule.map(str::trim).filter(|r| !r.is_empty()) else {
            return Some((Self::Once, None));
        };
        let rule = rule.trim_start_matches("RRULE:").to_ascii_uppercase();
        let get = |k: &str| {
            rule.split(';')
                .find_map(|p| p.trim().strip_prefix(k)?.strip_prefix('='))
                .map(str::trim)
        };
        let until = match get("UNTIL") {
            None => None,
            Some(u) => Some(NaiveDate::parse_from_str(u.get(..8)?, "%Y%m%d").ok()?),
        };
        let candidate = match get("FREQ")? {
            "WEEKLY" => Self::Weekly {
                days: get("BYDAY")?
                    .split(',')
                    .map(|d| d.trim().to_string())
                    .collect(),
                interval: get("INTERVAL").map_or(Some(1), |i| i.parse().ok())?,
            },
            "MONTHLY" => match (get("BYMONTHDAY"), get("BYDAY")) {
                (Some(d), None) => Self::MonthlyDay {
                    day: d.parse().ok()?,
                },
                (None, Some(d)) => {
                    let (n, wd) = d.split_at(d.len().checked_sub(2)?);
                    Self::MonthlyNth {
                        nth: n.parse().ok()?,
                        weekday: wd.to_string(),
                    }
                }
                _ => return None,
            },
            "DAILY" => Self::Daily {
                count: get("COUNT")?.parse().ok()?,
            },
            _ => return None,
        };
        // Only a rule the form makes, exactly (same order, same values).
        (candidate.rrule(until) == rule).then_some((candidate, until))
    }
}

#[cfg(test)]
#[allow(clippy::too_many_arguments)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_string()).collect()
    }

    #[rstest]
    #[case("weekly", s(&["tu", "TH"]), None, None, None, None, None, "FREQ=WEEKLY;BYDAY=TU,TH")]
    #[case("weekly", s(&["MO"]), Some("2"), None, None, None, None, "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO")]
    #[case("monthly_day", vec![], None, Some("15"), None, None, None, "FREQ=MONTHLY;BYMONTHDAY=15")]
    #[case("monthly_day", vec![], None, Some("-1"), None, None, None, "FREQ=MONTHLY;BYMONTHDAY=-1")]
    #[case("monthly_nth", vec![], None, None, Some("2"), Some("tu"), None, "FREQ=MONTHLY;BYDAY=2TU")]
    #[case("monthly_nth", vec![], None, None, Some("-1"), Some("FR"), None, "FREQ=MONTHLY;BYDAY=-1FR")]
    #[case("daily", vec![], None, None, None, None, Some("10"), "FREQ=DAILY;COUNT=10")]
    fn patterns_become_rules(
        #[case] kind: &str,
        #[case] weekdays: Vec<String>,
        #[case] interval: Option<&str>,
        #[case] month_day: Option<&str>,
        #[case] nth: Option<&str>,
        #[case] nth_weekday: Option<&str>,
        #[case] days: Option<&str>,
        #[case] expected: &str,
    ) {
        let p = Pattern::parse(
            kind,
            &weekdays,
            interval,
            month_day,
            nth,
            nth_weekday,
            days,
            None,
        )
        .unwrap();
        assert_eq!(p.rrule(None), expected);
    }

    #[test]
    fn an_end_date_becomes_a_local_until_except_with_a_count() {
        let until = NaiveDate::from_ymd_opt(2026, 6, 30);
        let weekly = Pattern::Weekly {
            days: s(&["MO"]),
            interval: 1,
        };
        assert_eq!(
            weekly.rrule(until),
            "FREQ=WEEKLY;BYDAY=MO;UNTIL=20260630T235959"
        );
        assert_eq!(
            Pattern::Daily { count: 3 }.rrule(until),
            "FREQ=DAILY;COUNT=3"
        );
    }

    #[test]
    fn bad_choices_are_named() {
        assert_eq!(
            Pattern::parse("weekly", &[], None, None, None, None, None, None),
            Err(PatternError::NoWeekday)
        );
        assert_eq!(
            Pattern::parse("monthly_day", &[], None, Some("0"), None, None, None, None),
            Err(PatternError::Number)
        );
        assert_eq!(
            Pattern::parse(
                "monthly_nth",
                &[],
                None,
                None,
                Some("5"),
                Some("MO"),
                None,
                None
            ),
            Err(PatternError::Number)
        );
        assert_eq!(
            Pattern::parse("yearly", &[], None, None, None, None, None, None),
            Err(PatternError::Unknown)
        );
    }

    #[rstest]
    #[case(Pattern::Weekly { days: s(&["TU", "TH"]), interval: 1 }, None)]
    #[case(Pattern::Weekly { days: s(&["MO"]), interval: 2 }, NaiveDate::from_ymd_opt(2027, 3, 31))]
    #[case(Pattern::MonthlyDay { day: 15 }, None)]
    #[case(Pattern::MonthlyDay { day: -1 }, NaiveDate::from_ymd_opt(2027, 6, 30))]
    #[case(Pattern::MonthlyNth { nth: 2, weekday: "WE".into() }, None)]
    #[case(Pattern::MonthlyNth { nth: -1, weekday: "FR".into() }, NaiveDate::from_ymd_opt(2027, 1, 1))]
    #[case(Pattern::Daily { count: 10 }, None)]
    fn every_rule_the_form_makes_reads_back_as_its_pattern(
        #[case] p: Pattern,
        #[case] until: Option<NaiveDate>,
    ) {
        let rule = p.rrule(until);
        assert_eq!(Pattern::of_rule(Some(&rule)), Some((p, until)), "{rule}");
    }

    #[rstest]
    #[case("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1")]
    #[case("FREQ=WEEKLY;BYDAY=TU;UNTIL=20270101T000000Z")]
    #[case("FREQ=WEEKLY")]
    #[case("FREQ=DAILY")]
    #[case("FREQ=YEARLY")]
    #[case("FREQ=MONTHLY;BYMONTHDAY=1,15")]
    #[case("garbage")]
    fn other_rules_stay_custom(#[case] rule: &str) {
        assert_eq!(Pattern::of_rule(Some(rule)), None, "{rule}");
    }

    #[test]
    fn no_rule_is_once() {
        assert_eq!(Pattern::of_rule(None), Some((Pattern::Once, None)));
    }
}
