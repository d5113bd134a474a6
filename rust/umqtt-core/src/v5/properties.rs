//! MQTT 5 properties (2.2.2): a Variable Byte Integer length, then
//! identifier / value pairs.
//!
//! Reading: [`Properties::parse`] checks a whole block once, in place:
//! every identifier known, allowed in the packet that carries it (the table
//! in [`spec`], from the spec's 2.2.2.2), every value well-formed (lengths
//! inside the block, UTF-8 without U+0000, the ranges the spec sets, such as
//! a Topic Alias or a Receive Maximum of 0), no property twice except User
//! Property, and Subscription Identifier in a PUBLISH. After that its
//! [`Properties::iter`] cannot fail and yields [`Property`] values borrowing
//! from the packet; the accessors ([`Properties::get`], ...) read through it.
//!
//! Writing: the encoders take the same [`Property`] values as a slice (no
//! allocation), checked as a block read is (`BadArgument` when the value's
//! type is not the identifier's, or the property not allowed there), so what
//! is written reads back.

use crate::codec::{self, Writer};
use crate::{Error, MAX_STRING};

/// Property identifiers (2.2.2.2).
pub mod id {
    pub const PAYLOAD_FORMAT_INDICATOR: u8 = 0x01;
    pub const MESSAGE_EXPIRY_INTERVAL: u8 = 0x02;
    pub const CONTENT_TYPE: u8 = 0x03;
    pub const RESPONSE_TOPIC: u8 = 0x08;
    pub const CORRELATION_DATA: u8 = 0x09;
    pub const SUBSCRIPTION_IDENTIFIER: u8 = 0x0b;
    pub const SESSION_EXPIRY_INTERVAL: u8 = 0x11;
    pub const ASSIGNED_CLIENT_IDENTIFIER: u8 = 0x12;
    pub const SERVER_KEEP_ALIVE: u8 = 0x13;
    pub const AUTHENTICATION_METHOD: u8 = 0x15;
    pub const AUTHENTICATION_DATA: u8 = 0x16;
    pub const REQUEST_PROBLEM_INFORMATION: u8 = 0x17;
    pub const WILL_DELAY_INTERVAL: u8 = 0x18;
    pub const REQUEST_RESPONSE_INFORMATION: u8 = 0x19;
    pub const RESPONSE_INFORMATION: u8 = 0x1a;
    pub const SERVER_REFERENCE: u8 = 0x1c;
    pub const REASON_STRING: u8 = 0x1f;
    pub const RECEIVE_MAXIMUM: u8 = 0x21;
    pub const TOPIC_ALIAS_MAXIMUM: u8 = 0x22;
    pub const TOPIC_ALIAS: u8 = 0x23;
    pub const MAXIMUM_QOS: u8 = 0x24;
    pub const RETAIN_AVAILABLE: u8 = 0x25;
    pub const USER_PROPERTY: u8 = 0x26;
    pub const MAXIMUM_PACKET_SIZE: u8 = 0x27;
    pub const WILDCARD_SUBSCRIPTION_AVAILABLE: u8 = 0x28;
    pub const SUBSCRIPTION_IDENTIFIER_AVAILABLE: u8 = 0x29;
    pub const SHARED_SUBSCRIPTION_AVAILABLE: u8 = 0x2a;
}

/// The packet (or the will of a CONNECT) a property block belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum PacketKind {
    Connect = 0,
    Connack = 1,
    Publish = 2,
    /// The will properties in a CONNECT's payload.
    Will = 3,
    Puback = 4,
    Pubrec = 5,
    Pubrel = 6,
    Pubcomp = 7,
    Subscribe = 8,
    Suback = 9,
    Unsubscribe = 10,
    Unsuback = 11,
    Disconnect = 12,
    Auth = 13,
}

