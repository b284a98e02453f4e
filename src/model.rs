//! Data shared by server and browser: what server functions return.

mod bank;

use serde::{Deserialize, Serialize};

pub use self::bank::*;
use uuid::Uuid;

/// A signed-in user as the UI sees them (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub email: String,
}

/// Which providers run against the local sandbox instead of their real API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SandboxMode {
    pub plaid: bool,
    pub pluggy: bool,
}

impl SandboxMode {
    /// True when at least one provider is emulated: the UI shows a badge.
    pub fn any(self) -> bool {
        self.plaid || self.pluggy
    }

    /// The badge text: "Sandbox" when both are emulated, else which one is.
    pub fn label(self) -> Option<&'static str> {
        match (self.plaid, self.pluggy) {
            (true, true) => Some("Sandbox"),
            (true, false) => Some("Plaid sandbox"),
            (false, true) => Some("Pluggy sandbox"),
            (false, false) => None,
        }
    }
}

/// What every page needs to draw the shell: who is signed in, and the mode.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: Option<User>,
    pub sandbox: SandboxMode,
}

/// The email/password pair of the sign-in and registration forms.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("email", &self.email).field("password", &"<redacted>").finish()
    }
}

/// A bank data aggregator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Plaid,
    Pluggy,
}

impl ProviderKind {
    /// Both, in the order the UI lists them.
    pub const ALL: [Self; 2] = [Self::Plaid, Self::Pluggy];

    /// The name stored in the database and used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plaid => "plaid",
            Self::Pluggy => "pluggy",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Plaid => "Plaid",
            Self::Pluggy => "Pluggy",
        }
    }

    /// Parses [`as_str`](Self::as_str).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "plaid" => Some(Self::Plaid),
            "pluggy" => Some(Self::Pluggy),
            _ => None,
        }
    }
}

/// A connection's health (DESIGN §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Active,
    Syncing,
    NeedsRelink,
    Expiring,
    RateLimited,
    Error,
    Revoked,
    Disconnected,
}

impl ConnectionStatus {
    /// The name stored in the database and sent in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Syncing => "syncing",
            Self::NeedsRelink => "needs_relink",
            Self::Expiring => "expiring",
            Self::RateLimited => "rate_limited",
            Self::Error => "error",
            Self::Revoked => "revoked",
            Self::Disconnected => "disconnected",
        }
    }

    /// Parses [`as_str`](Self::as_str).
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Active,
            Self::Syncing,
            Self::NeedsRelink,
            Self::Expiring,
            Self::RateLimited,
            Self::Error,
            Self::Revoked,
            Self::Disconnected,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }

    /// A short label for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Up to date",
            Self::Syncing => "Syncing",
            Self::NeedsRelink => "Sign-in needed",
            Self::Expiring => "Access expiring",
            Self::RateLimited => "Waiting to retry",
            Self::Error => "Sync failed",
            Self::Revoked => "Access revoked",
            Self::Disconnected => "Disconnected",
        }
    }

    /// Whether the one fix is to open the widget in update mode.
    pub fn needs_relink(self) -> bool {
        matches!(self, Self::NeedsRelink | Self::Expiring | Self::Revoked)
    }
}
