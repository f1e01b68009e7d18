//! Issue 15, point 2: every error is ours and translated. Malformed JSON,
//! forms, query strings, paths, uploads and methods reach pages and API
//! answers as our message in the caller's language, never a library's
//! English ("Failed to deserialize ...", "invalid type ...", "expected
//! ...").
use crate::support::*;
use axum::http::{Method, StatusCode};

/// Words of crate messages that must never reach anyone.
const CRATE_TEXT: [&str; 12] = [
    "Failed to",
    "failed to",
    "invalid type",
    "expected",
    "RRule",
    "missing field",
    "unknown variant",
    "Invalid URL",
    "Cannot parse",
    "deserialize",
    "Content-Type",
    "multipart",
];

const LANGS: [(&str, &str); 2] = [("zh-CN", "zh-CN,zh;q=0.9"), ("en", "en")];

fn assert_ours(what: &str, res: &axum_test::TestResponse) {
    let text = res.text();
    for bad in CRATE_TEXT {
        assert!(!text.contains(bad), "{what}: {bad:?} in {text}");
    }
    assert!(!text.trim().is_empty(), "{what}: an empty answer");
}

/// The visible message is in `lang`: Chinese text for zh-CN, none for en.
fn assert_language(what: &str, lang: &str, message: &str) {
    let has_han = message
        .chars()
        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    if lang == "en" {
        assert!(!has_han, "{what}: Chinese in the English answer {message}");
    } else {
        assert!(has_han, "{what}: no Chinese in {message}");
    }
}

fn json_message(v: &serde_json::Value) -> String {
    match (v.get("error"), v.get("errors")) {
        (Some(e), _) => e.as_str().unwrap_or_default().to_string(),
        (None, Some(errors)) => errors.to_string(),
        _ => String::new(),
    }
}

async fn set_locale(ctx: &loco_rs::app::AppContext, email: &str, lang: &str) {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
    let mut u = user(ctx, email).await.into_active_model();
    u.locale = Set(Some(lang.to_string()));
    u.update(&ctx.db).await.expect("locale");
}

