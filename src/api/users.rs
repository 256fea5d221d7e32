//! People, as the bureau and enterprise admins see them. What a viewer sees of the ID
//! number depends on who they are: whole for the bureau, masked for everyone else.

use crate::{
    AppState,
    accounts::{self, StaffAccount, User},
    api::{
        ApiTags,
        error::{ApiError, ApiResult},
        page::{Page, window},
        security::{BearerAuth, BureauAuth},
    },
    auth::Caller,
    domain::{IdType, Role},
    error::AppError,
};
use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

pub struct UsersApi {
    pub state: AppState,
}

/// Who is looking, which decides how much of a person they see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Themselves,
    Bureau,
    EnterpriseAdmin,
}

impl Viewer {
    fn of(caller: &Caller, user: &User) -> Option<Self> {
        if caller.is_bureau() {
            Some(Viewer::Bureau)
        } else if caller.user_id == user.id {
            Some(Viewer::Themselves)
        } else if crate::access::sees_person(caller, user.id, [user.enterprise_id]) {
            Some(Viewer::EnterpriseAdmin)
        } else {
            None
        }
    }
}

/// A person.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UserView {
    pub id: i64,
    pub name: String,
    pub id_type: Option<IdType>,
    /// Masked (e.g. `4403**********123X`) except for the bureau.
    pub id_number: Option<String>,
    pub phone: String,
    pub email: Option<String>,
    pub roles: Vec<Role>,
    /// The enterprise an enterprise admin or enrolled staff member belongs to.
    pub enterprise_id: Option<i64>,
    /// The street (街道) the person lives or works in; a street officer's own street.
    pub street_id: Option<i64>,
    pub job_role: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl UserView {
    pub fn of(state: &AppState, user: &User, viewer: Viewer) -> Self {
        let id_number = match (viewer, &user.id_number_cipher) {
            (Viewer::Bureau, Some(cipher)) => match state.vault.open(cipher) {
                Ok(number) => Some(number),
                Err(err) => {
                    tracing::error!(user_id = user.id, error = %err, "ID number does not decrypt");
                    user.id_number_masked.clone()
                }
            },
            _ => user.id_number_masked.clone(),
        };
        Self {
            id: user.id,
            name: user.name.clone(),
            id_type: user.id_type,
            id_number,
            phone: user.phone.clone(),
            email: user.email.clone(),
            roles: user.roles.clone(),
            enterprise_id: user.enterprise_id,
            street_id: user.street_id,
            job_role: user.job_role.clone(),
            created_at: user.created_at,
        }
    }
}

/// A staff account made by the bureau: proctors, enterprise admins, more bureau admins.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreateUserRequest {
    #[oai(validator(max_length = 50, pattern = r"\S"))]
    pub name: String,
    #[oai(validator(pattern = r"^[\s-]*(\+86)?[\s-]*1[\s-]*[3-9]([\s-]*[0-9]){9}[\s-]*$"))]
    pub phone: String,
    #[oai(validator(max_length = 254, pattern = r"^\s*[^@\s]+@[^@\s.]+(\.[^@\s.]+)+\s*$"))]
    pub email: String,
    #[oai(write_only)]
    #[oai(validator(min_length = 8, max_length = 128))]
    pub password: String,
    #[oai(validator(min_items = 1))]
    pub roles: Vec<Role>,
    /// Required with the `enterprise_admin` role.
    pub enterprise_id: Option<i64>,
    /// Required with the `street_officer` role: the street (街道) they oversee.
    pub street_id: Option<i64>,
    pub id_type: Option<IdType>,
    #[oai(validator(pattern = r"^[\sA-Za-z0-9]*[A-Za-z0-9][\sA-Za-z0-9]*$"))]
    pub id_number: Option<String>,
}

#[derive(ApiResponse)]
pub enum CreateUserResponse {
    #[oai(status = 201)]
    Created(Json<UserView>),
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Users")]
impl UsersApi {
    /// Create a staff account (bureau_admin).
    #[oai(path = "/users", method = "post")]
    async fn create(
        &self,
        auth: BureauAuth,
        body: Json<CreateUserRequest>,
    ) -> ApiResult<CreateUserResponse> {
        let user = accounts::create_staff(
            &self.state,
            StaffAccount {
                name: &body.name,
                phone: &body.phone,
                email: &body.email,
                password: &body.password,
                id_type: body.id_type,
                id_number: body.id_number.as_deref(),
                roles: &body.roles,
                enterprise_id: body.enterprise_id,
                street_id: body.street_id,
            },
        )
        .await?;
        tracing::info!(
            by = auth.0.user_id,
            user_id = user.id,
            "staff account created"
        );
        Ok(CreateUserResponse::Created(Json(UserView::of(
            &self.state,
            &user,
            Viewer::Bureau,
        ))))
    }

    /// People: all for the bureau, their own staff for an enterprise admin. With
    /// `id_number` the bureau finds one person by ID number.
    #[oai(path = "/users", method = "get")]
    async fn list(
        &self,
        auth: BearerAuth,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
        id_number: Query<Option<String>>,
        id_type: Query<Option<IdType>>,
    ) -> ApiResult<Json<Page<UserView>>> {
        let caller = auth.0;
        caller.require_any(&[Role::BureauAdmin, Role::EnterpriseAdmin])?;
        let viewer = if caller.is_bureau() {
            Viewer::Bureau
        } else {
            Viewer::EnterpriseAdmin
        };
        if let Some(number) = id_number.0.as_deref() {
            if !caller.is_bureau() {
                return Err(
                    AppError::forbidden("only the bureau looks people up by ID number").into(),
                );
            }
            let found = accounts::find_by_id_number(
                &self.state,
                id_type.0.unwrap_or(IdType::ResidentId),
                number,
            )
            .await?;
            let items: Vec<UserView> = found
                .iter()
                .map(|u| UserView::of(&self.state, u, viewer))
                .collect();
            let total = items.len() as i64;
            return Ok(Json(Page { items, total }));
        }
        let scope = match crate::access::scope(&caller) {
            crate::access::Scope::All => None,
            crate::access::Scope::Enterprise(e) => Some(e),
            crate::access::Scope::Own(_) => {
                return Err(
                    AppError::forbidden("this enterprise admin account has no enterprise").into(),
                );
            }
        };
        let (limit, offset) = window(limit.0, offset.0);
        let (users, total) =
            accounts::store::list_users(&self.state.db, scope, limit, offset).await?;
        Ok(Json(Page {
            items: users
                .iter()
                .map(|u| UserView::of(&self.state, u, viewer))
                .collect(),
            total,
        }))
    }

    /// One person: yourself, your enterprise's staff, or anyone for the bureau.
    #[oai(path = "/users/:id", method = "get")]
    async fn get(&self, auth: BearerAuth, id: Path<i64>) -> ApiResult<Json<UserView>> {
        let user = accounts::store::user(&self.state.db, id.0).await?;
        // Someone who may not see a user learns nothing, not even that the id exists.
        let (user, viewer) = user
            .and_then(|u| Viewer::of(&auth.0, &u).map(|v| (u, v)))
            .ok_or_else(|| ApiError::from(AppError::not_found("user_not_found", "no such user")))?;
        Ok(Json(UserView::of(&self.state, &user, viewer)))
    }
}
