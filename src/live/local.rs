//! The local live store: sessions in process memory, every acknowledged answer journalled to
//! the database first, so `kill -9` loses nothing. A save appends to `live_answer_log`; a
//! starting process folds the log's answers of attempts still in progress into
//! `live_answers` and rebuilds a session from there on first touch. One process only:
//! several instances need Redis.

use super::{LiveUnavailable, SaveResult, SessionInit, Snapshot, StoredAnswer, encode_choice};
use crate::{db::Db, with_pool, with_writer};
use chrono::{DateTime, Utc};
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::sync::{Mutex as AsyncMutex, mpsc, oneshot};

struct Session {
    user_id: i64,
    deadline: DateTime<Utc>,
    open: bool,
    claimed_at: Option<DateTime<Utc>>,
    /// Per position (index p-1): the keys it accepts, as a letter set.
    keys: Vec<Letters>,
    /// Per position (index p-1): the saved answer, if any.
    answers: Vec<Option<Saved>>,
    last_seen: Option<DateTime<Utc>>,
}

/// A set of option keys as bits over the letters A..Z (keys are single letters: A-H, T, F).
/// Four bytes instead of a vector of strings: 5,000 live sessions of 100 answers each took
/// ~80 MB as strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Letters(u32);

impl Letters {
    fn bit(key: &str) -> Option<u32> {
        match key.as_bytes() {
            [b @ b'A'..=b'Z'] => Some(1 << (b - b'A')),
            _ => None,
        }
    }

    /// None when a key is not a single letter A..Z.
    fn of<'a>(keys: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        keys.into_iter()
            .try_fold(0, |set, k| Some(set | Self::bit(k)?))
            .map(Letters)
    }

    /// From an option-key string such as "ABCD" or "TF".
    fn from_chars(keys: &str) -> Self {
        Letters(
            keys.chars()
                .filter_map(|c| Self::bit(c.encode_utf8(&mut [0; 4])))
                .fold(0, |set, b| set | b),
        )
    }

    fn contains(self, key: &str) -> bool {
        Self::bit(key).is_some_and(|b| self.0 & b != 0)
    }

    /// The keys in order, as a choice is stored (sorted, no repeats).
    fn keys(self) -> Vec<String> {
        (0..26u8)
            .filter(|i| self.0 & (1 << i) != 0)
            .map(|i| char::from(b'A' + i).to_string())
            .collect()
    }
}

#[derive(Debug, Clone, Copy)]
struct Saved {
    choice: Letters,
    seq: i64,
}

impl Saved {
    fn answer(self) -> StoredAnswer {
        StoredAnswer {
            choice: self.choice.keys(),
            seq: self.seq,
        }
    }
}

impl Session {
    fn new(user_id: i64, deadline: DateTime<Utc>, keys: &[String]) -> Self {
        Session {
            user_id,
            deadline,
            open: true,
            claimed_at: None,
            keys: keys.iter().map(|k| Letters::from_chars(k)).collect(),
            answers: vec![None; keys.len()],
            last_seen: None,
        }
    }

    /// Puts journalled answers back (positions outside the paper are ignored).
    fn restore(&mut self, journalled: Vec<(u32, String, i64)>) {
        for (position, choice, seq) in journalled {
            let slot = position
                .checked_sub(1)
                .and_then(|i| self.answers.get_mut(i as usize));
            if let (Some(slot), Some(choice)) = (
                slot,
                Letters::of(choice.split(',').filter(|k| !k.is_empty())),
            ) {
                *slot = Some(Saved { choice, seq });
            }
        }
    }

    fn answer_map(&self) -> BTreeMap<u32, StoredAnswer> {
        self.answers
            .iter()
            .enumerate()
            .filter_map(|(i, a)| Some((i as u32 + 1, a.as_ref()?.answer())))
            .collect()
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            user_id: self.user_id,
            deadline: self.deadline,
            open: self.open && self.claimed_at.is_none(),
            answers: self.answer_map(),
            last_seen: self.last_seen,
        }
    }
}

/// One attempt's session behind its own lock (None until loaded or opened).
type Slot = Arc<AsyncMutex<Option<Session>>>;

