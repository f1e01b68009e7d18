//! Benchmarks of service plans, figures in the README:
//! - `perf:recurrence [rules:2000] [rounds:5]`: expansion throughput of
//!   `domain::Recurrence` on a mixed set of realistic rules, against
//!   python-dateutil's rrule on the same rules in the same run
//!   (`benches/recurrence_dateutil.py`); the occurrence counts must agree.
//! - `perf:materialise [plans:10000] [keep:true]`: materialising N plans
//!   (two visits a week) over 8 weeks, against a plain bulk INSERT of the
//!   same rows, on the current database. It adds the plans, measures, and
//!   removes them; with `keep:true` it only adds them.
use crate::{
    demo::names::Rng,
    domain::recurrence::Recurrence,
    models::{
        _entities::{recipients, service_plans, users, visits},
        service_plans::{materialise_all, DEFAULT_HORIZON_DAYS},
    },
};
use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use loco_rs::{environment::Environment, prelude::*};
use sea_orm::{ActiveValue::Set, QueryOrder, QuerySelect, TransactionTrait};
use serde_json::json;
use std::{io::Write, time::Instant};

const FMT: &str = "%Y-%m-%dT%H:%M:%S";

/// Rules as coordinators write them: weekly on one to three days, every
/// other week, twice a month, the 2nd Saturday, the last Friday, the last
/// working day, a 30-day stretch, and a rule with an end date.
const RULES: [&str; 10] = [
    "FREQ=WEEKLY;BYDAY=MO,TH",
    "FREQ=WEEKLY;BYDAY=TU",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE",
    "FREQ=WEEKLY;BYDAY=MO,WE,FR",
    "FREQ=MONTHLY;BYMONTHDAY=1,15",
    "FREQ=MONTHLY;BYDAY=2SA",
    "FREQ=MONTHLY;BYDAY=-1FR",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=DAILY;COUNT=30",
    "FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20261130T235959",
];

