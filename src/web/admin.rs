//! 管理后台: the bureau's console. Question banks (create, import a file in any format
//! SafeCert reads with its line-numbered problems shown, browse the questions a page at a
//! time) and sittings (schedule, see bookings, cancel). Every handler lets in the bureau only;
//! the domain functions it calls are the ones the JSON API calls.

use super::{Layout, form_sender, local, problem, refused, render, render_with, to_login};
use crate::{
    AppState,
    auth::Caller,
    courses,
    error::{AppError, AppResult},
    question_bank::{
        self,
        content::{QuestionKind, QuestionStatus},
        formats::Format,
        store::{Bank, QuestionFilter},
    },
    sittings::{self, SittingPlan, SittingStatus, Venue, VenueKind},
};
use askama::Template;
use chrono::{NaiveDateTime, TimeZone, Utc};
use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Data, Form, Multipart, Path, Query, Redirect},
};
use std::collections::HashMap;

/// Rows per page in every list here: no list loads a whole table.
const PAGE: i64 = 50;

/// A file larger than this is refused before it is read.
const MAX_IMPORT_BYTES: usize = 20 * 1024 * 1024;

/// The signed-in bureau admin, or the response for everyone else (log in; 403).
async fn bureau(state: &AppState, req: &Request) -> Result<(Layout, Caller), Response> {
    let layout = Layout::of(state, req).await;
    let Some(caller) = layout.user.clone() else {
        return Err(to_login(req));
    };
    if !caller.is_bureau() {
        return Err(not_bureau(state, &layout));
    }
    Ok((layout, caller))
}

fn not_bureau(state: &AppState, layout: &Layout) -> Response {
    problem(
        state,
        layout,
        StatusCode::FORBIDDEN,
        "没有权限",
        "管理后台仅供区应急管理局管理员使用。".into(),
    )
}

/// A form's sender, who must be the bureau.
async fn bureau_form(
    state: &AppState,
    req: &Request,
    csrf: Option<&str>,
    back: &str,
) -> Result<(Layout, Caller), Response> {
    let (layout, caller) = form_sender(state, req, csrf, back).await?;
    if !caller.is_bureau() {
        return Err(not_bureau(state, &layout));
    }
    Ok((layout, caller))
}

#[derive(serde::Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
    /// Words to look for (in a bank: in the questions' stems).
    q: Option<String>,
}

fn offset(page: i64) -> i64 {
    (page.max(1) - 1) * PAGE
}

fn pages(total: i64) -> i64 {
    ((total + PAGE - 1) / PAGE).max(1)
}

#[derive(Template)]
#[template(path = "admin.html")]
struct HomePage<'a> {
    layout: &'a Layout,
    banks: Vec<Bank>,
    banks_total: i64,
    courses: i64,
    page: i64,
    pages: i64,
}

/// The console's front page: the banks (paged) with a form to add one, and the other areas.
#[handler]
pub async fn home(
    req: &Request,
    Query(q): Query<PageQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau(state, req).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let page = q.page.unwrap_or(1).max(1);
    let loaded = async {
        let (banks, total) =
            question_bank::store::list_banks(&state.db, PAGE, offset(page)).await?;
        let (_, courses) = courses::store::list(&state.db, 1, 0).await?;
        AppResult::Ok((banks, total, courses))
    }
    .await;
    let (banks, banks_total, courses) = match loaded {
        Ok(l) => l,
        Err(e) => return refused(state, &layout, &e),
    };
    render(
        state,
        &layout,
        &HomePage {
            layout: &layout,
            banks,
            banks_total,
            courses,
            page,
            pages: pages(banks_total),
        },
    )
}

#[derive(serde::Deserialize)]
pub struct NewBankForm {
    csrf: Option<String>,
    name: String,
    description: Option<String>,
}

#[handler]
pub async fn create_bank(
    req: &Request,
    Form(form): Form<NewBankForm>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau_form(state, req, form.csrf.as_deref(), "/admin").await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    match question_bank::create_bank(state, &form.name, form.description.as_deref()).await {
        Ok(bank) => see_other(&format!("/admin/banks/{}", bank.id)),
        Err(AppError::Invalid(_)) => problem(
            state,
            &layout,
            StatusCode::UNPROCESSABLE_ENTITY,
            "题库名称有误",
            "题库名称应为 1 到 100 个字。".into(),
        ),
        Err(e) => refused(state, &layout, &e),
    }
}

fn see_other(path: &str) -> Response {
    use poem::IntoResponse;
    Redirect::see_other(path).into_response()
}

struct QuestionRow {
    id: i64,
    reference: String,
    kind: &'static str,
    stem: String,
    status: &'static str,
    version: i64,
}

fn kind_label(kind: QuestionKind) -> &'static str {
    match kind {
        QuestionKind::Single => "单选",
        QuestionKind::Multiple => "多选",
        QuestionKind::TrueFalse => "判断",
    }
}

fn status_label(status: QuestionStatus) -> &'static str {
    match status {
        QuestionStatus::Draft => "草稿",
        QuestionStatus::Active => "启用",
        QuestionStatus::Retired => "已停用",
    }
}

struct Issue {
    line: usize,
    reason: String,
}

