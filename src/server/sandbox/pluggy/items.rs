//! Items: an item's run (login, MFA, accounts, transactions) laid out on
//! the sandbox clock, and the `/items` endpoints.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use axum::{Extension, Json};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Claims, may_see};
use super::data::{self, iso};
use super::errors::{bad_request, error, forbidden, item_not_found};
use super::state::ItemRec;
use super::{MFA_TOKEN, PluggySandbox, Shared};

/// How long each step of an item's run takes (sandbox clock).
const STEP: TimeDelta = TimeDelta::milliseconds(1500);

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

pub(super) fn progress(item: &ItemRec, now: DateTime<Utc>) -> Progress {
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

pub(super) fn item_json(sb: &PluggySandbox, item: &ItemRec, base: &str) -> Value {
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
pub(super) struct CreateItem {
    connector_id: Value,
    #[serde(default)]
    parameters: Value,
    webhook_url: Option<String>,
    client_user_id: Option<String>,
    products: Option<Vec<String>>,
}

pub(super) async fn item_create(
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
    sb.save(&mut state);
    drop(state);
    sb.fire(&hooks, &id, url.as_deref(), "item/created", json!({}));
    Json(body).into_response()
}

pub(super) async fn item_get(
    State(sb): State<Shared>,
    Extension(claims): Extension<Claims>,
    Path(id): Path<String>,
) -> Response {
    let state = sb.lock();
    match state.items.get(&id).filter(|i| may_see(&claims, i)) {
        Some(item) => Json(item_json(&sb, item, &state.base)).into_response(),
        None => item_not_found(),
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpdateItem {
    parameters: Option<Value>,
    webhook_url: Option<String>,
    client_user_id: Option<String>,
}

pub(super) async fn item_patch(
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
    let out = item_json(&sb, item, &base);
    sb.save(&mut state);
    Json(out).into_response()
}

pub(super) async fn item_mfa(
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
    let answered = item.mfa_at.is_some();
    let mut out = item_json(&sb, item, &base);
    sb.save(&mut state);
    if answered {
        // The widget expects the answer to show the run going on.
        out["status"] = json!("UPDATING");
        out["executionStatus"] = json!("LOGIN_MFA_IN_PROGRESS");
    }
    Json(out).into_response()
}

pub(super) async fn item_delete(
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
    sb.save(&mut state);
    let hooks = state.webhooks.clone();
    drop(state);
    sb.fire(&hooks, &item.id, item.webhook_url.as_deref(), "item/deleted", json!({}));
    Json(json!({"count": 1})).into_response()
}
