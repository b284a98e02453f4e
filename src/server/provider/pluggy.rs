//! The Pluggy client and its [`Provider`](super::Provider) implementation
//! (Brazil, Open Finance; `shared/specs/PLUGGY.md`).
//!
//! - **Auth**: `POST /auth` gives an API key (a JWT that lives two hours),
//!   sent as `X-API-KEY`. It is cached and renewed ten minutes before its
//!   `exp`, once even when many calls need it at the same moment; a call
//!   refused with 401/403 drops the key, re-authenticates once and is tried
//!   once more.
//! - **Items** are created by the Connect widget with a connect token that
//!   carries the app's user id (`clientUserId`); [`complete_link`] refuses an
//!   item made for someone else. Pluggy's "secret" for an item is its id.
//! - **Transactions** come from `/v2/transactions`, per account, driven by
//!   the cursor state machine of [`cursor`].
//! - **Webhooks** are authenticated by a secret header registered with
//!   [`PluggyProvider::register_webhook`] (Pluggy does not sign them).
//!
//! [`complete_link`]: super::Provider::complete_link

pub mod api;
pub mod cursor;
pub mod map;
pub mod webhook;

use std::collections::{BTreeMap, HashMap};
use std::sync::PoisonError;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use reqwest::header::HeaderValue;
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use tracing::instrument;
use uuid::Uuid;

use self::cursor::{OVERLAP, SyncCursor, SyncState, after_param, window_dates};
use self::map::ItemState;
pub use self::map::normalize_amount;
use super::http::{ApiClient, decode};
use super::retry::RetryPolicy;
use super::{
    Account, ApiErrorKind, CompleteLink, Institution, ItemReadiness, ItemRef, ItemSecret, LinkRequest, LinkSession,
    LinkedItem, Provider, ProviderError, ProviderKind, Reconcile, Transaction, TransactionPage, WebhookError,
    WebhookEvent,
};

/// Pluggy's API.
pub const DEFAULT_BASE_URL: &str = "https://api.pluggy.ai";
/// The header Pluggy sends back on every webhook, with the secret registered
/// by [`PluggyProvider::register_webhook`].
pub const WEBHOOK_SECRET_HEADER: &str = "X-Tributary-Webhook-Secret";
/// How long an API key lives when its `exp` cannot be read.
const API_KEY_LIFE: TimeDelta = TimeDelta::hours(2);
/// Renew the API key this long before it expires.
const RENEW_EARLY: TimeDelta = TimeDelta::minutes(10);
/// Use a key at least this long, whatever its `exp` says (clock skew).
const MIN_KEY_USE: TimeDelta = TimeDelta::seconds(30);
/// How long a connect token lives.
const CONNECT_TOKEN_LIFE: TimeDelta = TimeDelta::minutes(30);
/// How soon to ask again about an item Pluggy is updating.
const BUSY_RETRY: Duration = Duration::from_secs(5);
/// A bound on the window phase's pages for one account (30 days).
const MAX_WINDOW_PAGES: usize = 500;

/// How to reach Pluggy.
#[derive(Clone)]
pub struct PluggySettings {
    /// `https://api.pluggy.ai`, or the sandbox's `…/sandbox/pluggy`.
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// List Pluggy's sandbox connectors in institution searches.
    pub include_sandbox_connectors: bool,
    /// Each request's time-out.
    pub timeout: Duration,
}

impl std::fmt::Debug for PluggySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluggySettings")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("include_sandbox_connectors", &self.include_sandbox_connectors)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The cached API key.
struct CachedKey {
    value: String,
    renew_at: Instant,
}

impl CachedKey {
    fn fresh(&self) -> bool {
        Instant::now() < self.renew_at
    }
}

/// The Pluggy provider.
pub struct PluggyProvider {
    api: ApiClient,
    client_id: String,
    client_secret: String,
    include_sandbox_connectors: bool,
    /// One lock: a caller that finds the key stale renews it while holding
    /// the write lock, so the others wait for that renewal instead of
    /// starting their own.
    key: tokio::sync::RwLock<Option<CachedKey>>,
    webhook_secret: std::sync::RwLock<Option<String>>,
}

