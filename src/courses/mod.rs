//! Courses (课程) and their exam rules: pass mark, time limit, certificate validity, retakes,
//! whether a practical assessment is required, and the blueprint papers are drawn from.
//! Owns `courses`.

pub mod store;

use crate::blueprint::Blueprint;
use crate::{
    AppState,
    error::{AppError, AppResult},
    paper::{self, Candidate, Paper},
    question_bank,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, poem_openapi::Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum CourseCategory {
    /// 应急第一响应人.
    FirstResponder,
    /// 主要负责人和安全生产管理人员 (initial training and yearly re-education).
    SafetyManager,
    /// 特种作业.
    SpecialOperation,
    Other,
}

impl CourseCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            CourseCategory::FirstResponder => "first_responder",
            CourseCategory::SafetyManager => "safety_manager",
            CourseCategory::SpecialOperation => "special_operation",
            CourseCategory::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            CourseCategory::FirstResponder,
            CourseCategory::SafetyManager,
            CourseCategory::SpecialOperation,
            CourseCategory::Other,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// When a candidate may see the answer key of their graded attempt.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, poem_openapi::Enum,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum ReviewAfter {
    /// Right after submitting.
    Submit,
    /// Once the sitting's window has closed (the default: no leaks to later candidates).
    #[default]
    Close,
    Never,
}

impl ReviewAfter {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewAfter::Submit => "submit",
            ReviewAfter::Close => "close",
            ReviewAfter::Never => "never",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "submit" => Some(ReviewAfter::Submit),
            "close" => Some(ReviewAfter::Close),
            "never" => Some(ReviewAfter::Never),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Course {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub category: CourseCategory,
    pub training_hours: i64,
    pub pass_mark: f64,
    pub time_limit_minutes: i64,
    pub validity_months: i64,
    pub retake_limit: i64,
    pub practical_required: bool,
    pub review_after: ReviewAfter,
    pub blueprint: Blueprint,
    /// For re-education (再培训): the course whose certificates passing this one renews.
    pub renews_course_id: Option<i64>,
    /// The course's online lessons must be studied in full before its exam can be booked.
    pub study_before_booking: bool,
    pub created_at: DateTime<Utc>,
}

/// A course as proposed, before checks.
#[derive(Debug, Clone)]
pub struct NewCourse {
    pub code: String,
    pub title: String,
    pub category: CourseCategory,
    pub training_hours: i64,
    pub pass_mark: f64,
    pub time_limit_minutes: i64,
    pub validity_months: i64,
    pub retake_limit: i64,
    pub practical_required: bool,
    pub review_after: ReviewAfter,
    pub blueprint: Blueprint,
    pub renews_course_id: Option<i64>,
    pub study_before_booking: bool,
}

impl NewCourse {
    /// Rules that need no database.
    pub fn check(&self) -> AppResult<()> {
        let code_ok = !self.code.is_empty()
            && self.code.len() <= 32
            && self
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !code_ok {
            return Err(AppError::invalid("code", "1 to 32 letters, digits, - or _"));
        }
        if self.title.trim().is_empty() || self.title.chars().count() > 100 {
            return Err(AppError::invalid("title", "1 to 100 characters"));
        }
        if !(0..=1000).contains(&self.training_hours) {
            return Err(AppError::invalid("training_hours", "0 to 1000 学时"));
        }
        if !(1..=600).contains(&self.time_limit_minutes) {
            return Err(AppError::invalid("time_limit_minutes", "1 to 600 minutes"));
        }
        if !(1..=240).contains(&self.validity_months) {
            return Err(AppError::invalid("validity_months", "1 to 240 months"));
        }
        if !(0..=10).contains(&self.retake_limit) {
            return Err(AppError::invalid("retake_limit", "0 to 10 retakes"));
        }
        self.blueprint
            .check_shape()
            .map_err(|(field, reason)| AppError::invalid(field, reason))?;
        let total = self.blueprint.total_points();
        if !(self.pass_mark.is_finite() && self.pass_mark > 0.0 && self.pass_mark <= total) {
            return Err(AppError::invalid(
                "pass_mark",
                format!("must be above 0 and at most the paper's total of {total} points"),
            ));
        }
        Ok(())
    }
}

/// The active pool as draw candidates, in question-id order.
pub fn candidates(questions: &[question_bank::Question]) -> Vec<Candidate<'_>> {
    questions
        .iter()
        .map(|q| Candidate {
            question_id: q.id,
            version_id: q.version_id,
            bank_id: q.bank_id,
            content: &q.content,
        })
        .collect()
}

