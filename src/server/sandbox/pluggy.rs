//! A local emulation of Pluggy's API (`/sandbox/pluggy`): Pluggy's paths,
//! camelCase JSON, statuses and error shape (see `shared/specs/PLUGGY.md`),
//! over the deterministic world of [`data`]. Items progress by the sandbox
//! clock, so a test can move time instead of sleeping.

pub mod data;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{OriginalUri, Path, Query, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use self::data::{AccountKind, Dress, Txn, iso, money};
use crate::server::sandbox::clock::Clock;
use crate::server::sandbox::faults::{FaultKind, Faults};
use crate::server::sandbox::{Emulator, asset, control_clock_now, control_faults_add, control_faults_clear, png};

/// The client id the sandbox accepts unless told otherwise.
pub const DEFAULT_CLIENT_ID: &str = "sandbox-client-id";
/// The client secret the sandbox accepts unless told otherwise.
pub const DEFAULT_CLIENT_SECRET: &str = "sandbox-client-secret";
/// The sandbox MFA token.
pub const MFA_TOKEN: &str = "123456";
const API_KEY_LIFE: TimeDelta = TimeDelta::hours(2);
const CONNECT_TOKEN_LIFE: TimeDelta = TimeDelta::minutes(30);
/// How long each step of an item's run takes (sandbox clock).
const STEP: TimeDelta = TimeDelta::milliseconds(1500);
const V2_PAGE: usize = 200;

/// What an `X-API-KEY` grants.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// `api` or `connect`.
    pub kind: String,
    #[serde(default, rename = "itemId", skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    #[serde(default, rename = "clientUserId", skip_serializing_if = "Option::is_none")]
    pub client_user_id: Option<String>,
    #[serde(default, rename = "webhookUrl", skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
}

impl Claims {
    fn is_connect(&self) -> bool {
        self.kind == "connect"
    }
}

/// An item as the sandbox keeps it.
#[derive(Debug, Clone)]
pub struct ItemRec {
    pub id: String,
    pub connector_id: u32,
    pub user: String,
    pub password: String,
    pub webhook_url: Option<String>,
    pub client_user_id: Option<String>,
    pub products: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The connect token that created it.
    pub token_jti: Option<String>,
    /// The current run started then (item time).
    pub run_started: DateTime<Utc>,
    /// When the right MFA token was sent in this run.
    pub mfa_at: Option<DateTime<Utc>>,
    pub mfa_failed: bool,
    /// Set by the control API: `(status, executionStatus)`.
    pub forced: Option<(String, String)>,
    /// The last successful run's end.
    pub last_success: Option<DateTime<Utc>>,
    /// The first successful run's end: the data's creation time.
    pub first_sync: Option<DateTime<Utc>>,
    pub failed_logins: u32,
    /// The last status signature webhooks were sent for.
    announced: String,
    /// Transactions created/updated up to then were announced.
    announced_until: Option<DateTime<Utc>>,
    pub clock_offset_secs: i64,
}

impl ItemRec {
    fn now(&self, clock: DateTime<Utc>) -> DateTime<Utc> {
        clock + TimeDelta::seconds(self.clock_offset_secs)
    }

    fn seed(&self) -> String {
        format!("{}/{}", self.connector_id, self.user)
    }
}

/// Where an item's run stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub status: String,
    pub execution: String,
    pub error: Option<(String, String)>,
    pub waiting_mfa: bool,
    /// The run ended well then.
    pub succeeded_at: Option<DateTime<Utc>>,
}

fn login_failure(user: &str, password: &str) -> Option<(&'static str, &'static str, &'static str)> {
    match (user, password) {
        ("user-ok", "password-ok") => None,
        ("user-locked", _) => {
            Some(("LOGIN_ERROR", "ACCOUNT_LOCKED", "Sua conta está bloqueada. Desbloqueie-a no site do banco."))
        }
        ("user-error", _) => Some((
            "OUTDATED",
            "UNEXPECTED_ERROR",
            "Ocorreu um erro inesperado ao sincronizar. Tente novamente mais tarde.",
        )),
        ("user-unavailable", _) => Some((
            "OUTDATED",
            "SITE_NOT_AVAILABLE",
            "O site da instituição está indisponível no momento. Tente novamente mais tarde.",
        )),
        _ => Some(("LOGIN_ERROR", "INVALID_CREDENTIALS", "Credenciais inválidas. Verifique seu usuário e senha.")),
    }
}

fn progress(item: &ItemRec, now: DateTime<Utc>) -> Progress {
    let p = |status: &str, execution: &str| Progress {
        status: status.into(),
        execution: execution.into(),
        error: None,
        waiting_mfa: false,
        succeeded_at: None,
    };
    if let Some((status, execution)) = &item.forced {
        let mut out = p(status, execution);
        out.error = Some((execution.clone(), "O item precisa ser atualizado.".into()));
        return out;
    }
    let elapsed = now - item.run_started;
    if elapsed < STEP {
        return p("UPDATING", "LOGIN_IN_PROGRESS");
    }
    if let Some((status, execution, message)) = login_failure(&item.user, &item.password) {
        let mut out = p(status, execution);
        out.error = Some((execution.into(), message.into()));
        return out;
    }
    let mfa = data::connector(item.connector_id).is_some_and(|c| c.mfa);
    let base = if mfa {
        if item.mfa_failed {
            let mut out = p("LOGIN_ERROR", "INVALID_CREDENTIALS_MFA");
            out.error = Some(("INVALID_CREDENTIALS_MFA".into(), "O token informado é inválido.".into()));
            return out;
        }
        let Some(at) = item.mfa_at else {
            let mut out = p("WAITING_USER_INPUT", "WAITING_USER_INPUT");
            out.waiting_mfa = true;
            return out;
        };
        at
    } else {
        item.run_started + STEP
    };
    let elapsed = now - base;
    if elapsed < STEP {
        p("UPDATING", "ACCOUNTS_IN_PROGRESS")
    } else if elapsed < STEP * 2 {
        p("UPDATING", "TRANSACTIONS_IN_PROGRESS")
    } else {
        let mut out = p("UPDATED", "SUCCESS");
        out.succeeded_at = Some(base + STEP * 2);
        out
    }
}

/// A registered webhook.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub event: String,
    pub headers: HashMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

impl Webhook {
    fn json(&self) -> Value {
        json!({
            "id": self.id,
            "url": self.url,
            "event": self.event,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "disabledAt": self.disabled_at.map(iso),
        })
    }
}

