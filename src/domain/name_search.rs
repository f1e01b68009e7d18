//! Finding people by name the way coordinators type on a phone: Chinese
//! characters, full pinyin (`zhangsanfeng`) or initials (`zsf`), with every
//! reading of a polyphonic character (单 is dan, shan and chan; 曾 is zeng
//! and ceng).
//!
//! `search_key` builds the text stored beside the name; `Query::parse` says
//! how to match what was typed.
use pinyin::ToPinyinMulti;

/// At most this many reading combinations are kept for one name; names of
/// two to four characters with one or two polyphones stay far below it.
const MAX_COMBINATIONS: usize = 64;

/// Readings of one character: plain pinyin with ü written as v (as pinyin
/// keyboards do) and also as u.
fn readings(c: char) -> Vec<String> {
    if let Some(multi) = c.to_pinyin_multi() {
        let mut out: Vec<String> = Vec::new();
        for p in multi {
            let plain = p.plain();
            for variant in [plain.replace('ü', "v"), plain.replace('ü', "u")] {
                if !out.contains(&variant) {
                    out.push(variant);
                }
            }
        }
        out
    } else if c.is_ascii_alphanumeric() {
        vec![c.to_ascii_lowercase().to_string()]
    } else {
        // Separators such as the middle dot of minority names.
        Vec::new()
    }
}

/// Space-separated full spellings and initials of every reading
/// combination, framed by spaces: ` zhangsanfeng zsf `.
#[must_use]
pub fn search_key(name: &str) -> String {
    let mut combos: Vec<(String, String)> = vec![(String::new(), String::new())];
    for c in name.chars() {
        let rs = readings(c);
        if rs.is_empty() {
            continue;
        }
        let mut next = Vec::with_capacity(combos.len() * rs.len());
        for (full, initials) in &combos {
            for r in &rs {
                if next.len() >= MAX_COMBINATIONS {
                    break;
                }
                let first = r.chars().next().unwrap_or_default();
                next.push((format!("{full}{r}"), format!("{initials}{first}")));
            }
        }
        combos = next;
    }
    let mut words: Vec<String> = Vec::new();
    for (full, initials) in combos {
        for w in [full, initials] {
            if !w.is_empty() && !words.contains(&w) {
                words.push(w);
            }
        }
    }
    if words.is_empty() {
        String::new()
    } else {
        format!(" {} ", words.join(" "))
    }
}

/// What a search box holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Part of the name as written (has a character that is not a letter).
    Name(String),
    /// Latin letters: part of a pinyin spelling or of the initials.
    Pinyin(String),
    /// Four characters of which three are digits and the last a digit or X:
    /// the end of an ID number.
    IdEnd(String),
}

impl Query {
    /// `None` for a blank query.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        let s: String = raw.split_whitespace().collect::<Vec<_>>().join("");
        if s.is_empty() {
            return None;
        }
        let folded = super::resident_id::normalise(&s);
        let b = folded.as_bytes();
        if b.len() == 4
            && b[..3].iter().all(u8::is_ascii_digit)
            && (b[3].is_ascii_digit() || b[3] == b'X')
        {
            return Some(Self::IdEnd(folded));
        }
        if s.chars().all(|c| c.is_ascii_alphabetic()) {
            return Some(Self::Pinyin(s.to_ascii_lowercase()));
        }
        Some(Self::Name(raw.trim().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn finds(name: &str, typed: &str) -> bool {
        match Query::parse(typed) {
            Some(Query::Pinyin(q)) => search_key(name).contains(&q),
            Some(Query::Name(q)) => name.contains(&q),
            _ => false,
        }
    }

    #[rstest]
    #[case("张三丰", "zhangsanfeng")]
    #[case("张三丰", "zsf")]
    #[case("张三丰", "ZhangSan")]
    #[case("张三丰", "sanfeng")]
    #[case("张三丰", "三丰")]
    #[case("单田芳", "shantianfang")]
    #[case("单田芳", "dantianfang")]
    #[case("单田芳", "stf")]
    #[case("曾小红", "zengxiaohong")]
    #[case("曾小红", "cengxiaohong")]
    #[case("吕秀英", "lvxiuying")]
    #[case("吕秀英", "luxiuying")]
    #[case("阿依古丽·买买提", "ayiguli")]
    fn finds_people_by_any_reading(#[case] name: &str, #[case] typed: &str) {
        assert!(
            finds(name, typed),
            "{name} by {typed}: {}",
            search_key(name)
        );
    }

    #[rstest]
    #[case("张三丰", "lisi")]
    #[case("张三丰", "zsx")]
    fn does_not_find_other_people(#[case] name: &str, #[case] typed: &str) {
        assert!(!finds(name, typed));
    }

    #[rstest]
    #[case("123X", Some(Query::IdEnd("123X".into())))]
    #[case("１２３ｘ", Some(Query::IdEnd("123X".into())))]
    #[case("0021", Some(Query::IdEnd("0021".into())))]
    #[case(" zsf ", Some(Query::Pinyin("zsf".into())))]
    #[case("张 三", Some(Query::Name("张 三".into())))]
    #[case("   ", None)]
    fn tells_what_was_typed(#[case] raw: &str, #[case] expected: Option<Query>) {
        assert_eq!(Query::parse(raw), expected);
    }

    #[test]
    fn keys_stay_small_for_names_full_of_polyphones() {
        let key = search_key("单单单单单单单单");
        assert!(key.split(' ').filter(|w| !w.is_empty()).count() <= 2 * MAX_COMBINATIONS);
    }
}
