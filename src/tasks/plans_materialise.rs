//! `cargo loco task plans:materialise [horizon_days:56] [slot:1d]`: creates
//! the missing visits of every active plan over the horizon (what the
//! nightly job does), and says how many. With `slot:`, as the scheduler
//! runs it, only one process runs it per slot (see `models::job_runs`).
use crate::models::{job_runs, service_plans};
use loco_rs::prelude::*;

pub struct PlansMaterialise;

#[async_trait]
impl Task for PlansMaterialise {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "plans:materialise".to_string(),
            detail: "Create the visits of all active plans: plans:materialise [horizon_days:56] [slot:1d]"
                .to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, vars: &task::Vars) -> Result<()> {
        let err = |e: crate::errors::AppError| Error::string(&e.to_string());
        let horizon = vars
            .cli_arg("horizon_days")
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .filter(|d| (1..=366).contains(d))
            .map_or_else(
                || crate::workers::plan_materialise::horizon(ctx),
                chrono::Duration::days,
            );
        let slot = slot_length(vars)?;
        let done = job_runs::once_per_slot(&ctx.db, "plans:materialise", slot, || async {
            let (plans, created) =
                service_plans::materialise_all(&ctx.db, chrono::Utc::now(), horizon).await?;
            Ok(format!(
                "{plans} active plans, {created} visits created over {} days",
                horizon.num_days()
            ))
        })
        .await
        .map_err(err)?;
        match done {
            Some(summary) => println!("plans:materialise: {summary}"),
            None => println!("plans:materialise: this slot already ran in another process"),
        }
        Ok(())
    }
}

/// The `slot:` argument (`15m`, `1d`), if given.
///
/// # Errors
/// A slot length that does not parse.
pub fn slot_length(vars: &task::Vars) -> Result<Option<job_runs::SlotLength>> {
    vars.cli_arg("slot")
        .ok()
        .map(|s| job_runs::SlotLength::parse(s).map_err(|e| Error::string(&e.to_string())))
        .transpose()
}
