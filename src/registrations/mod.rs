//! Registrations (报名): a seat for a person in a sitting, booked by themself, by their
//! enterprise (one person or a whole roster, see [`roster`]) or by the bureau; cancellable
//! until the window opens. Owns `registrations` and the reminders queued for them.

pub mod roster;
pub mod store;

use crate::{
    AppState, access,
    accounts::{self, User},
    admission::{self, Booker},
    auth::Caller,
    courses,
    domain::Role,
    error::{AppError, AppResult},
    mail::{OutgoingMail, templates},
    sittings::{self, Sitting},
};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, FixedOffset, Utc};
use store::{BookError, Booked, Booking};

#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    pub id: i64,
    pub sitting_id: i64,
    pub user_id: i64,
    pub seat: i64,
    pub booked: bool,
    pub enterprise_id: Option<i64>,
    pub booked_by: i64,
    pub check_code: String,
    pub created_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When a proctor checked the candidate in at the exam room (入场核验).
    pub checked_in_at: Option<DateTime<Utc>>,
}

/// An unguessable code for the ticket's QR code.
pub fn new_check_code() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The confirmation mail for a booking, once its id and seat are known.
pub fn confirmation(
    state: &AppState,
    sitting: &Sitting,
    course_title: &str,
    user: &User,
    registration_id: i64,
    seat: i64,
) -> Option<OutgoingMail> {
    let email = user.email.as_deref()?;
    Some(templates::registration_confirmed(
        &templates::BookingFacts {
            registration_id,
            name: &user.name,
            email,
            course_title,
            starts_at: sitting.starts_at,
            ends_at: sitting.ends_at,
            venue: &sitting.venue.describe(),
            seat,
            ticket_number: &sittings::ticket_number(sitting.starts_at, registration_id),
            base_url: &state.config.public_base_url,
        },
    ))
}

/// What booking one person returns.
pub enum BookOutcome {
    Created(Registration),
    Existing(Registration),
}

/// Books `user_id` (or the caller) into a sitting. A candidate books themself, an
/// enterprise admin their own staff, the bureau anyone.
pub async fn book(
    state: &AppState,
    caller: &Caller,
    sitting_id: i64,
    user_id: Option<i64>,
) -> AppResult<BookOutcome> {
    let user_id = user_id.unwrap_or(caller.user_id);
    let sitting = sittings::require(state, sitting_id).await?;
    let person = accounts::require_user(state, user_id)
        .await
        .map_err(|_| AppError::invalid("user_id", "没有这个用户"))?;
    let booker = if caller.user_id == user_id {
        Booker::Themself
    } else if caller.is_bureau() {
        Booker::Bureau
    } else if caller.has(Role::EnterpriseAdmin)
        && let Some(own) = caller.enterprise_id
    {
        Booker::Enterprise(own)
    } else {
        return Err(admission::Refusal::NotTheirs.into());
    };
    let enterprise_id = match booker {
        Booker::Themself => None,
        Booker::Bureau => person.enterprise_id,
        Booker::Enterprise(own) | Booker::Roster(own) => Some(own),
    };
    let course = courses::require(state, sitting.course_id).await?;
    let facts = admission::facts::person(state, &person, &course).await?;
    admission::may_book(booker, &facts)?;
    // Booking again is a no-op, whatever has happened since.
    if let Some(existing) = store::for_user_in_sitting(&state.db, sitting_id, user_id).await?
        && existing.booked
    {
        return Ok(BookOutcome::Existing(existing));
    }
    let now = Utc::now();
    admission::admit(booker, &sitting, &course, &facts, now)?;
    let booking = Booking {
        person: store::Person::Known(user_id),
        enterprise_id,
        check_code: new_check_code(),
        mail: Box::new(|id, seat| {
            confirmation(state, &sitting, &course.title, &person, id, seat)
                .into_iter()
                .collect()
        }),
    };
    match store::book_all(
        &state.db,
        sitting_id,
        caller.user_id,
        std::slice::from_ref(&booking),
        &[],
        now,
    )
    .await
    {
        Ok(mut booked) => match booked.pop() {
            Some(Booked::New(r)) => Ok(BookOutcome::Created(r)),
            Some(Booked::Existing(r)) => Ok(BookOutcome::Existing(r)),
            None => Err(AppError::Internal(anyhow::anyhow!(
                "booking returned nothing"
            ))),
        },
        Err(e) => Err(book_error(e)),
    }
}

/// A booking transaction's refusal: the same rules as [`admission`], checked again under the
/// sitting's lock.
pub fn book_error(e: BookError) -> AppError {
    match e {
        BookError::Full { seats_left } => admission::Refusal::Full { seats_left }.into(),
        BookError::Gone => admission::Refusal::SittingCancelled.into(),
        BookError::Db(e) => e.into(),
    }
}

