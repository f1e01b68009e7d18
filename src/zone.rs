//! The zone Doudi counts days and shows times in: the `display_zone`
//! setting (an IANA name, default `Asia/Shanghai`), read once at boot.
//! Models and views ask [`display`]; SQL that needs a local day writes
//! [`day_sql`] with the zone's name (PostgreSQL) or offset (SQLite) from
//! [`day_param`] bound as a parameter, so no zone is written into a query.
use chrono::{NaiveDate, Offset, TimeZone};
use chrono_tz::Tz;
use sea_orm::DatabaseBackend;
use std::sync::OnceLock;

static ZONE: OnceLock<Tz> = OnceLock::new();

/// The zone when the setting is absent.
pub const DEFAULT: Tz = chrono_tz::Asia::Shanghai;

/// The display zone.
#[must_use]
pub fn display() -> Tz {
    ZONE.get().copied().unwrap_or(DEFAULT)
}

/// The zone's offset from UTC in minutes. Only zones without daylight
/// saving are accepted (every zone of China), so one offset holds all year.
#[must_use]
pub fn offset_minutes(tz: Tz) -> i32 {
    NaiveDate::from_ymd_opt(2026, 1, 1).map_or(0, |d| {
        tz.offset_from_utc_date(&d).fix().local_minus_utc() / 60
    })
}

fn fixed(tz: Tz) -> bool {
    let at = |m| {
        NaiveDate::from_ymd_opt(2026, m, 1)
            .map(|d| tz.offset_from_utc_date(&d).fix().local_minus_utc())
    };
    at(1) == at(7)
}

/// Reads `display_zone` from the app's settings.
///
/// # Errors
/// An unknown zone name, or a zone with daylight saving.
pub fn configure(settings: Option<&serde_json::Value>) -> Result<Tz, String> {
    let tz = match settings
        .and_then(|s| s.get("display_zone"))
        .and_then(serde_json::Value::as_str)
    {
        None => DEFAULT,
        Some(name) => name
            .parse::<Tz>()
            .map_err(|_| format!("display_zone: unknown zone {name}"))?,
    };
    if !fixed(tz) {
        return Err(format!(
            "display_zone: {tz} changes its offset during the year; Doudi counts days with one offset"
        ));
    }
    let _ = ZONE.set(tz);
    Ok(display())
}

/// SQL for the display-zone calendar day of the timestamp `column`, with
/// `param` the bind marker (`?` or `$n`) the caller bound to [`day_param`].
#[must_use]
pub fn day_sql(backend: DatabaseBackend, column: &str, param: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => {
            format!("(({column}) AT TIME ZONE CAST({param} AS TEXT))::date")
        }
        _ => format!("date({column}, {param})"),
    }
}

/// The value bound to [`day_sql`]'s parameter: the zone's name for
/// PostgreSQL, its offset as a date modifier (`+480 minutes`) for SQLite.
#[must_use]
pub fn day_param(backend: DatabaseBackend) -> String {
    let tz = display();
    match backend {
        DatabaseBackend::Postgres => tz.name().to_string(),
        _ => format!("{:+} minutes", offset_minutes(tz)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_chinas_and_its_day_in_sql() {
        assert_eq!(offset_minutes(DEFAULT), 480);
        assert_eq!(
            day_sql(DatabaseBackend::Sqlite, "v.starts_at", "?"),
            "date(v.starts_at, ?)"
        );
        assert_eq!(day_param(DatabaseBackend::Sqlite), "+480 minutes");
        assert_eq!(
            day_sql(DatabaseBackend::Postgres, "v.starts_at", "$3"),
            "((v.starts_at) AT TIME ZONE CAST($3 AS TEXT))::date"
        );
        assert_eq!(day_param(DatabaseBackend::Postgres), "Asia/Shanghai");
    }

    #[test]
    fn zones_with_daylight_saving_and_unknown_names_are_refused() {
        let s = |z: &str| serde_json::json!({ "display_zone": z });
        assert!(configure(Some(&s("Europe/Berlin"))).is_err());
        assert!(configure(Some(&s("Mars/Olympus"))).is_err());
        assert!(fixed(chrono_tz::Asia::Urumqi));
        assert_eq!(offset_minutes(chrono_tz::Asia::Urumqi), 360);
    }
}
