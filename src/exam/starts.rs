//! Starts, decided and committed a batch at a time. When a room presses 开始考试 at once,
//! each start used to read its booking in a query of its own and commit its own
//! transaction; on PostgreSQL over TCP those queries, commits and round trips were most of
//! the database's work in the storm (bench/README.md). Starts now queue here as claims, and
//! one writer takes whatever has queued: one query reads every claimant's booking
//! (`store::start_contexts`), [`decide`] applies the rule to each, and one transaction
//! inserts the attempts (`store::insert_attempts`). Alone, a start is its own batch and
//! waits for nothing; in a storm, a batch takes the ones that arrived while the previous
//! batch was being written.

use super::{
    Attempt,
    store::{self, NewAttempt, StartBooking, StartWindow},
};
use crate::{
    db::Db,
    error::{AppError, AppResult},
    sittings::SittingStatus,
};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use tokio::sync::{mpsc, oneshot};

/// Claims settled together at most.
const BATCH: usize = 256;

/// A candidate asking to start in a sitting at `at`.
#[derive(Clone)]
pub struct Claim {
    pub sitting_id: i64,
    pub user_id: i64,
    pub at: DateTime<Utc>,
    /// The paper the caller has in hand (staged in the live store, or read): its
    /// registration and maximum score. The attempt records that score; without it the
    /// database's copy is used.
    pub paper: Option<(i64, f64)>,
}

/// What became of a claim the rule allowed.
pub enum Claimed {
    /// A new attempt, written.
    Started(Attempt),
    /// The registration has an attempt already: resume it. `raced`: another start of the
    /// same person made it a moment ago.
    Exists { registration_id: i64, raced: bool },
    /// The booking's paper is not drawn, or its maximum score is only inside the paper: the
    /// caller draws or reads it and claims again with it in hand.
    NeedsPaper { registration_id: i64 },
}

/// What the rule says to a start.
#[derive(Debug, PartialEq)]
pub enum Decision {
    Resume {
        registration_id: i64,
    },
    Start {
        registration_id: i64,
        course_id: i64,
        deadline: DateTime<Utc>,
    },
}

/// Who may start, and when; the one home of that rule. The sitting must exist, the caller
/// must hold a booking in it; an attempt once made is resumed whatever the hour; a new one
/// starts only while the window is open, and ends after the course's time limit or at the
/// window's end, whichever comes first.
pub fn decide(
    window: Option<&StartWindow>,
    booking: Option<&StartBooking>,
    now: DateTime<Utc>,
) -> AppResult<Decision> {
    let window =
        window.ok_or_else(|| AppError::not_found("sitting_not_found", "no such sitting"))?;
    let Some(booking) = booking.filter(|b| b.booked) else {
        return Err(AppError::Forbidden {
            code: "not_registered",
            message: "you have no booking in this sitting".into(),
        });
    };
    if booking.attempt_exists {
        return Ok(Decision::Resume {
            registration_id: booking.registration_id,
        });
    }
    if SittingStatus::at(window.starts_at, window.ends_at, window.cancelled_at, now)
        != SittingStatus::Open
    {
        return Err(AppError::conflict(
            "sitting_not_open",
            None,
            "the exam window is not open: start between the sitting's starts_at and ends_at",
        ));
    }
    Ok(Decision::Start {
        registration_id: booking.registration_id,
        course_id: window.course_id,
        deadline: (now + chrono::Duration::minutes(window.time_limit_minutes)).min(window.ends_at),
    })
}

type Reply = oneshot::Sender<AppResult<Claimed>>;

/// A handle to the writer; cheap to clone.
#[derive(Clone)]
pub struct StartWriter {
    queue: mpsc::Sender<(Claim, Reply)>,
}

impl StartWriter {
    /// Spawns the writer on the current runtime. The queue is bounded, so a burst waits for
    /// room instead of growing memory.
    pub fn spawn(db: Db) -> Self {
        let (queue, requests) = mpsc::channel(4 * BATCH);
        tokio::spawn(write_batches(db, requests));
        Self { queue }
    }

    /// Decides a start and, where the rule allows a new attempt, writes it with its
    /// `started` event.
    pub async fn claim(&self, claim: Claim) -> AppResult<Claimed> {
        let stopped = || AppError::Internal(anyhow::anyhow!("the start writer has stopped"));
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((claim, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn write_batches(db: Db, mut requests: mpsc::Receiver<(Claim, Reply)>) {
    let mut batch = Vec::with_capacity(BATCH);
    while requests.recv_many(&mut batch, BATCH).await > 0 {
        let (claims, replies): (Vec<Claim>, Vec<Reply>) = batch.drain(..).unzip();
        match settle(&db, &claims).await {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome);
                }
            }
            // One bad row must not fail the others: on an error, each is tried alone.
            Err(e) if claims.len() > 1 => {
                tracing::warn!(error = %e, starts = claims.len(), "a batch of starts failed; trying each alone");
                for (claim, reply) in claims.into_iter().zip(replies) {
                    let outcome = match settle(&db, std::slice::from_ref(&claim)).await {
                        Ok(mut outcomes) => outcomes.remove(0),
                        Err(e) => Err(e.into()),
                    };
                    let _ = reply.send(outcome);
                }
            }
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Err(AppError::Internal(anyhow::anyhow!(
                        "starting the attempt: {e}"
                    ))));
                }
            }
        }
    }
}

