//! Yearly targets and the bureau's reports, checked against a small district built by hand
//! through the API: two streets, an enterprise, a first try and a retake, a no-show, a
//! renewal, a revocation and a certificate about to expire. Every figure below is counted
//! from that story, on both backends; the exports are read back and must say the same.

use crate::helpers::{PASSWORD, TestApp, phone};
use chrono::{Duration, FixedOffset, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

impl TestApp {
    pub async fn street(&self, bureau: &str, name: &str, area_km2: f64, population: i64) -> i64 {
        let s = self
            .post(
                "/api/v1/streets",
                Some(bureau),
                json!({"name": name, "area_km2": area_km2, "population": population}),
            )
            .await;
        assert_eq!(s.status, StatusCode::CREATED, "{}", s.text);
        s.body["id"].as_i64().unwrap()
    }

    /// A street and its officer (街道应急办), logged in.
    pub async fn street_officer(&self, bureau: &str, street: &str, n: u32) -> (i64, String) {
        let street = self.street(bureau, street, 3.0, 30_000).await;
        (street, self.officer_of(bureau, street, n).await)
    }

    /// An officer of `street`, logged in.
    pub async fn officer_of(&self, bureau: &str, street: i64, n: u32) -> String {
        let officer = self
            .post(
                "/api/v1/users",
                Some(bureau),
                json!({"name": "街道应急办干部", "phone": phone(n), "email": format!("so{n}@example.cn"),
                       "password": PASSWORD, "roles": ["street_officer"], "street_id": street}),
            )
            .await;
        assert_eq!(officer.status, StatusCode::CREATED, "{}", officer.text);
        assert_eq!(officer.body["street_id"], street);
        self.token(&phone(n), PASSWORD).await
    }

    /// A candidate who lives in `street` or works for `enterprise`.
    async fn resident(
        &self,
        n: u32,
        street: Option<i64>,
        enterprise: Option<i64>,
    ) -> (i64, String) {
        let (id, token) = self.quick_candidate(n).await;
        safecert::with_pool!(&self.state.db, pool => {
            sqlx::query("UPDATE users SET street_id = $1, enterprise_id = $2 WHERE id = $3")
                .bind(street).bind(enterprise).bind(id).execute(pool).await.unwrap().rows_affected()
        });
        (id, token)
    }

    async fn book(&self, sitting: i64, token: &str) {
        let r = self
            .post(
                &format!("/api/v1/sittings/{sitting}/registrations"),
                Some(token),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
}

fn china_today() -> NaiveDate {
    Utc::now()
        .with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive()
}

struct District {
    bureau: String,
    first_responder: i64,
    refresher: i64,
    east: i64,
    west: i64,
    enterprise: i64,
    enterprise_admin: String,
    east_officer: String,
    p1: i64,
    p2: i64,
    p5: i64,
}

/// The story every figure is counted from:
/// - p1 (lives in 东街) passes the first-responder exam, then renews it by the refresher.
/// - p2 (works for the 电镀 enterprise in 西街) fails, then passes a retake; the certificate
///   is set to expire in 45 days.
/// - p3 (东街) books a sitting that ends without them: a no-show.
/// - p4 (lives in 西街) passes, and the bureau revokes the certificate.
/// - p5 (the enterprise's) has no certificate.
async fn district(app: &TestApp) -> District {
    let exam = app.exam(Duration::hours(1), 2, false).await;
    let bureau = exam.bureau.clone();
    let east = app.street(&bureau, "东街", 2.0, 10_000).await;
    let west = app.street(&bureau, "西街", 4.0, 20_000).await;
    let enterprise = app
        .post(
            "/api/v1/enterprises",
            Some(&bureau),
            json!({"name": "西街电镀厂", "credit_code": "914403001922038216", "industry": "电镀", "street_id": west}),
        )
        .await;
    assert_eq!(
        enterprise.status,
        StatusCode::CREATED,
        "{}",
        enterprise.text
    );
    let enterprise = enterprise.body["id"].as_i64().unwrap();
    let admin = app
        .post(
            "/api/v1/users",
            Some(&bureau),
            json!({"name": "电镀厂安全主管", "phone": phone(8100), "email": "ea8100@example.cn",
               "password": PASSWORD, "roles": ["enterprise_admin"], "enterprise_id": enterprise}),
        )
        .await;
    assert_eq!(admin.status, StatusCode::CREATED, "{}", admin.text);
    let enterprise_admin = app.token(&phone(8100), PASSWORD).await;
    let east_officer = app.officer_of(&bureau, east, 8101).await;

    let refresher = app
        .post(
            "/api/v1/courses",
            Some(&bureau),
            json!({"code": "RE-EXAM", "title": "应急第一响应人复训", "category": "first_responder", "training_hours": 8,
                   "pass_mark": 2.0, "time_limit_minutes": 30, "validity_months": 36, "renews_course_id": exam.course,
                   "blueprint": app.get(&format!("/api/v1/courses/{}", exam.course), None).await.body["blueprint"]}),
        )
        .await;
    assert_eq!(refresher.status, StatusCode::CREATED, "{}", refresher.text);
    let refresher = refresher.body["id"].as_i64().unwrap();

    let (p1, t1) = app.resident(8001, Some(east), None).await;
    let (p2, t2) = app.resident(8002, None, Some(enterprise)).await;
    let (_p3, t3) = app.resident(8003, Some(east), None).await;
    let (_p4, t4) = app.resident(8004, Some(west), None).await;
    let (p5, _) = app.resident(8005, None, Some(enterprise)).await;

    for t in [&t1, &t2, &t4] {
        app.book(exam.sitting, t).await;
    }
    app.pass(exam.sitting, &t1).await;
    app.fail(&t2, exam.sitting).await;
    app.pass(exam.sitting, &t4).await;

    let retake = app
        .open_sitting(&bureau, exam.course, Duration::hours(1))
        .await;
    app.book(retake, &t2).await;
    app.pass(retake, &t2).await;

    let missed = app
        .open_sitting(&bureau, exam.course, Duration::hours(1))
        .await;
    app.book(missed, &t3).await;
    safecert::with_pool!(&app.state.db, pool => {
        sqlx::query("UPDATE sittings SET ends_at = $1 WHERE id = $2")
            .bind(Utc::now() - Duration::seconds(1)).bind(missed).execute(pool).await.unwrap().rows_affected()
    });

    let renewal = app
        .open_sitting(&bureau, refresher, Duration::hours(1))
        .await;
    app.book(renewal, &t1).await;
    app.pass(renewal, &t1).await;

    let p4_certificate = app.get("/api/v1/certificates", Some(&t4)).await.body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let revoked = app
        .post(
            &format!("/api/v1/certificates/{p4_certificate}/revoke"),
            Some(&bureau),
            json!({"reason": "考试舞弊"}),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);

    let p2_certificate = app.get("/api/v1/certificates", Some(&t2)).await.body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let soon = china_today() + Duration::days(45);
    safecert::with_pool!(&app.state.db, pool => {
        sqlx::query("UPDATE certificates SET expires_on = $1 WHERE id = $2")
            .bind(soon).bind(p2_certificate).execute(pool).await.unwrap().rows_affected()
    });

    District {
        bureau,
        first_responder: exam.course,
        refresher,
        east,
        west,
        enterprise,
        enterprise_admin,
        east_officer,
        p1,
        p2,
        p5,
    }
}

/// The activity report for the week around today, grouped by course.
async fn activity(app: &TestApp, token: &str, extra: &str) -> crate::helpers::Reply {
    let today = china_today();
    app.get(
        &format!(
            "/api/v1/reports/activity?from={}&to={}{extra}",
            today - Duration::days(7),
            today + Duration::days(1)
        ),
        Some(token),
    )
    .await
}

fn row<'a>(report: &'a Value, group: &str) -> &'a Value {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == group)
        .unwrap_or_else(|| panic!("no row {group} in {report}"))
}

fn close(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected).abs() < 1e-9)
}

