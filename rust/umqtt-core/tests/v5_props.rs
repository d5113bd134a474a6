//! MQTT 5 codec properties (feature `mqtt5`): property blocks and packets
//! read back what was written, hostile bytes never panic the decoder, and a
//! packet's prefixes ask for more.
#![cfg(feature = "mqtt5")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;
use umqtt_core::pid::PacketId;
use umqtt_core::v5::decode::{decode, Decoded, Incoming};
use umqtt_core::v5::encode::{self, AckKind, Publish};
use umqtt_core::v5::properties::{
    encode_block, id, spec, PacketKind, Properties, Property, Value, ValueType,
};
use umqtt_core::v5::reason;

fn config() -> ProptestConfig {
    ProptestConfig {
        // Miri (make miri) interprets every case: a few are enough there.
        cases: if cfg!(miri) { 4 } else { 256 },
        ..ProptestConfig::default()
    }
}

/// An owned property value (the codec's borrow).
#[derive(Clone, Debug, PartialEq)]
enum Owned {
    Byte(u8),
    Two(u16),
    Four(u32),
    Var(u32),
    Str(String),
    Pair(String, String),
    Bin(Vec<u8>),
}

impl Owned {
    fn value(&self) -> Value<'_> {
        match self {
            Owned::Byte(b) => Value::Byte(*b),
            Owned::Two(v) => Value::TwoByte(*v),
            Owned::Four(v) => Value::FourByte(*v),
            Owned::Var(v) => Value::VarInt(*v),
            Owned::Str(s) => Value::Utf8(s.as_bytes()),
            Owned::Pair(k, v) => Value::Pair(k.as_bytes(), v.as_bytes()),
            Owned::Bin(b) => Value::Binary(b),
        }
    }
}

/// Seeds from which a valid property of any type is made.
type Seed = (u8, u32, String, String, Vec<u8>);

fn seed() -> impl Strategy<Value = Seed> {
    (
        any::<u8>(),
        1u32..=268_435_455,
        "[a-zA-Z0-9/ _äö€-]{0,12}",
        "[a-z]{0,6}",
        proptest::collection::vec(any::<u8>(), 0..12),
    )
}

fn ids_of(kind: PacketKind) -> Vec<u8> {
    (0u8..=0x7f)
        .filter(|&i| matches!(spec(i), Some((_, m)) if m & (1u16 << (kind as u16)) != 0))
        .collect()
}

/// Valid properties of `kind` from seeds: ids that may not repeat are kept once.
fn props_from(kind: PacketKind, seeds: &[Seed]) -> Vec<(u8, Owned)> {
    let ids = ids_of(kind);
    let mut out: Vec<(u8, Owned)> = Vec::new();
    for (pick, n, s, s2, b) in seeds {
        let pid = ids[usize::from(*pick) % ids.len()];
        let repeatable = pid == id::USER_PROPERTY
            || (pid == id::SUBSCRIPTION_IDENTIFIER && kind == PacketKind::Publish);
        if !repeatable && out.iter().any(|(i, _)| *i == pid) {
            continue;
        }
        let v = match spec(pid).unwrap().0 {
            ValueType::Byte => Owned::Byte((*n % 2) as u8),
            ValueType::TwoByte => Owned::Two((*n % 65_535 + 1) as u16),
            ValueType::FourByte => Owned::Four(*n),
            ValueType::VarInt => Owned::Var(*n),
            ValueType::Utf8 => Owned::Str(s.clone()),
            ValueType::Pair => Owned::Pair(s.clone(), s2.clone()),
            ValueType::Binary => Owned::Bin(b.clone()),
        };
        out.push((pid, v));
    }
    out
}

fn borrow(props: &[(u8, Owned)]) -> Vec<Property<'_>> {
    props
        .iter()
        .map(|(i, v)| Property {
            id: *i,
            value: v.value(),
        })
        .collect()
}

