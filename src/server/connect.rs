//! The connect flow (issue #5 §3): a link token for the widget, turning
//! what the widget hands back into a stored connection, relinking, and
//! disconnecting. REST handlers and server functions both call these.

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{ConnectedView, ConnectionStatus, ProviderKind, User};
use crate::server::auth::audit;
use crate::server::provider::{
    Account, ApiErrorKind, CompleteLink, Institution, LinkRequest, LinkSession, Provider, ProviderError,
};
use crate::server::security::ClientInfo;
use crate::server::state::AppState;
use crate::server::store::bank::{NewConnection, StatusChange};
use crate::server::store::jobs::SyncTrigger;
use crate::server::store::{SecretSlot, StoreError};

/// Logs the detail of a store failure and hides it from the user.
pub fn store_error(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound,
        other => {
            tracing::error!(error = %other, "store failure");
            AppError::Internal
        }
    }
}

/// A provider failure for the user: their message, the provider's code.
pub fn provider_error(e: &ProviderError) -> AppError {
    tracing::warn!(error = %e, "provider call failed");
    AppError::Provider { message: e.user_message(), code: e.code().to_owned() }
}

/// The configured provider of `kind`.
///
/// # Errors
/// [`AppError::NotFound`] when it is not configured.
pub fn provider(state: &AppState, kind: ProviderKind) -> Result<std::sync::Arc<dyn Provider>, AppError> {
    state.sync.providers.get(kind).cloned().ok_or(AppError::NotFound)
}

/// Where the provider should send this app's webhooks for new items. Plaid
/// takes a per-item URL; Pluggy's per-item URL carries no secret header, so
/// Pluggy webhooks come through the registered `/webhooks` resource instead.
fn webhook_url(state: &AppState, kind: ProviderKind) -> Option<String> {
    match kind {
        ProviderKind::Plaid => Some(state.config.plaid_webhook_url.as_ref().map_or_else(
            || format!("{}/api/plaid/webhook", state.config.base_url.as_str().trim_end_matches('/')),
            ToString::to_string,
        )),
        ProviderKind::Pluggy => None,
    }
}

/// A token for the widget: new, or update mode for `connection_id`.
///
/// # Errors
/// Not the user's connection (404), a connection of the other provider (422),
/// or the provider refused.
pub async fn link_token(
    state: &AppState,
    user: &User,
    kind: ProviderKind,
    products: Vec<String>,
    connection_id: Option<Uuid>,
) -> Result<LinkSession, AppError> {
    let provider = provider(state, kind)?;
    let update = match connection_id {
        Some(id) => {
            let connection = state.store.user_connection(user.id, id).await.map_err(store_error)?;
            let connection = connection.ok_or(AppError::NotFound)?;
            if connection.provider != kind {
                return Err(AppError::validation(
                    "connection_id",
                    format!("This connection is through {}, not {}.", connection.provider.label(), kind.label()),
                ));
            }
            Some(state.sync.item(&connection).map_err(|e| {
                tracing::error!(error = %e, "cannot open a connection token");
                AppError::Internal
            })?)
        }
        None => None,
    };
    let request = LinkRequest { user_id: user.id, update, products, webhook_url: webhook_url(state, kind) };
    provider.create_link(&request).await.map_err(|e| provider_error(&e))
}

