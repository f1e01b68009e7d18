//! Every endpoint of the foundation, for every role, inside and outside
//! the role's scope. Out of scope is always 404, never 403 or 500.
use crate::support::*;
use axum::http::StatusCode;
use serde_json::{json, Value};

const ROLES: [&str; 4] = ["admin", "official", "coordinator", "worker"];

fn email(role: &str) -> String {
    format!("{role}@doudi.test")
}

struct Ids {
    town_in: String,
    town_out: String,
    village_in: String,
    village_out: String,
    org_own: String,
    org_other: String,
    worker: String,
    coordinator2: String,
    official: String,
    official2: String,
    person_in: String,
    person_out: String,
}

async fn ids(ctx: &loco_rs::app::AppContext) -> Ids {
    Ids {
        town_in: township_pid(ctx, "曾口镇").await.to_string(),
        town_out: township_pid(ctx, "水宁寺镇").await.to_string(),
        village_in: village_pid(ctx, "石门村").await.to_string(),
        village_out: village_pid(ctx, "黄梁村").await.to_string(),
        org_own: organization_pid(ctx, SUNSHINE).await.to_string(),
        org_other: organization_pid(ctx, YIMIN).await.to_string(),
        worker: user(ctx, "worker@doudi.test").await.pid.to_string(),
        coordinator2: user(ctx, "coordinator2@doudi.test").await.pid.to_string(),
        official: user(ctx, "official@doudi.test").await.pid.to_string(),
        official2: user(ctx, "official2@doudi.test").await.pid.to_string(),
        person_in: crate::support::builders::person(ctx, "单秀英")
            .await
            .pid
            .to_string(),
        person_out: crate::support::builders::person(ctx, "何淑珍")
            .await
            .pid
            .to_string(),
    }
}

/// (path, expected status for admin, official, coordinator, worker)
fn reads(i: &Ids) -> Vec<(String, [u16; 4])> {
    vec![
        ("/api/v1/townships".into(), [200, 200, 200, 404]),
        (
            format!("/api/v1/townships/{}", i.town_in),
            [200, 200, 200, 404],
        ),
        // A provider's places are those of its contracts (issue 16).
        (
            format!("/api/v1/townships/{}", i.town_out),
            [200, 404, 404, 404],
        ),
        ("/api/v1/villages".into(), [200, 200, 200, 404]),
        (
            format!("/api/v1/villages/{}", i.village_in),
            [200, 200, 200, 404],
        ),
        (
            format!("/api/v1/villages/{}", i.village_out),
            [200, 404, 404, 404],
        ),
        ("/api/v1/organizations".into(), [200, 200, 200, 200]),
        (
            format!("/api/v1/organizations/{}", i.org_own),
            [200, 200, 200, 200],
        ),
        (
            format!("/api/v1/organizations/{}", i.org_other),
            [200, 200, 404, 404],
        ),
        ("/api/v1/users".into(), [200, 200, 200, 200]),
        (format!("/api/v1/users/{}", i.worker), [200, 404, 200, 200]),
        (
            format!("/api/v1/users/{}", i.coordinator2),
            [200, 404, 404, 404],
        ),
        (
            format!("/api/v1/users/{}", i.official),
            [200, 200, 404, 404],
        ),
        (
            format!("/api/v1/users/{}", i.official2),
            [200, 404, 404, 404],
        ),
        ("/api/v1/audit_logs".into(), [200, 404, 404, 404]),
        ("/api/v1/auth/me".into(), [200, 200, 200, 200]),
        ("/api/v1/service_types".into(), [200, 200, 200, 200]),
        ("/api/v1/contracts".into(), [200, 200, 200, 404]),
        ("/api/v1/proposals".into(), [200, 200, 200, 404]),
        // The handover list is a provider's.
        ("/api/v1/handover".into(), [404, 404, 200, 404]),
        (
            format!("/api/v1/recipients/{}", i.person_out),
            [200, 404, 404, 404],
        ),
        (
            format!("/api/v1/recipients/{}", i.person_in),
            [200, 200, 200, 404],
        ),
    ]
}

