//! 练习 and 错题本 as pages: one question at a time, answered by a plain form and checked at
//! once with the key and the explanation; the wrong-answer book lists what to retry. The
//! rules are `crate::practice`'s.

use super::{Layout, render, session};
use crate::{
    AppState,
    courses::{self, Course},
    error::{AppError, AppResult},
    practice,
    question_bank::{
        self,
        content::{ChoiceOption, QuestionKind},
        store::Question,
    },
};
use askama::Template;
use chrono::Utc;
use poem::{
    Request, Response, handler,
    web::{Data, Form, Path, Query},
};
use serde::Deserialize;

/// A question as the page shows it: no key until answered.
struct Shown {
    id: i64,
    stem: String,
    options: Vec<ChoiceOption>,
    /// Checkboxes for a multiple-choice question, radios otherwise.
    multiple: bool,
    kind: &'static str,
    module: String,
}

impl Shown {
    fn of(q: &Question) -> Self {
        Shown {
            id: q.id,
            stem: q.content.stem.clone(),
            options: q.content.options.clone(),
            multiple: q.content.kind == QuestionKind::Multiple,
            kind: match q.content.kind {
                QuestionKind::Single => "单选题",
                QuestionKind::Multiple => "多选题",
                QuestionKind::TrueFalse => "判断题",
            },
            module: q.content.tags.first().cloned().unwrap_or_default(),
        }
    }
}

/// What checking an answer showed.
struct Feedback {
    correct: bool,
    chosen: String,
    answer: String,
    explanation: String,
    in_book: bool,
    right_streak: i64,
}

struct ModuleLink {
    name: String,
    href: String,
}

#[derive(Template)]
#[template(path = "practice.html")]
struct PracticePage<'a> {
    layout: &'a Layout,
    course: Course,
    /// The module or topic practised, if one was chosen.
    tag: String,
    /// The modules to choose from (the first tag of each practicable question), with links.
    modules: Vec<ModuleLink>,
    question: Shown,
    available: usize,
    /// After an answer: how it went.
    feedback: Option<Feedback>,
    /// Where "next" leads: more practice, or back to the book.
    from_book: bool,
    /// Why the answer was not checked (nothing chosen): the question is asked again.
    error: Option<&'static str>,
}

impl PracticePage<'_> {
    fn is_tag(&self, module: &str) -> bool {
        self.tag == module
    }

    /// The link to the next question, keeping the chosen module.
    fn next_href(&self) -> String {
        if self.from_book {
            return "/study/wrong-answers".into();
        }
        let tag: String = url::form_urlencoded::byte_serialize(self.tag.as_bytes()).collect();
        format!("/study/courses/{}/practice?tag={tag}", self.course.id)
    }
}

#[derive(Deserialize)]
pub struct PracticeQuery {
    tag: Option<String>,
}

async fn modules_of(state: &AppState, course: &Course) -> AppResult<Vec<ModuleLink>> {
    let mut names: Vec<String> = Vec::new();
    for q in practice::questions_for(state, course, None).await? {
        if let Some(m) = q.content.tags.first()
            && !names.contains(m)
        {
            names.push(m.clone());
        }
    }
    Ok(names
        .into_iter()
        .map(|name| {
            let tag: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
            ModuleLink {
                href: format!("/study/courses/{}/practice?tag={tag}", course.id),
                name,
            }
        })
        .collect())
}

/// A practice question for a course, by module if one is chosen.
#[handler]
pub async fn practice_page(
    req: &Request,
    Data(state): Data<&AppState>,
    Path(id): Path<i64>,
    Query(query): Query<PracticeQuery>,
) -> Response {
    let layout = Layout::of(state, req).await;
    if layout.user.is_none() {
        return super::to_login(req);
    }
    let tag = query.tag.unwrap_or_default().trim().to_string();
    let result: AppResult<PracticePage<'_>> = async {
        let course = courses::require(state, id).await?;
        let (question, available) =
            practice::draw(state, &course, Some(tag.as_str()).filter(|t| !t.is_empty())).await?;
        Ok(PracticePage {
            layout: &layout,
            modules: modules_of(state, &course).await?,
            course,
            tag: tag.clone(),
            question: Shown::of(&question),
            available,
            feedback: None,
            from_book: false,
            error: None,
        })
    }
    .await;
    match result {
        Ok(page) => render(state, &layout, &page),
        Err(e) => super::refused(state, &layout, &e),
    }
}

