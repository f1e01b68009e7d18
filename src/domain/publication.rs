//! What the published outputs may carry. Two outputs are public by
//! design: the public edition of an acceptance pack (`masked=1`) and the
//! OCDS release of a contract. They carry the contract's own terms and
//! figures, and nothing written about people unless its author chose so:
//!
//! - free text (an acceptance's note, an amendment's reason) only when its
//!   author marked it public when writing it;
//! - no person served, not even masked (`单**` beside a village and a visit
//!   time is still somebody), and never an ID number;
//! - staff (the official who accepted, the worker who visited) masked.
//!
//! The internal edition (for the purchaser and the provider) shows all of
//! it, as before.
use super::privacy::mask_name;

/// Which edition of an output is being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edition {
    /// For those who see the contract: names whole, every note.
    Internal,
    /// Fit for publication.
    Public,
}

impl Edition {
    /// The edition a pack's `masked` flag asks for.
    #[must_use]
    pub const fn of_pack(masked: bool) -> Self {
        if masked {
            Self::Public
        } else {
            Self::Internal
        }
    }

    #[must_use]
    pub const fn is_public(self) -> bool {
        matches!(self, Self::Public)
    }

    /// A free text as this edition shows it: always in the internal one;
    /// in the public one only when its author marked it public.
    #[must_use]
    pub fn free_text(self, text: Option<&str>, marked_public: bool) -> Option<&str> {
        let text = text.map(str::trim).filter(|t| !t.is_empty())?;
        match self {
            Self::Internal => Some(text),
            Self::Public => marked_public.then_some(text),
        }
    }

    /// A person served: whole in the internal edition, absent (`None`)
    /// from the public one.
    #[must_use]
    pub fn person_served(self, name: &str) -> Option<String> {
        match self {
            Self::Internal => Some(name.to_string()),
            Self::Public => None,
        }
    }

    /// A member of staff: whole in the internal edition, masked in the
    /// public one.
    #[must_use]
    pub fn staff(self, name: &str) -> String {
        match self {
            Self::Internal => name.to_string(),
            Self::Public => mask_name(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Edition::{self, Internal, Public};
    use rstest::rstest;

    #[rstest]
    #[case(Internal, Some("张三 13800138000"), false, Some("张三 13800138000"))]
    #[case(Internal, Some("资料齐全"), true, Some("资料齐全"))]
    #[case(Public, Some("张三 13800138000"), false, None)]
    #[case(Public, Some("资料齐全"), true, Some("资料齐全"))]
    #[case(Public, Some("  "), true, None)]
    #[case(Internal, None, true, None)]
    fn free_text_is_published_only_when_marked(
        #[case] edition: Edition,
        #[case] text: Option<&str>,
        #[case] marked: bool,
        #[case] shown: Option<&str>,
    ) {
        assert_eq!(edition.free_text(text, marked), shown);
    }

    #[test]
    fn people_served_are_never_in_the_public_edition() {
        assert_eq!(Internal.person_served("单秀英").as_deref(), Some("单秀英"));
        assert_eq!(Public.person_served("单秀英"), None);
    }

    #[test]
    fn staff_are_masked_in_the_public_edition() {
        assert_eq!(Internal.staff("李社工"), "李社工");
        assert_eq!(Public.staff("李社工"), "李**");
        assert_eq!(Edition::of_pack(true), Public);
        assert_eq!(Edition::of_pack(false), Internal);
    }
}
