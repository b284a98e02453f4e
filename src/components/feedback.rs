//! Loading, empty and error states, so no page is ever blank.

use leptos::prelude::*;

use crate::error::AppError;

/// An error shown where the content would have been.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    let signed_out = matches!(error, AppError::Unauthorized);
    view! {
        <section class="panel panel-error" role="alert">
            <h2>"Something went wrong"</h2>
            <p>{error.to_string()}</p>
            {signed_out.then(|| view! { <a class="button" href="/login">"Sign in"</a> })}
        </section>
    }
}

/// A placeholder that keeps the page's shape while data loads.
#[component]
pub fn PageLoading() -> impl IntoView {
    view! {
        <div class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            <span>"Loading…"</span>
        </div>
    }
}

/// A friendly empty state: what this place is for and what to do next.
#[component]
pub fn EmptyState(
    title: &'static str,
    message: &'static str,
    #[prop(optional)] action_href: Option<&'static str>,
    #[prop(optional)] action_label: Option<&'static str>,
) -> impl IntoView {
    view! {
        <section class="panel empty-state">
            <div class="empty-illustration" aria-hidden="true"></div>
            <h2>{title}</h2>
            <p>{message}</p>
            {action_href.map(|href| view! { <a class="button button-primary" href=href>{action_label.unwrap_or("Continue")}</a> })}
        </section>
    }
}
