//! 练习 and 错题本 over HTTP: a practice question for a course (by module or tag), the answer
//! checked at once with its key and explanation, and the caller's wrong-answer book.

use crate::{
    AppState,
    api::{ApiTags, error::ApiResult, page::Page, security::BearerAuth},
    courses, practice,
    question_bank::{
        self,
        content::{ChoiceOption, QuestionKind},
    },
};
use chrono::Utc;
use poem_openapi::{
    Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

pub struct PracticeApi {
    pub state: AppState,
}

/// A practice question, without its key.
#[derive(Debug, Object)]
pub struct PracticeQuestion {
    pub question_id: i64,
    pub kind: QuestionKind,
    pub stem: String,
    pub options: Vec<ChoiceOption>,
    /// The first is the module (章节).
    pub tags: Vec<String>,
    /// How many questions the course has to practise with this filter.
    pub available: i64,
}

#[derive(Debug, Object)]
pub struct PracticeAnswerRequest {
    pub question_id: i64,
    /// The option keys chosen (`["A"]`, `["A", "C"]`, `["T"]`).
    pub choice: Vec<String>,
    /// The course being practised: a wrong answer's book entry keeps it.
    pub course_id: Option<i64>,
}

/// A practice answer checked: right or not, the key and why. Never counted as an exam.
#[derive(Debug, Object)]
pub struct PracticeAnswerResult {
    pub question_id: i64,
    pub correct: bool,
    pub answer: Vec<String>,
    pub explanation: String,
    /// The question is in the caller's wrong-answer book after this answer.
    pub in_wrong_book: bool,
    /// Right answers in a row since the last mistake (two take it out of the book).
    pub right_streak: i64,
}

/// A question in the wrong-answer book, to retry (without its key).
#[derive(Debug, Object)]
pub struct WrongAnswer {
    pub question_id: i64,
    pub kind: QuestionKind,
    pub stem: String,
    pub options: Vec<ChoiceOption>,
    pub tags: Vec<String>,
    pub wrong_count: i64,
    pub right_streak: i64,
    /// The course it was last answered under (practice or mock exam), when known.
    pub course_id: Option<i64>,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Study")]
impl PracticeApi {
    /// A practice question for a course (signed in): drawn at random from the banks its exam
    /// uses, never from a bank reserved for exams; `tag` narrows it to a module or topic.
    #[oai(path = "/courses/:id/practice-question", method = "get")]
    async fn next(
        &self,
        _auth: BearerAuth,
        id: Path<i64>,
        tag: Query<Option<String>>,
    ) -> ApiResult<Json<PracticeQuestion>> {
        let course = courses::require(&self.state, id.0).await?;
        let (picked, available) = practice::draw(&self.state, &course, tag.0.as_deref()).await?;
        Ok(Json(PracticeQuestion {
            question_id: picked.id,
            kind: picked.content.kind,
            stem: picked.content.stem,
            options: picked.content.options,
            tags: picked.content.tags,
            available: available as i64,
        }))
    }

    /// Answer a practice question (signed in): checked at once, with the key and the
    /// explanation; a wrong answer puts it in the caller's wrong-answer book, and two right
    /// answers in a row take it out.
    #[oai(path = "/practice/answers", method = "post")]
    async fn answer(
        &self,
        auth: BearerAuth,
        body: Json<PracticeAnswerRequest>,
    ) -> ApiResult<Json<PracticeAnswerResult>> {
        let checked = practice::answer(
            &self.state,
            auth.0.user_id,
            body.question_id,
            body.course_id,
            &body.choice,
            Utc::now(),
        )
        .await?;
        Ok(Json(PracticeAnswerResult {
            question_id: checked.question.id,
            correct: checked.correct,
            answer: checked.question.content.answer,
            explanation: checked.question.content.explanation,
            in_wrong_book: checked.book.is_some_and(|b| !b.cleared),
            right_streak: checked.book.map_or(0, |b| b.right_streak),
        }))
    }

    /// The caller's wrong-answer book (错题本): questions answered wrong and not yet answered
    /// right twice in a row, most recent mistake first (signed in).
    #[oai(path = "/me/wrong-answers", method = "get")]
    async fn book(&self, auth: BearerAuth) -> ApiResult<Json<Page<WrongAnswer>>> {
        let entries = practice::store::book(&self.state.db, auth.0.user_id).await?;
        let mut items = Vec::with_capacity(entries.len());
        for (question_id, entry, course_id) in entries {
            let Some(q) = question_bank::store::question(&self.state.db, question_id).await? else {
                continue;
            };
            items.push(WrongAnswer {
                question_id,
                kind: q.content.kind,
                stem: q.content.stem,
                options: q.content.options,
                tags: q.content.tags,
                wrong_count: entry.wrong_count,
                right_streak: entry.right_streak,
                course_id,
            });
        }
        Ok(Json(Page {
            total: items.len() as i64,
            items,
        }))
    }
}
