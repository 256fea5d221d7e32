//! The home page and the sittings open for booking.

use super::{Layout, local, messages, render, session};
use crate::{
    AppState, accounts, admission,
    courses::{self, Course},
    registrations,
    sittings::{self, Sitting, SittingStatus, VenueKind},
};
use askama::Template;
use chrono::{NaiveDate, TimeZone, Utc};
use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    web::{Data, Form, Path, Query, Redirect},
};
use serde::Deserialize;
use std::collections::HashMap;

/// A sitting as the lists show it.
struct SittingRow {
    id: i64,
    course: String,
    category: &'static str,
    starts: String,
    ends: String,
    venue: String,
    online: bool,
    seats_left: i64,
    capacity: i64,
    state: &'static str,
    /// The signed-in person may book it now.
    bookable: bool,
    /// Why not, when they are signed in and may not.
    refusal: Option<String>,
    booked: bool,
}

fn category_label(course: &Course) -> &'static str {
    super::messages::category(course.category)
}

/// The courses by id, read once per page.
async fn course_map(state: &AppState) -> crate::error::AppResult<HashMap<i64, Course>> {
    let (all, _) = courses::store::list(&state.db, 500, 0).await?;
    Ok(all.into_iter().map(|c| (c.id, c)).collect())
}

fn row(sitting: &Sitting, course: Option<&Course>) -> SittingRow {
    let now = Utc::now();
    let state = match sitting.status(now) {
        SittingStatus::Cancelled => "已取消",
        SittingStatus::Closed => "已结束",
        SittingStatus::Open => "考试进行中",
        SittingStatus::Scheduled if sitting.registration_open(now) => "报名中",
        SittingStatus::Scheduled => "未开放报名",
    };
    SittingRow {
        id: sitting.id,
        course: course.map(|c| c.title.clone()).unwrap_or_default(),
        category: course.map(category_label).unwrap_or(""),
        starts: local(sitting.starts_at),
        ends: local(sitting.ends_at),
        venue: sitting.venue.describe(),
        online: sitting.venue.kind == VenueKind::Online,
        seats_left: sitting.seats_left(),
        capacity: sitting.capacity,
        state,
        bookable: false,
        refusal: None,
        booked: false,
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    layout: &'a Layout,
    upcoming: Vec<SittingRow>,
}

#[handler]
pub async fn home(req: &Request, Data(state): Data<&AppState>) -> Response {
    let layout = Layout::of(state, req).await;
    let upcoming = async {
        let courses = course_map(state).await?;
        let (items, _) = sittings::store::list(&state.db, None, Some(Utc::now()), 6, 0).await?;
        crate::error::AppResult::Ok(
            items
                .iter()
                .filter(|s| s.cancelled_at.is_none())
                .map(|s| row(s, courses.get(&s.course_id)))
                .collect::<Vec<_>>(),
        )
    }
    .await;
    match upcoming {
        Ok(upcoming) => render(
            state,
            &layout,
            &HomePage {
                layout: &layout,
                upcoming,
            },
        ),
        Err(e) => super::refused(state, &layout, &e),
    }
}

#[derive(Deserialize, Default)]
pub struct Filter {
    course: Option<String>,
    /// Sittings starting on or after this day (YYYY-MM-DD).
    from: Option<String>,
    /// `online` or `station`.
    venue: Option<String>,
    /// A message to show after a booking.
    booked: Option<i64>,
}

struct CourseOption {
    id: i64,
    title: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "sittings.html")]
struct SittingsPage<'a> {
    layout: &'a Layout,
    rows: Vec<SittingRow>,
    courses: Vec<CourseOption>,
    from: String,
    venue: String,
    notice: Option<String>,
    error: Option<String>,
}

#[handler]
pub async fn sittings_list(
    req: &Request,
    Data(state): Data<&AppState>,
    Query(filter): Query<Filter>,
) -> Response {
    let layout = Layout::of(state, req).await;
    match sittings_page(state, &layout, &filter, None).await {
        Ok(resp) => resp,
        Err(e) => super::refused(state, &layout, &e),
    }
}

