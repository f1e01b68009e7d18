//! Why a destructive act was done (ending a contract, rejecting an
//! amendment, deleting a place): required, trimmed, 2 to 500 characters,
//! kept in the act's audit entry.
use std::fmt;

/// The fewest characters a reason may have.
pub const MIN_CHARS: usize = 2;
/// The most characters a reason may have.
pub const MAX_CHARS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReasonError {
    #[error("a reason is required")]
    Missing,
    #[error("the reason is too short")]
    TooShort,
    #[error("the reason is too long")]
    TooLong,
}

impl ReasonError {
    #[must_use]
    pub const fn message_key(self) -> &'static str {
        match self {
            Self::Missing => "error-act-reason-required",
            Self::TooShort => "error-act-reason-short",
            Self::TooLong => "error-act-reason-long",
        }
    }
}

/// A checked reason: trimmed, between [`MIN_CHARS`] and [`MAX_CHARS`]
/// characters (counted as characters, not bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    /// # Errors
    /// Missing (blank), too short or too long.
    pub fn parse(input: Option<&str>) -> Result<Self, ReasonError> {
        let t = input.map(str::trim).unwrap_or_default();
        match t.chars().count() {
            0 => Err(ReasonError::Missing),
            n if n < MIN_CHARS => Err(ReasonError::TooShort),
            n if n > MAX_CHARS => Err(ReasonError::TooLong),
            _ => Ok(Self(t.to_string())),
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(None, Err(ReasonError::Missing))]
    #[case(Some(""), Err(ReasonError::Missing))]
    #[case(Some("   \n "), Err(ReasonError::Missing))]
    #[case(Some(" 否 "), Err(ReasonError::TooShort))]
    #[case(Some("x"), Err(ReasonError::TooShort))]
    #[case(Some(" 到期 "), Ok("到期"))]
    #[case(Some("ok"), Ok("ok"))]
    #[case(Some("服务商违约，提前终止"), Ok("服务商违约，提前终止"))]
    fn a_reason_is_trimmed_and_bounded(
        #[case] input: Option<&str>,
        #[case] expected: Result<&str, ReasonError>,
    ) {
        let got = Reason::parse(input);
        assert_eq!(got.as_ref().map(Reason::as_str).map_err(|e| *e), expected);
    }

    #[test]
    fn the_bound_counts_characters_not_bytes() {
        let at_most = "兜".repeat(MAX_CHARS);
        assert_eq!(
            Reason::parse(Some(&at_most)).map(|r| r.0.chars().count()),
            Ok(MAX_CHARS)
        );
        let over = "兜".repeat(MAX_CHARS + 1);
        assert_eq!(Reason::parse(Some(&over)), Err(ReasonError::TooLong));
    }
}
