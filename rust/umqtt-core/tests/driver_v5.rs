//! MQTT 5 through the Driver on the fake clock, driven as the C shim drives
//! it (`tests/common/driver_pair.rs`), the test playing the broker with exact
//! bytes: the CONNECT's session expiry, reason codes that finish a message,
//! the broker's Receive Maximum, Maximum Packet Size and Server Keep Alive,
//! topic aliases both ways, subscription options kept for a restore, the
//! broker's DISCONNECT, and ours with a reason code when we drop a broker.
#![cfg(feature = "mqtt5")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "common/driver_pair.rs"]
mod driver_pair;

use driver_pair::{kinds, pid_of, settings, Shim, START};
use umqtt_core::driver::{ConnectResult, Event, Settings, Status};
use umqtt_core::{Error, SubOptions, TicketResult};

fn v5(keepalive_s: u16, reconnect: bool) -> Settings {
    Settings {
        protocol_level: 5,
        ..settings(keepalive_s, reconnect)
    }
}

fn connack5(session_present: bool, reason: u8, props: &[u8]) -> Vec<u8> {
    let mut v = vec![
        0x20,
        (3 + props.len()) as u8,
        u8::from(session_present),
        reason,
        props.len() as u8,
    ];
    v.extend(props);
    v
}

fn publish5(topic: &[u8], qos: u8, pid: u16, props: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut body = (topic.len() as u16).to_be_bytes().to_vec();
    body.extend(topic);
    if qos > 0 {
        body.extend(pid.to_be_bytes());
    }
    body.push(props.len() as u8);
    body.extend(props);
    body.extend(payload);
    let mut v = vec![0x30 | qos << 1, body.len() as u8];
    v.extend(body);
    v
}

/// A v5 PUBLISH the client wrote: (topic, properties, payload).
fn parse5(p: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    assert_eq!(p[0] >> 4, 3, "{p:?}");
    let qos = (p[0] >> 1) & 3;
    let mut at = 2; // one length byte in these tests
    let tl = usize::from(u16::from_be_bytes([p[at], p[at + 1]]));
    let topic = p[at + 2..at + 2 + tl].to_vec();
    at += 2 + tl + if qos > 0 { 2 } else { 0 };
    let pl = usize::from(p[at]);
    let props = p[at + 1..at + 1 + pl].to_vec();
    (topic, props, p[at + 1 + pl..].to_vec())
}

/// After a loss: time passes until the next attempt has written CONNECT.
fn until_connect_written(sh: &mut Shim) {
    for _ in 0..1000 {
        if sh.d.client().state() == umqtt_core::ConnState::Connecting {
            return;
        }
        let t = sh.d.poll_timeout(sh.now);
        sh.advance(t.max(1));
    }
    panic!("no reconnect attempt");
}

fn connected5(s: Settings, connect_props: &[u8], connack_props: &[u8]) -> Shim {
    let mut sh = Shim::at(s, START);
    sh.connect_props = connect_props.to_vec();
    sh.connect(true);
    assert_eq!(kinds(&sh.wire), [1], "CONNECT");
    assert_eq!(&sh.wire[0][2..9], b"\x00\x04MQTT\x05", "protocol level 5");
    sh.broker_sends(&connack5(false, 0, connack_props));
    assert!(
        sh.events.contains(&Event::Connected {
            session_present: false
        }),
        "{:?}",
        sh.events
    );
    sh.wire.clear();
    sh.events.clear();
    sh
}

#[test]
fn clean_session_false_keeps_the_session_with_the_longest_expiry() {
    for (clean, props) in [
        (true, vec![0u8]),
        (false, vec![5, 0x11, 0xff, 0xff, 0xff, 0xff]),
    ] {
        let mut sh = Shim::at(v5(0, false), START);
        sh.connect(clean);
        let c = &sh.wire[0];
        // 10 len, "\0\4MQTT", 5, flags, keep-alive (2), then the properties.
        assert_eq!(c[9] & 0x02 != 0, clean);
        assert_eq!(&c[12..12 + props.len()], &props[..], "clean={clean}");
    }
    // A session expiry the application gives is sent as it is, not doubled.
    let mut sh = Shim::at(v5(0, false), START);
    sh.connect_props = vec![0x11, 0, 0, 0, 60];
    sh.connect(false);
    assert_eq!(&sh.wire[0][12..18], &[5, 0x11, 0, 0, 0, 60]);
}

#[test]
fn a_refused_connack_reports_its_reason_code() {
    let mut sh = Shim::at(v5(0, true), START);
    sh.connect(true);
    sh.broker_sends(&connack5(false, 0x86, &[]));
    assert_eq!(
        sh.d.connect_result(),
        ConnectResult::Failed(Error::Refused(0x86))
    );
    assert_eq!(
        sh.d.status(),
        Status::Closed,
        "no retry of a refused first attempt"
    );
}

