//! The Plaid client and its [`Provider`](super::Provider) implementation.
//!
//! Every Plaid endpoint is a `POST` with a JSON body carrying `client_id`
//! and `secret` (PLAID.md §1); the typed requests and responses are in
//! [`api`], the error mapping in [`errors`], webhook verification in
//! [`webhook`]. Calls go through the shared [`ApiClient`], so retries,
//! time-outs and decoding errors that name the JSON path are the same as
//! for every provider.
//!
//! What the app gets is in its own terms: amounts in minor units with the
//! app's sign ([`normalize_amount`]), balances as Plaid reports them (owed
//! amounts positive on credit and loan accounts), dates as dates.

pub mod api;
pub mod errors;
pub mod webhook;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use p256::ecdsa::VerifyingKey;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::RwLock;
use tracing::instrument;

use super::http::ApiClient;
use super::retry::RetryPolicy;
use super::{
    Account, ApiErrorKind, CompleteLink, Institution, ItemReadiness, ItemRef, ItemSecret, LinkRequest, LinkSession,
    LinkedItem, Provider, ProviderError, ProviderKind, Transaction, TransactionPage, WebhookError, WebhookEvent,
};
use crate::server::money::to_minor;

/// Plaid's Sandbox host.
pub const SANDBOX_URL: &str = "https://sandbox.plaid.com";
/// Plaid's Production host.
pub const PRODUCTION_URL: &str = "https://production.plaid.com";
/// The API version this client speaks (sent as `Plaid-Version`).
pub const API_VERSION: &str = "2020-09-14";
/// The name Link shows (at most 30 characters).
pub const CLIENT_NAME: &str = "Tributary";
/// Transactions per `/transactions/sync` page: Plaid's maximum, which makes
/// a mutation during pagination least likely (PLAID.md §2).
pub const SYNC_PAGE_SIZE: u32 = 500;
/// The product asked for when a link request names none.
pub const DEFAULT_PRODUCT: &str = "transactions";
/// How long a fetched webhook key is trusted before it is fetched again, so
/// a key Plaid expires stops being accepted.
const KEY_TTL: Duration = Duration::from_secs(60 * 60);

/// How to reach Plaid and what to ask Link for.
#[derive(Clone)]
pub struct PlaidSettings {
    /// [`SANDBOX_URL`], [`PRODUCTION_URL`], or the local sandbox's
    /// `…/sandbox/plaid`.
    pub base_url: String,
    pub client_id: String,
    /// Never printed: `Debug` redacts it.
    pub secret: String,
    /// ISO 3166-1 alpha-2 codes offered in Link, e.g. `["US", "CA"]`.
    pub country_codes: Vec<String>,
    /// Link's language, e.g. `en`.
    pub language: String,
    /// The OAuth redirect URI registered with Plaid.
    pub redirect_uri: Option<String>,
    /// Where new items send webhooks, unless a link request says otherwise.
    pub webhook_url: Option<String>,
    /// How long one call may take.
    pub timeout: Duration,
}

impl std::fmt::Debug for PlaidSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlaidSettings")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("secret", &"<redacted>")
            .field("country_codes", &self.country_codes)
            .field("language", &self.language)
            .field("redirect_uri", &self.redirect_uri)
            .field("webhook_url", &self.webhook_url)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A webhook verification key as fetched.
#[derive(Clone)]
struct CachedKey {
    key: VerifyingKey,
    /// Plaid: a non-null `expired_at` means the key has expired.
    expired_at: Option<i64>,
    fetched_at: Instant,
}

/// The Plaid client.
pub struct PlaidProvider {
    api: ApiClient,
    settings: PlaidSettings,
    /// Webhook verification keys by `kid`.
    keys: RwLock<HashMap<String, CachedKey>>,
}

