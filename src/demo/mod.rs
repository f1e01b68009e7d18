//! Demo data for development and benchmarks. `seed` builds the demo county
//! (3 townships, 12 villages, 2 providers, 1 charity, one account per role
//! and a few more workers), through the same audited model methods as the
//! pages. `perf_seed` bulk-generates people and places at benchmark scale.
mod contracts;
pub mod names;
mod perf_visits;
mod schedule;
pub use contracts::seed_contracts;
pub use perf_visits::perf_visits;
pub use schedule::seed_schedule;

/// What development adds to the demo county: the plans and their coming
/// visits, and two contracts with three months of history.
///
/// # Errors
/// Database errors; demo data that does not validate.
pub async fn seed_story(
    db: &sea_orm::DatabaseConnection,
    horizon: chrono::Duration,
) -> crate::errors::AppResult<()> {
    seed_schedule(db, horizon).await?;
    seed_contracts(db).await?;
    Ok(())
}

use crate::{
    domain::credit_code::check_character,
    domain::{
        name_search::search_key,
        recipient::{AssistanceStatus, CareTag, DisabilityType},
        resident_id::ResidentId,
    },
    errors::{AppError, AppResult},
    models::{
        _entities::{
            organizations as org_e, townships as town_e, users as user_e, villages as vil_e,
        },
        audit_logs::{self, Action},
        households::{self as households_m, NewHousehold},
        organizations::{self, NewOrganization, OrganizationParams},
        recipients::{
            self as recipients_m, Consent, ConsentRelation, HouseholdChoice, RecipientFields,
        },
        townships::{self, NewTownship, TownshipParams},
        users::{self, NewUser, UserParams, UserRefs},
        villages::{self, NewVillage, VillageParams},
        Actor,
    },
    vault::Vault,
};
use chrono::NaiveDate;
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
pub async fn seed(db: &DatabaseConnection, vault: &Vault) -> AppResult<()> {
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
    seed_recipients(db, vault, &actor, &mut rng, &towns, sunshine.id, yimin.id).await?;
    contracts::seed_base_contracts(db).await
}

/// One demo person: name, male?, birth date, relation, disability, tags,
/// needs.
type DemoMember = (
    &'static str,
    bool,
    &'static str,
    &'static str,
    Option<(i64, DisabilityType)>,
    &'static [CareTag],
    &'static str,
);

/// One demo household: who lives there and what the household receives.
struct DemoHousehold {
    assistance: AssistanceStatus,
    members: &'static [DemoMember],
}

