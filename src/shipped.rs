//! The banks and demo courses shipped in `question-bank/`, embedded in the binary so a fresh
//! database gets them wherever the service runs from.

use crate::{
    AppState,
    blueprint::{Blueprint, DifficultyBand, Scoring, Section},
    courses::{self, CourseCategory, NewCourse, ReviewAfter},
    error::{AppError, AppResult},
    question_bank::{self, BankFile, CheckedFile, content::QuestionKind, formats::Format},
};
use serde::Deserialize;

/// Every shipped bank file: (file name, contents). A test checks this list against the folder.
pub const BANK_FILES: &[(&str, &str)] = &[
    (
        "first-responder-rescue.toml",
        include_str!("../question-bank/first-responder-rescue.toml"),
    ),
    (
        "first-responder-hazards.toml",
        include_str!("../question-bank/first-responder-hazards.toml"),
    ),
    (
        "safety-manager-law.toml",
        include_str!("../question-bank/safety-manager-law.toml"),
    ),
    (
        "safety-manager-practice.toml",
        include_str!("../question-bank/safety-manager-practice.toml"),
    ),
    (
        "reeducation-electroplating.toml",
        include_str!("../question-bank/reeducation-electroplating.toml"),
    ),
    (
        "reeducation-confined-space.toml",
        include_str!("../question-bank/reeducation-confined-space.toml"),
    ),
    (
        "reeducation-lithium-battery.toml",
        include_str!("../question-bank/reeducation-lithium-battery.toml"),
    ),
    (
        "reeducation-combustible-dust.toml",
        include_str!("../question-bank/reeducation-combustible-dust.toml"),
    ),
    (
        "reeducation-hazardous-chemicals.toml",
        include_str!("../question-bank/reeducation-hazardous-chemicals.toml"),
    ),
];

pub const COURSES_FILE: &str = include_str!("../question-bank/courses.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CoursesFile {
    courses: Vec<ShippedCourse>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShippedCourse {
    code: String,
    title: String,
    category: String,
    training_hours: i64,
    pass_mark: f64,
    time_limit_minutes: i64,
    validity_months: i64,
    retake_limit: i64,
    practical_required: bool,
    #[serde(default)]
    review_after: Option<String>,
    /// The code of the course whose certificates this one renews (re-education).
    #[serde(default)]
    renews: Option<String>,
    /// Its lessons must be studied before its exam can be booked.
    #[serde(default)]
    study_before_booking: bool,
    sections: Vec<ShippedSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShippedSection {
    title: String,
    kind: String,
    count: u32,
    points: f64,
    #[serde(default)]
    scoring: Option<String>,
    /// The bank by name (ids differ per database).
    bank: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    difficulty_mix: Vec<DifficultyBand>,
}

/// What loading the shipped content did.
#[derive(Debug, Default)]
pub struct Loaded {
    pub banks: usize,
    pub questions: usize,
    pub courses: usize,
}

/// Reads and checks every shipped bank file: (bank, description, questions) per file, or what
/// is wrong, with the file and line. Nothing is written until all of them pass.
pub fn read_banks() -> Result<Vec<(String, Option<String>, CheckedFile)>, String> {
    let mut files = Vec::with_capacity(BANK_FILES.len());
    for (name, text) in BANK_FILES {
        let (meta, checked) = question_bank::read_file(Format::Native, text.as_bytes())
            .map_err(|errors| format!("shipped bank {name} is invalid: {errors:?}"))?;
        let bank = meta.bank.ok_or_else(|| format!("{name} names no bank"))?;
        files.push((*name, bank, meta.description, checked));
    }
    let named: Vec<BankFile<'_>> = files
        .iter()
        .map(|(file, bank, _, checked)| BankFile {
            file,
            bank,
            checked,
        })
        .collect();
    let clashes = question_bank::clashing_refs(&named);
    if !clashes.is_empty() {
        return Err(clashes.join("; "));
    }
    Ok(files
        .into_iter()
        .map(|(_, bank, description, checked)| (bank, description, checked))
        .collect())
}

/// Loads every shipped bank and course into a database that has no banks yet; a database
/// with banks is left alone (the bureau owns its content from then on).
pub async fn load_if_empty(state: &AppState) -> AppResult<Option<Loaded>> {
    let (_, total) = question_bank::store::list_banks(&state.db, 1, 0).await?;
    if total > 0 {
        return Ok(None);
    }
    let mut loaded = Loaded::default();
    for (bank_name, description, checked) in
        read_banks().map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?
    {
        let bank = match question_bank::store::bank_by_name(&state.db, &bank_name).await? {
            Some(bank) => bank,
            None => {
                loaded.banks += 1;
                question_bank::create_bank(state, &bank_name, description.as_deref()).await?
            }
        };
        let report = question_bank::import_checked(state, bank.id, checked).await?;
        loaded.questions += report.imported;
    }
    let file: CoursesFile = toml::from_str(COURSES_FILE)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("question-bank/courses.toml: {e}")))?;
    for c in file.courses {
        let mut sections = Vec::new();
        for s in c.sections {
            let bank = question_bank::store::bank_by_name(&state.db, &s.bank)
                .await?
                .ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!(
                        "course {} names unknown bank {}",
                        c.code,
                        s.bank
                    ))
                })?;
            sections.push(Section {
                title: s.title,
                kind: QuestionKind::parse(&s.kind).ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!("course {}: kind {}", c.code, s.kind))
                })?,
                count: s.count,
                points: s.points,
                scoring: match s.scoring.as_deref() {
                    Some("partial") => Scoring::Partial,
                    _ => Scoring::AllOrNothing,
                },
                bank_id: Some(bank.id),
                tags: s.tags,
                difficulty_mix: s.difficulty_mix,
            });
        }
        let renews_course_id = match &c.renews {
            Some(code) => Some(
                courses::store::course_by_code(&state.db, code)
                    .await?
                    .ok_or_else(|| {
                        AppError::Internal(anyhow::anyhow!(
                            "course {} renews unknown {code}",
                            c.code
                        ))
                    })?
                    .id,
            ),
            None => None,
        };
        courses::create(
            state,
            NewCourse {
                renews_course_id,
                category: CourseCategory::parse(&c.category).ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!(
                        "course {}: category {}",
                        c.code,
                        c.category
                    ))
                })?,
                review_after: c
                    .review_after
                    .as_deref()
                    .and_then(ReviewAfter::parse)
                    .unwrap_or_default(),
                code: c.code,
                title: c.title,
                training_hours: c.training_hours,
                pass_mark: c.pass_mark,
                time_limit_minutes: c.time_limit_minutes,
                validity_months: c.validity_months,
                retake_limit: c.retake_limit,
                practical_required: c.practical_required,
                study_before_booking: c.study_before_booking,
                blueprint: Blueprint { sections },
            },
        )
        .await?;
        loaded.courses += 1;
    }
    tracing::info!(
        banks = loaded.banks,
        questions = loaded.questions,
        courses = loaded.courses,
        "loaded the shipped question banks and courses"
    );
    Ok(Some(loaded))
}

