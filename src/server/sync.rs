//! The sync engine (DESIGN §4): provider-agnostic, page by page, each page
//! committed with the cursor after it, one run per connection at a time
//! (the queue's lease), every run logged, and the connection's health set
//! from the outcome (DESIGN §5).

pub mod scheduler;
pub mod worker;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::model::ConnectionStatus;
use crate::server::crypto::Keyring;
use crate::server::provider::{ApiErrorKind, ItemReadiness, ItemRef, ItemSecret, Provider, ProviderError, Providers};
use crate::server::store::bank::{ConnectionRecord, PageCounts, StatusChange};
use crate::server::store::jobs::{ClaimedJob, Enqueued, RunResult, SyncTrigger};
use crate::server::store::{SecretSlot, Store, StoreError};

/// Restarts of a pagination after the provider reported a mutation, per run.
const MAX_RESTARTS: u32 = 3;
/// A run that pages this long is stopped (a provider that never ends).
const MAX_PAGES: i64 = 10_000;

/// How syncs are paced.
#[derive(Debug, Clone, Copy)]
pub struct SyncSettings {
    /// Between scheduled syncs of a connection (jittered ±10 %).
    pub interval: Duration,
    /// How long a claimed job stays leased without a heartbeat.
    pub lease: Duration,
    /// Attempts of a job failing with transient errors before it waits for
    /// the schedule.
    pub max_attempts: i64,
    /// The first retry delay after a transient failure, doubled per attempt.
    pub retry_base: Duration,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(6 * 3600),
            lease: Duration::from_secs(120),
            max_attempts: 5,
            retry_base: Duration::from_secs(30),
        }
    }
}

/// What can stop a run, besides the provider.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the connection's token cannot be decrypted: {0}")]
    Secret(String),
    #[error("no {0} provider is configured")]
    NoProvider(&'static str),
    #[error("another worker took over this sync")]
    LeaseLost,
    #[error("the provider kept changing data during pagination")]
    TooManyRestarts,
}

/// Runs syncs: shared by the web process and `tributary worker`.
#[derive(Clone)]
pub struct SyncEngine {
    pub store: Arc<dyn Store>,
    pub keyring: Arc<Keyring>,
    pub providers: Providers,
    pub settings: SyncSettings,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for SyncEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncEngine").field("providers", &self.providers).field("settings", &self.settings).finish()
    }
}

/// How a run went, counts included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    pub pages: i64,
    pub counts: PageCounts,
}

impl SyncEngine {
    /// An engine over these parts.
    pub fn new(store: Arc<dyn Store>, keyring: Arc<Keyring>, providers: Providers, settings: SyncSettings) -> Self {
        Self { store, keyring, providers, settings, wake: Arc::new(Notify::new()) }
    }

    /// Queues a sync of `connection_id` now and wakes a local worker.
    ///
    /// # Errors
    /// The database failed.
    pub async fn request(&self, connection_id: Uuid, trigger: SyncTrigger) -> Result<Enqueued, StoreError> {
        let now = Utc::now();
        let queued = self.store.enqueue_sync(connection_id, trigger, now, now).await?;
        self.wake.notify_waiters();
        Ok(queued)
    }

    /// Resolves when [`request`](Self::request) queued something (or spuriously).
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// The next scheduled sync after `now`: the interval, ±10 % jitter so
    /// connections linked together do not all sync together.
    pub fn next_scheduled(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let base = self.settings.interval.as_secs_f64();
        let jittered = base * (0.9 + rand::random::<f64>() * 0.2);
        now + TimeDelta::milliseconds((jittered * 1000.0) as i64)
    }

    /// The item reference of a stored connection, its token decrypted.
    ///
    /// # Errors
    /// The token does not decrypt with any configured key.
    pub fn item(&self, connection: &ConnectionRecord) -> Result<ItemRef, SyncError> {
        let context = SecretSlot::ConnectionToken(connection.id).context();
        let secret =
            self.keyring.open(&connection.access_token_enc, &context).map_err(|e| SyncError::Secret(e.to_string()))?;
        Ok(ItemRef { item_id: connection.provider_item_id.clone(), secret: ItemSecret::new(secret) })
    }

    /// The provider of a connection.
    ///
    /// # Errors
    /// That provider is not configured.
    pub fn provider(&self, connection: &ConnectionRecord) -> Result<Arc<dyn Provider>, SyncError> {
        self.providers.get(connection.provider).cloned().ok_or(SyncError::NoProvider(connection.provider.as_str()))
    }

