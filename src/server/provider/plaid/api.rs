//! Plaid's wire format: one typed request per endpoint and the parts of each
//! response the app reads (`shared/specs/PLAID.md` §3). Requests leave out
//! what is unset rather than sending `null` (Plaid refuses `null` for
//! several objects, e.g. `options`); responses ignore fields the app does
//! not use, so new Plaid fields never break decoding.
//!
//! Credentials are not part of these structs: [`Authed`] adds `client_id`
//! and `secret` to whichever request is sent.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A request body with the API credentials added beside its own fields.
#[derive(Serialize)]
pub struct Authed<'a, T: Serialize> {
    pub client_id: &'a str,
    pub secret: &'a str,
    #[serde(flatten)]
    pub request: &'a T,
}

/// Plaid's error object ([S1] `PlaidError`): the body of every non-2xx
/// answer, and nested in `item.error` and in webhooks.
#[derive(Debug, Clone, Deserialize)]
pub struct PlaidError {
    /// Plaid requires it, but an error nested in a webhook is decoded
    /// leniently: the app can act on `error_code` alone.
    #[serde(default)]
    pub error_type: String,
    pub error_code: String,
    #[serde(default)]
    pub error_message: String,
    #[serde(default)]
    pub display_message: Option<String>,
    /// Only in errors that come inside webhooks.
    #[serde(default)]
    pub status: Option<u16>,
}

// ---- /link/token/create --------------------------------------------------

/// `user` of `/link/token/create`.
#[derive(Debug, Serialize)]
pub struct LinkUser {
    /// The app's user id: stable, and no personal data (Plaid's rule).
    pub client_user_id: String,
}

/// `POST /link/token/create`.
#[derive(Debug, Serialize)]
pub struct LinkTokenCreateRequest<'a> {
    pub client_name: &'a str,
    pub language: &'a str,
    pub country_codes: &'a [String],
    pub user: LinkUser,
    /// Required for a new item; left out in update mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub products: Option<Vec<String>>,
    /// Where the new item's webhooks go; no effect in update mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<&'a str>,
    /// Set to open Link in update mode for this item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<&'a str>,
    /// How much history a new item brings; left out in update mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transactions: Option<LinkTransactionsOptions>,
}

/// `transactions` options of a link token.
#[derive(Debug, Serialize)]
pub struct LinkTransactionsOptions {
    /// Days of history to fetch at link time (Plaid allows up to 730).
    pub days_requested: u32,
}

/// Answer of `/link/token/create`.
#[derive(Debug, Deserialize)]
pub struct LinkTokenCreateResponse {
    pub link_token: String,
    pub expiration: DateTime<Utc>,
}

// ---- /item/public_token/exchange -----------------------------------------

/// `POST /item/public_token/exchange`.
#[derive(Debug, Serialize)]
pub struct PublicTokenExchangeRequest<'a> {
    pub public_token: &'a str,
}

/// Answer of `/item/public_token/exchange`.
#[derive(Deserialize)]
pub struct PublicTokenExchangeResponse {
    pub access_token: String,
    pub item_id: String,
}

// ---- requests that name only the item --------------------------------------

/// `POST /item/get`, `/accounts/get` and `/item/remove`: the item's access
/// token and nothing else.
#[derive(Serialize)]
pub struct AccessTokenRequest<'a> {
    pub access_token: &'a str,
}

// ---- /item/get ------------------------------------------------------------

/// Plaid's `Item`, the fields the app reads.
#[derive(Debug, Deserialize)]
pub struct Item {
    pub item_id: String,
    #[serde(default)]
    pub institution_id: Option<String>,
    #[serde(default)]
    pub institution_name: Option<String>,
    /// Non-null means unhealthy, e.g. `ITEM_LOGIN_REQUIRED`.
    #[serde(default)]
    pub error: Option<PlaidError>,
    #[serde(default)]
    pub consent_expiration_time: Option<DateTime<Utc>>,
}

/// Answer of `/item/get`.
#[derive(Debug, Deserialize)]
pub struct ItemGetResponse {
    pub item: Item,
}

// ---- /institutions/get_by_id and /institutions/search ----------------------

/// `options` of the institution endpoints.
#[derive(Debug, Serialize)]
pub struct InstitutionOptions {
    /// Adds `logo`, `primary_color` and `url`.
    pub include_optional_metadata: bool,
}

/// `POST /institutions/get_by_id`.
#[derive(Debug, Serialize)]
pub struct InstitutionGetByIdRequest<'a> {
    pub institution_id: &'a str,
    pub country_codes: &'a [String],
    pub options: InstitutionOptions,
}

/// Plaid's `Institution`, the fields the app reads.
#[derive(Debug, Deserialize)]
pub struct Institution {
    pub institution_id: String,
    pub name: String,
    #[serde(default)]
    pub country_codes: Vec<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub primary_color: Option<String>,
    /// A base64 152×152 PNG.
    #[serde(default)]
    pub logo: Option<String>,
}

/// Answer of `/institutions/get_by_id`.
#[derive(Debug, Deserialize)]
pub struct InstitutionGetByIdResponse {
    pub institution: Institution,
}

/// `POST /institutions/search`.
#[derive(Debug, Serialize)]
pub struct InstitutionsSearchRequest<'a> {
    pub query: &'a str,
    pub country_codes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub products: Option<Vec<String>>,
    pub options: InstitutionOptions,
}

