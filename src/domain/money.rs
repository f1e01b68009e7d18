//! Money is integer fen (分) everywhere; people type yuan (元).
use std::fmt::Write as _;

/// The largest amount accepted on one line: 100 million yuan.
pub const MAX_FEN: i64 = 10_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("enter an amount in yuan, like 12.50")]
    Invalid,
    #[error("at most two decimal places (fen)")]
    TooPrecise,
    #[error("the amount is too large")]
    TooLarge,
    #[error("the amount cannot be negative")]
    Negative,
}

impl MoneyError {
    #[must_use]
    pub const fn message_key(self) -> &'static str {
        match self {
            Self::Invalid => "error-money",
            Self::TooPrecise => "error-money-precision",
            Self::TooLarge => "error-money-large",
            Self::Negative => "error-money-negative",
        }
    }
}

/// Reads yuan as typed: `12`, `12.5`, `12.50`, `¥1,234.56`, `１２．５` (full
/// width), `12.50元`. Exact: no floating point.
///
/// # Errors
/// Not a number, more than two decimals, negative or too large.
pub fn parse_yuan(input: &str) -> Result<i64, MoneyError> {
    let s: String = crate::domain::text::half_width(input)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',' && *c != '¥' && *c != '￥')
        .collect();
    let s = s.trim_end_matches('元');
    if s.starts_with('-') {
        return Err(MoneyError::Negative);
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty() {
        return Err(MoneyError::Invalid);
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(MoneyError::Invalid);
    }
    if frac.len() > 2 {
        return Err(MoneyError::TooPrecise);
    }
    let whole = whole.trim_start_matches('0');
    if whole.len() > 9 {
        return Err(MoneyError::TooLarge);
    }
    let yuan: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| MoneyError::Invalid)?
    };
    let fen: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| MoneyError::Invalid)? * 10,
        _ => frac.parse().map_err(|_| MoneyError::Invalid)?,
    };
    let total = yuan * 100 + fen;
    if total > MAX_FEN {
        return Err(MoneyError::TooLarge);
    }
    Ok(total)
}

/// `1234.50` for 123450 fen (no thousands separators: it must read back).
#[must_use]
pub fn format_yuan(fen: i64) -> String {
    let mut out = String::new();
    if fen < 0 {
        out.push('-');
    }
    let abs = fen.unsigned_abs();
    let _ = write!(out, "{}.{:02}", abs / 100, abs % 100);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("12", 1200)]
    #[case("12.5", 1250)]
    #[case("12.50", 1250)]
    #[case("0.01", 1)]
    #[case(".5", 50)]
    #[case("¥1,234.56", 123_456)]
    #[case("１２．５", 1250)]
    #[case(" 80元 ", 8000)]
    #[case("100000000", MAX_FEN)]
    fn reads_yuan(#[case] input: &str, #[case] fen: i64) {
        assert_eq!(parse_yuan(input), Ok(fen));
    }

    #[rstest]
    #[case("", MoneyError::Invalid)]
    #[case("abc", MoneyError::Invalid)]
    #[case("1.2.3", MoneyError::Invalid)]
    #[case("12.345", MoneyError::TooPrecise)]
    #[case("-5", MoneyError::Negative)]
    #[case("100000000.01", MoneyError::TooLarge)]
    #[case("99999999999999999999", MoneyError::TooLarge)]
    #[case("1e3", MoneyError::Invalid)]
    fn refuses(#[case] input: &str, #[case] e: MoneyError) {
        assert_eq!(parse_yuan(input), Err(e));
    }

    proptest! {
        #[test]
        fn formatting_reads_back(fen in 0i64..=MAX_FEN) {
            prop_assert_eq!(parse_yuan(&format_yuan(fen)), Ok(fen));
        }
    }
}
