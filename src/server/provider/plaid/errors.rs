//! Plaid's error answers in the app's terms: the error object
//! (`error_type`, `error_code`, `error_message`, `display_message`) becomes
//! a [`ProviderError::Api`] whose [`ApiErrorKind`] says what the app should
//! do (DESIGN §5). Plaid asks clients to branch on `error_type` and
//! `error_code`, not on the HTTP status (PLAID.md §2); the status only
//! decides for codes this table does not know.

use std::time::Duration;

use super::api::PlaidError;
use crate::server::provider::{ApiErrorKind, ProviderError};

/// Codes only the user can fix, by logging in again through Link's update
/// mode. `ITEM_LOGIN_REQUIRED` is the one Plaid sends for existing items
/// (credentials changed, MFA needed, OAuth consent invalidated, or the
/// sandbox's 30-day reset); the others are login failures Plaid reports
/// for an item whose stored login stopped working, and they are fixed the
/// same way (after, for `ITEM_LOCKED` / `USER_SETUP_REQUIRED` /
/// `PASSWORD_RESET_REQUIRED`, a visit to the bank's site). Not here:
/// `PENDING_EXPIRATION` / `PENDING_DISCONNECT`, which are webhook codes
/// announcing a future end, not errors.
const LOGIN_REQUIRED: &[&str] = &[
    "ITEM_LOGIN_REQUIRED",
    "INVALID_CREDENTIALS",
    "INVALID_MFA",
    "INVALID_UPDATED_USERNAME",
    "ITEM_LOCKED",
    "USER_SETUP_REQUIRED",
    "PASSWORD_RESET_REQUIRED",
];

/// Consent withdrawn or the item gone at Plaid: syncing cannot resume.
const REVOKED: &[&str] = &["USER_PERMISSION_REVOKED", "ACCESS_NOT_GRANTED", "ITEM_NOT_FOUND"];

/// Codes that mean "try again later". `PRODUCT_NOT_READY` is Plaid's "the
/// data is not ready yet, try again later" (its `error_type` is
/// `ITEM_ERROR`, so the type alone would call it permanent).
const TRANSIENT: &[&str] = &[
    "INTERNAL_SERVER_ERROR",
    "PLANNED_MAINTENANCE",
    "INSTITUTION_DOWN",
    "INSTITUTION_NOT_RESPONDING",
    "PRODUCT_NOT_READY",
];

/// `INSTITUTION_ERROR`s that will not go away by waiting.
const PERMANENT_INSTITUTION: &[&str] = &["INSTITUTION_NO_LONGER_SUPPORTED"];

/// What an error with this status, type and code means for the app.
pub fn classify(status: u16, error_type: &str, error_code: &str) -> ApiErrorKind {
    if error_type == "RATE_LIMIT_EXCEEDED" || status == 429 {
        ApiErrorKind::RateLimited
    } else if error_code == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION" {
        ApiErrorKind::RestartPagination
    } else if LOGIN_REQUIRED.contains(&error_code) {
        ApiErrorKind::LoginRequired
    } else if REVOKED.contains(&error_code) {
        ApiErrorKind::Revoked
    } else if PERMANENT_INSTITUTION.contains(&error_code) {
        ApiErrorKind::Permanent
    } else if matches!(error_type, "API_ERROR" | "INSTITUTION_ERROR")
        || TRANSIENT.contains(&error_code)
        || (500..=599).contains(&status)
    {
        ApiErrorKind::Transient
    } else {
        ApiErrorKind::Permanent
    }
}

/// A Plaid error object (from a body, `item.error` or a webhook) as a
/// [`ProviderError`], `status` being the HTTP status it came with.
pub fn from_object(status: u16, error: &PlaidError, retry_after: Option<Duration>) -> ProviderError {
    ProviderError::Api {
        status,
        code: error.error_code.clone(),
        message: error.error_message.clone(),
        display_message: error.display_message.clone().filter(|m| !m.trim().is_empty()),
        kind: classify(status, &error.error_type, &error.error_code),
        retry_after,
    }
}

