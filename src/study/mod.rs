//! 线上学习 (online study): a course's lessons and the study time (学时) credited for them.
//!
//! Time is credited from the server's own clock, never from what a page claims. A learner
//! opens a lesson and gets a study session; the page then sends a heartbeat every
//! [`Pace::interval`] while it is visible and the learner active, and each heartbeat earns
//! the time since the one before, if that time is short enough to have been spent on the
//! page. One person studies in one place at a time: opening a lesson anywhere ends the
//! session before it. The rules are pure functions here ([`credit`]); [`store`] keeps the
//! sessions and the credited time, and [`folder`] reads lessons in their text format.
//! Owns `lessons`, `study_sessions` and `lesson_progress`.

pub mod folder;
pub mod statement;
pub mod store;

use crate::{
    AppState,
    auth::token,
    error::{AppError, AppResult},
};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// One 学时 is 45 minutes of study.
pub const SECONDS_PER_STUDY_HOUR: i64 = 45 * 60;

/// The longest a lesson may ask to be studied: a whole day's training.
pub const MAX_REQUIRED_SECONDS: i64 = 8 * 3600;

#[derive(Debug, Clone, PartialEq)]
pub struct Lesson {
    pub id: i64,
    pub course_id: i64,
    /// Study order within the course.
    pub position: i64,
    /// The module (章节) it belongs to.
    pub module: String,
    pub title: String,
    /// The lesson in Markdown (Chinese).
    pub body: String,
    /// The most study time the server credits for it.
    pub required_seconds: i64,
    /// A video to watch (a link); with one, only time it plays is credited.
    pub video_url: Option<String>,
    /// What the facts rest on.
    pub sources: Vec<String>,
    pub updated_at: DateTime<Utc>,
    /// Raised by every write; an edit names the revision it started from.
    pub revision: i64,
}

impl Lesson {
    /// Credited milliseconds as they count: never more than the lesson asks.
    pub fn counted_ms(&self, credited_ms: i64) -> i64 {
        credited_ms.clamp(0, self.required_seconds * 1000)
    }

    /// Credited seconds as they count (whole seconds, rounded down).
    pub fn counted_seconds(&self, credited_ms: i64) -> i64 {
        self.counted_ms(credited_ms) / 1000
    }
}

/// A lesson as written or imported, before it has an id.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLesson {
    pub position: i64,
    pub module: String,
    pub title: String,
    pub body: String,
    pub required_seconds: i64,
    pub video_url: Option<String>,
    pub sources: Vec<String>,
}

impl NewLesson {
    /// The rules a lesson must keep, each refused with the field and a reason in Chinese.
    pub fn check(&self) -> AppResult<()> {
        if !(1..=999).contains(&self.position) {
            return Err(AppError::invalid(
                "order",
                "学习顺序须为 1 到 999 之间的整数",
            ));
        }
        if self.module.trim().is_empty() || self.module.chars().count() > 50 {
            return Err(AppError::invalid(
                "module",
                "所属模块不能为空，且不超过 50 个字",
            ));
        }
        if self.title.trim().is_empty() || self.title.chars().count() > 100 {
            return Err(AppError::invalid(
                "title",
                "课时标题不能为空，且不超过 100 个字",
            ));
        }
        if self.body.trim().is_empty() {
            return Err(AppError::invalid("body", "课时正文不能为空"));
        }
        if self.body.len() > 200_000 {
            return Err(AppError::invalid(
                "body",
                "课时正文过长（不超过 20 万字节）",
            ));
        }
        if !(60..=MAX_REQUIRED_SECONDS).contains(&self.required_seconds) {
            return Err(AppError::invalid(
                "required_minutes",
                "要求学习时长须在 1 到 480 分钟之间",
            ));
        }
        if let Some(url) = &self.video_url
            && !(url.starts_with("https://")
                || url.starts_with("http://")
                || crate::media::is_media_path(url))
        {
            return Err(AppError::invalid(
                "video",
                "视频须为 http:// 或 https:// 开头的链接，或上传的视频 /media/编号",
            ));
        }
        Ok(())
    }
}

/// How often a studying page reports, and so how long a gap between two heartbeats can be
/// and still count as time on the page.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    pub interval: Duration,
}

impl Pace {
    /// A gap longer than this means the page was away (closed, asleep, offline): it earns
    /// nothing, and the heartbeat that ends it starts the clock again.
    pub fn max_gap(self) -> Duration {
        self.interval * 2
    }
}

