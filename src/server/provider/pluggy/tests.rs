//! The Pluggy provider over real HTTP against the in-process sandbox (each
//! test starts its own), plus a few stub servers for answers the sandbox
//! does not give.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::HeaderMap;
use axum::middleware::Next;
use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;
use crate::server::provider::WebhookAction;
use crate::server::sandbox::Sandbox;
use crate::server::sandbox::test_support::{Received, serve, webhook_receiver};

const CLIENT_ID: &str = "sandbox-client-id";
const CLIENT_SECRET: &str = "sandbox-client-secret";

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_wait: Duration::from_secs(5),
    }
}

fn provider_for(base_url: &str, client_secret: &str) -> PluggyProvider {
    PluggyProvider::new(PluggySettings {
        base_url: base_url.to_owned(),
        client_id: CLIENT_ID.into(),
        client_secret: client_secret.into(),
        include_sandbox_connectors: true,
        timeout: Duration::from_secs(20),
    })
    .expect("provider")
    .with_policy(fast_policy())
}

/// Counts the requests whose path ends with `suffix`.
fn counting(router: Router, suffix: &'static str) -> (Router, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let router = router.layer(axum::middleware::from_fn(move |req: Request, next: Next| {
        let counter = counter.clone();
        async move {
            if req.uri().path().ends_with(suffix) {
                counter.fetch_add(1, Ordering::SeqCst);
            }
            next.run(req).await
        }
    }));
    (router, count)
}

fn item_ref(id: &str) -> ItemRef {
    ItemRef { item_id: id.to_owned(), secret: ItemSecret::new(id) }
}

