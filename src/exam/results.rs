//! What a finished attempt shows, and to whom: the candidate, the bureau, the proctors.

use super::{Attempt, AttemptStatus, store};
use crate::{
    AppState,
    auth::Caller,
    courses::{self, Course},
    error::{AppError, AppResult},
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

/// One graded question as a review shows it: the question, the answer given, the key.
pub struct ReviewedQuestion {
    pub position: u32,
    pub stem: String,
    pub options: Vec<crate::question_bank::content::ChoiceOption>,
    pub choice: Vec<String>,
    pub key: Vec<String>,
    pub correct: bool,
    pub awarded: f64,
}

/// A finished attempt for `caller`, with its graded questions when they may see keys now:
/// staff always, the candidate as the course's `review_after` allows. The one place that
/// decides it, for the API and the result page alike.
pub async fn review(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> AppResult<(Attempt, Option<Vec<ReviewedQuestion>>)> {
    let (attempt, viewer) = result_for(state, caller, id).await?;
    let show_keys = match viewer {
        ResultViewer::Staff => true,
        ResultViewer::Candidate => {
            let course = courses::require(state, attempt.course_id).await?;
            let sitting = crate::sittings::require(state, attempt.sitting_id).await?;
            keys_visible(&course, &sitting, Utc::now())
        }
    };
    if !show_keys {
        return Ok((attempt, None));
    }
    let paper = crate::paper::store::paper(&state.db, attempt.registration_id).await?;
    let answers = store::answers(&state.db, attempt.id).await?;
    let questions = answers
        .into_iter()
        .map(|a| {
            let asked = paper
                .as_ref()
                .and_then(|p| p.questions.iter().find(|q| q.position == a.position));
            ReviewedQuestion {
                position: a.position,
                stem: asked.map(|q| q.stem.clone()).unwrap_or_default(),
                options: asked.map(|q| q.options.clone()).unwrap_or_default(),
                key: asked.map(|q| q.answer.clone()).unwrap_or_default(),
                choice: a.choice,
                correct: a.correct,
                awarded: a.awarded,
            }
        })
        .collect();
    Ok((attempt, Some(questions)))
}
