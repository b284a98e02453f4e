//! SQLite: the zero-configuration default, one file with WAL journaling.

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{
    SqliteArgumentValue, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous, SqliteTypeInfo,
    SqliteValueRef,
};
use sqlx::{Decode, Encode, Pool, Sqlite, Type};
use uuid::Uuid;

use super::StoreError;
use super::sql::{DbUuid, Dialect, SqlStore};

/// The SQLite store.
pub type SqliteStore = SqlStore<Sqlite>;

/// Opens (creating if missing) the database file `url` names.
///
/// # Errors
/// The folder cannot be created or the file cannot be opened.
pub async fn connect(url: &str) -> Result<SqliteStore, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        // Reads through a memory map of the file rather than a copy per page
        // read: lists and exports of 100,000+ rows are several times
        // faster (`make bench`), and the 8 connections share one copy in
        // the OS page cache instead of each caching its own.
        .pragma("mmap_size", (256 * 1024 * 1024).to_string());
    if let Some(dir) = options.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?;
    Ok(SqlStore::new(pool))
}

/// Whether a transaction is a transfer between the user's own accounts; the
/// same rule as `tributary_is_transfer` in the PostgreSQL migrations (0006
/// has the reasons).
macro_rules! not_transfer {
    () => {
        "not (coalesce(t.user_category, t.category_primary, 'UNCATEGORIZED') in ('TRANSFER_IN', 'TRANSFER_OUT') \
         or (t.user_category is null \
             and (coalesce(t.category_detailed, '') in ('LOAN_PAYMENTS_CREDIT_CARD_PAYMENT', '05100000') \
                  or coalesce(t.category_detailed, '') like '04______')))"
    };
}

impl Dialect for Sqlite {
    const BACKEND: &'static str = "sqlite";

    const TOTAL_BALANCE: &'static str = "select a.currency as currency, \
         sum(case when a.type in ('credit', 'loan') then -coalesce(a.current_balance, 0) \
                  else coalesce(a.current_balance, 0) end) as total \
         from accounts a join connections c on c.id = a.connection_id \
         where a.user_id = $1 and c.status <> 'disconnected' \
         group by a.currency order by a.currency";

    const TRANSACTION_COUNT: &'static str =
        "select count(*) from transactions t where t.user_id = $1 and t.removed_at is null";

    const INCOME: &'static str = concat!(
        "select t.currency as currency, sum(t.amount) as total from transactions t \
         where t.user_id = $1 and t.removed_at is null and not t.hidden \
         and t.date between $2 and $3 and t.amount > 0 and ",
        not_transfer!(),
        " group by t.currency order by t.currency"
    );

    const SPENDING: &'static str = concat!(
        "select t.currency as currency, -sum(t.amount) as total from transactions t \
         where t.user_id = $1 and t.removed_at is null and not t.hidden \
         and t.date between $2 and $3 and t.amount < 0 and ",
        not_transfer!(),
        " group by t.currency order by t.currency"
    );

    const SPENDING_BY_CATEGORY: &'static str = concat!(
        "select t.currency as currency, coalesce(t.user_category, t.category_primary, 'UNCATEGORIZED') as category, \
         -sum(t.amount) as total from transactions t \
         where t.user_id = $1 and t.removed_at is null and not t.hidden \
         and t.date between $2 and $3 and t.amount < 0 and ",
        not_transfer!(),
        " group by 1, 2 order by 1, 3 desc, 2"
    );

    const CONNECTION_SYNC_STATUS: &'static str = "select c.status as status, c.last_synced_at as last_synced_at, \
         c.next_sync_allowed_at as next_sync_allowed_at, c.next_sync_at as next_sync_at, \
         r.outcome as last_run_outcome, r.started_at as last_run_started_at, \
         r.finished_at as last_run_finished_at, r.error_message as last_run_error, \
         exists (select 1 from sync_jobs j where j.connection_id = c.id) as sync_queued \
         from connections c \
         left join sync_runs r on r.id = (select s.id from sync_runs s where s.connection_id = c.id \
                                          order by s.started_at desc limit 1) \
         where c.id = $1";

    const SKIP_LOCKED: &'static str = "";

    // A phrase, so the text is matched as typed (FTS5 operators and all);
    // phrases never span the two columns.
    const TRIGRAM_MATCH: Option<&'static str> = Some(
        " and t.id in (select k.transaction_id from transaction_search s \
         join transaction_search_keys k on k.key = s.rowid \
         where s.transaction_search match '\"' || replace(?, '\"', '\"\"') || '\"')",
    );

    // 0x10000: look at every table, not only those this connection used.
    const REFRESH_STATISTICS: Option<&'static str> = Some("pragma optimize = 0x10002");

    fn rows_affected(result: &sqlx::sqlite::SqliteQueryResult) -> u64 {
        result.rows_affected()
    }

    async fn migrate(pool: &Pool<Self>) -> Result<(), sqlx::migrate::MigrateError> {
        sqlx::migrate!("migrations/sqlite").run(pool).await
    }
}

impl Type<Sqlite> for DbUuid {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for DbUuid {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Sqlite>>::encode(self.0.hyphenated().to_string(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for DbUuid {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<'r, Sqlite>>::decode(value)?;
        Ok(Self(Uuid::parse_str(text)?))
    }
}
