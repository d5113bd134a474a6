//! Encoding into caller slices (size first) and the decoder of what a client receives.
//!
//! Every encoder computes the exact packet size before writing anything, so a
//! short slice gives [`Error::BufferTooSmall`] with the size needed and leaves
//! the slice untouched. Strings longer than 65 535 bytes are refused here
//! (mqttrs would write `len as u16`).
//!
//! Every packet is encoded here. mqttrs 0.4.1 writes a wrong MQTT 3.1 CONNECT (`00 04 MQisdp`
//! with level 4) and its SUBSCRIBE/UNSUBSCRIBE copy each filter into a
//! 256-byte `heapless::String` (1.3 KiB of stack, filters > 256 bytes
//! impossible); the acknowledgements are four fixed bytes.
//!
//! Decoding reads exactly one packet that [`crate::frame`] framed and
//! length-checked, never more bytes, into [`Incoming`] (the packets a client
//! receives; mqttrs is the oracle of the tests, not a dependency).

use crate::frame;
use crate::pid::PacketId;
use crate::{Error, MAX_REMAINING_LENGTH, MAX_STRING};

/// Bytes the remaining-length varint takes.
pub fn varint_len(remaining: usize) -> usize {
    match remaining {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

/// Whole packet size for a remaining length, or `PacketTooLarge`. Inlined
/// around [`packet_len`], which is not: its `Option` comes back in
/// registers, where a `Result` would go through the stack.
#[inline(always)]
pub fn packet_size(remaining: usize) -> Result<usize, Error> {
    packet_len(remaining).ok_or(Error::PacketTooLarge)
}

/// Whole packet size for a remaining length (`None` above the largest).
fn packet_len(remaining: usize) -> Option<usize> {
    (remaining <= MAX_REMAINING_LENGTH).then(|| 1 + varint_len(remaining) + remaining)
}

/// `2 + len` for an MQTT string or binary field, or `PacketTooLarge`.
pub(crate) fn field(len: usize) -> Result<usize, Error> {
    if len > MAX_STRING {
        Err(Error::PacketTooLarge)
    } else {
        Ok(2 + len)
    }
}

pub(crate) fn add(a: usize, b: usize) -> Result<usize, Error> {
    a.checked_add(b).ok_or(Error::PacketTooLarge)
}

/// The output slice, cut to the packet size, or `BufferTooSmall(size)`.
pub(crate) fn room(out: &mut [u8], size: usize) -> Result<&mut [u8], Error> {
    out.get_mut(..size).ok_or(Error::BufferTooSmall(size))
}

/// A cursor over a slice already checked to be large enough. Writes past its
/// end are dropped (and reported by `finish`), never a panic: the position
/// always advances, so one comparison at the end finds any overflow (no
/// flag to keep beside it).
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, pos: 0 }
    }
    #[inline(never)]
    pub(crate) fn u8(&mut self, v: u8) {
        if let Some(b) = self.buf.get_mut(self.pos) {
            *b = v;
        }
        self.pos = self.pos.saturating_add(1);
    }
    pub(crate) fn u16(&mut self, v: u16) {
        self.bytes(&v.to_be_bytes());
    }
    pub(crate) fn bytes(&mut self, v: &[u8]) {
        let end = self.pos.saturating_add(v.len());
        if let Some(dst) = self.buf.get_mut(self.pos..end) {
            dst.copy_from_slice(v);
        }
        self.pos = end;
    }
    /// A length-prefixed field; the caller checked `v.len() <= 65 535`.
    pub(crate) fn field(&mut self, v: &[u8]) {
        self.u16(u16::try_from(v.len()).unwrap_or(u16::MAX));
        self.bytes(v);
    }
    pub(crate) fn varint(&mut self, mut v: usize) {
        loop {
            let mut b = (v % 128) as u8;
            v /= 128;
            if v > 0 {
                b |= 0x80;
            }
            self.u8(b);
            if v == 0 {
                break;
            }
        }
    }
    pub(crate) fn finish(self) -> Result<usize, Error> {
        if self.pos > self.buf.len() {
            Err(Error::BufferTooSmall(self.buf.len().saturating_add(1)))
        } else {
            Ok(self.pos)
        }
    }
}

/// The last will of a CONNECT.
#[derive(Clone, Copy)]
pub struct WillFields<'a> {
    pub topic: &'a [u8],
    pub payload: &'a [u8],
    pub qos: u8,
    pub retain: bool,
}

/// The fields of a CONNECT, already validated by the caller (except sizes).
#[derive(Clone, Copy)]
pub struct ConnectFields<'a> {
    /// 3 = MQTT 3.1 ("MQIsdp"), 4 = MQTT 3.1.1 ("MQTT").
    pub protocol_level: u8,
    pub clean_session: bool,
    pub keepalive_s: u16,
    pub client_id: &'a [u8],
    pub will: Option<WillFields<'a>>,
    pub user: Option<&'a [u8]>,
    pub password: Option<&'a [u8]>,
}

/// Encodes CONNECT; returns its length.
pub fn encode_connect(c: &ConnectFields<'_>, out: &mut [u8]) -> Result<usize, Error> {
    connect_with(c, None, out)
}

