//! The live exam end to end: start, save, resume, deadlines, auto-submit, grading once,
//! proctoring and faults. The same bodies run on SQLite + local store and PostgreSQL + Redis.

use crate::{
    banks::NATIVE,
    helpers::{PASSWORD, TestApp, phone, spawn_app, spawn_app_with},
};
use chrono::{DateTime, Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub struct Exam {
    pub bureau: String,
    pub sitting: i64,
    pub course: i64,
}

impl TestApp {
    /// A 3-question course (single, multiple, true/false; 1 point each, pass 2) and a sitting
    /// whose window is open from a minute ago until `ends_in`.
    pub async fn exam(&self, ends_in: Duration, retake_limit: i64, practical: bool) -> Exam {
        let bureau = self.bureau_admin().await;
        let bank = self.create_bank(&bureau, "考试题库").await;
        self.import(&bureau, bank, "native", NATIVE).await;
        let course = self
            .post(
                "/api/v1/courses",
                Some(&bureau),
                json!({"code": "EXAM", "title": "应急第一响应人理论考核", "category": "first_responder", "training_hours": 32,
                       "pass_mark": 2.0, "time_limit_minutes": 60, "validity_months": 36, "retake_limit": retake_limit,
                       "practical_required": practical, "review_after": "submit",
                       "blueprint": {"sections": [
                         {"title": "单选题", "kind": "single", "count": 1, "points": 1.0, "bank_id": bank},
                         {"title": "多选题", "kind": "multiple", "count": 1, "points": 1.0, "bank_id": bank},
                         {"title": "判断题", "kind": "true_false", "count": 1, "points": 1.0, "bank_id": bank}]}}),
            )
            .await;
        assert_eq!(course.status, StatusCode::CREATED, "{}", course.text);
        let course = course.body["id"].as_i64().unwrap();
        let sitting = self.open_sitting(&bureau, course, ends_in).await;
        Exam {
            bureau,
            sitting,
            course,
        }
    }

    pub async fn open_sitting(&self, bureau: &str, course: i64, ends_in: Duration) -> i64 {
        let now = Utc::now();
        let reply = self
            .post(
                "/api/v1/sittings",
                Some(bureau),
                json!({"course_id": course, "starts_at": now - Duration::minutes(1), "ends_at": now + ends_in,
                       "capacity": 50, "venue": {"kind": "online"}}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["id"].as_i64().unwrap()
    }

    pub async fn booked_candidate(&self, sitting: i64, n: u32) -> String {
        let (_, token) = self.quick_candidate(n).await;
        let r = self
            .post(
                &format!("/api/v1/sittings/{sitting}/registrations"),
                Some(&token),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        token
    }

    /// The candidate's start-or-resume of their attempt in `sitting`, as answered.
    pub async fn start_attempt(&self, sitting: i64, token: &str) -> crate::helpers::Reply {
        self.post(
            &format!("/api/v1/sittings/{sitting}/attempts"),
            Some(token),
            json!({}),
        )
        .await
    }

    pub async fn save(
        &self,
        token: &str,
        attempt: i64,
        position: u64,
        choice: &[&str],
        seq: i64,
    ) -> crate::helpers::Reply {
        self.call(
            Method::PUT,
            &format!("/api/v1/attempts/{attempt}/answers/{position}"),
            Some(token),
            Some(json!({"choice": choice, "seq": seq})),
        )
        .await
    }

    /// The key of each position, read from the server's paper (tests may; candidates never).
    pub async fn keys(&self, attempt: i64) -> Vec<Vec<String>> {
        let a = safecert::exam::store::attempt(&self.state.db, attempt)
            .await
            .unwrap()
            .unwrap();
        let paper = safecert::paper::store::paper(&self.state.db, a.registration_id)
            .await
            .unwrap()
            .unwrap();
        paper.questions.iter().map(|q| q.answer.clone()).collect()
    }
}

fn keys_of(q: &Value) -> Vec<String> {
    q["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap().to_string())
        .collect()
}

fn wrong_key(q: &Value, key: &[String]) -> String {
    keys_of(q).into_iter().find(|k| !key.contains(k)).unwrap()
}

#[tokio::test]
async fn start_save_resume_and_submit_without_leaking_keys() {
    let app = spawn_app().await;
    let exam = app.exam(Duration::hours(1), 1, false).await;
    let token = app.booked_candidate(exam.sitting, 1).await;
    let (_, stranger) = app.quick_candidate(2).await;

    let refused = app.start_attempt(exam.sitting, &stranger).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["code"], "not_registered");

    let start = app.start_attempt(exam.sitting, &token).await;
    assert_eq!(start.status, StatusCode::CREATED, "{}", start.text);
    let attempt = start.body["id"].as_i64().unwrap();
    let questions = start.body["questions"].as_array().unwrap().clone();
    assert_eq!(questions.len(), 3);
    for q in &questions {
        let fields: Vec<&str> = q.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            fields.len(),
            5,
            "only position, kind, stem, options, points: {fields:?}"
        );
        assert!(
            q.get("answer").is_none() && q.get("explanation").is_none() && q.get("key").is_none()
        );
    }
    let remaining = start.body["remaining_seconds"].as_i64().unwrap();
    assert!(remaining > 3000 && remaining <= 3600, "{remaining}");

    let keys = app.keys(attempt).await;
    // Answer 1 right, 2 wrong then right, 3 wrong.
    let r = app
        .save(
            &token,
            attempt,
            1,
            &keys[0].iter().map(String::as_str).collect::<Vec<_>>(),
            1,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["seq"], 1);
    let wrong2 = wrong_key(&questions[1], &keys[1]);
    assert_eq!(
        app.save(&token, attempt, 2, &[&wrong2], 1).await.status,
        StatusCode::OK
    );
    let right2: Vec<&str> = keys[1].iter().map(String::as_str).collect();
    assert_eq!(
        app.save(&token, attempt, 2, &right2, 3).await.body["choice"],
        json!(keys[1])
    );
    // An older seq arriving late changes nothing and returns what is stored.
    let late = app.save(&token, attempt, 2, &[&wrong2], 2).await;
    assert_eq!(late.status, StatusCode::OK);
    assert_eq!(
        (late.body["seq"].clone(), late.body["choice"].clone()),
        (json!(3), json!(keys[1]))
    );
    let wrong3 = wrong_key(&questions[2], &keys[2]);
    assert_eq!(
        app.save(&token, attempt, 3, &[&wrong3], 1).await.status,
        StatusCode::OK
    );

    // Bad saves: unknown position, a key that is no option, someone else's attempt.
    assert_eq!(
        app.save(&token, attempt, 9, &["A"], 1).await.status,
        StatusCode::NOT_FOUND
    );
    let bad_key = app.save(&token, attempt, 1, &["Z"], 9).await;
    assert_eq!(bad_key.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_key.body["field"], "choice");
    assert_eq!(
        app.save(&stranger, attempt, 1, &["A"], 9).await.status,
        StatusCode::NOT_FOUND
    );

    // Reload (another device): the same paper, every saved answer, the true time left.
    let again = app.start_attempt(exam.sitting, &token).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["questions"], json!(questions));
    let reloaded = app
        .get(&format!("/api/v1/attempts/{attempt}"), Some(&token))
        .await;
    let answers = reloaded.body["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[1]["seq"], 3);

    // A page that already holds the paper names it and gets everything but the paper.
    let etag = start.body["paper_etag"].as_str().unwrap().to_string();
    assert_eq!(again.body["paper_etag"], etag.as_str());
    let without_paper = |reply: reqwest::Response| async {
        let reply = crate::helpers::read_reply(reply).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert!(reply.body.get("questions").is_none(), "{}", reply.text);
        assert_eq!(reply.body["paper_etag"], etag.as_str());
        reply
    };
    let resumed = without_paper(
        app.client
            .post(format!(
                "{}/api/v1/sittings/{}/attempts",
                app.base, exam.sitting
            ))
            .bearer_auth(&token)
            .header("If-None-Match", format!("\"{etag}\""))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(resumed.body["answers"], reloaded.body["answers"]);
    let light = without_paper(
        app.client
            .get(format!("{}/api/v1/attempts/{attempt}", app.base))
            .bearer_auth(&token)
            .header("If-None-Match", etag.as_str())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(light.body["answers"], reloaded.body["answers"]);
    assert!(
        light.text.len() * 2 < reloaded.text.len(),
        "the paper is most of a reload"
    );
    // An etag of some other paper gets the paper.
    let other = app
        .client
        .get(format!("{}/api/v1/attempts/{attempt}", app.base))
        .bearer_auth(&token)
        .header("If-None-Match", "\"0123abcd\"")
        .send()
        .await
        .unwrap();
    let other = crate::helpers::read_reply(other).await;
    assert_eq!(other.body["questions"], json!(questions));

    assert_eq!(
        app.get(&format!("/api/v1/attempts/{attempt}/result"), Some(&token))
            .await
            .body["code"],
        "attempt_open"
    );
    let submitted = app
        .post(
            &format!("/api/v1/attempts/{attempt}/submit"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text);
    assert_eq!(
        (
            submitted.body["status"].clone(),
            submitted.body["score"].clone(),
            submitted.body["passed"].clone()
        ),
        (json!("graded"), json!(2.0), json!(true))
    );
    assert_eq!(
        submitted.body["sections"][2],
        json!({"title": "判断题", "score": 0.0, "max_score": 1.0})
    );
    let twice = app
        .post(
            &format!("/api/v1/attempts/{attempt}/submit"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(twice.body, submitted.body, "submit is idempotent");
    let closed = app
        .save(
            &token,
            attempt,
            3,
            &keys[2].iter().map(String::as_str).collect::<Vec<_>>(),
            5,
        )
        .await;
    assert_eq!(closed.status, StatusCode::CONFLICT);
    assert_eq!(closed.body["code"], "attempt_closed");

    // review_after = submit: the candidate sees the keys now.
    let result = app
        .get(&format!("/api/v1/attempts/{attempt}/result"), Some(&token))
        .await;
    assert_eq!(result.body["questions"][0]["key"], json!(keys[0]));
    assert_eq!(result.body["questions"][1]["correct"], true);
    let stored: i64 = safecert::with_pool!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM attempt_answers WHERE attempt_id = $1").bind(attempt).fetch_one(pool).await.unwrap()
    });
    assert_eq!(stored, 3, "every answer is in the database");
    let _ = exam.course;
}

/// Every start and reload reads the candidate's view of the paper; on PostgreSQL it is
/// stored with lz4, which reads back faster than the default pglz (bench/README.md).
/// A room presses 开始考试 at the same instant, each candidate twice (a double tap): starts
/// are committed in batches, and still every candidate gets one attempt, the same one on
/// both taps, with one `started` event, and can answer on it.
#[tokio::test]
async fn a_room_starting_at_once_gets_one_attempt_each() {
    let app = spawn_app().await;
    let exam = app.exam(Duration::hours(1), 1, false).await;
    let mut tokens = Vec::new();
    for n in 0..16 {
        tokens.push(app.booked_candidate(exam.sitting, n).await);
    }
    let mut taps = Vec::new();
    for (who, token) in tokens.iter().enumerate() {
        for _ in 0..2 {
            let (client, url, token) = (
                app.client.clone(),
                format!("{}/api/v1/sittings/{}/attempts", app.base, exam.sitting),
                token.clone(),
            );
            taps.push(tokio::spawn(async move {
                let resp = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({}))
                    .send()
                    .await
                    .unwrap();
                (who, resp.status(), resp.json::<Value>().await.unwrap())
            }));
        }
    }
    let mut attempt_of: std::collections::HashMap<usize, i64> = std::collections::HashMap::new();
    let mut created = 0;
    for tap in taps {
        let (who, status, body) = tap.await.unwrap();
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{status} {body}"
        );
        created += usize::from(status == StatusCode::CREATED);
        assert_eq!(
            body["questions"].as_array().map(Vec::len),
            Some(3),
            "{body}"
        );
        let id = body["id"].as_i64().unwrap();
        assert_eq!(
            *attempt_of.entry(who).or_insert(id),
            id,
            "both taps of one candidate land on one attempt"
        );
    }
    assert_eq!(created, tokens.len(), "one attempt created per candidate");
    let distinct: std::collections::HashSet<i64> = attempt_of.values().copied().collect();
    assert_eq!(distinct.len(), tokens.len());
    for (who, id) in &attempt_of {
        let events = app
            .get(&format!("/api/v1/attempts/{id}/events"), Some(&exam.bureau))
            .await;
        assert_eq!(events.status, StatusCode::OK, "{}", events.text);
        let started = events
            .body
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "started")
            .count();
        assert_eq!(started, 1, "attempt {id}: {}", events.text);
        let keys = app.keys(*id).await;
        let saved = app
            .save(
                &tokens[*who],
                *id,
                1,
                &keys[0].iter().map(String::as_str).collect::<Vec<_>>(),
                1,
            )
            .await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    }
}

/// Papers are drawn (and, with Redis, staged in the live store) ahead of the window, and a
/// start serves that paper; the staged copy carries no booking or window, so the database
/// still decides both: a booking cancelled after staging is refused, a sitting moved after
/// staging opens when it now says, and a late booking, never staged, still starts.
#[tokio::test]
async fn papers_staged_ahead_serve_starts_and_the_database_still_decides_who_starts() {
    let app = spawn_app().await;
    let exam = app.exam(Duration::hours(1), 1, false).await;
    let sitting = app
        .open_sitting(&exam.bureau, exam.course, Duration::hours(2))
        .await;
    let path = format!("/api/v1/sittings/{sitting}");
    let moved = |starts_at: chrono::DateTime<Utc>| {
        app.call(
            Method::PATCH,
            &path,
            Some(&exam.bureau),
            Some(json!({"starts_at": starts_at})),
        )
    };
    let r = moved(Utc::now() + Duration::minutes(30)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut booked = Vec::new();
    for n in 0..2 {
        let (user, token) = app.quick_candidate(n).await;
        let r = app
            .post(
                &format!("/api/v1/sittings/{sitting}/registrations"),
                Some(&token),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        booked.push((user, token, r.body["id"].as_i64().unwrap()));
    }
    let drawn = safecert::exam::jobs::prepare_upcoming(&app.state)
        .await
        .unwrap();
    assert_eq!(drawn, 2, "both papers drawn ahead of the window");
    for (user, _, registration) in &booked {
        let in_db = safecert::paper::store::paper_face(&app.state.db, *registration)
            .await
            .unwrap()
            .expect("drawn");
        let staged = app.state.live.staged_paper(sitting, *user).await.unwrap();
        if app.state.live.stages_papers() {
            let staged = staged.expect("staged in the live store");
            assert_eq!(
                (staged.registration_id, staged.face),
                (*registration, in_db)
            );
        } else {
            assert!(staged.is_none(), "the in-process store keeps no copies");
        }
    }
    let (_, cancelled_token, cancelled) = &booked[1];
    let r = app
        .post(
            &format!("/api/v1/registrations/{cancelled}/cancel"),
            Some(cancelled_token),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let start = |token: String| {
        let app = &app;
        async move {
            app.post(
                &format!("/api/v1/sittings/{sitting}/attempts"),
                Some(&token),
                json!({}),
            )
            .await
        }
    };
    let (_, token, registration) = &booked[0];
    let early = start(token.clone()).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text);
    assert_eq!(early.body["code"], "sitting_not_open");

    let r = moved(Utc::now() - Duration::minutes(1)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let started = start(token.clone()).await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.text);
    let in_db = safecert::paper::store::paper_face(&app.state.db, *registration)
        .await
        .unwrap()
        .unwrap();
    let drawn: Value = serde_json::from_str(&in_db.questions_json).unwrap();
    assert_eq!(
        started.body["questions"], drawn,
        "the paper drawn ahead, unchanged"
    );

    let refused = start(cancelled_token.clone()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert_eq!(refused.body["code"], "not_registered");

    let late = app.booked_candidate(sitting, 2).await;
    let late_start = start(late).await;
    assert_eq!(
        late_start.status,
        StatusCode::CREATED,
        "{}",
        late_start.text
    );
    assert_eq!(
        late_start.body["questions"].as_array().map(Vec::len),
        Some(3)
    );
}

#[tokio::test]
async fn papers_on_postgresql_are_stored_with_lz4() {
    let app = spawn_app().await;
    let safecert::db::Db::Postgres(pool) = &app.state.db else {
        eprintln!("skipped: needs TEST_DATABASE_URL");
        return;
    };
    let methods: Vec<(String, String)> = sqlx::query_as(
        "SELECT attname::text, attcompression::text FROM pg_attribute \
         WHERE attrelid = 'papers'::regclass AND attname IN ('candidate_view', 'content') \
         ORDER BY attname",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        methods,
        [
            ("candidate_view".to_string(), "l".to_string()),
            ("content".to_string(), "l".to_string())
        ],
        "'l' is lz4 in pg_attribute.attcompression"
    );
}

#[tokio::test]
async fn offline_answers_merge_by_seq_on_submit() {
    let app = spawn_app().await;
    let exam = app.exam(Duration::hours(1), 1, false).await;
    let token = app.booked_candidate(exam.sitting, 1).await;
    let start = app.start_attempt(exam.sitting, &token).await;
    let attempt = start.body["id"].as_i64().unwrap();
    let questions = start.body["questions"].as_array().unwrap().clone();
    let keys = app.keys(attempt).await;
    let wrong1 = wrong_key(&questions[0], &keys[0]);
    app.save(&token, attempt, 1, &[&wrong1], 5).await;
    // The page kept: q1 right but older (seq 4: loses), q2 and q3 right (new: win).
    let submitted = app
        .post(
            &format!("/api/v1/attempts/{attempt}/submit"),
            Some(&token),
            json!({"answers": [
                {"position": 1, "choice": keys[0], "seq": 4},
                {"position": 2, "choice": keys[1], "seq": 1},
                {"position": 3, "choice": keys[2], "seq": 1}]}),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text);
    assert_eq!(submitted.body["score"], 2.0);
}

#[tokio::test]
async fn the_deadline_is_the_servers_and_the_sweeper_submits_at_the_deadline() {
    let app = spawn_app_with(|env| {
        env.insert("SUBMIT_GRACE_MS".into(), "300".into());
        env.insert("SWEEP_MS".into(), "100".into());
    })
    .await;
    // The window closes in 3 seconds: the deadline is the window's end, not the time limit.
    let exam = app.exam(Duration::seconds(3), 1, false).await;
    let token = app.booked_candidate(exam.sitting, 1).await;
    let start = app.start_attempt(exam.sitting, &token).await;
    let attempt = start.body["id"].as_i64().unwrap();
    let deadline: DateTime<Utc> = start.body["deadline"].as_str().unwrap().parse().unwrap();
    let keys = app.keys(attempt).await;
    assert_eq!(
        app.save(
            &token,
            attempt,
            1,
            &keys[0].iter().map(String::as_str).collect::<Vec<_>>(),
            1
        )
        .await
        .status,
        StatusCode::OK
    );

    while Utc::now() <= deadline + Duration::milliseconds(50) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let late = app
        .save(
            &token,
            attempt,
            2,
            &keys[1].iter().map(String::as_str).collect::<Vec<_>>(),
            1,
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(late.body["code"], "attempt_closed");

    let result = wait_graded(&app, &token, attempt).await;
    assert_eq!(
        result["score"], 1.0,
        "the answer saved in time counts, the late one does not"
    );
    let finished: DateTime<Utc> = result["finished_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        finished, deadline,
        "finished at the deadline, not the sweep time"
    );
}

async fn wait_graded(app: &TestApp, token: &str, attempt: i64) -> Value {
    for _ in 0..200 {
        let r = app
            .get(&format!("/api/v1/attempts/{attempt}/result"), Some(token))
            .await;
        if r.status == StatusCode::OK {
            return r.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("attempt {attempt} was never graded");
}

#[tokio::test]
async fn an_overdue_attempt_is_graded_after_a_restart_with_its_answers() {
    let app = spawn_app_with(|env| {
        env.insert("SUBMIT_GRACE_MS".into(), "0".into());
        env.insert("SWEEP_MS".into(), "3600000".into());
    })
    .await;
    let exam = app.exam(Duration::seconds(3), 1, false).await;
    let token = app.booked_candidate(exam.sitting, 1).await;
    let start = app.start_attempt(exam.sitting, &token).await;
    let attempt = start.body["id"].as_i64().unwrap();
    let keys = app.keys(attempt).await;
    for (i, key) in keys.iter().enumerate() {
        let r = app
            .save(
                &token,
                attempt,
                i as u64 + 1,
                &key.iter().map(String::as_str).collect::<Vec<_>>(),
                1,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    // The process stops before the deadline; the next one sweeps after it.
    let app = app
        .restart(|env| {
            env.insert("SWEEP_MS".into(), "100".into());
        })
        .await;
    let result = wait_graded(&app, &token, attempt).await;
    assert_eq!(
        (result["score"].clone(), result["passed"].clone()),
        (json!(3.0), json!(true))
    );
}

#[tokio::test]
async fn proctors_extend_terminate_and_see_the_live_roster() {
    let app = spawn_app().await;
    let exam = app.exam(Duration::hours(1), 1, true).await;
    let proctor_id = app.proctor(&exam.bureau, 500).await;
    app.assign_proctors(&exam.bureau, exam.sitting, &[proctor_id])
        .await;
    let proctor = app.token(&phone(500), PASSWORD).await;
    let a = app.booked_candidate(exam.sitting, 1).await;
    let b = app.booked_candidate(exam.sitting, 2).await;
    let start_a = app.start_attempt(exam.sitting, &a).await;
    let start_b = app.start_attempt(exam.sitting, &b).await;
    let (attempt_a, attempt_b) = (
        start_a.body["id"].as_i64().unwrap(),
        start_b.body["id"].as_i64().unwrap(),
    );
    app.save(
        &a,
        attempt_a,
        1,
        &[keys_of(&start_a.body["questions"][0])[0].as_str()],
        1,
    )
    .await;
    app.post(
        &format!("/api/v1/attempts/{attempt_a}/events"),
        Some(&a),
        json!({"kind": "page_hidden"}),
    )
    .await;

    let roster = app
        .get(
            &format!("/api/v1/sittings/{}/live", exam.sitting),
            Some(&proctor),
        )
        .await;
    assert_eq!(roster.status, StatusCode::OK, "{}", roster.text);
    let row_a = roster.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["attempt_id"] == attempt_a)
        .unwrap()
        .clone();
    assert_eq!(
        (
            row_a["answered"].clone(),
            row_a["status"].clone(),
            row_a["name"].clone()
        ),
        (json!(1), json!("in_progress"), json!("考生1"))
    );
    assert!(row_a["last_seen_at"].is_string());
    assert_eq!(
        app.get(&format!("/api/v1/sittings/{}/live", exam.sitting), Some(&a))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let before = start_a.body["remaining_seconds"].as_i64().unwrap();
    let extended = app
        .post(
            &format!("/api/v1/attempts/{attempt_a}/extend"),
            Some(&proctor),
            json!({"minutes": 10}),
        )
        .await;
    assert_eq!(extended.status, StatusCode::OK, "{}", extended.text);
    let after = app
        .get(&format!("/api/v1/attempts/{attempt_a}"), Some(&a))
        .await
        .body["remaining_seconds"]
        .as_i64()
        .unwrap();
    assert!(after >= before + 590, "{before} → {after}");

    let ended = app
        .post(
            &format!("/api/v1/attempts/{attempt_b}/terminate"),
            Some(&proctor),
            json!({"reason": "使用手机查阅资料"}),
        )
        .await;
    assert_eq!(ended.body["status"], "terminated", "{}", ended.text);
    assert_eq!(
        app.save(&b, attempt_b, 1, &["A"], 2).await.body["code"],
        "attempt_closed"
    );
    let result_b = app
        .get(&format!("/api/v1/attempts/{attempt_b}/result"), Some(&b))
        .await;
    assert_eq!(
        (
            result_b.body["passed"].clone(),
            result_b.body["terminated_reason"].clone()
        ),
        (json!(false), json!("使用手机查阅资料"))
    );

    let events: Vec<String> = app
        .get(
            &format!("/api/v1/attempts/{attempt_a}/events"),
            Some(&proctor),
        )
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(events, vec!["started", "page_hidden", "extended"]);

    // The practical assessment (CPR on a manikin) is recorded by the proctor.
    let registration = app
        .get(
            &format!("/api/v1/registrations?sitting_id={}", exam.sitting),
            Some(&a),
        )
        .await
        .body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let recorded = app
        .post(
            &format!("/api/v1/registrations/{registration}/practical"),
            Some(&proctor),
            json!({"passed": true, "notes": "按压深度、频率达标"}),
        )
        .await;
    assert_eq!(recorded.status, StatusCode::OK, "{}", recorded.text);
    assert_eq!(
        app.post(
            &format!("/api/v1/registrations/{registration}/practical"),
            Some(&a),
            json!({"passed": true})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn retakes_are_limited_by_the_course() {
    let app = spawn_app().await;
    let exam = app.exam(Duration::hours(1), 1, false).await;
    let token = app.booked_candidate(exam.sitting, 1).await;
    let fail = |sitting: i64| {
        let (app, token) = (&app, token.clone());
        async move {
            let start = app
                .post(
                    &format!("/api/v1/sittings/{sitting}/attempts"),
                    Some(&token),
                    json!({}),
                )
                .await;
            let id = start.body["id"].as_i64().unwrap();
            let r = app
                .post(
                    &format!("/api/v1/attempts/{id}/submit"),
                    Some(&token),
                    json!({}),
                )
                .await;
            assert_eq!(r.body["passed"], false);
        }
    };
    fail(exam.sitting).await;
    // One retake (补考) is allowed.
    let second = app
        .open_sitting(&exam.bureau, exam.course, Duration::hours(1))
        .await;
    assert_eq!(
        app.post(
            &format!("/api/v1/sittings/{second}/registrations"),
            Some(&token),
            json!({})
        )
        .await
        .status,
        StatusCode::CREATED
    );
    fail(second).await;
    let third = app
        .open_sitting(&exam.bureau, exam.course, Duration::hours(1))
        .await;
    let refused = app
        .post(
            &format!("/api/v1/sittings/{third}/registrations"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.body["code"], "retake_limit_reached");
}

#[tokio::test]
async fn two_instances_on_one_redis_grade_each_attempt_exactly_once() {
    if std::env::var("TEST_REDIS_URL").is_err() {
        eprintln!(
            "skipped: several instances share a live store only through Redis (set TEST_REDIS_URL)"
        );
        return;
    }
    let app = spawn_app_with(|env| {
        env.insert("SECRET_KEY".into(), "00".repeat(32));
    })
    .await;
    let other = app.second_instance().await;
    let exam = app.exam(Duration::hours(1), 1, false).await;
    let mut attempts = Vec::new();
    for n in 0..10 {
        let token = app.booked_candidate(exam.sitting, n).await;
        // Start on one instance, answer on the other: they share the session.
        let start = app.start_attempt(exam.sitting, &token).await;
        let id = start.body["id"].as_i64().unwrap();
        let keys = app.keys(id).await;
        let r = other
            .save(
                &token,
                id,
                1,
                &keys[0].iter().map(String::as_str).collect::<Vec<_>>(),
                1,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        attempts.push((id, token));
    }
    // Both instances submit every attempt at the same moment, twice.
    let mut tasks = Vec::new();
    for (id, token) in &attempts {
        for base in [&app.base, &other.base, &app.base, &other.base] {
            let (client, url, token) = (
                app.client.clone(),
                format!("{base}/api/v1/attempts/{id}/submit"),
                token.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let resp = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({}))
                    .send()
                    .await
                    .unwrap();
                (resp.status(), resp.json::<Value>().await.unwrap())
            }));
        }
    }
    let mut bodies: std::collections::HashMap<i64, Value> = std::collections::HashMap::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = body["id"].as_i64().unwrap();
        if let Some(first) = bodies.get(&id) {
            assert_eq!(first, &body, "every submit returns the same result");
        }
        bodies.insert(id, body);
    }
    for (id, _) in &attempts {
        assert_eq!(bodies[id]["score"], 1.0);
        let answers: i64 = safecert::with_pool!(&app.state.db, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM attempt_answers WHERE attempt_id = $1").bind(id).fetch_one(pool).await.unwrap()
        });
        assert_eq!(answers, 3, "graded once: one row per question");
    }
}

/// A TCP proxy in front of Redis that a test can cut and restore.
struct Cuttable {
    port: u16,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Cuttable {
    async fn start(target: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>> =
            Default::default();
        let (flag, list) = (up.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !flag.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: connection refused in effect
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                list.lock().unwrap().push(task.abort_handle());
            }
        });
        Cuttable { port, up, links }
    }

    fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test]
async fn with_redis_down_saves_fail_with_503_and_nothing_acknowledged_is_lost() {
    let Ok(redis_url) = std::env::var("TEST_REDIS_URL") else {
        eprintln!("skipped: needs TEST_REDIS_URL");
        return;
    };
    let target = url::Url::parse(&redis_url).unwrap();
    let proxy = Cuttable::start(format!(
        "{}:{}",
        target.host_str().unwrap(),
        target.port().unwrap_or(6379)
    ))
    .await;
    let port = proxy.port;
    let app = spawn_app_with(|env| {
        env.insert("REDIS_URL".into(), format!("redis://127.0.0.1:{port}"));
    })
    .await;
    let exam = app.exam(Duration::hours(1), 1, false).await;
    let token = app.booked_candidate(exam.sitting, 1).await;
    let start = app.start_attempt(exam.sitting, &token).await;
    let id = start.body["id"].as_i64().unwrap();
    let keys = app.keys(id).await;
    let key = |i: usize| keys[i].iter().map(String::as_str).collect::<Vec<_>>();
    assert_eq!(
        app.save(&token, id, 1, &key(0), 1).await.status,
        StatusCode::OK
    );

    proxy.cut();
    let down = app.save(&token, id, 2, &key(1), 1).await;
    assert_eq!(
        down.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        down.text
    );
    assert_eq!(down.body["code"], "store_unavailable");
    assert_eq!(
        app.get("/readyz", None).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );

    proxy.restore();
    let mut saved = None;
    for _ in 0..50 {
        let r = app.save(&token, id, 2, &key(1), 1).await;
        if r.status == StatusCode::OK {
            saved = Some(r);
            break;
        }
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(saved.is_some(), "saves work again once Redis is back");
    let answers = app
        .get(&format!("/api/v1/attempts/{id}"), Some(&token))
        .await
        .body["answers"]
        .clone();
    assert_eq!(
        answers.as_array().unwrap().len(),
        2,
        "the answer acknowledged before the outage is still there: {answers}"
    );
}

#[tokio::test]
async fn a_killed_server_restarts_and_the_candidate_resumes_with_every_saved_answer() {
    use crate::helpers::TestEnv;
    let mut env = TestEnv::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    env.vars.insert("BIND".into(), format!("127.0.0.1:{port}"));
    let base = format!("http://127.0.0.1:{port}");
    let spawn = |vars: &std::collections::HashMap<String, String>| {
        std::process::Command::new(env!("CARGO_BIN_EXE_safecert"))
            .arg("serve")
            .env_clear()
            .envs(vars)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("the binary starts")
    };
    let wait_up = async |base: &str| {
        for _ in 0..200 {
            if reqwest::get(format!("{base}/healthz"))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the server did not come up");
    };
    let mut child = spawn(&env.vars);
    wait_up(&base).await;
    let state = safecert::startup::build_state(env.config()).await.unwrap();
    let vars = env.vars.clone();
    let app = TestApp::remote(base.clone(), state, env);
    let exam = app.exam(Duration::hours(1), 1, false).await;
    let token = app.booked_candidate(exam.sitting, 1).await;
    let start = app.start_attempt(exam.sitting, &token).await;
    let id = start.body["id"].as_i64().unwrap();
    let keys = app.keys(id).await;
    // The first answer is changed from wrong to right: the restarted process must resume with
    // the newer one of the two it finds journalled.
    let wrong1 = wrong_key(&start.body["questions"][0], &keys[0]);
    let first = app.save(&token, id, 1, &[&wrong1], 1).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    for (i, key) in keys.iter().enumerate().take(2) {
        let r = app
            .save(
                &token,
                id,
                i as u64 + 1,
                &key.iter().map(String::as_str).collect::<Vec<_>>(),
                2,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }

    child.kill().expect("SIGKILL"); // kill -9: no shutdown, no flush
    child.wait().unwrap();
    let mut child = spawn(&vars);
    wait_up(&base).await;

    // The page kept the paper: it resumes naming it, and gets every saved answer without it,
    // although the new process had to rebuild the live session from the journal.
    let resumed = app
        .client
        .post(format!("{base}/api/v1/sittings/{}/attempts", exam.sitting))
        .bearer_auth(&token)
        .header("If-None-Match", start.body["paper_etag"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let resumed = crate::helpers::read_reply(resumed).await;
    assert_eq!(resumed.status, StatusCode::OK, "{}", resumed.text);
    assert!(resumed.body.get("questions").is_none(), "{}", resumed.text);
    assert_eq!(
        resumed.body["answers"].as_array().unwrap().len(),
        2,
        "{}",
        resumed.text
    );
    let third = app
        .save(
            &token,
            id,
            3,
            &keys[2].iter().map(String::as_str).collect::<Vec<_>>(),
            1,
        )
        .await;
    assert_eq!(third.status, StatusCode::OK);
    let done = app
        .post(
            &format!("/api/v1/attempts/{id}/submit"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(done.body["score"], 3.0, "{}", done.text);
    child.kill().ok();
    child.wait().ok();
}

/// The load generator's seeding path (`safecert loadtest-seed`): every seeded candidate logs
/// in with the shared password, starts a 100-question paper without keys, and saves; the
/// seeded admin sees them in the sitting's live roster.
#[tokio::test]
async fn loadtest_seeding_books_candidates_who_can_take_the_exam() {
    let app = spawn_app().await;
    let seeded = safecert::loadtest::seed(&app.state, 3, 5).await.unwrap();
    assert_eq!(seeded.candidates.len(), 3);
    assert_eq!(seeded.questions, 100);
    assert!(seeded.deadline > Utc::now() + Duration::minutes(4));

    for phone in &seeded.candidates {
        let token = app.token(phone, &seeded.password).await;
        let started = app.start_attempt(seeded.sitting_id, &token).await;
        assert_eq!(started.status, StatusCode::CREATED, "{}", started.text);
        let questions = started.body["questions"].as_array().unwrap();
        assert_eq!(questions.len(), 100);
        assert!(questions.iter().all(|q| q.get("answer").is_none()));
        let attempt = started.body["id"].as_i64().unwrap();
        let key = questions[0]["options"][0]["key"].as_str().unwrap();
        let position = questions[0]["position"].as_u64().unwrap();
        let saved = app.save(&token, attempt, position, &[key], 1).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
        assert_eq!(saved.body["choice"], json!([key]));
    }

    let admin = app.token(&seeded.admin_login, &seeded.password).await;
    let live = app
        .get(
            &format!("/api/v1/sittings/{}/live", seeded.sitting_id),
            Some(&admin),
        )
        .await;
    assert_eq!(live.status, StatusCode::OK, "{}", live.text);
    let rows = live.body["items"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{}", live.text);
    assert!(
        rows.iter()
            .all(|r| r["status"] == "in_progress" && r["answered"] == 1),
        "{}",
        live.text
    );
}

/// On SQLite the log is copied back into the database file by a job of its own, not by the
/// commits of a running exam (bench/README.md): a started attempt and its saved answer reach
/// the file itself within seconds, though the log is far below the size at which a commit
/// would copy it.
#[tokio::test]
async fn on_sqlite_an_exams_writes_reach_the_database_file_without_a_commit_copying_the_log() {
    let app = spawn_app().await;
    if !matches!(app.state.db, safecert::db::Db::Sqlite { .. }) {
        eprintln!("skipped: SQLite only");
        return;
    }
    let exam = app.exam(Duration::hours(1), 1, false).await;
    let token = app.booked_candidate(exam.sitting, 1).await;
    let start = app.start_attempt(exam.sitting, &token).await;
    assert_eq!(start.status, StatusCode::CREATED, "{}", start.text);
    let attempt = start.body["id"].as_i64().unwrap();
    let keys = app.keys(attempt).await;
    app.save(&token, attempt, 1, &[&keys[0][0]], 1).await;
    let local_journal = app.state.live.kind() == "in_process";

    // `immutable=1` reads the file alone, as if no log existed.
    let file = app.data_dir().join("safecert.db");
    // A read that meets a page being copied in counts as "not yet".
    let in_file = || async {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&file)
            .immutable(true)
            .read_only(true);
        let mut conn = sqlx::ConnectOptions::connect(&options).await.ok()?;
        let attempts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attempts WHERE id = $1")
            .bind(attempt)
            .fetch_one(&mut conn)
            .await
            .ok()?;
        let answers: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM live_answer_log WHERE attempt_id = $1")
                .bind(attempt)
                .fetch_one(&mut conn)
                .await
                .ok()?;
        Some(attempts == 1 && (answers == 1 || !local_journal))
    };
    let mut waited = 0;
    while in_file().await != Some(true) {
        waited += 1;
        assert!(waited < 100, "the attempt never reached the database file");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The local store's answer log only appends during an exam; once the journal has had nothing
/// to write for a few seconds, it deletes the rows of attempts that are finished and keeps
/// those of attempts still running, which a restarted process resumes from. The local store
/// on either database (PostgreSQL without Redis uses it too).
#[tokio::test]
async fn the_local_journal_forgets_a_finished_attempts_answers_and_a_restart_resumes_a_running_one()
{
    let app = spawn_app_with(|env| {
        env.remove("REDIS_URL");
    })
    .await;
    assert_eq!(app.state.live.kind(), "in_process");
    let exam = app.exam(Duration::hours(1), 1, false).await;
    let finishing = app.booked_candidate(exam.sitting, 1).await;
    let running = app.booked_candidate(exam.sitting, 2).await;
    let mut attempts = vec![];
    for token in [&finishing, &running] {
        let start = app.start_attempt(exam.sitting, token).await;
        assert_eq!(start.status, StatusCode::CREATED, "{}", start.text);
        let attempt = start.body["id"].as_i64().unwrap();
        let keys = app.keys(attempt).await;
        let saved = app.save(token, attempt, 1, &[&keys[0][0]], 1).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
        attempts.push(attempt);
    }
    let logged = async |app: &TestApp, attempt: i64| -> i64 {
        safecert::with_pool!(&app.state.db, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM live_answer_log WHERE attempt_id = $1")
                .bind(attempt).fetch_one(pool).await.unwrap()
        })
    };
    assert_eq!(logged(&app, attempts[0]).await, 1);
    let done = app
        .post(
            &format!("/api/v1/attempts/{}/submit", attempts[0]),
            Some(&finishing),
            json!({}),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);

    let mut waited = 0;
    while logged(&app, attempts[0]).await != 0 {
        waited += 1;
        assert!(
            waited < 200,
            "the finished attempt's answers stayed in the log"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        logged(&app, attempts[1]).await,
        1,
        "the running attempt's answer is kept"
    );

    let app = app.restart(|_| {}).await;
    let resumed = app.start_attempt(exam.sitting, &running).await;
    assert_eq!(resumed.status, StatusCode::OK, "{}", resumed.text);
    let answers = resumed.body["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 1, "{}", resumed.text);
    assert_eq!(logged(&app, attempts[1]).await, 0, "folded at the start");
}
