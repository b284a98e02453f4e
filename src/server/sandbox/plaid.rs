//! A local emulation of Plaid's API (`/sandbox/plaid`): Plaid's paths, JSON,
//! credentials, error objects and HTTP statuses (see `shared/specs/PLAID.md`),
//! over the deterministic world of [`data`]. Plaid's official clients work
//! against it with only the host changed.

pub mod data;
pub mod link;
pub mod state;
pub mod sync;
pub mod webhooks;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, SecondsFormat, TimeDelta, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use self::data::{AccountSpec, Institution, TxnData};
use self::state::{Item, LinkToken, PlaidState, PublicToken};
use self::webhooks::WebhookSigner;
use crate::server::sandbox::clock::Clock;
use crate::server::sandbox::faults::{FaultKind, Faults};
use crate::server::sandbox::rng::Rng;
use crate::server::sandbox::{Emulator, control_clock_now, control_faults_add, control_faults_clear};

/// The client id the sandbox accepts unless told otherwise.
pub const DEFAULT_CLIENT_ID: &str = "sandbox_client_id";
/// The secret the sandbox accepts unless told otherwise.
pub const DEFAULT_SECRET: &str = "sandbox_secret";
const LINK_TOKEN_LIFE: TimeDelta = TimeDelta::hours(4);
const UPDATE_LINK_TOKEN_LIFE: TimeDelta = TimeDelta::minutes(30);
const PUBLIC_TOKEN_LIFE: TimeDelta = TimeDelta::minutes(30);

/// The Plaid sandbox.
pub struct PlaidSandbox {
    state: Mutex<PlaidState>,
    snapshot: Option<PathBuf>,
    pub(crate) clock: Arc<Clock>,
    pub(crate) faults: Faults,
    pub(crate) signer: WebhookSigner,
    http: reqwest::Client,
    client_id: String,
    secret: String,
}

impl PlaidSandbox {
    /// A sandbox accepting `client_id`/`secret`, remembering its items in
    /// `snapshot` when given.
    pub fn new(client_id: String, secret: String, snapshot: Option<PathBuf>, clock: Arc<Clock>) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(PlaidState::load(snapshot.as_ref())),
            snapshot,
            clock,
            faults: Faults::default(),
            signer: WebhookSigner::generate(),
            http: reqwest::Client::new(),
            client_id,
            secret,
        })
    }

    fn lock(&self) -> MutexGuard<'_, PlaidState> {
        // A panic while holding the lock leaves consistent data (every write
        // is a whole-value insert), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn save(&self, state: &mut PlaidState) {
        state.save(self.snapshot.as_ref(), self.clock.now());
    }

    /// Sends `payload` to the item's webhook URL, if it has one.
    fn fire(&self, item: &mut Item, payload: Value) {
        let Some(url) = item.webhook.clone() else { return };
        item.last_webhook = Some((self.clock.now(), payload["webhook_code"].as_str().unwrap_or_default().to_owned()));
        webhooks::deliver(self.http.clone(), &self.signer, url, &payload);
    }

    /// Announces new transaction data (SYNC_UPDATES_AVAILABLE) for every item
    /// that has called `/transactions/sync` and has events since it was last
    /// told. Runs periodically and after the clock moves.
    pub fn announce_updates(&self) {
        let mut state = self.lock();
        let now = self.clock.now();
        let mut changed = false;
        for item in state.items.values_mut() {
            if item.removed || !item.sync_called || item.webhook.is_none() || item.login_required {
                continue;
            }
            let item_now = item.now(now);
            let lives = item.lives(item_now);
            if sync::mutated_between(&lives, item.announced_until, item_now, item.history_start) {
                item.announced_until = item_now;
                let payload = webhook_payload(
                    item,
                    "TRANSACTIONS",
                    "SYNC_UPDATES_AVAILABLE",
                    json!({
                        "initial_update_complete": true,
                        "historical_update_complete": true,
                    }),
                );
                self.fire(item, payload);
                changed = true;
            }
        }
        if changed {
            self.save(&mut state);
        }
    }
}

impl Emulator for PlaidSandbox {
    fn clock(&self) -> &Clock {
        &self.clock
    }

    fn faults(&self) -> &Faults {
        &self.faults
    }
}

/// A Plaid error response.
#[derive(Debug, Clone)]
pub struct PlaidError {
    pub status: StatusCode,
    pub error_type: &'static str,
    pub code: String,
    pub message: String,
    pub display: Option<String>,
}

impl PlaidError {
    fn new(status: StatusCode, error_type: &'static str, code: &str, message: &str, display: Option<&str>) -> Self {
        Self {
            status,
            error_type,
            code: code.to_owned(),
            message: message.to_owned(),
            display: display.map(Into::into),
        }
    }

    fn invalid_request(code: &str, message: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_REQUEST", code, message, None)
    }

    fn invalid_input(code: &str, message: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_INPUT", code, message, None)
    }

    fn item_error(code: &str, message: &str, display: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ITEM_ERROR", code, message, Some(display))
    }

    fn login_required() -> Self {
        Self::item_error(
            "ITEM_LOGIN_REQUIRED",
            "the login details of this item have changed (credentials, MFA, or required user action) and a user login is required to update this information. use Link's update mode to restore the item to a good state",
            "Your login details have changed. Please log in again to keep your account connected.",
        )
    }

