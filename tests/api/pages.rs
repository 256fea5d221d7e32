//! The pages over HTTP, as a browser without script uses them: sign up, log in, book, the
//! exam page and the result page, with the session cookie and the cross-site token. The same
//! bodies run on both backends.

use crate::helpers::{PASSWORD, TestApp, phone, resident_id, spawn_app};
use chrono::Duration;
use reqwest::{Method, StatusCode, redirect::Policy};
use serde_json::{Value, json};
use std::collections::HashMap;

/// A browser of our own: keeps cookies, does not follow redirects (tests look at them).
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    pub cookies: HashMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: String,
    pub html: String,
    pub content_type: String,
    pub content_encoding: String,
    pub bytes: usize,
}

impl Page {
    /// How often `needle` occurs in the page.
    pub fn count(&self, needle: &str) -> usize {
        self.html.matches(needle).count()
    }
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            base: app.base.clone(),
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let resp = req
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        for set in resp.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.into(), value.into());
            }
        }
        let status = resp.status();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let (location, content_type, content_encoding) = (
            header("location"),
            header("content-type"),
            header("content-encoding"),
        );
        let body = resp.bytes().await.unwrap();
        Page {
            status,
            location,
            content_type,
            content_encoding,
            bytes: body.len(),
            html: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.client.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    /// What a browser that takes gzip is sent for `path`: the bytes on the wire.
    pub async fn transferred(&mut self, path: &str) -> (StatusCode, String, usize) {
        let req = self
            .client
            .get(format!("{}{path}", self.base))
            .header("accept-encoding", "gzip, deflate, br");
        let page = self.send(req).await;
        (page.status, page.content_encoding, page.bytes)
    }

    /// Posts a form the way the page does: with the cross-site token the page was given.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.cookies.get("sc_csrf").cloned().unwrap_or_default();
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &csrf));
        let req = self.client.post(format!("{}{path}", self.base)).form(&form);
        self.send(req).await
    }

    /// Calls the JSON API as the exam page's script does: the session cookie, and the
    /// cross-site token in a header when `vouch` is true.
    pub async fn api(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
        vouch: bool,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if vouch {
            req = req.header(
                "x-csrf-token",
                self.cookies.get("sc_csrf").cloned().unwrap_or_default(),
            );
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let page = self.send(req).await;
        (
            page.status,
            serde_json::from_str(&page.html).unwrap_or(Value::Null),
        )
    }

    /// Logs in through the log-in form.
    pub async fn log_in(&mut self, login: &str, password: &str) -> Page {
        self.get("/login").await;
        self.post("/login", &[("login", login), ("password", password)])
            .await
    }
}

