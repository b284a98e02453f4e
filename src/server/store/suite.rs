//! The store test suite: every test runs on SQLite and on PostgreSQL.

use chrono::{NaiveDate, TimeDelta, Utc};
use uuid::Uuid;

use super::testing::{TestDb, Val, on_both_backends};
use super::{AuditEntry, SealedSecret, SecretSlot, StoreError};
use crate::server::cli::reseal_all;
use crate::server::crypto::Keyring;

on_both_backends!(
    migrations_are_idempotent,
    users_are_unique_by_email_in_any_case,
    sessions_expire_and_never_collide,
    rate_limit_windows_count_per_bucket,
    audit_log_reads_newest_first,
    secrets_rotate_all_or_nothing,
    summary_figures_follow_the_rules,
    connection_sync_status_reports_latest_run,
    updated_at_moves_on_update,
);

fn email() -> String {
    format!("user-{}@example.com", Uuid::new_v4().simple())
}

async fn migrations_are_idempotent(db: &TestDb) {
    let store = db.store();
    store.migrate().await.expect("second migration run is a no-op");
    store.ping().await.expect("ping");
    assert!(["sqlite", "postgres"].contains(&store.backend()));
}

async fn users_are_unique_by_email_in_any_case(db: &TestDb) {
    let store = db.store();
    let address = email();
    let user = store.create_user(&address, "$argon2id$hash").await.expect("create");
    assert_eq!(user.email, address);
    let upper = address.to_uppercase();
    assert!(matches!(store.create_user(&upper, "x").await, Err(StoreError::Conflict("email"))));
    let found = store.user_by_email(&upper).await.expect("lookup").expect("found in any case");
    assert_eq!(found.user, user);
    assert_eq!(found.password_hash, "$argon2id$hash");
    assert!(!format!("{found:?}").contains("argon2id"), "hash must not be in Debug output");
    assert_eq!(store.user_by_id(user.id).await.expect("by id"), Some(user));
    assert_eq!(store.user_by_id(Uuid::new_v4()).await.expect("by id"), None);
    assert!(store.user_by_email("nobody@example.com").await.expect("lookup").is_none());
}

async fn sessions_expire_and_never_collide(db: &TestDb) {
    let store = db.store();
    let user = store.create_user(&email(), "h").await.expect("user");
    let now = Utc::now();
    let later = now + TimeDelta::hours(1);
    assert!(store.session_create("s1", None, b"{}", later).await.expect("create"));
    assert!(!store.session_create("s1", None, b"other", later).await.expect("collision"), "ids never overwrite");
    assert_eq!(store.session_load("s1", now).await.expect("load"), Some(b"{}".to_vec()));
    store.session_save("s1", Some(user.id), b"{\"a\":1}", later).await.expect("save");
    assert_eq!(store.session_load("s1", now).await.expect("load"), Some(b"{\"a\":1}".to_vec()));
    assert_eq!(store.session_load("s1", later + TimeDelta::seconds(1)).await.expect("load"), None, "expired");
    store.session_save("old", None, b"{}", now - TimeDelta::minutes(1)).await.expect("save");
    assert_eq!(store.sessions_delete_expired(now).await.expect("purge"), 1);
    store.session_delete("s1").await.expect("delete");
    assert_eq!(store.session_load("s1", now).await.expect("load"), None);
}

async fn rate_limit_windows_count_per_bucket(db: &TestDb) {
    let store = db.store();
    let now = Utc::now();
    let window = now - TimeDelta::minutes(5);
    for expected in 1..=3 {
        assert_eq!(store.rate_limit_hit("login:ip:1", window, now).await.expect("hit"), expected);
    }
    assert_eq!(store.rate_limit_hit("login:ip:2", window, now).await.expect("hit"), 1, "buckets are apart");
    assert_eq!(store.rate_limit_hit("login:ip:1", now, now).await.expect("hit"), 1, "a new window starts at 1");
    assert_eq!(store.rate_limits_prune(now).await.expect("prune"), 2);
}