impl PacketKind {
    /// Every kind, in the order of their values.
    pub const ALL: [PacketKind; 14] = [
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

    const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// The type of a property's value (2.2.2.2, 1.5).
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum ValueType {
    Byte,
    TwoByte,
    FourByte,
    VarInt,
    Utf8,
    Pair,
    Binary,
}

/// A property's value, borrowing strings and binary data from the packet.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum Value<'a> {
    Byte(u8),
    TwoByte(u16),
    FourByte(u32),
    /// A Variable Byte Integer (at most 268 435 455).
    VarInt(u32),
    Utf8(&'a [u8]),
    /// A UTF-8 string pair (User Property): name, value.
    Pair(&'a [u8], &'a [u8]),
    Binary(&'a [u8]),
}

impl Value<'_> {
    /// The type of this value.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Byte(_) => ValueType::Byte,
            Value::TwoByte(_) => ValueType::TwoByte,
            Value::FourByte(_) => ValueType::FourByte,
            Value::VarInt(_) => ValueType::VarInt,
            Value::Utf8(_) => ValueType::Utf8,
            Value::Pair(..) => ValueType::Pair,
            Value::Binary(_) => ValueType::Binary,
        }
    }
}

/// One property.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub struct Property<'a> {
    pub id: u8,
    pub value: Value<'a>,
}

const CONNECT: u16 = PacketKind::Connect.bit();
const CONNACK: u16 = PacketKind::Connack.bit();
const PUBLISH: u16 = PacketKind::Publish.bit();
const WILL: u16 = PacketKind::Will.bit();
const ACKS: u16 = PacketKind::Puback.bit()
    | PacketKind::Pubrec.bit()
    | PacketKind::Pubrel.bit()
    | PacketKind::Pubcomp.bit();
const SUBSCRIBE: u16 = PacketKind::Subscribe.bit();
const SUBACK: u16 = PacketKind::Suback.bit();
const UNSUBACK: u16 = PacketKind::Unsuback.bit();
const DISCONNECT: u16 = PacketKind::Disconnect.bit();
const AUTH: u16 = PacketKind::Auth.bit();
const ALL: u16 = (1 << 14) - 1;

/// The spec's table (2.2.2.2): an identifier's value type and the packets
/// that may carry it (a [`PacketKind`] bit set); `None` for an unknown one.
pub fn spec(id: u8) -> Option<(ValueType, u16)> {
    use ValueType as T;
    let s = match id {
        id::PAYLOAD_FORMAT_INDICATOR => (T::Byte, PUBLISH | WILL),
        id::MESSAGE_EXPIRY_INTERVAL => (T::FourByte, PUBLISH | WILL),
        id::CONTENT_TYPE | id::RESPONSE_TOPIC => (T::Utf8, PUBLISH | WILL),
        id::CORRELATION_DATA => (T::Binary, PUBLISH | WILL),
        id::SUBSCRIPTION_IDENTIFIER => (T::VarInt, PUBLISH | SUBSCRIBE),
        id::SESSION_EXPIRY_INTERVAL => (T::FourByte, CONNECT | CONNACK | DISCONNECT),
        id::ASSIGNED_CLIENT_IDENTIFIER | id::RESPONSE_INFORMATION => (T::Utf8, CONNACK),
        id::SERVER_KEEP_ALIVE => (T::TwoByte, CONNACK),
        id::AUTHENTICATION_METHOD => (T::Utf8, CONNECT | CONNACK | AUTH),
        id::AUTHENTICATION_DATA => (T::Binary, CONNECT | CONNACK | AUTH),
        id::REQUEST_PROBLEM_INFORMATION | id::REQUEST_RESPONSE_INFORMATION => (T::Byte, CONNECT),
        id::WILL_DELAY_INTERVAL => (T::FourByte, WILL),
        id::SERVER_REFERENCE => (T::Utf8, CONNACK | DISCONNECT),
        id::REASON_STRING => (
            T::Utf8,
            CONNACK | ACKS | SUBACK | UNSUBACK | DISCONNECT | AUTH,
        ),
        id::RECEIVE_MAXIMUM | id::TOPIC_ALIAS_MAXIMUM => (T::TwoByte, CONNECT | CONNACK),
        id::TOPIC_ALIAS => (T::TwoByte, PUBLISH),
        id::MAXIMUM_QOS
        | id::RETAIN_AVAILABLE
        | id::WILDCARD_SUBSCRIPTION_AVAILABLE
        | id::SUBSCRIPTION_IDENTIFIER_AVAILABLE
        | id::SHARED_SUBSCRIPTION_AVAILABLE => (T::Byte, CONNACK),
        id::USER_PROPERTY => (T::Pair, ALL),
        id::MAXIMUM_PACKET_SIZE => (T::FourByte, CONNECT | CONNACK),
        _ => return None,
    };
    Some(s)
}

