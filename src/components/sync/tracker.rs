//! Following syncs in the browser. One tracker per page holds where each
//! connection's sync is, so a card's "Sync now", "Sync all" and a sync
//! started elsewhere all show through the same state and the same polling,
//! and a list refreshed meanwhile loses none of it.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::words::{self, Tone};
use crate::api::bank::{sync_now, sync_run};
use crate::components::time::utc_label;
use crate::model::SyncLogView;
use crate::widgets;

/// How long to poll a run before leaving it to the background.
const POLL_LIMIT: u32 = 180;
const POLL_EVERY_MS: i32 = 1_000;

/// A connection's sync, as far as the page has seen it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncState {
    /// Asking the server to queue it.
    Starting,
    /// Queued or running: following `run`; `last` is its latest poll.
    Following { run: Uuid, last: Option<SyncLogView> },
    /// The provider asked to wait: the queued run starts at `until` (RFC 3339).
    Waiting { until: String },
    /// Ended: the run as it ended.
    Ended(SyncLogView),
    /// Could not be followed (the request failed); why.
    Failed(String),
    /// Still going when the page stopped polling.
    Unfinished,
}

impl SyncState {
    /// Queued, or being queued or followed.
    pub fn busy(&self) -> bool {
        matches!(self, Self::Starting | Self::Following { .. })
    }

    /// The run as it ended, if it ended well.
    pub fn succeeded(&self) -> Option<&SyncLogView> {
        match self {
            Self::Ended(run) if run.outcome == "success" => Some(run),
            _ => None,
        }
    }

    /// How it looks and what it says, in plain words.
    pub fn describe(&self) -> (Tone, String) {
        match self {
            Self::Starting => (Tone::Busy, "Starting…".to_owned()),
            Self::Following { last, .. } => (Tone::Busy, words::progress(last.as_ref())),
            Self::Waiting { until } => {
                let at = utc_label(until).unwrap_or_else(|| until.clone());
                (Tone::Warning, format!("The bank asked us to wait. Next sync allowed at {at}."))
            }
            Self::Ended(run) if run.outcome == "success" => (Tone::Success, format!("Synced: {}", words::changes(run))),
            Self::Ended(run) if run.outcome == "rate_limited" => (Tone::Warning, words::failure(run)),
            Self::Ended(run) => (Tone::Error, words::failure(run)),
            Self::Failed(text) => (Tone::Error, text.clone()),
            Self::Unfinished => {
                (Tone::Warning, "Still syncing in the background. Reload the page later to see the result.".to_owned())
            }
        }
    }
}

/// The page's syncs; cheap to copy into handlers and tasks.
#[derive(Debug, Clone, Copy)]
pub struct SyncTracker {
    states: RwSignal<HashMap<Uuid, SyncState>>,
    /// Runs followed so far: a run found in a refreshed list is followed
    /// once, never again after it ended.
    seen: StoredValue<HashSet<Uuid>>,
    /// Counts the runs that ended while followed: hosts reload on it.
    ended: RwSignal<u32>,
}

impl Default for SyncTracker {
    fn default() -> Self {
        Self::new()
    }
}

impl SyncTracker {
    /// A tracker following nothing.
    pub fn new() -> Self {
        Self { states: RwSignal::new(HashMap::new()), seen: StoredValue::new(HashSet::new()), ended: RwSignal::new(0) }
    }

    /// The tracker a host page provided, or a new one provided here.
    pub fn use_or_provide() -> Self {
        use_context::<Self>().unwrap_or_else(|| {
            let tracker = Self::new();
            provide_context(tracker);
            tracker
        })
    }

    /// Where `connection_id`'s sync is (tracked).
    pub fn state(self, connection_id: Uuid) -> Option<SyncState> {
        self.states.with(|s| s.get(&connection_id).cloned())
    }

    /// Whether `connection_id` is being synced (tracked).
    pub fn busy(self, connection_id: Uuid) -> bool {
        self.states.with(|s| s.get(&connection_id).is_some_and(SyncState::busy))
    }

    /// How many followed runs have ended (tracked): a host reloads on it.
    pub fn ended(self) -> u32 {
        self.ended.get()
    }