#[tokio::test]
async fn malformed_api_bodies_answer_our_message_in_both_languages() {
    with_app(|server, ctx| async move {
        let email = "coordinator@doudi.test";
        let bearer = token(&ctx, email).await;
        let shimen = person_pid(&ctx).await;
        for (lang, accept) in LANGS {
            set_locale(&ctx, email, lang).await;
            let posts: [(&str, &str, &str); 8] = [
                ("/api/v1/recipients", "application/json", "{\"name\": "),
                (
                    "/api/v1/recipients",
                    "application/json",
                    "{\"name\": [\"a\"], \"care_tags\": \"x\"}",
                ),
                ("/api/v1/recipients", "application/json", "[1, 2, 3]"),
                ("/api/v1/recipients", "text/plain", "name=张三"),
                (
                    "/api/v1/households",
                    "application/json",
                    "{\"village\": {\"x\": 1}}",
                ),
                ("/api/v1/households", "application/json", "\u{0}"),
                (
                    "/api/v1/households",
                    "application/x-www-form-urlencoded",
                    "village=1",
                ),
                (
                    "/api/v1/service_plans",
                    "application/json",
                    "{\"rrule\": 5, \"starts_at\": []}",
                ),
            ];
            for (path, content_type, body) in posts {
                let res = server
                    .post(path)
                    .authorization_bearer(bearer.clone())
                    .add_header("accept-language", accept)
                    .content_type(content_type)
                    .text(body)
                    .await;
                let what = format!("{lang} POST {path} {content_type} {body}");
                assert_eq!(
                    res.status_code(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{what}: {}",
                    res.text()
                );
                assert_ours(&what, &res);
                assert_language(&what, lang, &json_message(&res.json()));
            }
            let edit = format!("/api/v1/recipients/{shimen}");
            let gets: [(Method, String, StatusCode); 4] = [
                (
                    Method::GET,
                    "/api/v1/recipients/%FF%FE".into(),
                    StatusCode::BAD_REQUEST,
                ),
                (
                    Method::DELETE,
                    "/api/v1/recipients".into(),
                    StatusCode::METHOD_NOT_ALLOWED,
                ),
                (
                    Method::PATCH,
                    edit.clone(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                (
                    Method::POST,
                    "/api/v1/recipient_imports".into(),
                    StatusCode::BAD_REQUEST,
                ),
            ];
            for (method, path, want) in gets {
                let mut req = server
                    .method(method.clone(), &path)
                    .authorization_bearer(bearer.clone())
                    .add_header("accept-language", accept);
                if method == Method::PATCH {
                    req = req
                        .content_type("application/json")
                        .text("{\"consent_on\": \"2026-13-45\", \"latitude\": true, ");
                }
                if path.ends_with("recipient_imports") {
                    // An upload without its boundary.
                    req = req.content_type("multipart/form-data").text("--x\r\n");
                }
                let res = req.await;
                let what = format!("{lang} {method} {path}");
                assert_eq!(res.status_code(), want, "{what}: {}", res.text());
                assert_ours(&what, &res);
                let body: serde_json::Value = res.json();
                assert_language(&what, lang, &json_message(&body));
            }
        }
    })
    .await;
}

async fn person_pid(ctx: &loco_rs::app::AppContext) -> uuid::Uuid {
    use doudi::models::_entities::recipients;
    use sea_orm::EntityTrait;
    recipients::Entity::find()
        .one(&ctx.db)
        .await
        .expect("query")
        .expect("a demo recipient")
        .pid
}

#[tokio::test]
async fn malformed_form_posts_and_addresses_show_our_page_in_both_languages() {
    with_app(|server, ctx| async move {
        let email = "coordinator@doudi.test";
        let cookie = session(&ctx, email).await;
        let someone = person_pid(&ctx).await;
        for (lang, accept) in LANGS {
            set_locale(&ctx, email, lang).await;
            let cookie = format!("{cookie}; lang={lang}");
            let posts: [(String, &str, &str); 6] = [
                (
                    "/recipients".into(),
                    "application/x-www-form-urlencoded",
                    "name=%FF%FE&care_tags=1&care_tags=2&consent_on=2026-02-30",
                ),
                (
                    "/recipients".into(),
                    "application/json",
                    "{\"name\": \"张三\"}",
                ),
                (
                    "/households".into(),
                    "application/x-www-form-urlencoded",
                    "village=nonsense&status_since=yesterday&status_until=31/12/2026",
                ),
                (
                    format!("/recipients/{someone}"),
                    "application/x-www-form-urlencoded",
                    "consent_on=tomorrow&latitude=north&disability_level=9",
                ),
                ("/recipients/new".into(), "text/plain", "township=1"),
                (
                    "/recipient_imports".into(),
                    "multipart/form-data",
                    "--x\r\n",
                ),
            ];
            for (path, content_type, body) in posts {
                let res = server
                    .post(&path)
                    .add_header("cookie", cookie.clone())
                    .add_header("sec-fetch-site", "same-origin")
                    .add_header("accept-language", accept)
                    .content_type(content_type)
                    .text(body)
                    .await;
                let what = format!("{lang} POST {path} {content_type} {body}");
                assert!(
                    res.status_code().is_client_error(),
                    "{what}: {} {}",
                    res.status_code(),
                    res.text()
                );
                assert_ours(&what, &res);
                let html = res.text();
                let shown = [
                    select_text(&html, "main .field-error"),
                    select_text(&html, "main .error-page p"),
                    select_text(&html, "main .flash"),
                ]
                .concat()
                .join(" ");
                assert!(
                    !shown.trim().is_empty(),
                    "{what}: no message shown in {html}"
                );
                assert_language(&what, lang, &shown);
            }
            for (method, path) in [
                (Method::GET, "/recipients/%FF%FE"),
                (Method::GET, "/households/%C3%28/edit"),
                (Method::DELETE, "/recipients"),
                (Method::PUT, "/households/new"),
            ] {
                let res = server
                    .method(method.clone(), path)
                    .add_header("cookie", cookie.clone())
                    .add_header("accept-language", accept)
                    .await;
                let what = format!("{lang} {method} {path}");
                assert!(
                    res.status_code().is_client_error(),
                    "{what}: {}",
                    res.status_code()
                );
                assert_ours(&what, &res);
                let html = res.text();
                let shown = select_text(&html, "main .error-page p").join(" ");
                assert!(!shown.is_empty(), "{what}: {html}");
                assert_language(&what, lang, &shown);
            }
        }
    })
    .await;
}

#[tokio::test]
async fn framework_refusals_before_sign_in_are_translated_too() {
    with_app(|server, _ctx| async move {
        for (lang, accept) in LANGS {
            let res = server
                .method(Method::DELETE, "/login")
                .add_header("accept-language", accept)
                .await;
            assert_eq!(res.status_code(), StatusCode::METHOD_NOT_ALLOWED);
            assert_ours(lang, &res);
            let res = server
                .method(Method::PUT, "/api/v1/auth/login")
                .add_header("accept-language", accept)
                .await;
            assert_eq!(res.status_code(), StatusCode::METHOD_NOT_ALLOWED);
            assert_ours(lang, &res);
            assert_language(lang, lang, &json_message(&res.json()));
        }
    })
    .await;
}
