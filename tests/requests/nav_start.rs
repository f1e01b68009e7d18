//! Issue 15, points 1 and 6: navigation by role (a tab bar of at most five
//! items, the rest behind "more"), a start page per role that shows its
//! work, scoped and batched, and the calendar feed's subscribe and copy
//! buttons.
use crate::support::builders::{attr, person};
use crate::support::*;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use doudi::models::_entities::visits;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};

async fn page(server: &axum_test::TestServer, who: &str, path: &str) -> String {
    let ctx_cookie = who.to_string();
    let res = server.get(path).add_header("cookie", ctx_cookie).await;
    assert_eq!(res.status_code(), StatusCode::OK, "{path}: {}", res.text());
    res.text()
}

fn tabs(html: &str) -> Vec<String> {
    attr(html, "nav.tabbar a[data-tab]", "data-tab")
}

fn current(html: &str) -> Vec<String> {
    attr(html, "nav.tabbar a[aria-current=\"page\"]", "data-tab")
}

/// A visit of the coordinator's organisation to 单秀英, for an hour from
/// `start`, of `worker` (or nobody).
async fn visit(
    ctx: &loco_rs::app::AppContext,
    worker: Option<&str>,
    start: DateTime<Utc>,
    status: &str,
) -> visits::Model {
    let r = person(ctx, "单秀英").await;
    let org = user(ctx, "coordinator@doudi.test")
        .await
        .organization_id
        .expect("org");
    let worker_id = match worker {
        Some(w) => Some(user(ctx, w).await.id),
        None => None,
    };
    let start: DateTime<FixedOffset> = start.into();
    visits::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        plan_id: Set(None),
        organization_id: Set(org),
        recipient_id: Set(Some(r.id)),
        household_id: Set(r.household_id),
        township_id: Set(r.township_id),
        worker_id: Set(worker_id),
        starts_at: Set(start),
        ends_at: Set(start + Duration::hours(1)),
        tzid: Set("Asia/Shanghai".into()),
        status: Set(status.into()),
        exception: Set(false),
        late: Set(false),
        location_exception: Set(false),
        ad_hoc_reason: Set(Some("邻居来电".into())),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .expect("visit")
}

/// The count of a start-page figure (`#id`).
fn count(html: &str, id: &str) -> u64 {
    select_text(html, &format!("#{id} a.start-count > strong"))
        .first()
        .unwrap_or_else(|| panic!("no figure {id}"))
        .parse()
        .expect("a number")
}

#[tokio::test]
async fn each_role_has_a_short_tab_bar_with_the_current_page_marked() {
    with_app(|server, ctx| async move {
        for (who, path, want, marked) in [
            (
                "worker",
                "/today",
                vec!["today", "my_week", "settings"],
                "today",
            ),
            (
                "worker",
                "/settings",
                vec!["today", "my_week", "settings"],
                "settings",
            ),
            (
                "coordinator",
                "/board",
                vec!["home", "board", "recipients", "attention", "more"],
                "board",
            ),
            (
                "coordinator",
                "/referrals",
                vec!["home", "board", "recipients", "attention", "more"],
                "more",
            ),
            (
                "official",
                "/",
                vec!["home", "dashboard", "contracts", "attention", "more"],
                "home",
            ),
            (
                "admin",
                "/contracts",
                vec!["home", "dashboard", "contracts", "attention", "more"],
                "contracts",
            ),
        ] {
            let cookie = session(&ctx, &format!("{who}@doudi.test")).await;
            let html = page(&server, &cookie, path).await;
            assert_eq!(tabs(&html), want, "{who} {path}");
            assert_eq!(current(&html), vec![marked.to_string()], "{who} {path}");
            // The name (to settings) and sign-out stay in the top bar.
            assert_eq!(attr(&html, "header.topbar a.me", "href"), vec!["/settings"]);
            assert_eq!(attr(&html, "header.topbar form", "action"), vec!["/logout"]);
        }
        // No "home" for the worker, whose start page is /today.
        let worker = session(&ctx, "worker@doudi.test").await;
        let res = server.get("/").add_header("cookie", worker).await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
        assert_eq!(res.header("location"), "/today");
    })
    .await;
}

