//! Sync runs in plain words: what started them, how far they got, how they
//! ended. Pure functions, so the server's HTML and the hydrated page agree.

use crate::components::time::duration_label;
use crate::model::SyncLogView;

/// How a line about a sync should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Still going.
    Busy,
    /// Done, all well.
    Success,
    /// Nothing wrong on our side, but it has to wait.
    Warning,
    /// Failed; the text says why and what to do.
    Error,
}

impl Tone {
    /// The CSS class.
    pub fn class(self) -> &'static str {
        match self {
            Self::Busy => "tone-busy",
            Self::Success => "tone-success",
            Self::Warning => "tone-warning",
            Self::Error => "tone-error",
        }
    }
}

/// "1 account", "3 accounts".
pub fn count(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "12 new, 1 updated, 0 removed".
pub fn changes(run: &SyncLogView) -> String {
    format!("{} new, {} updated, {} removed", run.added, run.modified, run.removed)
}

/// Whether the run is still queued or running.
pub fn is_open(run: &SyncLogView) -> bool {
    matches!(run.outcome.as_str(), "queued" | "running")
}

/// What started a run.
pub fn trigger_label(trigger: &str) -> &'static str {
    match trigger {
        "link" => "First sync after connecting",
        "manual" => "Requested by you",
        "webhook" => "The bank reported new data",
        "schedule" => "Scheduled",
        _ => "Other",
    }
}

/// A run still going (`None`: not polled yet): "Waiting to start…",
/// "Syncing…", or "Syncing: page 2 · 12 new, 1 updated, 0 removed".
pub fn progress(run: Option<&SyncLogView>) -> String {
    match run {
        Some(run) if run.outcome == "queued" => "Waiting to start…".to_owned(),
        Some(run) if run.pages > 0 => format!("Syncing: page {} · {}", run.pages, changes(run)),
        _ => "Syncing…".to_owned(),
    }
}

/// Why an ended run did not succeed, and what to do about it.
pub fn failure(run: &SyncLogView) -> String {
    let fallback = match run.outcome.as_str() {
        "rate_limited" => "The bank asked us to wait. Tributary will try again later.",
        "needs_relink" => "The bank needs you to sign in again: use Relink.",
        "revoked" => "Access to this bank was revoked: use Relink to connect it again.",
        "abandoned" => "The sync was stopped. Try again.",
        _ => "The sync failed. Try again later.",
    };
    run.error_message.clone().filter(|m| !m.trim().is_empty()).unwrap_or_else(|| fallback.to_owned())
}

/// A run of the history, in a few words: how it ended (or how far it is),
/// and how long it took.
pub fn outcome(run: &SyncLogView) -> (Tone, String) {
    let took = run
        .finished_at
        .as_deref()
        .and_then(|end| duration_label(&run.started_at, end))
        .map(|d| format!(" · took {d}"))
        .unwrap_or_default();
    let (tone, what) = match run.outcome.as_str() {
        "success" => (Tone::Success, "Synced".to_owned()),
        "queued" | "running" => (Tone::Busy, progress(Some(run))),
        "rate_limited" => (Tone::Warning, format!("Waited: {}", failure(run))),
        "abandoned" => (Tone::Warning, "Interrupted, then run again".to_owned()),
        _ => (Tone::Error, format!("Failed: {}", failure(run))),
    };
    (tone, format!("{what}{took}"))
}

/// "12 new, 1 updated, 0 removed · 2 pages".
pub fn figures(run: &SyncLogView) -> String {
    format!("{} · {}", changes(run), count(run.pages, "page", "pages"))
}

#[cfg(test)]
pub(crate) mod tests {
    use uuid::Uuid;

    use super::*;

    pub(crate) fn run(outcome: &str) -> SyncLogView {
        SyncLogView {
            id: Uuid::nil(),
            connection_id: Uuid::nil(),
            trigger: "schedule".into(),
            started_at: "2026-11-21T14:03:00Z".into(),
            finished_at: Some("2026-11-21T14:03:04Z".into()),
            outcome: outcome.into(),
            pages: 2,
            added: 12,
            modified: 1,
            removed: 0,
            error_code: None,
            error_message: None,
        }
    }

    #[test]
    fn a_run_reads_as_when_why_what_and_how_it_ended() {
        let ok = run("success");
        assert_eq!(figures(&ok), "12 new, 1 updated, 0 removed · 2 pages");
        assert_eq!(outcome(&ok), (Tone::Success, "Synced · took 4 s".into()));
        let failed = SyncLogView { error_message: Some("Bank down".into()), ..run("error") };
        assert_eq!(outcome(&failed), (Tone::Error, "Failed: Bank down · took 4 s".into()));
        let relink = run("needs_relink");
        assert_eq!(outcome(&relink).1, "Failed: The bank needs you to sign in again: use Relink. · took 4 s");
        let waited = run("rate_limited");
        assert_eq!(outcome(&waited).0, Tone::Warning);
        let going = SyncLogView { finished_at: None, ..run("running") };
        assert_eq!(outcome(&going), (Tone::Busy, "Syncing: page 2 · 12 new, 1 updated, 0 removed".into()));
        assert_eq!(trigger_label("link"), "First sync after connecting");
        assert_eq!(trigger_label("manual"), "Requested by you");
    }

    #[test]
    fn progress_says_how_far_a_run_is() {
        assert_eq!(progress(None), "Syncing…");
        assert_eq!(progress(Some(&run("queued"))), "Waiting to start…");
        let started = SyncLogView { pages: 0, ..run("running") };
        assert_eq!(progress(Some(&started)), "Syncing…");
        assert_eq!(progress(Some(&run("running"))), "Syncing: page 2 · 12 new, 1 updated, 0 removed");
        assert!(is_open(&run("queued")) && is_open(&run("running")) && !is_open(&run("success")));
        let blank = SyncLogView { error_message: Some("  ".into()), ..run("error") };
        assert_eq!(failure(&blank), "The sync failed. Try again later.");
    }
}
