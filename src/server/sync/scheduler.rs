//! The schedule trigger (DESIGN §4.4): every minute, connections whose next
//! sync is due get a job. Claiming moves their `next_sync_at` first, so with
//! several instances each connection is scheduled once.

use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinHandle;

use super::SyncEngine;
use crate::server::store::jobs::SyncTrigger;

/// How often the schedule is checked.
const TICK: Duration = Duration::from_secs(60);

/// Starts the scheduler; it runs until its handle is aborted.
pub fn spawn(engine: &SyncEngine) -> JoinHandle<()> {
    let engine = engine.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        loop {
            tick.tick().await;
            if let Err(e) = schedule_due(&engine).await {
                tracing::error!(error = %e, "scheduler: cannot schedule syncs");
            }
        }
    })
}

/// Queues a sync for every connection due now; returns how many.
///
/// # Errors
/// The database failed.
pub async fn schedule_due(engine: &SyncEngine) -> Result<usize, crate::server::store::StoreError> {
    let now = Utc::now();
    let next = || engine.next_scheduled(Utc::now());
    let due = engine.store.claim_due_connections(now, &next, 500).await?;
    for connection in &due {
        engine.request(*connection, SyncTrigger::Schedule).await?;
    }
    if !due.is_empty() {
        tracing::info!(count = due.len(), "scheduled syncs queued");
    }
    Ok(due.len())
}
