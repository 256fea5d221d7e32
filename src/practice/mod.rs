//! 练习 and 错题本: questions answered one at a time with the answer and its explanation shown
//! at once, never counted as an exam and never drawn from a bank reserved for exams; every
//! question answered wrong goes into the person's wrong-answer book and stays there until
//! answered right twice in a row. Owns `practice_answers` and `wrong_answers`.

pub mod store;

use crate::{
    AppState,
    courses::Course,
    error::{AppError, AppResult},
    question_bank::{self, content::QuestionContent, store::Question},
};
use chrono::{DateTime, Utc};

/// Right answers in a row that take a question out of the book.
pub const RIGHT_IN_A_ROW_TO_CLEAR: i64 = 2;

/// A question's place in one person's wrong-answer book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookEntry {
    pub wrong_count: i64,
    pub right_streak: i64,
    /// Answered right often enough in a row: out of the book.
    pub cleared: bool,
}

/// The book after an answer: a wrong answer puts the question in (again) and resets the
/// streak; a right one counts toward clearing it. A question never answered wrong stays out.
pub fn after_answer(entry: Option<BookEntry>, correct: bool) -> Option<BookEntry> {
    match (entry, correct) {
        (None, true) => None,
        (None, false) => Some(BookEntry {
            wrong_count: 1,
            right_streak: 0,
            cleared: false,
        }),
        (Some(e), false) => Some(BookEntry {
            wrong_count: e.wrong_count + 1,
            right_streak: 0,
            cleared: false,
        }),
        (Some(e), true) if e.cleared => Some(e),
        (Some(e), true) => {
            let streak = e.right_streak + 1;
            Some(BookEntry {
                right_streak: streak,
                cleared: streak >= RIGHT_IN_A_ROW_TO_CLEAR,
                ..e
            })
        }
    }
}

/// Whether `choice` is exactly the key (every right option, no other).
pub fn is_correct(content: &QuestionContent, choice: &[String]) -> bool {
    let mut given: Vec<&str> = choice.iter().map(|c| c.trim()).collect();
    given.sort_unstable();
    given.dedup();
    let mut key: Vec<&str> = content.answer.iter().map(String::as_str).collect();
    key.sort_unstable();
    given == key
}

/// The banks a course's exam draws from (`None`: every bank).
fn course_banks(course: &Course) -> Option<Vec<i64>> {
    let banks: Option<Vec<i64>> = course
        .blueprint
        .sections
        .iter()
        .map(|s| s.bank_id)
        .collect();
    banks
}

/// The questions a person may practise for `course`, with `tag` if given.
pub async fn questions_for(
    state: &AppState,
    course: &Course,
    tag: Option<&str>,
) -> AppResult<Vec<Question>> {
    let banks = course_banks(course);
    let questions = question_bank::store::practice_questions(&state.db, banks.as_deref()).await?;
    Ok(match tag.map(str::trim).filter(|t| !t.is_empty()) {
        Some(tag) => questions
            .into_iter()
            .filter(|q| q.content.tags.iter().any(|t| t == tag))
            .collect(),
        None => questions,
    })
}

/// One practice question for `course` (with `tag` if given), drawn at random, and how many
/// there were to draw from; 404 `no_practice_questions` when there are none.
pub async fn draw(
    state: &AppState,
    course: &Course,
    tag: Option<&str>,
) -> AppResult<(Question, usize)> {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut questions = questions_for(state, course, tag).await?;
    if questions.is_empty() {
        return Err(AppError::not_found(
            "no_practice_questions",
            "这门课程（或所选模块）暂时没有可练习的题目",
        ));
    }
    let available = questions.len();
    let picked = (OsRng.next_u64() % available as u64) as usize;
    Ok((questions.swap_remove(picked), available))
}

/// What answering a practice question did.
pub struct Checked {
    pub question: Question,
    pub correct: bool,
    pub book: Option<BookEntry>,
}

/// Checks a practice answer, records it and updates the person's wrong-answer book (which
/// keeps the course it was practised under, to send the learner back there).
pub async fn answer(
    state: &AppState,
    user_id: i64,
    question_id: i64,
    course_id: Option<i64>,
    choice: &[String],
    now: DateTime<Utc>,
) -> AppResult<Checked> {
    let question = question_bank::store::question(&state.db, question_id)
        .await?
        .filter(|q| q.status == question_bank::content::QuestionStatus::Active)
        .ok_or_else(|| AppError::not_found("question_not_found", "没有这道练习题"))?;
    let bank = question_bank::store::bank(&state.db, question.bank_id)
        .await?
        .ok_or_else(|| AppError::not_found("question_not_found", "没有这道练习题"))?;
    if bank.exam_only {
        // Reserved for exams: as if it did not exist, so practice reveals nothing of it.
        return Err(AppError::not_found("question_not_found", "没有这道练习题"));
    }
    if choice.is_empty() {
        return Err(AppError::invalid("choice", "请选择答案"));
    }
    if let Some(course_id) = course_id {
        crate::courses::require(state, course_id).await?;
    }
    let correct = is_correct(&question.content, choice);
    let book = store::record(
        &state.db,
        user_id,
        question.id,
        question.version_id,
        course_id,
        correct,
        now,
    )
    .await?;
    Ok(Checked {
        question,
        correct,
        book,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_answer_goes_in_the_book_until_right_twice_in_a_row() {
        let wrong = after_answer(None, false);
        assert_eq!(
            wrong,
            Some(BookEntry {
                wrong_count: 1,
                right_streak: 0,
                cleared: false
            })
        );
        let once = after_answer(wrong, true);
        assert!(!once.unwrap().cleared);
        // Wrong again: the streak starts over.
        let again = after_answer(once, false).unwrap();
        assert_eq!((again.wrong_count, again.right_streak), (2, 0));
        let cleared = after_answer(after_answer(Some(again), true), true).unwrap();
        assert!(cleared.cleared);
        assert_eq!(
            after_answer(None, true),
            None,
            "never wrong: never in the book"
        );
    }

    #[test]
    fn only_the_exact_key_is_right() {
        let content = QuestionContent {
            kind: crate::question_bank::content::QuestionKind::Multiple,
            stem: "s".into(),
            options: vec![],
            answer: vec!["A".into(), "C".into()],
            explanation: String::new(),
            tags: vec![],
            difficulty: 3,
        };
        assert!(is_correct(&content, &["C".into(), "A".into()]));
        assert!(!is_correct(&content, &["A".into()]));
        assert!(!is_correct(&content, &["A".into(), "B".into(), "C".into()]));
    }
}
