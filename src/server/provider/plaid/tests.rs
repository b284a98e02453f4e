//! The Plaid client: its pure mappings, and the whole client over real HTTP
//! against the in-process Plaid sandbox (one sandbox per test, so tests run
//! side by side).

use std::time::Duration;

use axum::Router;
use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{TimeDelta, Utc};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;
use crate::server::provider::WebhookAction;
use crate::server::sandbox::Sandbox;
use crate::server::sandbox::plaid::webhooks::WebhookSigner;
use crate::server::sandbox::test_support::{Received, serve, webhook_receiver};

// ---- pure mappings ------------------------------------------------------------

#[test]
fn plaid_amounts_flip_sign_into_minor_units() {
    // Depository: a purchase or bill (Plaid positive) is money out.
    assert_eq!(normalize_amount(12.34, "USD"), Some(-1234));
    // A direct deposit or refund (Plaid negative) is money in.
    assert_eq!(normalize_amount(-2500.0, "USD"), Some(250_000));
    // Credit card: a purchase is money out, a payment to the card money in.
    assert_eq!(normalize_amount(89.99, "USD"), Some(-8999));
    assert_eq!(normalize_amount(-1021.47, "USD"), Some(102_147));
    // Exact, whatever the float, and in the currency's own minor units.
    assert_eq!(normalize_amount(4.35, "USD"), Some(-435));
    assert_eq!(normalize_amount(-1234.0, "JPY"), Some(1234));
    assert_eq!(normalize_amount(0.0, "USD"), Some(0));
    assert_eq!(normalize_amount(-0.0, "USD"), Some(0));
    assert_eq!(normalize_amount(f64::NAN, "USD"), None);
    assert_eq!(normalize_amount(f64::INFINITY, "USD"), None);
}

fn plaid_account(value: Value) -> api::Account {
    serde_json::from_value(value).expect("an AccountBase")
}

#[test]
fn accounts_map_types_currencies_and_balances() {
    let credit = account(
        plaid_account(json!({
            "account_id": "a1", "name": "Plaid Credit Card", "official_name": "Plaid Diamond 12.5% APR Interest Credit Card",
            "mask": "3333", "type": "credit", "subtype": "credit card",
            "balances": { "current": 410.55, "available": 1589.45, "limit": 2000.0,
                          "iso_currency_code": "USD", "unofficial_currency_code": null },
        })),
        0,
    )
    .expect("maps");
    assert_eq!(credit.account_type, "credit");
    assert_eq!(credit.subtype.as_deref(), Some("credit card"));
    assert_eq!((credit.current, credit.available, credit.limit), (Some(41_055), Some(158_945), Some(200_000)));
    assert_eq!(credit.currency, "USD");
    assert_eq!(credit.mask.as_deref(), Some("3333"));

    let crypto = account(
        plaid_account(json!({
            "account_id": "a2", "name": "Wallet", "official_name": null, "mask": null, "type": "brokerage",
            "subtype": null, "balances": { "current": 1.5, "available": null, "limit": null,
                                           "iso_currency_code": null, "unofficial_currency_code": "BTC" },
        })),
        1,
    )
    .expect("maps");
    assert_eq!((crypto.account_type.as_str(), crypto.currency.as_str()), ("investment", "BTC"));
    assert_eq!((crypto.available, crypto.limit), (None, None));

    let unknown = account(
        plaid_account(json!({
            "account_id": "a3", "name": "X", "official_name": null, "mask": null, "type": "payroll", "subtype": null,
            "balances": { "current": null, "available": null, "limit": null,
                          "iso_currency_code": null, "unofficial_currency_code": null },
        })),
        2,
    )
    .expect("maps");
    assert_eq!((unknown.account_type.as_str(), unknown.currency.as_str(), unknown.current), ("other", "USD", None));

    let err = account(
        plaid_account(json!({
            "account_id": "a4", "name": "X", "official_name": null, "mask": null, "type": "depository", "subtype": null,
            "balances": { "current": 1e300, "available": null, "limit": null,
                          "iso_currency_code": "USD", "unofficial_currency_code": null },
        })),
        4,
    )
    .expect_err("does not fit");
    assert!(matches!(err, ProviderError::Decode { ref path, .. } if path == "accounts[4].balances.current"), "{err:?}");
}

fn plaid_transaction(extra: Value) -> api::Transaction {
    let mut value = json!({
        "transaction_id": "t1", "account_id": "a1", "amount": 6.33, "iso_currency_code": "USD",
        "unofficial_currency_code": null, "date": "2026-05-02", "authorized_date": "2026-05-01",
        "name": "Uber 072515 SF**POOL**", "merchant_name": "Uber", "pending": false,
        "pending_transaction_id": "p1", "payment_channel": "online", "logo_url": "https://plaid-merchant-logos.plaid.com/uber.png",
        "personal_finance_category": { "primary": "TRANSPORTATION", "detailed": "TRANSPORTATION_TAXIS_AND_RIDE_SHARES",
                                       "confidence_level": "VERY_HIGH" },
        "category": ["Travel", "Taxi"],
    });
    if let (Some(map), Some(more)) = (value.as_object_mut(), extra.as_object()) {
        map.extend(more.clone());
    }
    serde_json::from_value(value).expect("a Transaction")
}

