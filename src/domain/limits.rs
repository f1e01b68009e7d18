//! How long each list a caller sends may be. Every array in a request has
//! a maximum, checked before any of its entries is looked at, so a body
//! of ten thousand lines costs no more than one of fifty; and no statement
//! ever binds more than a few thousand parameters (SQLite allows 32,766,
//! PostgreSQL 65,535).
/// The lists a request may carry, each with its maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    /// Service lines of one visit's log.
    ServiceLines,
    /// Material lines of one visit's log.
    MaterialLines,
    /// Referrals raised by one visit.
    Referrals,
    /// Services of a plan.
    PlanServices,
    /// Weekdays ticked on the plan form.
    Weekdays,
    /// Skipped (EXDATE) or extra (RDATE) times of a plan.
    PlanDates,
    /// Care tags of a person.
    CareTags,
    /// Townships of an official.
    Townships,
    /// Items of a contract.
    ContractItems,
    /// People or households added to (or released from) a contract's
    /// coverage at once, or ID numbers pasted for it.
    Coverage,
}

impl List {
    /// The most entries accepted.
    #[must_use]
    pub const fn max(self) -> usize {
        match self {
            Self::Weekdays => 7,
            Self::Referrals => 10,
            Self::PlanServices | Self::CareTags => 20,
            Self::ServiceLines | Self::MaterialLines | Self::Townships => 50,
            Self::ContractItems => 100,
            Self::PlanDates => 366,
            Self::Coverage => 5000,
        }
    }

    /// The message for a list longer than [`List::max`].
    #[must_use]
    pub const fn message_key(self) -> &'static str {
        match self.max() {
            7 => "error-list-max-7",
            10 => "error-list-max-10",
            20 => "error-list-max-20",
            50 => "error-list-max-50",
            100 => "error-list-max-100",
            366 => "error-list-max-366",
            _ => "error-list-max-5000",
        }
    }

    /// `Err(message key)` when `len` entries are too many.
    ///
    /// # Errors
    /// The message key of [`List::message_key`].
    pub const fn check(self, len: usize) -> Result<(), &'static str> {
        if len > self.max() {
            Err(self.message_key())
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(List::ServiceLines, 50)]
    #[case(List::MaterialLines, 50)]
    #[case(List::Referrals, 10)]
    #[case(List::PlanServices, 20)]
    #[case(List::Weekdays, 7)]
    #[case(List::PlanDates, 366)]
    #[case(List::CareTags, 20)]
    #[case(List::Townships, 50)]
    #[case(List::ContractItems, 100)]
    #[case(List::Coverage, 5000)]
    fn each_list_takes_its_maximum_and_not_one_more(#[case] list: List, #[case] max: usize) {
        assert_eq!(list.max(), max);
        assert_eq!(list.check(0), Ok(()));
        assert_eq!(list.check(max), Ok(()));
        assert_eq!(list.check(max + 1), Err(list.message_key()));
        assert!(list.message_key().ends_with(&max.to_string()));
    }
}
