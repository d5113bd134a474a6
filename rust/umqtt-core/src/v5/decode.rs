//! The decoder of what an MQTT 5 client receives, in place: topics,
//! payloads and property blocks borrow from the buffer.
//!
//! [`decode`] frames the packet ([`super::frame`]) and then reads exactly its
//! bytes: every field must end where the packet ends (a byte left over is
//! malformed), reason codes must be ones the spec lets that packet carry
//! ([`super::reason::from_server`]), property blocks are checked whole
//! ([`Properties::parse`]), packet ids are not 0, and a PUBLISH's topic is
//! UTF-8 without U+0000 and may be empty only with a Topic Alias.

use super::frame::{self, AUTH};
use super::properties::{utf8, PacketKind, Properties};
use super::reason;
use crate::frame::{ty, Head};
use crate::Error;

/// PUBACK, PUBREC, PUBREL or PUBCOMP.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub struct Ack<'a> {
    pub pid: u16,
    /// 0x00 when the packet has none (remaining length 2).
    pub reason: u8,
    pub properties: Properties<'a>,
}

/// SUBACK or UNSUBACK.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub struct SubAck<'a> {
    pub pid: u16,
    pub properties: Properties<'a>,
    /// One reason code per filter, in order (at least one).
    pub reasons: &'a [u8],
}

/// A packet an MQTT 5 client receives.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum Incoming<'a> {
    Connack {
        session_present: bool,
        reason: u8,
        properties: Properties<'a>,
    },
    Publish {
        dup: bool,
        qos: u8,
        retain: bool,
        /// UTF-8 without U+0000 (checked here); empty when a Topic Alias
        /// names it. The topic-name rules (no wildcard) are the caller's.
        topic: &'a [u8],
        /// 0 for QoS 0.
        pid: u16,
        properties: Properties<'a>,
        payload: &'a [u8],
    },
    Puback(Ack<'a>),
    Pubrec(Ack<'a>),
    Pubrel(Ack<'a>),
    Pubcomp(Ack<'a>),
    Suback(SubAck<'a>),
    Unsuback(SubAck<'a>),
    Pingresp,
    Disconnect {
        /// 0x00 (normal disconnection) when the packet is empty.
        reason: u8,
        properties: Properties<'a>,
    },
    /// Enhanced authentication: decoded so that a caller can refuse it (or,
    /// later, answer it); nothing here encodes one.
    Auth {
        reason: u8,
        properties: Properties<'a>,
    },
}

/// Result of [`decode`].
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum Decoded<'a> {
    NeedMore(usize),
    Packet {
        consumed: usize,
        packet: Incoming<'a>,
    },
}

/// Frames the MQTT 5 packet at the start of `buf` and, once whole and
/// length-checked, decodes exactly its bytes.
pub fn decode(buf: &[u8]) -> Result<Decoded<'_>, Error> {
    decode_packet(buf, false).map(|(d, _)| d)
}

/// [`decode`], or with `head` [`decode_head`] for a PUBLISH whose payload
/// is not all in `buf` (the client's one decoding: the fixed header is read
/// once); the second value is how many payload bytes follow a head on the
/// stream (0 for a whole packet).
pub(crate) fn decode_packet(buf: &[u8], head: bool) -> Result<(Decoded<'_>, usize), Error> {
    Ok(match crate::frame::body_of(buf, frame::parse_packet(buf, head)?)? {
        Err(n) => (Decoded::NeedMore(n), 0),
        // A head is a PUBLISH's, which ends with its property block: decoded
        // with an empty payload.
        Ok(b) => {
            let packet = decode_body(b.header, b.body)?;
            let decoded = Decoded::Packet {
                consumed: b.consumed,
                packet,
            };
            (decoded, b.body_len)
        }
    })
}

/// Result of [`decode_head`] (as [`crate::codec::DecodedHead`] for 3.1.1).
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum DecodedHead<'a> {
    /// The head is not complete yet: it needs this many bytes in total.
    NeedMore(usize),
    /// Not a PUBLISH, or one whole in the buffer: use [`decode`].
    Whole,
    /// A PUBLISH's head of `consumed` bytes (fixed header, topic, packet id,
    /// property block), decoded as [`Incoming::Publish`] with an empty
    /// payload; `body_len` payload bytes follow it.
    Publish {
        consumed: usize,
        packet: Incoming<'a>,
        body_len: usize,
    },
}

/// Decodes the head of an MQTT 5 PUBLISH whose payload is not all in `buf`
/// ([`frame::parse_head`]), checked as [`decode`] checks a whole one: the
/// framing rules, the topic (UTF-8 without U+0000, empty only with a Topic
/// Alias), a non-zero packet id, the whole property block. The payload is
/// opaque bytes: what decodes here decodes the same, payload added, with
/// [`decode`] once the packet is whole, and what is refused here is refused
/// there.
pub fn decode_head(buf: &[u8]) -> Result<DecodedHead<'_>, Error> {
    let (f, head_len) = match frame::parse_head(buf)? {
        Head::NeedMore(n) => return Ok(DecodedHead::NeedMore(n)),
        Head::Whole => return Ok(DecodedHead::Whole),
        Head::Publish { framed, head_len } => (framed, head_len),
    };
    let body = buf
        .get(f.header_len..head_len)
        .ok_or(Error::ProtocolError)?;
    Ok(DecodedHead::Publish {
        consumed: head_len,
        // The body ends with the property block: the payload is empty.
        packet: decode_publish(f.header, body)?,
        body_len: f.total().saturating_sub(head_len),
    })
}

/// A non-zero packet id at the start of `body`, and what follows it (an
/// `Option`, like [`reason_code`], for the same reason).
fn pid(body: &[u8]) -> Option<(u16, &[u8])> {
    match body {
        [hi, lo, rest @ ..] if hi | lo != 0 => Some((u16::from_be_bytes([*hi, *lo]), rest)),
        _ => None,
    }
}

/// A reason code the packet may carry (an `Option`, returned in
/// registers where a `Result` would go through the stack).
fn reason_code(kind: PacketKind, code: u8) -> Option<u8> {
    reason::from_server(kind, code).then_some(code)
}

/// A property block that ends exactly where the packet ends (an `Option`,
/// like [`reason_code`]).
fn last_block(rest: &[u8], kind: PacketKind) -> Option<Properties<'_>> {
    let (p, n) = Properties::parse(rest, kind).ok()?;
    (n == rest.len()).then_some(p)
}

