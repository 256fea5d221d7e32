//! Yearly training targets (年度培训目标) and progress against them: "2026年全年完成2000人
//! 培训考核", for the district, one street or one industry, for one course or a category.
//! Progress counts distinct people certified in the year, first certifications and renewals
//! apart (`certificates::Kind`). Owns `targets`; knows nothing of HTTP.

pub mod store;

use crate::{
    AppState,
    access::Area,
    courses::CourseCategory,
    error::{AppError, AppResult},
};
use chrono::{DateTime, Datelike, NaiveDate, Utc};

#[derive(Debug, Clone)]
pub struct Target {
    pub id: i64,
    pub year: i32,
    pub course_id: Option<i64>,
    pub category: Option<CourseCategory>,
    pub street_id: Option<i64>,
    pub industry: Option<String>,
    pub target: i64,
    pub created_at: DateTime<Utc>,
}

/// What the bureau asks for (checked by [`create`]).
pub struct NewTarget<'a> {
    pub year: i32,
    pub course_id: Option<i64>,
    pub category: Option<CourseCategory>,
    pub street_id: Option<i64>,
    pub industry: Option<&'a str>,
    pub target: i64,
}

/// People certified in a target's year and scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Achieved {
    /// Distinct people who earned a first certificate.
    pub certified: i64,
    /// Distinct people whose certificate was renewed (再培训), counted apart.
    pub renewed: i64,
}

/// How a target stands on a given day.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// achieved / target.
    pub share: f64,
    /// People still to certify (0 once reached).
    pub remaining: i64,
    /// Days of the year left after `today` (0 once the year is over).
    pub days_left: i64,
    /// People a month needed for the rest of the year (30.4 days a month); None when the
    /// year is over.
    pub pace_needed_per_month: Option<f64>,
    /// People certified by the year's end at the pace so far; None before the year begins.
    pub forecast: Option<i64>,
    /// Whether the forecast (or, once the year is over, the result) reaches the target.
    pub on_track: bool,
}

/// Where a target stands on `today`, from what it achieved so far. Pure, so the rule is
/// tested on its own.
pub fn progress(year: i32, target: i64, achieved: i64, today: NaiveDate) -> Progress {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("a valid year");
    let days_in_year = i64::from(first.leap_year()) + 365;
    let elapsed = if today.year() < year {
        0
    } else if today.year() > year {
        days_in_year
    } else {
        i64::from(today.ordinal())
    };
    let days_left = days_in_year - elapsed;
    let remaining = (target - achieved).max(0);
    let forecast = (elapsed > 0)
        .then(|| (achieved as f64 * days_in_year as f64 / elapsed as f64).round() as i64);
    Progress {
        share: achieved as f64 / target as f64,
        remaining,
        days_left,
        pace_needed_per_month: (days_left > 0).then(|| remaining as f64 * 30.4 / days_left as f64),
        forecast,
        on_track: achieved >= target || forecast.is_some_and(|f| f >= target),
    }
}

/// Sets a target. One per year and scope: the same scope again is a 409.
pub async fn create(state: &AppState, new: NewTarget<'_>, by: i64) -> AppResult<Target> {
    if !(2000..=2100).contains(&new.year) {
        return Err(AppError::invalid("year", "a year from 2000 to 2100"));
    }
    if new.target < 1 {
        return Err(AppError::invalid("target", "at least 1 person"));
    }
    if new.course_id.is_some() && new.category.is_some() {
        return Err(AppError::invalid(
            "category",
            "give a course or a category, not both",
        ));
    }
    let industry = new.industry.map(str::trim).filter(|i| !i.is_empty());
    if new.street_id.is_some() && industry.is_some() {
        return Err(AppError::invalid(
            "industry",
            "a target is split by street or by industry, not both",
        ));
    }
    if industry.is_some_and(|i| i.chars().count() > 50) {
        return Err(AppError::invalid("industry", "at most 50 characters"));
    }
    if let Some(course_id) = new.course_id {
        crate::courses::store::course(&state.db, course_id)
            .await?
            .ok_or_else(|| AppError::invalid("course_id", "no such course"))?;
    }
    if let Some(street_id) = new.street_id {
        crate::org::store::street(&state.db, street_id)
            .await?
            .ok_or_else(|| AppError::invalid("street_id", "no such street"))?;
    }
    let new = NewTarget { industry, ..new };
    if store::exists(&state.db, &new).await? {
        return Err(AppError::conflict(
            "target_exists",
            None,
            "this year and scope already have a target",
        ));
    }
    store::insert(&state.db, &new, by, Utc::now()).await
}

