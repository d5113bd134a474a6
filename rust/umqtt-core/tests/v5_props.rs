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

const KINDS: [PacketKind; 14] = [
    PacketKind::Connect,
    PacketKind::Connack,
    PacketKind::Publish,
    PacketKind::Will,
    PacketKind::Puback,
    PacketKind::Pubrec,
    PacketKind::Pubrel,
    PacketKind::Pubcomp,
    PacketKind::Subscribe,
    PacketKind::Suback,
    PacketKind::Unsubscribe,
    PacketKind::Unsuback,
    PacketKind::Disconnect,
    PacketKind::Auth,
];

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
            Owned::Str(s) => Value::Utf8(s),
            Owned::Pair(k, v) => Value::Pair(k, v),
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
        k in 0usize..KINDS.len(),
        seeds in proptest::collection::vec(seed(), 0..10),
    ) {
        let kind = KINDS[k];
        let owned = props_from(kind, &seeds);
        let props = borrow(&owned);
        let mut out = vec![0u8; 1024];
        let n = encode_block(&props, kind, &mut out).unwrap();
        let (block, m) = Properties::parse(&out[..n], kind).unwrap();
        prop_assert_eq!(m, n);
        prop_assert_eq!(block.iter().collect::<Vec<_>>(), props);
        // Any other kind either refuses the block or reads it the same.
        for other in KINDS {
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
            topic: &topic,
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
        prop_assert_eq!((d, q, r, t, pl), (dup, qos, retain, topic.as_str(), &payload[..]));
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
                prop_assert!(!reason::allowed(kind, code));
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
            Err(_) => prop_assert!(!reason::allowed(PacketKind::Disconnect, code)),
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
                        .or_else(|_| KINDS.iter().find_map(|&k| encode_block(&all, k, &mut out).ok()).ok_or(()))
                        .unwrap();
                    prop_assert_eq!(&out[..n][n - props.as_bytes().len()..], props.as_bytes());
                }
                Ok(Decoded::NeedMore(n)) => prop_assert!(n > b.len()),
                Err(e) => prop_assert_eq!(e, umqtt_core::Error::ProtocolError),
            }
        }
    }
}
