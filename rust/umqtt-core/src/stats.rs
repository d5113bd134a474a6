//! What the driver has done, counted as it goes: connections, messages each
//! way per QoS, re-sends, suppressed QoS 2 duplicates, keep-alive pings and
//! their round trip. Plain counters on paths the driver takes anyway, so
//! they stay on (no allocation, a few adds per packet). Byte counts are the
//! transport's, kept by the caller.

/// The counters; wrapping `u32`s.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub struct Stats {
    /// Connections accepted (CONNACK 0), automatic reconnects among them
    /// counted again in `reconnects`.
    pub connects: u32,
    pub reconnects: u32,
    /// Messages handed to the driver to publish, by QoS.
    pub published: [u32; 3],
    /// Messages delivered to the application, by QoS.
    pub received: [u32; 3],
    /// PUBLISH packets sent again (DUP) on a resumed session.
    pub resent: u32,
    /// Incoming QoS 2 messages the broker sent again, not delivered twice.
    pub duplicates_dropped: u32,
    /// PINGREQs sent (keep-alive and the application's own).
    pub pings: u32,
    /// PINGRESPs that did not come in time.
    pub pings_missed: u32,
    /// Round trip of the last answered PINGREQ in ms; `u32::MAX` before any.
    pub last_ping_rtt_ms: u32,
}

/// The counters and the send time of the PINGREQ awaiting its answer.
#[derive(Clone, Copy)]
pub(crate) struct Counters {
    pub stats: Stats,
    ping_sent_at: Option<u32>,
}

impl Counters {
    pub const fn new() -> Self {
        Counters {
            stats: Stats {
                connects: 0,
                reconnects: 0,
                published: [0; 3],
                received: [0; 3],
                resent: 0,
                duplicates_dropped: 0,
                pings: 0,
                pings_missed: 0,
                last_ping_rtt_ms: u32::MAX,
            },
            ping_sent_at: None,
        }
    }

    pub fn ping_sent(&mut self, now: u32) {
        self.stats.pings = self.stats.pings.wrapping_add(1);
        if self.ping_sent_at.is_none() {
            self.ping_sent_at = Some(now);
        }
    }

    pub fn pingresp(&mut self, now: u32) {
        if let Some(at) = self.ping_sent_at.take() {
            self.stats.last_ping_rtt_ms = now.wrapping_sub(at);
        }
    }

    /// The link went down: an outstanding PINGREQ gets no answer.
    pub fn link_down(&mut self) {
        self.ping_sent_at = None;
    }

    pub fn published(&mut self, qos: u8) {
        bump(&mut self.stats.published, qos);
    }

    pub fn received(&mut self, qos: u8) {
        bump(&mut self.stats.received, qos);
    }
}

fn bump(by_qos: &mut [u32; 3], qos: u8) {
    if let Some(n) = by_qos.get_mut(usize::from(qos)) {
        *n = n.wrapping_add(1);
    }
}
