//! Plaid webhook verification (PLAID.md §4, DESIGN §7) and what each
//! webhook asks of the app.
//!
//! A delivery carries a `Plaid-Verification` header: a compact JWT, ES256
//! only, naming its key by `kid`; its claims are `iat` and the SHA-256 of
//! the raw body. The pure steps live here ([`parse_token`], [`check_claims`],
//! [`event`]); fetching and caching keys is the provider's
//! ([`PlaidProvider::verify_webhook_at`](super::PlaidProvider::verify_webhook_at)).

use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::api::{Jwk, WebhookBody};
use super::errors::classify;
use crate::server::provider::{ApiErrorKind, ProviderError, WebhookAction, WebhookError, WebhookEvent};

/// The header Plaid signs deliveries with (matched case-insensitively).
pub const HEADER: &str = "plaid-verification";

/// How far `iat` may be from now, either way (Plaid's sample: 5 minutes).
pub const MAX_AGE_SECS: i64 = 5 * 60;

fn unverified(reason: &str) -> WebhookError {
    WebhookError::Unverified(reason.to_owned())
}

/// The parts of a `Plaid-Verification` token, its header checked.
#[derive(Debug)]
pub struct Token<'a> {
    /// The key id from the JWT header.
    pub kid: String,
    /// `header.payload`, the bytes the signature covers.
    pub signed: &'a str,
    /// The payload, base64url.
    pub payload: &'a str,
    /// The raw 64-byte `r || s` signature.
    pub signature: Vec<u8>,
}

#[derive(Deserialize)]
struct JwtHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    iat: i64,
    request_body_sha256: String,
}

/// Reads the JWT from the headers and checks its header: `alg` must be
/// `ES256` (never `none`, never HMAC: the algorithm is pinned, not taken from
/// the token) and `kid` a plausible key id.
///
/// # Errors
/// [`WebhookError::Unverified`] with a short reason.
pub fn parse_token(headers: &HeaderMap) -> Result<Token<'_>, WebhookError> {
    let value = headers.get(HEADER).ok_or_else(|| unverified("no Plaid-Verification header"))?;
    let token = value.to_str().map_err(|_| unverified("Plaid-Verification is not text"))?.trim();
    let malformed = || unverified("Plaid-Verification is not a compact JWT");
    let (signed, signature) = token.rsplit_once('.').ok_or_else(malformed)?;
    let (header, payload) = signed.split_once('.').ok_or_else(malformed)?;
    if payload.contains('.') {
        return Err(malformed());
    }
    let header: JwtHeader = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| unverified("unreadable JWT header"))?;
    if header.alg != "ES256" {
        return Err(unverified("JWT algorithm is not ES256"));
    }
    let kid = header.kid.filter(|k| valid_kid(k)).ok_or_else(|| unverified("JWT has no usable key id"))?;
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| unverified("unreadable JWT signature"))?;
    Ok(Token { kid, signed, payload, signature })
}

