//! Starts the real application on a random port against a fresh database, the way a client
//! meets it. The backend comes from the environment, so one test body runs on each:
//! - no variables: SQLite in a temporary directory and the in-process live store;
//! - `TEST_DATABASE_URL=postgres://...`: a fresh PostgreSQL database per test, dropped after;
//! - `TEST_REDIS_URL=redis://...`: Redis, with a key prefix of its own per test.

use reqwest::{Method, StatusCode};
use safecert::{AppState, accounts, config::Config, startup::Application};
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    sync::atomic::{AtomicU32, Ordering},
};

pub const PASSWORD: &str = "anquan-2026";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub env: HashMap<String, String>,
    _data_dir: Option<tempfile::TempDir>,
    _postgres: Option<FreshPostgres>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A name no other test (or test process) uses.
pub fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// A throw-away PostgreSQL database, dropped when the test ends.
pub struct FreshPostgres {
    admin_url: String,
    name: String,
    pub url: String,
}

impl FreshPostgres {
    pub async fn create(admin_url: &str) -> Self {
        let name = unique_name("sc_test");
        let admin = sqlx::PgPool::connect(admin_url)
            .await
            .expect("TEST_DATABASE_URL answers");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&admin)
            .await
            .expect("create test database");
        admin.close().await;
        let mut url = url::Url::parse(admin_url).unwrap();
        url.set_path(&name);
        Self {
            admin_url: admin_url.to_string(),
            name,
            url: url.to_string(),
        }
    }
}

impl Drop for FreshPostgres {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(admin) = sqlx::PgPool::connect(&admin_url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&admin)
                    .await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

/// The configuration a test app runs with: a temporary DATA_DIR, port 0, and the backend
/// chosen by TEST_DATABASE_URL / TEST_REDIS_URL.
pub struct TestEnv {
    pub vars: HashMap<String, String>,
    pub data_dir: tempfile::TempDir,
    pub postgres: Option<FreshPostgres>,
}

impl TestEnv {
    pub async fn new() -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let mut vars = HashMap::new();
        vars.insert("DATA_DIR".into(), data_dir.path().display().to_string());
        vars.insert("BIND".into(), "127.0.0.1:0".into());
        vars.insert("DEMO_DATA".into(), "false".into());
        // Most tests bring their own questions; the shipped-bank tests turn this back on.
        vars.insert("SHIPPED_BANKS".into(), "false".into());
        vars.insert("MAIL_POLL_MS".into(), "50".into());
        vars.insert("MAIL_RETRY_BASE_MS".into(), "100".into());
        vars.insert("PUBLIC_BASE_URL".into(), "https://safecert.test".into());
        let postgres = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => {
                let pg = FreshPostgres::create(&url).await;
                vars.insert("DATABASE_URL".into(), pg.url.clone());
                vars.insert("DB_MAX_CONNECTIONS".into(), "5".into());
                Some(pg)
            }
            _ => None,
        };
        if let Ok(url) = std::env::var("TEST_REDIS_URL")
            && !url.is_empty()
        {
            vars.insert("REDIS_URL".into(), url);
            vars.insert("REDIS_PREFIX".into(), unique_name("sc_test"));
        }
        Self {
            vars,
            data_dir,
            postgres,
        }
    }

    pub fn config(&self) -> Config {
        Config::from_lookup(|k| self.vars.get(k).cloned()).expect("test configuration is valid")
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

async fn serve(env: TestEnv) -> TestApp {
    let app = Application::build(env.config()).await.expect("app starts");
    let base = format!("http://{}", app.addr);
    let state = app.state.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app.run_until(async {
            let _ = rx.await;
        })
        .await
        .expect("server runs");
    });
    TestApp {
        base,
        client: reqwest::Client::new(),
        state,
        env: env.vars,
        _data_dir: Some(env.data_dir),
        _postgres: env.postgres,
        shutdown: Some(tx),
        server: Some(server),
    }
}

/// Starts an app after `adjust` has changed its environment.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut HashMap<String, String>)) -> TestApp {
    safecert::telemetry::init();
    let mut env = TestEnv::new().await;
    adjust(&mut env.vars);
    serve(env).await
}

impl TestApp {
    /// Stops this instance (as a crash or deploy would) and starts a new one on the same
    /// database and data directory, after `adjust` has changed its environment.
    pub async fn restart(mut self, adjust: impl FnOnce(&mut HashMap<String, String>)) -> TestApp {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        let mut vars = self.env.clone();
        adjust(&mut vars);
        let env = TestEnv {
            vars,
            data_dir: self._data_dir.take().expect("data dir"),
            postgres: self._postgres.take(),
        };
        serve(env).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// A response as a test reads it.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub text: String,
    pub content_type: String,
}

impl TestApp {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        read_reply(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// Sends a raw body with a content type (for malformed-input tests).
    pub async fn post_raw(&self, path: &str, content_type: &str, body: &str) -> Reply {
        let resp = self
            .client
            .post(format!("{}{}", self.base, path))
            .header("content-type", content_type)
            .body(body.to_string())
            .send()
            .await
            .expect("request sent");
        read_reply(resp).await
    }

    pub async fn login(&self, login: &str, password: &str) -> Reply {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({"login": login, "password": password}),
        )
        .await
    }

    /// Logs in and returns the token, failing the test if login fails.
    pub async fn token(&self, login: &str, password: &str) -> String {
        let reply = self.login(login, password).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "login {login}: {}",
            reply.text
        );
        reply.body["token"].as_str().unwrap().to_string()
    }

