use crate::support::*;
use axum::http::StatusCode;
use doudi::models::{_entities::visits, service_plans};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

async fn recipient_pid(ctx: &loco_rs::app::AppContext, name: &str) -> String {
    use doudi::models::_entities::recipients;
    recipients::Entity::find()
        .filter(recipients::Column::Name.eq(name))
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("recipient")
        .pid
        .to_string()
}

fn next_monday_local() -> String {
    use chrono::Datelike;
    let today = doudi::models::today();
    let days = 7 - today.weekday().num_days_from_monday();
    format!(
        "{}T09:00:00",
        today + chrono::Duration::days(i64::from(days))
    )
}

#[tokio::test]
async fn a_plan_materialises_its_visits_once_however_often_it_runs() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "coordinator@doudi.test").await;
        let worker = user(&ctx, "worker@doudi.test").await.pid.to_string();
        let res = server
            .post("/api/v1/service_plans")
            .authorization_bearer(&t)
            .json(&json!({
                "recipient": recipient_pid(&ctx, "单秀英").await,
                "worker": worker,
                "services": ["daily_care", "home_visit"],
                "duration_minutes": 90,
                "dtstart": next_monday_local(),
                "rrule": "FREQ=WEEKLY;BYDAY=MO,TH",
            }))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let plan: Value = res.json();
        assert_eq!(plan["services"], json!(["daily_care", "home_visit"]));
        let pid = plan["pid"].as_str().expect("pid").to_string();
        // The job ran in the foreground: 8 weeks of Mondays and Thursdays.
        let count = || async { visits::Entity::find().count(&ctx.db).await.expect("count") };
        let n = count().await;
        assert!((13..=16).contains(&n), "{n} visits");
        // Again, and twice at once: nothing new.
        let plan_model = service_plans::Entity::find()
            .filter(service_plans::Column::Pid.eq(uuid::Uuid::parse_str(&pid).unwrap()))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("plan");
        let now = chrono::Utc::now();
        let horizon = chrono::Duration::days(56);
        let (a, b) = tokio::join!(
            plan_model.materialise(&ctx.db, now, horizon),
            plan_model.materialise(&ctx.db, now, horizon)
        );
        assert_eq!(a.expect("first") + b.expect("second"), 0);
        let (plans, created) = service_plans::materialise_all(&ctx.db, now, horizon)
            .await
            .expect("all");
        assert_eq!((plans, created), (1, 0));
        assert_eq!(count().await, n);
        // A longer horizon adds only the new weeks.
        let more = plan_model
            .materialise(&ctx.db, now, chrono::Duration::days(70))
            .await
            .expect("longer");
        assert!((2..=5).contains(&more), "{more}");

        // The visits are listed in time order, with the plan's local time.
        let res = server
            .get(&format!("/api/v1/visits?plan={pid}&per_page=100"))
            .authorization_bearer(&t)
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let body: Value = res.json();
        let first = &body["items"][0];
        assert!(first["local_start"]
            .as_str()
            .expect("local")
            .ends_with("T09:00:00"));
        // The assigned worker sees them; another organisation does not.
        let w = token(&ctx, "worker@doudi.test").await;
        let res = server.get("/api/v1/visits").authorization_bearer(&w).await;
        assert!(res.json::<Value>()["page"]["total"].as_u64().expect("n") > 0);
        let other = token(&ctx, "coordinator2@doudi.test").await;
        let res = server
            .get(&format!("/api/v1/service_plans/{pid}"))
            .authorization_bearer(&other)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        let res = server
            .get("/api/v1/visits")
            .authorization_bearer(&other)
            .await;
        assert_eq!(res.json::<Value>()["page"]["total"], 0);
    })
    .await;
}

