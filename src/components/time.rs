//! Times for people: "5 minutes ago", with the exact UTC time on hover.

use leptos::prelude::*;

/// `<time>` reading "5 minutes ago" (or "in 3 hours" ahead), the UTC time
/// as its title; `at` is RFC 3339. Anything unreadable is shown as it is.
#[component]
pub fn Ago(at: String) -> impl IntoView {
    match chrono::DateTime::parse_from_rfc3339(&at) {
        Ok(time) => {
            let title = time.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M UTC").to_string();
            let text = time_ago(time.timestamp_millis(), now_ms());
            view! { <time datetime=at title=title>{text}</time> }.into_any()
        }
        Err(_) => view! { <time>{at}</time> }.into_any(),
    }
}

/// Milliseconds since the epoch: the browser's clock when hydrated (chrono
/// has no clock in wasm without `wasmbind`), the server's otherwise.
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        #[allow(clippy::cast_possible_truncation)]
        let now = js_sys::Date::now() as i64;
        now
    }
    #[cfg(not(feature = "hydrate"))]
    {
        chrono::Utc::now().timestamp_millis()
    }
}

/// "just now", "5 minutes ago", "3 hours ago", "2 days ago"; ahead of
/// `now_ms`: "in a moment", "in 5 minutes", "in 3 hours", "in 2 days".
pub fn time_ago(then_ms: i64, now_ms: i64) -> String {
    let ahead = then_ms > now_ms + 59_000;
    let secs = (now_ms - then_ms).abs() / 1000;
    let (n, unit) = match secs {
        0..60 => return (if ahead { "in a moment" } else { "just now" }).to_owned(),
        60..3_600 => (secs / 60, "minute"),
        3_600..86_400 => (secs / 3_600, "hour"),
        _ => (secs / 86_400, "day"),
    };
    let plural = if n == 1 { "" } else { "s" };
    if ahead { format!("in {n} {unit}{plural}") } else { format!("{n} {unit}{plural} ago") }
}

#[cfg(test)]
mod tests {
    use super::time_ago;

    #[test]
    fn times_read_naturally() {
        let now = 10_000_000_000;
        assert_eq!(time_ago(now - 5_000, now), "just now");
        assert_eq!(time_ago(now - 60_000, now), "1 minute ago");
        assert_eq!(time_ago(now - 7_200_000, now), "2 hours ago");
        assert_eq!(time_ago(now - 3 * 86_400_000, now), "3 days ago");
        assert_eq!(time_ago(now + 5_000, now), "just now");
        assert_eq!(time_ago(now + 5 * 3_600_000, now), "in 5 hours");
        assert_eq!(time_ago(now + 90_000, now), "in 1 minute");
    }
}
