//! SQL for attempts, their answers and events, and for drawing papers (reading them back is
//! `paper::store`).

use super::{
    Attempt, AttemptStatus,
    grading::{Grade, QuestionResult},
};
use crate::{
    db::Db,
    paper::{Paper, PaperFace, store::FaceRow},
    with_pool, with_writer,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    registration_id: i64,
    sitting_id: i64,
    user_id: i64,
    course_id: i64,
    status: String,
    started_at: DateTime<Utc>,
    deadline: DateTime<Utc>,
    extended_minutes: i64,
    finished_at: Option<DateTime<Utc>>,
    score: Option<f64>,
    max_score: f64,
    passed: Option<bool>,
    sections: Option<String>,
    terminated_reason: Option<String>,
}

const COLUMNS: &str = "id, registration_id, sitting_id, user_id, course_id, status, started_at, deadline, \
     extended_minutes, finished_at, score, max_score, passed, sections, terminated_reason";

impl From<Row> for Attempt {
    fn from(r: Row) -> Self {
        Attempt {
            id: r.id,
            registration_id: r.registration_id,
            sitting_id: r.sitting_id,
            user_id: r.user_id,
            course_id: r.course_id,
            status: AttemptStatus::parse(&r.status),
            started_at: r.started_at,
            deadline: r.deadline,
            extended_minutes: r.extended_minutes,
            finished_at: r.finished_at,
            score: r.score,
            max_score: r.max_score,
            passed: r.passed,
            summary: r.sections.and_then(|s| serde_json::from_str(&s).ok()),
            terminated_reason: r.terminated_reason,
        }
    }
}

/// A sitting's window and course, as a start sees them.
pub struct StartWindow {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub course_id: i64,
    pub time_limit_minutes: i64,
}

/// A candidate's booking in a sitting, as a start sees it.
pub struct StartBooking {
    pub registration_id: i64,
    pub booked: bool,
    pub attempt_exists: bool,
    /// The paper's maximum score: None when the paper is not drawn, or was drawn before
    /// migration 0006 and keeps it only inside its content.
    pub paper_max_score: Option<f64>,
}

#[derive(sqlx::FromRow)]
struct StartRow {
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    cancelled_at: Option<DateTime<Utc>>,
    course_id: i64,
    time_limit_minutes: i64,
    user_id: Option<i64>,
    registration_id: Option<i64>,
    registration_status: Option<String>,
    attempt_id: Option<i64>,
    paper_max_score: Option<f64>,
}

/// Everything the starts of some candidates in one sitting decide on, in one query: the
/// sitting's window, and each one's booking by user id (absent: no booking). None when the
/// sitting does not exist. A start storm decides its starts a batch at a time
/// (`exam::starts`): one query per batch instead of one per start.
pub async fn start_contexts(
    db: &Db,
    sitting_id: i64,
    user_ids: &[i64],
) -> Result<Option<(StartWindow, HashMap<i64, StartBooking>)>, sqlx::Error> {
    // The list is padded to a power of two with its last id, so a storm's batches of every
    // size share a few prepared statements instead of one each.
    let padded = user_ids.len().max(1).next_power_of_two();
    let last = user_ids.last().copied().unwrap_or(0);
    let rows: Vec<StartRow> = with_pool!(db, pool => {
        let mut query = sqlx::QueryBuilder::new(
            "SELECT s.starts_at, s.ends_at, s.cancelled_at, s.course_id, c.time_limit_minutes, \
             r.user_id, r.id AS registration_id, r.status AS registration_status, a.id AS attempt_id, \
             p.max_score AS paper_max_score \
             FROM sittings s JOIN courses c ON c.id = s.course_id \
             LEFT JOIN registrations r ON r.sitting_id = s.id AND r.user_id IN (",
        );
        let mut ids = query.separated(", ");
        for i in 0..padded {
            ids.push_bind(user_ids.get(i).copied().unwrap_or(last));
        }
        query.push(
            ") LEFT JOIN attempts a ON a.registration_id = r.id \
             LEFT JOIN papers p ON p.registration_id = r.id WHERE s.id = ",
        );
        query.push_bind(sitting_id);
        query.build_query_as().fetch_all(pool).await?
    });
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let window = StartWindow {
        starts_at: first.starts_at,
        ends_at: first.ends_at,
        cancelled_at: first.cancelled_at,
        course_id: first.course_id,
        time_limit_minutes: first.time_limit_minutes,
    };
    let bookings = rows
        .into_iter()
        .filter_map(|r| {
            let booking = StartBooking {
                registration_id: r.registration_id?,
                booked: r.registration_status.as_deref() == Some("booked"),
                attempt_exists: r.attempt_id.is_some(),
                paper_max_score: r.paper_max_score,
            };
            Some((r.user_id?, booking))
        })
        .collect();
    Ok(Some((window, bookings)))
}

