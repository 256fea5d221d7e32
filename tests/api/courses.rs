//! Courses, blueprints and papers over HTTP, and the banks shipped in question-bank/.

use crate::{
    banks::NATIVE,
    helpers::{PASSWORD, phone, spawn_app, spawn_app_with},
};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn course(bank: i64, single: u32, tf: u32) -> Value {
    json!({
        "code": "T-COURSE", "title": "测试课程", "category": "first_responder",
        "training_hours": 32, "pass_mark": 2.0, "time_limit_minutes": 30, "validity_months": 36,
        "retake_limit": 1, "practical_required": true,
        "blueprint": {"sections": [
            {"title": "单选题", "kind": "single", "count": single, "points": 1.0, "bank_id": bank},
            {"title": "判断题", "kind": "true_false", "count": tf, "points": 1.0, "bank_id": bank}
        ]}
    })
}

#[tokio::test]
async fn a_course_whose_blueprint_the_bank_cannot_fill_is_refused_naming_the_section() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let bank = app.create_bank(&bureau, "测试题库").await;
    app.import(&bureau, bank, "native", NATIVE).await;

    let too_many = app
        .post("/api/v1/courses", Some(&bureau), course(bank, 1, 2))
        .await;
    assert_eq!(
        too_many.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        too_many.text
    );
    assert_eq!(too_many.body["field"], "blueprint.sections[1]");
    assert!(
        too_many.body["message"]
            .as_str()
            .unwrap()
            .contains("判断题"),
        "{}",
        too_many.text
    );

    let mut pass_too_high = course(bank, 1, 1);
    pass_too_high["pass_mark"] = json!(3.0);
    let refused = app
        .post("/api/v1/courses", Some(&bureau), pass_too_high)
        .await;
    assert_eq!(refused.body["field"], "pass_mark");

    let created = app
        .post("/api/v1/courses", Some(&bureau), course(bank, 1, 1))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["question_count"], 2);
    assert_eq!(created.body["total_points"], 2.0);
    assert_eq!(created.body["review_after"], "close");
    assert_eq!(
        created.body["blueprint"]["sections"][0]["scoring"],
        "all_or_nothing"
    );

    let again = app
        .post("/api/v1/courses", Some(&bureau), course(bank, 1, 1))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["field"], "code");

    // Anyone may read courses, even without signing in; only the bureau writes them.
    let public = app.get("/api/v1/courses", None).await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.body["total"], 1);
    app.register_citizen(1, "张三").await;
    let citizen = app.token(&phone(1), PASSWORD).await;
    let mut other = course(bank, 1, 1);
    other["code"] = json!("OTHER");
    assert_eq!(
        app.post("/api/v1/courses", Some(&citizen), other)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn partial_scoring_only_for_multiple_choice_and_difficulty_bands_must_add_up() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let bank = app.create_bank(&bureau, "测试题库").await;
    app.import(&bureau, bank, "native", NATIVE).await;
    let mut partial_single = course(bank, 1, 1);
    partial_single["blueprint"]["sections"][0]["scoring"] = json!("partial");
    let reply = app
        .post("/api/v1/courses", Some(&bureau), partial_single)
        .await;
    assert_eq!(reply.body["field"], "blueprint.sections[0].scoring");

    let mut bands = course(bank, 1, 1);
    bands["blueprint"]["sections"][0]["difficulty_mix"] = json!([{"levels": [1], "count": 2}]);
    let reply = app.post("/api/v1/courses", Some(&bureau), bands).await;
    assert_eq!(reply.body["field"], "blueprint.sections[0].difficulty_mix");

    // The one single question has difficulty 2: a band asking for level 5 cannot be filled.
    let mut hard = course(bank, 1, 1);
    hard["blueprint"]["sections"][0]["difficulty_mix"] = json!([{"levels": [5], "count": 1}]);
    let reply = app.post("/api/v1/courses", Some(&bureau), hard).await;
    assert_eq!(reply.body["field"], "blueprint.sections[0]");
}

