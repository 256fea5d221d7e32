//! Online study (线上学习): a course's lessons, study sessions, heartbeats and the study time
//! the server credits. Anyone signed in may study; the bureau writes the lessons.

use crate::{
    AppState,
    api::{
        ApiTags,
        certificates::PdfResponse,
        error::ApiResult,
        page::Page,
        security::{BearerAuth, BureauAuth},
    },
    courses,
    study::{self, Beat, Lesson, NewLesson, VideoState},
};
use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::{Binary, Json},
};

pub struct StudyApi {
    pub state: AppState,
}

/// A lesson in a course's list, in study order.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LessonSummary {
    pub id: i64,
    pub title: String,
    /// The module (章节) it belongs to.
    pub module: String,
    /// The most study time credited for it.
    pub required_seconds: i64,
    /// Study order within the course.
    pub order: i64,
    /// What the caller has been credited for it so far.
    pub credited_seconds: i64,
    pub has_video: bool,
}

/// A whole lesson, to study.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LessonView {
    pub id: i64,
    pub course_id: i64,
    pub order: i64,
    pub module: String,
    pub title: String,
    /// The lesson in Markdown.
    pub body: String,
    pub required_seconds: i64,
    /// With a video, only the time it plays is credited.
    pub video_url: Option<String>,
    /// What the facts rest on.
    pub sources: Vec<String>,
    pub credited_seconds: i64,
    pub updated_at: DateTime<Utc>,
}

impl LessonView {
    fn of(lesson: Lesson, credited_seconds: i64) -> Self {
        Self {
            id: lesson.id,
            course_id: lesson.course_id,
            order: lesson.position,
            module: lesson.module,
            title: lesson.title,
            body: lesson.body,
            required_seconds: lesson.required_seconds,
            video_url: lesson.video_url,
            sources: lesson.sources,
            credited_seconds,
            updated_at: lesson.updated_at,
        }
    }
}

/// A lesson as the bureau writes it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LessonInput {
    /// Study order within the course, 1 to 999, unique in the course.
    pub order: i64,
    pub module: String,
    pub title: String,
    /// Markdown (Chinese).
    pub body: String,
    /// 1 to 480.
    pub required_minutes: i64,
    /// An http(s) link to a video.
    pub video_url: Option<String>,
    #[oai(default)]
    pub sources: Vec<String>,
}

#[derive(Debug, Object)]
pub struct ReplaceLessonsRequest {
    pub lessons: Vec<LessonInput>,
}

/// What replacing a course's lessons did.
#[derive(Debug, Object)]
pub struct ReplaceLessonsResult {
    pub added: u32,
    pub updated: u32,
    pub removed: u32,
    /// Lessons no longer listed but kept, because someone has studied them.
    pub kept_studied: u32,
}

/// A study session opened on one page: only the newest page of a person earns.
#[derive(Debug, Object)]
pub struct StudySessionView {
    /// Send it with each heartbeat.
    pub session: String,
    /// How often the page should send a heartbeat while it is visible and the learner active.
    pub heartbeat_seconds: u64,
    pub lesson_id: i64,
    pub credited_seconds: i64,
    pub required_seconds: i64,
}

#[derive(ApiResponse)]
pub enum OpenSessionResponse {
    #[oai(status = 201)]
    Opened(Json<StudySessionView>),
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct HeartbeatRequest {
    /// From opening the study session.
    pub session: String,
    /// 1, 2, 3, ... within the session; each number counts once.
    #[oai(validator(minimum(value = "1")))]
    pub seq: i64,
    /// The page is shown.
    pub visible: bool,
    /// The learner touched, scrolled or typed lately, or the video is playing.
    pub active: bool,
    /// Where the lesson's video stands, in seconds (lessons with a video).
    #[oai(validator(minimum(value = "0")))]
    pub video_position_seconds: Option<f64>,
    pub video_playing: Option<bool>,
}

/// A lesson's credited time, as the server now credits it.
#[derive(Debug, Object)]
pub struct LessonProgress {
    pub lesson_id: i64,
    pub credited_seconds: i64,
    pub required_seconds: i64,
}

impl From<study::Progress> for LessonProgress {
    fn from(p: study::Progress) -> Self {
        Self {
            lesson_id: p.lesson_id,
            credited_seconds: p.credited_seconds,
            required_seconds: p.required_seconds,
        }
    }
}

/// A learner's study time in one course.
#[derive(Debug, Object)]
pub struct CourseStudyView {
    pub course_id: i64,
    pub credited_seconds: i64,
    pub required_seconds: i64,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Study")]
impl StudyApi {
    /// A course's lessons in study order, with what the caller has been credited (signed in).
    #[oai(path = "/courses/:id/lessons", method = "get")]
    async fn lessons(
        &self,
        auth: BearerAuth,
        id: Path<i64>,
    ) -> ApiResult<Json<Page<LessonSummary>>> {
        let course = courses::require(&self.state, id.0).await?;
        let lessons = study::store::lessons_of(&self.state.db, course.id).await?;
        let credited =
            study::store::credited_in_course(&self.state.db, auth.0.user_id, course.id).await?;
        let items: Vec<LessonSummary> = lessons
            .into_iter()
            .map(|l| LessonSummary {
                credited_seconds: l.counted_seconds(credited.get(&l.id).copied().unwrap_or(0)),
                has_video: l.video_url.is_some(),
                id: l.id,
                title: l.title,
                module: l.module,
                required_seconds: l.required_seconds,
                order: l.position,
            })
            .collect();
        Ok(Json(Page {
            total: items.len() as i64,
            items,
        }))
    }

