//! API keys and connect tokens: `POST /auth`, `POST /connect_token`, and
//! the middleware that checks `X-API-KEY` and keeps connect tokens to the
//! calls the Connect widget makes.

use axum::Extension;
use axum::Json;
use axum::extract::{OriginalUri, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::errors::{error, forbidden, item_not_found};
use super::state::ItemRec;
use super::{PluggySandbox, Shared};

const API_KEY_LIFE: TimeDelta = TimeDelta::hours(2);
const CONNECT_TOKEN_LIFE: TimeDelta = TimeDelta::minutes(30);

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
    pub(super) fn is_connect(&self) -> bool {
        self.kind == "connect"
    }
}

impl PluggySandbox {
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AuthRequest {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
}

pub(super) async fn auth(State(sb): State<Shared>, Json(req): Json<AuthRequest>) -> Response {
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
pub(super) struct ConnectTokenRequest {
    item_id: Option<String>,
    #[serde(default)]
    options: Option<ConnectOptions>,
}

pub(super) async fn connect_token(
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
pub(super) async fn require_key(
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
            sb.save(&mut state);
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
pub(super) fn may_see(claims: &Claims, item: &ItemRec) -> bool {
    !claims.is_connect()
        || item.token_jti.as_deref() == Some(claims.jti.as_str())
        || claims.item_id.as_deref() == Some(item.id.as_str())
}

/// Webhook routes refuse connect tokens.
pub(super) async fn api_key_only(req: Request, next: Next) -> Response {
    if req.extensions().get::<Claims>().is_some_and(Claims::is_connect) {
        return forbidden();
    }
    next.run(req).await
}
