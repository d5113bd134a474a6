//! Conversations of the core with a scripted broker on a fake clock.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{ack, publish_pid, Got, Pair};
use umqtt_core::pid::PacketId;
use umqtt_core::{
    ConnState, ConnectOptions, Error, EventKind, Resend, ResendItem, TicketResult, Will,
    MAX_INFLIGHT,
};

// ---- connect / connack ------------------------------------------------------

#[test]
fn an_accepted_connack_connects_and_reports_session_present() {
    let mut p = Pair::new();
    let bytes = p.connect_with(&Pair::opts(60));
    assert_eq!(bytes[0], 0x10);
    assert_eq!(p.client.state(), ConnState::Connecting);
    let e = p.rx_event(&[0x20, 2, 1, 0]);
    assert_eq!(
        (e.kind, e.session_present, e.code),
        (EventKind::Connack, true, 0)
    );
    assert_eq!(p.client.state(), ConnState::Connected);
}

#[test]
fn a_refused_connack_reports_its_code_and_disconnects() {
    for code in 1..=5u8 {
        let mut p = Pair::new();
        p.connect_with(&Pair::opts(60));
        assert_eq!(p.rx(&[0x20, 2, 0, code]), Ok(Got::Refused(4, code)));
        assert_eq!(p.client.state(), ConnState::Disconnected);
    }
}

#[test]
fn a_connack_code_above_5_is_a_protocol_error() {
    let mut p = Pair::new();
    p.connect_with(&Pair::opts(60));
    assert_eq!(p.rx(&[0x20, 2, 0, 6]), Err(Error::ProtocolError));
    assert_eq!(p.client.state(), ConnState::Disconnected);
}

#[test]
fn a_second_connack_is_a_protocol_error() {
    let mut p = Pair::connected(60);
    assert_eq!(p.rx(&[0x20, 2, 0, 0]), Err(Error::ProtocolError));
    assert_eq!(p.client.state(), ConnState::Disconnected);
}

#[test]
fn a_publish_before_connack_is_a_protocol_error() {
    let mut p = Pair::new();
    p.connect_with(&Pair::opts(60));
    assert_eq!(p.rx(&[0x30, 3, 0, 1, b't']), Err(Error::ProtocolError));
}

#[test]
fn commands_before_connack_are_refused() {
    let mut p = Pair::new();
    assert_eq!(p.publish(b"t", b"", 0), Err(Error::NotConnected));
    p.connect_with(&Pair::opts(60));
    assert_eq!(p.publish(b"t", b"", 1), Err(Error::NotConnected));
    assert_eq!(p.subscribe(b"t", 0), Err(Error::NotConnected));
    let mut out = [0u8; 2];
    assert_eq!(p.client.ping(0, &mut out), Err(Error::NotConnected));
    let mut big = [0u8; 64];
    assert_eq!(
        p.client.connect(&Pair::opts(60), 0, &mut big),
        Err(Error::AlreadyConnected)
    );
}

#[test]
fn bytes_after_the_connection_is_gone_are_refused() {
    let mut p = Pair::connected(0);
    p.client.connection_lost();
    assert_eq!(p.rx(&[0xd0, 0]), Err(Error::NotConnected));
}

#[test]
fn an_mqtt31_connect_says_mqisdp_and_needs_a_short_client_id() {
    let mut p = Pair::new();
    let o = ConnectOptions {
        client_id: b"abc",
        protocol_level: 3,
        ..ConnectOptions::default()
    };
    let bytes = p.connect_with(&o);
    assert_eq!(
        &bytes[2..11],
        &[0, 6, b'M', b'Q', b'I', b's', b'd', b'p', 3]
    );
    let mut q = Pair::new();
    let mut out = [0u8; 128];
    for id in [&b""[..], &[b'x'; 24][..]] {
        let o = ConnectOptions {
            client_id: id,
            protocol_level: 3,
            ..ConnectOptions::default()
        };
        assert_eq!(q.client.connect(&o, 0, &mut out), Err(Error::BadArgument));
    }
}

#[test]
fn a_will_is_encoded_with_its_qos_and_retain_flags() {
    let mut p = Pair::new();
    let o = ConnectOptions {
        client_id: b"c",
        will: Some(Will {
            topic: b"dead",
            payload: b"x",
            qos: 2,
            retain: true,
        }),
        ..ConnectOptions::default()
    };
    let bytes = p.connect_with(&o);
    assert_eq!(bytes[9], 0x20 | 0x10 | 0x04 | 0x02);
}