#[tokio::test]
async fn a_plan_is_refused_with_field_errors_for_what_is_wrong() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "coordinator@doudi.test").await;
        // Another organisation's recipient and worker, no services, a bad rule.
        let res = server
            .post("/api/v1/service_plans")
            .authorization_bearer(&t)
            .json(&json!({
                "recipient": recipient_pid(&ctx, "何淑珍").await,
                "worker": user(&ctx, "worker2@doudi.test").await.pid,
                "services": [],
                "dtstart": "2026-03-03 9am",
                "rrule": "FREQ=WEEKLY;BYDAY=2TU",
            }))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let errors = res.json::<Value>()["errors"].clone();
        for field in ["recipient", "services", "dtstart"] {
            assert!(errors[field].is_array(), "{field}: {errors}");
        }
        let res = server
            .post("/api/v1/service_plans")
            .authorization_bearer(&t)
            .json(&json!({
                "recipient": recipient_pid(&ctx, "单秀英").await,
                "services": ["home_visit"],
                "dtstart": next_monday_local(),
                "rrule": "FREQ=HOURLY",
            }))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<Value>()["errors"]["rrule"].is_array());
        // Officials and workers do not create plans.
        for who in ["official@doudi.test", "worker@doudi.test"] {
            let t = token(&ctx, who).await;
            let res = server
                .post("/api/v1/service_plans")
                .authorization_bearer(&t)
                .json(&json!({}))
                .await;
            assert_eq!(res.status_code(), StatusCode::NOT_FOUND, "{who}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_worker_subscribes_to_a_private_feed_of_their_visits_with_masked_names() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "coordinator@doudi.test").await;
        let res = server
            .post("/api/v1/service_plans")
            .authorization_bearer(&t)
            .json(&json!({
                "recipient": recipient_pid(&ctx, "单秀英").await,
                "worker": user(&ctx, "worker@doudi.test").await.pid,
                "services": ["home_visit"],
                "dtstart": next_monday_local(),
                "rrule": "FREQ=WEEKLY;COUNT=3",
            }))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let w = token(&ctx, "worker@doudi.test").await;
        let res = server
            .post("/api/v1/calendar_feed")
            .authorization_bearer(&w)
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED);
        let url = res.json::<Value>()["url"]
            .as_str()
            .expect("url")
            .to_string();
        let path = url[url.find("/calendar/").expect("path")..].to_string();
        // No session needed: the token is the key.
        let res = server.get(&path).await;
        assert_eq!(res.status_code(), StatusCode::OK);
        assert!(res
            .header("content-type")
            .to_str()
            .unwrap()
            .starts_with("text/calendar"));
        let ics = res.text();
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3, "{ics}");
        assert!(ics.contains("单**"), "{ics}");
        assert!(!ics.contains("单秀英"));
        assert!(ics.contains("LOCATION:石门村"));
        assert!(ics.contains("DTSTART:") && ics.contains("Z\r\n"));
        let r = doudi::models::_entities::recipients::Entity::find()
            .filter(doudi::models::_entities::recipients::Column::Name.eq("单秀英"))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("r");
        assert!(!ics.contains(r.phone.as_deref().unwrap_or("x")));
        assert!(!ics.contains(&r.id_masked));
        // The token never reaches the audit log.
        let last = doudi::models::_entities::audit_logs::Entity::find()
            .filter(doudi::models::_entities::audit_logs::Column::Entity.eq("users"))
            .all(&ctx.db)
            .await
            .expect("q");
        let token_part = path
            .trim_start_matches("/calendar/")
            .trim_end_matches(".ics");
        assert!(last.iter().all(|a| !a.changes.contains(token_part)));
        // Revoked: the old address is gone.
        let res = server
            .delete("/api/v1/calendar_feed")
            .authorization_bearer(&w)
            .await;
        assert_eq!(res.status_code(), StatusCode::NO_CONTENT);
        assert_eq!(server.get(&path).await.status_code(), StatusCode::NOT_FOUND);
        assert_eq!(
            server.get("/calendar/not-a-token.ics").await.status_code(),
            StatusCode::NOT_FOUND
        );
        // Coordinators have no feed of their own here.
        let res = server
            .post("/api/v1/calendar_feed")
            .authorization_bearer(&t)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
        // The settings page offers it to the worker.
        let cookie = session(&ctx, "worker@doudi.test").await;
        let page = server.get("/settings").add_header("cookie", cookie).await;
        assert!(page.text().contains("/settings/calendar"));
    })
    .await;
}

