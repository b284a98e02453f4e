//! The data the bench measures: one user with 120,000 transactions over
//! four years in six accounts at two banks (USD and BRL), and two smaller
//! users beside them so every query has other people's rows to skip. All of
//! it goes in through the store API a sync uses: `upsert_accounts`, then
//! `apply_page` with pages of 500, each with its cursor.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeDelta, Utc};
use tributary::model::ProviderKind;
use tributary::server::provider::{Account, Institution, Transaction, TransactionPage};
use tributary::server::sandbox::rng::Rng;
use tributary::server::store::Store;
use tributary::server::store::bank::{NewConnection, TransactionOverrides, TransactionQuery};
use uuid::Uuid;

/// Transactions of the user the bench measures.
pub const MAIN_ROWS: usize = 120_000;
/// Their history, in days (four years).
const MAIN_DAYS: i64 = 4 * 365;
/// Transactions of each of the other users, over two years.
const OTHER_ROWS: usize = 15_000;
const OTHER_USERS: usize = 2;
/// Plaid's `/transactions/sync` page size, which the sync engine applies as one page.
pub const PAGE_SIZE: usize = 500;

/// What kind of account a transaction can land in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Checking,
    Savings,
    Card,
}

/// One account to seed and its share of its user's transactions.
struct AccountSpec {
    id: &'static str,
    name: &'static str,
    kind: Kind,
    currency: &'static str,
    /// Share of the user's transactions, in percent.
    share: u32,
}

/// A merchant or counterparty: how the bank describes it, the Plaid
/// personal-finance category, and the size of a typical amount in minor
/// units (negative for money out).
struct Merchant {
    descriptor: &'static str,
    merchant: Option<&'static str>,
    primary: &'static str,
    detailed: &'static str,
    channel: &'static str,
    amount: (i64, i64),
    weight: u32,
}

const fn m(
    descriptor: &'static str,
    merchant: Option<&'static str>,
    (primary, detailed): (&'static str, &'static str),
    channel: &'static str,
    amount: (i64, i64),
    weight: u32,
) -> Merchant {
    Merchant { descriptor, merchant, primary, detailed, channel, amount, weight }
}

const COFFEE: (&str, &str) = ("FOOD_AND_DRINK", "FOOD_AND_DRINK_COFFEE");
const GROCERIES: (&str, &str) = ("FOOD_AND_DRINK", "FOOD_AND_DRINK_GROCERIES");
const RESTAURANT: (&str, &str) = ("FOOD_AND_DRINK", "FOOD_AND_DRINK_RESTAURANT");
const FAST_FOOD: (&str, &str) = ("FOOD_AND_DRINK", "FOOD_AND_DRINK_FAST_FOOD");
const RIDES: (&str, &str) = ("TRANSPORTATION", "TRANSPORTATION_TAXIS_AND_RIDE_SHARES");
const GAS: (&str, &str) = ("TRANSPORTATION", "TRANSPORTATION_GAS");
const ONLINE: (&str, &str) = ("GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES");
const SUPERSTORE: (&str, &str) = ("GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_SUPERSTORES");
const PHARMACY: (&str, &str) = ("MEDICAL", "MEDICAL_PHARMACIES_AND_SUPPLEMENTS");
const STREAMING: (&str, &str) = ("ENTERTAINMENT", "ENTERTAINMENT_TV_AND_MOVIES");
const MUSIC: (&str, &str) = ("ENTERTAINMENT", "ENTERTAINMENT_MUSIC_AND_AUDIO");
const UTILITIES: (&str, &str) = ("RENT_AND_UTILITIES", "RENT_AND_UTILITIES_GAS_AND_ELECTRICITY");
const INTERNET: (&str, &str) = ("RENT_AND_UTILITIES", "RENT_AND_UTILITIES_INTERNET_AND_CABLE");
const RENT: (&str, &str) = ("RENT_AND_UTILITIES", "RENT_AND_UTILITIES_RENT");
const FLIGHTS: (&str, &str) = ("TRAVEL", "TRAVEL_FLIGHTS");
const LODGING: (&str, &str) = ("TRAVEL", "TRAVEL_LODGING");
const WAGES: (&str, &str) = ("INCOME", "INCOME_WAGES");
const INTEREST: (&str, &str) = ("INCOME", "INCOME_INTEREST_EARNED");
const SENT: (&str, &str) = ("TRANSFER_OUT", "TRANSFER_OUT_ACCOUNT_TRANSFER");
const RECEIVED: (&str, &str) = ("TRANSFER_IN", "TRANSFER_IN_ACCOUNT_TRANSFER");
const CARD_PAYMENT: (&str, &str) = ("LOAN_PAYMENTS", "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT");