#[derive(Template)]
#[template(path = "admin_bank.html")]
struct BankPage<'a> {
    layout: &'a Layout,
    bank: Bank,
    questions: Vec<QuestionRow>,
    total: i64,
    page: i64,
    pages: i64,
    /// The outcome of an import just sent, if any.
    imported: Option<String>,
    issues: Vec<Issue>,
    /// The words searched for, and as they go in a link.
    query: String,
    query_url: String,
}

/// What a bank page shows beside its questions.
struct BankView {
    page: i64,
    query: String,
    imported: Option<String>,
    issues: Vec<Issue>,
}

async fn bank_page(
    state: &AppState,
    layout: &Layout,
    status: StatusCode,
    bank_id: i64,
    view: BankView,
) -> Response {
    let BankView {
        page,
        query,
        imported,
        issues,
    } = view;
    let loaded = async {
        let bank = question_bank::require_bank(state, bank_id).await?;
        let filter = QuestionFilter {
            text: Some(query.clone()),
            ..QuestionFilter::default()
        };
        let (questions, total) =
            question_bank::store::questions(&state.db, bank_id, &filter, PAGE, offset(page))
                .await?;
        AppResult::Ok((bank, questions, total))
    }
    .await;
    let (bank, questions, total) = match loaded {
        Ok(l) => l,
        Err(e) => return refused(state, layout, &e),
    };
    let questions = questions
        .into_iter()
        .map(|q| QuestionRow {
            id: q.id,
            reference: q.reference,
            kind: kind_label(q.content.kind),
            stem: q.content.stem,
            status: status_label(q.status),
            version: q.version,
        })
        .collect();
    render_with(
        state,
        layout,
        status,
        &BankPage {
            layout,
            bank,
            questions,
            total,
            page,
            pages: pages(total),
            imported,
            issues,
            query_url: url::form_urlencoded::byte_serialize(query.as_bytes()).collect(),
            query,
        },
    )
}

/// A bank: its questions a page at a time, and the import form.
#[handler]
pub async fn bank_view(
    req: &Request,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau(state, req).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let view = BankView {
        page: q.page.unwrap_or(1).max(1),
        query: q.q.unwrap_or_default().trim().to_string(),
        imported: None,
        issues: Vec::new(),
    };
    bank_page(state, &layout, StatusCode::OK, id, view).await
}

/// Imports a file into a bank, all or nothing: on a problem the page lists every bad line
/// and nothing is written.
#[handler]
pub async fn import(
    req: &Request,
    Path(id): Path<i64>,
    mut form: Multipart,
    Data(state): Data<&AppState>,
) -> Response {
    let (mut csrf, mut format, mut file) = (None, None, None);
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("csrf") => csrf = field.text().await.ok(),
            Some("format") => format = field.text().await.ok().as_deref().and_then(Format::parse),
            Some("file") => file = field.bytes().await.ok(),
            _ => {}
        }
    }
    let back = format!("/admin/banks/{id}");
    let (layout, _) = match bureau_form(state, req, csrf.as_deref(), &back).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let (Some(format), Some(file)) = (format, file.filter(|f| !f.is_empty())) else {
        return problem(
            state,
            &layout,
            StatusCode::BAD_REQUEST,
            "请选择文件",
            "请选择题库文件和它的格式后再导入。".into(),
        );
    };
    if file.len() > MAX_IMPORT_BYTES {
        return problem(
            state,
            &layout,
            StatusCode::PAYLOAD_TOO_LARGE,
            "文件太大",
            "题库文件最大 20 MB，请拆分后分批导入。".into(),
        );
    }
    match question_bank::import(state, id, format, &file).await {
        Ok(report) => {
            let mut said = format!(
                "导入完成：新增 {} 题，更新 {} 题，未变 {} 题。",
                report.imported, report.updated, report.unchanged
            );
            if !report.skipped.is_empty() {
                said.push_str(&format!(
                    "另有 {} 题的题型本系统不收录，已跳过。",
                    report.skipped.len()
                ));
            }
            tracing::info!(
                bank_id = id,
                imported = report.imported,
                "bank import (console)"
            );
            let view = BankView {
                page: 1,
                query: String::new(),
                imported: Some(said),
                issues: Vec::new(),
            };
            bank_page(state, &layout, StatusCode::OK, id, view).await
        }
        Err(AppError::ImportInvalid(issues)) => {
            let issues = issues
                .into_iter()
                .map(|i| Issue {
                    line: i.line,
                    reason: i.reason,
                })
                .collect();
            let view = BankView {
                page: 1,
                query: String::new(),
                imported: None,
                issues,
            };
            bank_page(state, &layout, StatusCode::UNPROCESSABLE_ENTITY, id, view).await
        }
        Err(e) => refused(state, &layout, &e),
    }
}

struct SittingRow {
    id: i64,
    course: String,
    window: String,
    venue: String,
    booked: i64,
    capacity: i64,
    status: &'static str,
    cancellable: bool,
}

struct CourseChoice {
    id: i64,
    title: String,
}

#[derive(Template)]
#[template(path = "admin_sittings.html")]
struct SittingsPage<'a> {
    layout: &'a Layout,
    sittings: Vec<SittingRow>,
    courses: Vec<CourseChoice>,
    total: i64,
    page: i64,
    pages: i64,
}

