//! The bank data a user connects: institutions, connections, accounts and
//! transactions, and how a sync page is applied to them (DESIGN §3, §4).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::StoreError;
use crate::model::{ConnectionStatus, ProviderKind};
use crate::server::provider::{Account, Institution, TransactionPage};

/// A connection to insert; `access_token_enc` is already sealed for
/// `SecretSlot::ConnectionToken(id)`.
#[derive(Clone)]
pub struct NewConnection {
    pub id: Uuid,
    pub user_id: Uuid,
    pub provider: ProviderKind,
    pub provider_item_id: String,
    pub institution_id: Uuid,
    pub access_token_enc: String,
    pub consent_expires_at: Option<DateTime<Utc>>,
    pub next_sync_at: DateTime<Utc>,
}

/// A connection as stored, with its institution's name.
#[derive(Clone)]
pub struct ConnectionRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub provider: ProviderKind,
    pub provider_item_id: String,
    pub institution_id: Option<Uuid>,
    pub institution_name: Option<String>,
    pub institution_logo: Option<String>,
    pub institution_color: Option<String>,
    pub access_token_enc: String,
    pub status: ConnectionStatus,
    pub status_detail: Option<String>,
    pub error_code: Option<String>,
    pub consent_expires_at: Option<DateTime<Utc>>,
    pub sync_cursor: Option<String>,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub next_sync_allowed_at: Option<DateTime<Utc>>,
    pub next_sync_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub accounts_count: i64,
    /// A sync of it is queued or running.
    pub syncing: bool,
}

impl std::fmt::Debug for ConnectionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionRecord")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("provider", &self.provider)
            .field("provider_item_id", &self.provider_item_id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// A change of a connection's health (DESIGN §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub status: ConnectionStatus,
    /// What happened, for the user.
    pub detail: Option<String>,
    /// The provider's error code.
    pub error_code: Option<String>,
    /// When the provider allows the next call (rate limits).
    pub next_sync_allowed_at: Option<DateTime<Utc>>,
    /// `Some` to change the consent expiry.
    pub consent_expires_at: Option<DateTime<Utc>>,
}

impl StatusChange {
    /// Just a status, no detail.
    pub fn to(status: ConnectionStatus) -> Self {
        Self { status, detail: None, error_code: None, next_sync_allowed_at: None, consent_expires_at: None }
    }
}

/// An account as stored, with what the UI shows beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    pub id: Uuid,
    pub connection_id: Uuid,
    pub provider_account_id: String,
    pub institution_name: Option<String>,
    pub provider: ProviderKind,
    pub status: ConnectionStatus,
    pub name: String,
    pub official_name: Option<String>,
    pub mask: Option<String>,
    pub account_type: String,
    pub subtype: Option<String>,
    pub currency: String,
    pub current: Option<i64>,
    pub available: Option<i64>,
    pub limit: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

/// A transaction as the user sees it: their overrides win.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub provider_transaction_id: String,
    pub date: NaiveDate,
    pub name: String,
    pub merchant_name: Option<String>,
    pub amount: i64,
    pub currency: String,
    /// The user's category, else the provider's primary one.
    pub category: Option<String>,
    pub category_detailed: Option<String>,
    pub payment_channel: Option<String>,
    pub pending: bool,
    pub logo_url: Option<String>,
    /// The user's own category, when they set one.
    pub user_category: Option<String>,
    /// The provider's primary category.
    pub provider_category: Option<String>,
    pub user_note: Option<String>,
    pub hidden: bool,
    pub account_name: String,
    pub account_mask: Option<String>,
}

/// Which of a user's transactions to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct TransactionQuery {
    pub user_id: Uuid,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub account_id: Option<Uuid>,
    /// Matched against the name and merchant, case-insensitively.
    pub text: Option<String>,
    pub category: Option<String>,
    /// Smallest size of the amount (money in or out alike), in thousandths
    /// of a currency unit (`money::to_thousandths`), inclusive.
    pub amount_min: Option<i64>,
    /// Largest size of the amount, like `amount_min`, inclusive.
    pub amount_max: Option<i64>,
    /// Only pending (`true`) or only posted (`false`) transactions.
    pub pending: Option<bool>,
    pub include_hidden: bool,
    pub limit: i64,
    pub offset: i64,
}

/// The user's own fields on a transaction; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct TransactionOverrides {
    pub category: Option<Option<String>>,
    pub note: Option<Option<String>>,
    pub hidden: Option<bool>,
}

/// What applying one page changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageCounts {
    pub added: i64,
    pub modified: i64,
    pub removed: i64,
}

