//! The live exam (在线考试): start or resume an attempt, save answers one by one, submit,
//! grade exactly once, and the proctor's controls. Answers live in the live store while the
//! attempt runs; the database gets the attempt and every answer in one transaction when it
//! is graded. Owns `papers`, `attempts`, `attempt_answers`, `attempt_events`,
//! `practical_assessments`.

pub mod grading;
pub mod jobs;
pub mod store;

use crate::{
    AppState,
    auth::Caller,
    courses::{self, Course},
    error::{AppError, AppResult},
    live::{SaveResult, SessionInit, Snapshot, StoreUnavailable, StoredAnswer},
    paper::{self, Paper},
    registrations,
    sittings::{self, Sitting, SittingStatus},
};
use chrono::{DateTime, Utc};
use grading::{QuestionResult, Subtotal};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, poem_openapi::Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum AttemptStatus {
    InProgress,
    Graded,
    /// Ended by a proctor for misconduct.
    Terminated,
}

impl AttemptStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptStatus::InProgress => "in_progress",
            AttemptStatus::Graded => "graded",
            AttemptStatus::Terminated => "terminated",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "graded" => AttemptStatus::Graded,
            "terminated" => AttemptStatus::Terminated,
            _ => AttemptStatus::InProgress,
        }
    }
}

/// Section and tag subtotals kept with a finished attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub sections: Vec<Subtotal>,
    pub tags: Vec<Subtotal>,
}

#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: i64,
    pub registration_id: i64,
    pub sitting_id: i64,
    pub user_id: i64,
    pub course_id: i64,
    pub status: AttemptStatus,
    pub started_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub extended_minutes: i64,
    pub finished_at: Option<DateTime<Utc>>,
    pub score: Option<f64>,
    pub max_score: f64,
    pub passed: Option<bool>,
    pub summary: Option<Summary>,
    pub terminated_reason: Option<String>,
}

/// How long a grader's claim on a session holds before another grader may take over.
const CLAIM_LEASE_SECS: i64 = 30;

/// Grades worked out at once per instance. A deadline storm brings thousands of submits
/// within seconds; each grade reads and parses the whole paper with its key, so the rest wait
/// here, holding only their answers, instead of all holding a paper at the same time.
pub const GRADES_AT_ONCE: usize = 8;

fn store_down(e: StoreUnavailable) -> AppError {
    tracing::warn!(error = %e, "live store unavailable");
    AppError::Unavailable {
        code: "store_unavailable",
        message: "answers cannot be saved right now; keep the page open and retry".into(),
    }
}

/// A reproducible seed per registration, so a paper can be drawn again to check it.
pub fn seed_for(sitting_id: i64, registration_id: i64) -> u64 {
    let mut rng = paper::Rng::new((sitting_id as u64).rotate_left(32) ^ registration_id as u64);
    rng.next_u64()
}

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

/// `fresh`: the attempt was created just now, so nothing can be journalled for it yet.
fn session_init(attempt: &Attempt, keys: &[String], fresh: bool) -> SessionInit {
    SessionInit {
        attempt_id: attempt.id,
        user_id: attempt.user_id,
        deadline: attempt.deadline,
        keys: keys.to_vec(),
        fresh,
    }
}

/// What a candidate gets back from start, resume or reload.
pub struct LiveView {
    pub attempt: Attempt,
    /// The candidate's questions, pre-rendered JSON (no key).
    pub questions_json: String,
    pub answers: BTreeMap<u32, StoredAnswer>,
    pub created: bool,
}

