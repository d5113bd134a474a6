//! The Driver on a fake clock, driven only as the C shim drives it
//! (`tests/common/driver_pair.rs`), the test playing the broker. Issue 10's
//! defects that are core decisions each have tests here: bounded waits (1),
//! slots (2), keep-alive behind an unread message (4), one notification for a
//! refused CONNACK (5), two-phase delivery (6), the in-flight window (9),
//! replies counted when written (10), back-off in the core (11) and incoming
//! QoS 2 ids beyond the table (12).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "common/driver_pair.rs"]
mod driver_pair;

use common::ack;
use driver_pair::{
    connack, connect_clean, dup_of, incoming, kinds, payload_of, pid_of, refused, settings, suback,
    topic_of, Open, Shim, PINGREQ, PINGRESP, START,
};
use umqtt_core::driver::{ConnectResult, Event, Rx, Settings, Status, Transmit};
use umqtt_core::inbound::INBOUND_MAP_BYTES;
use umqtt_core::reconnect::{BACKOFF_BASE_MS, BACKOFF_CAP_MS};
use umqtt_core::{
    ConnState, Error, TicketResult, MAX_INBOUND_QOS2, MAX_INFLIGHT, MAX_SUBSCRIPTIONS,
};

const CONNECT: u8 = 1;
const PUBLISH: u8 = 3;
const PUBACK: u8 = 4;
const PUBREL: u8 = 6;
const SUBSCRIBE: u8 = 8;
const PING: u8 = 12;

/// The bounds `[d/2, d]` of back-off delay number `k` (0-based).
fn backoff_bounds(k: usize) -> (u32, u32) {
    let d = (u64::from(BACKOFF_BASE_MS) << k.min(32)).min(u64::from(BACKOFF_CAP_MS));
    let d = u32::try_from(d).unwrap();
    (d / 2, d)
}

/// After a loss: lets time pass until an attempt has written its CONNECT
/// (the transport opening at once) and awaits CONNACK; the wire cleared.
fn until_connect_written(sh: &mut Shim) {
    sh.open = Open::Up;
    sh.wire.clear();
    for _ in 0..1000 {
        if sh.d.client().state() == ConnState::Connecting {
            let w = sh.take_wire();
            assert!(w.is_empty() || kinds(&w) == [CONNECT], "{w:?}");
            return;
        }
        let t = sh.d.poll_timeout(sh.now);
        assert_ne!(t, u32::MAX, "nothing scheduled while {:?}", sh.d.status());
        sh.advance(t.max(1));
    }
    panic!("no reconnect attempt");
}

/// The shim's bounded wait on a command: tries `f`, sleeps until
/// `poll_timeout` (never past its own deadline), handles the timeout, tries
/// again. `Err(Timeout)` at the deadline.
fn wait_for<R>(
    sh: &mut Shim,
    timeout_ms: u32,
    mut f: impl FnMut(&mut Shim) -> Option<R>,
) -> Result<R, Error> {
    let deadline = sh.now.wrapping_add(timeout_ms);
    for _ in 0..100_000 {
        if let Some(r) = f(sh) {
            return Ok(r);
        }
        let left = deadline.wrapping_sub(sh.now);
        if left == 0 || left >= 0x8000_0000 {
            return Err(Error::Timeout);
        }
        let wait = sh.d.poll_timeout(sh.now);
        sh.advance(wait.clamp(1, left));
    }
    panic!("the wait never ends");
}

// ---- connect ------------------------------------------------------------------

#[test]
fn connect_opens_the_transport_writes_connect_and_a_connack_connects() {
    let mut sh = Shim::new(settings(60, false));
    assert_eq!(sh.d.status(), Status::Closed);
    assert_eq!(sh.d.poll_timeout(sh.now), u32::MAX);
    sh.d.connect(true, sh.now);
    assert_eq!(sh.d.status(), Status::Connecting);
    assert_eq!(sh.d.connect_result(), ConnectResult::Pending);
    let mut out = [0u8; 64];
    // Nothing to write before the transport is open.
    assert_eq!(sh.d.poll_transmit(sh.now, &mut out), Ok(Transmit::Nothing));
    assert_eq!(sh.d.poll_event(), Some(Event::OpenTransport));
    assert_eq!(sh.d.poll_event(), None);
    assert_eq!(sh.d.open_timeout(sh.now), 10_000);
    assert_eq!(sh.d.poll_timeout(sh.now), 10_000);
    sh.now += 40;
    sh.up = sh.d.handle_transport_up(sh.now);
    assert!(sh.up);
    assert_eq!(sh.d.poll_transmit(sh.now, &mut out), Ok(Transmit::Connect));
    sh.pump();
    assert_eq!(kinds(&sh.wire), [CONNECT]);
    assert!(connect_clean(&sh.wire[0]));
    assert_eq!(sh.d.connect_result(), ConnectResult::Pending);
    assert_eq!(
        sh.d.poll_timeout(sh.now),
        10_000 - 40,
        "one deadline for the attempt"
    );
    sh.broker_sends(&connack(false));
    assert_eq!(
        sh.take_events(),
        [Event::Connected {
            session_present: false
        }]
    );
    assert_eq!(
        sh.d.connect_result(),
        ConnectResult::Connected {
            session_present: false
        }
    );
    assert_eq!(sh.d.status(), Status::Connected);
    assert!(sh.d.is_ready());
    assert!(sh.errors.is_empty());
}

#[test]
fn a_connack_that_never_comes_fails_the_attempt_exactly_at_timeout_ms() {
    let mut sh = Shim::new(Settings {
        timeout_ms: 3_000,
        ..settings(60, true)
    });
    sh.connect(true);
    assert_eq!(kinds(&sh.take_wire()), [CONNECT]);
    assert_eq!(sh.d.poll_timeout(sh.now), 3_000);
    sh.advance(2_999);
    assert_eq!(sh.d.connect_result(), ConnectResult::Pending);
    assert!(sh.errors.is_empty());
    sh.advance(1);
    assert_eq!(sh.errors, [(START + 3_000, Error::Timeout)]);
    assert_eq!(sh.d.connect_result(), ConnectResult::Failed(Error::Timeout));
    assert_eq!(sh.d.status(), Status::Closed);
    // A first connect is one attempt: no retry, even with reconnect on.
    sh.advance(600_000);
    assert_eq!(sh.take_events(), [Event::OpenTransport]);
    assert_eq!(sh.opens, [START]);
    assert_eq!(sh.d.poll_timeout(sh.now), u32::MAX);
    // A CONNACK arriving after the deadline finds no connection.
    assert!(!sh.rx(&connack(false)));
    assert_eq!(
        sh.d.handle_rx(&connack(false), sh.now),
        Ok(umqtt_core::driver::Rx::Idle)
    );
}

#[test]
fn opening_and_connack_together_are_bounded_by_timeout_ms() {
    let mut sh = Shim::new(Settings {
        timeout_ms: 3_000,
        ..settings(60, false)
    });
    sh.open = Open::Hang;
    sh.connect(true);
    assert!(sh.wire.is_empty());
    sh.advance(1_000);
    // The transport opens late; the attempt keeps its deadline.
    assert_eq!(sh.d.open_timeout(sh.now), 2_000);
    sh.up = sh.d.handle_transport_up(sh.now);
    assert!(sh.up);
    sh.pump();
    assert_eq!(kinds(&sh.take_wire()), [CONNECT]);
    assert_eq!(sh.d.poll_timeout(sh.now), 2_000);
    sh.advance(2_000);
    assert_eq!(sh.errors, [(START + 3_000, Error::Timeout)]);
    assert_eq!(sh.d.connect_result(), ConnectResult::Failed(Error::Timeout));

    // An open that never finishes ends at the same bound.
    let mut sh = Shim::new(Settings {
        timeout_ms: 3_000,
        ..settings(60, false)
    });
    sh.open = Open::Hang;
    sh.connect(true);
    sh.advance(10_000);
    assert_eq!(sh.errors, [(START + 3_000, Error::Timeout)]);
    assert_eq!(sh.d.connect_result(), ConnectResult::Failed(Error::Timeout));
    // A transport reported up after the attempt ended is ignored.
    assert!(
        !sh.d.handle_transport_up(sh.now),
        "too late: close it again"
    );
    let mut out = [0u8; 64];
    assert_eq!(sh.d.poll_transmit(sh.now, &mut out), Ok(Transmit::Nothing));
    assert_eq!(sh.d.status(), Status::Closed);
}

#[test]
fn a_transport_that_fails_to_open_fails_the_connect_with_io() {
    let mut sh = Shim::new(settings(60, true));
    sh.open = Open::Fail;
    sh.connect(true);
    assert_eq!(sh.d.connect_result(), ConnectResult::Failed(Error::Io));
    assert_eq!(sh.d.status(), Status::Closed);
    assert_eq!(sh.take_events(), [Event::OpenTransport]);
    assert!(sh.wire.is_empty());
    assert_eq!(sh.d.poll_timeout(sh.now), u32::MAX);
    sh.advance(600_000);
    assert_eq!(sh.opens, [START], "not retried");
}

#[test]
fn a_refused_connack_fails_the_connect_with_its_code_and_reports_no_connection_lost() {
    for reconnect in [false, true] {
        for code in 1..=5u8 {
            let mut sh = Shim::new(settings(60, reconnect));
            sh.connect(true);
            sh.broker_sends(&refused(code));
            assert_eq!(sh.errors, [(START, Error::Refused(code.into()))]);
            assert_eq!(
                sh.d.connect_result(),
                ConnectResult::Failed(Error::Refused(code.into()))
            );
            assert_eq!(sh.d.status(), Status::Closed);
            // One notification for the application: the failed connect.
            assert_eq!(sh.take_events(), [Event::OpenTransport]);
            sh.advance(600_000);
            assert!(sh.take_events().is_empty(), "no retry, no event");
        }
    }
}

#[test]
fn a_transport_down_reported_after_a_refused_connack_changes_nothing() {
    // The broker closes the socket after refusing: the shim may see the end
    // of the stream after handle_rx already declared the connection lost.
    for reconnect in [false, true] {
        let mut sh = Shim::new(settings(60, reconnect));
        sh.connect(true);
        sh.broker_sends(&refused(5));
        sh.d.handle_transport_down(sh.now, Error::PeerClosed);
        sh.pump();
        assert_eq!(
            sh.d.connect_result(),
            ConnectResult::Failed(Error::Refused(5))
        );
        assert_eq!(sh.d.status(), Status::Closed);
        assert_eq!(sh.take_events(), [Event::OpenTransport]);
    }
}