/// The value ranges the spec sets beyond the type: the 0/1 flags, and the
/// identifiers and maxima that may not be 0.
fn value_in_range(id: u8, value: &Value<'_>) -> bool {
    match (id, value) {
        (
            id::PAYLOAD_FORMAT_INDICATOR
            | id::REQUEST_PROBLEM_INFORMATION
            | id::REQUEST_RESPONSE_INFORMATION
            | id::MAXIMUM_QOS
            | id::RETAIN_AVAILABLE
            | id::WILDCARD_SUBSCRIPTION_AVAILABLE
            | id::SUBSCRIPTION_IDENTIFIER_AVAILABLE
            | id::SHARED_SUBSCRIPTION_AVAILABLE,
            Value::Byte(b),
        ) => *b <= 1,
        (id::RECEIVE_MAXIMUM | id::TOPIC_ALIAS, Value::TwoByte(v)) => *v != 0,
        (id::MAXIMUM_PACKET_SIZE, Value::FourByte(v)) => *v != 0,
        (id::SUBSCRIPTION_IDENTIFIER, Value::VarInt(v)) => *v != 0,
        _ => true,
    }
}

/// May `id` appear more than once in `kind`?
fn repeatable(id: u8, kind: PacketKind) -> bool {
    id == id::USER_PROPERTY || (id == id::SUBSCRIPTION_IDENTIFIER && kind == PacketKind::Publish)
}

/// The checks shared by reading and writing: known, of its type, allowed in
/// `kind`, in range, not a refused repeat (`seen`: a bit per identifier).
fn admit(p: &Property<'_>, kind: PacketKind, seen: &mut u64) -> bool {
    let Some((ty, packets)) = spec(p.id) else {
        return false;
    };
    // Known identifiers are below 64: the shift cannot overflow.
    let bit = 1u64 << (p.id & 0x3f);
    let repeat = *seen & bit != 0 && !repeatable(p.id, kind);
    *seen |= bit;
    ty == p.value.value_type()
        && packets & kind.bit() != 0
        && value_in_range(p.id, &p.value)
        && !repeat
}

/// Whether a block's content (no length prefix) reads whole, each property
/// admitted in a `kind` packet: the one check of received blocks
/// ([`Properties::parse`]) and of the application's
/// ([`Properties::check_content`]).
fn content_ok(bytes: &[u8], kind: PacketKind) -> bool {
    let mut r = Reader { buf: bytes };
    let mut seen = 0u64;
    while !r.buf.is_empty() {
        match r.property() {
            Some(p) if admit(&p, kind, &mut seen) => {}
            _ => return false,
        }
    }
    true
}

/// A cursor over a property block; every read checks its length. Its reads
/// answer `Option` (`None`: malformed), returned in registers where a
/// `Result` would go through the stack: every caller drops the reason
/// anyway (a bad block is a protocol error, or the end of a walk).
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.buf.split_at_checked(n)?;
        self.buf = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        match self.take(1)? {
            [b] => Some(*b),
            _ => None,
        }
    }
    fn u16(&mut self) -> Option<u16> {
        match self.take(2)? {
            [hi, lo] => Some(u16::from_be_bytes([*hi, *lo])),
            _ => None,
        }
    }
    fn u32(&mut self) -> Option<u32> {
        match self.take(4)? {
            [a, b, c, d] => Some(u32::from_be_bytes([*a, *b, *c, *d])),
            _ => None,
        }
    }
    fn varint(&mut self) -> Option<u32> {
        let (v, n) = super::varint_at(self.buf)?;
        self.take(n)?;
        Some(v)
    }
    fn binary(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
    fn utf8(&mut self) -> Option<&'a [u8]> {
        utf8(self.binary()?)
    }
    fn property(&mut self) -> Option<Property<'a>> {
        // An identifier is a Variable Byte Integer, but every known one is
        // below 128: a byte with the high bit set is unknown anyway.
        let id = self.u8()?;
        let (ty, _) = spec(id)?;
        let value = match ty {
            ValueType::Byte => Value::Byte(self.u8()?),
            ValueType::TwoByte => Value::TwoByte(self.u16()?),
            ValueType::FourByte => Value::FourByte(self.u32()?),
            ValueType::VarInt => Value::VarInt(self.varint()?),
            ValueType::Utf8 => Value::Utf8(self.utf8()?),
            ValueType::Pair => Value::Pair(self.utf8()?, self.utf8()?),
            ValueType::Binary => Value::Binary(self.binary()?),
        };
        Some(Property { id, value })
    }
}

