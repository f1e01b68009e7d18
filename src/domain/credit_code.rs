//! 统一社会信用代码 (GB 32100-2015): 18 characters from a 31-character
//! alphabet (digits and capitals without I, O, Z, S, V); the last is a
//! MOD 31 check character over the first 17.
use serde::Serialize;
use std::fmt;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CreditCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("must be 18 characters")]
    Length,
    #[error("contains a character that is not allowed")]
    Character,
    #[error("check character does not match")]
    CheckCharacter,
}

impl CreditCodeError {
    /// The Fluent message id that explains this error to a person.
    #[must_use]
    pub const fn message_key(self) -> &'static str {
        match self {
            Self::Length => "error-credit-code-length",
            Self::Character => "error-credit-code-character",
            Self::CheckCharacter => "error-credit-code-check",
        }
    }
}

fn value_of(c: u8) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|a| *a == c)
        .and_then(|p| u32::try_from(p).ok())
}

/// The check character for the first 17 characters of a code, or `None` if
/// one of them is outside the alphabet.
#[must_use]
pub fn check_character(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (b, w) in bytes.iter().zip(WEIGHTS) {
        sum += value_of(*b)? * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(char::from(ALPHABET[check as usize]))
}

impl CreditCode {
    /// Parses a code, accepting lower case and surrounding spaces.
    ///
    /// # Errors
    /// When the code has the wrong length, a foreign character or a wrong
    /// check character.
    pub fn parse(input: &str) -> Result<Self, CreditCodeError> {
        let code = input.trim().to_ascii_uppercase();
        if code.chars().count() != 18 {
            return Err(CreditCodeError::Length);
        }
        if !code.bytes().all(|b| value_of(b).is_some()) {
            return Err(CreditCodeError::Character);
        }
        let expected = check_character(&code[..17]).ok_or(CreditCodeError::Character)?;
        if code.ends_with(expected) {
            Ok(Self(code))
        } else {
            Err(CreditCodeError::CheckCharacter)
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("9144030071526726XG", Ok(()))] // Tencent, Shenzhen
    #[case("914403001922038216", Ok(()))] // Huawei, Shenzhen
    #[case("91330100716105852F", Ok(()))] // Alibaba (China), Hangzhou
    #[case(" 9144030071526726xg ", Ok(()))]
    #[case("9144030071526726XH", Err(CreditCodeError::CheckCharacter))]
    #[case("914403001922038217", Err(CreditCodeError::CheckCharacter))]
    #[case("9144030071526726X", Err(CreditCodeError::Length))]
    #[case("9144030071526726XGG", Err(CreditCodeError::Length))]
    #[case("9144030071526726IG", Err(CreditCodeError::Character))]
    #[case("91440300715267２6XG", Err(CreditCodeError::Character))]
    #[case("", Err(CreditCodeError::Length))]
    fn credit_codes_are_checked(
        #[case] input: &str,
        #[case] expected: Result<(), CreditCodeError>,
    ) {
        assert_eq!(CreditCode::parse(input).map(|_| ()), expected);
    }

    proptest! {
        #[test]
        fn a_code_with_its_computed_check_character_always_parses(
            body in proptest::collection::vec(0usize..31, 17)
        ) {
            let first17: String = body.iter().map(|i| char::from(ALPHABET[*i])).collect();
            let check = check_character(&first17).expect("alphabet characters");
            let code = format!("{first17}{check}");
            prop_assert_eq!(CreditCode::parse(&code).map(|c| c.to_string()), Ok(code));
        }

        #[test]
        fn changing_one_character_breaks_the_check(
            body in proptest::collection::vec(0usize..31, 17),
            pos in 0usize..17,
            shift in 1usize..31,
        ) {
            let mut chars: Vec<u8> = body.iter().map(|i| ALPHABET[*i]).collect();
            let check = check_character(std::str::from_utf8(&chars).expect("ascii")).expect("ok");
            chars[pos] = ALPHABET[(body[pos] + shift) % 31];
            let code = format!("{}{check}", String::from_utf8(chars).expect("ascii"));
            prop_assert_eq!(CreditCode::parse(&code), Err(CreditCodeError::CheckCharacter));
        }
    }
}
