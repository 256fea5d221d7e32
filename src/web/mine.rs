//! 我的: a person's bookings, results and certificates.

use super::{Layout, local, messages, render, session};
use crate::{
    AppState,
    access::Scope,
    certificates::{self, CertificateStatus},
    courses,
    error::AppResult,
    exam::{self, AttemptStatus},
    registrations,
    sittings::{self, SittingStatus},
};
use askama::Template;
use chrono::Utc;
use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    web::{Data, Form, Path, Redirect},
};

struct BookingRow {
    id: i64,
    sitting_id: i64,
    course: String,
    starts: String,
    ends: String,
    venue: String,
    state: &'static str,
    /// Inside the window with the attempt not finished: the way into the exam.
    can_start: bool,
    /// Started already: the link says 继续考试.
    started: bool,
    can_cancel: bool,
}

struct ResultRow {
    attempt_id: i64,
    course: String,
    finished: String,
    score: String,
    max_score: String,
    passed: bool,
    terminated: bool,
}

struct CertificateRow {
    id: i64,
    number: String,
    course: String,
    issued: String,
    expires: String,
    state: &'static str,
    verify_code: String,
}

/// A course with online lessons and the person's hours in it.
struct StudyRow {
    course_id: i64,
    course: String,
    done: String,
    left: String,
    complete: bool,
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage<'a> {
    layout: &'a Layout,
    bookings: Vec<BookingRow>,
    results: Vec<ResultRow>,
    certificates: Vec<CertificateRow>,
    study: Vec<StudyRow>,
    notice: Option<String>,
}

/// Scores as people write them: 85, 85.5.
pub fn score_text(score: f64) -> String {
    let rounded = (score * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

#[handler]
pub async fn me(req: &Request, Data(state): Data<&AppState>) -> Response {
    let layout = Layout::of(state, req).await;
    if layout.user.is_none() {
        return super::to_login(req);
    }
    match me_page(state, &layout, None).await {
        Ok(resp) => resp,
        Err(e) => super::refused(state, &layout, &e),
    }
}

async fn me_page(state: &AppState, layout: &Layout, notice: Option<String>) -> AppResult<Response> {
    let caller = layout.user.as_ref().expect("checked by the handler");
    let now = Utc::now();
    let (regs, _) =
        registrations::store::list(&state.db, Scope::Own(caller.user_id), None, 100, 0).await?;
    let mut bookings = Vec::new();
    let mut results = Vec::new();
    for reg in regs.iter().filter(|r| r.user_id == caller.user_id) {
        let sitting = sittings::require(state, reg.sitting_id).await?;
        let course = courses::require(state, sitting.course_id).await?;
        let attempt = exam::store::attempt_for_registration(&state.db, reg.id).await?;
        if let Some(a) = &attempt
            && a.status != AttemptStatus::InProgress
        {
            results.push(ResultRow {
                attempt_id: a.id,
                course: course.title.clone(),
                finished: a.finished_at.map(local).unwrap_or_default(),
                score: score_text(a.score.unwrap_or(0.0)),
                max_score: score_text(a.max_score),
                passed: a.passed.unwrap_or(false),
                terminated: a.status == AttemptStatus::Terminated,
            });
        }
        if !reg.booked {
            continue;
        }
        let status = sitting.status(now);
        let in_progress = attempt
            .as_ref()
            .is_some_and(|a| a.status == AttemptStatus::InProgress);
        let finished = attempt.is_some() && !in_progress;
        bookings.push(BookingRow {
            id: reg.id,
            sitting_id: sitting.id,
            course: course.title.clone(),
            starts: local(sitting.starts_at),
            ends: local(sitting.ends_at),
            venue: sitting.venue.describe(),
            state: match (status, finished) {
                (_, true) => "已交卷",
                (SittingStatus::Open, false) => "考试进行中",
                (SittingStatus::Scheduled, _) => "待考试",
                (SittingStatus::Closed, _) => "已结束",
                (SittingStatus::Cancelled, _) => "场次已取消",
            },
            can_start: status == SittingStatus::Open && !finished,
            started: in_progress,
            can_cancel: status == SittingStatus::Scheduled,
        });
    }
    let (certs, _) =
        certificates::store::list(&state.db, Scope::Own(caller.user_id), None, 100, 0).await?;
    let today = certificates::today();
    let mut certificate_rows = Vec::new();
    for c in certs {
        let course = courses::require(state, c.course_id).await?;
        certificate_rows.push(CertificateRow {
            id: c.id,
            number: c.number.clone(),
            course: course.title,
            issued: c.issued_on.format("%Y年%m月%d日").to_string(),
            expires: c.expires_on.format("%Y年%m月%d日").to_string(),
            state: match c.status(today) {
                CertificateStatus::Valid => "有效",
                CertificateStatus::Expired => "已过期",
                CertificateStatus::Revoked => "已撤销",
            },
            verify_code: c.verify_code,
        });
    }
    let mut study = Vec::new();
    for c in crate::study::store::study_by_course(&state.db, caller.user_id).await? {
        // Courses not begun are on the study page; here, what the person has under way.
        if c.credited_seconds == 0 {
            continue;
        }
        study.push(StudyRow {
            course_id: c.course_id,
            course: courses::require(state, c.course_id).await?.title,
            done: crate::study::hours_text(c.credited_seconds),
            left: crate::study::hours_left_text(c.missing_seconds()),
            complete: c.missing_seconds() == 0,
        });
    }
    Ok(render(
        state,
        layout,
        &MePage {
            layout,
            bookings,
            results,
            certificates: certificate_rows,
            study,
            notice,
        },
    ))
}

/// Cancels one of the person's bookings before its window (`registrations::cancel`).
#[handler]
pub async fn cancel(
    req: &Request,
    Data(state): Data<&AppState>,
    Path(id): Path<i64>,
    Form(form): Form<session::CsrfForm>,
) -> Response {
    let (layout, caller) = match super::form_sender(state, req, form.csrf.as_deref(), "/me").await {
        Ok(sender) => sender,
        Err(resp) => return resp,
    };
    match registrations::cancel(state, &caller, id).await {
        Ok(_) => Redirect::see_other("/me").into_response(),
        // Too late and the like: my page again, saying why.
        Err(e @ crate::error::AppError::Conflict { .. }) => {
            match me_page(state, &layout, Some(messages::for_error(&e))).await {
                Ok(mut resp) => {
                    resp.set_status(StatusCode::CONFLICT);
                    resp
                }
                Err(e) => super::refused(state, &layout, &e),
            }
        }
        Err(e) => super::refused(state, &layout, &e),
    }
}
