//! SQL for the outbox: claiming due mail so that several instances never send one twice,
//! and recording the outcome.

use crate::{db::Db, with_pool};
use chrono::{DateTime, Utc};

use super::{Attachment, OutgoingMail};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    kind: String,
    to_address: String,
    to_name: String,
    subject: String,
    body: String,
    attachment_name: Option<String>,
    attachment_type: Option<String>,
    attachment: Option<Vec<u8>>,
    attempts: i64,
}

/// A mail taken from the outbox for one send attempt.
pub struct Claimed {
    pub id: i64,
    pub attempts: i64,
    pub kind: String,
    pub mail: OutgoingMail,
}

/// Takes up to `limit` due mails and hides them from other workers for `lease`.
pub async fn claim_due(
    db: &Db,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let rows: Vec<Row> = with_pool!(db, pool => {
        sqlx::query_as(
            "UPDATE outbox SET locked_until = $2 WHERE id IN ( \
               SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
               AND (locked_until IS NULL OR locked_until < $1) ORDER BY id LIMIT $3) \
             AND (locked_until IS NULL OR locked_until < $1) \
             RETURNING id, kind, to_address, to_name, subject, body, attachment_name, attachment_type, attachment, attempts",
        )
        .bind(now)
        .bind(lease_until)
        .bind(limit)
        .fetch_all(pool)
        .await?
    });
    Ok(rows
        .into_iter()
        .map(|r| Claimed {
            id: r.id,
            attempts: r.attempts,
            kind: r.kind.clone(),
            mail: OutgoingMail {
                kind: "outbox",
                dedupe_key: None,
                to_address: r.to_address,
                to_name: r.to_name,
                subject: r.subject,
                body: r.body,
                attachment: match (r.attachment_name, r.attachment_type, r.attachment) {
                    (Some(file_name), Some(content_type), Some(bytes)) => Some(Attachment {
                        file_name,
                        content_type,
                        bytes,
                    }),
                    _ => None,
                },
            },
        })
        .collect())
}

pub async fn mark_sent(db: &Db, id: i64, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $2, attempts = attempts + 1, locked_until = NULL, last_error = NULL WHERE id = $1")
            .bind(id).bind(now).execute(pool).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Records a failed attempt: retried at `retry_at`, or given up (`failed`) when `give_up`.
pub async fn mark_failed(
    db: &Db,
    id: i64,
    error: &str,
    retry_at: DateTime<Utc>,
    give_up: bool,
) -> Result<(), sqlx::Error> {
    let status = if give_up { "failed" } else { "pending" };
    with_pool!(db, pool => {
        sqlx::query("UPDATE outbox SET status = $2, attempts = attempts + 1, next_attempt_at = $3, locked_until = NULL, last_error = $4 WHERE id = $1")
            .bind(id).bind(status).bind(retry_at).bind(error).execute(pool).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Counts by status, for `/readyz`-style checks and tests.
pub async fn count(db: &Db, status: &str) -> Result<i64, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = $1").bind(status).fetch_one(pool).await
    })
}

pub async fn enqueue(
    db: &Db,
    mails: &[OutgoingMail],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        crate::enqueue_mails!(tx, mails.iter(), now)?;
        tx.commit().await
    })
}
