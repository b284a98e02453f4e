//! The Plaid sandbox's world: institutions, accounts and about two years of
//! transactions per item, all derived deterministically from the item and
//! the login, plus the lifecycle of each transaction (pending → posted,
//! enrichment updates, reversals) laid out on a timeline. What an API call
//! sees is that timeline read at the item's current time, so new
//! transactions appear as the (sandbox) clock moves.

use chrono::{DateTime, Datelike as _, Days, NaiveDate, NaiveTime, TimeDelta, Utc};

use crate::server::sandbox::rng::{Rng, stable_id};

/// A sandbox institution (Plaid's own sandbox names and ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Institution {
    pub id: &'static str,
    pub name: &'static str,
    pub primary_color: &'static str,
    pub url: &'static str,
    pub oauth: bool,
    pub routing_number: &'static str,
}

/// The institutions the sandbox knows.
pub const INSTITUTIONS: &[Institution] = &[
    Institution {
        id: "ins_109508",
        name: "First Platypus Bank",
        primary_color: "#1f6f8b",
        url: "https://www.platypus.example",
        oauth: false,
        routing_number: "011401533",
    },
    Institution {
        id: "ins_109509",
        name: "First Gingham Credit Union",
        primary_color: "#c0392b",
        url: "https://www.gingham.example",
        oauth: false,
        routing_number: "011000138",
    },
    Institution {
        id: "ins_109510",
        name: "Tattersall Federal Credit Union",
        primary_color: "#2e7d32",
        url: "https://www.tattersall.example",
        oauth: false,
        routing_number: "021000021",
    },
    Institution {
        id: "ins_109511",
        name: "Tartan Bank",
        primary_color: "#6a1b9a",
        url: "https://www.tartan.example",
        oauth: false,
        routing_number: "021200339",
    },
    Institution {
        id: "ins_109512",
        name: "Houndstooth Bank",
        primary_color: "#37474f",
        url: "https://www.houndstooth.example",
        oauth: false,
        routing_number: "031101279",
    },
    Institution {
        id: "ins_127287",
        name: "Platypus OAuth Bank",
        primary_color: "#0277bd",
        url: "https://www.platypus-oauth.example",
        oauth: true,
        routing_number: "011401533",
    },
    Institution {
        id: "ins_116834",
        name: "Flexible Platypus Open Banking",
        primary_color: "#ef6c00",
        url: "https://www.flexible-platypus.example",
        oauth: true,
        routing_number: "053000196",
    },
];

/// The institution with this id.
pub fn institution(id: &str) -> Option<&'static Institution> {
    INSTITUTIONS.iter().find(|i| i.id == id)
}

/// Institutions whose name contains every word of `query` (any case).
pub fn search_institutions(query: &str) -> Vec<&'static Institution> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    INSTITUTIONS.iter().filter(|i| words.iter().all(|w| i.name.to_lowercase().contains(w.as_str()))).collect()
}

/// The kinds of account every sandbox login has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    Checking,
    Savings,
    CreditCard,
}

impl AccountKind {
    /// Plaid's `type`.
    pub fn plaid_type(self) -> &'static str {
        match self {
            Self::Checking | Self::Savings => "depository",
            Self::CreditCard => "credit",
        }
    }

    /// Plaid's `subtype`.
    pub fn plaid_subtype(self) -> &'static str {
        match self {
            Self::Checking => "checking",
            Self::Savings => "savings",
            Self::CreditCard => "credit card",
        }
    }
}

/// One account of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSpec {
    pub index: usize,
    pub kind: AccountKind,
    pub account_id: String,
    pub name: &'static str,
    pub official_name: &'static str,
    pub mask: String,
    /// Balance in cents at the start of history (credit: amount owed).
    pub opening_cents: i64,
    /// Credit limit in cents (credit cards).
    pub limit_cents: Option<i64>,
}

