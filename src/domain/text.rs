//! Required and optional free text from forms: trimmed, bounded, and never
//! silently empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("is required")]
    Required,
    #[error("is too long")]
    TooLong,
}

impl TextError {
    #[must_use]
    pub const fn message_key(self) -> &'static str {
        match self {
            Self::Required => "error-required",
            Self::TooLong => "error-too-long",
        }
    }
}

/// Folds full-width ASCII forms (`１２．５`, `Ａ`) and the ideographic space
/// to their ASCII counterparts, as Chinese input methods type them.
#[must_use]
pub fn half_width(input: &str) -> String {
    input
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

/// A required single-line text of at most `max` characters.
///
/// # Errors
/// When the text is blank or longer than `max` characters.
pub fn required(input: &str, max: usize) -> Result<String, TextError> {
    let t = input.trim();
    if t.is_empty() {
        Err(TextError::Required)
    } else if t.chars().count() > max {
        Err(TextError::TooLong)
    } else {
        Ok(t.to_string())
    }
}

/// An optional text: blank becomes `None`.
///
/// # Errors
/// When the text is longer than `max` characters.
pub fn optional(input: Option<&str>, max: usize) -> Result<Option<String>, TextError> {
    match input.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => required(t, max).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_text_is_required_and_long_text_is_refused() {
        assert_eq!(required("  ", 5), Err(TextError::Required));
        assert_eq!(required(" 兜底 ", 5), Ok("兜底".to_string()));
        assert_eq!(required("兜底兜底兜底", 5), Err(TextError::TooLong));
        assert_eq!(optional(Some("  "), 5), Ok(None));
        assert_eq!(optional(None, 5), Ok(None));
    }
}