    fn rate_limited(path: &str) -> Self {
        let code = match path {
            "/transactions/sync" => "TRANSACTIONS_SYNC_LIMIT",
            "/transactions/get" => "TRANSACTIONS_LIMIT",
            "/accounts/get" => "ACCOUNTS_LIMIT",
            "/accounts/balance/get" => "BALANCE_LIMIT",
            "/item/get" => "ITEM_GET_LIMIT",
            _ => "RATE_LIMIT",
        };
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMIT_EXCEEDED",
            code,
            "rate limit exceeded for attempts to access this item. please try again later",
            Some("Too many requests were made. Please try again later."),
        )
    }

    fn api_error() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "API_ERROR",
            "INTERNAL_SERVER_ERROR",
            "an unexpected error occurred",
            Some("An unexpected error occurred. Please try again later."),
        )
    }

    /// The error object, as a body or nested in an item or webhook.
    pub fn object(&self) -> Value {
        json!({
            "error_type": self.error_type,
            "error_code": self.code,
            "error_code_reason": null,
            "error_message": self.message,
            "display_message": self.display,
            "documentation_url": format!("https://plaid.com/docs/errors/{}/", self.error_type.to_lowercase().replace('_', "-")),
            "suggested_action": null,
        })
    }

    /// The error a sandbox login with password `error_<CODE>` produces.
    fn from_password_code(code: &str) -> Self {
        let (error_type, message, display) = match code {
            "ITEM_LOCKED" => (
                "ITEM_ERROR",
                "the account is locked. prompt the user to visit the institution's site and unlock their account",
                "The financial institution indicated that your account is locked. Please visit your bank's website to unlock it.",
            ),
            "INVALID_MFA" => (
                "ITEM_ERROR",
                "the provided MFA responses were not correct",
                "The provided MFA responses were not correct. Please try again.",
            ),
            "USER_SETUP_REQUIRED" => (
                "ITEM_ERROR",
                "the account has not been fully set up. prompt the user to visit the issuing institution's site and finish the setup process",
                "Log in to your bank's website and finish setting up your account, then try again.",
            ),
            "NO_ACCOUNTS" => (
                "ITEM_ERROR",
                "no valid accounts were found for this item",
                "No compatible accounts could be found at this institution.",
            ),
            "INSTITUTION_DOWN" => (
                "INSTITUTION_ERROR",
                "this institution is not currently responding to this request. please try again soon",
                "This financial institution is not currently responding to requests. We apologize for the inconvenience.",
            ),
            "INSTITUTION_NOT_RESPONDING" => (
                "INSTITUTION_ERROR",
                "this institution is not currently responding to this request. please try again soon",
                "This financial institution is not currently responding to requests. We apologize for the inconvenience.",
            ),
            _ => return Self::invalid_credentials(),
        };
        Self::new(StatusCode::BAD_REQUEST, error_type, code, message, Some(display))
    }

    fn invalid_credentials() -> Self {
        Self::item_error(
            "INVALID_CREDENTIALS",
            "the provided credentials were not correct",
            "The credentials you provided were incorrect: Check that your credentials are the same that you use for this institution",
        )
    }
}

impl IntoResponse for PlaidError {
    fn into_response(self) -> Response {
        let mut body = self.object();
        body["request_id"] = json!(request_id());
        (self.status, Json(body)).into_response()
    }
}

type ApiResult = Result<Json<Value>, PlaidError>;

/// A call to Plaid's API, authenticated (credentials in the body or the
/// headers) and decoded into its typed request; failures answer in Plaid's
/// error format.
pub struct PlaidJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Arc<PlaidSandbox>> for PlaidJson<T> {
    type Rejection = PlaidError;

    async fn from_request(req: Request, sandbox: &Arc<PlaidSandbox>) -> Result<Self, PlaidError> {
        let headers = req.headers().clone();
        let Json(body) = Json::<Value>::from_request(req, sandbox)
            .await
            .map_err(|_| PlaidError::invalid_request("INVALID_BODY", "body could not be parsed as JSON"))?;
        authenticate(sandbox, &headers, &body)?;
        Ok(Self(parse(&body)?))
    }
}

/// A fresh Plaid-style request id.
fn request_id() -> String {
    Rng::new(&uuid::Uuid::new_v4().to_string()).id(15)
}

/// `body` with a request id added.
pub(crate) fn ok(mut body: Value) -> ApiResult {
    body["request_id"] = json!(request_id());
    Ok(Json(body))
}

/// Plaid's RFC 3339 timestamps.
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Decodes a request body into its typed form, answering like Plaid does
/// for missing or malformed fields.
fn parse<T: DeserializeOwned>(body: &Value) -> Result<T, PlaidError> {
    serde_path_to_error::deserialize(body).map_err(|e| {
        let inner = e.inner().to_string();
        if let Some(field) = inner.strip_prefix("missing field `").and_then(|s| s.split('`').next()) {
            PlaidError::invalid_request(
                "MISSING_FIELDS",
                &format!("the following required fields are missing: {}", join_path(&e.path().to_string(), field)),
            )
        } else {
            PlaidError::invalid_request("INVALID_FIELD", &format!("{}: {inner}", e.path()))
        }
    })
}

fn join_path(path: &str, field: &str) -> String {
    if path == "." || path.is_empty() { field.to_owned() } else { format!("{path}.{field}") }
}

/// The client id and secret from the body or the `PLAID-CLIENT-ID` /
/// `PLAID-SECRET` headers.
fn authenticate(sandbox: &PlaidSandbox, headers: &HeaderMap, body: &Value) -> Result<(), PlaidError> {
    let field = |name: &str, header: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| headers.get(header).and_then(|v| v.to_str().ok()).map(str::to_owned))
    };
    match (field("client_id", "plaid-client-id"), field("secret", "plaid-secret")) {
        (Some(id), Some(secret)) if id == sandbox.client_id && secret == sandbox.secret => Ok(()),
        (Some(_), Some(_)) => {
            Err(PlaidError::invalid_input("INVALID_API_KEYS", "invalid client_id or secret provided"))
        }
        (id, _) => Err(PlaidError::invalid_request(
            "MISSING_FIELDS",
            &format!(
                "the following required fields are missing: {}",
                if id.is_none() { "client_id" } else { "secret" }
            ),
        )),
    }
}

