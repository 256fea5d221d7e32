//! The background sender: claims due mail, sends it, and backs off on failure
//! (`MAIL_RETRY_BASE_MS`, doubling, up to an hour; given up after 12 attempts and kept for
//! inspection).

use super::{Transport, outbox};
use crate::AppState;
use chrono::Utc;
use lettre::message::Mailbox;
use std::time::Duration;

const MAX_ATTEMPTS: i64 = 12;

/// Sends what is due once; returns how many mails it handled. The worker loop and tests
/// both call this.
pub async fn drain_once(
    state: &AppState,
    transport: &Transport,
    from: &Mailbox,
) -> anyhow::Result<usize> {
    let now = Utc::now();
    let claimed =
        outbox::claim_due(&state.db, now, now + chrono::Duration::seconds(120), 50).await?;
    let handled = claimed.len();
    for item in claimed {
        match transport.send(from, &item.mail).await {
            Ok(()) => {
                outbox::mark_sent(&state.db, item.id, Utc::now()).await?;
                tracing::info!(outbox_id = item.id, kind = %item.kind, "mail sent");
            }
            Err(err) => {
                let attempt = item.attempts + 1;
                let base = state.config.mail_retry_base.as_millis() as i64;
                let backoff_ms = base
                    .saturating_mul(1 << (attempt - 1).clamp(0, 20))
                    .min(3_600_000);
                let give_up = attempt >= MAX_ATTEMPTS;
                outbox::mark_failed(
                    &state.db,
                    item.id,
                    &err.to_string(),
                    Utc::now() + chrono::Duration::milliseconds(backoff_ms),
                    give_up,
                )
                .await?;
                tracing::warn!(outbox_id = item.id, attempt, give_up, error = %err, "mail not sent");
            }
        }
    }
    Ok(handled)
}

/// Runs until `shutdown` flips, polling every `interval`.
pub async fn run(
    state: AppState,
    transport: Transport,
    from: Mailbox,
    interval: Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let busy = match drain_once(&state, &transport, &from).await {
            Ok(n) => n > 0,
            Err(err) => {
                tracing::warn!(error = %err, "mail worker could not read the outbox");
                false
            }
        };
        // A busy outbox is drained again at once.
        let stop = if busy {
            *shutdown.borrow()
        } else {
            crate::background::stop_after(interval, &mut shutdown).await
        };
        if stop {
            return;
        }
    }
}