pub async fn insert_paper(
    db: &Db,
    registration_id: i64,
    paper: &Paper,
    now: DateTime<Utc>,
) -> Result<Option<PaperFace>, sqlx::Error> {
    let content = serde_json::to_string(paper).expect("paper serialises");
    let face = paper.face();
    let inserted = with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO papers (registration_id, seed, content, created_at, candidate_view, option_keys, max_score) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (registration_id) DO NOTHING",
        )
        .bind(registration_id).bind(paper.seed as i64).bind(content).bind(now)
        .bind(&face.questions_json).bind(face.option_keys.join(",")).bind(face.max_score)
        .execute(pool).await.map(|r| r.rows_affected())
    })?;
    Ok((inserted == 1).then_some(face))
}

/// Booked registrations of a sitting that have no paper yet: (registration id, user id).
pub async fn registrations_without_paper(
    db: &Db,
    sitting_id: i64,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    // Run every 30 s for each sitting about to start or under way. On SQLite the ids' own
    // index is named: its planner would otherwise look each paper up by rowid and touch a
    // ~100 KB row per candidate (migration 0018).
    const SQL: &str = "SELECT r.id, r.user_id FROM registrations r WHERE r.sitting_id = $1 AND r.status = 'booked' \
         AND NOT EXISTS (SELECT 1 FROM papers p {HINT} WHERE p.registration_id = r.id) ORDER BY r.id";
    let hint = match db {
        Db::Sqlite { .. } => "INDEXED BY papers_drawn",
        Db::Postgres(_) => "",
    };
    let sql = SQL.replace("{HINT}", hint);
    with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(sitting_id).fetch_all(pool).await
    })
}

/// A page of a sitting's drawn papers, booked registrations only, after `after` in
/// registration order: (user id, registration id, the paper's face as stored).
pub async fn drawn_papers(
    db: &Db,
    sitting_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, i64, FaceRow)>, sqlx::Error> {
    type Row = (
        i64,
        i64,
        Option<String>,
        Option<String>,
        Option<f64>,
        Option<String>,
    );
    let rows: Vec<Row> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT r.user_id, r.id, p.candidate_view, p.option_keys, p.max_score, \
             CASE WHEN p.candidate_view IS NULL THEN p.content END \
             FROM registrations r JOIN papers p ON p.registration_id = r.id \
             WHERE r.sitting_id = $1 AND r.status = 'booked' AND r.id > $2 ORDER BY r.id LIMIT $3",
        )
        .bind(sitting_id).bind(after).bind(limit).fetch_all(pool).await
    })?;
    Ok(rows
        .into_iter()
        .map(|(user, reg, view, keys, max, content)| (user, reg, (view, keys, max, content)))
        .collect())
}

/// Sittings not cancelled whose window starts before `until` and has not ended.
pub async fn sittings_starting_before(
    db: &Db,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<i64>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_scalar("SELECT id FROM sittings WHERE cancelled_at IS NULL AND starts_at <= $2 AND ends_at > $1")
            .bind(now).bind(until).fetch_all(pool).await
    })
}

