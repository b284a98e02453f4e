//! Putting the parts together: the provider clients from the configuration
//! (the real APIs with keys, else the in-app sandbox over HTTP), the sync
//! engine, its workers and scheduler, and Pluggy's webhook registration.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use rand::RngCore as _;
use tokio::task::JoinHandle;

use crate::server::config::Config;
use crate::server::crypto::Keyring;
use crate::server::provider::plaid::{PlaidProvider, PlaidSettings};
use crate::server::provider::pluggy::{self, PluggyProvider, PluggySettings};
use crate::server::provider::{Provider, Providers};
use crate::server::sandbox;
use crate::server::store::{SecretSlot, Store};
use crate::server::sync::{SyncEngine, SyncSettings, scheduler, worker};

/// The app secret holding the header value Pluggy's webhooks must carry.
const PLUGGY_WEBHOOK_SECRET: &str = "pluggy_webhook_secret";
/// How long a provider call may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(30);
/// Sync workers per process.
pub const WORKERS: usize = 2;

/// The configured providers, and Pluggy's client by its own type (for the
/// webhook set-up).
pub struct ProviderSet {
    pub providers: Providers,
    pub pluggy: Arc<PluggyProvider>,
}

/// Builds both provider clients. `sandbox_base` is where the emulations
/// answer (`http://host:port`, without `/sandbox`), for providers without keys.
///
/// # Errors
/// A client cannot be built.
pub fn providers(config: &Config, sandbox_base: &str) -> Result<ProviderSet, String> {
    let mode = config.sandbox();
    let sandbox_base = sandbox_base.trim_end_matches('/');
    let (plaid_url, plaid_id, plaid_secret) = match (&config.plaid_client_id, &config.plaid_secret) {
        (Some(id), Some(secret)) if !mode.plaid => {
            (config.plaid_env.base_url().to_owned(), id.clone(), secret.expose().to_owned())
        }
        _ => (
            format!("{sandbox_base}/sandbox/plaid"),
            sandbox::plaid::DEFAULT_CLIENT_ID.to_owned(),
            sandbox::plaid::DEFAULT_SECRET.to_owned(),
        ),
    };
    let plaid = PlaidProvider::new(PlaidSettings {
        base_url: plaid_url,
        client_id: plaid_id,
        secret: plaid_secret,
        country_codes: config.plaid_country_codes.0.clone(),
        language: config.plaid_language.clone(),
        redirect_uri: config.plaid_redirect_uri.as_ref().map(ToString::to_string),
        webhook_url: None,
        timeout: PROVIDER_TIMEOUT,
    })
    .map_err(|e| format!("Plaid client: {e}"))?;
    let (pluggy_url, pluggy_id, pluggy_secret) = match (&config.pluggy_client_id, &config.pluggy_client_secret) {
        (Some(id), Some(secret)) if !mode.pluggy => {
            (pluggy::DEFAULT_BASE_URL.to_owned(), id.clone(), secret.expose().to_owned())
        }
        _ => (
            format!("{sandbox_base}/sandbox/pluggy"),
            sandbox::pluggy::DEFAULT_CLIENT_ID.to_owned(),
            sandbox::pluggy::DEFAULT_CLIENT_SECRET.to_owned(),
        ),
    };
    let pluggy = Arc::new(
        PluggyProvider::new(PluggySettings {
            base_url: pluggy_url,
            client_id: pluggy_id,
            client_secret: pluggy_secret,
            include_sandbox_connectors: mode.pluggy,
            timeout: PROVIDER_TIMEOUT,
        })
        .map_err(|e| format!("Pluggy client: {e}"))?,
    );
    let providers = Providers::default().with(Arc::new(plaid)).with(pluggy.clone() as Arc<dyn Provider>);
    Ok(ProviderSet { providers, pluggy })
}

/// Where the emulations answer when the app serves them on `addr`.
pub fn local_base(addr: SocketAddr) -> String {
    let host = if addr.ip().is_unspecified() { "127.0.0.1".to_owned() } else { addr.ip().to_string() };
    match addr {
        SocketAddr::V6(_) if !addr.ip().is_unspecified() => format!("http://[{host}]:{}", addr.port()),
        _ => format!("http://{host}:{}", addr.port()),
    }
}

/// The sync engine over these parts.
pub fn engine(store: Arc<dyn Store>, keyring: Arc<Keyring>, providers: Providers) -> SyncEngine {
    SyncEngine::new(store, keyring, providers, SyncSettings::default())
}

/// Starts the sync workers and the scheduler.
pub fn spawn_sync(engine: &SyncEngine) -> Vec<JoinHandle<()>> {
    let mut tasks = worker::spawn(engine, WORKERS);
    tasks.push(scheduler::spawn(engine));
    tasks
}

/// The secret Pluggy's webhooks carry: made once, kept encrypted in the
/// database so every instance shares it.
///
/// # Errors
/// The database failed or the stored secret does not decrypt.
pub async fn pluggy_webhook_secret(store: &dyn Store, keyring: &Keyring) -> Result<String, String> {
    let context = SecretSlot::AppSecret(PLUGGY_WEBHOOK_SECRET.into()).context();
    if let Some(sealed) = store.app_secret(PLUGGY_WEBHOOK_SECRET).await.map_err(|e| e.to_string())? {
        return keyring.open(&sealed, &context).map_err(|e| format!("Pluggy webhook secret: {e}"));
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    store.set_app_secret(PLUGGY_WEBHOOK_SECRET, &keyring.seal(&secret, &context)).await.map_err(|e| e.to_string())?;
    // Another instance may have written its own at the same moment: use
    // whichever is stored.
    let sealed = store.app_secret(PLUGGY_WEBHOOK_SECRET).await.map_err(|e| e.to_string())?.unwrap_or_default();
    keyring.open(&sealed, &context).map_err(|e| format!("Pluggy webhook secret: {e}"))
}

/// Gives the Pluggy client its webhook secret and, when webhooks are wanted
/// (`PLUGGY_WEBHOOK_URL`, or the sandbox), registers `POST /webhooks` with
/// that secret header in the background, retrying until it works (in
/// sandbox mode the API answering it is this very server, just starting).
///
/// # Errors
/// The secret cannot be read or made.
pub async fn setup_pluggy_webhooks(
    config: &Config,
    store: &dyn Store,
    keyring: &Keyring,
    pluggy: Arc<PluggyProvider>,
    local_base: &str,
) -> Result<Option<JoinHandle<()>>, String> {
    let secret = pluggy_webhook_secret(store, keyring).await?;
    pluggy.set_webhook_secret(secret.clone());
    let url = match &config.pluggy_webhook_url {
        Some(url) => url.to_string(),
        None if config.sandbox().pluggy => format!("{}/api/pluggy/webhook", local_base.trim_end_matches('/')),
        None => return Ok(None),
    };
    Ok(Some(tokio::spawn(async move {
        let mut delay = Duration::from_millis(200);
        loop {
            match pluggy.register_webhook(&url, &secret).await {
                Ok(()) => {
                    tracing::info!("Pluggy webhook registered");
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, ?delay, "Pluggy webhook registration failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(300));
                }
            }
        }
    })))
}
