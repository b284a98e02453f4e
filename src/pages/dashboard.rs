//! `/`: the dashboard.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::feedback::EmptyState;
use crate::components::layout::RequireUser;

/// The dashboard. Until a bank is connected it invites the user to connect one.
#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Title text="Dashboard" />
        <RequireUser>
            <div class="page-head">
                <h1>"Dashboard"</h1>
            </div>
            <EmptyState
                title="Connect your first bank"
                message="Link a bank through Plaid (US and Canada) or Pluggy (Brazil) and your balances, \
                         accounts and transactions will appear here, kept up to date automatically."
                action_href="/connections"
                action_label="Connect a bank"
            />
        </RequireUser>
    }
}