/// Sittings from a day ago on, soonest first, with the schedule form.
#[handler]
pub async fn sittings_list(
    req: &Request,
    Query(q): Query<PageQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau(state, req).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let page = q.page.unwrap_or(1).max(1);
    let now = Utc::now();
    let loaded = async {
        let (courses, _) = courses::store::list(&state.db, 500, 0).await?;
        let (sittings, total) = sittings::store::list(
            &state.db,
            None,
            Some(now - chrono::Duration::days(1)),
            PAGE,
            offset(page),
        )
        .await?;
        AppResult::Ok((courses, sittings, total))
    }
    .await;
    let (courses, sittings, total) = match loaded {
        Ok(l) => l,
        Err(e) => return refused(state, &layout, &e),
    };
    let titles: HashMap<i64, String> = courses.iter().map(|c| (c.id, c.title.clone())).collect();
    let rows = sittings
        .into_iter()
        .map(|s| {
            let status = s.status(now);
            SittingRow {
                id: s.id,
                course: titles.get(&s.course_id).cloned().unwrap_or_default(),
                window: format!("{} 至 {}", local(s.starts_at), local(s.ends_at)),
                venue: s.venue.describe(),
                booked: s.seats_taken,
                capacity: s.capacity,
                status: match status {
                    SittingStatus::Cancelled => "已取消",
                    SittingStatus::Closed => "已结束",
                    SittingStatus::Open => "考试进行中",
                    SittingStatus::Scheduled => "未开始",
                },
                cancellable: status == SittingStatus::Scheduled,
            }
        })
        .collect();
    render(
        state,
        &layout,
        &SittingsPage {
            layout: &layout,
            sittings: rows,
            courses: courses
                .into_iter()
                .map(|c| CourseChoice {
                    id: c.id,
                    title: c.title,
                })
                .collect(),
            total,
            page,
            pages: pages(total),
        },
    )
}

#[derive(serde::Deserialize)]
pub struct NewSittingForm {
    csrf: Option<String>,
    course_id: i64,
    /// `datetime-local`, Beijing time.
    starts_at: String,
    ends_at: String,
    capacity: i64,
    venue_kind: String,
    venue_name: Option<String>,
    venue_address: Option<String>,
}

/// A `datetime-local` value read as Beijing time.
fn beijing(text: &str) -> Option<chrono::DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M").ok()?;
    chrono::FixedOffset::east_opt(8 * 3600)?
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Schedules a sitting; registration opens now and closes when the window ends.
#[handler]
pub async fn create_sitting(
    req: &Request,
    Form(form): Form<NewSittingForm>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau_form(state, req, form.csrf.as_deref(), "/admin/sittings").await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let bad = |message: &str| {
        problem(
            state,
            &layout,
            StatusCode::UNPROCESSABLE_ENTITY,
            "场次信息有误",
            message.to_string(),
        )
    };
    let (Some(starts_at), Some(ends_at)) = (beijing(&form.starts_at), beijing(&form.ends_at))
    else {
        return bad("请填写考试开始和结束时间。");
    };
    let text = |t: &Option<String>| {
        t.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    let venue = Venue {
        kind: if form.venue_kind == "station" {
            VenueKind::Station
        } else {
            VenueKind::Online
        },
        name: text(&form.venue_name),
        address: text(&form.venue_address),
    };
    let plan = SittingPlan {
        course_id: form.course_id,
        starts_at,
        ends_at,
        capacity: form.capacity,
        venue,
        registration_opens_at: None,
        registration_closes_at: None,
        proctor_ids: Vec::new(),
    };
    match sittings::create(state, plan).await {
        Ok(_) => see_other("/admin/sittings"),
        Err(AppError::Invalid(invalid)) => bad(match invalid.field.as_ref() {
            "ends_at" => "结束时间应晚于开始时间。",
            "capacity" => "座位数应为 1 到 100000。",
            "course_id" => "请选择课程。",
            f if f.starts_with("venue") => "线下考场请填写考场名称和地址。",
            _ => "场次信息有误，请检查。",
        }),
        Err(e) => refused(state, &layout, &e),
    }
}

#[derive(serde::Deserialize)]
pub struct CancelForm {
    csrf: Option<String>,
    reason: String,
}

/// Cancels a sitting that has not started; its candidates are mailed.
#[handler]
pub async fn cancel_sitting(
    req: &Request,
    Path(id): Path<i64>,
    Form(form): Form<CancelForm>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau_form(state, req, form.csrf.as_deref(), "/admin/sittings").await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    match sittings::cancel(state, id, &form.reason).await {
        Ok(_) => see_other("/admin/sittings"),
        Err(AppError::Invalid(_)) => problem(
            state,
            &layout,
            StatusCode::UNPROCESSABLE_ENTITY,
            "请填写取消原因",
            "取消场次需要填写原因，考生会在邮件中看到它。".into(),
        ),
        Err(e) => refused(state, &layout, &e),
    }
}

struct CourseRow {
    id: i64,
    code: String,
    title: String,
    category: &'static str,
    questions: u32,
    pass_mark: f64,
    time_limit_minutes: i64,
}

/// One blueprint section as the form offers it.
struct SectionForm {
    n: usize,
    kind: String,
    bank: Option<i64>,
    count: String,
    points: String,
}

impl SectionForm {
    fn picks(&self, bank: impl std::borrow::Borrow<i64>) -> bool {
        self.bank == Some(*bank.borrow())
    }
}

struct BankChoice {
    id: i64,
    name: String,
    active: i64,
}

#[derive(Template)]
#[template(path = "admin_courses.html")]
struct CoursesPage<'a> {
    layout: &'a Layout,
    courses: Vec<CourseRow>,
    banks: Vec<BankChoice>,
    /// The form as sent (empty on first view).
    form: HashMap<String, String>,
    sections: Vec<SectionForm>,
    /// What checking the blueprint found: (it can be filled, what to say).
    checked: Option<(bool, String)>,
    error: Option<String>,
}