/// Starts the caller's attempt in a sitting, or resumes it. One read decides (see
/// `store::start_context`) and one transaction writes the attempt.
pub async fn start(state: &AppState, caller: &Caller, sitting_id: i64) -> AppResult<LiveView> {
    let ctx = store::start_context(&state.db, sitting_id, caller.user_id)
        .await?
        .ok_or_else(|| AppError::not_found("sitting_not_found", "no such sitting"))?;
    let Some((registration_id, true)) = ctx.registration else {
        return Err(AppError::Forbidden {
            code: "not_registered",
            message: "you have no booking in this sitting".into(),
        });
    };
    if ctx.attempt_exists {
        let attempt = store::attempt_for_registration(&state.db, registration_id)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("attempt vanished")))?;
        return resume(state, attempt).await;
    }
    let now = Utc::now();
    if SittingStatus::at(ctx.starts_at, ctx.ends_at, ctx.cancelled_at, now) != SittingStatus::Open {
        return Err(AppError::conflict(
            "sitting_not_open",
            None,
            "the exam window is not open: start between the sitting's starts_at and ends_at",
        ));
    }
    let face = match ctx.face {
        Some(face) => face,
        None => {
            prepare_papers(state, sitting_id).await?;
            crate::paper::store::paper_face(&state.db, registration_id)
                .await?
                .ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!("paper for {registration_id} not drawn"))
                })?
        }
    };
    let deadline = (now + chrono::Duration::minutes(ctx.time_limit_minutes)).min(ctx.ends_at);
    let new = store::NewAttempt {
        registration_id,
        sitting_id,
        user_id: caller.user_id,
        course_id: ctx.course_id,
        started_at: now,
        deadline,
        max_score: face.max_score,
    };
    let Some(attempt) = store::insert_attempt(&state.db, &new).await? else {
        // Another request of the same person started it a moment ago.
        let attempt = store::attempt_for_registration(&state.db, registration_id)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("attempt vanished")))?;
        store::add_event(
            &state.db,
            attempt.id,
            "resumed",
            None,
            Some(caller.user_id),
            now,
        )
        .await?;
        return resume(state, attempt).await;
    };
    state
        .live
        .open(&session_init(&attempt, &face.option_keys, true))
        .await
        .map_err(store_down)?;
    Ok(LiveView {
        attempt,
        questions_json: face.questions_json,
        answers: BTreeMap::new(),
        created: true,
    })
}

async fn resume(state: &AppState, attempt: Attempt) -> AppResult<LiveView> {
    let face = crate::paper::store::paper_face(&state.db, attempt.registration_id)
        .await?
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("attempt {} has no paper", attempt.id))
        })?;
    let answers = if attempt.status == AttemptStatus::InProgress {
        state
            .live
            .open(&session_init(&attempt, &face.option_keys, false))
            .await
            .map_err(store_down)?;
        let snapshot = state.live.snapshot(attempt.id).await.map_err(store_down)?;
        state
            .live
            .touch(attempt.id, Utc::now())
            .await
            .map_err(store_down)?;
        snapshot.map(|s| s.answers).unwrap_or_default()
    } else {
        store::answers(&state.db, attempt.id)
            .await?
            .into_iter()
            .filter(|a| a.seq > 0)
            .map(|a| {
                (
                    a.position,
                    StoredAnswer {
                        choice: a.choice,
                        seq: a.seq,
                    },
                )
            })
            .collect()
    };
    Ok(LiveView {
        attempt,
        questions_json: face.questions_json,
        answers,
        created: false,
    })
}

/// The caller's own attempt (others get the same 404 as a missing one).
pub async fn own_attempt(state: &AppState, caller: &Caller, id: i64) -> AppResult<Attempt> {
    store::attempt(&state.db, id)
        .await?
        .filter(|a| a.user_id == caller.user_id)
        .ok_or_else(|| AppError::not_found("attempt_not_found", "no such attempt"))
}

pub async fn reload(state: &AppState, caller: &Caller, id: i64) -> AppResult<LiveView> {
    let attempt = own_attempt(state, caller, id).await?;
    resume(state, attempt).await
}

