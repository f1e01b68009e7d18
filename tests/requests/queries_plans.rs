//! Statements per list request (`x-query-count`) for plans, users,
//! villages, organisations and the audit log: the same with more rows, so
//! no list loads its related rows one row at a time.
use crate::support::{queries, session, token, with_app};
use doudi::models::{
    _entities::{organizations, recipients, service_plans, users, villages},
    audit_logs::{self, Action},
    Actor,
};
use loco_rs::app::AppContext;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter,
    QueryOrder,
};

/// The statements of a page (cookie) and of the API (bearer) at `path`.
async fn counts(
    server: &axum_test::TestServer,
    ctx: &AppContext,
    page: &str,
    api: &str,
) -> (u32, u32) {
    let cookie = session(ctx, "admin@doudi.test").await;
    let bearer = token(ctx, "admin@doudi.test").await;
    let p = server.get(page).add_header("cookie", cookie).await;
    p.assert_status_ok();
    let a = server.get(api).authorization_bearer(&bearer).await;
    a.assert_status_ok();
    (queries(&p), queries(&a))
}

/// A weekly plan for 单秀英, made through the API.
async fn first_plan(server: &axum_test::TestServer, ctx: &AppContext) {
    let r = recipients::Entity::find()
        .filter(recipients::Column::Name.eq("单秀英"))
        .one(&ctx.db)
        .await
        .expect("query")
        .expect("recipient");
    let res = server
        .post("/api/v1/service_plans")
        .authorization_bearer(token(ctx, "coordinator@doudi.test").await)
        .json(&serde_json::json!({
            "recipient": r.pid.to_string(),
            "services": ["home_visit"],
            "dtstart": format!("{}T09:00:00", doudi::models::today() + chrono::Duration::days(1)),
            "rrule": "FREQ=WEEKLY",
        }))
        .await;
    assert_eq!(res.status_code(), 201, "{}", res.text());
}

/// Three more plans, each for another recipient (copies of the first).
async fn more_plans(ctx: &AppContext) {
    let plan = service_plans::Entity::find()
        .one(&ctx.db)
        .await
        .expect("query")
        .expect("the first plan");
    let others = recipients::Entity::find()
        .filter(recipients::Column::Id.ne(plan.recipient_id.unwrap_or_default()))
        .order_by_asc(recipients::Column::Id)
        .all(&ctx.db)
        .await
        .expect("query");
    for r in others.iter().take(3) {
        let mut am: service_plans::ActiveModel = plan.clone().into();
        am.id = NotSet;
        am.pid = Set(uuid::Uuid::new_v4());
        am.recipient_id = Set(Some(r.id));
        am.household_id = Set(r.household_id);
        am.insert(&ctx.db).await.expect("plan");
    }
}

#[tokio::test]
async fn the_plan_list_runs_the_same_statements_however_many_plans() {
    with_app(|server, ctx| async move {
        let path = (
            "/service_plans?per_page=100",
            "/api/v1/service_plans?per_page=100",
        );
        first_plan(&server, &ctx).await;
        let before = counts(&server, &ctx, path.0, path.1).await;
        more_plans(&ctx).await;
        let after = counts(&server, &ctx, path.0, path.1).await;
        assert_eq!(before, after, "page, API");
        // Two for the viewer, then the plans, their count, their recipients (one query
        // for the page), and for the page the service catalogue.
        assert_eq!(after, (PLAN_PAGE, PLAN_API));
    })
    .await;
}

const PLAN_PAGE: u32 = 6;
const PLAN_API: u32 = 5;

