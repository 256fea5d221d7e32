//! 课程与组卷: courses, and building or changing one whose blueprint is checked against the
//! banks.

use super::*;
use crate::blueprint::Blueprint;

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
    /// Never set here (see `CoursePage`); the shared fields read it.
    fixed_blueprint: Option<Vec<String>>,
}

impl CoursesPage<'_> {
    fn value(&self, name: &str) -> &str {
        self.form.get(name).map(String::as_str).unwrap_or_default()
    }
}

/// One course's form, filled with what it holds, to change it.
#[derive(Template)]
#[template(path = "admin_course.html")]
struct CoursePage<'a> {
    layout: &'a Layout,
    course_id: i64,
    course_title: String,
    banks: Vec<BankChoice>,
    form: HashMap<String, String>,
    sections: Vec<SectionForm>,
    checked: Option<(bool, String)>,
    error: Option<String>,
    /// A blueprint the form's sections cannot show (more of them, tags, a difficulty mix,
    /// partial scoring): kept as it is and described line by line.
    fixed_blueprint: Option<Vec<String>>,
}

impl CoursePage<'_> {
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
            banks: bank_choices(banks),
            form,
            sections,
            checked,
            error,
            fixed_blueprint: None,
        },
    )
}

fn bank_choices(banks: Vec<Bank>) -> Vec<BankChoice> {
    banks
        .into_iter()
        .map(|b| BankChoice {
            id: b.id,
            name: b.name,
            active: b.active_questions,
        })
        .collect()
}

/// Whether the form's sections can show a blueprint as it is: a form saved unchanged must
/// not lose a section's tags, difficulty mix, scoring or title.
fn form_shows(blueprint: &Blueprint) -> bool {
    blueprint.sections.len() <= SECTIONS
        && blueprint.sections.iter().all(|s| {
            s.tags.is_empty()
                && s.difficulty_mix.is_empty()
                && s.scoring == Default::default()
                && s.title == format!("{}题", kind_label(s.kind))
        })
}

/// A blueprint described in lines, for a page that cannot edit it.
fn described(blueprint: &Blueprint) -> Vec<String> {
    blueprint
        .sections
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut line = format!(
                "第 {} 部分“{}”：{}题 {} 道，每题 {} 分",
                i + 1,
                s.title,
                kind_label(s.kind),
                s.count,
                s.points
            );
            if !s.tags.is_empty() {
                line.push_str(&format!("，标签：{}", s.tags.join("、")));
            }
            if let Some(bank) = s.bank_id {
                line.push_str(&format!("，题库 #{bank}"));
            }
            line
        })
        .collect()
}

