//! Streets and enterprises: read by anyone signed in, kept by the bureau.

use crate::{
    AppState,
    api::{
        ApiTags,
        error::ApiResult,
        page::{Page, window},
        security::{BearerAuth, BureauAuth},
    },
    domain::Role,
    error::AppError,
    org::{self, Enterprise, NewEnterprise, NewStreet, Street},
};
use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

pub struct OrgApi {
    pub state: AppState,
}

/// An administrative area (街道) whose targets and density the bureau tracks.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct StreetView {
    pub id: i64,
    pub name: String,
    /// Administrative division code (up to 12 digits).
    pub code: Option<String>,
    pub area_km2: Option<f64>,
    pub population: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<Street> for StreetView {
    fn from(s: Street) -> Self {
        Self {
            id: s.id,
            name: s.name,
            code: s.code,
            area_km2: s.area_km2,
            population: s.population,
            created_at: s.created_at,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreateStreetRequest {
    #[oai(validator(max_length = 50, pattern = r"\S"))]
    pub name: String,
    #[oai(validator(pattern = r"^\s*[0-9]{0,12}\s*$"))]
    pub code: Option<String>,
    /// Area in km², for responder density per km².
    #[oai(validator(minimum(value = "0", exclusive)))]
    pub area_km2: Option<f64>,
    /// Residents, for responder density per 10,000 residents.
    #[oai(validator(minimum(value = "0")))]
    pub population: Option<i64>,
}

#[derive(ApiResponse)]
pub enum CreateStreetResponse {
    #[oai(status = 201)]
    Created(Json<StreetView>),
}

/// An enterprise (企业) identified by its unified social credit code.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EnterpriseView {
    pub id: i64,
    pub name: String,
    /// 统一社会信用代码 (GB 32100), 18 characters.
    pub credit_code: String,
    /// e.g. 电镀, 锂电池, 粉尘涉爆, 危险化学品.
    pub industry: String,
    pub street_id: Option<i64>,
    pub address: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Enterprise> for EnterpriseView {
    fn from(e: Enterprise) -> Self {
        Self {
            id: e.id,
            name: e.name,
            credit_code: e.credit_code,
            industry: e.industry,
            street_id: e.street_id,
            address: e.address,
            created_at: e.created_at,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreateEnterpriseRequest {
    #[oai(validator(max_length = 100, pattern = r"\S"))]
    pub name: String,
    #[oai(validator(pattern = r"^\s*[0-9A-HJ-NP-RTUW-Ya-hj-np-rtuw-y]{18}\s*$"))]
    pub credit_code: String,
    #[oai(validator(max_length = 50, pattern = r"\S"))]
    pub industry: String,
    pub street_id: Option<i64>,
    #[oai(validator(max_length = 200))]
    pub address: Option<String>,
}

#[derive(ApiResponse)]
pub enum CreateEnterpriseResponse {
    #[oai(status = 201)]
    Created(Json<EnterpriseView>),
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Organisations")]
impl OrgApi {
    /// Streets (街道), for anyone signed in.
    #[oai(path = "/streets", method = "get")]
    async fn streets(
        &self,
        _auth: BearerAuth,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<Page<StreetView>>> {
        let (limit, offset) = window(limit.0, offset.0);
        let (items, total) = org::store::list_streets(&self.state.db, limit, offset).await?;
        Ok(Json(Page {
            items: items.into_iter().map(Into::into).collect(),
            total,
        }))
    }

    /// Add a street (bureau_admin).
    #[oai(path = "/streets", method = "post")]
    async fn create_street(
        &self,
        _auth: BureauAuth,
        body: Json<CreateStreetRequest>,
    ) -> ApiResult<CreateStreetResponse> {
        let street = org::create_street(
            &self.state,
            NewStreet {
                name: &body.name,
                code: body.code.as_deref(),
                area_km2: body.area_km2,
                population: body.population,
            },
        )
        .await?;
        Ok(CreateStreetResponse::Created(Json(street.into())))
    }

    /// Enterprises, for anyone signed in; an enterprise admin sees only their own.
    #[oai(path = "/enterprises", method = "get")]
    async fn enterprises(
        &self,
        auth: BearerAuth,
        street_id: Query<Option<i64>>,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<Page<EnterpriseView>>> {
        let caller = auth.0;
        let only = if caller.is_bureau() || caller.has(Role::Proctor) {
            None
        } else if caller.has(Role::EnterpriseAdmin) {
            Some(caller.enterprise_id.unwrap_or(-1))
        } else {
            None
        };
        let (limit, offset) = window(limit.0, offset.0);
        let (items, total) =
            org::store::list_enterprises(&self.state.db, only, street_id.0, limit, offset).await?;
        Ok(Json(Page {
            items: items.into_iter().map(Into::into).collect(),
            total,
        }))
    }

    /// Register an enterprise (bureau_admin); the credit code is checked against GB 32100.
    #[oai(path = "/enterprises", method = "post")]
    async fn create_enterprise(
        &self,
        _auth: BureauAuth,
        body: Json<CreateEnterpriseRequest>,
    ) -> ApiResult<CreateEnterpriseResponse> {
        let enterprise = org::create_enterprise(
            &self.state,
            NewEnterprise {
                name: &body.name,
                credit_code: &body.credit_code,
                industry: &body.industry,
                street_id: body.street_id,
                address: body.address.as_deref(),
            },
        )
        .await?;
        Ok(CreateEnterpriseResponse::Created(Json(enterprise.into())))
    }

    /// One enterprise.
    #[oai(path = "/enterprises/:id", method = "get")]
    async fn enterprise(
        &self,
        _auth: BearerAuth,
        id: Path<i64>,
    ) -> ApiResult<Json<EnterpriseView>> {
        let enterprise = org::store::enterprise(&self.state.db, id.0)
            .await?
            .ok_or_else(|| AppError::not_found("enterprise_not_found", "no such enterprise"))?;
        Ok(Json(enterprise.into()))
    }
}