#[test]
fn a_puback_with_a_failure_code_finishes_the_message_with_that_code() {
    let mut sh = connected5(v5(0, true), &[], &[]);
    let op = sh.publish(b"a/b", b"x", 1).unwrap();
    let pid = pid_of(&sh.take_wire()[0]);
    let [hi, lo] = pid.to_be_bytes();
    sh.broker_sends(&[0x40, 3, hi, lo, 0x87]);
    assert_eq!(sh.d.ticket_result(op.ticket), TicketResult::Done(0x87));
    assert!(!sh.d.slot_in_use(op.slot), "the slot is free");
    assert_eq!(sh.d.client().inflight_count(), 0);
    // Nothing of it comes back after a reconnect.
    sh.transport_down(Error::Io);
    until_connect_written(&mut sh);
    assert_eq!(kinds(&sh.take_wire()), [1], "CONNECT");
    sh.broker_sends(&connack5(true, 0, &[]));
    assert!(sh.take_wire().is_empty(), "no re-send");
}

#[test]
fn a_pubrec_with_a_failure_code_gets_no_pubrel() {
    let mut sh = connected5(v5(0, false), &[], &[]);
    let op = sh.publish(b"a/b", b"x", 2).unwrap();
    let pid = pid_of(&sh.take_wire()[0]);
    let [hi, lo] = pid.to_be_bytes();
    sh.broker_sends(&[0x50, 3, hi, lo, 0x80]);
    assert!(sh.take_wire().is_empty(), "no PUBREL");
    assert_eq!(sh.d.ticket_result(op.ticket), TicketResult::Done(0x80));
    // A success code still goes on to PUBREL.
    let op = sh.publish(b"a/b", b"y", 2).unwrap();
    let pid = pid_of(&sh.take_wire()[0]);
    let [hi, lo] = pid.to_be_bytes();
    sh.broker_sends(&[0x50, 3, hi, lo, 0x10]);
    assert_eq!(sh.take_wire(), [vec![0x62, 2, hi, lo]]);
    sh.broker_sends(&[0x70, 2, hi, lo]);
    assert_eq!(sh.d.ticket_result(op.ticket), TicketResult::Done(0));
}

#[test]
fn the_brokers_receive_maximum_bounds_the_window() {
    let mut sh = connected5(v5(0, false), &[], &[0x21, 0, 2]);
    let a = sh.publish(b"t", b"1", 1).unwrap();
    sh.publish(b"t", b"2", 2).unwrap();
    assert_eq!(sh.publish(b"t", b"3", 1), Err(Error::InflightFull));
    let pid = pid_of(&sh.take_wire()[0]);
    let [hi, lo] = pid.to_be_bytes();
    sh.broker_sends(&[0x40, 2, hi, lo]);
    assert_eq!(sh.d.ticket_result(a.ticket), TicketResult::Done(0));
    assert!(sh.publish(b"t", b"3", 1).is_ok(), "room again");
}

#[test]
fn a_publish_above_the_brokers_maximum_packet_size_is_refused_before_writing() {
    let mut sh = connected5(v5(0, false), &[], &[0x27, 0, 0, 0, 20]);
    assert_eq!(sh.publish(b"t", &[7; 30], 1), Err(Error::PacketTooLarge));
    assert!(sh.take_wire().is_empty());
    assert_eq!(sh.d.client().inflight_count(), 0, "nothing taken");
    sh.publish(b"t", &[7; 5], 1).unwrap();
    assert_eq!(sh.take_wire()[0].len(), 13, "20 bytes or fewer go");
}

#[test]
fn a_repeated_topic_goes_out_as_an_alias_and_a_resend_names_it_in_full() {
    let mut sh = connected5(v5(0, true), &[], &[0x22, 0, 2]);
    let topic = b"devices/0042/temperature";
    sh.publish(topic, b"1", 0).unwrap();
    sh.publish(topic, b"2", 0).unwrap();
    let op = sh.publish(topic, b"3", 1).unwrap();
    let w = sh.take_wire();
    assert_eq!(
        parse5(&w[0]),
        (topic.to_vec(), vec![0x23, 0, 1], b"1".to_vec()),
        "alias 1 set"
    );
    assert_eq!(
        parse5(&w[1]),
        (vec![], vec![0x23, 0, 1], b"2".to_vec()),
        "alias 1 used"
    );
    assert_eq!(parse5(&w[2]).0, Vec::<u8>::new());
    assert!(
        w[1].len() + topic.len() == w[0].len(),
        "the topic's bytes saved"
    );
    // A new connection starts without aliases: the re-send names its topic
    // in full, and the next publish sets the alias again.
    sh.transport_down(Error::Io);
    until_connect_written(&mut sh);
    sh.take_wire();
    sh.broker_sends(&connack5(true, 0, &[0x22, 0, 2]));
    let w = sh.take_wire();
    assert_eq!(kinds(&w), [3]);
    assert_eq!(
        parse5(&w[0]),
        (topic.to_vec(), vec![], b"3".to_vec()),
        "re-sent whole, no alias"
    );
    assert_ne!(w[0][0] & 0x08, 0, "DUP");
    let [hi, lo] = pid_of(&w[0]).to_be_bytes();
    sh.broker_sends(&[0x40, 2, hi, lo]);
    assert_eq!(sh.d.ticket_result(op.ticket), TicketResult::Done(0));
    sh.publish(topic, b"4", 0).unwrap();
    assert_eq!(parse5(&sh.take_wire()[0]).1, vec![0x23, 0, 1], "set again");
}

