//! Pluggy's answers in the app's terms: institutions, accounts, transactions
//! (with the one sign rule, [`normalize_amount`]), item states, and errors.
//! Pure functions, tested here without a network.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::api;
use crate::server::money::to_minor;
use crate::server::provider::{Account, ApiErrorKind, Institution, ProviderError, Transaction};

/// An `UPDATED` item whose last sync is older than this is refreshed
/// (`PATCH /items/{id}`) before a sync.
pub const STALE_AFTER: TimeDelta = TimeDelta::hours(4);

/// Execution statuses (and item error codes) that only the user can fix by
/// logging in again through the widget. `ALREADY_LOGGED_IN`,
/// `SITE_NOT_AVAILABLE`, `CONNECTION_ERROR` and `UNEXPECTED_ERROR` are not
/// here: a later run may succeed on its own.
pub const LOGIN_PROBLEMS: &[&str] = &[
    "INVALID_CREDENTIALS",
    "INVALID_CREDENTIALS_MFA",
    "ACCOUNT_LOCKED",
    "ACCOUNT_CREDENTIALS_RESET",
    "ACCOUNT_NEEDS_ACTION",
    "USER_AUTHORIZATION_NOT_GRANTED",
    "USER_AUTHORIZATION_PENDING",
    "USER_INPUT_TIMEOUT",
    "WAITING_USER_INPUT",
    "WAITING_USER_ACTION",
];

/// Whether a Pluggy execution status or error code needs the user to log in.
pub fn is_login_problem(code: &str) -> bool {
    LOGIN_PROBLEMS.contains(&code)
}

/// A Pluggy amount in the app's sign convention (negative = money leaves the
/// account), in minor units of `currency`.
///
/// The direction comes from the transaction's `type` — `DEBIT` is money out
/// (negative), `CREDIT` is money in (positive) — and the magnitude from
/// `abs(amount)`, because Pluggy's amount sign is not the same on every
/// account: bank debits come negative, but **credit-card purchases are
/// `DEBIT` with a positive amount** and card bill payments are `CREDIT`.
/// With this rule a card purchase becomes negative (it adds to what is
/// owed) and a bill payment positive, like spending and income on a bank
/// account. When `type` is missing (or unknown), the amount's own sign is
/// kept. `None` when the amount cannot be represented (see [`to_minor`]).
pub fn normalize_amount(amount: f64, kind: Option<&str>, currency: &str) -> Option<i64> {
    let minor = to_minor(amount, currency)?;
    match kind.map(str::to_ascii_uppercase).as_deref() {
        Some("DEBIT") => Some(-minor.checked_abs()?),
        Some("CREDIT") => minor.checked_abs(),
        _ => Some(minor),
    }
}

/// A colour as the app keeps it (`#rrggbb`), from Pluggy's `primaryColor`
/// (`ef294b`, `#EF294B` or `#f00`); `None` when it is not a hex colour.
pub fn normalize_color(color: &str) -> Option<String> {
    let hex = color.trim().trim_start_matches('#');
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    match hex.len() {
        6 => Some(format!("#{}", hex.to_ascii_lowercase())),
        3 => Some(format!("#{}", hex.chars().flat_map(|c| [c, c]).collect::<String>().to_ascii_lowercase())),
        _ => None,
    }
}

