//! The results as a markdown table, one row per measurement, each against
//! its target.

use std::time::Duration;

use super::measure::{Stats, ms};

/// One line of the table.
pub struct Row {
    pub backend: &'static str,
    pub case: String,
    /// How many transactions the case's filter matches, when it has one.
    pub matched: Option<i64>,
    pub runs: usize,
    pub median: String,
    pub p95: String,
    pub target: String,
    /// `None` for figures kept for information only.
    pub pass: Option<bool>,
}

impl Row {
    /// A timed query held to a 95th-percentile target (`None`: for information).
    pub fn timed(
        backend: &'static str,
        case: impl Into<String>,
        matched: Option<i64>,
        stats: Stats,
        max_p95: Option<Duration>,
    ) -> Self {
        Self {
            backend,
            case: case.into(),
            matched,
            runs: stats.runs,
            median: ms(stats.median),
            p95: ms(stats.p95),
            target: max_p95.map_or_else(|| "(info)".to_owned(), |t| format!("p95 < {}", ms(t))),
            pass: max_p95.map(|t| stats.p95 < t),
        }
    }
}

/// Prints the table to stdout.
pub fn print(rows: &[Row]) {
    println!();
    println!("| Backend | Case | Matches | Runs | Median | p95 | Target | Result |");
    println!("|---|---|---:|---:|---:|---:|---|---|");
    for r in rows {
        let matched = r.matched.map_or_else(String::new, |m| m.to_string());
        let result = match r.pass {
            Some(true) => "ok",
            Some(false) => "**MISSED**",
            None => "",
        };
        println!(
            "| {} | {} | {matched} | {} | {} | {} | {} | {result} |",
            r.backend, r.case, r.runs, r.median, r.p95, r.target
        );
    }
    println!();
}

/// Whether every row with a target met it.
pub fn all_passed(rows: &[Row]) -> bool {
    rows.iter().all(|r| r.pass != Some(false))
}
