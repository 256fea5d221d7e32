//! The authorization matrix: every operation of the OpenAPI document, and every page route,
//! against each kind of caller, with the outcome each must get. The test walks the whole
//! table on both backends, and fails when the document has an operation the table lacks, so
//! every operation added later gets its row.
//!
//! The rule the table shows: an operation for a role the caller lacks answers 403 (for the
//! bureau's operations, before the body is read); a record that exists but belongs to someone
//! else answers 404, exactly as a missing one, so ids reveal nothing. No token: 401.

use crate::{helpers::TestApp, sittings::roster_xlsx};
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// What a caller gets: served (any status but 401, 403 and 404: a 409 or 422 about the
/// request itself still means the caller may call it), or refused as 401, 403 or 404.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Unauth,
    Forbidden,
    Hidden,
}
use Outcome::*;

/// The kinds of caller, in the order of every row's cells.
const CALLERS: [&str; 7] = [
    "anonymous",
    "candidate (owner)",
    "other candidate",
    "other enterprise's admin",
    "unassigned proctor",
    "bureau admin",
    "other street's officer",
];

/// The objects are the owner's: a candidate of enterprise 1, booked by its roster into a
/// sitting proctored by someone else, who passed and holds a certificate. Sittings, courses
/// and enterprises are public to those who may book them; attempts, bookings, certificates
/// and people are private (404 to others); proctoring needs the proctor of that sitting.
#[rustfmt::skip]
const MATRIX: &[(&str, [Outcome; 7])] = &[
    ("GET /api/v1/attempts/{id}",                              [Unauth, Ok, Hidden, Hidden, Hidden, Hidden, Hidden]),
    ("PUT /api/v1/attempts/{id}/answers/{position}",           [Unauth, Ok, Hidden, Hidden, Hidden, Hidden, Hidden]),
    ("GET /api/v1/attempts/{id}/events",                       [Unauth, Forbidden, Forbidden, Forbidden, Hidden, Ok, Forbidden]),
    ("POST /api/v1/attempts/{id}/events",                      [Unauth, Ok, Hidden, Hidden, Hidden, Hidden, Hidden]),
    ("POST /api/v1/attempts/{id}/extend",                      [Unauth, Forbidden, Forbidden, Forbidden, Hidden, Ok, Forbidden]),
    ("GET /api/v1/attempts/{id}/result",                       [Unauth, Ok, Hidden, Hidden, Hidden, Ok, Hidden]),
    ("POST /api/v1/attempts/{id}/submit",                      [Unauth, Ok, Hidden, Hidden, Hidden, Hidden, Hidden]),
    ("POST /api/v1/attempts/{id}/terminate",                   [Unauth, Forbidden, Forbidden, Forbidden, Hidden, Ok, Forbidden]),
    ("POST /api/v1/auth/login",                                [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("POST /api/v1/auth/password-reset",                       [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("POST /api/v1/auth/logout",                               [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("POST /api/v1/auth/password-setup",                       [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("POST /api/v1/auth/register",                             [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /api/v1/certificates",                               [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /api/v1/certificates/{id}",                          [Unauth, Ok, Hidden, Hidden, Hidden, Ok, Hidden]),
    ("GET /api/v1/certificates/{id}/pdf",                      [Unauth, Ok, Hidden, Hidden, Hidden, Ok, Hidden]),
    ("POST /api/v1/certificates/{id}/reissue",                 [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("POST /api/v1/certificates/{id}/revoke",                  [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /api/v1/courses",                                    [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("POST /api/v1/courses",                                   [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /api/v1/courses/{id}",                               [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("PUT /api/v1/courses/{id}",                               [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("POST /api/v1/courses/{id}/paper-preview",                [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    // Anyone signed in may study; only the bureau writes lessons.
    ("GET /api/v1/courses/{id}/lessons",                       [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("PUT /api/v1/courses/{id}/lessons",                       [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /api/v1/lessons/{id}",                               [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("POST /api/v1/lessons/{id}/study-sessions",               [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("POST /api/v1/lessons/{id}/heartbeats",                   [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    // Anyone signed in may take a mock exam; each is its taker's alone, the bureau's too.
    ("POST /api/v1/courses/{id}/mock-exams",                   [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /api/v1/mock-exams/{id}",                            [Unauth, Ok, Hidden, Hidden, Hidden, Hidden, Hidden]),
    ("PUT /api/v1/mock-exams/{id}/answers/{position}",         [Unauth, Ok, Hidden, Hidden, Hidden, Hidden, Hidden]),
    ("POST /api/v1/mock-exams/{id}/submit",                    [Unauth, Ok, Hidden, Hidden, Hidden, Hidden, Hidden]),
    ("GET /api/v1/mock-exams/{id}/review",                     [Unauth, Ok, Hidden, Hidden, Hidden, Hidden, Hidden]),
    ("GET /api/v1/me/mock-exams",                              [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /api/v1/me/study/certificate.pdf",                  [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /api/v1/me/study",                                   [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /api/v1/courses/{id}/practice-question",             [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("POST /api/v1/practice/answers",                          [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /api/v1/me/wrong-answers",                           [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /api/v1/enterprises",                                [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("POST /api/v1/enterprises",                               [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /api/v1/enterprises/{id}",                           [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /api/v1/enterprises/{id}/certificates.zip",          [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("POST /api/v1/enterprises/{id}/enrolments",               [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /api/v1/me",                                         [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /api/v1/question-banks",                             [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("POST /api/v1/question-banks",                            [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /api/v1/question-banks/{id}/export",                 [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("POST /api/v1/question-banks/{id}/import",                [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("PATCH /api/v1/question-banks/{id}",                      [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /api/v1/question-banks/{id}/questions",              [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("PUT /api/v1/questions/{id}",                             [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /api/v1/registrations",                              [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /api/v1/registrations/{id}",                         [Unauth, Ok, Hidden, Hidden, Hidden, Ok, Hidden]),
    ("POST /api/v1/registrations/{id}/cancel",                 [Unauth, Ok, Hidden, Hidden, Hidden, Ok, Hidden]),
    ("POST /api/v1/registrations/{id}/practical",              [Unauth, Forbidden, Forbidden, Forbidden, Hidden, Ok, Forbidden]),
    ("GET /api/v1/registrations/{id}/ticket.pdf",              [Unauth, Ok, Hidden, Hidden, Hidden, Ok, Hidden]),
    ("GET /api/v1/reports/activity",                           [Unauth, Forbidden, Forbidden, Ok, Forbidden, Ok, Ok]),
    ("GET /api/v1/reports/compliance",                         [Unauth, Forbidden, Forbidden, Ok, Forbidden, Ok, Ok]),
    ("GET /api/v1/reports/enterprise-record",                  [Unauth, Forbidden, Forbidden, Hidden, Forbidden, Ok, Hidden]),
    ("GET /api/v1/reports/person-record",                      [Unauth, Forbidden, Forbidden, Hidden, Forbidden, Ok, Hidden]),
    ("GET /api/v1/reports/question-stats",                     [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /api/v1/reports/{name}",                             [Unauth, Forbidden, Forbidden, Ok, Forbidden, Ok, Ok]),
    ("GET /api/v1/reports/street-density",                     [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Ok]),
    ("GET /api/v1/reports/study-hours",                        [Unauth, Forbidden, Forbidden, Ok, Forbidden, Ok, Ok]),
    ("GET /api/v1/sittings",                                   [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("POST /api/v1/sittings",                                  [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /api/v1/sittings/{id}",                              [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("PATCH /api/v1/sittings/{id}",                            [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("POST /api/v1/sittings/{id}/attempts",                    [Unauth, Ok, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden]),
    ("POST /api/v1/sittings/{id}/cancel",                      [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /api/v1/sittings/{id}/live",                         [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("POST /api/v1/sittings/{id}/registrations",               [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /api/v1/streets",                                    [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("POST /api/v1/streets",                                   [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /api/v1/targets",                                    [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Ok]),
    ("POST /api/v1/targets",                                   [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /api/v1/tickets/{code}",                             [Unauth, Forbidden, Forbidden, Forbidden, Hidden, Ok, Forbidden]),
    ("POST /api/v1/registrations/{id}/check-in",               [Unauth, Forbidden, Forbidden, Forbidden, Hidden, Ok, Forbidden]),
    ("GET /api/v1/users",                                      [Unauth, Forbidden, Forbidden, Ok, Forbidden, Ok, Forbidden]),
    ("POST /api/v1/users",                                     [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /api/v1/users/{id}",                                 [Unauth, Ok, Hidden, Hidden, Hidden, Ok, Hidden]),
    ("GET /api/v1/verify/{code}",                              [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /healthz",                                           [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /readyz",                                            [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /verify/{code}",                                     [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
];

/// Pages served outside the OpenAPI document.
#[rustfmt::skip]
const PAGES: &[(&str, [Outcome; 7])] = &[
    ("GET /",                                  [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /login",                             [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("POST /login",                            [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /register",                          [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("POST /register",                         [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("POST /logout",                           [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /sittings",                          [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("POST /sittings/{id}/book",               [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    // The other candidate booked a seat in the row above (the officer, no candidate, did not).
    ("GET /sittings/{id}/exam",                [Unauth, Ok, Ok, Forbidden, Forbidden, Forbidden, Forbidden]),
    ("GET /attempts/{id}/result",              [Unauth, Ok, Hidden, Hidden, Hidden, Ok, Hidden]),
    ("GET /dashboard",                         [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Ok]),
    ("POST /dashboard/questions/{id}/retire",  [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /me",                                [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /study",                             [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /study/courses/{id}",                [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /study/lessons/{id}",                [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /study/courses/{id}/practice",       [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("POST /study/practice/answers",           [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /study/wrong-answers",               [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("POST /study/courses/{id}/mock-exams",    [Unauth, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /study/mock-exams/{id}",             [Unauth, Ok, Hidden, Hidden, Hidden, Hidden, Hidden]),
    ("GET /study/mock-exams/{id}/result",      [Unauth, Ok, Hidden, Hidden, Hidden, Hidden, Hidden]),
    // The consoles: each for its role (the other enterprise's admin has a console of its own).
    ("GET /enterprise",                        [Unauth, Forbidden, Forbidden, Ok, Forbidden, Forbidden, Forbidden]),
    ("GET /enterprise/roster-template.csv",    [Unauth, Forbidden, Forbidden, Ok, Forbidden, Forbidden, Forbidden]),
    ("GET /admin",                             [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /admin/courses",                     [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /admin/courses/{id}",                [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("POST /admin/courses/{id}",               [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /admin/courses/{id}/lessons",        [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("POST /admin/courses/{id}/lessons",       [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("POST /admin/courses/{id}/lessons/{order}/remove", [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    // The bureau's upload is refused for the form this check sends (not multipart): 400.
    ("POST /admin/courses/{id}/media",         [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    // Lesson media is for anyone signed in; there is no file 0 (tests/api/study.rs serves real ones).
    ("GET /media/{id}",                        [Unauth, Hidden, Hidden, Hidden, Hidden, Hidden, Hidden]),
    ("POST /admin/banks/{id}/exam-only",       [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /admin/sittings",                    [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /admin/certificates",                [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /admin/people",                      [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("GET /admin/sittings/{id}",               [Unauth, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden]),
    ("POST /proctor/registrations/{id}/check-in", [Unauth, Hidden, Hidden, Hidden, Hidden, Ok, Hidden]),
    ("POST /me/registrations/{id}/cancel",     [Unauth, Ok, Hidden, Hidden, Hidden, Ok, Hidden]),
    ("GET /set-password",                      [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /forgot-password",                   [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("POST /forgot-password",                  [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /assets/site.css",                   [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /assets/exam.js",                    [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /assets/lesson.js",                  [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /assets/register.js",                [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /assets/set-password.js",            [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /api/docs",                [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
    ("GET /api/openapi.json",        [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
];

struct World {
    tokens: [Option<String>; 7],
    owner: i64,
    enterprise: i64,
    sitting: i64,
    registration: i64,
    check_code: String,
    attempt: i64,
    certificate: i64,
    verify_code: String,
    course: i64,
    bank: i64,
    question: i64,
    lesson: i64,
    mock_exam: i64,
}

async fn world(app: &TestApp) -> World {
    let exam = app.exam(Duration::hours(1), 1, false).await;
    let bureau = exam.bureau.clone();
    let (enterprise, enterprise_admin) = app
        .enterprise_with_admin(&bureau, "914403001922038216", 9000)
        .await;
    let (_, other_admin) = app
        .enterprise_with_admin(&bureau, "91440300MA5DEM0019", 9001)
        .await;
    let staff = |n: u32, role: &str| {
        json!({"name": format!("监考员{n}"), "phone": crate::helpers::phone(n),
               "email": format!("staff{n}@example.cn"), "password": crate::helpers::PASSWORD,
               "roles": [role]})
    };
    let assigned = app
        .post("/api/v1/users", Some(&bureau), staff(9100, "proctor"))
        .await;
    let unassigned = app
        .post("/api/v1/users", Some(&bureau), staff(9101, "proctor"))
        .await;
    let assigned = assigned.body["id"].as_i64().unwrap();
    let unassigned = unassigned.body["id"].as_i64().unwrap();
    let proctored = app
        .call(
            Method::PATCH,
            &format!("/api/v1/sittings/{}", exam.sitting),
            Some(&bureau),
            Some(json!({"proctor_ids": [assigned]})),
        )
        .await;
    assert_eq!(proctored.status, StatusCode::OK, "{}", proctored.text);

    let enrolled = app
        .upload_roster(
            &enterprise_admin,
            enterprise,
            exam.sitting,
            roster_xlsx(1..2, &[]),
        )
        .await;
    assert_eq!(enrolled.status, StatusCode::OK, "{}", enrolled.text);
    let owner = enrolled.body["rows"][0]["user_id"].as_i64().unwrap();
    let registration = enrolled.body["rows"][0]["registration_id"]
        .as_i64()
        .unwrap();
    let owner_token = app.token_for(owner).await;
    let attempt = app.pass(exam.sitting, &owner_token).await;
    let certs = app.get("/api/v1/certificates", Some(&owner_token)).await;
    let certificate = &certs.body["items"][0];
    let check_code = safecert::registrations::store::registration(&app.state.db, registration)
        .await
        .unwrap()
        .unwrap()
        .check_code;
    let bank = app.get("/api/v1/question-banks", Some(&bureau)).await.body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let question = app
        .get(
            &format!("/api/v1/question-banks/{bank}/questions"),
            Some(&bureau),
        )
        .await
        .body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let (_, other_candidate) = app.quick_candidate(77).await;
    let mock = app
        .post(
            &format!("/api/v1/courses/{}/mock-exams", exam.course),
            Some(&owner_token),
            json!({}),
        )
        .await;
    assert_eq!(mock.status, StatusCode::CREATED, "{}", mock.text);
    let mock_exam = mock.body["id"].as_i64().unwrap();
    World {
        mock_exam,
        tokens: [
            None,
            Some(owner_token),
            Some(other_candidate),
            Some(other_admin),
            Some(app.token_for(unassigned).await),
            Some(bureau.clone()),
            Some(app.street_officer(&bureau, "授权矩阵街道", 9102).await.1),
        ],
        owner,
        enterprise,
        sitting: exam.sitting,
        registration,
        check_code,
        attempt,
        certificate: certificate["id"].as_i64().unwrap(),
        verify_code: certificate["verify_url"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string(),
        lesson: {
            let put = app
                .call(
                    Method::PUT,
                    &format!("/api/v1/courses/{}/lessons", exam.course),
                    Some(&bureau),
                    Some(
                        json!({"lessons": [{"order": 1, "module": "应急救护", "title": "心肺复苏",
                                             "body": "## 学习目标", "required_minutes": 45}]}),
                    ),
                )
                .await;
            assert_eq!(put.status, StatusCode::OK, "{}", put.text);
            let list = app
                .get(
                    &format!("/api/v1/courses/{}/lessons", exam.course),
                    Some(&bureau),
                )
                .await;
            list.body["items"][0]["id"].as_i64().unwrap()
        },
        course: exam.course,
        bank,
        question,
    }
}

impl World {
    /// The operation's path with the owner's objects in it.
    fn path(&self, template: &str) -> String {
        // The id is the record named just before it: /api/v1/sittings/{id}/…, /sittings/{id}/exam.
        let segments: Vec<&str> = template.split('/').collect();
        let named = segments
            .iter()
            .position(|s| *s == "{id}")
            .and_then(|i| i.checked_sub(1))
            .map_or("", |i| segments[i]);
        let id = match named {
            "attempts" => self.attempt,
            "registrations" => self.registration,
            "sittings" => self.sitting,
            "certificates" => self.certificate,
            "enterprises" => self.enterprise,
            "users" => self.owner,
            "courses" => self.course,
            "question-banks" | "banks" => self.bank,
            "questions" => self.question,
            "lessons" => self.lesson,
            "mock-exams" => self.mock_exam,
            _ => 0,
        };
        let mut path = template
            .replace("{id}", &id.to_string())
            .replace("{position}", "1")
            // A lesson order the course does not have: removing it changes nothing.
            .replace("{order}", "999");
        if template.contains("/tickets/") {
            path = path.replace("{code}", &self.check_code);
        }
        path = path.replace("{code}", &self.verify_code);
        // A report by its name: the activity report.
        path = path.replace("{name}", "activity");
        if template.ends_with("/enrolments") {
            path.push_str(&format!("?sitting_id={}", self.sitting));
        }
        // The records are the owner's and their enterprise's.
        if template.ends_with("/person-record") {
            path.push_str(&format!("?user_id={}", self.owner));
        }
        if template.ends_with("/enterprise-record") {
            path.push_str(&format!("?enterprise_id={}", self.enterprise));
        }
        if template.ends_with("/compliance") || template.ends_with("/certificate.pdf") {
            path.push_str(&format!("?course_id={}", self.course));
        }
        path
    }
}

async fn outcome(
    app: &TestApp,
    world: &World,
    operation: &str,
    caller: usize,
) -> (Outcome, String) {
    let (method, template) = operation.split_once(' ').unwrap();
    let method: Method = method.parse().unwrap();
    let path = world.path(template);
    // Logging out revokes the token it is sent with: use one made for the call.
    let token = match (&world.tokens[caller], template) {
        (Some(_), "/api/v1/auth/logout" | "/logout") => {
            Some(app.token_for(owner_of(app, world, caller).await).await)
        }
        (token, _) => token.clone(),
    };
    let documented_page =
        ["/healthz", "/readyz"].contains(&template) || template.starts_with("/verify/");
    if !template.starts_with("/api/") && !documented_page {
        return page_outcome(app, method, &path, token.as_deref()).await;
    }
    let mut req = app
        .client
        .request(method.clone(), format!("{}{path}", app.base));
    if let Some(t) = &token {
        req = req.bearer_auth(t);
    }
    if method != Method::GET {
        req = if template.ends_with("/enrolments") || template.ends_with("/import") {
            req.header("content-type", "text/csv")
                .body("姓名,身份证号\n")
        } else {
            req.json(&body_for(template))
        };
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    let got = match status {
        StatusCode::UNAUTHORIZED => Unauth,
        StatusCode::FORBIDDEN => Forbidden,
        StatusCode::NOT_FOUND => Hidden,
        _ => Ok,
    };
    (
        got,
        format!("{status} {}", text.chars().take(120).collect::<String>()),
    )
}

/// A page is called as a browser calls it: the session cookie holds the token, and a form
/// repeats the cross-site token. Being sent to log in is the page's 401.
async fn page_outcome(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
) -> (Outcome, String) {
    const CSRF: &str = "0123456789abcdef0123456789abcdef";
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut cookies = format!("sc_csrf={CSRF}");
    if let Some(t) = token {
        cookies.push_str(&format!("; sc_session={t}"));
    }
    let mut req = browser
        .request(method.clone(), format!("{}{path}", app.base))
        .header("cookie", cookies);
    if method == Method::POST {
        req = req.form(&[("csrf", CSRF)]);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let got = match status {
        s if s.is_redirection() && location.starts_with("/login") => Unauth,
        StatusCode::UNAUTHORIZED => Unauth,
        StatusCode::FORBIDDEN => Forbidden,
        StatusCode::NOT_FOUND => Hidden,
        _ => Ok,
    };
    (got, format!("{status} {location}"))
}

/// A body the operation can read, so that what the caller gets is about who they are.
fn body_for(template: &str) -> Value {
    match template.rsplit('/').next().unwrap_or_default() {
        "{position}" => json!({"choice": ["A"], "seq": 1}),
        "events" => json!({"kind": "page_hidden"}),
        "extend" => json!({"minutes": 5}),
        "terminate" | "cancel" | "revoke" => json!({"reason": "授权矩阵测试"}),
        "practical" => json!({"passed": true}),
        "login" => json!({"login": "13900000001", "password": crate::helpers::PASSWORD}),
        "password-reset" => json!({"login": "13900000001"}),
        _ => json!({}),
    }
}

/// The user a caller's token belongs to (for a fresh token).
async fn owner_of(app: &TestApp, world: &World, caller: usize) -> i64 {
    let me = app.get("/api/v1/me", world.tokens[caller].as_deref()).await;
    me.body["id"].as_i64().unwrap()
}

#[tokio::test]
async fn every_operation_and_page_answers_each_kind_of_caller_as_the_matrix_says() {
    let app = crate::helpers::spawn_app().await;
    let world = world(&app).await;

    let doc = app.get("/api/openapi.json", None).await.body;
    let mut documented: Vec<String> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    let listed: Vec<&str> = MATRIX.iter().map(|(op, _)| *op).collect();
    let missing: Vec<&String> = documented
        .iter()
        .filter(|op| !listed.contains(&op.as_str()))
        .collect();
    let stale: Vec<&&str> = listed
        .iter()
        .filter(|op| !documented.iter().any(|d| d == *op))
        .collect();

    // Refusals first, the callers who may act last, so that what they change (a submit, a
    // cancellation) cannot turn another caller's refusal into something else.
    let order = [0, 2, 3, 4, 6, 1, 5];
    let mut wrong = Vec::new();
    let mut seen = Vec::new();
    for (operation, expected) in MATRIX.iter().chain(PAGES) {
        let mut row = [Ok; 7];
        for caller in order {
            let (got, said) = outcome(&app, &world, operation, caller).await;
            row[caller] = got;
            if got != expected[caller] {
                wrong.push(format!(
                    "{operation} as {}: expected {:?}, got {said}",
                    CALLERS[caller], expected[caller]
                ));
            }
        }
        seen.push(format!("    (\"{operation}\", {row:?}),"));
    }
    for op in &missing {
        let mut row = [Ok; 7];
        for caller in order {
            row[caller] = outcome(&app, &world, op, caller).await.0;
        }
        seen.push(format!("    (\"{op}\", {row:?}),  // not in the table"));
    }
    assert!(
        missing.is_empty() && stale.is_empty() && wrong.is_empty(),
        "operations without a row: {missing:?}\nrows without an operation: {stale:?}\n{}\n\nas served:\n{}",
        wrong.join("\n"),
        seen.join("\n")
    );
}
