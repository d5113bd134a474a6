//! MQTT 5 encoders: size first, into a caller slice (as [`crate::codec`]).
//!
//! Every encoder computes the exact packet size and checks its arguments
//! before writing anything: a short slice gives `BufferTooSmall(size)` and
//! stays untouched; a string or binary field above 65 535 bytes or a packet
//! above 268 435 455 is `PacketTooLarge`; a property the packet may not
//! carry, of the wrong type, repeated, or out of range, a reason code a
//! client may not send in that packet ([`reason::from_client`]), QoS 3 or an empty filter list is `BadArgument`.
//! Properties are a slice of [`Property`] values (no allocation).

use super::properties::{self, PacketKind, Property, Value};
use super::{reason, PROTOCOL_LEVEL};
use crate::codec::{self, add, field, packet_size, room, Writer};
use crate::pid::PacketId;
use crate::Error;

/// The will of a CONNECT.
#[derive(Clone, Copy)]
pub struct Will<'a> {
    pub topic: &'a [u8],
    pub payload: &'a [u8],
    pub qos: u8,
    pub retain: bool,
    /// Will properties (Will Delay Interval, Message Expiry, ...).
    pub properties: &'a [Property<'a>],
    /// More will properties, already encoded (a block's content without
    /// its length; checked here): the application's, built by the shim.
    pub raw: &'a [u8],
}

/// The fields of an MQTT 5 CONNECT (protocol level 5).
#[derive(Clone, Copy)]
pub struct Connect<'a> {
    pub clean_start: bool,
    pub keepalive_s: u16,
    pub client_id: &'a [u8],
    /// Connect properties (Session Expiry Interval, Receive Maximum, ...).
    pub properties: &'a [Property<'a>],
    /// More, already encoded (as [`Will::raw`]); none may repeat one of `properties`.
    pub raw: &'a [u8],
    pub will: Option<Will<'a>>,
    pub user: Option<&'a [u8]>,
    pub password: Option<&'a [u8]>,
}

fn qos_ok(qos: u8) -> Result<u8, Error> {
    if qos <= 2 {
        Ok(qos)
    } else {
        Err(Error::BadArgument)
    }
}

/// A property block's content size and whole size.
fn sizes(props: &[Property<'_>], kind: PacketKind) -> Result<(usize, usize), Error> {
    sizes_raw(props, &[], kind)
}

/// As [`sizes`], with `raw` encoded properties after `props`.
pub(crate) fn sizes_raw(
    props: &[Property<'_>],
    raw: &[u8],
    kind: PacketKind,
) -> Result<(usize, usize), Error> {
    properties::Properties::check_content(raw, kind)?;
    let content = add(properties::content_size(props.iter(), kind)?, raw.len())?;
    Ok((
        content,
        properties::block_size(content).ok_or(Error::PacketTooLarge)?,
    ))
}

/// Encodes CONNECT; returns its length. (The client writes its CONNECT
/// with [`crate::codec`]'s encoder, which takes the properties encoded.)
pub fn encode_connect(c: &Connect<'_>, out: &mut [u8]) -> Result<usize, Error> {
    let (props, props_size) = sizes_raw(c.properties, c.raw, PacketKind::Connect)?;
    let mut flags = 0u8;
    // "MQTT", level, flags, keep-alive, properties, client id
    let mut rem = add(field(4)? + 4, props_size)?;
    rem = add(rem, field(c.client_id.len())?)?;
    if c.clean_start {
        flags |= 0x02;
    }
    let mut will_props = (0, 0);
    if let Some(w) = &c.will {
        flags |= 0x04 | (qos_ok(w.qos)? << 3);
        if w.retain {
            flags |= 0x20;
        }
        will_props = sizes_raw(w.properties, w.raw, PacketKind::Will)?;
        rem = add(rem, will_props.1)?;
        rem = add(rem, field(w.topic.len())?)?;
        rem = add(rem, field(w.payload.len())?)?;
    }
    if let Some(u) = c.user {
        flags |= 0x80;
        rem = add(rem, field(u.len())?)?;
    }
    if let Some(p) = c.password {
        flags |= 0x40;
        rem = add(rem, field(p.len())?)?;
    }
    let size = packet_size(rem)?;
    let mut w = Writer::new(room(out, size)?);
    w.u8(0x10);
    w.varint(rem);
    w.field(b"MQTT");
    w.u8(PROTOCOL_LEVEL);
    w.u8(flags);
    w.u16(c.keepalive_s);
    properties::write_block(&mut w, c.properties.iter(), props);
    w.bytes(c.raw);
    w.field(c.client_id);
    if let Some(will) = &c.will {
        properties::write_block(&mut w, will.properties.iter(), will_props.0);
        w.bytes(will.raw);
        w.field(will.topic);
        w.field(will.payload);
    }
    if let Some(u) = c.user {
        w.field(u);
    }
    if let Some(p) = c.password {
        w.field(p);
    }
    w.finish()
}

/// The fields of an MQTT 5 PUBLISH.
#[derive(Clone, Copy)]
pub struct Publish<'a> {
    /// Validated by the caller; empty only with a Topic Alias property.
    pub topic: &'a [u8],
    pub payload: &'a [u8],
    pub qos: u8,
    /// `Some` for QoS 1 and 2.
    pub pid: Option<PacketId>,
    pub retain: bool,
    pub dup: bool,
    pub properties: &'a [Property<'a>],
    /// More, already encoded (as [`Will::raw`]); none may repeat one of `properties`.
    pub raw: &'a [u8],
}

