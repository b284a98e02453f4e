//! [`JobStore`] in the SQL both backends share. Claiming differs: PostgreSQL
//! adds `for update skip locked` so instances never wait on each other.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use super::{DbUuid, sql_impl};
use crate::server::store::StoreError;
use crate::server::store::bank::PageCounts;
use crate::server::store::jobs::{
    ClaimedJob, Enqueued, JobStore, RunResult, SyncRunRecord, SyncTrigger, WebhookDelivery,
};

/// A run's columns, from a table or subquery named `r`.
const RUN_COLUMNS: &str = "r.id, r.connection_id, r.trigger, r.started_at, r.finished_at, r.outcome, \
     cast(r.pages as bigint) as pages, cast(r.added as bigint) as added, cast(r.modified as bigint) as modified, \
     cast(r.removed as bigint) as removed, r.error_code, r.error_message";

#[derive(FromRow)]
struct RunRow {
    id: DbUuid,
    connection_id: DbUuid,
    trigger: String,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    outcome: String,
    pages: i64,
    added: i64,
    modified: i64,
    removed: i64,
    error_code: Option<String>,
    error_message: Option<String>,
}

fn trigger(s: &str) -> Result<SyncTrigger, StoreError> {
    SyncTrigger::parse(s).ok_or_else(|| StoreError::Corrupt(format!("sync trigger {s:?}")))
}

impl TryFrom<RunRow> for SyncRunRecord {
    type Error = StoreError;

    fn try_from(r: RunRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.id.0,
            connection_id: r.connection_id.0,
            trigger: trigger(&r.trigger)?,
            started_at: r.started_at,
            finished_at: r.finished_at,
            outcome: r.outcome,
            pages: r.pages,
            added: r.added,
            modified: r.modified,
            removed: r.removed,
            error_code: r.error_code,
            error_message: r.error_message,
        })
    }
}

#[derive(FromRow)]
struct JobRow {
    id: DbUuid,
    connection_id: DbUuid,
    reason: String,
    run_id: Option<DbUuid>,
    attempts: i64,
}

