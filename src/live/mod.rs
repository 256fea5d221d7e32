//! The live-session store (在考会话): where running exam attempts live while candidates
//! answer. Redis when `REDIS_URL` is set, so several app instances share it; otherwise a
//! local store (in process, journalled to the database so an acknowledged answer survives
//! `kill -9`). Both obey the same rules, checked atomically per attempt:
//! a save is refused once the attempt is closed or past its deadline, an older `seq` never
//! overwrites a newer one, and closing hands the answers to exactly one grader at a time.

mod local;
mod redis_sessions;

use crate::{config::Config, db::Db};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

pub use local::LocalSessions;
pub use redis_sessions::RedisSessions;

#[derive(Clone)]
pub enum LiveSessions {
    Local(LocalSessions),
    Redis(RedisSessions),
}

/// The store could not be reached; callers answer 503 `store_unavailable`.
#[derive(Debug, thiserror::Error)]
#[error("live-session store unavailable: {0}")]
pub struct LiveUnavailable(pub String);

/// One saved answer: the chosen keys and the client's sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub choice: Vec<String>,
    pub seq: i64,
}

/// What a new live session starts with.
#[derive(Debug, Clone)]
pub struct SessionInit {
    pub attempt_id: i64,
    pub user_id: i64,
    pub deadline: DateTime<Utc>,
    /// For position p (1-based) at index p-1: the option keys it accepts, e.g. "ABCD".
    pub keys: Vec<String>,
    /// The attempt was created just now: nothing was journalled for it before a restart, so
    /// there is nothing to read back.
    pub fresh: bool,
}

/// A candidate's drawn paper as a start needs it, staged before the window opens.
#[derive(Debug, Clone, PartialEq)]
pub struct StagedPaper {
    pub registration_id: i64,
    pub face: crate::paper::PaperFace,
}

/// A live session as read.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub user_id: i64,
    pub deadline: DateTime<Utc>,
    pub open: bool,
    pub answers: BTreeMap<u32, StoredAnswer>,
    pub last_seen: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveResult {
    Stored(StoredAnswer),
    /// The store holds a newer (or equal) `seq`: nothing changed.
    Stale(StoredAnswer),
    /// Submitted, terminated, being graded or past the deadline.
    Closed,
    NoPosition,
    /// A key that is not among the question's options.
    InvalidKey(String),
    /// No live session for this attempt and person.
    Missing,
}

/// Encodes a choice as stored: keys joined by commas, e.g. `A,C`.
pub fn encode_choice(choice: &[String]) -> String {
    choice.join(",")
}

pub fn decode_choice(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect()
}

/// Sorted, without repeats: how a choice is compared and stored.
pub fn normalise_choice(choice: &[String]) -> Vec<String> {
    let mut c: Vec<String> = choice
        .iter()
        .map(|k| k.trim().to_uppercase())
        .filter(|k| !k.is_empty())
        .collect();
    c.sort();
    c.dedup();
    c
}

impl LiveSessions {
    pub async fn connect(config: &Config, db: &Db) -> anyhow::Result<Self> {
        match &config.redis_url {
            Some(url) => Ok(LiveSessions::Redis(
                RedisSessions::connect(url, &config.redis_prefix).await?,
            )),
            None => Ok(LiveSessions::Local(LocalSessions::start(db.clone()).await?)),
        }
    }

