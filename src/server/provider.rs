//! What the app needs from a bank aggregator, as one trait ([`Provider`]),
//! with one implementation per aggregator ([`plaid`], [`pluggy`]). A third
//! provider is one new module implementing the trait.
//!
//! Everything here speaks the app's terms: amounts in minor units with the
//! sign of DESIGN §3 (negative = money out), dates as dates, errors as one
//! [`ProviderError`] that keeps the provider's own code and user-facing
//! message. Secrets ([`ItemSecret`]) never print.

pub mod http;
pub mod plaid;
pub mod pluggy;
pub mod retry;

use std::time::Duration;

use async_trait::async_trait;
use axum::http::HeaderMap;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

pub use crate::model::ProviderKind;

/// What a provider call can fail with.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// The provider answered with an error.
    #[error("{kind:?} error from the provider ({status} {code}): {message}")]
    Api {
        status: u16,
        /// The provider's error code, e.g. `ITEM_LOGIN_REQUIRED`.
        code: String,
        /// The provider's developer message.
        message: String,
        /// A message meant for the user, when the provider gives one.
        display_message: Option<String>,
        kind: ApiErrorKind,
        /// How long the provider asked us to wait (`Retry-After`).
        retry_after: Option<Duration>,
    },
    /// The answer did not have the expected shape; `path` names the JSON path.
    #[error("cannot decode the provider's answer at `{path}`: {message}")]
    Decode { path: String, message: String },
    /// The request never got an answer (DNS, connection, TLS).
    #[error("cannot reach the provider: {0}")]
    Transport(String),
    /// The provider did not answer in time.
    #[error("the provider did not answer in time")]
    Timeout,
    /// What we were given cannot be used (e.g. a link for someone else).
    #[error("{0}")]
    Invalid(String),
}

/// What an API error means for the app (DESIGN §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiErrorKind {
    /// Too many requests; back off.
    RateLimited,
    /// The user must log in again (Plaid `ITEM_LOGIN_REQUIRED`, Pluggy `LOGIN_ERROR`).
    LoginRequired,
    /// The user revoked consent or the item is gone at the provider.
    Revoked,
    /// Plaid `TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION`: restart from the last committed cursor.
    RestartPagination,
    /// The provider is busy or down; trying later should work.
    Transient,
    /// The request was refused (bad input, not found, …).
    Permanent,
}

impl ProviderError {
    /// The API error kind, if this is an API error; transport failures and
    /// time-outs count as transient.
    pub fn kind(&self) -> ApiErrorKind {
        match self {
            Self::Api { kind, .. } => *kind,
            Self::Transport(_) | Self::Timeout => ApiErrorKind::Transient,
            Self::Decode { .. } | Self::Invalid(_) => ApiErrorKind::Permanent,
        }
    }

    /// The provider's error code, or a name for the failure.
    pub fn code(&self) -> &str {
        match self {
            Self::Api { code, .. } => code,
            Self::Decode { .. } => "DECODE_ERROR",
            Self::Transport(_) => "TRANSPORT_ERROR",
            Self::Timeout => "TIMEOUT",
            Self::Invalid(_) => "INVALID",
        }
    }

    /// What to show the user.
    pub fn user_message(&self) -> String {
        match self {
            Self::Api { display_message: Some(m), .. } => m.clone(),
            Self::Api { kind: ApiErrorKind::RateLimited, .. } => {
                "The bank data provider asked us to slow down; we will try again shortly.".into()
            }
            Self::Api { kind: ApiErrorKind::LoginRequired, .. } => {
                "The bank needs you to sign in again. Use Relink to fix it.".into()
            }
            Self::Api { kind: ApiErrorKind::Revoked, .. } => "Access to this bank was revoked.".into(),
            Self::Api { kind: ApiErrorKind::Transient, .. } | Self::Transport(_) | Self::Timeout => {
                "The bank data provider is unavailable right now; we will try again.".into()
            }
            Self::Api { message, .. } => message.clone(),
            Self::Decode { .. } => "The bank data provider sent an answer we could not read.".into(),
            Self::Invalid(m) => m.clone(),
        }
    }