impl std::fmt::Debug for PlaidProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlaidProvider").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl PlaidProvider {
    /// A client for the Plaid API at `settings.base_url`.
    ///
    /// # Errors
    /// [`ProviderError::Invalid`] naming the setting that cannot work (a
    /// base URL that is not http(s), empty credentials, no country), or a
    /// transport error if the TLS backend cannot be set up.
    pub fn new(mut settings: PlaidSettings) -> Result<Self, ProviderError> {
        let invalid = |m: &str| Err(ProviderError::Invalid(format!("Plaid settings: {m}")));
        match url::Url::parse(&settings.base_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            _ => return invalid("base_url must be an http(s) URL"),
        }
        if settings.client_id.trim().is_empty() || settings.secret.trim().is_empty() {
            return invalid("client_id and secret must be set");
        }
        settings.country_codes = settings.country_codes.iter().map(|c| c.trim().to_ascii_uppercase()).collect();
        if settings.country_codes.is_empty() || settings.country_codes.iter().any(|c| c.len() != 2) {
            return invalid("country_codes must be ISO 3166-1 alpha-2 codes, at least one");
        }
        if settings.language.trim().is_empty() {
            return invalid("language must be set");
        }
        let api = ApiClient::new("plaid", &settings.base_url, settings.timeout, errors::map_error)?;
        Ok(Self { api, settings, keys: RwLock::default() })
    }

    /// The same client with another retry policy (tests use short delays).
    #[must_use]
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.api = self.api.with_policy(policy);
        self
    }

    /// The settings in use.
    pub fn settings(&self) -> &PlaidSettings {
        &self.settings
    }

    /// POSTs `request` with the credentials to `path` and decodes the answer.
    async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        path: &'static str,
        request: &Req,
    ) -> Result<Resp, ProviderError> {
        let authed = api::Authed { client_id: &self.settings.client_id, secret: &self.settings.secret, request };
        // Encoded once: every attempt sends the same bytes.
        let body = serde_json::to_vec(&authed)
            .map_err(|e| ProviderError::Invalid(format!("cannot encode the {path} request: {e}")))?;
        self.api
            .send(path, || {
                self.api
                    .request(Method::POST, path)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header("Plaid-Version", API_VERSION)
                    .body(body.clone())
            })
            .await
    }

    async fn item_get(&self, item: &ItemRef) -> Result<api::Item, ProviderError> {
        let request = api::AccessTokenRequest { access_token: item.secret.expose() };
        let response: api::ItemGetResponse = self.call("/item/get", &request).await?;
        Ok(response.item)
    }

    /// The institution, with logo, colour and URL. Linking does not fail
    /// for want of a logo: if Plaid cannot describe the institution, its id
    /// and the item's `institution_name` stand in.
    async fn institution(&self, id: Option<&str>, fallback_name: Option<String>) -> Institution {
        let Some(id) = id else {
            // Plaid leaves it null only for items made without a bank login.
            return Institution {
                provider_institution_id: "unknown".into(),
                name: fallback_name.unwrap_or_else(|| "Unknown institution".into()),
                ..Institution::default()
            };
        };
        let request = api::InstitutionGetByIdRequest {
            institution_id: id,
            country_codes: &self.settings.country_codes,
            options: api::InstitutionOptions { include_optional_metadata: true },
        };
        match self.call::<_, api::InstitutionGetByIdResponse>("/institutions/get_by_id", &request).await {
            Ok(response) => institution(response.institution),
            Err(e) => {
                tracing::warn!(institution_id = id, code = e.code(), "cannot describe the institution");
                Institution {
                    provider_institution_id: id.to_owned(),
                    name: fallback_name.unwrap_or_else(|| id.to_owned()),
                    ..Institution::default()
                }
            }
        }
    }

    /// The item's institution, accounts and consent end, for a new link.
    async fn describe(&self, item: &ItemRef) -> Result<LinkedItem, ProviderError> {
        let got = self.item_get(item).await?;
        let institution = self.institution(got.institution_id.as_deref(), got.institution_name).await;
        let accounts = self.accounts(item).await?;
        Ok(LinkedItem { item: item.clone(), institution, accounts, consent_expires_at: got.consent_expiration_time })
    }

    /// The verification key `kid`, from the cache when it is fresh, else
    /// from `/webhook_verification_key/get`.
    async fn verification_key(&self, kid: &str) -> Result<VerifyingKey, WebhookError> {
        let cached = self.keys.read().await.get(kid).filter(|k| k.fetched_at.elapsed() < KEY_TTL).cloned();
        let key = match cached {
            Some(key) => key,
            None => {
                let key = self.fetch_key(kid).await?;
                self.keys.write().await.insert(kid.to_owned(), key.clone());
                key
            }
        };
        if key.expired_at.is_some() {
            return Err(WebhookError::Unverified("the signing key has expired".into()));
        }
        Ok(key.key)
    }

    async fn fetch_key(&self, kid: &str) -> Result<CachedKey, WebhookError> {
        let request = api::VerificationKeyGetRequest { key_id: kid };
        let response: api::VerificationKeyGetResponse = match self.call("/webhook_verification_key/get", &request).await
        {
            Ok(response) => response,
            // Plaid refuses a kid it never issued: the token is forged. Any
            // other failure (our keys refused, Plaid down) is ours to report,
            // not the sender's fault.
            Err(e) if e.code() == "INVALID_WEBHOOK_VERIFICATION_KEY_ID" => {
                return Err(WebhookError::Unverified("unknown signing key".into()));
            }
            Err(e) => return Err(WebhookError::Provider(e)),
        };
        if response.key.kid != kid {
            return Err(WebhookError::Provider(ProviderError::Decode {
                path: "key.kid".into(),
                message: "not the key id asked for".into(),
            }));
        }
        let key = webhook::verifying_key(&response.key)?;
        Ok(CachedKey { key, expired_at: response.key.expired_at, fetched_at: Instant::now() })
    }

    /// [`verify_webhook`](Provider::verify_webhook) as of `now`, so tests can
    /// check that stale deliveries are refused.
    ///
    /// # Errors
    /// [`WebhookError::Unverified`] for a missing, malformed, non-ES256,
    /// badly signed, stale or mismatching token, or an unknown or expired
    /// key; [`WebhookError::Provider`] when the key cannot be fetched;
    /// [`WebhookError::Malformed`] for a verified body that is not a Plaid
    /// webhook.
    #[instrument(skip_all)]
    pub async fn verify_webhook_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<WebhookEvent, WebhookError> {
        let token = webhook::parse_token(headers)?;
        let key = self.verification_key(&token.kid).await?;
        webhook::check_claims(&token, &key, body, now)?;
        webhook::event(body)
    }
}

