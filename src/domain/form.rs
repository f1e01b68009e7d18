//! How form and JSON fields read: one params struct serves both.
use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum Loose {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// Accepts `"12"`, `12`, `true` or null for an optional text field, so the
/// same params struct reads HTML forms and JSON.
///
/// # Errors
/// When the value is an array or an object.
pub fn loose<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(Option::<Loose>::deserialize(d)?.map(|v| match v {
        Loose::Text(s) => s,
        Loose::Int(i) => i.to_string(),
        Loose::Float(f) => f.to_string(),
        Loose::Bool(b) => b.to_string(),
    }))
}

/// Checkbox semantics: "on", "true", "1", `true` are yes.
#[must_use]
pub fn checked(v: Option<&str>) -> bool {
    matches!(v.map(str::trim), Some("on" | "true" | "1" | "yes"))
}
