//! Sittings, registrations, enterprise rosters, tickets and mail over HTTP.

use crate::{
    banks::NATIVE,
    helpers::{PASSWORD, TestApp, phone, resident_id, spawn_app, spawn_app_with},
    mailsink::SmtpSink,
};
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

impl TestApp {
    /// A one-question-per-kind course and a station sitting tomorrow with `capacity` seats.
    pub async fn sitting(&self, bureau: &str, capacity: i64) -> i64 {
        self.sitting_at(bureau, capacity, Utc::now() + Duration::days(2))
            .await
    }

    pub async fn sitting_at(
        &self,
        bureau: &str,
        capacity: i64,
        starts: chrono::DateTime<Utc>,
    ) -> i64 {
        let course = match self.get("/api/v1/courses", None).await.body["items"][0]["id"].as_i64() {
            Some(id) => id,
            None => {
                let bank = self.create_bank(bureau, "测试题库").await;
                self.import(bureau, bank, "native", NATIVE).await;
                let c = self
                    .post(
                        "/api/v1/courses",
                        Some(bureau),
                        json!({"code": "FR-T", "title": "应急第一响应人理论考核", "category": "first_responder",
                               "training_hours": 32, "pass_mark": 2.0, "time_limit_minutes": 30, "validity_months": 36,
                               "blueprint": {"sections": [
                                   {"title": "单选题", "kind": "single", "count": 1, "points": 1.0, "bank_id": bank},
                                   {"title": "判断题", "kind": "true_false", "count": 1, "points": 1.0, "bank_id": bank}]}}),
                    )
                    .await;
                assert_eq!(c.status, StatusCode::CREATED, "{}", c.text);
                c.body["id"].as_i64().unwrap()
            }
        };
        let reply = self
            .post(
                "/api/v1/sittings",
                Some(bureau),
                json!({"course_id": course, "starts_at": starts, "ends_at": starts + Duration::hours(1),
                       "capacity": capacity, "venue": {"kind": "station", "name": "福田区应急服务站", "address": "福田区福华路1号"}}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["id"].as_i64().unwrap()
    }
}

#[tokio::test]
async fn a_citizen_books_once_gets_a_seat_and_full_sittings_refuse() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let sitting = app.sitting(&bureau, 2).await;
    let path = format!("/api/v1/sittings/{sitting}/registrations");
    let (_, a) = app.quick_candidate(1).await;
    let (_, b) = app.quick_candidate(2).await;
    let (_, c) = app.quick_candidate(3).await;

    let first = app.post(&path, Some(&a), json!({})).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(first.body["seat"], 1);
    assert_eq!(first.body["status"], "booked");
    assert!(first.body["ticket_number"].as_str().unwrap().len() >= 14);
    let again = app.post(&path, Some(&a), json!({})).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["id"], first.body["id"]);

    assert_eq!(app.post(&path, Some(&b), json!({})).await.body["seat"], 2);
    let full = app.post(&path, Some(&c), json!({})).await;
    assert_eq!(full.status, StatusCode::CONFLICT);
    assert_eq!(full.body["code"], "sitting_full");

    let shown = app.get(&format!("/api/v1/sittings/{sitting}"), None).await;
    assert_eq!(
        (
            shown.body["seats_taken"].clone(),
            shown.body["seats_left"].clone(),
            shown.body["status"].clone()
        ),
        (json!(2), json!(0), json!("scheduled"))
    );

