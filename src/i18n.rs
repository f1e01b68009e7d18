//! Fluent messages for pages and for messages built in Rust. The `.ftl`
//! files under `assets/i18n/<lang>/` are compiled into the binary.
use crate::domain::locale::Locale;
use fluent_templates::{fluent_bundle::FluentValue, Loader};
use std::{borrow::Cow, collections::HashMap};
use unic_langid::{langid, LanguageIdentifier};

fluent_templates::static_loader! {
    pub static LOCALES = {
        locales: "./assets/i18n",
        fallback_language: "zh-CN",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static ZH_CN: LanguageIdentifier = langid!("zh-CN");
static EN: LanguageIdentifier = langid!("en");

#[must_use]
pub fn langid(locale: Locale) -> &'static LanguageIdentifier {
    match locale {
        Locale::ZhCn => &ZH_CN,
        Locale::En => &EN,
    }
}

/// The message `key` in `locale`.
#[must_use]
pub fn t(locale: Locale, key: &str) -> String {
    LOCALES.lookup(langid(locale), key)
}

/// The message `key` in `locale` with named arguments.
#[must_use]
pub fn t_args(locale: Locale, key: &str, args: &[(&str, String)]) -> String {
    let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
        .iter()
        .map(|(k, v)| (Cow::Owned((*k).to_string()), FluentValue::from(v.clone())))
        .collect();
    LOCALES.lookup_with_args(langid(locale), key, &map)
}

/// Registers `t(key=..., arg=...)` in Tera; the language is the page
/// context's `lang`.
pub fn register(tera: &mut tera::Tera) {
    tera.register_function(
        "t",
        |kwargs: tera::Kwargs, state: &tera::State| -> tera::TeraResult<String> {
            let key = kwargs.must_get::<&str>("key")?;
            let lang = state
                .get::<String>("lang")?
                .and_then(|l| l.parse::<Locale>().ok())
                .unwrap_or_default();
            let args: Vec<(&str, String)> = kwargs
                .iter()
                .filter_map(|(k, v)| {
                    let name = k.as_str()?;
                    if name == "key" || name.starts_with("__") {
                        return None;
                    }
                    let value = v
                        .as_str()
                        .map_or_else(|| v.to_string(), ToString::to_string);
                    Some((name, value))
                })
                .collect();
            Ok(t_args(lang, key, &args))
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_exists_in_both_languages() {
        let ids = |lang: &str| -> Vec<String> {
            let dir = format!("assets/i18n/{lang}");
            let mut out = Vec::new();
            for entry in std::fs::read_dir(&dir).expect("i18n dir") {
                let text = std::fs::read_to_string(entry.expect("entry").path()).expect("ftl");
                for line in text.lines() {
                    if let Some((id, _)) = line.split_once(" =") {
                        if !id.starts_with(['#', ' ', '.', '-']) && !id.is_empty() {
                            out.push(id.trim().to_string());
                        }
                    }
                }
            }
            out.sort();
            out
        };
        let zh = ids("zh-CN");
        let en = ids("en");
        let missing_en: Vec<_> = zh.iter().filter(|k| !en.contains(k)).collect();
        let missing_zh: Vec<_> = en.iter().filter(|k| !zh.contains(k)).collect();
        assert!(missing_en.is_empty(), "missing in en: {missing_en:?}");
        assert!(missing_zh.is_empty(), "missing in zh-CN: {missing_zh:?}");
        assert!(zh.len() > 50);
    }

    #[test]
    fn messages_are_looked_up_in_the_chosen_language() {
        assert_eq!(t(Locale::ZhCn, "app-name"), "兜底");
        assert_eq!(t(Locale::En, "app-name"), "Doudi");
    }
}
