//! The admission rules as pure logic: every rule refuses on its own, and passes otherwise.

use super::*;
use crate::{
    blueprint::Blueprint,
    courses::{CourseCategory, ReviewAfter},
    sittings::{Venue, VenueKind},
};
use chrono::{Duration, TimeZone};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap()
}

fn sitting(capacity: i64, seats_taken: i64) -> Sitting {
    Sitting {
        id: 1,
        course_id: 1,
        starts_at: now() + Duration::days(7),
        ends_at: now() + Duration::days(7) + Duration::hours(2),
        capacity,
        seats_taken,
        venue: Venue {
            kind: VenueKind::Online,
            name: None,
            address: None,
        },
        registration_opens_at: now() - Duration::days(1),
        registration_closes_at: now() + Duration::days(5),
        cancelled_at: None,
        cancel_reason: None,
        proctor_ids: vec![],
        created_at: now() - Duration::days(2),
    }
}

fn course(retake_limit: i64, renews: Option<i64>) -> Course {
    Course {
        id: 1,
        code: "FR-THEORY".into(),
        title: "应急第一响应人理论考核".into(),
        category: CourseCategory::FirstResponder,
        training_hours: 32,
        pass_mark: 80.0,
        time_limit_minutes: 60,
        validity_months: 36,
        retake_limit,
        practical_required: false,
        review_after: ReviewAfter::Close,
        blueprint: Blueprint { sections: vec![] },
        renews_course_id: renews,
        study_before_booking: false,
        created_at: now(),
    }
}

fn citizen() -> Person {
    Person::new_account(0)
}

fn staff_of(enterprise: i64) -> Person {
    Person {
        enterprise_id: Some(enterprise),
        ..citizen()
    }
}

#[test]
fn a_candidate_with_no_history_is_admitted_by_every_booker_that_may_book_them() {
    let (s, c) = (sitting(10, 0), course(1, None));
    assert_eq!(admit(Booker::Themself, &s, &c, &citizen(), now()), Ok(()));
    assert_eq!(admit(Booker::Bureau, &s, &c, &staff_of(7), now()), Ok(()));
    assert_eq!(
        admit(Booker::Enterprise(7), &s, &c, &staff_of(7), now()),
        Ok(())
    );
    assert_eq!(
        admit(Booker::Roster(7), &s, &c, &staff_of(7), now()),
        Ok(())
    );
    // A roster links people who belong to no enterprise yet.
    assert_eq!(admit(Booker::Roster(7), &s, &c, &citizen(), now()), Ok(()));
}

#[test]
fn an_enterprise_books_only_its_own_staff() {
    let (s, c) = (sitting(10, 0), course(1, None));
    assert_eq!(
        admit(Booker::Enterprise(7), &s, &c, &staff_of(8), now()),
        Err(Refusal::NotTheirs)
    );
    assert_eq!(
        admit(Booker::Enterprise(7), &s, &c, &citizen(), now()),
        Err(Refusal::NotTheirs)
    );
    assert_eq!(
        admit(Booker::Roster(7), &s, &c, &staff_of(8), now()),
        Err(Refusal::OtherEnterprise)
    );
}

#[test]
fn the_registration_window_and_cancellation_close_a_sitting() {
    let c = course(1, None);
    let mut s = sitting(10, 0);
    let early = s.registration_opens_at - Duration::seconds(1);
    let late = s.registration_closes_at + Duration::seconds(1);
    assert!(matches!(
        admit(Booker::Themself, &s, &c, &citizen(), early),
        Err(Refusal::RegistrationClosed { .. })
    ));
    assert!(matches!(
        admit(Booker::Themself, &s, &c, &citizen(), late),
        Err(Refusal::RegistrationClosed { .. })
    ));
    assert_eq!(
        admit(
            Booker::Themself,
            &s,
            &c,
            &citizen(),
            s.registration_closes_at
        ),
        Ok(())
    );
    s.cancelled_at = Some(now());
    assert_eq!(
        admit(Booker::Bureau, &s, &c, &citizen(), now()),
        Err(Refusal::SittingCancelled)
    );
}

