//! Times as people read them. Absolute times are formatted in UTC from the
//! RFC 3339 the server sends, so the HTML rendered on the server and the
//! hydrated page agree to the letter; only the "… ago" phrases read a clock,
//! and they are text, which hydration does not compare.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

fn parse(rfc3339: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(rfc3339).ok().map(|t| t.with_timezone(&Utc))
}

/// "21 Nov 2026, 14:03 UTC"; `None` for a malformed time.
pub fn utc_label(rfc3339: &str) -> Option<String> {
    parse(rfc3339).map(|t| t.format("%-d %b %Y, %H:%M UTC").to_string())
}

/// How long from `start` to `end`: "under a second", "4 s", "2 min 5 s",
/// "1 h 3 min"; `None` if either time is malformed.
pub fn duration_label(start: &str, end: &str) -> Option<String> {
    let secs = (parse(end)? - parse(start)?).num_seconds().max(0);
    Some(match secs {
        0 => "under a second".to_owned(),
        1..60 => format!("{secs} s"),
        60..3_600 if secs % 60 == 0 => format!("{} min", secs / 60),
        60..3_600 => format!("{} min {} s", secs / 60, secs % 60),
        _ if secs % 3_600 < 60 => format!("{} h", secs / 3_600),
        _ => format!("{} h {} min", secs / 3_600, secs % 3_600 / 60),
    })
}

/// A `<time>` showing `at` (RFC 3339) in UTC, machine-readable too.
#[component]
pub fn UtcTime(at: String) -> impl IntoView {
    let label = utc_label(&at).unwrap_or_else(|| at.clone());
    view! { <time datetime=at>{label}</time> }
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
        Utc::now().timestamp_millis()
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

/// `<time>` reading "5 minutes ago" (or "in 3 hours" ahead), the UTC time
/// as its title; `at` is RFC 3339. Anything unreadable is shown as it is.
#[component]
pub fn Ago(at: String) -> impl IntoView {
    match (parse(&at), utc_label(&at)) {
        (Some(time), Some(title)) => {
            let text = time_ago(time.timestamp_millis(), now_ms());
            view! { <time datetime=at title=title>{text}</time> }.into_any()
        }
        _ => view! { <time>{at}</time> }.into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn absolute_times_are_utc_whatever_the_offset() {
        assert_eq!(utc_label("2026-11-21T14:03:09Z").as_deref(), Some("21 Nov 2026, 14:03 UTC"));
        assert_eq!(utc_label("2026-11-01T23:30:00-03:00").as_deref(), Some("2 Nov 2026, 02:30 UTC"));
        assert_eq!(utc_label("yesterday"), None);
    }

    #[test]
    fn durations_use_the_largest_units() {
        let d = |a, b| duration_label(a, b).unwrap_or_default();
        assert_eq!(d("2026-01-01T10:00:00Z", "2026-01-01T10:00:00Z"), "under a second");
        assert_eq!(d("2026-01-01T10:00:00Z", "2026-01-01T10:00:04Z"), "4 s");
        assert_eq!(d("2026-01-01T10:00:00Z", "2026-01-01T10:02:05Z"), "2 min 5 s");
        assert_eq!(d("2026-01-01T10:00:00Z", "2026-01-01T10:03:00Z"), "3 min");
        assert_eq!(d("2026-01-01T10:00:00Z", "2026-01-01T11:03:20Z"), "1 h 3 min");
        assert_eq!(d("2026-01-01T10:00:00Z", "2026-01-01T12:00:10Z"), "2 h");
        assert_eq!(d("2026-01-01T10:00:05Z", "2026-01-01T10:00:00Z"), "under a second", "clock skew");
        assert_eq!(duration_label("2026-01-01T10:00:00Z", "soon"), None);
    }
}
