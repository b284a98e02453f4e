//! Connect and sync end to end: the whole app (REST, webhooks, the sync
//! engine) and the provider emulations it hosts, over real HTTP, on SQLite
//! and PostgreSQL. Workers are driven by hand (`run_one`) so each test
//! decides when a sync happens.

use std::net::SocketAddr;
use std::sync::Arc;

use clap::Parser as _;
use leptos::config::LeptosOptions;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use super::worker::run_one;
use crate::model::{ConnectionStatus, ProviderKind, User};
use crate::server::app_router;
use crate::server::config::Cli;
use crate::server::connect;
use crate::server::crypto::Keyring;
use crate::server::launch;
use crate::server::sandbox::{self, Sandbox};
use crate::server::security::ClientInfo;
use crate::server::state::AppState;
use crate::server::store::bank::{TransactionOverrides, TransactionQuery};
use crate::server::store::testing::{TestDb, on_both_backends};

on_both_backends!(
    plaid_connect_sync_and_changes,
    pending_posts_without_duplicate_and_keeps_the_note,
    a_crash_between_pages_resumes_with_nothing_lost_or_doubled,
    two_syncs_of_one_connection_run_once,
    rate_limits_back_off_and_record_when_to_retry,
    login_required_needs_relink_and_update_mode_repairs,
    the_same_login_twice_is_refused_and_relinking_never_duplicates,
    plaid_webhooks_verified_forged_and_replayed,
    disconnect_removes_at_the_provider_then_here,
    another_user_sees_none_of_it,
    rest_shapes_and_validation,
    pluggy_connect_sync_login_error_and_repair,
    pluggy_webhooks_verified_forged_and_replayed,
    the_schedule_queues_due_connections_once,
    edits_survive_syncs_and_exports_follow_the_filter,
    a_running_sync_shows_its_progress_page_by_page,
);