// ---- publish out ------------------------------------------------------------

#[test]
fn a_qos0_publish_goes_out_without_a_ticket() {
    let mut p = Pair::connected(60);
    let (bytes, t) = p.publish(b"a/b", b"hello", 0).unwrap();
    assert_eq!(t, 0);
    assert_eq!(bytes, [&[0x30, 10, 0, 3][..], b"a/b", b"hello"].concat());
    assert_eq!(p.client.inflight_count(), 0);
}

#[test]
fn a_qos1_publish_completes_with_puback() {
    let mut p = Pair::connected(60);
    let (bytes, t) = p.publish(b"t", b"x", 1).unwrap();
    let pid = publish_pid(&bytes);
    assert_eq!(bytes[0], 0x32);
    assert_eq!(p.client.ticket_result(t), TicketResult::Pending);
    let e = p.rx_event(&ack(0x40, pid));
    assert_eq!(
        (e.kind, e.ticket, e.packet_id),
        (EventKind::PublishDone, t, pid)
    );
    assert!(e.reply.is_empty());
    assert_eq!(p.client.ticket_result(t), TicketResult::Done(0));
}

#[test]
fn a_qos2_publish_walks_pubrec_pubrel_pubcomp() {
    let mut p = Pair::connected(60);
    let (bytes, t) = p.publish(b"t", b"x", 2).unwrap();
    let pid = publish_pid(&bytes);
    assert_eq!(bytes[0], 0x34);
    let e = p.rx_event(&ack(0x50, pid));
    assert_eq!((e.kind, e.ticket), (EventKind::Pubrec, t));
    assert_eq!(e.reply, ack(0x62, pid));
    assert_eq!(p.client.ticket_result(t), TicketResult::Pending);
    // A PUBACK is the wrong answer to a QoS 2 publish: ignored.
    assert_eq!(p.rx_event(&ack(0x40, pid)).kind, EventKind::None);
    let e = p.rx_event(&ack(0x70, pid));
    assert_eq!((e.kind, e.ticket), (EventKind::PublishDone, t));
    assert_eq!(p.client.ticket_result(t), TicketResult::Done(0));
}

#[test]
fn acks_for_ids_not_in_flight_are_ignored_gracefully() {
    let mut p = Pair::connected(60);
    for first in [0x40u8, 0x50, 0x70, 0xb0] {
        let e = p.rx_event(&ack(first, 4242));
        assert_eq!(e.kind, EventKind::None);
        assert!(e.reply.is_empty());
    }
    let e = p.rx_event(&[0x90, 3, 0x10, 0x92, 0]);
    assert_eq!(e.kind, EventKind::None);
    assert_eq!(p.client.state(), ConnState::Connected);
}

// ---- publish in -------------------------------------------------------------

#[test]
fn an_incoming_qos0_message_is_delivered_without_reply() {
    let mut p = Pair::connected(60);
    let e = p.rx_event(&[0x31, 6, 0, 2, b'a', b'b', b'h', b'i']);
    assert_eq!(e.kind, EventKind::Message);
    assert_eq!((&e.topic[..], &e.payload[..]), (&b"ab"[..], &b"hi"[..]));
    assert!(e.retain && e.deliver && e.reply.is_empty());
}

#[test]
fn an_incoming_qos1_message_is_answered_with_puback() {
    let mut p = Pair::connected(60);
    let e = p.rx_event(&[0x3a, 5, 0, 1, b't', 0, 9]);
    assert_eq!((e.qos, e.packet_id, e.dup, e.deliver), (1, 9, true, true));
    assert_eq!(e.reply, ack(0x40, 9));
}

#[test]
fn an_incoming_qos2_message_is_delivered_once_until_pubrel() {
    let mut p = Pair::connected(60);
    let publish = [0x34, 6, 0, 1, b't', 0, 7, b'm'];
    let e = p.rx_event(&publish);
    assert_eq!((e.qos, e.deliver), (2, true));
    assert_eq!(e.reply, ack(0x50, 7));
    let mut again = publish;
    again[0] |= 0x08;
    let e = p.rx_event(&again);
    assert_eq!(
        (e.kind, e.deliver, e.dup),
        (EventKind::Message, false, true)
    );
    assert_eq!(e.reply, ack(0x50, 7));
    let e = p.rx_event(&ack(0x62, 7));
    assert_eq!(e.kind, EventKind::Pubrel);
    assert_eq!(e.reply, ack(0x70, 7));
    // After PUBREL the id is free: a new message with it is new.
    assert!(p.rx_event(&publish).deliver);
}