/// The [`ErrorMapper`](crate::server::provider::http::ErrorMapper) for
/// Plaid: the error object when the body is one, otherwise an error named
/// `HTTP_<status>` whose kind follows the status (a proxy's 502 page, an
/// empty 503).
pub fn map_error(status: u16, body: &[u8], retry_after: Option<Duration>) -> ProviderError {
    match serde_json::from_slice::<PlaidError>(body) {
        Ok(error) if !error.error_code.is_empty() => from_object(status, &error, retry_after),
        _ => ProviderError::Api {
            status,
            code: format!("HTTP_{status}"),
            // The body is not echoed: it is not Plaid's and may be large.
            message: format!("Plaid answered HTTP {status} without a Plaid error object"),
            display_message: None,
            kind: classify(status, "", ""),
            retry_after,
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn kind_of(status: u16, error_type: &str, error_code: &str) -> ApiErrorKind {
        let body = json!({
            "error_type": error_type, "error_code": error_code, "error_message": "m",
            "display_message": null, "request_id": "r",
        });
        map_error(status, body.to_string().as_bytes(), None).kind()
    }

    #[test]
    fn the_mapping_table() {
        use ApiErrorKind::*;
        let table = [
            (429, "RATE_LIMIT_EXCEEDED", "TRANSACTIONS_SYNC_LIMIT", RateLimited),
            (429, "RATE_LIMIT_EXCEEDED", "RATE_LIMIT", RateLimited),
            (400, "RATE_LIMIT_EXCEEDED", "ITEM_GET_LIMIT", RateLimited),
            (429, "INVALID_REQUEST", "SOMETHING_NEW", RateLimited),
            (400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED", LoginRequired),
            (400, "ITEM_ERROR", "ITEM_LOCKED", LoginRequired),
            (400, "ITEM_ERROR", "INVALID_CREDENTIALS", LoginRequired),
            (400, "TRANSACTIONS_ERROR", "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", RestartPagination),
            (400, "ITEM_ERROR", "USER_PERMISSION_REVOKED", Revoked),
            (400, "ITEM_ERROR", "ACCESS_NOT_GRANTED", Revoked),
            (400, "ITEM_ERROR", "ITEM_NOT_FOUND", Revoked),
            (500, "API_ERROR", "INTERNAL_SERVER_ERROR", Transient),
            (400, "API_ERROR", "PLANNED_MAINTENANCE", Transient),
            (400, "INSTITUTION_ERROR", "INSTITUTION_DOWN", Transient),
            (400, "INSTITUTION_ERROR", "INSTITUTION_NOT_RESPONDING", Transient),
            (400, "INSTITUTION_ERROR", "SOMETHING_NEW", Transient),
            (400, "INSTITUTION_ERROR", "INSTITUTION_NO_LONGER_SUPPORTED", Permanent),
            (400, "ITEM_ERROR", "PRODUCT_NOT_READY", Transient),
            (503, "SOMETHING_NEW", "SOMETHING_NEW", Transient),
            (400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN", Permanent),
            (400, "INVALID_INPUT", "INVALID_API_KEYS", Permanent),
            (400, "INVALID_REQUEST", "MISSING_FIELDS", Permanent),
            (400, "ITEM_ERROR", "NO_ACCOUNTS", Permanent),
            (400, "SOMETHING_NEW", "SOMETHING_NEW", Permanent),
        ];
        for (status, error_type, code, expected) in table {
            assert_eq!(kind_of(status, error_type, code), expected, "{status} {error_type} {code}");
        }
    }

    #[test]
    fn the_error_object_is_kept() {
        let body = json!({
            "error_type": "ITEM_ERROR", "error_code": "ITEM_LOGIN_REQUIRED",
            "error_code_reason": "OAUTH_INVALID_TOKEN", "error_message": "the login details of this item have changed",
            "display_message": "Please log in again.", "request_id": "abc", "suggested_action": null,
        });
        let error = map_error(400, body.to_string().as_bytes(), Some(Duration::from_secs(3)));
        match error {
            ProviderError::Api { status, code, message, display_message, kind, retry_after } => {
                assert_eq!((status, code.as_str()), (400, "ITEM_LOGIN_REQUIRED"));
                assert_eq!(message, "the login details of this item have changed");
                assert_eq!(display_message.as_deref(), Some("Please log in again."));
                assert_eq!(kind, ApiErrorKind::LoginRequired);
                assert_eq!(retry_after, Some(Duration::from_secs(3)));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_body_that_is_not_a_plaid_error_still_maps() {
        for (status, body, kind) in [
            (502, &b"<html>Bad Gateway</html>"[..], ApiErrorKind::Transient),
            (503, b"", ApiErrorKind::Transient),
            (429, b"slow down", ApiErrorKind::RateLimited),
            (404, br#"{"message":"not found"}"#, ApiErrorKind::Permanent),
            (400, br#"{"error_code":""}"#, ApiErrorKind::Permanent),
        ] {
            let error = map_error(status, body, None);
            assert_eq!(error.code(), format!("HTTP_{status}"));
            assert_eq!(error.kind(), kind, "{status}");
            assert!(matches!(error, ProviderError::Api { display_message: None, .. }));
        }
    }

    #[test]
    fn an_empty_display_message_is_none() {
        let body =
            json!({ "error_type": "INVALID_INPUT", "error_code": "X", "error_message": "m", "display_message": " " });
        let error = map_error(400, body.to_string().as_bytes(), None);
        assert!(matches!(error, ProviderError::Api { display_message: None, .. }));
    }
}
