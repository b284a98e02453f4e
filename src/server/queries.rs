//! What the user reads: their accounts, transactions, connections, sync
//! logs and summary, always scoped to them. REST handlers and server
//! functions both call these.

use chrono::{NaiveDate, TimeDelta, Utc};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{
    AccountView, Amount, CategoryAmount, ConnectionView, MoneyFlows, SummaryView, SyncLogView, TransactionList,
    TransactionView, User,
};
use crate::server::connect::store_error;
use crate::server::money;
use crate::server::money::to_major;
use crate::server::state::AppState;
use crate::server::store::bank::{TransactionOverrides, TransactionQuery, TransactionRecord};
use crate::server::store::{MoneyTotal, StoreError};
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
    Ok(points.into_iter().map(views::balance_point).collect())
}

/// Which transactions to list, as the request gave them.
#[derive(Debug, Clone, Default)]
pub struct TransactionFilter {
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub account_id: Option<Uuid>,
    pub text: Option<String>,
    pub category: Option<String>,
    /// Smallest size of the amount, in currency units (money in or out alike).
    pub amount_min: Option<f64>,
    /// Largest size of the amount, in currency units.
    pub amount_max: Option<f64>,
    /// Only pending (`true`) or only posted (`false`).
    pub pending: Option<bool>,
    /// Include the transactions the user hid.
    pub include_hidden: bool,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl TransactionFilter {
    /// The store query for `user`, after checking the fields (422 naming
    /// the field) and that the account is theirs (404). Limit and offset
    /// are the caller's to check, before this reads the database.
    async fn query(self, state: &AppState, user: &User) -> Result<TransactionQuery, AppError> {
        if let (Some(start), Some(end)) = (self.start, self.end)
            && start > end
        {
            return Err(AppError::validation("start_date", "start_date must not be after end_date"));
        }
        if self.text.as_ref().is_some_and(|q| q.chars().count() > 200) {
            return Err(AppError::validation("q", "q must be at most 200 characters"));
        }
        let size = |field: &str, value: Option<f64>| match value {
            None => Ok(None),
            Some(v) if (0.0..=1e12).contains(&v) => Ok(money::to_thousandths(v)),
            Some(_) => Err(AppError::validation(field, format!("{field} must be a number from 0 to 1000000000000"))),
        };
        let amount_min = size("amount_min", self.amount_min)?;
        let amount_max = size("amount_max", self.amount_max)?;
        if let (Some(min), Some(max)) = (amount_min, amount_max)
            && min > max
        {
            return Err(AppError::validation("amount_min", "amount_min must not be more than amount_max"));
        }
        if let Some(account) = self.account_id {
            self::account(state, user, account).await?;
        }
        Ok(TransactionQuery {
            user_id: user.id,
            start: self.start,
            end: self.end,
            account_id: self.account_id,
            text: self.text,
            category: self.category,
            amount_min,
            amount_max,
            pending: self.pending,
            include_hidden: self.include_hidden,
            limit: self.limit.unwrap_or(DEFAULT_LIMIT),
            offset: self.offset.unwrap_or(0),
        })
    }
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
    if filter.limit.is_some_and(|limit| !(1..=MAX_LIMIT).contains(&limit)) {
        return Err(AppError::validation("limit", format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    if filter.offset.is_some_and(|offset| offset < 0) {
        return Err(AppError::validation("offset", "offset must be 0 or more"));
    }
    let query = filter.query(state, user).await?;
    let (rows, total_count) = state.store.transactions(&query).await.map_err(store_error)?;
    Ok(TransactionList {
        transactions: rows.into_iter().map(views::transaction).collect(),
        total_count,
        limit: query.limit,
        offset: query.offset,
    })
}

/// Every transaction the filter matches, newest first, as a stream of rows
/// fed by a task reading the database (paging ignored): for exports of any
/// size. The receiver ends early if the database fails; the failure is
/// logged.
///
/// # Errors
/// A bad filter (422) or an account that is not theirs (404), before
/// anything is read.
pub async fn export_transactions(
    state: &AppState,
    user: &User,
    filter: TransactionFilter,
) -> Result<tokio::sync::mpsc::Receiver<TransactionRecord>, AppError> {
    let query = filter.query(state, user).await?;
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(e) = store.export_transactions(&query, tx).await {
            tracing::error!(error = %e, "transaction export failed part way");
        }
    });
    Ok(rx)
}

/// One of the user's transactions (not removed).
///
/// # Errors
/// Not theirs or removed (404), or the database failed.
pub async fn transaction(state: &AppState, user: &User, id: Uuid) -> Result<TransactionView, AppError> {
    let found = state.store.user_transaction(user.id, id).await.map_err(store_error)?;
    found.map(views::transaction).ok_or(AppError::NotFound)
}

/// Longest category the user may give a transaction, in characters.
pub const MAX_CATEGORY_CHARS: usize = 60;
/// Longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// Sets the user's own category, note and hidden flag on one of their
/// transactions; these survive every later sync. An empty category goes
/// back to the provider's, an empty note removes it.
///
/// # Errors
/// Too long (422 naming the field), not theirs (404), or the database failed.
pub async fn edit_transaction(
    state: &AppState,
    user: &User,
    id: Uuid,
    edit: TransactionEdit,
) -> Result<TransactionView, AppError> {
    // Trimmed; empty clears it; too long is refused, naming the field.
    let clean = |field: &str, value: Option<String>, max: usize| -> Result<Option<Option<String>>, AppError> {
        let Some(value) = value.map(|v| v.trim().to_owned()) else { return Ok(None) };
        if value.chars().count() > max {
            return Err(AppError::validation(field, format!("{field} must be at most {max} characters")));
        }
        Ok(Some((!value.is_empty()).then_some(value)))
    };
    let overrides = TransactionOverrides {
        category: clean("category", edit.category, MAX_CATEGORY_CHARS)?,
        note: clean("note", edit.note, MAX_NOTE_CHARS)?,
        hidden: edit.hidden,
    };
    match state.store.set_transaction_overrides(user.id, id, &overrides).await {
        Ok(()) => transaction(state, user, id).await,
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(store_error(e)),
    }
}

/// What the user changes on a transaction; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TransactionEdit {
    pub category: Option<String>,
    pub note: Option<String>,
    pub hidden: Option<bool>,
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

/// Net balance per currency, over all the user's accounts.
///
/// # Errors
/// The database failed.
pub async fn total_balance(state: &AppState, user: &User) -> Result<Vec<Amount>, AppError> {
    Ok(amounts(state.store.user_total_balance(user.id).await.map_err(store_error)?))
}

/// Money in and out over `start..=end`, per currency.
///
/// # Errors
/// The database failed.
pub async fn flows(state: &AppState, user: &User, start: NaiveDate, end: NaiveDate) -> Result<MoneyFlows, AppError> {
    let (income, spending) = futures::try_join!(
        state.store.user_income(user.id, start, end),
        state.store.user_spending(user.id, start, end),
    )
    .map_err(store_error)?;
    Ok(MoneyFlows { income: amounts(income), spending: amounts(spending) })
}

/// Spending over `start..=end` by category and currency, biggest first.
///
/// # Errors
/// The database failed.
pub async fn spending_by_category(
    state: &AppState,
    user: &User,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<CategoryAmount>, AppError> {
    let categories = state.store.user_spending_by_category(user.id, start, end).await.map_err(store_error)?;
    Ok(categories
        .into_iter()
        .map(|c| CategoryAmount { amount: to_major(c.total, &c.currency), currency: c.currency, category: c.category })
        .collect())
}

fn amounts(totals: Vec<MoneyTotal>) -> Vec<Amount> {
    totals.into_iter().map(|t| Amount { amount: to_major(t.total, &t.currency), currency: t.currency }).collect()
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
    let count = async { state.store.user_transaction_count(user.id).await.map_err(store_error) };
    let (total_balance, MoneyFlows { income, spending }, spending_by_category, transaction_count) = futures::try_join!(
        total_balance(state, user),
        flows(state, user, start, end),
        spending_by_category(state, user, start, end),
        count,
    )?;
    Ok(SummaryView {
        start_date: start.to_string(),
        end_date: end.to_string(),
        total_balance,
        income,
        spending,
        spending_by_category,
        transaction_count,
    })
}
