//! Administrative areas (街道) and enterprises (企业): what the bureau's targets and the
//! enterprises' enrolments hang on. Owns `streets` and `enterprises`.

pub mod store;

use crate::{
    AppState,
    domain::CreditCode,
    error::{AppError, AppResult},
};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Street {
    pub id: i64,
    pub name: String,
    pub code: Option<String>,
    pub area_km2: Option<f64>,
    pub population: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Enterprise {
    pub id: i64,
    pub name: String,
    pub credit_code: String,
    pub industry: String,
    pub street_id: Option<i64>,
    pub address: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub struct NewStreet<'a> {
    pub name: &'a str,
    pub code: Option<&'a str>,
    pub area_km2: Option<f64>,
    pub population: Option<i64>,
}

pub struct NewEnterprise<'a> {
    pub name: &'a str,
    pub credit_code: &'a str,
    pub industry: &'a str,
    pub street_id: Option<i64>,
    pub address: Option<&'a str>,
}

fn required_text<'a>(field: &'static str, value: &'a str, max: usize) -> AppResult<&'a str> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::invalid(field, "is required"));
    }
    if value.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    Ok(value)
}

pub async fn create_street(state: &AppState, new: NewStreet<'_>) -> AppResult<Street> {
    let name = required_text("name", new.name, 50)?;
    let code = match new.code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) if code.len() > 12 || !code.chars().all(|c| c.is_ascii_digit()) => {
            return Err(AppError::invalid(
                "code",
                "an administrative division code has up to 12 digits",
            ));
        }
        other => other,
    };
    if new.area_km2.is_some_and(|a| !(a.is_finite() && a > 0.0)) {
        return Err(AppError::invalid("area_km2", "must be a positive number"));
    }
    if new.population.is_some_and(|p| p < 0) {
        return Err(AppError::invalid("population", "must not be negative"));
    }
    let id = store::insert_street(
        &state.db,
        name,
        code,
        new.area_km2,
        new.population,
        Utc::now(),
    )
    .await?;
    store::street(&state.db, id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("street {id} vanished")))
}

pub async fn create_enterprise(state: &AppState, new: NewEnterprise<'_>) -> AppResult<Enterprise> {
    let name = required_text("name", new.name, 100)?;
    let credit_code = CreditCode::parse(new.credit_code)?;
    let industry = required_text("industry", new.industry, 50)?;
    if let Some(street_id) = new.street_id
        && store::street(&state.db, street_id).await?.is_none()
    {
        return Err(AppError::invalid("street_id", "no such street"));
    }
    let address = new.address.map(str::trim).filter(|a| !a.is_empty());
    let id = store::insert_enterprise(
        &state.db,
        name,
        &credit_code,
        industry,
        new.street_id,
        address,
        Utc::now(),
    )
    .await?;
    store::enterprise(&state.db, id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("enterprise {id} vanished")))
}

/// The street a person counts in (SQL over `u` = users, `e` = their enterprise, left-joined
/// on `u.enterprise_id`): their own, else their enterprise's. Every count by street uses it.
pub const PERSON_STREET: &str = "COALESCE(u.street_id, e.street_id)";

/// Joins `e`, the enterprise of the person `u`, for [`PERSON_STREET`] and industry.
pub const PERSON_ENTERPRISE_JOIN: &str = "LEFT JOIN enterprises e ON e.id = u.enterprise_id";
