//! 模拟考试 over HTTP: drawn from the course's blueprint but never from banks reserved for
//! exams, timed, answered like a real exam, graded at once, reviewed with keys and
//! explanations only after handing in, and every wrong answer in the wrong-answer book.

use crate::{banks::NATIVE, helpers::spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn position_of(exam: &Value, kind: &str) -> i64 {
    exam["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} question in {exam}"))["position"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_mock_exam_is_timed_graded_at_once_reviewed_after_and_feeds_the_wrong_answer_book() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let open = app.create_bank(&bureau, "模拟题库").await;
    app.import(&bureau, open, "native", NATIVE).await;
    let reserved = app
        .post(
            "/api/v1/question-banks",
            Some(&bureau),
            json!({"name": "考试专用题库", "exam_only": true}),
        )
        .await;
    let reserved = reserved.body["id"].as_i64().unwrap();
    app.import(&bureau, reserved, "native", NATIVE.replace("T-", "X-"))
        .await;
    let course = |code: &str, bank: i64| {
        json!({"code": code, "title": "模拟考试课程", "category": "first_responder", "training_hours": 16,
               "pass_mark": 2.0, "time_limit_minutes": 30, "validity_months": 36,
               "blueprint": {"sections": [
                   {"title": "单选题", "kind": "single", "count": 1, "points": 1.0, "bank_id": bank},
                   {"title": "多选题", "kind": "multiple", "count": 1, "points": 1.0, "bank_id": bank},
                   {"title": "判断题", "kind": "true_false", "count": 1, "points": 1.0, "bank_id": bank}]}})
    };
    let course_id = |reply: crate::helpers::Reply| {
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["id"].as_i64().unwrap()
    };
    let mockable = course_id(
        app.post("/api/v1/courses", Some(&bureau), course("MK-1", open))
            .await,
    );
    let exam_only = course_id(
        app.post("/api/v1/courses", Some(&bureau), course("MK-2", reserved))
            .await,
    );
    let (_, me) = app.quick_candidate(1).await;

    // A course whose questions are all reserved for exams has nothing to mock.
    let refused = app
        .post(
            &format!("/api/v1/courses/{exam_only}/mock-exams"),
            Some(&me),
            json!({}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert_eq!(refused.body["code"], "mock_exam_unavailable");

    // Drawn from the blueprint: one of each kind, the course's time, no key.
    let start = format!("/api/v1/courses/{mockable}/mock-exams");
    let started = app.post(&start, Some(&me), json!({})).await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.text);
    let exam = started.body.clone();
    let id = exam["id"].as_i64().unwrap();
    assert_eq!(exam["status"], "in_progress");
    assert_eq!(exam["questions"].as_array().unwrap().len(), 3);
    assert_eq!(exam["max_score"], 3.0);
    let remaining = exam["remaining_seconds"].as_i64().unwrap();
    assert!((1790..=1800).contains(&remaining), "{remaining}");
    assert!(
        !started.text.contains("\"answer\""),
        "no key: {}",
        started.text
    );
    assert!(!started.text.contains("100～120次。"), "no explanation");
    // Pressing start again resumes it.
    let again = app.post(&start, Some(&me), json!({})).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["id"], id);

    // No keys before handing in.
    let early = app
        .get(&format!("/api/v1/mock-exams/{id}/review"), Some(&me))
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert_eq!(early.body["code"], "mock_exam_open");

    let save = |position: i64, choice: &[&str], seq: i64, token: &str| {
        let app = &app;
        let token = token.to_string();
        let choice: Vec<String> = choice.iter().map(|c| c.to_string()).collect();
        async move {
            app.call(
                Method::PUT,
                &format!("/api/v1/mock-exams/{id}/answers/{position}"),
                Some(&token),
                Some(json!({"choice": choice, "seq": seq})),
            )
            .await
        }
    };
    let single = position_of(&exam, "single");
    let multiple = position_of(&exam, "multiple");
    let true_false = position_of(&exam, "true_false");
    // The single-choice question's options are shuffled: find the label of the right text.
    let wrong_label = exam["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["position"] == single)
        .unwrap()["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["text"] != "100～120次")
        .unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    let right_multiple: Vec<String> = exam["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["position"] == multiple)
        .unwrap()["options"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["text"] != "加热法")
        .map(|o| o["key"].as_str().unwrap().to_string())
        .collect();
    let right_multiple: Vec<&str> = right_multiple.iter().map(String::as_str).collect();

    let saved = save(single, &[wrong_label.as_str()], 2, &me).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert_eq!(saved.body["seq"], 2);
    // An older seq changes nothing.
    let stale = save(single, &["Z"], 1, &me).await;
    assert_eq!(
        stale.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        stale.text
    );
    let stale = save(single, &[], 1, &me).await;
    assert_eq!(stale.body["choice"], json!([wrong_label]));
    assert_eq!(save(9, &["A"], 3, &me).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        save(multiple, &right_multiple, 3, &me).await.status,
        StatusCode::OK
    );
    // Someone else's mock exam is as missing as one that never was.
    let (_, other) = app.quick_candidate(2).await;
    assert_eq!(
        save(multiple, &["A"], 9, &other).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/mock-exams/{id}"), Some(&other))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let resumed = app
        .get(&format!("/api/v1/mock-exams/{id}"), Some(&me))
        .await;
    assert_eq!(resumed.body["answers"].as_array().unwrap().len(), 2);

    // Hand in with an answer the page kept offline: graded at once.
    let handed = app
        .post(
            &format!("/api/v1/mock-exams/{id}/submit"),
            Some(&me),
            json!({"answers": [{"position": true_false, "choice": ["F"], "seq": 4}]}),
        )
        .await;
    assert_eq!(handed.status, StatusCode::OK, "{}", handed.text);
    assert_eq!(handed.body["status"], "submitted");
    assert_eq!(handed.body["score"], 2.0);
    assert_eq!(handed.body["passed"], true);
    assert!(handed.body.get("questions").is_none());
    // Handing in again changes nothing; saving after is refused.
    let twice = app
        .post(
            &format!("/api/v1/mock-exams/{id}/submit"),
            Some(&me),
            json!({}),
        )
        .await;
    assert_eq!(twice.body["score"], 2.0);
    let late = save(single, &["C"], 9, &me).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(late.body["code"], "attempt_closed");

    // The review: every key and explanation.
    let review = app
        .get(&format!("/api/v1/mock-exams/{id}/review"), Some(&me))
        .await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.text);
    let questions = review.body["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 3);
    let cpr = questions.iter().find(|q| q["position"] == single).unwrap();
    assert_eq!(cpr["correct"], false);
    assert_eq!(cpr["choice"], json!([wrong_label]));
    assert!(cpr["explanation"].as_str().unwrap().contains("100～120"));
    let right_key = cpr["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["text"] == "100～120次")
        .unwrap()["key"]
        .clone();
    assert_eq!(cpr["key"], json!([right_key]));
    assert_eq!(review.body["sections"].as_array().unwrap().len(), 3);

    // The wrong answer is in the book; the right ones are not.
    let book = app.get("/api/v1/me/wrong-answers", Some(&me)).await;
    assert_eq!(book.body["total"], 1, "{}", book.text);
    assert_eq!(book.body["items"][0]["question_id"], cpr["question_id"]);
    // It sends the learner back to the course the mock exam was of.
    assert_eq!(book.body["items"][0]["course_id"], mockable);
    // Never an exam: no registration, no certificate.
    assert_eq!(
        app.get("/api/v1/registrations", Some(&me)).await.body["total"],
        0
    );
    let mine = app.get("/api/v1/me/mock-exams", Some(&me)).await;
    assert_eq!(mine.body["total"], 1);
    assert_eq!(mine.body["items"][0]["score"], 2.0);

    // A new one whose time runs out unseen is graded with what was saved.
    let next = app.post(&start, Some(&me), json!({})).await;
    assert_eq!(next.status, StatusCode::CREATED);
    let next_id = next.body["id"].as_i64().unwrap();
    assert_ne!(next_id, id);
    let tf = position_of(&next.body, "true_false");
    assert_eq!(
        app.call(
            Method::PUT,
            &format!("/api/v1/mock-exams/{next_id}/answers/{tf}"),
            Some(&me),
            Some(json!({"choice": ["F"], "seq": 1})),
        )
        .await
        .status,
        StatusCode::OK
    );
    let past = chrono::Utc::now() - chrono::Duration::hours(1);
    safecert::with_pool!(&app.state.db, pool => {
        sqlx::query("UPDATE mock_exams SET deadline = $1 WHERE id = $2")
            .bind(past)
            .bind(next_id)
            .execute(pool)
            .await
            .map(|_| ())
            .unwrap()
    });
    let timed_out = app
        .get(&format!("/api/v1/mock-exams/{next_id}"), Some(&me))
        .await;
    assert_eq!(timed_out.body["status"], "submitted", "{}", timed_out.text);
    assert_eq!(timed_out.body["score"], 1.0);
    assert_eq!(timed_out.body["passed"], false);
    assert_eq!(timed_out.body["remaining_seconds"], 0);
}