#[tokio::test]
async fn the_shipped_banks_and_courses_load_on_a_fresh_start() {
    let app = spawn_app_with(|env| {
        env.insert("SHIPPED_BANKS".into(), "true".into());
    })
    .await;
    let bureau = app.bureau_admin().await;
    let banks = app.get("/api/v1/question-banks", Some(&bureau)).await;
    assert_eq!(banks.body["total"], 7, "{}", banks.text);
    let by_name = |name: &str| {
        banks.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["name"] == name)
            .cloned()
            .unwrap()
    };
    // Every question of every shipped file is there: none lost to a ref another file reuses.
    let shipped = shipped_files();
    let mut expected: std::collections::BTreeMap<String, i64> = Default::default();
    for (_, bank, questions) in &shipped {
        *expected.entry(bank.clone()).or_default() += questions.len() as i64;
    }
    assert_eq!(expected.values().sum::<i64>(), 617);
    for (bank, count) in &expected {
        assert_eq!(
            by_name(bank)["active_questions"].as_i64().unwrap(),
            *count,
            "{bank}"
        );
    }
    for re in [
        "再培训：电镀行业",
        "再培训：有限空间作业",
        "再培训：锂电池企业",
        "再培训：粉尘涉爆企业",
        "再培训：危险化学品",
    ] {
        assert!(
            by_name(re)["active_questions"].as_i64().unwrap() >= 40,
            "{re}"
        );
    }

    let courses = app.get("/api/v1/courses", None).await;
    assert_eq!(courses.body["total"], 7);
    let find = |code: &str| {
        courses.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .cloned()
            .unwrap()
    };
    let fr = find("FR-THEORY");
    assert_eq!(
        (
            fr["question_count"].clone(),
            fr["time_limit_minutes"].clone(),
            fr["pass_mark"].clone(),
            fr["total_points"].clone()
        ),
        (json!(50), json!(60), json!(80.0), json!(100.0))
    );
    let sm = find("SM-INITIAL");
    assert_eq!(
        (
            sm["question_count"].clone(),
            sm["time_limit_minutes"].clone(),
            sm["pass_mark"].clone()
        ),
        (json!(100), json!(120), json!(80.0))
    );

    // A paper drawn from the shipped banks: 50 distinct questions, each with a key among its options.
    let fr_id = fr["id"].as_i64().unwrap();
    let paper = app
        .post(
            &format!("/api/v1/courses/{fr_id}/paper-preview"),
            Some(&bureau),
            json!({"seed": 2026}),
        )
        .await;
    assert_eq!(paper.status, StatusCode::OK, "{}", paper.text);
    let questions = paper.body["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 50);
    let mut ids: Vec<i64> = questions
        .iter()
        .map(|q| q["question_id"].as_i64().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 50);
    for q in questions {
        let keys: Vec<&Value> = q["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| &o["key"])
            .collect();
        assert!(
            q["answer"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| keys.contains(&a))
        );
    }

    // A restart on the same database loads nothing twice.
    let again = safecert::shipped::load_if_empty(&app.state).await.unwrap();
    assert!(again.is_none());
}

#[tokio::test]
async fn papers_are_reproducible_per_seed_and_differ_across_seeds() {
    let app = spawn_app_with(|env| {
        env.insert("SHIPPED_BANKS".into(), "true".into());
    })
    .await;
    let bureau = app.bureau_admin().await;
    let courses = app.get("/api/v1/courses", None).await;
    let sm = courses.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "SM-INITIAL")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let draw = |seed: u64| {
        let app = &app;
        let bureau = bureau.clone();
        async move {
            app.post(
                &format!("/api/v1/courses/{sm}/paper-preview"),
                Some(&bureau),
                json!({"seed": seed}),
            )
            .await
            .body
        }
    };
    let a = draw(7).await;
    let b = draw(7).await;
    let c = draw(8).await;
    assert_eq!(a, b, "same seed, same paper");
    let ids = |p: &Value| {
        p["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["question_id"].clone())
            .collect::<Vec<_>>()
    };
    assert_ne!(ids(&a), ids(&c), "another seed, other questions");
    assert_eq!(a["questions"].as_array().unwrap().len(), 100);
    // Sections come in blueprint order: 60 single, 20 multiple, 20 true/false.
    let kinds: Vec<&str> = a["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds[..60].iter().all(|k| *k == "single")
            && kinds[60..80].iter().all(|k| *k == "multiple")
            && kinds[80..].iter().all(|k| *k == "true_false")
    );

    // Option orders differ between candidates of the same question.
    let first_options = |p: &Value, id: &Value| {
        p["questions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| &q["question_id"] == id)
            .map(|q| q["options"].clone())
    };
    let shared: Vec<Value> = ids(&a)
        .into_iter()
        .filter(|id| ids(&c).contains(id))
        .collect();
    let reordered = shared
        .iter()
        .filter(|id| first_options(&a, id) != first_options(&c, id))
        .count();
    assert!(reordered > 0, "no shared question was reshuffled");
}

#[test]
fn every_shipped_bank_file_is_embedded() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml") && n != "courses.toml")
        .collect();
    on_disk.sort();
    let mut embedded: Vec<String> = safecert::shipped::BANK_FILES
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    embedded.sort();
    assert_eq!(on_disk, embedded);
}

/// The shipped bank files as they are on disk: (file, bank, questions).
fn shipped_files() -> Vec<(String, String, Vec<toml::Table>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "toml")
                && p.file_name().is_some_and(|n| n != "courses.toml")
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let file: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
            let questions = file["questions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| q.as_table().unwrap().clone())
                .collect();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                file["bank"].as_str().unwrap().to_string(),
                questions,
            )
        })
        .collect()
}

