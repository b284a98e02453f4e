//! The dashboard's figures: net balance per currency, and money in and out
//! this calendar month against last month.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::model::SummaryView;

/// This month so far and the whole of last month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub this_month: SummaryView,
    pub last_month: SummaryView,
}

/// The signed-in user's overview (dates in UTC).
///
/// # Errors
/// Signed out, or the database failed.
#[server]
pub async fn dashboard_overview() -> Result<Overview, AppError> {
    use chrono::{Datelike as _, Months, Utc};

    use crate::server::fn_context::{FnContext, respond};
    use crate::server::queries;

    respond(async {
        let cx = FnContext::current().await?;
        let user = cx.user().await?;
        let today = Utc::now().date_naive();
        let first = today.with_day(1).unwrap_or(today);
        let last_first = first.checked_sub_months(Months::new(1)).unwrap_or(first);
        let last_end = first.pred_opt().unwrap_or(first);
        Ok(Overview {
            this_month: queries::summary(&cx.state, &user, Some(first), Some(today)).await?,
            last_month: queries::summary(&cx.state, &user, Some(last_first), Some(last_end)).await?,
        })
    })
    .await
}
