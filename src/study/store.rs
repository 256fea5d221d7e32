//! SQL for lessons, study sessions and credited study time.

use super::{CourseStudy, ImportSummary, Lesson, NewLesson, Progress, StudySession};
use crate::{db::Db, error::AppError, with_pool};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[derive(sqlx::FromRow)]
struct LessonRow {
    id: i64,
    course_id: i64,
    position: i64,
    module: String,
    title: String,
    body: String,
    required_seconds: i64,
    video_url: Option<String>,
    sources: String,
    updated_at: DateTime<Utc>,
    revision: i64,
}

impl From<LessonRow> for Lesson {
    fn from(r: LessonRow) -> Self {
        Lesson {
            id: r.id,
            course_id: r.course_id,
            position: r.position,
            module: r.module,
            title: r.title,
            body: r.body,
            required_seconds: r.required_seconds,
            video_url: r.video_url,
            // Written by this module only, as a JSON list of strings.
            sources: serde_json::from_str(&r.sources).unwrap_or_default(),
            updated_at: r.updated_at,
            revision: r.revision,
        }
    }
}

const SELECT_LESSON: &str = "SELECT id, course_id, position, module, title, body, required_seconds, \
     video_url, sources, updated_at, revision FROM lessons";

pub async fn lesson(db: &Db, id: i64) -> Result<Option<Lesson>, AppError> {
    let sql = format!("{SELECT_LESSON} WHERE id = $1");
    let row: Option<LessonRow> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
    });
    Ok(row.map(Into::into))
}

/// A course's lessons in study order.
pub async fn lessons_of(db: &Db, course_id: i64) -> Result<Vec<Lesson>, AppError> {
    let sql = format!("{SELECT_LESSON} WHERE course_id = $1 ORDER BY position");
    let rows: Vec<LessonRow> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(course_id).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Opens a study session for the person, ending any other they had (one place at a time).
pub async fn open_session(
    db: &Db,
    user_id: i64,
    lesson_id: i64,
    token_digest: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO study_sessions (user_id, token_hash, lesson_id, opened_at, last_beat_at, last_seq, video_position_ms) \
             VALUES ($1, $2, $3, $4, NULL, 0, NULL) \
             ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, \
             lesson_id = excluded.lesson_id, opened_at = excluded.opened_at, last_beat_at = NULL, \
             last_seq = 0, video_position_ms = NULL",
        )
        .bind(user_id)
        .bind(token_digest)
        .bind(lesson_id)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())?
    });
    Ok(())
}

/// lesson_id, last_beat_at, last_seq, video_position_ms.
type SessionRow = (i64, Option<DateTime<Utc>>, i64, Option<i64>);

/// The person's study session, if `token_digest` is still theirs.
pub async fn session(
    db: &Db,
    user_id: i64,
    token_digest: &str,
) -> Result<Option<StudySession>, AppError> {
    let row: Option<SessionRow> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT lesson_id, last_beat_at, last_seq, video_position_ms FROM study_sessions \
             WHERE user_id = $1 AND token_hash = $2",
        )
        .bind(user_id)
        .bind(token_digest)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(
        |(lesson_id, last_beat_at, last_seq, video_position_ms)| StudySession {
            user_id,
            lesson_id,
            last_beat_at,
            last_seq,
            video_position_ms,
        },
    ))
}

