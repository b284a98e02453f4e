//! Fixed-window counters in the database, shared by every app instance.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::server::store::{Store, StoreError};

/// At most `max` hits per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// A limit was hit, or the counter could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    #[error("rate limited for {retry_after_secs} s")]
    Exceeded { retry_after_secs: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The start of the window `now` falls in (windows are aligned to the epoch).
pub fn window_start(now: DateTime<Utc>, window: Duration) -> DateTime<Utc> {
    let len = i64::try_from(window.as_secs().max(1)).unwrap_or(i64::MAX);
    let secs = now.timestamp();
    let start = secs - secs.rem_euclid(len);
    DateTime::from_timestamp(start, 0).unwrap_or(now)
}

/// Seconds from `now` until the window starting at `start` ends.
pub fn retry_after(now: DateTime<Utc>, start: DateTime<Utc>, window: Duration) -> u64 {
    let end = start + TimeDelta::from_std(window).unwrap_or(TimeDelta::MAX);
    u64::try_from((end - now).num_seconds()).unwrap_or(0).max(1)
}

/// Counts a hit in `bucket` and fails once the window holds more than `limit.max`.
///
/// # Errors
/// [`RateLimitError::Exceeded`] with the seconds until the window ends.
pub async fn hit(store: &dyn Store, bucket: &str, limit: Limit, now: DateTime<Utc>) -> Result<(), RateLimitError> {
    let start = window_start(now, limit.window);
    let hits = store.rate_limit_hit(bucket, start, now).await?;
    if hits > limit.max {
        return Err(RateLimitError::Exceeded { retry_after_secs: retry_after(now, start, limit.window) });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_align_and_report_the_wait() {
        let window = Duration::from_secs(900);
        let now = DateTime::from_timestamp(1_700_000_123, 0).expect("valid");
        let start = window_start(now, window);
        assert_eq!(start.timestamp() % 900, 0);
        assert!(start <= now && now - start < TimeDelta::seconds(900));
        assert_eq!(retry_after(now, start, window), (start.timestamp() + 900 - now.timestamp()) as u64);
        // At the very end of a window there is still at least a second to wait.
        let end = start + TimeDelta::seconds(900);
        assert_eq!(retry_after(end, start, window), 1);
    }
}
