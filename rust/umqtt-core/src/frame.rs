//! Framing: find one whole packet at the start of a byte stream and check it
//! against the rules MQTT 3.1.1 sets for a packet a *client* receives, before
//! any decoder looks at it.
//!
//! Every length the decoder relies on is proven here (mqttrs 0.4.1, the tests'
//! oracle, indexes without bounds checks: `40 00` panics it): CONNACK, PUBACK, PUBREC, PUBREL,
//! PUBCOMP and UNSUBACK have exactly 2 bytes after the header, PINGRESP none,
//! SUBACK at least 3, and a PUBLISH holds its topic length, topic and (QoS > 0)
//! packet id. Reserved flag bits must have their fixed values (PUBREL `0x62`),
//! a PUBLISH may not say QoS 3, and packets only a server receives (CONNECT,
//! SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT) or reserved types 0 and 15 are
//! protocol errors.

use crate::Error;

/// Packet type numbers (upper nibble of the first byte).
pub mod ty {
    pub const CONNECT: u8 = 1;
    pub const CONNACK: u8 = 2;
    pub const PUBLISH: u8 = 3;
    pub const PUBACK: u8 = 4;
    pub const PUBREC: u8 = 5;
    pub const PUBREL: u8 = 6;
    pub const PUBCOMP: u8 = 7;
    pub const SUBSCRIBE: u8 = 8;
    pub const SUBACK: u8 = 9;
    pub const UNSUBSCRIBE: u8 = 10;
    pub const UNSUBACK: u8 = 11;
    pub const PINGREQ: u8 = 12;
    pub const PINGRESP: u8 = 13;
    pub const DISCONNECT: u8 = 14;
}

/// One complete, length-checked packet at the start of the buffer.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub struct Framed {
    /// First byte (type and flags).
    pub header: u8,
    /// Bytes of the fixed header (2..=5).
    pub header_len: usize,
    /// Remaining length (bytes after the fixed header).
    pub remaining: usize,
}

impl Framed {
    /// Packet type (upper nibble).
    pub fn packet_type(&self) -> u8 {
        self.header >> 4
    }
    /// Whole packet size.
    pub fn total(&self) -> usize {
        // header_len <= 5 and remaining <= 268 435 455: cannot overflow a 32-bit usize.
        self.header_len.saturating_add(self.remaining)
    }
}

/// The longest packet a client takes ([`crate::driver::Settings::max_packet`]):
/// a packet that announces more is refused with [`Error::PacketTooLarge`] as
/// soon as its fixed header is read, before its bytes are buffered. Sizes
/// are whole packets, fixed header included.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub struct RxBound {
    /// The longest packet other than a PUBLISH.
    pub max: usize,
    /// The longest PUBLISH (larger when its payload may go past the
    /// buffer, in pieces, after `handle_rx_head`).
    pub max_publish: usize,
}

impl RxBound {
    /// No bound.
    pub const NONE: RxBound = RxBound {
        max: usize::MAX,
        max_publish: usize::MAX,
    };

    /// Packets up to `max_packet` bytes (0: no bound); with `chunked`, a
    /// PUBLISH of any length.
    pub fn new(max_packet: u32, chunked: bool) -> Self {
        let max = match max_packet {
            0 => usize::MAX,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        RxBound {
            max,
            max_publish: if chunked { usize::MAX } else { max },
        }
    }

    /// `PacketTooLarge` for the packet `f` above the bound.
    fn check(self, f: &Framed) -> Result<(), Error> {
        let max = if f.packet_type() == ty::PUBLISH {
            self.max_publish
        } else {
            self.max
        };
        if f.total() > max {
            return Err(Error::PacketTooLarge);
        }
        Ok(())
    }
}

/// Result of looking at the buffer.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum Frame {
    /// No whole packet yet; the value is the total size the packet needs (a
    /// lower bound while its length bytes are still incomplete).
    NeedMore(usize),
    /// A whole packet of `total()` bytes that passed every length rule.
    Packet(Framed),
}

