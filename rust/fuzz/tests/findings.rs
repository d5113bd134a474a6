//! Defects the fuzzer found in the driver, as minimal tests on the public
//! API (RELIABILITY.md, "Findings"). A defect's test is `#[ignore]`d while
//! it stands; findings 1 to 4 are fixed and their tests run.
use umqtt_core::driver::{Driver, Event, Identity, Rx, Settings, Transmit};

const NOW: u32 = 1_000;

/// Opens the transport and sends CONNECT as the shim does.
fn open(d: &mut Driver<'static>, clean: bool) {
    while d.poll_event().is_some() {}
    d.connect(clean, NOW);
    assert_eq!(d.poll_event(), Some(Event::OpenTransport));
    assert!(d.handle_transport_up(NOW));
    let mut out = [0u8; 64];
    assert_eq!(d.poll_transmit(NOW, &mut out), Ok(Transmit::Connect));
    let id = Identity {
        client_id: b"fuzz",
        ..Identity::default()
    };
    d.encode_connect(&id, NOW, &mut out).expect("CONNECT");
}

fn rx(d: &mut Driver<'static>, bytes: &[u8]) -> usize {
    match d.handle_rx(bytes, NOW) {
        // A CONNACK is Rx::Connack since MQTT 5 was wired in.
        Ok(Rx::Consumed(n) | Rx::Connack { consumed: n, .. }) => n,
        other => panic!("{other:?}"),
    }
}

/// Finding 1. A resumed session owes the re-sends of two QoS 1 messages;
/// the broker's PUBACK for the first arrives (in the same read as the
/// CONNACK) before the client re-sent it. The driver must then re-send only
/// the second. It asks instead for the re-send of the acknowledged one
/// (`Transmit::Publish { slot: 0 }`), which `encode_publish` refuses with
/// `UnknownTicket`, and asks for it again on every `poll_transmit`: the
/// second message, subscription restores and keep-alive PINGREQs stay
/// behind it and `publish()` answers `WouldBlock`, until the first
/// message's ticket is read (or forgotten).
#[test]
fn an_acknowledgement_ahead_of_its_resend_does_not_block_the_other_resends() {
    let mut d = Driver::new();
    d.configure(Settings::default()).expect("settings");
    open(&mut d, true);
    rx(&mut d, &[0x20, 2, 0, 0]);
    let mut out = [0u8; 64];
    let a = d.publish(b"a", b"1", 1, false, NOW, &mut out).expect("publish a");
    let b = d.publish(b"b", b"2", 1, false, NOW, &mut out).expect("publish b");
    assert_eq!((a.slot, b.slot), (0, 1));

    // The application reconnects, resuming the session.
    open(&mut d, false);
    let read = [0x20, 2, 1, 0, 0x40, 2, 0, 1]; // CONNACK(session present), PUBACK 1
    let n = rx(&mut d, &read);
    rx(&mut d, &read[n..]);
    assert_eq!(d.client().inflight_count(), 1, "message a is acknowledged");

    // Only b is owed.
    assert_eq!(d.poll_transmit(NOW, &mut out), Ok(Transmit::Publish { slot: 1 }));
    assert_eq!(d.encode_publish(1, b"b", b"2", NOW, &mut out).map(|n| out[0] & 0x08 != 0 && n > 0), Ok(true));
    assert_eq!(d.poll_transmit(NOW, &mut out), Ok(Transmit::Nothing));
    assert!(d.is_ready());
}