#[test]
fn transactions_map_every_field() {
    let t = transaction(plaid_transaction(json!({})), "added[0]", &[]).expect("maps");
    assert_eq!(t.provider_transaction_id, "t1");
    assert_eq!(t.provider_account_id, "a1");
    assert_eq!(t.amount, -633);
    assert_eq!(t.currency, "USD");
    assert_eq!(t.date.to_string(), "2026-05-02");
    assert_eq!(t.authorized_date.map(|d| d.to_string()).as_deref(), Some("2026-05-01"));
    assert_eq!(t.name, "Uber 072515 SF**POOL**");
    assert_eq!(t.merchant_name.as_deref(), Some("Uber"));
    assert_eq!(t.category_primary.as_deref(), Some("TRANSPORTATION"));
    assert_eq!(t.category_detailed.as_deref(), Some("TRANSPORTATION_TAXIS_AND_RIDE_SHARES"));
    assert_eq!(t.payment_channel.as_deref(), Some("online"));
    assert_eq!(t.pending_transaction_id.as_deref(), Some("p1"));
    assert!(!t.pending);
    assert!(t.logo_url.is_some());
}

#[test]
fn legacy_categories_and_missing_fields_fall_back() {
    let t = transaction(
        plaid_transaction(
            json!({ "personal_finance_category": null, "category": ["Food and Drink", "Restaurants", "Coffee Shop"] }),
        ),
        "added[0]",
        &[],
    )
    .expect("maps");
    assert_eq!(
        (t.category_primary.as_deref(), t.category_detailed.as_deref()),
        (Some("Food and Drink"), Some("Coffee Shop"))
    );
    let t = transaction(
        plaid_transaction(json!({ "personal_finance_category": null, "category": ["Transfer"] })),
        "x",
        &[],
    )
    .expect("maps");
    assert_eq!((t.category_primary.as_deref(), t.category_detailed), (Some("Transfer"), None));
    let t = transaction(plaid_transaction(json!({ "personal_finance_category": null, "category": null })), "x", &[])
        .expect("maps");
    assert_eq!((t.category_primary, t.category_detailed), (None, None));

    // No name: the merchant's. No currency: the account's, else USD.
    let eur = Account {
        provider_account_id: "a1".into(),
        name: "Compte".into(),
        official_name: None,
        mask: None,
        account_type: "depository".into(),
        subtype: None,
        currency: "EUR".into(),
        current: None,
        available: None,
        limit: None,
    };
    let t = transaction(
        plaid_transaction(json!({ "name": null, "iso_currency_code": null, "amount": -10.5 })),
        "modified[2]",
        std::slice::from_ref(&eur),
    )
    .expect("maps");
    assert_eq!((t.name.as_str(), t.currency.as_str(), t.amount), ("Uber", "EUR", 1050));
    let t = transaction(plaid_transaction(json!({ "iso_currency_code": null })), "x", &[]).expect("maps");
    assert_eq!(t.currency, "USD");
    let t = transaction(
        plaid_transaction(json!({ "iso_currency_code": null, "unofficial_currency_code": "BTC" })),
        "x",
        &[],
    )
    .expect("maps");
    assert_eq!(t.currency, "BTC");

    let err = transaction(plaid_transaction(json!({ "amount": 1e300 })), "modified[2]", &[]).expect_err("too big");
    assert!(matches!(err, ProviderError::Decode { ref path, .. } if path == "modified[2].amount"), "{err:?}");
}

#[test]
fn institution_logos_become_data_urls() {
    let mapped = institution(
        serde_json::from_value(json!({
            "institution_id": "ins_1", "name": "Bank", "country_codes": ["US", "CA"], "products": [], "routing_numbers": [],
            "oauth": false, "logo": "iVBORw0KGgo=", "primary_color": "#112233", "url": "https://bank.example",
        }))
        .expect("an Institution"),
    );
    assert_eq!(mapped.logo.as_deref(), Some("data:image/png;base64,iVBORw0KGgo="));
    assert_eq!(mapped.countries, ["US", "CA"]);
    assert_eq!(mapped.primary_color.as_deref(), Some("#112233"));
    let bare = institution(
        serde_json::from_value(
            json!({ "institution_id": "ins_2", "name": "B", "country_codes": ["US"], "logo": null }),
        )
        .expect("an Institution"),
    );
    assert_eq!((bare.logo, bare.url), (None, None));
}

fn settings(base_url: &str) -> PlaidSettings {
    PlaidSettings {
        base_url: base_url.to_owned(),
        client_id: crate::server::sandbox::plaid::DEFAULT_CLIENT_ID.into(),
        secret: crate::server::sandbox::plaid::DEFAULT_SECRET.into(),
        country_codes: vec!["US".into()],
        language: "en".into(),
        redirect_uri: None,
        webhook_url: None,
        timeout: Duration::from_secs(20),
    }
}

