//! SQL for practice answers and the wrong-answer book.

use super::{BookEntry, after_answer};
use crate::{db::Db, error::AppError, with_pool};
use chrono::{DateTime, Utc};

/// Records one practice (or mock exam) answer to a question at a version and moves the
/// question in the person's book, in one transaction; returns the book entry after it.
pub async fn record(
    db: &Db,
    user_id: i64,
    question_id: i64,
    version_id: i64,
    course_id: Option<i64>,
    correct: bool,
    now: DateTime<Utc>,
) -> Result<Option<BookEntry>, AppError> {
    let entry = with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO practice_answers (user_id, question_id, version_id, correct, answered_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(user_id)
        .bind(question_id)
        .bind(version_id)
        .bind(correct)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let before: Option<(i64, i64, Option<DateTime<Utc>>)> = sqlx::query_as(
            "SELECT wrong_count, right_streak, cleared_at FROM wrong_answers \
             WHERE user_id = $1 AND question_id = $2",
        )
        .bind(user_id)
        .bind(question_id)
        .fetch_optional(&mut *tx)
        .await?;
        let before = before.map(|(wrong_count, right_streak, cleared_at)| BookEntry {
            wrong_count,
            right_streak,
            cleared: cleared_at.is_some(),
        });
        let after = after_answer(before, correct);
        if let Some(e) = after
            && Some(e) != before
        {
            sqlx::query(
                "INSERT INTO wrong_answers (user_id, question_id, wrong_count, right_streak, last_wrong_at, cleared_at, course_id) \
                 VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN $5 END, $8) \
                 ON CONFLICT (user_id, question_id) DO UPDATE SET wrong_count = excluded.wrong_count, \
                 course_id = COALESCE(excluded.course_id, wrong_answers.course_id), \
                 right_streak = excluded.right_streak, \
                 last_wrong_at = CASE WHEN $7 THEN excluded.last_wrong_at ELSE wrong_answers.last_wrong_at END, \
                 cleared_at = CASE WHEN $6 THEN COALESCE(wrong_answers.cleared_at, excluded.last_wrong_at) END",
            )
            .bind(user_id)
            .bind(question_id)
            .bind(e.wrong_count)
            .bind(e.right_streak)
            .bind(now)
            .bind(e.cleared)
            .bind(!correct)
            .bind(course_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        after
    });
    Ok(entry)
}

/// The questions in the person's wrong-answer book (not yet cleared), most recent mistake
/// first: (question id, entry, the course it was last answered under if known).
pub async fn book(db: &Db, user_id: i64) -> Result<Vec<(i64, BookEntry, Option<i64>)>, AppError> {
    let rows: Vec<(i64, i64, i64, Option<i64>)> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT question_id, wrong_count, right_streak, course_id FROM wrong_answers \
             WHERE user_id = $1 AND cleared_at IS NULL ORDER BY last_wrong_at DESC, question_id",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?
    });
    Ok(rows
        .into_iter()
        .map(|(id, wrong_count, right_streak, course_id)| {
            (
                id,
                BookEntry {
                    wrong_count,
                    right_streak,
                    cleared: false,
                },
                course_id,
            )
        })
        .collect())
}

/// A person's practice so far: answers given, how many right, the last one's time, and the
/// questions still in the wrong-answer book.
pub async fn summary(
    db: &Db,
    user_id: i64,
) -> Result<(i64, i64, Option<DateTime<Utc>>, i64), AppError> {
    let (answered, right, last): (i64, i64, Option<DateTime<Utc>>) = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN correct THEN 1 ELSE 0 END), 0), MAX(answered_at) \
             FROM practice_answers WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_one(pool)
        .await?
    });
    let in_book: i64 = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM wrong_answers WHERE user_id = $1 AND cleared_at IS NULL")
            .bind(user_id)
            .fetch_one(pool)
            .await?
    });
    Ok((answered, right, last, in_book))
}