/// Reads the remaining-length varint after the type byte.
/// `Ok(None)` with the lower bound when incomplete.
fn read_length(buf: &[u8]) -> Result<Result<(usize, usize), usize>, Error> {
    let mut value: usize = 0;
    let mut i: usize = 0;
    while i < 4 {
        let pos = 1 + i;
        let Some(&b) = buf.get(pos) else {
            // type byte + i length bytes seen + at least one more byte
            return Ok(Err(pos + 1));
        };
        value |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Ok((value, pos + 1)));
        }
        i += 1;
    }
    // A fifth length byte: illegal in MQTT.
    Err(Error::ProtocolError)
}

/// Checks the remaining length of a fixed header whose type and flags
/// [`check_fixed_type`] passed (`fixed_header` calls it first, so only the
/// types a client receives come here, and a length of four bytes at most
/// never exceeds [`crate::MAX_REMAINING_LENGTH`]).
pub(crate) fn check_fixed(header: u8, remaining: usize) -> Result<(), Error> {
    let ok = match header >> 4 {
        ty::PINGRESP => remaining == 0,
        ty::SUBACK => remaining >= 3,
        // topic length (+ packet id)
        ty::PUBLISH => remaining >= if header & 0x06 == 0 { 2 } else { 4 },
        // CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK
        _ => remaining == 2,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::ProtocolError)
    }
}

/// Checks what needs the body: a PUBLISH's topic length and packet id fit.
fn check_body(f: &Framed, body: &[u8]) -> Result<(), Error> {
    if f.packet_type() != ty::PUBLISH {
        return Ok(());
    }
    let (Some(&hi), Some(&lo)) = (body.first(), body.get(1)) else {
        return Err(Error::ProtocolError);
    };
    let topic_len = usize::from(u16::from_be_bytes([hi, lo]));
    let pid_len = if f.header & 0x06 == 0 { 0 } else { 2 };
    let need = 2usize
        .checked_add(topic_len)
        .and_then(|n| n.checked_add(pid_len))
        .ok_or(Error::ProtocolError)?;
    if need <= f.remaining {
        Ok(())
    } else {
        Err(Error::ProtocolError)
    }
}

/// Frames the packet at the start of `buf`.
///
/// Errors come as soon as the bytes present prove them (a bad type byte is
/// refused before its length is complete).
pub fn parse(buf: &[u8]) -> Result<Frame, Error> {
    parse_by(buf, check_fixed_type, check_fixed, check_body)
}

/// The framing steps, with a version's rules: the type byte alone (refused
/// whatever its length), the type with its remaining length, and what needs
/// the body (MQTT 5's framing uses its own, `v5::frame`).
pub(crate) fn parse_by(
    buf: &[u8],
    check_type: impl Fn(u8) -> Result<(), Error>,
    check_length: impl Fn(u8, usize) -> Result<(), Error>,
    check_body: impl Fn(&Framed, &[u8]) -> Result<(), Error>,
) -> Result<Frame, Error> {
    match fixed_header(buf, check_type, check_length)? {
        Ok(f) => whole(buf, f, check_body),
        Err(need) => Ok(Frame::NeedMore(need)),
    }
}

/// The last framing step: the packet whole in `buf`, and what needs its body.
fn whole(
    buf: &[u8],
    f: Framed,
    check_body: impl Fn(&Framed, &[u8]) -> Result<(), Error>,
) -> Result<Frame, Error> {
    let Some(packet) = buf.get(..f.total()) else {
        return Ok(Frame::NeedMore(f.total()));
    };
    check_body(&f, packet.get(f.header_len..).unwrap_or(&[]))?;
    Ok(Frame::Packet(f))
}

/// The first framing steps, shared by [`parse_by`] and the `parse_head` of
/// each version: the fixed header, its type checked alone, then with its
/// remaining length. `Ok(Err(need))` while the length bytes are incomplete.
pub(crate) fn fixed_header(
    buf: &[u8],
    check_type: impl Fn(u8) -> Result<(), Error>,
    check_length: impl Fn(u8, usize) -> Result<(), Error>,
) -> Result<Result<Framed, usize>, Error> {
    let Some(&header) = buf.first() else {
        return Ok(Err(2));
    };
    check_type(header)?;
    let (remaining, header_len) = match read_length(buf)? {
        Ok(v) => v,
        Err(need) => return Ok(Err(need)),
    };
    check_length(header, remaining)?;
    Ok(Ok(Framed {
        header,
        header_len,
        remaining,
    }))
}