#[test]
fn without_the_brokers_leave_no_alias_is_used() {
    let mut sh = connected5(v5(0, false), &[], &[]);
    sh.publish(b"a", b"1", 0).unwrap();
    sh.publish(b"a", b"2", 0).unwrap();
    for p in sh.take_wire() {
        assert_eq!(parse5(&p).0, b"a".to_vec());
        assert!(parse5(&p).1.is_empty());
    }
}

#[test]
fn incoming_aliases_are_resolved_within_what_we_advertised() {
    let mut sh = connected5(v5(0, false), &[0x22, 0, 4], &[]);
    sh.broker_sends(&publish5(b"a/b", 0, 0, &[0x23, 0, 4], b"1"));
    sh.broker_sends(&publish5(b"", 0, 0, &[0x23, 0, 4], b"2"));
    let got: Vec<_> = sh
        .delivered
        .iter()
        .map(|m| (m.topic.clone(), m.alias, m.payload.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (b"a/b".to_vec(), 4, b"1".to_vec()),
            (vec![], 4, b"2".to_vec())
        ]
    );
    // An alias never set is a protocol error: the connection is dropped.
    sh.broker_sends(&publish5(b"", 0, 0, &[0x23, 0, 3], b"3"));
    assert!(
        sh.events.contains(&Event::ConnectionLost {
            cause: Error::ProtocolError
        }),
        "{:?}",
        sh.events
    );
    assert_eq!(sh.delivered.len(), 2);
}

#[test]
fn an_alias_above_our_maximum_or_an_empty_topic_without_one_is_refused() {
    for bad in [
        publish5(b"t", 0, 0, &[0x23, 0, 5], b"x"),
        publish5(b"", 0, 0, &[], b"x"),
    ] {
        let mut sh = connected5(v5(0, false), &[0x22, 0, 4], &[]);
        sh.broker_sends(&bad);
        assert!(sh.delivered.is_empty());
        assert_eq!(sh.d.status(), Status::Closed, "{bad:?}");
    }
}

#[test]
fn a_messages_properties_reach_the_caller_as_they_came() {
    let mut sh = connected5(v5(0, false), &[], &[]);
    let props = [0x03, 0, 1, b'x', 0x0b, 7, 0x26, 0, 1, b'k', 0, 1, b'v'];
    sh.broker_sends(&publish5(b"t", 1, 9, &props, b"p"));
    assert_eq!(sh.delivered[0].props, props);
    assert_eq!(
        sh.take_wire(),
        [vec![0x40, 2, 0, 9]],
        "PUBACK (success: the short form)"
    );
}

#[test]
fn the_brokers_disconnect_ends_the_connection_with_its_reason_and_the_client_reconnects() {
    let mut sh = connected5(v5(0, true), &[], &[]);
    sh.broker_sends(&[0xe0, 1, 0x8e]);
    let cause = Error::ServerDisconnect(0x8e);
    assert_eq!(
        sh.events[..2],
        [Event::ConnectionLost { cause }, Event::ReconnectStart]
    );
    assert_eq!(sh.d.cause(), Some(cause));
    assert_eq!(sh.d.status(), Status::Connecting, "backing off, then again");
}

#[test]
fn the_brokers_server_keep_alive_replaces_ours() {
    let mut sh = connected5(v5(60, false), &[], &[0x13, 0, 2]);
    // 2 s: a PINGREQ after a quiet 1 s (K - min(5 s, K/2)).
    assert_eq!(sh.d.poll_timeout(sh.now), 1_000);
    sh.advance(1_000);
    assert_eq!(sh.take_wire(), [vec![0xc0, 0]]);
}