async fn audit_log_reads_newest_first(db: &TestDb) {
    let store = db.store();
    let user = store.create_user(&email(), "h").await.expect("user");
    for action in ["register", "login", "logout"] {
        store
            .audit(AuditEntry {
                user_id: Some(user.id),
                action: action.into(),
                ip: Some("127.0.0.1".into()),
                ..AuditEntry::default()
            })
            .await
            .expect("audit");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let entries = store.audit_for_user(user.id, 10).await.expect("read");
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["logout", "login", "register"]);
    assert_eq!(entries[0].ip.as_deref(), Some("127.0.0.1"));
}

/// A user, an institution and a Plaid connection whose token is sealed.
async fn connection_fixture(db: &TestDb, keyring: &Keyring) -> (Uuid, Uuid) {
    let user = db.store().create_user(&email(), "h").await.expect("user");
    let institution = Uuid::new_v4();
    let connection = Uuid::new_v4();
    let now = Val::Time(Utc::now());
    db.exec(
        "insert into institutions (id, provider, provider_institution_id, name, created_at, updated_at) \
         values ($1, 'plaid', $2, 'First Platypus Bank', $3, $3)",
        &[Val::Id(institution), Val::Text("ins_109508".into()), now.clone()],
    )
    .await;
    let sealed = keyring.seal("access-sandbox-abc", &SecretSlot::ConnectionToken(connection).context());
    db.exec(
        "insert into connections (id, user_id, provider, provider_item_id, institution_id, access_token_enc, \
         created_at, updated_at) values ($1, $2, 'plaid', $3, $4, $5, $6, $6)",
        &[
            Val::Id(connection),
            Val::Id(user.id),
            Val::Text(format!("item-{connection}")),
            Val::Id(institution),
            Val::Text(sealed),
            now,
        ],
    )
    .await;
    (user.id, connection)
}

async fn secrets_rotate_all_or_nothing(db: &TestDb) {
    let store = db.store();
    let old = Keyring::generate(1);
    let (_, connection) = connection_fixture(db, &old).await;
    let app_slot = SecretSlot::AppSecret("pluggy_webhook_secret".into());
    store.set_app_secret("pluggy_webhook_secret", &old.seal("hook-secret", &app_slot.context())).await.expect("set");

    let rotated = old.with_new_key();
    assert_eq!(reseal_all(store.as_ref(), &rotated).await.expect("rotate"), 2);
    let new_only = rotated.current_only();
    for secret in store.sealed_secrets().await.expect("list") {
        assert!(!new_only.is_stale(&secret.sealed), "{:?} not under the new key", secret.slot);
        let plain = new_only.open(&secret.sealed, &secret.slot.context()).expect("opens with the new key alone");
        let expected = match secret.slot {
            SecretSlot::ConnectionToken(id) => {
                assert_eq!(id, connection);
                "access-sandbox-abc"
            }
            SecretSlot::AppSecret(_) => "hook-secret",
        };
        assert_eq!(plain, expected);
    }

    // A keyring that cannot open one secret changes nothing.
    let before = store.sealed_secrets().await.expect("list");
    assert!(reseal_all(store.as_ref(), &Keyring::generate(1)).await.is_err());
    assert_eq!(store.sealed_secrets().await.expect("list"), before);
    // Writing to a slot that does not exist rolls the whole batch back.
    let mut batch = before.clone();
    batch[0].sealed = "tv1:changed:x".into();
    batch.push(SealedSecret { slot: SecretSlot::ConnectionToken(Uuid::new_v4()), sealed: "x".into() });
    assert!(store.replace_sealed_secrets(&batch).await.is_err());
    assert_eq!(store.sealed_secrets().await.expect("list"), before);
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).expect("valid date")
}

