//! Snapshots of API answers that show their shape, not the demo: every id
//! and time is replaced by a placeholder, lists are cut to their first two
//! items, and what the two databases or the day of the run would change is
//! made the same. The snapshots live in `tests/snapshots/`.
use serde_json::{Map, Value};

/// How many items of a list a snapshot keeps.
const KEEP: usize = 2;

/// The answer's shape: `{"status": .., "body": ..}` with [`shape`] applied.
pub fn answer(res: &axum_test::TestResponse) -> Value {
    let body = serde_json::from_str::<Value>(&res.text()).unwrap_or_else(|_| {
        panic!(
            "{} is not JSON: {}",
            res.status_code(),
            res.text().chars().take(300).collect::<String>()
        )
    });
    serde_json::json!({"status": res.status_code().as_u16(), "body": shape(&body)})
}

/// Asserts the snapshot `tests/snapshots/<name>.snap` of `res`'s answer.
pub fn snapshot(name: &str, res: &axum_test::TestResponse) {
    let v = answer(res);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    let text = serde_json::to_string_pretty(&v).expect("json");
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// Lists cut to [`KEEP`] items; in strings, `http://host:port` by
/// `[origin]`, UUIDs, times (also
/// `20261209T235959`), dates, months, clock times and `MM-DD` days replaced
/// by `[uuid]`, `[time]`, `[date]`, `[month]`, `[hh:mm]`, `[mm-dd]`, hex
/// runs of 24 or more (hashes, secrets in URLs) by `[hex]`; strings made of
/// digits (money, phone numbers) by `[digits]`; bearer tokens by `[token]`;
/// numbers by `[number]`. The demo is laid out relative to the day of the
/// run, so its counts, sums and times change from day to day; and a float
/// prints differently from the two databases.
pub fn shape(v: &Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.iter().take(KEEP).map(shape).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), shape(v)))
                .collect::<Map<String, Value>>(),
        ),
        Value::String(s) => Value::String(redact(s)),
        Value::Number(_) => Value::String("[number]".into()),
        other => other.clone(),
    }
}