impl CoursesPage<'_> {
    fn value(&self, name: &str) -> &str {
        self.form.get(name).map(String::as_str).unwrap_or_default()
    }
}

/// Blueprint sections the form holds.
const SECTIONS: usize = 3;

fn sections_of(form: &HashMap<String, String>) -> Vec<SectionForm> {
    (1..=SECTIONS)
        .map(|n| {
            let get = |f: &str| form.get(&format!("s{n}_{f}")).cloned().unwrap_or_default();
            SectionForm {
                n,
                kind: get("kind"),
                bank: get("bank").parse().ok(),
                count: get("count"),
                points: get("points"),
            }
        })
        .collect()
}

async fn courses_page(
    state: &AppState,
    layout: &Layout,
    status: StatusCode,
    form: HashMap<String, String>,
    checked: Option<(bool, String)>,
    error: Option<String>,
) -> Response {
    let loaded = async {
        let (courses, _) = courses::store::list(&state.db, 500, 0).await?;
        let (banks, _) = question_bank::store::list_banks(&state.db, 500, 0).await?;
        AppResult::Ok((courses, banks))
    }
    .await;
    let (courses, banks) = match loaded {
        Ok(l) => l,
        Err(e) => return refused(state, layout, &e),
    };
    let sections = sections_of(&form);
    render_with(
        state,
        layout,
        status,
        &CoursesPage {
            layout,
            courses: courses
                .into_iter()
                .map(|c| CourseRow {
                    id: c.id,
                    code: c.code,
                    title: c.title,
                    category: super::messages::category(c.category),
                    questions: c.blueprint.question_count(),
                    pass_mark: c.pass_mark,
                    time_limit_minutes: c.time_limit_minutes,
                })
                .collect(),
            banks: banks
                .into_iter()
                .map(|b| BankChoice {
                    id: b.id,
                    name: b.name,
                    active: b.active_questions,
                })
                .collect(),
            form,
            sections,
            checked,
            error,
        },
    )
}

/// The courses, and a form to build one whose blueprint is checked against the banks.
#[handler]
pub async fn courses_list(req: &Request, Data(state): Data<&AppState>) -> Response {
    let (layout, _) = match bureau(state, req).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let defaults = [
        ("category", "first_responder"),
        ("training_hours", "16"),
        ("time_limit_minutes", "60"),
        ("validity_months", "36"),
        ("s1_kind", "single"),
        ("s1_points", "1"),
    ];
    let form = defaults
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    courses_page(state, &layout, StatusCode::OK, form, None, None).await
}

/// The course a form describes, or what is wrong with it, in Chinese.
fn course_of(form: &HashMap<String, String>) -> Result<courses::NewCourse, String> {
    use crate::blueprint::{Blueprint, Section};
    let text = |name: &str| form.get(name).map(|v| v.trim()).unwrap_or_default();
    let number = |name: &str, what: &str| -> Result<i64, String> {
        text(name)
            .parse()
            .map_err(|_| format!("请填写{what}（整数）。"))
    };
    let mut sections = Vec::new();
    for s in sections_of(form) {
        if s.count.trim().is_empty() || s.count.trim() == "0" {
            continue;
        }
        let kind = match s.kind.as_str() {
            "single" => QuestionKind::Single,
            "multiple" => QuestionKind::Multiple,
            "true_false" => QuestionKind::TrueFalse,
            _ => return Err(format!("第 {} 部分：请选择题型。", s.n)),
        };
        let count: u32 = s
            .count
            .trim()
            .parse()
            .map_err(|_| format!("第 {} 部分：题数应为整数。", s.n))?;
        let points: f64 = s
            .points
            .trim()
            .parse()
            .map_err(|_| format!("第 {} 部分：每题分值应为数字。", s.n))?;
        sections.push(Section {
            title: format!("{}题", kind_label(kind)),
            kind,
            count,
            points,
            scoring: Default::default(),
            bank_id: s.bank,
            tags: Vec::new(),
            difficulty_mix: Vec::new(),
        });
    }
    if sections.is_empty() {
        return Err("试卷至少要有一部分题目：请填写题型和题数。".into());
    }
    let pass_mark: f64 = text("pass_mark")
        .parse()
        .map_err(|_| "请填写及格分。".to_string())?;
    Ok(courses::NewCourse {
        code: text("code").to_string(),
        title: text("title").to_string(),
        category: courses::CourseCategory::parse(text("category")).ok_or("请选择课程类别。")?,
        training_hours: number("training_hours", "学时")?,
        pass_mark,
        time_limit_minutes: number("time_limit_minutes", "考试时长（分钟）")?,
        validity_months: number("validity_months", "证书有效期（月）")?,
        retake_limit: 1,
        practical_required: false,
        review_after: courses::ReviewAfter::default(),
        blueprint: Blueprint { sections },
        renews_course_id: None,
    })
}

