//! The binary as an operator runs it.

use crate::helpers::{PASSWORD, TestEnv};
use std::process::{Command, Output};

fn safecert(env: &TestEnv, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_safecert"))
        .args(args)
        .env_clear()
        .envs(&env.vars)
        .env("RUST_LOG", "error")
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn admin_create_is_idempotent_and_the_admin_can_log_in() {
    let env = TestEnv::new().await;
    let args = [
        "admin",
        "create",
        "--name",
        "区局管理员",
        "--phone",
        "13900000009",
        "--email",
        "boss@safecert.test",
        "--password",
        PASSWORD,
    ];
    let first = safecert(&env, &args);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains("created bureau admin"));

    let again = safecert(&env, &args);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stdout(&again).contains("nothing changed"));

    let state = safecert::startup::build_state(env.config()).await.unwrap();
    let session = safecert::auth::login(&state, "13900000009", PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        session.user.roles,
        vec![safecert::domain::Role::BureauAdmin]
    );
    assert_eq!(
        safecert::accounts::store::count_users(&state.db)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn bad_input_exits_nonzero_with_one_clear_line() {
    let env = TestEnv::new().await;
    let weak = safecert(
        &env,
        &[
            "admin",
            "create",
            "--name",
            "x",
            "--phone",
            "13900000008",
            "--email",
            "x@y.cn",
            "--password",
            "short",
        ],
    );
    assert!(!weak.status.success());
    assert!(stderr(&weak).contains("password"), "{}", stderr(&weak));

    let mut bad_env = TestEnv::new().await;
    bad_env
        .vars
        .insert("DATABASE_URL".into(), "mysql://nowhere/db".into());
    let bad = safecert(&bad_env, &["migrate"]);
    assert!(!bad.status.success());
    let err = stderr(&bad);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("DATABASE_URL"), "{err}");
}

#[tokio::test]
async fn migrate_applies_and_repeats_cleanly() {
    let env = TestEnv::new().await;
    for _ in 0..2 {
        let out = safecert(&env, &["migrate"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("migrations applied"));
    }
}

#[tokio::test]
async fn an_unreachable_redis_stops_start_up_naming_the_variable() {
    let mut env = TestEnv::new().await;
    env.vars
        .insert("REDIS_URL".into(), "redis://127.0.0.1:1".into());
    let err = safecert::startup::build_state(env.config())
        .await
        .err()
        .expect("start-up refuses");
    assert!(err.to_string().contains("REDIS_URL"), "{err}");
}

#[tokio::test]
async fn import_reads_every_file_first_and_writes_nothing_on_a_problem() {
    let env = TestEnv::new().await;
    let dir = env.data_dir.path();
    let native = dir.join("题库.toml");
    std::fs::write(&native, crate::banks::NATIVE).unwrap();
    let gift = dir.join("extra.gift");
    std::fs::write(
        &gift,
        "::Q1:: 119是火警电话。 {T}\n\n::Q2:: 120是什么电话？ {=急救 ~火警}\n",
    )
    .unwrap();
    let broken = dir.join("broken.aiken");
    std::fs::write(&broken, "只有一个选项的题\nA. 唯一\nANSWER: A\n").unwrap();

    let path = |p: &std::path::Path| p.display().to_string();
    let refused = safecert(&env, &["import", &path(&native), &path(&broken)]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("broken.aiken:3"),
        "{}",
        stderr(&refused)
    );

    let first = safecert(
        &env,
        &["import", &path(&native), "--bank", "测试题库", &path(&gift)],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains("3 imported"), "{}", stdout(&first));
    assert!(stdout(&first).contains("2 imported"), "{}", stdout(&first));

    let again = safecert(
        &env,
        &["import", "--bank", "测试题库", &path(&native), &path(&gift)],
    );
    assert!(
        stdout(&again).contains("3 unchanged") && stdout(&again).contains("2 unchanged"),
        "{}",
        stdout(&again)
    );

    let state = safecert::startup::build_state(env.config()).await.unwrap();
    let bank = safecert::question_bank::store::bank_by_name(&state.db, "测试题库")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        bank.active_questions, 5,
        "the refused run wrote nothing, the others once"
    );
    let (banks, _) = safecert::question_bank::store::list_banks(&state.db, 10, 0)
        .await
        .unwrap();
    assert_eq!(banks.len(), 1);

    // Two files of one bank that use one ref for different questions: refused, both named.
    let law = dir.join("law.toml");
    let practice = dir.join("practice.toml");
    let clash = |stem: &str| {
        format!(
            "format = \"safecert-bank/1\"\nbank = \"测试题库\"\n\n[[questions]]\nref = \"T-ACC-001\"\nkind = \"true_false\"\nstem = \"{stem}\"\nanswer = \"T\"\n"
        )
    };
    std::fs::write(&law, clash("发生事故后应立即报告本单位负责人。")).unwrap();
    std::fs::write(&practice, clash("应急预案应定期组织演练。")).unwrap();
    let clashed = safecert(&env, &["import", &path(&law), &path(&practice)]);
    assert!(!clashed.status.success());
    let said = stderr(&clashed);
    assert!(
        said.contains("T-ACC-001")
            && said.contains("law.toml 第4行")
            && said.contains("practice.toml 第4行"),
        "{said}"
    );
    let bank = safecert::question_bank::store::bank_by_name(&state.db, "测试题库")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bank.active_questions, 5, "the clashing files wrote nothing");

    let unknown = safecert(&env, &["import", "--format", "docx", &path(&native)]);
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("--format"));
}

