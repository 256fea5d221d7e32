//! A small fixed-window rate limiter per client, kept in process (each instance limits on its
//! own; behind N instances the effective limit is at most N times the setting).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

pub struct RateLimiter {
    per_window: u32,
    window: Duration,
    counts: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn per_minute(limit: u32) -> Self {
        Self {
            per_window: limit,
            window: Duration::from_secs(60),
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request from `client`; false once the client is over its limit.
    pub fn allow(&self, client: &str) -> bool {
        let now = Instant::now();
        let mut counts = self.counts.lock().expect("rate limiter lock");
        if counts.len() > 100_000 {
            // Forget finished windows so the map cannot grow without bound.
            counts.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = counts.entry(client.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.per_window
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn limits_each_client_separately() {
        let limiter = super::RateLimiter::per_minute(2);
        assert!(limiter.allow("a") && limiter.allow("a"));
        assert!(!limiter.allow("a"));
        assert!(limiter.allow("b"));
    }
}
