//! The bank data and sync queue part of the store suite, on both backends.

use chrono::{NaiveDate, TimeDelta, Utc};
use uuid::Uuid;

use super::StoreError;
use super::bank::{NewConnection, PageCounts, StatusChange, TransactionOverrides, TransactionQuery};
use super::jobs::{RunResult, SyncTrigger, WebhookDelivery};
use super::testing::{TestDb, on_both_backends};
use crate::model::{ConnectionStatus, ProviderKind};
use crate::server::provider::{Account, Institution, Reconcile, Transaction, TransactionPage};

on_both_backends!(
    pages_apply_exactly_once_with_their_cursor,
    removed_transactions_stay_removed,
    posted_transactions_inherit_overrides_of_the_pending_one,
    reconcile_removes_what_the_provider_no_longer_lists,
    transactions_filter_and_page,
    text_search_on_name_and_merchant,
    amount_status_and_hidden_filters,
    exports_stream_every_match_in_order,
    another_user_sees_nothing,
    one_job_per_connection_and_one_claim,
    a_request_during_a_run_runs_again_afterwards,
    retries_keep_or_renew_their_run,
    scheduled_connections_are_claimed_once,
    webhook_replays_are_recognised,
    accounts_keep_a_daily_balance,
    running_runs_show_their_progress,
    recent_runs_are_kept_per_connection,
);

struct Fixture {
    user: Uuid,
    connection: Uuid,
}

async fn fixture(db: &TestDb) -> Fixture {
    let store = db.store();
    let user = store.create_user(&format!("u-{}@example.com", Uuid::new_v4().simple()), "h").await.expect("user");
    let connection = add_connection(db, user.id, "First Platypus Bank").await;
    store.upsert_accounts(connection, user.id, &[account("acc-1"), account("acc-2")], today()).await.expect("accounts");
    Fixture { user: user.id, connection }
}

