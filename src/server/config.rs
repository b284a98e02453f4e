//! Configuration: command line, environment and `.env`, with documented
//! defaults (DESIGN §9). Every bad value stops start-up with a message that
//! names the variable; secrets never appear in `Debug` output.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand, ValueEnum};
use url::Url;

use crate::model::SandboxMode;

/// `tributary` — self-hosted bank accounts from Plaid and Pluggy.
#[derive(Debug, Parser)]
#[command(name = "tributary", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

/// The subcommands; `serve` runs when none is given.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run the web app (the default): migrate, then serve HTTP.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Run only the sync workers and scheduler (scale-out next to web
    /// instances over one PostgreSQL).
    Worker,
    /// Re-encrypt every stored secret under a new key (see README: key rotation).
    RotateKey,
    /// Serve only the provider emulations (/sandbox/plaid and /sandbox/pluggy), for tests
    /// and for trying the official client libraries. Accepts the sandbox
    /// credentials, or PLAID_CLIENT_ID / PLAID_SECRET when set.
    Sandbox {
        /// Where to listen; port 0 picks a free port (printed at start-up).
        #[arg(long, default_value = "127.0.0.1:3100")]
        addr: std::net::SocketAddr,
    },
}

/// Settings shared by every subcommand. Each one can be given as a flag or as
/// the environment variable named in capitals.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database: `sqlite://path` (created if missing) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", value_name = "DATABASE_URL",
          default_value = "sqlite://data/tributary.db", value_parser = parse_database_url, global = true)]
    pub database_url: DatabaseUrl,

    /// Encryption key(s) for secrets at rest: base64 of 32 bytes; a
    /// comma-separated list puts the current key first and older ones after.
    /// Unset: a key is generated once into `TRIBUTARY_DATA_DIR/secret.key`.
    #[arg(
        long,
        env = "TRIBUTARY_SECRET_KEY",
        value_name = "TRIBUTARY_SECRET_KEY",
        hide_env_values = true,
        global = true
    )]
    pub secret_key: Option<Secret>,

    /// Folder for the generated key file (and the default SQLite database).
    #[arg(long, env = "TRIBUTARY_DATA_DIR", value_name = "TRIBUTARY_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,

    /// Public address of the app, used for cookies' `Secure` flag, the Origin
    /// check and webhook URLs.
    #[arg(long, env = "BASE_URL", value_name = "BASE_URL",
          default_value = "http://127.0.0.1:3000", value_parser = parse_http_url, global = true)]
    pub base_url: Url,

    /// Plaid client id; with `PLAID_SECRET` it switches Plaid from the local
    /// sandbox to Plaid's API.
    #[arg(long, env = "PLAID_CLIENT_ID", value_name = "PLAID_CLIENT_ID", global = true)]
    pub plaid_client_id: Option<String>,

    /// Plaid secret for `PLAID_ENV`.
    #[arg(long, env = "PLAID_SECRET", value_name = "PLAID_SECRET", hide_env_values = true, global = true)]
    pub plaid_secret: Option<Secret>,

    /// Plaid environment for real keys: `sandbox` or `production`.
    #[arg(long, env = "PLAID_ENV", value_name = "PLAID_ENV", default_value = "sandbox", global = true)]
    pub plaid_env: PlaidEnv,

    /// URL Plaid sends webhooks to (public https); unset: `BASE_URL/api/plaid/webhook`.
    #[arg(long, env = "PLAID_WEBHOOK_URL", value_name = "PLAID_WEBHOOK_URL",
          value_parser = parse_http_url, global = true)]
    pub plaid_webhook_url: Option<Url>,

    /// OAuth redirect URI registered with Plaid (needed for OAuth banks).
    #[arg(long, env = "PLAID_REDIRECT_URI", value_name = "PLAID_REDIRECT_URI",
          value_parser = parse_http_url, global = true)]
    pub plaid_redirect_uri: Option<Url>,

    /// Countries offered in Plaid Link, comma-separated ISO codes.
    #[arg(long, env = "PLAID_COUNTRY_CODES", value_name = "PLAID_COUNTRY_CODES",
          default_value = "US,CA", value_parser = parse_country_codes, global = true)]
    pub plaid_country_codes: CountryCodes,

    /// Language of Plaid Link.
    #[arg(long, env = "PLAID_LANGUAGE", value_name = "PLAID_LANGUAGE", default_value = "en",
          value_parser = parse_language, global = true)]
    pub plaid_language: String,

    /// Pluggy client id; with `PLUGGY_CLIENT_SECRET` it switches Pluggy from
    /// the local sandbox to `https://api.pluggy.ai`.
    #[arg(long, env = "PLUGGY_CLIENT_ID", value_name = "PLUGGY_CLIENT_ID", global = true)]
    pub pluggy_client_id: Option<String>,

    /// Pluggy client secret.
    #[arg(
        long,
        env = "PLUGGY_CLIENT_SECRET",
        value_name = "PLUGGY_CLIENT_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub pluggy_client_secret: Option<Secret>,

    /// Public https URL Pluggy sends webhooks to; registered at start-up.
    #[arg(long, env = "PLUGGY_WEBHOOK_URL", value_name = "PLUGGY_WEBHOOK_URL",
          value_parser = parse_http_url, global = true)]
    pub pluggy_webhook_url: Option<Url>,

    /// Seconds a request may take before it is answered with 408.
    #[arg(long, env = "TRIBUTARY_REQUEST_TIMEOUT", value_name = "TRIBUTARY_REQUEST_TIMEOUT",
          default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600), global = true)]
    pub request_timeout_secs: u64,

    /// Sign-in attempts allowed per client IP (and, separately, per account)
    /// in 15 minutes.
    #[arg(long, env = "TRIBUTARY_LOGIN_LIMIT", value_name = "TRIBUTARY_LOGIN_LIMIT",
          default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub login_limit: u32,

    /// Registrations allowed per client IP in an hour.
    #[arg(long, env = "TRIBUTARY_REGISTER_LIMIT", value_name = "TRIBUTARY_REGISTER_LIMIT",
          default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub register_limit: u32,

    /// Trust the last `X-Forwarded-For` entry as the client address (set it
    /// only behind a reverse proxy that writes that header).
    #[arg(long, env = "TRIBUTARY_TRUST_PROXY", value_name = "TRIBUTARY_TRUST_PROXY",
          default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub trust_proxy: bool,
}

