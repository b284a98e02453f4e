//! Accounts: an item's checking, savings and card accounts, with balances
//! computed from its transactions.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use axum::{Extension, Json};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Claims, may_see};
use super::data::{self, AccountKind, BILL_PAYMENT, Txn, iso, money};
use super::errors::{bad_request, error, item_not_found};
use super::state::{ItemRec, PluggyState};
use super::transactions::world;
use super::{Shared, page};

pub(super) fn balance(txns: &[Txn], kind: AccountKind, now: DateTime<Utc>) -> i64 {
    let opening = match kind {
        AccountKind::Checking => 300_000,
        AccountKind::Savings => 1_000_000,
        AccountKind::Card => 0,
    };
    if kind == AccountKind::Card {
        // The open bill: what the card took since the last closing (the
        // 10th). The bill payment of the 20th settles the closed bill, not
        // this one, so it is not part of it.
        let close = last_close(now);
        return txns
            .iter()
            .filter(|t| t.account == kind && t.at > close && t.category != BILL_PAYMENT)
            .map(|t| t.cents)
            .sum::<i64>()
            .max(0);
    }
    opening + txns.iter().filter(|t| t.account == kind).map(|t| t.cents).sum::<i64>()
}

fn last_close(now: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Datelike as _;
    let d = now.date_naive();
    let this = NaiveDate::from_ymd_opt(d.year(), d.month(), 10);
    let close = match this {
        Some(c) if c <= d => Some(c),
        _ => {
            d.checked_sub_months(chrono::Months::new(1)).and_then(|p| NaiveDate::from_ymd_opt(p.year(), p.month(), 10))
        }
    };
    close.and_then(|c| c.and_hms_opt(0, 0, 0)).map_or(now, |c| c.and_utc())
}

fn account_json(item: &ItemRec, kind: AccountKind, txns: &[Txn], now: DateTime<Utc>, reduced: bool) -> Value {
    let id = data::account_id(&item.id, kind);
    let mut rng = crate::server::sandbox::rng::Rng::new(&format!("{}/numbers", item.seed()));
    let branch = rng.digits(4);
    let number = format!("{}-{}", rng.digits(6), rng.digits(1));
    let card = rng.digits(4);
    let (type_, subtype, name, number) = match kind {
        AccountKind::Checking => ("BANK", "CHECKING_ACCOUNT", "Conta Corrente", format!("{branch}/{number}")),
        AccountKind::Savings => ("BANK", "SAVINGS_ACCOUNT", "Poupança", format!("{branch}/{number}-P")),
        AccountKind::Card => ("CREDIT", "CREDIT_CARD", "Cartão Mastercard Black", card),
    };
    let mut out = json!({
        "id": id,
        "itemId": item.id,
        "type": type_,
        "subtype": subtype,
        "name": name,
        "marketingName": if kind == AccountKind::Card { json!("MASTERCARD BLACK") } else { Value::Null },
        "number": number,
        "currencyCode": "BRL",
    });
    if reduced {
        return out;
    }
    let cents = balance(txns, kind, now);
    let created = item.first_sync.unwrap_or(item.created_at);
    let more = json!({
        "balance": money(cents),
        "owner": "JOSE DA SILVA",
        "taxNumber": "123.456.789-09",
        "bankData": (kind != AccountKind::Card).then(|| json!({
            "transferNumber": format!("0001/{number}"),
            "closingBalance": money(cents),
            "automaticallyInvestedBalance": money(0),
            "overdraftContractedLimit": money(if kind == AccountKind::Checking { 200_000 } else { 0 }),
            "overdraftUsedLimit": money(0),
            "unarrangedOverdraftAmount": money(0),
        })),
        "creditData": (kind == AccountKind::Card).then(|| {
            let close = last_close(now) + TimeDelta::days(31);
            let close = last_close(close);
            json!({
                "level": "BLACK",
                "brand": "MASTERCARD",
                "balanceCloseDate": close.date_naive().to_string(),
                "balanceDueDate": (close + TimeDelta::days(10)).date_naive().to_string(),
                "availableCreditLimit": money(1_500_000 - cents),
                "balanceForeignCurrency": money(0),
                "minimumPayment": money(cents * 15 / 100),
                "creditLimit": money(1_500_000),
                "isLimitFlexible": false,
                "status": "ACTIVE",
                "holderType": "MAIN",
            })
        }),
        "createdAt": iso(created),
        "updatedAt": iso(item.last_success.unwrap_or(created)),
    });
    if let (Some(target), Value::Object(more)) = (out.as_object_mut(), more) {
        target.extend(more);
    }
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AccountsQuery {
    item_id: Option<String>,
    #[serde(rename = "type")]
    type_: Option<String>,
}

pub(super) async fn accounts(
    State(sb): State<Shared>,
    Extension(claims): Extension<Claims>,
    Query(q): Query<AccountsQuery>,
) -> Response {
    let Some(item_id) = q.item_id else {
        return bad_request("itemId is required");
    };
    let state = sb.lock();
    let Some(item) = state.items.get(&item_id).filter(|i| may_see(&claims, i)) else {
        return item_not_found();
    };
    let Some((txns, _, now)) = world(&sb, item) else {
        return Json(page(Vec::new())).into_response();
    };
    let results = AccountKind::ALL
        .into_iter()
        .filter(|k| q.type_.as_deref().is_none_or(|t| t == if *k == AccountKind::Card { "CREDIT" } else { "BANK" }))
        .map(|k| account_json(item, k, &txns, now, claims.is_connect()))
        .collect();
    Json(page(results)).into_response()
}

/// The item and account kind of `account_id`.
pub(super) fn find_account(state: &PluggyState, account_id: &str) -> Option<(ItemRec, AccountKind)> {
    state.items.values().find_map(|item| {
        AccountKind::ALL.into_iter().find(|k| data::account_id(&item.id, *k) == account_id).map(|k| (item.clone(), k))
    })
}

pub(super) async fn account_get(State(sb): State<Shared>, Path(id): Path<String>) -> Response {
    let state = sb.lock();
    let Some((item, kind)) = find_account(&state, &id) else {
        return error(StatusCode::NOT_FOUND, Some("ACCOUNT_NOT_FOUND"), "Account not found");
    };
    drop(state);
    match world(&sb, &item) {
        Some((txns, _, now)) => Json(account_json(&item, kind, &txns, now, false)).into_response(),
        None => error(StatusCode::NOT_FOUND, Some("ACCOUNT_NOT_FOUND"), "Account not found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_card_owes_its_open_bill_whatever_the_day() {
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        for day in 0..120 {
            let now = (start + TimeDelta::days(90 + day)).and_hms_opt(18, 0, 0).expect("time").and_utc();
            let txns = data::timeline("2/user-ok", start, now);
            let visible: Vec<Txn> = txns.into_iter().filter(|t| t.visible_at(now)).collect();
            let close = last_close(now);
            let purchases: i64 = visible
                .iter()
                .filter(|t| t.account == AccountKind::Card && t.at > close && t.cents > 0)
                .map(|t| t.cents)
                .sum();
            let owed = balance(&visible, AccountKind::Card, now);
            assert!(owed > 0 || purchases == 0, "{now}: owes {owed} after {purchases} of purchases");
            assert!(owed <= purchases, "{now}: owes {owed}, more than the {purchases} bought since {close}");
        }
    }
}