/// The accounts of an item. Masks and balances follow the login (the same
/// bank login linked twice shows the same accounts); ids follow the item.
pub fn accounts(item_id: &str, login_seed: &str) -> Vec<AccountSpec> {
    let mut rng = Rng::new(&format!("{login_seed}/accounts"));
    let specs = [
        (AccountKind::Checking, "Plaid Checking", "Plaid Gold Standard 0% Interest Checking"),
        (AccountKind::Savings, "Plaid Saving", "Plaid Silver Standard 0.1% Interest Saving"),
        (AccountKind::CreditCard, "Plaid Credit Card", "Plaid Diamond 12.5% APR Interest Credit Card"),
    ];
    specs
        .into_iter()
        .enumerate()
        .map(|(index, (kind, name, official_name))| AccountSpec {
            index,
            kind,
            account_id: stable_id(&format!("{item_id}/account/{index}"), 37),
            name,
            official_name,
            mask: rng.digits(4),
            opening_cents: match kind {
                AccountKind::Checking => rng.range(150_000, 600_000),
                AccountKind::Savings => rng.range(500_000, 2_500_000),
                AccountKind::CreditCard => rng.range(20_000, 90_000),
            },
            limit_cents: (kind == AccountKind::CreditCard).then(|| rng.range(5, 15) * 100_000),
        })
        .collect()
}

/// Where a transaction happened, when it was in a store.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub address: &'static str,
    pub city: &'static str,
    pub region: &'static str,
    pub postal_code: &'static str,
    pub lat: f64,
    pub lon: f64,
    pub store_number: Option<String>,
}

/// One version of a transaction as Plaid reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct TxnData {
    pub account_index: usize,
    /// Plaid's sign: positive = money out of the account.
    pub amount_cents: i64,
    pub date: NaiveDate,
    pub authorized_date: NaiveDate,
    pub name: String,
    pub merchant_name: Option<&'static str>,
    pub website: Option<&'static str>,
    pub category: (&'static str, &'static str),
    pub confidence: &'static str,
    pub payment_channel: &'static str,
    pub pending: bool,
    pub pending_transaction_id: Option<String>,
    pub place: Option<Place>,
    pub payment_meta_ref: Option<String>,
}

/// A transaction through time: it appears at `created_at`, may change
/// (`versions`, oldest first, the first at `created_at`) and may be removed.
#[derive(Debug, Clone, PartialEq)]
pub struct TxnLife {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub removed_at: Option<DateTime<Utc>>,
    pub versions: Vec<(DateTime<Utc>, TxnData)>,
}

impl TxnLife {
    /// Whether the transaction exists at `t`.
    pub fn alive_at(&self, t: DateTime<Utc>) -> bool {
        self.created_at <= t && self.removed_at.is_none_or(|r| r > t)
    }

    /// The version current at `t`, if it exists then.
    pub fn at(&self, t: DateTime<Utc>) -> Option<&TxnData> {
        if !self.alive_at(t) {
            return None;
        }
        self.versions.iter().rev().find(|(at, _)| *at <= t).map(|(_, data)| data)
    }

    /// The times at which anything happened to it.
    pub fn event_times(&self) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        self.versions.iter().map(|(t, _)| *t).chain(self.removed_at)
    }
}

/// A kind of spending or income.
struct Merchant {
    name: &'static str,
    descriptor: &'static str,
    website: Option<&'static str>,
    category: (&'static str, &'static str),
    channel: &'static str,
    cents: (i64, i64),
    tip: bool,
}

const fn m(
    name: &'static str,
    descriptor: &'static str,
    website: Option<&'static str>,
    category: (&'static str, &'static str),
    channel: &'static str,
    cents: (i64, i64),
) -> Merchant {
    Merchant { name, descriptor, website, category, channel, cents, tip: false }
}

const GROCERIES: &[Merchant] = &[
    m(
        "Whole Foods Market",
        "WHOLEFDS",
        Some("wholefoodsmarket.com"),
        ("FOOD_AND_DRINK", "FOOD_AND_DRINK_GROCERIES"),
        "in store",
        (2_500, 14_000),
    ),
    m(
        "Trader Joe's",
        "TRADER JOE S #",
        Some("traderjoes.com"),
        ("FOOD_AND_DRINK", "FOOD_AND_DRINK_GROCERIES"),
        "in store",
        (1_800, 9_000),
    ),
    m(
        "Safeway",
        "SAFEWAY #",
        Some("safeway.com"),
        ("FOOD_AND_DRINK", "FOOD_AND_DRINK_GROCERIES"),
        "in store",
        (1_500, 11_000),
    ),
];