fn invalid_in_chinese(field: &str, reason: &str) -> String {
    match field {
        "code" => "课程代码应为 1 到 32 位字母、数字、- 或 _。".into(),
        "title" => "课程名称应为 1 到 100 个字。".into(),
        "training_hours" => "学时应为 0 到 1000。".into(),
        "time_limit_minutes" => "考试时长应为 1 到 600 分钟。".into(),
        "validity_months" => "证书有效期应为 1 到 240 个月。".into(),
        "pass_mark" => "及格分应大于 0，且不超过试卷总分。".into(),
        "code_taken" => "课程代码已被使用。".into(),
        f if f.starts_with("blueprint") => format!("组卷规则有误：{reason}"),
        _ => "课程信息有误，请检查。".into(),
    }
}

/// Checks (`action=check`) or saves a course. Both check the blueprint against the banks'
/// active questions; saving writes only a course whose papers can be drawn.
#[handler]
pub async fn create_course(
    req: &Request,
    Form(form): Form<HashMap<String, String>>,
    Data(state): Data<&AppState>,
) -> Response {
    let csrf = form.get("csrf").cloned();
    let (layout, _) = match bureau_form(state, req, csrf.as_deref(), "/admin/courses").await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let course = match course_of(&form) {
        Ok(c) => c,
        Err(message) => {
            return courses_page(state, &layout, unprocessable, form, None, Some(message)).await;
        }
    };
    let short = match courses::shortfall(state, &course.blueprint).await {
        Ok(short) => short,
        Err(e) => return refused(state, &layout, &e),
    };
    let checked = match &short {
        Some(s) => (
            false,
            format!(
                "无法组卷：第 {} 部分“{}”需要 {} 道题，符合条件的启用题目只有 {} 道。",
                s.section + 1,
                s.title,
                s.wanted,
                s.available
            ),
        ),
        None => (
            true,
            format!(
                "可以组卷：每份试卷 {} 题，满分 {} 分。",
                course.blueprint.question_count(),
                course.blueprint.total_points()
            ),
        ),
    };
    if form.get("action").map(String::as_str) != Some("save") || short.is_some() {
        let status = if short.is_some() {
            unprocessable
        } else {
            StatusCode::OK
        };
        return courses_page(state, &layout, status, form, Some(checked), None).await;
    }
    match courses::create(state, course).await {
        Ok(_) => see_other("/admin/courses"),
        Err(AppError::Invalid(i)) => {
            let message = invalid_in_chinese(&i.field, &i.reason);
            courses_page(state, &layout, unprocessable, form, None, Some(message)).await
        }
        Err(AppError::Conflict { .. }) => {
            let message = "课程代码已被使用，请换一个。".to_string();
            courses_page(state, &layout, unprocessable, form, None, Some(message)).await
        }
        Err(e) => refused(state, &layout, &e),
    }
}

struct CertificateRow {
    id: i64,
    number: String,
    holder: String,
    id_masked: String,
    course: String,
    issued: String,
    expires: String,
    status: &'static str,
    revoked: bool,
    reason: String,
}

#[derive(Template)]
#[template(path = "admin_certificates.html")]
struct CertificatesPage<'a> {
    layout: &'a Layout,
    query: String,
    certificates: Vec<CertificateRow>,
    total: i64,
    notice: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct CertificateQuery {
    q: Option<String>,
    /// What was just done, to say so.
    done: Option<String>,
}

/// Finds certificates by number, or by the holder's mobile number or name, to revoke or
/// reissue them.
#[handler]
pub async fn certificates_list(
    req: &Request,
    Query(q): Query<CertificateQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau(state, req).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let query = q.q.unwrap_or_default().trim().to_string();
    let notice = match q.done.as_deref() {
        Some("revoked") => Some("证书已撤销，持证人会收到邮件。".to_string()),
        Some("reissued") => Some("已补发新证书，原证书已作废。".to_string()),
        _ => None,
    };
    let mut rows = Vec::new();
    let mut total = 0;
    if !query.is_empty() {
        let found = async {
            let (certs, total) =
                crate::certificates::store::search(&state.db, &query, PAGE, 0).await?;
            let (courses, _) = courses::store::list(&state.db, 500, 0).await?;
            AppResult::Ok((certs, total, courses))
        }
        .await;
        let (certs, count, courses) = match found {
            Ok(f) => f,
            Err(e) => return refused(state, &layout, &e),
        };
        total = count;
        let titles: HashMap<i64, String> = courses.into_iter().map(|c| (c.id, c.title)).collect();
        let today = crate::certificates::today();
        rows = certs
            .into_iter()
            .map(|c| {
                let status = c.status(today);
                CertificateRow {
                    id: c.id,
                    number: c.number.clone(),
                    holder: c.holder_name.clone(),
                    id_masked: c.id_number_masked.clone().unwrap_or_default(),
                    course: titles.get(&c.course_id).cloned().unwrap_or_default(),
                    issued: c.issued_on.format("%Y-%m-%d").to_string(),
                    expires: c.expires_on.format("%Y-%m-%d").to_string(),
                    status: match status {
                        crate::certificates::CertificateStatus::Valid => "有效",
                        crate::certificates::CertificateStatus::Expired => "已过期",
                        crate::certificates::CertificateStatus::Revoked => "已撤销",
                    },
                    revoked: c.revoked_at.is_some(),
                    reason: c.revoke_reason.clone().unwrap_or_default(),
                }
            })
            .collect();
    }
    render(
        state,
        &layout,
        &CertificatesPage {
            layout: &layout,
            query,
            certificates: rows,
            total,
            notice,
        },
    )
}