fn redact(s: &str) -> String {
    if s.starts_with("eyJ") && s.matches('.').count() == 2 {
        return "[token]".into();
    }
    let t = s.trim();
    if !t.is_empty()
        && t.trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        && t.chars().any(|c| c.is_ascii_digit())
    {
        return "[digits]".into();
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        let after_word = i > 0 && b[i - 1].is_ascii_alphanumeric();
        if let Some(n) = origin_at(b, i) {
            out.push_str("[origin]");
            i += n;
            continue;
        }
        if !after_word {
            if let Some(n) = uuid_at(b, i) {
                out.push_str("[uuid]");
                i += n;
                continue;
            }
            if let Some(n) = compact_time_at(b, i) {
                out.push_str("[time]");
                i += n;
                continue;
            }
            if let Some(n) = date_at(b, i) {
                match time_at(b, i + n) {
                    Some(m) => {
                        out.push_str("[time]");
                        i += n + m;
                    }
                    None => {
                        out.push_str("[date]");
                        i += n;
                    }
                }
                continue;
            }
            if let Some(n) = month_at(b, i) {
                out.push_str("[month]");
                i += n;
                continue;
            }
            if let Some(n) = hex_run_at(b, i) {
                out.push_str("[hex]");
                i += n;
                continue;
            }
            if let Some(n) = pair_at(b, i, b':') {
                out.push_str("[hh:mm]");
                i += n;
                continue;
            }
            if let Some(n) = pair_at(b, i, b'-') {
                out.push_str("[mm-dd]");
                i += n;
                continue;
            }
        }
        let ch = s[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn digits(b: &[u8], at: usize, n: usize) -> bool {
    b.len() >= at + n && b[at..at + n].iter().all(u8::is_ascii_digit)
}

fn hex(b: &[u8], at: usize, n: usize) -> bool {
    b.len() >= at + n && b[at..at + n].iter().all(u8::is_ascii_hexdigit)
}

fn at(b: &[u8], i: usize, c: u8) -> bool {
    b.get(i) == Some(&c)
}

fn ends_word(b: &[u8], i: usize) -> bool {
    b.get(i).is_none_or(|c| !c.is_ascii_alphanumeric())
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`
fn uuid_at(b: &[u8], i: usize) -> Option<usize> {
    let mut p = i;
    for (k, n) in [8, 4, 4, 4, 12].into_iter().enumerate() {
        if k > 0 {
            if !at(b, p, b'-') {
                return None;
            }
            p += 1;
        }
        if !hex(b, p, n) {
            return None;
        }
        p += n;
    }
    ends_word(b, p).then_some(p - i)
}

/// `http://host:port`: the test server's address changes from run to run.
fn origin_at(b: &[u8], i: usize) -> Option<usize> {
    let rest = &b[i..];
    let scheme = [&b"http://"[..], &b"https://"[..]]
        .into_iter()
        .find(|p| rest.starts_with(p))?;
    let host = rest[scheme.len()..]
        .iter()
        .take_while(|c| !matches!(c, b'/' | b'"' | b' ' | b'?' | b'#'))
        .count();
    Some(scheme.len() + host)
}

/// `YYYYMMDDTHHMMSS[Z]`, as in an RRULE's UNTIL.
fn compact_time_at(b: &[u8], i: usize) -> Option<usize> {
    if !(digits(b, i, 8) && at(b, i + 8, b'T') && digits(b, i + 9, 6)) {
        return None;
    }
    let n = if at(b, i + 15, b'Z') { 16 } else { 15 };
    ends_word(b, i + n).then_some(n)
}

/// 24 or more hex digits in a row (a hash, a secret token).
fn hex_run_at(b: &[u8], i: usize) -> Option<usize> {
    let n = b[i..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
    (n >= 24 && ends_word(b, i + n)).then_some(n)
}

/// `12:05` or `12-03`: two digits, `sep`, two digits, standing alone.
fn pair_at(b: &[u8], i: usize, sep: u8) -> Option<usize> {
    (digits(b, i, 2)
        && at(b, i + 2, sep)
        && digits(b, i + 3, 2)
        && ends_word(b, i + 5)
        && !(at(b, i + 5, sep) && digits(b, i + 6, 1)))
    .then_some(5)
}

/// `YYYY-MM-DD`
fn date_at(b: &[u8], i: usize) -> Option<usize> {
    (digits(b, i, 4)
        && at(b, i + 4, b'-')
        && digits(b, i + 5, 2)
        && at(b, i + 7, b'-')
        && digits(b, i + 8, 2)
        && !digits(b, i + 10, 1))
    .then_some(10)
}

/// `YYYY-MM` standing alone (a month), not a code like `2027-001`.
fn month_at(b: &[u8], i: usize) -> Option<usize> {
    (digits(b, i, 4)
        && at(b, i + 4, b'-')
        && digits(b, i + 5, 2)
        && ends_word(b, i + 7)
        && !(at(b, i + 7, b'-') && digits(b, i + 8, 1)))
    .then_some(7)
}

/// What follows a date in a time: `THH:MM[:SS[.fff]][Z|±HH:MM]`, with `T`
/// or a space.
fn time_at(b: &[u8], i: usize) -> Option<usize> {
    if !(at(b, i, b'T') || at(b, i, b' ')) || !digits(b, i + 1, 2) || !at(b, i + 3, b':') {
        return None;
    }
    if !digits(b, i + 4, 2) {
        return None;
    }
    let mut p = i + 6;
    if at(b, p, b':') && digits(b, p + 1, 2) {
        p += 3;
        if at(b, p, b'.') {
            p += 1;
            while digits(b, p, 1) {
                p += 1;
            }
        }
    }
    if at(b, p, b'Z') {
        p += 1;
    } else if (at(b, p, b'+') || at(b, p, b'-')) && digits(b, p + 1, 2) {
        p += 3;
        if at(b, p, b':') && digits(b, p + 1, 2) {
            p += 3;
        } else if digits(b, p, 2) {
            p += 2;
        }
    } else if at(b, p, b' ') && b[p + 1..].starts_with(b"UTC") {
        p += 4;
    }
    Some(p - i)
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn ids_times_dates_and_months_are_replaced_in_any_string() {
        for (s, want) in [
            ("0b7c6a1e-2f4d-4c8e-9a1b-3c5d7e9f1a2b", "[uuid]"),
            (
                "/api/v1/visits/0b7c6a1e-2f4d-4c8e-9a1b-3c5d7e9f1a2b/move",
                "/api/v1/visits/[uuid]/move",
            ),
            ("2026-12-02T15:31:27.123456Z", "[time]"),
            ("2026-12-02T09:00:00+08:00", "[time]"),
            ("2026-12-02 09:00", "[time]"),
            ("2026-12-02", "[date]"),
            ("2026-12", "[month]"),
            ("BZ-ZK-2027-001", "BZ-ZK-2027-001"),
            ("123.50", "[digits]"),
            (
                "FREQ=DAILY;UNTIL=20261209T235959",
                "FREQ=DAILY;UNTIL=[time]",
            ),
            (
                "/calendar/bb443954abe0a8cd353af015116821474f18469f39301881.ics",
                "/calendar/[hex].ics",
            ),
            ("00:05–01:05", "[hh:mm]–[hh:mm]"),
            ("12-03", "[mm-dd]"),
            (
                "http://127.0.0.1:8002/calendar/x.ics",
                "[origin]/calendar/x.ics",
            ),
            ("0827-5212345", "0827-5212345"),
            ("曾口镇", "曾口镇"),
        ] {
            assert_eq!(redact(s), want, "{s}");
        }
    }
}