/// The last four digits of an account number, or fewer if it has fewer.
pub fn mask(number: &str) -> Option<String> {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    Some(digits[digits.len().saturating_sub(4)..].iter().collect())
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// A connector as an institution.
pub fn institution(c: &api::Connector) -> Institution {
    Institution {
        provider_institution_id: c.id.to_string(),
        name: c.name.clone(),
        logo: non_empty(c.image_url.as_deref()),
        primary_color: c.primary_color.as_deref().and_then(normalize_color),
        url: non_empty(c.institution_url.as_deref()),
        countries: non_empty(c.country.as_deref()).map(|c| c.to_ascii_uppercase()).into_iter().collect(),
    }
}

fn decode_error(path: String, message: &str) -> ProviderError {
    ProviderError::Decode { path, message: message.to_owned() }
}

fn amount(value: f64, currency: &str, path: impl FnOnce() -> String) -> Result<i64, ProviderError> {
    to_minor(value, currency).ok_or_else(|| decode_error(path(), "the amount does not fit in minor units"))
}

/// A Pluggy account in the app's terms; `index` is its place in the
/// `results` it came in, to name the JSON path of a bad amount.
///
/// Bank accounts (`BANK`: checking, savings) are `depository`, with current
/// = available = `balance`. Credit cards (`CREDIT`) are `credit`, with
/// current = `balance` (what is owed, positive), available =
/// `creditData.availableCreditLimit`, limit = `creditData.creditLimit`.
///
/// # Errors
/// [`ProviderError::Decode`] when an amount cannot be represented.
pub fn account(a: &api::Account, index: usize) -> Result<Account, ProviderError> {
    let subtype = a.subtype.as_deref().unwrap_or_default();
    let (account_type, subtype) = match (a.kind.as_str(), subtype) {
        (_, "CHECKING_ACCOUNT") => ("depository", Some("checking".to_owned())),
        (_, "SAVINGS_ACCOUNT") => ("depository", Some("savings".to_owned())),
        (_, "CREDIT_CARD") => ("credit", Some("credit card".to_owned())),
        ("BANK", other) => ("depository", non_empty(Some(other)).map(|s| s.to_ascii_lowercase())),
        ("CREDIT", other) => ("credit", non_empty(Some(other)).map(|s| s.to_ascii_lowercase())),
        (_, other) => ("other", non_empty(Some(other)).map(|s| s.to_ascii_lowercase())),
    };
    let currency = a.currency_code.to_ascii_uppercase();
    let at = |field: &'static str| move || format!("results[{index}].{field}");
    let balance = a.balance.map(|b| amount(b, &currency, at("balance"))).transpose()?;
    let (current, available, limit) = if account_type == "credit" {
        let credit = a.credit_data.as_ref();
        let available = credit
            .and_then(|c| c.available_credit_limit)
            .map(|v| amount(v, &currency, at("creditData.availableCreditLimit")))
            .transpose()?;
        let limit = credit
            .and_then(|c| c.credit_limit)
            .map(|v| amount(v, &currency, at("creditData.creditLimit")))
            .transpose()?;
        (balance, available, limit)
    } else {
        (balance, balance, None)
    };
    Ok(Account {
        provider_account_id: a.id.clone(),
        name: a.name.clone(),
        official_name: non_empty(a.marketing_name.as_deref()),
        mask: a.number.as_deref().and_then(mask),
        account_type: account_type.to_owned(),
        subtype,
        currency,
        current,
        available,
        limit,
    })
}

/// A Pluggy transaction in the app's terms; `account_currency` is its
/// account's currency, `index` its place in `results` (for error paths).
///
/// When Pluggy gives `amountInAccountCurrency` (a purchase in another
/// currency) that amount is kept, in the account's currency, so the
/// account's transactions add up in one currency.
///
/// # Errors
/// [`ProviderError::Decode`] when the amount or the date cannot be read.
pub fn transaction(
    t: &api::Transaction,
    account_currency: Option<&str>,
    index: usize,
) -> Result<Transaction, ProviderError> {
    let (value, currency, field) = match (t.amount_in_account_currency, account_currency) {
        (Some(value), Some(currency)) => (value, currency.to_ascii_uppercase(), "amountInAccountCurrency"),
        _ => (t.amount, t.currency_code.to_ascii_uppercase(), "amount"),
    };
    let amount = normalize_amount(value, t.kind.as_deref(), &currency)
        .ok_or_else(|| decode_error(format!("results[{index}].{field}"), "the amount does not fit in minor units"))?;
    let date = t
        .date
        .get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| decode_error(format!("results[{index}].date"), "expected a yyyy-mm-dd… date"))?;
    let merchant = t.merchant.as_ref();
    Ok(Transaction {
        provider_transaction_id: t.id.clone(),
        provider_account_id: t.account_id.clone(),
        pending_transaction_id: None,
        amount,
        currency,
        date,
        authorized_date: None,
        name: t.description.clone(),
        merchant_name: non_empty(merchant.and_then(|m| m.name.as_deref()))
            .or_else(|| non_empty(merchant.and_then(|m| m.business_name.as_deref()))),
        category_primary: non_empty(t.category.as_deref()),
        category_detailed: non_empty(t.category_id.as_deref()).or_else(|| non_empty(t.category.as_deref())),
        payment_channel: non_empty(t.payment_data.as_ref().and_then(|p| p.payment_method.as_deref()))
            .map(|m| m.to_ascii_lowercase()),
        pending: t.status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("PENDING")),
        logo_url: None,
    })
}

