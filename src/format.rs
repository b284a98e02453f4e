//! How numbers, dates and names read on the pages. Pure functions, the same
//! on the server and in the browser, so hydration never sees a difference.

/// `1234.5` in `USD` → `$1,234.50`; `-12` in `BRL` → `-R$12.00`. Known
/// currencies get their symbol, others their code; yen-like ones no cents.
pub fn format_money(amount: f64, currency: &str) -> String {
    let code = currency.to_ascii_uppercase();
    let decimals = match code.as_str() {
        "JPY" | "KRW" | "CLP" | "VND" | "ISK" => 0,
        _ => 2,
    };
    let symbol = match code.as_str() {
        "USD" => "$".to_owned(),
        "BRL" => "R$".to_owned(),
        "CAD" => "CA$".to_owned(),
        "EUR" => "€".to_owned(),
        "GBP" => "£".to_owned(),
        "JPY" => "¥".to_owned(),
        _ => format!("{code} "),
    };
    let fixed = format!("{:.*}", decimals, amount.abs());
    let (whole, fraction) = fixed.split_once('.').map_or((fixed.as_str(), None), |(w, f)| (w, Some(f)));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    // "-0.00" reads oddly: a sign only when something shows.
    let sign = if amount < 0.0 && fixed.chars().any(|c| c.is_ascii_digit() && c != '0') { "-" } else { "" };
    match fraction {
        Some(f) => format!("{sign}{symbol}{grouped}.{f}"),
        None => format!("{sign}{symbol}{grouped}"),
    }
}

/// `FOOD_AND_DRINK` → `Food and drink`; other text stays as it is.
pub fn humanize(category: &str) -> String {
    if category.chars().any(|c| c.is_lowercase()) {
        return category.to_owned();
    }
    let lower = category.replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Like [`format_money`], with a `+` for money in: how transactions show
/// their amount.
pub fn signed_money(amount: f64, currency: &str) -> String {
    let text = format_money(amount, currency);
    if amount > 0.0 { format!("+{text}") } else { text }
}

/// `Checking` and `1234` → `Checking ••1234`: an account beside a
/// transaction.
pub fn account_label(name: &str, mask: Option<&str>) -> String {
    match mask {
        Some(mask) => format!("{name} ••{mask}"),
        None => name.to_owned(),
    }
}

/// `2026-11-03` → `Tue, 3 Nov 2026`; anything else as it is.
pub fn long_date(date: &str) -> String {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_or_else(|_| date.to_owned(), |d| d.format("%a, %-d %b %Y").to_string())
}

/// `2026-11-03` → `3 Nov`; anything else as it is.
pub fn short_date(date: &str) -> String {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_or_else(|_| date.to_owned(), |d| d.format("%-d %b").to_string())
}

/// The first letter or digit of a name, upper-case (`?` when there is none),
/// for avatars.
pub fn initial(name: &str) -> String {
    name.chars().find(|c| c.is_alphanumeric()).map_or_else(|| "?".to_owned(), |c| c.to_uppercase().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_has_symbol_grouping_and_sign() {
        assert_eq!(format_money(1234.5, "USD"), "$1,234.50");
        assert_eq!(format_money(-12.0, "BRL"), "-R$12.00");
        assert_eq!(format_money(1_000_000.0, "usd"), "$1,000,000.00");
        assert_eq!(format_money(999.999, "EUR"), "€1,000.00");
        assert_eq!(format_money(1500.0, "JPY"), "¥1,500");
        assert_eq!(format_money(3.1, "CHF"), "CHF 3.10");
        assert_eq!(format_money(-0.001, "USD"), "$0.00");
        assert_eq!(format_money(0.0, "USD"), "$0.00");
    }

    #[test]
    fn transactions_show_signs_and_accounts() {
        assert_eq!(signed_money(12.5, "USD"), "+$12.50");
        assert_eq!(signed_money(-12.5, "USD"), "-$12.50");
        assert_eq!(signed_money(0.0, "USD"), "$0.00");
        assert_eq!(account_label("Checking", Some("1234")), "Checking ••1234");
        assert_eq!(account_label("Checking", None), "Checking");
    }

    #[test]
    fn categories_read_naturally() {
        assert_eq!(humanize("FOOD_AND_DRINK"), "Food and drink");
        assert_eq!(humanize("Restaurantes"), "Restaurantes");
    }

    #[test]
    fn dates_and_initials() {
        assert_eq!(long_date("2026-11-03"), "Tue, 3 Nov 2026");
        assert_eq!(short_date("2026-11-03"), "3 Nov");
        assert_eq!(long_date("soon"), "soon");
        assert_eq!(initial("  über eats"), "Ü");
        assert_eq!(initial("7-Eleven"), "7");
        assert_eq!(initial("--"), "?");
    }
}
