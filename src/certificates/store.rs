//! SQL for certificates and their numbering.

use crate::{access::Scope, db::Db, enqueue_mails, error::AppError, mail::OutgoingMail, with_pool};
use chrono::{DateTime, NaiveDate, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Certificate {
    pub id: i64,
    pub number: String,
    pub verify_code: String,
    pub user_id: i64,
    pub course_id: i64,
    pub registration_id: Option<i64>,
    pub attempt_id: Option<i64>,
    pub holder_name: String,
    pub id_number_masked: Option<String>,
    pub exam_date: NaiveDate,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
    pub previous_id: Option<i64>,
    /// How it came to be: `initial`, `renewal` or `reissue` (see `super::Kind`).
    pub kind: String,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, number, verify_code, user_id, course_id, registration_id, attempt_id, holder_name, \
     id_number_masked, exam_date, issued_on, expires_on, revoked_at, revoke_reason, previous_id, kind, created_at";

/// Whether certificate `c` counts in targets and reports (SQL): not revoked, unless it was
/// revoked only because a reissue replaced it (the person stays certified).
pub const COUNTS: &str = "(c.revoked_at IS NULL OR EXISTS (SELECT 1 FROM certificates n \
     WHERE n.previous_id = c.id AND n.kind = 'reissue'))";

/// The next number in `scope` (e.g. `FR-THEORY-2026`): one atomic upsert, so two issues never
/// get the same number, on either backend.
pub async fn next_number(db: &Db, scope: &str) -> Result<i64, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_scalar(
            "INSERT INTO certificate_sequences (scope, last) VALUES ($1, 1) \
             ON CONFLICT (scope) DO UPDATE SET last = certificate_sequences.last + 1 RETURNING last",
        )
        .bind(scope)
        .fetch_one(pool)
        .await
    })
}

/// Inserts a certificate with its mail; None when the attempt already has one.
pub async fn insert(
    db: &Db,
    c: &Certificate,
    mails: &[OutgoingMail],
) -> Result<Option<Certificate>, AppError> {
    let now = Utc::now();
    let id: Option<i64> = with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO certificates (number, verify_code, user_id, course_id, registration_id, attempt_id, holder_name, \
             id_number_masked, exam_date, issued_on, expires_on, previous_id, kind, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (attempt_id) DO NOTHING RETURNING id",
        )
        .bind(&c.number).bind(&c.verify_code).bind(c.user_id).bind(c.course_id).bind(c.registration_id)
        .bind(c.attempt_id).bind(&c.holder_name).bind(c.id_number_masked.as_deref()).bind(c.exam_date)
        .bind(c.issued_on).bind(c.expires_on).bind(c.previous_id).bind(&c.kind).bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        if id.is_some() {
            enqueue_mails!(tx, mails.iter(), now)?;
        }
        tx.commit().await?;
        id
    });
    match id {
        Some(id) => Ok(certificate(db, id).await?),
        None => Ok(None),
    }
}

async fn one_by_id(db: &Db, condition: &str, id: i64) -> Result<Option<Certificate>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM certificates WHERE {condition}");
    with_pool!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await)
}

pub async fn certificate(db: &Db, id: i64) -> Result<Option<Certificate>, sqlx::Error> {
    one_by_id(db, "id = $1", id).await
}

pub async fn by_attempt(db: &Db, attempt_id: i64) -> Result<Option<Certificate>, sqlx::Error> {
    one_by_id(db, "attempt_id = $1", attempt_id).await
}

pub async fn by_verify_code(db: &Db, code: &str) -> Result<Option<Certificate>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM certificates WHERE verify_code = $1");
    with_pool!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(code).fetch_optional(pool).await)
}

/// The certificate that renews or replaces `id`, if any.
pub async fn successor(db: &Db, id: i64) -> Result<Option<Certificate>, sqlx::Error> {
    one_by_id(db, "previous_id = $1 ORDER BY id DESC LIMIT 1", id).await
}

