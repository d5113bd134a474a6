//! Properties: hostile bytes never panic, prefixes ask for more, encode and
//! decode agree, the session never reuses an id in flight, re-sends in the
//! original publish order and delivers each incoming QoS 2 message once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::{HashMap, HashSet};

use common::{ack, publish_pid, Got, Pair};
use mqttrs::{Packet, QosPid};
use proptest::prelude::*;
use umqtt_core::codec::{self, Decoded, Incoming};
use umqtt_core::pid::PacketId;
use umqtt_core::{ConnState, ConnectOptions, Error, EventKind, Resend, TicketResult};

fn config() -> ProptestConfig {
    ProptestConfig {
        // Miri (make miri) interprets every case: a few are enough there.
        cases: if cfg!(miri) { 4 } else { 512 },
        ..ProptestConfig::default()
    }
}

/// Valid topic names: 1..40 chars without wildcards or NUL.
fn topic() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9/ _äö€-]{1,40}"
}

/// A valid packet a broker may send a connected client.
fn broker_packet() -> impl Strategy<Value = Vec<u8>> {
    let pid = 1u16..=u16::MAX;
    prop_oneof![
        (
            topic(),
            proptest::collection::vec(any::<u8>(), 0..300),
            0u8..=2,
            any::<bool>(),
            pid.clone()
        )
            .prop_map(|(t, payload, qos, retain, pid)| {
                let mut out = vec![0u8; t.len() + payload.len() + 16];
                let p = if qos > 0 { PacketId::new(pid) } else { None };
                let n =
                    codec::encode_publish(&t, &payload, qos, p, retain, false, &mut out).unwrap();
                out.truncate(n);
                out
            }),
        (
            prop_oneof![Just(0x40u8), Just(0x50), Just(0x62), Just(0x70), Just(0xb0)],
            pid.clone()
        )
            .prop_map(|(f, p)| ack(f, p).to_vec()),
        (pid, prop_oneof![Just(0u8), Just(1), Just(2), Just(0x80)]).prop_map(|(p, c)| {
            let [h, l] = p.to_be_bytes();
            vec![0x90, 3, h, l, c]
        }),
        Just(vec![0xd0, 0]),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn handle_rx_on_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600),
                                                 connecting in any::<bool>()) {
        let mut p = if connecting {
            let mut p = Pair::new();
            p.connect_with(&Pair::opts(30));
            p
        } else {
            Pair::connected(30)
        };
        let mut rest = &bytes[..];
        // Consume packet after packet until the bytes run out or an error.
        for _ in 0..bytes.len() + 1 {
            match p.client.handle_rx(rest, p.now) {
                Ok(umqtt_core::Rx::Event { consumed, .. }) | Ok(umqtt_core::Rx::Refused { consumed, .. }) => {
                    prop_assert!(consumed >= 2 && consumed <= rest.len());
                    rest = &rest[consumed..];
                }
                Ok(umqtt_core::Rx::NeedMore(n)) => {
                    prop_assert!(n > rest.len());
                    break;
                }
                Err(_) => {
                    prop_assert_eq!(p.client.state(), ConnState::Disconnected);
                    break;
                }
            }
            if p.client.state() == ConnState::Disconnected {
                break;
            }
        }
    }

    #[test]
    fn arbitrary_bytes_after_a_valid_header_never_panic(first in any::<u8>(),
                                                        body in proptest::collection::vec(any::<u8>(), 0..40)) {
        let mut p = Pair::connected(30);
        let mut bytes = vec![first, body.len() as u8];
        bytes.extend_from_slice(&body);
        let _ = p.rx(&bytes);
    }

    #[test]
    fn every_strict_prefix_of_a_valid_packet_needs_more(pkt in broker_packet()) {
        let mut p = Pair::connected(30);
        for end in 0..pkt.len() {
            match p.rx(&pkt[..end]) {
                Ok(Got::NeedMore(n)) => prop_assert!(n > end && n <= pkt.len()),
                other => prop_assert!(false, "prefix {} of {:02x?}: {:?}", end, pkt, other),
            }
        }
        match p.rx(&pkt) {
            Ok(Got::Event(n, _)) => prop_assert_eq!(n, pkt.len()),
            other => prop_assert!(false, "{:02x?}: {:?}", pkt, other),
        }
    }

    #[test]
    fn decode_of_encode_publish_round_trips(t in topic(),
                                            payload in proptest::collection::vec(any::<u8>(), 0..20_000),
                                            qos in 0u8..=2, retain in any::<bool>(), dup in any::<bool>(),
                                            pid in 1u16..=u16::MAX) {
        let p = if qos > 0 { PacketId::new(pid) } else { None };
        let size = codec::publish_size(t.len(), payload.len(), qos).unwrap();
        let mut out = vec![0u8; size];
        let n = codec::encode_publish(&t, &payload, qos, p, retain, dup, &mut out).unwrap();
        prop_assert_eq!(n, size);
        match codec::decode(&out) {
            Ok(Decoded::Packet { consumed, packet: Incoming::Publish { dup: d_dup, qos: d_qos, retain: d_retain, topic, pid: d_pid, payload: d_payload } }) => {
                prop_assert_eq!(consumed, n);
                prop_assert_eq!(topic, t.as_bytes());
                prop_assert_eq!(d_payload, &payload[..]);
                prop_assert_eq!(d_retain, retain);
                prop_assert_eq!(d_dup, dup);
                prop_assert_eq!(d_qos, qos);
                prop_assert_eq!(d_pid, if qos == 0 { 0 } else { pid });
            }
            _ => prop_assert!(false, "did not decode"),
        }
        // mqttrs, the oracle, reads the same bytes the same way.
        match mqttrs::decode_slice(&out) {
            Ok(Some(Packet::Publish(d))) => {
                prop_assert_eq!(d.topic_name, t.as_str());
                prop_assert_eq!(d.payload, &payload[..]);
                let want = match qos {
                    0 => QosPid::AtMostOnce,
                    1 => QosPid::AtLeastOnce(mqttrs::Pid::try_from(pid).unwrap()),
                    _ => QosPid::ExactlyOnce(mqttrs::Pid::try_from(pid).unwrap()),
                };
                prop_assert_eq!(d.qospid, want);
            }
            _ => prop_assert!(false, "mqttrs did not decode"),
        }
    }

    #[test]
    fn the_decoder_agrees_with_mqttrs_on_every_framed_packet(body in proptest::collection::vec(any::<u8>(), 0..12),
                                                           first in prop::sample::select(vec![
                                                               0x20u8, 0x30, 0x32, 0x34, 0x3b, 0x3d, 0x40, 0x50, 0x62,
                                                               0x70, 0x90, 0xb0, 0xd0])) {
        // Any body under any header a client receives: framed by our rules,
        // then decoded by ours and by mqttrs, which must agree on every
        // field, or both refuse.
        let mut pkt = vec![first, body.len() as u8];
        pkt.extend_from_slice(&body);
        let ours = codec::decode(&pkt);
        let framed = matches!(umqtt_core::frame::parse(&pkt), Ok(umqtt_core::frame::Frame::Packet(_)));
        if !framed {
            prop_assert!(ours.is_err() || matches!(ours, Ok(Decoded::NeedMore(_))));
            return Ok(());
        }
        let theirs = mqttrs::decode_slice(&pkt);
        match (ours, theirs) {
            (Err(_), Err(_)) => {}
            (Ok(Decoded::Packet { consumed, packet }), Ok(Some(p))) => {
                prop_assert_eq!(consumed, pkt.len());
                prop_assert!(same_packet(&packet, &p), "{:02x?}: ours {:?}, mqttrs {:?}", pkt, packet, p);
            }
            (ours, theirs) => prop_assert!(false, "{:02x?}: ours {:?}, mqttrs {:?}", pkt, ours.is_ok(), theirs.is_ok()),
        }
    }

    #[test]
    fn a_short_output_buffer_changes_nothing(t in topic(), len in 0usize..100, cap in 0usize..120, qos in 0u8..=2) {
        let mut p = Pair::connected(0);
        let payload = vec![1u8; len];
        let mut out = vec![0xeeu8; cap];
        let size = codec::publish_size(t.len(), len, qos).unwrap();
        match p.client.publish(t.as_bytes(), &payload, qos, false, 0, &mut out) {
            Ok(sent) => prop_assert!(sent.len == size && cap >= size),
            Err(Error::BufferTooSmall(n)) => {
                prop_assert!(n == size && cap < size);
                prop_assert!(out.iter().all(|&b| b == 0xee));
                prop_assert_eq!(p.client.inflight_count(), 0);
            }
            Err(e) => prop_assert!(false, "{:?}", e),
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Publish(u8),
    /// Acknowledge the n-th (mod len) publish in flight.
    Ack(usize),
    /// A broker acknowledges a random id.
    StrayAck(u16),
    ConnectionLost,
    /// Reconnect; `clean`, and whether the broker says the session is present.
    Connect {
        clean: bool,
        present: bool,
    },
    Ticket(usize),
    /// Walk the resend list and re-encode every PUBLISH in it.
    Resend,
    /// set_max_inflight(n) with n in 1..=MAX_INFLIGHT.
    MaxInflight(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (1u8..=2).prop_map(Op::Publish),
        4 => any::<usize>().prop_map(Op::Ack),
        1 => any::<u16>().prop_map(Op::StrayAck),
        1 => Just(Op::ConnectionLost),
        1 => (any::<bool>(), any::<bool>()).prop_map(|(clean, present)| Op::Connect { clean, present }),
        2 => any::<usize>().prop_map(Op::Ticket),
        2 => Just(Op::Resend),
        1 => (1..=umqtt_core::MAX_INFLIGHT).prop_map(Op::MaxInflight),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn resends_follow_publish_order_and_no_packet_id_is_reused_while_in_flight(
        ops in proptest::collection::vec(op(), 1..200), start in 1u16..=u16::MAX) {
        let mut p = Pair::connected(0);
        p.client.session_mut().set_next_pid(PacketId::new(start).unwrap());
        // Model: pid -> (ticket, qos, pubrec seen)
        let mut inflight: HashMap<u16, (u32, u8, bool)> = HashMap::new();
        let mut done: Vec<u32> = Vec::new();
        // Unacknowledged pids in the order they were published.
        let mut order: Vec<u16> = Vec::new();
        let mut max = umqtt_core::MAX_INFLIGHT;
        for op in ops {
            match op {
                Op::Publish(qos) => match p.publish(b"t", b"x", qos) {
                    Ok((bytes, t)) => {
                        let pid = publish_pid(&bytes);
                        prop_assert!(!inflight.contains_key(&pid), "pid {} reused while in flight", pid);
                        prop_assert_eq!(t & 0xffff, u32::from(pid));
                        inflight.insert(pid, (t, qos, false));
                        order.push(pid);
                    }
                    Err(Error::NotConnected) => prop_assert!(p.client.state() != ConnState::Connected),
                    Err(Error::InflightFull) => prop_assert!(inflight.len() >= max),
                    Err(e) => prop_assert!(false, "{:?}", e),
                },
                Op::Ack(i) if p.client.state() == ConnState::Connected && !order.is_empty() => {
                    let pid = order[i % order.len()];
                    let (t, qos, rec) = inflight[&pid];
                    if qos == 1 {
                        let e = p.rx_event(&ack(0x40, pid));
                        prop_assert_eq!((e.kind, e.ticket), (EventKind::PublishDone, t));
                    } else if !rec {
                        let e = p.rx_event(&ack(0x50, pid));
                        prop_assert_eq!((e.kind, e.ticket), (EventKind::Pubrec, t));
                        prop_assert_eq!(e.reply, ack(0x62, pid).to_vec());
                        inflight.insert(pid, (t, qos, true));
                        continue;
                    } else {
                        let e = p.rx_event(&ack(0x70, pid));
                        prop_assert_eq!((e.kind, e.ticket), (EventKind::PublishDone, t));
                    }
                    inflight.remove(&pid);
                    order.retain(|&x| x != pid);
                    done.push(t);
                }
                Op::Ack(_) => {}
                Op::StrayAck(pid) if p.client.state() == ConnState::Connected && pid != 0
                    && !inflight.contains_key(&pid) => {
                    prop_assert_eq!(p.rx_event(&ack(0x40, pid)).kind, EventKind::None);
                }
                Op::StrayAck(_) => {}
                Op::ConnectionLost => p.client.connection_lost(),
                Op::Connect { clean, present } => {
                    p.client.connection_lost();
                    if clean {
                        // The driver clears a clean session; the client does not.
                        p.client.session_mut().clear();
                    }
                    p.connect_with(&ConnectOptions { clean_session: clean, ..Pair::opts(0) });
                    let present = present && !clean;
                    p.rx_event(&[0x20, 2, u8::from(present), 0]);
                    // Without clean_session the outgoing messages are kept
                    // whether or not the broker kept its session.
                    if clean {
                        inflight.clear();
                        order.clear();
                        done.clear();
                    }
                }
                Op::Resend => {
                    let items: Vec<_> = (0..).map_while(|i| p.client.resend_item(i)).collect();
                    let pids: Vec<u16> = items.iter().map(|it| it.packet_id).collect();
                    prop_assert_eq!(&pids, &order, "resend order = publish order");
                    for it in items {
                        let (t, qos, rec) = inflight[&it.packet_id];
                        prop_assert_eq!((it.ticket, it.qos), (t, qos));
                        prop_assert_eq!(it.kind, if rec { Resend::Pubrel } else { Resend::Publish });
                        let r = p.resend(t, b"t", b"x");
                        if p.client.state() != ConnState::Connected {
                            prop_assert_eq!(r, Err(Error::NotConnected));
                        } else if rec {
                            prop_assert_eq!(r, Err(Error::UnknownTicket));
                        } else {
                            let out = r.unwrap();
                            prop_assert_eq!(out.len(), 8);
                            prop_assert_eq!(out[0], 0x38 | (qos << 1), "DUP and the original QoS");
                            prop_assert_eq!(publish_pid(&out), it.packet_id);
                        }
                    }
                }
                Op::MaxInflight(n) => {
                    prop_assert_eq!(p.client.set_max_inflight(n), Ok(()));
                    max = n;
                }
                Op::Ticket(i) if !done.is_empty() => {
                    let t = done.remove(i % done.len());
                    // A done ticket may have been evicted to make room; never pending.
                    let r = p.client.ticket_result(t);
                    prop_assert!(r == TicketResult::Done(0) || r == TicketResult::Unknown, "{:?}", r);
                    prop_assert_eq!(p.client.ticket_result(t), TicketResult::Unknown);
                }
                Op::Ticket(_) => {}
            }
            prop_assert_eq!(p.client.inflight_count(), inflight.len());
            for (t, _, _) in inflight.values() {
                prop_assert_eq!(p.client.session_mut().ticket_result(*t), TicketResult::Pending);
            }
        }
    }

    #[test]
    fn each_incoming_qos2_message_is_delivered_once_until_pubrel(
        ops in proptest::collection::vec((any::<bool>(), 1u16..10, any::<bool>()), 1..200)) {
        let mut p = Pair::connected(0);
        let mut awaiting: HashSet<u16> = HashSet::new();
        for (is_publish, pid, dup) in ops {
            let [h, l] = pid.to_be_bytes();
            if is_publish {
                let e = p.rx_event(&[0x34 | if dup { 0x08 } else { 0 }, 5, 0, 1, b't', h, l]);
                prop_assert_eq!(e.kind, EventKind::Message);
                prop_assert_eq!(e.deliver, !awaiting.contains(&pid));
                prop_assert_eq!(e.reply, ack(0x50, pid).to_vec());
                awaiting.insert(pid);
            } else {
                let e = p.rx_event(&ack(0x62, pid));
                prop_assert_eq!(e.reply, ack(0x70, pid).to_vec());
                awaiting.remove(&pid);
            }
        }
    }
}

/// Whether our decoded packet says what mqttrs's says.
fn same_packet(ours: &Incoming<'_>, theirs: &Packet<'_>) -> bool {
    use mqttrs::{ConnectReturnCode as C, QoS, SubscribeReturnCodes as S};
    match (ours, theirs) {
        (Incoming::Connack { session_present, code }, Packet::Connack(c)) => {
            let theirs_code = match c.code {
                C::Accepted => 0,
                C::RefusedProtocolVersion => 1,
                C::RefusedIdentifierRejected => 2,
                C::ServerUnavailable => 3,
                C::BadUsernamePassword => 4,
                C::NotAuthorized => 5,
            };
            *session_present == c.session_present && *code == theirs_code
        }
        (Incoming::Publish { dup, qos, retain, topic, pid, payload }, Packet::Publish(p)) => {
            let (q, i) = match p.qospid {
                QosPid::AtMostOnce => (0, 0),
                QosPid::AtLeastOnce(i) => (1, i.get()),
                QosPid::ExactlyOnce(i) => (2, i.get()),
            };
            *dup == p.dup && *retain == p.retain && *topic == p.topic_name.as_bytes()
                && *payload == p.payload && *qos == q && *pid == i
        }
        (Incoming::Puback(a), Packet::Puback(b))
        | (Incoming::Pubrec(a), Packet::Pubrec(b))
        | (Incoming::Pubrel(a), Packet::Pubrel(b))
        | (Incoming::Pubcomp(a), Packet::Pubcomp(b))
        | (Incoming::Unsuback(a), Packet::Unsuback(b)) => *a == b.get(),
        (Incoming::Suback { pid, code }, Packet::Suback(s)) => {
            let first = match s.return_codes.first() {
                Some(S::Success(QoS::AtMostOnce)) => 0,
                Some(S::Success(QoS::AtLeastOnce)) => 1,
                Some(S::Success(QoS::ExactlyOnce)) => 2,
                Some(S::Failure) => 0x80,
                None => return false,
            };
            *pid == s.pid.get() && *code == first
        }
        (Incoming::Pingresp, Packet::Pingresp) => true,
        _ => false,
    }
}
