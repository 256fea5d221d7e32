//! SQL for sittings and their proctors.

use super::{Sitting, SittingPlan, Venue, VenueKind};
use crate::{db::Db, enqueue_mails, error::AppError, mail::OutgoingMail, with_pool};
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    course_id: i64,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    capacity: i64,
    seats_taken: i64,
    venue_kind: String,
    venue_name: Option<String>,
    venue_address: Option<String>,
    registration_opens_at: DateTime<Utc>,
    registration_closes_at: DateTime<Utc>,
    cancelled_at: Option<DateTime<Utc>>,
    cancel_reason: Option<String>,
    created_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT id, course_id, starts_at, ends_at, capacity, seats_taken, venue_kind, venue_name, \
     venue_address, registration_opens_at, registration_closes_at, cancelled_at, cancel_reason, created_at FROM sittings";

fn into_sitting(r: Row, proctor_ids: Vec<i64>) -> Sitting {
    Sitting {
        id: r.id,
        course_id: r.course_id,
        starts_at: r.starts_at,
        ends_at: r.ends_at,
        capacity: r.capacity,
        seats_taken: r.seats_taken,
        venue: Venue {
            kind: if r.venue_kind == "station" {
                VenueKind::Station
            } else {
                VenueKind::Online
            },
            name: r.venue_name,
            address: r.venue_address,
        },
        registration_opens_at: r.registration_opens_at,
        registration_closes_at: r.registration_closes_at,
        cancelled_at: r.cancelled_at,
        cancel_reason: r.cancel_reason,
        proctor_ids,
        created_at: r.created_at,
    }
}

fn venue_kind(v: &Venue) -> &'static str {
    match v.kind {
        VenueKind::Online => "online",
        VenueKind::Station => "station",
    }
}

pub async fn insert(db: &Db, plan: &SittingPlan, now: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sittings (course_id, starts_at, ends_at, capacity, seats_taken, venue_kind, venue_name, \
             venue_address, registration_opens_at, registration_closes_at, created_at) \
             VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(plan.course_id)
        .bind(plan.starts_at)
        .bind(plan.ends_at)
        .bind(plan.capacity)
        .bind(venue_kind(&plan.venue))
        .bind(plan.venue.name.as_deref().map(str::trim))
        .bind(plan.venue.address.as_deref().map(str::trim))
        .bind(plan.registration_opens_at)
        .bind(plan.registration_closes_at)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for proctor in &plan.proctor_ids {
            sqlx::query("INSERT INTO sitting_proctors (sitting_id, user_id) VALUES ($1, $2)")
                .bind(id).bind(proctor).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(id)
    })
}

pub async fn sitting(db: &Db, id: i64) -> Result<Option<Sitting>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE id = $1");
    with_pool!(db, pool => {
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?;
        match row {
            None => Ok(None),
            Some(row) => {
                let proctors: Vec<i64> = sqlx::query_scalar("SELECT user_id FROM sitting_proctors WHERE sitting_id = $1 ORDER BY user_id")
                    .bind(id).fetch_all(pool).await?;
                Ok(Some(into_sitting(row, proctors)))
            }
        }
    })
}

/// Sittings in start order; `course_id` and `from` (window ends after it) narrow the list.
pub async fn list(
    db: &Db,
    course_id: Option<i64>,
    from: Option<DateTime<Utc>>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Sitting>, i64), sqlx::Error> {
    let filter = "WHERE ($1 IS NULL OR course_id = $1) AND ($2 IS NULL OR ends_at > $2)";
    let sql = format!("{SELECT} {filter} ORDER BY starts_at, id LIMIT $3 OFFSET $4");
    let count_sql = format!("SELECT COUNT(*) FROM sittings {filter}");
    with_pool!(db, pool => {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(course_id).bind(from).bind(limit).bind(offset).fetch_all(pool).await?;
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
            .bind(course_id).bind(from).fetch_one(pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let proctors: Vec<i64> = sqlx::query_scalar("SELECT user_id FROM sitting_proctors WHERE sitting_id = $1 ORDER BY user_id")
                .bind(row.id).fetch_all(pool).await?;
            out.push(into_sitting(row, proctors));
        }
        Ok((out, total))
    })
}

