//! Bank connections for the pages: list them, open a provider widget,
//! store what it hands back, sync, and disconnect. Each function resolves the
//! signed-in user and leaves ownership checks to `server::connect` and
//! `server::queries`, which answer 404 for another user's id.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{AccountView, ConnectedView, ConnectionView, ProviderKind, SyncLogView};

/// What the browser needs to open a provider's widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetSession {
    pub provider: ProviderKind,
    /// Plaid's `link_token` or Pluggy's connect token.
    pub link_token: String,
    /// RFC 3339.
    pub expiration: String,
    /// Pluggy update mode: the Item to repair (Pluggy's widget needs it
    /// besides a token made for it). Never set for Plaid, whose token
    /// carries the item.
    pub update_item: Option<String>,
    /// The provider is emulated: load the sandbox's widget script.
    pub sandbox: bool,
}

/// The signed-in user's connections, with their health.
#[server]
pub async fn list_connections() -> Result<Vec<ConnectionView>, AppError> {
    use crate::server::{fn_context::FnContext, fn_context::respond, queries};
    respond(async {
        let cx = FnContext::current().await?;
        let user = cx.user().await?;
        queries::connections(&cx.state, &user).await
    })
    .await
}

/// The signed-in user's accounts.
#[server]
pub async fn list_accounts() -> Result<Vec<AccountView>, AppError> {
    use crate::server::{fn_context::FnContext, fn_context::respond, queries};
    respond(async {
        let cx = FnContext::current().await?;
        let user = cx.user().await?;
        queries::accounts(&cx.state, &user).await
    })
    .await
}

/// A widget session for `provider`: a new connection, or update mode
/// (relink) for `connection_id`.
#[server]
pub async fn create_link_token(provider: ProviderKind, connection_id: Option<Uuid>) -> Result<WidgetSession, AppError> {
    use crate::server::{connect, fn_context::FnContext, fn_context::respond, views};
    respond(async {
        let cx = FnContext::current().await?;
        let user = cx.user().await?;
        // Checks ownership and provider of `connection_id` first.
        let session = connect::link_token(&cx.state, &user, provider, Vec::new(), connection_id).await?;
        let update_item = match (provider, connection_id) {
            (ProviderKind::Pluggy, Some(id)) => cx
                .state
                .store
                .user_connection(user.id, id)
                .await
                .map_err(connect::store_error)?
                .map(|c| c.provider_item_id),
            _ => None,
        };
        let sandbox = cx.state.config.sandbox();
        let view = views::link_token(session);
        Ok(WidgetSession {
            provider,
            link_token: view.link_token,
            expiration: view.expiration,
            update_item,
            sandbox: match provider {
                ProviderKind::Plaid => sandbox.plaid,
                ProviderKind::Pluggy => sandbox.pluggy,
            },
        })
    })
    .await
}

/// Stores what the widget handed back (Plaid's public token, Pluggy's item
/// id) as a connection, or repairs `connection_id` after update mode.
#[server]
pub async fn complete_connect(
    provider: ProviderKind,
    token: String,
    connection_id: Option<Uuid>,
) -> Result<ConnectedView, AppError> {
    use crate::server::{connect, fn_context::FnContext, fn_context::respond};
    respond(async {
        let cx = FnContext::current().await?;
        let user = cx.user().await?;
        connect::connect(&cx.state, &user, provider, &token, connection_id, &cx.client).await
    })
    .await
}

/// Queues a sync of one connection; returns the id of the run that will
/// carry it out. A plain form post goes back to `/connections`.
#[server]
pub async fn sync_now(connection_id: Uuid) -> Result<Uuid, AppError> {
    use crate::server::{
        connect,
        fn_context::{FnContext, redirect_plain_form, respond},
    };
    respond(async {
        let cx = FnContext::current().await?;
        let user = cx.user().await?;
        let queued = connect::request_sync(&cx.state, &user, Some(connection_id)).await?;
        let run = queued.into_iter().find(|(c, _)| *c == connection_id).map(|(_, run)| run);
        let run = run.ok_or(AppError::NotFound)?;
        redirect_plain_form("/connections");
        Ok(run)
    })
    .await
}

/// A sync that "Sync all" queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedSync {
    pub connection_id: Uuid,
    /// The run that carries it out (poll it with [`sync_run`]).
    pub run_id: Uuid,
    pub institution_name: Option<String>,
    /// The provider asked to wait: the run starts at this time (RFC 3339).
    pub next_sync_allowed_at: Option<String>,
}

/// Runs kept in a connection's history on the Connections page.
pub const HISTORY_RUNS: i64 = 10;

/// Queues a sync of every connection of the user. A plain form post goes
/// back to `return_to` (a path on this site; `/connections` otherwise).
#[server]
pub async fn sync_all(return_to: Option<String>) -> Result<Vec<QueuedSync>, AppError> {
    use std::collections::HashMap;

    use crate::server::{
        connect,
        fn_context::{FnContext, local_path, redirect_plain_form, respond},
        queries,
    };
    respond(async {
        let cx = FnContext::current().await?;
        let user = cx.user().await?;
        let queued = connect::request_sync(&cx.state, &user, None).await?;
        let mut connections: HashMap<Uuid, ConnectionView> =
            queries::connections(&cx.state, &user).await?.into_iter().map(|c| (c.id, c)).collect();
        let queued = queued
            .into_iter()
            .map(|(connection_id, run_id)| {
                let view = connections.remove(&connection_id);
                QueuedSync {
                    connection_id,
                    run_id,
                    institution_name: view.as_ref().and_then(|c| c.institution_name.clone()),
                    next_sync_allowed_at: view.and_then(|c| c.next_sync_allowed_at),
                }
            })
            .collect();
        redirect_plain_form(local_path(return_to.as_deref(), "/connections"));
        Ok(queued)
    })
    .await
}

/// The last [`HISTORY_RUNS`] sync runs of each of the user's connections,
/// newest first.
#[server]
pub async fn sync_history() -> Result<Vec<SyncLogView>, AppError> {
    use crate::server::{fn_context::FnContext, fn_context::respond, queries};
    respond(async {
        let cx = FnContext::current().await?;
        let user = cx.user().await?;
        queries::recent_sync_logs(&cx.state, &user, HISTORY_RUNS).await
    })
    .await
}

/// How sync run `run_id` of `connection_id` is going (polled by the page).
#[server]
pub async fn sync_run(connection_id: Uuid, run_id: Uuid) -> Result<SyncLogView, AppError> {
    use crate::server::{fn_context::FnContext, fn_context::respond, queries};
    respond(async {
        let cx = FnContext::current().await?;
        let user = cx.user().await?;
        // Newest first: the run asked about is among the last few.
        let runs = queries::sync_logs(&cx.state, &user, Some(connection_id), 20).await?;
        runs.into_iter().find(|r| r.id == run_id).ok_or(AppError::NotFound)
    })
    .await
}

/// Removes a connection at the provider and here. Works as a plain form
/// post: it goes back to `/connections`.
#[server]
pub async fn disconnect(connection_id: Uuid) -> Result<(), AppError> {
    use crate::server::{
        connect,
        fn_context::{FnContext, redirect_plain_form, respond},
    };
    respond(async {
        let cx = FnContext::current().await?;
        let user = cx.user().await?;
        connect::disconnect(&cx.state, &user, connection_id, &cx.client).await?;
        redirect_plain_form("/connections");
        Ok(())
    })
    .await
}
