//! `cargo loco task perf:fulfilment [runs:30] [rebuilds:1]`: how long the fulfilment of
//! the contract with the most visits takes (what its page and API compute),
//! against one hand-written aggregate query of the same per-item service
//! totals, in the same run. Run `perf:seed … visits:1000000` first.
use crate::domain::visit::VisitStatus;
use crate::models::{_entities::contracts, fulfilment};
use loco_rs::{environment::Environment, prelude::*};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter,
    Statement,
};
use std::time::{Duration, Instant};

pub struct PerfFulfilment;

#[derive(Debug, FromQueryResult)]
struct Busiest {
    contract_id: i64,
    n: i64,
}

fn quantiles(mut t: Vec<Duration>) -> (f64, f64, f64) {
    t.sort_unstable();
    let at = |q: f64| {
        t.get(((t.len() as f64 * q).ceil() as usize).saturating_sub(1))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    (at(0.5), at(0.95), at(1.0))
}

#[async_trait]
impl Task for PerfFulfilment {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "perf:fulfilment".to_string(),
            detail: "Time a contract's fulfilment against one hand-written aggregate: perf:fulfilment [runs:30] [rebuilds:1]".to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, vars: &task::Vars) -> Result<()> {
        if ctx.environment == Environment::Production {
            return Err(Error::string("perf:fulfilment never runs in production"));
        }
        let runs: usize = vars
            .cli_arg("runs")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(30);
        let rebuilds: usize = vars
            .cli_arg("rebuilds")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1)
            .max(1);
        let db = &ctx.db;
        let backend = db.get_database_backend();
        let busiest = Busiest::find_by_statement(Statement::from_string(
            backend,
            "SELECT cr.contract_id AS contract_id, CAST(COUNT(*) AS BIGINT) AS n \
             FROM visits v JOIN contract_recipients cr ON cr.recipient_id = v.recipient_id \
             GROUP BY cr.contract_id ORDER BY n DESC LIMIT 1",
        ))
        .one(db)
        .await?
        .ok_or_else(|| Error::string("run perf:seed … visits:N first"))?;
        let c = contracts::Entity::find_by_id(busiest.contract_id)
            .one(db)
            .await?
            .ok_or_else(|| Error::string("contract vanished"))?;
        let total: i64 = Busiest::find_by_statement(Statement::from_string(
            backend,
            "SELECT CAST(0 AS BIGINT) AS contract_id, CAST(COUNT(*) AS BIGINT) AS n FROM visits",
        ))
        .one(db)
        .await?
        .map_or(0, |b| b.n);
        println!(
            "database: {} visits; the busiest contract has {} of them",
            total, busiest.n
        );
        let today = crate::models::today();
        let now = chrono::Utc::now();
        let mut report_times = Vec::with_capacity(runs);
        let mut sql_times = Vec::with_capacity(runs);
        let p = |i: usize| match backend {
            DatabaseBackend::Postgres => format!("${i}"),
            _ => "?".to_string(),
        };
        let hand = format!(
            "SELECT l.service, COUNT(DISTINCT v.id) AS visits, SUM(l.minutes) AS minutes, COUNT(l.id) AS sessions \
             FROM visit_service_lines l JOIN visits v ON v.id = l.visit_id \
             JOIN contract_recipients cr ON cr.recipient_id = v.recipient_id \
             WHERE cr.contract_id = {} AND v.organization_id = {} AND v.status = 'completed' \
             AND v.starts_at >= {} AND v.starts_at < {} GROUP BY l.service",
            p(1),
            p(2),
            p(3),
            p(4)
        );
        let start =
            chrono::DateTime::<chrono::FixedOffset>::from(crate::domain::recurrence::resolve(
                crate::zone::display(),
                c.starts_on.and_time(chrono::NaiveTime::MIN),
            ));
        let end =
            chrono::DateTime::<chrono::FixedOffset>::from(crate::domain::recurrence::resolve(
                crate::zone::display(),
                (c.ends_on + chrono::Duration::days(1)).and_time(chrono::NaiveTime::MIN),
            ));
        for i in 0..runs + 3 {
            let t = Instant::now();
            let r = fulfilment::report(db, &c, today, now)
                .await
                .map_err(|e| Error::string(&e.to_string()))?;
            let took = t.elapsed();
            let t = Instant::now();
            db.query_all_raw(Statement::from_sql_and_values(
                backend,
                &hand,
                [
                    c.id.into(),
                    c.organization_id.into(),
                    start.into(),
                    end.into(),
                ],
            ))
            .await?;
            let hand_took = t.elapsed();
            if i >= 3 {
                report_times.push(took);
                sql_times.push(hand_took);
            } else if i == 0 {
                println!(
                    "contract {}: {} items, {} completed visits counted",
                    c.code,
                    r.items.len(),
                    r.visits.completed
                );
            }
        }
        // The fulfilment alone, one after another (what a page asked
        // again and again costs, without the aggregate in between).
        let mut alone = Vec::with_capacity(runs * 3);
        for _ in 0..runs * 3 {
            let t = Instant::now();
            fulfilment::report(db, &c, today, now)
                .await
                .map_err(|e| Error::string(&e.to_string()))?;
            alone.push(t.elapsed());
        }
        let (w50, w95, wmax) = quantiles(alone);
        let (a50, a95, amax) = quantiles(report_times);
        let (b50, b95, bmax) = quantiles(sql_times);
        println!("fulfilment (what the page and API compute): p50 {a50:.1} ms, p95 {a95:.1} ms, max {amax:.1} ms over {runs} runs");
        println!("one hand-written per-item aggregate:         p50 {b50:.1} ms, p95 {b95:.1} ms, max {bmax:.1} ms");
        println!("ratio of p95: {:.2}", a95 / b95.max(1e-9));
        println!(
            "the fulfilment alone, {} runs in a row: p50 {w50:.1} ms, p95 {w95:.1} ms, max {wmax:.1} ms",
            runs * 3
        );
        let before = fulfilment::report(db, &c, today, now)
            .await
            .map_err(|e| Error::string(&e.to_string()))?;
        // What keeping the totals costs: a change of terms rebuilds the
        // contract; a logged visit refreshes its day and month.
        let mut rebuilt = Vec::new();
        for _ in 0..rebuilds {
            let t = Instant::now();
            let txn = sea_orm::TransactionTrait::begin(db).await?;
            fulfilment::rebuild(&txn, &c)
                .await
                .map_err(|e| Error::string(&e.to_string()))?;
            txn.commit().await?;
            rebuilt.push(t.elapsed());
        }
        let each: Vec<String> = rebuilt
            .iter()
            .map(|d| format!("{:.0}", d.as_secs_f64() * 1000.0))
            .collect();
        let (r50, _, _) = quantiles(rebuilt);
        println!(
            "rebuilding the contract's totals (after an amendment): {r50:.0} ms (median of {rebuilds}: {} ms)",
            each.join(", ")
        );
        // The worst case: nothing kept (every row written again), as after
        // an amendment that changes what every visit counts.
        let t = Instant::now();
        let txn = sea_orm::TransactionTrait::begin(db).await?;
        for table in ["fulfilment_days", "fulfilment_months"] {
            txn.execute_raw(Statement::from_string(
                backend,
                format!("DELETE FROM {table} WHERE contract_id = {}", c.id),
            ))
            .await?;
        }
        fulfilment::rebuild(&txn, &c)
            .await
            .map_err(|e| Error::string(&e.to_string()))?;
        txn.commit().await?;
        println!(
            "rebuilding the contract's totals from nothing kept: {:.0} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
        let again = fulfilment::report(db, &c, today, now)
            .await
            .map_err(|e| Error::string(&e.to_string()))?;
        if serde_json::to_value(&again).ok() != serde_json::to_value(&before).ok() {
            return Err(Error::string("the kept totals differ from a rebuild"));
        }
        let sample = crate::models::_entities::visits::Entity::find()
            .filter(
                crate::models::_entities::visits::Column::Status
                    .eq(VisitStatus::Completed.as_str()),
            )
            .filter(crate::models::_entities::visits::Column::OrganizationId.eq(c.organization_id))
            .one(db)
            .await?;
        if let Some(v) = sample {
            let mut times = Vec::new();
            for _ in 0..20 {
                let t = Instant::now();
                // What a submission does: what the visit counted before and
                // after the write, and the difference applied.
                let txn = sea_orm::TransactionTrait::begin(db).await?;
                let run = async {
                    let counted = fulfilment::totals_of(&txn, v.id).await?;
                    let counts = fulfilment::totals_of(&txn, v.id).await?;
                    fulfilment::apply(&txn, &counted, &fulfilment::Totals::default()).await?;
                    fulfilment::apply(&txn, &fulfilment::Totals::default(), &counts).await
                };
                run.await.map_err(|e| Error::string(&e.to_string()))?;
                txn.commit().await?;
                times.push(t.elapsed());
            }
            let (t50, t95, _) = quantiles(times);
            println!("counting one visit's change (what a submission adds): p50 {t50:.1} ms, p95 {t95:.1} ms");
        }
        Ok(())
    }
}
