//! tower-sessions records kept in the `sessions` table of whichever store is
//! configured, so sessions survive restarts and are shared by every instance.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result, SessionStore};
use uuid::Uuid;

use crate::server::auth::USER_ID_KEY;
use crate::server::store::Store;

/// A [`SessionStore`] over the app's [`Store`].
#[derive(Clone)]
pub struct DbSessionStore {
    store: Arc<dyn Store>,
}

impl DbSessionStore {
    /// Sessions in `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbSessionStore").field("backend", &self.store.backend()).finish()
    }
}

/// The record's data, its signed-in user (kept in its own column so a user's
/// sessions can be found together) and its expiry.
fn encode(record: &Record) -> Result<(Vec<u8>, Option<Uuid>, DateTime<Utc>)> {
    let data = serde_json::to_vec(record).map_err(|e| Error::Encode(e.to_string()))?;
    let user_id = record.data.get(USER_ID_KEY).and_then(|v| v.as_str()).and_then(|s| Uuid::parse_str(s).ok());
    let expiry = DateTime::<Utc>::from_timestamp(record.expiry_date.unix_timestamp(), record.expiry_date.nanosecond())
        .ok_or_else(|| Error::Encode("expiry out of range".into()))?;
    Ok((data, user_id, expiry))
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // A fresh 128-bit id colliding is all but impossible; if it happens,
        // draw another rather than overwrite someone's session.
        loop {
            let (data, user_id, expiry) = encode(record)?;
            if self.store.session_create(&record.id.to_string(), user_id, &data, expiry).await.map_err(backend)? {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let (data, user_id, expiry) = encode(record)?;
        self.store.session_save(&record.id.to_string(), user_id, &data, expiry).await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let Some(data) = self.store.session_load(&id.to_string(), Utc::now()).await.map_err(backend)? else {
            return Ok(None);
        };
        serde_json::from_slice(&data).map(Some).map_err(|e| Error::Decode(e.to_string()))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.store.session_delete(&id.to_string()).await.map_err(backend)
    }
}
