//! Scheduled jobs run once per slot, however many processes run the
//! scheduler. Each job process runs Loco's scheduler, which starts the same
//! task at the same second in every process; a task started with
//! `slot:<length>` (`slot:15m`, `slot:1d`) first inserts (job, slot) here,
//! and only the process whose insert succeeds does the work. A run that
//! dies half-way keeps its slot: the jobs are idempotent and the next slot
//! picks up whatever it left.
pub use super::_entities::job_runs::{self, ActiveModel, Column, Entity, Model};
use crate::errors::{AppError, AppResult};
use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{entity::prelude::*, ActiveValue::Set, QueryOrder, TryInsertResult};

impl ActiveModelBehavior for ActiveModel {}

/// The length of a job's slot: `30s`, `15m`, `2h`, `1d` (between a second
/// and a week).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotLength(i64);

impl SlotLength {
    /// # Errors
    /// A length that is not a number followed by s, m, h or d, or is out
    /// of range.
    pub fn parse(s: &str) -> AppResult<Self> {
        let s = s.trim();
        let bad = || AppError::Internal(format!("slot length {s:?}: write e.g. 15m or 1d"));
        let (n, unit) = s.split_at(s.len().saturating_sub(1));
        let n: i64 = n.parse().map_err(|_| bad())?;
        let secs = match unit {
            "s" => n,
            "m" => n * 60,
            "h" => n * 3600,
            "d" => n * 86_400,
            _ => return Err(bad()),
        };
        if (1..=7 * 86_400).contains(&secs) {
            Ok(Self(secs))
        } else {
            Err(bad())
        }
    }

    /// The slot `now` belongs to: the nearest multiple of the length since
    /// the Unix epoch (UTC), so that processes started a little early or
    /// late by the scheduler, or on clocks a little apart, agree.
    #[must_use]
    pub fn slot_of(self, now: DateTime<Utc>) -> DateTime<Utc> {
        let t = now.timestamp();
        let slot = (t + self.0 / 2).div_euclid(self.0) * self.0;
        Utc.timestamp_opt(slot, 0).single().unwrap_or(now)
    }
}

/// Who ran a job: host and process id.
fn runner() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "?".to_string());
    format!("{host}:{}", std::process::id())
}

/// The outcome of claiming a slot.
#[derive(Debug, Clone)]
pub enum Claim {
    /// This process runs the job.
    Won(Model),
    /// Another process claimed the slot first.
    Lost(Model),
}

/// Claims `job`'s slot for `now`: the first process to insert the row wins.
///
/// # Errors
/// Database errors.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    job: &str,
    length: SlotLength,
    now: DateTime<Utc>,
) -> AppResult<Claim> {
    let slot = length.slot_of(now);
    let row = ActiveModel {
        job: Set(job.to_string()),
        slot: Set(slot.into()),
        runner: Set(runner()),
        started_at: Set(now.into()),
        finished_at: Set(None),
        outcome: Set(None),
        ..Default::default()
    };
    let res = Entity::insert(row)
        .on_conflict_do_nothing_on([Column::Job, Column::Slot])
        .exec_without_returning(db)
        .await?;
    let won = matches!(res, TryInsertResult::Inserted(n) if n == 1);
    let stored = Entity::find()
        .filter(Column::Job.eq(job))
        .filter(Column::Slot.eq(DateTime::<chrono::FixedOffset>::from(slot)))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(format!("job run {job} at {slot} vanished")))?;
    Ok(if won {
        Claim::Won(stored)
    } else {
        Claim::Lost(stored)
    })
}

/// Records how a claimed run ended.
///
/// # Errors
/// Database errors.
pub async fn finish<C: ConnectionTrait>(
    db: &C,
    run: &Model,
    now: DateTime<Utc>,
    outcome: &str,
) -> AppResult<()> {
    Entity::update_many()
        .col_expr(
            Column::FinishedAt,
            Expr::value(DateTime::<chrono::FixedOffset>::from(now)),
        )
        .col_expr(
            Column::Outcome,
            Expr::value(outcome.chars().take(1000).collect::<String>()),
        )
        .filter(Column::Id.eq(run.id))
        .exec(db)
        .await?;
    Ok(())
}

/// The latest runs of a job, newest first.
///
/// # Errors
/// Database errors.
pub async fn latest<C: ConnectionTrait>(db: &C, job: &str, limit: u64) -> AppResult<Vec<Model>> {
    use sea_orm::QuerySelect;
    Ok(Entity::find()
        .filter(Column::Job.eq(job))
        .order_by_desc(Column::Slot)
        .limit(limit)
        .all(db)
        .await?)
}

/// Runs `work` unless another process has this slot: with `length`, once
/// per slot; without, always (a task started by hand). Returns the work's
/// summary, or `None` when skipped.
///
/// # Errors
/// Database errors; the work's errors (recorded on the run first).
pub async fn once_per_slot<F, Fut>(
    db: &DatabaseConnection,
    job: &str,
    length: Option<SlotLength>,
    work: F,
) -> AppResult<Option<String>>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = AppResult<String>>,
{
    let Some(length) = length else {
        return work().await.map(Some);
    };
    let run = match claim(db, job, length, Utc::now()).await? {
        Claim::Won(run) => run,
        Claim::Lost(other) => {
            tracing::info!(job, slot = %other.slot, runner = %other.runner, "slot already claimed; skipped");
            return Ok(None);
        }
    };
    let result = work().await;
    let outcome = match &result {
        Ok(summary) => summary.clone(),
        Err(e) => format!("error: {e}"),
    };
    finish(db, &run, Utc::now(), &outcome).await?;
    result.map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("30s", 30)]
    #[case("15m", 900)]
    #[case("2h", 7200)]
    #[case("1d", 86_400)]
    fn slot_lengths_parse(#[case] s: &str, #[case] secs: i64) {
        assert_eq!(SlotLength::parse(s).map(|l| l.0).ok(), Some(secs));
    }

    #[rstest]
    #[case("")]
    #[case("15")]
    #[case("0m")]
    #[case("-5m")]
    #[case("8d")]
    #[case("m")]
    #[case("1w")]
    fn bad_slot_lengths_are_refused(#[case] s: &str) {
        assert!(SlotLength::parse(s).is_err());
    }

    #[rstest]
    // Started on time, late or a little early: the same slot.
    #[case("2026-03-03T18:30:00Z")]
    #[case("2026-03-03T18:30:02Z")]
    #[case("2026-03-03T18:29:58Z")]
    #[case("2026-03-03T18:37:29Z")]
    fn processes_started_around_a_fire_time_agree_on_the_slot(#[case] at: &str) {
        let len = SlotLength::parse("15m").expect("len");
        let now: DateTime<Utc> = at.parse().expect("time");
        let want: DateTime<Utc> = "2026-03-03T18:30:00Z".parse().expect("time");
        assert_eq!(len.slot_of(now), want);
    }

    #[test]
    fn a_daily_slot_is_the_nearest_utc_midnight() {
        let len = SlotLength::parse("1d").expect("len");
        let now: DateTime<Utc> = "2026-03-03T18:30:05Z".parse().expect("time");
        let want: DateTime<Utc> = "2026-03-04T00:00:00Z".parse().expect("time");
        assert_eq!(len.slot_of(now), want);
    }
}