#[test]
fn pubrel_for_an_unknown_id_still_gets_pubcomp() {
    let mut p = Pair::connected(60);
    let e = p.rx_event(&ack(0x62, 300));
    assert_eq!(e.reply, ack(0x70, 300));
}

#[test]
fn qos2_duplicate_suppression_survives_a_reconnect_of_the_session() {
    let mut p = Pair::connected(60);
    let publish = [0x34, 6, 0, 1, b't', 0, 7, b'm'];
    assert!(p.rx_event(&publish).deliver);
    p.client.connection_lost();
    let o = ConnectOptions {
        clean_session: false,
        ..Pair::opts(60)
    };
    p.connect_with(&o);
    p.rx_event(&[0x20, 2, 1, 0]);
    assert!(!p.rx_event(&[0x3c, 6, 0, 1, b't', 0, 7, b'm']).deliver);
}

#[test]
fn an_incoming_topic_with_a_wildcard_is_a_protocol_error() {
    let mut p = Pair::connected(60);
    assert_eq!(p.rx(&[0x30, 3, 0, 1, b'#']), Err(Error::ProtocolError));
}

// ---- subscribe / unsubscribe -------------------------------------------------

#[test]
fn subscribe_is_acknowledged_with_the_granted_qos() {
    let mut p = Pair::connected(60);
    let (bytes, t) = p.subscribe(b"s/+/x", 2).unwrap();
    let pid = u16::from_be_bytes([bytes[2], bytes[3]]);
    assert_eq!(p.client.ticket_result(t), TicketResult::Pending);
    let [h, l] = pid.to_be_bytes();
    let e = p.rx_event(&[0x90, 3, h, l, 1]);
    assert_eq!((e.kind, e.code, e.ticket), (EventKind::Suback, 1, t));
    assert_eq!(p.client.ticket_result(t), TicketResult::Done(1));
    assert_eq!(p.client.ticket_result(t), TicketResult::Unknown);
}

#[test]
fn a_refused_subscription_reports_0x80() {
    let mut p = Pair::connected(60);
    let (bytes, t) = p.subscribe(b"forbidden", 1).unwrap();
    let e = p.rx_event(&[0x90, 3, bytes[2], bytes[3], 0x80]);
    assert_eq!((e.kind, e.code), (EventKind::Suback, 0x80));
    assert_eq!(p.client.ticket_result(t), TicketResult::Done(0x80));
}

#[test]
fn unsubscribe_is_acknowledged_with_unsuback() {
    let mut p = Pair::connected(60);
    let (bytes, t) = p.unsubscribe(b"a/#").unwrap();
    assert_eq!(bytes[0], 0xa2);
    let e = p.rx_event(&[0xb0, 2, bytes[2], bytes[3]]);
    assert_eq!((e.kind, e.ticket), (EventKind::Unsuback, t));
    assert_eq!(p.client.ticket_result(t), TicketResult::Done(0));
}

#[test]
fn a_lost_connection_makes_pending_subscribe_tickets_unknown() {
    let mut p = Pair::connected(60);
    let (_, ts) = p.subscribe(b"a", 0).unwrap();
    let (_, tp) = p.publish(b"a", b"", 1).unwrap();
    p.client.connection_lost();
    assert_eq!(p.client.ticket_result(ts), TicketResult::Unknown);
    assert_eq!(
        p.client.ticket_result(tp),
        TicketResult::Pending,
        "publishes stay in flight"
    );
}

#[test]
fn only_four_operations_may_be_pending() {
    let mut p = Pair::connected(60);
    for i in 0..4u8 {
        p.subscribe(&[b'a' + i], 0).unwrap();
    }
    assert_eq!(p.subscribe(b"z", 0), Err(Error::InflightFull));
}

#[test]
fn bad_filters_and_qos_are_refused() {
    let mut p = Pair::connected(60);
    assert_eq!(p.subscribe(b"a/#/b", 0), Err(Error::InvalidTopic));
    assert_eq!(p.subscribe(b"a", 3), Err(Error::BadArgument));
    assert_eq!(p.unsubscribe(b""), Err(Error::InvalidTopic));
    assert_eq!(p.publish(b"a/+", b"", 0), Err(Error::InvalidTopic));
    assert_eq!(p.publish(b"a", b"", 3), Err(Error::BadArgument));
}