/// A UTF-8 Encoded String's bytes (1.5.4): valid UTF-8 without U+0000
/// (`None` otherwise: an `Option`, returned in registers where a `Result`
/// would go through the stack).
pub fn utf8(bytes: &[u8]) -> Option<&[u8]> {
    crate::mqtt_utf8(bytes).then_some(bytes)
}

/// A property block, checked whole: its bytes after the length.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub struct Properties<'a> {
    bytes: &'a [u8],
}

impl<'a> Properties<'a> {
    /// Reads the block (length and properties) at the start of `buf` for a
    /// packet of `kind`; returns it and the bytes it took. Anything the
    /// module doc lists is a protocol error.
    pub fn parse(buf: &'a [u8], kind: PacketKind) -> Result<(Self, usize), Error> {
        let (len, n) = super::read_varint(buf)?;
        let end = usize::try_from(len)
            .ok()
            .and_then(|len| n.checked_add(len))
            .ok_or(Error::ProtocolError)?;
        let bytes = buf.get(n..end).ok_or(Error::ProtocolError)?;
        if !content_ok(bytes, kind) {
            return Err(Error::ProtocolError);
        }
        Ok((Properties { bytes }, end))
    }

    /// Checks a block's content (no length prefix) given by the application
    /// for a `kind` packet it sends: what [`Properties::parse`] refuses is
    /// `BadArgument` here. Inlined around [`content_ok`] (a `bool`): out of
    /// line the checked block came back through the stack beside its error.
    #[inline(always)]
    pub fn check_content(bytes: &'a [u8], kind: PacketKind) -> Result<Self, Error> {
        if !content_ok(bytes, kind) {
            return Err(Error::BadArgument);
        }
        Ok(Properties { bytes })
    }

    /// A block's content that was checked before (by the decoder or by
    /// [`Properties::check_content`]) and is read again.
    pub(crate) fn trusted(bytes: &'a [u8]) -> Self {
        Properties { bytes }
    }

    /// The property at the start of a block's content, read with every
    /// check of its own (`None`: none, or malformed), and the bytes it
    /// takes; for readers that walk a block one property at a time across
    /// an ABI.
    pub fn first(bytes: &'a [u8]) -> Option<(Property<'a>, usize)> {
        let mut r = Reader { buf: bytes };
        let p = r.property()?;
        Some((p, bytes.len() - r.buf.len()))
    }

    /// No property.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The block's bytes after its length.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The properties in the order they came.
    pub fn iter(&self) -> Iter<'a> {
        Iter {
            r: Reader { buf: self.bytes },
        }
    }

    /// The value of the first property `id`.
    pub fn get(&self, id: u8) -> Option<Value<'a>> {
        self.iter().find(|p| p.id == id).map(|p| p.value)
    }

    /// The User Properties (name, value), in order.
    pub fn user_properties(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
        self.iter().filter_map(|p| match p.value {
            Value::Pair(k, v) => Some((k, v)),
            _ => None,
        })
    }

    /// The Subscription Identifiers of a PUBLISH, in order.
    pub fn subscription_ids(&self) -> impl Iterator<Item = u32> + 'a {
        self.iter().filter_map(|p| match p.value {
            Value::VarInt(v) if p.id == id::SUBSCRIPTION_IDENTIFIER => Some(v),
            _ => None,
        })
    }

    /// The Topic Alias of a PUBLISH.
    pub fn topic_alias(&self) -> Option<u16> {
        match self.get(id::TOPIC_ALIAS) {
            Some(Value::TwoByte(v)) => Some(v),
            _ => None,
        }
    }

    /// The Reason String of an acknowledgement, DISCONNECT or AUTH.
    pub fn reason_string(&self) -> Option<&'a [u8]> {
        match self.get(id::REASON_STRING) {
            Some(Value::Utf8(s)) => Some(s),
            _ => None,
        }
    }
}

impl<'a> IntoIterator for &Properties<'a> {
    type Item = Property<'a>;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Iterator over a checked [`Properties`] block.
pub struct Iter<'a> {
    r: Reader<'a>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Property<'a>;
    fn next(&mut self) -> Option<Property<'a>> {
        if self.r.buf.is_empty() {
            return None;
        }
        // The block was checked whole by `parse`: this cannot fail, and if it
        // ever did the iteration would just end.
        match self.r.property() {
            Some(p) => Some(p),
            None => {
                self.r.buf = &[];
                None
            }
        }
    }
}