#[test]
fn subscription_options_and_identifier_are_sent_and_kept_for_a_restore() {
    let mut sh = connected5(v5(0, true), &[], &[]);
    let opts = SubOptions {
        options: 1 | 0x04 | 0x08 | 0x20,
        id: 300,
    };
    let mut out = [0u8; 64];
    let op =
        sh.d.subscribe_with(b"f/#", opts, None, sh.now, &mut out)
            .unwrap();
    sh.sub_objs[usize::from(op.slot)] = Some(b"f/#".to_vec());
    let sent = out[..op.len].to_vec();
    // 82 len, pid, properties (3: Subscription Identifier 300), filter, options.
    assert_eq!(
        &sent[4..],
        &[3, 0x0b, 0xac, 0x02, 0, 3, b'f', b'/', b'#', 0x2d]
    );
    let [hi, lo] = [sent[2], sent[3]];
    sh.broker_sends(&[0x90, 4, hi, lo, 0, 1]);
    assert_eq!(sh.d.ticket_result(op.ticket), TicketResult::Done(1));
    // A reconnect without a session restores it with the same options.
    sh.transport_down(Error::Io);
    until_connect_written(&mut sh);
    sh.take_wire();
    sh.broker_sends(&connack5(false, 0, &[]));
    let w = sh.take_wire();
    assert_eq!(kinds(&w), [8]);
    assert_eq!(&w[0][4..], &sent[4..]);
    // A refusal (any code from 0x80) forgets the subscription.
    let op =
        sh.d.subscribe_with(b"g", SubOptions::qos(0), None, sh.now, &mut out)
            .unwrap();
    let [hi, lo] = [out[2], out[3]];
    sh.broker_sends(&[0x90, 4, hi, lo, 0, 0x87]);
    assert_eq!(sh.d.ticket_result(op.ticket), TicketResult::Done(0x87));
    assert!(umqtt_core::is_failure(0x87) && !umqtt_core::is_failure(1));
}

#[test]
fn options_packed_from_a_scripts_values_go_on_the_wire_as_given() {
    let mut sh = connected5(v5(0, false), &[], &[]);
    // QoS 1, No Local, Retain As Published, Retain Handling 2, identifier 300.
    let opts = SubOptions::new(5, 1, true, true, 2, Some(300)).unwrap();
    assert_eq!(opts, SubOptions { options: 0x2d, id: 300 });
    let mut out = [0u8; 64];
    let op = sh.d.subscribe_with(b"f/#", opts, None, sh.now, &mut out).unwrap();
    assert_eq!(
        &out[4..op.len],
        &[3, 0x0b, 0xac, 0x02, 0, 3, b'f', b'/', b'#', 0x2d]
    );
    // The same values for a 3.1.1 session are refused before anything is sent.
    assert_eq!(
        SubOptions::new(4, 1, true, true, 2, Some(300)),
        Err(umqtt_core::BadSubOption::NeedsV5)
    );
}

#[test]
fn a_command_above_the_brokers_maximum_packet_size_carries_packet_too_large() {
    let mut sh = connected5(v5(0, false), &[], &[0x27, 0, 0, 0, 12]);
    let mut out = [0u8; 64];
    let e = sh.d.publish(b"t", &[0; 20], 1, false, sh.now, &mut out).unwrap_err();
    assert_eq!(e, Error::PacketTooLarge);
    let refusal = |e| umqtt_core::refusal_code(sh.d.settings().protocol_level, e);
    assert_eq!(refusal(e), 0x95, "the reason code the broker would have refused it with");
    for other in [Error::BadArgument, Error::InvalidTopic, Error::InflightFull, Error::NotConnected] {
        assert_eq!(refusal(other), 0, "{other:?}");
    }
}

#[test]
fn properties_are_refused_below_version_5_and_checked_in_it() {
    let mut sh = Shim::connected(settings(0, false));
    let mut out = [0u8; 64];
    let r =
        sh.d.publish_with(b"t", b"x", 0, false, &[0x03, 0, 1, b'x'], sh.now, &mut out);
    assert_eq!(r, Err(Error::BadArgument), "3.1.1");
    let mut sh = connected5(v5(0, false), &[], &[]);
    for bad in [
        &[0x23, 0, 1][..],   // a Topic Alias is the core's to choose
        &[0x0b, 1],          // a Subscription Identifier is the broker's
        &[0x11, 0, 0, 0, 1], // Session Expiry: not a PUBLISH property
        &[0x03, 0, 5, b'x'], // cut
        &[0x01, 2],          // Payload Format Indicator out of range
    ] {
        let r =
            sh.d.publish_with(b"t", b"x", 1, false, bad, sh.now, &mut out);
        assert_eq!(r, Err(Error::BadArgument), "{bad:?}");
    }
    assert_eq!(sh.d.client().inflight_count(), 0);
}