pub async fn attempt(db: &Db, id: i64) -> Result<Option<Attempt>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM attempts WHERE id = $1");
    let row: Option<Row> = with_pool!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?);
    Ok(row.map(Into::into))
}

pub async fn attempt_for_registration(
    db: &Db,
    registration_id: i64,
) -> Result<Option<Attempt>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM attempts WHERE registration_id = $1");
    let row: Option<Row> = with_pool!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(registration_id).fetch_optional(pool).await?);
    Ok(row.map(Into::into))
}

#[derive(Clone)]
pub struct NewAttempt {
    pub registration_id: i64,
    pub sitting_id: i64,
    pub user_id: i64,
    pub course_id: i64,
    pub started_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub max_score: f64,
}

/// Inserts attempts with their `started` events in one transaction: a start storm commits
/// a batch at a time (`exam::starts`), not a start at a time. For each new attempt in order,
/// its id, or None when the registration has one already (a racing start).
pub async fn insert_attempts(
    db: &Db,
    batch: &[NewAttempt],
) -> Result<Vec<Option<i64>>, sqlx::Error> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let inserted: Vec<(i64, i64)> = with_writer!(db, pool => {
        let mut tx = pool.begin().await?;
        let mut insert = sqlx::QueryBuilder::new(
            "INSERT INTO attempts (registration_id, sitting_id, user_id, course_id, status, started_at, deadline, max_score) ",
        );
        insert.push_values(batch, |mut row, a| {
            row.push_bind(a.registration_id).push_bind(a.sitting_id).push_bind(a.user_id)
                .push_bind(a.course_id).push_bind("in_progress").push_bind(a.started_at)
                .push_bind(a.deadline).push_bind(a.max_score);
        });
        insert.push(" ON CONFLICT (registration_id) DO NOTHING RETURNING id, registration_id");
        let inserted: Vec<(i64, i64)> = insert.build_query_as().fetch_all(&mut *tx).await?;
        if !inserted.is_empty() {
            let by_registration: std::collections::HashMap<i64, &NewAttempt> =
                batch.iter().map(|a| (a.registration_id, a)).collect();
            let mut events = sqlx::QueryBuilder::new(
                "INSERT INTO attempt_events (attempt_id, kind, detail, actor_id, at) ",
            );
            events.push_values(&inserted, |mut row, (id, registration_id)| {
                let a = by_registration[registration_id];
                row.push_bind(*id).push_bind("started").push_bind(None::<String>)
                    .push_bind(a.user_id).push_bind(a.started_at);
            });
            events.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        inserted
    });
    let mut ids: std::collections::HashMap<i64, i64> = inserted
        .into_iter()
        .map(|(id, registration)| (registration, id))
        .collect();
    // A second start of the same registration in one batch finds the attempt taken.
    Ok(batch
        .iter()
        .map(|a| ids.remove(&a.registration_id))
        .collect())
}

impl NewAttempt {
    /// The attempt as inserted under `id`.
    pub fn into_attempt(self, id: i64) -> Attempt {
        Attempt {
            id,
            registration_id: self.registration_id,
            sitting_id: self.sitting_id,
            user_id: self.user_id,
            course_id: self.course_id,
            status: AttemptStatus::InProgress,
            started_at: self.started_at,
            deadline: self.deadline,
            extended_minutes: 0,
            finished_at: None,
            score: None,
            max_score: self.max_score,
            passed: None,
            summary: None,
            terminated_reason: None,
        }
    }
}