/// What an item's state means before a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    /// Its data is fresh: sync now.
    Ready,
    /// Pluggy is collecting data: ask again shortly.
    Busy,
    /// Only the user can fix it (log in again, answer MFA, act in the app).
    LoginRequired,
    /// Stale, or the last run failed in a way a new run may fix: start one
    /// (`PATCH /items/{id}`).
    Refresh,
}

/// Classifies `item` at `now`.
pub fn item_state(item: &api::Item, now: DateTime<Utc>) -> ItemState {
    let execution = item.execution_status.as_deref().unwrap_or_default();
    match item.status.as_str() {
        "LOGIN_ERROR" | "WAITING_USER_INPUT" | "WAITING_USER_ACTION" => ItemState::LoginRequired,
        "UPDATING" | "MERGING" => ItemState::Busy,
        _ if in_progress(execution) => ItemState::Busy,
        "OUTDATED"
            if is_login_problem(execution)
                || item.error.as_ref().and_then(|e| e.code.as_deref()).is_some_and(is_login_problem) =>
        {
            ItemState::LoginRequired
        }
        "OUTDATED" => ItemState::Refresh,
        "UPDATED" if item.last_updated_at.is_none_or(|at| now - at > STALE_AFTER) => ItemState::Refresh,
        _ => ItemState::Ready,
    }
}

/// Execution statuses of a run still going on (Pluggy's `EXECUTION_STATUSES`
/// before a finished one).
fn in_progress(execution: &str) -> bool {
    matches!(execution, "CREATING" | "CREATED" | "MERGING") || execution.ends_with("_IN_PROGRESS")
}

/// The error for an item that needs the user: Pluggy's own message for
/// people when the item has one.
pub fn login_required(item: &api::Item) -> ProviderError {
    let error = item.error.as_ref();
    let code = error
        .and_then(|e| non_empty(e.code.as_deref()))
        .or_else(|| non_empty(item.execution_status.as_deref()))
        .unwrap_or_else(|| item.status.clone());
    ProviderError::Api {
        status: 200,
        message: format!(
            "the Pluggy item is {} ({}): the user must log in again",
            item.status,
            item.execution_status.as_deref().unwrap_or("no execution status")
        ),
        code,
        display_message: error.and_then(|e| non_empty(e.message.as_deref())),
        kind: ApiErrorKind::LoginRequired,
        retry_after: None,
    }
}