impl std::ops::AddAssign for PageCounts {
    fn add_assign(&mut self, other: Self) {
        self.added += other.added;
        self.modified += other.modified;
        self.removed += other.removed;
    }
}

/// One day's balance of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalancePoint {
    pub day: NaiveDate,
    pub current: Option<i64>,
    pub available: Option<i64>,
    pub currency: String,
}

/// Institutions, connections, accounts and transactions.
#[async_trait]
pub trait BankStore: Send + Sync {
    /// Inserts or refreshes an institution; returns its id.
    async fn upsert_institution(&self, provider: ProviderKind, institution: &Institution) -> Result<Uuid, StoreError>;

    /// Inserts a connection; [`StoreError::Conflict`] ("connection") if the
    /// provider item is already connected.
    async fn insert_connection(&self, connection: &NewConnection) -> Result<(), StoreError>;
    /// A connection by id, whoever owns it (workers, webhooks).
    async fn connection(&self, id: Uuid) -> Result<Option<ConnectionRecord>, StoreError>;
    /// A connection by id if `user_id` owns it.
    async fn user_connection(&self, user_id: Uuid, id: Uuid) -> Result<Option<ConnectionRecord>, StoreError>;
    /// A connection by its provider item id.
    async fn connection_by_item(
        &self,
        provider: ProviderKind,
        item_id: &str,
    ) -> Result<Option<ConnectionRecord>, StoreError>;
    /// A user's connections, oldest first.
    async fn user_connections(&self, user_id: Uuid) -> Result<Vec<ConnectionRecord>, StoreError>;
    /// Changes a connection's health.
    async fn set_connection_status(&self, id: Uuid, change: &StatusChange) -> Result<(), StoreError>;
    /// Records a successful sync: status active, no error, next sync at `next_sync_at`.
    async fn mark_synced(&self, id: Uuid, at: DateTime<Utc>, next_sync_at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Deletes a connection and everything under it.
    async fn delete_connection(&self, id: Uuid) -> Result<(), StoreError>;

    /// Inserts or refreshes a connection's accounts and writes today's
    /// balance snapshot of each.
    async fn upsert_accounts(
        &self,
        connection_id: Uuid,
        user_id: Uuid,
        accounts: &[Account],
        today: NaiveDate,
    ) -> Result<(), StoreError>;
    /// A user's accounts, by institution then name.
    async fn user_accounts(&self, user_id: Uuid) -> Result<Vec<AccountRecord>, StoreError>;
    /// One account if `user_id` owns it.
    async fn user_account(&self, user_id: Uuid, id: Uuid) -> Result<Option<AccountRecord>, StoreError>;
    /// An account's daily balances from `since`, oldest first.
    async fn balance_history(&self, account_id: Uuid, since: NaiveDate) -> Result<Vec<BalancePoint>, StoreError>;
    /// The daily balances from `since` of every account of a user, by
    /// account, oldest first.
    async fn user_balance_history(
        &self,
        user_id: Uuid,
        since: NaiveDate,
    ) -> Result<Vec<(Uuid, BalancePoint)>, StoreError>;

    /// Applies one page of changes and moves the cursor from `expected_cursor`
    /// to `page.next_cursor`, all in one database transaction.
    /// [`StoreError::Conflict`] ("cursor") when the stored cursor is no longer
    /// `expected_cursor` (another run got there first): nothing is applied.
    async fn apply_page(
        &self,
        connection_id: Uuid,
        expected_cursor: Option<&str>,
        page: &TransactionPage,
        now: DateTime<Utc>,
    ) -> Result<PageCounts, StoreError>;

    /// A page of a user's transactions (not removed) and how many match in all.
    async fn transactions(&self, query: &TransactionQuery) -> Result<(Vec<TransactionRecord>, i64), StoreError>;
    /// One transaction if `user_id` owns it and it is not removed.
    async fn user_transaction(&self, user_id: Uuid, id: Uuid) -> Result<Option<TransactionRecord>, StoreError>;
    /// Sets the user's own fields on a transaction they own.
    async fn set_transaction_overrides(
        &self,
        user_id: Uuid,
        id: Uuid,
        overrides: &TransactionOverrides,
    ) -> Result<(), StoreError>;
    /// The categories a user's transactions have, for filters.
    async fn user_categories(&self, user_id: Uuid) -> Result<Vec<String>, StoreError>;
    /// Every transaction `query` matches (its limit and offset ignored),
    /// newest first, handed to `out` row by row as the database yields them:
    /// an export of any size in constant memory. Stops early, without error,
    /// when the receiver is dropped.
    async fn export_transactions(
        &self,
        query: &TransactionQuery,
        out: tokio::sync::mpsc::Sender<TransactionRecord>,
    ) -> Result<(), StoreError>;
}