/// Moves an in-progress attempt to `status` with its grade and every answer, in one
/// transaction that only one writer can win; false when the attempt was already finished.
pub async fn finish(
    db: &Db,
    id: i64,
    status: AttemptStatus,
    grade: &Grade,
    tallies: &crate::question_stats::Tallies,
    finished_at: DateTime<Utc>,
    reason: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let summary = serde_json::json!({"sections": grade.sections, "tags": grade.tags}).to_string();
    with_writer!(db, pool => {
        let mut tx = pool.begin().await?;
        let won = sqlx::query(
            "UPDATE attempts SET status = $2, finished_at = $3, score = $4, passed = $5, sections = $6, terminated_reason = $7, \
             first_try = NOT EXISTS (SELECT 1 FROM attempts p WHERE p.user_id = attempts.user_id \
               AND p.course_id = attempts.course_id AND p.started_at < attempts.started_at) \
             WHERE id = $1 AND status = 'in_progress'",
        )
        .bind(id).bind(status.as_str()).bind(finished_at).bind(grade.score)
        .bind(grade.passed && status == AttemptStatus::Graded).bind(&summary).bind(reason)
        .execute(&mut *tx).await?;
        if won.rows_affected() != 1 {
            return Ok(false);
        }
        // One statement per 500 answers rather than one per answer: the deadline storm grades
        // thousands of attempts at once, and round trips were most of each one's cost.
        for chunk in grade.questions.chunks(500) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO attempt_answers (attempt_id, position, question_version_id, choice, seq, correct, awarded) ",
            );
            insert.push_values(chunk, |mut row, q| {
                row.push_bind(id).push_bind(i64::from(q.position)).push_bind(q.version_id)
                    .push_bind(q.choice.join(",")).push_bind(q.seq).push_bind(q.correct)
                    .push_bind(q.awarded);
            });
            insert.build().execute(&mut *tx).await?;
        }
        // The question statistics, in the same commit (rows in version order, so concurrent
        // graders lock them in one order and cannot deadlock).
        if !tallies.uses.is_empty() {
            let mut upsert = sqlx::QueryBuilder::new(
                "INSERT INTO question_stats (question_version_id, band, used, correct) ",
            );
            upsert.push_values(&tallies.uses, |mut row, (version, band, correct)| {
                row.push_bind(*version).push_bind(*band).push_bind(1i64).push_bind(i64::from(*correct));
            });
            upsert.push(
                " ON CONFLICT (question_version_id, band) DO UPDATE SET used = question_stats.used + excluded.used, \
                 correct = question_stats.correct + excluded.correct",
            );
            upsert.build().execute(&mut *tx).await?;
        }
        if !tallies.chosen.is_empty() {
            let mut upsert = sqlx::QueryBuilder::new(
                "INSERT INTO question_option_counts (question_version_id, option_key, chosen) ",
            );
            upsert.push_values(&tallies.chosen, |mut row, (version, key)| {
                row.push_bind(*version).push_bind(key.as_str()).push_bind(1i64);
            });
            upsert.push(
                " ON CONFLICT (question_version_id, option_key) DO UPDATE SET \
                 chosen = question_option_counts.chosen + excluded.chosen",
            );
            upsert.build().execute(&mut *tx).await?;
        }
        // What the local live store folded for this attempt at a restart is done with, in the
        // same commit (its log rows go when that journal is idle).
        sqlx::query("DELETE FROM live_answers WHERE attempt_id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    })
}

pub async fn answers(db: &Db, attempt_id: i64) -> Result<Vec<QuestionResult>, sqlx::Error> {
    let rows: Vec<(i64, i64, String, i64, bool, f64)> = with_pool!(db, pool => {
        sqlx::query_as("SELECT position, question_version_id, choice, seq, correct, awarded FROM attempt_answers WHERE attempt_id = $1 ORDER BY position")
            .bind(attempt_id).fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .map(|(p, v, c, s, correct, awarded)| QuestionResult {
            position: p as u32,
            version_id: v,
            choice: crate::live::decode_choice(&c),
            seq: s,
            correct,
            awarded,
        })
        .collect())
}

/// In-progress attempts whose deadline is before `before`.
pub async fn overdue(
    db: &Db,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(i64, DateTime<Utc>)>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_as("SELECT id, deadline FROM attempts WHERE status = 'in_progress' AND deadline < $1 ORDER BY deadline LIMIT $2")
            .bind(before).bind(limit).fetch_all(pool).await
    })
}