/// The form's fields as a course holds them.
fn form_of(course: &courses::Course) -> HashMap<String, String> {
    let mut form: HashMap<String, String> = [
        ("code", course.code.clone()),
        ("title", course.title.clone()),
        ("category", course.category.as_str().to_string()),
        ("training_hours", course.training_hours.to_string()),
        ("time_limit_minutes", course.time_limit_minutes.to_string()),
        ("validity_months", course.validity_months.to_string()),
        ("pass_mark", course.pass_mark.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if course.study_before_booking {
        form.insert("study_before_booking".into(), "on".into());
    }
    if form_shows(&course.blueprint) {
        for (i, s) in course.blueprint.sections.iter().enumerate() {
            let n = i + 1;
            form.insert(format!("s{n}_kind"), s.kind.as_str().into());
            form.insert(format!("s{n}_count"), s.count.to_string());
            form.insert(format!("s{n}_points"), s.points.to_string());
            if let Some(bank) = s.bank_id {
                form.insert(format!("s{n}_bank"), bank.to_string());
            }
        }
    }
    form
}

async fn course_page(
    state: &AppState,
    layout: &Layout,
    status: StatusCode,
    course: &courses::Course,
    form: HashMap<String, String>,
    checked: Option<(bool, String)>,
    error: Option<String>,
) -> Response {
    let banks = match question_bank::store::list_banks(&state.db, 500, 0).await {
        Ok((banks, _)) => banks,
        Err(e) => return refused(state, layout, &AppError::from(e)),
    };
    let sections = sections_of(&form);
    render_with(
        state,
        layout,
        status,
        &CoursePage {
            layout,
            course_id: course.id,
            course_title: course.title.clone(),
            banks: bank_choices(banks),
            form,
            sections,
            checked,
            error,
            fixed_blueprint: (!form_shows(&course.blueprint)).then(|| described(&course.blueprint)),
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

/// The course a form describes, or what is wrong with it, in Chinese. `changing`: the
/// course the form edits; what the form does not show is kept from it (a new course takes
/// the defaults).
fn course_of(
    form: &HashMap<String, String>,
    changing: Option<&courses::Course>,
) -> Result<courses::NewCourse, String> {
    let text = |name: &str| form.get(name).map(|v| v.trim()).unwrap_or_default();
    let number = |name: &str, what: &str| -> Result<i64, String> {
        text(name)
            .parse()
            .map_err(|_| format!("请填写{what}（整数）。"))
    };
    let blueprint = match changing {
        Some(course) if !form_shows(&course.blueprint) => course.blueprint.clone(),
        _ => blueprint_of(form)?,
    };
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
        retake_limit: changing.map_or(1, |c| c.retake_limit),
        practical_required: changing.is_some_and(|c| c.practical_required),
        review_after: changing.map(|c| c.review_after).unwrap_or_default(),
        blueprint,
        renews_course_id: changing.and_then(|c| c.renews_course_id),
        study_before_booking: text("study_before_booking") == "on",
    })
}

/// The blueprint the form's sections describe.
fn blueprint_of(form: &HashMap<String, String>) -> Result<Blueprint, String> {
    use crate::blueprint::Section;
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
    Ok(Blueprint { sections })
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

/// What the banks say of a blueprint: (it can be filled, in Chinese), or the failure.
async fn fillable(state: &AppState, blueprint: &Blueprint) -> AppResult<(bool, String)> {
    Ok(match courses::shortfall(state, blueprint).await? {
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
                blueprint.question_count(),
                blueprint.total_points()
            ),
        ),
    })
}

/// A refusal of `courses::create` or `courses::update`, in Chinese.
fn refusal_in_chinese(e: &AppError) -> Option<String> {
    match e {
        AppError::Invalid(i) => Some(invalid_in_chinese(&i.field, &i.reason)),
        AppError::Conflict {
            code: "course_in_use",
            ..
        } => Some(
            "本课程有场次已抽好试卷、尚未结束：组卷规则和及格分要等这些考试评分后才能修改。\
             其他内容可以先保存。"
                .into(),
        ),
        AppError::Conflict { .. } => Some("课程代码已被使用，请换一个。".into()),
        _ => None,
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
    let course = match course_of(&form, None) {
        Ok(c) => c,
        Err(message) => {
            return courses_page(state, &layout, unprocessable, form, None, Some(message)).await;
        }
    };
    let checked = match fillable(state, &course.blueprint).await {
        Ok(checked) => checked,
        Err(e) => return refused(state, &layout, &e),
    };
    if form.get("action").map(String::as_str) != Some("save") || !checked.0 {
        let status = if checked.0 {
            StatusCode::OK
        } else {
            unprocessable
        };
        return courses_page(state, &layout, status, form, Some(checked), None).await;
    }
    match courses::create(state, course).await {
        Ok(_) => see_other("/admin/courses"),
        Err(e) => match refusal_in_chinese(&e) {
            Some(message) => {
                courses_page(state, &layout, unprocessable, form, None, Some(message)).await
            }
            None => refused(state, &layout, &e),
        },
    }
}

/// A course's form, filled with what it holds.
#[handler]
pub async fn course_view(
    req: &Request,
    Path(id): Path<i64>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau(state, req).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let course = match courses::require(state, id).await {
        Ok(c) => c,
        Err(e) => return refused(state, &layout, &e),
    };
    let form = form_of(&course);
    course_page(state, &layout, StatusCode::OK, &course, form, None, None).await
}

/// Checks (`action=check`) or saves a change to a course, as creating one does; the rules of
/// `courses::update` decide what may change.
#[handler]
pub async fn update_course(
    req: &Request,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
    Data(state): Data<&AppState>,
) -> Response {
    let csrf = form.get("csrf").cloned();
    let back = format!("/admin/courses/{id}");
    let (layout, _) = match bureau_form(state, req, csrf.as_deref(), &back).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let current = match courses::require(state, id).await {
        Ok(c) => c,
        Err(e) => return refused(state, &layout, &e),
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let changed = match course_of(&form, Some(&current)) {
        Ok(c) => c,
        Err(message) => {
            return course_page(
                state,
                &layout,
                unprocessable,
                &current,
                form,
                None,
                Some(message),
            )
            .await;
        }
    };
    let checked = match fillable(state, &changed.blueprint).await {
        Ok(checked) => checked,
        Err(e) => return refused(state, &layout, &e),
    };
    if form.get("action").map(String::as_str) != Some("save") || !checked.0 {
        let status = if checked.0 {
            StatusCode::OK
        } else {
            unprocessable
        };
        return course_page(state, &layout, status, &current, form, Some(checked), None).await;
    }
    match courses::update(state, id, changed).await {
        Ok(_) => see_other("/admin/courses"),
        Err(e) => match refusal_in_chinese(&e) {
            Some(message) => {
                course_page(
                    state,
                    &layout,
                    unprocessable,
                    &current,
                    form,
                    None,
                    Some(message),
                )
                .await
            }
            None => refused(state, &layout, &e),
        },
    }
}
