//! Dates as people and Chinese spreadsheets write them: 2026-03-05,
//! 2026/3/5, 2026.3.5, 20260305, 2026年3月5日, with full-width digits, and
//! an Excel serial day number (45721) from a cell stored as a number.
use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a date (use 2026-03-05)")]
pub struct DateError;

impl DateError {
    #[must_use]
    pub const fn message_key(self) -> &'static str {
        "error-date"
    }
}

/// # Errors
/// When the text is not a date in one of the accepted forms.
pub fn parse_date(input: &str) -> Result<NaiveDate, DateError> {
    // A date-time from a spreadsheet: keep the date.
    let date_part = input
        .trim()
        .split(|c: char| c.is_whitespace() || c == 'T')
        .next()
        .unwrap_or_default();
    let s: String = date_part
        .chars()
        .filter_map(|c| match c {
            '\u{FF10}'..='\u{FF19}' => char::from_u32(c as u32 - 0xFF10 + u32::from(b'0')),
            '年' | '月' | '/' | '.' | '\u{FF0F}' | '\u{FF0E}' | '\u{FF0D}' => Some('-'),
            '日' | '号' => None,
            c if c.is_whitespace() => None,
            c => Some(c),
        })
        .collect();
    let s = s.as_str();
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(s, "%Y%m%d").map_err(|_| DateError);
    }
    if let Some(serial) = excel_serial(s) {
        return Ok(serial);
    }
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 {
        return Err(DateError);
    }
    let num = |p: &str| p.parse::<u32>().map_err(|_| DateError);
    let y = i32::try_from(num(parts[0])?).map_err(|_| DateError)?;
    NaiveDate::from_ymd_opt(y, num(parts[1])?, num(parts[2])?).ok_or(DateError)
}

/// An Excel day number (1900 system) between 1 (1900) and 2958465 (9999),
/// accepted only in the range of plausible dates (1900 to 2100).
fn excel_serial(s: &str) -> Option<NaiveDate> {
    let whole = s.split('.').next()?;
    if whole.is_empty() || whole.len() > 5 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = whole.parse().ok()?;
    if !(61..=73_050).contains(&n) {
        return None;
    }
    // Excel counts 1900-02-29, which never was: day 61 is 1900-03-01.
    NaiveDate::from_ymd_opt(1899, 12, 30).map(|base| base + chrono::Duration::days(n))
}

/// Optional date: blank is `None`.
///
/// # Errors
/// When the text is present and not a date.
pub fn parse_optional_date(input: Option<&str>) -> Result<Option<NaiveDate>, DateError> {
    match input.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse_date(s).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("2026-03-05")]
    #[case("2026/3/5")]
    #[case("2026.03.05")]
    #[case("20260305")]
    #[case("2026年3月5日")]
    #[case("２０２６年３月５日")]
    #[case(" 2026-3-5 ")]
    #[case("2026-03-05 00:00:00")]
    #[case("2026-03-05T08:00:00")]
    #[case("46086")]
    fn reads_the_usual_ways_of_writing_a_date(#[case] s: &str) {
        assert_eq!(
            parse_date(s),
            Ok(NaiveDate::from_ymd_opt(2026, 3, 5).unwrap()),
            "{s}"
        );
    }

    #[rstest]
    #[case("2026-02-30")]
    #[case("5/3/2026")]
    #[case("yesterday")]
    #[case("")]
    #[case("12")]
    #[case("26-3-5")]
    fn refuses_what_is_not_a_date(#[case] s: &str) {
        assert_eq!(parse_date(s), Err(DateError), "{s}");
    }
}