#[tokio::test]
async fn the_plan_form_previews_the_next_visits_and_saves_a_pattern_as_a_rule() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "coordinator@doudi.test").await;
        let recipient = recipient_pid(&ctx, "单秀英").await;
        let page = server
            .get(&format!("/service_plans/new?recipient={recipient}"))
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(page.status_code(), StatusCode::OK);
        assert!(!select_text(&page.text(), "#plan-preview li").is_empty());
        let start = (doudi::models::today() + chrono::Duration::days(1)).to_string();
        let worker = user(&ctx, "worker@doudi.test").await.pid.to_string();
        let form = [
            ("recipient", recipient.as_str()),
            ("worker", worker.as_str()),
            ("services", "daily_care"),
            ("services", "emotional_support"),
            ("duration_minutes", "45"),
            ("start_date", start.as_str()),
            ("start_time", "14:30"),
            ("pattern", "monthly_nth"),
            ("nth", "-1"),
            ("nth_weekday", "FR"),
        ];
        let preview = server
            .post("/service_plans/preview")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&form)
            .await;
        assert_eq!(preview.status_code(), StatusCode::OK);
        // The next six visits (issue 15: a short preview beside the controls).
        let items = select_text(&preview.text(), "#plan-preview ol li");
        assert_eq!(items.len(), 6, "{}", preview.text());
        assert!(items.iter().all(|i| i.ends_with("14:30")), "{items:?}");
        let bad = server
            .post("/service_plans/preview")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[
                ("pattern", "raw"),
                ("rrule", "FREQ=WEEKLY;BYDAY=2TU"),
                ("start_date", start.as_str()),
            ])
            .await;
        // Translated, never the rule's own text (issue 15).
        assert!(
            bad.text().contains("只能用于按月或按年重复"),
            "{}",
            bad.text()
        );

        let res = server
            .post("/service_plans")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&form)
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER, "{}", res.text());
        let plan = service_plans::Entity::find()
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("plan");
        assert_eq!(plan.rrule.as_deref(), Some("FREQ=MONTHLY;BYDAY=-1FR"));
        assert_eq!(plan.services, "daily_care,emotional_support");
        let location = res.header("location").to_str().unwrap().to_string();
        let show = server
            .get(&location)
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(show.status_code(), StatusCode::OK);
        assert!(!select_text(&show.text(), "ul.cards li").is_empty());
        // The form again, with the problem, when a weekly plan has no day.
        let res = server
            .post("/service_plans")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[
                ("recipient", recipient.as_str()),
                ("services", "home_visit"),
                ("start_date", start.as_str()),
                ("pattern", "weekly"),
            ])
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(!select_text(&res.text(), ".field-error").is_empty());
        // Lists: the coordinator's and the assigned worker's; officials may
        // not open the form.
        let list = server
            .get("/service_plans")
            .add_header("cookie", cookie)
            .await;
        assert_eq!(
            select_text(&list.text(), "ul.cards li strong"),
            vec!["单秀英"]
        );
        let worker_cookie = session(&ctx, "worker@doudi.test").await;
        let list = server
            .get("/service_plans")
            .add_header("cookie", worker_cookie)
            .await;
        assert_eq!(list.status_code(), StatusCode::OK);
        let official = session(&ctx, "official@doudi.test").await;
        let res = server
            .get(&format!("/service_plans/new?recipient={recipient}"))
            .add_header("cookie", official)
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
    })
    .await;
}
