//! The live exam (在线考试): start or resume an attempt, save answers one by one, submit,
//! grade exactly once, and the proctor's controls. Answers live in the live store while the
//! attempt runs; the database gets the attempt and every answer in one transaction when it
//! is graded. Owns `papers`, `attempts`, `attempt_answers`, `attempt_events`,
//! `practical_assessments`.

pub mod grading;
pub mod jobs;
mod papers;
mod proctoring;
mod results;
mod session;
mod starts;
pub mod store;
mod submit;

pub use papers::prepare_papers;
pub use proctoring::{
    RosterEntry, events, extend, live_roster, record_event, record_practical, terminate,
};
pub use results::{ResultViewer, ReviewedQuestion, keys_visible, result_for, review};
pub use session::{LiveView, own_attempt, paper_etag, reload, save_answer, start};
pub use starts::StartWriter;
pub use submit::{grade, submit};

use crate::{error::AppError, live::LiveUnavailable, paper};
use chrono::{DateTime, Utc};
use grading::Subtotal;
use serde::{Deserialize, Serialize};

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

fn live_down(e: LiveUnavailable) -> AppError {
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