#[derive(Debug, Default)]
struct State_ {
    items: HashMap<String, ItemRec>,
    webhooks: Vec<Webhook>,
    /// The sandbox's public URL (scheme, host, mount path), learnt from requests.
    base: String,
}

/// The Pluggy sandbox.
pub struct PluggySandbox {
    state: Mutex<State_>,
    pub(crate) clock: Arc<Clock>,
    pub(crate) faults: Faults,
    jwt_secret: [u8; 32],
    http: reqwest::Client,
    client_id: String,
    client_secret: String,
}

type Shared = Arc<PluggySandbox>;

impl Emulator for PluggySandbox {
    fn clock(&self) -> &Clock {
        &self.clock
    }

    fn faults(&self) -> &Faults {
        &self.faults
    }
}

impl PluggySandbox {
    /// A sandbox accepting `client_id`/`client_secret`.
    pub fn new(client_id: String, client_secret: String, clock: Arc<Clock>) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State_ { base: "/sandbox/pluggy".into(), ..State_::default() }),
            clock,
            faults: Faults::default(),
            jwt_secret: rand::random(),
            http: reqwest::Client::new(),
            client_id,
            client_secret,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State_> {
        // Every write is a whole-value update, so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn sign(&self, claims: &Claims) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let input = format!("{header}.{payload}");
        let mac = URL_SAFE_NO_PAD.encode(hmac_sha256(&self.jwt_secret, input.as_bytes()));
        format!("{input}.{mac}")
    }

    /// The claims of a valid, unexpired token (expiry in real time, as
    /// Pluggy's clients judge it from `exp`).
    fn verify(&self, token: &str) -> Option<Claims> {
        let (input, mac) = token.rsplit_once('.')?;
        let expected = URL_SAFE_NO_PAD.encode(hmac_sha256(&self.jwt_secret, input.as_bytes()));
        if !constant_eq(expected.as_bytes(), mac.as_bytes()) {
            return None;
        }
        let (_, payload) = input.split_once('.')?;
        let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        (claims.exp > Utc::now().timestamp()).then_some(claims)
    }

    fn token(&self, kind: &str, life: TimeDelta, f: impl FnOnce(&mut Claims)) -> String {
        let now = Utc::now();
        let mut claims = Claims {
            sub: self.client_id.clone(),
            exp: (now + life).timestamp(),
            iat: now.timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
            kind: kind.into(),
            item_id: None,
            client_user_id: None,
            webhook_url: None,
        };
        f(&mut claims);
        self.sign(&claims)
    }

    /// Moves every item along and sends the webhooks its changes call for,
    /// including new and posted transactions (costly: it replays each item's
    /// history, so it runs every 30 s and when the control API moves time).
    pub fn tick(&self) {
        self.tick_with(true);
    }

    /// Moves every item along (status webhooks only): cheap, so it runs
    /// every second and before each API call.
    pub fn tick_items(&self) {
        self.tick_with(false);
    }

    fn tick_with(&self, transactions: bool) {
        let mut events = Vec::new();
        let mut state = self.lock();
        let base = state.base.clone();
        let clock = self.clock.now();
        for item in state.items.values_mut() {
            let now = item.now(clock);
            let p = progress(item, now);
            if let Some(done) = p.succeeded_at
                && item.last_success.is_none_or(|l| l < done)
                && item.first_sync.is_none_or(|f| f <= done)
            {
                item.last_success = Some(done);
                item.first_sync.get_or_insert(done);
                item.failed_logins = 0;
            }
            let signature = format!("{}|{}|{}", p.status, p.execution, iso(item.updated_at));
            if signature != item.announced {
                let first = item.announced.is_empty();
                item.announced = signature;
                if p.status == "LOGIN_ERROR" && !first {
                    item.failed_logins = item.failed_logins.saturating_add(1);
                }
                let event = match p.status.as_str() {
                    "UPDATED" => Some(("item/updated", None)),
                    "LOGIN_ERROR" | "OUTDATED" => Some(("item/error", p.error.clone())),
                    "WAITING_USER_INPUT" => Some(("item/waiting_user_input", None)),
                    _ => None,
                };
                if let Some((name, error)) = event {
                    let mut extra = json!({});
                    if let Some((code, message)) = error {
                        extra = json!({"error": {"code": code, "message": message}});
                    }
                    events.push((item.id.clone(), item.webhook_url.clone(), name, extra));
                }
            }
            if !transactions {
                continue;
            }
            // New and posted transactions since the last announcement.
            let (Some(synced), Some(last_success)) = (item.first_sync, item.last_success) else { continue };
            let Some(since) = item.announced_until else {
                item.announced_until = Some(now);
                continue;
            };
            if last_success > now || since >= now {
                continue;
            }
            let dress = Dress { item_id: &item.id, synced, now };
            let txns = data::timeline(&item.seed(), history_start(synced), now);
            for kind in AccountKind::ALL {
                let account_id = data::account_id(&item.id, kind);
                let of_account: Vec<&Txn> = txns.iter().filter(|t| t.account == kind).collect();
                let created = of_account.iter().filter(|t| dress.created_at(t) > since).count();
                if created > 0 {
                    let from = iso(since + TimeDelta::milliseconds(1));
                    let link = format!("{base}/v2/transactions?accountId={account_id}&createdAtFrom={from}");
                    events.push((
                        item.id.clone(),
                        item.webhook_url.clone(),
                        "transactions/created",
                        json!({"accountId": account_id, "transactionsCreatedAtFrom": from, "createdTransactionsLink": link}),
                    ));
                }
                let updated: Vec<String> = of_account
                    .iter()
                    .filter(|t| {
                        dress.created_at(t) <= since && dress.updated_at(t) > since && dress.updated_at(t) <= now
                    })
                    .map(|t| dress.id(t))
                    .collect();
                if !updated.is_empty() {
                    events.push((
                        item.id.clone(),
                        item.webhook_url.clone(),
                        "transactions/updated",
                        json!({"accountId": account_id, "transactionIds": updated}),
                    ));
                }
            }
            item.announced_until = Some(now);
        }
        let hooks = state.webhooks.clone();
        drop(state);
        for (item_id, url, event, extra) in events {
            self.fire(&hooks, &item_id, url.as_deref(), event, extra);
        }
    }

    /// Sends `event` about `item_id` to every matching registered webhook
    /// (with its headers) and to the item's own `webhookUrl` (without).
    fn fire(&self, hooks: &[Webhook], item_id: &str, item_url: Option<&str>, event: &str, extra: Value) {
        let mut payload = json!({
            "event": event,
            "eventId": uuid::Uuid::new_v4().to_string(),
            "id": item_id,
            "itemId": item_id,
            "clientId": self.client_id,
            "triggeredBy": if event.starts_with("item/") { json!("SYNC") } else { Value::Null },
        });
        if let (Some(target), Value::Object(more)) = (payload.as_object_mut(), extra) {
            target.extend(more);
        }
        for hook in hooks.iter().filter(|h| h.disabled_at.is_none() && (h.event == event || h.event == "all")) {
            deliver(self.http.clone(), hook.url.clone(), hook.headers.clone(), payload.clone());
        }
        if let Some(url) = item_url {
            deliver(self.http.clone(), url.to_owned(), HashMap::new(), payload);
        }
    }
}

