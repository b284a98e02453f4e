//! What the user reads: their accounts, transactions, connections, sync
//! logs and summary, always scoped to them. REST handlers and server
//! functions both call these.

use chrono::{NaiveDate, TimeDelta, Utc};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{
    AccountView, Amount, CategoryAmount, ConnectionView, SummaryView, SyncLogView, TransactionList, User,
};
use crate::server::connect::store_error;
use crate::server::money::to_major;
use crate::server::state::AppState;
use crate::server::store::bank::TransactionQuery;
use crate::server::views;

/// Most transactions one request may ask for.
pub const MAX_LIMIT: i64 = 500;
/// Transactions per page when the request does not say.
pub const DEFAULT_LIMIT: i64 = 50;

/// The user's accounts.
///
/// # Errors
/// The database failed.
pub async fn accounts(state: &AppState, user: &User) -> Result<Vec<AccountView>, AppError> {
    Ok(state.store.user_accounts(user.id).await.map_err(store_error)?.into_iter().map(views::account).collect())
}

/// One of the user's accounts.
///
/// # Errors
/// Not theirs (404) or the database failed.
pub async fn account(state: &AppState, user: &User, id: Uuid) -> Result<AccountView, AppError> {
    let account = state.store.user_account(user.id, id).await.map_err(store_error)?;
    account.map(views::account).ok_or(AppError::NotFound)
}

/// The daily balances over the last `days` days of an account already
/// checked to be the user's (see [`account`]), oldest first.
///
/// # Errors
/// The database failed.
pub async fn balance_history(
    state: &AppState,
    account: &AccountView,
    days: i64,
) -> Result<Vec<crate::model::BalancePointView>, AppError> {
    let since = Utc::now().date_naive() - TimeDelta::days(days);
    let points = state.store.balance_history(account.id, since).await.map_err(store_error)?;
    Ok(points
        .into_iter()
        .map(|p| crate::model::BalancePointView {
            date: p.day.to_string(),
            current: p.current.map(|m| to_major(m, &p.currency)),
            available: p.available.map(|m| to_major(m, &p.currency)),
        })
        .collect())
}

/// Which transactions to list, as the request gave them.
#[derive(Debug, Clone, Default)]
pub struct TransactionFilter {
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub account_id: Option<Uuid>,
    pub text: Option<String>,
    pub category: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// A page of the user's transactions, newest first.
///
/// # Errors
/// Bad paging or dates (422), an account that is not theirs (404).
pub async fn transactions(
    state: &AppState,
    user: &User,
    filter: TransactionFilter,
) -> Result<TransactionList, AppError> {
    let limit = filter.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::validation("limit", format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    let offset = filter.offset.unwrap_or(0);
    if offset < 0 {
        return Err(AppError::validation("offset", "offset must be 0 or more"));
    }
    if let (Some(start), Some(end)) = (filter.start, filter.end)
        && start > end
    {
        return Err(AppError::validation("start_date", "start_date must not be after end_date"));
    }
    if filter.text.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(AppError::validation("q", "q must be at most 200 characters"));
    }
    if let Some(account) = filter.account_id {
        self::account(state, user, account).await?;
    }
    let query = TransactionQuery {
        user_id: user.id,
        start: filter.start,
        end: filter.end,
        account_id: filter.account_id,
        text: filter.text,
        category: filter.category,
        include_hidden: false,
        limit,
        offset,
    };
    let (rows, total_count) = state.store.transactions(&query).await.map_err(store_error)?;
    Ok(TransactionList { transactions: rows.into_iter().map(views::transaction).collect(), total_count, limit, offset })
}

/// The user's connections with their health.
///
/// # Errors
/// The database failed.
pub async fn connections(state: &AppState, user: &User) -> Result<Vec<ConnectionView>, AppError> {
    let connections = state.store.user_connections(user.id).await.map_err(store_error)?;
    Ok(connections.into_iter().map(views::connection).collect())
}

/// The user's sync runs, newest first, of one connection or all.
///
/// # Errors
/// A connection that is not theirs (404).
pub async fn sync_logs(
    state: &AppState,
    user: &User,
    connection_id: Option<Uuid>,
    limit: i64,
) -> Result<Vec<SyncLogView>, AppError> {
    if let Some(id) = connection_id {
        state.store.user_connection(user.id, id).await.map_err(store_error)?.ok_or(AppError::NotFound)?;
    }
    let runs = state.store.user_sync_runs(user.id, connection_id, limit.clamp(1, 200)).await.map_err(store_error)?;
    Ok(runs.into_iter().map(views::sync_log).collect())
}

/// The latest `per_connection` runs of each of the user's connections,
/// newest first.
///
/// # Errors
/// The database failed.
pub async fn recent_sync_logs(
    state: &AppState,
    user: &User,
    per_connection: i64,
) -> Result<Vec<SyncLogView>, AppError> {
    let runs = state.store.recent_sync_runs(user.id, per_connection.clamp(1, 50)).await.map_err(store_error)?;
    Ok(runs.into_iter().map(views::sync_log).collect())
}

/// Totals for `start..=end` (default: the last 30 days).
///
/// # Errors
/// Dates in the wrong order (422) or the database failed.
pub async fn summary(
    state: &AppState,
    user: &User,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
) -> Result<SummaryView, AppError> {
    let end = end.unwrap_or_else(|| Utc::now().date_naive());
    let start = start.unwrap_or(end - TimeDelta::days(29));
    if start > end {
        return Err(AppError::validation("start_date", "start_date must not be after end_date"));
    }
    let store = &state.store;
    let amounts = |totals: Vec<crate::server::store::MoneyTotal>| {
        totals.into_iter().map(|t| Amount { amount: to_major(t.total, &t.currency), currency: t.currency }).collect()
    };
    let categories = store.user_spending_by_category(user.id, start, end).await.map_err(store_error)?;
    Ok(SummaryView {
        start_date: start.to_string(),
        end_date: end.to_string(),
        total_balance: amounts(store.user_total_balance(user.id).await.map_err(store_error)?),
        income: amounts(store.user_income(user.id, start, end).await.map_err(store_error)?),
        spending: amounts(store.user_spending(user.id, start, end).await.map_err(store_error)?),
        spending_by_category: categories
            .into_iter()
            .map(|c| CategoryAmount {
                amount: to_major(c.total, &c.currency),
                currency: c.currency,
                category: c.category,
            })
            .collect(),
        transaction_count: store.user_transaction_count(user.id).await.map_err(store_error)?,
    })
}
