//! [`BankStore`] in the SQL both backends share.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use super::{DbUuid, Dialect, TRIGRAM_MIN_CHARS, sql_impl};
use crate::model::{ConnectionStatus, ProviderKind};
use crate::server::money;
use crate::server::provider::{Account, Institution, TransactionPage};
use crate::server::store::bank::{
    AccountRecord, BalancePoint, BankStore, ConnectionRecord, NewConnection, PageCounts, StatusChange,
    TransactionOverrides, TransactionQuery, TransactionRecord,
};
use crate::server::store::{ResultExt as _, StoreError};

const CONNECTION_SELECT: &str = "select c.id, c.user_id, c.provider, c.provider_item_id, c.institution_id, \
     i.name as institution_name, i.logo as institution_logo, i.primary_color as institution_color, \
     c.access_token_enc, c.status, c.status_detail, c.error_code, c.consent_expires_at, c.sync_cursor, \
     c.last_synced_at, c.next_sync_allowed_at, c.next_sync_at, c.created_at, \
     (select count(*) from accounts a where a.connection_id = c.id) as accounts_count, \
     exists (select 1 from sync_jobs j join sync_runs r on r.id = j.run_id \
             where j.connection_id = c.id and r.outcome in ('queued', 'running')) as syncing \
     from connections c left join institutions i on i.id = c.institution_id";

const ACCOUNT_SELECT: &str = "select a.id, a.connection_id, a.provider_account_id, i.name as institution_name, \
     c.provider, c.status, a.name, a.official_name, a.mask, a.type as account_type, a.subtype, a.currency, \
     a.current_balance, a.available_balance, a.credit_limit, a.updated_at \
     from accounts a join connections c on c.id = a.connection_id \
     left join institutions i on i.id = c.institution_id";

const TRANSACTION_SELECT: &str = "select t.id, t.account_id, t.provider_transaction_id, t.date, t.name, \
     t.merchant_name, t.amount, t.currency, coalesce(t.user_category, t.category_primary) as category, \
     t.category_detailed, t.payment_channel, t.pending, t.logo_url, t.user_category, \
     t.category_primary as provider_category, t.user_note, t.hidden, a.name as account_name, \
     a.mask as account_mask \
     from transactions t join accounts a on a.id = t.account_id";

/// The order of transaction lists: newest first, then as the provider sent
/// them, the id breaking ties so pages never overlap.
const TRANSACTION_ORDER: &str = "order by t.date desc, t.created_at desc, t.id desc";

#[derive(FromRow)]
struct ConnectionRow {
    id: DbUuid,
    user_id: DbUuid,
    provider: String,
    provider_item_id: String,
    institution_id: Option<DbUuid>,
    institution_name: Option<String>,
    institution_logo: Option<String>,
    institution_color: Option<String>,
    access_token_enc: String,
    status: String,
    status_detail: Option<String>,
    error_code: Option<String>,
    consent_expires_at: Option<DateTime<Utc>>,
    sync_cursor: Option<String>,
    last_synced_at: Option<DateTime<Utc>>,
    next_sync_allowed_at: Option<DateTime<Utc>>,
    next_sync_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    accounts_count: i64,
    syncing: bool,
}

pub(super) fn provider(s: &str) -> Result<ProviderKind, StoreError> {
    ProviderKind::parse(s).ok_or_else(|| StoreError::Corrupt(format!("provider {s:?}")))
}

fn status(s: &str) -> Result<ConnectionStatus, StoreError> {
    ConnectionStatus::parse(s).ok_or_else(|| StoreError::Corrupt(format!("connection status {s:?}")))
}

impl TryFrom<ConnectionRow> for ConnectionRecord {
    type Error = StoreError;

    fn try_from(r: ConnectionRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.id.0,
            user_id: r.user_id.0,
            provider: provider(&r.provider)?,
            provider_item_id: r.provider_item_id,
            institution_id: r.institution_id.map(|i| i.0),
            institution_name: r.institution_name,
            institution_logo: r.institution_logo,
            institution_color: r.institution_color,
            access_token_enc: r.access_token_enc,
            status: status(&r.status)?,
            status_detail: r.status_detail,
            error_code: r.error_code,
            consent_expires_at: r.consent_expires_at,
            sync_cursor: r.sync_cursor,
            last_synced_at: r.last_synced_at,
            next_sync_allowed_at: r.next_sync_allowed_at,
            next_sync_at: r.next_sync_at,
            created_at: r.created_at,
            accounts_count: r.accounts_count,
            syncing: r.syncing,
        })
    }
}

