//! Transactions: an item's visible history, `/v2/transactions` (cursor
//! pages), `/transactions` (numbered pages) and `/transactions/{id}`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::accounts::{balance, find_account};
use super::data::{self, AccountKind, Dress, Txn};
use super::errors::{bad_request, error};
use super::state::ItemRec;
use super::{PluggySandbox, Shared};

const V2_PAGE: usize = 200;

/// The first day of an item's history.
pub(super) fn history_start(synced: DateTime<Utc>) -> NaiveDate {
    (synced - TimeDelta::days(data::HISTORY_DAYS)).date_naive()
}

/// An item's visible transactions (sorted by date, then id), with the
/// dressing that renders them; `None` before the first successful sync.
pub(super) fn world(sb: &PluggySandbox, item: &ItemRec) -> Option<World> {
    let synced = item.first_sync?;
    let now = item.now(sb.clock.now());
    let mut txns = data::timeline(&item.seed(), history_start(synced), now);
    txns.retain(|t| t.visible_at(now));
    txns.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.key.cmp(&b.key)));
    Some((txns, synced, now))
}

/// An item's world: its visible transactions, first sync and time.
pub(super) type World = (Vec<Txn>, DateTime<Utc>, DateTime<Utc>);

/// An account's transactions as JSON, oldest first, with running balances on
/// bank accounts, from its item's `world` (computed once per item by callers).
fn account_transactions(
    item: &ItemRec,
    world: &World,
    kind: AccountKind,
) -> Vec<(Value, DateTime<Utc>, DateTime<Utc>)> {
    let (txns, synced, now) = world;
    let (synced, now) = (*synced, *now);
    let dress = Dress { item_id: &item.id, synced, now };
    let mut running =
        balance(txns, kind, now) - txns.iter().filter(|t| t.account == kind).map(|t| t.cents).sum::<i64>();
    txns.iter()
        .filter(|t| t.account == kind)
        .map(|t| {
            running += t.cents;
            let shown = (kind != AccountKind::Card).then_some(running);
            (dress.json(t, shown), t.at, dress.created_at(t))
        })
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct TxnQuery {
    account_id: Option<String>,
    date_from: Option<String>,
    date_to: Option<String>,
    created_at_from: Option<String>,
    ids: Option<String>,
    after: Option<String>,
    // Deprecated page API.
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
    page_size: Option<String>,
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| parse_date(s).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc()))
}

/// The filtered transactions of the query's account, or an error response.
fn filtered(
    sb: &PluggySandbox,
    q: &TxnQuery,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Vec<(Value, DateTime<Utc>)>, Box<Response>> {
    let Some(account_id) = q.account_id.as_deref() else {
        return Err(Box::new(bad_request("accountId is required")));
    };
    let from = match from.map(|s| parse_date(s).ok_or(())) {
        Some(Err(())) => return Err(Box::new(bad_request("Invalid date format: use yyyy-mm-dd"))),
        Some(Ok(d)) => Some(d),
        None => None,
    };
    let to = match to.map(|s| parse_date(s).ok_or(())) {
        Some(Err(())) => return Err(Box::new(bad_request("Invalid date format: use yyyy-mm-dd"))),
        Some(Ok(d)) => Some(d),
        None => None,
    };
    let created_from = match q.created_at_from.as_deref().map(|s| parse_time(s).ok_or(())) {
        Some(Err(())) => return Err(Box::new(bad_request("Invalid createdAtFrom: use an ISO 8601 date-time"))),
        Some(Ok(t)) => Some(t),
        None => None,
    };
    let ids: Option<Vec<&str>> =
        q.ids.as_deref().map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()).collect());
    if ids.as_ref().is_some_and(|ids| ids.len() > 500) {
        return Err(Box::new(bad_request("ids accepts at most 500 values")));
    }
    let state = sb.lock();
    let Some((item, kind)) = find_account(&state, account_id) else {
        return Err(Box::new(error(StatusCode::NOT_FOUND, Some("ACCOUNT_NOT_FOUND"), "Account not found")));
    };
    drop(state);
    let Some(world) = world(sb, &item) else { return Ok(Vec::new()) };
    Ok(account_transactions(&item, &world, kind)
        .into_iter()
        .filter(|(_, at, _)| from.is_none_or(|f| at.date_naive() >= f) && to.is_none_or(|t| at.date_naive() <= t))
        .filter(|(_, _, created)| created_from.is_none_or(|c| *created >= c))
        .filter(|(v, _, _)| ids.as_ref().is_none_or(|ids| ids.iter().any(|id| v["id"].as_str() == Some(*id))))
        .map(|(v, at, _)| (v, at))
        .collect())
}