// ---- sessions ------------------------------------------------------------------

#[test]
fn a_clean_session_connect_forgets_every_ticket() {
    let mut p = Pair::connected(60);
    let (_, t) = p.publish(b"a", b"", 1).unwrap();
    p.client.connection_lost();
    // Clearing is the driver's decision (a reconnect keeps the messages).
    p.client.session_mut().clear();
    p.connect_with(&Pair::opts(60));
    assert_eq!(p.client.ticket_result(t), TicketResult::Unknown);
    assert_eq!(p.client.inflight_count(), 0);
}

#[test]
fn a_resumed_session_keeps_in_flight_publishes_and_completes_them() {
    let mut p = Pair::connected(60);
    let (bytes, t) = p.publish(b"a", b"", 1).unwrap();
    p.client.connection_lost();
    let o = ConnectOptions {
        clean_session: false,
        ..Pair::opts(60)
    };
    p.connect_with(&o);
    p.rx_event(&[0x20, 2, 1, 0]);
    assert_eq!(p.client.inflight_count(), 1);
    let e = p.rx_event(&ack(0x40, publish_pid(&bytes)));
    assert_eq!(e.ticket, t);
}

/// A persistent-session client with, in publish order: QoS 1 "a" (pid 1,
/// AwaitPuback), QoS 2 "b" (pid 2, AwaitPubrec), QoS 2 "c" (pid 3,
/// AwaitPubcomp), QoS 1 "d" (pid 4, acknowledged, ticket unread), and an
/// incoming QoS 2 id 7 awaiting PUBREL. Returns the four tickets.
fn persistent_with_messages_in_flight() -> (Pair, [u32; 4]) {
    let mut p = Pair::new();
    p.connect_with(&persistent(10));
    p.rx_event(&[0x20, 2, 0, 0]);
    let (a, t1) = p.publish(b"a", b"1", 1).unwrap();
    assert_eq!(a, [0x32, 6, 0, 1, b'a', 0, 1, b'1']);
    let (b, t2) = p.publish(b"b", b"2", 2).unwrap();
    assert_eq!(b, [0x34, 6, 0, 1, b'b', 0, 2, b'2']);
    let (_, t3) = p.publish(b"c", b"3", 2).unwrap();
    assert_eq!(p.rx_event(&ack(0x50, 3)).reply, ack(0x62, 3));
    let (_, t4) = p.publish(b"d", b"4", 1).unwrap();
    assert_eq!(p.rx_event(&ack(0x40, 4)).ticket, t4);
    assert!(p.rx_event(&[0x34, 6, 0, 1, b'i', 0, 7, b'm']).deliver);
    p.now += 1_000;
    p.client.connection_lost();
    (p, [t1, t2, t3, t4])
}

fn persistent(keepalive_s: u16) -> ConnectOptions<'static> {
    ConnectOptions {
        clean_session: false,
        ..Pair::opts(keepalive_s)
    }
}

fn resend(p: &mut Pair, t: u32, topic: &[u8], payload: &[u8]) -> Result<Vec<u8>, Error> {
    p.resend(t, topic, payload)
}