#[tokio::test]
async fn loadtest_seed_refuses_a_production_configuration_unless_told_otherwise() {
    let mut env = TestEnv::new().await;
    env.vars.insert(
        "PUBLIC_BASE_URL".into(),
        "https://safecert.example.gov.cn".into(),
    );
    let out = env.data_dir.path().join("seed.json");
    let out = out.display().to_string();
    let refused = safecert(&env, &["loadtest-seed", "--candidates", "2", "--out", &out]);
    assert!(!refused.status.success());
    let said = stderr(&refused);
    assert_eq!(said.trim().lines().count(), 1, "{said}");
    // On the PostgreSQL run of the suite the database server is named first.
    let named = if env.vars.contains_key("DATABASE_URL") {
        "DATABASE_URL"
    } else {
        "PUBLIC_BASE_URL"
    };
    assert!(
        said.contains(named) && said.contains("--test-machine"),
        "{said}"
    );
    let state = safecert::startup::build_state(env.config()).await.unwrap();
    assert_eq!(
        safecert::accounts::store::count_users(&state.db)
            .await
            .unwrap(),
        0,
        "nobody was seeded"
    );

    let seeded = safecert(
        &env,
        &[
            "loadtest-seed",
            "--test-machine",
            "--candidates",
            "2",
            "--out",
            &out,
        ],
    );
    assert!(seeded.status.success(), "{}", stderr(&seeded));
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(written["candidates"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn seed_district_refuses_production_and_its_reports_add_up_to_what_it_wrote() {
    let mut env = TestEnv::new().await;
    env.vars.insert(
        "PUBLIC_BASE_URL".into(),
        "https://safecert.example.gov.cn".into(),
    );
    let refused = safecert(&env, &["seed-district", "--scale", "0.002"]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("--test-machine"),
        "{}",
        stderr(&refused)
    );

    env.vars.insert("SHIPPED_BANKS".into(), "true".into());
    let seeded = safecert(
        &env,
        &["seed-district", "--test-machine", "--scale", "0.002"],
    );
    assert!(seeded.status.success(), "{}", stderr(&seeded));
    // "seeded 11 streets, 60 enterprises, 400 people, … in 0.3 s"
    let said = stdout(&seeded);
    let count = |what: &str| -> i64 {
        let words: Vec<&str> = said.split([' ', ',']).filter(|w| !w.is_empty()).collect();
        let i = words
            .iter()
            .position(|w| *w == what)
            .unwrap_or_else(|| panic!("{what} in {said}"));
        words[i - 1].parse().unwrap()
    };
    assert_eq!(count("streets"), 11);
    assert_eq!(count("people"), 400);
    assert_eq!(count("attempts"), 600);

    let state = safecert::startup::build_state(env.config()).await.unwrap();
    let today = safecert::certificates::today();
    use safecert::reports::{Params, Report, run};
    let area = safecert::access::Area::District;
    let activity = run(
        &state,
        Report::Activity,
        &Params {
            from: Some(today - chrono::Duration::days(6 * 366)),
            to: Some(today),
            ..Params::default()
        },
        area,
    )
    .await
    .unwrap();
    let total = activity.rows.last().unwrap();
    assert_eq!(activity.text(total, "group"), "合计");
    let figure = |key: &str| activity.number(total, key).unwrap() as i64;
    assert_eq!(figure("registrations"), count("registrations"));
    assert_eq!(figure("attempts"), count("attempts"));
    assert_eq!(
        figure("registrations") - figure("attempts"),
        figure("no_shows"),
        "every sitting is over, so each booking without an attempt is a no-show"
    );
    assert_eq!(
        figure("certificates_issued") + figure("certificates_renewed"),
        count("certificates")
    );
    let questions = run(&state, Report::QuestionStats, &Params::default(), area)
        .await
        .unwrap();
    let used: f64 = questions
        .rows
        .iter()
        .filter_map(|r| questions.number(r, "used"))
        .sum();
    assert_eq!(
        used as i64,
        count("answers"),
        "the statistics hold every answer"
    );
    let density = run(&state, Report::StreetDensity, &Params::default(), area)
        .await
        .unwrap();
    assert_eq!(density.rows.len(), 11);
}

/// A database with the shipped banks and courses, its state, and the first-responder course.
async fn with_shipped_courses() -> (TestEnv, safecert::AppState, safecert::courses::Course) {
    let env = TestEnv::new().await;
    let state = safecert::startup::build_state(env.config()).await.unwrap();
    safecert::shipped::load_if_empty(&state).await.unwrap();
    let fr = safecert::courses::store::course_by_code(&state.db, "FR-THEORY")
        .await
        .unwrap()
        .unwrap();
    (env, state, fr)
}

#[tokio::test]
async fn import_lessons_reads_the_folder_format_checks_everything_first_and_reimports_in_place() {
    let (env, state, fr) = with_shipped_courses().await;

    // One good lesson and one broken one: nothing is written, and the error names the file.
    let dir = tempfile::tempdir().unwrap();
    let course_dir = dir.path().join("FR-THEORY");
    std::fs::create_dir(&course_dir).unwrap();
    let lesson = |order: u32, minutes: u32| {
        format!(
            "+++\nformat = \"safecert-lesson/1\"\ncourse = \"FR-THEORY\"\nmodule = \"应急救护\"\norder = {order}\n\
             title = \"止血\"\nrequired_minutes = {minutes}\nsources = [\"《中国红十字会救护培训教材》\"]\n+++\n\n## 学习目标\n\n学会加压止血。\n"
        )
    };
    std::fs::write(course_dir.join("01-bleeding.md"), lesson(1, 30)).unwrap();
    std::fs::write(course_dir.join("02-broken.md"), lesson(2, 0)).unwrap();
    let refused = safecert(&env, &["import-lessons", &dir.path().display().to_string()]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("02-broken.md"),
        "{}",
        stderr(&refused)
    );
    assert!(stderr(&refused).contains("nothing was imported"));
    assert!(
        safecert::study::store::lessons_of(&state.db, fr.id)
            .await
            .unwrap()
            .is_empty()
    );

    // Fixed: imported.
    std::fs::write(course_dir.join("02-broken.md"), lesson(2, 15)).unwrap();
    let done = safecert(&env, &["import-lessons", &dir.path().display().to_string()]);
    assert!(done.status.success(), "{}", stderr(&done));
    assert!(
        stdout(&done).contains("2 lessons added"),
        "{}",
        stdout(&done)
    );

    // The shipped folder, imported over them: lessons 1 and 2 are rewritten in place, the
    // rest added; the first-responder course then asks for 16 学时.
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/lessons");
    let again = safecert(&env, &["import-lessons", shipped]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("13 lessons added, 2 updated"),
        "{}",
        stdout(&again)
    );
    assert_eq!(
        safecert::study::store::required_seconds(&state.db, fr.id)
            .await
            .unwrap(),
        16 * 45 * 60
    );
}

/// A lesson folder's `media/` files are imported with its lessons: the lessons name them by
/// their served paths, a missing file refuses the import naming it, and importing again keeps
/// no second copy.
#[tokio::test]
async fn import_lessons_keeps_the_folders_images_and_videos() {
    let (env, state, fr) = with_shipped_courses().await;
    let dir = tempfile::tempdir().unwrap();
    let course_dir = dir.path().join("FR-THEORY");
    std::fs::create_dir_all(course_dir.join("media")).unwrap();
    std::fs::write(
        course_dir.join("01-cpr.md"),
        "+++\nformat = \"safecert-lesson/1\"\ncourse = \"FR-THEORY\"\nmodule = \"应急救护\"\norder = 1\n\
         title = \"心肺复苏\"\nrequired_minutes = 20\nvideo = \"media/cpr.mp4\"\nsources = [\"《中国心肺复苏专家共识》\"]\n+++\n\n\
         按压位置：![按压位置](media/hands.png)\n",
    )
    .unwrap();
    let import = || safecert(&env, &["import-lessons", &dir.path().display().to_string()]);
    // The image is missing: refused, naming it.
    let mut video = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
    video.extend(std::iter::repeat_n(7u8, 3 << 19));
    std::fs::write(course_dir.join("media/cpr.mp4"), &video).unwrap();
    let refused = import();
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("media/hands.png"),
        "{}",
        stderr(&refused)
    );
    assert!(
        safecert::study::store::lessons_of(&state.db, fr.id)
            .await
            .unwrap()
            .is_empty()
    );

    std::fs::write(
        course_dir.join("media/hands.png"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0",
    )
    .unwrap();
    let done = import();
    assert!(done.status.success(), "{}", stderr(&done));
    assert!(
        stdout(&done).contains("2 media file(s) kept"),
        "{}",
        stdout(&done)
    );
    let kept = safecert::media::store::of_course(&state.db, fr.id, 10)
        .await
        .unwrap();
    assert_eq!(kept.len(), 2);
    let image = kept.iter().find(|m| !m.kind.is_video()).unwrap();
    let movie = kept.iter().find(|m| m.kind.is_video()).unwrap();
    assert_eq!(movie.byte_count, video.len() as u64);
    let lesson = &safecert::study::store::lessons_of(&state.db, fr.id)
        .await
        .unwrap()[0];
    assert_eq!(lesson.video_url.as_deref(), Some(movie.path().as_str()));
    assert!(
        lesson
            .body
            .contains(&format!("![按压位置]({})", image.path())),
        "{}",
        lesson.body
    );

    // Again: the same files, no second copy.
    let again = import();
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        safecert::media::store::of_course(&state.db, fr.id, 10)
            .await
            .unwrap()
            .len(),
        2
    );
}