/// Finding 3 (RELIABILITY.md), open: a Topic Alias set by a QoS 2 PUBLISH
/// the driver takes as a duplicate (consumed, not delivered) is recorded by
/// the driver but never handed to the caller, so the shim, which keeps each
/// alias's topic from the messages it is given, cannot resolve a later
/// message that uses the alias (the C shim delivers it with the topic b"",
/// or with the topic an earlier message had set under that number).
/// The fuzzer's input: corpus/v5_driver/finding-alias-set-by-qos2-duplicate.
/// Fixed: the duplicate comes out as `Rx::Duplicate` with its topic and alias.
#[test]
fn an_alias_set_by_a_qos2_duplicate_reaches_the_caller() {
    use umqtt_core::v5::properties::{encode_block, id, PacketKind, Property, Value};
    let mut d = Driver::new();
    d.configure(Settings {
        protocol_level: 5,
        ..Settings::default()
    })
    .expect("level 5");
    while d.poll_event().is_some() {}
    d.connect(true, NOW);
    assert_eq!(d.poll_event(), Some(Event::OpenTransport));
    assert!(d.handle_transport_up(NOW));
    let mut out = [0u8; 128];
    assert_eq!(d.poll_transmit(NOW, &mut out), Ok(Transmit::Connect));
    // We accept up to 9 incoming aliases.
    let props = [0x22, 0x00, 0x09];
    let id5 = Identity {
        client_id: b"fuzz",
        props: &props,
        ..Identity::default()
    };
    d.encode_connect(&id5, NOW, &mut out).expect("CONNECT");
    assert!(matches!(
        d.handle_rx(&[0x20, 0x03, 0x00, 0x00, 0x00], NOW),
        Ok(Rx::Connack { consumed: 5, .. })
    ));
    let publish = |h: u8, topic: &[u8], pid: Option<u16>, alias: Option<u16>| {
        let mut body = (topic.len() as u16).to_be_bytes().to_vec();
        body.extend_from_slice(topic);
        if let Some(p) = pid {
            body.extend_from_slice(&p.to_be_bytes());
        }
        let ps: Vec<Property<'_>> = alias
            .map(|a| Property {
                id: id::TOPIC_ALIAS,
                value: Value::TwoByte(a),
            })
            .into_iter()
            .collect();
        let mut blk = [0u8; 16];
        let n = encode_block(&ps, PacketKind::Publish, &mut blk).expect("block");
        body.extend_from_slice(&blk[..n]);
        body.extend_from_slice(b"m");
        let mut v = vec![h, body.len() as u8];
        v.extend(body);
        v
    };
    // Topics the caller was handed with an alias, as the shim keeps them.
    let mut kept: Vec<(u16, Vec<u8>)> = Vec::new();
    let mut feed = |d: &mut Driver<'static>, bytes: &[u8]| -> Option<(Vec<u8>, u16)> {
        let r = d.handle_rx(bytes, NOW).expect("handled");
        match r {
            Rx::Message(m) => {
                let got = (m.topic.to_vec(), m.alias);
                if !m.topic.is_empty() && m.alias != 0 {
                    kept.push((m.alias, m.topic.to_vec()));
                }
                d.accept_message(NOW).expect("accepted");
                while !matches!(d.poll_transmit(NOW, &mut [0u8; 16]), Ok(Transmit::Nothing)) {}
                Some(got)
            }
            Rx::Consumed(_) => {
                while !matches!(d.poll_transmit(NOW, &mut [0u8; 16]), Ok(Transmit::Nothing)) {}
                None
            }
            Rx::Duplicate { topic, alias, .. } => {
                kept.push((alias, topic.to_vec()));
                while !matches!(d.poll_transmit(NOW, &mut [0u8; 16]), Ok(Transmit::Nothing)) {}
                None
            }
            other => panic!("{other:?}"),
        }
    };
    // QoS 2 "s/t1", id 9: delivered, PUBREC owed, its PUBREL not yet come.
    assert!(feed(&mut d, &publish(0x34, b"s/t1", Some(9), None)).is_some());
    // The broker sends id 9 again (its PUBREC lost, say), now setting alias 4.
    // The driver answers PUBREC, records alias 4 and hands its topic out.
    let dup = feed(&mut d, &publish(0x3c, b"s/t1", Some(9), Some(4)));
    // A new message names its topic by alias 4 alone.
    let (topic, alias) = feed(&mut d, &publish(0x30, b"", None, Some(4))).expect("delivered");
    assert_eq!((topic.as_slice(), alias), (&b""[..], 4));
    assert!(
        dup.is_some() || kept.iter().any(|(a, _)| *a == 4),
        "alias 4 was accepted in use, but its topic was never handed to the caller"
    );
}

/// Finding 4 (RELIABILITY.md), open: SUBSCRIBE (and UNSUBSCRIBE) are not
/// held to the broker's Maximum Packet Size ([MQTT-3.1.2-24]); PUBLISH is.
/// The fuzzer's input:
/// corpus/v5_driver/finding-subscribe-above-maximum-packet-size.
/// Fixed: refused with `PacketTooLarge` before anything is written.
#[test]
fn a_subscribe_above_the_maximum_packet_size_is_refused() {
    use umqtt_core::SubOptions;
    let mut d = Driver::new();
    d.configure(Settings {
        protocol_level: 5,
        ..Settings::default()
    })
    .expect("level 5");
    open(&mut d, true);
    // CONNACK with Maximum Packet Size 12.
    let connack = [0x20, 0x08, 0x00, 0x00, 0x05, 0x27, 0x00, 0x00, 0x00, 0x0c];
    assert_eq!(rx(&mut d, &connack), connack.len());
    let mut out = [0u8; 64];
    let r = d.subscribe_with(b"s/+", SubOptions { options: 0x18, id: 1 }, None, NOW, &mut out);
    assert!(
        !matches!(r, Ok(op) if op.len > 12),
        "a {}-byte SUBSCRIBE written with the broker's limit at 12",
        r.map(|op| op.len).unwrap_or(0)
    );
}