/// Moves the session on from heartbeat `before_seq` to `after` and adds `earned_ms` to the
/// lesson, capped at `required_ms`, in one transaction. The session moves only if no other
/// heartbeat moved it first (and it is still this page's), so two racing copies of one
/// heartbeat earn once.
#[allow(clippy::too_many_arguments)]
pub async fn record_beat(
    db: &Db,
    token_digest: &str,
    before_seq: i64,
    after: &StudySession,
    earned_ms: i64,
    required_ms: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let moved = sqlx::query(
            "UPDATE study_sessions SET last_beat_at = $1, last_seq = $2, video_position_ms = $3 \
             WHERE user_id = $4 AND token_hash = $5 AND last_seq = $6",
        )
        .bind(now)
        .bind(after.last_seq)
        .bind(after.video_position_ms)
        .bind(after.user_id)
        .bind(token_digest)
        .bind(before_seq)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 1 && earned_ms > 0 {
            sqlx::query(
                "INSERT INTO lesson_progress (user_id, lesson_id, credited_ms, completed_at, updated_at) \
                 VALUES ($1, $2, CASE WHEN $3 > $4 THEN $4 ELSE $3 END, \
                 CASE WHEN $3 >= $4 THEN $5 END, $5) \
                 ON CONFLICT (user_id, lesson_id) DO UPDATE SET \
                 credited_ms = CASE WHEN lesson_progress.credited_ms + $3 > $4 THEN $4 \
                 ELSE lesson_progress.credited_ms + $3 END, \
                 completed_at = COALESCE(lesson_progress.completed_at, \
                 CASE WHEN lesson_progress.credited_ms + $3 >= $4 THEN $5 END), \
                 updated_at = $5",
            )
            .bind(after.user_id)
            .bind(after.lesson_id)
            .bind(earned_ms)
            .bind(required_ms)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    });
    Ok(())
}

/// What the person has been credited for `lesson`.
pub async fn progress(db: &Db, user_id: i64, lesson: &Lesson) -> Result<Progress, AppError> {
    let credited_ms: Option<i64> = with_pool!(db, pool => {
        sqlx::query_scalar(
            "SELECT credited_ms FROM lesson_progress WHERE user_id = $1 AND lesson_id = $2",
        )
        .bind(user_id)
        .bind(lesson.id)
        .fetch_optional(pool)
        .await?
    });
    Ok(Progress {
        lesson_id: lesson.id,
        credited_seconds: lesson.counted_seconds(credited_ms.unwrap_or(0)),
        required_seconds: lesson.required_seconds,
    })
}

/// Credited milliseconds per lesson of a course, for one person.
pub async fn credited_in_course(
    db: &Db,
    user_id: i64,
    course_id: i64,
) -> Result<HashMap<i64, i64>, AppError> {
    let rows: Vec<(i64, i64)> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT p.lesson_id, p.credited_ms FROM lesson_progress p \
             JOIN lessons l ON l.id = p.lesson_id WHERE p.user_id = $1 AND l.course_id = $2",
        )
        .bind(user_id)
        .bind(course_id)
        .fetch_all(pool)
        .await?
    });
    Ok(rows.into_iter().collect())
}

/// The person's study time in each course that has lessons, in course order.
pub async fn study_by_course(db: &Db, user_id: i64) -> Result<Vec<CourseStudy>, AppError> {
    study_where(db, user_id, None).await
}

/// The person's study time in one course (zero of zero when it has no lessons).
pub async fn study_in_course(
    db: &Db,
    user_id: i64,
    course_id: i64,
) -> Result<CourseStudy, AppError> {
    Ok(study_where(db, user_id, Some(course_id))
        .await?
        .pop()
        .unwrap_or(CourseStudy {
            course_id,
            credited_seconds: 0,
            required_seconds: 0,
        }))
}

async fn study_where(
    db: &Db,
    user_id: i64,
    course_id: Option<i64>,
) -> Result<Vec<CourseStudy>, AppError> {
    // Credited time is capped per lesson when it is written; summing milliseconds before
    // dividing keeps a course's total from losing a second per lesson.
    let rows: Vec<(i64, i64, i64)> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT l.course_id, CAST(SUM(l.required_seconds) AS BIGINT), \
             CAST(COALESCE(SUM(p.credited_ms), 0) AS BIGINT) \
             FROM lessons l LEFT JOIN lesson_progress p ON p.lesson_id = l.id AND p.user_id = $1 \
             WHERE ($2 IS NULL OR l.course_id = $2) GROUP BY l.course_id ORDER BY l.course_id",
        )
        .bind(user_id)
        .bind(course_id)
        .fetch_all(pool)
        .await?
    });
    Ok(rows
        .into_iter()
        .map(|(course_id, required_seconds, credited_ms)| CourseStudy {
            course_id,
            credited_seconds: (credited_ms / 1000).min(required_seconds),
            required_seconds,
        })
        .collect())
}

