//! Transactions as a CSV file, written while the database is still being
//! read: memory stays flat whatever the size of the export.

use axum::body::{Body, Bytes};
use futures::StreamExt as _;
use futures::stream::{iter, unfold};
use tokio::sync::mpsc::Receiver;

use crate::format::account_label;
use crate::server::money::to_decimal_string;
use crate::server::store::bank::TransactionRecord;

/// The columns, in order.
const HEADER: [&str; 10] =
    ["date", "name", "merchant", "category", "account", "amount", "currency", "status", "note", "hidden"];

/// Rows encoded per chunk of the response body.
const ROWS_PER_CHUNK: usize = 256;

/// A response body: the header line, then every row `rows` yields.
pub fn csv_body(rows: Receiver<TransactionRecord>) -> Body {
    let header = encode(&[], true);
    let chunks = unfold(rows, |mut rows| async move {
        let mut batch = Vec::with_capacity(ROWS_PER_CHUNK);
        (rows.recv_many(&mut batch, ROWS_PER_CHUNK).await > 0).then(|| (encode(&batch, false), rows))
    });
    // Fused: a compression layer may poll again after the end.
    let stream = iter([header]).chain(chunks).fuse().map(Ok::<Bytes, std::io::Error>);
    Body::from_stream(stream)
}

/// CSV lines for `rows` (and the header first if asked).
fn encode(rows: &[TransactionRecord], header: bool) -> Bytes {
    let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    // Writing to a Vec cannot fail but for a bug in the encoder; a failed
    // row is left out rather than ending the download.
    if header && let Err(e) = out.write_record(HEADER) {
        tracing::error!(error = %e, "csv: cannot write the header");
    }
    for t in rows {
        let account = account_label(&t.account_name, t.account_mask.as_deref());
        let record = [
            t.date.to_string(),
            text(&t.name),
            text(t.merchant_name.as_deref().unwrap_or("")),
            text(t.category.as_deref().unwrap_or("")),
            text(&account),
            to_decimal_string(t.amount, &t.currency),
            t.currency.clone(),
            (if t.pending { "pending" } else { "posted" }).to_owned(),
            text(t.user_note.as_deref().unwrap_or("")),
            (if t.hidden { "yes" } else { "no" }).to_owned(),
        ];
        if let Err(e) = out.write_record(&record) {
            tracing::error!(error = %e, "csv: cannot write a row");
        }
    }
    Bytes::from(out.into_inner().unwrap_or_default())
}

/// Text a spreadsheet must not run as a formula (`=`, `+`, `-`, `@` at the
/// start) gets a leading apostrophe (OWASP "CSV injection").
fn text(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_owned() }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use uuid::Uuid;

    use super::*;

    fn record(name: &str, amount: i64) -> TransactionRecord {
        TransactionRecord {
            id: Uuid::nil(),
            account_id: Uuid::nil(),
            provider_transaction_id: "t1".into(),
            date: NaiveDate::from_ymd_opt(2026, 11, 3).expect("date"),
            name: name.into(),
            merchant_name: None,
            amount,
            currency: "BRL".into(),
            category: Some("Food".into()),
            category_detailed: None,
            payment_channel: None,
            pending: true,
            logo_url: None,
            user_category: None,
            provider_category: Some("Food".into()),
            user_note: Some("lunch, with \"Ana\"".into()),
            hidden: false,
            account_name: "Conta".into(),
            account_mask: Some("1234".into()),
        }
    }

    #[test]
    fn rows_are_quoted_exact_and_safe() {
        let out = encode(&[record("=HYPERLINK(\"x\")", -1250)], true);
        let text = String::from_utf8(out.to_vec()).expect("utf-8");
        assert_eq!(
            text,
            "date,name,merchant,category,account,amount,currency,status,note,hidden\r\n\
             2026-11-03,\"'=HYPERLINK(\"\"x\"\")\",,Food,Conta ••1234,-12.50,BRL,pending,\"lunch, with \"\"Ana\"\"\",no\r\n"
        );
    }

    #[tokio::test]
    async fn the_body_streams_every_row() {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            for i in 0..1000 {
                if tx.send(record(&format!("row {i}"), i)).await.is_err() {
                    break;
                }
            }
        });
        let bytes = axum::body::to_bytes(csv_body(rx), usize::MAX).await.expect("body");
        let text = String::from_utf8(bytes.to_vec()).expect("utf-8");
        assert_eq!(text.lines().count(), 1001);
        assert!(text.lines().nth(1000).is_some_and(|l| l.contains("row 999") && l.contains(",9.99,")));
    }
}
