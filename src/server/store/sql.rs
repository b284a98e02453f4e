//! The SQL both backends share, written once over a generic sqlx backend.
//!
//! Queries use `$n` placeholders (SQLite accepts them too) and only syntax
//! both dialects have (`on conflict`, `returning`). What differs — the
//! summary figures, which PostgreSQL answers with its SQL functions — comes
//! from the [`Dialect`] each backend implements.

mod bank;
mod jobs;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Database, Decode, Encode, FromRow, Pool, Type};
use uuid::Uuid;

use super::{
    AuditEntry, AuditRecord, CategoryTotal, ConnectionSyncStatus, MoneyTotal, ResultExt as _, SealedSecret, SecretSlot,
    Store, StoreError, UserRecord,
};
use crate::model::User;

/// A UUID column: `uuid` in PostgreSQL, hyphenated text in SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbUuid(pub Uuid);

/// What each backend says in its own words.
pub trait Dialect: Database {
    /// "sqlite" or "postgres".
    const BACKEND: &'static str;
    /// `(currency, total)` for `$1` = user id.
    const TOTAL_BALANCE: &'static str;
    /// A single count for `$1` = user id.
    const TRANSACTION_COUNT: &'static str;
    /// `(currency, total)` for `$1` user, `$2..=$3` dates.
    const INCOME: &'static str;
    /// `(currency, total)` for `$1` user, `$2..=$3` dates.
    const SPENDING: &'static str;
    /// `(currency, category, total)` for `$1` user, `$2..=$3` dates.
    const SPENDING_BY_CATEGORY: &'static str;
    /// The columns of [`ConnectionSyncStatus`] for `$1` = connection id.
    const CONNECTION_SYNC_STATUS: &'static str;
    /// What ends the job-claiming subquery: PostgreSQL skips rows another
    /// instance is claiming; SQLite has one writer at a time anyway.
    const SKIP_LOCKED: &'static str;
    /// The list's free-text filter for a query of [`TRIGRAM_MIN_CHARS`] or
    /// more, with `?` for the text as it was typed: a match in SQLite's FTS5
    /// trigram index (migration 0005). `None` where the `lower(...) like`
    /// filter is itself served by a trigram index (PostgreSQL's pg_trgm).
    const TRIGRAM_MATCH: Option<&'static str>;
    /// What [`Store::refresh_statistics`] runs, if anything.
    const REFRESH_STATISTICS: Option<&'static str>;

    /// Rows a statement changed (sqlx has no trait for it).
    fn rows_affected(result: &Self::QueryResult) -> u64;

    /// Applies this backend's migrations.
    fn migrate(pool: &Pool<Self>) -> impl Future<Output = Result<(), sqlx::migrate::MigrateError>> + Send;
}

/// The shortest text a trigram index can serve; shorter searches read rows.
pub const TRIGRAM_MIN_CHARS: usize = 3;

/// A column type both backends can read and write.
pub trait Column<DB: Database>: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB> + Send + Sync {}
impl<DB: Database, T> Column<DB> for T where T: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB> + Send + Sync {}

/// A [`Store`] over one sqlx pool.
pub struct SqlStore<DB: Database> {
    pub(crate) pool: Pool<DB>,
}

impl<DB: Database> SqlStore<DB> {
    /// Wraps an open pool.
    pub fn new(pool: Pool<DB>) -> Self {
        Self { pool }
    }

    /// The pool, for tests that need raw SQL.
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }
}

#[derive(FromRow)]
struct UserRow {
    id: DbUuid,
    email: String,
    password_hash: String,
}

impl UserRow {
    fn user(&self) -> User {
        User { id: self.id.0, email: self.email.clone() }
    }
}

#[derive(FromRow)]
struct AuditRow {
    id: DbUuid,
    user_id: Option<DbUuid>,
    action: String,
    detail: Option<String>,
    ip: Option<String>,
    created_at: DateTime<Utc>,
}

#[derive(FromRow)]
struct SecretRow {
    kind: String,
    key: String,
    sealed: String,
}

#[derive(FromRow)]
struct SyncStatusRow {
    status: String,
    last_synced_at: Option<DateTime<Utc>>,
    next_sync_allowed_at: Option<DateTime<Utc>>,
    next_sync_at: Option<DateTime<Utc>>,
    last_run_outcome: Option<String>,
    last_run_started_at: Option<DateTime<Utc>>,
    last_run_finished_at: Option<DateTime<Utc>>,
    last_run_error: Option<String>,
    sync_queued: bool,
}