/// The app with its sandbox on a free port, and one signed-in user.
struct World {
    state: AppState,
    base: String,
    http: reqwest::Client,
    user: User,
    _data: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for World {
    fn drop(&mut self) {
        self.server.abort();
    }
}

const PASSWORD: &str = "correct horse battery";

impl World {
    async fn start(db: &TestDb) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut config = Cli::try_parse_from(["tributary"]).expect("defaults").config;
        config.base_url = format!("http://{addr}").parse().expect("url");
        config.data_dir = data.path().to_owned();
        config.login_limit = 1000;
        config.register_limit = 1000;
        let sandbox = Sandbox::new(
            (sandbox::plaid::DEFAULT_CLIENT_ID.into(), sandbox::plaid::DEFAULT_SECRET.into()),
            (sandbox::pluggy::DEFAULT_CLIENT_ID.into(), sandbox::pluggy::DEFAULT_CLIENT_SECRET.into()),
            Some(data.path()),
        );
        let local = launch::local_base(addr);
        let set = launch::providers(&config, &local).expect("providers");
        let keyring = Arc::new(Keyring::generate(1));
        let store = db.store();
        let sync = launch::engine(store.clone(), keyring.clone(), set.providers);
        launch::setup_pluggy_webhooks(&config, store.as_ref(), &keyring, set.pluggy, &local).await.expect("webhooks");
        let leptos_options = LeptosOptions::builder().output_name("tributary").site_addr(addr).build();
        let state = AppState { leptos_options, config: Arc::new(config), store, keyring, sandbox: Some(sandbox), sync };
        let app = app_router::build(state.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await;
        });
        let http = reqwest::Client::builder().cookie_store(true).build().expect("client");
        let base = format!("http://{addr}");
        let email = format!("sync-{}@example.com", Uuid::new_v4().simple());
        let res = http
            .post(format!("{base}/api/auth/register"))
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .expect("register");
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.expect("json");
        let user: User = serde_json::from_value(body["user"].clone()).expect("user");
        Self { state, base, http, user, _data: data, server }
    }

    /// A second user of the same app, with their own cookies.
    async fn other_user(&self) -> reqwest::Client {
        let http = reqwest::Client::builder().cookie_store(true).build().expect("client");
        let email = format!("other-{}@example.com", Uuid::new_v4().simple());
        let res = http
            .post(format!("{}/api/auth/register", self.base))
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .expect("register");
        assert_eq!(res.status(), StatusCode::CREATED);
        http
    }

    async fn plaid(&self, path: &str, mut body: Value) -> Value {
        body["client_id"] = json!(sandbox::plaid::DEFAULT_CLIENT_ID);
        body["secret"] = json!(sandbox::plaid::DEFAULT_SECRET);
        let res = self.http.post(format!("{}/sandbox/plaid{path}", self.base)).json(&body).send().await.expect("call");
        let status = res.status();
        let value: Value = res.json().await.expect("json");
        assert_eq!(status, StatusCode::OK, "{path}: {value}");
        value
    }

    /// Goes through Plaid Link as the widget does: a link token from the
    /// app (new, or update mode for `connection`), then the emulated Link's
    /// log-in; returns the public token Link hands to `onSuccess`.
    async fn plaid_link(&self, institution: &str, connection: Option<Uuid>) -> String {
        let link = connect::link_token(&self.state, &self.user, ProviderKind::Plaid, vec![], connection)
            .await
            .expect("link token");
        let sandbox = format!("{}/sandbox/plaid", self.base);
        let login: Value = self
            .http
            .post(format!("{sandbox}/__link/login"))
            .json(&json!({ "token": link.token, "institution_id": institution,
                           "username": "user_good", "password": "pass_good" }))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("json");
        let done: Value = self
            .http
            .post(format!("{sandbox}/__link/complete"))
            .json(&json!({ "token": link.token, "login_token": login["login_token"], "account_ids": [] }))
            .send()
            .await
            .expect("complete")
            .json()
            .await
            .expect("json");
        done["public_token"].as_str().unwrap_or_else(|| panic!("public token in {done}")).to_owned()
    }

    async fn connect_plaid(&self, institution: &str) -> Uuid {
        let token = self.plaid_link(institution, None).await;
        let made = connect::connect(&self.state, &self.user, ProviderKind::Plaid, &token, None, &ClientInfo::default())
            .await
            .expect("connect");
        assert!(!made.relinked);
        assert!(made.accounts_count >= 2, "{made:?}");
        made.connection_id
    }

    /// Runs queued jobs until none is due.
    async fn drain(&self) -> usize {
        let mut ran = 0;
        while run_one(&self.state.sync, "test-worker").await {
            ran += 1;
            assert!(ran < 20, "the queue does not drain");
        }
        ran
    }

    async fn transactions(&self) -> Vec<crate::server::store::bank::TransactionRecord> {
        let query = TransactionQuery { user_id: self.user.id, limit: 100_000, ..TransactionQuery::default() };
        self.state.store.transactions(&query).await.expect("transactions").0
    }

    async fn status(&self, connection: Uuid) -> ConnectionStatus {
        self.state.store.connection(connection).await.expect("read").expect("exists").status
    }

    async fn latest_run(&self, connection: Uuid) -> crate::server::store::jobs::SyncRunRecord {
        let runs = self.state.store.user_sync_runs(self.user.id, Some(connection), 1).await.expect("runs");
        runs.into_iter().next().expect("a run")
    }

    async fn item_id(&self, connection: Uuid) -> String {
        self.state.store.connection(connection).await.expect("read").expect("exists").provider_item_id
    }

    async fn access_token(&self, connection: Uuid) -> String {
        let c = self.state.store.connection(connection).await.expect("read").expect("exists");
        self.state.sync.item(&c).expect("token").secret.expose().to_owned()
    }

    async fn advance_plaid(&self, connection: Uuid, days: i64) {
        let item = self.item_id(connection).await;
        let res = self
            .http
            .post(format!("{}/sandbox/plaid/__control/clock", self.base))
            .json(&json!({ "days": days, "item_id": item }))
            .send()
            .await
            .expect("clock");
        assert!(res.status().is_success());
    }

    async fn fault(&self, provider: &str, rule: Value) {
        let res = self
            .http
            .post(format!("{}/sandbox/{provider}/__control/faults", self.base))
            .json(&rule)
            .send()
            .await
            .expect("fault");
        assert!(res.status().is_success(), "{}", res.text().await.unwrap_or_default());
    }

    /// A Pluggy call with `key` as `X-API-KEY`, as the widget makes them.
    async fn pluggy_raw(&self, method: reqwest::Method, path: &str, key: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}/sandbox/pluggy{path}", self.base)).header("X-API-KEY", key);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("pluggy call");
        let status = res.status();
        let value: Value = res.json().await.expect("json");
        assert!(status.is_success(), "{path}: {status} {value}");
        value
    }

    /// Moves the Pluggy sandbox's time until the item has finished its run.
    async fn pluggy_wait_updated(&self, key: &str, item: &str) {
        for _ in 0..30 {
            let got = self.pluggy_raw(reqwest::Method::GET, &format!("/items/{item}"), key, None).await;
            if got["status"] == "UPDATED" {
                return;
            }
            let res = self
                .http
                .post(format!("{}/sandbox/pluggy/__control/clock", self.base))
                .json(&json!({ "seconds": 5 }))
                .send()
                .await
                .expect("clock");
            assert!(res.status().is_success());
        }
        panic!("the Pluggy item never finished updating");
    }

    /// Goes through Pluggy Connect as the widget does (new, or update mode
    /// for `connection`); returns the item id `onSuccess` hands back.
    async fn pluggy_connect_widget(&self, connection: Option<Uuid>) -> String {
        let link = connect::link_token(&self.state, &self.user, ProviderKind::Pluggy, vec![], connection)
            .await
            .expect("connect token");
        let login = json!({ "user": "user-ok", "password": "password-ok" });
        let item = match connection {
            None => {
                let made = self
                    .pluggy_raw(
                        reqwest::Method::POST,
                        "/items",
                        &link.token,
                        Some(json!({ "connectorId": 0, "parameters": login })),
                    )
                    .await;
                made["id"].as_str().expect("item id").to_owned()
            }
            Some(c) => {
                let item = self.item_id(c).await;
                self.pluggy_raw(
                    reqwest::Method::PATCH,
                    &format!("/items/{item}"),
                    &link.token,
                    Some(json!({ "parameters": login })),
                )
                .await;
                item
            }
        };
        self.pluggy_wait_updated(&link.token, &item).await;
        item
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let res = self.http.get(format!("{}{path}", self.base)).send().await.expect("get");
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

async fn plaid_connect_sync_and_changes(db: &TestDb) {
    let w = World::start(db).await;
    let connection = w.connect_plaid("ins_109508").await;
    assert_eq!(w.drain().await, 1, "the initial sync was queued at connect");
    let run = w.latest_run(connection).await;
    assert_eq!((run.outcome.as_str(), run.trigger.as_str()), ("success", "link"));
    assert!(run.pages >= 1 && run.added > 100, "{run:?}");
    let first = w.transactions().await;
    assert_eq!(i64::try_from(first.len()).expect("len"), run.added - run.removed);
    assert!(first.iter().any(|t| t.amount > 0) && first.iter().any(|t| t.amount < 0), "money in and out");
    let c = w.state.store.connection(connection).await.expect("read").expect("exists");
    assert_eq!(c.status, ConnectionStatus::Active);
    assert!(c.last_synced_at.is_some() && c.sync_cursor.is_some());

    // Nothing new: a sync adds nothing.
    w.state.sync.request(connection, crate::server::store::jobs::SyncTrigger::Manual).await.expect("request");
    w.drain().await;
    let again = w.latest_run(connection).await;
    assert_eq!((again.outcome.as_str(), again.added, again.modified, again.removed), ("success", 0, 0, 0));

    // Time passes at the bank: new, modified and removed transactions.
    w.advance_plaid(connection, 7).await;
    let before = w.state.store.user_sync_runs(w.user.id, Some(connection), 100).await.expect("runs").len();
    w.state.sync.request(connection, crate::server::store::jobs::SyncTrigger::Manual).await.expect("request");
    w.drain().await;
    // The sandbox also announces the change by webhook, so the work may be
    // split over the requested run and a webhook-triggered one: count both.
    let runs = w.state.store.user_sync_runs(w.user.id, Some(connection), 100).await.expect("runs");
    let new_runs = &runs[..runs.len() - before];
    assert!(new_runs.iter().all(|r| r.outcome == "success"), "{new_runs:?}");
    let later = new_runs.iter().fold(crate::server::store::bank::PageCounts::default(), |mut acc, r| {
        acc += crate::server::store::bank::PageCounts { added: r.added, modified: r.modified, removed: r.removed };
        acc
    });
    assert!(later.added > 0, "new transactions appear: {later:?}");
    assert!(later.removed > 0, "pending ones that posted are removed: {later:?}");
    let now = w.transactions().await;
    assert_eq!(
        i64::try_from(now.len()).expect("len") - i64::try_from(first.len()).expect("len"),
        later.added - later.removed
    );
    let mut ids: Vec<_> = now.iter().map(|t| t.provider_transaction_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), now.len(), "no duplicates");
    let snapshots = w.state.store.user_accounts(w.user.id).await.expect("accounts");
    assert!(!snapshots.is_empty());
    let history = w
        .state
        .store
        .balance_history(snapshots[0].id, chrono::Utc::now().date_naive() - chrono::TimeDelta::days(2))
        .await
        .expect("history");
    assert_eq!(history.len(), 1, "a balance snapshot per account per day");
}