impl std::fmt::Debug for PluggyProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluggyProvider")
            .field("base_url", &self.api.base_url())
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("include_sandbox_connectors", &self.include_sandbox_connectors)
            .finish_non_exhaustive()
    }
}

/// When to renew `api_key`, received at `now`: ten minutes before the
/// JWT's `exp` (two hours after `now` if it cannot be read), but not sooner
/// than [`MIN_KEY_USE`].
fn key_lifetime(api_key: &str, now: DateTime<Utc>) -> Duration {
    let life = jwt_exp(api_key).map_or(API_KEY_LIFE, |exp| exp - now);
    (life - RENEW_EARLY).max(MIN_KEY_USE).to_std().unwrap_or(Duration::from_secs(30))
}

/// The `exp` of a JWT, read without checking its signature (only to know
/// when to renew it, as Pluggy's SDK does).
fn jwt_exp(token: &str) -> Option<DateTime<Utc>> {
    #[derive(serde::Deserialize)]
    struct Claims {
        exp: i64,
    }
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: Claims = serde_json::from_slice(&bytes).ok()?;
    DateTime::from_timestamp(claims.exp, 0)
}

/// An id that goes into a URL path: Pluggy's ids are UUIDs, so anything with
/// other than letters, digits, `-` and `_` is refused (the item id of
/// [`CompleteLink`] comes from the browser).
fn segment<'a>(id: &'a str, what: &str) -> Result<&'a str, ProviderError> {
    if !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        Ok(id)
    } else {
        Err(ProviderError::Invalid(format!("{what} is not a Pluggy id")))
    }
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn has_status(error: &ProviderError, wanted: u16) -> bool {
    matches!(error, ProviderError::Api { status, .. } if *status == wanted)
}