/// A property block and the bytes after it.
fn block(rest: &[u8], kind: PacketKind) -> Result<(Properties<'_>, &[u8]), Error> {
    let (p, n) = Properties::parse(rest, kind)?;
    Ok((p, rest.get(n..).ok_or(Error::ProtocolError)?))
}

/// The optional reason code and properties after a packet id, or the whole
/// of a DISCONNECT or AUTH body: nothing means 0x00 and no property.
fn reason_and_block(rest: &[u8], kind: PacketKind) -> Result<(u8, Properties<'_>), Error> {
    match rest {
        [] => Ok((0, Properties::default())),
        [code] => Ok((
            reason_code(kind, *code).ok_or(Error::ProtocolError)?,
            Properties::default(),
        )),
        [code, tail @ ..] => Ok((
            reason_code(kind, *code).ok_or(Error::ProtocolError)?,
            last_block(tail, kind).ok_or(Error::ProtocolError)?,
        )),
    }
}

fn ack(body: &[u8], kind: PacketKind) -> Result<Ack<'_>, Error> {
    let (pid, rest) = pid(body).ok_or(Error::ProtocolError)?;
    let (reason, properties) = reason_and_block(rest, kind)?;
    Ok(Ack {
        pid,
        reason,
        properties,
    })
}

/// PUBACK, PUBREC, PUBREL and PUBCOMP: one decoder for the four, which
/// differ only in the reason codes they may carry.
fn decode_ack(header: u8, body: &[u8]) -> Result<Incoming<'_>, Error> {
    let kind = match header >> 4 {
        ty::PUBACK => PacketKind::Puback,
        ty::PUBREC => PacketKind::Pubrec,
        ty::PUBREL => PacketKind::Pubrel,
        _ => PacketKind::Pubcomp,
    };
    let a = ack(body, kind)?;
    Ok(match kind {
        PacketKind::Puback => Incoming::Puback(a),
        PacketKind::Pubrec => Incoming::Pubrec(a),
        PacketKind::Pubrel => Incoming::Pubrel(a),
        _ => Incoming::Pubcomp(a),
    })
}