/// The first day of an item's history.
fn history_start(synced: DateTime<Utc>) -> NaiveDate {
    (synced - TimeDelta::days(data::HISTORY_DAYS)).date_naive()
}

fn deliver(client: reqwest::Client, url: String, headers: HashMap<String, String>, payload: Value) {
    tokio::spawn(async move {
        for (attempt, pause) in [0u64, 1, 4].into_iter().enumerate() {
            tokio::time::sleep(Duration::from_secs(pause)).await;
            let mut req = client.post(&url).json(&payload).timeout(Duration::from_secs(10));
            for (k, v) in &headers {
                req = req.header(k, v);
            }
            match req.send().await {
                Ok(res) if res.status().is_success() => return,
                // Pluggy does not retry a 401.
                Ok(res) if res.status() == StatusCode::UNAUTHORIZED => return,
                Ok(res) => tracing::warn!(attempt, status = %res.status(), "sandbox pluggy webhook refused"),
                Err(e) => tracing::warn!(attempt, error = %e, "sandbox pluggy webhook not delivered"),
            }
        }
    });
}

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// An error in Pluggy's shape.
fn error(status: StatusCode, code: Option<&str>, message: &str) -> Response {
    let mut body = json!({"code": status.as_u16(), "message": message});
    if let Some(code) = code {
        body["codeDescription"] = json!(code);
    }
    (status, Json(body)).into_response()
}

fn item_not_found() -> Response {
    error(StatusCode::NOT_FOUND, Some("ITEM_NOT_FOUND"), "Item not found")
}

fn forbidden() -> Response {
    error(StatusCode::FORBIDDEN, None, "Forbidden: this resource cannot be accessed with a connect token")
}

fn bad_request(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, None, message)
}

fn page(results: Vec<Value>) -> Value {
    let total = results.len();
    json!({"page": 1, "total": total, "totalPages": 1, "results": results})
}

// ---------------------------------------------------------------------------
// Auth
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthRequest {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
}

