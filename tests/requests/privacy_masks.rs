//! Issue 13, finding 1: masked means masked. Whatever admins, officials and
//! coordinators are shown of a person without a reveal — list and record
//! pages, the API, households, the masked export, the audit log — leaves at
//! least `MIN_CANDIDATES` ID numbers. Before, an official read
//! `5119**********3019`, the birth date and the township: one number.
use crate::support::*;
use axum::http::StatusCode;
use doudi::{
    domain::privacy::{id_candidates, MIN_CANDIDATES},
    models::_entities::recipients,
};
use loco_rs::app::AppContext;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

/// Every 18-character run of digits, X and stars with a star in it: what
/// a page shows of an ID number.
fn masks_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() || c == 'X' || c == '*' {
            run.push(c);
        } else {
            if run.len() == 18 && run.contains('*') {
                out.push(std::mem::take(&mut run));
            }
            run.clear();
        }
    }
    out
}

async fn whole(ctx: &AppContext, r: &recipients::Model) -> String {
    doudi::vault::Vault::of(ctx)
        .expect("vault")
        .open(&r.id_sealed)
        .expect("open")
        .as_str()
        .to_string()
}

/// Everything a role can read about the registry without a reveal.
async fn everything_seen(
    server: &axum_test::TestServer,
    ctx: &AppContext,
    email: &str,
) -> (Vec<Value>, String) {
    let bearer = token(ctx, email).await;
    let cookie = session(ctx, email).await;
    let mut people = Vec::new();
    let mut text = String::new();
    let mut page = 1;
    loop {
        let res = server
            .get(&format!("/api/v1/recipients?per_page=100&page={page}"))
            .authorization_bearer(&bearer)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{email}");
        text.push_str(&res.text());
        let body: Value = res.json();
        let items = body["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        people.extend(items);
        page += 1;
    }
    for p in &people {
        let pid = p["pid"].as_str().unwrap();
        for path in [
            format!("/api/v1/recipients/{pid}"),
            format!("/recipients/{pid}"),
        ] {
            let res = server
                .get(&path)
                .authorization_bearer(&bearer)
                .add_header("cookie", cookie.clone())
                .await;
            assert_eq!(res.status_code(), StatusCode::OK, "{email} {path}");
            text.push_str(&res.text());
        }
        if let Some(h) = p["household"]["pid"].as_str() {
            for path in [
                format!("/api/v1/households/{h}"),
                format!("/households/{h}"),
            ] {
                let res = server
                    .get(&path)
                    .authorization_bearer(&bearer)
                    .add_header("cookie", cookie.clone())
                    .await;
                text.push_str(&res.text());
            }
        }
    }
    for path in [
        "/recipients",
        "/api/v1/recipients/export?format=csv",
        "/api/v1/audit_logs?per_page=100",
        "/audit",
    ] {
        let res = server
            .get(path)
            .authorization_bearer(&bearer)
            .add_header("cookie", cookie.clone())
            .await;
        text.push_str(&res.text());
    }
    (people, text)
}

#[tokio::test]
async fn no_role_can_rebuild_an_id_number_from_what_it_sees() {
    with_app(|server, ctx| async move {
        for email in [
            "official@doudi.test",
            "coordinator@doudi.test",
            "admin@doudi.test",
        ] {
            let (people, text) = everything_seen(&server, &ctx, email).await;
            assert!(people.len() >= 5, "{email} sees {} people", people.len());
            // No mask anywhere shows more than the first four characters.
            for m in masks_in(&text) {
                assert!(m[4..].chars().all(|c| c == '*'), "{email}: {m}");
            }
            for p in &people {
                let pid: uuid::Uuid = p["pid"].as_str().unwrap().parse().unwrap();
                let r = recipients::Entity::find()
                    .filter(recipients::Column::Pid.eq(pid))
                    .one(&ctx.db)
                    .await
                    .unwrap()
                    .unwrap();
                let id = whole(&ctx, &r).await;
                let born = r.birth_date;
                for shown in [
                    id.clone(),
                    id[6..14].to_string(),
                    born.format("%Y-%m-%d").to_string(),
                    born.format("%Y/%m/%d").to_string(),
                    born.format("%Y年%-m月%-d日").to_string(),
                ] {
                    let at = text
                        .find(&shown)
                        .map(|i| &text[i.saturating_sub(300)..(i + 50).min(text.len())]);
                    assert!(at.is_none(), "{email} sees {shown} of {}: {at:?}", r.name);
                }
                // The attacker's count: the mask shown, the birth year, the
                // gender, and the county of the township (assumed known).
                let mask = p["id_number"].as_str().unwrap();
                let year = p["birth_year"].as_i64().map(|y| i32::try_from(y).unwrap());
                assert!(p.get("birth_date").is_none(), "{email}: {p}");
                let male = p["gender"].as_str().map(|g| g == "male");
                let n = id_candidates(mask, &id[..6], year, None, male);
                assert!(n >= MIN_CANDIDATES, "{email}: {} leaves {n}", r.name);
            }
        }
    })
    .await;
}

#[tokio::test]
async fn searching_by_the_end_of_an_id_number_is_for_those_who_may_reveal_and_is_audited() {
    with_app(|server, ctx| async move {
        let r = recipients::Entity::find()
            .filter(recipients::Column::Name.eq("单秀英"))
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        let end = whole(&ctx, &r).await[14..].to_string();
        // An official may not: the search would tell them the ends.
        let official = token(&ctx, "official@doudi.test").await;
        let res = server
            .get(&format!("/api/v1/recipients?q={end}"))
            .authorization_bearer(&official)
            .await;
        assert_eq!(
            res.status_code(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        let res = server
            .get(&format!("/recipients?q={end}"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("仅限"), "{}", res.text());
        // The registering coordinator may, and each search is audited
        // without the characters.
        let before = audit_count(&ctx, "id_search", "recipients").await;
        let coordinator = token(&ctx, "coordinator@doudi.test").await;
        let res = server
            .get(&format!("/api/v1/recipients?q={end}"))
            .authorization_bearer(&coordinator)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        assert!(res.text().contains("单秀英"));
        assert_eq!(
            audit_count(&ctx, "id_search", "recipients").await,
            before + 1
        );
        let entries = server
            .get("/api/v1/audit_logs?action=id_search")
            .authorization_bearer(&token(&ctx, "admin@doudi.test").await)
            .await
            .text();
        assert!(!entries.contains(&end), "{entries}");
        // A link on another site neither searches nor spends a search.
        let res = server
            .get(&format!("/recipients?q={end}"))
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .add_header("sec-fetch-site", "cross-site")
            .await;
        assert_eq!(res.status_code(), StatusCode::FORBIDDEN);
        assert!(!res.text().contains("单秀英"));
        let res = server
            .get(&format!("/api/v1/recipients/export?format=csv&q={end}"))
            .add_header("cookie", session(&ctx, "coordinator@doudi.test").await)
            .add_header("sec-fetch-site", "cross-site")
            .await;
        assert_eq!(res.status_code(), StatusCode::FORBIDDEN);
        assert_eq!(
            audit_count(&ctx, "id_search", "recipients").await,
            before + 1
        );
        // Names still search for everyone.
        let res = server
            .get("/api/v1/recipients?q=单秀英")
            .authorization_bearer(&official)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        assert_eq!(
            audit_count(&ctx, "id_search", "recipients").await,
            before + 1
        );
        // At most 100 in 24 hours: guessing the ends one by one stops.
        for _ in 0..99 {
            let res = server
                .get("/api/v1/recipients?q=0000")
                .authorization_bearer(&coordinator)
                .await;
            assert_eq!(res.status_code(), StatusCode::OK);
        }
        let res = server
            .get("/api/v1/recipients?q=0001")
            .authorization_bearer(&coordinator)
            .await;
        assert_eq!(
            res.status_code(),
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            res.text()
        );
        assert_eq!(
            audit_count(&ctx, "id_search", "recipients").await,
            before + 100
        );
        // Other people are not held back by one person's searches.
        let res = server
            .get(&format!("/api/v1/recipients?q={end}"))
            .authorization_bearer(&token(&ctx, "admin@doudi.test").await)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn the_migration_rewrites_stored_masks_to_the_first_four_characters() {
    use migration::{Migrator, MigratorTrait};
    with_app(|_server, ctx| async move {
        // Read before going back: the older schema lacks later columns.
        let r = recipients::Entity::find()
            .filter(recipients::Column::Name.eq("单秀英"))
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        down_to_before(&ctx, "m20261202_000032_mask_id_numbers_to_four_characters").await;
        let id = whole(&ctx, &r).await;
        let pid = r.pid;
        recipients::Entity::update_many()
            .col_expr(
                recipients::Column::IdMasked,
                sea_orm::sea_query::Expr::value(format!("{}**********{}", &id[..4], &id[14..])),
            )
            .filter(recipients::Column::Id.eq(r.id))
            .exec(&ctx.db)
            .await
            .expect("old mask");
        Migrator::up(&ctx.db, None).await.expect("up");
        Migrator::up(&ctx.db, None).await.expect("up again");
        let r = recipients::Entity::find()
            .filter(recipients::Column::Pid.eq(pid))
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.id_masked, format!("{}**************", &id[..4]));
    })
    .await;
}

/// Review finding: pasting ID numbers to cover people says which are
/// registered, so an official could try every number a mask and a birth
/// year allow. Lookups are audited (how many, never which) and at most
/// 5,000 a day per person.
#[tokio::test]
async fn looking_up_pasted_id_numbers_is_audited_and_limited() {
    use crate::support::builders::contract_body;
    with_app(|server, ctx| async move {
        let official = token(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        let c: Value = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&contract_body(&town, &org))
            .await
            .json();
        let pid = c["pid"].as_str().expect("pid").to_string();
        let born = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap();
        let mut guesses: Vec<String> = Vec::new();
        for day in 0..10 {
            for seq in 0..500 {
                guesses.push(doudi::demo::names::resident_id(
                    born + chrono::Days::new(day),
                    seq,
                ));
            }
        }
        assert_eq!(guesses.len(), 5000);
        let before = audit_count(&ctx, "id_search", "recipients").await;
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/recipients"))
            .authorization_bearer(&official)
            .json(&serde_json::json!({"id_numbers": guesses}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        assert_eq!(
            audit_count(&ctx, "id_search", "recipients").await,
            before + 1
        );
        let entries = server
            .get("/api/v1/audit_logs?action=id_search")
            .authorization_bearer(&token(&ctx, "admin@doudi.test").await)
            .await
            .text();
        assert!(entries.contains("\"numbers\":5000"), "{entries}");
        assert!(!entries.contains(&guesses[0][6..]), "{entries}");
        // The next one is refused, in the API and on the page.
        let one = doudi::demo::names::resident_id(born + chrono::Days::new(20), 1);
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/recipients"))
            .authorization_bearer(&official)
            .json(&serde_json::json!({"id_numbers": [one.clone()]}))
            .await;
        assert_eq!(
            res.status_code(),
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            res.text()
        );
        let page = server
            .post(&format!("/contracts/{pid}/recipients/import"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("id_numbers", one.as_str())])
            .await;
        assert_eq!(page.status_code(), StatusCode::SEE_OTHER);
        // Someone else still may.
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/recipients"))
            .authorization_bearer(&token(&ctx, "admin@doudi.test").await)
            .json(&serde_json::json!({"id_numbers": [one]}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
    })
    .await;
}

/// Review finding: a record's page showed officials and coordinators the
/// audit log's reveals with their reasons; they see the record's own
/// changes only.
#[tokio::test]
async fn a_records_page_shows_reveals_to_admins_only() {
    with_app(|server, ctx| async move {
        let r = recipients::Entity::find()
            .filter(recipients::Column::Name.eq("单秀英"))
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        let res = server
            .post(&format!("/api/v1/recipients/{}/id_reveals", r.pid))
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .json(&serde_json::json!({"reason": "核对户籍甲乙丙"}))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        for (email, shown) in [
            ("official@doudi.test", false),
            ("coordinator@doudi.test", false),
            ("admin@doudi.test", true),
        ] {
            // Before, a record with any change but its creation was a
            // 500 (the template read a field the history does not have).
            let res = server
                .get(&format!("/recipients/{}", r.pid))
                .add_header("cookie", session(&ctx, email).await)
                .await;
            assert_eq!(res.status_code(), StatusCode::OK, "{email}");
            let html = res.text();
            assert_eq!(html.contains("核对户籍甲乙丙"), shown, "{email}");
        }
    })
    .await;
}
