//! 报名资格 (admission): the one place that decides whether a person may be booked into a
//! sitting, whoever books the seat: the person themself, their enterprise's admin (one person
//! or a whole roster) or the bureau. The rules are pure functions over what is known of the
//! sitting, the course and the person; [`facts`] loads what they need from the database.

pub mod facts;

use crate::{courses::Course, error::AppError, mail::templates::local_time, sittings::Sitting};
use chrono::{DateTime, Utc};

/// Who books the seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booker {
    /// The person books their own seat.
    Themself,
    /// An enterprise's admin books one of the enterprise's staff.
    Enterprise(i64),
    /// An enterprise's staff roster (uploaded by its admin or by the bureau): the enterprise's
    /// staff, or people with no enterprise yet, whom the roster links to it.
    Roster(i64),
    /// The bureau books anyone.
    Bureau,
}

/// What is known of the person to be booked, as far as admission cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub is_candidate: bool,
    pub enterprise_id: Option<i64>,
    /// Has passed this course's exam.
    pub passed: bool,
    /// Attempts at this course's exam that ended (graded or terminated).
    pub finished_attempts: i64,
    /// Holds a valid, unexpired certificate of the course this one renews (re-education).
    pub holds_renewed_certificate: bool,
    /// Online study still owed before the exam can be booked, in seconds (0 when the course
    /// does not ask for it first).
    pub study_missing_seconds: i64,
}

impl Person {
    /// Someone a roster creates an account for: a candidate with no history, who owes all
    /// of `study_required_seconds` (see [`facts::new_account`]).
    pub fn new_account(study_required_seconds: i64) -> Self {
        Person {
            is_candidate: true,
            enterprise_id: None,
            passed: false,
            finished_attempts: 0,
            holds_renewed_certificate: false,
            study_missing_seconds: study_required_seconds,
        }
    }
}

/// Why a booking is refused. Each has a stable code and a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    SittingCancelled,
    RegistrationClosed {
        opens_at: DateTime<Utc>,
        closes_at: DateTime<Utc>,
    },
    Full {
        seats_left: i64,
    },
    /// The booker may not book this person.
    NotTheirs,
    /// A roster names someone of another enterprise.
    OtherEnterprise,
    NotCandidate,
    AlreadyPassed,
    RetakesUsed {
        retake_limit: i64,
    },
    CertificateRequired,
    /// The course asks for its online lessons first (学时未满).
    StudyIncomplete {
        missing_seconds: i64,
    },
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::SittingCancelled => "sitting_cancelled",
            Refusal::RegistrationClosed { .. } => "registration_closed",
            Refusal::Full { .. } => "sitting_full",
            Refusal::NotTheirs | Refusal::OtherEnterprise => "forbidden",
            Refusal::NotCandidate => "invalid_input",
            Refusal::AlreadyPassed => "already_passed",
            Refusal::RetakesUsed { .. } => "retake_limit_reached",
            Refusal::CertificateRequired => "certificate_required",
            Refusal::StudyIncomplete { .. } => "study_incomplete",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::SittingCancelled => "该场次已取消".into(),
            Refusal::RegistrationClosed {
                opens_at,
                closes_at,
            } => format!(
                "该场次的报名时间为{}至{}，现在不能报名",
                local_time(*opens_at),
                local_time(*closes_at)
            ),
            Refusal::Full { seats_left } => {
                format!("该场次名额不足（剩余{seats_left}个座位）")
            }
            Refusal::NotTheirs => "只能为本人或本企业员工报名".into(),
            Refusal::OtherEnterprise => "此人属于其他企业，如需调整请联系区应急管理局".into(),
            Refusal::NotCandidate => "该账号是工作人员账号，不能报名参加考试".into(),
            Refusal::AlreadyPassed => "此人已通过本课程考核，无需再次报名".into(),
            Refusal::RetakesUsed { retake_limit } => {
                format!("此人本课程的考试次数已用完（首考加{retake_limit}次补考）")
            }
            Refusal::CertificateRequired => {
                "再培训考核须持有所延续课程的有效证书，此人没有有效证书".into()
            }
            Refusal::StudyIncomplete { missing_seconds } => format!(
                "本课程须先完成线上学习才能报名考试：还差 {} 学时（约 {} 分钟）",
                crate::study::hours_left_text(*missing_seconds),
                (missing_seconds + 59) / 60
            ),
        }
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        let message = refusal.message();
        match refusal {
            Refusal::NotTheirs | Refusal::OtherEnterprise => AppError::forbidden(message),
            Refusal::NotCandidate => AppError::invalid("user_id", message),
            other => AppError::conflict(other.code(), None, message),
        }
    }
}

/// Whether the sitting takes bookings at `now`: not cancelled, inside its registration window.
pub fn sitting_open(sitting: &Sitting, now: DateTime<Utc>) -> Result<(), Refusal> {
    if sitting.cancelled_at.is_some() {
        return Err(Refusal::SittingCancelled);
    }
    if !(sitting.registration_opens_at <= now && now <= sitting.registration_closes_at) {
        return Err(Refusal::RegistrationClosed {
            opens_at: sitting.registration_opens_at,
            closes_at: sitting.registration_closes_at,
        });
    }
    Ok(())
}

/// Whether `wanted` new bookings fit in the seats left. The booking transaction checks again
/// under a lock, so two bookings racing for the last seat cannot both win.
pub fn seats(sitting: &Sitting, wanted: i64) -> Result<(), Refusal> {
    if wanted > sitting.seats_left() {
        return Err(Refusal::Full {
            seats_left: sitting.seats_left(),
        });
    }
    Ok(())
}

/// Whether `booker` may book this person at all: a candidate, theirs to book.
pub fn may_book(booker: Booker, person: &Person) -> Result<(), Refusal> {
    match booker {
        Booker::Themself | Booker::Bureau => {}
        Booker::Enterprise(own) => {
            if person.enterprise_id != Some(own) {
                return Err(Refusal::NotTheirs);
            }
        }
        Booker::Roster(own) => {
            if person.enterprise_id.is_some_and(|e| e != own) {
                return Err(Refusal::OtherEnterprise);
            }
        }
    }
    if !person.is_candidate {
        return Err(Refusal::NotCandidate);
    }
    Ok(())
}

/// Whether the person may take the course's exam again (or for the first time).
pub fn eligible(course: &Course, person: &Person) -> Result<(), Refusal> {
    if person.passed {
        return Err(Refusal::AlreadyPassed);
    }
    // 补考: the first attempt plus `retake_limit` more.
    if person.finished_attempts > course.retake_limit {
        return Err(Refusal::RetakesUsed {
            retake_limit: course.retake_limit,
        });
    }
    if course.renews_course_id.is_some() && !person.holds_renewed_certificate {
        return Err(Refusal::CertificateRequired);
    }
    if course.study_before_booking && person.study_missing_seconds > 0 {
        return Err(Refusal::StudyIncomplete {
            missing_seconds: person.study_missing_seconds,
        });
    }
    Ok(())
}

/// Every rule for booking one person into one seat.
pub fn admit(
    booker: Booker,
    sitting: &Sitting,
    course: &Course,
    who: &Person,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    may_book(booker, who)?;
    eligible(course, who)?;
    sitting_open(sitting, now)?;
    seats(sitting, 1)
}

#[cfg(test)]
mod tests;
