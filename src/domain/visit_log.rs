//! What a visit record must hold: its outcome, the lines of "material +
//! service", why a location or a signature is missing, what it refers on,
//! and the six verification elements of a completed visit (type of
//! service, recipient, date, location, provider, begin and end time).
use super::{
    field_errors::FieldErrors,
    limits::List,
    money::parse_yuan,
    text::{self, TextError},
    visit::VisitStatus,
};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

impl Outcome {
    /// The status a visit takes with this outcome.
    #[must_use]
    pub const fn status(self) -> VisitStatus {
        match self {
            Self::Completed => VisitStatus::Completed,
            Self::Attempted => VisitStatus::Attempted,
            Self::Refused => VisitStatus::Refused,
            Self::Cancelled => VisitStatus::Cancelled,
        }
    }

    /// Whether a visit in status `from` may be ended with this outcome at
    /// the door: a checked-in visit with any outcome; one not yet started
    /// only cancelled.
    #[must_use]
    pub const fn may_end(self, from: VisitStatus) -> bool {
        match self {
            Self::Cancelled => matches!(from, VisitStatus::Scheduled | VisitStatus::InProgress),
            _ => matches!(from, VisitStatus::InProgress),
        }
    }
}

codes! {
    /// Who paid for material handed over: the contract's budget, or a
    /// donor (named on the line).
    Funding { Contract = "contract", Donation = "donation" }
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

// The log of a visit: what the worker sends at check-out or in a
// correction, and the checked value the model stores.

/// The longest notes (or cancel reason), in characters.
pub const MAX_NOTES: usize = 2000;
/// The most minutes one service line may take (twelve hours).
pub const MAX_MINUTES: i64 = 720;
/// The largest signature image accepted, in bytes.
pub const MAX_SIGNATURE_BYTES: usize = 300 * 1024;
const MAX_ITEM: usize = 100;
const MAX_UNIT: usize = 20;
const MAX_DONOR: usize = 100;
const MAX_CONFIRMED_BY: usize = 50;
const MAX_RELATION: usize = 20;
/// The longest reason for minutes that do not fit the visit's time.
pub const MAX_MINUTES_REASON: usize = 500;
/// How many minutes of service a visit may log beyond the time between
/// its check-in and check-out without a reason (clocks and rounding).
pub const MINUTES_TOLERANCE: i64 = 5;

/// How long a visit lasted, from its check-in and check-out as the server
/// received them (`server`) and as the phone recorded them (`device`):
/// the longer of the two spans that are known. A record queued offline
/// reaches the server late, its check-in and check-out perhaps together,
/// so the server's span alone may be seconds; the phone's span is what
/// the phone checked before queueing, and the server never counts less.
#[must_use]
pub fn elapsed(
    server: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    device: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
) -> Option<Duration> {
    let span = |(a, b): (Option<DateTime<Utc>>, Option<DateTime<Utc>>)| Some(b? - a?);
    match (span(server), span(device)) {
        (Some(s), Some(d)) => Some(s.max(d)),
        (s, d) => s.or(d),
    }
}

/// Whether `minutes` of service fit in a visit that lasted `elapsed`
/// (with [`MINUTES_TOLERANCE`]), in whole seconds as the phone counts.
#[must_use]
pub fn minutes_fit(minutes: i64, elapsed: Duration) -> bool {
    minutes.saturating_mul(60) <= elapsed.num_seconds() + MINUTES_TOLERANCE * 60
}

/// One service line as sent; `minutes` is a number or a string.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServiceInput {
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub minutes: Value,
}

/// One material line as sent; `value` is in yuan (`"12.50"`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MaterialInput {
    #[serde(default)]
    pub item: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub quantity: Value,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub value: Value,
    /// `contract` (the contract's budget) or `donation`.
    #[serde(default)]
    pub funding: Option<String>,
    /// The charity or donor, for a donation.
    #[serde(default)]
    pub donor: Option<String>,
}