    /// A bureau admin made the way `safecert admin create` makes one; returns a token.
    pub async fn bureau_admin(&self) -> String {
        let phone = "13900000001";
        accounts::create_bureau_admin(
            &self.state,
            "区局管理员",
            phone,
            "bureau@safecert.test",
            PASSWORD,
        )
        .await
        .expect("admin created");
        self.token(phone, PASSWORD).await
    }

    /// Registers a citizen over HTTP; `n` makes phone, email and ID number distinct.
    /// A proctor account that logs in with `phone(n)` and the test password; its id.
    pub async fn proctor(&self, bureau: &str, n: u32) -> i64 {
        let made = self
            .post(
                "/api/v1/users",
                Some(bureau),
                json!({"name": "监考员", "phone": phone(n), "email": format!("proctor{n}@example.cn"),
                       "password": PASSWORD, "roles": ["proctor"]}),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
        made.body["id"].as_i64().unwrap()
    }

    /// Makes `proctors` the proctors of `sitting`.
    pub async fn assign_proctors(&self, bureau: &str, sitting: i64, proctors: &[i64]) {
        let assigned = self
            .call(
                reqwest::Method::PATCH,
                &format!("/api/v1/sittings/{sitting}"),
                Some(bureau),
                Some(json!({"proctor_ids": proctors})),
            )
            .await;
        assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.text);
    }

    pub async fn register_citizen(&self, n: u32, name: &str) -> Reply {
        self.post(
            "/api/v1/auth/register",
            None,
            json!({
                "name": name,
                "id_number": resident_id(n),
                "phone": phone(n),
                "email": format!("citizen{n}@example.cn"),
                "password": PASSWORD,
            }),
        )
        .await
    }
}

pub async fn read_reply(resp: reqwest::Response) -> Reply {
    let status = resp.status();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = resp.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        body,
        text,
        content_type,
    }
}

/// A valid resident ID number (Shenzhen Futian address code, born 1990) numbered by `n`,
/// with its GB 11643 check character computed the way the standard defines it.
pub fn resident_id(n: u32) -> String {
    let first17 = format!("440304199001{:02}{:03}", 1 + n % 28, n % 1000);
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .bytes()
        .zip(weights)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let check = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize];
    format!("{first17}{check}")
}

/// A mainland mobile number numbered by `n`.
pub fn phone(n: u32) -> String {
    format!("137{:08}", n)
}

impl TestApp {
    /// A bearer token for a person who has no password yet (a roster-made account).
    pub async fn token_for(&self, user_id: i64) -> String {
        let token = safecert::auth::token::generate();
        let now = chrono::Utc::now();
        safecert::auth::store::insert_token(
            &self.state.db,
            &safecert::auth::token::digest(&token),
            user_id,
            now,
            now + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
        token
    }

    /// A candidate made straight in the database with a bearer token, for tests that need
    /// many people fast (argon2 on hundreds of sign-ups would dominate the test).
    pub async fn quick_candidate(&self, n: u32) -> (i64, String) {
        use safecert::domain::{Email, IdDocument, IdType, PersonName, Phone, Role};
        let new = safecert::accounts::NewUser {
            name: PersonName::parse(&format!("考生{n}")).unwrap(),
            phone: Phone::parse(&phone(n)).unwrap(),
            email: Some(Email::parse(&format!("candidate{n}@example.cn")).unwrap()),
            id_document: Some(IdDocument::parse(IdType::ResidentId, &resident_id(n)).unwrap()),
            password_hash: None,
            enterprise_id: None,
            street_id: None,
            job_role: None,
            roles: vec![Role::Candidate],
        };
        let now = chrono::Utc::now();
        let id =
            safecert::accounts::store::insert_user(&self.state.db, &self.state.vault, &new, now)
                .await
                .unwrap();
        let token = safecert::auth::token::generate();
        safecert::auth::store::insert_token(
            &self.state.db,
            &safecert::auth::token::digest(&token),
            id,
            now,
            now + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
        (id, token)
    }
}

impl TestApp {
    /// A second instance of the app on the same database and live store (as behind a load
    /// balancer).
    pub async fn second_instance(&self) -> TestApp {
        let env = TestEnv {
            vars: self.env.clone(),
            data_dir: tempfile::tempdir().unwrap(),
            postgres: None,
        };
        let mut vars = env.vars.clone();
        // Same SQLite file as the first instance, not the new temporary directory.
        if !vars.contains_key("DATABASE_URL") {
            let first = self
                ._data_dir
                .as_ref()
                .expect("data dir")
                .path()
                .join("safecert.db");
            vars.insert(
                "DATABASE_URL".into(),
                format!("sqlite://{}", first.display()),
            );
        }
        vars.insert("SECRET_KEY".into(), "00".repeat(32));
        serve(TestEnv { vars, ..env }).await
    }

    /// The app's data directory (its SQLite file, when it has one).
    pub fn data_dir(&self) -> &std::path::Path {
        self._data_dir.as_ref().expect("data dir").path()
    }

    /// Talks to an app running elsewhere (a child process) at `base`, with `state` opened on
    /// the same database for assertions.
    pub fn remote(base: String, state: AppState, env: TestEnv) -> TestApp {
        TestApp {
            base,
            client: reqwest::Client::new(),
            state,
            env: env.vars,
            _data_dir: Some(env.data_dir),
            _postgres: env.postgres,
            shutdown: None,
            server: None,
        }
    }
}
