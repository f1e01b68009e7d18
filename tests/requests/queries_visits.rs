//! Lists of visits load their related rows in batches (one query per
//! table, `models::visits::Related`): the board, the worker's week and
//! day, the visits needing attention and the visits API run the same
//! number of statements however many visits, people, homes, workers and
//! plans they show.
use crate::support::*;
use axum::http::StatusCode;
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone};
use doudi::models::_entities::{recipients, service_plans, visits};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

/// `day` at `hour`:00, Beijing time.
fn at(day: NaiveDate, hour: u32) -> DateTime<FixedOffset> {
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&day.and_hms_opt(hour, 0, 0).expect("time"))
        .single()
        .expect("local")
        .fixed_offset()
}

async fn person(ctx: &loco_rs::app::AppContext, name: &str) -> recipients::Model {
    recipients::Entity::find()
        .filter(recipients::Column::Name.eq(name))
        .one(&ctx.db)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no recipient {name}"))
}

/// A scheduled visit of `worker` to `who` (or, with `whole_household`, to
/// their household), of `plan` or ad hoc, at `start` for an hour.
async fn visit(
    ctx: &loco_rs::app::AppContext,
    who: &str,
    whole_household: bool,
    worker: &str,
    plan: Option<i64>,
    start: DateTime<FixedOffset>,
) -> visits::Model {
    let r = person(ctx, who).await;
    let w = user(ctx, worker).await;
    visits::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        plan_id: Set(plan),
        organization_id: Set(w.organization_id.expect("org")),
        recipient_id: Set((!whole_household).then_some(r.id)),
        household_id: Set(r.household_id),
        township_id: Set(r.township_id),
        worker_id: Set(Some(w.id)),
        starts_at: Set(start),
        ends_at: Set(start + Duration::hours(1)),
        tzid: Set("Asia/Shanghai".into()),
        status: Set("scheduled".into()),
        exception: Set(false),
        late: Set(true),
        location_exception: Set(false),
        ad_hoc_reason: Set(plan.is_none().then(|| "邻居来电".to_string())),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .expect("visit")
}

/// A plan of 单秀英 for worker@ (its own visits start next Monday).
async fn plan(server: &axum_test::TestServer, ctx: &loco_rs::app::AppContext) -> i64 {
    let r = person(ctx, "单秀英").await;
    let res = server
        .post("/api/v1/service_plans")
        .authorization_bearer(&token(ctx, "coordinator@doudi.test").await)
        .json(&json!({
            "recipient": r.pid,
            "worker": user(ctx, "worker@doudi.test").await.pid,
            "services": ["daily_care", "home_visit"],
            "dtstart": format!("{}T08:00:00", next_monday()),
            "rrule": "FREQ=WEEKLY;COUNT=2",
        }))
        .await;
    assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    let pid: uuid::Uuid = res.json::<serde_json::Value>()["pid"]
        .as_str()
        .and_then(|p| p.parse().ok())
        .expect("pid");
    service_plans::Entity::find()
        .filter(service_plans::Column::Pid.eq(pid))
        .one(&ctx.db)
        .await
        .expect("query")
        .expect("plan")
        .id
}

fn next_monday() -> NaiveDate {
    let today = doudi::models::today();
    today + Duration::days(i64::from(7 - today.weekday().num_days_from_monday()))
}

/// The statements of each of `urls` for `who` (a page session for paths,
/// a bearer token for `/api/`), each answered 200.
async fn counts(
    server: &axum_test::TestServer,
    ctx: &loco_rs::app::AppContext,
    who: &str,
    urls: &[String],
) -> Vec<u32> {
    let cookie = session(ctx, who).await;
    let bearer = token(ctx, who).await;
    let mut out = Vec::new();
    for url in urls {
        let res = if url.starts_with("/api/") {
            server.get(url).authorization_bearer(&bearer).await
        } else {
            server.get(url).add_header("cookie", cookie.clone()).await
        };
        assert_eq!(res.status_code(), StatusCode::OK, "{url}: {}", res.text());
        out.push(queries(&res));
    }
    out
}

