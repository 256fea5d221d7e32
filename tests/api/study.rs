//! Online study over HTTP: lessons, study sessions and heartbeats, the time the server
//! credits (and refuses to credit), the study totals and the booking gate.

use crate::{
    helpers::{TestApp, spawn_app_with},
    sittings::roster_xlsx,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A heartbeat every 3 s, so a gap over 6 s is time away (a slow request on a busy machine
/// stays well inside it). The tests' own waits are measured
/// around each request, since the server's clock, not the test's, decides what is credited.
async fn study_app() -> TestApp {
    spawn_app_with(|env| {
        env.insert("STUDY_HEARTBEAT_SECONDS".into(), "3".into());
    })
    .await
}

fn lesson(order: i64, module: &str, minutes: i64, video: Option<&str>) -> Value {
    json!({"order": order, "module": module, "title": format!("第{order}课"), "required_minutes": minutes,
           "body": "## 学习目标\n\n说出突发事件的四种类别。", "video_url": video,
           "sources": ["《中华人民共和国突发事件应对法》（2024年修订）"]})
}

impl TestApp {
    /// A course (the sittings helper's) with `lessons` put by the bureau; its id.
    async fn course_with_lessons(&self, bureau: &str, lessons: Vec<Value>) -> i64 {
        self.sitting(bureau, 10).await;
        let course = self.get("/api/v1/courses", None).await.body["items"][0]["id"]
            .as_i64()
            .unwrap();
        let put = self
            .call(
                Method::PUT,
                &format!("/api/v1/courses/{course}/lessons"),
                Some(bureau),
                Some(json!({ "lessons": lessons })),
            )
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.text);
        course
    }

    async fn lesson_ids(&self, course: i64, token: &str) -> Vec<i64> {
        let list = self
            .get(&format!("/api/v1/courses/{course}/lessons"), Some(token))
            .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.text);
        list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_i64().unwrap())
            .collect()
    }

    async fn open_study(&self, lesson: i64, token: &str) -> String {
        let opened = self
            .post(
                &format!("/api/v1/lessons/{lesson}/study-sessions"),
                Some(token),
                json!({}),
            )
            .await;
        assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text);
        opened.body["session"].as_str().unwrap().to_string()
    }

    async fn beat(&self, lesson: i64, token: &str, body: Value) -> crate::helpers::Reply {
        self.post(
            &format!("/api/v1/lessons/{lesson}/heartbeats"),
            Some(token),
            body,
        )
        .await
    }

    /// A visible, active heartbeat; the seconds credited after it.
    async fn beat_ok(&self, lesson: i64, token: &str, session: &str, seq: i64) -> i64 {
        let reply = self
            .beat(
                lesson,
                token,
                json!({"session": session, "seq": seq, "visible": true, "active": true}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert_eq!(reply.body["lesson_id"], lesson);
        reply.body["credited_seconds"].as_i64().unwrap()
    }

    /// Sets what a person has been credited for a lesson, as if studied before.
    async fn credit_directly(&self, user: i64, lesson: i64, credited_ms: i64) {
        let now = chrono::Utc::now();
        safecert::with_pool!(&self.state.db, pool => {
            sqlx::query(
                "INSERT INTO lesson_progress (user_id, lesson_id, credited_ms, updated_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(user)
            .bind(lesson)
            .bind(credited_ms)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ())
            .unwrap()
        });
    }
}

#[tokio::test]
async fn the_shipped_first_responder_course_is_sixteen_hours_in_seven_modules_in_order() {
    let app = spawn_app_with(|env| {
        env.insert("SHIPPED_BANKS".into(), "true".into());
    })
    .await;
    let (_, citizen) = app.quick_candidate(1).await;
    let courses = app.get("/api/v1/courses?limit=100", None).await;
    let fr = courses.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "FR-THEORY")
        .expect("the first-responder course ships")["id"]
        .as_i64()
        .unwrap();
    let list = app
        .get(&format!("/api/v1/courses/{fr}/lessons"), Some(&citizen))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(list.body["total"], items.len());
    let seconds: i64 = items
        .iter()
        .map(|l| l["required_seconds"].as_i64().unwrap())
        .sum();
    assert_eq!(seconds, 16 * 45 * 60, "16 学时 of 45 minutes online");
    let mut modules: Vec<&str> = items
        .iter()
        .map(|l| l["module"].as_str().unwrap())
        .collect();
    modules.dedup();
    assert_eq!(
        modules,
        [
            "防灾减灾基础",
            "应急避难与现场疏散",
            "突发事件信息收集与上报",
            "事故基础知识及应对",
            "消防安全与火灾应对",
            "灾后初期搜索与营救",
            "应急救护"
        ],
        "seven modules, each studied through before the next"
    );
    let orders: Vec<i64> = items.iter().map(|l| l["order"].as_i64().unwrap()).collect();
    assert!(orders.windows(2).all(|w| w[0] < w[1]), "{orders:?}");
    // A whole lesson names its sources.
    let first = app
        .get(
            &format!("/api/v1/lessons/{}", items[0]["id"]),
            Some(&citizen),
        )
        .await;
    assert!(first.body["body"].as_str().unwrap().contains("学习目标"));
    assert!(!first.body["sources"].as_array().unwrap().is_empty());
    // And the learner's totals list the course with nothing credited yet.
    let mine = app.get("/api/v1/me/study", Some(&citizen)).await;
    let fr_total = mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["course_id"] == fr)
        .expect("the course is in the totals")
        .clone();
    assert_eq!(fr_total["credited_seconds"], 0);
    assert_eq!(fr_total["required_seconds"], 16 * 45 * 60);
}