/// Pluggy's error answers as a [`ProviderError`] (the API client's
/// [`ErrorMapper`](crate::server::provider::http::ErrorMapper)).
///
/// The code is Pluggy's `codeDescription` (`ITEM_NOT_FOUND`,
/// `CLIENT_KEYS_UNAUTHORIZED`…) or `HTTP_<status>` when there is none. 429
/// is rate-limited (with its `Retry-After`), 5xx transient, a 404
/// `ITEM_NOT_FOUND` means the item is gone (revoked); everything else,
/// 401/403 included (the provider re-authenticates once before giving up),
/// is permanent. Pluggy's `message` is for developers, so no
/// `display_message` is set.
pub fn api_error(status: u16, body: &[u8], retry_after: Option<Duration>) -> ProviderError {
    let parsed: api::ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let code = non_empty(parsed.code_description.as_deref()).unwrap_or_else(|| format!("HTTP_{status}"));
    let kind = match status {
        429 => ApiErrorKind::RateLimited,
        500..=599 => ApiErrorKind::Transient,
        404 if code == "ITEM_NOT_FOUND" => ApiErrorKind::Revoked,
        _ => ApiErrorKind::Permanent,
    };
    ProviderError::Api {
        status,
        message: non_empty(parsed.message.as_deref()).unwrap_or_else(|| format!("Pluggy answered HTTP {status}")),
        code,
        display_message: None,
        kind,
        retry_after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txn(json: serde_json::Value) -> api::Transaction {
        serde_json::from_value(json).expect("transaction")
    }

    #[test]
    fn amounts_follow_the_type_not_the_sign() {
        // Bank account: Pluggy already signs these the app's way.
        assert_eq!(normalize_amount(-212.45, Some("DEBIT"), "BRL"), Some(-21_245));
        assert_eq!(normalize_amount(2482.26, Some("CREDIT"), "BRL"), Some(248_226));
        // Credit card: a purchase is DEBIT with a positive amount → money out.
        assert_eq!(normalize_amount(55.9, Some("DEBIT"), "BRL"), Some(-5_590));
        // A bill payment is CREDIT, whatever its sign → money in.
        assert_eq!(normalize_amount(-1800.0, Some("CREDIT"), "BRL"), Some(180_000));
        assert_eq!(normalize_amount(1800.0, Some("credit"), "BRL"), Some(180_000));
        // No (or an unknown) type: the amount's own sign.
        assert_eq!(normalize_amount(-1.06, None, "BRL"), Some(-106));
        assert_eq!(normalize_amount(1500.0, None, "BRL"), Some(150_000));
        assert_eq!(normalize_amount(3.0, Some("TRANSFER"), "BRL"), Some(300));
        assert_eq!(normalize_amount(0.0, Some("DEBIT"), "BRL"), Some(0));
        assert_eq!(normalize_amount(f64::NAN, Some("DEBIT"), "BRL"), None);
        assert_eq!(normalize_amount(1234.0, Some("DEBIT"), "JPY"), Some(-1234));
    }

    #[test]
    fn colors_masks_and_institutions() {
        assert_eq!(normalize_color("ef294b").as_deref(), Some("#ef294b"));
        assert_eq!(normalize_color("#EF294B").as_deref(), Some("#ef294b"));
        assert_eq!(normalize_color("#f0a").as_deref(), Some("#ff00aa"));
        assert_eq!(normalize_color("red"), None);
        assert_eq!(normalize_color(""), None);
        assert_eq!(mask("0001/123456-7").as_deref(), Some("4567"));
        assert_eq!(mask("4321").as_deref(), Some("4321"));
        assert_eq!(mask("12").as_deref(), Some("12"));
        assert_eq!(mask("—"), None);
        let c: api::Connector = serde_json::from_value(serde_json::json!({
            "id": 201, "name": "Banco Sabiá", "imageUrl": "https://x/logo.png", "primaryColor": "F28C28",
            "institutionUrl": "https://sabia.example", "country": "br", "credentials": [], "health": {"status": "ONLINE"}
        }))
        .expect("connector");
        assert_eq!(
            institution(&c),
            Institution {
                provider_institution_id: "201".into(),
                name: "Banco Sabiá".into(),
                logo: Some("https://x/logo.png".into()),
                primary_color: Some("#f28c28".into()),
                url: Some("https://sabia.example".into()),
                countries: vec!["BR".into()],
            }
        );
    }

    #[test]
    fn accounts_map_by_subtype() {
        let parse = |v: serde_json::Value| -> api::Account { serde_json::from_value(v).expect("account") };
        let checking = parse(serde_json::json!({
            "id": "a1", "itemId": "i", "type": "BANK", "subtype": "CHECKING_ACCOUNT", "number": "0001/12345-6",
            "name": "Conta Corrente", "marketingName": null, "balance": 1234.56, "currencyCode": "BRL",
            "bankData": {"transferNumber": "x"}, "creditData": null
        }));
        let a = account(&checking, 0).expect("checking");
        assert_eq!((a.account_type.as_str(), a.subtype.as_deref()), ("depository", Some("checking")));
        assert_eq!((a.current, a.available, a.limit), (Some(123_456), Some(123_456), None));
        assert_eq!(a.mask.as_deref(), Some("3456"));
        assert_eq!(a.official_name, None);
        let savings = parse(serde_json::json!({
            "id": "a2", "type": "BANK", "subtype": "SAVINGS_ACCOUNT", "number": "1", "name": "Poupança",
            "balance": 10, "currencyCode": "BRL"
        }));
        let a = account(&savings, 1).expect("savings");
        assert_eq!((a.account_type.as_str(), a.subtype.as_deref()), ("depository", Some("savings")));
        let card = parse(serde_json::json!({
            "id": "a3", "type": "CREDIT", "subtype": "CREDIT_CARD", "number": "4321", "name": "Cartão",
            "marketingName": "MASTERCARD BLACK", "balance": 812.4, "currencyCode": "BRL",
            "creditData": {"availableCreditLimit": 14187.6, "creditLimit": 15000}
        }));
        let a = account(&card, 2).expect("card");
        assert_eq!((a.account_type.as_str(), a.subtype.as_deref()), ("credit", Some("credit card")));
        assert_eq!((a.current, a.available, a.limit), (Some(81_240), Some(1_418_760), Some(1_500_000)));
        assert_eq!(a.official_name.as_deref(), Some("MASTERCARD BLACK"));
        let huge = parse(serde_json::json!({
            "id": "a4", "type": "BANK", "subtype": "CHECKING_ACCOUNT", "number": "1", "name": "x",
            "balance": 1e300, "currencyCode": "BRL"
        }));
        match account(&huge, 3) {
            Err(ProviderError::Decode { path, .. }) => assert_eq!(path, "results[3].balance"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn transactions_map_fields() {
        let purchase = txn(serde_json::json!({
            "id": "t1", "accountId": "card", "date": "2026-03-04T15:20:00.000Z", "description": "PAG*IFOOD",
            "amount": 42.5, "currencyCode": "BRL", "type": "DEBIT", "status": "PENDING", "category": "Food delivery",
            "categoryId": "11020000", "merchant": {"name": "iFood", "businessName": "IFOOD.COM AGENCIA"},
            "createdAt": "2026-03-04T15:20:00.000Z", "updatedAt": "2026-03-04T15:20:00.000Z"
        }));
        let t = transaction(&purchase, Some("BRL"), 0).expect("purchase");
        assert_eq!(t.amount, -4_250);
        assert_eq!(t.date, NaiveDate::from_ymd_opt(2026, 3, 4).expect("date"));
        assert!(t.pending);
        assert_eq!(t.merchant_name.as_deref(), Some("iFood"));
        assert_eq!(t.category_primary.as_deref(), Some("Food delivery"));
        assert_eq!(t.category_detailed.as_deref(), Some("11020000"));
        assert_eq!(t.payment_channel, None);
        assert_eq!(t.pending_transaction_id, None);
        let pix = txn(serde_json::json!({
            "id": "t2", "accountId": "chk", "date": "2026-03-05T00:00:00.000Z", "description": "PIX RECEBIDO",
            "amount": 150, "currencyCode": "BRL", "type": "CREDIT", "status": "POSTED", "category": "Transfer - PIX",
            "paymentData": {"paymentMethod": "PIX"}, "merchant": {"businessName": "ACME LTDA"},
            "createdAt": "2026-03-05T01:00:00.000Z"
        }));
        let t = transaction(&pix, Some("BRL"), 1).expect("pix");
        assert_eq!((t.amount, t.pending), (15_000, false));
        assert_eq!(t.payment_channel.as_deref(), Some("pix"));
        assert_eq!(t.merchant_name.as_deref(), Some("ACME LTDA"));
        assert_eq!(t.category_detailed.as_deref(), Some("Transfer - PIX"), "the category when there is no id");
        let abroad = txn(serde_json::json!({
            "id": "t3", "accountId": "card", "date": "2026-03-06T10:00:00.000Z", "description": "AMAZON.COM",
            "amount": 20, "amountInAccountCurrency": 110.4, "currencyCode": "USD", "type": "DEBIT",
            "createdAt": "2026-03-06T10:00:00.000Z"
        }));
        let t = transaction(&abroad, Some("BRL"), 2).expect("abroad");
        assert_eq!((t.amount, t.currency.as_str()), (-11_040, "BRL"));
        let bad_date = txn(serde_json::json!({
            "id": "t4", "accountId": "x", "date": "yesterday", "description": "x", "amount": 1,
            "currencyCode": "BRL", "createdAt": "2026-03-06T10:00:00.000Z"
        }));
        match transaction(&bad_date, None, 7) {
            Err(ProviderError::Decode { path, .. }) => assert_eq!(path, "results[7].date"),
            other => panic!("{other:?}"),
        }
    }

    fn item(status: &str, execution: &str, last: Option<DateTime<Utc>>) -> api::Item {
        serde_json::from_value(serde_json::json!({
            "id": "00000000-0000-4000-8000-000000000001",
            "connector": {"id": 0, "name": "Pluggy Bank"},
            "status": status,
            "executionStatus": execution,
            "error": if execution == "SUCCESS" { serde_json::Value::Null } else {
                serde_json::json!({"code": execution, "message": "Credenciais inválidas."})
            },
            "lastUpdatedAt": last,
        }))
        .expect("item")
    }

    #[test]
    fn item_states_before_a_sync() {
        let now = Utc::now();
        let fresh = Some(now - TimeDelta::hours(1));
        let stale = Some(now - TimeDelta::hours(5));
        for (status, execution, last, expected) in [
            ("UPDATED", "SUCCESS", fresh, ItemState::Ready),
            ("UPDATED", "PARTIAL_SUCCESS", fresh, ItemState::Ready),
            ("UPDATED", "SUCCESS", stale, ItemState::Refresh),
            ("UPDATED", "SUCCESS", None, ItemState::Refresh),
            ("UPDATING", "LOGIN_IN_PROGRESS", fresh, ItemState::Busy),
            ("MERGING", "SUCCESS", fresh, ItemState::Busy),
            ("UPDATED", "TRANSACTIONS_IN_PROGRESS", stale, ItemState::Busy),
            ("LOGIN_ERROR", "INVALID_CREDENTIALS", fresh, ItemState::LoginRequired),
            ("WAITING_USER_INPUT", "WAITING_USER_INPUT", fresh, ItemState::LoginRequired),
            ("WAITING_USER_ACTION", "WAITING_USER_ACTION", fresh, ItemState::LoginRequired),
            ("OUTDATED", "ACCOUNT_LOCKED", fresh, ItemState::LoginRequired),
            ("OUTDATED", "USER_AUTHORIZATION_NOT_GRANTED", fresh, ItemState::LoginRequired),
            ("OUTDATED", "UNEXPECTED_ERROR", fresh, ItemState::Refresh),
            ("OUTDATED", "SITE_NOT_AVAILABLE", stale, ItemState::Refresh),
        ] {
            assert_eq!(item_state(&item(status, execution, last), now), expected, "{status} {execution}");
        }
        match login_required(&item("LOGIN_ERROR", "INVALID_CREDENTIALS", fresh)) {
            ProviderError::Api { kind, code, display_message, .. } => {
                assert_eq!(kind, ApiErrorKind::LoginRequired);
                assert_eq!(code, "INVALID_CREDENTIALS");
                assert_eq!(display_message.as_deref(), Some("Credenciais inválidas."));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_map_to_kinds() {
        let map = |status, body: &str, retry| api_error(status, body.as_bytes(), retry);
        let parts = |e: ProviderError| match e {
            ProviderError::Api { status, code, message, kind, retry_after, .. } => {
                (status, code, message, kind, retry_after)
            }
            other => panic!("{other:?}"),
        };
        let limited = map(429, r#"{"code":429,"message":"Too many requests"}"#, Some(Duration::from_secs(7)));
        assert_eq!(
            parts(limited),
            (
                429,
                "HTTP_429".into(),
                "Too many requests".into(),
                ApiErrorKind::RateLimited,
                Some(Duration::from_secs(7))
            )
        );
        let gone = map(404, r#"{"code":404,"codeDescription":"ITEM_NOT_FOUND","message":"Item not found"}"#, None);
        assert_eq!(parts(gone).3, ApiErrorKind::Revoked);
        let other_404 = map(404, r#"{"code":404,"codeDescription":"CONNECTOR_NOT_FOUND","message":"x"}"#, None);
        assert_eq!(parts(other_404).3, ApiErrorKind::Permanent);
        let down = map(503, "<html>bad gateway</html>", None);
        assert_eq!(
            parts(down),
            (503, "HTTP_503".into(), "Pluggy answered HTTP 503".into(), ApiErrorKind::Transient, None)
        );
        let keys = map(
            401,
            r#"{"code":401,"codeDescription":"CLIENT_KEYS_UNAUTHORIZED","message":"Client keys are invalid"}"#,
            None,
        );
        assert_eq!(parts(keys).1, "CLIENT_KEYS_UNAUTHORIZED");
        let forbidden = map(403, r#"{"code":403,"message":"Forbidden"}"#, None);
        assert_eq!(parts(forbidden).3, ApiErrorKind::Permanent);
        let busy = map(
            409,
            r#"{"code":409,"codeDescription":"CLIENT_IS_UPDATING_BEFORE_ALLOWED_FREQUENCY","message":"x","data":{"minUpdateFrequencyAllowedInHours":1}}"#,
            None,
        );
        assert_eq!(parts(busy).1, "CLIENT_IS_UPDATING_BEFORE_ALLOWED_FREQUENCY");
    }
}