/// Implements a store trait for [`SqlStore`] over any backend that speaks
/// the column types the shared SQL uses.
macro_rules! sql_impl {
    ($trait:ident { $($body:tt)* }) => {
        #[async_trait::async_trait]
        impl<DB> $trait for $crate::server::store::sql::SqlStore<DB>
        where
            DB: $crate::server::store::sql::Dialect,
            for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
            for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
            for<'a> &'a str: sqlx::ColumnIndex<DB::Row>,
            usize: sqlx::ColumnIndex<DB::Row>,
            $crate::server::store::sql::DbUuid: $crate::server::store::sql::Column<DB>,
            Option<$crate::server::store::sql::DbUuid>: $crate::server::store::sql::Column<DB>,
            String: $crate::server::store::sql::Column<DB>,
            Option<String>: $crate::server::store::sql::Column<DB>,
            Vec<u8>: $crate::server::store::sql::Column<DB>,
            i64: $crate::server::store::sql::Column<DB>,
            Option<i64>: $crate::server::store::sql::Column<DB>,
            bool: $crate::server::store::sql::Column<DB>,
            Option<bool>: $crate::server::store::sql::Column<DB>,
            chrono::DateTime<chrono::Utc>: $crate::server::store::sql::Column<DB>,
            Option<chrono::DateTime<chrono::Utc>>: $crate::server::store::sql::Column<DB>,
            chrono::NaiveDate: $crate::server::store::sql::Column<DB>,
            Option<chrono::NaiveDate>: $crate::server::store::sql::Column<DB>,
        {
            $($body)*
        }
    };
}
pub(crate) use sql_impl;

