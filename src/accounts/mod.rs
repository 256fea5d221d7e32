//! People (考生, 企业管理员, 监考员, 管理员) and their roles: registration, staff accounts,
//! look-ups. Owns the `users` and `user_roles` tables; knows nothing of HTTP.

pub mod store;

use crate::{
    AppState,
    domain::{Email, IdDocument, IdType, Password, PersonName, Phone, Role},
    error::{AppError, AppResult},
    password,
};
use chrono::{DateTime, Utc};

/// A person as the service knows them. The ID number stays sealed; `id_number_masked` is
/// what most viewers see.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub id_type: Option<IdType>,
    pub id_number_masked: Option<String>,
    pub id_number_cipher: Option<String>,
    pub enterprise_id: Option<i64>,
    /// The street (街道) the person lives or works in; a street officer's own street.
    pub street_id: Option<i64>,
    pub job_role: Option<String>,
    pub roles: Vec<Role>,
    pub created_at: DateTime<Utc>,
}

/// What a citizen gives when signing up (raw, checked by [`register_citizen`]).
pub struct Registration<'a> {
    pub name: &'a str,
    pub id_type: Option<IdType>,
    pub id_number: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    /// The street the person lives or works in (optional; counts them in its density).
    pub street_id: Option<i64>,
}

/// A staff account made by the bureau (or the command line).
pub struct StaffAccount<'a> {
    pub name: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub id_type: Option<IdType>,
    pub id_number: Option<&'a str>,
    pub roles: &'a [Role],
    pub enterprise_id: Option<i64>,
    /// Required with the `street_officer` role: the street they oversee.
    pub street_id: Option<i64>,
}

/// Checked values ready to store.
pub struct NewUser {
    pub name: PersonName,
    pub phone: Phone,
    pub email: Option<Email>,
    pub id_document: Option<IdDocument>,
    pub password_hash: Option<String>,
    pub enterprise_id: Option<i64>,
    pub street_id: Option<i64>,
    pub job_role: Option<String>,
    pub roles: Vec<Role>,
}

/// 市民注册: every field is checked before anything is written; a duplicate phone, email or
/// ID number is a 409 naming the field.
pub async fn register_citizen(state: &AppState, reg: Registration<'_>) -> AppResult<User> {
    let name = PersonName::parse(reg.name)?;
    let id_document = IdDocument::parse(reg.id_type.unwrap_or(IdType::ResidentId), reg.id_number)?;
    let phone = Phone::parse(reg.phone)?;
    let email = Email::parse(reg.email)?;
    let password = Password::parse(reg.password)?;
    let street_id = match reg.street_id {
        Some(id) => Some(existing_street(state, id).await?),
        None => None,
    };
    let password_hash = password::hash(password).await?;
    let new = NewUser {
        name,
        phone,
        email: Some(email),
        id_document: Some(id_document),
        password_hash: Some(password_hash),
        enterprise_id: None,
        street_id,
        job_role: None,
        roles: vec![Role::Candidate],
    };
    let id = store::insert_user(&state.db, &state.vault, &new, Utc::now()).await?;
    require_user(state, id).await
}

/// Creates a staff account. An enterprise admin must name an existing enterprise.
pub async fn create_staff(state: &AppState, account: StaffAccount<'_>) -> AppResult<User> {
    let name = PersonName::parse(account.name)?;
    let phone = Phone::parse(account.phone)?;
    let email = Email::parse(account.email)?;
    let password = Password::parse(account.password)?;
    if account.roles.is_empty() {
        return Err(AppError::invalid("roles", "give at least one role"));
    }
    let id_document = match account.id_number {
        Some(number) if !number.trim().is_empty() => Some(IdDocument::parse(
            account.id_type.unwrap_or(IdType::ResidentId),
            number,
        )?),
        _ => None,
    };
    let enterprise_id = match (
        account.roles.contains(&Role::EnterpriseAdmin),
        account.enterprise_id,
    ) {
        (true, None) => {
            return Err(AppError::invalid(
                "enterprise_id",
                "an enterprise admin belongs to one enterprise: give its id",
            ));
        }
        (_, Some(id)) => {
            if crate::org::store::enterprise(&state.db, id)
                .await?
                .is_none()
            {
                return Err(AppError::invalid("enterprise_id", "no such enterprise"));
            }
            Some(id)
        }
        (false, None) => None,
    };
    let street_id = match (
        account.roles.contains(&Role::StreetOfficer),
        account.street_id,
    ) {
        (true, None) => {
            return Err(AppError::invalid(
                "street_id",
                "a street officer oversees one street: give its id",
            ));
        }
        (_, Some(id)) => Some(existing_street(state, id).await?),
        (false, None) => None,
    };
    let password_hash = password::hash(password).await?;
    let mut roles = account.roles.to_vec();
    roles.sort();
    roles.dedup();
    let new = NewUser {
        name,
        phone,
        email: Some(email),
        id_document,
        password_hash: Some(password_hash),
        enterprise_id,
        street_id,
        job_role: None,
        roles,
    };
    let id = store::insert_user(&state.db, &state.vault, &new, Utc::now()).await?;
    require_user(state, id).await
}

