//! The staff consoles over HTTP, as a browser without script uses them: the enterprise
//! console's roster upload (preview, fix, confirm) and its certificate list, and who is
//! refused. The same bodies run on both backends.

use crate::helpers::{PASSWORD, TestApp, phone, resident_id, spawn_app};
use crate::pages::{Browser, Page, attribute_values};
use chrono::Duration;
use reqwest::StatusCode;

impl Browser {
    /// Posts a form with a file as the page does: multipart, with the cross-site token.
    pub async fn multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, &[u8]),
    ) -> Page {
        let csrf = self.cookies.get("sc_csrf").cloned().unwrap_or_default();
        let boundary = "----safecert-test-boundary";
        let mut body = Vec::new();
        for (field, value) in fields.iter().copied().chain([("csrf", csrf.as_str())]) {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        let (field, name, bytes) = file;
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        self.send(req).await
    }

    /// Posts the roster form of the enterprise console.
    pub async fn upload(&mut self, path: &str, sitting: i64, name: &str, file: &[u8]) -> Page {
        let sitting = sitting.to_string();
        self.multipart(path, &[("sitting_id", &sitting)], ("roster", name, file))
            .await
    }
}

/// A roster as an enterprise keeps it: staff `n` in `people`; `bad_id` replaces one row's ID.
pub fn roster_csv(people: std::ops::Range<u32>, bad_id: Option<(u32, &str)>) -> Vec<u8> {
    let mut csv = String::from("\u{feff}姓名,证件号码,手机号,邮箱,岗位\r\n");
    for n in people {
        let id = match bad_id {
            Some((b, id)) if b == n => id.to_string(),
            _ => resident_id(n),
        };
        csv.push_str(&format!(
            "员工{n},{id},{},staff{n}@example.cn,安全员\r\n",
            phone(n)
        ));
    }
    csv.into_bytes()
}

