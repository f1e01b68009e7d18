use crate::support::*;
use axum::http::StatusCode;

#[tokio::test]
async fn cross_site_form_posts_are_refused() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "admin@doudi.test").await;
        let form = [
            ("name", "恶意镇"),
            ("code", "511902199000"),
            ("population", "1"),
        ];
        let cross = server
            .post("/townships")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "cross-site")
            .form(&form)
            .await;
        assert_eq!(cross.status_code(), StatusCode::FORBIDDEN);
        let foreign_origin = server
            .post("/townships")
            .add_header("cookie", cookie.clone())
            .add_header("origin", "https://evil.example")
            .add_header("host", "doudi.example")
            .form(&form)
            .await;
        assert_eq!(foreign_origin.status_code(), StatusCode::FORBIDDEN);
        let bare = server
            .post("/townships")
            .add_header("cookie", cookie.clone())
            .form(&form)
            .await;
        assert_eq!(
            bare.status_code(),
            StatusCode::FORBIDDEN,
            "a cookie session needs a same-site signal"
        );
        let same_origin = server
            .post("/townships")
            .add_header("cookie", cookie)
            .add_header("origin", "http://doudi.example")
            .add_header("host", "doudi.example")
            .form(&form)
            .await;
        assert_eq!(same_origin.status_code(), StatusCode::SEE_OTHER);
        assert_eq!(
            audit_count(&ctx, "create", "townships").await,
            4,
            "3 demo + 1"
        );
    })
    .await;
}

#[tokio::test]
async fn unknown_pages_are_a_friendly_404_and_unknown_api_paths_json() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "admin@doudi.test").await;
        let page = server
            .get("/no/such/page")
            .add_header("cookie", cookie)
            .await;
        assert_eq!(page.status_code(), StatusCode::NOT_FOUND);
        assert!(page.text().contains("找不到该页面或记录。"));
        let api = server.get("/api/v1/nothing").await;
        assert_eq!(api.status_code(), StatusCode::NOT_FOUND);
        assert!(api.json::<serde_json::Value>()["error"].is_string());
    })
    .await;
}

#[tokio::test]
async fn pages_need_a_session_and_send_people_to_sign_in() {
    with_app(|server, _ctx| async move {
        let res = server.get("/townships?q=a").await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        assert_eq!(res.header("location"), "/login?next=%2Ftownships%3Fq%3Da");
    })
    .await;
}

#[tokio::test]
async fn headers_allow_geolocation_for_this_site_and_nothing_from_elsewhere() {
    with_app(|server, _ctx| async move {
        let res = server.get("/login").await;
        let pp = res
            .header("permissions-policy")
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(pp.contains("geolocation=(self)"), "{pp}");
        let csp = res
            .header("content-security-policy")
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(res.text().contains("/static/vendor/pico.min.css"));
        assert!(!res.text().contains("https://"), "no CDN");
    })
    .await;
}

#[tokio::test]
async fn health_checks_the_database() {
    with_app(|server, ctx| async move {
        let res = server.get("/_health").await;
        assert_eq!(res.status_code(), StatusCode::OK);
        assert_eq!(res.json::<serde_json::Value>()["database"], "ok");
        println!("health checked on {}", backend(&ctx));
    })
    .await;
}