/// The property blocks of an MQTT 5 CONNECT (level 5), for [`connect_with`].
#[cfg(feature = "mqtt5")]
pub(crate) struct ConnectProps<'a> {
    /// Session Expiry Interval "never" first (what 3.1.1's
    /// `clean_session=False` means), when `raw` has none.
    pub session_kept: bool,
    /// Maximum Packet Size next, unless 0 (the caller checked that `raw`
    /// has none).
    pub max_packet: u32,
    /// The connect properties, encoded (a block's content).
    pub raw: &'a [u8],
    /// The will properties, encoded.
    pub will_raw: &'a [u8],
}
/// No MQTT 5: never given.
#[cfg(not(feature = "mqtt5"))]
pub(crate) enum ConnectProps {}

/// The one CONNECT encoder for every level: 3 and 4 (`v5` `None`) and 5
/// (`v5` `Some`: its property blocks are sized and checked, in the order
/// [`crate::v5::encode::encode_connect`] documents, and written). Out of
/// line so that the 3.1.1 and MQTT 5 callers share it.
#[cfg_attr(not(feature = "mqtt5"), allow(clippy::needless_lifetimes))]
pub(crate) fn connect_with<'a>(
    c: &ConnectFields<'_>,
    #[cfg(feature = "mqtt5")] v5: Option<&ConnectProps<'a>>,
    #[cfg(not(feature = "mqtt5"))] v5: Option<&'a ConnectProps>,
    out: &mut [u8],
) -> Result<usize, Error> {
    #[cfg(feature = "mqtt5")]
    use crate::v5::properties::{block_size, PacketKind, Properties};
    /// Session Expiry Interval (0x11), 0xffffffff.
    #[cfg(feature = "mqtt5")]
    const SESSION_KEPT: [u8; 5] = [0x11, 0xff, 0xff, 0xff, 0xff];
    let name: &[u8] = if c.protocol_level == 3 {
        b"MQIsdp"
    } else {
        b"MQTT"
    };
    let mut flags = 0u8;
    // name + level + flags + keepalive (+ properties)
    let mut rem = add(field(name.len())?, 4)?;
    #[cfg(feature = "mqtt5")]
    let mut blocks = (0, 0);
    #[cfg(feature = "mqtt5")]
    if let Some(v) = v5 {
        Properties::check_content(v.raw, PacketKind::Connect)?;
        let kept = if v.session_kept {
            SESSION_KEPT.len()
        } else {
            0
        };
        let max = if v.max_packet != 0 { 5 } else { 0 };
        blocks.0 = add(kept + max, v.raw.len())?;
        rem = add(rem, block_size(blocks.0).ok_or(Error::PacketTooLarge)?)?;
    }
    if c.clean_session {
        flags |= 0x02;
    }
    let will = c.will.as_ref();
    if let Some(w) = will {
        if v5.is_some() && w.qos > 2 {
            return Err(Error::BadArgument);
        }
        flags |= 0x04 | ((w.qos & 0x03) << 3);
        if w.retain {
            flags |= 0x20;
        }
        #[cfg(feature = "mqtt5")]
        if let Some(v) = v5 {
            Properties::check_content(v.will_raw, PacketKind::Will)?;
            blocks.1 = v.will_raw.len();
            rem = add(rem, block_size(blocks.1).ok_or(Error::PacketTooLarge)?)?;
        }
    }
    // The payload's fields in their order (MQTT 5: the will properties
    // before the will topic), and the flag each sets when present.
    let fields = [
        (Some(c.client_id), 0),
        (will.map(|w| w.topic), 0),
        (will.map(|w| w.payload), 0),
        (c.user, 0x80),
        (c.password, 0x40),
    ];
    for (f, flag) in &fields {
        if let Some(f) = f {
            flags |= flag;
            rem = add(rem, field(f.len())?)?;
        }
    }
    let size = packet_size(rem)?;
    let mut w = Writer::new(room(out, size)?);
    w.u8(0x10);
    w.varint(rem);
    w.field(name);
    w.u8(c.protocol_level);
    w.u8(flags);
    w.u16(c.keepalive_s);
    #[cfg(feature = "mqtt5")]
    if let Some(v) = v5 {
        w.varint(blocks.0);
        if v.session_kept {
            w.bytes(&SESSION_KEPT);
        }
        if v.max_packet != 0 {
            let [a, b, c, d] = v.max_packet.to_be_bytes();
            w.bytes(&[crate::v5::properties::id::MAXIMUM_PACKET_SIZE, a, b, c, d]);
        }
        w.bytes(v.raw);
    }
    for (i, (f, _)) in fields.iter().enumerate() {
        #[cfg(feature = "mqtt5")]
        if let (1, Some(v), Some(_)) = (i, v5, will) {
            w.varint(blocks.1);
            w.bytes(v.will_raw);
        }
        #[cfg(not(feature = "mqtt5"))]
        let _ = i;
        if let Some(f) = f {
            w.field(f);
        }
    }
    w.finish()
}

fn publish_rem(topic_len: usize, payload_len: usize, qos: u8) -> Result<usize, Error> {
    if topic_len > MAX_STRING {
        return Err(Error::InvalidTopic);
    }
    add(2 + topic_len + if qos > 0 { 2 } else { 0 }, payload_len)
}

/// Size of a PUBLISH.
pub fn publish_size(topic_len: usize, payload_len: usize, qos: u8) -> Result<usize, Error> {
    packet_size(publish_rem(topic_len, payload_len, qos)?)
}

