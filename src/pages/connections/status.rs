//! A card's health and timeline: what its status means and the one action
//! that fixes it (DESIGN §5), when it syncs next or may sync again, and its
//! last runs. All server-rendered, so they read the same without JavaScript.

use leptos::prelude::*;
use uuid::Uuid;

use super::Page;
use crate::components::sync::words::{self, trigger_label};
use crate::components::time::{UtcTime, utc_label};
use crate::model::{ConnectionStatus, SyncLogView};

/// The one action that fixes a connection in `status`, in plain words.
/// `consent_expires_at` dates an expiring one.
fn fix(status: ConnectionStatus, consent_expires_at: Option<&str>) -> Option<String> {
    let text = match status {
        ConnectionStatus::Active | ConnectionStatus::Syncing => return None,
        ConnectionStatus::NeedsRelink => "To fix it, sign in to your bank again with Relink.",
        ConnectionStatus::Expiring => {
            let ends = consent_expires_at.and_then(utc_label).map_or("soon".to_owned(), |at| format!("on {at}"));
            return Some(format!("Access ends {ends}. To keep it, renew it with Relink."));
        }
        ConnectionStatus::RateLimited => "Nothing to do: Tributary syncs again by itself when the bank allows it.",
        ConnectionStatus::Error => "To try again, use Sync now.",
        ConnectionStatus::Revoked => "Access was revoked at the bank. To allow it again, use Relink.",
        ConnectionStatus::Disconnected => "To use this bank again, remove it with Disconnect, then connect it again.",
    };
    Some(text.to_owned())
}

/// Whether the schedule syncs a connection in `status` (the others wait for
/// the user to relink).
fn scheduled(status: ConnectionStatus) -> bool {
    matches!(
        status,
        ConnectionStatus::Active
            | ConnectionStatus::Syncing
            | ConnectionStatus::Expiring
            | ConnectionStatus::Error
            | ConnectionStatus::RateLimited
    )
}

/// What happened (the provider's words, when not active) and what fixes it.
#[component]
pub fn StatusHelp(
    status: ConnectionStatus,
    detail: Option<String>,
    consent_expires_at: Option<String>,
) -> impl IntoView {
    let fix = fix(status, consent_expires_at.as_deref());
    (detail.is_some() || fix.is_some()).then(|| {
        view! {
            <div class="status-detail">
                {detail.map(|text| view! { <p>{text}</p> })}
                {fix.map(|text| view! { <p class="status-fix">{text}</p> })}
            </div>
        }
    })
}

/// When the provider allows the next sync (a rate limit), and when the
/// schedule syncs the connection next.
#[component]
pub fn Schedule(status: ConnectionStatus, next_sync_at: Option<String>, allowed_at: Option<String>) -> impl IntoView {
    let next = match next_sync_at.filter(|_| scheduled(status)) {
        Some(at) => view! { "Next scheduled sync: " <UtcTime at /> }.into_any(),
        None => "No scheduled syncs until it is fixed.".into_any(),
    };
    view! {
        <div class="sync-facts">
            {allowed_at
                .map(|at| {
                    view! {
                        <p class="rate-limit">"The bank asked us to wait. Next sync allowed at " <UtcTime at /> "."</p>
                    }
                })}
            <p class="sync-schedule">{next}</p>
        </div>
    }
}

/// The connection's last runs in a disclosure: when, why, what changed, how
/// it ended and how long it took. It stays open across reloads of the list.
#[component]
pub fn SyncHistory(id: Uuid, name: String, runs: Vec<SyncLogView>) -> impl IntoView {
    let page = expect_context::<Page>();
    let details = NodeRef::<leptos::html::Details>::new();
    let open = move || page.open_history.with(|o| o.contains(&id));
    let toggle = move |_| {
        if let Some(details) = details.get_untracked() {
            let now_open = details.open();
            page.open_history.update(|o| {
                if now_open {
                    o.insert(id);
                } else {
                    o.remove(&id);
                }
            });
        }
    };
    let body = if runs.is_empty() {
        view! { <p class="history-empty">"No syncs yet."</p> }.into_any()
    } else {
        view! { <ol class="history-list">{runs.into_iter().map(|run| view! { <HistoryRun run /> }).collect_view()}</ol> }
            .into_any()
    };
    view! {
        <details class="sync-history" node_ref=details prop:open=open on:toggle=toggle>
            <summary>"Sync history" <span class="visually-hidden">{format!(" of {name}")}</span></summary>
            {body}
        </details>
    }
    .into_any()
}

#[component]
fn HistoryRun(run: SyncLogView) -> impl IntoView {
    let (tone, outcome) = words::outcome(&run);
    view! {
        <li class="history-run">
            <p class="history-when">
                <UtcTime at=run.started_at.clone() />
                <span class="history-trigger">{format!(" · {}", trigger_label(&run.trigger))}</span>
            </p>
            <p class="history-figures">{words::figures(&run)}</p>
            <p class=format!("history-outcome {}", tone.class())>{outcome}</p>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_but_active_says_what_fixes_it() {
        assert_eq!(fix(ConnectionStatus::Active, None), None);
        assert_eq!(
            fix(ConnectionStatus::NeedsRelink, None).as_deref(),
            Some("To fix it, sign in to your bank again with Relink.")
        );
        assert_eq!(
            fix(ConnectionStatus::Expiring, Some("2026-12-01T00:00:00Z")).as_deref(),
            Some("Access ends on 1 Dec 2026, 00:00 UTC. To keep it, renew it with Relink.")
        );
        assert_eq!(
            fix(ConnectionStatus::Expiring, None).as_deref(),
            Some("Access ends soon. To keep it, renew it with Relink.")
        );
        for status in [
            ConnectionStatus::RateLimited,
            ConnectionStatus::Error,
            ConnectionStatus::Revoked,
            ConnectionStatus::Disconnected,
        ] {
            assert!(fix(status, None).is_some_and(|t| !t.is_empty()), "{status:?}");
        }
        assert!(scheduled(ConnectionStatus::Active) && !scheduled(ConnectionStatus::NeedsRelink));
    }
}