#[test]
fn a_late_transport_down_while_backing_off_does_not_restart_the_back_off() {
    let mut sh = Shim::connected(settings(0, true));
    sh.open = Open::Fail;
    sh.transport_down(Error::Io);
    let until = sh.now.wrapping_add(sh.d.poll_timeout(sh.now));
    // The old socket's end of stream is reported later.
    sh.now += 100;
    sh.d.handle_transport_down(sh.now, Error::PeerClosed);
    sh.pump();
    assert_eq!(sh.now.wrapping_add(sh.d.poll_timeout(sh.now)), until);
    assert_eq!(sh.d.status(), Status::Connecting);
    assert_eq!(
        sh.take_events(),
        [
            Event::ConnectionLost { cause: Error::Io },
            Event::ReconnectStart
        ]
    );
}

#[test]
fn a_late_transport_down_after_close_leaves_the_status_closed() {
    let mut sh = Shim::connected(settings(0, false));
    sh.disconnect();
    assert_eq!(sh.d.status(), Status::Closed);
    sh.d.handle_transport_down(sh.now, Error::PeerClosed);
    assert_eq!(sh.d.status(), Status::Closed);
}

// ---- every wait bounded (defect 1), back-off (defect 11) ---------------------

#[test]
fn a_publish_while_reconnecting_would_block_and_never_waits_past_the_timeout() {
    let mut sh = Shim::connected(settings(0, true));
    sh.open = Open::Hang;
    sh.transport_down(Error::Io);
    assert_eq!(
        sh.take_events(),
        [
            Event::ConnectionLost { cause: Error::Io },
            Event::ReconnectStart
        ]
    );
    for qos in 0..=2 {
        let start = sh.now;
        let mut tries = 0;
        let r = wait_for(&mut sh, 2_000, |sh| {
            tries += 1;
            match sh.publish(b"t", b"x", qos) {
                Err(Error::WouldBlock) => None,
                other => Some(other),
            }
        });
        assert_eq!(r, Err(Error::Timeout), "QoS {qos}");
        assert_eq!(
            sh.now,
            start + 2_000,
            "QoS {qos}: waited exactly its timeout"
        );
        assert!(tries >= 2);
    }
    assert_eq!(sh.subscribe(b"s/#", 1), Err(Error::WouldBlock));
    assert_eq!(sh.ping(), Err(Error::WouldBlock));
    assert_eq!(sh.unsubscribe(b"s/#", None), Err(Error::WouldBlock));
    assert_eq!(sh.d.status(), Status::Connecting);
    sh.close();
    assert_eq!(sh.publish(b"t", b"x", 1), Err(Error::NotConnected));
    assert_eq!(sh.publish(b"t", b"x", 0), Err(Error::NotConnected));
    assert_eq!(sh.subscribe(b"s/#", 1), Err(Error::NotConnected));
    assert_eq!(sh.ping(), Err(Error::NotConnected));
    assert_eq!(sh.unsubscribe(b"s/#", None), Err(Error::NotConnected));
}

#[test]
fn with_reconnect_on_and_the_broker_gone_poll_timeout_is_always_finite() {
    let timeout_ms = 4_000;
    let mut sh = Shim::connected(Settings {
        timeout_ms,
        ..settings(5, true)
    });
    sh.transport_down(Error::Io);
    let end = sh.now + 3_600_000;
    let mut i = 0u32;
    while sh.now < end {
        // The broker is gone three ways: refused, black-holed, accepted and silent.
        sh.open = [Open::Fail, Open::Hang, Open::Up][(i % 3) as usize];
        i += 1;
        assert_ne!(sh.d.status(), Status::Closed);
        assert_ne!(sh.d.status(), Status::Connected);
        let t = sh.d.poll_timeout(sh.now);
        assert!(
            t <= timeout_ms.max(BACKOFF_CAP_MS),
            "poll_timeout {t} while {:?}",
            sh.d.status()
        );
        sh.advance(t.max(1));
    }
    assert!(sh.opens.len() > 90, "{} attempts", sh.opens.len());
    assert!(sh.errors.iter().all(|&(_, e)| e == Error::Timeout));
}

#[test]
fn back_off_delays_grow_from_1_s_to_a_30_s_cap_within_their_jitter_and_reset_after_a_success() {
    for seed in [1u32, 7, 0xdead_beef, 12_345_678] {
        let mut sh = Shim::connected(settings(0, true));
        sh.d.seed(seed);
        sh.open = Open::Fail;
        let lost_at = sh.now;
        sh.transport_down(Error::Io);
        sh.advance(15 * 60_000);
        // Opening fails at once, so each delay runs from one open to the next.
        let mut last = lost_at;
        let mut delays = Vec::new();
        for &t in &sh.opens[1..] {
            delays.push(t - last);
            last = t;
        }
        assert!(delays.len() >= 30, "{} attempts", delays.len());
        let mut at_cap = 0;
        for (k, &d) in delays.iter().enumerate() {
            let (lo, hi) = backoff_bounds(k);
            assert!(
                (lo..=hi).contains(&d),
                "seed {seed}: delay {k} is {d}, not in [{lo}, {hi}]"
            );
            if hi == BACKOFF_CAP_MS {
                at_cap += 1;
            }
        }
        assert!(at_cap > 20);
        // Jittered: not every capped delay is the same.
        let capped: Vec<_> = delays[6..].to_vec();
        assert!(capped.iter().any(|&d| d != capped[0]), "seed {seed}");

        // A success resets the back-off.
        until_connect_written(&mut sh);
        sh.broker_sends(&connack(true));
        assert!(sh.take_events().ends_with(&[
            Event::Connected {
                session_present: true
            },
            Event::ReconnectSuccess
        ]));
        sh.open = Open::Fail;
        let opens = sh.opens.len();
        let lost_at = sh.now;
        sh.transport_down(Error::Io);
        sh.advance(4_000);
        let first = sh.opens[opens] - lost_at;
        let second = sh.opens[opens + 1] - sh.opens[opens];
        assert!((500..=1_000).contains(&first), "seed {seed}: {first}");
        assert!((1_000..=2_000).contains(&second), "seed {seed}: {second}");
    }
}

#[test]
fn each_reconnect_attempt_is_bounded_by_timeout_ms() {
    let timeout_ms = 5_000;
    let mut sh = Shim::connected(Settings {
        timeout_ms,
        ..settings(0, true)
    });
    sh.transport_down(Error::Io);
    let mut attempts = 0;
    for k in 0..8 {
        // A black-holed open, then a broker that accepts TCP and says nothing.
        sh.open = if k % 2 == 0 { Open::Hang } else { Open::Up };
        let before = sh.opens.len();
        let t = sh.d.poll_timeout(sh.now);
        sh.advance(t);
        assert_eq!(sh.opens.len(), before + 1);
        let opened = sh.now;
        assert_eq!(sh.d.poll_timeout(sh.now), timeout_ms);
        sh.advance(timeout_ms);
        assert_eq!(
            sh.errors.last(),
            Some(&(opened + timeout_ms, Error::Timeout))
        );
        assert_eq!(sh.d.status(), Status::Connecting);
        // And the next delay follows the back-off.
        let (lo, hi) = backoff_bounds(k + 1);
        let next = sh.d.poll_timeout(sh.now);
        assert!((lo..=hi).contains(&next), "attempt {k}: {next}");
        attempts += 1;
    }
    assert_eq!(attempts, 8);
    assert_eq!(sh.errors.len(), 8);
    // Only the loss was reported to the application.
    assert_eq!(
        sh.take_events()
            .into_iter()
            .filter(|e| *e != Event::OpenTransport)
            .collect::<Vec<_>>(),
        [
            Event::ConnectionLost { cause: Error::Io },
            Event::ReconnectStart
        ]
    );
}

#[test]
fn close_and_disconnect_stop_reconnecting() {
    // close() while backing off.
    let mut sh = Shim::connected(settings(0, true));
    sh.open = Open::Fail;
    sh.transport_down(Error::Io);
    sh.advance(5_000);
    let opens = sh.opens.len();
    assert!(opens >= 3);
    sh.close();
    assert_eq!(sh.d.status(), Status::Closed);
    assert_eq!(sh.d.poll_timeout(sh.now), u32::MAX);
    sh.advance(3_600_000);
    assert_eq!(sh.opens.len(), opens);

    // disconnect() while connected: DISCONNECT, then nothing.
    let mut sh = Shim::connected(settings(5, true));
    sh.disconnect();
    assert_eq!(sh.take_wire(), [vec![0xe0, 0]]);
    assert_eq!(sh.d.status(), Status::Closed);
    assert_eq!(sh.d.poll_timeout(sh.now), u32::MAX);
    sh.advance(3_600_000);
    assert!(sh.take_events().is_empty());
    assert!(sh.wire.is_empty());

    // disconnect() while an attempt is opening: nothing written, and the
    // transport reported up late is ignored.
    let mut sh = Shim::connected(settings(0, true));
    sh.open = Open::Hang;
    sh.transport_down(Error::Io);
    sh.advance(1_000);
    assert_eq!(sh.opens.len(), 2);
    assert!(sh.d.open_timeout(sh.now) > 0);
    sh.disconnect();
    assert!(sh.wire.is_empty());
    assert!(!sh.d.handle_transport_up(sh.now), "closed: close it again");
    let mut out = [0u8; 64];
    assert_eq!(sh.d.poll_transmit(sh.now, &mut out), Ok(Transmit::Nothing));
    assert_eq!(sh.d.open_timeout(sh.now), 0);
    sh.advance(3_600_000);
    assert_eq!(sh.opens.len(), 2);
    assert_eq!(sh.d.status(), Status::Closed);
}

// ---- slots (defect 2) ------------------------------------------------------------

#[test]
fn qos1_and_qos2_publishes_get_distinct_slots_up_to_max_inflight() {
    let mut sh = Shim::connected(settings(0, false));
    let mut slots = Vec::new();
    let mut ops = Vec::new();
    for i in 0..MAX_INFLIGHT {
        let op = sh.publish(b"t", &[i as u8], 1 + (i % 2) as u8).unwrap();
        assert_ne!(op.ticket, 0);
        slots.push(op.slot);
        ops.push(op);
    }
    slots.sort_unstable();
    assert_eq!(slots, (0..MAX_INFLIGHT as u8).collect::<Vec<_>>());
    let mut pids: Vec<u16> = sh.wire.iter().map(|p| pid_of(p)).collect();
    pids.sort_unstable();
    pids.dedup();
    assert_eq!(pids.len(), MAX_INFLIGHT);
    assert_eq!(sh.publish(b"t", b"x", 1), Err(Error::InflightFull));
    assert_eq!(
        sh.publish(b"t", b"x", 0).unwrap().ticket,
        0,
        "QoS 0 takes no slot"
    );
    // Slot 5 acknowledged (QoS 2 here) frees it for the next publish.
    let five = ops[5];
    let pid = pid_of(&sh.wire[5]);
    sh.broker_sends(&ack(0x50, pid));
    assert_eq!(sh.publish(b"t", b"x", 1), Err(Error::InflightFull));
    sh.broker_sends(&ack(0x70, pid));
    assert_eq!(sh.d.ticket_result(five.ticket), TicketResult::Done(0));
    assert_eq!(sh.publish(b"t", b"y", 2).unwrap().slot, five.slot);
}

