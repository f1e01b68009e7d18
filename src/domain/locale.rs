//! The two languages of the interface and how one is chosen: the user's
//! setting, then the `lang` cookie, then the browser's Accept-Language, then
//! Chinese.
use serde::Serialize;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Locale {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Locale {
    pub const ALL: [Self; 2] = [Self::ZhCn, Self::En];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ZhCn => "zh-CN",
            Self::En => "en",
        }
    }

    /// Chooses the language for a request.
    #[must_use]
    pub fn negotiate(setting: Option<&str>, cookie: Option<&str>, accept: Option<&str>) -> Self {
        setting
            .and_then(|s| s.parse().ok())
            .or_else(|| cookie.and_then(|c| c.parse().ok()))
            .or_else(|| accept.and_then(Self::from_accept_language))
            .unwrap_or_default()
    }

    /// The supported language the browser prefers most, by q-value.
    #[must_use]
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut best: Option<(Self, f32)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or_default().trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let Ok(locale) = tag.parse::<Self>() else {
                continue;
            };
            if q > 0.0 && best.is_none_or(|(_, bq)| q > bq) {
                best = Some((locale, q));
            }
        }
        best.map(|(l, _)| l)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unsupported language")]
pub struct UnsupportedLocale;

impl FromStr for Locale {
    type Err = UnsupportedLocale;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let primary = lower.split(['-', '_']).next().unwrap_or_default();
        match primary {
            "zh" => Ok(Self::ZhCn),
            "en" => Ok(Self::En),
            _ => Err(UnsupportedLocale),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(Some("en"), Some("zh-CN"), Some("zh-CN"), Locale::En)]
    #[case(None, Some("en"), Some("zh-CN"), Locale::En)]
    #[case(None, Some("fr"), Some("en-GB,en;q=0.8"), Locale::En)]
    #[case(None, None, Some("fr-FR,en;q=0.5,zh;q=0.9"), Locale::ZhCn)]
    #[case(None, None, Some("de-DE"), Locale::ZhCn)]
    #[case(None, None, Some("en;q=0"), Locale::ZhCn)]
    #[case(None, None, None, Locale::ZhCn)]
    #[case(Some("zh-Hans-CN"), None, Some("en"), Locale::ZhCn)]
    fn the_setting_wins_then_the_cookie_then_the_browser(
        #[case] setting: Option<&str>,
        #[case] cookie: Option<&str>,
        #[case] accept: Option<&str>,
        #[case] expected: Locale,
    ) {
        assert_eq!(Locale::negotiate(setting, cookie, accept), expected);
    }
}
