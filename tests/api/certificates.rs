//! Certificates end to end: from a passed attempt to a verified QR code, revocation,
//! renewal, expiry reminders and the enterprise's ZIP.

use crate::{
    helpers::{PASSWORD, TestApp, phone, spawn_app, spawn_app_with},
    mailsink::SmtpSink,
    sittings::pdf_text,
};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

impl TestApp {
    /// Books, starts and answers every question right; returns (token, attempt id).
    pub async fn pass(&self, sitting: i64, token: &str) -> i64 {
        let start = self
            .post(
                &format!("/api/v1/sittings/{sitting}/attempts"),
                Some(token),
                json!({}),
            )
            .await;
        assert!(start.status.is_success(), "{}", start.text);
        let id = start.body["id"].as_i64().unwrap();
        let keys = self.keys(id).await;
        let answers: Vec<Value> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| json!({"position": i + 1, "choice": k, "seq": 1}))
            .collect();
        let done = self
            .post(
                &format!("/api/v1/attempts/{id}/submit"),
                Some(token),
                json!({"answers": answers}),
            )
            .await;
        assert_eq!(done.body["passed"], true, "{}", done.text);
        id
    }
}

fn qr_payload(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.pdf");
    std::fs::write(&path, pdf).unwrap();
    let png = dir.path().join("c");
    let rendered = std::process::Command::new("pdftoppm")
        .args(["-r", "150", "-png", "-singlefile"])
        .arg(&path)
        .arg(&png)
        .status();
    let decoded = std::process::Command::new("zbarimg")
        .args(["-q", "--raw"])
        .arg(dir.path().join("c.png"))
        .output();
    match (rendered, decoded) {
        (Ok(s), Ok(o)) if s.success() && o.status.success() => {
            Some(String::from_utf8_lossy(&o.stdout).trim().to_string())
        }
        _ => {
            assert!(
                std::env::var_os("SAFECERT_REQUIRE_PDF_TOOLS").is_none(),
                "pdftoppm and zbarimg are required here"
            );
            eprintln!("skipped QR decoding: pdftoppm/zbarimg not installed");
            None
        }
    }
}

