//! `cargo loco task visits:mark_overdue`: flags visits nobody checked in
//! to as late (after `settings.late_after_minutes`) and, once their day is
//! over, missed. The scheduler runs it every 15 minutes.
use crate::models::visit_logs::{mark_overdue, DoorRules};
use loco_rs::prelude::*;

pub struct VisitsOverdue;

#[async_trait]
impl Task for VisitsOverdue {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "visits:mark_overdue".to_string(),
            detail: "Flag late and missed visits".to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, _vars: &task::Vars) -> Result<()> {
        let (late, missed) = mark_overdue(
            &ctx.db,
            DoorRules::from_settings(ctx.config.settings.as_ref()),
            chrono::Utc::now(),
        )
        .await
        .map_err(|e| Error::string(&e.to_string()))?;
        println!("visits:mark_overdue: {late} late, {missed} missed");
        Ok(())
    }
}