/// Checks the resend list of `persistent_with_messages_in_flight`, re-sends
/// it and completes every message through the broker's acks.
fn resend_and_complete(p: &mut Pair, [t1, t2, t3, t4]: [u32; 4]) {
    let items: Vec<_> = (0..).map_while(|i| p.client.resend_item(i)).collect();
    assert_eq!(
        items,
        [
            ResendItem {
                slot: 0,
                kind: Resend::Publish,
                ticket: t1,
                packet_id: 1,
                qos: 1
            },
            ResendItem {
                slot: 1,
                kind: Resend::Publish,
                ticket: t2,
                packet_id: 2,
                qos: 2
            },
            ResendItem {
                slot: 2,
                kind: Resend::Pubrel,
                ticket: t3,
                packet_id: 3,
                qos: 2
            },
        ],
        "original publish order; the acknowledged one is not listed"
    );
    assert_eq!(
        resend(p, t1, b"a", b"1"),
        Ok(vec![0x3a, 6, 0, 1, b'a', 0, 1, b'1']),
        "DUP, QoS 1, pid 1"
    );
    assert_eq!(
        resend(p, t2, b"b", b"2"),
        Ok(vec![0x3c, 6, 0, 1, b'b', 0, 2, b'2']),
        "DUP, QoS 2, pid 2"
    );
    assert_eq!(
        resend(p, t3, b"c", b"3"),
        Err(Error::UnknownTicket),
        "PUBREL, not PUBLISH"
    );
    assert_eq!(
        resend(p, t4, b"d", b"4"),
        Err(Error::UnknownTicket),
        "acknowledged"
    );
    let e = p.rx_event(&ack(0x40, 1));
    assert_eq!((e.kind, e.ticket), (EventKind::PublishDone, t1));
    let e = p.rx_event(&ack(0x50, 2));
    assert_eq!((e.kind, e.ticket), (EventKind::Pubrec, t2));
    assert_eq!(e.reply, ack(0x62, 2));
    let e = p.rx_event(&ack(0x70, 2));
    assert_eq!((e.kind, e.ticket), (EventKind::PublishDone, t2));
    let e = p.rx_event(&ack(0x70, 3));
    assert_eq!((e.kind, e.ticket), (EventKind::PublishDone, t3));
    assert_eq!(p.client.resend_item(0), None);
    for t in [t1, t2, t3, t4] {
        assert_eq!(p.client.ticket_result(t), TicketResult::Done(0));
    }
}

#[test]
fn a_resumed_session_resends_in_publish_order_with_dup_and_completes_the_same_tickets() {
    let (mut p, tickets) = persistent_with_messages_in_flight();
    p.connect_with(&persistent(10));
    assert!(p.rx_event(&[0x20, 2, 1, 0]).session_present);
    resend_and_complete(&mut p, tickets);
    assert!(
        !p.rx_event(&[0x3c, 6, 0, 1, b'i', 0, 7, b'm']).deliver,
        "the incoming QoS 2 id is kept"
    );
}

#[test]
fn a_connack_without_session_present_keeps_outgoing_and_forgets_incoming_qos2_ids() {
    let (mut p, tickets) = persistent_with_messages_in_flight();
    p.connect_with(&persistent(10));
    assert!(!p.rx_event(&[0x20, 2, 0, 0]).session_present);
    assert_eq!(p.client.inflight_count(), 3);
    resend_and_complete(&mut p, tickets);
    let e = p.rx_event(&[0x3c, 6, 0, 1, b'i', 0, 7, b'm']);
    assert!(
        e.deliver,
        "the broker forgot id 7: its re-send is a new message"
    );
    assert_eq!(e.reply, ack(0x50, 7));
}

#[test]
fn a_clean_session_reconnect_clears_everything() {
    let (mut p, tickets) = persistent_with_messages_in_flight();
    p.client.session_mut().clear();
    p.connect_with(&Pair::opts(10));
    p.rx_event(&[0x20, 2, 0, 0]);
    assert_eq!(p.client.resend_item(0), None);
    assert_eq!(p.client.inflight_count(), 0);
    for t in tickets {
        assert_eq!(p.client.ticket_result(t), TicketResult::Unknown);
        assert_eq!(resend(&mut p, t, b"a", b"1"), Err(Error::UnknownTicket));
    }
    assert!(p.rx_event(&[0x3c, 6, 0, 1, b'i', 0, 7, b'm']).deliver);
    assert_eq!(p.rx_event(&ack(0x40, 1)).kind, EventKind::None);
}

#[test]
fn encode_resend_needs_a_connection_and_reports_the_size_it_needs() {
    let (mut p, [t1, ..]) = persistent_with_messages_in_flight();
    assert_eq!(resend(&mut p, t1, b"a", b"1"), Err(Error::NotConnected));
    p.connect_with(&persistent(10));
    assert_eq!(
        resend(&mut p, t1, b"a", b"1"),
        Err(Error::NotConnected),
        "before CONNACK"
    );
    p.rx_event(&[0x20, 2, 1, 0]);
    let slot = p.client.session().slot_of(t1).unwrap();
    let mut out = [0xeeu8; 7];
    assert_eq!(
        p.client.encode_resend(slot, b"a", b"1", &[], p.now, &mut out),
        Err(Error::BufferTooSmall(8))
    );
    assert_eq!(out, [0xee; 7]);
    assert_eq!(resend(&mut p, t1, b"a/+", b"1"), Err(Error::InvalidTopic));
    let mut out = [0u8; 8];
    assert_eq!(
        p.client.encode_resend(slot, b"a", b"1", &[], p.now, &mut out),
        Ok(8)
    );
    assert_eq!(
        out[0], 0x3a,
        "DUP, QoS 1, the retain flag it was published with"
    );
}