async fn pending_posts_without_duplicate_and_keeps_the_note(db: &TestDb) {
    let w = World::start(db).await;
    let connection = w.connect_plaid("ins_109508").await;
    w.drain().await;
    let pending: Vec<_> = w.transactions().await.into_iter().filter(|t| t.pending).collect();
    assert!(!pending.is_empty(), "the sandbox has pending transactions");
    for p in &pending {
        let note = format!("note for {}", p.provider_transaction_id);
        let overrides = TransactionOverrides { note: Some(Some(note)), ..TransactionOverrides::default() };
        w.state.store.set_transaction_overrides(w.user.id, p.id, &overrides).await.expect("note");
    }
    w.advance_plaid(connection, 10).await;
    w.state.sync.request(connection, crate::server::store::jobs::SyncTrigger::Webhook).await.expect("request");
    w.drain().await;
    let after = w.transactions().await;
    let pending_ids: Vec<_> = pending.iter().map(|p| p.provider_transaction_id.clone()).collect();
    assert!(
        after.iter().all(|t| !pending_ids.contains(&t.provider_transaction_id)),
        "every old pending transaction has posted (or was reversed) and is gone"
    );
    let carried: Vec<_> = after.iter().filter(|t| t.user_note.is_some()).collect();
    assert!(!carried.is_empty(), "posted transactions inherit the notes");
    for t in carried {
        assert!(!t.pending);
        let note = t.user_note.as_deref().unwrap_or_default();
        assert!(pending_ids.iter().any(|id| note == format!("note for {id}")), "{note}");
    }
}

async fn a_crash_between_pages_resumes_with_nothing_lost_or_doubled(db: &TestDb) {
    let w = World::start(db).await;
    let connection = w.connect_plaid("ins_109508").await;
    // The worker "crashes" after committing the first page: apply it by hand,
    // as the engine would, and stop.
    let record = w.state.store.connection(connection).await.expect("read").expect("exists");
    let provider = w.state.sync.provider(&record).expect("provider");
    let item = w.state.sync.item(&record).expect("item");
    let accounts = provider.accounts(&item).await.expect("accounts");
    let first = provider.transactions(&item, None, &accounts).await.expect("first page");
    assert!(first.has_more, "the history spans several pages");
    w.state.store.apply_page(connection, None, &first, chrono::Utc::now()).await.expect("first page applied");
    // The truth: replay every page from the start in memory.
    let mut truth = std::collections::BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = provider.transactions(&item, cursor.as_deref(), &accounts).await.expect("page");
        for t in &page.upserts {
            truth.insert(t.provider_transaction_id.clone());
        }
        for r in &page.removed {
            truth.remove(r);
        }
        cursor = Some(page.next_cursor);
        if !page.has_more {
            break;
        }
    }
    // The queued initial sync resumes from the committed cursor.
    w.drain().await;
    let run = w.latest_run(connection).await;
    assert_eq!(run.outcome, "success");
    let stored: std::collections::BTreeSet<_> =
        w.transactions().await.into_iter().map(|t| t.provider_transaction_id).collect();
    assert_eq!(stored, truth, "nothing lost, nothing doubled");
}