    /// Forgets `connection_id` (it was disconnected).
    pub fn forget(self, connection_id: Uuid) {
        self.states.update(|s| {
            s.remove(&connection_id);
        });
    }

    /// Sync now: queues a sync of `connection_id` and follows it. `wait_until`
    /// is the connection's rate limit, if any (the run starts then).
    pub fn sync_now(self, connection_id: Uuid, wait_until: Option<String>) {
        if self.states.with_untracked(|s| s.get(&connection_id).is_some_and(SyncState::busy)) {
            return;
        }
        self.set(connection_id, SyncState::Starting);
        spawn_local(async move {
            match sync_now(connection_id).await {
                Ok(run_id) => self.follow(connection_id, run_id, wait_until),
                Err(error) => self.set(connection_id, SyncState::Failed(error.to_string())),
            }
        });
    }

    /// Follows run `run_id` of `connection_id` until it ends, unless it was
    /// followed before: for runs found in a list rather than just started.
    pub fn follow_new(self, connection_id: Uuid, run_id: Uuid) {
        if self.seen.try_with_value(|s| s.contains(&run_id)) != Some(false) {
            return;
        }
        self.follow(connection_id, run_id, None);
    }

    /// Polls run `run_id` of `connection_id` about every second, showing
    /// its pages and counts, until it is neither queued nor running. A
    /// connection the provider holds back (`wait_until`) is not polled: it
    /// says until when it waits.
    pub fn follow(self, connection_id: Uuid, run_id: Uuid, wait_until: Option<String>) {
        self.seen.try_update_value(|s| s.insert(run_id));
        if let Some(until) = wait_until {
            self.set(connection_id, SyncState::Waiting { until });
            return;
        }
        let following = SyncState::Following { run: run_id, last: None };
        self.set(connection_id, following);
        spawn_local(async move {
            let mut end = SyncState::Unfinished;
            for _ in 0..POLL_LIMIT {
                widgets::sleep(POLL_EVERY_MS).await;
                // The page is gone, or a newer sync of this connection took
                // over: leave it to that one.
                let current = self.states.try_with_untracked(
                    |s| matches!(s.get(&connection_id), Some(SyncState::Following { run, .. }) if *run == run_id),
                );
                if current != Some(true) {
                    return;
                }
                match sync_run(connection_id, run_id).await {
                    Ok(run) if words::is_open(&run) => {
                        self.set(connection_id, SyncState::Following { run: run_id, last: Some(run) });
                    }
                    Ok(run) => {
                        end = SyncState::Ended(run);
                        break;
                    }
                    Err(error) => {
                        end = SyncState::Failed(error.to_string());
                        break;
                    }
                }
            }
            self.set(connection_id, end);
            self.ended.try_update(|n| *n += 1);
        });
    }

    fn set(self, connection_id: Uuid, state: SyncState) {
        self.states.try_update(|s| {
            s.insert(connection_id, state);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::sync::words::tests::run;

    #[test]
    fn states_say_what_happened_in_plain_words() {
        let ended = SyncState::Ended(run("success"));
        assert_eq!(ended.describe(), (Tone::Success, "Synced: 12 new, 1 updated, 0 removed".into()));
        assert!(ended.succeeded().is_some() && !ended.busy());
        let failed = SyncState::Ended(SyncLogView { error_message: Some("Bank down".into()), ..run("error") });
        assert_eq!(failed.describe(), (Tone::Error, "Bank down".into()));
        assert!(failed.succeeded().is_none());
        let running = SyncState::Following { run: Uuid::nil(), last: Some(run("running")) };
        assert_eq!(running.describe(), (Tone::Busy, "Syncing: page 2 · 12 new, 1 updated, 0 removed".into()));
        assert!(running.busy() && SyncState::Starting.busy());
        let waiting = SyncState::Waiting { until: "2026-11-21T14:30:00Z".into() };
        assert_eq!(
            waiting.describe(),
            (Tone::Warning, "The bank asked us to wait. Next sync allowed at 21 Nov 2026, 14:30 UTC.".into())
        );
        assert!(!waiting.busy());
    }
}
