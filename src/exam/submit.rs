//! Ending an attempt: the candidate's submit, grading exactly once, and telling the certificate
//! module what was earned.

use super::session::own_attempt;
use super::{Attempt, AttemptStatus, CLAIM_LEASE_SECS, grading, live_down, store};
use crate::{
    AppState,
    auth::Caller,
    courses::{self, Course},
    error::{AppError, AppResult},
    live::{SaveResult, Snapshot},
};
use chrono::{DateTime, Utc};

/// Grades an attempt once: claims the live session, grades against the exact question
/// versions on the paper, and stores attempt and answers in one transaction that only one
/// writer can win. Anyone else gets the stored result.
pub async fn grade(
    state: &AppState,
    id: i64,
    finished_at: DateTime<Utc>,
    terminate: Option<&str>,
) -> AppResult<Attempt> {
    let attempt = store::attempt(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("attempt_not_found", "no such attempt"))?;
    grade_attempt(state, attempt, finished_at, terminate).await
}

/// `grade` for an attempt the caller has just read.
async fn grade_attempt(
    state: &AppState,
    attempt: Attempt,
    finished_at: DateTime<Utc>,
    terminate: Option<&str>,
) -> AppResult<Attempt> {
    let id = attempt.id;
    if attempt.status != AttemptStatus::InProgress {
        return Ok(attempt);
    }
    let now = Utc::now();
    let claimed: Option<Snapshot> = state
        .live
        .claim(id, now, chrono::Duration::seconds(CLAIM_LEASE_SECS))
        .await
        .map_err(live_down)?;
    let answers = match claimed {
        Some(s) => s.answers,
        None => {
            // Another instance holds a fresh claim: wait for its result.
            for _ in 0..100 {
                let a = store::attempt(&state.db, id)
                    .await?
                    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("attempt vanished")))?;
                if a.status != AttemptStatus::InProgress {
                    return Ok(a);
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            return Err(AppError::Unavailable {
                code: "grading_in_progress",
                message: "grading is under way; ask again shortly".into(),
            });
        }
    };
    let _grader = state
        .graders
        .acquire()
        .await
        .expect("the graders are never closed");
    let paper = crate::paper::store::paper(&state.db, attempt.registration_id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("attempt {id} has no paper")))?;
    let course = courses::require(state, attempt.course_id).await?;
    let result = grading::grade(&paper, &course.blueprint, course.pass_mark, &answers);
    let status = if terminate.is_some() {
        AttemptStatus::Terminated
    } else {
        AttemptStatus::Graded
    };
    let tallies = crate::question_stats::tallies(
        result.score,
        result.max_score,
        result.questions.iter().map(|r| {
            let q = paper.questions.iter().find(|q| q.position == r.position);
            crate::question_stats::Answered {
                version_id: r.version_id,
                correct: r.correct,
                chosen: r
                    .choice
                    .iter()
                    .map(|k| q.map_or(k.as_str(), |q| q.source_key(k)))
                    .collect(),
            }
        }),
    );
    let won = store::finish(
        &state.db,
        id,
        status,
        &result,
        &tallies,
        finished_at,
        terminate,
    )
    .await?;
    if won {
        tracing::info!(
            attempt_id = id,
            score = result.score,
            passed = result.passed,
            status = status.as_str(),
            "attempt finished"
        );
        if let Err(e) = state.live.remove(id).await {
            // The session expires by itself; grading already holds every answer.
            tracing::warn!(attempt_id = id, error = %e, "live session not removed");
        }
    }
    // As stored: each backend keeps times at its own precision, and every later read of the
    // result must match this reply.
    let finished = store::attempt(&state.db, id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("attempt vanished")))?;
    if won && let Err(e) = award_if_earned(state, &finished, &course).await {
        // The grade stands; issuance is retried when the practical is recorded again.
        tracing::error!(attempt_id = id, error = %e, "certificate not issued");
    }
    Ok(finished)
}

/// Tells the certificate module what a finished attempt earned: a pass, with a passed
/// practical assessment where the course requires one. Nothing when not earned yet.
pub(super) async fn award_if_earned(
    state: &AppState,
    attempt: &Attempt,
    course: &Course,
) -> AppResult<()> {
    let (AttemptStatus::Graded, Some(true), Some(finished_at)) =
        (attempt.status, attempt.passed, attempt.finished_at)
    else {
        return Ok(());
    };
    if course.practical_required
        && !matches!(
            store::practical(&state.db, attempt.registration_id).await?,
            Some((true, _, _))
        )
    {
        return Ok(());
    }
    let earned = crate::certificates::Earned {
        attempt_id: attempt.id,
        registration_id: attempt.registration_id,
        user_id: attempt.user_id,
        course_id: attempt.course_id,
        finished_at,
    };
    crate::certificates::issue(state, &earned).await?;
    Ok(())
}

/// The candidate's submit: merges the answers the page kept while offline (by `seq`, only
/// if the submit arrives before the deadline plus the grace), then grades. Idempotent.
pub async fn submit(
    state: &AppState,
    caller: &Caller,
    id: i64,
    offline: &[(u32, Vec<String>, i64)],
) -> AppResult<Attempt> {
    let attempt = own_attempt(state, caller, id).await?;
    if attempt.status != AttemptStatus::InProgress {
        return Ok(attempt);
    }
    let now = Utc::now();
    let grace = chrono::Duration::from_std(state.config.submit_grace).unwrap_or_default();
    if now <= attempt.deadline + grace {
        // Saved as of the deadline, so the late-arriving list still counts.
        let as_of = now.min(attempt.deadline);
        for (position, choice, seq) in offline {
            match state
                .live
                .save(id, caller.user_id, *position, choice, *seq, as_of)
                .await
                .map_err(live_down)?
            {
                SaveResult::InvalidKey(key) => {
                    return Err(AppError::invalid(
                        "answers",
                        format!("question {position}: {key:?} is not an option"),
                    ));
                }
                SaveResult::NoPosition => {
                    return Err(AppError::invalid(
                        "answers",
                        format!("the paper has no question {position}"),
                    ));
                }
                _ => {}
            }
        }
    }
    let finished_at = now.min(attempt.deadline);
    grade_attempt(state, attempt, finished_at, None).await
}