/// A Plaid connection of `user` to a new institution named `bank`.
async fn add_connection(db: &TestDb, user: Uuid, bank: &str) -> Uuid {
    let store = db.store();
    let institution = Institution {
        provider_institution_id: format!("ins_{}", Uuid::new_v4().simple()),
        name: bank.into(),
        countries: vec!["US".into()],
        ..Institution::default()
    };
    let institution_id = store.upsert_institution(ProviderKind::Plaid, &institution).await.expect("institution");
    assert_eq!(
        store.upsert_institution(ProviderKind::Plaid, &institution).await.expect("again"),
        institution_id,
        "an institution is stored once"
    );
    let connection = Uuid::new_v4();
    store
        .insert_connection(&NewConnection {
            id: connection,
            user_id: user,
            provider: ProviderKind::Plaid,
            provider_item_id: format!("item-{connection}"),
            institution_id,
            access_token_enc: "tv1:k:sealed".into(),
            consent_expires_at: None,
            next_sync_at: Utc::now() + TimeDelta::hours(6),
        })
        .await
        .expect("connection");
    connection
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn account(id: &str) -> Account {
    Account {
        provider_account_id: id.into(),
        name: format!("Checking {id}"),
        official_name: None,
        mask: Some("0000".into()),
        account_type: "depository".into(),
        subtype: Some("checking".into()),
        currency: "USD".into(),
        current: Some(10_000),
        available: Some(9_000),
        limit: None,
    }
}

fn txn(id: &str, amount: i64) -> Transaction {
    Transaction {
        provider_transaction_id: id.into(),
        provider_account_id: "acc-1".into(),
        pending_transaction_id: None,
        amount,
        currency: "USD".into(),
        date: today(),
        authorized_date: None,
        name: format!("Purchase {id}"),
        merchant_name: Some("Corner Shop".into()),
        category_primary: Some("FOOD_AND_DRINK".into()),
        category_detailed: None,
        payment_channel: Some("in store".into()),
        pending: false,
        logo_url: None,
    }
}

fn page(upserts: Vec<Transaction>, removed: &[&str], cursor: &str) -> TransactionPage {
    TransactionPage {
        upserts,
        removed: removed.iter().map(|s| (*s).to_owned()).collect(),
        reconcile: vec![],
        next_cursor: cursor.into(),
        has_more: false,
    }
}

async fn list(db: &TestDb, user: Uuid) -> Vec<(String, i64)> {
    let query = TransactionQuery { user_id: user, limit: 100, ..TransactionQuery::default() };
    let (rows, total) = db.store().transactions(&query).await.expect("list");
    assert_eq!(usize::try_from(total).expect("count"), rows.len());
    let mut out: Vec<_> = rows.into_iter().map(|r| (r.provider_transaction_id, r.amount)).collect();
    out.sort();
    out
}

async fn pages_apply_exactly_once_with_their_cursor(db: &TestDb) {
    let f = fixture(db).await;
    let store = db.store();
    let now = Utc::now();
    let first = page(vec![txn("t1", -500), txn("t2", 2500)], &[], "c1");
    let counts = store.apply_page(f.connection, None, &first, now).await.expect("first page");
    assert_eq!((counts.added, counts.modified, counts.removed), (2, 0, 0));

    // Re-applying the same page from the old cursor is refused: the cursor moved.
    assert!(matches!(store.apply_page(f.connection, None, &first, now).await, Err(StoreError::Conflict("cursor"))));
    // Re-applying its content from the new cursor changes nothing.
    let again = page(vec![txn("t1", -500), txn("t2", 2500)], &[], "c2");
    let counts = store.apply_page(f.connection, Some("c1"), &again, now).await.expect("same content");
    assert_eq!((counts.added, counts.modified, counts.removed), (0, 0, 0));

    let mut changed = txn("t1", -650);
    changed.name = "Purchase t1 with tip".into();
    let counts = store.apply_page(f.connection, Some("c2"), &page(vec![changed], &[], "c3"), now).await.expect("mod");
    assert_eq!((counts.added, counts.modified, counts.removed), (0, 1, 0));
    assert_eq!(list(db, f.user).await, vec![("t1".into(), -650), ("t2".into(), 2500)]);
    assert_eq!(store.connection(f.connection).await.expect("get").expect("exists").sync_cursor.as_deref(), Some("c3"));
}

async fn removed_transactions_stay_removed(db: &TestDb) {
    let f = fixture(db).await;
    let store = db.store();
    let now = Utc::now();
    store.apply_page(f.connection, None, &page(vec![txn("t1", -1), txn("t2", -2)], &[], "c1"), now).await.expect("p1");
    let counts =
        store.apply_page(f.connection, Some("c1"), &page(vec![], &["t1", "nope"], "c2"), now).await.expect("p2");
    assert_eq!(counts.removed, 1);
    // A later page mentioning it again does not bring it back.
    let counts =
        store.apply_page(f.connection, Some("c2"), &page(vec![txn("t1", -1)], &[], "c3"), now).await.expect("p3");
    assert_eq!((counts.added, counts.modified), (0, 0));
    assert_eq!(list(db, f.user).await, vec![("t2".into(), -2)]);
    assert_eq!(store.user_transaction_count(f.user).await.expect("count"), 1);
}

async fn posted_transactions_inherit_overrides_of_the_pending_one(db: &TestDb) {
    let f = fixture(db).await;
    let store = db.store();
    let now = Utc::now();
    let mut pending = txn("pend-1", -1000);
    pending.pending = true;
    store.apply_page(f.connection, None, &page(vec![pending], &[], "c1"), now).await.expect("pending");
    let query = TransactionQuery { user_id: f.user, limit: 10, ..TransactionQuery::default() };
    let (rows, _) = store.transactions(&query).await.expect("list");
    let pending_row = rows.first().expect("one row").clone();
    assert!(pending_row.pending);
    store
        .set_transaction_overrides(
            f.user,
            pending_row.id,
            &TransactionOverrides {
                note: Some(Some("dinner with Ana".into())),
                category: Some(Some("ENTERTAINMENT".into())),
                hidden: None,
            },
        )
        .await
        .expect("note");

    let mut posted = txn("post-1", -1200);
    posted.pending_transaction_id = Some("pend-1".into());
    let counts =
        store.apply_page(f.connection, Some("c1"), &page(vec![posted], &["pend-1"], "c2"), now).await.expect("posted");
    assert_eq!((counts.added, counts.removed), (1, 1), "the pending one is removed once, not twice");
    let (rows, total) = store.transactions(&query).await.expect("list");
    assert_eq!(total, 1, "no duplicate");
    let row = &rows[0];
    assert_eq!(row.provider_transaction_id, "post-1");
    assert!(!row.pending);
    assert_eq!(row.user_note.as_deref(), Some("dinner with Ana"));
    assert_eq!(row.category.as_deref(), Some("ENTERTAINMENT"));
}

async fn reconcile_removes_what_the_provider_no_longer_lists(db: &TestDb) {
    let f = fixture(db).await;
    let store = db.store();
    let now = Utc::now();
    let mut old = txn("old", -5);
    old.date = today() - TimeDelta::days(60);
    store
        .apply_page(f.connection, None, &page(vec![old, txn("keep", -1), txn("gone", -2)], &[], "c1"), now)
        .await
        .expect("p1");
    let mut p = page(vec![txn("keep", -1)], &[], "c2");
    p.reconcile = vec![Reconcile {
        provider_account_id: "acc-1".into(),
        from: today() - TimeDelta::days(30),
        present: vec!["keep".into()],
    }];
    let counts = store.apply_page(f.connection, Some("c1"), &p, now).await.expect("p2");
    assert_eq!(counts.removed, 1);
    assert_eq!(list(db, f.user).await, vec![("keep".into(), -1), ("old".into(), -5)], "outside the window stays");
}

async fn transactions_filter_and_page(db: &TestDb) {
    let f = fixture(db).await;
    let store = db.store();
    let mut rows = Vec::new();
    for i in 0..25 {
        let mut t = txn(&format!("t{i:02}"), -(i + 1));
        t.date = today() - TimeDelta::days(i);
        if i % 5 == 0 {
            t.merchant_name = Some("100% Coffee_Bar".into());
            t.category_primary = Some("COFFEE".into());
        }
        rows.push(t);
    }
    store.apply_page(f.connection, None, &page(rows, &[], "c1"), Utc::now()).await.expect("page");
    let base = TransactionQuery { user_id: f.user, limit: 10, ..TransactionQuery::default() };
    let (first, total) = store.transactions(&base).await.expect("first page");
    assert_eq!((first.len(), total), (10, 25));
    assert_eq!(first[0].provider_transaction_id, "t00", "newest first");
    let (third, _) = store.transactions(&TransactionQuery { offset: 20, ..base.clone() }).await.expect("third");
    assert_eq!(third.len(), 5);
    let (coffee, n) =
        store.transactions(&TransactionQuery { text: Some("% coffee_".into()), ..base.clone() }).await.expect("q");
    assert_eq!((coffee.len(), n), (5, 5), "like wildcards in the text are literal");
    let (none, n) =
        store.transactions(&TransactionQuery { text: Some("%x%".into()), ..base.clone() }).await.expect("q");
    assert_eq!((none.len(), n), (0, 0));
    let (cat, n) =
        store.transactions(&TransactionQuery { category: Some("COFFEE".into()), ..base.clone() }).await.expect("c");
    assert_eq!((cat.len(), n), (5, 5));
    let range = TransactionQuery {
        start: Some(today() - TimeDelta::days(9)),
        end: Some(today() - TimeDelta::days(5)),
        ..base.clone()
    };
    assert_eq!(store.transactions(&range).await.expect("range").1, 5);
    let accounts = store.user_accounts(f.user).await.expect("accounts");
    let acc2 = accounts.iter().find(|a| a.provider_account_id == "acc-2").expect("acc-2");
    let by_account = TransactionQuery { account_id: Some(acc2.id), ..base.clone() };
    assert_eq!(store.transactions(&by_account).await.expect("acc").1, 0);
    assert!(store.user_categories(f.user).await.expect("categories").contains(&"COFFEE".to_owned()));
}

/// The free-text filter: served by a trigram index from three characters
/// (migration 0005), by reading rows below that, with the same answers.
async fn text_search_on_name_and_merchant(db: &TestDb) {
    let f = fixture(db).await;
    let other = fixture(db).await;
    let store = db.store();
    let now = Utc::now();
    let named = |id: &str, name: &str, merchant: Option<&str>| Transaction {
        name: name.into(),
        merchant_name: merchant.map(Into::into),
        ..txn(id, -100)
    };
    let rows = vec![
        named("a", "STARBUCKS #1234", Some("Starbucks")),
        named("b", "Uber 063015 SF**POOL**", Some("Uber")),
        named("c", "Joe's \"Best\" Diner", None),
        named("d", "Transfer OR payment", None),
        named("e", "Padaria São João", Some("Padaria")),
    ];
    store.apply_page(f.connection, None, &page(rows, &[], "c1"), now).await.expect("page");
    store
        .apply_page(other.connection, None, &page(vec![named("x", "Starbucks", None)], &[], "c1"), now)
        .await
        .expect("x");
    let search = async |user: Uuid, text: &str| {
        let query =
            TransactionQuery { user_id: user, limit: 50, text: Some(text.into()), ..TransactionQuery::default() };
        let (rows, total) = store.transactions(&query).await.expect("search");
        assert_eq!(usize::try_from(total).expect("count"), rows.len(), "the count of {text:?} matches its rows");
        let mut ids: Vec<String> = rows.into_iter().map(|r| r.provider_transaction_id).collect();
        ids.sort();
        ids
    };
    assert_eq!(search(f.user, "starbucks").await, ["a"], "any case, name and merchant, one row");
    assert_eq!(search(f.user, "BUCK").await, ["a"], "inside a word");
    assert_eq!(search(f.user, "**pool**").await, ["b"], "search syntax is taken literally");
    assert_eq!(search(f.user, "\"best\"").await, ["c"], "quotes too");
    assert_eq!(search(f.user, "or pay").await, ["d"], "and operators");
    assert_eq!(search(f.user, "são jo").await, ["e"], "beyond ASCII");
    assert!(search(f.user, "diner joe").await.is_empty(), "words in their order");
    assert_eq!(search(f.user, "*p").await, ["b"], "shorter than a trigram");
    assert_eq!(search(f.user, "e'").await, ["c"]);
    assert_eq!(search(other.user, "starbucks").await, ["x"], "only the user's own rows");

    // The bank renames one and removes another: searches follow.
    let renamed = named("a", "Blue Bottle Coffee", Some("Blue Bottle"));
    store.apply_page(f.connection, Some("c1"), &page(vec![renamed], &["b"], "c2"), now).await.expect("rename");
    assert!(search(f.user, "starbucks").await.is_empty(), "the old name is gone");
    assert_eq!(search(f.user, "bottle").await, ["a"]);
    assert!(search(f.user, "uber").await.is_empty(), "removed");

    // A deleted connection takes its rows out of the index too.
    store.delete_connection(f.connection).await.expect("delete");
    assert!(search(f.user, "bottle").await.is_empty());
    if db.is_sqlite() {
        let keys = db.count("select count(*) from transaction_search_keys", &[]).await;
        let indexed = db.count("select count(*) from transaction_search", &[]).await;
        let rows = db.count("select count(*) from transactions", &[]).await;
        assert_eq!((keys, indexed), (rows, rows), "one index entry per transaction");
    }
}

async fn amount_status_and_hidden_filters(db: &TestDb) {
    let f = fixture(db).await;
    let store = db.store();
    // USD cents: -5.00, +12.50, -20.00 (pending), -0.99; and JPY 1,500 (no minor units).
    let mut rows = vec![txn("a", -500), txn("b", 1250), txn("c", -2000), txn("d", -99)];
    rows[2].pending = true;
    let mut yen = txn("e", -1500);
    yen.currency = "JPY".into();
    rows.push(yen);
    store.apply_page(f.connection, None, &page(rows, &[], "c1"), Utc::now()).await.expect("page");
    let base = TransactionQuery { user_id: f.user, limit: 50, ..TransactionQuery::default() };
    let ids = async |q: TransactionQuery| {
        let (rows, total) = store.transactions(&q).await.expect("list");
        assert_eq!(usize::try_from(total).expect("count"), rows.len(), "the count matches the rows");
        let mut ids: Vec<String> = rows.into_iter().map(|r| r.provider_transaction_id).collect();
        ids.sort();
        ids
    };
    // Sizes in thousandths of a unit: money in and out alike, each currency
    // at its own exponent (¥1,500 is 1,500 units, not 15.00).
    let between =
        |min: i64, max: i64| TransactionQuery { amount_min: Some(min), amount_max: Some(max), ..base.clone() };
    assert_eq!(ids(between(5_000, 12_500)).await, ["a", "b"]);
    assert_eq!(ids(between(12_500, 20_000)).await, ["b", "c"]);
    assert_eq!(ids(TransactionQuery { amount_max: Some(990), ..base.clone() }).await, ["d"]);
    assert_eq!(ids(TransactionQuery { amount_min: Some(1_000_000), ..base.clone() }).await, ["e"]);
    assert_eq!(ids(TransactionQuery { pending: Some(true), ..base.clone() }).await, ["c"]);
    assert_eq!(ids(TransactionQuery { pending: Some(false), ..base.clone() }).await.len(), 4);

    let (all, _) = store.transactions(&base).await.expect("list");
    let b = all.iter().find(|r| r.provider_transaction_id == "b").expect("b");
    assert_eq!((b.account_name.as_str(), b.account_mask.as_deref()), ("Checking acc-1", Some("0000")));
    let overrides = TransactionOverrides {
        hidden: Some(true),
        category: Some(Some("Refunds".into())),
        ..TransactionOverrides::default()
    };
    store.set_transaction_overrides(f.user, b.id, &overrides).await.expect("hide");
    assert!(!ids(base.clone()).await.contains(&"b".to_owned()), "hidden rows are left out");
    let shown = TransactionQuery { include_hidden: true, category: Some("Refunds".into()), ..base.clone() };
    assert_eq!(ids(shown).await, ["b"], "unless asked for, and the user's category filters");
    let b = store.user_transaction(f.user, b.id).await.expect("q").expect("b");
    assert_eq!(
        (b.category.as_deref(), b.user_category.as_deref(), b.provider_category.as_deref(), b.hidden),
        (Some("Refunds"), Some("Refunds"), Some("FOOD_AND_DRINK"), true)
    );
}

async fn exports_stream_every_match_in_order(db: &TestDb) {
    let f = fixture(db).await;
    let store = db.store();
    let rows: Vec<Transaction> = (0..700)
        .map(|i| {
            let mut t = txn(&format!("t{i:03}"), -(i + 1));
            t.date = today() - TimeDelta::days(i / 10);
            t
        })
        .collect();
    store.apply_page(f.connection, None, &page(rows, &["t000"], "c1"), Utc::now()).await.expect("page");
    let query = TransactionQuery { user_id: f.user, limit: 10, offset: 30, ..TransactionQuery::default() };
    // A small channel: the reader takes its time, the database waits.
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let export = tokio::spawn({
        let store = db.store();
        async move { store.export_transactions(&query, tx).await }
    });
    let mut got = Vec::new();
    while let Some(row) = rx.recv().await {
        got.push(row);
    }
    export.await.expect("task").expect("export");
    assert_eq!(got.len(), 699, "paging does not apply; removed rows are not exported");
    let (listed, _) = store
        .transactions(&TransactionQuery { user_id: f.user, limit: 500, ..TransactionQuery::default() })
        .await
        .expect("list");
    assert_eq!(got[..500], listed[..], "the same rows in the same order as the list");

    // A reader that goes away stops the export without an error.
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    drop(rx);
    let query = TransactionQuery { user_id: f.user, ..TransactionQuery::default() };
    store.export_transactions(&query, tx).await.expect("a closed reader is not a failure");
}

async fn another_user_sees_nothing(db: &TestDb) {
    let f = fixture(db).await;
    let other = fixture(db).await;
    let store = db.store();
    store.apply_page(f.connection, None, &page(vec![txn("mine", -1)], &[], "c1"), Utc::now()).await.expect("page");
    assert!(store.user_connection(other.user, f.connection).await.expect("q").is_none());
    let (rows, _) = store
        .transactions(&TransactionQuery { user_id: other.user, limit: 10, ..TransactionQuery::default() })
        .await
        .expect("list");
    assert!(rows.is_empty());
    let mine = store.user_accounts(f.user).await.expect("accounts");
    assert!(store.user_account(other.user, mine[0].id).await.expect("q").is_none());
    let (rows, _) = store
        .transactions(&TransactionQuery { user_id: f.user, limit: 10, ..TransactionQuery::default() })
        .await
        .expect("list");
    let overrides = TransactionOverrides { hidden: Some(true), ..TransactionOverrides::default() };
    assert!(matches!(
        store.set_transaction_overrides(other.user, rows[0].id, &overrides).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.user_transaction(other.user, rows[0].id).await.expect("q").is_none());
    store.enqueue_sync(f.connection, SyncTrigger::Manual, Utc::now(), Utc::now()).await.expect("enqueue");
    assert!(store.user_sync_runs(other.user, None, 10).await.expect("runs").is_empty());
    assert_eq!(store.user_sync_runs(f.user, Some(f.connection), 10).await.expect("runs").len(), 1);
}

async fn one_job_per_connection_and_one_claim(db: &TestDb) {
    let f = fixture(db).await;
    let store = db.store();
    let now = Utc::now();
    let (a, b) = tokio::join!(
        store.enqueue_sync(f.connection, SyncTrigger::Manual, now, now),
        store.enqueue_sync(f.connection, SyncTrigger::Webhook, now, now),
    );
    let (a, b) = (a.expect("a"), b.expect("b"));
    assert_eq!(a, b, "the second request joins the first");
    let lease = now + TimeDelta::minutes(2);
    let (x, y) = tokio::join!(store.claim_job("w1", now, lease), store.claim_job("w2", now, lease));
    let claims: Vec<_> = [x.expect("x"), y.expect("y")].into_iter().flatten().collect();
    assert_eq!(claims.len(), 1, "exactly one worker gets the job");
    let job = &claims[0];
    assert_eq!(job.run_id, a.run_id);
    assert_eq!(store.sync_run(job.run_id).await.expect("run").expect("exists").outcome, "running");
    assert!(store.claim_job("w3", now, lease).await.expect("claim").is_none(), "leased");
    // An expired lease can be taken over; the old holder then loses it.
    let later = lease + TimeDelta::seconds(1);
    let taken = store.claim_job("w3", later, later + TimeDelta::minutes(2)).await.expect("claim").expect("taken");
    assert_eq!(taken.job_id, job.job_id);
    assert_eq!(taken.attempts, 2);
    let holder = if job.job_id == taken.job_id { "w3" } else { "w1" };
    assert!(!store.renew_lease(job.job_id, "w1", later).await.expect("renew") || holder == "w1");
    assert_eq!(store.complete_job(taken.job_id, "w3", later).await.expect("complete"), None);
    assert!(store.claim_job("w1", later + TimeDelta::hours(1), later).await.expect("claim").is_none(), "done");
}

async fn a_request_during_a_run_runs_again_afterwards(db: &TestDb) {
    let f = fixture(db).await;
    let store = db.store();
    let now = Utc::now();
    let queued = store.enqueue_sync(f.connection, SyncTrigger::Schedule, now, now).await.expect("enqueue");
    let job = store.claim_job("w", now, now + TimeDelta::minutes(2)).await.expect("claim").expect("job");
    let during = store.enqueue_sync(f.connection, SyncTrigger::Manual, now, now).await.expect("enqueue");
    assert_eq!(during.run_id, queued.run_id, "joins the running run");
    let again = store.complete_job(job.job_id, "w", now).await.expect("complete").expect("a rerun is queued");
    assert_ne!(again, job.run_id);
    let next = store.claim_job("w", now, now + TimeDelta::minutes(2)).await.expect("claim").expect("the rerun");
    assert_eq!(next.run_id, again);
    assert_eq!(store.complete_job(next.job_id, "w", now).await.expect("complete"), None);
}

async fn retries_keep_or_renew_their_run(db: &TestDb) {
    let f = fixture(db).await;
    let store = db.store();
    let now = Utc::now();
    store.enqueue_sync(f.connection, SyncTrigger::Link, now, now).await.expect("enqueue");
    let job = store.claim_job("w", now, now + TimeDelta::minutes(2)).await.expect("claim").expect("job");
    let wait = store.retry_job(job.job_id, "w", now, None, true, now).await.expect("busy");
    assert_eq!(wait, job.run_id, "waiting keeps the run");
    let job = store.claim_job("w", now, now + TimeDelta::minutes(2)).await.expect("claim").expect("job");
    assert_eq!(job.attempts, 1, "a wait is not a failed attempt");
    let failed = RunResult {
        outcome: "error".into(),
        pages: 0,
        added: 0,
        modified: 0,
        removed: 0,
        error_code: Some("INTERNAL_SERVER_ERROR".into()),
        error_message: Some("try later".into()),
    };
    store.finish_run(job.run_id, &failed, now).await.expect("finish");
    let later = now + TimeDelta::seconds(30);
    let next_run = store.retry_job(job.job_id, "w", later, Some("try later"), false, now).await.expect("retry");
    assert_ne!(next_run, job.run_id, "a failed attempt keeps its own run row");
    assert!(store.claim_job("w", now, now).await.expect("claim").is_none(), "not before run_after");
    let job = store.claim_job("w", later, later + TimeDelta::minutes(2)).await.expect("claim").expect("job");
    assert_eq!(job.attempts, 2);
    let runs = store.user_sync_runs(f.user, None, 10).await.expect("runs");
    assert_eq!(runs.len(), 2);
    let old = runs.iter().find(|r| r.outcome == "error").expect("the failed run");
    assert_eq!(old.error_code.as_deref(), Some("INTERNAL_SERVER_ERROR"));
    assert!(old.finished_at.is_some());
}

async fn scheduled_connections_are_claimed_once(db: &TestDb) {
    let f = fixture(db).await;
    let store = db.store();
    let future = Utc::now() + TimeDelta::hours(7);
    let next = move || future + TimeDelta::hours(6);
    let (a, b) =
        tokio::join!(store.claim_due_connections(future, &next, 100), store.claim_due_connections(future, &next, 100));
    let total: Vec<Uuid> = [a.expect("a"), b.expect("b")].concat().into_iter().filter(|c| *c == f.connection).collect();
    assert_eq!(total, vec![f.connection]);
    store.set_connection_status(f.connection, &StatusChange::to(ConnectionStatus::NeedsRelink)).await.expect("status");
    let much_later = future + TimeDelta::days(2);
    assert!(!store.claim_due_connections(much_later, &next, 100).await.expect("claim").contains(&f.connection));
}

async fn webhook_replays_are_recognised(db: &TestDb) {
    let store = db.store();
    let delivery = WebhookDelivery {
        provider: ProviderKind::Pluggy,
        delivery_key: Uuid::new_v4().to_string(),
        verified: true,
        event_type: Some("item/updated".into()),
        item_id: Some("item".into()),
        received_at: Utc::now(),
    };
    let id = store.record_webhook(&delivery).await.expect("record").expect("new");
    assert!(store.record_webhook(&delivery).await.expect("record").is_none(), "a replay");
    let other_provider = WebhookDelivery { provider: ProviderKind::Plaid, ..delivery.clone() };
    assert!(store.record_webhook(&other_provider).await.expect("record").is_some());
    store.finish_webhook(id, "queued", Utc::now()).await.expect("finish");
}

async fn accounts_keep_a_daily_balance(db: &TestDb) {
    let f = fixture(db).await;
    let store = db.store();
    let mut richer = account("acc-1");
    richer.current = Some(25_000);
    store.upsert_accounts(f.connection, f.user, &[richer], today()).await.expect("same day");
    let yesterday = today() - TimeDelta::days(1);
    store.upsert_accounts(f.connection, f.user, &[account("acc-1")], yesterday).await.expect("another day");
    let acc =
        store.user_accounts(f.user).await.expect("accounts").into_iter().find(|a| a.provider_account_id == "acc-1");
    let acc = acc.expect("acc-1");
    let history = store.balance_history(acc.id, today() - TimeDelta::days(7)).await.expect("history");
    let points: Vec<_> = history.iter().map(|p| (p.day, p.current)).collect();
    assert_eq!(points, vec![(yesterday, Some(10_000)), (today(), Some(25_000))]);
    let all = store.user_balance_history(f.user, today() - TimeDelta::days(7)).await.expect("all");
    let mine: Vec<_> = all.iter().filter(|(id, _)| *id == acc.id).map(|(_, p)| (p.day, p.current)).collect();
    assert_eq!(mine, points, "the user-wide history has the same points");
    assert_eq!(all.len(), 3, "and the other account's snapshot (acc-2, written at set-up)");
    let other = fixture(db).await;
    assert!(
        store
            .user_balance_history(other.user, today() - TimeDelta::days(7))
            .await
            .expect("other")
            .iter()
            .all(|(id, _)| *id != acc.id),
        "nobody else's"
    );
    let connection = store.connection(f.connection).await.expect("q").expect("exists");
    assert_eq!(connection.accounts_count, 2);
    assert_eq!(connection.institution_name.as_deref(), Some("First Platypus Bank"));
    store.delete_connection(f.connection).await.expect("delete");
    assert!(store.user_accounts(f.user).await.expect("accounts").is_empty());
}

async fn running_runs_show_their_progress(db: &TestDb) {
    let f = fixture(db).await;
    let store = db.store();
    let now = Utc::now();
    let lease = now + TimeDelta::minutes(2);
    let queued = store.enqueue_sync(f.connection, SyncTrigger::Manual, now, now).await.expect("enqueue");
    let early = PageCounts { added: 1, ..PageCounts::default() };
    store.record_progress(queued.run_id, 1, early, now).await.expect("progress");
    let run = store.sync_run(queued.run_id).await.expect("run").expect("exists");
    assert_eq!((run.outcome.as_str(), run.pages, run.added), ("queued", 0, 0), "not running: nothing written");

    let job = store.claim_job("w1", now, lease).await.expect("claim").expect("job");
    let first = PageCounts { added: 500, modified: 0, removed: 2 };
    store.record_progress(job.run_id, 1, first, now).await.expect("page 1");
    let seen = &store.user_sync_runs(f.user, Some(f.connection), 1).await.expect("runs")[0];
    assert_eq!(seen.id, job.run_id);
    assert_eq!((seen.outcome.as_str(), seen.pages, seen.added, seen.removed), ("running", 1, 500, 2));
    assert!(seen.finished_at.is_none());
    let second = PageCounts { added: 620, modified: 3, removed: 2 };
    store.record_progress(job.run_id, 2, second, now).await.expect("page 2");
    let seen = store.sync_run(job.run_id).await.expect("run").expect("exists");
    assert_eq!((seen.pages, seen.added, seen.modified, seen.removed), (2, 620, 3, 2));

    // A worker that lost its lease and crashed: the run taken over starts
    // its figures again, as the new attempt counts only its own pages.
    let later = lease + TimeDelta::seconds(1);
    let taken = store.claim_job("w2", later, later + TimeDelta::minutes(2)).await.expect("claim").expect("taken");
    assert_eq!(taken.run_id, job.run_id);
    let seen = store.sync_run(job.run_id).await.expect("run").expect("exists");
    assert_eq!((seen.outcome.as_str(), seen.pages, seen.added), ("running", 0, 0));
    store.record_progress(taken.run_id, 1, second, later).await.expect("page 1 again");

    let done = RunResult {
        outcome: "success".into(),
        pages: 1,
        added: second.added,
        modified: second.modified,
        removed: second.removed,
        error_code: None,
        error_message: None,
    };
    store.finish_run(taken.run_id, &done, later).await.expect("finish");
    let late = PageCounts { added: 9_999, ..PageCounts::default() };
    store.record_progress(taken.run_id, 7, late, later).await.expect("late progress");
    let ended = store.sync_run(taken.run_id).await.expect("run").expect("exists");
    assert_eq!((ended.outcome.as_str(), ended.pages, ended.added), ("success", 1, 620), "how it ended stays");
    assert!(ended.finished_at.is_some());
}

async fn recent_runs_are_kept_per_connection(db: &TestDb) {
    let f = fixture(db).await;
    let store = db.store();
    let quiet = add_connection(db, f.user, "Tartan Bank").await;
    let start = Utc::now() - TimeDelta::days(1);
    // Two old runs of the quiet connection, then twelve of the busy one.
    let runs = [(quiet, 0), (quiet, 1)].into_iter().chain((2..14).map(|i| (f.connection, i)));
    for (connection, minutes) in runs {
        let at = start + TimeDelta::minutes(minutes);
        store.enqueue_sync(connection, SyncTrigger::Schedule, at, at).await.expect("enqueue");
        let job = store.claim_job("w", at, at + TimeDelta::minutes(2)).await.expect("claim").expect("job");
        let done = RunResult {
            outcome: "success".into(),
            pages: 1,
            added: minutes,
            modified: 0,
            removed: 0,
            error_code: None,
            error_message: None,
        };
        store.finish_run(job.run_id, &done, at).await.expect("finish");
        assert_eq!(store.complete_job(job.job_id, "w", at).await.expect("complete"), None);
    }
    let recent = store.recent_sync_runs(f.user, 10).await.expect("recent");
    let busy: Vec<i64> = recent.iter().filter(|r| r.connection_id == f.connection).map(|r| r.added).collect();
    assert_eq!(busy, (4..14).rev().collect::<Vec<_>>(), "the busy connection's last ten, newest first");
    let quiet_runs: Vec<i64> = recent.iter().filter(|r| r.connection_id == quiet).map(|r| r.added).collect();
    assert_eq!(quiet_runs, [1, 0], "the quiet connection keeps its runs");
    assert!(recent.windows(2).all(|w| w[0].started_at >= w[1].started_at), "newest first");
    let other = fixture(db).await;
    assert!(store.recent_sync_runs(other.user, 10).await.expect("recent").is_empty());
}
