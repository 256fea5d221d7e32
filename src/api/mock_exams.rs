//! 模拟考试 over HTTP: start one from a course's blueprint, save answers as on a real exam,
//! hand in, and review it with the keys and explanations. The caller's own only; the rules
//! are `crate::mock_exam`'s.

use crate::{
    AppState,
    api::{
        ApiTags,
        attempts::{AnswerView, CandidateQuestion, OfflineAnswer, SaveAnswerRequest, SubtotalView},
        error::ApiResult,
        page::Page,
        security::BearerAuth,
    },
    courses,
    error::AppError,
    mock_exam::{self, MockExam},
    question_bank::content::{ChoiceOption, QuestionKind},
};
use chrono::{DateTime, Utc};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, param::Path, payload::Json};

pub struct MockExamsApi {
    pub state: AppState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum MockExamStatus {
    /// Taking answers.
    InProgress,
    /// Handed in, or its time ran out: graded.
    Submitted,
}

/// A mock exam: its clock, its questions (no key) and the answers saved so far; once handed
/// in, the score.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MockExamView {
    pub id: i64,
    pub course_id: i64,
    pub status: MockExamStatus,
    pub started_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub remaining_seconds: i64,
    pub max_score: f64,
    pub score: Option<f64>,
    pub passed: Option<bool>,
    pub finished_at: Option<DateTime<Utc>>,
    /// While it takes answers: the paper.
    pub questions: Option<Vec<CandidateQuestion>>,
    pub answers: Vec<AnswerView>,
}

/// A question of a finished mock exam with the key and its explanation.
#[derive(Debug, Object)]
pub struct ReviewedQuestion {
    pub position: u32,
    pub question_id: i64,
    pub stem: String,
    pub options: Vec<ChoiceOption>,
    pub choice: Vec<String>,
    pub key: Vec<String>,
    pub correct: bool,
    pub awarded: f64,
    pub points: f64,
    /// Why, with its sources.
    pub explanation: String,
}

#[derive(Debug, Object)]
pub struct MockExamReview {
    pub id: i64,
    pub course_id: i64,
    pub score: f64,
    pub max_score: f64,
    pub passed: bool,
    pub finished_at: Option<DateTime<Utc>>,
    pub sections: Vec<SubtotalView>,
    pub questions: Vec<ReviewedQuestion>,
}

/// A mock exam in the caller's list.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MockExamSummary {
    pub id: i64,
    pub course_id: i64,
    pub status: MockExamStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub max_score: f64,
    pub score: Option<f64>,
    pub passed: Option<bool>,
}

fn status_of(exam: &MockExam) -> MockExamStatus {
    if exam.finished_at.is_some() {
        MockExamStatus::Submitted
    } else {
        MockExamStatus::InProgress
    }
}

#[derive(Debug, Object)]
pub struct MockSubmitRequest {
    /// What the page kept while offline; merged by `seq` if the submit arrives in time.
    #[oai(default)]
    pub answers: Vec<OfflineAnswer>,
}

#[derive(ApiResponse)]
pub enum StartMockResponse {
    /// A new mock exam, drawn now.
    #[oai(status = 201)]
    Started(Json<MockExamView>),
    /// The caller's mock exam of this course still under way.
    #[oai(status = 200)]
    Resumed(Json<MockExamView>),
}

/// The face questions as the API shows them.
#[derive(serde::Deserialize)]
struct FaceQuestion {
    position: u32,
    kind: QuestionKind,
    stem: String,
    options: Vec<ChoiceOption>,
    points: f64,
}