/// Loads the shipped lessons (`lessons/`) into the shipped courses, when no course has any
/// lessons yet: a database made before lessons existed gets them too. Lessons of a course
/// the database does not hold are skipped.
pub async fn load_lessons_if_none(state: &AppState) -> AppResult<usize> {
    if crate::study::store::any_lessons(&state.db).await? {
        return Ok(0);
    }
    let files = crate::study::folder::shipped_lessons()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("shipped lessons: {e}")))?;
    let mut by_course: std::collections::BTreeMap<String, Vec<crate::study::NewLesson>> =
        Default::default();
    for file in files {
        by_course.entry(file.course).or_default().push(file.lesson);
    }
    let mut loaded = 0;
    for (code, lessons) in by_course {
        let Some(course) = courses::store::course_by_code(&state.db, &code).await? else {
            continue;
        };
        crate::study::replace_lessons(state, course.id, &lessons).await?;
        loaded += lessons.len();
    }
    tracing::info!(lessons = loaded, "loaded the shipped lessons");
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    /// Every character the shipped lessons and courses put on a PDF (the 学时证明 prints
    /// lesson and course titles) is in the font the PDFs embed.
    #[test]
    fn the_pdf_font_has_every_character_of_the_shipped_lessons_and_courses() {
        let fonts = crate::pdf::PdfFonts::load(crate::CJK_FONT).expect("font loads");
        let mut text = String::from(
            "学时证明兹证明（证件号码）于年度通过线上学习完成《》课程学时（每学时分钟，按服务器记录的有效学习时长计），该课程线上学习共。本年度学完的课时：无另有课，见学习记录。第课",
        );
        for lesson in crate::study::folder::shipped_lessons().expect("shipped lessons parse") {
            text.push_str(&lesson.lesson.title);
            text.push_str(&lesson.lesson.module);
        }
        // The shipped courses' titles (and section titles) are all in this file; its line
        // breaks are not printed.
        text.extend(super::COURSES_FILE.chars().filter(|c| !c.is_control()));
        assert_eq!(fonts.missing_chars(&text), Vec::<char>::new());
    }
}