    /// How long the provider asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// What identifies a connection at its provider: the item id, and the
/// secret that opens it (Plaid's access token; Pluggy's item id). Never
/// printed, serialized or logged.
#[derive(Clone, PartialEq, Eq)]
pub struct ItemSecret(String);

impl ItemSecret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, to send to the provider or to encrypt.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ItemSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ItemSecret(<redacted>)")
    }
}

/// A connection as the provider knows it.
#[derive(Debug, Clone)]
pub struct ItemRef {
    pub item_id: String,
    pub secret: ItemSecret,
}

/// Asks for a link (Plaid) or connect (Pluggy) token.
#[derive(Debug, Clone)]
pub struct LinkRequest {
    /// The app's user; sent as the provider's client user id.
    pub user_id: Uuid,
    /// Update mode: the connection to repair.
    pub update: Option<ItemRef>,
    /// Products to ask for; the provider's default when empty.
    pub products: Vec<String>,
    /// Where the provider should send webhooks for the new item.
    pub webhook_url: Option<String>,
}

/// A token for the browser widget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSession {
    pub token: String,
    pub expiration: DateTime<Utc>,
}

/// What the widget handed back, to turn into a connection.
#[derive(Debug, Clone)]
pub struct CompleteLink {
    pub user_id: Uuid,
    /// Plaid's public token, or Pluggy's item id.
    pub token: String,
}

/// A newly linked item.
#[derive(Debug, Clone)]
pub struct LinkedItem {
    pub item: ItemRef,
    pub institution: Institution,
    pub accounts: Vec<Account>,
    /// When the user's consent ends (Open Finance), if known.
    pub consent_expires_at: Option<DateTime<Utc>>,
}

/// An institution (Plaid) or connector (Pluggy).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Institution {
    pub provider_institution_id: String,
    pub name: String,
    /// A logo URL or a `data:` URL.
    pub logo: Option<String>,
    /// `#rrggbb`.
    pub primary_color: Option<String>,
    pub url: Option<String>,
    /// ISO 3166-1 alpha-2 codes.
    pub countries: Vec<String>,
}

/// An account, balances in minor units of `currency`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub provider_account_id: String,
    pub name: String,
    pub official_name: Option<String>,
    pub mask: Option<String>,
    /// `depository`, `credit`, `loan`, `investment` or `other`.
    pub account_type: String,
    /// e.g. `checking`, `savings`, `credit card`.
    pub subtype: Option<String>,
    pub currency: String,
    /// For credit and loans: what is owed (positive).
    pub current: Option<i64>,
    pub available: Option<i64>,
    pub limit: Option<i64>,
}

/// A transaction, normalised: `amount` is in minor units of `currency`,
/// negative when money leaves the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub provider_transaction_id: String,
    pub provider_account_id: String,
    /// The pending transaction this posted one replaces (Plaid).
    pub pending_transaction_id: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub date: NaiveDate,
    pub authorized_date: Option<NaiveDate>,
    pub name: String,
    pub merchant_name: Option<String>,
    pub category_primary: Option<String>,
    pub category_detailed: Option<String>,
    pub payment_channel: Option<String>,
    pub pending: bool,
    pub logo_url: Option<String>,
}

/// "These are all of this account's transactions dated `from` or later":
/// any other stored one in that range is gone at the provider. For providers
/// that report deletions only by omission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconcile {
    pub provider_account_id: String,
    pub from: NaiveDate,
    pub present: Vec<String>,
}

