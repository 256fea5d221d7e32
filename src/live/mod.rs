//! The live-session store (在考会话): where running exam attempts live while candidates
//! answer. Redis when `REDIS_URL` is set, so several app instances share it; otherwise an
//! in-process store with the same interface. Everything durable lives in the database.

mod memory;
mod redis_store;

use crate::config::Config;
pub use memory::MemoryStore;
pub use redis_store::RedisStore;

#[derive(Clone)]
pub enum LiveStore {
    Memory(MemoryStore),
    Redis(RedisStore),
}

/// The store could not be reached; callers answer 503 `store_unavailable`.
#[derive(Debug, thiserror::Error)]
#[error("live-session store unavailable: {0}")]
pub struct StoreUnavailable(pub String);

impl LiveStore {
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        match &config.redis_url {
            Some(url) => Ok(LiveStore::Redis(
                RedisStore::connect(url, &config.redis_prefix).await?,
            )),
            None => Ok(LiveStore::Memory(MemoryStore::default())),
        }
    }

    /// A short name for logs and `/readyz`.
    pub fn kind(&self) -> &'static str {
        match self {
            LiveStore::Memory(_) => "in_process",
            LiveStore::Redis(_) => "redis",
        }
    }

    /// True when the store answers a round trip.
    pub async fn ping(&self) -> Result<(), StoreUnavailable> {
        match self {
            LiveStore::Memory(store) => store.ping(),
            LiveStore::Redis(store) => store.ping().await,
        }
    }
}
