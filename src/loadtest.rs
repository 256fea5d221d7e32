//! Seeding for the load generator (`examples/loadgen.rs`): a sitting of the shipped
//! 100-question safety-manager exam, open now, with N registered candidates and their papers
//! drawn, written in bulk so that seeding 5,000 takes seconds. Never run against production:
//! every seeded candidate shares one password.

use crate::{
    AppState,
    accounts::{self, NewUser},
    courses,
    domain::{Email, IdDocument, IdType, Password, PersonName, Phone, Role},
    error::{AppError, AppResult},
    exam, password,
    registrations::{
        new_check_code,
        store::{Booking, Person},
    },
    sittings::{self, SittingPlan, Venue, VenueKind},
};
use chrono::Utc;
use serde::Serialize;

pub const CANDIDATE_PASSWORD: &str = "loadtest-2026";
pub const ADMIN_PHONE: &str = "13000000000";

/// Why `config` looks like a production deployment, where seeding candidates who share one
/// password must not happen by accident; None on the embedded defaults of a test machine.
pub fn looks_like_production(config: &crate::config::Config) -> Option<&'static str> {
    if !config.embedded_database {
        Some("DATABASE_URL names a database server")
    } else if config.smtp_url.is_some() {
        Some("SMTP_URL sends real mail")
    } else if config.public_base_url.starts_with("https://") {
        Some("PUBLIC_BASE_URL is an https address")
    } else {
        None
    }
}

#[derive(Debug, Serialize)]
pub struct Seeded {
    pub sitting_id: i64,
    pub deadline: chrono::DateTime<Utc>,
    pub questions: usize,
    pub admin_login: String,
    pub password: String,
    pub candidates: Vec<String>,
}

pub async fn seed(state: &AppState, candidates: u32, minutes: i64) -> AppResult<Seeded> {
    crate::shipped::load_if_empty(state).await?;
    let course = courses::store::course_by_code(&state.db, "SM-INITIAL")
        .await?
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("the shipped SM-INITIAL course is missing"))
        })?;
    let admin = match accounts::create_bureau_admin(
        state,
        "压测管理员",
        ADMIN_PHONE,
        "loadtest-admin@safecert.local",
        CANDIDATE_PASSWORD,
    )
    .await?
    {
        accounts::AdminCreated::Created(id) | accounts::AdminCreated::AlreadyExists(id) => id,
    };
    let now = Utc::now();
    let sitting = sittings::create(
        state,
        SittingPlan {
            course_id: course.id,
            starts_at: now - chrono::Duration::minutes(1),
            ends_at: now + chrono::Duration::minutes(minutes),
            capacity: i64::from(candidates),
            venue: Venue {
                kind: VenueKind::Online,
                name: None,
                address: None,
            },
            registration_opens_at: Some(now - chrono::Duration::minutes(1)),
            registration_closes_at: None,
            proctor_ids: vec![],
        },
    )
    .await?;
    // One hash for all: argon2 per seeded account would take minutes.
    let hash = password::hash(Password::parse(CANDIDATE_PASSWORD)?).await?;
    let run = now.timestamp() as u32 % 100;
    let mut phones = Vec::with_capacity(candidates as usize);
    let mut bookings = Vec::with_capacity(candidates as usize);
    for i in 0..candidates {
        let n = run * 100_000 + i;
        let phone = format!("1{:010}", 4_000_000_000u64 + u64::from(n));
        let new = NewUser {
            name: PersonName::parse(&format!("压测考生{i}"))?,
            phone: Phone::parse(&phone)?,
            email: Some(Email::parse(&format!("load{n}@loadtest.safecert.local"))?),
            id_document: Some(IdDocument::parse(IdType::Passport, &format!("LT{n:09}"))?),
            password_hash: Some(hash.clone()),
            enterprise_id: None,
            street_id: None,
            job_role: None,
            roles: vec![Role::Candidate],
        };
        let id = accounts::store::insert_user(&state.db, &state.vault, &new, now).await?;
        phones.push(phone);
        bookings.push(Booking {
            person: Person::Known(id),
            enterprise_id: None,
            check_code: new_check_code(),
            mail: Box::new(|_, _| vec![]),
        });
    }
    crate::registrations::store::book_all(&state.db, sitting.id, admin, &bookings, &[], now)
        .await
        .map_err(crate::registrations::book_error)?;
    exam::prepare_papers(state, sitting.id).await?;
    Ok(Seeded {
        sitting_id: sitting.id,
        deadline: sitting.ends_at,
        questions: course.blueprint.question_count() as usize,
        admin_login: ADMIN_PHONE.into(),
        password: CANDIDATE_PASSWORD.into(),
        candidates: phones,
    })
}
