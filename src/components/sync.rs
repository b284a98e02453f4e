//! Syncing banks from a page: "Sync all" with its progress, and the pieces
//! pages share to follow syncs ([`SyncTracker`]) and to say how they go
//! ([`SyncLine`], [`words`]).
//!
//! Without JavaScript "Sync all" is a plain form post that comes back to the
//! page; hydrated, it follows every run it started, bank by bank, and says
//! when they are all done.

pub mod tracker;
pub mod words;

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::task::spawn_local;

pub use tracker::{SyncState, SyncTracker};
pub use words::Tone;

use crate::api::bank::{QueuedSync, SyncAll, sync_all};
use crate::components::forms::{FormError, plain_form_error};

/// One sync's state as a line: a spinner while it runs, then its result.
#[component]
pub fn SyncLine(state: SyncState) -> impl IntoView {
    let (tone, text) = state.describe();
    view! { <ToneLine tone text /> }
}

/// A line of text in `tone`, with a spinner while busy.
#[component]
fn ToneLine(tone: Tone, text: String) -> impl IntoView {
    view! {
        <p class=format!("sync-line {}", tone.class())>
            {(tone == Tone::Busy).then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
            <span>{text}</span>
        </p>
    }
}

/// Where the last press of "Sync all" is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Press {
    Idle,
    /// Asking the server to queue the syncs.
    Asking,
    /// The request failed; why.
    Failed(String),
    /// Following these syncs; `reported` once they all ended and the host
    /// was told.
    Following {
        syncs: Vec<QueuedSync>,
        reported: bool,
    },
}

/// "Sync all": queues a sync of every connection of the signed-in user and
/// follows them to the end, with a summary announced as it changes.
///
/// Place it inside `RequireUser`. It shares the page's [`SyncTracker`] when
/// the page provides one (the Connections page, whose cards then show each
/// bank's progress too), and makes its own otherwise.
#[component]
pub fn SyncAllControl(
    /// Called once all the syncs one press started have ended (hydrated
    /// only): the host reloads what it shows.
    #[prop(optional, into)]
    on_finished: Option<Callback<()>>,
    /// Where the JavaScript-free form post comes back to: a path on this
    /// site (default `/connections`).
    #[prop(optional, into)]
    return_to: Option<String>,
    /// Leave out the line per bank, for a host that shows each bank's
    /// progress itself.
    #[prop(optional)]
    hide_each: bool,
) -> impl IntoView {
    let tracker = SyncTracker::use_or_provide();
    let press = RwSignal::new(Press::Idle);
    let return_to = return_to.unwrap_or_else(|| "/connections".to_owned());

    // Tells the host once every sync of the press has ended.
    Effect::new(move || {
        let all_ended = press.with(|p| match p {
            Press::Following { syncs, reported: false } => syncs.iter().all(|s| !tracker.busy(s.connection_id)),
            _ => false,
        });
        if all_ended {
            press.update(|p| {
                if let Press::Following { reported, .. } = p {
                    *reported = true;
                }
            });
            if let Some(on_finished) = on_finished {
                on_finished.run(());
            }
        }
    });

    let working = move || {
        press.with(|p| match p {
            Press::Asking => true,
            Press::Following { syncs, .. } => syncs.iter().any(|s| tracker.busy(s.connection_id)),
            Press::Idle | Press::Failed(_) => false,
        })
    };
    let start = move || {
        if working() {
            return;
        }
        press.set(Press::Asking);
        spawn_local(async move {
            match sync_all(None).await {
                Ok(syncs) => {
                    for s in &syncs {
                        tracker.follow(s.connection_id, s.run_id, s.next_sync_allowed_at.clone());
                    }
                    press.set(Press::Following { syncs, reported: false });
                }
                Err(error) => press.set(Press::Failed(error.to_string())),
            }
        });
    };

    view! {
        <section class="sync-all" aria-label="Sync all banks">
            <form
                method="post"
                action=SyncAll::PATH
                on:submit=move |ev| {
                    ev.prevent_default();
                    start();
                }
            >
                <input type="hidden" name="return_to" value=return_to />
                <button type="submit" class="button" disabled=working>
                    {move || if working() { "Syncing all…" } else { "Sync all" }}
                </button>
            </form>
            <div class="sync-all-status" role="status" aria-live="polite">
                {move || summary_view(press.get(), tracker)}
                {move || (!hide_each).then(|| each_view(press.get(), tracker))}
            </div>
            <FormError error=plain_form_error(&[SyncAll::PATH]) />
        </section>
    }
}

