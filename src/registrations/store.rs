//! SQL for registrations. Booking is one transaction that first locks the sitting row (a
//! no-op write: a row lock on PostgreSQL, the write lock on SQLite), so concurrent bookings
//! for one sitting queue up and the capacity holds exactly.

use super::Registration;
use crate::{access::Scope, db::Db, enqueue_mails, mail::OutgoingMail, with_pool};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
struct Row {
    id: i64,
    sitting_id: i64,
    user_id: i64,
    seat: i64,
    status: String,
    enterprise_id: Option<i64>,
    booked_by: i64,
    check_code: String,
    created_at: DateTime<Utc>,
    cancelled_at: Option<DateTime<Utc>>,
    checked_in_at: Option<DateTime<Utc>>,
}

impl From<Row> for Registration {
    fn from(r: Row) -> Self {
        Registration {
            id: r.id,
            sitting_id: r.sitting_id,
            user_id: r.user_id,
            seat: r.seat,
            booked: r.status == "booked",
            enterprise_id: r.enterprise_id,
            booked_by: r.booked_by,
            check_code: r.check_code,
            created_at: r.created_at,
            cancelled_at: r.cancelled_at,
            checked_in_at: r.checked_in_at,
        }
    }
}

const COLUMNS: &str = "id, sitting_id, user_id, seat, status, enterprise_id, booked_by, check_code, created_at, cancelled_at, checked_in_at";
const SELECT: &str = "SELECT id, sitting_id, user_id, seat, status, enterprise_id, booked_by, check_code, created_at, cancelled_at, checked_in_at FROM registrations";

/// Who a booking is for: a known account, a known account to tie to an enterprise, or a
/// new account made from a roster row (in the same transaction as the booking).
pub enum Person {
    Known(i64),
    Link { user_id: i64, enterprise_id: i64 },
    New(Box<NewAccount>),
}

/// A candidate account created for an enterprise's staff member: no password yet, a
/// one-time link to set one.
pub struct NewAccount {
    pub name: String,
    pub phone: String,
    pub email: String,
    pub id_type: &'static str,
    pub sealed: crate::pii::SealedIdNumber,
    pub enterprise_id: i64,
    pub job_role: Option<String>,
    pub setup_token_digest: String,
    pub setup_expires_at: DateTime<Utc>,
}

/// One person to book, with the mail to queue once their registration id and seat exist.
pub struct Booking<'a> {
    pub person: Person,
    pub enterprise_id: Option<i64>,
    pub check_code: String,
    pub mail: Box<dyn Fn(i64, i64) -> Vec<OutgoingMail> + Send + Sync + 'a>,
}

pub enum Booked {
    /// Newly booked (or re-booked after a cancellation).
    New(Registration),
    /// Already booked: nothing changed.
    Existing(Registration),
}

pub enum BookError {
    Full { seats_left: i64 },
    Gone,
    Db(sqlx::Error),
}

impl From<sqlx::Error> for BookError {
    fn from(e: sqlx::Error) -> Self {
        BookError::Db(e)
    }
}