async fn summary_figures_follow_the_rules(db: &TestDb) {
    let store = db.store();
    let (user, connection) = connection_fixture(db, &Keyring::generate(1)).await;
    let (checking, card, brl) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let now = Val::Time(Utc::now());
    for (id, kind, currency, balance) in
        [(checking, "depository", "USD", 250_000), (card, "credit", "USD", 40_000), (brl, "depository", "BRL", 99_990)]
    {
        db.exec(
            "insert into accounts (id, connection_id, user_id, provider_account_id, name, type, currency, \
             current_balance, created_at, updated_at) values ($1, $2, $3, $4, 'Account', $5, $6, $7, $8, $8)",
            &[
                Val::Id(id),
                Val::Id(connection),
                Val::Id(user),
                Val::Text(id.to_string()),
                Val::Text(kind.into()),
                Val::Text(currency.into()),
                Val::Int(balance),
                now.clone(),
            ],
        )
        .await;
    }
    struct Txn {
        account: Uuid,
        amount: i64,
        currency: &'static str,
        day: u32,
        category: (&'static str, &'static str),
        user_category: Option<&'static str>,
        hidden: bool,
        removed: bool,
    }
    let txn = |account, amount, currency, day, category| Txn {
        account,
        amount,
        currency,
        day,
        category,
        user_category: None,
        hidden: false,
        removed: false,
    };
    let rows = [
        txn(checking, 500_000, "USD", 1, ("INCOME", "INCOME_WAGES")),
        txn(checking, -12_345, "USD", 2, ("FOOD_AND_DRINK", "FOOD_AND_DRINK_GROCERIES")),
        txn(checking, -5_000, "USD", 3, ("FOOD_AND_DRINK", "FOOD_AND_DRINK_RESTAURANT")),
        Txn { user_category: Some("ENTERTAINMENT"), ..txn(card, -7_000, "USD", 4, ("TRAVEL", "TRAVEL_TAXIS")) },
        txn(checking, -40_000, "USD", 5, ("LOAN_PAYMENTS", "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT")),
        txn(checking, -30_000, "USD", 6, ("TRANSFER_OUT", "TRANSFER_OUT_SAVINGS")),
        Txn { hidden: true, ..txn(checking, -999, "USD", 7, ("GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_OTHER")) },
        Txn { removed: true, ..txn(checking, -888, "USD", 8, ("GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_OTHER")) },
        txn(brl, -4_550, "BRL", 9, ("FOOD_AND_DRINK", "FOOD_AND_DRINK_RESTAURANT")),
        // Pluggy's categories, with their ids: a card bill and a transfer to
        // the user's own account are transfers; a PIX to someone else is not.
        txn(brl, -20_000, "BRL", 10, ("Credit card payment", "05100000")),
        txn(brl, -30_000, "BRL", 11, ("Same person transfer - PIX", "04020000")),
        txn(brl, -1_000, "BRL", 12, ("Transfer - PIX", "05070000")),
        txn(checking, -1_000, "USD", 28, ("FOOD_AND_DRINK", "FOOD_AND_DRINK_RESTAURANT")),
    ];
    for (i, t) in rows.into_iter().enumerate() {
        db.exec(
            "insert into transactions (id, account_id, user_id, provider_transaction_id, amount, currency, date, \
             name, category_primary, category_detailed, user_category, hidden, removed_at, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, 'Txn', $8, $9, $10, $11, $12, $13, $13)",
            &[
                Val::Id(Uuid::new_v4()),
                Val::Id(t.account),
                Val::Id(user),
                Val::Text(format!("txn-{i}")),
                Val::Int(t.amount),
                Val::Text(t.currency.into()),
                Val::Date(day(t.day)),
                Val::Text(t.category.0.into()),
                Val::Text(t.category.1.into()),
                t.user_category.map_or(Val::Null, |v| Val::Text(v.into())),
                Val::Bool(t.hidden),
                Val::MaybeTime(t.removed.then(Utc::now)),
                now.clone(),
            ],
        )
        .await;
    }
    let totals = store.user_total_balance(user).await.expect("balance");
    let pairs: Vec<(&str, i64)> = totals.iter().map(|t| (t.currency.as_str(), t.total)).collect();
    assert_eq!(pairs, [("BRL", 99_990), ("USD", 250_000 - 40_000)], "credit balances are owed");
    assert_eq!(store.user_transaction_count(user).await.expect("count"), 12, "removed ones do not count");

    let (start, end) = (day(1), day(27));
    let income = store.user_income(user, start, end).await.expect("income");
    assert_eq!(income.len(), 1);
    assert_eq!((income[0].currency.as_str(), income[0].total), ("USD", 500_000));
    let spending = store.user_spending(user, start, end).await.expect("spending");
    let pairs: Vec<(&str, i64)> = spending.iter().map(|t| (t.currency.as_str(), t.total)).collect();
    // Transfers, card payments, hidden, removed and out-of-range rows are left out.
    assert_eq!(pairs, [("BRL", 4_550 + 1_000), ("USD", 12_345 + 5_000 + 7_000)]);
    let by_category = store.user_spending_by_category(user, start, end).await.expect("categories");
    let rows: Vec<(&str, &str, i64)> =
        by_category.iter().map(|c| (c.currency.as_str(), c.category.as_str(), c.total)).collect();
    assert_eq!(
        rows,
        [
            ("BRL", "FOOD_AND_DRINK", 4_550),
            ("BRL", "Transfer - PIX", 1_000),
            ("USD", "FOOD_AND_DRINK", 17_345),
            ("USD", "ENTERTAINMENT", 7_000)
        ],
        "the user's category wins over the provider's"
    );
    let other = db.store().create_user(&email(), "h").await.expect("other user");
    assert!(store.user_total_balance(other.id).await.expect("balance").is_empty());
    assert_eq!(store.user_transaction_count(other.id).await.expect("count"), 0);
}