/// Answer of `/institutions/search` (at most 10).
#[derive(Debug, Deserialize)]
pub struct InstitutionsSearchResponse {
    pub institutions: Vec<Institution>,
}

// ---- /accounts/get ----------------------------------------------------------

/// Plaid's `AccountBalance`. For credit accounts a positive `current` is
/// what is owed.
#[derive(Debug, Deserialize)]
pub struct Balances {
    #[serde(default)]
    pub available: Option<f64>,
    #[serde(default)]
    pub current: Option<f64>,
    #[serde(default)]
    pub limit: Option<f64>,
    #[serde(default)]
    pub iso_currency_code: Option<String>,
    #[serde(default)]
    pub unofficial_currency_code: Option<String>,
}

/// Plaid's `AccountBase`.
#[derive(Debug, Deserialize)]
pub struct Account {
    pub account_id: String,
    pub balances: Balances,
    #[serde(default)]
    pub mask: Option<String>,
    pub name: String,
    #[serde(default)]
    pub official_name: Option<String>,
    #[serde(rename = "type")]
    pub account_type: String,
    #[serde(default)]
    pub subtype: Option<String>,
}

/// Answer of `/accounts/get`.
#[derive(Debug, Deserialize)]
pub struct AccountsGetResponse {
    pub accounts: Vec<Account>,
}

// ---- /transactions/sync -----------------------------------------------------

/// `POST /transactions/sync`.
#[derive(Serialize)]
pub struct TransactionsSyncRequest<'a> {
    pub access_token: &'a str,
    /// Left out on the first call: the whole history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<&'a str>,
    /// 1–500; the most per page makes a mutation mid-pagination rarer.
    pub count: u32,
}

/// `personal_finance_category` of a transaction.
#[derive(Debug, Deserialize)]
pub struct PersonalFinanceCategory {
    pub primary: String,
    pub detailed: String,
}

/// Plaid's `Transaction`, the fields the app reads. `amount` is positive
/// for money out of the account.
#[derive(Debug, Deserialize)]
pub struct Transaction {
    pub transaction_id: String,
    pub account_id: String,
    pub amount: f64,
    #[serde(default)]
    pub iso_currency_code: Option<String>,
    #[serde(default)]
    pub unofficial_currency_code: Option<String>,
    pub date: NaiveDate,
    #[serde(default)]
    pub authorized_date: Option<NaiveDate>,
    /// Deprecated by Plaid but still sent; the fallback name.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub merchant_name: Option<String>,
    #[serde(default)]
    pub pending: bool,
    #[serde(default)]
    pub pending_transaction_id: Option<String>,
    #[serde(default)]
    pub payment_channel: Option<String>,
    #[serde(default)]
    pub personal_finance_category: Option<PersonalFinanceCategory>,
    /// Deprecated hierarchy, e.g. `["Food and Drink", "Restaurants"]`.
    #[serde(default)]
    pub category: Option<Vec<String>>,
    #[serde(default)]
    pub logo_url: Option<String>,
}

/// An entry of `removed`.
#[derive(Debug, Deserialize)]
pub struct RemovedTransaction {
    pub transaction_id: String,
}

/// Answer of `/transactions/sync`.
#[derive(Debug, Deserialize)]
pub struct TransactionsSyncResponse {
    pub added: Vec<Transaction>,
    pub modified: Vec<Transaction>,
    pub removed: Vec<RemovedTransaction>,
    pub next_cursor: String,
    pub has_more: bool,
}

// ---- /item/remove -------------------------------------------------------------

/// Answer of `/item/remove`: nothing but the request id.
#[derive(Debug, Deserialize)]
pub struct ItemRemoveResponse {
    #[serde(default)]
    pub request_id: Option<String>,
}

// ---- /webhook_verification_key/get ------------------------------------------

/// `POST /webhook_verification_key/get`.
#[derive(Debug, Serialize)]
pub struct VerificationKeyGetRequest<'a> {
    pub key_id: &'a str,
}

/// Plaid's `JWKPublicKey`.
#[derive(Debug, Deserialize)]
pub struct Jwk {
    pub alg: String,
    pub crv: String,
    pub kid: String,
    pub kty: String,
    /// base64url big-endian coordinates.
    pub x: String,
    pub y: String,
    /// Non-null once the key has expired.
    #[serde(default)]
    pub expired_at: Option<i64>,
}

/// Answer of `/webhook_verification_key/get`.
#[derive(Debug, Deserialize)]
pub struct VerificationKeyGetResponse {
    pub key: Jwk,
}

// ---- webhooks -----------------------------------------------------------------

/// A webhook body: the common envelope and the code-specific fields the app
/// reads.
#[derive(Debug, Deserialize)]
pub struct WebhookBody {
    pub webhook_type: String,
    pub webhook_code: String,
    #[serde(default)]
    pub item_id: Option<String>,
    /// `ITEM/ERROR`, `USER_PERMISSION_REVOKED`, ….
    #[serde(default)]
    pub error: Option<PlaidError>,
    /// `ITEM/PENDING_EXPIRATION`.
    #[serde(default)]
    pub consent_expiration_time: Option<DateTime<Utc>>,
    /// `ITEM/PENDING_DISCONNECT`.
    #[serde(default)]
    pub disconnect_time: Option<DateTime<Utc>>,
}
