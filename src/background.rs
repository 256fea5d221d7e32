//! What the server's periodic jobs (sweeper, reminders, report books, SQLite checkpoints)
//! share: the wait between two runs, cut short by shutdown.

use std::time::Duration;
use tokio::sync::watch;

/// Waits `every`, or less if `shutdown` flips first; true when the job is to stop.
pub async fn stop_after(every: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(every) => {}
        _ = shutdown.changed() => {}
    }
    *shutdown.borrow()
}