#[test]
fn a_long_publish_is_handled_from_its_head_properties_included() {
    let mut sh = connected5(v5(0, false), &[0x22, 0, 2], &[]);
    let props = [0x23, 0, 2, 0x03, 0, 1, b'x'];
    let packet = publish5(b"big", 1, 5, &props, &[9; 100]);
    let head_len = packet.len() - 100;
    let (rx, body_len) = sh.d.handle_rx_head(&packet[..head_len + 10], sh.now).unwrap();
    let umqtt_core::driver::Rx::Message(m) = rx else {
        panic!("{rx:?}")
    };
    assert_eq!((m.consumed, body_len), (head_len, 100));
    assert_eq!((m.topic, m.payload, m.properties, m.alias), (&b"big"[..], &[][..], &props[..], 2));
    assert_eq!(sh.d.accept_message(sh.now), Ok(head_len));
    sh.drain_transmit();
    assert_eq!(sh.take_wire(), [vec![0x40, 2, 0, 5]], "acknowledged once held");
    // A head cut inside its properties needs more.
    let (rx, _) = sh.d.handle_rx_head(&packet[..head_len - 2], sh.now).unwrap();
    assert!(matches!(rx, umqtt_core::driver::Rx::NeedMore(_)), "{rx:?}");
}

#[test]
fn a_resend_too_large_for_the_new_broker_is_finished_and_the_others_go_on() {
    let mut sh = connected5(v5(0, true), &[], &[]);
    let big = sh.publish(b"t", &[1; 60], 1).unwrap();
    let small = sh.publish(b"t", b"s", 1).unwrap();
    sh.take_wire();
    sh.transport_down(Error::Io);
    until_connect_written(&mut sh);
    sh.take_wire();
    // The broker now takes packets of at most 20 bytes.
    sh.rx(&connack5(true, 0, &[0x27, 0, 0, 0, 20]));
    let mut out = vec![0u8; 256];
    assert_eq!(
        sh.d.poll_transmit(sh.now, &mut out),
        Ok(umqtt_core::driver::Transmit::Publish { slot: big.slot })
    );
    let (t, p) = sh.pub_objs[usize::from(big.slot)].clone().unwrap();
    assert_eq!(
        sh.d.encode_publish(big.slot, &t, &p, sh.now, &mut out),
        Err(Error::PacketTooLarge)
    );
    assert_eq!(sh.d.ticket_result(big.ticket), TicketResult::Done(0x95));
    sh.pump();
    let w = sh.take_wire();
    assert_eq!(kinds(&w), [3], "the small one is re-sent");
    assert_eq!(parse5(&w[0]).2, b"s".to_vec());
    let [hi, lo] = pid_of(&w[0]).to_be_bytes();
    sh.broker_sends(&[0x40, 2, hi, lo]);
    assert_eq!(sh.d.ticket_result(small.ticket), TicketResult::Done(0));
    assert!(sh.d.is_ready(), "new publishes may go");
}

/// Finding 3 of the v5_driver fuzz target (RELIABILITY.md): a QoS 2
/// duplicate that sets a Topic Alias was consumed without its topic
/// reaching the caller, so a later message using the alias reached the
/// application with an empty (or another) topic.
#[test]
fn an_alias_set_by_a_qos2_duplicate_reaches_the_caller() {
    let mut sh = connected5(v5(0, false), &[0x22, 0, 4], &[]);
    sh.broker_sends(&publish5(b"s/t1", 2, 9, &[], b"1"));
    assert_eq!(sh.delivered.len(), 1);
    // The same id again (no PUBREL yet), now naming a topic under alias 4.
    let dup = publish5(b"t/longer", 2, 9, &[0x23, 0, 4], b"1");
    let r = sh.d.handle_rx(&dup, sh.now).unwrap();
    assert_eq!(
        r,
        umqtt_core::driver::Rx::Duplicate {
            consumed: dup.len(),
            topic: b"t/longer",
            alias: 4
        }
    );
}

/// Finding 4 of the v5_driver fuzz target: a SUBSCRIBE above the broker's
/// Maximum Packet Size was written; now refused before anything changes.
#[test]
fn a_subscribe_above_the_brokers_maximum_packet_size_is_refused() {
    let mut sh = connected5(v5(0, false), &[], &[0x27, 0, 0, 0, 12]);
    let mut out = [0u8; 64];
    let opts = SubOptions { options: 0, id: 1 };
    assert_eq!(
        sh.d.subscribe_with(b"s/+", opts, None, sh.now, &mut out),
        Err(Error::PacketTooLarge),
        "13 bytes"
    );
    assert!(sh.d.subscribe_with(b"s/+", SubOptions::qos(0), None, sh.now, &mut out).is_ok(), "11 bytes");
}

