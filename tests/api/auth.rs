use crate::helpers::{PASSWORD, phone, resident_id, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_citizen_registers_logs_in_and_sees_themself_masked() {
    let app = spawn_app().await;
    let id_number = resident_id(7);
    let reply = app.register_citizen(7, "王小明").await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let masked = format!("{}**********{}", &id_number[..4], &id_number[14..]);
    assert_eq!(reply.body["id_number"], masked.as_str());
    assert_eq!(reply.body["roles"], json!(["candidate"]));
    assert_eq!(reply.body["name"], "王小明");
    assert!(reply.body.get("password").is_none());

    // By phone and by email (any case).
    let token = app.token(&phone(7), PASSWORD).await;
    let by_email = app.login("Citizen7@Example.CN", PASSWORD).await;
    assert_eq!(by_email.status, StatusCode::OK, "{}", by_email.text);
    assert_eq!(by_email.body["user"]["name"], "王小明");
    assert_eq!(by_email.body["user"]["roles"], json!(["candidate"]));
    assert!(by_email.body["expires_at"].as_str().unwrap().contains('T'));

    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["id"], reply.body["id"]);
    assert_eq!(me.body["id_number"], masked.as_str());
    assert!(
        !me.text.contains(&id_number),
        "the whole ID number must not leave"
    );
}

#[tokio::test]
async fn bad_id_numbers_are_refused_with_the_field_named_and_nothing_written() {
    let app = spawn_app().await;
    let mut wrong_check = resident_id(3);
    let last = wrong_check.pop().unwrap();
    wrong_check.push(if last == '1' { '2' } else { '1' });
    for bad in [wrong_check.as_str(), "4403041990", "ABCDEFGHIJKLMNOPQR"] {
        let reply = app
            .post(
                "/api/v1/auth/register",
                None,
                json!({"name": "李四", "id_number": bad, "phone": phone(3),
                       "email": "li4@example.cn", "password": PASSWORD}),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            reply.text
        );
        assert_eq!(reply.body["code"], "invalid_input");
        assert_eq!(reply.body["field"], "id_number");
    }
    // Nothing was written: the same phone can still register.
    assert_eq!(
        app.register_citizen(3, "李四").await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn other_bad_fields_are_named() {
    let app = spawn_app().await;
    let base = json!({"name": "赵六", "id_number": resident_id(4), "phone": phone(4),
                      "email": "zhao6@example.cn", "password": PASSWORD});
    for (field, value) in [
        ("phone", json!("12345")),
        ("email", json!("not-an-email")),
        ("password", json!("short1")),
        ("name", json!("  ")),
        ("id_type", json!("passport")),
    ] {
        let mut body = base.clone();
        body[field] = value;
        let reply = app.post("/api/v1/auth/register", None, body).await;
        if field == "id_type" {
            // 18 digits are also a well-formed passport number: accepted under that type.
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
            assert_eq!(reply.body["id_type"], "passport");
            continue;
        }
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            reply.text
        );
        assert_eq!(reply.body["field"], field);
    }
}

#[tokio::test]
async fn malformed_bodies_get_a_400_in_the_error_shape() {
    let app = spawn_app().await;
    let reply = app
        .post_raw("/api/v1/auth/register", "application/json", "{\"name\": ")
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["code"], "bad_request");
    let missing = app
        .post("/api/v1/auth/register", None, json!({"name": "钱七"}))
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.body["code"], "bad_request");
    assert!(
        missing.body["message"]
            .as_str()
            .unwrap()
            .contains("RegisterRequest"),
        "{}",
        missing.text
    );
}

#[tokio::test]
async fn duplicates_are_conflicts_naming_the_field() {
    let app = spawn_app().await;
    assert_eq!(
        app.register_citizen(1, "张三").await.status,
        StatusCode::CREATED
    );

    let same_phone = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"name": "张三三", "id_number": resident_id(2), "phone": phone(1),
                   "email": "other@example.cn", "password": PASSWORD}),
        )
        .await;
    assert_eq!(same_phone.status, StatusCode::CONFLICT);
    assert_eq!(same_phone.body["code"], "phone_taken");
    assert_eq!(same_phone.body["field"], "phone");

    let same_email = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"name": "张三三", "id_number": resident_id(2), "phone": phone(2),
                   "email": "CITIZEN1@example.cn", "password": PASSWORD}),
        )
        .await;
    assert_eq!(same_email.status, StatusCode::CONFLICT);
    assert_eq!(same_email.body["field"], "email");

    let same_id = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"name": "张三三", "id_number": resident_id(1).to_lowercase(), "phone": phone(2),
                   "email": "other@example.cn", "password": PASSWORD}),
        )
        .await;
    assert_eq!(same_id.status, StatusCode::CONFLICT);
    assert_eq!(same_id.body["field"], "id_number");

    // None of the refused sign-ups left a trace: the second person can still register.
    assert_eq!(
        app.register_citizen(2, "张三三").await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn wrong_passwords_are_refused_and_repeated_failures_lock_the_account() {
    let app = spawn_app_with(|env| {
        env.insert("LOGIN_MAX_FAILURES".into(), "3".into());
    })
    .await;
    app.register_citizen(5, "孙八").await;

    let unknown = app.login("13999999999", PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.body["code"], "invalid_credentials");

    for _ in 0..3 {
        let wrong = app.login(&phone(5), "wrong-password-1").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert_eq!(wrong.body["code"], "invalid_credentials");
    }
    // Locked now: even the right password waits.
    let locked = app.login(&phone(5), PASSWORD).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.text
    );
    assert_eq!(locked.body["code"], "account_locked");
}