fn whole(bytes: &[u8]) -> Incoming<'_> {
    match decode(bytes) {
        Ok(Decoded::Packet { consumed, packet }) => {
            assert_eq!(consumed, bytes.len());
            packet
        }
        other => panic!("{other:?}"),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_property_block_reads_back_what_was_written(
        k in 0usize..PacketKind::ALL.len(),
        seeds in proptest::collection::vec(seed(), 0..10),
    ) {
        let kind = PacketKind::ALL[k];
        let owned = props_from(kind, &seeds);
        let props = borrow(&owned);
        let mut out = vec![0u8; 1024];
        let n = encode_block(&props, kind, &mut out).unwrap();
        let (block, m) = Properties::parse(&out[..n], kind).unwrap();
        prop_assert_eq!(m, n);
        prop_assert_eq!(block.iter().collect::<Vec<_>>(), props);
        // Any other kind either refuses the block or reads it the same.
        for other in PacketKind::ALL {
            if let Ok((b, _)) = Properties::parse(&out[..n], other) {
                prop_assert_eq!(b, block);
            }
        }
        // Every cut of the block is refused.
        for cut in 0..n {
            prop_assert!(Properties::parse(&out[..cut], kind).is_err());
        }
    }

    #[test]
    fn a_publish_reads_back_what_was_written(
        topic in "[a-zA-Z0-9/ _äö€-]{0,20}",
        payload in proptest::collection::vec(any::<u8>(), 0..200),
        qos in 0u8..=2,
        pid in 1u16..=u16::MAX,
        retain in any::<bool>(),
        dup in any::<bool>(),
        seeds in proptest::collection::vec(seed(), 0..6),
        alias in 1u16..=u16::MAX,
    ) {
        let mut owned = props_from(PacketKind::Publish, &seeds);
        if topic.is_empty() && !owned.iter().any(|(i, _)| *i == id::TOPIC_ALIAS) {
            owned.push((id::TOPIC_ALIAS, Owned::Two(alias)));
        }
        let props = borrow(&owned);
        let p = Publish {
            raw: &[],
            topic: topic.as_bytes(),
            payload: &payload,
            qos,
            pid: PacketId::new(pid),
            retain,
            dup,
            properties: &props,
        };
        let size = encode::publish_size(&p).unwrap();
        let mut out = vec![0u8; size];
        prop_assert_eq!(encode::encode_publish(&p, &mut out), Ok(size));
        let Incoming::Publish { dup: d, qos: q, retain: r, topic: t, pid: i, properties, payload: pl } =
            whole(&out)
        else {
            panic!("not a publish")
        };
        prop_assert_eq!((d, q, r, t, pl), (dup, qos, retain, topic.as_bytes(), &payload[..]));
        prop_assert_eq!(i, if qos == 0 { 0 } else { pid });
        prop_assert_eq!(properties.iter().collect::<Vec<_>>(), props);
        for cut in 0..size {
            prop_assert!(matches!(decode(&out[..cut]), Ok(Decoded::NeedMore(n)) if n > cut));
        }
    }

    #[test]
    fn acks_and_disconnect_read_back_what_was_written(
        k in 0usize..4,
        pid in 1u16..=u16::MAX,
        code in any::<u8>(),
        seeds in proptest::collection::vec(seed(), 0..4),
    ) {
        let (ack, kind) = [
            (AckKind::Puback, PacketKind::Puback),
            (AckKind::Pubrec, PacketKind::Pubrec),
            (AckKind::Pubrel, PacketKind::Pubrel),
            (AckKind::Pubcomp, PacketKind::Pubcomp),
        ][k];
        let owned = props_from(kind, &seeds);
        let props = borrow(&owned);
        let mut out = vec![0u8; 512];
        let pid = PacketId::new(pid).unwrap();
        match encode::encode_ack(ack, pid, code, &props, &mut out) {
            Err(e) => {
                prop_assert_eq!(e, umqtt_core::Error::BadArgument);
                prop_assert!(!reason::from_client(kind, code));
            }
            Ok(n) => {
                let a = match whole(&out[..n]) {
                    Incoming::Puback(a) | Incoming::Pubrec(a) | Incoming::Pubrel(a)
                    | Incoming::Pubcomp(a) => a,
                    p => panic!("{p:?}"),
                };
                prop_assert_eq!((a.pid, a.reason), (pid.get(), code));
                prop_assert_eq!(a.properties.iter().collect::<Vec<_>>(), props.clone());
            }
        }
        let owned = props_from(PacketKind::Disconnect, &seeds);
        let props = borrow(&owned);
        match encode::encode_disconnect(code, &props, &mut out) {
            Err(_) => prop_assert!(!reason::from_client(PacketKind::Disconnect, code)),
            // A client's own code (0x04, with will) is not one a server sends.
            Ok(n) if !reason::from_server(PacketKind::Disconnect, code) => {
                prop_assert_eq!(decode(&out[..n]), Err(umqtt_core::Error::ProtocolError));
            }
            Ok(n) => {
                let Incoming::Disconnect { reason, properties } = whole(&out[..n]) else {
                    panic!("not a disconnect")
                };
                prop_assert_eq!(reason, code);
                prop_assert_eq!(properties.iter().collect::<Vec<_>>(), props);
            }
        }
    }

    #[test]
    fn hostile_bytes_never_panic_and_never_read_past_the_packet(
        bytes in proptest::collection::vec(any::<u8>(), 0..64),
        first in prop::sample::select(vec![0x20u8, 0x30, 0x32, 0x35, 0x40, 0x50, 0x62, 0x70, 0x90, 0xb0, 0xd0, 0xe0, 0xf0]),
    ) {
        let mut buf = vec![first];
        buf.extend_from_slice(&bytes);
        for b in [&bytes[..], &buf[..]] {
            match decode(b) {
                Ok(Decoded::Packet { consumed, packet }) => {
                    prop_assert!(consumed <= b.len());
                    // What was accepted reads back the same from exactly its bytes.
                    prop_assert_eq!(decode(&b[..consumed]).unwrap(), Decoded::Packet { consumed, packet });
                    let props = match packet {
                        Incoming::Connack { properties, .. }
                        | Incoming::Publish { properties, .. }
                        | Incoming::Disconnect { properties, .. }
                        | Incoming::Auth { properties, .. } => properties,
                        Incoming::Puback(a) | Incoming::Pubrec(a) | Incoming::Pubrel(a)
                        | Incoming::Pubcomp(a) => a.properties,
                        Incoming::Suback(s) | Incoming::Unsuback(s) => s.properties,
                        Incoming::Pingresp => Properties::default(),
                    };
                    // A checked block iterates over all of its bytes.
                    let mut out = vec![0u8; 256];
                    let all: Vec<Property<'_>> = props.iter().collect();
                    let n = encode_block(&all, PacketKind::Publish, &mut out)
                        .or_else(|_| PacketKind::ALL.iter().find_map(|&k| encode_block(&all, k, &mut out).ok()).ok_or(()))
                        .unwrap();
                    prop_assert_eq!(&out[..n][n - props.as_bytes().len()..], props.as_bytes());
                }
                Ok(Decoded::NeedMore(n)) => prop_assert!(n > b.len()),
                Err(e) => prop_assert_eq!(e, umqtt_core::Error::ProtocolError),
            }
        }
    }
}

