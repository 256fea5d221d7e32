//! The relational store: SQLite (embedded default) or PostgreSQL, chosen by the URL.
//!
//! SQL lives in the store modules of each concept (`crate::accounts::store`, ...), written
//! once with `$1` placeholders that both dialects accept and run on whichever pool is
//! open through [`with_pool!`]. Only the migrations differ per backend.

use crate::config::{Config, DatabaseKind};
use sqlx::{
    PgPool, SqlitePool,
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use std::{str::FromStr, time::Duration};

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite {
        pool: SqlitePool,
        /// One connection for the exam's hot writes (see [`with_writer!`]).
        writer: SqlitePool,
    },
    Postgres(PgPool),
}

/// Runs one expression against whichever pool `db` holds; `$pool` names the pool inside.
/// The expression is compiled once per backend, so the same SQL text and row types serve both.
#[macro_export]
macro_rules! with_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite { pool: $pool, .. } => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Like [`with_pool!`], for the writes of a running exam (starting attempts, journalling
/// answers, grading). SQLite lets one connection write at a time, and a connection that finds
/// the lock taken sleeps in its busy handler for 1 to 100 ms before trying again: in a start
/// storm, pooled writers racing for the lock left the CPU idle while starts waited seconds
/// (bench/README.md). On SQLite these writes queue in order for a single connection instead;
/// PostgreSQL takes them on its pool as usual.
#[macro_export]
macro_rules! with_writer {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite { writer: $pool, .. } => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

impl Db {
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        match config.database_kind {
            DatabaseKind::Sqlite => {
                let options = SqliteConnectOptions::from_str(&config.database_url)?
                    .create_if_missing(true)
                    // WAL lets readers run beside the one writer; the busy timeout makes a
                    // writer wait its turn instead of failing with "database is locked".
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    // Reads through a memory map instead of a system call per page: a report
                    // over a district's certificates went from 5 s to 0.1 s (bench/README.md).
                    // The mapped pages are the file's, shared by every connection.
                    .pragma("mmap_size", "1073741824")
                    // A committing connection copies the log back into the database and
                    // syncs both once the log passes this many pages. At the default (1,000)
                    // that fell on the answer journal's commits two or three times a second in
                    // an exam, each fsync 10–150 ms that every save behind it waited for.
                    // `run_checkpoints` does this work apart from the commits; this larger
                    // limit stays as the backstop (40 MB of log) where it does not run.
                    .pragma("wal_autocheckpoint", "10000");
                if let Some(parent) = options.get_filename().parent()
                    && !parent.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(parent)?;
                }
                let pool = SqlitePoolOptions::new()
                    .max_connections(config.max_db_connections.max(2))
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options.clone())
                    .await?;
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                Ok(Db::Sqlite { pool, writer })
            }
            DatabaseKind::Postgres => {
                // No JIT compilation: it starts on a query's estimated cost, and the reports
                // over a district's data are estimated costly enough while running for tens
                // to hundreds of milliseconds, of which compiling took 15-100 ms
                // (bench/README.md).
                let options = sqlx::postgres::PgConnectOptions::from_str(&config.database_url)?
                    .options([("jit", "off")]);
                let pool = PgPoolOptions::new()
                    .max_connections(config.max_db_connections)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(options)
                    .await?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite { pool, .. } => sqlx::migrate!("migrations/sqlite").run(pool).await?,
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Copies SQLite's write-ahead log back into the database file without blocking writers
    /// or readers (a passive checkpoint). Nothing to do on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<(), sqlx::Error> {
        if let Db::Sqlite { pool, .. } = self {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// True when a trivial query answers.
    pub async fn ping(&self) -> bool {
        with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.is_ok())
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { pool, writer } => {
                pool.close().await;
                writer.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// When `err` is a unique-constraint violation, the name of the column it concerns, found
/// among `columns` (PostgreSQL names the constraint, SQLite the table.column).
pub fn unique_violation(err: &sqlx::Error, columns: &[&'static str]) -> Option<&'static str> {
    let db_err = err.as_database_error()?;
    if !db_err.is_unique_violation() {
        return None;
    }
    let haystack = format!("{} {}", db_err.constraint().unwrap_or(""), db_err.message());
    columns.iter().copied().find(|c| haystack.contains(c))
}

/// Checkpoints the SQLite log every `every` until `shutdown` flips, so the commits of a
/// running exam never wait for the log's copy and sync (see `wal_autocheckpoint` above).
pub async fn run_checkpoints(
    db: Db,
    every: Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    if matches!(db, Db::Postgres(_)) {
        return;
    }
    loop {
        if let Err(e) = db.checkpoint().await {
            tracing::warn!(error = %e, "the SQLite log was not checkpointed");
        }
        if crate::background::stop_after(every, &mut shutdown).await {
            return;
        }
    }
}