/// Everyday spending in the US, on checking and card alike.
const SPEND_USD: &[Merchant] = &[
    m("STARBUCKS STORE #", Some("Starbucks"), COFFEE, "in store", (-350, -900), 90),
    m("BLUE BOTTLE COFFEE", Some("Blue Bottle Coffee"), COFFEE, "in store", (-400, -1200), 30),
    m("UBER *TRIP HELP.UBER.COM", Some("Uber"), RIDES, "online", (-800, -4500), 70),
    m("LYFT *RIDE SUN 5PM", Some("Lyft"), RIDES, "online", (-700, -3800), 40),
    m("AMAZON.COM*2K4 AMZN.COM/BILL", Some("Amazon"), ONLINE, "online", (-500, -25_000), 100),
    m("WHOLE FOODS MARKET #", Some("Whole Foods Market"), GROCERIES, "in store", (-1500, -22_000), 80),
    m("TRADER JOE S #", Some("Trader Joe's"), GROCERIES, "in store", (-1200, -15_000), 70),
    m("CHIPOTLE ONLINE", Some("Chipotle"), FAST_FOOD, "online", (-900, -2500), 50),
    m("SWEETGREEN SOMA", Some("Sweetgreen"), RESTAURANT, "in store", (-1100, -2200), 40),
    m("TST* THE MILL", Some("The Mill"), RESTAURANT, "in store", (-1800, -9500), 40),
    m("SHELL OIL #", Some("Shell"), GAS, "in store", (-2500, -7000), 40),
    m("TARGET T-#", Some("Target"), SUPERSTORE, "in store", (-800, -18_000), 60),
    m("CVS/PHARMACY #", Some("CVS Pharmacy"), PHARMACY, "in store", (-500, -6000), 30),
    m("NETFLIX.COM", Some("Netflix"), STREAMING, "online", (-1549, -1549), 10),
    m("SPOTIFY USA", Some("Spotify"), MUSIC, "online", (-1099, -1099), 10),
    m("HULU 877-8244858", Some("Hulu"), STREAMING, "online", (-799, -1799), 2),
    m("DELTA AIR LINES ATLANTA", Some("Delta"), FLIGHTS, "online", (-15_000, -90_000), 8),
    m("AIRBNB * HMQ2X9", Some("Airbnb"), LODGING, "online", (-12_000, -80_000), 8),
];

/// What only a US checking account sees.
const CHECKING_USD: &[Merchant] = &[
    m("GUSTO PAY 123456 PAYROLL", Some("Gusto"), WAGES, "other", (250_000, 450_000), 20),
    m("RENT - PARKSIDE APTS WEB PMT", Some("Parkside Apartments"), RENT, "online", (-185_000, -185_000), 8),
    m("PGANDE WEB ONLINE", Some("PG&E"), UTILITIES, "online", (-6000, -22_000), 8),
    m("COMCAST CABLE COMM", Some("Xfinity"), INTERNET, "online", (-7999, -8999), 8),
    m("CREDIT CARD 3333 PAYMENT", None, CARD_PAYMENT, "other", (-20_000, -300_000), 10),
    m("VENMO PAYMENT 1023", Some("Venmo"), SENT, "online", (-1000, -20_000), 30),
    m("ONLINE TRANSFER TO SAV ...1111", None, SENT, "other", (-10_000, -100_000), 10),
];

/// A US savings account.
const SAVINGS_USD: &[Merchant] = &[
    m("INTRST PYMNT", None, INTEREST, "other", (100, 2500), 30),
    m("ONLINE TRANSFER FROM CHK ...0000", None, RECEIVED, "other", (10_000, 100_000), 60),
    m("ONLINE TRANSFER TO CHK ...0000", None, SENT, "other", (-10_000, -50_000), 10),
];

