//! A keyset ("seek") page, measured beside the offset pages the store
//! serves, to decide between the two with numbers. The store has no keyset
//! method, so the query is written here: the same columns, filters and
//! order as the store's list, starting after a given row instead of after
//! `offset` rows.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{ColumnIndex, Database, Executor, IntoArguments, Pool, Postgres, Sqlite};
use tributary::server::store::sql::{Column, DbUuid};
use uuid::Uuid;

/// Where a page starts: the sort key of the last row of the page before.
#[derive(Debug, Clone, Copy)]
pub struct Anchor {
    date: NaiveDate,
    created_at: DateTime<Utc>,
    id: DbUuid,
}

/// The pool of the store being measured.
pub enum Pools {
    Sqlite(Pool<Sqlite>),
    Postgres(Pool<Postgres>),
}

/// The store's list filters without any optional one: the user's visible,
/// not removed transactions.
const FILTERS: &str = "t.user_id = $1 and t.removed_at is null and not t.hidden";
const ORDER: &str = "order by t.date desc, t.created_at desc, t.id desc";

impl Pools {
    /// The sort key of the user's `offset`-th transaction (0-based).
    pub async fn anchor(&self, user: Uuid, offset: i64) -> Anchor {
        match self {
            Self::Sqlite(pool) => anchor(pool, user, offset).await,
            Self::Postgres(pool) => anchor(pool, user, offset).await,
        }
    }

    /// The `limit` transactions after `after`; returns how many came.
    pub async fn page_after(&self, user: Uuid, after: Anchor, limit: i64) -> usize {
        match self {
            Self::Sqlite(pool) => page_after(pool, user, after, limit).await,
            Self::Postgres(pool) => page_after(pool, user, after, limit).await,
        }
    }
}

async fn anchor<DB>(pool: &Pool<DB>, user: Uuid, offset: i64) -> Anchor
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    DbUuid: Column<DB>,
    i64: Column<DB>,
    NaiveDate: Column<DB>,
    DateTime<Utc>: Column<DB>,
{
    let sql =
        format!("select t.date, t.created_at, t.id from transactions t where {FILTERS} {ORDER} limit 1 offset $2");
    let (date, created_at, id): (NaiveDate, DateTime<Utc>, DbUuid) =
        sqlx::query_as(&sql).bind(DbUuid(user)).bind(offset).fetch_one(pool).await.expect("keyset anchor");
    Anchor { date, created_at, id }
}

async fn page_after<DB>(pool: &Pool<DB>, user: Uuid, after: Anchor, limit: i64) -> usize
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    DbUuid: Column<DB>,
    i64: Column<DB>,
    NaiveDate: Column<DB>,
    DateTime<Utc>: Column<DB>,
{
    // `t.date <= $2` gives both engines an index range; the row comparison
    // then skips what the previous page already showed.
    let sql = format!(
        "select t.id, t.account_id, t.provider_transaction_id, t.date, t.name, \
         t.merchant_name, t.amount, t.currency, coalesce(t.user_category, t.category_primary) as category, \
         t.category_detailed, t.payment_channel, t.pending, t.logo_url, t.user_category, \
         t.category_primary as provider_category, t.user_note, t.hidden, a.name as account_name, \
         a.mask as account_mask \
         from transactions t join accounts a on a.id = t.account_id \
         where {FILTERS} and t.date <= $2 and (t.date, t.created_at, t.id) < ($2, $3, $4) {ORDER} limit $5"
    );
    let rows = sqlx::query(&sql)
        .bind(DbUuid(user))
        .bind(after.date)
        .bind(after.created_at)
        .bind(after.id)
        .bind(limit)
        .fetch_all(pool)
        .await
        .expect("keyset page");
    rows.len()
}
