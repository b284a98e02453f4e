//! When to retry a provider call: a pure policy, so it can be tested
//! without a network. 429 and 5xx answers and transport failures retry with
//! exponential backoff and jitter, honouring `Retry-After`, up to a bounded
//! number of attempts; everything else stops at once.

use std::time::Duration;

/// How a single attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The provider answered with this status.
    Status { status: u16, retry_after: Option<Duration> },
    /// No answer: connection failure or time-out.
    Transport,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Give up and report the failure.
    Stop,
    /// Try again after this long.
    Retry(Duration),
}

/// The retry policy of one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The delay before the second attempt, doubled for each one after.
    pub base_delay: Duration,
    /// No computed delay is longer than this.
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited for in the request:
    /// the caller records it and tries again later.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
            max_wait: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Decides after attempt number `attempt` (1 = the first) failed with
    /// `failure`. `jitter` in `0.0..=1.0` spreads the delay over its upper
    /// half, so clients that failed together do not retry together.
    pub fn decide(&self, failure: Failure, attempt: u32, jitter: f64) -> Outcome {
        if attempt >= self.max_attempts {
            return Outcome::Stop;
        }
        let retry_after = match failure {
            Failure::Status { status, retry_after } if status == 429 || (500..=599).contains(&status) => retry_after,
            Failure::Status { .. } => return Outcome::Stop,
            Failure::Transport => None,
        };
        if let Some(wait) = retry_after {
            return if wait > self.max_wait { Outcome::Stop } else { Outcome::Retry(wait) };
        }
        Outcome::Retry(self.backoff(attempt, jitter))
    }

    /// The delay after attempt `attempt` with no `Retry-After`.
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(16);
        let full = self.base_delay.saturating_mul(1 << exponent).min(self.max_delay);
        full.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
    }
}

/// Reads a `Retry-After` header given in seconds (the form the providers use).
pub fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> Failure {
        Failure::Status { status, retry_after: None }
    }

    #[test]
    fn rate_limits_and_server_errors_retry_others_stop() {
        let policy = RetryPolicy::default();
        for code in [429, 500, 502, 503, 504] {
            assert!(matches!(policy.decide(status(code), 1, 0.5), Outcome::Retry(_)), "{code}");
        }
        assert!(matches!(policy.decide(Failure::Transport, 1, 0.5), Outcome::Retry(_)));
        for code in [400, 401, 403, 404, 409, 422] {
            assert_eq!(policy.decide(status(code), 1, 0.5), Outcome::Stop, "{code}");
        }
    }

    #[test]
    fn attempts_are_bounded() {
        let policy = RetryPolicy { max_attempts: 3, ..RetryPolicy::default() };
        assert!(matches!(policy.decide(status(503), 2, 0.0), Outcome::Retry(_)));
        assert_eq!(policy.decide(status(503), 3, 0.0), Outcome::Stop);
        assert_eq!(policy.decide(Failure::Transport, 7, 0.0), Outcome::Stop);
    }

    #[test]
    fn backoff_doubles_within_jitter_and_is_capped() {
        let policy = RetryPolicy {
            max_attempts: 20,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            max_wait: Duration::from_secs(10),
        };
        assert_eq!(policy.backoff(1, 1.0), Duration::from_millis(100));
        assert_eq!(policy.backoff(1, 0.0), Duration::from_millis(50));
        assert_eq!(policy.backoff(2, 1.0), Duration::from_millis(200));
        assert_eq!(policy.backoff(3, 1.0), Duration::from_millis(400));
        assert_eq!(policy.backoff(5, 1.0), Duration::from_secs(1), "capped");
        assert_eq!(policy.backoff(60, 1.0), Duration::from_secs(1), "no overflow");
        for attempt in 1..10 {
            let low = policy.backoff(attempt, 0.0);
            let high = policy.backoff(attempt, 1.0);
            let mid = policy.backoff(attempt, 0.37);
            assert!(low <= mid && mid <= high, "{attempt}: {low:?} {mid:?} {high:?}");
        }
    }

    #[test]
    fn retry_after_is_honoured_unless_too_long() {
        let policy = RetryPolicy::default();
        let soon = Failure::Status { status: 429, retry_after: Some(Duration::from_secs(2)) };
        assert_eq!(policy.decide(soon, 1, 0.9), Outcome::Retry(Duration::from_secs(2)));
        let late = Failure::Status { status: 429, retry_after: Some(Duration::from_secs(3600)) };
        assert_eq!(policy.decide(late, 1, 0.9), Outcome::Stop, "the caller records when to come back");
        let ignored_on_400 = Failure::Status { status: 400, retry_after: Some(Duration::from_secs(1)) };
        assert_eq!(policy.decide(ignored_on_400, 1, 0.9), Outcome::Stop);
    }

    #[test]
    fn retry_after_header_in_seconds() {
        assert_eq!(parse_retry_after(Some(" 30 ")), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(parse_retry_after(None), None);
    }
}
