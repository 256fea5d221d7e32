//! SQL for courses. The blueprint is stored as JSON text.

use super::{Course, CourseCategory, NewCourse, ReviewAfter};
use crate::{
    db::{Db, unique_violation},
    error::AppError,
    with_pool,
};
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct CourseRow {
    id: i64,
    code: String,
    title: String,
    category: String,
    training_hours: i64,
    pass_mark: f64,
    time_limit_minutes: i64,
    validity_months: i64,
    retake_limit: i64,
    practical_required: bool,
    review_after: String,
    blueprint: String,
    renews_course_id: Option<i64>,
    study_before_booking: bool,
    created_at: DateTime<Utc>,
}

impl CourseRow {
    fn into_course(self) -> Result<Course, AppError> {
        Ok(Course {
            id: self.id,
            category: CourseCategory::parse(&self.category).ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!(
                    "course {} category {}",
                    self.id,
                    self.category
                ))
            })?,
            review_after: ReviewAfter::parse(&self.review_after).unwrap_or_default(),
            blueprint: serde_json::from_str(&self.blueprint).map_err(|e| {
                AppError::Internal(anyhow::anyhow!("course {} blueprint: {e}", self.id))
            })?,
            code: self.code,
            title: self.title,
            training_hours: self.training_hours,
            pass_mark: self.pass_mark,
            time_limit_minutes: self.time_limit_minutes,
            validity_months: self.validity_months,
            retake_limit: self.retake_limit,
            practical_required: self.practical_required,
            renews_course_id: self.renews_course_id,
            study_before_booking: self.study_before_booking,
            created_at: self.created_at,
        })
    }
}

const SELECT: &str = "SELECT id, code, title, category, training_hours, pass_mark, time_limit_minutes, \
     validity_months, retake_limit, practical_required, review_after, blueprint, renews_course_id, study_before_booking, created_at FROM courses";

pub async fn insert(db: &Db, c: &NewCourse, now: DateTime<Utc>) -> Result<i64, AppError> {
    let blueprint = serde_json::to_string(&c.blueprint).expect("blueprint serialises");
    let result: Result<i64, sqlx::Error> = with_pool!(db, pool => {
        sqlx::query_scalar(
            "INSERT INTO courses (code, title, category, training_hours, pass_mark, time_limit_minutes, \
             validity_months, retake_limit, practical_required, review_after, blueprint, created_at, renews_course_id, study_before_booking) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        )
        .bind(&c.code)
        .bind(c.title.trim())
        .bind(c.category.as_str())
        .bind(c.training_hours)
        .bind(c.pass_mark)
        .bind(c.time_limit_minutes)
        .bind(c.validity_months)
        .bind(c.retake_limit)
        .bind(c.practical_required)
        .bind(c.review_after.as_str())
        .bind(&blueprint)
        .bind(now)
        .bind(c.renews_course_id)
        .bind(c.study_before_booking)
        .fetch_one(pool)
        .await
    });
    result.map_err(|err| match unique_violation(&err, &["code"]) {
        Some(_) => AppError::conflict(
            "course_code_taken",
            Some("code"),
            "a course with this code exists already",
        ),
        None => err.into(),
    })
}

/// Writes every field of a course but its id and creation time.
pub async fn update(db: &Db, id: i64, c: &NewCourse) -> Result<(), AppError> {
    let blueprint = serde_json::to_string(&c.blueprint).expect("blueprint serialises");
    let result: Result<u64, sqlx::Error> = with_pool!(db, pool => {
        sqlx::query(
            "UPDATE courses SET code = $1, title = $2, category = $3, training_hours = $4, pass_mark = $5, \
             time_limit_minutes = $6, validity_months = $7, retake_limit = $8, practical_required = $9, \
             review_after = $10, blueprint = $11, renews_course_id = $12, study_before_booking = $13 \
             WHERE id = $14",
        )
        .bind(&c.code)
        .bind(c.title.trim())
        .bind(c.category.as_str())
        .bind(c.training_hours)
        .bind(c.pass_mark)
        .bind(c.time_limit_minutes)
        .bind(c.validity_months)
        .bind(c.retake_limit)
        .bind(c.practical_required)
        .bind(c.review_after.as_str())
        .bind(&blueprint)
        .bind(c.renews_course_id)
        .bind(c.study_before_booking)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    });
    match result {
        Ok(0) => Err(AppError::not_found("course_not_found", "no such course")),
        Ok(_) => Ok(()),
        Err(err) => Err(match unique_violation(&err, &["code"]) {
            Some(_) => AppError::conflict(
                "course_code_taken",
                Some("code"),
                "a course with this code exists already",
            ),
            None => err.into(),
        }),
    }
}

/// Papers of the course drawn for sittings not over (nor cancelled) whose attempt is not
/// graded yet: they were drawn from its blueprint and will be graded against its pass mark.
pub async fn papers_awaiting_grading(
    db: &Db,
    course_id: i64,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM papers p JOIN registrations r ON r.id = p.registration_id \
             JOIN sittings s ON s.id = r.sitting_id \
             WHERE s.course_id = $1 AND s.cancelled_at IS NULL AND s.ends_at > $2 \
             AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.registration_id = r.id \
               AND a.status <> 'in_progress')",
        )
        .bind(course_id)
        .bind(now)
        .fetch_one(pool)
        .await
    })
}

pub async fn course(db: &Db, id: i64) -> Result<Option<Course>, AppError> {
    let sql = format!("{SELECT} WHERE id = $1");
    let row: Option<CourseRow> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
    });
    row.map(CourseRow::into_course).transpose()
}

pub async fn course_by_code(db: &Db, code: &str) -> Result<Option<Course>, AppError> {
    let sql = format!("{SELECT} WHERE code = $1");
    let row: Option<CourseRow> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(code).fetch_optional(pool).await?
    });
    row.map(CourseRow::into_course).transpose()
}

pub async fn list(db: &Db, limit: i64, offset: i64) -> Result<(Vec<Course>, i64), AppError> {
    let sql = format!("{SELECT} ORDER BY id LIMIT $1 OFFSET $2");
    let (rows, total): (Vec<CourseRow>, i64) = with_pool!(db, pool => {
        let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).bind(offset).fetch_all(pool).await?;
        let total = sqlx::query_scalar("SELECT COUNT(*) FROM courses").fetch_one(pool).await?;
        (rows, total)
    });
    Ok((
        rows.into_iter()
            .map(CourseRow::into_course)
            .collect::<Result<_, _>>()?,
        total,
    ))
}
