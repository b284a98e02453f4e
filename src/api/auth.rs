//! Sign-in, registration, sign-out and "who am I" for the pages.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::SessionInfo;

/// The signed-in user (if any) and which providers are sandboxed.
#[server]
pub async fn get_session_info() -> Result<SessionInfo, AppError> {
    use crate::server::{auth, state::AppState};
    let state = expect_context::<AppState>();
    let session = leptos_axum::extract::<tower_sessions::Session>().await.map_err(|_| AppError::Internal)?;
    let user = auth::current_user(&state, &session).await?;
    Ok(SessionInfo { user, sandbox: state.config.sandbox() })
}

/// Signs in and goes to the dashboard.
#[server]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    use crate::model::Credentials;
    use crate::server::{auth, security::ClientInfo, state::AppState};
    let state = expect_context::<AppState>();
    let session = leptos_axum::extract::<tower_sessions::Session>().await.map_err(|_| AppError::Internal)?;
    let axum::Extension(client) = leptos_axum::extract::<axum::Extension<ClientInfo>>().await.unwrap_or_default();
    auth::login(&state, &session, Credentials { email, password }, &client).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Creates an account, signs it in and goes to the dashboard.
#[server]
pub async fn register(email: String, password: String) -> Result<(), AppError> {
    use crate::model::Credentials;
    use crate::server::{auth, security::ClientInfo, state::AppState};
    let state = expect_context::<AppState>();
    let session = leptos_axum::extract::<tower_sessions::Session>().await.map_err(|_| AppError::Internal)?;
    let axum::Extension(client) = leptos_axum::extract::<axum::Extension<ClientInfo>>().await.unwrap_or_default();
    auth::register(&state, &session, Credentials { email, password }, &client).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Signs out and goes to the sign-in page.
#[server]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::{auth, security::ClientInfo, state::AppState};
    let state = expect_context::<AppState>();
    let session = leptos_axum::extract::<tower_sessions::Session>().await.map_err(|_| AppError::Internal)?;
    let axum::Extension(client) = leptos_axum::extract::<axum::Extension<ClientInfo>>().await.unwrap_or_default();
    auth::logout(&state, &session, &client).await?;
    leptos_axum::redirect("/login");
    Ok(())
}
