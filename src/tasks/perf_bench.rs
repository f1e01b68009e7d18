//! `cargo loco task perf:bench [iterations:200]`: times the foundation's
//! hot reads on whatever the database holds (run `perf:seed` first) and
//! prints p50 / p95 / max per operation. Figures go in the README.
use crate::{
    domain::{
        name_search::Query,
        pagination::PageRequest,
        recipient::{AssistanceStatus, CareTag, Category},
    },
    models::{
        _entities::users as user_e,
        audit_logs::{self, AuditFilter},
        recipients::{self, RecipientFilter},
        townships, users,
        users::UserFilter,
    },
    policy::Scope,
    views::recipients::RecipientJson,
};
use loco_rs::{environment::Environment, prelude::*};
use std::time::{Duration, Instant};

pub struct PerfBench;

fn summary(name: &str, mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i].as_secs_f64() * 1000.0
    };
    format!(
        "{name:<52} n={:<5} p50={:>8.3} ms  p95={:>8.3} ms  max={:>8.3} ms",
        samples.len(),
        at(0.5),
        at(0.95),
        at(1.0)
    )
}

async fn time<F, Fut, T>(n: usize, mut f: F) -> Result<Vec<Duration>>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = crate::errors::AppResult<T>>,
{
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let start = Instant::now();
        f(i).await.map_err(|e| Error::string(&e.to_string()))?;
        out.push(start.elapsed());
    }
    Ok(out)
}

/// The recipients' list as the page runs it: the scoped, filtered page and
/// its households and villages, then the JSON every row becomes.
async fn recipient_page(
    db: &DatabaseConnection,
    scope: &Scope,
    filter: &RecipientFilter,
    page: PageRequest,
) -> crate::errors::AppResult<usize> {
    let today = crate::models::today();
    let (rows, _) = recipients::list(db, scope, filter, today, page).await?;
    let json: Vec<RecipientJson> = rows
        .iter()
        .map(|r| RecipientJson::from_row(r, true, today))
        .collect();
    Ok(serde_json::to_string(&json).map(|s| s.len()).unwrap_or(0))
}

async fn recipient_lines(
    db: &DatabaseConnection,
    n: usize,
    admin: &Scope,
    coordinator: &Scope,
) -> Result<Vec<String>> {
    let total = recipients::Entity::find()
        .count(db)
        .await
        .map_err(|e| Error::string(&e.to_string()))?;
    let sample = recipients::Entity::find()
        .order_by_desc(recipients::Column::Id)
        .one(db)
        .await
        .map_err(|e| Error::string(&e.to_string()))?;
    let Some(sample) = sample else {
        return Ok(vec!["recipients: none (run perf:seed)".into()]);
    };
    let q = |s: &str| RecipientFilter {
        query: Query::parse(s),
        ..RecipientFilter::default()
    };
    let surname: String = sample.name.chars().take(1).collect();
    let pinyin: String = sample
        .name_key
        .split_whitespace()
        .next()
        .unwrap_or("wang")
        .to_string();
    let initials: String = sample
        .name_key
        .split_whitespace()
        .nth(1)
        .unwrap_or("wf")
        .to_string();
    let deep = PageRequest::parse(Some(&(total / 50).max(1).to_string()), Some("25"));
    let cases: Vec<(String, &Scope, RecipientFilter, PageRequest)> = vec![
        (
            format!("recipients list, admin, page 1 ({total})"),
            admin,
            RecipientFilter::default(),
            PageRequest::default(),
        ),
        (
            "recipients list, admin, a deep page".into(),
            admin,
            RecipientFilter::default(),
            deep,
        ),
        (
            "recipients list, coordinator's organisation".into(),
            coordinator,
            RecipientFilter::default(),
            PageRequest::default(),
        ),
        (
            format!("recipients search by name ({surname})"),
            admin,
            q(&surname),
            PageRequest::default(),
        ),
        (
            format!("recipients search by pinyin ({pinyin})"),
            admin,
            q(&pinyin),
            PageRequest::default(),
        ),
        (
            format!("recipients search by initials ({initials})"),
            admin,
            q(&initials),
            PageRequest::default(),
        ),
        (
            "recipients search by last 4 ID characters".into(),
            admin,
            q(&sample.id_last4),
            PageRequest::default(),
        ),
        (
            "recipients filter: elderly + dibao + lives alone".into(),
            admin,
            RecipientFilter {
                category: Some(Category::Elderly),
                assistance_status: Some(AssistanceStatus::Dibao),
                care_tag: Some(CareTag::LivesAlone),
                ..RecipientFilter::default()
            },
            PageRequest::default(),
        ),
    ];
    let mut lines = Vec::new();
    for (name, scope, filter, page) in cases {
        lines.push(summary(
            &name,
            time(n, |_| recipient_page(db, scope, &filter, page)).await?,
        ));
    }
    Ok(lines)
}

