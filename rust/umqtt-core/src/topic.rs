//! Topic names (PUBLISH, will) and topic filters (SUBSCRIBE, UNSUBSCRIBE).
//!
//! The checks answer `Result<(), Error>`, not the checked slice back: a
//! slice beside an [`Error`] is a 12-byte value returned through the stack,
//! `()` beside it fits in two registers (the callers hold the slice anyway).

use crate::{Error, MAX_STRING};

/// A UTF-8 string MQTT can carry: at most 65 535 bytes, no U+0000.
fn mqtt_str(b: &[u8]) -> bool {
    b.len() <= MAX_STRING && crate::mqtt_utf8(b)
}

/// Checks a topic name for PUBLISH: non-empty, UTF-8, no NUL, no wildcard,
/// at most 65 535 bytes.
pub fn topic_name(b: &[u8]) -> Result<(), Error> {
    // One pass for the bytes a name may not hold (NUL, the wildcards: ASCII,
    // never inside a UTF-8 sequence), then UTF-8: every publish checks its
    // topic, so this is on the hot path.
    if b.is_empty() || b.len() > MAX_STRING || has_nul_or_wildcard(b) {
        return Err(Error::InvalidTopic);
    }
    if !crate::utf8_ok(b) {
        return Err(Error::InvalidTopic);
    }
    Ok(())
}

/// The rest of [`topic_name`]'s checks for a topic the decoders read (they
/// checked its UTF-8 and length): non-empty, no NUL, no wildcard. Every
/// received message passes here: the UTF-8 is not checked twice.
pub(crate) fn decoded_name_ok(b: &[u8]) -> bool {
    !b.is_empty() && !has_nul_or_wildcard(b)
}