// --- mqttbytes 0.6 (v5) as the oracle: what one writes, the other reads ---

mod oracle {
    use super::*;
    use bytes::{Bytes, BytesMut};
    use mqttbytes::v5 as mb;
    use mqttbytes::QoS;
    use umqtt_core::v5::encode::{Connect, Subscription, SubscriptionOptions, Will};

    fn qos(q: u8) -> QoS {
        match q {
            0 => QoS::AtMostOnce,
            1 => QoS::AtLeastOnce,
            _ => QoS::ExactlyOnce,
        }
    }

    /// mqttbytes reads one packet (panics if it refuses).
    fn theirs(bytes: &[u8]) -> mb::Packet {
        let mut b = BytesMut::from(bytes);
        let p = mb::read(&mut b, 1 << 20).unwrap();
        assert!(b.is_empty(), "mqttbytes left {} bytes", b.len());
        p
    }

    fn written(f: impl FnOnce(&mut BytesMut)) -> Vec<u8> {
        let mut b = BytesMut::new();
        f(&mut b);
        b.to_vec()
    }

    fn sorted(mut v: Vec<(u8, Owned)>) -> Vec<(u8, Owned)> {
        v.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        v
    }

    fn ours(props: Properties<'_>) -> Vec<(u8, Owned)> {
        props
            .iter()
            .map(|p| {
                let v = match p.value {
                    Value::Byte(b) => Owned::Byte(b),
                    Value::TwoByte(v) => Owned::Two(v),
                    Value::FourByte(v) => Owned::Four(v),
                    Value::VarInt(v) => Owned::Var(v),
                    Value::Utf8(s) => Owned::Str(String::from_utf8(s.to_vec()).unwrap()),
                    Value::Pair(k, v) => Owned::Pair(
                        String::from_utf8(k.to_vec()).unwrap(),
                        String::from_utf8(v.to_vec()).unwrap(),
                    ),
                    Value::Binary(b) => Owned::Bin(b.into()),
                };
                (p.id, v)
            })
            .collect()
    }