/// A new lesson: $1 its course, $2 its order, $3–$8 its fields, $9 the time. An order the
/// course has already is left as it is.
const INSERT_LESSON: &str = "INSERT INTO lessons (course_id, position, module, title, body, \
     required_seconds, video_url, sources, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (course_id, position) DO NOTHING";

/// The lesson at $1 course, $2 order rewritten with $3–$8 at $9, if it is at revision $10.
const UPDATE_LESSON: &str = "UPDATE lessons SET module = $3, title = $4, body = $5, \
     required_seconds = $6, video_url = $7, sources = $8, updated_at = $9, revision = revision + 1 \
     WHERE course_id = $1 AND position = $2 AND revision = $10";

/// `$1`–`$9` of [`INSERT_LESSON`] and [`UPDATE_LESSON`], on either backend.
macro_rules! bind_lesson {
    ($sql:expr, $course_id:expr, $lesson:expr, $sources:expr, $now:expr) => {
        sqlx::query($sql)
            .bind($course_id)
            .bind($lesson.position)
            .bind(&$lesson.module)
            .bind(&$lesson.title)
            .bind(&$lesson.body)
            .bind($lesson.required_seconds)
            .bind(&$lesson.video_url)
            .bind($sources)
            .bind($now)
    };
}

/// Writes a course's lessons as an import gives them (see `super::replace_lessons`).
pub async fn replace_lessons(
    db: &Db,
    course_id: i64,
    lessons: &[NewLesson],
    now: DateTime<Utc>,
) -> Result<ImportSummary, AppError> {
    let mut summary = ImportSummary::default();
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        // Lock the course first: two imports of one course take turns, and on SQLite the
        // transaction holds the write lock from its start (one that reads before it writes
        // fails with "database is locked" when another writer commits in between).
        sqlx::query("UPDATE courses SET id = id WHERE id = $1")
            .bind(course_id)
            .execute(&mut *tx)
            .await?;
        let existing: Vec<(i64, i64, i64)> =
            sqlx::query_as("SELECT id, position, revision FROM lessons WHERE course_id = $1")
                .bind(course_id)
                .fetch_all(&mut *tx)
                .await?;
        let revision_at: HashMap<i64, i64> = existing.iter().map(|(_, p, r)| (*p, *r)).collect();
        for lesson in lessons {
            let sources = serde_json::to_string(&lesson.sources).expect("strings serialise");
            if let Some(revision) = revision_at.get(&lesson.position) {
                bind_lesson!(UPDATE_LESSON, course_id, lesson, &sources, now)
                    .bind(revision)
                    .execute(&mut *tx)
                    .await?;
                summary.updated += 1;
            } else {
                bind_lesson!(INSERT_LESSON, course_id, lesson, &sources, now)
                    .execute(&mut *tx)
                    .await?;
                summary.added += 1;
            }
        }
        let named: std::collections::HashSet<i64> = lessons.iter().map(|l| l.position).collect();
        for (id, position, _) in existing.iter().filter(|(_, p, _)| !named.contains(p)) {
            let studied: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM lesson_progress WHERE lesson_id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if studied > 0 {
                summary.kept_studied += 1;
                tracing::info!(lesson = id, position, "a lesson no longer imported is kept: it has been studied");
                continue;
            }
            sqlx::query("DELETE FROM study_sessions WHERE lesson_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM lessons WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            summary.removed += 1;
        }
        tx.commit().await?;
    });
    Ok(summary)
}

