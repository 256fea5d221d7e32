//! SafeCert: training, examination and certification for a district emergency management
//! bureau (区应急管理局). `main.rs` parses the command line; `startup` builds the app.

pub mod access;
pub mod accounts;
pub mod admission;
pub mod api;
pub mod auth;
pub mod background;
pub mod blueprint;
pub mod certificates;
pub mod cli;
pub mod config;
pub mod courses;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod exam;
pub mod http_server;
pub mod live;
pub mod loadtest;
pub mod mail;
pub mod media;
pub mod mock_exam;
pub mod org;
pub mod paper;
pub mod password;
pub mod pdf;
pub mod pii;
pub mod practice;
pub mod question_bank;
pub mod question_stats;
pub mod ratelimit;
pub mod registrations;
pub mod reminders;
pub mod reports;
pub mod seed_district;
pub mod shipped;
pub mod sittings;
pub mod startup;
pub mod study;
pub mod tabular;
pub mod targets;
pub mod telemetry;
pub mod web;

use std::sync::Arc;

/// What every handler and job shares. Cheap to clone; holds no per-request state, so many
/// instances can run side by side on one database and one Redis.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<config::Config>,
    pub db: db::Db,
    pub live: live::LiveSessions,
    pub vault: Arc<pii::Vault>,
    /// The CJK font for tickets and certificates, parsed once.
    pub fonts: pdf::PdfFonts,
    /// Public certificate verification, per client.
    pub verify_limiter: Arc<ratelimit::RateLimiter>,
    /// Token → caller for a few seconds, so a save does not query the database to authenticate.
    pub callers: Arc<auth::cache::CallerCache>,
    /// Grades worked out at once by this instance (`exam::GRADES_AT_ONCE`).
    pub graders: Arc<tokio::sync::Semaphore>,
    /// Commits starts in batches (`exam::StartWriter`).
    pub starts: exam::StartWriter,
}

/// The font every PDF embeds (a subset per document): Noto Sans CJK SC, SIL OFL 1.1,
/// trimmed for Chinese forms (certificates/fonts/build-font.sh).
pub const CJK_FONT: &[u8] =
    include_bytes!("../certificates/fonts/NotoSansCJKsc-Regular-subset.otf");
