//! A plan's recurrence in plain words, in Chinese and English:
//! `FREQ=WEEKLY;BYDAY=TU,TH` at 09:00 reads 每周二、四 09:00 / Every Tue
//! and Thu at 09:00. The shapes the plan form makes (`plan_pattern`) are
//! read exactly; a rule only the API or an import can make ("hidden")
//! reads as a custom rule with its frequency and ending, never as the raw
//! RRULE. Also the local dates and times the plan pages show
//! (2026年12月3日 09:00 / 3 Dec 2026 09:00).
use super::locale::Locale;
use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A local date: 2026年12月3日 / 3 Dec 2026.
#[must_use]
pub fn local_date(d: NaiveDate, lang: Locale) -> String {
    match lang {
        Locale::ZhCn => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        Locale::En => format!(
            "{} {} {}",
            d.day(),
            MONTHS_EN[d.month0() as usize],
            d.year()
        ),
    }
}

/// A local date and time: 2026年12月3日 09:00 / 3 Dec 2026 09:00.
#[must_use]
pub fn local_datetime(t: NaiveDateTime, lang: Locale) -> String {
    format!("{} {}", local_date(t.date(), lang), t.format("%H:%M"))
}

/// A date within the coming year, with its weekday: 12月3日 周四 / Thu 3 Dec.
#[must_use]
pub fn day_and_weekday(d: NaiveDate, lang: Locale) -> String {
    match lang {
        Locale::ZhCn => format!("{}月{}日 周{}", d.month(), d.day(), weekday_zh(d.weekday())),
        Locale::En => format!(
            "{} {} {}",
            weekday_en(d.weekday()),
            d.day(),
            MONTHS_EN[d.month0() as usize]
        ),
    }
}

/// An instant on a zone's clock, as [`local_datetime`].
#[must_use]
pub fn instant(t: chrono::DateTime<Utc>, zone: Tz, lang: Locale) -> String {
    local_datetime(t.with_timezone(&zone).naive_local(), lang)
}

const fn weekday_zh(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "一",
        Weekday::Tue => "二",
        Weekday::Wed => "三",
        Weekday::Thu => "四",
        Weekday::Fri => "五",
        Weekday::Sat => "六",
        Weekday::Sun => "日",
    }
}

const fn weekday_en(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Mon",
        Weekday::Tue => "Tue",
        Weekday::Wed => "Wed",
        Weekday::Thu => "Thu",
        Weekday::Fri => "Fri",
        Weekday::Sat => "Sat",
        Weekday::Sun => "Sun",
    }
}

const fn weekday_en_long(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

fn weekday_of(code: &str) -> Option<Weekday> {
    Some(match code {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return None,
    })
}

/// 1..=10 in Chinese numerals (2 as 两, as in 每两周); larger in digits.
fn zh_number(n: u32) -> String {
    const D: [&str; 11] = [
        "零", "一", "两", "三", "四", "五", "六", "七", "八", "九", "十",
    ];
    D.get(n as usize)
        .map_or_else(|| n.to_string(), |s| (*s).to_string())
}

fn en_ordinal(n: i32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn en_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// What the rule repeats on, when the words can say it exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    Daily,
    Weekly(Vec<Weekday>),
    /// Day of the month, or -1 for the last day.
    MonthDay(i32),
    /// The nth (1-5, or -1 for last) weekday of the month.
    MonthNth(i32, Weekday),
    Yearly(u32, u32),
}

/// How a series ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Never,
    Count(u64),
    Until(NaiveDate),
}

/// A rule read for words: its frequency word, and the shape when known.
struct Reading {
    freq: Option<String>,
    interval: u32,
    shape: Option<Shape>,
    ending: Ending,
}

fn until_date(v: &str, zone: Tz) -> Option<NaiveDate> {
    if let Some(utc) = v.strip_suffix('Z') {
        let t = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").ok()?;
        return Some(Utc.from_utc_datetime(&t).with_timezone(&zone).date_naive());
    }
    if v.len() == 8 {
        return NaiveDate::parse_from_str(v, "%Y%m%d").ok();
    }
    NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S")
        .ok()
        .map(|t| t.date())
}