    fn publish_props(p: &Option<mb::PublishProperties>) -> Vec<(u8, Owned)> {
        let mut v = Vec::new();
        let Some(p) = p else { return v };
        let s = |x: &String| Owned::Str(x.clone());
        v.extend(p.payload_format_indicator.map(|b| (id::PAYLOAD_FORMAT_INDICATOR, Owned::Byte(b))));
        v.extend(p.message_expiry_interval.map(|n| (id::MESSAGE_EXPIRY_INTERVAL, Owned::Four(n))));
        v.extend(p.topic_alias.map(|n| (id::TOPIC_ALIAS, Owned::Two(n))));
        v.extend(p.response_topic.as_ref().map(|x| (id::RESPONSE_TOPIC, s(x))));
        v.extend(p.correlation_data.as_ref().map(|b| (id::CORRELATION_DATA, Owned::Bin(b.to_vec()))));
        v.extend(p.content_type.as_ref().map(|x| (id::CONTENT_TYPE, s(x))));
        v.extend(p.subscription_identifiers.iter().map(|&n| (id::SUBSCRIPTION_IDENTIFIER, Owned::Var(n as u32))));
        v.extend(p.user_properties.iter().map(|(k, x)| (id::USER_PROPERTY, Owned::Pair(k.clone(), x.clone()))));
        v
    }

    fn to_publish_props(props: &[(u8, Owned)]) -> Option<mb::PublishProperties> {
        if props.is_empty() {
            return None;
        }
        let mut p = mb::PublishProperties {
            payload_format_indicator: None,
            message_expiry_interval: None,
            topic_alias: None,
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
            subscription_identifiers: Vec::new(),
            content_type: None,
        };
        for (i, v) in props {
            match (*i, v) {
                (id::PAYLOAD_FORMAT_INDICATOR, Owned::Byte(b)) => p.payload_format_indicator = Some(*b),
                (id::MESSAGE_EXPIRY_INTERVAL, Owned::Four(n)) => p.message_expiry_interval = Some(*n),
                (id::TOPIC_ALIAS, Owned::Two(n)) => p.topic_alias = Some(*n),
                (id::RESPONSE_TOPIC, Owned::Str(s)) => p.response_topic = Some(s.clone()),
                (id::CORRELATION_DATA, Owned::Bin(b)) => p.correlation_data = Some(Bytes::from(b.clone())),
                (id::CONTENT_TYPE, Owned::Str(s)) => p.content_type = Some(s.clone()),
                (id::SUBSCRIPTION_IDENTIFIER, Owned::Var(n)) => p.subscription_identifiers.push(*n as usize),
                (id::USER_PROPERTY, Owned::Pair(k, x)) => p.user_properties.push((k.clone(), x.clone())),
                other => panic!("not a publish property: {other:?}"),
            }
        }
        Some(p)
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn mqttbytes_reads_our_publish(
            topic in "[a-zA-Z0-9/ _äö€-]{1,20}",
            payload in proptest::collection::vec(any::<u8>(), 0..100),
            q in 0u8..=2,
            pid in 1u16..=u16::MAX,
            retain in any::<bool>(),
            dup in any::<bool>(),
            seeds in proptest::collection::vec(seed(), 0..6),
        ) {
            // mqttbytes 0.6 counts a Subscription Identifier's identifier byte
            // twice (`cursor += 1 + id_len` in PublishProperties::extract), so
            // it stops short and reads the rest of the block as payload: none
            // go its way (a client never sends one in a PUBLISH anyway).
            let owned: Vec<_> = props_from(PacketKind::Publish, &seeds)
                .into_iter()
                .filter(|(i, _)| *i != id::SUBSCRIPTION_IDENTIFIER)
                .collect();
            let props = borrow(&owned);
            let p = Publish { topic: topic.as_bytes(), payload: &payload, qos: q, pid: PacketId::new(pid), retain, dup, properties: &props, raw: &[] };
            let mut out = vec![0u8; encode::publish_size(&p).unwrap()];
            encode::encode_publish(&p, &mut out).unwrap();
            let mb::Packet::Publish(t) = theirs(&out) else { panic!("not a publish") };
            prop_assert_eq!((t.dup, t.qos, t.retain), (dup, qos(q), retain));
            prop_assert_eq!(t.topic, topic);
            prop_assert_eq!(t.pkid, if q == 0 { 0 } else { pid });
            prop_assert_eq!(&t.payload[..], &payload[..]);
            prop_assert_eq!(sorted(publish_props(&t.properties)), sorted(owned));
        }

        #[test]
        fn we_read_mqttbytes_publish(
            topic in "[a-zA-Z0-9/ _äö€-]{1,20}",
            payload in proptest::collection::vec(any::<u8>(), 0..100),
            q in 0u8..=2,
            pid in 1u16..=u16::MAX,
            retain in any::<bool>(),
            seeds in proptest::collection::vec(seed(), 0..6),
        ) {
            let owned = props_from(PacketKind::Publish, &seeds);
            let mut p = mb::Publish::new(topic.clone(), qos(q), payload.clone());
            p.pkid = if q == 0 { 0 } else { pid };
            p.retain = retain;
            p.properties = to_publish_props(&owned);
            let bytes = written(|b| { p.write(b).unwrap(); });
            let Incoming::Publish { qos: rq, retain: rr, topic: rt, pid: rp, properties, payload: rpl, .. } =
                whole(&bytes)
            else { panic!("not a publish") };
            prop_assert_eq!((rq, rr, rt, rp, rpl), (q, retain, topic.as_bytes(), p.pkid, &payload[..]));
            prop_assert_eq!(sorted(ours(properties)), sorted(owned));
        }
    }

