//! What a server function needs to know about its request.

use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use leptos::prelude::{expect_context, use_context};
use leptos_axum::ResponseOptions;
use tower_sessions::Session;

use crate::error::AppError;
use crate::model::User;
use crate::server::auth;
use crate::server::security::ClientInfo;
use crate::server::state::AppState;

/// The app state, the session and the client of the current server function call.
pub struct FnContext {
    pub state: AppState,
    pub session: Session,
    pub client: ClientInfo,
}

impl FnContext {
    /// Reads the context Leptos provides to a server function.
    ///
    /// # Errors
    /// [`AppError::Internal`] when called outside a request (a bug).
    pub async fn current() -> Result<Self, AppError> {
        let state = expect_context::<AppState>();
        let session = leptos_axum::extract::<Session>().await.map_err(|e| {
            tracing::error!(error = %e, "no session layer around a server function");
            AppError::Internal
        })?;
        let client = use_context::<Parts>().and_then(|p| p.extensions.get::<ClientInfo>().cloned()).unwrap_or_default();
        Ok(Self { state, session, client })
    }

    /// The signed-in user.
    ///
    /// # Errors
    /// [`AppError::Unauthorized`] when signed out.
    pub async fn user(&self) -> Result<User, AppError> {
        auth::require_user(&self.state, &self.session).await
    }
}

/// Whether this call is a JavaScript-free form post (the browser asks for HTML).
fn is_plain_form() -> bool {
    use_context::<Parts>().is_some_and(|parts| {
        parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
    })
}

/// Sends a JavaScript-free form post on to `path` (302). A hydrated page gets
/// a plain answer and reloads itself (see `app::App`), so the whole page
/// starts over with the new session.
pub fn redirect_plain_form(path: &str) {
    if is_plain_form() {
        leptos_axum::redirect(path);
    }
}

/// `path` when it is a path on this site (`/…`; not `//host/…`, and no
/// backslash, which browsers read as a slash), else `fallback`: where a
/// plain form post may go back to, so a crafted form cannot send the
/// browser elsewhere.
pub fn local_path<'a>(path: Option<&'a str>, fallback: &'a str) -> &'a str {
    path.filter(|p| {
        p.starts_with('/') && !p.starts_with("//") && p.len() <= 200 && !p.chars().any(|c| c.is_control() || c == '\\')
    })
    .unwrap_or(fallback)
}

/// Runs a server function's body. A failure answers with its own status
/// (401, 422, 429, …) rather than a blanket 500, so only real faults look
/// like faults; a plain form post keeps the redirect back to its page, which
/// shows the error.
///
/// # Errors
/// Whatever `body` fails with.
pub async fn respond<T>(body: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = body.await;
    if let Err(error) = &result
        && !is_plain_form()
        && let Some(response) = use_context::<ResponseOptions>()
    {
        response.set_status(StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn plain_forms_go_back_only_to_this_site() {
        assert_eq!(local_path(Some("/"), "/connections"), "/");
        assert_eq!(local_path(Some("/connections"), "/"), "/connections");
        assert_eq!(local_path(Some("/transactions?q=rent"), "/"), "/transactions?q=rent");
        for bad in ["https://evil.example/", "//evil.example/", "/\\evil.example", "/a\\b", "relative", "", "/a\nb"] {
            assert_eq!(local_path(Some(bad), "/connections"), "/connections", "{bad:?}");
        }
        assert_eq!(local_path(None, "/connections"), "/connections");
    }
}
