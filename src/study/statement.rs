//! The 学时证明 of a person, course and year: the lessons studied in full that year (a
//! lesson's 学时 count on the day it is completed, as in the reports), printed as a PDF.

use super::{hours_text, store};
use crate::{
    AppState, courses,
    error::{AppError, AppResult},
};
use chrono::{Datelike, FixedOffset, NaiveDate, TimeZone, Utc};

/// The PDF and a file name for it. `year` must be one with days already passed.
pub async fn pdf(
    state: &AppState,
    user_id: i64,
    course_id: i64,
    year: i32,
) -> AppResult<(Vec<u8>, String)> {
    let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let today = Utc::now().with_timezone(&china).date_naive();
    if !(2000..=today.year()).contains(&year) {
        return Err(AppError::invalid(
            "year",
            format!("年度应在 2000 至 {} 之间", today.year()),
        ));
    }
    let course = courses::require(state, course_id).await?;
    let person = crate::accounts::store::user(&state.db, user_id)
        .await?
        .ok_or_else(|| AppError::not_found("user_not_found", "no such user"))?;
    let start = |y: i32| {
        china
            .from_local_datetime(
                &NaiveDate::from_ymd_opt(y, 1, 1)
                    .expect("Jan 1")
                    .and_hms_opt(0, 0, 0)
                    .expect("midnight"),
            )
            .single()
            .expect("China has no DST")
            .with_timezone(&Utc)
    };
    let completed =
        store::completed_between(&state.db, user_id, course_id, start(year), start(year + 1))
            .await?;
    let seconds: i64 = completed.iter().map(|c| c.required_seconds).sum();
    let statement = crate::pdf::StudyStatement {
        name: person.name.clone(),
        id_number_masked: person
            .id_number_masked
            .clone()
            .unwrap_or_else(|| "—".into()),
        course_title: course.title.clone(),
        year,
        hours: hours_text(seconds),
        course_hours: hours_text(store::required_seconds(&state.db, course_id).await?),
        lessons: completed
            .iter()
            .map(|c| {
                (
                    format!("第 {} 课 {}", c.position, c.title),
                    format!("{} 分钟", c.required_seconds / 60),
                    c.completed_at
                        .with_timezone(&china)
                        .date_naive()
                        .to_string(),
                )
            })
            .collect(),
        issued_on: today.format("%Y年%m月%d日").to_string(),
        issuer: state.config.issuer.clone(),
    };
    let fonts = state.fonts.clone();
    let pdf = tokio::task::spawn_blocking(move || crate::pdf::study_statement(&fonts, &statement))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| match e {
            crate::pdf::PdfError::MissingGlyphs(chars) => AppError::conflict(
                "unprintable_name",
                None,
                format!("证明所用字体缺少这些字：{chars}，请联系区应急管理局更正姓名"),
            ),
            other => AppError::Internal(anyhow::anyhow!("study statement PDF: {other}")),
        })?;
    Ok((pdf, format!("study-hours-{}-{year}.pdf", course.code)))
}
