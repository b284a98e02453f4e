//! Transactions for the pages: a filtered page of them, one with its
//! details, and the user's own edits (category, note, hidden).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{TransactionList, TransactionView};

/// Transactions per page on the Transactions page.
pub const PAGE_SIZE: i64 = 50;

/// A search as the Transactions page's URL holds it: the form's fields as
/// the user typed them (checked on the server), so a filtered view can be
/// bookmarked and the form works without JavaScript.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TransactionSearch {
    /// Free text, matched against the name and the merchant.
    pub q: String,
    pub account: Option<Uuid>,
    /// `YYYY-MM-DD`, or empty.
    pub start: String,
    pub end: String,
    pub category: String,
    /// Smallest and largest size of the amount, in currency units.
    pub min: String,
    pub max: String,
    /// `pending`, `posted`, or empty for both.
    pub status: String,
    /// Show the transactions the user hid.
    pub hidden: bool,
    pub offset: i64,
}

impl TransactionSearch {
    /// Reads the page's query string (`get` gives a parameter's value).
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let text = |k: &str| get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
        Self {
            q: text("q"),
            account: get("account").and_then(|a| Uuid::parse_str(a.trim()).ok()),
            start: text("start"),
            end: text("end"),
            category: text("category"),
            min: text("min"),
            max: text("max"),
            status: text("status"),
            hidden: get("hidden").is_some_and(|h| matches!(h.as_str(), "1" | "true" | "on")),
            offset: get("offset").and_then(|o| o.parse().ok()).unwrap_or(0).max(0),
        }
    }

    /// The page's URL for this search at another offset.
    pub fn href(&self, offset: i64) -> String {
        let mut params = self.params(false);
        if offset > 0 {
            params.push(format!("offset={offset}"));
        }
        with_query("/transactions", &params)
    }

    /// The CSV export of every transaction this search matches (paging does
    /// not apply).
    pub fn export_href(&self) -> String {
        with_query("/api/transactions.csv", &self.params(true))
    }

    /// `key=value` for each field that is set, named as the page's URL has
    /// them or, for `rest`, as the REST API does.
    fn params(&self, rest: bool) -> Vec<String> {
        let status = match (rest, self.status.as_str()) {
            (true, "pending") => "true".to_owned(),
            (true, "posted") => "false".to_owned(),
            (true, _) => String::new(),
            (false, s) => s.to_owned(),
        };
        let hidden = match (self.hidden, rest) {
            (false, _) => "",
            (true, true) => "true",
            (true, false) => "1",
        };
        let fields = [
            ("q", "q", self.q.clone()),
            ("account", "account_id", self.account.map(|a| a.to_string()).unwrap_or_default()),
            ("start", "start_date", self.start.clone()),
            ("end", "end_date", self.end.clone()),
            ("category", "category", self.category.clone()),
            ("min", "amount_min", decimal_point(&self.min)),
            ("max", "amount_max", decimal_point(&self.max)),
            ("status", "pending", status),
            ("hidden", "include_hidden", hidden.to_owned()),
        ];
        fields
            .into_iter()
            .filter(|(_, _, value)| !value.is_empty())
            .map(|(page, api, value)| format!("{}={}", if rest { api } else { page }, urlencode(&value)))
            .collect()
    }

    /// No filter is set (paging aside).
    pub fn is_empty(&self) -> bool {
        Self { offset: 0, ..self.clone() } == Self::default()
    }

    /// A filter of the "more filters" group is set (amount, status, hidden).
    pub fn uses_more_filters(&self) -> bool {
        !self.min.is_empty() || !self.max.is_empty() || !self.status.is_empty() || self.hidden
    }
}

/// `12,50` (a decimal comma, as typed in Brazil) → `12.50`; anything else
/// as it is.
pub fn decimal_point(amount: &str) -> String {
    let amount = amount.trim();
    if amount.contains('.') { amount.to_owned() } else { amount.replace(',', ".") }
}

fn with_query(path: &str, params: &[String]) -> String {
    if params.is_empty() { path.to_owned() } else { format!("{path}?{}", params.join("&")) }
}

