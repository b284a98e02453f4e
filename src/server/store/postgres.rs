//! PostgreSQL: the production and scale-out engine. The summary figures come
//! from the SQL functions in `migrations/postgres/0002_functions.sql`.

use std::time::Duration;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgPoolOptions, PgTypeInfo, PgValueRef};
use sqlx::{Decode, Encode, Pool, Postgres, Type};
use uuid::Uuid;

use super::StoreError;
use super::sql::{DbUuid, Dialect, SqlStore};

/// The PostgreSQL store.
pub type PostgresStore = SqlStore<Postgres>;

/// Connects to the database `url` names.
///
/// # Errors
/// The server cannot be reached or refuses the connection.
pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
    let pool = PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(5)).connect(url).await?;
    Ok(SqlStore::new(pool))
}

impl Dialect for Postgres {
    const BACKEND: &'static str = "postgres";
    const TOTAL_BALANCE: &'static str = "select currency, total from get_user_total_balance($1)";
    const TRANSACTION_COUNT: &'static str = "select get_user_transaction_count($1)";
    const INCOME: &'static str = "select currency, total from get_user_income($1, $2, $3)";
    const SPENDING: &'static str = "select currency, total from get_user_spending($1, $2, $3)";
    const SPENDING_BY_CATEGORY: &'static str =
        "select currency, category, total from get_user_spending_by_category($1, $2, $3)";
    const CONNECTION_SYNC_STATUS: &'static str = "select * from get_connection_sync_status($1)";

    const SKIP_LOCKED: &'static str = " for update skip locked";

    const TRIGRAM_MATCH: Option<&'static str> = None;

    const REFRESH_STATISTICS: Option<&'static str> = None;

    fn rows_affected(result: &sqlx::postgres::PgQueryResult) -> u64 {
        result.rows_affected()
    }

    async fn migrate(pool: &Pool<Self>) -> Result<(), sqlx::migrate::MigrateError> {
        sqlx::migrate!("migrations/postgres").run(pool).await
    }
}

impl Type<Postgres> for DbUuid {
    fn type_info() -> PgTypeInfo {
        <Uuid as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for DbUuid {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <Uuid as Encode<'_, Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for DbUuid {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(<Uuid as Decode<'r, Postgres>>::decode(value)?))
    }
}
