//! Enterprise bulk enrolment (企业批量报名): a staff roster (CSV or xlsx: 姓名, 证件号码, 手机号,
//! 邮箱, 岗位) booked into a sitting in one request, all or nothing. Unknown people get
//! candidate accounts tied to the enterprise and a mailed link to set their password; known
//! people are linked. Uploading the same roster again changes nothing.

use super::{
    confirmation, new_check_code,
    store::{self, Booked, Booking, NewAccount, Person},
};
use crate::{
    AppState,
    accounts::{self, User},
    admission::{self, Booker},
    auth::{Caller, token},
    courses,
    domain::{Email, IdDocument, IdType, LineIssue, PersonName, Phone},
    error::{AppError, AppResult},
    mail::templates,
    sittings, tabular,
};
use chrono::Utc;
use std::collections::HashMap;

#[derive(Clone, Copy, PartialEq)]
enum Column {
    Name,
    IdType,
    IdNumber,
    Phone,
    Email,
    JobRole,
}

fn column(name: &str) -> Option<Column> {
    Some(match name {
        "name" | "姓名" => Column::Name,
        "id_type" | "证件类型" => Column::IdType,
        "id_number" | "证件号码" | "身份证号" | "身份证号码" | "证件号" => {
            Column::IdNumber
        }
        "phone" | "手机号" | "手机" | "手机号码" | "联系电话" => Column::Phone,
        "email" | "邮箱" | "电子邮箱" | "电子邮件" => Column::Email,
        "job_role" | "岗位" | "工种" | "职务" => Column::JobRole,
        _ => return None,
    })
}

fn id_type(text: &str) -> Option<IdType> {
    match text.trim() {
        "" | "身份证" | "居民身份证" | "resident_id" => Some(IdType::ResidentId),
        "港澳台居民居住证" | "gat_residence_permit" => Some(IdType::GatResidencePermit),
        "外国人永久居留身份证" | "foreign_permanent_residence" => {
            Some(IdType::ForeignPermanentResidence)
        }
        "护照" | "passport" => Some(IdType::Passport),
        _ => None,
    }
}

/// A checked roster row.
pub struct RosterRow {
    pub line: usize,
    pub name: PersonName,
    pub id: IdDocument,
    pub phone: Phone,
    pub email: Email,
    pub job_role: Option<String>,
}

