//! What is measured on each backend, through the store calls the pages and
//! the REST API make (`queries::transactions`, `queries::summary`, the
//! filters' category list, the CSV export).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use futures::StreamExt as _;
use tributary::server::export::csv_body;
use tributary::server::store::Store;
use tributary::server::store::bank::TransactionQuery;

use super::keyset::Pools;
use super::measure::{self, Stats, mib, ms};
use super::report::Row;
use super::seed::{PAGE_SIZE, Seeded};
use super::targets;

/// Timed runs of each query.
const RUNS: usize = 40;
/// Timed runs of the full export (seconds each, so fewer).
const EXPORT_RUNS: usize = 3;
/// The deep page: near the end of the measured user's 120,000 rows.
const DEEP_OFFSET: i64 = 100_000;
/// Rows per page, as the transactions page asks for.
const LIMIT: i64 = 50;

/// Runs every case against `store`, seeded with `seeded`.
pub async fn run(backend: &'static str, store: Arc<dyn Store>, pools: &Pools, seeded: &Seeded) -> Vec<Row> {
    let mut rows = vec![sync_row(backend, seeded)];
    let base = TransactionQuery { user_id: seeded.user, limit: LIMIT, ..TransactionQuery::default() };
    let today = Utc::now().date_naive();

    let list = |name: &str, query: TransactionQuery, target: Duration| {
        let store = store.clone();
        let name = name.to_owned();
        async move {
            let (first, total) = store.transactions(&query).await.expect("list");
            assert!(first.len() <= usize::try_from(query.limit).unwrap_or(0));
            let stats = measure::time(RUNS, || store.transactions(&query)).await;
            Row::timed(backend, name, Some(total), stats, Some(target))
        }
    };

    rows.push(list("first page (50) + count", base.clone(), targets::FIRST_PAGE_P95).await);
    rows.push(
        list(
            &format!("page at offset {DEEP_OFFSET} + count"),
            TransactionQuery { offset: DEEP_OFFSET, ..base.clone() },
            targets::DEEP_PAGE_P95,
        )
        .await,
    );
    let anchor = pools.anchor(seeded.user, DEEP_OFFSET - 1).await;
    assert_eq!(pools.page_after(seeded.user, anchor, LIMIT).await, usize::try_from(LIMIT).unwrap_or(0));
    let stats = measure::time(RUNS, || pools.page_after(seeded.user, anchor, LIMIT)).await;
    rows.push(Row::timed(backend, format!("keyset page after row {DEEP_OFFSET} (no count)"), None, stats, None));

    let filtered = [
        ("text q=\"coffee\" (common)", TransactionQuery { text: Some("coffee".into()), ..base.clone() }),
        ("text q=\"hulu\" (rare)", TransactionQuery { text: Some("hulu".into()), ..base.clone() }),
        ("category FOOD_AND_DRINK", TransactionQuery { category: Some("FOOD_AND_DRINK".into()), ..base.clone() }),
        ("account (BRL current)", TransactionQuery { account_id: Some(seeded.account), ..base.clone() }),
        ("amount 100–500", TransactionQuery { amount_min: Some(100_000), amount_max: Some(500_000), ..base.clone() }),
        ("pending only", TransactionQuery { pending: Some(true), ..base.clone() }),
        (
            "one month a year ago",
            TransactionQuery {
                start: Some(today - TimeDelta::days(395)),
                end: Some(today - TimeDelta::days(365)),
                ..base.clone()
            },
        ),
        (
            "category + text + 2 years, offset 500",
            TransactionQuery {
                category: Some("FOOD_AND_DRINK".into()),
                text: Some("market".into()),
                start: Some(today - TimeDelta::days(730)),
                offset: 500,
                ..base.clone()
            },
        ),
    ];
    for (name, query) in filtered {
        rows.push(list(name, query, targets::FILTERED_P95).await);
    }

    rows.push(summary(backend, store.as_ref(), seeded).await);
    let stats = measure::time(RUNS, || store.user_categories(seeded.user)).await;
    let categories = store.user_categories(seeded.user).await.expect("categories");
    rows.push(Row::timed(
        backend,
        "user_categories",
        Some(i64::try_from(categories.len()).unwrap_or(0)),
        stats,
        Some(targets::CATEGORIES_P95),
    ));
    rows.extend(export(backend, store, seeded).await);
    rows
}