/// Reads the bookings of a batch, decides each claim, and writes the new attempts; one
/// outcome per claim, in order.
async fn settle(db: &Db, claims: &[Claim]) -> Result<Vec<AppResult<Claimed>>, sqlx::Error> {
    let mut by_sitting: HashMap<i64, Vec<i64>> = HashMap::new();
    for claim in claims {
        by_sitting
            .entry(claim.sitting_id)
            .or_default()
            .push(claim.user_id);
    }
    let mut contexts = HashMap::new();
    for (sitting_id, user_ids) in by_sitting {
        contexts.insert(
            sitting_id,
            store::start_contexts(db, sitting_id, &user_ids).await?,
        );
    }

    let mut outcomes: Vec<Option<AppResult<Claimed>>> = Vec::with_capacity(claims.len());
    let mut new = Vec::new();
    let mut claimed_registrations = HashSet::new();
    for claim in claims {
        let context = contexts[&claim.sitting_id].as_ref();
        let window = context.map(|(window, _)| window);
        let booking = context.and_then(|(_, bookings)| bookings.get(&claim.user_id));
        let outcome = match decide(window, booking, claim.at) {
            Err(e) => Some(Err(e)),
            Ok(Decision::Resume { registration_id }) => Some(Ok(Claimed::Exists {
                registration_id,
                raced: false,
            })),
            Ok(Decision::Start {
                registration_id,
                course_id,
                deadline,
            }) => {
                let in_hand = claim
                    .paper
                    .filter(|(registration, _)| *registration == registration_id)
                    .map(|(_, max_score)| max_score);
                match in_hand.or(booking.and_then(|b| b.paper_max_score)) {
                    None => Some(Ok(Claimed::NeedsPaper { registration_id })),
                    // A second tap of the same person in this batch resumes the first's.
                    Some(_) if !claimed_registrations.insert(registration_id) => {
                        Some(Ok(Claimed::Exists {
                            registration_id,
                            raced: true,
                        }))
                    }
                    Some(max_score) => {
                        new.push(NewAttempt {
                            registration_id,
                            sitting_id: claim.sitting_id,
                            user_id: claim.user_id,
                            course_id,
                            started_at: claim.at,
                            deadline,
                            max_score,
                        });
                        None
                    }
                }
            }
        };
        outcomes.push(outcome);
    }

    let mut ids = store::insert_attempts(db, &new).await?.into_iter();
    let mut new = new.into_iter();
    Ok(outcomes
        .into_iter()
        .map(|outcome| {
            outcome.unwrap_or_else(|| {
                let attempt = new.next().expect("one new attempt per open outcome");
                Ok(match ids.next().flatten() {
                    Some(id) => Claimed::Started(attempt.into_attempt(id)),
                    // Another instance started it between the read and the write.
                    None => Claimed::Exists {
                        registration_id: attempt.registration_id,
                        raced: true,
                    },
                })
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn window(cancelled: bool) -> StartWindow {
        StartWindow {
            starts_at: Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap(),
            ends_at: Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap(),
            cancelled_at: cancelled.then(Utc::now),
            course_id: 7,
            time_limit_minutes: 45,
        }
    }

    fn booking(booked: bool, attempt_exists: bool) -> StartBooking {
        StartBooking {
            registration_id: 11,
            booked,
            attempt_exists,
            paper_max_score: Some(100.0),
        }
    }

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, h, m, 0).unwrap()
    }

    fn code(result: AppResult<Decision>) -> String {
        match result {
            Err(AppError::NotFound { code, .. })
            | Err(AppError::Forbidden { code, .. })
            | Err(AppError::Conflict { code, .. }) => code.to_string(),
            other => panic!(
                "expected a refusal, got {:?}",
                other.map_err(|e| e.to_string())
            ),
        }
    }

    #[test]
    fn a_start_in_the_window_ends_at_the_time_limit_or_the_windows_end() {
        let w = window(false);
        assert_eq!(
            decide(Some(&w), Some(&booking(true, false)), at(9, 5)).unwrap(),
            Decision::Start {
                registration_id: 11,
                course_id: 7,
                deadline: at(9, 50)
            }
        );
        // Late in the window: the window's end comes first.
        assert_eq!(
            decide(Some(&w), Some(&booking(true, false)), at(9, 40)).unwrap(),
            Decision::Start {
                registration_id: 11,
                course_id: 7,
                deadline: at(10, 0)
            }
        );
    }

    #[test]
    fn refusals_name_what_is_missing_and_an_attempt_made_is_resumed_at_any_hour() {
        let w = window(false);
        assert_eq!(code(decide(None, None, at(9, 5))), "sitting_not_found");
        assert_eq!(code(decide(Some(&w), None, at(9, 5))), "not_registered");
        assert_eq!(
            code(decide(Some(&w), Some(&booking(false, false)), at(9, 5))),
            "not_registered"
        );
        assert_eq!(
            code(decide(Some(&w), Some(&booking(true, false)), at(8, 59))),
            "sitting_not_open"
        );
        assert_eq!(
            code(decide(Some(&w), Some(&booking(true, false)), at(10, 0))),
            "sitting_not_open"
        );
        assert_eq!(
            code(decide(
                Some(&window(true)),
                Some(&booking(true, false)),
                at(9, 5)
            )),
            "sitting_not_open"
        );
        assert_eq!(
            decide(Some(&w), Some(&booking(true, true)), at(11, 0)).unwrap(),
            Decision::Resume {
                registration_id: 11
            }
        );
    }
}
