//! The words of the recipients' registry: categories, assistance status,
//! disability, care-need tags and the recipient's status. All stored as
//! strings and parsed here.
use super::resident_id::{age_on, born_on_or_before};
use chrono::{Datelike, NaiveDate};
use std::str::FromStr;

/// Age from which someone counts as elderly (老年人).
pub const ELDERLY_AGE: u32 = 60;
/// Age of majority: under it someone is a minor (未成年人).
pub const ADULT_AGE: u32 = 18;
/// Under this age, consent must come from the guardian (PIPL art. 31).
pub const OWN_CONSENT_AGE: u32 = 14;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $s),+ }
            }
        }

        impl FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s.trim() { $($s => Ok(Self::$variant),)+ _ => Err(()) }
            }
        }
    };
}

string_enum!(
    /// A household's assistance status.
    AssistanceStatus {
        Dibao => "dibao",
        Tekun => "tekun",
        LowIncome => "low_income",
        None => "none",
    }
);

impl AssistanceStatus {
    /// Reads the Chinese words rosters use (低保, 特困, 低收入, 无) as well
    /// as the stored names.
    #[must_use]
    pub fn from_roster(s: &str) -> Option<Self> {
        let s = s.trim();
        match s {
            "低保" | "低保户" | "最低生活保障" | "城乡低保" | "农村低保" | "城市低保" => {
                Some(Self::Dibao)
            }
            "特困" | "特困供养" | "特困人员" | "五保" | "五保户" => {
                Some(Self::Tekun)
            }
            "低收入" | "低收入人口" | "低收入家庭" | "低边" => Some(Self::LowIncome),
            "" | "无" | "-" => Some(Self::None),
            other => other.parse().ok(),
        }
    }
}

string_enum!(
    /// The type on a disability certificate (残疾人证).
    DisabilityType {
        Physical => "physical",
        Visual => "visual",
        Hearing => "hearing",
        Speech => "speech",
        Intellectual => "intellectual",
        Mental => "mental",
        Multiple => "multiple",
    }
);

impl DisabilityType {
    /// Reads 肢体, 视力, 听力, 言语, 智力, 精神, 多重 (with or without 残疾).
    #[must_use]
    pub fn from_roster(s: &str) -> Option<Self> {
        let s = s.trim().trim_end_matches("残疾");
        match s {
            "肢体" => Some(Self::Physical),
            "视力" => Some(Self::Visual),
            "听力" => Some(Self::Hearing),
            "言语" => Some(Self::Speech),
            "智力" => Some(Self::Intellectual),
            "精神" => Some(Self::Mental),
            "多重" => Some(Self::Multiple),
            other => other.parse().ok(),
        }
    }
}

/// Not a disability certificate level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a certificate level is 1 to 4")]
pub struct LevelError;

/// Certificate level 1 (most severe) to 4; rosters write 一级 or 1.
///
/// # Errors
/// When the text is not a level.
pub fn disability_level(s: &str) -> Result<i64, LevelError> {
    let s = s.trim().trim_end_matches('级').trim_start_matches('第');
    match s {
        "1" | "一" | "壹" => Ok(1),
        "2" | "二" | "贰" => Ok(2),
        "3" | "三" | "叁" => Ok(3),
        "4" | "四" | "肆" => Ok(4),
        _ => Err(LevelError),
    }
}

string_enum!(
    /// Tags for what a recipient's care must take into account.
    CareTag {
        LivesAlone => "lives_alone",
        Bedridden => "bedridden",
        Dementia => "dementia",
        ChronicIllness => "chronic_illness",
        LimitedMobility => "limited_mobility",
        LeftBehind => "left_behind",
        HearingImpaired => "hearing_impaired",
        NeedsInterpreter => "needs_interpreter",
    }
);

/// Parses a comma-separated tag list, keeping the catalogue's order and
/// dropping duplicates.
///
/// # Errors
/// The first unknown tag.
pub fn parse_tags<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<Vec<CareTag>, String> {
    let mut found = Vec::new();
    for raw in items {
        for t in raw.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            found.push(t.parse::<CareTag>().map_err(|()| t.to_string())?);
        }
    }
    Ok(CareTag::ALL
        .iter()
        .copied()
        .filter(|t| found.contains(t))
        .collect())
}