fn institution_json(institution: &Institution, optional_metadata: bool) -> Value {
    let mut value = json!({
        "institution_id": institution.id,
        "name": institution.name,
        "products": ["assets", "auth", "balance", "transactions", "identity", "investments", "liabilities"],
        "country_codes": ["US"],
        "routing_numbers": [institution.routing_number],
        "dtc_numbers": [],
        "oauth": institution.oauth,
    });
    if optional_metadata {
        value["url"] = json!(institution.url);
        value["primary_color"] = json!(institution.primary_color);
        value["logo"] = json!(crate::server::sandbox::png::logo_base64(institution.primary_color, institution.name));
    }
    value
}

fn money(cents: i64) -> f64 {
    cents as f64 / 100.0
}

fn account_json(account: &AccountSpec, lives: &[data::TxnLife], now: DateTime<Utc>) -> Value {
    let (current, available) = data::balances(account, lives, now);
    json!({
        "account_id": account.account_id,
        "balances": {
            "available": money(available),
            "current": money(current),
            "limit": account.limit_cents.map(money),
            "iso_currency_code": "USD",
            "unofficial_currency_code": null,
        },
        "mask": account.mask,
        "name": account.name,
        "official_name": account.official_name,
        "type": account.kind.plaid_type(),
        "subtype": account.kind.plaid_subtype(),
        "holder_category": "personal",
    })
}

fn transaction_json(id: &str, data: &TxnData, accounts: &[AccountSpec]) -> Value {
    let account_id = accounts.iter().find(|a| a.index == data.account_index).map(|a| a.account_id.as_str());
    let location = match &data.place {
        Some(p) => json!({
            "address": p.address, "city": p.city, "region": p.region, "postal_code": p.postal_code,
            "country": "US", "lat": p.lat, "lon": p.lon, "store_number": p.store_number,
        }),
        None => json!({
            "address": null, "city": null, "region": null, "postal_code": null,
            "country": null, "lat": null, "lon": null, "store_number": null,
        }),
    };
    let counterparties = match data.merchant_name {
        Some(name) => json!([{
            "name": name, "type": "merchant", "website": data.website, "logo_url": null,
            "entity_id": null, "confidence_level": data.confidence, "phone_number": null,
        }]),
        None => json!([]),
    };
    json!({
        "transaction_id": id,
        "account_id": account_id,
        "amount": money(data.amount_cents),
        "iso_currency_code": "USD",
        "unofficial_currency_code": null,
        "category": null,
        "category_id": null,
        "check_number": null,
        "date": data.date.to_string(),
        "authorized_date": data.authorized_date.to_string(),
        "authorized_datetime": null,
        "datetime": null,
        "location": location,
        "name": data.name,
        "merchant_name": data.merchant_name,
        "merchant_entity_id": null,
        "original_description": null,
        "payment_meta": {
            "reference_number": data.payment_meta_ref, "ppd_id": null, "payee": null, "by_order_of": null,
            "payer": null, "payment_method": null, "payment_processor": null, "reason": null,
        },
        "pending": data.pending,
        "pending_transaction_id": data.pending_transaction_id,
        "account_owner": null,
        "payment_channel": data.payment_channel,
        "transaction_type": if data.payment_channel == "other" { "special" } else if data.payment_channel == "online" { "digital" } else { "place" },
        "transaction_code": null,
        "personal_finance_category": {
            "primary": data.category.0,
            "detailed": data.category.1,
            "confidence_level": data.confidence,
        },
        "personal_finance_category_icon_url": format!("https://plaid-category-icons.plaid.com/PFC_{}.png", data.category.0),
        "counterparties": counterparties,
        "logo_url": null,
        "website": data.website,
    })
}

fn item_error(item: &Item) -> Option<PlaidError> {
    if item.permission_revoked {
        Some(PlaidError::item_error(
            "USER_PERMISSION_REVOKED",
            "the holder of this account has revoked their permission for your application to access it",
            "The account holder revoked access to this account.",
        ))
    } else if item.login_required {
        Some(PlaidError::login_required())
    } else {
        None
    }
}

fn item_json(item: &Item) -> Value {
    let institution = data::institution(&item.institution_id);
    json!({
        "item_id": item.item_id,
        "institution_id": item.institution_id,
        "institution_name": institution.map(|i| i.name),
        "webhook": item.webhook,
        "auth_method": null,
        "error": item_error(item).map(|e| e.object()),
        "available_products": ["assets", "auth", "balance", "identity", "investments", "liabilities"],
        "billed_products": item.products,
        "products": item.products,
        "consented_products": item.products,
        "consent_expiration_time": item.consent_expiration.map(rfc3339),
        "update_type": "background",
        "created_at": rfc3339(item.created_at),
    })
}

fn webhook_payload(item: &Item, webhook_type: &str, code: &str, extra: Value) -> Value {
    let mut payload = json!({
        "webhook_type": webhook_type,
        "webhook_code": code,
        "item_id": item.item_id,
        "environment": "sandbox",
    });
    if let (Value::Object(map), Value::Object(more)) = (&mut payload, extra) {
        map.extend(more);
    }
    payload
}