#[test]
fn settings_never_print_the_secret_and_are_checked() {
    let mut s = settings("http://127.0.0.1:9/sandbox/plaid");
    s.secret = "super-secret-value".into();
    let printed = format!("{s:?}");
    assert!(!printed.contains("super-secret-value") && printed.contains("<redacted>"), "{printed}");
    let provider = PlaidProvider::new(s.clone()).expect("valid");
    assert!(!format!("{provider:?}").contains("super-secret-value"));
    for broken in [
        PlaidSettings { base_url: "ftp://x".into(), ..s.clone() },
        PlaidSettings { base_url: "not a url".into(), ..s.clone() },
        PlaidSettings { secret: " ".into(), ..s.clone() },
        PlaidSettings { client_id: String::new(), ..s.clone() },
        PlaidSettings { country_codes: vec![], ..s.clone() },
        PlaidSettings { country_codes: vec!["USA".into()], ..s.clone() },
        PlaidSettings { language: String::new(), ..s.clone() },
    ] {
        assert!(matches!(PlaidProvider::new(broken), Err(ProviderError::Invalid(_))));
    }
    let lower = PlaidProvider::new(PlaidSettings { country_codes: vec!["us".into(), " ca".into()], ..s }).expect("ok");
    assert_eq!(lower.settings().country_codes, ["US", "CA"]);
}

// ---- webhook verification without a network --------------------------------------

/// A provider whose key cache already holds `signer`'s key; its base URL
/// answers nothing, so any key fetch fails.
async fn offline_with_key(signer: &WebhookSigner, expired_at: Option<i64>) -> PlaidProvider {
    let provider = PlaidProvider::new(settings("http://127.0.0.1:9")).expect("provider").with_policy(fast_policy());
    let jwk: api::Jwk = serde_json::from_value(signer.jwk()).expect("jwk");
    let key = webhook::verifying_key(&jwk).expect("key");
    provider
        .keys
        .write()
        .await
        .insert(signer.kid().to_owned(), CachedKey { key, expired_at, fetched_at: std::time::Instant::now() });
    provider
}

fn signed(signer: &WebhookSigner, body: &[u8], iat: i64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("Plaid-Verification", signer.token(body, iat).parse().expect("header"));
    headers
}

const LOGIN_REPAIRED: &[u8] =
    b"{\n  \"environment\": \"sandbox\",\n  \"item_id\": \"item-9\",\n  \"webhook_code\": \"LOGIN_REPAIRED\",\n  \"webhook_type\": \"ITEM\"\n}";

#[tokio::test]
async fn a_signed_fresh_delivery_verifies_and_nothing_else_does() {
    let signer = WebhookSigner::generate();
    let provider = offline_with_key(&signer, None).await;
    let now = Utc::now();
    let headers = signed(&signer, LOGIN_REPAIRED, now.timestamp());
    let event = provider.verify_webhook_at(&headers, LOGIN_REPAIRED, now).await.expect("verifies");
    assert_eq!(event.action, WebhookAction::Sync);
    assert_eq!(event.item_id.as_deref(), Some("item-9"));
    assert_eq!(event.event_type, "ITEM/LOGIN_REPAIRED");
    assert_eq!(event.delivery_key, webhook::body_sha256(LOGIN_REPAIRED));

    // Four minutes either way is fine; six is not.
    for (offset, ok) in [(-240, true), (240, true), (-360, false), (360, false)] {
        let headers = signed(&signer, LOGIN_REPAIRED, now.timestamp() + offset);
        let result = provider.verify_webhook_at(&headers, LOGIN_REPAIRED, now).await;
        assert_eq!(result.is_ok(), ok, "iat {offset}s from now: {result:?}");
    }
    // The hash covers the raw bytes: re-serialized JSON is another body.
    let compact = serde_json::to_vec(&serde_json::from_slice::<Value>(LOGIN_REPAIRED).expect("json")).expect("json");
    let result = provider.verify_webhook_at(&headers, &compact, now).await;
    assert!(matches!(result, Err(WebhookError::Unverified(ref r)) if r.contains("hash")), "{result:?}");
    // A verified token whose body is not a webhook is malformed, not unverified.
    let headers = signed(&signer, b"[]", now.timestamp());
    assert!(matches!(provider.verify_webhook_at(&headers, b"[]", now).await, Err(WebhookError::Malformed(_))));
}

#[tokio::test]
async fn an_expired_key_is_refused() {
    let signer = WebhookSigner::generate();
    let provider = offline_with_key(&signer, Some(Utc::now().timestamp() - 60)).await;
    let headers = signed(&signer, LOGIN_REPAIRED, Utc::now().timestamp());
    let result = provider.verify_webhook(&headers, LOGIN_REPAIRED).await;
    assert!(matches!(result, Err(WebhookError::Unverified(ref r)) if r.contains("expired")), "{result:?}");
}

#[tokio::test]
async fn a_key_that_cannot_be_fetched_is_a_provider_error() {
    let signer = WebhookSigner::generate();
    let provider = PlaidProvider::new(settings("http://127.0.0.1:9")).expect("provider").with_policy(fast_policy());
    let headers = signed(&signer, LOGIN_REPAIRED, Utc::now().timestamp());
    let result = provider.verify_webhook(&headers, LOGIN_REPAIRED).await;
    assert!(matches!(result, Err(WebhookError::Provider(ProviderError::Transport(_)))), "{result:?}");
}

