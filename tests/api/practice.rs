//! 练习 and 错题本 over HTTP: immediate feedback with the key and explanation, banks reserved
//! for exams never drawn, and the wrong-answer book kept until two right answers in a row.

use crate::{banks::NATIVE, helpers::spawn_app};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashSet;

#[tokio::test]
async fn practice_checks_at_once_keeps_a_wrong_answer_book_and_never_draws_exam_only_questions() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let open = app.create_bank(&bureau, "练习题库").await;
    app.import(&bureau, open, "native", NATIVE).await;
    let reserved = app
        .post(
            "/api/v1/question-banks",
            Some(&bureau),
            json!({"name": "考试专用题库", "exam_only": true}),
        )
        .await;
    assert_eq!(reserved.status, StatusCode::CREATED, "{}", reserved.text);
    assert_eq!(reserved.body["exam_only"], true);
    let reserved = reserved.body["id"].as_i64().unwrap();
    app.import(&bureau, reserved, "native", NATIVE.replace("T-", "X-"))
        .await;
    let course = app
        .post(
            "/api/v1/courses",
            Some(&bureau),
            json!({"code": "PR-1", "title": "练习课程", "category": "first_responder", "training_hours": 16,
                   "pass_mark": 1.0, "time_limit_minutes": 30, "validity_months": 36,
                   "blueprint": {"sections": [
                       {"title": "单选", "kind": "single", "count": 1, "points": 1.0, "bank_id": open},
                       {"title": "单选", "kind": "single", "count": 1, "points": 1.0, "bank_id": reserved}]}}),
        )
        .await;
    assert_eq!(course.status, StatusCode::CREATED, "{}", course.text);
    let course = course.body["id"].as_i64().unwrap();
    let ids_of = |bank: i64| {
        let app = &app;
        let bureau = bureau.clone();
        async move {
            app.get(
                &format!("/api/v1/question-banks/{bank}/questions"),
                Some(&bureau),
            )
            .await
            .body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| q["id"].as_i64().unwrap())
                .collect::<HashSet<i64>>()
        }
    };
    let open_ids = ids_of(open).await;
    let reserved_ids = ids_of(reserved).await;
    assert_eq!(open_ids.len(), 3);

    let (_, me) = app.quick_candidate(1).await;
    let path = format!("/api/v1/courses/{course}/practice-question");
    let mut drawn = HashSet::new();
    for _ in 0..30 {
        let q = app.get(&path, Some(&me)).await;
        assert_eq!(q.status, StatusCode::OK, "{}", q.text);
        assert!(q.body.get("answer").is_none(), "no key before answering");
        assert_eq!(q.body["available"], 3);
        drawn.insert(q.body["question_id"].as_i64().unwrap());
    }
    assert!(
        drawn.is_subset(&open_ids),
        "only the open bank is practised: {drawn:?}"
    );
    // By module (the first tag): only that module's questions.
    let cpr = app
        .get(
            &format!("{path}?tag=%E5%BA%94%E6%80%A5%E6%95%91%E6%8A%A4"),
            Some(&me),
        )
        .await;
    assert_eq!(cpr.body["available"], 1, "{}", cpr.text);
    assert_eq!(cpr.body["tags"][0], "应急救护");
    let none = app.get(&format!("{path}?tag=nothing"), Some(&me)).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    assert_eq!(none.body["code"], "no_practice_questions");

    // A question reserved for exams cannot be practised, even by id.
    let answer = |question: i64, choice: &[&str]| {
        let app = &app;
        let me = me.clone();
        let choice: Vec<String> = choice.iter().map(|c| c.to_string()).collect();
        async move {
            app.post(
                "/api/v1/practice/answers",
                Some(&me),
                json!({"question_id": question, "choice": choice}),
            )
            .await
        }
    };
    let exam_only = *reserved_ids.iter().next().unwrap();
    assert_eq!(
        answer(exam_only, &["C"]).await.status,
        StatusCode::NOT_FOUND
    );

    // Wrong: the key and the explanation at once, and into the book.
    let q = cpr.body["question_id"].as_i64().unwrap();
    let wrong = answer(q, &["A"]).await;
    assert_eq!(wrong.status, StatusCode::OK, "{}", wrong.text);
    assert_eq!(wrong.body["correct"], false);
    assert_eq!(wrong.body["answer"], json!(["C"]));
    assert!(
        wrong.body["explanation"]
            .as_str()
            .unwrap()
            .contains("100～120")
    );
    assert_eq!(wrong.body["in_wrong_book"], true);
    let book = app.get("/api/v1/me/wrong-answers", Some(&me)).await;
    assert_eq!(book.body["total"], 1);
    assert_eq!(book.body["items"][0]["question_id"], q);
    assert_eq!(
        book.body["items"][0]["course_id"],
        json!(null),
        "answered through the API without naming a course"
    );
    assert!(
        book.body["items"][0].get("answer").is_none(),
        "retried without the key"
    );

    // Right once, wrong again, then right twice in a row: out of the book.
    assert_eq!(answer(q, &["C"]).await.body["right_streak"], 1);
    assert_eq!(answer(q, &["B"]).await.body["right_streak"], 0);
    assert_eq!(answer(q, &["C"]).await.body["in_wrong_book"], true);
    let cleared = answer(q, &["C"]).await;
    assert_eq!(cleared.body["correct"], true);
    assert_eq!(cleared.body["in_wrong_book"], false);
    let book = app.get("/api/v1/me/wrong-answers", Some(&me)).await;
    assert_eq!(book.body["total"], 0, "{}", book.text);
    // Someone else's book is their own.
    let (_, other) = app.quick_candidate(2).await;
    let theirs = app.get("/api/v1/me/wrong-answers", Some(&other)).await;
    assert_eq!(theirs.body["total"], 0);
    // A practice answer is never an exam: no attempt, no result.
    let attempts = app.get("/api/v1/registrations", Some(&me)).await;
    assert_eq!(attempts.body["total"], 0);
}