fn pages(i: &Ids) -> Vec<(String, [u16; 4])> {
    vec![
        // Workers start on their visits of today.
        ("/".into(), [200, 200, 200, 303]),
        ("/today".into(), [404, 404, 404, 200]),
        ("/board".into(), [200, 200, 200, 404]),
        ("/attention".into(), [200, 200, 200, 404]),
        ("/referrals".into(), [200, 200, 200, 404]),
        ("/settings".into(), [200, 200, 200, 200]),
        ("/townships".into(), [200, 200, 200, 404]),
        ("/townships/new".into(), [200, 404, 404, 404]),
        (format!("/townships/{}", i.town_in), [200, 200, 200, 404]),
        (format!("/townships/{}", i.town_out), [200, 404, 404, 404]),
        (
            format!("/townships/{}/edit", i.town_in),
            [200, 404, 404, 404],
        ),
        ("/villages".into(), [200, 200, 200, 404]),
        ("/villages/new".into(), [200, 404, 404, 404]),
        (format!("/villages/{}", i.village_in), [200, 200, 200, 404]),
        (format!("/villages/{}", i.village_out), [200, 404, 404, 404]),
        (
            format!("/villages/{}/edit", i.village_in),
            [200, 404, 404, 404],
        ),
        ("/organizations".into(), [200, 200, 200, 200]),
        ("/organizations/new".into(), [200, 404, 404, 404]),
        (
            format!("/organizations/{}", i.org_own),
            [200, 200, 200, 200],
        ),
        (
            format!("/organizations/{}", i.org_other),
            [200, 200, 404, 404],
        ),
        (
            format!("/organizations/{}/edit", i.org_own),
            [200, 404, 404, 404],
        ),
        ("/users".into(), [200, 200, 200, 200]),
        ("/users/new".into(), [200, 404, 200, 404]),
        (format!("/users/{}", i.worker), [200, 404, 200, 200]),
        (format!("/users/{}/edit", i.worker), [200, 404, 200, 404]),
        (format!("/users/{}", i.coordinator2), [200, 404, 404, 404]),
        (
            format!("/users/{}/edit", i.coordinator2),
            [200, 404, 404, 404],
        ),
        ("/audit".into(), [200, 404, 404, 404]),
        ("/service_types".into(), [200, 404, 404, 404]),
        ("/service_types/new".into(), [200, 404, 404, 404]),
        ("/contracts".into(), [200, 200, 200, 404]),
        ("/dashboard".into(), [200, 200, 200, 404]),
        ("/contracts/new".into(), [200, 200, 404, 404]),
        ("/proposals".into(), [200, 200, 200, 404]),
        ("/handover".into(), [404, 404, 200, 404]),
        (
            format!("/recipients/{}", i.person_out),
            [200, 404, 404, 404],
        ),
        // Officials register; a coordinator's form proposes.
        ("/recipients/new".into(), [200, 200, 200, 404]),
        // Coordinators start an ad-hoc visit from a recipient's page.
        ("/visits/new".into(), [303, 404, 303, 200]),
    ]
}

#[tokio::test]
async fn every_read_endpoint_answers_each_role_by_scope() {
    with_app(|server, ctx| async move {
        let i = ids(&ctx).await;
        for (r, role) in ROLES.iter().enumerate() {
            let bearer = token(&ctx, &email(role)).await;
            let cookie = session(&ctx, &email(role)).await;
            for (path, expected) in reads(&i) {
                let res = server.get(&path).authorization_bearer(bearer.clone()).await;
                assert_eq!(
                    res.status_code().as_u16(),
                    expected[r],
                    "{role} GET {path}: {}",
                    res.text()
                );
            }
            for (path, expected) in pages(&i) {
                let res = server.get(&path).add_header("cookie", cookie.clone()).await;
                assert_eq!(
                    res.status_code().as_u16(),
                    expected[r],
                    "{role} page {path}"
                );
            }
        }
    })
    .await;
}