#[tokio::test]
async fn a_success_resets_the_failure_count() {
    let app = spawn_app_with(|env| {
        env.insert("LOGIN_MAX_FAILURES".into(), "3".into());
    })
    .await;
    app.register_citizen(6, "周九").await;
    for _ in 0..2 {
        app.login(&phone(6), "wrong-password-1").await;
    }
    app.token(&phone(6), PASSWORD).await;
    for _ in 0..2 {
        app.login(&phone(6), "wrong-password-1").await;
    }
    // Two after a success do not lock (the count restarted).
    app.token(&phone(6), PASSWORD).await;
}

#[tokio::test]
async fn logout_revokes_the_token_and_bad_tokens_are_refused() {
    let app = spawn_app().await;
    app.register_citizen(8, "吴十").await;
    let token = app.token(&phone(8), PASSWORD).await;
    let other = app.token(&phone(8), PASSWORD).await;
    // Used once first, so the instance has it in its token cache when it is revoked.
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status,
        StatusCode::OK
    );

    let out = app
        .post("/api/v1/auth/logout", Some(&token), json!({}))
        .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.text);
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert_eq!(me.body["code"], "unauthenticated");
    // Another session of the same person is untouched.
    assert_eq!(
        app.get("/api/v1/me", Some(&other)).await.status,
        StatusCode::OK
    );

    let none = app.get("/api/v1/me", None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.body["code"], "unauthenticated");
    let forged = app.get("/api/v1/me", Some("sc_forged")).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn expired_tokens_stop_working() {
    let app = spawn_app_with(|env| {
        env.insert("TOKEN_TTL_HOURS".into(), "0".into());
    })
    .await;
    app.register_citizen(9, "郑一").await;
    let token = app.token(&phone(9), PASSWORD).await;
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn only_the_bureau_sees_whole_id_numbers() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let citizen = app.register_citizen(11, "冯二").await;
    let id = citizen.body["id"].as_i64().unwrap();
    app.register_citizen(12, "陈三").await;
    let neighbour = app.token(&phone(12), PASSWORD).await;
    let own = app.token(&phone(11), PASSWORD).await;

    let seen_by_bureau = app.get(&format!("/api/v1/users/{id}"), Some(&bureau)).await;
    assert_eq!(seen_by_bureau.status, StatusCode::OK);
    assert_eq!(seen_by_bureau.body["id_number"], resident_id(11).as_str());

    let seen_by_self = app.get(&format!("/api/v1/users/{id}"), Some(&own)).await;
    assert_eq!(seen_by_self.status, StatusCode::OK);
    assert!(
        seen_by_self.body["id_number"]
            .as_str()
            .unwrap()
            .contains("**********")
    );

    let seen_by_neighbour = app
        .get(&format!("/api/v1/users/{id}"), Some(&neighbour))
        .await;
    assert_eq!(seen_by_neighbour.status, StatusCode::NOT_FOUND);

    // The bureau finds a person by ID number (keyed-hash lookup), citizens may not.
    let found = app
        .get(
            &format!("/api/v1/users?id_number={}", resident_id(11)),
            Some(&bureau),
        )
        .await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.body["total"], 1);
    assert_eq!(found.body["items"][0]["id"], id);
    let refused = app
        .get(
            &format!("/api/v1/users?id_number={}", resident_id(11)),
            Some(&neighbour),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // At rest the number is neither plain nor recognisable.
    let stored: Vec<String> = safecert::with_pool!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT id_number_cipher FROM users WHERE id_number_cipher IS NOT NULL")
            .fetch_all(pool).await.unwrap()
    });
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|c| !c.contains(&resident_id(11)[6..14])));
}