/// Plaid's amount in the app's terms: minor units of `currency`, negative
/// when money leaves the account. Plaid's sign is the opposite (positive =
/// money out), so it is flipped; `None` when the amount is not finite or
/// does not fit.
///
/// Credit cards follow the same rule from the card account's point of
/// view: a purchase (Plaid positive) is money out, negative in the app; a
/// payment to the card or a refund (Plaid negative) is money in, positive.
/// Balances are not amounts: an account's `current` keeps Plaid's sign, so
/// on credit and loan accounts it is what is owed, positive.
pub fn normalize_amount(plaid_amount: f64, currency: &str) -> Option<i64> {
    to_minor(-plaid_amount, currency)
}

/// The app's account type for Plaid's `type`: `brokerage` is an
/// investment account; a type Plaid adds later is `other`.
fn account_type(plaid_type: &str) -> &'static str {
    match plaid_type {
        "depository" => "depository",
        "credit" => "credit",
        "loan" => "loan",
        "investment" | "brokerage" => "investment",
        _ => "other",
    }
}

/// The first currency given, else US dollars (Plaid's default market).
fn currency(iso: Option<&str>, unofficial: Option<&str>) -> String {
    iso.or(unofficial).filter(|c| !c.trim().is_empty()).unwrap_or("USD").to_owned()
}

/// Maps Plaid account number `index` of an answer.
fn account(a: api::Account, index: usize) -> Result<Account, ProviderError> {
    let currency = currency(a.balances.iso_currency_code.as_deref(), a.balances.unofficial_currency_code.as_deref());
    let minor = |value: Option<f64>, field: &str| match value {
        None => Ok(None),
        Some(v) => to_minor(v, &currency).map(Some).ok_or_else(|| ProviderError::Decode {
            path: format!("accounts[{index}].balances.{field}"),
            message: format!("{v} is not an amount of {currency}"),
        }),
    };
    Ok(Account {
        current: minor(a.balances.current, "current")?,
        available: minor(a.balances.available, "available")?,
        limit: minor(a.balances.limit, "limit")?,
        provider_account_id: a.account_id,
        name: a.name,
        official_name: a.official_name,
        mask: a.mask,
        account_type: account_type(&a.account_type).to_owned(),
        subtype: a.subtype,
        currency,
    })
}

/// Maps the transaction at `path` (e.g. `added[3]`); `accounts` give the
/// currency when the transaction names none.
fn transaction(t: api::Transaction, path: &str, accounts: &[Account]) -> Result<Transaction, ProviderError> {
    let currency = match (t.iso_currency_code.as_deref(), t.unofficial_currency_code.as_deref()) {
        (None, None) => accounts
            .iter()
            .find(|a| a.provider_account_id == t.account_id)
            .map_or_else(|| "USD".to_owned(), |a| a.currency.clone()),
        (iso, unofficial) => currency(iso, unofficial),
    };
    let amount = normalize_amount(t.amount, &currency).ok_or_else(|| ProviderError::Decode {
        path: format!("{path}.amount"),
        message: format!("{} is not an amount of {currency}", t.amount),
    })?;
    let (category_primary, category_detailed) = match t.personal_finance_category {
        Some(pfc) => (Some(pfc.primary), Some(pfc.detailed)),
        // The legacy hierarchy, most general first: its first level is the
        // primary category, its last (when deeper) the detailed one.
        None => {
            let levels = t.category.unwrap_or_default();
            let primary = levels.first().cloned();
            let detailed = if levels.len() > 1 { levels.last().cloned() } else { None };
            (primary, detailed)
        }
    };
    let name = t.name.filter(|n| !n.trim().is_empty()).or_else(|| t.merchant_name.clone()).unwrap_or_default();
    Ok(Transaction {
        provider_transaction_id: t.transaction_id,
        provider_account_id: t.account_id,
        pending_transaction_id: t.pending_transaction_id,
        amount,
        currency,
        date: t.date,
        authorized_date: t.authorized_date,
        name,
        merchant_name: t.merchant_name,
        category_primary,
        category_detailed,
        payment_channel: t.payment_channel,
        pending: t.pending,
        logo_url: t.logo_url,
    })
}

