//! Configuration from the environment (flags override a few). A bad value stops start-up
//! with one line naming the variable.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// Where accounts, banks and attempts live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: String,
    pub database_kind: DatabaseKind,
    /// True when no DATABASE_URL was given and the SQLite file under DATA_DIR is used.
    pub embedded_database: bool,
    pub redis_url: Option<String>,
    /// Prefix of every Redis key, so several deployments (or tests) can share one Redis.
    pub redis_prefix: String,
    pub smtp_url: Option<String>,
    pub public_base_url: String,
    pub data_dir: PathBuf,
    /// 32-byte master key (hex) for ID-number encryption and lookup hashes; when absent a
    /// key file is created under DATA_DIR on first run.
    pub secret_key: Option<String>,
    pub token_ttl: Duration,
    /// How long this instance trusts a token it has checked before asking the database again.
    pub auth_cache: Duration,
    pub login_max_failures: u32,
    pub login_lock: Duration,
    /// Seed demo streets, enterprises and accounts into an empty database.
    pub demo_data: bool,
    /// Load the banks and courses shipped in question-bank/ into a database with no banks.
    pub shipped_banks: bool,
    pub max_db_connections: u32,
    /// The sender of every mail.
    pub mail_from: String,
    /// How often the mail worker looks for due mail.
    pub mail_poll: Duration,
    /// The first retry delay after a failed send; it doubles with each attempt (≤ 1 hour).
    pub mail_retry_base: Duration,
    /// How late a final submit may arrive after the deadline and still merge its answers.
    pub submit_grace: Duration,
    /// How often the sweeper looks for attempts past their deadline.
    pub sweep_every: Duration,
    /// The district's code at the head of certificate numbers, e.g. `BA` in BA-FR-2026-000123.
    pub district_code: String,
    /// The issuing authority printed on certificates and the seal.
    pub issuer: String,
    /// Certificate verifications one client may make per minute.
    pub verify_per_minute: u32,
    /// Origins (`https://host[:port]`) whose pages may call the API from a browser; none by
    /// default, so CORS stays closed unless configured.
    pub cors_allowed_origins: Vec<String>,
    /// Requests handled at once; more wait in a queue of `max_queued`, and beyond that the
    /// server answers 503 `server_busy` at once, so a burst cannot grow memory without bound.
    /// How often a lesson page sends a heartbeat (`STUDY_HEARTBEAT_SECONDS`, default 15).
    pub study_heartbeat: Duration,
    pub max_in_flight: usize,
    pub max_queued: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

