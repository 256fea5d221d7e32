//! A candidate's live session: start or resume an attempt, reload it, save answers one by one.

use super::papers::prepare_papers;
use super::starts::{Claim, Claimed};
use super::{Attempt, AttemptStatus, live_down, store};
use crate::{
    AppState,
    auth::Caller,
    error::{AppError, AppResult},
    live::{SaveResult, SessionInit, StoredAnswer},
    paper::PaperFace,
};
use chrono::Utc;
use std::collections::BTreeMap;

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
    /// Names the paper (see `paper_etag`).
    pub paper_etag: String,
    /// The candidate's questions, pre-rendered JSON (no key); `None` when the caller said it
    /// holds this paper already, so it was not even read.
    pub questions_json: Option<String>,
    pub answers: BTreeMap<u32, StoredAnswer>,
    pub created: bool,
}

/// Names an attempt's paper, for a client that keeps it (`If-None-Match`). A registration's
/// paper is drawn once and never changed, and an attempt belongs to one registration, so the
/// attempt names its paper; its start time keeps the names of two databases apart. Built
/// from the attempt alone, so checking it reads nothing.
pub fn paper_etag(attempt: &Attempt) -> String {
    use sha2::{Digest, Sha256};
    let identity = format!(
        "safecert-paper:{}:{}:{}",
        attempt.id,
        attempt.registration_id,
        attempt.started_at.timestamp_micros()
    );
    hex::encode(&Sha256::digest(identity.as_bytes())[..12])
}

/// Starts the caller's attempt in a sitting, or resumes it. The start writer decides and
/// writes it with others arriving at once (`exam::starts`); the paper comes from the live
/// store where it was staged ahead of the window, else from the database. `held_papers`:
/// the `paper_etag`s the client holds; a resume of one of them leaves the paper out.
pub async fn start(
    state: &AppState,
    caller: &Caller,
    sitting_id: i64,
    held_papers: &[String],
) -> AppResult<LiveView> {
    let mut paper: Option<(i64, PaperFace)> = if state.live.stages_papers() {
        match state.live.staged_paper(sitting_id, caller.user_id).await {
            Ok(staged) => staged.map(|s| (s.registration_id, s.face)),
            Err(e) => {
                tracing::warn!(error = %e, "staged paper unreadable; reading the database");
                None
            }
        }
    } else {
        None
    };
    let now = Utc::now();
    let mut drawn_now = false;
    let mut rounds = 0;
    // Three rounds at most: without the paper, after reading it, after drawing it.
    let attempt = loop {
        rounds += 1;
        if rounds > 3 {
            return Err(AppError::Internal(anyhow::anyhow!(
                "the start of {} in sitting {sitting_id} did not settle",
                caller.user_id
            )));
        }
        let claim = Claim {
            sitting_id,
            user_id: caller.user_id,
            at: now,
            paper: paper.as_ref().map(|(r, face)| (*r, face.max_score)),
        };
        match state.starts.claim(claim).await? {
            Claimed::Started(attempt) => break attempt,
            Claimed::Exists {
                registration_id,
                raced,
            } => {
                let attempt = store::attempt_for_registration(&state.db, registration_id)
                    .await?
                    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("attempt vanished")))?;
                if raced {
                    store::add_event(
                        &state.db,
                        attempt.id,
                        "resumed",
                        None,
                        Some(caller.user_id),
                        now,
                    )
                    .await?;
                }
                return resume(state, attempt, held_papers).await;
            }
            Claimed::NeedsPaper { registration_id } => {
                if paper.as_ref().is_some_and(|(r, _)| *r == registration_id) {
                    return Err(AppError::Internal(anyhow::anyhow!(
                        "the start writer refused the paper in hand for {registration_id}"
                    )));
                }
                let face = match crate::paper::store::paper_face(&state.db, registration_id).await?
                {
                    Some(face) => face,
                    None if !drawn_now => {
                        drawn_now = true;
                        prepare_papers(state, sitting_id).await?;
                        crate::paper::store::paper_face(&state.db, registration_id)
                            .await?
                            .ok_or_else(|| {
                                AppError::Internal(anyhow::anyhow!(
                                    "paper for {registration_id} not drawn"
                                ))
                            })?
                    }
                    None => {
                        return Err(AppError::Internal(anyhow::anyhow!(
                            "paper for {registration_id} not drawn"
                        )));
                    }
                };
                paper = Some((registration_id, face));
            }
        }
    };
    // A paper staged for a booking since replaced is not this attempt's.
    let face = match paper {
        Some((registration_id, face)) if registration_id == attempt.registration_id => face,
        _ => crate::paper::store::paper_face(&state.db, attempt.registration_id)
            .await?
            .ok_or_else(|| no_paper(&attempt))?,
    };
    state
        .live
        .open(&session_init(&attempt, &face.option_keys, true))
        .await
        .map_err(live_down)?;
    Ok(LiveView {
        paper_etag: paper_etag(&attempt),
        attempt,
        questions_json: Some(face.questions_json),
        answers: BTreeMap::new(),
        created: true,
    })
}