/// Remaining length of a PUBLISH and its property content size.
fn publish_rem(p: &Publish<'_>) -> Result<(usize, usize), Error> {
    if p.topic.len() > crate::MAX_STRING {
        return Err(Error::InvalidTopic);
    }
    if p.topic.is_empty()
        && !p
            .properties
            .iter()
            .any(|q| q.id == properties::id::TOPIC_ALIAS)
    {
        return Err(Error::InvalidTopic);
    }
    let (content, block) = sizes_raw(p.properties, p.raw, PacketKind::Publish)?;
    let pid_len = if qos_ok(p.qos)? > 0 { 2 } else { 0 };
    let rem = add(add(2 + p.topic.len() + pid_len, block)?, p.payload.len())?;
    Ok((rem, content))
}

/// Size of a PUBLISH.
pub fn publish_size(p: &Publish<'_>) -> Result<usize, Error> {
    packet_size(publish_rem(p)?.0)
}

/// Encodes PUBLISH; returns its length.
pub fn encode_publish(p: &Publish<'_>, out: &mut [u8]) -> Result<usize, Error> {
    let (rem, content) = publish_rem(p)?;
    let pid = match (p.qos, p.pid) {
        (0, _) => None,
        (_, Some(pid)) => Some(pid),
        _ => return Err(Error::BadArgument),
    };
    let size = packet_size(rem)?;
    let mut first = 0x30 | (p.qos << 1) | u8::from(p.retain);
    if p.dup {
        first |= 0x08;
    }
    let mut w = Writer::new(room(out, size)?);
    w.u8(first);
    w.varint(rem);
    w.field(p.topic);
    if let Some(pid) = pid {
        w.u16(pid.get());
    }
    properties::write_block(&mut w, p.properties.iter(), content);
    w.bytes(p.raw);
    w.bytes(p.payload);
    w.finish()
}

/// Which acknowledgement of a publish.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum AckKind {
    Puback,
    Pubrec,
    Pubrel,
    Pubcomp,
}

impl AckKind {
    fn first_byte(self) -> u8 {
        match self {
            AckKind::Puback => codec::PUBACK,
            AckKind::Pubrec => codec::PUBREC,
            AckKind::Pubrel => codec::PUBREL,
            AckKind::Pubcomp => codec::PUBCOMP,
        }
    }
    fn packet(self) -> PacketKind {
        match self {
            AckKind::Puback => PacketKind::Puback,
            AckKind::Pubrec => PacketKind::Pubrec,
            AckKind::Pubrel => PacketKind::Pubrel,
            AckKind::Pubcomp => PacketKind::Pubcomp,
        }
    }
}