// ---- over HTTP, against the sandbox ----------------------------------------------

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_wait: Duration::from_secs(1),
    }
}

/// A sandbox on a free port, a webhook receiver, and a client for both.
struct Env {
    base: String,
    http: reqwest::Client,
    plaid: PlaidProvider,
    webhook_url: String,
    webhooks: Received,
    _servers: Vec<tokio::task::JoinHandle<()>>,
}

impl Env {
    async fn start() -> Self {
        let sandbox = Sandbox::new(
            (
                crate::server::sandbox::plaid::DEFAULT_CLIENT_ID.into(),
                crate::server::sandbox::plaid::DEFAULT_SECRET.into(),
            ),
            ("sandbox-client-id".into(), "sandbox-client-secret".into()),
            None,
        );
        let (base, api) = serve(Router::new().nest("/sandbox", sandbox.router())).await;
        let base = format!("{base}/sandbox/plaid");
        let (webhook_url, webhooks, hook) = webhook_receiver().await;
        let plaid = PlaidProvider::new(settings(&base)).expect("provider").with_policy(fast_policy());
        Self { base, http: reqwest::Client::new(), plaid, webhook_url, webhooks, _servers: vec![api, hook] }
    }

    /// A raw sandbox call with the credentials; must answer 200.
    async fn sandbox_call(&self, path: &str, mut body: Value) -> Value {
        body["client_id"] = json!(crate::server::sandbox::plaid::DEFAULT_CLIENT_ID);
        body["secret"] = json!(crate::server::sandbox::plaid::DEFAULT_SECRET);
        let res = self.http.post(format!("{}{path}", self.base)).json(&body).send().await.expect("request");
        let status = res.status();
        let value: Value = res.json().await.expect("json");
        assert_eq!(status, reqwest::StatusCode::OK, "{path}: {value}");
        value
    }

    /// `/sandbox/public_token/create` at First Platypus Bank with `days` of history.
    async fn public_token(&self, webhook: Option<&str>, days: u32) -> String {
        let mut options = json!({ "transactions": { "days_requested": days } });
        if let Some(url) = webhook {
            options["webhook"] = json!(url);
        }
        let created = self
            .sandbox_call(
                "/sandbox/public_token/create",
                json!({ "institution_id": "ins_109508", "initial_products": ["transactions"], "options": options }),
            )
            .await;
        created["public_token"].as_str().expect("public token").to_owned()
    }

    /// A linked item, through the client.
    async fn link(&self, webhook: Option<&str>, days: u32) -> LinkedItem {
        let token = self.public_token(webhook, days).await;
        self.plaid.complete_link(&CompleteLink { user_id: Uuid::new_v4(), token }).await.expect("complete_link")
    }

    async fn control(&self, path: &str, body: Value) {
        let res = self.http.post(format!("{}{path}", self.base)).json(&body).send().await.expect("control");
        assert!(res.status().is_success(), "{path}: {}", res.status());
    }

    async fn fault(&self, item: &ItemRef, path: &str, kind: &str, count: u32) {
        self.control(
            "/__control/faults",
            json!({ "path": path, "kind": kind, "count": count, "item_id": item.item_id, "delay_ms": 1_000 }),
        )
        .await;
    }

    /// Pulls every page from `cursor`: (upserts, removed ids, final cursor, pages).
    async fn sync_all(
        &self,
        item: &ItemRef,
        mut cursor: Option<String>,
        accounts: &[Account],
    ) -> (Vec<Transaction>, Vec<String>, String, usize) {
        let (mut upserts, mut removed, mut pages) = (Vec::new(), Vec::new(), 0);
        loop {
            let page = self.plaid.transactions(item, cursor.as_deref(), accounts).await.expect("a page");
            pages += 1;
            upserts.extend(page.upserts);
            removed.extend(page.removed);
            assert!(!page.next_cursor.is_empty(), "a cursor to store with every page");
            cursor = Some(page.next_cursor);
            if !page.has_more {
                return (upserts, removed, cursor.unwrap_or_default(), pages);
            }
        }
    }