    /// Replace a course's lessons (bureau_admin): lessons are matched by `order`, so credited
    /// time stays with a lesson that is rewritten; a lesson left out is removed unless
    /// someone has studied it.
    #[oai(path = "/courses/:id/lessons", method = "put")]
    async fn replace(
        &self,
        _auth: BureauAuth,
        id: Path<i64>,
        body: Json<ReplaceLessonsRequest>,
    ) -> ApiResult<Json<ReplaceLessonsResult>> {
        let course = courses::require(&self.state, id.0).await?;
        let lessons: Vec<NewLesson> = body
            .0
            .lessons
            .into_iter()
            .map(|l| NewLesson {
                position: l.order,
                module: l.module.trim().to_string(),
                title: l.title.trim().to_string(),
                body: l.body,
                required_seconds: l.required_minutes.saturating_mul(60),
                video_url: l.video_url.filter(|v| !v.trim().is_empty()),
                sources: l.sources,
            })
            .collect();
        let done = study::replace_lessons(&self.state, course.id, &lessons).await?;
        Ok(Json(ReplaceLessonsResult {
            added: done.added,
            updated: done.updated,
            removed: done.removed,
            kept_studied: done.kept_studied,
        }))
    }

    /// One lesson, to study (signed in).
    #[oai(path = "/lessons/:id", method = "get")]
    async fn lesson(&self, auth: BearerAuth, id: Path<i64>) -> ApiResult<Json<LessonView>> {
        let lesson = study::require(&self.state, id.0).await?;
        let progress = study::store::progress(&self.state.db, auth.0.user_id, &lesson).await?;
        Ok(Json(LessonView::of(lesson, progress.credited_seconds)))
    }

    /// Start studying a lesson on this page (signed in). Any other page of the caller stops
    /// earning from now on.
    #[oai(path = "/lessons/:id/study-sessions", method = "post")]
    async fn open(&self, auth: BearerAuth, id: Path<i64>) -> ApiResult<OpenSessionResponse> {
        let lesson = study::require(&self.state, id.0).await?;
        let opened = study::open(&self.state, auth.0.user_id, &lesson).await?;
        Ok(OpenSessionResponse::Opened(Json(StudySessionView {
            session: opened.token,
            heartbeat_seconds: self.state.config.study_heartbeat.as_secs(),
            lesson_id: lesson.id,
            credited_seconds: opened.progress.credited_seconds,
            required_seconds: opened.progress.required_seconds,
        })))
    }

    /// A heartbeat from a studying page (signed in), sent while the page is visible and the
    /// learner active. The server credits the time since the last one by its own clock,
    /// capped at the lesson's required time; a replayed heartbeat earns nothing, and a page
    /// whose session another page took over is refused with 409 `study_session_ended`.
    #[oai(path = "/lessons/:id/heartbeats", method = "post")]
    async fn heartbeat(
        &self,
        auth: BearerAuth,
        id: Path<i64>,
        body: Json<HeartbeatRequest>,
    ) -> ApiResult<Json<LessonProgress>> {
        let lesson = study::require(&self.state, id.0).await?;
        let body = body.0;
        let beat = Beat {
            seq: body.seq,
            visible: body.visible,
            active: body.active,
            video: body.video_position_seconds.map(|s| VideoState {
                position_ms: (s * 1000.0) as i64,
                playing: body.video_playing.unwrap_or(false),
            }),
        };
        let progress =
            study::heartbeat(&self.state, auth.0.user_id, &lesson, &body.session, &beat).await?;
        Ok(Json(progress.into()))
    }

    /// The caller's study time in each course that has lessons (signed in).
    #[oai(path = "/me/study", method = "get")]
    async fn mine(&self, auth: BearerAuth) -> ApiResult<Json<Page<CourseStudyView>>> {
        let items: Vec<CourseStudyView> =
            study::store::study_by_course(&self.state.db, auth.0.user_id)
                .await?
                .into_iter()
                .map(|c| CourseStudyView {
                    course_id: c.course_id,
                    credited_seconds: c.credited_seconds,
                    required_seconds: c.required_seconds,
                })
                .collect();
        Ok(Json(Page {
            total: items.len() as i64,
            items,
        }))
    }

    /// The caller's 学时证明 (PDF) for a course and year (default: this year): the lessons
    /// studied in full that year and the 学时 they add up to.
    #[oai(path = "/me/study/certificate.pdf", method = "get")]
    async fn statement(
        &self,
        auth: BearerAuth,
        course_id: Query<i64>,
        year: Query<Option<i32>>,
    ) -> ApiResult<PdfResponse> {
        use chrono::Datelike;
        let year = year
            .0
            .unwrap_or_else(|| crate::certificates::today().year());
        let (pdf, name) =
            study::statement::pdf(&self.state, auth.0.user_id, course_id.0, year).await?;
        Ok(PdfResponse::Pdf(
            Binary(pdf),
            format!("inline; filename=\"{name}\""),
        ))
    }
}