#[test]
fn a_publish_whose_write_failed_is_lost_and_frees_its_slot_with_reconnect_off() {
    let mut sh = Shim::connected(settings(0, false));
    for i in 0..20u8 {
        let op = sh.publish_failing(b"t", &[i], 1 + i % 2).unwrap();
        assert_eq!(op.slot, 0, "failure {i}: the slot was freed");
        assert_eq!(
            sh.take_events(),
            [Event::ConnectionLost { cause: Error::Io }]
        );
        assert_eq!(sh.d.status(), Status::Closed);
        assert_eq!(sh.d.ticket_result(op.ticket), TicketResult::Lost);
        // A resumed session has nothing to re-send: it was never sent.
        sh.connect(false);
        sh.broker_sends(&connack(true));
        assert_eq!(kinds(&sh.take_wire()), [CONNECT], "failure {i}");
        sh.events.clear();
    }
    // One sent and waited on until lost, one sent and still waited on, one
    // whose write failed.
    let a = sh.publish(b"a", b"1", 1).unwrap();
    let c = sh.publish(b"c", b"3", 2).unwrap();
    let b = sh.publish_failing(b"b", b"2", 1).unwrap();
    assert_eq!((a.slot, c.slot, b.slot), (0, 1, 2));
    let sent = sh.take_wire();
    assert_eq!(sh.d.ticket_result(a.ticket), TicketResult::Lost);
    assert_eq!(sh.d.ticket_result(b.ticket), TicketResult::Lost);
    sh.connect(false);
    sh.broker_sends(&connack(true));
    let w = sh.take_wire();
    assert_eq!(kinds(&w), [CONNECT, PUBLISH, PUBLISH]);
    for (resent, first) in w[1..].iter().zip(&sent) {
        assert!(dup_of(resent));
        assert_eq!(pid_of(resent), pid_of(first));
        assert_eq!(resent[1..], first[1..], "the same message");
    }
    // The failed one's slot is free again.
    assert_eq!(sh.publish(b"n", b"4", 1).unwrap().slot, 2);
    sh.broker_sends(&ack(0x40, pid_of(&sent[0])));
    assert_eq!(sh.d.ticket_result(c.ticket), TicketResult::Pending);
}

#[test]
fn after_a_reconnect_unsent_messages_go_without_dup_sent_ones_with_dup_in_publish_order_before_any_new_publish(
) {
    let mut sh = Shim::connected(settings(0, true));
    let x = sh.publish(b"x", b"0", 1).unwrap();
    let a = sh.publish(b"a", b"1", 1).unwrap();
    sh.broker_sends(&ack(0x40, pid_of(&sh.wire[0])));
    assert_eq!(sh.d.ticket_result(x.ticket), TicketResult::Done(0));
    let b = sh.publish(b"b", b"2", 2).unwrap();
    assert_eq!((a.slot, b.slot), (1, 0), "slot order is not publish order");
    let pid_b = pid_of(sh.wire.last().unwrap());
    sh.broker_sends(&ack(0x50, pid_b));
    assert_eq!(sh.wire.last().unwrap(), &ack(0x62, pid_b));
    let c = sh.publish(b"c", b"3", 2).unwrap();
    let sent = sh.take_wire();
    let (pid_a, pid_c) = (pid_of(&sent[1]), pid_of(&sent[4]));
    let d = sh.publish_failing(b"d", b"4", 1).unwrap();
    assert_eq!(
        sh.take_events(),
        [
            Event::ConnectionLost { cause: Error::Io },
            Event::ReconnectStart
        ]
    );
    for t in [a.ticket, b.ticket, c.ticket, d.ticket] {
        assert_eq!(
            sh.d.ticket_result(t),
            TicketResult::Pending,
            "kept while reconnecting"
        );
    }
    assert_eq!(sh.publish(b"e", b"5", 1), Err(Error::WouldBlock));

    until_connect_written(&mut sh);
    sh.rx(&connack(true));
    // Re-sends first: new commands wait until they are drained.
    let expected = [
        Transmit::Publish { slot: a.slot },
        Transmit::Bytes(4),
        Transmit::Publish { slot: c.slot },
        Transmit::Publish { slot: d.slot },
    ];
    for t in expected {
        assert!(!sh.d.is_ready());
        assert_eq!(sh.publish(b"e", b"5", 0), Err(Error::WouldBlock));
        assert_eq!(sh.publish(b"e", b"5", 1), Err(Error::WouldBlock));
        assert_eq!(sh.subscribe(b"e", 1), Err(Error::WouldBlock));
        assert_eq!(sh.transmit_one(), Some(t));
    }
    sh.pump();
    assert_eq!(
        sh.take_events(),
        [
            Event::OpenTransport,
            Event::Connected {
                session_present: true
            },
            Event::ReconnectSuccess
        ]
    );
    let w = sh.take_wire();
    assert_eq!(kinds(&w), [PUBLISH, PUBREL, PUBLISH, PUBLISH]);
    assert_eq!(
        w.iter().map(|p| pid_of(p)).collect::<Vec<_>>()[..3],
        [pid_a, pid_b, pid_c]
    );
    assert_eq!(w[1], ack(0x62, pid_b));
    assert_eq!(
        (topic_of(&w[0]), dup_of(&w[0]), w[0][0] & 6),
        (b"a".to_vec(), true, 2)
    );
    assert_eq!(
        (topic_of(&w[2]), dup_of(&w[2]), w[2][0] & 6),
        (b"c".to_vec(), true, 4)
    );
    assert_eq!(
        (topic_of(&w[3]), payload_of(&w[3]), dup_of(&w[3])),
        (b"d".to_vec(), b"4".to_vec(), false),
        "never sent: no DUP"
    );
    assert!(sh.d.is_ready());
    let e = sh.publish(b"e", b"5", 1).unwrap();
    assert!(!dup_of(&sh.take_wire()[0]));
    assert!(![a.slot, b.slot, c.slot, d.slot].contains(&e.slot));
}

// ---- keep-alive (defects 4 and 10) ---------------------------------------------

#[test]
fn an_unaccepted_message_does_not_stop_pingreqs() {
    let mut sh = Shim::connected(settings(2, true));
    sh.accept = false;
    sh.now += 500;
    sh.broker_sends(&incoming("busy", b"m", 1, 9, false));
    assert_eq!(sh.offered.len(), 1);
    let mut pings = Vec::new();
    // The application is busy for 6 s; the broker answers every PINGREQ.
    for _ in 0..60 {
        sh.advance(100);
        for p in sh.take_wire() {
            assert_eq!(p, PINGREQ, "nothing but PINGREQ while the message waits");
            pings.push(sh.now);
            assert!(sh.broker_sends(&PINGRESP));
        }
    }
    assert!(pings.len() >= 5, "{pings:?}");
    assert!(sh.errors.is_empty(), "{:?}", sh.errors);
    assert_eq!(sh.d.status(), Status::Connected);
    assert!(sh.delivered.is_empty());
    // The application comes back: the message, its PUBACK, the PINGRESPs.
    sh.accept = true;
    sh.process();
    sh.pump();
    assert_eq!(sh.delivered.len(), 1);
    assert_eq!(sh.take_wire(), [ack(0x40, 9).to_vec()]);
    assert!(sh.rxbuf.is_empty());
}

#[test]
fn bytes_arriving_behind_an_unread_message_keep_the_link_alive() {
    let mut sh = Shim::connected(settings(2, true));
    sh.accept = false;
    // The broker never answers a PINGREQ, but sends a message every 500 ms.
    for i in 0..40u16 {
        sh.broker_sends(&incoming("flood", b"m", 1, i + 1, false));
        sh.advance(500);
    }
    assert!(sh.errors.is_empty(), "{:?}", sh.errors);
    assert_eq!(sh.d.status(), Status::Connected);
    assert!(kinds(&sh.wire).iter().all(|&k| k == PING));
    // Then the bytes stop: the unanswered PINGREQ ends it.
    sh.advance(3_000);
    assert_eq!(
        sh.errors.iter().map(|e| e.1).collect::<Vec<_>>(),
        [Error::KeepaliveTimeout]
    );
}

#[test]
fn a_message_offered_again_and_again_does_not_hold_off_the_pingresp_deadline() {
    // Found by split_rx reading heads: handling a packet counted as proof
    // of life, so an application retrying wait_msg() after MemoryError on
    // a buffered message re-armed the keep-alive with old bytes each time,
    // and a link that had died was never declared lost.
    let mut sh = Shim::connected(settings(2, true));
    sh.accept = false;
    sh.broker_sends(&incoming("stuck", b"m", 1, 4, false));
    let mut lost_at = None;
    for _ in 0..40 {
        sh.advance(100);
        sh.process(); // the application tries again: the message is offered again
        sh.pump();
        if let Some(&(t, e)) = sh.errors.first() {
            lost_at = Some((t, e));
            break;
        }
    }
    // PINGREQ at 1 s after the last bytes, no PINGRESP: lost 1 s later.
    assert_eq!(lost_at, Some((START + 2_000, Error::KeepaliveTimeout)), "{:?}", sh.wire);
    assert!(sh.offered.len() > 10, "offered again on every try");
    assert!(sh.delivered.is_empty());
}

#[test]
fn a_missing_pingresp_with_no_bytes_received_ends_the_connection_after_half_the_keepalive() {
    let mut sh = Shim::connected(settings(2, true));
    assert_eq!(sh.d.poll_timeout(sh.now), 1_000);
    sh.advance(1_000);
    assert_eq!(sh.take_wire(), [PINGREQ.to_vec()]);
    assert_eq!(sh.d.poll_timeout(sh.now), 1_000);
    sh.advance(999);
    assert!(sh.errors.is_empty());
    sh.open = Open::Hang;
    sh.advance(1);
    assert_eq!(sh.errors, [(START + 2_000, Error::KeepaliveTimeout)]);
    assert_eq!(
        sh.take_events(),
        [
            Event::ConnectionLost {
                cause: Error::KeepaliveTimeout
            },
            Event::ReconnectStart
        ]
    );
    assert_eq!(sh.d.status(), Status::Connecting);
    assert_eq!(sh.d.cause(), Some(Error::KeepaliveTimeout));
}

#[test]
fn a_pingresp_answers_the_pingreq_and_the_link_stays_up() {
    let mut sh = Shim::connected(settings(2, false));
    for _ in 0..10 {
        sh.advance(400);
        assert!(sh.wire.is_empty());
        sh.advance(600);
        assert_eq!(sh.take_wire(), [PINGREQ.to_vec()]);
        sh.broker_sends(&PINGRESP);
    }
    assert!(sh.errors.is_empty());
    assert_eq!(sh.d.status(), Status::Connected);
}