/// Encodes PUBLISH (the topic was validated). `pid` must be `Some` for QoS 1/2.
pub fn encode_publish(
    topic: &str,
    payload: &[u8],
    qos: u8,
    pid: Option<PacketId>,
    retain: bool,
    dup: bool,
    out: &mut [u8],
) -> Result<usize, Error> {
    // Encoded here rather than by mqttrs, whose Publish::to_buffer copies the
    // payload a byte at a time (460k instructions for 64 KiB, against one
    // memcpy); decode(encode(p)) == p is a property test against mqttrs.
    let rem = publish_rem(topic.len(), payload.len(), qos)?;
    let size = packet_size(rem)?;
    let mut first = 0x30 | (qos << 1) | u8::from(retain);
    if dup {
        first |= 0x08;
    }
    let mut w = Writer::new(room(out, size)?);
    w.u8(first);
    w.varint(rem);
    w.field(topic.as_bytes());
    match (qos, pid) {
        (0, _) => {}
        (1 | 2, Some(p)) => w.u16(p.get()),
        _ => return Err(Error::BadArgument),
    }
    w.bytes(payload);
    w.finish()
}

fn subscribe_rem(filter_len: usize) -> Result<usize, Error> {
    add(2 + 1, field(filter_len)?)
}

fn unsubscribe_rem(filter_len: usize) -> Result<usize, Error> {
    add(2, field(filter_len)?)
}

/// Size of a SUBSCRIBE with one filter.
pub fn subscribe_size(filter_len: usize) -> Result<usize, Error> {
    packet_size(subscribe_rem(filter_len)?)
}

/// Size of an UNSUBSCRIBE with one filter.
pub fn unsubscribe_size(filter_len: usize) -> Result<usize, Error> {
    packet_size(unsubscribe_rem(filter_len)?)
}

/// Encodes SUBSCRIBE with one filter; `filter` was validated.
pub fn encode_subscribe(
    pid: PacketId,
    filter: &[u8],
    qos: u8,
    out: &mut [u8],
) -> Result<usize, Error> {
    let rem = subscribe_rem(filter.len())?;
    let size = packet_size(rem)?;
    let mut w = Writer::new(room(out, size)?);
    w.u8(0x82);
    w.varint(rem);
    w.u16(pid.get());
    w.field(filter);
    w.u8(qos);
    w.finish()
}

/// Encodes UNSUBSCRIBE with one filter; `filter` was validated.
pub fn encode_unsubscribe(pid: PacketId, filter: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let rem = unsubscribe_rem(filter.len())?;
    let size = packet_size(rem)?;
    let mut w = Writer::new(room(out, size)?);
    w.u8(0xa2);
    w.varint(rem);
    w.u16(pid.get());
    w.field(filter);
    w.finish()
}

/// A PUBLISH for every level (the client's): `v5` adds MQTT 5's property
/// block after the packet id, a Topic Alias when `alias` is not 0, then
/// `raw` (encoded properties the caller checked). The size is checked
/// before anything is written.
pub(crate) struct Pub<'a> {
    /// Validated by the caller; empty only with an alias.
    pub topic: &'a [u8],
    pub payload: &'a [u8],
    /// 0..=2, checked by the caller.
    pub qos: u8,
    /// `Some` for QoS 1 and 2.
    pub pid: Option<PacketId>,
    pub retain: bool,
    pub dup: bool,
    pub v5: bool,
    pub alias: u16,
    pub raw: &'a [u8],
}

impl Pub<'_> {
    /// MQTT 5 (never without the feature: its code drops out).
    fn is_v5(&self) -> bool {
        cfg!(feature = "mqtt5") && self.v5
    }

    /// The property block's content size (MQTT 5).
    fn props(&self) -> usize {
        self.raw
            .len()
            .saturating_add(if self.alias != 0 { 3 } else { 0 })
    }

    /// Remaining length.
    #[cfg_attr(not(feature = "mqtt5"), inline(always))]
    fn rem(&self) -> Result<usize, Error> {
        if self.topic.len() > MAX_STRING {
            return Err(Error::InvalidTopic);
        }
        let rem = 2 + self.topic.len() + if self.qos > 0 { 2 } else { 0 };
        #[cfg(feature = "mqtt5")]
        let rem = if self.is_v5() {
            add(
                rem,
                crate::v5::properties::block_size(self.props()).ok_or(Error::PacketTooLarge)?,
            )?
        } else {
            rem
        };
        add(rem, self.payload.len())
    }

    /// Remaining length and size of the packet.
    #[inline(always)]
    pub fn sizes(&self) -> Result<(usize, usize), Error> {
        let rem = self.rem()?;
        Ok((rem, packet_size(rem)?))
    }

    /// Encodes it with the remaining length [`Pub::sizes`] gave: its size
    /// in bytes (the callers sized it first, so only success or failure
    /// comes back: a `Result<(), Error>` returns in registers, a
    /// `Result<usize, Error>` through the stack).
    pub fn encode(&self, rem: usize, out: &mut [u8]) -> Result<(), Error> {
        let pid = match (self.qos, self.pid) {
            (0, _) => None,
            (_, Some(pid)) => Some(pid),
            _ => return Err(Error::BadArgument),
        };
        let size = packet_size(rem)?;
        let mut first = 0x30 | (self.qos << 1) | u8::from(self.retain);
        if self.dup {
            first |= 0x08;
        }
        let mut w = Writer::new(room(out, size)?);
        w.u8(first);
        w.varint(rem);
        w.field(self.topic);
        if let Some(pid) = pid {
            w.u16(pid.get());
        }
        if self.is_v5() {
            w.varint(self.props());
            if self.alias != 0 {
                // Topic Alias (3.3.2.3.4)
                w.u8(0x23);
                w.u16(self.alias);
            }
            w.bytes(self.raw);
        }
        w.bytes(self.payload);
        w.finish().map(drop)
    }
}