/// Adds a lesson at an order the course does not have yet; `false` when it has one.
pub async fn add_lesson(
    db: &Db,
    course_id: i64,
    lesson: &NewLesson,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let sources = serde_json::to_string(&lesson.sources).expect("strings serialise");
    let added = with_pool!(db, pool => {
        bind_lesson!(INSERT_LESSON, course_id, lesson, &sources, now)
            .execute(pool)
            .await?
        .rows_affected()
    });
    Ok(added == 1)
}

/// Rewrites the lesson at its order if it is still at `revision`; `false` when it was
/// written since (or is gone).
pub async fn rewrite_lesson(
    db: &Db,
    course_id: i64,
    lesson: &NewLesson,
    revision: i64,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let sources = serde_json::to_string(&lesson.sources).expect("strings serialise");
    let written = with_pool!(db, pool => {
        bind_lesson!(UPDATE_LESSON, course_id, lesson, &sources, now)
            .bind(revision)
            .execute(pool)
            .await?
        .rows_affected()
    });
    Ok(written == 1)
}

/// What taking one lesson out did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Removed,
    /// Somebody has studied it: kept, with their credited time.
    KeptStudied,
    Gone,
}

/// Takes the lesson at `position` out of the course, unless it has been studied.
pub async fn remove_lesson(db: &Db, course_id: i64, position: i64) -> Result<Removal, AppError> {
    let removal = with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        // Write first (the course's row), so that on SQLite the transaction holds the write
        // lock before it reads; a save of the same course waits its turn.
        sqlx::query("UPDATE courses SET id = id WHERE id = $1")
            .bind(course_id)
            .execute(&mut *tx)
            .await?;
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM lessons WHERE course_id = $1 AND position = $2")
                .bind(course_id)
                .bind(position)
                .fetch_optional(&mut *tx)
                .await?;
        let removal = match id {
            None => Removal::Gone,
            Some(id) => {
                let studied: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM lesson_progress WHERE lesson_id = $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                if studied > 0 {
                    Removal::KeptStudied
                } else {
                    sqlx::query("DELETE FROM study_sessions WHERE lesson_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM lessons WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    Removal::Removed
                }
            }
        };
        tx.commit().await?;
        removal
    });
    Ok(removal)
}

/// Whether any course has lessons.
pub async fn any_lessons(db: &Db) -> Result<bool, AppError> {
    let found: Option<i64> = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT id FROM lessons LIMIT 1").fetch_optional(pool).await?
    });
    Ok(found.is_some())
}

/// The online study time a course asks for: its lessons' required times together.
pub async fn required_seconds(db: &Db, course_id: i64) -> Result<i64, AppError> {
    let total: i64 = with_pool!(db, pool => {
        sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(required_seconds), 0) AS BIGINT) FROM lessons WHERE course_id = $1",
        )
        .bind(course_id)
        .fetch_one(pool)
        .await?
    });
    Ok(total)
}

/// A lesson studied in full, for the 学时证明.
pub struct Completed {
    pub position: i64,
    pub title: String,
    pub required_seconds: i64,
    pub completed_at: DateTime<Utc>,
}

/// The lessons of a course one person completed in `[from, until)`, in course order.
pub async fn completed_between(
    db: &Db,
    user_id: i64,
    course_id: i64,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Completed>, AppError> {
    let rows: Vec<(i64, String, i64, DateTime<Utc>)> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT l.position, l.title, l.required_seconds, p.completed_at FROM lesson_progress p \
             JOIN lessons l ON l.id = p.lesson_id WHERE p.user_id = $1 AND l.course_id = $2 \
             AND p.completed_at >= $3 AND p.completed_at < $4 ORDER BY l.position",
        )
        .bind(user_id)
        .bind(course_id)
        .bind(from)
        .bind(until)
        .fetch_all(pool)
        .await?
    });
    Ok(rows
        .into_iter()
        .map(
            |(position, title, required_seconds, completed_at)| Completed {
                position,
                title,
                required_seconds,
                completed_at,
            },
        )
        .collect())
}
