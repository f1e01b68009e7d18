//! The 18-character resident ID number (公民身份号码, GB 11643-1999):
//! 6-digit address code, 8-digit birth date, 3-digit sequence (odd for
//! men, even for women) and an ISO 7064 MOD 11-2 check character (0-9 or X).
//!
//! Input as people and spreadsheets give it is normalised first: full-width
//! digits and letters, spaces, invisible characters (zero-width space, BOM,
//! no-break space) and Excel's leading apostrophe are removed, `x` becomes `X`.
use chrono::{Datelike, NaiveDate};
use std::fmt;

/// A valid resident ID number. Its `Debug` output is masked so that it never
/// reaches a log by accident.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    #[error("an ID number has 18 characters")]
    Length,
    #[error("only digits, and X as the last character")]
    Characters,
    #[error("the address code is not a region")]
    Region,
    #[error("the birth date in the ID number is not a date")]
    BirthDate,
    #[error("the check character does not match")]
    CheckCharacter,
    #[error("a formula, not an ID number")]
    Formula,
}

impl ResidentIdError {
    #[must_use]
    pub const fn message_key(self) -> &'static str {
        match self {
            Self::Length => "error-id-length",
            Self::Characters => "error-id-characters",
            Self::Region => "error-id-region",
            Self::BirthDate => "error-id-birth-date",
            Self::CheckCharacter => "error-id-check",
            Self::Formula => "error-formula",
        }
    }
}

/// ISO 7064 MOD 11-2 weights for the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character by `sum mod 11`.
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Removes what spreadsheets and phones add around an ID number and folds
/// full-width characters to ASCII.
#[must_use]
pub fn normalise(input: &str) -> String {
    input
        .trim_start_matches(['\'', '\u{2018}', '\u{2019}'])
        .chars()
        .filter_map(|c| match c {
            '\u{FF10}'..='\u{FF19}' => char::from_u32(c as u32 - 0xFF10 + u32::from(b'0')),
            '\u{FF38}' | '\u{FF58}' | 'x' => Some('X'),
            c if c.is_whitespace() => None,
            '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => None,
            c => Some(c),
        })
        .collect()
}

/// The check character of the first 17 digits.
#[must_use]
pub fn check_character(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Male,
    Female,
}

impl Gender {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Male => "male",
            Self::Female => "female",
        }
    }
}

impl ResidentId {
    /// # Errors
    /// Which rule the (normalised) input breaks.
    pub fn parse(input: &str) -> Result<Self, ResidentIdError> {
        if input.trim_start().starts_with(['=', '+', '@']) {
            return Err(ResidentIdError::Formula);
        }
        let s = normalise(input);
        if s.chars().count() != 18 {
            return Err(ResidentIdError::Length);
        }
        let b = s.as_bytes();
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(ResidentIdError::Characters);
        }
        // Province codes run from 11 (Beijing) to 82 (Macao).
        if !(b'1'..=b'8').contains(&b[0]) {
            return Err(ResidentIdError::Region);
        }
        parse_birth(&s[6..14]).ok_or(ResidentIdError::BirthDate)?;
        if check_character(&b[..17]) != char::from(b[17]) {
            return Err(ResidentIdError::CheckCharacter);
        }
        Ok(Self(s))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date encoded in characters 7-14 (checked by `parse`).
    #[must_use]
    pub fn birth_date(&self) -> NaiveDate {
        parse_birth(&self.0[6..14]).unwrap_or(NaiveDate::MIN)
    }

    /// The 17th digit: odd for men, even for women.
    #[must_use]
    pub fn gender(&self) -> Gender {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        }
    }

    /// `5119**************`: see `super::privacy::mask_id`.
    #[must_use]
    pub fn masked(&self) -> String {
        super::privacy::mask_id(&self.0)
    }

    /// The last four characters, which people quote to tell records apart.
    #[must_use]
    pub fn last4(&self) -> &str {
        &self.0[14..]
    }
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