fn suback(body: &[u8], kind: PacketKind) -> Result<SubAck<'_>, Error> {
    let (pid, rest) = pid(body).ok_or(Error::ProtocolError)?;
    let (properties, reasons) = block(rest, kind)?;
    if reasons.is_empty() || !reasons.iter().all(|&c| reason::from_server(kind, c)) {
        return Err(Error::ProtocolError);
    }
    Ok(SubAck {
        pid,
        properties,
        reasons,
    })
}

pub(crate) fn decode_body(header: u8, body: &[u8]) -> Result<Incoming<'_>, Error> {
    Ok(match header >> 4 {
        ty::CONNACK => {
            let [flags, code, rest @ ..] = body else {
                return Err(Error::ProtocolError);
            };
            // Bits 7..1 of the acknowledge flags are reserved (3.2.2.1).
            if flags & 0xfe != 0 {
                return Err(Error::ProtocolError);
            }
            Incoming::Connack {
                session_present: flags & 1 == 1,
                reason: reason_code(PacketKind::Connack, *code).ok_or(Error::ProtocolError)?,
                properties: last_block(rest, PacketKind::Connack).ok_or(Error::ProtocolError)?,
            }
        }
        ty::PUBLISH => decode_publish(header, body)?,
        ty::PUBACK..=ty::PUBCOMP => decode_ack(header, body)?,
        ty::SUBACK => Incoming::Suback(suback(body, PacketKind::Suback)?),
        ty::UNSUBACK => Incoming::Unsuback(suback(body, PacketKind::Unsuback)?),
        ty::PINGRESP => Incoming::Pingresp,
        ty::DISCONNECT => {
            let (reason, properties) = reason_and_block(body, PacketKind::Disconnect)?;
            Incoming::Disconnect { reason, properties }
        }
        AUTH => {
            let (reason, properties) = reason_and_block(body, PacketKind::Auth)?;
            Incoming::Auth { reason, properties }
        }
        _ => return Err(Error::ProtocolError),
    })
}