#[derive(Clone)]
pub struct LocalSessions {
    db: Db,
    // Saves, claims and deadline changes of one attempt take its lock in turn, so a save
    // racing the final submit is either in the graded answers or refused, never lost.
    sessions: Arc<Mutex<HashMap<i64, Slot>>>,
    journal: mpsc::Sender<JournalWrite>,
}

/// One answer to append to `live_answer_log`, and who waits for it to be committed.
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

/// After this long without a save, the journal deletes the log rows of finished attempts.
const JOURNAL_IDLE: Duration = Duration::from_secs(5);

fn unavailable(e: sqlx::Error) -> LiveUnavailable {
    LiveUnavailable(e.to_string())
}

/// Group commit: one task writes every waiting answer in one transaction and then answers
/// all their savers. On SQLite, with one writer at a time, a transaction per save made saves
/// queue on the database lock (and sleep in its busy handler) under load. The rows only
/// append, so a commit writes a few pages whoever the answers belong to.
async fn write_journal(db: Db, mut queue: mpsc::Receiver<JournalWrite>) {
    let mut batch = Vec::with_capacity(JOURNAL_BATCH);
    // Rows of finished attempts may be left to delete: waiting saves first, then the next part.
    let mut more_to_forget = false;
    loop {
        let wait = if more_to_forget {
            Duration::ZERO
        } else {
            JOURNAL_IDLE
        };
        match tokio::time::timeout(wait, queue.recv_many(&mut batch, JOURNAL_BATCH)).await {
            Ok(0) => return,
            Ok(_) => {
                let result = append(&db, &batch).await.map_err(|e| e.to_string());
                for write in batch.drain(..) {
                    let _ = write.done.send(result.clone());
                }
            }
            // Idle: a save arriving now waits at most for one part of this tidy-up.
            Err(_) => {
                more_to_forget = forget_finished(&db).await.unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "tidying the answer log failed");
                    false
                });
            }
        }
    }
}

async fn append(db: &Db, batch: &[JournalWrite]) -> Result<(), sqlx::Error> {
    with_writer!(db, pool => {
        let mut insert = sqlx::QueryBuilder::new(
            "INSERT INTO live_answer_log (attempt_id, position, choice, seq, saved_at) ",
        );
        insert.push_values(batch, |mut row, w| {
            row.push_bind(w.attempt_id)
                .push_bind(i64::from(w.position))
                .push_bind(&w.choice)
                .push_bind(w.seq)
                .push_bind(w.saved_at);
        });
        insert.build().execute(pool).await?;
        Ok(())
    })
}

/// Log rows whose attempt is no longer in progress (graded, or never found).
const FINISHED: &str = "attempt_id NOT IN (SELECT id FROM attempts WHERE status = 'in_progress')";

/// Log rows deleted per statement when tidying: an exam of 5,000 leaves ~550,000, and a save
/// arriving meanwhile waits for one statement, not for all of them.
const FORGET_AT_ONCE: u64 = 20_000;

/// Deletes up to [`FORGET_AT_ONCE`] log rows of finished attempts; true when there may be
/// more. Asked first on a reader, so the writer is taken only when there is something to
/// delete.
async fn forget_finished(db: &Db) -> Result<bool, sqlx::Error> {
    let sql = format!("SELECT EXISTS (SELECT 1 FROM live_answer_log WHERE {FINISHED})");
    let any: bool = with_pool!(db, pool => {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(pool).await?
    });
    if !any {
        return Ok(false);
    }
    let sql = format!(
        "DELETE FROM live_answer_log WHERE id IN \
         (SELECT id FROM live_answer_log WHERE {FINISHED} LIMIT {FORGET_AT_ONCE})"
    );
    let deleted = with_writer!(db, pool => {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await?.rows_affected()
    });
    Ok(deleted == FORGET_AT_ONCE)
}

