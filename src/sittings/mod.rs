//! Exam sittings (考试场次): a course's exam at a time and place (a service station or
//! online), with a capacity, a registration window and assigned proctors. Only the bureau
//! creates and changes them; changes that strand booked candidates mail them.
//! Owns `sittings` and `sitting_proctors`.

pub mod store;

use crate::{
    AppState, accounts,
    courses::{self, Course},
    domain::Role,
    error::{AppError, AppResult},
    mail::{OutgoingMail, templates},
};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

/// 准考证号: the exam date (Beijing time) and the registration number.
pub fn ticket_number(starts_at: DateTime<Utc>, registration_id: i64) -> String {
    let cst = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    format!(
        "{}{:06}",
        starts_at.with_timezone(&cst).format("%Y%m%d"),
        registration_id
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, poem_openapi::Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum SittingStatus {
    /// Before the exam window.
    Scheduled,
    /// Inside the exam window: candidates may start.
    Open,
    /// After the window.
    Closed,
    Cancelled,
}

impl SittingStatus {
    /// Where `now` falls for a sitting with this window.
    pub fn at(
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        cancelled_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Self {
        if cancelled_at.is_some() {
            SittingStatus::Cancelled
        } else if now < starts_at {
            SittingStatus::Scheduled
        } else if now < ends_at {
            SittingStatus::Open
        } else {
            SittingStatus::Closed
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, poem_openapi::Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum VenueKind {
    Online,
    /// A service station (服务站) or exam room.
    Station,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Venue {
    pub kind: VenueKind,
    pub name: Option<String>,
    pub address: Option<String>,
}

impl Venue {
    /// How the venue reads on tickets and in mail.
    pub fn describe(&self) -> String {
        match self.kind {
            VenueKind::Online => "线上考试".to_string(),
            VenueKind::Station => match (&self.name, &self.address) {
                (Some(n), Some(a)) => format!("{n}（{a}）"),
                (Some(n), None) => n.clone(),
                (None, Some(a)) => a.clone(),
                (None, None) => "考点".to_string(),
            },
        }
    }

    fn check(&self) -> AppResult<()> {
        if self.kind == VenueKind::Station {
            let filled = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
            if !filled(&self.name) {
                return Err(AppError::invalid(
                    "venue.name",
                    "a service station needs its name",
                ));
            }
            if !filled(&self.address) {
                return Err(AppError::invalid(
                    "venue.address",
                    "a service station needs its address",
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct Sitting {
    pub id: i64,
    pub course_id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i64,
    pub seats_taken: i64,
    pub venue: Venue,
    pub registration_opens_at: DateTime<Utc>,
    pub registration_closes_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub proctor_ids: Vec<i64>,
    pub created_at: DateTime<Utc>,
}

impl Sitting {
    pub fn status(&self, now: DateTime<Utc>) -> SittingStatus {
        SittingStatus::at(self.starts_at, self.ends_at, self.cancelled_at, now)
    }

    pub fn seats_left(&self) -> i64 {
        (self.capacity - self.seats_taken).max(0)
    }

    pub fn registration_open(&self, now: DateTime<Utc>) -> bool {
        self.cancelled_at.is_none()
            && self.registration_opens_at <= now
            && now <= self.registration_closes_at
    }
}

/// A sitting as proposed (or a full set of changes to one), before checks.
#[derive(Debug, Clone)]
pub struct SittingPlan {
    pub course_id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i64,
    pub venue: Venue,
    pub registration_opens_at: Option<DateTime<Utc>>,
    pub registration_closes_at: Option<DateTime<Utc>>,
    pub proctor_ids: Vec<i64>,
}

impl SittingPlan {
    /// Fills registration defaults (open now, close at the window's end) and checks times.
    fn settle(mut self, now: DateTime<Utc>) -> AppResult<Self> {
        if self.ends_at <= self.starts_at {
            return Err(AppError::invalid(
                "ends_at",
                "the window must end after it starts",
            ));
        }
        if !(1..=100_000).contains(&self.capacity) {
            return Err(AppError::invalid("capacity", "1 to 100000 seats"));
        }
        self.venue.check()?;
        let opens = self.registration_opens_at.unwrap_or(now);
        let closes = self.registration_closes_at.unwrap_or(self.ends_at);
        if closes <= opens {
            return Err(AppError::invalid(
                "registration_closes_at",
                "registration must close after it opens",
            ));
        }
        if closes > self.ends_at {
            return Err(AppError::invalid(
                "registration_closes_at",
                "registration cannot close after the exam window ends",
            ));
        }
        self.registration_opens_at = Some(opens);
        self.registration_closes_at = Some(closes);
        self.proctor_ids.sort_unstable();
        self.proctor_ids.dedup();
        Ok(self)
    }
}

async fn check_proctors(state: &AppState, ids: &[i64]) -> AppResult<()> {
    for id in ids {
        let roles = accounts::store::roles(&state.db, *id).await?;
        if !roles
            .iter()
            .any(|r| matches!(r, Role::Proctor | Role::BureauAdmin))
        {
            return Err(AppError::invalid(
                "proctor_ids",
                format!("user {id} is not a proctor"),
            ));
        }
    }
    Ok(())
}

pub async fn create(state: &AppState, plan: SittingPlan) -> AppResult<Sitting> {
    courses::require(state, plan.course_id)
        .await
        .map_err(|_| AppError::invalid("course_id", "no such course"))?;
    let plan = plan.settle(Utc::now())?;
    check_proctors(state, &plan.proctor_ids).await?;
    let id = store::insert(&state.db, &plan, Utc::now()).await?;
    require(state, id).await
}

/// The sittings a proctor oversees (the bureau: every one) that have not ended or ended in
/// the last day, soonest first: what the proctor's console lists.
pub async fn overseen_by(
    state: &AppState,
    caller: &crate::auth::Caller,
) -> AppResult<Vec<Sitting>> {
    let proctor = if caller.is_bureau() {
        None
    } else if caller.has(Role::Proctor) {
        Some(caller.user_id)
    } else {
        return Err(AppError::forbidden("only proctors and the bureau"));
    };
    let from = Utc::now() - chrono::Duration::days(1);
    Ok(store::overseen(&state.db, proctor, from, 200).await?)
}

pub async fn require(state: &AppState, id: i64) -> AppResult<Sitting> {
    store::sitting(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("sitting_not_found", "no such sitting"))
}

/// Changes to a sitting. Booked candidates are mailed when the time or place moves; a
/// capacity below the bookings is refused unless `force`, which cancels the latest bookings
/// (and mails those candidates).
pub struct SittingChange {
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub capacity: Option<i64>,
    pub venue: Option<Venue>,
    pub registration_opens_at: Option<DateTime<Utc>>,
    pub registration_closes_at: Option<DateTime<Utc>>,
    pub proctor_ids: Option<Vec<i64>>,
    pub force: bool,
}

pub async fn update(state: &AppState, id: i64, change: SittingChange) -> AppResult<Sitting> {
    let current = require(state, id).await?;
    if current.cancelled_at.is_some() {
        return Err(AppError::conflict(
            "sitting_cancelled",
            None,
            "this sitting is cancelled",
        ));
    }
    let plan = SittingPlan {
        course_id: current.course_id,
        starts_at: change.starts_at.unwrap_or(current.starts_at),
        ends_at: change.ends_at.unwrap_or(current.ends_at),
        capacity: change.capacity.unwrap_or(current.capacity),
        venue: change.venue.clone().unwrap_or(current.venue.clone()),
        registration_opens_at: Some(
            change
                .registration_opens_at
                .unwrap_or(current.registration_opens_at),
        ),
        registration_closes_at: Some(
            change
                .registration_closes_at
                .unwrap_or(current.registration_closes_at),
        ),
        proctor_ids: change
            .proctor_ids
            .clone()
            .unwrap_or(current.proctor_ids.clone()),
    }
    .settle(Utc::now())?;
    check_proctors(state, &plan.proctor_ids).await?;
    let course = courses::require(state, current.course_id).await?;
    let bumped = current.seats_taken - plan.capacity;
    if bumped > 0 && !change.force {
        return Err(AppError::conflict(
            "capacity_below_bookings",
            Some("capacity"),
            format!(
                "{} seats are booked; a capacity of {} would cancel {bumped} booking(s). Send force=true to do so (they are mailed)",
                current.seats_taken, plan.capacity
            ),
        ));
    }
    let moved = plan.starts_at != current.starts_at
        || plan.ends_at != current.ends_at
        || plan.venue != current.venue;
    let now = Utc::now();
    let updated_venue = plan.venue.clone();
    let bookings = store::booked_with_people(&state.db, id).await?;
    let cut: Vec<i64> = if bumped > 0 {
        let mut latest: Vec<&store::BookedPerson> = bookings.iter().collect();
        latest.sort_by_key(|b| std::cmp::Reverse((b.created_at, b.registration_id)));
        latest
            .iter()
            .take(bumped as usize)
            .map(|b| b.registration_id)
            .collect()
    } else {
        Vec::new()
    };
    let mut mails: Vec<OutgoingMail> = Vec::new();
    for b in &bookings {
        let Some(email) = b.email.as_deref() else {
            continue;
        };
        let facts = templates::BookingFacts {
            registration_id: b.registration_id,
            name: &b.name,
            email,
            course_title: &course.title,
            starts_at: plan.starts_at,
            ends_at: plan.ends_at,
            venue: &updated_venue.describe(),
            seat: b.seat,
            ticket_number: &ticket_number(plan.starts_at, b.registration_id),
            base_url: &state.config.public_base_url,
        };
        if cut.contains(&b.registration_id) {
            mails.push(templates::registration_cancelled(
                &facts,
                "考试场次容量调整",
            ));
        } else if moved {
            mails.push(templates::sitting_changed(&facts));
        }
    }
    store::update(&state.db, id, &plan, &cut, &mails, now).await?;
    require(state, id).await
}

/// Cancels a sitting and every booking in it, mailing each candidate the reason.
pub async fn cancel(state: &AppState, id: i64, reason: &str) -> AppResult<Sitting> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "say why the sitting is cancelled",
        ));
    }
    let sitting = require(state, id).await?;
    if sitting.cancelled_at.is_some() {
        return Ok(sitting);
    }
    if sitting.status(Utc::now()) != SittingStatus::Scheduled {
        return Err(AppError::conflict(
            "sitting_started",
            None,
            "a sitting that has started cannot be cancelled",
        ));
    }
    let course: Course = courses::require(state, sitting.course_id).await?;
    let bookings = store::booked_with_people(&state.db, id).await?;
    let venue = sitting.venue.describe();
    let mails: Vec<OutgoingMail> = bookings
        .iter()
        .filter_map(|b| {
            let email = b.email.as_deref()?;
            Some(templates::registration_cancelled(
                &templates::BookingFacts {
                    registration_id: b.registration_id,
                    name: &b.name,
                    email,
                    course_title: &course.title,
                    starts_at: sitting.starts_at,
                    ends_at: sitting.ends_at,
                    venue: &venue,
                    seat: b.seat,
                    ticket_number: &ticket_number(sitting.starts_at, b.registration_id),
                    base_url: &state.config.public_base_url,
                },
                &format!("考试场次取消：{reason}"),
            ))
        })
        .collect();
    store::cancel(&state.db, id, reason, &mails, Utc::now()).await?;
    require(state, id).await
}
