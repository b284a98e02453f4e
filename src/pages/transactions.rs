//! `/transactions`: every transaction of every connected account, newest
//! first, grouped by day, with search, account, category, date, amount,
//! status and hidden filters, paging, and a CSV export of what the filter
//! matches. The filter is a GET form, so it works with JavaScript off; each
//! row opens the transaction's details (`/transactions/:id`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::bank::list_accounts;
use crate::api::transactions::{PAGE_SIZE, TransactionSearch, list_categories, list_transactions, urlencode};
use crate::components::avatar::Avatar;
use crate::components::feedback::{EmptyState, ErrorPanel, PageLoading};
use crate::components::layout::RequireUser;
use crate::format::{account_label, humanize, long_date, signed_money};
use crate::model::{AccountView, TransactionList, TransactionView};

/// Every transaction of every connected account.
#[component]
pub fn TransactionsPage() -> impl IntoView {
    let query = use_query_map();
    let search = Memo::new(move |_| query.with(|q| TransactionSearch::from_query(|k| q.get(k))));
    let page = Resource::new(move || search.get(), list_transactions);
    let accounts = Resource::new(|| (), |()| list_accounts());
    let categories = Resource::new(|| (), |()| list_categories());
    let (updating, set_updating) = signal(false);

    view! {
        <Title text="Transactions" />
        <RequireUser>
            <div class="page-head">
                <h1>"Transactions"</h1>
                <a class="button" href=move || search.get().export_href() download="">
                    "Export CSV"
                </a>
            </div>
            // A Transition keeps the last list on screen while the next one
            // loads (no jump), dimmed and marked busy.
            <Transition fallback=PageLoading set_pending=set_updating>
                {move || Suspend::new(async move {
                    let accounts = accounts.await.unwrap_or_default();
                    let categories = categories.await.unwrap_or_default();
                    let s = search.get();
                    match page.await {
                        Err(error) => view! { <FilterForm search=s accounts categories /> <ErrorPanel error /> }.into_any(),
                        Ok(list) if list.total_count == 0 && s.is_empty() && accounts.is_empty() => {
                            view! {
                                <EmptyState
                                    title="No transactions yet"
                                    message="Transactions from your connected banks show up here, newest first."
                                    action_href="/connections"
                                    action_label="Connect a bank"
                                />
                            }
                            .into_any()
                        }
                        Ok(list) => {
                            view! {
                                <FilterForm search=s.clone() accounts categories />
                                <div class="txn-results" class:is-updating=updating aria-busy=move || updating.get().to_string()>
                                    <Listing search=s list />
                                </div>
                            }
                            .into_any()
                        }
                    }
                })}
            </Transition>
        </RequireUser>
    }
}

