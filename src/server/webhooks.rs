//! Provider webhooks (DESIGN §7, issue #5 §5): verified before anything is
//! trusted, recorded once (replays are recognised and ignored), answered
//! at once; the sync they ask for runs later from the queue.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use serde_json::json;

use crate::model::{ConnectionStatus, ProviderKind};
use crate::server::provider::{WebhookAction, WebhookError, WebhookEvent};
use crate::server::state::AppState;
use crate::server::store::StoreError;
use crate::server::store::bank::StatusChange;
use crate::server::store::jobs::{SyncTrigger, WebhookDelivery};

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/plaid/webhook", post(plaid)).route("/api/pluggy/webhook", post(pluggy))
}

async fn plaid(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    receive(&state, ProviderKind::Plaid, &headers, &body).await
}

async fn pluggy(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    receive(&state, ProviderKind::Pluggy, &headers, &body).await
}

fn answer(status: StatusCode, outcome: &str) -> Response {
    (status, Json(json!({ "status": outcome }))).into_response()
}

/// Verifies, records and acts on one delivery.
pub async fn receive(state: &AppState, kind: ProviderKind, headers: &HeaderMap, body: &[u8]) -> Response {
    let Some(provider) = state.sync.providers.get(kind) else {
        return answer(StatusCode::NOT_FOUND, "provider not configured");
    };
    let event = match provider.verify_webhook(headers, body).await {
        Ok(event) => event,
        Err(WebhookError::Unverified(reason)) => {
            // Nothing is stored for an unverified delivery: only this line.
            tracing::warn!(provider = kind.as_str(), reason, "webhook refused: not verified");
            return answer(StatusCode::UNAUTHORIZED, "unverified");
        }
        Err(WebhookError::Malformed(reason)) => {
            tracing::warn!(provider = kind.as_str(), reason, "webhook refused: malformed");
            return answer(StatusCode::BAD_REQUEST, "malformed");
        }
        Err(WebhookError::Provider(e)) => {
            // We could not check it (e.g. the key could not be fetched): the
            // provider will deliver it again.
            tracing::error!(provider = kind.as_str(), error = %e, "webhook could not be verified");
            return answer(StatusCode::SERVICE_UNAVAILABLE, "try again");
        }
    };
    match handle(state, kind, &event).await {
        Ok(outcome) => {
            tracing::info!(provider = kind.as_str(), event = event.event_type, outcome, "webhook handled");
            answer(StatusCode::OK, outcome)
        }
        Err(e) => {
            tracing::error!(provider = kind.as_str(), error = %e, "webhook could not be recorded");
            answer(StatusCode::SERVICE_UNAVAILABLE, "try again")
        }
    }
}

async fn handle(state: &AppState, kind: ProviderKind, event: &WebhookEvent) -> Result<&'static str, StoreError> {
    let now = Utc::now();
    let delivery = WebhookDelivery {
        provider: kind,
        delivery_key: event.delivery_key.clone(),
        verified: true,
        event_type: Some(event.event_type.clone()),
        item_id: event.item_id.clone(),
        received_at: now,
    };
    let Some(id) = state.store.record_webhook(&delivery).await? else {
        return Ok("duplicate");
    };
    let connection = match &event.item_id {
        Some(item) => state.store.connection_by_item(kind, item).await?,
        None => None,
    };
    let outcome = match (connection, &event.action) {
        (_, WebhookAction::Ignore) => "ignored",
        (None, _) => "unknown item",
        (Some(c), WebhookAction::Sync) => {
            state.sync.request(c.id, SyncTrigger::Webhook).await?;
            "sync queued"
        }
        (Some(c), action) => {
            let change = status_change(action);
            state.store.set_connection_status(c.id, &change).await?;
            "status changed"
        }
    };
    state.store.finish_webhook(id, outcome, now).await?;
    Ok(outcome)
}

/// The health a webhook reports (DESIGN §5).
fn status_change(action: &WebhookAction) -> StatusChange {
    match action {
        WebhookAction::LoginRequired { message } => StatusChange {
            detail: Some(message.clone().unwrap_or_else(|| "The bank needs you to sign in again.".into())),
            error_code: Some("ITEM_LOGIN_REQUIRED".into()),
            ..StatusChange::to(ConnectionStatus::NeedsRelink)
        },
        WebhookAction::Expiring { at } => StatusChange {
            detail: Some(match at {
                Some(at) => format!("Access to this bank ends on {}. Relink to keep it.", at.format("%Y-%m-%d")),
                None => "Access to this bank ends soon. Relink to keep it.".into(),
            }),
            consent_expires_at: *at,
            ..StatusChange::to(ConnectionStatus::Expiring)
        },
        WebhookAction::Revoked => StatusChange {
            detail: Some("Access to this bank was revoked. Relink to connect it again.".into()),
            ..StatusChange::to(ConnectionStatus::Revoked)
        },
        WebhookAction::Error { code, message } => StatusChange {
            detail: Some(message.clone().unwrap_or_else(|| "The bank connection reported an error.".into())),
            error_code: Some(code.clone()),
            ..StatusChange::to(ConnectionStatus::Error)
        },
        WebhookAction::Sync | WebhookAction::Ignore => StatusChange::to(ConnectionStatus::Active),
    }
}
