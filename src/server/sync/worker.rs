//! Sync workers: claim a due job, keep its lease alive while it runs, run
//! it. Any number of them, in any number of processes, share one queue.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use tokio::task::JoinHandle;

use super::SyncEngine;

/// How often an idle worker looks for work queued by another process.
const POLL: Duration = Duration::from_secs(2);

/// Starts `count` workers; they run until their handles are aborted. An
/// aborted run loses only its uncommitted page.
pub fn spawn(engine: &SyncEngine, count: usize) -> Vec<JoinHandle<()>> {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into());
    (0..count)
        .map(|n| {
            let engine = engine.clone();
            let id = format!("{host}:{}:{n}:{}", std::process::id(), uuid::Uuid::new_v4().simple());
            tokio::spawn(async move { work(engine, id).await })
        })
        .collect()
}

/// Claims and runs jobs until there are none, then waits to be woken.
async fn work(engine: SyncEngine, id: String) {
    loop {
        if !run_one(&engine, &id).await {
            tokio::select! {
                () = engine.woken() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }
}

/// Runs the job due first, if any; `false` when there was none.
pub async fn run_one(engine: &SyncEngine, id: &str) -> bool {
    let lease = TimeDelta::from_std(engine.settings.lease).unwrap_or(TimeDelta::minutes(2));
    let now = Utc::now();
    let job = match engine.store.claim_job(id, now, now + lease).await {
        Ok(Some(job)) => job,
        Ok(None) => return false,
        Err(e) => {
            tracing::error!(error = %e, "sync worker: cannot claim a job");
            tokio::time::sleep(POLL).await;
            return false;
        }
    };
    let lease_ok = Arc::new(AtomicBool::new(true));
    let heartbeat = {
        let (engine, id, lease_ok, job_id) = (engine.clone(), id.to_owned(), lease_ok.clone(), job.job_id);
        tokio::spawn(async move {
            let every = (engine.settings.lease / 4).max(Duration::from_millis(100));
            loop {
                tokio::time::sleep(every).await;
                match engine.store.renew_lease(job_id, &id, Utc::now() + lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        lease_ok.store(false, Ordering::SeqCst);
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e, "sync worker: cannot renew the lease"),
                }
            }
        })
    };
    engine.run_job(id, &job, &lease_ok).await;
    heartbeat.abort();
    true
}