const CARD_SPEND: &[(f64, Merchant)] = &[
    (
        0.35,
        m(
            "Starbucks",
            "STARBUCKS STORE",
            Some("starbucks.com"),
            ("FOOD_AND_DRINK", "FOOD_AND_DRINK_COFFEE"),
            "in store",
            (395, 895),
        ),
    ),
    (
        0.10,
        m(
            "Blue Bottle Coffee",
            "SQ *BLUE BOTTLE COFF",
            Some("bluebottlecoffee.com"),
            ("FOOD_AND_DRINK", "FOOD_AND_DRINK_COFFEE"),
            "in store",
            (450, 1_100),
        ),
    ),
    (
        0.18,
        Merchant {
            tip: true,
            ..m(
                "Chipotle Mexican Grill",
                "CHIPOTLE",
                Some("chipotle.com"),
                ("FOOD_AND_DRINK", "FOOD_AND_DRINK_RESTAURANT"),
                "in store",
                (1_100, 3_200),
            )
        },
    ),
    (
        0.10,
        Merchant {
            tip: true,
            ..m(
                "Sweetgreen",
                "SWEETGREEN",
                Some("sweetgreen.com"),
                ("FOOD_AND_DRINK", "FOOD_AND_DRINK_RESTAURANT"),
                "in store",
                (1_300, 3_600),
            )
        },
    ),
    (
        0.06,
        Merchant {
            tip: true,
            ..m(
                "The Cheesecake Factory",
                "CHEESECAKE FACTORY",
                Some("thecheesecakefactory.com"),
                ("FOOD_AND_DRINK", "FOOD_AND_DRINK_RESTAURANT"),
                "in store",
                (3_500, 9_500),
            )
        },
    ),
    (
        0.12,
        m(
            "McDonald's",
            "MCDONALD'S F",
            Some("mcdonalds.com"),
            ("FOOD_AND_DRINK", "FOOD_AND_DRINK_FAST_FOOD"),
            "in store",
            (650, 1_800),
        ),
    ),
    (
        0.20,
        m(
            "Uber",
            "UBER *TRIP",
            Some("uber.com"),
            ("TRANSPORTATION", "TRANSPORTATION_TAXIS_AND_RIDE_SHARES"),
            "online",
            (900, 4_800),
        ),
    ),
    (
        0.07,
        m(
            "Lyft",
            "LYFT *RIDE",
            Some("lyft.com"),
            ("TRANSPORTATION", "TRANSPORTATION_TAXIS_AND_RIDE_SHARES"),
            "online",
            (800, 3_900),
        ),
    ),
    (
        0.10,
        m(
            "Shell",
            "SHELL OIL",
            Some("shell.com"),
            ("TRANSPORTATION", "TRANSPORTATION_GAS"),
            "in store",
            (2_800, 7_200),
        ),
    ),
    (
        0.16,
        m(
            "Amazon",
            "AMAZON.COM*",
            Some("amazon.com"),
            ("GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES"),
            "online",
            (1_000, 16_000),
        ),
    ),
    (
        0.07,
        m(
            "Target",
            "TARGET",
            Some("target.com"),
            ("GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_SUPERSTORES"),
            "in store",
            (1_500, 12_000),
        ),
    ),
    (
        0.04,
        m(
            "Costco",
            "COSTCO WHSE #",
            Some("costco.com"),
            ("GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_SUPERSTORES"),
            "in store",
            (6_000, 28_000),
        ),
    ),
    (
        0.05,
        m(
            "CVS Pharmacy",
            "CVS/PHARMACY #",
            Some("cvs.com"),
            ("MEDICAL", "MEDICAL_PHARMACIES_AND_SUPPLEMENTS"),
            "in store",
            (600, 4_500),
        ),
    ),
    (
        0.04,
        m(
            "AMC Theatres",
            "AMC ONLINE",
            Some("amctheatres.com"),
            ("ENTERTAINMENT", "ENTERTAINMENT_TV_AND_MOVIES"),
            "online",
            (1_400, 4_200),
        ),
    ),
    (
        0.012,
        m(
            "United Airlines",
            "UNITED 0162",
            Some("united.com"),
            ("TRAVEL", "TRAVEL_FLIGHTS"),
            "online",
            (18_000, 65_000),
        ),
    ),
    (0.010, m("Airbnb", "AIRBNB * HM", Some("airbnb.com"), ("TRAVEL", "TRAVEL_LODGING"), "online", (25_000, 90_000))),
];