/// Stores what the widget handed back: a new connection with its accounts,
/// or — for update mode, or the same provider item again — the existing
/// one, repaired. Either way a sync is queued.
///
/// # Errors
/// Bad token (422 / provider error), not the user's connection (404), or
/// the same bank login already connected (409).
pub async fn connect(
    state: &AppState,
    user: &User,
    kind: ProviderKind,
    token: &str,
    connection_id: Option<Uuid>,
    client: &ClientInfo,
) -> Result<ConnectedView, AppError> {
    let field = match kind {
        ProviderKind::Plaid => "public_token",
        ProviderKind::Pluggy => "item_id",
    };
    let token = token.trim();
    if token.is_empty() || token.len() > 512 {
        return Err(AppError::validation(field, format!("{field} is required")));
    }
    if let Some(id) = connection_id {
        return relinked(state, user, kind, id, Some(token), client).await;
    }
    let provider = provider(state, kind)?;
    let linked = provider.complete_link(&CompleteLink { user_id: user.id, token: token.to_owned() }).await.map_err(
        |e| match e.kind() {
            ApiErrorKind::Permanent if matches!(e, ProviderError::Invalid(_)) => {
                AppError::validation(field, e.user_message())
            }
            _ => provider_error(&e),
        },
    )?;

    // The same provider item again (Pluggy's widget in update mode hands
    // back the item it repaired): that connection, not a second one.
    if let Some(existing) = state.store.connection_by_item(kind, &linked.item.item_id).await.map_err(store_error)? {
        if existing.user_id != user.id {
            tracing::warn!(item = %linked.item.item_id, "a user tried to connect another user's item");
            return Err(AppError::NotFound);
        }
        return relinked(state, user, kind, existing.id, None, client).await;
    }

    let institution_id = state.store.upsert_institution(kind, &linked.institution).await.map_err(store_error)?;
    if let Some(name) = duplicate_login(state, user, institution_id, &linked.accounts).await? {
        // Do not keep the second item at the provider: it would be billed
        // and synced for nothing.
        if let Err(e) = provider.remove(&linked.item).await {
            tracing::warn!(error = %e, "could not remove a duplicate item at the provider");
        }
        return Err(AppError::Conflict(format!(
            "This {} login is already connected ({name}). Use Relink on that connection instead.",
            linked.institution.name
        )));
    }

    let id = Uuid::new_v4();
    let sealed = state.keyring.seal(linked.item.secret.expose(), &SecretSlot::ConnectionToken(id).context());
    let now = Utc::now();
    state
        .store
        .insert_connection(&NewConnection {
            id,
            user_id: user.id,
            provider: kind,
            provider_item_id: linked.item.item_id.clone(),
            institution_id,
            access_token_enc: sealed,
            consent_expires_at: linked.consent_expires_at,
            next_sync_at: state.sync.next_scheduled(now),
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => AppError::Conflict("This bank connection already exists.".into()),
            other => store_error(other),
        })?;
    state.store.upsert_accounts(id, user.id, &linked.accounts, now.date_naive()).await.map_err(store_error)?;
    let queued = state.sync.request(id, SyncTrigger::Link).await.map_err(store_error)?;
    audit(state, Some(user.id), "connect", Some(format!("{kind:?} {}", linked.institution.name)), client).await;
    tracing::info!(user_id = %user.id, connection = %id, provider = kind.as_str(), "connected");
    Ok(ConnectedView {
        connection_id: id,
        accounts_count: i64::try_from(linked.accounts.len()).unwrap_or(i64::MAX),
        institution_name: linked.institution.name,
        relinked: false,
        sync_run_id: queued.run_id,
    })
}

/// The widget finished update mode for `connection_id`: the connection is
/// healthy again (as far as we know) and syncs now.
async fn relinked(
    state: &AppState,
    user: &User,
    kind: ProviderKind,
    connection_id: Uuid,
    token: Option<&str>,
    client: &ClientInfo,
) -> Result<ConnectedView, AppError> {
    let connection = state.store.user_connection(user.id, connection_id).await.map_err(store_error)?;
    let connection = connection.ok_or(AppError::NotFound)?;
    if connection.provider != kind {
        return Err(AppError::validation("connection_id", "This connection is through the other provider."));
    }
    // Pluggy's widget hands back the item it repaired: it must be this one.
    if kind == ProviderKind::Pluggy && token.is_some_and(|t| t != connection.provider_item_id) {
        return Err(AppError::validation("item_id", "This item is not the connection being repaired."));
    }
    state
        .store
        .set_connection_status(connection.id, &StatusChange::to(ConnectionStatus::Active))
        .await
        .map_err(store_error)?;
    let queued = state.sync.request(connection.id, SyncTrigger::Link).await.map_err(store_error)?;
    audit(state, Some(user.id), "relink", Some(connection.id.to_string()), client).await;
    Ok(ConnectedView {
        connection_id: connection.id,
        accounts_count: connection.accounts_count,
        institution_name: connection.institution_name.unwrap_or_default(),
        relinked: true,
        sync_run_id: queued.run_id,
    })
}

