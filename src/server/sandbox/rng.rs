//! Deterministic randomness: the same key always gives the same numbers, so
//! sandbox data is stable per item and reproducible in tests.

use sha2::{Digest as _, Sha256};

/// SplitMix64 seeded from SHA-256 of a key.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `key`.
    pub fn new(key: &str) -> Self {
        let digest = Sha256::digest(key.as_bytes());
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&digest[..8]);
        Self(u64::from_le_bytes(seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = u64::try_from(hi - lo).unwrap_or(u64::MAX).saturating_add(1);
        lo + i64::try_from(self.next_u64() % span).unwrap_or(0)
    }

    /// True with probability `p` (0..=1).
    pub fn chance(&mut self, p: f64) -> bool {
        // 53 random bits as a fraction in [0, 1).
        let fraction = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        fraction < p
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let len = u64::try_from(items.len()).unwrap_or(1).max(1);
        let index = usize::try_from(self.next_u64() % len).unwrap_or(0);
        &items[index.min(items.len() - 1)]
    }

    /// `len` characters of `[A-Za-z0-9]`, like provider ids.
    pub fn id(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len).map(|_| char::from(*self.pick(ALPHABET))).collect()
    }

    /// `len` decimal digits.
    pub fn digits(&mut self, len: usize) -> String {
        (0..len).map(|_| char::from(b'0' + u8::try_from(self.next_u64() % 10).unwrap_or(0))).collect()
    }
}

/// A provider-style id derived from `key` (stable for the same key).
pub fn stable_id(key: &str, len: usize) -> String {
    Rng::new(key).id(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_numbers() {
        let mut a = Rng::new("item-1");
        let mut b = Rng::new("item-1");
        let mut c = Rng::new("item-2");
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        assert_eq!(xs, (0..5).map(|_| b.next_u64()).collect::<Vec<_>>());
        assert_ne!(xs, (0..5).map(|_| c.next_u64()).collect::<Vec<_>>());
        assert_eq!(stable_id("x", 37).len(), 37);
        assert_eq!(stable_id("x", 37), stable_id("x", 37));
    }

    #[test]
    fn ranges_hold() {
        let mut r = Rng::new("ranges");
        for _ in 0..1000 {
            let v = r.range(-3, 7);
            assert!((-3..=7).contains(&v));
        }
        assert_eq!(r.range(5, 5), 5);
        assert!(r.digits(4).chars().all(|c| c.is_ascii_digit()));
    }
}
