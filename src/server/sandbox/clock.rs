//! The sandbox's clock: real time plus an offset tests can move forward, so
//! "new transactions appear as time passes" can be exercised in a test.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};

/// Real time shifted by a movable offset.
#[derive(Debug, Default)]
pub struct Clock {
    offset_secs: AtomicI64,
}

impl Clock {
    /// The sandbox's "now".
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + TimeDelta::seconds(self.offset_secs.load(Ordering::Relaxed))
    }

    /// Moves the clock forward (never back: providers' time does not rewind).
    pub fn advance(&self, secs: i64) -> DateTime<Utc> {
        self.offset_secs.fetch_add(secs.max(0), Ordering::Relaxed);
        self.now()
    }
}
