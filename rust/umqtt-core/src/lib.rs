//! Sans-IO protocol core of an MQTT 3.1.1 (and 3.1) client.
//!
//! The core is handed bytes and the current time (`u32` milliseconds from a
//! free-running counter, compared only by wrapping difference) and answers
//! with bytes to send, events and the time of its next wake-up. It never reads
//! a clock, never does I/O and never allocates: every table has a fixed
//! capacity ([`MAX_INFLIGHT`], [`MAX_INBOUND_QOS2`], [`MAX_PENDING_OPS`]) and
//! every packet is encoded into a slice the caller lends.
//!
//! Layers, each testable alone (coreMQTT's split):
//! - [`frame`]: fixed header and the per-type remaining-length rules of 3.1.1,
//!   checked before any decoder sees a byte;
//! - [`codec`]: encoders (size first, into a caller slice) and the decoder of
//!   the nine packets a client receives ([`codec::Incoming`]);
//! - [`topic`], [`pid`]: topic names / filters and packet identifiers;
//! - [`session`]: in-flight QoS 1/2 publishes and their slots, pending
//!   SUBSCRIBE/UNSUBSCRIBE, tickets; [`inbound`]: incoming QoS 2 ids;
//!   [`subs`]: subscriptions to restore; [`sub_options`]: a SUBSCRIBE's
//!   options, packed and checked;
//! - [`keepalive`]: PINGREQ / PINGRESP deadlines;
//! - [`reconnect`]: the reconnect policy (back-off formula and state);
//! - [`client`]: the connection state machine, [`Client`];
//! - [`driver`]: the session on top, [`Driver`]: every decision, sans-IO
//!   (`handle_*` in, `poll_*` out). Callers use this one.
//! - [`v5`] (feature `mqtt5`, off by default): the MQTT 5 codec, properties
//!   parsed in place, and what a v5 connection agrees ([`v5::link`]); the
//!   client speaks it when configured with protocol level 5.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod client;
pub mod codec;
pub mod driver;
pub mod frame;
pub mod inbound;
pub mod keepalive;
pub mod pid;
pub mod reconnect;
pub mod session;
pub mod stats;
pub mod sub_options;
pub mod subs;
pub mod topic;
#[cfg(feature = "mqtt5")]
pub mod v5;

pub use client::{Client, ConnState, ConnectOptions, Event, EventKind, Rx, Sent, Will};
pub use driver::{ConnectResult, Driver, Identity, Message, Op, Settings, Status, Transmit};
pub use reconnect::backoff_ms;
pub use session::{Resend, ResendItem, TicketResult};
pub use stats::Stats;
pub use sub_options::{BadSubOption, SubOptions};

/// Outgoing QoS 1/2 publishes in flight at once.
pub const MAX_INFLIGHT: usize = 16;
/// Incoming QoS 2 packet ids remembered until their PUBREL.
pub const MAX_INBOUND_QOS2: usize = 128;
/// SUBSCRIBE / UNSUBSCRIBE awaiting their acknowledgement (or their result being read).
pub const MAX_PENDING_OPS: usize = 4;
/// Subscriptions remembered for a restore after a reconnect.
pub const MAX_SUBSCRIPTIONS: usize = 16;
/// Longest string MQTT can carry (2-byte length prefix).
pub const MAX_STRING: usize = 65_535;
/// Largest remaining length the 4-byte varint can express.
pub const MAX_REMAINING_LENGTH: usize = 268_435_455;
/// Longest fixed header: type byte + 4 length bytes.
pub const FIXED_HEADER_MAX: usize = 5;
/// Longest acknowledgement the core asks the caller to send (PUBACK, PUBREC, PUBREL, PUBCOMP).
pub const ACK_MAX: usize = 4;

