//! `/transactions/sync` semantics over the timeline: what changed between
//! the time a cursor stands for and a snapshot, paged like Plaid pages it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::data::{TxnData, TxnLife};

/// Where a client is: everything up to `from` seen; while paginating, the
/// snapshot time the pages are taken at and how many changes were sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "f", skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
    #[serde(rename = "s", skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<i64>,
    #[serde(rename = "p", default)]
    pub position: usize,
}

impl Cursor {
    /// The cursor of a client that has seen nothing (Plaid's empty cursor).
    pub const START: Self = Self { from: None, snapshot: None, position: 0 };

    /// Opaque text, as Plaid's cursors are.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Reads a cursor; the empty string is [`Cursor::START`].
    pub fn decode(text: &str) -> Option<Self> {
        if text.is_empty() {
            return Some(Self::START);
        }
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).ok()?).ok()
    }
}

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn time(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

/// One change the client has not seen.
#[derive(Debug, Clone, PartialEq)]
pub enum Change<'a> {
    Added(&'a str, &'a TxnData),
    Modified(&'a str, &'a TxnData),
    Removed(&'a str, usize),
}

/// Whether a transaction belongs to the item's history window.
fn in_window(life: &TxnLife, start: NaiveDate) -> bool {
    life.versions.first().is_some_and(|(_, d)| d.date >= start)
}

/// The changes between `from` (None: nothing seen) and `to`, in the order
/// they happened.
pub fn changes<'a>(
    lives: &'a [TxnLife],
    from: Option<DateTime<Utc>>,
    to: DateTime<Utc>,
    start: NaiveDate,
) -> Vec<Change<'a>> {
    let mut out: Vec<(DateTime<Utc>, &str, Change<'a>)> = Vec::new();
    for life in lives.iter().filter(|l| in_window(l, start)) {
        let before = from.and_then(|f| life.at(f));
        let after = life.at(to);
        let last_event = life.event_times().filter(|t| *t <= to && from.is_none_or(|f| *t > f)).max();
        let change = match (before, after) {
            (None, Some(data)) => Change::Added(&life.id, data),
            (Some(old), Some(new)) if old != new => Change::Modified(&life.id, new),
            (Some(old), None) => Change::Removed(&life.id, old.account_index),
            _ => continue,
        };
        out.push((last_event.unwrap_or(life.created_at), &life.id, change));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    out.into_iter().map(|(_, _, c)| c).collect()
}

/// Whether anything happened in `(after, until]`.
pub fn mutated_between(lives: &[TxnLife], after: DateTime<Utc>, until: DateTime<Utc>, start: NaiveDate) -> bool {
    lives.iter().filter(|l| in_window(l, start)).any(|l| l.event_times().any(|t| t > after && t <= until))
}

/// One page of a sync.
#[derive(Debug)]
pub struct Page<'a> {
    pub changes: Vec<Change<'a>>,
    pub next_cursor: Cursor,
    pub has_more: bool,
}

/// Why a page cannot be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncError {
    /// The data changed since the first page of this pagination.
    MutationDuringPagination,
}

/// The page after `cursor`, read at `now`, at most `count` changes.
///
/// # Errors
/// [`SyncError::MutationDuringPagination`] when the cursor is mid-way
/// through a pagination and the data changed since its snapshot.
pub fn page<'a>(
    lives: &'a [TxnLife],
    cursor: Cursor,
    now: DateTime<Utc>,
    start: NaiveDate,
    count: usize,
) -> Result<Page<'a>, SyncError> {
    let snapshot = match cursor.snapshot {
        Some(s) => {
            let s = time(s);
            if mutated_between(lives, s, now, start) {
                return Err(SyncError::MutationDuringPagination);
            }
            s
        }
        None => now,
    };
    let all = changes(lives, cursor.from.map(time), snapshot, start);
    let end = (cursor.position + count).min(all.len());
    let has_more = end < all.len();
    let next_cursor = if has_more {
        Cursor { from: cursor.from, snapshot: Some(micros(snapshot)), position: end }
    } else {
        Cursor { from: Some(micros(snapshot)), snapshot: None, position: 0 }
    };
    let changes = all.into_iter().skip(cursor.position).take(count).collect();
    Ok(Page { changes, next_cursor, has_more })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone as _};

    use super::super::data::{accounts, transactions};
    use super::*;

    fn world(now: DateTime<Utc>) -> Vec<TxnLife> {
        let accounts = accounts("item-s", "ins_109508/user_good");
        transactions(
            "item-s",
            "ins_109508/user_good",
            &accounts,
            now.date_naive() - TimeDelta::days(120),
            now + TimeDelta::days(30),
        )
    }

    /// Applies pages like a client: a map of id → data.
    fn drain(
        lives: &[TxnLife],
        mut cursor: Cursor,
        now: DateTime<Utc>,
        start: NaiveDate,
        state: &mut std::collections::BTreeMap<String, TxnData>,
    ) -> Cursor {
        loop {
            let page = page(lives, cursor, now, start, 100).expect("page");
            for change in page.changes {
                match change {
                    Change::Added(id, d) | Change::Modified(id, d) => {
                        state.insert(id.to_owned(), d.clone());
                    }
                    Change::Removed(id, _) => {
                        state.remove(id);
                    }
                }
            }
            cursor = page.next_cursor;
            if !page.has_more {
                return cursor;
            }
        }
    }

    #[test]
    fn applying_every_page_reproduces_the_state_at_each_time() {
        let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).single().expect("time");
        let lives = world(t0);
        let start = t0.date_naive() - TimeDelta::days(120);
        let mut state = std::collections::BTreeMap::new();
        let mut cursor = Cursor::decode("").expect("empty cursor");
        for step in 0..6 {
            let now = t0 + TimeDelta::hours(19 * step);
            cursor = Cursor::decode(&drain(&lives, cursor, now, start, &mut state).encode()).expect("round trip");
            let expected: std::collections::BTreeMap<String, TxnData> = lives
                .iter()
                .filter(|l| l.versions[0].1.date >= start)
                .filter_map(|l| l.at(now).map(|d| (l.id.clone(), d.clone())))
                .collect();
            assert_eq!(state, expected, "after step {step}");
        }
    }

    #[test]
    fn changes_during_pagination_are_refused() {
        let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).single().expect("time");
        let lives = world(t0);
        let start = t0.date_naive() - TimeDelta::days(120);
        let first = page(&lives, Cursor::START, t0, start, 50).expect("first page");
        assert!(first.has_more);
        // Same time: fine. A day later, with new events in between: refused.
        assert!(page(&lives, first.next_cursor, t0, start, 50).is_ok());
        assert_eq!(
            page(&lives, first.next_cursor, t0 + TimeDelta::days(1), start, 50).err(),
            Some(SyncError::MutationDuringPagination)
        );
        assert_eq!(Cursor::decode("not a cursor"), None);
    }
}