#[test]
fn an_acknowledgement_ahead_of_its_resend_does_not_hold_the_other_resends() {
    // Finding 1 of the fuzzer (RELIABILITY.md): the broker acknowledges the
    // first copy in the same read as the CONNACK, before the client re-sent
    // it; only the second message is still owed, and nothing waits behind it.
    let mut sh = Shim::connected(settings(0, false));
    let a = sh.publish(b"a", b"1", 1).unwrap();
    sh.publish(b"b", b"2", 1).unwrap();
    let first = sh.take_wire();
    sh.transport_down(Error::PeerClosed);
    sh.connect(false);
    let mut read = connack(true).to_vec();
    read.extend_from_slice(&ack(0x40, pid_of(&first[0])));
    sh.broker_sends(&read);
    let w = sh.take_wire();
    assert_eq!(kinds(&w), [CONNECT, PUBLISH]);
    assert_eq!(pid_of(&w[1]), pid_of(&first[1]));
    assert!(dup_of(&w[1]));
    assert!(sh.d.is_ready());
    assert_eq!(sh.d.ticket_result(a.ticket), TicketResult::Done(0));
    assert!(sh.publish(b"c", b"3", 0).is_ok(), "a new publish is not held back");
}

#[test]
fn only_the_pingresp_to_the_applications_own_ping_is_news_for_it() {
    // wait_msg() must not return for the driver's own keep-alive traffic
    // (issue 12), but does for the answer to the script's ping(), as in
    // umqtt.simple.
    let mut sh = Shim::connected(settings(2, false));
    sh.advance(1000);
    assert_eq!(sh.take_wire(), [PINGREQ.to_vec()]);
    sh.broker_sends(&PINGRESP);
    assert_eq!(sh.keepalive_pingresps, 1);
    sh.ping().unwrap();
    assert_eq!(sh.take_wire(), [PINGREQ.to_vec()]);
    sh.broker_sends(&PINGRESP);
    assert_eq!(sh.keepalive_pingresps, 1, "the user's PINGRESP is Consumed, not KeepAlive");
    sh.advance(1000);
    assert_eq!(sh.take_wire(), [PINGREQ.to_vec()]);
    sh.broker_sends(&PINGRESP);
    assert_eq!(sh.keepalive_pingresps, 2);
    assert!(sh.errors.is_empty());
}

#[test]
fn a_sent_publishs_ticket_outlives_a_lost_connection_and_completes_after_a_resumed_session() {
    // umqtt.robust retries a publish by waiting on the message already in
    // flight: its ticket must stay valid while the connection is down.
    let mut sh = Shim::connected(settings(0, false));
    let op = sh.publish(b"t", b"m", 1).unwrap();
    let first = sh.take_wire();
    sh.transport_down(Error::PeerClosed);
    assert_eq!(sh.d.ticket_result(op.ticket), TicketResult::Lost);
    assert_eq!(sh.d.ticket_result(op.ticket), TicketResult::Lost, "still held");
    sh.connect(false);
    sh.broker_sends(&connack(false));
    let w = sh.take_wire();
    assert_eq!(kinds(&w), [CONNECT, PUBLISH]);
    assert!(dup_of(&w[1]));
    assert_eq!(pid_of(&w[1]), pid_of(&first[0]));
    assert_eq!(sh.d.ticket_result(op.ticket), TicketResult::Pending);
    sh.broker_sends(&ack(0x40, pid_of(&w[1])));
    assert_eq!(sh.d.ticket_result(op.ticket), TicketResult::Done(0));
}

#[test]
fn stats_count_what_the_driver_did() {
    // client.stats() (issue 13): counters kept by the driver on its own paths.
    let mut sh = Shim::connected(settings(2, true));
    sh.publish(b"t", b"0", 0).unwrap();
    let q1 = sh.publish(b"t", b"1", 1).unwrap();
    sh.publish(b"t", b"2", 2).unwrap();
    let sent = sh.take_wire();
    sh.broker_sends(&ack(0x40, pid_of(&sent[1])));
    assert_eq!(sh.d.ticket_result(q1.ticket), TicketResult::Done(0));
    sh.broker_sends(&incoming("in", b"a", 1, 7, false));
    sh.broker_sends(&incoming("in", b"b", 2, 8, false));
    sh.broker_sends(&incoming("in", b"b", 2, 8, true));     // the broker sends it again
    sh.advance(1000);                                       // keep-alive PINGREQ
    sh.take_wire();
    sh.advance(40);
    sh.broker_sends(&PINGRESP);
    let s = sh.d.stats();
    assert_eq!((s.published, s.received), ([1, 1, 1], [0, 1, 1]));
    assert_eq!((s.duplicates_dropped, s.pings, s.pings_missed, s.last_ping_rtt_ms), (1, 1, 0, 40));
    assert_eq!((s.connects, s.reconnects, s.resent), (1, 0, 0));
    // A lost link, the automatic reconnect, and the QoS 2 message re-sent.
    sh.transport_down(Error::PeerClosed);
    until_connect_written(&mut sh);
    sh.broker_sends(&connack(true));
    assert_eq!(kinds(&sh.take_wire()), [PUBLISH]);
    let s = sh.d.stats();
    assert_eq!((s.connects, s.reconnects, s.resent), (2, 1, 1));
    // No PINGRESP: missed, then the link is dead.
    sh.advance(1000);
    sh.advance(1000);
    assert_eq!(sh.d.stats().pings_missed, 1);
}

#[test]
fn ping_max_missed_resends_pingreq_before_the_connection_counts_as_dead() {
    let mut sh = Shim::connected(Settings {
        ping_max_missed: 2,
        ..settings(2, false)
    });
    let mut pings = Vec::new();
    for _ in 0..50 {
        sh.advance(100);
        for p in sh.take_wire() {
            assert_eq!(p, PINGREQ);
            pings.push(sh.now - START);
        }
    }
    assert_eq!(pings, [1_000, 2_000, 3_000]);
    assert_eq!(sh.errors, [(START + 4_000, Error::KeepaliveTimeout)]);
    assert_eq!(
        sh.take_events(),
        [Event::ConnectionLost {
            cause: Error::KeepaliveTimeout
        }]
    );
    assert_eq!(sh.d.status(), Status::Closed);

    // A late PINGRESP after a miss resets the count.
    let mut sh = Shim::connected(Settings {
        ping_max_missed: 1,
        ..settings(2, false)
    });
    sh.advance(2_000);
    assert_eq!(
        sh.take_wire(),
        [PINGREQ.to_vec(), PINGREQ.to_vec()],
        "one retry"
    );
    sh.advance(500);
    sh.broker_sends(&PINGRESP);
    sh.advance(1_000);
    assert_eq!(sh.take_wire(), [PINGREQ.to_vec()]);
    sh.advance(1_000);
    assert_eq!(
        sh.take_wire(),
        [PINGREQ.to_vec()],
        "the retry is allowed again"
    );
    assert!(sh.errors.is_empty());
    sh.advance(1_000);
    assert_eq!(sh.errors.len(), 1);
}

#[test]
fn an_ack_queued_but_not_yet_written_does_not_delay_the_pingreq() {
    let mut sh = Shim::connected(settings(2, false));
    sh.now += 900;
    sh.rx(&incoming("t", b"m", 1, 9, false));
    assert_eq!(sh.delivered.len(), 1);
    assert!(sh.wire.is_empty(), "the PUBACK is queued, not written");
    // A reply counted as sent when produced would push the PINGREQ to 1900.
    assert_eq!(sh.d.poll_timeout(sh.now), 100);
    sh.now += 100;
    sh.timeout();
    assert_eq!(sh.take_wire(), [PINGREQ.to_vec(), ack(0x40, 9).to_vec()]);

    // Written, it counts as sent.
    let mut sh = Shim::connected(settings(2, false));
    sh.now += 900;
    sh.broker_sends(&incoming("t", b"m", 1, 9, false));
    assert_eq!(sh.take_wire(), [ack(0x40, 9).to_vec()]);
    assert_eq!(sh.d.poll_timeout(sh.now), 1_000);
}

#[test]
fn an_owed_pingreq_goes_ahead_of_acknowledgements_and_schedules_nothing_until_it_goes() {
    // asyncio mode with a full socket: the shim takes nothing from
    // poll_transmit while a packet's tail waits, but still reads what is
    // buffered (acknowledgements queue up) and runs the deadlines.
    let mut sh = Shim::connected(settings(2, false));
    sh.now += 1_000;
    sh.d.handle_timeout(sh.now).unwrap();
    // Found by the asyncio write-stall test: the owed PINGREQ made
    // poll_timeout say 0 until it went, so the event loop stepped the
    // client without pause for as long as the socket stayed full.
    assert_eq!(sh.d.poll_timeout(sh.now), u32::MAX);
    for pid in 1..=3 {
        sh.now += 1_000;
        sh.rx(&incoming("t", b"m", 1, pid, false));
        sh.d.handle_timeout(sh.now).unwrap();
        assert_eq!(sh.d.poll_timeout(sh.now), u32::MAX);
    }
    assert!(sh.errors.is_empty() && sh.wire.is_empty());
    // The socket takes bytes again: the PINGREQ first (acknowledgements
    // refilled by a flood would hold it back for as long as it lasts),
    // then its PINGRESP is waited for from now.
    sh.drain_transmit();
    let wire = sh.take_wire();
    assert_eq!(kinds(&wire), [PING, PUBACK, PUBACK, PUBACK], "{wire:02x?}");
    assert_eq!(sh.d.poll_timeout(sh.now), 1_000);
}

// ---- two-phase delivery (defect 6) ------------------------------------------------

#[test]
fn a_qos2_message_not_accepted_is_offered_again_and_nothing_is_acknowledged() {
    let mut sh = Shim::connected(settings(0, true));
    let publish = incoming("a/b", b"payload", 2, 7, false);
    sh.accept = false;
    sh.broker_sends(&publish);
    // The shim ran out of memory building the objects: nothing was recorded.
    assert_eq!(sh.offered.len(), 1);
    assert!(sh.wire.is_empty(), "no PUBREC");
    assert!(sh.d.message_pending());
    sh.process();
    sh.pump();
    assert_eq!(sh.offered.len(), 2);
    assert_eq!(sh.offered[0], sh.offered[1]);
    assert_eq!(
        (
            &sh.offered[0].topic[..],
            &sh.offered[0].payload[..],
            sh.offered[0].qos
        ),
        (&b"a/b"[..], &b"payload"[..], 2)
    );
    assert!(sh.wire.is_empty(), "no PUBREC");
    assert_eq!(sh.rxbuf, publish, "nothing consumed");
    // Accepting without a pending message is refused.
    let mut fresh = Shim::connected(settings(0, true));
    assert_eq!(fresh.d.accept_message(fresh.now), Err(Error::BadArgument));

    // Memory is back: delivered once, PUBREC.
    sh.accept = true;
    sh.process();
    sh.pump();
    assert_eq!(sh.delivered.len(), 1);
    assert_eq!(sh.take_wire(), [ack(0x50, 7).to_vec()]);
    // The broker's re-send (DUP) is answered, not delivered.
    let dup = incoming("a/b", b"payload", 2, 7, true);
    sh.broker_sends(&dup);
    assert_eq!(sh.delivered.len(), 1);
    assert_eq!(sh.take_wire(), [ack(0x50, 7).to_vec()]);
    // PUBREL: PUBCOMP, and the id is free again.
    sh.broker_sends(&ack(0x62, 7));
    assert_eq!(sh.take_wire(), [ack(0x70, 7).to_vec()]);
    sh.broker_sends(&publish);
    assert_eq!(sh.delivered.len(), 2);
    assert_eq!(sh.take_wire(), [ack(0x50, 7).to_vec()]);
    assert!(sh.errors.is_empty());
}