    /// Carries out a claimed job to the end: the run row, the connection's
    /// health, and what happens to the job (done, retried, or waiting).
    /// `lease_ok` turns false when the heartbeat loses the lease.
    pub async fn run_job(&self, worker: &str, job: &ClaimedJob, lease_ok: &AtomicBool) {
        let now = Utc::now();
        let connection = match self.store.connection(job.connection_id).await {
            Ok(Some(c)) => c,
            Ok(None) => return, // Deleted meanwhile; its job went with it.
            Err(e) => {
                tracing::error!(error = %e, "sync: cannot read the connection");
                self.requeue(worker, job, Self::after(self.backoff(job.attempts)), Some(&e.to_string()), false).await;
                return;
            }
        };
        if let Some(allowed) = connection.next_sync_allowed_at.filter(|t| *t > now) {
            // The provider asked us to wait: the run waits with the job.
            self.requeue(worker, job, allowed, None, false).await;
            return;
        }
        let mut summary = RunSummary { pages: 0, counts: PageCounts::default() };
        let result = self.sync_connection(&connection, job, lease_ok, &mut summary).await;
        self.conclude(worker, job, &connection, result, &summary).await;
    }

    async fn sync_connection(
        &self,
        connection: &ConnectionRecord,
        job: &ClaimedJob,
        lease_ok: &AtomicBool,
        summary: &mut RunSummary,
    ) -> Result<Option<Duration>, SyncError> {
        let provider = self.provider(connection)?;
        let item = self.item(connection)?;
        match provider.prepare_sync(&item).await? {
            ItemReadiness::Busy { retry_in } => return Ok(Some(retry_in)),
            ItemReadiness::Ready { .. } => {}
        }
        let accounts = provider.accounts(&item).await?;
        self.store.upsert_accounts(connection.id, connection.user_id, &accounts, Utc::now().date_naive()).await?;

        let mut cursor = connection.sync_cursor.clone();
        let mut restarts = 0;
        loop {
            if !lease_ok.load(Ordering::SeqCst) {
                return Err(SyncError::LeaseLost);
            }
            let page = match provider.transactions(&item, cursor.as_deref(), &accounts).await {
                Ok(page) => page,
                Err(e) if e.kind() == ApiErrorKind::RestartPagination && restarts < MAX_RESTARTS => {
                    // DESIGN §4.7: start over from the last committed cursor.
                    restarts += 1;
                    tracing::info!(connection = %connection.id, restarts, "sync: restarting pagination");
                    cursor = self.store.connection(connection.id).await?.and_then(|c| c.sync_cursor);
                    continue;
                }
                Err(e) if e.kind() == ApiErrorKind::RestartPagination => return Err(SyncError::TooManyRestarts),
                Err(e) => return Err(e.into()),
            };
            let counts = self.store.apply_page(connection.id, cursor.as_deref(), &page, Utc::now()).await?;
            summary.pages += 1;
            summary.counts += counts;
            // Progress goes in its own statement right after the page, not in
            // the page's transaction: the figures are for people watching the
            // run, while exactly-once rests on the cursor alone (DESIGN §4.1),
            // and `finish_run` writes the final figures either way. A crash
            // between the two leaves the display one page behind, never the
            // data; and the bank store's page transaction stays free of the
            // run log. A failed write is logged, not fatal to the sync.
            self.log(self.store.record_progress(job.run_id, summary.pages, summary.counts, Utc::now()).await);
            cursor = Some(page.next_cursor);
            if !page.has_more {
                break;
            }
            if summary.pages >= MAX_PAGES {
                tracing::warn!(connection = %connection.id, "sync: page limit reached; the rest waits for the next run");
                break;
            }
        }
        tracing::info!(
            connection = %connection.id,
            trigger = job.trigger.as_str(),
            pages = summary.pages,
            added = summary.counts.added,
            modified = summary.counts.modified,
            removed = summary.counts.removed,
            "sync finished"
        );
        if summary.counts.added > 0
            && let Err(e) = self.store.refresh_statistics().await
        {
            tracing::warn!(error = %e, "sync: cannot refresh the query planner's statistics");
        }
        Ok(None)
    }

