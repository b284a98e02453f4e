//! The Pluggy sandbox's deterministic world: connectors, categories, and a
//! Brazilian household's accounts and transactions laid out on a timeline.
//! The same login (connector + user) always sees the same history; what is
//! visible depends only on the sandbox clock.
//!
//! Most transactions, once they appear, stay. A few card purchases do not:
//! the merchant withdraws them (a cancelled authorisation) a day or two after
//! they appear, while still `PENDING`, and the bank stops listing them, which
//! Pluggy reports with a `transactions/deleted` webhook.

use chrono::{DateTime, Datelike as _, Days, NaiveDate, TimeDelta, Utc};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::server::sandbox::rng::Rng;

/// How far back the history goes before an item's first sync.
pub const HISTORY_DAYS: i64 = 730;
/// Card purchases stay `PENDING` this long, then post (same id).
pub const PENDING_FOR: TimeDelta = TimeDelta::days(3);
/// The share of everyday card purchases the merchant withdraws before they
/// post (installments and subscriptions are never withdrawn).
pub const WITHDRAWN_SHARE: f64 = 0.08;

/// A connector the sandbox offers.
pub struct ConnectorSpec {
    pub id: u32,
    pub name: &'static str,
    pub color: &'static str,
    pub url: &'static str,
    pub sandbox: bool,
    pub mfa: bool,
    pub kind: &'static str,
}

/// The sandbox's connectors: two sandbox ones, then fictional Brazilian banks.
pub const CONNECTORS: &[ConnectorSpec] = &[
    ConnectorSpec {
        id: 0,
        name: "Pluggy Bank",
        color: "ef294b",
        url: "https://pluggy.ai",
        sandbox: true,
        mfa: false,
        kind: "PERSONAL_BANK",
    },
    ConnectorSpec {
        id: 5,
        name: "Pluggy Bank MFA",
        color: "ef294b",
        url: "https://pluggy.ai",
        sandbox: true,
        mfa: true,
        kind: "PERSONAL_BANK",
    },
    ConnectorSpec {
        id: 201,
        name: "Banco Sabiá",
        color: "f28c28",
        url: "https://sabia.example",
        sandbox: false,
        mfa: false,
        kind: "PERSONAL_BANK",
    },
    ConnectorSpec {
        id: 202,
        name: "Roxinho",
        color: "820ad1",
        url: "https://roxinho.example",
        sandbox: false,
        mfa: false,
        kind: "PERSONAL_BANK",
    },
    ConnectorSpec {
        id: 203,
        name: "Caixa Ipê",
        color: "005ca9",
        url: "https://caixaipe.example",
        sandbox: false,
        mfa: false,
        kind: "PERSONAL_BANK",
    },
    ConnectorSpec {
        id: 204,
        name: "Jequitibá Empresas",
        color: "00843d",
        url: "https://jequitiba.example",
        sandbox: false,
        mfa: false,
        kind: "BUSINESS_BANK",
    },
];

/// The connector with `id`.
pub fn connector(id: u32) -> Option<&'static ConnectorSpec> {
    CONNECTORS.iter().find(|c| c.id == id)
}

/// Pluggy's timestamp format (`2026-01-02T03:04:05.000Z`).
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A fixed creation date for the static catalogue.
const CATALOGUE_DATE: &str = "2024-01-15T12:00:00.000Z";

/// The MFA field the MFA connector asks for through `WAITING_USER_INPUT`.
pub fn mfa_parameter(now: DateTime<Utc>) -> Value {
    json!({
        "name": "token",
        "label": "Token",
        "type": "number",
        "assistiveText": "Digite o token de 6 dígitos (no sandbox: 123456)",
        "placeholder": "123456",
        "validation": "^\\d{6}$",
        "validationMessage": "O token tem 6 dígitos",
        "optional": false,
        "expiresAt": iso(now + TimeDelta::minutes(5)),
    })
}