fn cursor(at: DateTime<Utc>, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{id}", at.timestamp_millis()))
}

fn parse_cursor(s: &str) -> Option<(i64, String)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
    let (millis, id) = raw.split_once('|')?;
    Some((millis.parse().ok()?, id.to_owned()))
}

pub(super) async fn transactions_v2(State(sb): State<Shared>, Query(q): Query<TxnQuery>) -> Response {
    if q.date_from.is_some() && q.created_at_from.is_some() {
        return bad_request("dateFrom cannot be combined with createdAtFrom");
    }
    let after = match q.after.as_deref().map(|a| parse_cursor(a).ok_or(())) {
        Some(Err(())) => return bad_request("Invalid cursor"),
        Some(Ok(c)) => Some(c),
        None => None,
    };
    let all = match filtered(&sb, &q, q.date_from.as_deref(), q.date_to.as_deref()) {
        Ok(all) => all,
        Err(e) => return *e,
    };
    let start = after.map_or(0, |(millis, id)| {
        all.iter()
            .position(|(v, at)| (at.timestamp_millis(), v["id"].as_str().unwrap_or_default()) > (millis, id.as_str()))
            .unwrap_or(all.len())
    });
    let end = (start + V2_PAGE).min(all.len());
    let results: Vec<Value> = all.get(start..end).unwrap_or_default().iter().map(|(v, _)| v.clone()).collect();
    let next = (end < all.len()).then(|| {
        let (last, at) = &all[end - 1];
        let mut query = vec![format!("accountId={}", q.account_id.clone().unwrap_or_default())];
        for (k, v) in
            [("dateFrom", &q.date_from), ("dateTo", &q.date_to), ("createdAtFrom", &q.created_at_from), ("ids", &q.ids)]
        {
            if let Some(v) = v {
                query.push(format!("{k}={}", urlencode(v)));
            }
        }
        query.push(format!("after={}", cursor(*at, last["id"].as_str().unwrap_or_default())));
        format!("/v2/transactions?{}", query.join("&"))
    });
    Json(json!({"results": results, "next": next})).into_response()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(super) async fn transactions_page(State(sb): State<Shared>, Query(q): Query<TxnQuery>) -> Response {
    let page_no = q.page.as_deref().map_or(Ok(1), str::parse::<usize>);
    let size = q.page_size.as_deref().map_or(Ok(500), str::parse::<usize>);
    let (Ok(page_no), Ok(size)) = (page_no, size) else {
        return bad_request("page and pageSize must be numbers");
    };
    if page_no == 0 || !(1..=500).contains(&size) {
        return bad_request("page must be at least 1 and pageSize between 1 and 500");
    }
    let all = match filtered(&sb, &q, q.from.as_deref(), q.to.as_deref()) {
        Ok(all) => all,
        Err(e) => return *e,
    };
    let total = all.len();
    let results: Vec<Value> = all.into_iter().skip((page_no - 1) * size).take(size).map(|(v, _)| v).collect();
    Json(json!({"results": results, "page": page_no, "total": total, "totalPages": total.div_ceil(size)}))
        .into_response()
}

pub(super) async fn transaction_get(State(sb): State<Shared>, Path(id): Path<String>) -> Response {
    let items: Vec<ItemRec> = sb.lock().items.values().cloned().collect();
    for item in &items {
        let Some(world) = world(&sb, item) else { continue };
        for kind in AccountKind::ALL {
            if let Some((v, _, _)) = account_transactions(item, &world, kind)
                .into_iter()
                .find(|(v, _, _)| v["id"].as_str() == Some(id.as_str()))
            {
                return Json(v).into_response();
            }
        }
    }
    error(StatusCode::NOT_FOUND, Some("TRANSACTION_NOT_FOUND"), "Transaction not found")
}
