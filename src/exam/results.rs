//! What a finished attempt shows, and to whom: the candidate, the bureau, the proctors.

use super::{Attempt, AttemptStatus, grading::QuestionResult, store};
use crate::{
    AppState,
    auth::Caller,
    courses::{self, Course},
    error::{AppError, AppResult},
    paper::Paper,
    sittings::Sitting,
};
use chrono::{DateTime, Utc};

/// Who may see an attempt's result and how much.
pub enum ResultViewer {
    Candidate,
    Staff,
}

pub async fn result_for(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> AppResult<(Attempt, ResultViewer)> {
    let attempt = store::attempt(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("attempt_not_found", "no such attempt"))?;
    let viewer = if attempt.user_id == caller.user_id {
        ResultViewer::Candidate
    } else if crate::access::oversees_sitting(&state.db, caller, attempt.sitting_id).await? {
        ResultViewer::Staff
    } else {
        return Err(AppError::not_found("attempt_not_found", "no such attempt"));
    };
    if attempt.status == AttemptStatus::InProgress {
        return Err(AppError::conflict(
            "attempt_open",
            None,
            "the attempt is not graded yet",
        ));
    }
    Ok((attempt, viewer))
}

/// Whether the candidate may see keys now, per the course's `review_after`.
pub fn keys_visible(course: &Course, sitting: &Sitting, now: DateTime<Utc>) -> bool {
    match course.review_after {
        courses::ReviewAfter::Submit => true,
        courses::ReviewAfter::Close => now >= sitting.ends_at,
        courses::ReviewAfter::Never => false,
    }
}

/// The graded answers with keys, for the result view.
pub async fn graded_questions(
    state: &AppState,
    attempt: &Attempt,
) -> AppResult<Vec<(QuestionResult, Vec<String>)>> {
    let paper = crate::paper::store::paper(&state.db, attempt.registration_id)
        .await?
        .unwrap_or(Paper {
            seed: 0,
            questions: vec![],
        });
    let answers = store::answers(&state.db, attempt.id).await?;
    Ok(answers
        .into_iter()
        .map(|a| {
            let key = paper
                .questions
                .iter()
                .find(|q| q.position == a.position)
                .map(|q| q.answer.clone())
                .unwrap_or_default();
            (a, key)
        })
        .collect())
}