fn arg(vars: &task::Vars, name: &str, default: usize) -> usize {
    vars.cli_arg(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

pub struct PerfRecurrence;

#[async_trait]
impl Task for PerfRecurrence {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "perf:recurrence".to_string(),
            detail:
                "Recurrence expansion vs python-dateutil: perf:recurrence [rules:2000] [rounds:5]"
                    .to_string(),
        }
    }

    async fn run(&self, _ctx: &AppContext, vars: &task::Vars) -> Result<()> {
        let n = arg(vars, "rules", 2000);
        let rounds = arg(vars, "rounds", 5);
        let mut rng = Rng::new(7);
        let base = NaiveDate::from_ymd_opt(2025, 6, 2)
            .unwrap_or_default()
            .and_hms_opt(8, 0, 0)
            .unwrap_or_default();
        let rules: Vec<(NaiveDateTime, &str, Vec<NaiveDateTime>)> = (0..n)
            .map(|i| {
                let start = base
                    + Duration::days(i64::try_from(rng.below(300)).unwrap_or(0))
                    + Duration::minutes(30 * i64::try_from(rng.below(18)).unwrap_or(0));
                let rule = RULES[i % RULES.len()];
                // Every third plan has a removed visit (a holiday).
                let ex = if i % 3 == 0 {
                    vec![start + Duration::days(7 * 20)]
                } else {
                    Vec::new()
                };
                (start, rule, ex)
            })
            .collect();
        let from = NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap_or_default()
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default();
        let to = NaiveDate::from_ymd_opt(2026, 12, 31)
            .unwrap_or_default()
            .and_hms_opt(23, 59, 59)
            .unwrap_or_default();
        let began = Instant::now();
        let mut total = 0usize;
        for _ in 0..rounds {
            for (start, rule, ex) in &rules {
                let r = Recurrence::parse("Asia/Shanghai", *start, Some(rule), ex, &[])
                    .map_err(|e| Error::string(&e.to_string()))?;
                total += r
                    .occurrences_between(from, to)
                    .map_err(|e| Error::string(&e.to_string()))?
                    .len();
            }
        }
        let ours = began.elapsed().as_secs_f64();
        let began = Instant::now();
        for _ in 0..rounds {
            for (start, rule, ex) in &rules {
                Recurrence::parse("Asia/Shanghai", *start, Some(rule), ex, &[])
                    .map_err(|e| Error::string(&e.to_string()))?;
            }
        }
        let parse_only = began.elapsed().as_secs_f64();
        println!(
            "doudi Recurrence: {n} rules × {rounds} rounds, {total} occurrences in {ours:.3} s: {:.0} rules/s, {:.0} occurrences/s",
            (n * rounds) as f64 / ours,
            total as f64 / ours
        );
        println!("  of which parsing and checking the rules: {parse_only:.3} s");
        let job = json!({
            "rounds": rounds,
            "window": [from.format(FMT).to_string(), to.format(FMT).to_string()],
            "rules": rules.iter().map(|(s, r, ex)| json!({
                "dtstart": s.format(FMT).to_string(),
                "rrule": r,
                "exdates": ex.iter().map(|e| e.format(FMT).to_string()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("benches")
            .join("recurrence_dateutil.py");
        let child = std::process::Command::new("python3")
            .arg(&script)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn();
        let Ok(mut child) = child else {
            println!("python3 not found: install python3 and python-dateutil for the comparison");
            return Ok(());
        };
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(job.to_string().as_bytes())
                .map_err(|e| Error::string(&e.to_string()))?;
        }
        let out = child
            .wait_with_output()
            .map_err(|e| Error::string(&e.to_string()))?;
        let Ok(theirs) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
            println!("python-dateutil did not answer (pip install python-dateutil)");
            return Ok(());
        };
        let secs = theirs["seconds"].as_f64().unwrap_or(f64::NAN);
        let count = theirs["occurrences"].as_u64().unwrap_or(0);
        println!(
            "python-dateutil:  same rules, {count} occurrences in {secs:.3} s: {:.0} rules/s, {:.0} occurrences/s",
            (n * rounds) as f64 / secs,
            count as f64 / secs
        );
        println!(
            "doudi is {:.1}× faster; occurrence counts {}",
            secs / ours,
            if count as usize == total {
                "agree"
            } else {
                "DIFFER"
            }
        );
        Ok(())
    }
}

pub struct PerfMaterialise;

#[async_trait]
impl Task for PerfMaterialise {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "perf:materialise".to_string(),
            detail: "Materialising N plans vs a bulk INSERT: perf:materialise [plans:10000]"
                .to_string(),
        }
    }

    #[allow(clippy::too_many_lines)]
    async fn run(&self, ctx: &AppContext, vars: &task::Vars) -> Result<()> {
        if ctx.environment == Environment::Production {
            return Err(Error::string("perf:materialise never runs in production"));
        }
        let n = arg(vars, "plans", 10_000);
        let db = &ctx.db;
        let people = recipients::Entity::find()
            .filter(recipients::Column::OrganizationId.is_not_null())
            .order_by_asc(recipients::Column::Id)
            .limit(u64::try_from(n).unwrap_or(10_000))
            .all(db)
            .await?;
        if people.is_empty() {
            return Err(Error::string("run demo:seed (and perf:seed) first"));
        }
        let workers = users::Entity::find()
            .filter(users::Column::Role.eq("worker"))
            .all(db)
            .await?;
        // The plans: Monday and Thursday, or Tuesday and Friday, at
        // different times, from this week.
        let monday = crate::models::today()
            - Duration::days(i64::from(
                chrono::Datelike::weekday(&crate::models::today()).num_days_from_monday(),
            ));
        let first_id: i64 = service_plans::Entity::find()
            .select_only()
            .column_as(service_plans::Column::Id.max(), "m")
            .into_tuple::<Option<i64>>()
            .one(db)
            .await?
            .flatten()
            .unwrap_or(0);
        let started = Instant::now();
        let rows: Vec<service_plans::ActiveModel> = (0..n)
            .map(|i| {
                let r = &people[i % people.len()];
                let worker = workers
                    .iter()
                    .filter(|w| w.organization_id == r.organization_id)
                    .nth(i % 7)
                    .map(|w| w.id);
                service_plans::ActiveModel {
                    pid: Set(uuid::Uuid::new_v4()),
                    organization_id: Set(r.organization_id.unwrap_or_default()),
                    recipient_id: Set(Some(r.id)),
                    household_id: Set(r.household_id),
                    township_id: Set(r.township_id),
                    worker_id: Set(worker),
                    services: Set("home_visit".into()),
                    duration_minutes: Set(60),
                    tzid: Set("Asia/Shanghai".into()),
                    dtstart: Set(format!("{monday}T{:02}:00:00", 8 + i % 9)),
                    rrule: Set(Some(
                        if i % 2 == 0 {
                            "FREQ=WEEKLY;BYDAY=MO,TH"
                        } else {
                            "FREQ=WEEKLY;BYDAY=TU,FR"
                        }
                        .into(),
                    )),
                    exdates: Set(String::new()),
                    rdates: Set(String::new()),
                    status: Set("active".into()),
                    ..Default::default()
                }
            })
            .collect();
        let txn = db.begin().await?;
        for chunk in rows.chunks(500) {
            service_plans::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        println!(
            "{n} plans added in {:.2} s",
            started.elapsed().as_secs_f64()
        );
        // `keep:true`: only add the plans (tests/crash/run materialises
        // them and kills the process half-way).
        if vars.cli_arg("keep").is_ok_and(|k| k == "true") {
            return Ok(());
        }
        let ours = || visits::Entity::find().filter(visits::Column::PlanId.gt(first_id));
        let clear = || async {
            let res = visits::Entity::delete_many()
                .filter(visits::Column::PlanId.gt(first_id))
                .exec(db)
                .await;
            // Each round starts from a clean table on PostgreSQL too.
            if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
                db.execute_unprepared("VACUUM ANALYZE visits").await?;
            }
            res
        };
        let now = Utc::now();
        let horizon = Duration::days(DEFAULT_HORIZON_DAYS);
        let mut report = Vec::new();
        for round in 1..=3 {
            clear().await?;
            // Materialising: read the plans, expand, insert skipping
            // existing (plan, occurrence) pairs, mark the plans.
            let t = Instant::now();
            let (plans, created) = materialise_all(db, now, horizon)
                .await
                .map_err(|e| Error::string(&e.to_string()))?;
            let materialise = t.elapsed().as_secs_f64();
            // Again: nothing new, all checked.
            let t = Instant::now();
            let (_, again) = materialise_all(db, now, horizon)
                .await
                .map_err(|e| Error::string(&e.to_string()))?;
            let rerun = t.elapsed().as_secs_f64();
            // The same rows by plain bulk INSERT (built beforehand, not
            // timed), in one transaction, 500 rows a statement.
            let mut same: Vec<visits::ActiveModel> = Vec::with_capacity(created as usize);
            for v in ours().all(db).await? {
                let mut am: visits::ActiveModel = v.into();
                am.id = sea_orm::ActiveValue::NotSet;
                am.pid = Set(uuid::Uuid::new_v4());
                am.created_at = sea_orm::ActiveValue::NotSet;
                am.updated_at = sea_orm::ActiveValue::NotSet;
                same.push(am);
            }
            clear().await?;
            let t = Instant::now();
            let txn = db.begin().await?;
            for chunk in same.chunks(500) {
                visits::Entity::insert_many(chunk.to_vec())
                    .exec_without_returning(&txn)
                    .await?;
            }
            txn.commit().await?;
            let bulk = t.elapsed().as_secs_f64();
            println!(
                "round {round}: materialise {plans} plans → {created} visits in {materialise:.2} s ({:.0} visits/s); again {again} new in {rerun:.2} s; bulk INSERT of {} rows {bulk:.2} s; ratio {:.2}×",
                created as f64 / materialise,
                same.len(),
                materialise / bulk
            );
            report.push((materialise, bulk));
        }
        report.sort_by(|a, b| (a.0 / a.1).total_cmp(&(b.0 / b.1)));
        let (m, b) = report[report.len() / 2];
        println!(
            "median: materialise {m:.2} s, bulk INSERT {b:.2} s, {:.2}× the bulk insert",
            m / b
        );
        clear().await?;
        service_plans::Entity::delete_many()
            .filter(service_plans::Column::Id.gt(first_id))
            .exec(db)
            .await?;
        Ok(())
    }
}