/// What the server keeps of the one place a person studies.
#[derive(Debug, Clone, PartialEq)]
pub struct StudySession {
    pub user_id: i64,
    pub lesson_id: i64,
    /// When the last heartbeat arrived, by the server's clock; none yet after opening.
    pub last_beat_at: Option<DateTime<Utc>>,
    /// The highest heartbeat number seen: each is counted once.
    pub last_seq: i64,
    /// Where the lesson's video stood at the last heartbeat.
    pub video_position_ms: Option<i64>,
}

/// What a page reports with a heartbeat.
#[derive(Debug, Clone, PartialEq)]
pub struct Beat {
    /// Numbered from 1, rising with each heartbeat of a session.
    pub seq: i64,
    /// The page is shown (not a background tab, not a locked phone).
    pub visible: bool,
    /// The learner touched, scrolled or typed lately, or a video is playing.
    pub active: bool,
    pub video: Option<VideoState>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoState {
    pub position_ms: i64,
    pub playing: bool,
}

/// What one heartbeat does.
#[derive(Debug, Clone, PartialEq)]
pub enum Credit {
    /// Seen before (or older than one seen): it changes nothing and earns nothing.
    Replay,
    /// Counted: the session moves on, and `earned_ms` (maybe none) is added to the lesson.
    Counted {
        earned_ms: i64,
        session: StudySession,
    },
}

/// The crediting rule. A heartbeat earns the time since the previous one by the server's
/// clock, and only when:
/// - it is new (a replayed or older heartbeat earns nothing, so posting faster than real
///   time earns only real time);
/// - the gap is at most [`Pace::max_gap`] (the page was there all along);
/// - the page is visible and the learner active;
/// - for a lesson with a video, the video played: then it earns what it played, and never
///   more than the time that passed (no faster than normal speed, seeking earns nothing).
pub fn credit(
    session: &StudySession,
    beat: &Beat,
    has_video: bool,
    now: DateTime<Utc>,
    pace: Pace,
) -> Credit {
    if beat.seq <= session.last_seq {
        return Credit::Replay;
    }
    let gap_ms = session
        .last_beat_at
        .map(|last| (now - last).num_milliseconds())
        .unwrap_or(0);
    let within_reach = gap_ms > 0 && gap_ms <= pace.max_gap().as_millis() as i64;
    let earned_ms = if !within_reach || !beat.visible || !beat.active {
        0
    } else if has_video {
        match (beat.video, session.video_position_ms) {
            (Some(video), Some(before)) if video.playing => {
                (video.position_ms - before).clamp(0, gap_ms)
            }
            _ => 0,
        }
    } else {
        gap_ms
    };
    Credit::Counted {
        earned_ms,
        session: StudySession {
            last_beat_at: Some(now),
            last_seq: beat.seq,
            video_position_ms: beat.video.map(|v| v.position_ms),
            ..session.clone()
        },
    }
}

/// A lesson's credited time against what it asks, as the API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub lesson_id: i64,
    pub credited_seconds: i64,
    pub required_seconds: i64,
}

/// A person's credited study time in one course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CourseStudy {
    pub course_id: i64,
    pub credited_seconds: i64,
    pub required_seconds: i64,
}

impl CourseStudy {
    pub fn missing_seconds(&self) -> i64 {
        (self.required_seconds - self.credited_seconds).max(0)
    }
}

