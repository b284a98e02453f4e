//! The transactions cursor for Pluggy (DESIGN §4.7): Pluggy has no
//! "changes since" feed, so a sync is a small state machine whose state is
//! the cursor the engine stores with each page.
//!
//! 1. **created**: for each account in turn, `/v2/transactions` with
//!    `createdAtFrom` = the watermark minus [`OVERLAP`] (no watermark: the
//!    initial sync, the whole history), one Pluggy page per app page.
//! 2. **window**: only when a watermark existed before this sync: for each
//!    account, every transaction of the last [`WINDOW_DAYS`] days as one page
//!    with a [`Reconcile`](crate::server::provider::Reconcile), which catches
//!    pending → posted changes and deletions (Pluggy reports those only by
//!    omission or webhook, and `createdAt` does not move).
//! 3. **rest**: the sync is over; the watermark is the greatest `createdAt`
//!    the created phase saw (or the previous one), so the next sync starts
//!    at phase 1 from there.
//!
//! The cursor is opaque JSON with a version; one that cannot be read starts
//! over from the rest state without a watermark (a full, idempotent resync).

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// The cursor format's version.
pub const VERSION: u32 = 1;
/// How far before the watermark the created phase starts again, for
/// transactions Pluggy wrote while the previous sync was reading.
pub const OVERLAP: TimeDelta = TimeDelta::hours(1);
/// How many days back the window phase reconciles.
pub const WINDOW_DAYS: u64 = 30;

/// The stored cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCursor {
    pub v: u32,
    #[serde(flatten)]
    pub state: SyncState,
}

/// Where a sync stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum SyncState {
    /// Between syncs.
    Rest {
        /// The greatest `createdAt` seen so far; `None` before the first sync.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        watermark: Option<DateTime<Utc>>,
    },
    /// Listing what was created since the watermark, account by account.
    Created {
        /// The watermark this sync started from.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<DateTime<Utc>>,
        /// The greatest `createdAt` this sync has seen.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seen: Option<DateTime<Utc>>,
        /// Index into the item's accounts…
        account: usize,
        /// …and that account's id, to find it again if the list changed.
        account_id: String,
        /// Pluggy's cursor within the account (`after`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<String>,
    },
    /// Reconciling the recent window, account by account.
    Window {
        since: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seen: Option<DateTime<Utc>>,
        account: usize,
        account_id: String,
    },
}

impl SyncCursor {
    /// The rest state with `watermark`.
    pub fn rest(watermark: Option<DateTime<Utc>>) -> Self {
        Self { v: VERSION, state: SyncState::Rest { watermark } }
    }

    /// Reads a stored cursor: `None` is the very first sync; one that cannot
    /// be read (another version, garbage) starts over without a watermark.
    pub fn decode(cursor: Option<&str>) -> Self {
        let Some(text) = cursor else { return Self::rest(None) };
        match serde_json::from_str::<Self>(text) {
            Ok(cursor) if cursor.v == VERSION => cursor,
            Ok(cursor) => {
                tracing::warn!(version = cursor.v, "unknown Pluggy cursor version; syncing everything again");
                Self::rest(None)
            }
            Err(error) => {
                tracing::warn!(%error, "unreadable Pluggy cursor; syncing everything again");
                Self::rest(None)
            }
        }
    }