async fn auth(State(sb): State<Shared>, Json(req): Json<AuthRequest>) -> Response {
    if !constant_eq(req.client_id.as_bytes(), sb.client_id.as_bytes())
        || !constant_eq(req.client_secret.as_bytes(), sb.client_secret.as_bytes())
    {
        return error(StatusCode::UNAUTHORIZED, Some("CLIENT_KEYS_UNAUTHORIZED"), "Client keys are invalid");
    }
    Json(json!({"apiKey": sb.token("api", API_KEY_LIFE, |_| {})})).into_response()
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ConnectOptions {
    client_user_id: Option<String>,
    webhook_url: Option<String>,
    #[allow(dead_code)]
    avoid_duplicates: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ConnectTokenRequest {
    item_id: Option<String>,
    #[serde(default)]
    options: Option<ConnectOptions>,
}

async fn connect_token(
    State(sb): State<Shared>,
    Extension(claims): Extension<Claims>,
    body: Option<Json<ConnectTokenRequest>>,
) -> Response {
    if claims.is_connect() {
        return forbidden();
    }
    let req = body.map(|Json(b)| b).unwrap_or_default();
    if let Some(id) = &req.item_id
        && !sb.lock().items.contains_key(id)
    {
        return item_not_found();
    }
    let options = req.options.unwrap_or_default();
    let token = sb.token("connect", CONNECT_TOKEN_LIFE, |c| {
        c.item_id = req.item_id;
        c.client_user_id = options.client_user_id;
        c.webhook_url = options.webhook_url;
    });
    Json(json!({"accessToken": token})).into_response()
}

/// Checks `X-API-KEY`, keeps connect tokens to the widget's calls, learns
/// the public base URL, and moves items along before the call.
async fn require_key(
    State(sb): State<Shared>,
    OriginalUri(original): OriginalUri,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    if let Some(host) = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()) {
        let mount = original.path().strip_suffix(path.as_str()).unwrap_or_default();
        let base = format!("http://{host}{mount}");
        let mut state = sb.lock();
        if state.base != base {
            state.base = base;
        }
    }
    sb.tick_items();
    if path == "/auth" {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get("x-api-key").and_then(|v| v.to_str().ok()) else {
        return error(StatusCode::UNAUTHORIZED, None, "Missing X-API-KEY header");
    };
    let Some(claims) = sb.verify(key) else {
        return error(StatusCode::FORBIDDEN, None, "Invalid or expired API key");
    };
    if claims.is_connect() {
        let method = req.method().clone();
        let allowed = (method == Method::GET
            && (path == "/connectors" || path.starts_with("/connectors/") || path == "/accounts"))
            || (method == Method::POST && path == "/items")
            || ((method == Method::GET || method == Method::PATCH)
                && path.starts_with("/items/")
                && !path.ends_with("/mfa"))
            || (method == Method::POST && path.starts_with("/items/") && path.ends_with("/mfa"));
        if !allowed {
            return forbidden();
        }
    }
    req.extensions_mut().insert(claims);
    next.run(req).await
}

/// May `claims` see `item`? API keys see everything; a connect token only the
/// items it created and its own `itemId`.
fn may_see(claims: &Claims, item: &ItemRec) -> bool {
    !claims.is_connect()
        || item.token_jti.as_deref() == Some(claims.jti.as_str())
        || claims.item_id.as_deref() == Some(item.id.as_str())
}

// ---------------------------------------------------------------------------
// Connectors and categories
// ---------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct ConnectorQuery {
    countries: Option<String>,
    types: Option<String>,
    name: Option<String>,
    sandbox: Option<String>,
}

async fn connectors(State(sb): State<Shared>, Query(q): Query<ConnectorQuery>) -> Json<Value> {
    let base = sb.lock().base.clone();
    let list =
        |v: &Option<String>| v.as_ref().map(|s| s.split(',').map(str::trim).map(str::to_uppercase).collect::<Vec<_>>());
    let (countries, types) = (list(&q.countries), list(&q.types));
    let name = q.name.as_ref().map(|n| n.to_lowercase());
    let sandbox = q.sandbox.as_deref() == Some("true");
    let results = data::CONNECTORS
        .iter()
        .filter(|c| !c.sandbox || sandbox)
        .filter(|_| countries.as_ref().is_none_or(|cs| cs.iter().any(|c| c == "BR")))
        .filter(|c| types.as_ref().is_none_or(|ts| ts.iter().any(|t| t == c.kind)))
        .filter(|c| name.as_ref().is_none_or(|n| c.name.to_lowercase().contains(n.as_str())))
        .map(|c| data::connector_json(c, &base))
        .collect();
    Json(page(results))
}

async fn connector_get(State(sb): State<Shared>, Path(id): Path<String>) -> Response {
    let base = sb.lock().base.clone();
    match id.parse().ok().and_then(data::connector) {
        Some(c) => Json(data::connector_json(c, &base)).into_response(),
        None => error(StatusCode::NOT_FOUND, Some("CONNECTOR_NOT_FOUND"), "Connector not found"),
    }
}

async fn connector_logo(Path(id): Path<u32>) -> Response {
    let Some(c) = data::connector(id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(png::logo_base64(c.color, c.name)) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    ([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "public, max-age=86400")], bytes).into_response()
}

async fn categories() -> Json<Value> {
    Json(page(data::CATEGORIES.iter().map(|c| data::category_json(c.0)).collect()))
}

// ---------------------------------------------------------------------------
// Items
// ---------------------------------------------------------------------------

fn item_json(sb: &PluggySandbox, item: &ItemRec, base: &str) -> Value {
    let now = item.now(sb.clock.now());
    let p = progress(item, now);
    let connector = data::connector(item.connector_id).map_or(Value::Null, |c| data::connector_json(c, base));
    json!({
        "id": item.id,
        "connector": connector,
        "status": p.status,
        "executionStatus": p.execution,
        "error": p.error.map(|(code, message)| json!({"code": code, "message": message})),
        "parameter": if p.waiting_mfa { data::mfa_parameter(now) } else { Value::Null },
        "userAction": null,
        "webhookUrl": item.webhook_url,
        "clientUserId": item.client_user_id,
        "createdAt": iso(item.created_at),
        "updatedAt": iso(item.updated_at),
        "lastUpdatedAt": p.succeeded_at.or(item.last_success).map(iso),
        "statusDetail": null,
        "nextAutoSyncAt": p.succeeded_at.or(item.last_success).map(|t| iso(t + TimeDelta::hours(24))),
        "consecutiveFailedLoginAttempts": item.failed_logins,
        "consentExpiresAt": null,
        "products": item.products,
    })
}

fn credentials(parameters: &Value) -> Option<(String, String)> {
    let user = parameters.get("user").and_then(Value::as_str)?;
    let password = parameters.get("password").and_then(Value::as_str)?;
    Some((user.to_owned(), password.to_owned()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateItem {
    connector_id: Value,
    #[serde(default)]
    parameters: Value,
    webhook_url: Option<String>,
    client_user_id: Option<String>,
    products: Option<Vec<String>>,
}

async fn item_create(
    State(sb): State<Shared>,
    Extension(claims): Extension<Claims>,
    Json(req): Json<CreateItem>,
) -> Response {
    let id = req.connector_id.as_u64().or_else(|| req.connector_id.as_str().and_then(|s| s.parse().ok()));
    let Some(connector) = id.and_then(|id| u32::try_from(id).ok()).and_then(data::connector) else {
        return error(StatusCode::NOT_FOUND, Some("CONNECTOR_NOT_FOUND"), "Connector not found");
    };
    let Some((user, password)) = credentials(&req.parameters) else {
        return error(
            StatusCode::BAD_REQUEST,
            Some("ITEM_CREATION_ERROR"),
            "Missing required parameters: user, password",
        );
    };
    let now = sb.clock.now();
    let connect = claims.is_connect();
    let item = ItemRec {
        id: uuid::Uuid::new_v4().to_string(),
        connector_id: connector.id,
        user,
        password,
        webhook_url: req.webhook_url.or_else(|| if connect { claims.webhook_url.clone() } else { None }),
        client_user_id: req.client_user_id.or_else(|| if connect { claims.client_user_id.clone() } else { None }),
        products: req
            .products
            .unwrap_or_else(|| ["ACCOUNTS", "CREDIT_CARDS", "TRANSACTIONS", "PAYMENT_DATA"].map(String::from).to_vec()),
        created_at: now,
        updated_at: now,
        token_jti: connect.then(|| claims.jti.clone()),
        run_started: now,
        mfa_at: None,
        mfa_failed: false,
        forced: None,
        last_success: None,
        first_sync: None,
        failed_logins: 0,
        announced: String::new(),
        announced_until: None,
        clock_offset_secs: 0,
    };
    let mut state = sb.lock();
    let body = item_json(&sb, &item, &state.base);
    let hooks = state.webhooks.clone();
    let (id, url) = (item.id.clone(), item.webhook_url.clone());
    state.items.insert(item.id.clone(), item);
    drop(state);
    sb.fire(&hooks, &id, url.as_deref(), "item/created", json!({}));
    Json(body).into_response()
}

async fn item_get(State(sb): State<Shared>, Extension(claims): Extension<Claims>, Path(id): Path<String>) -> Response {
    let state = sb.lock();
    match state.items.get(&id).filter(|i| may_see(&claims, i)) {
        Some(item) => Json(item_json(&sb, item, &state.base)).into_response(),
        None => item_not_found(),
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct UpdateItem {
    parameters: Option<Value>,
    webhook_url: Option<String>,
    client_user_id: Option<String>,
}

async fn item_patch(
    State(sb): State<Shared>,
    Extension(claims): Extension<Claims>,
    Path(id): Path<String>,
    body: Option<Json<UpdateItem>>,
) -> Response {
    let req = body.map(|Json(b)| b).unwrap_or_default();
    let mut state = sb.lock();
    let base = state.base.clone();
    let Some(item) = state.items.get_mut(&id).filter(|i| may_see(&claims, i)) else {
        return item_not_found();
    };
    if let Some(parameters) = &req.parameters {
        match credentials(parameters) {
            Some((user, password)) => {
                item.user = user;
                item.password = password;
            }
            None if parameters.as_object().is_some_and(|o| !o.is_empty()) => {
                return bad_request("Invalid parameters: user and password are required");
            }
            None => {}
        }
    }
    if let Some(url) = req.webhook_url {
        item.webhook_url = Some(url);
    }
    if let Some(user) = req.client_user_id {
        item.client_user_id = Some(user);
    }
    let now = item.now(sb.clock.now());
    // A new run: `updatedAt` moves even within the same millisecond.
    item.updated_at = now.max(item.updated_at + TimeDelta::milliseconds(1));
    item.run_started = now;
    item.mfa_at = None;
    item.mfa_failed = false;
    item.forced = None;
    Json(item_json(&sb, item, &base)).into_response()
}

async fn item_mfa(
    State(sb): State<Shared>,
    Extension(claims): Extension<Claims>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let mut state = sb.lock();
    let base = state.base.clone();
    let Some(item) = state.items.get_mut(&id).filter(|i| may_see(&claims, i)) else {
        return item_not_found();
    };
    let now = item.now(sb.clock.now());
    if !progress(item, now).waiting_mfa {
        return bad_request("Item is not waiting for user input");
    }
    let token = body.get("token").map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned));
    if token.as_deref() == Some(MFA_TOKEN) {
        item.mfa_at = Some(now);
    } else {
        item.mfa_failed = true;
    }
    item.updated_at = now.max(item.updated_at + TimeDelta::milliseconds(1));
    let mut out = item_json(&sb, item, &base);
    if item.mfa_at.is_some() {
        // The widget expects the answer to show the run going on.
        out["status"] = json!("UPDATING");
        out["executionStatus"] = json!("LOGIN_MFA_IN_PROGRESS");
    }
    Json(out).into_response()
}

async fn item_delete(
    State(sb): State<Shared>,
    Extension(claims): Extension<Claims>,
    Path(id): Path<String>,
) -> Response {
    if claims.is_connect() {
        return forbidden();
    }
    let mut state = sb.lock();
    let Some(item) = state.items.remove(&id) else {
        return item_not_found();
    };
    let hooks = state.webhooks.clone();
    drop(state);
    sb.fire(&hooks, &item.id, item.webhook_url.as_deref(), "item/deleted", json!({}));
    Json(json!({"count": 1})).into_response()
}

// ---------------------------------------------------------------------------
// Accounts and transactions
// ---------------------------------------------------------------------------

/// An item's visible transactions (sorted by date, then id), with the
/// dressing that renders them; `None` before the first successful sync.
fn world(sb: &PluggySandbox, item: &ItemRec) -> Option<World> {
    let synced = item.first_sync?;
    let now = item.now(sb.clock.now());
    let mut txns = data::timeline(&item.seed(), history_start(synced), now);
    txns.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.key.cmp(&b.key)));
    Some((txns, synced, now))
}

fn balance(txns: &[Txn], kind: AccountKind, now: DateTime<Utc>) -> i64 {
    let opening = match kind {
        AccountKind::Checking => 300_000,
        AccountKind::Savings => 1_000_000,
        AccountKind::Card => 0,
    };
    if kind == AccountKind::Card {
        // The open bill: purchases since the last closing (the 10th) minus payments.
        let close = last_close(now);
        return txns.iter().filter(|t| t.account == kind && t.at > close).map(|t| t.cents).sum::<i64>().max(0);
    }
    opening + txns.iter().filter(|t| t.account == kind).map(|t| t.cents).sum::<i64>()
}

fn last_close(now: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Datelike as _;
    let d = now.date_naive();
    let this = NaiveDate::from_ymd_opt(d.year(), d.month(), 10);
    let close = match this {
        Some(c) if c <= d => Some(c),
        _ => {
            d.checked_sub_months(chrono::Months::new(1)).and_then(|p| NaiveDate::from_ymd_opt(p.year(), p.month(), 10))
        }
    };
    close.and_then(|c| c.and_hms_opt(0, 0, 0)).map_or(now, |c| c.and_utc())
}

fn account_json(item: &ItemRec, kind: AccountKind, txns: &[Txn], now: DateTime<Utc>, reduced: bool) -> Value {
    let id = data::account_id(&item.id, kind);
    let mut rng = crate::server::sandbox::rng::Rng::new(&format!("{}/numbers", item.seed()));
    let branch = rng.digits(4);
    let number = format!("{}-{}", rng.digits(6), rng.digits(1));
    let card = rng.digits(4);
    let (type_, subtype, name, number) = match kind {
        AccountKind::Checking => ("BANK", "CHECKING_ACCOUNT", "Conta Corrente", format!("{branch}/{number}")),
        AccountKind::Savings => ("BANK", "SAVINGS_ACCOUNT", "Poupança", format!("{branch}/{number}-P")),
        AccountKind::Card => ("CREDIT", "CREDIT_CARD", "Cartão Mastercard Black", card),
    };
    let mut out = json!({
        "id": id,
        "itemId": item.id,
        "type": type_,
        "subtype": subtype,
        "name": name,
        "marketingName": if kind == AccountKind::Card { json!("MASTERCARD BLACK") } else { Value::Null },
        "number": number,
        "currencyCode": "BRL",
    });
    if reduced {
        return out;
    }
    let cents = balance(txns, kind, now);
    let created = item.first_sync.unwrap_or(item.created_at);
    let more = json!({
        "balance": money(cents),
        "owner": "JOSE DA SILVA",
        "taxNumber": "123.456.789-09",
        "bankData": (kind != AccountKind::Card).then(|| json!({
            "transferNumber": format!("0001/{number}"),
            "closingBalance": money(cents),
            "automaticallyInvestedBalance": money(0),
            "overdraftContractedLimit": money(if kind == AccountKind::Checking { 200_000 } else { 0 }),
            "overdraftUsedLimit": money(0),
            "unarrangedOverdraftAmount": money(0),
        })),
        "creditData": (kind == AccountKind::Card).then(|| {
            let close = last_close(now) + TimeDelta::days(31);
            let close = last_close(close);
            json!({
                "level": "BLACK",
                "brand": "MASTERCARD",
                "balanceCloseDate": close.date_naive().to_string(),
                "balanceDueDate": (close + TimeDelta::days(10)).date_naive().to_string(),
                "availableCreditLimit": money(1_500_000 - cents),
                "balanceForeignCurrency": money(0),
                "minimumPayment": money(cents * 15 / 100),
                "creditLimit": money(1_500_000),
                "isLimitFlexible": false,
                "status": "ACTIVE",
                "holderType": "MAIN",
            })
        }),
        "createdAt": iso(created),
        "updatedAt": iso(item.last_success.unwrap_or(created)),
    });
    if let (Some(target), Value::Object(more)) = (out.as_object_mut(), more) {
        target.extend(more);
    }
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccountsQuery {
    item_id: Option<String>,
    #[serde(rename = "type")]
    type_: Option<String>,
}

async fn accounts(
    State(sb): State<Shared>,
    Extension(claims): Extension<Claims>,
    Query(q): Query<AccountsQuery>,
) -> Response {
    let Some(item_id) = q.item_id else {
        return bad_request("itemId is required");
    };
    let state = sb.lock();
    let Some(item) = state.items.get(&item_id).filter(|i| may_see(&claims, i)) else {
        return item_not_found();
    };
    let Some((txns, _, now)) = world(&sb, item) else {
        return Json(page(Vec::new())).into_response();
    };
    let results = AccountKind::ALL
        .into_iter()
        .filter(|k| q.type_.as_deref().is_none_or(|t| t == if *k == AccountKind::Card { "CREDIT" } else { "BANK" }))
        .map(|k| account_json(item, k, &txns, now, claims.is_connect()))
        .collect();
    Json(page(results)).into_response()
}

/// The item and account kind of `account_id`.
fn find_account(state: &State_, account_id: &str) -> Option<(ItemRec, AccountKind)> {
    state.items.values().find_map(|item| {
        AccountKind::ALL.into_iter().find(|k| data::account_id(&item.id, *k) == account_id).map(|k| (item.clone(), k))
    })
}

async fn account_get(State(sb): State<Shared>, Path(id): Path<String>) -> Response {
    let state = sb.lock();
    let Some((item, kind)) = find_account(&state, &id) else {
        return error(StatusCode::NOT_FOUND, Some("ACCOUNT_NOT_FOUND"), "Account not found");
    };
    drop(state);
    match world(&sb, &item) {
        Some((txns, _, now)) => Json(account_json(&item, kind, &txns, now, false)).into_response(),
        None => error(StatusCode::NOT_FOUND, Some("ACCOUNT_NOT_FOUND"), "Account not found"),
    }
}

/// An item's world: its visible transactions, first sync and time.
type World = (Vec<Txn>, DateTime<Utc>, DateTime<Utc>);

/// An account's transactions as JSON, oldest first, with running balances on
/// bank accounts, from its item's `world` (computed once per item by callers).
fn account_transactions(
    item: &ItemRec,
    world: &World,
    kind: AccountKind,
) -> Vec<(Value, DateTime<Utc>, DateTime<Utc>)> {
    let (txns, synced, now) = world;
    let (synced, now) = (*synced, *now);
    let dress = Dress { item_id: &item.id, synced, now };
    let mut running =
        balance(txns, kind, now) - txns.iter().filter(|t| t.account == kind).map(|t| t.cents).sum::<i64>();
    txns.iter()
        .filter(|t| t.account == kind)
        .map(|t| {
            running += t.cents;
            let shown = (kind != AccountKind::Card).then_some(running);
            (dress.json(t, shown), t.at, dress.created_at(t))
        })
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct TxnQuery {
    account_id: Option<String>,
    date_from: Option<String>,
    date_to: Option<String>,
    created_at_from: Option<String>,
    ids: Option<String>,
    after: Option<String>,
    // Deprecated page API.
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
    page_size: Option<String>,
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| parse_date(s).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc()))
}

/// The filtered transactions of the query's account, or an error response.
fn filtered(
    sb: &PluggySandbox,
    q: &TxnQuery,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Vec<(Value, DateTime<Utc>)>, Box<Response>> {
    let Some(account_id) = q.account_id.as_deref() else {
        return Err(Box::new(bad_request("accountId is required")));
    };
    let from = match from.map(|s| parse_date(s).ok_or(())) {
        Some(Err(())) => return Err(Box::new(bad_request("Invalid date format: use yyyy-mm-dd"))),
        Some(Ok(d)) => Some(d),
        None => None,
    };
    let to = match to.map(|s| parse_date(s).ok_or(())) {
        Some(Err(())) => return Err(Box::new(bad_request("Invalid date format: use yyyy-mm-dd"))),
        Some(Ok(d)) => Some(d),
        None => None,
    };
    let created_from = match q.created_at_from.as_deref().map(|s| parse_time(s).ok_or(())) {
        Some(Err(())) => return Err(Box::new(bad_request("Invalid createdAtFrom: use an ISO 8601 date-time"))),
        Some(Ok(t)) => Some(t),
        None => None,
    };
    let ids: Option<Vec<&str>> =
        q.ids.as_deref().map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()).collect());
    if ids.as_ref().is_some_and(|ids| ids.len() > 500) {
        return Err(Box::new(bad_request("ids accepts at most 500 values")));
    }
    let state = sb.lock();
    let Some((item, kind)) = find_account(&state, account_id) else {
        return Err(Box::new(error(StatusCode::NOT_FOUND, Some("ACCOUNT_NOT_FOUND"), "Account not found")));
    };
    drop(state);
    let Some(world) = world(sb, &item) else { return Ok(Vec::new()) };
    Ok(account_transactions(&item, &world, kind)
        .into_iter()
        .filter(|(_, at, _)| from.is_none_or(|f| at.date_naive() >= f) && to.is_none_or(|t| at.date_naive() <= t))
        .filter(|(_, _, created)| created_from.is_none_or(|c| *created >= c))
        .filter(|(v, _, _)| ids.as_ref().is_none_or(|ids| ids.iter().any(|id| v["id"].as_str() == Some(*id))))
        .map(|(v, at, _)| (v, at))
        .collect())
}

fn cursor(at: DateTime<Utc>, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{id}", at.timestamp_millis()))
}

fn parse_cursor(s: &str) -> Option<(i64, String)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
    let (millis, id) = raw.split_once('|')?;
    Some((millis.parse().ok()?, id.to_owned()))
}