/// Result of [`parse_head`].
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum Head {
    /// The head is not complete yet: it needs this many bytes in total.
    NeedMore(usize),
    /// Not a PUBLISH, or one already whole in the buffer: frame it with [`parse`].
    Whole,
    /// A PUBLISH whose first `head_len` bytes (fixed header, topic, packet
    /// id) are in the buffer and whose payload is not all there yet.
    Publish { framed: Framed, head_len: usize },
}

/// Frames only the head of a PUBLISH, so that its payload can go from the
/// transport straight to where the application wants it instead of through
/// a buffer the size of the packet. The same rules as [`parse`] apply to
/// what the head holds; the payload is opaque bytes to MQTT 3.1.1.
pub fn parse_head(buf: &[u8]) -> Result<Head, Error> {
    let framed = match fixed_header(buf, check_fixed_type, check_fixed)? {
        Ok(f) => f,
        Err(need) => return Ok(Head::NeedMore(need)),
    };
    if framed.packet_type() != ty::PUBLISH || buf.len() >= framed.total() {
        return Ok(Head::Whole);
    }
    Ok(match publish_head(buf, &framed)? {
        Ok(head_len) => Head::Publish { framed, head_len },
        Err(need) => Head::NeedMore(need),
    })
}

/// The head of the PUBLISH `f` (fixed header, topic, packet id), which is
/// not whole in `buf`: its length, or `Err(need)` while it is incomplete.
pub(crate) fn publish_head(buf: &[u8], f: &Framed) -> Result<Result<usize, usize>, Error> {
    let body = buf.get(f.header_len..).unwrap_or(&[]);
    let (Some(&hi), Some(&lo)) = (body.first(), body.get(1)) else {
        return Ok(Err(f.header_len.saturating_add(2)));
    };
    let pid_len = if f.header & 0x06 == 0 { 0 } else { 2 };
    let head_len = f
        .header_len
        .saturating_add(2)
        .saturating_add(usize::from(u16::from_be_bytes([hi, lo])))
        .saturating_add(pid_len);
    if head_len > f.total() {
        return Err(Error::ProtocolError); // as check_body: the topic overruns the packet
    }
    if buf.len() < head_len {
        return Ok(Err(head_len));
    }
    Ok(Ok(head_len))
}

/// What [`parse_packet`] found at the start of the buffer.
pub(crate) enum Found {
    /// As [`Frame::NeedMore`] or [`Head::NeedMore`].
    NeedMore(usize),
    /// As [`Frame::Packet`].
    Packet(Framed),
    /// As [`Head::Publish`].
    Head { framed: Framed, head_len: usize },
}

/// What a decoder reads of a packet [`parse_packet`] found whole (or, a
/// PUBLISH, its head).
pub(crate) struct Body<'a> {
    /// First byte (type and flags).
    pub header: u8,
    /// The bytes after the fixed header: the whole rest, or a head's.
    pub body: &'a [u8],
    /// Bytes of the buffer the packet (or head) takes.
    pub consumed: usize,
    /// Payload bytes that follow a head on the stream (0 for a whole packet).
    pub body_len: usize,
}

/// The body of what [`parse_packet`] found, or `Err(need)` for
/// [`Found::NeedMore`]: one step for every decoder of both versions.
pub(crate) fn body_of(buf: &[u8], found: Found) -> Result<Result<Body<'_>, usize>, Error> {
    let (f, end) = match found {
        Found::NeedMore(n) => return Ok(Err(n)),
        Found::Packet(f) => (f, f.total()),
        Found::Head { framed, head_len } => (framed, head_len),
    };
    let body = buf.get(f.header_len..end).ok_or(Error::ProtocolError)?;
    Ok(Ok(Body {
        header: f.header,
        body,
        consumed: end,
        body_len: f.total().saturating_sub(end),
    }))
}

