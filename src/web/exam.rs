//! The exam page (在线考试) and the result page. The exam page is rendered once with the
//! whole paper and the answers saved so far; `assets/exam.js` saves each choice through the
//! JSON API, keeps unsent answers in the browser, runs the server's clock and hands in.

use super::{Layout, local, mine::score_text, render};
use crate::{
    AppState, certificates, courses,
    error::AppError,
    exam::{self, AttemptStatus},
    question_bank::content::{ChoiceOption, QuestionKind},
};
use askama::Template;
use chrono::Utc;
use poem::{
    IntoResponse, Request, Response, handler,
    web::{Data, Path, Redirect},
};
use serde::Deserialize;
use std::collections::BTreeMap;

/// One question of the paper as the candidate gets it (no key: the face has none).
#[derive(Deserialize)]
struct FaceQuestion {
    position: u32,
    kind: QuestionKind,
    stem: String,
    options: Vec<ChoiceOption>,
    points: f64,
}

struct OptionView {
    key: String,
    label: String,
    text: String,
    checked: bool,
}

struct QuestionView {
    position: u32,
    kind: &'static str,
    kind_label: &'static str,
    input_type: &'static str,
    stem: String,
    points: String,
    options: Vec<OptionView>,
    answered: bool,
}

#[derive(Template)]
#[template(path = "exam.html")]
struct ExamPage<'a> {
    layout: &'a Layout,
    /// 考试 or 模拟考试.
    what: &'static str,
    course: String,
    attempt_id: i64,
    remaining_seconds: i64,
    paper_etag: String,
    /// Position → the seq of the saved answer, for the script (JSON).
    saved_seqs: String,
    questions: Vec<QuestionView>,
    /// Where the script saves and hands in, and where it goes after.
    api: String,
    result_url: String,
    /// Names what the script keeps in the browser, apart for exams and mock exams.
    storage_id: String,
    /// The proctor is told when the page is left (a real exam only).
    report_events: bool,
}

/// An exam sheet as the exam page shows it, for a real exam or a mock one.
pub(super) struct Sheet {
    pub what: &'static str,
    pub course: String,
    pub id: i64,
    pub remaining_seconds: i64,
    pub paper_etag: String,
    /// The questions as the candidate sees them (JSON, no key).
    pub questions_json: String,
    pub answers: BTreeMap<u32, crate::live::StoredAnswer>,
    pub api: String,
    pub result_url: String,
    pub storage_id: String,
    pub report_events: bool,
}

/// The exam page for `sheet`: the one page both real and mock exams are answered on.
pub(super) fn render_sheet(state: &AppState, layout: &Layout, sheet: Sheet) -> Response {
    let face: Vec<FaceQuestion> = match serde_json::from_str(&sheet.questions_json) {
        Ok(face) => face,
        Err(e) => return super::refused(state, layout, &AppError::Internal(e.into())),
    };
    let seqs: BTreeMap<u32, i64> = sheet.answers.iter().map(|(p, a)| (*p, a.seq)).collect();
    let questions = face
        .into_iter()
        .map(|q| {
            let saved = sheet.answers.get(&q.position).map(|a| &a.choice);
            question_view(q, saved)
        })
        .collect();
    render(
        state,
        layout,
        &ExamPage {
            layout,
            what: sheet.what,
            course: sheet.course,
            attempt_id: sheet.id,
            remaining_seconds: sheet.remaining_seconds,
            paper_etag: sheet.paper_etag,
            saved_seqs: serde_json::to_string(&seqs).unwrap_or_else(|_| "{}".into()),
            questions,
            api: sheet.api,
            result_url: sheet.result_url,
            storage_id: sheet.storage_id,
            report_events: sheet.report_events,
        },
    )
}

fn question_view(q: FaceQuestion, saved: Option<&Vec<String>>) -> QuestionView {
    let (kind, kind_label, input_type) = match q.kind {
        QuestionKind::Single => ("single", "单选题", "radio"),
        QuestionKind::Multiple => ("multiple", "多选题", "checkbox"),
        QuestionKind::TrueFalse => ("true_false", "判断题", "radio"),
    };
    let options = q
        .options
        .into_iter()
        .map(|o| OptionView {
            checked: saved.is_some_and(|c| c.contains(&o.key)),
            label: match (q.kind, o.key.as_str()) {
                (QuestionKind::TrueFalse, "T") => "√".into(),
                (QuestionKind::TrueFalse, "F") => "×".into(),
                _ => o.key.clone(),
            },
            key: o.key,
            text: o.text,
        })
        .collect();
    QuestionView {
        position: q.position,
        kind,
        kind_label,
        input_type,
        stem: q.stem,
        points: score_text(q.points),
        options,
        answered: saved.is_some_and(|c| !c.is_empty()),
    }
}