/// Saves one answer. Checked in this order: closed attempt, unknown position, a key not
/// among the options; an older `seq` changes nothing and returns what is stored.
pub async fn save_answer(
    state: &AppState,
    caller: &Caller,
    id: i64,
    position: u32,
    choice: &[String],
    seq: i64,
) -> AppResult<StoredAnswer> {
    let now = Utc::now();
    match state
        .live
        .save(id, caller.user_id, position, choice, seq, now)
        .await
        .map_err(store_down)?
    {
        SaveResult::Stored(a) | SaveResult::Stale(a) => Ok(a),
        SaveResult::Closed => Err(closed()),
        SaveResult::NoPosition => Err(AppError::not_found(
            "position_not_found",
            format!("the paper has no question {position}"),
        )),
        SaveResult::InvalidKey(key) => Err(AppError::invalid(
            "choice",
            format!("{key:?} is not one of this question's options"),
        )),
        SaveResult::Missing => {
            // Not live: finished (closed) or not the caller's (404).
            let attempt = own_attempt(state, caller, id).await?;
            if attempt.status != AttemptStatus::InProgress || now > attempt.deadline {
                return Err(closed());
            }
            // Live session lost (e.g. Redis flushed): reopen it and try once more.
            let keys = crate::paper::store::option_keys(&state.db, attempt.registration_id)
                .await?
                .ok_or_else(closed)?;
            state
                .live
                .open(&session_init(&attempt, &keys, false))
                .await
                .map_err(store_down)?;
            match state
                .live
                .save(id, caller.user_id, position, choice, seq, now)
                .await
                .map_err(store_down)?
            {
                SaveResult::Stored(a) | SaveResult::Stale(a) => Ok(a),
                SaveResult::NoPosition => Err(AppError::not_found(
                    "position_not_found",
                    format!("the paper has no question {position}"),
                )),
                SaveResult::InvalidKey(key) => Err(AppError::invalid(
                    "choice",
                    format!("{key:?} is not one of this question's options"),
                )),
                _ => Err(closed()),
            }
        }
    }
}

fn closed() -> AppError {
    AppError::conflict(
        "attempt_closed",
        None,
        "this attempt is submitted, ended or past its deadline",
    )
}

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
        .map_err(store_down)?;
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
    let won = store::finish(&state.db, id, status, &result, finished_at, terminate).await?;
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
async fn award_if_earned(state: &AppState, attempt: &Attempt, course: &Course) -> AppResult<()> {
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
                .map_err(store_down)?
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

async fn require_proctor_of(state: &AppState, caller: &Caller, sitting_id: i64) -> AppResult<()> {
    if crate::access::oversees_sitting(&state.db, caller, sitting_id).await? {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "only this sitting's proctors and the bureau",
        ))
    }
}

/// A proctor gives one candidate more time.
pub async fn extend(
    state: &AppState,
    caller: &Caller,
    id: i64,
    minutes: i64,
) -> AppResult<Attempt> {
    if !(1..=240).contains(&minutes) {
        return Err(AppError::invalid("minutes", "1 to 240 minutes"));
    }
    let attempt = store::attempt(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("attempt_not_found", "no such attempt"))?;
    require_proctor_of(state, caller, attempt.sitting_id).await?;
    if attempt.status != AttemptStatus::InProgress || Utc::now() > attempt.deadline {
        return Err(closed());
    }
    let deadline = attempt.deadline + chrono::Duration::minutes(minutes);
    // The live store first: if it is down, nothing changes and the proctor retries.
    state
        .live
        .set_deadline(id, deadline)
        .await
        .map_err(store_down)?;
    if !store::extend(&state.db, id, deadline, minutes).await? {
        return Err(closed());
    }
    store::add_event(
        &state.db,
        id,
        "extended",
        Some(&format!("+{minutes} min")),
        Some(caller.user_id),
        Utc::now(),
    )
    .await?;
    store::attempt(&state.db, id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("attempt vanished")))
}

