//! Builders that several request test files use: demo people by name, a
//! contract's body, visits written straight to the database with their
//! lines, a plan of visits for worker@, a completed visit log, and the check
//! that the kept fulfilment totals equal a rebuild.
use super::{token, user};
use axum::http::StatusCode;
use chrono::{Datelike, Duration, NaiveDate, TimeZone};
use doudi::models::{
    _entities::{
        audit_logs, recipients, service_plans, visit_material_lines, visit_service_lines, visits,
    },
    fulfilment,
};
use loco_rs::app::AppContext;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{json, Value};

/// A demo recipient by name.
pub async fn person(ctx: &AppContext, name: &str) -> recipients::Model {
    recipients::Entity::find()
        .filter(recipients::Column::Name.eq(name))
        .one(&ctx.db)
        .await
        .expect("q")
        .unwrap_or_else(|| panic!("no recipient {name}"))
}

/// The whole (unmasked) ID number of a demo recipient.
pub async fn whole_id_of(ctx: &AppContext, name: &str) -> String {
    doudi::vault::Vault::of(ctx)
        .expect("vault")
        .open(&person(ctx, name).await.id_sealed)
        .expect("open")
        .as_str()
        .to_string()
}

/// The newest audit entry.
pub async fn last_audit(ctx: &AppContext) -> audit_logs::Model {
    audit_logs::Entity::find()
        .order_by_desc(audit_logs::Column::Id)
        .one(&ctx.db)
        .await
        .expect("query")
        .expect("an audit row")
}

/// The values of attribute `name` on the elements `selector` picks.
pub fn attr(html: &str, selector: &str, name: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(selector).expect("selector");
    doc.select(&sel)
        .filter_map(|e| e.value().attr(name).map(str::to_string))
        .collect()
}

/// A contract of 曾口镇 for the first quarter of 2027: three items (daily
/// care by the visit, emotional support by the hour, food by the yuan).
pub fn contract_body(town: &str, org: &str) -> Value {
    json!({
        "township": town, "organization": org,
        "code": "BZ-ZK-2027-001", "title": "曾口镇2027年一季度居家探访服务",
        "procurement_method": "competitive_consultation",
        "signed_on": "2026-12-20", "starts_on": "2027-01-01", "ends_on": "2027-03-31",
        "total": "100000.00",
        "content": "为特困、低保老人提供上门探访、生活照料和精神慰藉。",
        "quality": "每次上门不少于30分钟，须经服务对象确认。",
        "settlement": "按季度验收后支付。", "liability": "未达标部分按比例扣减。",
        "min_visits_per_month": 2, "min_visit_minutes": 30, "max_late_percent": 10,
        "items": [
            {"service": "daily_care", "unit": "visit", "quantity": 10, "unit_price": "50.00", "min_minutes": 30},
            {"service": "emotional_support", "unit": "hour", "quantity": 5, "unit_price": 80},
            {"material_category": "food", "unit": "yuan", "quantity": 1000, "unit_price": "1.00"},
        ],
    })
}