fn decode_publish(header: u8, body: &[u8]) -> Result<Incoming<'_>, Error> {
    let qos = (header >> 1) & 0x03;
    let [hi, lo, rest @ ..] = body else {
        return Err(Error::ProtocolError);
    };
    let (topic, rest) = rest
        .split_at_checked(usize::from(u16::from_be_bytes([*hi, *lo])))
        .ok_or(Error::ProtocolError)?;
    let topic = utf8(topic).ok_or(Error::ProtocolError)?;
    let (pid, rest) = if qos == 0 {
        (0, rest)
    } else {
        pid(rest).ok_or(Error::ProtocolError)?
    };
    let (properties, payload) = block(rest, PacketKind::Publish)?;
    // A zero-length topic needs a Topic Alias (3.3.2.1, 3.3.4).
    if topic.is_empty() && properties.topic_alias().is_none() {
        return Err(Error::ProtocolError);
    }
    Ok(Incoming::Publish {
        dup: header & 0x08 != 0,
        qos,
        retain: header & 0x01 != 0,
        topic,
        pid,
        properties,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v5::properties::{id, Property, Value};

    fn packet(bytes: &[u8]) -> Incoming<'_> {
        match decode(bytes) {
            Ok(Decoded::Packet { consumed, packet }) => {
                assert_eq!(consumed, bytes.len());
                packet
            }
            other => panic!("{other:?} for {bytes:x?}"),
        }
    }

    fn refused(bytes: &[u8]) {
        assert_eq!(decode(bytes), Err(Error::ProtocolError), "{bytes:x?}");
    }

    #[test]
    fn a_connack_with_properties() {
        #[rustfmt::skip]
        let bytes = [
            0x20, 13,
            0x01, 0x00,                       // session present, success
            10,
            0x21, 0x00, 0x14,                 // receive maximum 20
            0x12, 0, 2, b'i', b'd',           // assigned client identifier
            0x24, 0x01,                       // maximum QoS 1
        ];
        let Incoming::Connack {
            session_present,
            reason,
            properties,
        } = packet(&bytes)
        else {
            panic!()
        };
        assert!(session_present);
        assert_eq!(reason, 0);
        assert_eq!(
            properties.get(id::RECEIVE_MAXIMUM),
            Some(Value::TwoByte(20))
        );
        assert_eq!(
            properties.get(id::ASSIGNED_CLIENT_IDENTIFIER),
            Some(Value::Utf8(b"id"))
        );
        assert_eq!(properties.get(id::MAXIMUM_QOS), Some(Value::Byte(1)));
    }

    #[test]
    fn a_refusing_connack_carries_its_reason() {
        let Incoming::Connack { reason, .. } = packet(&[0x20, 3, 0, 0x87, 0]) else {
            panic!()
        };
        assert_eq!(reason, 0x87);
    }

    #[test]
    fn publishes_with_and_without_a_topic() {
        let bytes = [0x32, 10, 0, 3, b'a', b'/', b'b', 0, 7, 0, b'h', b'i'];
        let Incoming::Publish {
            qos,
            topic,
            pid,
            properties,
            payload,
            ..
        } = packet(&bytes)
        else {
            panic!()
        };
        assert_eq!((qos, topic, pid, payload), (1, &b"a/b"[..], 7, &b"hi"[..]));
        assert!(properties.is_empty());
        // A zero-length topic with a Topic Alias, QoS 0, retained.
        let bytes = [0x31, 7, 0, 0, 3, 0x23, 0, 9, b'x'];
        let Incoming::Publish {
            retain,
            topic,
            properties,
            payload,
            ..
        } = packet(&bytes)
        else {
            panic!()
        };
        assert!(retain);
        assert_eq!((topic, payload), (&b""[..], &b"x"[..]));
        assert_eq!(properties.topic_alias(), Some(9));
        // Without one it is refused.
        refused(&[0x30, 4, 0, 0, 0, b'x']);
    }

    #[test]
    fn acks_with_two_three_and_more_bytes() {
        fn a(b: &[u8]) -> Ack<'_> {
            match packet(b) {
                Incoming::Puback(a)
                | Incoming::Pubrec(a)
                | Incoming::Pubrel(a)
                | Incoming::Pubcomp(a) => a,
                p => panic!("{p:?}"),
            }
        }
        assert_eq!(
            a(&[0x40, 2, 0, 5]),
            Ack {
                pid: 5,
                reason: 0,
                properties: Properties::default()
            }
        );
        assert_eq!(a(&[0x50, 3, 0, 5, 0x10]).reason, 0x10);
        assert_eq!(a(&[0x70, 4, 0, 5, 0x92, 0]).reason, 0x92);
        let r = a(&[0x62, 8, 0, 5, 0x00, 4, 0x1f, 0, 1, b'?']);
        assert_eq!(r.properties.reason_string(), Some(&b"?"[..]));
        assert!(matches!(packet(&[0x62, 2, 0, 1]), Incoming::Pubrel(_)));
    }

    #[test]
    fn subacks_unsubacks_disconnect_auth_pingresp() {
        let Incoming::Suback(s) = packet(&[0x90, 6, 0, 9, 0, 0x01, 0x80, 0xa1]) else {
            panic!()
        };
        assert_eq!((s.pid, s.reasons), (9, &[0x01, 0x80, 0xa1][..]));
        let Incoming::Unsuback(s) = packet(&[0xb0, 5, 0, 9, 0, 0x00, 0x11]) else {
            panic!()
        };
        assert_eq!(s.reasons, &[0x00, 0x11]);
        assert_eq!(
            packet(&[0xe0, 0]),
            Incoming::Disconnect {
                reason: 0,
                properties: Properties::default()
            }
        );
        let Incoming::Disconnect { reason, properties } =
            packet(&[0xe0, 8, 0x9c, 6, 0x1c, 0, 3, b'h', b':', b'1'])
        else {
            panic!()
        };
        assert_eq!(reason, 0x9c);
        assert_eq!(
            properties.get(id::SERVER_REFERENCE),
            Some(Value::Utf8(b"h:1"))
        );
        let Incoming::Auth { reason, properties } =
            packet(&[0xf0, 7, 0x18, 5, 0x15, 0, 2, b'm', b'1'])
        else {
            panic!()
        };
        assert_eq!(reason, 0x18);
        assert_eq!(
            properties.iter().next(),
            Some(Property {
                id: id::AUTHENTICATION_METHOD,
                value: Value::Utf8(b"m1")
            })
        );
        assert_eq!(packet(&[0xd0, 0]), Incoming::Pingresp);
    }

    #[test]
    fn malformed_packets_are_refused() {
        // Property length overruns the packet, or stops short of its end.
        refused(&[0x40, 4, 0, 1, 0, 5]);
        refused(&[0x20, 4, 0, 0, 0, 0]);
        refused(&[0x40, 5, 0, 1, 0, 0, 0]);
        refused(&[0x90, 4, 0, 1, 2, 0]);
        // Truncated property inside a block.
        refused(&[0x40, 6, 0, 1, 0, 2, 0x1f, 0]);
        // Unknown identifier, one not allowed here, a duplicate.
        refused(&[0x40, 6, 0, 1, 0, 2, 0x2b, 0]);
        refused(&[0x40, 7, 0, 1, 0, 3, 0x23, 0, 1]);
        refused(&[0x30, 10, 0, 1, b't', 6, 0x23, 0, 1, 0x23, 0, 2]);
        // Bad UTF-8 in a topic or a property; U+0000 in a topic.
        refused(&[0x30, 4, 0, 1, 0xff, 0]);
        refused(&[0x30, 4, 0, 1, 0x00, 0]);
        refused(&[0x40, 8, 0, 1, 0, 4, 0x1f, 0, 1, 0xc0]);
        // Reason codes the packet may not carry.
        refused(&[0x40, 3, 0, 1, 0x92]);
        refused(&[0x62, 3, 0, 1, 0x10]);
        refused(&[0x20, 3, 0, 0x8b, 0]);
        refused(&[0x90, 4, 0, 1, 0, 0x03]);
        refused(&[0xb0, 4, 0, 1, 0, 0x02]);
        refused(&[0xe0, 1, 0x84]);
        refused(&[0xe0, 1, 0x04]);
        refused(&[0xf0, 1, 0x19]);
        refused(&[0xf0, 1, 0x87]);
        // Packet id 0, reserved CONNACK flags, SUBACK without a code.
        refused(&[0x40, 2, 0, 0]);
        refused(&[0x32, 6, 0, 1, b't', 0, 0, 0]);
        refused(&[0x20, 3, 0x02, 0, 0]);
        refused(&[0x90, 6, 0, 1, 3, 0x1f, 0, 0]);
    }

    /// `total` bytes of a PUBLISH (QoS 1, pid 7, topic "a/b") with a
    /// property block of `props` and a payload of `payload` bytes.
    fn publish(props: &[Property<'_>], payload: &[u8]) -> Vec<u8> {
        let p = crate::v5::encode::Publish {
            topic: b"a/b",
            payload,
            qos: 1,
            pid: crate::pid::PacketId::new(7),
            retain: false,
            dup: false,
            properties: props,
            raw: &[],
        };
        let mut out = vec![0u8; crate::v5::encode::publish_size(&p).unwrap()];
        crate::v5::encode::encode_publish(&p, &mut out).unwrap();
        out
    }

    /// What decode_head says of `bytes[..cut]` agrees with what decode says
    /// of the whole `bytes` (made whole with zeros when it is short); returns
    /// the head's size when it decoded.
    fn head_agrees(bytes: &[u8], cut: usize) -> Option<usize> {
        let mut padded = bytes.to_vec();
        while let Ok(Decoded::NeedMore(n)) = decode(&padded) {
            if n > 1 << 17 {
                return None; // too long to complete here
            }
            padded.resize(n, 0);
        }
        let bytes = &padded[..];
        let whole = decode(bytes);
        match decode_head(&bytes[..cut]) {
            Err(e) => {
                assert_eq!(whole, Err(e), "{bytes:x?} cut at {cut}");
                None
            }
            Ok(DecodedHead::NeedMore(n)) => {
                assert!(n > cut, "{bytes:x?} cut at {cut}: NeedMore({n})");
                None
            }
            Ok(DecodedHead::Whole) => {
                // Another type, or a PUBLISH whole in the prefix.
                let first = bytes.first().copied().unwrap_or(0);
                assert!(
                    first >> 4 != ty::PUBLISH
                        || !matches!(decode(&bytes[..cut]), Ok(Decoded::NeedMore(_))),
                    "{bytes:x?} cut at {cut}: Whole"
                );
                None
            }
            Ok(DecodedHead::Publish {
                consumed,
                packet,
                body_len,
            }) => {
                let Ok(Decoded::Packet {
                    consumed: total,
                    packet: whole,
                }) = whole
                else {
                    panic!("{bytes:x?} cut at {cut}: head decoded, whole {whole:?}")
                };
                assert!(consumed <= cut && cut < total);
                assert_eq!(consumed + body_len, total);
                let Incoming::Publish {
                    dup,
                    qos,
                    retain,
                    topic,
                    pid,
                    properties,
                    payload,
                } = whole
                else {
                    panic!("{whole:?}")
                };
                assert_eq!(payload, &bytes[consumed..total]);
                assert_eq!(
                    packet,
                    Incoming::Publish {
                        dup,
                        qos,
                        retain,
                        topic,
                        pid,
                        properties,
                        payload: &[],
                    }
                );
                Some(consumed)
            }
        }
    }

    #[test]
    fn a_publish_head_decodes_without_its_payload() {
        let props = [
            Property {
                id: id::MESSAGE_EXPIRY_INTERVAL,
                value: Value::FourByte(60),
            },
            Property {
                id: id::USER_PROPERTY,
                value: Value::Pair(b"k", b"v"),
            },
        ];
        let bytes = publish(&props, &[0xaa; 300]);
        // 3 fixed header, 5 topic, 2 pid, 1 + 5 + 7 properties.
        let head = 3 + 5 + 2 + 1 + 12;
        let Ok(DecodedHead::Publish {
            consumed,
            packet,
            body_len,
        }) = decode_head(&bytes[..head])
        else {
            panic!()
        };
        assert_eq!((consumed, body_len), (head, 300));
        let Incoming::Publish {
            topic,
            pid,
            properties,
            payload,
            ..
        } = packet
        else {
            panic!()
        };
        assert_eq!((topic, pid, payload), (&b"a/b"[..], 7, &[][..]));
        assert_eq!(properties.iter().collect::<Vec<_>>(), props);
        for cut in 0..=bytes.len() {
            assert_eq!(
                head_agrees(&bytes, cut).is_some(),
                (head..bytes.len()).contains(&cut)
            );
        }
        // The whole packet, and any other type, is decode's.
        assert_eq!(decode_head(&bytes), Ok(DecodedHead::Whole));
        assert_eq!(decode_head(&[0x40, 0x02]), Ok(DecodedHead::Whole));
        assert_eq!(decode_head(&[0x90]), Ok(DecodedHead::NeedMore(2)));
        assert_eq!(decode_head(&[0x30, 0x80]), Ok(DecodedHead::NeedMore(3)));
    }

    #[test]
    fn a_head_whose_property_block_is_cut_needs_more() {
        // A 200-byte Response Topic: the property length takes two bytes.
        let long = "r".repeat(200);
        let props = [Property {
            id: id::RESPONSE_TOPIC,
            value: Value::Utf8(long.as_bytes()),
        }];
        let bytes = publish(&props, &[1; 50]);
        let at = 3 + 5 + 2; // the property length
        let head = at + 2 + 203;
        assert_eq!(decode_head(&bytes[..at]), Ok(DecodedHead::NeedMore(at + 1)));
        // Its first byte says "more follows".
        assert_eq!(
            decode_head(&bytes[..at + 1]),
            Ok(DecodedHead::NeedMore(at + 2))
        );
        for cut in at + 2..head {
            assert_eq!(decode_head(&bytes[..cut]), Ok(DecodedHead::NeedMore(head)));
        }
        assert!(matches!(
            decode_head(&bytes[..head]),
            Ok(DecodedHead::Publish { consumed, body_len: 50, .. }) if consumed == head
        ));
    }

    #[test]
    fn a_bad_head_is_refused_as_the_whole_decoder_refuses_it() {
        // Each: a PUBLISH head, then payload bytes the head decoder never sees.
        #[rustfmt::skip]
        let heads: [&[u8]; 12] = [
            &[0x32, 40, 0, 1, 0xff, 0, 1, 0],            // topic not UTF-8
            &[0x30, 40, 0, 1, 0x00, 0],                  // U+0000 in the topic
            &[0x32, 40, 0, 1, b't', 0, 0, 0],            // packet id 0
            &[0x30, 40, 0, 0, 0],                        // empty topic, no alias
            &[0x30, 40, 0, 1, b't', 2, 0x2b, 0],         // unknown property
            &[0x30, 40, 0, 1, b't', 2, 0x1f, 0],         // not allowed in PUBLISH
            &[0x30, 40, 0, 1, b't', 6, 0x23, 0, 1, 0x23, 0, 2], // alias twice
            &[0x30, 40, 0, 1, b't', 3, 0x23, 0, 0],      // alias 0
            &[0x30, 40, 0, 1, b't', 2, 0x80, 0],         // non-minimal length
            &[0x30, 40, 0, 1, b't', 3, 0x1f, 0, 1],      // value overruns block
            &[0x36, 40, 0, 1, b't', 0],                  // QoS 3
            &[0x42, 40, 0, 1],                           // PUBACK flags
        ];
        for head in heads {
            let mut bytes = head.to_vec();
            bytes.resize(42, 0x55);
            assert_eq!(decode(&bytes), Err(Error::ProtocolError), "{head:x?}");
            assert_eq!(decode_head(head), Err(Error::ProtocolError), "{head:x?}");
        }
        // The topic, packet id or property block overruns the packet: refused
        // as soon as the head shows it.
        assert_eq!(decode_head(&[0x30, 9, 0, 20]), Err(Error::ProtocolError));
        assert_eq!(
            decode_head(&[0x32, 8, 0, 5, b't']),
            Err(Error::ProtocolError)
        );
        assert_eq!(
            decode_head(&[0x30, 9, 0, 1, b't', 7]),
            Err(Error::ProtocolError)
        );
        assert_eq!(
            decode_head(&[0x30, 40, 0, 1, b't', 0x80, 0x80, 0x80, 0x80]),
            Err(Error::ProtocolError)
        );
        for bytes in [
            &[0x30, 9, 0, 20][..],
            &[0x32, 8, 0, 5, b't'],
            &[0x30, 9, 0, 1, b't', 7],
        ] {
            let mut whole = bytes.to_vec();
            whole.resize(11, 0);
            assert_eq!(decode(&whole), Err(Error::ProtocolError));
        }
    }

    mod split {
        use super::*;
        use proptest::prelude::*;

        fn config() -> ProptestConfig {
            ProptestConfig {
                cases: if cfg!(miri) { 4 } else { 256 },
                ..ProptestConfig::default()
            }
        }

        /// A valid PUBLISH property from a pick and some seeds.
        fn property<'a>(pick: u8, n: u32, s: &'a str, b: &'a [u8]) -> Property<'a> {
            let (id, value) = match pick % 8 {
                0 => (id::PAYLOAD_FORMAT_INDICATOR, Value::Byte((n % 2) as u8)),
                1 => (id::MESSAGE_EXPIRY_INTERVAL, Value::FourByte(n)),
                2 => (id::TOPIC_ALIAS, Value::TwoByte((n % 65_535 + 1) as u16)),
                3 => (
                    id::SUBSCRIPTION_IDENTIFIER,
                    Value::VarInt(n % 268_435_455 + 1),
                ),
                4 => (id::RESPONSE_TOPIC, Value::Utf8(s.as_bytes())),
                5 => (id::CORRELATION_DATA, Value::Binary(b)),
                6 => (id::CONTENT_TYPE, Value::Utf8(s.as_bytes())),
                _ => (id::USER_PROPERTY, Value::Pair(s.as_bytes(), s.as_bytes())),
            };
            Property { id, value }
        }

        proptest! {
            #![proptest_config(config())]

            /// Head and payload read as the whole packet, at every split.
            #[test]
            fn head_and_body_equal_the_whole_decode(
                topic in "[a-z/äö€]{0,20}",
                qos in 0u8..=2,
                pid in 1u16..=u16::MAX,
                flags in any::<(bool, bool)>(),
                picks in proptest::collection::vec((any::<u8>(), any::<u32>()), 0..6),
                s in "[a-z]{0,150}",
                b in proptest::collection::vec(any::<u8>(), 0..40),
                payload in proptest::collection::vec(any::<u8>(), 0..300),
                cut in any::<prop::sample::Index>(),
            ) {
                let mut props: Vec<Property<'_>> = Vec::new();
                for (pick, n) in &picks {
                    let p = property(*pick, *n, &s, &b);
                    let repeats = p.id == id::USER_PROPERTY || p.id == id::SUBSCRIPTION_IDENTIFIER;
                    if repeats || !props.iter().any(|q| q.id == p.id) {
                        props.push(p);
                    }
                }
                if topic.is_empty() && !props.iter().any(|q| q.id == id::TOPIC_ALIAS) {
                    props.push(property(2, pid.into(), "", &[]));
                }
                let p = crate::v5::encode::Publish {
                    topic: topic.as_bytes(),
                    payload: &payload,
                    qos,
                    pid: crate::pid::PacketId::new(pid),
                    retain: flags.0,
                    dup: flags.1,
                    properties: &props,
                    raw: &[],
                };
                let mut bytes = vec![0u8; crate::v5::encode::publish_size(&p).unwrap()];
                crate::v5::encode::encode_publish(&p, &mut bytes).unwrap();
                let head = bytes.len() - payload.len();
                let cut = cut.index(bytes.len() + 1);
                let decoded = head_agrees(&bytes, cut);
                prop_assert_eq!(decoded, (head..bytes.len()).contains(&cut).then_some(head));
                // The head's own bytes decode as well.
                if !payload.is_empty() {
                    prop_assert_eq!(head_agrees(&bytes, head), Some(head));
                }
            }

            /// A valid packet with a byte changed in its head: whatever the
            /// head decoder says at any split agrees with the whole decoder.
            #[test]
            fn a_damaged_head_agrees_with_the_whole_decode(
                pick in any::<u8>(),
                n in any::<u32>(),
                s in "[a-z]{0,150}",
                at in any::<prop::sample::Index>(),
                byte in any::<u8>(),
                payload_len in 0usize..200,
            ) {
                let props = [property(pick, n, &s, s.as_bytes())];
                let mut bytes = publish(&props, &vec![0x5a; payload_len]);
                let head = bytes.len() - payload_len;
                bytes[at.index(head)] = byte;
                for cut in 0..=bytes.len() {
                    head_agrees(&bytes, cut);
                }
            }

            /// Arbitrary bytes: no panic, and the head decoder agrees.
            #[test]
            fn arbitrary_bytes_agree(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
                for cut in 0..=bytes.len() {
                    head_agrees(&bytes, cut);
                }
            }
        }
    }
}