#[tokio::test]
async fn the_user_list_runs_the_same_statements_however_many_users() {
    with_app(|server, ctx| async move {
        let path = ("/users?per_page=100", "/api/v1/users?per_page=100");
        let before = counts(&server, &ctx, path.0, path.1).await;
        let orgs = organizations::Entity::find()
            .order_by_asc(organizations::Column::Id)
            .all(&ctx.db)
            .await
            .expect("query");
        let worker = users::Entity::find()
            .filter(users::Column::Email.eq("worker@doudi.test"))
            .one(&ctx.db)
            .await
            .expect("query")
            .expect("worker");
        for (i, o) in orgs.iter().take(3).enumerate() {
            let mut am: users::ActiveModel = worker.clone().into();
            am.id = NotSet;
            am.email = Set(format!("more{i}@doudi.test"));
            am.name = Set(format!("多{i}"));
            am.phone = Set(None);
            am.organization_id = Set(Some(o.id));
            am.insert(&ctx.db).await.expect("user");
        }
        let after = counts(&server, &ctx, path.0, path.1).await;
        assert_eq!(before, after, "page, API");
        // Two for the viewer, then the users, their count, their organisations; the page
        // also the organisations to filter by.
        assert_eq!(after, (USER_PAGE, USER_API));
    })
    .await;
}

const USER_PAGE: u32 = 6;
const USER_API: u32 = 5;

#[tokio::test]
async fn the_village_list_runs_the_same_statements_however_many_villages() {
    with_app(|server, ctx| async move {
        let path = ("/villages?per_page=100", "/api/v1/villages?per_page=100");
        let before = counts(&server, &ctx, path.0, path.1).await;
        let village = villages::Entity::find()
            .order_by_desc(villages::Column::Id)
            .one(&ctx.db)
            .await
            .expect("query")
            .expect("a village");
        for i in 0..3 {
            let mut am: villages::ActiveModel = village.clone().into();
            am.id = NotSet;
            am.pid = Set(uuid::Uuid::new_v4());
            am.name = Set(format!("新村{i}"));
            am.code = Set(None);
            am.insert(&ctx.db).await.expect("village");
        }
        let after = counts(&server, &ctx, path.0, path.1).await;
        assert_eq!(before, after, "page, API");
        // Two for the viewer, then the villages, their count, their townships; the page
        // also the townships to filter by.
        assert_eq!(after, (VILLAGE_PAGE, VILLAGE_API));
    })
    .await;
}

const VILLAGE_PAGE: u32 = 6;
const VILLAGE_API: u32 = 5;

#[tokio::test]
async fn the_organization_list_runs_the_same_statements_however_many_organizations() {
    with_app(|server, ctx| async move {
        let path = (
            "/organizations?per_page=100",
            "/api/v1/organizations?per_page=100",
        );
        let before = counts(&server, &ctx, path.0, path.1).await;
        let org = organizations::Entity::find()
            .one(&ctx.db)
            .await
            .expect("query")
            .expect("an organisation");
        for i in 0..3 {
            let mut am: organizations::ActiveModel = org.clone().into();
            am.id = NotSet;
            am.pid = Set(uuid::Uuid::new_v4());
            am.name = Set(format!("新机构{i}"));
            am.credit_code = Set(format!("91511900MA6{i:07}"));
            am.insert(&ctx.db).await.expect("organisation");
        }
        let after = counts(&server, &ctx, path.0, path.1).await;
        assert_eq!(before, after, "page, API");
        // Two for the viewer, then the organisations, their count.
        assert_eq!(after, (ORGANIZATION_PAGE, ORGANIZATION_API));
    })
    .await;
}

const ORGANIZATION_PAGE: u32 = 4;
const ORGANIZATION_API: u32 = 4;

#[tokio::test]
async fn the_audit_log_runs_the_same_statements_however_many_entries() {
    with_app(|server, ctx| async move {
        let path = (
            "/audit?entity=query_counts&per_page=100",
            "/api/v1/audit_logs?entity=query_counts&per_page=100",
        );
        let before = counts(&server, &ctx, path.0, path.1).await;
        let actor = Actor::system("test");
        for i in 0..3 {
            audit_logs::record(
                &ctx.db,
                &actor,
                Action::Update,
                "query_counts",
                Some(uuid::Uuid::new_v4()),
                &serde_json::json!({ "n": i }),
            )
            .await
            .expect("entry");
        }
        let after = counts(&server, &ctx, path.0, path.1).await;
        assert_eq!(before, after, "page, API");
        // Two for the viewer, then the entries, their count.
        assert_eq!(after, (AUDIT_PAGE, AUDIT_API));
    })
    .await;
}

const AUDIT_PAGE: u32 = 4;
const AUDIT_API: u32 = 4;