/// Sittings whose window ends after `from`, in start order, at most `limit`: every one when
/// `proctor` is None, else those that person proctors.
pub async fn overseen(
    db: &Db,
    proctor: Option<i64>,
    from: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Sitting>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE ends_at > $1 AND cancelled_at IS NULL \
         AND ($2 IS NULL OR id IN (SELECT sitting_id FROM sitting_proctors WHERE user_id = $2)) \
         ORDER BY starts_at, id LIMIT $3"
    );
    with_pool!(db, pool => {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(from).bind(proctor).bind(limit).fetch_all(pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let proctors: Vec<i64> = sqlx::query_scalar("SELECT user_id FROM sitting_proctors WHERE sitting_id = $1 ORDER BY user_id")
                .bind(row.id).fetch_all(pool).await?;
            out.push(into_sitting(row, proctors));
        }
        Ok(out)
    })
}

/// Applies a checked plan; cancels the registrations in `cut` and queues `mails`, all in
/// one transaction.
pub async fn update(
    db: &Db,
    id: i64,
    plan: &SittingPlan,
    cut: &[i64],
    mails: &[OutgoingMail],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        for registration in cut {
            sqlx::query("UPDATE registrations SET status = 'cancelled', cancelled_at = $2 WHERE id = $1 AND status = 'booked'")
                .bind(registration).bind(now).execute(&mut *tx).await?;
        }
        sqlx::query(
            "UPDATE sittings SET starts_at = $2, ends_at = $3, capacity = $4, venue_kind = $5, venue_name = $6, \
             venue_address = $7, registration_opens_at = $8, registration_closes_at = $9, \
             seats_taken = (SELECT COUNT(*) FROM registrations WHERE sitting_id = $1 AND status = 'booked') \
             WHERE id = $1",
        )
        .bind(id)
        .bind(plan.starts_at)
        .bind(plan.ends_at)
        .bind(plan.capacity)
        .bind(venue_kind(&plan.venue))
        .bind(plan.venue.name.as_deref())
        .bind(plan.venue.address.as_deref())
        .bind(plan.registration_opens_at)
        .bind(plan.registration_closes_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sitting_proctors WHERE sitting_id = $1").bind(id).execute(&mut *tx).await?;
        for proctor in &plan.proctor_ids {
            sqlx::query("INSERT INTO sitting_proctors (sitting_id, user_id) VALUES ($1, $2)")
                .bind(id).bind(proctor).execute(&mut *tx).await?;
        }
        enqueue_mails!(tx, mails.iter(), now)?;
        tx.commit().await?;
        Ok::<(), sqlx::Error>(())
    })?;
    Ok(())
}

pub async fn cancel(
    db: &Db,
    id: i64,
    reason: &str,
    mails: &[OutgoingMail],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE sittings SET cancelled_at = $2, cancel_reason = $3, seats_taken = 0 WHERE id = $1 AND cancelled_at IS NULL")
            .bind(id).bind(now).bind(reason).execute(&mut *tx).await?;
        sqlx::query("UPDATE registrations SET status = 'cancelled', cancelled_at = $2 WHERE sitting_id = $1 AND status = 'booked'")
            .bind(id).bind(now).execute(&mut *tx).await?;
        enqueue_mails!(tx, mails.iter(), now)?;
        tx.commit().await?;
        Ok::<(), sqlx::Error>(())
    })?;
    Ok(())
}

/// Whether `user_id` proctors sitting `id`.
pub async fn is_proctor(db: &Db, id: i64, user_id: i64) -> Result<bool, sqlx::Error> {
    with_pool!(db, pool => {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sitting_proctors WHERE sitting_id = $1 AND user_id = $2")
            .bind(id).bind(user_id).fetch_one(pool).await?;
        Ok(n > 0)
    })
}

/// A booked person with what mail needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BookedPerson {
    pub registration_id: i64,
    pub user_id: i64,
    pub name: String,
    pub email: Option<String>,
    pub seat: i64,
    pub created_at: DateTime<Utc>,
}

pub async fn booked_with_people(
    db: &Db,
    sitting_id: i64,
) -> Result<Vec<BookedPerson>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT r.id AS registration_id, r.user_id, u.name, u.email, r.seat, r.created_at \
             FROM registrations r JOIN users u ON u.id = r.user_id \
             WHERE r.sitting_id = $1 AND r.status = 'booked' ORDER BY r.seat",
        )
        .bind(sitting_id)
        .fetch_all(pool)
        .await
    })
}