/// Why a call failed. Each variant says whether the connection survives:
/// configuration errors (`BadArgument`, `InvalidTopic`, `PacketTooLarge`,
/// `BufferTooSmall`, `NotConnected`, `AlreadyConnected`, `UnknownTicket`) and resource limits
/// (`InflightFull`) leave the core unchanged; peer errors (`ProtocolError`,
/// and `PacketTooLarge` from receiving) and `KeepaliveTimeout` mean the
/// connection is dead (the core is already `Disconnected` when it reports
/// them).
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum Error {
    /// The output slice is too short; the value is the exact number of bytes needed.
    BufferTooSmall(usize),
    /// An argument is out of range (QoS > 2, protocol level, client id, ...).
    BadArgument,
    /// Topic name or filter invalid (empty, not UTF-8, NUL, wildcard misuse, > 65 535 bytes).
    InvalidTopic,
    /// The command needs an accepted connection.
    NotConnected,
    /// `connect` while connecting or connected.
    AlreadyConnected,
    /// No free slot for another QoS 1/2 publish or SUBSCRIBE/UNSUBSCRIBE.
    InflightFull,
    /// The peer sent something malformed or unexpected: drop the connection.
    ProtocolError,
    /// Remaining length above 268 435 455 or a string above 65 535 bytes;
    /// received, a packet above the receive bound
    /// ([`driver::Settings::max_packet`]).
    PacketTooLarge,
    /// A PINGREQ (and its allowed retries) went unanswered.
    KeepaliveTimeout,
    /// The ticket names no message in the state the call needs.
    UnknownTicket,
    /// More incoming QoS 2 messages await their PUBREL than the table holds:
    /// the broker's window is larger than [`MAX_INBOUND_QOS2`]. Forgetting one
    /// could deliver it twice, so the connection is dropped instead.
    InboundFull,
    /// Not now: the connection is being (re-)established, re-sends go first,
    /// or the in-flight window is full. Pump the connection and try again.
    WouldBlock,
    /// Opening the connection (transport and CONNACK) took longer than the timeout.
    Timeout,
    /// The broker refused the connection with this CONNACK code.
    Refused(Code),
    /// The transport failed (reported by the caller).
    Io,
    /// The broker closed the connection (end of stream).
    PeerClosed,
    /// Every subscription slot ([`MAX_SUBSCRIPTIONS`]) is taken.
    SubscriptionsFull,
    /// MQTT 5: the broker sent DISCONNECT with this reason code; the
    /// connection is closed.
    ServerDisconnect(Code),
}

/// A CONNACK return code or MQTT 5 reason code (one byte on the wire,
/// always 0..=255 here) as an [`Error`]'s payload. Word-sized like
/// `BufferTooSmall`'s so that every payload sits in the same word: an
/// `Error` is then a tag and one word (a scalar pair), which Rust passes and
/// returns in registers. With a `u8` beside the tag it was an 8-byte
/// aggregate, returned through the stack by every fallible call
/// (-642 B of flash on Cortex-M3 without MQTT 5, -1,480 B with it).
pub type Code = usize;

/// Whether an acknowledgement's code reports a failure: a SUBACK's 0x80
/// (3.1.1, 3.9.3), any MQTT 5 reason code from 0x80 (2.4). A ticket's
/// result code ([`TicketResult::Done`]) is one.
pub const fn is_failure(code: u8) -> bool {
    code >= 0x80
}

/// MQTT 5's reason code "packet too large" (2.4).
pub(crate) const PACKET_TOO_LARGE: u8 = 0x95;

/// The MQTT 5 reason code a command the core refused with `e` carries
/// under protocol `level` (0: none; always 0 below level 5): "packet too
/// large" for a packet above the broker's Maximum Packet Size or MQTT's own
/// limit, which the broker would have refused with it.
pub fn refusal_code(level: u8, e: Error) -> u8 {
    if level == 5 && e == Error::PacketTooLarge {
        PACKET_TOO_LARGE
    } else {
        0
    }
}

/// A string MQTT may carry (1.5.3, 1.5.4): valid UTF-8 without U+0000. The
/// one place that checks it, shared by every caller (a plain loop for the
/// NUL: `contains` would bring `memchr`).
pub(crate) fn mqtt_utf8(b: &[u8]) -> bool {
    !has_nul(b) && utf8_ok(b)
}