/// A SUBSCRIBE (`sub`, with the options byte `options`) or UNSUBSCRIBE of
/// one filter (validated by the caller), for every level: `v5` adds MQTT 5's
/// property block, holding a Subscription Identifier when `sid` is not 0
/// (1..=268 435 455, checked by the caller). The size is checked before
/// anything is written.
pub(crate) struct Op<'a> {
    pub sub: bool,
    pub filter: &'a [u8],
    pub options: u8,
    pub v5: bool,
    pub sid: u32,
}

impl Op<'_> {
    /// MQTT 5 (never without the feature: its code drops out).
    fn is_v5(&self) -> bool {
        cfg!(feature = "mqtt5") && self.v5
    }

    /// The property block's content size (MQTT 5).
    fn props(&self) -> usize {
        if self.sid != 0 {
            1 + varint_len(self.sid as usize)
        } else {
            0
        }
    }

    /// Remaining length (MQTT 5: inlined rather than returned through the
    /// stack; without it LLVM's own choice is smaller).
    #[cfg_attr(feature = "mqtt5", inline(always))]
    fn rem(&self) -> Result<usize, Error> {
        let block = if self.is_v5() { 1 + self.props() } else { 0 };
        add(2 + block + usize::from(self.sub), field(self.filter.len())?)
    }

    /// Remaining length and size of the packet.
    #[inline(always)]
    pub fn sizes(&self) -> Result<(usize, usize), Error> {
        let rem = self.rem()?;
        Ok((rem, packet_size(rem)?))
    }

    /// Encodes it with `pid` and the remaining length [`Op::sizes`] gave
    /// (as [`Pub::encode`]).
    pub fn encode(&self, rem: usize, pid: PacketId, out: &mut [u8]) -> Result<(), Error> {
        let size = packet_size(rem)?;
        let mut w = Writer::new(room(out, size)?);
        w.u8(if self.sub { 0x82 } else { 0xa2 });
        w.varint(rem);
        w.u16(pid.get());
        if self.is_v5() {
            let n = self.props();
            w.varint(n);
            if n != 0 {
                // Subscription Identifier (3.8.2.1.2)
                w.u8(0x0b);
                w.varint(self.sid as usize);
            }
        }
        w.field(self.filter);
        if self.sub {
            w.u8(self.options);
        }
        w.finish().map(drop)
    }
}

/// A 4-byte acknowledgement: `first` is 0x40 PUBACK, 0x50 PUBREC, 0x62 PUBREL, 0x70 PUBCOMP.
pub fn ack(first: u8, pid: u16) -> [u8; 4] {
    let [hi, lo] = pid.to_be_bytes();
    [first, 0x02, hi, lo]
}

pub const PUBACK: u8 = 0x40;
pub const PUBREC: u8 = 0x50;
pub const PUBREL: u8 = 0x62;
pub const PUBCOMP: u8 = 0x70;
pub const PINGREQ: [u8; 2] = [0xc0, 0x00];
pub const DISCONNECT: [u8; 2] = [0xe0, 0x00];

/// Copies a fixed 2-byte packet into `out`.
pub fn encode_fixed(bytes: [u8; 2], out: &mut [u8]) -> Result<usize, Error> {
    room(out, 2)?.copy_from_slice(&bytes);
    Ok(2)
}

/// A packet a client receives, decoded in place: topic and payload borrow
/// from the buffer.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum Incoming<'a> {
    Connack {
        session_present: bool,
        /// 0 accepted, 1..=5 refused.
        code: u8,
    },
    Publish {
        dup: bool,
        qos: u8,
        retain: bool,
        /// Valid UTF-8 (checked here); the topic-name rules are the caller's.
        topic: &'a [u8],
        /// 0 for QoS 0.
        pid: u16,
        payload: &'a [u8],
    },
    Puback(u16),
    Pubrec(u16),
    Pubrel(u16),
    Pubcomp(u16),
    /// The first return code: the granted QoS (0..=2) or 0x80.
    Suback {
        pid: u16,
        code: u8,
    },
    Unsuback(u16),
    Pingresp,
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

/// Frames the packet at the start of `buf` and, once whole and length-checked
/// ([`crate::frame`]), decodes exactly its bytes. The decoder knows only the
/// nine packets a client receives (mqttrs, a general codec, costs about a
/// kilobyte more on a Cortex-M and a 1.4 KiB `Packet` on the stack; it stays
/// the test oracle). What framing proved is not checked twice; what it
/// leaves is refused here as mqttrs refuses it: a packet id 0, a CONNACK
/// code above 5, a SUBACK code other than 0, 1, 2 or 0x80 or more than five
/// of them, a topic that is not UTF-8.
pub fn decode(buf: &[u8]) -> Result<Decoded<'_>, Error> {
    decode_packet(buf, false, frame::RxBound::NONE).map(|(d, _)| d)
}

