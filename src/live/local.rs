//! The local live store: sessions in process memory, every acknowledged answer journalled to
//! the database first (`live_answers`), so `kill -9` loses nothing and a restarted process
//! rebuilds a session from the journal on first touch. One process only: several
//! instances need Redis.

use super::{
    SaveResult, SessionInit, Snapshot, StoreUnavailable, StoredAnswer, decode_choice, encode_choice,
};
use crate::{db::Db, with_pool};
use chrono::{DateTime, Utc};
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
};
use tokio::sync::{Mutex as AsyncMutex, mpsc, oneshot};

struct Session {
    user_id: i64,
    deadline: DateTime<Utc>,
    open: bool,
    claimed_at: Option<DateTime<Utc>>,
    keys: Vec<String>,
    answers: BTreeMap<u32, StoredAnswer>,
    last_seen: Option<DateTime<Utc>>,
}

/// One attempt's session behind its own lock (None until loaded or opened).
type Slot = Arc<AsyncMutex<Option<Session>>>;

#[derive(Clone)]
pub struct LocalStore {
    db: Db,
    // Saves, claims and deadline changes of one attempt take its lock in turn, so a save
    // racing the final submit is either in the graded answers or refused, never lost.
    sessions: Arc<Mutex<HashMap<i64, Slot>>>,
    journal: mpsc::Sender<JournalWrite>,
}

/// One answer to write to `live_answers`, and who waits for it to be committed.
struct JournalWrite {
    attempt_id: i64,
    position: u32,
    choice: String,
    seq: i64,
    saved_at: DateTime<Utc>,
    done: oneshot::Sender<Result<(), String>>,
}

/// Most answers written in one transaction.
const JOURNAL_BATCH: usize = 512;

fn unavailable(e: sqlx::Error) -> StoreUnavailable {
    StoreUnavailable(e.to_string())
}

/// Group commit: one task writes every waiting answer in one transaction and then answers
/// all their savers. On SQLite, with one writer at a time, a transaction per save made saves
/// queue on the database lock (and sleep in its busy handler) under load.
async fn write_journal(db: Db, mut queue: mpsc::Receiver<JournalWrite>) {
    let mut batch = Vec::with_capacity(JOURNAL_BATCH);
    while queue.recv_many(&mut batch, JOURNAL_BATCH).await > 0 {
        let result = commit_batch(&db, &batch).await.map_err(|e| e.to_string());
        for write in batch.drain(..) {
            let _ = write.done.send(result.clone());
        }
    }
}

async fn commit_batch(db: &Db, batch: &[JournalWrite]) -> Result<(), sqlx::Error> {
    // One row per (attempt, position), the newest seq: an upsert may not touch a row twice.
    let mut newest: HashMap<(i64, u32), &JournalWrite> = HashMap::new();
    for w in batch {
        let e = newest.entry((w.attempt_id, w.position)).or_insert(w);
        if w.seq > e.seq {
            *e = w;
        }
    }
    let rows: Vec<&JournalWrite> = newest.into_values().collect();
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let mut upsert =
            sqlx::QueryBuilder::new("INSERT INTO live_answers (attempt_id, position, choice, seq, saved_at) ");
        upsert.push_values(&rows, |mut row, w| {
            row.push_bind(w.attempt_id)
                .push_bind(i64::from(w.position))
                .push_bind(&w.choice)
                .push_bind(w.seq)
                .push_bind(w.saved_at);
        });
        upsert.push(
            " ON CONFLICT (attempt_id, position) DO UPDATE SET choice = excluded.choice, \
             seq = excluded.seq, saved_at = excluded.saved_at WHERE live_answers.seq < excluded.seq",
        );
        upsert.build().execute(&mut *tx).await?;
        tx.commit().await
    })
}

impl LocalStore {
    /// Needs a running Tokio runtime: it starts the journal writer.
    pub fn new(db: Db) -> Self {
        let (journal, queue) = mpsc::channel(JOURNAL_BATCH * 8);
        tokio::spawn(write_journal(db.clone(), queue));
        Self {
            db,
            sessions: Arc::default(),
            journal,
        }
    }

    fn slot(&self, attempt_id: i64) -> Slot {
        self.sessions
            .lock()
            .expect("session map lock")
            .entry(attempt_id)
            .or_default()
            .clone()
    }