async fn transactions_v2(State(sb): State<Shared>, Query(q): Query<TxnQuery>) -> Response {
    if q.date_from.is_some() && q.created_at_from.is_some() {
        return bad_request("dateFrom cannot be combined with createdAtFrom");
    }
    let after = match q.after.as_deref().map(|a| parse_cursor(a).ok_or(())) {
        Some(Err(())) => return bad_request("Invalid cursor"),
        Some(Ok(c)) => Some(c),
        None => None,
    };
    let all = match filtered(&sb, &q, q.date_from.as_deref(), q.date_to.as_deref()) {
        Ok(all) => all,
        Err(e) => return *e,
    };
    let start = after.map_or(0, |(millis, id)| {
        all.iter()
            .position(|(v, at)| (at.timestamp_millis(), v["id"].as_str().unwrap_or_default()) > (millis, id.as_str()))
            .unwrap_or(all.len())
    });
    let end = (start + V2_PAGE).min(all.len());
    let results: Vec<Value> = all.get(start..end).unwrap_or_default().iter().map(|(v, _)| v.clone()).collect();
    let next = (end < all.len()).then(|| {
        let (last, at) = &all[end - 1];
        let mut query = vec![format!("accountId={}", q.account_id.clone().unwrap_or_default())];
        for (k, v) in
            [("dateFrom", &q.date_from), ("dateTo", &q.date_to), ("createdAtFrom", &q.created_at_from), ("ids", &q.ids)]
        {
            if let Some(v) = v {
                query.push(format!("{k}={}", urlencode(v)));
            }
        }
        query.push(format!("after={}", cursor(*at, last["id"].as_str().unwrap_or_default())));
        format!("/v2/transactions?{}", query.join("&"))
    });
    Json(json!({"results": results, "next": next})).into_response()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn transactions_page(State(sb): State<Shared>, Query(q): Query<TxnQuery>) -> Response {
    let page_no = q.page.as_deref().map_or(Ok(1), str::parse::<usize>);
    let size = q.page_size.as_deref().map_or(Ok(500), str::parse::<usize>);
    let (Ok(page_no), Ok(size)) = (page_no, size) else {
        return bad_request("page and pageSize must be numbers");
    };
    if page_no == 0 || !(1..=500).contains(&size) {
        return bad_request("page must be at least 1 and pageSize between 1 and 500");
    }
    let all = match filtered(&sb, &q, q.from.as_deref(), q.to.as_deref()) {
        Ok(all) => all,
        Err(e) => return *e,
    };
    let total = all.len();
    let results: Vec<Value> = all.into_iter().skip((page_no - 1) * size).take(size).map(|(v, _)| v).collect();
    Json(json!({"results": results, "page": page_no, "total": total, "totalPages": total.div_ceil(size)}))
        .into_response()
}

async fn transaction_get(State(sb): State<Shared>, Path(id): Path<String>) -> Response {
    let items: Vec<ItemRec> = sb.lock().items.values().cloned().collect();
    for item in &items {
        let Some(world) = world(&sb, item) else { continue };
        for kind in AccountKind::ALL {
            if let Some((v, _, _)) = account_transactions(item, &world, kind)
                .into_iter()
                .find(|(v, _, _)| v["id"].as_str() == Some(id.as_str()))
            {
                return Json(v).into_response();
            }
        }
    }
    error(StatusCode::NOT_FOUND, Some("TRANSACTION_NOT_FOUND"), "Transaction not found")
}

// ---------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct WebhookBody {
    url: Option<String>,
    event: Option<String>,
    #[serde(default)]
    headers: Option<Option<HashMap<String, String>>>,
    enabled: Option<bool>,
}