async fn two_syncs_of_one_connection_run_once(db: &TestDb) {
    let w = World::start(db).await;
    let connection = w.connect_plaid("ins_109508").await;
    let a = w.state.sync.request(connection, crate::server::store::jobs::SyncTrigger::Manual).await.expect("a");
    let b = w.state.sync.request(connection, crate::server::store::jobs::SyncTrigger::Manual).await.expect("b");
    assert_eq!(a.run_id, b.run_id, "joined the queued initial sync");
    let (x, y) = tokio::join!(run_one(&w.state.sync, "w1"), run_one(&w.state.sync, "w2"));
    assert!(x ^ y, "exactly one worker ran it");
    assert_eq!(w.drain().await, 0);
    let runs = w.state.store.user_sync_runs(w.user.id, Some(connection), 10).await.expect("runs");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].outcome, "success");
}

async fn rate_limits_back_off_and_record_when_to_retry(db: &TestDb) {
    let w = World::start(db).await;
    let connection = w.connect_plaid("ins_109508").await;
    let item = w.item_id(connection).await;
    w.fault("plaid", json!({ "path": "/transactions/sync", "kind": "rate_limit", "count": 50, "item_id": item })).await;
    let before = chrono::Utc::now();
    w.drain().await;
    let c = w.state.store.connection(connection).await.expect("read").expect("exists");
    assert_eq!(c.status, ConnectionStatus::RateLimited);
    let allowed = c.next_sync_allowed_at.expect("when it may retry is recorded");
    assert!(allowed > before);
    assert!(c.status_detail.is_some());
    let run = w.latest_run(connection).await;
    assert_eq!(run.outcome, "queued", "the next attempt waits in the queue");
    let runs = w.state.store.user_sync_runs(w.user.id, Some(connection), 10).await.expect("runs");
    assert!(runs.iter().any(|r| r.outcome == "rate_limited" && r.error_code.is_some()), "{runs:?}");
    assert_eq!(w.drain().await, 0, "nothing runs before the allowed time");
    let (_, list) = w.get("/api/connections").await;
    let shown = &list["connections"][0]["next_sync_allowed_at"];
    assert_eq!(shown, &json!(crate::server::views::time(allowed)), "the wait is shown while it is ahead");
}

async fn login_required_needs_relink_and_update_mode_repairs(db: &TestDb) {
    let w = World::start(db).await;
    let connection = w.connect_plaid("ins_109508").await;
    w.drain().await;
    let access = w.access_token(connection).await;
    w.plaid("/sandbox/item/reset_login", json!({ "access_token": access })).await;
    w.state.sync.request(connection, crate::server::store::jobs::SyncTrigger::Manual).await.expect("request");
    w.drain().await;
    assert_eq!(w.status(connection).await, ConnectionStatus::NeedsRelink);
    let run = w.latest_run(connection).await;
    assert_eq!((run.outcome.as_str(), run.error_code.as_deref()), ("needs_relink", Some("ITEM_LOGIN_REQUIRED")));

    // Update mode: Link for this connection, then connect with its id.
    let token = w.plaid_link("ins_109508", Some(connection)).await;
    let fixed =
        connect::connect(&w.state, &w.user, ProviderKind::Plaid, &token, Some(connection), &ClientInfo::default())
            .await
            .expect("relink");
    assert!(fixed.relinked);
    assert_eq!(fixed.connection_id, connection);
    w.drain().await;
    assert_eq!(w.status(connection).await, ConnectionStatus::Active);
    assert_eq!(w.latest_run(connection).await.outcome, "success");
}

async fn the_same_login_twice_is_refused_and_relinking_never_duplicates(db: &TestDb) {
    let w = World::start(db).await;
    let connection = w.connect_plaid("ins_109508").await;
    let token = w.plaid_link("ins_109508", None).await;
    let err = connect::connect(&w.state, &w.user, ProviderKind::Plaid, &token, None, &ClientInfo::default())
        .await
        .expect_err("the same login again");
    assert!(matches!(&err, crate::error::AppError::Conflict(m) if m.contains("already connected")), "{err:?}");
    // A different bank is fine.
    w.connect_plaid("ins_109509").await;
    // Update mode twice: still one connection.
    for _ in 0..2 {
        let token = w.plaid_link("ins_109508", Some(connection)).await;
        connect::connect(&w.state, &w.user, ProviderKind::Plaid, &token, Some(connection), &ClientInfo::default())
            .await
            .expect("relink");
    }
    assert_eq!(w.state.store.user_connections(w.user.id).await.expect("list").len(), 2);
}

