//! Phone numbers as people write them in China: an 11-digit mobile number
//! (1[3-9]...) or a landline with its area code (0xx-xxxxxxxx).
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Phone(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a mobile or landline number")]
pub struct PhoneError;

impl Phone {
    /// Accepts spaces and dashes and an optional +86 / 86 prefix; stores the
    /// digits (a landline keeps one dash after the area code).
    ///
    /// # Errors
    /// When the input is neither a mainland mobile nor a landline number.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        let without_country = trimmed
            .strip_prefix("+86")
            .or_else(|| trimmed.strip_prefix("0086"))
            .unwrap_or(trimmed);
        let digits: String = without_country
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(PhoneError);
        }
        let b = digits.as_bytes();
        if b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
            return Ok(Self(digits));
        }
        if b.first() == Some(&b'0') && (10..=12).contains(&b.len()) {
            // Area codes are 3 digits for 010 and 02x, otherwise 4.
            let area = if b[1] == b'1' || b[1] == b'2' { 3 } else { 4 };
            let local = b.len() - area;
            if (7..=8).contains(&local) {
                return Ok(Self(format!("{}-{}", &digits[..area], &digits[area..])));
            }
        }
        Err(PhoneError)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("13812345678", Some("13812345678"))]
    #[case("+86 138-1234-5678", Some("13812345678"))]
    #[case("0827-5261234", Some("0827-5261234"))]
    #[case("010 12345678", Some("010-12345678"))]
    #[case("12812345678", None)]
    #[case("1381234567", None)]
    #[case("138123456789", None)]
    #[case("phone", None)]
    #[case("0827-52", None)]
    fn phones(#[case] input: &str, #[case] expected: Option<&str>) {
        assert_eq!(
            Phone::parse(input).ok().as_ref().map(Phone::as_str),
            expected
        );
    }
}