#[async_trait]
impl Task for PerfBench {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "perf:bench".to_string(),
            detail: "Time list, scope and audit queries: perf:bench [iterations:200]".to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, vars: &task::Vars) -> Result<()> {
        if ctx.environment == Environment::Production {
            return Err(Error::string("perf:bench never runs in production"));
        }
        let n = vars
            .cli_arg("iterations")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(200usize);
        let db = &ctx.db;
        let find = |role: &'static str| async move {
            user_e::Entity::find()
                .filter(user_e::Column::Role.eq(role))
                .one(db)
                .await
                .map_err(|e| Error::string(&e.to_string()))?
                .ok_or_else(|| Error::string("run perf:seed or demo:seed first"))
        };
        let admin = find("admin").await.ok();
        let coordinator = find("coordinator").await?;
        let total_users = user_e::Entity::find()
            .count(db)
            .await
            .map_err(|e| Error::string(&e.to_string()))?;
        let audit_rows = audit_logs::Entity::find()
            .count(db)
            .await
            .map_err(|e| Error::string(&e.to_string()))?;
        println!(
            "perf:bench on {:?}: {total_users} users, {audit_rows} audit entries, {n} iterations",
            db.get_database_backend()
        );

        let admin_scope = admin.as_ref().map_or_else(
            || Scope {
                user_id: 0,
                kind: crate::policy::ScopeKind::Admin,
                today: crate::models::today(),
            },
            |a| Scope::new(a, vec![]),
        );
        let coord_scope = Scope::new(&coordinator, vec![]);
        let no_filter = UserFilter::default();
        let mut lines = Vec::new();

        lines.push(summary(
            "session: load user + scope",
            time(n, |_| async {
                let u = users::Model::find_by_pid(db, coordinator.pid).await?;
                users::township_ids(db, u.id).await
            })
            .await?,
        ));
        lines.push(summary(
            "users list, admin, page 1",
            time(n, |_| {
                users::list(db, &admin_scope, &no_filter, PageRequest::default())
            })
            .await?,
        ));
        let deep = PageRequest::parse(Some(&(total_users / 50).max(1).to_string()), Some("25"));
        lines.push(summary(
            "users list, admin, a deep page",
            time(n, |_| users::list(db, &admin_scope, &no_filter, deep)).await?,
        ));
        let search = UserFilter {
            search: Some("王".into()),
            ..UserFilter::default()
        };
        lines.push(summary(
            "users search by name, admin",
            time(n, |_| {
                users::list(db, &admin_scope, &search, PageRequest::default())
            })
            .await?,
        ));
        lines.push(summary(
            "users list, coordinator's organisation",
            time(n, |_| {
                users::list(db, &coord_scope, &no_filter, PageRequest::default())
            })
            .await?,
        ));
        lines.push(summary(
            "townships list, admin",
            time(n, |_| {
                townships::list(db, &admin_scope, None, PageRequest::default())
            })
            .await?,
        ));
        let filter = AuditFilter {
            action: Some("create".into()),
            entity: Some("users".into()),
            ..AuditFilter::default()
        };
        lines.push(summary(
            "audit log, filtered, page 1",
            time(n, |_| {
                audit_logs::list(db, &admin_scope, &filter, PageRequest::default())
            })
            .await?,
        ));
        lines.extend(recipient_lines(db, n, &admin_scope, &coord_scope).await?);
        let start = Instant::now();
        let v = audit_logs::verify(db)
            .await
            .map_err(|e| Error::string(&e.to_string()))?;
        let secs = start.elapsed().as_secs_f64();
        for l in &lines {
            println!("{l}");
        }
        println!(
            "audit:verify: {} entries in {:.3} s ({:.0} entries/s)",
            v.checked,
            secs,
            v.checked as f64 / secs.max(1e-9)
        );
        Ok(())
    }
}
