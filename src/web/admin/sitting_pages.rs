//! 考试场次: scheduling, a sitting's bookings, changing its time, place, seats and
//! proctors, and cancelling it.

use super::*;

/// A sitting's state as the bureau reads it.
fn status_label(status: SittingStatus) -> &'static str {
    match status {
        SittingStatus::Cancelled => "已取消",
        SittingStatus::Closed => "已结束",
        SittingStatus::Open => "考试进行中",
        SittingStatus::Scheduled => "未开始",
    }
}

/// The venue kind a form's `venue_kind` names.
fn venue_kind(value: &str) -> VenueKind {
    if value == "station" {
        VenueKind::Station
    } else {
        VenueKind::Online
    }
}

/// What to fix in a sitting form, for the field `sittings` refused.
fn invalid_message(field: &str) -> &'static str {
    match field {
        "ends_at" => "结束时间应晚于开始时间。",
        "capacity" => "座位数应为 1 到 100000。",
        "course_id" => "请选择课程。",
        f if f.starts_with("venue") => "线下考场请填写考场名称和地址。",
        f if f.starts_with("proctor") => "所选监考员不存在。",
        _ => "场次信息有误，请检查。",
    }
}

struct SittingRow {
    id: i64,
    course: String,
    window: String,
    venue: String,
    booked: i64,
    capacity: i64,
    status: &'static str,
    cancellable: bool,
}

struct CourseChoice {
    id: i64,
    title: String,
}

#[derive(Template)]
#[template(path = "admin_sittings.html")]
struct SittingsPage<'a> {
    layout: &'a Layout,
    sittings: Vec<SittingRow>,
    courses: Vec<CourseChoice>,
    total: i64,
    pager: Pager,
}

/// Sittings from a day ago on, soonest first, with the schedule form.
#[handler]
pub async fn sittings_list(
    req: &Request,
    Query(q): Query<PageQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau(state, req).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let page = q.page.unwrap_or(1).max(1);
    let now = Utc::now();
    let loaded = async {
        let (courses, _) = courses::store::list(&state.db, 500, 0).await?;
        let (sittings, total) = sittings::store::list(
            &state.db,
            None,
            Some(now - chrono::Duration::days(1)),
            PAGE,
            offset(page),
        )
        .await?;
        AppResult::Ok((courses, sittings, total))
    }
    .await;
    let (courses, sittings, total) = match loaded {
        Ok(l) => l,
        Err(e) => return refused(state, &layout, &e),
    };
    let titles: HashMap<i64, String> = courses.iter().map(|c| (c.id, c.title.clone())).collect();
    let rows = sittings
        .into_iter()
        .map(|s| {
            let status = s.status(now);
            SittingRow {
                id: s.id,
                course: titles.get(&s.course_id).cloned().unwrap_or_default(),
                window: format!("{} 至 {}", local(s.starts_at), local(s.ends_at)),
                venue: s.venue.describe(),
                booked: s.seats_taken,
                capacity: s.capacity,
                status: status_label(status),
                cancellable: status == SittingStatus::Scheduled,
            }
        })
        .collect();
    render(
        state,
        &layout,
        &SittingsPage {
            layout: &layout,
            sittings: rows,
            courses: courses
                .into_iter()
                .map(|c| CourseChoice {
                    id: c.id,
                    title: c.title,
                })
                .collect(),
            total,
            pager: Pager::new(page, pages(total), "/admin/sittings?page=", ""),
        },
    )
}

#[derive(serde::Deserialize)]
pub struct NewSittingForm {
    csrf: Option<String>,
    course_id: i64,
    /// `datetime-local`, Beijing time.
    starts_at: String,
    ends_at: String,
    capacity: i64,
    venue_kind: String,
    venue_name: Option<String>,
    venue_address: Option<String>,
}