fn bad(var: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        reason: reason.into(),
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads configuration through `get`, so tests can supply their own values.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(get("DATA_DIR").unwrap_or_else(|| "data".into()));
        let bind = get("BIND")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse()
            .map_err(|_| bad("BIND", "expected an address like 127.0.0.1:8080"))?;

        let (database_url, embedded_database) = match get("DATABASE_URL") {
            Some(url) => (url, false),
            None => (
                format!("sqlite://{}", data_dir.join("safecert.db").display()),
                true,
            ),
        };
        let database_kind = if database_url.starts_with("sqlite:") {
            DatabaseKind::Sqlite
        } else if database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://")
        {
            DatabaseKind::Postgres
        } else {
            return Err(bad(
                "DATABASE_URL",
                "expected sqlite://PATH or postgres://USER@HOST/DB",
            ));
        };

        let redis_url = get("REDIS_URL");
        if let Some(url) = &redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(bad("REDIS_URL", "expected redis://HOST:PORT"));
        }
        let smtp_url = get("SMTP_URL");
        if let Some(url) = &smtp_url
            && !(url.starts_with("smtp://") || url.starts_with("smtps://"))
        {
            return Err(bad("SMTP_URL", "expected smtp://HOST:PORT or smtps://..."));
        }
        let public_base_url = get("PUBLIC_BASE_URL")
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_string();
        url::Url::parse(&public_base_url)
            .map_err(|e| bad("PUBLIC_BASE_URL", format!("not a URL: {e}")))?;

        let secret_key = get("SECRET_KEY");
        if let Some(key) = &secret_key
            && (key.len() != 64 || hex::decode(key).is_err())
        {
            return Err(bad("SECRET_KEY", "expected 64 hex characters (32 bytes)"));
        }

        let number = |var: &'static str, default: u64| -> Result<u64, ConfigError> {
            match get(var) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse()
                    .map_err(|_| bad(var, format!("expected a whole number, got {v:?}"))),
            }
        };
        let flag = |var: &'static str, default: bool| -> Result<bool, ConfigError> {
            match get(var).as_deref().map(str::trim) {
                None => Ok(default),
                Some("1" | "true" | "yes" | "on") => Ok(true),
                Some("0" | "false" | "no" | "off") => Ok(false),
                Some(v) => Err(bad(var, format!("expected true or false, got {v:?}"))),
            }
        };

        Ok(Self {
            bind,
            database_kind,
            demo_data: flag("DEMO_DATA", embedded_database)?,
            shipped_banks: flag("SHIPPED_BANKS", true)?,
            embedded_database,
            database_url,
            redis_url,
            redis_prefix: get("REDIS_PREFIX").unwrap_or_else(|| "safecert".into()),
            smtp_url,
            public_base_url,
            data_dir,
            secret_key,
            token_ttl: Duration::from_secs(number("TOKEN_TTL_HOURS", 12)? * 3600),
            auth_cache: Duration::from_secs(number("AUTH_CACHE_SECS", 20)?),
            login_max_failures: number("LOGIN_MAX_FAILURES", 5)? as u32,
            login_lock: Duration::from_secs(number("LOGIN_LOCK_MINUTES", 15)? * 60),
            max_db_connections: number("DB_MAX_CONNECTIONS", 16)? as u32,
            mail_from: {
                let from = get("MAIL_FROM")
                    .unwrap_or_else(|| "SafeCert 区应急管理局 <noreply@safecert.local>".into());
                from.parse::<lettre::message::Mailbox>()
                    .map_err(|e| bad("MAIL_FROM", format!("not a mailbox: {e}")))?;
                from
            },
            mail_poll: Duration::from_millis(number("MAIL_POLL_MS", 1000)?.max(10)),
            mail_retry_base: Duration::from_millis(number("MAIL_RETRY_BASE_MS", 5000)?.max(10)),
            submit_grace: Duration::from_millis(number("SUBMIT_GRACE_MS", 5000)?),
            sweep_every: Duration::from_millis(number("SWEEP_MS", 1000)?.max(10)),
            study_heartbeat: Duration::from_secs(
                number("STUDY_HEARTBEAT_SECONDS", 15)?.clamp(1, 300),
            ),
            district_code: {
                let code = get("DISTRICT_CODE").unwrap_or_else(|| "BA".into());
                if !(1..=8).contains(&code.len())
                    || !code
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                {
                    return Err(bad("DISTRICT_CODE", "1 to 8 capital letters or digits"));
                }
                code
            },
            issuer: get("ISSUER").unwrap_or_else(|| "区应急管理局".into()),
            verify_per_minute: number("VERIFY_PER_MINUTE", 60)? as u32,
            cors_allowed_origins: match get("CORS_ALLOWED_ORIGINS") {
                None => Vec::new(),
                Some(list) => {
                    let origins: Vec<String> = list
                        .split(',')
                        .map(|o| o.trim().trim_end_matches('/').to_string())
                        .filter(|o| !o.is_empty())
                        .collect();
                    if let Some(bad_origin) = origins.iter().find(|o| {
                        !(o.starts_with("https://") || o.starts_with("http://"))
                            || o[o.find("//").map_or(0, |i| i + 2)..].contains('/')
                    }) {
                        return Err(bad(
                            "CORS_ALLOWED_ORIGINS",
                            format!("{bad_origin} is not an origin such as https://host"),
                        ));
                    }
                    origins
                }
            },
            max_in_flight: match number("MAX_IN_FLIGHT", 1024)? {
                0 => return Err(bad("MAX_IN_FLIGHT", "at least 1")),
                n => n as usize,
            },
            max_queued: number("MAX_QUEUED", 8192)? as usize,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_embedded() {
        let c = config(&[]).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_kind, DatabaseKind::Sqlite);
        assert!(c.embedded_database && c.demo_data);
        assert!(c.redis_url.is_none());
        assert_eq!(c.public_base_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("DATABASE_URL", "mysql://x"),
            ("REDIS_URL", "localhost:6379"),
            ("BIND", "everywhere"),
            ("SECRET_KEY", "short"),
            ("TOKEN_TTL_HOURS", "twelve"),
            ("DEMO_DATA", "maybe"),
            ("CORS_ALLOWED_ORIGINS", "portal.example.gov.cn"),
            (
                "CORS_ALLOWED_ORIGINS",
                "https://portal.example.gov.cn/login",
            ),
        ] {
            let err = config(&[(var, value)]).unwrap_err();
            assert_eq!(err.var, var);
        }
    }

    #[test]
    fn postgres_turns_demo_data_off_by_default() {
        let c = config(&[("DATABASE_URL", "postgres://root@127.0.0.1/test")]).unwrap();
        assert_eq!(c.database_kind, DatabaseKind::Postgres);
        assert!(!c.demo_data);
    }
}