/// The first visits: one of a plan and one ad hoc tomorrow and in next
/// week, so that every related table is asked once already.
async fn first_visits(ctx: &loco_rs::app::AppContext, plan: i64) {
    let tomorrow = doudi::models::today() + Duration::days(1);
    let monday = next_monday();
    visit(
        ctx,
        "单秀英",
        false,
        "worker@doudi.test",
        Some(plan),
        at(tomorrow, 9),
    )
    .await;
    visit(
        ctx,
        "单秀英",
        false,
        "worker@doudi.test",
        None,
        at(tomorrow, 11),
    )
    .await;
    visit(
        ctx,
        "单秀英",
        false,
        "worker@doudi.test",
        Some(plan),
        at(monday + Duration::days(1), 9),
    )
    .await;
    visit(
        ctx,
        "单秀英",
        false,
        "worker@doudi.test",
        None,
        at(monday + Duration::days(2), 11),
    )
    .await;
    // Yesterday's: one missed, one checked in far from the home, so that
    // every section of the attention page has a visit.
    let yesterday = doudi::models::today() - Duration::days(1);
    let missed = visit(
        ctx,
        "单秀英",
        false,
        "worker@doudi.test",
        Some(plan),
        at(yesterday, 9),
    )
    .await;
    let mut am: visits::ActiveModel = missed.into();
    am.status = Set("missed".into());
    am.update(&ctx.db).await.expect("missed");
    let far = visit(
        ctx,
        "单秀英",
        false,
        "worker@doudi.test",
        None,
        at(yesterday, 11),
    )
    .await;
    let mut am: visits::ActiveModel = far.into();
    am.location_exception = Set(true);
    am.update(&ctx.db).await.expect("far");
}

/// Six more: other people, a whole household, another worker, another
/// plan's visit, overlapping ones (conflicts).
async fn more_visits(ctx: &loco_rs::app::AppContext, plan: i64) {
    let tomorrow = doudi::models::today() + Duration::days(1);
    let monday = next_monday();
    for day in [tomorrow, monday + Duration::days(3)] {
        visit(ctx, "王光荣", false, "worker@doudi.test", None, at(day, 14)).await;
        visit(
            ctx,
            "曾德明",
            true,
            "worker@doudi.test",
            Some(plan),
            at(day, 16),
        )
        .await;
        visit(
            ctx,
            "张小雨",
            false,
            "worker1@doudi.test",
            None,
            at(day, 16),
        )
        .await;
    }
}

#[tokio::test]
async fn the_coordinators_board_runs_as_many_statements_for_many_visits_as_for_few() {
    with_app(|server, ctx| async move {
        let plan = plan(&server, &ctx).await;
        first_visits(&ctx, plan).await;
        let week = next_monday();
        let urls = [
            format!("/board?week={week}"),
            format!("/board?week={week}&by=recipient"),
            format!("/api/v1/board?week={week}"),
            "/attention".to_string(),
        ];
        let few = counts(&server, &ctx, "coordinator@doudi.test", &urls).await;
        more_visits(&ctx, plan).await;
        let many = counts(&server, &ctx, "coordinator@doudi.test", &urls).await;
        assert_eq!(few, many, "{urls:?}");
        // The board: the caller and their scope, the week's visits, the
        // visits they might clash with and the inactive people, one query
        // each for users, people, homes, villages and plans, the service
        // catalogue; the page adds the workers of the reassignment form.
        // Attention: three sections of a page and a count each, then
        // the same related rows for all three at once.
        assert_eq!(
            many,
            [BOARD_PAGE, BOARD_PAGE, BOARD_API, ATTENTION],
            "{urls:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_workers_day_and_week_run_as_many_statements_for_many_visits_as_for_few() {
    with_app(|server, ctx| async move {
        let plan = plan(&server, &ctx).await;
        first_visits(&ctx, plan).await;
        let week = next_monday();
        let urls = [
            "/today".to_string(),
            format!("/my_week?week={week}"),
            format!("/api/v1/board?week={week}"),
        ];
        let few = counts(&server, &ctx, "worker@doudi.test", &urls).await;
        more_visits(&ctx, plan).await;
        let many = counts(&server, &ctx, "worker@doudi.test", &urls).await;
        assert_eq!(few, many, "{urls:?}");
        assert_eq!(many, [TODAY, MY_WEEK, WORKER_BOARD_API], "{urls:?}");
    })
    .await;
}

#[tokio::test]
async fn the_visits_api_list_runs_as_many_statements_for_many_visits_as_for_few() {
    with_app(|server, ctx| async move {
        let plan = plan(&server, &ctx).await;
        first_visits(&ctx, plan).await;
        let urls = [
            "/api/v1/visits?per_page=100".to_string(),
            "/api/v1/visits?flag=late&per_page=100".to_string(),
        ];
        let few = counts(&server, &ctx, "coordinator@doudi.test", &urls).await;
        more_visits(&ctx, plan).await;
        let many = counts(&server, &ctx, "coordinator@doudi.test", &urls).await;
        assert_eq!(few, many, "{urls:?}");
        assert_eq!(many, [API_LIST, API_LIST], "{urls:?}");
    })
    .await;
}

/// Statements per request (SQLite and PostgreSQL alike). A coordinator's
/// board and attention list ask once which of the page's people they may
/// open (issue 16: access follows contracts).
const BOARD_PAGE: u32 = 13;
const BOARD_API: u32 = 12;
const ATTENTION: u32 = 15;
const TODAY: u32 = 12;
const MY_WEEK: u32 = 11;
const WORKER_BOARD_API: u32 = 11;
const API_LIST: u32 = 4;