#[derive(FromRow)]
struct AccountRow {
    id: DbUuid,
    connection_id: DbUuid,
    provider_account_id: String,
    institution_name: Option<String>,
    provider: String,
    status: String,
    name: String,
    official_name: Option<String>,
    mask: Option<String>,
    account_type: String,
    subtype: Option<String>,
    currency: String,
    current_balance: Option<i64>,
    available_balance: Option<i64>,
    credit_limit: Option<i64>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<AccountRow> for AccountRecord {
    type Error = StoreError;

    fn try_from(r: AccountRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.id.0,
            connection_id: r.connection_id.0,
            provider_account_id: r.provider_account_id,
            institution_name: r.institution_name,
            provider: provider(&r.provider)?,
            status: status(&r.status)?,
            name: r.name,
            official_name: r.official_name,
            mask: r.mask,
            account_type: r.account_type,
            subtype: r.subtype,
            currency: r.currency,
            current: r.current_balance,
            available: r.available_balance,
            limit: r.credit_limit,
            updated_at: r.updated_at,
        })
    }
}

#[derive(FromRow)]
struct TransactionRow {
    id: DbUuid,
    account_id: DbUuid,
    provider_transaction_id: String,
    date: NaiveDate,
    name: String,
    merchant_name: Option<String>,
    amount: i64,
    currency: String,
    category: Option<String>,
    category_detailed: Option<String>,
    payment_channel: Option<String>,
    pending: bool,
    logo_url: Option<String>,
    user_category: Option<String>,
    provider_category: Option<String>,
    user_note: Option<String>,
    hidden: bool,
    account_name: String,
    account_mask: Option<String>,
}

impl From<TransactionRow> for TransactionRecord {
    fn from(r: TransactionRow) -> Self {
        Self {
            id: r.id.0,
            account_id: r.account_id.0,
            provider_transaction_id: r.provider_transaction_id,
            date: r.date,
            name: r.name,
            merchant_name: r.merchant_name,
            amount: r.amount,
            currency: r.currency,
            category: r.category,
            category_detailed: r.category_detailed,
            payment_channel: r.payment_channel,
            pending: r.pending,
            logo_url: r.logo_url,
            user_category: r.user_category,
            provider_category: r.provider_category,
            user_note: r.user_note,
            hidden: r.hidden,
            account_name: r.account_name,
            account_mask: r.account_mask,
        }
    }
}