/// Moves the log into `live_answers`: per attempt in progress and position, the answer with
/// the highest seq (the later row when two are equal), unless `live_answers` holds a newer
/// one. Then empties the log. Run once, before the store serves anything.
async fn fold_log(db: &Db) -> Result<(), sqlx::Error> {
    const FOLD: &str = "INSERT INTO live_answers (attempt_id, position, choice, seq, saved_at) \
         SELECT attempt_id, position, choice, seq, saved_at FROM ( \
           SELECT l.attempt_id, l.position, l.choice, l.seq, l.saved_at, ROW_NUMBER() OVER ( \
             PARTITION BY l.attempt_id, l.position ORDER BY l.seq DESC, l.id DESC) AS newest \
           FROM live_answer_log l JOIN attempts a ON a.id = l.attempt_id \
           WHERE a.status = 'in_progress') AS ranked \
         WHERE newest = 1 \
         ON CONFLICT (attempt_id, position) DO UPDATE SET choice = excluded.choice, \
         seq = excluded.seq, saved_at = excluded.saved_at WHERE live_answers.seq < excluded.seq";
    with_writer!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query(FOLD).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM live_answer_log").execute(&mut *tx).await?;
        tx.commit().await
    })
}

impl LocalSessions {
    /// Folds what an earlier process logged, then starts the journal writer.
    pub async fn start(db: Db) -> Result<Self, sqlx::Error> {
        fold_log(&db).await?;
        let (journal, queue) = mpsc::channel(JOURNAL_BATCH * 8);
        tokio::spawn(write_journal(db.clone(), queue));
        Ok(Self {
            db,
            sessions: Arc::default(),
            journal,
        })
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
    async fn load(&self, attempt_id: i64) -> Result<Option<Session>, LiveUnavailable> {
        let row: Option<(i64, String, DateTime<Utc>, i64)> = with_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT user_id, status, deadline, registration_id FROM attempts WHERE id = $1",
            )
            .bind(attempt_id)
            .fetch_optional(pool)
            .await
            .map_err(unavailable)?
        });
        let Some((user_id, status, deadline, registration_id)) = row else {
            return Ok(None);
        };
        if status != "in_progress" {
            return Ok(None);
        }
        let Some(keys) = crate::paper::store::option_keys(&self.db, registration_id)
            .await
            .map_err(|e| LiveUnavailable(e.to_string()))?
        else {
            return Ok(None);
        };
        let mut session = Session::new(user_id, deadline, &keys);
        session.restore(self.journalled(attempt_id).await?);
        Ok(Some(session))
    }

    /// The answers journalled for an attempt before this process started (folded at start;
    /// a session opened since holds its own in memory).
    async fn journalled(
        &self,
        attempt_id: i64,
    ) -> Result<Vec<(u32, String, i64)>, LiveUnavailable> {
        let rows: Vec<(i64, String, i64)> = with_pool!(&self.db, pool => {
            sqlx::query_as("SELECT position, choice, seq FROM live_answers WHERE attempt_id = $1")
                .bind(attempt_id)
                .fetch_all(pool)
                .await
                .map_err(unavailable)?
        });
        Ok(rows.into_iter().map(|(p, c, s)| (p as u32, c, s)).collect())
    }

    async fn with_session<T>(
        &self,
        attempt_id: i64,
        f: impl AsyncFnOnce(&mut Option<Session>) -> Result<T, LiveUnavailable>,
    ) -> Result<T, LiveUnavailable> {
        let slot = self.slot(attempt_id);
        let mut guard = slot.lock().await;
        if guard.is_none() {
            *guard = self.load(attempt_id).await?;
        }
        f(&mut guard).await
    }

    pub async fn open(&self, init: &SessionInit) -> Result<(), LiveUnavailable> {
        let slot = self.slot(init.attempt_id);
        let mut guard = slot.lock().await;
        if guard.is_none() {
            // The opener knows the paper; only answers journalled before a restart are read.
            let mut session = Session::new(init.user_id, init.deadline, &init.keys);
            if !init.fresh {
                session.restore(self.journalled(init.attempt_id).await?);
            }
            *guard = Some(session);
        }
        Ok(())
    }

    pub async fn snapshot(&self, attempt_id: i64) -> Result<Option<Snapshot>, LiveUnavailable> {
        self.with_session(attempt_id, async |s| Ok(s.as_ref().map(Session::snapshot)))
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
    ) -> Result<SaveResult, LiveUnavailable> {
        let journal = self.journal.clone();
        self.with_session(attempt_id, async |slot| {
            let Some(s) = slot.as_mut().filter(|s| s.user_id == user_id) else {
                return Ok(SaveResult::Missing);
            };
            if !s.open || s.claimed_at.is_some() || now > s.deadline {
                return Ok(SaveResult::Closed);
            }
            let Some(index) = position
                .checked_sub(1)
                .map(|i| i as usize)
                .filter(|&i| i < s.keys.len())
            else {
                return Ok(SaveResult::NoPosition);
            };
            let keys = s.keys[index];
            if let Some(bad) = choice.iter().find(|k| !keys.contains(k)) {
                return Ok(SaveResult::InvalidKey(bad.clone()));
            }
            let letters = Letters::of(choice.iter().map(String::as_str)).unwrap_or_default();
            s.last_seen = Some(now);
            if let Some(current) = s.answers[index]
                && current.seq >= seq
            {
                return Ok(SaveResult::Stale(current.answer()));
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
                .map_err(|_| LiveUnavailable("the answer journal has stopped".into()))?;
            committed
                .await
                .map_err(|_| LiveUnavailable("the answer journal has stopped".into()))?
                .map_err(LiveUnavailable)?;
            let saved = Saved {
                choice: letters,
                seq,
            };
            s.answers[index] = Some(saved);
            Ok(SaveResult::Stored(saved.answer()))
        })
        .await
    }

    pub async fn set_deadline(
        &self,
        attempt_id: i64,
        deadline: DateTime<Utc>,
    ) -> Result<(), LiveUnavailable> {
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
    ) -> Result<Option<Snapshot>, LiveUnavailable> {
        self.with_session(attempt_id, async |s| {
            let Some(s) = s.as_mut() else {
                return Ok(None);
            };
            if s.claimed_at.is_some_and(|at| now - at < lease) {
                return Ok(None);
            }
            s.open = false;
            s.claimed_at = Some(now);
            Ok(Some(s.snapshot()))
        })
        .await
    }

    /// Forgets a session in memory. Its rows in `live_answers` went in the grading
    /// transaction; its log rows go when the journal is next idle.
    pub async fn remove(&self, attempt_id: i64) -> Result<(), LiveUnavailable> {
        self.sessions
            .lock()
            .expect("session map lock")
            .remove(&attempt_id);
        Ok(())
    }

    pub async fn touch(&self, attempt_id: i64, now: DateTime<Utc>) -> Result<(), LiveUnavailable> {
        self.with_session(attempt_id, async |s| {
            if let Some(s) = s.as_mut() {
                s.last_seen = Some(now);
            }
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_keep_a_choice_as_stored() {
        let abcd = Letters::from_chars("ABCD");
        assert!(abcd.contains("C") && !abcd.contains("E") && !abcd.contains("AB"));
        let tf = Letters::from_chars("TF");
        assert!(tf.contains("T") && tf.contains("F") && !tf.contains("A"));
        let choice = Letters::of(["C", "A"]).unwrap();
        assert_eq!(choice.keys(), ["A", "C"]);
        assert_eq!(Letters::of([]).unwrap().keys(), Vec::<String>::new());
        assert_eq!(Letters::of(["甲"]), None);
    }

    #[test]
    fn restore_puts_journalled_answers_in_their_places() {
        let keys = ["ABCD".to_string(), "TF".to_string()];
        let mut session = Session::new(1, Utc::now(), &keys);
        session.restore(vec![
            (2, "T".into(), 4),
            (1, "A,C".into(), 2),
            (3, "A".into(), 1), // not on this paper
        ]);
        let answers = session.answer_map();
        assert_eq!(answers.len(), 2);
        assert_eq!(answers[&1].choice, ["A", "C"]);
        assert_eq!(answers[&1].seq, 2);
        assert_eq!(answers[&2].choice, ["T"]);
    }
}
