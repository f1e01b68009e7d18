//! What a visit record must hold: its outcome, the lines of "material +
//! service", why a location or a signature is missing, what it refers on,
//! and the six verification elements of a completed visit (type of
//! service, recipient, date, location, provider, begin and end time).
use chrono::{DateTime, Utc};
use serde::Serialize;

macro_rules! codes {
    ($(#[$m:meta])* $name:ident { $($v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($v),+ }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$v),+];

            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }

            /// # Errors
            /// An unknown code.
            pub fn parse(s: &str) -> Result<Self, UnknownCode> {
                match s.trim() {
                    $($s => Ok(Self::$v),)+
                    _ => Err(UnknownCode),
                }
            }
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown code")]
pub struct UnknownCode;

codes! {
    /// How a visit ended. Only completed visits count as delivered; the
    /// others stay visible as effort.
    Outcome { Completed = "completed", Attempted = "attempted", Refused = "refused", Cancelled = "cancelled" }
}

codes! {
    /// Kinds of material handed over.
    MaterialCategory { Cash = "cash", Food = "food", Clothing = "clothing", Medicine = "medicine", DailyGoods = "daily_goods", Other = "other" }
}

codes! {
    /// Why a check-in has no location, or one far from the home.
    LocationReason {
        MetAtHospital = "met_at_hospital",
        MetElsewhere = "met_elsewhere",
        NoGpsSignal = "no_gps_signal",
        PermissionDenied = "permission_denied",
        HomeMisplaced = "home_misplaced",
    }
}

codes! {
    /// Why a completed visit has no confirmation from the recipient.
    NoConfirmationReason {
        CannotWrite = "cannot_write",
        GuardianAbsent = "guardian_absent",
        RecipientRefused = "recipient_refused",
        DeviceProblem = "device_problem",
    }
}

codes! {
    /// What a visit found that someone must act on.
    ReferralKind { NewNeed = "new_need", HealthRisk = "health_risk", Housing = "housing", BenefitChange = "benefit_change" }
}

codes! {
    /// The six elements every completed visit holds.
    Element { ServiceType = "service_type", Recipient = "recipient", Date = "date", Location = "location", Provider = "provider", Times = "times" }
}

/// What a visit record holds, as the verification check sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evidence {
    pub service_lines: usize,
    pub recipient: bool,
    pub provider: bool,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_out_at: Option<DateTime<Utc>>,
    /// A location was recorded, or a reason names where the visit was.
    pub located: bool,
}

/// The verification elements a completed visit still lacks (none: it
/// may be completed).
#[must_use]
pub fn missing(e: &Evidence) -> Vec<Element> {
    let mut out = Vec::new();
    if e.service_lines == 0 {
        out.push(Element::ServiceType);
    }
    if !e.recipient {
        out.push(Element::Recipient);
    }
    if e.checked_in_at.is_none() {
        out.push(Element::Date);
    }
    if !e.located {
        out.push(Element::Location);
    }
    if !e.provider {
        out.push(Element::Provider);
    }
    match (e.checked_in_at, e.checked_out_at) {
        (Some(a), Some(b)) if b > a => {}
        _ => out.push(Element::Times),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rstest::rstest;

    fn full() -> Evidence {
        Evidence {
            service_lines: 1,
            recipient: true,
            provider: true,
            checked_in_at: Some(Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap()),
            checked_out_at: Some(Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap()),
            located: true,
        }
    }

    #[rstest]
    #[case(full(), vec![])]
    #[case(Evidence { service_lines: 0, ..full() }, vec![Element::ServiceType])]
    #[case(Evidence { recipient: false, ..full() }, vec![Element::Recipient])]
    #[case(Evidence { checked_in_at: None, ..full() }, vec![Element::Date, Element::Times])]
    #[case(Evidence { located: false, ..full() }, vec![Element::Location])]
    #[case(Evidence { provider: false, ..full() }, vec![Element::Provider])]
    #[case(Evidence { checked_out_at: None, ..full() }, vec![Element::Times])]
    #[case(Evidence { checked_out_at: full().checked_in_at, ..full() }, vec![Element::Times])]
    #[case(Evidence::default(), vec![Element::ServiceType, Element::Recipient, Element::Date, Element::Location, Element::Provider, Element::Times])]
    fn the_six_elements(#[case] e: Evidence, #[case] want: Vec<Element>) {
        assert_eq!(missing(&e), want);
    }

    #[test]
    fn codes_read_back() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Ok(*o));
        }
        for c in MaterialCategory::ALL {
            assert_eq!(MaterialCategory::parse(c.as_str()), Ok(*c));
        }
        for r in LocationReason::ALL {
            assert_eq!(LocationReason::parse(r.as_str()), Ok(*r));
        }
        assert_eq!(ReferralKind::parse("nope"), Err(UnknownCode));
    }
}

/// A quantity as typed or sent (`2`, `2.5`, `0.125`), in thousandths:
/// exact, positive, at most three decimals and a million units.
#[must_use]
pub fn quantity_milli(raw: &str) -> Option<i64> {
    let s = crate::domain::text::half_width(raw);
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty()
        || frac.len() > 3
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || whole.len() > 7
    {
        return None;
    }
    let w: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let f: i64 = format!("{frac:0<3}").parse().ok()?;
    let q = w * 1000 + f;
    (q > 0 && q <= 1_000_000_000).then_some(q)
}

/// Thousandths back to how people write them: `2`, `2.5`, `0.125`.
#[must_use]
pub fn format_quantity(milli: i64) -> String {
    let (whole, frac) = (milli / 1000, (milli % 1000).abs());
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{frac:03}")
            .trim_end_matches('0')
            .to_string()
    }
}

#[cfg(test)]
mod quantity_tests {
    use super::{format_quantity, quantity_milli};
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case(2000, "2")]
    #[case(2500, "2.5")]
    #[case(125, "0.125")]
    #[case(10_010, "10.01")]
    fn quantities_read_back(#[case] milli: i64, #[case] want: &str) {
        assert_eq!(format_quantity(milli), want);
    }

    proptest! {
        #[test]
        fn a_formatted_quantity_parses_to_itself(q in 1i64..=1_000_000_000) {
            prop_assert_eq!(quantity_milli(&format_quantity(q)), Some(q));
        }
    }

    #[rstest]
    #[case("2", Some(2000))]
    #[case("2.5", Some(2500))]
    #[case("0.125", Some(125))]
    #[case("１０", Some(10_000))]
    #[case("0", None)]
    #[case("-1", None)]
    #[case("1.2345", None)]
    #[case("abc", None)]
    #[case("", None)]
    #[case("99999999", None)]
    fn quantities(#[case] raw: &str, #[case] want: Option<i64>) {
        assert_eq!(quantity_milli(raw), want);
    }
}
