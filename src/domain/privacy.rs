//! What each role sees of a person, as data: the one rule that the views
//! (`crate::views::person`), the privacy page (`/privacy`) and the README's
//! "Who sees what" tables are built from or checked against.
//!
//! Masks are chosen so that whatever a role sees without a reveal, put
//! together, leaves at least [`MIN_CANDIDATES`] possible ID numbers:
//! the ID number shows its first four characters (province and city, which
//! the township gives away anyway) and nothing else; the birth date shows
//! its year only. With the county, the year and the gender known, 365 days
//! × 500 sequence numbers = 182,500 numbers remain ([`id_candidates`] counts
//! them exactly). Showing the check character too would leave ~16,600, too
//! close to the floor once a category (60+, under 18, under 14) tells which
//! side of today someone's birthday falls in the year they cross it.
use super::role::Role;
use chrono::{Datelike, NaiveDate};

/// The fewest ID numbers that what a role may see without a reveal must
/// still allow.
pub const MIN_CANDIDATES: u64 = 10_000;

/// A worker sees a visit's person whole from this many days before the
/// visit's day …
pub const DOOR_DAYS_BEFORE: i64 = 1;
/// … to this many days after it (corrections are made in that time).
pub const DOOR_DAYS_AFTER: i64 = 3;

/// The kinds of personal data Doudi keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Datum {
    Name,
    IdNumber,
    BirthDate,
    Gender,
    Address,
    Phone,
    Guardian,
    CareNeeds,
    Disability,
    AssistanceStatus,
    HomeLocation,
    VisitRecord,
    CheckInLocation,
    Signature,
    Callback,
    Referral,
    Roster,
    StaffAccount,
    SignInAttempt,
    AuditTrail,
}

impl Datum {
    pub const ALL: [Self; 20] = [
        Self::Name,
        Self::IdNumber,
        Self::BirthDate,
        Self::Gender,
        Self::Address,
        Self::Phone,
        Self::Guardian,
        Self::CareNeeds,
        Self::Disability,
        Self::AssistanceStatus,
        Self::HomeLocation,
        Self::VisitRecord,
        Self::CheckInLocation,
        Self::Signature,
        Self::Callback,
        Self::Referral,
        Self::Roster,
        Self::StaffAccount,
        Self::SignInAttempt,
        Self::AuditTrail,
    ];

    /// The key of its label, purpose and retention in the i18n files:
    /// `privacy-datum-<key>`, `privacy-why-<key>`, `privacy-kept-<key>`.
    #[must_use]
    pub const fn key(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::IdNumber => "id-number",
            Self::BirthDate => "birth-date",
            Self::Gender => "gender",
            Self::Address => "address",
            Self::Phone => "phone",
            Self::Guardian => "guardian",
            Self::CareNeeds => "care-needs",
            Self::Disability => "disability",
            Self::AssistanceStatus => "assistance-status",
            Self::HomeLocation => "home-location",
            Self::VisitRecord => "visit-record",
            Self::CheckInLocation => "check-in-location",
            Self::Signature => "signature",
            Self::Callback => "callback",
            Self::Referral => "referral",
            Self::Roster => "roster",
            Self::StaffAccount => "staff-account",
            Self::SignInAttempt => "sign-in-attempt",
            Self::AuditTrail => "audit-trail",
        }
    }

    /// Whether it is data about a person served (as against staff).
    #[must_use]
    pub const fn of_recipients(self) -> bool {
        !matches!(
            self,
            Self::StaffAccount | Self::SignInAttempt | Self::AuditTrail
        )
    }
}

/// How much of a kind of data a role sees, within the records its scope
/// reaches (`crate::policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Seen {
    /// All of it.
    Whole,
    /// Masked (names 单**, ID numbers 5119**************, birth dates as
    /// the year); admins and the registering coordinators may reveal a
    /// whole ID number with a reason, which is audited.
    Masked,
    /// Masked, with a reveal for those allowed (ID numbers only).
    MaskedRevealable,
    /// Whole only for a visit assigned to them, from [`DOOR_DAYS_BEFORE`]
    /// days before its day to [`DOOR_DAYS_AFTER`] days after; masked or
    /// absent everywhere else.
    AtTheDoor,
    /// Only in the records they made or were assigned (their own visits,
    /// their own account).
    Own,
    /// Not at all.
    Not,
}