    #[test]
    fn mqttbytes_reads_our_connect() {
        let props = [
            Property { id: id::SESSION_EXPIRY_INTERVAL, value: Value::FourByte(300) },
            Property { id: id::RECEIVE_MAXIMUM, value: Value::TwoByte(8) },
            Property { id: id::USER_PROPERTY, value: Value::Pair(b"a", b"b") },
        ];
        let will_props = [Property { id: id::WILL_DELAY_INTERVAL, value: Value::FourByte(9) }];
        let c = Connect {
            raw: &[],
            clean_start: true,
            keepalive_s: 30,
            client_id: b"dev-1",
            properties: &props,
            will: Some(Will { topic: b"st", payload: b"gone", qos: 2, retain: false, properties: &will_props, raw: &[] }),
            user: Some(b"u"),
            password: Some(b"pw"),
        };
        let mut out = [0u8; 128];
        let n = encode::encode_connect(&c, &mut out).unwrap();
        let mb::Packet::Connect(t) = theirs(&out[..n]) else { panic!("not a connect") };
        assert_eq!(t.protocol, mqttbytes::Protocol::V5);
        assert_eq!((t.keep_alive, t.client_id.as_str(), t.clean_session), (30, "dev-1", true));
        let p = t.properties.unwrap();
        assert_eq!((p.session_expiry_interval, p.receive_maximum), (Some(300), Some(8)));
        assert_eq!(p.user_properties, [("a".to_string(), "b".to_string())]);
        let w = t.last_will.unwrap();
        assert_eq!((w.topic.as_str(), &w.message[..], w.qos, w.retain), ("st", &b"gone"[..], QoS::ExactlyOnce, false));
        assert_eq!(w.properties.unwrap().delay_interval, Some(9));
        let l = t.login.unwrap();
        assert_eq!((l.username.as_str(), l.password.as_str()), ("u", "pw"));
    }

    #[test]
    fn mqttbytes_reads_our_subscribe_and_unsubscribe() {
        let subs = [
            Subscription {
                filter: b"a/+",
                options: SubscriptionOptions { qos: 2, no_local: true, retain_as_published: false, retain_handling: 1 },
            },
            Subscription {
                filter: b"b/#",
                options: SubscriptionOptions { qos: 0, no_local: false, retain_as_published: true, retain_handling: 2 },
            },
        ];
        let up = [Property { id: id::USER_PROPERTY, value: Value::Pair(b"k", b"v") }];
        let mut out = [0u8; 64];
        let pid = PacketId::new(42).unwrap();
        let n = encode::encode_subscribe(pid, &subs, Some(70_000), &up, &mut out).unwrap();
        let mb::Packet::Subscribe(t) = theirs(&out[..n]) else { panic!("not a subscribe") };
        assert_eq!(t.pkid, 42);
        let p = t.properties.unwrap();
        assert_eq!(p.id, Some(70_000));
        assert_eq!(p.user_properties, [("k".to_string(), "v".to_string())]);
        assert_eq!(t.filters.len(), 2);
        let (f0, f1) = (&t.filters[0], &t.filters[1]);
        assert_eq!((f0.path.as_str(), f0.qos, f0.nolocal, f0.preserve_retain), ("a/+", QoS::ExactlyOnce, true, false));
        assert_eq!(f0.retain_forward_rule, mb::RetainForwardRule::OnNewSubscribe);
        assert_eq!((f1.path.as_str(), f1.qos, f1.nolocal, f1.preserve_retain), ("b/#", QoS::AtMostOnce, false, true));
        assert_eq!(f1.retain_forward_rule, mb::RetainForwardRule::Never);

        let n = encode::encode_unsubscribe(pid, &[b"a/+", b"c"], &up, &mut out).unwrap();
        let mb::Packet::Unsubscribe(t) = theirs(&out[..n]) else { panic!("not an unsubscribe") };
        assert_eq!((t.pkid, t.filters), (42, vec!["a/+".to_string(), "c".to_string()]));
        assert_eq!(t.properties.unwrap().user_properties, [("k".to_string(), "v".to_string())]);
    }

