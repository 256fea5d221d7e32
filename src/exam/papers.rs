//! Drawing every booked candidate's paper ahead of the window, and staging it in the live
//! store, so a start reads its paper there instead of from the database.

use super::{seed_for, store};
use crate::{
    AppState, courses,
    error::{AppError, AppResult},
    live::StagedPaper,
    paper::{self, PaperFace},
    sittings,
};
use chrono::{DateTime, Utc};

/// Papers staged in one round trip (each ~40 KB: a page holds a few MB).
const STAGE_PAGE: usize = 100;

/// How long past the end of its sitting a staged paper is kept.
fn staged_until(ends_at: DateTime<Utc>) -> DateTime<Utc> {
    ends_at + chrono::Duration::hours(1)
}

/// Draws papers for every booked registration of a sitting that has none (run ahead of the
/// window so a start is a look-up, not a draw). Where the live store keeps staged papers,
/// stages those drawn before (once per sitting) and each one drawn now. Returns how many
/// were drawn.
pub async fn prepare_papers(state: &AppState, sitting_id: i64) -> AppResult<usize> {
    let sitting = sittings::require(state, sitting_id).await?;
    if state.live.stages_papers() {
        stage_sitting(state, sitting_id, sitting.ends_at).await;
    }
    let pending = store::registrations_without_paper(&state.db, sitting_id).await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let course = courses::require(state, sitting.course_id).await?;
    let pool = crate::question_bank::store::active_questions(&state.db).await?;
    let candidates = courses::candidates(&pool);
    let now = Utc::now();
    let until = staged_until(sitting.ends_at);
    let mut drawn = Vec::new();
    for (registration_id, user_id) in &pending {
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
        let face = store::insert_paper(&state.db, *registration_id, &paper, now).await?;
        if let Some(face) = face
            && state.live.stages_papers()
        {
            drawn.push(staged(*user_id, *registration_id, face));
            if drawn.len() == STAGE_PAGE {
                stage(state, sitting_id, until, &drawn).await;
                drawn.clear();
            }
        }
    }
    stage(state, sitting_id, until, &drawn).await;
    Ok(pending.len())
}

/// Stages every paper of a sitting drawn so far, once per sitting (whichever instance asks
/// first); returns how many. Papers drawn later are staged as they are drawn.
async fn stage_sitting(state: &AppState, sitting_id: i64, ends_at: DateTime<Utc>) -> usize {
    let until = staged_until(ends_at);
    match state.live.mark_staged(sitting_id, until).await {
        Ok(true) => {}
        Ok(false) => return 0,
        Err(e) => {
            tracing::warn!(sitting_id, error = %e, "papers not staged");
            return 0;
        }
    }
    let (mut after, mut total) = (0, 0);
    loop {
        let rows = match store::drawn_papers(&state.db, sitting_id, after, STAGE_PAGE as i64).await
        {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(sitting_id, error = %e, "papers not staged");
                return total;
            }
        };
        let Some(last) = rows.last() else {
            return total;
        };
        after = last.1;
        let page: Vec<(i64, StagedPaper)> = rows
            .into_iter()
            .filter_map(|(user_id, registration_id, row)| {
                let face = crate::paper::store::face_from_row(row).ok()?;
                Some(staged(user_id, registration_id, face))
            })
            .collect();
        total += page.len();
        stage(state, sitting_id, until, &page).await;
    }
}

fn staged(user_id: i64, registration_id: i64, face: PaperFace) -> (i64, StagedPaper) {
    (
        user_id,
        StagedPaper {
            registration_id,
            face,
        },
    )
}

/// Staging only spares the database work: a store that refuses it costs a warning, and
/// starts read the paper from the database.
async fn stage(
    state: &AppState,
    sitting_id: i64,
    until: DateTime<Utc>,
    papers: &[(i64, StagedPaper)],
) {
    if papers.is_empty() {
        return;
    }
    if let Err(e) = state.live.stage_papers(sitting_id, until, papers).await {
        tracing::warn!(sitting_id, error = %e, "papers not staged");
    }
}