/// [`parse`], or with `head` [`parse_head`] for a PUBLISH whose payload is
/// not all in `buf`: the client's one framing, which reads the fixed header
/// once for both, and refuses a packet above `bound` as soon as it is read.
pub(crate) fn parse_packet(buf: &[u8], head: bool, bound: RxBound) -> Result<Found, Error> {
    parse_packet_by(buf, head, bound, check_fixed_type, check_fixed, publish_head)
}

/// [`parse_packet`] with a version's rules: those of [`parse_by`] but for
/// its body check, and the head of a PUBLISH not whole in `buf` (its
/// length, or `Err(need)`). A whole packet's body is not checked here: the
/// client decodes it right after, and the decoders refuse every packet the
/// body checks refuse (a PUBLISH whose topic, packet id or MQTT 5 property
/// length overruns it), with the same error, so checking twice would only
/// cost code.
pub(crate) fn parse_packet_by(
    buf: &[u8],
    head: bool,
    bound: RxBound,
    check_type: impl Fn(u8) -> Result<(), Error>,
    check_length: impl Fn(u8, usize) -> Result<(), Error>,
    publish_head: impl Fn(&[u8], &Framed) -> Result<Result<usize, usize>, Error>,
) -> Result<Found, Error> {
    let f = match fixed_header(buf, check_type, check_length)? {
        Ok(f) => f,
        Err(need) => return Ok(Found::NeedMore(need)),
    };
    bound.check(&f)?;
    if head && f.packet_type() == ty::PUBLISH && buf.len() < f.total() {
        return Ok(match publish_head(buf, &f)? {
            Ok(head_len) => Found::Head {
                framed: f,
                head_len,
            },
            Err(need) => Found::NeedMore(need),
        });
    }
    Ok(match whole(buf, f, |_, _| Ok(()))? {
        Frame::NeedMore(n) => Found::NeedMore(n),
        Frame::Packet(f) => Found::Packet(f),
    })
}

