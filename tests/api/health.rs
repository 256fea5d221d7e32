use crate::helpers::spawn_app;
use reqwest::StatusCode;

#[tokio::test]
async fn healthz_and_readyz_answer() {
    let app = spawn_app().await;
    let live = app.get("/healthz", None).await;
    assert_eq!(live.status, StatusCode::OK);
    assert_eq!(live.body["status"], "ok");

    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    assert_eq!(ready.body["database"], "ok");
    assert_eq!(ready.body["live_store"], "ok");
    let expected_store = if app.env.contains_key("REDIS_URL") {
        "redis"
    } else {
        "in_process"
    };
    assert_eq!(ready.body["live_store_kind"], expected_store);
}

#[tokio::test]
async fn readyz_reports_a_database_that_stopped_answering() {
    let app = spawn_app().await;
    app.state.db.close().await;
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.body["database"], "down");
    assert_eq!(ready.body["status"], "not_ready");
}

#[tokio::test]
async fn openapi_document_lists_the_contract_paths_and_swagger_ui_is_served() {
    let app = spawn_app().await;
    let spec = app.get("/api/openapi.json", None).await;
    assert_eq!(spec.status, StatusCode::OK);
    let paths = spec.body["paths"].as_object().expect("paths object");
    for path in [
        "/healthz",
        "/readyz",
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/streets",
        "/api/v1/enterprises",
        "/api/v1/users",
        "/api/v1/users/{id}",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    // Errors are documented with their shape.
    let login_responses = &spec.body["paths"]["/api/v1/auth/login"]["post"]["responses"];
    assert!(login_responses["401"].is_object());
    assert!(spec.text.contains("ErrorBody"));

    let docs = app.get("/api/docs", None).await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(docs.content_type.starts_with("text/html"));
    assert!(docs.text.to_lowercase().contains("swagger"));
}

#[tokio::test]
async fn unknown_paths_get_the_error_shape() {
    let app = spawn_app().await;
    let reply = app.get("/api/v1/no-such-thing", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.body["code"], "not_found");
    assert!(reply.body["message"].is_string());
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_cors_stays_closed() {
    let app = spawn_app().await;
    for path in [
        "/healthz",
        "/no/such/page",
        "/set-password?token=x",
        "/api/docs",
    ] {
        let resp = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        let h = resp.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        // Our pages run no inline script; Swagger UI's page needs it.
        assert_eq!(
            csp.contains("script-src 'self' 'unsafe-inline'"),
            path == "/api/docs",
            "{path}: {csp}"
        );
    }
    // The password page's script comes from the server, as the policy requires.
    let page = app.get("/set-password?token=x", None).await;
    assert!(
        page.text
            .contains(r#"<script src="/assets/set-password.js">"#)
    );
    assert!(!page.text.contains("<script>"));
    let js = app.get("/assets/set-password.js", None).await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.content_type.starts_with("text/javascript"));
    assert!(js.text.contains("/api/v1/auth/password-setup"));

    // No origin may read the API from a browser unless configured.
    let preflight = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/v1/sittings", app.base),
        )
        .header("origin", "https://elsewhere.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn a_configured_origin_may_call_the_api_from_a_browser() {
    let app = crate::helpers::spawn_app_with(|env| {
        env.insert(
            "CORS_ALLOWED_ORIGINS".into(),
            "https://portal.example.gov.cn".into(),
        );
    })
    .await;
    let ask = |origin: &'static str| {
        app.client
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/api/v1/sittings", app.base),
            )
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
    };
    let allowed = ask("https://portal.example.gov.cn").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://portal.example.gov.cn"
    );
    let other = ask("https://elsewhere.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn the_document_declares_the_checks_the_server_makes_and_both_answer_alike() {
    let app = spawn_app().await;
    let spec = app.get("/api/openapi.json", None).await.body;
    let schemas = &spec["components"]["schemas"];
    let register = &schemas["RegisterRequest"]["properties"];
    assert_eq!(register["name"]["maxLength"], 50);
    assert_eq!(register["password"]["minLength"], 8);
    assert_eq!(register["password"]["maxLength"], 128);
    assert!(register["phone"]["pattern"].is_string());
    let course = &schemas["CreateCourseRequest"]["properties"];
    assert_eq!(course["time_limit_minutes"]["minimum"], 1.0);
    assert_eq!(course["time_limit_minutes"]["maximum"], 600.0);
    assert_eq!(course["code"]["pattern"], "^[A-Za-z0-9_-]{1,32}$");
    let sitting = &schemas["CreateSittingRequest"]["properties"];
    assert_eq!(sitting["capacity"]["maximum"], 100000.0);

    // A name one character too long is refused the way our own checks refuse: 422, the field
    // named, a message in Chinese; nothing is created.
    let too_long = "张".repeat(51);
    let refused = app.register_citizen(7, &too_long).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(refused.body["code"], "invalid_input");
    assert_eq!(refused.body["field"], "name");
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("最多 50 个字符"),
        "{}",
        refused.text
    );
    // Fifty characters is within the declared limit and is accepted.
    let fifty = "张".repeat(50);
    assert_eq!(
        app.register_citizen(7, &fifty).await.status,
        StatusCode::CREATED
    );
    // A phone number the pattern refuses is refused; one with the separators people type is
    // accepted by the pattern and by the server.
    let mut body = serde_json::json!({
        "name": "李四", "id_number": crate::helpers::resident_id(8), "phone": "12345",
        "email": "li4@example.cn", "password": "safecert-2026",
    });
    let refused = app.post("/api/v1/auth/register", None, body.clone()).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["field"], "phone");
    body["phone"] = "+86 139-0000-0008".into();
    let created = app.post("/api/v1/auth/register", None, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
}

#[tokio::test]
async fn a_full_queue_answers_503_server_busy_with_retry_after_and_a_freed_turn_serves_the_next() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = crate::helpers::spawn_app_with(|env| {
        env.insert("MAX_IN_FLIGHT".into(), "1".into());
        env.insert("MAX_QUEUED".into(), "1".into());
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    // A client that sends a login's headers and holds back its body keeps the one turn busy.
    let body = r#"{"login": "13800000009", "password": "wrong-password-1"}"#;
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(
        format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    // The next request waits in line (the queue holds one)…
    let queued = {
        let client = app.client.clone();
        let url = format!("{}/api/v1/courses", app.base);
        tokio::spawn(async move { client.get(url).send().await.unwrap() })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // …and one more finds the line full: refused at once, told when to come back.
    let refused = app
        .client
        .get(format!("{}/api/v1/courses", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers()["retry-after"], "1");
    let refused = crate::helpers::read_reply(refused).await;
    assert_eq!(refused.body["code"], "server_busy");
    // Health checks are never queued.
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);

    // The slow client finishes; its request is answered, and the one in line runs after it.
    slow.write_all(body.as_bytes()).await.unwrap();
    let mut answer = String::new();
    slow.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let queued = queued.await.unwrap();
    assert_eq!(queued.status(), StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/courses", None).await.status,
        StatusCode::OK,
        "the turn is free again"
    );
}