    /// Writes the run, the connection's health and the job's fate.
    async fn conclude(
        &self,
        worker: &str,
        job: &ClaimedJob,
        connection: &ConnectionRecord,
        result: Result<Option<Duration>, SyncError>,
        summary: &RunSummary,
    ) {
        let now = Utc::now();
        let run = |outcome: &str, error: Option<(&str, String)>| RunResult {
            outcome: outcome.to_owned(),
            pages: summary.pages,
            added: summary.counts.added,
            modified: summary.counts.modified,
            removed: summary.counts.removed,
            error_code: error.as_ref().map(|(code, _)| (*code).to_owned()),
            error_message: error.map(|(_, message)| message),
        };
        let outcome = match result {
            Ok(Some(retry_in)) => {
                self.requeue(worker, job, Self::after(retry_in), None, false).await;
                return;
            }
            Ok(None) => {
                self.log(self.store.mark_synced(connection.id, now, self.next_scheduled(now)).await);
                self.log(self.store.finish_run(job.run_id, &run("success", None), now).await);
                self.complete(worker, job).await;
                return;
            }
            Err(SyncError::LeaseLost) => {
                // The new holder runs it again from the committed cursor.
                self.log(self.store.finish_run(job.run_id, &run("abandoned", None), now).await);
                return;
            }
            Err(e) => e,
        };
        let (code, message) = match &outcome {
            SyncError::Provider(p) => (p.code().to_owned(), p.user_message()),
            SyncError::Store(_) => ("DATABASE_ERROR".to_owned(), "Saving the data failed; we will try again.".into()),
            SyncError::Secret(_) => {
                ("TOKEN_UNREADABLE".to_owned(), "This connection's key is unreadable; please relink it.".into())
            }
            SyncError::NoProvider(p) => ("PROVIDER_NOT_CONFIGURED".to_owned(), format!("{p} is not configured.")),
            SyncError::TooManyRestarts | SyncError::LeaseLost => {
                ("SYNC_INTERRUPTED".to_owned(), "The sync was interrupted; we will try again.".into())
            }
        };
        tracing::warn!(connection = %connection.id, code, error = %outcome, "sync failed");
        let kind = match &outcome {
            SyncError::Provider(p) => p.kind(),
            SyncError::Secret(_) => ApiErrorKind::LoginRequired,
            SyncError::NoProvider(_) => ApiErrorKind::Permanent,
            SyncError::Store(_) | SyncError::TooManyRestarts | SyncError::LeaseLost => ApiErrorKind::Transient,
        };
        let change = |status| StatusChange {
            status,
            detail: Some(message.clone()),
            error_code: Some(code.clone()),
            next_sync_allowed_at: None,
            consent_expires_at: None,
        };
        match kind {
            ApiErrorKind::RateLimited => {
                let wait = match &outcome {
                    SyncError::Provider(p) => p.retry_after(),
                    _ => None,
                }
                .unwrap_or_else(|| self.backoff(job.attempts))
                .max(Duration::from_secs(1));
                let allowed = now + TimeDelta::from_std(wait).unwrap_or(TimeDelta::minutes(1));
                let mut change = change(ConnectionStatus::RateLimited);
                change.next_sync_allowed_at = Some(allowed);
                self.log(self.store.set_connection_status(connection.id, &change).await);
                self.log(
                    self.store.finish_run(job.run_id, &run("rate_limited", Some((&code, message.clone()))), now).await,
                );
                self.requeue(worker, job, allowed, Some(&message), true).await;
            }
            ApiErrorKind::LoginRequired => {
                self.log(self.store.set_connection_status(connection.id, &change(ConnectionStatus::NeedsRelink)).await);
                self.log(
                    self.store.finish_run(job.run_id, &run("needs_relink", Some((&code, message.clone()))), now).await,
                );
                self.complete(worker, job).await;
            }
            ApiErrorKind::Revoked => {
                self.log(self.store.set_connection_status(connection.id, &change(ConnectionStatus::Revoked)).await);
                self.log(self.store.finish_run(job.run_id, &run("revoked", Some((&code, message.clone()))), now).await);
                self.complete(worker, job).await;
            }
            ApiErrorKind::Transient | ApiErrorKind::RestartPagination if job.attempts < self.settings.max_attempts => {
                self.log(self.store.finish_run(job.run_id, &run("error", Some((&code, message.clone()))), now).await);
                // The connection keeps its state while retries may still fix it.
                self.requeue(worker, job, Self::after(self.backoff(job.attempts)), Some(&message), true).await;
            }
            _ => {
                self.log(self.store.set_connection_status(connection.id, &change(ConnectionStatus::Error)).await);
                self.log(self.store.finish_run(job.run_id, &run("error", Some((&code, message.clone()))), now).await);
                self.complete(worker, job).await;
            }
        }
    }

    /// The delay before retry number `attempts` of a failing job.
    fn backoff(&self, attempts: i64) -> Duration {
        let exponent = u32::try_from(attempts.clamp(1, 10) - 1).unwrap_or(0);
        let base = self.settings.retry_base.saturating_mul(1 << exponent).min(Duration::from_secs(3600));
        base.mul_f64(0.75 + rand::random::<f64>() / 2.0)
    }

    async fn complete(&self, worker: &str, job: &ClaimedJob) {
        match self.store.complete_job(job.job_id, worker, Utc::now()).await {
            Ok(Some(_)) => self.wake.notify_waiters(),
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "sync: cannot complete the job"),
        }
    }

    /// Releases the job to run again at `at`. A failed attempt has written
    /// its run and counts as an attempt; a wait (`failed == false`) keeps
    /// the run and resets the attempts.
    async fn requeue(&self, worker: &str, job: &ClaimedJob, at: DateTime<Utc>, error: Option<&str>, failed: bool) {
        if let Err(e) = self.store.retry_job(job.job_id, worker, at, error, !failed, Utc::now()).await {
            tracing::error!(error = %e, "sync: cannot requeue the job");
        }
    }

    /// `delay` from now.
    fn after(delay: Duration) -> DateTime<Utc> {
        Utc::now() + TimeDelta::from_std(delay).unwrap_or(TimeDelta::minutes(1))
    }

    fn log(&self, result: Result<(), StoreError>) {
        if let Err(e) = result {
            tracing::error!(error = %e, "sync: cannot record the outcome");
        }
    }
}

#[cfg(test)]
mod tests;