/// Checks the type and flags alone, usable before the length is known.
pub(crate) fn check_fixed_type(header: u8) -> Result<(), Error> {
    let flags = header & 0x0f;
    let ok = match header >> 4 {
        ty::CONNACK
        | ty::PUBACK
        | ty::PUBREC
        | ty::PUBCOMP
        | ty::UNSUBACK
        | ty::SUBACK
        | ty::PINGRESP => flags == 0,
        ty::PUBREL => flags == 0x02,
        ty::PUBLISH => (flags >> 1) & 0x03 != 3,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::ProtocolError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_publish_head_is_framed_without_its_payload() {
        // QoS 1, remaining 200: topic "a/b", pid 7, 193 payload bytes to come.
        let buf = [0x32, 0xc8, 0x01, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x07, 0xAA];
        let framed = Framed {
            header: 0x32,
            header_len: 3,
            remaining: 200,
        };
        assert_eq!(
            parse_head(&buf),
            Ok(Head::Publish {
                framed,
                head_len: 10
            })
        );
        assert_eq!(parse_head(&buf[..9]), Ok(Head::NeedMore(10)));
        assert_eq!(parse_head(&buf[..4]), Ok(Head::NeedMore(5)));
        assert_eq!(parse_head(&buf[..2]), Ok(Head::NeedMore(3)));
    }

    #[test]
    fn a_head_that_is_whole_or_not_a_publish_is_left_to_parse() {
        assert_eq!(parse_head(&[0x30, 0x03, 0x00, 0x01, b'a']), Ok(Head::Whole));
        assert_eq!(parse_head(&[0x90, 0x03, 0x00]), Ok(Head::Whole));
        assert_eq!(parse_head(&[0x40, 0x02]), Ok(Head::Whole));
    }

    #[test]
    fn a_head_is_refused_as_parse_refuses_it() {
        // The topic length overruns the packet.
        assert_eq!(parse_head(&[0x30, 0x05, 0x00, 0x09]), Err(Error::ProtocolError));
        // QoS 3, a server's packet, a fifth length byte.
        assert_eq!(parse_head(&[0x36, 0x05]), Err(Error::ProtocolError));
        assert_eq!(parse_head(&[0x10, 0x05]), Err(Error::ProtocolError));
        assert_eq!(parse_head(&[0x30, 0x80, 0x80, 0x80, 0x80, 0x01]), Err(Error::ProtocolError));
        // QoS 1 without room for the packet id.
        assert_eq!(parse_head(&[0x32, 0x03, 0x00, 0x01]), Err(Error::ProtocolError));
    }

    fn err(bytes: &[u8]) -> bool {
        parse(bytes) == Err(Error::ProtocolError)
    }

    #[test]
    fn an_empty_buffer_needs_two_bytes() {
        assert_eq!(parse(&[]), Ok(Frame::NeedMore(2)));
        assert_eq!(parse(&[0x20]), Ok(Frame::NeedMore(2)));
    }

    #[test]
    fn a_complete_connack_is_framed() {
        assert_eq!(
            parse(&[0x20, 0x02, 0x00, 0x00, 0xff]),
            Ok(Frame::Packet(Framed {
                header: 0x20,
                header_len: 2,
                remaining: 2
            }))
        );
    }

    #[test]
    fn short_acks_are_protocol_errors() {
        assert!(err(&[0x40, 0x00]));
        assert!(err(&[0x20, 0x00]));
        assert!(err(&[0xb0, 0x00]));
        assert!(err(&[0x50, 0x01, 0x00]));
        assert!(err(&[0x70, 0x03, 0, 1, 2]));
    }

    #[test]
    fn suback_needs_at_least_three_bytes() {
        assert!(err(&[0x90, 0x02, 0x00, 0x01]));
        assert!(matches!(
            parse(&[0x90, 0x03, 0, 1, 0]),
            Ok(Frame::Packet(_))
        ));
    }

    #[test]
    fn pingresp_must_be_empty() {
        assert!(err(&[0xd0, 0x01, 0x00]));
        assert!(matches!(parse(&[0xd0, 0x00]), Ok(Frame::Packet(_))));
    }

    #[test]
    fn pubrel_must_carry_flags_0010() {
        assert!(err(&[0x60, 0x02, 0, 1]));
        assert!(matches!(parse(&[0x62, 0x02, 0, 1]), Ok(Frame::Packet(_))));
    }

    #[test]
    fn server_only_and_reserved_types_are_protocol_errors() {
        for b in [0x00u8, 0x10, 0x82, 0xa2, 0xc0, 0xe0, 0xf0] {
            assert!(err(&[b, 0x00]), "{b:#x}");
        }
    }

    #[test]
    fn publish_with_qos_3_is_a_protocol_error() {
        assert!(err(&[0x36, 0x02, 0x00, 0x00]));
    }

    #[test]
    fn qos1_publish_without_room_for_its_packet_id_is_a_protocol_error() {
        assert!(err(&[0x32, 0x02, 0x00, 0x00]));
        assert!(err(&[0x32, 0x04, 0x00, 0x02, b'a', b'b']));
    }

    #[test]
    fn topic_length_longer_than_the_packet_is_a_protocol_error() {
        assert!(err(&[0x30, 0x04, 0x00, 0x09, b'a', b'b']));
    }

    #[test]
    fn a_fifth_length_byte_is_a_protocol_error() {
        assert!(err(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]));
    }

    #[test]
    fn a_length_larger_than_the_bytes_present_asks_for_more() {
        assert_eq!(parse(&[0x30, 0x05, 0x00, 0x01]), Ok(Frame::NeedMore(7)));
        assert_eq!(parse(&[0x30, 0x80]), Ok(Frame::NeedMore(3)));
        assert_eq!(parse(&[0x30, 0x80, 0x01]), Ok(Frame::NeedMore(131)));
    }

    #[test]
    fn the_largest_four_byte_length_is_accepted_as_incomplete() {
        assert_eq!(
            parse(&[0x30, 0xff, 0xff, 0xff, 0x7f]),
            Ok(Frame::NeedMore(5 + 268_435_455))
        );
    }
}
