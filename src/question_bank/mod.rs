//! Question banks (题库): importing the files a bureau already keeps, versioning questions so
//! past attempts keep the exact text and key they were graded with, and exporting.
//! Owns `question_banks`, `questions` and `question_versions`.

pub mod content;
pub mod formats;

pub mod store;

use crate::{
    AppState,
    error::{AppError, AppResult},
};
use chrono::Utc;
use content::{QuestionContent, QuestionStatus};
use formats::{Format, LineIssue, Parsed};
use std::collections::HashMap;
pub use store::{Bank, Question};

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    /// New questions.
    pub imported: usize,
    /// Known questions whose content changed: each got a new version.
    pub updated: usize,
    /// Questions already held exactly as in the file.
    pub unchanged: usize,
    /// Questions of kinds we do not hold (essay, matching, ...).
    pub skipped: Vec<LineIssue>,
}

pub async fn create_bank(
    state: &AppState,
    name: &str,
    description: Option<&str>,
) -> AppResult<Bank> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name", "1 to 100 characters"));
    }
    let description = description.map(str::trim).filter(|d| !d.is_empty());
    let id = store::insert_bank(&state.db, name, description, Utc::now()).await?;
    require_bank(state, id).await
}

pub async fn require_bank(state: &AppState, id: i64) -> AppResult<Bank> {
    store::bank(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("bank_not_found", "no such question bank"))
}

/// A file's questions, checked and keyed, ready to compare with the bank.
pub struct CheckedFile {
    pub questions: Vec<(String, QuestionStatus, QuestionContent)>,
    pub skipped: Vec<LineIssue>,
    /// The refs the file itself gives, with their lines (content-keyed questions have none).
    pub refs: Vec<(String, usize)>,
}

/// A checked file headed for a bank, named as its reader knows it.
pub struct BankFile<'a> {
    pub file: &'a str,
    pub bank: &'a str,
    pub checked: &'a CheckedFile,
}