/// Monthly card subscriptions: (day of month, merchant).
const SUBSCRIPTIONS: &[(u32, Merchant)] = &[
    (
        3,
        m(
            "Netflix",
            "NETFLIX.COM",
            Some("netflix.com"),
            ("ENTERTAINMENT", "ENTERTAINMENT_TV_AND_MOVIES"),
            "online",
            (1_549, 1_549),
        ),
    ),
    (
        9,
        m(
            "Spotify",
            "SPOTIFY USA",
            Some("spotify.com"),
            ("ENTERTAINMENT", "ENTERTAINMENT_MUSIC_AND_AUDIO"),
            "online",
            (1_199, 1_199),
        ),
    ),
    (
        14,
        m(
            "Apple",
            "APPLE.COM/BILL",
            Some("apple.com"),
            ("GENERAL_SERVICES", "GENERAL_SERVICES_OTHER_GENERAL_SERVICES"),
            "online",
            (299, 299),
        ),
    ),
    (
        21,
        m(
            "Planet Fitness",
            "PLANET FITNESS",
            Some("planetfitness.com"),
            ("PERSONAL_CARE", "PERSONAL_CARE_GYMS_AND_FITNESS_CENTERS"),
            "other",
            (2_499, 2_499),
        ),
    ),
];

const PLACES: &[(&str, &str, &str, &str, f64, f64)] = &[
    ("1 Ferry Building", "San Francisco", "CA", "94111", 37.7955, -122.3937),
    ("300 Post St", "San Francisco", "CA", "94108", 37.7885, -122.4075),
    ("2675 Geary Blvd", "San Francisco", "CA", "94118", 37.7826, -122.4478),
    ("555 9th St", "San Francisco", "CA", "94103", 37.7707, -122.4093),
    ("1150 El Camino Real", "San Bruno", "CA", "94066", 37.6294, -122.4112),
];

/// A purchase or payment before it becomes a transaction.
struct Purchase {
    at: DateTime<Utc>,
    merchant: &'static Merchant,
    cents: i64,
    /// Card-network purchases show as pending first.
    pending_first: bool,
}

fn at(date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    date.and_time(NaiveTime::from_hms_opt(hour.min(23), minute.min(59), 0).unwrap_or(NaiveTime::MIN)).and_utc()
}

/// What the login spends by card on `date` (pure: the same for the same day).
fn card_purchases(login_seed: &str, date: NaiveDate) -> Vec<Purchase> {
    let mut rng = Rng::new(&format!("{login_seed}/card/{date}"));
    let mut out = Vec::new();
    for (p, merchant) in CARD_SPEND {
        if rng.chance(*p) {
            let cents = rng.range(merchant.cents.0, merchant.cents.1);
            let hour = u32::try_from(rng.range(8, 21)).unwrap_or(12);
            let minute = u32::try_from(rng.range(0, 59)).unwrap_or(0);
            out.push(Purchase { at: at(date, hour, minute), merchant, cents, pending_first: true });
        }
    }
    for (day, merchant) in SUBSCRIPTIONS {
        if date.day() == *day {
            out.push(Purchase { at: at(date, 5, 10), merchant, cents: merchant.cents.0, pending_first: true });
        }
    }
    out
}

/// Card spending authorised on the days `from..until`.
fn card_spending(login_seed: &str, from: NaiveDate, until: NaiveDate) -> i64 {
    from.iter_days().take_while(|d| *d < until).flat_map(|d| card_purchases(login_seed, d)).map(|p| p.cents).sum()
}

/// The first of the month before `date`'s, and the first of `date`'s.
fn previous_month(date: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = date.with_day(1).unwrap_or(date);
    (first.checked_sub_months(chrono::Months::new(1)).unwrap_or(first), first)
}

