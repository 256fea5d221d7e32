//! Bounded work: at most `MAX_IN_FLIGHT` requests are handled at once and at most
//! `MAX_QUEUED` wait their turn, in arrival order. A request beyond both is answered at once
//! with 503 `server_busy` and `Retry-After`, so a burst (an exam room pressing 开始考试
//! together, a login storm) costs a bounded amount of memory instead of piling up work.
//! Health checks are never queued: they must answer while the server is busy.
//!
//! The turn is taken in `http_server`, on hyper's request, before poem builds the futures of
//! its middleware and handlers (~16 KB a request): a request waiting in line holds a few
//! hundred bytes, not the whole stack (bench/README.md, "Memory per request").

use poem::{IntoResponse, Response, http::StatusCode};
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Semaphore, SemaphorePermit};

/// How long a refused client should wait before trying again, in seconds.
pub const RETRY_AFTER_SECONDS: u32 = 1;

pub struct WorkLimit {
    running: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// Counts a request in the queue until it is dropped: a client that gives up while waiting
/// leaves the queue too.
struct InQueue<'a>(&'a AtomicUsize);

impl Drop for InQueue<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl WorkLimit {
    pub fn new(max_in_flight: usize, max_queued: usize) -> Self {
        Self {
            running: Semaphore::new(max_in_flight),
            waiting: AtomicUsize::new(0),
            max_waiting: max_queued,
        }
    }

    /// A turn to run, waiting in line if need be; `None` when the line is full.
    pub async fn enter(&self) -> Option<SemaphorePermit<'_>> {
        if let Ok(permit) = self.running.try_acquire() {
            return Some(permit);
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        let _queued = InQueue(&self.waiting);
        self.running.acquire().await.ok()
    }
}

/// Health checks never wait in line.
pub fn exempt(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz")
}

/// The answer when the line is full, with the headers every response carries.
pub fn busy() -> Response {
    let mut resp = poem::web::Json(serde_json::json!({
        "code": "server_busy",
        "message": "服务器正忙，请稍后重试 (the server is busy: retry after Retry-After seconds)",
    }))
    .with_status(StatusCode::SERVICE_UNAVAILABLE)
    .with_header("Retry-After", RETRY_AFTER_SECONDS.to_string())
    .into_response();
    super::headers::secure(&mut resp, false);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn a_full_line_refuses_and_a_freed_turn_goes_to_the_next_in_line() {
        let limit = Arc::new(WorkLimit::new(1, 1));
        let first = limit.enter().await.expect("a free turn");
        let waiting = {
            let limit = limit.clone();
            tokio::spawn(async move { limit.enter().await.is_some() })
        };
        while limit.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        assert!(
            limit.enter().await.is_none(),
            "one running, one waiting: full"
        );
        drop(first);
        assert!(
            waiting.await.unwrap(),
            "the waiting request runs once the turn is free"
        );
        assert_eq!(limit.waiting.load(Ordering::Acquire), 0);
    }

    #[tokio::test]
    async fn a_client_that_gives_up_leaves_the_line() {
        let limit = WorkLimit::new(1, 1);
        let _running = limit.enter().await.unwrap();
        let gave_up =
            tokio::time::timeout(std::time::Duration::from_millis(10), limit.enter()).await;
        assert!(gave_up.is_err());
        assert_eq!(limit.waiting.load(Ordering::Acquire), 0);
    }
}
