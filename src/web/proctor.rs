//! 监考: a proctor's live view of one sitting. Each attempt is a row: who, status, answered,
//! time left, last seen, with controls to give more time or end the attempt. The page script
//! (`assets/proctor.js`) polls `GET /api/v1/sittings/{id}/live` every few seconds and calls
//! the extend and terminate operations of the JSON API with the session cookie; who may see
//! and do this is decided by `exam` (the sitting's proctors and the bureau).

use super::{Layout, local, refused, render, to_login};
use crate::{
    AppState, courses,
    exam::{self, AttemptStatus},
    sittings,
};
use askama::Template;
use chrono::Utc;
use poem::{
    Request, Response, handler,
    web::{Data, Path},
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
