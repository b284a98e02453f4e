//! Bank data as the REST API and the pages see it. Money is a number in
//! currency units (exact to the minor unit: converted from integer minor
//! units), negative when money leaves the account.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ConnectionStatus, ProviderKind};

/// An account card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub id: Uuid,
    pub connection_id: Uuid,
    pub institution_name: Option<String>,
    pub name: String,
    pub mask: Option<String>,
    #[serde(rename = "type")]
    pub account_type: String,
    pub subtype: Option<String>,
    pub currency: String,
    pub current_balance: Option<f64>,
    pub available_balance: Option<f64>,
    pub limit: Option<f64>,
    pub provider: ProviderKind,
    pub status: ConnectionStatus,
}

/// A transaction row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionView {
    pub id: Uuid,
    pub account_id: Uuid,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub name: String,
    pub merchant_name: Option<String>,
    pub amount: f64,
    pub currency: String,
    /// The user's category if they set one, else the provider's.
    pub category: Option<String>,
    /// The provider's category, whatever the user set.
    #[serde(default)]
    pub provider_category: Option<String>,
    /// The user changed the category.
    #[serde(default)]
    pub category_edited: bool,
    pub pending: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The user hid it from lists and totals.
    #[serde(default)]
    pub hidden: bool,
    /// The merchant's logo, when the provider has one.
    #[serde(default)]
    pub logo_url: Option<String>,
    #[serde(default)]
    pub account_name: String,
    #[serde(default)]
    pub account_mask: Option<String>,
    /// How it was paid (`online`, `in store`, …), when the provider says.
    #[serde(default)]
    pub payment_channel: Option<String>,
}

/// A page of transactions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionList {
    pub transactions: Vec<TransactionView>,
    pub total_count: i64,
    pub limit: i64,
    pub offset: i64,
}

/// A connection with its health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionView {
    pub id: Uuid,
    pub provider: ProviderKind,
    pub institution_name: Option<String>,
    pub institution_logo: Option<String>,
    pub institution_color: Option<String>,
    pub status: ConnectionStatus,
    /// What happened, for the user, when not active.
    pub status_detail: Option<String>,
    pub error_code: Option<String>,
    /// RFC 3339.
    pub last_synced_at: Option<String>,
    /// When the provider allows the next sync (rate limits), RFC 3339; only
    /// while that is still ahead.
    pub next_sync_allowed_at: Option<String>,
    /// When the schedule syncs this connection next, RFC 3339.
    pub next_sync_at: Option<String>,
    pub consent_expires_at: Option<String>,
    pub accounts_count: i64,
    pub created_at: String,
    /// A sync is queued or running.
    pub syncing: bool,
}

/// One sync run (the seed's sync log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncLogView {
    pub id: Uuid,
    pub connection_id: Uuid,
    pub trigger: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// `queued`, `running`, `success`, `error`, `rate_limited`, `needs_relink`, `revoked`, `abandoned`.
    pub outcome: String,
    pub pages: i64,
    pub added: i64,
    pub modified: i64,
    pub removed: i64,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// An amount of one currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Amount {
    pub currency: String,
    pub amount: f64,
}

/// Spending of one category in one currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryAmount {
    pub currency: String,
    pub category: String,
    pub amount: f64,
}

/// Money in and out over a period, per currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoneyFlows {
    pub income: Vec<Amount>,
    pub spending: Vec<Amount>,
}

/// The dashboard's figures for a date range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryView {
    pub start_date: String,
    pub end_date: String,
    pub total_balance: Vec<Amount>,
    pub income: Vec<Amount>,
    pub spending: Vec<Amount>,
    pub spending_by_category: Vec<CategoryAmount>,
    pub transaction_count: i64,
}

/// An institution to pick in the connect dialog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionView {
    pub id: String,
    pub name: String,
    pub logo: Option<String>,
    pub primary_color: Option<String>,
    pub url: Option<String>,
    pub countries: Vec<String>,
}

/// A widget session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkTokenView {
    pub link_token: String,
    /// RFC 3339.
    pub expiration: String,
}

/// What connecting made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectedView {
    pub connection_id: Uuid,
    pub accounts_count: i64,
    pub institution_name: String,
    pub relinked: bool,
    pub sync_run_id: Uuid,
}

/// One day of an account's balance history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BalancePointView {
    pub date: String,
    pub current: Option<f64>,
    pub available: Option<f64>,
}