#[test]
fn encode_resend_counts_as_a_sent_packet_for_keepalive() {
    let (mut p, [t1, ..]) = persistent_with_messages_in_flight();
    p.connect_with(&persistent(10));
    p.rx_event(&[0x20, 2, 1, 0]);
    p.now += 3_000;
    p.rx_event(&[0xd0, 0]);
    assert_eq!(p.poll(), Ok((vec![], 2_000)));
    resend(&mut p, t1, b"a", b"1").unwrap();
    assert_eq!(p.poll(), Ok((vec![], 5_000)));
}

#[test]
fn set_max_inflight_limits_publishes_in_flight() {
    let mut p = Pair::connected(60);
    assert_eq!(p.client.set_max_inflight(0), Err(Error::BadArgument));
    assert_eq!(
        p.client.set_max_inflight(MAX_INFLIGHT + 1),
        Err(Error::BadArgument)
    );
    assert_eq!(p.client.set_max_inflight(2), Ok(()));
    let (a, _) = p.publish(b"t", b"", 1).unwrap();
    p.publish(b"t", b"", 2).unwrap();
    assert_eq!(p.publish(b"t", b"", 1), Err(Error::InflightFull));
    assert_eq!(p.publish(b"t", b"", 2), Err(Error::InflightFull));
    assert!(p.publish(b"t", b"", 0).is_ok(), "QoS 0 is not limited");
    p.rx_event(&ack(0x40, publish_pid(&a)));
    p.publish(b"t", b"", 1).unwrap();
    assert_eq!(p.publish(b"t", b"", 1), Err(Error::InflightFull));
    assert_eq!(p.client.set_max_inflight(MAX_INFLIGHT), Ok(()));
    for _ in 2..MAX_INFLIGHT {
        p.publish(b"t", b"", 1).unwrap();
    }
    assert_eq!(p.publish(b"t", b"", 1), Err(Error::InflightFull));
}

// ---- packet ids ----------------------------------------------------------------

#[test]
fn packet_ids_wrap_past_65535_without_colliding_with_one_in_flight() {
    let mut p = Pair::connected(0);
    let (first, _) = p.publish(b"t", b"", 1).unwrap();
    let stuck = publish_pid(&first);
    assert_eq!(stuck, 1);
    let mut last = stuck;
    let mut wrapped = false;
    for _ in 0..70_000u32 {
        let (bytes, t) = p.publish(b"t", b"", 1).unwrap();
        let pid = publish_pid(&bytes);
        assert_ne!(pid, 0);
        assert_ne!(pid, stuck, "reused an id still in flight");
        if pid < last {
            wrapped = true;
            assert_eq!(pid, 2, "wrap goes to the first free id");
        }
        last = pid;
        let e = p.rx_event(&ack(0x40, pid));
        assert_eq!(e.ticket, t);
        assert_eq!(p.client.ticket_result(t), TicketResult::Done(0));
    }
    assert!(wrapped);
    assert_eq!(p.client.inflight_count(), 1);
}

#[test]
fn the_id_after_65535_is_1_when_free() {
    let mut p = Pair::connected(0);
    p.client
        .session_mut()
        .set_next_pid(PacketId::new(65_535).unwrap());
    let (a, _) = p.publish(b"t", b"", 2).unwrap();
    let (b, _) = p.publish(b"t", b"", 1).unwrap();
    assert_eq!((publish_pid(&a), publish_pid(&b)), (65_535, 1));
}

#[test]
fn the_seventeenth_unacknowledged_publish_is_refused_until_an_ack() {
    let mut p = Pair::connected(0);
    let mut pids = Vec::new();
    for _ in 0..MAX_INFLIGHT {
        let (b, _) = p.publish(b"t", b"", 1).unwrap();
        pids.push(publish_pid(&b));
    }
    assert_eq!(p.publish(b"t", b"", 1), Err(Error::InflightFull));
    assert_eq!(p.publish(b"t", b"", 2), Err(Error::InflightFull));
    // QoS 0 needs no slot.
    assert!(p.publish(b"t", b"", 0).is_ok());
    p.rx_event(&ack(0x40, pids[5]));
    assert!(p.publish(b"t", b"", 1).is_ok());
    assert_eq!(p.client.inflight_count(), MAX_INFLIGHT);
}

