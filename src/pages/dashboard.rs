//! `/`: the dashboard. For now the user's accounts as cards; until a bank is
//! connected it invites the user to connect one.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::bank::list_accounts;
use crate::api::summary::{Overview, dashboard_overview};
use crate::components::feedback::{EmptyState, ErrorPanel, PageLoading};
use crate::components::layout::RequireUser;
use crate::format::format_money;
use crate::model::{AccountView, Amount};

/// The dashboard.
#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Title text="Dashboard" />
        <RequireUser>
            <Dashboard />
        </RequireUser>
    }
}

#[component]
fn Dashboard() -> impl IntoView {
    let accounts = Resource::new(|| (), |()| list_accounts());
    let overview = Resource::new(|| (), |()| dashboard_overview());
    view! {
        <div class="page-head">
            <h1>"Dashboard"</h1>
        </div>
        <Transition fallback=PageLoading>
            {move || Suspend::new(async move {
                match accounts.await {
                    Ok(list) if list.is_empty() => {
                        view! {
                            <EmptyState
                                title="Connect your first bank"
                                message="Link a bank through Plaid (US and Canada) or Pluggy (Brazil) and your balances, \
                                         accounts and transactions will appear here, kept up to date automatically."
                                action_href="/connections"
                                action_label="Connect a bank"
                            />
                        }
                            .into_any()
                    }
                    Ok(list) => {
                        let overview = overview.await.ok();
                        view! {
                            {overview.map(|overview| view! { <OverviewPanel overview /> })}
                            <section aria-labelledby="accounts-title">
                                <div class="section-head">
                                    <h2 id="accounts-title">"Accounts"</h2>
                                    <a href="/connections">"Manage connections"</a>
                                </div>
                                <ul class="account-grid">
                                    {list.into_iter().map(|account| view! { <li><AccountCard account /></li> }.into_any()).collect_view()}
                                </ul>
                            </section>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Net balance per currency (never converted between currencies), and money
/// in and out this month against last month.
#[component]
fn OverviewPanel(overview: Overview) -> impl IntoView {
    let Overview { this_month, last_month } = overview;
    let mut currencies: Vec<String> = this_month
        .total_balance
        .iter()
        .chain(&this_month.income)
        .chain(&this_month.spending)
        .map(|a| a.currency.clone())
        .collect();
    currencies.sort();
    currencies.dedup();
    let find = |list: &[Amount], currency: &str| list.iter().find(|a| a.currency == currency).map_or(0.0, |a| a.amount);
    view! {
        <section class="overview" aria-labelledby="overview-title">
            <h2 id="overview-title" class="visually-hidden">"Overview"</h2>
            {currencies
                .into_iter()
                .map(|c| {
                    let net = find(&this_month.total_balance, &c);
                    let income = find(&this_month.income, &c);
                    let spending = find(&this_month.spending, &c);
                    let last_income = find(&last_month.income, &c);
                    let last_spending = find(&last_month.spending, &c);
                    view! {
                        <article class="stat-card" aria-label=format!("{c} overview")>
                            <p class="stat-label">{format!("Net balance · {c}")}</p>
                            <p class="stat-value" class:negative=net < 0.0>{format_money(net, &c)}</p>
                            <dl class="stat-month">
                                <div>
                                    <dt>"In this month"</dt>
                                    <dd class="positive">{format_money(income, &c)}</dd>
                                    <dd class="stat-previous">{format!("last month {}", format_money(last_income, &c))}</dd>
                                </div>
                                <div>
                                    <dt>"Out this month"</dt>
                                    <dd>{format_money(spending, &c)}</dd>
                                    <dd class="stat-previous">{format!("last month {}", format_money(last_spending, &c))}</dd>
                                </div>
                            </dl>
                        </article>
                    }
                })
                .collect_view()}
        </section>
    }
}

/// One account: name, mask, institution and balance.
#[component]
fn AccountCard(account: AccountView) -> impl IntoView {
    let kind = match account.subtype.as_deref() {
        Some(sub) if !sub.is_empty() => sub.replace('_', " "),
        _ => account.account_type.replace('_', " "),
    };
    let institution = account.institution_name.clone().unwrap_or_default();
    let balance = account.current_balance.map(|b| format_money(b, &account.currency));
    let available = account
        .available_balance
        .filter(|a| Some(*a) != account.current_balance)
        .map(|a| format_money(a, &account.currency));
    let negative = account.current_balance.is_some_and(|b| b < 0.0);
    let label = format!("{} {}", account.name, institution);
    view! {
        <article class="account-card" aria-label=label>
            <div class="account-head">
                <h3 class="account-name">{account.name.clone()}</h3>
                {account.mask.clone().map(|m| view! { <span class="account-mask">{format!("•••• {m}")}</span> })}
            </div>
            <p class="account-meta">{institution} " · " <span class="account-kind">{kind}</span></p>
            <p class="account-balance" class:negative=negative>
                {balance.unwrap_or_else(|| "Balance unavailable".to_owned())}
            </p>
            {available.map(|a| view! { <p class="account-available">{format!("{a} available")}</p> })}
        </article>
    }
}
