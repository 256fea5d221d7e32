//! 课程与组卷: courses, and building one whose blueprint is checked against the banks.

use super::*;

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
                    category: crate::web::messages::category(c.category),
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
        study_before_booking: text("study_before_booking") == "on",
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