/// Everyday spending in Brazil, on the current account and card alike.
const SPEND_BRL: &[Merchant] = &[
    m("IFOOD *IFOOD", Some("iFood"), FAST_FOOD, "online", (-2500, -12_000), 100),
    m("PAO DE ACUCAR-", Some("Pão de Açúcar"), GROCERIES, "in store", (-3000, -45_000), 80),
    m("UBER* TRIP", Some("Uber"), RIDES, "online", (-900, -6000), 70),
    m("99APP *99APP", Some("99"), RIDES, "online", (-800, -5000), 50),
    m("MERCADOLIVRE*MERCADOLIVRE", Some("Mercado Livre"), ONLINE, "online", (-1500, -60_000), 60),
    m("POSTO IPIRANGA", Some("Ipiranga"), GAS, "in store", (-8000, -30_000), 40),
    m("DROGASIL", Some("Drogasil"), PHARMACY, "in store", (-1200, -15_000), 30),
    m("CAFE CULTURA", Some("Café Cultura"), COFFEE, "in store", (-600, -2500), 40),
    m("PADARIA REAL", Some("Padaria Real"), RESTAURANT, "in store", (-900, -4500), 50),
    m("NETFLIX.COM", Some("Netflix"), STREAMING, "online", (-3990, -5590), 10),
];

/// What only a Brazilian current account sees.
const CHECKING_BRL: &[Merchant] = &[
    m("SALARIO ACME LTDA", Some("Acme"), WAGES, "other", (800_000, 1_200_000), 15),
    m("PIX ENVIADO - MARIA S", None, SENT, "online", (-2000, -50_000), 40),
    m("PIX RECEBIDO - JOAO P", None, RECEIVED, "online", (2000, 40_000), 30),
    m("PAGAMENTO FATURA NUBANK", Some("Nubank"), CARD_PAYMENT, "other", (-50_000, -500_000), 10),
    m("ENEL SP CONTA DE LUZ", Some("Enel"), UTILITIES, "online", (-9000, -40_000), 10),
];

/// A Brazilian savings account.
const SAVINGS_BRL: &[Merchant] = &[
    m("RENDIMENTO POUPANCA", None, INTEREST, "other", (100, 5000), 40),
    m("APLICACAO POUPANCA", None, RECEIVED, "other", (10_000, 200_000), 60),
];

/// The merchants of one kind of account in one currency.
fn merchants(kind: Kind, currency: &str, rng: &mut Rng) -> &'static [Merchant] {
    let brl = currency == "BRL";
    match kind {
        Kind::Savings if brl => SAVINGS_BRL,
        Kind::Savings => SAVINGS_USD,
        // One in eight checking transactions is a bill, a salary or a transfer.
        Kind::Checking if rng.chance(0.125) => {
            if brl {
                CHECKING_BRL
            } else {
                CHECKING_USD
            }
        }
        _ if brl => SPEND_BRL,
        _ => SPEND_USD,
    }
}

fn pick_weighted<'a>(items: &'a [Merchant], rng: &mut Rng) -> &'a Merchant {
    let total: u32 = items.iter().map(|i| i.weight).sum();
    let mut at = rng.range(0, i64::from(total) - 1);
    for item in items {
        at -= i64::from(item.weight);
        if at < 0 {
            return item;
        }
    }
    &items[items.len() - 1]
}

/// One bank login: an institution and its accounts.
struct ConnectionSpec {
    provider: ProviderKind,
    institution: &'static str,
    accounts: Vec<AccountSpec>,
}

/// The measured user: a US bank on Plaid and a Brazilian one on Pluggy,
/// three accounts each.
fn main_user() -> Vec<ConnectionSpec> {
    let account = |id, name, kind, currency, share| AccountSpec { id, name, kind, currency, share };
    vec![
        ConnectionSpec {
            provider: ProviderKind::Plaid,
            institution: "First Platypus Bank",
            accounts: vec![
                account("chk", "Plaid Checking", Kind::Checking, "USD", 34),
                account("sav", "Plaid Saving", Kind::Savings, "USD", 3),
                account("cc", "Plaid Credit Card", Kind::Card, "USD", 36),
            ],
        },
        ConnectionSpec {
            provider: ProviderKind::Pluggy,
            institution: "Nubank",
            accounts: vec![
                account("conta", "Conta Corrente", Kind::Checking, "BRL", 12),
                account("poup", "Poupança", Kind::Savings, "BRL", 2),
                account("cartao", "Cartão de Crédito Nubank", Kind::Card, "BRL", 13),
            ],
        },
    ]
}