/// Reads and checks a roster; every bad row is reported with its row number.
pub fn read(bytes: &[u8], xlsx: bool) -> Result<Vec<RosterRow>, Vec<LineIssue>> {
    let issue = |line: usize, reason: String| LineIssue { line, reason };
    let rows = if xlsx {
        tabular::xlsx_rows(bytes)
    } else {
        tabular::csv_rows(bytes)
    }
    .map_err(|(line, reason)| vec![issue(line, reason)])?;
    let Some((header_index, columns)) = tabular::header(&rows, column) else {
        return Err(vec![issue(1, "名单是空的".into())]);
    };
    let col = |c: Column| columns.iter().find(|(k, _)| *k == c).map(|(_, i)| *i);
    let missing: Vec<&str> = [
        (Column::Name, "姓名"),
        (Column::IdNumber, "证件号码"),
        (Column::Phone, "手机号"),
        (Column::Email, "邮箱"),
    ]
    .iter()
    .filter(|(c, _)| col(*c).is_none())
    .map(|(_, n)| *n)
    .collect();
    if !missing.is_empty() {
        return Err(vec![issue(
            header_index + 1,
            format!("表头缺少这些列：{}", missing.join("、")),
        )]);
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut seen_id: HashMap<String, usize> = HashMap::new();
    let mut seen_phone: HashMap<String, usize> = HashMap::new();
    let mut seen_email: HashMap<String, usize> = HashMap::new();
    for (i, row) in rows.iter().enumerate().skip(header_index + 1) {
        let line = i + 1;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |c: Column| {
            col(c)
                .and_then(|i| row.get(i))
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let parsed = (|| -> Result<RosterRow, String> {
            let kind = id_type(&cell(Column::IdType))
                .ok_or_else(|| {
                    format!(
                        "证件类型“{}”无法识别（可填：身份证、港澳台居民居住证、外国人永久居留身份证、护照）",
                        cell(Column::IdType)
                    )
                })?;
            Ok(RosterRow {
                line,
                name: PersonName::parse(&cell(Column::Name)).map_err(|e| e.in_chinese())?,
                id: IdDocument::parse(kind, &cell(Column::IdNumber)).map_err(|e| {
                    if kind == IdType::ResidentId {
                        e.in_chinese()
                    } else {
                        "证件号码有误，请与证件核对。".to_string()
                    }
                })?,
                phone: Phone::parse(&cell(Column::Phone)).map_err(|e| e.in_chinese())?,
                email: Email::parse(&cell(Column::Email)).map_err(|e| e.in_chinese())?,
                job_role: Some(cell(Column::JobRole)).filter(|r| !r.is_empty()),
            })
        })();
        match parsed {
            Err(reason) => errors.push(issue(line, reason)),
            Ok(r) => {
                let mut clash = None;
                for (seen, key, what) in [
                    (&mut seen_id, r.id.number().to_string(), "证件号码"),
                    (&mut seen_phone, r.phone.as_str().to_string(), "手机号"),
                    (&mut seen_email, r.email.as_str().to_string(), "邮箱"),
                ] {
                    if let Some(first) = seen.insert(key, line) {
                        clash.get_or_insert(format!("{what}与第 {first} 行重复"));
                    }
                }
                match clash {
                    Some(reason) => errors.push(issue(line, reason)),
                    None => out.push(r),
                }
            }
        }
    }
    if out.is_empty() && errors.is_empty() {
        errors.push(issue(header_index + 2, "表头下面没有人员".into()));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// One row's outcome.
#[derive(Debug, Clone)]
pub struct Enrolled {
    pub line: usize,
    pub name: String,
    pub user_id: i64,
    pub registration_id: i64,
    pub seat: i64,
    pub new_booking: bool,
    pub new_account: bool,
}

#[derive(Debug, Default)]
pub struct EnrolmentReport {
    pub enrolled: usize,
    pub already_registered: usize,
    pub accounts_created: usize,
    pub accounts_linked: usize,
    pub rows: Vec<Enrolled>,
}

/// What a roster will do to one person, as the preview shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Planned {
    /// Nobody holds this ID: an account is made and a link to set its password mailed.
    NewAccount,
    /// An account without an enterprise: it is tied to this one and booked.
    Link,
    /// An account of this (or another) enterprise's staff, booked.
    Book,
    /// Booked in this sitting already: nothing changes.
    AlreadyBooked,
}

/// One row of a roster checked without writing anything.
pub struct PreviewRow {
    pub line: usize,
    pub name: String,
    pub id_masked: String,
    pub phone_masked: String,
    pub job_role: Option<String>,
    pub planned: Planned,
}

/// Everything an upload was checked against, before a write.
struct Checked {
    enterprise: crate::org::Enterprise,
    sitting: sittings::Sitting,
    course: courses::Course,
    /// Each row with the account that holds its ID (if any) and whether it is booked already.
    people: Vec<(Option<User>, RosterRow, bool)>,
}

impl Checked {
    fn planned(known: &Option<User>, already_booked: bool) -> Planned {
        match known {
            _ if already_booked => Planned::AlreadyBooked,
            None => Planned::NewAccount,
            Some(user) if user.enterprise_id.is_none() => Planned::Link,
            Some(_) => Planned::Book,
        }
    }

    /// The seats the roster needs beyond those booked already; a refusal when too few are left.
    fn seats(&self) -> AppResult<()> {
        let needed = self.people.iter().filter(|(_, _, booked)| !booked).count() as i64;
        let seats_left = self.sitting.seats_left();
        if needed > seats_left {
            return Err(AppError::RosterInvalid(vec![LineIssue {
                line: 1,
                reason: too_few_seats(needed, seats_left),
            }]));
        }
        Ok(())
    }
}

fn too_few_seats(needed: i64, seats_left: i64) -> String {
    format!(
        "名单需要的座位多于剩余座位：需要 {needed} 个，{}",
        admission::Refusal::Full { seats_left }.message()
    )
}

/// Checks a roster as `enrol` would and says what it would do to each row, writing nothing.
/// The same refusals as `enrol`: 422 `roster_invalid` with every bad row.
pub async fn preview(
    state: &AppState,
    caller: &Caller,
    enterprise_id: i64,
    sitting_id: i64,
    bytes: &[u8],
    xlsx: bool,
) -> AppResult<Vec<PreviewRow>> {
    let checked = check(state, caller, enterprise_id, sitting_id, bytes, xlsx).await?;
    checked.seats()?;
    Ok(checked
        .people
        .iter()
        .map(|(known, row, booked)| PreviewRow {
            line: row.line,
            name: row.name.as_str().to_string(),
            id_masked: crate::domain::mask_id_number(row.id.number()),
            phone_masked: crate::domain::mask_phone(row.phone.as_str()),
            job_role: row.job_role.clone(),
            planned: Checked::planned(known, *booked),
        })
        .collect())
}

/// Reads a roster and matches every row against the accounts we hold, collecting every
/// problem before anything is written.
async fn check(
    state: &AppState,
    caller: &Caller,
    enterprise_id: i64,
    sitting_id: i64,
    bytes: &[u8],
    xlsx: bool,
) -> AppResult<Checked> {
    if !crate::access::acts_for_enterprise(caller, enterprise_id) {
        return Err(AppError::forbidden(
            "only this enterprise's admin (or the bureau) enrols its staff",
        ));
    }
    let enterprise = crate::org::store::enterprise(&state.db, enterprise_id)
        .await?
        .ok_or_else(|| AppError::not_found("enterprise_not_found", "no such enterprise"))?;
    let sitting = sittings::require(state, sitting_id)
        .await
        .map_err(|_| AppError::invalid("sitting_id", "no such sitting"))?;
    let now = Utc::now();
    admission::sitting_open(&sitting, now)?;
    let course = courses::require(state, sitting.course_id).await?;
    let booker = Booker::Roster(enterprise_id);
    let rows = read(bytes, xlsx).map_err(AppError::RosterInvalid)?;

    let newcomer = admission::facts::new_account(state, &course).await?;
    let mut errors = Vec::new();
    let mut people = Vec::with_capacity(rows.len());
    for row in rows {
        let hash = state.vault.lookup_hash(row.id.id_type(), row.id.number());
        let known = match accounts::store::user_id_by_id_hash(&state.db, &hash).await? {
            Some(id) => accounts::store::user(&state.db, id).await?,
            None => None,
        };
        let mut booked = false;
        let refusal = match &known {
            Some(user) if user.name != row.name.as_str() => {
                Some("姓名与该证件号码的持有人不符".to_string())
            }
            Some(user) => {
                let facts = admission::facts::person(state, user, &course).await?;
                // Someone the roster booked before stays booked: uploading it again changes nothing.
                booked = store::for_user_in_sitting(&state.db, sitting_id, user.id)
                    .await?
                    .is_some_and(|r| r.booked);
                admission::may_book(booker, &facts)
                    .and_then(|()| {
                        if booked {
                            Ok(())
                        } else {
                            admission::eligible(&course, &facts)
                        }
                    })
                    .err()
                    .map(|r| r.message())
            }
            None => {
                if accounts::store::user_id_by_phone(&state.db, row.phone.as_str())
                    .await?
                    .is_some()
                {
                    Some("该手机号已被其他账号使用".into())
                } else if accounts::store::user_id_by_email(&state.db, row.email.as_str())
                    .await?
                    .is_some()
                {
                    Some("该邮箱已被其他账号使用".into())
                } else {
                    admission::eligible(&course, &newcomer)
                        .err()
                        .map(|r| r.message())
                }
            }
        };
        if let Some(reason) = refusal {
            errors.push(LineIssue {
                line: row.line,
                reason,
            });
        }
        people.push((known, row, booked));
    }
    if !errors.is_empty() {
        return Err(AppError::RosterInvalid(errors));
    }
    Ok(Checked {
        enterprise,
        sitting,
        course,
        people,
    })
}

/// Books a whole roster into a sitting for an enterprise.
pub async fn enrol(
    state: &AppState,
    caller: &Caller,
    enterprise_id: i64,
    sitting_id: i64,
    bytes: &[u8],
    xlsx: bool,
) -> AppResult<EnrolmentReport> {
    let Checked {
        enterprise,
        sitting,
        course,
        people,
    } = check(state, caller, enterprise_id, sitting_id, bytes, xlsx).await?;
    let now = Utc::now();
    let mut bookings = Vec::with_capacity(people.len());
    let mut report = EnrolmentReport::default();
    let mut new_lines = Vec::new();
    for (known, row, _) in &people {
        let person = match known {
            Some(user) if user.enterprise_id.is_none() => {
                report.accounts_linked += 1;
                Person::Link {
                    user_id: user.id,
                    enterprise_id,
                }
            }
            Some(user) => Person::Known(user.id),
            None => {
                new_lines.push(row.line);
                let setup = token::generate();
                let link = format!(
                    "{}/set-password?token={setup}",
                    state.config.public_base_url
                );
                let account = NewAccount {
                    name: row.name.as_str().to_string(),
                    phone: row.phone.as_str().to_string(),
                    email: row.email.as_str().to_string(),
                    id_type: row.id.id_type().as_str(),
                    sealed: state.vault.seal(&row.id),
                    enterprise_id,
                    job_role: row.job_role.clone(),
                    setup_token_digest: token::digest(&setup),
                    setup_expires_at: now + chrono::Duration::days(7),
                };
                let setup_mail = templates::password_setup(
                    row.name.as_str(),
                    row.email.as_str(),
                    &enterprise.name,
                    &link,
                );
                let (sitting, title) = (sitting.clone(), course.title.clone());
                let (name, email) = (
                    row.name.as_str().to_string(),
                    row.email.as_str().to_string(),
                );
                bookings.push(Booking {
                    person: Person::New(Box::new(account)),
                    enterprise_id: Some(enterprise_id),
                    check_code: new_check_code(),
                    mail: Box::new(move |id, seat| {
                        let confirmed =
                            templates::registration_confirmed(&templates::BookingFacts {
                                registration_id: id,
                                name: &name,
                                email: &email,
                                course_title: &title,
                                starts_at: sitting.starts_at,
                                ends_at: sitting.ends_at,
                                venue: &sitting.venue.describe(),
                                seat,
                                ticket_number: &sittings::ticket_number(sitting.starts_at, id),
                                base_url: &state.config.public_base_url,
                            });
                        vec![setup_mail.clone(), confirmed]
                    }),
                });
                continue;
            }
        };
        let user = known.clone().expect("known person");
        let (sitting, title) = (sitting.clone(), course.title.clone());
        bookings.push(Booking {
            person,
            enterprise_id: Some(enterprise_id),
            check_code: new_check_code(),
            mail: Box::new(move |id, seat| {
                confirmation(state, &sitting, &title, &user, id, seat)
                    .into_iter()
                    .collect()
            }),
        });
    }
    let bookings_needed = people.iter().filter(|(_, _, booked)| !booked).count() as i64;
    let booked = store::book_all(&state.db, sitting_id, caller.user_id, &bookings, &[], now)
        .await
        .map_err(|e| match e {
            store::BookError::Full { seats_left } => AppError::RosterInvalid(vec![LineIssue {
                line: 1,
                reason: too_few_seats(bookings_needed, seats_left),
            }]),
            other => super::book_error(other),
        })?;
    for ((_, row, _), outcome) in people.iter().zip(booked) {
        let new_account = new_lines.contains(&row.line);
        let (registration, new_booking) = match outcome {
            Booked::New(r) => (r, true),
            Booked::Existing(r) => (r, false),
        };
        if new_booking {
            report.enrolled += 1;
        } else {
            report.already_registered += 1;
        }
        if new_account {
            report.accounts_created += 1;
        }
        report.rows.push(Enrolled {
            line: row.line,
            name: row.name.as_str().to_string(),
            user_id: registration.user_id,
            registration_id: registration.id,
            seat: registration.seat,
            new_booking,
            new_account,
        });
    }
    tracing::info!(
        enterprise_id,
        sitting_id,
        enrolled = report.enrolled,
        created = report.accounts_created,
        "roster enrolled"
    );
    Ok(report)
}