/// Card spending authorised during the calendar month before `date`'s.
fn previous_month_card_total(login_seed: &str, date: NaiveDate) -> i64 {
    let (from, until) = previous_month(date);
    card_spending(login_seed, from, until)
}

/// Card spending from before `start` that autopays on or after it settle
/// (each on the 26th, for the month before): the previous month's while
/// its payment is still due, and `start`'s month up to `start`. Part of
/// what the card owes when its history starts, so payments inside the
/// history never pay for more than it holds.
fn card_owed_before(login_seed: &str, start: NaiveDate) -> i64 {
    let (previous, first) = previous_month(start);
    card_spending(login_seed, if start.day() <= 26 { previous } else { first }, start)
}

/// The accounts of an item whose history starts on `start`: as
/// [`accounts`] makes them, the card owing at that start what the
/// payments in the history settle.
pub fn accounts_from(item_id: &str, login_seed: &str, start: NaiveDate) -> Vec<AccountSpec> {
    let card_owed = card_owed_before(login_seed, start);
    accounts(item_id, login_seed)
        .into_iter()
        .map(|mut a| {
            if a.kind == AccountKind::CreditCard {
                a.opening_cents += card_owed;
            }
            a
        })
        .collect()
}

const PAYROLL: Merchant =
    m("ACME Corp", "ACME CORP DIRECT DEP PPD ID: 9876543210", None, ("INCOME", "INCOME_WAGES"), "other", (0, 0));
const RENT: Merchant = m(
    "Greystar",
    "GREYSTAR RENT PAYMENT WEB ID: 1112223334",
    Some("greystar.com"),
    ("RENT_AND_UTILITIES", "RENT_AND_UTILITIES_RENT"),
    "online",
    (0, 0),
);
const POWER: Merchant = m(
    "PG&E",
    "PGANDE WEB ONLINE",
    Some("pge.com"),
    ("RENT_AND_UTILITIES", "RENT_AND_UTILITIES_GAS_AND_ELECTRICITY"),
    "online",
    (6_000, 21_000),
);
const INTERNET: Merchant = m(
    "Comcast",
    "COMCAST CABLE COMM",
    Some("xfinity.com"),
    ("RENT_AND_UTILITIES", "RENT_AND_UTILITIES_INTERNET_AND_CABLE"),
    "online",
    (8_999, 8_999),
);
const PHONE: Merchant = m(
    "Verizon Wireless",
    "VZWRLSS*APOCC VISB",
    Some("verizon.com"),
    ("RENT_AND_UTILITIES", "RENT_AND_UTILITIES_TELEPHONE"),
    "online",
    (7_000, 9_500),
);
const TO_SAVINGS: Merchant =
    m("", "TRANSFER TO SAVINGS", None, ("TRANSFER_OUT", "TRANSFER_OUT_SAVINGS"), "other", (0, 0));
const FROM_CHECKING: Merchant =
    m("", "TRANSFER FROM CHECKING", None, ("TRANSFER_IN", "TRANSFER_IN_SAVINGS"), "other", (0, 0));
const CARD_PAYMENT: Merchant =
    m("", "PLAID CREDIT CARD AUTOPAY", None, ("LOAN_PAYMENTS", "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"), "other", (0, 0));
const CARD_PAYMENT_RECEIVED: Merchant =
    m("", "PAYMENT - THANK YOU", None, ("LOAN_PAYMENTS", "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"), "other", (0, 0));
const INTEREST: Merchant = m("", "INTEREST EARNED", None, ("INCOME", "INCOME_INTEREST_EARNED"), "other", (40, 420));
const ATM: Merchant = m(
    "",
    "ATM WITHDRAWAL 4821 MARKET ST",
    None,
    ("TRANSFER_OUT", "TRANSFER_OUT_WITHDRAWAL"),
    "in store",
    (2_000, 20_000),
);
const VENMO: Merchant = m(
    "Venmo",
    "VENMO PAYMENT",
    Some("venmo.com"),
    ("TRANSFER_OUT", "TRANSFER_OUT_ACCOUNT_TRANSFER"),
    "online",
    (1_000, 8_000),
);