const DEMO_HOUSEHOLDS: [DemoHousehold; 8] = [
    DemoHousehold {
        assistance: AssistanceStatus::Tekun,
        members: &[(
            "单秀英",
            false,
            "1941-03-08",
            "本人",
            None,
            &[CareTag::LivesAlone, CareTag::LimitedMobility],
            "独居，行走需扶，每周需代购生活用品。",
        )],
    },
    DemoHousehold {
        assistance: AssistanceStatus::Dibao,
        members: &[
            (
                "曾德明",
                true,
                "1950-07-21",
                "本人",
                Some((2, DisabilityType::Physical)),
                &[CareTag::ChronicIllness],
                "高血压，需定期测量血压。",
            ),
            (
                "吕桂英",
                false,
                "1953-11-02",
                "配偶",
                None,
                &[CareTag::Dementia],
                "轻度认知障碍，白天需有人陪伴。",
            ),
        ],
    },
    DemoHousehold {
        assistance: AssistanceStatus::Dibao,
        members: &[
            ("张玉兰", false, "1958-05-14", "祖母", None, &[], ""),
            (
                "张小雨",
                false,
                "2015-09-03",
                "孙女",
                None,
                &[CareTag::LeftBehind],
                "父母在外务工，需学业辅导和心理关爱。",
            ),
        ],
    },
    DemoHousehold {
        assistance: AssistanceStatus::LowIncome,
        members: &[(
            "李长林",
            true,
            "1979-12-30",
            "本人",
            Some((1, DisabilityType::Intellectual)),
            &[CareTag::Bedridden],
            "长期卧床，需协助翻身和清洁。",
        )],
    },
    DemoHousehold {
        assistance: AssistanceStatus::Tekun,
        members: &[(
            "王光荣",
            true,
            "1938-01-17",
            "本人",
            Some((3, DisabilityType::Hearing)),
            &[CareTag::LivesAlone, CareTag::HearingImpaired],
            "听力差，上门时请大声说话或写字。",
        )],
    },
    DemoHousehold {
        assistance: AssistanceStatus::Dibao,
        members: &[
            (
                "刘建华",
                true,
                "1962-04-09",
                "本人",
                Some((2, DisabilityType::Mental)),
                &[],
                "按时服药，情绪需关注。",
            ),
            ("刘洋洋", true, "2011-06-25", "儿子", None, &[], ""),
        ],
    },
    DemoHousehold {
        assistance: AssistanceStatus::None,
        members: &[(
            "何淑珍",
            false,
            "1946-08-19",
            "本人",
            None,
            &[CareTag::LivesAlone],
            "子女在外地。",
        )],
    },
    DemoHousehold {
        assistance: AssistanceStatus::Dibao,
        members: &[(
            "罗春兰",
            false,
            "1955-02-28",
            "本人",
            Some((4, DisabilityType::Visual)),
            &[CareTag::LimitedMobility],
            "视力弱，夜间出行不便。",
        )],
    },
];

/// Demo households and recipients: the first six registered by the
/// Sunshine centre in 曾口镇 and 清江镇, the last two by Yimin in 水宁寺镇.
async fn seed_recipients(
    db: &DatabaseConnection,
    vault: &Vault,
    actor: &Actor,
    rng: &mut Rng,
    towns: &[town_e::Model],
    sunshine: i64,
    yimin: i64,
) -> AppResult<()> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let today = crate::models::today();
    for (i, h) in DEMO_HOUSEHOLDS.iter().enumerate() {
        let (town, org) = match i {
            0..=3 => (&towns[0], sunshine),
            4..=5 => (&towns[1], sunshine),
            _ => (&towns[2], yimin),
        };
        let village_list = vil_e::Entity::find()
            .filter(vil_e::Column::TownshipId.eq(town.id))
            .order_by_asc(vil_e::Column::Id)
            .all(db)
            .await?;
        let village = &village_list[i % village_list.len()];
        let new_household = NewHousehold {
            township_id: town.id,
            village_id: village.id,
            organization_id: Some(org),
            address: names::address(rng, &village.name),
            phone: Some(names::mobile(rng)),
            assistance_status: h.assistance,
            status_since: NaiveDate::from_ymd_opt(2022 + (i as i32 % 3), 1 + (i as u32 % 12), 1),
            status_until: None,
        };
        let household = households_m::Model::create(db, actor, new_household).await?;
        let guardian = h.members.first().map(|m| m.0.to_string());
        for (j, (name, male, birth, relation, disability, tags, needs)) in
            h.members.iter().enumerate()
        {
            let birth = NaiveDate::parse_from_str(birth, "%Y-%m-%d")
                .map_err(|e| AppError::Internal(e.to_string()))?;
            let seq = u32::try_from(100 + i * 10 + j).unwrap_or(101) * 2 + u32::from(*male);
            let id = ResidentId::parse(&names::resident_id(birth, seq))
                .map_err(|e| AppError::Internal(e.to_string()))?;
            let child = crate::domain::resident_id::age_on(birth, today) < 18;
            let fields = RecipientFields {
                name: (*name).to_string(),
                id,
                relation: Some((*relation).to_string()),
                phone: if child {
                    None
                } else {
                    Some(names::mobile(rng))
                },
                disability: *disability,
                guardian_name: if child {
                    guardian.clone()
                } else {
                    Some(names::person(rng))
                },
                guardian_phone: Some(names::mobile(rng)),
                guardian_relation: Some(if child { "监护人" } else { "子女" }.to_string()),
                care_needs: Some((*needs).to_string()).filter(|s| !s.is_empty()),
                care_tags: tags.to_vec(),
                location: Some((
                    f64::from(318_500 + u32::try_from(rng.below(2000)).unwrap_or(0)) / 10_000.0,
                    f64::from(1_067_500 + u32::try_from(rng.below(2000)).unwrap_or(0)) / 10_000.0,
                )),
                consent: Some(Consent {
                    by: if child {
                        guardian.clone().unwrap_or_default()
                    } else {
                        (*name).to_string()
                    },
                    relation: if child {
                        ConsentRelation::Guardian
                    } else {
                        ConsentRelation::Own
                    },
                    on: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or(today),
                }),
            };
            recipients_m::Model::register(
                db,
                actor,
                vault,
                HouseholdChoice::Existing(household.clone()),
                fields,
                Some(org),
                today,
            )
            .await?;
        }
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
    pub recipients: usize,
}

