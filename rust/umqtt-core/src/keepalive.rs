//! Keep-alive deadlines. Times are `u32` ms from a free-running counter and
//! are compared only by wrapping difference.
//!
//! With a keep-alive of `K` ms (0 disables everything):
//! - a PINGREQ is due once `interval = K - min(5 s, K/2)` has passed since the
//!   last packet sent **or** the last packet received (so a dead link is found
//!   even while we keep sending QoS 0 publishes);
//! - its PINGRESP is due `K/2` after it; any received packet counts as life
//!   and clears the wait;
//! - on a missed PINGRESP, while fewer than `max_missed` PINGREQs have been
//!   re-sent, another PINGREQ goes out with a fresh `K/2`; after that the
//!   connection is dead (`KeepaliveTimeout`).

/// What the keep-alive wants now.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum Due {
    /// Nothing to do for this many ms (`u32::MAX`: never).
    Wait(u32),
    /// Send a PINGREQ now (then call [`KeepAlive::ping_sent`]).
    Ping,
    /// The PINGRESP (and every allowed retry) is overdue.
    Timeout,
}

/// Keep-alive state of one connection.
#[derive(Clone, Copy, Default)]
pub struct KeepAlive {
    keepalive_ms: u32,
    max_missed: u8,
    missed: u8,
    outstanding: bool,
    last_sent: u32,
    last_received: u32,
    ping_sent_at: u32,
}

impl KeepAlive {
    /// A disabled keep-alive.
    pub const fn new() -> Self {
        KeepAlive {
            keepalive_ms: 0,
            max_missed: 0,
            missed: 0,
            outstanding: false,
            last_sent: 0,
            last_received: 0,
            ping_sent_at: 0,
        }
    }

    /// A connection starts (CONNECT sent at `now`).
    pub fn start(&mut self, keepalive_s: u16, max_missed: u8, now: u32) {
        *self = KeepAlive {
            keepalive_ms: u32::from(keepalive_s) * 1000,
            max_missed,
            last_sent: now,
            last_received: now,
            ..KeepAlive::new()
        };
    }

    /// The broker's Server Keep Alive (MQTT 5 CONNACK) replaces ours.
    pub fn set_interval_s(&mut self, keepalive_s: u16) {
        self.keepalive_ms = u32::from(keepalive_s) * 1000;
    }

    /// Interval after which a PINGREQ is due.
    fn interval(&self) -> u32 {
        self.keepalive_ms - core::cmp::min(5000, self.keepalive_ms / 2)
    }

    /// Time a PINGRESP is waited for.
    fn grace(&self) -> u32 {
        self.keepalive_ms / 2
    }

    /// A PINGREQ is awaiting its PINGRESP.
    pub fn outstanding(&self) -> bool {
        self.outstanding
    }

    /// PINGREQs re-sent after a missed PINGRESP.
    pub fn missed(&self) -> u8 {
        self.missed
    }

    /// Any packet was sent.
    pub fn on_sent(&mut self, now: u32) {
        self.last_sent = now;
    }

    /// Any packet was received: the peer is alive.
    pub fn on_received(&mut self, now: u32) {
        self.last_received = now;
        self.outstanding = false;
        self.missed = 0;
    }

    /// What is due at `now` (changes nothing).
    pub fn due(&self, now: u32) -> Due {
        if self.keepalive_ms == 0 {
            return Due::Wait(u32::MAX);
        }
        if self.outstanding {
            let elapsed = now.wrapping_sub(self.ping_sent_at);
            return match self.grace().checked_sub(elapsed) {
                Some(left) if left > 0 => Due::Wait(left),
                _ if self.missed < self.max_missed => Due::Ping,
                _ => Due::Timeout,
            };
        }
        let interval = self.interval();
        let quiet = core::cmp::max(
            now.wrapping_sub(self.last_sent),
            now.wrapping_sub(self.last_received),
        );
        match interval.checked_sub(quiet) {
            Some(left) if left > 0 => Due::Wait(left),
            _ => Due::Ping,
        }
    }