sql_impl!(Store {
    fn backend(&self) -> &'static str {
        DB::BACKEND
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        Ok(DB::migrate(&self.pool).await?)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn refresh_statistics(&self) -> Result<(), StoreError> {
        if let Some(sql) = DB::REFRESH_STATISTICS {
            sqlx::query(sql).execute(&self.pool).await?;
        }
        Ok(())
    }

    async fn create_user(&self, email: &str, password_hash: &str) -> Result<User, StoreError> {
        let id = Uuid::new_v4();
        let now = Utc::now();
        sqlx::query("insert into users (id, email, password_hash, created_at, updated_at) values ($1, $2, $3, $4, $4)")
            .bind(DbUuid(id))
            .bind(email.to_owned())
            .bind(password_hash.to_owned())
            .bind(now)
            .execute(&self.pool)
            .await
            .on_unique_violation("email")?;
        Ok(User { id, email: email.to_owned() })
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        let row: Option<UserRow> =
            sqlx::query_as("select id, email, password_hash from users where lower(email) = lower($1)")
                .bind(email.to_owned())
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| UserRecord { user: r.user(), password_hash: r.password_hash }))
    }

    async fn user_by_id(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = sqlx::query_as("select id, email, password_hash from users where id = $1")
            .bind(DbUuid(id))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.user()))
    }

    async fn session_create(
        &self,
        id: &str,
        user_id: Option<Uuid>,
        data: &[u8],
        expiry: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = Utc::now();
        let done = sqlx::query(
            "insert into sessions (id, user_id, data, expiry_date, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $5) on conflict (id) do nothing",
        )
        .bind(id.to_owned())
        .bind(user_id.map(DbUuid))
        .bind(data.to_vec())
        .bind(expiry)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(DB::rows_affected(&done) == 1)
    }

    async fn session_save(
        &self,
        id: &str,
        user_id: Option<Uuid>,
        data: &[u8],
        expiry: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        sqlx::query(
            "insert into sessions (id, user_id, data, expiry_date, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $5) \
             on conflict (id) do update set user_id = excluded.user_id, data = excluded.data, \
             expiry_date = excluded.expiry_date, updated_at = excluded.updated_at",
        )
        .bind(id.to_owned())
        .bind(user_id.map(DbUuid))
        .bind(data.to_vec())
        .bind(expiry)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session_load(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<(Vec<u8>,)> = sqlx::query_as("select data from sessions where id = $1 and expiry_date > $2")
            .bind(id.to_owned())
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(data,)| data))
    }

    async fn session_delete(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("delete from sessions where id = $1").bind(id.to_owned()).execute(&self.pool).await?;
        Ok(())
    }

    async fn sessions_delete_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query("delete from sessions where expiry_date <= $1").bind(now).execute(&self.pool).await?;
        Ok(DB::rows_affected(&done))
    }

    async fn rate_limit_hit(
        &self,
        bucket: &str,
        window_start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let (hits,): (i64,) = sqlx::query_as(
            "insert into rate_limits (bucket, window_start, hits, created_at, updated_at) \
             values ($1, $2, 1, $3, $3) \
             on conflict (bucket, window_start) do update set hits = rate_limits.hits + 1, updated_at = $3 \
             returning cast(hits as bigint)",
        )
        .bind(bucket.to_owned())
        .bind(window_start)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        u32::try_from(hits).map_err(|_| StoreError::Corrupt(format!("rate limit count {hits}")))
    }

    async fn rate_limits_prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let done =
            sqlx::query("delete from rate_limits where window_start < $1").bind(before).execute(&self.pool).await?;
        Ok(DB::rows_affected(&done))
    }

    async fn audit(&self, entry: AuditEntry) -> Result<(), StoreError> {
        let now = Utc::now();
        sqlx::query(
            "insert into audit_log (id, user_id, action, detail, ip, user_agent, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(DbUuid(Uuid::new_v4()))
        .bind(entry.user_id.map(DbUuid))
        .bind(entry.action)
        .bind(entry.detail)
        .bind(entry.ip)
        .bind(entry.user_agent)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn audit_for_user(&self, user_id: Uuid, limit: i64) -> Result<Vec<AuditRecord>, StoreError> {
        let rows: Vec<AuditRow> = sqlx::query_as(
            "select id, user_id, action, detail, ip, created_at from audit_log \
             where user_id = $1 order by created_at desc limit $2",
        )
        .bind(DbUuid(user_id))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditRecord {
                id: r.id.0,
                user_id: r.user_id.map(|u| u.0),
                action: r.action,
                detail: r.detail,
                ip: r.ip,
                created_at: r.created_at,
            })
            .collect())
    }

    async fn app_secret(&self, name: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("select value_enc from app_secrets where name = $1")
            .bind(name.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(v,)| v))
    }

    async fn set_app_secret(&self, name: &str, sealed: &str) -> Result<(), StoreError> {
        let now = Utc::now();
        sqlx::query(
            "insert into app_secrets (name, value_enc, created_at, updated_at) values ($1, $2, $3, $3) \
             on conflict (name) do update set value_enc = excluded.value_enc, updated_at = excluded.updated_at",
        )
        .bind(name.to_owned())
        .bind(sealed.to_owned())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn sealed_secrets(&self) -> Result<Vec<SealedSecret>, StoreError> {
        let rows: Vec<SecretRow> = sqlx::query_as(
            "select 'connection' as kind, cast(id as text) as key, access_token_enc as sealed from connections \
             union all \
             select 'app' as kind, name as key, value_enc as sealed from app_secrets",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let slot = match r.kind.as_str() {
                    "connection" => SecretSlot::ConnectionToken(
                        Uuid::parse_str(&r.key).map_err(|e| StoreError::Corrupt(format!("connection id: {e}")))?,
                    ),
                    _ => SecretSlot::AppSecret(r.key),
                };
                Ok(SealedSecret { slot, sealed: r.sealed })
            })
            .collect()
    }

    async fn replace_sealed_secrets(&self, secrets: &[SealedSecret]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let now = Utc::now();
        for secret in secrets {
            let done = match &secret.slot {
                SecretSlot::ConnectionToken(id) => {
                    sqlx::query("update connections set access_token_enc = $1, updated_at = $2 where id = $3")
                        .bind(secret.sealed.clone())
                        .bind(now)
                        .bind(DbUuid(*id))
                        .execute(&mut *tx)
                        .await?
                }
                SecretSlot::AppSecret(name) => {
                    sqlx::query("update app_secrets set value_enc = $1, updated_at = $2 where name = $3")
                        .bind(secret.sealed.clone())
                        .bind(now)
                        .bind(name.clone())
                        .execute(&mut *tx)
                        .await?
                }
            };
            if DB::rows_affected(&done) != 1 {
                return Err(StoreError::NotFound);
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn user_total_balance(&self, user_id: Uuid) -> Result<Vec<MoneyTotal>, StoreError> {
        Ok(sqlx::query_as(DB::TOTAL_BALANCE).bind(DbUuid(user_id)).fetch_all(&self.pool).await?)
    }

    async fn user_transaction_count(&self, user_id: Uuid) -> Result<i64, StoreError> {
        let (count,): (i64,) =
            sqlx::query_as(DB::TRANSACTION_COUNT).bind(DbUuid(user_id)).fetch_one(&self.pool).await?;
        Ok(count)
    }

    async fn user_income(
        &self,
        user_id: Uuid,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<MoneyTotal>, StoreError> {
        Ok(sqlx::query_as(DB::INCOME).bind(DbUuid(user_id)).bind(start).bind(end).fetch_all(&self.pool).await?)
    }

    async fn user_spending(
        &self,
        user_id: Uuid,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<MoneyTotal>, StoreError> {
        Ok(sqlx::query_as(DB::SPENDING).bind(DbUuid(user_id)).bind(start).bind(end).fetch_all(&self.pool).await?)
    }

    async fn user_spending_by_category(
        &self,
        user_id: Uuid,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<CategoryTotal>, StoreError> {
        Ok(sqlx::query_as(DB::SPENDING_BY_CATEGORY)
            .bind(DbUuid(user_id))
            .bind(start)
            .bind(end)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn connection_sync_status(&self, connection_id: Uuid) -> Result<Option<ConnectionSyncStatus>, StoreError> {
        let row: Option<SyncStatusRow> =
            sqlx::query_as(DB::CONNECTION_SYNC_STATUS).bind(DbUuid(connection_id)).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| ConnectionSyncStatus {
            status: r.status,
            last_synced_at: r.last_synced_at,
            next_sync_allowed_at: r.next_sync_allowed_at,
            next_sync_at: r.next_sync_at,
            last_run_outcome: r.last_run_outcome,
            last_run_started_at: r.last_run_started_at,
            last_run_finished_at: r.last_run_finished_at,
            last_run_error: r.last_run_error,
            sync_queued: r.sync_queued,
        }))
    }
});