/// Starts or resumes the signed-in candidate's attempt (`exam::start`, as the API does) and
/// shows the paper. A finished attempt goes to its result.
#[handler]
pub async fn exam_page(
    req: &Request,
    Data(state): Data<&AppState>,
    Path(sitting_id): Path<i64>,
) -> Response {
    let layout = Layout::of(state, req).await;
    let Some(caller) = &layout.user else {
        return super::to_login(req);
    };
    let view = match exam::start(state, caller, sitting_id, &[]).await {
        Ok(view) => view,
        Err(e) => return super::refused(state, &layout, &e),
    };
    let attempt = &view.attempt;
    if attempt.status != AttemptStatus::InProgress || attempt.deadline <= Utc::now() {
        return Redirect::see_other(format!("/attempts/{}/result", attempt.id)).into_response();
    }
    let course = match courses::require(state, attempt.course_id).await {
        Ok(c) => c.title,
        Err(e) => return super::refused(state, &layout, &e),
    };
    render_sheet(
        state,
        &layout,
        Sheet {
            what: "考试",
            course,
            id: attempt.id,
            remaining_seconds: (attempt.deadline - Utc::now()).num_seconds().max(0),
            paper_etag: view.paper_etag.clone(),
            questions_json: view.questions_json.clone().unwrap_or_else(|| "[]".into()),
            answers: view.answers.clone(),
            api: format!("/api/v1/attempts/{}", attempt.id),
            result_url: format!("/attempts/{}/result", attempt.id),
            storage_id: attempt.id.to_string(),
            report_events: true,
        },
    )
}

struct SectionRow {
    title: String,
    score: String,
    max_score: String,
}

struct ReviewRow {
    position: u32,
    stem: String,
    options: Vec<(String, String)>,
    choice: String,
    key: String,
    correct: bool,
    awarded: String,
}

#[derive(Template)]
#[template(path = "result.html")]
struct ResultPage<'a> {
    layout: &'a Layout,
    course: String,
    attempt_id: i64,
    score: String,
    max_score: String,
    passed: bool,
    terminated: Option<String>,
    finished: String,
    sections: Vec<SectionRow>,
    review: Option<Vec<ReviewRow>>,
    certificate: Option<(i64, String)>,
}

#[derive(Template)]
#[template(path = "grading.html")]
struct GradingPage<'a> {
    layout: &'a Layout,
    attempt_id: i64,
}

/// Keys as a candidate reads them: 正确/错误 for true-false, 未作答 for none.
pub(super) fn keys_text(keys: &[String]) -> String {
    if keys.is_empty() {
        "未作答".into()
    } else {
        keys.iter()
            .map(|k| match k.as_str() {
                "T" => "正确",
                "F" => "错误",
                other => other,
            })
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// The result of an attempt: to its candidate, or staff who oversee it (`exam::review`).
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
    let (attempt, reviewed) = match exam::review(state, caller, id).await {
        Ok(r) => r,
        // Handed in but not graded yet: this page looks again in a moment.
        Err(AppError::Conflict {
            code: "attempt_open",
            ..
        }) => {
            return render(
                state,
                &layout,
                &GradingPage {
                    layout: &layout,
                    attempt_id: id,
                },
            );
        }
        Err(e) => return super::refused(state, &layout, &e),
    };
    let course = match courses::require(state, attempt.course_id).await {
        Ok(c) => c.title,
        Err(e) => return super::refused(state, &layout, &e),
    };
    let certificate = match certificates::store::by_attempt(&state.db, attempt.id).await {
        Ok(c) => c.map(|c| (c.id, c.verify_code)),
        Err(e) => return super::refused(state, &layout, &AppError::from(e)),
    };
    let sections = attempt
        .summary
        .as_ref()
        .map(|s| {
            s.sections
                .iter()
                .map(|t| SectionRow {
                    title: t.title.clone(),
                    score: score_text(t.score),
                    max_score: score_text(t.max_score),
                })
                .collect()
        })
        .unwrap_or_default();
    let review = reviewed.map(|questions| {
        questions
            .into_iter()
            .map(|q| ReviewRow {
                position: q.position,
                stem: q.stem,
                options: q.options.into_iter().map(|o| (o.key, o.text)).collect(),
                choice: keys_text(&q.choice),
                key: keys_text(&q.key),
                correct: q.correct,
                awarded: score_text(q.awarded),
            })
            .collect()
    });
    render(
        state,
        &layout,
        &ResultPage {
            layout: &layout,
            course,
            attempt_id: attempt.id,
            score: score_text(attempt.score.unwrap_or(0.0)),
            max_score: score_text(attempt.max_score),
            passed: attempt.passed.unwrap_or(false),
            terminated: (attempt.status == AttemptStatus::Terminated)
                .then(|| attempt.terminated_reason.clone().unwrap_or_default()),
            finished: attempt.finished_at.map(local).unwrap_or_default(),
            sections,
            review,
            certificate,
        },
    )
}