    /// A PINGREQ went out at `now` (a retry when one was outstanding and
    /// its PINGRESP is overdue).
    pub fn ping_sent(&mut self, now: u32) {
        if self.outstanding {
            // Only a due retry restarts the wait; an extra ping() keeps the
            // deadline of the first one.
            if self.due(now) == Due::Ping {
                self.missed = self.missed.saturating_add(1);
                self.ping_sent_at = now;
            }
        } else {
            self.outstanding = true;
            self.ping_sent_at = now;
        }
        self.last_sent = now;
    }

    /// Time until the current PINGRESP deadline (after a ping was sent).
    pub fn wait_after_ping(&self, now: u32) -> u32 {
        match self.due(now) {
            Due::Wait(w) => w,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalive_zero_never_pings() {
        let mut k = KeepAlive::new();
        k.start(0, 0, 0);
        assert_eq!(k.due(u32::MAX / 2), Due::Wait(u32::MAX));
    }

    #[test]
    fn a_60_s_keepalive_pings_after_55_s_of_quiet() {
        let mut k = KeepAlive::new();
        k.start(60, 0, 1000);
        assert_eq!(k.due(1000), Due::Wait(55_000));
        assert_eq!(k.due(55_999), Due::Wait(1));
        assert_eq!(k.due(56_000), Due::Ping);
    }

    #[test]
    fn a_4_s_keepalive_pings_after_2_s_and_waits_2_s_for_pingresp() {
        let mut k = KeepAlive::new();
        k.start(4, 0, 0);
        assert_eq!(k.due(0), Due::Wait(2000));
        k.ping_sent(2000);
        assert_eq!(k.due(2000), Due::Wait(2000));
        assert_eq!(k.due(3999), Due::Wait(1));
        assert_eq!(k.due(4000), Due::Timeout);
    }

    #[test]
    fn sending_does_not_hide_a_silent_peer() {
        let mut k = KeepAlive::new();
        k.start(10, 0, 0);
        for t in (0..5000).step_by(500) {
            k.on_sent(t);
        }
        assert_eq!(k.due(5000), Due::Ping);
    }

    #[test]
    fn any_received_packet_clears_the_pingresp_wait() {
        let mut k = KeepAlive::new();
        k.start(10, 0, 0);
        k.ping_sent(5000);
        k.on_received(6000);
        assert!(!k.outstanding());
        assert_eq!(k.due(9999), Due::Wait(1));
    }

    #[test]
    fn missed_pingresps_are_retried_max_missed_times() {
        let mut k = KeepAlive::new();
        k.start(10, 2, 0);
        k.ping_sent(5000);
        assert_eq!(k.due(10_000), Due::Ping);
        k.ping_sent(10_000);
        assert_eq!(k.missed(), 1);
        assert_eq!(k.due(15_000), Due::Ping);
        k.ping_sent(15_000);
        assert_eq!(k.missed(), 2);
        assert_eq!(k.due(19_999), Due::Wait(1));
        assert_eq!(k.due(20_000), Due::Timeout);
    }

    #[test]
    fn an_extra_ping_keeps_the_first_deadline() {
        let mut k = KeepAlive::new();
        k.start(10, 0, 0);
        k.ping_sent(5000);
        k.ping_sent(8000);
        assert_eq!(k.missed(), 0);
        assert_eq!(k.due(10_000), Due::Timeout);
    }

    #[test]
    fn deadlines_survive_the_u32_wrap() {
        let mut k = KeepAlive::new();
        let start = u32::MAX - 1000;
        k.start(10, 0, start);
        assert_eq!(k.due(start.wrapping_add(4999)), Due::Wait(1));
        assert_eq!(k.due(start.wrapping_add(5000)), Due::Ping);
    }
}
