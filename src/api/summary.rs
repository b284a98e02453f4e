//! The dashboard in one request: net balance per currency, money in and out
//! this calendar month against last month, spending by category, the
//! connections with their accounts and balance histories, and the latest
//! transactions. One answer, so the page renders whole, without parts
//! popping in one after another.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{
    AccountView, Amount, BalancePointView, CategoryAmount, ConnectionView, MoneyFlows, TransactionView,
};

/// Days of balance history behind each account's sparkline.
pub const HISTORY_DAYS: i64 = 90;
/// Transactions in "Recent transactions".
pub const RECENT_COUNT: i64 = 8;

/// Everything the dashboard shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardData {
    /// Net balance per currency.
    pub total_balance: Vec<Amount>,
    /// The first of this month and today (UTC), `YYYY-MM-DD`.
    pub month_start: String,
    pub today: String,
    /// The first of this month to today.
    pub this_month: MoneyFlows,
    /// The whole of last month.
    pub last_month: MoneyFlows,
    /// This month's spending by category and currency, biggest first.
    pub spending_by_category: Vec<CategoryAmount>,
    /// Oldest first.
    pub connections: Vec<ConnectionView>,
    /// By institution, then name.
    pub accounts: Vec<AccountView>,
    pub histories: Vec<AccountHistory>,
    /// Newest first, hidden ones left out.
    pub recent: Vec<TransactionView>,
}

/// An account's daily balances, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountHistory {
    pub account_id: Uuid,
    pub points: Vec<BalancePointView>,
}

/// The signed-in user's dashboard.
///
/// # Errors
/// Signed out, or the database failed.
#[server]
pub async fn dashboard() -> Result<DashboardData, AppError> {
    use chrono::{Datelike as _, Months, TimeDelta, Utc};

    use crate::server::connect::store_error;
    use crate::server::fn_context::{FnContext, respond};
    use crate::server::queries::{self, TransactionFilter};
    use crate::server::views;

    respond(async {
        let cx = FnContext::current().await?;
        let user = cx.user().await?;
        let state = &cx.state;
        let today = Utc::now().date_naive();
        let first = today.with_day(1).unwrap_or(today);
        let last_first = first.checked_sub_months(Months::new(1)).unwrap_or(first);
        let last_end = first.pred_opt().unwrap_or(first);
        let recent = TransactionFilter { limit: Some(RECENT_COUNT), ..TransactionFilter::default() };
        let since = today - TimeDelta::days(HISTORY_DAYS);
        let (total_balance, this_month, last_month, spending_by_category) = futures::try_join!(
            queries::total_balance(state, &user),
            queries::flows(state, &user, first, today),
            queries::flows(state, &user, last_first, last_end),
            queries::spending_by_category(state, &user, first, today),
        )?;
        let (connections, accounts, recent, points) = futures::try_join!(
            queries::connections(state, &user),
            queries::accounts(state, &user),
            queries::transactions(state, &user, recent),
            async { state.store.user_balance_history(user.id, since).await.map_err(store_error) },
        )?;
        let mut histories: Vec<AccountHistory> = Vec::new();
        for (account_id, p) in points {
            let point = views::balance_point(p);
            match histories.last_mut() {
                Some(h) if h.account_id == account_id => h.points.push(point),
                _ => histories.push(AccountHistory { account_id, points: vec![point] }),
            }
        }
        Ok(DashboardData {
            total_balance,
            month_start: first.to_string(),
            today: today.to_string(),
            this_month,
            last_month,
            spending_by_category,
            connections,
            accounts,
            histories,
            recent: recent.transactions,
        })
    })
    .await
}