fn read(rule: &str, dtstart: NaiveDateTime, zone: Tz) -> Reading {
    let mut parts: Vec<(String, String)> = Vec::new();
    let mut clean = true;
    for part in rule
        .trim()
        .trim_start_matches("RRULE:")
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match part.split_once('=') {
            Some((k, v)) => {
                parts.push((k.trim().to_ascii_uppercase(), v.trim().to_ascii_uppercase()))
            }
            None => clean = false,
        }
    }
    let get = |k: &str| parts.iter().find(|(s, _)| s == k).map(|(_, v)| v.as_str());
    let freq = get("FREQ").map(str::to_string);
    let interval = match get("INTERVAL").map(str::parse::<u32>) {
        None => Some(1),
        Some(Ok(n)) if n >= 1 => Some(n),
        Some(_) => None,
    };
    let ending = match (get("COUNT"), get("UNTIL")) {
        (Some(c), None) => c.parse().ok().map(Ending::Count),
        (None, Some(u)) => until_date(u, zone).map(Ending::Until),
        (None, None) => Some(Ending::Never),
        (Some(_), Some(_)) => None,
    };
    let known = [
        "FREQ",
        "INTERVAL",
        "COUNT",
        "UNTIL",
        "BYDAY",
        "BYMONTHDAY",
        "WKST",
    ];
    let repeated = parts
        .iter()
        .enumerate()
        .any(|(i, (k, _))| parts[..i].iter().any(|(s, _)| s == k));
    clean = clean && !repeated && parts.iter().all(|(k, _)| known.contains(&k.as_str()));
    let days: Option<Vec<(Option<i32>, Weekday)>> = get("BYDAY").map_or(Some(Vec::new()), |v| {
        v.split(',')
            .map(|d| {
                let d = d.trim();
                let (num, wd) = d.split_at(d.len().saturating_sub(2));
                let wd = weekday_of(wd)?;
                if num.is_empty() {
                    Some((None, wd))
                } else {
                    num.trim_start_matches('+')
                        .parse()
                        .ok()
                        .map(|n| (Some(n), wd))
                }
            })
            .collect()
    });
    let month_days: Option<Vec<i32>> = get("BYMONTHDAY").map_or(Some(Vec::new()), |v| {
        v.split(',').map(|d| d.trim().parse().ok()).collect()
    });
    let shape = match (clean, freq.as_deref(), days, month_days) {
        (true, Some(f), Some(days), Some(month_days)) => match f {
            "DAILY" if days.is_empty() && month_days.is_empty() => Some(Shape::Daily),
            "WEEKLY" if month_days.is_empty() && days.iter().all(|(n, _)| n.is_none()) => {
                let mut list: Vec<Weekday> = if days.is_empty() {
                    vec![dtstart.weekday()]
                } else {
                    days.iter().map(|(_, d)| *d).collect()
                };
                list.sort_by_key(Weekday::num_days_from_monday);
                list.dedup();
                Some(Shape::Weekly(list))
            }
            "MONTHLY" => match (days.as_slice(), month_days.as_slice()) {
                ([], []) => Some(Shape::MonthDay(i32::try_from(dtstart.day()).unwrap_or(1))),
                ([], [d]) if *d == -1 || (1..=31).contains(d) => Some(Shape::MonthDay(*d)),
                ([(Some(n), wd)], []) if *n == -1 || (1..=5).contains(n) => {
                    Some(Shape::MonthNth(*n, *wd))
                }
                _ => None,
            },
            "YEARLY" if days.is_empty() && month_days.is_empty() => {
                Some(Shape::Yearly(dtstart.month(), dtstart.day()))
            }
            _ => None,
        },
        _ => None,
    };
    match (interval, ending) {
        (Some(interval), Some(ending)) => Reading {
            freq,
            interval,
            shape,
            ending,
        },
        _ => Reading {
            freq,
            interval: 1,
            shape: None,
            ending: ending.unwrap_or(Ending::Never),
        },
    }
}

fn zh_nth(n: i32) -> String {
    if n == -1 {
        "最后一个".into()
    } else {
        format!("第{}个", zh_number(n.unsigned_abs()).replace('两', "二"))
    }
}

fn en_nth(n: i32) -> &'static str {
    match n {
        1 => "first",
        2 => "second",
        3 => "third",
        4 => "fourth",
        5 => "fifth",
        _ => "last",
    }
}