    /// Rebuilds a session from the database (after a restart).
    async fn load(&self, attempt_id: i64) -> Result<Option<Session>, StoreUnavailable> {
        let row: Option<(i64, String, DateTime<Utc>, String)> = with_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT a.user_id, a.status, a.deadline, p.content FROM attempts a \
                 JOIN papers p ON p.registration_id = a.registration_id WHERE a.id = $1",
            )
            .bind(attempt_id)
            .fetch_optional(pool)
            .await
            .map_err(unavailable)?
        });
        let Some((user_id, status, deadline, paper)) = row else {
            return Ok(None);
        };
        if status != "in_progress" {
            return Ok(None);
        }
        let paper: crate::paper::Paper = serde_json::from_str(&paper)
            .map_err(|e| StoreUnavailable(format!("paper unreadable: {e}")))?;
        Ok(Some(Session {
            user_id,
            deadline,
            open: true,
            claimed_at: None,
            keys: paper
                .questions
                .iter()
                .map(|q| q.options.iter().map(|o| o.key.as_str()).collect())
                .collect(),
            answers: self.journalled(attempt_id).await?,
            last_seen: None,
        }))
    }

    /// The answers journalled for an attempt.
    async fn journalled(
        &self,
        attempt_id: i64,
    ) -> Result<BTreeMap<u32, StoredAnswer>, StoreUnavailable> {
        let rows: Vec<(i64, String, i64)> = with_pool!(&self.db, pool => {
            sqlx::query_as("SELECT position, choice, seq FROM live_answers WHERE attempt_id = $1")
                .bind(attempt_id)
                .fetch_all(pool)
                .await
                .map_err(unavailable)?
        });
        Ok(rows
            .into_iter()
            .map(|(p, c, s)| {
                (
                    p as u32,
                    StoredAnswer {
                        choice: decode_choice(&c),
                        seq: s,
                    },
                )
            })
            .collect())
    }

    async fn with_session<T>(
        &self,
        attempt_id: i64,
        f: impl AsyncFnOnce(&mut Option<Session>) -> Result<T, StoreUnavailable>,
    ) -> Result<T, StoreUnavailable> {
        let slot = self.slot(attempt_id);
        let mut guard = slot.lock().await;
        if guard.is_none() {
            *guard = self.load(attempt_id).await?;
        }
        f(&mut guard).await
    }

    pub async fn open(&self, init: &SessionInit) -> Result<(), StoreUnavailable> {
        let slot = self.slot(init.attempt_id);
        let mut guard = slot.lock().await;
        if guard.is_none() {
            // The opener knows the paper; only answers journalled before a restart are read.
            *guard = Some(Session {
                user_id: init.user_id,
                deadline: init.deadline,
                open: true,
                claimed_at: None,
                keys: init.keys.clone(),
                answers: self.journalled(init.attempt_id).await?,
                last_seen: None,
            });
        }
        Ok(())
    }

    pub async fn snapshot(&self, attempt_id: i64) -> Result<Option<Snapshot>, StoreUnavailable> {
        self.with_session(attempt_id, async |s| {
            Ok(s.as_ref().map(|s| Snapshot {
                user_id: s.user_id,
                deadline: s.deadline,
                open: s.open && s.claimed_at.is_none(),
                answers: s.answers.clone(),
                last_seen: s.last_seen,
            }))
        })
        .await
    }

    pub async fn save(
        &self,
        attempt_id: i64,
        user_id: i64,
        position: u32,
        choice: &[String],
        seq: i64,
        now: DateTime<Utc>,
    ) -> Result<SaveResult, StoreUnavailable> {
        let journal = self.journal.clone();
        self.with_session(attempt_id, async |slot| {
            let Some(s) = slot.as_mut().filter(|s| s.user_id == user_id) else {
                return Ok(SaveResult::Missing);
            };
            if !s.open || s.claimed_at.is_some() || now > s.deadline {
                return Ok(SaveResult::Closed);
            }
            let Some(keys) = position.checked_sub(1).and_then(|i| s.keys.get(i as usize)) else {
                return Ok(SaveResult::NoPosition);
            };
            if let Some(bad) = choice
                .iter()
                .find(|k| k.len() != 1 || !keys.contains(k.as_str()))
            {
                return Ok(SaveResult::InvalidKey(bad.clone()));
            }
            s.last_seen = Some(now);
            if let Some(current) = s.answers.get(&position)
                && current.seq >= seq
            {
                return Ok(SaveResult::Stale(current.clone()));
            }
            let (done, committed) = oneshot::channel();
            let write = JournalWrite {
                attempt_id,
                position,
                choice: encode_choice(choice),
                seq,
                saved_at: now,
                done,
            };
            journal
                .send(write)
                .await
                .map_err(|_| StoreUnavailable("the answer journal has stopped".into()))?;
            committed
                .await
                .map_err(|_| StoreUnavailable("the answer journal has stopped".into()))?
                .map_err(StoreUnavailable)?;
            let stored = StoredAnswer {
                choice: choice.to_vec(),
                seq,
            };
            s.answers.insert(position, stored.clone());
            Ok(SaveResult::Stored(stored))
        })
        .await
    }

    pub async fn set_deadline(
        &self,
        attempt_id: i64,
        deadline: DateTime<Utc>,
    ) -> Result<(), StoreUnavailable> {
        self.with_session(attempt_id, async |s| {
            if let Some(s) = s.as_mut() {
                s.deadline = deadline;
            }
            Ok(())
        })
        .await
    }

    pub async fn claim(
        &self,
        attempt_id: i64,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<Snapshot>, StoreUnavailable> {
        self.with_session(attempt_id, async |s| {
            let Some(s) = s.as_mut() else {
                return Ok(None);
            };
            if s.claimed_at.is_some_and(|at| now - at < lease) {
                return Ok(None);
            }
            s.open = false;
            s.claimed_at = Some(now);
            Ok(Some(Snapshot {
                user_id: s.user_id,
                deadline: s.deadline,
                open: false,
                answers: s.answers.clone(),
                last_seen: s.last_seen,
            }))
        })
        .await
    }

    /// Forgets a session in memory; its journal rows went in the grading transaction.
    pub async fn remove(&self, attempt_id: i64) -> Result<(), StoreUnavailable> {
        self.sessions
            .lock()
            .expect("session map lock")
            .remove(&attempt_id);
        Ok(())
    }

    pub async fn touch(&self, attempt_id: i64, now: DateTime<Utc>) -> Result<(), StoreUnavailable> {
        self.with_session(attempt_id, async |s| {
            if let Some(s) = s.as_mut() {
                s.last_seen = Some(now);
            }
            Ok(())
        })
        .await
    }
}