impl PluggyProvider {
    /// A provider for `settings`.
    ///
    /// # Errors
    /// [`ProviderError::Invalid`] when the base URL is not an http(s) URL or
    /// the client id or secret is empty; [`ProviderError::Transport`] when
    /// the HTTP client cannot be set up.
    pub fn new(settings: PluggySettings) -> Result<Self, ProviderError> {
        let url = url::Url::parse(&settings.base_url)
            .map_err(|e| ProviderError::Invalid(format!("the Pluggy base URL is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ProviderError::Invalid("the Pluggy base URL must be http(s)".into()));
        }
        if settings.client_id.is_empty() || settings.client_secret.is_empty() {
            return Err(ProviderError::Invalid("the Pluggy client id and secret are required".into()));
        }
        let api = ApiClient::new("pluggy", &settings.base_url, settings.timeout, map::api_error)?;
        Ok(Self {
            api,
            client_id: settings.client_id,
            client_secret: settings.client_secret,
            include_sandbox_connectors: settings.include_sandbox_connectors,
            key: tokio::sync::RwLock::new(None),
            webhook_secret: std::sync::RwLock::new(None),
        })
    }

    /// The same provider with another retry policy (tests use short delays).
    #[must_use]
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.api = self.api.with_policy(policy);
        self
    }

    /// Sets the secret [`verify_webhook`](Provider::verify_webhook) expects
    /// in [`WEBHOOK_SECRET_HEADER`]. Without one, every webhook is refused.
    pub fn set_webhook_secret(&self, secret: String) {
        *self.webhook_secret.write().unwrap_or_else(PoisonError::into_inner) = Some(secret);
    }

    /// Makes sure Pluggy sends every event (`all`) to `url` with
    /// [`WEBHOOK_SECRET_HEADER`]` = secret`: updates the webhook already
    /// registered for that URL (its header, and re-enables it if Pluggy
    /// disabled it), or registers one. Idempotent. It does not change the
    /// secret webhooks are checked against: call
    /// [`set_webhook_secret`](Self::set_webhook_secret) for that.
    ///
    /// # Errors
    /// Pluggy's error (e.g. a URL it does not accept: HTTPS on a public
    /// host only), or a transport failure.
    #[instrument(skip_all)]
    pub async fn register_webhook(&self, url: &str, secret: &str) -> Result<(), ProviderError> {
        let hooks: api::Page<api::Webhook> = self.call(Method::GET, "/webhooks", "/webhooks", |b| b).await?;
        let headers = BTreeMap::from([(WEBHOOK_SECRET_HEADER, secret)]);
        let existing = hooks.results.iter().find(|h| h.url == url && h.event.as_deref() == Some("all"));
        if let Some(hook) = existing {
            let path = format!("/webhooks/{}", segment(&hook.id, "the webhook id")?);
            let body = api::UpdateWebhookRequest { headers: Some(headers), enabled: Some(true), ..Default::default() };
            self.call_raw(Method::PATCH, "/webhooks/{id}", &path, |b| b.json(&body)).await?;
            tracing::info!(was_disabled = hook.disabled_at.is_some(), "Pluggy webhook updated");
        } else {
            let body = api::CreateWebhookRequest { url, event: "all", headers: Some(headers) };
            self.call_raw(Method::POST, "/webhooks", "/webhooks", |b| b.json(&body)).await?;
            tracing::info!("Pluggy webhook registered");
        }
        Ok(())
    }

    /// A valid API key: the cached one, or a new one (one renewal at a time).
    async fn api_key(&self) -> Result<String, ProviderError> {
        if let Some(key) = self.key.read().await.as_ref().filter(|k| k.fresh()) {
            return Ok(key.value.clone());
        }
        let mut slot = self.key.write().await;
        // Someone else may have renewed it while we waited for the lock.
        if let Some(key) = slot.as_ref().filter(|k| k.fresh()) {
            return Ok(key.value.clone());
        }
        let body = api::AuthRequest { client_id: &self.client_id, client_secret: &self.client_secret };
        let answer: api::AuthResponse =
            self.api.send("/auth", || self.api.request(Method::POST, "/auth").json(&body)).await?;
        let renew_at = Instant::now() + key_lifetime(&answer.api_key, Utc::now());
        *slot = Some(CachedKey { value: answer.api_key.clone(), renew_at });
        tracing::debug!("new Pluggy API key");
        Ok(answer.api_key)
    }

    /// Drops the cached key if it is still `used` (not already renewed).
    async fn forget_key(&self, used: &str) {
        let mut slot = self.key.write().await;
        if slot.as_ref().is_some_and(|k| k.value == used) {
            *slot = None;
        }
    }

    /// Sends `method path` with the API key, as `customize` finishes it,
    /// re-authenticating once if the key is refused. `log_path` names the
    /// endpoint in logs without ids (an item id opens the item).
    async fn call_raw(
        &self,
        method: Method,
        log_path: &str,
        path: &str,
        customize: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Vec<u8>, ProviderError> {
        let key = self.api_key().await?;
        match self.send_with(&method, log_path, path, &key, &customize).await {
            Err(e) if has_status(&e, 401) || has_status(&e, 403) => {
                tracing::info!(path = log_path, "Pluggy refused the API key; authenticating again");
                self.forget_key(&key).await;
                let key = self.api_key().await?;
                self.send_with(&method, log_path, path, &key, &customize).await
            }
            other => other,
        }
    }

    async fn send_with(
        &self,
        method: &Method,
        log_path: &str,
        path: &str,
        key: &str,
        customize: &impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Vec<u8>, ProviderError> {
        let mut value = HeaderValue::from_str(key).map_err(|_| ProviderError::Decode {
            path: "apiKey".into(),
            message: "the API key is not a valid header value".into(),
        })?;
        value.set_sensitive(true);
        self.api
            .send_raw(log_path, || customize(self.api.request(method.clone(), path).header("X-API-KEY", value.clone())))
            .await
    }

    /// [`call_raw`](Self::call_raw), decoding the answer.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        log_path: &str,
        path: &str,
        customize: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<T, ProviderError> {
        decode(&self.call_raw(method, log_path, path, customize).await?)
    }

    /// `GET /items/{id}`; a 404 means the item is gone (revoked).
    async fn item(&self, id: &str) -> Result<api::Item, ProviderError> {
        let path = format!("/items/{}", segment(id, "the item id")?);
        self.call(Method::GET, "/items/{id}", &path, |b| b).await.map_err(|e| match e {
            ProviderError::Api { status: 404, code, message, display_message, retry_after, .. } => ProviderError::Api {
                status: 404,
                code,
                message,
                display_message,
                kind: ApiErrorKind::Revoked,
                retry_after,
            },
            other => other,
        })
    }

    /// `GET /accounts?itemId=`, mapped.
    async fn item_accounts(&self, item_id: &str) -> Result<Vec<Account>, ProviderError> {
        let query = api::AccountsQuery { item_id };
        let page: api::Page<api::Account> =
            self.call(Method::GET, "/accounts", "/accounts", |b| b.query(&query)).await?;
        page.results.iter().enumerate().map(|(i, a)| map::account(a, i)).collect()
    }

    /// One `/v2/transactions` page. A Pluggy cursor (`after`) refused with a
    /// 400 (expired, or from another API version) restarts the account from
    /// its first page: pages are upserts, so reading some again is harmless.
    async fn transactions_page(
        &self,
        query: &api::TransactionsQuery<'_>,
    ) -> Result<api::TransactionsPage, ProviderError> {
        match self.v2_transactions(query).await {
            Err(e) if has_status(&e, 400) && query.after.is_some() => {
                tracing::warn!(code = e.code(), "Pluggy refused the page cursor; reading the account from its start");
                let restart = api::TransactionsQuery {
                    account_id: query.account_id,
                    created_at_from: query.created_at_from.clone(),
                    date_from: query.date_from.clone(),
                    after: None,
                };
                self.v2_transactions(&restart).await
            }
            other => other,
        }
    }

    async fn v2_transactions(
        &self,
        query: &api::TransactionsQuery<'_>,
    ) -> Result<api::TransactionsPage, ProviderError> {
        self.call(Method::GET, "/v2/transactions", "/v2/transactions", |b| b.query(query)).await
    }

    /// Maps a page's transactions, and reads Pluggy's cursor for the next one.
    fn map_page(
        page: &api::TransactionsPage,
        currencies: &HashMap<&str, &str>,
    ) -> Result<(Vec<Transaction>, Option<String>), ProviderError> {
        let upserts = page
            .results
            .iter()
            .enumerate()
            .map(|(i, t)| map::transaction(t, currencies.get(t.account_id.as_str()).copied(), i))
            .collect::<Result<Vec<_>, _>>()?;
        let next = match page.next.as_deref() {
            None => None,
            Some(next) => Some(after_param(next).ok_or_else(|| ProviderError::Decode {
                path: "next".into(),
                message: "the next page's link has no `after` cursor".into(),
            })?),
        };
        Ok((upserts, next))
    }

    #[cfg(test)]
    async fn set_cached_key(&self, value: &str, renew_in: Duration) {
        *self.key.write().await = Some(CachedKey { value: value.to_owned(), renew_at: Instant::now() + renew_in });
    }
}

#[async_trait]
impl Provider for PluggyProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Pluggy
    }

    /// A connect token (30 minutes) carrying the user's id as
    /// `clientUserId`; in update mode, scoped to the item to repair.
    ///
    /// Pluggy sends no custom header to an item's own `webhookUrl`, so the
    /// webhooks it sends there cannot be verified: prefer
    /// [`PluggyProvider::register_webhook`] and leave `webhook_url` unset.
    #[instrument(skip_all)]
    async fn create_link(&self, request: &LinkRequest) -> Result<LinkSession, ProviderError> {
        let item_id = request.update.as_ref().map(|u| segment(&u.item_id, "the item id")).transpose()?;
        let body = api::ConnectTokenRequest {
            item_id,
            options: Some(api::ConnectTokenOptions {
                client_user_id: Some(request.user_id.to_string()),
                webhook_url: request.webhook_url.as_deref(),
            }),
        };
        let answer: api::ConnectTokenResponse =
            self.call(Method::POST, "/connect_token", "/connect_token", |b| b.json(&body)).await?;
        Ok(LinkSession { token: answer.access_token, expiration: Utc::now() + CONNECT_TOKEN_LIFE })
    }

    /// The item the widget created (`token` is its id), if it was made with
    /// this user's connect token.
    #[instrument(skip_all)]
    async fn complete_link(&self, request: &CompleteLink) -> Result<LinkedItem, ProviderError> {
        let item = match self.item(&request.token).await {
            Err(e) if has_status(&e, 404) => {
                return Err(ProviderError::Invalid("Pluggy does not know this connection".into()));
            }
            other => other?,
        };
        let owner = item.client_user_id.as_deref().and_then(|id| Uuid::parse_str(id).ok());
        if owner != Some(request.user_id) {
            tracing::warn!("a Pluggy item was handed back by a user it was not made for");
            return Err(ProviderError::Invalid("This bank connection was not made from your account.".into()));
        }
        if map::item_state(&item, Utc::now()) == ItemState::LoginRequired {
            return Err(map::login_required(&item));
        }
        let accounts = self.item_accounts(&item.id).await?;
        Ok(LinkedItem {
            item: ItemRef { item_id: item.id.clone(), secret: ItemSecret::new(item.id.clone()) },
            institution: map::institution(&item.connector),
            accounts,
            consent_expires_at: item.consent_expires_at,
        })
    }

    #[instrument(skip_all)]
    async fn search_institutions(&self, query: &str, country: Option<&str>) -> Result<Vec<Institution>, ProviderError> {
        let query = api::ConnectorsQuery {
            name: Some(query.trim()).filter(|q| !q.is_empty()),
            countries: country.map(|c| c.trim().to_ascii_uppercase()).filter(|c| !c.is_empty()),
            sandbox: self.include_sandbox_connectors.then_some(true),
        };
        let page: api::Page<api::Connector> =
            self.call(Method::GET, "/connectors", "/connectors", |b| b.query(&query)).await?;
        Ok(page.results.iter().map(map::institution).collect())
    }

    /// Ready when the item is up to date; busy while Pluggy collects data;
    /// refreshes a stale (`UPDATED` over four hours ago) or failed
    /// (`OUTDATED`) item, unless Pluggy says it is too soon (409
    /// `CLIENT_IS_UPDATING_BEFORE_ALLOWED_FREQUENCY`: sync what there is).
    /// Login problems are [`ApiErrorKind::LoginRequired`] errors with
    /// Pluggy's message for the user; a deleted item is
    /// [`ApiErrorKind::Revoked`].
    #[instrument(skip_all)]
    async fn prepare_sync(&self, item: &ItemRef) -> Result<ItemReadiness, ProviderError> {
        let current = self.item(&item.item_id).await?;
        let ready = ItemReadiness::Ready { consent_expires_at: current.consent_expires_at };
        let busy = ItemReadiness::Busy { retry_in: BUSY_RETRY };
        match map::item_state(&current, Utc::now()) {
            ItemState::Ready => Ok(ready),
            ItemState::Busy => Ok(busy),
            ItemState::LoginRequired => Err(map::login_required(&current)),
            ItemState::Refresh => {
                let path = format!("/items/{}", segment(&current.id, "the item id")?);
                let body = api::UpdateItemRequest::default();
                match self.call_raw(Method::PATCH, "/items/{id}", &path, |b| b.json(&body)).await {
                    Ok(_) => Ok(busy),
                    Err(ProviderError::Api { status: 409, code, .. })
                        if code == "CLIENT_IS_UPDATING_BEFORE_ALLOWED_FREQUENCY" =>
                    {
                        tracing::info!("Pluggy refused an early refresh; syncing the data it has");
                        Ok(ready)
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }

    #[instrument(skip_all)]
    async fn accounts(&self, item: &ItemRef) -> Result<Vec<Account>, ProviderError> {
        self.item_accounts(segment(&item.item_id, "the item id")?).await
    }

    /// The next step of the [`cursor`] state machine: one created-phase page,
    /// or one account's window page, or (no accounts) an empty last page.
    #[instrument(skip_all)]
    async fn transactions(
        &self,
        _item: &ItemRef,
        cursor: Option<&str>,
        accounts: &[Account],
    ) -> Result<TransactionPage, ProviderError> {
        let ids: Vec<&str> = accounts.iter().map(|a| a.provider_account_id.as_str()).collect();
        let currencies: HashMap<&str, &str> =
            accounts.iter().map(|a| (a.provider_account_id.as_str(), a.currency.as_str())).collect();
        let state = SyncCursor::decode(cursor).state.resume(&ids);
        let page = |upserts, reconcile, next: SyncState| TransactionPage {
            upserts,
            removed: Vec::new(),
            reconcile,
            has_more: !next.is_rest(),
            next_cursor: SyncCursor { v: cursor::VERSION, state: next }.encode(),
        };
        match &state {
            SyncState::Rest { .. } => Ok(page(Vec::new(), Vec::new(), state)),
            SyncState::Created { since, account_id, after, .. } => {
                let query = api::TransactionsQuery {
                    account_id,
                    created_at_from: since.map(|s| iso(s - OVERLAP)),
                    date_from: None,
                    after: after.as_deref(),
                };
                let answer = self.transactions_page(&query).await?;
                let (upserts, next_after) = Self::map_page(&answer, &currencies)?;
                let newest = answer.results.iter().map(|t| t.created_at).max();
                let next = state.clone().after_created(&ids, next_after, newest);
                Ok(page(upserts, Vec::new(), next))
            }
            SyncState::Window { seen, account_id, .. } => {
                let (ask_from, from) = window_dates(Utc::now(), *seen);
                let mut upserts = Vec::new();
                let mut after: Option<String> = None;
                for _ in 0..MAX_WINDOW_PAGES {
                    let query = api::TransactionsQuery {
                        account_id,
                        created_at_from: None,
                        date_from: Some(ask_from.to_string()),
                        after: after.as_deref(),
                    };
                    let answer = self.transactions_page(&query).await?;
                    let (mapped, next_after) = Self::map_page(&answer, &currencies)?;
                    upserts.extend(mapped);
                    if next_after.is_some() && next_after == after {
                        return Err(ProviderError::Decode {
                            path: "next".into(),
                            message: "Pluggy returned the same page cursor twice".into(),
                        });
                    }
                    after = next_after;
                    if after.is_none() {
                        let present = upserts.iter().map(|t: &Transaction| t.provider_transaction_id.clone()).collect();
                        let reconcile = vec![Reconcile { provider_account_id: (*account_id).clone(), from, present }];
                        return Ok(page(upserts, reconcile, state.clone().after_window(&ids)));
                    }
                }
                Err(ProviderError::Decode {
                    path: "next".into(),
                    message: format!("more than {MAX_WINDOW_PAGES} pages in {} days", cursor::WINDOW_DAYS),
                })
            }
        }
    }

    /// `DELETE /items/{id}`; an item already gone counts as removed.
    #[instrument(skip_all)]
    async fn remove(&self, item: &ItemRef) -> Result<(), ProviderError> {
        let path = format!("/items/{}", segment(&item.item_id, "the item id")?);
        match self.call_raw(Method::DELETE, "/items/{id}", &path, |b| b).await {
            Ok(_) => Ok(()),
            Err(e) if has_status(&e, 404) => Ok(()),
            Err(e) => Err(e),
        }
    }

    #[instrument(skip_all)]
    async fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent, WebhookError> {
        let secret = self.webhook_secret.read().unwrap_or_else(PoisonError::into_inner).clone();
        webhook::verify(secret.as_deref(), &self.client_id, headers, body)
    }
}

#[cfg(test)]
mod tests;