/// The holder's newest unrevoked, unexpired certificate of a course.
pub async fn latest_valid(
    db: &Db,
    user_id: i64,
    course_id: i64,
    today: NaiveDate,
) -> Result<Option<Certificate>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM certificates WHERE user_id = $1 AND course_id = $2 AND revoked_at IS NULL \
         AND expires_on >= $3 ORDER BY expires_on DESC, id DESC LIMIT 1"
    );
    with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(course_id).bind(today).fetch_optional(pool).await
    })
}

pub async fn revoke(
    db: &Db,
    id: i64,
    reason: &str,
    mails: &[OutgoingMail],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE certificates SET revoked_at = $2, revoke_reason = $3 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id).bind(now).bind(reason).execute(&mut *tx).await?;
        enqueue_mails!(tx, mails.iter(), now)?;
        tx.commit().await?;
        Ok::<(), sqlx::Error>(())
    })?;
    Ok(())
}

/// Certificates in pages, soonest expiry first; `expiring_by` keeps unrevoked ones that
/// expire by that date.
pub async fn list(
    db: &Db,
    scope: Scope,
    expiring_by: Option<NaiveDate>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Certificate>, i64), sqlx::Error> {
    let (holder, enterprise) = match scope {
        Scope::All => (None, None),
        Scope::Own(u) => (Some(u), None),
        Scope::Enterprise(e) => (None, Some(e)),
    };
    let filter = "WHERE ($1 IS NULL OR user_id = $1) \
                  AND ($2 IS NULL OR user_id IN (SELECT id FROM users WHERE enterprise_id = $2)) \
                  AND ($3 IS NULL OR (expires_on <= $3 AND revoked_at IS NULL))";
    let sql = format!(
        "SELECT {COLUMNS} FROM certificates {filter} ORDER BY expires_on, id LIMIT $4 OFFSET $5"
    );
    let count_sql = format!("SELECT COUNT(*) FROM certificates {filter}");
    with_pool!(db, pool => {
        let items = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(holder).bind(enterprise).bind(expiring_by).bind(limit).bind(offset).fetch_all(pool).await?;
        let total = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
            .bind(holder).bind(enterprise).bind(expiring_by).fetch_one(pool).await?;
        Ok((items, total))
    })
}

/// Certificates found by what a clerk at the counter has: the certificate's number, or the
/// holder's mobile number or name (exact); newest first, a page at a time.
pub async fn search(
    db: &Db,
    query: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Certificate>, i64), sqlx::Error> {
    let filter =
        "WHERE number = $1 OR user_id IN (SELECT id FROM users WHERE phone = $1 OR name = $1)";
    let sql =
        format!("SELECT {COLUMNS} FROM certificates {filter} ORDER BY id DESC LIMIT $2 OFFSET $3");
    let count_sql = format!("SELECT COUNT(*) FROM certificates {filter}");
    with_pool!(db, pool => {
        let items = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(query).bind(limit).bind(offset).fetch_all(pool).await?;
        let total = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
            .bind(query).fetch_one(pool).await?;
        Ok((items, total))
    })
}

/// Unrevoked certificates expiring between `from` and `until` whose reminder (dedupe key
/// `<prefix><id>`) has not been queued, with the holder's email.
pub async fn expiring_without_reminder(
    db: &Db,
    from: NaiveDate,
    until: NaiveDate,
    prefix: &str,
) -> Result<Vec<(Certificate, String)>, sqlx::Error> {
    let sql = format!(
        "SELECT c.{}, u.email AS email FROM certificates c JOIN users u ON u.id = c.user_id \
         WHERE c.revoked_at IS NULL AND c.expires_on >= $1 AND c.expires_on <= $2 AND u.email IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM certificates n WHERE n.previous_id = c.id) \
         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.dedupe_key = $3 || c.id)",
        COLUMNS.replace(", ", ", c.")
    );
    with_pool!(db, pool => {
        use sqlx::Row as _;
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(from).bind(until).bind(prefix).fetch_all(pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let email: String = r.try_get("email")?;
            out.push((<Certificate as sqlx::FromRow<_>>::from_row(&r)?, email));
        }
        Ok(out)
    })
}
