//! v5_decode: the MQTT 5 codec (umqtt-core's feature `mqtt5`) on arbitrary
//! bytes, taken as what a broker sends.
//!
//! - [`decode`] never panics; a decoded packet took at most the bytes given;
//!   one that has an encoder (PUBLISH; PUBACK, PUBREC, PUBREL, PUBCOMP and
//!   DISCONNECT with a reason code a client may send) re-encodes into bytes
//!   that decode to the same value, and a PUBLISH whose fixed header was
//!   minimal into the very same bytes; an acknowledgement or DISCONNECT
//!   whose reason code only a server may send is refused by the encoder;
//! - [`decode_head`] on prefixes of the input agrees with [`decode`] on the
//!   whole packet (the input completed with zeros when it is short): a head
//!   refused is a packet refused, a head decoded is the packet decoded
//!   without its payload, `NeedMore(n)` asks for more than it has, `Whole`
//!   only for another type or a PUBLISH whole in the prefix;
//! - [`Properties::parse`] for every [`PacketKind`] never panics; a block it
//!   accepts re-encodes ([`encode_block`]) into the same bytes, reads the
//!   same for every other kind that accepts it, and its accessors run.

use umqtt_core::pid::PacketId;
use umqtt_core::v5::decode::{decode, decode_head, Ack, Decoded, DecodedHead, Incoming};
use umqtt_core::v5::encode::{self, AckKind, Publish};
use umqtt_core::v5::properties::{encode_block, PacketKind, Properties, Property};
use umqtt_core::v5::reason;
use umqtt_core::Error;

/// Longest completion of a short input (zeros) for the head check.
const MAX_PAD: usize = 1 << 16;
/// Prefixes of the input tried with decode_head: all of them up to this
/// length, then a sample (the cost is prefixes times head length).
const ALL_CUTS: usize = 512;

/// The target.
pub fn run_v5(data: &[u8]) {
    whole(data);
    heads(data);
    blocks(data);
}

fn whole(data: &[u8]) {
    match decode(data) {
        Ok(Decoded::NeedMore(n)) => {
            assert!(n > data.len(), "NeedMore({n}) with {} bytes", data.len())
        }
        Ok(Decoded::Packet { consumed, packet }) => {
            assert!(consumed <= data.len());
            touch(&packet);
            reencode(&data[..consumed], &packet);
        }
        Err(e) => assert_eq!(e, Error::ProtocolError),
    }
}

/// Runs every accessor of the packet's property block.
fn touch(packet: &Incoming<'_>) {
    let props = match packet {
        Incoming::Connack { properties, .. }
        | Incoming::Publish { properties, .. }
        | Incoming::Disconnect { properties, .. }
        | Incoming::Auth { properties, .. } => *properties,
        Incoming::Puback(a) | Incoming::Pubrec(a) | Incoming::Pubrel(a) | Incoming::Pubcomp(a) => {
            a.properties
        }
        Incoming::Suback(s) | Incoming::Unsuback(s) => s.properties,
        Incoming::Pingresp => Properties::default(),
    };
    touch_block(&props);
}

fn touch_block(props: &Properties<'_>) {
    let n = props.iter().count();
    assert_eq!(n == 0, props.is_empty());
    for p in props.iter() {
        assert!(props.get(p.id).is_some());
    }
    let _ = props.user_properties().count();
    let _ = props.subscription_ids().count();
    let _ = props.topic_alias();
    let _ = props.reason_string();
}

/// The fixed header of `bytes` is as short as its remaining length allows.
fn minimal_header(bytes: &[u8]) -> bool {
    let mut len = 0usize;
    let mut n = 0;
    for (i, &b) in bytes.iter().skip(1).take(4).enumerate() {
        len |= usize::from(b & 0x7f) << (7 * i);
        n = i + 1;
        if b & 0x80 == 0 {
            break;
        }
    }
    let minimal = match len {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    };
    n == minimal
}

/// Decodes what an encoder wrote: one whole packet, all of `out`.
fn redecode(out: &[u8]) -> Incoming<'_> {
    match decode(out) {
        Ok(Decoded::Packet { consumed, packet }) => {
            assert_eq!(consumed, out.len(), "re-encoded {out:02x?}");
            packet
        }
        other => panic!("re-encoded {out:02x?} decodes as {other:?}"),
    }
}

fn reencode(bytes: &[u8], packet: &Incoming<'_>) {
    let mut out = vec![0u8; bytes.len() + 8];
    match *packet {
        Incoming::Publish {
            dup,
            qos,
            retain,
            topic,
            pid,
            properties,
            payload,
        } => {
            let props: Vec<Property<'_>> = properties.iter().collect();
            let p = Publish {
                topic,
                payload,
                qos,
                pid: PacketId::new(pid),
                retain,
                dup,
                properties: &props,
                raw: &[],
            };
            let n = encode::encode_publish(&p, &mut out).unwrap_or_else(|e| {
                panic!("a decoded PUBLISH does not encode: {e:?}, {bytes:02x?}")
            });
            assert_eq!(redecode(&out[..n]), *packet, "PUBLISH {bytes:02x?}");
            if minimal_header(bytes) {
                assert_eq!(&out[..n], bytes, "PUBLISH re-encoded differently");
            }
            // The same block handed over already encoded (`raw`) writes the
            // same bytes. (Not for an empty topic: encode_publish looks for
            // its Topic Alias in `properties` only and refuses it.)
            let q = Publish {
                properties: &[],
                raw: properties.as_bytes(),
                ..p
            };
            if !topic.is_empty() {
                let mut again = vec![0u8; n];
                assert_eq!(encode::encode_publish(&q, &mut again), Ok(n), "raw block");
                assert_eq!(again, &out[..n], "PUBLISH with a raw block");
            }
        }
        Incoming::Puback(a) => ack(AckKind::Puback, PacketKind::Puback, &a, packet, &mut out),
        Incoming::Pubrec(a) => ack(AckKind::Pubrec, PacketKind::Pubrec, &a, packet, &mut out),
        Incoming::Pubrel(a) => ack(AckKind::Pubrel, PacketKind::Pubrel, &a, packet, &mut out),
        Incoming::Pubcomp(a) => ack(AckKind::Pubcomp, PacketKind::Pubcomp, &a, packet, &mut out),
        Incoming::Disconnect { reason, properties } => {
            let props: Vec<Property<'_>> = properties.iter().collect();
            let r = encode::encode_disconnect(reason, &props, &mut out);
            check_encoded(r, PacketKind::Disconnect, reason, &out, packet);
        }
        // No client encoder: CONNACK, SUBACK, UNSUBACK, PINGRESP, AUTH.
        _ => {}
    }
}

