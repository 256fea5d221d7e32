//! 模拟考试 as pages: started from a course's study page, answered on the exam page itself
//! (`exam::render_sheet`, the same page and script as a sitting), and reviewed at once with
//! every key and explanation. The rules are `crate::mock_exam`'s.

use super::{
    Layout,
    exam::{self, keys_text},
    local,
    mine::score_text,
    render, session,
};
use crate::{
    AppState, courses,
    error::AppError,
    mock_exam::{self, MockExam},
};
use askama::Template;
use chrono::Utc;
use poem::{
    IntoResponse, Request, Response, handler,
    web::{Data, Form, Path, Redirect},
};

/// Starts a mock exam of the course (or goes back to the one under way).
#[handler]
pub async fn start(
    req: &Request,
    Data(state): Data<&AppState>,
    Path(course_id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let csrf = fields
        .iter()
        .find(|(k, _)| k == session::CSRF_FIELD)
        .map(|(_, v)| v.as_str());
    let back = format!("/study/courses/{course_id}");
    let (layout, caller) = match super::form_sender(state, req, csrf, &back).await {
        Ok(sender) => sender,
        Err(resp) => return resp,
    };
    let started = async {
        let course = courses::require(state, course_id).await?;
        mock_exam::start(state, caller.user_id, &course, Utc::now()).await
    }
    .await;
    match started {
        Ok((exam, _)) => {
            Redirect::see_other(format!("/study/mock-exams/{}", exam.id)).into_response()
        }
        Err(e) => super::refused(state, &layout, &e),
    }
}

/// The exam page for a mock exam under way; a finished one goes to its review.
#[handler]
pub async fn mock_page(
    req: &Request,
    Data(state): Data<&AppState>,
    Path(id): Path<i64>,
) -> Response {
    let layout = Layout::of(state, req).await;
    let Some(caller) = &layout.user else {
        return super::to_login(req);
    };
    let shown: Result<Option<(MockExam, String, _, String)>, AppError> = async {
        let exam = mock_exam::own(state, caller.user_id, id).await?;
        if !exam.is_open(Utc::now()) {
            return Ok(None);
        }
        let (questions_json, answers) = mock_exam::sheet(state, &exam).await?;
        let course = courses::require(state, exam.course_id).await?.title;
        Ok(Some((exam, questions_json, answers, course)))
    }
    .await;
    match shown {
        Ok(Some((exam, questions_json, answers, course))) => exam::render_sheet(
            state,
            &layout,
            exam::Sheet {
                what: "模拟考试",
                course,
                id: exam.id,
                remaining_seconds: exam.remaining_seconds(Utc::now()),
                paper_etag: String::new(),
                questions_json,
                answers,
                api: format!("/api/v1/mock-exams/{}", exam.id),
                result_url: format!("/study/mock-exams/{}/result", exam.id),
                storage_id: format!("mock-{}", exam.id),
                report_events: false,
            },
        ),
        Ok(None) => Redirect::see_other(format!("/study/mock-exams/{id}/result")).into_response(),
        Err(e) => super::refused(state, &layout, &e),
    }
}

struct ReviewRow {
    position: u32,
    question_id: i64,
    stem: String,
    options: Vec<(String, String)>,
    choice: String,
    key: String,
    correct: bool,
    awarded: String,
    points: String,
    explanation: String,
}

struct SectionRow {
    title: String,
    score: String,
    max_score: String,
}

#[derive(Template)]
#[template(path = "mock_result.html")]
struct MockResultPage<'a> {
    layout: &'a Layout,
    course_id: i64,
    course: String,
    id: i64,
    score: String,
    max_score: String,
    passed: bool,
    finished: String,
    wrong: usize,
    sections: Vec<SectionRow>,
    review: Vec<ReviewRow>,
}

/// A finished mock exam: the score, by section, and every question with the key and why.
#[handler]
pub async fn result_page(
    req: &Request,
    Data(state): Data<&AppState>,
    Path(id): Path<i64>,
) -> Response {
    let layout = Layout::of(state, req).await;
    let Some(caller) = &layout.user else {
        return super::to_login(req);
    };
    let reviewed = async {
        let (exam, grade, questions) = mock_exam::review(state, caller.user_id, id).await?;
        let course = courses::require(state, exam.course_id).await?;
        Ok::<_, AppError>((exam, grade, questions, course))
    }
    .await;
    let (exam, grade, questions, course) = match reviewed {
        Ok(r) => r,
        // Still open: back to the paper.
        Err(AppError::Conflict {
            code: "mock_exam_open",
            ..
        }) => return Redirect::see_other(format!("/study/mock-exams/{id}")).into_response(),
        Err(e) => return super::refused(state, &layout, &e),
    };
    let review: Vec<ReviewRow> = questions
        .into_iter()
        .map(|q| ReviewRow {
            position: q.position,
            question_id: q.question_id,
            stem: q.stem,
            options: q.options.into_iter().map(|o| (o.key, o.text)).collect(),
            choice: keys_text(&q.choice),
            key: keys_text(&q.key),
            correct: q.correct,
            awarded: score_text(q.awarded),
            points: score_text(q.points),
            explanation: q.explanation,
        })
        .collect();
    render(
        state,
        &layout,
        &MockResultPage {
            layout: &layout,
            course_id: course.id,
            course: course.title,
            id: exam.id,
            score: score_text(grade.score),
            max_score: score_text(grade.max_score),
            passed: grade.passed,
            finished: exam.finished_at.map(local).unwrap_or_default(),
            wrong: review.iter().filter(|r| !r.correct).count(),
            sections: grade
                .sections
                .iter()
                .map(|s| SectionRow {
                    title: s.title.clone(),
                    score: score_text(s.score),
                    max_score: score_text(s.max_score),
                })
                .collect(),
            review,
        },
    )
}