// ---- buffers ---------------------------------------------------------------------

#[test]
fn buffer_too_small_reports_the_exact_size_and_changes_nothing() {
    let mut p = Pair::connected(0);
    let payload = [7u8; 300];
    let mut out = vec![0u8; 10];
    let need = match p.client.publish(b"top", &payload, 1, false, 0, &mut out) {
        Err(Error::BufferTooSmall(n)) => n,
        other => panic!("{other:?}"),
    };
    assert_eq!(need, 1 + 2 + 2 + 3 + 2 + 300);
    assert_eq!(p.client.inflight_count(), 0);
    let mut out = vec![0u8; need];
    let sent = p
        .client
        .publish(b"top", &payload, 1, false, 0, &mut out)
        .unwrap();
    assert_eq!(sent.len, need);
    assert_eq!(publish_pid(&out), 1, "the failed call took no packet id");
    let mut small = [0u8; 5];
    assert_eq!(
        p.client.subscribe(b"abc", 0, 0, &mut small),
        Err(Error::BufferTooSmall(10))
    );
    assert_eq!(
        p.client.unsubscribe(b"abc", 0, &mut small),
        Err(Error::BufferTooSmall(9))
    );
    assert_eq!(
        p.client.ping(0, &mut small[..1]),
        Err(Error::BufferTooSmall(2))
    );
    assert!(!p.client.keepalive().outstanding());
}

// ---- receiving in pieces -----------------------------------------------------------

#[test]
fn a_publish_fed_one_byte_at_a_time_needs_more_until_whole() {
    let mut p = Pair::connected(60);
    let mut pkt = vec![0x32, 0x83, 0x01, 0, 3, b'a', b'/', b'b', 0, 42];
    pkt.extend(std::iter::repeat_n(b'p', 131 - 7));
    assert_eq!(pkt.len(), 3 + 131);
    for end in 0..pkt.len() {
        match p.rx(&pkt[..end]) {
            Ok(Got::NeedMore(n)) => {
                assert!(n > end, "need {n} at {end}");
                if end >= 3 {
                    assert_eq!(n, pkt.len());
                }
            }
            other => panic!("at {end}: {other:?}"),
        }
    }
    let e = p.rx_event(&pkt);
    assert_eq!((e.packet_id, e.payload.len()), (42, 124));
}

#[test]
fn two_packets_in_one_buffer_are_handled_one_by_one() {
    let mut p = Pair::connected(60);
    let buf = [0xd0, 0, 0x30, 3, 0, 1, b'x'];
    let Ok(Got::Event(n, e)) = p.rx(&buf) else {
        panic!()
    };
    assert_eq!((n, e.kind), (2, EventKind::Pingresp));
    let Ok(Got::Event(n, e)) = p.rx(&buf[n..]) else {
        panic!()
    };
    assert_eq!((n, e.kind), (5, EventKind::Message));
}

// ---- hostile bytes ----------------------------------------------------------------

#[test]
fn truncated_and_malformed_packets_are_protocol_errors_not_panics() {
    let cases: &[&[u8]] = &[
        &[0x40, 0x00],
        &[0x20, 0x00],
        &[0xb0, 0x00],
        &[0x32, 0x02, 0x00, 0x00],
        &[0x90, 0x02, 0x00, 0x01],
        &[0x30, 0xff, 0xff, 0xff, 0xff, 0x01],
        &[0x30, 0x04, 0x00, 0x09, b'a', b'b'],
        &[0x32, 0x04, 0x00, 0x02, b'a', b'b'],
        &[0x36, 0x02, 0x00, 0x00],
        &[0x60, 0x02, 0x00, 0x01],
        &[0x10, 0x00],
        &[0x82, 0x00],
        &[0xc0, 0x00],
        &[0xe0, 0x00],
        &[0xf0, 0x00],
        &[0x00, 0x00],
        &[0x30, 0x03, 0x00, 0x01, 0xff],
        &[0x40, 0x02, 0x00, 0x00],
    ];
    for bytes in cases {
        let mut p = Pair::connected(60);
        assert_eq!(p.rx(bytes), Err(Error::ProtocolError), "{bytes:02x?}");
        assert_eq!(p.client.state(), ConnState::Disconnected);
    }
}