/// The sandbox runs locally, so unlike Pluggy (HTTPS on public hosts only)
/// it accepts any http(s) URL, including `http://127.0.0.1:…`.
fn valid_url(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

async fn webhooks_list(State(sb): State<Shared>) -> Json<Value> {
    Json(page(sb.lock().webhooks.iter().map(Webhook::json).collect()))
}

async fn webhook_create(State(sb): State<Shared>, Json(body): Json<WebhookBody>) -> Response {
    let (Some(url), Some(event)) = (body.url, body.event) else {
        return bad_request("url and event are required");
    };
    if !valid_url(&url) {
        return bad_request("url must be a valid http(s) URL");
    }
    let now = sb.clock.now();
    let hook = Webhook {
        id: uuid::Uuid::new_v4().to_string(),
        url,
        event,
        headers: body.headers.flatten().unwrap_or_default(),
        created_at: now,
        updated_at: now,
        disabled_at: None,
    };
    let out = hook.json();
    sb.lock().webhooks.push(hook);
    // 200, not the 201 Pluggy's OpenAPI document lists: the official SDK
    // (pluggy-sdk) refuses any write answered with other than 200.
    Json(out).into_response()
}

async fn webhook_get(State(sb): State<Shared>, Path(id): Path<String>) -> Response {
    match sb.lock().webhooks.iter().find(|h| h.id == id) {
        Some(h) => Json(h.json()).into_response(),
        None => error(StatusCode::NOT_FOUND, Some("WEBHOOK_NOT_FOUND"), "Webhook not found"),
    }
}

async fn webhook_patch(State(sb): State<Shared>, Path(id): Path<String>, Json(body): Json<WebhookBody>) -> Response {
    if body.url.as_deref().is_some_and(|u| !valid_url(u)) {
        return bad_request("url must be a valid http(s) URL");
    }
    let now = sb.clock.now();
    let mut state = sb.lock();
    let Some(hook) = state.webhooks.iter_mut().find(|h| h.id == id) else {
        return error(StatusCode::NOT_FOUND, Some("WEBHOOK_NOT_FOUND"), "Webhook not found");
    };
    if let Some(url) = body.url {
        hook.url = url;
    }
    if let Some(event) = body.event {
        hook.event = event;
    }
    if let Some(headers) = body.headers {
        hook.headers = headers.unwrap_or_default();
    }
    match body.enabled {
        Some(true) => hook.disabled_at = None,
        Some(false) => hook.disabled_at = Some(now),
        None => {}
    }
    hook.updated_at = now;
    Json(hook.json()).into_response()
}

async fn webhook_delete(State(sb): State<Shared>, Path(id): Path<String>) -> Response {
    let mut state = sb.lock();
    let before = state.webhooks.len();
    state.webhooks.retain(|h| h.id != id);
    if state.webhooks.len() == before {
        return error(StatusCode::NOT_FOUND, Some("WEBHOOK_NOT_FOUND"), "Webhook not found");
    }
    Json(json!({"count": 1})).into_response()
}

/// Webhook routes refuse connect tokens.
async fn api_key_only(req: Request, next: Next) -> Response {
    if req.extensions().get::<Claims>().is_some_and(Claims::is_connect) {
        return forbidden();
    }
    next.run(req).await
}

// ---------------------------------------------------------------------------
// Control API, faults, widget assets
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClockRequest {
    #[serde(default)]
    seconds: i64,
    #[serde(default)]
    days: i64,
    #[serde(default, alias = "item_id")]
    item_id: Option<String>,
}

async fn control_clock(State(sb): State<Shared>, Json(req): Json<ClockRequest>) -> Response {
    let secs = req.seconds.max(0) + req.days.max(0) * 86_400;
    let now = match req.item_id {
        Some(id) => {
            let mut state = sb.lock();
            let Some(item) = state.items.get_mut(&id) else {
                return item_not_found();
            };
            item.clock_offset_secs += secs;
            item.now(sb.clock.now())
        }
        None => sb.clock.advance(secs),
    };
    sb.tick();
    Json(json!({"now": iso(now)})).into_response()
}

#[derive(Deserialize)]
struct ForceStatus {
    status: String,
}

/// `POST /__control/items/{id}/status {"status":"LOGIN_ERROR"|"OUTDATED"}`:
/// breaks an item, for relink tests; a PATCH (the widget's update) heals it.
async fn control_item_status(
    State(sb): State<Shared>,
    Path(id): Path<String>,
    Json(req): Json<ForceStatus>,
) -> Response {
    let execution = match req.status.as_str() {
        "LOGIN_ERROR" => "INVALID_CREDENTIALS",
        "OUTDATED" => "UNEXPECTED_ERROR",
        _ => return bad_request("status must be LOGIN_ERROR or OUTDATED"),
    };
    let mut state = sb.lock();
    let base = state.base.clone();
    let Some(item) = state.items.get_mut(&id) else {
        return item_not_found();
    };
    item.forced = Some((req.status, execution.into()));
    item.updated_at = item.now(sb.clock.now()).max(item.updated_at + TimeDelta::milliseconds(1));
    let out = item_json(&sb, item, &base);
    drop(state);
    sb.tick();
    Json(out).into_response()
}

/// The item a call is about, for item-scoped faults.
fn fault_item(sb: &PluggySandbox, req: &Request) -> Option<String> {
    let path = req.uri().path();
    if let Some(rest) = path.strip_prefix("/items/") {
        return rest.split('/').next().map(str::to_owned);
    }
    let query = req.uri().query().unwrap_or_default();
    let param = |name: &str| {
        query.split('&').find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('='))).map(str::to_owned)
    };
    if let Some(item) = param("itemId") {
        return Some(item);
    }
    let account = param("accountId")?;
    find_account(&sb.lock(), &account).map(|(item, _)| item.id)
}

