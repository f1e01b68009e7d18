//! `cargo loco task imports:purge [slot:1d]`: deletes the uploaded roster
//! files (whole ID numbers in plain text) of imports never applied within
//! `settings.roster_retention_days` (default 30), keeping each import's
//! counts and report, with an audit entry for each, and clears the rows as
//! uploaded (whole ID numbers) that reports keep of rejected rows once
//! they are as old (line numbers and problems stay). Applied rosters are
//! deleted by the apply itself. The scheduler runs it daily, with `slot:`
//! so that one process runs it per slot (see `models::job_runs`).
use crate::models::{job_runs, recipient_imports};
use loco_rs::prelude::*;

pub struct ImportsPurge;

#[async_trait]
impl Task for ImportsPurge {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "imports:purge".to_string(),
            detail:
                "Delete roster files never applied within the retention: imports:purge [slot:1d]"
                    .to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, vars: &task::Vars) -> Result<()> {
        let slot = super::plans_materialise::slot_length(vars)?;
        let days = recipient_imports::retention_days(ctx.config.settings.as_ref());
        let done = job_runs::once_per_slot(&ctx.db, "imports:purge", slot, || async {
            let now = chrono::Utc::now();
            let purged = recipient_imports::purge_unapplied(&ctx.db, now, days).await?;
            let cleared = recipient_imports::purge_rejected_rows(&ctx.db, now, days).await?;
            Ok(format!(
                "{} roster files and the rejected rows of {} reports older than {days} days deleted",
                purged.len(),
                cleared.len()
            ))
        })
        .await
        .map_err(|e| Error::string(&e.to_string()))?;
        match done {
            Some(summary) => println!("imports:purge: {summary}"),
            None => println!("imports:purge: this slot already ran in another process"),
        }
        Ok(())
    }
}
