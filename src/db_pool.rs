//! The database pool Doudi serves from: Loco's settings, without the two
//! timers that make sqlx-core 0.9.0 wedge.
//!
//! Loco builds its pool from `config.database` with `idle_timeout` always
//! set (the key is required) and leaves sqlx's default `max_lifetime`
//! (30 min). With either timer, sqlx starts a maintenance task that every
//! `min(idle_timeout, max_lifetime)` walks `for _ in 0..pool.num_idle()`.
//! `PoolInner::release` hands a returned connection to waiters before it
//! counts it idle, so a request that takes it in between makes `num_idle`
//! wrap to `usize::MAX` for a moment; a walk that starts then spins without
//! ever awaiting (upstream sqlx #3645, fixed by #4289, in no release that
//! sea-orm 2.0 accepts). A tokio worker sits at 100 % CPU, the task it woke
//! is stuck behind it holding the only permit, every request times out, and
//! the process does not stop. `tests/stress/pool` shows it within minutes
//! with the old 500 ms idle timeout.
//!
//! With neither timer, `spawn_maintenance_tasks` returns before starting
//! that walk (it only tops up `min_connections` once), so the race has
//! nothing to spin on. Connections are then kept until they fail: sqlx
//! pings one before handing it out (`test_before_acquire`, on by default),
//! drops it if the server hung up and opens another.
use loco_rs::config;
use sea_orm::{
    sqlx::sqlite::SqliteSynchronous, ConnectOptions, Database, DatabaseConnection, DbErr,
};
use std::time::Duration;

/// How long SQLite waits for another connection's write lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens the pool described by `config` with no idle timeout and no
/// maximum lifetime. SQLite connections each get Loco's pragmas (Loco runs
/// them on one connection only; `journal_mode = WAL` it sets on the file).
///
/// # Errors
/// When the database cannot be reached.
pub async fn connect(config: &config::Database) -> Result<DatabaseConnection, DbErr> {
    let mut opt = ConnectOptions::new(&config.uri);
    opt.max_connections(config.max_connections)
        .min_connections(config.min_connections)
        .connect_timeout(Duration::from_millis(config.connect_timeout))
        .idle_timeout(None::<Duration>)
        .max_lifetime(None::<Duration>)
        .sqlx_logging(config.enable_logging)
        .map_sqlx_sqlite_opts(|o| {
            o.foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .synchronous(SqliteSynchronous::Normal)
                .pragma("cache_size", "2000")
                .pragma("mmap_size", "134217728")
                .pragma("journal_size_limit", "67108864")
        });
    if let Some(ms) = config.acquire_timeout {
        opt.acquire_timeout(Duration::from_millis(ms));
    }
    Database::connect(opt).await
}

/// Swaps the pool Loco opened at boot for [`connect`]'s and closes Loco's.
///
/// # Errors
/// When the database cannot be reached.
pub async fn replace(
    mut ctx: loco_rs::app::AppContext,
) -> loco_rs::Result<loco_rs::app::AppContext> {
    let ours = connect(&ctx.config.database).await?;
    let loco = std::mem::replace(&mut ctx.db, ours);
    loco.close().await?;
    Ok(ctx)
}
