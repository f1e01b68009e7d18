//! The database's CHECK on `visits.status` lists exactly the words of
//! `VisitStatus` (migration `m20261202_000034_narrow_visit_status` dropped
//! the never-used `accepted`), on SQLite and PostgreSQL alike, and the
//! migration goes down and up again without losing a row.
use crate::support::*;
use doudi::{domain::visit::VisitStatus, models::_entities::visits};
use loco_rs::app::AppContext;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ConnectionTrait, DatabaseBackend,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryOrder, QuerySelect, Statement,
};

const MIGRATION: &str = "m20261202_000034_narrow_visit_status";

/// The words the database's CHECK on `visits.status` allows, in order.
async fn allowed(ctx: &AppContext) -> Vec<String> {
    let backend = ctx.db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Sqlite => {
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'visits'"
        }
        _ => {
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE conrelid = 'visits'::regclass AND contype = 'c'"
        }
    };
    let rows = ctx
        .db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .expect("schema");
    let defs: Vec<String> = rows
        .iter()
        .map(|r| r.try_get_by_index(0).expect("text"))
        .collect();
    let checks: Vec<&String> = defs.iter().filter(|d| d.contains("status")).collect();
    assert_eq!(checks.len(), 1, "one definition with the status: {defs:?}");
    let def = checks[0];
    // The quoted words of the status check (SQLite: of the `"status" IN
    // (...)`; PostgreSQL: of the constraint, the only one on the table).
    let list = match def.find("\"status\" IN (") {
        Some(at) => {
            let rest = &def[at..];
            &rest[..rest.find(')').expect("closed")]
        }
        None => def.as_str(),
    };
    list.split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn words() -> Vec<String> {
    VisitStatus::ALL
        .iter()
        .map(|s| s.as_str().to_string())
        .collect()
}

/// A week of visits of a plan, the first of them completed with its
/// lines, signature and referral; returns the second (scheduled).
async fn some_visits(server: &axum_test::TestServer, ctx: &AppContext) -> visits::Model {
    use crate::support::builders::{complete, visits_for_worker};
    let list = visits_for_worker(server, ctx).await;
    complete(server, &token(ctx, "worker@doudi.test").await, &list[0]).await;
    list[1].clone()
}

/// A new visit like `v` (no plan), with `status`.
fn copy_with(v: &visits::Model, status: &str) -> visits::ActiveModel {
    let mut am = v.clone().into_active_model().reset_all();
    am.id = NotSet;
    am.plan_id = Set(None);
    am.occurrence_at = Set(None);
    am.status = Set(status.to_string());
    am
}

async fn insert(
    ctx: &AppContext,
    v: &visits::Model,
    status: &str,
) -> Result<visits::Model, String> {
    copy_with(v, status)
        .insert(&ctx.db)
        .await
        .map_err(|e| e.to_string())
}

/// Sets one visit's status with a plain UPDATE (no RETURNING of every
/// column: the test runs it on older schemas too) and reads it back.
async fn update(ctx: &AppContext, v: &visits::Model, status: &str) -> Result<String, String> {
    use sea_orm::{sea_query::Expr, ColumnTrait, QueryFilter};
    visits::Entity::update_many()
        .col_expr(visits::Column::Status, Expr::value(status.to_string()))
        .filter(visits::Column::Id.eq(v.id))
        .exec(&ctx.db)
        .await
        .map_err(|e| e.to_string())?;
    visits::Entity::find_by_id(v.id)
        .select_only()
        .column(visits::Column::Status)
        .into_tuple::<String>()
        .one(&ctx.db)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "gone".to_string())
}

#[tokio::test]
async fn the_database_check_lists_exactly_the_visit_statuses() {
    with_app(|_server, ctx| async move {
        assert_eq!(allowed(&ctx).await, words(), "{}", backend(&ctx));
        assert_eq!(
            migration::m20261202_000034_narrow_visit_status::STATUSES
                .map(str::to_string)
                .to_vec(),
            words()
        );
    })
    .await;
}

#[tokio::test]
async fn the_database_refuses_the_status_accepted() {
    with_app(|server, ctx| async move {
        let v = some_visits(&server, &ctx).await;
        let err = insert(&ctx, &v, "accepted").await.expect_err("refused");
        assert!(err.to_lowercase().contains("check"), "{err}");
        update(&ctx, &v, "accepted").await.expect_err("refused");
        update(&ctx, &v, "nonsense").await.expect_err("refused");
        // The same row with a real status goes in: only the word was wrong.
        insert(&ctx, &v, VisitStatus::Scheduled.as_str())
            .await
            .expect("scheduled");
    })
    .await;
}

#[tokio::test]
async fn the_database_takes_every_visit_status() {
    with_app(|server, ctx| async move {
        let v = some_visits(&server, &ctx).await;
        for s in VisitStatus::ALL {
            let made = insert(&ctx, &v, s.as_str()).await.expect("insert");
            assert_eq!(made.status(), s);
            let changed = update(&ctx, &v, s.as_str()).await.expect("update");
            assert_eq!(changed, s.as_str());
        }
    })
    .await;
}

