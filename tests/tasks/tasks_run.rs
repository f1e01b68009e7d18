use crate::support::*;
use doudi::{demo, tasks::audit_verify::AuditVerify};
use loco_rs::task::{Task, Vars};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

#[tokio::test]
async fn audit_verify_passes_on_an_intact_log_and_fails_on_a_tampered_one() {
    with_app(|_server, ctx| async move {
        AuditVerify
            .run(&ctx, &Vars::default())
            .await
            .expect("intact");
        let sql = match ctx.db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only"
            }
            _ => "DROP TRIGGER audit_logs_no_update",
        };
        ctx.db.execute_unprepared(sql).await.expect("guard off");
        ctx.db
            .execute_unprepared("UPDATE audit_logs SET actor_label = 'nobody' WHERE id = 2")
            .await
            .expect("tamper");
        let err = AuditVerify
            .run(&ctx, &Vars::default())
            .await
            .expect_err("broken");
        assert!(err.to_string().contains("entry 2"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn perf_seed_generates_people_and_places_at_scale() {
    with_app(|_server, ctx| async move {
        let counts = demo::perf_seed(
            &ctx.db,
            &doudi::vault::Vault::of(&ctx).expect("vault"),
            5_000,
            1,
        )
        .await
        .expect("perf seed");
        assert_eq!(counts.townships, 3);
        assert_eq!(counts.villages, 36);
        assert_eq!(counts.users, 200);
        assert_eq!(counts.recipients, 5_000);
        // A second run does not collide with the first.
        demo::perf_seed(
            &ctx.db,
            &doudi::vault::Vault::of(&ctx).expect("vault"),
            2_000,
            2,
        )
        .await
        .expect("second run");
        // A year of visits under one contract per township and provider.
        let (contracts, visits, lines) = demo::perf_visits(&ctx.db, 3_000, 1)
            .await
            .expect("perf visits");
        assert!(contracts >= 4, "{contracts}");
        assert_eq!(visits, 3_000);
        assert!((2_000 * 4..=3_000 * 4).contains(&lines), "{lines}");
        let c = doudi::models::_entities::contracts::Entity::find()
            .filter(doudi::models::_entities::contracts::Column::Code.starts_with("PERF-"))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("a perf contract");
        let r = doudi::models::fulfilment::report(
            &ctx.db,
            &c,
            doudi::models::today(),
            chrono::Utc::now(),
        )
        .await
        .expect("report");
        assert_eq!(r.items.len(), 4);
        assert!(r.visits.completed > 0);
        let v = doudi::models::audit_logs::verify(&ctx.db)
            .await
            .expect("verify");
        assert_eq!(v.broken, None);
    })
    .await;
}

#[tokio::test]
async fn the_demo_has_one_sign_in_per_role_with_the_demo_password() {
    with_app(|_server, ctx| async move {
        for (role, email) in demo::DEMO_SIGN_INS {
            let u = user(&ctx, email).await;
            assert_eq!(u.role, role);
            assert!(u.verify_password(demo::DEMO_PASSWORD));
        }
    })
    .await;
}
