//! Bearer-token authentication for the OpenAPI endpoints.

use crate::{AppState, api::error::ApiError, auth, auth::Caller};
use poem::Request;
use poem_openapi::{SecurityScheme, auth::Bearer};

/// `Authorization: Bearer <token>` from `POST /api/v1/auth/login`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "check_token")]
pub struct BearerAuth(pub Caller);

async fn check_token(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    let state = req
        .data::<AppState>()
        .expect("AppState is attached to every route");
    auth::authenticate(state, &bearer.token)
        .await
        .map_err(|e| ApiError::from(e).into())
}

/// A bureau admin's bearer token. Anyone else is refused with 403 before the body is read,
/// and the document shows which operations are the bureau's.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "check_bureau")]
pub struct BureauAuth(pub Caller);

async fn check_bureau(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    let caller = check_token(req, bearer).await?;
    if caller.is_bureau() {
        Ok(caller)
    } else {
        Err(ApiError::from(crate::error::AppError::forbidden(
            "only the bureau (区应急管理局) may do this",
        ))
        .into())
    }
}

/// A proctor's or a bureau admin's bearer token, for the proctoring operations. Anyone else
/// is refused with 403 before the body is read; whether the proctor is assigned to the
/// sitting is decided with the record.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "check_proctor")]
pub struct ProctorAuth(pub Caller);

async fn check_proctor(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    let caller = check_token(req, bearer).await?;
    if caller.is_bureau() || caller.has(crate::domain::Role::Proctor) {
        Ok(caller)
    } else {
        Err(ApiError::from(crate::error::AppError::forbidden(
            "only proctors and the bureau may do this",
        ))
        .into())
    }
}
