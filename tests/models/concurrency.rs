//! Two processes at once on one database, modelled as two connections:
//! materialisation, the audit chain, scheduled jobs' slots and a roster
//! apply each happen exactly once.
use crate::support::*;
use doudi::{
    models::{
        _entities::{audit_logs, households, recipients, visits},
        audit_logs::{record, verify, Action},
        job_runs::{self, Claim, SlotLength},
        recipient_imports::{self, NewImport},
        service_plans, today, Actor,
    },
    tasks::perf_import,
    vault::Vault,
};
use loco_rs::app::AppContext;
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, Statement, TransactionTrait,
};

/// A second connection to the test's database, as another process has.
async fn other_process(ctx: &AppContext) -> DatabaseConnection {
    Database::connect(&ctx.config.database.uri)
        .await
        .expect("second connection")
}

#[derive(Debug, FromQueryResult)]
struct Count {
    n: i64,
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    Count::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
        .one(db)
        .await
        .expect("query")
        .expect("row")
        .n
}

#[tokio::test]
async fn two_processes_materialising_at_once_create_each_visit_once() {
    with_app(|_server, ctx| async move {
        // The demo's plans, materialised one day ahead.
        doudi::demo::seed_story(&ctx.db, chrono::Duration::days(1))
            .await
            .expect("story");
        let plans = service_plans::Entity::find()
            .filter(service_plans::Column::Status.eq("active"))
            .count(&ctx.db)
            .await
            .expect("plans");
        assert!(plans >= 3, "{plans} plans");
        let before = visits::Entity::find().count(&ctx.db).await.expect("count");
        let other = other_process(&ctx).await;
        let now = chrono::Utc::now();
        let horizon = chrono::Duration::days(120);
        let (a, b) = tokio::join!(
            service_plans::materialise_all(&ctx.db, now, horizon),
            service_plans::materialise_all(&other, now, horizon)
        );
        let (a, b) = (a.expect("first"), b.expect("second"));
        let after = visits::Entity::find().count(&ctx.db).await.expect("count");
        assert!(after > before, "nothing materialised");
        // Every new visit was counted by exactly one of the two runs.
        assert_eq!(a.1 + b.1, after - before, "{a:?} {b:?}");
        let dupes = scalar(
            &ctx.db,
            "SELECT COUNT(*) AS n FROM (SELECT plan_id, occurrence_at FROM visits \
             WHERE plan_id IS NOT NULL GROUP BY plan_id, occurrence_at HAVING COUNT(*) > 1) d",
        )
        .await;
        assert_eq!(dupes, 0);
        // Materialisation writes scheduled visits only: nothing the kept
        // totals count.
        let counted = visits::Entity::find()
            .filter(visits::Column::Status.ne("scheduled"))
            .count(&ctx.db)
            .await
            .expect("count");
        let counted_before = counted;
        service_plans::materialise_all(&other, now, horizon)
            .await
            .expect("again");
        assert_eq!(
            visits::Entity::find()
                .filter(visits::Column::Status.ne("scheduled"))
                .count(&ctx.db)
                .await
                .expect("count"),
            counted_before
        );
        other.close().await.ok();
        println!("materialised once on {}", backend(&ctx));
    })
    .await;
}

/// Appends `n` entries, one transaction each, as a request would.
async fn append(db: &DatabaseConnection, who: &str, n: usize) {
    let actor = Actor::system(who);
    for i in 0..n {
        let txn = db.begin().await.expect("begin");
        record(
            &txn,
            &actor,
            Action::Update,
            "concurrency",
            None,
            &serde_json::json!({ "i": i }),
        )
        .await
        .expect("record");
        txn.commit().await.expect("commit");
    }
}

