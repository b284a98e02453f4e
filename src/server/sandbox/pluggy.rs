//! A local emulation of Pluggy's API (`/sandbox/pluggy`): Pluggy's paths,
//! camelCase JSON, statuses and error shape (see `shared/specs/PLUGGY.md`),
//! over the deterministic world of [`data`]. Items progress by the sandbox
//! clock, so a test can move time instead of sleeping.
//!
//! One module per concern: [`auth`] (API keys, connect tokens and what they
//! may reach), [`connectors`], [`items`] (an item's run and its endpoints),
//! [`accounts`], [`transactions`], [`webhooks`] (the `/webhooks` resource and
//! delivery), [`updates`] (moving items along and announcing changes),
//! [`control`] (the test control API and injected faults), [`errors`]
//! (Pluggy's error shape) and [`state`] (what the sandbox remembers).

pub mod accounts;
pub mod auth;
pub mod connectors;
pub mod control;
pub mod data;
pub mod errors;
pub mod items;
pub mod state;
pub mod transactions;
pub mod updates;
pub mod webhooks;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::routing::{get, post};
use serde_json::{Value, json};

use self::state::PluggyState;
use crate::server::sandbox::clock::Clock;
use crate::server::sandbox::faults::Faults;
use crate::server::sandbox::{Emulator, asset, control_clock_now, control_faults_add, control_faults_clear};

/// The client id the sandbox accepts unless told otherwise.
pub const DEFAULT_CLIENT_ID: &str = "sandbox-client-id";
/// The client secret the sandbox accepts unless told otherwise.
pub const DEFAULT_CLIENT_SECRET: &str = "sandbox-client-secret";
/// The sandbox MFA token.
pub const MFA_TOKEN: &str = "123456";

/// The Pluggy sandbox.
pub struct PluggySandbox {
    state: Mutex<PluggyState>,
    /// Where the state is saved, if anywhere.
    snapshot: Option<PathBuf>,
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
    /// A sandbox accepting `client_id`/`client_secret`, remembering its
    /// items, webhooks and signing key in `snapshot` when given.
    ///
    /// `clock` is moved forward to the saved state's time if it is behind
    /// (after a restart that followed a jump of the clock): items hold
    /// sandbox times, and the sandbox's time never runs back.
    pub fn new(client_id: String, client_secret: String, snapshot: Option<PathBuf>, clock: Arc<Clock>) -> Arc<Self> {
        let state = PluggyState::load(snapshot.as_deref());
        if let Some(saved) = state.saved_at {
            let behind = (saved - clock.now()).num_milliseconds();
            if behind > 0 {
                clock.advance(behind / 1000 + 1);
            }
        }
        Arc::new(Self {
            jwt_secret: state.signing_key.0,
            state: Mutex::new(state),
            snapshot,
            clock,
            faults: Faults::default(),
            http: reqwest::Client::new(),
            client_id,
            client_secret,
        })
    }

    fn lock(&self) -> MutexGuard<'_, PluggyState> {
        // Every write is a whole-value update, so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Saves `state`, stamped with the sandbox's time, if a file is
    /// configured. Callers hold the lock, so saves land in order.
    fn save(&self, state: &mut PluggyState) {
        let Some(path) = &self.snapshot else { return };
        state.saved_at = Some(self.clock.now());
        state.save(path);
    }
}

/// A one-page list in Pluggy's page shape.
fn page(results: Vec<Value>) -> Value {
    let total = results.len();
    json!({"page": 1, "total": total, "totalPages": 1, "results": results})
}

/// The Pluggy sandbox's routes, to mount at `/sandbox/pluggy`.
pub fn router(sandbox: Arc<PluggySandbox>) -> Router {
    let webhooks = Router::new()
        .route("/webhooks", post(webhooks::webhook_create).get(webhooks::webhooks_list))
        .route(
            "/webhooks/{id}",
            get(webhooks::webhook_get).patch(webhooks::webhook_patch).delete(webhooks::webhook_delete),
        )
        .route("/transactions", get(transactions::transactions_page))
        .route("/transactions/{id}", get(transactions::transaction_get))
        .route("/v2/transactions", get(transactions::transactions_v2))
        .route("/accounts/{id}", get(accounts::account_get))
        .route("/categories", get(connectors::categories))
        .layer(axum::middleware::from_fn(auth::api_key_only));
    let api = Router::new()
        .route("/auth", post(auth::auth))
        .route("/connect_token", post(auth::connect_token))
        .route("/connectors", get(connectors::connectors))
        .route("/connectors/{id}", get(connectors::connector_get))
        .route("/items", post(items::item_create))
        .route("/items/{id}", get(items::item_get).patch(items::item_patch).delete(items::item_delete))
        .route("/items/{id}/mfa", post(items::item_mfa))
        .route("/accounts", get(accounts::accounts))
        .merge(webhooks)
        .layer(axum::middleware::from_fn_with_state(sandbox.clone(), auth::require_key))
        .layer(axum::middleware::from_fn_with_state(sandbox.clone(), control::inject_faults))
        .layer(axum::middleware::from_fn(errors::json_errors));
    Router::new()
        .merge(api)
        .route("/__connectors/{id}/logo.png", get(connectors::connector_logo))
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
        .route("/__control/clock", post(control::control_clock).get(control_clock_now::<PluggySandbox>))
        .route(
            "/__control/faults",
            post(control_faults_add::<PluggySandbox>).delete(control_faults_clear::<PluggySandbox>),
        )
        .route("/__control/items/{id}/status", post(control::control_item_status))
        .with_state(sandbox)
}

#[cfg(test)]
mod tests;
