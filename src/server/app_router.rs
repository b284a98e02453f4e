//! The whole HTTP surface: pages, server functions, JSON routes, static
//! files, and the middleware stack around them.

use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use leptos_axum::{LeptosRoutes as _, generate_route_list};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::app::{App, shell};
use crate::server::security::{client_info, origin_check, security_headers};
use crate::server::session_store::DbSessionStore;
use crate::server::state::AppState;
use crate::server::{rest, routes, webhooks};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "tributary_session";
/// A session ends after this long without a request.
const SESSION_IDLE: time::Duration = time::Duration::days(14);

/// Builds the app's router over `state`.
pub fn build(state: AppState) -> Router {
    let leptos_routes = generate_route_list(App);
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.store.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(SESSION_IDLE));
    let config = state.config.clone();
    let timeout = Duration::from_secs(config.request_timeout_secs);

    let mut router = Router::new().merge(routes::router()).merge(rest::router()).merge(webhooks::router());
    if let Some(sandbox) = &state.sandbox {
        router = router.nest_service("/sandbox", sandbox.router());
    }
    router
        .leptos_routes(&state, leptos_routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(sessions)
        .layer(from_fn_with_state(config.clone(), origin_check))
        .layer(from_fn_with_state(config, client_info))
        .layer(from_fn(security_headers))
        .layer(CompressionLayer::new())
        // A panic in a handler or page answers 500 instead of dropping the connection.
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // The route pattern, never the raw URI: query strings can carry tokens.
            let route = req.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
            tracing::info_span!("http", method = %req.method(), route)
        }))
        .with_state(state)
}