/// A proctor ends an attempt for misconduct: what was answered is kept, it does not pass.
pub async fn terminate(
    state: &AppState,
    caller: &Caller,
    id: i64,
    reason: &str,
) -> AppResult<Attempt> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid("reason", "say why the attempt is ended"));
    }
    let attempt = store::attempt(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("attempt_not_found", "no such attempt"))?;
    require_proctor_of(state, caller, attempt.sitting_id).await?;
    if attempt.status != AttemptStatus::InProgress {
        return Err(closed());
    }
    store::add_event(
        &state.db,
        id,
        "terminated",
        Some(reason),
        Some(caller.user_id),
        Utc::now(),
    )
    .await?;
    grade(state, id, Utc::now(), Some(reason)).await
}

/// The proctor's live roster row.
pub struct RosterEntry {
    pub attempt: Attempt,
    pub name: String,
    pub answered: usize,
    pub last_seen: Option<DateTime<Utc>>,
}

pub async fn live_roster(
    state: &AppState,
    caller: &Caller,
    sitting_id: i64,
) -> AppResult<Vec<RosterEntry>> {
    sittings::require(state, sitting_id).await?;
    require_proctor_of(state, caller, sitting_id).await?;
    let mut out = Vec::new();
    for (attempt, name) in store::for_sitting(&state.db, sitting_id).await? {
        let (answered, last_seen) = if attempt.status == AttemptStatus::InProgress {
            match state.live.snapshot(attempt.id).await.map_err(store_down)? {
                Some(s) => (s.answers.len(), s.last_seen),
                None => (0, None),
            }
        } else {
            (
                store::answers(&state.db, attempt.id)
                    .await?
                    .iter()
                    .filter(|a| a.seq > 0)
                    .count(),
                attempt.finished_at,
            )
        };
        out.push(RosterEntry {
            attempt,
            name,
            answered,
            last_seen,
        });
    }
    Ok(out)
}

/// A candidate's page reports what the proctor should know (reconnects, leaving the page).
pub async fn record_event(
    state: &AppState,
    caller: &Caller,
    id: i64,
    kind: &str,
    detail: Option<&str>,
) -> AppResult<()> {
    const KINDS: [&str; 5] = [
        "reconnected",
        "page_hidden",
        "page_visible",
        "offline",
        "online",
    ];
    if !KINDS.contains(&kind) {
        return Err(AppError::invalid(
            "kind",
            format!("one of {}", KINDS.join(", ")),
        ));
    }
    let attempt = own_attempt(state, caller, id).await?;
    let now = Utc::now();
    store::add_event(
        &state.db,
        attempt.id,
        kind,
        detail,
        Some(caller.user_id),
        now,
    )
    .await?;
    if attempt.status == AttemptStatus::InProgress {
        state.live.touch(id, now).await.map_err(store_down)?;
    }
    Ok(())
}

pub async fn events(state: &AppState, caller: &Caller, id: i64) -> AppResult<Vec<store::Event>> {
    let attempt = store::attempt(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("attempt_not_found", "no such attempt"))?;
    require_proctor_of(state, caller, attempt.sitting_id).await?;
    Ok(store::events(&state.db, id).await?)
}

/// A proctor records the practical assessment (e.g. CPR on a manikin) for a booking.
pub async fn record_practical(
    state: &AppState,
    caller: &Caller,
    registration_id: i64,
    passed: bool,
    notes: Option<&str>,
) -> AppResult<()> {
    let registration = registrations::store::registration(&state.db, registration_id)
        .await?
        .ok_or_else(|| AppError::not_found("registration_not_found", "no such registration"))?;
    require_proctor_of(state, caller, registration.sitting_id).await?;
    let sitting = sittings::require(state, registration.sitting_id).await?;
    let course = courses::require(state, sitting.course_id).await?;
    if !course.practical_required {
        return Err(AppError::conflict(
            "no_practical",
            None,
            "this course has no practical assessment",
        ));
    }
    store::record_practical(
        &state.db,
        registration_id,
        passed,
        notes,
        caller.user_id,
        Utc::now(),
    )
    .await?;
    if passed
        && let Some(attempt) = store::attempt_for_registration(&state.db, registration_id).await?
    {
        award_if_earned(state, &attempt, &course).await?;
    }
    Ok(())
}