/// Plaid's institution; a base64 logo becomes a `data:` URL.
fn institution(i: api::Institution) -> Institution {
    let logo = i.logo.filter(|l| !l.trim().is_empty()).map(|logo| {
        if logo.starts_with("data:") || logo.starts_with("https://") || logo.starts_with("http://") {
            logo
        } else {
            format!("data:image/png;base64,{logo}")
        }
    });
    Institution {
        provider_institution_id: i.institution_id,
        name: i.name,
        logo,
        primary_color: i.primary_color,
        url: i.url,
        countries: i.country_codes,
    }
}

/// A page of `/transactions/sync` in the app's terms.
fn page(response: api::TransactionsSyncResponse, accounts: &[Account]) -> Result<TransactionPage, ProviderError> {
    let mut upserts = Vec::with_capacity(response.added.len() + response.modified.len());
    for (list, transactions) in [("added", response.added), ("modified", response.modified)] {
        for (index, t) in transactions.into_iter().enumerate() {
            upserts.push(transaction(t, &format!("{list}[{index}]"), accounts)?);
        }
    }
    Ok(TransactionPage {
        upserts,
        removed: response.removed.into_iter().map(|r| r.transaction_id).collect(),
        reconcile: Vec::new(),
        next_cursor: response.next_cursor,
        has_more: response.has_more,
    })
}