#[tokio::test]
async fn nonsense_input_never_causes_a_500() {
    with_app(|server, ctx| async move {
        let admin = token(&ctx, "admin@doudi.test").await;
        let cookie = session(&ctx, "admin@doudi.test").await;
        let bodies = [
            serde_json::json!({"name": ["a"], "code": {"x": 1}}),
            serde_json::json!({"name": "x".repeat(10_000), "code": "5".repeat(500), "population": -1}),
            serde_json::json!({"name": "\u{0000}", "code": null, "population": 1e300}),
            serde_json::json!([1, 2, 3]),
        ];
        for path in ["/api/v1/townships", "/api/v1/villages", "/api/v1/organizations", "/api/v1/users"] {
            for body in &bodies {
                let res = server.post(path).authorization_bearer(admin.clone()).json(body).await;
                assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY, "{path} {body}: {}", res.text());
            }
        }
        for path in ["/townships", "/villages", "/organizations", "/users"] {
            let res = server
                .post(path)
                .add_header("cookie", cookie.clone())
                .add_header("sec-fetch-site", "same-origin")
                .content_type("application/x-www-form-urlencoded")
                .text("name=%FF%FE&code=%00&townships=1&townships=2&population=9999999999999999999999")
                .await;
            assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        }
        let res = server.get("/users?role[]=x&page=%FF").add_header("cookie", cookie).await;
        assert!(res.status_code() == StatusCode::OK || res.status_code() == StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}

/// Static files are served precompressed (`config: precompressed: true`):
/// every `.gz` beside a file must be that file, or a phone would get an
/// old stylesheet or script. After editing one, run
/// `gzip -9 -k -n -f assets/static/<file>`.
#[test]
fn precompressed_static_files_match_their_sources() {
    use std::io::Read;
    let mut stack = vec![std::path::PathBuf::from("assets/static")];
    let mut checked = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "gz") {
                let source = path.with_extension("");
                let mut unzipped = Vec::new();
                flate2::read::GzDecoder::new(std::fs::File::open(&path).expect("gz"))
                    .read_to_end(&mut unzipped)
                    .expect("gunzip");
                let original = std::fs::read(&source).expect("source of a .gz");
                assert!(
                    unzipped == original,
                    "{} is stale: run gzip -9 -k -n -f {}",
                    path.display(),
                    source.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 4, "{checked}");
}

/// Issue 12, finding 6: sqlx-core 0.9.0 starts a maintenance walk over the
/// idle connections whenever the pool has an idle timeout or a maximum
/// lifetime, and that walk can spin forever (sqlx #3645). The pool that
/// serves requests has neither.
#[tokio::test]
async fn the_serving_pool_has_no_idle_timeout_or_lifetime_that_starts_the_walk() {
    with_app(|server, ctx| async move {
        let (idle, lifetime) = match ctx.db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                let o = ctx.db.get_postgres_connection_pool().options();
                (o.get_idle_timeout(), o.get_max_lifetime())
            }
            _ => {
                let o = ctx.db.get_sqlite_connection_pool().options();
                (o.get_idle_timeout(), o.get_max_lifetime())
            }
        };
        assert_eq!(idle, None, "idle timeout on {}", backend(&ctx));
        assert_eq!(lifetime, None, "max lifetime on {}", backend(&ctx));
        let res = server.get("/_health").await;
        assert_eq!(res.status_code(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn a_database_that_cannot_be_reached_is_a_503_never_a_sign_in() {
    with_app(|server, ctx| async move {
        let bearer = token(&ctx, "coordinator@doudi.test").await;
        let cookie = session(&ctx, "coordinator@doudi.test").await;
        ctx.db.clone().close().await.expect("close the pool");

        let api = server
            .get("/api/v1/auth/me")
            .authorization_bearer(bearer)
            .await;
        assert_eq!(
            api.status_code(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            api.text()
        );
        assert_eq!(
            api.json::<serde_json::Value>()["error"],
            "系统暂时连不上数据库，请稍后再试；已填写的内容不会丢失。"
        );
        assert!(api.maybe_header("www-authenticate").is_none());

        let page = server
            .get("/townships")
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(page.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            page.maybe_header("location").is_none(),
            "not sent to sign in"
        );
        assert!(
            page.maybe_header("set-cookie").is_none(),
            "the session cookie is kept"
        );
        assert!(
            page.text().contains("系统暂时连不上数据库"),
            "{}",
            page.text()
        );

        let english = server
            .get("/townships")
            .add_header("cookie", format!("{cookie}; lang=en"))
            .await;
        assert_eq!(english.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(english
            .text()
            .contains("The database cannot be reached right now"));

        // A page anyone may use, posted by someone signed in.
        let language = server
            .post("/language")
            .add_header("cookie", cookie)
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("lang", "en"), ("next", "/settings")])
            .await;
        assert_eq!(language.status_code(), StatusCode::SERVICE_UNAVAILABLE);

        let health = server.get("/_health").await;
        assert_eq!(health.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            health.json::<serde_json::Value>()["database"],
            "unreachable"
        );
    })
    .await;
}

/// When every connection is busy, `/_health` says so well before the
/// pool's connect timeout (10 s in the test config).
#[tokio::test]
async fn health_answers_503_promptly_when_no_connection_comes_in_time() {
    use sea_orm::TransactionTrait;
    with_app(|server, ctx| async move {
        let max = ctx.config.database.max_connections;
        let mut held = Vec::new();
        for _ in 0..max {
            held.push(ctx.db.begin().await.expect("take a connection"));
        }
        let started = std::time::Instant::now();
        let res = server.get("/_health").await;
        let took = started.elapsed();
        assert_eq!(res.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.json::<serde_json::Value>()["database"], "timeout");
        assert!(
            took < std::time::Duration::from_secs(5),
            "took {took:?}, connect timeout is {} ms",
            ctx.config.database.connect_timeout
        );
        for tx in held {
            tx.rollback().await.expect("rollback");
        }
        let res = server.get("/_health").await;
        assert_eq!(res.status_code(), StatusCode::OK);
    })
    .await;
}