impl Config {
    /// Which providers use the local sandbox: those without keys.
    pub fn sandbox(&self) -> SandboxMode {
        SandboxMode {
            plaid: self.plaid_client_id.is_none() || self.plaid_secret.is_none(),
            pluggy: self.pluggy_client_id.is_none() || self.pluggy_client_secret.is_none(),
        }
    }

    /// The Plaid credentials the sandbox accepts: the configured ones, else
    /// `sandbox_client_id` / `sandbox_secret`.
    pub fn plaid_sandbox_credentials(&self) -> (String, String) {
        (
            self.plaid_client_id.clone().unwrap_or_else(|| crate::server::sandbox::plaid::DEFAULT_CLIENT_ID.into()),
            self.plaid_secret
                .as_ref()
                .map_or_else(|| crate::server::sandbox::plaid::DEFAULT_SECRET.into(), |s| s.expose().to_owned()),
        )
    }

    /// The Pluggy credentials the sandbox accepts: the configured ones, else
    /// `sandbox-client-id` / `sandbox-client-secret`.
    pub fn pluggy_sandbox_credentials(&self) -> (String, String) {
        (
            self.pluggy_client_id.clone().unwrap_or_else(|| crate::server::sandbox::pluggy::DEFAULT_CLIENT_ID.into()),
            self.pluggy_client_secret.as_ref().map_or_else(
                || crate::server::sandbox::pluggy::DEFAULT_CLIENT_SECRET.into(),
                |s| s.expose().to_owned(),
            ),
        )
    }

    /// Cookies get `Secure` everywhere but on plain-http localhost.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// Checks that only make sense across several settings.
    ///
    /// # Errors
    /// Names the variable that is wrong or missing.
    pub fn validate(&self) -> Result<(), String> {
        let pairs = [
            ("PLAID_CLIENT_ID", self.plaid_client_id.is_some(), "PLAID_SECRET", self.plaid_secret.is_some()),
            (
                "PLUGGY_CLIENT_ID",
                self.pluggy_client_id.is_some(),
                "PLUGGY_CLIENT_SECRET",
                self.pluggy_client_secret.is_some(),
            ),
        ];
        for (a, has_a, b, has_b) in pairs {
            if has_a != has_b {
                let (set, missing) = if has_a { (a, b) } else { (b, a) };
                return Err(format!("{set} is set but {missing} is not: set both, or neither to use the sandbox"));
            }
        }
        Ok(())
    }
}

/// A secret string whose `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for Secret {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Err("must not be empty".into());
        }
        Ok(Self(s.trim().to_owned()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Plaid's two environments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlaidEnv {
    Sandbox,
    Production,
}

impl PlaidEnv {
    /// Plaid's API host for this environment.
    pub fn base_url(self) -> &'static str {
        match self {
            Self::Sandbox => crate::server::provider::plaid::SANDBOX_URL,
            Self::Production => crate::server::provider::plaid::PRODUCTION_URL,
        }
    }
}

