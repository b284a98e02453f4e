//! What the Pluggy sandbox remembers: items, registered webhooks, the key
//! its API keys are signed with, and its time. Saved to a JSON file after
//! every change (when a file is configured), so items survive a restart.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Value, json};

use super::data::iso;

/// An item as the sandbox keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ItemRec {
    pub id: String,
    pub connector_id: u32,
    pub user: String,
    pub password: String,
    pub webhook_url: Option<String>,
    pub client_user_id: Option<String>,
    pub products: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The connect token that created it.
    pub token_jti: Option<String>,
    /// The current run started then (item time).
    pub run_started: DateTime<Utc>,
    /// When the right MFA token was sent in this run.
    pub mfa_at: Option<DateTime<Utc>>,
    pub mfa_failed: bool,
    /// Set by the control API: `(status, executionStatus)`.
    pub forced: Option<(String, String)>,
    /// The last successful run's end.
    pub last_success: Option<DateTime<Utc>>,
    /// The first successful run's end: the data's creation time.
    pub first_sync: Option<DateTime<Utc>>,
    pub failed_logins: u32,
    /// The last status signature webhooks were sent for.
    pub(super) announced: String,
    /// Transactions created/updated up to then were announced.
    pub(super) announced_until: Option<DateTime<Utc>>,
    pub clock_offset_secs: i64,
}

impl ItemRec {
    pub(super) fn now(&self, clock: DateTime<Utc>) -> DateTime<Utc> {
        clock + TimeDelta::seconds(self.clock_offset_secs)
    }

    pub(super) fn seed(&self) -> String {
        format!("{}/{}", self.connector_id, self.user)
    }
}

/// A registered webhook.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub event: String,
    pub headers: HashMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

impl Webhook {
    pub(super) fn json(&self) -> Value {
        json!({
            "id": self.id,
            "url": self.url,
            "event": self.event,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "disabledAt": self.disabled_at.map(iso),
        })
    }
}

/// The HMAC key API keys and connect tokens are signed with. Kept with the
/// items, so keys handed out before a restart still work after it, as
/// Pluggy's do (and a connect token still reaches the items it created).
#[derive(Clone, Copy)]
pub(super) struct SigningKey(pub(super) [u8; 32]);

impl Default for SigningKey {
    fn default() -> Self {
        Self(rand::random())
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl Serialize for SigningKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&URL_SAFE_NO_PAD.encode(self.0))
    }
}

impl<'de> Deserialize<'de> for SigningKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let text = String::deserialize(deserializer)?;
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(D::Error::custom)?;
        bytes.try_into().map(Self).map_err(|_| D::Error::custom("a signing key is 32 bytes"))
    }
}

/// Where the sandbox is mounted until a request tells its full URL.
const DEFAULT_BASE: &str = "/sandbox/pluggy";

/// Everything the Pluggy sandbox remembers.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct PluggyState {
    /// The sandbox's time when this was saved: a restart resumes no earlier.
    #[serde(default)]
    pub(super) saved_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(super) signing_key: SigningKey,
    /// The sandbox's public URL (scheme, host, mount path), learnt from
    /// requests; webhooks link to it.
    #[serde(default = "default_base")]
    pub(super) base: String,
    #[serde(default)]
    pub(super) items: HashMap<String, ItemRec>,
    #[serde(default)]
    pub(super) webhooks: Vec<Webhook>,
}

fn default_base() -> String {
    DEFAULT_BASE.into()
}

impl Default for PluggyState {
    fn default() -> Self {
        Self {
            saved_at: None,
            signing_key: SigningKey::default(),
            base: default_base(),
            items: HashMap::new(),
            webhooks: Vec::new(),
        }
    }
}

impl PluggyState {
    /// Reads the state saved at `path`, or starts afresh: when there is no
    /// file, or it cannot be read (then it is logged, and a corrupt file is
    /// moved aside to `….corrupt` rather than overwritten by the next save).
    pub(super) fn load(path: Option<&Path>) -> Self {
        let Some(path) = path else { return Self::default() };
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Self::default(),
            Err(e) => {
                tracing::warn!(error = %e, path = %path.display(), "cannot read the Pluggy sandbox state; starting afresh");
                return Self::default();
            }
        };
        match serde_json::from_slice(&bytes) {
            Ok(state) => state,
            Err(e) => {
                let aside = path.with_extension("json.corrupt");
                let moved = std::fs::rename(path, &aside);
                tracing::warn!(
                    error = %e,
                    path = %path.display(),
                    moved_to = %aside.display(),
                    moved = moved.is_ok(),
                    "the Pluggy sandbox state is corrupt; starting afresh"
                );
                Self::default()
            }
        }
    }

    /// Writes the state to `path` (a temporary file, flushed, then renamed
    /// over it, so a crash leaves the old state or the new, never half).
    /// A failure is logged: the sandbox goes on in memory.
    pub(super) fn save(&self, path: &Path) {
        let result = (|| -> std::io::Result<()> {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let tmp = path.with_extension("json.tmp");
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&serde_json::to_vec(self).map_err(std::io::Error::other)?)?;
            file.sync_all()?;
            std::fs::rename(tmp, path)
        })();
        if let Err(e) = result {
            tracing::warn!(error = %e, path = %path.display(), "could not save the Pluggy sandbox state");
        }
    }
}