/// Books every person in `bookings` into a sitting, all or nothing: if the seats left do not
/// cover the new bookings, nothing is booked. Extra `mails` (e.g. password links) go in the
/// same transaction.
pub async fn book_all(
    db: &Db,
    sitting_id: i64,
    booked_by: i64,
    bookings: &[Booking<'_>],
    mails: &[OutgoingMail],
    now: DateTime<Utc>,
) -> Result<Vec<Booked>, BookError> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let locked = sqlx::query("UPDATE sittings SET seats_taken = seats_taken WHERE id = $1 AND cancelled_at IS NULL")
            .bind(sitting_id).execute(&mut *tx).await?;
        if locked.rows_affected() == 0 {
            return Err(BookError::Gone);
        }
        let (capacity, taken): (i64, i64) = sqlx::query_as("SELECT capacity, seats_taken FROM sittings WHERE id = $1")
            .bind(sitting_id).fetch_one(&mut *tx).await?;
        let existing: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE sitting_id = $1")))
            .bind(sitting_id).fetch_all(&mut *tx).await?;
        let mut used: std::collections::BTreeSet<i64> = existing.iter().filter(|r| r.status == "booked").map(|r| r.seat).collect();
        let known_id = |p: &Person| match p {
            Person::Known(id) | Person::Link { user_id: id, .. } => Some(*id),
            Person::New(_) => None,
        };
        let new_count = bookings
            .iter()
            .filter(|b| known_id(&b.person).is_none_or(|id| !existing.iter().any(|r| r.user_id == id && r.status == "booked")))
            .count() as i64;
        if taken + new_count > capacity {
            return Err(BookError::Full { seats_left: (capacity - taken).max(0) });
        }
        let mut out = Vec::with_capacity(bookings.len());
        let mut next_free = 1;
        for booking in bookings {
            let user_id = match &booking.person {
                Person::Known(id) => *id,
                Person::Link { user_id, enterprise_id } => {
                    sqlx::query("UPDATE users SET enterprise_id = $2 WHERE id = $1 AND enterprise_id IS NULL")
                        .bind(user_id).bind(enterprise_id).execute(&mut *tx).await?;
                    *user_id
                }
                Person::New(account) => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO users (name, phone, email, id_type, id_number_cipher, id_number_hash, id_number_masked, \
                         enterprise_id, job_role, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                    )
                    .bind(&account.name).bind(&account.phone).bind(&account.email).bind(account.id_type)
                    .bind(&account.sealed.cipher).bind(&account.sealed.lookup_hash).bind(&account.sealed.masked)
                    .bind(account.enterprise_id).bind(account.job_role.as_deref()).bind(now)
                    .fetch_one(&mut *tx).await?;
                    sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, 'candidate')")
                        .bind(id).execute(&mut *tx).await?;
                    sqlx::query("INSERT INTO password_setup_tokens (token_hash, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)")
                        .bind(&account.setup_token_digest).bind(id).bind(account.setup_expires_at).bind(now)
                        .execute(&mut *tx).await?;
                    id
                }
            };
            let previous = existing.iter().find(|r| r.user_id == user_id);
            if let Some(r) = previous.filter(|r| r.status == "booked") {
                out.push(Booked::Existing(r.clone().into()));
                continue;
            }
            while used.contains(&next_free) {
                next_free += 1;
            }
            let seat = next_free;
            used.insert(seat);
            let row: Row = match previous {
                Some(cancelled) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE registrations SET status = 'booked', seat = $2, booked_by = $3, enterprise_id = $4, \
                     cancelled_at = NULL, created_at = $5 WHERE id = $1 RETURNING {COLUMNS}")))
                    .bind(cancelled.id).bind(seat).bind(booked_by).bind(booking.enterprise_id).bind(now)
                    .fetch_one(&mut *tx).await?,
                None => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO registrations (sitting_id, user_id, seat, status, enterprise_id, booked_by, check_code, created_at) \
                     VALUES ($1, $2, $3, 'booked', $4, $5, $6, $7) RETURNING {COLUMNS}")))
                    .bind(sitting_id).bind(user_id).bind(seat).bind(booking.enterprise_id)
                    .bind(booked_by).bind(&booking.check_code).bind(now)
                    .fetch_one(&mut *tx).await?,
            };
            let mails = (booking.mail)(row.id, seat);
            enqueue_mails!(tx, mails.iter(), now)?;
            out.push(Booked::New(row.into()));
        }
        sqlx::query("UPDATE sittings SET seats_taken = seats_taken + $2 WHERE id = $1")
            .bind(sitting_id).bind(new_count).execute(&mut *tx).await?;
        enqueue_mails!(tx, mails.iter(), now)?;
        tx.commit().await?;
        Ok(out)
    })
}

