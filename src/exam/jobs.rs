//! Background exam jobs: the sweeper that grades attempts left open past their deadline
//! (recording the deadline, not the sweep time, as their finish), and drawing papers ahead
//! of the window. Both read the database, so they resume after a restart and any instance
//! may run them (grading is exactly-once).

use crate::AppState;
use chrono::Utc;
use std::time::Duration;

/// How many overdue attempts are graded at once: enough to overlap database round trips in
/// a deadline storm, few enough to leave connections for candidates still answering.
const GRADERS: usize = 8;

/// Grades every attempt whose deadline plus grace has passed; returns how many.
pub async fn sweep_once(state: &AppState) -> anyhow::Result<usize> {
    let grace = chrono::Duration::from_std(state.config.submit_grace)?;
    let overdue = super::store::overdue(&state.db, Utc::now() - grace, 2000).await?;
    let mut graders = tokio::task::JoinSet::new();
    let mut graded = 0;
    for (id, deadline) in overdue {
        if graders.len() >= GRADERS
            && let Some(done) = graders.join_next().await
        {
            graded += usize::from(done.unwrap_or(false));
        }
        let state = state.clone();
        graders.spawn(async move {
            match super::grade(&state, id, deadline, None).await {
                Ok(_) => true,
                Err(e) => {
                    tracing::warn!(attempt_id = id, error = %e, "auto-submit failed; retried next sweep");
                    false
                }
            }
        });
    }
    while let Some(done) = graders.join_next().await {
        graded += usize::from(done.unwrap_or(false));
    }
    Ok(graded)
}

/// Draws papers for sittings starting within the next two hours.
pub async fn prepare_upcoming(state: &AppState) -> anyhow::Result<usize> {
    let now = Utc::now();
    let mut drawn = 0;
    for sitting in
        super::store::sittings_starting_before(&state.db, now, now + chrono::Duration::hours(2))
            .await?
    {
        drawn += super::prepare_papers(state, sitting)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(drawn)
}

pub async fn run(
    state: AppState,
    every: Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut last_prepare: Option<std::time::Instant> = None;
    loop {
        if let Err(e) = sweep_once(&state).await {
            tracing::warn!(error = %e, "sweeper could not run");
        }
        if last_prepare.is_none_or(|t| t.elapsed() >= Duration::from_secs(30)) {
            last_prepare = Some(std::time::Instant::now());
            match prepare_upcoming(&state).await {
                Ok(n) if n > 0 => tracing::info!(papers = n, "papers drawn ahead of the window"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "papers not drawn"),
            }
        }
        if crate::background::stop_after(every, &mut shutdown).await {
            return;
        }
    }
}