/// Found by the v5_driver fuzz target: a CONNACK whose Maximum Packet Size
/// (1..=3) leaves no room for a 4-byte acknowledgement made the client send
/// above it; such a CONNACK is now refused as a protocol error.
#[test]
fn a_maximum_packet_size_too_small_for_an_acknowledgement_is_refused() {
    for max in [1u8, 3] {
        let mut sh = Shim::at(v5(0, false), START);
        sh.connect(true);
        sh.broker_sends(&connack5(false, 0, &[0x27, 0, 0, 0, max]));
        assert_eq!(sh.d.connect_result(), ConnectResult::Failed(Error::ProtocolError), "max {max}");
    }
    connected5(v5(0, false), &[], &[0x27, 0, 0, 0, 4]);
}

// ---- our Maximum Packet Size (Settings::max_packet) ------------------------------

fn v5_bounded(max_packet: u32, chunked: bool) -> Settings {
    Settings {
        max_packet,
        chunked,
        ..v5(0, true)
    }
}

/// The connect properties of the last CONNECT written (one length byte):
/// (id, value) in order, for the ids these tests use.
fn last_connect_props(sh: &Shim) -> Vec<(u8, u32)> {
    let c = sh.wire.iter().rev().find(|p| p[0] >> 4 == 1).expect("a CONNECT");
    // 10 len, "\0\4MQTT", 5, flags, keep-alive (2), then the properties.
    let n = usize::from(c[12]);
    assert!(n < 128, "{c:?}");
    let mut p = &c[13..13 + n];
    let mut out = Vec::new();
    while let [id, rest @ ..] = p {
        let len = match id {
            0x11 | 0x27 => 4,
            0x21 => 2,
            _ => panic!("{c:?}"),
        };
        let v = rest[..len].iter().fold(0u32, |v, b| v << 8 | u32::from(*b));
        out.push((*id, v));
        p = &rest[len..];
    }
    out
}

/// A v5 PUBLISH of any length (`publish5` writes one length byte).
fn long_publish5(qos: u8, props: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut body = vec![0, 1, b't'];
    if qos > 0 {
        body.extend([0, 1]);
    }
    body.push(props.len() as u8);
    body.extend(props);
    body.extend(payload);
    let mut v = vec![0x30 | qos << 1];
    let mut n = body.len();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        v.push(if n > 0 { b | 0x80 } else { b });
        if n == 0 {
            break;
        }
    }
    v.extend(body);
    v
}

const EXPIRY_KEPT: (u8, u32) = (0x11, u32::MAX);

#[test]
fn every_v5_connect_advertises_max_packet_as_the_maximum_packet_size() {
    let mut sh = Shim::at(v5_bounded(4096, false), START);
    sh.connect(true);
    assert_eq!(last_connect_props(&sh), [(0x27, 4096)]);
    sh.broker_sends(&connack5(false, 0, &[]));
    // After a loss, the reconnect's CONNECT carries it too.
    sh.broker_sends(&[0x30, 0x88, 0x27]); // a PUBLISH of 5003 bytes
    assert_eq!(sh.d.cause(), Some(Error::PacketTooLarge));
    sh.wire.clear();
    until_connect_written(&mut sh);
    let props = last_connect_props(&sh);
    assert!(props == [(0x27, 4096)] || props == [EXPIRY_KEPT, (0x27, 4096)], "{props:?}");
    // The largest packet there is caps it; 0 (no bound) advertises nothing.
    for (max, props) in [(u32::MAX, vec![(0x27, 268_435_460)]), (0, vec![])] {
        let mut sh = Shim::at(v5_bounded(max, false), START);
        sh.connect(true);
        assert_eq!(last_connect_props(&sh), props, "max_packet {max}");
    }
}

#[test]
fn a_chunked_client_advertises_no_maximum_packet_size() {
    let mut sh = Shim::at(v5_bounded(4096, true), START);
    sh.connect(false);
    assert_eq!(last_connect_props(&sh), [EXPIRY_KEPT]);
}

#[test]
fn the_scripts_own_maximum_packet_size_goes_alone() {
    let mut sh = Shim::at(v5_bounded(4096, false), START);
    sh.connect_props = vec![0x21, 0, 10, 0x27, 0, 0, 1, 0];
    sh.connect(true);
    assert_eq!(last_connect_props(&sh), [(0x21, 10), (0x27, 256)]);
    // Other properties follow ours, after the kept session's expiry.
    sh.connect_props = vec![0x21, 0, 10];
    sh.connect(false);
    assert_eq!(last_connect_props(&sh), [EXPIRY_KEPT, (0x27, 4096), (0x21, 10)]);
}