/// Finds the item an access token belongs to.
fn item_for<'a>(state: &'a mut PlaidState, access_token: &str) -> Result<&'a mut Item, PlaidError> {
    let invalid = || PlaidError::invalid_input("INVALID_ACCESS_TOKEN", "could not find matching access token");
    if !access_token.starts_with("access-sandbox-") {
        return Err(PlaidError::invalid_input(
            "INVALID_ACCESS_TOKEN",
            "provided access token is in an invalid format. expected format: access-<environment>-<identifier>",
        ));
    }
    let item_id = state.access_tokens.get(access_token).cloned().ok_or_else(invalid)?;
    state.items.get_mut(&item_id).filter(|i| !i.removed).ok_or_else(invalid)
}

/// Like [`item_for`], and the item must be healthy to serve data.
fn healthy_item<'a>(state: &'a mut PlaidState, access_token: &str) -> Result<&'a mut Item, PlaidError> {
    let item = item_for(state, access_token)?;
    match item_error(item) {
        Some(e) => Err(e),
        None => Ok(item),
    }
}

/// What a successful login links.
pub struct NewItem {
    pub institution_id: String,
    pub username: String,
    pub webhook: Option<String>,
    pub products: Vec<String>,
    pub days_requested: u32,
    /// Indexes of the accounts chosen in Link (all when `None`).
    pub selected_accounts: Option<Vec<usize>>,
}

/// Creates an item for a successful login and returns its public token.
fn create_item(state: &mut PlaidState, now: DateTime<Utc>, new: NewItem) -> String {
    let mut rng = Rng::new(&uuid::Uuid::new_v4().to_string());
    let item_id = rng.id(37);
    let access_token = format!("access-sandbox-{}", uuid::Uuid::new_v4());
    let public_token = format!("public-sandbox-{}", uuid::Uuid::new_v4());
    let history_start = now.date_naive() - TimeDelta::days(i64::from(new.days_requested.clamp(1, 730)));
    state.access_tokens.insert(access_token.clone(), item_id.clone());
    state.items.insert(
        item_id.clone(),
        Item {
            item_id: item_id.clone(),
            access_token,
            institution_id: new.institution_id,
            username: new.username,
            created_at: now,
            webhook: new.webhook,
            products: new.products,
            history_start,
            selected_accounts: new.selected_accounts,
            login_required: false,
            permission_revoked: false,
            removed: false,
            consent_expiration: None,
            clock_offset_secs: 0,
            sync_called: false,
            announced_until: now,
            last_webhook: None,
        },
    );
    state
        .public_tokens
        .insert(public_token.clone(), PublicToken { item_id, expires_at: now + PUBLIC_TOKEN_LIFE, used: false });
    public_token
}

/// What a sandbox login with these credentials does (Plaid's sandbox rules).
pub enum LoginOutcome {
    Ok,
    Mfa,
    Fails(PlaidError),
}

/// `user_good` / `pass_good` succeed (and `user_transactions_dynamic` with
/// any password); password `mfa_device` asks for code 1234; password
/// `error_<CODE>` fails with that code; anything else is `INVALID_CREDENTIALS`.
pub fn check_login(username: &str, password: &str) -> LoginOutcome {
    if let Some(code) = password.strip_prefix("error_") {
        return LoginOutcome::Fails(PlaidError::from_password_code(code));
    }
    match (username, password) {
        ("user_good", "pass_good") => LoginOutcome::Ok,
        ("user_good", "mfa_device") => LoginOutcome::Mfa,
        // Plaid's dynamic-transactions user takes any password.
        ("user_transactions_dynamic", _) => LoginOutcome::Ok,
        _ => LoginOutcome::Fails(PlaidError::invalid_credentials()),
    }
}

/// The code the `mfa_device` flow expects.
pub const MFA_CODE: &str = "1234";

#[derive(Deserialize)]
struct UserRef {
    client_user_id: String,
}

#[derive(Deserialize)]
struct TransactionsOptions {
    days_requested: Option<u32>,
}

#[derive(Deserialize)]
struct LinkTokenCreateRequest {
    client_name: String,
    language: String,
    country_codes: Vec<String>,
    user: Option<UserRef>,
    user_id: Option<String>,
    products: Option<Vec<String>>,
    webhook: Option<String>,
    access_token: Option<String>,
    transactions: Option<TransactionsOptions>,
}

async fn link_token_create(
    State(sandbox): State<Arc<PlaidSandbox>>,
    PlaidJson(request): PlaidJson<LinkTokenCreateRequest>,
) -> ApiResult {
    if request.user.as_ref().map(|u| u.client_user_id.trim().is_empty()).unwrap_or(request.user_id.is_none()) {
        return Err(PlaidError::invalid_request(
            "MISSING_FIELDS",
            "the following required fields are missing: user.client_user_id",
        ));
    }
    if request.country_codes.is_empty() {
        return Err(PlaidError::invalid_request("INVALID_FIELD", "country_codes must contain at least one country"));
    }
    let now = sandbox.clock.now();
    let mut state = sandbox.lock();
    let update_item = match &request.access_token {
        Some(token) => Some(item_for(&mut state, token)?.item_id.clone()),
        None => {
            if request.products.as_ref().is_none_or(Vec::is_empty) {
                return Err(PlaidError::invalid_request(
                    "MISSING_FIELDS",
                    "the following required fields are missing: products",
                ));
            }
            None
        }
    };
    let token = format!("link-sandbox-{}", uuid::Uuid::new_v4());
    let expires_at = now + if update_item.is_some() { UPDATE_LINK_TOKEN_LIFE } else { LINK_TOKEN_LIFE };
    state.link_tokens.insert(
        token.clone(),
        LinkToken {
            expires_at,
            update_item,
            webhook: request.webhook,
            client_name: request.client_name.chars().take(30).collect(),
            language: request.language,
            country_codes: request.country_codes,
            products: request.products.unwrap_or_default(),
            days_requested: request.transactions.and_then(|t| t.days_requested).unwrap_or(90),
            link_session_id: uuid::Uuid::new_v4().to_string(),
        },
    );
    sandbox.save(&mut state);
    ok(json!({ "link_token": token, "expiration": rfc3339(expires_at) }))
}

