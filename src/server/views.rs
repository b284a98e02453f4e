//! Stored records as the API and pages show them: minor units to currency
//! units, times to RFC 3339.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::model::{
    AccountView, BalancePointView, ConnectionView, InstitutionView, LinkTokenView, SyncLogView, TransactionView,
};
use crate::server::money::to_major;
use crate::server::provider::{Institution, LinkSession};
use crate::server::store::bank::{AccountRecord, BalancePoint, ConnectionRecord, TransactionRecord};
use crate::server::store::jobs::SyncRunRecord;

/// RFC 3339 in UTC with seconds.
pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An account card.
pub fn account(a: AccountRecord) -> AccountView {
    let major = |v: Option<i64>| v.map(|m| to_major(m, &a.currency));
    AccountView {
        id: a.id,
        connection_id: a.connection_id,
        institution_name: a.institution_name.clone(),
        current_balance: major(a.current),
        available_balance: major(a.available),
        limit: major(a.limit),
        name: a.name,
        mask: a.mask,
        account_type: a.account_type,
        subtype: a.subtype,
        provider: a.provider,
        status: a.status,
        currency: a.currency,
    }
}

/// One day of an account's balance.
pub fn balance_point(p: BalancePoint) -> BalancePointView {
    BalancePointView {
        date: p.day.to_string(),
        current: p.current.map(|m| to_major(m, &p.currency)),
        available: p.available.map(|m| to_major(m, &p.currency)),
    }
}

/// A transaction row.
pub fn transaction(t: TransactionRecord) -> TransactionView {
    TransactionView {
        id: t.id,
        account_id: t.account_id,
        date: t.date.to_string(),
        amount: to_major(t.amount, &t.currency),
        name: t.name,
        merchant_name: t.merchant_name,
        currency: t.currency,
        category: t.category,
        provider_category: t.provider_category,
        category_edited: t.user_category.is_some(),
        pending: t.pending,
        note: t.user_note,
        hidden: t.hidden,
        logo_url: t.logo_url,
        account_name: t.account_name,
        account_mask: t.account_mask,
        payment_channel: t.payment_channel,
    }
}

/// A connection. A rate limit's time shows only while it is ahead: once
/// passed it says nothing, and a page rendered on the server and then in the
/// browser decides on the data alone, not on two clocks.
pub fn connection(c: ConnectionRecord) -> ConnectionView {
    let now = Utc::now();
    ConnectionView {
        id: c.id,
        provider: c.provider,
        institution_name: c.institution_name,
        institution_logo: c.institution_logo,
        institution_color: c.institution_color,
        status: c.status,
        status_detail: c.status_detail,
        error_code: c.error_code,
        last_synced_at: c.last_synced_at.map(time),
        next_sync_allowed_at: c.next_sync_allowed_at.filter(|t| *t > now).map(time),
        next_sync_at: c.next_sync_at.map(time),
        consent_expires_at: c.consent_expires_at.map(time),
        accounts_count: c.accounts_count,
        created_at: time(c.created_at),
        syncing: c.syncing,
    }
}

/// A sync log entry.
pub fn sync_log(r: SyncRunRecord) -> SyncLogView {
    SyncLogView {
        id: r.id,
        connection_id: r.connection_id,
        trigger: r.trigger.as_str().to_owned(),
        started_at: time(r.started_at),
        finished_at: r.finished_at.map(time),
        outcome: r.outcome,
        pages: r.pages,
        added: r.added,
        modified: r.modified,
        removed: r.removed,
        error_code: r.error_code,
        error_message: r.error_message,
    }
}

/// An institution to pick.
pub fn institution(i: Institution) -> InstitutionView {
    InstitutionView {
        id: i.provider_institution_id,
        name: i.name,
        logo: i.logo,
        primary_color: i.primary_color,
        url: i.url,
        countries: i.countries,
    }
}

/// A widget session.
pub fn link_token(s: LinkSession) -> LinkTokenView {
    LinkTokenView { link_token: s.token, expiration: time(s.expiration) }
}
