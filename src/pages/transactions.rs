//! `/transactions`: every transaction of every connected account, newest
//! first, grouped by day, with search, account, category and date filters, and
//! paging. The filter is a GET form, so it works with JavaScript off.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::api::bank::list_accounts;
use crate::api::transactions::{PAGE_SIZE, list_categories, list_transactions};
use crate::components::feedback::{EmptyState, ErrorPanel, PageLoading};
use crate::components::layout::RequireUser;
use crate::model::{AccountView, TransactionList, TransactionView};
use crate::pages::dashboard::format_money;

/// The filter as the URL gives it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Filter {
    q: String,
    account: Option<Uuid>,
    start: String,
    end: String,
    category: String,
    offset: i64,
}

impl Filter {
    /// The URL of this filter at another offset.
    fn href(&self, offset: i64) -> String {
        let mut parts = Vec::new();
        let mut add = |k: &str, v: &str| {
            if !v.is_empty() {
                parts.push(format!("{k}={}", urlencode(v)));
            }
        };
        add("q", &self.q);
        add("account", &self.account.map(|a| a.to_string()).unwrap_or_default());
        add("start", &self.start);
        add("end", &self.end);
        add("category", &self.category);
        if offset > 0 {
            parts.push(format!("offset={offset}"));
        }
        if parts.is_empty() { "/transactions".into() } else { format!("/transactions?{}", parts.join("&")) }
    }

    fn is_empty(&self) -> bool {
        self.q.is_empty()
            && self.account.is_none()
            && self.start.is_empty()
            && self.end.is_empty()
            && self.category.is_empty()
    }
}

/// Percent-encodes a query value.
fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every transaction of every connected account.
#[component]
pub fn TransactionsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|q| Filter {
            q: q.get("q").unwrap_or_default(),
            account: q.get("account").and_then(|a| Uuid::parse_str(&a).ok()),
            start: q.get("start").unwrap_or_default(),
            end: q.get("end").unwrap_or_default(),
            category: q.get("category").unwrap_or_default(),
            offset: q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0).max(0),
        })
    });
    let page = Resource::new(
        move || filter.get(),
        |f| async move {
            let opt = |s: String| (!s.is_empty()).then_some(s);
            list_transactions(opt(f.q), f.account, opt(f.start), opt(f.end), opt(f.category), Some(f.offset)).await
        },
    );
    let accounts = Resource::new(|| (), |()| list_accounts());
    let categories = Resource::new(|| (), |()| list_categories());

    view! {
        <Title text="Transactions" />
        <RequireUser>
            <div class="page-head">
                <h1>"Transactions"</h1>
            </div>
            <Suspense fallback=PageLoading>
                {move || Suspend::new(async move {
                    let accounts = accounts.await.unwrap_or_default();
                    let categories = categories.await.unwrap_or_default();
                    let f = filter.get();
                    match page.await {
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        Ok(list) if list.total_count == 0 && f.is_empty() && accounts.is_empty() => {
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
                        Ok(list) => view! { <FilterForm filter=f.clone() accounts categories /> <Listing filter=f list /> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireUser>
    }
}

/// Search, account and dates: a plain GET form.
#[component]
fn FilterForm(filter: Filter, accounts: Vec<AccountView>, categories: Vec<String>) -> impl IntoView {
    let selected = filter.account;
    let chosen = filter.category.clone();
    view! {
        <form class="panel filter-form" method="get" action="/transactions" role="search">
            <label class="field field-grow">
                <span>"Search"</span>
                <input type="search" name="q" value=filter.q.clone() placeholder="Merchant or description" maxlength="200" />
            </label>
            <label class="field">
                <span>"Account"</span>
                <select name="account">
                    <option value="" selected=selected.is_none()>"All accounts"</option>
                    {accounts
                        .into_iter()
                        .map(|a| {
                            let label = match &a.mask {
                                Some(mask) => format!("{} ••{mask}", a.name),
                                None => a.name.clone(),
                            };
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
                <input type="date" name="start" value=filter.start.clone() />
            </label>
            <label class="field">
                <span>"To"</span>
                <input type="date" name="end" value=filter.end.clone() />
            </label>
            <div class="filter-actions">
                <button class="button button-primary" type="submit">"Filter"</button>
                {(!filter.is_empty()).then(|| view! { <a class="button" href="/transactions">"Clear"</a> })}
            </div>
        </form>
    }
}

/// The rows, grouped by day, and the paging links.
#[component]
fn Listing(filter: Filter, list: TransactionList) -> impl IntoView {
    let TransactionList { transactions, total_count, offset, .. } = list;
    if transactions.is_empty() {
        return view! {
            <section class="panel empty-state">
                <h2>"No transactions match"</h2>
                <p>"Try another search, account or date range."</p>
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
    let newer = (offset > 0).then(|| filter.href((offset - PAGE_SIZE).max(0)));
    let older = (last < total_count).then(|| filter.href(offset + PAGE_SIZE));
    view! {
        <p class="list-count" aria-live="polite">{format!("{first}–{last} of {total_count}")}</p>
        <div class="txn-days">
            {days
                .into_iter()
                .map(|(day, rows)| {
                    view! {
                        <section class="txn-day">
                            <h2 class="txn-date">{day}</h2>
                            <ul class="txn-list">{rows.into_iter().map(|t| view! { <Row t /> }).collect_view()}</ul>
                        </section>
                    }
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

/// One transaction.
#[component]
fn Row(t: TransactionView) -> impl IntoView {
    let title = t.merchant_name.clone().unwrap_or_else(|| t.name.clone());
    let detail = t.merchant_name.as_ref().map(|_| t.name.clone());
    let category = t.category.as_deref().map(humanize);
    let class = if t.amount < 0.0 { "txn-amount out" } else { "txn-amount in" };
    let amount = if t.amount > 0.0 {
        format!("+{}", format_money(t.amount, &t.currency))
    } else {
        format_money(t.amount, &t.currency)
    };
    view! {
        <li class="txn">
            <div class="txn-main">
                <span class="txn-title">{title}</span>
                <span class="txn-meta">
                    {category.map(|c| view! { <span class="txn-category">{c}</span> })}
                    {t.pending.then(|| view! { <span class="badge badge-pending">"Pending"</span> })}
                    {detail.map(|d| view! { <span class="txn-detail">{d}</span> })}
                </span>
            </div>
            <span class=class>{amount}</span>
        </li>
    }
}

/// `FOOD_AND_DRINK` → `Food and drink`; other text stays as it is.
fn humanize(category: &str) -> String {
    if category.chars().any(|c| c.is_lowercase()) {
        return category.to_owned();
    }
    let lower = category.replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_round_trip_through_urls() {
        let f = Filter { q: "café & co".into(), start: "2024-01-01".into(), ..Filter::default() };
        assert_eq!(f.href(0), "/transactions?q=caf%C3%A9+%26+co&start=2024-01-01");
        let c = Filter { category: "FOOD_AND_DRINK".into(), ..Filter::default() };
        assert_eq!(c.href(0), "/transactions?category=FOOD_AND_DRINK");
        assert!(!c.is_empty());
        assert_eq!(f.href(50), "/transactions?q=caf%C3%A9+%26+co&start=2024-01-01&offset=50");
        assert_eq!(Filter::default().href(0), "/transactions");
    }

    #[test]
    fn categories_read_naturally() {
        assert_eq!(humanize("FOOD_AND_DRINK"), "Food and drink");
        assert_eq!(humanize("Restaurantes"), "Restaurantes");
    }
}
