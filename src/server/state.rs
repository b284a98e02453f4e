//! The state every handler and server function can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::server::config::Config;
use crate::server::crypto::Keyring;
use crate::server::sandbox::Sandbox;
use crate::server::store::Store;
use crate::server::sync::SyncEngine;

/// Shared, cheap to clone. Server functions get it with
/// `expect_context::<AppState>()`; axum handlers with `State<AppState>`.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub keyring: Arc<Keyring>,
    /// The provider emulations, when any provider runs without keys.
    pub sandbox: Option<Sandbox>,
    /// The providers and the sync queue.
    pub sync: SyncEngine,
}