/// [`decode`], or with `head` [`decode_head`] for a PUBLISH whose payload
/// is not all in `buf` (the client's one decoding: the fixed header is read
/// once); the second value is how many payload bytes follow a head on the
/// stream (0 for a whole packet). A packet above `bound` is refused as
/// soon as its fixed header is read.
pub(crate) fn decode_packet(
    buf: &[u8],
    head: bool,
    bound: frame::RxBound,
) -> Result<(Decoded<'_>, usize), Error> {
    Ok(match frame::body_of(buf, frame::parse_packet(buf, head, bound)?)? {
        Err(n) => (Decoded::NeedMore(n), 0),
        // A head is a PUBLISH's: decoded with an empty payload.
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

/// Result of [`decode_head`].
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum DecodedHead<'a> {
    NeedMore(usize),
    /// Not a PUBLISH, or whole: use [`decode`].
    Whole,
    /// A PUBLISH's head of `consumed` bytes, decoded with an empty payload;
    /// `body_len` payload bytes follow it.
    Publish {
        consumed: usize,
        packet: Incoming<'a>,
        body_len: usize,
    },
}

/// Decodes the head of a PUBLISH whose payload is not all in `buf`
/// ([`frame::parse_head`]), checked as [`decode`] checks a whole one.
pub fn decode_head(buf: &[u8]) -> Result<DecodedHead<'_>, Error> {
    let (f, head_len) = match frame::parse_head(buf)? {
        frame::Head::NeedMore(n) => return Ok(DecodedHead::NeedMore(n)),
        frame::Head::Whole => return Ok(DecodedHead::Whole),
        frame::Head::Publish { framed, head_len } => (framed, head_len),
    };
    let body = buf
        .get(f.header_len..head_len)
        .ok_or(Error::ProtocolError)?;
    Ok(DecodedHead::Publish {
        consumed: head_len,
        packet: decode_publish(f.header, body)?,
        body_len: f.total().saturating_sub(head_len),
    })
}

/// A non-zero packet id at `at` (an `Option`, returned in registers, where
/// a `Result` would go through the stack; the callers name the error).
fn pid_at(body: &[u8], at: usize) -> Option<u16> {
    match (body.get(at), body.get(at.wrapping_add(1))) {
        (Some(&hi), Some(&lo)) if hi | lo != 0 => Some(u16::from_be_bytes([hi, lo])),
        _ => None,
    }
}

// Two callers (`decode_packet` and the client's handling of either
// version): inlined into both where speed counts (hosted builds; the
// receive path's instructions), left to LLVM on bare metal, where forcing
// it grows the MQTT 5 firmware.
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn decode_body(header: u8, body: &[u8]) -> Result<Incoming<'_>, Error> {
    let packet = match header >> 4 {
        frame::ty::CONNACK => match body {
            [flags, code] if *code <= 5 => Incoming::Connack {
                session_present: flags & 1 == 1,
                code: *code,
            },
            _ => return Err(Error::ProtocolError),
        },
        frame::ty::PUBLISH => return decode_publish(header, body),
        frame::ty::PUBACK..=frame::ty::PUBCOMP | frame::ty::UNSUBACK => decode_ack(header, body)?,
        frame::ty::SUBACK => {
            let codes = body.get(2..).unwrap_or(&[]);
            let valid = |c: &u8| matches!(c, 0 | 1 | 2 | 0x80);
            match codes.first() {
                Some(&code) if codes.len() <= 5 && codes.iter().all(valid) => Incoming::Suback {
                    pid: pid_at(body, 0).ok_or(Error::ProtocolError)?,
                    code,
                },
                _ => return Err(Error::ProtocolError),
            }
        }
        frame::ty::PINGRESP => Incoming::Pingresp,
        _ => return Err(Error::ProtocolError),
    };
    Ok(packet)
}

/// PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK: a packet id alone, read
/// once for the five (framing proved the length).
fn decode_ack(header: u8, body: &[u8]) -> Result<Incoming<'_>, Error> {
    let pid = pid_at(body, 0).ok_or(Error::ProtocolError)?;
    Ok(match header >> 4 {
        frame::ty::PUBACK => Incoming::Puback(pid),
        frame::ty::PUBREC => Incoming::Pubrec(pid),
        frame::ty::PUBREL => Incoming::Pubrel(pid),
        frame::ty::PUBCOMP => Incoming::Pubcomp(pid),
        _ => Incoming::Unsuback(pid),
    })
}

