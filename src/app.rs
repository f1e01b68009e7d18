use async_trait::async_trait;
use axum::{middleware, Router as AxumRouter};
use base64::Engine;
use loco_rs::{
    app::{AppContext, Hooks, Initializer},
    bgworker::Queue,
    boot::{create_app, BootResult, StartMode},
    config::Config,
    controller::{
        middleware::{MiddlewareLayer, MiddlewareStackExt},
        AppRoutes,
    },
    environment::Environment,
    task::Tasks,
    Error, Result,
};
use migration::Migrator;
use std::path::Path;

use crate::{controllers, demo, errors::AppError, models::_entities, tasks, web};

pub struct App;

/// Where development keeps its generated secrets (git-ignored).
const DEV_SECRETS_DIR: &str = ".doudi";

/// The JWT secret must be base64, or every sign-in fails with a bare 401.
/// Development and test generate one on first start; production must be
/// given one.
fn ensure_jwt_secret(env: &Environment, config: &mut Config) -> Result<()> {
    let Some(jwt) = config.auth.as_mut().and_then(|a| a.jwt.as_mut()) else {
        return Err(Error::string("config: auth.jwt is required"));
    };
    if jwt.secret.trim().is_empty() {
        if *env == Environment::Production {
            return Err(Error::string(
                "JWT_SECRET must be set in production (base64, 32+ bytes)",
            ));
        }
        let path = Path::new(DEV_SECRETS_DIR).join("jwt_secret");
        let secret = match std::fs::read_to_string(&path) {
            Ok(s) if !s.trim().is_empty() => s.trim().to_string(),
            _ => {
                let bytes: [u8; 48] = rand::random();
                let s = base64::engine::general_purpose::STANDARD.encode(bytes);
                std::fs::create_dir_all(DEV_SECRETS_DIR)?;
                std::fs::write(&path, &s)?;
                s
            }
        };
        jwt.secret = secret;
    }
    if base64::engine::general_purpose::STANDARD
        .decode(jwt.secret.trim())
        .is_err()
    {
        return Err(Error::string(
            "auth.jwt.secret (JWT_SECRET) must be valid base64",
        ));
    }
    Ok(())
}

/// The key that seals resident ID numbers (`settings.id_key`, env `ID_KEY`
/// in production). Development generates one into `.doudi/id_key`; losing
/// it makes the stored ID numbers unreadable, so production must be given
/// one and keep it.
fn ensure_id_key(env: &Environment, config: &mut Config) -> Result<()> {
    let mut settings = config
        .settings
        .take()
        .unwrap_or_else(|| serde_json::json!({}));
    let given = settings
        .get("id_key")
        .and_then(|k| k.as_str())
        .unwrap_or_default()
        .trim()
        .to_string();
    let key = if given.is_empty() {
        if *env == Environment::Production {
            return Err(Error::string(
                "ID_KEY must be set in production (32 bytes, base64): it seals resident ID numbers",
            ));
        }
        let path = Path::new(DEV_SECRETS_DIR).join("id_key");
        match std::fs::read_to_string(&path) {
            Ok(s) if !s.trim().is_empty() => s.trim().to_string(),
            _ => {
                let k = crate::vault::Vault::generate_key();
                std::fs::create_dir_all(DEV_SECRETS_DIR)?;
                std::fs::write(&path, &k)?;
                k
            }
        }
    } else {
        given
    };
    crate::vault::Vault::new(&key).map_err(|e| Error::string(&e.to_string()))?;
    if let Some(obj) = settings.as_object_mut() {
        obj.insert("id_key".into(), serde_json::Value::String(key));
    }
    config.settings = Some(settings);
    Ok(())
}

/// Prints the demo sign-ins (development and test only).
pub fn print_demo_sign_ins() {
    println!("\nDemo sign-ins (password: {}):", demo::DEMO_PASSWORD);
    for (role, email) in demo::DEMO_SIGN_INS {
        println!("  {role:<12} {email}");
    }
    println!();
}

async fn not_found() -> AppError {
    AppError::NotFound
}