/// What moves through one account on `date`. Amounts use Plaid's sign
/// (positive = out); `cents` in [`Purchase`] is always positive and the sign
/// is applied here.
fn day_activity(login_seed: &str, kind: AccountKind, date: NaiveDate) -> Vec<(Purchase, i64)> {
    let mut rng = Rng::new(&format!("{login_seed}/{kind:?}/{date}"));
    let salary = Rng::new(&format!("{login_seed}/salary")).range(260_000, 390_000);
    let rent = Rng::new(&format!("{login_seed}/rent")).range(180_000, 260_000);
    let saving = Rng::new(&format!("{login_seed}/saving")).range(25_000, 80_000);
    let ach = |merchant: &'static Merchant, cents: i64, hour: u32| Purchase {
        at: at(date, hour, 0),
        merchant,
        cents,
        pending_first: false,
    };
    let mut out = Vec::new();
    match kind {
        AccountKind::Checking => {
            if date.day() == 1 || date.day() == 15 {
                out.push((ach(&PAYROLL, salary, 6), -1));
            }
            if date.day() == 1 {
                out.push((ach(&RENT, rent, 9), 1));
            }
            if date.day() == 2 {
                out.push((ach(&TO_SAVINGS, saving, 10), 1));
            }
            for (day, bill) in [(12, &POWER), (18, &INTERNET), (22, &PHONE)] {
                if date.day() == day {
                    let cents = rng.range(bill.cents.0, bill.cents.1);
                    out.push((ach(bill, cents, 7), 1));
                }
            }
            if date.day() == 25 {
                let total = previous_month_card_total(login_seed, date);
                if total > 0 {
                    out.push((ach(&CARD_PAYMENT, total, 8), 1));
                }
            }
            if rng.chance(0.28) {
                let merchant = rng.pick(GROCERIES);
                let cents = rng.range(merchant.cents.0, merchant.cents.1);
                let hour = u32::try_from(rng.range(9, 20)).unwrap_or(12);
                out.push((Purchase { at: at(date, hour, 30), merchant, cents, pending_first: true }, 1));
            }
            if rng.chance(0.03) {
                out.push((ach(&ATM, rng.range(1, 10) * 2_000, 13), 1));
            }
            if rng.chance(0.05) {
                let cents = rng.range(VENMO.cents.0, VENMO.cents.1);
                out.push((ach(&VENMO, cents, 19), 1));
            }
        }
        AccountKind::Savings => {
            if date.day() == 2 {
                out.push((ach(&FROM_CHECKING, saving, 10), -1));
            }
            if date.succ_opt().is_some_and(|next| next.day() == 1) {
                out.push((ach(&INTEREST, rng.range(INTEREST.cents.0, INTEREST.cents.1), 23), -1));
            }
        }
        AccountKind::CreditCard => {
            out.extend(card_purchases(login_seed, date).into_iter().map(|p| (p, 1)));
            if date.day() == 26 {
                let total = previous_month_card_total(login_seed, date);
                if total > 0 {
                    out.push((ach(&CARD_PAYMENT_RECEIVED, total, 8), -1));
                }
            }
        }
    }
    out
}

fn place(rng: &mut Rng) -> Place {
    let (address, city, region, postal_code, lat, lon) = *rng.pick(PLACES);
    Place { address, city, region, postal_code, lat, lon, store_number: Some(rng.digits(4)) }
}

/// Every transaction of `accounts` whose date falls in `start..=until`'s day,
/// with its lifecycle. Lifecycle steps after `until` are kept: reads at a
/// time filter them.
pub fn transactions(
    item_id: &str,
    login_seed: &str,
    accounts: &[AccountSpec],
    start: NaiveDate,
    until: DateTime<Utc>,
) -> Vec<TxnLife> {
    let mut lives = Vec::new();
    let last = until.date_naive();
    for account in accounts {
        let mut day = start;
        while day <= last {
            for (k, (purchase, sign)) in day_activity(login_seed, account.kind, day).into_iter().enumerate() {
                lives.extend(lifecycle(item_id, account, day, k, &purchase, sign));
            }
            let Some(next) = day.checked_add_days(Days::new(1)) else { break };
            day = next;
        }
    }
    lives
}