#[test]
fn a_reconnect_advertises_what_the_settings_say_at_its_time() {
    let mut sh = connected5(v5_bounded(4096, false), &[], &[]);
    sh.d.configure(v5_bounded(4096, true)).unwrap();
    sh.transport_down(Error::Io);
    until_connect_written(&mut sh);
    let props = last_connect_props(&sh);
    assert!(props.iter().all(|p| p.0 != 0x27), "chunked: none, {props:?}");
    sh.broker_sends(&connack5(true, 0, &[]));
    sh.d.configure(v5_bounded(2048, false)).unwrap();
    sh.transport_down(Error::Io);
    until_connect_written(&mut sh);
    let props = last_connect_props(&sh);
    assert!(props.contains(&(0x27, 2048)), "{props:?}");
}

#[test]
fn the_receive_bound_holds_with_mqtt5_on_both_paths() {
    let long = long_publish5(1, &[0x01, 1], &[0; 300]);
    let total = long.len() as u32;
    for head in [false, true] {
        // One byte over: refused from the fixed header.
        let mut sh = connected5(v5_bounded(total - 1, false), &[], &[]);
        assert_eq!(sh.d.receive(&long[..4], sh.now, head).map(|_| ()), Err(Error::PacketTooLarge));
        assert_eq!(sh.d.cause(), Some(Error::PacketTooLarge));
        // At the bound: taken.
        let mut sh = connected5(v5_bounded(total, false), &[], &[]);
        let (rx, _) = sh.d.receive(&long, sh.now, head).unwrap();
        assert!(matches!(rx, umqtt_core::driver::Rx::Message(m) if m.payload.len() == 300), "{rx:?}");
        // Chunked: a longer one is taken from its head, properties included.
        let mut sh = connected5(v5_bounded(64, true), &[], &[]);
        let (rx, body_len) = sh.d.handle_rx_head(&long[..20], sh.now).unwrap();
        assert!(matches!(rx, umqtt_core::driver::Rx::Message(m) if m.properties == [0x01, 1]), "{rx:?}");
        assert_eq!(body_len, 300);
        // Not a DISCONNECT, though: only a PUBLISH goes in pieces.
        let mut sh = connected5(v5_bounded(64, true), &[], &[]);
        let mut disconnect = vec![0xe0, 100, 0x95, 98];
        disconnect.resize(102, 0);
        assert_eq!(sh.d.receive(&disconnect, sh.now, head).map(|_| ()), Err(Error::PacketTooLarge));
    }
}

// ---- what the client says when it drops a connection (4.13.1) -------------------

/// Packets a broker must not send, the reason code the client gives for
/// each, and the error it ends the connection with (the client advertises a
/// Maximum Packet Size of 64 and a Topic Alias Maximum of 4).
fn refused_packets() -> Vec<(&'static str, Vec<u8>, u8, Error)> {
    vec![
        ("QoS 3 (malformed)", vec![0x36, 3, 0, 1, b't'], 0x81, Error::ProtocolError),
        ("a remaining length of five bytes", vec![0x30, 0x80, 0x80, 0x80, 0x80, 0x01], 0x81, Error::ProtocolError),
        ("a PUBACK too short", vec![0x40, 1, 0], 0x81, Error::ProtocolError),
        ("a property not allowed in PUBLISH", publish5(b"t", 0, 0, &[0x21, 0, 1], b"x"), 0x81, Error::ProtocolError),
        ("a second CONNACK (unexpected)", connack5(false, 0, &[]), 0x81, Error::ProtocolError),
        ("AUTH, not asked for", vec![0xf0, 0], 0x81, Error::ProtocolError),
        ("an alias never set", publish5(b"", 0, 0, &[0x23, 0, 3], b"x"), 0x81, Error::ProtocolError),
        ("above our Maximum Packet Size", vec![0x30, 0x80, 0x01], 0x95, Error::PacketTooLarge),
    ]
}

fn v5_strict(reconnect: bool) -> Settings {
    Settings {
        max_packet: 64,
        ..v5(0, reconnect)
    }
}

#[test]
fn a_refused_packet_is_answered_with_a_disconnect_and_its_reason_code() {
    for (what, bad, code, cause) in refused_packets() {
        let mut sh = connected5(v5_strict(true), &[0x22, 0, 4], &[]);
        sh.broker_sends(&bad);
        // Written once, before the transport closed (the shim asserts it is
        // open for every write), and nothing else.
        assert_eq!(sh.take_wire(), [vec![0xe0, 1, code]], "{what}");
        assert_eq!(sh.errors, [(sh.now, cause)], "{what}");
        // Then the loss goes on as before: events, status, reconnect.
        assert_eq!(
            sh.take_events()[..2],
            [Event::ConnectionLost { cause }, Event::ReconnectStart],
            "{what}"
        );
        assert_eq!(sh.d.cause(), Some(cause), "{what}");
        assert_eq!(sh.d.status(), Status::Connecting, "{what}");
        let mut out = [0u8; 8];
        assert_eq!(sh.d.poll_transmit(sh.now, &mut out), Ok(umqtt_core::Transmit::Nothing), "{what}: once");
        until_connect_written(&mut sh);
        assert_eq!(kinds(&sh.take_wire()), [1], "{what}: the next connection starts with CONNECT");
        sh.broker_sends(&connack5(true, 0, &[]));
        assert!(sh.take_events().contains(&Event::ReconnectSuccess), "{what}");
    }
}