fn ack(kind: AckKind, pk: PacketKind, a: &Ack<'_>, packet: &Incoming<'_>, out: &mut [u8]) {
    let props: Vec<Property<'_>> = a.properties.iter().collect();
    let pid = PacketId::new(a.pid).expect("a decoded packet id is not 0");
    let r = encode::encode_ack(kind, pid, a.reason, &props, out);
    check_encoded(r, pk, a.reason, out, packet);
}

/// An encoder's result for a decoded packet: the same value back, or (only
/// for a reason code a client may not send) `BadArgument`.
fn check_encoded(
    r: Result<usize, Error>,
    kind: PacketKind,
    code: u8,
    out: &[u8],
    packet: &Incoming<'_>,
) {
    if reason::from_client(kind, code) {
        let n = r.unwrap_or_else(|e| panic!("{packet:?} does not encode: {e:?}"));
        assert_eq!(redecode(&out[..n]), *packet);
    } else {
        assert_eq!(
            r,
            Err(Error::BadArgument),
            "{packet:?} with a server-only reason"
        );
    }
}

/// decode_head on prefixes of `data` agrees with decode on the whole packet.
fn heads(data: &[u8]) {
    // The whole packet: the input, completed with zeros when it is short.
    let mut full = data.to_vec();
    let mut complete = true;
    while let Ok(Decoded::NeedMore(n)) = decode(&full) {
        if n > MAX_PAD {
            complete = false;
            break;
        }
        full.resize(n, 0);
    }
    let whole = if complete { Some(decode(&full)) } else { None };
    let cuts = (0..=data.len().min(ALL_CUTS)).chain((ALL_CUTS + 1..=data.len()).step_by(61));
    for cut in cuts {
        head_agrees(&data[..cut], whole.as_ref());
    }
    if data.len() > ALL_CUTS {
        head_agrees(data, whole.as_ref());
    }
}

fn head_agrees(prefix: &[u8], whole: Option<&Result<Decoded<'_>, Error>>) {
    let cut = prefix.len();
    match decode_head(prefix) {
        Err(e) => {
            assert_eq!(e, Error::ProtocolError);
            if let Some(w) = whole {
                assert_eq!(*w, Err(e), "a head refused at {cut}, the packet decoded");
            }
        }
        Ok(DecodedHead::NeedMore(n)) => assert!(n > cut, "NeedMore({n}) at {cut}"),
        Ok(DecodedHead::Whole) => {
            let publish = prefix.first().is_some_and(|b| b >> 4 == 3);
            assert!(
                !publish || !matches!(decode(prefix), Ok(Decoded::NeedMore(_))),
                "Whole for a cut PUBLISH at {cut}"
            );
        }
        Ok(DecodedHead::Publish {
            consumed,
            packet,
            body_len,
        }) => {
            assert!(consumed <= cut);
            touch(&packet);
            let Some(w) = whole else {
                return;
            };
            let Ok(Decoded::Packet {
                consumed: total,
                packet: w,
            }) = *w
            else {
                panic!("a head decoded at {cut}, the packet {w:?}")
            };
            assert_eq!(consumed + body_len, total);
            assert!(cut < total, "a head decoded for a whole packet");
            let Incoming::Publish {
                dup,
                qos,
                retain,
                topic,
                pid,
                properties,
                payload,
            } = w
            else {
                panic!("a head decoded at {cut}, the packet {w:?}")
            };
            assert_eq!(payload.len(), body_len);
            let head = Incoming::Publish {
                dup,
                qos,
                retain,
                topic,
                pid,
                properties,
                payload: &[],
            };
            assert_eq!(packet, head, "head at {cut}");
        }
    }
}

/// Properties::parse for every kind.
fn blocks(data: &[u8]) {
    let mut first: Option<(Properties<'_>, usize)> = None;
    for kind in PacketKind::ALL {
        let Ok((props, n)) = Properties::parse(data, kind) else {
            continue;
        };
        assert!(n <= data.len() && n >= 1);
        assert_eq!(props.as_bytes(), &data[n - props.as_bytes().len()..n]);
        touch_block(&props);
        let list: Vec<Property<'_>> = props.iter().collect();
        let mut out = vec![0u8; n + 8];
        let m = encode_block(&list, kind, &mut out)
            .unwrap_or_else(|e| panic!("a {kind:?} block read does not write: {e:?}"));
        assert_eq!(
            &out[..m],
            &data[..n],
            "{kind:?} block re-encoded differently"
        );
        match first {
            Some(f) => assert_eq!(f, (props, n), "{kind:?} reads the block otherwise"),
            None => first = Some((props, n)),
        }
    }
}
