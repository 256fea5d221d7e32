//! 模拟考试: a paper drawn from a course's real blueprint, timed and answered on the same exam
//! page as a sitting, graded the moment it is handed in (or once its time is up) and reviewed
//! at once with each key and explanation. Never an exam: no sitting, no attempt, no
//! certificate, nothing in the bureau's figures, and never drawn from banks reserved for
//! exams. Every question answered wrong goes into the wrong-answer book, as in practice.
//! Owns `mock_exams` and `mock_answers`.

pub mod store;

use crate::{
    AppState,
    courses::{self, Course},
    error::{AppError, AppResult},
    exam::grading::{self, Grade},
    live::StoredAnswer,
    paper::{self, Paper},
    practice, question_bank,
};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// A mock exam as stored, without its paper.
#[derive(Debug, Clone)]
pub struct MockExam {
    pub id: i64,
    pub user_id: i64,
    pub course_id: i64,
    pub max_score: f64,
    pub started_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub score: Option<f64>,
    pub passed: Option<bool>,
}

impl MockExam {
    /// Answers are taken: not handed in, and the time is not up.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.finished_at.is_none() && now < self.deadline
    }

    pub fn remaining_seconds(&self, now: DateTime<Utc>) -> i64 {
        if self.is_open(now) {
            (self.deadline - now).num_seconds().max(0)
        } else {
            0
        }
    }
}

/// One question of a finished mock exam, with what was chosen, the key and why.
pub struct Reviewed {
    pub position: u32,
    pub question_id: i64,
    pub stem: String,
    pub options: Vec<question_bank::content::ChoiceOption>,
    pub choice: Vec<String>,
    pub key: Vec<String>,
    pub correct: bool,
    pub awarded: f64,
    pub points: f64,
    pub explanation: String,
}

fn closed() -> AppError {
    AppError::conflict(
        "attempt_closed",
        None,
        "这次模拟考试已交卷或已到时间 (the mock exam is handed in or its time is up)",
    )
}

fn not_found() -> AppError {
    AppError::not_found("mock_exam_not_found", "没有这次模拟考试")
}

/// The caller's open mock exam of `course`, or a new one drawn from its blueprint; `true`
/// when it was drawn now.
pub async fn start(
    state: &AppState,
    user_id: i64,
    course: &Course,
    now: DateTime<Utc>,
) -> AppResult<(MockExam, bool)> {
    if let Some(open) = store::open_for(&state.db, user_id, course.id, now).await? {
        return Ok((open, false));
    }
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let pool = question_bank::store::practice_questions(&state.db, None).await?;
    let candidates = courses::candidates(&pool);
    let drawn = paper::draw(&course.blueprint, &candidates, OsRng.next_u64()).map_err(|short| {
        AppError::conflict(
            "mock_exam_unavailable",
            None,
            format!("题库中可用于模拟考试的题目不足，暂时无法组卷（{short}）"),
        )
    })?;
    let by_id: HashMap<i64, &str> = pool
        .iter()
        .map(|q| (q.id, q.content.explanation.as_str()))
        .collect();
    let explanations: BTreeMap<u32, &str> = drawn
        .questions
        .iter()
        .map(|q| (q.position, by_id.get(&q.question_id).copied().unwrap_or("")))
        .collect();
    let deadline = now + chrono::Duration::minutes(course.time_limit_minutes.max(1));
    let exam = store::insert(
        &state.db,
        user_id,
        course.id,
        &drawn,
        &serde_json::to_string(&explanations).expect("explanations serialise"),
        now,
        deadline,
    )
    .await?;
    Ok((exam, true))
}

/// The caller's own mock exam (anyone else's is as missing as one that never was), graded
/// first if its time ran out while nobody was looking.
pub async fn own(state: &AppState, user_id: i64, id: i64) -> AppResult<MockExam> {
    let exam = store::mock_exam(&state.db, id)
        .await?
        .filter(|e| e.user_id == user_id)
        .ok_or_else(not_found)?;
    let now = Utc::now();
    let grace = chrono::Duration::from_std(state.config.submit_grace).unwrap_or_default();
    if exam.finished_at.is_none() && now > exam.deadline + grace {
        return finish(state, exam, now).await;
    }
    Ok(exam)
}

/// Checks `choice` against the options of question `position` of `paper`.
fn check_choice(paper: &Paper, position: u32, choice: &[String]) -> AppResult<()> {
    let q = paper
        .questions
        .iter()
        .find(|q| q.position == position)
        .ok_or_else(|| {
            AppError::not_found("position_not_found", format!("试卷没有第 {position} 题"))
        })?;
    if let Some(bad) = choice
        .iter()
        .find(|k| !q.options.iter().any(|o| &o.key == *k))
    {
        return Err(AppError::invalid(
            "choice",
            format!("“{bad}”不是第 {position} 题的选项"),
        ));
    }
    Ok(())
}