/// What happened at a visit, as sent at check-out or in a correction:
/// outcome, lines, notes and the recipient's confirmation.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LogInput {
    /// `completed`, `attempted`, `refused` or `cancelled`.
    pub outcome: Option<String>,
    #[serde(default)]
    pub services: Vec<ServiceInput>,
    #[serde(default)]
    pub materials: Vec<MaterialInput>,
    pub notes: Option<String>,
    /// Who confirmed (the recipient or a family member) and how related.
    pub confirmed_by: Option<String>,
    pub confirmed_relation: Option<String>,
    /// The signature drawn on the screen, `data:image/png;base64,...`.
    pub signature: Option<String>,
    /// Why nobody could confirm.
    pub no_confirmation_reason: Option<String>,
    /// Why the service minutes are more than the time between check-in
    /// and check-out (needed only then).
    #[serde(default)]
    pub minutes_reason: Option<String>,
}

/// A number or a string, as phones send them.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A service delivered: a code of the catalogue and how long it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLine {
    service: String,
    minutes: i64,
}

impl ServiceLine {
    #[must_use]
    pub fn service(&self) -> &str {
        &self.service
    }

    /// 1 to [`MAX_MINUTES`].
    #[must_use]
    pub const fn minutes(&self) -> i64 {
        self.minutes
    }

    /// Line `i` as sent; errors go to `services.{i}.service|minutes`.
    fn check(
        e: &mut FieldErrors,
        i: usize,
        s: &ServiceInput,
        offered: &dyn Fn(&str) -> bool,
    ) -> Option<Self> {
        let service = s.service.as_deref().map(str::trim).filter(|x| offered(x));
        let minutes = text_of(&s.minutes)
            .and_then(|m| m.trim().parse::<i64>().ok())
            .filter(|m| (1..=MAX_MINUTES).contains(m));
        if service.is_none() {
            e.add(&format!("services.{i}.service"), "error-choose-services");
        }
        if minutes.is_none() {
            e.add(&format!("services.{i}.minutes"), "error-minutes");
        }
        Some(Self {
            service: service?.to_string(),
            minutes: minutes?,
        })
    }
}

/// Material handed over: what, how much, worth how much, paid by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialLine {
    item: String,
    category: MaterialCategory,
    quantity_milli: i64,
    unit: String,
    value_fen: i64,
    funding: Funding,
    donor: Option<String>,
}

impl MaterialLine {
    #[must_use]
    pub fn item(&self) -> &str {
        &self.item
    }

    #[must_use]
    pub const fn category(&self) -> MaterialCategory {
        self.category
    }

    /// Thousandths of the unit (see [`quantity_milli`]).
    #[must_use]
    pub const fn quantity_milli(&self) -> i64 {
        self.quantity_milli
    }

    #[must_use]
    pub fn unit(&self) -> &str {
        &self.unit
    }

    #[must_use]
    pub const fn value_fen(&self) -> i64 {
        self.value_fen
    }

    #[must_use]
    pub const fn funding(&self) -> Funding {
        self.funding
    }

    /// The donor of a donation (always named); none for contract funding.
    #[must_use]
    pub fn donor(&self) -> Option<&str> {
        self.donor.as_deref()
    }