/// Whether `b` is well-formed UTF-8 (RFC 3629, Unicode 3.9 table 3-7):
/// exactly what `core::str::from_utf8` accepts (no overlong forms, no
/// surrogates, nothing above U+10FFFF), checked by property tests against
/// it. Our own because `from_utf8` and its 256-byte table cost 620 bytes of
/// flash on Cortex-M3; nothing in the core needs a `&str` (it never reads
/// characters), so the checked bytes stay bytes. ASCII goes a word at a
/// time (topics are mostly ASCII and every message has one).
pub(crate) fn utf8_ok(b: &[u8]) -> bool {
    const W: usize = core::mem::size_of::<usize>();
    const HIGHS: usize = usize::MAX / 0xff * 0x80; // 0x8080..80
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c < 0x80 {
            if let Some(w) = b.get(i..i + W) {
                let mut a = [0u8; W];
                a.copy_from_slice(w);
                if usize::from_ne_bytes(a) & HIGHS == 0 {
                    i += W;
                    continue;
                }
            }
            i += 1;
            continue;
        }
        // The lead byte says how many continuation bytes follow (C2..DF one,
        // E0..EF two, F0..F4 three); the first has a narrower range after
        // E0, ED, F0 and F4 (no overlong form, surrogate or code point
        // above U+10FFFF), the others are 80..BF.
        if !(0xC2..=0xF4).contains(&c) {
            return false;
        }
        let n = 1 + usize::from(c >= 0xE0) + usize::from(c >= 0xF0);
        let (mut lo, mut hi) = match c {
            0xE0 => (0xA0, 0xBF),
            0xED => (0x80, 0x9F),
            0xF0 => (0x90, 0xBF),
            0xF4 => (0x80, 0x8F),
            _ => (0x80, 0xBF),
        };
        for k in 1..=n {
            match b.get(i + k) {
                Some(&d) if lo <= d && d <= hi => {}
                _ => return false,
            }
            (lo, hi) = (0x80, 0xBF);
        }
        i += n + 1;
    }
    true
}

/// Whether `b` holds a zero byte (a plain loop, not `memchr`: the strings
/// are short, and memchr costs 160 bytes of flash on Cortex-M3).
#[allow(clippy::manual_contains)]
pub(crate) fn has_nul(b: &[u8]) -> bool {
    b.iter().any(|&c| c == 0)
}

#[cfg(test)]
mod tests {
    use super::utf8_ok;
    use proptest::prelude::*;

    fn std_ok(b: &[u8]) -> bool {
        core::str::from_utf8(b).is_ok()
    }

    /// Every sequence of one, two and three bytes, after 0 to 8 ASCII bytes
    /// (so that the word-at-a-time path meets it at every offset), and
    /// every lead of four with the edges of each continuation range.
    #[test]
    #[cfg_attr(miri, ignore)] // 17 million sequences: hours under Miri; the proptests below run there
    fn utf8_ok_agrees_with_from_utf8_on_every_short_sequence() {
        let mut buf = [b'a'; 16];
        for pre in 0..=8usize {
            for x in 0..=0xffffu32 {
                let [_, _, a, b] = x.to_be_bytes();
                buf[pre] = a;
                buf[pre + 1] = b;
                for len in [pre + 1, pre + 2] {
                    assert_eq!(
                        utf8_ok(&buf[..len]),
                        std_ok(&buf[..len]),
                        "{:x?}",
                        &buf[..len]
                    );
                }
            }
        }
        for x in 0..=0xff_ffffu32 {
            let [_, a, b, c] = x.to_be_bytes();
            let t = [a, b, c];
            assert_eq!(utf8_ok(&t), std_ok(&t), "{t:x?}");
        }
        let edges = [0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff];
        for a in 0xf0..=0xffu8 {
            for b in edges {
                for c in edges {
                    for d in edges {
                        for tail in [&b""[..], b"a", b"\x80"] {
                            let mut t = vec![a, b, c, d];
                            t.extend_from_slice(tail);
                            assert_eq!(utf8_ok(&t), std_ok(&t), "{t:x?}");
                        }
                    }
                }
            }
        }
    }

    proptest! {
        // Miri (make miri) interprets every case: a few are enough there.
        #![proptest_config(ProptestConfig { cases: if cfg!(miri) { 4 } else { 256 }, ..ProptestConfig::default() })]

        /// Arbitrary bytes, and valid strings with one byte changed.
        #[test]
        fn utf8_ok_agrees_with_from_utf8(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(utf8_ok(&b), std_ok(&b));
        }

        #[test]
        fn utf8_ok_agrees_with_from_utf8_on_near_valid_strings(
            s in "\\PC{0,24}", at in any::<usize>(), byte in any::<u8>(), cut in any::<usize>()
        ) {
            let mut b = s.into_bytes();
            prop_assert!(utf8_ok(&b));
            if !b.is_empty() {
                let at = at % b.len();
                b[at] = byte;
                prop_assert_eq!(utf8_ok(&b), std_ok(&b));
                b.truncate(cut % (b.len() + 1));
                prop_assert_eq!(utf8_ok(&b), std_ok(&b));
            }
        }
    }
}
