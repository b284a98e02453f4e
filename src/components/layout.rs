//! The responsive frame around every page: header with the product name,
//! sandbox badge, navigation and user menu; a bottom tab bar on phones.

use leptos::prelude::*;
use leptos_router::components::{A, Redirect};

use crate::app::Auth;
use crate::components::feedback::{ErrorPanel, PageLoading};
use crate::model::{SandboxMode, SessionInfo, User};

/// The app frame; `children` is the routed page.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="app-header">
            <div class="header-inner">
                <a class="brand" href="/">
                    <Logo />
                    <span class="brand-name">"Tributary"</span>
                </a>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let info = auth.session.await.unwrap_or_default();
                        view! {
                            <SandboxBadge mode=info.sandbox />
                            {match info.user {
                                Some(user) => view! { <MainNav class="top-nav" /> <UserMenu user /> }.into_any(),
                                None => view! { <SignedOutLinks /> }.into_any(),
                            }}
                        }
                    })}
                </Transition>
            </div>
        </header>
        <main id="main" class="app-main" tabindex="-1">
            {children()}
        </main>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let signed_in = matches!(auth.session.await, Ok(SessionInfo { user: Some(_), .. }));
                signed_in.then(|| view! { <MainNav class="bottom-nav" /> })
            })}
        </Transition>
    }
}

/// The three sections; the active one is marked `aria-current="page"`.
#[component]
fn MainNav(class: &'static str) -> impl IntoView {
    view! {
        <nav class=class aria-label="Main">
            <A href="/" exact=true>
                <span class="nav-icon icon-home" aria-hidden="true"></span>
                <span>"Dashboard"</span>
            </A>
            <A href="/transactions">
                <span class="nav-icon icon-list" aria-hidden="true"></span>
                <span>"Transactions"</span>
            </A>
            <A href="/connections">
                <span class="nav-icon icon-bank" aria-hidden="true"></span>
                <span>"Connections"</span>
            </A>
        </nav>
    }
}

/// Shown while no provider keys are configured: banks are emulated.
#[component]
fn SandboxBadge(mode: SandboxMode) -> impl IntoView {
    mode.label().map(|label| {
        view! {
            <span class="badge badge-sandbox" title="No provider keys are set: banks are emulated locally, no real data">
                {label}
            </span>
        }
    })
}

/// The account menu. A `<details>` element, so it opens without JavaScript.
#[component]
fn UserMenu(user: User) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let initial = user.email.chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default();
    view! {
        <details class="user-menu">
            // The name includes the visible text (WCAG 2.5.3); the initial
            // is drawn by CSS, so it is not part of that text.
            <summary aria-label=format!("Account menu, {}", user.email)>
                <span class="user-initial" aria-hidden="true" data-initial=initial></span>
                <span class="user-email">{user.email.clone()}</span>
            </summary>
            <div class="menu-panel">
                <p class="menu-email">{user.email}</p>
                <ActionForm action=auth.logout>
                    <button type="submit" class="menu-item">"Sign out"</button>
                </ActionForm>
            </div>
        </details>
    }
}

#[component]
fn SignedOutLinks() -> impl IntoView {
    view! {
        <nav class="auth-links" aria-label="Account">
            <A href="/login">"Sign in"</A>
            <A href="/register">"Create account"</A>
        </nav>
    }
}

/// The product mark: three streams joining.
#[component]
pub fn Logo() -> impl IntoView {
    view! {
        <svg class="logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
            <rect width="32" height="32" rx="8" fill="currentColor" />
            <path d="M7 9c4 0 5 5 9 5s5-5 9-5M7 16h18M7 23c4 0 5-5 9-5s5 5 9 5" fill="none" stroke="var(--surface)"
                stroke-width="2.4" stroke-linecap="round" />
        </svg>
    }
}

/// Renders `children` for a signed-in user; sends anyone else to sign in.
#[component]
pub fn RequireUser(children: ChildrenFn) -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <Transition fallback=PageLoading>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match auth.session.await {
                        Ok(SessionInfo { user: Some(_), .. }) => children().into_any(),
                        Ok(_) => view! { <Redirect path="/login" /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}