    /// Line `i` as sent; errors go to `materials.{i}.<field>`.
    fn check(e: &mut FieldErrors, i: usize, m: &MaterialInput) -> Option<Self> {
        let f = |k: &str| format!("materials.{i}.{k}");
        let item = e.take(
            &f("item"),
            text::required(m.item.as_deref().unwrap_or_default(), MAX_ITEM),
            TextError::message_key,
        );
        let category = MaterialCategory::parse(m.category.as_deref().unwrap_or_default()).ok();
        if category.is_none() {
            e.add(&f("category"), "error-material-category");
        }
        let quantity = text_of(&m.quantity).and_then(|q| quantity_milli(&q));
        if quantity.is_none() {
            e.add(&f("quantity"), "error-quantity");
        }
        let unit = e.take(
            &f("unit"),
            text::required(m.unit.as_deref().unwrap_or_default(), MAX_UNIT),
            TextError::message_key,
        );
        let value = match text_of(&m.value) {
            Some(v) => e.take(&f("value"), parse_yuan(&v), |x| x.message_key()),
            None => {
                e.add(&f("value"), "error-money");
                None
            }
        };
        let funding = m.funding.as_deref().and_then(|x| Funding::parse(x).ok());
        if funding.is_none() {
            e.add(&f("funding"), "error-funding");
        }
        let donor = e
            .take(
                &f("donor"),
                text::optional(m.donor.as_deref(), MAX_DONOR),
                TextError::message_key,
            )
            .flatten();
        if funding == Some(Funding::Donation) && donor.is_none() {
            e.add(&f("donor"), "error-donor");
        }
        let funding = funding?;
        Some(Self {
            item: item?,
            category: category?,
            quantity_milli: quantity?,
            unit: unit?,
            value_fen: value?,
            funding,
            // A donor named on a line the contract paid for is dropped.
            donor: donor.filter(|_| funding == Funding::Donation),
        })
    }
}

/// The image formats a signature may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Webp,
}

impl ImageKind {
    pub const ALL: [Self; 3] = [Self::Png, Self::Jpeg, Self::Webp];

    /// The content type, as in a data URL.
    #[must_use]
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
        }
    }

    /// Whether `bytes` begin as an image of this kind does.
    fn matches(self, bytes: &[u8]) -> bool {
        match self {
            Self::Png => bytes.starts_with(b"\x89PNG"),
            Self::Jpeg => bytes.starts_with(&[0xFF, 0xD8]),
            Self::Webp => bytes.get(8..12) == Some(b"WEBP"),
        }
    }
}

/// Why a signature was refused (all shown as `error-signature`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("not a base64 data URL")]
    NotDataUrl,
    #[error("not a PNG, JPEG or WebP image")]
    Kind,
    #[error("the data is not base64")]
    Encoding,
    #[error("the data is not the image its type says")]
    Content,
    #[error("the image is empty or larger than 300 KiB")]
    Size,
}

impl SignatureError {
    #[must_use]
    pub const fn message_key(self) -> &'static str {
        "error-signature"
    }
}

/// A signature drawn on the screen: an image of a known kind whose bytes
/// are that kind, at most [`MAX_SIGNATURE_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    kind: ImageKind,
    data: Vec<u8>,
}

impl Signature {
    /// Reads `data:image/png;base64,...` (PNG, JPEG or WebP).
    ///
    /// # Errors
    /// Not such a data URL, another kind, bad base64, bytes that are not
    /// the kind named, empty or too large.
    pub fn parse(raw: &str) -> Result<Self, SignatureError> {
        use base64::Engine;
        let (head, data) = raw
            .trim()
            .split_once(',')
            .ok_or(SignatureError::NotDataUrl)?;
        let kind = head
            .strip_prefix("data:")
            .and_then(|h| h.strip_suffix(";base64"))
            .ok_or(SignatureError::NotDataUrl)?;
        let kind = ImageKind::ALL
            .into_iter()
            .find(|k| k.content_type() == kind)
            .ok_or(SignatureError::Kind)?;
        let data = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|_| SignatureError::Encoding)?;
        if !kind.matches(&data) {
            return Err(SignatureError::Content);
        }
        if data.is_empty() || data.len() > MAX_SIGNATURE_BYTES {
            return Err(SignatureError::Size);
        }
        Ok(Self { kind, data })
    }

    #[must_use]
    pub const fn kind(&self) -> ImageKind {
        self.kind
    }

    #[must_use]
    pub const fn content_type(&self) -> &'static str {
        self.kind.content_type()
    }

    #[must_use]
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

/// A visit's log that passed every check: an outcome, notes (a cancelled
/// visit's reason), and for a completed visit its lines and the
/// recipient's confirmation (or why there is none). Lines and a
/// confirmation sent with another outcome are refused, so a log that is
/// not completed holds none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitLog {
    outcome: Outcome,
    notes: Option<String>,
    services: Vec<ServiceLine>,
    materials: Vec<MaterialLine>,
    confirmed_by: Option<String>,
    confirmed_relation: Option<String>,
    no_confirmation_reason: Option<NoConfirmationReason>,
    signature: Option<Signature>,
    minutes_reason: Option<String>,
}