#[test]
fn a_qos1_message_not_accepted_is_offered_again_and_acknowledged_once_accepted() {
    let mut sh = Shim::connected(settings(0, true));
    sh.accept = false;
    sh.broker_sends(&incoming("q1", b"m", 1, 3, false));
    sh.process();
    sh.pump();
    assert_eq!(sh.offered.len(), 2);
    assert!(sh.wire.is_empty(), "no PUBACK");
    sh.accept = true;
    sh.process();
    sh.pump();
    assert_eq!(sh.delivered.len(), 1);
    assert_eq!(sh.take_wire(), [ack(0x40, 3).to_vec()]);
    // QoS 1 is at least once: a re-send is delivered again.
    sh.broker_sends(&incoming("q1", b"m", 1, 3, true));
    assert_eq!(sh.delivered.len(), 2);
    assert!(sh.delivered[1].dup);
    assert_eq!(sh.take_wire(), [ack(0x40, 3).to_vec()]);
}

#[test]
fn a_qos0_message_is_delivered_once_accepted_with_no_reply() {
    let mut sh = Shim::connected(settings(0, true));
    sh.accept = false;
    sh.broker_sends(&incoming("q0", b"m", 0, 0, false));
    assert_eq!(sh.offered.len(), 1);
    sh.accept = true;
    sh.process();
    sh.pump();
    assert_eq!(sh.delivered.len(), 1);
    assert!(sh.wire.is_empty());
    assert!(sh.rxbuf.is_empty());
}

// ---- a payload read past the buffer (issue 13: one copy) ------------------------

#[derive(Debug, PartialEq)]
enum Head {
    Message,
    Consumed(usize),
}

