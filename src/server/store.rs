//! Storage: the [`Store`] trait holds the domain operations, implemented once
//! in SQL shared by both backends ([`sql::SqlStore`]); [`sqlite`] and
//! [`postgres`] hold only what their dialects do differently. The backend is
//! chosen by the `DATABASE_URL` scheme.

pub mod bank;
pub mod jobs;
pub mod postgres;
pub mod sql;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

pub use self::bank::BankStore;
pub use self::jobs::JobStore;
use crate::model::User;
use crate::server::config::DatabaseUrl;

/// What a store operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; the text names what was taken.
    #[error("already exists: {0}")]
    Conflict(&'static str),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("bad value in the database: {0}")]
    Corrupt(String),
}

/// Maps a unique violation to [`StoreError::Conflict`] naming what was taken.
/// SQLite reports no constraint names, so the error kind decides.
pub(crate) trait ResultExt<T> {
    fn on_unique_violation(self, what: &'static str) -> Result<T, StoreError>;
}

impl<T> ResultExt<T> for Result<T, sqlx::Error> {
    fn on_unique_violation(self, what: &'static str) -> Result<T, StoreError> {
        self.map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
            _ => StoreError::Database(e),
        })
    }
}

/// A user with their password hash: stays inside the server.
#[derive(Clone)]
pub struct UserRecord {
    pub user: User,
    pub password_hash: String,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord").field("user", &self.user).field("password_hash", &"<redacted>").finish()
    }
}

/// An audit log entry to write.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    pub user_id: Option<Uuid>,
    pub action: String,
    pub detail: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// An audit log entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub action: String,
    pub detail: Option<String>,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Where an encrypted secret lives; its `context` is the associated data it
/// was sealed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSlot {
    /// `connections.access_token_enc` of this connection.
    ConnectionToken(Uuid),
    /// `app_secrets.value_enc` of this name.
    AppSecret(String),
}

impl SecretSlot {
    /// The associated data the secret is sealed with.
    pub fn context(&self) -> String {
        match self {
            Self::ConnectionToken(id) => format!("connection:{id}"),
            Self::AppSecret(name) => format!("app_secret:{name}"),
        }
    }
}

/// One encrypted secret and where it lives.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret {
    pub slot: SecretSlot,
    pub sealed: String,
}

impl std::fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedSecret").field("slot", &self.slot).finish_non_exhaustive()
    }
}

/// An amount in minor units of one currency.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MoneyTotal {
    pub currency: String,
    pub total: i64,
}

/// Spending in one category, in minor units of one currency.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CategoryTotal {
    pub currency: String,
    pub category: String,
    pub total: i64,
}

/// A connection's state and its latest sync run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSyncStatus {
    pub status: String,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub next_sync_allowed_at: Option<DateTime<Utc>>,
    pub next_sync_at: Option<DateTime<Utc>>,
    pub last_run_outcome: Option<String>,
    pub last_run_started_at: Option<DateTime<Utc>>,
    pub last_run_finished_at: Option<DateTime<Utc>>,
    pub last_run_error: Option<String>,
    pub sync_queued: bool,
}

/// The domain operations on the database: accounts and sessions here, bank
/// data in [`BankStore`], the sync queue in [`JobStore`].
#[async_trait]
pub trait Store: BankStore + JobStore + Send + Sync + 'static {
    /// Which backend this is ("sqlite" or "postgres").
    fn backend(&self) -> &'static str;

    /// Applies pending migrations.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// A round trip to the database.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Brings the query planner's statistics up to date after many rows
    /// came in. SQLite has no background analyser: without statistics it
    /// guesses, and e.g. reads a user's whole history for a rare search
    /// instead of the few matches (`make bench`). `PRAGMA optimize` analyses
    /// only tables whose size changed a lot, within a bounded effort, and
    /// is a no-op otherwise. PostgreSQL's autovacuum does this by itself.
    async fn refresh_statistics(&self) -> Result<(), StoreError>;

    /// Creates a user; [`StoreError::Conflict`] if the email (in any case) is taken.
    async fn create_user(&self, email: &str, password_hash: &str) -> Result<User, StoreError>;
    /// The user with this email, in any case.
    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError>;
    /// The user with this id.
    async fn user_by_id(&self, id: Uuid) -> Result<Option<User>, StoreError>;

    /// Inserts a new session; `false` if the id is already taken.
    async fn session_create(
        &self,
        id: &str,
        user_id: Option<Uuid>,
        data: &[u8],
        expiry: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Inserts or replaces a session.
    async fn session_save(
        &self,
        id: &str,
        user_id: Option<Uuid>,
        data: &[u8],
        expiry: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The session's data if it exists and has not expired at `now`.
    async fn session_load(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Vec<u8>>, StoreError>;
    /// Deletes a session.
    async fn session_delete(&self, id: &str) -> Result<(), StoreError>;
    /// Deletes sessions expired before `now`; returns how many.
    async fn sessions_delete_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Counts one hit in `bucket`'s window starting at `window_start` and
    /// returns the window's count so far, this hit included.
    async fn rate_limit_hit(
        &self,
        bucket: &str,
        window_start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError>;
    /// Forgets windows that started before `before`.
    async fn rate_limits_prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Appends to the audit log.
    async fn audit(&self, entry: AuditEntry) -> Result<(), StoreError>;
    /// A user's most recent audit entries, newest first.
    async fn audit_for_user(&self, user_id: Uuid, limit: i64) -> Result<Vec<AuditRecord>, StoreError>;

    /// An encrypted application secret by name.
    async fn app_secret(&self, name: &str) -> Result<Option<String>, StoreError>;
    /// Stores an encrypted application secret.
    async fn set_app_secret(&self, name: &str, sealed: &str) -> Result<(), StoreError>;
    /// Every encrypted secret in the database, for key rotation.
    async fn sealed_secrets(&self) -> Result<Vec<SealedSecret>, StoreError>;
    /// Writes re-encrypted secrets back, all or none.
    async fn replace_sealed_secrets(&self, secrets: &[SealedSecret]) -> Result<(), StoreError>;

    /// Net balance per currency (assets minus credit and loan balances).
    async fn user_total_balance(&self, user_id: Uuid) -> Result<Vec<MoneyTotal>, StoreError>;
    /// Transactions not removed.
    async fn user_transaction_count(&self, user_id: Uuid) -> Result<i64, StoreError>;
    /// Money in per currency, transfers excluded, `start..=end`.
    async fn user_income(&self, user_id: Uuid, start: NaiveDate, end: NaiveDate)
    -> Result<Vec<MoneyTotal>, StoreError>;
    /// Money out per currency (positive), transfers excluded, `start..=end`.
    async fn user_spending(
        &self,
        user_id: Uuid,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<MoneyTotal>, StoreError>;
    /// Money out per currency and category, largest first.
    async fn user_spending_by_category(
        &self,
        user_id: Uuid,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<CategoryTotal>, StoreError>;
    /// A connection's state and latest run.
    async fn connection_sync_status(&self, connection_id: Uuid) -> Result<Option<ConnectionSyncStatus>, StoreError>;
}

/// Opens the store `url` names, creating a SQLite file (and its folder) if
/// needed. Does not migrate.
///
/// # Errors
/// The database cannot be reached or opened.
pub async fn connect(url: &DatabaseUrl) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match url {
        DatabaseUrl::Sqlite(u) => Arc::new(sqlite::connect(u).await?),
        DatabaseUrl::Postgres(u) => Arc::new(postgres::connect(u).await?),
    })
}

#[cfg(test)]
mod bank_suite;
#[cfg(test)]
mod suite;
#[cfg(test)]
pub(crate) mod testing;