/// One visit at 09:00 Beijing time on `day`, with its lines.
#[allow(clippy::too_many_arguments)]
pub async fn visit(
    ctx: &AppContext,
    r: &recipients::Model,
    day: &str,
    status: &str,
    late: bool,
    exception: bool,
    plan: Option<i64>,
    services: &[(&str, i64)],
    materials: &[(&str, i64, &str, Option<&str>)],
) -> visits::Model {
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").expect("day");
    let start = chrono_tz::Asia::Shanghai
        .from_local_datetime(&d.and_hms_opt(9, 0, 0).expect("time"))
        .single()
        .expect("local")
        .fixed_offset();
    let worker = user(ctx, "worker@doudi.test").await;
    let v = visits::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        plan_id: Set(plan),
        organization_id: Set(worker.organization_id.expect("org")),
        recipient_id: Set(Some(r.id)),
        household_id: Set(r.household_id),
        township_id: Set(r.township_id),
        worker_id: Set(Some(worker.id)),
        starts_at: Set(start),
        ends_at: Set(start + chrono::Duration::hours(1)),
        tzid: Set("Asia/Shanghai".into()),
        status: Set(status.into()),
        exception: Set(false),
        late: Set(late),
        location_exception: Set(exception),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .expect("visit");
    for (s, m) in services {
        visit_service_lines::ActiveModel {
            visit_id: Set(v.id),
            service: Set((*s).into()),
            minutes: Set(*m),
            created_at: Set(start),
            ..Default::default()
        }
        .insert(&ctx.db)
        .await
        .expect("line");
    }
    for (cat, fen, funding, donor) in materials {
        visit_material_lines::ActiveModel {
            visit_id: Set(v.id),
            item: Set("大米".into()),
            category: Set((*cat).into()),
            quantity_milli: Set(1000),
            unit: Set("袋".into()),
            value_fen: Set(*fen),
            funding: Set((*funding).into()),
            donor: Set(donor.map(str::to_string)),
            created_at: Set(start),
            ..Default::default()
        }
        .insert(&ctx.db)
        .await
        .expect("material");
    }
    // What every write path does: bring the contracts' kept totals along.
    fulfilment::count_new(&ctx.db, v.id).await.expect("count");
    v
}

#[derive(Debug, PartialEq, Eq, sea_orm::FromQueryResult)]
struct KeptRow {
    contract_id: i64,
    day: String,
    kind: String,
    key: String,
    n: i64,
    late: i64,
    exceptions: i64,
}

#[derive(Debug, PartialEq, Eq, sea_orm::FromQueryResult)]
struct KeptMonth {
    contract_id: i64,
    recipient_id: i64,
    month: String,
    completed: i64,
}

/// Every contract's kept totals, in order.
async fn kept(ctx: &AppContext) -> (Vec<KeptRow>, Vec<KeptMonth>) {
    use sea_orm::{FromQueryResult, Statement};
    let b = ctx.db.get_database_backend();
    let days = KeptRow::find_by_statement(Statement::from_string(
        b,
        "SELECT contract_id, CAST(day AS TEXT) AS day, kind, key || '/' || COALESCE(donor, '') AS key, \
         n, late, exceptions FROM fulfilment_days WHERE n <> 0 OR late <> 0 OR exceptions <> 0 \
         ORDER BY contract_id, day, kind, key, donor",
    ))
    .all(&ctx.db)
    .await
    .expect("days");
    let months = KeptMonth::find_by_statement(Statement::from_string(
        b,
        "SELECT contract_id, recipient_id, month, completed FROM fulfilment_months \
         WHERE completed <> 0 ORDER BY contract_id, recipient_id, month",
    ))
    .all(&ctx.db)
    .await
    .expect("months");
    (days, months)
}

/// The kept totals are exactly what rebuilding every contract gives.
pub async fn kept_is_rebuilt(ctx: &AppContext, after: &str) {
    let before = kept(ctx).await;
    assert!(!before.0.is_empty(), "{after}: nothing kept");
    fulfilment::rebuild_all(&ctx.db).await.expect("rebuild");
    let rebuilt = kept(ctx).await;
    assert_eq!(before.0, rebuilt.0, "{after}: day totals");
    assert_eq!(before.1, rebuilt.1, "{after}: months");
}

/// Home of 单秀英 for the test, and a plan with her visits for worker@.
pub async fn visits_for_worker(
    server: &axum_test::TestServer,
    ctx: &AppContext,
) -> Vec<visits::Model> {
    let r = recipients::Entity::find()
        .filter(recipients::Column::Name.eq("单秀英"))
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("r");
    let mut am: recipients::ActiveModel = r.clone().into();
    am.latitude = Set(Some(31.85));
    am.longitude = Set(Some(106.75));
    am.update(&ctx.db).await.expect("home");
    let today = doudi::models::today();
    let monday =
        today + chrono::Duration::days(i64::from(7 - today.weekday().num_days_from_monday()));
    let res = server
        .post("/api/v1/service_plans")
        .authorization_bearer(&token(ctx, "coordinator@doudi.test").await)
        .json(&json!({
            "recipient": r.pid,
            "worker": user(ctx, "worker@doudi.test").await.pid,
            "services": ["daily_care"],
            "dtstart": format!("{monday}T09:00:00"),
            "rrule": "FREQ=DAILY;COUNT=5",
        }))
        .await;
    assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    visits::Entity::find()
        .order_by_asc(visits::Column::StartsAt)
        .all(&ctx.db)
        .await
        .expect("visits")
}