/// Another household: one US bank, checking and card.
fn other_user() -> Vec<ConnectionSpec> {
    vec![ConnectionSpec {
        provider: ProviderKind::Plaid,
        institution: "Tartan Bank",
        accounts: vec![
            AccountSpec { id: "chk", name: "Tartan Checking", kind: Kind::Checking, currency: "USD", share: 50 },
            AccountSpec { id: "cc", name: "Tartan Rewards Card", kind: Kind::Card, currency: "USD", share: 50 },
        ],
    }]
}

/// `count` transactions spread evenly over the `days` days up to `today`,
/// oldest first, each in one of `accounts` by its share. The last three
/// days' card and everyday purchases are mostly still pending.
fn transactions(
    rng: &mut Rng,
    accounts: &[&AccountSpec],
    count: usize,
    days: i64,
    today: NaiveDate,
) -> Vec<Transaction> {
    let first = today - TimeDelta::days(days - 1);
    let total_share: u32 = accounts.iter().map(|a| a.share).sum();
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let day = i64::try_from(i).unwrap_or(0) * days / i64::try_from(count).unwrap_or(1);
        let date = first + TimeDelta::days(day);
        let mut at = rng.range(0, i64::from(total_share) - 1);
        let account = accounts
            .iter()
            .find(|a| {
                at -= i64::from(a.share);
                at < 0
            })
            .unwrap_or(&accounts[0]);
        let merchant = pick_weighted(merchants(account.kind, account.currency, rng), rng);
        let name = if merchant.descriptor.ends_with(['#', '-']) {
            format!("{}{}", merchant.descriptor, rng.digits(4))
        } else {
            merchant.descriptor.to_owned()
        };
        let (a, b) = merchant.amount;
        let spend = merchant.amount.0 < 0 && !matches!(merchant.primary, "TRANSFER_OUT" | "LOAN_PAYMENTS");
        let pending = spend && (today - date).num_days() < 3 && rng.chance(0.6);
        out.push(Transaction {
            provider_transaction_id: format!("{}-{i:07}", account.id),
            provider_account_id: account.id.to_owned(),
            pending_transaction_id: None,
            amount: rng.range(a.min(b), a.max(b)),
            currency: account.currency.to_owned(),
            date,
            authorized_date: (account.kind == Kind::Card).then(|| date - TimeDelta::days(rng.range(0, 2))),
            name,
            merchant_name: merchant.merchant.map(str::to_owned),
            category_primary: Some(merchant.primary.to_owned()),
            category_detailed: Some(merchant.detailed.to_owned()),
            payment_channel: Some(merchant.channel.to_owned()),
            pending,
            logo_url: merchant
                .merchant
                .map(|m| format!("https://plaid-merchant-logos.plaid.com/{}.png", m.to_lowercase().replace(' ', "_"))),
        });
    }
    out
}

/// The measured user and what seeding them took.
pub struct Seeded {
    pub user: Uuid,
    /// Their Brazilian current account (for the account filter).
    pub account: Uuid,
    /// Their transactions, as seeded.
    pub rows: usize,
    /// Every `apply_page` call of theirs, timed.
    pub page_times: Vec<Duration>,
}

impl Seeded {
    /// Rows applied per second of `apply_page`.
    pub fn rows_per_second(&self) -> f64 {
        let total: Duration = self.page_times.iter().sum();
        self.rows as f64 / total.as_secs_f64().max(f64::EPSILON)
    }
}