/// Stores tags as `,lives_alone,dementia,` so that one tag is found with
/// `LIKE '%,tag,%'`.
#[must_use]
pub fn tags_column(tags: &[CareTag]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        let inner: Vec<&str> = tags.iter().map(|t| t.as_str()).collect();
        format!(",{},", inner.join(","))
    }
}

string_enum!(
    /// The recipient's registry status.
    RecipientStatus {
        Active => "active",
        Suspended => "suspended",
        Exited => "exited",
    }
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StatusChangeError {
    #[error("the recipient already has this status")]
    Same,
    #[error("a suspension or exit needs a reason")]
    ReasonRequired,
}

impl RecipientStatus {
    /// Whether moving to `to` is allowed and what it needs. Every status
    /// may follow every other (an exited person can come back on the
    /// roster); leaving `active` needs a reason.
    ///
    /// # Errors
    /// A change to the same status, or a missing reason.
    pub const fn change_to(self, to: Self, has_reason: bool) -> Result<Self, StatusChangeError> {
        if self as u8 == to as u8 {
            return Err(StatusChangeError::Same);
        }
        if !has_reason && !matches!(to, Self::Active) {
            return Err(StatusChangeError::ReasonRequired);
        }
        Ok(to)
    }
}

string_enum!(
    /// Categories of recipients. Elderly and minor follow from the birth
    /// date by calendar month (see [`categories`]); disabled from a
    /// certificate level.
    Category {
        Elderly => "elderly",
        Minor => "minor",
        Disabled => "disabled",
    }
);

/// The first and the last day of `today`'s month.
fn month_of(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = today.with_day(1).unwrap_or(today);
    let last = first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|next| next.pred_opt())
        .unwrap_or(today);
    (first, last)
}

/// The categories that apply in `today`'s month. They change on the first
/// day of a month, never on a birthday: someone is elderly for the whole
/// month in which they turn 60, and a minor (and, under 14, in need of a
/// guardian's consent) until the end of the month in which they turn 18
/// (14). A change seen on a birthday would give the whole birth date away,
/// which the masks keep to the year (`domain::privacy`); by month it tells
/// at most the month.
#[must_use]
pub fn categories(
    birth: NaiveDate,
    disability_level: Option<i64>,
    today: NaiveDate,
) -> Vec<Category> {
    let (first, last) = month_of(today);
    let mut out = Vec::new();
    if age_on(birth, last) >= ELDERLY_AGE {
        out.push(Category::Elderly);
    }
    if age_on(birth, first) < ADULT_AGE {
        out.push(Category::Minor);
    }
    if disability_level.is_some() {
        out.push(Category::Disabled);
    }
    out
}

/// The birth-date bounds that select a category on `today`:
/// `(born after, born on or before)`, either open.
#[must_use]
pub fn birth_bounds(
    category: Category,
    today: NaiveDate,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let (first, last) = month_of(today);
    match category {
        Category::Elderly => (None, Some(born_on_or_before(ELDERLY_AGE, last))),
        Category::Minor => (Some(born_on_or_before(ADULT_AGE, first)), None),
        Category::Disabled => (None, None),
    }
}