/// Refs are unique within a bank: a ref that two files headed for the same bank both use
/// would make the second question a new version of the first. Names both places of each.
pub fn clashing_refs(files: &[BankFile<'_>]) -> Vec<String> {
    let mut seen: HashMap<(&str, &str), (&str, usize)> = HashMap::new();
    let mut clashes = Vec::new();
    for f in files {
        for (reference, line) in &f.checked.refs {
            match seen.get(&(f.bank, reference.as_str())) {
                Some((first_file, first_line)) => clashes.push(format!(
                    "ref {reference} 在题库“{}”中重复使用：{first_file} 第{first_line}行和 {} 第{line}行",
                    f.bank, f.file
                )),
                None => {
                    seen.insert((f.bank, reference.as_str()), (f.file, *line));
                }
            }
        }
    }
    clashes
}

/// Turns a parsed file into checked questions, or every problem with its line.
pub fn check_parsed(parsed: Parsed) -> Result<CheckedFile, Vec<LineIssue>> {
    let mut errors = parsed.errors;
    let mut questions = Vec::new();
    let mut seen_refs: HashMap<String, usize> = HashMap::new();
    let mut refs = Vec::new();
    for q in &parsed.questions {
        let content = match QuestionContent::from_parsed(q) {
            Ok(c) => c,
            Err(reason) => {
                errors.push(LineIssue {
                    line: q.line,
                    reason,
                });
                continue;
            }
        };
        let status = q
            .status
            .as_deref()
            .and_then(QuestionStatus::parse)
            .unwrap_or(QuestionStatus::Active);
        // A file's own key, else the content hash: the same question imports once.
        let reference = match &q.reference {
            Some(r) => {
                if let Some(first) = seen_refs.insert(r.clone(), q.line) {
                    errors.push(LineIssue {
                        line: q.line,
                        reason: format!("ref {r} 重复使用（第一次在第{first}行）"),
                    });
                    continue;
                }
                refs.push((r.clone(), q.line));
                r.clone()
            }
            None => format!("H-{}", &content.content_hash()[..16]),
        };
        questions.push((reference, status, content));
    }
    if errors.is_empty() {
        Ok(CheckedFile {
            questions,
            skipped: parsed.skipped,
            refs,
        })
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

/// Parses and checks `bytes` as `format` without touching the database.
pub fn read_file(
    format: Format,
    bytes: &[u8],
) -> Result<(formats::FileMeta, CheckedFile), Vec<LineIssue>> {
    let (meta, parsed) = formats::parse(format, bytes);
    check_parsed(parsed).map(|checked| (meta, checked))
}

/// Imports a file into a bank: all or nothing. A re-import changes nothing; a changed
/// question gets a new version.
pub async fn import(
    state: &AppState,
    bank_id: i64,
    format: Format,
    bytes: &[u8],
) -> AppResult<ImportReport> {
    require_bank(state, bank_id).await?;
    let (_, checked) = read_file(format, bytes).map_err(AppError::ImportInvalid)?;
    import_checked(state, bank_id, checked).await
}

pub async fn import_checked(
    state: &AppState,
    bank_id: i64,
    checked: CheckedFile,
) -> AppResult<ImportReport> {
    let existing = store::current_by_ref(&state.db, bank_id).await?;
    let mut report = ImportReport {
        skipped: checked.skipped,
        ..ImportReport::default()
    };
    let mut changes = Vec::new();
    let mut planned: HashMap<&str, ()> = HashMap::new();
    for (reference, status, content) in &checked.questions {
        let hash = content.content_hash();
        if planned.insert(reference.as_str(), ()).is_some() {
            // The same content twice in one file without refs: it is one question.
            report.unchanged += 1;
            continue;
        }
        match existing.get(reference) {
            None => {
                report.imported += 1;
                changes.push(store::Change::New {
                    reference: reference.clone(),
                    status: *status,
                    content,
                    hash,
                });
            }
            Some((_, _, current)) if *current == hash => report.unchanged += 1,
            Some((question_id, version, _)) => {
                report.updated += 1;
                changes.push(store::Change::NewVersion {
                    question_id: *question_id,
                    version: version + 1,
                    status: *status,
                    content,
                    hash,
                });
            }
        }
    }
    store::apply(&state.db, bank_id, &changes, Utc::now()).await?;
    Ok(report)
}

/// Edits a question: changed content becomes a new version (the old one stays for the
/// attempts that used it); a status change alone keeps the version.
pub async fn edit_question(
    state: &AppState,
    id: i64,
    content: QuestionContent,
    status: QuestionStatus,
) -> AppResult<Question> {
    let current = store::question(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("question_not_found", "no such question"))?;
    content
        .check()
        .map_err(|reason| AppError::invalid("question", reason))?;
    let hash = content.content_hash();
    let now = Utc::now();
    if hash != current.content_hash {
        store::apply(
            &state.db,
            current.bank_id,
            &[store::Change::NewVersion {
                question_id: id,
                version: current.version + 1,
                status,
                content: &content,
                hash,
            }],
            now,
        )
        .await?;
    } else if status != current.status {
        store::set_status(&state.db, id, status, now).await?;
    }
    store::question(&state.db, id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("question {id} vanished")))
}

/// Retires a question: papers drawn from now on leave it out; attempts that used it keep
/// their version.
pub async fn retire(state: &AppState, id: i64) -> AppResult<()> {
    let current = store::question(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("question_not_found", "no such question"))?;
    if current.status != QuestionStatus::Retired {
        store::set_status(&state.db, id, QuestionStatus::Retired, Utc::now()).await?;
    }
    Ok(())
}

/// Every question of a bank, for export.
pub async fn all_questions(state: &AppState, bank_id: i64) -> AppResult<Vec<Question>> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let (page, total) = store::questions(
            &state.db,
            bank_id,
            &store::QuestionFilter::default(),
            1000,
            offset,
        )
        .await?;
        offset += page.len() as i64;
        out.extend(page);
        if offset >= total {
            return Ok(out);
        }
    }
}