/// The sync rows: each `apply_page` of the measured user's seeding.
fn sync_row(backend: &'static str, seeded: &Seeded) -> Row {
    let stats = Stats::of(seeded.page_times.clone());
    let rate = seeded.rows_per_second();
    Row {
        backend,
        case: format!("sync: apply_page of {PAGE_SIZE} new rows ({rate:.0} rows/s)"),
        matched: Some(i64::try_from(seeded.rows).unwrap_or(0)),
        runs: stats.runs,
        median: ms(stats.median),
        p95: ms(stats.p95),
        target: format!("≥ {} rows/s", targets::SYNC_ROWS_PER_SECOND),
        pass: Some(rate >= targets::SYNC_ROWS_PER_SECOND),
    }
}

/// The dashboard's figures for the last 30 days, the store calls
/// `queries::summary` makes, in its order.
async fn summary(backend: &'static str, store: &dyn Store, seeded: &Seeded) -> Row {
    let end = Utc::now().date_naive();
    let start = end - TimeDelta::days(29);
    let user = seeded.user;
    let stats = measure::time(RUNS, || async {
        let categories = store.user_spending_by_category(user, start, end).await.expect("by category");
        let balance = store.user_total_balance(user).await.expect("balance");
        let income = store.user_income(user, start, end).await.expect("income");
        let spending = store.user_spending(user, start, end).await.expect("spending");
        let count = store.user_transaction_count(user).await.expect("count");
        (categories, balance, income, spending, count)
    })
    .await;
    Row::timed(backend, "dashboard summary (30 days, 5 queries)", None, stats, Some(targets::SUMMARY_P95))
}

/// Every visible transaction of the user as CSV, the way
/// `GET /api/transactions.csv` streams it: the store feeds a channel from
/// its own task, the CSV encoder drains it, the bytes are dropped as a
/// client would receive them. Time, and the growth of resident memory over
/// what it was before.
async fn export(backend: &'static str, store: Arc<dyn Store>, seeded: &Seeded) -> Vec<Row> {
    let query = TransactionQuery { user_id: seeded.user, ..TransactionQuery::default() };
    let mut samples = Vec::new();
    let mut growth: Option<u64> = Some(0);
    let mut lines = 0;
    for _ in 0..EXPORT_RUNS {
        let reset = measure::reset_peak();
        let before = measure::memory("VmRSS");
        let start = Instant::now();
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        let reader = {
            let store = store.clone();
            let query = query.clone();
            tokio::spawn(async move { store.export_transactions(&query, tx).await })
        };
        let mut body = csv_body(rx).into_data_stream();
        lines = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.expect("csv chunk");
            lines += chunk.iter().filter(|b| **b == b'\n').count();
        }
        reader.await.expect("export task").expect("export");
        samples.push(start.elapsed());
        let peak = measure::memory("VmHWM");
        growth = match (reset, before, peak, growth) {
            (true, Some(before), Some(peak), Some(max)) => Some(max.max(peak.saturating_sub(before))),
            _ => None,
        };
    }
    let exported = i64::try_from(lines.saturating_sub(1)).unwrap_or(0);
    let stats = Stats::of(samples);
    let time_row = Row::timed(
        backend,
        format!("CSV export of all rows ({exported} lines)"),
        Some(exported),
        stats,
        Some(targets::EXPORT_P95),
    );
    let memory_row = Row {
        backend,
        case: "CSV export: resident memory growth (max of runs)".to_owned(),
        matched: None,
        runs: stats.runs,
        median: growth.map_or_else(|| "unmeasured".to_owned(), mib),
        p95: String::new(),
        target: format!("< {}", mib(targets::EXPORT_RSS_GROWTH)),
        pass: growth.map(|g| g < targets::EXPORT_RSS_GROWTH),
    };
    vec![time_row, memory_row]
}