#[tokio::test]
async fn time_is_credited_by_the_servers_clock_only_while_the_page_is_there() {
    let app = study_app().await;
    let bureau = app.bureau_admin().await;
    let course = app
        .course_with_lessons(&bureau, vec![lesson(1, "防灾减灾基础", 10, None)])
        .await;
    let (_, me) = app.quick_candidate(1).await;
    let lesson = app.lesson_ids(course, &me).await[0];
    let session = app.open_study(lesson, &me).await;

    let started = Instant::now();
    assert_eq!(
        app.beat_ok(lesson, &me, &session, 1).await,
        0,
        "the first beat starts the clock"
    );
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let after_one = app.beat_ok(lesson, &me, &session, 2).await;
    let waited = started.elapsed().as_secs() as i64;
    assert!(
        (1..=waited).contains(&after_one),
        "{after_one} s credited for {waited} s on the page"
    );

    // A replayed heartbeat earns nothing, however late it comes.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(app.beat_ok(lesson, &me, &session, 2).await, after_one);
    // A hidden page, or a learner who stepped away, earns nothing either.
    let hidden = app
        .beat(
            lesson,
            &me,
            json!({"session": session, "seq": 3, "visible": false, "active": true}),
        )
        .await;
    assert_eq!(hidden.body["credited_seconds"], after_one);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let idle = app
        .beat(
            lesson,
            &me,
            json!({"session": session, "seq": 4, "visible": true, "active": false}),
        )
        .await;
    assert_eq!(idle.body["credited_seconds"], after_one);

    // Away longer than two heartbeats: nothing for the gap.
    tokio::time::sleep(Duration::from_millis(6600)).await;
    // Measured from before the heartbeat the next ones count from, so the server's gaps all
    // fall inside the test's own measure.
    let started = Instant::now();
    assert_eq!(app.beat_ok(lesson, &me, &session, 5).await, after_one);

    // A script posting heartbeats as fast as it can earns only the time that really passed.
    let mut credited = after_one;
    for seq in 6..46 {
        credited = app.beat_ok(lesson, &me, &session, seq).await;
    }
    let elapsed = started.elapsed().as_secs() as i64;
    assert!(
        credited - after_one <= elapsed + 1,
        "40 heartbeats in {elapsed} s earned {} s",
        credited - after_one
    );

    // The lesson and the totals say the same.
    let view = app
        .get(&format!("/api/v1/lessons/{lesson}"), Some(&me))
        .await;
    assert_eq!(view.body["credited_seconds"], credited);
    let mine = app.get("/api/v1/me/study", Some(&me)).await;
    assert_eq!(mine.body["items"][0]["course_id"], course);
    assert_eq!(mine.body["items"][0]["credited_seconds"], credited);
    assert_eq!(mine.body["items"][0]["required_seconds"], 600);
}

