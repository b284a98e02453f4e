//! The Plaid sandbox's memory: link tokens, public tokens, access tokens,
//! items, and Link widget logins. Saved to a JSON file after every change
//! (when a file is configured), so items survive a restart of the app.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::data::{self, AccountSpec, TxnLife};

/// A link token and what it was made for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkToken {
    pub expires_at: DateTime<Utc>,
    /// Update mode: the item being repaired.
    pub update_item: Option<String>,
    pub webhook: Option<String>,
    pub client_name: String,
    pub language: String,
    pub country_codes: Vec<String>,
    pub products: Vec<String>,
    pub days_requested: u32,
    pub link_session_id: String,
}

/// A public token: single use, 30 minutes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicToken {
    pub item_id: String,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
}

/// A Plaid Item in the sandbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Item {
    pub item_id: String,
    pub access_token: String,
    pub institution_id: String,
    pub username: String,
    pub created_at: DateTime<Utc>,
    pub webhook: Option<String>,
    pub products: Vec<String>,
    pub history_start: NaiveDate,
    /// Indexes of the accounts chosen in Link (all when `None`).
    pub selected_accounts: Option<Vec<usize>>,
    pub login_required: bool,
    pub permission_revoked: bool,
    pub removed: bool,
    pub consent_expiration: Option<DateTime<Utc>>,
    /// Extra time for this item only (tests move one item's clock).
    pub clock_offset_secs: i64,
    pub sync_called: bool,
    /// Events up to here have been announced by SYNC_UPDATES_AVAILABLE.
    pub announced_until: DateTime<Utc>,
    pub last_webhook: Option<(DateTime<Utc>, String)>,
}

impl Item {
    /// The key the login's data is derived from: the same bank login gives
    /// the same accounts and transactions, whichever item it is linked as.
    pub fn login_seed(&self) -> String {
        format!("{}/{}", self.institution_id, self.username)
    }

    /// This item's accounts (those chosen in Link), a card owing at the
    /// start of the history what payments in it settle.
    pub fn accounts(&self) -> Vec<AccountSpec> {
        data::accounts_from(&self.item_id, &self.login_seed(), self.history_start)
            .into_iter()
            .filter(|a| self.selected_accounts.as_ref().is_none_or(|s| s.contains(&a.index)))
            .collect()
    }

    /// This item's transactions through time, up to `until`.
    pub fn lives(&self, until: DateTime<Utc>) -> Vec<TxnLife> {
        let accounts = self.accounts();
        data::transactions(&self.item_id, &self.login_seed(), &accounts, self.history_start, until)
    }

    /// The item's time, given the sandbox's.
    pub fn now(&self, sandbox_now: DateTime<Utc>) -> DateTime<Utc> {
        sandbox_now + TimeDelta::seconds(self.clock_offset_secs)
    }
}

/// A Link widget login in progress.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkLogin {
    pub link_token: String,
    pub institution_id: String,
    pub username: String,
    pub mfa_pending: bool,
    pub expires_at: DateTime<Utc>,
}

/// Everything the Plaid sandbox remembers.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PlaidState {
    pub link_tokens: HashMap<String, LinkToken>,
    pub public_tokens: HashMap<String, PublicToken>,
    /// access token → item id
    pub access_tokens: HashMap<String, String>,
    pub items: HashMap<String, Item>,
    pub logins: HashMap<String, LinkLogin>,
}

impl PlaidState {
    /// Reads the saved state, or starts empty.
    pub fn load(path: Option<&PathBuf>) -> Self {
        path.and_then(|p| std::fs::read(p).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Writes the state (through a temporary file and a rename), dropping
    /// what has expired first.
    pub fn save(&mut self, path: Option<&PathBuf>, now: DateTime<Utc>) {
        self.link_tokens.retain(|_, t| t.expires_at > now);
        self.public_tokens.retain(|_, t| t.expires_at > now && !t.used);
        self.logins.retain(|_, l| l.expires_at > now);
        let Some(path) = path else { return };
        let result = (|| -> std::io::Result<()> {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let tmp = path.with_extension("json.tmp");
            std::fs::write(&tmp, serde_json::to_vec(self).map_err(std::io::Error::other)?)?;
            std::fs::rename(tmp, path)
        })();
        if let Err(e) = result {
            tracing::warn!(error = %e, path = %path.display(), "could not save the Plaid sandbox state");
        }
    }
}