/// Whether `b` holds a NUL, `+` or `#`, a word at a time: byte by byte
/// this scan was most of the handling of a small message (six
/// instructions a byte on x86-64, 266 for a 44-byte topic).
fn has_nul_or_wildcard(b: &[u8]) -> bool {
    const W: usize = core::mem::size_of::<usize>();
    const ONES: usize = usize::MAX / 0xff; // 0x0101..01
    const HIGHS: usize = ONES << 7; // 0x8080..80

    // Non-zero in a byte's high bit for some byte of `x` that is zero (and
    // for no word without one): (x - 0x01..) & !x.
    let zero = |x: usize| x.wrapping_sub(ONES) & !x;
    let mut words = b.chunks_exact(W);
    for w in &mut words {
        let mut a = [0u8; W];
        a.copy_from_slice(w);
        let v = usize::from_ne_bytes(a);
        if (zero(v) | zero(v ^ (ONES * b'+' as usize)) | zero(v ^ (ONES * b'#' as usize))) & HIGHS
            != 0
        {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|&c| c == 0 || c == b'+' || c == b'#')
}

/// Checks a topic filter: non-empty, UTF-8, no NUL, at most 65 535 bytes;
/// `+` only as a whole level, `#` only as the whole last level.
pub fn topic_filter(b: &[u8]) -> Result<(), Error> {
    if b.is_empty() || !mqtt_str(b) {
        return Err(Error::InvalidTopic);
    }
    // Byte by byte (`/`, `+` and `#` are ASCII, never inside a UTF-8
    // sequence): a wildcard's level is whole when a `/` or the start is
    // before it and a `/` or the end after it; `#` must also end the filter.
    let mut prev = b'/';
    for (i, &c) in b.iter().enumerate() {
        let next = b.get(i + 1).copied();
        let bad = match c {
            b'#' => prev != b'/' || next.is_some(),
            b'+' => prev != b'/' || !matches!(next, None | Some(b'/')),
            _ => false,
        };
        if bad {
            return Err(Error::InvalidTopic);
        }
        prev = c;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_topic_names_are_accepted() {
        for t in ["a", "a/b", "/", "a//b", "sensors/ä/temp", " "] {
            assert!(topic_name(t.as_bytes()).is_ok(), "{t}");
        }
    }

    #[test]
    fn topic_names_with_wildcards_nul_or_bad_utf8_are_refused() {
        for t in [&b""[..], b"a/+", b"#", b"a\0b", b"\xff", b"a/#/b"] {
            assert_eq!(topic_name(t), Err(Error::InvalidTopic));
        }
    }

    #[test]
    fn the_word_scan_finds_nul_and_wildcards_at_every_place() {
        let bytewise = |b: &[u8]| b.iter().any(|&c| c == 0 || c == b'+' || c == b'#');
        // Bytes around the ones looked for, and ones whose high bit is set
        // (UTF-8 sequences), at every length and position up to three words.
        let fill = [
            b'a', 0x2a, 0x2c, 0x22, 0x24, 0x01, 0x80, 0xff, 0xc3, 0xa4, 0x7f, b'/',
        ];
        for len in 0..=24usize {
            for f in fill {
                let mut t = [f; 24];
                assert!(!has_nul_or_wildcard(&t[..len]), "{len} {f:#x}");
                for at in 0..len {
                    for bad in [0u8, b'+', b'#'] {
                        let keep = t[at];
                        t[at] = bad;
                        assert!(has_nul_or_wildcard(&t[..len]), "{len} {f:#x} {at} {bad}");
                        assert!(bytewise(&t[..len]));
                        t[at] = keep;
                    }
                }
            }
        }
        // Every byte value once in each position of a word.
        for at in 0..16usize {
            for c in 0..=255u8 {
                let mut t = [b'a'; 16];
                t[at] = c;
                assert_eq!(has_nul_or_wildcard(&t), bytewise(&t), "{at} {c:#x}");
            }
        }
    }

    #[test]
    fn a_topic_of_65535_bytes_is_accepted_and_65536_refused() {
        let long = [b'a'; 65_536];
        assert!(topic_name(&long[..65_535]).is_ok());
        assert_eq!(topic_name(&long), Err(Error::InvalidTopic));
        assert!(topic_filter(&long[..65_535]).is_ok());
        assert_eq!(topic_filter(&long), Err(Error::InvalidTopic));
    }

    #[test]
    fn well_placed_wildcards_are_accepted_in_filters() {
        for f in ["#", "+", "a/#", "+/+", "a/+/b", "/+", "+/", "a/b", "/#"] {
            assert!(topic_filter(f.as_bytes()).is_ok(), "{f}");
        }
    }

    /// The split-by-levels rule the byte loop replaced.
    fn filter_by_levels(s: &str) -> bool {
        let mut levels = s.split('/').peekable();
        while let Some(level) = levels.next() {
            let last = levels.peek().is_none();
            if level.contains('#') && (level != "#" || !last) {
                return false;
            }
            if level.contains('+') && level != "+" {
                return false;
            }
        }
        true
    }

    #[test]
    fn filters_agree_with_the_levels_rule_for_every_short_string() {
        let alphabet = [b'a', b'/', b'+', b'#'];
        for len in 1..=7u32 {
            for n in 0..4usize.pow(len) {
                let mut f = [0u8; 7];
                let mut k = n;
                for c in f.iter_mut().take(len as usize) {
                    *c = alphabet[k % 4];
                    k /= 4;
                }
                let f = &f[..len as usize];
                let s = core::str::from_utf8(f).unwrap();
                assert_eq!(topic_filter(f).is_ok(), filter_by_levels(s), "{s}");
            }
        }
    }

    #[test]
    fn misplaced_wildcards_are_refused_in_filters() {
        for f in [
            "", "a#", "#/a", "a/#/b", "a+", "+a/b", "a/b+", "##", "a/++", "a\0",
        ] {
            assert_eq!(topic_filter(f.as_bytes()), Err(Error::InvalidTopic), "{f}");
        }
    }
}