async fn seats_taken(app: &TestApp, sitting: i64) -> i64 {
    app.get(&format!("/api/v1/sittings/{sitting}"), None)
        .await
        .body["seats_taken"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn an_enterprise_admin_previews_a_roster_fixes_it_and_books_it() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let sitting = app.sitting(&bureau, 20).await;
    let (enterprise, _) = app
        .enterprise_with_admin(&bureau, "914403001922038216", 900)
        .await;
    let mut admin = Browser::new(&app);
    admin.log_in(&phone(900), PASSWORD).await;

    let console = admin.get("/enterprise").await;
    assert_eq!(console.status, StatusCode::OK, "{}", console.html);
    assert!(
        console
            .html
            .contains(&format!("<option value=\"{sitting}\""))
    );
    assert!(console.html.contains(&format!(
        "/api/v1/enterprises/{enterprise}/certificates.zip"
    )));
    let header = admin.get("/").await;
    assert!(
        header.html.contains("href=\"/enterprise\""),
        "the header links the console"
    );

    let template = admin.get("/enterprise/roster-template.csv").await;
    assert_eq!(template.status, StatusCode::OK);
    assert!(template.content_type.starts_with("text/csv"));
    assert!(
        template
            .html
            .starts_with("\u{feff}姓名,证件类型,证件号码,手机号,邮箱,岗位")
    );

    // Row 3 (the second person) carries a wrong check digit: the whole roster is shown back
    // with that row's problem, in Chinese, and nobody is booked.
    let mut wrong = resident_id(302);
    let last = if wrong.ends_with('0') { "1" } else { "0" };
    wrong.replace_range(17.., last);
    let bad = admin
        .upload(
            "/enterprise/roster",
            sitting,
            "名单.csv",
            &roster_csv(301..304, Some((302, &wrong))),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert_eq!(attribute_values(&bad.html, "data-line"), vec!["3"]);
    assert!(bad.html.contains("身份证号码有误"), "{}", bad.html);
    assert!(!bad.html.contains("confirm-roster"));
    assert_eq!(seats_taken(&app, sitting).await, 0);

    // Fixed: a preview of what will happen, and still nothing written.
    let preview = admin
        .upload(
            "/enterprise/roster",
            sitting,
            "名单.csv",
            &roster_csv(301..304, None),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.html);
    assert_eq!(
        attribute_values(&preview.html, "data-line"),
        vec!["2", "3", "4"]
    );
    assert_eq!(preview.count("新建账号并报名"), 3);
    assert!(
        !preview.html.contains(&resident_id(301)),
        "ID numbers are masked on the page"
    );
    assert_eq!(seats_taken(&app, sitting).await, 0);

    let sealed = preview
        .html
        .split("name=\"file\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    assert!(!sealed.is_empty());
    // The roster travels sealed: an altered one is refused and books nobody.
    let mut tampered = sealed.clone().into_bytes();
    tampered[20] = if tampered[20] == b'A' { b'B' } else { b'A' };
    let refused = admin
        .post(
            "/enterprise/roster/confirm",
            &[
                ("sitting_id", &sitting.to_string()),
                ("file", std::str::from_utf8(&tampered).unwrap()),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(seats_taken(&app, sitting).await, 0);

    let done = admin
        .post(
            "/enterprise/roster/confirm",
            &[("sitting_id", &sitting.to_string()), ("file", &sealed)],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert!(done.html.contains("data-roster-state=\"enrolled\""));
    assert_eq!(
        attribute_values(&done.html, "data-registration-id").len(),
        3
    );
    assert!(done.html.contains("员工302"));
    assert_eq!(seats_taken(&app, sitting).await, 3);

    // The same roster again changes nothing: the preview says they are booked already.
    let again = admin
        .upload(
            "/enterprise/roster",
            sitting,
            "名单.csv",
            &roster_csv(301..304, None),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.html);
    assert_eq!(again.count("已报名（不变）"), 3);
}

#[tokio::test]
async fn the_enterprise_console_lists_its_staffs_certificates_and_no_one_elses() {
    let app = spawn_app().await;
    let exam = app.exam(Duration::hours(1), 1, false).await;
    let (enterprise, admin_token) = app
        .enterprise_with_admin(&exam.bureau, "91440300MA5DEM0019", 910)
        .await;
    let roster = app
        .upload_roster(
            &admin_token,
            enterprise,
            exam.sitting,
            roster_csv(311..313, None),
        )
        .await;
    assert_eq!(roster.status, StatusCode::OK, "{}", roster.text);
    let staff = roster.body["rows"][0]["user_id"].as_i64().unwrap();
    let staff_token = app.token_for(staff).await;
    app.pass(exam.sitting, &staff_token).await;
    // Someone outside the enterprise passes too: their certificate is not the enterprise's.
    let outsider = app.booked_candidate(exam.sitting, 319).await;
    app.pass(exam.sitting, &outsider).await;

    let mut admin = Browser::new(&app);
    admin.log_in(&phone(910), PASSWORD).await;
    let console = admin.get("/enterprise").await;
    assert_eq!(console.status, StatusCode::OK, "{}", console.html);
    assert!(console.html.contains("员工311"), "{}", console.html);
    assert!(console.html.contains("data-status=\"有效\""));
    assert_eq!(
        console.count("data-status="),
        1,
        "only the enterprise's own certificate"
    );
    assert!(
        !console.html.contains(&resident_id(311)),
        "ID numbers are masked"
    );
    // A certificate valid for 36 months is not within 90 days of expiry.
    let soon = admin.get("/enterprise?days=90").await;
    assert_eq!(soon.status, StatusCode::OK);
    assert_eq!(soon.count("data-status="), 0);

    // The compliance check: staff 312 never passed and the admin never sat the exam, so both
    // lack the certificate; 311 holds it.
    let check = admin
        .get(&format!("/enterprise?required={}&days=30", exam.course))
        .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.html);
    assert_eq!(check.count("data-compliance-row"), 2, "{}", check.html);
    let table = check
        .html
        .split("data-table=\"compliance\"")
        .nth(1)
        .unwrap();
    assert!(
        table.contains("员工312") && table.contains("缺证"),
        "{table}"
    );
    assert!(!table.split("</table>").next().unwrap().contains("员工311"));

    // Nobody else opens the console or posts to it.
    let mut citizen = Browser::new(&app);
    citizen
        .cookies
        .insert("sc_session".into(), outsider.clone());
    assert_eq!(
        citizen.get("/enterprise").await.status,
        StatusCode::FORBIDDEN
    );
    citizen.get("/").await;
    let posted = citizen
        .upload(
            "/enterprise/roster",
            exam.sitting,
            "名单.csv",
            &roster_csv(320..321, None),
        )
        .await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN);
    assert!(!citizen.get("/").await.html.contains("href=\"/enterprise\""));
    let mut stranger = Browser::new(&app);
    let sent = stranger.get("/enterprise").await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert!(sent.location.starts_with("/login"), "{}", sent.location);
}

/// Two single-choice questions in GIFT; `broken` leaves the second without a correct option.
pub fn gift(broken: bool) -> Vec<u8> {
    let second = if broken {
        "::FR-02:: 止血时，直接压迫止血法应压在哪里？ {~伤口上方的衣物 ~远离伤口的位置}"
    } else {
        "::FR-02:: 止血时，直接压迫止血法应压在哪里？ {=伤口上 ~远离伤口的位置 ~伤口上方的衣物}"
    };
    format!(
        "// 应急救护\n::FR-01:: 发现有人触电倒地，施救前首先应当做什么？ {{=切断电源或用绝缘物挑开电线 ~立即用手拉开触电者 ~先泼水降温}}\n\n{second}\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn a_bureau_admin_imports_a_bank_sees_the_bad_line_and_schedules_a_sitting_a_citizen_books() {
    let app = spawn_app().await;
    let bureau_token = app.bureau_admin().await;
    let mut bureau = Browser::new(&app);
    let signed_in = bureau.log_in("13900000001", PASSWORD).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.html
    );
    let home = bureau.get("/admin").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.html);
    assert!(bureau.get("/").await.html.contains("href=\"/admin\""));

    let made = bureau
        .post(
            "/admin/banks",
            &[("name", "应急救护题库"), ("description", "")],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.html);
    let bank_path = made.location.clone();
    let bank: i64 = bank_path.rsplit('/').next().unwrap().parse().unwrap();

    let import_path = format!("{bank_path}/import");
    let bad = bureau
        .multipart(
            &import_path,
            &[("format", "gift")],
            ("file", "救护.gift", &gift(true)),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert_eq!(attribute_values(&bad.html, "data-line"), vec!["4"]);
    assert!(bad.html.contains("没有正确选项"), "{}", bad.html);
    assert_eq!(
        attribute_values(&bad.html, "data-question-id").len(),
        0,
        "nothing imported"
    );

    let good = bureau
        .multipart(
            &import_path,
            &[("format", "gift")],
            ("file", "救护.gift", &gift(false)),
        )
        .await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.html);
    assert!(good.html.contains("data-import-state=\"imported\""));
    assert!(good.html.contains("新增 2 题"), "{}", good.html);
    assert_eq!(attribute_values(&good.html, "data-question-id").len(), 2);
    assert!(good.html.contains("发现有人触电倒地"));

    // A course whose blueprint wants more questions than the bank holds is not saved; the
    // check says which part falls short. With what the bank holds, it is.
    let bank_id = bank.to_string();
    let course_form = |count: &'static str, action: &'static str| {
        vec![
            ("code", "FR-AID"),
            ("title", "应急救护理论考核"),
            ("category", "first_responder"),
            ("training_hours", "8"),
            ("time_limit_minutes", "20"),
            ("validity_months", "36"),
            ("pass_mark", "1"),
            ("s1_kind", "single"),
            ("s1_count", count),
            ("s1_points", "1"),
            ("action", action),
        ]
    };
    let mut short = course_form("3", "save");
    short.push(("s1_bank", &bank_id));
    let short = bureau.post("/admin/courses", &short).await;
    assert_eq!(
        short.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        short.html
    );
    assert!(short.html.contains("data-blueprint-state=\"short\""));
    assert!(
        short
            .html
            .contains("需要 3 道题，符合条件的启用题目只有 2 道"),
        "{}",
        short.html
    );
    let mut check = course_form("2", "check");
    check.push(("s1_bank", &bank_id));
    let checked = bureau.post("/admin/courses", &check).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.html);
    assert!(checked.html.contains("data-blueprint-state=\"fillable\""));
    assert!(
        bureau
            .get("/admin/courses")
            .await
            .html
            .matches("data-course-id=")
            .count()
            == 0,
        "checking saves nothing"
    );
    let mut save = course_form("2", "save");
    save.push(("s1_bank", &bank_id));
    let saved = bureau.post("/admin/courses", &save).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let courses = bureau.get("/admin/courses").await;
    let course = attribute_values(&courses.html, "data-course-id");
    assert_eq!(course.len(), 1, "{}", courses.html);
    let course = course[0].clone();

    // Its own page holds the form filled in; a change of title and time limit is saved,
    // the blueprint as it was.
    let edit_path = format!("/admin/courses/{course}");
    let edit = bureau.get(&edit_path).await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.html);
    assert!(edit.html.contains("data-form=\"edit-course\""));
    assert!(
        edit.html.contains("value=\"应急救护理论考核\""),
        "{}",
        edit.html
    );
    assert!(
        edit.html
            .contains("name=\"s1_count\" type=\"number\" min=\"0\" max=\"500\" value=\"2\"")
    );
    let mut change = course_form("2", "save");
    change.retain(|(k, _)| !["title", "time_limit_minutes"].contains(k));
    change.push(("title", "应急救护理论考核（2027版）"));
    change.push(("time_limit_minutes", "25"));
    change.push(("s1_bank", &bank_id));
    let changed = bureau.post(&edit_path, &change).await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.html);
    let shown = app.get(&format!("/api/v1/courses/{course}"), None).await;
    assert_eq!(shown.body["title"], "应急救护理论考核（2027版）");
    assert_eq!(shown.body["time_limit_minutes"], 25);
    assert_eq!(shown.body["question_count"], 2, "{}", shown.text);
    assert_eq!(shown.body["blueprint"]["sections"][0]["bank_id"], bank);
    let mut too_many = course_form("3", "save");
    too_many.push(("s1_bank", &bank_id));
    let refused_change = bureau.post(&edit_path, &too_many).await;
    assert_eq!(refused_change.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused_change
            .html
            .contains("data-blueprint-state=\"short\"")
    );

    let beijing = |days: i64, hour: u32| {
        (chrono::Utc::now() + Duration::hours(8) + Duration::days(days))
            .date_naive()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let (starts, ends) = (beijing(3, 9), beijing(3, 11));
    let wrong_way = bureau
        .post(
            "/admin/sittings",
            &[
                ("course_id", &course),
                ("starts_at", &ends),
                ("ends_at", &starts),
                ("capacity", "30"),
                ("venue_kind", "station"),
                ("venue_name", "福田区应急服务站"),
                ("venue_address", "福华路1号"),
            ],
        )
        .await;
    assert_eq!(wrong_way.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong_way.html.contains("结束时间应晚于开始时间"));
    let scheduled = bureau
        .post(
            "/admin/sittings",
            &[
                ("course_id", &course),
                ("starts_at", &starts),
                ("ends_at", &ends),
                ("capacity", "30"),
                ("venue_kind", "station"),
                ("venue_name", "福田区应急服务站"),
                ("venue_address", "福华路1号"),
            ],
        )
        .await;
    assert_eq!(
        scheduled.status,
        StatusCode::SEE_OTHER,
        "{}",
        scheduled.html
    );
    let listed = bureau.get("/admin/sittings").await;
    let ids = attribute_values(&listed.html, "data-sitting-id");
    assert_eq!(ids.len(), 1, "{}", listed.html);
    assert!(
        listed.html.contains("09:00"),
        "the window is read as Beijing time"
    );
    let sitting = &ids[0];

    // A citizen finds it among the sittings and books it.
    let (_, citizen_token) = app.quick_candidate(401).await;
    let mut citizen = Browser::new(&app);
    citizen.cookies.insert("sc_session".into(), citizen_token);
    let open = citizen.get("/sittings").await;
    assert!(
        open.html
            .contains(&format!("data-sitting-id=\"{sitting}\""))
    );
    let booked = citizen
        .post(&format!("/sittings/{sitting}/book"), &[])
        .await;
    assert!(
        booked.status.is_redirection() || booked.status.is_success(),
        "{}",
        booked.html
    );
    let shown = app.get(&format!("/api/v1/sittings/{sitting}"), None).await;
    assert_eq!(shown.body["seats_taken"], 1, "{}", shown.text);

    // Nobody but the bureau opens the console or changes anything through it.
    assert_eq!(citizen.get("/admin").await.status, StatusCode::FORBIDDEN);
    assert_eq!(citizen.get(&bank_path).await.status, StatusCode::FORBIDDEN);
    let refused = citizen
        .post("/admin/banks", &[("name", "不该建成的题库")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = citizen
        .post(
            &format!("/admin/sittings/{sitting}/cancel"),
            &[("reason", "x")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        citizen.get("/admin/courses").await.status,
        StatusCode::FORBIDDEN
    );
    let refused = citizen
        .post("/admin/courses", &course_form("2", "save"))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(citizen.get(&edit_path).await.status, StatusCode::FORBIDDEN);
    let refused = citizen.post(&edit_path, &course_form("2", "save")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!citizen.get("/").await.html.contains("href=\"/admin\""));
    let banks = app.get("/api/v1/question-banks", Some(&bureau_token)).await;
    assert_eq!(banks.body["total"], 1, "{}", banks.text);

    // Cancelling needs a reason; with one, the sitting is cancelled.
    let cancelled = bureau
        .post(
            &format!("/admin/sittings/{sitting}/cancel"),
            &[("reason", "考场检修")],
        )
        .await;
    assert_eq!(
        cancelled.status,
        StatusCode::SEE_OTHER,
        "{}",
        cancelled.html
    );
    let shown = app.get(&format!("/api/v1/sittings/{sitting}"), None).await;
    assert_eq!(shown.body["status"], "cancelled", "{}", shown.text);
}

/// 入场核验 at a sitting's door: the proctor types the 准考证号 (or a scanner types the QR
/// code's URL), sees the person with their ID number masked, checks them in once, and
/// records the practical assessment; a proctor of another sitting finds no such ticket.
#[tokio::test]
async fn a_proctor_checks_a_candidate_in_by_ticket_and_records_the_practical() {
    let app = spawn_app().await;
    let exam = app.exam(Duration::hours(1), 1, true).await;
    let ours = app.proctor(&exam.bureau, 520).await;
    app.assign_proctors(&exam.bureau, exam.sitting, &[ours])
        .await;
    let other_sitting = app
        .open_sitting(&exam.bureau, exam.course, Duration::hours(1))
        .await;
    let theirs = app.proctor(&exam.bureau, 521).await;
    app.assign_proctors(&exam.bureau, other_sitting, &[theirs])
        .await;
    let candidate = app.booked_candidate(exam.sitting, 522).await;
    let mine = app.get("/api/v1/registrations", Some(&candidate)).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.text);
    let registration = &mine.body["items"][0];
    let registration_id = registration["id"].as_i64().expect(&mine.text);
    let ticket_number = registration["ticket_number"].as_str().unwrap().to_string();
    let check_code: String = sqlx_check_code(&app, registration_id).await;

    let mut proctor = Browser::new(&app);
    proctor.log_in(&phone(520), PASSWORD).await;
    let desk = format!("/proctor/sittings/{}/ticket", exam.sitting);
    assert!(
        proctor
            .get(&format!("/proctor/sittings/{}", exam.sitting))
            .await
            .html
            .contains("data-form=\"check-ticket\"")
    );
    let card = proctor.post(&desk, &[("code", &ticket_number)]).await;
    assert_eq!(card.status, StatusCode::OK, "{}", card.html);
    assert!(
        card.html
            .contains(&format!("data-registration-id=\"{registration_id}\""))
    );
    assert!(card.html.contains("data-checked-in=\"false\""));
    assert!(
        !card.html.contains(&resident_id(522)),
        "the ID number is masked"
    );
    assert!(card.html.contains("photo-box"));
    // A scanner types the QR code's whole URL: the same person.
    let scanned = proctor
        .post(
            &desk,
            &[(
                "code",
                &format!("https://example.cn/api/v1/tickets/{check_code}"),
            )],
        )
        .await;
    assert!(
        scanned
            .html
            .contains(&format!("data-registration-id=\"{registration_id}\"")),
        "{}",
        scanned.html
    );
    // A number off by one digit is no ticket of this sitting.
    let mut wrong = ticket_number.clone().into_bytes();
    wrong[7] = if wrong[7] == b'1' { b'2' } else { b'1' };
    let wrong = proctor
        .post(&desk, &[("code", std::str::from_utf8(&wrong).unwrap())])
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);

    let checked = proctor
        .post(
            &format!("/proctor/registrations/{registration_id}/check-in"),
            &[],
        )
        .await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.html);
    assert!(checked.html.contains("data-checked-in=\"true\""));
    let shown = app
        .get(
            &format!("/api/v1/registrations/{registration_id}"),
            Some(&exam.bureau),
        )
        .await;
    let first = shown.body["checked_in_at"].as_str().unwrap().to_string();
    proctor
        .post(
            &format!("/proctor/registrations/{registration_id}/check-in"),
            &[],
        )
        .await;
    let again = app
        .get(
            &format!("/api/v1/registrations/{registration_id}"),
            Some(&exam.bureau),
        )
        .await;
    assert_eq!(
        again.body["checked_in_at"].as_str(),
        Some(first.as_str()),
        "the first check-in stands"
    );

    let recorded = proctor
        .post(
            &format!("/proctor/registrations/{registration_id}/practical"),
            &[("result", "pass"), ("notes", "按压深度、频率达标")],
        )
        .await;
    assert_eq!(recorded.status, StatusCode::OK, "{}", recorded.html);
    assert!(recorded.html.contains("data-practical=\"pass\""));

    // The other sitting's proctor, and the candidate, are refused.
    let mut stranger = Browser::new(&app);
    stranger.log_in(&phone(521), PASSWORD).await;
    let none = stranger.post(&desk, &[("code", &ticket_number)]).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    let refused = stranger
        .post(
            &format!("/proctor/registrations/{registration_id}/practical"),
            &[("result", "fail")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let mut citizen = Browser::new(&app);
    citizen
        .cookies
        .insert("sc_session".into(), candidate.clone());
    citizen.get("/").await;
    let refused = citizen
        .post(
            &format!("/proctor/registrations/{registration_id}/check-in"),
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let still = app
        .get(
            &format!("/api/v1/registrations/{registration_id}"),
            Some(&exam.bureau),
        )
        .await;
    assert_eq!(still.body["checked_in_at"].as_str(), Some(first.as_str()));
}

/// The ticket's QR code, read as the proctor's scanner would (tests may read the database).
async fn sqlx_check_code(app: &TestApp, registration_id: i64) -> String {
    safecert::registrations::store::registration(&app.state.db, registration_id)
        .await
        .unwrap()
        .unwrap()
        .check_code
}

/// The bureau at the counter: finds a certificate by its number or the holder's mobile
/// number, revokes one with a reason, reissues another; nobody else may.
#[tokio::test]
async fn the_bureau_finds_certificates_revokes_one_and_reissues_another() {
    let app = spawn_app().await;
    let exam = app.exam(Duration::hours(1), 1, false).await;
    let mut certificates = Vec::new();
    for n in [531u32, 532] {
        let token = app.booked_candidate(exam.sitting, n).await;
        app.pass(exam.sitting, &token).await;
        let mine = app.get("/api/v1/certificates", Some(&token)).await;
        let cert = &mine.body["items"][0];
        certificates.push((
            cert["id"].as_i64().unwrap(),
            cert["number"].as_str().unwrap().to_string(),
            token,
        ));
    }
    let mut bureau = Browser::new(&app);
    bureau.log_in("13900000001", PASSWORD).await;

    let (first, number, _) = &certificates[0];
    let found = bureau.get(&format!("/admin/certificates?q={number}")).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.html);
    assert_eq!(
        attribute_values(&found.html, "data-certificate-id"),
        vec![first.to_string()]
    );
    assert!(found.html.contains("data-status=\"有效\""));

    let no_reason = bureau
        .post(
            &format!("/admin/certificates/{first}/revoke"),
            &[("reason", " ")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let revoked = bureau
        .post(
            &format!("/admin/certificates/{first}/revoke"),
            &[("reason", "考试期间替考，经核实"), ("q", number)],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.html);
    let after = bureau.get(&revoked.location).await;
    assert!(
        after.html.contains("data-status=\"已撤销\""),
        "{}",
        after.html
    );
    assert!(after.html.contains("考试期间替考"));

    // By the holder's mobile number; a reissue gives a new number and voids the old one.
    let (second, second_number, holder) = &certificates[1];
    let by_phone = bureau
        .get(&format!("/admin/certificates?q={}", phone(532)))
        .await;
    assert_eq!(
        attribute_values(&by_phone.html, "data-certificate-id"),
        vec![second.to_string()]
    );
    let reissued = bureau
        .post(
            &format!("/admin/certificates/{second}/reissue"),
            &[("q", &phone(532))],
        )
        .await;
    assert_eq!(reissued.status, StatusCode::SEE_OTHER, "{}", reissued.html);
    let both = bureau.get(&reissued.location).await;
    assert_eq!(attribute_values(&both.html, "data-certificate-id").len(), 2);
    assert_eq!(both.count("data-status=\"有效\""), 1, "{}", both.html);
    let mine = app.get("/api/v1/certificates", Some(holder)).await;
    let numbers: Vec<&str> = mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert!(
        numbers.len() == 2 && numbers.contains(&second_number.as_str()),
        "{numbers:?}"
    );

    // A holder cannot search, revoke or reissue.
    let mut citizen = Browser::new(&app);
    citizen.cookies.insert("sc_session".into(), holder.clone());
    assert_eq!(
        citizen.get("/admin/certificates?q=x").await.status,
        StatusCode::FORBIDDEN
    );
    citizen.get("/").await;
    let refused = citizen
        .post(
            &format!("/admin/certificates/{second}/revoke"),
            &[("reason", "x")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let shown = app
        .get(
            &format!("/api/v1/certificates/{second}"),
            Some(&exam.bureau),
        )
        .await;
    assert_eq!(shown.body["status"], "revoked", "{}", shown.text);
    assert!(
        shown.body["revoke_reason"]
            .as_str()
            .unwrap()
            .starts_with("换发新证"),
        "revoked by the reissue, not by the holder: {}",
        shown.text
    );
}

/// The bureau finds a person by mobile number or ID number and an enterprise by part of its
/// name, ties the person to the enterprise, and the enterprise then counts them as staff.
#[tokio::test]
async fn the_bureau_finds_a_person_and_ties_them_to_an_enterprise() {
    let app = spawn_app().await;
    let bureau_token = app.bureau_admin().await;
    let (enterprise, admin_token) = app
        .enterprise_with_admin(&bureau_token, "914403001922038216", 540)
        .await;
    let registered = app.register_citizen(541, "赵六").await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{}",
        registered.text
    );
    let person = registered.body["user"]["id"]
        .as_i64()
        .or_else(|| registered.body["id"].as_i64())
        .expect(&registered.text);
    let mut bureau = Browser::new(&app);
    bureau.log_in("13900000001", PASSWORD).await;

    for query in [phone(541), resident_id(541), "赵六".to_string()] {
        let found = bureau.get(&format!("/admin/people?q={query}")).await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.html);
        assert_eq!(
            attribute_values(&found.html, "data-user-id"),
            vec![person.to_string()],
            "{query}"
        );
        // Only what the clerk typed (kept in the forms' fields) is shown whole.
        for whole in [resident_id(541), phone(541)] {
            assert_eq!(
                found.count(&whole),
                found.count(&format!("value=\"{whole}\"")),
                "{whole} is masked"
            );
        }
    }
    let by_name = bureau.get("/admin/people?q=企业9144").await;
    assert_eq!(
        attribute_values(&by_name.html, "data-enterprise-id"),
        vec![enterprise.to_string()]
    );

    let wrong = bureau
        .post(
            &format!("/admin/people/{person}/enterprise"),
            &[("credit_code", "91440300MA5DEM0019")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let linked = bureau
        .post(
            &format!("/admin/people/{person}/enterprise"),
            &[("credit_code", "914403001922038216"), ("q", &phone(541))],
        )
        .await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.html);
    let shown = bureau.get(&linked.location).await;
    assert!(
        shown
            .html
            .contains("data-enterprise=\"企业914403001922038216\""),
        "{}",
        shown.html
    );
    let staff = app
        .get(
            &format!("/api/v1/users?enterprise_id={enterprise}"),
            Some(&admin_token),
        )
        .await;
    assert!(
        staff.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == person),
        "{}",
        staff.text
    );

    // Only the bureau searches people or ties them.
    let mut admin = Browser::new(&app);
    admin.log_in(&phone(540), PASSWORD).await;
    assert_eq!(
        admin
            .get(&format!("/admin/people?q={}", phone(541)))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let refused = admin
        .post(
            &format!("/admin/people/{person}/enterprise"),
            &[("credit_code", "914403001922038216")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

/// The bureau moves a booked sitting an hour later, gives it a proctor and sees its
/// bookings; the booked candidate is mailed the change.
#[tokio::test]
async fn the_bureau_moves_a_sitting_assigns_a_proctor_and_sees_its_bookings() {
    let app = spawn_app().await;
    let bureau_token = app.bureau_admin().await;
    let sitting = app.sitting(&bureau_token, 10).await;
    let proctor = app.proctor(&bureau_token, 551).await;
    app.register_citizen(552, "钱七").await;
    let candidate = app.token(&phone(552), PASSWORD).await;
    let booked = app
        .post(
            &format!("/api/v1/sittings/{sitting}/registrations"),
            Some(&candidate),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.text);
    let changed_mails = || async {
        let n: i64 = safecert::with_pool!(&app.state.db, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'sitting_changed'").fetch_one(pool).await.unwrap()
        });
        n
    };
    assert_eq!(changed_mails().await, 0);

    let mut bureau = Browser::new(&app);
    bureau.log_in("13900000001", PASSWORD).await;
    let path = format!("/admin/sittings/{sitting}");
    let page = bureau.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("钱七"), "the bookings are listed");
    let field = |name: &str| {
        page.html
            .split(&format!("name=\"{name}\""))
            .nth(1)
            .and_then(|rest| rest.split("value=\"").nth(1))
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_string()
    };
    let later = |at: &str| {
        (chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M").unwrap() + Duration::hours(1))
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let (starts, ends) = (later(&field("starts_at")), later(&field("ends_at")));
    let proctor_id = proctor.to_string();
    let saved = bureau
        .post(
            &path,
            &[
                ("starts_at", &starts),
                ("ends_at", &ends),
                ("capacity", "10"),
                ("venue_kind", "station"),
                ("venue_name", "福田区应急服务站"),
                ("venue_address", "福华路1号"),
                ("proctor", &proctor_id),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let shown = app.get(&format!("/api/v1/sittings/{sitting}"), None).await;
    assert_eq!(
        shown.body["proctor_ids"],
        serde_json::json!([proctor]),
        "{}",
        shown.text
    );
    assert_eq!(
        changed_mails().await,
        1,
        "the booked candidate is told of the new time"
    );
    let after = bureau.get(&saved.location).await;
    assert!(
        after.html.contains(&format!("value=\"{starts}\"")),
        "{}",
        after.html
    );

    // Seats below the bookings are refused, and a citizen cannot open or change the sitting.
    let too_few = bureau
        .post(
            &path,
            &[
                ("starts_at", &starts),
                ("ends_at", &ends),
                ("capacity", "0"),
                ("venue_kind", "online"),
            ],
        )
        .await;
    assert_eq!(too_few.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut citizen = Browser::new(&app);
    citizen.log_in(&phone(552), PASSWORD).await;
    assert_eq!(citizen.get(&path).await.status, StatusCode::FORBIDDEN);
    let refused = citizen
        .post(
            &path,
            &[
                ("starts_at", &starts),
                ("ends_at", &ends),
                ("capacity", "10"),
                ("venue_kind", "online"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

/// A bank's questions are searched by their stems; a question shows its key and every
/// version (a changed file makes a new one); retiring it keeps it out of later papers.
#[tokio::test]
async fn the_bureau_searches_a_bank_sees_a_questions_versions_and_retires_it() {
    let app = spawn_app().await;
    app.bureau_admin().await;
    let mut bureau = Browser::new(&app);
    bureau.log_in("13900000001", PASSWORD).await;
    let made = bureau
        .post("/admin/banks", &[("name", "版本测试题库")])
        .await;
    let bank_path = made.location.clone();
    let import_path = format!("{bank_path}/import");
    let imported = bureau
        .multipart(
            &import_path,
            &[("format", "gift")],
            ("file", "a.gift", &gift(false)),
        )
        .await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.html);

    let found = bureau
        .get(&format!("{bank_path}?q=%E8%A7%A6%E7%94%B5"))
        .await; // 触电
    let ids = attribute_values(&found.html, "data-question-id");
    assert_eq!(ids.len(), 1, "{}", found.html);
    let none = bureau.get(&format!("{bank_path}?q=100%25")).await;
    assert!(
        attribute_values(&none.html, "data-question-id").is_empty(),
        "a % is a literal"
    );
    let question = format!("/admin/questions/{}", ids[0]);
    let shown = bureau.get(&question).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.html);
    assert_eq!(shown.count("data-correct=\"true\""), 1);
    assert!(
        shown
            .html
            .contains("切断电源或用绝缘物挑开电线（正确答案）")
    );
    assert_eq!(attribute_values(&shown.html, "data-version"), vec!["1"]);

    // Reworded (an edit through the API): a second version, the first kept.
    let token = app.token("13900000001", PASSWORD).await;
    let edited = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/questions/{}", ids[0]),
            Some(&token),
            Some(serde_json::json!({"kind": "single", "stem": "发现有人触电倒地，施救者首先应当做什么？",
                "options": [{"key": "A", "text": "切断电源或用绝缘物挑开电线"}, {"key": "B", "text": "立即用手拉开触电者"},
                            {"key": "C", "text": "先泼水降温"}],
                "answer": ["A"], "explanation": "先断电，防止施救者触电。", "difficulty": 2, "status": "active"})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    let shown = bureau.get(&question).await;
    assert_eq!(
        attribute_values(&shown.html, "data-version"),
        vec!["2", "1"]
    );

    let retired = bureau.post(&format!("{question}/retire"), &[]).await;
    assert_eq!(retired.status, StatusCode::SEE_OTHER, "{}", retired.html);
    let shown = bureau.get(&question).await;
    assert!(shown.html.contains("data-question-status=\"已停用\""));
    assert!(!shown.html.contains("retire-question"));
    let bank: i64 = bank_path.rsplit('/').next().unwrap().parse().unwrap();
    let active = app
        .get(
            &format!("/api/v1/question-banks/{bank}/questions?status=active"),
            Some(&token),
        )
        .await;
    assert_eq!(active.body["total"], 1, "{}", active.text);

    let mut citizen = Browser::new(&app);
    let (_, citizen_token) = app.quick_candidate(561).await;
    citizen.cookies.insert("sc_session".into(), citizen_token);
    assert_eq!(citizen.get(&question).await.status, StatusCode::FORBIDDEN);
    citizen.get("/").await;
    assert_eq!(
        citizen
            .post(&format!("{question}/retire"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

/// The bureau writes a course's lessons in the console: a lesson without a body is refused
/// in Chinese and writes nothing, a clashing order is refused, an edit rewrites the lesson in
/// place, a removal takes it out; and a bank is reserved for exams and opened again.
#[tokio::test]
async fn the_bureau_writes_a_courses_lessons_and_reserves_a_bank_for_exams() {
    let app = spawn_app().await;
    let token = app.bureau_admin().await;
    app.sitting(&token, 10).await;
    let course = app.get("/api/v1/courses", None).await.body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let mut bureau = Browser::new(&app);
    bureau.log_in("13900000001", PASSWORD).await;
    let path = format!("/admin/courses/{course}/lessons");
    let courses = bureau.get("/admin/courses").await;
    assert!(courses.html.contains(&format!("href=\"{path}\"")));
    let empty = bureau.get(&path).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.html);
    assert!(empty.html.contains("还没有线上课时"));

    let lesson = |editing: &'static str, title: &'static str, body: &'static str| {
        vec![
            ("editing", editing),
            ("order", "1"),
            ("module", "应急救护"),
            ("title", title),
            ("required_minutes", "45"),
            ("body", body),
            ("video_url", ""),
            ("sources", "《中国心肺复苏专家共识》\n《AED 使用指南》"),
        ]
    };
    let lessons = || {
        let app = &app;
        let token = token.clone();
        async move {
            app.get(&format!("/api/v1/courses/{course}/lessons"), Some(&token))
                .await
                .body["items"]
                .clone()
        }
    };
    let bad = bureau.post(&path, &lesson("0", "心肺复苏", " ")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("课时正文不能为空"), "{}", bad.html);
    assert_eq!(lessons().await, serde_json::json!([]));

    let body = "## 学习目标\n\n1. 判断意识和呼吸；\n2. 胸外按压 100～120 次/分。";
    let written = bureau.post(&path, &lesson("0", "心肺复苏", body)).await;
    assert_eq!(written.status, StatusCode::SEE_OTHER, "{}", written.html);
    let listed = lessons().await;
    assert_eq!(listed[0]["title"], "心肺复苏");
    assert_eq!(listed[0]["required_seconds"], 2700);
    let id = listed[0]["id"].as_i64().unwrap();
    let view = app
        .get(&format!("/api/v1/lessons/{id}"), Some(&token))
        .await;
    assert_eq!(view.body["body"], body);
    assert_eq!(view.body["sources"].as_array().unwrap().len(), 2);

    // A new lesson may not take an order the course has.
    let clash = bureau.post(&path, &lesson("0", "止血包扎", body)).await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    assert!(clash.html.contains("学习顺序 1 已有课时"), "{}", clash.html);

    // Edited: the same lesson, rewritten in place.
    let form = bureau.get(&format!("{path}?order=1")).await;
    assert!(form.html.contains("编辑第 1 课"), "{}", form.html);
    assert!(form.html.contains("value=\"心肺复苏\""));
    let revision = shown_revision(&form.html);
    let mut edit = lesson("1", "心肺复苏与 AED", body);
    edit.push(("revision", &revision));
    let edited = bureau.post(&path, &edit).await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.html);
    let listed = lessons().await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], id, "rewritten in place");
    assert_eq!(listed[0]["title"], "心肺复苏与 AED");

    let removed = bureau.post(&format!("{path}/1/remove"), &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(lessons().await, serde_json::json!([]));

    // A bank reserved for exams, then opened again through the API.
    let bank = app.get("/api/v1/question-banks", Some(&token)).await.body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let reserved = bureau
        .post(
            &format!("/admin/banks/{bank}/exam-only"),
            &[("exam_only", "true")],
        )
        .await;
    assert_eq!(reserved.status, StatusCode::SEE_OTHER);
    let page = bureau.get(&format!("/admin/banks/{bank}")).await;
    assert!(page.html.contains("data-exam-only=\"true\""));
    let opened = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/question-banks/{bank}"),
            Some(&token),
            Some(serde_json::json!({"exam_only": false})),
        )
        .await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.text);
    assert_eq!(opened.body["exam_only"], false);

    // Nobody else writes lessons.
    let mut citizen = Browser::new(&app);
    let (_, citizen_token) = app.quick_candidate(562).await;
    citizen.cookies.insert("sc_session".into(), citizen_token);
    assert_eq!(citizen.get(&path).await.status, StatusCode::FORBIDDEN);
}

/// The value of the lesson form's `revision` field, as the edit page shows it.
fn shown_revision(html: &str) -> String {
    let at = html
        .find("name=\"revision\" value=\"")
        .expect("a revision field");
    let rest = &html[at + "name=\"revision\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// Two bureau staff edit lessons at once. Each lesson is written alone, so an edit of lesson 1
/// and a new lesson 2 both stay; a second edit of lesson 1 from a page opened before the first
/// one was saved is refused (409) with its text shown again, and the first edit stays.
#[tokio::test]
async fn two_editors_of_one_course_never_lose_each_others_lesson() {
    let app = spawn_app().await;
    let token = app.bureau_admin().await;
    app.sitting(&token, 10).await;
    let course = app.get("/api/v1/courses", None).await.body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let path = format!("/admin/courses/{course}/lessons");
    let (mut first, mut second) = (Browser::new(&app), Browser::new(&app));
    first.log_in("13900000001", PASSWORD).await;
    second.log_in("13900000001", PASSWORD).await;
    let lesson = |order: &'static str, title: &'static str, editing: &'static str, rev: &str| {
        vec![
            ("editing", editing.to_string()),
            ("revision", rev.to_string()),
            ("order", order.to_string()),
            ("module", "应急救护".to_string()),
            ("title", title.to_string()),
            ("required_minutes", "30".to_string()),
            ("body", format!("## {title}\n\n正文。")),
            ("video_url", String::new()),
            ("sources", "《中国心肺复苏专家共识》".to_string()),
        ]
    };
    let post = async |b: &mut Browser, form: Vec<(&str, String)>| {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        b.post(&path, &form).await
    };
    let added = post(&mut first, lesson("1", "心肺复苏", "0", "")).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);

    // Both open lesson 1 for editing.
    let rev_first = shown_revision(&first.get(&format!("{path}?order=1")).await.html);
    let rev_second = shown_revision(&second.get(&format!("{path}?order=1")).await.html);
    assert_eq!(rev_first, rev_second);
    // The second adds lesson 2 meanwhile; the first saves its edit of lesson 1.
    let other = post(&mut second, lesson("2", "止血包扎", "0", "")).await;
    assert_eq!(other.status, StatusCode::SEE_OTHER, "{}", other.html);
    let edited = post(&mut first, lesson("1", "心肺复苏与 AED", "1", &rev_first)).await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.html);
    // The second's edit of lesson 1, from the page it opened before: refused, text kept.
    let stale = post(
        &mut second,
        lesson("1", "心肺复苏（旧稿）", "1", &rev_second),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.html);
    assert!(stale.html.contains("已被他人修改"), "{}", stale.html);
    assert!(
        stale.html.contains("心肺复苏（旧稿）"),
        "the editor's text is shown again"
    );

    let listed = app
        .get(&format!("/api/v1/courses/{course}/lessons"), Some(&token))
        .await
        .body["items"]
        .clone();
    let titles: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["心肺复苏与 AED", "止血包扎"]);
}

/// A 1×1 PNG (a real one: browsers show it).
const PIXEL_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The bureau uploads an image and a video for a course's lessons. The video is kept whole
/// across chunks and served in ranges (as a phone seeking in it asks); a lesson shows it; a
/// file that is not an image or a video (an SVG) is refused in Chinese and kept nowhere; only
/// the signed-in may fetch a file, and only the bureau may upload one.
#[tokio::test]
async fn the_bureau_uploads_a_lessons_video_that_learners_stream_in_ranges() {
    let app = spawn_app().await;
    let token = app.bureau_admin().await;
    app.sitting(&token, 10).await;
    let course = app.get("/api/v1/courses", None).await.body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let mut bureau = Browser::new(&app);
    bureau.log_in("13900000001", PASSWORD).await;
    let lessons = format!("/admin/courses/{course}/lessons");
    let upload = format!("/admin/courses/{course}/media");
    bureau.get(&lessons).await;

    // An MP4 of 2.5 MiB: three chunks, the last partial.
    let mut video = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
    video.extend((0..(5 << 19) - video.len()).map(|i| (i * 7 % 251) as u8));
    let sent = bureau
        .multipart(&upload, &[], ("file", "心肺复苏演示.mp4", &video))
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let sent = bureau
        .multipart(&upload, &[], ("file", "按压位置.png", PIXEL_PNG))
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let refused = bureau
        .multipart(&upload, &[], ("file", "图.png", svg))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.html.contains("只能上传 PNG、JPEG"),
        "{}",
        refused.html
    );

    let page = bureau.get(&lessons).await;
    let listed = attribute_values(&page.html, "data-media");
    assert_eq!(listed.len(), 2, "the video and the image, not the SVG");
    assert!(
        page.html.contains("![按压位置.png](/media/"),
        "{}",
        page.html
    );
    let (image, video_id) = (&listed[0], &listed[1]);
    assert!(
        page.html
            .contains(&format!("<code data-snippet>/media/{video_id}</code>"))
    );

    // A learner, signed in, fetches the whole video and ranges of it across chunk ends.
    let (_, learner) = app.quick_candidate(571).await;
    let fetch = async |range: Option<&str>, token: Option<&str>| {
        let mut req = app.client.get(format!("{}/media/{video_id}", app.base));
        if let Some(r) = range {
            req = req.header("range", r);
        }
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        (status, headers, resp.bytes().await.unwrap().to_vec())
    };
    let (status, headers, whole) = fetch(None, Some(&learner)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "video/mp4");
    assert_eq!(headers["accept-ranges"], "bytes");
    assert!(whole == video, "the whole file comes back as sent");
    let (status, headers, part) = fetch(Some("bytes=1048570-2097160"), Some(&learner)).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        headers["content-range"],
        format!("bytes 1048570-2097160/{}", video.len())
    );
    assert!(
        part == video[1048570..=2097160],
        "a range across two chunk ends"
    );
    let (status, _, tail) = fetch(Some("bytes=-100"), Some(&learner)).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert!(tail == video[video.len() - 100..]);
    let (status, headers, _) = fetch(Some("bytes=99999999-"), Some(&learner)).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(headers["content-range"], format!("bytes */{}", video.len()));
    let (status, _, _) = fetch(None, None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "nobody signed in gets nothing"
    );

    // A lesson's video is the uploaded file; an image is not a video.
    let lesson = |video_url: String| {
        vec![
            ("editing", "0".to_string()),
            ("order", "1".to_string()),
            ("module", "应急救护".to_string()),
            ("title", "心肺复苏".to_string()),
            ("required_minutes", "10".to_string()),
            ("body", format!("看图：![按压位置](/media/{image})")),
            ("video_url", video_url),
            ("sources", "《中国心肺复苏专家共识》".to_string()),
        ]
    };
    let form = lesson(format!("/media/{image}"));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let not_video = bureau.post(&lessons, &form).await;
    assert_eq!(not_video.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        not_video.html.contains("不是已上传的视频文件"),
        "{}",
        not_video.html
    );
    let form = lesson(format!("/media/{video_id}"));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = bureau.post(&lessons, &form).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let lesson_id = app
        .get(&format!("/api/v1/courses/{course}/lessons"), Some(&token))
        .await
        .body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let mut citizen = Browser::new(&app);
    citizen.cookies.insert("sc_session".into(), learner.clone());
    let shown = citizen.get(&format!("/study/lessons/{lesson_id}")).await;
    assert!(
        shown
            .html
            .contains(&format!("src=\"/media/{video_id}\" data-lesson-video")),
        "{}",
        shown.html
    );
    assert!(shown.html.contains(&format!("<img src=\"/media/{image}\"")));
    // The image as a page fetches it, with the session cookie.
    let img = citizen.get(&format!("/media/{image}")).await;
    assert_eq!(img.status, StatusCode::OK);
    assert_eq!(img.content_type, "image/png");

    // Only the bureau uploads.
    citizen.get(&lessons).await;
    let not_bureau = citizen
        .multipart(&upload, &[], ("file", "x.png", PIXEL_PNG))
        .await;
    assert_eq!(not_bureau.status, StatusCode::FORBIDDEN);
}

/// A bank's questions page fifty at a time, and the page links keep the search: page 2 of a
/// search for 灭火 is page 2 of that search.
#[tokio::test]
async fn a_long_search_in_a_bank_pages_with_its_words_kept() {
    let app = spawn_app().await;
    app.bureau_admin().await;
    let mut bureau = Browser::new(&app);
    bureau.log_in("13900000001", PASSWORD).await;
    let bank_path = bureau
        .post("/admin/banks", &[("name", "翻页测试题库")])
        .await
        .location;
    let mut file = String::from("// 消防安全\n");
    for n in 1..=55 {
        file.push_str(&format!(
            "::P-{n:02}:: 第 {n} 题：灭火器压力表指针在哪个区域表示可用？ {{=绿色区域 ~红色区域 ~黄色区域}}\n\n"
        ));
    }
    file.push_str("::P-99:: 触电者倒地时首先应当？ {=切断电源 ~用手拉开}\n");
    let imported = bureau
        .multipart(
            &format!("{bank_path}/import"),
            &[("format", "gift")],
            ("file", "p.gift", file.as_bytes()),
        )
        .await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.html);

    let first = bureau
        .get(&format!("{bank_path}?q=%E7%81%AD%E7%81%AB"))
        .await; // 灭火
    assert_eq!(attribute_values(&first.html, "data-question-id").len(), 50);
    assert!(first.html.contains("第 1 / 2 页"), "{}", first.html);
    assert!(!first.html.contains(">上一页<"));
    // askama writes & in an attribute as &#38;.
    let next = format!("{bank_path}?page=2&#38;q=%E7%81%AD%E7%81%AB");
    assert!(
        first.html.contains(&format!("href=\"{next}\"")),
        "{}",
        first.html
    );
    let second = bureau.get(&next.replace("&#38;", "&")).await;
    assert_eq!(
        attribute_values(&second.html, "data-question-id").len(),
        5,
        "the rest of the search, not of the bank"
    );
    assert!(second.html.contains(&format!(
        "href=\"{bank_path}?page=1&#38;q=%E7%81%AD%E7%81%AB\">上一页"
    )));
    assert!(!second.html.contains(">下一页<"));
}