/// The filters: a plain GET form. Amount, status and hidden sit in a
/// disclosure that is open when one of them is set.
#[component]
fn FilterForm(search: TransactionSearch, accounts: Vec<AccountView>, categories: Vec<String>) -> impl IntoView {
    let selected = search.account;
    let chosen = search.category.clone();
    let status = search.status.clone();
    view! {
        <form class="panel filter-form" method="get" action="/transactions" role="search" aria-label="Filter transactions">
            <label class="field field-grow">
                <span>"Search"</span>
                <input type="search" name="q" value=search.q.clone() placeholder="Merchant or description" maxlength="200" />
            </label>
            <label class="field">
                <span>"Account"</span>
                <select name="account">
                    <option value="" selected=selected.is_none()>"All accounts"</option>
                    {accounts
                        .into_iter()
                        .map(|a| {
                            let label = account_label(&a.name, a.mask.as_deref());
                            view! { <option value=a.id.to_string() selected=selected == Some(a.id)>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <label class="field">
                <span>"Category"</span>
                <select name="category">
                    <option value="" selected=chosen.is_empty()>"All categories"</option>
                    {categories
                        .into_iter()
                        .map(|c| {
                            let label = humanize(&c);
                            let selected = c == chosen;
                            view! { <option value=c selected=selected>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <label class="field">
                <span>"From"</span>
                <input type="date" name="start" value=search.start.clone() />
            </label>
            <label class="field">
                <span>"To"</span>
                <input type="date" name="end" value=search.end.clone() />
            </label>
            <details class="more-filters" open=search.uses_more_filters()>
                <summary>"More filters"</summary>
                <div class="more-filters-body">
                    <label class="field">
                        <span>"Amount from"</span>
                        <input type="number" name="min" min="0" step="0.01" inputmode="decimal" value=search.min.clone()
                            placeholder="0.00" />
                    </label>
                    <label class="field">
                        <span>"Amount up to"</span>
                        <input type="number" name="max" min="0" step="0.01" inputmode="decimal" value=search.max.clone()
                            placeholder="Any" />
                    </label>
                    <label class="field">
                        <span>"Status"</span>
                        <select name="status">
                            <option value="" selected=status.is_empty()>"Pending and posted"</option>
                            <option value="pending" selected=status == "pending">"Pending only"</option>
                            <option value="posted" selected=status == "posted">"Posted only"</option>
                        </select>
                    </label>
                    <label class="check">
                        <input type="checkbox" name="hidden" value="1" checked=search.hidden />
                        <span>"Show hidden transactions"</span>
                    </label>
                </div>
            </details>
            <div class="filter-actions">
                <button class="button button-primary" type="submit">"Filter"</button>
                {(!search.is_empty()).then(|| view! { <a class="button" href="/transactions">"Clear"</a> })}
            </div>
        </form>
    }
}

/// The rows, grouped by day, and the paging links.
#[component]
fn Listing(search: TransactionSearch, list: TransactionList) -> impl IntoView {
    let TransactionList { transactions, total_count, offset, .. } = list;
    if transactions.is_empty() {
        return view! {
            <section class="panel empty-state">
                <h2>"No transactions match"</h2>
                <p>"Try another search, account, amount or date range."</p>
                <a class="button" href="/transactions">"Clear the filters"</a>
            </section>
        }
        .into_any();
    }
    let first = offset + 1;
    let last = offset + i64::try_from(transactions.len()).unwrap_or(0);
    let mut days: Vec<(String, Vec<TransactionView>)> = Vec::new();
    for t in transactions {
        match days.last_mut() {
            Some((day, rows)) if *day == t.date => rows.push(t),
            _ => days.push((t.date.clone(), vec![t])),
        }
    }
    let back = urlencode(&search.href(offset));
    let newer = (offset > 0).then(|| search.href((offset - PAGE_SIZE).max(0)));
    let older = (last < total_count).then(|| search.href(offset + PAGE_SIZE));
    view! {
        <p class="list-count" aria-live="polite">{format!("{first}–{last} of {total_count}")}</p>
        <div class="txn-days">
            {days
                .into_iter()
                .map(|(day, rows)| {
                    let back = back.clone();
                    view! {
                        <section class="txn-day">
                            <h2 class="txn-date">{long_date(&day)}</h2>
                            <ul class="txn-list">
                                {rows
                                    .into_iter()
                                    .map(|t| {
                                        let href = format!("/transactions/{}?back={back}", t.id);
                                        view! { <TransactionRow t href /> }
                                    })
                                    .collect_view()}
                            </ul>
                        </section>
                    }
                    .into_any()
                })
                .collect_view()}
        </div>
        <nav class="pager" aria-label="Pages">
            {newer.map(|href| view! { <a class="button" href=href rel="prev">"← Newer"</a> })}
            {older.map(|href| view! { <a class="button" href=href rel="next">"Older →"</a> })}
        </nav>
    }
    .into_any()
}

/// One transaction: logo or initial, title, category and account, badges
/// and the amount; the whole row links to `href` (its details).
#[component]
pub fn TransactionRow(t: TransactionView, href: String) -> impl IntoView {
    let title = t.merchant_name.clone().unwrap_or_else(|| t.name.clone());
    let category = t.category.as_deref().map_or_else(|| "Uncategorised".to_owned(), humanize);
    let account = account_label(&t.account_name, t.account_mask.as_deref());
    let class = if t.amount < 0.0 { "txn-amount out" } else { "txn-amount in" };
    let amount = signed_money(t.amount, &t.currency);
    view! {
        <li>
            <a class="txn" href=href>
                <Avatar name=title.clone() image=t.logo_url.clone() />
                <span class="txn-main">
                    <span class="txn-title">{title}</span>
                    <span class="txn-meta">
                        <span class="txn-category">{category}</span>
                        <span class="txn-account">{account}</span>
                    </span>
                    <span class="txn-badges">
                        {t.pending.then(|| view! { <span class="badge badge-pending">"Pending"</span> })}
                        {t.hidden.then(|| view! { <span class="badge">"Hidden"</span> })}
                        {t.note.is_some().then(|| view! { <span class="badge">"Note"</span> })}
                    </span>
                </span>
                <span class=class>{amount}</span>
            </a>
        </li>
    }
    .into_any()
}
