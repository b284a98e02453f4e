//! Webhooks: the `/webhooks` resource, and delivering events to registered
//! webhooks and to items' own `webhookUrl`.

use std::collections::HashMap;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::errors::{bad_request, error};
use super::state::Webhook;
use super::{PluggySandbox, Shared, page};

impl PluggySandbox {
    /// Sends `event` about `item_id` to every matching registered webhook
    /// (with its headers) and to the item's own `webhookUrl` (without).
    pub(super) fn fire(&self, hooks: &[Webhook], item_id: &str, item_url: Option<&str>, event: &str, extra: Value) {
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

/// Posts `payload` to `url` in the background, retrying a refusal twice.
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

#[derive(Deserialize)]
pub(super) struct WebhookBody {
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

pub(super) async fn webhooks_list(State(sb): State<Shared>) -> Json<Value> {
    Json(page(sb.lock().webhooks.iter().map(Webhook::json).collect()))
}

pub(super) async fn webhook_create(State(sb): State<Shared>, Json(body): Json<WebhookBody>) -> Response {
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
    let mut state = sb.lock();
    state.webhooks.push(hook);
    sb.save(&mut state);
    // 200, not the 201 Pluggy's OpenAPI document lists: the official SDK
    // (pluggy-sdk) refuses any write answered with other than 200.
    Json(out).into_response()
}

pub(super) async fn webhook_get(State(sb): State<Shared>, Path(id): Path<String>) -> Response {
    match sb.lock().webhooks.iter().find(|h| h.id == id) {
        Some(h) => Json(h.json()).into_response(),
        None => error(StatusCode::NOT_FOUND, Some("WEBHOOK_NOT_FOUND"), "Webhook not found"),
    }
}

pub(super) async fn webhook_patch(
    State(sb): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<WebhookBody>,
) -> Response {
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
    let out = hook.json();
    sb.save(&mut state);
    Json(out).into_response()
}

pub(super) async fn webhook_delete(State(sb): State<Shared>, Path(id): Path<String>) -> Response {
    let mut state = sb.lock();
    let before = state.webhooks.len();
    state.webhooks.retain(|h| h.id != id);
    if state.webhooks.len() == before {
        return error(StatusCode::NOT_FOUND, Some("WEBHOOK_NOT_FOUND"), "Webhook not found");
    }
    sb.save(&mut state);
    Json(json!({"count": 1})).into_response()
}