/// Percent-encodes a query value.
pub fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A page of the user's transactions, newest first.
///
/// # Errors
/// Signed out, a field that does not read (422 naming it), or an account
/// that is not the user's (404).
#[server]
pub async fn list_transactions(search: TransactionSearch) -> Result<TransactionList, AppError> {
    use crate::server::fn_context::{FnContext, respond};
    use crate::server::queries::{self, TransactionFilter};

    respond(async move {
        let ctx = FnContext::current().await?;
        let user = ctx.user().await?;
        let date = |field: &str, label: &str, value: &str| -> Result<Option<chrono::NaiveDate>, AppError> {
            match value.trim() {
                "" => Ok(None),
                v => v
                    .parse()
                    .map(Some)
                    .map_err(|_| AppError::validation(field, format!("{label} must be a date like 2024-01-31"))),
            }
        };
        let amount = |field: &str, label: &str, value: &str| -> Result<Option<f64>, AppError> {
            match decimal_point(value).as_str() {
                "" => Ok(None),
                v => v.parse::<f64>().ok().filter(|n| n.is_finite() && *n >= 0.0).map(Some).ok_or_else(|| {
                    AppError::validation(field, format!("{label} must be a positive number like 12.50"))
                }),
            }
        };
        let filter = TransactionFilter {
            start: date("start", "The start date", &search.start)?,
            end: date("end", "The end date", &search.end)?,
            account_id: search.account,
            text: Some(search.q).filter(|q| !q.is_empty()),
            category: Some(search.category).filter(|c| !c.is_empty()),
            amount_min: amount("min", "The smallest amount", &search.min)?,
            amount_max: amount("max", "The largest amount", &search.max)?,
            pending: match search.status.as_str() {
                "pending" => Some(true),
                "posted" => Some(false),
                _ => None,
            },
            include_hidden: search.hidden,
            limit: Some(PAGE_SIZE),
            offset: Some(search.offset.max(0)),
        };
        queries::transactions(&ctx.state, &user, filter).await
    })
    .await
}

/// The categories the user's transactions have (their own ones included),
/// for the filter and the editor.
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

/// One of the user's transactions.
///
/// # Errors
/// Signed out, or not theirs (404).
#[server]
pub async fn get_transaction(id: Uuid) -> Result<TransactionView, AppError> {
    use crate::server::fn_context::{FnContext, respond};
    use crate::server::queries;

    respond(async move {
        let ctx = FnContext::current().await?;
        let user = ctx.user().await?;
        queries::transaction(&ctx.state, &user, id).await
    })
    .await
}

/// Saves the user's category (empty: the provider's again), note and hidden
/// flag; they survive every later sync. A plain form post goes back to
/// `back` (a Transactions page URL).
///
/// # Errors
/// Signed out, too long (422 naming the field), or not theirs (404).
#[server]
pub async fn edit_transaction(
    id: Uuid,
    category: Option<String>,
    note: Option<String>,
    hidden: Option<String>,
    back: Option<String>,
) -> Result<TransactionView, AppError> {
    use crate::server::fn_context::{FnContext, redirect_plain_form, respond};
    use crate::server::queries::{self, TransactionEdit};

    respond(async move {
        let ctx = FnContext::current().await?;
        let user = ctx.user().await?;
        let edit = TransactionEdit {
            category: Some(category.unwrap_or_default()),
            note: Some(note.unwrap_or_default()),
            hidden: Some(hidden.is_some_and(|h| !h.is_empty())),
        };
        let saved = queries::edit_transaction(&ctx.state, &user, id, edit).await?;
        redirect_plain_form(&back_to_list(back.as_deref()));
        Ok(saved)
    })
    .await
}

/// Where to go after editing: `back` when it is a Transactions page URL of
/// this site, else the Transactions page.
pub fn back_to_list(back: Option<&str>) -> String {
    match back {
        Some(url) if url == "/transactions" || url.starts_with("/transactions?") => url.to_owned(),
        _ => "/transactions".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_round_trip_through_urls() {
        let s = TransactionSearch { q: "café & co".into(), start: "2024-01-01".into(), ..Default::default() };
        assert_eq!(s.href(0), "/transactions?q=caf%C3%A9+%26+co&start=2024-01-01");
        assert_eq!(s.href(50), "/transactions?q=caf%C3%A9+%26+co&start=2024-01-01&offset=50");
        assert_eq!(TransactionSearch::default().href(0), "/transactions");
        let url = |href: &str| {
            let query = href.split_once('?').map_or("", |(_, q)| q).to_owned();
            move |k: &str| {
                query.split('&').find_map(|p| p.split_once('=').filter(|(n, _)| *n == k).map(|(_, v)| v.to_owned()))
            }
        };
        let full = TransactionSearch {
            category: "FOOD_AND_DRINK".into(),
            min: "10".into(),
            max: "20.5".into(),
            status: "pending".into(),
            hidden: true,
            offset: 100,
            ..Default::default()
        };
        assert_eq!(TransactionSearch::from_query(url(&full.href(100))), full);
        assert!(full.uses_more_filters() && !full.is_empty());
        assert!(TransactionSearch { offset: 50, ..Default::default() }.is_empty());
    }

    #[test]
    fn the_export_link_speaks_the_rest_api() {
        let s = TransactionSearch {
            q: "uber".into(),
            status: "posted".into(),
            hidden: true,
            min: "5,5".into(),
            offset: 50,
            ..Default::default()
        };
        assert_eq!(s.export_href(), "/api/transactions.csv?q=uber&amount_min=5.5&pending=false&include_hidden=true");
        assert_eq!(TransactionSearch::default().export_href(), "/api/transactions.csv");
    }

    #[test]
    fn only_list_urls_are_followed_back() {
        assert_eq!(back_to_list(Some("/transactions?q=x")), "/transactions?q=x");
        assert_eq!(back_to_list(Some("https://evil.example/")), "/transactions");
        assert_eq!(back_to_list(Some("/transactionsX")), "/transactions");
        assert_eq!(back_to_list(None), "/transactions");
    }
}