#[tokio::test]
async fn a_lesson_is_credited_up_to_its_required_time_and_no_more() {
    let app = study_app().await;
    let bureau = app.bureau_admin().await;
    let course = app
        .course_with_lessons(&bureau, vec![lesson(1, "应急救护", 1, None)])
        .await;
    let (me_id, me) = app.quick_candidate(1).await;
    let lesson = app.lesson_ids(course, &me).await[0];
    app.credit_directly(me_id, lesson, 59_500).await;
    let session = app.open_study(lesson, &me).await;
    app.beat_ok(lesson, &me, &session, 1).await;
    for seq in 2..5 {
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert!(app.beat_ok(lesson, &me, &session, seq).await <= 60);
    }
    assert_eq!(
        app.beat_ok(lesson, &me, &session, 5).await,
        60,
        "capped at one minute"
    );
}

#[tokio::test]
async fn one_person_studies_in_one_place_and_forged_sessions_earn_nothing() {
    let app = study_app().await;
    let bureau = app.bureau_admin().await;
    let course = app
        .course_with_lessons(
            &bureau,
            vec![
                lesson(1, "防灾减灾基础", 10, None),
                lesson(2, "防灾减灾基础", 10, None),
            ],
        )
        .await;
    let (_, me) = app.quick_candidate(1).await;
    let (_, other) = app.quick_candidate(2).await;
    let lessons = app.lesson_ids(course, &me).await;
    let phone = app.open_study(lessons[0], &me).await;
    app.beat_ok(lessons[0], &me, &phone, 1).await;

    // The same person opens the other lesson on a laptop: the phone stops earning.
    let laptop = app.open_study(lessons[1], &me).await;
    let started = Instant::now();
    app.beat_ok(lessons[1], &me, &laptop, 1).await;
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let stale = app
        .beat(
            lessons[0],
            &me,
            json!({"session": phone, "seq": 2, "visible": true, "active": true}),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
    assert_eq!(stale.body["code"], "study_session_ended");
    assert!(stale.text.contains("其他页面或设备"), "{}", stale.text);
    let laptop_earned = app.beat_ok(lessons[1], &me, &laptop, 2).await;
    assert!(
        (1..=started.elapsed().as_secs() as i64).contains(&laptop_earned),
        "the laptop earns: {laptop_earned}"
    );

    // A made-up session, or someone else's, earns nothing and changes nothing.
    for (token, session) in [(&me, "sc_forged".to_string()), (&other, laptop.clone())] {
        let forged = app
            .beat(
                lessons[1],
                token,
                json!({"session": session, "seq": 99, "visible": true, "active": true}),
            )
            .await;
        assert_eq!(forged.status, StatusCode::CONFLICT, "{}", forged.text);
    }
    // The laptop's own session goes on from where it was: seq 99 was never counted for it, so
    // its heartbeat 3 is new and earns.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(app.beat_ok(lessons[1], &me, &laptop, 3).await > laptop_earned);
    // Nobody signed in studies nothing.
    let anonymous = app
        .call(
            Method::POST,
            &format!("/api/v1/lessons/{}/heartbeats", lessons[1]),
            None,
            Some(json!({"session": laptop, "seq": 4, "visible": true, "active": true})),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_video_earns_only_the_time_it_played_at_normal_speed() {
    let app = study_app().await;
    let bureau = app.bureau_admin().await;
    let course = app
        .course_with_lessons(
            &bureau,
            vec![lesson(
                1,
                "应急救护",
                10,
                Some("https://video.example.cn/cpr.mp4"),
            )],
        )
        .await;
    let (_, me) = app.quick_candidate(1).await;
    let lesson = app.lesson_ids(course, &me).await[0];
    let session = app.open_study(lesson, &me).await;
    let video = |seq: i64, position: f64, playing: bool| {
        json!({"session": session, "seq": seq, "visible": true, "active": true,
               "video_position_seconds": position, "video_playing": playing})
    };
    let credited = |reply: crate::helpers::Reply| reply.body["credited_seconds"].as_i64().unwrap();
    let started = Instant::now();
    assert_eq!(
        credited(app.beat(lesson, &me, video(1, 0.0, true)).await),
        0
    );
    tokio::time::sleep(Duration::from_millis(1300)).await;
    // Sought ten minutes ahead in 1.3 s: the time that passed at most, not ten minutes.
    let sought = credited(app.beat(lesson, &me, video(2, 600.0, true)).await);
    assert!(
        (1..=started.elapsed().as_secs() as i64).contains(&sought),
        "{sought}"
    );
    tokio::time::sleep(Duration::from_millis(1300)).await;
    // Paused: nothing, though the page is there.
    assert_eq!(
        credited(app.beat(lesson, &me, video(3, 600.0, false)).await),
        sought
    );
    tokio::time::sleep(Duration::from_millis(3000)).await;
    // Played 0.5 s of the 3 (buffering): half a second, not three.
    let buffering = credited(app.beat(lesson, &me, video(4, 600.5, true)).await);
    assert!(buffering <= sought + 1, "{sought} then {buffering}");
    // A page that says nothing of the video earns nothing on a video lesson.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(app.beat_ok(lesson, &me, &session, 5).await, buffering);
}

#[tokio::test]
async fn a_course_that_asks_for_its_lessons_first_refuses_bookings_until_they_are_studied() {
    let app = study_app().await;
    let bureau = app.bureau_admin().await;
    // A course with two lessons (1 and 2 minutes), studied before its exam.
    let bank = app.create_bank(&bureau, "学时题库").await;
    app.import(&bureau, bank, "native", crate::banks::NATIVE)
        .await;
    let c = app
        .post(
            "/api/v1/courses",
            Some(&bureau),
            json!({"code": "RE-STUDY", "title": "再培训", "category": "safety_manager",
                   "training_hours": 12, "pass_mark": 1.0, "time_limit_minutes": 30, "validity_months": 12,
                   "study_before_booking": true,
                   "blueprint": {"sections": [{"title": "单选题", "kind": "single", "count": 1, "points": 1.0, "bank_id": bank}]}}),
        )
        .await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.text);
    assert_eq!(c.body["study_before_booking"], true);
    let course = c.body["id"].as_i64().unwrap();
    let put = app
        .call(
            Method::PUT,
            &format!("/api/v1/courses/{course}/lessons"),
            Some(&bureau),
            Some(json!({"lessons": [lesson(1, "法规", 1, None), lesson(2, "法规", 2, None)]})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(put.body["added"], 2);
    let starts = chrono::Utc::now() + chrono::Duration::days(2);
    let sitting = app
        .post(
            "/api/v1/sittings",
            Some(&bureau),
            json!({"course_id": course, "starts_at": starts, "ends_at": starts + chrono::Duration::hours(1),
                   "capacity": 10, "venue": {"kind": "station", "name": "福田区应急服务站", "address": "福田区福华路1号"}}),
        )
        .await;
    let sitting = sitting.body["id"].as_i64().unwrap();
    let book = format!("/api/v1/sittings/{sitting}/registrations");

    let (me_id, me) = app.quick_candidate(1).await;
    let refused = app.post(&book, Some(&me), json!({})).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert_eq!(refused.body["code"], "study_incomplete");
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("还差 0.1 学时（约 3 分钟）"),
        "{}",
        refused.text
    );

    // An enterprise's roster is refused the same way for people who have not studied.
    let (enterprise, admin) = app
        .enterprise_with_admin(&bureau, "914403001922038216", 500)
        .await;
    let roster = app
        .upload_roster(&admin, enterprise, sitting, roster_xlsx(1000..1002, &[]))
        .await;
    assert_eq!(
        roster.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        roster.text
    );
    assert!(roster.text.contains("还差"), "{}", roster.text);

    // Studied one lesson of two: refused, saying what is left.
    let lessons = app.lesson_ids(course, &me).await;
    app.credit_directly(me_id, lessons[0], 60_000).await;
    let still = app.post(&book, Some(&me), json!({})).await;
    assert_eq!(still.status, StatusCode::CONFLICT);
    assert!(still.text.contains("约 2 分钟"), "{}", still.text);

    // The last seconds studied through heartbeats: booked.
    app.credit_directly(me_id, lessons[1], 119_000).await;
    let session = app.open_study(lessons[1], &me).await;
    app.beat_ok(lessons[1], &me, &session, 1).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(app.beat_ok(lessons[1], &me, &session, 2).await, 120);
    let booked = app.post(&book, Some(&me), json!({})).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.text);
}

#[tokio::test]
async fn only_the_bureau_writes_lessons_and_bad_lessons_are_refused_in_chinese() {
    let app = study_app().await;
    let bureau = app.bureau_admin().await;
    let course = app
        .course_with_lessons(&bureau, vec![lesson(1, "防灾减灾基础", 10, None)])
        .await;
    let (_, me) = app.quick_candidate(1).await;
    let path = format!("/api/v1/courses/{course}/lessons");
    let by_citizen = app
        .call(
            Method::PUT,
            &path,
            Some(&me),
            Some(json!({"lessons": [lesson(1, "x", 10, None)]})),
        )
        .await;
    assert_eq!(by_citizen.status, StatusCode::FORBIDDEN);
    let unknown = app.get("/api/v1/courses/99999/lessons", Some(&me)).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let nobody = app.get(&path, None).await;
    assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);

    let twice = app
        .call(
            Method::PUT,
            &path,
            Some(&bureau),
            Some(json!({"lessons": [lesson(1, "a", 10, None), lesson(1, "b", 10, None)]})),
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(twice.text.contains("出现了两次"), "{}", twice.text);
    let script = app
        .call(
            Method::PUT,
            &path,
            Some(&bureau),
            Some(json!({"lessons": [lesson(1, "a", 10, Some("javascript:alert(1)"))]})),
        )
        .await;
    assert_eq!(script.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(script.body["field"], "video");
    // Nothing changed by the refused writes.
    let list = app.get(&path, Some(&me)).await;
    assert_eq!(list.body["items"][0]["module"], "防灾减灾基础");

    // Rewriting a studied lesson keeps its credited time; leaving it out keeps it too.
    let (studied_by, studier) = app.quick_candidate(2).await;
    let studied = list.body["items"][0]["id"].as_i64().unwrap();
    app.credit_directly(studied_by, studied, 90_000).await;
    let rewritten = app
        .call(
            Method::PUT,
            &path,
            Some(&bureau),
            Some(json!({"lessons": [lesson(1, "改写后", 10, None)]})),
        )
        .await;
    assert_eq!(rewritten.body["updated"], 1, "{}", rewritten.text);
    let dropped = app
        .call(
            Method::PUT,
            &path,
            Some(&bureau),
            Some(json!({"lessons": [lesson(2, "新课", 5, None)]})),
        )
        .await;
    assert_eq!(dropped.body["added"], 1, "{}", dropped.text);
    assert_eq!(dropped.body["kept_studied"], 1, "{}", dropped.text);
    let view = app
        .get(&format!("/api/v1/lessons/{studied}"), Some(&studier))
        .await;
    assert_eq!(view.body["module"], "改写后");
    assert_eq!(view.body["credited_seconds"], 90);
}

impl TestApp {
    /// Marks a lesson studied in full by `user` at `when`, as the heartbeats would.
    async fn complete_directly(&self, user: i64, lesson: i64, when: chrono::DateTime<chrono::Utc>) {
        let ms: i64 = safecert::with_pool!(&self.state.db, pool => {
            sqlx::query_scalar::<_, i64>("SELECT required_seconds FROM lessons WHERE id = $1")
                .bind(lesson)
                .fetch_one(pool)
                .await
                .unwrap()
        }) * 1000;
        safecert::with_pool!(&self.state.db, pool => {
            sqlx::query(
                "INSERT INTO lesson_progress (user_id, lesson_id, credited_ms, completed_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(user)
            .bind(lesson)
            .bind(ms)
            .bind(when)
            .execute(pool)
            .await
            .map(|_| ())
            .unwrap()
        });
    }
}

/// 学时 count on the day a lesson is studied in full: the statement for the year lists those
/// lessons, the bureau's report counts them by course, an enterprise admin sees their own
/// staff's hours (and nobody else's), and 一人一档 carries the study.
#[tokio::test]
async fn completed_lessons_make_the_year_statement_the_hours_report_and_the_records() {
    let app = study_app().await;
    let bureau = app.bureau_admin().await;
    let course = app
        .course_with_lessons(
            &bureau,
            vec![
                lesson(1, "应急救护", 45, None),
                lesson(2, "应急救护", 45, None),
            ],
        )
        .await;
    let lessons = app.lesson_ids(course, &bureau).await;
    let (enterprise, admin) = app
        .enterprise_with_admin(&bureau, "914403001922038216", 8100)
        .await;
    let (_, other_admin) = app
        .enterprise_with_admin(&bureau, "91440300MA5DEM0019", 8101)
        .await;
    let (learner, token) = app.quick_candidate(8102).await;
    safecert::with_pool!(&app.state.db, pool => {
        sqlx::query("UPDATE users SET enterprise_id = $1 WHERE id = $2")
            .bind(enterprise)
            .bind(learner)
            .execute(pool)
            .await
            .map(|_| ())
            .unwrap()
    });
    let now = chrono::Utc::now();
    app.complete_directly(learner, lessons[0], now).await;
    // Last year's lesson is last year's 学时.
    app.complete_directly(learner, lessons[1], now - chrono::Duration::days(400))
        .await;

    // The statement for this year: one lesson, one 学时, of the course's two.
    let statement = app
        .client
        .get(format!(
            "{}/api/v1/me/study/certificate.pdf?course_id={course}",
            app.base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(statement.status(), StatusCode::OK);
    assert_eq!(statement.headers()["content-type"], "application/pdf");
    let pdf = statement.bytes().await.unwrap().to_vec();
    if let Some(text) = crate::sittings::pdf_text(&pdf) {
        let text: String = text.split_whitespace().collect();
        for expected in [
            "学时证明",
            "考生8102",
            "第1课第1课",
            "完成",
            "1学时",
            "共2学时",
        ] {
            assert!(text.contains(expected), "{expected:?} in {text}");
        }
        assert!(!text.contains("第2课第2课"), "last year's lesson: {text}");
    }
    let future = app
        .get(
            &format!("/api/v1/me/study/certificate.pdf?course_id={course}&year=2999"),
            Some(&token),
        )
        .await;
    assert_eq!(
        future.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        future.text
    );

    // The bureau's report, this year by course: one learner, one lesson, one 学时.
    let report = app
        .get("/api/v1/reports/study-hours?group_by=course", Some(&bureau))
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text);
    let row = &report.body["items"][0];
    assert_eq!(report.body["total"], 1, "{}", report.text);
    assert_eq!(row["learners"], 1);
    assert_eq!(row["lessons_completed"], 1);
    assert_eq!(row["study_hours"], 1.0);
    assert_eq!(
        row["courses_completed"], 1,
        "finished this year: its last lesson was"
    );
    // Last year: the other lesson, and the course not yet finished.
    let from = (now - chrono::Duration::days(500)).date_naive();
    let last_year = {
        use chrono::Datelike;
        chrono::NaiveDate::from_ymd_opt(now.year() - 1, 12, 31).unwrap()
    };
    let before = app
        .get(
            &format!("/api/v1/reports/study-hours?from={from}&to={last_year}"),
            Some(&bureau),
        )
        .await;
    assert_eq!(
        before.body["items"][0]["study_hours"], 1.0,
        "{}",
        before.text
    );
    assert_eq!(before.body["items"][0]["courses_completed"], 0);
    let both = app
        .get(
            &format!("/api/v1/reports/study-hours?from={from}"),
            Some(&bureau),
        )
        .await;
    assert_eq!(both.body["items"][0]["study_hours"], 2.0);
    assert_eq!(both.body["items"][0]["courses_completed"], 1);
    let csv = app
        .client
        .get(format!(
            "{}/api/v1/reports/study-hours?format=csv",
            app.base
        ))
        .bearer_auth(&bureau)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&csv[..3], b"\xEF\xBB\xBF", "a byte-order mark for Excel");
    assert!(String::from_utf8_lossy(&csv).contains("完成学时"));

    // The enterprise admin sees their staff; another enterprise's admin sees nobody.
    let own = app.get("/api/v1/reports/study-hours", Some(&admin)).await;
    assert_eq!(own.body["items"][0]["learners"], 1, "{}", own.text);
    let other = app
        .get("/api/v1/reports/study-hours", Some(&other_admin))
        .await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(other.body["total"], 0, "{}", other.text);
    let record = app
        .get("/api/v1/reports/enterprise-record", Some(&admin))
        .await;
    let staff = record.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "考生8102")
        .unwrap_or_else(|| panic!("{}", record.text));
    assert_eq!(staff["study_hours_this_year"], 1.0);

    // 一人一档 carries the study.
    let person = app
        .get(
            &format!("/api/v1/reports/person-record?user_id={learner}"),
            Some(&bureau),
        )
        .await;
    let study = person.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "线上学习")
        .unwrap_or_else(|| panic!("{}", person.text));
    assert_eq!(study["status"], "已学完 2 学时");
}