/// The value of `attr` on each element that has it, in page order.
pub fn attribute_values(html: &str, attr: &str) -> Vec<String> {
    let needle = format!("{attr}=\"");
    html.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

#[tokio::test]
async fn a_citizen_signs_up_books_and_finds_the_ticket_on_their_page() {
    let app = spawn_app().await;
    let exam = app.exam(Duration::hours(2), 1, false).await;
    let street = app.street(&exam.bureau, "城关街道", 4.2, 52_000).await;
    let street_value = street.to_string();
    let mut browser = Browser::new(&app);

    let form = browser.get("/register").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.html.contains("lang=\"zh-CN\""));
    assert!(
        form.html
            .contains(&format!("<option value=\"{street}\">城关街道</option>")),
        "the district's streets are offered: {}",
        form.html
    );
    for field in [
        "name",
        "id_number",
        "phone",
        "email",
        "street_id",
        "password",
    ] {
        assert!(
            form.html.contains(&format!("name=\"{field}\"")),
            "the form has {field}"
        );
        assert!(
            form.html.contains(&format!("<label for=\"{field}\"")),
            "{field} has a label"
        );
    }
    assert!(
        browser.cookies.contains_key("sc_csrf"),
        "the form hands out its token"
    );

    // A wrong check digit is refused in Chinese, the field named, nothing created, the
    // password not echoed back.
    let mut bad_id = resident_id(501);
    let last = if bad_id.ends_with('0') { "1" } else { "0" };
    bad_id.replace_range(17.., last);
    let phone_no = phone(501);
    let refused = browser
        .post(
            "/register",
            &[
                ("name", "王小明"),
                ("id_number", &bad_id),
                ("phone", &phone_no),
                ("email", "wxm@example.cn"),
                ("street_id", &street_value),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .html
            .contains(&format!("<option value=\"{street}\" selected>")),
        "the chosen street stays chosen"
    );
    assert!(
        refused.html.contains("data-error-field=\"id_number\""),
        "{}",
        refused.html
    );
    assert!(refused.html.contains("身份证号码有误"));
    assert!(
        !refused.html.contains(PASSWORD),
        "the password is not sent back"
    );
    assert!(refused.html.contains("王小明"), "what was typed stays");
    assert!(!browser.cookies.contains_key("sc_session"));
    assert_eq!(
        app.login(&phone_no, PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );

    let id = resident_id(501);
    let signed_up = browser
        .post(
            "/register",
            &[
                ("name", "王小明"),
                ("id_number", &id),
                ("phone", &phone_no),
                ("email", "wxm@example.cn"),
                ("street_id", &street_value),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        signed_up.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_up.html
    );
    assert_eq!(signed_up.location, "/sittings");
    assert!(
        browser.cookies.contains_key("sc_session"),
        "signed in at once"
    );
    let me = app.login(&phone_no, PASSWORD).await;
    let me = app.get("/api/v1/me", me.body["token"].as_str()).await;
    assert_eq!(
        me.body["street_id"], street,
        "counted under the street chosen: {}",
        me.text
    );

    // The sitting is listed with its seats and a book button for this person.
    let list = browser.get("/sittings").await;
    assert_eq!(list.status, StatusCode::OK);
    let sittings = attribute_values(&list.html, "data-sitting-id");
    assert!(sittings.contains(&exam.sitting.to_string()), "{sittings:?}");
    assert_eq!(list.count("data-action=\"book\""), 1);
    assert!(list.html.contains("剩余 <b>50</b> / 50"));

    let booked = browser
        .post(&format!("/sittings/{}/book", exam.sitting), &[])
        .await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.html);
    let after = browser.get(&booked.location).await;
    assert!(after.html.contains("报名成功"));
    assert_eq!(
        after.count("data-action=\"book\""),
        0,
        "booked: no second button"
    );
    assert!(after.html.contains("剩余 <b>49</b> / 50"));

    // My page: the booking, its ticket, and the way into the open exam.
    let me = browser.get("/me").await;
    assert_eq!(me.status, StatusCode::OK);
    let registrations = attribute_values(&me.html, "data-registration-id");
    assert_eq!(registrations.len(), 1);
    let registration = &registrations[0];
    assert!(
        me.html
            .contains(&format!("/sittings/{}/exam", exam.sitting))
    );
    assert_eq!(me.count("data-action=\"start-exam\""), 1);
    let ticket = browser
        .get(&format!("/api/v1/registrations/{registration}/ticket.pdf"))
        .await;
    assert_eq!(ticket.status, StatusCode::OK);
    assert_eq!(ticket.content_type, "application/pdf");
    assert!(ticket.html.starts_with("%PDF"));

    // Every page but the exam page stays small.
    for page in [&form, &list, &me] {
        assert!(page.bytes < 100 * 1024, "{} bytes", page.bytes);
    }
}

#[tokio::test]
async fn forms_and_scripts_without_the_cross_site_token_change_nothing() {
    let app = spawn_app().await;
    let exam = app.exam(Duration::hours(2), 1, false).await;
    let (_, token) = app.quick_candidate(502).await;
    let mut browser = Browser::new(&app);
    browser.get("/").await;
    browser.cookies.insert("sc_session".into(), token.clone());

    // Another site's form: our cookies go with it, but not the token it cannot read.
    let forged = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/sittings/{}/book", app.base, exam.sitting))
        .header("cookie", browser.cookie_header())
        .form(&[("csrf", "ffffffffffffffffffffffffffffffff")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let mine = app.get("/api/v1/registrations", Some(&token)).await;
    assert_eq!(mine.body["total"], 0, "nothing booked");

    // A script call with the cookie but without the header is not signed in.
    let (status, body) = browser
        .api(
            Method::POST,
            &format!("/api/v1/sittings/{}/registrations", exam.sitting),
            Some(json!({})),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _) = browser
        .api(
            Method::POST,
            &format!("/api/v1/sittings/{}/registrations", exam.sitting),
            Some(json!({})),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // Reads need no header: they change nothing.
    let (status, me) = browser.api(Method::GET, "/api/v1/me", None, false).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["name"], "考生502");
}

#[tokio::test]
async fn pages_send_strangers_to_log_in_and_logging_out_ends_the_session() {
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    let me = browser.get("/me").await;
    assert_eq!(me.status, StatusCode::SEE_OTHER);
    assert_eq!(me.location, "/login?next=%2Fme");

    app.register_citizen(503, "李四").await;
    let wrong = browser.log_in(&phone(503), "not-the-password-1").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.html.contains("手机号/邮箱或密码不正确"));
    assert!(!browser.cookies.contains_key("sc_session"));

    let signed_in = browser
        .post(
            "/login",
            &[
                ("login", &phone(503)),
                ("password", PASSWORD),
                ("next", "/me"),
            ],
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.location, "/me");
    let token = browser.cookies["sc_session"].clone();
    let me = browser.get("/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(
        me.html.contains("李四"),
        "the header names who is signed in"
    );

    // The cookie's attributes: script cannot read it, other sites' requests do not carry it.
    let raw = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/login", app.base))
        .header("cookie", format!("sc_csrf={}", browser.cookies["sc_csrf"]))
        .form(&[
            ("login", phone(503).as_str()),
            ("password", PASSWORD),
            ("csrf", browser.cookies["sc_csrf"].as_str()),
        ])
        .send()
        .await
        .unwrap();
    let set = raw.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );

    let out = browser.post("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(!browser.cookies.contains_key("sc_session"));
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status,
        StatusCode::UNAUTHORIZED,
        "the token died with the session"
    );

    // Locked after repeated failures: the page says so, and for how long.
    let mut last = None;
    for _ in 0..6 {
        last = Some(browser.log_in(&phone(503), "still-wrong-1").await);
    }
    let locked = last.unwrap();
    assert!(locked.html.contains("已临时锁定"), "{}", locked.html);
    assert!(locked.html.contains("分钟后再试"));
}

#[tokio::test]
async fn the_exam_page_shows_the_paper_without_keys_keeps_answers_and_leads_to_the_result() {
    let app = spawn_app().await;
    let exam = app.exam(Duration::hours(2), 1, false).await;
    let token = app.booked_candidate(exam.sitting, 504).await;
    let mut browser = Browser::new(&app);
    browser.get("/").await;
    browser.cookies.insert("sc_session".into(), token.clone());

    let page = browser
        .get(&format!("/sittings/{}/exam", exam.sitting))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let positions = attribute_values(&page.html, "data-position");
    assert_eq!(positions, ["1", "2", "3"]);
    assert_eq!(attribute_values(&page.html, "data-goto"), ["1", "2", "3"]);
    assert_eq!(attribute_values(&page.html, "data-save-state"), ["saved"]);
    let remaining: i64 = attribute_values(&page.html, "data-remaining-seconds")[0]
        .parse()
        .unwrap();
    assert!(
        (3500..=3600).contains(&remaining),
        "{remaining}: the course's 60 minutes"
    );
    assert_eq!(page.count("data-action=\"submit\""), 1);
    assert_eq!(page.count("data-action=\"confirm-submit\""), 1);

    // The page is the candidate's attempt; nothing in it tells the key.
    let attempt = app.get("/api/v1/registrations", Some(&token)).await;
    assert_eq!(attempt.body["total"], 1);
    let attempt_id: i64 = attribute_values(&page.html, "data-attempt-id")[0]
        .parse()
        .unwrap();
    let keys = app.keys(attempt_id).await;
    for needle in ["\"answer\"", "explanation", "correct"] {
        assert!(!page.html.contains(needle), "{needle} in the exam page");
    }

    // Answers saved the way the script saves them come back checked after a reload.
    for (position, key) in keys.iter().enumerate() {
        let (status, saved) = browser
            .api(
                Method::PUT,
                &format!("/api/v1/attempts/{attempt_id}/answers/{}", position + 1),
                Some(json!({"choice": key, "seq": position + 1})),
                true,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
    }
    let reloaded = browser
        .get(&format!("/sittings/{}/exam", exam.sitting))
        .await;
    assert_eq!(
        reloaded.count(" checked>"),
        keys.iter().map(Vec::len).sum::<usize>()
    );
    assert_eq!(
        reloaded.count("class=\"answered\""),
        3,
        "the navigator shows them answered"
    );

    let (status, graded) = browser
        .api(
            Method::POST,
            &format!("/api/v1/attempts/{attempt_id}/submit"),
            Some(json!({"answers": []})),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{graded}");

    // The exam page now leads to the result; the result shows score, pass and review.
    let again = browser
        .get(&format!("/sittings/{}/exam", exam.sitting))
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(again.location, format!("/attempts/{attempt_id}/result"));
    let result = browser.get(&again.location).await;
    assert_eq!(result.status, StatusCode::OK);
    assert_eq!(attribute_values(&result.html, "data-score"), ["3"]);
    assert_eq!(attribute_values(&result.html, "data-max-score"), ["3"]);
    assert_eq!(attribute_values(&result.html, "data-passed"), ["true"]);
    assert_eq!(
        result.count("data-review-position"),
        3,
        "review_after = submit"
    );
    // A certificate was issued: the page links its PDF, which the session may download.
    let certificate = attribute_values(&result.html, "data-certificate-id");
    assert_eq!(certificate.len(), 1);
    let pdf = browser
        .get(&format!("/api/v1/certificates/{}/pdf", certificate[0]))
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert!(pdf.html.starts_with("%PDF"));

    // Someone else's result is not there for them.
    let (_, stranger) = app.quick_candidate(505).await;
    let mut other = Browser::new(&app);
    other.cookies.insert("sc_session".into(), stranger);
    let hidden = other.get(&format!("/attempts/{attempt_id}/result")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let not_booked = other.get(&format!("/sittings/{}/exam", exam.sitting)).await;
    assert_eq!(not_booked.status, StatusCode::FORBIDDEN);
    assert!(not_booked.html.contains("您没有报名该场次"));
}

#[tokio::test]
async fn the_exam_page_of_a_100_question_paper_stays_under_150_kb() {
    let app = crate::helpers::spawn_app_with(|env| {
        env.insert("SHIPPED_BANKS".into(), "true".into());
    })
    .await;
    let bureau = app.bureau_admin().await;
    let course = safecert::courses::store::course_by_code(&app.state.db, "SM-INITIAL")
        .await
        .unwrap()
        .expect("the shipped SM-INITIAL course");
    let sitting = app
        .open_sitting(&bureau, course.id, Duration::hours(2))
        .await;
    let token = app.booked_candidate(sitting, 506).await;
    let mut browser = Browser::new(&app);
    browser.cookies.insert("sc_session".into(), token);
    let page = browser.get(&format!("/sittings/{sitting}/exam")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(attribute_values(&page.html, "data-position").len(), 100);
    // On the wire to a browser (gzip), with its stylesheet and script, as a first visit
    // loads them.
    let mut total = 0;
    for path in [
        format!("/sittings/{sitting}/exam"),
        "/assets/site.css".into(),
        "/assets/exam.js".into(),
    ] {
        let (status, encoding, bytes) = browser.transferred(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(encoding, "gzip", "{path}");
        total += bytes;
    }
    assert!(
        total < 150 * 1024,
        "{total} bytes ({} the page unzipped)",
        page.bytes
    );
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_a_one_time_mailed_link() {
    let sink = crate::mailsink::SmtpSink::start().await;
    let url = sink.url.clone();
    let app = crate::helpers::spawn_app_with(|env| {
        env.insert("SMTP_URL".into(), url);
    })
    .await;
    app.register_citizen(507, "赵六").await;
    let mut browser = Browser::new(&app);
    browser.get("/forgot-password").await;
    let asked = browser
        .post("/forgot-password", &[("login", &phone(507))])
        .await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(asked.html.contains("重置密码的链接已发送"));
    // An unknown account gets the same page, and no mail.
    let unknown = browser
        .post("/forgot-password", &[("login", "13999999999")])
        .await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(
        unknown.html.replace("13999999999", ""),
        asked.html.replace(&phone(507), "")
    );
    // Pressed again at once: still one mail.
    browser
        .post("/forgot-password", &[("login", &phone(507))])
        .await;

    let mails = sink
        .wait_until("the reset mail", |m| {
            m.iter().any(|m| m.subject.contains("重置"))
        })
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let resets: Vec<_> = sink
        .received()
        .into_iter()
        .filter(|m| m.subject.contains("重置"))
        .collect();
    assert_eq!(
        resets.len(),
        1,
        "one link per minute: {mails:?}",
        mails = mails.len()
    );
    let mail = &resets[0];
    assert!(mail.to.contains("citizen507@example.cn"));
    let link_start = mail.body.find("/set-password?token=").expect("a link");
    let token: String = mail.body[link_start + "/set-password?token=".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let page = browser.get(&format!("/set-password?token={token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("/assets/set-password.js"));

    let set = app
        .post(
            "/api/v1/auth/password-setup",
            None,
            json!({"token": token, "password": "xin-mima-2027"}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(
        app.login(&phone(507), PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.token(&phone(507), "xin-mima-2027").await;
    let again = app
        .post(
            "/api/v1/auth/password-setup",
            None,
            json!({"token": token, "password": "third-mima-2027"}),
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "one time only"
    );
}

/// The proctor's live view: each attempt a row with its answered count and time left, for
/// the sitting's proctor and the bureau; a proctor of another sitting and a candidate are
/// refused on the server, and nobody signed in is sent to log in.
#[tokio::test]
async fn a_proctor_sees_the_live_roster_of_their_sitting_and_nobody_else_does() {
    let app = spawn_app().await;
    let exam = app.exam(Duration::hours(1), 1, false).await;
    let proctor_ids = [
        app.proctor(&exam.bureau, 560).await,
        app.proctor(&exam.bureau, 561).await,
    ];
    // Only the first is this sitting's proctor.
    app.assign_proctors(&exam.bureau, exam.sitting, &proctor_ids[..1])
        .await;
    let candidate = app.booked_candidate(exam.sitting, 562).await;
    let start = app.start_attempt(exam.sitting, &candidate).await;
    let attempt = start.body["id"].as_i64().unwrap();
    let keys = app.keys(attempt).await;
    for position in [1u64, 2] {
        let saved = app
            .save(
                &candidate,
                attempt,
                position,
                &keys[position as usize - 1]
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
                1,
            )
            .await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    }
    // The candidate's page reports leaving twice and one reconnect.
    for kind in ["page_hidden", "page_visible", "page_hidden", "reconnected"] {
        let told = app
            .post(
                &format!("/api/v1/attempts/{attempt}/events"),
                Some(&candidate),
                json!({"kind": kind}),
            )
            .await;
        assert!(told.status.is_success(), "{}", told.text);
    }
    let path = format!("/proctor/sittings/{}", exam.sitting);
    let mut proctor = Browser::new(&app);
    proctor.log_in(&phone(560), PASSWORD).await;
    let console = proctor.get("/proctor").await;
    assert_eq!(console.status, StatusCode::OK, "{}", console.html);
    assert_eq!(
        attribute_values(&console.html, "data-sitting-id"),
        vec![exam.sitting.to_string()],
        "the proctor's sittings, each leading to its live view"
    );
    assert!(console.html.contains(&format!("href=\"{path}\"")));
    assert!(
        console.html.contains("href=\"/proctor\""),
        "the header links the console"
    );
    let page = proctor.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let row = format!("data-attempt-id=\"{attempt}\"");
    assert_eq!(
        page.count(&row),
        1,
        "one row for the attempt: {}",
        page.html
    );
    let row_html = &page.html[page.html.find(&row).unwrap()..];
    let row_html = &row_html[..row_html.find("</tr>").unwrap()];
    assert!(row_html.contains("data-answered=\"2\""), "{row_html}");
    assert!(
        row_html.contains("data-left-page=\"2\" data-reconnects=\"1\""),
        "{row_html}"
    );
    let remaining: i64 = attribute_values(row_html, "data-remaining-seconds")[0]
        .parse()
        .unwrap();
    assert!(
        (55 * 60..=60 * 60).contains(&remaining),
        "about an hour left by the server's clock: {remaining}"
    );
    assert!(row_html.contains("data-action=\"extend\""));
    assert!(row_html.contains("data-action=\"terminate\""));
    assert!(page.html.contains("/assets/proctor.js"));
    assert_eq!(
        proctor.get("/assets/proctor.js").await.status,
        StatusCode::OK
    );

    let mut bureau = Browser::new(&app);
    bureau.log_in("13900000001", PASSWORD).await;
    let overseen = bureau.get(&path).await;
    assert_eq!(overseen.status, StatusCode::OK);
    assert_eq!(overseen.count(&row), 1, "the bureau oversees every sitting");

    let mut other = Browser::new(&app);
    other.log_in(&phone(561), PASSWORD).await;
    let refused = other.get(&path).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let others = other.get("/proctor").await;
    assert_eq!(others.status, StatusCode::OK);
    assert!(
        attribute_values(&others.html, "data-sitting-id").is_empty(),
        "a sitting proctored by someone else is not listed"
    );
    assert!(!refused.html.contains(&row), "nothing of the roster leaks");

    // The candidate, signed in with their session (made without a password).
    let mut citizen = Browser::new(&app);
    citizen
        .cookies
        .insert("sc_session".into(), candidate.clone());
    assert_eq!(citizen.get("/me").await.status, StatusCode::OK);
    assert_eq!(citizen.get(&path).await.status, StatusCode::FORBIDDEN);
    let not_staff = citizen.get("/proctor").await;
    assert_eq!(not_staff.status, StatusCode::FORBIDDEN);
    assert!(!citizen.get("/me").await.html.contains("href=\"/proctor\""));

    let stranger = Browser::new(&app).get(&path).await;
    assert_eq!(stranger.status, StatusCode::SEE_OTHER);
    assert!(
        stranger.location.starts_with("/login?next="),
        "{}",
        stranger.location
    );
}

/// The demo a newcomer clicks through (README): the demo citizen finds the booking on 我的,
/// and the demo proctor finds that sitting under 监考 and opens its live roster.
#[tokio::test]
async fn the_demo_accounts_find_their_sitting() {
    let app = crate::helpers::spawn_app_with(|env| {
        env.insert("DEMO_DATA".into(), "true".into());
        env.insert("SHIPPED_BANKS".into(), "true".into());
    })
    .await;
    let mut citizen = Browser::new(&app);
    citizen.log_in("13800000004", "safecert-demo-2026").await;
    let me = citizen.get("/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.count("data-registration-id="), 1, "{}", me.html);
    assert_eq!(me.count("data-action=\"start-exam\""), 1);

    let mut proctor = Browser::new(&app);
    proctor.log_in("13800000002", "safecert-demo-2026").await;
    let console = proctor.get("/proctor").await;
    assert_eq!(console.status, StatusCode::OK);
    let sittings = attribute_values(&console.html, "data-sitting-id");
    assert_eq!(sittings.len(), 1, "{}", console.html);
    let live = proctor
        .get(&format!("/proctor/sittings/{}", sittings[0]))
        .await;
    assert_eq!(live.status, StatusCode::OK);
}
