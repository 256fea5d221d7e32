//! SQL for banks, questions and their versions.

use super::content::{ChoiceOption, QuestionContent, QuestionKind, QuestionStatus};
use crate::{
    db::{Db, unique_violation},
    error::AppError,
    with_pool,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Bank {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub active_questions: i64,
    /// Reserved for exams: never drawn for practice (练习).
    pub exam_only: bool,
}

/// A question at its current version.
#[derive(Debug, Clone)]
pub struct Question {
    pub id: i64,
    pub bank_id: i64,
    pub reference: String,
    pub status: QuestionStatus,
    pub version: i64,
    pub version_id: i64,
    pub content: QuestionContent,
    pub content_hash: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct QuestionRow {
    id: i64,
    bank_id: i64,
    #[sqlx(rename = "ref")]
    reference: String,
    status: String,
    version: i64,
    version_id: i64,
    kind: String,
    stem: String,
    options: String,
    answer: String,
    explanation: String,
    tags: String,
    difficulty: i64,
    content_hash: String,
    updated_at: DateTime<Utc>,
}

impl QuestionRow {
    fn into_question(self) -> Result<Question, AppError> {
        let json = |what: &str, text: &str| -> Result<serde_json::Value, AppError> {
            serde_json::from_str(text).map_err(|e| {
                AppError::Internal(anyhow::anyhow!(
                    "question {} {what} unreadable: {e}",
                    self.id
                ))
            })
        };
        let options: Vec<ChoiceOption> = serde_json::from_value(json("options", &self.options)?)
            .map_err(|e| AppError::Internal(e.into()))?;
        let answer: Vec<String> = serde_json::from_value(json("answer", &self.answer)?)
            .map_err(|e| AppError::Internal(e.into()))?;
        let tags: Vec<String> = serde_json::from_value(json("tags", &self.tags)?)
            .map_err(|e| AppError::Internal(e.into()))?;
        Ok(Question {
            id: self.id,
            bank_id: self.bank_id,
            reference: self.reference,
            status: QuestionStatus::parse(&self.status).unwrap_or(QuestionStatus::Draft),
            version: self.version,
            version_id: self.version_id,
            content: QuestionContent {
                kind: QuestionKind::parse(&self.kind).ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!(
                        "question {} has kind {}",
                        self.id,
                        self.kind
                    ))
                })?,
                stem: self.stem,
                options,
                answer,
                explanation: self.explanation,
                tags,
                difficulty: self.difficulty as u8,
            },
            content_hash: self.content_hash,
            updated_at: self.updated_at,
        })
    }
}

const QUESTION_SELECT: &str = "SELECT q.id, q.bank_id, q.ref, q.status, v.version, v.id AS version_id, \
     v.kind, v.stem, v.options, v.answer, v.explanation, v.tags, v.difficulty, v.content_hash, q.updated_at \
     FROM questions q JOIN question_versions v ON v.question_id = q.id AND v.version = q.current_version";

pub async fn insert_bank(
    db: &Db,
    name: &str,
    description: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let result: Result<i64, sqlx::Error> = with_pool!(db, pool => {
        sqlx::query_scalar(
            "INSERT INTO question_banks (name, description, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(name)
        .bind(description)
        .bind(now)
        .fetch_one(pool)
        .await
    });
    result.map_err(|err| match unique_violation(&err, &["name"]) {
        Some(_) => AppError::conflict(
            "bank_name_taken",
            Some("name"),
            "a bank with this name exists already",
        ),
        None => err.into(),
    })
}

const BANK_SELECT: &str = "SELECT b.id, b.name, b.description, b.created_at, b.exam_only, \
     (SELECT COUNT(*) FROM questions q WHERE q.bank_id = b.id AND q.status = 'active') AS active_questions \
     FROM question_banks b";

pub async fn bank(db: &Db, id: i64) -> Result<Option<Bank>, sqlx::Error> {
    let sql = format!("{BANK_SELECT} WHERE b.id = $1");
    with_pool!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await)
}

