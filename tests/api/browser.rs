//! The whole loop in a real browser: Debian's Chromium, headless, driven through WebDriver
//! (chromedriver) by fantoccini, at phone size. Sign up, book, take the exam, reload
//! halfway, lose the network, hand in, see the result, download the certificate and open its
//! verification page. Screenshots of each page at phone and desktop size go to
//! `target/screenshots/` (the README says so).
//!
//! Runs once, on the embedded backend: the pages are the same on both, and the API suite
//! covers PostgreSQL + Redis. Without Chromium it is skipped, unless
//! `SAFECERT_REQUIRE_BROWSER=1` (as `.ci/run` sets) makes that a failure.

use crate::console_pages::{gift, roster_csv};
use crate::helpers::{PASSWORD, TestApp, phone, resident_id, spawn_app_with};
use chrono::Duration;
use fantoccini::{Client, ClientBuilder, Locator, wd::WebDriverCompatibleCommand};
use serde_json::{Value, json};
use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Instant,
};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const PHONE: (u32, u32) = (360, 780);
const DESKTOP: (u32, u32) = (1280, 900);
const TABLET: (u32, u32) = (820, 1180);

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn browser_available() -> bool {
    let present =
        std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists();
    if !present && std::env::var("SAFECERT_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
        panic!("SAFECERT_REQUIRE_BROWSER=1 but {CHROMIUM} or {CHROMEDRIVER} is missing");
    }
    present
}

async fn start_driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while reqwest::get(format!("{url}/status")).await.is_err() {
        assert!(
            started.elapsed().as_secs() < 20,
            "chromedriver did not come up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Driver {
        child,
        url,
        _profile: tempfile::tempdir().unwrap(),
    }
}

/// A headless Chromium session; `phone` emulates a 360-pixel-wide phone.
async fn session(driver: &Driver, size: (u32, u32), phone: bool) -> Client {
    let profile = tempfile::tempdir().unwrap().keep();
    let mut options = json!({
        "binary": CHROMIUM,
        "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--lang=zh-CN",
            format!("--window-size={},{}", size.0, size.1),
            format!("--user-data-dir={}", profile.display()),
        ],
    });
    if phone {
        options["mobileEmulation"] = json!({
            "deviceMetrics": {"width": size.0, "height": size.1, "pixelRatio": 2.0, "touch": true},
            "userAgent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36 MicroMessenger/8.0"
        });
    }
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

/// Chromium's network emulation (a chromedriver command): offline or back online.
#[derive(Debug)]
struct NetworkConditions {
    offline: bool,
}

impl WebDriverCompatibleCommand for NetworkConditions {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/chromium/network_conditions",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"network_conditions": {
            "offline": self.offline, "latency": 0,
            "download_throughput": 1_000_000, "upload_throughput": 1_000_000
        }});
        (http::Method::POST, Some(body.to_string()))
    }
}

fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots_dir().join(format!("{name}.png")), png).unwrap();
}

/// Fails when the page is wider than the phone: sideways scrolling on a phone is a bug.
async fn assert_fits(client: &Client, what: &str) {
    let widths = client
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    let (scroll, inner) = (widths[0].as_i64().unwrap(), widths[1].as_i64().unwrap());
    assert!(
        scroll <= inner,
        "{what} is {scroll} px wide in a {inner} px viewport"
    );
}

async fn css(client: &Client, selector: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(std::time::Duration::from_secs(10))
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
}

