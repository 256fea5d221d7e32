//! Sittings, registrations, enterprise roster enrolment and ticket look-up.

use crate::{
    AppState,
    access::{self, Scope},
    api::{
        ApiTags,
        error::ApiResult,
        page::{Page, window},
        security::{BearerAuth, BureauAuth, ProctorAuth},
    },
    registrations::{self, BookOutcome, Registration, roster},
    sittings::{self, Sitting, SittingChange, SittingPlan, SittingStatus, Venue, VenueKind},
};
use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::{Binary, Json},
};

pub struct SittingsApi {
    pub state: AppState,
}

/// `{kind: "online"}` or `{kind: "station", name, address}`.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct VenueBody {
    pub kind: VenueKind,
    #[oai(validator(max_length = 100))]
    pub name: Option<String>,
    #[oai(validator(max_length = 200))]
    pub address: Option<String>,
}

impl From<VenueBody> for Venue {
    fn from(v: VenueBody) -> Self {
        Venue {
            kind: v.kind,
            name: v.name,
            address: v.address,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SittingView {
    pub id: i64,
    pub course_id: i64,
    pub status: SittingStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i64,
    pub seats_taken: i64,
    pub seats_left: i64,
    pub venue: VenueBody,
    pub registration_opens_at: DateTime<Utc>,
    pub registration_closes_at: DateTime<Utc>,
    /// Whether a booking is possible right now.
    pub registration_open: bool,
    pub proctor_ids: Vec<i64>,
    pub cancel_reason: Option<String>,
}

impl From<Sitting> for SittingView {
    fn from(s: Sitting) -> Self {
        let now = Utc::now();
        Self {
            status: s.status(now),
            seats_left: s.seats_left(),
            registration_open: s.registration_open(now),
            id: s.id,
            course_id: s.course_id,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            capacity: s.capacity,
            seats_taken: s.seats_taken,
            venue: VenueBody {
                kind: s.venue.kind,
                name: s.venue.name,
                address: s.venue.address,
            },
            registration_opens_at: s.registration_opens_at,
            registration_closes_at: s.registration_closes_at,
            proctor_ids: s.proctor_ids,
            cancel_reason: s.cancel_reason,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreateSittingRequest {
    pub course_id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
    pub capacity: i64,
    pub venue: VenueBody,
    /// Defaults to now.
    pub registration_opens_at: Option<DateTime<Utc>>,
    /// Defaults to `ends_at`.
    pub registration_closes_at: Option<DateTime<Utc>>,
    #[oai(default)]
    pub proctor_ids: Vec<i64>,
}

#[derive(ApiResponse)]
pub enum CreateSittingResponse {
    #[oai(status = 201)]
    Created(Json<SittingView>),
}

/// Changes; absent fields stay. Moving the time or place mails booked candidates.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UpdateSittingRequest {
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
    pub capacity: Option<i64>,
    pub venue: Option<VenueBody>,
    pub registration_opens_at: Option<DateTime<Utc>>,
    pub registration_closes_at: Option<DateTime<Utc>>,
    pub proctor_ids: Option<Vec<i64>>,
    /// Allow a capacity below the bookings: the latest bookings are cancelled and mailed.
    #[oai(default)]
    pub force: bool,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CancelRequest {
    #[oai(validator(max_length = 500, pattern = r"\S"))]
    pub reason: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BookSeatRequest {
    /// Book for this person (an enterprise admin's staff member); yourself when absent.
    pub user_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename_all = "snake_case")]
pub enum RegistrationStatus {
    Booked,
    Cancelled,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RegistrationView {
    pub id: i64,
    pub sitting_id: i64,
    pub user_id: i64,
    /// Seat number, from 1.
    pub seat: i64,
    pub status: RegistrationStatus,
    /// 准考证号.
    pub ticket_number: String,
    pub enterprise_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When a proctor checked the candidate in at the exam room (入场核验).
    pub checked_in_at: Option<DateTime<Utc>>,
    pub ticket_url: String,
}

fn view(r: Registration, starts_at: DateTime<Utc>) -> RegistrationView {
    RegistrationView {
        ticket_number: sittings::ticket_number(starts_at, r.id),
        ticket_url: format!("/api/v1/registrations/{}/ticket.pdf", r.id),
        id: r.id,
        sitting_id: r.sitting_id,
        user_id: r.user_id,
        seat: r.seat,
        status: if r.booked {
            RegistrationStatus::Booked
        } else {
            RegistrationStatus::Cancelled
        },
        enterprise_id: r.enterprise_id,
        created_at: r.created_at,
        cancelled_at: r.cancelled_at,
        checked_in_at: r.checked_in_at,
    }
}

#[derive(ApiResponse)]
pub enum BookSeatResponse {
    /// A new booking.
    #[oai(status = 201)]
    Created(Json<RegistrationView>),
    /// Already booked: the same registration.
    #[oai(status = 200)]
    Existing(Json<RegistrationView>),
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EnrolledRow {
    /// Row in the uploaded roster (the header is row 1).
    pub row: u64,
    pub user_id: i64,
    pub registration_id: i64,
    pub seat: i64,
    /// False when the person was already booked in this sitting.
    pub new_booking: bool,
    /// True when an account was created (a password link was mailed).
    pub new_account: bool,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EnrolmentResult {
    pub enrolled: u64,
    pub already_registered: u64,
    pub accounts_created: u64,
    pub accounts_linked: u64,
    pub rows: Vec<EnrolledRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename_all = "lowercase")]
pub enum RosterFormat {
    Csv,
    Xlsx,
}

#[derive(ApiResponse)]
pub enum TicketPdf {
    #[oai(status = 200, content_type = "application/pdf")]
    Pdf(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

/// What a proctor sees when scanning a ticket's QR code.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TicketCheck {
    pub registration: RegistrationView,
    /// The candidate's name, whole: the proctor compares it with the ID card.
    pub name: String,
    pub id_number: Option<String>,
    pub sitting: SittingView,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Sittings")]
impl SittingsApi {
    /// Scheduled sittings (anyone): filter by course; `upcoming=true` hides finished ones.
    #[oai(path = "/sittings", method = "get")]
    async fn list(
        &self,
        course_id: Query<Option<i64>>,
        upcoming: Query<Option<bool>>,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<Page<SittingView>>> {
        let (limit, offset) = window(limit.0, offset.0);
        let from = upcoming.0.unwrap_or(false).then(Utc::now);
        let (items, total) =
            sittings::store::list(&self.state.db, course_id.0, from, limit, offset).await?;
        Ok(Json(Page {
            items: items.into_iter().map(Into::into).collect(),
            total,
        }))
    }

    /// One sitting (anyone).
    #[oai(path = "/sittings/:id", method = "get")]
    async fn get(&self, id: Path<i64>) -> ApiResult<Json<SittingView>> {
        Ok(Json(sittings::require(&self.state, id.0).await?.into()))
    }

    /// Schedule a sitting (bureau_admin).
    #[oai(path = "/sittings", method = "post")]
    async fn create(
        &self,
        _auth: BureauAuth,
        body: Json<CreateSittingRequest>,
    ) -> ApiResult<CreateSittingResponse> {
        let b = body.0;
        let sitting = sittings::create(
            &self.state,
            SittingPlan {
                course_id: b.course_id,
                starts_at: b.starts_at,
                ends_at: b.ends_at,
                capacity: b.capacity,
                venue: b.venue.into(),
                registration_opens_at: b.registration_opens_at,
                registration_closes_at: b.registration_closes_at,
                proctor_ids: b.proctor_ids,
            },
        )
        .await?;
        Ok(CreateSittingResponse::Created(Json(sitting.into())))
    }

    /// Change a sitting (bureau_admin).
    #[oai(path = "/sittings/:id", method = "patch")]
    async fn update(
        &self,
        _auth: BureauAuth,
        id: Path<i64>,
        body: Json<UpdateSittingRequest>,
    ) -> ApiResult<Json<SittingView>> {
        let b = body.0;
        let sitting = sittings::update(
            &self.state,
            id.0,
            SittingChange {
                starts_at: b.starts_at,
                ends_at: b.ends_at,
                capacity: b.capacity,
                venue: b.venue.map(Into::into),
                registration_opens_at: b.registration_opens_at,
                registration_closes_at: b.registration_closes_at,
                proctor_ids: b.proctor_ids,
                force: b.force,
            },
        )
        .await?;
        Ok(Json(sitting.into()))
    }

    /// Cancel a sitting and all its bookings; candidates are mailed (bureau_admin).
    #[oai(path = "/sittings/:id/cancel", method = "post")]
    async fn cancel(
        &self,
        _auth: BureauAuth,
        id: Path<i64>,
        body: Json<CancelRequest>,
    ) -> ApiResult<Json<SittingView>> {
        Ok(Json(
            sittings::cancel(&self.state, id.0, &body.reason)
                .await?
                .into(),
        ))
    }

    /// Book a seat: `{}` for yourself, `{user_id}` for your enterprise's staff. Again for
    /// the same person: 200 with the same registration. Full: 409 `sitting_full`.
    #[oai(path = "/sittings/:id/registrations", method = "post")]
    async fn register(
        &self,
        auth: BearerAuth,
        id: Path<i64>,
        body: Json<BookSeatRequest>,
    ) -> ApiResult<BookSeatResponse> {
        let outcome = registrations::book(&self.state, &auth.0, id.0, body.user_id).await?;
        let sitting = sittings::require(&self.state, id.0).await?;
        Ok(match outcome {
            BookOutcome::Created(r) => BookSeatResponse::Created(Json(view(r, sitting.starts_at))),
            BookOutcome::Existing(r) => {
                BookSeatResponse::Existing(Json(view(r, sitting.starts_at)))
            }
        })
    }

    /// Registrations: your own; your staff's (enterprise admin); all or one sitting's (bureau,
    /// or a proctor for a sitting they proctor).
    #[oai(path = "/registrations", method = "get")]
    async fn registrations(
        &self,
        auth: BearerAuth,
        sitting_id: Query<Option<i64>>,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<Page<RegistrationView>>> {
        let caller = &auth.0;
        // A proctor sees every booking of a sitting they proctor, when they ask for it.
        let proctoring = match sitting_id.0 {
            Some(s) => access::proctors(&self.state.db, caller, s).await?,
            None => false,
        };
        let scope = if proctoring {
            Scope::All
        } else {
            access::scope(caller)
        };
        let (limit, offset) = window(limit.0, offset.0);
        let (items, total) =
            registrations::store::list(&self.state.db, scope, sitting_id.0, limit, offset).await?;
        let mut out = Vec::with_capacity(items.len());
        let mut starts: std::collections::HashMap<i64, DateTime<Utc>> =
            std::collections::HashMap::new();
        for r in items {
            let start = match starts.get(&r.sitting_id) {
                Some(s) => *s,
                None => {
                    let s = sittings::require(&self.state, r.sitting_id)
                        .await?
                        .starts_at;
                    starts.insert(r.sitting_id, s);
                    s
                }
            };
            out.push(view(r, start));
        }
        Ok(Json(Page { items: out, total }))
    }

    /// One registration (the candidate, their enterprise admin, the bureau, its proctors).
    #[oai(path = "/registrations/:id", method = "get")]
    async fn registration(
        &self,
        auth: BearerAuth,
        id: Path<i64>,
    ) -> ApiResult<Json<RegistrationView>> {
        let (r, _) = registrations::require_visible(&self.state, &auth.0, id.0).await?;
        let sitting = sittings::require(&self.state, r.sitting_id).await?;
        Ok(Json(view(r, sitting.starts_at)))
    }

    /// Cancel a booking before the window opens (the candidate, their enterprise, the bureau).
    #[oai(path = "/registrations/:id/cancel", method = "post")]
    async fn cancel_registration(
        &self,
        auth: BearerAuth,
        id: Path<i64>,
    ) -> ApiResult<Json<RegistrationView>> {
        let r = registrations::cancel(&self.state, &auth.0, id.0).await?;
        let sitting = sittings::require(&self.state, r.sitting_id).await?;
        Ok(Json(view(r, sitting.starts_at)))
    }

    /// Enrol a staff roster (CSV or xlsx with 姓名, 证件号码, 手机号, 邮箱, 岗位) into a sitting
    /// (that enterprise's admin, or the bureau). All or nothing: 422 `roster_invalid` lists
    /// every bad row. Unknown people get accounts and a mailed link to set a password.
    #[oai(path = "/enterprises/:id/enrolments", method = "post")]
    async fn enrol(
        &self,
        auth: BearerAuth,
        id: Path<i64>,
        sitting_id: Query<i64>,
        format: Query<Option<RosterFormat>>,
        body: Binary<Vec<u8>>,
    ) -> ApiResult<Json<EnrolmentResult>> {
        // xlsx files are zip archives: recognise them even when the format is not given.
        let xlsx = match format.0 {
            Some(f) => f == RosterFormat::Xlsx,
            None => body.0.starts_with(b"PK\x03\x04"),
        };
        let report = roster::enrol(&self.state, &auth.0, id.0, sitting_id.0, &body.0, xlsx).await?;
        Ok(Json(EnrolmentResult {
            enrolled: report.enrolled as u64,
            already_registered: report.already_registered as u64,
            accounts_created: report.accounts_created as u64,
            accounts_linked: report.accounts_linked as u64,
            rows: report
                .rows
                .into_iter()
                .map(|r| EnrolledRow {
                    row: r.line as u64,
                    user_id: r.user_id,
                    registration_id: r.registration_id,
                    seat: r.seat,
                    new_booking: r.new_booking,
                    new_account: r.new_account,
                })
                .collect(),
        }))
    }

    /// The admission ticket (准考证) as PDF: the candidate, their enterprise admin, the bureau.
    #[oai(path = "/registrations/:id/ticket.pdf", method = "get")]
    async fn ticket_pdf(&self, auth: BearerAuth, id: Path<i64>) -> ApiResult<TicketPdf> {
        let (pdf, name) = registrations::ticket_pdf(&self.state, &auth.0, id.0).await?;
        Ok(TicketPdf::Pdf(
            Binary(pdf),
            format!("inline; filename=\"{name}\""),
        ))
    }

    /// Look up a ticket by the code in its QR code (the sitting's proctors, the bureau).
    #[oai(path = "/tickets/:code", method = "get")]
    async fn ticket(&self, auth: ProctorAuth, code: Path<String>) -> ApiResult<Json<TicketCheck>> {
        let found = registrations::check_ticket(&self.state, &auth.0, &code.0, None).await?;
        Ok(Json(TicketCheck {
            name: found.person.name.clone(),
            id_number: found.person.id_number_masked.clone(),
            registration: view(found.registration, found.sitting.starts_at),
            sitting: found.sitting.into(),
        }))
    }

    /// Check a candidate in at the exam room (入场核验; the sitting's proctors, the bureau).
    /// Checking in twice keeps the first time; a cancelled booking is refused.
    #[oai(path = "/registrations/:id/check-in", method = "post")]
    async fn check_in(
        &self,
        auth: ProctorAuth,
        id: Path<i64>,
    ) -> ApiResult<Json<RegistrationView>> {
        let r = registrations::check_in(&self.state, &auth.0, id.0).await?;
        let sitting = sittings::require(&self.state, r.sitting_id).await?;
        Ok(Json(view(r, sitting.starts_at)))
    }
}
