//! `cargo loco task perf:seed size:20000 [seed:1] [audit:100000] [visits:1000000]`:
//! people and places for benchmarks, audit entries, and contracts with a
//! year of visits (see `demo::perf_visits`).
use crate::demo;
use loco_rs::{environment::Environment, prelude::*};

pub struct PerfSeed;

#[async_trait]
impl Task for PerfSeed {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "perf:seed".to_string(),
            detail: "Generate benchmark data: perf:seed size:20000 [seed:1] [audit:100000] [visits:1000000]"
                .to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, vars: &task::Vars) -> Result<()> {
        if ctx.environment == Environment::Production {
            return Err(Error::string("perf:seed never runs in production"));
        }
        let size = vars
            .cli_arg("size")
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .ok_or_else(|| {
                Error::string("usage: perf:seed size:<recipients> [seed:<n>] [audit:<entries>]")
            })?;
        let seed = vars
            .cli_arg("seed")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1);
        let started = std::time::Instant::now();
        let counts = demo::perf_seed(
            &ctx.db,
            &crate::vault::Vault::of(ctx).map_err(|e| Error::string(&e.to_string()))?,
            size,
            seed,
        )
        .await
        .map_err(|e| Error::string(&e.to_string()))?;
        let seeded_in = started.elapsed();
        let audit = vars
            .cli_arg("audit")
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(0);
        if audit > 0 {
            let started = std::time::Instant::now();
            demo::perf_audit(&ctx.db, audit, seed)
                .await
                .map_err(|e| Error::string(&e.to_string()))?;
            let secs = started.elapsed().as_secs_f64();
            println!(
                "perf:seed audit:{audit}: appended in {secs:.2} s ({:.0} entries/s)",
                audit as f64 / secs.max(1e-9)
            );
        }
        let visits = vars
            .cli_arg("visits")
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(0);
        // The contracts are written in any case: providers reach their
        // people through them (issue 16), so the coordinators' figures of
        // `perf:bench` need them.
        {
            let started = std::time::Instant::now();
            let (contracts, made, lines) = demo::perf_visits(&ctx.db, visits, seed)
                .await
                .map_err(|e| Error::string(&e.to_string()))?;
            println!(
                "perf:seed visits:{visits}: {contracts} contracts, {made} visits, {lines} lines in {:.1?}",
                started.elapsed()
            );
        }
        println!(
            "perf:seed size:{size}: {} townships, {} villages, {} organisations, {} users, {} recipients in {:.1?}",
            counts.townships, counts.villages, counts.organizations, counts.users, counts.recipients, seeded_in
        );
        Ok(())
    }
}
