//! The privacy policy as page data and as the API's answer, generated
//! from `domain::privacy` in the reader's language.
use crate::{
    domain::{
        locale::Locale,
        privacy::{self, Datum, Retention, DOOR_DAYS_AFTER, DOOR_DAYS_BEFORE, SEEN_KEYS},
        role::Role,
    },
    i18n::{t, t_args},
    models::{recipient_imports, users},
};
use serde_json::{json, Value};

/// The configured numbers the retention rules use.
#[must_use]
pub fn retention(config: &loco_rs::config::Config) -> Retention {
    Retention {
        roster_days: recipient_imports::retention_days(config.settings.as_ref()),
        sign_in_window_minutes: users::sign_in_throttle(config).window.num_minutes(),
    }
}

/// The policy in `lang`: the roles, what each way of seeing means, and
/// for each kind of data what it is, why it is kept, who sees how much
/// and for how long.
#[must_use]
pub fn policy(lang: Locale, retention: Retention) -> Value {
    let door = [
        ("before", DOOR_DAYS_BEFORE.to_string()),
        ("after", DOOR_DAYS_AFTER.to_string()),
    ];
    let roles: Vec<Value> = Role::ALL
        .iter()
        .map(|r| json!({"key": r.as_str(), "label": t(lang, &format!("privacy-role-{}", r.as_str()))}))
        .collect();
    let seen: Vec<Value> = SEEN_KEYS
        .iter()
        .map(|k| {
            json!({
                "key": k,
                "label": t(lang, &format!("privacy-seen-{k}")),
                "means": t_args(lang, &format!("privacy-seen-{k}-means"), &door),
            })
        })
        .collect();
    let data: Vec<Value> = Datum::ALL
        .iter()
        .map(|&d| {
            let key = d.key();
            let kept = privacy::kept(d, retention);
            let seen: Vec<Value> = Role::ALL
                .iter()
                .map(|&r| {
                    let s = privacy::seen_key(r, d);
                    json!({
                        "role": r.as_str(),
                        "role_label": t(lang, &format!("privacy-role-{}", r.as_str())),
                        "seen": s,
                        "label": t(lang, &format!("privacy-seen-{s}")),
                    })
                })
                .collect();
            json!({
                "key": key,
                "of_recipients": d.of_recipients(),
                "label": t(lang, &format!("privacy-datum-{key}")),
                "what": t(lang, &format!("privacy-what-{key}")),
                "why": t(lang, &format!("privacy-why-{key}")),
                "seen": seen,
                "kept": {
                    "rule": kept.key(),
                    "days": kept.days(),
                    "minutes": kept.minutes(),
                    "text": t_args(lang, &format!("privacy-kept-{key}"), &kept.args()),
                },
            })
        })
        .collect();
    json!({
        "lang": lang.as_str(),
        "door_days_before": DOOR_DAYS_BEFORE,
        "door_days_after": DOOR_DAYS_AFTER,
        "min_id_candidates": privacy::MIN_CANDIDATES,
        "roles": roles,
        "seen": seen,
        "data": data,
        "correction": t(lang, "privacy-correction"),
    })
}
