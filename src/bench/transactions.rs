//! `make bench`: is the transactions list still instant with 120,000 rows?
//!
//! Seeds a real SQLite file in a temporary folder (and a PostgreSQL schema
//! of its own when `TRIBUTARY_BENCH_POSTGRES_URL` names a database) through
//! the store API a sync uses, then times what the pages ask of the store:
//! the list's first and deep pages with their counts, each filter, the
//! dashboard figures, the category list, the full CSV export (time and
//! memory), and sync's `apply_page`. Prints a markdown table and exits
//! non-zero when a target is missed. Speed is checked here, never by timed
//! tests.
//!
//! Run with `make bench`, or alone:
//! `cargo bench --features ssr --bench transactions`.

mod cases;
mod keyset;
mod measure;
mod report;
mod seed;

use std::process::ExitCode;
use std::str::FromStr as _;
use std::sync::Arc;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tributary::server::store::sql::SqlStore;
use tributary::server::store::{Store, sqlite};
use uuid::Uuid;

use self::keyset::Pools;
use self::report::Row;

/// The variable naming a PostgreSQL database the bench may create a schema in.
const POSTGRES_ENV: &str = "TRIBUTARY_BENCH_POSTGRES_URL";

/// What "feels instant" means here, as 95th percentiles measured at the
/// store, on a 2-core machine. A click answered within ~100 ms feels
/// immediate; the store's share must leave room for rendering and the
/// network.
mod targets {
    use std::time::Duration;

    /// The list as it opens: every visit waits for it, so half the budget.
    pub const FIRST_PAGE_P95: Duration = Duration::from_millis(50);
    /// A page far down the list (offset 100,000). Offset paging is kept
    /// only if this stays within the filtered budget; otherwise keyset
    /// paging would be needed.
    pub const DEEP_PAGE_P95: Duration = Duration::from_millis(100);
    /// A filtered page with its count: typed or clicked, so the whole
    /// ~100 ms budget.
    pub const FILTERED_P95: Duration = Duration::from_millis(100);
    /// The dashboard's figures (five queries), shown on every visit of it.
    pub const SUMMARY_P95: Duration = Duration::from_millis(100);
    /// The categories for the filter menu, loaded with the list.
    pub const CATEGORIES_P95: Duration = Duration::from_millis(50);
    /// A download of 120,000 rows: the user waits for a file, a few
    /// seconds are fine.
    pub const EXPORT_P95: Duration = Duration::from_secs(3);
    /// The export streams: its memory must not grow with the rows (a
    /// buffered 120,000-row CSV alone is ~20 MB, its records several times
    /// that).
    pub const EXPORT_RSS_GROWTH: u64 = 50 * 1024 * 1024;
    /// A first sync of four years (~120,000 rows) should take under half a
    /// minute.
    pub const SYNC_ROWS_PER_SECOND: f64 = 5_000.0;
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut rows = Vec::new();

    let dir = tempfile::tempdir().expect("a temporary folder for the SQLite file");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = sqlite::connect(&url).await.expect("open the SQLite file");
    store.migrate().await.expect("migrate SQLite");
    let pools = Pools::Sqlite(store.pool().clone());
    rows.extend(bench("SQLite", Arc::new(store), &pools).await);
    drop(dir);

    match std::env::var(POSTGRES_ENV) {
        Ok(url) => rows.extend(postgres(&url).await),
        Err(_) => eprintln!("note: {POSTGRES_ENV} is not set; PostgreSQL not measured (make bench sets it)"),
    }

    report::print(&rows);
    if let Some(peak) = measure::run_peak() {
        println!("Peak resident memory of the run (VmHWM): {}", measure::mib(peak));
    }
    if report::all_passed(&rows) {
        ExitCode::SUCCESS
    } else {
        eprintln!("error: a target was missed (see **MISSED** above)");
        ExitCode::FAILURE
    }
}

/// Seeds `store` and measures it.
async fn bench(backend: &'static str, store: Arc<dyn Store>, pools: &Pools) -> Vec<Row> {
    eprintln!("{backend}: seeding…");
    let seeded = seed::seed(store.as_ref()).await;
    // What the sync engine does after a run that added rows (SQLite: the
    // planner's statistics; PostgreSQL leaves it to autovacuum, below).
    store.refresh_statistics().await.expect("statistics");
    if let Pools::Postgres(pool) = pools {
        // What autovacuum does soon after a bulk load (PostgreSQL 13+ also
        // vacuums insert-only tables): fresh statistics for the planner, and
        // a visibility map so counts can be index-only scans. Without it the
        // plans depend on when the daemon last woke up.
        sqlx::query("vacuum (analyze) transactions").execute(pool).await.expect("vacuum");
    }
    eprintln!("{backend}: {} rows at {:.0} rows/s; measuring…", seeded.rows, seeded.rows_per_second());
    cases::run(backend, store, pools, &seeded).await
}

/// Measures PostgreSQL in a schema of its own in the database `url` names,
/// dropped afterwards, so nothing else in that database is touched.
async fn postgres(url: &str) -> Vec<Row> {
    let schema = format!("bench_{}", Uuid::new_v4().simple());
    let admin = PgPoolOptions::new().max_connections(1).connect(url).await.expect("connect to the bench PostgreSQL");
    sqlx::query(&format!("create schema {schema}")).execute(&admin).await.expect("create the bench schema");
    let options =
        PgConnectOptions::from_str(url).expect("a PostgreSQL URL").options([("search_path", schema.as_str())]);
    // The pool the app opens (`postgres::connect`), in the bench's schema.
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect_with(options)
        .await
        .expect("connect to the bench schema");
    let store = SqlStore::new(pool.clone());
    store.migrate().await.expect("migrate PostgreSQL");
    let rows = bench("PostgreSQL", Arc::new(store), &Pools::Postgres(pool.clone())).await;
    pool.close().await;
    sqlx::query(&format!("drop schema {schema} cascade")).execute(&admin).await.expect("drop the bench schema");
    admin.close().await;
    rows
}