    #[test]
    fn mqttbytes_reads_our_acks() {
        let rs = [Property { id: id::REASON_STRING, value: Value::Utf8(b"why") }];
        let mut out = [0u8; 32];
        let pid = PacketId::new(513).unwrap();
        let n = encode::encode_ack(AckKind::Puback, pid, 0x10, &rs, &mut out).unwrap();
        let mb::Packet::PubAck(t) = theirs(&out[..n]) else { panic!("not a puback") };
        assert_eq!((t.pkid, t.reason), (513, mb::PubAckReason::NoMatchingSubscribers));
        assert_eq!(t.properties.unwrap().reason_string.as_deref(), Some("why"));
        let n = encode::encode_ack(AckKind::Puback, pid, 0, &[], &mut out).unwrap();
        let mb::Packet::PubAck(t) = theirs(&out[..n]) else { panic!("not a puback") };
        assert_eq!((t.pkid, t.reason, t.properties), (513, mb::PubAckReason::Success, None));
    }

    #[test]
    fn we_read_mqttbytes_connack_suback_and_disconnect() {
        let mut c = mb::ConnAck::new(mb::ConnectReturnCode::Success, true);
        c.properties = Some(mb::ConnAckProperties {
            session_expiry_interval: Some(60),
            receive_max: Some(20),
            max_qos: Some(1),
            retain_available: Some(0),
            max_packet_size: Some(4096),
            assigned_client_identifier: Some("auto-1".into()),
            topic_alias_max: Some(5),
            reason_string: None,
            user_properties: vec![("x".into(), "y".into())],
            wildcard_subscription_available: Some(1),
            subscription_identifiers_available: Some(1),
            shared_subscription_available: Some(0),
            server_keep_alive: Some(120),
            response_information: None,
            server_reference: None,
            authentication_method: None,
            authentication_data: None,
        });
        let bytes = written(|b| { c.write(b).unwrap(); });
        let Incoming::Connack { session_present, reason, properties } = whole(&bytes) else { panic!("not a connack") };
        assert!(session_present);
        assert_eq!(reason, 0);
        assert_eq!(properties.get(id::RECEIVE_MAXIMUM), Some(Value::TwoByte(20)));
        assert_eq!(properties.get(id::ASSIGNED_CLIENT_IDENTIFIER), Some(Value::Utf8(b"auto-1")));
        assert_eq!(properties.get(id::SERVER_KEEP_ALIVE), Some(Value::TwoByte(120)));
        assert_eq!(properties.get(id::MAXIMUM_PACKET_SIZE), Some(Value::FourByte(4096)));
        assert_eq!(properties.user_properties().collect::<Vec<_>>(), [(&b"x"[..], &b"y"[..])]);
        assert_eq!(properties.iter().count(), 12);

        let s = mb::SubAck::new(7, vec![mb::SubscribeReasonCode::QoS1, mb::SubscribeReasonCode::NotAuthorized]);
        let bytes = written(|b| { s.write(b).unwrap(); });
        let Incoming::Suback(s) = whole(&bytes) else { panic!("not a suback") };
        assert_eq!((s.pid, s.reasons), (7, &[0x01, 0x87][..]));

        let mut d = mb::Disconnect::new();
        d.reason_code = mb::DisconnectReasonCode::ServerMoved;
        let bytes = written(|b| { d.write(b).unwrap(); });
        let Incoming::Disconnect { reason, .. } = whole(&bytes) else { panic!("not a disconnect") };
        assert_eq!(reason, 0x9d);
    }
}