/// Saves one answer while the mock exam is open; a lower or equal `seq` changes nothing and
/// returns what is stored.
pub async fn save_answer(
    state: &AppState,
    user_id: i64,
    id: i64,
    position: u32,
    choice: &[String],
    seq: i64,
) -> AppResult<StoredAnswer> {
    let exam = own(state, user_id, id).await?;
    if !exam.is_open(Utc::now()) {
        return Err(closed());
    }
    let paper = store::paper(&state.db, id).await?.ok_or_else(not_found)?;
    check_choice(&paper, position, choice)?;
    store::save(&state.db, id, position, choice, seq).await
}

/// Hands in: merges what the page kept offline (by `seq`, if it arrives before the deadline
/// plus the grace), then grades. Idempotent: a finished one is returned as it is.
pub async fn submit(
    state: &AppState,
    user_id: i64,
    id: i64,
    offline: &[(u32, Vec<String>, i64)],
) -> AppResult<MockExam> {
    let exam = own(state, user_id, id).await?;
    if exam.finished_at.is_some() {
        return Ok(exam);
    }
    let now = Utc::now();
    let grace = chrono::Duration::from_std(state.config.submit_grace).unwrap_or_default();
    if now <= exam.deadline + grace && !offline.is_empty() {
        let paper = store::paper(&state.db, id).await?.ok_or_else(not_found)?;
        for (position, choice, _) in offline {
            check_choice(&paper, *position, choice)?;
        }
        for (position, choice, seq) in offline {
            store::save(&state.db, id, *position, choice, *seq).await?;
        }
    }
    finish(state, exam, now).await
}

/// Grades once (whoever finishes first wins; the other reads the stored result) and puts
/// every question answered wrong into the wrong-answer book.
async fn finish(state: &AppState, exam: MockExam, now: DateTime<Utc>) -> AppResult<MockExam> {
    let paper = store::paper(&state.db, exam.id)
        .await?
        .ok_or_else(not_found)?;
    let course = courses::require(state, exam.course_id).await?;
    let answers = store::answers(&state.db, exam.id).await?;
    let grade: Grade = grading::grade(&paper, &course.blueprint, course.pass_mark, &answers);
    let finished_at = now.min(exam.deadline);
    if store::finish(&state.db, exam.id, &grade, finished_at).await? {
        for (q, result) in paper.questions.iter().zip(&grade.questions) {
            // Unanswered is not answered wrong: only what was chosen goes to the book.
            if !result.choice.is_empty() {
                practice::store::record(
                    &state.db,
                    exam.user_id,
                    q.question_id,
                    q.version_id,
                    Some(exam.course_id),
                    result.correct,
                    finished_at,
                )
                .await?;
            }
        }
    }
    store::mock_exam(&state.db, exam.id)
        .await?
        .ok_or_else(not_found)
}

/// The questions of a finished mock exam with the keys and explanations; 409 while it is
/// still open (the keys never reach a page that can still answer).
pub async fn review(
    state: &AppState,
    user_id: i64,
    id: i64,
) -> AppResult<(MockExam, Grade, Vec<Reviewed>)> {
    let exam = own(state, user_id, id).await?;
    if exam.finished_at.is_none() {
        return Err(AppError::conflict(
            "mock_exam_open",
            None,
            "交卷后才能查看答案和解析",
        ));
    }
    let (paper, explanations, grade) = store::graded(&state.db, id).await?.ok_or_else(not_found)?;
    let reviewed = paper
        .questions
        .into_iter()
        .zip(&grade.questions)
        .map(|(q, r)| Reviewed {
            position: q.position,
            question_id: q.question_id,
            explanation: explanations.get(&q.position).cloned().unwrap_or_default(),
            stem: q.stem,
            options: q.options,
            choice: r.choice.clone(),
            key: q.answer,
            correct: r.correct,
            awarded: r.awarded,
            points: q.points,
        })
        .collect();
    Ok((exam, grade, reviewed))
}

/// What the exam page needs to show an open mock exam: its questions as the candidate sees
/// them (no key) and the answers saved so far.
pub async fn sheet(
    state: &AppState,
    exam: &MockExam,
) -> AppResult<(String, BTreeMap<u32, StoredAnswer>)> {
    let questions_json = store::questions_json(&state.db, exam.id)
        .await?
        .ok_or_else(not_found)?;
    let answers = store::answers(&state.db, exam.id).await?;
    Ok((questions_json, answers))
}
