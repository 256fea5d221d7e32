//! Reading stored papers (`papers`, written by the exam when it draws them): the full paper
//! with its key for grading, or only its face and option keys for a candidate and a live
//! session.

use super::{Paper, PaperFace};
use crate::{db::Db, error::AppError, with_pool};

pub async fn paper(db: &Db, registration_id: i64) -> Result<Option<Paper>, AppError> {
    let text: Option<String> = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT content FROM papers WHERE registration_id = $1").bind(registration_id).fetch_optional(pool).await?
    });
    text.map(|t| parse_paper(Some(&t))).transpose()
}

/// The face of a registration's paper (see `PaperFace`); rendered from the full paper for
/// papers drawn before faces were kept.
pub async fn paper_face(db: &Db, registration_id: i64) -> Result<Option<PaperFace>, AppError> {
    let row: Option<FaceRow> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT candidate_view, option_keys, max_score, \
             CASE WHEN candidate_view IS NULL THEN content END FROM papers WHERE registration_id = $1",
        )
        .bind(registration_id)
        .fetch_optional(pool)
        .await?
    });
    row.map(face_from_row).transpose()
}

/// The option keys of a registration's paper, per position: all a live session needs.
pub async fn option_keys(db: &Db, registration_id: i64) -> Result<Option<Vec<String>>, AppError> {
    let row: Option<(Option<String>, Option<String>)> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT option_keys, CASE WHEN option_keys IS NULL THEN content END FROM papers WHERE registration_id = $1",
        )
        .bind(registration_id)
        .fetch_optional(pool)
        .await?
    });
    Ok(match row {
        None => None,
        Some((Some(keys), _)) => Some(split_keys(&keys)),
        Some((None, content)) => Some(parse_paper(content.as_deref())?.face().option_keys),
    })
}

/// candidate_view, option_keys, max_score, and the full paper only where no face was kept.
pub type FaceRow = (Option<String>, Option<String>, Option<f64>, Option<String>);

pub fn face_from_row(row: FaceRow) -> Result<PaperFace, AppError> {
    Ok(match row {
        (Some(questions_json), Some(keys), Some(max_score), _) => PaperFace {
            questions_json,
            option_keys: split_keys(&keys),
            max_score,
        },
        (_, _, _, content) => parse_paper(content.as_deref())?.face(),
    })
}

fn split_keys(keys: &str) -> Vec<String> {
    keys.split(',').map(str::to_string).collect()
}

fn parse_paper(content: Option<&str>) -> Result<Paper, AppError> {
    serde_json::from_str(content.unwrap_or_default())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("paper unreadable: {e}")))
}
