//! SQL for targets and what they achieved, one text for both backends.

use super::{Achieved, NewTarget, Target};
use crate::{certificates, courses::CourseCategory, db::Db, error::AppError, org, with_pool};
use chrono::{DateTime, NaiveDate, Utc};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    year: i64,
    course_id: Option<i64>,
    category: Option<String>,
    street_id: Option<i64>,
    industry: Option<String>,
    target: i64,
    created_at: DateTime<Utc>,
}

impl From<Row> for Target {
    fn from(r: Row) -> Self {
        Target {
            id: r.id,
            year: r.year as i32,
            course_id: r.course_id,
            category: r.category.as_deref().and_then(CourseCategory::parse),
            street_id: r.street_id,
            industry: r.industry,
            target: r.target,
            created_at: r.created_at,
        }
    }
}

const COLUMNS: &str = "id, year, course_id, category, street_id, industry, target, created_at";

/// Whether a target with the same year and scope exists.
pub async fn exists(db: &Db, t: &NewTarget<'_>) -> Result<bool, sqlx::Error> {
    let n: i64 = with_pool!(db, pool => {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM targets WHERE year = $1 AND course_id IS NOT DISTINCT FROM $2 \
             AND category IS NOT DISTINCT FROM $3 AND street_id IS NOT DISTINCT FROM $4 \
             AND industry IS NOT DISTINCT FROM $5",
        )
        .bind(i64::from(t.year)).bind(t.course_id).bind(t.category.map(|c| c.as_str()))
        .bind(t.street_id).bind(t.industry)
        .fetch_one(pool).await?
    });
    Ok(n > 0)
}

pub async fn insert(
    db: &Db,
    t: &NewTarget<'_>,
    by: i64,
    now: DateTime<Utc>,
) -> Result<Target, AppError> {
    let sql = format!(
        "INSERT INTO targets (year, course_id, category, street_id, industry, target, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
    );
    let row: Row = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(i64::from(t.year)).bind(t.course_id).bind(t.category.map(|c| c.as_str()))
            .bind(t.street_id).bind(t.industry).bind(t.target).bind(by).bind(now)
            .fetch_one(pool).await?
    });
    Ok(row.into())
}

/// A year's targets, district-wide and per street and industry; `street` keeps one street's.
pub async fn list(db: &Db, year: i32, street: Option<i64>) -> Result<Vec<Target>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM targets WHERE year = $1 AND ($2 IS NULL OR street_id = $2) \
         ORDER BY street_id IS NOT NULL, street_id, industry IS NOT NULL, industry, course_id, category, id"
    );
    let rows: Vec<Row> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(i64::from(year)).bind(street)
            .fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Distinct people certified between `from` and `to` (inclusive) in the target's scope:
/// first certifications and renewals apart. Only the target's own conditions are in the SQL,
/// and the holder and their enterprise are joined only for a street or an industry: joining
/// the district's 200,000 people for a district-wide target tripled its time on PostgreSQL
/// (bench/README.md).
pub async fn achieved(
    db: &Db,
    t: &Target,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Achieved, sqlx::Error> {
    let by_person = t.street_id.is_some() || t.industry.is_some();
    let head = format!(
        "SELECT COUNT(DISTINCT CASE WHEN c.kind = 'initial' THEN c.user_id END), \
         COUNT(DISTINCT CASE WHEN c.kind = 'renewal' THEN c.user_id END) \
         FROM certificates c JOIN courses co ON co.id = c.course_id {people} \
         WHERE {counts}",
        people = if by_person {
            format!(
                "JOIN users u ON u.id = c.user_id {}",
                org::PERSON_ENTERPRISE_JOIN
            )
        } else {
            String::new()
        },
        counts = certificates::store::COUNTS,
    );
    let (certified, renewed): (i64, i64) = with_pool!(db, pool => {
        // Each condition with its value, so the two never part.
        let mut query = sqlx::QueryBuilder::new(head);
        query.push(" AND c.issued_on >= ").push_bind(from);
        query.push(" AND c.issued_on <= ").push_bind(to);
        if let Some(course) = t.course_id {
            query.push(" AND c.course_id = ").push_bind(course);
        }
        if let Some(category) = t.category {
            query.push(" AND co.category = ").push_bind(category.as_str());
        }
        if let Some(street) = t.street_id {
            query.push(format_args!(" AND {} = ", org::PERSON_STREET)).push_bind(street);
        }
        if let Some(industry) = t.industry.as_deref() {
            query.push(" AND e.industry = ").push_bind(industry);
        }
        query.build_query_as().fetch_one(pool).await?
    });
    Ok(Achieved { certified, renewed })
}