async fn view(state: &AppState, exam: &MockExam) -> ApiResult<MockExamView> {
    let now = Utc::now();
    let open = exam.is_open(now);
    let (questions_json, answers) = mock_exam::sheet(state, exam).await?;
    let questions = if open {
        let face: Vec<FaceQuestion> = serde_json::from_str(&questions_json)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("mock exam paper unreadable: {e}")))?;
        Some(
            face.into_iter()
                .map(|q| CandidateQuestion {
                    position: q.position,
                    kind: q.kind,
                    stem: q.stem,
                    options: q.options,
                    points: q.points,
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(MockExamView {
        id: exam.id,
        course_id: exam.course_id,
        status: status_of(exam),
        started_at: exam.started_at,
        deadline: exam.deadline,
        remaining_seconds: exam.remaining_seconds(now),
        max_score: exam.max_score,
        score: exam.score,
        passed: exam.passed,
        finished_at: exam.finished_at,
        questions,
        answers: answers
            .into_iter()
            .map(|(position, a)| AnswerView {
                position,
                choice: a.choice,
                seq: a.seq,
            })
            .collect(),
    })
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Study")]
impl MockExamsApi {
    /// Start a mock exam of a course (signed in), or resume the one under way: a paper drawn
    /// from the course's blueprint (never from banks reserved for exams), with its time
    /// limit. Never an exam: no sitting, no certificate.
    #[oai(path = "/courses/:id/mock-exams", method = "post")]
    async fn start(&self, auth: BearerAuth, id: Path<i64>) -> ApiResult<StartMockResponse> {
        let course = courses::require(&self.state, id.0).await?;
        let (exam, created) =
            mock_exam::start(&self.state, auth.0.user_id, &course, Utc::now()).await?;
        let body = Json(view(&self.state, &exam).await?);
        Ok(if created {
            StartMockResponse::Started(body)
        } else {
            StartMockResponse::Resumed(body)
        })
    }

    /// One of the caller's mock exams: its clock and answers, and its questions while it
    /// takes answers. Read after its time ran out, it is graded first.
    #[oai(path = "/mock-exams/:id", method = "get")]
    async fn one(&self, auth: BearerAuth, id: Path<i64>) -> ApiResult<Json<MockExamView>> {
        let exam = mock_exam::own(&self.state, auth.0.user_id, id.0).await?;
        Ok(Json(view(&self.state, &exam).await?))
    }

    /// Save one answer, as on a real exam: a lower or equal `seq` changes nothing; 409
    /// `attempt_closed` once handed in or out of time.
    #[oai(path = "/mock-exams/:id/answers/:position", method = "put")]
    async fn save(
        &self,
        auth: BearerAuth,
        id: Path<i64>,
        position: Path<u32>,
        body: Json<SaveAnswerRequest>,
    ) -> ApiResult<Json<AnswerView>> {
        let stored = mock_exam::save_answer(
            &self.state,
            auth.0.user_id,
            id.0,
            position.0,
            &body.choice,
            body.seq,
        )
        .await?;
        Ok(Json(AnswerView {
            position: position.0,
            choice: stored.choice,
            seq: stored.seq,
        }))
    }

    /// Hand in: graded at once. Idempotent.
    #[oai(path = "/mock-exams/:id/submit", method = "post")]
    async fn submit(
        &self,
        auth: BearerAuth,
        id: Path<i64>,
        body: Json<MockSubmitRequest>,
    ) -> ApiResult<Json<MockExamView>> {
        let offline: Vec<(u32, Vec<String>, i64)> = body
            .0
            .answers
            .into_iter()
            .map(|a| (a.position, a.choice, a.seq))
            .collect();
        let exam = mock_exam::submit(&self.state, auth.0.user_id, id.0, &offline).await?;
        Ok(Json(view(&self.state, &exam).await?))
    }

    /// A handed-in mock exam with every key and explanation; 409 `mock_exam_open` before.
    #[oai(path = "/mock-exams/:id/review", method = "get")]
    async fn review(&self, auth: BearerAuth, id: Path<i64>) -> ApiResult<Json<MockExamReview>> {
        let (exam, grade, questions) = mock_exam::review(&self.state, auth.0.user_id, id.0).await?;
        Ok(Json(MockExamReview {
            id: exam.id,
            course_id: exam.course_id,
            score: grade.score,
            max_score: grade.max_score,
            passed: grade.passed,
            finished_at: exam.finished_at,
            sections: grade.sections.into_iter().map(Into::into).collect(),
            questions: questions
                .into_iter()
                .map(|q| ReviewedQuestion {
                    position: q.position,
                    question_id: q.question_id,
                    stem: q.stem,
                    options: q.options,
                    choice: q.choice,
                    key: q.key,
                    correct: q.correct,
                    awarded: q.awarded,
                    points: q.points,
                    explanation: q.explanation,
                })
                .collect(),
        }))
    }

    /// The caller's mock exams, newest first (the last 50).
    #[oai(path = "/me/mock-exams", method = "get")]
    async fn mine(&self, auth: BearerAuth) -> ApiResult<Json<Page<MockExamSummary>>> {
        let exams = mock_exam::store::of_user(&self.state.db, auth.0.user_id, 50).await?;
        let mut items = Vec::with_capacity(exams.len());
        for exam in exams {
            // One whose time ran out is graded as it is read.
            let exam = mock_exam::own(&self.state, auth.0.user_id, exam.id).await?;
            items.push(MockExamSummary {
                id: exam.id,
                course_id: exam.course_id,
                status: status_of(&exam),
                started_at: exam.started_at,
                finished_at: exam.finished_at,
                max_score: exam.max_score,
                score: exam.score,
                passed: exam.passed,
            });
        }
        Ok(Json(Page {
            total: items.len() as i64,
            items,
        }))
    }
}