/// Guessing from the look of the options must not pay: in every shipped file the key is the
/// longest option (ties count) in at most 35 % of single-choice questions, and no
/// multiple-choice question keys every option, nor do most key all but one.
#[test]
fn the_shipped_keys_cannot_be_guessed_from_the_options() {
    for (file, _, questions) in shipped_files() {
        let of_kind = |kind: &str| -> Vec<&toml::Table> {
            questions
                .iter()
                .filter(|q| q["kind"].as_str() == Some(kind))
                .collect()
        };
        let options = |q: &toml::Table| -> Vec<usize> {
            q["options"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o.as_str().unwrap().chars().count())
                .collect()
        };
        let keys = |q: &toml::Table| -> Vec<usize> {
            q["answer"]
                .as_str()
                .unwrap()
                .bytes()
                .map(|k| usize::from(k - b'A'))
                .collect()
        };

        let single = of_kind("single");
        let longest = single
            .iter()
            .filter(|q| {
                let lengths = options(q);
                lengths[keys(q)[0]] == *lengths.iter().max().unwrap()
            })
            .count();
        assert!(
            !single.is_empty() && longest * 100 <= single.len() * 35,
            "{file}: the key is the longest option in {longest} of {} single-choice questions",
            single.len()
        );

        let multiple = of_kind("multiple");
        let mut all_but_one = 0;
        let mut key_counts = std::collections::BTreeSet::new();
        for q in &multiple {
            let (n_keys, n_options) = (keys(q).len(), options(q).len());
            assert!(
                (2..n_options).contains(&n_keys),
                "{file}: {} keys {n_keys} of {n_options} options",
                q["ref"]
            );
            all_but_one += usize::from(n_keys == n_options - 1);
            key_counts.insert(n_keys);
        }
        assert!(
            all_but_one * 2 <= multiple.len(),
            "{file}: {all_but_one} of {} multiple-choice questions key all options but one",
            multiple.len()
        );
        assert!(
            key_counts.len() >= 2,
            "{file}: every multiple-choice question keys {key_counts:?} options"
        );
    }
}

/// The yearly re-education minimum for principal persons and safety managers of
/// hazardous-chemical units is 16 学时 (生产经营单位安全培训规定 第九条).
#[test]
fn the_hazardous_chemicals_re_education_counts_sixteen_hours() {
    let courses: toml::Table = safecert::shipped::COURSES_FILE.parse().unwrap();
    let re_hc = courses["courses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"].as_str() == Some("RE-HC"))
        .unwrap();
    assert!(re_hc["training_hours"].as_integer().unwrap() >= 16);
}

/// The bureau changes a course; the new rules hold for what starts after. While a paper of
/// the course is drawn for a sitting not over, its blueprint and pass mark stay; the rest may
/// change.
#[tokio::test]
async fn the_bureau_changes_a_course_but_not_the_paper_of_one_being_sat() {
    use reqwest::Method;
    let app = spawn_app().await;
    let exam = app.exam(chrono::Duration::hours(1), 1, false).await;
    let path = format!("/api/v1/courses/{}", exam.course);
    let before = app.get(&path, None).await.body;
    let put = |body: Value| app.call(Method::PUT, &path, Some(&exam.bureau), Some(body));
    let with = |changes: Value| {
        let mut body = before.clone();
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };

    let changed = put(with(
        json!({"title": "应急第一响应人理论考核（2027版）", "time_limit_minutes": 45}),
    ))
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    let after = app.get(&path, None).await.body;
    assert_eq!(after["title"], "应急第一响应人理论考核（2027版）");
    assert_eq!(after["time_limit_minutes"], 45);
    assert_eq!(after["id"], before["id"]);
    assert_eq!(after["blueprint"], before["blueprint"]);
    assert_eq!(after["created_at"], before["created_at"]);

    // What creating refuses, changing refuses too.
    let too_high = put(with(json!({"pass_mark": 4.0}))).await;
    assert_eq!(
        too_high.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        too_high.text
    );
    let own = put(with(json!({"renews_course_id": exam.course}))).await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", own.text);
    let missing = app
        .call(
            Method::PUT,
            "/api/v1/courses/999999",
            Some(&exam.bureau),
            Some(with(json!({}))),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // A candidate starts: their paper is drawn from the blueprint as it is.
    let token = app.booked_candidate(exam.sitting, 1).await;
    let start = app.start_attempt(exam.sitting, &token).await;
    assert!(start.status.is_success(), "{}", start.text);
    let in_use = put(with(json!({"pass_mark": 3.0}))).await;
    assert_eq!(in_use.status, StatusCode::CONFLICT, "{}", in_use.text);
    assert_eq!(in_use.body["code"], "course_in_use");
    let mut fewer = before.clone();
    fewer["blueprint"]["sections"] = json!([before["blueprint"]["sections"][0]]);
    fewer["pass_mark"] = json!(1.0);
    let in_use = put(fewer).await;
    assert_eq!(in_use.body["code"], "course_in_use", "{}", in_use.text);
    assert_eq!(app.get(&path, None).await.body["pass_mark"], 2.0);
    // The rest still changes.
    let renamed = put(with(json!({"title": "应急第一响应人理论考核（第二版）"}))).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
}
