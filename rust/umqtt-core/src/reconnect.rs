//! Reconnect policy: exponential back-off with jitter, a pure function.
//!
//! The core never sleeps and never draws random numbers: the caller asks for
//! the delay before reconnect attempt `attempt` (0 = the first retry after a
//! loss), passing any random `u32`, and waits that long itself.

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
