//! Question banks: upload the files a bureau keeps, browse questions with their keys, edit
//! (which versions), export. Bureau admins only: keys never leave through here otherwise.

use crate::{
    AppState,
    api::{
        ApiTags,
        error::{ApiResult, LineError},
        one_status::OneStatus,
        page::{Page, window},
        security::BureauAuth,
    },
    error::AppError,
    question_bank::{
        self, Bank, ImportReport, Question,
        content::{ChoiceOption, QuestionContent, QuestionKind, QuestionStatus},
        formats::{Format, native, spreadsheet_export},
        store::QuestionFilter,
    },
};
use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::{Binary, Json},
};

pub struct BanksApi {
    pub state: AppState,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BankView {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    /// Questions that papers may draw.
    pub active_questions: i64,
    /// Reserved for exams: never drawn for practice.
    pub exam_only: bool,
    pub created_at: DateTime<Utc>,
}

impl From<Bank> for BankView {
    fn from(b: Bank) -> Self {
        Self {
            id: b.id,
            name: b.name,
            description: b.description,
            exam_only: b.exam_only,
            active_questions: b.active_questions,
            created_at: b.created_at,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreateBankRequest {
    #[oai(validator(max_length = 100, pattern = r"\S"))]
    pub name: String,
    #[oai(validator(max_length = 2000))]
    pub description: Option<String>,
    /// Reserve the bank's questions for exams: practice never draws them.
    #[oai(default)]
    pub exam_only: bool,
}

#[derive(Debug, Object)]
pub struct UpdateBankRequest {
    /// Reserve the bank's questions for exams (practice and mock exams never draw them).
    pub exam_only: Option<bool>,
}

#[derive(ApiResponse)]
pub enum CreateBankResponse {
    #[oai(status = 201)]
    Created(Json<BankView>),
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ImportResult {
    /// New questions.
    pub imported: u64,
    /// Known questions (same ref) whose content changed: each got a new version.
    pub updated: u64,
    /// Questions the bank already holds exactly so.
    pub unchanged: u64,
    /// Questions of kinds SafeCert does not hold (essay, matching, numerical...), not imported.
    pub skipped: Vec<LineError>,
}

impl From<ImportReport> for ImportResult {
    fn from(r: ImportReport) -> Self {
        Self {
            imported: r.imported as u64,
            updated: r.updated as u64,
            unchanged: r.unchanged as u64,
            skipped: r
                .skipped
                .into_iter()
                .map(|s| LineError {
                    line: s.line as u64,
                    reason: s.reason,
                })
                .collect(),
        }
    }
}

/// A question as the bureau sees it, with its key.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct QuestionView {
    pub id: i64,
    pub bank_id: i64,
    /// Stable key re-imports match on.
    #[oai(rename = "ref")]
    pub reference: String,
    /// Grows by one whenever the content changes.
    pub version: i64,
    pub kind: QuestionKind,
    pub stem: String,
    pub options: Vec<ChoiceOption>,
    pub answer: Vec<String>,
    pub explanation: String,
    pub tags: Vec<String>,
    pub difficulty: u8,
    pub status: QuestionStatus,
    pub updated_at: DateTime<Utc>,
}

impl From<Question> for QuestionView {
    fn from(q: Question) -> Self {
        Self {
            id: q.id,
            bank_id: q.bank_id,
            reference: q.reference,
            version: q.version,
            kind: q.content.kind,
            stem: q.content.stem,
            options: q.content.options,
            answer: q.content.answer,
            explanation: q.content.explanation,
            tags: q.content.tags,
            difficulty: q.content.difficulty,
            status: q.status,
            updated_at: q.updated_at,
        }
    }
}

/// A question's new content. For `true_false`, options may be omitted (T 正确, F 错误).
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EditQuestionRequest {
    pub kind: QuestionKind,
    #[oai(validator(max_length = 4000, pattern = r"\S"))]
    pub stem: String,
    #[oai(default)]
    #[oai(validator(max_items = 8))]
    pub options: Vec<ChoiceOption>,
    #[oai(validator(min_items = 1, max_items = 8))]
    pub answer: Vec<String>,
    #[oai(default)]
    pub explanation: String,
    #[oai(default)]
    pub tags: Vec<String>,
    #[oai(validator(minimum(value = "1"), maximum(value = "5")))]
    pub difficulty: u8,
    pub status: QuestionStatus,
}

#[derive(ApiResponse)]
pub enum ExportResponse {
    /// The native TOML format (`safecert-bank/1`).
    #[oai(status = 200, content_type = "application/toml; charset=utf-8")]
    Native(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
    /// The spreadsheet template as xlsx.
    #[oai(
        status = 200,
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )]
    Xlsx(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::QuestionBanks")]
impl BanksApi {
    /// Question banks (bureau_admin).
    #[oai(path = "/question-banks", method = "get")]
    async fn list(
        &self,
        _auth: BureauAuth,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<Page<BankView>>> {
        let (limit, offset) = window(limit.0, offset.0);
        let (banks, total) =
            question_bank::store::list_banks(&self.state.db, limit, offset).await?;
        Ok(Json(Page {
            items: banks.into_iter().map(Into::into).collect(),
            total,
        }))
    }

    /// Create a bank (bureau_admin).
    #[oai(path = "/question-banks", method = "post")]
    async fn create(
        &self,
        _auth: BureauAuth,
        body: Json<CreateBankRequest>,
    ) -> ApiResult<CreateBankResponse> {
        let mut bank =
            question_bank::create_bank(&self.state, &body.name, body.description.as_deref())
                .await?;
        if body.exam_only {
            question_bank::store::set_exam_only(&self.state.db, bank.id, true).await?;
            bank.exam_only = true;
        }
        Ok(CreateBankResponse::Created(Json(bank.into())))
    }

    /// Reserve a bank's questions for exams, or open them to practice and mock exams again
    /// (bureau_admin).
    #[oai(path = "/question-banks/:id", method = "patch")]
    async fn update(
        &self,
        _auth: BureauAuth,
        id: Path<i64>,
        body: Json<UpdateBankRequest>,
    ) -> ApiResult<Json<BankView>> {
        let missing = || AppError::not_found("bank_not_found", "no such question bank");
        question_bank::store::bank(&self.state.db, id.0)
            .await?
            .ok_or_else(missing)?;
        if let Some(exam_only) = body.exam_only {
            question_bank::store::set_exam_only(&self.state.db, id.0, exam_only).await?;
        }
        let bank = question_bank::store::bank(&self.state.db, id.0)
            .await?
            .ok_or_else(missing)?;
        Ok(Json(bank.into()))
    }

    /// Import a file into a bank (bureau_admin). The body is the file itself; `format` is
    /// `native` (default), `xlsx`, `csv`, `moodlexml`, `gift` or `aiken`. All or nothing:
    /// a malformed file gives 422 `import_invalid` with every bad line and writes nothing.
    /// Re-importing the same file changes nothing.
    #[oai(path = "/question-banks/:id/import", method = "post")]
    async fn import(
        &self,
        _auth: BureauAuth,
        id: Path<i64>,
        format: Query<Option<Format>>,
        body: Binary<Vec<u8>>,
    ) -> ApiResult<Json<ImportResult>> {
        let format = format.0.unwrap_or(Format::Native);
        let report = question_bank::import(&self.state, id.0, format, &body.0).await?;
        tracing::info!(
            bank_id = id.0,
            ?format,
            imported = report.imported,
            updated = report.updated,
            "bank import"
        );
        Ok(Json(report.into()))
    }

    /// A bank's questions with their keys (bureau_admin).
    #[oai(path = "/question-banks/:id/questions", method = "get")]
    async fn questions(
        &self,
        _auth: BureauAuth,
        id: Path<i64>,
        status: Query<Option<QuestionStatus>>,
        kind: Query<Option<QuestionKind>>,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<Page<QuestionView>>> {
        question_bank::require_bank(&self.state, id.0).await?;
        let (limit, offset) = window(limit.0, offset.0);
        let filter = QuestionFilter {
            status: status.0,
            kind: kind.0,
            ..QuestionFilter::default()
        };
        let (questions, total) =
            question_bank::store::questions(&self.state.db, id.0, &filter, limit, offset).await?;
        Ok(Json(Page {
            items: questions.into_iter().map(Into::into).collect(),
            total,
        }))
    }

    /// Export a bank as `native` (TOML, default) or `xlsx` (bureau_admin).
    #[oai(path = "/question-banks/:id/export", method = "get")]
    async fn export(
        &self,
        _auth: BureauAuth,
        id: Path<i64>,
        format: Query<Option<Format>>,
    ) -> ApiResult<OneStatus<ExportResponse>> {
        let bank = question_bank::require_bank(&self.state, id.0).await?;
        let questions = question_bank::all_questions(&self.state, bank.id).await?;
        match format.0.unwrap_or(Format::Native) {
            Format::Native => {
                let rows: Vec<native::ExportQuestion<'_>> = questions
                    .iter()
                    .map(|q| native::ExportQuestion {
                        reference: &q.reference,
                        content: &q.content,
                        status: q.status,
                    })
                    .collect();
                let text = native::export(&bank.name, bank.description.as_deref(), &rows);
                Ok(OneStatus(ExportResponse::Native(
                    Binary(text.into_bytes()),
                    super::attachment("bank", &bank.name, "toml"),
                )))
            }
            Format::Xlsx => {
                let rows: Vec<spreadsheet_export::ExportRow<'_>> = questions
                    .iter()
                    .map(|q| spreadsheet_export::ExportRow {
                        reference: &q.reference,
                        content: &q.content,
                        status: q.status,
                    })
                    .collect();
                let bytes = spreadsheet_export::export_xlsx(&bank.name, &rows)
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx export: {e}")))?;
                Ok(OneStatus(ExportResponse::Xlsx(
                    Binary(bytes),
                    super::attachment("bank", &bank.name, "xlsx"),
                )))
            }
            other => Err(AppError::invalid(
                "format",
                format!("export writes native or xlsx, not {other:?}"),
            )
            .into()),
        }
    }

    /// Edit a question (bureau_admin). Changed content becomes a new version; attempts that
    /// used an older version keep it.
    #[oai(path = "/questions/:id", method = "put")]
    async fn edit(
        &self,
        _auth: BureauAuth,
        id: Path<i64>,
        body: Json<EditQuestionRequest>,
    ) -> ApiResult<Json<QuestionView>> {
        let body = body.0;
        let options = if body.kind == QuestionKind::TrueFalse && body.options.is_empty() {
            question_bank::content::true_false_options()
        } else {
            body.options
        };
        let mut answer = body.answer;
        answer.sort();
        answer.dedup();
        let content = QuestionContent {
            kind: body.kind,
            stem: body.stem.trim().to_string(),
            options,
            answer,
            explanation: body.explanation.trim().to_string(),
            tags: question_bank::content::normalise_tags(&body.tags),
            difficulty: body.difficulty,
        };
        let question =
            question_bank::edit_question(&self.state, id.0, content, body.status).await?;
        Ok(Json(question.into()))
    }
}
