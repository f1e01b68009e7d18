//! Creates the visits of one plan (after a change) or of every active
//! plan (nightly) over the rolling horizon.
use crate::models::service_plans::{self, DEFAULT_HORIZON_DAYS};
use loco_rs::prelude::*;
use serde::{Deserialize, Serialize};

pub struct PlanMaterialiseWorker {
    pub ctx: AppContext,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PlanMaterialiseWorkerArgs {
    /// One plan, or all active plans when absent.
    pub plan_id: Option<i64>,
}

/// The horizon from `settings.plan_horizon_days` (default 56 days).
#[must_use]
pub fn horizon(ctx: &AppContext) -> chrono::Duration {
    let days = ctx
        .config
        .settings
        .as_ref()
        .and_then(|s| s.get("plan_horizon_days"))
        .and_then(serde_json::Value::as_i64)
        .filter(|d| (1..=366).contains(d))
        .unwrap_or(DEFAULT_HORIZON_DAYS);
    chrono::Duration::days(days)
}

#[async_trait]
impl BackgroundWorker<PlanMaterialiseWorkerArgs> for PlanMaterialiseWorker {
    fn build(ctx: &AppContext) -> Self {
        Self { ctx: ctx.clone() }
    }

    async fn perform(&self, args: PlanMaterialiseWorkerArgs) -> Result<()> {
        let now = chrono::Utc::now();
        let horizon = horizon(&self.ctx);
        let err = |e: crate::errors::AppError| Error::string(&e.to_string());
        match args.plan_id {
            Some(id) => {
                if let Some(plan) = service_plans::Entity::find_by_id(id)
                    .one(&self.ctx.db)
                    .await?
                {
                    plan.materialise(&self.ctx.db, now, horizon)
                        .await
                        .map_err(err)?;
                }
            }
            None => {
                service_plans::materialise_all(&self.ctx.db, now, horizon)
                    .await
                    .map_err(err)?;
            }
        }
        Ok(())
    }
}
