use crate::support::*;
use doudi::{
    domain::audit_chain::BrokenLink,
    models::{_entities::audit_logs, audit_logs::verify},
};
use sea_orm::{ConnectionTrait, DatabaseBackend, EntityTrait, QueryOrder};

async fn allow_tampering(ctx: &loco_rs::app::AppContext) {
    let sql = match ctx.db.get_database_backend() {
        DatabaseBackend::Postgres => {
            "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only"
        }
        _ => "DROP TRIGGER audit_logs_no_update",
    };
    ctx.db.execute_unprepared(sql).await.expect("drop guard");
}

#[tokio::test]
async fn the_demo_leaves_an_intact_chain() {
    with_app(|_server, ctx| async move {
        let v = verify(&ctx.db).await.expect("verify");
        assert_eq!(v.broken, None);
        assert!(v.checked > 20, "{} entries", v.checked);
        println!("audit chain verified on {}", backend(&ctx));
    })
    .await;
}

#[tokio::test]
async fn the_database_refuses_to_edit_or_delete_audit_entries() {
    with_app(|_server, ctx| async move {
        assert!(ctx
            .db
            .execute_unprepared("UPDATE audit_logs SET actor_label = 'x'")
            .await
            .is_err());
        assert!(ctx
            .db
            .execute_unprepared("DELETE FROM audit_logs")
            .await
            .is_err());
    })
    .await;
}

#[tokio::test]
async fn an_entry_edited_directly_in_the_database_is_the_first_broken_link() {
    with_app(|_server, ctx| async move {
        let rows = audit_logs::Entity::find().order_by_asc(audit_logs::Column::Id).all(&ctx.db).await.expect("rows");
        let victim = &rows[5];
        allow_tampering(&ctx).await;
        ctx.db
            .execute_unprepared(&format!(
                "UPDATE audit_logs SET changes = '{{\"name\":{{\"after\":\"forged\"}}}}' WHERE id = {}",
                victim.id
            ))
            .await
            .expect("tamper");
        let v = verify(&ctx.db).await.expect("verify");
        assert_eq!(v.broken, Some(BrokenLink::HashMismatch { id: victim.id }));
        assert_eq!(v.checked, 5);
    })
    .await;
}

#[tokio::test]
async fn a_row_recomputed_to_hide_an_edit_breaks_the_next_link() {
    with_app(|_server, ctx| async move {
        let rows = audit_logs::Entity::find()
            .order_by_asc(audit_logs::Column::Id)
            .all(&ctx.db)
            .await
            .expect("rows");
        allow_tampering(&ctx).await;
        // Someone rewrites row 3's hash to match a forged content: row 4's
        // prev_hash no longer matches.
        ctx.db
            .execute_unprepared(&format!(
                "UPDATE audit_logs SET hash = '{}' WHERE id = {}",
                "f".repeat(64),
                rows[2].id
            ))
            .await
            .expect("tamper");
        let v = verify(&ctx.db).await.expect("verify");
        assert_eq!(v.broken, Some(BrokenLink::HashMismatch { id: rows[2].id }));
    })
    .await;
}
