//! `cargo loco task visits:mark_overdue [slot:15m]`: flags visits nobody
//! checked in to as late (after `settings.late_after_minutes`) and, once
//! their day is over, missed. The scheduler runs it every 15 minutes, with
//! `slot:` so that one process runs it per slot (see `models::job_runs`).
use crate::models::{
    job_runs,
    visit_logs::{mark_overdue, DoorRules},
};
use loco_rs::prelude::*;

pub struct VisitsOverdue;

#[async_trait]
impl Task for VisitsOverdue {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "visits:mark_overdue".to_string(),
            detail: "Flag late and missed visits: visits:mark_overdue [slot:15m]".to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, vars: &task::Vars) -> Result<()> {
        let slot = super::plans_materialise::slot_length(vars)?;
        let done = job_runs::once_per_slot(&ctx.db, "visits:mark_overdue", slot, || async {
            let (late, missed) = mark_overdue(
                &ctx.db,
                DoorRules::from_settings(ctx.config.settings.as_ref()),
                chrono::Utc::now(),
            )
            .await?;
            Ok(format!("{late} late, {missed} missed"))
        })
        .await
        .map_err(|e| Error::string(&e.to_string()))?;
        match done {
            Some(summary) => println!("visits:mark_overdue: {summary}"),
            None => println!("visits:mark_overdue: this slot already ran in another process"),
        }
        Ok(())
    }
}
