//! The 404 page.

use leptos::prelude::*;
use leptos_meta::Title;

/// Shown for any path the app does not know; answers with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <section class="panel not-found">
            <p class="eyebrow">"404"</p>
            <h1>"Page not found"</h1>
            <p>"The page you asked for does not exist or has moved."</p>
            <a class="button button-primary" href="/">"Go to the dashboard"</a>
        </section>
    }
}
