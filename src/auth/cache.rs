//! A short-lived, in-process memory of which caller a token stands for. Every save during an
//! exam carries a token; looking it up in the database each time cost two queries per save,
//! the largest share of a save's work. An entry lives a few seconds (`AUTH_CACHE_SECS`) and
//! never past the token's own expiry; a logout on this instance forgets it at once, and other
//! instances within that lifetime.

use super::Caller;
use chrono::{DateTime, Utc};
use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Above this many entries, stale ones are dropped before adding another.
const PRUNE_ABOVE: usize = 50_000;

pub struct CallerCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

struct Entry {
    caller: Caller,
    fresh_until: Instant,
    token_expires_at: DateTime<Utc>,
}

impl CallerCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::default(),
        }
    }

    /// The caller behind a token digest, if remembered and still fresh.
    pub fn get(&self, digest: &str, now: DateTime<Utc>) -> Option<Caller> {
        let entries = self.entries.lock().expect("caller cache lock");
        let entry = entries.get(digest)?;
        (entry.fresh_until > Instant::now() && entry.token_expires_at > now)
            .then(|| entry.caller.clone())
    }

    pub fn put(&self, caller: &Caller, token_expires_at: DateTime<Utc>) {
        if self.ttl.is_zero() {
            return;
        }
        let now = Instant::now();
        let mut entries = self.entries.lock().expect("caller cache lock");
        if entries.len() >= PRUNE_ABOVE {
            entries.retain(|_, e| e.fresh_until > now);
        }
        entries.insert(
            caller.token_digest.clone(),
            Entry {
                caller: caller.clone(),
                fresh_until: now + self.lifetime(&caller.token_digest),
                token_expires_at,
            },
        );
    }

    /// Between three quarters of the ttl and all of it, by the token. A room that signs in
    /// together would otherwise come back to the database together every ttl: 5,000 lookups
    /// in one second, every few seconds, on the cores the exam runs on (bench/README.md).
    fn lifetime(&self, digest: &str) -> Duration {
        let spread = digest
            .bytes()
            .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
            % 256;
        self.ttl - self.ttl.mul_f64(0.25 * f64::from(spread) / 255.0)
    }

    pub fn forget(&self, digest: &str) {
        self.entries
            .lock()
            .expect("caller cache lock")
            .remove(digest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    fn caller(digest: &str) -> Caller {
        Caller {
            user_id: 7,
            name: "王五".into(),
            roles: vec![Role::Candidate],
            enterprise_id: None,
            street_id: None,
            token_digest: digest.into(),
        }
    }

    #[test]
    fn entries_of_a_room_signing_in_together_expire_spread_over_a_quarter_of_the_ttl() {
        let ttl = Duration::from_secs(40);
        let cache = CallerCache::new(ttl);
        let lifetimes: Vec<Duration> = (0..500)
            .map(|n| cache.lifetime(&format!("{n:064x}")))
            .collect();
        assert!(lifetimes.iter().all(|l| *l >= ttl * 3 / 4 && *l <= ttl));
        let shortest = lifetimes.iter().min().unwrap();
        let longest = lifetimes.iter().max().unwrap();
        assert!(
            *longest - *shortest >= Duration::from_secs(8),
            "{shortest:?}..{longest:?}"
        );
    }

    #[test]
    fn remembers_until_forgotten() {
        let cache = CallerCache::new(Duration::from_secs(60));
        let now = Utc::now();
        cache.put(&caller("d1"), now + chrono::Duration::hours(1));
        assert_eq!(cache.get("d1", now).map(|c| c.user_id), Some(7));
        assert!(cache.get("d2", now).is_none());
        cache.forget("d1");
        assert!(cache.get("d1", now).is_none());
    }

    #[test]
    fn never_outlives_the_token() {
        let cache = CallerCache::new(Duration::from_secs(60));
        let now = Utc::now();
        cache.put(&caller("d1"), now + chrono::Duration::seconds(1));
        assert!(cache.get("d1", now).is_some());
        assert!(
            cache
                .get("d1", now + chrono::Duration::seconds(2))
                .is_none()
        );
    }

    #[test]
    fn a_zero_lifetime_keeps_nothing() {
        let cache = CallerCache::new(Duration::ZERO);
        let now = Utc::now();
        cache.put(&caller("d1"), now + chrono::Duration::hours(1));
        assert!(cache.get("d1", now).is_none());
    }

    #[test]
    fn an_entry_goes_stale_after_its_lifetime() {
        let cache = CallerCache::new(Duration::from_millis(1));
        let now = Utc::now();
        cache.put(&caller("d1"), now + chrono::Duration::hours(1));
        std::thread::sleep(Duration::from_millis(5));
        assert!(cache.get("d1", now).is_none());
    }
}