/// Cancels a booking and frees its seat; false when it was not booked.
pub async fn cancel(
    db: &Db,
    id: i64,
    mail: Option<&OutgoingMail>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let sitting: Option<i64> = sqlx::query_scalar(
            "UPDATE registrations SET status = 'cancelled', cancelled_at = $2 WHERE id = $1 AND status = 'booked' RETURNING sitting_id",
        )
        .bind(id).bind(now).fetch_optional(&mut *tx).await?;
        let Some(sitting) = sitting else {
            return Ok(false);
        };
        sqlx::query("UPDATE sittings SET seats_taken = seats_taken - 1 WHERE id = $1 AND seats_taken > 0")
            .bind(sitting).execute(&mut *tx).await?;
        if let Some(mail) = mail {
            enqueue_mails!(tx, [mail], now)?;
        }
        tx.commit().await?;
        Ok(true)
    })
}

pub async fn registration(db: &Db, id: i64) -> Result<Option<Registration>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE id = $1");
    let row: Option<Row> = with_pool!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?);
    Ok(row.map(Into::into))
}

pub async fn by_check_code(db: &Db, code: &str) -> Result<Option<Registration>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE check_code = $1");
    let row: Option<Row> = with_pool!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(code).fetch_optional(pool).await?);
    Ok(row.map(Into::into))
}

/// Records that a proctor checked the candidate in; the first check-in stands.
pub async fn check_in(
    db: &Db,
    id: i64,
    by: i64,
    at: DateTime<Utc>,
) -> Result<Option<Registration>, sqlx::Error> {
    let sql = format!(
        "UPDATE registrations SET checked_in_at = COALESCE(checked_in_at, $3), \
         checked_in_by = COALESCE(checked_in_by, $2) WHERE id = $1 RETURNING {COLUMNS}"
    );
    let row: Option<Row> = with_pool!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(by).bind(at).fetch_optional(pool).await?);
    Ok(row.map(Into::into))
}

pub async fn for_user_in_sitting(
    db: &Db,
    sitting_id: i64,
    user_id: i64,
) -> Result<Option<Registration>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE sitting_id = $1 AND user_id = $2");
    let row: Option<Row> = with_pool!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(sitting_id).bind(user_id).fetch_optional(pool).await?);
    Ok(row.map(Into::into))
}

pub async fn list(
    db: &Db,
    scope: Scope,
    sitting_id: Option<i64>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Registration>, i64), sqlx::Error> {
    let (user, enterprise) = match scope {
        Scope::All => (None, None),
        Scope::Own(u) => (Some(u), None),
        Scope::Enterprise(e) => (None, Some(e)),
    };
    let filter = "WHERE ($1 IS NULL OR r.user_id = $1) \
                  AND ($2 IS NULL OR r.enterprise_id = $2 OR r.user_id IN (SELECT id FROM users WHERE enterprise_id = $2)) \
                  AND ($3 IS NULL OR r.sitting_id = $3)";
    let sql = format!(
        "SELECT r.id, r.sitting_id, r.user_id, r.seat, r.status, r.enterprise_id, r.booked_by, r.check_code, r.created_at, r.cancelled_at, r.checked_in_at \
         FROM registrations r {filter} ORDER BY r.id LIMIT $4 OFFSET $5"
    );
    let count_sql = format!("SELECT COUNT(*) FROM registrations r {filter}");
    with_pool!(db, pool => {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user).bind(enterprise).bind(sitting_id).bind(limit).bind(offset).fetch_all(pool).await?;
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
            .bind(user).bind(enterprise).bind(sitting_id).fetch_one(pool).await?;
        Ok((rows.into_iter().map(Into::into).collect(), total))
    })
}

/// Bookings in sittings that start between `from` and `until` (for reminders).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Upcoming {
    pub registration_id: i64,
    pub sitting_id: i64,
    pub name: String,
    pub email: String,
    pub seat: i64,
}

pub async fn upcoming(
    db: &Db,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Upcoming>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT r.id AS registration_id, r.sitting_id, u.name, u.email, r.seat \
             FROM registrations r JOIN sittings s ON s.id = r.sitting_id JOIN users u ON u.id = r.user_id \
             WHERE r.status = 'booked' AND s.cancelled_at IS NULL AND s.starts_at > $1 AND s.starts_at <= $2 \
             AND u.email IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.dedupe_key = 'reminder:' || r.id)",
        )
        .bind(from)
        .bind(until)
        .fetch_all(pool)
        .await
    })
}