#[tokio::test]
async fn every_section_the_old_menu_offered_stays_reachable() {
    with_app(|server, ctx| async move {
        // What the one-list menu offered each role before issue 15.
        for (who, old) in [
            (
                "admin",
                &[
                    "/",
                    "/townships",
                    "/villages",
                    "/recipients",
                    "/households",
                    "/service_plans",
                    "/board",
                    "/attention",
                    "/dashboard",
                    "/contracts",
                    "/referrals",
                    "/recipient_imports",
                    "/organizations",
                    "/users",
                    "/service_types",
                    "/audit",
                ][..],
            ),
            (
                "official",
                &[
                    "/",
                    "/townships",
                    "/villages",
                    "/recipients",
                    "/households",
                    "/service_plans",
                    "/board",
                    "/attention",
                    "/dashboard",
                    "/contracts",
                    "/referrals",
                    "/proposals",
                    "/recipient_imports",
                    "/organizations",
                ][..],
            ),
            (
                "coordinator",
                &[
                    "/",
                    "/recipients",
                    "/households",
                    "/service_plans",
                    "/board",
                    "/attention",
                    "/dashboard",
                    "/contracts",
                    "/referrals",
                    "/proposals",
                    "/handover",
                    "/organizations",
                    "/users",
                ][..],
            ),
        ] {
            let cookie = session(&ctx, &format!("{who}@doudi.test")).await;
            let home = page(&server, &cookie, "/").await;
            let more = page(&server, &cookie, "/more").await;
            let mut reachable = attr(&home, "nav.tabbar a", "href");
            reachable.extend(attr(&more, "ul.more a", "href"));
            for href in old {
                assert!(
                    reachable.iter().any(|h| h == href),
                    "{who}: {href} in {reachable:?}"
                );
            }
            assert!(reachable.iter().any(|h| h == "/settings"), "{who}");
            // The account facts moved here from the start page.
            assert!(!select_text(&more, "dl.facts").is_empty());
        }
        // The worker's plans sit on "mine".
        let worker = session(&ctx, "worker@doudi.test").await;
        let mine = page(&server, &worker, "/settings").await;
        assert_eq!(attr(&mine, "ul.more a", "href"), vec!["/service_plans"]);
    })
    .await;
}

#[tokio::test]
async fn the_coordinators_start_page_shows_unassigned_conflicting_and_missed_visits() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "coordinator@doudi.test").await;
        let before = page(&server, &cookie, "/").await;
        let (unassigned, conflicting, missed) = (
            count(&before, "unassigned"),
            count(&before, "conflicting"),
            count(&before, "missed"),
        );
        let soon = Utc::now() + Duration::days(2);
        let lonely = visit(&ctx, None, soon, "scheduled").await;
        let a = visit(
            &ctx,
            Some("worker@doudi.test"),
            soon + Duration::hours(5),
            "scheduled",
        )
        .await;
        visit(
            &ctx,
            Some("worker@doudi.test"),
            soon + Duration::hours(5),
            "scheduled",
        )
        .await;
        let gone = visit(
            &ctx,
            Some("worker@doudi.test"),
            Utc::now() - Duration::days(1),
            "missed",
        )
        .await;
        let html = page(&server, &cookie, "/").await;
        assert_eq!(count(&html, "unassigned"), unassigned + 1);
        assert!(count(&html, "conflicting") >= conflicting + 2, "{html}");
        assert_eq!(count(&html, "missed"), missed + 1);
        let links = attr(&html, ".start-figure a", "href");
        for href in [
            format!("/visits/{}", lonely.pid),
            format!("/visits/{}", gone.pid),
            "/board".to_string(),
            "/attention#missed".to_string(),
            "/referrals".to_string(),
            "/dashboard".to_string(),
        ] {
            assert!(links.contains(&href), "{href} in {links:?}");
        }
        if conflicting == 0 {
            assert!(links.contains(&format!("/visits/{}", a.pid)), "{links:?}");
        }
        assert!(select_text(&html, "#referrals").len() == 1);
        assert!(select_text(&html, "#risks").len() == 1);
        // The officials' work is not the coordinator's.
        assert!(select_text(&html, "#due").is_empty());
        // The old account card and admin tiles are gone from the start page.
        assert!(select_text(&html, "dl.facts").is_empty());
        assert!(select_text(&html, ".tiles").is_empty());
    })
    .await;
}

