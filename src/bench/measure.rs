//! Timing and memory: repeated runs summarised as median and 95th
//! percentile, and the process's resident memory read from `/proc`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Runs before the timed ones, so caches and prepared statements are warm
/// (what a user's second click sees; the first one after start-up is not
/// what "feels instant" is about).
const WARM_UP: usize = 2;

/// The spread of a set of timed runs.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub median: Duration,
    pub p95: Duration,
    pub runs: usize,
}

impl Stats {
    /// Median and 95th percentile (nearest rank) of `samples`.
    pub fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        let n = samples.len();
        let rank = |p: f64| {
            // Nearest rank: the smallest sample with at least p of them at or below it.
            let r = (p * n as f64).ceil() as usize;
            samples.get(r.clamp(1, n.max(1)) - 1).copied().unwrap_or_default()
        };
        Self { median: rank(0.5), p95: rank(0.95), runs: n }
    }
}

/// Times `runs` calls of `f` after a short warm-up.
pub async fn time<F, Fut, T>(runs: usize, mut f: F) -> Stats
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    for _ in 0..WARM_UP {
        std::hint::black_box(f().await);
    }
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        std::hint::black_box(f().await);
        samples.push(start.elapsed());
    }
    Stats::of(samples)
}

/// A memory figure of this process from `/proc/self/status`, in bytes:
/// `VmRSS` (resident now) or `VmHWM` (the peak of it).
pub fn memory(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.strip_prefix(field).is_some_and(|rest| rest.starts_with(':')))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The highest `VmHWM` seen before a [`reset_peak`].
static EARLIER_PEAK: AtomicU64 = AtomicU64::new(0);

/// Resets `VmHWM` to the current resident size (Linux `clear_refs` 5), so
/// the peak of one phase can be read on its own; the peak so far is kept
/// for [`run_peak`]. `false` when the kernel refuses.
pub fn reset_peak() -> bool {
    EARLIER_PEAK.fetch_max(memory("VmHWM").unwrap_or(0), Ordering::Relaxed);
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The peak resident size of the whole run so far, resets included.
pub fn run_peak() -> Option<u64> {
    memory("VmHWM").map(|now| now.max(EARLIER_PEAK.load(Ordering::Relaxed)))
}

/// Bytes as MiB with one decimal.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// A duration in milliseconds, precise enough for the table.
pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 { format!("{ms:.2} ms") } else { format!("{ms:.1} ms") }
}
