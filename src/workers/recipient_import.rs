//! Checks or applies an uploaded roster (see `models::recipient_imports`).
use crate::{
    models::{recipient_imports, today},
    vault::Vault,
};
use loco_rs::prelude::*;
use serde::{Deserialize, Serialize};

pub struct RecipientImportWorker {
    pub ctx: AppContext,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RecipientImportWorkerArgs {
    pub import_id: i64,
    /// `false`: the dry run; `true`: apply the checked rows.
    pub apply: bool,
}

#[async_trait]
impl BackgroundWorker<RecipientImportWorkerArgs> for RecipientImportWorker {
    fn build(ctx: &AppContext) -> Self {
        Self { ctx: ctx.clone() }
    }

    async fn perform(&self, args: RecipientImportWorkerArgs) -> Result<()> {
        let Some(import) = recipient_imports::Entity::find_by_id(args.import_id)
            .one(&self.ctx.db)
            .await?
        else {
            return Ok(());
        };
        let vault = Vault::of(&self.ctx).map_err(|e| Error::string(&e.to_string()))?;
        let result = if args.apply {
            import.run_apply(&self.ctx.db, &vault, today()).await
        } else {
            import.run_check(&self.ctx.db, &vault, today()).await
        };
        result.map_err(|e| Error::string(&e.to_string()))
    }
}
