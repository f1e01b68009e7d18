//! `cargo loco task audit:verify`: walks the audit log's hash chain and
//! reports the first broken link (exit status 1 when broken).
use crate::models::audit_logs;
use loco_rs::prelude::*;

pub struct AuditVerify;

#[async_trait]
impl Task for AuditVerify {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "audit:verify".to_string(),
            detail: "Verify the audit log's hash chain and report the first broken link"
                .to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, _vars: &task::Vars) -> Result<()> {
        let v = audit_logs::verify(&ctx.db)
            .await
            .map_err(|e| Error::string(&e.to_string()))?;
        match v.broken {
            None => {
                println!("audit:verify: OK, {} entries, chain intact", v.checked);
                Ok(())
            }
            Some(broken) => {
                println!(
                    "audit:verify: BROKEN after {} good entries: {broken}",
                    v.checked
                );
                Err(Error::string(&format!("audit chain broken: {broken}")))
            }
        }
    }
}