/// A PUBLISH handed to `handle_rx_head` with only its first `have` bytes.
fn head_of(sh: &mut Shim, packet: &[u8], have: usize) -> (Head, usize) {
    let (rx, body_len) = sh.d.handle_rx_head(&packet[..have], sh.now).unwrap();
    match rx {
        Rx::Message(m) => {
            assert!(m.payload.is_empty(), "the payload is the caller's to read");
            (Head::Message, body_len)
        }
        Rx::Consumed(n) => (Head::Consumed(n), body_len),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_long_publish_is_handled_from_its_head_and_acknowledged_once_its_payload_is_held() {
    let mut sh = Shim::connected(settings(0, true));
    let packet = incoming("big/t", &[0xAB; 5000], 1, 9, false);
    let head = packet.len() - 5000;
    let (rx, body_len) = sh.d.handle_rx_head(&packet[..head + 100], sh.now).unwrap();
    let Rx::Message(m) = rx else { panic!("{rx:?}") };
    assert_eq!((m.topic, m.payload, m.qos, m.packet_id), (&b"big/t"[..], &b""[..], 1, 9));
    assert_eq!(m.consumed, head, "the head is what the buffer gives up");
    assert_eq!(body_len, 5000, "every payload byte follows the head");
    sh.drain_transmit();
    assert!(sh.wire.is_empty(), "no PUBACK before the payload is held");
    assert!(sh.d.message_pending());
    assert_eq!(sh.d.accept_message(sh.now), Ok(head));
    sh.drain_transmit();
    assert_eq!(sh.take_wire(), [ack(0x40, 9).to_vec()]);
    assert_eq!(sh.d.stats().received, [0, 1, 0]);
}

#[test]
fn a_head_with_its_whole_payload_or_of_another_packet_is_handled_as_by_handle_rx() {
    let mut sh = Shim::connected(settings(0, true));
    let packet = incoming("t", b"abc", 1, 4, false);
    let (rx, body_len) = sh.d.handle_rx_head(&packet, sh.now).unwrap();
    let Rx::Message(m) = rx else { panic!("{rx:?}") };
    assert_eq!((m.payload, body_len), (&b"abc"[..], 0));
    assert_eq!(sh.d.accept_message(sh.now), Ok(packet.len()));
    let (rx, body_len) = sh.d.handle_rx_head(&PINGRESP, sh.now).unwrap();
    assert_eq!((rx, body_len), (Rx::KeepAlive(2), 0), "an unasked PINGRESP");
    let (rx, _) = sh.d.handle_rx_head(&packet[..3], sh.now).unwrap();
    assert!(matches!(rx, Rx::NeedMore(n) if n > 3), "{rx:?}");
}

#[test]
fn a_qos2_duplicate_seen_by_its_head_is_answered_and_its_payload_skipped() {
    let mut sh = Shim::connected(settings(0, true));
    let first = incoming("q2", &[1; 3000], 2, 5, false);
    let head = first.len() - 3000;
    let (rx, _) = head_of(&mut sh, &first, head);
    assert_eq!(rx, Head::Message);
    assert_eq!(sh.d.accept_message(sh.now), Ok(head));
    sh.drain_transmit();
    assert_eq!(sh.take_wire(), [ack(0x50, 5).to_vec()]);
    let again = incoming("q2", &[1; 3000], 2, 5, true);
    let (rx, body_len) = head_of(&mut sh, &again, head + 10);
    assert_eq!((rx, body_len), (Head::Consumed(head), 3000), "skip the payload, deliver nothing");
    sh.drain_transmit();
    assert_eq!(sh.take_wire(), [ack(0x50, 5).to_vec()]);
    assert_eq!(sh.d.stats().duplicates_dropped, 1);
}

#[test]
fn a_connection_lost_while_the_payload_is_read_forgets_the_message_unacknowledged() {
    let mut sh = Shim::connected(settings(0, true));
    let packet = incoming("q2", &[7; 4000], 2, 6, false);
    let (rx, _) = head_of(&mut sh, &packet, 40);
    assert_eq!(rx, Head::Message);
    sh.transport_down(Error::PeerClosed);
    assert_eq!(sh.d.accept_message(sh.now), Err(Error::BadArgument));
    sh.drain_transmit();
    assert!(sh.wire.iter().all(|p| p[0] >> 4 != 5), "no PUBREC for a message not held");
}

#[test]
fn a_head_is_refused_as_a_whole_packet_would_be() {
    let mut sh = Shim::connected(settings(0, true));
    // The topic length runs past the packet: the connection is lost.
    assert_eq!(sh.d.handle_rx_head(&[0x30, 0x05, 0x00, 0x09], sh.now), Err(Error::ProtocolError));
    let mut sh = Shim::connected(settings(0, true));
    // A topic with a wildcard, in a packet whose payload is still to come.
    let packet = incoming("a/+", &[0; 500], 0, 0, false);
    assert_eq!(sh.d.handle_rx_head(&packet[..10], sh.now), Err(Error::ProtocolError));
}

// ---- the receive bound (Settings::max_packet) -------------------------------------

fn bounded(max_packet: u32, chunked: bool) -> Settings {
    Settings {
        max_packet,
        chunked,
        ..settings(0, true)
    }
}

/// A QoS 1 PUBLISH from the broker of exactly `total` bytes.
fn publish_of_len(total: usize) -> Vec<u8> {
    (0..total)
        .rev()
        .map(|n| incoming("t", &vec![0x5a; n], 1, 3, false))
        .find(|p| p.len() == total)
        .unwrap()
}

/// A SUBACK of exactly `total` bytes (two length bytes): a long packet
/// that is not a PUBLISH.
fn long_suback(total: usize) -> Vec<u8> {
    let rem = total - 3;
    let mut p = vec![0x90, (rem & 0x7f) as u8 | 0x80, (rem >> 7) as u8, 0, 1];
    p.resize(total, 0);
    p
}

#[test]
fn a_packet_one_byte_over_max_packet_is_refused_from_its_fixed_header_as_a_broken_one_is() {
    let mut sh = Shim::connected(bounded(300, false));
    let t = sh.publish(b"out", b"kept", 1).unwrap().ticket;
    sh.take_wire();
    let p = publish_of_len(301);
    // Its fixed header is enough: nothing of it needs buffering.
    assert!(sh.broker_sends(&p[..3]));
    assert_eq!(sh.errors, [(sh.now, Error::PacketTooLarge)]);
    assert_eq!(sh.d.cause(), Some(Error::PacketTooLarge));
    assert_eq!(
        sh.take_events(),
        [
            Event::ConnectionLost {
                cause: Error::PacketTooLarge
            },
            Event::ReconnectStart
        ]
    );
    assert_eq!(sh.d.status(), Status::Connecting);
    // The session goes on as after any loss: the publish is re-sent.
    until_connect_written(&mut sh);
    sh.broker_sends(&connack(true));
    let w = sh.take_wire();
    assert_eq!(kinds(&w), [PUBLISH]);
    assert!(dup_of(&w[0]) && payload_of(&w[0]) == b"kept");
    assert_eq!(sh.d.ticket_result(t), TicketResult::Pending);
    assert!(sh.delivered.is_empty());
}

#[test]
fn a_packet_of_exactly_max_packet_is_taken() {
    let mut sh = Shim::connected(bounded(300, false));
    let p = publish_of_len(300);
    assert_eq!(sh.d.handle_rx(&p[..3], sh.now), Ok(Rx::NeedMore(300)));
    sh.broker_sends(&p);
    assert!(sh.errors.is_empty(), "{:?}", sh.errors);
    assert_eq!(sh.delivered.len(), 1);
    assert_eq!(sh.take_wire(), [ack(0x40, 3).to_vec()]);
    // No bound (0) takes what a bound of 300 refuses.
    let mut sh = Shim::connected(bounded(0, false));
    sh.broker_sends(&publish_of_len(301));
    assert!(sh.errors.is_empty() && sh.delivered.len() == 1, "{:?}", sh.errors);
}

#[test]
fn the_head_path_refuses_a_publish_over_max_packet_and_takes_one_at_it() {
    let mut sh = Shim::connected(bounded(300, false));
    let p = publish_of_len(301);
    assert_eq!(sh.d.handle_rx_head(&p[..10], sh.now), Err(Error::PacketTooLarge));
    assert_eq!(sh.d.cause(), Some(Error::PacketTooLarge));
    assert_eq!(sh.d.status(), Status::Connecting, "lost, and reconnecting");
    let mut sh = Shim::connected(bounded(300, false));
    let p = publish_of_len(300);
    // The head: 3 header bytes, topic "t" with its length, packet id.
    let (rx, body_len) = head_of(&mut sh, &p, 10);
    assert_eq!((rx, 8 + body_len), (Head::Message, 300));
    assert_eq!(sh.d.accept_message(sh.now), Ok(8));
}

#[test]
fn with_chunked_a_publish_longer_than_max_packet_is_taken_through_its_head() {
    let mut sh = Shim::connected(bounded(300, true));
    let p = incoming("big/t", &[0xAB; 5000], 1, 9, false);
    let head = p.len() - 5000;
    // Whole, it would need the buffer to grow past max_packet: the caller
    // hands it to the head path instead.
    assert_eq!(sh.d.handle_rx(&p[..100], sh.now), Ok(Rx::NeedMore(p.len())));
    let (rx, body_len) = head_of(&mut sh, &p, 100);
    assert_eq!((rx, body_len), (Head::Message, 5000));
    assert_eq!(sh.d.accept_message(sh.now), Ok(head));
    sh.drain_transmit();
    assert_eq!(sh.take_wire(), [ack(0x40, 9).to_vec()]);
    assert!(sh.errors.is_empty());
}

#[test]
fn a_long_packet_other_than_a_publish_is_refused_even_when_chunked() {
    let p = long_suback(301);
    for head in [false, true] {
        let mut sh = Shim::connected(bounded(300, true));
        assert_eq!(sh.d.receive(&p[..3], sh.now, head).map(|_| ()), Err(Error::PacketTooLarge), "head {head}");
        assert_eq!(sh.d.cause(), Some(Error::PacketTooLarge));
    }
    // At the bound it reaches the decoder (which refuses a SUBACK for no
    // SUBSCRIBE no more than any other).
    let mut sh = Shim::connected(bounded(300, true));
    assert_eq!(sh.d.handle_rx(&long_suback(300)[..3], sh.now), Ok(Rx::NeedMore(300)));
}

#[test]
fn max_packet_and_chunked_change_on_a_live_session_without_disturbing_it() {
    let mut sh = Shim::connected(bounded(300, false));
    let t = sh.publish(b"out", b"x", 1).unwrap().ticket;
    sh.take_wire();
    sh.d.configure(bounded(300, true)).unwrap();
    assert_eq!(sh.d.status(), Status::Connected);
    let p = incoming("big/t", &[1; 1000], 0, 0, false);
    let (rx, body_len) = head_of(&mut sh, &p, 20);
    assert_eq!((rx, body_len), (Head::Message, 1000));
    assert_eq!(sh.d.accept_message(sh.now), Ok(p.len() - 1000));
    sh.d.configure(bounded(300, false)).unwrap();
    assert_eq!(sh.d.handle_rx_head(&p[..20], sh.now), Err(Error::PacketTooLarge));
    // Nothing of the session was lost to the changes.
    until_connect_written(&mut sh);
    sh.broker_sends(&connack(true));
    let w = sh.take_wire();
    assert_eq!(kinds(&w), [PUBLISH]);
    sh.broker_sends(&ack(0x40, pid_of(&w[0])));
    assert_eq!(sh.d.ticket_result(t), TicketResult::Done(0));
}

#[test]
fn a_3_1_1_connect_carries_no_maximum_packet_size() {
    let mut a = Shim::new(bounded(300, false));
    let mut b = Shim::new(bounded(0, false));
    a.connect(true);
    b.connect(true);
    assert_eq!(a.wire, b.wire);
}

// ---- the window (defect 9) -----------------------------------------------------

#[test]
fn a_full_window_refuses_a_publish_until_an_ack_frees_it() {
    let mut sh = Shim::connected(Settings {
        max_inflight: 3,
        ..settings(0, true)
    });
    let ops: Vec<_> = (0..3)
        .map(|i| sh.publish(b"t", b"x", 1 + i % 2).unwrap())
        .collect();
    assert_eq!(sh.publish(b"t", b"x", 1), Err(Error::InflightFull));
    assert_eq!(sh.publish(b"t", b"x", 2), Err(Error::InflightFull));
    assert!(sh.publish(b"t", b"x", 0).is_ok(), "QoS 0 is not windowed");
    // The QoS 2 message past PUBREC still counts; its PUBCOMP frees it.
    let pid = pid_of(&sh.wire[1]);
    sh.broker_sends(&ack(0x50, pid));
    assert_eq!(sh.publish(b"t", b"x", 1), Err(Error::InflightFull));
    sh.broker_sends(&ack(0x70, pid));
    assert!(sh.publish(b"t", b"x", 1).is_ok());
    assert_eq!(sh.publish(b"t", b"x", 1), Err(Error::InflightFull));
    sh.broker_sends(&ack(0x40, pid_of(&sh.wire[0])));
    assert!(sh.publish(b"t", b"x", 2).is_ok());
    assert_eq!(sh.d.ticket_result(ops[0].ticket), TicketResult::Done(0));
    assert_eq!(sh.d.ticket_result(ops[1].ticket), TicketResult::Done(0));

    // The default window is MAX_INFLIGHT.
    let mut sh = Shim::connected(settings(0, true));
    for _ in 0..MAX_INFLIGHT {
        sh.publish(b"t", b"x", 1).unwrap();
    }
    assert_eq!(sh.publish(b"t", b"x", 1), Err(Error::InflightFull));
    sh.broker_sends(&ack(0x40, pid_of(&sh.wire[9])));
    assert!(sh.publish(b"t", b"x", 1).is_ok());
}

// ---- incoming QoS 2 ids beyond the table (defect 12) ------------------------------

#[test]
fn two_hundred_qos2_messages_awaiting_pubrel_are_delivered_once_each_with_a_lent_map() {
    let mut sh = Shim::connected(settings(0, true));
    for pid in 1..=200u16 {
        sh.broker_sends(&incoming("flood", &pid.to_be_bytes(), 2, pid, false));
        if usize::from(pid) == MAX_INBOUND_QOS2 + 1 {
            // The 129th: no room to remember its id, and nothing recorded.
            assert_eq!(sh.accept_errors, [Error::InboundFull]);
            assert_eq!(sh.delivered.len(), MAX_INBOUND_QOS2);
            assert!(sh.d.message_pending());
            assert_eq!(sh.d.status(), Status::Connected);
            let map: &'static mut [u8] = vec![0u8; INBOUND_MAP_BYTES].leak();
            sh.d.lend_inbound_map(map).unwrap();
            sh.process();
            sh.pump();
            assert_eq!(sh.delivered.len(), MAX_INBOUND_QOS2 + 1);
        }
    }
    let pids: Vec<u16> = sh.delivered.iter().map(|m| m.packet_id).collect();
    assert_eq!(pids, (1..=200).collect::<Vec<_>>());
    let w = sh.take_wire();
    assert_eq!(
        w,
        (1..=200).map(|p| ack(0x50, p).to_vec()).collect::<Vec<_>>()
    );
    // The broker re-sends every one of them: none is delivered again.
    for pid in 1..=200u16 {
        sh.broker_sends(&incoming("flood", &pid.to_be_bytes(), 2, pid, true));
    }
    assert_eq!(sh.delivered.len(), 200);
    assert_eq!(
        sh.take_wire(),
        (1..=200).map(|p| ack(0x50, p).to_vec()).collect::<Vec<_>>()
    );
    for pid in 1..=200u16 {
        sh.broker_sends(&ack(0x62, pid));
    }
    assert_eq!(
        sh.take_wire(),
        (1..=200).map(|p| ack(0x70, p).to_vec()).collect::<Vec<_>>()
    );
    assert!(sh.errors.is_empty());
    assert_eq!(sh.accept_errors.len(), 1);
    assert!(sh.take_events().is_empty(), "no connection dropped");
    assert_eq!(sh.d.client().session().inbound_qos2_count(), 0);
}

#[test]
fn two_hundred_qos2_messages_in_one_read_are_all_delivered_with_a_lent_map() {
    // The flood arrives in one buffer: the ack queue fills (Busy) and drains.
    let mut sh = Shim::connected(settings(0, true));
    let map: &'static mut [u8] = vec![0u8; INBOUND_MAP_BYTES].leak();
    sh.d.lend_inbound_map(map).unwrap();
    let bytes: Vec<u8> = (1..=200u16)
        .flat_map(|p| incoming("f", b"x", 2, p, false))
        .collect();
    sh.broker_sends(&bytes);
    assert_eq!(sh.delivered.len(), 200);
    assert_eq!(
        sh.take_wire(),
        (1..=200).map(|p| ack(0x50, p).to_vec()).collect::<Vec<_>>()
    );
    assert!(sh.rxbuf.is_empty());
}

// ---- subscriptions -----------------------------------------------------------------

#[test]
fn a_subscription_takes_a_slot_a_refused_suback_frees_it_and_a_granted_one_stays() {
    let mut sh = Shim::connected(settings(0, true));
    let a = sh.subscribe(b"a/#", 1).unwrap();
    let b = sh.subscribe(b"b/+", 2).unwrap();
    assert_eq!((a.slot, b.slot), (0, 1));
    let w = sh.take_wire();
    assert_eq!(kinds(&w), [SUBSCRIBE, SUBSCRIBE]);
    sh.broker_sends(&suback(pid_of(&w[0]), 1));
    sh.broker_sends(&suback(pid_of(&w[1]), 0x80));
    assert_eq!(sh.d.ticket_result(a.ticket), TicketResult::Done(1));
    assert_eq!(sh.d.ticket_result(b.ticket), TicketResult::Done(0x80));
    // The refused slot is free, the granted one is not.
    let c = sh.subscribe(b"c", 0).unwrap();
    assert_eq!(c.slot, 1);
    // The granted one is restored after a reconnect without session.
    sh.take_wire();
    sh.transport_down(Error::Io);
    until_connect_written(&mut sh);
    sh.broker_sends(&connack(false));
    let w = sh.take_wire();
    assert_eq!(kinds(&w), [SUBSCRIBE, SUBSCRIBE]);
    assert_eq!(topic_of(&w[0]), b"a/#");
    assert_eq!(*w[0].last().unwrap(), 1, "its QoS");
    assert_eq!(topic_of(&w[1]), b"c");
}

#[test]
fn a_subacks_0x80_is_a_failure_and_a_granted_qos_is_not() {
    let mut sh = Shim::connected(settings(0, false));
    let mut results = Vec::new();
    for code in [0, 1, 2, 0x80] {
        let op = sh.subscribe(b"t", 1).unwrap();
        let w = sh.take_wire();
        sh.broker_sends(&suback(pid_of(&w[0]), code));
        let TicketResult::Done(got) = sh.d.ticket_result(op.ticket) else {
            panic!("SUBACK {code:#x} left the ticket undone")
        };
        results.push((got, umqtt_core::is_failure(got)));
    }
    assert_eq!(results, [(0, false), (1, false), (2, false), (0x80, true)]);
}

#[test]
fn below_mqtt_5_a_refused_command_carries_no_reason_code() {
    for level in [3, 4] {
        for e in [Error::PacketTooLarge, Error::BadArgument, Error::InvalidTopic] {
            assert_eq!(umqtt_core::refusal_code(level, e), 0, "{level} {e:?}");
        }
    }
}

#[test]
fn after_a_reconnect_without_session_every_subscription_is_restored() {
    let mut sh = Shim::connected(settings(0, true));
    let filters: Vec<Vec<u8>> = (0..6u8).map(|i| format!("f/{i}").into_bytes()).collect();
    for (i, f) in filters.iter().enumerate() {
        let op = sh.subscribe(f, (i % 3) as u8).unwrap();
        assert_eq!(usize::from(op.slot), i);
        let w = sh.take_wire();
        if i < 5 {
            sh.broker_sends(&suback(pid_of(&w[0]), (i % 3) as u8));
            assert_eq!(
                sh.d.ticket_result(op.ticket),
                TicketResult::Done((i % 3) as u8)
            );
        }
    }
    // The last one never got its SUBACK.
    sh.transport_down(Error::Io);
    until_connect_written(&mut sh);
    sh.broker_sends(&connack(false));
    let mut restored = Vec::new();
    for _ in 0..10 {
        let w = sh.take_wire();
        if w.is_empty() {
            break;
        }
        // At most MAX_PENDING_OPS wait for their SUBACK at once.
        assert!(w.len() <= umqtt_core::MAX_PENDING_OPS);
        for p in &w {
            assert_eq!(p[0], 0x82);
            restored.push((topic_of(p), *p.last().unwrap()));
        }
        for p in &w {
            sh.broker_sends(&suback(pid_of(p), *p.last().unwrap()));
        }
    }
    let expected: Vec<_> = filters
        .iter()
        .enumerate()
        .map(|(i, f)| (f.clone(), (i % 3) as u8))
        .collect();
    assert_eq!(restored, expected);
    // Restored once: the next loss restores them again, no more.
    sh.transport_down(Error::Io);
    until_connect_written(&mut sh);
    sh.broker_sends(&connack(true));
    assert!(
        sh.take_wire().is_empty(),
        "all acknowledged, session present"
    );
}

#[test]
fn after_a_reconnect_with_session_only_unacknowledged_subscriptions_are_restored() {
    let mut sh = Shim::connected(settings(0, true));
    sh.subscribe(b"acked", 1).unwrap();
    sh.subscribe(b"pending", 2).unwrap();
    let w = sh.take_wire();
    sh.broker_sends(&suback(pid_of(&w[0]), 1));
    sh.transport_down(Error::Io);
    until_connect_written(&mut sh);
    sh.broker_sends(&connack(true));
    let w = sh.take_wire();
    assert_eq!(kinds(&w), [SUBSCRIBE]);
    assert_eq!(topic_of(&w[0]), b"pending");
    assert_eq!(*w[0].last().unwrap(), 2);
}

#[test]
fn unsubscribe_forgets_the_slot_and_it_is_not_restored() {
    let mut sh = Shim::connected(settings(0, true));
    let a = sh.subscribe(b"a", 1).unwrap();
    let b = sh.subscribe(b"b", 1).unwrap();
    let w = sh.take_wire();
    sh.broker_sends(&suback(pid_of(&w[0]), 1));
    sh.broker_sends(&suback(pid_of(&w[1]), 1));
    let u = sh.unsubscribe(b"a", Some(a.slot)).unwrap();
    assert_eq!(u.slot, a.slot);
    let w = sh.take_wire();
    assert_eq!(w[0][0], 0xa2);
    sh.broker_sends(&[0xb0, 2, w[0][2], w[0][3]]);
    assert_eq!(sh.d.ticket_result(u.ticket), TicketResult::Done(0));
    // Its slot is the first free one again.
    sh.transport_down(Error::Io);
    until_connect_written(&mut sh);
    sh.broker_sends(&connack(false));
    let w = sh.take_wire();
    assert_eq!(kinds(&w), [SUBSCRIBE]);
    assert_eq!(topic_of(&w[0]), b"b");
    sh.broker_sends(&suback(pid_of(&w[0]), 1));
    assert_eq!(sh.subscribe(b"c", 0).unwrap().slot, a.slot);
    assert_ne!(a.slot, b.slot);
}

#[test]
fn subscribing_beyond_max_subscriptions_is_refused_with_subscriptions_full() {
    let mut sh = Shim::connected(settings(0, true));
    for i in 0..MAX_SUBSCRIPTIONS {
        let op = sh.subscribe(format!("s/{i}").as_bytes(), 0).unwrap();
        assert_eq!(usize::from(op.slot), i);
        let w = sh.take_wire();
        sh.broker_sends(&suback(pid_of(&w[0]), 0));
        assert_eq!(sh.d.ticket_result(op.ticket), TicketResult::Done(0));
    }
    assert_eq!(sh.subscribe(b"one/more", 0), Err(Error::SubscriptionsFull));
    assert!(sh.wire.is_empty());
    sh.unsubscribe(b"s/3", Some(3)).unwrap();
    assert_eq!(sh.subscribe(b"one/more", 0).unwrap().slot, 3);
}

#[test]
fn abandoning_a_subscribe_frees_its_slot() {
    let mut sh = Shim::connected(settings(0, true));
    let op = sh.subscribe(b"slow", 1).unwrap();
    sh.d.abandon_subscribe(op.ticket, op.slot);
    assert_eq!(sh.d.ticket_result(op.ticket), TicketResult::Unknown);
    assert_eq!(sh.subscribe(b"next", 1).unwrap().slot, op.slot);
}

// ---- clean session ------------------------------------------------------------------

#[test]
fn connect_with_clean_session_forgets_in_flight_messages_and_subscriptions() {
    let mut sh = Shim::connected(settings(0, false));
    let p1 = sh.publish(b"t", b"1", 1).unwrap();
    let p2 = sh.publish(b"t", b"2", 2).unwrap();
    let s = sh.subscribe(b"s", 1).unwrap();
    let w = sh.take_wire();
    sh.broker_sends(&suback(pid_of(&w[2]), 1));
    sh.close();
    sh.connect(true);
    for t in [p1.ticket, p2.ticket] {
        assert_eq!(sh.d.ticket_result(t), TicketResult::Unknown);
    }
    sh.broker_sends(&connack(false));
    assert_eq!(
        kinds(&sh.take_wire()),
        [CONNECT],
        "nothing re-sent or restored"
    );
    assert_eq!(sh.d.client().inflight_count(), 0);
    assert_eq!(sh.subscribe(b"new", 0).unwrap().slot, s.slot);
    assert_eq!(sh.publish(b"t", b"3", 1).unwrap().slot, 0);

    // connect(clean_session=False) keeps both.
    let mut sh = Shim::connected(settings(0, false));
    let p = sh.publish(b"t", b"1", 1).unwrap();
    sh.subscribe(b"s", 1).unwrap();
    sh.take_wire();
    sh.close();
    sh.connect(false);
    assert!(!connect_clean(&sh.wire[0]));
    sh.broker_sends(&connack(false));
    let w = sh.take_wire();
    assert_eq!(kinds(&w), [CONNECT, PUBLISH, SUBSCRIBE]);
    assert_eq!(sh.d.ticket_result(p.ticket), TicketResult::Pending);
}

#[test]
fn an_automatic_reconnect_keeps_the_session_even_when_the_first_connect_was_clean() {
    let mut sh = Shim::connected(settings(0, true));
    let p1 = sh.publish(b"t", b"1", 1).unwrap();
    let p2 = sh.publish(b"t", b"2", 2).unwrap();
    sh.subscribe(b"s/#", 1).unwrap();
    let w = sh.take_wire();
    sh.broker_sends(&suback(pid_of(&w[2]), 1));
    sh.transport_down(Error::Io);
    until_connect_written(&mut sh);
    sh.broker_sends(&connack(false));
    let w = sh.take_wire();
    assert_eq!(kinds(&w), [PUBLISH, PUBLISH, SUBSCRIBE]);
    assert!(dup_of(&w[0]) && dup_of(&w[1]));
    assert_eq!(topic_of(&w[2]), b"s/#");
    assert_eq!(sh.d.ticket_result(p1.ticket), TicketResult::Pending);
    sh.broker_sends(&ack(0x40, pid_of(&w[0])));
    assert_eq!(sh.d.ticket_result(p1.ticket), TicketResult::Done(0));
    assert_eq!(sh.d.ticket_result(p2.ticket), TicketResult::Pending);
}

// ---- status -------------------------------------------------------------------------

#[test]
fn status_is_connecting_while_opening_or_backing_off_then_connected_closed_or_server_closed() {
    let mut sh = Shim::new(settings(0, false));
    assert_eq!(sh.d.status(), Status::Closed);
    sh.open = Open::Hang;
    sh.connect(true);
    assert_eq!(sh.d.status(), Status::Connecting, "opening");
    sh.up = sh.d.handle_transport_up(sh.now);
    assert!(sh.up);
    sh.pump();
    assert_eq!(sh.d.status(), Status::Connecting, "awaiting CONNACK");
    sh.broker_sends(&connack(false));
    assert_eq!(sh.d.status(), Status::Connected);
    sh.transport_down(Error::PeerClosed);
    assert_eq!(sh.d.status(), Status::ServerClosed);
    assert_eq!(sh.d.cause(), Some(Error::PeerClosed));
    sh.open = Open::Up;
    sh.connect(false);
    sh.broker_sends(&connack(true));
    assert_eq!(sh.d.status(), Status::Connected);
    sh.transport_down(Error::Io);
    assert_eq!(sh.d.status(), Status::Closed);

    // With reconnect on, the broker closing starts a reconnect.
    let mut sh = Shim::connected(settings(0, true));
    sh.open = Open::Fail;
    sh.transport_down(Error::PeerClosed);
    assert_eq!(sh.d.status(), Status::Connecting, "backing off");
    sh.advance(10_000);
    assert_eq!(sh.d.status(), Status::Connecting);
    sh.close();
    assert_eq!(sh.d.status(), Status::Closed);
}

#[test]
fn a_broker_closing_before_its_connack_leaves_the_status_closed_not_server_closed() {
    // get_mqttsta() 2 means an accepted connection the broker ended; a
    // failed attempt is -1, as QuecPython reports it.
    let mut sh = Shim::new(settings(0, false));
    sh.open = Open::Hang;
    sh.connect(true);
    sh.up = sh.d.handle_transport_up(sh.now);
    sh.pump();
    sh.transport_down(Error::PeerClosed);
    assert_eq!(sh.d.status(), Status::Closed);
    assert_eq!(
        sh.d.connect_result(),
        ConnectResult::Failed(Error::PeerClosed)
    );
    // A server-closed connection that the application closes reads Closed.
    let mut sh = Shim::connected(settings(0, false));
    sh.transport_down(Error::PeerClosed);
    assert_eq!(sh.d.status(), Status::ServerClosed);
    sh.close();
    assert_eq!(sh.d.status(), Status::Closed);
}

// ---- the clock wraps ----------------------------------------------------------------

#[test]
fn deadlines_across_the_u32_wrap_work() {
    // CONNACK deadline.
    let start = u32::MAX - 1_500;
    let mut sh = Shim::at(
        Settings {
            timeout_ms: 3_000,
            ..settings(2, true)
        },
        start,
    );
    sh.connect(true);
    assert_eq!(sh.d.poll_timeout(sh.now), 3_000);
    sh.advance(2_999);
    assert!(sh.errors.is_empty());
    sh.advance(1);
    assert_eq!(sh.errors, [(start.wrapping_add(3_000), Error::Timeout)]);

    // Keep-alive: PINGREQ and PINGRESP deadlines.
    let start = u32::MAX - 500;
    let mut sh = Shim::connected_at(settings(2, true), start);
    assert_eq!(sh.d.poll_timeout(sh.now), 1_000);
    sh.advance(1_000);
    assert_eq!(sh.take_wire(), [PINGREQ.to_vec()]);
    assert_eq!(sh.now, 499);
    sh.advance(999);
    assert!(sh.errors.is_empty());
    sh.open = Open::Fail;
    sh.advance(1);
    assert_eq!(
        sh.errors,
        [(start.wrapping_add(2_000), Error::KeepaliveTimeout)]
    );

    // Back-off.
    let lost = u32::MAX - 100;
    let mut sh = Shim::connected_at(settings(0, true), lost);
    sh.open = Open::Fail;
    sh.transport_down(Error::Io);
    let t = sh.d.poll_timeout(sh.now);
    assert!((500..=1_000).contains(&t), "{t}");
    sh.advance(3_000);
    assert_eq!(sh.opens.len(), 3, "{:?}", sh.opens);
    let first = sh.opens[1].wrapping_sub(lost);
    assert!((500..=1_000).contains(&first));
    let second = sh.opens[2].wrapping_sub(sh.opens[1]);
    assert!((1_000..=2_000).contains(&second));
}

// ---- random conversations -------------------------------------------------------------

mod random {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;
    use umqtt_core::Resend;

    #[derive(Clone, Debug)]
    enum Step {
        Publish {
            qos: u8,
            fails: bool,
        },
        /// The broker acknowledges the `idx`-th message it holds, maybe twice.
        Ack {
            first: u8,
            idx: usize,
            twice: bool,
        },
        /// An acknowledgement for any id.
        StrayAck {
            first: u8,
            pid: u16,
        },
        Incoming {
            qos: u8,
            pid: u16,
            dup: bool,
        },
        Pubrel {
            pid: u16,
        },
        Lose,
        Reconnect {
            session_present: bool,
        },
        Jump(u32),
        ReadTicket(usize),
    }

    fn first() -> impl Strategy<Value = u8> {
        prop_oneof![Just(0x40u8), Just(0x50), Just(0x70)]
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (0u8..=2, proptest::bool::weighted(0.1))
                .prop_map(|(qos, fails)| Step::Publish { qos, fails }),
            3 => (first(), any::<usize>(), any::<bool>())
                .prop_map(|(first, idx, twice)| Step::Ack { first, idx, twice }),
            1 => (first(), 1u16..40).prop_map(|(first, pid)| Step::StrayAck { first, pid }),
            2 => (0u8..=2, 1u16..6, any::<bool>())
                .prop_map(|(qos, pid, dup)| Step::Incoming { qos, pid, dup }),
            1 => (1u16..6).prop_map(|pid| Step::Pubrel { pid }),
            1 => Just(Step::Lose),
            2 => any::<bool>().prop_map(|session_present| Step::Reconnect { session_present }),
            1 => prop_oneof![0u32..3_000, 0u32..120_000].prop_map(Step::Jump),
            1 => any::<usize>().prop_map(Step::ReadTicket),
        ]
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Stage {
        Puback,
        Pubrec,
        Pubcomp,
    }

    #[derive(Clone, Copy, Debug)]
    struct Out {
        ticket: u32,
        pid: u16,
        stage: Stage,
        /// Its PUBLISH reached the wire (a re-send carries DUP).
        sent: bool,
    }

    /// What the broker knows; `out` in publish order.
    #[derive(Default)]
    struct Model {
        out: Vec<Out>,
        delivered2: HashSet<u16>,
        tickets: Vec<u32>,
    }

    impl Model {
        fn on_ack(&mut self, first: u8, pid: u16) {
            let Some(i) = self.out.iter().position(|o| o.pid == pid) else {
                return;
            };
            match (first, self.out[i].stage) {
                (0x40, Stage::Puback) | (0x70, Stage::Pubcomp) => {
                    self.out.remove(i);
                }
                (0x50, Stage::Pubrec | Stage::Pubcomp) => self.out[i].stage = Stage::Pubcomp,
                _ => {}
            }
        }
    }

    fn check(sh: &Shim, m: &Model, max_inflight: usize) {
        let s = sh.d.client().session();
        assert!(sh.d.client().inflight_count() <= max_inflight);
        let items: Vec<_> = s.resend_list().collect();
        let mut slots: Vec<u8> = items.iter().map(|i| i.slot).collect();
        let mut pids: Vec<u16> = items.iter().map(|i| i.packet_id).collect();
        slots.sort_unstable();
        slots.dedup();
        pids.sort_unstable();
        pids.dedup();
        assert_eq!(slots.len(), items.len(), "slots unique: {items:?}");
        assert_eq!(pids.len(), items.len(), "packet ids unique: {items:?}");
        assert!(slots.iter().all(|&s| usize::from(s) < MAX_INFLIGHT));
        // The core's in-flight list is the broker's, in publish order.
        let core: Vec<(u16, bool)> = items
            .iter()
            .map(|i| (i.packet_id, i.kind == Resend::Pubrel))
            .collect();
        let model: Vec<(u16, bool)> = m
            .out
            .iter()
            .map(|o| (o.pid, o.stage == Stage::Pubcomp))
            .collect();
        assert_eq!(core, model);
        assert!(sh.accept_errors.is_empty());
        assert!(sh
            .errors
            .iter()
            .all(|&(_, e)| matches!(e, Error::Timeout | Error::KeepaliveTimeout)));
    }

    fn run(start: u32, keepalive_s: u16, max_inflight: u8, steps: &[Step]) {
        let mut sh = Shim::connected_at(
            Settings {
                max_inflight,
                timeout_ms: 5_000,
                ..settings(keepalive_s, true)
            },
            start,
        );
        let max = usize::from(max_inflight);
        let mut m = Model::default();
        for step in steps {
            let connected = sh.d.status() == Status::Connected;
            match *step {
                Step::Publish { qos, fails } => {
                    let ready = sh.d.is_ready();
                    let r = if fails {
                        sh.publish_failing(b"p", b"x", qos)
                    } else {
                        sh.publish(b"p", b"x", qos)
                    };
                    if !ready {
                        assert_eq!(r, Err(Error::WouldBlock));
                    } else if qos > 0 && m.out.len() >= max {
                        assert_eq!(r, Err(Error::InflightFull));
                    } else {
                        let op = r.unwrap();
                        if qos > 0 {
                            m.tickets.push(op.ticket);
                            m.out.push(Out {
                                ticket: op.ticket,
                                pid: op.ticket as u16,
                                stage: if qos == 1 {
                                    Stage::Puback
                                } else {
                                    Stage::Pubrec
                                },
                                sent: !fails,
                            });
                        }
                    }
                }
                Step::Ack { first, idx, twice } if connected && !m.out.is_empty() => {
                    let pid = m.out[idx % m.out.len()].pid;
                    for _ in 0..=usize::from(twice) {
                        assert!(sh.broker_sends(&ack(first, pid)));
                        m.on_ack(first, pid);
                    }
                }
                Step::StrayAck { first, pid } if connected => {
                    assert!(sh.broker_sends(&ack(first, pid)));
                    m.on_ack(first, pid);
                }
                Step::Incoming { qos, pid, dup } if connected => {
                    let before = sh.delivered.len();
                    sh.take_wire();
                    let dup = dup && qos > 0;
                    assert!(sh.broker_sends(&incoming("in", b"m", qos, pid, dup)));
                    let fresh = qos < 2 || !m.delivered2.contains(&pid);
                    assert_eq!(sh.delivered.len(), before + usize::from(fresh), "{step:?}");
                    if qos == 2 {
                        m.delivered2.insert(pid);
                    }
                    let reply = match qos {
                        0 => vec![],
                        1 => vec![ack(0x40, pid).to_vec()],
                        _ => vec![ack(0x50, pid).to_vec()],
                    };
                    assert_eq!(sh.take_wire(), reply);
                }
                Step::Pubrel { pid } if connected => {
                    sh.take_wire();
                    assert!(sh.broker_sends(&ack(0x62, pid)));
                    assert_eq!(sh.take_wire(), [ack(0x70, pid).to_vec()]);
                    m.delivered2.remove(&pid);
                }
                Step::Lose if sh.up => sh.transport_down(Error::Io),
                Step::Reconnect { session_present } if !connected => {
                    until_connect_written(&mut sh);
                    sh.broker_sends(&connack(session_present));
                    let w = sh.take_wire();
                    let expected: Vec<(u8, u16, bool)> = m
                        .out
                        .iter()
                        .map(|o| match o.stage {
                            Stage::Pubcomp => (PUBREL, o.pid, false),
                            _ => (PUBLISH, o.pid, o.sent),
                        })
                        .collect();
                    let got: Vec<(u8, u16, bool)> = w
                        .iter()
                        .map(|p| (p[0] >> 4, pid_of(p), p[0] >> 4 == PUBLISH && dup_of(p)))
                        .collect();
                    assert_eq!(got, expected, "re-sends in publish order");
                    for o in &mut m.out {
                        o.sent = true;
                    }
                    if !session_present {
                        m.delivered2.clear();
                    }
                    assert!(sh.d.is_ready());
                }
                Step::Jump(ms) => sh.advance(ms),
                Step::ReadTicket(i) if !m.tickets.is_empty() => {
                    let t = m.tickets[i % m.tickets.len()];
                    let held = m.out.iter().any(|o| o.ticket == t);
                    match sh.d.ticket_result(t) {
                        TicketResult::Pending => assert!(held),
                        TicketResult::Done(0) | TicketResult::Unknown => assert!(!held),
                        other => panic!("{other:?} for {t:#x}"),
                    }
                }
                _ => {}
            }
            check(&sh, &m, max);
        }
    }

    proptest! {
        // Miri (make miri) interprets every case: a few are enough there.
        #![proptest_config(ProptestConfig { cases: if cfg!(miri) { 4 } else { 200 }, ..ProptestConfig::default() })]

        #[test]
        fn random_conversations_keep_the_session_invariants(
            start in prop_oneof![Just(START), any::<u32>(), Just(u32::MAX - 10_000)],
            keepalive_s in prop_oneof![Just(0u16), Just(2), Just(30)],
            max_inflight in 1u8..=MAX_INFLIGHT as u8,
            steps in proptest::collection::vec(step(), 1..80),
        ) {
            run(start, keepalive_s, max_inflight, &steps);
        }
    }
}
