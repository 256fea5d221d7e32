use super::*;
use chrono::TimeZone;

fn pace() -> Pace {
    Pace {
        interval: Duration::from_secs(15),
    }
}

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap() + chrono::Duration::seconds(seconds)
}

fn opened() -> StudySession {
    StudySession {
        user_id: 7,
        lesson_id: 3,
        last_beat_at: None,
        last_seq: 0,
        video_position_ms: None,
    }
}

fn beat(seq: i64) -> Beat {
    Beat {
        seq,
        visible: true,
        active: true,
        video: None,
    }
}

/// Plays `beats` (each: seconds after the start, the beat) through the rule from a freshly
/// opened session; returns the milliseconds earned in all.
fn play(has_video: bool, beats: &[(i64, Beat)]) -> i64 {
    let mut session = opened();
    let mut earned = 0;
    for (seconds, beat) in beats {
        if let Credit::Counted {
            earned_ms,
            session: next,
        } = credit(&session, beat, has_video, at(*seconds), pace())
        {
            earned += earned_ms;
            session = next;
        }
    }
    earned
}

#[test]
fn each_heartbeat_earns_the_time_since_the_last_by_the_servers_clock() {
    let beats: Vec<_> = (0..5).map(|i| (i * 15, beat(i + 1))).collect();
    assert_eq!(
        play(false, &beats),
        60_000,
        "four gaps of 15 s after the first"
    );
}

#[test]
fn the_first_heartbeat_only_starts_the_clock() {
    assert_eq!(play(false, &[(40, beat(1))]), 0);
}

#[test]
fn heartbeats_faster_than_real_time_earn_only_real_time() {
    // A script posting 100 heartbeats within one second claims nothing more than the second.
    let mut session = opened();
    let mut earned = 0;
    for i in 0..100 {
        let now = at(0) + chrono::Duration::milliseconds(i * 10);
        if let Credit::Counted {
            earned_ms,
            session: next,
        } = credit(&session, &beat(i + 1), false, now, pace())
        {
            earned += earned_ms;
            session = next;
        }
    }
    assert_eq!(earned, 990);
}

#[test]
fn a_replayed_or_older_heartbeat_earns_nothing_and_changes_nothing() {
    let Credit::Counted { session, .. } = credit(&opened(), &beat(1), false, at(0), pace()) else {
        panic!("the first heartbeat counts")
    };
    let Credit::Counted { session, earned_ms } = credit(&session, &beat(2), false, at(15), pace())
    else {
        panic!("the second counts")
    };
    assert_eq!(earned_ms, 15_000);
    assert_eq!(
        credit(&session, &beat(2), false, at(30), pace()),
        Credit::Replay
    );
    assert_eq!(
        credit(&session, &beat(1), false, at(30), pace()),
        Credit::Replay
    );
}

#[test]
fn a_hidden_page_or_an_idle_learner_earns_nothing() {
    let hidden = Beat {
        visible: false,
        ..beat(2)
    };
    let idle = Beat {
        active: false,
        ..beat(3)
    };
    assert_eq!(play(false, &[(0, beat(1)), (15, hidden), (30, idle)]), 0);
    // Back on the page: the next heartbeat earns again.
    let hidden = Beat {
        visible: false,
        ..beat(2)
    };
    assert_eq!(
        play(false, &[(0, beat(1)), (15, hidden), (30, beat(3))]),
        15_000
    );
}

#[test]
fn a_gap_longer_than_the_page_could_have_been_there_earns_nothing() {
    // 30 s is the longest gap at a 15 s pace; a page away for a minute earns nothing for it,
    // and the clock starts again.
    assert_eq!(play(false, &[(0, beat(1)), (30, beat(2))]), 30_000);
    assert_eq!(
        play(false, &[(0, beat(1)), (31, beat(2)), (46, beat(3))]),
        15_000
    );
}

fn video(seq: i64, position_s: i64, playing: bool) -> Beat {
    Beat {
        video: Some(VideoState {
            position_ms: position_s * 1000,
            playing,
        }),
        ..beat(seq)
    }
}

#[test]
fn a_video_earns_what_it_played_and_no_faster_than_normal_speed() {
    // Played 15 s in 15 s: 15 s. Paused: nothing. Played at double speed: the 15 s that
    // passed, not the 30 s of video. Sought ahead 10 minutes: the time that passed at most.
    assert_eq!(
        play(true, &[(0, video(1, 0, true)), (15, video(2, 15, true))]),
        15_000
    );
    assert_eq!(
        play(true, &[(0, video(1, 0, true)), (15, video(2, 0, false))]),
        0
    );
    assert_eq!(
        play(true, &[(0, video(1, 0, true)), (15, video(2, 30, true))]),
        15_000
    );
    assert_eq!(
        play(true, &[(0, video(1, 0, true)), (15, video(2, 600, true))]),
        15_000
    );
    // Played 5 s of the 15 (buffering): 5 s. Sought back: nothing.
    assert_eq!(
        play(true, &[(0, video(1, 0, true)), (15, video(2, 5, true))]),
        5_000
    );
    assert_eq!(
        play(true, &[(0, video(1, 60, true)), (15, video(2, 10, true))]),
        0
    );
    // A video lesson whose page says nothing of the video earns nothing.
    assert_eq!(play(true, &[(0, beat(1)), (15, beat(2))]), 0);
}

#[test]
fn hours_are_written_as_people_write_them() {
    assert_eq!(hours_text(16 * SECONDS_PER_STUDY_HOUR), "16");
    assert_eq!(hours_text(SECONDS_PER_STUDY_HOUR * 5 / 2), "2.5");
    assert_eq!(hours_text(SECONDS_PER_STUDY_HOUR - 1), "0.9");
    assert_eq!(hours_left_text(1), "0.1");
    assert_eq!(hours_left_text(SECONDS_PER_STUDY_HOUR), "1");
}

#[test]
fn a_lesson_must_say_what_it_is_and_ask_a_sensible_time() {
    let good = NewLesson {
        position: 1,
        module: "应急救护".into(),
        title: "心肺复苏".into(),
        body: "## 学习目标".into(),
        required_seconds: 45 * 60,
        video_url: None,
        sources: vec![],
    };
    assert!(good.check().is_ok());
    let field = |l: NewLesson| match l.check() {
        Err(AppError::Invalid(i)) => i.field.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(
        field(NewLesson {
            required_seconds: 0,
            ..good.clone()
        }),
        "required_minutes"
    );
    assert_eq!(
        field(NewLesson {
            title: " ".into(),
            ..good.clone()
        }),
        "title"
    );
    assert_eq!(
        field(NewLesson {
            video_url: Some("javascript:alert(1)".into()),
            ..good.clone()
        }),
        "video"
    );
}
