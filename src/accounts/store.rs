//! SQL for people and roles, one text for both backends.

use super::{NewUser, User};
use crate::{
    db::{Db, unique_violation},
    domain::{IdType, Role},
    error::AppError,
    pii::Vault,
    with_pool,
};
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    name: String,
    phone: String,
    email: Option<String>,
    id_type: Option<String>,
    id_number_masked: Option<String>,
    id_number_cipher: Option<String>,
    enterprise_id: Option<i64>,
    street_id: Option<i64>,
    job_role: Option<String>,
    created_at: DateTime<Utc>,
}

const USER_COLUMNS: &str = "id, name, phone, email, id_type, id_number_masked, id_number_cipher, \
     enterprise_id, street_id, job_role, created_at";

/// Inserts a person with their roles in one transaction. A taken phone, email or ID number
/// becomes a 409 naming the field.
pub async fn insert_user(
    db: &Db,
    vault: &Vault,
    new: &NewUser,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let sealed = new.id_document.as_ref().map(|d| vault.seal(d));
    let id_type = new.id_document.as_ref().map(|d| d.id_type().as_str());
    let result: Result<i64, sqlx::Error> = with_pool!(db, pool => async {
        let mut tx = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (name, phone, email, id_type, id_number_cipher, id_number_hash, \
             id_number_masked, password_hash, enterprise_id, street_id, job_role, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(new.name.as_str())
        .bind(new.phone.as_str())
        .bind(new.email.as_ref().map(|e| e.as_str()))
        .bind(id_type)
        .bind(sealed.as_ref().map(|s| s.cipher.as_str()))
        .bind(sealed.as_ref().map(|s| s.lookup_hash.as_str()))
        .bind(sealed.as_ref().map(|s| s.masked.as_str()))
        .bind(new.password_hash.as_deref())
        .bind(new.enterprise_id)
        .bind(new.street_id)
        .bind(new.job_role.as_deref())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for role in &new.roles {
            sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                .bind(id)
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }.await);
    result.map_err(
        |err| match unique_violation(&err, &["phone", "email", "id_number_hash"]) {
            Some("phone") => AppError::conflict(
                "phone_taken",
                Some("phone"),
                "this mobile number is registered already",
            ),
            Some("email") => AppError::conflict(
                "email_taken",
                Some("email"),
                "this email address is registered already",
            ),
            Some(_) => AppError::conflict(
                "id_number_taken",
                Some("id_number"),
                "this ID number is registered already",
            ),
            None => err.into(),
        },
    )
}

pub async fn user(db: &Db, id: i64) -> Result<Option<User>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    let row: Option<UserRow> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
    });
    match row {
        Some(row) => {
            let roles = roles(db, row.id).await?;
            Ok(Some(into_user(row, roles)))
        }
        None => Ok(None),
    }
}

/// The names of these people by id, in one query (a page of bookings names its people).
pub async fn names(
    db: &Db,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(i64, String)> = with_pool!(db, pool => {
        let mut query = sqlx::QueryBuilder::new("SELECT id, name FROM users WHERE id IN (");
        let mut list = query.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        query.push(")");
        query.build_query_as().fetch_all(pool).await?
    });
    Ok(rows.into_iter().collect())
}

pub async fn roles(db: &Db, user_id: i64) -> Result<Vec<Role>, sqlx::Error> {
    let names: Vec<String> = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role")
            .bind(user_id)
            .fetch_all(pool)
            .await?
    });
    let mut roles: Vec<Role> = names.iter().filter_map(|n| Role::parse(n)).collect();
    roles.sort();
    Ok(roles)
}

pub async fn user_id_by_phone(db: &Db, phone: &str) -> Result<Option<i64>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_scalar("SELECT id FROM users WHERE phone = $1")
            .bind(phone)
            .fetch_optional(pool)
            .await
    })
}

pub async fn user_id_by_email(db: &Db, email: &str) -> Result<Option<i64>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(pool)
            .await
    })
}

pub async fn user_id_by_id_hash(db: &Db, hash: &str) -> Result<Option<i64>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_scalar("SELECT id FROM users WHERE id_number_hash = $1")
            .bind(hash)
            .fetch_optional(pool)
            .await
    })
}

/// People in pages, newest first; `enterprise_id` narrows to one enterprise's staff.
pub async fn list_users(
    db: &Db,
    enterprise_id: Option<i64>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<User>, i64), sqlx::Error> {
    let filter = "WHERE ($1 IS NULL OR enterprise_id = $1)";
    let sql =
        format!("SELECT {USER_COLUMNS} FROM users {filter} ORDER BY id DESC LIMIT $2 OFFSET $3");
    let count_sql = format!("SELECT COUNT(*) FROM users {filter}");
    let (rows, total): (Vec<UserRow>, i64) = with_pool!(db, pool => {
        let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(enterprise_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
        let total = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
            .bind(enterprise_id)
            .fetch_one(pool)
            .await?;
        (rows, total)
    });
    let mut users = Vec::with_capacity(rows.len());
    for row in rows {
        let roles = roles(db, row.id).await?;
        users.push(into_user(row, roles));
    }
    Ok((users, total))
}

/// People holding `role`, by name (at most `limit`): e.g. the proctors a sitting may get.
pub async fn with_role(db: &Db, role: Role, limit: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT u.id, u.name FROM users u JOIN user_roles r ON r.user_id = u.id \
             WHERE r.role = $1 ORDER BY u.name, u.id LIMIT $2",
        )
        .bind(role.as_str()).bind(limit).fetch_all(pool).await
    })
}

/// People with this exact name (at most `limit`), for a clerk's search.
pub async fn users_named(db: &Db, name: &str, limit: i64) -> Result<Vec<i64>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_scalar("SELECT id FROM users WHERE name = $1 ORDER BY id LIMIT $2")
            .bind(name).bind(limit).fetch_all(pool).await
    })
}

/// Ties a person to an enterprise (or unties them with `None`).
pub async fn set_enterprise(
    db: &Db,
    user_id: i64,
    enterprise_id: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let changed = with_pool!(db, pool => {
        sqlx::query("UPDATE users SET enterprise_id = $2 WHERE id = $1")
            .bind(user_id).bind(enterprise_id).execute(pool).await?.rows_affected()
    });
    Ok(changed == 1)
}

pub async fn count_users(db: &Db) -> Result<i64, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await
    })
}

fn into_user(row: UserRow, roles: Vec<Role>) -> User {
    User {
        id: row.id,
        name: row.name,
        phone: row.phone,
        email: row.email,
        id_type: row.id_type.as_deref().and_then(|t| IdType::parse(t).ok()),
        id_number_masked: row.id_number_masked,
        id_number_cipher: row.id_number_cipher,
        enterprise_id: row.enterprise_id,
        street_id: row.street_id,
        job_role: row.job_role,
        roles,
        created_at: row.created_at,
    }
}
