//! SQL for streets and enterprises.

use super::{Enterprise, Street};
use crate::{
    db::{Db, unique_violation},
    domain::CreditCode,
    error::AppError,
    with_pool,
};
use chrono::{DateTime, Utc};

pub async fn insert_street(
    db: &Db,
    name: &str,
    code: Option<&str>,
    area_km2: Option<f64>,
    population: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let result: Result<i64, sqlx::Error> = with_pool!(db, pool => {
        sqlx::query_scalar(
            "INSERT INTO streets (name, code, area_km2, population, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(name)
        .bind(code)
        .bind(area_km2)
        .bind(population)
        .bind(now)
        .fetch_one(pool)
        .await
    });
    result.map_err(|err| match unique_violation(&err, &["name", "code"]) {
        Some(field) => AppError::conflict(
            "street_exists",
            Some(field),
            format!("a street with this {field} exists already"),
        ),
        None => err.into(),
    })
}

pub async fn street(db: &Db, id: i64) -> Result<Option<Street>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT id, name, code, area_km2, population, created_at FROM streets WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await
    })
}

pub async fn list_streets(
    db: &Db,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Street>, i64), sqlx::Error> {
    with_pool!(db, pool => {
        let items = sqlx::query_as(
            "SELECT id, name, code, area_km2, population, created_at FROM streets \
             ORDER BY id LIMIT $1 OFFSET $2",
        )
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?;
        let total = sqlx::query_scalar("SELECT COUNT(*) FROM streets").fetch_one(pool).await?;
        Ok((items, total))
    })
}

pub async fn insert_enterprise(
    db: &Db,
    name: &str,
    credit_code: &CreditCode,
    industry: &str,
    street_id: Option<i64>,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let result: Result<i64, sqlx::Error> = with_pool!(db, pool => {
        sqlx::query_scalar(
            "INSERT INTO enterprises (name, credit_code, industry, street_id, address, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(name)
        .bind(credit_code.as_str())
        .bind(industry)
        .bind(street_id)
        .bind(address)
        .bind(now)
        .fetch_one(pool)
        .await
    });
    result.map_err(|err| match unique_violation(&err, &["credit_code"]) {
        Some(_) => AppError::conflict(
            "credit_code_taken",
            Some("credit_code"),
            "an enterprise with this unified social credit code exists already",
        ),
        None => err.into(),
    })
}

const ENTERPRISE_COLUMNS: &str = "id, name, credit_code, industry, street_id, address, created_at";

pub async fn enterprise(db: &Db, id: i64) -> Result<Option<Enterprise>, sqlx::Error> {
    let sql = format!("SELECT {ENTERPRISE_COLUMNS} FROM enterprises WHERE id = $1");
    with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await
    })
}

/// Enterprises whose name contains `text` or whose credit code is `text` (at most `limit`).
pub async fn search_enterprises(
    db: &Db,
    text: &str,
    limit: i64,
) -> Result<Vec<Enterprise>, sqlx::Error> {
    let sql = format!(
        "SELECT {ENTERPRISE_COLUMNS} FROM enterprises WHERE credit_code = $1 OR name LIKE $2 ESCAPE '\\' ORDER BY id LIMIT $3"
    );
    let pattern = format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(text).bind(pattern).bind(limit).fetch_all(pool).await
    })
}

/// Enterprises in pages; `only` narrows to one (an enterprise admin sees their own).
pub async fn list_enterprises(
    db: &Db,
    only: Option<i64>,
    street_id: Option<i64>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Enterprise>, i64), sqlx::Error> {
    let filter = "WHERE ($1 IS NULL OR id = $1) AND ($2 IS NULL OR street_id = $2)";
    let sql = format!(
        "SELECT {ENTERPRISE_COLUMNS} FROM enterprises {filter} ORDER BY id LIMIT $3 OFFSET $4"
    );
    let count_sql = format!("SELECT COUNT(*) FROM enterprises {filter}");
    with_pool!(db, pool => {
        let items = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(only)
            .bind(street_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
        let total = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
            .bind(only)
            .bind(street_id)
            .fetch_one(pool)
            .await?;
        Ok((items, total))
    })
}