/// The filters of [`TransactionQuery`] as SQL after `where`, binding from `$2`
/// (`$1` is the user), and the values to bind, in order.
fn transaction_filters<DB: Dialect>(query: &TransactionQuery) -> (String, Vec<FilterValue>) {
    let mut sql = String::from("t.user_id = $1 and t.removed_at is null");
    let mut values = Vec::new();
    let mut push = |clause: &str, value: FilterValue, sql: &mut String| {
        values.push(value);
        sql.push_str(&clause.replace('?', &format!("${}", values.len() + 1)));
    };
    if !query.include_hidden {
        sql.push_str(" and not t.hidden");
    }
    if let Some(start) = query.start {
        push(" and t.date >= ?", FilterValue::Date(start), &mut sql);
    }
    if let Some(end) = query.end {
        push(" and t.date <= ?", FilterValue::Date(end), &mut sql);
    }
    if let Some(account) = query.account_id {
        push(" and t.account_id = ?", FilterValue::Id(account), &mut sql);
    }
    if let Some(text) = query.text.as_deref().filter(|t| !t.is_empty()) {
        if let Some(clause) = DB::TRIGRAM_MATCH.filter(|_| text.chars().count() >= TRIGRAM_MIN_CHARS) {
            push(clause, FilterValue::Text(text.to_owned()), &mut sql);
        } else {
            let pattern =
                format!("%{}%", text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            push(
                " and (lower(t.name) like ? escape '\\' or lower(coalesce(t.merchant_name, '')) like ? escape '\\')",
                FilterValue::Text(pattern),
                &mut sql,
            );
        }
    }
    if let Some(category) = query.category.as_deref().filter(|c| !c.is_empty()) {
        push(
            " and coalesce(t.user_category, t.category_primary) = ?",
            FilterValue::Text(category.to_owned()),
            &mut sql,
        );
    }
    if let Some(min) = query.amount_min {
        push(&format!(" and {} >= ?", thousandths_sql()), FilterValue::Int(min), &mut sql);
    }
    if let Some(max) = query.amount_max {
        push(&format!(" and {} <= ?", thousandths_sql()), FilterValue::Int(max), &mut sql);
    }
    if let Some(pending) = query.pending {
        sql.push_str(if pending { " and t.pending" } else { " and not t.pending" });
    }
    (sql, values)
}

/// The size of `t.amount` in thousandths of a currency unit, whatever the
/// currency's exponent (see `money::to_thousandths`).
fn thousandths_sql() -> String {
    let list = |codes: &[&str]| codes.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(", ");
    format!(
        "abs(t.amount) * (case when t.currency in ({}) then 1000 when t.currency in ({}) then 1 else 10 end)",
        list(money::ZERO_DECIMAL),
        list(money::THREE_DECIMAL)
    )
}

enum FilterValue {
    Date(NaiveDate),
    Id(Uuid),
    Text(String),
    Int(i64),
}

macro_rules! bind_filters {
    ($query:expr, $values:expr) => {{
        let mut q = $query;
        for value in $values {
            q = match value {
                FilterValue::Date(d) => q.bind(*d),
                FilterValue::Id(id) => q.bind(DbUuid(*id)),
                FilterValue::Text(t) => q.bind(t.clone()),
                FilterValue::Int(i) => q.bind(*i),
            };
        }
        q
    }};
}

sql_impl!(BankStore {
    async fn upsert_institution(&self, provider: ProviderKind, institution: &Institution) -> Result<Uuid, StoreError> {
        let now = Utc::now();
        let countries = serde_json::to_string(&institution.countries).unwrap_or_else(|_| "[]".into());
        let (id,): (DbUuid,) = sqlx::query_as(
            "insert into institutions (id, provider, provider_institution_id, name, logo, primary_color, url, \
             countries, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
             on conflict (provider, provider_institution_id) do update set name = excluded.name, \
             logo = coalesce(excluded.logo, institutions.logo), \
             primary_color = coalesce(excluded.primary_color, institutions.primary_color), \
             url = coalesce(excluded.url, institutions.url), countries = excluded.countries, \
             updated_at = excluded.updated_at \
             returning id",
        )
        .bind(DbUuid(Uuid::new_v4()))
        .bind(provider.as_str().to_owned())
        .bind(institution.provider_institution_id.clone())
        .bind(institution.name.clone())
        .bind(institution.logo.clone())
        .bind(institution.primary_color.clone())
        .bind(institution.url.clone())
        .bind(countries)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(id.0)
    }

    async fn insert_connection(&self, c: &NewConnection) -> Result<(), StoreError> {
        let now = Utc::now();
        sqlx::query(
            "insert into connections (id, user_id, provider, provider_item_id, institution_id, access_token_enc, \
             status, consent_expires_at, next_sync_at, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $9)",
        )
        .bind(DbUuid(c.id))
        .bind(DbUuid(c.user_id))
        .bind(c.provider.as_str().to_owned())
        .bind(c.provider_item_id.clone())
        .bind(DbUuid(c.institution_id))
        .bind(c.access_token_enc.clone())
        .bind(c.consent_expires_at)
        .bind(c.next_sync_at)
        .bind(now)
        .execute(&self.pool)
        .await
        .on_unique_violation("connection")?;
        Ok(())
    }

    async fn connection(&self, id: Uuid) -> Result<Option<ConnectionRecord>, StoreError> {
        let row: Option<ConnectionRow> = sqlx::query_as(&format!("{CONNECTION_SELECT} where c.id = $1"))
            .bind(DbUuid(id))
            .fetch_optional(&self.pool)
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn user_connection(&self, user_id: Uuid, id: Uuid) -> Result<Option<ConnectionRecord>, StoreError> {
        let row: Option<ConnectionRow> =
            sqlx::query_as(&format!("{CONNECTION_SELECT} where c.id = $1 and c.user_id = $2"))
                .bind(DbUuid(id))
                .bind(DbUuid(user_id))
                .fetch_optional(&self.pool)
                .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn connection_by_item(
        &self,
        provider: ProviderKind,
        item_id: &str,
    ) -> Result<Option<ConnectionRecord>, StoreError> {
        let row: Option<ConnectionRow> =
            sqlx::query_as(&format!("{CONNECTION_SELECT} where c.provider = $1 and c.provider_item_id = $2"))
                .bind(provider.as_str().to_owned())
                .bind(item_id.to_owned())
                .fetch_optional(&self.pool)
                .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn user_connections(&self, user_id: Uuid) -> Result<Vec<ConnectionRecord>, StoreError> {
        let rows: Vec<ConnectionRow> =
            sqlx::query_as(&format!("{CONNECTION_SELECT} where c.user_id = $1 order by c.created_at, c.id"))
                .bind(DbUuid(user_id))
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn set_connection_status(&self, id: Uuid, change: &StatusChange) -> Result<(), StoreError> {
        sqlx::query(
            "update connections set status = $2, status_detail = $3, error_code = $4, next_sync_allowed_at = $5, \
             consent_expires_at = coalesce($6, consent_expires_at), updated_at = $7 where id = $1",
        )
        .bind(DbUuid(id))
        .bind(change.status.as_str().to_owned())
        .bind(change.detail.clone())
        .bind(change.error_code.clone())
        .bind(change.next_sync_allowed_at)
        .bind(change.consent_expires_at)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn mark_synced(&self, id: Uuid, at: DateTime<Utc>, next_sync_at: DateTime<Utc>) -> Result<(), StoreError> {
        // A connection whose access is about to end stays `expiring`: a
        // successful sync does not fix that, only a relink does.
        sqlx::query(
            "update connections set status = case when status = 'expiring' then 'expiring' else 'active' end, \
             status_detail = case when status = 'expiring' then status_detail else null end, \
             error_code = null, next_sync_allowed_at = null, last_synced_at = $2, next_sync_at = $3, \
             updated_at = $2 where id = $1",
        )
        .bind(DbUuid(id))
        .bind(at)
        .bind(next_sync_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_connection(&self, id: Uuid) -> Result<(), StoreError> {
        sqlx::query("delete from connections where id = $1").bind(DbUuid(id)).execute(&self.pool).await?;
        Ok(())
    }

    async fn upsert_accounts(
        &self,
        connection_id: Uuid,
        user_id: Uuid,
        accounts: &[Account],
        today: NaiveDate,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        let mut tx = self.pool.begin().await?;
        for a in accounts {
            let (id,): (DbUuid,) = sqlx::query_as(
                "insert into accounts (id, connection_id, user_id, provider_account_id, name, official_name, mask, \
                 type, subtype, currency, current_balance, available_balance, credit_limit, created_at, updated_at) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) \
                 on conflict (connection_id, provider_account_id) do update set name = excluded.name, \
                 official_name = excluded.official_name, mask = excluded.mask, type = excluded.type, \
                 subtype = excluded.subtype, currency = excluded.currency, \
                 current_balance = excluded.current_balance, available_balance = excluded.available_balance, \
                 credit_limit = excluded.credit_limit, updated_at = excluded.updated_at \
                 returning id",
            )
            .bind(DbUuid(Uuid::new_v4()))
            .bind(DbUuid(connection_id))
            .bind(DbUuid(user_id))
            .bind(a.provider_account_id.clone())
            .bind(a.name.clone())
            .bind(a.official_name.clone())
            .bind(a.mask.clone())
            .bind(a.account_type.clone())
            .bind(a.subtype.clone())
            .bind(a.currency.clone())
            .bind(a.current)
            .bind(a.available)
            .bind(a.limit)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "insert into balance_snapshots (account_id, day, current, available, currency, created_at, updated_at) \
                 values ($1, $2, $3, $4, $5, $6, $6) on conflict (account_id, day) do update set \
                 current = excluded.current, available = excluded.available, currency = excluded.currency, \
                 updated_at = excluded.updated_at",
            )
            .bind(id)
            .bind(today)
            .bind(a.current)
            .bind(a.available)
            .bind(a.currency.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn user_accounts(&self, user_id: Uuid) -> Result<Vec<AccountRecord>, StoreError> {
        let rows: Vec<AccountRow> = sqlx::query_as(&format!(
            "{ACCOUNT_SELECT} where a.user_id = $1 order by coalesce(i.name, ''), c.created_at, a.name, a.id"
        ))
        .bind(DbUuid(user_id))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn user_account(&self, user_id: Uuid, id: Uuid) -> Result<Option<AccountRecord>, StoreError> {
        let row: Option<AccountRow> = sqlx::query_as(&format!("{ACCOUNT_SELECT} where a.id = $1 and a.user_id = $2"))
            .bind(DbUuid(id))
            .bind(DbUuid(user_id))
            .fetch_optional(&self.pool)
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn balance_history(&self, account_id: Uuid, since: NaiveDate) -> Result<Vec<BalancePoint>, StoreError> {
        let rows: Vec<(NaiveDate, Option<i64>, Option<i64>, String)> = sqlx::query_as(
            "select day, current, available, currency from balance_snapshots \
             where account_id = $1 and day >= $2 order by day",
        )
        .bind(DbUuid(account_id))
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(day, current, available, currency)| BalancePoint { day, current, available, currency })
            .collect())
    }

    async fn user_balance_history(
        &self,
        user_id: Uuid,
        since: NaiveDate,
    ) -> Result<Vec<(Uuid, BalancePoint)>, StoreError> {
        let rows: Vec<(DbUuid, NaiveDate, Option<i64>, Option<i64>, String)> = sqlx::query_as(
            "select s.account_id, s.day, s.current, s.available, s.currency from balance_snapshots s \
             join accounts a on a.id = s.account_id where a.user_id = $1 and s.day >= $2 \
             order by s.account_id, s.day",
        )
        .bind(DbUuid(user_id))
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(account, day, current, available, currency)| {
                (account.0, BalancePoint { day, current, available, currency })
            })
            .collect())
    }

    async fn apply_page(
        &self,
        connection_id: Uuid,
        expected_cursor: Option<&str>,
        page: &TransactionPage,
        now: DateTime<Utc>,
    ) -> Result<PageCounts, StoreError> {
        let mut tx = self.pool.begin().await?;
        // First a write, so SQLite takes its write lock now (waiting if it
        // must) rather than failing to upgrade a read lock later.
        let moved = sqlx::query(
            "update connections set sync_cursor = $2, updated_at = $4 \
             where id = $1 and coalesce(sync_cursor, '') = coalesce($3, '')",
        )
        .bind(DbUuid(connection_id))
        .bind(page.next_cursor.clone())
        .bind(expected_cursor.map(str::to_owned))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if DB::rows_affected(&moved) != 1 {
            return Err(StoreError::Conflict("cursor"));
        }
        let accounts: Vec<(DbUuid, String, DbUuid)> =
            sqlx::query_as("select id, provider_account_id, user_id from accounts where connection_id = $1")
                .bind(DbUuid(connection_id))
                .fetch_all(&mut *tx)
                .await?;
        let by_provider_id: HashMap<&str, (Uuid, Uuid)> =
            accounts.iter().map(|(id, pid, user)| (pid.as_str(), (id.0, user.0))).collect();
        let mut counts = PageCounts::default();

        for t in &page.upserts {
            let Some(&(account_id, user_id)) = by_provider_id.get(t.provider_account_id.as_str()) else {
                tracing::warn!(%connection_id, "transaction for an account the provider did not list; skipped");
                continue;
            };
            let new_id = Uuid::new_v4();
            // Tombstoned rows are never resurrected; unchanged rows are not
            // touched, so only real changes count as modified.
            let written: Option<(DbUuid,)> = sqlx::query_as(
                "insert into transactions (id, account_id, user_id, provider_transaction_id, pending_transaction_id, \
                 amount, currency, date, authorized_date, name, merchant_name, category_primary, category_detailed, \
                 payment_channel, pending, logo_url, created_at, updated_at) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) \
                 on conflict (account_id, provider_transaction_id) do update set \
                 pending_transaction_id = excluded.pending_transaction_id, amount = excluded.amount, \
                 currency = excluded.currency, date = excluded.date, authorized_date = excluded.authorized_date, \
                 name = excluded.name, merchant_name = excluded.merchant_name, \
                 category_primary = excluded.category_primary, category_detailed = excluded.category_detailed, \
                 payment_channel = excluded.payment_channel, pending = excluded.pending, \
                 logo_url = excluded.logo_url, updated_at = excluded.updated_at \
                 where transactions.removed_at is null and ( \
                 transactions.pending_transaction_id is distinct from excluded.pending_transaction_id \
                 or transactions.amount <> excluded.amount or transactions.currency <> excluded.currency \
                 or transactions.date <> excluded.date \
                 or transactions.authorized_date is distinct from excluded.authorized_date \
                 or transactions.name <> excluded.name \
                 or transactions.merchant_name is distinct from excluded.merchant_name \
                 or transactions.category_primary is distinct from excluded.category_primary \
                 or transactions.category_detailed is distinct from excluded.category_detailed \
                 or transactions.payment_channel is distinct from excluded.payment_channel \
                 or transactions.pending <> excluded.pending \
                 or transactions.logo_url is distinct from excluded.logo_url) \
                 returning id",
            )
            .bind(DbUuid(new_id))
            .bind(DbUuid(account_id))
            .bind(DbUuid(user_id))
            .bind(t.provider_transaction_id.clone())
            .bind(t.pending_transaction_id.clone())
            .bind(t.amount)
            .bind(t.currency.clone())
            .bind(t.date)
            .bind(t.authorized_date)
            .bind(t.name.clone())
            .bind(t.merchant_name.clone())
            .bind(t.category_primary.clone())
            .bind(t.category_detailed.clone())
            .bind(t.payment_channel.clone())
            .bind(t.pending)
            .bind(t.logo_url.clone())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            match written {
                Some((id,)) if id.0 == new_id => {
                    counts.added += 1;
                    if let Some(pending_id) = &t.pending_transaction_id {
                        // The posted transaction replaces the pending one: it
                        // keeps what the user wrote there, and the pending
                        // one goes.
                        sqlx::query(
                            "update transactions set user_category = p.user_category, user_note = p.user_note, \
                             hidden = p.hidden \
                             from (select user_category, user_note, hidden from transactions \
                                   where account_id = $2 and provider_transaction_id = $3) as p \
                             where transactions.id = $1",
                        )
                        .bind(DbUuid(new_id))
                        .bind(DbUuid(account_id))
                        .bind(pending_id.clone())
                        .execute(&mut *tx)
                        .await?;
                        let gone = sqlx::query(
                            "update transactions set removed_at = $3, updated_at = $3 \
                             where account_id = $1 and provider_transaction_id = $2 and removed_at is null",
                        )
                        .bind(DbUuid(account_id))
                        .bind(pending_id.clone())
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        counts.removed += i64::try_from(DB::rows_affected(&gone)).unwrap_or(0);
                    }
                }
                Some(_) => counts.modified += 1,
                None => {}
            }
        }

        for removed in &page.removed {
            let done = sqlx::query(
                "update transactions set removed_at = $3, updated_at = $3 \
                 where provider_transaction_id = $2 and removed_at is null \
                 and account_id in (select id from accounts where connection_id = $1)",
            )
            .bind(DbUuid(connection_id))
            .bind(removed.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            counts.removed += i64::try_from(DB::rows_affected(&done)).unwrap_or(0);
        }

        for reconcile in &page.reconcile {
            let Some(&(account_id, _)) = by_provider_id.get(reconcile.provider_account_id.as_str()) else {
                continue;
            };
            let present: HashSet<&str> = reconcile.present.iter().map(String::as_str).collect();
            let stored: Vec<(DbUuid, String)> = sqlx::query_as(
                "select id, provider_transaction_id from transactions \
                 where account_id = $1 and date >= $2 and removed_at is null",
            )
            .bind(DbUuid(account_id))
            .bind(reconcile.from)
            .fetch_all(&mut *tx)
            .await?;
            for (id, provider_id) in stored {
                if present.contains(provider_id.as_str()) {
                    continue;
                }
                sqlx::query("update transactions set removed_at = $2, updated_at = $2 where id = $1")
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                counts.removed += 1;
            }
        }

        tx.commit().await?;
        Ok(counts)
    }

    async fn transactions(&self, query: &TransactionQuery) -> Result<(Vec<TransactionRecord>, i64), StoreError> {
        let (filters, values) = transaction_filters::<DB>(query);
        let n = values.len();
        // The page's ids first, from the list index alone where the filters
        // allow (migration 0004), then only those rows are read and joined:
        // an offset skips index entries, not whole rows.
        let list_sql = format!(
            "{TRANSACTION_SELECT} where t.id in (select t.id from transactions t where {filters} \
             {TRANSACTION_ORDER} limit ${} offset ${}) {TRANSACTION_ORDER}",
            n + 2,
            n + 3
        );
        let list = bind_filters!(sqlx::query_as::<_, TransactionRow>(&list_sql).bind(DbUuid(query.user_id)), &values)
            .bind(query.limit)
            .bind(query.offset)
            .fetch_all(&self.pool);
        let count_sql = format!("select count(*) from transactions t where {filters}");
        let count = bind_filters!(sqlx::query_as::<_, (i64,)>(&count_sql).bind(DbUuid(query.user_id)), &values)
            .fetch_one(&self.pool);
        // Two connections at once: the count, which reads every match, no
        // longer adds to the page's time.
        let (rows, (total,)) = futures::try_join!(list, count)?;
        Ok((rows.into_iter().map(Into::into).collect(), total))
    }

    async fn user_transaction(&self, user_id: Uuid, id: Uuid) -> Result<Option<TransactionRecord>, StoreError> {
        let row: Option<TransactionRow> = sqlx::query_as(&format!(
            "{TRANSACTION_SELECT} where t.id = $1 and t.user_id = $2 and t.removed_at is null"
        ))
        .bind(DbUuid(id))
        .bind(DbUuid(user_id))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Into::into))
    }

    async fn set_transaction_overrides(
        &self,
        user_id: Uuid,
        id: Uuid,
        overrides: &TransactionOverrides,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "update transactions set \
             user_category = case when $3 then $4 else user_category end, \
             user_note = case when $5 then $6 else user_note end, \
             hidden = coalesce($7, hidden), updated_at = $8 \
             where id = $1 and user_id = $2 and removed_at is null",
        )
        .bind(DbUuid(id))
        .bind(DbUuid(user_id))
        .bind(overrides.category.is_some())
        .bind(overrides.category.clone().flatten())
        .bind(overrides.note.is_some())
        .bind(overrides.note.clone().flatten())
        .bind(overrides.hidden)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        if DB::rows_affected(&done) == 1 { Ok(()) } else { Err(StoreError::NotFound) }
    }

    async fn user_categories(&self, user_id: Uuid) -> Result<Vec<String>, StoreError> {
        // A dozen or so distinct values among 100,000+ rows: each one is
        // found by one probe of the category index for the next value after
        // the last (a loose index scan), instead of reading every entry.
        let rows: Vec<(String,)> = sqlx::query_as(
            "with recursive categories (category) as ( \
               select (select coalesce(user_category, category_primary) from transactions \
                       where user_id = $1 and removed_at is null \
                       and coalesce(user_category, category_primary) is not null \
                       order by coalesce(user_category, category_primary) limit 1) \
               union all \
               select (select coalesce(t.user_category, t.category_primary) from transactions t \
                       where t.user_id = $1 and t.removed_at is null \
                       and coalesce(t.user_category, t.category_primary) > categories.category \
                       order by coalesce(t.user_category, t.category_primary) limit 1) \
               from categories where categories.category is not null) \
             select category from categories where category is not null order by 1",
        )
        .bind(DbUuid(user_id))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(c,)| c).collect())
    }

    async fn export_transactions(
        &self,
        query: &TransactionQuery,
        out: tokio::sync::mpsc::Sender<TransactionRecord>,
    ) -> Result<(), StoreError> {
        use futures::TryStreamExt as _;

        let (filters, values) = transaction_filters::<DB>(query);
        let sql = format!("{TRANSACTION_SELECT} where {filters} {TRANSACTION_ORDER}");
        let mut rows =
            bind_filters!(sqlx::query_as::<_, TransactionRow>(&sql).bind(DbUuid(query.user_id)), &values)
                .fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            if out.send(row.into()).await.is_err() {
                break; // The reader went away (a closed download).
            }
        }
        Ok(())
    }
});