    /// The cursor as stored.
    pub fn encode(&self) -> String {
        // Cannot fail: only strings, numbers and timestamps.
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn later(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    a.max(b)
}

fn finish(since: Option<DateTime<Utc>>, seen: Option<DateTime<Utc>>) -> SyncState {
    SyncState::Rest { watermark: later(since, seen) }
}

impl SyncState {
    /// Whether this is the rest state (the sync is over).
    pub fn is_rest(&self) -> bool {
        matches!(self, Self::Rest { .. })
    }

    /// The state to act on for the item's `accounts`: a rest state starts a
    /// sync at the first account (or stays at rest when there is none); a
    /// state inside a sync finds its account again if the list moved, or
    /// restarts its phase at the first account if that account is gone.
    #[must_use]
    pub fn resume(self, accounts: &[&str]) -> Self {
        let locate = |account: usize, account_id: &str| {
            if accounts.get(account) == Some(&account_id) {
                Some(account)
            } else {
                accounts.iter().position(|a| *a == account_id)
            }
        };
        match self {
            Self::Rest { watermark } => match accounts.first() {
                Some(first) => Self::Created {
                    since: watermark,
                    seen: None,
                    account: 0,
                    account_id: (*first).to_owned(),
                    after: None,
                },
                None => Self::Rest { watermark },
            },
            Self::Created { since, seen, account, account_id, after } => match locate(account, &account_id) {
                Some(account) => Self::Created { since, seen, account, account_id, after },
                None => match accounts.first() {
                    Some(first) => {
                        tracing::warn!("the cursor's Pluggy account is gone; restarting the created phase");
                        Self::Created { since, seen, account: 0, account_id: (*first).to_owned(), after: None }
                    }
                    None => finish(since, seen),
                },
            },
            Self::Window { since, seen, account, account_id } => match locate(account, &account_id) {
                Some(account) => Self::Window { since, seen, account, account_id },
                None => match accounts.first() {
                    Some(first) => {
                        tracing::warn!("the cursor's Pluggy account is gone; restarting the window phase");
                        Self::Window { since, seen, account: 0, account_id: (*first).to_owned() }
                    }
                    None => finish(Some(since), seen),
                },
            },
        }
    }

    /// After a created-phase page: `next_after` is Pluggy's cursor for the
    /// same account (`None`: the account is done), `newest` the greatest
    /// `createdAt` on the page. Other states are returned as they are.
    #[must_use]
    pub fn after_created(self, accounts: &[&str], next_after: Option<String>, newest: Option<DateTime<Utc>>) -> Self {
        let Self::Created { since, seen, account, account_id, .. } = self else { return self };
        let seen = later(seen, newest);
        if next_after.is_some() {
            return Self::Created { since, seen, account, account_id, after: next_after };
        }
        if let Some(next) = accounts.get(account + 1) {
            return Self::Created { since, seen, account: account + 1, account_id: (*next).to_owned(), after: None };
        }
        match (since, accounts.first()) {
            (Some(since), Some(first)) => Self::Window { since, seen, account: 0, account_id: (*first).to_owned() },
            _ => finish(since, seen),
        }
    }

    /// After a window-phase page. Other states are returned as they are.
    #[must_use]
    pub fn after_window(self, accounts: &[&str]) -> Self {
        let Self::Window { since, seen, account, .. } = self else { return self };
        match accounts.get(account + 1) {
            Some(next) => Self::Window { since, seen, account: account + 1, account_id: (*next).to_owned() },
            None => finish(Some(since), seen),
        }
    }
}

/// The window phase's dates at `now`: `(ask_from, reconcile_from)`.
/// `reconcile_from` is [`WINDOW_DAYS`] before today; Pluggy is asked from one
/// day earlier, so a transaction near midnight is listed whichever time zone
/// Pluggy's `dateFrom` uses, and nothing is reconciled away by mistake.
/// "Today" is the later of our clock and the newest `createdAt` seen, in
/// case the provider's clock is ahead (a sandbox whose clock was moved).
pub fn window_dates(now: DateTime<Utc>, newest_seen: Option<DateTime<Utc>>) -> (NaiveDate, NaiveDate) {
    let today = newest_seen.map_or(now, |seen| seen.max(now)).date_naive();
    let reconcile_from = today.checked_sub_days(Days::new(WINDOW_DAYS)).unwrap_or(today);
    let ask_from = reconcile_from.pred_opt().unwrap_or(reconcile_from);
    (ask_from, reconcile_from)
}

/// Pluggy's cursor for the next page: the `after` parameter of `next`
/// (`/v2/transactions?accountId=…&after=…`, a relative URL), as Pluggy's
/// SDK reads it. `None` when `next` has no `after`.
pub fn after_param(next: &str) -> Option<String> {
    let base = url::Url::parse("https://pluggy.invalid/").ok()?;
    let url = base.join(next).ok()?;
    url.query_pairs().find(|(k, _)| k == "after").map(|(_, v)| v.into_owned()).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
    }

    const ACCOUNTS: &[&str] = &["chk", "card"];

    #[test]
    fn initial_sync_lists_every_account_then_rests() {
        let start = SyncCursor::decode(None);
        assert_eq!(start, SyncCursor::rest(None));
        let s = start.state.resume(ACCOUNTS);
        assert_eq!(
            s,
            SyncState::Created { since: None, seen: None, account: 0, account_id: "chk".into(), after: None }
        );
        let s = s.after_created(ACCOUNTS, Some("p2".into()), Some(t("2026-01-01T10:00:00Z")));
        assert_eq!(
            s,
            SyncState::Created {
                since: None,
                seen: Some(t("2026-01-01T10:00:00Z")),
                account: 0,
                account_id: "chk".into(),
                after: Some("p2".into())
            }
        );
        let s = s.after_created(ACCOUNTS, None, Some(t("2026-01-01T09:00:00Z")));
        assert!(
            matches!(&s, SyncState::Created { account: 1, after: None, seen: Some(x), .. } if *x == t("2026-01-01T10:00:00Z"))
        );
        // No window on the initial sync.
        let s = s.after_created(ACCOUNTS, None, Some(t("2026-01-02T00:00:00Z")));
        assert_eq!(s, SyncState::Rest { watermark: Some(t("2026-01-02T00:00:00Z")) });
    }

    #[test]
    fn later_syncs_overlap_then_reconcile_the_window() {
        let w = t("2026-02-01T12:00:00Z");
        let s = SyncCursor::rest(Some(w)).state.resume(ACCOUNTS);
        assert_eq!(
            s,
            SyncState::Created { since: Some(w), seen: None, account: 0, account_id: "chk".into(), after: None }
        );
        let s = s.after_created(ACCOUNTS, None, None).after_created(ACCOUNTS, None, Some(t("2026-02-02T08:00:00Z")));
        assert_eq!(
            s,
            SyncState::Window { since: w, seen: Some(t("2026-02-02T08:00:00Z")), account: 0, account_id: "chk".into() }
        );
        let s = s.after_window(ACCOUNTS);
        assert!(matches!(&s, SyncState::Window { account: 1, account_id, .. } if account_id == "card"));
        assert_eq!(s.after_window(ACCOUNTS), SyncState::Rest { watermark: Some(t("2026-02-02T08:00:00Z")) });
        // Nothing new: the watermark stays.
        let quiet = SyncCursor::rest(Some(w)).state.resume(&["chk"]).after_created(&["chk"], None, None);
        assert_eq!(quiet.after_window(&["chk"]), SyncState::Rest { watermark: Some(w) });
        // Never backwards, even if an old transaction shows up in the overlap.
        let back = SyncCursor::rest(Some(w)).state.resume(&["chk"]).after_created(
            &["chk"],
            None,
            Some(w - TimeDelta::minutes(30)),
        );
        assert_eq!(back.after_window(&["chk"]), SyncState::Rest { watermark: Some(w) });
    }

    #[test]
    fn no_accounts_means_nothing_to_do() {
        let w = Some(t("2026-02-01T12:00:00Z"));
        assert_eq!(SyncCursor::rest(w).state.resume(&[]), SyncState::Rest { watermark: w });
        let mid =
            SyncState::Window { since: t("2026-02-01T12:00:00Z"), seen: None, account: 1, account_id: "x".into() };
        assert_eq!(mid.resume(&[]), SyncState::Rest { watermark: w });
    }

    #[test]
    fn a_moved_or_vanished_account_is_found_or_restarted() {
        let mid = SyncState::Created {
            since: None,
            seen: None,
            account: 1,
            account_id: "card".into(),
            after: Some("x".into()),
        };
        assert_eq!(
            mid.clone().resume(&["card", "chk"]),
            SyncState::Created {
                since: None,
                seen: None,
                account: 0,
                account_id: "card".into(),
                after: Some("x".into())
            }
        );
        assert_eq!(
            mid.resume(&["chk", "savings"]),
            SyncState::Created { since: None, seen: None, account: 0, account_id: "chk".into(), after: None }
        );
    }

    #[test]
    fn cursors_round_trip_and_bad_ones_start_over() {
        let w = t("2026-02-01T12:00:00.123Z");
        for state in [
            SyncState::Rest { watermark: None },
            SyncState::Rest { watermark: Some(w) },
            SyncState::Created {
                since: Some(w),
                seen: Some(w),
                account: 2,
                account_id: "a".into(),
                after: Some("b".into()),
            },
            SyncState::Window { since: w, seen: None, account: 0, account_id: "a".into() },
        ] {
            let cursor = SyncCursor { v: VERSION, state };
            let text = cursor.encode();
            assert_eq!(SyncCursor::decode(Some(&text)), cursor, "{text}");
        }
        assert_eq!(
            SyncCursor::rest(Some(w)).encode(),
            r#"{"v":1,"phase":"rest","watermark":"2026-02-01T12:00:00.123Z"}"#
        );
        for bad in ["", "garbage", "{}", r#"{"v":2,"phase":"rest"}"#, r#"{"v":1,"phase":"later"}"#, "null"] {
            assert_eq!(SyncCursor::decode(Some(bad)), SyncCursor::rest(None), "{bad}");
        }
    }

    #[test]
    fn the_next_page_cursor_is_the_after_parameter() {
        assert_eq!(
            after_param("/v2/transactions?accountId=a&createdAtFrom=2026-01-01T00%3A00%3A00.000Z&after=MTc%3D")
                .as_deref(),
            Some("MTc=")
        );
        assert_eq!(after_param("https://api.pluggy.ai/v2/transactions?after=abc&accountId=x").as_deref(), Some("abc"));
        assert_eq!(after_param("/v2/transactions?accountId=a"), None);
        assert_eq!(after_param("/v2/transactions?after="), None);
    }

    #[test]
    fn the_window_is_thirty_days_asked_a_day_wider() {
        let now = t("2026-03-31T23:30:00Z");
        let (ask, from) = window_dates(now, None);
        assert_eq!(from, NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"));
        assert_eq!(ask, NaiveDate::from_ymd_opt(2026, 2, 28).expect("date"));
        let (_, ahead) = window_dates(now, Some(t("2026-04-05T10:00:00Z")));
        assert_eq!(ahead, NaiveDate::from_ymd_opt(2026, 3, 6).expect("date"));
    }
}