/// Sending the practice form with nothing chosen asks the same question again, saying so in
/// Chinese, and records nothing.
#[tokio::test]
async fn the_practice_page_asks_again_when_nothing_is_chosen() {
    use crate::pages::{Browser, attribute_values};
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let open = app.create_bank(&bureau, "练习题库").await;
    app.import(&bureau, open, "native", NATIVE).await;
    // A course of one single-choice question from the bank.
    let course_on_bank = async |code: &str, title: &str| {
        let made = app
            .post(
                "/api/v1/courses",
                Some(&bureau),
                json!({"code": code, "title": title, "category": "first_responder", "training_hours": 16,
                       "pass_mark": 1.0, "time_limit_minutes": 30, "validity_months": 36,
                       "blueprint": {"sections": [
                           {"title": "单选", "kind": "single", "count": 1, "points": 1.0, "bank_id": open}]}}),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
        made
    };
    // An earlier course on the same bank: the book must not send the learner there.
    course_on_bank("PR-1", "另一门课程").await;
    let course = course_on_bank("PR-2", "练习课程").await;
    let course = course.body["id"].as_i64().unwrap().to_string();
    let (_, token) = app.quick_candidate(3).await;
    let mut me = Browser::new(&app);
    me.cookies.insert("sc_session".into(), token.clone());
    let page = me.get(&format!("/study/courses/{course}/practice")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let question = attribute_values(&page.html, "data-practice-question")[0].clone();
    let empty = me
        .post(
            "/study/practice/answers",
            &[
                ("question_id", question.as_str()),
                ("course_id", course.as_str()),
            ],
        )
        .await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.html);
    assert!(empty.html.contains("请先选择答案"), "{}", empty.html);
    assert_eq!(
        attribute_values(&empty.html, "data-practice-question"),
        vec![question.clone()]
    );
    assert!(!empty.html.contains("data-practice-result"));
    let book = app.get("/api/v1/me/wrong-answers", Some(&token)).await;
    assert_eq!(book.body["total"], 0);

    // Answered wrong on this course's practice page: the book sends the retry back to it.
    let answer = attribute_values(&empty.html, "data-answer");
    assert!(answer.is_empty(), "no key before an answer");
    let mut wrong = None;
    for key in ["A", "B"] {
        let checked = me
            .post(
                "/study/practice/answers",
                &[
                    ("question_id", question.as_str()),
                    ("course_id", course.as_str()),
                    ("choice", key),
                ],
            )
            .await;
        if checked.html.contains("data-practice-result=\"wrong\"") {
            wrong = Some(checked);
            break;
        }
    }
    assert!(wrong.is_some(), "one of A and B is wrong");
    let book = me.get("/study/wrong-answers").await;
    assert_eq!(
        attribute_values(&book.html, "data-wrong-answer"),
        vec![question.clone()]
    );
    assert!(
        book.html
            .contains(&format!("name=\"course_id\" value=\"{course}\"")),
        "{}",
        book.html
    );
}