/// Whether `caller` may see or act on `registration` of `person`: the person, the bureau, or
/// the admin of the enterprise that booked it or that the person belongs to.
pub fn may_access(caller: &Caller, registration: &Registration, person: &User) -> bool {
    access::sees_person(
        caller,
        registration.user_id,
        [registration.enterprise_id, person.enterprise_id],
    )
}

/// What a proctor sees on checking a ticket: the booking, the person (their ID number
/// masked) and the sitting.
pub struct TicketCheck {
    pub registration: Registration,
    pub person: User,
    pub sitting: Sitting,
}

/// Looks a ticket up by the code in its QR code (or, at a sitting's desk, by its printed
/// 准考证号), for the proctors of its sitting and the bureau; to everyone else, and for
/// `sitting_id` other than the ticket's, no such ticket.
pub async fn check_ticket(
    state: &AppState,
    caller: &Caller,
    code: &str,
    sitting_id: Option<i64>,
) -> AppResult<TicketCheck> {
    let not_found = || AppError::not_found("ticket_not_found", "no such ticket");
    // A scanner types the QR code's whole URL; the code is its last part.
    let code = code.trim().rsplit('/').next().unwrap_or_default();
    let by_number = match sitting_id {
        // Typed at a sitting's desk: the 准考证号 printed on the ticket (date and number).
        Some(_) if code.len() >= 14 && code.bytes().all(|b| b.is_ascii_digit()) => {
            match code[8..].parse::<i64>() {
                Ok(id) => store::registration(&state.db, id).await?,
                Err(_) => None,
            }
        }
        _ => None,
    };
    let typed_number = by_number.is_some();
    let registration = match by_number {
        Some(r) => Some(r),
        None => store::by_check_code(&state.db, code).await?,
    }
    .filter(|r| sitting_id.is_none_or(|s| s == r.sitting_id))
    .ok_or_else(not_found)?;
    if !crate::access::oversees_sitting(&state.db, caller, registration.sitting_id).await? {
        return Err(not_found());
    }
    let sitting = sittings::require(state, registration.sitting_id).await?;
    if typed_number && sittings::ticket_number(sitting.starts_at, registration.id) != code {
        return Err(not_found());
    }
    let person = accounts::require_user(state, registration.user_id).await?;
    Ok(TicketCheck {
        registration,
        person,
        sitting,
    })
}

/// Checks a candidate in at the exam room (the sitting's proctors, the bureau). A cancelled
/// booking is refused; checking in twice keeps the first time.
pub async fn check_in(state: &AppState, caller: &Caller, id: i64) -> AppResult<Registration> {
    let not_found = || AppError::not_found("registration_not_found", "no such registration");
    let registration = store::registration(&state.db, id)
        .await?
        .ok_or_else(not_found)?;
    if !crate::access::oversees_sitting(&state.db, caller, registration.sitting_id).await? {
        return Err(not_found());
    }
    if !registration.booked {
        return Err(AppError::conflict(
            "registration_cancelled",
            None,
            "该报名已取消，不能入场",
        ));
    }
    store::check_in(&state.db, id, caller.user_id, Utc::now())
        .await?
        .ok_or_else(not_found)
}

/// Loads a registration the caller may see; others get the same 404 as a missing one.
pub async fn require_visible(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> AppResult<(Registration, User)> {
    let not_found = || AppError::not_found("registration_not_found", "no such registration");
    let registration = store::registration(&state.db, id)
        .await?
        .ok_or_else(not_found)?;
    let person = accounts::require_user(state, registration.user_id).await?;
    if may_access(caller, &registration, &person)
        || access::proctors(&state.db, caller, registration.sitting_id).await?
    {
        Ok((registration, person))
    } else {
        Err(not_found())
    }
}

/// Cancels a booking before the exam window opens; the candidate is mailed.
pub async fn cancel(state: &AppState, caller: &Caller, id: i64) -> AppResult<Registration> {
    let (registration, person) = require_visible(state, caller, id).await?;
    if !may_access(caller, &registration, &person) {
        return Err(AppError::forbidden(
            "only the candidate, their enterprise or the bureau may cancel",
        ));
    }
    if !registration.booked {
        return Ok(registration);
    }
    let sitting = sittings::require(state, registration.sitting_id).await?;
    let now = Utc::now();
    if now >= sitting.starts_at {
        return Err(AppError::conflict(
            "too_late_to_cancel",
            None,
            "a booking can be cancelled only before the exam window opens",
        ));
    }
    let course = courses::require(state, sitting.course_id).await?;
    let mail = person.email.as_deref().map(|email| {
        templates::registration_cancelled(
            &templates::BookingFacts {
                registration_id: registration.id,
                name: &person.name,
                email,
                course_title: &course.title,
                starts_at: sitting.starts_at,
                ends_at: sitting.ends_at,
                venue: &sitting.venue.describe(),
                seat: registration.seat,
                ticket_number: &sittings::ticket_number(sitting.starts_at, registration.id),
                base_url: &state.config.public_base_url,
            },
            if caller.user_id == person.id {
                "本人取消"
            } else {
                "由报名单位或管理部门取消"
            },
        )
    });
    store::cancel(&state.db, id, mail.as_ref(), now).await?;
    store::registration(&state.db, id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("registration {id} vanished")))
}

