//! Sign-up, sign-in, sign-out and "who am I".

use crate::{
    AppState,
    accounts::{self, Registration},
    api::{
        ApiTags,
        error::ApiResult,
        security::BearerAuth,
        users::{UserView, Viewer},
    },
    auth,
    domain::{IdType, Role},
};
use chrono::{DateTime, Utc};
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};

pub struct AuthApi {
    pub state: AppState,
}

/// A citizen signs up (市民注册).
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RegisterRequest {
    /// Name as on the ID document, e.g. 张三.
    #[oai(validator(max_length = 50, pattern = r"\S"))]
    pub name: String,
    /// The document number; a resident ID number is checked against GB 11643.
    #[oai(validator(pattern = r"^[\sA-Za-z0-9]*[A-Za-z0-9][\sA-Za-z0-9]*$"))]
    pub id_number: String,
    /// Defaults to `resident_id`.
    pub id_type: Option<IdType>,
    /// Mainland mobile number, 11 digits.
    #[oai(validator(pattern = r"^[\s-]*(\+86)?[\s-]*1[\s-]*[3-9]([\s-]*[0-9]){9}[\s-]*$"))]
    pub phone: String,
    #[oai(validator(max_length = 254, pattern = r"^\s*[^@\s]+@[^@\s.]+(\.[^@\s.]+)+\s*$"))]
    pub email: String,
    /// 8 to 128 characters, at least two of letters, digits and symbols.
    #[oai(write_only)]
    #[oai(validator(min_length = 8, max_length = 128))]
    pub password: String,
    /// The street (街道) the person lives or works in, from `GET /api/v1/streets`; it counts
    /// them in that street's first-responder density.
    pub street_id: Option<i64>,
}

#[derive(ApiResponse)]
pub enum RegisterResponse {
    /// The account exists; log in next.
    #[oai(status = 201)]
    Created(Json<UserView>),
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LoginRequest {
    /// Mobile number or email.
    #[oai(validator(min_length = 1, max_length = 254))]
    pub login: String,
    #[oai(write_only)]
    #[oai(validator(max_length = 128))]
    pub password: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LoginUser {
    pub id: i64,
    pub name: String,
    pub roles: Vec<Role>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: LoginUser,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LoggedOut {
    /// Always true: the token no longer works.
    pub revoked: bool,
}

/// The one-time link mailed to staff enrolled by their enterprise.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PasswordSetupRequest {
    /// The `token` from the mailed link.
    #[oai(validator(min_length = 1, max_length = 128))]
    pub token: String,
    #[oai(write_only)]
    #[oai(validator(min_length = 8, max_length = 128))]
    pub password: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PasswordResetRequest {
    /// The phone or email the account logs in with.
    #[oai(validator(min_length = 1, max_length = 254))]
    pub login: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PasswordResetAccepted {
    /// Always true: whether an account exists is not said.
    pub accepted: bool,
}

#[derive(ApiResponse)]
pub enum PasswordResetResponse {
    /// If the account exists and has an email, a one-time link valid for an hour was mailed.
    #[oai(status = 202)]
    Accepted(Json<PasswordResetAccepted>),
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Auth")]
impl AuthApi {
    /// A citizen signs up with name, ID number, mobile, email and password.
    #[oai(path = "/auth/register", method = "post")]
    async fn register(&self, body: Json<RegisterRequest>) -> ApiResult<RegisterResponse> {
        let user = accounts::register_citizen(
            &self.state,
            Registration {
                name: &body.name,
                id_type: body.id_type,
                id_number: &body.id_number,
                phone: &body.phone,
                email: &body.email,
                password: &body.password,
                street_id: body.street_id,
            },
        )
        .await?;
        Ok(RegisterResponse::Created(Json(UserView::of(
            &self.state,
            &user,
            Viewer::Themselves,
        ))))
    }

    /// Log in with phone or email; repeated failures lock the account for a while.
    #[oai(path = "/auth/login", method = "post")]
    async fn login(&self, body: Json<LoginRequest>) -> ApiResult<Json<LoginResponse>> {
        let session = auth::login(&self.state, &body.login, &body.password).await?;
        Ok(Json(LoginResponse {
            token: session.token,
            expires_at: session.expires_at,
            user: LoginUser {
                id: session.user.id,
                name: session.user.name,
                roles: session.user.roles,
            },
        }))
    }

    /// Set your password with the link your enterprise's enrolment mailed you; then log in.
    #[oai(path = "/auth/password-setup", method = "post")]
    async fn password_setup(&self, body: Json<PasswordSetupRequest>) -> ApiResult<Json<UserView>> {
        let user = auth::set_password_with_token(&self.state, &body.token, &body.password).await?;
        Ok(Json(UserView::of(&self.state, &user, Viewer::Themselves)))
    }

    /// 忘记密码: mail a one-time link to set a new password (valid an hour) to the account
    /// with this phone or email. The answer is the same whether or not there is one.
    #[oai(path = "/auth/password-reset", method = "post")]
    async fn password_reset(
        &self,
        body: Json<PasswordResetRequest>,
    ) -> ApiResult<PasswordResetResponse> {
        auth::request_password_reset(&self.state, &body.login).await?;
        Ok(PasswordResetResponse::Accepted(Json(
            PasswordResetAccepted { accepted: true },
        )))
    }

    /// Revoke the token this request carries.
    #[oai(path = "/auth/logout", method = "post")]
    async fn logout(&self, auth: BearerAuth) -> ApiResult<Json<LoggedOut>> {
        auth::logout(&self.state, &auth.0).await?;
        Ok(Json(LoggedOut { revoked: true }))
    }

    /// The caller, with roles. The ID number is masked here too: it is shown whole only
    /// to the bureau.
    #[oai(path = "/me", method = "get")]
    async fn me(&self, auth: BearerAuth) -> ApiResult<Json<UserView>> {
        let user = accounts::require_user(&self.state, auth.0.user_id).await?;
        Ok(Json(UserView::of(&self.state, &user, Viewer::Themselves)))
    }
}