/// A connector as Pluggy renders it; `base` is the public URL of the sandbox.
pub fn connector_json(c: &ConnectorSpec, base: &str) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "institutionUrl": c.url,
        "imageUrl": format!("{base}/__connectors/{}/logo.png", c.id),
        "primaryColor": c.color,
        "type": c.kind,
        "country": "BR",
        "credentials": [
            {"label": "Usuário", "name": "user", "type": "text", "placeholder": "user-ok", "validation": "^.+$", "validationMessage": "Informe o usuário", "optional": false},
            {"label": "Senha", "name": "password", "type": "password", "placeholder": "password-ok", "validation": "^.+$", "validationMessage": "Informe a senha", "optional": false},
        ],
        "hasMFA": c.mfa,
        "oauth": false,
        "health": {"status": "ONLINE"},
        "products": ["ACCOUNTS", "CREDIT_CARDS", "TRANSACTIONS", "PAYMENT_DATA"],
        "isSandbox": c.sandbox,
        "isOpenFinance": false,
        "supportsPaymentInitiation": false,
        "supportsScheduledPayments": false,
        "supportsSmartTransfers": false,
        "supportsBoletoManagement": false,
        "supportsAutomaticPix": false,
        "createdAt": CATALOGUE_DATE,
        "updatedAt": CATALOGUE_DATE,
    })
}

/// The category id of a credit card bill payment (both sides of it).
pub const BILL_PAYMENT: &str = "05100000";

/// `(id, English, Portuguese, parent id)`: Pluggy-style 8-digit category ids.
pub const CATEGORIES: &[(&str, &str, &str, Option<&str>)] = &[
    ("01000000", "Income", "Renda", None),
    ("01010000", "Salary", "Salário", Some("01000000")),
    ("03000000", "Investments", "Investimentos", None),
    ("03050000", "Savings", "Poupança", Some("03000000")),
    ("05000000", "Transfers", "Transferências", None),
    ("05070000", "Transfer - PIX", "Transferência - PIX", Some("05000000")),
    ("05030000", "Transfer - TED", "Transferência - TED", Some("05000000")),
    ("05100000", "Credit card payment", "Pagamento de cartão de crédito", Some("05000000")),
    ("08000000", "Shopping", "Compras", None),
    ("08030000", "Online shopping", "Compras online", Some("08000000")),
    ("09000000", "Digital services", "Serviços digitais", None),
    ("09020000", "Video streaming", "Streaming de vídeo", Some("09000000")),
    ("10000000", "Groceries", "Supermercado", None),
    ("11000000", "Food and drinks", "Alimentação", None),
    ("11020000", "Food delivery", "Delivery de comida", Some("11000000")),
    ("14000000", "Health", "Saúde", None),
    ("14020000", "Pharmacy", "Farmácia", Some("14000000")),
    ("17000000", "Housing", "Moradia", None),
    ("17010000", "Condominium", "Condomínio", Some("17000000")),
    ("17020000", "Electricity", "Energia elétrica", Some("17000000")),
    ("19000000", "Transportation", "Transporte", None),
    ("19030000", "Taxi and ride-hailing", "Táxi e transporte por aplicativo", Some("19000000")),
    ("19050000", "Gas stations", "Postos de gasolina", Some("19000000")),
];

/// A category as `GET /categories` lists it.
pub fn category_json(id: &str) -> Value {
    let Some((id, en, pt, parent)) = CATEGORIES.iter().find(|c| c.0 == id) else {
        return Value::Null;
    };
    let parent_description = parent.and_then(|p| CATEGORIES.iter().find(|c| c.0 == p)).map(|c| c.1);
    json!({
        "id": id,
        "description": en,
        "descriptionTranslated": pt,
        "parentId": parent,
        "parentDescription": parent_description,
    })
}

fn category_name(id: &str) -> &'static str {
    CATEGORIES.iter().find(|c| c.0 == id).map_or("Others", |c| c.1)
}

/// Which of the three accounts a transaction is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    Checking,
    Savings,
    Card,
}

impl AccountKind {
    pub const ALL: [Self; 3] = [Self::Checking, Self::Savings, Self::Card];

    fn key(self) -> &'static str {
        match self {
            Self::Checking => "checking",
            Self::Savings => "savings",
            Self::Card => "card",
        }
    }
}