/// Refuses a blueprint the banks cannot fill, naming the section.
pub async fn check_against_banks(state: &AppState, blueprint: &Blueprint) -> AppResult<()> {
    for (i, section) in blueprint.sections.iter().enumerate() {
        if let Some(bank_id) = section.bank_id
            && question_bank::store::bank(&state.db, bank_id)
                .await?
                .is_none()
        {
            return Err(AppError::invalid(
                format!("blueprint.sections[{i}].bank_id"),
                format!("no question bank {bank_id}"),
            ));
        }
    }
    match shortfall(state, blueprint).await? {
        Some(short) => Err(AppError::invalid(
            format!("blueprint.sections[{}]", short.section),
            short.to_string(),
        )),
        None => Ok(()),
    }
}

/// Where the active questions cannot fill a blueprint: the first section that falls short.
pub async fn shortfall(
    state: &AppState,
    blueprint: &Blueprint,
) -> AppResult<Option<paper::Shortfall>> {
    let pool = question_bank::store::active_questions(&state.db).await?;
    Ok(paper::draw(blueprint, &candidates(&pool), 0).err())
}

pub async fn create(state: &AppState, new: NewCourse) -> AppResult<Course> {
    new.check()?;
    if let Some(renewed) = new.renews_course_id
        && store::course(&state.db, renewed).await?.is_none()
    {
        return Err(AppError::invalid("renews_course_id", "no such course"));
    }
    check_against_banks(state, &new.blueprint).await?;
    let id = store::insert(&state.db, &new, Utc::now()).await?;
    require(state, id).await
}

/// Changes a course; its id and creation stay. Papers already drawn keep their questions and
/// are graded against the course's pass mark, so the blueprint and the pass mark stay as
/// they are while a sitting of the course that is not over has papers drawn and not yet
/// graded. The other rules (time limit, validity, retakes, …) apply to what starts after.
pub async fn update(state: &AppState, id: i64, new: NewCourse) -> AppResult<Course> {
    let old = require(state, id).await?;
    new.check()?;
    if new.renews_course_id == Some(id) {
        return Err(AppError::invalid(
            "renews_course_id",
            "a course cannot renew its own certificates",
        ));
    }
    if let Some(renewed) = new.renews_course_id
        && store::course(&state.db, renewed).await?.is_none()
    {
        return Err(AppError::invalid("renews_course_id", "no such course"));
    }
    if new.blueprint != old.blueprint || new.pass_mark != old.pass_mark {
        if store::papers_awaiting_grading(&state.db, id, Utc::now()).await? > 0 {
            return Err(AppError::conflict(
                "course_in_use",
                Some("blueprint"),
                "papers of this course are drawn for a sitting that is not over: \
                 its blueprint and pass mark can change once that sitting is graded",
            ));
        }
        check_against_banks(state, &new.blueprint).await?;
    }
    store::update(&state.db, id, &new).await?;
    require(state, id).await
}

pub async fn require(state: &AppState, id: i64) -> AppResult<Course> {
    store::course(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("course_not_found", "no such course"))
}

/// Draws a paper for `course` from the current active pool.
pub async fn draw_paper(state: &AppState, course: &Course, seed: u64) -> AppResult<Paper> {
    let pool = question_bank::store::active_questions(&state.db).await?;
    paper::draw(&course.blueprint, &candidates(&pool), seed).map_err(|short| {
        AppError::conflict(
            "blueprint_unsatisfiable",
            None,
            format!("the banks no longer fill this course's blueprint: {short}"),
        )
    })
}
