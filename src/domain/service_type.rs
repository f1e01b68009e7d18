//! The services a visit delivers (policy notice 五(二)). The catalogue is
//! data (`service_types`), extendable by admins; this module holds the
//! rules its codes follow and how a chosen list is read.

/// Whether `code` may name a service type: 2 to 40 characters, lowercase
/// ASCII letters, digits and `_`, starting with a letter.
#[must_use]
pub fn valid_code(code: &str) -> bool {
    (2..=40).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Parses a list of codes (each may itself be comma-separated) against the
/// catalogue `offered` (in its order), dropping repeats; at least one is
/// required.
///
/// # Errors
/// `None` for an empty list, `Some(code)` for the first code not offered.
pub fn parse_list<'a>(
    items: impl IntoIterator<Item = &'a str>,
    offered: &[&str],
) -> Result<Vec<String>, Option<String>> {
    let mut found = Vec::new();
    for raw in items {
        for code in raw.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            if !offered.contains(&code) {
                return Err(Some(code.to_string()));
            }
            found.push(code);
        }
    }
    let out: Vec<String> = offered
        .iter()
        .filter(|t| found.contains(t))
        .map(|t| (*t).to_string())
        .collect();
    if out.is_empty() {
        Err(None)
    } else {
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const OFFERED: [&str; 3] = ["daily_care", "home_visit", "meal_delivery"];

    #[test]
    fn lists_keep_catalogue_order_and_refuse_unknown_or_empty() {
        assert_eq!(
            parse_list(["home_visit,daily_care", "daily_care"], &OFFERED),
            Ok(vec!["daily_care".to_string(), "home_visit".to_string()])
        );
        assert_eq!(
            parse_list(["massage"], &OFFERED),
            Err(Some("massage".into()))
        );
        assert_eq!(parse_list([" "], &OFFERED), Err(None));
    }

    #[rstest]
    #[case("daily_care", true)]
    #[case("meal2", true)]
    #[case("a", false)]
    #[case("Daily", false)]
    #[case("2meals", false)]
    #[case("meal-delivery", false)]
    #[case("送餐", false)]
    #[case(&"x".repeat(41), false)]
    fn codes(#[case] code: &str, #[case] ok: bool) {
        assert_eq!(valid_code(code), ok);
    }
}