fn api_kind(result: Result<impl std::fmt::Debug, ProviderError>) -> (ApiErrorKind, String) {
    match result {
        Err(e @ ProviderError::Api { .. }) => (e.kind(), e.code().to_owned()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

struct Env {
    provider: PluggyProvider,
    base: String,
    http: reqwest::Client,
    auth_calls: Arc<AtomicUsize>,
    hook_url: String,
    hooks: Received,
    _servers: Vec<tokio::task::JoinHandle<()>>,
}

impl Env {
    async fn start() -> Self {
        Self::start_with(CLIENT_SECRET).await
    }

    async fn start_with(client_secret: &str) -> Self {
        let sandbox =
            Sandbox::new(("plaid-id".into(), "plaid-secret".into()), (CLIENT_ID.into(), CLIENT_SECRET.into()), None);
        let (router, auth_calls) = counting(Router::new().nest("/sandbox", sandbox.router()), "/pluggy/auth");
        let (root, api) = serve(router).await;
        let (hook_url, hooks, hook) = webhook_receiver().await;
        let base = format!("{root}/sandbox/pluggy");
        let provider = provider_for(&base, client_secret);
        Self { provider, base, http: reqwest::Client::new(), auth_calls, hook_url, hooks, _servers: vec![api, hook] }
    }

    fn auths(&self) -> usize {
        self.auth_calls.load(Ordering::SeqCst)
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let res = self.http.post(format!("{}{path}", self.base)).json(&body).send().await.expect("control");
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.unwrap_or(Value::Null)
    }

    async fn clear_faults(&self) {
        let res = self.http.delete(format!("{}/__control/faults", self.base)).send().await.expect("clear");
        assert!(res.status().is_success());
    }

    async fn fault(&self, path: &str, kind: &str, count: u32, item: &str, retry_after: Option<u64>) {
        let mut rule = json!({"path": path, "kind": kind, "count": count, "item_id": item});
        if let Some(secs) = retry_after {
            rule["retry_after_secs"] = json!(secs);
        }
        self.control("/__control/faults", rule).await;
    }

    async fn advance(&self, seconds: i64) {
        self.control("/__control/clock", json!({"seconds": seconds})).await;
    }

    /// A raw call with `key` (an API key or a connect token).
    async fn raw(&self, method: reqwest::Method, path: &str, key: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).header("X-API-KEY", key);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("send");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// An API key of our own, for checks behind the provider's back.
    async fn raw_key(&self) -> String {
        let (status, body) = self
            .raw(
                reqwest::Method::POST,
                "/auth",
                "",
                Some(json!({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET})),
            )
            .await;
        assert_eq!(status, 200);
        body["apiKey"].as_str().expect("apiKey").to_owned()
    }

    /// What the Connect widget does: a connect token for `user_id`, then
    /// `POST /items` with the bank login. Returns the new item's id.
    async fn connect(&self, user_id: Uuid, connector: u32, login: (&str, &str), webhook_url: Option<String>) -> String {
        let session = self
            .provider
            .create_link(&LinkRequest { user_id, update: None, products: Vec::new(), webhook_url })
            .await
            .expect("connect token");
        let (status, item) = self
            .raw(
                reqwest::Method::POST,
                "/items",
                &session.token,
                Some(json!({"connectorId": connector, "parameters": {"user": login.0, "password": login.1}})),
            )
            .await;
        assert_eq!(status, 200, "{item}");
        item["id"].as_str().expect("id").to_owned()
    }

    /// Moves the sandbox clock until `prepare_sync` says ready.
    async fn wait_ready(&self, item: &ItemRef) {
        for _ in 0..10 {
            match self.provider.prepare_sync(item).await.expect("prepare_sync") {
                ItemReadiness::Ready { .. } => return,
                ItemReadiness::Busy { retry_in } => {
                    assert_eq!(retry_in, Duration::from_secs(5));
                    self.advance(5).await;
                }
            }
        }
        panic!("the item never became ready");
    }

    /// A synced `user-ok` item of Pluggy Bank, linked for a new user.
    async fn linked(&self) -> (Uuid, LinkedItem) {
        let user = Uuid::new_v4();
        let id = self.connect(user, 0, ("user-ok", "password-ok"), None).await;
        self.wait_ready(&item_ref(&id)).await;
        let linked =
            self.provider.complete_link(&CompleteLink { user_id: user, token: id }).await.expect("complete_link");
        (user, linked)
    }

    /// Every page of one sync from `cursor`.
    async fn sync(&self, item: &ItemRef, cursor: Option<String>, accounts: &[Account]) -> Vec<TransactionPage> {
        let mut pages = Vec::new();
        let mut cursor = cursor;
        for _ in 0..200 {
            let page = self.provider.transactions(item, cursor.as_deref(), accounts).await.expect("transactions");
            cursor = Some(page.next_cursor.clone());
            let more = page.has_more;
            pages.push(page);
            if !more {
                return pages;
            }
        }
        panic!("the sync never ended");
    }

    async fn wait_hook(&self, pred: impl Fn(&HeaderMap, &Value) -> bool) -> (HeaderMap, String) {
        for _ in 0..200 {
            let hit = self.hooks.lock().expect("lock").iter().find_map(|(h, body)| {
                let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
                pred(h, &v).then(|| (h.clone(), body.clone()))
            });
            if let Some(hit) = hit {
                return hit;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("no such webhook arrived");
    }
}

#[tokio::test]
async fn connect_tokens_for_new_links_and_update_mode() {
    let env = Env::start().await;
    let user = Uuid::new_v4();
    let before = Utc::now();
    let session = env
        .provider
        .create_link(&LinkRequest { user_id: user, update: None, products: Vec::new(), webhook_url: None })
        .await
        .expect("connect token");
    let life = session.expiration - before;
    assert!(life >= TimeDelta::minutes(30) && life < TimeDelta::minutes(31), "{life}");
    // The token carries the user: the item it creates says so.
    let (status, item) = env
        .raw(
            reqwest::Method::POST,
            "/items",
            &session.token,
            Some(json!({"connectorId": 0, "parameters": {"user": "user-ok", "password": "password-ok"}})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(item["clientUserId"], user.to_string());
    let id = item["id"].as_str().expect("id").to_owned();

    // Update mode: a token scoped to the item, which can read it…
    let update = env
        .provider
        .create_link(&LinkRequest {
            user_id: user,
            update: Some(item_ref(&id)),
            products: Vec::new(),
            webhook_url: None,
        })
        .await
        .expect("update token");
    let (status, seen) = env.raw(reqwest::Method::GET, &format!("/items/{id}"), &update.token, None).await;
    assert_eq!((status, seen["id"].as_str()), (200, Some(id.as_str())));
    // …which a new-link token cannot.
    let other = env
        .provider
        .create_link(&LinkRequest { user_id: user, update: None, products: Vec::new(), webhook_url: None })
        .await
        .expect("token");
    let (status, _) = env.raw(reqwest::Method::GET, &format!("/items/{id}"), &other.token, None).await;
    assert_eq!(status, 404);

    let missing = item_ref("00000000-0000-4000-8000-000000000000");
    let result = env
        .provider
        .create_link(&LinkRequest { user_id: user, update: Some(missing), products: Vec::new(), webhook_url: None })
        .await;
    assert_eq!(api_kind(result).1, "ITEM_NOT_FOUND");
    let bad = env
        .provider
        .create_link(&LinkRequest {
            user_id: user,
            update: Some(item_ref("../webhooks")),
            products: Vec::new(),
            webhook_url: None,
        })
        .await;
    assert!(matches!(bad, Err(ProviderError::Invalid(_))), "{bad:?}");
}

#[tokio::test]
async fn linking_checks_the_user_and_maps_institution_and_accounts() {
    let env = Env::start().await;
    let user = Uuid::new_v4();
    let id = env.connect(user, 0, ("user-ok", "password-ok"), None).await;
    let item = item_ref(&id);
    assert_eq!(
        env.provider.prepare_sync(&item).await.expect("prepare"),
        ItemReadiness::Busy { retry_in: Duration::from_secs(5) },
        "Pluggy is still collecting the data"
    );
    env.wait_ready(&item).await;

    let stranger = env.provider.complete_link(&CompleteLink { user_id: Uuid::new_v4(), token: id.clone() }).await;
    assert!(
        matches!(&stranger, Err(ProviderError::Invalid(m)) if m.contains("not made from your account")),
        "{stranger:?}"
    );
    for token in ["../webhooks", "", "00000000-0000-4000-8000-000000000000"] {
        let result = env.provider.complete_link(&CompleteLink { user_id: user, token: token.into() }).await;
        assert!(matches!(result, Err(ProviderError::Invalid(_))), "{token}: {result:?}");
    }

    let linked = env.provider.complete_link(&CompleteLink { user_id: user, token: id.clone() }).await.expect("link");
    assert_eq!(linked.item.item_id, id);
    assert_eq!(linked.item.secret.expose(), id, "Pluggy's secret is the item id");
    assert_eq!(linked.consent_expires_at, None);
    let inst = &linked.institution;
    assert_eq!(
        (inst.provider_institution_id.as_str(), inst.name.as_str(), inst.primary_color.as_deref()),
        ("0", "Pluggy Bank", Some("#ef294b"))
    );
    assert_eq!(inst.url.as_deref(), Some("https://pluggy.ai"));
    assert_eq!(inst.countries, ["BR"]);
    assert!(inst.logo.as_deref().is_some_and(|l| l.ends_with("/__connectors/0/logo.png")));

    let accounts = env.provider.accounts(&linked.item).await.expect("accounts");
    assert_eq!(accounts, linked.accounts);
    let kinds: Vec<(&str, Option<&str>)> =
        accounts.iter().map(|a| (a.account_type.as_str(), a.subtype.as_deref())).collect();
    assert_eq!(
        kinds,
        [("depository", Some("checking")), ("depository", Some("savings")), ("credit", Some("credit card"))]
    );
    for a in &accounts {
        assert_eq!(a.currency, "BRL");
        assert!(a.mask.as_ref().is_some_and(|m| m.len() == 4 && m.chars().all(|c| c.is_ascii_digit())), "{a:?}");
    }
    let (checking, card) = (&accounts[0], &accounts[2]);
    assert!(checking.current.is_some() && checking.current == checking.available && checking.limit.is_none());
    assert_eq!(card.official_name.as_deref(), Some("MASTERCARD BLACK"));
    assert_eq!(card.limit, Some(1_500_000));
    let (owed, available) = (card.current.expect("owed"), card.available.expect("available"));
    assert!(owed >= 0);
    assert_eq!(owed + available, 1_500_000, "what is owed plus what is left is the limit");

    let institutions = env.provider.search_institutions("pluggy", Some("br")).await.expect("search");
    let names: Vec<&str> = institutions.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["Pluggy Bank", "Pluggy Bank MFA"]);
    assert!(env.provider.search_institutions("", Some("AR")).await.expect("search").is_empty());
    let sabia = env.provider.search_institutions("sabi", None).await.expect("search");
    assert_eq!(sabia.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), ["Banco Sabiá"]);
}

#[tokio::test]
async fn transactions_sync_fully_then_incrementally_with_a_reconciled_window() {
    let env = Env::start().await;
    let (_, linked) = env.linked().await;
    let item = &linked.item;
    let accounts = &linked.accounts;
    assert_eq!(accounts.len(), 3);

    // Initial sync: the created phase over every account's whole history.
    let first = env.sync(item, None, accounts).await;
    assert!(first.len() > accounts.len(), "several Pluggy pages: {}", first.len());
    for (i, page) in first.iter().enumerate() {
        assert_eq!(page.has_more, i + 1 < first.len());
        assert!(page.reconcile.is_empty() && page.removed.is_empty(), "no window on the first sync");
        assert!(!page.upserts.is_empty());
    }
    let all: Vec<&Transaction> = first.iter().flat_map(|p| &p.upserts).collect();
    let ids: HashSet<&str> = all.iter().map(|t| t.provider_transaction_id.as_str()).collect();
    assert_eq!(ids.len(), all.len(), "no transaction twice in the first sync");
    // Exactly what Pluggy lists for each account.
    let key = env.raw_key().await;
    let mut listed = HashSet::new();
    for account in accounts {
        let mut path = format!("/v2/transactions?accountId={}", account.provider_account_id);
        loop {
            let (status, page) = env.raw(reqwest::Method::GET, &path, &key, None).await;
            assert_eq!(status, 200);
            listed.extend(
                page["results"].as_array().expect("results").iter().map(|t| t["id"].as_str().expect("id").to_owned()),
            );
            match page["next"].as_str() {
                Some(next) => path = next.to_owned(),
                None => break,
            }
        }
    }
    assert_eq!(listed, ids.iter().map(|s| (*s).to_owned()).collect::<HashSet<_>>());

    // Signs: negative is money out, on the bank account and on the card.
    let on = |account: &Account| {
        let id = account.provider_account_id.clone();
        all.iter().filter(move |t| t.provider_account_id == id)
    };
    let (checking, savings, card) = (&accounts[0], &accounts[1], &accounts[2]);
    let salary: Vec<_> = on(checking).filter(|t| t.name == "SALARIO ACME LTDA").collect();
    assert!(!salary.is_empty() && salary.iter().all(|t| t.amount > 0 && t.payment_channel.as_deref() == Some("ted")));
    let pix_in: Vec<_> = on(checking).filter(|t| t.name.starts_with("PIX RECEBIDO")).collect();
    assert!(!pix_in.is_empty() && pix_in.iter().all(|t| t.amount > 0 && t.payment_channel.as_deref() == Some("pix")));
    let pix_out: Vec<_> = on(checking).filter(|t| t.name.starts_with("PIX ENVIADO")).collect();
    assert!(!pix_out.is_empty() && pix_out.iter().all(|t| t.amount < 0));
    assert!(on(savings).filter(|t| t.name == "RENDIMENTO POUPANCA").all(|t| t.amount > 0));
    // The sandbox marks its monthly Netflix card charge `CREDIT` (a sandbox
    // bug: `data::day` never sets `credit = false` on it), so it is left out.
    let purchases: Vec<_> = on(card).filter(|t| t.merchant_name.is_some() && t.name != "NETFLIX.COM").collect();
    assert!(purchases.len() > 100 && purchases.iter().all(|t| t.amount < 0), "card purchases are money out");
    assert!(purchases.iter().any(|t| t.merchant_name.as_deref() == Some("iFood")));
    let bill_payments: Vec<_> = on(card).filter(|t| t.name == "PAGAMENTO RECEBIDO").collect();
    assert!(!bill_payments.is_empty() && bill_payments.iter().all(|t| t.amount > 0), "bill payments are money in");
    assert!(all.iter().all(|t| t.currency == "BRL" && t.category_primary.is_some() && t.category_detailed.is_some()));
    let pending: Vec<&str> = on(card).filter(|t| t.pending).map(|t| t.provider_transaction_id.as_str()).collect();
    assert!(!pending.is_empty(), "recent card purchases are pending");
    assert!(on(checking).all(|t| !t.pending));

    let rest = SyncCursor::decode(Some(&first.last().expect("pages").next_cursor));
    let SyncState::Rest { watermark: Some(watermark) } = rest.state else { panic!("not at rest: {rest:?}") };

    // Five days later: new transactions, and the pending purchases posted.
    env.advance(5 * 86_400).await;
    env.wait_ready(item).await;
    let second = env.sync(item, Some(first.last().expect("pages").next_cursor.clone()), accounts).await;
    let last = second.last().expect("pages");
    assert!(!last.has_more);
    let window: Vec<&TransactionPage> = second.iter().filter(|p| !p.reconcile.is_empty()).collect();
    assert_eq!(window.len(), accounts.len(), "one window page per account, at the end");
    assert!(second[second.len() - accounts.len()..].iter().all(|p| p.reconcile.len() == 1));
    let created: Vec<&Transaction> = second[..second.len() - accounts.len()].iter().flat_map(|p| &p.upserts).collect();
    let fresh: Vec<&&Transaction> =
        created.iter().filter(|t| !ids.contains(t.provider_transaction_id.as_str())).collect();
    assert!(fresh.iter().any(|t| t.provider_account_id == checking.provider_account_id));
    assert!(fresh.iter().any(|t| t.provider_account_id == card.provider_account_id));
    for (page, account) in window.iter().zip(accounts) {
        let reconcile = &page.reconcile[0];
        assert_eq!(reconcile.provider_account_id, account.provider_account_id);
        let listed: HashSet<&str> = page.upserts.iter().map(|t| t.provider_transaction_id.as_str()).collect();
        assert_eq!(reconcile.present.iter().map(String::as_str).collect::<HashSet<_>>(), listed);
        assert!(page.upserts.iter().all(|t| t.provider_account_id == account.provider_account_id));
        assert!(page.upserts.iter().all(|t| t.date >= reconcile.from - TimeDelta::days(1)));
        let today = Utc::now().date_naive() + TimeDelta::days(5);
        assert!((reconcile.from - (today - TimeDelta::days(30))).num_days().abs() <= 1, "{}", reconcile.from);
    }
    let card_window = &window[2].upserts;
    let by_id: HashMap<&str, &Transaction> =
        card_window.iter().map(|t| (t.provider_transaction_id.as_str(), t)).collect();
    for id in &pending {
        if let Some(t) = by_id.get(id) {
            assert!(!t.pending, "posted by now: {id}");
        }
    }
    assert!(pending.iter().any(|id| by_id.contains_key(id)), "the window lists the once-pending purchases");
    let rest = SyncCursor::decode(Some(&last.next_cursor));
    let SyncState::Rest { watermark: Some(later) } = rest.state else { panic!("not at rest: {rest:?}") };
    assert!(later > watermark + TimeDelta::days(4), "the watermark moved: {watermark} → {later}");

    // A cursor from elsewhere starts over with everything.
    let again = env.provider.transactions(item, Some("not a cursor"), accounts).await.expect("restart");
    let state = SyncCursor::decode(Some(&again.next_cursor)).state;
    assert!(matches!(state, SyncState::Created { since: None, .. }), "{state:?}");
    // No accounts: nothing to do, at rest.
    let none = env.provider.transactions(item, Some(&last.next_cursor), &[]).await.expect("no accounts");
    assert!(!none.has_more && none.upserts.is_empty());
    assert_eq!(none.next_cursor, last.next_cursor);
}

#[tokio::test]
async fn login_problems_require_the_user_and_failed_runs_are_retried() {
    let env = Env::start().await;
    let user = Uuid::new_v4();
    let wrong = env.connect(user, 0, ("user-ok", "wrong-password"), None).await;
    env.advance(10).await;
    let result = env.provider.prepare_sync(&item_ref(&wrong)).await;
    assert_eq!(api_kind(result.clone()), (ApiErrorKind::LoginRequired, "INVALID_CREDENTIALS".into()));
    let Err(error) = result else { unreachable!() };
    assert!(error.user_message().contains("Credenciais"), "Pluggy's message for the user: {}", error.user_message());
    let linked = env.provider.complete_link(&CompleteLink { user_id: user, token: wrong.clone() }).await;
    assert_eq!(api_kind(linked).0, ApiErrorKind::LoginRequired);

    let locked = env.connect(user, 0, ("user-locked", "x"), None).await;
    let mfa = env.connect(user, 5, ("user-ok", "password-ok"), None).await;
    env.advance(10).await;
    assert_eq!(
        api_kind(env.provider.prepare_sync(&item_ref(&locked)).await),
        (ApiErrorKind::LoginRequired, "ACCOUNT_LOCKED".into())
    );
    assert_eq!(api_kind(env.provider.prepare_sync(&item_ref(&mfa)).await).0, ApiErrorKind::LoginRequired);

    // A working item broken at the bank, then an execution error that a new run fixes.
    let (_, ok) = env.linked().await;
    let id = ok.item.item_id.clone();
    env.control(&format!("/__control/items/{id}/status"), json!({"status": "LOGIN_ERROR"})).await;
    assert_eq!(api_kind(env.provider.prepare_sync(&ok.item).await).0, ApiErrorKind::LoginRequired);
    env.control(&format!("/__control/items/{id}/status"), json!({"status": "OUTDATED"})).await;
    assert_eq!(
        env.provider.prepare_sync(&ok.item).await.expect("refreshed"),
        ItemReadiness::Busy { retry_in: Duration::from_secs(5) },
        "an OUTDATED item is updated again"
    );
    env.wait_ready(&ok.item).await;
    // An item that keeps failing for reasons of the bank's is retried, not relinked.
    let flaky = env.connect(user, 0, ("user-unavailable", "x"), None).await;
    env.advance(10).await;
    assert!(matches!(env.provider.prepare_sync(&item_ref(&flaky)).await, Ok(ItemReadiness::Busy { .. })));
}

#[tokio::test]
async fn faults_are_retried_or_mapped() {
    let env = Env::start().await;
    let (_, linked) = env.linked().await;
    let item = &linked.item;
    let id = item.item_id.as_str();

    env.fault("/accounts", "rate_limit", 2, id, Some(0)).await;
    assert_eq!(env.provider.accounts(item).await.expect("after two 429s"), linked.accounts);

    env.fault("/accounts", "rate_limit", 10, id, Some(30)).await;
    match env.provider.accounts(item).await {
        Err(e) => {
            assert_eq!(e.kind(), ApiErrorKind::RateLimited);
            assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
        }
        Ok(_) => panic!("rate limited"),
    }
    env.clear_faults().await;

    env.fault("/accounts", "server_error", 10, id, None).await;
    assert_eq!(api_kind(env.provider.accounts(item).await), (ApiErrorKind::Transient, "INTERNAL_ERROR".into()));
    env.clear_faults().await;

    env.fault("/accounts", "malformed", 1, id, None).await;
    assert!(matches!(env.provider.accounts(item).await, Err(ProviderError::Decode { .. })));

    env.fault("/v2/transactions", "server_error", 2, id, None).await;
    let page = env.provider.transactions(item, None, &linked.accounts).await.expect("after two 500s");
    assert!(!page.upserts.is_empty());
    env.fault(&format!("/items/{id}"), "rate_limit", 1, id, Some(0)).await;
    assert!(env.provider.prepare_sync(item).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_is_fetched_once_under_concurrency() {
    let env = Env::start().await;
    let provider = Arc::new(provider_for(&env.base, CLIENT_SECRET));
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let provider = provider.clone();
        calls.spawn(async move { provider.search_institutions("", None).await });
    }
    while let Some(result) = calls.join_next().await {
        assert!(!result.expect("joined").expect("search").is_empty());
    }
    assert_eq!(env.auths(), 1, "one /auth for sixteen cold callers");
    provider.search_institutions("pluggy", None).await.expect("warm");
    assert_eq!(env.auths(), 1, "the key is reused");
}

#[tokio::test]
async fn a_refused_or_expiring_key_is_renewed_once() {
    let env = Env::start().await;
    // A key the sandbox does not accept (403): dropped, one /auth, one retry.
    env.provider.set_cached_key("nope.nope.nope", Duration::from_secs(3600)).await;
    env.provider.search_institutions("", None).await.expect("after re-auth");
    assert_eq!(env.auths(), 1);
    env.provider.search_institutions("", None).await.expect("again");
    assert_eq!(env.auths(), 1);
    // A key due for renewal is renewed before use.
    env.provider.set_cached_key("old.key.here", Duration::ZERO).await;
    env.provider.search_institutions("", None).await.expect("renewed");
    assert_eq!(env.auths(), 2);

    // Wrong client keys: Pluggy's error, after a single /auth.
    let bad = Env::start_with("wrong-secret").await;
    let result = bad.provider.search_institutions("", None).await;
    match &result {
        Err(ProviderError::Api { status: 401, code, kind: ApiErrorKind::Permanent, .. }) => {
            assert_eq!(code, "CLIENT_KEYS_UNAUTHORIZED");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(bad.auths(), 1);
}

#[test]
fn keys_are_renewed_ten_minutes_before_exp() {
    let now = Utc::now();
    let jwt = |exp: i64| {
        let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"c","exp":{exp}}}"#));
        format!("eyJhbGciOiJIUzI1NiJ9.{payload}.sig")
    };
    let two_hours = key_lifetime(&jwt((now + TimeDelta::hours(2)).timestamp()), now);
    assert!((two_hours.as_secs() as i64 - 110 * 60).abs() <= 1, "{two_hours:?}");
    let one_hour = key_lifetime(&jwt((now + TimeDelta::hours(1)).timestamp()), now);
    assert!((one_hour.as_secs() as i64 - 50 * 60).abs() <= 1, "{one_hour:?}");
    assert_eq!(key_lifetime(&jwt((now + TimeDelta::minutes(5)).timestamp()), now), Duration::from_secs(30));
    assert_eq!(key_lifetime(&jwt((now - TimeDelta::hours(1)).timestamp()), now), Duration::from_secs(30));
    assert_eq!(key_lifetime("not-a-jwt", now), Duration::from_secs(110 * 60), "two hours when exp is unreadable");
    assert_eq!(jwt_exp(&jwt(1_800_000_000)).map(|t| t.timestamp()), Some(1_800_000_000));
}

#[test]
fn settings_never_print_the_secret() {
    let settings = PluggySettings {
        base_url: DEFAULT_BASE_URL.into(),
        client_id: "id".into(),
        client_secret: "very-secret".into(),
        include_sandbox_connectors: false,
        timeout: Duration::from_secs(30),
    };
    assert!(!format!("{settings:?}").contains("very-secret"));
    let provider = PluggyProvider::new(settings.clone()).expect("provider");
    provider.set_webhook_secret("hook-secret".into());
    let shown = format!("{provider:?}");
    assert!(!shown.contains("very-secret") && !shown.contains("hook-secret"), "{shown}");
    assert_eq!(provider.kind(), ProviderKind::Pluggy);
    for base_url in ["", "ftp://x", "not a url"] {
        let bad = PluggyProvider::new(PluggySettings { base_url: base_url.into(), ..settings.clone() });
        assert!(matches!(bad, Err(ProviderError::Invalid(_))), "{base_url}");
    }
}

#[tokio::test]
async fn webhooks_register_idempotently_and_verify() {
    let env = Env::start().await;
    let key = env.raw_key().await;
    let list = || async {
        let (status, page) = env.raw(reqwest::Method::GET, "/webhooks", &key, None).await;
        assert_eq!(status, 200);
        page["results"].as_array().expect("results").clone()
    };
    env.provider.register_webhook(&env.hook_url, "first").await.expect("register");
    env.provider.register_webhook(&env.hook_url, "first").await.expect("again");
    let hooks = list().await;
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert_eq!((hooks[0]["url"].as_str(), hooks[0]["event"].as_str()), (Some(env.hook_url.as_str()), Some("all")));
    // Disabled by Pluggy, re-registered with a new secret: one webhook, enabled, new header.
    let hook_id = hooks[0]["id"].as_str().expect("id").to_owned();
    let (status, _) =
        env.raw(reqwest::Method::PATCH, &format!("/webhooks/{hook_id}"), &key, Some(json!({"enabled": false}))).await;
    assert_eq!(status, 200);
    env.provider.register_webhook(&env.hook_url, "second").await.expect("rotate");
    let hooks = list().await;
    assert_eq!(hooks.len(), 1);
    assert!(hooks[0]["disabledAt"].is_null(), "re-enabled: {}", hooks[0]);

    // Not verifiable before a secret is set.
    let user = Uuid::new_v4();
    let id = env.connect(user, 0, ("user-ok", "password-ok"), Some(env.hook_url.clone())).await;
    let (headers, body) = env
        .wait_hook(|h, v| {
            v["event"] == "item/created" && v["itemId"] == id.as_str() && h.contains_key(WEBHOOK_SECRET_HEADER)
        })
        .await;
    assert_eq!(headers[WEBHOOK_SECRET_HEADER], "second");
    assert!(matches!(env.provider.verify_webhook(&headers, body.as_bytes()).await, Err(WebhookError::Unverified(_))));
    env.provider.set_webhook_secret("second".into());
    let event = env.provider.verify_webhook(&headers, body.as_bytes()).await.expect("verified");
    let payload: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(event.delivery_key, payload["eventId"].as_str().expect("eventId"));
    assert_eq!((event.event_type.as_str(), event.item_id.as_deref()), ("item/created", Some(id.as_str())));
    assert_eq!(event.action, WebhookAction::Ignore);

    // The item's own webhookUrl gets the same event without the header: refused.
    let (bare, bare_body) = env
        .wait_hook(|h, v| {
            v["event"] == "item/created" && v["itemId"] == id.as_str() && !h.contains_key(WEBHOOK_SECRET_HEADER)
        })
        .await;
    assert!(matches!(env.provider.verify_webhook(&bare, bare_body.as_bytes()).await, Err(WebhookError::Unverified(_))));

    // The sync signal, once the item is updated.
    env.advance(10).await;
    env.provider.prepare_sync(&item_ref(&id)).await.expect("tick");
    let (headers, body) = env
        .wait_hook(|h, v| {
            v["event"] == "item/updated" && v["itemId"] == id.as_str() && h.contains_key(WEBHOOK_SECRET_HEADER)
        })
        .await;
    let event = env.provider.verify_webhook(&headers, body.as_bytes()).await.expect("verified");
    assert_eq!(event.action, WebhookAction::Sync);

    // A wrong secret, and a right secret on another client's event.
    let mut wrong = headers.clone();
    wrong.insert(WEBHOOK_SECRET_HEADER, "first".parse().expect("header"));
    assert!(matches!(env.provider.verify_webhook(&wrong, body.as_bytes()).await, Err(WebhookError::Unverified(_))));
    let mut other: Value = serde_json::from_str(&body).expect("json");
    other["clientId"] = json!("another-client");
    let other = other.to_string();
    assert!(matches!(env.provider.verify_webhook(&headers, other.as_bytes()).await, Err(WebhookError::Unverified(_))));
}

#[tokio::test]
async fn removing_twice_is_fine_and_the_item_is_then_revoked() {
    let env = Env::start().await;
    let (_, linked) = env.linked().await;
    env.provider.remove(&linked.item).await.expect("remove");
    env.provider.remove(&linked.item).await.expect("already gone");
    assert_eq!(
        api_kind(env.provider.prepare_sync(&linked.item).await),
        (ApiErrorKind::Revoked, "ITEM_NOT_FOUND".into())
    );
}

/// A stub Pluggy for what the sandbox does not do: stale `UPDATED` items
/// (our clock, not the sandbox's, decides what is stale), the 409 of a
/// refresh asked too soon, and a key refused every time.
async fn stub(patch_status: u16) -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    use axum::routing::{get, post};
    let stale = (Utc::now() - TimeDelta::hours(5)).to_rfc3339();
    let item = json!({
        "id": "00000000-0000-4000-8000-000000000001",
        "connector": {"id": 0, "name": "Pluggy Bank"},
        "status": "UPDATED", "executionStatus": "SUCCESS", "error": null,
        "lastUpdatedAt": stale, "consentExpiresAt": "2027-01-01T00:00:00.000Z",
    });
    let too_soon = json!({
        "code": 409, "codeDescription": "CLIENT_IS_UPDATING_BEFORE_ALLOWED_FREQUENCY",
        "message": "Item was updated too recently", "data": {"minUpdateFrequencyAllowedInHours": 8}
    });
    let status = axum::http::StatusCode::from_u16(patch_status).expect("status");
    let patch_body = if patch_status == 409 { too_soon } else { item.clone() };
    let router = Router::new()
        .route("/auth", post(|| async { axum::Json(json!({"apiKey": "opaque-key"})) }))
        .route(
            "/items/{id}",
            get(move || {
                let item = item.clone();
                async move { axum::Json(item) }
            })
            .patch(move || {
                let body = patch_body.clone();
                async move { (status, axum::Json(body)) }
            }),
        )
        .route(
            "/connectors",
            get(|| async {
                (axum::http::StatusCode::FORBIDDEN, axum::Json(json!({"code": 403, "message": "Forbidden"})))
            }),
        );
    let (router, auths) = counting(router, "/auth");
    let (router, patches) = {
        let count = Arc::new(AtomicUsize::new(0));
        let counter = count.clone();
        let router = router.layer(axum::middleware::from_fn(move |req: Request, next: Next| {
            let counter = counter.clone();
            async move {
                if req.method() == axum::http::Method::PATCH {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                next.run(req).await
            }
        }));
        (router, count)
    };
    let (base, handle) = serve(router).await;
    (base, auths, patches, handle)
}

#[tokio::test]
async fn stale_items_are_refreshed_unless_too_soon() {
    let item = item_ref("00000000-0000-4000-8000-000000000001");
    let (base, _, patches, _server) = stub(200).await;
    let provider = provider_for(&base, CLIENT_SECRET);
    assert_eq!(
        provider.prepare_sync(&item).await.expect("refresh"),
        ItemReadiness::Busy { retry_in: Duration::from_secs(5) }
    );
    assert_eq!(patches.load(Ordering::SeqCst), 1);

    let (base, _, patches, _server) = stub(409).await;
    let provider = provider_for(&base, CLIENT_SECRET);
    let consent = chrono::DateTime::parse_from_rfc3339("2027-01-01T00:00:00Z").expect("date").with_timezone(&Utc);
    assert_eq!(
        provider.prepare_sync(&item).await.expect("too soon"),
        ItemReadiness::Ready { consent_expires_at: Some(consent) }
    );
    assert_eq!(patches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_key_refused_twice_is_given_up_after_one_reauth() {
    let (base, auths, _, _server) = stub(200).await;
    let provider = provider_for(&base, CLIENT_SECRET);
    let result = provider.search_institutions("", None).await;
    assert_eq!(api_kind(result), (ApiErrorKind::Permanent, "HTTP_403".into()));
    assert_eq!(auths.load(Ordering::SeqCst), 2, "the first key, and one more");
}
