//! `/`: the dashboard. Net balance and this month's money in and out per
//! currency, connections needing attention, accounts grouped by bank with
//! their health and balance sparklines, spending by category as a chart,
//! and the latest transactions. Until a bank is connected it invites the
//! user to connect one.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

use crate::api::summary::{AccountHistory, DashboardData, dashboard};
use crate::api::transactions::{TransactionSearch, urlencode};
use crate::components::avatar::Avatar;
use crate::components::feedback::{EmptyState, ErrorPanel, PageLoading};
use crate::components::layout::RequireUser;
use crate::components::sync::SyncAllControl;
use crate::components::time::Ago;
use crate::format::{format_money, humanize, short_date};
use crate::model::{
    AccountView, Amount, CategoryAmount, ConnectionStatus, ConnectionView, MoneyFlows, TransactionView,
};
use crate::pages::transactions::TransactionRow;

/// The dashboard.
#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Title text="Dashboard" />
        <RequireUser>
            <DashboardView />
        </RequireUser>
    }
}

#[component]
fn DashboardView() -> impl IntoView {
    let data = Resource::new(|| (), |()| dashboard());
    view! {
        <div class="page-head">
            <h1>"Dashboard"</h1>
        </div>
        <Transition fallback=PageLoading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) if d.connections.is_empty() => {
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
                    Ok(d) => {
                        let refresh = Callback::new(move |()| data.refetch());
                        view! { <Filled d refresh /> }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The dashboard of a user with at least one connection.
#[component]
fn Filled(d: DashboardData, refresh: Callback<()>) -> impl IntoView {
    let DashboardData {
        total_balance,
        month_start,
        today,
        this_month,
        last_month,
        spending_by_category,
        connections,
        accounts,
        histories,
        recent,
    } = d;
    let attention: Vec<ConnectionView> = connections.iter().filter(|c| fix(c).is_some()).cloned().collect();
    view! {
        <SyncAllControl return_to="/" on_finished=refresh />
        <Attention connections=attention />
        <OverviewPanel total_balance this_month last_month />
        <div class="dashboard-grid">
            <AccountGroups connections accounts histories />
            <div class="dashboard-side">
                <SpendingChart rows=spending_by_category start=month_start end=today />
                <Recent recent />
            </div>
        </div>
    }
    .into_any()
}

/// What the user should do about a connection's health, if anything: the
/// action's label, and where it is done.
fn fix(c: &ConnectionView) -> Option<(&'static str, String)> {
    let at = format!("/connections#connection-{}", c.id);
    match c.status {
        ConnectionStatus::Active | ConnectionStatus::Syncing | ConnectionStatus::RateLimited => None,
        ConnectionStatus::NeedsRelink | ConnectionStatus::Revoked => Some(("Reconnect", at)),
        ConnectionStatus::Expiring => Some(("Renew access", at)),
        ConnectionStatus::Error => Some(("See what happened", at)),
        ConnectionStatus::Disconnected => Some(("Remove or reconnect", at)),
    }
}

/// Connections that need the user, at the top where they are seen.
#[component]
fn Attention(connections: Vec<ConnectionView>) -> impl IntoView {
    (!connections.is_empty()).then(|| {
        view! {
            <section class="attention" aria-labelledby="attention-title">
                <h2 id="attention-title">"Needs your attention"</h2>
                <ul>
                    {connections
                        .into_iter()
                        .map(|c| {
                            let name = c.institution_name.clone().unwrap_or_else(|| "A bank".to_owned());
                            let detail = c.status_detail.clone().unwrap_or_else(|| c.status.label().to_owned());
                            let (label, href) = fix(&c).unwrap_or(("Open", "/connections".to_owned()));
                            view! {
                                <li>
                                    <span><strong>{name}</strong> ": " {detail}</span>
                                    <a class="button button-small" href=href>{label}</a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>
        }
    })
}

/// Net balance per currency (never converted between currencies), and money
/// in and out this month against last month.
#[component]
fn OverviewPanel(total_balance: Vec<Amount>, this_month: MoneyFlows, last_month: MoneyFlows) -> impl IntoView {
    let mut currencies: Vec<String> = total_balance
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
                    let net = find(&total_balance, &c);
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
    .into_any()
}

/// Accounts grouped by connection (one bank login), each group headed by
/// the bank, its health and when it last synced.
#[component]
fn AccountGroups(
    connections: Vec<ConnectionView>,
    accounts: Vec<AccountView>,
    histories: Vec<AccountHistory>,
) -> impl IntoView {
    let mut histories: HashMap<Uuid, AccountHistory> = histories.into_iter().map(|h| (h.account_id, h)).collect();
    view! {
        <section class="account-groups" aria-labelledby="accounts-title">
            <div class="section-head">
                <h2 id="accounts-title">"Accounts"</h2>
                <a href="/connections">"Manage connections"</a>
            </div>
            {connections
                .into_iter()
                .map(|c| {
                    let mine: Vec<(AccountView, Option<AccountHistory>)> = accounts
                        .iter()
                        .filter(|a| a.connection_id == c.id)
                        .map(|a| (a.clone(), histories.remove(&a.id)))
                        .collect();
                    view! { <InstitutionGroup connection=c accounts=mine /> }
                })
                .collect_view()}
        </section>
    }
    .into_any()
}

#[component]
fn InstitutionGroup(connection: ConnectionView, accounts: Vec<(AccountView, Option<AccountHistory>)>) -> impl IntoView {
    let c = connection;
    let name = c.institution_name.clone().unwrap_or_else(|| "Unnamed bank".to_owned());
    let title_id = format!("group-{}", c.id);
    let action = fix(&c).map(|(label, href)| view! { <a class="group-fix" href=href>{label}</a> });
    let waiting = (c.status == ConnectionStatus::RateLimited)
        .then(|| c.next_sync_allowed_at.clone())
        .flatten()
        .map(|at| view! { <span class="group-synced">"next sync allowed " <Ago at /></span> });
    let synced = match c.last_synced_at.clone() {
        Some(at) => view! { <span class="group-synced">"Synced " <Ago at /></span> }.into_any(),
        None => view! { <span class="group-synced">"Not synced yet"</span> }.into_any(),
    };
    let header = view! {
        <header class="group-head">
            <Avatar name=name.clone() image=c.institution_logo.clone() color=c.institution_color.clone() />
            <div class="group-title">
                <h3 id=title_id.clone()>{name.clone()}</h3>
                <p class="group-meta">
                    <span class=format!("status-pill status-{}", c.status.as_str())>{c.status.label()}</span>
                    {c.syncing.then(|| view! { <span class="group-synced">"Syncing…"</span> })}
                    {synced}
                    {waiting}
                </p>
            </div>
            {action}
        </header>
    }
    .into_any();
    let empty = accounts.is_empty();
    view! {
        <section class="institution-group" aria-labelledby=title_id>
            {header}
            {empty.then(|| view! { <p class="group-empty">"No accounts yet: they appear after the first sync."</p> })}
            <ul class="account-grid">
                {accounts
                    .into_iter()
                    .map(|(account, history)| view! { <li><AccountCard account history /></li> }.into_any())
                    .collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

/// One account: name, mask, type, balances, credit used and a sparkline.
#[component]
fn AccountCard(account: AccountView, history: Option<AccountHistory>) -> impl IntoView {
    let kind = match account.subtype.as_deref() {
        Some(sub) if !sub.is_empty() => sub.replace('_', " "),
        _ => account.account_type.replace('_', " "),
    };
    let currency = account.currency.clone();
    let balance = account.current_balance.map(|b| format_money(b, &currency));
    let available =
        account.available_balance.filter(|a| Some(*a) != account.current_balance).map(|a| format_money(a, &currency));
    let negative = account.current_balance.is_some_and(|b| b < 0.0);
    let credit = (account.account_type == "credit")
        .then_some(account.limit)
        .flatten()
        .filter(|l| *l > 0.0)
        .map(|limit| view! { <CreditUsed used=account.current_balance.unwrap_or(0.0).max(0.0) limit currency=currency.clone() /> });
    let points: Vec<(String, f64)> = history
        .map(|h| h.points.into_iter().filter_map(|p| p.current.map(|v| (p.date, v))).collect())
        .unwrap_or_default();
    view! {
        <article class="account-card" aria-label=format!("{} {}", account.name, account.institution_name.clone().unwrap_or_default())>
            <div class="account-head">
                <h4 class="account-name">{account.name.clone()}</h4>
                {account.mask.clone().map(|m| view! { <span class="account-mask">{format!("•••• {m}")}</span> })}
            </div>
            <p class="account-meta"><span class="account-kind">{kind}</span></p>
            <p class="account-balance" class:negative=negative>
                {balance.unwrap_or_else(|| "Balance unavailable".to_owned())}
            </p>
            {available.map(|a| view! { <p class="account-available">{format!("{a} available")}</p> })}
            {credit}
            <Sparkline points currency />
        </article>
    }
    .into_any()
}

/// How much of a credit line is used.
#[component]
fn CreditUsed(used: f64, limit: f64, currency: String) -> impl IntoView {
    let share = (used / limit).clamp(0.0, 1.0);
    #[allow(clippy::cast_possible_truncation)]
    let percent = (share * 100.0).round() as i64;
    let fill = if share >= 0.8 { "credit-fill high" } else { "credit-fill" };
    let text = format!("{} of {} limit used", format_money(used, &currency), format_money(limit, &currency));
    view! {
        <div class="credit-used">
            <div
                class="credit-bar"
                role="progressbar"
                aria-label="Credit used"
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=percent.to_string()
                aria-valuetext=text.clone()
            >
                <span class=fill style=format!("width:{percent}%")></span>
            </div>
            <p class="credit-text">{text}</p>
        </div>
    }
    .into_any()
}

/// A balance line over the days there are snapshots of (one is written per
/// account per day by the syncs). Fewer than two days: a note, at the same
/// height, so nothing moves when the history arrives.
#[component]
fn Sparkline(points: Vec<(String, f64)>, currency: String) -> impl IntoView {
    const W: f64 = 100.0;
    const H: f64 = 28.0;
    if points.len() < 2 {
        return view! { <p class="sparkline sparkline-empty">"Balance history grows with each day's sync"</p> }
            .into_any();
    }
    let (min, max) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), (_, v)| (lo.min(*v), hi.max(*v)));
    let span = if (max - min).abs() < f64::EPSILON { 1.0 } else { max - min };
    #[allow(clippy::cast_precision_loss)]
    let step = W / (points.len() - 1) as f64;
    let line: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| {
            #[allow(clippy::cast_precision_loss)]
            let x = i as f64 * step;
            let y = H - 2.0 - (v - min) / span * (H - 4.0);
            format!("{x:.2},{y:.2}")
        })
        .collect();
    let (first_day, first) = &points[0];
    let (last_day, last) = &points[points.len() - 1];
    let label = format!(
        "Balance over {} days: {} on {}, {} on {}",
        points.len(),
        format_money(*first, &currency),
        short_date(first_day),
        format_money(*last, &currency),
        short_date(last_day)
    );
    let class = if last >= first { "sparkline" } else { "sparkline falling" };
    view! {
        <svg class=class viewBox=format!("0 0 {W} {H}") preserveAspectRatio="none" role="img" aria-label=label>
            <polyline points=line.join(" ") fill="none" vector-effect="non-scaling-stroke" />
        </svg>
    }
    .into_any()
}

/// Colours of the chart's slices; the last is "Other". Each differs from
/// the card's background by at least 3:1 in both colour schemes.
const SLICE_COLORS: [&str; 6] = ["#0f766e", "#2563eb", "#c2410c", "#7c3aed", "#be123c", "#6b7280"];
/// Categories named in the chart; the rest are summed as "Other".
const NAMED_SLICES: usize = 5;

/// This month's spending by category, per currency: a donut drawn by the
/// app, and the same numbers as a list (which is what screen readers read).
#[component]
fn SpendingChart(rows: Vec<CategoryAmount>, start: String, end: String) -> impl IntoView {
    let mut currencies: Vec<String> = rows.iter().map(|c| c.currency.clone()).collect();
    currencies.sort();
    currencies.dedup();
    view! {
        <section class="panel spending" aria-labelledby="spending-title">
            <h2 id="spending-title">"Spending this month"</h2>
            {currencies.is_empty().then(|| view! { <p class="muted">"No spending yet this month."</p> })}
            {currencies
                .into_iter()
                .map(|c| {
                    let rows: Vec<CategoryAmount> = rows.iter().filter(|r| r.currency == c).cloned().collect();
                    view! { <CategoryDonut currency=c rows start=start.clone() end=end.clone() /> }
                })
                .collect_view()}
        </section>
    }
    .into_any()
}

/// One slice of the chart.
#[derive(Debug, Clone, PartialEq)]
struct Slice {
    label: String,
    /// The category to filter transactions by; `None` for "Other" and
    /// uncategorised spending.
    category: Option<String>,
    amount: f64,
    share: f64,
}

/// The biggest categories first, the rest summed as "Other".
fn slices(rows: &[CategoryAmount]) -> Vec<Slice> {
    let total: f64 = rows.iter().map(|r| r.amount).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    let mut sorted = rows.to_vec();
    sorted.sort_by(|a, b| b.amount.total_cmp(&a.amount));
    let named = if sorted.len() > NAMED_SLICES + 1 { NAMED_SLICES } else { sorted.len() };
    let mut out: Vec<Slice> = sorted[..named]
        .iter()
        .map(|r| Slice {
            label: if r.category == "UNCATEGORIZED" { "Uncategorised".to_owned() } else { humanize(&r.category) },
            category: (r.category != "UNCATEGORIZED").then(|| r.category.clone()),
            amount: r.amount,
            share: r.amount / total,
        })
        .collect();
    let other: f64 = sorted[named..].iter().map(|r| r.amount).sum();
    if other > 0.0 {
        out.push(Slice { label: "Other".to_owned(), category: None, amount: other, share: other / total });
    }
    out
}

#[component]
fn CategoryDonut(currency: String, rows: Vec<CategoryAmount>, start: String, end: String) -> impl IntoView {
    let slices = slices(&rows);
    let total: f64 = slices.iter().map(|s| s.amount).sum();
    // A circle of circumference 100: dash lengths are percentages.
    let radius = 100.0 / (2.0 * std::f64::consts::PI);
    let mut offset = 0.0;
    let arcs: Vec<_> = slices
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let length = s.share * 100.0;
            let dash = format!("{length:.3} {:.3}", 100.0 - length);
            // Starts at 12 o'clock (25 back from 3 o'clock), clockwise.
            let start_at = format!("{:.3}", 25.0 - offset);
            offset += length;
            let color = SLICE_COLORS[i.min(SLICE_COLORS.len() - 1)];
            view! {
                <circle cx="21" cy="21" r=format!("{radius:.4}") fill="none" stroke=color stroke-width="6"
                    stroke-dasharray=dash stroke-dashoffset=start_at />
            }
        })
        .collect();
    let list_id = format!("spending-list-{}", currency.to_lowercase());
    let items: Vec<_> = slices
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let color = SLICE_COLORS[i.min(SLICE_COLORS.len() - 1)];
            #[allow(clippy::cast_possible_truncation)]
            let percent = (s.share * 100.0).round() as i64;
            let amount = format_money(s.amount, &currency);
            let name = match s.category {
                Some(category) => {
                    let search =
                        TransactionSearch { category, start: start.clone(), end: end.clone(), ..Default::default() };
                    view! { <a href=search.href(0)>{s.label}</a> }.into_any()
                }
                None => view! { <span>{s.label}</span> }.into_any(),
            };
            view! {
                <li>
                    <span class="swatch" style=format!("background:{color}") aria-hidden="true"></span>
                    <span class="legend-name">{name}</span>
                    <span class="legend-amount">{amount}</span>
                    <span class="legend-share">{format!("{percent}%")}</span>
                </li>
            }
        })
        .collect();
    let total_text = format_money(total, &currency);
    let all_spending = format!("/transactions?start={}&end={}", urlencode(&start), urlencode(&end));
    view! {
        <figure class="donut-figure">
            <div class="donut">
                <svg viewBox="0 0 42 42" role="img" aria-label=format!("Spending by category in {currency}: see the list") aria-describedby=list_id.clone()>
                    <circle cx="21" cy="21" r=format!("{radius:.4}") fill="none" class="donut-track" stroke-width="6" />
                    {arcs}
                </svg>
                <p class="donut-total" aria-hidden="true">
                    <span>{total_text.clone()}</span>
                    <span class="muted">{currency.clone()}</span>
                </p>
            </div>
            <figcaption>
                <ul class="legend" id=list_id>{items}</ul>
                <p class="legend-total">
                    <a href=all_spending>{format!("{total_text} spent in {currency}")}</a>
                </p>
            </figcaption>
        </figure>
    }
    .into_any()
}

/// The latest transactions.
#[component]
fn Recent(recent: Vec<TransactionView>) -> impl IntoView {
    let back = urlencode("/transactions");
    view! {
        <section class="recent" aria-labelledby="recent-title">
            <div class="section-head">
                <h2 id="recent-title">"Recent transactions"</h2>
                <a href="/transactions">"See all"</a>
            </div>
            {if recent.is_empty() {
                view! { <p class="panel muted">"Transactions appear here after the first sync."</p> }.into_any()
            } else {
                view! {
                    <ul class="txn-list">
                        {recent
                            .into_iter()
                            .map(|t| {
                                let href = format!("/transactions/{}?back={back}", t.id);
                                view! { <TransactionRow t href /> }
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(category: &str, amount: f64) -> CategoryAmount {
        CategoryAmount { currency: "USD".into(), category: category.into(), amount }
    }

    #[test]
    fn small_categories_are_summed_as_other() {
        let rows: Vec<_> = (1..=8).map(|i| row(&format!("C{i}"), f64::from(i) * 10.0)).collect();
        let s = slices(&rows);
        assert_eq!(s.len(), NAMED_SLICES + 1);
        assert_eq!(s[0].category.as_deref(), Some("C8"), "biggest first");
        assert_eq!(s[NAMED_SLICES].label, "Other");
        assert!((s[NAMED_SLICES].amount - 60.0).abs() < 1e-9, "C1 + C2 + C3");
        assert!((s.iter().map(|x| x.share).sum::<f64>() - 1.0).abs() < 1e-9);
        // Six categories: all named, no "Other" of one.
        assert_eq!(slices(&rows[..6]).len(), 6);
        assert!(slices(&rows[..6]).iter().all(|x| x.category.is_some()));
        let unc = slices(&[row("UNCATEGORIZED", 5.0)]);
        assert_eq!((unc[0].label.as_str(), unc[0].category.as_ref()), ("Uncategorised", None));
        assert!(slices(&[]).is_empty());
    }
}
