//! What a viewer is shown of a person: the one place that applies
//! `domain::privacy` to a recipient and their household. Every page, API
//! answer, export, PDF, calendar feed and board builds its person fields
//! from a `PersonView` (or, for a bare name, [`PersonView::name_for`]).
use crate::{
    domain::{
        privacy::{self, Datum, Shown},
        recipient::CareTag,
        role::Role,
    },
    models::_entities::{households, recipients},
    policy::Scope,
};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
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