/// One page of changes since a cursor. The engine applies a page and
/// `next_cursor` in one database transaction.
#[derive(Debug, Clone, Default)]
pub struct TransactionPage {
    /// New or changed transactions (upserted by provider id).
    pub upserts: Vec<Transaction>,
    /// Provider ids of removed transactions.
    pub removed: Vec<String>,
    pub reconcile: Vec<Reconcile>,
    /// Where the next call starts; stored with the page.
    pub next_cursor: String,
    pub has_more: bool,
}

/// Whether an item can be synced now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemReadiness {
    Ready {
        /// When the user's consent ends, if known.
        consent_expires_at: Option<DateTime<Utc>>,
    },
    /// The provider is still collecting data: ask again after `retry_in`.
    Busy { retry_in: Duration },
}

/// A verified webhook, in the app's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// Unique per delivery (Pluggy `eventId`, or a hash of the body).
    pub delivery_key: String,
    pub event_type: String,
    /// The provider item it concerns.
    pub item_id: Option<String>,
    pub action: WebhookAction,
}

/// What a webhook asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookAction {
    /// New data is available: sync.
    Sync,
    /// The user must log in again.
    LoginRequired { message: Option<String> },
    /// Access ends soon.
    Expiring { at: Option<DateTime<Utc>> },
    /// Consent revoked or item deleted at the provider.
    Revoked,
    /// The item failed for another reason.
    Error { code: String, message: Option<String> },
    /// Nothing for the app to do.
    Ignore,
}

/// Why a webhook was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Not from the provider (bad signature, secret, age or client).
    #[error("unverified webhook: {0}")]
    Unverified(String),
    /// Verified but not understood.
    #[error("malformed webhook: {0}")]
    Malformed(String),
    /// We could not check it (e.g. the key could not be fetched).
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

/// Everything the rest of the app needs from an aggregator (DESIGN §2).
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// Which aggregator this is.
    fn kind(&self) -> ProviderKind;

    /// A token for the widget, new or in update mode.
    async fn create_link(&self, request: &LinkRequest) -> Result<LinkSession, ProviderError>;

    /// Turns what the widget handed back into an item, checking that it
    /// belongs to `request.user_id`.
    async fn complete_link(&self, request: &CompleteLink) -> Result<LinkedItem, ProviderError>;

    /// Institutions matching `query`, optionally in one country.
    async fn search_institutions(&self, query: &str, country: Option<&str>) -> Result<Vec<Institution>, ProviderError>;

    /// Checks the item before a sync; refreshes it at the provider when
    /// its data is stale (Pluggy). Login and consent problems are errors.
    async fn prepare_sync(&self, item: &ItemRef) -> Result<ItemReadiness, ProviderError>;

    /// The item's accounts with their balances.
    async fn accounts(&self, item: &ItemRef) -> Result<Vec<Account>, ProviderError>;

    /// The next page of transaction changes after `cursor` (`None`: from the
    /// start). `accounts` are the item's accounts as just fetched.
    async fn transactions(
        &self,
        item: &ItemRef,
        cursor: Option<&str>,
        accounts: &[Account],
    ) -> Result<TransactionPage, ProviderError>;

    /// Removes the item at the provider; an item already gone counts as removed.
    async fn remove(&self, item: &ItemRef) -> Result<(), ProviderError>;

    /// Verifies a webhook delivery and says what it asks for. Never trusts
    /// the body before verification.
    async fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent, WebhookError>;
}

/// The configured providers, by kind.
#[derive(Clone, Default)]
pub struct Providers(std::collections::HashMap<ProviderKind, std::sync::Arc<dyn Provider>>);

impl Providers {
    /// Adds (or replaces) the provider of its kind.
    #[must_use]
    pub fn with(mut self, provider: std::sync::Arc<dyn Provider>) -> Self {
        self.0.insert(provider.kind(), provider);
        self
    }

    /// The provider of this kind, if configured.
    pub fn get(&self, kind: ProviderKind) -> Option<&std::sync::Arc<dyn Provider>> {
        self.0.get(&kind)
    }
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}