pub async fn bank_by_name(db: &Db, name: &str) -> Result<Option<Bank>, sqlx::Error> {
    let sql = format!("{BANK_SELECT} WHERE b.name = $1");
    with_pool!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(name).fetch_optional(pool).await)
}

pub async fn list_banks(db: &Db, limit: i64, offset: i64) -> Result<(Vec<Bank>, i64), sqlx::Error> {
    let sql = format!("{BANK_SELECT} ORDER BY b.id LIMIT $1 OFFSET $2");
    with_pool!(db, pool => {
        let items = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).bind(offset).fetch_all(pool).await?;
        let total = sqlx::query_scalar("SELECT COUNT(*) FROM question_banks").fetch_one(pool).await?;
        Ok((items, total))
    })
}

/// What a bank already holds, by ref: (question id, current version, content hash).
pub async fn current_by_ref(
    db: &Db,
    bank_id: i64,
) -> Result<HashMap<String, (i64, i64, String)>, sqlx::Error> {
    let rows: Vec<(String, i64, i64, String)> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT q.ref, q.id, q.current_version, v.content_hash FROM questions q \
             JOIN question_versions v ON v.question_id = q.id AND v.version = q.current_version \
             WHERE q.bank_id = $1",
        )
        .bind(bank_id)
        .fetch_all(pool)
        .await?
    });
    Ok(rows
        .into_iter()
        .map(|(r, id, v, h)| (r, (id, v, h)))
        .collect())
}

/// One change an import makes.
pub enum Change<'a> {
    New {
        reference: String,
        status: QuestionStatus,
        content: &'a QuestionContent,
        hash: String,
    },
    NewVersion {
        question_id: i64,
        version: i64,
        status: QuestionStatus,
        content: &'a QuestionContent,
        hash: String,
    },
}

/// Applies every change in one transaction: all or nothing.
pub async fn apply(
    db: &Db,
    bank_id: i64,
    changes: &[Change<'_>],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        for change in changes {
            let (question_id, version, content, hash) = match change {
                Change::New { reference, status, content, hash } => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO questions (bank_id, ref, status, current_version, created_at, updated_at) \
                         VALUES ($1, $2, $3, 1, $4, $4) RETURNING id",
                    )
                    .bind(bank_id)
                    .bind(reference)
                    .bind(status.as_str())
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    (id, 1_i64, *content, hash)
                }
                Change::NewVersion { question_id, version, status, content, hash } => {
                    sqlx::query(
                        "UPDATE questions SET current_version = $2, status = $3, updated_at = $4 WHERE id = $1",
                    )
                    .bind(question_id)
                    .bind(version)
                    .bind(status.as_str())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    (*question_id, *version, *content, hash)
                }
            };
            sqlx::query(
                "INSERT INTO question_versions (question_id, version, kind, stem, options, answer, \
                 explanation, tags, difficulty, content_hash, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(question_id)
            .bind(version)
            .bind(content.kind.as_str())
            .bind(&content.stem)
            .bind(serde_json::to_string(&content.options).expect("options serialise"))
            .bind(serde_json::to_string(&content.answer).expect("answer serialises"))
            .bind(&content.explanation)
            .bind(serde_json::to_string(&content.tags).expect("tags serialise"))
            .bind(i64::from(content.difficulty))
            .bind(hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    })
}

