//! `cargo loco task demo:seed`: loads the demo county and its accounts.
//! Refuses in production, and on a database that already has users.
use crate::demo;
use loco_rs::{environment::Environment, prelude::*};

pub struct DemoSeed;

#[async_trait]
impl Task for DemoSeed {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "demo:seed".to_string(),
            detail: "Load the demo county, townships, villages, organisations and accounts"
                .to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, _vars: &task::Vars) -> Result<()> {
        if ctx.environment == Environment::Production {
            return Err(Error::string("demo:seed never runs in production"));
        }
        if demo::has_users(&ctx.db)
            .await
            .map_err(|e| Error::string(&e.to_string()))?
        {
            println!("demo:seed: the database already has users; nothing done");
            return Ok(());
        }
        demo::seed(
            &ctx.db,
            &crate::vault::Vault::of(ctx).map_err(|e| Error::string(&e.to_string()))?,
        )
        .await
        .map_err(|e| Error::string(&e.to_string()))?;
        demo::seed_story(&ctx.db, crate::workers::plan_materialise::horizon(ctx))
            .await
            .map_err(|e| Error::string(&e.to_string()))?;
        crate::app::print_demo_sign_ins();
        Ok(())
    }
}
