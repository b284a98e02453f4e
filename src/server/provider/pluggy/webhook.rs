//! Checking a Pluggy webhook delivery and saying what it asks for (DESIGN
//! §7, PLUGGY.md §7). Pluggy does not sign webhooks; it sends back the
//! headers registered with `POST /webhooks`, so the app registers a secret
//! header and compares it in constant time, then checks `clientId`. The
//! body is only a signal: the sync re-fetches everything with the API key.

use axum::http::HeaderMap;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::WEBHOOK_SECRET_HEADER;
use super::api::WebhookPayload;
use super::map::is_login_problem;
use crate::server::provider::http::decode;
use crate::server::provider::{WebhookAction, WebhookError, WebhookEvent};

/// Verifies a delivery against `secret` (the registered header's value) and
/// our `client_id`, then maps its event.
///
/// # Errors
/// [`WebhookError::Unverified`] when no secret is configured, the header is
/// missing or wrong, or `clientId` names another client;
/// [`WebhookError::Malformed`] when the verified body is not a Pluggy event.
pub fn verify(
    secret: Option<&str>,
    client_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<WebhookEvent, WebhookError> {
    let Some(secret) = secret else {
        return Err(WebhookError::Unverified("no Pluggy webhook secret is configured".into()));
    };
    let Some(given) = headers.get(WEBHOOK_SECRET_HEADER) else {
        return Err(WebhookError::Unverified(format!("missing {WEBHOOK_SECRET_HEADER} header")));
    };
    if !bool::from(given.as_bytes().ct_eq(secret.as_bytes())) {
        return Err(WebhookError::Unverified(format!("wrong {WEBHOOK_SECRET_HEADER} header")));
    }
    let payload: WebhookPayload = decode(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    if let Some(other) = payload.client_id.as_deref().filter(|c| *c != client_id) {
        // Not logged in full: it is the sender's claim, not ours.
        return Err(WebhookError::Unverified(format!(
            "the webhook is for another Pluggy client ({} characters)",
            other.len()
        )));
    }
    let delivery_key =
        payload.event_id.clone().filter(|id| !id.is_empty()).unwrap_or_else(|| format!("{:x}", Sha256::digest(body)));
    let item_id =
        payload.item_id.clone().or_else(|| payload.event.starts_with("item/").then(|| payload.id.clone()).flatten());
    Ok(WebhookEvent { delivery_key, action: action(&payload), event_type: payload.event, item_id })
}

/// What an event asks the app to do.
fn action(payload: &WebhookPayload) -> WebhookAction {
    match payload.event.as_str() {
        "item/updated"
        | "item/login_succeeded"
        | "transactions/created"
        | "transactions/updated"
        | "transactions/deleted" => WebhookAction::Sync,
        "item/waiting_user_input" | "item/waiting_user_action" => WebhookAction::LoginRequired { message: None },
        "item/deleted" => WebhookAction::Revoked,
        "item/error" => {
            let error = payload.error.as_ref();
            let code = error.and_then(|e| e.code.clone()).filter(|c| !c.is_empty());
            let message = error.and_then(|e| e.message.clone()).filter(|m| !m.is_empty());
            match code {
                Some(code) if is_login_problem(&code) => WebhookAction::LoginRequired { message },
                Some(code) => WebhookAction::Error { code, message },
                None => WebhookAction::Error { code: "UNKNOWN_ERROR".into(), message },
            }
        }
        _ => WebhookAction::Ignore,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: &str = "sandbox-client-id";

    fn headers(secret: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(s) = secret {
            h.insert("x-tributary-webhook-secret", s.parse().expect("header"));
        }
        h
    }

    fn check(body: serde_json::Value) -> Result<WebhookEvent, WebhookError> {
        verify(Some("s3cret"), CLIENT, &headers(Some("s3cret")), body.to_string().as_bytes())
    }

    #[test]
    fn the_secret_and_client_are_checked_first() {
        let body = br#"{"event":"item/updated","eventId":"e1","itemId":"i1","clientId":"sandbox-client-id"}"#;
        assert!(verify(Some("s3cret"), CLIENT, &headers(Some("s3cret")), body).is_ok());
        for (secret, given) in [
            (Some("s3cret"), None),
            (Some("s3cret"), Some("s3cre")),
            (Some("s3cret"), Some("nope!!")),
            (None, Some("s3cret")),
        ] {
            assert!(
                matches!(verify(secret, CLIENT, &headers(given), body), Err(WebhookError::Unverified(_))),
                "{secret:?} {given:?}"
            );
        }
        // Unverified before the body is even read.
        assert!(matches!(
            verify(Some("s3cret"), CLIENT, &headers(None), b"not json"),
            Err(WebhookError::Unverified(_))
        ));
        assert!(matches!(
            verify(Some("s3cret"), CLIENT, &headers(Some("s3cret")), b"not json"),
            Err(WebhookError::Malformed(_))
        ));
        let other = br#"{"event":"item/updated","eventId":"e1","itemId":"i1","clientId":"someone-else"}"#;
        assert!(matches!(
            verify(Some("s3cret"), CLIENT, &headers(Some("s3cret")), other),
            Err(WebhookError::Unverified(_))
        ));
    }

    #[test]
    fn events_map_to_actions() {
        use serde_json::json;
        let action_of = |body: serde_json::Value| check(body).expect("verified").action;
        for event in [
            "item/updated",
            "item/login_succeeded",
            "transactions/created",
            "transactions/updated",
            "transactions/deleted",
        ] {
            assert_eq!(action_of(json!({"event": event, "itemId": "i"})), WebhookAction::Sync, "{event}");
        }
        for event in ["item/waiting_user_input", "item/waiting_user_action"] {
            assert_eq!(action_of(json!({"event": event})), WebhookAction::LoginRequired { message: None }, "{event}");
        }
        assert_eq!(action_of(json!({"event": "item/deleted"})), WebhookAction::Revoked);
        assert_eq!(
            action_of(
                json!({"event": "item/error", "error": {"code": "INVALID_CREDENTIALS", "message": "Credenciais inválidas."}})
            ),
            WebhookAction::LoginRequired { message: Some("Credenciais inválidas.".into()) }
        );
        assert_eq!(
            action_of(json!({"event": "item/error", "error": {"code": "SITE_NOT_AVAILABLE", "message": "Fora do ar"}})),
            WebhookAction::Error { code: "SITE_NOT_AVAILABLE".into(), message: Some("Fora do ar".into()) }
        );
        for event in ["item/created", "connector/status_updated", "payment_intent/created", "something/new"] {
            assert_eq!(action_of(json!({"event": event})), WebhookAction::Ignore, "{event}");
        }
    }

    #[test]
    fn delivery_keys_and_item_ids() {
        use serde_json::json;
        let e = check(json!({"event": "item/updated", "eventId": "evt-1", "itemId": "item-1", "id": "x"})).expect("ok");
        assert_eq!(
            (e.delivery_key.as_str(), e.item_id.as_deref(), e.event_type.as_str()),
            ("evt-1", Some("item-1"), "item/updated")
        );
        let body = json!({"event": "item/deleted", "id": "item-2"}).to_string();
        let e = verify(Some("s3cret"), CLIENT, &headers(Some("s3cret")), body.as_bytes()).expect("ok");
        assert_eq!(e.delivery_key, format!("{:x}", Sha256::digest(body.as_bytes())));
        assert_eq!(e.delivery_key.len(), 64);
        assert_eq!(e.item_id.as_deref(), Some("item-2"), "the deprecated id of an item event");
        let e = check(json!({"event": "connector/status_updated", "id": "42"})).expect("ok");
        assert_eq!(e.item_id, None, "not an item");
    }
}