/// A `datetime-local` value read as Beijing time.
fn beijing(text: &str) -> Option<chrono::DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M").ok()?;
    chrono::FixedOffset::east_opt(8 * 3600)?
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Schedules a sitting; registration opens now and closes when the window ends.
#[handler]
pub async fn create_sitting(
    req: &Request,
    Form(form): Form<NewSittingForm>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau_form(state, req, form.csrf.as_deref(), "/admin/sittings").await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let bad = |message: &str| {
        problem(
            state,
            &layout,
            StatusCode::UNPROCESSABLE_ENTITY,
            "场次信息有误",
            message.to_string(),
        )
    };
    let (Some(starts_at), Some(ends_at)) = (beijing(&form.starts_at), beijing(&form.ends_at))
    else {
        return bad("请填写考试开始和结束时间。");
    };
    let text = |t: &Option<String>| {
        t.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    let venue = Venue {
        kind: venue_kind(&form.venue_kind),
        name: text(&form.venue_name),
        address: text(&form.venue_address),
    };
    let plan = SittingPlan {
        course_id: form.course_id,
        starts_at,
        ends_at,
        capacity: form.capacity,
        venue,
        registration_opens_at: None,
        registration_closes_at: None,
        proctor_ids: Vec::new(),
    };
    match sittings::create(state, plan).await {
        Ok(_) => see_other("/admin/sittings"),
        Err(AppError::Invalid(invalid)) => bad(invalid_message(&invalid.field)),
        Err(e) => refused(state, &layout, &e),
    }
}

#[derive(serde::Deserialize)]
pub struct CancelForm {
    csrf: Option<String>,
    reason: String,
}

/// Cancels a sitting that has not started; its candidates are mailed.
#[handler]
pub async fn cancel_sitting(
    req: &Request,
    Path(id): Path<i64>,
    Form(form): Form<CancelForm>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau_form(state, req, form.csrf.as_deref(), "/admin/sittings").await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    match sittings::cancel(state, id, &form.reason).await {
        Ok(_) => see_other("/admin/sittings"),
        Err(AppError::Invalid(_)) => problem(
            state,
            &layout,
            StatusCode::UNPROCESSABLE_ENTITY,
            "请填写取消原因",
            "取消场次需要填写原因，考生会在邮件中看到它。".into(),
        ),
        Err(e) => refused(state, &layout, &e),
    }
}

struct BookingRow {
    seat: i64,
    name: String,
    status: &'static str,
    checked_in: bool,
}

struct ProctorChoice {
    id: i64,
    name: String,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "admin_sitting.html")]
struct SittingPage<'a> {
    layout: &'a Layout,
    id: i64,
    course: String,
    window: String,
    venue: String,
    status: &'static str,
    editable: bool,
    starts_at: String,
    ends_at: String,
    capacity: i64,
    venue_kind: &'static str,
    venue_name: String,
    venue_address: String,
    booked: i64,
    proctors: Vec<ProctorChoice>,
    bookings: Vec<BookingRow>,
    pager: Pager,
    notice: Option<&'static str>,
}