async fn plaid_webhooks_verified_forged_and_replayed(db: &TestDb) {
    let w = World::start(db).await;
    let connection = w.connect_plaid("ins_109508").await;
    w.drain().await;
    let access = w.access_token(connection).await;
    // Capture a genuine delivery: point the item's webhook at a receiver.
    let (hook, received, _server) = crate::server::sandbox::test_support::webhook_receiver().await;
    w.plaid("/item/webhook/update", json!({ "access_token": access, "webhook": hook })).await;
    w.plaid("/sandbox/item/fire_webhook", json!({ "access_token": access, "webhook_code": "SYNC_UPDATES_AVAILABLE" }))
        .await;
    let (headers, body) = loop {
        let found = received.lock().expect("lock").iter().find(|(_, b)| b.contains("SYNC_UPDATES_AVAILABLE")).cloned();
        if let Some(found) = found {
            break found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let jwt = headers.get("plaid-verification").and_then(|v| v.to_str().ok()).expect("signed").to_owned();
    let post = |body: String, jwt: Option<String>| {
        let mut req = w.http.post(format!("{}/api/plaid/webhook", w.base)).body(body);
        if let Some(jwt) = jwt {
            req = req.header("Plaid-Verification", jwt);
        }
        req.header("Content-Type", "application/json").send()
    };
    let events = || db.count("select count(*) from webhook_events", &[]);
    assert_eq!(events().await, 0);

    // Forged: no signature, or a body that is not the signed one.
    assert_eq!(post(body.clone(), None).await.expect("post").status(), StatusCode::UNAUTHORIZED);
    let tampered = body.replace("SYNC_UPDATES_AVAILABLE", "DEFAULT_UPDATE");
    assert_eq!(post(tampered, Some(jwt.clone())).await.expect("post").status(), StatusCode::UNAUTHORIZED);
    // Stale: a genuine signature made long ago.
    let signer = &w.state.sandbox.as_ref().expect("sandbox").plaid.signer;
    let old = signer.token(body.as_bytes(), chrono::Utc::now().timestamp() - 600);
    assert_eq!(post(body.clone(), Some(old)).await.expect("post").status(), StatusCode::UNAUTHORIZED);
    assert_eq!(events().await, 0, "nothing stored for unverified deliveries");

    // Verified: recorded once, a sync queued; the replay is ignored.
    let res = post(body.clone(), Some(jwt.clone())).await.expect("post");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.expect("json")["status"], "sync queued");
    let replay = post(body, Some(jwt)).await.expect("post");
    assert_eq!(replay.status(), StatusCode::OK);
    assert_eq!(replay.json::<Value>().await.expect("json")["status"], "duplicate");
    assert_eq!(events().await, 1);
    assert_eq!(w.drain().await, 1);
    assert_eq!(w.latest_run(connection).await.trigger.as_str(), "webhook");
}

async fn disconnect_removes_at_the_provider_then_here(db: &TestDb) {
    let w = World::start(db).await;
    let connection = w.connect_plaid("ins_109508").await;
    w.drain().await;
    let access = w.access_token(connection).await;
    let res = w.http.delete(format!("{}/api/connections/{connection}", w.base)).send().await.expect("delete");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(w.state.store.connection(connection).await.expect("read").is_none());
    assert!(w.transactions().await.is_empty());
    assert!(w.state.store.user_accounts(w.user.id).await.expect("accounts").is_empty());
    let res = w
        .http
        .post(format!("{}/sandbox/plaid/item/get", w.base))
        .json(&json!({ "client_id": sandbox::plaid::DEFAULT_CLIENT_ID, "secret": sandbox::plaid::DEFAULT_SECRET,
                        "access_token": access }))
        .send()
        .await
        .expect("item/get");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "the access token no longer works at Plaid");
    let again = w.http.delete(format!("{}/api/connections/{connection}", w.base)).send().await.expect("delete");
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

async fn another_user_sees_none_of_it(db: &TestDb) {
    let w = World::start(db).await;
    let connection = w.connect_plaid("ins_109508").await;
    w.drain().await;
    let account = w.state.store.user_accounts(w.user.id).await.expect("accounts")[0].id;
    let other = w.other_user().await;
    let get = |path: String| other.get(format!("{}{path}", w.base)).send();
    for path in ["/api/accounts", "/api/connections", "/api/sync-logs"] {
        let body: Value = get(path.into()).await.expect("get").json().await.expect("json");
        let list = body.as_object().and_then(|o| o.values().next()).and_then(Value::as_array).expect("a list");
        assert!(list.is_empty(), "{path}: {body}");
    }
    let body: Value = get("/api/transactions".into()).await.expect("get").json().await.expect("json");
    assert_eq!(body["total_count"], 0);
    for path in [
        format!("/api/accounts/{account}/balance"),
        format!("/api/transactions?account_id={account}"),
        format!("/api/sync-logs?connection_id={connection}"),
    ] {
        assert_eq!(get(path.clone()).await.expect("get").status(), StatusCode::NOT_FOUND, "{path}");
    }
    let sync = other
        .post(format!("{}/api/transactions/sync", w.base))
        .json(&json!({ "connection_id": connection }))
        .send()
        .await
        .expect("sync");
    assert_eq!(sync.status(), StatusCode::NOT_FOUND);
    let relink = other
        .post(format!("{}/api/plaid/link-token", w.base))
        .json(&json!({ "connection_id": connection }))
        .send()
        .await
        .expect("link");
    assert_eq!(relink.status(), StatusCode::NOT_FOUND);
    let delete = other.delete(format!("{}/api/connections/{connection}", w.base)).send().await.expect("delete");
    assert_eq!(delete.status(), StatusCode::NOT_FOUND);
    assert!(w.state.store.connection(connection).await.expect("read").is_some(), "still there");
}

async fn rest_shapes_and_validation(db: &TestDb) {
    let w = World::start(db).await;
    let (status, body) = w.get("/api/accounts").await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "accounts": [] })));
    let res = w.http.post(format!("{}/api/plaid/link-token", w.base)).json(&json!({})).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::OK);
    let link: Value = res.json().await.expect("json");
    assert!(link["link_token"].as_str().is_some_and(|t| t.starts_with("link-sandbox-")), "{link}");
    assert!(link["expiration"].is_string());

    let token = w.plaid_link("ins_109508", None).await;
    let res = w
        .http
        .post(format!("{}/api/plaid/connect", w.base))
        .json(&json!({ "public_token": token }))
        .send()
        .await
        .expect("connect");
    assert_eq!(res.status(), StatusCode::CREATED);
    let made: Value = res.json().await.expect("json");
    assert!(made["connection_id"].is_string() && made["accounts_count"].as_i64() >= Some(2));
    assert_eq!(made["institution_name"].as_str().map(str::is_empty), Some(false));
    w.drain().await;

    let (_, accounts) = w.get("/api/accounts").await;
    let first = &accounts["accounts"][0];
    for key in [
        "id",
        "connection_id",
        "institution_name",
        "name",
        "mask",
        "type",
        "subtype",
        "currency",
        "current_balance",
        "available_balance",
        "limit",
        "provider",
        "status",
    ] {
        assert!(first.get(key).is_some(), "account has {key}: {first}");
    }
    assert_eq!(first["provider"], "plaid");
    let (status, balance) = w.get(&format!("/api/accounts/{}/balance", first["id"].as_str().expect("id"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(balance["history"].as_array().map(Vec::len), Some(1));

    let (status, page) = w.get("/api/transactions?limit=5&offset=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((page["limit"].as_i64(), page["offset"].as_i64()), (Some(5), Some(2)));
    assert!(page["total_count"].as_i64() > Some(100));
    let t = &page["transactions"][0];
    for key in ["id", "account_id", "date", "name", "merchant_name", "amount", "currency", "category", "pending"] {
        assert!(t.get(key).is_some(), "transaction has {key}: {t}");
    }
    for (path, field) in [
        ("/api/transactions?limit=0", "limit"),
        ("/api/transactions?limit=abc", "limit"),
        ("/api/transactions?start_date=2024-13-01", "start_date"),
        ("/api/transactions?start_date=2024-02-01&end_date=2024-01-01", "start_date"),
        ("/api/transactions?account_id=nope", "account_id"),
        ("/api/plaid/institutions/search?q=", "q"),
        ("/api/summary?end_date=yesterday", "end_date"),
    ] {
        let (status, body) = w.get(path).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert_eq!(body["error"]["field"], field, "{path}");
    }
    let (status, found) = w.get("/api/plaid/institutions/search?q=platypus&country=us").await;
    assert_eq!(status, StatusCode::OK);
    assert!(found["institutions"].as_array().is_some_and(|l| !l.is_empty()), "{found}");

    let res = w.http.post(format!("{}/api/transactions/sync", w.base)).json(&json!({})).send().await.expect("sync");
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let queued: Value = res.json().await.expect("json");
    assert_eq!(queued["run_ids"].as_array().map(Vec::len), Some(1));
    let (_, logs) = w.get("/api/sync-logs").await;
    assert!(logs["sync_logs"].as_array().is_some_and(|l| l.len() == 2), "{logs}");
    let (_, connections) = w.get("/api/connections").await;
    assert_eq!(connections["connections"][0]["status"], "active");
    assert_eq!(connections["connections"][0]["syncing"], true);
    let next = connections["connections"][0]["next_sync_at"].as_str().expect("the next scheduled sync");
    assert!(chrono::DateTime::parse_from_rfc3339(next).is_ok_and(|t| t > chrono::Utc::now()), "{next}");
    assert!(connections["connections"][0]["next_sync_allowed_at"].is_null(), "no rate limit");
    let (status, summary) = w.get("/api/summary").await;
    assert_eq!(status, StatusCode::OK);
    assert!(summary["total_balance"].as_array().is_some_and(|l| !l.is_empty()), "{summary}");
    assert!(summary["spending"][0]["amount"].as_f64() > Some(0.0));
    let (status, openapi) = w.get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(openapi["openapi"], "3.1.0");
    assert!(openapi["paths"]["/api/transactions"].is_object());
}

async fn pluggy_connect_sync_login_error_and_repair(db: &TestDb) {
    let w = World::start(db).await;
    let item = w.pluggy_connect_widget(None).await;
    let made = connect::connect(&w.state, &w.user, ProviderKind::Pluggy, &item, None, &ClientInfo::default())
        .await
        .expect("connect");
    assert!(made.accounts_count >= 2, "{made:?}");
    let connection = made.connection_id;
    w.drain().await;
    let run = w.latest_run(connection).await;
    assert_eq!(run.outcome, "success", "{run:?}");
    assert!(run.added > 50, "{run:?}");
    let txns = w.transactions().await;
    assert!(txns.iter().all(|t| t.currency == "BRL"));
    assert!(txns.iter().any(|t| t.amount > 0) && txns.iter().any(|t| t.amount < 0), "money in and out");

    // The same item again (e.g. the widget handed it back twice): still one connection.
    let again = connect::connect(&w.state, &w.user, ProviderKind::Pluggy, &item, None, &ClientInfo::default())
        .await
        .expect("again");
    assert!(again.relinked);
    assert_eq!(again.connection_id, connection);
    w.drain().await;

    // The bank refuses the login: the connection needs a relink.
    let res = w
        .http
        .post(format!("{}/sandbox/pluggy/__control/items/{item}/status", w.base))
        .json(&json!({ "status": "LOGIN_ERROR" }))
        .send()
        .await
        .expect("control");
    assert!(res.status().is_success());
    w.state.sync.request(connection, crate::server::store::jobs::SyncTrigger::Manual).await.expect("request");
    w.drain().await;
    assert_eq!(w.status(connection).await, ConnectionStatus::NeedsRelink);
    let detail = w.state.store.connection(connection).await.expect("read").expect("exists").status_detail;
    assert!(detail.is_some_and(|d| !d.is_empty()));

    // Update mode: the widget sends the login again; connecting with the
    // connection id brings it back.
    let repaired = w.pluggy_connect_widget(Some(connection)).await;
    assert_eq!(repaired, item);
    let fixed =
        connect::connect(&w.state, &w.user, ProviderKind::Pluggy, &repaired, Some(connection), &ClientInfo::default())
            .await
            .expect("relink");
    assert!(fixed.relinked);
    w.drain().await;
    assert_eq!(w.status(connection).await, ConnectionStatus::Active);
    assert_eq!(w.latest_run(connection).await.outcome, "success");
    // Another user cannot claim this item.
    let stranger = w.state.store.create_user(&format!("s-{}@example.com", Uuid::new_v4().simple()), "h").await;
    let stranger = stranger.expect("user");
    let err = connect::connect(&w.state, &stranger, ProviderKind::Pluggy, &item, None, &ClientInfo::default())
        .await
        .expect_err("not theirs");
    assert!(matches!(err, crate::error::AppError::Validation { .. } | crate::error::AppError::NotFound), "{err:?}");
}

async fn pluggy_webhooks_verified_forged_and_replayed(db: &TestDb) {
    let w = World::start(db).await;
    let item = w.pluggy_connect_widget(None).await;
    let made = connect::connect(&w.state, &w.user, ProviderKind::Pluggy, &item, None, &ClientInfo::default())
        .await
        .expect("connect");
    w.drain().await;
    let secret = launch::pluggy_webhook_secret(w.state.store.as_ref(), &w.state.keyring).await.expect("secret");
    let header = crate::server::provider::pluggy::WEBHOOK_SECRET_HEADER;
    let event_id = Uuid::new_v4().to_string();
    let body = json!({ "event": "transactions/created", "eventId": event_id, "itemId": item,
                       "clientId": sandbox::pluggy::DEFAULT_CLIENT_ID, "accountId": Uuid::new_v4() });
    let post = |body: Value, secret: Option<&str>| {
        let mut req = w.http.post(format!("{}/api/pluggy/webhook", w.base)).json(&body);
        if let Some(secret) = secret {
            req = req.header(header, secret);
        }
        req.send()
    };
    // The sandbox's own deliveries (item events) arrive too: count ours.
    let key = [crate::server::store::testing::Val::Text(event_id.clone())];
    let events = || db.count("select count(*) from webhook_events where delivery_key = $1", &key);
    assert_eq!(post(body.clone(), None).await.expect("post").status(), StatusCode::UNAUTHORIZED);
    assert_eq!(post(body.clone(), Some("guess")).await.expect("post").status(), StatusCode::UNAUTHORIZED);
    let mut other_client = body.clone();
    other_client["clientId"] = json!("someone-else");
    assert_eq!(post(other_client, Some(&secret)).await.expect("post").status(), StatusCode::UNAUTHORIZED);
    assert_eq!(events().await, 0, "nothing stored for unverified deliveries");

    let res = post(body.clone(), Some(&secret)).await.expect("post");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.expect("json")["status"], "sync queued");
    let replay = post(body, Some(&secret)).await.expect("post");
    assert_eq!(replay.json::<Value>().await.expect("json")["status"], "duplicate");
    assert_eq!(events().await, 1);
    w.drain().await;
    let runs = w.state.store.user_sync_runs(w.user.id, Some(made.connection_id), 10).await.expect("runs");
    assert!(runs.iter().any(|r| r.trigger.as_str() == "webhook" && r.outcome == "success"), "{runs:?}");

    // An item error by webhook moves the connection to needs_relink.
    let error = json!({ "event": "item/error", "eventId": Uuid::new_v4().to_string(), "itemId": item,
                        "clientId": sandbox::pluggy::DEFAULT_CLIENT_ID,
                        "error": { "code": "INVALID_CREDENTIALS", "message": "Invalid credentials." } });
    assert_eq!(post(error, Some(&secret)).await.expect("post").status(), StatusCode::OK);
    assert_eq!(w.status(made.connection_id).await, ConnectionStatus::NeedsRelink);
}

async fn the_schedule_queues_due_connections_once(db: &TestDb) {
    let w = World::start(db).await;
    let connection = w.connect_plaid("ins_109508").await;
    w.drain().await;
    assert_eq!(super::scheduler::schedule_due(&w.state.sync).await.expect("schedule"), 0, "not due yet");
    let past = chrono::Utc::now() - chrono::TimeDelta::minutes(1);
    db.exec(
        "update connections set next_sync_at = $1 where id = $2",
        &[crate::server::store::testing::Val::Time(past), crate::server::store::testing::Val::Id(connection)],
    )
    .await;
    assert_eq!(super::scheduler::schedule_due(&w.state.sync).await.expect("schedule"), 1);
    assert_eq!(super::scheduler::schedule_due(&w.state.sync).await.expect("schedule"), 0, "claimed once");
    w.drain().await;
    let run = w.latest_run(connection).await;
    assert_eq!((run.trigger.as_str(), run.outcome.as_str()), ("schedule", "success"));
    let next = w.state.store.connection(connection).await.expect("read").expect("exists").next_sync_at;
    let hours = (next.expect("next sync") - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((5.3..=6.7).contains(&hours), "next sync in about six hours: {hours}");
}

async fn edits_survive_syncs_and_exports_follow_the_filter(db: &TestDb) {
    let w = World::start(db).await;
    let connection = w.connect_plaid("ins_109508").await;
    w.drain().await;
    let (_, page) = w.get("/api/transactions?pending=false&limit=1").await;
    let id = page["transactions"][0]["id"].as_str().expect("a transaction").to_owned();
    assert_eq!(page["transactions"][0]["category_edited"], false);
    assert!(page["transactions"][0]["account_name"].as_str().is_some_and(|n| !n.is_empty()), "{page}");

    let patch = async |body: Value| {
        let res = w.http.patch(format!("{}/api/transactions/{id}", w.base)).json(&body).send().await.expect("patch");
        let status = res.status();
        (status, res.json::<Value>().await.unwrap_or(Value::Null))
    };
    let (status, saved) = patch(json!({ "category": "Dining out", "note": "  team lunch  ", "hidden": true })).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        (&saved["category"], &saved["category_edited"], &saved["note"], &saved["hidden"]),
        (&json!("Dining out"), &json!(true), &json!("team lunch"), &json!(true))
    );
    let (status, body) = patch(json!({ "note": "x".repeat(501) })).await;
    assert_eq!((status, &body["error"]["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("note")));
    let (status, _) = patch(json!({ "colour": "red" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "unknown fields are refused");
    let other = w.other_user().await;
    let res = other.patch(format!("{}/api/transactions/{id}", w.base)).json(&json!({ "hidden": false })).send().await;
    assert_eq!(res.expect("patch").status(), StatusCode::NOT_FOUND, "another user's transaction");

    // Hidden: out of the list unless asked for; the user's category filters.
    let (_, hidden) = w.get("/api/transactions?category=Dining+out").await;
    assert_eq!(hidden["total_count"], 0);
    let (_, shown) = w.get("/api/transactions?category=Dining+out&include_hidden=true").await;
    assert_eq!(shown["total_count"], 1);

    // A sync (the provider resends everything it has) keeps the user's fields.
    w.state.sync.request(connection, crate::server::store::jobs::SyncTrigger::Manual).await.expect("request");
    w.drain().await;
    let (_, after) = w.get(&format!("/api/transactions/{id}")).await;
    assert_eq!(
        (&after["category"], &after["note"], &after["hidden"]),
        (&json!("Dining out"), &json!("team lunch"), &json!(true))
    );
    let (status, cleared) = patch(json!({ "category": null, "hidden": false })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((&cleared["category_edited"], &cleared["note"]), (&json!(false), &json!("team lunch")));
    assert_eq!(cleared["category"], cleared["provider_category"], "back to the provider's category");

    // The CSV has exactly the rows the filter matches, whatever the paging.
    let (_, filtered) = w.get("/api/transactions?amount_min=10&amount_max=500&pending=false&limit=1").await;
    let res = w
        .http
        .get(format!("{}/api/transactions.csv?amount_min=10&amount_max=500&pending=false&limit=1", w.base))
        .send()
        .await
        .expect("csv");
    assert_eq!(res.status(), StatusCode::OK);
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(content_type.as_deref(), Some("text/csv; charset=utf-8"));
    let disposition = res.headers().get("content-disposition").and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert!(disposition.is_some_and(|d| d.starts_with("attachment; filename=\"tributary-transactions-")));
    let csv = res.text().await.expect("text");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("date,name,merchant,category,account,amount,currency,status,note,hidden"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(Some(i64::try_from(rows.len()).expect("len")), filtered["total_count"].as_i64());
    assert!(rows.len() > 5, "the sandbox has purchases between $10 and $500");
    for row in &rows {
        assert!(row.contains(",posted,"), "{row}");
        let amount: f64 = row.split(',').rev().nth(4).and_then(|a| a.parse().ok()).expect("an amount");
        assert!((10.0..=500.0).contains(&amount.abs()), "{row}");
    }
    for (path, field) in [
        ("/api/transactions.csv?amount_min=abc", "amount_min"),
        ("/api/transactions?amount_min=20&amount_max=10", "amount_min"),
        ("/api/transactions?amount_max=-1", "amount_max"),
        ("/api/transactions?pending=maybe", "pending"),
    ] {
        let (status, body) = w.get(path).await;
        assert_eq!((status, &body["error"]["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!(field)), "{path}");
    }
    // Compressed, as browsers ask for it (the body ends cleanly under gzip).
    let res = w
        .http
        .get(format!("{}/api/transactions.csv", w.base))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("csv");
    assert_eq!(res.headers().get("content-encoding").and_then(|v| v.to_str().ok()), Some("gzip"));
    let gz = res.bytes().await.expect("the whole compressed body");
    assert!(gz.starts_with(&[0x1f, 0x8b]) && gz.len() > 1000, "{} bytes", gz.len());
    let res = other.get(format!("{}/api/transactions.csv", w.base)).send().await.expect("csv");
    assert_eq!(res.text().await.expect("text").lines().count(), 1, "another user's export is only the header");
}

async fn a_running_sync_shows_its_progress_page_by_page(db: &TestDb) {
    let w = World::start(db).await;
    let connection = w.connect_plaid("ins_109508").await;
    let item = w.item_id(connection).await;
    // The first two pages come late, so the run can be watched between them.
    w.fault(
        "plaid",
        json!({ "path": "/transactions/sync", "kind": "delay", "delay_ms": 800, "count": 2, "item_id": item }),
    )
    .await;
    let engine = w.state.sync.clone();
    let worker = tokio::spawn(async move { run_one(&engine, "watched-worker").await });
    let mut seen = Vec::new();
    while !worker.is_finished() {
        let run = w.latest_run(connection).await;
        if run.outcome == "running" && run.pages > 0 {
            seen.push((run.pages, run.added, run.modified, run.removed));
        }
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
    }
    assert!(worker.await.expect("worker"), "the initial sync ran");
    let end = w.latest_run(connection).await;
    assert_eq!(end.outcome, "success");
    assert!(end.pages >= 2, "the history spans several pages: {end:?}");
    let (first_pages, first_added, ..) = *seen.first().expect("the run was seen running with a page applied");
    assert!(first_pages < end.pages && first_added > 0 && first_added < end.added, "{seen:?} then {end:?}");
    assert!(seen.windows(2).all(|p| p[0].0 <= p[1].0 && p[0].1 <= p[1].1), "figures only grow: {seen:?}");
    let last = seen.last().expect("seen");
    assert!(last.0 <= end.pages && last.1 <= end.added, "{seen:?} then {end:?}");
}
