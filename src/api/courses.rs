//! Courses and their exam blueprints: read by anyone (a citizen chooses a course before
//! signing up), defined by the bureau.

use crate::{
    AppState,
    api::{
        ApiTags,
        error::ApiResult,
        page::{Page, window},
        security::BureauAuth,
    },
    blueprint::{Blueprint, Scoring},
    courses::{self, Course, CourseCategory, NewCourse, ReviewAfter},
    question_bank::content::{ChoiceOption, QuestionKind},
};
use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

pub struct CoursesApi {
    pub state: AppState,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CourseView {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub category: CourseCategory,
    /// 学时 of the training the exam closes.
    pub training_hours: i64,
    /// Points (of `total_points`) needed to pass.
    pub pass_mark: f64,
    pub time_limit_minutes: i64,
    /// How long a certificate from this course is valid.
    pub validity_months: i64,
    /// Retakes (补考) allowed after a failed attempt.
    pub retake_limit: i64,
    /// Whether a practical assessment (e.g. CPR on a manikin) must also be passed.
    pub practical_required: bool,
    pub review_after: ReviewAfter,
    pub blueprint: Blueprint,
    /// For re-education: the course whose certificates this one renews.
    pub renews_course_id: Option<i64>,
    /// Its online lessons must be studied in full before its exam can be booked.
    pub study_before_booking: bool,
    pub question_count: u32,
    pub total_points: f64,
    pub created_at: DateTime<Utc>,
}

impl From<Course> for CourseView {
    fn from(c: Course) -> Self {
        Self {
            question_count: c.blueprint.question_count(),
            total_points: c.blueprint.total_points(),
            id: c.id,
            code: c.code,
            title: c.title,
            category: c.category,
            training_hours: c.training_hours,
            pass_mark: c.pass_mark,
            time_limit_minutes: c.time_limit_minutes,
            validity_months: c.validity_months,
            retake_limit: c.retake_limit,
            practical_required: c.practical_required,
            review_after: c.review_after,
            blueprint: c.blueprint,
            renews_course_id: c.renews_course_id,
            study_before_booking: c.study_before_booking,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreateCourseRequest {
    #[oai(validator(pattern = r"^[A-Za-z0-9_-]{1,32}$"))]
    pub code: String,
    #[oai(validator(max_length = 100, pattern = r"\S"))]
    pub title: String,
    pub category: CourseCategory,
    #[oai(validator(minimum(value = "0"), maximum(value = "1000")))]
    pub training_hours: i64,
    #[oai(validator(minimum(value = "0", exclusive)))]
    pub pass_mark: f64,
    #[oai(validator(minimum(value = "1"), maximum(value = "600")))]
    pub time_limit_minutes: i64,
    #[oai(validator(minimum(value = "1"), maximum(value = "240")))]
    pub validity_months: i64,
    #[oai(default)]
    #[oai(validator(minimum(value = "0"), maximum(value = "10")))]
    pub retake_limit: i64,
    #[oai(default)]
    pub practical_required: bool,
    /// Defaults to `close`.
    pub review_after: Option<ReviewAfter>,
    pub blueprint: Blueprint,
    /// Make this a re-education course that renews the certificates of that course; booking
    /// it needs a valid certificate of that course.
    pub renews_course_id: Option<i64>,
    /// Require the course's online lessons in full before its exam can be booked.
    #[oai(default)]
    pub study_before_booking: bool,
}

impl From<CreateCourseRequest> for NewCourse {
    fn from(body: CreateCourseRequest) -> Self {
        NewCourse {
            code: body.code.trim().to_string(),
            title: body.title,
            category: body.category,
            training_hours: body.training_hours,
            pass_mark: body.pass_mark,
            time_limit_minutes: body.time_limit_minutes,
            validity_months: body.validity_months,
            retake_limit: body.retake_limit,
            practical_required: body.practical_required,
            review_after: body.review_after.unwrap_or_default(),
            blueprint: body.blueprint,
            renews_course_id: body.renews_course_id,
            study_before_booking: body.study_before_booking,
        }
    }
}

#[derive(ApiResponse)]
pub enum CreateCourseResponse {
    #[oai(status = 201)]
    Created(Json<CourseView>),
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PreviewRequest {
    /// The same seed draws the same paper.
    pub seed: u64,
}

/// A question on a previewed paper, with its key (bureau only).
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PreviewQuestion {
    pub position: u32,
    /// Index of the blueprint section it fills.
    pub section: u64,
    pub question_id: i64,
    pub version_id: i64,
    pub kind: QuestionKind,
    pub stem: String,
    pub options: Vec<ChoiceOption>,
    pub answer: Vec<String>,
    pub points: f64,
    pub scoring: Scoring,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PaperPreview {
    pub seed: u64,
    pub total_points: f64,
    pub questions: Vec<PreviewQuestion>,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Courses")]
impl CoursesApi {
    /// Courses with their exam blueprint (anyone).
    #[oai(path = "/courses", method = "get")]
    async fn list(
        &self,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<Page<CourseView>>> {
        let (limit, offset) = window(limit.0, offset.0);
        let (courses, total) = courses::store::list(&self.state.db, limit, offset).await?;
        Ok(Json(Page {
            items: courses.into_iter().map(Into::into).collect(),
            total,
        }))
    }

    /// One course (anyone).
    #[oai(path = "/courses/:id", method = "get")]
    async fn get(&self, id: Path<i64>) -> ApiResult<Json<CourseView>> {
        Ok(Json(courses::require(&self.state, id.0).await?.into()))
    }

    /// Define a course (bureau_admin). A blueprint the banks cannot fill is refused,
    /// naming the section.
    #[oai(path = "/courses", method = "post")]
    async fn create(
        &self,
        _auth: BureauAuth,
        body: Json<CreateCourseRequest>,
    ) -> ApiResult<CreateCourseResponse> {
        let course = courses::create(&self.state, body.0.into()).await?;
        Ok(CreateCourseResponse::Created(Json(course.into())))
    }

    /// Change a course (bureau_admin), with the same fields as creating one; its id stays.
    /// The new rules apply to exams started after. While papers of the course are drawn for
    /// a sitting that is not over, a change of its blueprint or pass mark is a 409
    /// `course_in_use`; a blueprint the banks cannot fill is refused, naming the section.
    #[oai(path = "/courses/:id", method = "put")]
    async fn update(
        &self,
        _auth: BureauAuth,
        id: Path<i64>,
        body: Json<CreateCourseRequest>,
    ) -> ApiResult<Json<CourseView>> {
        let course = courses::update(&self.state, id.0, body.0.into()).await?;
        Ok(Json(course.into()))
    }

    /// Draw the paper a seed gives, with keys (bureau_admin): to check a blueprint.
    #[oai(path = "/courses/:id/paper-preview", method = "post")]
    async fn preview(
        &self,
        _auth: BureauAuth,
        id: Path<i64>,
        body: Json<PreviewRequest>,
    ) -> ApiResult<Json<PaperPreview>> {
        let course = courses::require(&self.state, id.0).await?;
        let paper = courses::draw_paper(&self.state, &course, body.seed).await?;
        Ok(Json(PaperPreview {
            seed: paper.seed,
            total_points: course.blueprint.total_points(),
            questions: paper
                .questions
                .into_iter()
                .map(|q| PreviewQuestion {
                    position: q.position,
                    section: q.section as u64,
                    question_id: q.question_id,
                    version_id: q.version_id,
                    kind: q.kind,
                    stem: q.stem,
                    options: q.options,
                    answer: q.answer,
                    points: q.points,
                    scoring: q.scoring,
                })
                .collect(),
        }))
    }
}