#[derive(serde::Deserialize)]
pub struct RevokeForm {
    csrf: Option<String>,
    reason: Option<String>,
    /// The search to come back to.
    q: Option<String>,
}

fn back_to_search(q: &Option<String>, done: &str) -> Response {
    let q: String =
        url::form_urlencoded::byte_serialize(q.as_deref().unwrap_or("").as_bytes()).collect();
    see_other(&format!("/admin/certificates?q={q}&done={done}"))
}

/// Revokes a certificate with a reason; the holder is mailed.
#[handler]
pub async fn revoke_certificate(
    req: &Request,
    Path(id): Path<i64>,
    Form(form): Form<RevokeForm>,
    Data(state): Data<&AppState>,
) -> Response {
    let back = "/admin/certificates";
    let (layout, _) = match bureau_form(state, req, form.csrf.as_deref(), back).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let reason = form.reason.as_deref().unwrap_or_default();
    match crate::certificates::revoke(state, id, reason).await {
        Ok(_) => back_to_search(&form.q, "revoked"),
        Err(AppError::Invalid(_)) => problem(
            state,
            &layout,
            StatusCode::UNPROCESSABLE_ENTITY,
            "请填写撤销原因",
            "撤销证书需要填写原因，持证人会在邮件中看到它。".into(),
        ),
        Err(e) => refused(state, &layout, &e),
    }
}

/// Reissues a certificate (a new number, the same dates); the old one stops being valid.
#[handler]
pub async fn reissue_certificate(
    req: &Request,
    Path(id): Path<i64>,
    Form(form): Form<RevokeForm>,
    Data(state): Data<&AppState>,
) -> Response {
    let back = "/admin/certificates";
    let (layout, _) = match bureau_form(state, req, form.csrf.as_deref(), back).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    match crate::certificates::reissue(state, id).await {
        Ok(_) => back_to_search(&form.q, "reissued"),
        Err(e) => refused(state, &layout, &e),
    }
}

struct PersonRow {
    id: i64,
    name: String,
    phone: String,
    id_masked: String,
    enterprise: String,
    roles: String,
}

struct EnterpriseRow {
    id: i64,
    name: String,
    credit_code: String,
    industry: String,
}

#[derive(Template)]
#[template(path = "admin_people.html")]
struct PeoplePage<'a> {
    layout: &'a Layout,
    query: String,
    people: Vec<PersonRow>,
    enterprises: Vec<EnterpriseRow>,
    notice: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct PeopleQuery {
    q: Option<String>,
    linked: Option<i64>,
}

fn role_label(role: crate::domain::Role) -> &'static str {
    use crate::domain::Role;
    match role {
        Role::Candidate => "考生",
        Role::EnterpriseAdmin => "企业管理员",
        Role::Proctor => "监考员",
        Role::BureauAdmin => "管理局管理员",
        Role::StreetOfficer => "街道应急办",
    }
}

/// People (by mobile number, ID number or name) and enterprises (by name or credit code);
/// a person can be tied to an enterprise here.
#[handler]
pub async fn people(
    req: &Request,
    Query(q): Query<PeopleQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau(state, req).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let query = q.q.unwrap_or_default().trim().to_string();
    let found = async {
        if query.is_empty() {
            return AppResult::Ok((Vec::new(), Vec::new()));
        }
        let people = crate::accounts::search(state, &query).await?;
        let enterprises = crate::org::store::search_enterprises(&state.db, &query, PAGE).await?;
        AppResult::Ok((people, enterprises))
    }
    .await;
    let (people, enterprises) = match found {
        Ok(f) => f,
        Err(e) => return refused(state, &layout, &e),
    };
    let mut names: HashMap<i64, String> = HashMap::new();
    let mut rows = Vec::with_capacity(people.len());
    for p in people {
        let enterprise = match p.enterprise_id {
            Some(id) => {
                if let Some(name) = names.get(&id) {
                    name.clone()
                } else {
                    let name = match crate::org::store::enterprise(&state.db, id).await {
                        Ok(e) => e.map(|e| e.name).unwrap_or_default(),
                        Err(e) => return refused(state, &layout, &e.into()),
                    };
                    names.insert(id, name.clone());
                    name
                }
            }
            None => String::new(),
        };
        rows.push(PersonRow {
            id: p.id,
            name: p.name,
            phone: crate::domain::mask_phone(&p.phone),
            id_masked: p.id_number_masked.unwrap_or_default(),
            enterprise,
            roles: p
                .roles
                .iter()
                .map(|r| role_label(*r))
                .collect::<Vec<_>>()
                .join("、"),
        });
    }
    render(
        state,
        &layout,
        &PeoplePage {
            layout: &layout,
            query,
            people: rows,
            enterprises: enterprises
                .into_iter()
                .map(|e| EnterpriseRow {
                    id: e.id,
                    name: e.name,
                    credit_code: e.credit_code,
                    industry: e.industry,
                })
                .collect(),
            notice: q.linked.map(|_| "已关联到企业。".to_string()),
        },
    )
}