const PNG: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

pub fn completed() -> Value {
    json!({
        "client_id": uuid::Uuid::new_v4(),
        "device_time": "2026-12-07T10:02:00+08:00",
        "outcome": "completed",
        "services": [
            {"service": "daily_care", "minutes": 30},
            {"service": "emotional_support", "minutes": "20"},
            {"service": "home_visit", "minutes": 10},
        ],
        "materials": [
            {"item": "大米", "category": "food", "quantity": 10, "unit": "斤", "value": "35.50", "funding": "contract"},
            {"item": "棉被", "category": "clothing", "quantity": "1", "unit": "床", "value": 120, "funding": "donation", "donor": "巴中市慈善总会"},
        ],
        "notes": "精神状态好。",
        "referrals": [{"kind": "health_risk", "note": "血压偏高，建议联系村医随访。"}],
        "confirmed_by": "单秀英",
        "confirmed_relation": "本人",
        "signature": PNG,
        // Tests check in and log at once: 60 minutes of service in a visit
        // of seconds need a reason (issue 15).
        "minutes_reason": "补录：离开后在村委会补填",
    })
}

/// Checks in to `v` as `w`, with a reason instead of a location.
pub async fn check_in(server: &axum_test::TestServer, w: &str, v: &visits::Model) {
    let res = server
        .post(&format!("/api/v1/visits/{}/check_in", v.pid))
        .authorization_bearer(w)
        .json(&json!({"location_reason": "no_gps_signal"}))
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
}

/// Checks in to and completes `v` as worker@ with `completed()`.
pub async fn complete(server: &axum_test::TestServer, w: &str, v: &visits::Model) -> Value {
    let res = server
        .post(&format!("/api/v1/visits/{}/check_in", v.pid))
        .authorization_bearer(w)
        .json(&json!({"latitude": 31.85, "longitude": 106.7501}))
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
    let res = server
        .post(&format!("/api/v1/visits/{}/submission", v.pid))
        .authorization_bearer(w)
        .json(&completed())
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
    res.json()
}

/// 单秀英's next five daily visits (from the day after tomorrow) for worker@.
pub async fn planned(server: &axum_test::TestServer, ctx: &AppContext) -> Vec<visits::Model> {
    let r = person(ctx, "单秀英").await;
    let today = doudi::models::today();
    let res = server
        .post("/api/v1/service_plans")
        .authorization_bearer(&token(ctx, "coordinator@doudi.test").await)
        .json(&json!({
            "recipient": r.pid,
            "worker": user(ctx, "worker@doudi.test").await.pid,
            "services": ["daily_care"],
            "dtstart": format!("{}T09:00:00", today + Duration::days(2)),
            "rrule": "FREQ=DAILY;COUNT=5",
            "confirm": true,
        }))
        .await;
    assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
    let plan = service_plans::Entity::find()
        .filter(service_plans::Column::Pid.eq(
            uuid::Uuid::parse_str(res.json::<Value>()["pid"].as_str().expect("pid")).expect("uuid"),
        ))
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("plan");
    visits::Entity::find()
        .filter(visits::Column::PlanId.eq(plan.id))
        .order_by_asc(visits::Column::StartsAt)
        .all(&ctx.db)
        .await
        .expect("visits")
}

/// The demo's contract in force in 曾口镇 with the Sunshine centre, as the
/// official (`official`, a bearer token) lists it.
pub async fn demo_in_force(server: &axum_test::TestServer, official: &str) -> String {
    let list: Value = server
        .get("/api/v1/contracts")
        .authorization_bearer(official)
        .await
        .json();
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["status"] == "active" && c["code"] == "BZ-511902101000-001")
        .and_then(|c| c["pid"].as_str())
        .expect("曾口镇's contract with the Sunshine centre")
        .to_string()
}
