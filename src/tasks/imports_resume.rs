//! `cargo loco task imports:resume [older_than_minutes:10] [slot:5m]`: runs
//! again the roster imports whose job died with its process (left checking
//! or applying, untouched for the given minutes), and says what became of
//! each. The scheduler runs it every few minutes; after a crash, run it
//! with `older_than_minutes:0` once the old process is gone.
use crate::{
    models::{job_runs, recipient_imports, today},
    vault::Vault,
};
use loco_rs::prelude::*;

pub struct ImportsResume;

#[async_trait]
impl Task for ImportsResume {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "imports:resume".to_string(),
            detail:
                "Run stalled roster imports again: imports:resume [older_than_minutes:10] [slot:5m]"
                    .to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, vars: &task::Vars) -> Result<()> {
        let minutes = vars
            .cli_arg("older_than_minutes")
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .filter(|m| (0..=10_080).contains(m))
            .unwrap_or(10);
        let slot = super::plans_materialise::slot_length(vars)?;
        let vault = Vault::of(ctx).map_err(|e| Error::string(&e.to_string()))?;
        let done = job_runs::once_per_slot(&ctx.db, "imports:resume", slot, || async {
            let resumed = recipient_imports::resume_stalled(
                &ctx.db,
                &vault,
                today(),
                chrono::Utc::now(),
                chrono::Duration::minutes(minutes),
            )
            .await?;
            for r in &resumed {
                println!("imports:resume: {} was {}, now {}", r.pid, r.found, r.state);
            }
            Ok(format!("{} stalled imports run again", resumed.len()))
        })
        .await
        .map_err(|e| Error::string(&e.to_string()))?;
        match done {
            Some(summary) => println!("imports:resume: {summary}"),
            None => println!("imports:resume: this slot already ran in another process"),
        }
        Ok(())
    }
}