/// A `datetime-local` value for a moment, in Beijing time.
fn beijing_input(at: chrono::DateTime<Utc>) -> String {
    at.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

#[derive(serde::Deserialize)]
pub struct SittingQuery {
    page: Option<i64>,
    saved: Option<String>,
}

/// One sitting: its bookings a page at a time, the form to change its time, place, seats
/// and proctors (the booked candidates are mailed when the time or place changes).
#[handler]
pub async fn sitting_view(
    req: &Request,
    Path(id): Path<i64>,
    Query(q): Query<SittingQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau(state, req).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let page = q.page.unwrap_or(1).max(1);
    let loaded = async {
        let sitting = sittings::require(state, id).await?;
        let course = courses::require(state, sitting.course_id).await?;
        let (bookings, total) = crate::registrations::store::list(
            &state.db,
            crate::access::Scope::All,
            Some(id),
            PAGE,
            offset(page),
        )
        .await?;
        let booked_people: Vec<i64> = bookings.iter().map(|r| r.user_id).collect();
        let names = crate::accounts::store::names(&state.db, &booked_people).await?;
        let rows: Vec<BookingRow> = bookings
            .into_iter()
            .map(|r| BookingRow {
                seat: r.seat,
                name: names.get(&r.user_id).cloned().unwrap_or_default(),
                status: if r.booked { "已报名" } else { "已取消" },
                checked_in: r.checked_in_at.is_some(),
            })
            .collect();
        let proctors =
            crate::accounts::store::with_role(&state.db, crate::domain::Role::Proctor, 500).await?;
        AppResult::Ok((sitting, course, rows, total, proctors))
    }
    .await;
    let (sitting, course, bookings, total, proctors) = match loaded {
        Ok(l) => l,
        Err(e) => return refused(state, &layout, &e),
    };
    let status = sitting.status(Utc::now());
    render(
        state,
        &layout,
        &SittingPage {
            layout: &layout,
            id,
            course: course.title,
            window: format!("{} 至 {}", local(sitting.starts_at), local(sitting.ends_at)),
            venue: sitting.venue.describe(),
            status: status_label(status),
            editable: status == SittingStatus::Scheduled,
            starts_at: beijing_input(sitting.starts_at),
            ends_at: beijing_input(sitting.ends_at),
            capacity: sitting.capacity,
            venue_kind: match sitting.venue.kind {
                VenueKind::Online => "online",
                VenueKind::Station => "station",
            },
            venue_name: sitting.venue.name.clone().unwrap_or_default(),
            venue_address: sitting.venue.address.clone().unwrap_or_default(),
            booked: sitting.seats_taken,
            proctors: proctors
                .into_iter()
                .map(|(pid, name)| ProctorChoice {
                    id: pid,
                    name,
                    chosen: sitting.proctor_ids.contains(&pid),
                })
                .collect(),
            bookings,
            pager: Pager::new(
                page,
                pages(total),
                format!("/admin/sittings/{id}?page="),
                "",
            ),
            notice: q
                .saved
                .map(|_| "场次已更新；时间或地点有变时，已报名的考生会收到邮件。"),
        },
    )
}

/// Changes a sitting: time, place, seats and proctors. The form sends every field, so
/// unchecked proctors are removed.
#[handler]
pub async fn update_sitting(
    req: &Request,
    Path(id): Path<i64>,
    body: poem::Body,
    Data(state): Data<&AppState>,
) -> Response {
    // Repeated `proctor` fields: read the form as pairs.
    let bytes = body.into_vec().await.unwrap_or_default();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&bytes).into_owned().collect();
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let back = format!("/admin/sittings/{id}");
    let csrf = field("csrf");
    let (layout, _) = match bureau_form(state, req, Some(&csrf), &back).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let bad = |message: &str| {
        problem(
            state,
            &layout,
            StatusCode::UNPROCESSABLE_ENTITY,
            "场次信息有误",
            message.to_string(),
        )
    };
    let (Some(starts_at), Some(ends_at)) =
        (beijing(&field("starts_at")), beijing(&field("ends_at")))
    else {
        return bad("请填写考试开始和结束时间。");
    };
    let Ok(capacity) = field("capacity").parse::<i64>() else {
        return bad("座位数应为 1 到 100000。");
    };
    let text = |name: &str| Some(field(name)).filter(|t| !t.is_empty());
    let change = sittings::SittingChange {
        starts_at: Some(starts_at),
        ends_at: Some(ends_at),
        capacity: Some(capacity),
        venue: Some(Venue {
            kind: venue_kind(&field("venue_kind")),
            name: text("venue_name"),
            address: text("venue_address"),
        }),
        registration_opens_at: None,
        registration_closes_at: None,
        proctor_ids: Some(
            pairs
                .iter()
                .filter(|(k, _)| k == "proctor")
                .filter_map(|(_, v)| v.parse().ok())
                .collect(),
        ),
        force: false,
    };
    match sittings::update(state, id, change).await {
        Ok(_) => see_other(&format!("/admin/sittings/{id}?saved=1")),
        Err(AppError::Invalid(invalid)) => bad(invalid_message(&invalid.field)),
        Err(AppError::Conflict {
            code: "capacity_below_bookings",
            ..
        }) => bad("座位数少于已报名人数：请先取消多出的报名，或保留更多座位。"),
        Err(e) => refused(state, &layout, &e),
    }
}
