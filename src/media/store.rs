//! SQL for lesson media and their chunks.

use super::{Media, MediaKind};
use crate::{db::Db, error::AppError, with_pool};
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct MediaRow {
    id: i64,
    course_id: i64,
    kind: String,
    file_name: String,
    byte_count: i64,
    sha256: Option<String>,
    created_at: DateTime<Utc>,
}

impl MediaRow {
    /// Complete files of a kind this build knows; the rest are not served.
    fn media(self) -> Option<Media> {
        Some(Media {
            id: self.id,
            course_id: self.course_id,
            kind: MediaKind::parse(&self.kind)?,
            file_name: self.file_name,
            byte_count: self.byte_count as u64,
            sha256: self.sha256?,
            created_at: self.created_at,
        })
    }
}

const SELECT_MEDIA: &str =
    "SELECT id, course_id, kind, file_name, byte_count, sha256, created_at FROM media";

/// Starts a file's row; it is served only once [`complete`] has run.
pub async fn begin(
    db: &Db,
    course_id: i64,
    kind: MediaKind,
    file_name: &str,
    uploaded_by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let id: i64 = with_pool!(db, pool => {
        sqlx::query_scalar(
            "INSERT INTO media (course_id, kind, file_name, uploaded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(course_id)
        .bind(kind.name())
        .bind(file_name)
        .bind(uploaded_by)
        .bind(now)
        .fetch_one(pool)
        .await?
    });
    Ok(id)
}

pub async fn put_chunk(db: &Db, media_id: i64, seq: i64, bytes: &[u8]) -> Result<(), AppError> {
    with_pool!(db, pool => {
        sqlx::query("INSERT INTO media_chunks (media_id, seq, bytes) VALUES ($1, $2, $3)")
            .bind(media_id)
            .bind(seq)
            .bind(bytes)
            .execute(pool)
            .await?;
    });
    Ok(())
}

pub async fn complete(
    db: &Db,
    media_id: i64,
    byte_count: u64,
    sha256: &str,
) -> Result<(), AppError> {
    with_pool!(db, pool => {
        sqlx::query("UPDATE media SET byte_count = $1, sha256 = $2 WHERE id = $3")
            .bind(byte_count as i64)
            .bind(sha256)
            .bind(media_id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

pub async fn remove(db: &Db, media_id: i64) -> Result<(), AppError> {
    with_pool!(db, pool => {
        sqlx::query("DELETE FROM media_chunks WHERE media_id = $1")
            .bind(media_id)
            .execute(pool)
            .await?;
        sqlx::query("DELETE FROM media WHERE id = $1")
            .bind(media_id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// A complete file.
pub async fn get(db: &Db, id: i64) -> Result<Option<Media>, AppError> {
    let sql = format!("{SELECT_MEDIA} WHERE id = $1");
    let row: Option<MediaRow> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
    });
    Ok(row.and_then(MediaRow::media))
}

/// A course's complete files, newest first, at most `limit`.
pub async fn of_course(db: &Db, course_id: i64, limit: i64) -> Result<Vec<Media>, AppError> {
    let sql = format!(
        "{SELECT_MEDIA} WHERE course_id = $1 AND sha256 IS NOT NULL ORDER BY id DESC LIMIT $2"
    );
    let rows: Vec<MediaRow> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(course_id)
            .bind(limit)
            .fetch_all(pool)
            .await?
    });
    Ok(rows.into_iter().filter_map(MediaRow::media).collect())
}

/// A complete file of the course with these bytes (by their SHA-256), if one was kept.
pub async fn same_in_course(
    db: &Db,
    course_id: i64,
    sha256: &str,
) -> Result<Option<Media>, AppError> {
    let sql = format!("{SELECT_MEDIA} WHERE course_id = $1 AND sha256 = $2 ORDER BY id LIMIT 1");
    let row: Option<MediaRow> = with_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(course_id)
            .bind(sha256)
            .fetch_optional(pool)
            .await?
    });
    Ok(row.and_then(MediaRow::media))
}

/// One stored chunk.
pub async fn chunk(db: &Db, media_id: i64, seq: i64) -> Result<Option<Vec<u8>>, AppError> {
    let bytes: Option<Vec<u8>> = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT bytes FROM media_chunks WHERE media_id = $1 AND seq = $2")
            .bind(media_id)
            .bind(seq)
            .fetch_optional(pool)
            .await?
    });
    Ok(bytes)
}
