//! SQL for mock exams and their answers.

use super::MockExam;
use crate::{
    db::Db, error::AppError, exam::grading::Grade, live::StoredAnswer, paper::Paper, with_pool,
};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

type Row = (
    i64,
    i64,
    i64,
    f64,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<f64>,
    Option<bool>,
);

const SELECT: &str = "SELECT id, user_id, course_id, max_score, started_at, deadline, \
     finished_at, score, passed FROM mock_exams";

fn from_row(r: Row) -> MockExam {
    MockExam {
        id: r.0,
        user_id: r.1,
        course_id: r.2,
        max_score: r.3,
        started_at: r.4,
        deadline: r.5,
        finished_at: r.6,
        score: r.7,
        passed: r.8,
    }
}

fn unreadable(what: &str, e: serde_json::Error) -> AppError {
    AppError::Internal(anyhow::anyhow!("stored mock exam {what} unreadable: {e}"))
}

pub async fn insert(
    db: &Db,
    user_id: i64,
    course_id: i64,
    paper: &Paper,
    explanations_json: &str,
    started_at: DateTime<Utc>,
    deadline: DateTime<Utc>,
) -> Result<MockExam, AppError> {
    let face = paper.face();
    let content = serde_json::to_string(paper).expect("a paper serialises");
    let id: i64 = with_pool!(db, pool => {
        sqlx::query_scalar(
            "INSERT INTO mock_exams (user_id, course_id, paper, questions_json, explanations, \
             max_score, started_at, deadline) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(user_id)
        .bind(course_id)
        .bind(&content)
        .bind(&face.questions_json)
        .bind(explanations_json)
        .bind(face.max_score)
        .bind(started_at)
        .bind(deadline)
        .fetch_one(pool)
        .await?
    });
    Ok(MockExam {
        id,
        user_id,
        course_id,
        max_score: face.max_score,
        started_at,
        deadline,
        finished_at: None,
        score: None,
        passed: None,
    })
}

pub async fn mock_exam(db: &Db, id: i64) -> Result<Option<MockExam>, AppError> {
    let sql = format!("{SELECT} WHERE id = $1");
    let row: Option<Row> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
    });
    Ok(row.map(from_row))
}

/// The person's mock exam of a course that still takes answers, if any.
pub async fn open_for(
    db: &Db,
    user_id: i64,
    course_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<MockExam>, AppError> {
    let sql = format!(
        "{SELECT} WHERE user_id = $1 AND course_id = $2 AND finished_at IS NULL \
         ORDER BY id DESC LIMIT 1"
    );
    let row: Option<Row> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(course_id).fetch_optional(pool).await?
    });
    Ok(row.map(from_row).filter(|e| e.is_open(now)))
}

/// The person's mock exams, newest first (at most `limit`).
pub async fn of_user(db: &Db, user_id: i64, limit: i64) -> Result<Vec<MockExam>, AppError> {
    let sql = format!("{SELECT} WHERE user_id = $1 ORDER BY id DESC LIMIT $2");
    let rows: Vec<Row> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(limit).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(from_row).collect())
}

/// The paper with its key (server side only).
pub async fn paper(db: &Db, id: i64) -> Result<Option<Paper>, AppError> {
    let text: Option<String> = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT paper FROM mock_exams WHERE id = $1").bind(id).fetch_optional(pool).await?
    });
    text.map(|t| serde_json::from_str(&t).map_err(|e| unreadable("paper", e)))
        .transpose()
}

/// The questions as the candidate sees them (JSON, no key).
pub async fn questions_json(db: &Db, id: i64) -> Result<Option<String>, AppError> {
    Ok(with_pool!(db, pool => {
        sqlx::query_scalar("SELECT questions_json FROM mock_exams WHERE id = $1").bind(id).fetch_optional(pool).await?
    }))
}

/// Saves an answer unless one with a higher or equal `seq` is stored; returns what is stored.
pub async fn save(
    db: &Db,
    id: i64,
    position: u32,
    choice: &[String],
    seq: i64,
) -> Result<StoredAnswer, AppError> {
    let choice_json = serde_json::to_string(choice).expect("keys serialise");
    let position = position as i32;
    let (stored, stored_seq): (String, i64) = with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO mock_answers (mock_exam_id, position, choice, seq) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (mock_exam_id, position) DO UPDATE SET choice = excluded.choice, \
             seq = excluded.seq WHERE mock_answers.seq < excluded.seq",
        )
        .bind(id)
        .bind(position)
        .bind(&choice_json)
        .bind(seq)
        .execute(pool)
        .await?;
        sqlx::query_as("SELECT choice, seq FROM mock_answers WHERE mock_exam_id = $1 AND position = $2")
            .bind(id)
            .bind(position)
            .fetch_one(pool)
            .await?
    });
    Ok(StoredAnswer {
        choice: serde_json::from_str(&stored).map_err(|e| unreadable("answer", e))?,
        seq: stored_seq,
    })
}

pub async fn answers(db: &Db, id: i64) -> Result<BTreeMap<u32, StoredAnswer>, AppError> {
    let rows: Vec<(i32, String, i64)> = with_pool!(db, pool => {
        sqlx::query_as("SELECT position, choice, seq FROM mock_answers WHERE mock_exam_id = $1 ORDER BY position")
            .bind(id)
            .fetch_all(pool)
            .await?
    });
    rows.into_iter()
        .map(|(position, choice, seq)| {
            Ok((
                position as u32,
                StoredAnswer {
                    choice: serde_json::from_str(&choice).map_err(|e| unreadable("answer", e))?,
                    seq,
                },
            ))
        })
        .collect()
}

/// Records the grade unless another request recorded one first; whether this one did.
pub async fn finish(
    db: &Db,
    id: i64,
    grade: &Grade,
    finished_at: DateTime<Utc>,
) -> Result<bool, AppError> {
    let grade_json = serde_json::to_string(grade).expect("a grade serialises");
    let done = with_pool!(db, pool => {
        sqlx::query(
            "UPDATE mock_exams SET finished_at = $1, score = $2, passed = $3, grade = $4 \
             WHERE id = $5 AND finished_at IS NULL",
        )
        .bind(finished_at)
        .bind(grade.score)
        .bind(grade.passed)
        .bind(&grade_json)
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(done == 1)
}

/// A graded mock exam's paper, explanations by position and grade.
pub async fn graded(
    db: &Db,
    id: i64,
) -> Result<Option<(Paper, BTreeMap<u32, String>, Grade)>, AppError> {
    let row: Option<(String, String, Option<String>)> = with_pool!(db, pool => {
        sqlx::query_as("SELECT paper, explanations, grade FROM mock_exams WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?
    });
    let Some((paper, explanations, Some(grade))) = row else {
        return Ok(None);
    };
    Ok(Some((
        serde_json::from_str(&paper).map_err(|e| unreadable("paper", e))?,
        serde_json::from_str(&explanations).map_err(|e| unreadable("explanations", e))?,
        serde_json::from_str(&grade).map_err(|e| unreadable("grade", e))?,
    )))
}