#[test]
fn a_full_sitting_takes_nobody_and_a_group_needs_a_seat_each() {
    let c = course(1, None);
    assert_eq!(
        admit(Booker::Themself, &sitting(10, 10), &c, &citizen(), now()),
        Err(Refusal::Full { seats_left: 0 })
    );
    assert_eq!(seats(&sitting(10, 7), 3), Ok(()));
    assert_eq!(
        seats(&sitting(10, 7), 4),
        Err(Refusal::Full { seats_left: 3 })
    );
}

#[test]
fn a_passed_person_and_one_without_retakes_are_refused() {
    let s = sitting(10, 0);
    let passed = Person {
        passed: true,
        finished_attempts: 1,
        ..staff_of(7)
    };
    assert_eq!(
        admit(Booker::Roster(7), &s, &course(1, None), &passed, now()),
        Err(Refusal::AlreadyPassed)
    );
    // One retake allowed: after one failure they may book, after two not.
    let failed_once = Person {
        finished_attempts: 1,
        ..staff_of(7)
    };
    let failed_twice = Person {
        finished_attempts: 2,
        ..staff_of(7)
    };
    assert_eq!(
        admit(Booker::Roster(7), &s, &course(1, None), &failed_once, now()),
        Ok(())
    );
    assert_eq!(
        admit(
            Booker::Enterprise(7),
            &s,
            &course(1, None),
            &failed_twice,
            now()
        ),
        Err(Refusal::RetakesUsed { retake_limit: 1 })
    );
    assert_eq!(
        admit(Booker::Themself, &s, &course(0, None), &failed_once, now()),
        Err(Refusal::RetakesUsed { retake_limit: 0 })
    );
}

#[test]
fn re_education_needs_a_valid_certificate_of_the_renewed_course() {
    let (s, c) = (sitting(10, 0), course(1, Some(9)));
    assert_eq!(
        admit(Booker::Themself, &s, &c, &citizen(), now()),
        Err(Refusal::CertificateRequired)
    );
    let holder = Person {
        holds_renewed_certificate: true,
        ..citizen()
    };
    assert_eq!(admit(Booker::Themself, &s, &c, &holder, now()), Ok(()));
}

#[test]
fn a_course_that_asks_for_its_lessons_first_refuses_until_they_are_studied() {
    let s = sitting(10, 0);
    let gated = Course {
        study_before_booking: true,
        ..course(1, None)
    };
    let owing = Person {
        study_missing_seconds: 2 * 2700 + 30,
        ..citizen()
    };
    let refusal = admit(Booker::Themself, &s, &gated, &owing, now()).unwrap_err();
    assert_eq!(
        refusal,
        Refusal::StudyIncomplete {
            missing_seconds: 5430
        }
    );
    assert_eq!(refusal.code(), "study_incomplete");
    assert!(
        refusal.message().contains("还差 2.1 学时（约 91 分钟）"),
        "{}",
        refusal.message()
    );
    // The roster books newcomers only once they have studied too.
    assert!(
        admit(
            Booker::Roster(7),
            &s,
            &gated,
            &Person::new_account(2700),
            now()
        )
        .is_err()
    );
    assert_eq!(
        admit(Booker::Themself, &s, &gated, &citizen(), now()),
        Ok(())
    );
    // A course that does not ask for it books the same person.
    assert_eq!(
        admit(Booker::Themself, &s, &course(1, None), &owing, now()),
        Ok(())
    );
}

#[test]
fn staff_accounts_do_not_sit_exams() {
    let staff = Person {
        is_candidate: false,
        ..citizen()
    };
    assert_eq!(
        admit(
            Booker::Bureau,
            &sitting(10, 0),
            &course(1, None),
            &staff,
            now()
        ),
        Err(Refusal::NotCandidate)
    );
}

#[test]
fn every_refusal_has_a_stable_code_and_a_chinese_message() {
    let all = [
        Refusal::SittingCancelled,
        Refusal::RegistrationClosed {
            opens_at: now(),
            closes_at: now(),
        },
        Refusal::Full { seats_left: 2 },
        Refusal::NotTheirs,
        Refusal::OtherEnterprise,
        Refusal::StudyIncomplete {
            missing_seconds: 60,
        },
        Refusal::NotCandidate,
        Refusal::AlreadyPassed,
        Refusal::RetakesUsed { retake_limit: 1 },
        Refusal::CertificateRequired,
    ];
    for r in all {
        assert!(r.code().chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        assert!(
            r.message()
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{r:?}"
        );
    }
}