pub async fn set_status(
    db: &Db,
    question_id: i64,
    status: QuestionStatus,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("UPDATE questions SET status = $2, updated_at = $3 WHERE id = $1")
            .bind(question_id)
            .bind(status.as_str())
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Filters for listing a bank's questions.
#[derive(Debug, Default, Clone)]
pub struct QuestionFilter {
    pub status: Option<QuestionStatus>,
    pub kind: Option<QuestionKind>,
    /// Words the stem contains.
    pub text: Option<String>,
}

pub async fn questions(
    db: &Db,
    bank_id: i64,
    filter: &QuestionFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Question>, i64), AppError> {
    let condition = "WHERE q.bank_id = $1 AND ($2 IS NULL OR q.status = $2) AND ($3 IS NULL OR v.kind = $3) \
         AND ($4 IS NULL OR v.stem LIKE $4 ESCAPE '\\')";
    let sql = format!("{QUESTION_SELECT} {condition} ORDER BY q.id LIMIT $5 OFFSET $6");
    let count_sql = format!(
        "SELECT COUNT(*) FROM questions q JOIN question_versions v ON v.question_id = q.id \
         AND v.version = q.current_version {condition}"
    );
    let status = filter.status.map(|s| s.as_str());
    let kind = filter.kind.map(|k| k.as_str());
    // Words in the stem, matched literally.
    let text = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            format!(
                "%{}%",
                t.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        });
    let (rows, total): (Vec<QuestionRow>, i64) = with_pool!(db, pool => {
        let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(bank_id).bind(status).bind(kind).bind(&text).bind(limit).bind(offset)
            .fetch_all(pool).await?;
        let total = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
            .bind(bank_id).bind(status).bind(kind).bind(&text)
            .fetch_one(pool).await?;
        (rows, total)
    });
    let questions = rows
        .into_iter()
        .map(QuestionRow::into_question)
        .collect::<Result<_, _>>()?;
    Ok((questions, total))
}

/// Every version of a question, newest first: (version, stem, answer keys, explanation, when).
pub async fn versions(
    db: &Db,
    question_id: i64,
) -> Result<Vec<(i64, String, String, String, DateTime<Utc>)>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT version, stem, answer, explanation, created_at FROM question_versions \
             WHERE question_id = $1 ORDER BY version DESC",
        )
        .bind(question_id).fetch_all(pool).await
    })
}

pub async fn question(db: &Db, id: i64) -> Result<Option<Question>, AppError> {
    let sql = format!("{QUESTION_SELECT} WHERE q.id = $1");
    let row: Option<QuestionRow> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
    });
    row.map(QuestionRow::into_question).transpose()
}

/// Every active question at its current version, oldest first (the order paper drawing
/// relies on for reproducibility).
pub async fn active_questions(db: &Db) -> Result<Vec<Question>, AppError> {
    let sql = format!("{QUESTION_SELECT} WHERE q.status = 'active' ORDER BY q.id");
    let rows: Vec<QuestionRow> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
    });
    rows.into_iter().map(QuestionRow::into_question).collect()
}

/// Marks a bank reserved for exams, or open to practice again.
pub async fn set_exam_only(db: &Db, bank_id: i64, exam_only: bool) -> Result<(), AppError> {
    with_pool!(db, pool => {
        sqlx::query("UPDATE question_banks SET exam_only = $1 WHERE id = $2")
            .bind(exam_only)
            .bind(bank_id)
            .execute(pool)
            .await
            .map(|_| ())?
    });
    Ok(())
}

/// The active questions practice may draw from `banks` (all banks when `None`): never from a
/// bank reserved for exams.
pub async fn practice_questions(db: &Db, banks: Option<&[i64]>) -> Result<Vec<Question>, AppError> {
    let sql = format!(
        "{QUESTION_SELECT} JOIN question_banks b ON b.id = q.bank_id \
         WHERE q.status = 'active' AND NOT b.exam_only ORDER BY q.id"
    );
    let rows: Vec<QuestionRow> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
    });
    let questions: Vec<Question> = rows
        .into_iter()
        .map(QuestionRow::into_question)
        .collect::<Result<_, _>>()?;
    Ok(match banks {
        Some(banks) => questions
            .into_iter()
            .filter(|q| banks.contains(&q.bank_id))
            .collect(),
        None => questions,
    })
}