/// The transaction(s) one purchase becomes: posted directly (ACH), or
/// pending then posted (card), and sometimes later enriched or reversed.
fn lifecycle(
    item_id: &str,
    account: &AccountSpec,
    day: NaiveDate,
    k: usize,
    purchase: &Purchase,
    sign: i64,
) -> Vec<TxnLife> {
    let key = format!("{item_id}/{}/{day}/{k}", account.index);
    let mut rng = Rng::new(&key);
    let merchant = purchase.merchant;
    let in_store = merchant.channel == "in store";
    let descriptor = if merchant.descriptor.ends_with('#') || merchant.descriptor.ends_with(' ') {
        format!("{}{}", merchant.descriptor, rng.digits(4))
    } else {
        merchant.descriptor.to_owned()
    };
    let base = TxnData {
        account_index: account.index,
        amount_cents: sign * purchase.cents,
        date: day,
        authorized_date: day,
        name: descriptor.clone(),
        merchant_name: (!merchant.name.is_empty()).then_some(merchant.name),
        website: merchant.website,
        category: merchant.category,
        confidence: if merchant.name.is_empty() { "HIGH" } else { "VERY_HIGH" },
        payment_channel: merchant.channel,
        pending: false,
        pending_transaction_id: None,
        place: in_store.then(|| place(&mut rng)),
        payment_meta_ref: (merchant.channel == "other").then(|| rng.digits(10)),
    };
    let mut lives = Vec::new();
    let (posted_id, posted_at, mut posted) = if purchase.pending_first {
        let pending_id = stable_id(&format!("{key}/pending"), 37);
        let lag = rng.range(1, 3);
        let posted_day = day.checked_add_days(Days::new(u64::try_from(lag).unwrap_or(1))).unwrap_or(day);
        let posted_at = at(posted_day, 6, u32::try_from(rng.range(0, 59)).unwrap_or(0));
        lives.push(TxnLife {
            id: pending_id.clone(),
            created_at: purchase.at,
            removed_at: Some(posted_at),
            versions: vec![(purchase.at, TxnData { pending: true, ..base.clone() })],
        });
        // Restaurants post with the tip added.
        let amount = if merchant.tip {
            base.amount_cents + base.amount_cents * rng.range(15, 22) / 100
        } else {
            base.amount_cents
        };
        let posted = TxnData {
            amount_cents: amount,
            date: posted_day,
            pending_transaction_id: Some(pending_id),
            ..base.clone()
        };
        (stable_id(&format!("{key}/posted"), 37), posted_at, posted)
    } else {
        (stable_id(&format!("{key}/posted"), 37), purchase.at, base.clone())
    };
    // A few posted card transactions arrive with a raw descriptor and an
    // unsure category, enriched a day later (a "modified" update).
    let mut versions = Vec::new();
    let enrich_later = purchase.pending_first && rng.chance(0.05);
    if enrich_later {
        let raw = TxnData {
            merchant_name: None,
            category: ("GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE"),
            confidence: "LOW",
            ..posted.clone()
        };
        versions.push((posted_at, raw));
        versions.push((posted_at + TimeDelta::days(1), posted.clone()));
    } else {
        posted.name = descriptor;
        versions.push((posted_at, posted));
    }
    // And a few are reversed two days after posting (removed).
    let removed_at = (rng.chance(0.015)).then(|| posted_at + TimeDelta::days(2));
    lives.push(TxnLife { id: posted_id, created_at: posted_at, removed_at, versions });
    lives
}

