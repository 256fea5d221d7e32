//! 线上课程: a course's lessons in the console. The bureau lists them, writes one (Markdown,
//! its module, the time it asks, a video link and its sources) and removes one; the rules are
//! `study::save_lesson` and `study::remove_lesson`, the API's own.

use super::*;
use crate::study::{self, NewLesson};

struct LessonRow {
    position: i64,
    module: String,
    title: String,
    minutes: i64,
    video: bool,
    sources: usize,
}

#[derive(Template)]
#[template(path = "admin_lessons.html")]
struct LessonsPage<'a> {
    layout: &'a Layout,
    course_id: i64,
    course: String,
    lessons: Vec<LessonRow>,
    /// The lesson form as sent, or filled from the lesson being edited.
    form: HashMap<String, String>,
    /// The form rewrites an existing lesson (its order is fixed).
    editing: bool,
    error: Option<String>,
    notice: Option<String>,
}

impl LessonsPage<'_> {
    fn value(&self, name: &str) -> &str {
        self.form.get(name).map(String::as_str).unwrap_or_default()
    }
}

#[derive(serde::Deserialize)]
pub struct LessonQuery {
    /// The lesson to edit, by its order.
    order: Option<i64>,
    /// What the last save did, to say so.
    done: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn lessons_page(
    state: &AppState,
    layout: &Layout,
    status: StatusCode,
    course_id: i64,
    form: Option<HashMap<String, String>>,
    edit: Option<i64>,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let loaded = async {
        let course = courses::require(state, course_id).await?;
        let lessons = study::store::lessons_of(&state.db, course_id).await?;
        AppResult::Ok((course, lessons))
    }
    .await;
    let (course, lessons) = match loaded {
        Ok(l) => l,
        Err(e) => return refused(state, layout, &e),
    };
    let editing_lesson = edit.and_then(|order| lessons.iter().find(|l| l.position == order));
    let editing = form
        .as_ref()
        .map(|f| f.get("editing").is_some_and(|v| v == "1"))
        .unwrap_or(editing_lesson.is_some());
    let form = form.unwrap_or_else(|| match editing_lesson {
        Some(l) => HashMap::from([
            ("order".into(), l.position.to_string()),
            ("module".into(), l.module.clone()),
            ("title".into(), l.title.clone()),
            (
                "required_minutes".into(),
                (l.required_seconds / 60).to_string(),
            ),
            ("body".into(), l.body.clone()),
            ("video_url".into(), l.video_url.clone().unwrap_or_default()),
            ("sources".into(), l.sources.join("\n")),
        ]),
        None => HashMap::from([
            (
                "order".into(),
                (lessons.iter().map(|l| l.position).max().unwrap_or(0) + 1).to_string(),
            ),
            (
                "module".into(),
                lessons.last().map(|l| l.module.clone()).unwrap_or_default(),
            ),
            ("required_minutes".into(), "45".into()),
        ]),
    });
    let page = LessonsPage {
        layout,
        course_id,
        course: course.title,
        lessons: lessons
            .iter()
            .map(|l| LessonRow {
                position: l.position,
                module: l.module.clone(),
                title: l.title.clone(),
                minutes: l.required_seconds / 60,
                video: l.video_url.is_some(),
                sources: l.sources.len(),
            })
            .collect(),
        form,
        editing,
        error,
        notice,
    };
    render_with(state, layout, status, &page)
}

/// The course's lessons, with the form to write one (`?order=N` edits lesson N).
#[handler]
pub async fn lessons_list(
    req: &Request,
    Path(course_id): Path<i64>,
    Query(q): Query<LessonQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau(state, req).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let notice = q.done.map(|done| match done.as_str() {
        "removed" => "已删除该课时。".to_string(),
        "kept" => "该课时已有学员学习，已保留（不再出现在新的导入中时也会保留）。".to_string(),
        _ => "已保存课时。".to_string(),
    });
    lessons_page(
        state,
        &layout,
        StatusCode::OK,
        course_id,
        None,
        q.order,
        None,
        notice,
    )
    .await
}

fn lesson_of(form: &HashMap<String, String>) -> Result<NewLesson, String> {
    let text = |name: &str| form.get(name).map(|v| v.trim()).unwrap_or_default();
    let whole = |name: &str, label: &str| {
        text(name)
            .parse::<i64>()
            .map_err(|_| format!("请填写{label}（整数）。"))
    };
    Ok(NewLesson {
        position: whole("order", "学习顺序")?,
        module: text("module").to_string(),
        title: text("title").to_string(),
        // The body keeps its own spacing: Markdown reads it.
        body: form.get("body").cloned().unwrap_or_default(),
        required_seconds: whole("required_minutes", "要求学习时长（分钟）")?.saturating_mul(60),
        video_url: Some(text("video_url").to_string()).filter(|v| !v.is_empty()),
        sources: text("sources")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

/// Saves the lesson in the form (a new order adds one; the order being edited rewrites it).
#[handler]
pub async fn save_lesson(
    req: &Request,
    Path(course_id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
    Data(state): Data<&AppState>,
) -> Response {
    let back = format!("/admin/courses/{course_id}/lessons");
    let (layout, _) =
        match bureau_form(state, req, form.get("csrf").map(String::as_str), &back).await {
            Ok(b) => b,
            Err(resp) => return resp,
        };
    // The form again, as sent, with what is wrong with it.
    let again = async |message: String| {
        lessons_page(
            state,
            &layout,
            StatusCode::UNPROCESSABLE_ENTITY,
            course_id,
            Some(form.clone()),
            None,
            Some(message),
            None,
        )
        .await
    };
    let lesson = match lesson_of(&form) {
        Ok(l) => l,
        Err(message) => return again(message).await,
    };
    // A new lesson may not take the order of one the course has.
    if form.get("editing").map(String::as_str) != Some("1") {
        match study::store::lessons_of(&state.db, course_id).await {
            Ok(existing) if existing.iter().any(|l| l.position == lesson.position) => {
                let message = format!(
                    "学习顺序 {} 已有课时：请换一个顺序，或在列表中点“编辑”修改它。",
                    lesson.position
                );
                return again(message).await;
            }
            Ok(_) => {}
            Err(e) => return refused(state, &layout, &e),
        }
    }
    match study::save_lesson(state, course_id, lesson).await {
        Ok(_) => see_other(&format!("{back}?done=saved")),
        Err(AppError::Invalid(i)) => again(i.reason.clone()).await,
        Err(e) => refused(state, &layout, &e),
    }
}

/// Removes a lesson (one somebody has studied is kept).
#[handler]
pub async fn remove_lesson(
    req: &Request,
    Path((course_id, order)): Path<(i64, i64)>,
    Form(form): Form<HashMap<String, String>>,
    Data(state): Data<&AppState>,
) -> Response {
    let back = format!("/admin/courses/{course_id}/lessons");
    let (layout, _) =
        match bureau_form(state, req, form.get("csrf").map(String::as_str), &back).await {
            Ok(b) => b,
            Err(resp) => return resp,
        };
    match study::remove_lesson(state, course_id, order).await {
        Ok(summary) if summary.kept_studied > 0 => see_other(&format!("{back}?done=kept")),
        Ok(_) => see_other(&format!("{back}?done=removed")),
        Err(e) => refused(state, &layout, &e),
    }
}