/// Encoded size of one value (after its identifier).
fn value_size(v: &Value<'_>) -> Result<usize, Error> {
    Ok(match v {
        Value::Byte(_) => 1,
        Value::TwoByte(_) => 2,
        Value::FourByte(_) => 4,
        Value::VarInt(n) => {
            let n = usize::try_from(*n).map_err(|_| Error::BadArgument)?;
            super::varint_size(n).ok_or(Error::BadArgument)?
        }
        Value::Utf8(s) => codec::field(s.len())?,
        Value::Pair(k, v) => codec::add(codec::field(k.len())?, codec::field(v.len())?)?,
        Value::Binary(b) => codec::field(b.len())?,
    })
}

/// Checks properties to be written in a `kind` packet, as a read block is
/// checked (`BadArgument`; a string above 65 535 bytes `PacketTooLarge`),
/// and returns the size of their content (the block without its length).
pub(crate) fn content_size<'p, 'a: 'p>(
    props: impl Iterator<Item = &'p Property<'a>>,
    kind: PacketKind,
) -> Result<usize, Error> {
    let mut seen = 0u64;
    let mut size = 0usize;
    for p in props {
        if !admit(p, kind, &mut seen) || has_nul(&p.value) {
            return Err(Error::BadArgument);
        }
        size = codec::add(size, codec::add(1, value_size(&p.value)?)?)?;
    }
    Ok(size)
}

fn has_nul(v: &Value<'_>) -> bool {
    match v {
        Value::Utf8(s) => crate::has_nul(s),
        Value::Pair(k, v) => crate::has_nul(k) || crate::has_nul(v),
        _ => false,
    }
}

/// Size of a whole block (length + content); `None` (packet too large)
/// when the length cannot be a Variable Byte Integer. An `Option`, like
/// [`super::varint_size`].
pub(crate) fn block_size(content: usize) -> Option<usize> {
    Some(super::varint_size(content)? + content)
}

/// Writes a block checked by [`content_size`].
pub(crate) fn write_block<'p, 'a: 'p>(
    w: &mut Writer<'_>,
    props: impl Iterator<Item = &'p Property<'a>>,
    content: usize,
) {
    w.varint(content);
    for p in props {
        write_one(w, p);
    }
}

fn write_one(w: &mut Writer<'_>, p: &Property<'_>) {
    w.u8(p.id);
    match p.value {
        Value::Byte(b) => w.u8(b),
        Value::TwoByte(v) => w.u16(v),
        Value::FourByte(v) => w.bytes(&v.to_be_bytes()),
        Value::VarInt(v) => w.varint(usize::try_from(v).unwrap_or(usize::MAX)),
        Value::Utf8(s) => w.field(s),
        Value::Pair(k, v) => {
            w.field(k);
            w.field(v);
        }
        Value::Binary(b) => w.field(b),
    }
}

/// Bytes one property takes (identifier and value).
pub fn encoded_size(p: &Property<'_>) -> Result<usize, Error> {
    codec::add(1, value_size(&p.value)?)
}

/// Writes one property (identifier and value) into `out` at `at`, for a
/// caller building a block's content one property at a time (the C shim,
/// from a dict); returns the new length. The block is checked whole where
/// it is used ([`Properties::check_content`]); here only the value's type
/// must be its identifier's (`BadArgument`).
pub fn put(out: &mut [u8], at: usize, p: &Property<'_>) -> Result<usize, Error> {
    let (ty, _) = spec(p.id).ok_or(Error::BadArgument)?;
    if ty != p.value.value_type() {
        return Err(Error::BadArgument);
    }
    let end = codec::add(at, encoded_size(p)?)?;
    let dst = out.get_mut(at..end).ok_or(Error::BufferTooSmall(end))?;
    let mut w = Writer::new(dst);
    write_one(&mut w, p);
    w.finish()?;
    Ok(end)
}

