//! 统计用区划代码: the 12-digit administrative division code. Digits 1–6
//! are the county, 7–9 the township, 10–12 the village (000 for the
//! township itself).
use serde::Serialize;
use std::fmt;

const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TownshipCode(String);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct VillageCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DivisionCodeError {
    #[error("must be 12 digits")]
    Format,
    #[error("unknown province prefix")]
    Province,
    #[error("is not a township-level code (digits 7-9 set, 10-12 zero)")]
    NotTownship,
    #[error("is not a village-level code (digits 10-12 set)")]
    NotVillage,
    #[error("does not belong to the township")]
    OtherTownship,
}

impl DivisionCodeError {
    #[must_use]
    pub const fn message_key(self) -> &'static str {
        match self {
            Self::Format => "error-division-code-format",
            Self::Province => "error-division-code-province",
            Self::NotTownship => "error-division-code-township",
            Self::NotVillage => "error-division-code-village",
            Self::OtherTownship => "error-division-code-other-township",
        }
    }
}

fn twelve_digits(input: &str) -> Result<String, DivisionCodeError> {
    let code = input.trim();
    if code.len() != 12 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DivisionCodeError::Format);
    }
    if !PROVINCES.contains(&&code[..2]) {
        return Err(DivisionCodeError::Province);
    }
    Ok(code.to_string())
}

impl TownshipCode {
    /// # Errors
    /// When the input is not a township-level 12-digit division code.
    pub fn parse(input: &str) -> Result<Self, DivisionCodeError> {
        let code = twelve_digits(input)?;
        if &code[6..9] == "000" || &code[9..] != "000" || &code[4..6] == "00" {
            return Err(DivisionCodeError::NotTownship);
        }
        Ok(Self(code))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl VillageCode {
    /// Parses a village code and checks it lies in `township`.
    ///
    /// # Errors
    /// When the input is not a village-level code of that township.
    pub fn parse(input: &str, township: &str) -> Result<Self, DivisionCodeError> {
        let code = twelve_digits(input)?;
        if &code[9..] == "000" || &code[6..9] == "000" {
            return Err(DivisionCodeError::NotVillage);
        }
        if township.len() != 12 || code[..9] != township[..9] {
            return Err(DivisionCodeError::OtherTownship);
        }
        Ok(Self(code))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TownshipCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("511902001000", Ok(()))]
    #[case(" 511902101000 ", Ok(()))]
    #[case("51190200100", Err(DivisionCodeError::Format))]
    #[case("51190200100a", Err(DivisionCodeError::Format))]
    #[case("991902001000", Err(DivisionCodeError::Province))]
    #[case("511902000000", Err(DivisionCodeError::NotTownship))]
    #[case("511902001201", Err(DivisionCodeError::NotTownship))]
    #[case("510000001000", Err(DivisionCodeError::NotTownship))]
    fn township_codes(#[case] input: &str, #[case] expected: Result<(), DivisionCodeError>) {
        assert_eq!(TownshipCode::parse(input).map(|_| ()), expected);
    }

    #[rstest]
    #[case("511902001201", "511902001000", Ok(()))]
    #[case("511902001000", "511902001000", Err(DivisionCodeError::NotVillage))]
    #[case("511902002201", "511902001000", Err(DivisionCodeError::OtherTownship))]
    #[case("5119020012", "511902001000", Err(DivisionCodeError::Format))]
    fn village_codes(
        #[case] input: &str,
        #[case] township: &str,
        #[case] expected: Result<(), DivisionCodeError>,
    ) {
        assert_eq!(VillageCode::parse(input, township).map(|_| ()), expected);
    }
}
