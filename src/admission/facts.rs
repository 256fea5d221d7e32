//! What the admission rules need to know of a person, read from the attempts and
//! certificates they have.

use super::Person;
use crate::{
    AppState, accounts::User, certificates, courses::Course, db::Db, error::AppResult, study,
    with_pool,
};

/// The admission facts of a known person for a course.
pub async fn person(state: &AppState, user: &User, course: &Course) -> AppResult<Person> {
    let (passed, finished_attempts) = attempts(&state.db, user.id, course.id).await?;
    let holds_renewed_certificate = match course.renews_course_id {
        Some(renewed) => {
            certificates::store::latest_valid(&state.db, user.id, renewed, certificates::today())
                .await?
                .is_some()
        }
        None => false,
    };
    let study_missing_seconds = if course.study_before_booking {
        study::store::study_in_course(&state.db, user.id, course.id)
            .await?
            .missing_seconds()
    } else {
        0
    };
    Ok(Person {
        is_candidate: user.roles.contains(&crate::domain::Role::Candidate),
        enterprise_id: user.enterprise_id,
        passed,
        finished_attempts,
        holds_renewed_certificate,
        study_missing_seconds,
    })
}

/// The admission facts of someone a roster would create an account for.
pub async fn new_account(state: &AppState, course: &Course) -> AppResult<Person> {
    let owed = if course.study_before_booking {
        // Nobody new has studied: they owe the course's whole online study time.
        study::store::required_seconds(&state.db, course.id).await?
    } else {
        0
    };
    Ok(Person::new_account(owed))
}

/// Whether the person passed the course, and how many of their attempts at it ended.
async fn attempts(db: &Db, user_id: i64, course_id: i64) -> Result<(bool, i64), sqlx::Error> {
    let (passed, finished): (i64, i64) = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN status = 'graded' AND passed THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN status <> 'in_progress' THEN 1 ELSE 0 END), 0) \
             FROM attempts WHERE user_id = $1 AND course_id = $2",
        )
        .bind(user_id)
        .bind(course_id)
        .fetch_one(pool)
        .await?
    });
    Ok((passed > 0, finished))
}