#[tokio::test]
async fn the_activity_report_counts_the_district_by_hand() {
    let app = crate::helpers::spawn_app().await;
    let d = district(&app).await;
    let report = activity(&app, &d.bureau, "").await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text);

    let fr = row(&report.body, "应急第一响应人理论考核");
    // p1, p2 and p4 in the first sitting, p2's retake, p3's missed sitting.
    assert_eq!(fr["registrations"], 5, "{fr}");
    assert_eq!(fr["no_shows"], 1, "p3 never started");
    assert_eq!(fr["attempts"], 4);
    assert_eq!(fr["finished"], 4);
    assert_eq!(fr["passed"], 3);
    // First tries: p1 passed, p2 failed, p4 passed; the retake is no first try.
    assert!(close(&fr["first_try_pass_rate"], 2.0 / 3.0), "{fr}");
    assert!(close(&fr["pass_rate"], 0.75), "{fr}");
    assert!(
        close(&fr["average_score_pct"], 75.0),
        "three full marks and a zero: {fr}"
    );
    // p1, p2 and p4 were certified (p4's later revoked); p1's renewal renews this course.
    assert_eq!(fr["certificates_issued"], 3);
    assert_eq!(fr["certificates_renewed"], 1);
    assert_eq!(fr["certificates_revoked"], 1);
    assert_eq!(fr["expiring_30_days"], 0);
    assert_eq!(fr["expiring_60_days"], 1, "p2's, in 45 days");
    assert_eq!(fr["expiring_90_days"], 1);

    let refresher = row(&report.body, "应急第一响应人复训");
    assert_eq!(refresher["registrations"], 1);
    assert_eq!(refresher["passed"], 1);
    assert_eq!(
        refresher["certificates_issued"], 0,
        "a renewal is of the course it renews"
    );

    let total = row(&report.body, "合计");
    assert_eq!(total["registrations"], 6);
    assert_eq!(total["attempts"], 5);
    assert!(close(&total["pass_rate"], 0.8));

    // By street: p1 and p3 live in 东街; p2 counts in 西街 through the enterprise.
    let by_street = activity(&app, &d.bureau, "&group_by=street").await;
    let east = row(&by_street.body, "东街");
    assert_eq!(east["registrations"], 3, "p1 twice, p3 once: {east}");
    assert_eq!(east["no_shows"], 1);
    assert_eq!(east["certificates_renewed"], 1);
    let west = row(&by_street.body, "西街");
    assert_eq!(west["registrations"], 3, "p2 twice, p4 once: {west}");
    assert_eq!(west["certificates_revoked"], 1);

    // The same report by its name, and a name that is no report.
    let today = china_today();
    let by_name = app
        .get(
            &format!(
                "/api/v1/reports/{}?from={}&to={}",
                "activity",
                today - Duration::days(7),
                today + Duration::days(1)
            ),
            Some(&d.bureau),
        )
        .await;
    assert_eq!(by_name.body, report.body);
    let unknown = app.get("/api/v1/reports/nothing", Some(&d.bureau)).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["code"], "report_not_found");

    let by_industry = activity(&app, &d.bureau, "&group_by=industry").await;
    assert_eq!(
        row(&by_industry.body, "电镀")["attempts"],
        2,
        "p2's two tries"
    );
    let by_month = activity(&app, &d.bureau, "&group_by=month").await;
    assert_eq!(row(&by_month.body, "合计")["registrations"], 6);

    // Once every sitting and day is over, the report reads the books instead of the rows,
    // and says the same, for every grouping and area.
    let views = [
        (&d.bureau, ""),
        (&d.bureau, "&group_by=street"),
        (&d.bureau, "&group_by=industry"),
        (&d.bureau, "&group_by=enterprise"),
        (&d.bureau, "&group_by=month"),
        (&d.east_officer, ""),
        (&d.enterprise_admin, ""),
    ];
    let mut before = Vec::new();
    for (who, extra) in views {
        before.push(activity(&app, who, extra).await.body["items"].clone());
    }
    let (sittings, days) = safecert::reports::books::close(
        &app.state.db,
        Utc::now() + Duration::days(2),
        china_today() + Duration::days(2),
    )
    .await
    .unwrap();
    assert_eq!(sittings, 4, "the four sittings of the story");
    assert!(days > 0);
    let in_books: i64 = safecert::with_pool!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM sitting_facts").fetch_one(pool).await.unwrap()
    });
    assert!(in_books > 0);
    for ((who, extra), before) in views.into_iter().zip(before) {
        let after = activity(&app, who, extra).await.body["items"].clone();
        assert_eq!(after, before, "{extra}");
    }

    let backwards = app
        .get(
            "/api/v1/reports/activity?from=2026-02-01&to=2026-01-01",
            Some(&d.bureau),
        )
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(backwards.body["field"], "to");
}

