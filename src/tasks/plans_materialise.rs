//! `cargo loco task plans:materialise [horizon_days:56]`: creates the
//! missing visits of every active plan over the horizon (what the nightly
//! job does), and says how many.
use crate::models::service_plans;
use loco_rs::prelude::*;

pub struct PlansMaterialise;

#[async_trait]
impl Task for PlansMaterialise {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "plans:materialise".to_string(),
            detail: "Create the visits of all active plans: plans:materialise [horizon_days:56]"
                .to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, vars: &task::Vars) -> Result<()> {
        let horizon = vars
            .cli_arg("horizon_days")
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .filter(|d| (1..=366).contains(d))
            .map_or_else(
                || crate::workers::plan_materialise::horizon(ctx),
                chrono::Duration::days,
            );
        let (plans, created) = service_plans::materialise_all(&ctx.db, chrono::Utc::now(), horizon)
            .await
            .map_err(|e| Error::string(&e.to_string()))?;
        println!(
            "plans:materialise: {plans} active plans, {created} visits created over {} days",
            horizon.num_days()
        );
        Ok(())
    }
}
