//! The sandbox: faithful local emulations of the providers' APIs and widgets,
//! used when no provider keys are configured, by the tests, and by anyone
//! trying Tributary offline. Mounted at `/sandbox/plaid` (and
//! `/sandbox/pluggy`) on the app, or served alone by `tributary sandbox`.

pub mod clock;
pub mod faults;
pub mod plaid;
pub mod pluggy;
pub mod png;
pub mod rng;
#[cfg(test)]
pub(crate) mod schema_check;
#[cfg(test)]
pub(crate) mod test_support;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::{Json, Router};
use chrono::SecondsFormat;

use self::clock::Clock;
use self::faults::{FaultRule, Faults};
use self::plaid::PlaidSandbox;
use self::pluggy::PluggySandbox;

/// What every provider emulation shares with the control API.
pub trait Emulator: Send + Sync + 'static {
    /// The sandbox clock the emulation reads.
    fn clock(&self) -> &Clock;
    /// Its pending injected faults.
    fn faults(&self) -> &Faults;
}

/// `GET /__control/clock`: the sandbox's current time.
pub async fn control_clock_now<E: Emulator>(State(emulator): State<Arc<E>>) -> Json<serde_json::Value> {
    let now = emulator.clock().now().to_rfc3339_opts(SecondsFormat::Millis, true);
    Json(serde_json::json!({ "now": now }))
}

/// `POST /__control/faults`: the next N calls of a path fail.
pub async fn control_faults_add<E: Emulator>(
    State(emulator): State<Arc<E>>,
    Json(rule): Json<FaultRule>,
) -> StatusCode {
    emulator.faults().add(rule);
    StatusCode::NO_CONTENT
}

/// `DELETE /__control/faults`: forget every pending fault.
pub async fn control_faults_clear<E: Emulator>(State(emulator): State<Arc<E>>) -> StatusCode {
    emulator.faults().clear();
    StatusCode::NO_CONTENT
}

/// A widget script or page, served fresh every time.
pub fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

/// The emulated providers.
#[derive(Clone)]
pub struct Sandbox {
    pub clock: Arc<Clock>,
    pub plaid: Arc<PlaidSandbox>,
    pub pluggy: Arc<PluggySandbox>,
}

impl Sandbox {
    /// A sandbox accepting `plaid_credentials` and `pluggy_credentials`,
    /// remembering its items under `state_dir` when given, so they survive a
    /// restart: Plaid's in `sandbox-plaid.json`, Pluggy's (with its
    /// webhooks, signing key and time) in `sandbox-pluggy.json`. The clock
    /// resumes no earlier than the time saved in the latter.
    pub fn new(
        plaid_credentials: (String, String),
        pluggy_credentials: (String, String),
        state_dir: Option<&Path>,
    ) -> Self {
        let clock = Arc::new(Clock::default());
        let plaid = PlaidSandbox::new(
            plaid_credentials.0,
            plaid_credentials.1,
            state_dir.map(|d| d.join("sandbox-plaid.json")),
            clock.clone(),
        );
        let pluggy = PluggySandbox::new(
            pluggy_credentials.0,
            pluggy_credentials.1,
            state_dir.map(|d| d.join("sandbox-pluggy.json")),
            clock.clone(),
        );
        Self { clock, plaid, pluggy }
    }

    /// The routes to mount at `/sandbox`.
    pub fn router(&self) -> Router {
        Router::new()
            .nest("/plaid", plaid::router(self.plaid.clone()))
            .nest("/pluggy", pluggy::router(self.pluggy.clone()))
    }

    /// Starts the background work: announcing new transactions by webhook,
    /// and moving Pluggy items along (every second: their runs take seconds).
    pub fn spawn_tasks(&self) -> tokio::task::JoinHandle<()> {
        let plaid = self.plaid.clone();
        let pluggy = self.pluggy.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            let mut n: u64 = 0;
            loop {
                tick.tick().await;
                if n.is_multiple_of(30) {
                    plaid.announce_updates();
                    pluggy.tick();
                } else {
                    pluggy.tick_items();
                }
                n = n.wrapping_add(1);
            }
        })
    }
}

/// `tributary sandbox`: serves only the emulators on `addr` until stopped.
///
/// # Errors
/// The address cannot be bound.
pub async fn serve_alone(addr: SocketAddr, sandbox: Sandbox) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let tasks = sandbox.spawn_tasks();
    let app = Router::new().nest("/sandbox", sandbox.router());
    println!("Sandbox listening on http://{local}/sandbox/plaid and http://{local}/sandbox/pluggy");
    let served = axum::serve(listener, app).await;
    tasks.abort();
    served.map_err(|e| format!("sandbox server error: {e}"))
}