async fn connection_sync_status_reports_latest_run(db: &TestDb) {
    let store = db.store();
    let (_, connection) = connection_fixture(db, &Keyring::generate(1)).await;
    let status = store.connection_sync_status(connection).await.expect("status").expect("exists");
    assert_eq!(status.status, "active");
    assert_eq!(status.last_run_outcome, None);
    assert!(!status.sync_queued);
    let t0 = Utc::now() - TimeDelta::minutes(10);
    for (offset, outcome, error) in [(0, "success", None), (5, "error", Some("INSTITUTION_DOWN"))] {
        db.exec(
            "insert into sync_runs (id, connection_id, trigger, started_at, finished_at, outcome, error_message, \
             created_at, updated_at) values ($1, $2, 'manual', $3, $3, $4, $5, $3, $3)",
            &[
                Val::Id(Uuid::new_v4()),
                Val::Id(connection),
                Val::Time(t0 + TimeDelta::minutes(offset)),
                Val::Text(outcome.into()),
                error.map_or(Val::Null, |v| Val::Text(v.into())),
            ],
        )
        .await;
    }
    db.exec(
        "insert into sync_jobs (id, connection_id, reason, run_after, created_at, updated_at) \
         values ($1, $2, 'schedule', $3, $3, $3)",
        &[Val::Id(Uuid::new_v4()), Val::Id(connection), Val::Time(Utc::now())],
    )
    .await;
    let status = store.connection_sync_status(connection).await.expect("status").expect("exists");
    assert_eq!(status.last_run_outcome.as_deref(), Some("error"));
    assert_eq!(status.last_run_error.as_deref(), Some("INSTITUTION_DOWN"));
    assert!(status.sync_queued);
    assert!(store.connection_sync_status(Uuid::new_v4()).await.expect("status").is_none());
}

async fn updated_at_moves_on_update(db: &TestDb) {
    let store = db.store();
    let old = Utc::now() - TimeDelta::days(3);
    store.set_app_secret("probe", "v1").await.expect("set");
    db.exec("update app_secrets set updated_at = $1 where name = 'probe'", &[Val::Time(old)]).await;
    // An update that does not set updated_at gets it from the trigger.
    db.exec("update app_secrets set value_enc = 'v2' where name = 'probe'", &[]).await;
    let fresh = db
        .count(
            "select count(*) from app_secrets where name = 'probe' and value_enc = 'v2' and updated_at > $1",
            &[Val::Time(old + TimeDelta::days(1))],
        )
        .await;
    assert_eq!(fresh, 1, "updated_at was refreshed by the trigger");
}
