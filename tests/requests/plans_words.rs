//! Issue 15, plans part: plans read in plain words and local times, the
//! backup worker shown, every rule error translated, and the form's
//! preview naming the visits a plan would clash with (as far as the viewer
//! may see them) before saving.
use crate::support::{
    builders::{attr, person},
    *,
};
use axum::http::StatusCode;
use chrono::{Datelike, Duration, NaiveDate, TimeZone};
use doudi::{
    domain::role::Role,
    models::_entities::{service_plans, visits},
    views::person::PersonView,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{json, Value};

fn next_monday() -> NaiveDate {
    let today = doudi::models::today();
    today + Duration::days(i64::from(7 - today.weekday().num_days_from_monday()))
}

/// A page as `who` sees it in `lang`.
async fn page(server: &axum_test::TestServer, cookie: &str, lang: &str, path: &str) -> String {
    let res = server
        .get(path)
        .add_header("cookie", format!("{cookie}; lang={lang}"))
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{path}: {}", res.text());
    res.text()
}

async fn post_form(
    server: &axum_test::TestServer,
    cookie: &str,
    lang: &str,
    path: &str,
    form: &[(&str, String)],
) -> axum_test::TestResponse {
    server
        .post(path)
        .add_header("cookie", format!("{cookie}; lang={lang}"))
        .add_header("sec-fetch-site", "same-origin")
        .form(&form.to_vec())
        .await
}

/// No raw rule, no ISO time with its zone, on a page.
fn no_code(html: &str) {
    for code in ["FREQ=", "BYDAY", "RRule", "T09:00:00", "(Asia/Shanghai)"] {
        assert!(!html.contains(code), "{code} on the page");
    }
}

#[tokio::test]
async fn plans_read_in_plain_words_with_local_times_and_their_backup() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "coordinator@doudi.test").await;
        let r = person(&ctx, "单秀英").await;
        let monday = next_monday();
        let res = server
            .post("/api/v1/service_plans")
            .authorization_bearer(&t)
            .json(&json!({
                "recipient": r.pid,
                "worker": user(&ctx, "worker@doudi.test").await.pid,
                "backup_worker": user(&ctx, "volunteer@doudi.test").await.pid,
                "services": ["home_visit"],
                "dtstart": format!("{}T09:00:00", monday + Duration::days(1)),
                "rrule": format!("FREQ=WEEKLY;BYDAY=TU,TH;UNTIL={}T235959", (monday + Duration::days(60)).format("%Y%m%d")),
                "confirm": true,
            }))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let body: Value = res.json();
        // The API keeps its machine fields.
        assert!(body["rrule"].as_str().expect("rrule").starts_with("FREQ=WEEKLY;BYDAY=TU,TH"));
        assert!(body["dtstart"].as_str().expect("dtstart").ends_with("T09:00:00"));
        let pid = body["pid"].as_str().expect("pid").to_string();
        let until = monday + Duration::days(60);
        let tuesday = monday + Duration::days(1);
        let cookie = session(&ctx, "coordinator@doudi.test").await;

        let zh_until = format!("{}年{}月{}日", until.year(), until.month(), until.day());
        let zh_first = format!("{}年{}月{}日 09:00", tuesday.year(), tuesday.month(), tuesday.day());
        let list = page(&server, &cookie, "zh-CN", "/service_plans").await;
        assert!(list.contains(&format!("每周二、四 09:00，至{zh_until}")), "{list}");
        assert!(list.contains(&zh_first), "{list}");
        assert!(list.contains("刘洋") && list.contains("周小红"), "worker and backup");
        no_code(&list);
        let show = page(&server, &cookie, "zh-CN", &format!("/service_plans/{pid}")).await;
        assert!(show.contains("每周二、四 09:00"), "{show}");
        assert!(show.contains(&zh_first));
        assert!(show.contains("周小红"), "the backup worker");
        no_code(&show);
        let own = page(&server, &cookie, "zh-CN", &format!("/recipients/{}", r.pid)).await;
        assert!(own.contains("每周二、四 09:00"), "the recipient's page");
        no_code(&own);

        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let en_until = format!("{} {} {}", until.day(), months[until.month0() as usize], until.year());
        let list = page(&server, &cookie, "en", "/service_plans").await;
        assert!(list.contains(&format!("Every Tue and Thu at 09:00, until {en_until}")), "{list}");
        let show = page(&server, &cookie, "en", &format!("/service_plans/{pid}")).await;
        assert!(show.contains(&format!("{} {} {} 09:00", tuesday.day(), months[tuesday.month0() as usize], tuesday.year())));
        no_code(&show);

        // The change form shows the rule as its pattern: Tuesday and
        // Thursday ticked, the end date filled, no raw rule.
        let edit = page(&server, &cookie, "zh-CN", &format!("/service_plans/{pid}/edit")).await;
        assert_eq!(attr(&edit, "input[name=weekdays][checked]", "value"), vec!["TU", "TH"]);
        assert_eq!(attr(&edit, "input[name=until_date]", "value"), vec![until.to_string()]);
        assert_eq!(attr(&edit, "input[name=rrule]", "value"), vec![String::new()]);
        assert!(edit.contains("data-keep=\"plan\""));
    })
    .await;
}