async fn sittings_page(
    state: &AppState,
    layout: &Layout,
    filter: &Filter,
    error: Option<String>,
) -> crate::error::AppResult<Response> {
    let courses = course_map(state).await?;
    let course_id = filter.course.as_deref().and_then(|c| c.parse::<i64>().ok());
    let from_day = filter
        .from
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    // A day is a Beijing day.
    let from = from_day
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| {
            chrono::FixedOffset::east_opt(8 * 3600)
                .and_then(|tz| tz.from_local_datetime(&t).single())
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(Utc::now)
        .max(Utc::now());
    let venue = match filter.venue.as_deref() {
        Some("online") => Some(VenueKind::Online),
        Some("station") => Some(VenueKind::Station),
        _ => None,
    };
    let (items, _) = sittings::store::list(&state.db, course_id, Some(from), 200, 0).await?;
    let listed: Vec<&Sitting> = items
        .iter()
        .filter(|s| s.cancelled_at.is_none())
        .filter(|s| from_day.is_none() || s.starts_at >= from)
        .filter(|s| venue.is_none_or(|v| s.venue.kind == v))
        .collect();
    let mut rows = Vec::with_capacity(listed.len());
    // Whether the signed-in person may book: the admission policy, as the booking will ask it.
    let me = match &layout.user {
        Some(caller) => Some(accounts::require_user(state, caller.user_id).await?),
        None => None,
    };
    let mut facts: HashMap<i64, admission::Person> = HashMap::new();
    let now = Utc::now();
    for sitting in listed {
        let course = courses.get(&sitting.course_id);
        let mut r = row(sitting, course);
        if let (Some(me), Some(course)) = (&me, course) {
            let booked = registrations::store::for_user_in_sitting(&state.db, sitting.id, me.id)
                .await?
                .is_some_and(|reg| reg.booked);
            let person = match facts.get(&course.id) {
                Some(p) => p.clone(),
                None => {
                    let p = admission::facts::person(state, me, course).await?;
                    facts.insert(course.id, p.clone());
                    p
                }
            };
            r.booked = booked;
            match admission::admit(admission::Booker::Themself, sitting, course, &person, now) {
                Ok(()) => r.bookable = !booked,
                Err(refusal) if !booked => r.refusal = Some(refusal.message()),
                Err(_) => {}
            }
        }
        rows.push(r);
    }
    let notice = filter
        .booked
        .map(|_| "报名成功！准考证可在“我的”页面下载。".to_string());
    let mut course_options: Vec<CourseOption> = courses
        .values()
        .map(|c| CourseOption {
            id: c.id,
            title: c.title.clone(),
            selected: Some(c.id) == course_id,
        })
        .collect();
    course_options.sort_by_key(|c| c.id);
    let page = SittingsPage {
        layout,
        rows,
        courses: course_options,
        from: from_day.map(|d| d.to_string()).unwrap_or_default(),
        venue: filter.venue.clone().unwrap_or_default(),
        notice,
        error: error.clone(),
    };
    let status = if error.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    Ok(super::render_with(state, layout, status, &page))
}

/// Books the signed-in person's seat (`registrations::book`, as the API does).
#[handler]
pub async fn book(
    req: &Request,
    Data(state): Data<&AppState>,
    Path(id): Path<i64>,
    Form(form): Form<session::CsrfForm>,
) -> Response {
    let (layout, caller) =
        match super::form_sender(state, req, form.csrf.as_deref(), "/sittings").await {
            Ok(sender) => sender,
            Err(resp) => return resp,
        };
    match registrations::book(state, &caller, id, None).await {
        Ok(_) => Redirect::see_other(format!("/sittings?booked={id}")).into_response(),
        Err(e) => {
            let message = messages::for_error(&e);
            match sittings_page(state, &layout, &Filter::default(), Some(message)).await {
                Ok(resp) => resp,
                Err(e) => super::refused(state, &layout, &e),
            }
        }
    }
}
