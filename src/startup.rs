//! Builds the application from configuration and runs it until SIGTERM or Ctrl-C.

use crate::{AppState, api, config::Config, db::Db, demo, live::LiveSessions, pii::Vault};
use std::{net::SocketAddr, sync::Arc, time::Duration};

/// Connects the database (migrating it) and the live-session store.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    let vault = Vault::load(config.secret_key.as_deref(), &config.data_dir)?;
    let db = Db::connect(&config)
        .await
        .map_err(|e| anyhow::anyhow!("DATABASE_URL: cannot open the database: {e}"))?;
    db.migrate()
        .await
        .map_err(|e| anyhow::anyhow!("DATABASE_URL: migrations failed: {e}"))?;
    let live = LiveSessions::connect(&config, &db).await?;
    let fonts = crate::pdf::PdfFonts::load(crate::CJK_FONT)
        .map_err(|e| anyhow::anyhow!("the PDF font: {e}"))?;
    let verify_limiter = Arc::new(crate::ratelimit::RateLimiter::per_minute(
        config.verify_per_minute,
    ));
    let callers = Arc::new(crate::auth::cache::CallerCache::new(config.auth_cache));
    Ok(AppState {
        graders: Arc::new(tokio::sync::Semaphore::new(crate::exam::GRADES_AT_ONCE)),
        verify_limiter,
        callers,
        starts: crate::exam::StartWriter::spawn(db.clone()),
        config: Arc::new(config),
        db,
        live,
        vault: Arc::new(vault),
        fonts,
    })
}

/// A bound, not yet serving application; `addr` is known before serving (port 0 in tests).
pub struct Application {
    pub state: AppState,
    pub addr: SocketAddr,
    listener: tokio::net::TcpListener,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let bind = config.bind;
        let state = build_state(config).await?;
        if state.config.shipped_banks {
            crate::shipped::load_if_empty(&state)
                .await
                .map_err(|e| anyhow::anyhow!("loading the shipped question banks: {e}"))?;
            crate::shipped::load_lessons_if_none(&state)
                .await
                .map_err(|e| anyhow::anyhow!("loading the shipped lessons: {e}"))?;
        }
        if state.config.demo_data {
            demo::seed_if_empty(&state).await?;
        }
        let listener =
            listen(bind).map_err(|e| anyhow::anyhow!("BIND: cannot listen on {bind}: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| anyhow::anyhow!("BIND: no local address: {e}"))?;
        Ok(Self {
            state,
            addr,
            listener,
        })
    }

    /// Serves until `shutdown` resolves, then lets requests in flight finish (up to 10 s).
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> anyhow::Result<()> {
        let app = api::app(self.state.clone());
        let transport = crate::mail::Transport::from_config(
            self.state.config.smtp_url.as_deref(),
            &self.state.config.data_dir,
        )?;
        let from = self
            .state
            .config
            .mail_from
            .parse()
            .map_err(|e| std::io::Error::other(format!("MAIL_FROM: {e}")))?;
        let (stop_worker, stopped) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(crate::mail::worker::run(
            self.state.clone(),
            transport,
            from,
            self.state.config.mail_poll,
            stopped.clone(),
        ));
        // Reminders need no second-by-second check.
        let reminders = tokio::spawn(crate::reminders::run(
            self.state.clone(),
            Duration::from_secs(30).min(self.state.config.mail_poll * 30),
            stopped.clone(),
        ));
        let sweeper = tokio::spawn(crate::exam::jobs::run(
            self.state.clone(),
            self.state.config.sweep_every,
            stopped.clone(),
        ));
        let books = tokio::spawn(crate::reports::books::run(
            self.state.clone(),
            Duration::from_secs(300),
            stopped.clone(),
        ));
        let checkpoints = tokio::spawn(crate::db::run_checkpoints(
            self.state.db.clone(),
            Duration::from_secs(1),
            stopped,
        ));
        tracing::info!(
            addr = %self.addr,
            database = ?self.state.config.database_kind,
            live_store = self.state.live.kind(),
            "SafeCert is serving; API docs at /api/docs"
        );
        let limit = std::sync::Arc::new(crate::api::busy::WorkLimit::new(
            self.state.config.max_in_flight,
            self.state.config.max_queued,
        ));
        let result =
            crate::http_server::serve(self.listener, app, limit, shutdown, Duration::from_secs(10))
                .await;
        let _ = stop_worker.send(true);
        let _ = worker.await;
        let _ = sweeper.await;
        let _ = reminders.await;
        let _ = books.await;
        let _ = checkpoints.await;
        self.state.db.close().await;
        tracing::info!("stopped");
        Ok(result?)
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested");
}

/// Connections the kernel may hold for us before we accept them (capped by
/// `net.core.somaxconn`). An exam room connects all at once: past a queue of 1,024 (tokio's
/// default) the rest wait for SYN retries, 1, 3, then 7 seconds later.
const ACCEPT_QUEUE: u32 = 8192;

fn listen(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As tokio's own bind does: a restarted server can listen again at once.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_QUEUE)
}
