//! `/connections`: the user's bank connections as cards, with Connect a
//! bank, Sync all, Sync now, Relink and Disconnect, and each connection's
//! health, schedule and sync history.
//!
//! Without JavaScript the page still lists the connections with their
//! history, and Sync all, Sync now and Disconnect are plain form posts that
//! come back here. Connecting and relinking open the provider's widget,
//! which needs JavaScript; without it the page says so.
//!
//! Hydrated, every action runs as a task of the page: the state it shows
//! (the connect flow, each card's sync progress, which histories are open)
//! lives in page-level signals, so refreshing the list never loses it. A
//! sync started elsewhere (the schedule, another tab) is followed too, and
//! the list reloads whenever a followed sync ends.

mod status;

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::task::spawn_local;
use leptos_meta::Title;
use uuid::Uuid;

use crate::api::bank::{
    Disconnect, SyncNow, WidgetSession, complete_connect, create_link_token, disconnect, list_connections, sync_history,
};
use crate::components::avatar::Avatar;
use crate::components::feedback::{ErrorPanel, PageLoading};
use crate::components::forms::{FormError, plain_form_error};
use crate::components::layout::RequireUser;
use crate::components::sync::words::{count, is_open};
use crate::components::sync::{SyncAllControl, SyncLine, SyncTracker};
use crate::components::time::Ago;
use crate::error::AppError;
use crate::model::{ConnectedView, ConnectionStatus, ConnectionView, ProviderKind, SyncLogView};
use crate::widgets::{WidgetError, plaid_link, pluggy_connect};

use self::status::{Schedule, StatusHelp, SyncHistory};

/// The user's bank connections.
#[component]
pub fn ConnectionsPage() -> impl IntoView {
    view! {
        <Title text="Connections" />
        <RequireUser>
            <Connections />
        </RequireUser>
    }
}

/// Where the connect (or relink) flow is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Flow {
    Idle,
    /// The provider chooser is open.
    Choosing,
    /// Working; the text says on what.
    Busy(String),
    /// Finished; the text says what was connected.
    Done(String),
    /// Failed or was cancelled; the text says why.
    Failed(String),
}

impl Flow {
    fn busy(&self) -> bool {
        matches!(self, Self::Busy(_))
    }
}

/// A card's disconnect request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Removal {
    Pending,
    Failed(String),
}

/// The widget last opened, kept alive for its late callbacks (Pluggy keeps
/// its success screen up until the user closes it); dropping it destroys it.
#[allow(dead_code, reason = "held only to be dropped")]
enum OpenWidget {
    Plaid(plaid_link::Link),
    Pluggy(pluggy_connect::Connect),
}

thread_local! {
    /// The one open widget of the browser tab. A thread-local rather than a
    /// local `StoredValue`: the page's owner is dropped on whatever thread
    /// the server is on, and the widget lives only in the (single-threaded)
    /// browser anyway.
    static OPEN_WIDGET: std::cell::RefCell<Option<OpenWidget>> = const { std::cell::RefCell::new(None) };
}

/// Keeps `widget` (or none), destroying the one kept before.
fn keep_widget(widget: Option<OpenWidget>) {
    // Dropped at the end of this function, after the borrow: destroying a
    // widget may run its callbacks.
    let _previous = OPEN_WIDGET.with(|w| w.replace(widget));
}

/// The page's shared state; cheap to copy into handlers and tasks.
#[derive(Clone, Copy)]
struct Page {
    connections: Resource<Result<Vec<ConnectionView>, AppError>>,
    /// The last runs of every connection, newest first.
    history: Resource<Result<Vec<SyncLogView>, AppError>>,
    hydrated: RwSignal<bool>,
    flow: RwSignal<Flow>,
    syncs: SyncTracker,
    removals: RwSignal<HashMap<Uuid, Removal>>,
    /// The connections whose history the user opened.
    open_history: RwSignal<HashSet<Uuid>>,
}

impl Page {
    fn reload(self) {
        self.connections.refetch();
        self.history.refetch();
    }
}