/// A uuid (v4-shaped) derived from `key`.
pub fn uuid_for(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// The id of an item's account.
pub fn account_id(item_id: &str, kind: AccountKind) -> String {
    uuid_for(&format!("{item_id}/account/{}", kind.key()))
}

/// A party to a payment.
#[derive(Debug, Clone)]
pub struct Party {
    pub name: String,
    pub document: String,
    pub cnpj: bool,
}

/// Installment details of a card purchase.
#[derive(Debug, Clone)]
pub struct Installment {
    pub number: u32,
    pub total: u32,
    pub total_cents: i64,
    pub purchase_date: DateTime<Utc>,
}

/// A transaction of the world, before it is dressed for an item.
#[derive(Debug, Clone)]
pub struct Txn {
    /// Unique within the login (`{date}/{n}`).
    pub key: String,
    pub account: AccountKind,
    pub at: DateTime<Utc>,
    /// Signed as Pluggy signs: bank debits negative, card purchases positive.
    pub cents: i64,
    pub credit: bool,
    pub description: &'static str,
    pub party: Option<String>,
    pub category: &'static str,
    pub method: Option<&'static str>,
    pub payer: Option<Party>,
    pub receiver: Option<Party>,
    pub merchant: Option<(&'static str, &'static str, &'static str)>,
    pub installment: Option<Installment>,
    /// When the bank stopped listing it (a withdrawn purchase), if it did.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Txn {
    /// Is it listed at `now`: made by then and not yet withdrawn?
    pub fn visible_at(&self, now: DateTime<Utc>) -> bool {
        self.at <= now && self.deleted_at.is_none_or(|d| d > now)
    }
}

const PEOPLE: &[&str] =
    &["MARIA SILVA", "JOAO SANTOS", "ANA OLIVEIRA", "PEDRO SOUZA", "JULIANA COSTA", "LUCAS PEREIRA", "FERNANDA LIMA"];
/// `(descriptor, merchant name, business name, category, min cents, max cents)`.
const CARD_MERCHANTS: &[(&str, &str, &str, &str, i64, i64)] = &[
    ("PAG*IFOOD", "iFood", "IFOOD.COM AGENCIA DE RESTAURANTES ONLINE S.A.", "11020000", 2_500, 12_000),
    ("UBER *TRIP", "Uber", "UBER DO BRASIL TECNOLOGIA LTDA", "19030000", 1_200, 6_500),
    ("AMAZON BR", "Amazon", "AMAZON SERVICOS DE VAREJO DO BRASIL LTDA", "08030000", 3_000, 25_000),
    ("RAIA DROGASIL", "Droga Raia", "RAIA DROGASIL S.A.", "14020000", 1_500, 18_000),
    ("POSTO IPIRANGA", "Ipiranga", "IPIRANGA PRODUTOS DE PETROLEO S.A.", "19050000", 8_000, 30_000),
    ("PADARIA REAL", "Padaria Real", "PADARIA REAL LTDA", "11000000", 800, 4_500),
];

fn document(rng: &mut Rng, cnpj: bool) -> String {
    rng.digits(if cnpj { 14 } else { 11 })
}

fn person(rng: &mut Rng) -> Party {
    Party { name: (*rng.pick(PEOPLE)).to_owned(), document: document(rng, false), cnpj: false }
}

fn company(name: &str, rng: &mut Rng) -> Party {
    Party { name: name.to_owned(), document: document(rng, true), cnpj: true }
}

fn base_txn(
    key: String,
    account: AccountKind,
    at: DateTime<Utc>,
    cents: i64,
    description: &'static str,
    category: &'static str,
) -> Txn {
    Txn {
        key,
        account,
        at,
        credit: cents > 0,
        cents,
        description,
        party: None,
        category,
        method: None,
        payer: None,
        receiver: None,
        merchant: None,
        installment: None,
        deleted_at: None,
    }
}

/// When the card purchase `key` of login `seed`, made `at`, is withdrawn, if
/// it is: between one and two days later, so always before it would post.
/// Drawn from its own stream, so that the rest of the world is the same
/// whether or not purchases are withdrawn.
fn withdrawn(seed: &str, key: &str, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut rng = Rng::new(&format!("{seed}/withdrawn/{key}"));
    rng.chance(WITHDRAWN_SHARE).then(|| at + TimeDelta::days(1) + TimeDelta::seconds(rng.range(0, 86_400)))
}

/// An installment purchase made on `day`, if any: `(descriptor, total cents, installments)`.
fn installment_purchase(seed: &str, day: NaiveDate) -> Option<(&'static str, i64, u32)> {
    let mut rng = Rng::new(&format!("{seed}/installments/{day}"));
    if !rng.chance(0.04) {
        return None;
    }
    let store = *rng.pick(&["MAGAZINE LUIZA", "CASAS BAHIA", "MERCADOLIVRE*LOJA"]);
    Some((store, rng.range(60_000, 360_000), u32::try_from(rng.range(3, 10)).unwrap_or(3)))
}

fn at(day: NaiveDate, rng: &mut Rng) -> DateTime<Utc> {
    let secs = rng.range(8 * 3600, 22 * 3600);
    day.and_hms_opt(0, 0, 0).map_or_else(Utc::now, |d| d.and_utc()) + TimeDelta::seconds(secs)
}

/// Everything that happens on `day` for login `seed`.
pub fn day(seed: &str, day: NaiveDate) -> Vec<Txn> {
    let mut rng = Rng::new(&format!("{seed}/{day}"));
    let mut out = Vec::new();
    let mut n = 0;
    let mut key = || {
        n += 1;
        format!("{day}/{n}")
    };
    let dom = day.day();
    if dom == 5 {
        let cents = 850_000 + rng.range(0, 3) * 10_000;
        let mut t = base_txn(key(), AccountKind::Checking, at(day, &mut rng), cents, "SALARIO ACME LTDA", "01010000");
        t.method = Some("TED");
        t.payer = Some(company("ACME LTDA", &mut rng));
        out.push(t);
    }
    if dom == 10 {
        let mut t = base_txn(key(), AccountKind::Checking, at(day, &mut rng), -95_000, "BOLETO CONDOMINIO", "17010000");
        t.method = Some("BOLETO");
        t.receiver = Some(company("CONDOMINIO EDIFICIO AURORA", &mut rng));
        out.push(t);
    }
    if dom == 15 {
        let mut t = base_txn(
            key(),
            AccountKind::Checking,
            at(day, &mut rng),
            -rng.range(15_000, 32_000),
            "CONTA DE LUZ ENEL",
            "17020000",
        );
        t.method = Some("BOLETO");
        t.receiver = Some(company("ENEL DISTRIBUICAO SAO PAULO", &mut rng));
        out.push(t);
    }
    if dom == 20 {
        let cents = rng.range(180_000, 320_000);
        let when = at(day, &mut rng);
        out.push(base_txn(key(), AccountKind::Checking, when, -cents, "PAGAMENTO FATURA CARTAO", BILL_PAYMENT));
        let mut paid = base_txn(key(), AccountKind::Card, when, -cents, "PAGAMENTO RECEBIDO", BILL_PAYMENT);
        paid.credit = true;
        out.push(paid);
    }
    if dom == 1 {
        let when = at(day, &mut rng);
        let mut out_t = base_txn(key(), AccountKind::Checking, when, -50_000, "APLICACAO POUPANCA", "03050000");
        out_t.method = Some("TEV");
        out.push(out_t);
        out.push(base_txn(key(), AccountKind::Savings, when, 50_000, "APLICACAO POUPANCA", "03050000"));
        out.push(base_txn(
            key(),
            AccountKind::Savings,
            at(day, &mut rng),
            rng.range(3_000, 9_000),
            "RENDIMENTO POUPANCA",
            "03050000",
        ));
    }
    if dom == 12 {
        let mut t = base_txn(key(), AccountKind::Card, at(day, &mut rng), 5_590, "NETFLIX.COM", "09020000");
        t.merchant = Some(("Netflix", "NETFLIX ENTRETENIMENTO BRASIL LTDA", "13590585000199"));
        // A card purchase: money out (Pluggy types card purchases DEBIT).
        t.credit = false;
        out.push(t);
    }
    if rng.chance(0.45) {
        let mut t = base_txn(
            key(),
            AccountKind::Checking,
            at(day, &mut rng),
            -rng.range(2_000, 30_000),
            "PIX ENVIADO",
            "05070000",
        );
        t.method = Some("PIX");
        let receiver = person(&mut rng);
        t.party = Some(receiver.name.clone());
        t.receiver = Some(receiver);
        out.push(t);
    }
    if rng.chance(0.2) {
        let mut t = base_txn(
            key(),
            AccountKind::Checking,
            at(day, &mut rng),
            rng.range(5_000, 50_000),
            "PIX RECEBIDO",
            "05070000",
        );
        t.method = Some("PIX");
        let payer = person(&mut rng);
        t.party = Some(payer.name.clone());
        t.payer = Some(payer);
        out.push(t);
    }
    if rng.chance(0.18) {
        out.push(base_txn(
            key(),
            AccountKind::Checking,
            at(day, &mut rng),
            -rng.range(8_000, 60_000),
            "SUPERMERCADO PAO DE ACUCAR",
            "10000000",
        ));
    }
    for _ in 0..rng.range(0, 3) {
        let &(descriptor, name, business, category, lo, hi) = rng.pick(CARD_MERCHANTS);
        let mut t = base_txn(key(), AccountKind::Card, at(day, &mut rng), rng.range(lo, hi), descriptor, category);
        t.credit = false;
        t.merchant = Some((name, business, "00000000000191"));
        t.deleted_at = withdrawn(seed, &t.key, t.at);
        out.push(t);
    }
    // Installments of purchases made up to 11 months ago.
    for months_back in 0..12u32 {
        let Some(origin) = day.checked_sub_days(Days::new(u64::from(months_back) * 30)) else { continue };
        let Some((store, total, count)) = installment_purchase(seed, origin) else { continue };
        if months_back >= count {
            continue;
        }
        let share = total / i64::from(count);
        let cents = if months_back == 0 { total - share * (i64::from(count) - 1) } else { share };
        let mut prng = Rng::new(&format!("{seed}/installments/{origin}/time"));
        let purchase_date = at(origin, &mut prng);
        let mut t = base_txn(
            key(),
            AccountKind::Card,
            purchase_date + TimeDelta::days(i64::from(months_back) * 30),
            cents,
            store,
            "08000000",
        );
        t.credit = false;
        t.merchant = Some((store, store, "47960950000121"));
        t.installment = Some(Installment { number: months_back + 1, total: count, total_cents: total, purchase_date });
        out.push(t);
    }
    out
}

/// Every transaction of login `seed` made from `from` up to `until`,
/// including those withdrawn since (see [`Txn::visible_at`]).
pub fn timeline(seed: &str, from: NaiveDate, until: DateTime<Utc>) -> Vec<Txn> {
    let mut out = Vec::new();
    let mut d = from;
    let last = until.date_naive();
    while d <= last {
        out.extend(day(seed, d).into_iter().filter(|t| t.at <= until));
        let Some(next) = d.succ_opt() else { break };
        d = next;
    }
    out
}

fn party_json(p: &Party) -> Value {
    json!({
        "name": p.name,
        "documentNumber": {"type": if p.cnpj { "CNPJ" } else { "CPF" }, "value": p.document},
        "accountNumber": null,
        "branchNumber": null,
        "routingNumber": null,
        "routingNumberISPB": null,
    })
}

/// Money as Pluggy sends it (a decimal number), from integer cents.
pub fn money(cents: i64) -> Value {
    // Two decimals always round-trip through f64's shortest representation.
    json!((cents as f64) / 100.0)
}

/// What an item adds to a world transaction to make it a Pluggy transaction.
pub struct Dress<'a> {
    pub item_id: &'a str,
    /// When the item first synced: older transactions were "created" then.
    pub synced: DateTime<Utc>,
    /// The sandbox time for this item.
    pub now: DateTime<Utc>,
}

impl Dress<'_> {
    /// The transaction's id.
    pub fn id(&self, t: &Txn) -> String {
        uuid_for(&format!("{}/txn/{}", self.item_id, t.key))
    }

    /// When the transaction appeared in the API.
    pub fn created_at(&self, t: &Txn) -> DateTime<Utc> {
        t.at.max(self.synced)
    }

    /// Card purchases post after [`PENDING_FOR`].
    pub fn pending(&self, t: &Txn) -> bool {
        t.account == AccountKind::Card && !t.credit && t.at + PENDING_FOR > self.now
    }

    /// When the transaction last changed.
    pub fn updated_at(&self, t: &Txn) -> DateTime<Utc> {
        if t.account == AccountKind::Card && !t.credit && !self.pending(t) {
            (t.at + PENDING_FOR).max(self.created_at(t))
        } else {
            self.created_at(t)
        }
    }

    /// The transaction as Pluggy renders it.
    pub fn json(&self, t: &Txn, balance: Option<i64>) -> Value {
        let description = match &t.party {
            Some(p) => format!("{} - {p}", t.description),
            None => t.description.to_owned(),
        };
        let payment = t.method.map(|m| {
            json!({
                "payer": t.payer.as_ref().map(party_json),
                "receiver": t.receiver.as_ref().map(party_json),
                "paymentMethod": m,
                "reason": null,
                "referenceNumber": null,
                "receiverReferenceId": null,
                "boletoMetadata": null,
            })
        });
        let bill = |at: DateTime<Utc>| {
            // Bills close on the 10th: a purchase belongs to the next closing.
            let d = at.date_naive();
            let (y, m) = if d.day() > 10 {
                if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) }
            } else {
                (d.year(), d.month())
            };
            (uuid_for(&format!("{}/bill/{y}-{m:02}", self.item_id)), format!("{y}-{m:02}-20"))
        };
        let card = (t.account == AccountKind::Card && !t.credit).then(|| {
            let (bill_id, forecast) = bill(t.at);
            let inst = t.installment.as_ref();
            json!({
                "installmentNumber": inst.map(|i| i.number),
                "totalInstallments": inst.map(|i| i.total),
                "totalAmount": inst.map(|i| money(i.total_cents)),
                "purchaseDate": iso(inst.map_or(t.at, |i| i.purchase_date)),
                "payeeMCC": null,
                "cardNumber": "4321",
                "billId": bill_id,
                "billForecastDate": forecast,
            })
        });
        let id = self.id(t);
        let mut value = json!({
            "id": id,
            "accountId": account_id(self.item_id, t.account),
            "date": iso(t.at),
            "description": description,
            "descriptionRaw": description.to_uppercase(),
            "amount": money(t.cents),
            "amountInAccountCurrency": null,
            "currencyCode": "BRL",
            "type": if t.credit { "CREDIT" } else { "DEBIT" },
            "status": if self.pending(t) { "PENDING" } else { "POSTED" },
            "balance": balance.map(money),
            "category": category_name(t.category),
            "categoryId": t.category,
            "providerCode": crate::server::sandbox::rng::Rng::new(&id).digits(10),
            "operationType": null,
            "paymentData": payment,
            "creditCardMetadata": card,
            "merchant": t.merchant.map(|(name, business, cnpj)| json!({"name": name, "businessName": business, "cnpj": cnpj, "category": category_name(t.category)})),
            "createdAt": iso(self.created_at(t)),
            "updatedAt": iso(self.updated_at(t)),
        });
        // Pluggy leaves these out when they do not apply (the schema has no
        // null for them).
        if let Value::Object(fields) = &mut value {
            fields.retain(|k, v| !(matches!(k.as_str(), "paymentData" | "merchant") && v.is_null()));
            for key in ["paymentData", "creditCardMetadata", "merchant"] {
                if let Some(part) = fields.get_mut(key) {
                    drop_nulls(part);
                }
            }
        }
        value
    }
}