fn parse_birth(yyyymmdd: &str) -> Option<NaiveDate> {
    let y: i32 = yyyymmdd.get(0..4)?.parse().ok()?;
    let m: u32 = yyyymmdd.get(4..6)?.parse().ok()?;
    let d: u32 = yyyymmdd.get(6..8)?.parse().ok()?;
    if y < 1880 {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Completed years of age on `today` (0 before the first birthday; a
/// 29 February birthday counts on 1 March in common years).
#[must_use]
pub fn age_on(birth: NaiveDate, today: NaiveDate) -> u32 {
    let mut years = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// The latest birth date of someone who is at least `years` old on `today`.
#[must_use]
pub fn born_on_or_before(years: u32, today: NaiveDate) -> NaiveDate {
    let y = today.year() - i32::try_from(years).unwrap_or(0);
    NaiveDate::from_ymd_opt(y, today.month(), today.day())
        // 29 February in a common year: someone born on 1 March turns
        // `years` today, someone born on 29 February did yesterday.
        .or_else(|| NaiveDate::from_ymd_opt(y, 2, 28))
        .unwrap_or(today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    /// Builds a valid ID from 17 digits.
    fn with_check(first17: &str) -> String {
        format!("{first17}{}", check_character(first17.as_bytes()))
    }

    #[rstest]
    // The standard's own example.
    #[case("11010519491231002X", Ok(()))]
    #[case("110105194912310021", Err(ResidentIdError::CheckCharacter))]
    #[case("11010519491231002x", Ok(()))]
    #[case(" 1101 0519 4912 3100 2X ", Ok(()))]
    #[case("'11010519491231002X", Ok(()))]
    #[case("１１０１０５１９４９１２３１００２Ｘ", Ok(()))]
    #[case("\u{FEFF}11010519491231002X\u{200B}", Ok(()))]
    #[case("11010519491231002", Err(ResidentIdError::Length))]
    #[case("11010519491231002X1", Err(ResidentIdError::Length))]
    #[case("1101051949123100XX", Err(ResidentIdError::Characters))]
    #[case("A1010519491231002X", Err(ResidentIdError::Characters))]
    #[case("010105194912310020", Err(ResidentIdError::Region))]
    #[case("=HYPERLINK(\"x\")", Err(ResidentIdError::Formula))]
    #[case("", Err(ResidentIdError::Length))]
    fn parses_and_checks(#[case] input: &str, #[case] expected: Result<(), ResidentIdError>) {
        assert_eq!(ResidentId::parse(input).map(|_| ()), expected, "{input}");
    }

    #[rstest]
    #[case("5119022023022900")] // 2023 is not a leap year
    #[case("5119022024133100")] // month 13
    #[case("5119021850010100")] // before 1880
    fn refuses_impossible_birth_dates(#[case] first16: &str) {
        let id = with_check(&format!("{first16}1"));
        assert_eq!(
            ResidentId::parse(&id).map(|_| ()),
            Err(ResidentIdError::BirthDate)
        );
    }

    #[test]
    fn reads_birth_date_gender_mask_and_last_four() {
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.gender(), Gender::Female);
        assert_eq!(id.masked(), "1101**************");
        assert_eq!(id.last4(), "002X");
        assert_eq!(format!("{id:?}"), "ResidentId(1101**************)");
        let man = ResidentId::parse(&with_check("51190220240229001")).unwrap();
        assert_eq!(man.gender(), Gender::Male);
    }

    #[rstest]
    #[case("2000-06-15", "2018-06-14", 17)]
    #[case("2000-06-15", "2018-06-15", 18)]
    #[case("2000-02-29", "2018-02-28", 17)]
    #[case("2000-02-29", "2018-03-01", 18)]
    #[case("2026-01-01", "2025-12-31", 0)]
    fn counts_completed_years(#[case] birth: &str, #[case] today: &str, #[case] age: u32) {
        let b = NaiveDate::parse_from_str(birth, "%Y-%m-%d").unwrap();
        let t = NaiveDate::parse_from_str(today, "%Y-%m-%d").unwrap();
        assert_eq!(age_on(b, t), age);
    }

    proptest! {
        #[test]
        fn every_valid_number_parses_and_one_changed_digit_does_not(
            region in 110_000u32..=820_000,
            days in 0i64..50_000,
            seq in 0u32..1000,
            pos in 0usize..17,
            delta in 1u8..10,
        ) {
            let birth = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(days);
            let first17 = format!("{region:06}{}{seq:03}", birth.format("%Y%m%d"));
            let id = with_check(&first17);
            let parsed = ResidentId::parse(&id).unwrap();
            prop_assert_eq!(parsed.birth_date(), birth);
            prop_assert_eq!(parsed.as_str(), id.as_str());
            // MOD 11-2 catches every single-digit substitution.
            let mut bytes = id.clone().into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(ResidentId::parse(&changed).is_err());
        }

        #[test]
        fn the_age_boundary_agrees_with_age_on(days in 0i64..40_000, years in 1u32..100) {
            let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap() - chrono::Duration::days(days % 3000);
            let limit = born_on_or_before(years, today);
            prop_assert!(age_on(limit, today) >= years);
            prop_assert!(age_on(limit + chrono::Duration::days(1), today) < years);
        }
    }
}
