//! The transaction list: one page of the user's transactions, filtered.

use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::TransactionList;

/// Transactions per page on the Transactions page.
pub const PAGE_SIZE: i64 = 50;

/// A page of the user's transactions, newest first. Dates are `YYYY-MM-DD`;
/// empty strings mean "no filter" (what an empty form field sends).
///
/// # Errors
/// Signed out, a bad date (422 naming the field), or an account that is not
/// the user's (404).
#[server]
pub async fn list_transactions(
    q: Option<String>,
    account_id: Option<Uuid>,
    start_date: Option<String>,
    end_date: Option<String>,
    category: Option<String>,
    offset: Option<i64>,
) -> Result<TransactionList, AppError> {
    use crate::server::fn_context::{FnContext, respond};
    use crate::server::queries::{self, TransactionFilter};

    respond(async move {
        let ctx = FnContext::current().await?;
        let user = ctx.user().await?;
        let date = |field: &str, value: Option<String>| -> Result<Option<chrono::NaiveDate>, AppError> {
            match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => v
                    .parse()
                    .map(Some)
                    .map_err(|_| AppError::validation(field, format!("{field} must be a date like 2024-01-31"))),
            }
        };
        let filter = TransactionFilter {
            start: date("start_date", start_date)?,
            end: date("end_date", end_date)?,
            account_id,
            text: q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
            category: category.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()),
            limit: Some(PAGE_SIZE),
            offset: Some(offset.unwrap_or(0).max(0)),
        };
        queries::transactions(&ctx.state, &user, filter).await
    })
    .await
}

/// The categories the user's transactions have (their own ones included),
/// for the filter.
///
/// # Errors
/// Signed out, or the database failed.
#[server]
pub async fn list_categories() -> Result<Vec<String>, AppError> {
    use crate::server::connect::store_error;
    use crate::server::fn_context::{FnContext, respond};

    respond(async {
        let ctx = FnContext::current().await?;
        let user = ctx.user().await?;
        ctx.state.store.user_categories(user.id).await.map_err(store_error)
    })
    .await
}
