//! The sandbox: faithful local emulations of the providers' APIs and widgets,
//! used when no provider keys are configured, by the tests, and by anyone
//! trying Tributary offline. Mounted at `/sandbox/plaid` (and
//! `/sandbox/pluggy`) on the app, or served alone by `tributary sandbox`.

pub mod clock;
pub mod faults;
pub mod plaid;
pub mod png;
pub mod rng;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;

use self::clock::Clock;
use self::plaid::PlaidSandbox;

/// The emulated providers.
#[derive(Clone)]
pub struct Sandbox {
    pub clock: Arc<Clock>,
    pub plaid: Arc<PlaidSandbox>,
}

impl Sandbox {
    /// A sandbox accepting `plaid_credentials`, remembering its items under
    /// `state_dir` when given (so they survive a restart).
    pub fn new(plaid_credentials: (String, String), state_dir: Option<&Path>) -> Self {
        let clock = Arc::new(Clock::default());
        let plaid = PlaidSandbox::new(
            plaid_credentials.0,
            plaid_credentials.1,
            state_dir.map(|d| d.join("sandbox-plaid.json")),
            clock.clone(),
        );
        Self { clock, plaid }
    }

    /// The routes to mount at `/sandbox`.
    pub fn router(&self) -> Router {
        Router::new().nest("/plaid", plaid::router(self.plaid.clone()))
    }

    /// Starts the background work: announcing new transactions by webhook.
    pub fn spawn_tasks(&self) -> tokio::task::JoinHandle<()> {
        let plaid = self.plaid.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            loop {
                tick.tick().await;
                plaid.announce_updates();
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
    println!("Sandbox listening on http://{local}/sandbox/plaid");
    let served = axum::serve(listener, app).await;
    tasks.abort();
    served.map_err(|e| format!("sandbox server error: {e}"))
}