#[derive(serde::Deserialize)]
pub struct LinkForm {
    csrf: Option<String>,
    /// The enterprise's 统一社会信用代码.
    credit_code: String,
    q: Option<String>,
}

/// Ties a person to the enterprise with this credit code.
#[handler]
pub async fn link_person(
    req: &Request,
    Path(id): Path<i64>,
    Form(form): Form<LinkForm>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau_form(state, req, form.csrf.as_deref(), "/admin/people").await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let code = form.credit_code.trim().to_uppercase();
    let enterprise = match crate::org::store::search_enterprises(&state.db, &code, 2).await {
        Ok(found) => found.into_iter().find(|e| e.credit_code == code),
        Err(e) => return refused(state, &layout, &e.into()),
    };
    let Some(enterprise) = enterprise else {
        return problem(
            state,
            &layout,
            StatusCode::UNPROCESSABLE_ENTITY,
            "没有这家企业",
            "没有找到这个统一社会信用代码的企业，请核对后重试。".into(),
        );
    };
    match crate::accounts::link_enterprise(state, id, enterprise.id).await {
        Ok(_) => {
            let q: String =
                url::form_urlencoded::byte_serialize(form.q.as_deref().unwrap_or("").as_bytes())
                    .collect();
            see_other(&format!("/admin/people?q={q}&linked={id}"))
        }
        Err(e) => refused(state, &layout, &e),
    }
}

struct BookingRow {
    seat: i64,
    name: String,
    status: &'static str,
    checked_in: bool,
}

struct ProctorChoice {
    id: i64,
    name: String,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "admin_sitting.html")]
struct SittingPage<'a> {
    layout: &'a Layout,
    id: i64,
    course: String,
    window: String,
    venue: String,
    status: &'static str,
    editable: bool,
    starts_at: String,
    ends_at: String,
    capacity: i64,
    venue_kind: &'static str,
    venue_name: String,
    venue_address: String,
    booked: i64,
    proctors: Vec<ProctorChoice>,
    bookings: Vec<BookingRow>,
    page: i64,
    pages: i64,
    notice: Option<&'static str>,
}

/// A `datetime-local` value for a moment, in Beijing time.
fn beijing_input(at: chrono::DateTime<Utc>) -> String {
    at.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

#[derive(serde::Deserialize)]
pub struct SittingQuery {
    page: Option<i64>,
    saved: Option<String>,
}

/// One sitting: its bookings a page at a time, the form to change its time, place, seats
/// and proctors (the booked candidates are mailed when the time or place changes).
#[handler]
pub async fn sitting_view(
    req: &Request,
    Path(id): Path<i64>,
    Query(q): Query<SittingQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau(state, req).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let page = q.page.unwrap_or(1).max(1);
    let loaded = async {
        let sitting = sittings::require(state, id).await?;
        let course = courses::require(state, sitting.course_id).await?;
        let (bookings, total) = crate::registrations::store::list(
            &state.db,
            crate::access::Scope::All,
            Some(id),
            PAGE,
            offset(page),
        )
        .await?;
        let mut rows = Vec::with_capacity(bookings.len());
        for r in bookings {
            let person = crate::accounts::require_user(state, r.user_id).await?;
            rows.push(BookingRow {
                seat: r.seat,
                name: person.name,
                status: if r.booked { "已报名" } else { "已取消" },
                checked_in: r.checked_in_at.is_some(),
            });
        }
        let proctors =
            crate::accounts::store::with_role(&state.db, crate::domain::Role::Proctor, 500).await?;
        AppResult::Ok((sitting, course, rows, total, proctors))
    }
    .await;
    let (sitting, course, bookings, total, proctors) = match loaded {
        Ok(l) => l,
        Err(e) => return refused(state, &layout, &e),
    };
    let status = sitting.status(Utc::now());
    render(
        state,
        &layout,
        &SittingPage {
            layout: &layout,
            id,
            course: course.title,
            window: format!("{} 至 {}", local(sitting.starts_at), local(sitting.ends_at)),
            venue: sitting.venue.describe(),
            status: match status {
                SittingStatus::Cancelled => "已取消",
                SittingStatus::Closed => "已结束",
                SittingStatus::Open => "考试进行中",
                SittingStatus::Scheduled => "未开始",
            },
            editable: status == SittingStatus::Scheduled,
            starts_at: beijing_input(sitting.starts_at),
            ends_at: beijing_input(sitting.ends_at),
            capacity: sitting.capacity,
            venue_kind: match sitting.venue.kind {
                VenueKind::Online => "online",
                VenueKind::Station => "station",
            },
            venue_name: sitting.venue.name.clone().unwrap_or_default(),
            venue_address: sitting.venue.address.clone().unwrap_or_default(),
            booked: sitting.seats_taken,
            proctors: proctors
                .into_iter()
                .map(|(pid, name)| ProctorChoice {
                    id: pid,
                    name,
                    chosen: sitting.proctor_ids.contains(&pid),
                })
                .collect(),
            bookings,
            page,
            pages: pages(total),
            notice: q
                .saved
                .map(|_| "场次已更新；时间或地点有变时，已报名的考生会收到邮件。"),
        },
    )
}

/// Changes a sitting: time, place, seats and proctors. The form sends every field, so
/// unchecked proctors are removed.
#[handler]
pub async fn update_sitting(
    req: &Request,
    Path(id): Path<i64>,
    body: poem::Body,
    Data(state): Data<&AppState>,
) -> Response {
    // Repeated `proctor` fields: read the form as pairs.
    let bytes = body.into_vec().await.unwrap_or_default();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&bytes).into_owned().collect();
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let back = format!("/admin/sittings/{id}");
    let csrf = field("csrf");
    let (layout, _) = match bureau_form(state, req, Some(&csrf), &back).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let bad = |message: &str| {
        problem(
            state,
            &layout,
            StatusCode::UNPROCESSABLE_ENTITY,
            "场次信息有误",
            message.to_string(),
        )
    };
    let (Some(starts_at), Some(ends_at)) =
        (beijing(&field("starts_at")), beijing(&field("ends_at")))
    else {
        return bad("请填写考试开始和结束时间。");
    };
    let Ok(capacity) = field("capacity").parse::<i64>() else {
        return bad("座位数应为 1 到 100000。");
    };
    let text = |name: &str| Some(field(name)).filter(|t| !t.is_empty());
    let change = sittings::SittingChange {
        starts_at: Some(starts_at),
        ends_at: Some(ends_at),
        capacity: Some(capacity),
        venue: Some(Venue {
            kind: if field("venue_kind") == "station" {
                VenueKind::Station
            } else {
                VenueKind::Online
            },
            name: text("venue_name"),
            address: text("venue_address"),
        }),
        registration_opens_at: None,
        registration_closes_at: None,
        proctor_ids: Some(
            pairs
                .iter()
                .filter(|(k, _)| k == "proctor")
                .filter_map(|(_, v)| v.parse().ok())
                .collect(),
        ),
        force: false,
    };
    match sittings::update(state, id, change).await {
        Ok(_) => see_other(&format!("/admin/sittings/{id}?saved=1")),
        Err(AppError::Invalid(invalid)) => bad(match invalid.field.as_ref() {
            "ends_at" => "结束时间应晚于开始时间。",
            "capacity" => "座位数应为 1 到 100000。",
            f if f.starts_with("venue") => "线下考场请填写考场名称和地址。",
            f if f.starts_with("proctor") => "所选监考员不存在。",
            _ => "场次信息有误，请检查。",
        }),
        Err(AppError::Conflict {
            code: "capacity_below_bookings",
            ..
        }) => bad("座位数少于已报名人数：请先取消多出的报名，或保留更多座位。"),
        Err(e) => refused(state, &layout, &e),
    }
}

