//! The proctor's controls: more time, ending an attempt, the live roster, page events and the
//! practical assessment.

use super::{Attempt, AttemptStatus, live_down, store};
use super::{
    session::{closed, own_attempt},
    submit::{award_if_earned, grade},
};
use crate::{
    AppState,
    auth::Caller,
    courses,
    error::{AppError, AppResult},
    registrations, sittings,
};
use chrono::{DateTime, Utc};

/// The caller oversees the sitting (its proctor, or the bureau); others get 403: a sitting is
/// public, so refusing says nothing new.
async fn require_proctor_of(state: &AppState, caller: &Caller, sitting_id: i64) -> AppResult<()> {
    if crate::access::oversees_sitting(&state.db, caller, sitting_id).await? {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "only this sitting's proctors and the bureau",
        ))
    }
}

/// For a private record of a sitting (an attempt, a booking): a caller who does not oversee
/// the sitting gets the same 404 as for a missing record.
async fn require_overseer_of(
    state: &AppState,
    caller: &Caller,
    sitting_id: i64,
    hidden: AppError,
) -> AppResult<()> {
    if crate::access::oversees_sitting(&state.db, caller, sitting_id).await? {
        Ok(())
    } else {
        Err(hidden)
    }
}

/// An attempt in a sitting the caller oversees; anyone else gets the same 404 as for a
/// missing attempt.
async fn overseen_attempt(state: &AppState, caller: &Caller, id: i64) -> AppResult<Attempt> {
    let not_found = || AppError::not_found("attempt_not_found", "no such attempt");
    let attempt = store::attempt(&state.db, id).await?.ok_or_else(not_found)?;
    require_overseer_of(state, caller, attempt.sitting_id, not_found()).await?;
    Ok(attempt)
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
    let attempt = overseen_attempt(state, caller, id).await?;
    if attempt.status != AttemptStatus::InProgress || Utc::now() > attempt.deadline {
        return Err(closed());
    }
    let deadline = attempt.deadline + chrono::Duration::minutes(minutes);
    // The live store first: if it is down, nothing changes and the proctor retries.
    state
        .live
        .set_deadline(id, deadline)
        .await
        .map_err(live_down)?;
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
    let attempt = overseen_attempt(state, caller, id).await?;
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
    /// Times the candidate's page was hidden (another app or tab), and came back after losing
    /// the network.
    pub left_page: i64,
    pub reconnects: i64,
}

pub async fn live_roster(
    state: &AppState,
    caller: &Caller,
    sitting_id: i64,
) -> AppResult<Vec<RosterEntry>> {
    sittings::require(state, sitting_id).await?;
    require_proctor_of(state, caller, sitting_id).await?;
    let mut out = Vec::new();
    let away = store::away_counts(&state.db, sitting_id).await?;
    for (attempt, name) in store::for_sitting(&state.db, sitting_id).await? {
        let (answered, last_seen) = if attempt.status == AttemptStatus::InProgress {
            match state.live.snapshot(attempt.id).await.map_err(live_down)? {
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
        let (left_page, reconnects) = away.get(&attempt.id).copied().unwrap_or_default();
        out.push(RosterEntry {
            attempt,
            name,
            answered,
            last_seen,
            left_page,
            reconnects,
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
        state.live.touch(id, now).await.map_err(live_down)?;
    }
    Ok(())
}

/// What an attempt's page reported (reconnects, leaving the page), for its proctors.
pub async fn events(state: &AppState, caller: &Caller, id: i64) -> AppResult<Vec<store::Event>> {
    overseen_attempt(state, caller, id).await?;
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
    require_overseer_of(
        state,
        caller,
        registration.sitting_id,
        AppError::not_found("registration_not_found", "no such registration"),
    )
    .await?;
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