#[tokio::test]
async fn two_processes_appending_to_the_audit_log_at_once_keep_one_chain() {
    with_app(|_server, ctx| async move {
        let other = other_process(&ctx).await;
        let third = other_process(&ctx).await;
        tokio::join!(
            append(&ctx.db, "one", 40),
            append(&other, "two", 40),
            append(&third, "three", 40)
        );
        let v = verify(&ctx.db).await.expect("verify");
        assert_eq!(v.broken, None);
        let ours = audit_logs::Entity::find()
            .filter(audit_logs::Column::Entity.eq("concurrency"))
            .count(&ctx.db)
            .await
            .expect("count");
        assert_eq!(ours, 120);
        // No entry has two successors.
        let forks = scalar(
            &ctx.db,
            "SELECT COUNT(*) AS n FROM (SELECT prev_hash FROM audit_logs \
             GROUP BY prev_hash HAVING COUNT(*) > 1) f",
        )
        .await;
        assert_eq!(forks, 0);
        other.close().await.ok();
        third.close().await.ok();
    })
    .await;
}

#[tokio::test]
async fn the_database_refuses_a_second_entry_after_the_same_one() {
    with_app(|_server, ctx| async move {
        let last = audit_logs::Entity::find()
            .filter(audit_logs::Column::Id.gt(0))
            .all(&ctx.db)
            .await
            .expect("rows")
            .into_iter()
            .max_by_key(|r| r.id)
            .expect("an entry");
        // A writer that bypassed the lock would link to an entry that
        // already has a successor.
        let sql = format!(
            "INSERT INTO audit_logs (created_at, actor_label, action, entity, changes, \
             prev_hash, hash) VALUES ('2026-01-01T00:00:00+00:00', 'x', 'update', 'x', '{{}}', \
             '{}', '{}')",
            last.prev_hash,
            "e".repeat(64)
        );
        assert!(ctx.db.execute_unprepared(&sql).await.is_err());
        assert_eq!(verify(&ctx.db).await.expect("verify").broken, None);
    })
    .await;
}

#[tokio::test]
async fn a_scheduled_slot_is_claimed_by_one_process_only() {
    with_app(|_server, ctx| async move {
        let other = other_process(&ctx).await;
        let len = SlotLength::parse("15m").expect("len");
        let now = chrono::Utc::now();
        let (a, b) = tokio::join!(
            job_runs::claim(&ctx.db, "visits:mark_overdue", len, now),
            job_runs::claim(
                &other,
                "visits:mark_overdue",
                len,
                now + chrono::Duration::seconds(2)
            )
        );
        let won = [a.expect("a"), b.expect("b")]
            .iter()
            .filter(|c| matches!(c, Claim::Won(_)))
            .count();
        assert_eq!(won, 1);
        // Another job, or the next slot, is free.
        assert!(matches!(
            job_runs::claim(&ctx.db, "plans:materialise", len, now).await,
            Ok(Claim::Won(_))
        ));
        assert!(matches!(
            job_runs::claim(
                &other,
                "visits:mark_overdue",
                len,
                now + chrono::Duration::minutes(15)
            )
            .await,
            Ok(Claim::Won(_))
        ));
        // once_per_slot runs the work only for the winner and records it.
        let mut ran = Vec::new();
        for db in [&ctx.db, &other] {
            let done = job_runs::once_per_slot(db, "imports:resume", Some(len), || async {
                Ok("done".to_string())
            })
            .await
            .expect("run");
            ran.push(done);
        }
        assert_eq!(ran, vec![Some("done".to_string()), None]);
        let runs = job_runs::latest(&ctx.db, "imports:resume", 5)
            .await
            .expect("runs");
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].outcome.as_deref(), Some("done"));
        assert!(runs[0].finished_at.is_some());
        other.close().await.ok();
    })
    .await;
}

/// A checked import of `rows` new people into 曾口镇, moved to applying,
/// as the apply button leaves it before the job starts.
async fn import_waiting_to_apply(ctx: &AppContext, rows: usize) -> recipient_imports::Model {
    use doudi::models::_entities::{townships, villages};
    let town = townships::Entity::find()
        .filter(townships::Column::Code.eq("511902101000"))
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("town");
    let names: Vec<String> = villages::Entity::find()
        .filter(villages::Column::TownshipId.eq(town.id))
        .all(&ctx.db)
        .await
        .expect("villages")
        .into_iter()
        .map(|v| v.name)
        .collect();
    let admin = user(ctx, "admin@doudi.test").await;
    let new = NewImport::parse(
        Some(town.id),
        None,
        Some("crash-test"),
        Some("roster.csv"),
        Some(perf_import::roster(rows, &names, 7)),
    )
    .expect("roster");
    let vault = Vault::of(ctx).expect("vault");
    let import = recipient_imports::Model::create(&ctx.db, &Actor::system("test"), admin.id, new)
        .await
        .expect("create");
    import
        .clone()
        .run_check(&ctx.db, &vault, today())
        .await
        .expect("check");
    let checked = recipient_imports::Entity::find_by_id(import.id)
        .one(&ctx.db)
        .await
        .expect("q")
        .expect("import");
    assert_eq!(checked.state, "checked");
    assert_eq!(checked.new_count as usize, rows);
    checked.start_apply(&ctx.db).await.expect("start")
}

