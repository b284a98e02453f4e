//! The command line: `serve` (default), `migrate`, `rotate-key`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use clap::Parser as _;
use leptos::config::get_configuration;
use tracing_subscriber::EnvFilter;

use crate::server::app_router;
use crate::server::config::{Cli, Command, Config};
use crate::server::crypto::{KeyOrigin, Keyring};
use crate::server::launch;
use crate::server::sandbox::{self, Sandbox};
use crate::server::state::AppState;
use crate::server::store::{self, SealedSecret, Store};

/// Parses the command line and runs the command; the exit code says how it went.
pub async fn run() -> ExitCode {
    // A missing .env is normal; a broken one is worth saying.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("error: .env: {e}");
        return ExitCode::from(2);
    }
    let cli = Cli::parse();
    init_tracing();
    if let Err(message) = cli.config.validate() {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Migrate => migrate(&cli.config).await,
        Command::Worker => work(cli.config).await,
        Command::RotateKey => rotate_key(&cli.config).await,
        Command::Sandbox { addr } => {
            let sandbox = Sandbox::new(
                cli.config.plaid_sandbox_credentials(),
                cli.config.pluggy_sandbox_credentials(),
                Some(&cli.config.data_dir),
            );
            sandbox::serve_alone(addr, sandbox).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{}=info,tower_http=info,warn", env!("CARGO_CRATE_NAME"))));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}

async fn open_store(config: &Config) -> Result<Arc<dyn Store>, String> {
    let store = store::connect(&config.database_url)
        .await
        .map_err(|e| format!("DATABASE_URL: cannot open {:?}: {e}", config.database_url))?;
    store.migrate().await.map_err(|e| format!("database migration failed: {e}"))?;
    if let Err(e) = store.refresh_statistics().await {
        tracing::warn!(error = %e, "cannot refresh the query planner's statistics");
    }
    Ok(store)
}

fn load_keyring(config: &Config) -> Result<Keyring, String> {
    Keyring::load(config.secret_key.as_ref().map(|s| s.expose()), &config.data_dir).map_err(|e| e.to_string())
}

async fn migrate(config: &Config) -> Result<(), String> {
    let store = open_store(config).await?;
    println!("database is up to date ({})", store.backend());
    Ok(())
}

/// Runs the web app until SIGTERM or Ctrl-C, then finishes in-flight requests.
async fn serve(config: Config) -> Result<(), String> {
    let leptos_conf = if std::path::Path::new("Leptos.toml").exists() {
        get_configuration(Some("Leptos.toml"))
    } else {
        get_configuration(None)
    }
    .map_err(|e| format!("Leptos.toml / LEPTOS_* settings: {e}"))?;
    let leptos_options = leptos_conf.leptos_options;
    let addr = leptos_options.site_addr;

    let store = open_store(&config).await?;
    let keyring = load_keyring(&config)?;
    let sandbox = config.sandbox();
    tracing::info!(backend = store.backend(), key_id = keyring.current_id(), ?sandbox, "starting");

    // Without keys, the app serves the provider emulations itself; only the
    // sandbox credentials are accepted then.
    let sandbox = sandbox.any().then(|| {
        let credentials = (sandbox::plaid::DEFAULT_CLIENT_ID.into(), sandbox::plaid::DEFAULT_SECRET.into());
        let pluggy = (sandbox::pluggy::DEFAULT_CLIENT_ID.into(), sandbox::pluggy::DEFAULT_CLIENT_SECRET.into());
        Sandbox::new(credentials, pluggy, Some(&config.data_dir))
    });
    let sandbox_tasks = sandbox.as_ref().map(Sandbox::spawn_tasks);

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("LEPTOS_SITE_ADDR: cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    // Providers without keys talk to the emulations this server hosts.
    let local_base = launch::local_base(local);
    let set = launch::providers(&config, &local_base)?;
    let keyring = Arc::new(keyring);
    let sync = launch::engine(store.clone(), keyring.clone(), set.providers);
    let webhooks = launch::setup_pluggy_webhooks(&config, store.as_ref(), &keyring, set.pluggy, &local_base).await?;
    let sync_tasks = launch::spawn_sync(&sync);
    let state = AppState { leptos_options, config: Arc::new(config), store: store.clone(), keyring, sandbox, sync };
    let app = app_router::build(state);
    let maintenance = tokio::spawn(maintenance(store));

    tracing::info!("listening on http://{local}");
    println!("Tributary is running at http://{local}");
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await;
    maintenance.abort();
    for task in sync_tasks.into_iter().chain(webhooks).chain(sandbox_tasks) {
        task.abort();
    }
    tracing::info!("stopped");
    served.map_err(|e| format!("server error: {e}"))
}

/// Hourly clean-up of expired sessions and old rate-limit windows.
async fn maintenance(store: Arc<dyn Store>) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let now = Utc::now();
        if let Err(e) = store.sessions_delete_expired(now).await {
            tracing::warn!(error = %e, "could not delete expired sessions");
        }
        if let Err(e) = store.rate_limits_prune(now - TimeDelta::days(1)).await {
            tracing::warn!(error = %e, "could not prune rate limits");
        }
    }
}

/// `worker`: only the sync workers and the scheduler, for scale-out next to
/// web instances over one PostgreSQL (DESIGN §8). Providers without keys are
/// reached at the web instance's sandbox (`BASE_URL/sandbox/...`).
async fn work(config: Config) -> Result<(), String> {
    let store = open_store(&config).await?;
    let keyring = Arc::new(load_keyring(&config)?);
    let set = launch::providers(&config, config.base_url.as_str())?;
    let sync = launch::engine(store.clone(), keyring.clone(), set.providers);
    let tasks = launch::spawn_sync(&sync);
    tracing::info!(backend = store.backend(), workers = launch::WORKERS, "sync worker started");
    println!("Tributary sync worker running ({} workers)", launch::WORKERS);
    shutdown_signal().await;
    for task in tasks {
        task.abort();
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// Re-seals every stored secret under `new` (which must also open the old
/// ones). Decrypts everything first, so one unreadable secret changes nothing.
///
/// # Errors
/// A secret that does not open, or the store refusing the write.
pub async fn reseal_all(store: &dyn Store, new: &Keyring) -> Result<usize, String> {
    let secrets = store.sealed_secrets().await.map_err(|e| e.to_string())?;
    let mut resealed = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let context = secret.slot.context();
        let plain = new
            .open(&secret.sealed, &context)
            .map_err(|e| format!("cannot decrypt {:?}: {e} — is an old key missing?", secret.slot))?;
        resealed.push(SealedSecret { sealed: new.seal(&plain, &context), slot: secret.slot });
    }
    store.replace_sealed_secrets(&resealed).await.map_err(|e| e.to_string())?;
    Ok(resealed.len())
}

/// `rotate-key`. With the generated key file: adds a new key, re-encrypts
/// everything, then drops the old key. With `TRIBUTARY_SECRET_KEY`: the first
/// key there is the new one; everything is re-encrypted under it, after which
/// the old keys can be removed from the variable.
async fn rotate_key(config: &Config) -> Result<(), String> {
    let store = open_store(config).await?;
    let keyring = load_keyring(config)?;
    match keyring.origin().clone() {
        KeyOrigin::File(path) => {
            let rotated = keyring.with_new_key();
            // Old and new keys on disk first, so a crash mid-way loses nothing.
            rotated.persist().map_err(|e| e.to_string())?;
            let count = reseal_all(store.as_ref(), &rotated).await?;
            rotated.current_only().persist().map_err(|e| e.to_string())?;
            println!(
                "re-encrypted {count} secret(s) under new key {}; {} now holds only that key",
                rotated.current_id(),
                path.display()
            );
        }
        KeyOrigin::Environment | KeyOrigin::Memory => {
            let count = reseal_all(store.as_ref(), &keyring).await?;
            println!(
                "re-encrypted {count} secret(s) under key {} (the first in TRIBUTARY_SECRET_KEY); \
                 the other keys can now be removed from it",
                keyring.current_id()
            );
        }
    }
    Ok(())
}
