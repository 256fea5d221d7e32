//! One admission policy behind every way of booking a seat: the person themself, their
//! enterprise's admin, the bureau, and an enterprise's roster all refuse someone who has
//! passed the course or used up its retakes. Runs on both backends like every API test.

use crate::{helpers::TestApp, sittings::roster_xlsx};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

impl TestApp {
    /// Starts the exam of `sitting` and submits it blank: a fail.
    pub async fn fail(&self, token: &str, sitting: i64) {
        let start = self
            .post(
                &format!("/api/v1/sittings/{sitting}/attempts"),
                Some(token),
                json!({}),
            )
            .await;
        assert_eq!(start.status, StatusCode::CREATED, "{}", start.text);
        let attempt = start.body["id"].as_i64().unwrap();
        let result = self
            .post(
                &format!("/api/v1/attempts/{attempt}/submit"),
                Some(token),
                json!({}),
            )
            .await;
        assert_eq!(result.body["passed"], false, "{}", result.text);
    }

    async fn book_into(
        &self,
        sitting: i64,
        token: &str,
        user_id: Option<i64>,
    ) -> crate::helpers::Reply {
        let body = match user_id {
            Some(id) => json!({"user_id": id}),
            None => json!({}),
        };
        self.post(
            &format!("/api/v1/sittings/{sitting}/registrations"),
            Some(token),
            body,
        )
        .await
    }
}

fn bookings(reply: &crate::helpers::Reply) -> u64 {
    reply.body["total"].as_u64().unwrap()
}

#[tokio::test]
async fn every_booking_path_refuses_who_passed_or_has_no_retakes_left() {
    let app = crate::helpers::spawn_app().await;
    // No retakes: one attempt each.
    let exam = app.exam(Duration::hours(1), 0, false).await;
    let (enterprise, enterprise_admin) = app
        .enterprise_with_admin(&exam.bureau, "914403001922038216", 9000)
        .await;

    // The enterprise enrols three staff by roster; one passes, one fails, one waits.
    let enrolled = app
        .upload_roster(
            &enterprise_admin,
            enterprise,
            exam.sitting,
            roster_xlsx(1..4, &[]),
        )
        .await;
    assert_eq!(enrolled.status, StatusCode::OK, "{}", enrolled.text);
    let user = |row: usize| enrolled.body["rows"][row]["user_id"].as_i64().unwrap();
    let (passer, failer, newcomer) = (user(0), user(1), user(2));
    let passer_token = app.token_for(passer).await;
    let failer_token = app.token_for(failer).await;
    app.pass(exam.sitting, &passer_token).await;
    app.fail(&failer_token, exam.sitting).await;

    let next = app
        .open_sitting(&exam.bureau, exam.course, Duration::hours(2))
        .await;
    let booked_in_next = || async {
        app.get(
            &format!("/api/v1/registrations?sitting_id={next}"),
            Some(&exam.bureau),
        )
        .await
    };

    // The same roster for the next sitting: both rows named with their line, nobody booked.
    let refused = app
        .upload_roster(&enterprise_admin, enterprise, next, roster_xlsx(1..4, &[]))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(refused.body["code"], "roster_invalid");
    let errors: Vec<(u64, String)> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e: &Value| {
            (
                e["line"].as_u64().unwrap(),
                e["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].0, 2);
    assert!(errors[0].1.contains("已通过"), "{errors:?}");
    assert_eq!(errors[1].0, 3);
    assert!(errors[1].1.contains("次数已用完"), "{errors:?}");
    assert_eq!(
        bookings(&booked_in_next().await),
        0,
        "nothing from a refused roster is written"
    );

    // One at a time, by each booker: the same refusals.
    for (who, token, user_id) in [
        ("themself", passer_token.as_str(), None),
        ("their enterprise", enterprise_admin.as_str(), Some(passer)),
        ("the bureau", exam.bureau.as_str(), Some(passer)),
    ] {
        let r = app.book_into(next, token, user_id).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (StatusCode::CONFLICT, Some("already_passed")),
            "booked by {who}: {}",
            r.text
        );
    }
    for (who, token, user_id) in [
        ("themself", failer_token.as_str(), None),
        ("their enterprise", enterprise_admin.as_str(), Some(failer)),
        ("the bureau", exam.bureau.as_str(), Some(failer)),
    ] {
        let r = app.book_into(next, token, user_id).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (StatusCode::CONFLICT, Some("retake_limit_reached")),
            "booked by {who}: {}",
            r.text
        );
    }
    assert_eq!(bookings(&booked_in_next().await), 0);

    // Someone with an attempt left is admitted on every path.
    let by_enterprise = app.book_into(next, &enterprise_admin, Some(newcomer)).await;
    assert_eq!(
        by_enterprise.status,
        StatusCode::CREATED,
        "{}",
        by_enterprise.text
    );
    let again = app
        .upload_roster(&enterprise_admin, enterprise, next, roster_xlsx(3..4, &[]))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body["already_registered"], 1);
    assert_eq!(bookings(&booked_in_next().await), 1);

    // An enterprise admin books only their own staff.
    let (stranger, _) = app.quick_candidate(77).await;
    let r = app.book_into(next, &enterprise_admin, Some(stranger)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
}