/// Whether consent must be given by the guardian: under 14 on the first
/// day of `today`'s month (as [`categories`], by month).
#[must_use]
pub fn needs_guardian_consent(birth: NaiveDate, today: NaiveDate) -> bool {
    age_on(birth, month_of(today).0) < OWN_CONSENT_AGE
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[rstest]
    #[case("1950-01-01", None, vec![Category::Elderly])]
    #[case("1966-11-30", None, vec![Category::Elderly])]
    #[case("1966-11-01", None, vec![Category::Elderly])]
    #[case("1966-12-01", None, vec![])]
    #[case("2008-12-01", Some(2), vec![Category::Minor, Category::Disabled])]
    #[case("2008-11-30", None, vec![Category::Minor])]
    #[case("2008-11-02", None, vec![Category::Minor])]
    #[case("2008-11-01", None, vec![])]
    #[case("2008-10-31", None, vec![])]
    fn categories_follow_the_birth_date(
        #[case] birth: &str,
        #[case] level: Option<i64>,
        #[case] expected: Vec<Category>,
    ) {
        assert_eq!(categories(d(birth), level, d("2026-11-30")), expected);
    }

    #[test]
    fn birth_bounds_select_the_same_people_as_categories() {
        let today = d("2026-11-30");
        for birth in [
            "1966-11-30",
            "1966-11-01",
            "1966-12-01",
            "2008-11-30",
            "2008-11-01",
            "2008-12-01",
        ] {
            let b = d(birth);
            for cat in [Category::Elderly, Category::Minor] {
                let (after, upto) = birth_bounds(cat, today);
                let inside = after.is_none_or(|a| b > a) && upto.is_none_or(|u| b <= u);
                assert_eq!(
                    inside,
                    categories(b, None, today).contains(&cat),
                    "{birth} {cat:?}"
                );
            }
        }
    }

    #[test]
    fn under_fourteens_need_their_guardians_consent() {
        assert!(needs_guardian_consent(d("2012-12-01"), d("2026-11-30")));
        // Turning 14 this month: still the guardian's, until the month ends.
        assert!(needs_guardian_consent(d("2012-11-30"), d("2026-11-30")));
        assert!(!needs_guardian_consent(d("2012-11-01"), d("2026-11-30")));
    }

    /// The privacy point of deciding by month: across every day of a
    /// year, categories change only on the first day of a month.
    #[test]
    fn categories_change_only_on_the_first_of_a_month() {
        for birth in ["1966-07-19", "2008-02-29", "2012-12-31", "1966-01-01"] {
            let b = d(birth);
            let mut day = d("2026-01-01");
            let mut before = (categories(b, None, day), needs_guardian_consent(b, day));
            while day < d("2027-12-31") {
                day = day.succ_opt().unwrap();
                let now = (categories(b, None, day), needs_guardian_consent(b, day));
                if now != before {
                    assert_eq!(day.day(), 1, "{birth} changed on {day}");
                }
                before = now;
            }
        }
    }

    #[rstest]
    #[case("低保", Some(AssistanceStatus::Dibao))]
    #[case(" 特困供养 ", Some(AssistanceStatus::Tekun))]
    #[case("低收入", Some(AssistanceStatus::LowIncome))]
    #[case("", Some(AssistanceStatus::None))]
    #[case("dibao", Some(AssistanceStatus::Dibao))]
    #[case("富裕", None)]
    fn reads_assistance_status_as_rosters_write_it(
        #[case] s: &str,
        #[case] expected: Option<AssistanceStatus>,
    ) {
        assert_eq!(AssistanceStatus::from_roster(s), expected);
    }

    #[rstest]
    #[case("一级", Ok(1))]
    #[case("4", Ok(4))]
    #[case("第二级", Ok(2))]
    #[case("5", Err(LevelError))]
    fn reads_disability_levels(#[case] s: &str, #[case] expected: Result<i64, LevelError>) {
        assert_eq!(disability_level(s), expected);
    }

    #[test]
    fn tags_keep_catalogue_order_and_refuse_unknown_ones() {
        let tags = parse_tags(["dementia,lives_alone", "dementia"]).unwrap();
        assert_eq!(tags, vec![CareTag::LivesAlone, CareTag::Dementia]);
        assert_eq!(tags_column(&tags), ",lives_alone,dementia,");
        assert_eq!(parse_tags(["flying"]), Err("flying".to_string()));
        assert_eq!(tags_column(&[]), "");
    }

    #[test]
    fn leaving_active_needs_a_reason() {
        use RecipientStatus::*;
        assert_eq!(
            Active.change_to(Exited, false),
            Err(StatusChangeError::ReasonRequired)
        );
        assert_eq!(Active.change_to(Exited, true), Ok(Exited));
        assert_eq!(Exited.change_to(Active, false), Ok(Active));
        assert_eq!(Active.change_to(Active, true), Err(StatusChangeError::Same));
    }
}