/// Bulk people and places for `size` recipients' worth of work: one
/// township per 2,000 recipients, 12 villages each, one provider per
/// township, one coordinator and one worker per 50 recipients. Rows are
/// inserted in batches; one audit entry records the run.
///
/// # Errors
/// Database errors, or a size of zero.
pub async fn perf_seed(
    db: &DatabaseConnection,
    vault: &Vault,
    size: usize,
    seed: u64,
) -> AppResult<PerfCounts> {
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
    let recipients = perf_recipients(&txn, vault, &mut rng, size, &town_ids, &org_ids).await?;
    let counts = PerfCounts {
        townships: n_towns,
        villages: n_towns * 12,
        organizations: n_towns,
        users: n_workers * 2,
        recipients,
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

/// `size` recipients in households of one to three, spread over the
/// townships (2,000 each) and their villages, registered by each
/// township's provider: 70% elderly, 15% minors, 15% disabled adults.
async fn perf_recipients<C: sea_orm::ConnectionTrait>(
    db: &C,
    vault: &Vault,
    rng: &mut Rng,
    size: usize,
    town_ids: &[i64],
    org_ids: &[i64],
) -> AppResult<usize> {
    use crate::models::_entities::{households as hh_e, recipients as rc_e};
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let today = crate::models::today();
    let base = NaiveDate::from_ymd_opt(1930, 1, 1).unwrap_or(today);
    let mut made = 0usize;
    let mut seq: u32 = u32::try_from(rng.below(500)).unwrap_or(0);
    // A region code per run, so that two runs rarely share numbers; a set
    // keeps numbers unique within the run.
    let region = format!("51{:04}", 1000 + rng.below(9000));
    let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (t, town) in town_ids.iter().enumerate() {
        let villages = vil_e::Entity::find()
            .filter(vil_e::Column::TownshipId.eq(*town))
            .order_by_asc(vil_e::Column::Id)
            .all(db)
            .await?;
        let in_town = (size - made).min(2000);
        let mut left = in_town;
        while left > 0 {
            // Households of up to 500 people at a time.
            let mut homes: Vec<(uuid::Uuid, hh_e::ActiveModel, usize)> = Vec::new();
            let mut people = 0usize;
            while people < 500.min(left) {
                let n = (1 + rng.below(3)).min(left - people);
                let village = rng.pick(&villages);
                let pid = uuid::Uuid::new_v4();
                homes.push((
                    pid,
                    hh_e::ActiveModel {
                        pid: Set(pid),
                        township_id: Set(*town),
                        village_id: Set(village.id),
                        organization_id: Set(Some(org_ids[t])),
                        address: Set(names::address(rng, &village.name)),
                        phone: Set(Some(names::mobile(rng))),
                        assistance_status: Set(rng
                            .pick(&["dibao", "dibao", "tekun", "low_income", "none"])
                            .to_string()),
                        ..Default::default()
                    },
                    n,
                ));
                people += n;
            }
            let pids: Vec<uuid::Uuid> = homes.iter().map(|(p, _, _)| *p).collect();
            hh_e::Entity::insert_many(homes.iter().map(|(_, h, _)| h.clone()))
                .exec(db)
                .await?;
            let stored: std::collections::HashMap<uuid::Uuid, hh_e::Model> = hh_e::Entity::find()
                .filter(hh_e::Column::Pid.is_in(pids))
                .all(db)
                .await?
                .into_iter()
                .map(|h| (h.pid, h))
                .collect();
            let mut batch = Vec::with_capacity(people);
            for (pid, _, members) in &homes {
                let Some(home) = stored.get(pid) else {
                    continue;
                };
                for m in 0..*members {
                    let kind = rng.below(100);
                    let birth = if kind < 70 {
                        base + chrono::Duration::days(
                            i64::try_from(rng.below(365 * 36)).unwrap_or(0),
                        )
                    } else if kind < 85 {
                        today
                            - chrono::Duration::days(
                                i64::try_from(365 + rng.below(365 * 16)).unwrap_or(365),
                            )
                    } else {
                        base + chrono::Duration::days(
                            i64::try_from(365 * 36 + rng.below(365 * 40)).unwrap_or(0),
                        )
                    };
                    let id = loop {
                        seq = seq.wrapping_add(1);
                        let raw = names::resident_id_in(&region, birth, seq);
                        if taken.insert(raw.clone()) {
                            break ResidentId::parse(&raw);
                        }
                    };
                    let Ok(id) = id else { continue };
                    let name = names::person(rng);
                    let disabled = kind >= 85 || rng.below(10) == 0;
                    batch.push(rc_e::ActiveModel {
                        pid: Set(uuid::Uuid::new_v4()),
                        household_id: Set(home.id),
                        township_id: Set(home.township_id),
                        village_id: Set(home.village_id),
                        organization_id: Set(home.organization_id),
                        name_key: Set(search_key(&name)),
                        name: Set(name),
                        gender: Set(id.gender().as_str().to_string()),
                        birth_date: Set(birth),
                        id_sealed: Set(vault.seal(&id)),
                        id_hash: Set(vault.lookup_hash(&id)),
                        id_masked: Set(id.masked()),
                        id_last4: Set(id.last4().to_string()),
                        relation: Set(Some(if m == 0 { "本人" } else { "家庭成员" }.to_string())),
                        phone: Set(Some(names::mobile(rng))),
                        disability_level: Set(
                            disabled.then(|| i64::try_from(1 + rng.below(4)).unwrap_or(1))
                        ),
                        disability_type: Set(
                            disabled.then(|| rng.pick(DisabilityType::ALL).as_str().to_string())
                        ),
                        guardian_name: Set(Some(names::person(rng))),
                        guardian_phone: Set(Some(names::mobile(rng))),
                        guardian_relation: Set(Some("子女".to_string())),
                        care_needs: Set(None),
                        care_tags: Set(if rng.below(3) == 0 {
                            ",lives_alone,".to_string()
                        } else {
                            String::new()
                        }),
                        latitude: Set(None),
                        longitude: Set(None),
                        consent_by: Set(None),
                        consent_relation: Set(None),
                        consent_on: Set(None),
                        status: Set("active".to_string()),
                        status_reason: Set(None),
                        status_on: Set(today),
                        roster: Set(None),
                        ..Default::default()
                    });
                }
            }
            let n = batch.len();
            for chunk in batch.chunks(250) {
                rc_e::Entity::insert_many(chunk.to_vec()).exec(db).await?;
            }
            made += n;
            left = left.saturating_sub(people);
        }
    }
    Ok(made)
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