#[async_trait]
impl Hooks for App {
    fn app_name() -> &'static str {
        env!("CARGO_CRATE_NAME")
    }

    fn app_version() -> String {
        format!(
            "{} ({})",
            env!("CARGO_PKG_VERSION"),
            option_env!("BUILD_SHA").unwrap_or("dev")
        )
    }

    async fn load_config(env: &Environment) -> Result<Config> {
        let mut config = env.load()?;
        ensure_jwt_secret(env, &mut config)?;
        ensure_id_key(env, &mut config)?;
        Ok(config)
    }

    async fn boot(
        mode: StartMode,
        environment: &Environment,
        config: Config,
    ) -> Result<BootResult> {
        create_app::<Self, Migrator>(mode, environment, config).await
    }

    /// Uploaded documents go to Loco storage: in memory for tests, else a
    /// directory (`DOUDI_STORAGE_DIR`, default `storage`; several app
    /// processes need it shared, or an object-store driver).
    async fn after_context(ctx: AppContext) -> Result<AppContext> {
        use loco_rs::storage::{drivers, Storage};
        // A pool that cannot wedge (sqlx #3645): see `db_pool`.
        crate::zone::configure(ctx.config.settings.as_ref()).map_err(|e| Error::string(&e))?;
        crate::policy::configure_grace(ctx.config.settings.as_ref())
            .map_err(|e| Error::string(&e))?;
        let mut ctx = crate::db_pool::replace(ctx).await?;
        if web::query_count::enabled(&ctx) {
            web::query_count::install(&mut ctx.db);
        }
        let driver = if ctx.environment == Environment::Test {
            drivers::mem::new()
        } else {
            let dir = std::env::var("DOUDI_STORAGE_DIR").unwrap_or_else(|_| "storage".to_string());
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::string(&format!("storage directory {dir}: {e}")))?;
            drivers::local::new_with_prefix(&dir)
                .map_err(|e| Error::string(&format!("storage directory {dir}: {e}")))?
        };
        Ok(ctx
            .into_builder()
            .storage(Storage::single(driver).into())
            .build())
    }

    async fn initializers(_ctx: &AppContext) -> Result<Vec<Box<dyn Initializer>>> {
        Ok(vec![])
    }

    async fn before_run(ctx: &AppContext) -> Result<()> {
        web::render::init().map_err(|e| Error::string(&format!("templates: {e}")))?;
        if ctx.environment == Environment::Development {
            let has_users = demo::has_users(&ctx.db)
                .await
                .map_err(|e| Error::string(&e.to_string()))?;
            if !has_users {
                tracing::info!("empty development database: loading the demo county");
                demo::seed(
                    &ctx.db,
                    &crate::vault::Vault::of(ctx).map_err(|e| Error::string(&e.to_string()))?,
                )
                .await
                .map_err(|e| Error::string(&e.to_string()))?;
                demo::seed_story(&ctx.db, crate::workers::plan_materialise::horizon(ctx))
                    .await
                    .map_err(|e| Error::string(&e.to_string()))?;
            }
            print_demo_sign_ins();
        }
        Ok(())
    }

    async fn before_routes(_ctx: &AppContext) -> Result<AxumRouter<AppContext>> {
        Ok(AxumRouter::new().fallback(not_found))
    }

    fn routes(_ctx: &AppContext) -> AppRoutes {
        AppRoutes::empty()
            .add_route(controllers::health::routes())
            .add_route(controllers::home::routes())
            .add_route(controllers::sessions::routes())
            .add_route(controllers::privacy::routes())
            .add_route(controllers::settings::routes())
            .add_route(controllers::calendar::routes())
            .add_route(controllers::townships::routes())
            .add_route(controllers::village_options::routes())
            .add_route(controllers::villages::routes())
            .add_route(controllers::organizations::routes())
            .add_route(controllers::households::routes())
            .add_route(controllers::recipients::routes())
            .add_route(controllers::recipient_imports::routes())
            .add_route(controllers::service_plans::routes())
            .add_route(controllers::service_types::routes())
            .add_route(controllers::contracts::routes())
            .add_route(controllers::dashboard::routes())
            .add_route(controllers::board::routes())
            .add_route(controllers::visits::routes())
            .add_route(controllers::referrals::routes())
            .add_route(controllers::proposals::routes())
            .add_route(controllers::handover::routes())
            .add_route(controllers::users::routes())
            .add_route(controllers::audit_logs::routes())
            .add_route(controllers::api::auth::routes())
            .add_route(controllers::api::townships::routes())
            .add_route(controllers::api::villages::routes())
            .add_route(controllers::api::organizations::routes())
            .add_route(controllers::api::households::routes())
            .add_route(controllers::api::recipients::routes())
            .add_route(controllers::api::plan_previews::routes())
            .add_route(controllers::api::service_plans::routes())
            .add_route(controllers::api::service_types::routes())
            .add_route(controllers::api::contracts::routes())
            .add_route(controllers::api::visits::routes())
            .add_route(controllers::api::recipient_imports::routes())
            .add_route(controllers::api::users::routes())
            .add_route(controllers::api::audit_logs::routes())
    }

    /// Loco's stack, less `X-Powered-By` (it advertises the framework) and
    /// with a request span that logs no tokens or query strings.
    fn middlewares(ctx: &AppContext) -> Vec<Box<dyn MiddlewareLayer>> {
        let mut stack = loco_rs::controller::middleware::default_middleware_stack(ctx);
        let enable = ctx
            .config
            .server
            .middlewares
            .logger
            .as_ref()
            .is_none_or(|l| l.enable);
        stack.delete("powered_by").replace(
            "logger",
            Box::new(web::log_span::RedactedLogger {
                enable,
                environment: ctx.environment.clone(),
            }),
        );
        stack
    }

    async fn after_routes(router: AxumRouter, ctx: &AppContext) -> Result<AxumRouter> {
        let router = router
            .layer(middleware::from_fn(web::csrf::protect))
            .layer(middleware::from_fn(web::errors::render_errors));
        Ok(if web::query_count::enabled(ctx) {
            router.layer(middleware::from_fn(web::query_count::count))
        } else {
            router
        })
    }

    async fn connect_workers(ctx: &AppContext, queue: &Queue) -> Result<()> {
        use loco_rs::bgworker::BackgroundWorker;
        queue
            .register(crate::workers::recipient_import::RecipientImportWorker::build(ctx))
            .await?;
        queue
            .register(crate::workers::plan_materialise::PlanMaterialiseWorker::build(ctx))
            .await?;
        Ok(())
    }

    fn register_tasks(tasks: &mut Tasks) {
        tasks.register(tasks::audit_verify::AuditVerify);
        tasks.register(tasks::demo_seed::DemoSeed);
        tasks.register(tasks::fulfilment_rebuild::FulfilmentRebuild);
        tasks.register(tasks::perf_seed::PerfSeed);
        tasks.register(tasks::perf_bench::PerfBench);
        tasks.register(tasks::perf_import::PerfImport);
        tasks.register(tasks::perf_plans::PerfRecurrence);
        tasks.register(tasks::perf_plans::PerfMaterialise);
        tasks.register(tasks::perf_submit::PerfSubmit);
        tasks.register(tasks::perf_fulfilment::PerfFulfilment);
        tasks.register(tasks::plans_materialise::PlansMaterialise);
        tasks.register(tasks::visits_overdue::VisitsOverdue);
        tasks.register(tasks::imports_resume::ImportsResume);
        tasks.register(tasks::imports_purge::ImportsPurge);
        // tasks-inject (do not remove)
    }

    /// Empties the tables in dependency order. The audit log is append-only
    /// and is never truncated.
    async fn truncate(ctx: &AppContext) -> Result<()> {
        use loco_rs::db::truncate_table;
        truncate_table(&ctx.db, _entities::visits::Entity).await?;
        truncate_table(&ctx.db, _entities::service_plans::Entity).await?;
        truncate_table(&ctx.db, _entities::recipient_import_files::Entity).await?;
        truncate_table(&ctx.db, _entities::recipient_imports::Entity).await?;
        truncate_table(&ctx.db, _entities::recipient_status_changes::Entity).await?;
        truncate_table(&ctx.db, _entities::recipients::Entity).await?;
        truncate_table(&ctx.db, _entities::households::Entity).await?;
        truncate_table(&ctx.db, _entities::official_townships::Entity).await?;
        truncate_table(&ctx.db, _entities::sign_in_failures::Entity).await?;
        truncate_table(&ctx.db, _entities::users::Entity).await?;
        truncate_table(&ctx.db, _entities::organizations::Entity).await?;
        truncate_table(&ctx.db, _entities::villages::Entity).await?;
        truncate_table(&ctx.db, _entities::townships::Entity).await?;
        Ok(())
    }

    /// `cargo loco db seed` loads the demo county.
    async fn seed(ctx: &AppContext, _base: &Path) -> Result<()> {
        if ctx.environment == Environment::Production {
            return Err(Error::string("the demo data is never loaded in production"));
        }
        demo::seed(
            &ctx.db,
            &crate::vault::Vault::of(ctx).map_err(|e| Error::string(&e.to_string()))?,
        )
        .await
        .map_err(|e| Error::string(&e.to_string()))?;
        demo::seed_story(&ctx.db, crate::workers::plan_materialise::horizon(ctx))
            .await
            .map(|_| ())
            .map_err(|e| Error::string(&e.to_string()))
    }
}
