//! Demo data for development and benchmarks. `seed` builds the demo county
//! (3 townships, 12 villages, 2 providers, 1 charity, one account per role
//! and a few more workers), through the same audited model methods as the
//! pages. `perf_seed` bulk-generates people and places at benchmark scale.
pub mod names;

use crate::{
    domain::credit_code::check_character,
    errors::{AppError, AppResult},
    models::{
        _entities::{
            organizations as org_e, townships as town_e, users as user_e, villages as vil_e,
        },
        audit_logs::{self, Action},
        organizations::{self, NewOrganization, OrganizationParams},
        townships::{self, NewTownship, TownshipParams},
        users::{self, NewUser, UserParams, UserRefs},
        villages::{self, NewVillage, VillageParams},
        Actor,
    },
};
use names::Rng;
use sea_orm::{
    ActiveValue::Set, DatabaseConnection, EntityTrait, PaginatorTrait, TransactionTrait,
};

pub const DEMO_PASSWORD: &str = "doudi-demo";
/// One sign-in per role, printed on start and listed in the README.
pub const DEMO_SIGN_INS: [(&str, &str); 4] = [
    ("admin", "admin@doudi.test"),
    ("official", "official@doudi.test"),
    ("coordinator", "coordinator@doudi.test"),
    ("worker", "worker@doudi.test"),
];

const TOWNSHIPS: [(&str, &str, i64, [&str; 4]); 3] = [
    (
        "曾口镇",
        "511902101000",
        35_210,
        ["石门村", "高峰村", "龙泉村", "曾口社区"],
    ),
    (
        "清江镇",
        "511902102000",
        28_760,
        ["白岩村", "双河村", "桃园村", "清江社区"],
    ),
    (
        "水宁寺镇",
        "511902103000",
        22_480,
        ["黄梁村", "新场村", "金竹村", "水宁社区"],
    ),
];

/// A credit code with a valid check character from a 17-character body.
fn credit_code(body: &str) -> String {
    format!("{body}{}", check_character(body).unwrap_or('0'))
}