#[tokio::test]
async fn a_passed_attempt_becomes_a_certificate_that_verifies_and_can_be_revoked() {
    let sink = SmtpSink::start().await;
    let url = sink.url.clone();
    let app = spawn_app_with(|env| {
        env.insert("SMTP_URL".into(), url);
    })
    .await;
    let exam = app.exam(Duration::hours(1), 1, false).await;
    app.register_citizen(42, "欧阳䶮").await;
    let token = app.token(&phone(42), PASSWORD).await;
    app.post(
        &format!("/api/v1/sittings/{}/registrations", exam.sitting),
        Some(&token),
        json!({}),
    )
    .await;
    app.pass(exam.sitting, &token).await;

    let list = app.get("/api/v1/certificates", Some(&token)).await;
    assert_eq!(list.body["total"], 1, "{}", list.text);
    let cert = list.body["items"][0].clone();
    let number = cert["number"].as_str().unwrap();
    assert!(
        number.starts_with("BA-EXAM-20") && number.ends_with("-000001"),
        "{number}"
    );
    assert_eq!(cert["status"], "valid");
    assert_eq!(cert["holder"], "欧阳䶮");
    let id = cert["id"].as_i64().unwrap();
    let verify_url = cert["verify_url"].as_str().unwrap().to_string();
    assert!(verify_url.starts_with("https://safecert.test/verify/"));

    let resp = app
        .client
        .get(format!("{}/api/v1/certificates/{id}/pdf", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    let pdf = resp.bytes().await.unwrap().to_vec();
    assert!(pdf.len() < 100 * 1024, "{} bytes", pdf.len());
    if let Ok(dir) = std::env::var("SAFECERT_DUMP_PDF_DIR") {
        // For a person to look at: SAFECERT_DUMP_PDF_DIR=/tmp/x cargo test certificates
        std::fs::write(std::path::Path::new(&dir).join("certificate.pdf"), &pdf).unwrap();
    }
    if let Some(text) = pdf_text(&pdf) {
        for expected in [
            "培训考核合格证书",
            "欧阳䶮",
            number,
            "区应急管理局",
            "**********",
        ] {
            assert!(text.contains(expected), "{expected} missing from:\n{text}");
        }
    }
    if let Some(payload) = qr_payload(&pdf) {
        assert_eq!(
            payload, verify_url,
            "the QR code opens the verification page"
        );
    }

    // Anyone can verify: the name masked, no ID number.
    let code = verify_url.rsplit('/').next().unwrap();
    let verified = app.get(&format!("/api/v1/verify/{code}"), None).await;
    assert_eq!(verified.status, StatusCode::OK);
    assert_eq!(
        (
            verified.body["status"].clone(),
            verified.body["holder"].clone(),
            verified.body["number"].clone()
        ),
        (json!("valid"), json!("欧*䶮"), json!(number))
    );
    assert!(!verified.text.contains("id_number") && !verified.text.contains("欧阳䶮"));
    let page = app.get(&format!("/verify/{code}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("有效") && page.text.contains(number));
    let unknown = app
        .get("/api/v1/verify/0123456789abcdef0123456789abcdef", None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/v1/verify/guess", None).await.status,
        StatusCode::NOT_FOUND
    );

    // The issued mail carries the PDF.
    let mails = sink
        .wait_until("the certificate mail", |m| {
            m.iter().any(|m| m.subject.starts_with("证书已签发"))
        })
        .await;
    let issued = mails
        .iter()
        .find(|m| m.subject.starts_with("证书已签发"))
        .unwrap();
    assert!(
        issued
            .attachments
            .iter()
            .any(|(name, bytes)| name.ends_with(".pdf") && bytes.starts_with(b"%PDF"))
    );

    // Only the bureau revokes; verification then says so and the holder is mailed.
    let refused = app
        .post(
            &format!("/api/v1/certificates/{id}/revoke"),
            Some(&token),
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let revoked = app
        .post(
            &format!("/api/v1/certificates/{id}/revoke"),
            Some(&exam.bureau),
            json!({"reason": "考试作弊查实"}),
        )
        .await;
    assert_eq!(revoked.body["status"], "revoked", "{}", revoked.text);
    assert_eq!(
        app.get(&format!("/api/v1/verify/{code}"), None).await.body["status"],
        "revoked"
    );
    sink.wait_until("the revocation mail", |m| {
        m.iter()
            .any(|m| m.subject.starts_with("证书已撤销") && m.body.contains("考试作弊查实"))
    })
    .await;

    // Reissue: a new number and code, same dates.
    let reissued = app
        .post(
            &format!("/api/v1/certificates/{id}/reissue"),
            Some(&exam.bureau),
            json!({}),
        )
        .await;
    assert_eq!(reissued.status, StatusCode::OK, "{}", reissued.text);
    assert_ne!(reissued.body["number"], json!(number));
    assert_eq!(
        (
            reissued.body["expires_on"].clone(),
            reissued.body["previous_id"].clone()
        ),
        (cert["expires_on"].clone(), json!(id))
    );
    // Other people see nothing of it.
    let (_, stranger) = app.quick_candidate(43).await;
    assert_eq!(
        app.get(&format!("/api/v1/certificates/{id}"), Some(&stranger))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/certificates", Some(&stranger)).await.body["total"],
        0
    );
}

#[tokio::test]
async fn a_practical_course_certifies_only_after_the_practical_passes() {
    let app = spawn_app().await;
    let exam = app.exam(Duration::hours(1), 1, true).await;
    let token = app.booked_candidate(exam.sitting, 1).await;
    app.pass(exam.sitting, &token).await;
    assert_eq!(
        app.get("/api/v1/certificates", Some(&token)).await.body["total"],
        0,
        "the practical is missing"
    );
    let registration = app.get("/api/v1/registrations", Some(&token)).await.body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let recorded = app
        .post(
            &format!("/api/v1/registrations/{registration}/practical"),
            Some(&exam.bureau),
            json!({"passed": true}),
        )
        .await;
    assert_eq!(recorded.status, StatusCode::OK, "{}", recorded.text);
    assert_eq!(
        app.get("/api/v1/certificates", Some(&token)).await.body["total"],
        1
    );
}

#[tokio::test]
async fn re_education_needs_a_certificate_and_renews_it() {
    let app = spawn_app().await;
    let exam = app.exam(Duration::hours(1), 1, false).await;
    let refresher = app
        .post(
            "/api/v1/courses",
            Some(&exam.bureau),
            json!({"code": "RE-EXAM", "title": "年度再培训考核", "category": "safety_manager", "training_hours": 12,
                   "pass_mark": 2.0, "time_limit_minutes": 30, "validity_months": 12, "renews_course_id": exam.course,
                   "blueprint": app.get(&format!("/api/v1/courses/{}", exam.course), None).await.body["blueprint"]}),
        )
        .await;
    assert_eq!(refresher.status, StatusCode::CREATED, "{}", refresher.text);
    let refresher_sitting = app
        .open_sitting(
            &exam.bureau,
            refresher.body["id"].as_i64().unwrap(),
            Duration::hours(1),
        )
        .await;

    let token = app.booked_candidate(exam.sitting, 1).await;
    let refused = app
        .post(
            &format!("/api/v1/sittings/{refresher_sitting}/registrations"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.body["code"], "certificate_required");

    app.pass(exam.sitting, &token).await;
    let first = app.get("/api/v1/certificates", Some(&token)).await.body["items"][0].clone();
    assert_eq!(
        app.post(
            &format!("/api/v1/sittings/{refresher_sitting}/registrations"),
            Some(&token),
            json!({})
        )
        .await
        .status,
        StatusCode::CREATED
    );
    app.pass(refresher_sitting, &token).await;

    let all = app.get("/api/v1/certificates", Some(&token)).await;
    assert_eq!(all.body["total"], 2);
    let renewed = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["previous_id"] == first["id"])
        .expect("a renewal")
        .clone();
    assert_eq!(
        renewed["course_id"],
        json!(exam.course),
        "the renewal is of the original qualification"
    );
    let old_expiry: chrono::NaiveDate = first["expires_on"].as_str().unwrap().parse().unwrap();
    let new_expiry: chrono::NaiveDate = renewed["expires_on"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        new_expiry,
        old_expiry
            .checked_add_months(chrono::Months::new(36))
            .unwrap(),
        "validity continues from the old expiry"
    );
    let code = first["verify_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        app.get(&format!("/api/v1/verify/{code}"), None).await.body["renewed_by"],
        renewed["number"]
    );
}

#[tokio::test]
async fn expiry_reminders_go_once_and_enterprises_download_their_staffs_certificates() {
    let app = spawn_app().await;
    let exam = app.exam(Duration::hours(1), 1, false).await;
    let (n1, n2) = (1, 2);
    let mut ids = Vec::new();
    for n in [n1, n2] {
        let token = app.booked_candidate(exam.sitting, n).await;
        app.pass(exam.sitting, &token).await;
        ids.push(
            app.get("/api/v1/certificates", Some(&token)).await.body["items"][0]["id"]
                .as_i64()
                .unwrap(),
        );
    }
    // The first expires in 80 days: within the 90-day reminder, not the 30-day one.
    let soon = safecert::certificates::today() + Duration::days(80);
    safecert::with_pool!(&app.state.db, pool => {
        sqlx::query("UPDATE certificates SET expires_on = $1 WHERE id = $2").bind(soon).bind(ids[0]).execute(pool).await.unwrap().rows_affected()
    });
    assert_eq!(
        safecert::certificates::enqueue_expiry_reminders(&app.state)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        safecert::certificates::enqueue_expiry_reminders(&app.state)
            .await
            .unwrap(),
        0,
        "each reminder once"
    );

    // Both people work for one enterprise.
    let e = app
        .post(
            "/api/v1/enterprises",
            Some(&exam.bureau),
            json!({"name": "甲企业", "credit_code": "914403001922038216", "industry": "电镀"}),
        )
        .await;
    let enterprise = e.body["id"].as_i64().unwrap();
    safecert::with_pool!(&app.state.db, pool => {
        sqlx::query("UPDATE users SET enterprise_id = $1 WHERE name IN ('考生1', '考生2')").bind(enterprise).execute(pool).await.unwrap().rows_affected()
    });
    app.post(
        "/api/v1/users",
        Some(&exam.bureau),
        json!({"name": "安全主管", "phone": phone(900), "email": "ea@example.cn",
              "password": PASSWORD, "roles": ["enterprise_admin"], "enterprise_id": enterprise}),
    )
    .await;
    let admin = app.token(&phone(900), PASSWORD).await;
    assert_eq!(
        app.get("/api/v1/certificates", Some(&admin)).await.body["total"],
        2
    );
    let expiring = app
        .get("/api/v1/certificates?expiring_within_days=90", Some(&admin))
        .await;
    assert_eq!(expiring.body["total"], 1);
    assert_eq!(expiring.body["items"][0]["id"], ids[0]);

    let resp = app
        .client
        .get(format!(
            "{}/api/v1/enterprises/{enterprise}/certificates.zip?expiring_within_days=90",
            app.base
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut zip =
        zip::ZipArchive::new(std::io::Cursor::new(resp.bytes().await.unwrap().to_vec())).unwrap();
    assert_eq!(zip.len(), 1);
    let mut first = zip.by_index(0).unwrap();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut first, &mut bytes).unwrap();
    assert!(bytes.starts_with(b"%PDF") && first.name().unwrap().ends_with(".pdf"));
    // A window no certificate has (it once overflowed the date arithmetic and dropped the
    // connection): refused as out of the documented range, with the usual error body.
    for path in [
        format!(
            "/api/v1/enterprises/{enterprise}/certificates.zip?expiring_within_days=9223372036854775806"
        ),
        "/api/v1/certificates?expiring_within_days=9223372036854775806".to_string(),
        "/api/v1/certificates?expiring_within_days=-1".to_string(),
    ] {
        let refused = app.get(&path, Some(&admin)).await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            refused.text
        );
        assert_eq!(refused.body["code"], "bad_request", "{}", refused.text);
    }

    let (_, citizen) = app.quick_candidate(77).await;
    let other = app
        .client
        .get(format!(
            "{}/api/v1/enterprises/{enterprise}/certificates.zip",
            app.base
        ))
        .bearer_auth(&citizen)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn numbers_stay_unique_when_many_are_issued_at_once() {
    let app = spawn_app().await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let state = app.state.clone();
            tokio::spawn(async move {
                safecert::certificates::store::next_number(&state.db, "EXAM-2026")
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.unwrap());
    }
    numbers.sort();
    assert_eq!(numbers, (1..=50).collect::<Vec<i64>>());
}

#[tokio::test]
async fn verification_is_rate_limited_per_client() {
    let app = spawn_app_with(|env| {
        env.insert("VERIFY_PER_MINUTE".into(), "5".into());
    })
    .await;
    for _ in 0..5 {
        assert_eq!(
            app.get("/api/v1/verify/0123456789abcdef0123456789abcdef", None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
    let limited = app
        .get("/api/v1/verify/0123456789abcdef0123456789abcdef", None)
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.body["code"], "rate_limited");
}
