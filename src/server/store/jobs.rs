//! The sync queue, sync run log and webhook log (DESIGN §4, §8): what lets
//! several workers, in one process or many, sync each connection once at a
//! time and survive crashes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreError;
use super::bank::PageCounts;
use crate::model::ProviderKind;

/// Why a sync runs (`sync_runs.trigger`, `sync_jobs.reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncTrigger {
    Link,
    Manual,
    Webhook,
    Schedule,
}

impl SyncTrigger {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::Manual => "manual",
            Self::Webhook => "webhook",
            Self::Schedule => "schedule",
        }
    }

    /// Parses [`as_str`](Self::as_str).
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Link, Self::Manual, Self::Webhook, Self::Schedule].into_iter().find(|t| t.as_str() == s)
    }
}

/// The answer to a sync request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    pub job_id: Uuid,
    /// The run that will carry out the request: a new queued one, the queued
    /// one it joined, or the running one (which will run again afterwards).
    pub run_id: Uuid,
}

/// A job a worker holds the lease of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub job_id: Uuid,
    pub connection_id: Uuid,
    pub trigger: SyncTrigger,
    pub run_id: Uuid,
    /// This claim included.
    pub attempts: i64,
}

/// How a run ended, for its `sync_runs` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunResult {
    /// `success`, `error`, `rate_limited`, `needs_relink`, `revoked`, `deferred`.
    pub outcome: String,
    pub pages: i64,
    pub added: i64,
    pub modified: i64,
    pub removed: i64,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// A `sync_runs` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRunRecord {
    pub id: Uuid,
    pub connection_id: Uuid,
    pub trigger: SyncTrigger,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: String,
    pub pages: i64,
    pub added: i64,
    pub modified: i64,
    pub removed: i64,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// A webhook delivery to record.
#[derive(Debug, Clone)]
pub struct WebhookDelivery {
    pub provider: ProviderKind,
    pub delivery_key: String,
    pub verified: bool,
    pub event_type: Option<String>,
    pub item_id: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// The queue, runs and webhook log.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Asks for a sync of a connection at `run_after`. At most one job exists
    /// per connection: a request while one is queued joins it (moving it
    /// earlier if needed); a request while one runs marks it to run again.
    async fn enqueue_sync(
        &self,
        connection_id: Uuid,
        trigger: SyncTrigger,
        run_after: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Enqueued, StoreError>;
    /// Takes the lease of the job due first (none locked by another live
    /// worker), marks its run `running`, and returns it.
    async fn claim_job(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<ClaimedJob>, StoreError>;
    /// Extends a lease; `false` if the worker lost it.
    async fn renew_lease(&self, job_id: Uuid, worker: &str, until: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Ends a job the worker holds: deleted, unless a rerun was asked for
    /// while it ran; then it is queued again now, with a new run, returned.
    async fn complete_job(&self, job_id: Uuid, worker: &str, now: DateTime<Utc>) -> Result<Option<Uuid>, StoreError>;
    /// Releases a job to run again at `run_after` with a new queued run
    /// (returned); `reset_attempts` for waits that are not failures.
    async fn retry_job(
        &self,
        job_id: Uuid,
        worker: &str,
        run_after: DateTime<Utc>,
        error: Option<&str>,
        reset_attempts: bool,
        now: DateTime<Utc>,
    ) -> Result<Uuid, StoreError>;

    /// Writes how a run ended.
    async fn finish_run(&self, run_id: Uuid, result: &RunResult, now: DateTime<Utc>) -> Result<(), StoreError>;
    /// Writes a running run's figures so far (pages applied, counts), so
    /// whoever polls it sees the run grow page by page. Ignored once the run
    /// is no longer `running`: a late write never overwrites how it ended.
    async fn record_progress(
        &self,
        run_id: Uuid,
        pages: i64,
        counts: PageCounts,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// One run.
    async fn sync_run(&self, run_id: Uuid) -> Result<Option<SyncRunRecord>, StoreError>;
    /// A user's runs, newest first, of one connection or all.
    async fn user_sync_runs(
        &self,
        user_id: Uuid,
        connection_id: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<SyncRunRecord>, StoreError>;

    /// The latest `per_connection` runs of each of a user's connections,
    /// newest first (a busy connection does not crowd out the others).
    async fn recent_sync_runs(&self, user_id: Uuid, per_connection: i64) -> Result<Vec<SyncRunRecord>, StoreError>;

    /// Connections whose scheduled sync is due, claimed by moving their
    /// `next_sync_at` to what `next` says for each, so no other instance
    /// schedules them too.
    async fn claim_due_connections(
        &self,
        now: DateTime<Utc>,
        next: &(dyn Fn() -> DateTime<Utc> + Send + Sync),
        limit: i64,
    ) -> Result<Vec<Uuid>, StoreError>;

    /// Records a webhook delivery; `None` if this delivery was seen before
    /// (a replay), else its id.
    async fn record_webhook(&self, delivery: &WebhookDelivery) -> Result<Option<Uuid>, StoreError>;
    /// Writes what handling a webhook came to.
    async fn finish_webhook(&self, id: Uuid, outcome: &str, now: DateTime<Utc>) -> Result<(), StoreError>;
}