/// The year's targets an area sees: the bureau all, a street officer their street's.
pub async fn list(state: &AppState, year: i32, area: Area) -> AppResult<Vec<Target>> {
    let street = match area {
        Area::District => None,
        Area::Street(id) => Some(id),
        Area::Enterprise(_) => {
            return Err(AppError::forbidden(
                "targets are the bureau's and the streets'",
            ));
        }
    };
    Ok(store::list(&state.db, year, street).await?)
}

/// What each target has achieved so far, in their order. The counts run side by side: each
/// reads a year of certificates, and a street officer's page or the bureau's list has several.
pub async fn achieved_all(
    state: &AppState,
    targets: Vec<Target>,
) -> AppResult<Vec<(Target, Achieved)>> {
    let mut counting = tokio::task::JoinSet::new();
    for (i, target) in targets.into_iter().enumerate() {
        let state = state.clone();
        counting.spawn(async move {
            let achieved = achieved(&state, &target).await;
            (i, target, achieved)
        });
    }
    let mut done = Vec::new();
    while let Some(result) = counting.join_next().await {
        let (i, target, achieved) =
            result.map_err(|e| AppError::Internal(anyhow::anyhow!("counting a target: {e}")))?;
        done.push((i, target, achieved?));
    }
    done.sort_by_key(|(i, _, _)| *i);
    Ok(done.into_iter().map(|(_, t, a)| (t, a)).collect())
}

/// What a target has achieved so far.
pub async fn achieved(state: &AppState, target: &Target) -> AppResult<Achieved> {
    let from = NaiveDate::from_ymd_opt(target.year, 1, 1).expect("a valid year");
    let to = NaiveDate::from_ymd_opt(target.year, 12, 31).expect("a valid year");
    Ok(store::achieved(&state.db, target, from, to).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn halfway_through_the_year_at_half_the_target_is_on_track() {
        // 2026 has 365 days; 2 July is day 183.
        let p = progress(2026, 2000, 1000, day(2026, 7, 2));
        assert_eq!(p.remaining, 1000);
        assert_eq!(p.days_left, 182);
        assert_eq!(p.forecast, Some(1995));
        assert!(!p.on_track, "1,995 forecast falls short of 2,000");
        let pace = p.pace_needed_per_month.unwrap();
        assert!((pace - 1000.0 * 30.4 / 182.0).abs() < 1e-9);
        assert!((p.share - 0.5).abs() < 1e-12);
    }

    #[test]
    fn a_reached_target_needs_nothing_more() {
        let p = progress(2026, 100, 130, day(2026, 3, 1));
        assert_eq!(p.remaining, 0);
        assert_eq!(p.pace_needed_per_month, Some(0.0));
        assert!(p.on_track);
        assert!((p.share - 1.3).abs() < 1e-12);
    }

    #[test]
    fn past_and_future_years() {
        let past = progress(2025, 100, 90, day(2026, 12, 6));
        assert_eq!(past.days_left, 0);
        assert_eq!(past.pace_needed_per_month, None);
        assert_eq!(past.forecast, Some(90));
        assert!(!past.on_track);
        let future = progress(2027, 100, 0, day(2026, 12, 6));
        assert_eq!(future.days_left, 365);
        assert_eq!(future.forecast, None);
        assert!(!future.on_track);
        // A leap year has 366 days.
        assert_eq!(progress(2028, 10, 0, day(2027, 1, 1)).days_left, 366);
    }
}
