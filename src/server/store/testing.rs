//! Throw-away databases for tests: a SQLite file in a temporary folder, or a
//! PostgreSQL schema of its own in the database `TRIBUTARY_TEST_POSTGRES_URL`
//! names (the Makefile creates one per run). Each test gets its own, so
//! tests run in parallel without seeing each other's rows.

use std::str::FromStr as _;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::query::Query;
use sqlx::{Database, Pool, Postgres, Sqlite};
use uuid::Uuid;

use super::sql::{Column, DbUuid, SqlStore};
use super::{Store, sqlite};

/// The variable naming the PostgreSQL database tests may create schemas in.
pub const POSTGRES_ENV: &str = "TRIBUTARY_TEST_POSTGRES_URL";

/// A value for [`TestDb::exec`].
#[derive(Debug, Clone)]
pub enum Val {
    Id(Uuid),
    Text(String),
    Int(i64),
    Bool(bool),
    Date(NaiveDate),
    Time(DateTime<Utc>),
    MaybeTime(Option<DateTime<Utc>>),
    /// A text NULL.
    Null,
}

enum Backend {
    // The folder is deleted when the value drops.
    Sqlite(Pool<Sqlite>, #[allow(dead_code)] tempfile::TempDir),
    Postgres(Pool<Postgres>, String),
}

/// A migrated, empty database that exists for one test.
pub struct TestDb {
    backend: Backend,
    store: Arc<dyn Store>,
}

impl TestDb {
    /// A new SQLite file.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let store = sqlite::connect(&url).await.expect("open sqlite");
        store.migrate().await.expect("migrate sqlite");
        let pool = store.pool().clone();
        Self { backend: Backend::Sqlite(pool, dir), store: Arc::new(store) }
    }

    /// A new schema in the test PostgreSQL database, or `None` (with a note)
    /// when none is configured outside CI. In CI a missing database fails.
    pub async fn postgres() -> Option<Self> {
        let Ok(url) = std::env::var(POSTGRES_ENV) else {
            assert!(
                std::env::var("CI").map_or(true, |v| v.is_empty()),
                "{POSTGRES_ENV} must be set in CI (make test sets it)"
            );
            eprintln!("note: {POSTGRES_ENV} is not set; PostgreSQL store tests skipped (make test runs them)");
            return None;
        };
        let schema = format!("t_{}", Uuid::new_v4().simple());
        let admin = PgPoolOptions::new().max_connections(1).connect(&url).await.expect("connect to test postgres");
        sqlx::query(&format!("create schema {schema}")).execute(&admin).await.expect("create schema");
        admin.close().await;
        let options = PgConnectOptions::from_str(&url).expect("url").options([("search_path", schema.as_str())]);
        let pool = PgPoolOptions::new().max_connections(4).connect_with(options).await.expect("connect to schema");
        let store = SqlStore::new(pool.clone());
        store.migrate().await.expect("migrate postgres");
        Some(Self { backend: Backend::Postgres(pool, schema), store: Arc::new(store) })
    }

    /// The store under test.
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// True for SQLite, for the checks of what only SQLite has.
    pub fn is_sqlite(&self) -> bool {
        matches!(self.backend, Backend::Sqlite(..))
    }

    /// Runs one statement with `$n` parameters, for fixtures the store has no
    /// method for yet.
    pub async fn exec(&self, sql: &str, args: &[Val]) {
        match &self.backend {
            Backend::Sqlite(pool, _) => {
                bind_all(sqlx::query(sql), args).execute(pool).await.expect(sql);
            }
            Backend::Postgres(pool, _) => {
                bind_all(sqlx::query(sql), args).execute(pool).await.expect(sql);
            }
        }
    }

    /// Closes the connection pool: the database becomes unreachable.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(pool, _) => pool.close().await,
            Backend::Postgres(pool, _) => pool.close().await,
        }
    }

    /// The single integer a `select count(*) …` returns.
    pub async fn count(&self, sql: &str, args: &[Val]) -> i64 {
        let row: (i64,) = match &self.backend {
            Backend::Sqlite(pool, _) => {
                bind_all(sqlx::query(sql), args).fetch_one(pool).await.map(|r| (sqlx::Row::get(&r, 0),))
            }
            Backend::Postgres(pool, _) => {
                bind_all(sqlx::query(sql), args).fetch_one(pool).await.map(|r| (sqlx::Row::get(&r, 0),))
            }
        }
        .expect(sql);
        row.0
    }

    /// Drops the PostgreSQL schema (the SQLite folder goes with the value).
    pub async fn finish(self) {
        if let Backend::Postgres(pool, schema) = self.backend {
            let _ = sqlx::query(&format!("drop schema {schema} cascade")).execute(&pool).await;
            pool.close().await;
        }
    }
}

fn bind_all<'q, DB>(mut query: Query<'q, DB, DB::Arguments<'q>>, args: &[Val]) -> Query<'q, DB, DB::Arguments<'q>>
where
    DB: Database,
    DbUuid: Column<DB>,
    String: Column<DB>,
    Option<String>: Column<DB>,
    i64: Column<DB>,
    bool: Column<DB>,
    NaiveDate: Column<DB>,
    DateTime<Utc>: Column<DB>,
    Option<DateTime<Utc>>: Column<DB>,
{
    for arg in args {
        query = match arg.clone() {
            Val::Id(u) => query.bind(DbUuid(u)),
            Val::Text(t) => query.bind(t),
            Val::Int(i) => query.bind(i),
            Val::Bool(b) => query.bind(b),
            Val::Date(d) => query.bind(d),
            Val::Time(t) => query.bind(t),
            Val::MaybeTime(t) => query.bind(t),
            Val::Null => query.bind(None::<String>),
        };
    }
    query
}

/// Runs each named `async fn(&TestDb)` of the enclosing module once on
/// SQLite and once on PostgreSQL, as `sqlite::<name>` and `postgres::<name>`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::server::store::testing::TestDb::sqlite().await;
                    super::$name(&db).await;
                    db.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::server::store::testing::TestDb::postgres().await else { return };
                    super::$name(&db).await;
                    db.finish().await;
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;