/// Applies injected faults to API calls before they reach their handler.
async fn inject_faults(State(sb): State<Shared>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let item = fault_item(&sb, &req);
    if let Some(fault) = sb.faults.take(&path, item.as_deref()) {
        match fault.kind {
            FaultKind::RateLimit => {
                let retry = fault.retry_after_secs.unwrap_or(1).to_string();
                let mut res = error(
                    StatusCode::TOO_MANY_REQUESTS,
                    None,
                    "Too many requests. Please try again later (see Retry-After header in seconds)",
                );
                let headers = res.headers_mut();
                for (name, value) in [
                    ("retry-after", retry.as_str()),
                    ("ratelimit-limit", "360"),
                    ("ratelimit-remaining", "0"),
                    ("ratelimit-reset", retry.as_str()),
                ] {
                    if let Ok(v) = value.parse() {
                        headers.insert(name, v);
                    }
                }
                return res;
            }
            FaultKind::ServerError => {
                return error(StatusCode::INTERNAL_SERVER_ERROR, Some("INTERNAL_ERROR"), "Internal server error");
            }
            FaultKind::Malformed => {
                return (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], "{\"results\": [")
                    .into_response();
            }
            FaultKind::Delay => tokio::time::sleep(fault.delay).await,
        }
    }
    next.run(req).await
}