/// The press in one sentence.
fn summary_view(press: Press, tracker: SyncTracker) -> Option<AnyView> {
    let (tone, text) = match press {
        Press::Idle => return None,
        Press::Asking => (Tone::Busy, "Starting the syncs…".to_owned()),
        Press::Failed(text) => (Tone::Error, text),
        Press::Following { syncs, .. } => {
            let states: Vec<(String, Option<SyncState>)> =
                syncs.iter().map(|s| (bank_name(s), tracker.state(s.connection_id))).collect();
            summary(&states)
        }
    };
    Some(view! { <ToneLine tone text /> }.into_any())
}

/// A line per bank of the press.
fn each_view(press: Press, tracker: SyncTracker) -> Option<AnyView> {
    let Press::Following { syncs, .. } = press else { return None };
    let items = syncs
        .into_iter()
        .map(|s| {
            let name = bank_name(&s);
            let state = move || tracker.state(s.connection_id).map(|state| view! { <SyncLine state /> });
            view! {
                <li>
                    <span class="sync-all-bank">{name}</span>
                    {state}
                </li>
            }
        })
        .collect_view();
    Some(view! { <ul class="sync-all-list">{items}</ul> }.into_any())
}

fn bank_name(s: &QueuedSync) -> String {
    s.institution_name.clone().unwrap_or_else(|| "Unnamed bank".to_owned())
}

/// What a press came to so far: each bank's name and state.
fn summary(states: &[(String, Option<SyncState>)]) -> (Tone, String) {
    let total = i64::try_from(states.len()).unwrap_or(i64::MAX);
    if total == 0 {
        return (Tone::Warning, "No banks to sync yet: connect a bank first.".to_owned());
    }
    let busy = states.iter().filter(|(_, s)| s.as_ref().is_none_or(SyncState::busy)).count();
    let banks = words::count(total, "bank", "banks");
    if busy > 0 {
        let done = states.len() - busy;
        return (Tone::Busy, format!("Syncing {banks}: {done} of {total} done…"));
    }
    let synced: Vec<_> = states.iter().filter_map(|(_, s)| s.as_ref().and_then(SyncState::succeeded)).collect();
    let (added, modified, removed) =
        synced.iter().fold((0, 0, 0), |(a, m, r), run| (a + run.added, m + run.modified, r + run.removed));
    let changes = format!("{added} new, {modified} updated, {removed} removed");
    if synced.len() == states.len() {
        return (Tone::Success, format!("Synced {banks}: {changes}."));
    }
    let others: Vec<&str> = states
        .iter()
        .filter(|(_, s)| s.as_ref().and_then(SyncState::succeeded).is_none())
        .map(|(name, _)| name.as_str())
        .collect();
    let tone = if synced.is_empty() { Tone::Error } else { Tone::Warning };
    (tone, format!("Synced {} of {total} ({changes}). Not synced: {}.", synced.len(), others.join(", ")))
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::components::sync::words::tests::run;
    use crate::model::SyncLogView;

    fn bank(name: &str, state: Option<SyncState>) -> (String, Option<SyncState>) {
        (name.to_owned(), state)
    }

    #[test]
    fn the_summary_counts_banks_and_names_the_ones_not_synced() {
        let ok = || Some(SyncState::Ended(run("success")));
        let going = Some(SyncState::Following { run: Uuid::nil(), last: None });
        assert_eq!(summary(&[bank("A", ok()), bank("B", going)]), (Tone::Busy, "Syncing 2 banks: 1 of 2 done…".into()));
        assert_eq!(
            summary(&[bank("A", ok()), bank("B", ok())]),
            (Tone::Success, "Synced 2 banks: 24 new, 2 updated, 0 removed.".into())
        );
        assert_eq!(summary(&[bank("A", ok())]).1, "Synced 1 bank: 12 new, 1 updated, 0 removed.");
        let failed = Some(SyncState::Ended(SyncLogView { error_message: Some("Bank down".into()), ..run("error") }));
        let waiting = Some(SyncState::Waiting { until: "2026-11-21T14:30:00Z".into() });
        assert_eq!(
            summary(&[bank("A", ok()), bank("B", failed.clone()), bank("C", waiting)]),
            (Tone::Warning, "Synced 1 of 3 (12 new, 1 updated, 0 removed). Not synced: B, C.".into())
        );
        assert_eq!(summary(&[bank("B", failed)]).0, Tone::Error);
        assert_eq!(summary(&[]).0, Tone::Warning);
    }
}