/// Waits until `script` returns true in the page.
async fn until(client: &Client, script: &str, what: &str) {
    let started = Instant::now();
    loop {
        if client.execute(script, vec![]).await.ok() == Some(Value::Bool(true)) {
            return;
        }
        assert!(
            started.elapsed().as_secs() < 20,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Waits until the exam page's `[data-save-state]` reads `state`.
async fn until_save_state(client: &Client, state: &str, what: &str) {
    until(
        client,
        &format!(
            "return document.querySelector('[data-save-state]').dataset.saveState === '{state}';"
        ),
        what,
    )
    .await;
}

/// An attribute of the first element matching `selector`.
async fn attr(client: &Client, selector: &str, name: &str) -> String {
    css(client, selector)
        .await
        .attr(name)
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Clicks the element `selector` finds, once it is there.
async fn click(client: &Client, selector: &str) {
    css(client, selector).await.click().await.unwrap();
}

/// Fills the log-in form the page shows, with the test password, and sends it.
async fn log_in(client: &Client, login: &str) {
    css(client, "input[name=login]")
        .await
        .send_keys(login)
        .await
        .unwrap();
    css(client, "input[name=password]")
        .await
        .send_keys(PASSWORD)
        .await
        .unwrap();
    click(client, "form.form button[type=submit]").await;
}

async fn choose(client: &Client, position: usize, key: &str) {
    click(client, &format!("[data-goto=\"{position}\"]")).await;
    click(
        client,
        &format!("[data-position=\"{position}\"] input[value=\"{key}\"]"),
    )
    .await;
}

async fn checked(client: &Client, position: usize) -> Vec<String> {
    let value = client
        .execute(
            &format!(
                "return Array.from(document.querySelectorAll('[data-position=\"{position}\"] input:checked')).map(i => i.value);"
            ),
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(value).unwrap()
}

#[tokio::test]
async fn a_citizen_takes_the_whole_loop_on_a_phone_in_chromium() {
    if std::env::var("TEST_DATABASE_URL").is_ok() || !browser_available() {
        eprintln!("browser test skipped (runs once, on the embedded backend, with Chromium)");
        return;
    }
    // Lesson pages send a heartbeat every second here, so studying shows in seconds.
    let app = spawn_app_with(|env| {
        env.insert("STUDY_HEARTBEAT_SECONDS".into(), "1".into());
    })
    .await;
    let exam = app.exam(Duration::hours(2), 1, false).await;
    let driver = start_driver().await;
    let client = session(&driver, PHONE, true).await;
    let base = app.base.clone();

    // Home, then sign up: the ID number is checked as it is typed.
    client.goto(&format!("{base}/")).await.unwrap();
    assert_fits(&client, "the home page").await;
    screenshot(&client, "home-phone").await;
    client.goto(&format!("{base}/register")).await.unwrap();
    assert_fits(&client, "the sign-up page").await;
    let id_number = resident_id(601);
    let mut wrong = id_number.clone();
    wrong.replace_range(17.., if id_number.ends_with('0') { "1" } else { "0" });
    css(&client, "input[name=name]")
        .await
        .send_keys("陈晓华")
        .await
        .unwrap();
    let id_input = css(&client, "input[name=id_number]").await;
    id_input.send_keys(&wrong).await.unwrap();
    let message = css(&client, "#id_number-msg").await.text().await.unwrap();
    assert!(message.contains("校验位"), "as typed: {message}");
    screenshot(&client, "register-phone").await;
    id_input.clear().await.unwrap();
    id_input.send_keys(&id_number).await.unwrap();
    css(&client, "input[name=phone]")
        .await
        .send_keys(&phone(601))
        .await
        .unwrap();
    css(&client, "input[name=email]")
        .await
        .send_keys("chenxh@example.cn")
        .await
        .unwrap();
    css(&client, "input[name=password]")
        .await
        .send_keys(PASSWORD)
        .await
        .unwrap();
    click(&client, "#register button[type=submit]").await;

    // Signed in on the sittings page: book the open sitting.
    css(&client, &format!("[data-sitting-id=\"{}\"]", exam.sitting)).await;
    assert_fits(&client, "the sittings page").await;
    screenshot(&client, "sittings-phone").await;
    click(
        &client,
        &format!("[data-sitting-id=\"{}\"] [data-action=book]", exam.sitting),
    )
    .await;
    css(&client, ".notice").await;
    client.goto(&format!("{base}/me")).await.unwrap();
    assert_fits(&client, "my page").await;
    screenshot(&client, "me-phone").await;
    click(&client, "[data-action=start-exam]").await;

    // The exam: two answers, each saved at once.
    css(&client, "[data-position=\"1\"]").await;
    assert_fits(&client, "the exam page").await;
    let attempt: i64 = attr(&client, "[data-attempt-id]", "data-attempt-id")
        .await
        .parse()
        .unwrap();
    let keys = app.keys(attempt).await;
    choose(&client, 1, &keys[0][0]).await;
    choose(&client, 2, &keys[1][0]).await;
    until_save_state(&client, "saved", "the first answers to be saved").await;
    screenshot(&client, "exam-phone").await;

    // Reload halfway: the same paper, every answer still there.
    client.refresh().await.unwrap();
    css(&client, "[data-position=\"1\"]").await;
    assert_eq!(checked(&client, 1).await, vec![keys[0][0].clone()]);
    assert_eq!(checked(&client, 2).await, vec![keys[1][0].clone()]);
    assert_eq!(
        attr(&client, "[data-save-state]", "data-save-state").await,
        "saved"
    );

    // A proctor's extension reaches the page within 30 s, and moves its clock.
    let before: i64 = attr(
        &client,
        "[data-remaining-seconds]",
        "data-remaining-seconds",
    )
    .await
    .parse()
    .unwrap();
    let extended = app
        .post(
            &format!("/api/v1/attempts/{attempt}/extend"),
            Some(&exam.bureau),
            json!({"minutes": 10}),
        )
        .await;
    assert_eq!(
        extended.status,
        reqwest::StatusCode::OK,
        "{}",
        extended.text
    );
    until(
        &client,
        "return document.getElementById('exam-warning').textContent.includes('延长');",
        "the extension to show",
    )
    .await;
    let after: i64 = attr(
        &client,
        "[data-remaining-seconds]",
        "data-remaining-seconds",
    )
    .await
    .parse()
    .unwrap();
    assert!(
        after >= before + 500,
        "{before} s before, {after} s after 10 more minutes"
    );

    // The network goes: two more answers wait in the page, and say so.
    client
        .issue_cmd(NetworkConditions { offline: true })
        .await
        .unwrap();
    let q2_rest: Vec<String> = keys[1][1..].to_vec();
    click(&client, "[data-goto=\"2\"]").await;
    for key in &q2_rest {
        click(
            &client,
            &format!("[data-position=\"2\"] input[value=\"{key}\"]"),
        )
        .await;
    }
    choose(&client, 3, &keys[2][0]).await;
    until_save_state(&client, "offline", "the page to say the network is down").await;
    screenshot(&client, "exam-offline-phone").await;
    let waiting = client
        .execute(
            &format!("return Object.keys(JSON.parse(localStorage.getItem('safecert-pending-{attempt}') || '{{}}')).length;"),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        waiting,
        json!(2),
        "two answers wait in the browser's storage"
    );

    // Back online: hand in. The unanswered count is asked about first.
    client
        .issue_cmd(NetworkConditions { offline: false })
        .await
        .unwrap();
    click(&client, "[data-action=submit]").await;
    let confirm = css(&client, "#confirm-text").await.text().await.unwrap();
    assert!(confirm.contains("均已作答"), "{confirm}");
    click(&client, "[data-action=confirm-submit]").await;

    // The result page: every answer counted, the one given offline too.
    assert_eq!(attr(&client, "[data-score]", "data-score").await, "3");
    assert_eq!(attr(&client, "[data-passed]", "data-passed").await, "true");
    assert_fits(&client, "the result page").await;
    screenshot(&client, "result-phone").await;
    let token = app.token(&phone(601), PASSWORD).await;
    let result = app
        .get(&format!("/api/v1/attempts/{attempt}/result"), Some(&token))
        .await;
    let answered: Vec<Value> = result.body["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["choice"].clone())
        .collect();
    assert_eq!(answered, keys.iter().map(|k| json!(k)).collect::<Vec<_>>());

    // The certificate: the PDF downloads with the session, the verification page fits.
    let certificate = css(&client, "a[data-certificate-id]").await;
    let pdf_url = certificate.attr("href").await.unwrap().unwrap();
    let fetched = client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             fetch(arguments[0]).then(r => r.arrayBuffer().then(b => done([r.status, r.headers.get('content-type'), b.byteLength])));",
            vec![json!(pdf_url)],
        )
        .await
        .unwrap();
    assert_eq!(fetched[0], json!(200));
    assert_eq!(fetched[1], json!("application/pdf"));
    assert!(fetched[2].as_i64().unwrap() > 1000);
    click(&client, "a[href^=\"/verify/\"]").await;
    let verify_url = client.current_url().await.unwrap();
    assert!(verify_url.path().starts_with("/verify/"));
    let body = css(&client, "body").await.text().await.unwrap();
    assert!(body.contains("陈晓华") || body.contains("有效"), "{body}");
    assert_fits(&client, "the verification page").await;
    screenshot(&client, "verify-phone").await;
    client.close().await.unwrap();

    // The same pages at desktop size, signed in as the same person.
    let desktop = session(&driver, DESKTOP, false).await;
    desktop.goto(&format!("{base}/login")).await.unwrap();
    screenshot(&desktop, "login-desktop").await;
    log_in(&desktop, &phone(601)).await;
    css(&desktop, "[data-certificate-id]").await;
    for (path, name) in [
        ("/", "home-desktop"),
        ("/sittings", "sittings-desktop"),
        ("/me", "me-desktop"),
        (
            &format!("/attempts/{attempt}/result") as &str,
            "result-desktop",
        ),
        (verify_url.path(), "verify-desktop"),
    ] {
        desktop.goto(&format!("{base}{path}")).await.unwrap();
        css(&desktop, "main, body").await;
        screenshot(&desktop, name).await;
    }
    desktop.close().await.unwrap();

    // The bureau's dashboard, with this pass on it, fits a phone; its charts are drawn.
    let bureau = session(&driver, PHONE, true).await;
    bureau
        .goto(&format!("{base}/login?next=%2Fdashboard"))
        .await
        .unwrap();
    log_in(&bureau, "13900000001").await;
    css(&bureau, "[data-section=pass-rate] svg").await;
    assert_fits(&bureau, "the dashboard").await;
    screenshot(&bureau, "dashboard-phone").await;
    bureau.close().await.unwrap();
    a_proctor_watches_a_candidate_and_gives_more_time(&app, &driver, exam.sitting).await;
    an_enterprise_admin_fixes_a_roster_and_books_it(&app, &driver).await;
    a_bureau_admin_builds_an_exam_that_a_citizen_books(&app, &driver).await;
    a_learner_earns_study_time_only_while_the_lesson_is_shown(&app, &driver, exam.course).await;
}

/// A citizen studies a lesson on a phone: the server credits time while the page is shown,
/// nothing while another tab hides it, and again once it is back.
async fn a_learner_earns_study_time_only_while_the_lesson_is_shown(
    app: &TestApp,
    driver: &Driver,
    course: i64,
) {
    let bureau = app.token("13900000001", PASSWORD).await;
    let lesson = |order: i64, title: &str| {
        json!({"order": order, "module": "应急救护", "title": title, "required_minutes": 30,
               "body": "## 学习目标\n\n1. 判断有无反应和呼吸；\n2. 拨打 120，取来 AED。\n\n| 步骤 | 要点 |\n| --- | --- |\n| 按压 | 5～6 厘米，100～120 次/分 |\n",
               "sources": ["《中国心肺复苏专家共识》"]})
    };
    let put = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/courses/{course}/lessons"),
            Some(&bureau),
            Some(json!({"lessons": [lesson(1, "心肺复苏"), lesson(2, "止血包扎")]})),
        )
        .await;
    assert_eq!(put.status, reqwest::StatusCode::OK, "{}", put.text);
    let registered = app.register_citizen(640, "林晓").await;
    assert_eq!(
        registered.status,
        reqwest::StatusCode::CREATED,
        "{}",
        registered.text
    );
    let api_token = app.token(&phone(640), PASSWORD).await;
    let credited = |lesson: i64| {
        let (app, token) = (app, api_token.clone());
        async move {
            app.get(&format!("/api/v1/lessons/{lesson}"), Some(&token))
                .await
                .body["credited_seconds"]
                .as_i64()
                .unwrap()
        }
    };

    let client = session(driver, PHONE, true).await;
    client
        .goto(&format!("{}/login?next=%2Fstudy", app.base))
        .await
        .unwrap();
    log_in(&client, &phone(640)).await;
    click(&client, &format!("[data-study-course-id=\"{course}\"] a")).await;
    assert_fits(&client, "the course's lessons").await;
    screenshot(&client, "study-course-phone").await;
    click(&client, "[data-lesson-id] a").await;
    let lesson_id: i64 = attr(&client, "[data-lesson]", "data-lesson")
        .await
        .parse()
        .unwrap();
    until(
        &client,
        "return Number(document.querySelector('[data-credited-seconds]').dataset.creditedSeconds) >= 2;",
        "two seconds credited while the lesson is shown",
    )
    .await;
    assert_fits(&client, "the lesson").await;
    screenshot(&client, "lesson-phone").await;

    // Another tab in front: the lesson is hidden and earns nothing.
    let lesson_tab = client.window().await.unwrap();
    let other = client.new_window(true).await.unwrap();
    client.switch_to_window(other.handle).await.unwrap();
    client
        .goto(&format!("{}/sittings", app.base))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let hidden_from = credited(lesson_id).await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    assert_eq!(
        credited(lesson_id).await,
        hidden_from,
        "nothing is credited while the lesson is hidden"
    );

    // Back in front: it earns again, and the page shows it.
    client.switch_to_window(lesson_tab).await.unwrap();
    until(
        &client,
        &format!(
            "return Number(document.querySelector('[data-credited-seconds]').dataset.creditedSeconds) >= {};",
            hidden_from + 2
        ),
        "credit again once the lesson is shown",
    )
    .await;
    assert!(credited(lesson_id).await >= hidden_from + 2);
    let state = attr(&client, "[data-study-state]", "data-study-state").await;
    assert_eq!(state, "studying");

    // 我的 lists the course under way with its hours.
    client.goto(&format!("{}/me", app.base)).await.unwrap();
    let row = css(&client, &format!("[data-study-course-id=\"{course}\"]"))
        .await
        .text()
        .await
        .unwrap();
    assert!(row.contains("已学") && row.contains("还差"), "{row}");

    // Practice: the first option of each question here is wrong, so the first answer goes
    // into the wrong-answer book with its key shown at once.
    client
        .goto(&format!("{}/study/courses/{course}", app.base))
        .await
        .unwrap();
    click(&client, "[data-action=practice]").await;
    let question = attr(
        &client,
        "[data-practice-question]",
        "data-practice-question",
    )
    .await;
    click(&client, "[data-practice-question] input[name=choice]").await;
    click(&client, "[data-practice-question] button[type=submit]").await;
    let result = attr(&client, "[data-practice-result]", "data-practice-result").await;
    assert_eq!(result, "wrong");
    let key = attr(&client, "[data-practice-result]", "data-answer").await;
    assert!(!key.is_empty());
    assert_fits(&client, "the practice feedback").await;
    screenshot(&client, "practice-feedback-phone").await;

    // The book has it; answered right twice in a row, it leaves the book.
    for round in 0..2 {
        client
            .goto(&format!("{}/study/wrong-answers", app.base))
            .await
            .unwrap();
        let card = format!("[data-wrong-answer=\"{question}\"]");
        if round == 0 {
            assert_fits(&client, "the wrong-answer book").await;
            screenshot(&client, "wrong-answers-phone").await;
        }
        for k in key.chars() {
            click(&client, &format!("{card} input[value=\"{k}\"]")).await;
        }
        click(&client, &format!("{card} button[type=submit]")).await;
        let result = attr(&client, "[data-practice-result]", "data-practice-result").await;
        assert_eq!(result, "correct", "retry {round}");
    }
    client
        .goto(&format!("{}/study/wrong-answers", app.base))
        .await
        .unwrap();
    let book = css(&client, "main").await.text().await.unwrap();
    assert!(book.contains("错题本是空的"), "{book}");

    // A mock exam (模拟考试) on the exam page itself: the first option everywhere, which is
    // wrong in this bank, then handed in.
    client
        .goto(&format!("{}/study/courses/{course}", app.base))
        .await
        .unwrap();
    click(&client, "[data-action=mock-exam]").await;
    css(&client, "[data-position=\"1\"]").await;
    let api = attr(&client, "#exam", "data-api").await;
    assert!(api.starts_with("/api/v1/mock-exams/"), "{api}");
    let count = client
        .execute(
            "return document.querySelectorAll('.question[data-position]').length;",
            vec![],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    assert!(count > 0);
    for p in 1..=count {
        click(&client, &format!("[data-goto=\"{p}\"]")).await;
        click(&client, &format!("[data-position=\"{p}\"] input")).await;
    }
    until_save_state(&client, "saved", "the mock exam's answers to be saved").await;
    assert_fits(&client, "the mock exam").await;
    screenshot(&client, "mock-exam-phone").await;
    click(&client, "[data-action=submit]").await;
    click(&client, "[data-action=confirm-submit]").await;

    // Graded at once and reviewed: every question with its key and explanation.
    assert_eq!(attr(&client, "[data-passed]", "data-passed").await, "false");
    let explained = client
        .execute(
            "return document.querySelectorAll('[data-review-position] .explanation').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(explained, json!(count));
    assert_fits(&client, "the mock exam's review").await;
    screenshot(&client, "mock-result-phone").await;

    // Its wrong answers wait in the book: one retried there, wrong and then right.
    click(&client, "[data-action=wrong-answers]").await;
    let retried = attr(&client, "[data-wrong-answer]", "data-wrong-answer").await;
    let card = format!("[data-wrong-answer=\"{retried}\"]");
    click(&client, &format!("{card} input[name=choice]")).await;
    click(&client, &format!("{card} button[type=submit]")).await;
    assert_eq!(
        attr(&client, "[data-practice-result]", "data-practice-result").await,
        "wrong"
    );
    let key = attr(&client, "[data-practice-result]", "data-answer").await;
    client
        .goto(&format!("{}/study/wrong-answers", app.base))
        .await
        .unwrap();
    for k in key.chars() {
        click(&client, &format!("{card} input[value=\"{k}\"]")).await;
    }
    click(&client, &format!("{card} button[type=submit]")).await;
    assert_eq!(
        attr(&client, "[data-practice-result]", "data-practice-result").await,
        "correct"
    );
    client.close().await.unwrap();
}

/// A second candidate takes the exam at desktop size (logging in from the exam link comes
/// back to the exam) while the sitting's proctor watches the live roster on a phone: the
/// answered count rises as the candidate answers, without a reload, and ten more minutes
/// given by the proctor reach the candidate's countdown.
async fn a_proctor_watches_a_candidate_and_gives_more_time(
    app: &TestApp,
    driver: &Driver,
    sitting: i64,
) {
    app.register_citizen(602, "林晓").await;
    let token = app.token(&phone(602), PASSWORD).await;
    let booked = app
        .post(
            &format!("/api/v1/sittings/{sitting}/registrations"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(
        booked.status,
        reqwest::StatusCode::CREATED,
        "{}",
        booked.text
    );
    let client = session(driver, DESKTOP, false).await;
    client
        .goto(&format!("{}/sittings/{sitting}/exam", app.base))
        .await
        .unwrap();
    log_in(&client, &phone(602)).await;
    css(&client, "[data-position=\"1\"]").await;
    screenshot(&client, "exam-desktop").await;
    let attempt: i64 = attr(&client, "[data-attempt-id]", "data-attempt-id")
        .await
        .parse()
        .unwrap();

    // The sitting's proctor opens the live view on a phone.
    let bureau = app.token("13900000001", PASSWORD).await;
    let proctor_phone = phone(603);
    let proctor_id = app.proctor(&bureau, 603).await;
    app.assign_proctors(&bureau, sitting, &[proctor_id]).await;
    let proctor = session(driver, PHONE, true).await;
    proctor
        .goto(&format!("{}/login?next=%2Fproctor", app.base))
        .await
        .unwrap();
    log_in(&proctor, &proctor_phone).await;
    let open = css(
        &proctor,
        &format!("[data-sitting-id=\"{sitting}\"] [data-action=proctor]"),
    )
    .await;
    assert_fits(&proctor, "the proctor's sittings").await;
    screenshot(&proctor, "proctor-sittings-phone").await;
    open.click().await.unwrap();
    let row = format!("[data-attempt-id=\"{attempt}\"]");
    assert_eq!(
        attr(&proctor, &format!("{row} [data-answered]"), "data-answered").await,
        "0"
    );

    // The candidate answers two questions; the proctor's row follows without a reload.
    let keys = app.keys(attempt).await;
    choose(&client, 1, &keys[0][0]).await;
    choose(&client, 2, &keys[1][0]).await;
    until_save_state(&client, "saved", "the answers to be saved").await;
    until(
        &proctor,
        &format!(
            "return document.querySelector('{}').querySelector('[data-answered]').dataset.answered === '2';",
            row.replace('\'', "\\'")
        ),
        "the proctor's roster to show two answers",
    )
    .await;
    assert_fits(&proctor, "the proctor's live roster").await;
    screenshot(&proctor, "proctor-phone").await;

    // Ten more minutes, confirmed; the candidate's countdown moves by them.
    let before: i64 = attr(
        &client,
        "[data-remaining-seconds]",
        "data-remaining-seconds",
    )
    .await
    .parse()
    .unwrap();
    click(
        &proctor,
        &format!("{row} [data-action=extend] button[type=submit]"),
    )
    .await;
    let started = Instant::now();
    while proctor.accept_alert().await.is_err() {
        assert!(
            started.elapsed().as_secs() < 10,
            "the extension asks to be confirmed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    until(
        &client,
        &format!(
            "return Number(document.querySelector('[data-remaining-seconds]').dataset.remainingSeconds) > {};",
            before + 8 * 60
        ),
        "the candidate's countdown to gain ten minutes",
    )
    .await;

    // 入场核验: the proctor types the ticket's number and checks the candidate in.
    let ticket_number = booked.body["ticket_number"].as_str().unwrap().to_string();
    css(&proctor, "#ticket-code")
        .await
        .send_keys(&ticket_number)
        .await
        .unwrap();
    click(&proctor, "[data-form=check-ticket] button[type=submit]").await;
    click(&proctor, "[data-action=check-in]").await;
    css(&proctor, "[data-checked-in=true]").await;
    assert_fits(&proctor, "the ticket check").await;
    screenshot(&proctor, "proctor-ticket-phone").await;
    proctor.close().await.unwrap();
    client.close().await.unwrap();
}

/// An enterprise's safety officer, on a tablet, uploads a roster with one wrong ID number,
/// sees that row's problem, uploads the corrected file, checks the preview and confirms; the
/// sitting then holds the three bookings.
async fn an_enterprise_admin_fixes_a_roster_and_books_it(app: &TestApp, driver: &Driver) {
    let bureau = app.bureau_admin().await;
    let sitting = app.sitting(&bureau, 30).await;
    app.enterprise_with_admin(&bureau, "914403001922038216", 650)
        .await;
    let files = tempfile::tempdir().unwrap();
    let mut wrong = resident_id(652);
    wrong.replace_range(17.., if wrong.ends_with('0') { "1" } else { "0" });
    let bad = files.path().join("名单-有误.csv");
    std::fs::write(&bad, roster_csv(651..654, Some((652, &wrong)))).unwrap();
    let fixed = files.path().join("名单.csv");
    std::fs::write(&fixed, roster_csv(651..654, None)).unwrap();

    let client = session(driver, TABLET, false).await;
    let base = &app.base;
    client
        .goto(&format!("{base}/login?next=%2Fenterprise"))
        .await
        .unwrap();
    log_in(&client, &phone(650)).await;
    let upload = |file: PathBuf| {
        let client = client.clone();
        async move {
            css(&client, "select[name=sitting_id]")
                .await
                .select_by_value(&sitting.to_string())
                .await
                .unwrap();
            css(&client, "input[name=roster]")
                .await
                .send_keys(file.to_str().unwrap())
                .await
                .unwrap();
            click(&client, "[data-form=roster] button[type=submit]").await;
        }
    };
    css(&client, "[data-form=roster]").await;
    assert_fits(&client, "the enterprise console").await;
    screenshot(&client, "enterprise-tablet").await;

    upload(bad).await;
    css(&client, "[data-roster-state=invalid]").await;
    let lines: Vec<String> = client
        .execute(
            "return [...document.querySelectorAll('[data-table=issues] [data-line]')].map(r => r.dataset.line + ' ' + r.textContent);",
            vec![],
        )
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("3 ") && lines[0].contains("身份证号码有误"),
        "{lines:?}"
    );
    screenshot(&client, "enterprise-roster-error-tablet").await;

    client.goto(&format!("{base}/enterprise")).await.unwrap();
    upload(fixed).await;
    css(&client, "[data-roster-state=valid]").await;
    assert_fits(&client, "the roster preview").await;
    screenshot(&client, "enterprise-roster-preview-tablet").await;
    click(&client, "[data-action=confirm-roster]").await;
    css(&client, "[data-roster-state=enrolled]").await;
    screenshot(&client, "enterprise-roster-result-tablet").await;
    let shown = app.get(&format!("/api/v1/sittings/{sitting}"), None).await;
    assert_eq!(shown.body["seats_taken"], 3, "{}", shown.text);
    client.close().await.unwrap();

    let phone_view = session(driver, PHONE, true).await;
    phone_view
        .goto(&format!("{base}/login?next=%2Fenterprise"))
        .await
        .unwrap();
    log_in(&phone_view, &phone(650)).await;
    css(&phone_view, "[data-form=roster]").await;
    assert_fits(&phone_view, "the enterprise console on a phone").await;
    screenshot(&phone_view, "enterprise-phone").await;
    phone_view.close().await.unwrap();
}

/// The bureau, at desktop size, imports a GIFT file with an error, sees the line, imports
/// the corrected file, builds a course whose blueprint it checks first, and schedules a
/// sitting; a citizen on a phone then books it.
async fn a_bureau_admin_builds_an_exam_that_a_citizen_books(app: &TestApp, driver: &Driver) {
    let files = tempfile::tempdir().unwrap();
    let bad = files.path().join("救护-有误.gift");
    std::fs::write(&bad, gift(true)).unwrap();
    let fixed = files.path().join("救护.gift");
    std::fs::write(&fixed, gift(false)).unwrap();
    let base = &app.base;
    let client = session(driver, DESKTOP, false).await;
    client
        .goto(&format!("{base}/login?next=%2Fadmin"))
        .await
        .unwrap();
    log_in(&client, "13900000001").await;
    css(&client, "[data-form=new-bank]").await;
    css(&client, "#bank-name")
        .await
        .send_keys("浏览器测试题库")
        .await
        .unwrap();
    click(&client, "[data-form=new-bank] button[type=submit]").await;
    let import = |file: PathBuf| {
        let client = client.clone();
        async move {
            css(&client, "select[name=format]")
                .await
                .select_by_value("gift")
                .await
                .unwrap();
            css(&client, "input[name=file]")
                .await
                .send_keys(file.to_str().unwrap())
                .await
                .unwrap();
            click(&client, "[data-form=import] button[type=submit]").await;
        }
    };
    import(bad).await;
    css(&client, "[data-import-state=invalid]").await;
    assert_eq!(
        attr(&client, "[data-table=issues] [data-line]", "data-line").await,
        "4"
    );
    screenshot(&client, "admin-bank-error-desktop").await;
    import(fixed).await;
    css(&client, "[data-import-state=imported]").await;
    let bank_url = client.current_url().await.unwrap();
    let bank = bank_url
        .path()
        .trim_end_matches("/import")
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    screenshot(&client, "admin-bank-desktop").await;

    client.goto(&format!("{base}/admin/courses")).await.unwrap();
    for (field, value) in [
        ("code", "FR-WEB"),
        ("title", "应急救护网页考核"),
        ("pass", "1"),
    ] {
        let input = css(&client, &format!("#{field}")).await;
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }
    css(&client, "select[name=s1_bank]")
        .await
        .select_by_value(&bank)
        .await
        .unwrap();
    css(&client, "input[name=s1_count]")
        .await
        .send_keys("2")
        .await
        .unwrap();
    click(&client, "[data-action=check-blueprint]").await;
    css(&client, "[data-blueprint-state=fillable]").await;
    screenshot(&client, "admin-courses-desktop").await;
    click(&client, "[data-action=save-course]").await;
    until(
        &client,
        "return [...document.querySelectorAll('[data-table=courses] td')].some(td => td.textContent === 'FR-WEB');",
        "the new course to be listed",
    )
    .await;

    client
        .goto(&format!("{base}/admin/sittings"))
        .await
        .unwrap();
    let course = client
        .execute(
            "const o = [...document.querySelectorAll('#course option')].find(o => o.textContent === '应急救护网页考核'); return o ? o.value : '';",
            vec![],
        )
        .await
        .unwrap();
    let course = course.as_str().unwrap().to_string();
    assert!(!course.is_empty(), "the new course is offered");
    css(&client, "#course")
        .await
        .select_by_value(&course)
        .await
        .unwrap();
    let day = (chrono::Utc::now() + Duration::hours(8) + Duration::days(4)).date_naive();
    client
        .execute(
            "document.querySelector('#starts').value = arguments[0] + 'T09:00'; document.querySelector('#ends').value = arguments[0] + 'T11:00';",
            vec![json!(day.format("%Y-%m-%d").to_string())],
        )
        .await
        .unwrap();
    css(&client, "#venue-name")
        .await
        .send_keys("福田区应急服务站")
        .await
        .unwrap();
    css(&client, "#venue-address")
        .await
        .send_keys("福华路1号")
        .await
        .unwrap();
    click(&client, "[data-form=new-sitting] button[type=submit]").await;
    // The list below the form already shows other sittings: wait for the new one.
    let find = "[...document.querySelectorAll('[data-sitting-id]')].find(c => c.querySelector('h3').textContent === '应急救护网页考核')";
    until(
        &client,
        &format!("return {find} !== undefined;"),
        "the new sitting to be listed",
    )
    .await;
    let sitting = client
        .execute(&format!("return {find}.dataset.sittingId;"), vec![])
        .await
        .unwrap();
    let sitting = sitting.as_str().unwrap().to_string();
    screenshot(&client, "admin-sittings-desktop").await;
    client.goto(&format!("{base}/admin")).await.unwrap();
    screenshot(&client, "admin-desktop").await;
    // The console's other pages, each at desktop size and on a tablet.
    client
        .goto(&format!("{base}/admin/banks/{bank}"))
        .await
        .unwrap();
    let question = attr(&client, "[data-question-id]", "data-question-id").await;
    let pages = [
        (format!("/admin/questions/{question}"), "admin-question"),
        (format!("/admin/sittings/{sitting}"), "admin-sitting"),
        (format!("/admin/courses/{course}"), "admin-course"),
        (format!("/admin/courses/{course}/lessons"), "admin-lessons"),
        ("/admin/certificates?q=BA".to_string(), "admin-certificates"),
        (format!("/admin/people?q={}", phone(601)), "admin-people"),
    ];
    for (path, name) in &pages {
        client.goto(&format!("{base}{path}")).await.unwrap();
        css(&client, "main h1").await;
        screenshot(&client, &format!("{name}-desktop")).await;
    }
    client.close().await.unwrap();
    let tablet = session(driver, TABLET, false).await;
    tablet
        .goto(&format!("{base}/login?next=%2Fadmin"))
        .await
        .unwrap();
    log_in(&tablet, "13900000001").await;
    css(&tablet, "[data-form=new-bank]").await;
    assert_fits(&tablet, "the bureau's console").await;
    for (path, name) in &pages {
        tablet.goto(&format!("{base}{path}")).await.unwrap();
        css(&tablet, "main h1").await;
        assert_fits(&tablet, name).await;
        screenshot(&tablet, &format!("{name}-tablet")).await;
    }
    tablet.close().await.unwrap();

    // A citizen books it from the sittings page on a phone.
    app.register_citizen(660, "王五").await;
    let citizen = session(driver, PHONE, true).await;
    citizen
        .goto(&format!("{base}/login?next=%2Fsittings"))
        .await
        .unwrap();
    log_in(&citizen, &phone(660)).await;
    citizen.goto(&format!("{base}/sittings")).await.unwrap();
    click(
        &citizen,
        &format!("[data-sitting-id=\"{sitting}\"] [data-action=book]"),
    )
    .await;
    css(&citizen, ".notice").await;
    citizen.close().await.unwrap();
    let shown = app.get(&format!("/api/v1/sittings/{sitting}"), None).await;
    assert_eq!(shown.body["seats_taken"], 1, "{}", shown.text);
}
