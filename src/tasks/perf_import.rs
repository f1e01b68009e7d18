//! `cargo loco task perf:import [rows:20000] [out:<file.csv>]`: times a
//! roster import of `rows` new people into the demo township 曾口镇 (run
//! `demo:seed` first): the upload's read, the dry run, the apply, and the
//! dry run of the same file again (all unchanged). Figures go in the
//! README. With `out:`, only writes the generated roster to that file (for
//! tests/crash/run, which uploads it through the API).
use crate::{
    demo::names::{self, Rng},
    models::{
        _entities::{townships, users, villages},
        recipient_imports::{self, NewImport},
        today, Actor,
    },
    sheets,
    vault::Vault,
};
use loco_rs::{environment::Environment, prelude::*};
use std::time::Instant;

pub struct PerfImport;

/// A roster of `rows` people born 1930-1965 in the township's villages,
/// households of up to three, as CSV in GBK (what Chinese Excel writes).
#[must_use]
pub fn roster(rows: usize, villages: &[String], seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let region = format!("51{:04}", 1000 + rng.below(9000));
    let mut out = String::from(
        "姓名,身份证号码,村（社区）,家庭住址,联系电话,救助类别,户主身份证号,与户主关系\r\n",
    );
    let base = chrono::NaiveDate::from_ymd_opt(1930, 1, 1).unwrap_or_default();
    let mut head = String::new();
    // Members of a household share its village and address.
    let mut village = String::new();
    let mut address = String::new();
    let mut status = "";
    for i in 0..rows {
        // Unique by construction: day i mod 12,000, sequence i / 12,000.
        let birth = base + chrono::Duration::days(i64::try_from(i % 12_000).unwrap_or(0));
        let id = names::resident_id_in(&region, birth, u32::try_from(i / 12_000).unwrap_or(0));
        let first = i % 3 == 0;
        if first {
            head.clone_from(&id);
            village = rng.pick(villages).clone();
            address = names::address(&mut rng, &village);
            status = *rng.pick(&["低保", "特困", "低收入"]);
        }
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\r\n",
            names::person(&mut rng),
            id,
            village,
            address,
            names::mobile(&mut rng),
            status,
            if first { "" } else { head.as_str() },
            if first { "本人" } else { "家庭成员" },
        ));
    }
    encoding_rs::GB18030.encode(&out).0.into_owned()
}

#[async_trait]
impl Task for PerfImport {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "perf:import".to_string(),
            detail: "Time a roster dry run and apply: perf:import [rows:20000]".to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, vars: &task::Vars) -> Result<()> {
        if ctx.environment == Environment::Production {
            return Err(Error::string("perf:import never runs in production"));
        }
        let rows = vars
            .cli_arg("rows")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(20_000usize);
        let db = &ctx.db;
        let err = |e: &dyn std::fmt::Display| Error::string(&e.to_string());
        let town = townships::Entity::find()
            .filter(townships::Column::Code.eq("511902101000"))
            .one(db)
            .await?
            .ok_or_else(|| Error::string("run demo:seed first"))?;
        let admin = users::Entity::find()
            .filter(users::Column::Role.eq("admin"))
            .one(db)
            .await?
            .ok_or_else(|| Error::string("run demo:seed first"))?;
        let village_names: Vec<String> = villages::Entity::find()
            .filter(villages::Column::TownshipId.eq(town.id))
            .all(db)
            .await?
            .into_iter()
            .map(|v| v.name)
            .collect();
        let file = roster(rows, &village_names, rand::random());
        if let Ok(path) = vars.cli_arg("out") {
            std::fs::write(path, &file)?;
            println!("perf:import: wrote a roster of {rows} new people to {path}");
            return Ok(());
        }
        let vault = Vault::of(ctx).map_err(|e| err(&e))?;
        let actor = Actor::system("perf:import");
        let roster_name = format!("perf-{}", uuid::Uuid::new_v4().simple());
        let run = |label: &'static str| {
            let file = file.clone();
            let roster_name = roster_name.clone();
            let actor = actor.clone();
            let vault = vault.clone();
            async move {
                let start = Instant::now();
                sheets::read_table(&file).map_err(|e| err(&e))?;
                let read = start.elapsed();
                let new = NewImport::parse(
                    Some(town.id),
                    None,
                    Some(&roster_name),
                    Some("perf.csv"),
                    Some(file),
                )
                .map_err(|e| err(&e))?;
                let import = recipient_imports::Model::create(db, &actor, admin.id, new)
                    .await
                    .map_err(|e| err(&e))?;
                let start = Instant::now();
                import
                    .clone()
                    .run_check(db, &vault, today())
                    .await
                    .map_err(|e| err(&e))?;
                let check = start.elapsed();
                let checked = recipient_imports::Entity::find_by_id(import.id)
                    .one(db)
                    .await?
                    .ok_or_else(|| Error::string("import vanished"))?;
                println!(
                    "{label}: read {:.2} s, dry run {:.2} s: {} rows, {} new, {} updated, {} unchanged, {} rejected",
                    read.as_secs_f64(),
                    check.as_secs_f64(),
                    checked.total_rows,
                    checked.new_count,
                    checked.updated_count,
                    checked.unchanged_count,
                    checked.rejected_count
                );
                Ok::<_, Error>(checked)
            }
        };
        let first = run("first import").await?;
        let first = first.start_apply(db).await.map_err(|e| err(&e))?;
        let start = Instant::now();
        first
            .clone()
            .run_apply(db, &vault, today())
            .await
            .map_err(|e| err(&e))?;
        let applied = recipient_imports::Entity::find_by_id(first.id)
            .one(db)
            .await?
            .ok_or_else(|| Error::string("import vanished"))?;
        println!(
            "apply (re-check + one transaction): {:.2} s, state {}",
            start.elapsed().as_secs_f64(),
            applied.state
        );
        run("same file again").await?;
        Ok(())
    }
}
