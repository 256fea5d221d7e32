//! Group commit for starts. When a room presses 开始考试 at once, each start used to commit
//! its own transaction; on PostgreSQL over TCP those commits and their round trips were most
//! of the database's work in the storm (bench/README.md). Starts now queue here and one
//! writer commits whatever has queued as one transaction (`store::insert_attempts`): alone,
//! a start is its own batch and waits for nothing; in a storm, a batch takes the ones that
//! arrived while the previous batch was committing.

use super::store::{self, NewAttempt};
use crate::db::Db;
use tokio::sync::{mpsc, oneshot};

/// Attempts committed in one transaction at most (8 bound values each).
const BATCH: usize = 256;

type Reply = oneshot::Sender<Result<Option<i64>, String>>;

/// A handle to the writer; cheap to clone.
#[derive(Clone)]
pub struct StartWriter {
    queue: mpsc::Sender<(NewAttempt, Reply)>,
}

impl StartWriter {
    /// Spawns the writer on the current runtime. The queue is bounded, so a burst waits for
    /// room instead of growing memory.
    pub fn spawn(db: Db) -> Self {
        let (queue, requests) = mpsc::channel(4 * BATCH);
        tokio::spawn(write_batches(db, requests));
        Self { queue }
    }

    /// Inserts the attempt (and its `started` event); its id, or None when the registration
    /// has an attempt already.
    pub async fn insert(&self, attempt: NewAttempt) -> anyhow::Result<Option<i64>> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((attempt, reply))
            .await
            .map_err(|_| anyhow::anyhow!("the start writer has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the start writer has stopped"))?
            .map_err(|e| anyhow::anyhow!("starting the attempt: {e}"))
    }
}

async fn write_batches(db: Db, mut requests: mpsc::Receiver<(NewAttempt, Reply)>) {
    let mut batch = Vec::with_capacity(BATCH);
    while requests.recv_many(&mut batch, BATCH).await > 0 {
        let (attempts, replies): (Vec<NewAttempt>, Vec<Reply>) = batch.drain(..).unzip();
        match store::insert_attempts(&db, &attempts).await {
            Ok(ids) => {
                for (reply, id) in replies.into_iter().zip(ids) {
                    let _ = reply.send(Ok(id));
                }
            }
            // One bad row must not fail the others: on an error, each is tried alone.
            Err(e) if attempts.len() > 1 => {
                tracing::warn!(error = %e, starts = attempts.len(), "a batch of starts failed; trying each alone");
                for (attempt, reply) in attempts.into_iter().zip(replies) {
                    let one = store::insert_attempts(&db, std::slice::from_ref(&attempt))
                        .await
                        .map(|ids| ids.into_iter().next().flatten())
                        .map_err(|e| e.to_string());
                    let _ = reply.send(one);
                }
            }
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Err(e.to_string()));
                }
            }
        }
    }
}
