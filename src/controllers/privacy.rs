//! The privacy page (`/privacy`) and the same as data (`/api/v1/privacy`):
//! generated from `domain::privacy`, open to anyone, signed in or not.
use crate::{
    controllers::sessions::throttle,
    domain::{
        locale::Locale,
        privacy::{self, Datum, Retention, DOOR_DAYS_AFTER, DOOR_DAYS_BEFORE, SEEN_KEYS},
        role::Role,
    },
    i18n::{t, t_args},
    models::recipient_imports,
    web::{session::MaybeViewer, Guest, Page},
};
use axum::{
    extract::State,
    response::{IntoResponse, Response},
    Json,
};
use loco_rs::prelude::*;
use serde_json::{json, Value};

/// The configured numbers the retention rules use.
fn retention(ctx: &AppContext) -> Retention {
    Retention {
        roster_days: recipient_imports::retention_days(ctx.config.settings.as_ref()),
        sign_in_window_minutes: throttle(ctx).window.num_minutes(),
    }
}

/// The policy in `lang`: the roles, what each way of seeing means, and
/// for each kind of data what it is, why it is kept, who sees how much
/// and for how long.
fn policy(lang: Locale, retention: Retention) -> Value {
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

async fn show(
    State(ctx): State<AppContext>,
    MaybeViewer(viewer): MaybeViewer,
    g: Guest,
) -> Response {
    let page = Page::new("privacy/show.html", policy(g.lang, retention(&ctx)));
    match viewer {
        Some(v) => page.render(&v),
        None => page.render_guest(&g),
    }
}

async fn api(State(ctx): State<AppContext>, g: Guest) -> Response {
    Json(policy(g.lang, retention(&ctx))).into_response()
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/privacy", get(show))
        .add("/api/v1/privacy", get(api))
}