/// A database URL whose scheme picks the backend.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    /// The URL as given.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Sqlite(u) | Self::Postgres(u) => u,
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    /// Hides a password in the URL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Url::parse(self.as_str()) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("redacted"));
                write!(f, "{u}")
            }
            _ => write!(f, "{}", self.as_str()),
        }
    }
}

fn parse_database_url(s: &str) -> Result<DatabaseUrl, String> {
    let s = s.trim();
    if s.starts_with("sqlite:") {
        Ok(DatabaseUrl::Sqlite(s.to_owned()))
    } else if s.starts_with("postgres:") || s.starts_with("postgresql:") {
        Url::parse(s).map_err(|e| format!("not a valid PostgreSQL URL: {e}"))?;
        Ok(DatabaseUrl::Postgres(s.to_owned()))
    } else {
        Err("must start with sqlite:// or postgres://".into())
    }
}

fn parse_http_url(s: &str) -> Result<Url, String> {
    let url = Url::parse(s.trim()).map_err(|e| format!("not a valid URL: {e}"))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        _ => Err("must be an http:// or https:// URL with a host".into()),
    }
}

/// A list of ISO 3166-1 alpha-2 country codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryCodes(pub Vec<String>);

fn parse_country_codes(s: &str) -> Result<CountryCodes, String> {
    let codes: Vec<String> = s.split(',').map(|c| c.trim().to_ascii_uppercase()).filter(|c| !c.is_empty()).collect();
    if codes.is_empty() {
        return Err("must list at least one country code, e.g. US,CA".into());
    }
    if let Some(bad) = codes.iter().find(|c| c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic())) {
        return Err(format!("'{bad}' is not a two-letter country code"));
    }
    Ok(CountryCodes(codes))
}

fn parse_language(s: &str) -> Result<String, String> {
    let s = s.trim();
    if (2..=3).contains(&s.len()) && s.chars().all(|c| c.is_ascii_lowercase()) {
        Ok(s.to_owned())
    } else {
        Err("must be a lowercase language code such as en, es, pt".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("tributary").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_are_the_zero_config_sandbox() {
        let cli = parse(&[]).expect("defaults parse");
        assert!(cli.command.is_none());
        assert_eq!(cli.config.database_url, DatabaseUrl::Sqlite("sqlite://data/tributary.db".into()));
        assert_eq!(cli.config.base_url.as_str(), "http://127.0.0.1:3000/");
        assert!(cli.config.sandbox().plaid && cli.config.sandbox().pluggy);
        assert!(!cli.config.secure_cookies());
    }

    #[test]
    fn bad_values_name_their_variable() {
        let err = parse(&["--database-url", "mysql://x"]).expect_err("mysql is refused").to_string();
        assert!(err.contains("DATABASE_URL"), "{err}");
        let err = parse(&["--base-url", "ftp://x"]).expect_err("ftp is refused").to_string();
        assert!(err.contains("BASE_URL"), "{err}");
        let err = parse(&["--plaid-country-codes", "USA"]).expect_err("three letters").to_string();
        assert!(err.contains("PLAID_COUNTRY_CODES"), "{err}");
    }

    #[test]
    fn half_configured_keys_are_an_error() {
        let cli = parse(&["--plaid-client-id", "abc"]).expect("parses");
        let err = cli.config.validate().expect_err("secret missing");
        assert!(err.contains("PLAID_SECRET"), "{err}");
        let cli = parse(&["--plaid-client-id", "abc", "--plaid-secret", "s"]).expect("parses");
        assert!(cli.config.validate().is_ok());
        assert!(!cli.config.sandbox().plaid);
        assert!(cli.config.sandbox().pluggy);
    }

    #[test]
    fn secrets_are_redacted() {
        let cli = parse(&["--plaid-secret", "hunter2", "--database-url", "postgres://u:pw@h/db"]).expect("parses");
        let dbg = format!("{:?}", cli.config);
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(!dbg.contains(":pw@"), "{dbg}");
    }

    #[test]
    fn subcommands_parse() {
        assert!(matches!(parse(&["migrate"]).expect("migrate").command, Some(Command::Migrate)));
        assert!(matches!(parse(&["rotate-key"]).expect("rotate").command, Some(Command::RotateKey)));
        assert!(matches!(parse(&["serve"]).expect("serve").command, Some(Command::Serve)));
    }
}
