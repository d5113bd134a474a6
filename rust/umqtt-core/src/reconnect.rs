//! Reconnect policy: exponential back-off with jitter.
//!
//! [`backoff_ms`] is the formula; [`Backoff`] holds the attempt counter and
//! the jitter's random state (xorshift32, seeded by the caller), so the whole
//! policy is decided, and tested, in the core. The core never sleeps: the
//! driver turns the delay into a deadline.

/// First retry within this many ms of a loss, doubling per attempt ...
pub const BACKOFF_BASE_MS: u32 = 1000;
/// ... up to this cap.
pub const BACKOFF_CAP_MS: u32 = 30_000;

/// The reconnect attempts since the connection was lost.
#[derive(Clone, Copy)]
pub struct Backoff {
    attempt: u32,
    rng: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new()
    }
}

impl Backoff {
    pub const fn new() -> Self {
        Backoff {
            attempt: 0,
            rng: 0x9e37_79b9,
        }
    }

    /// Seeds the jitter (any value; 0 is replaced by a fixed odd one).
    pub fn seed(&mut self, seed: u32) {
        self.rng = if seed == 0 { 0x9e37_79b9 } else { seed };
    }

    /// The next attempt is the first again (a connection was accepted).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    fn next_random(&mut self) -> u32 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        x
    }

    /// The delay before the next attempt; counts the attempt.
    pub fn next_delay(&mut self) -> u32 {
        let r = self.next_random();
        let d = backoff_ms(self.attempt, BACKOFF_BASE_MS, BACKOFF_CAP_MS, r);
        self.attempt = self.attempt.saturating_add(1);
        d
    }
}

/// The delay in ms before reconnect attempt `attempt`:
/// `d = min(cap_ms, base_ms * 2^attempt)` (saturating, for any `attempt`),
/// jittered uniformly into `[d/2, d]` by `random`. `base_ms` 0 gives 0.
pub fn backoff_ms(attempt: u32, base_ms: u32, cap_ms: u32, random: u32) -> u32 {
    // u32 only (no 64-bit division on a Cortex-M3): base * 2^attempt <= cap
    // exactly when base <= cap >> attempt, so the shift cannot overflow.
    let d = match cap_ms.checked_shr(attempt) {
        _ if base_ms == 0 => 0,
        Some(limit) if base_ms <= limit => base_ms << attempt,
        _ => cap_ms,
    };
    let low = d / 2;
    // d - low <= 2^31, so the span [low, d] has 1..=2^31 + 1 values.
    random.checked_rem(d - low + 1).map_or(low, |r| low + r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successive_delays_double_within_their_jitter_and_reset_starts_over() {
        let mut b = Backoff::new();
        b.seed(12345);
        let bounds = [
            (500, 1000),
            (1000, 2000),
            (2000, 4000),
            (4000, 8000),
            (8000, 16_000),
            (15_000, 30_000),
            (15_000, 30_000),
        ];
        for (lo, hi) in bounds {
            let d = b.next_delay();
            assert!((lo..=hi).contains(&d), "{d} not in {lo}..={hi}");
        }
        b.reset();
        assert!(b.next_delay() <= 1000);
    }

    #[test]
    fn the_delay_doubles_from_base_until_the_cap() {
        // random == d - d/2 selects d itself (span = d - d/2 + 1).
        for (attempt, d) in [
            (0u32, 100u32),
            (1, 200),
            (2, 400),
            (3, 800),
            (4, 1000),
            (9, 1000),
        ] {
            assert_eq!(
                backoff_ms(attempt, 100, 1000, d - d / 2),
                d,
                "attempt {attempt}"
            );
            assert_eq!(
                backoff_ms(attempt, 100, 1000, 0),
                d / 2,
                "attempt {attempt}"
            );
        }
    }

    #[test]
    fn the_upper_bound_never_decreases_and_stays_capped() {
        let mut last = 0;
        for attempt in (0..80).chain([u32::MAX - 1, u32::MAX]) {
            let mut hi = 0;
            for r in 0..2_000u32 {
                let v = backoff_ms(attempt, 1_000, 60_000, r.wrapping_mul(2_654_435_761));
                hi = hi.max(v);
            }
            assert!(hi >= last, "attempt {attempt}: {hi} < {last}");
            assert!(hi <= 60_000);
            last = hi;
        }
    }

    #[test]
    fn every_delay_lies_within_half_d_and_d() {
        for attempt in [0u32, 1, 5, 16, 31, 32, 33, 63, 64, u32::MAX] {
            for base in [1u32, 3, 1_000, u32::MAX / 3, u32::MAX] {
                for cap in [0u32, 1, 7, 60_000, u32::MAX] {
                    let d = if attempt >= 32 {
                        u64::from(cap)
                    } else {
                        u64::from(cap).min(u64::from(base) << attempt)
                    };
                    for r in [0u32, 1, 2, 12_345, u32::MAX / 2, u32::MAX - 1, u32::MAX] {
                        let v = u64::from(backoff_ms(attempt, base, cap, r));
                        assert!(
                            d / 2 <= v && v <= d,
                            "{attempt} {base} {cap} {r}: {v} not in [{}, {d}]",
                            d / 2
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn attempt_u32_max_does_not_overflow_and_gives_the_cap() {
        // d = u32::MAX: span 2^31 + 1, so random u32::MAX lands on d/2 + 2^31 - 2.
        assert_eq!(
            backoff_ms(u32::MAX, u32::MAX, u32::MAX, u32::MAX),
            u32::MAX / 2 + (1 << 31) - 2
        );
        assert_eq!(backoff_ms(u32::MAX, 1, u32::MAX, 1 << 31), u32::MAX);
        let v = backoff_ms(u32::MAX, 500, 30_000, 7);
        assert!((15_000..=30_000).contains(&v));
    }

    #[test]
    fn a_zero_base_gives_zero() {
        for attempt in [0u32, 1, 31, 32, u32::MAX] {
            for r in [0u32, 1, u32::MAX] {
                assert_eq!(backoff_ms(attempt, 0, 60_000, r), 0);
            }
        }
    }
}
