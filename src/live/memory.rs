//! The in-process live-session store: the embedded default for a single instance.

use super::StoreUnavailable;

#[derive(Clone, Default)]
pub struct MemoryStore {}

impl MemoryStore {
    pub fn ping(&self) -> Result<(), StoreUnavailable> {
        Ok(())
    }
}