fn organizations() -> [(String, &'static str, String); 3] {
    [
        (
            "巴中市巴州区阳光社会工作服务中心".into(),
            "social_work",
            credit_code("52511902MJQ10023X"),
        ),
        (
            "巴中市益民社会工作服务中心".into(),
            "social_work",
            credit_code("52511900MJQ20417A"),
        ),
        (
            "巴中市慈善总会".into(),
            "charity",
            credit_code("51511900509370124"),
        ),
    ]
}

fn params(name: &str, email: &str, phone: String, role: &str) -> UserParams {
    UserParams {
        name: Some(name.into()),
        email: Some(email.into()),
        phone: Some(phone),
        role: Some(role.into()),
        password: Some(DEMO_PASSWORD.into()),
        locale: None,
        ..Default::default()
    }
}

async fn add_user(
    db: &DatabaseConnection,
    actor: &Actor,
    p: &UserParams,
    org: Option<&org_e::Model>,
    towns: &[town_e::Model],
) -> AppResult<users::Model> {
    let mut p = p.clone();
    p.townships = towns.iter().map(|t| t.pid.to_string()).collect();
    let new = NewUser::parse(
        &p,
        &UserRefs {
            organization: org,
            townships: towns,
            password_required: true,
        },
    )?;
    users::Model::create(db, actor, new).await
}

/// Whether the demo has been loaded (or any user exists).
///
/// # Errors
/// Database errors.
pub async fn has_users(db: &DatabaseConnection) -> AppResult<bool> {
    Ok(user_e::Entity::find().count(db).await? > 0)
}

/// Loads the demo county. Deterministic: the same data on every machine
/// (apart from generated pids and timestamps).
///
/// # Errors
/// When any record fails to save (for instance on a database that already
/// has them).
pub async fn seed(db: &DatabaseConnection) -> AppResult<()> {
    let actor = Actor::system("demo:seed");
    let mut rng = Rng::new(20_230_412);
    let mut towns = Vec::new();
    for (name, code, population, villages) in TOWNSHIPS {
        let t = townships::Model::create(
            db,
            &actor,
            NewTownship::try_from(&TownshipParams {
                name: Some(name.into()),
                code: Some(code.into()),
                population: Some(population.to_string()),
            })?,
        )
        .await?;
        for (i, v) in villages.iter().enumerate() {
            let p = VillageParams {
                township: None,
                name: Some((*v).to_string()),
                code: Some(format!("{}{:03}", &code[..9], 201 + i)),
            };
            villages::Model::create(db, &actor, NewVillage::parse(&p, Some(&t))?).await?;
        }
        towns.push(t);
    }
    let mut orgs = Vec::new();
    for (name, kind, code) in organizations() {
        let o = organizations::Model::create(
            db,
            &actor,
            NewOrganization::try_from(&OrganizationParams {
                name: Some(name),
                kind: Some(kind.into()),
                credit_code: Some(code),
            })?,
        )
        .await?;
        orgs.push(o);
    }
    let sunshine = &orgs[0];
    let yimin = &orgs[1];
    struct Named<'a> {
        name: &'a str,
        email: &'a str,
        role: &'a str,
        org: Option<&'a org_e::Model>,
        towns: &'a [town_e::Model],
        volunteer: bool,
    }
    let person = |name, email, role, org, towns, volunteer| Named {
        name,
        email,
        role,
        org,
        towns,
        volunteer,
    };
    let named = [
        person("李建国", "admin@doudi.test", "admin", None, &[][..], false),
        person(
            "王晓燕",
            "official@doudi.test",
            "official",
            None,
            &towns[..2],
            false,
        ),
        person(
            "赵德明",
            "official2@doudi.test",
            "official",
            None,
            &towns[2..],
            false,
        ),
        person(
            "张敏",
            "coordinator@doudi.test",
            "coordinator",
            Some(sunshine),
            &[][..],
            false,
        ),
        person(
            "陈志强",
            "coordinator2@doudi.test",
            "coordinator",
            Some(yimin),
            &[][..],
            false,
        ),
        person(
            "刘洋",
            "worker@doudi.test",
            "worker",
            Some(sunshine),
            &[][..],
            false,
        ),
        person(
            "周小红",
            "volunteer@doudi.test",
            "worker",
            Some(sunshine),
            &[][..],
            true,
        ),
    ];
    for n in named {
        let mut p = params(n.name, n.email, names::mobile(&mut rng), n.role);
        p.volunteer = Some(n.volunteer.to_string());
        add_user(db, &actor, &p, n.org, n.towns).await?;
    }
    for i in 1..=6 {
        let org = if i % 2 == 0 { yimin } else { sunshine };
        let email = format!("worker{i}@doudi.test");
        let mut p = params(
            &names::person(&mut rng),
            &email,
            names::mobile(&mut rng),
            "worker",
        );
        p.volunteer = Some((i > 4).to_string());
        add_user(db, &actor, &p, Some(org), &[]).await?;
    }
    Ok(())
}

/// Counts of what `perf_seed` wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PerfCounts {
    pub townships: usize,
    pub villages: usize,
    pub organizations: usize,
    pub users: usize,
}