/// Adds minutes to an in-progress attempt; its new deadline, or None when not in progress.
pub async fn extend(
    db: &Db,
    id: i64,
    deadline: DateTime<Utc>,
    minutes: i64,
) -> Result<bool, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("UPDATE attempts SET deadline = $2, extended_minutes = extended_minutes + $3 WHERE id = $1 AND status = 'in_progress'")
            .bind(id).bind(deadline).bind(minutes).execute(pool).await.map(|r| r.rows_affected() == 1)
    })
}

pub async fn for_sitting(db: &Db, sitting_id: i64) -> Result<Vec<(Attempt, String)>, sqlx::Error> {
    let sql = format!(
        "SELECT a.{}, u.name FROM attempts a JOIN users u ON u.id = a.user_id WHERE a.sitting_id = $1 ORDER BY a.id",
        COLUMNS.replace(", ", ", a.")
    );
    with_pool!(db, pool => {
        let rows: Vec<(Row, String)> = {
            use sqlx::Row as _;
            let raw = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(sitting_id).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(raw.len());
            for r in raw {
                let name: String = r.try_get("name")?;
                out.push((<Row as sqlx::FromRow<_>>::from_row(&r)?, name));
            }
            out
        };
        Ok(rows.into_iter().map(|(r, n)| (r.into(), n)).collect())
    })
}

/// Attempts of a person at a course, newest first: (status, passed).
pub async fn add_event(
    db: &Db,
    attempt_id: i64,
    kind: &str,
    detail: Option<&str>,
    actor: Option<i64>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    with_writer!(db, pool => {
        sqlx::query("INSERT INTO attempt_events (attempt_id, kind, detail, actor_id, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(attempt_id).bind(kind).bind(detail).bind(actor).bind(at).execute(pool).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub kind: String,
    pub detail: Option<String>,
    pub actor_id: Option<i64>,
    pub at: DateTime<Utc>,
}

/// For each attempt of a sitting: how often its page was left and how often it came back
/// after losing the network (what a proctor watches for), by attempt id.
pub async fn away_counts(
    db: &Db,
    sitting_id: i64,
) -> Result<std::collections::HashMap<i64, (i64, i64)>, sqlx::Error> {
    let rows: Vec<(i64, i64, i64)> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT e.attempt_id, \
             SUM(CASE WHEN e.kind = 'page_hidden' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN e.kind = 'reconnected' THEN 1 ELSE 0 END) \
             FROM attempt_events e JOIN attempts a ON a.id = e.attempt_id \
             WHERE a.sitting_id = $1 AND e.kind IN ('page_hidden', 'reconnected') GROUP BY e.attempt_id",
        )
        .bind(sitting_id).fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .map(|(id, hidden, back)| (id, (hidden, back)))
        .collect())
}

pub async fn events(db: &Db, attempt_id: i64) -> Result<Vec<Event>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_as("SELECT kind, detail, actor_id, at FROM attempt_events WHERE attempt_id = $1 ORDER BY id")
            .bind(attempt_id).fetch_all(pool).await
    })
}

pub async fn record_practical(
    db: &Db,
    registration_id: i64,
    passed: bool,
    notes: Option<&str>,
    examiner: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO practical_assessments (registration_id, passed, notes, examiner_id, assessed_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (registration_id) DO UPDATE SET passed = excluded.passed, notes = excluded.notes, \
             examiner_id = excluded.examiner_id, assessed_at = excluded.assessed_at",
        )
        .bind(registration_id).bind(passed).bind(notes).bind(examiner).bind(at)
        .execute(pool).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn practical(
    db: &Db,
    registration_id: i64,
) -> Result<Option<(bool, Option<String>, DateTime<Utc>)>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_as("SELECT passed, notes, assessed_at FROM practical_assessments WHERE registration_id = $1")
            .bind(registration_id).fetch_optional(pool).await
    })
}