/// 学时 as people write them: 16, 2.5 (one decimal, rounded down so nobody is told they
/// have hours they have not).
pub fn hours_text(seconds: i64) -> String {
    let tenths = seconds.max(0) * 10 / SECONDS_PER_STUDY_HOUR;
    if tenths % 10 == 0 {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

/// The same, rounded up: for what is still missing.
pub fn hours_left_text(seconds: i64) -> String {
    let tenths = (seconds.max(0) * 10 + SECONDS_PER_STUDY_HOUR - 1) / SECONDS_PER_STUDY_HOUR;
    if tenths % 10 == 0 {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

/// A newly opened study session: the page holds the token and sends it with each heartbeat.
pub struct Opened {
    pub token: String,
    pub progress: Progress,
}

/// Opens `lesson` for study on this page; any other page of the person stops earning.
pub async fn open(state: &AppState, user_id: i64, lesson: &Lesson) -> AppResult<Opened> {
    let token = token::generate();
    store::open_session(
        &state.db,
        user_id,
        lesson.id,
        &token::digest(&token),
        Utc::now(),
    )
    .await?;
    let progress = store::progress(&state.db, user_id, lesson).await?;
    Ok(Opened { token, progress })
}

/// Counts one heartbeat of the session `token` for `lesson`.
pub async fn heartbeat(
    state: &AppState,
    user_id: i64,
    lesson: &Lesson,
    session_token: &str,
    beat: &Beat,
) -> AppResult<Progress> {
    let digest = token::digest(session_token);
    let session = store::session(&state.db, user_id, &digest)
        .await?
        .filter(|s| s.lesson_id == lesson.id)
        .ok_or_else(studying_elsewhere)?;
    let now = Utc::now();
    let pace = Pace {
        interval: state.config.study_heartbeat,
    };
    if let Credit::Counted {
        earned_ms,
        session: after,
    } = credit(&session, beat, lesson.video_url.is_some(), now, pace)
    {
        store::record_beat(
            &state.db,
            &digest,
            session.last_seq,
            &after,
            earned_ms,
            lesson.required_seconds * 1000,
            now,
        )
        .await?;
    }
    store::progress(&state.db, user_id, lesson).await
}

fn studying_elsewhere() -> AppError {
    AppError::conflict(
        "study_session_ended",
        Some("session"),
        "本账号已在其他页面或设备上打开了课程，此页面已停止计时；如需在此继续学习，请刷新页面",
    )
}

/// A lesson by id, or 404.
pub async fn require(state: &AppState, id: i64) -> AppResult<Lesson> {
    store::lesson(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("lesson_not_found", "没有这个课时"))
}

/// Replaces a course's lessons by the ones given (an import): lessons at the same order are
/// updated in place so credited time stays with them; new orders are added; a lesson no
/// longer named is kept if someone has studied it, removed otherwise.
pub async fn replace_lessons(
    state: &AppState,
    course_id: i64,
    lessons: &[NewLesson],
) -> AppResult<ImportSummary> {
    let mut positions = std::collections::HashSet::new();
    for lesson in lessons {
        lesson.check()?;
        if !positions.insert(lesson.position) {
            return Err(AppError::invalid(
                "order",
                format!("学习顺序 {} 出现了两次", lesson.position),
            ));
        }
    }
    store::replace_lessons(&state.db, course_id, lessons, Utc::now()).await
}

/// How the console writes a lesson: a new one at an order the course does not have, or the
/// lesson at its order as it was at the revision the editor showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LessonEdit {
    Add,
    Rewrite { revision: i64 },
}

/// Writes one lesson of a course, as the console does; the other lessons are not touched, so
/// two people editing two lessons at once both keep their work. A rewrite over a newer
/// revision is refused (409 `lesson_changed`), and the editor's text is shown again.
pub async fn save_lesson(
    state: &AppState,
    course_id: i64,
    lesson: NewLesson,
    edit: LessonEdit,
) -> AppResult<()> {
    crate::courses::require(state, course_id).await?;
    lesson.check()?;
    if let Some(url) = lesson
        .video_url
        .as_deref()
        .filter(|u| crate::media::is_media_path(u))
    {
        let id = url["/media/".len()..].parse::<i64>().unwrap_or(0);
        let video = crate::media::store::get(&state.db, id).await?;
        if !video.is_some_and(|v| v.kind.is_video()) {
            return Err(AppError::invalid(
                "video",
                format!("{url} 不是已上传的视频文件：请先在“图片与视频”中上传，再填写它的地址"),
            ));
        }
    }
    let now = Utc::now();
    match edit {
        LessonEdit::Add => {
            if !store::add_lesson(&state.db, course_id, &lesson, now).await? {
                return Err(AppError::conflict(
                    "lesson_order_taken",
                    Some("order"),
                    format!(
                        "学习顺序 {} 已有课时：请换一个顺序，或在列表中点“编辑”修改它。",
                        lesson.position
                    ),
                ));
            }
        }
        LessonEdit::Rewrite { revision } => {
            if !store::rewrite_lesson(&state.db, course_id, &lesson, revision, now).await? {
                return Err(AppError::conflict(
                    "lesson_changed",
                    None,
                    "这一课时在您编辑期间已被他人修改或删除，您的修改尚未保存。请复制下面的内容，刷新页面后再改。",
                ));
            }
        }
    }
    Ok(())
}

/// Takes a lesson out of a course; one somebody has studied is kept (as in an import).
pub async fn remove_lesson(
    state: &AppState,
    course_id: i64,
    position: i64,
) -> AppResult<store::Removal> {
    store::remove_lesson(&state.db, course_id, position).await
}

/// What an import did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    pub added: u32,
    pub updated: u32,
    pub removed: u32,
    pub kept_studied: u32,
}

#[cfg(test)]
mod tests;
