//! A worker's private calendar feed: a secret token in the URL that phone
//! calendars subscribe to, rotated or revoked by its owner. The feed shows
//! visit times, the recipient's masked name and village; never an ID
//! number or a phone.
use super::{
    _entities::{recipients, users, villages, visits},
    audit_logs::{self, Action},
    Actor,
};
use crate::domain::visit::VisitStatus;
use crate::{
    domain::{ical::Event, role::Role},
    errors::AppResult,
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{entity::prelude::*, ActiveValue::Set, QueryOrder, QuerySelect, TransactionTrait};
use std::collections::HashMap;

/// Gives `user` a new feed token (the old URL stops working). Only its
/// SHA-256 is kept; the token returned here is shown to its owner once.
///
/// # Errors
/// Database errors.
pub async fn rotate(
    db: &DatabaseConnection,
    actor: &Actor,
    user: users::Model,
) -> AppResult<String> {
    let token = hex::encode(rand::random::<[u8; 24]>());
    set(db, actor, user, Some(token_hash(&token))).await?;
    Ok(token)
}

/// What is stored for a feed token: its SHA-256, in hex.
#[must_use]
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Turns the feed off.
///
/// # Errors
/// Database errors.
pub async fn revoke(db: &DatabaseConnection, actor: &Actor, user: users::Model) -> AppResult<()> {
    set(db, actor, user, None).await
}

async fn set(
    db: &DatabaseConnection,
    actor: &Actor,
    user: users::Model,
    token: Option<String>,
) -> AppResult<()> {
    let txn = db.begin().await?;
    let before = user.clone();
    let mut am: users::ActiveModel = user.into();
    am.calendar_token = Set(token);
    let after = am.update(&txn).await?;
    audit_logs::record_change(
        &txn,
        actor,
        Action::Update,
        "users",
        after.pid,
        Some(&before),
        Some(&after),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The feed of the token's owner (an active user): visits assigned to
/// them from 30 days ago to 90 days ahead. `None` for an unknown token.
///
/// # Errors
/// Database errors.
pub async fn feed(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
    label: &str,
) -> AppResult<Option<Vec<Event>>> {
    if token.len() < 32 {
        return Ok(None);
    }
    let Some(user) = users::Entity::find()
        .filter(users::Column::CalendarToken.eq(token_hash(token)))
        .filter(users::Column::Active.eq(true))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let from = DateTime::<chrono::FixedOffset>::from(now - Duration::days(30));
    let to = DateTime::<chrono::FixedOffset>::from(now + Duration::days(90));
    let rows = visits::Entity::find()
        .filter(visits::Column::WorkerId.eq(user.id))
        .filter(visits::Column::StartsAt.gte(from))
        .filter(visits::Column::StartsAt.lt(to))
        .order_by_asc(visits::Column::StartsAt)
        .limit(2000)
        .all(db)
        .await?;
    let rids: Vec<i64> = rows.iter().filter_map(|v| v.recipient_id).collect();
    let names: HashMap<i64, (String, i64)> = recipients::Entity::find()
        .select_only()
        .column(recipients::Column::Id)
        .column(recipients::Column::Name)
        .column(recipients::Column::VillageId)
        .filter(recipients::Column::Id.is_in(rids))
        .into_tuple::<(i64, String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, n, v)| (id, (n, v)))
        .collect();
    let vids: Vec<i64> = names.values().map(|(_, v)| *v).collect();
    let village_names: HashMap<i64, String> = villages::Entity::find()
        .filter(villages::Column::Id.is_in(vids))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    Ok(Some(
        rows.iter()
            .map(|v| {
                let (name, village) = v
                    .recipient_id
                    .and_then(|r| names.get(&r))
                    .map(|(n, vid)| {
                        (
                            // A feed is never the door: masked.
                            crate::views::person::PersonView::name_for(Role::Worker, n, false),
                            village_names.get(vid).cloned().unwrap_or_default(),
                        )
                    })
                    .unwrap_or_default();
                Event {
                    uid: format!("{}@doudi", v.pid),
                    start: v.starts_at.with_timezone(&Utc),
                    end: v.ends_at.with_timezone(&Utc),
                    summary: format!("{label} {name}").trim().to_string(),
                    location: village,
                    cancelled: v.status() == VisitStatus::Cancelled,
                }
            })
            .collect(),
    ))
}