sql_impl!(JobStore {
    async fn enqueue_sync(
        &self,
        connection_id: Uuid,
        trigger: SyncTrigger,
        run_after: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Enqueued, StoreError> {
        let new_run = Uuid::new_v4();
        // One statement, so concurrent requests cannot both create a job.
        let (job_id, run_id): (DbUuid, Option<DbUuid>) = sqlx::query_as(
            "insert into sync_jobs (id, connection_id, reason, run_after, run_id, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $6) \
             on conflict (connection_id) do update set \
             rerun_requested = sync_jobs.rerun_requested \
                 or (sync_jobs.locked_until is not null and sync_jobs.locked_until > $6), \
             run_after = case when excluded.run_after < sync_jobs.run_after \
                 then excluded.run_after else sync_jobs.run_after end, \
             updated_at = $6 \
             returning id, run_id",
        )
        .bind(DbUuid(Uuid::new_v4()))
        .bind(DbUuid(connection_id))
        .bind(trigger.as_str().to_owned())
        .bind(run_after)
        .bind(DbUuid(new_run))
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        let run_id = run_id.map_or(new_run, |r| r.0);
        queue_run(&self.pool, run_id, connection_id, trigger, now).await?;
        Ok(Enqueued { job_id: job_id.0, run_id })
    }

    async fn claim_job(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        let sql = format!(
            "update sync_jobs set locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3 \
             where id = (select id from sync_jobs where run_after <= $3 \
                         and (locked_until is null or locked_until < $3) \
                         order by run_after, id limit 1{}) \
             returning id, connection_id, reason, run_id, cast(attempts as bigint) as attempts",
            DB::SKIP_LOCKED
        );
        let row: Option<JobRow> = sqlx::query_as(&sql)
            .bind(worker.to_owned())
            .bind(lease_until)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let trigger = trigger(&row.reason)?;
        let run_id = row.run_id.map_or_else(Uuid::new_v4, |r| r.0);
        // A run taken over after a crash starts its figures again: they show
        // this attempt's pages, as its progress and its end will.
        sqlx::query(
            "insert into sync_runs (id, connection_id, trigger, started_at, outcome, created_at, updated_at) \
             values ($1, $2, $3, $4, 'running', $4, $4) \
             on conflict (id) do update set outcome = 'running', started_at = $4, finished_at = null, \
             pages = 0, added = 0, modified = 0, removed = 0, error_code = null, error_message = null, \
             updated_at = $4",
        )
        .bind(DbUuid(run_id))
        .bind(row.connection_id)
        .bind(trigger.as_str().to_owned())
        .bind(now)
        .execute(&self.pool)
        .await?;
        if row.run_id.is_none() {
            sqlx::query("update sync_jobs set run_id = $2 where id = $1")
                .bind(row.id)
                .bind(DbUuid(run_id))
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(ClaimedJob {
            job_id: row.id.0,
            connection_id: row.connection_id.0,
            trigger,
            run_id,
            attempts: row.attempts,
        }))
    }

    async fn renew_lease(&self, job_id: Uuid, worker: &str, until: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query("update sync_jobs set locked_until = $3 where id = $1 and locked_by = $2")
            .bind(DbUuid(job_id))
            .bind(worker.to_owned())
            .bind(until)
            .execute(&self.pool)
            .await?;
        Ok(DB::rows_affected(&done) == 1)
    }

    async fn complete_job(&self, job_id: Uuid, worker: &str, now: DateTime<Utc>) -> Result<Option<Uuid>, StoreError> {
        let deleted = sqlx::query("delete from sync_jobs where id = $1 and locked_by = $2 and not rerun_requested")
            .bind(DbUuid(job_id))
            .bind(worker.to_owned())
            .execute(&self.pool)
            .await?;
        if DB::rows_affected(&deleted) == 1 {
            return Ok(None);
        }
        let run_id = Uuid::new_v4();
        let row: Option<(DbUuid, String)> = sqlx::query_as(
            "update sync_jobs set locked_by = null, locked_until = null, rerun_requested = false, attempts = 0, \
             run_after = $3, run_id = $4, last_error = null, updated_at = $3 \
             where id = $1 and locked_by = $2 returning connection_id, reason",
        )
        .bind(DbUuid(job_id))
        .bind(worker.to_owned())
        .bind(now)
        .bind(DbUuid(run_id))
        .fetch_optional(&self.pool)
        .await?;
        let Some((connection_id, reason)) = row else { return Ok(None) };
        queue_run(&self.pool, run_id, connection_id.0, trigger(&reason)?, now).await?;
        Ok(Some(run_id))
    }

    async fn retry_job(
        &self,
        job_id: Uuid,
        worker: &str,
        run_after: DateTime<Utc>,
        error: Option<&str>,
        reset_attempts: bool,
        now: DateTime<Utc>,
    ) -> Result<Uuid, StoreError> {
        let new_run = Uuid::new_v4();
        // A wait that is not a failure keeps its run; a failure has been
        // written to its run, so the next attempt gets a new one.
        let row: Option<(DbUuid, String, Option<DbUuid>)> = sqlx::query_as(
            "update sync_jobs set locked_by = null, locked_until = null, run_after = $3, last_error = $4, \
             attempts = case when $5 then 0 else attempts end, \
             run_id = case when $5 then run_id else $6 end, updated_at = $7 \
             where id = $1 and locked_by = $2 returning connection_id, reason, run_id",
        )
        .bind(DbUuid(job_id))
        .bind(worker.to_owned())
        .bind(run_after)
        .bind(error.map(str::to_owned))
        .bind(reset_attempts)
        .bind(DbUuid(new_run))
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some((connection_id, reason, run_id)) = row else { return Err(StoreError::NotFound) };
        let run_id = run_id.map_or(new_run, |r| r.0);
        sqlx::query(
            "insert into sync_runs (id, connection_id, trigger, started_at, outcome, created_at, updated_at) \
             values ($1, $2, $3, $4, 'queued', $4, $4) \
             on conflict (id) do update set outcome = 'queued', updated_at = $4",
        )
        .bind(DbUuid(run_id))
        .bind(connection_id)
        .bind(reason)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(run_id)
    }

    async fn finish_run(&self, run_id: Uuid, result: &RunResult, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "update sync_runs set finished_at = $2, outcome = $3, pages = $4, added = $5, modified = $6, \
             removed = $7, error_code = $8, error_message = $9, updated_at = $2 where id = $1",
        )
        .bind(DbUuid(run_id))
        .bind(now)
        .bind(result.outcome.clone())
        .bind(result.pages)
        .bind(result.added)
        .bind(result.modified)
        .bind(result.removed)
        .bind(result.error_code.clone())
        .bind(result.error_message.clone())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn record_progress(
        &self,
        run_id: Uuid,
        pages: i64,
        counts: PageCounts,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "update sync_runs set pages = $2, added = $3, modified = $4, removed = $5, updated_at = $6 \
             where id = $1 and outcome = 'running'",
        )
        .bind(DbUuid(run_id))
        .bind(pages)
        .bind(counts.added)
        .bind(counts.modified)
        .bind(counts.removed)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn sync_run(&self, run_id: Uuid) -> Result<Option<SyncRunRecord>, StoreError> {
        let row: Option<RunRow> = sqlx::query_as(&format!("select {RUN_COLUMNS} from sync_runs r where r.id = $1"))
            .bind(DbUuid(run_id))
            .fetch_optional(&self.pool)
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn user_sync_runs(
        &self,
        user_id: Uuid,
        connection_id: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<SyncRunRecord>, StoreError> {
        let rows: Vec<RunRow> = sqlx::query_as(&format!(
            "select {RUN_COLUMNS} from sync_runs r join connections c on c.id = r.connection_id \
             where c.user_id = $1 and ($2 is null or r.connection_id = $2) \
             order by r.started_at desc, r.id limit $3"
        ))
        .bind(DbUuid(user_id))
        .bind(connection_id.map(DbUuid))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn recent_sync_runs(&self, user_id: Uuid, per_connection: i64) -> Result<Vec<SyncRunRecord>, StoreError> {
        // Both backends have window functions (SQLite since 3.25).
        let rows: Vec<RunRow> = sqlx::query_as(&format!(
            "select {RUN_COLUMNS} from ( \
                 select r.*, row_number() over (partition by r.connection_id \
                                                order by r.started_at desc, r.id) as n \
                 from sync_runs r join connections c on c.id = r.connection_id where c.user_id = $1 \
             ) r where r.n <= $2 order by r.started_at desc, r.id"
        ))
        .bind(DbUuid(user_id))
        .bind(per_connection)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn claim_due_connections(
        &self,
        now: DateTime<Utc>,
        next: &(dyn Fn() -> DateTime<Utc> + Send + Sync),
        limit: i64,
    ) -> Result<Vec<Uuid>, StoreError> {
        let due: Vec<(DbUuid,)> = sqlx::query_as(
            "select id from connections where next_sync_at <= $1 \
             and status in ('active', 'expiring', 'error', 'rate_limited') \
             and (next_sync_allowed_at is null or next_sync_allowed_at <= $1) \
             order by next_sync_at limit $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::with_capacity(due.len());
        for (id,) in due {
            let done = sqlx::query("update connections set next_sync_at = $3 where id = $1 and next_sync_at <= $2")
                .bind(id)
                .bind(now)
                .bind(next())
                .execute(&self.pool)
                .await?;
            if DB::rows_affected(&done) == 1 {
                claimed.push(id.0);
            }
        }
        Ok(claimed)
    }

    async fn record_webhook(&self, d: &WebhookDelivery) -> Result<Option<Uuid>, StoreError> {
        let row: Option<(DbUuid,)> = sqlx::query_as(
            "insert into webhook_events (id, provider, delivery_key, received_at, verified, event_type, item_id, \
             created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $4, $4) \
             on conflict (provider, delivery_key) do nothing returning id",
        )
        .bind(DbUuid(Uuid::new_v4()))
        .bind(d.provider.as_str().to_owned())
        .bind(d.delivery_key.clone())
        .bind(d.received_at)
        .bind(d.verified)
        .bind(d.event_type.clone())
        .bind(d.item_id.clone())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id,)| id.0))
    }

    async fn finish_webhook(&self, id: Uuid, outcome: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("update webhook_events set processed_at = $2, outcome = $3, updated_at = $2 where id = $1")
            .bind(DbUuid(id))
            .bind(now)
            .bind(outcome.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
});

/// Creates the `queued` run a job will fill, unless it exists.
async fn queue_run<DB: super::Dialect>(
    pool: &sqlx::Pool<DB>,
    run_id: Uuid,
    connection_id: Uuid,
    trigger: SyncTrigger,
    now: DateTime<Utc>,
) -> Result<(), StoreError>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    DbUuid: super::Column<DB>,
    String: super::Column<DB>,
    DateTime<Utc>: super::Column<DB>,
{
    sqlx::query(
        "insert into sync_runs (id, connection_id, trigger, started_at, outcome, created_at, updated_at) \
         values ($1, $2, $3, $4, 'queued', $4, $4) on conflict (id) do nothing",
    )
    .bind(DbUuid(run_id))
    .bind(DbUuid(connection_id))
    .bind(trigger.as_str().to_owned())
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}
