//! The HTML shell, the app component and the route table.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::api::auth::{Login, Logout, Register, get_session_info};
use crate::components::layout::Layout;
use crate::pages::{
    auth::{LoginPage, RegisterPage},
    connections::ConnectionsPage,
    dashboard::DashboardPage,
    not_found::NotFound,
    transaction::TransactionPage,
    transactions::TransactionsPage,
};

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    provide_request_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <meta name="theme-color" content="#0f766e" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Gives Leptos the nonce the security middleware put in this response's
/// CSP, so the inline hydration script may run.
#[cfg(feature = "ssr")]
fn provide_request_nonce() {
    use crate::server::security::CspNonce;
    if let Some(nonce) =
        use_context::<axum::http::request::Parts>().and_then(|parts| parts.extensions.get::<CspNonce>().cloned())
    {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
}

/// The session actions and the resource that reads who is signed in; the
/// resource reloads after each action.
#[derive(Clone, Copy)]
pub struct Auth {
    pub login: ServerAction<Login>,
    pub register: ServerAction<Register>,
    pub logout: ServerAction<Logout>,
    pub session: Resource<Result<crate::model::SessionInfo, crate::error::AppError>>,
}

/// Loads `path` as a new page (effects run only in the browser).
fn reload_at(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// The app: routes inside the responsive layout.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let login = ServerAction::<Login>::new();
    let register = ServerAction::<Register>::new();
    let logout = ServerAction::<Logout>::new();
    let session = Resource::new_blocking(
        move || (login.version().get(), register.version().get(), logout.version().get()),
        |_| get_session_info(),
    );
    provide_context(Auth { login, register, logout, session });
    // Signing in or out starts the page over, so nothing of the previous
    // session's state survives in the browser.
    Effect::new(move || {
        if matches!(login.value().get(), Some(Ok(()))) || matches!(register.value().get(), Some(Ok(()))) {
            reload_at("/");
        }
    });
    Effect::new(move || {
        if matches!(logout.value().get(), Some(Ok(()))) {
            reload_at("/login");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/tributary.css" />
        <Title formatter=|page: String| if page.is_empty() { "Tributary".to_owned() } else { format!("{page} · Tributary") } />
        // Pages render whole (SsrMode::Async) so a redirect or status code
        // decided by the data can still be sent, with or without JavaScript.
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("/transactions") view=TransactionsPage ssr=SsrMode::Async />
                    <Route path=path!("/transactions/:id") view=TransactionPage ssr=SsrMode::Async />
                    <Route path=path!("/connections") view=ConnectionsPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/register") view=RegisterPage ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}