/// Encodes a property block alone (length + properties) for a `kind` packet
/// into `out`; returns its length. For tests and for callers that keep a
/// block to send again.
pub fn encode_block(
    props: &[Property<'_>],
    kind: PacketKind,
    out: &mut [u8],
) -> Result<usize, Error> {
    let content = content_size(props.iter(), kind)?;
    let size = block_size(content).ok_or(Error::PacketTooLarge)?;
    let mut w = Writer::new(codec::room(out, size)?);
    write_block(&mut w, props.iter(), content);
    w.finish()
}

const _: () = assert!(MAX_STRING == u16::MAX as usize);

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8], kind: PacketKind) -> Result<(Properties<'_>, usize), Error> {
        Properties::parse(bytes, kind)
    }

    #[test]
    fn an_empty_block_is_one_zero_byte() {
        let (p, n) = parse(&[0x00, 0xff], PacketKind::Puback).unwrap();
        assert!(p.is_empty());
        assert_eq!(n, 1);
        assert_eq!(p.iter().count(), 0);
    }

    #[test]
    fn every_value_type_reads_in_place() {
        #[rustfmt::skip]
        let block = [
            33,
            0x01, 1,                                   // payload format indicator
            0x02, 0, 0, 0x0e, 0x10,                    // message expiry 3600
            0x23, 0, 5,                                // topic alias 5
            0x0b, 0x80, 0x01,                          // subscription id 128
            0x08, 0, 2, b'r', b'/',                    // response topic "r/"
            0x09, 0, 2, 0xde, 0xad,                    // correlation data
            0x26, 0, 1, b'k', 0, 2, b'v', b'1',        // user property k=v1
            0x0b, 0x07,                                // subscription id 7
        ];
        let (p, n) = parse(&block, PacketKind::Publish).unwrap();
        assert_eq!(n, block.len());
        let all: Vec<Property<'_>> = p.iter().collect();
        assert_eq!(
            all,
            [
                Property {
                    id: 0x01,
                    value: Value::Byte(1)
                },
                Property {
                    id: 0x02,
                    value: Value::FourByte(3600)
                },
                Property {
                    id: 0x23,
                    value: Value::TwoByte(5)
                },
                Property {
                    id: 0x0b,
                    value: Value::VarInt(128)
                },
                Property {
                    id: 0x08,
                    value: Value::Utf8(b"r/")
                },
                Property {
                    id: 0x09,
                    value: Value::Binary(&[0xde, 0xad])
                },
                Property {
                    id: 0x26,
                    value: Value::Pair(b"k", b"v1")
                },
                Property {
                    id: 0x0b,
                    value: Value::VarInt(7)
                },
            ]
        );
        assert_eq!(p.topic_alias(), Some(5));
        assert_eq!(p.subscription_ids().collect::<Vec<_>>(), [128, 7]);
        assert_eq!(
            p.user_properties().collect::<Vec<_>>(),
            [(&b"k"[..], &b"v1"[..])]
        );
        assert_eq!(p.get(id::CONTENT_TYPE), None);
    }

    fn refused(bytes: &[u8], kind: PacketKind) {
        assert_eq!(parse(bytes, kind), Err(Error::ProtocolError), "{bytes:x?}");
    }

    #[test]
    fn malformed_blocks_are_refused() {
        // Length overruns the bytes present.
        refused(&[5, 0x23, 0, 1], PacketKind::Publish);
        // Truncated value inside the block.
        refused(&[2, 0x23, 0], PacketKind::Publish);
        refused(&[4, 0x08, 0, 5, b'a'], PacketKind::Publish);
        refused(&[6, 0x26, 0, 1, b'k', 0, 1], PacketKind::Puback);
        // A truncated or non-minimal length.
        refused(&[0x80], PacketKind::Publish);
        refused(&[0x80, 0x00], PacketKind::Publish);
        // Unknown identifiers (0x00, 0x04, 0x2b, a two-byte one).
        refused(&[2, 0x00, 0], PacketKind::Publish);
        refused(&[2, 0x04, 0], PacketKind::Publish);
        refused(&[2, 0x2b, 0], PacketKind::Connack);
        refused(&[3, 0x81, 0x00, 0], PacketKind::Publish);
        // Not allowed in this packet.
        refused(&[3, 0x23, 0, 1], PacketKind::Connack);
        refused(&[3, 0x1f, 0, 0], PacketKind::Publish);
        refused(&[3, 0x13, 0, 1], PacketKind::Disconnect);
        refused(&[2, 0x0b, 1], PacketKind::Suback);
        // Duplicates, but for User Property and PUBLISH's Subscription Identifier.
        refused(&[6, 0x23, 0, 1, 0x23, 0, 2], PacketKind::Publish);
        refused(&[6, 0x1f, 0, 0, 0x1f, 0, 0], PacketKind::Puback);
        assert!(parse(&[4, 0x0b, 1, 0x0b, 2], PacketKind::Publish).is_ok());
        assert!(parse(
            &[10, 0x26, 0, 0, 0, 0, 0x26, 0, 0, 0, 0],
            PacketKind::Suback
        )
        .is_ok());
        // Bad UTF-8, U+0000, in a string or a pair.
        refused(&[4, 0x1f, 0, 1, 0xff], PacketKind::Puback);
        refused(&[4, 0x1f, 0, 1, 0x00], PacketKind::Puback);
        refused(&[5, 0x1f, 0, 2, 0xc3, 0x28], PacketKind::Puback);
        refused(&[7, 0x26, 0, 1, b'k', 0, 1, 0xfe], PacketKind::Puback);
        // Values out of range.
        refused(&[3, 0x23, 0, 0], PacketKind::Publish);
        refused(&[2, 0x01, 2], PacketKind::Publish);
        refused(&[2, 0x0b, 0], PacketKind::Publish);
        refused(&[3, 0x21, 0, 0], PacketKind::Connack);
        refused(&[5, 0x27, 0, 0, 0, 0], PacketKind::Connack);
        refused(&[2, 0x24, 2], PacketKind::Connack);
        // A varint value of five bytes.
        refused(
            &[6, 0x0b, 0x80, 0x80, 0x80, 0x80, 0x01],
            PacketKind::Publish,
        );
    }

    #[test]
    fn a_block_writes_and_reads_back() {
        let props = [
            Property {
                id: id::SESSION_EXPIRY_INTERVAL,
                value: Value::FourByte(60),
            },
            Property {
                id: id::USER_PROPERTY,
                value: Value::Pair(b"a", b"b"),
            },
            Property {
                id: id::RECEIVE_MAXIMUM,
                value: Value::TwoByte(10),
            },
        ];
        let mut out = [0u8; 32];
        let n = encode_block(&props, PacketKind::Connect, &mut out).unwrap();
        assert_eq!(
            &out[..n],
            &[15, 0x11, 0, 0, 0, 60, 0x26, 0, 1, b'a', 0, 1, b'b', 0x21, 0, 10]
        );
        let (p, m) = parse(&out[..n], PacketKind::Connect).unwrap();
        assert_eq!(m, n);
        assert!(p.iter().eq(props.iter().copied()));
        assert_eq!(
            encode_block(&props, PacketKind::Connect, &mut out[..15]),
            Err(Error::BufferTooSmall(16))
        );
    }

    #[test]
    fn writing_a_bad_property_is_a_bad_argument() {
        let mut out = [0u8; 32];
        let wrong_type = [Property {
            id: id::TOPIC_ALIAS,
            value: Value::Byte(1),
        }];
        let not_here = [Property {
            id: id::TOPIC_ALIAS,
            value: Value::TwoByte(1),
        }];
        let twice = [
            Property {
                id: id::REASON_STRING,
                value: Value::Utf8(b"x"),
            },
            Property {
                id: id::REASON_STRING,
                value: Value::Utf8(b"y"),
            },
        ];
        let nul = [Property {
            id: id::REASON_STRING,
            value: Value::Utf8(b"a\0"),
        }];
        let unknown = [Property {
            id: 0x05,
            value: Value::Byte(0),
        }];
        assert_eq!(
            encode_block(&wrong_type, PacketKind::Publish, &mut out),
            Err(Error::BadArgument)
        );
        assert_eq!(
            encode_block(&not_here, PacketKind::Connect, &mut out),
            Err(Error::BadArgument)
        );
        assert_eq!(
            encode_block(&twice, PacketKind::Puback, &mut out),
            Err(Error::BadArgument)
        );
        assert_eq!(
            encode_block(&nul, PacketKind::Puback, &mut out),
            Err(Error::BadArgument)
        );
        assert_eq!(
            encode_block(&unknown, PacketKind::Puback, &mut out),
            Err(Error::BadArgument)
        );
        let big = "a".repeat(70_000);
        let long = [Property {
            id: id::REASON_STRING,
            value: Value::Utf8(big.as_bytes()),
        }];
        assert_eq!(
            encode_block(&long, PacketKind::Puback, &mut out),
            Err(Error::PacketTooLarge)
        );
    }
}