/// What must survive the migration going down and up: every visit, every
/// row that refers to one, the indexes of `visits`.
async fn inventory(ctx: &AppContext) -> (Vec<(i64, String)>, Vec<u64>, Vec<String>) {
    use doudi::models::_entities::{
        callbacks, referrals, visit_amendments, visit_material_lines, visit_service_lines,
        visit_signatures,
    };
    // Only the columns this migration's schema has (later migrations add
    // columns the entity knows of).
    let rows = visits::Entity::find()
        .select_only()
        .columns([
            visits::Column::Id,
            visits::Column::Pid,
            visits::Column::Status,
            visits::Column::Notes,
        ])
        .order_by_asc(visits::Column::Id)
        .into_tuple::<(i64, uuid::Uuid, String, Option<String>)>()
        .all(&ctx.db)
        .await
        .expect("visits")
        .into_iter()
        .map(|(id, pid, status, notes)| (id, format!("{pid}{status}{notes:?}")))
        .collect();
    let counts = vec![
        visit_service_lines::Entity::find()
            .count(&ctx.db)
            .await
            .expect("n"),
        visit_material_lines::Entity::find()
            .count(&ctx.db)
            .await
            .expect("n"),
        visit_signatures::Entity::find()
            .count(&ctx.db)
            .await
            .expect("n"),
        visit_amendments::Entity::find()
            .count(&ctx.db)
            .await
            .expect("n"),
        // Counted by id: a later migration adds columns to referrals.
        referrals::Entity::find()
            .select_only()
            .column(referrals::Column::Id)
            .count(&ctx.db)
            .await
            .expect("n"),
        callbacks::Entity::find().count(&ctx.db).await.expect("n"),
    ];
    let backend = ctx.db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Sqlite => {
            "SELECT name || ': ' || COALESCE(sql, '') FROM sqlite_master \
             WHERE tbl_name = 'visits' AND type IN ('index', 'trigger') ORDER BY name"
        }
        _ => "SELECT indexdef FROM pg_indexes WHERE tablename = 'visits' ORDER BY indexname",
    };
    let indexes = ctx
        .db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .expect("indexes")
        .iter()
        .map(|r| r.try_get_by_index(0).expect("text"))
        .collect();
    (rows, counts, indexes)
}

async fn foreign_key_problems(ctx: &AppContext) -> usize {
    if ctx.db.get_database_backend() != DatabaseBackend::Sqlite {
        return 0;
    }
    let on: i64 = ctx
        .db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "PRAGMA foreign_keys",
        ))
        .await
        .expect("pragma")
        .expect("row")
        .try_get_by_index(0)
        .expect("flag");
    assert_eq!(on, 1, "the rebuild runs with foreign keys enforced");
    ctx.db
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "PRAGMA foreign_key_check",
        ))
        .await
        .expect("check")
        .len()
}

#[tokio::test]
async fn the_migration_goes_down_and_up_keeping_every_row() {
    with_app(|server, ctx| async move {
        let v = some_visits(&server, &ctx).await;
        let before = inventory(&ctx).await;
        assert_eq!(before.0.len(), 5, "a week of visits");
        assert_eq!(
            &before.1[..3],
            [3, 2, 1],
            "lines and a signature refer to one"
        );

        down_to_before(&ctx, MIGRATION).await;
        let mut old = words();
        old.push("accepted".into());
        assert_eq!(allowed(&ctx).await, old, "down restores the old CHECK");
        assert_eq!(inventory(&ctx).await, before);
        assert_eq!(foreign_key_problems(&ctx).await, 0);

        // A visit with the old word stops the migration, which says why
        // and changes nothing.
        update(&ctx, &v, "accepted").await.expect("allowed before");
        let err = Migrator::up(&ctx.db, None).await.expect_err("refused");
        let message = err.to_string();
        assert!(
            message.contains("1 with status 'accepted'") && message.contains(MIGRATION),
            "{message}"
        );
        assert_eq!(allowed(&ctx).await, old);
        let applied = Migrator::get_applied_migrations(&ctx.db)
            .await
            .expect("applied");
        assert!(applied.iter().all(|m| m.name() != MIGRATION));

        update(&ctx, &v, &v.status).await.expect("back");
        Migrator::up(&ctx.db, None).await.expect("up");
        assert_eq!(allowed(&ctx).await, words());
        assert_eq!(inventory(&ctx).await, before, "every row and index kept");
        assert_eq!(foreign_key_problems(&ctx).await, 0);
        update(&ctx, &v, "accepted")
            .await
            .expect_err("refused again");
        // New visits still get fresh ids.
        let made = insert(&ctx, &v, VisitStatus::Scheduled.as_str())
            .await
            .expect("insert");
        assert!(made.id > before.0.last().expect("a visit").0);
    })
    .await;
}