#[tokio::test]
async fn lists_hold_only_what_the_role_may_see() {
    with_app(|server, ctx| async move {
        let count = |body: Value| body["page"]["total"].as_u64().expect("total");
        let official = token(&ctx, "official@doudi.test").await;
        let coordinator = token(&ctx, "coordinator@doudi.test").await;
        let worker = token(&ctx, "worker@doudi.test").await;
        assert_eq!(
            count(
                server
                    .get("/api/v1/townships")
                    .authorization_bearer(official.clone())
                    .await
                    .json()
            ),
            2
        );
        assert_eq!(
            count(
                server
                    .get("/api/v1/villages")
                    .authorization_bearer(official.clone())
                    .await
                    .json()
            ),
            8
        );
        assert_eq!(
            count(
                server
                    .get("/api/v1/users")
                    .authorization_bearer(official)
                    .await
                    .json()
            ),
            1
        );
        assert_eq!(
            count(
                server
                    .get("/api/v1/organizations")
                    .authorization_bearer(coordinator.clone())
                    .await
                    .json()
            ),
            1
        );
        // The coordinator's organisation: coordinator, worker, volunteer and
        // three numbered workers.
        let users: Value = server
            .get("/api/v1/users?per_page=100")
            .authorization_bearer(coordinator)
            .await
            .json();
        assert_eq!(count(users.clone()), 6);
        assert!(users["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|u| u["organization"]["name"] == SUNSHINE));
        assert_eq!(
            count(
                server
                    .get("/api/v1/users")
                    .authorization_bearer(worker)
                    .await
                    .json()
            ),
            1
        );
    })
    .await;
}

fn code(body: &str) -> String {
    let check = doudi::domain::credit_code::check_character(body).expect("valid body");
    format!("{body}{check}")
}

/// (method, path, body, expected status for admin, official, coordinator, worker)
fn writes(i: &Ids, n: usize) -> Vec<(&'static str, String, Value, [u16; 4])> {
    vec![
        (
            "POST",
            "/api/v1/townships".into(),
            json!({"name": format!("新镇{n}"), "code": format!("5119021{:02}000", 10 + n), "population": 100}),
            [201, 404, 404, 404],
        ),
        (
            "PUT",
            format!("/api/v1/townships/{}", i.town_in),
            json!({"name": "曾口镇", "code": "511902101000", "population": 35211}),
            [200, 404, 404, 404],
        ),
        (
            "PUT",
            format!("/api/v1/townships/{}", i.town_out),
            json!({"name": "水宁寺镇", "code": "511902103000", "population": 22481}),
            [200, 404, 404, 404],
        ),
        (
            "POST",
            "/api/v1/villages".into(),
            json!({"township": i.town_in, "name": format!("新村{n}")}),
            [201, 404, 404, 404],
        ),
        (
            "PATCH",
            format!("/api/v1/villages/{}", i.village_out),
            json!({"township": i.town_out, "name": "黄梁村"}),
            [200, 404, 404, 404],
        ),
        (
            "POST",
            "/api/v1/organizations".into(),
            json!({"name": format!("新机构{n}"), "kind": "charity", "credit_code": code(&format!("5151190050937012{n}"))}),
            [201, 404, 404, 404],
        ),
        (
            "PUT",
            format!("/api/v1/organizations/{}", i.org_own),
            json!({"name": SUNSHINE, "kind": "social_work", "credit_code": code("52511902MJQ10023X")}),
            [200, 404, 404, 404],
        ),
        (
            "POST",
            "/api/v1/users".into(),
            json!({"name": "新社工", "email": format!("new{n}@doudi.test"), "role": "worker",
                "organization": i.org_own, "password": "long-enough"}),
            [201, 404, 201, 404],
        ),
        (
            "POST",
            "/api/v1/users".into(),
            json!({"name": "新督导", "email": format!("newc{n}@doudi.test"), "role": "coordinator",
                "organization": i.org_own, "password": "long-enough"}),
            [201, 404, 422, 404],
        ),
        (
            "POST",
            "/api/v1/users".into(),
            json!({"name": "别家社工", "email": format!("other{n}@doudi.test"), "role": "worker",
                "organization": i.org_other, "password": "long-enough"}),
            [201, 404, 422, 404],
        ),
        (
            "PUT",
            format!("/api/v1/users/{}", i.worker),
            json!({"name": "刘洋", "email": "worker@doudi.test", "role": "worker", "organization": i.org_own,
                "phone": "13800001111"}),
            [200, 404, 200, 404],
        ),
        (
            "POST",
            "/api/v1/service_types".into(),
            json!({"code": format!("meal_delivery_{n}"), "name_zh": "送餐", "name_en": "Meal delivery"}),
            [201, 404, 404, 404],
        ),
        // The registry is the township's: a provider serving the person
        // may not change their status (issue 16).
        (
            "POST",
            format!("/api/v1/recipients/{}/status_changes", i.person_in),
            json!({"status": if n.is_multiple_of(2) { "suspended" } else { "active" }, "reason": "住院治疗"}),
            [201, 201, 404, 404],
        ),
        (
            "PUT",
            format!("/api/v1/users/{}", i.coordinator2),
            json!({"name": "陈志强", "email": "coordinator2@doudi.test", "role": "coordinator",
                "organization": i.org_other}),
            [200, 404, 404, 404],
        ),
    ]
}

#[tokio::test]
async fn every_write_endpoint_answers_each_role_by_scope_and_audits_what_it_changes() {
    with_app(|server, ctx| async move {
        let i = ids(&ctx).await;
        for (r, role) in ROLES.iter().enumerate() {
            let bearer = token(&ctx, &email(role)).await;
            for (method, path, body, expected) in writes(&i, r) {
                let before = audit_rows(&ctx).await;
                let req = match method {
                    "POST" => server.post(&path),
                    "PUT" => server.put(&path),
                    _ => server.patch(&path),
                };
                let res = req.authorization_bearer(bearer.clone()).json(&body).await;
                let status = res.status_code().as_u16();
                assert_eq!(
                    status,
                    expected[r],
                    "{role} {method} {path}: {}",
                    res.text()
                );
                let after = audit_rows(&ctx).await;
                if (200..300).contains(&status) {
                    assert_eq!(
                        after,
                        before + 1,
                        "{role} {method} {path} wrote one audit row"
                    );
                } else {
                    assert_eq!(after, before, "{role} {method} {path} wrote nothing");
                }
            }
            for path in [
                format!("/api/v1/villages/{}", i.village_out),
                format!("/api/v1/organizations/{}", i.org_other),
            ] {
                if *role == "admin" {
                    continue;
                }
                let res = server
                    .delete(&path)
                    .authorization_bearer(bearer.clone())
                    .await;
                assert_eq!(
                    res.status_code(),
                    StatusCode::NOT_FOUND,
                    "{role} DELETE {path}"
                );
            }
        }
    })
    .await;
}

async fn audit_rows(ctx: &loco_rs::app::AppContext) -> u64 {
    use doudi::models::_entities::audit_logs;
    use sea_orm::{EntityTrait, PaginatorTrait};
    audit_logs::Entity::find()
        .count(&ctx.db)
        .await
        .expect("count")
}

#[tokio::test]
async fn html_form_posts_outside_scope_are_404() {
    with_app(|server, ctx| async move {
        let i = ids(&ctx).await;
        for role in ["official", "coordinator", "worker"] {
            let cookie = session(&ctx, &email(role)).await;
            for (path, form) in [
                (
                    "/townships".to_string(),
                    vec![("name", "x"), ("code", "511902199000"), ("population", "1")],
                ),
                (
                    format!("/townships/{}", i.town_in),
                    vec![("name", "x"), ("code", "511902101000"), ("population", "1")],
                ),
                (format!("/townships/{}/delete", i.town_out), vec![]),
                (format!("/villages/{}/delete", i.village_in), vec![]),
                (format!("/organizations/{}/delete", i.org_other), vec![]),
                (format!("/users/{}", i.coordinator2), vec![("name", "x")]),
            ] {
                let res = server
                    .post(&path)
                    .add_header("cookie", cookie.clone())
                    .add_header("sec-fetch-site", "same-origin")
                    .form(&form)
                    .await;
                assert_eq!(
                    res.status_code(),
                    StatusCode::NOT_FOUND,
                    "{role} POST {path}"
                );
            }
        }
    })
    .await;
}
