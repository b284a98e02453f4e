//! `/connections`.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::feedback::EmptyState;
use crate::components::layout::RequireUser;

/// The user's bank connections.
#[component]
pub fn ConnectionsPage() -> impl IntoView {
    view! {
        <Title text="Connections" />
        <RequireUser>
            <div class="page-head">
                <h1>"Connections"</h1>
            </div>
            <EmptyState
                title="No banks connected yet"
                message="Each bank you connect through Plaid or Pluggy is listed here with its status, \
                         its sync history and what to do if it needs attention."
            />
        </RequireUser>
    }
}