/// Current and available balance of `account` at `now`, in cents, from its
/// opening balance and the transactions alive then.
pub fn balances(account: &AccountSpec, lives: &[TxnLife], now: DateTime<Utc>) -> (i64, i64) {
    let mut posted = 0;
    let mut pending = 0;
    for data in lives.iter().filter_map(|l| l.at(now)).filter(|d| d.account_index == account.index) {
        if data.pending {
            pending += data.amount_cents;
        } else {
            posted += data.amount_cents;
        }
    }
    match account.kind {
        AccountKind::Checking | AccountKind::Savings => {
            let current = account.opening_cents - posted;
            (current, current - pending.max(0))
        }
        AccountKind::CreditCard => {
            let owed = account.opening_cents + posted;
            (owed, account.limit_cents.unwrap_or(0) - owed - pending.max(0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(until: DateTime<Utc>) -> (Vec<AccountSpec>, Vec<TxnLife>) {
        let accounts = accounts("item-1", "ins_109508/user_good");
        let start = until.date_naive() - TimeDelta::days(730);
        let lives = transactions("item-1", "ins_109508/user_good", &accounts, start, until);
        (accounts, lives)
    }

    #[test]
    fn two_years_of_realistic_activity() {
        let now = at(NaiveDate::from_ymd_opt(2026, 6, 15).expect("date"), 12, 0);
        let (accounts, lives) = sample(now);
        let alive: Vec<&TxnData> = lives.iter().filter_map(|l| l.at(now)).collect();
        assert!(alive.len() > 1_500, "{} transactions", alive.len());
        assert!(alive.iter().any(|d| d.pending), "some are pending");
        assert!(alive.iter().any(|d| d.pending_transaction_id.is_some()), "some posted from pending");
        assert!(lives.iter().any(|l| l.versions.len() > 1), "some were modified");
        assert!(lives.iter().any(|l| l.removed_at.is_some() && l.versions[0].1.pending_transaction_id.is_some()));
        assert!(alive.iter().any(|d| d.category.0 == "INCOME" && d.amount_cents < 0), "income is negative");
        for account in &accounts {
            let (current, _) = balances(account, &lives, now);
            assert!(current > 0, "{:?} balance {current}", account.kind);
        }
        // Deterministic.
        assert_eq!(sample(now).1, lives);
    }

    #[test]
    fn a_card_never_owes_less_than_nothing() {
        let now = at(NaiveDate::from_ymd_opt(2026, 11, 22).expect("date"), 12, 0);
        for login in ["ins_109508/user_good", "ins_109509/user_good", "ins_109508/custom_a"] {
            for days in [1, 10, 30, 95, 400, 730] {
                let start = now.date_naive() - TimeDelta::days(days);
                let card = accounts_from("item-1", login, start)[2].clone();
                assert_eq!(card.kind, AccountKind::CreditCard);
                let lives = transactions("item-1", login, std::slice::from_ref(&card), start, now);
                let mut day = start;
                while day <= now.date_naive() {
                    let (owed, available) = balances(&card, &lives, at(day, 23, 0));
                    assert!(owed >= 0, "{login}, {days} days of history: owes {owed} on {day}");
                    assert!(available <= card.limit_cents.unwrap_or(0) - owed);
                    day += TimeDelta::days(9);
                }
            }
        }
    }

    #[test]
    fn a_pending_transaction_is_replaced_by_its_posted_one() {
        let now = at(NaiveDate::from_ymd_opt(2026, 6, 15).expect("date"), 12, 0);
        let (_, lives) = sample(now);
        let posted = lives
            .iter()
            .find(|l| l.versions[0].1.pending_transaction_id.is_some() && l.created_at < now)
            .expect("a posted card transaction");
        let pending_id = posted.versions[0].1.pending_transaction_id.clone().expect("link");
        let pending = lives.iter().find(|l| l.id == pending_id).expect("its pending one");
        assert_eq!(pending.removed_at, Some(posted.created_at));
        assert!(pending.alive_at(posted.created_at - TimeDelta::seconds(1)));
        assert!(!pending.alive_at(posted.created_at));
    }

    #[test]
    fn the_same_login_has_the_same_accounts_under_new_ids() {
        let a = accounts("item-1", "ins_109508/user_good");
        let b = accounts("item-2", "ins_109508/user_good");
        assert_eq!(a.iter().map(|x| &x.mask).collect::<Vec<_>>(), b.iter().map(|x| &x.mask).collect::<Vec<_>>());
        assert_ne!(a[0].account_id, b[0].account_id);
    }

    #[test]
    fn institutions_search_by_words() {
        assert_eq!(search_institutions("platypus").len(), 3);
        assert_eq!(search_institutions("first  bank").len(), 1);
        assert!(search_institutions("nothing like it").is_empty());
        assert!(INSTITUTIONS.len() >= 5);
    }
}