/// The outcome of `safecert admin create`.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminCreated {
    Created(i64),
    /// A user with that phone exists already: nothing changed.
    AlreadyExists(i64),
}

/// Makes a bureau admin unless the phone is known (then changes nothing).
pub async fn create_bureau_admin(
    state: &AppState,
    name: &str,
    phone: &str,
    email: &str,
    password: &str,
) -> AppResult<AdminCreated> {
    let checked_phone = Phone::parse(phone)?;
    if let Some(existing) = store::user_id_by_phone(&state.db, checked_phone.as_str()).await? {
        return Ok(AdminCreated::AlreadyExists(existing));
    }
    let user = create_staff(
        state,
        StaffAccount {
            name,
            phone,
            email,
            password,
            id_type: None,
            id_number: None,
            roles: &[Role::BureauAdmin],
            enterprise_id: None,
            street_id: None,
        },
    )
    .await?;
    Ok(AdminCreated::Created(user.id))
}

/// `id` when such a street exists, else a 422 on `street_id`.
async fn existing_street(state: &AppState, id: i64) -> AppResult<i64> {
    match crate::org::store::street(&state.db, id).await? {
        Some(_) => Ok(id),
        None => Err(AppError::invalid("street_id", "no such street")),
    }
}

pub async fn require_user(state: &AppState, id: i64) -> AppResult<User> {
    store::user(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("user_not_found", "no such user"))
}

/// People found by what a clerk has: a mobile number, an ID number (any kind of document),
/// or an exact name; at most 50.
pub async fn search(state: &AppState, query: &str) -> AppResult<Vec<User>> {
    let query = query.trim();
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids = Vec::new();
    if let Some(id) = store::user_id_by_phone(&state.db, query).await? {
        ids.push(id);
    }
    for kind in [
        IdType::ResidentId,
        IdType::GatResidencePermit,
        IdType::ForeignPermanentResidence,
        IdType::Passport,
    ] {
        if let Ok(doc) = IdDocument::parse(kind, query) {
            let hash = state.vault.lookup_hash(doc.id_type(), doc.number());
            ids.extend(store::user_id_by_id_hash(&state.db, &hash).await?);
        }
    }
    ids.extend(store::users_named(&state.db, query, 50).await?);
    ids.sort_unstable();
    ids.dedup();
    let mut people = Vec::with_capacity(ids.len());
    for id in ids.into_iter().take(50) {
        people.extend(store::user(&state.db, id).await?);
    }
    Ok(people)
}

/// The bureau ties a person to an enterprise (its staff), so the enterprise's admin enrols
/// them and sees their certificates.
pub async fn link_enterprise(
    state: &AppState,
    user_id: i64,
    enterprise_id: i64,
) -> AppResult<User> {
    crate::org::store::enterprise(&state.db, enterprise_id)
        .await?
        .ok_or_else(|| AppError::invalid("enterprise_id", "no such enterprise"))?;
    if !store::set_enterprise(&state.db, user_id, Some(enterprise_id)).await? {
        return Err(AppError::not_found("user_not_found", "no such user"));
    }
    require_user(state, user_id).await
}

/// Finds a person by ID number through its keyed hash (no table scan, no decryption).
pub async fn find_by_id_number(
    state: &AppState,
    id_type: IdType,
    number: &str,
) -> AppResult<Option<User>> {
    let doc = IdDocument::parse(id_type, number)?;
    let hash = state.vault.lookup_hash(doc.id_type(), doc.number());
    match store::user_id_by_id_hash(&state.db, &hash).await? {
        Some(id) => store::user(&state.db, id).await.map_err(Into::into),
        None => Ok(None),
    }
}