#[test]
fn a_remaining_length_beyond_the_bytes_present_asks_for_more() {
    let mut p = Pair::connected(60);
    assert_eq!(
        p.rx(&[0x30, 0x7f, 0x00, 0x01, b't']),
        Ok(Got::NeedMore(129))
    );
    assert_eq!(p.client.state(), ConnState::Connected);
}

// ---- keep-alive ------------------------------------------------------------------------

#[test]
fn keepalive_pings_after_a_quiet_interval_and_pingresp_rearms_it() {
    let mut p = Pair::connected(60);
    let start = p.now;
    assert_eq!(p.poll(), Ok((vec![], 55_000)));
    assert_eq!(p.step(), Ok((vec![0xc0, 0], 30_000)));
    assert_eq!(p.now - start, 55_000);
    p.now += 100;
    assert_eq!(p.rx_event(&[0xd0, 0]).kind, EventKind::Pingresp);
    // Next PINGREQ 55 s after the PINGREQ (the last packet sent).
    assert_eq!(p.poll(), Ok((vec![], 54_900)));
}

#[test]
fn a_missing_pingresp_is_fatal_when_no_retry_is_allowed() {
    let mut p = Pair::connected(10);
    assert_eq!(p.step(), Ok((vec![0xc0, 0], 5_000)));
    assert_eq!(p.step(), Err(Error::KeepaliveTimeout));
    assert_eq!(p.client.state(), ConnState::Disconnected);
    assert_eq!(p.poll(), Ok((vec![], u32::MAX)));
}

#[test]
fn ping_max_missed_allows_that_many_further_pingreqs() {
    let mut p = Pair::new();
    p.connect_with(&ConnectOptions {
        ping_max_missed: 2,
        ..Pair::opts(10)
    });
    p.rx_event(&[0x20, 2, 0, 0]);
    assert_eq!(p.step(), Ok((vec![0xc0, 0], 5_000)));
    assert_eq!(p.step(), Ok((vec![0xc0, 0], 5_000)));
    assert_eq!(p.step(), Ok((vec![0xc0, 0], 5_000)));
    assert_eq!(p.step(), Err(Error::KeepaliveTimeout));
}

#[test]
fn any_packet_received_counts_as_life() {
    let mut p = Pair::new();
    p.connect_with(&ConnectOptions {
        ping_max_missed: 1,
        ..Pair::opts(10)
    });
    p.rx_event(&[0x20, 2, 0, 0]);
    assert_eq!(p.step(), Ok((vec![0xc0, 0], 5_000)));
    assert_eq!(p.step(), Ok((vec![0xc0, 0], 5_000)));
    p.now += 1_000;
    p.rx_event(&[0x30, 3, 0, 1, b't']);
    assert!(!p.client.keepalive().outstanding());
    assert_eq!(p.client.keepalive().missed(), 0);
    assert_eq!(p.poll(), Ok((vec![], 4_000)));
}

#[test]
fn keepalive_zero_schedules_nothing() {
    let mut p = Pair::connected(0);
    assert_eq!(p.poll(), Ok((vec![], u32::MAX)));
    p.now = p.now.wrapping_add(3_000_000_000);
    assert_eq!(p.poll(), Ok((vec![], u32::MAX)));
}

#[test]
fn keepalive_works_across_the_clock_wrap() {
    let mut p = Pair::new();
    p.now = u32::MAX - 20_000;
    p.connect_with(&Pair::opts(60));
    p.rx_event(&[0x20, 2, 0, 0]);
    assert_eq!(p.step(), Ok((vec![0xc0, 0], 30_000)));
    assert_eq!(p.now, 55_000 - 20_001);
}

#[test]
fn a_manual_ping_counts_as_the_outstanding_pingreq() {
    let mut p = Pair::connected(10);
    let mut out = [0u8; 2];
    p.now += 1_000;
    assert_eq!(p.client.ping(p.now, &mut out), Ok(()));
    assert_eq!(p.poll(), Ok((vec![], 5_000)));
    assert_eq!(p.step(), Err(Error::KeepaliveTimeout));
}

#[test]
fn disconnect_encodes_and_closes() {
    let mut p = Pair::connected(60);
    let mut out = [0u8; 2];
    assert_eq!(p.client.disconnect(&mut out), Ok(2));
    assert_eq!(out, [0xe0, 0]);
    assert_eq!(p.client.state(), ConnState::Disconnected);
}
