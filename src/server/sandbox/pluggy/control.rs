//! The control API tests drive the sandbox with (`/__control/…`: move the
//! clock, break an item) and the middleware that applies injected faults.

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use chrono::TimeDelta;
use serde::Deserialize;
use serde_json::json;

use super::accounts::find_account;
use super::data::iso;
use super::errors::{bad_request, error, item_not_found};
use super::items::item_json;
use super::{PluggySandbox, Shared};
use crate::server::sandbox::faults::FaultKind;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ClockRequest {
    #[serde(default)]
    seconds: i64,
    #[serde(default)]
    days: i64,
    #[serde(default, alias = "item_id")]
    item_id: Option<String>,
}

pub(super) async fn control_clock(State(sb): State<Shared>, Json(req): Json<ClockRequest>) -> Response {
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
    // Saved even when nothing was announced: the new time is remembered.
    sb.save(&mut sb.lock());
    Json(json!({"now": iso(now)})).into_response()
}

#[derive(Deserialize)]
pub(super) struct ForceStatus {
    status: String,
}

/// `POST /__control/items/{id}/status {"status":"LOGIN_ERROR"|"OUTDATED"}`:
/// breaks an item, for relink tests; a PATCH (the widget's update) heals it.
pub(super) async fn control_item_status(
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
    sb.save(&mut state);
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
pub(super) async fn inject_faults(State(sb): State<Shared>, req: Request, next: Next) -> Response {
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
