//! Field errors: field name → Fluent message ids, collected while input is
//! parsed and answered as `{"errors": {"field": ["message"]}}` (JSON) or
//! shown beside the fields (pages). Pure, so domain parsers return them;
//! `crate::errors` re-exports the type and turns it into a 422.
use serde::Serialize;
use std::collections::BTreeMap;

/// Field name → Fluent message ids, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    #[must_use]
    pub fn one(field: &str, key: &str) -> Self {
        let mut e = Self::new();
        e.add(field, key);
        e
    }

    pub fn add(&mut self, field: &str, key: &str) {
        self.0
            .entry(field.to_string())
            .or_default()
            .push(key.to_string());
    }

    /// Keeps the value if parsing worked, or records the error's message.
    pub fn take<T, E>(
        &mut self,
        field: &str,
        result: Result<T, E>,
        key: impl Fn(E) -> &'static str,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, key(e));
                None
            }
        }
    }

    /// An optional field: absent or blank is `None`; present, it must
    /// parse, or the field gets `key`.
    pub fn optional<T, E>(
        &mut self,
        field: &str,
        raw: Option<&str>,
        key: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Option<T> {
        let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
        match parse(raw) {
            Ok(v) => Some(v),
            Err(_) => {
                self.add(field, key);
                None
            }
        }
    }

    /// Adds every error of `other` (after this one's, field by field).
    pub fn extend(&mut self, other: Self) {
        for (field, keys) in other.0 {
            self.0.entry(field).or_default().extend(keys);
        }
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first message id recorded.
    #[must_use]
    pub fn first(&self) -> Option<&str> {
        self.0
            .values()
            .flat_map(|v| v.iter())
            .map(String::as_str)
            .next()
    }

    /// The message ids of one field (none: empty).
    #[must_use]
    pub fn of(&self, field: &str) -> &[String] {
        self.0.get(field).map_or(&[], Vec::as_slice)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Vec<String>)> {
        self.0.iter()
    }

    /// `Ok(value)` when nothing was recorded, else the errors.
    ///
    /// # Errors
    /// The recorded errors.
    pub fn check<T>(self, value: T) -> Result<T, Self> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_collect_per_field_in_order() {
        let mut e = FieldErrors::new();
        assert!(e.is_empty());
        e.add("b", "error-one");
        e.add("a", "error-two");
        e.add("b", "error-three");
        assert_eq!(e.of("b"), ["error-one", "error-three"]);
        assert_eq!(e.of("c"), [] as [String; 0]);
        assert_eq!(e.first(), Some("error-two"));
        let mut more = FieldErrors::one("b", "error-four");
        more.add("c", "error-five");
        e.extend(more);
        assert_eq!(e.of("b"), ["error-one", "error-three", "error-four"]);
        assert_eq!(e.clone().check(1), Err(e));
        assert_eq!(FieldErrors::new().check(1), Ok(1));
    }

    #[test]
    fn an_optional_field_is_blank_or_parses() {
        let mut e = FieldErrors::new();
        let n = |s: &str| s.parse::<u8>();
        assert_eq!(e.optional("n", None, "error-n", n), None);
        assert_eq!(e.optional("n", Some("  "), "error-n", n), None);
        assert_eq!(e.optional("n", Some(" 7 "), "error-n", n), Some(7));
        assert!(e.is_empty());
        assert_eq!(e.optional("n", Some("x"), "error-n", n), None);
        assert_eq!(e.of("n"), ["error-n"]);
    }
}