fn zh_words(r: &Reading, shape: &Shape, time: &str) -> String {
    let every = |unit: &str| {
        if r.interval == 1 {
            format!("每{unit}")
        } else {
            format!("每{}{unit}", zh_number(r.interval))
        }
    };
    let what = match shape {
        Shape::Daily => every("天"),
        Shape::Weekly(days) => {
            let list: Vec<&str> = days.iter().map(|d| weekday_zh(*d)).collect();
            if r.interval == 1 {
                format!("每周{}", list.join("、"))
            } else {
                format!("{}周{}", every("周"), list.join("、"))
            }
        }
        Shape::MonthDay(d) => {
            let day = if *d == -1 {
                "最后一天".to_string()
            } else {
                format!("{d}日")
            };
            if r.interval == 1 {
                format!("每月{day}")
            } else {
                format!("{}的{day}", every("个月"))
            }
        }
        Shape::MonthNth(n, wd) => {
            let day = format!("{}星期{}", zh_nth(*n), weekday_zh(*wd));
            if r.interval == 1 {
                format!("每月{day}")
            } else {
                format!("{}的{day}", every("个月"))
            }
        }
        Shape::Yearly(m, d) => format!("{}{m}月{d}日", every("年")),
    };
    format!("{what} {time}")
}

fn en_words(r: &Reading, shape: &Shape, time: &str) -> String {
    let every = |one: &str, many: &str| {
        if r.interval == 1 {
            one.to_string()
        } else {
            format!("Every {} {many}", r.interval)
        }
    };
    let what = match shape {
        Shape::Daily => every("Every day", "days"),
        Shape::Weekly(days) => {
            let list: Vec<&str> = days.iter().map(|d| weekday_en(*d)).collect();
            if r.interval == 1 {
                format!("Every {}", en_list(&list))
            } else {
                format!("Every {} weeks on {}", r.interval, en_list(&list))
            }
        }
        Shape::MonthDay(d) => {
            let day = if *d == -1 {
                "the last day".to_string()
            } else {
                format!("the {}", en_ordinal(*d))
            };
            format!("{} on {day}", every("Monthly", "months"))
        }
        Shape::MonthNth(n, wd) => format!(
            "{} on the {} {}",
            every("Monthly", "months"),
            en_nth(*n),
            weekday_en_long(*wd)
        ),
        Shape::Yearly(m, d) => format!(
            "{} on {d} {}",
            every("Every year", "years"),
            MONTHS_EN[(*m as usize).saturating_sub(1) % 12]
        ),
    };
    format!("{what} at {time}")
}

fn hidden_words(freq: Option<&str>, lang: Locale) -> String {
    let (zh, en) = match freq {
        Some("YEARLY") => ("按年", "yearly"),
        Some("MONTHLY") => ("按月", "monthly"),
        Some("WEEKLY") => ("按周", "weekly"),
        Some("DAILY") => ("按天", "daily"),
        Some("HOURLY") => ("按小时", "hourly"),
        _ => ("", ""),
    };
    match lang {
        Locale::ZhCn if zh.is_empty() => "自定义重复规则".into(),
        Locale::ZhCn => format!("自定义重复规则（{zh}重复）"),
        Locale::En if en.is_empty() => "Custom repeat rule".into(),
        Locale::En => format!("Custom repeat rule (repeats {en})"),
    }
}

fn ending_words(e: Ending, lang: Locale) -> String {
    match (e, lang) {
        (Ending::Never, _) => String::new(),
        (Ending::Count(n), Locale::ZhCn) => format!("，共{n}次"),
        (Ending::Count(1), Locale::En) => ", once".into(),
        (Ending::Count(n), Locale::En) => format!(", {n} times"),
        (Ending::Until(d), Locale::ZhCn) => format!("，至{}", local_date(d, lang)),
        (Ending::Until(d), Locale::En) => format!(", until {}", local_date(d, lang)),
    }
}

