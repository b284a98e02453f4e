//! Amounts between the providers' decimal numbers and the app's integer
//! minor units (DESIGN §3: never floats in the database).

/// Currencies without minor units (ISO 4217 exponent 0).
pub const ZERO_DECIMAL: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF",
    "XPF",
];
/// Currencies with thousandths (ISO 4217 exponent 3); every other has 2.
pub const THREE_DECIMAL: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

/// How many minor units a currency has (ISO 4217 exponent).
pub fn exponent(currency: &str) -> u32 {
    let code = currency.to_ascii_uppercase();
    if ZERO_DECIMAL.contains(&code.as_str()) {
        0
    } else if THREE_DECIMAL.contains(&code.as_str()) {
        3
    } else {
        2
    }
}

/// Converts a provider's decimal amount to minor units of `currency`,
/// exactly: the number's shortest decimal form is read digit by digit, so
/// `0.1 + 0.2`-style float error never reaches the database. Digits beyond
/// the currency's precision round half away from zero. `None` when the
/// amount is not finite or does not fit.
pub fn to_minor(amount: f64, currency: &str) -> Option<i64> {
    scaled(amount, exponent(currency))
}

/// An amount in thousandths of a currency unit, the finest precision any ISO
/// currency has: how a filter typed in currency units is compared with
/// amounts of every currency at once.
pub fn to_thousandths(amount: f64) -> Option<i64> {
    scaled(amount, 3)
}

/// `amount` × 10^`exp`, exactly (see [`to_minor`]).
fn scaled(amount: f64, exp: u32) -> Option<i64> {
    if !amount.is_finite() {
        return None;
    }
    let exp = exp as usize;
    // Rust prints the shortest representation that reads back as the same f64.
    let text = format!("{}", amount.abs());
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut digits: String = whole.to_owned();
    let kept: String = frac.chars().chain(std::iter::repeat('0')).take(exp).collect();
    digits.push_str(&kept);
    let mut minor: i64 = digits.parse().ok()?;
    if frac.len() > exp && frac.as_bytes()[exp] >= b'5' {
        minor = minor.checked_add(1)?;
    }
    Some(if amount < 0.0 { -minor } else { minor })
}

/// Minor units back to a decimal number of currency units, for JSON.
pub fn to_major(minor: i64, currency: &str) -> f64 {
    // Exact for every amount below 2^53 minor units.
    #[allow(clippy::cast_precision_loss)]
    let value = minor as f64;
    value / 10f64.powi(i32::try_from(exponent(currency)).unwrap_or(2))
}

/// Minor units as an exact decimal string of currency units (`-1234` USD →
/// `-12.34`), for files people open in spreadsheets.
pub fn to_decimal_string(minor: i64, currency: &str) -> String {
    let exp = exponent(currency) as usize;
    let digits = format!("{:0>width$}", minor.unsigned_abs(), width = exp + 1);
    let (whole, frac) = digits.split_at(digits.len() - exp);
    let sign = if minor < 0 { "-" } else { "" };
    if exp == 0 { format!("{sign}{whole}") } else { format!("{sign}{whole}.{frac}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_conversion() {
        assert_eq!(to_minor(12.34, "USD"), Some(1234));
        assert_eq!(to_minor(-0.1 - 0.2, "USD"), Some(-30));
        assert_eq!(to_minor(1.005, "USD"), Some(101));
        assert_eq!(to_minor(4.35, "USD"), Some(435), "4.35 * 100 is 434.99999999999994 in floats");
        assert_eq!(to_minor(-212.45, "BRL"), Some(-21245));
        assert_eq!(to_minor(1500.0, "BRL"), Some(150_000));
        assert_eq!(to_minor(1234.0, "JPY"), Some(1234));
        assert_eq!(to_minor(1.2345, "KWD"), Some(1235));
        assert_eq!(to_minor(0.0, "USD"), Some(0));
        assert_eq!(to_minor(f64::NAN, "USD"), None);
        assert_eq!(to_minor(1e300, "USD"), None);
        assert_eq!(to_thousandths(12.5), Some(12_500));
        assert_eq!(to_thousandths(0.0015), Some(2));
    }

    #[test]
    fn decimal_strings_are_exact() {
        assert_eq!(to_decimal_string(-1234, "USD"), "-12.34");
        assert_eq!(to_decimal_string(5, "BRL"), "0.05");
        assert_eq!(to_decimal_string(-5, "USD"), "-0.05");
        assert_eq!(to_decimal_string(0, "USD"), "0.00");
        assert_eq!(to_decimal_string(1500, "JPY"), "1500");
        assert_eq!(to_decimal_string(1235, "KWD"), "1.235");
        assert_eq!(to_decimal_string(i64::MIN, "USD"), "-92233720368547758.08");
    }

    #[test]
    fn round_trip_to_major() {
        for minor in [-123_456_789, -1, 0, 1, 99, 1234, 987_654_321_012] {
            assert_eq!(to_minor(to_major(minor, "USD"), "USD"), Some(minor));
        }
        assert!((to_major(1234, "USD") - 12.34).abs() < f64::EPSILON);
        assert!((to_major(1234, "JPY") - 1234.0).abs() < f64::EPSILON);
    }
}