/// A user with `connections` and `count` transactions over `days`.
async fn seed_user(
    store: &dyn Store,
    label: &str,
    connections: &[ConnectionSpec],
    count: usize,
    days: i64,
) -> (Uuid, Vec<Duration>) {
    let today = Utc::now().date_naive();
    let user = store.create_user(&format!("{label}@bench.example"), "not-a-hash").await.expect("create user");
    let mut rng = Rng::new(label);
    let mut pages = Vec::new();
    for (n, spec) in connections.iter().enumerate() {
        let institution = Institution {
            provider_institution_id: format!("bench_{n}_{}", spec.institution.replace(' ', "_")),
            name: spec.institution.to_owned(),
            countries: vec![if spec.provider == ProviderKind::Pluggy { "BR" } else { "US" }.to_owned()],
            ..Institution::default()
        };
        let institution_id = store.upsert_institution(spec.provider, &institution).await.expect("institution");
        let connection = Uuid::new_v4();
        store
            .insert_connection(&NewConnection {
                id: connection,
                user_id: user.id,
                provider: spec.provider,
                provider_item_id: format!("item-{connection}"),
                institution_id,
                access_token_enc: "tv1:bench:sealed".into(),
                consent_expires_at: None,
                next_sync_at: Utc::now() + TimeDelta::hours(6),
            })
            .await
            .expect("connection");
        let accounts: Vec<Account> = spec
            .accounts
            .iter()
            .map(|a| Account {
                provider_account_id: a.id.to_owned(),
                name: a.name.to_owned(),
                official_name: None,
                mask: Some(rng.digits(4)),
                account_type: if a.kind == Kind::Card { "credit" } else { "depository" }.to_owned(),
                subtype: Some(
                    match a.kind {
                        Kind::Checking => "checking",
                        Kind::Savings => "savings",
                        Kind::Card => "credit card",
                    }
                    .to_owned(),
                ),
                currency: a.currency.to_owned(),
                current: Some(rng.range(10_000, 5_000_000)),
                available: None,
                limit: None,
            })
            .collect();
        store.upsert_accounts(connection, user.id, &accounts, today).await.expect("accounts");
        pages.push((connection, spec.accounts.iter().map(|a| a.id).collect::<Vec<_>>()));
    }
    let specs: Vec<&AccountSpec> = connections.iter().flat_map(|c| &c.accounts).collect();
    let all = transactions(&mut rng, &specs, count, days, today);

    // Like the sync engine: each connection's pages in order, each with the
    // cursor the previous one left; the two banks' syncs interleave.
    let mut queues: Vec<(Uuid, Vec<Vec<Transaction>>)> = pages
        .into_iter()
        .map(|(connection, accounts)| {
            let mine: Vec<Transaction> =
                all.iter().filter(|t| accounts.contains(&t.provider_account_id.as_str())).cloned().collect();
            (connection, mine.chunks(PAGE_SIZE).rev().map(<[Transaction]>::to_vec).collect())
        })
        .collect();
    let mut cursors: Vec<Option<String>> = vec![None; queues.len()];
    let mut times = Vec::new();
    while queues.iter().any(|(_, q)| !q.is_empty()) {
        for (n, (connection, queue)) in queues.iter_mut().enumerate() {
            let Some(upserts) = queue.pop() else { continue };
            let next = format!("cursor-{}", times.len());
            let page = TransactionPage {
                upserts,
                removed: vec![],
                reconcile: vec![],
                next_cursor: next.clone(),
                has_more: !queue.is_empty(),
            };
            let start = Instant::now();
            let counts =
                store.apply_page(*connection, cursors[n].as_deref(), &page, Utc::now()).await.expect("apply page");
            times.push(start.elapsed());
            assert_eq!(usize::try_from(counts.added).unwrap_or(0), page.upserts.len(), "every row is new");
            cursors[n] = Some(next);
        }
    }
    (user.id, times)
}

/// The user's own edits: a few hidden transactions and some recategorised
/// ones, spread over the history.
async fn edit_some(store: &dyn Store, user: Uuid) {
    for k in 0..6 {
        let query = TransactionQuery { user_id: user, limit: 50, offset: k * 20_000, ..TransactionQuery::default() };
        let (rows, _) = store.transactions(&query).await.expect("list to edit");
        for (n, row) in rows.iter().enumerate() {
            let overrides = if n < 7 {
                TransactionOverrides { hidden: Some(true), ..TransactionOverrides::default() }
            } else {
                TransactionOverrides { category: Some(Some("Household".into())), ..TransactionOverrides::default() }
            };
            store.set_transaction_overrides(user, row.id, &overrides).await.expect("edit");
        }
    }
}

/// Seeds the other users and the measured one (between them, so their rows
/// interleave in the tables as they would on a shared server).
pub async fn seed(store: &dyn Store) -> Seeded {
    seed_user(store, "neighbour-1", &other_user(), OTHER_ROWS, 2 * 365).await;
    let (user, page_times) = seed_user(store, "measured", &main_user(), MAIN_ROWS, MAIN_DAYS).await;
    for n in 2..=OTHER_USERS {
        seed_user(store, &format!("neighbour-{n}"), &other_user(), OTHER_ROWS, 2 * 365).await;
    }
    edit_some(store, user).await;
    let accounts = store.user_accounts(user).await.expect("accounts");
    let account = accounts.iter().find(|a| a.name == "Conta Corrente").expect("the BRL current account").id;
    Seeded { user, account, rows: MAIN_ROWS, page_times }
}