#[tokio::test]
async fn targets_count_distinct_people_with_renewals_apart_and_streets_show_density() {
    let app = crate::helpers::spawn_app().await;
    let d = district(&app).await;
    let year = china_today()
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .unwrap();
    let set = |body: Value| {
        let app = &app;
        let bureau = d.bureau.clone();
        async move { app.post("/api/v1/targets", Some(&bureau), body).await }
    };
    let course = set(json!({"year": year, "course_id": d.first_responder, "target": 10})).await;
    assert_eq!(course.status, StatusCode::CREATED, "{}", course.text);
    // p1 and p2 hold first certificates; p4's was revoked; p1's renewal counts apart.
    assert_eq!(course.body["achieved"], 2, "{}", course.text);
    assert_eq!(course.body["renewed"], 1);
    assert!(close(&course.body["share"], 0.2));
    assert_eq!(course.body["remaining"], 8);

    let east =
        set(json!({"year": year, "category": "first_responder", "street_id": d.east, "target": 4}))
            .await;
    assert_eq!(east.status, StatusCode::CREATED, "{}", east.text);
    assert_eq!(east.body["achieved"], 1, "p1 only");
    let industry = set(json!({"year": year, "industry": "电镀", "target": 5})).await;
    assert_eq!(industry.body["achieved"], 1, "p2, through the enterprise");

    let again = set(json!({"year": year, "course_id": d.first_responder, "target": 12})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["code"], "target_exists");
    let both =
        set(json!({"year": year, "street_id": d.east, "industry": "电镀", "target": 3})).await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(both.body["field"], "industry");
    let none = set(json!({"year": year, "target": 0})).await;
    assert_eq!(none.body["field"], "target");

    let listed = app
        .get(&format!("/api/v1/targets?year={year}"), Some(&d.bureau))
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(listed.body["total"], 3);
    let density = |body: &Value, street: i64| {
        body["density"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["street_id"] == street)
            .cloned()
    };
    // 东街: p1 on 2 km² and 10,000 residents; 西街: p2 on 4 km² and 20,000.
    let e = density(&listed.body, d.east).unwrap();
    assert_eq!(e["responders"], 1);
    assert!(
        close(&e["per_km2"], 0.5) && close(&e["per_10k_residents"], 1.0),
        "{e}"
    );
    assert_eq!(e["meets_benchmark"], false);
    let w = density(&listed.body, d.west).unwrap();
    assert_eq!(
        w["responders"], 1,
        "p4's revoked certificate does not count"
    );
    assert!(close(&w["per_km2"], 0.25));

    // A street officer sees their street's target and density only.
    let officer = app
        .get(
            &format!("/api/v1/targets?year={year}"),
            Some(&d.east_officer),
        )
        .await;
    assert_eq!(officer.status, StatusCode::OK, "{}", officer.text);
    assert_eq!(officer.body["total"], 1);
    assert_eq!(officer.body["items"][0]["street_id"], d.east);
    assert!(density(&officer.body, d.west).is_none());
    assert_eq!(officer.body["density"].as_array().unwrap().len(), 1);
    let refused = app
        .post(
            "/api/v1/targets",
            Some(&d.east_officer),
            json!({"year": year, "street_id": d.east, "target": 99}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/api/v1/targets", Some(&d.enterprise_admin))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_street_officer_sees_their_street_and_nothing_of_the_others() {
    let app = crate::helpers::spawn_app().await;
    let d = district(&app).await;

    let report = activity(&app, &d.east_officer, "").await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text);
    let fr = row(&report.body, "应急第一响应人理论考核");
    // Only p1 (first sitting) and p3 (missed sitting) live in 东街.
    assert_eq!(fr["registrations"], 2, "{fr}");
    assert_eq!(fr["no_shows"], 1);
    assert_eq!(fr["passed"], 1);
    assert_eq!(fr["certificates_revoked"], 0, "p4's revocation is 西街's");
    assert_eq!(fr["expiring_60_days"], 0, "p2's certificate is 西街's");
    assert_eq!(row(&report.body, "合计")["registrations"], 3);

    let own = app
        .get(
            &format!("/api/v1/reports/person-record?user_id={}", d.p1),
            Some(&d.east_officer),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    let other = app
        .get(
            &format!("/api/v1/reports/person-record?user_id={}", d.p2),
            Some(&d.east_officer),
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "p2 counts in 西街");
    let enterprise = app
        .get(
            &format!(
                "/api/v1/reports/enterprise-record?enterprise_id={}",
                d.enterprise
            ),
            Some(&d.east_officer),
        )
        .await;
    assert_eq!(enterprise.status, StatusCode::NOT_FOUND);
    let compliance = app
        .get(
            &format!(
                "/api/v1/reports/compliance?course_id={}&days=60",
                d.first_responder
            ),
            Some(&d.east_officer),
        )
        .await;
    assert_eq!(
        compliance.body["total"], 0,
        "no enterprise in 东街: {}",
        compliance.text
    );
    let density = app
        .get("/api/v1/reports/street-density", Some(&d.east_officer))
        .await;
    assert_eq!(density.body["total"], 1);
    assert_eq!(density.body["items"][0]["street"], "东街");
}

#[tokio::test]
async fn records_and_compliance_show_each_person_and_enterprise() {
    let app = crate::helpers::spawn_app().await;
    let d = district(&app).await;

    // 一人一档 of p1: two bookings and two certificates, the ID number masked.
    let record = app
        .get(
            &format!("/api/v1/reports/person-record?user_id={}", d.p1),
            Some(&d.bureau),
        )
        .await;
    assert_eq!(record.status, StatusCode::OK, "{}", record.text);
    let items = record.body["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["考试", "考试", "证书", "证书"], "{}", record.text);
    assert!(items.iter().take(2).all(|r| r["passed"] == "通过"));
    assert!(
        record.body["title"].as_str().unwrap().contains("**"),
        "masked ID"
    );

    // The enterprise admin sees their compliance: p2 expiring, p5 and themself without one.
    let compliance = app
        .get(
            &format!(
                "/api/v1/reports/compliance?course_id={}&days=60",
                d.first_responder
            ),
            Some(&d.enterprise_admin),
        )
        .await;
    assert_eq!(compliance.status, StatusCode::OK, "{}", compliance.text);
    let status_of = |name: &str| {
        compliance.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .map(|r| r["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status_of("考生8002").as_deref(), Some("45天内到期"));
    assert_eq!(status_of("考生8005").as_deref(), Some("缺证"));
    assert_eq!(compliance.body["total"], 3, "{}", compliance.text);
    let within_30 = app
        .get(
            &format!(
                "/api/v1/reports/compliance?course_id={}&days=30",
                d.first_responder
            ),
            Some(&d.enterprise_admin),
        )
        .await;
    assert_eq!(within_30.body["total"], 2, "p2's is not due within 30 days");

    // Paged: the pages hold the list in order, each with the count of all.
    let all: Vec<String> = compliance.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    let mut paged = Vec::new();
    for offset in 0..4 {
        let page = app
            .get(
                &format!(
                    "/api/v1/reports/compliance?course_id={}&days=60&limit=1&offset={offset}",
                    d.first_responder
                ),
                Some(&d.enterprise_admin),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert_eq!(page.body["total"], 3, "offset {offset}: {}", page.text);
        let items = page.body["items"].as_array().unwrap();
        assert_eq!(items.len(), usize::from(offset < 3), "{}", page.text);
        paged.extend(
            items
                .iter()
                .map(|r| r["name"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(paged, all);

    // 一企一档, for their own enterprise without naming it.
    let record = app
        .get(
            "/api/v1/reports/enterprise-record",
            Some(&d.enterprise_admin),
        )
        .await;
    assert_eq!(record.status, StatusCode::OK, "{}", record.text);
    let p2 = record.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "考生8002")
        .unwrap()
        .clone();
    assert_eq!(p2["bookings"], 2);
    assert_eq!(p2["attempts"], 2);
    assert_eq!(p2["passed"], 1);
    assert_eq!(p2["certificate_status"], "有效");
    // …and not another person's record.
    let hidden = app
        .get(
            &format!("/api/v1/reports/person-record?user_id={}", d.p1),
            Some(&d.enterprise_admin),
        )
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let own_staff = app
        .get(
            &format!("/api/v1/reports/person-record?user_id={}", d.p5),
            Some(&d.enterprise_admin),
        )
        .await;
    assert_eq!(own_staff.status, StatusCode::OK);
    let _ = (d.refresher, d.west);
}

#[tokio::test]
async fn exports_read_back_as_csv_and_xlsx_with_the_same_totals() {
    let app = crate::helpers::spawn_app().await;
    let d = district(&app).await;
    let json = activity(&app, &d.bureau, "").await;
    let total = row(&json.body, "合计").clone();

    let csv = app
        .client
        .get(format!("{}/api/v1/reports/activity", app.base))
        .bearer_auth(&d.bureau)
        .header("accept", "text/csv")
        .query(&[
            ("from", (china_today() - Duration::days(7)).to_string()),
            ("to", (china_today() + Duration::days(1)).to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("activity.csv")
    );
    let bytes = csv.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a byte-order mark for Excel");
    let mut reader = ::csv::Reader::from_reader(&bytes[3..]);
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(headers[0], "分组");
    assert_eq!(headers[1], "报名人次");
    let rows: Vec<::csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let last = rows.last().unwrap();
    assert_eq!(&last[0], "合计");
    assert_eq!(
        last[1].parse::<i64>().unwrap(),
        total["registrations"].as_i64().unwrap()
    );
    assert_eq!(&last[3], total["attempts"].to_string().as_str());

    let xlsx = app
        .client
        .get(format!("{}/api/v1/reports/activity", app.base))
        .bearer_auth(&d.bureau)
        .query(&[
            ("format", "xlsx".to_string()),
            ("from", (china_today() - Duration::days(7)).to_string()),
            ("to", (china_today() + Duration::days(1)).to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    let cells = xlsx_cells(xlsx).await;
    assert_eq!(cells[0][0], "分组");
    assert_eq!(cells[0][14], "90天内到期");
    let last = cells.last().unwrap();
    assert_eq!(last[0], "合计");
    assert_eq!(last[1], total["registrations"].to_string());
    assert_eq!(cells.len(), rows.len() + 1, "the same rows as the CSV");

    // The records export too.
    let record = app
        .get(
            &format!("/api/v1/reports/person-record?user_id={}&format=csv", d.p2),
            Some(&d.bureau),
        )
        .await;
    assert_eq!(record.status, StatusCode::OK);
    assert!(record.text.contains("记录类别"), "{}", record.text);
    // As xlsx too, though its title holds a masked ID number (a sheet name may hold no *).
    let xlsx = app
        .client
        .get(format!(
            "{}/api/v1/reports/person-record?user_id={}&format=xlsx",
            app.base, d.p2
        ))
        .bearer_auth(&d.bureau)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    use calamine::Reader as _;
    let mut book =
        calamine::Xlsx::new(std::io::Cursor::new(xlsx.bytes().await.unwrap().to_vec())).unwrap();
    assert!(book.sheet_names()[0].starts_with("一人一档"));
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(
        sheet.rows().count(),
        1 + 3,
        "a header, two bookings and a certificate"
    );
}

#[tokio::test]
async fn question_statistics_come_from_grading_and_a_retired_question_leaves_new_papers() {
    let app = crate::helpers::spawn_app().await;
    let d = district(&app).await;
    let stats = app
        .get("/api/v1/reports/question-stats", Some(&d.bureau))
        .await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.text);
    let by_ref = |r: &str| {
        stats.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["ref"] == r)
            .unwrap_or_else(|| panic!("{r} in {}", stats.text))
            .clone()
    };
    // Five finished papers hold the bank's three questions: four full marks, one blank.
    let cpr = by_ref("T-CPR-001");
    assert_eq!(cpr["used"], 5);
    assert!(close(&cpr["facility"], 0.8), "{cpr}");
    assert!(cpr["discrimination"].is_null(), "too few uses for an index");
    // Options are counted by the question's own keys, whatever each paper's shuffle.
    assert_eq!(cpr["options"], "C:4", "{cpr}");
    assert_eq!(by_ref("T-FIRE-001")["options"], "A:4 B:4 C:4");
    assert_eq!(by_ref("T-FIRE-002")["options"], "F:4");

    assert_eq!(
        app.get("/api/v1/reports/question-stats", Some(&d.east_officer))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // The bureau retires the question; papers drawn after it leave it out, and with a bank of
    // one single-choice question the course can no longer be filled.
    let bank = app
        .get("/api/v1/question-banks", Some(&d.bureau))
        .await
        .body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let questions = app
        .get(
            &format!("/api/v1/question-banks/{bank}/questions"),
            Some(&d.bureau),
        )
        .await;
    let mut question = questions.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["ref"] == "T-CPR-001")
        .unwrap()
        .clone();
    assert_eq!(question["id"], cpr["question_id"]);
    question["status"] = json!("retired");
    let retired = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/questions/{}", question["id"]),
            Some(&d.bureau),
            Some(question),
        )
        .await;
    assert_eq!(retired.status, StatusCode::OK, "{}", retired.text);
    let preview = app
        .post(
            &format!("/api/v1/courses/{}/paper-preview", d.first_responder),
            Some(&d.bureau),
            json!({"seed": 7}),
        )
        .await;
    assert_eq!(preview.status, StatusCode::CONFLICT, "{}", preview.text);
    assert_eq!(preview.body["code"], "blueprint_unsatisfiable");
    let after = app
        .get("/api/v1/reports/question-stats", Some(&d.bureau))
        .await;
    assert!(after.text.contains("已停用"), "{}", after.text);
}

#[tokio::test]
async fn the_dashboard_shows_each_area_its_own_figures_and_lets_the_bureau_retire_a_question() {
    use crate::pages::Browser;
    let app = crate::helpers::spawn_app().await;
    let d = district(&app).await;
    let year = china_today().format("%Y").to_string();
    app.post(
        "/api/v1/targets",
        Some(&d.bureau),
        json!({"year": year.parse::<i32>().unwrap(), "course_id": d.first_responder, "target": 10}),
    )
    .await;
    app.post(
        "/api/v1/targets",
        Some(&d.bureau),
        json!({"year": year.parse::<i32>().unwrap(), "street_id": d.west, "target": 6}),
    )
    .await;

    let mut bureau = Browser::new(&app);
    assert_eq!(
        bureau.get("/dashboard").await.location,
        "/login?next=%2Fdashboard"
    );
    bureau.log_in("13900000001", PASSWORD).await;
    let page = bureau.get("/dashboard").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert_eq!(page.count("data-target"), 2);
    assert!(
        page.html.contains(r#"data-achieved="2""#),
        "p1 and p2 hold first certificates"
    );
    assert!(page.html.contains("东街") && page.html.contains("西街"));
    assert!(page.html.contains("<svg"), "charts are drawn on the server");
    assert!(page.html.contains(r#"data-section="questions""#));
    assert!(page.html.contains("统计看板"), "the header links it");

    // Retiring from the table: the question leaves the bank's active ones.
    let cpr_id = app
        .get("/api/v1/reports/question-stats", Some(&d.bureau))
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["ref"] == "T-CPR-001")
        .unwrap()["question_id"]
        .as_i64()
        .unwrap();
    let retired = bureau
        .post(&format!("/dashboard/questions/{cpr_id}/retire"), &[])
        .await;
    assert_eq!(retired.status, StatusCode::SEE_OTHER);
    let page = bureau.get("/dashboard?retired=1").await;
    assert!(page.html.contains("已停用该试题"));
    let status: String = safecert::with_pool!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT status FROM questions WHERE id = $1").bind(cpr_id).fetch_one(pool).await.unwrap()
    });
    assert_eq!(status, "retired");

    // The 东街 officer sees 东街 only, and no question table.
    let mut officer = Browser::new(&app);
    officer.log_in(&phone(8101), PASSWORD).await;
    let page = officer.get("/dashboard").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert_eq!(
        page.count("data-target"),
        0,
        "both targets are other areas'"
    );
    assert!(page.html.contains("东街") && !page.html.contains("西街"));
    assert!(!page.html.contains(r#"data-section="questions""#));
    let refused = officer
        .post(&format!("/dashboard/questions/{cpr_id}/retire"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // An enterprise admin and a citizen have no dashboard.
    let mut admin = Browser::new(&app);
    admin.log_in(&phone(8100), PASSWORD).await;
    assert_eq!(admin.get("/dashboard").await.status, StatusCode::FORBIDDEN);
    let _ = d.enterprise_admin;
}

/// A district's compliance list runs long, so its files are written as the database hands
/// the rows over: the CSV and the xlsx hold every row of the JSON report, in its order,
/// across many pieces of the stream.
#[tokio::test]
async fn a_long_compliance_export_streams_every_row() {
    let app = crate::helpers::spawn_app_with(|env| {
        env.insert("SHIPPED_BANKS".into(), "true".into());
    })
    .await;
    safecert::seed_district::seed(&app.state, safecert::seed_district::Scale::district(0.02))
        .await
        .unwrap();
    let bureau = app.bureau_admin().await;
    let courses = app.get("/api/v1/courses?limit=100", Some(&bureau)).await;
    let course = courses.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "first_responder")
        .expect("the shipped first-responder course")["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/reports/compliance?course_id={course}&days=90");
    // As JSON the list comes a page at a time (50 unasked); gathered page by page.
    let first = app.get(&path, Some(&bureau)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["items"].as_array().unwrap().len(), 50);
    let total = first.body["total"].as_u64().unwrap() as usize;
    let mut items = Vec::new();
    while items.len() < total {
        let page = app
            .get(
                &format!("{path}&limit=500&offset={}", items.len()),
                Some(&bureau),
            )
            .await;
        assert_eq!(page.body["total"], total, "{}", page.text);
        let rows = page.body["items"].as_array().unwrap();
        assert!(!rows.is_empty(), "a page before the end is not empty");
        items.extend(rows.iter().cloned());
    }
    assert!(
        items.len() > 2_000,
        "long enough to span many pieces: {}",
        items.len()
    );
    assert_eq!(
        first.body["items"].as_array().unwrap()[..],
        items[..50],
        "the default page is the first"
    );

    let csv = app
        .client
        .get(format!("{}{path}&format=csv", app.base))
        .bearer_auth(&bureau)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let bytes = csv.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let mut reader = ::csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(&reader.headers().unwrap()[0], "企业");
    let rows: Vec<::csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), items.len(), "every row, once");
    for (row, item) in rows.iter().zip(&items) {
        assert_eq!(
            (&row[0], &row[2], &row[5]),
            (
                item["enterprise"].as_str().unwrap(),
                item["name"].as_str().unwrap(),
                item["status"].as_str().unwrap()
            ),
            "in the report's order"
        );
    }

    let xlsx = app
        .client
        .get(format!("{}{path}&format=xlsx", app.base))
        .bearer_auth(&bureau)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    let cells = xlsx_cells(xlsx).await;
    assert_eq!(cells.len(), items.len() + 1, "a title row and every row");
    assert_eq!(cells[0][0], "企业");
    let last = items.last().unwrap();
    assert_eq!(
        cells.last().unwrap()[2],
        last["name"].as_str().unwrap(),
        "{:?} against {last}",
        cells.last()
    );
}

/// An xlsx response read back: the first sheet's cells as text, row by row.
async fn xlsx_cells(response: reqwest::Response) -> Vec<Vec<String>> {
    use calamine::Reader as _;
    let bytes = response.bytes().await.unwrap().to_vec();
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}
