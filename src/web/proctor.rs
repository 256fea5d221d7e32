//! 监考: a proctor's live view of one sitting. Each attempt is a row: who, status, answered,
//! time left, last seen, with controls to give more time or end the attempt. The page script
//! (`assets/proctor.js`) polls `GET /api/v1/sittings/{id}/live` every few seconds and calls
//! the extend and terminate operations of the JSON API with the session cookie; who may see
//! and do this is decided by `exam` (the sitting's proctors and the bureau).

use super::{Layout, form_sender, local, problem, refused, render, to_login};
use crate::{
    AppState, courses,
    exam::{self, AttemptStatus},
    sittings,
};
use askama::Template;
use chrono::Utc;
use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Data, Form, Path},
};

struct Row {
    attempt_id: i64,
    name: String,
    status: &'static str,
    in_progress: bool,
    answered: usize,
    remaining_seconds: i64,
    remaining: String,
    last_seen: String,
    left_page: i64,
    reconnects: i64,
}

#[derive(Template)]
#[template(path = "proctor.html")]
struct ProctorPage<'a> {
    layout: &'a Layout,
    sitting_id: i64,
    course: String,
    venue: String,
    window: String,
    questions: u32,
    rows: Vec<Row>,
}

/// The status as the proctor reads it.
fn status_label(status: AttemptStatus) -> &'static str {
    match status {
        AttemptStatus::InProgress => "作答中",
        AttemptStatus::Graded => "已交卷",
        AttemptStatus::Terminated => "已终止",
    }
}

/// The time of day in Beijing, as the roster's script writes it too.
fn china_clock(at: chrono::DateTime<Utc>) -> String {
    at.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .format("%H:%M:%S")
        .to_string()
}

/// 00:00 style, as a countdown.
fn clock(seconds: i64) -> String {
    let s = seconds.max(0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

#[handler]
pub async fn live(req: &Request, Path(id): Path<i64>, Data(state): Data<&AppState>) -> Response {
    let layout = Layout::of(state, req).await;
    let Some(caller) = layout.user.clone() else {
        return to_login(req);
    };
    // The roster checks who may see it (and answers 403 to others) before anything is shown.
    let roster = match exam::live_roster(state, &caller, id).await {
        Ok(roster) => roster,
        Err(e) => return refused(state, &layout, &e),
    };
    let (sitting, course) = match sittings::require(state, id).await {
        Ok(s) => match courses::require(state, s.course_id).await {
            Ok(c) => (s, c),
            Err(e) => return refused(state, &layout, &e),
        },
        Err(e) => return refused(state, &layout, &e),
    };
    let now = Utc::now();
    let rows = roster
        .into_iter()
        .map(|r| {
            let in_progress = r.attempt.status == AttemptStatus::InProgress;
            let remaining_seconds = if in_progress {
                (r.attempt.deadline - now).num_seconds().max(0)
            } else {
                0
            };
            Row {
                attempt_id: r.attempt.id,
                name: r.name,
                status: status_label(r.attempt.status),
                in_progress,
                answered: r.answered,
                remaining_seconds,
                remaining: clock(remaining_seconds),
                last_seen: r.last_seen.map(china_clock).unwrap_or_else(|| "—".into()),
                left_page: r.left_page,
                reconnects: r.reconnects,
            }
        })
        .collect();
    let questions = course.blueprint.question_count();
    render(
        state,
        &layout,
        &ProctorPage {
            layout: &layout,
            sitting_id: sitting.id,
            course: course.title,
            venue: sitting.venue.describe(),
            window: format!("{} 至 {}", local(sitting.starts_at), local(sitting.ends_at)),
            questions,
            rows,
        },
    )
}

struct SittingRow {
    id: i64,
    course: String,
    venue: String,
    window: String,
    booked: i64,
    open_now: bool,
}

#[derive(Template)]
#[template(path = "proctor_sittings.html")]
struct SittingsPage<'a> {
    layout: &'a Layout,
    sittings: Vec<SittingRow>,
}

/// 监考场次: the sittings this person proctors (the bureau: all), each with a link to its
/// live view.
#[handler]
pub async fn sittings_list(req: &Request, Data(state): Data<&AppState>) -> Response {
    let layout = Layout::of(state, req).await;
    let Some(caller) = layout.user.clone() else {
        return to_login(req);
    };
    let overseen = match sittings::overseen_by(state, &caller).await {
        Ok(s) => s,
        Err(e) => return refused(state, &layout, &e),
    };
    let now = Utc::now();
    let mut titles = std::collections::HashMap::new();
    let mut rows = Vec::with_capacity(overseen.len());
    for s in overseen {
        if let std::collections::hash_map::Entry::Vacant(slot) = titles.entry(s.course_id) {
            match courses::require(state, s.course_id).await {
                Ok(c) => slot.insert(c.title),
                Err(e) => return refused(state, &layout, &e),
            };
        }
        rows.push(SittingRow {
            id: s.id,
            course: titles[&s.course_id].clone(),
            venue: s.venue.describe(),
            window: format!("{} 至 {}", local(s.starts_at), local(s.ends_at)),
            booked: s.seats_taken,
            open_now: s.status(now) == sittings::SittingStatus::Open,
        });
    }
    render(
        state,
        &layout,
        &SittingsPage {
            layout: &layout,
            sittings: rows,
        },
    )
}

/// 入场核验: the person behind a ticket, as the proctor at the door sees them.
#[derive(Template)]
#[template(path = "proctor_ticket.html")]
struct TicketPage<'a> {
    layout: &'a Layout,
    sitting_id: i64,
    course: String,
    registration_id: i64,
    name: String,
    id_masked: String,
    seat: i64,
    ticket_number: String,
    booked: bool,
    checked_in: Option<String>,
    practical_required: bool,
    /// The practical assessment recorded so far: (passed, notes, when).
    practical: Option<(bool, String, String)>,
    notice: Option<&'static str>,
}

