//! Plaid Link, emulated: the `link-initialize.js` script (defining
//! `window.Plaid.create` as Plaid's does) and the endpoints its modal calls
//! to search institutions, log in (with MFA), pick accounts and get a
//! public token. Plaid's real Link talks to Plaid's private API; these
//! `__link` endpoints play that part here.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::TimeDelta;
use serde::Deserialize;
use serde_json::{Value, json};

use super::data::{self, AccountSpec};
use super::state::{LinkLogin, LinkToken, PlaidState};
use crate::server::sandbox::asset;

use super::{LoginOutcome, MFA_CODE, NewItem, PlaidError, PlaidSandbox, check_login, create_item, ok};

const SCRIPT: &str = include_str!("link.js");
const DEMO_HTML: &str = include_str!("link_demo.html");
const DEMO_JS: &str = include_str!("link_demo.js");

/// The routes of the Link emulation (inside `/sandbox/plaid`).
pub fn router() -> Router<Arc<PlaidSandbox>> {
    Router::new()
        .route("/link-initialize.js", get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }))
        .route("/__link/demo", get(|| async { asset("text/html; charset=utf-8", DEMO_HTML) }))
        .route("/__link/demo.js", get(|| async { asset("text/javascript; charset=utf-8", DEMO_JS) }))
        .route("/__link/session", get(session))
        .route("/__link/institutions", get(institutions))
        .route("/__link/login", post(login))
        .route("/__link/mfa", post(mfa))
        .route("/__link/complete", post(complete))
}

fn invalid_link_token() -> PlaidError {
    PlaidError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "INVALID_INPUT",
        "INVALID_LINK_TOKEN",
        "provided link token is expired, has already been used, or is invalid",
        Some("This link has expired. Please start again."),
    )
}

fn link_token<'a>(state: &'a PlaidState, token: &str, sandbox: &PlaidSandbox) -> Result<&'a LinkToken, PlaidError> {
    state.link_tokens.get(token).filter(|t| t.expires_at > sandbox.clock.now()).ok_or_else(invalid_link_token)
}

fn account_summary(accounts: &[AccountSpec]) -> Vec<Value> {
    accounts
        .iter()
        .map(|a| {
            json!({
                "id": a.account_id, "name": a.name, "mask": a.mask,
                "type": a.kind.plaid_type(), "subtype": a.kind.plaid_subtype(),
            })
        })
        .collect()
}

fn institution_summary(id: &str) -> Value {
    data::institution(id).map_or(Value::Null, |i| {
        json!({
            "institution_id": i.id, "name": i.name, "primary_color": i.primary_color,
            "logo": crate::server::sandbox::png::logo_base64(i.primary_color, i.name),
        })
    })
}

#[derive(Deserialize)]
struct TokenQuery {
    token: String,
    #[serde(default)]
    query: String,
}

async fn session(
    State(sandbox): State<Arc<PlaidSandbox>>,
    Query(q): Query<TokenQuery>,
) -> Result<Json<Value>, PlaidError> {
    let state = sandbox.lock();
    let token = link_token(&state, &q.token, &sandbox)?;
    let (mode, institution, accounts) = match token.update_item.as_ref().and_then(|id| state.items.get(id)) {
        Some(item) => ("update", institution_summary(&item.institution_id), account_summary(&item.accounts())),
        None => ("new", Value::Null, Vec::new()),
    };
    ok(json!({
        "link_session_id": token.link_session_id,
        "mode": mode,
        "client_name": token.client_name,
        "language": token.language,
        "country_codes": token.country_codes,
        "institution": institution,
        "accounts": accounts,
    }))
}

async fn institutions(
    State(sandbox): State<Arc<PlaidSandbox>>,
    Query(q): Query<TokenQuery>,
) -> Result<Json<Value>, PlaidError> {
    let state = sandbox.lock();
    link_token(&state, &q.token, &sandbox)?;
    let found: Vec<Value> = data::search_institutions(&q.query)
        .into_iter()
        .map(|i| {
            json!({
                "institution_id": i.id, "name": i.name, "url": i.url, "primary_color": i.primary_color,
                "logo": crate::server::sandbox::png::logo_base64(i.primary_color, i.name),
            })
        })
        .collect();
    ok(json!({ "institutions": found }))
}

#[derive(Deserialize)]
struct LoginRequest {
    token: String,
    institution_id: String,
    username: String,
    password: String,
}

/// The accounts a login will link: the item's own in update mode.
fn login_accounts(state: &PlaidState, token: &LinkToken, institution_id: &str, username: &str) -> Vec<AccountSpec> {
    match token.update_item.as_ref().and_then(|id| state.items.get(id)) {
        Some(item) => item.accounts(),
        None => data::accounts(&format!("pending/{username}"), &format!("{institution_id}/{username}")),
    }
}