#[async_trait]
impl Provider for PlaidProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Plaid
    }

    /// `/link/token/create`: a new item (products, default `transactions`;
    /// the webhook) or, with `request.update`, update mode (the item's
    /// access token and no products; Plaid ignores a webhook there).
    #[instrument(skip_all, fields(update = request.update.is_some()))]
    async fn create_link(&self, request: &LinkRequest) -> Result<LinkSession, ProviderError> {
        let update = request.update.as_ref();
        let products = match update {
            Some(_) => None,
            None if request.products.is_empty() => Some(vec![DEFAULT_PRODUCT.to_owned()]),
            None => Some(request.products.clone()),
        };
        let webhook = match update {
            Some(_) => None,
            None => request.webhook_url.as_deref().or(self.settings.webhook_url.as_deref()),
        };
        let body = api::LinkTokenCreateRequest {
            client_name: CLIENT_NAME,
            language: &self.settings.language,
            country_codes: &self.settings.country_codes,
            user: api::LinkUser { client_user_id: request.user_id.to_string() },
            products,
            webhook,
            access_token: update.map(|item| item.secret.expose()),
            redirect_uri: self.settings.redirect_uri.as_deref(),
            // Two years: the most Plaid offers, so the dashboard has history.
            transactions: update.is_none().then_some(api::LinkTransactionsOptions { days_requested: 730 }),
        };
        let response: api::LinkTokenCreateResponse = self.call("/link/token/create", &body).await?;
        Ok(LinkSession { token: response.link_token, expiration: response.expiration })
    }

    /// Exchanges the public token, then describes the item
    /// (`/item/get`, `/institutions/get_by_id`, `/accounts/get`). If that
    /// fails the new item is removed at Plaid: the public token is used up,
    /// so the user links again, and an item nobody holds would stay billed.
    ///
    /// A public token carries no user: that it comes from `request.user_id`'s
    /// own Link session is the caller's to ensure (Link tokens are made
    /// with the user's id as `client_user_id`).
    #[instrument(skip_all)]
    async fn complete_link(&self, request: &CompleteLink) -> Result<LinkedItem, ProviderError> {
        if request.token.trim().is_empty() {
            return Err(ProviderError::Invalid("no public token was given".into()));
        }
        let exchange = api::PublicTokenExchangeRequest { public_token: &request.token };
        let response: api::PublicTokenExchangeResponse = self.call("/item/public_token/exchange", &exchange).await?;
        let item = ItemRef { item_id: response.item_id, secret: ItemSecret::new(response.access_token) };
        match self.describe(&item).await {
            Ok(linked) => Ok(linked),
            Err(e) => {
                tracing::warn!(item_id = item.item_id, code = e.code(), "new item cannot be described; removing it");
                if let Err(removal) = self.remove(&item).await {
                    tracing::warn!(item_id = item.item_id, code = removal.code(), "cannot remove the new item");
                }
                Err(e)
            }
        }
    }

    /// `/institutions/search` for institutions with Transactions, in
    /// `country` or the configured countries.
    #[instrument(skip_all)]
    async fn search_institutions(&self, query: &str, country: Option<&str>) -> Result<Vec<Institution>, ProviderError> {
        let query = query.trim();
        if query.is_empty() {
            // Plaid requires a non-empty query.
            return Ok(Vec::new());
        }
        let country_codes = match country {
            Some(c) => vec![c.trim().to_ascii_uppercase()],
            None => self.settings.country_codes.clone(),
        };
        let request = api::InstitutionsSearchRequest {
            query,
            country_codes,
            products: Some(vec![DEFAULT_PRODUCT.to_owned()]),
            options: api::InstitutionOptions { include_optional_metadata: true },
        };
        let response: api::InstitutionsSearchResponse = self.call("/institutions/search", &request).await?;
        Ok(response.institutions.into_iter().map(institution).collect())
    }

    /// `/item/get`: an item that needs the user (login required, consent
    /// revoked) is an error; any other item error is left to the sync
    /// itself, whose calls report it precisely.
    #[instrument(skip_all, fields(item_id = %item.item_id))]
    async fn prepare_sync(&self, item: &ItemRef) -> Result<ItemReadiness, ProviderError> {
        let got = self.item_get(item).await?;
        if let Some(error) = &got.error {
            let error = errors::from_object(error.status.unwrap_or(400), error, None);
            if matches!(error.kind(), ApiErrorKind::LoginRequired | ApiErrorKind::Revoked) {
                return Err(error);
            }
            tracing::info!(code = error.code(), "item reports an error; syncing anyway");
        }
        Ok(ItemReadiness::Ready { consent_expires_at: got.consent_expiration_time })
    }

    /// `/accounts/get` (cached balances, free).
    #[instrument(skip_all, fields(item_id = %item.item_id))]
    async fn accounts(&self, item: &ItemRef) -> Result<Vec<Account>, ProviderError> {
        let request = api::AccessTokenRequest { access_token: item.secret.expose() };
        let response: api::AccountsGetResponse = self.call("/accounts/get", &request).await?;
        response.accounts.into_iter().enumerate().map(|(index, a)| account(a, index)).collect()
    }

    /// One `/transactions/sync` page of [`SYNC_PAGE_SIZE`]: added and
    /// modified become upserts. An empty cursor counts as none.
    #[instrument(skip_all, fields(item_id = %item.item_id, first = cursor.is_none_or(str::is_empty)))]
    async fn transactions(
        &self,
        item: &ItemRef,
        cursor: Option<&str>,
        accounts: &[Account],
    ) -> Result<TransactionPage, ProviderError> {
        let request = api::TransactionsSyncRequest {
            access_token: item.secret.expose(),
            cursor: cursor.filter(|c| !c.is_empty()),
            count: SYNC_PAGE_SIZE,
        };
        let response: api::TransactionsSyncResponse = self.call("/transactions/sync", &request).await?;
        page(response, accounts)
    }

    /// `/item/remove`; an item Plaid no longer knows (`ITEM_NOT_FOUND`, or
    /// an access token it does not recognise, as after a removal) counts as
    /// removed.
    #[instrument(skip_all, fields(item_id = %item.item_id))]
    async fn remove(&self, item: &ItemRef) -> Result<(), ProviderError> {
        let request = api::AccessTokenRequest { access_token: item.secret.expose() };
        match self.call::<_, api::ItemRemoveResponse>("/item/remove", &request).await {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.code(), "ITEM_NOT_FOUND" | "INVALID_ACCESS_TOKEN") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Verifies the `Plaid-Verification` JWT (ES256, key by `kid`, `iat`
    /// within 5 minutes, SHA-256 of the raw body) before reading the body.
    /// The delivery key is the body's SHA-256: Plaid has no delivery id.
    async fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent, WebhookError> {
        self.verify_webhook_at(headers, body, Utc::now()).await
    }
}

#[cfg(test)]
mod tests;