impl VisitLog {
    /// Checks a log as sent, collecting every problem (per line:
    /// `services.0.minutes`). `offered` says whether a service code is in
    /// the catalogue; `signed` whether a signature is already on file (a
    /// correction need not send it again); `elapsed` how long the visit
    /// lasted ([`elapsed`]; none: not known, nothing to check): a completed
    /// visit's service minutes must fit in it ([`minutes_fit`]) or come
    /// with a `minutes_reason`.
    ///
    /// # Errors
    /// The field errors, with the message keys the pages translate.
    pub fn parse(
        input: &LogInput,
        offered: &dyn Fn(&str) -> bool,
        signed: bool,
        elapsed: Option<Duration>,
    ) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::new();
        let outcome = e.take(
            "outcome",
            Outcome::parse(input.outcome.as_deref().unwrap_or_default()),
            |_| "error-outcome",
        );
        let notes = e
            .take(
                "notes",
                text::optional(input.notes.as_deref(), MAX_NOTES),
                TextError::message_key,
            )
            .flatten();
        if outcome == Some(Outcome::Cancelled) && notes.is_none() {
            e.add("notes", "error-cancel-reason");
        }
        let delivered = outcome == Some(Outcome::Completed);
        if !delivered && (!input.services.is_empty() || !input.materials.is_empty()) {
            e.add("services", "error-lines-only-completed");
        }
        let (services, materials) = lines(&mut e, input, offered);
        let minutes_reason = e
            .take(
                "minutes_reason",
                text::optional(input.minutes_reason.as_deref(), MAX_MINUTES_REASON),
                TextError::message_key,
            )
            .flatten();
        let minutes: i64 = services.iter().map(ServiceLine::minutes).sum();
        let over = delivered && elapsed.is_some_and(|d| !minutes_fit(minutes, d));
        if over && minutes_reason.is_none() {
            e.add("minutes_reason", "error-minutes-exceed");
        }
        let confirmed_by = e
            .take(
                "confirmed_by",
                text::optional(input.confirmed_by.as_deref(), MAX_CONFIRMED_BY),
                TextError::message_key,
            )
            .flatten();
        let confirmed_relation = e
            .take(
                "confirmed_relation",
                text::optional(input.confirmed_relation.as_deref(), MAX_RELATION),
                TextError::message_key,
            )
            .flatten();
        let no_confirmation_reason = e.optional(
            "no_confirmation_reason",
            input.no_confirmation_reason.as_deref(),
            "error-location-reason",
            NoConfirmationReason::parse,
        );
        let signature = match input.signature.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(raw) => e.take(
                "signature",
                Signature::parse(raw),
                SignatureError::message_key,
            ),
            None => None,
        };
        let confirmed = confirmed_by.is_some()
            && confirmed_relation.is_some()
            && (signed || signature.is_some());
        if delivered && no_confirmation_reason.is_none() && !confirmed {
            e.add("confirmation", "error-confirmation");
        }
        // Without an outcome there is an error on `outcome`.
        let outcome = e
            .check(outcome)?
            .ok_or_else(|| FieldErrors::one("outcome", "error-outcome"))?;
        // What only a completed visit keeps.
        Ok(Self {
            outcome,
            notes,
            services,
            materials,
            confirmed_by: confirmed_by.filter(|_| delivered),
            confirmed_relation: confirmed_relation.filter(|_| delivered),
            no_confirmation_reason: no_confirmation_reason.filter(|_| delivered),
            signature: signature.filter(|_| delivered),
            // Kept only where it explains something.
            minutes_reason: minutes_reason.filter(|_| over),
        })
    }

    #[must_use]
    pub const fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// The status the visit takes.
    #[must_use]
    pub const fn status(&self) -> VisitStatus {
        self.outcome.status()
    }

    /// The service was delivered (the outcome is `completed`).
    #[must_use]
    pub fn delivered(&self) -> bool {
        self.outcome == Outcome::Completed
    }

    #[must_use]
    pub fn notes(&self) -> Option<&str> {
        self.notes.as_deref()
    }

    /// Why a cancelled visit was cancelled (its notes); none otherwise.
    #[must_use]
    pub fn cancel_reason(&self) -> Option<&str> {
        self.notes().filter(|_| self.outcome == Outcome::Cancelled)
    }

    #[must_use]
    pub fn services(&self) -> &[ServiceLine] {
        &self.services
    }

    #[must_use]
    pub fn materials(&self) -> &[MaterialLine] {
        &self.materials
    }

    #[must_use]
    pub fn confirmed_by(&self) -> Option<&str> {
        self.confirmed_by.as_deref()
    }

    #[must_use]
    pub fn confirmed_relation(&self) -> Option<&str> {
        self.confirmed_relation.as_deref()
    }

    #[must_use]
    pub const fn no_confirmation_reason(&self) -> Option<NoConfirmationReason> {
        self.no_confirmation_reason
    }

    /// Why the minutes do not fit the visit's time (only when they do not).
    #[must_use]
    pub fn minutes_reason(&self) -> Option<&str> {
        self.minutes_reason.as_deref()
    }

    /// A signature sent with a completed visit's log.
    #[must_use]
    pub const fn signature(&self) -> Option<&Signature> {
        self.signature.as_ref()
    }
}