#[tokio::test]
async fn the_officials_start_page_shows_risks_months_to_accept_and_open_work_of_their_townships_only(
) {
    with_app(|server, ctx| async move {
        doudi::demo::seed_contracts(&ctx.db)
            .await
            .expect("contracts");
        let official = session(&ctx, "official@doudi.test").await;
        let html = page(&server, &official, "/").await;
        // The demo's contracts in force in their townships: the two of the
        // Sunshine centre and the charity's started three months ago (the
        // first month of the first is accepted).
        assert_eq!(count(&html, "due"), 3, "{html}");
        let due = select_text(&html, "#due li");
        assert_eq!(due.len(), 3, "the first three, the count says how many");
        assert!(select_text(&html, "#pending").len() == 1);
        assert!(select_text(&html, "#risks").len() == 1);
        assert!(select_text(&html, "#missed").len() == 1);
        assert!(select_text(&html, "#unassigned").is_empty());
        let codes = select_text(&html, "#due li .mono");
        // Another township's official sees none of it.
        let other = session(&ctx, "official2@doudi.test").await;
        let theirs = page(&server, &other, "/").await;
        // Only 水宁寺镇's own contract (with Yimin).
        assert_eq!(count(&theirs, "due"), 1);
        assert_eq!(count(&theirs, "pending"), 0);
        for code in &codes {
            assert!(!theirs.contains(code.as_str()), "{code}");
        }
        // The admin sees every township's, and the admin tiles.
        let admin = session(&ctx, "admin@doudi.test").await;
        let all = page(&server, &admin, "/").await;
        assert_eq!(count(&all, "due"), 4);
        assert!(attr(&all, ".tiles a", "href").contains(&"/audit".to_string()));
    })
    .await;
}

#[tokio::test]
async fn the_start_pages_run_the_same_number_of_statements_however_much_work_there_is() {
    with_app(|server, ctx| async move {
        doudi::demo::seed_contracts(&ctx.db)
            .await
            .expect("contracts");
        // One of each kind of work, then the count; then more of each.
        let more = |n: i64| {
            let ctx = ctx.clone();
            async move {
                let soon = Utc::now() + Duration::days(1);
                for i in 0..n {
                    visit(&ctx, None, soon + Duration::hours(i), "scheduled").await;
                    visit(
                        &ctx,
                        Some("worker@doudi.test"),
                        soon + Duration::hours(i),
                        "scheduled",
                    )
                    .await;
                    visit(
                        &ctx,
                        Some("worker@doudi.test"),
                        soon + Duration::hours(i),
                        "scheduled",
                    )
                    .await;
                    visit(
                        &ctx,
                        Some("worker1@doudi.test"),
                        Utc::now() - Duration::hours(30 + i),
                        "missed",
                    )
                    .await;
                }
            }
        };
        more(1).await;
        let mut first = Vec::new();
        for who in ["coordinator", "official", "admin"] {
            let cookie = session(&ctx, &format!("{who}@doudi.test")).await;
            let res = server.get("/").add_header("cookie", cookie).await;
            assert_eq!(res.status_code(), StatusCode::OK);
            first.push(queries(&res));
        }
        more(6).await;
        for (who, before) in ["coordinator", "official", "admin"].into_iter().zip(first) {
            let cookie = session(&ctx, &format!("{who}@doudi.test")).await;
            let res = server.get("/").add_header("cookie", cookie).await;
            assert_eq!(res.status_code(), StatusCode::OK);
            assert_eq!(queries(&res), before, "{who}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_calendar_feed_shows_its_whole_address_with_subscribe_and_copy() {
    with_app(|server, ctx| async move {
        let worker = session(&ctx, "worker@doudi.test").await;
        // The week's link lands on the feed's section.
        let week = page(&server, &worker, "/my_week").await;
        assert!(attr(&week, "a", "href").contains(&"/settings#calendar".to_string()));
        let settings = page(&server, &worker, "/settings").await;
        assert_eq!(
            attr(&settings, "article#calendar form", "action"),
            vec!["/settings/calendar#calendar"]
        );
        let res = server
            .post("/settings/calendar")
            .add_header("cookie", worker.clone())
            .add_header("sec-fetch-site", "same-origin")
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let html = res.text();
        let url = select_text(&html, "#feed-url").pop().expect("the address");
        assert!(url.starts_with("http") && url.ends_with(".ics"), "{url}");
        let webcal = attr(&html, "a.feed-subscribe", "href")
            .pop()
            .expect("subscribe");
        assert_eq!(
            webcal,
            format!("webcal://{}", url.split_once("://").expect("scheme").1)
        );
        // The copy button waits for its script (no inline script: the CSP).
        assert_eq!(
            attr(&html, "button.feed-copy", "data-copy"),
            vec!["feed-url"]
        );
        assert!(attr(&html, "script", "src").contains(&"/static/js/copy.js".to_string()));
        assert!(!html.contains("<script>"));
        // The address shown is the feed's.
        let feed = server
            .get(&url[url.find("/calendar/").expect("path")..])
            .await;
        assert_eq!(feed.status_code(), StatusCode::OK);
    })
    .await;
}