async fn resume(state: &AppState, attempt: Attempt, held_papers: &[String]) -> AppResult<LiveView> {
    let paper_etag = paper_etag(&attempt);
    let holds_paper = held_papers.iter().any(|t| t == "*" || *t == paper_etag);
    let face = if holds_paper {
        None
    } else {
        Some(paper_of(state, &attempt).await?)
    };
    let answers = if attempt.status == AttemptStatus::InProgress {
        // The live session is there unless the store lost it: reopen it only then.
        let snapshot = match state.live.snapshot(attempt.id).await.map_err(live_down)? {
            Some(snapshot) => Some(snapshot),
            None => {
                let keys = match &face {
                    Some(face) => face.option_keys.clone(),
                    None => crate::paper::store::option_keys(&state.db, attempt.registration_id)
                        .await?
                        .ok_or_else(|| no_paper(&attempt))?,
                };
                state
                    .live
                    .open(&session_init(&attempt, &keys, false))
                    .await
                    .map_err(live_down)?;
                state.live.snapshot(attempt.id).await.map_err(live_down)?
            }
        };
        state
            .live
            .touch(attempt.id, Utc::now())
            .await
            .map_err(live_down)?;
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
        paper_etag,
        questions_json: face.map(|f| f.questions_json),
        answers,
        created: false,
    })
}

/// An attempt's paper: staged, else from the database.
async fn paper_of(state: &AppState, attempt: &Attempt) -> AppResult<PaperFace> {
    if let Ok(Some(staged)) = state
        .live
        .staged_paper(attempt.sitting_id, attempt.user_id)
        .await
        && staged.registration_id == attempt.registration_id
    {
        return Ok(staged.face);
    }
    crate::paper::store::paper_face(&state.db, attempt.registration_id)
        .await?
        .ok_or_else(|| no_paper(attempt))
}

/// Every attempt has a paper: one missing is a fault of ours, not the caller's.
fn no_paper(attempt: &Attempt) -> AppError {
    AppError::Internal(anyhow::anyhow!("attempt {} has no paper", attempt.id))
}

/// The caller's own attempt (others get the same 404 as a missing one).
pub async fn own_attempt(state: &AppState, caller: &Caller, id: i64) -> AppResult<Attempt> {
    store::attempt(&state.db, id)
        .await?
        .filter(|a| a.user_id == caller.user_id)
        .ok_or_else(|| AppError::not_found("attempt_not_found", "no such attempt"))
}

pub async fn reload(
    state: &AppState,
    caller: &Caller,
    id: i64,
    held_papers: &[String],
) -> AppResult<LiveView> {
    let attempt = own_attempt(state, caller, id).await?;
    resume(state, attempt, held_papers).await
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
    let first = state
        .live
        .save(id, caller.user_id, position, choice, seq, now)
        .await
        .map_err(live_down)?;
    if !matches!(first, SaveResult::Missing) {
        return saved(first, position);
    }
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
        .map_err(live_down)?;
    let again = state
        .live
        .save(id, caller.user_id, position, choice, seq, now)
        .await
        .map_err(live_down)?;
    saved(again, position)
}

/// What a save answers; a session still missing after it was reopened counts as closed.
fn saved(result: SaveResult, position: u32) -> AppResult<StoredAnswer> {
    match result {
        SaveResult::Stored(a) | SaveResult::Stale(a) => Ok(a),
        SaveResult::Closed | SaveResult::Missing => Err(closed()),
        SaveResult::NoPosition => Err(AppError::not_found(
            "position_not_found",
            format!("the paper has no question {position}"),
        )),
        SaveResult::InvalidKey(key) => Err(AppError::invalid(
            "choice",
            format!("{key:?} is not one of this question's options"),
        )),
    }
}

pub(super) fn closed() -> AppError {
    AppError::conflict(
        "attempt_closed",
        None,
        "this attempt is submitted, ended or past its deadline",
    )
}