/// The name of the user's connection at this institution with the same
/// accounts, if any: the same bank login linked twice.
async fn duplicate_login(
    state: &AppState,
    user: &User,
    institution_id: Uuid,
    accounts: &[Account],
) -> Result<Option<String>, AppError> {
    let fingerprint = |a: (&str, Option<&str>, Option<&str>, &str)| {
        (a.0.to_owned(), a.1.map(str::to_owned), a.2.map(str::to_owned), a.3.to_owned())
    };
    let new: BTreeSet<_> = accounts
        .iter()
        .map(|a| fingerprint((&a.account_type, a.subtype.as_deref(), a.mask.as_deref(), &a.name)))
        .collect();
    if new.is_empty() {
        return Ok(None);
    }
    let connections = state.store.user_connections(user.id).await.map_err(store_error)?;
    let stored = state.store.user_accounts(user.id).await.map_err(store_error)?;
    let mut by_connection: HashMap<Uuid, BTreeSet<_>> = HashMap::new();
    for a in &stored {
        by_connection.entry(a.connection_id).or_default().insert(fingerprint((
            &a.account_type,
            a.subtype.as_deref(),
            a.mask.as_deref(),
            &a.name,
        )));
    }
    Ok(connections
        .iter()
        .filter(|c| c.institution_id == Some(institution_id))
        .find(|c| by_connection.get(&c.id).is_some_and(|set| *set == new))
        .map(|c| c.institution_name.clone().unwrap_or_else(|| "another connection".into())))
}

/// Removes a connection at the provider, then its data here.
///
/// # Errors
/// Not the user's (404), or the provider could not be reached (502: nothing
/// is deleted, so the user can try again).
pub async fn disconnect(
    state: &AppState,
    user: &User,
    connection_id: Uuid,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let connection = state.store.user_connection(user.id, connection_id).await.map_err(store_error)?;
    let connection = connection.ok_or(AppError::NotFound)?;
    let provider = provider(state, connection.provider)?;
    match state.sync.item(&connection) {
        Ok(item) => match provider.remove(&item).await {
            Ok(()) => {}
            Err(e) if matches!(e.kind(), ApiErrorKind::Revoked | ApiErrorKind::LoginRequired) => {}
            Err(e) => return Err(provider_error(&e)),
        },
        // A token no key opens cannot be removed at the provider; the data
        // here still goes.
        Err(e) => tracing::warn!(error = %e, "disconnect: token unreadable; removing local data only"),
    }
    state.store.delete_connection(connection.id).await.map_err(store_error)?;
    audit(state, Some(user.id), "disconnect", Some(connection.institution_name.unwrap_or_default()), client).await;
    tracing::info!(user_id = %user.id, connection = %connection.id, "disconnected");
    Ok(())
}

/// Queues a sync of one of the user's connections, or all of them; returns
/// `(connection id, run id)` pairs.
///
/// # Errors
/// Not the user's connection (404).
pub async fn request_sync(
    state: &AppState,
    user: &User,
    connection_id: Option<Uuid>,
) -> Result<Vec<(Uuid, Uuid)>, AppError> {
    let connections = match connection_id {
        Some(id) => {
            vec![state.store.user_connection(user.id, id).await.map_err(store_error)?.ok_or(AppError::NotFound)?]
        }
        None => state.store.user_connections(user.id).await.map_err(store_error)?,
    };
    let mut queued = Vec::new();
    for c in connections {
        let run = state.sync.request(c.id, SyncTrigger::Manual).await.map_err(store_error)?;
        queued.push((c.id, run.run_id));
    }
    Ok(queued)
}

/// Institutions of `kind` matching `query`.
///
/// # Errors
/// An empty or long query (422) or a provider failure.
pub async fn search_institutions(
    state: &AppState,
    kind: ProviderKind,
    query: &str,
    country: Option<&str>,
) -> Result<Vec<Institution>, AppError> {
    let query = query.trim();
    if query.is_empty() || query.chars().count() > 100 {
        return Err(AppError::validation("q", "q must be 1 to 100 characters"));
    }
    let country = country.map(str::trim).filter(|c| !c.is_empty());
    if let Some(c) = country
        && (c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()))
    {
        return Err(AppError::validation("country", "country must be a two-letter ISO code"));
    }
    let upper = country.map(str::to_ascii_uppercase);
    provider(state, kind)?.search_institutions(query, upper.as_deref()).await.map_err(|e| provider_error(&e))
}
