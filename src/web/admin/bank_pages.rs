//! 题库: banks, their questions a page at a time, imports with every bad line shown, and
//! one question with its versions and retirement.

use super::*;

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

struct QuestionRow {
    id: i64,
    reference: String,
    kind: &'static str,
    stem: String,
    status: &'static str,
    version: i64,
}

pub(super) fn kind_label(kind: QuestionKind) -> &'static str {
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
    pager: Pager,
    /// The outcome of an import just sent, if any.
    imported: Option<String>,
    issues: Vec<Issue>,
    /// The words searched for.
    query: String,
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
    let query_url: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    let pager = Pager::new(
        page,
        pages(total),
        format!("/admin/banks/{}?page=", bank.id),
        format!("&q={query_url}"),
    );
    render_with(
        state,
        layout,
        status,
        &BankPage {
            layout,
            bank,
            questions,
            total,
            pager,
            imported,
            issues,
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

#[derive(serde::Deserialize)]
pub struct ExamOnlyForm {
    csrf: Option<String>,
    exam_only: Option<String>,
}

/// Reserves a bank for exams (practice and mock exams never draw it), or opens it again.
#[handler]
pub async fn set_exam_only(
    req: &Request,
    Path(id): Path<i64>,
    Form(form): Form<ExamOnlyForm>,
    Data(state): Data<&AppState>,
) -> Response {
    let back = format!("/admin/banks/{id}");
    let (layout, _) = match bureau_form(state, req, form.csrf.as_deref(), &back).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let exam_only = form.exam_only.as_deref() == Some("true");
    let done = async {
        question_bank::store::bank(&state.db, id)
            .await?
            .ok_or_else(|| AppError::not_found("bank_not_found", "没有这个题库"))?;
        question_bank::store::set_exam_only(&state.db, id, exam_only).await
    }
    .await;
    match done {
        Ok(()) => see_other(&back),
        Err(e) => refused(state, &layout, &e),
    }
}