async fn login(
    State(sandbox): State<Arc<PlaidSandbox>>,
    _headers: HeaderMap,
    Json(request): Json<LoginRequest>,
) -> Result<Json<Value>, PlaidError> {
    let now = sandbox.clock.now();
    let mut state = sandbox.lock();
    let token = link_token(&state, &request.token, &sandbox)?.clone();
    let institution_id = match token.update_item.as_ref().and_then(|id| state.items.get(id)) {
        Some(item) => item.institution_id.clone(),
        None => data::institution(&request.institution_id)
            .ok_or_else(|| PlaidError::invalid_input("INVALID_INSTITUTION", "invalid institution_id provided"))?
            .id
            .to_owned(),
    };
    let outcome = check_login(&request.username, &request.password);
    let mfa_pending = match outcome {
        LoginOutcome::Fails(e) => return Err(e),
        LoginOutcome::Mfa => true,
        LoginOutcome::Ok => false,
    };
    let login_token = uuid::Uuid::new_v4().to_string();
    let accounts = login_accounts(&state, &token, &institution_id, &request.username);
    state.logins.insert(
        login_token.clone(),
        LinkLogin {
            link_token: request.token,
            institution_id,
            username: request.username,
            mfa_pending,
            expires_at: now + TimeDelta::minutes(30),
        },
    );
    sandbox.save(&mut state);
    ok(if mfa_pending {
        json!({
            "status": "mfa", "login_token": login_token,
            "mfa": { "type": "device", "message": format!("Enter the code sent to your phone (sandbox: {MFA_CODE})") },
        })
    } else {
        json!({ "status": "ok", "login_token": login_token, "accounts": account_summary(&accounts) })
    })
}

#[derive(Deserialize)]
struct MfaRequest {
    token: String,
    login_token: String,
    code: String,
}

async fn mfa(
    State(sandbox): State<Arc<PlaidSandbox>>,
    Json(request): Json<MfaRequest>,
) -> Result<Json<Value>, PlaidError> {
    let mut state = sandbox.lock();
    let token = link_token(&state, &request.token, &sandbox)?.clone();
    let login = state
        .logins
        .get_mut(&request.login_token)
        .filter(|l| l.link_token == request.token)
        .ok_or_else(invalid_link_token)?;
    if request.code.trim() != MFA_CODE {
        return Err(PlaidError::item_error(
            "INVALID_MFA",
            "the provided MFA responses were not correct",
            "The code you entered is not correct. Please try again.",
        ));
    }
    login.mfa_pending = false;
    let (institution_id, username) = (login.institution_id.clone(), login.username.clone());
    let accounts = login_accounts(&state, &token, &institution_id, &username);
    sandbox.save(&mut state);
    ok(json!({ "status": "ok", "login_token": request.login_token, "accounts": account_summary(&accounts) }))
}

#[derive(Deserialize)]
struct CompleteRequest {
    token: String,
    login_token: String,
    #[serde(default)]
    account_ids: Vec<String>,
}

async fn complete(
    State(sandbox): State<Arc<PlaidSandbox>>,
    Json(request): Json<CompleteRequest>,
) -> Result<Json<Value>, PlaidError> {
    let now = sandbox.clock.now();
    let mut state = sandbox.lock();
    let token = link_token(&state, &request.token, &sandbox)?.clone();
    let login = state
        .logins
        .remove(&request.login_token)
        .filter(|l| l.link_token == request.token && !l.mfa_pending)
        .ok_or_else(invalid_link_token)?;
    let (public_token, accounts) = match token.update_item.clone() {
        Some(item_id) => {
            let item = state.items.get_mut(&item_id).filter(|i| !i.removed).ok_or_else(invalid_link_token)?;
            item.login_required = false;
            item.permission_revoked = false;
            let accounts = item.accounts();
            let public_token = format!("public-sandbox-{}", uuid::Uuid::new_v4());
            state.public_tokens.insert(
                public_token.clone(),
                super::state::PublicToken { item_id, expires_at: now + super::PUBLIC_TOKEN_LIFE, used: false },
            );
            (public_token, accounts)
        }
        None => {
            let all = login_accounts(&state, &token, &login.institution_id, &login.username);
            let chosen: Vec<usize> = all
                .iter()
                .filter(|a| request.account_ids.is_empty() || request.account_ids.contains(&a.account_id))
                .map(|a| a.index)
                .collect();
            if chosen.is_empty() {
                return Err(PlaidError::invalid_request("INVALID_FIELD", "choose at least one account"));
            }
            let public_token = create_item(
                &mut state,
                now,
                NewItem {
                    institution_id: login.institution_id.clone(),
                    username: login.username.clone(),
                    webhook: token.webhook.clone(),
                    products: token.products.clone(),
                    days_requested: token.days_requested,
                    selected_accounts: Some(chosen),
                },
            );
            let item_id = state.public_tokens.get(&public_token).map(|p| p.item_id.clone()).unwrap_or_default();
            let accounts = state.items.get(&item_id).map(super::state::Item::accounts).unwrap_or_default();
            (public_token, accounts)
        }
    };
    state.link_tokens.remove(&request.token);
    sandbox.save(&mut state);
    let institution = data::institution(&login.institution_id);
    let accounts: Vec<Value> = account_summary(&accounts)
        .into_iter()
        .map(|mut a| {
            a["verification_status"] = Value::Null;
            a["class_type"] = Value::Null;
            a
        })
        .collect();
    ok(json!({
        "public_token": public_token,
        "link_session_id": token.link_session_id,
        "institution": institution.map(|i| json!({ "name": i.name, "institution_id": i.id })),
        "accounts": accounts,
    }))
}