fn check_reason(kind: PacketKind, code: u8) -> Result<(), Error> {
    if reason::from_client(kind, code) {
        Ok(())
    } else {
        Err(Error::BadArgument)
    }
}

/// The shortest tail the spec allows after what comes first: nothing for
/// success without properties, the reason code alone without properties,
/// else reason code and block. Returns (tail size, property content size).
fn reason_tail(
    reason: u8,
    props: &[Property<'_>],
    kind: PacketKind,
) -> Result<(usize, usize), Error> {
    check_reason(kind, reason)?;
    let (content, block) = sizes(props, kind)?;
    Ok(match (reason, props.is_empty()) {
        (0, true) => (0, 0),
        (_, true) => (1, 0),
        _ => (add(1, block)?, content),
    })
}

fn write_reason_tail(
    w: &mut Writer<'_>,
    reason: u8,
    props: &[Property<'_>],
    tail: usize,
    content: usize,
) {
    if tail > 0 {
        w.u8(reason);
    }
    if tail > 1 {
        properties::write_block(w, props.iter(), content);
    }
}

/// Encodes PUBACK, PUBREC, PUBREL or PUBCOMP: 4 bytes for success without
/// properties (as 3.1.1), 5 with another reason code, more with properties.
pub fn encode_ack(
    kind: AckKind,
    pid: PacketId,
    reason: u8,
    props: &[Property<'_>],
    out: &mut [u8],
) -> Result<usize, Error> {
    let (tail, content) = reason_tail(reason, props, kind.packet())?;
    let rem = add(2, tail)?;
    let size = packet_size(rem)?;
    let mut w = Writer::new(room(out, size)?);
    w.u8(kind.first_byte());
    w.varint(rem);
    w.u16(pid.get());
    write_reason_tail(&mut w, reason, props, tail, content);
    w.finish()
}

/// Encodes DISCONNECT: `e0 00` for a normal disconnection without
/// properties, else the reason code and (if any) the properties.
pub fn encode_disconnect(
    reason: u8,
    props: &[Property<'_>],
    out: &mut [u8],
) -> Result<usize, Error> {
    let (rem, content) = reason_tail(reason, props, PacketKind::Disconnect)?;
    let size = packet_size(rem)?;
    let mut w = Writer::new(room(out, size)?);
    w.u8(0xe0);
    w.varint(rem);
    write_reason_tail(&mut w, reason, props, rem, content);
    w.finish()
}

/// A subscription's options (3.8.3.1).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub struct SubscriptionOptions {
    /// Maximum QoS, 0..=2.
    pub qos: u8,
    /// Do not send this client its own publishes.
    pub no_local: bool,
    /// Keep the RETAIN flag of forwarded messages.
    pub retain_as_published: bool,
    /// 0: send retained messages on subscribing, 1: only if the subscription
    /// is new, 2: never.
    pub retain_handling: u8,
}

impl SubscriptionOptions {
    /// The options byte, or `BadArgument` for QoS 3 or retain handling 3.
    pub fn byte(&self) -> Result<u8, Error> {
        if self.qos > 2 || self.retain_handling > 2 {
            return Err(Error::BadArgument);
        }
        Ok(self.qos
            | u8::from(self.no_local) << 2
            | u8::from(self.retain_as_published) << 3
            | self.retain_handling << 4)
    }
}

/// One topic filter of a SUBSCRIBE (validated by the caller) and its options.
#[derive(Clone, Copy)]
pub struct Subscription<'a> {
    pub filter: &'a [u8],
    pub options: SubscriptionOptions,
}

/// Sum of the filters' fields plus `each` bytes per filter; `BadArgument`
/// when there is none.
fn filters_size<T>(items: &[T], filter: impl Fn(&T) -> &[u8], each: usize) -> Result<usize, Error> {
    if items.is_empty() {
        return Err(Error::BadArgument);
    }
    items
        .iter()
        .try_fold(0usize, |n, it| add(n, add(field(filter(it).len())?, each)?))
}

/// Encodes SUBSCRIBE with one or more filters, an optional Subscription
/// Identifier (1..=268 435 455) and other properties (User Property).
pub fn encode_subscribe(
    pid: PacketId,
    subs: &[Subscription<'_>],
    subscription_id: Option<u32>,
    props: &[Property<'_>],
    out: &mut [u8],
) -> Result<usize, Error> {
    let sid = subscription_id.map(|v| Property {
        id: properties::id::SUBSCRIPTION_IDENTIFIER,
        value: Value::VarInt(v),
    });
    let all = || sid.iter().chain(props.iter());
    let content = properties::content_size(all(), PacketKind::Subscribe)?;
    let block = properties::block_size(content).ok_or(Error::PacketTooLarge)?;
    for s in subs {
        s.options.byte()?;
    }
    let rem = add(add(2, block)?, filters_size(subs, |s| s.filter, 1)?)?;
    let size = packet_size(rem)?;
    let mut w = Writer::new(room(out, size)?);
    w.u8(0x82);
    w.varint(rem);
    w.u16(pid.get());
    properties::write_block(&mut w, all(), content);
    for s in subs {
        w.field(s.filter);
        w.u8(s.options.byte().unwrap_or(0));
    }
    w.finish()
}

/// Encodes UNSUBSCRIBE with one or more filters (validated by the caller).
pub fn encode_unsubscribe(
    pid: PacketId,
    filters: &[&[u8]],
    props: &[Property<'_>],
    out: &mut [u8],
) -> Result<usize, Error> {
    let (content, block) = sizes(props, PacketKind::Unsubscribe)?;
    let rem = add(add(2, block)?, filters_size(filters, |f| f, 0)?)?;
    let size = packet_size(rem)?;
    let mut w = Writer::new(room(out, size)?);
    w.u8(0xa2);
    w.varint(rem);
    w.u16(pid.get());
    properties::write_block(&mut w, props.iter(), content);
    for f in filters {
        w.field(f);
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v5::properties::id;

    fn pid(n: u16) -> PacketId {
        PacketId::new(n).unwrap()
    }

    fn connect() -> Connect<'static> {
        Connect {
            raw: &[],
            clean_start: true,
            keepalive_s: 60,
            client_id: b"cid",
            properties: &[],
            will: None,
            user: None,
            password: None,
        }
    }

    #[test]
    fn a_minimal_v5_connect_has_level_5_and_an_empty_property_block() {
        let mut out = [0u8; 64];
        let n = encode_connect(&connect(), &mut out).unwrap();
        assert_eq!(
            &out[..n],
            &[0x10, 16, 0, 4, b'M', b'Q', b'T', b'T', 5, 0x02, 0, 60, 0, 0, 3, b'c', b'i', b'd']
        );
    }

    #[test]
    fn a_connect_with_properties_will_user_and_password() {
        let props = [Property {
            id: id::SESSION_EXPIRY_INTERVAL,
            value: Value::FourByte(120),
        }];
        let will_props = [Property {
            id: id::WILL_DELAY_INTERVAL,
            value: Value::FourByte(5),
        }];
        let c = Connect {
            raw: &[],
            clean_start: false,
            properties: &props,
            will: Some(Will {
                raw: &[],
                topic: b"w",
                payload: b"bye",
                qos: 1,
                retain: true,
                properties: &will_props,
            }),
            user: Some(b"u"),
            password: Some(b"p"),
            ..connect()
        };
        let mut out = [0u8; 64];
        let n = encode_connect(&c, &mut out).unwrap();
        #[rustfmt::skip]
        let expected = [
            0x10, 41,
            0, 4, b'M', b'Q', b'T', b'T', 5,
            0x80 | 0x40 | 0x20 | 0x08 | 0x04,  // user, password, will retain, will QoS 1, will
            0, 60,
            5, 0x11, 0, 0, 0, 120,             // session expiry 120
            0, 3, b'c', b'i', b'd',
            5, 0x18, 0, 0, 0, 5,               // will delay 5
            0, 1, b'w',
            0, 3, b'b', b'y', b'e',
            0, 1, b'u',
            0, 1, b'p',
        ];
        assert_eq!(&out[..n], &expected);
    }

    #[test]
    fn connect_refuses_a_property_of_another_packet_and_qos_3() {
        let mut out = [0u8; 64];
        let bad = [Property {
            id: id::TOPIC_ALIAS,
            value: Value::TwoByte(1),
        }];
        let c = Connect {
            raw: &[],
            properties: &bad,
            ..connect()
        };
        assert_eq!(encode_connect(&c, &mut out), Err(Error::BadArgument));
        let will = Will {
            raw: &[],
            topic: b"w",
            payload: b"",
            qos: 3,
            retain: false,
            properties: &[],
        };
        let c = Connect {
            raw: &[],
            will: Some(will),
            ..connect()
        };
        assert_eq!(encode_connect(&c, &mut out), Err(Error::BadArgument));
        // A will property in the connect block, a connect one in the will's.
        let delay = [Property {
            id: id::WILL_DELAY_INTERVAL,
            value: Value::FourByte(1),
        }];
        let c = Connect {
            raw: &[],
            properties: &delay,
            ..connect()
        };
        assert_eq!(encode_connect(&c, &mut out), Err(Error::BadArgument));
    }

    #[test]
    fn publish_bytes_with_a_topic_alias_and_an_empty_topic() {
        let props = [Property {
            id: id::TOPIC_ALIAS,
            value: Value::TwoByte(3),
        }];
        let p = Publish {
            raw: &[],
            topic: b"",
            payload: b"x",
            qos: 1,
            pid: Some(pid(10)),
            retain: false,
            dup: true,
            properties: &props,
        };
        let mut out = [0u8; 32];
        let n = encode_publish(&p, &mut out).unwrap();
        assert_eq!(&out[..n], &[0x3a, 9, 0, 0, 0, 10, 3, 0x23, 0, 3, b'x']);
        assert_eq!(publish_size(&p), Ok(n));
        let p = Publish {
            raw: &[],
            properties: &[],
            ..p
        };
        assert_eq!(encode_publish(&p, &mut out), Err(Error::InvalidTopic));
        let p = Publish {
            raw: &[],
            topic: b"t",
            qos: 0,
            pid: None,
            dup: false,
            ..p
        };
        let n = encode_publish(&p, &mut out).unwrap();
        assert_eq!(&out[..n], &[0x30, 5, 0, 1, b't', 0, b'x']);
        let p = Publish { qos: 2, ..p };
        assert_eq!(encode_publish(&p, &mut out), Err(Error::BadArgument));
        let mut short = [0xaau8; 6];
        assert_eq!(
            encode_publish(&Publish { qos: 0, ..p }, &mut short),
            Err(Error::BufferTooSmall(7))
        );
        assert!(short.iter().all(|&b| b == 0xaa));
    }

    #[test]
    fn acks_are_as_short_as_the_spec_allows() {
        let mut out = [0u8; 32];
        let n = encode_ack(AckKind::Puback, pid(0x1234), 0, &[], &mut out).unwrap();
        assert_eq!(&out[..n], &[0x40, 2, 0x12, 0x34]);
        let n = encode_ack(AckKind::Pubrec, pid(1), 0x10, &[], &mut out).unwrap();
        assert_eq!(&out[..n], &[0x50, 3, 0, 1, 0x10]);
        let rs = [Property {
            id: id::REASON_STRING,
            value: Value::Utf8(b"no"),
        }];
        let n = encode_ack(AckKind::Pubrel, pid(1), 0, &rs, &mut out).unwrap();
        assert_eq!(&out[..n], &[0x62, 9, 0, 1, 0, 5, 0x1f, 0, 2, b'n', b'o']);
        let n = encode_ack(AckKind::Pubcomp, pid(2), 0x92, &[], &mut out).unwrap();
        assert_eq!(&out[..n], &[0x70, 3, 0, 2, 0x92]);
        assert_eq!(
            encode_ack(AckKind::Pubcomp, pid(2), 0x10, &[], &mut out),
            Err(Error::BadArgument)
        );
    }

    #[test]
    fn disconnect_bytes() {
        let mut out = [0u8; 32];
        let n = encode_disconnect(0, &[], &mut out).unwrap();
        assert_eq!(&out[..n], &[0xe0, 0]);
        let n = encode_disconnect(0x04, &[], &mut out).unwrap();
        assert_eq!(&out[..n], &[0xe0, 1, 0x04]);
        let se = [Property {
            id: id::SESSION_EXPIRY_INTERVAL,
            value: Value::FourByte(0),
        }];
        let n = encode_disconnect(0, &se, &mut out).unwrap();
        assert_eq!(&out[..n], &[0xe0, 7, 0, 5, 0x11, 0, 0, 0, 0]);
        assert_eq!(
            encode_disconnect(0x01, &[], &mut out),
            Err(Error::BadArgument)
        );
        assert_eq!(
            encode_disconnect(0x8e, &[], &mut out),
            Err(Error::BadArgument)
        );
    }

    #[test]
    fn subscribe_with_options_and_a_subscription_identifier() {
        let subs = [
            Subscription {
                filter: b"a/#",
                options: SubscriptionOptions {
                    qos: 1,
                    no_local: true,
                    retain_as_published: true,
                    retain_handling: 2,
                },
            },
            Subscription {
                filter: b"b",
                options: SubscriptionOptions::default(),
            },
        ];
        let up = [Property {
            id: id::USER_PROPERTY,
            value: Value::Pair(b"k", b"v"),
        }];
        let mut out = [0u8; 64];
        let n = encode_subscribe(pid(7), &subs, Some(200), &up, &mut out).unwrap();
        #[rustfmt::skip]
        let expected = [
            0x82, 23,
            0, 7,
            10, 0x0b, 0xc8, 0x01, 0x26, 0, 1, b'k', 0, 1, b'v',
            0, 3, b'a', b'/', b'#', 0x2d,     // QoS 1 | no local | RAP | RH 2
            0, 1, b'b', 0x00,
        ];
        assert_eq!(&out[..n], &expected);
        let n = encode_subscribe(pid(7), &subs[1..], None, &[], &mut out).unwrap();
        assert_eq!(&out[..n], &[0x82, 7, 0, 7, 0, 0, 1, b'b', 0]);
        assert_eq!(
            encode_subscribe(pid(7), &[], None, &[], &mut out),
            Err(Error::BadArgument)
        );
        assert_eq!(
            encode_subscribe(pid(7), &subs, Some(0), &[], &mut out),
            Err(Error::BadArgument)
        );
        let sid = [Property {
            id: id::SUBSCRIPTION_IDENTIFIER,
            value: Value::VarInt(1),
        }];
        assert_eq!(
            encode_subscribe(pid(7), &subs, Some(2), &sid, &mut out),
            Err(Error::BadArgument)
        );
        let bad = [Subscription {
            filter: b"x",
            options: SubscriptionOptions {
                retain_handling: 3,
                ..SubscriptionOptions::default()
            },
        }];
        assert_eq!(
            encode_subscribe(pid(7), &bad, None, &[], &mut out),
            Err(Error::BadArgument)
        );
    }

    #[test]
    fn unsubscribe_bytes() {
        let mut out = [0u8; 32];
        let n = encode_unsubscribe(pid(3), &[b"a/+", b"b"], &[], &mut out).unwrap();
        assert_eq!(
            &out[..n],
            &[0xa2, 11, 0, 3, 0, 0, 3, b'a', b'/', b'+', 0, 1, b'b']
        );
        assert_eq!(
            encode_unsubscribe(pid(3), &[], &[], &mut out),
            Err(Error::BadArgument)
        );
    }
}
