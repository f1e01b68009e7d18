//! The registry's lists run a fixed number of statements per request, so
//! a page of one row and a page of many cost the same: the related rows
//! (households, villages, member counts, people, visits) are loaded in one
//! query per table for the whole page, never one per row.
use crate::support::lists::{one_and_many_api, one_and_many_page};
use crate::support::{session, token, user, with_app};
use doudi::models::_entities::{recipient_imports, recipients, referrals, visits};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect,
};

#[tokio::test]
async fn the_recipient_list_costs_the_same_for_one_row_or_a_hundred() {
    with_app(|server, ctx| async move {
        // (page, API) statements for each role: the same for 1 row as for 100.
        for (email, expected_page, expected_api) in
            [("admin@doudi.test", 8, 6), ("coordinator@doudi.test", 7, 6)]
        {
            let cookie = session(&ctx, email).await;
            let (one, many) = one_and_many_page(&server, &cookie, "/recipients").await;
            assert_eq!((one, many), (expected_page, expected_page), "{email}: page");
            let bearer = token(&ctx, email).await;
            let (one, many) = one_and_many_api(&server, &bearer, "/api/v1/recipients").await;
            assert_eq!((one, many), (expected_api, expected_api), "{email}: API");
        }
    })
    .await;
}

#[tokio::test]
async fn the_household_list_costs_the_same_for_one_row_or_a_hundred() {
    with_app(|server, ctx| async move {
        let email = "coordinator@doudi.test";
        let cookie = session(&ctx, email).await;
        let (one, many) = one_and_many_page(&server, &cookie, "/households").await;
        assert_eq!((one, many), (7, 7), "page");
        let bearer = token(&ctx, email).await;
        let (one, many) = one_and_many_api(&server, &bearer, "/api/v1/households").await;
        assert_eq!((one, many), (6, 6), "API");
    })
    .await;
}

#[tokio::test]
async fn the_import_list_costs_the_same_for_one_row_or_many() {
    with_app(|server, ctx| async move {
        let email = "official@doudi.test";
        let me = user(&ctx, email).await;
        let town = doudi::models::_entities::townships::Entity::find()
            .one(&ctx.db)
            .await
            .expect("query")
            .expect("a township");
        for i in 0..5 {
            recipient_imports::ActiveModel {
                user_id: Set(me.id),
                organization_id: Set(me.organization_id),
                township_id: Set(town.id),
                roster: Set("dibao".into()),
                file_name: Set(format!("roster-{i}.csv")),
                state: Set("checked".into()),
                total_rows: Set(10),
                processed_rows: Set(10),
                new_count: Set(0),
                updated_count: Set(0),
                unchanged_count: Set(10),
                rejected_count: Set(0),
                vanished_count: Set(0),
                ..Default::default()
            }
            .insert(&ctx.db)
            .await
            .expect("import");
        }
        let cookie = session(&ctx, email).await;
        let (one, many) = one_and_many_page(&server, &cookie, "/recipient_imports").await;
        assert_eq!((one, many), (5, 5), "page");
        let bearer = token(&ctx, email).await;
        let (one, many) = one_and_many_api(&server, &bearer, "/api/v1/recipient_imports").await;
        assert_eq!((one, many), (4, 4), "API");
    })
    .await;
}

#[tokio::test]
async fn the_referral_list_costs_the_same_for_one_row_or_many() {
    with_app(|server, ctx| async move {
        let email = "coordinator@doudi.test";
        let me = user(&ctx, email).await;
        let official = user(&ctx, "official@doudi.test").await;
        // A visit, and a referral from it, for each of five people, each
        // with an official responsible (whose names are one more query).
        let people = recipients::Entity::find()
            .filter(recipients::Column::OrganizationId.eq(me.organization_id))
            .limit(5)
            .all(&ctx.db)
            .await
            .expect("people");
        let mut seen = Vec::new();
        for r in people {
            let at = chrono::Utc::now().fixed_offset();
            let visit = visits::ActiveModel {
                organization_id: Set(r.organization_id.expect("org")),
                recipient_id: Set(Some(r.id)),
                household_id: Set(r.household_id),
                township_id: Set(r.township_id),
                starts_at: Set(at),
                ends_at: Set(at + chrono::Duration::hours(1)),
                tzid: Set("Asia/Shanghai".into()),
                status: Set("scheduled".into()),
                exception: Set(false),
                location_exception: Set(false),
                late: Set(false),
                version: Set(0),
                ..Default::default()
            }
            .insert(&ctx.db)
            .await
            .expect("visit");
            referrals::ActiveModel {
                visit_id: Set(visit.id),
                recipient_id: Set(Some(r.id)),
                household_id: Set(r.household_id),
                organization_id: Set(visit.organization_id),
                township_id: Set(r.township_id),
                kind: Set("health_risk".into()),
                note: Set("血压偏高".into()),
                status: Set("open".into()),
                assigned_to_id: Set(Some(official.id)),
                due_on: Set(Some(doudi::models::today())),
                ..Default::default()
            }
            .insert(&ctx.db)
            .await
            .expect("referral");
            seen.push(r.id);
        }
        assert_eq!(seen.len(), 5);
        let cookie = session(&ctx, email).await;
        let (one, many) = one_and_many_page(&server, &cookie, "/referrals").await;
        assert_eq!((one, many), (7, 7), "page");
        let bearer = token(&ctx, email).await;
        let (one, many) = one_and_many_api(&server, &bearer, "/api/v1/referrals").await;
        assert_eq!((one, many), (7, 7), "API");
        // As admin (who works referrals), the list of all the same.
        let cookie = session(&ctx, "admin@doudi.test").await;
        let (one, many) = one_and_many_page(&server, &cookie, "/referrals?show=all").await;
        assert_eq!(one, many, "admin's page");
    })
    .await;
}