    /// The first delivery with `code`: its headers and raw body.
    async fn webhook(&self, code: &str) -> (HeaderMap, Vec<u8>) {
        for _ in 0..200 {
            let found = self
                .webhooks
                .lock()
                .expect("lock")
                .iter()
                .find(|(_, body)| serde_json::from_str::<Value>(body).is_ok_and(|v| v["webhook_code"] == code))
                .cloned();
            if let Some((headers, body)) = found {
                return (headers, body.into_bytes());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("no {code} webhook arrived");
    }

    async fn link_session(&self, token: &str) -> Value {
        let res = self
            .http
            .get(format!("{}/__link/session", self.base))
            .query(&[("token", token)])
            .send()
            .await
            .expect("get");
        res.json().await.expect("json")
    }
}

fn api_kind(result: Result<impl std::fmt::Debug, ProviderError>) -> (ApiErrorKind, String) {
    let error = result.expect_err("an error");
    assert!(matches!(error, ProviderError::Api { .. }), "{error:?}");
    (error.kind(), error.code().to_owned())
}

#[tokio::test]
async fn link_tokens_for_new_items_and_update_mode() {
    let env = Env::start().await;
    let user_id = Uuid::new_v4();
    let new = env
        .plaid
        .create_link(&LinkRequest {
            user_id,
            update: None,
            products: vec![],
            webhook_url: Some(env.webhook_url.clone()),
        })
        .await
        .expect("new link token");
    assert!(new.token.starts_with("link-sandbox-"), "{}", new.token);
    let life = new.expiration - Utc::now();
    assert!((life - TimeDelta::hours(4)).num_seconds().abs() < 60, "4 hours: {life}");
    let session = env.link_session(&new.token).await;
    assert_eq!((session["mode"].as_str(), session["client_name"].as_str()), (Some("new"), Some("Tributary")));
    assert_eq!(session["country_codes"], json!(["US"]));

    let linked = env.link(None, 30).await;
    let update = env
        .plaid
        .create_link(&LinkRequest { user_id, update: Some(linked.item.clone()), products: vec![], webhook_url: None })
        .await
        .expect("update-mode link token");
    let life = update.expiration - Utc::now();
    assert!((life - TimeDelta::minutes(30)).num_seconds().abs() < 60, "30 minutes in update mode: {life}");
    let session = env.link_session(&update.token).await;
    assert_eq!(session["mode"], "update");
    assert_eq!(session["institution"]["institution_id"], "ins_109508");

    // A removed item cannot be relinked.
    env.plaid.remove(&linked.item).await.expect("removed");
    let (kind, code) = api_kind(
        env.plaid
            .create_link(&LinkRequest { user_id, update: Some(linked.item), products: vec![], webhook_url: None })
            .await,
    );
    assert_eq!((kind, code.as_str()), (ApiErrorKind::Permanent, "INVALID_ACCESS_TOKEN"));
}

#[tokio::test]
async fn a_linked_item_pages_its_history_and_resumes_from_its_cursor() {
    let env = Env::start().await;
    let linked = env.link(None, 730).await;
    assert!(linked.item.secret.expose().starts_with("access-sandbox-"));
    assert!(!format!("{linked:?}").contains(linked.item.secret.expose()), "the access token never prints");
    let institution = &linked.institution;
    assert_eq!(
        (institution.provider_institution_id.as_str(), institution.name.as_str()),
        ("ins_109508", "First Platypus Bank")
    );
    assert!(
        institution.logo.as_deref().is_some_and(|l| l.starts_with("data:image/png;base64,")),
        "{:?}",
        institution.logo
    );
    assert_eq!(institution.primary_color.as_deref(), Some("#1f6f8b"));
    assert!(institution.url.is_some());
    assert_eq!(institution.countries, ["US"]);

    let accounts = &linked.accounts;
    let kinds: Vec<(&str, Option<&str>)> =
        accounts.iter().map(|a| (a.account_type.as_str(), a.subtype.as_deref())).collect();
    assert_eq!(
        kinds,
        [("depository", Some("checking")), ("depository", Some("savings")), ("credit", Some("credit card"))]
    );
    assert!(accounts.iter().all(|a| a.currency == "USD" && a.mask.as_ref().is_some_and(|m| m.len() == 4)));
    let checking = &accounts[0];
    let card = &accounts[2];
    assert!(checking.current.is_some() && checking.available.is_some() && checking.limit.is_none());
    // Balances keep Plaid's sign (a card's current is what is owed), unlike amounts.
    let raw = env.sandbox_call("/accounts/get", json!({ "access_token": linked.item.secret.expose() })).await;
    let raw_current = raw["accounts"][2]["balances"]["current"].as_f64().expect("a card balance");
    assert_eq!(card.current, to_minor(raw_current, "USD"));
    assert!(card.limit.is_some_and(|l| l > 0));
    assert_eq!(env.plaid.accounts(&linked.item).await.expect("accounts"), linked.accounts);

    let (upserts, removed, cursor, pages) = env.sync_all(&linked.item, None, accounts).await;
    assert!(pages >= 3, "two years come in pages of 500: {pages}");
    assert!(upserts.len() > 1_500, "{}", upserts.len());
    assert!(removed.is_empty(), "a first sync only adds");
    assert!(upserts.iter().all(|t| accounts.iter().any(|a| a.provider_account_id == t.provider_account_id)));
    assert!(
        upserts.iter().all(|t| t.category_primary.is_some() && t.category_detailed.is_some() && !t.name.is_empty())
    );
    assert!(upserts.iter().all(|t| t.payment_channel.is_some() && t.authorized_date.is_some()));
    fn on<'a>(all: &'a [Transaction], account: &'a Account) -> impl Iterator<Item = &'a Transaction> + 'a {
        all.iter().filter(move |t| t.provider_account_id == account.provider_account_id)
    }
    // Signs: income in is positive, spending out negative, on every account.
    let payroll: Vec<&Transaction> =
        on(&upserts, checking).filter(|t| t.name.contains("ACME CORP DIRECT DEP")).collect();
    assert!(!payroll.is_empty() && payroll.iter().all(|t| t.amount > 0), "payroll deposits are money in");
    assert!(payroll.iter().all(|t| t.category_primary.as_deref() == Some("INCOME")));
    let rent: Vec<&Transaction> =
        on(&upserts, checking).filter(|t| t.merchant_name.as_deref() == Some("Greystar")).collect();
    assert!(!rent.is_empty() && rent.iter().all(|t| t.amount < 0), "rent is money out");
    let purchases: Vec<&Transaction> =
        on(&upserts, card).filter(|t| t.category_primary.as_deref() != Some("LOAN_PAYMENTS")).collect();
    assert!(purchases.len() > 100 && purchases.iter().all(|t| t.amount < 0), "card purchases are money out");
    let payments: Vec<&Transaction> = on(&upserts, card).filter(|t| t.name.contains("PAYMENT - THANK YOU")).collect();
    assert!(!payments.is_empty() && payments.iter().all(|t| t.amount > 0), "a card payment is money in on the card");
    let autopay: Vec<&Transaction> =
        on(&upserts, checking).filter(|t| t.name.contains("CREDIT CARD AUTOPAY")).collect();
    assert!(!autopay.is_empty() && autopay.iter().all(|t| t.amount < 0), "and money out of checking");
    // Pending transactions, and posted ones that replace earlier pending ones.
    assert!(upserts.iter().any(|t| t.pending));
    let replacing: Vec<&Transaction> = upserts.iter().filter(|t| t.pending_transaction_id.is_some()).collect();
    assert!(!replacing.is_empty() && replacing.iter().all(|t| !t.pending));
    assert!(upserts.iter().any(|t| t.merchant_name.is_some() && t.payment_channel.as_deref() == Some("in store")));

    // Nothing new at the same moment…
    let again = env.plaid.transactions(&linked.item, Some(&cursor), accounts).await.expect("page");
    assert!(again.upserts.is_empty() && again.removed.is_empty() && !again.has_more);
    assert!(!again.next_cursor.is_empty());
    // …until time passes: new, posted and removed transactions.
    env.control("/__control/clock", json!({ "item_id": linked.item.item_id, "days": 5 })).await;
    let (later, gone, _, _) = env.sync_all(&linked.item, Some(again.next_cursor), accounts).await;
    assert!(!later.is_empty(), "five days bring new transactions");
    let pending_before: Vec<&str> =
        upserts.iter().filter(|t| t.pending).map(|t| t.provider_transaction_id.as_str()).collect();
    assert!(pending_before.iter().any(|id| gone.iter().any(|r| r == id)), "pending ones post and go away");
    assert!(later.iter().any(|t| t.pending_transaction_id.as_deref().is_some_and(|p| pending_before.contains(&p))));
    // Prepared for sync: ready, no consent end in the US.
    assert_eq!(
        env.plaid.prepare_sync(&linked.item).await.expect("ready"),
        ItemReadiness::Ready { consent_expires_at: None }
    );
}

#[tokio::test]
async fn a_login_required_item_stops_the_sync() {
    let env = Env::start().await;
    let linked = env.link(None, 30).await;
    env.sandbox_call("/sandbox/item/reset_login", json!({ "access_token": linked.item.secret.expose() })).await;
    let (kind, code) = api_kind(env.plaid.prepare_sync(&linked.item).await);
    assert_eq!((kind, code.as_str()), (ApiErrorKind::LoginRequired, "ITEM_LOGIN_REQUIRED"));
    let (kind, _) = api_kind(env.plaid.transactions(&linked.item, None, &linked.accounts).await);
    assert_eq!(kind, ApiErrorKind::LoginRequired);
    let error = env.plaid.accounts(&linked.item).await.expect_err("login required");
    assert!(error.user_message().contains("log in again"), "Plaid's display message: {}", error.user_message());
}

#[tokio::test]
async fn rate_limits_and_server_errors_retry_a_bounded_number_of_times() {
    let env = Env::start().await;
    let linked = env.link(None, 30).await;
    let item = &linked.item;
    // Two rate limits, then success: the call succeeds after its retries…
    env.fault(item, "/transactions/sync", "rate_limit", 2).await;
    let page = env.plaid.transactions(item, None, &linked.accounts).await.expect("succeeds after two retries");
    assert!(!page.upserts.is_empty());
    // …and used them up (the next call is not affected).
    env.plaid.transactions(item, None, &linked.accounts).await.expect("no fault left");

    env.fault(item, "/transactions/sync", "rate_limit", 10).await;
    let (kind, code) = api_kind(env.plaid.transactions(item, None, &linked.accounts).await);
    assert_eq!((kind, code.as_str()), (ApiErrorKind::RateLimited, "TRANSACTIONS_SYNC_LIMIT"));
    env.http.delete(format!("{}/__control/faults", env.base)).send().await.expect("clear faults");

    // Exactly four attempts: four server errors fail the call, and leave
    // nothing for the next one.
    env.fault(item, "/accounts/get", "server_error", 4).await;
    let (kind, code) = api_kind(env.plaid.accounts(item).await);
    assert_eq!((kind, code.as_str()), (ApiErrorKind::Transient, "INTERNAL_SERVER_ERROR"));
    env.plaid.accounts(item).await.expect("the four faults are used up");
}

#[tokio::test]
async fn malformed_and_slow_answers_fail_cleanly() {
    let env = Env::start().await;
    let linked = env.link(None, 30).await;
    let item = &linked.item;
    env.fault(item, "/transactions/sync", "malformed", 1).await;
    match env.plaid.transactions(item, None, &linked.accounts).await {
        Err(ProviderError::Decode { path, message }) => {
            assert!(!message.is_empty());
            assert!(path.starts_with("added"), "the path that failed: {path}");
        }
        other => panic!("{other:?}"),
    }
    env.fault(item, "/accounts/get", "malformed", 1).await;
    assert!(matches!(env.plaid.accounts(item).await, Err(ProviderError::Decode { .. })));

    let impatient = PlaidProvider::new(PlaidSettings { timeout: Duration::from_millis(200), ..settings(&env.base) })
        .expect("provider")
        .with_policy(fast_policy());
    env.fault(item, "/item/get", "delay", 1).await;
    impatient.prepare_sync(item).await.expect("a slow first answer is retried");
    env.fault(item, "/item/get", "delay", 10).await;
    assert!(matches!(impatient.prepare_sync(item).await, Err(ProviderError::Timeout)));
}

#[tokio::test]
async fn removing_twice_is_fine_and_the_token_stops_working() {
    let env = Env::start().await;
    let linked = env.link(None, 30).await;
    env.plaid.remove(&linked.item).await.expect("removed");
    env.plaid.remove(&linked.item).await.expect("already removed counts as removed");
    let (kind, code) = api_kind(env.plaid.accounts(&linked.item).await);
    assert_eq!((kind, code.as_str()), (ApiErrorKind::Permanent, "INVALID_ACCESS_TOKEN"));
    assert!(env.plaid.transactions(&linked.item, None, &[]).await.is_err());
    assert!(env.plaid.prepare_sync(&linked.item).await.is_err());
}

#[tokio::test]
async fn a_used_public_token_is_refused() {
    let env = Env::start().await;
    let token = env.public_token(None, 30).await;
    let request = CompleteLink { user_id: Uuid::new_v4(), token };
    env.plaid.complete_link(&request).await.expect("first use");
    let (kind, code) = api_kind(env.plaid.complete_link(&request).await);
    assert_eq!((kind, code.as_str()), (ApiErrorKind::Permanent, "INVALID_PUBLIC_TOKEN"));
    let empty = CompleteLink { user_id: Uuid::new_v4(), token: " ".into() };
    assert!(matches!(env.plaid.complete_link(&empty).await, Err(ProviderError::Invalid(_))));
}

#[tokio::test]
async fn institutions_are_searched() {
    let env = Env::start().await;
    let found = env.plaid.search_institutions("First", None).await.expect("search");
    let names: Vec<&str> = found.iter().map(|i| i.name.as_str()).collect();
    assert!(names.contains(&"First Platypus Bank") && names.contains(&"First Gingham Credit Union"), "{names:?}");
    assert!(found.iter().all(|i| i.logo.as_deref().is_some_and(|l| l.starts_with("data:image/png;base64,"))));
    assert!(found.iter().all(|i| i.primary_color.is_some() && i.url.is_some()));
    let us = env.plaid.search_institutions("platypus", Some("us")).await.expect("search");
    assert!(us.iter().any(|i| i.provider_institution_id == "ins_109508"));
    assert!(env.plaid.search_institutions("First", Some("GB")).await.expect("search").is_empty());
    assert!(env.plaid.search_institutions("  ", None).await.expect("no call").is_empty());
}

/// A compact JWT with this header and claims, signed by `key`.
fn forge(header: &Value, claims: &Value, key: &SigningKey) -> String {
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature: Signature = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

fn with_token(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("plaid-verification", token.parse().expect("header"));
    headers
}

#[tokio::test]
async fn sandbox_webhooks_verify_and_say_what_to_do() {
    let env = Env::start().await;
    let linked = env.link(Some(&env.webhook_url), 30).await;
    let access = linked.item.secret.expose().to_owned();
    let fire = |code: &'static str| {
        let access = access.clone();
        let env = &env;
        async move {
            env.sandbox_call("/sandbox/item/fire_webhook", json!({ "access_token": access, "webhook_code": code }))
                .await;
            env.webhook(code).await
        }
    };

    let (headers, body) = fire("DEFAULT_UPDATE").await;
    let event = env.plaid.verify_webhook(&headers, &body).await.expect("verifies");
    assert_eq!(event.action, WebhookAction::Sync);
    assert_eq!(event.event_type, "TRANSACTIONS/DEFAULT_UPDATE");
    assert_eq!(event.item_id.as_deref(), Some(linked.item.item_id.as_str()));
    assert_eq!(event.delivery_key, webhook::body_sha256(&body));

    // Tampered, stale, or re-signed by someone else: refused.
    let tampered = String::from_utf8(body.clone()).expect("utf-8").replace("DEFAULT_UPDATE", "TRANSACTIONS_REMOVED");
    assert!(matches!(env.plaid.verify_webhook(&headers, tampered.as_bytes()).await, Err(WebhookError::Unverified(_))));
    let later = Utc::now() + TimeDelta::minutes(10);
    let stale = env.plaid.verify_webhook_at(&headers, &body, later).await;
    assert!(matches!(stale, Err(WebhookError::Unverified(ref r)) if r.contains("minutes")), "{stale:?}");
    let token = headers.get("plaid-verification").and_then(|v| v.to_str().ok()).expect("token");
    let parts: Vec<&str> = token.split('.').collect();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64")).expect("json");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
    let stranger = SigningKey::random(&mut rand::rngs::OsRng);
    let forged = forge(&header, &claims, &stranger);
    let result = env.plaid.verify_webhook(&with_token(&forged), &body).await;
    assert!(matches!(result, Err(WebhookError::Unverified(ref r)) if r.contains("signature")), "{result:?}");
    // HS256 (keyed with the public key, the classic confusion) and `none`.
    let kid = header["kid"].clone();
    for alg in ["HS256", "none", "RS256"] {
        let token = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(json!({ "alg": alg, "kid": kid, "typ": "JWT" }).to_string()),
            parts[1],
            if alg == "none" { "" } else { parts[2] }
        );
        let result = env.plaid.verify_webhook(&with_token(&token), &body).await;
        assert!(matches!(result, Err(WebhookError::Unverified(_))), "{alg}: {result:?}");
    }
    // A key Plaid never issued.
    let unknown =
        forge(&json!({ "alg": "ES256", "kid": Uuid::new_v4().to_string(), "typ": "JWT" }), &claims, &stranger);
    let result = env.plaid.verify_webhook(&with_token(&unknown), &body).await;
    assert!(matches!(result, Err(WebhookError::Unverified(ref r)) if r.contains("unknown")), "{result:?}");
    assert!(matches!(env.plaid.verify_webhook(&HeaderMap::new(), &body).await, Err(WebhookError::Unverified(_))));