/// Bulk people and places for `size` recipients' worth of work: one
/// township per 2,000 recipients, 12 villages each, one provider per
/// township, one coordinator and one worker per 50 recipients. Rows are
/// inserted in batches; one audit entry records the run.
///
/// # Errors
/// Database errors, or a size of zero.
pub async fn perf_seed(db: &DatabaseConnection, size: usize, seed: u64) -> AppResult<PerfCounts> {
    if size == 0 {
        return Err(AppError::field("size", "error-required"));
    }
    let mut rng = Rng::new(seed);
    let run = uuid::Uuid::new_v4().simple().to_string();
    let tag = &run[..8];
    let tag_number = usize::from_str_radix(&tag[..4], 16).unwrap_or(0);
    let n_towns = size.div_ceil(2000);
    let n_workers = size.div_ceil(50);
    let password = loco_rs::hash::hash_password(DEMO_PASSWORD)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let txn = db.begin().await?;
    let mut town_ids = Vec::with_capacity(n_towns);
    let mut org_ids = Vec::with_capacity(n_towns);
    for t in 0..n_towns {
        let county = 1000 + (tag_number + t / 900) % 9000;
        let town = town_e::ActiveModel {
            name: Set(format!("性能测试{tag}镇{t}")),
            code: Set(format!("51{county:04}{:03}000", 100 + t % 900)),
            population: Set(i64::try_from(20_000 + rng.below(20_000)).unwrap_or(20_000)),
            ..Default::default()
        };
        let town = sea_orm::ActiveModelTrait::insert(town, &txn).await?;
        town_ids.push(town.id);
        let villages: Vec<vil_e::ActiveModel> = (0..12)
            .map(|v| vil_e::ActiveModel {
                pid: Set(uuid::Uuid::new_v4()),
                township_id: Set(town.id),
                name: Set(format!("{}村{v}", names::person(&mut rng))),
                code: Set(None),
                ..Default::default()
            })
            .collect();
        vil_e::Entity::insert_many(villages).exec(&txn).await?;
        let body = format!("52{:06}MJ{:07}", 511_900 + t % 99, rng.below(10_000_000));
        let org = org_e::ActiveModel {
            name: Set(format!("性能测试{tag}社会工作服务中心{t}")),
            kind: Set("social_work".into()),
            credit_code: Set(credit_code(&body[..17])),
            ..Default::default()
        };
        let org = sea_orm::ActiveModelTrait::insert(org, &txn).await?;
        org_ids.push(org.id);
    }
    let mut batch = Vec::with_capacity(500);
    for w in 0..n_workers * 2 {
        let org = org_ids[w % org_ids.len()];
        let role = if w < n_workers {
            "worker"
        } else {
            "coordinator"
        };
        batch.push(user_e::ActiveModel {
            pid: Set(uuid::Uuid::new_v4()),
            api_key: Set(format!("dd-{}", uuid::Uuid::new_v4())),
            email: Set(format!("perf-{tag}-{w}@doudi.test")),
            password: Set(password.clone()),
            name: Set(names::person(&mut rng)),
            phone: Set(Some(names::mobile(&mut rng))),
            role: Set(role.into()),
            organization_id: Set(Some(org)),
            volunteer: Set(w % 5 == 0 && role == "worker"),
            active: Set(true),
            token_version: Set(0),
            ..Default::default()
        });
        if batch.len() == 500 {
            user_e::Entity::insert_many(std::mem::take(&mut batch))
                .exec(&txn)
                .await?;
        }
    }
    if !batch.is_empty() {
        user_e::Entity::insert_many(batch).exec(&txn).await?;
    }
    let counts = PerfCounts {
        townships: n_towns,
        villages: n_towns * 12,
        organizations: n_towns,
        users: n_workers * 2,
    };
    audit_logs::record(
        &txn,
        &Actor::system("perf:seed"),
        Action::Create,
        "perf_seed",
        None,
        &serde_json::json!({ "size": size, "counts": counts }),
    )
    .await?;
    txn.commit().await?;
    Ok(counts)
}

/// Appends `n` realistic update entries to the audit log through the same
/// `record` call as every write (1,000 per transaction), for benchmarks.
///
/// # Errors
/// Database errors.
pub async fn perf_audit(db: &DatabaseConnection, n: usize, seed: u64) -> AppResult<()> {
    let mut rng = Rng::new(seed);
    let actor = Actor::system("perf:seed");
    let mut left = n;
    while left > 0 {
        let batch = left.min(1000);
        let txn = db.begin().await?;
        for _ in 0..batch {
            let before = names::person(&mut rng);
            let after = names::person(&mut rng);
            audit_logs::record(
                &txn,
                &actor,
                Action::Update,
                "users",
                Some(uuid::Uuid::new_v4()),
                &serde_json::json!({ "name": { "before": before, "after": after } }),
            )
            .await?;
        }
        txn.commit().await?;
        left -= batch;
    }
    Ok(())
}
