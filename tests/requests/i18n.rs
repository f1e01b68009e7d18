use crate::support::*;
use axum::http::StatusCode;

fn h1(html: &str) -> String {
    select_text(html, "h1").join("")
}

#[tokio::test]
async fn pages_are_chinese_by_default_and_english_when_the_browser_asks() {
    with_app(|server, _ctx| async move {
        let zh = server.get("/login").await.text();
        assert!(zh.contains("<html lang=\"zh-CN\">"));
        assert_eq!(h1(&zh), "登录");
        let en = server
            .get("/login")
            .add_header("accept-language", "en-GB,en;q=0.9")
            .await
            .text();
        assert!(en.contains("<html lang=\"en\">"));
        assert_eq!(h1(&en), "Sign in");
    })
    .await;
}

#[tokio::test]
async fn the_cookie_beats_the_browser_and_the_user_setting_beats_the_cookie() {
    with_app(|server, ctx| async move {
        let en = server
            .get("/login")
            .add_header("accept-language", "zh-CN")
            .add_header("cookie", "lang=en")
            .await
            .text();
        assert_eq!(h1(&en), "Sign in");

        let cookie = session(&ctx, "official@doudi.test").await;
        let res = server
            .post("/language")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("lang", "en"), ("next", "/settings")])
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        assert_eq!(res.header("location"), "/settings");
        assert_eq!(
            user(&ctx, "official@doudi.test").await.locale.as_deref(),
            Some("en")
        );
        let page = server
            .get("/")
            .add_header("cookie", format!("{cookie}; lang=zh-CN"))
            .add_header("accept-language", "zh-CN")
            .await
            .text();
        assert!(page.contains("<html lang=\"en\">"));
        assert_eq!(h1(&page), "Hello, 王晓燕");
        assert_eq!(
            audit_count(&ctx, "update", "users").await,
            1,
            "the setting change is audited"
        );
    })
    .await;
}

#[tokio::test]
async fn errors_in_the_api_follow_the_callers_language() {
    with_app(|server, ctx| async move {
        let worker = token(&ctx, "worker@doudi.test").await;
        let zh: serde_json::Value = server
            .get("/api/v1/audit_logs")
            .authorization_bearer(worker.clone())
            .await
            .json();
        assert_eq!(zh["error"], "找不到该页面或记录。");
        let en: serde_json::Value = server
            .get("/api/v1/audit_logs")
            .authorization_bearer(worker)
            .add_header("accept-language", "en")
            .await
            .json();
        assert_eq!(en["error"], "This page or record does not exist.");
    })
    .await;
}

/// Templates speak only through `t(key=...)`: every key they use exists in
/// both languages, and no Chinese or English sentence is written in them.
#[test]
fn templates_have_no_hard_coded_text_and_use_only_known_keys() {
    // Every .ftl file of a locale is loaded (main.ftl and one per part).
    let ftl = |lang: &str| {
        let mut files: Vec<_> = std::fs::read_dir(format!("assets/i18n/{lang}"))
            .expect("locale dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "ftl"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).expect("ftl"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (zh, en) = (ftl("zh-CN"), ftl("en"));
    let mut checked = 0;
    let mut stack = vec![std::path::PathBuf::from("assets/views")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("template");
            for (i, _) in text.match_indices("t(key=\"") {
                let rest = &text[i + 7..];
                let key = &rest[..rest.find('"').expect("closing quote")];
                if key.ends_with('-') {
                    continue; // a prefix joined with a value, e.g. "role-" ~ role
                }
                for (lang, body) in [("zh-CN", &zh), ("en", &en)] {
                    assert!(
                        body.contains(&format!("\n{key} ="))
                            || body.starts_with(&format!("{key} =")),
                        "{} uses {key}, missing in {lang}",
                        path.display()
                    );
                }
                checked += 1;
            }
            let stripped = text.replace("简体中文", "");
            assert!(
                !stripped
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{} has hard-coded Chinese text",
                path.display()
            );
        }
    }
    assert!(checked > 100, "only {checked} keys found");
}
