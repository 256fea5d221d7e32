//! The staff consoles over HTTP, as a browser without script uses them: the enterprise
//! console's roster upload (preview, fix, confirm) and its certificate list, and who is
//! refused. The same bodies run on both backends.

use crate::helpers::{PASSWORD, TestApp, phone, resident_id, spawn_app};
use crate::pages::{Browser, Page, attribute_values};
use chrono::Duration;
use reqwest::StatusCode;

impl Browser {
    /// Posts the roster form as the page does: multipart, with the cross-site token.
    pub async fn upload(&mut self, path: &str, sitting: i64, name: &str, file: &[u8]) -> Page {
        let csrf = self.cookies.get("sc_csrf").cloned().unwrap_or_default();
        let boundary = "----safecert-test-boundary";
        let mut body = Vec::new();
        for (field, value) in [("csrf", csrf), ("sitting_id", sitting.to_string())] {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"roster\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(file);
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