async fn on_roster(ctx: &AppContext) -> u64 {
    recipients::Entity::find()
        .filter(recipients::Column::Roster.eq("crash-test"))
        .count(&ctx.db)
        .await
        .expect("count")
}

#[tokio::test]
async fn an_import_whose_job_died_is_resumed_and_applied_once() {
    with_app(|_server, ctx| async move {
        let import = import_waiting_to_apply(&ctx, 300).await;
        let households_before = households::Entity::find().count(&ctx.db).await.expect("n");
        let vault = Vault::of(&ctx).expect("vault");
        // The job died with its process: nothing was applied, the import
        // says applying. Fresh ones are left alone (their job may be at
        // work elsewhere)...
        let now = chrono::Utc::now();
        let stale = chrono::Duration::minutes(10);
        let resumed = recipient_imports::resume_stalled(&ctx.db, &vault, today(), now, stale)
            .await
            .expect("resume");
        assert!(resumed.is_empty());
        assert_eq!(on_roster(&ctx).await, 0);
        // ...stale ones are run again.
        let later = now + chrono::Duration::minutes(11);
        let resumed = recipient_imports::resume_stalled(&ctx.db, &vault, today(), later, stale)
            .await
            .expect("resume");
        assert_eq!(resumed.len(), 1);
        assert_eq!(resumed[0].pid, import.pid);
        assert_eq!(
            (resumed[0].found, resumed[0].state.as_str()),
            ("applying", "applied")
        );
        assert_eq!(on_roster(&ctx).await, 300);
        // Households of up to three: 100 new ones.
        assert_eq!(
            households::Entity::find().count(&ctx.db).await.expect("n") - households_before,
            100
        );
        // The old job, had it survived, changes nothing now.
        import
            .clone()
            .run_apply(&ctx.db, &vault, today())
            .await
            .expect("late job");
        assert_eq!(on_roster(&ctx).await, 300);
        let stored = recipient_imports::Entity::find_by_id(import.id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("import");
        assert_eq!(stored.state, "applied");
        assert_eq!(stored.new_count, 300);
        assert!(stored.applied_at.is_some());
        assert_eq!(verify(&ctx.db).await.expect("verify").broken, None);
    })
    .await;
}

#[tokio::test]
async fn two_processes_applying_one_import_at_once_apply_it_once() {
    with_app(|_server, ctx| async move {
        let import = import_waiting_to_apply(&ctx, 300).await;
        let other = other_process(&ctx).await;
        let vault = Vault::of(&ctx).expect("vault");
        let (a, b) = tokio::join!(
            import.clone().run_apply(&ctx.db, &vault, today()),
            import.clone().run_apply(&other, &vault, today())
        );
        a.expect("first");
        b.expect("second");
        assert_eq!(on_roster(&ctx).await, 300);
        let dupes = scalar(
            &ctx.db,
            "SELECT COUNT(*) AS n FROM (SELECT id_hash FROM recipients \
             GROUP BY id_hash HAVING COUNT(*) > 1) d",
        )
        .await;
        assert_eq!(dupes, 0);
        let stored = recipient_imports::Entity::find_by_id(import.id)
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("import");
        // Applied, not failed: the loser saw it applied and stopped (on
        // SQLite it may instead have waited for the lock and found it so).
        assert_eq!(stored.state, "applied", "{:?}", stored.error);
        assert_eq!(verify(&ctx.db).await.expect("verify").broken, None);
        other.close().await.ok();
    })
    .await;
}
