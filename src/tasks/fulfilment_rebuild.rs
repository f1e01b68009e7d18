//! `cargo loco task fulfilment:rebuild`: rebuilds every contract's kept
//! fulfilment totals from its visits. They are kept up to date as visits
//! are logged; this is for after a restore or a bulk load written straight
//! to the database.
use crate::models::fulfilment;
use loco_rs::prelude::*;

pub struct FulfilmentRebuild;

#[async_trait]
impl Task for FulfilmentRebuild {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "fulfilment:rebuild".to_string(),
            detail: "Rebuild every contract's fulfilment totals from its visits".to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, _vars: &task::Vars) -> Result<()> {
        let t = std::time::Instant::now();
        let n = fulfilment::rebuild_all(&ctx.db)
            .await
            .map_err(|e| Error::string(&e.to_string()))?;
        println!(
            "fulfilment:rebuild: {n} contracts in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        Ok(())
    }
}