/// Axum's own rejections (bad JSON, bad query) in Pluggy's error shape.
async fn json_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let is_json =
        res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if status.is_client_error() && !is_json {
        let message = match status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::METHOD_NOT_ALLOWED => "Method not allowed",
            _ => "Invalid request: the body or query could not be parsed",
        };
        let status = if status == StatusCode::UNSUPPORTED_MEDIA_TYPE || status == StatusCode::UNPROCESSABLE_ENTITY {
            StatusCode::BAD_REQUEST
        } else {
            status
        };
        return error(status, None, message);
    }
    res
}

/// The Pluggy sandbox's routes, to mount at `/sandbox/pluggy`.
pub fn router(sandbox: Arc<PluggySandbox>) -> Router {
    let webhooks = Router::new()
        .route("/webhooks", post(webhook_create).get(webhooks_list))
        .route("/webhooks/{id}", get(webhook_get).patch(webhook_patch).delete(webhook_delete))
        .route("/transactions", get(transactions_page))
        .route("/transactions/{id}", get(transaction_get))
        .route("/v2/transactions", get(transactions_v2))
        .route("/accounts/{id}", get(account_get))
        .route("/categories", get(categories))
        .layer(axum::middleware::from_fn(api_key_only));
    let api = Router::new()
        .route("/auth", post(auth))
        .route("/connect_token", post(connect_token))
        .route("/connectors", get(connectors))
        .route("/connectors/{id}", get(connector_get))
        .route("/items", post(item_create))
        .route("/items/{id}", get(item_get).patch(item_patch).delete(item_delete))
        .route("/items/{id}/mfa", post(item_mfa))
        .route("/accounts", get(accounts))
        .merge(webhooks)
        .layer(axum::middleware::from_fn_with_state(sandbox.clone(), require_key))
        .layer(axum::middleware::from_fn_with_state(sandbox.clone(), inject_faults))
        .layer(axum::middleware::from_fn(json_errors));
    Router::new()
        .merge(api)
        .route("/__connectors/{id}/logo.png", get(connector_logo))
        .route(
            "/pluggy-connect.js",
            get(|| async { asset("text/javascript; charset=utf-8", include_str!("pluggy/connect.js")) }),
        )
        .route(
            "/__connect/demo",
            get(|| async { asset("text/html; charset=utf-8", include_str!("pluggy/connect_demo.html")) }),
        )
        .route(
            "/__connect/demo.js",
            get(|| async { asset("text/javascript; charset=utf-8", include_str!("pluggy/connect_demo.js")) }),
        )
        .route("/__control/clock", post(control_clock).get(control_clock_now::<PluggySandbox>))
        .route(
            "/__control/faults",
            post(control_faults_add::<PluggySandbox>).delete(control_faults_clear::<PluggySandbox>),
        )
        .route("/__control/items/{id}/status", post(control_item_status))
        .with_state(sandbox)
}

#[cfg(test)]
mod tests;