/// Queues the 24-hour reminder for every booking in a sitting that starts within a day
/// (each reminder once: the outbox's dedupe key).
pub async fn enqueue_due_reminders(state: &AppState) -> AppResult<usize> {
    let now = Utc::now();
    let due = store::upcoming(&state.db, now, now + chrono::Duration::hours(24)).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut mails = Vec::with_capacity(due.len());
    let mut cache: std::collections::HashMap<i64, (Sitting, String)> =
        std::collections::HashMap::new();
    for d in &due {
        if let std::collections::hash_map::Entry::Vacant(slot) = cache.entry(d.sitting_id) {
            let sitting = sittings::require(state, d.sitting_id).await?;
            let course = courses::require(state, sitting.course_id).await?;
            slot.insert((sitting, course.title));
        }
        let (sitting, title) = &cache[&d.sitting_id];
        mails.push(templates::reminder(&templates::BookingFacts {
            registration_id: d.registration_id,
            name: &d.name,
            email: &d.email,
            course_title: title,
            starts_at: sitting.starts_at,
            ends_at: sitting.ends_at,
            venue: &sitting.venue.describe(),
            seat: d.seat,
            ticket_number: &sittings::ticket_number(sitting.starts_at, d.registration_id),
            base_url: &state.config.public_base_url,
        }));
    }
    crate::mail::outbox::enqueue(&state.db, &mails, now).await?;
    Ok(mails.len())
}

/// 考试须知 printed on every admission ticket.
const TICKET_RULES: [&str; 6] = [
    "考生须持本准考证和本人有效身份证件，于考试开始前15分钟到达考点（线上考试提前登录），迟到15分钟以上不得入场。",
    "考试期间不得使用手机等通讯工具和资料；线上考试须保持摄像头开启，不得切换页面或由他人代考。",
    "答题过程中系统自动保存答案，网络中断后重新登录即可继续作答，剩余时间以服务器为准。",
    "考试时间结束时系统自动交卷；提前交卷后不得再次作答。",
    "需要参加实操考核的课程，须在理论考试合格后按通知参加实操考核。",
    "违反考试纪律的，监考人员有权终止其考试，成绩按不合格处理。",
];

/// The admission ticket (准考证) PDF for a booking, for whoever may see the booking.
pub async fn ticket_pdf(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> AppResult<(Vec<u8>, String)> {
    let (registration, person) = require_visible(state, caller, id).await?;
    if !registration.booked {
        return Err(AppError::conflict(
            "registration_cancelled",
            None,
            "this booking is cancelled: no ticket",
        ));
    }
    let sitting = sittings::require(state, registration.sitting_id).await?;
    let course = courses::require(state, sitting.course_id).await?;
    let cst = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let (start, end) = (
        sitting.starts_at.with_timezone(&cst),
        sitting.ends_at.with_timezone(&cst),
    );
    let window = if start.date_naive() == end.date_naive() {
        format!(
            "{} {}–{}",
            start.format("%Y年%m月%d日"),
            start.format("%H:%M"),
            end.format("%H:%M")
        )
    } else {
        format!(
            "{} – {}",
            start.format("%Y年%m月%d日 %H:%M"),
            end.format("%Y年%m月%d日 %H:%M")
        )
    };
    let number = sittings::ticket_number(sitting.starts_at, registration.id);
    let ticket = crate::pdf::Ticket {
        heading: "准考证".into(),
        exam_title: course.title.clone(),
        candidate_name: person.name.clone(),
        id_number_masked: person
            .id_number_masked
            .clone()
            .unwrap_or_else(|| "—".into()),
        ticket_number: number.clone(),
        seat: format!("{}号", registration.seat),
        venue: match sitting.venue.kind {
            sittings::VenueKind::Online => "线上考试".into(),
            sittings::VenueKind::Station => sitting.venue.name.clone().unwrap_or_default(),
        },
        address: sitting.venue.address.clone(),
        window,
        rules: TICKET_RULES.iter().map(|r| r.to_string()).collect(),
        qr_payload: format!(
            "{}/api/v1/tickets/{}",
            state.config.public_base_url, registration.check_code
        ),
        issuer: state.config.issuer.clone(),
    };
    let fonts = state.fonts.clone();
    let pdf = tokio::task::spawn_blocking(move || crate::pdf::admission_ticket(&fonts, &ticket))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| match e {
            crate::pdf::PdfError::MissingGlyphs(chars) => AppError::conflict(
                "unprintable_name",
                None,
                format!(
                    "the ticket font has no glyph for {chars}; the bureau can correct the name"
                ),
            ),
            other => AppError::Internal(anyhow::anyhow!("ticket PDF: {other}")),
        })?;
    Ok((pdf, format!("ticket-{number}.pdf")))
}