impl Seen {
    #[must_use]
    pub const fn key(self) -> &'static str {
        match self {
            Self::Whole => "whole",
            Self::Masked => "masked",
            Self::MaskedRevealable => "masked-revealable",
            Self::AtTheDoor => "at-the-door",
            Self::Own => "own",
            Self::Not => "not",
        }
    }
}

/// The rule: what `role` sees of `datum`.
#[must_use]
pub const fn seen(role: Role, datum: Datum) -> Seen {
    use Datum as D;
    use Role as R;
    match (datum, role) {
        (D::IdNumber, R::Admin | R::Coordinator) => Seen::MaskedRevealable,
        (D::IdNumber, R::Official) | (D::BirthDate, R::Admin | R::Official | R::Coordinator) => {
            Seen::Masked
        }
        (D::IdNumber | D::AssistanceStatus | D::Roster | D::Callback | D::Referral, R::Worker)
        | (D::Roster, R::Coordinator)
        | (D::AuditTrail | D::SignInAttempt, R::Official | R::Coordinator | R::Worker) => Seen::Not,
        (
            D::Name
            | D::BirthDate
            | D::Gender
            | D::Address
            | D::Phone
            | D::Guardian
            | D::CareNeeds
            | D::Disability
            | D::HomeLocation,
            R::Worker,
        ) => Seen::AtTheDoor,
        (D::VisitRecord | D::CheckInLocation | D::Signature | D::StaffAccount, R::Worker)
        | (D::StaffAccount, R::Official) => Seen::Own,
        _ => Seen::Whole,
    }
}

/// How one field is shown in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Whole,
    Masked,
    Hidden,
}

/// What `role` is shown of `datum` in one place: `at_the_door` is true on
/// the page and day card of a visit assigned to the viewer within
/// [`at_the_door`]'s window (for other roles it makes no difference). A
/// birth date is never shown whole without a reveal: at most its year.
#[must_use]
pub fn shown(role: Role, datum: Datum, at_the_door: bool) -> Shown {
    let shown = match seen(role, datum) {
        Seen::Whole => Shown::Whole,
        Seen::Masked | Seen::MaskedRevealable => Shown::Masked,
        Seen::AtTheDoor | Seen::Own if at_the_door => Shown::Whole,
        Seen::AtTheDoor if datum == Datum::Name => Shown::Masked,
        Seen::AtTheDoor | Seen::Own | Seen::Not => Shown::Hidden,
    };
    if datum == Datum::BirthDate && shown == Shown::Whole {
        Shown::Masked
    } else {
        shown
    }
}

/// Whether a worker sees a visit on `visit_day` whole on `today`.
#[must_use]
pub fn at_the_door(visit_day: NaiveDate, today: NaiveDate) -> bool {
    let d = (visit_day - today).num_days();
    (-DOOR_DAYS_AFTER..=DOOR_DAYS_BEFORE).contains(&d)
}

/// A name shown to people who may not see it whole: the first character
/// and one star per other character (单秀英 → 单**).
#[must_use]
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// An 18-character ID number masked: the first four characters, the
/// province and city (`5119**************`). Anything else is all stars.
#[must_use]
pub fn mask_id(id: &str) -> String {
    if id.len() == 18 && id.is_ascii() {
        format!("{}{}", &id[..4], "*".repeat(14))
    } else {
        "*".repeat(18)
    }
}

/// What of a birth date may be shown without a reveal: its year.
#[must_use]
pub fn birth_year(birth: NaiveDate) -> i32 {
    birth.year()
}