/// An answer sent by the practice page or the wrong-answer book: checked and shown with its
/// key and explanation.
#[handler]
pub async fn answer(
    req: &Request,
    Data(state): Data<&AppState>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (layout, caller) =
        match super::form_sender(state, req, field(session::CSRF_FIELD), "/study").await {
            Ok(sender) => sender,
            Err(resp) => return resp,
        };
    let choice: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "choice")
        .map(|(_, v)| v.clone())
        .collect();
    let number = |name: &str| field(name).and_then(|v| v.parse::<i64>().ok());
    let result: AppResult<PracticePage<'_>> = async {
        let question_id =
            number("question_id").ok_or_else(|| AppError::invalid("question_id", "缺少题目"))?;
        let course = courses::require(state, number("course_id").unwrap_or(0)).await?;
        let checked = match practice::answer(
            state,
            caller.user_id,
            question_id,
            Some(course.id),
            &choice,
            Utc::now(),
        )
        .await
        {
            // Nothing chosen: the same question again, saying so. `answer` refuses an
            // empty choice only once it knows the question may be practised.
            Err(AppError::Invalid(i)) if i.field == "choice" => {
                let question = question_bank::store::question(&state.db, question_id)
                    .await?
                    .ok_or_else(|| AppError::not_found("question_not_found", "没有这道练习题"))?;
                return Ok(PracticePage {
                    layout: &layout,
                    modules: modules_of(state, &course).await?,
                    course,
                    tag: field("tag").unwrap_or_default().to_string(),
                    question: Shown::of(&question),
                    available: 0,
                    feedback: None,
                    from_book: field("from") == Some("book"),
                    error: Some("请先选择答案，再提交。"),
                });
            }
            other => other?,
        };
        Ok(PracticePage {
            layout: &layout,
            modules: modules_of(state, &course).await?,
            course,
            tag: field("tag").unwrap_or_default().to_string(),
            question: Shown::of(&checked.question),
            available: 0,
            feedback: Some(Feedback {
                correct: checked.correct,
                chosen: choice.join(""),
                answer: checked.question.content.answer.join(""),
                explanation: checked.question.content.explanation.clone(),
                in_book: checked.book.is_some_and(|b| !b.cleared),
                right_streak: checked.book.map_or(0, |b| b.right_streak),
            }),
            from_book: field("from") == Some("book"),
            error: None,
        })
    }
    .await;
    match result {
        Ok(page) => render(state, &layout, &page),
        Err(e) => super::refused(state, &layout, &e),
    }
}

/// A question waiting in the book, with the course to practise it under.
struct BookRow {
    question: Shown,
    course_id: i64,
    wrong_count: i64,
    right_streak: i64,
}

#[derive(Template)]
#[template(path = "wrong_answers.html")]
struct BookPage<'a> {
    layout: &'a Layout,
    rows: Vec<BookRow>,
}

/// The person's wrong-answer book, each question to retry in place.
#[handler]
pub async fn wrong_answers(req: &Request, Data(state): Data<&AppState>) -> Response {
    let layout = Layout::of(state, req).await;
    let Some(caller) = layout.user.as_ref() else {
        return super::to_login(req);
    };
    let result: AppResult<Vec<BookRow>> = async {
        // Read only for entries older than the course record.
        let mut all_courses: Option<Vec<Course>> = None;
        let mut rows = Vec::new();
        for (question_id, entry, course_id) in
            practice::store::book(&state.db, caller.user_id).await?
        {
            let Some(q) = question_bank::store::question(&state.db, question_id).await? else {
                continue;
            };
            // The course it was answered under; for an entry older than that record, the
            // first course whose exam draws from the question's bank.
            let course_id = match course_id {
                Some(id) => id,
                None => {
                    if all_courses.is_none() {
                        all_courses = Some(courses::store::list(&state.db, 500, 0).await?.0);
                    }
                    all_courses
                        .iter()
                        .flatten()
                        .find(|c| {
                            c.blueprint
                                .sections
                                .iter()
                                .any(|s| s.bank_id.is_none_or(|b| b == q.bank_id))
                        })
                        .map_or(0, |c| c.id)
                }
            };
            rows.push(BookRow {
                question: Shown::of(&q),
                course_id,
                wrong_count: entry.wrong_count,
                right_streak: entry.right_streak,
            });
        }
        Ok(rows)
    }
    .await;
    match result {
        Ok(rows) => render(
            state,
            &layout,
            &BookPage {
                layout: &layout,
                rows,
            },
        ),
        Err(e) => super::refused(state, &layout, &e),
    }
}