/// Plaid's key ids are UUIDs; anything else is refused before it is sent
/// to Plaid, so a forged header cannot make us send arbitrary text.
fn valid_kid(kid: &str) -> bool {
    !kid.is_empty() && kid.len() <= 100 && kid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A verification key as Plaid serves it, checked to be an ES256 P-256 key.
///
/// # Errors
/// [`ProviderError::Decode`] naming the field that is wrong.
pub fn verifying_key(jwk: &Jwk) -> Result<VerifyingKey, ProviderError> {
    let wrong =
        |path: &str, message: &str| ProviderError::Decode { path: format!("key.{path}"), message: message.into() };
    if jwk.alg != "ES256" {
        return Err(wrong("alg", "not ES256"));
    }
    if jwk.kty != "EC" || jwk.crv != "P-256" {
        return Err(wrong("crv", "not an EC P-256 key"));
    }
    let coordinate = |path: &str, text: &str| {
        URL_SAFE_NO_PAD
            .decode(text)
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or_else(|| wrong(path, "not a 32-byte base64url"))
    };
    let mut sec1 = vec![4u8];
    sec1.extend(coordinate("x", &jwk.x)?);
    sec1.extend(coordinate("y", &jwk.y)?);
    VerifyingKey::from_sec1_bytes(&sec1).map_err(|_| wrong("x", "not a point on P-256"))
}

/// Lowercase hex SHA-256 of `body`.
pub fn body_sha256(body: &[u8]) -> String {
    Sha256::digest(body).iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks the signature with `key`, then the claims: `iat` within
/// [`MAX_AGE_SECS`] of `now` and `request_body_sha256` equal to the hash of
/// the raw `body` (constant-time).
///
/// # Errors
/// [`WebhookError::Unverified`] with a short reason.
pub fn check_claims(
    token: &Token<'_>,
    key: &VerifyingKey,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), WebhookError> {
    let signature = Signature::from_slice(&token.signature).map_err(|_| unverified("malformed ES256 signature"))?;
    key.verify(token.signed.as_bytes(), &signature).map_err(|_| unverified("signature does not verify"))?;
    let claims: Claims = URL_SAFE_NO_PAD
        .decode(token.payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| unverified("unreadable JWT claims"))?;
    if (now.timestamp() - claims.iat).abs() > MAX_AGE_SECS {
        return Err(unverified("JWT issued more than 5 minutes from now"));
    }
    let expected = body_sha256(body);
    let given = claims.request_body_sha256.to_ascii_lowercase();
    if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        return Err(unverified("body hash does not match"));
    }
    Ok(())
}

/// What a verified webhook body asks of the app.
///
/// # Errors
/// [`WebhookError::Malformed`] when the body is not a Plaid webhook.
pub fn event(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let parsed: WebhookBody = crate::server::provider::http::decode(body)
        .map_err(|e| WebhookError::Malformed(format!("not a Plaid webhook: {e}")))?;
    let action = action(&parsed);
    Ok(WebhookEvent {
        delivery_key: body_sha256(body),
        event_type: format!("{}/{}", parsed.webhook_type, parsed.webhook_code),
        item_id: parsed.item_id,
        action,
    })
}

fn action(body: &WebhookBody) -> WebhookAction {
    match (body.webhook_type.as_str(), body.webhook_code.as_str()) {
        (
            "TRANSACTIONS",
            "SYNC_UPDATES_AVAILABLE"
            | "DEFAULT_UPDATE"
            | "INITIAL_UPDATE"
            | "HISTORICAL_UPDATE"
            | "TRANSACTIONS_REMOVED",
        )
        | ("ITEM", "LOGIN_REPAIRED") => WebhookAction::Sync,
        ("ITEM", "ERROR") => match &body.error {
            Some(error) => {
                let message = error.display_message.clone().or_else(|| Some(error.error_message.clone()));
                let message = message.filter(|m| !m.trim().is_empty());
                match classify(error.status.unwrap_or(400), &error.error_type, &error.error_code) {
                    ApiErrorKind::LoginRequired => WebhookAction::LoginRequired { message },
                    ApiErrorKind::Revoked => WebhookAction::Revoked,
                    _ => WebhookAction::Error { code: error.error_code.clone(), message },
                }
            }
            None => WebhookAction::Error { code: "ITEM_ERROR".into(), message: None },
        },
        ("ITEM", "PENDING_EXPIRATION") => WebhookAction::Expiring { at: body.consent_expiration_time },
        // The US/CA equivalent of PENDING_EXPIRATION; its date is `disconnect_time`.
        ("ITEM", "PENDING_DISCONNECT") => {
            WebhookAction::Expiring { at: body.disconnect_time.or(body.consent_expiration_time) }
        }
        ("ITEM", "USER_PERMISSION_REVOKED" | "USER_ACCOUNT_REVOKED") => WebhookAction::Revoked,
        // WEBHOOK_UPDATE_ACKNOWLEDGED, NEW_ACCOUNTS_AVAILABLE (new accounts
        // need the user in update mode first), other products, new codes.
        _ => WebhookAction::Ignore,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event_of(value: serde_json::Value) -> WebhookEvent {
        event(serde_json::to_string_pretty(&value).expect("json").as_bytes()).expect("a webhook")
    }

    fn header(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("Plaid-Verification", value.parse().expect("header value"));
        headers
    }

    fn b64(value: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    #[test]
    fn webhooks_map_to_actions() {
        let item = |t: &str, c: &str, extra: serde_json::Value| {
            let mut v = json!({ "webhook_type": t, "webhook_code": c, "item_id": "item-1", "environment": "sandbox" });
            if let (Some(map), Some(more)) = (v.as_object_mut(), extra.as_object()) {
                map.extend(more.clone());
            }
            event_of(v)
        };
        for code in
            ["SYNC_UPDATES_AVAILABLE", "DEFAULT_UPDATE", "INITIAL_UPDATE", "HISTORICAL_UPDATE", "TRANSACTIONS_REMOVED"]
        {
            assert_eq!(item("TRANSACTIONS", code, json!({})).action, WebhookAction::Sync, "{code}");
        }
        assert_eq!(item("TRANSACTIONS", "RECURRING_TRANSACTIONS_UPDATE", json!({})).action, WebhookAction::Ignore);
        assert_eq!(item("ITEM", "LOGIN_REPAIRED", json!({})).action, WebhookAction::Sync);
        let login = item(
            "ITEM",
            "ERROR",
            json!({ "error": { "error_type": "ITEM_ERROR", "error_code": "ITEM_LOGIN_REQUIRED",
                               "error_message": "dev text", "display_message": "Log in again.", "status": 400 } }),
        );
        assert_eq!(login.action, WebhookAction::LoginRequired { message: Some("Log in again.".into()) });
        assert_eq!(login.event_type, "ITEM/ERROR");
        assert_eq!(login.item_id.as_deref(), Some("item-1"));
        let other = item(
            "ITEM",
            "ERROR",
            json!({ "error": { "error_type": "INSTITUTION_ERROR", "error_code": "INSTITUTION_DOWN",
                               "error_message": "down", "display_message": null } }),
        );
        assert_eq!(
            other.action,
            WebhookAction::Error { code: "INSTITUTION_DOWN".into(), message: Some("down".into()) }
        );
        assert_eq!(
            item("ITEM", "ERROR", json!({ "error": null })).action,
            WebhookAction::Error { code: "ITEM_ERROR".into(), message: None }
        );
        let at: DateTime<Utc> = "2026-07-01T12:00:00Z".parse().expect("time");
        assert_eq!(
            item("ITEM", "PENDING_EXPIRATION", json!({ "consent_expiration_time": "2026-07-01T12:00:00Z" })).action,
            WebhookAction::Expiring { at: Some(at) }
        );
        assert_eq!(
            item(
                "ITEM",
                "PENDING_DISCONNECT",
                json!({ "reason": "INSTITUTION_MIGRATION", "disconnect_time": "2026-07-01T12:00:00Z" })
            )
            .action,
            WebhookAction::Expiring { at: Some(at) }
        );
        for code in ["USER_PERMISSION_REVOKED", "USER_ACCOUNT_REVOKED"] {
            assert_eq!(item("ITEM", code, json!({ "error": null })).action, WebhookAction::Revoked, "{code}");
        }
        for (t, c) in [("ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED"), ("ITEM", "NEW_ACCOUNTS_AVAILABLE"), ("HOLDINGS", "X")] {
            assert_eq!(item(t, c, json!({})).action, WebhookAction::Ignore, "{t}/{c}");
        }
    }

    #[test]
    fn the_delivery_key_is_the_body_hash() {
        let body = br#"{"webhook_type":"ITEM","webhook_code":"LOGIN_REPAIRED","item_id":"i"}"#;
        let parsed = event(body).expect("webhook");
        assert_eq!(parsed.delivery_key, body_sha256(body));
        assert_eq!(parsed.delivery_key.len(), 64);
        assert!(matches!(event(b"[1, 2]"), Err(WebhookError::Malformed(_))));
        assert!(matches!(event(br#"{"webhook_type":"ITEM"}"#), Err(WebhookError::Malformed(_))));
    }

    #[test]
    fn tokens_must_be_es256_with_a_kid() {
        let claims = b64(&json!({ "iat": 1, "request_body_sha256": "00" }));
        let good = format!("{}.{claims}.AAAA", b64(&json!({ "alg": "ES256", "kid": "k-1", "typ": "JWT" })));
        let headers = header(&good);
        let token = parse_token(&headers).expect("parses");
        assert_eq!(token.kid, "k-1");
        assert!(token.signed.ends_with(&claims) && !token.signed.contains("AAAA"));
        let refused = [
            String::new(),
            "not-a-jwt".into(),
            "a.b".into(),
            "a.b.c.d".into(),
            format!("{}.{claims}.AAAA", b64(&json!({ "alg": "HS256", "kid": "k-1" }))),
            format!("{}.{claims}.", b64(&json!({ "alg": "none", "kid": "k-1" }))),
            format!("{}.{claims}.AAAA", b64(&json!({ "alg": "es256", "kid": "k-1" }))),
            format!("{}.{claims}.AAAA", b64(&json!({ "alg": "ES256" }))),
            format!("{}.{claims}.AAAA", b64(&json!({ "alg": "ES256", "kid": "" }))),
            format!("{}.{claims}.AAAA", b64(&json!({ "alg": "ES256", "kid": "../../etc" }))),
            format!("{}.{claims}.!!", b64(&json!({ "alg": "ES256", "kid": "k" }))),
        ];
        for value in refused {
            assert!(matches!(parse_token(&header(&value)), Err(WebhookError::Unverified(_))), "{value}");
        }
        assert!(matches!(parse_token(&HeaderMap::new()), Err(WebhookError::Unverified(_))));
    }
}
