//! What the Pluggy sandbox remembers: items and registered webhooks.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::data::iso;

/// An item as the sandbox keeps it.
#[derive(Debug, Clone)]
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
#[derive(Debug, Clone)]
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

/// Everything the Pluggy sandbox remembers.
#[derive(Debug, Default)]
pub(super) struct State_ {
    pub(super) items: HashMap<String, ItemRec>,
    pub(super) webhooks: Vec<Webhook>,
    /// The sandbox's public URL (scheme, host, mount path), learnt from requests.
    pub(super) base: String,
}