    // The key is cached: verification goes on while the key endpoint fails.
    env.control(
        "/__control/faults",
        json!({ "path": "/webhook_verification_key/get", "kind": "server_error", "count": 100 }),
    )
    .await;

    let (headers, body) = fire("PENDING_EXPIRATION").await;
    let event = env.plaid.verify_webhook(&headers, &body).await.expect("verifies");
    assert!(matches!(event.action, WebhookAction::Expiring { at: Some(at) } if at > Utc::now()), "{event:?}");
    let (headers, body) = fire("PENDING_DISCONNECT").await;
    let event = env.plaid.verify_webhook(&headers, &body).await.expect("verifies");
    assert!(matches!(event.action, WebhookAction::Expiring { at: Some(_) }), "{event:?}");
    let (headers, body) = fire("ERROR").await;
    let event = env.plaid.verify_webhook(&headers, &body).await.expect("verifies");
    assert!(matches!(event.action, WebhookAction::LoginRequired { message: Some(_) }), "{event:?}");
    assert_eq!(event.event_type, "ITEM/ERROR");
    let (headers, body) = fire("LOGIN_REPAIRED").await;
    assert_eq!(env.plaid.verify_webhook(&headers, &body).await.expect("verifies").action, WebhookAction::Sync);
    let (headers, body) = fire("NEW_ACCOUNTS_AVAILABLE").await;
    assert_eq!(env.plaid.verify_webhook(&headers, &body).await.expect("verifies").action, WebhookAction::Ignore);
    let (headers, body) = fire("SYNC_UPDATES_AVAILABLE").await;
    assert_eq!(env.plaid.verify_webhook(&headers, &body).await.expect("verifies").action, WebhookAction::Sync);
    let (headers, body) = fire("USER_PERMISSION_REVOKED").await;
    assert_eq!(env.plaid.verify_webhook(&headers, &body).await.expect("verifies").action, WebhookAction::Revoked);
    // And the revoked item now fails the pre-sync check.
    let (kind, code) = api_kind(env.plaid.prepare_sync(&linked.item).await);
    assert_eq!((kind, code.as_str()), (ApiErrorKind::Revoked, "USER_PERMISSION_REVOKED"));
}

#[tokio::test]
async fn wrong_credentials_are_a_permanent_error_not_a_forged_webhook() {
    let env = Env::start().await;
    let wrong = PlaidProvider::new(PlaidSettings { secret: "not-the-secret".into(), ..settings(&env.base) })
        .expect("provider")
        .with_policy(fast_policy());
    let (kind, code) = api_kind(wrong.search_institutions("First", None).await);
    assert_eq!((kind, code.as_str()), (ApiErrorKind::Permanent, "INVALID_API_KEYS"));
    // The key fetch fails because of us: that is not the sender's fault.
    let signer = WebhookSigner::generate();
    let headers = signed(&signer, LOGIN_REPAIRED, Utc::now().timestamp());
    let result = wrong.verify_webhook(&headers, LOGIN_REPAIRED).await;
    assert!(matches!(result, Err(WebhookError::Provider(ref e)) if e.code() == "INVALID_API_KEYS"), "{result:?}");
}
