//! Reminder mails queued on a timer: the 24-hour exam reminder for every booking and the 90-
//! and 30-day expiry reminders for certificates. The outbox queues each reminder once (its
//! dedupe key), so every instance may run this loop; the mail worker sends what it queues.

use crate::AppState;
use std::time::Duration;

/// Queues every reminder that is due now.
pub async fn queue_due(state: &AppState) {
    if let Err(err) = crate::registrations::enqueue_due_reminders(state).await {
        tracing::warn!(error = %err, "exam reminders not queued");
    }
    if let Err(err) = crate::certificates::enqueue_expiry_reminders(state).await {
        tracing::warn!(error = %err, "expiry reminders not queued");
    }
}

/// Runs until `shutdown` flips, queueing due reminders every `every`.
pub async fn run(
    state: AppState,
    every: Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        queue_due(&state).await;
        if crate::background::stop_after(every, &mut shutdown).await {
            return;
        }
    }
}
