//! A minimal RFC 5545 calendar for subscription feeds: events in UTC,
//! text escaped, lines folded at 75 octets.
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub uid: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub summary: String,
    pub location: String,
    pub cancelled: bool,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets without splitting a character.
fn fold(line: &str, out: &mut String) {
    let mut len = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if len + n > 75 {
            out.push_str("\r\n ");
            len = 1;
        }
        out.push(c);
        len += n;
    }
    out.push_str("\r\n");
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The calendar named `name` with `events`, stamped `now`.
#[must_use]
pub fn render(name: &str, events: &[Event], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Doudi//Visits//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        fold(l, &mut out);
    }
    fold(&format!("X-WR-CALNAME:{}", escape(name)), &mut out);
    for e in events {
        fold("BEGIN:VEVENT", &mut out);
        fold(&format!("UID:{}", escape(&e.uid)), &mut out);
        fold(&format!("DTSTAMP:{}", stamp(now)), &mut out);
        fold(&format!("DTSTART:{}", stamp(e.start)), &mut out);
        fold(&format!("DTEND:{}", stamp(e.end)), &mut out);
        fold(&format!("SUMMARY:{}", escape(&e.summary)), &mut out);
        if !e.location.is_empty() {
            fold(&format!("LOCATION:{}", escape(&e.location)), &mut out);
        }
        if e.cancelled {
            fold("STATUS:CANCELLED", &mut out);
        }
        fold("END:VEVENT", &mut out);
    }
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn events_are_in_utc_escaped_and_folded() {
        let start = Utc.with_ymd_and_hms(2026, 3, 3, 1, 0, 0).unwrap();
        let ics = render(
            "兜底",
            &[Event {
                uid: "v1@doudi".into(),
                start,
                end: start + chrono::Duration::minutes(90),
                summary: format!("上门服务 {}", "单**, 石门村; 很长的说明".repeat(4)),
                location: "石门村".into(),
                cancelled: false,
            }],
            start,
        );
        assert!(ics.contains("DTSTART:20260303T010000Z\r\n"));
        assert!(ics.contains("DTEND:20260303T023000Z\r\n"));
        assert!(ics.contains("\\, 石门村\\;"));
        assert!(ics.lines().all(|l| l.len() <= 76), "{ics}");
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
    }
}