    /// A short name for logs and `/readyz`.
    pub fn kind(&self) -> &'static str {
        match self {
            LiveSessions::Local(_) => "in_process",
            LiveSessions::Redis(_) => "redis",
        }
    }

    /// True when the store answers a round trip.
    pub async fn ping(&self) -> Result<(), LiveUnavailable> {
        match self {
            LiveSessions::Local(_) => Ok(()),
            LiveSessions::Redis(store) => store.ping().await,
        }
    }

    /// Opens a session unless one exists (a resume keeps its answers).
    pub async fn open(&self, init: &SessionInit) -> Result<(), LiveUnavailable> {
        match self {
            LiveSessions::Local(s) => s.open(init).await,
            LiveSessions::Redis(s) => s.open(init).await,
        }
    }

    pub async fn snapshot(&self, attempt_id: i64) -> Result<Option<Snapshot>, LiveUnavailable> {
        match self {
            LiveSessions::Local(s) => s.snapshot(attempt_id).await,
            LiveSessions::Redis(s) => s.snapshot(attempt_id).await,
        }
    }

    /// Saves one answer; acknowledged only once it would survive a crash of this process.
    pub async fn save(
        &self,
        attempt_id: i64,
        user_id: i64,
        position: u32,
        choice: &[String],
        seq: i64,
        now: DateTime<Utc>,
    ) -> Result<SaveResult, LiveUnavailable> {
        let choice = normalise_choice(choice);
        match self {
            LiveSessions::Local(s) => {
                s.save(attempt_id, user_id, position, &choice, seq, now)
                    .await
            }
            LiveSessions::Redis(s) => {
                s.save(attempt_id, user_id, position, &choice, seq, now)
                    .await
            }
        }
    }

    pub async fn set_deadline(
        &self,
        attempt_id: i64,
        deadline: DateTime<Utc>,
    ) -> Result<(), LiveUnavailable> {
        match self {
            LiveSessions::Local(s) => s.set_deadline(attempt_id, deadline).await,
            LiveSessions::Redis(s) => s.set_deadline(attempt_id, deadline).await,
        }
    }

    /// Closes the session and claims it for grading: the answers come back to one claimer;
    /// a second claimer gets None unless the first claim is older than `lease` (the first
    /// grader died), so grading neither happens twice at once nor never.
    pub async fn claim(
        &self,
        attempt_id: i64,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<Snapshot>, LiveUnavailable> {
        match self {
            LiveSessions::Local(s) => s.claim(attempt_id, now, lease).await,
            LiveSessions::Redis(s) => s.claim(attempt_id, now, lease).await,
        }
    }

    /// Forgets a graded session.
    pub async fn remove(&self, attempt_id: i64) -> Result<(), LiveUnavailable> {
        match self {
            LiveSessions::Local(s) => s.remove(attempt_id).await,
            LiveSessions::Redis(s) => s.remove(attempt_id).await,
        }
    }

    pub async fn touch(&self, attempt_id: i64, now: DateTime<Utc>) -> Result<(), LiveUnavailable> {
        match self {
            LiveSessions::Local(s) => s.touch(attempt_id, now).await,
            LiveSessions::Redis(s) => s.touch(attempt_id, now).await,
        }
    }

    /// Whether this store keeps staged papers. The in-process store does not: its database
    /// is in the same process, so a staged copy would only cost memory.
    pub fn stages_papers(&self) -> bool {
        matches!(self, LiveSessions::Redis(_))
    }

    /// True the first time a sitting is claimed for staging until `until`.
    pub async fn mark_staged(
        &self,
        sitting_id: i64,
        until: DateTime<Utc>,
    ) -> Result<bool, LiveUnavailable> {
        match self {
            LiveSessions::Local(_) => Ok(false),
            LiveSessions::Redis(s) => s.mark_staged(sitting_id, until).await,
        }
    }

    /// Stages papers of a sitting, each under its candidate's user id, kept until `until`.
    pub async fn stage_papers(
        &self,
        sitting_id: i64,
        until: DateTime<Utc>,
        papers: &[(i64, StagedPaper)],
    ) -> Result<(), LiveUnavailable> {
        match self {
            LiveSessions::Local(_) => Ok(()),
            LiveSessions::Redis(s) => s.stage_papers(sitting_id, until, papers).await,
        }
    }

    /// The paper staged for this candidate of this sitting, if any.
    pub async fn staged_paper(
        &self,
        sitting_id: i64,
        user_id: i64,
    ) -> Result<Option<StagedPaper>, LiveUnavailable> {
        match self {
            LiveSessions::Local(_) => Ok(None),
            LiveSessions::Redis(s) => s.staged_paper(sitting_id, user_id).await,
        }
    }
}