async fn ticket_page(
    state: &AppState,
    layout: &Layout,
    found: crate::registrations::TicketCheck,
    notice: Option<&'static str>,
) -> Response {
    let loaded = async {
        let course = courses::require(state, found.sitting.course_id).await?;
        let practical = exam::store::practical(&state.db, found.registration.id).await?;
        crate::error::AppResult::Ok((course, practical))
    }
    .await;
    let (course, practical) = match loaded {
        Ok(l) => l,
        Err(e) => return refused(state, layout, &e),
    };
    let r = &found.registration;
    render(
        state,
        layout,
        &TicketPage {
            layout,
            sitting_id: found.sitting.id,
            course: course.title,
            registration_id: r.id,
            name: found.person.name.clone(),
            id_masked: found.person.id_number_masked.clone().unwrap_or_default(),
            seat: r.seat,
            ticket_number: sittings::ticket_number(found.sitting.starts_at, r.id),
            booked: r.booked,
            checked_in: r.checked_in_at.map(china_clock),
            practical_required: course.practical_required,
            practical: practical
                .map(|(passed, notes, at)| (passed, notes.unwrap_or_default(), china_clock(at))),
            notice,
        },
    )
}

#[derive(serde::Deserialize)]
pub struct TicketForm {
    csrf: Option<String>,
    code: String,
}

/// Looks up the ticket scanned or typed at the door of a sitting.
#[handler]
pub async fn check_ticket(
    req: &Request,
    Path(id): Path<i64>,
    Form(form): Form<TicketForm>,
    Data(state): Data<&AppState>,
) -> Response {
    let back = format!("/proctor/sittings/{id}");
    let (layout, caller) = match form_sender(state, req, form.csrf.as_deref(), &back).await {
        Ok(sender) => sender,
        Err(resp) => return resp,
    };
    match crate::registrations::check_ticket(state, &caller, &form.code, Some(id)).await {
        Ok(found) => ticket_page(state, &layout, found, None).await,
        Err(crate::error::AppError::NotFound { .. }) => problem(
            state,
            &layout,
            StatusCode::NOT_FOUND,
            "查无此准考证",
            "本场次没有这张准考证：请核对准考证号，或确认考生来对了场次。".into(),
        ),
        Err(e) => refused(state, &layout, &e),
    }
}

#[derive(serde::Deserialize)]
pub struct CheckInForm {
    csrf: Option<String>,
}

/// The ticket page of a registration the caller oversees, after a change.
async fn ticket_after(
    state: &AppState,
    layout: &Layout,
    registration: crate::registrations::Registration,
    notice: &'static str,
) -> Response {
    let found = async {
        let person = crate::accounts::require_user(state, registration.user_id).await?;
        let sitting = sittings::require(state, registration.sitting_id).await?;
        crate::error::AppResult::Ok(crate::registrations::TicketCheck {
            registration,
            person,
            sitting,
        })
    }
    .await;
    match found {
        Ok(found) => ticket_page(state, layout, found, Some(notice)).await,
        Err(e) => refused(state, layout, &e),
    }
}

/// Checks the candidate in (确认入场).
#[handler]
pub async fn check_in(
    req: &Request,
    Path(id): Path<i64>,
    Form(form): Form<CheckInForm>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, caller) = match form_sender(state, req, form.csrf.as_deref(), "/proctor").await {
        Ok(sender) => sender,
        Err(resp) => return resp,
    };
    match crate::registrations::check_in(state, &caller, id).await {
        Ok(r) => ticket_after(state, &layout, r, "已确认入场。").await,
        Err(e) => refused(state, &layout, &e),
    }
}

#[derive(serde::Deserialize)]
pub struct PracticalForm {
    csrf: Option<String>,
    /// `pass` or `fail`.
    result: String,
    notes: Option<String>,
}

/// Records the practical assessment (CPR, AED on a manikin): pass or fail, with notes.
#[handler]
pub async fn record_practical(
    req: &Request,
    Path(id): Path<i64>,
    Form(form): Form<PracticalForm>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, caller) = match form_sender(state, req, form.csrf.as_deref(), "/proctor").await {
        Ok(sender) => sender,
        Err(resp) => return resp,
    };
    let passed = match form.result.as_str() {
        "pass" => true,
        "fail" => false,
        _ => {
            return problem(
                state,
                &layout,
                StatusCode::UNPROCESSABLE_ENTITY,
                "请选择结果",
                "请选择实操考核“合格”或“不合格”。".into(),
            );
        }
    };
    let notes = form
        .notes
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if let Err(e) = exam::record_practical(state, &caller, id, passed, notes).await {
        return refused(state, &layout, &e);
    }
    match crate::registrations::store::registration(&state.db, id).await {
        Ok(Some(r)) => ticket_after(state, &layout, r, "实操考核结果已记录。").await,
        Ok(None) => refused(
            state,
            &layout,
            &crate::error::AppError::not_found("registration_not_found", "no such registration"),
        ),
        Err(e) => refused(state, &layout, &e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::clock;

    #[test]
    fn the_countdown_reads_as_a_clock() {
        assert_eq!(clock(0), "00:00");
        assert_eq!(clock(-5), "00:00");
        assert_eq!(clock(65), "01:05");
        assert_eq!(clock(3599), "59:59");
        assert_eq!(clock(3600 + 61), "1:01:01");
    }
}