/// A plan's rule and start, in plain words: 每周二、四 09:00，至2027年3月31日
/// / Every Tue and Thu at 09:00, until 31 Mar 2027. No rule reads as a
/// single visit with its date; a rule the words cannot say exactly reads
/// as a custom rule with its frequency.
#[must_use]
pub fn describe(rrule: Option<&str>, dtstart: NaiveDateTime, zone: Tz, lang: Locale) -> String {
    let Some(rule) = rrule.map(str::trim).filter(|r| !r.is_empty()) else {
        return match lang {
            Locale::ZhCn => format!("仅一次：{}", local_datetime(dtstart, lang)),
            Locale::En => format!(
                "Once, {} at {}",
                local_date(dtstart.date(), lang),
                dtstart.format("%H:%M")
            ),
        };
    };
    let r = read(rule, dtstart, zone);
    let time = dtstart.format("%H:%M").to_string();
    let words = match (&r.shape, lang) {
        (Some(s), Locale::ZhCn) => zh_words(&r, s, &time),
        (Some(s), Locale::En) => en_words(&r, s, &time),
        (None, _) => hidden_words(r.freq.as_deref(), lang),
    };
    format!("{words}{}", ending_words(r.ending, lang))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::plan_pattern::Pattern;
    use rstest::rstest;

    fn start(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap()
    }

    fn words(rule: Option<&str>, at: &str) -> (String, String) {
        let zone: Tz = "Asia/Shanghai".parse().unwrap();
        (
            describe(rule, start(at), zone, Locale::ZhCn),
            describe(rule, start(at), zone, Locale::En),
        )
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_string()).collect()
    }

    /// Every pattern the plan form offers, made by `Pattern::rrule` as the
    /// form makes it, with and without an end date.
    #[rstest]
    #[case(Pattern::Weekly { days: s(&["TU", "TH"]), interval: 1 }, None, "2026-12-01T09:00",
        "每周二、四 09:00", "Every Tue and Thu at 09:00")]
    #[case(Pattern::Weekly { days: s(&["MO"]), interval: 1 }, None, "2026-12-07T09:00",
        "每周一 09:00", "Every Mon at 09:00")]
    #[case(Pattern::Weekly { days: s(&["MO", "WE", "FR"]), interval: 1 }, None, "2026-12-07T08:30",
        "每周一、三、五 08:30", "Every Mon, Wed and Fri at 08:30")]
    #[case(Pattern::Weekly { days: s(&["MO"]), interval: 2 }, None, "2026-12-07T09:00",
        "每两周周一 09:00", "Every 2 weeks on Mon at 09:00")]
    #[case(Pattern::Weekly { days: s(&["MO", "TH"]), interval: 3 }, None, "2026-12-07T09:00",
        "每三周周一、四 09:00", "Every 3 weeks on Mon and Thu at 09:00")]
    #[case(Pattern::Weekly { days: s(&["SA", "SU"]), interval: 12 }, None, "2026-12-05T10:00",
        "每12周周六、日 10:00", "Every 12 weeks on Sat and Sun at 10:00")]
    #[case(Pattern::Weekly { days: s(&["TU", "TH"]), interval: 1 }, Some((2027, 3, 31)), "2026-12-01T09:00",
        "每周二、四 09:00，至2027年3月31日", "Every Tue and Thu at 09:00, until 31 Mar 2027")]
    #[case(Pattern::MonthlyDay { day: 15 }, None, "2026-12-15T09:00",
        "每月15日 09:00", "Monthly on the 15th at 09:00")]
    #[case(Pattern::MonthlyDay { day: 1 }, None, "2026-12-01T09:00",
        "每月1日 09:00", "Monthly on the 1st at 09:00")]
    #[case(Pattern::MonthlyDay { day: 22 }, None, "2026-12-22T09:00",
        "每月22日 09:00", "Monthly on the 22nd at 09:00")]
    #[case(Pattern::MonthlyDay { day: 13 }, None, "2026-12-13T09:00",
        "每月13日 09:00", "Monthly on the 13th at 09:00")]
    #[case(Pattern::MonthlyDay { day: -1 }, Some((2027, 6, 30)), "2026-12-31T16:00",
        "每月最后一天 16:00，至2027年6月30日", "Monthly on the last day at 16:00, until 30 Jun 2027")]
    #[case(Pattern::MonthlyNth { nth: -1, weekday: "FR".into() }, None, "2026-12-25T14:00",
        "每月最后一个星期五 14:00", "Monthly on the last Friday at 14:00")]
    #[case(Pattern::MonthlyNth { nth: 2, weekday: "WE".into() }, None, "2026-12-09T09:00",
        "每月第二个星期三 09:00", "Monthly on the second Wednesday at 09:00")]
    #[case(Pattern::MonthlyNth { nth: 1, weekday: "MO".into() }, None, "2026-12-07T09:00",
        "每月第一个星期一 09:00", "Monthly on the first Monday at 09:00")]
    #[case(Pattern::MonthlyNth { nth: 3, weekday: "SU".into() }, None, "2026-12-20T09:00",
        "每月第三个星期日 09:00", "Monthly on the third Sunday at 09:00")]
    #[case(Pattern::MonthlyNth { nth: 4, weekday: "SA".into() }, None, "2026-12-26T09:00",
        "每月第四个星期六 09:00", "Monthly on the fourth Saturday at 09:00")]
    #[case(Pattern::Daily { count: 10 }, None, "2026-12-03T09:00",
        "每天 09:00，共10次", "Every day at 09:00, 10 times")]
    #[case(Pattern::Daily { count: 1 }, Some((2027, 1, 1)), "2026-12-03T09:00",
        "每天 09:00，共1次", "Every day at 09:00, once")]
    #[case(
        Pattern::Once,
        None,
        "2026-12-03T09:00",
        "仅一次：2026年12月3日 09:00",
        "Once, 3 Dec 2026 at 09:00"
    )]
    fn every_pattern_of_the_form_reads_in_plain_words(
        #[case] pattern: Pattern,
        #[case] until: Option<(i32, u32, u32)>,
        #[case] at: &str,
        #[case] zh: &str,
        #[case] en: &str,
    ) {
        let until = until.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d));
        let rule = pattern.rrule(until);
        let (got_zh, got_en) = words(Some(rule.as_str()), at);
        assert_eq!(got_zh, zh, "{rule}");
        assert_eq!(got_en, en, "{rule}");
        assert!(!got_zh.contains("FREQ") && !got_en.contains("FREQ"));
    }

    /// Rules written by hand, through the API or an import.
    #[rstest]
    #[case("FREQ=DAILY", "每天 09:00", "Every day at 09:00")]
    #[case("FREQ=DAILY;INTERVAL=2", "每两天 09:00", "Every 2 days at 09:00")]
    #[case(
        "RRULE:freq=weekly;byday=th,tu",
        "每周二、四 09:00",
        "Every Tue and Thu at 09:00"
    )]
    #[case("FREQ=WEEKLY", "每周四 09:00", "Every Thu at 09:00")]
    #[case("FREQ=WEEKLY;WKST=SU;BYDAY=FR", "每周五 09:00", "Every Fri at 09:00")]
    #[case("FREQ=MONTHLY", "每月3日 09:00", "Monthly on the 3rd at 09:00")]
    #[case(
        "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=15",
        "每两个月的15日 09:00",
        "Every 2 months on the 15th at 09:00"
    )]
    #[case(
        "FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR",
        "每三个月的最后一个星期五 09:00",
        "Every 3 months on the last Friday at 09:00"
    )]
    #[case(
        "FREQ=MONTHLY;BYDAY=+2WE",
        "每月第二个星期三 09:00",
        "Monthly on the second Wednesday at 09:00"
    )]
    #[case(
        "FREQ=MONTHLY;BYDAY=5TH",
        "每月第五个星期四 09:00",
        "Monthly on the fifth Thursday at 09:00"
    )]
    #[case("FREQ=YEARLY", "每年12月3日 09:00", "Every year on 3 Dec at 09:00")]
    #[case(
        "FREQ=WEEKLY;BYDAY=MO;COUNT=10",
        "每周一 09:00，共10次",
        "Every Mon at 09:00, 10 times"
    )]
    #[case(
        "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270331",
        "每周一 09:00，至2027年3月31日",
        "Every Mon at 09:00, until 31 Mar 2027"
    )]
    // UNTIL in UTC: 15:59:59Z is 23:59:59 in Shanghai, the same day.
    #[case(
        "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270331T155959Z",
        "每周一 09:00，至2027年3月31日",
        "Every Mon at 09:00, until 31 Mar 2027"
    )]
    // 16:00Z is past midnight in Shanghai: the next day.
    #[case(
        "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270331T160000Z",
        "每周一 09:00，至2027年4月1日",
        "Every Mon at 09:00, until 1 Apr 2027"
    )]
    fn hand_written_rules_of_the_same_shapes_read_the_same(
        #[case] rule: &str,
        #[case] zh: &str,
        #[case] en: &str,
    ) {
        assert_eq!(
            words(Some(rule), "2026-12-03T09:00"),
            (zh.into(), en.into())
        );
    }

    /// Rules the form cannot make: a clear generic wording with the
    /// frequency and the ending, never the rule itself.
    #[rstest]
    #[case(
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "自定义重复规则（按月重复）",
        "Custom repeat rule (repeats monthly)"
    )]
    #[case(
        "FREQ=MONTHLY;BYMONTHDAY=1,15",
        "自定义重复规则（按月重复）",
        "Custom repeat rule (repeats monthly)"
    )]
    #[case(
        "FREQ=MONTHLY;BYMONTHDAY=-2",
        "自定义重复规则（按月重复）",
        "Custom repeat rule (repeats monthly)"
    )]
    #[case(
        "FREQ=MONTHLY;BYDAY=1MO,3MO",
        "自定义重复规则（按月重复）",
        "Custom repeat rule (repeats monthly)"
    )]
    #[case(
        "FREQ=MONTHLY;BYDAY=-2FR",
        "自定义重复规则（按月重复）",
        "Custom repeat rule (repeats monthly)"
    )]
    #[case(
        "FREQ=MONTHLY;BYDAY=TU",
        "自定义重复规则（按月重复）",
        "Custom repeat rule (repeats monthly)"
    )]
    #[case(
        "FREQ=WEEKLY;BYDAY=TU;BYHOUR=9,15",
        "自定义重复规则（按周重复）",
        "Custom repeat rule (repeats weekly)"
    )]
    #[case(
        "FREQ=WEEKLY;BYDAY=2TU",
        "自定义重复规则（按周重复）",
        "Custom repeat rule (repeats weekly)"
    )]
    #[case(
        "FREQ=DAILY;BYDAY=MO,TU",
        "自定义重复规则（按天重复）",
        "Custom repeat rule (repeats daily)"
    )]
    #[case(
        "FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=1",
        "自定义重复规则（按年重复）",
        "Custom repeat rule (repeats yearly)"
    )]
    #[case(
        "FREQ=HOURLY;INTERVAL=4;COUNT=6",
        "自定义重复规则（按小时重复），共6次",
        "Custom repeat rule (repeats hourly), 6 times"
    )]
    #[case(
        "FREQ=MONTHLY;BYSETPOS=1;BYDAY=MO;UNTIL=20270630",
        "自定义重复规则（按月重复），至2027年6月30日",
        "Custom repeat rule (repeats monthly), until 30 Jun 2027"
    )]
    #[case(
        "FREQ=WEEKLY;BYDAY=MO;BYDAY=TU",
        "自定义重复规则（按周重复）",
        "Custom repeat rule (repeats weekly)"
    )]
    #[case(
        "FREQ=WEEKLY;INTERVAL=0",
        "自定义重复规则（按周重复）",
        "Custom repeat rule (repeats weekly)"
    )]
    #[case("FREQ=SECONDLY", "自定义重复规则", "Custom repeat rule")]
    #[case("garbage", "自定义重复规则", "Custom repeat rule")]
    #[case("BYDAY=MO", "自定义重复规则", "Custom repeat rule")]
    fn hidden_rules_read_as_a_custom_rule(#[case] rule: &str, #[case] zh: &str, #[case] en: &str) {
        assert_eq!(
            words(Some(rule), "2026-12-03T09:00"),
            (zh.into(), en.into())
        );
    }

    #[rstest]
    #[case(None)]
    #[case(Some(""))]
    #[case(Some("  "))]
    fn no_rule_is_one_visit(#[case] rule: Option<&str>) {
        assert_eq!(
            words(rule, "2027-01-05T14:30"),
            (
                "仅一次：2027年1月5日 14:30".into(),
                "Once, 5 Jan 2027 at 14:30".into()
            )
        );
    }

    #[rstest]
    #[case(
        "2026-12-03T09:00",
        "2026年12月3日 09:00",
        "3 Dec 2026 09:00",
        "12月3日 周四",
        "Thu 3 Dec"
    )]
    #[case(
        "2027-01-31T18:05",
        "2027年1月31日 18:05",
        "31 Jan 2027 18:05",
        "1月31日 周日",
        "Sun 31 Jan"
    )]
    fn local_dates_and_times(
        #[case] at: &str,
        #[case] zh: &str,
        #[case] en: &str,
        #[case] zh_day: &str,
        #[case] en_day: &str,
    ) {
        let t = start(at);
        assert_eq!(local_datetime(t, Locale::ZhCn), zh);
        assert_eq!(local_datetime(t, Locale::En), en);
        assert_eq!(day_and_weekday(t.date(), Locale::ZhCn), zh_day);
        assert_eq!(day_and_weekday(t.date(), Locale::En), en_day);
    }

    #[test]
    fn an_instant_is_shown_on_the_zone_clock() {
        let t = Utc.with_ymd_and_hms(2026, 12, 3, 1, 0, 0).unwrap();
        let zone: Tz = "Asia/Shanghai".parse().unwrap();
        assert_eq!(instant(t, zone, Locale::ZhCn), "2026年12月3日 09:00");
    }
}