#[component]
fn Connections() -> impl IntoView {
    let syncs = SyncTracker::new();
    provide_context(syncs);
    let page = Page {
        connections: Resource::new(|| (), |()| list_connections()),
        history: Resource::new(|| (), |()| sync_history()),
        hydrated: RwSignal::new(false),
        flow: RwSignal::new(Flow::Idle),
        syncs,
        removals: RwSignal::new(HashMap::new()),
        open_history: RwSignal::new(HashSet::new()),
    };
    Effect::new(move || page.hydrated.set(true));
    Effect::new(move || follow_syncs_started_elsewhere(page));
    Effect::watch(move || syncs.ended(), move |_, _, _| page.reload(), false);
    on_cleanup(|| keep_widget(None));
    provide_context(page);

    view! {
        <div class="page-head">
            <h1>"Connections"</h1>
            <ConnectButton />
        </div>
        <NeedsJs />
        <ProviderChooser />
        <FlowStatus />
        <FormError error=plain_form_error(&[Disconnect::PATH, SyncNow::PATH]) />
        <SyncAllControl hide_each=true />
        <Transition fallback=PageLoading>
            {move || Suspend::new(async move {
                let (connections, history) = (page.connections.await, page.history.await);
                match connections {
                    Ok(list) if list.is_empty() => view! { <NoConnections /> }.into_any(),
                    Ok(list) => {
                        // Without its history (it failed to load) a card still shows the rest.
                        let history = history.unwrap_or_default();
                        view! {
                            <ul class="connection-list" aria-label="Bank connections">
                                {list
                                    .into_iter()
                                    .map(|connection| {
                                        let runs: Vec<SyncLogView> =
                                            history.iter().filter(|r| r.connection_id == connection.id).cloned().collect();
                                        view! { <li><ConnectionCard connection runs /></li> }.into_any()
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Follows the syncs the list shows as under way that this page did not
/// start (the schedule's, a webhook's, another tab's), so the page does not
/// go stale: each card shows its progress and the list reloads when it
/// ends. A connection the provider holds back is left alone: its card says
/// until when.
fn follow_syncs_started_elsewhere(page: Page) {
    let (Some(Ok(connections)), Some(Ok(history))) = (page.connections.get(), page.history.get()) else { return };
    // Only a new list matters here, not every step of the syncs followed.
    untrack(|| {
        for c in connections.iter().filter(|c| c.syncing && c.next_sync_allowed_at.is_none()) {
            if page.syncs.busy(c.id) {
                continue;
            }
            if let Some(run) = history.iter().find(|r| r.connection_id == c.id && is_open(r)) {
                page.syncs.follow_new(c.id, run.id);
            }
        }
    });
}

// ------------------------------------------------------------------ connect

/// "Connect a bank": opens the provider chooser (JavaScript only).
#[component]
fn ConnectButton() -> impl IntoView {
    let page = expect_context::<Page>();
    let open = move || page.flow.with(|f| matches!(f, Flow::Choosing));
    view! {
        <button
            type="button"
            class="button button-primary"
            aria-expanded=move || open().to_string()
            aria-controls="provider-chooser"
            disabled=move || !page.hydrated.get() || page.flow.with(Flow::busy)
            on:click=move |_| page.flow.set(if open() { Flow::Idle } else { Flow::Choosing })
        >
            "Connect a bank"
        </button>
    }
}

/// Without JavaScript, says that connecting needs it (the widget). A
/// `<noscript>`, not a notice removed on hydration: with JavaScript there
/// is nothing to take away, so nothing below it moves as the app starts.
#[component]
fn NeedsJs() -> impl IntoView {
    view! {
        <noscript class="notice" id="needs-js">
            "Connecting or relinking a bank opens your bank's sign-in window, which needs JavaScript. "
            "Turn JavaScript on to connect a bank. You can still see, sync and disconnect your connections."
        </noscript>
    }
}

/// Plaid (United States) or Pluggy (Brazil).
#[component]
fn ProviderChooser() -> impl IntoView {
    let page = expect_context::<Page>();
    let choose = move |provider: ProviderKind| start_connect(page, provider, None);
    view! {
        <Show when=move || page.flow.with(|f| matches!(f, Flow::Choosing))>
            <section class="panel chooser" id="provider-chooser" aria-labelledby="chooser-title">
                <h2 id="chooser-title">"Where is your bank?"</h2>
                <div class="chooser-options">
                    <button type="button" class="provider-option" on:click=move |_| choose(ProviderKind::Plaid)>
                        <span class="provider-name">"Plaid"</span>
                        <span class="provider-region">"United States"</span>
                    </button>
                    <button type="button" class="provider-option" on:click=move |_| choose(ProviderKind::Pluggy)>
                        <span class="provider-name">"Pluggy"</span>
                        <span class="provider-region">"Brazil"</span>
                    </button>
                </div>
                <button type="button" class="button button-quiet" on:click=move |_| page.flow.set(Flow::Idle)>
                    "Cancel"
                </button>
            </section>
        </Show>
    }
}

/// The connect flow's progress and result, announced as it changes.
#[component]
fn FlowStatus() -> impl IntoView {
    let page = expect_context::<Page>();
    view! {
        <div class="flow-status" role="status" aria-live="polite">
            {move || match page.flow.get() {
                Flow::Busy(text) => {
                    view! {
                        <p class="notice notice-busy">
                            <span class="spinner" aria-hidden="true"></span>
                            {text}
                        </p>
                    }
                        .into_any()
                }
                Flow::Done(text) => view! { <p class="notice notice-success">{text}</p> }.into_any(),
                Flow::Failed(text) => view! { <p class="form-error">{text}</p> }.into_any(),
                Flow::Idle | Flow::Choosing => ().into_any(),
            }}
        </div>
    }
}

/// Opens `provider`'s widget for a new connection, or in update mode for
/// `relink` (a connection id and its name), and stores the result.
fn start_connect(page: Page, provider: ProviderKind, relink: Option<(Uuid, String)>) {
    if page.flow.with_untracked(Flow::busy) {
        return;
    }
    page.flow.set(Flow::Busy(format!("Getting {} ready…", provider.label())));
    // The previous widget goes now: one at a time.
    keep_widget(None);
    spawn_local(async move {
        let connection_id = relink.as_ref().map(|(id, _)| *id);
        match run_widget(page, provider, connection_id).await {
            Ok(Some(connected)) => {
                let text = if connected.relinked {
                    format!("Relinked {}. Syncing it now.", connected.institution_name)
                } else {
                    format!(
                        "Connected {}: {}",
                        connected.institution_name,
                        count(connected.accounts_count, "account", "accounts")
                    )
                };
                page.flow.set(Flow::Done(text));
                page.reload();
                page.syncs.follow(connected.connection_id, connected.sync_run_id, None);
            }
            Ok(None) => {
                let text = match relink {
                    Some((_, name)) => format!("{name} was not relinked: the window was closed."),
                    None => "No bank was connected: the window was closed.".to_owned(),
                };
                page.flow.set(Flow::Failed(text));
            }
            Err(text) => page.flow.set(Flow::Failed(text)),
        }
    });
}

/// Token → widget → `complete_connect`. `Ok(None)` when the user closed the
/// widget without connecting.
async fn run_widget(
    page: Page,
    provider: ProviderKind,
    connection_id: Option<Uuid>,
) -> Result<Option<ConnectedView>, String> {
    let session = create_link_token(provider, connection_id).await.map_err(|e| e.to_string())?;
    let token = match provider {
        ProviderKind::Plaid => plaid(page, &session).await?,
        ProviderKind::Pluggy => pluggy(page, &session).await?,
    };
    let Some(token) = token else { return Ok(None) };
    page.flow.set(Flow::Busy("Saving your connection…".to_owned()));
    complete_connect(provider, token, connection_id).await.map(Some).map_err(|e| e.to_string())
}

/// Runs Plaid Link; the public token on success.
async fn plaid(page: Page, session: &WidgetSession) -> Result<Option<String>, String> {
    let text = |e: WidgetError| e.to_string();
    plaid_link::load(session.sandbox).await.map_err(text)?;
    let flow = page.flow;
    let link = plaid_link::Link::create(&session.link_token, move |event| {
        if event == "OPEN" {
            flow.set(Flow::Busy("Continue in the Plaid window…".to_owned()));
        }
    })
    .map_err(text)?;
    link.open().map_err(text)?;
    let outcome = link.finished().await;
    keep_widget(Some(OpenWidget::Plaid(link)));
    match outcome {
        plaid_link::Outcome::Success { public_token, .. } => Ok(Some(public_token)),
        plaid_link::Outcome::Exit { error: Some(error), .. } => Err(error.user_message()),
        plaid_link::Outcome::Exit { error: None, .. } => Ok(None),
    }
}

/// Runs Pluggy Connect; the Item id on success.
async fn pluggy(page: Page, session: &WidgetSession) -> Result<Option<String>, String> {
    let text = |e: WidgetError| e.to_string();
    pluggy_connect::load(session.sandbox).await.map_err(text)?;
    let options = pluggy_connect::Options {
        connect_token: &session.link_token,
        include_sandbox: session.sandbox,
        update_item: session.update_item.as_deref(),
    };
    let connect = pluggy_connect::Connect::open(options).await.map_err(text)?;
    page.flow.set(Flow::Busy("Continue in the Pluggy window…".to_owned()));
    let outcome = connect.finished().await;
    keep_widget(Some(OpenWidget::Pluggy(connect)));
    match outcome {
        pluggy_connect::Outcome::Success(item) => Ok(Some(item.id)),
        pluggy_connect::Outcome::Closed { error: Some(error) } => Err(error),
        pluggy_connect::Outcome::Closed { error: None } => Ok(None),
    }
}

// --------------------------------------------------------------- disconnect

fn start_disconnect(page: Page, connection_id: Uuid) {
    if page.removals.with_untracked(|r| r.get(&connection_id) == Some(&Removal::Pending)) {
        return;
    }
    page.removals.update(|r| {
        r.insert(connection_id, Removal::Pending);
    });
    spawn_local(async move {
        match disconnect(connection_id).await {
            Ok(()) => {
                page.syncs.forget(connection_id);
                page.reload();
            }
            Err(error) => page.removals.update(|r| {
                r.insert(connection_id, Removal::Failed(error.to_string()));
            }),
        }
    });
}

// --------------------------------------------------------------------- list

#[component]
fn NoConnections() -> impl IntoView {
    view! {
        <section class="panel empty-state">
            <div class="empty-illustration" aria-hidden="true"></div>
            <h2>"No banks connected yet"</h2>
            <p>
                "Connect a bank through Plaid (United States) or Pluggy (Brazil). Each connection is listed "
                "here with its status, when it last synced and what to do if it needs attention."
            </p>
        </section>
    }
}

/// One connection. Its parts are type-erased views: one nested type for the
/// whole card overflows the compiler's query depth.
#[component]
fn ConnectionCard(connection: ConnectionView, runs: Vec<SyncLogView>) -> impl IntoView {
    let page = expect_context::<Page>();
    let id = connection.id;
    let name = connection.institution_name.clone().unwrap_or_else(|| "Unnamed bank".to_owned());
    let title_id = format!("connection-{id}");
    let provider = connection.provider;
    let status = connection.status;
    let accounts = count(connection.accounts_count, "account", "accounts");
    let detail = (status != ConnectionStatus::Active).then(|| connection.status_detail.clone()).flatten();
    let wait_until = connection.next_sync_allowed_at.clone();
    let removing = move || page.removals.with(|r| r.get(&id) == Some(&Removal::Pending));

    let header = view! {
        <header class="connection-head">
            <Avatar
                name=name.clone()
                image=connection.institution_logo.clone()
                color=connection.institution_color.clone()
            />
            <div class="connection-title">
                <h2 id=title_id.clone()>{name.clone()}</h2>
                <p class="connection-meta">{format!("{} · {accounts}", provider.label())}</p>
            </div>
            <CardMenu id provider name=name.clone() />
        </header>
    }
    .into_any();
    let status_line = view! {
        <p class="status-line">
            <span class=format!("status-pill status-{}", status.as_str())>{status.label()}</span>
            {connection.syncing.then_some(" · sync in progress")}
            <LastSynced at=connection.last_synced_at.clone() />
        </p>
        <StatusHelp status detail consent_expires_at=connection.consent_expires_at.clone() />
        <Schedule status next_sync_at=connection.next_sync_at.clone() allowed_at=wait_until.clone() />
    }
    .into_any();
    let actions = view! {
        <div class="card-actions">
            <SyncButton id wait_until />
            {status.needs_relink().then(|| view! { <RelinkButton id provider name=name.clone() /> })}
            <DisconnectConfirm id provider name=name.clone() accounts=accounts.clone() />
        </div>
    }
    .into_any();
    let removal_error = move || {
        page.removals
            .with(|r| match r.get(&id) {
                Some(Removal::Failed(text)) => Some(text.clone()),
                _ => None,
            })
            .map(|text| view! { <p class="form-error" role="alert">{text}</p> })
    };

    view! {
        <article class="connection-card" aria-labelledby=title_id aria-busy=move || removing().to_string()>
            {header}
            {status_line}
            {actions}
            <SyncProgress id />
            <SyncHistory id name runs />
            {removal_error}
        </article>
    }
}

/// Whether a connect or relink flow can start now.
fn connect_unavailable(page: Page) -> bool {
    !page.hydrated.get() || page.flow.with(Flow::busy)
}

/// The card's menu: Relink at any time (a `<details>`, so it opens without
/// JavaScript; Relink itself needs it).
#[component]
fn CardMenu(id: Uuid, provider: ProviderKind, name: String) -> impl IntoView {
    let page = expect_context::<Page>();
    let label = format!("More actions for {name}");
    let menu = NodeRef::<leptos::html::Details>::new();
    let relink = move |_| {
        if let Some(menu) = menu.get_untracked() {
            menu.set_open(false);
        }
        start_connect(page, provider, Some((id, name.clone())));
    };
    view! {
        <details class="card-menu" node_ref=menu>
            <summary aria-label=label>
                <span aria-hidden="true">"⋯"</span>
            </summary>
            <div class="menu-panel">
                <button
                    type="button"
                    class="menu-item"
                    disabled=move || connect_unavailable(page)
                    on:click=relink
                >
                    "Relink"
                </button>
                <p class="menu-note">"Sign in to the bank again to repair this connection or renew consent."</p>
            </div>
        </details>
    }
    .into_any()
}

/// Relink, shown on the card when the connection needs it.
#[component]
fn RelinkButton(id: Uuid, provider: ProviderKind, name: String) -> impl IntoView {
    let page = expect_context::<Page>();
    view! {
        <button
            type="button"
            class="button button-primary"
            disabled=move || connect_unavailable(page)
            on:click=move |_| start_connect(page, provider, Some((id, name.clone())))
        >
            "Relink"
        </button>
    }
    .into_any()
}

/// Sync now: a plain form post without JavaScript, followed live with it.
/// `wait_until`: the provider's rate limit, if any.
#[component]
fn SyncButton(id: Uuid, wait_until: Option<String>) -> impl IntoView {
    let page = expect_context::<Page>();
    let syncing = move || page.syncs.busy(id);
    view! {
        <form
            method="post"
            action=SyncNow::PATH
            on:submit=move |ev| {
                ev.prevent_default();
                page.syncs.sync_now(id, wait_until.clone());
            }
        >
            <input type="hidden" name="connection_id" value=id.to_string() />
            <button type="submit" class="button" disabled=syncing>
                {move || if syncing() { "Syncing…" } else { "Sync now" }}
            </button>
        </form>
    }
    .into_any()
}

/// Disconnect behind a confirmation: a `<details>` holding the form, so it
/// works without JavaScript too.
#[component]
fn DisconnectConfirm(id: Uuid, provider: ProviderKind, name: String, accounts: String) -> impl IntoView {
    let page = expect_context::<Page>();
    let removing = move || page.removals.with(|r| r.get(&id) == Some(&Removal::Pending));
    let question = format!(
        "Remove {name} and its {accounts} with their transactions from Tributary? Access is also revoked at {}.",
        provider.label()
    );
    view! {
        <details class="confirm">
            <summary class="button button-quiet">"Disconnect"</summary>
            <div class="confirm-body">
                <p>{question}</p>
                <form
                    method="post"
                    action=Disconnect::PATH
                    on:submit=move |ev| {
                        ev.prevent_default();
                        start_disconnect(page, id);
                    }
                >
                    <input type="hidden" name="connection_id" value=id.to_string() />
                    <button type="submit" class="button button-danger" disabled=removing>
                        {move || if removing() { "Disconnecting…" } else { "Yes, disconnect" }}
                    </button>
                </form>
            </div>
        </details>
    }
    .into_any()
}

/// How the sync this page follows goes: its pages and counts while it
/// runs, then its result. The space is kept, so nothing below it moves.
#[component]
fn SyncProgress(id: Uuid) -> impl IntoView {
    let page = expect_context::<Page>();
    view! {
        <div class="sync-status" role="status" aria-live="polite">
            {move || page.syncs.state(id).map(|state| view! { <SyncLine state /> })}
        </div>
    }
}

/// "Last synced 5 minutes ago", or "Never synced".
#[component]
fn LastSynced(at: Option<String>) -> impl IntoView {
    match at {
        Some(at) => view! { <span class="last-synced">" · Last synced " <Ago at /></span> }.into_any(),
        None => view! { <span class="last-synced">" · Never synced"</span> }.into_any(),
    }
}
