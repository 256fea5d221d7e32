//! 线上课程: a course's lessons in the console. The bureau lists them, writes one (Markdown,
//! its module, the time it asks, a video link and its sources) and removes one; the rules are
//! `study::save_lesson` and `study::remove_lesson`, the API's own.

use super::*;
use crate::{
    media::{self, Media, Upload, UploadError},
    study::{self, LessonEdit, NewLesson, store::Removal},
};
use poem::FromRequest;
use tokio::io::AsyncReadExt;

/// The course's files listed under its lessons, newest first.
const MEDIA_LISTED: i64 = 30;

struct MediaRow {
    id: i64,
    file_name: String,
    video: bool,
    size: String,
    snippet: String,
}

impl From<&Media> for MediaRow {
    fn from(m: &Media) -> Self {
        MediaRow {
            id: m.id,
            file_name: m.file_name.clone(),
            video: m.kind.is_video(),
            size: human_size(m.byte_count),
            snippet: m.snippet(),
        }
    }
}

fn human_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

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
    /// The images and videos uploaded for the course.
    media: Vec<MediaRow>,
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
        let media = media::store::of_course(&state.db, course_id, MEDIA_LISTED).await?;
        AppResult::Ok((course, lessons, media))
    }
    .await;
    let (course, lessons, media) = match loaded {
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
            ("revision".into(), l.revision.to_string()),
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
        media: media.iter().map(MediaRow::from).collect(),
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
        "uploaded" => {
            "已上传文件：图片把“插入方式”一栏的文字粘贴到正文中，视频把它填入“视频”。".to_string()
        }
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
    // The edit form names the revision it showed; a new lesson takes a free order.
    let edit = match form.get("editing").map(String::as_str) {
        Some("1") => LessonEdit::Rewrite {
            revision: form
                .get("revision")
                .and_then(|r| r.trim().parse().ok())
                .unwrap_or(0),
        },
        _ => LessonEdit::Add,
    };
    match study::save_lesson(state, course_id, lesson, edit).await {
        Ok(()) => see_other(&format!("{back}?done=saved")),
        Err(AppError::Invalid(i)) => again(i.reason.clone()).await,
        Err(AppError::Conflict { message, .. }) => {
            lessons_page(
                state,
                &layout,
                StatusCode::CONFLICT,
                course_id,
                Some(form.clone()),
                None,
                Some(message),
                None,
            )
            .await
        }
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
        Ok(Removal::KeptStudied) => see_other(&format!("{back}?done=kept")),
        Ok(Removal::Removed | Removal::Gone) => see_other(&format!("{back}?done=removed")),
        Err(e) => refused(state, &layout, &e),
    }
}

/// Uploads an image or a video for the course's lessons. The file is written as it arrives,
/// a chunk at a time (`media::Upload`); its kind is read from its bytes.
#[handler]
pub async fn upload_media(
    req: &Request,
    Path(course_id): Path<i64>,
    body: poem::Body,
    Data(state): Data<&AppState>,
) -> Response {
    let back = format!("/admin/courses/{course_id}/lessons");
    // Who sends it is known before the body is read at all: only the bureau's upload is.
    let (layout, caller) = match bureau(state, req).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let mut form = match Multipart::from_request(req, &mut poem::RequestBody::new(body)).await {
        Ok(form) => form,
        Err(_) => {
            return problem(
                state,
                &layout,
                StatusCode::BAD_REQUEST,
                "上传失败",
                "请在课时页面选择文件后上传。".into(),
            );
        }
    };
    // The form puts its cross-site token first: it is checked before any of the file is read.
    let csrf = match form.next_field().await {
        Ok(Some(field)) if field.name() == Some("csrf") => field.text().await.ok(),
        _ => None,
    };
    if let Err(resp) = bureau_form(state, req, csrf.as_deref(), &back).await {
        return resp;
    }
    if let Err(e) = courses::require(state, course_id).await {
        return refused(state, &layout, &e);
    }
    let failed = async |status: StatusCode, message: String| {
        lessons_page(
            state,
            &layout,
            status,
            course_id,
            None,
            None,
            Some(message),
            None,
        )
        .await
    };
    let field = loop {
        match form.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => break Some(field),
            Ok(Some(_)) => continue,
            _ => break None,
        }
    };
    let Some(field) = field else {
        return failed(StatusCode::BAD_REQUEST, "请选择要上传的图片或视频。".into()).await;
    };
    let mut upload = Upload::new(
        course_id,
        Some(caller.user_id),
        field.file_name().unwrap_or(""),
    );
    let mut reader = field.into_async_read();
    let mut buf = vec![0u8; 64 * 1024];
    let received: Result<(), UploadError> = loop {
        match reader.read(&mut buf).await {
            Ok(0) => break Ok(()),
            Ok(n) => {
                if let Err(e) = upload.push(&state.db, &buf[..n]).await {
                    break Err(e);
                }
            }
            Err(_) => {
                upload.abandon(&state.db).await;
                return failed(StatusCode::BAD_REQUEST, "文件没有上传完整，请重试。".into()).await;
            }
        }
    };
    let stored = match received {
        Ok(()) => upload.finish(&state.db).await,
        Err(e) => Err(e),
    };
    if stored.is_err() {
        upload.abandon(&state.db).await;
    }
    match stored {
        Ok(file) => {
            tracing::info!(
                media_id = file.id,
                course_id,
                bytes = file.byte_count,
                "media uploaded"
            );
            see_other(&format!("{back}?done=uploaded"))
        }
        Err(UploadError::Refused(why)) => {
            failed(StatusCode::UNPROCESSABLE_ENTITY, why.to_string()).await
        }
        Err(UploadError::Store(e)) => refused(state, &layout, &e),
    }
}
