//! Drawing every booked candidate's paper ahead of the window, so a start is a look-up.

use super::{seed_for, store};
use crate::{
    AppState, courses,
    error::{AppError, AppResult},
    paper, sittings,
};
use chrono::Utc;

/// Draws papers for every booked registration of a sitting that has none (run ahead of the
/// window so a start is a look-up, not a draw). Returns how many were drawn.
pub async fn prepare_papers(state: &AppState, sitting_id: i64) -> AppResult<usize> {
    let pending = store::registrations_without_paper(&state.db, sitting_id).await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let sitting = sittings::require(state, sitting_id).await?;
    let course = courses::require(state, sitting.course_id).await?;
    let pool = crate::question_bank::store::active_questions(&state.db).await?;
    let candidates = courses::candidates(&pool);
    let now = Utc::now();
    for registration_id in &pending {
        let paper = paper::draw(
            &course.blueprint,
            &candidates,
            seed_for(sitting_id, *registration_id),
        )
        .map_err(|short| {
            AppError::conflict(
                "blueprint_unsatisfiable",
                None,
                format!("the banks no longer fill this course: {short}"),
            )
        })?;
        store::insert_paper(&state.db, *registration_id, &paper, now).await?;
    }
    Ok(pending.len())
}