#[tokio::test]
async fn rule_errors_are_translated_in_the_preview_the_form_and_the_api() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "coordinator@doudi.test").await;
        let r = person(&ctx, "单秀英").await;
        let start = (doudi::models::today() + Duration::days(10)).to_string();
        let before = (doudi::models::today() + Duration::days(2)).to_string();
        let raw = |rule: &str| {
            vec![
                ("recipient", r.pid.to_string()),
                ("services", "home_visit".to_string()),
                ("start_date", start.clone()),
                ("start_time", "09:00".to_string()),
                ("pattern", "raw".to_string()),
                ("rrule", rule.to_string()),
            ]
        };
        for (lang, rule, says) in [
            ("zh-CN", "FREQ=WEEKLY;BYDAY=2TU", "只能用于按月或按年重复"),
            (
                "en",
                "FREQ=WEEKLY;BYDAY=2TU",
                "work only for monthly or yearly plans",
            ),
            ("zh-CN", "garbage", "重复规则中有无法识别的内容"),
            ("en", "garbage", "a part that is not understood"),
            ("zh-CN", "FREQ=DAILY;UNTIL=20200101", "结束日期早于首次日期"),
            (
                "en",
                "FREQ=DAILY;UNTIL=20200101",
                "The last date is before the first visit",
            ),
        ] {
            let res = post_form(&server, &cookie, lang, "/service_plans/preview", &raw(rule)).await;
            assert_eq!(res.status_code(), StatusCode::OK);
            let html = res.text();
            assert!(html.contains(says), "{lang} {rule}: {html}");
            assert!(!html.contains("RRule") && !html.contains("BYDAY"), "{html}");
            // Saving says the same beside the rule, and keeps what was typed.
            let res = post_form(&server, &cookie, lang, "/service_plans", &raw(rule)).await;
            assert_eq!(
                res.status_code(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{rule}"
            );
            let html = res.text();
            assert!(
                select_text(&html, ".field-error")
                    .iter()
                    .any(|e| e.contains(says)),
                "{html}"
            );
            assert_eq!(
                attr(&html, "input[name=rrule]", "value"),
                vec![rule.to_string()]
            );
            assert_eq!(
                attr(&html, "input[name=start_date]", "value"),
                vec![start.clone()]
            );
        }
        // The form's own end date before the first visit.
        let mut weekly = raw("");
        weekly.retain(|(k, _)| *k != "pattern" && *k != "rrule");
        weekly.extend([
            ("pattern", "weekly".to_string()),
            ("weekdays", "WE".to_string()),
            ("until_date", before.clone()),
            (
                "worker",
                user(&ctx, "worker@doudi.test").await.pid.to_string(),
            ),
        ]);
        let res = post_form(&server, &cookie, "zh-CN", "/service_plans", &weekly).await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text();
        assert!(html.contains("结束日期早于首次日期"), "{html}");
        assert_eq!(
            attr(&html, "input[name=until_date]", "value"),
            vec![before.clone()]
        );
        assert_eq!(
            attr(&html, "input[name=weekdays][checked]", "value"),
            vec!["WE"]
        );
        assert_eq!(
            attr(&html, "select[name=worker] option[selected]", "value"),
            vec![user(&ctx, "worker@doudi.test").await.pid.to_string()]
        );
        // The API's field messages are translated too.
        let t = token(&ctx, "coordinator@doudi.test").await;
        for (rule, says) in [
            ("FREQ=WEEKLY;BYDAY=2TU", "只能用于按月或按年重复"),
            ("FREQ=DAILY;UNTIL=20200101", "结束日期早于首次日期"),
            ("garbage", "无法识别"),
        ] {
            let res = server
                .post("/api/v1/service_plans")
                .authorization_bearer(&t)
                .add_header("accept-language", "zh-CN")
                .json(&json!({
                    "recipient": r.pid, "services": ["home_visit"],
                    "dtstart": format!("{start}T09:00:00"), "rrule": rule,
                }))
                .await;
            assert_eq!(
                res.status_code(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{rule}"
            );
            let msg = res.json::<Value>()["errors"]["rrule"][0]
                .as_str()
                .unwrap_or_default()
                .to_string();
            assert!(msg.contains(says), "{rule}: {msg}");
        }
    })
    .await;
}

/// A visit straight into the database, 09:00-10:00 Beijing time on `day`.
async fn visit_at(
    ctx: &loco_rs::app::AppContext,
    recipient: &doudi::models::_entities::recipients::Model,
    worker_email: &str,
    day: NaiveDate,
) -> visits::Model {
    let worker = user(ctx, worker_email).await;
    let start = chrono_tz::Asia::Shanghai
        .from_local_datetime(&day.and_hms_opt(9, 0, 0).expect("time"))
        .single()
        .expect("local")
        .fixed_offset();
    visits::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        organization_id: Set(worker.organization_id.expect("org")),
        recipient_id: Set(Some(recipient.id)),
        household_id: Set(recipient.household_id),
        township_id: Set(recipient.township_id),
        worker_id: Set(Some(worker.id)),
        starts_at: Set(start),
        ends_at: Set(start + Duration::hours(1)),
        tzid: Set("Asia/Shanghai".into()),
        status: Set("scheduled".into()),
        exception: Set(false),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .expect("visit")
}