#[derive(Deserialize)]
struct PublicTokenExchangeRequest {
    public_token: String,
}

async fn public_token_exchange(
    State(sandbox): State<Arc<PlaidSandbox>>,
    PlaidJson(request): PlaidJson<PublicTokenExchangeRequest>,
) -> ApiResult {
    let now = sandbox.clock.now();
    let mut state = sandbox.lock();
    let invalid = || {
        PlaidError::invalid_input("INVALID_PUBLIC_TOKEN", "provided public token is expired or has already been used")
    };
    let token = state.public_tokens.get_mut(&request.public_token).ok_or_else(invalid)?;
    if token.used || token.expires_at <= now {
        return Err(invalid());
    }
    token.used = true;
    let item_id = token.item_id.clone();
    let item = state.items.get(&item_id).filter(|i| !i.removed).ok_or_else(invalid)?;
    let access_token = item.access_token.clone();
    sandbox.save(&mut state);
    ok(json!({ "access_token": access_token, "item_id": item_id }))
}

#[derive(Deserialize)]
struct AccountsOptions {
    account_ids: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct AccountsGetRequest {
    access_token: String,
    options: Option<AccountsOptions>,
}

async fn accounts_get(
    State(sandbox): State<Arc<PlaidSandbox>>,
    PlaidJson(request): PlaidJson<AccountsGetRequest>,
) -> ApiResult {
    let now = sandbox.clock.now();
    let mut state = sandbox.lock();
    let item = healthy_item(&mut state, &request.access_token)?;
    let item_now = item.now(now);
    let accounts = item.accounts();
    let lives = item.lives(item_now);
    let wanted = request.options.and_then(|o| o.account_ids);
    let accounts: Vec<Value> = accounts
        .iter()
        .filter(|a| wanted.as_ref().is_none_or(|w| w.contains(&a.account_id)))
        .map(|a| account_json(a, &lives, item_now))
        .collect();
    ok(json!({ "accounts": accounts, "item": item_json(item) }))
}

#[derive(Deserialize)]
struct SyncOptions {
    account_id: Option<String>,
}

#[derive(Deserialize)]
struct TransactionsSyncRequest {
    access_token: String,
    cursor: Option<String>,
    count: Option<i64>,
    options: Option<SyncOptions>,
}

async fn transactions_sync(
    State(sandbox): State<Arc<PlaidSandbox>>,
    PlaidJson(request): PlaidJson<TransactionsSyncRequest>,
) -> ApiResult {
    let count = request.count.unwrap_or(100);
    if !(1..=500).contains(&count) {
        return Err(PlaidError::invalid_request("INVALID_FIELD", "count must be between 1 and 500"));
    }
    let cursor_text = request.cursor.unwrap_or_default();
    let cursor = sync::Cursor::decode(&cursor_text).ok_or_else(|| {
        PlaidError::invalid_request("INVALID_FIELD", "cursor is not valid: start again with an empty cursor")
    })?;
    let now = sandbox.clock.now();
    let mut state = sandbox.lock();
    let item = healthy_item(&mut state, &request.access_token)?;
    let first_call = !item.sync_called;
    item.sync_called = true;
    let item_now = item.now(now);
    let mut accounts = item.accounts();
    if let Some(only) = request.options.and_then(|o| o.account_id) {
        accounts.retain(|a| a.account_id == only);
    }
    let lives = item.lives(item_now);
    let lives: Vec<data::TxnLife> = lives
        .into_iter()
        .filter(|l| l.versions.first().is_some_and(|(_, d)| accounts.iter().any(|a| a.index == d.account_index)))
        .collect();
    let page = sync::page(&lives, cursor, item_now, item.history_start, usize::try_from(count).unwrap_or(100))
        .map_err(|_| {
            PlaidError::new(
                StatusCode::BAD_REQUEST,
                "TRANSACTIONS_ERROR",
                "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
                "Underlying transaction data changed since last page was fetched. Please restart pagination from last update.",
                None,
            )
        })?;
    let (mut added, mut modified, mut removed) = (Vec::new(), Vec::new(), Vec::new());
    let mut touched = std::collections::BTreeSet::new();
    for change in &page.changes {
        match change {
            sync::Change::Added(id, d) => {
                touched.insert(d.account_index);
                added.push(transaction_json(id, d, &accounts));
            }
            sync::Change::Modified(id, d) => {
                touched.insert(d.account_index);
                modified.push(transaction_json(id, d, &accounts));
            }
            sync::Change::Removed(id, account_index) => {
                touched.insert(*account_index);
                let account_id = accounts.iter().find(|a| a.index == *account_index).map(|a| a.account_id.clone());
                removed.push(json!({ "transaction_id": id, "account_id": account_id }));
            }
        }
    }
    let touched_accounts: Vec<Value> =
        accounts.iter().filter(|a| touched.contains(&a.index)).map(|a| account_json(a, &lives, item_now)).collect();
    if first_call {
        // Only the first sync changes what the sandbox remembers; later
        // pages are reads and need not rewrite the state file.
        item.announced_until = item_now;
        sandbox.save(&mut state);
    }
    ok(json!({
        "added": added,
        "modified": modified,
        "removed": removed,
        "accounts": touched_accounts,
        "next_cursor": page.next_cursor.encode(),
        "has_more": page.has_more,
        "transactions_update_status": "HISTORICAL_UPDATE_COMPLETE",
    }))
}

#[derive(Deserialize)]
struct TransactionsGetOptions {
    account_ids: Option<Vec<String>>,
    count: Option<i64>,
    offset: Option<i64>,
}

#[derive(Deserialize)]
struct TransactionsGetRequest {
    access_token: String,
    start_date: NaiveDate,
    end_date: NaiveDate,
    options: Option<TransactionsGetOptions>,
}

async fn transactions_get(
    State(sandbox): State<Arc<PlaidSandbox>>,
    PlaidJson(request): PlaidJson<TransactionsGetRequest>,
) -> ApiResult {
    if request.end_date < request.start_date {
        return Err(PlaidError::invalid_request("INVALID_FIELD", "end_date must not be before start_date"));
    }
    let options = request.options.unwrap_or(TransactionsGetOptions { account_ids: None, count: None, offset: None });
    let count = options.count.unwrap_or(100);
    if !(1..=500).contains(&count) {
        return Err(PlaidError::invalid_request("INVALID_FIELD", "count must be between 1 and 500"));
    }
    let offset = usize::try_from(options.offset.unwrap_or(0).max(0)).unwrap_or(0);
    let now = sandbox.clock.now();
    let mut state = sandbox.lock();
    let item = healthy_item(&mut state, &request.access_token)?;
    let item_now = item.now(now);
    let accounts = item.accounts();
    let lives = item.lives(item_now);
    let mut rows: Vec<(&str, &TxnData)> = lives
        .iter()
        .filter_map(|l| l.at(item_now).map(|d| (l.id.as_str(), d)))
        .filter(|(_, d)| d.date >= item.history_start && d.date >= request.start_date && d.date <= request.end_date)
        .filter(|(_, d)| {
            options
                .account_ids
                .as_ref()
                .is_none_or(|ids| accounts.iter().any(|a| a.index == d.account_index && ids.contains(&a.account_id)))
        })
        .collect();
    rows.sort_by(|a, b| b.1.date.cmp(&a.1.date).then_with(|| a.0.cmp(b.0)));
    let total = rows.len();
    let page: Vec<Value> = rows
        .into_iter()
        .skip(offset)
        .take(usize::try_from(count).unwrap_or(100))
        .map(|(id, d)| transaction_json(id, d, &accounts))
        .collect();
    let account_values: Vec<Value> = accounts.iter().map(|a| account_json(a, &lives, item_now)).collect();
    ok(json!({
        "accounts": account_values,
        "transactions": page,
        "total_transactions": total,
        "item": item_json(item),
    }))
}

#[derive(Deserialize)]
struct InstitutionOptions {
    include_optional_metadata: Option<bool>,
}

#[derive(Deserialize)]
struct InstitutionsSearchRequest {
    query: String,
    country_codes: Vec<String>,
    options: Option<InstitutionOptions>,
}

async fn institutions_search(PlaidJson(request): PlaidJson<InstitutionsSearchRequest>) -> ApiResult {
    if request.query.trim().is_empty() {
        return Err(PlaidError::invalid_request("INVALID_FIELD", "query must not be empty"));
    }
    let metadata = request.options.and_then(|o| o.include_optional_metadata).unwrap_or(false);
    let found: Vec<Value> = if request.country_codes.iter().any(|c| c == "US") {
        data::search_institutions(&request.query).into_iter().take(10).map(|i| institution_json(i, metadata)).collect()
    } else {
        Vec::new()
    };
    ok(json!({ "institutions": found }))
}

#[derive(Deserialize)]
struct InstitutionGetRequest {
    institution_id: String,
    #[serde(rename = "country_codes")]
    _country_codes: Vec<String>,
    options: Option<InstitutionOptions>,
}

async fn institutions_get_by_id(PlaidJson(request): PlaidJson<InstitutionGetRequest>) -> ApiResult {
    let institution = data::institution(&request.institution_id)
        .ok_or_else(|| PlaidError::invalid_input("INVALID_INSTITUTION", "invalid institution_id provided"))?;
    let metadata = request.options.and_then(|o| o.include_optional_metadata).unwrap_or(false);
    ok(json!({ "institution": institution_json(institution, metadata) }))
}

#[derive(Deserialize)]
struct AccessTokenRequest {
    access_token: String,
}

async fn item_get(
    State(sandbox): State<Arc<PlaidSandbox>>,
    PlaidJson(request): PlaidJson<AccessTokenRequest>,
) -> ApiResult {
    let mut state = sandbox.lock();
    let item = item_for(&mut state, &request.access_token)?;
    let status = json!({
        "transactions": { "last_successful_update": rfc3339(item.now(sandbox.clock.now())), "last_failed_update": null },
        "last_webhook": item.last_webhook.as_ref().map(|(at, code)| json!({ "sent_at": rfc3339(*at), "code_sent": code })),
    });
    ok(json!({ "item": item_json(item), "status": status }))
}

async fn item_remove(
    State(sandbox): State<Arc<PlaidSandbox>>,
    PlaidJson(request): PlaidJson<AccessTokenRequest>,
) -> ApiResult {
    let mut state = sandbox.lock();
    let item = item_for(&mut state, &request.access_token)?;
    item.removed = true;
    let token = item.access_token.clone();
    state.access_tokens.remove(&token);
    sandbox.save(&mut state);
    ok(json!({}))
}

#[derive(Deserialize)]
struct WebhookUpdateRequest {
    access_token: String,
    webhook: Option<String>,
}

async fn item_webhook_update(
    State(sandbox): State<Arc<PlaidSandbox>>,
    PlaidJson(request): PlaidJson<WebhookUpdateRequest>,
) -> ApiResult {
    if let Some(url) = &request.webhook
        && url::Url::parse(url).is_err()
    {
        return Err(PlaidError::invalid_request("INVALID_FIELD", "webhook must be a valid URL"));
    }
    let mut state = sandbox.lock();
    let item = item_for(&mut state, &request.access_token)?;
    item.webhook = request.webhook.clone();
    if let Some(url) = request.webhook {
        let payload = webhook_payload(
            item,
            "ITEM",
            "WEBHOOK_UPDATE_ACKNOWLEDGED",
            json!({ "new_webhook_url": url, "error": null }),
        );
        sandbox.fire(item, payload);
    }
    let value = item_json(item);
    sandbox.save(&mut state);
    ok(json!({ "item": value }))
}

#[derive(Deserialize)]
struct VerificationKeyRequest {
    key_id: String,
}

async fn webhook_verification_key_get(
    State(sandbox): State<Arc<PlaidSandbox>>,
    PlaidJson(request): PlaidJson<VerificationKeyRequest>,
) -> ApiResult {
    if request.key_id != sandbox.signer.kid() {
        return Err(PlaidError::invalid_input("INVALID_WEBHOOK_VERIFICATION_KEY_ID", "invalid key_id provided"));
    }
    ok(json!({ "key": sandbox.signer.jwk() }))
}

#[derive(Deserialize)]
struct SandboxTransactionsOptions {
    days_requested: Option<u32>,
}

#[derive(Deserialize)]
struct SandboxPublicTokenOptions {
    webhook: Option<String>,
    override_username: Option<String>,
    override_password: Option<String>,
    transactions: Option<SandboxTransactionsOptions>,
}

#[derive(Deserialize)]
struct SandboxPublicTokenCreateRequest {
    institution_id: String,
    initial_products: Vec<String>,
    options: Option<SandboxPublicTokenOptions>,
}

async fn sandbox_public_token_create(
    State(sandbox): State<Arc<PlaidSandbox>>,
    PlaidJson(request): PlaidJson<SandboxPublicTokenCreateRequest>,
) -> ApiResult {
    if request.initial_products.is_empty() {
        return Err(PlaidError::invalid_request("INVALID_FIELD", "initial_products must contain at least one product"));
    }
    data::institution(&request.institution_id)
        .ok_or_else(|| PlaidError::invalid_input("INVALID_INSTITUTION", "invalid institution_id provided"))?;
    let options = request.options;
    let username = options.as_ref().and_then(|o| o.override_username.clone()).unwrap_or_else(|| "user_good".into());
    let password = options.as_ref().and_then(|o| o.override_password.clone()).unwrap_or_else(|| "pass_good".into());
    match check_login(&username, &password) {
        LoginOutcome::Ok | LoginOutcome::Mfa => {}
        LoginOutcome::Fails(e) => return Err(e),
    }
    let days = options.as_ref().and_then(|o| o.transactions.as_ref()).and_then(|t| t.days_requested).unwrap_or(90);
    let webhook = options.and_then(|o| o.webhook);
    let now = sandbox.clock.now();
    let mut state = sandbox.lock();
    let public_token = create_item(
        &mut state,
        now,
        NewItem {
            institution_id: request.institution_id,
            username,
            webhook,
            products: request.initial_products,
            days_requested: days,
            selected_accounts: None,
        },
    );
    sandbox.save(&mut state);
    ok(json!({ "public_token": public_token }))
}

#[derive(Deserialize)]
struct FireWebhookRequest {
    access_token: String,
    webhook_code: String,
    webhook_type: Option<String>,
}

async fn sandbox_fire_webhook(
    State(sandbox): State<Arc<PlaidSandbox>>,
    PlaidJson(request): PlaidJson<FireWebhookRequest>,
) -> ApiResult {
    let now = sandbox.clock.now();
    let mut state = sandbox.lock();
    let item = item_for(&mut state, &request.access_token)?;
    if item.webhook.is_none() {
        return Err(PlaidError::new(
            StatusCode::BAD_REQUEST,
            "SANDBOX_ERROR",
            "SANDBOX_WEBHOOK_INVALID",
            "the webhook for this item is not set or is invalid",
            None,
        ));
    }
    let payload = match (request.webhook_type.as_deref().unwrap_or(""), request.webhook_code.as_str()) {
        (_, "SYNC_UPDATES_AVAILABLE") => {
            if !item.products.iter().any(|p| p == "transactions") {
                return Err(PlaidError::new(
                    StatusCode::BAD_REQUEST,
                    "SANDBOX_ERROR",
                    "SANDBOX_PRODUCT_NOT_ENABLED",
                    "the item does not have the transactions product enabled",
                    None,
                ));
            }
            webhook_payload(
                item,
                "TRANSACTIONS",
                "SYNC_UPDATES_AVAILABLE",
                json!({
                    "initial_update_complete": true, "historical_update_complete": true,
                }),
            )
        }
        (_, "DEFAULT_UPDATE") => {
            webhook_payload(item, "TRANSACTIONS", "DEFAULT_UPDATE", json!({ "new_transactions": 0, "error": null }))
        }
        (_, "NEW_ACCOUNTS_AVAILABLE") => {
            webhook_payload(item, "ITEM", "NEW_ACCOUNTS_AVAILABLE", json!({ "error": null }))
        }
        (_, "PENDING_EXPIRATION") => {
            let at = now + TimeDelta::days(7);
            item.consent_expiration = Some(at);
            webhook_payload(item, "ITEM", "PENDING_EXPIRATION", json!({ "consent_expiration_time": rfc3339(at) }))
        }
        (_, "PENDING_DISCONNECT") => {
            let at = now + TimeDelta::days(7);
            item.consent_expiration = Some(at);
            webhook_payload(
                item,
                "ITEM",
                "PENDING_DISCONNECT",
                json!({
                    "reason": "INSTITUTION_TOKEN_EXPIRATION", "disconnect_time": rfc3339(at),
                }),
            )
        }
        (_, "USER_PERMISSION_REVOKED") => {
            item.permission_revoked = true;
            let error = item_error(item).map(|e| {
                let mut o = e.object();
                o["status"] = json!(400);
                o
            });
            webhook_payload(item, "ITEM", "USER_PERMISSION_REVOKED", json!({ "error": error }))
        }
        (_, "LOGIN_REPAIRED") => {
            item.login_required = false;
            webhook_payload(item, "ITEM", "LOGIN_REPAIRED", json!({}))
        }
        (_, "ERROR") => {
            item.login_required = true;
            login_required_payload(item)
        }
        (_, other) => {
            return Err(PlaidError::invalid_request(
                "INVALID_FIELD",
                &format!("webhook_code {other} is not supported by the sandbox"),
            ));
        }
    };
    sandbox.fire(item, payload);
    sandbox.save(&mut state);
    ok(json!({ "webhook_fired": true }))
}

fn login_required_payload(item: &Item) -> Value {
    let mut error = PlaidError::login_required().object();
    error["status"] = json!(400);
    webhook_payload(item, "ITEM", "ERROR", json!({ "error": error }))
}

async fn sandbox_reset_login(
    State(sandbox): State<Arc<PlaidSandbox>>,
    PlaidJson(request): PlaidJson<AccessTokenRequest>,
) -> ApiResult {
    let mut state = sandbox.lock();
    let item = item_for(&mut state, &request.access_token)?;
    item.login_required = true;
    let payload = login_required_payload(item);
    sandbox.fire(item, payload);
    sandbox.save(&mut state);
    ok(json!({ "reset_login": true }))
}

#[derive(Deserialize)]
struct ClockRequest {
    #[serde(default)]
    seconds: i64,
    #[serde(default)]
    days: i64,
    item_id: Option<String>,
}

/// `POST /__control/clock`: moves the sandbox's (or one item's) time forward.
async fn control_clock(State(sandbox): State<Arc<PlaidSandbox>>, Json(request): Json<ClockRequest>) -> Response {
    let secs = request.seconds.max(0) + request.days.max(0) * 86_400;
    let now = match request.item_id {
        Some(item_id) => {
            let mut state = sandbox.lock();
            let Some(item) = state.items.get_mut(&item_id) else {
                return (StatusCode::NOT_FOUND, Json(json!({ "error": "no such item" }))).into_response();
            };
            item.clock_offset_secs += secs;
            let now = item.now(sandbox.clock.now());
            sandbox.save(&mut state);
            now
        }
        None => sandbox.clock.advance(secs),
    };
    sandbox.announce_updates();
    Json(json!({ "now": rfc3339(now) })).into_response()
}

/// Applies injected faults to API calls before they reach their handler.
async fn inject_faults(State(sandbox): State<Arc<PlaidSandbox>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if path.starts_with("/__") || req.method() != axum::http::Method::POST {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return PlaidError::invalid_request("INVALID_BODY", "body could not be read").into_response();
    };
    let item_id = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("access_token").and_then(Value::as_str).map(str::to_owned))
        .and_then(|token| sandbox.lock().access_tokens.get(&token).cloned());
    if let Some(fault) = sandbox.faults.take(&path, item_id.as_deref()) {
        match fault.kind {
            FaultKind::RateLimit => return PlaidError::rate_limited(&path).into_response(),
            FaultKind::ServerError => return PlaidError::api_error().into_response(),
            FaultKind::Malformed => {
                return (
                    StatusCode::OK,
                    [("content-type", "application/json")],
                    "{\"request_id\": \"x\", \"added\": [",
                )
                    .into_response();
            }
            FaultKind::Delay => tokio::time::sleep(fault.delay).await,
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// The Plaid sandbox's routes, to mount at `/sandbox/plaid`.
pub fn router(sandbox: Arc<PlaidSandbox>) -> Router {
    let api = Router::new()
        .route("/link/token/create", post(link_token_create))
        .route("/item/public_token/exchange", post(public_token_exchange))
        .route("/accounts/get", post(accounts_get))
        .route("/accounts/balance/get", post(accounts_get))
        .route("/transactions/sync", post(transactions_sync))
        .route("/transactions/get", post(transactions_get))
        .route("/institutions/search", post(institutions_search))
        .route("/institutions/get_by_id", post(institutions_get_by_id))
        .route("/item/get", post(item_get))
        .route("/item/remove", post(item_remove))
        .route("/item/webhook/update", post(item_webhook_update))
        .route("/webhook_verification_key/get", post(webhook_verification_key_get))
        .route("/sandbox/public_token/create", post(sandbox_public_token_create))
        .route("/sandbox/item/fire_webhook", post(sandbox_fire_webhook))
        .route("/sandbox/item/reset_login", post(sandbox_reset_login))
        .layer(axum::middleware::from_fn_with_state(sandbox.clone(), inject_faults));
    Router::new()
        .merge(api)
        .merge(link::router())
        .route("/__control/clock", post(control_clock).get(control_clock_now::<PlaidSandbox>))
        .route(
            "/__control/faults",
            post(control_faults_add::<PlaidSandbox>).delete(control_faults_clear::<PlaidSandbox>),
        )
        .with_state(sandbox)
}

/// Every item the sandbox holds, by id (tests and the control API).
pub fn items(sandbox: &PlaidSandbox) -> HashMap<String, Item> {
    sandbox.lock().items.clone()
}

#[cfg(test)]
mod tests;