/// The lines of a log: too many of either kind are refused as a whole,
/// none of them looked at.
fn lines(
    e: &mut FieldErrors,
    input: &LogInput,
    offered: &dyn Fn(&str) -> bool,
) -> (Vec<ServiceLine>, Vec<MaterialLine>) {
    let over = [
        ("services", List::ServiceLines, input.services.len()),
        ("materials", List::MaterialLines, input.materials.len()),
    ]
    .into_iter()
    .filter_map(|(field, list, n)| list.check(n).err().map(|key| (field, key)))
    .collect::<Vec<_>>();
    for (field, key) in &over {
        e.add(field, key);
    }
    if !over.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let services = input
        .services
        .iter()
        .enumerate()
        .filter_map(|(i, s)| ServiceLine::check(e, i, s, offered))
        .collect();
    let materials = input
        .materials
        .iter()
        .enumerate()
        .filter_map(|(i, m)| MaterialLine::check(e, i, m))
        .collect();
    (services, materials)
}

/// One referral as sent with a check-out.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReferralInput {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Something a visit found that someone must act on: a kind and a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    kind: ReferralKind,
    note: String,
}

impl Referral {
    /// The longest note, in characters.
    pub const MAX_NOTE: usize = 1000;

    /// The referrals sent with a check-out: at most
    /// [`List::Referrals`]'s maximum (more are refused as a whole), each
    /// with a kind and a note (errors per line: `referrals.0.note`).
    ///
    /// # Errors
    /// The field errors.
    pub fn parse_list(inputs: &[ReferralInput]) -> Result<Vec<Self>, FieldErrors> {
        let mut e = FieldErrors::new();
        if let Err(key) = List::Referrals.check(inputs.len()) {
            e.add("referrals", key);
            return Err(e);
        }
        let mut out = Vec::new();
        for (i, r) in inputs.iter().enumerate() {
            let kind = ReferralKind::parse(r.kind.as_deref().unwrap_or_default()).ok();
            if kind.is_none() {
                e.add(&format!("referrals.{i}.kind"), "error-referral-kind");
            }
            let note = e.take(
                &format!("referrals.{i}.note"),
                text::required(r.note.as_deref().unwrap_or_default(), Self::MAX_NOTE),
                TextError::message_key,
            );
            if let (Some(kind), Some(note)) = (kind, note) {
                out.push(Self { kind, note });
            }
        }
        e.check(out)
    }

    #[must_use]
    pub const fn kind(&self) -> ReferralKind {
        self.kind
    }

    #[must_use]
    pub fn note(&self) -> &str {
        &self.note
    }
}

#[cfg(test)]
mod parse_tests;
