//! What a viewer is shown of a person: the one place that applies
//! `domain::privacy` to a recipient and their household. Every page, API
//! answer, export, PDF, calendar feed and board builds its person fields
//! from a `PersonView` (or, for a bare name, [`PersonView::name_for`]).
use crate::{
    domain::visit::VisitStatus,
    domain::{
        privacy::{self, Datum, Shown},
        recipient::CareTag,
        role::Role,
    },
    errors::AppResult,
    models::{
        _entities::{households, recipients, visits},
        ad_hoc_visits,
    },
    policy::Scope,
};
use chrono::{Datelike, NaiveDate};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use std::collections::HashSet;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct PersonView {
    /// Only when the viewer may open the person's record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<Uuid>,
    pub name: String,
    /// Masked (`5119**************`); absent for workers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// Never the whole date without a reveal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_year: Option<i32>,
    /// The age they reach this year (`today.year - birth_year`): stable all
    /// year, so it gives no birthday away.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_this_year: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardian_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardian_phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub care_needs: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub care_tags: Vec<&'static str>,
}

/// Where the person is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// In the viewer's registry scope (`policy::Scope::recipients`), or
    /// any list, plan, calendar or board.
    Elsewhere,
    /// The page or day card of a visit assigned to the viewer, on a day
    /// `privacy::at_the_door` allows.
    AtTheDoor,
}

impl PersonView {
    /// Builds what `scope` is shown of `r` at `place`. `openable` says
    /// whether the viewer may open the person's record (a link).
    #[must_use]
    pub fn new(
        scope: &Scope,
        r: &recipients::Model,
        household: Option<&households::Model>,
        place: Place,
        openable: bool,
        today: NaiveDate,
    ) -> Self {
        let role = scope.role();
        let door = place == Place::AtTheDoor;
        let show = |d: Datum| privacy::shown(role, d, door);
        let whole =
            |d: Datum, v: Option<&String>| (show(d) == Shown::Whole).then(|| v.cloned()).flatten();
        let year = r.birth_date.year();
        let born = show(Datum::BirthDate) != Shown::Hidden;
        Self {
            pid: openable.then_some(r.pid),
            name: Self::name_for(role, &r.name, door),
            id_number: match show(Datum::IdNumber) {
                Shown::Hidden => None,
                _ => Some(r.id_masked.clone()),
            },
            birth_year: born.then_some(year),
            age_this_year: born.then_some(today.year() - year),
            gender: (show(Datum::Gender) != Shown::Hidden).then(|| r.gender.clone()),
            address: whole(Datum::Address, household.map(|h| &h.address)),
            phone: whole(
                Datum::Phone,
                r.phone
                    .as_ref()
                    .or(household.and_then(|h| h.phone.as_ref())),
            ),
            guardian_name: whole(Datum::Guardian, r.guardian_name.as_ref()),
            guardian_phone: whole(Datum::Guardian, r.guardian_phone.as_ref()),
            care_needs: whole(Datum::CareNeeds, r.care_needs.as_ref()),
            care_tags: if show(Datum::CareNeeds) == Shown::Whole {
                CareTag::ALL
                    .iter()
                    .filter(|t| r.care_tags.contains(&format!(",{},", t.as_str())))
                    .map(|t| t.as_str())
                    .collect()
            } else {
                Vec::new()
            },
        }
    }

    /// The view reduced to the name it shows (someone outside the viewer's
    /// registry, not at the door).
    #[must_use]
    pub fn name_only(self) -> Self {
        Self {
            pid: None,
            name: self.name,
            id_number: None,
            birth_year: None,
            age_this_year: None,
            gender: None,
            address: None,
            phone: None,
            guardian_name: None,
            guardian_phone: None,
            care_needs: None,
            care_tags: Vec::new(),
        }
    }

    /// A person's name as `role` may see it at that place: whole, or 单**.
    #[must_use]
    pub fn name_for(role: Role, name: &str, at_the_door: bool) -> String {
        match privacy::shown(role, Datum::Name, at_the_door) {
            Shown::Whole => name.to_string(),
            Shown::Masked | Shown::Hidden => privacy::mask_name(name),
        }
    }
}

/// Where the viewer (`scope`) sees the person of `visit` on `today`: at
/// the door when they are a worker (`Scope::role`), the visit is assigned
/// to them, it is not cancelled, and its day (display zone) is within
/// `privacy::at_the_door`; anywhere else for everyone and everything else.
/// An ad-hoc visit is at the door only for someone in `planned`
/// ([`door_people`]): the worker's planned visits at the door.
#[must_use]
pub fn place_of(
    scope: &Scope,
    visit: &visits::Model,
    today: NaiveDate,
    planned: &HashSet<i64>,
) -> Place {
    let day = visit
        .starts_at
        .with_timezone(&crate::zone::display())
        .date_naive();
    if scope.role() == Role::Worker
        && visit.worker_id == Some(scope.user_id)
        && visit.status() != VisitStatus::Cancelled
        && (visit.plan_id.is_some() || visit.recipient_id.is_some_and(|r| planned.contains(&r)))
        && privacy::at_the_door(day, today)
    {
        Place::AtTheDoor
    } else {
        Place::Elsewhere
    }
}

/// The people a worker's planned visits take to the door today (empty for
/// other roles), for [`place_of`].
///
/// # Errors
/// Database errors.
pub async fn door_people(
    db: &DatabaseConnection,
    scope: &Scope,
    today: NaiveDate,
) -> AppResult<HashSet<i64>> {
    if scope.role() == Role::Worker {
        ad_hoc_visits::at_the_door(db, scope.user_id, today).await
    } else {
        Ok(HashSet::new())
    }
}

/// [`place_of`] for one visit, loading the worker's planned people only
/// when the visit is ad hoc.
///
/// # Errors
/// Database errors.
pub async fn place_of_visit(
    db: &DatabaseConnection,
    scope: &Scope,
    visit: &visits::Model,
    today: NaiveDate,
) -> AppResult<Place> {
    let planned = if visit.plan_id.is_none() {
        door_people(db, scope, today).await?
    } else {
        HashSet::new()
    };
    Ok(place_of(scope, visit, today, &planned))
}

/// What the viewer is shown of `person` (a visit's) at `place`: someone
/// the viewer may not open (`openable`: `models::recipients::visible_ids`;
/// a provider's people after its grace period) who is not at the door is
/// shown by name only, except to `keep_for_workers` lists (the board shows
/// workers their masked view, which is already reduced).
#[must_use]
pub fn person_at(
    scope: &Scope,
    person: &recipients::Model,
    home: Option<&households::Model>,
    place: Place,
    today: NaiveDate,
    (keep_for_workers, openable): (bool, bool),
) -> PersonView {
    let view = PersonView::new(scope, person, home, place, openable, today);
    if openable || place == Place::AtTheDoor || (keep_for_workers && scope.role() == Role::Worker) {
        view
    } else {
        view.name_only()
    }
}

/// The address and phone of a whole household's visit, as the viewer may
/// see them at `place` (the same rule as a person's: `privacy::shown`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct HouseholdContact {
    pub address: Option<String>,
    pub phone: Option<String>,
}

impl HouseholdContact {
    #[must_use]
    pub fn new(scope: &Scope, h: &households::Model, place: Place) -> Self {
        let door = place == Place::AtTheDoor;
        let whole = |d: Datum| privacy::shown(scope.role(), d, door) == Shown::Whole;
        Self {
            address: whole(Datum::Address).then(|| h.address.clone()),
            phone: if whole(Datum::Phone) {
                h.phone.clone()
            } else {
                None
            },
        }
    }
}
