//! `/transactions`.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::feedback::EmptyState;
use crate::components::layout::RequireUser;

/// Every transaction of every connected account.
#[component]
pub fn TransactionsPage() -> impl IntoView {
    view! {
        <Title text="Transactions" />
        <RequireUser>
            <div class="page-head">
                <h1>"Transactions"</h1>
            </div>
            <EmptyState
                title="No transactions yet"
                message="Transactions from your connected banks show up here, newest first."
                action_href="/connections"
                action_label="Connect a bank"
            />
        </RequireUser>
    }
}