/// Removes every null member, at any depth: Pluggy omits what it does not know.
fn drop_nulls(value: &mut Value) {
    if let Value::Object(fields) = value {
        fields.retain(|_, v| !v.is_null());
        fields.values_mut().for_each(drop_nulls);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_card_purchases_are_withdrawn_before_they_post() {
        let until = "2026-06-30T23:59:59Z".parse::<DateTime<Utc>>().expect("time");
        let from = NaiveDate::from_ymd_opt(2025, 7, 1).expect("date");
        let txns = timeline("0/user-ok", from, until);
        let purchases =
            txns.iter().filter(|t| t.account == AccountKind::Card && !t.credit && t.installment.is_none()).count();
        let withdrawn: Vec<&Txn> = txns.iter().filter(|t| t.deleted_at.is_some()).collect();
        assert!(!withdrawn.is_empty() && withdrawn.len() * 6 < purchases, "{} of {purchases}", withdrawn.len());
        for t in &withdrawn {
            let gone = t.deleted_at.expect("withdrawn");
            assert!(t.account == AccountKind::Card && !t.credit && t.installment.is_none(), "{t:?}");
            assert!(gone >= t.at + TimeDelta::days(1) && gone < t.at + PENDING_FOR, "{t:?}");
            assert!(t.visible_at(t.at) && t.visible_at(gone - TimeDelta::seconds(1)) && !t.visible_at(gone));
        }
        let again: Vec<_> = timeline("0/user-ok", from, until).into_iter().filter_map(|t| t.deleted_at).collect();
        assert_eq!(again, withdrawn.iter().filter_map(|t| t.deleted_at).collect::<Vec<_>>(), "deterministic");
    }
}