    // Cancelling before the window frees the seat for the next person.
    let id = first.body["id"].as_i64().unwrap();
    let cancelled = app
        .post(
            &format!("/api/v1/registrations/{id}/cancel"),
            Some(&a),
            json!({}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);
    assert_eq!(cancelled.body["status"], "cancelled");
    let late = app.post(&path, Some(&c), json!({})).await;
    assert_eq!(late.status, StatusCode::CREATED);
    assert_eq!(late.body["seat"], 1, "the freed seat is reused");

    // Someone else's registration is invisible and cannot be cancelled.
    let bs = app.get("/api/v1/registrations", Some(&b)).await;
    assert_eq!(bs.body["total"], 1);
    let theirs = late.body["id"].as_i64().unwrap();
    assert_eq!(
        app.post(
            &format!("/api/v1/registrations/{theirs}/cancel"),
            Some(&b),
            json!({})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn two_hundred_simultaneous_bookings_fill_exactly_one_hundred_seats() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let sitting = app.sitting(&bureau, 100).await;
    let mut tokens = Vec::new();
    for n in 0..200 {
        tokens.push(app.quick_candidate(n).await.1);
    }
    let path = format!("{}/api/v1/sittings/{sitting}/registrations", app.base);
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(200));
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let (client, path, barrier) = (app.client.clone(), path.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let resp = client
                    .post(&path)
                    .bearer_auth(token)
                    .json(&json!({}))
                    .send()
                    .await
                    .unwrap();
                let status = resp.status();
                (status, resp.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut seats = Vec::new();
    let mut full = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            StatusCode::CREATED => seats.push(body["seat"].as_i64().unwrap()),
            StatusCode::CONFLICT => {
                assert_eq!(body["code"], "sitting_full");
                full += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    seats.sort();
    assert_eq!(seats, (1..=100).collect::<Vec<i64>>());
    assert_eq!(full, 100);
    let shown = app.get(&format!("/api/v1/sittings/{sitting}"), None).await;
    assert_eq!(shown.body["seats_taken"], 100);
}

#[tokio::test]
async fn registration_follows_its_window_and_cancelled_sittings_refuse() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let sitting = app.sitting(&bureau, 10).await;
    let (_, token) = app.quick_candidate(1).await;
    let closed = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/sittings/{sitting}"),
            Some(&bureau),
            Some(json!({"registration_opens_at": Utc::now() + Duration::hours(1)})),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.text);
    assert_eq!(closed.body["registration_open"], false);
    let refused = app
        .post(
            &format!("/api/v1/sittings/{sitting}/registrations"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.body["code"], "registration_closed");

    let bad = app
        .post("/api/v1/sittings", Some(&bureau), json!({"course_id": 1, "starts_at": Utc::now(), "ends_at": Utc::now() - Duration::hours(1),
              "capacity": 10, "venue": {"kind": "online"}}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["field"], "ends_at");
    let no_address = app
        .post("/api/v1/sittings", Some(&bureau), json!({"course_id": 1, "starts_at": Utc::now() + Duration::days(1), "ends_at": Utc::now() + Duration::days(2),
              "capacity": 10, "venue": {"kind": "station", "name": "某服务站"}}))
        .await;
    assert_eq!(no_address.body["field"], "venue.address");

    let cancelled = app
        .post(
            &format!("/api/v1/sittings/{sitting}/cancel"),
            Some(&bureau),
            json!({"reason": "台风停课"}),
        )
        .await;
    assert_eq!(cancelled.body["status"], "cancelled");
    let refused = app
        .post(
            &format!("/api/v1/sittings/{sitting}/registrations"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(refused.body["code"], "sitting_cancelled");
    // A candidate may not schedule sittings: refused for the role before the body is read.
    let (_, citizen) = app.quick_candidate(2).await;
    let not_theirs = app
        .post("/api/v1/sittings", Some(&citizen), json!({}))
        .await;
    assert_eq!(not_theirs.status, StatusCode::FORBIDDEN);
    assert_eq!(not_theirs.body["code"], "forbidden");
}

/// A roster as an enterprise's HR keeps it: 姓名, 身份证号, 手机号, 邮箱, 岗位.
pub fn roster_xlsx(people: std::ops::Range<u32>, bad_rows: &[(u32, &str)]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, h) in ["姓名", "身份证号", "手机号", "邮箱", "岗位"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (row, n) in people.enumerate() {
        let r = row as u32 + 1;
        let id = bad_rows
            .iter()
            .find(|(b, _)| *b == n)
            .map(|(_, id)| id.to_string())
            .unwrap_or_else(|| resident_id(n));
        sheet.write_string(r, 0, format!("员工{n}")).unwrap();
        sheet.write_string(r, 1, &id).unwrap();
        // A phone typed as a number, the way spreadsheets keep it.
        sheet
            .write_number(r, 2, phone(n).parse::<f64>().unwrap())
            .unwrap();
        sheet
            .write_string(r, 3, format!("staff{n}@example.cn"))
            .unwrap();
        sheet.write_string(r, 4, "安全管理人员").unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

impl TestApp {
    pub async fn enterprise_with_admin(
        &self,
        bureau: &str,
        code: &str,
        admin_n: u32,
    ) -> (i64, String) {
        let e = self
            .post(
                "/api/v1/enterprises",
                Some(bureau),
                json!({"name": format!("企业{code}"), "credit_code": code, "industry": "电镀"}),
            )
            .await;
        let id = e.body["id"].as_i64().unwrap();
        let admin = self
            .post("/api/v1/users", Some(bureau), json!({"name": "企业安全主管", "phone": phone(admin_n), "email": format!("ea{admin_n}@example.cn"),
                   "password": PASSWORD, "roles": ["enterprise_admin"], "enterprise_id": id}))
            .await;
        assert_eq!(admin.status, StatusCode::CREATED, "{}", admin.text);
        (id, self.token(&phone(admin_n), PASSWORD).await)
    }

    pub async fn upload_roster(
        &self,
        token: &str,
        enterprise: i64,
        sitting: i64,
        body: Vec<u8>,
    ) -> crate::helpers::Reply {
        let resp = self
            .client
            .post(format!(
                "{}/api/v1/enterprises/{enterprise}/enrolments?sitting_id={sitting}",
                self.base
            ))
            .bearer_auth(token)
            .header(
                "content-type",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            .body(body)
            .send()
            .await
            .unwrap();
        crate::helpers::read_reply(resp).await
    }
}

#[tokio::test]
async fn an_enterprise_enrols_a_500_person_roster_all_or_nothing() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let sitting = app.sitting(&bureau, 600).await;
    let (enterprise, admin) = app
        .enterprise_with_admin(&bureau, "914403001922038216", 9000)
        .await;
    let (other, other_admin) = app
        .enterprise_with_admin(&bureau, "91440300MA5DEM0019", 9001)
        .await;

    // Broken rows (a wrong check digit, a repeated person) refuse the whole roster.
    let mut typo = resident_id(3);
    typo.replace_range(17..18, if typo.ends_with('1') { "2" } else { "1" });
    let mut broken = roster_xlsx(1000..1010, &[(1003, &typo)]);
    let refused = app
        .upload_roster(&admin, enterprise, sitting, broken.clone())
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(refused.body["code"], "roster_invalid");
    assert_eq!(refused.body["errors"][0]["line"], 5);
    broken = roster_xlsx(1000..1010, &[(1005, &resident_id(1004))]);
    let refused = app.upload_roster(&admin, enterprise, sitting, broken).await;
    assert!(
        refused.body["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("第 6 行"),
        "{}",
        refused.text
    );
    assert_eq!(
        app.get("/api/v1/users", Some(&admin)).await.body["total"],
        1,
        "nobody was created"
    );

    // Another enterprise's admin may not upload here.
    assert_eq!(
        app.upload_roster(&other_admin, enterprise, sitting, roster_xlsx(0..2, &[]))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let roster = roster_xlsx(0..500, &[]);
    let done = app
        .upload_roster(&admin, enterprise, sitting, roster.clone())
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(
        (
            done.body["enrolled"].clone(),
            done.body["accounts_created"].clone()
        ),
        (json!(500), json!(500))
    );
    let mut seats: Vec<i64> = done.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seat"].as_i64().unwrap())
        .collect();
    seats.sort();
    assert_eq!(seats, (1..=500).collect::<Vec<i64>>());

    // The same roster again changes nothing.
    let again = app.upload_roster(&admin, enterprise, sitting, roster).await;
    assert_eq!(
        (
            again.body["enrolled"].clone(),
            again.body["already_registered"].clone(),
            again.body["accounts_created"].clone()
        ),
        (json!(0), json!(500), json!(0))
    );

    // The admin sees their 500 staff (and themself); the other enterprise sees none of them.
    assert_eq!(
        app.get("/api/v1/users?limit=1", Some(&admin)).await.body["total"],
        501
    );
    assert_eq!(
        app.get("/api/v1/registrations?limit=1", Some(&admin))
            .await
            .body["total"],
        500
    );
    assert_eq!(
        app.get("/api/v1/registrations", Some(&other_admin))
            .await
            .body["total"],
        0
    );
    let _ = other;

    // Over capacity: 150 new people for the 100 seats left.
    let over = app
        .upload_roster(&admin, enterprise, sitting, roster_xlsx(500..650, &[]))
        .await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        over.body["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("座位"),
        "{}",
        over.text
    );
}

#[tokio::test]
async fn mail_goes_through_smtp_for_bookings_reminders_cancellations_and_password_links() {
    let sink = SmtpSink::start().await;
    let url = sink.url.clone();
    let app = spawn_app_with(|env| {
        env.insert("SMTP_URL".into(), url);
    })
    .await;
    let bureau = app.bureau_admin().await;
    // Starts within 24 hours: a reminder is due at once.
    let sitting = app
        .sitting_at(&bureau, 10, Utc::now() + Duration::hours(20))
        .await;
    let (_, token) = app.quick_candidate(1).await;
    let booked = app
        .post(
            &format!("/api/v1/sittings/{sitting}/registrations"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED);
    let ticket = booked.body["ticket_number"].as_str().unwrap().to_string();

    safecert::registrations::enqueue_due_reminders(&app.state)
        .await
        .unwrap();
    safecert::registrations::enqueue_due_reminders(&app.state)
        .await
        .unwrap();
    let mails = sink.wait_for(2).await;
    let to_candidate: Vec<_> = mails
        .iter()
        .filter(|m| m.to.contains("candidate1@example.cn"))
        .collect();
    let confirmation = to_candidate
        .iter()
        .find(|m| m.subject.starts_with("报名成功"))
        .expect("confirmation");
    assert!(
        confirmation.body.contains(&ticket) && confirmation.body.contains("福田区应急服务站"),
        "{}",
        confirmation.body
    );
    let reminders = to_candidate
        .iter()
        .filter(|m| m.subject.starts_with("考试提醒"))
        .count();
    assert_eq!(reminders, 1, "one reminder, however often the job runs");

    // A roster member gets a password link that works.
    let (enterprise, admin) = app
        .enterprise_with_admin(&bureau, "914403001922038216", 9000)
        .await;
    let roster = roster_xlsx(2..3, &[]);
    let enrolled = app.upload_roster(&admin, enterprise, sitting, roster).await;
    assert_eq!(enrolled.status, StatusCode::OK, "{}", enrolled.text);
    let mails = sink
        .wait_until("a password link", |m| {
            m.iter().any(|m| m.subject.contains("设置"))
        })
        .await;
    let link_mail = mails
        .iter()
        .find(|m| m.subject.contains("设置") && m.to.contains("staff2@example.cn"))
        .expect("password link");
    let token_start = link_mail.body.find("token=").expect("a link with a token") + 6;
    let setup: String = link_mail.body[token_start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    assert!(
        link_mail
            .body
            .contains("https://safecert.test/set-password?token=")
    );
    let set = app
        .post(
            "/api/v1/auth/password-setup",
            None,
            json!({"token": setup, "password": "xin-mima-2026"}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    app.token(&phone(2), "xin-mima-2026").await;
    let reused = app
        .post(
            "/api/v1/auth/password-setup",
            None,
            json!({"token": setup, "password": "another-2026"}),
        )
        .await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get("/set-password?token=x", None).await.status,
        StatusCode::OK
    );

    // Cancelling the sitting mails everyone booked.
    app.post(
        &format!("/api/v1/sittings/{sitting}/cancel"),
        Some(&bureau),
        json!({"reason": "考点停电"}),
    )
    .await;
    let mails = sink
        .wait_until("two cancellations", |m| {
            m.iter()
                .filter(|m| m.subject.starts_with("报名已取消"))
                .count()
                >= 2
        })
        .await;
    let cancellations: Vec<_> = mails
        .iter()
        .filter(|m| m.subject.starts_with("报名已取消"))
        .collect();
    assert_eq!(cancellations.len(), 2, "{mails:#?}");
    let to_staff: Vec<_> = mails
        .iter()
        .filter(|m| m.to.contains("staff2@example.cn"))
        .map(|m| m.subject.clone())
        .collect();
    assert!(
        to_staff.iter().any(|s| s.starts_with("报名成功")),
        "{to_staff:?}"
    );
    assert!(cancellations.iter().all(|m| m.body.contains("考点停电")));
}

#[tokio::test]
async fn mail_survives_an_smtp_outage_and_a_restart() {
    // SMTP is down: the booking succeeds and its mail waits in the outbox.
    let closed = format!(
        "smtp://127.0.0.1:{}",
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    );
    let app = spawn_app_with(|env| {
        env.insert("SMTP_URL".into(), closed);
    })
    .await;
    let bureau = app.bureau_admin().await;
    let sitting = app.sitting(&bureau, 10).await;
    let (_, token) = app.quick_candidate(1).await;
    assert_eq!(
        app.post(
            &format!("/api/v1/sittings/{sitting}/registrations"),
            Some(&token),
            json!({})
        )
        .await
        .status,
        StatusCode::CREATED
    );
    for _ in 0..100 {
        let attempts: i64 = safecert::with_pool!(&app.state.db, pool => {
            sqlx::query_scalar("SELECT COALESCE(MAX(attempts), 0) FROM outbox").fetch_one(pool).await.unwrap()
        });
        if attempts >= 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        safecert::mail::outbox::count(&app.state.db, "pending")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        safecert::mail::outbox::count(&app.state.db, "sent")
            .await
            .unwrap(),
        0
    );

    // The process goes away; a new one with a working SMTP server delivers the mail.
    let sink = SmtpSink::start().await;
    let url = sink.url.clone();
    let app = app
        .restart(|env| {
            env.insert("SMTP_URL".into(), url);
        })
        .await;
    let mails = sink.wait_for(1).await;
    assert!(mails[0].subject.starts_with("报名成功"));
    // The worker marks the row sent after the SMTP server has the mail, so wait for it.
    let mut sent = 0;
    for _ in 0..100 {
        sent = safecert::mail::outbox::count(&app.state.db, "sent")
            .await
            .unwrap();
        if sent == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(sent, 1);
    assert_eq!(
        safecert::mail::outbox::count(&app.state.db, "pending")
            .await
            .unwrap(),
        0
    );
}

/// Text of a PDF by pdftotext, or None (test skipped) where poppler-utils is absent and CI
/// did not require it.
pub fn pdf_text(pdf: &[u8]) -> Option<String> {
    let path = std::env::temp_dir().join(format!(
        "safecert-test-{}-{}.pdf",
        std::process::id(),
        crate::helpers::unique_name("t")
    ));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output();
    std::fs::remove_file(&path).ok();
    match out {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        _ => {
            assert!(
                std::env::var_os("SAFECERT_REQUIRE_PDF_TOOLS").is_none(),
                "pdftotext is required here"
            );
            eprintln!("skipped PDF text checks: pdftotext is not installed");
            None
        }
    }
}

#[tokio::test]
async fn every_booked_candidate_downloads_a_chinese_admission_ticket() {
    // The ticket names the issuing authority the deployment configures.
    let app = crate::helpers::spawn_app_with(|env| {
        env.insert("ISSUER".into(), "南山区应急管理局".into());
    })
    .await;
    let bureau = app.bureau_admin().await;
    let sitting = app.sitting(&bureau, 10).await;
    let (enterprise, admin) = app
        .enterprise_with_admin(&bureau, "914403001922038216", 9000)
        .await;
    let enrolled = app
        .upload_roster(&admin, enterprise, sitting, roster_xlsx(1..4, &[]))
        .await;
    assert_eq!(enrolled.status, StatusCode::OK, "{}", enrolled.text);
    app.register_citizen(7, "司马䶮").await;
    let citizen = app.token(&phone(7), PASSWORD).await;
    let own = app
        .post(
            &format!("/api/v1/sittings/{sitting}/registrations"),
            Some(&citizen),
            json!({}),
        )
        .await;

    let mut registrations: Vec<(i64, String, String)> = enrolled.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let n = r["row"].as_i64().unwrap() - 1;
            (
                r["registration_id"].as_i64().unwrap(),
                format!("员工{n}"),
                admin.clone(),
            )
        })
        .collect();
    registrations.push((
        own.body["id"].as_i64().unwrap(),
        "司马䶮".into(),
        citizen.clone(),
    ));
    for (id, name, token) in &registrations {
        let resp = app
            .client
            .get(format!("{}/api/v1/registrations/{id}/ticket.pdf", app.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "application/pdf");
        let pdf = resp.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        assert!(
            pdf.len() < 100 * 1024,
            "a ticket embeds a font subset: {} bytes",
            pdf.len()
        );
        if let Some(text) = pdf_text(&pdf) {
            assert!(
                text.contains("准考证")
                    && text.contains(name.as_str())
                    && text.contains("南山区应急管理局"),
                "{text}"
            );
            assert!(
                text.contains("**********"),
                "the ID number is masked: {text}"
            );
            assert!(text.contains("福田区应急服务站"), "{text}");
        }
    }
    // The bureau may; a stranger may not (and learns nothing).
    let (first, _, _) = &registrations[0];
    assert_eq!(
        app.get(
            &format!("/api/v1/registrations/{first}/ticket.pdf"),
            Some(&bureau)
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/registrations/{first}/ticket.pdf"),
            Some(&citizen)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    // The QR code's target: the bureau (or the sitting's proctor) sees who holds the ticket.
    let code: String = safecert::with_pool!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT check_code FROM registrations WHERE id = $1").bind(first).fetch_one(pool).await.unwrap()
    });
    let check = app
        .get(&format!("/api/v1/tickets/{code}"), Some(&bureau))
        .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.text);
    assert_eq!(check.body["name"], "员工1");
    // Looking tickets up is for proctors: a candidate lacks the role (403, the matrix's rule).
    assert_eq!(
        app.get(&format!("/api/v1/tickets/{code}"), Some(&citizen))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
