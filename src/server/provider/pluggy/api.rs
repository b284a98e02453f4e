//! Pluggy's wire format: one typed request per endpoint and the response
//! shapes we read, in Pluggy's camelCase (`shared/specs/PLUGGY.md`, schema in
//! `pluggy-openapi.json`). Responses keep only the fields the app uses and
//! ignore the rest, since Pluggy evolves by adding fields.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

/// `POST /auth`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthRequest<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

/// `POST /connect_token`.
#[derive(Debug, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ConnectTokenRequest<'a> {
    /// Update mode: the item the token may repair.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<ConnectTokenOptions<'a>>,
}

/// `ConnectTokenRequest.options` (Pluggy's `ItemOptions`).
#[derive(Debug, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ConnectTokenOptions<'a> {
    /// The app's user id; Pluggy stores it on the item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<&'a str>,
}

/// `GET /connectors` query.
#[derive(Debug, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorsQuery<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    /// Comma-separated ISO country codes (`style: form, explode: false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub countries: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<bool>,
}

/// `GET /accounts` query.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountsQuery<'a> {
    pub item_id: &'a str,
}

/// `GET /v2/transactions` query. Pluggy refuses `dateFrom` together with
/// `createdAtFrom`; the cursor never asks for both.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionsQuery<'a> {
    pub account_id: &'a str,
    /// `yyyy-mm-ddThh:mm:ss.sssZ`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at_from: Option<String>,
    /// `yyyy-mm-dd`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_from: Option<String>,
    /// The cursor taken from the previous page's `next`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<&'a str>,
}

/// `PATCH /items/{id}` with an empty body: starts a new sync with the
/// stored credentials (new credentials go through the widget's update mode).
#[derive(Debug, Serialize, Default)]
pub struct UpdateItemRequest {}

/// `POST /webhooks`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateWebhookRequest<'a> {
    pub url: &'a str,
    pub event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<&'a str, &'a str>>,
}

/// `PATCH /webhooks/{id}`: only the fields to change.
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateWebhookRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<&'a str, &'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

// ---------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------

/// `POST /auth` answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthResponse {
    pub api_key: String,
}

/// `POST /connect_token` answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectTokenResponse {
    pub access_token: String,
}

/// A page of a listing (`/connectors`, `/accounts`, `/webhooks`); the page
/// numbers are not read: these listings fit one page.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    pub results: Vec<T>,
}

/// A connector (institution).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connector {
    pub id: i64,
    #[serde(default)]
    pub name: String,
    pub institution_url: Option<String>,
    pub image_url: Option<String>,
    pub primary_color: Option<String>,
    pub country: Option<String>,
}

/// An item's error.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemError {
    pub code: Option<String>,
    pub message: Option<String>,
}

/// An item (a connection).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub id: String,
    pub connector: Connector,
    pub status: String,
    pub execution_status: Option<String>,
    pub error: Option<ItemError>,
    pub client_user_id: Option<String>,
    pub last_updated_at: Option<DateTime<Utc>>,
    pub consent_expires_at: Option<DateTime<Utc>>,
}

/// An account's credit-card data.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditData {
    pub available_credit_limit: Option<f64>,
    pub credit_limit: Option<f64>,
}

/// An account.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub subtype: Option<String>,
    pub number: Option<String>,
    #[serde(default)]
    pub name: String,
    pub marketing_name: Option<String>,
    /// Absent when read with a connect token; always there with an API key.
    pub balance: Option<f64>,
    pub currency_code: String,
    pub credit_data: Option<CreditData>,
}

/// `GET /v2/transactions` answer.
#[derive(Debug, Deserialize)]
pub struct TransactionsPage {
    pub results: Vec<Transaction>,
    /// The next page's query string (`/v2/transactions?…&after=…`), or null.
    pub next: Option<String>,
}

/// `Transaction.paymentData`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentData {
    pub payment_method: Option<String>,
}

/// `Transaction.merchant`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Merchant {
    pub name: Option<String>,
    pub business_name: Option<String>,
}

/// A transaction.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub id: String,
    pub account_id: String,
    /// A date-time; the app keeps its date part.
    pub date: String,
    #[serde(default)]
    pub description: String,
    pub amount: f64,
    /// The amount in the account's currency, when the transaction's differs.
    pub amount_in_account_currency: Option<f64>,
    pub currency_code: String,
    /// `DEBIT` (money out) or `CREDIT` (money in).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `POSTED` or `PENDING`.
    pub status: Option<String>,
    pub category: Option<String>,
    pub category_id: Option<String>,
    pub payment_data: Option<PaymentData>,
    pub merchant: Option<Merchant>,
    pub created_at: DateTime<Utc>,
}

/// A registered webhook.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub event: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
}

/// Pluggy's error body (`GlobalErrorResponse`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub code_description: Option<String>,
    pub message: Option<String>,
}

/// A webhook delivery's body (fields shared by the events we act on).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookPayload {
    pub event: String,
    pub event_id: Option<String>,
    pub item_id: Option<String>,
    /// Deprecated: the related entity's id (the item's, for `item/*`).
    pub id: Option<String>,
    pub client_id: Option<String>,
    pub error: Option<ItemError>,
}
