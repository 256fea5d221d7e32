//! SQL for tokens and login counters.

use crate::{db::Db, domain::Role, with_pool};
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    pub password_hash: Option<String>,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
}

pub struct TokenHolder {
    pub id: i64,
    pub name: String,
    pub enterprise_id: Option<i64>,
    pub street_id: Option<i64>,
    pub expires_at: DateTime<Utc>,
    pub roles: Vec<Role>,
}

pub async fn credentials_by_phone(
    db: &Db,
    phone: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT id, password_hash, failed_logins, locked_until FROM users WHERE phone = $1",
        )
        .bind(phone)
        .fetch_optional(pool)
        .await
    })
}

pub async fn credentials_by_email(
    db: &Db,
    email: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT id, password_hash, failed_logins, locked_until FROM users WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(pool)
        .await
    })
}

/// Counts one failure in a single statement (concurrent failures all count) and sets the
/// lock when the count reaches `max_failures`.
pub async fn record_failed_login(
    db: &Db,
    user_id: i64,
    max_failures: i64,
    lock_until: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query(
            "UPDATE users SET failed_logins = failed_logins + 1, \
             locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END \
             WHERE id = $1",
        )
        .bind(user_id)
        .bind(max_failures)
        .bind(lock_until)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn clear_failed_logins(db: &Db, user_id: i64) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(user_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn insert_token(
    db: &Db,
    digest: &str,
    user_id: i64,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO auth_tokens (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(digest)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The person a token stands for, with their roles, in one query (a row per role): every
/// request whose caller is not cached waits for it.
pub async fn token_holder(
    db: &Db,
    digest: &str,
    now: DateTime<Utc>,
) -> Result<Option<TokenHolder>, sqlx::Error> {
    type HolderRow = (
        i64,
        String,
        Option<i64>,
        Option<i64>,
        DateTime<Utc>,
        Option<String>,
    );
    let rows: Vec<HolderRow> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT u.id, u.name, u.enterprise_id, u.street_id, t.expires_at, r.role FROM auth_tokens t \
             JOIN users u ON u.id = t.user_id LEFT JOIN user_roles r ON r.user_id = u.id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2",
        )
        .bind(digest)
        .bind(now)
        .fetch_all(pool)
        .await?
    });
    let mut roles: Vec<Role> = rows
        .iter()
        .filter_map(|r| r.5.as_deref().and_then(Role::parse))
        .collect();
    roles.sort();
    roles.dedup();
    Ok(rows
        .into_iter()
        .next()
        .map(
            |(id, name, enterprise_id, street_id, expires_at, _)| TokenHolder {
                id,
                name,
                enterprise_id,
                street_id,
                expires_at,
                roles,
            },
        ))
}

pub async fn revoke_token(db: &Db, digest: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("UPDATE auth_tokens SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(digest)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn setup_token_holder(
    db: &Db,
    digest: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_scalar(
            "SELECT user_id FROM password_setup_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(digest)
        .bind(now)
        .fetch_optional(pool)
        .await
    })
}

/// Marks the link used and sets the password in one transaction; false if another request
/// used the link first.
pub async fn use_setup_token(
    db: &Db,
    digest: &str,
    user_id: i64,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let used = sqlx::query("UPDATE password_setup_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL")
            .bind(digest).bind(now).execute(&mut *tx).await?;
        if used.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(user_id).bind(password_hash).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    })
}

/// A password-reset link for `user_id`, and its mail, in one transaction. None is made when
/// the person was sent one within `quiet`: a form pressed again must not flood their mailbox.
pub async fn insert_reset_token(
    db: &Db,
    digest: &str,
    user_id: i64,
    expires_at: DateTime<Utc>,
    quiet: chrono::Duration,
    mail: &crate::mail::OutgoingMail,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let recent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM password_setup_tokens WHERE user_id = $1 AND created_at > $2",
        )
        .bind(user_id).bind(now - quiet).fetch_one(&mut *tx).await?;
        if recent > 0 {
            return Ok(false);
        }
        sqlx::query("INSERT INTO password_setup_tokens (token_hash, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)")
            .bind(digest).bind(user_id).bind(expires_at).bind(now)
            .execute(&mut *tx).await?;
        crate::enqueue_mails!(tx, std::iter::once(mail), now)?;
        tx.commit().await?;
        Ok(true)
    })
}