/// How many valid ID numbers agree with what is shown of one: a mask (`*`
/// for hidden characters), the birth year, the gender (odd 17th digit for
/// men) and a six-digit region guessed from the township. This is the
/// attacker's count in the reconstruction test: a whole birth date or more
/// characters of the number shrink it below [`MIN_CANDIDATES`].
#[must_use]
pub fn id_candidates(
    masked: &str,
    region: &str,
    birth_year: Option<i32>,
    birth_date: Option<NaiveDate>,
    male: Option<bool>,
) -> u64 {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let shown: Vec<char> = masked.chars().collect();
    if shown.len() != 18 || region.len() != 6 {
        return 0;
    }
    let fits = |i: usize, c: char| shown[i] == '*' || shown[i] == c;
    if !region.chars().enumerate().all(|(i, c)| fits(i, c)) {
        return 0;
    }
    let dates: Vec<NaiveDate> = match (birth_date, birth_year) {
        (Some(d), _) => vec![d],
        (None, Some(y)) => NaiveDate::from_ymd_opt(y, 1, 1)
            .map(|first| {
                first
                    .iter_days()
                    .take_while(|d| d.year() == y)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
        (None, None) => return u64::MAX,
    };
    let mut count = 0;
    for date in dates {
        let mut digits = String::with_capacity(17);
        digits.push_str(region);
        digits.push_str(&date.format("%Y%m%d").to_string());
        if !digits.chars().enumerate().all(|(i, c)| fits(i, c)) {
            continue;
        }
        let head: u32 = digits
            .bytes()
            .zip(WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        for seq in 0..1000u32 {
            if male.is_some_and(|m| (seq % 2 == 1) != m) {
                continue;
            }
            let s = [seq / 100, seq / 10 % 10, seq % 10];
            if !s
                .iter()
                .enumerate()
                .all(|(i, d)| fits(14 + i, char::from_digit(*d, 10).unwrap_or('?')))
            {
                continue;
            }
            let sum = head + s[0] * WEIGHTS[14] + s[1] * WEIGHTS[15] + s[2] * WEIGHTS[16];
            if fits(17, char::from(CHECK[(sum % 11) as usize])) {
                count += 1;
            }
        }
    }
    count
}

/// What the audit log shows of a recorded change: entries written before
/// the masks changed hold `5119**********123X` and whole birth dates; the
/// chain keeps them as written, the page and API show them as today's
/// masks would (any `id_number`/`id_masked` to its first four characters,
/// any `birth_date` to its year), at any depth.
pub fn redact_recorded(v: &mut serde_json::Value) {
    use serde_json::Value;
    /// Applies `f` to every string under `v` (a value, or its before and
    /// after).
    fn strings(v: &mut Value, f: &dyn Fn(&str) -> String) {
        match v {
            Value::String(s) => *s = f(s),
            Value::Object(map) => map.values_mut().for_each(|x| strings(x, f)),
            Value::Array(items) => items.iter_mut().for_each(|x| strings(x, f)),
            _ => {}
        }
    }
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                match k.as_str() {
                    "id_number" | "id_masked" => strings(x, &|s| {
                        let head: String = s.chars().take(4).collect();
                        format!("{head}{}", "*".repeat(14))
                    }),
                    "birth_date" => strings(x, &|s| s.chars().take(4).collect()),
                    _ => redact_recorded(x),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_recorded),
        _ => {}
    }
}

/// The numbers that decide how long some data is kept; the rest of the
/// rules are fixed. Built from the configuration by the caller (the
/// domain reads no settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// `settings.roster_retention_days`: an uploaded roster never applied
    /// is deleted after this many days.
    pub roster_days: i64,
    /// `settings.sign_in_throttle.window_minutes`: failed sign-ins are
    /// counted over this many minutes, and forgotten after.
    pub sign_in_window_minutes: i64,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            roster_days: 30,
            sign_in_window_minutes: 15,
        }
    }
}

/// How long a kind of data is kept. Nothing about a person served is
/// deleted while the safety net may still be asked about them: people are
/// exited, not removed, and history is corrected beside the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// Never deleted: a person leaves by being exited (or an account by
    /// being deactivated), with a reason; the record stays.
    UntilExitedAndAfter,
    /// Never deleted and never overwritten: a correction keeps the
    /// original beside the new version.
    History,
    /// Deleted in the transaction that applies it, or after `days` if it
    /// is never applied; the import's counts and report stay.
    UntilApplied { days: i64 },
    /// The counter rows for `minutes`; the audit entry of each failure
    /// for ever (see [`Kept::AppendOnly`]).
    Window { minutes: i64 },
    /// Append-only and kept for ever (the database refuses changes).
    AppendOnly,
}

