//! 线上学习: the courses with lessons and the hours a learner has done and has left, a
//! course's lessons by module, and the lesson page that studies (its script sends the
//! heartbeats the server credits; see `crate::study`).

use super::{Layout, markdown, render};
use crate::{
    AppState,
    courses::{self, Course},
    error::AppResult,
    study::{self, Lesson},
};
use askama::Template;
use poem::{
    Request, Response, handler,
    web::{Data, Path},
};

/// A course with lessons, and where the learner stands in it.
struct CourseRow {
    id: i64,
    title: String,
    done: String,
    left: String,
    /// Per cent studied, for the bar.
    percent: i64,
    lessons: usize,
}

#[derive(Template)]
#[template(path = "study.html")]
struct StudyPage<'a> {
    layout: &'a Layout,
    courses: Vec<CourseRow>,
}

fn percent(credited: i64, required: i64) -> i64 {
    if required <= 0 {
        return 100;
    }
    (credited * 100 / required).clamp(0, 100)
}

#[handler]
pub async fn study_home(req: &Request, Data(state): Data<&AppState>) -> Response {
    let layout = Layout::of(state, req).await;
    let Some(caller) = layout.user.as_ref() else {
        return super::to_login(req);
    };
    let result: AppResult<Vec<CourseRow>> = async {
        let mut rows = Vec::new();
        for c in study::store::study_by_course(&state.db, caller.user_id).await? {
            let course = courses::require(state, c.course_id).await?;
            rows.push(CourseRow {
                id: course.id,
                title: course.title,
                done: study::hours_text(c.credited_seconds),
                left: study::hours_left_text(c.missing_seconds()),
                percent: percent(c.credited_seconds, c.required_seconds),
                lessons: study::store::lessons_of(&state.db, c.course_id)
                    .await?
                    .len(),
            });
        }
        Ok(rows)
    }
    .await;
    match result {
        Ok(courses) => render(
            state,
            &layout,
            &StudyPage {
                layout: &layout,
                courses,
            },
        ),
        Err(e) => super::refused(state, &layout, &e),
    }
}

/// One lesson in a course's list.
struct LessonRow {
    id: i64,
    order: i64,
    title: String,
    minutes: i64,
    credited_minutes: i64,
    /// 未开始, 学习中 or 已完成.
    state: &'static str,
    done: bool,
}

/// A module (章节) and its lessons.
struct ModuleRow {
    name: String,
    lessons: Vec<LessonRow>,
}

#[derive(Template)]
#[template(path = "study_course.html")]
struct CoursePage<'a> {
    layout: &'a Layout,
    course: Course,
    modules: Vec<ModuleRow>,
    done: String,
    left: String,
    percent: i64,
    /// The exam can be booked only once these are studied.
    gated: bool,
}

#[handler]
pub async fn course_lessons(
    req: &Request,
    Data(state): Data<&AppState>,
    Path(id): Path<i64>,
) -> Response {
    let layout = Layout::of(state, req).await;
    let Some(caller) = layout.user.as_ref() else {
        return super::to_login(req);
    };
    let result: AppResult<CoursePage<'_>> = async {
        let course = courses::require(state, id).await?;
        let lessons = study::store::lessons_of(&state.db, course.id).await?;
        let credited =
            study::store::credited_in_course(&state.db, caller.user_id, course.id).await?;
        // The course's totals are the lessons' own, summed here rather than asked again.
        let required_seconds: i64 = lessons.iter().map(|l| l.required_seconds).sum();
        let mut counted_ms = 0;
        let mut modules: Vec<ModuleRow> = Vec::new();
        for l in lessons {
            let credited_ms = l.counted_ms(credited.get(&l.id).copied().unwrap_or(0));
            counted_ms += credited_ms;
            let row = LessonRow {
                id: l.id,
                order: l.position,
                title: l.title,
                minutes: l.required_seconds / 60,
                credited_minutes: credited_ms / 60_000,
                state: if credited_ms >= l.required_seconds * 1000 {
                    "已完成"
                } else if credited_ms > 0 {
                    "学习中"
                } else {
                    "未开始"
                },
                done: credited_ms >= l.required_seconds * 1000,
            };
            match modules.last_mut() {
                Some(m) if m.name == l.module => m.lessons.push(row),
                _ => modules.push(ModuleRow {
                    name: l.module,
                    lessons: vec![row],
                }),
            }
        }
        let total = study::CourseStudy {
            course_id: course.id,
            credited_seconds: counted_ms / 1000,
            required_seconds,
        };
        Ok(CoursePage {
            layout: &layout,
            gated: course.study_before_booking,
            course,
            modules,
            done: study::hours_text(total.credited_seconds),
            left: study::hours_left_text(total.missing_seconds()),
            percent: percent(total.credited_seconds, total.required_seconds),
        })
    }
    .await;
    match result {
        Ok(page) => render(state, &layout, &page),
        Err(e) => super::refused(state, &layout, &e),
    }
}

#[derive(Template)]
#[template(path = "lesson.html")]
struct LessonPage<'a> {
    layout: &'a Layout,
    lesson: Lesson,
    course: Course,
    /// The lesson's Markdown as HTML, raw HTML in it escaped.
    body_html: String,
    credited_seconds: i64,
    previous: Option<i64>,
    next: Option<i64>,
}

impl LessonPage<'_> {
    fn minutes(&self) -> i64 {
        self.lesson.required_seconds / 60
    }

    fn credited_minutes(&self) -> i64 {
        self.credited_seconds / 60
    }
}

#[handler]
pub async fn lesson_page(
    req: &Request,
    Data(state): Data<&AppState>,
    Path(id): Path<i64>,
) -> Response {
    let layout = Layout::of(state, req).await;
    let Some(caller) = layout.user.as_ref() else {
        return super::to_login(req);
    };
    let result: AppResult<LessonPage<'_>> = async {
        let lesson = study::require(state, id).await?;
        let course = courses::require(state, lesson.course_id).await?;
        let progress = study::store::progress(&state.db, caller.user_id, &lesson).await?;
        let siblings = study::store::lessons_of(&state.db, course.id).await?;
        let at = siblings.iter().position(|l| l.id == lesson.id);
        let previous = at
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| siblings.get(i))
            .map(|l| l.id);
        let next = at.and_then(|i| siblings.get(i + 1)).map(|l| l.id);
        Ok(LessonPage {
            layout: &layout,
            body_html: markdown::to_html(&lesson.body),
            credited_seconds: progress.credited_seconds,
            lesson,
            course,
            previous,
            next,
        })
    }
    .await;
    match result {
        Ok(page) => render(state, &layout, &page),
        Err(e) => super::refused(state, &layout, &e),
    }
}