#[test]
fn without_reconnect_the_disconnect_goes_too_and_the_client_stays_closed() {
    for (what, bad, code, _) in refused_packets() {
        let mut sh = connected5(v5_strict(false), &[0x22, 0, 4], &[]);
        sh.broker_sends(&bad);
        assert_eq!(sh.take_wire(), [vec![0xe0, 1, code]], "{what}");
        assert_eq!(sh.d.status(), Status::Closed, "{what}");
    }
}

#[test]
fn a_disconnect_never_written_is_not_carried_to_the_next_connection() {
    let mut sh = connected5(v5_strict(true), &[], &[]);
    // A caller that closed the transport without draining poll_transmit
    // (as the C shim's drain does not while no transport is open).
    assert!(sh.d.handle_rx(&[0x36, 3, 0, 1, b't'], sh.now).is_err());
    sh.now += sh.d.poll_timeout(sh.now);
    assert_eq!(sh.d.handle_timeout(sh.now), Ok(()), "the back-off ends");
    assert!(std::iter::from_fn(|| sh.d.poll_event()).any(|e| e == Event::OpenTransport));
    assert!(sh.d.handle_transport_up(sh.now));
    let mut out = [0u8; 64];
    assert_eq!(
        sh.d.poll_transmit(sh.now, &mut out),
        Ok(umqtt_core::Transmit::Connect),
        "CONNECT first, no DISCONNECT"
    );
}

#[test]
fn a_malformed_connack_is_answered_too() {
    let mut sh = Shim::at(v5(0, false), START);
    sh.connect(true);
    sh.wire.clear();
    sh.broker_sends(&[0x20, 2, 0, 0]); // no property length
    assert_eq!(sh.take_wire(), [vec![0xe0, 1, 0x81]]);
    assert_eq!(sh.d.connect_result(), ConnectResult::Failed(Error::ProtocolError));
}

#[test]
fn causes_that_are_not_the_brokers_packet_send_nothing() {
    // The transport, the end of stream, a buffer that could not grow, a
    // QoS 2 id with no room: reported by the caller, never answered.
    for cause in [Error::Io, Error::PeerClosed, Error::PacketTooLarge, Error::InboundFull] {
        let mut sh = connected5(v5_strict(true), &[], &[]);
        sh.d.handle_transport_down(sh.now, cause);
        let mut out = [0u8; 8];
        assert_eq!(sh.d.poll_transmit(sh.now, &mut out), Ok(umqtt_core::Transmit::Nothing), "{cause:?}");
        assert_eq!(sh.d.cause(), Some(cause));
    }
    // The broker's own DISCONNECT: it has closed; nothing goes back.
    let mut sh = connected5(v5(0, true), &[], &[]);
    sh.broker_sends(&[0xe0, 1, 0x8e]);
    assert!(sh.take_wire().is_empty());
    // A refused CONNACK: nothing either.
    let mut sh = Shim::at(v5(0, false), START);
    sh.connect(true);
    sh.wire.clear();
    sh.broker_sends(&connack5(false, 0x87, &[]));
    assert!(sh.take_wire().is_empty());
    // The keep-alive: PINGREQs only, then the loss.
    let mut sh = connected5(v5(2, false), &[], &[]);
    sh.advance(30_000);
    assert_eq!(sh.d.cause(), Some(Error::KeepaliveTimeout));
    assert!(kinds(&sh.take_wire()).iter().all(|&k| k == 12), "PINGREQs only");
}

#[test]
fn mqtt_3_1_1_has_no_disconnect_with_a_reason_and_sends_nothing() {
    for bad in [vec![0x36, 3, 0, 1, b't'], vec![0x20, 2, 0, 0], vec![0x30, 0x80, 0x01]] {
        let mut sh = Shim::connected(Settings {
            max_packet: 64,
            ..settings(0, true)
        });
        sh.wire.clear();
        sh.broker_sends(&bad);
        assert!(!sh.errors.is_empty(), "{bad:?}");
        assert!(sh.take_wire().is_empty(), "{bad:?}");
    }
}