impl Kept {
    #[must_use]
    pub const fn key(self) -> &'static str {
        match self {
            Self::UntilExitedAndAfter => "never-deleted",
            Self::History => "history",
            Self::UntilApplied { .. } => "until-applied",
            Self::Window { .. } => "window",
            Self::AppendOnly => "append-only",
        }
    }

    /// The numbers the text `privacy-kept-<datum>` is given.
    #[must_use]
    pub fn args(self) -> Vec<(&'static str, String)> {
        match self {
            Self::UntilApplied { days } => vec![("days", days.to_string())],
            Self::Window { minutes } => vec![("minutes", minutes.to_string())],
            _ => Vec::new(),
        }
    }

    /// The number of days or minutes, for the JSON.
    #[must_use]
    pub const fn days(self) -> Option<i64> {
        match self {
            Self::UntilApplied { days } => Some(days),
            _ => None,
        }
    }

    #[must_use]
    pub const fn minutes(self) -> Option<i64> {
        match self {
            Self::Window { minutes } => Some(minutes),
            _ => None,
        }
    }
}

/// How long `datum` is kept under `retention`.
#[must_use]
pub const fn kept(datum: Datum, retention: Retention) -> Kept {
    match datum {
        Datum::VisitRecord
        | Datum::CheckInLocation
        | Datum::Signature
        | Datum::Callback
        | Datum::Referral => Kept::History,
        Datum::Roster => Kept::UntilApplied {
            days: retention.roster_days,
        },
        Datum::SignInAttempt => Kept::Window {
            minutes: retention.sign_in_window_minutes,
        },
        Datum::AuditTrail => Kept::AppendOnly,
        _ => Kept::UntilExitedAndAfter,
    }
}

/// The key of the words for what `role` sees of `datum`
/// (`privacy-seen-<key>`): [`Seen::key`], except that a datum a worker sees
/// only at the door and even there only masked (the birth date, as its
/// year) says so.
#[must_use]
pub fn seen_key(role: Role, datum: Datum) -> &'static str {
    match seen(role, datum) {
        Seen::AtTheDoor if shown(role, datum, true) == Shown::Masked => "at-the-door-masked",
        s => s.key(),
    }
}

/// Every key [`seen_key`] may give, for the legend.
pub const SEEN_KEYS: [&str; 7] = [
    "whole",
    "masked",
    "masked-revealable",
    "at-the-door",
    "at-the-door-masked",
    "own",
    "not",
];

/// The README's personal-data table (markdown), one row per [`Datum`] and
/// a column per role, then how long it is kept. `text(key, args)` gives
/// the words (`crate::i18n::t_args` in English for the README); a test
/// keeps the README equal to it.
#[must_use]
pub fn markdown_table(
    retention: Retention,
    text: impl Fn(&str, &[(&str, String)]) -> String,
) -> String {
    let cell = |s: String| s.replace('|', "\\|").replace('*', "\\*");
    let mut out = format!("| {} |", cell(text("privacy-col-datum", &[])));
    for role in Role::ALL {
        out.push_str(&format!(
            " {} |",
            cell(text(&format!("privacy-role-{}", role.as_str()), &[]))
        ));
    }
    out.push_str(&format!(
        " {} |\n|---|",
        cell(text("privacy-col-kept", &[]))
    ));
    for _ in Role::ALL {
        out.push_str("---|");
    }
    out.push_str("---|\n");
    for datum in Datum::ALL {
        out.push_str(&format!(
            "| {} |",
            cell(text(&format!("privacy-datum-{}", datum.key()), &[]))
        ));
        for role in Role::ALL {
            out.push_str(&format!(
                " {} |",
                cell(text(
                    &format!("privacy-seen-{}", seen_key(role, datum)),
                    &[]
                ))
            ));
        }
        out.push_str(&format!(
            " {} |\n",
            cell(text(
                &format!("privacy-kept-{}", datum.key()),
                &kept(datum, retention).args()
            ))
        ));
    }
    out
}

