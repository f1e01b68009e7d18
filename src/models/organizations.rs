pub use super::_entities::organizations::{self, ActiveModel, Column, Entity, Model};
use super::{
    _entities::users,
    audit_logs::{self, Action},
    fetch_page, find_scoped, like_pattern, scoped, Actor,
};
use crate::{
    domain::form::loose,
    domain::{
        credit_code::CreditCode,
        organization_kind::OrganizationKind,
        pagination::{PageInfo, PageRequest},
        text,
    },
    errors::{is_unique_violation, AppError, AppResult, FieldErrors},
    policy::Scope,
};
use sea_orm::{
    entity::prelude::*, sea_query::LikeExpr, ActiveValue::Set, Condition, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};

super::pid_and_timestamps!();

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct OrganizationParams {
    #[serde(default, deserialize_with = "loose")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub credit_code: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewOrganization {
    name: String,
    kind: OrganizationKind,
    credit_code: CreditCode,
}

impl TryFrom<&OrganizationParams> for NewOrganization {
    type Error = AppError;

    fn try_from(p: &OrganizationParams) -> AppResult<Self> {
        let mut e = FieldErrors::new();
        let name = e.take(
            "name",
            text::required(p.name.as_deref().unwrap_or(""), 200),
            |x| x.message_key(),
        );
        let kind = e.take(
            "kind",
            p.kind.as_deref().unwrap_or("").parse::<OrganizationKind>(),
            |_| "error-choose-kind",
        );
        let credit_code = e.take(
            "credit_code",
            CreditCode::parse(p.credit_code.as_deref().unwrap_or("")),
            |x| x.message_key(),
        );
        e.into_result(|| {
            Some(Self {
                name: name?,
                kind: kind?,
                credit_code: credit_code?,
            })
        })
    }
}

fn code_taken(err: DbErr) -> AppError {
    if is_unique_violation(&err) {
        AppError::field("credit_code", "error-code-taken")
    } else {
        err.into()
    }
}

impl Model {
    /// # Errors
    /// Field errors for a duplicate credit code; database errors.
    pub async fn create(
        db: &DatabaseConnection,
        actor: &Actor,
        new: NewOrganization,
    ) -> AppResult<Self> {
        let txn = db.begin().await?;
        let m = ActiveModel {
            name: Set(new.name),
            kind: Set(new.kind.as_str().to_string()),
            credit_code: Set(new.credit_code.as_str().to_string()),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(code_taken)?;
        audit_logs::record_change(
            &txn,
            actor,
            Action::Create,
            "organizations",
            m.pid,
            None,
            Some(&m),
        )
        .await?;
        txn.commit().await?;
        Ok(m)
    }

    /// # Errors
    /// Field errors for a duplicate credit code; database errors.
    pub async fn update(
        self,
        db: &DatabaseConnection,
        actor: &Actor,
        new: NewOrganization,
    ) -> AppResult<Self> {
        let txn = db.begin().await?;
        let mut am: ActiveModel = self.clone().into();
        am.name = Set(new.name);
        am.kind = Set(new.kind.as_str().to_string());
        am.credit_code = Set(new.credit_code.as_str().to_string());
        let m = am.update(&txn).await.map_err(code_taken)?;
        audit_logs::record_change(
            &txn,
            actor,
            Action::Update,
            "organizations",
            m.pid,
            Some(&self),
            Some(&m),
        )
        .await?;
        txn.commit().await?;
        Ok(m)
    }

    /// # Errors
    /// A field error while users still belong to the organisation.
    pub async fn remove(self, db: &DatabaseConnection, actor: &Actor) -> AppResult<()> {
        let txn = db.begin().await?;
        let members = users::Entity::find()
            .filter(users::Column::OrganizationId.eq(self.id))
            .count(&txn)
            .await?;
        if members > 0 {
            return Err(AppError::field("base", "error-in-use"));
        }
        Entity::delete_by_id(self.id).exec(&txn).await?;
        audit_logs::record_change(
            &txn,
            actor,
            Action::Delete,
            "organizations",
            self.pid,
            Some(&self),
            None,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// # Errors
/// `NotFound` when missing or out of scope.
pub async fn load(db: &DatabaseConnection, scope: &Scope, pid: Uuid) -> AppResult<Model> {
    find_scoped(
        db,
        scoped(
            Entity::find().filter(Column::Pid.eq(pid)),
            scope.organizations(),
        ),
    )
    .await
}

/// # Errors
/// `NotFound` for callers who see no organisations.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    kind: Option<OrganizationKind>,
    search: Option<&str>,
    page: PageRequest,
) -> AppResult<(Vec<Model>, PageInfo)> {
    let mut q = scoped(Entity::find(), scope.organizations()).ok_or(AppError::NotFound)?;
    if let Some(k) = kind {
        q = q.filter(Column::Kind.eq(k.as_str()));
    }
    if let Some(term) = search.map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = like_pattern(term);
        q = q.filter(
            Condition::any()
                .add(Column::Name.like(LikeExpr::new(pattern.clone()).escape('\\')))
                .add(Column::CreditCode.like(LikeExpr::new(pattern.to_uppercase()).escape('\\'))),
        );
    }
    fetch_page(db, q.order_by_asc(Column::Name), page).await
}

/// Organisations the caller may see, for select boxes.
///
/// # Errors
/// Database errors.
pub async fn options(db: &DatabaseConnection, scope: &Scope) -> AppResult<Vec<Model>> {
    let Some(q) = scoped(Entity::find(), scope.organizations()) else {
        return Ok(vec![]);
    };
    Ok(q.order_by_asc(Column::Name).limit(500).all(db).await?)
}

/// Creates an organisation from the form or API fields.
///
/// # Errors
/// Field errors; database errors.
pub async fn add(
    db: &DatabaseConnection,
    actor: &Actor,
    p: &OrganizationParams,
) -> AppResult<Model> {
    Model::create(db, actor, NewOrganization::try_from(p)?).await
}

impl Model {
    /// Changes the organisation to the form or API fields.
    ///
    /// # Errors
    /// Field errors; database errors.
    pub async fn change(
        self,
        db: &DatabaseConnection,
        actor: &Actor,
        p: &OrganizationParams,
    ) -> AppResult<Self> {
        self.update(db, actor, NewOrganization::try_from(p)?).await
    }
}