#[tokio::test]
async fn the_preview_names_each_clash_before_saving_as_far_as_the_viewer_may_see() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "coordinator@doudi.test").await;
        let monday = next_monday();
        // Another of the organisation's visits for worker@ (in scope), and
        // another organisation's visit for the same person (out of scope).
        let other = person(&ctx, "单秀英").await;
        visit_at(&ctx, &other, "worker@doudi.test", monday).await;
        let planned = person(&ctx, "李长林").await;
        visit_at(
            &ctx,
            &planned,
            "worker2@doudi.test",
            monday + Duration::days(7),
        )
        .await;
        let stranger = user(&ctx, "worker2@doudi.test").await.name;
        let form = vec![
            ("recipient", planned.pid.to_string()),
            (
                "worker",
                user(&ctx, "worker@doudi.test").await.pid.to_string(),
            ),
            ("services", "home_visit".to_string()),
            ("duration_minutes", "60".to_string()),
            ("start_date", monday.to_string()),
            ("start_time", "09:30".to_string()),
            ("pattern", "weekly".to_string()),
            ("weekdays", "MO".to_string()),
        ];
        let res = post_form(&server, &cookie, "zh-CN", "/service_plans/preview", &form).await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let html = res.text();
        assert!(html.contains("每周一 09:30"), "{html}");
        let lines = select_text(&html, "#conflicts li");
        assert_eq!(lines.len(), 2, "{lines:?}");
        let seen = PersonView::name_for(Role::Coordinator, "单秀英", false);
        assert!(
            lines[0].contains("刘洋") && lines[0].contains(&seen),
            "{lines:?}"
        );
        assert!(lines[0].contains(&format!("{}月{}日", monday.month(), monday.day())));
        assert!(lines[0].contains("09:00–10:00"), "{lines:?}");
        // The other organisation's visit: its time, nobody named.
        assert!(lines[1].contains("09:00–10:00"), "{lines:?}");
        assert!(
            !lines[1].contains(&stranger) && !lines[1].contains("社工 "),
            "{lines:?}"
        );
        assert!(
            !lines[1].contains("李长林") && !lines[1].contains("李*"),
            "{lines:?}"
        );
        // The box to save anyway sits with the conflicts; ticked, it stays.
        assert!(!attr(&html, "#conflicts input[name=confirm]", "value").is_empty());
        let mut ticked = form.clone();
        ticked.push(("confirm", "1".to_string()));
        let res = post_form(&server, &cookie, "en", "/service_plans/preview", &ticked).await;
        let html = res.text();
        assert!(html.contains("Every Mon at 09:30"), "{html}");
        assert_eq!(
            attr(&html, "#conflicts input[name=confirm][checked]", "value"),
            vec!["1"]
        );
        // Saving without the box: the form again, the same conflicts in the
        // preview; with it, saved.
        let res = post_form(&server, &cookie, "zh-CN", "/service_plans", &form).await;
        assert_eq!(res.status_code(), StatusCode::CONFLICT);
        assert_eq!(select_text(&res.text(), "#conflicts li").len(), 2);
        let res = post_form(&server, &cookie, "zh-CN", "/service_plans", &ticked).await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER, "{}", res.text());
        // Changing the saved plan: its own visits are no clash.
        let plan = service_plans::Entity::find()
            .all(&ctx.db)
            .await
            .expect("plans")
            .into_iter()
            .find(|p| p.recipient_id == Some(planned.id))
            .expect("plan");
        let edit = page(
            &server,
            &cookie,
            "zh-CN",
            &format!("/service_plans/{}/edit", plan.pid),
        )
        .await;
        assert_eq!(select_text(&edit, "#conflicts li").len(), 2, "{edit}");
    })
    .await;
}

#[tokio::test]
async fn many_clashes_show_a_few_lines_and_how_many_more() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "coordinator@doudi.test").await;
        let monday = next_monday();
        let other = person(&ctx, "单秀英").await;
        for week in 0..5 {
            visit_at(
                &ctx,
                &other,
                "worker@doudi.test",
                monday + Duration::days(7 * week),
            )
            .await;
        }
        let planned = person(&ctx, "李长林").await;
        let form = vec![
            ("recipient", planned.pid.to_string()),
            (
                "worker",
                user(&ctx, "worker@doudi.test").await.pid.to_string(),
            ),
            ("services", "home_visit".to_string()),
            ("start_date", monday.to_string()),
            ("start_time", "09:00".to_string()),
            ("pattern", "weekly".to_string()),
            ("weekdays", "MO".to_string()),
        ];
        let res = post_form(&server, &cookie, "zh-CN", "/service_plans/preview", &form).await;
        let html = res.text();
        assert_eq!(select_text(&html, "#conflicts li").len(), 3, "{html}");
        assert!(html.contains("5 次上门与其他安排冲突"), "{html}");
        assert!(html.contains("另有 2 处冲突"), "{html}");
    })
    .await;
}