/// The text between `<!-- <name>:start -->` and `<!-- <name>:end -->` in
/// `doc` (without the newlines next to the markers), for the tests that
/// keep the README equal to the code.
#[must_use]
pub fn between_markers<'a>(doc: &'a str, name: &str) -> Option<&'a str> {
    let start = format!("<!-- {name}:start -->\n");
    let end = format!("<!-- {name}:end -->");
    let from = doc.find(&start)? + start.len();
    let to = from + doc[from..].find(&end)?;
    Some(&doc[from..to])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn names_are_masked_after_the_first_character() {
        assert_eq!(mask_name("单秀英"), "单**");
        assert_eq!(mask_name("李"), "李");
        assert_eq!(mask_name(""), "");
    }

    #[rstest]
    #[case("511902196204093019", "5119**************")]
    #[case("11010519491231002X", "1101**************")]
    #[case("short", "******************")]
    #[case("５１１９０２１９６２０４０９３０１９", "******************")]
    fn id_numbers_show_the_first_four_characters_only(#[case] id: &str, #[case] masked: &str) {
        assert_eq!(mask_id(id), masked);
        assert_eq!(mask_id(id).chars().count(), 18);
    }

    /// The finding of the privacy issue: the old mask (first and last
    /// four) with the whole birth date and the township's county left
    /// exactly one number.
    #[test]
    fn the_old_mask_with_the_birth_date_gave_the_number_away() {
        let born = NaiveDate::from_ymd_opt(1962, 4, 9).unwrap();
        let old = "5119**********3019";
        assert_eq!(
            id_candidates(old, "511902", None, Some(born), Some(true)),
            1
        );
    }

    #[rstest]
    #[case("511902196204093019", 1962, true)]
    #[case("11010519491231002X", 1949, false)]
    #[case("511902201502290011", 2015, true)]
    fn what_is_shown_now_leaves_at_least_ten_thousand_numbers(
        #[case] id: &str,
        #[case] year: i32,
        #[case] male: bool,
    ) {
        let n = id_candidates(&mask_id(id), &id[..6], Some(year), None, Some(male));
        assert!(n >= MIN_CANDIDATES, "{id}: {n}");
        // Even knowing which side of today the birthday falls (a category
        // crossing), a month of days leaves more than enough.
        assert!(n / 12 >= MIN_CANDIDATES, "{id}: {n}");
        // The check character as well would have been too close.
        let with_check = format!("{}{}", &mask_id(id)[..17], &id[17..]);
        let m = id_candidates(&with_check, &id[..6], Some(year), None, Some(male));
        assert!(m < n / 10 && m / 12 < MIN_CANDIDATES, "{id}: {m}");
        // And no less with the whole date but no characters (a reveal
        // gives the whole date anyway; this checks the counter).
        assert!(id_candidates(&"*".repeat(18), &id[..6], Some(year), None, None) > 100_000);
    }

    #[test]
    fn the_count_is_exact_on_a_small_case() {
        // Whole date and the first two sequence digits known: ten last
        // digits, of which the check character keeps those that fit.
        let born = NaiveDate::from_ymd_opt(1962, 4, 9).unwrap();
        let all = id_candidates(
            "51190219620409" /* 14 */
                .chars()
                .chain("30**".chars())
                .collect::<String>()
                .as_str(),
            "511902",
            None,
            Some(born),
            None,
        );
        assert_eq!(all, 10);
    }

    #[test]
    fn workers_see_people_whole_only_around_their_visits() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 10).unwrap();
        assert!(!at_the_door(day, day - chrono::Days::new(2)));
        assert!(at_the_door(day, day - chrono::Days::new(1)));
        assert!(at_the_door(day, day));
        assert!(at_the_door(day, day + chrono::Days::new(3)));
        assert!(!at_the_door(day, day + chrono::Days::new(4)));
        assert_eq!(seen(Role::Worker, Datum::Name), Seen::AtTheDoor);
        assert_eq!(seen(Role::Worker, Datum::IdNumber), Seen::Not);
        assert_eq!(seen(Role::Official, Datum::IdNumber), Seen::Masked);
        assert_eq!(
            seen(Role::Coordinator, Datum::IdNumber),
            Seen::MaskedRevealable
        );
        assert_eq!(seen(Role::Admin, Datum::BirthDate), Seen::Masked);
        assert_eq!(seen(Role::Admin, Datum::AuditTrail), Seen::Whole);
        assert_eq!(seen(Role::Coordinator, Datum::AuditTrail), Seen::Not);
        assert_eq!(shown(Role::Worker, Datum::Name, false), Shown::Masked);
        assert_eq!(shown(Role::Worker, Datum::Name, true), Shown::Whole);
        assert_eq!(shown(Role::Worker, Datum::Phone, false), Shown::Hidden);
        assert_eq!(shown(Role::Worker, Datum::Phone, true), Shown::Whole);
        assert_eq!(shown(Role::Worker, Datum::IdNumber, true), Shown::Hidden);
        assert_eq!(shown(Role::Worker, Datum::BirthDate, true), Shown::Masked);
        assert_eq!(shown(Role::Official, Datum::Phone, false), Shown::Whole);
    }

    #[test]
    fn recorded_changes_are_shown_with_todays_masks() {
        let mut v = serde_json::json!({
            "before": {"id_number": "5119**********3019", "birth_date": "1962-04-09", "name": "单秀英"},
            "after": [{"id_masked": "1101**********002X"}, {"birth_date": null}],
            "reason": "id_number 5119",
            "changes": {"birth_date": {"before": null, "after": "1946-08-19"}}
        });
        redact_recorded(&mut v);
        assert_eq!(
            v,
            serde_json::json!({
                "before": {"id_number": "5119**************", "birth_date": "1962", "name": "单秀英"},
                "after": [{"id_masked": "1101**************"}, {"birth_date": null}],
                "reason": "id_number 5119",
                "changes": {"birth_date": {"before": null, "after": "1946"}}
            })
        );
    }

    #[test]
    fn the_readme_personal_data_table_is_the_rule() {
        use crate::{domain::locale::Locale, i18n::t_args};
        let expected = markdown_table(Retention::default(), |k, a| t_args(Locale::En, k, a));
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .expect("README.md");
        assert_eq!(
            between_markers(&readme, "privacy-table"),
            Some(expected.as_str()),
            "README.md, between <!-- privacy-table:start --> and <!-- privacy-table:end -->, should be:\n\n{expected}"
        );
        // The README shows the defaults of the settings.
        assert_eq!(
            Retention::default().roster_days,
            crate::models::recipient_imports::retention_days(None)
        );
    }

    #[test]
    fn every_datum_role_and_way_of_seeing_has_its_words_in_both_languages() {
        use crate::{
            domain::locale::Locale,
            i18n::{langid, LOCALES},
        };
        use fluent_templates::Loader;
        let mut keys: Vec<String> = Vec::new();
        for d in Datum::ALL {
            for part in ["datum", "what", "why", "kept"] {
                keys.push(format!("privacy-{part}-{}", d.key()));
            }
        }
        for r in Role::ALL {
            keys.push(format!("privacy-role-{}", r.as_str()));
        }
        for k in SEEN_KEYS {
            keys.push(format!("privacy-seen-{k}"));
            keys.push(format!("privacy-seen-{k}-means"));
        }
        for role in Role::ALL {
            for d in Datum::ALL {
                assert!(SEEN_KEYS.contains(&seen_key(role, d)), "{role} {d:?}");
            }
        }
        let args: std::collections::HashMap<std::borrow::Cow<'static, str>, _> =
            ["days", "minutes", "before", "after"]
                .into_iter()
                .map(|a| {
                    (
                        a.into(),
                        fluent_templates::fluent_bundle::FluentValue::from(1),
                    )
                })
                .collect();
        for lang in Locale::ALL {
            for k in &keys {
                let text = LOCALES.try_lookup_with_args(langid(lang), k, &args);
                assert!(text.is_some_and(|t| !t.is_empty()), "{} {k}", lang.as_str());
            }
        }
    }

    #[test]
    fn retention_follows_the_settings() {
        let r = Retention {
            roster_days: 7,
            sign_in_window_minutes: 60,
        };
        assert_eq!(kept(Datum::Roster, r), Kept::UntilApplied { days: 7 });
        assert_eq!(kept(Datum::SignInAttempt, r), Kept::Window { minutes: 60 });
        assert_eq!(kept(Datum::AuditTrail, r), Kept::AppendOnly);
        assert_eq!(kept(Datum::Signature, r), Kept::History);
        assert_eq!(kept(Datum::IdNumber, r), Kept::UntilExitedAndAfter);
        assert_eq!(
            seen_key(Role::Worker, Datum::BirthDate),
            "at-the-door-masked"
        );
        assert_eq!(seen_key(Role::Worker, Datum::Phone), "at-the-door");
        assert_eq!(seen_key(Role::Official, Datum::IdNumber), "masked");
    }

    #[test]
    fn nobody_sees_a_whole_birth_date_or_id_number_without_a_reveal() {
        for role in Role::ALL {
            for at in [false, true] {
                assert_ne!(shown(role, Datum::BirthDate, at), Shown::Whole);
                assert_ne!(shown(role, Datum::IdNumber, at), Shown::Whole);
            }
        }
    }
}