fn decode_publish(header: u8, body: &[u8]) -> Result<Incoming<'_>, Error> {
    let qos = (header >> 1) & 0x03;
    let topic_len = match body {
        [hi, lo, ..] => usize::from(u16::from_be_bytes([*hi, *lo])),
        _ => return Err(Error::ProtocolError),
    };
    let topic_end = 2usize.saturating_add(topic_len);
    let topic = body.get(2..topic_end).ok_or(Error::ProtocolError)?;
    if !crate::utf8_ok(topic) {
        return Err(Error::ProtocolError);
    }
    let (pid, payload_at) = if qos == 0 {
        (0, topic_end)
    } else {
        (
            pid_at(body, topic_end).ok_or(Error::ProtocolError)?,
            topic_end.saturating_add(2),
        )
    };
    Ok(Incoming::Publish {
        dup: header & 0x08 != 0,
        qos,
        retain: header & 0x01 != 0,
        topic,
        pid,
        payload: body.get(payload_at..).ok_or(Error::ProtocolError)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client's MQTT 5 CONNECT (encoded properties, Session Expiry
    /// "never" and our Maximum Packet Size put first when asked for)
    /// writes what the general v5 encoder writes with those properties
    /// typed, and refuses what it refuses.
    #[cfg(feature = "mqtt5")]
    #[test]
    fn the_clients_v5_connect_writes_what_the_v5_encoder_writes() {
        use crate::v5::encode as e5;
        use crate::v5::properties::{id, Property, Value};
        let raws: [&[u8]; 4] = [b"", &[0x21, 0x00, 0x0a], &[0x27, 0, 0, 1, 0], &[0x21, 0x00]];
        let will_raws: [&[u8]; 3] = [b"", &[0x18, 0, 0, 0, 5], &[0x01]];
        for (session_kept, max_packet) in [(false, 0), (true, 0), (false, 0x0102_0304), (true, 64)] {
            let mut typed = std::vec::Vec::new();
            if session_kept {
                typed.push(Property {
                    id: id::SESSION_EXPIRY_INTERVAL,
                    value: Value::FourByte(u32::MAX),
                });
            }
            if max_packet != 0 {
                typed.push(Property {
                    id: id::MAXIMUM_PACKET_SIZE,
                    value: Value::FourByte(max_packet),
                });
            }
            // The caller adds ours only where the script gave none.
            for raw in raws.iter().filter(|r| max_packet == 0 || r.first() != Some(&0x27)) {
                let raw: &[u8] = raw;
                for will_raw in will_raws {
                    for will in [false, true] {
                        for (user, password) in [(None, None), (Some(&b"u"[..]), Some(&b"pw"[..]))]
                        {
                            let f = ConnectFields {
                                protocol_level: 5,
                                clean_session: !session_kept,
                                keepalive_s: 30,
                                client_id: b"cid",
                                will: will.then_some(WillFields {
                                    topic: b"w/t",
                                    payload: b"bye",
                                    qos: 1,
                                    retain: true,
                                }),
                                user,
                                password,
                            };
                            let v = ConnectProps {
                                session_kept,
                                max_packet,
                                raw,
                                will_raw,
                            };
                            let c = e5::Connect {
                                clean_start: !session_kept,
                                keepalive_s: 30,
                                client_id: b"cid",
                                properties: &typed,
                                raw,
                                will: will.then_some(e5::Will {
                                    topic: b"w/t",
                                    payload: b"bye",
                                    qos: 1,
                                    retain: true,
                                    properties: &[],
                                    raw: will_raw,
                                }),
                                user,
                                password,
                            };
                            let (mut a, mut b) = ([0u8; 128], [0u8; 128]);
                            let x = connect_with(&f, Some(&v), &mut a);
                            let y = e5::encode_connect(&c, &mut b);
                            assert_eq!(x, y, "{session_kept} {max_packet} {raw:?} {will_raw:?} {will}");
                            if let Ok(n) = x {
                                assert_eq!(a[..n], b[..n]);
                                assert_eq!(
                                    connect_with(&f, Some(&v), &mut a[..n - 1]),
                                    Err(Error::BufferTooSmall(n))
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    /// The client's PUBLISH encoder writes what the 3.1.1 encoder and (MQTT
    /// 5) the general v5 encoder write, and sizes it the same.
    #[test]
    fn pub_writes_what_the_publish_encoders_write() {
        let long = [b'p'; 300];
        let pid = PacketId::new(0x0102).unwrap();
        for topic in ["a/b", "t"] {
            for payload in [&b""[..], b"hello", &long] {
                for qos in 0..=2u8 {
                    for (retain, dup) in
                        [(false, false), (true, false), (false, true), (true, true)]
                    {
                        let id = (qos > 0).then_some(pid);
                        let p = Pub {
                            topic: topic.as_bytes(),
                            payload,
                            qos,
                            pid: id,
                            retain,
                            dup,
                            v5: false,
                            alias: 0,
                            raw: &[],
                        };
                        let (mut a, mut b) = ([0u8; 400], [0u8; 400]);
                        let (rem, n) = p.sizes().unwrap();
                        p.encode(rem, &mut a[..n]).unwrap();
                        assert_eq!(n, publish_size(topic.len(), payload.len(), qos).unwrap());
                        let m =
                            encode_publish(topic, payload, qos, id, retain, dup, &mut b).unwrap();
                        assert_eq!(a[..n], b[..m]);
                        #[cfg(feature = "mqtt5")]
                        {
                            use crate::v5::encode as e5;
                            use crate::v5::properties::{id as pid5, Property, Value};
                            for alias in [0u16, 1, 0x1234] {
                                for raw in [
                                    &b""[..],
                                    &[0x01, 0x01][..],
                                    &[0x02, 0, 0, 0, 9, 0x01, 0x00][..],
                                ] {
                                    let t = if alias == 1 { "" } else { topic };
                                    let p = Pub {
                                        topic: t.as_bytes(),
                                        v5: true,
                                        alias,
                                        raw,
                                        ..p
                                    };
                                    let mut a = [0u8; 400];
                                    let (rem, n) = p.sizes().unwrap();
                                    p.encode(rem, &mut a[..n]).unwrap();
                                    let ap = [Property {
                                        id: pid5::TOPIC_ALIAS,
                                        value: Value::TwoByte(alias),
                                    }];
                                    let q = e5::Publish {
                                        topic: t.as_bytes(),
                                        payload,
                                        qos,
                                        pid: id,
                                        retain,
                                        dup,
                                        properties: if alias != 0 { &ap } else { &[] },
                                        raw,
                                    };
                                    assert_eq!(e5::publish_size(&q), Ok(n));
                                    let mut b = [0u8; 400];
                                    let m = e5::encode_publish(&q, &mut b).unwrap();
                                    assert_eq!(a[..n], b[..m], "{alias} {raw:?}");
                                    let mut c = [0u8; 400];
                                    assert_eq!(
                                        p.encode(rem, &mut c[..n - 1]),
                                        Err(Error::BufferTooSmall(n))
                                    );
                                    assert!(c.iter().all(|&x| x == 0));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The one-filter SUBSCRIBE/UNSUBSCRIBE encoder the client uses writes
    /// what the 3.1.1 encoders and (MQTT 5) the general v5 encoders write.
    #[test]
    fn op_writes_what_the_packet_encoders_write() {
        let long = [b'f'; 300];
        let pid = PacketId::new(0x1234).unwrap();
        for filter in [&b"a"[..], b"a/+/#", &long] {
            for qos in 0..=2u8 {
                let op = Op {
                    sub: true,
                    filter,
                    options: qos,
                    v5: false,
                    sid: 0,
                };
                let (mut a, mut b) = ([0u8; 400], [0u8; 400]);
                let (rem, n) = op.sizes().unwrap();
                op.encode(rem, pid, &mut a[..n]).unwrap();
                let m = encode_subscribe(pid, filter, qos, &mut b).unwrap();
                assert_eq!(a[..n], b[..m]);
            }
            let op = Op {
                sub: false,
                filter,
                options: 0,
                v5: false,
                sid: 0,
            };
            let (mut a, mut b) = ([0u8; 400], [0u8; 400]);
            let (rem, n) = op.sizes().unwrap();
            op.encode(rem, pid, &mut a[..n]).unwrap();
            let m = encode_unsubscribe(pid, filter, &mut b).unwrap();
            assert_eq!(a[..n], b[..m]);
            #[cfg(feature = "mqtt5")]
            {
                use crate::v5::encode as e5;
                for options in [0u8, 1, 2, 0x04, 0x08, 0x10, 0x20, 0x2e] {
                    for sid in [
                        0u32,
                        1,
                        127,
                        128,
                        16_383,
                        16_384,
                        2_097_151,
                        2_097_152,
                        268_435_455,
                    ] {
                        let op = Op {
                            sub: true,
                            filter,
                            options,
                            v5: true,
                            sid,
                        };
                        let (mut a, mut b) = ([0u8; 400], [0u8; 400]);
                        let (rem, n) = op.sizes().unwrap();
                        op.encode(rem, pid, &mut a[..n]).unwrap();
                        let subs = [e5::Subscription {
                            filter,
                            options: e5::SubscriptionOptions {
                                qos: options & 3,
                                no_local: options & 4 != 0,
                                retain_as_published: options & 8 != 0,
                                retain_handling: options >> 4 & 3,
                            },
                        }];
                        let sid = (sid != 0).then_some(sid);
                        let m = e5::encode_subscribe(pid, &subs, sid, &[], &mut b).unwrap();
                        assert_eq!(a[..n], b[..m], "{options:#x} {sid:?}");
                        // Too small by one: the size, nothing written.
                        let mut c = [0u8; 400];
                        assert_eq!(
                            op.encode(rem, pid, &mut c[..n - 1]),
                            Err(Error::BufferTooSmall(n))
                        );
                        assert!(c.iter().all(|&x| x == 0));
                    }
                }
                let op = Op {
                    sub: false,
                    filter,
                    options: 0,
                    v5: true,
                    sid: 0,
                };
                let (mut a, mut b) = ([0u8; 400], [0u8; 400]);
                let (rem, n) = op.sizes().unwrap();
                op.encode(rem, pid, &mut a[..n]).unwrap();
                let m = e5::encode_unsubscribe(pid, &[filter], &[], &mut b).unwrap();
                assert_eq!(a[..n], b[..m]);
            }
        }
    }

    fn connect311() -> ConnectFields<'static> {
        ConnectFields {
            protocol_level: 4,
            clean_session: true,
            keepalive_s: 60,
            client_id: b"cid",
            will: None,
            user: None,
            password: None,
        }
    }

    #[test]
    fn a_minimal_mqtt311_connect_has_the_expected_bytes() {
        let mut out = [0u8; 64];
        let n = encode_connect(&connect311(), &mut out).unwrap();
        assert_eq!(
            &out[..n],
            &[0x10, 15, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 60, 0, 3, b'c', b'i', b'd']
        );
    }

    #[test]
    fn an_mqtt31_connect_names_mqisdp_level_3() {
        let mut out = [0u8; 64];
        let c = ConnectFields {
            protocol_level: 3,
            ..connect311()
        };
        let n = encode_connect(&c, &mut out).unwrap();
        assert_eq!(
            &out[..11],
            &[0x10, 17, 0, 6, b'M', b'Q', b'I', b's', b'd', b'p', 3]
        );
        assert_eq!(n, 19);
    }

    #[test]
    fn connect_with_will_user_and_password_sets_every_flag() {
        let mut out = [0u8; 64];
        let c = ConnectFields {
            will: Some(WillFields {
                topic: b"w",
                payload: b"bye",
                qos: 1,
                retain: true,
            }),
            user: Some(b"u"),
            password: Some(b""),
            ..connect311()
        };
        let n = encode_connect(&c, &mut out).unwrap();
        assert_eq!(out[9], 0x80 | 0x40 | 0x20 | 0x08 | 0x04 | 0x02);
        assert_eq!(
            &out[17..n],
            &[0, 1, b'w', 0, 3, b'b', b'y', b'e', 0, 1, b'u', 0, 0]
        );
        // mqttrs decodes what we wrote.
        match mqttrs::decode_slice(&out[..n]).unwrap().unwrap() {
            mqttrs::Packet::Connect(c) => {
                assert_eq!(c.client_id, "cid");
                assert_eq!(c.username, Some("u"));
                assert_eq!(c.password, Some(&b""[..]));
                assert!(c.last_will.is_some());
            }
            _ => panic!("not a connect"),
        }
    }

    #[test]
    fn a_short_buffer_reports_the_exact_size_and_stays_untouched() {
        let mut out = [0xaau8; 16];
        assert_eq!(
            encode_connect(&connect311(), &mut out),
            Err(Error::BufferTooSmall(17))
        );
        assert!(out.iter().all(|&b| b == 0xaa));
        assert_eq!(
            encode_publish("t", b"xy", 1, PacketId::new(5), false, false, &mut out[..8]),
            Err(Error::BufferTooSmall(9))
        );
        assert!(out.iter().all(|&b| b == 0xaa));
    }

    #[test]
    fn strings_above_65535_bytes_are_refused_before_encoding() {
        let big = [b'a'; 70_000];
        let mut out = [0u8; 16];
        let c = ConnectFields {
            client_id: &big,
            ..connect311()
        };
        assert_eq!(encode_connect(&c, &mut out), Err(Error::PacketTooLarge));
        assert_eq!(publish_size(70_000, 0, 0), Err(Error::InvalidTopic));
    }

    #[test]
    fn publish_sizes_cross_the_varint_boundaries() {
        assert_eq!(publish_size(1, 124, 0).unwrap(), 2 + 127);
        assert_eq!(publish_size(1, 125, 0).unwrap(), 3 + 128);
        assert_eq!(
            publish_size(1, MAX_REMAINING_LENGTH - 3, 0).unwrap(),
            5 + MAX_REMAINING_LENGTH
        );
        assert_eq!(
            publish_size(1, MAX_REMAINING_LENGTH - 2, 0),
            Err(Error::PacketTooLarge)
        );
        assert_eq!(publish_size(1, usize::MAX, 1), Err(Error::PacketTooLarge));
    }

    #[test]
    fn subscribe_and_unsubscribe_have_the_expected_bytes() {
        let mut out = [0u8; 32];
        let pid = PacketId::new(0x1234).unwrap();
        let n = encode_subscribe(pid, b"a/#", 2, &mut out).unwrap();
        assert_eq!(&out[..n], &[0x82, 8, 0x12, 0x34, 0, 3, b'a', b'/', b'#', 2]);
        let n = encode_unsubscribe(pid, b"a/#", &mut out).unwrap();
        assert_eq!(&out[..n], &[0xa2, 7, 0x12, 0x34, 0, 3, b'a', b'/', b'#']);
    }

    #[test]
    fn a_filter_longer_than_256_bytes_can_be_subscribed() {
        let f = [b'a'; 300];
        let mut out = [0u8; 400];
        let n = encode_subscribe(PacketId::ONE, &f, 0, &mut out).unwrap();
        assert_eq!(n, 1 + 2 + 2 + 2 + 300 + 1);
        assert_eq!(&out[..3], &[0x82, 0xb1, 0x02]);
    }

    #[test]
    fn decode_reads_one_packet_and_no_byte_more() {
        let bytes = [0x30, 0x03, 0x00, 0x01, b't', 0x40, 0x02, 0x00, 0x07];
        match decode(&bytes).unwrap() {
            Decoded::Packet {
                consumed,
                packet: Incoming::Publish { topic, payload, .. },
            } => {
                assert_eq!(consumed, 5);
                assert_eq!(topic, b"t");
                assert!(payload.is_empty());
            }
            _ => panic!("not a publish"),
        }
    }

    #[test]
    fn connack_codes_above_5_and_packet_id_0_are_protocol_errors() {
        assert!(matches!(
            decode(&[0x20, 2, 0, 6]),
            Err(Error::ProtocolError)
        ));
        assert!(matches!(
            decode(&[0x40, 2, 0, 0]),
            Err(Error::ProtocolError)
        ));
        assert!(matches!(
            decode(&[0x32, 5, 0, 1, b't', 0, 0]),
            Err(Error::ProtocolError)
        ));
    }

    #[test]
    fn suback_with_a_bad_code_or_more_than_five_codes_is_a_protocol_error() {
        assert!(matches!(
            decode(&[0x90, 3, 0, 1, 3]),
            Err(Error::ProtocolError)
        ));
        assert!(matches!(
            decode(&[0x90, 8, 0, 1, 0, 0, 0, 0, 0, 0]),
            Err(Error::ProtocolError)
        ));
        assert!(decode(&[0x90, 3, 0, 1, 0x80]).is_ok());
    }
}