struct VersionRow {
    version: i64,
    stem: String,
    answer: String,
    explanation: String,
    at: String,
}

#[derive(Template)]
#[template(path = "admin_question.html")]
struct QuestionPage<'a> {
    layout: &'a Layout,
    id: i64,
    bank_id: i64,
    reference: String,
    kind: &'static str,
    status: &'static str,
    retired: bool,
    stem: String,
    /// (key, text, correct)
    options: Vec<(String, String, bool)>,
    explanation: String,
    versions: Vec<VersionRow>,
}

/// One question: its current text and key, every earlier version (attempts keep the one
/// they were drawn with), and retiring it from future papers.
#[handler]
pub async fn question_view(
    req: &Request,
    Path(id): Path<i64>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau(state, req).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let loaded = async {
        let question = question_bank::store::question(&state.db, id)
            .await?
            .ok_or_else(|| AppError::not_found("question_not_found", "no such question"))?;
        let versions = question_bank::store::versions(&state.db, id).await?;
        AppResult::Ok((question, versions))
    }
    .await;
    let (q, versions) = match loaded {
        Ok(l) => l,
        Err(e) => return refused(state, &layout, &e),
    };
    let answer = q.content.answer.clone();
    render(
        state,
        &layout,
        &QuestionPage {
            layout: &layout,
            id,
            bank_id: q.bank_id,
            reference: q.reference,
            kind: kind_label(q.content.kind),
            status: status_label(q.status),
            retired: q.status == QuestionStatus::Retired,
            stem: q.content.stem,
            options: q
                .content
                .options
                .into_iter()
                .map(|o| {
                    let correct = answer.contains(&o.key);
                    (o.key, o.text, correct)
                })
                .collect(),
            explanation: q.content.explanation,
            versions: versions
                .into_iter()
                .map(|(version, stem, answer, explanation, at)| VersionRow {
                    version,
                    stem,
                    answer: serde_json::from_str::<Vec<String>>(&answer)
                        .map(|keys| keys.join(""))
                        .unwrap_or(answer),
                    explanation,
                    at: local(at),
                })
                .collect(),
        },
    )
}

#[derive(serde::Deserialize)]
pub struct RetireForm {
    csrf: Option<String>,
}

/// Retires a question: papers drawn from now on leave it out.
#[handler]
pub async fn retire_question(
    req: &Request,
    Path(id): Path<i64>,
    Form(form): Form<RetireForm>,
    Data(state): Data<&AppState>,
) -> Response {
    let back = format!("/admin/questions/{id}");
    let (layout, _) = match bureau_form(state, req, form.csrf.as_deref(), &back).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    match question_bank::retire(state, id).await {
        Ok(()) => see_other(&back),
        Err(e) => refused(state, &layout, &e),
    }
}
