//! Framing for MQTT 5: one whole packet at the start of a byte stream,
//! checked against the rules MQTT 5 sets for a packet a *client* receives
//! before any decoder looks at it (the 3.1.1 rules are [`crate::frame`]).
//!
//! What differs from 3.1.1: a CONNACK has at least 3 bytes after the header
//! (flags, reason code, property length); PUBACK, PUBREC, PUBREL and PUBCOMP
//! 2 or more (packet id, then an optional reason code and property block);
//! SUBACK and UNSUBACK at least 4 (packet id, property length, one reason
//! code); a PUBLISH holds its topic length, topic, (QoS > 0) packet id and a
//! property length; DISCONNECT and AUTH, which a server may send, 0 or more.
//! Reserved flag bits keep their fixed values, QoS 3 is refused, and
//! CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ and the reserved type 0 are
//! protocol errors. What lies inside a length (the property blocks) is the
//! decoder's to check.

use crate::frame::{ty, Found, Frame, Framed, Head, RxBound};
use crate::Error;

/// AUTH's type number (15, reserved in 3.1.1).
pub const AUTH: u8 = 15;

/// Checks the type and flags alone, usable before the length is known.
fn check_type(header: u8) -> Result<(), Error> {
    let flags = header & 0x0f;
    let ok = match header >> 4 {
        ty::CONNACK
        | ty::PUBACK
        | ty::PUBREC
        | ty::PUBCOMP
        | ty::SUBACK
        | ty::UNSUBACK
        | ty::PINGRESP
        | ty::DISCONNECT
        | AUTH => flags == 0,
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

/// The least remaining length of each type, for a header whose type and
/// flags [`check_type`] passed (`fixed_header` calls it first, so only the
/// types a client receives come here, and a length of four bytes at most
/// never exceeds [`crate::MAX_REMAINING_LENGTH`]).
fn check_length(header: u8, remaining: usize) -> Result<(), Error> {
    let ok = match header >> 4 {
        ty::CONNACK => remaining >= 3,
        ty::PUBACK | ty::PUBREC | ty::PUBREL | ty::PUBCOMP => remaining >= 2,
        ty::SUBACK | ty::UNSUBACK => remaining >= 4,
        ty::PINGRESP => remaining == 0,
        // topic length + property length (+ packet id)
        ty::PUBLISH => remaining >= if header & 0x06 == 0 { 3 } else { 5 },
        // DISCONNECT, AUTH
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::ProtocolError)
    }
}

/// A PUBLISH's topic, packet id and property length lie inside it.
fn check_body(f: &Framed, body: &[u8]) -> Result<(), Error> {
    if f.packet_type() != ty::PUBLISH {
        return Ok(());
    }
    let [hi, lo, ..] = body else {
        return Err(Error::ProtocolError);
    };
    let pid_len = if f.header & 0x06 == 0 { 0 } else { 2 };
    let need = usize::from(u16::from_be_bytes([*hi, *lo])) + 2 + pid_len + 1;
    if need <= f.remaining {
        Ok(())
    } else {
        Err(Error::ProtocolError)
    }
}

/// Frames the MQTT 5 packet at the start of `buf` (as [`crate::frame::parse`]
/// does for 3.1.1): errors as soon as the bytes present prove them.
pub fn parse(buf: &[u8]) -> Result<Frame, Error> {
    crate::frame::parse_by(buf, check_type, check_length, check_body)
}

/// Frames only the head of an MQTT 5 PUBLISH (as [`crate::frame::parse_head`]
/// does for 3.1.1): fixed header, topic, packet id and the whole property
/// block, so that the payload can go from the transport straight to where
/// the application wants it. [`Head::Whole`] for any other packet or for a
/// PUBLISH already whole in `buf` (frame it with [`parse`]);
/// [`Head::NeedMore`] while the head is incomplete, a cut property length
/// included. The rules of [`parse`] apply, and errors come as soon as the
/// bytes present prove them: a topic, packet id or property block that
/// overruns the packet is a protocol error before the payload arrives. What
/// the property block holds is the decoder's to check.
pub fn parse_head(buf: &[u8]) -> Result<Head, Error> {
    let framed = match crate::frame::fixed_header(buf, check_type, check_length)? {
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

/// [`parse`], or with `head` [`parse_head`] for a PUBLISH whose payload is
/// not all in `buf`: the client's one framing (as
/// [`crate::frame::parse_packet`]).
pub(crate) fn parse_packet(buf: &[u8], head: bool) -> Result<Found, Error> {
    crate::frame::parse_packet_by(buf, head, RxBound::NONE, check_type, check_length, publish_head)
}

/// The client's framing for either version (`v5`: MQTT 5's rules, else
/// 3.1.1's): the rules picked at each step, so that the firmware carries
/// one copy of the framing steps they share; a packet above `bound` is
/// refused as soon as its fixed header is read.
pub(crate) fn parse_packet_either(
    buf: &[u8],
    head: bool,
    v5: bool,
    bound: RxBound,
) -> Result<Found, Error> {
    use crate::frame as v3;
    crate::frame::parse_packet_by(
        buf,
        head,
        bound,
        |h| if v5 { check_type(h) } else { v3::check_fixed_type(h) },
        |h, r| if v5 { check_length(h, r) } else { v3::check_fixed(h, r) },
        |b, f| if v5 { publish_head(b, f) } else { v3::publish_head(b, f) },
    )
}

/// The head of the PUBLISH `f` (fixed header, topic, packet id, property
/// block), which is not whole in `buf`: its length, or `Err(need)` while it
/// is incomplete.
fn publish_head(buf: &[u8], f: &Framed) -> Result<Result<usize, usize>, Error> {
    let (at, total) = (f.header_len, f.total());
    // check_length: a PUBLISH's remaining length holds the topic length.
    let (Some(&hi), Some(&lo)) = (buf.get(at), buf.get(at.saturating_add(1))) else {
        return Ok(Err(at.saturating_add(2)));
    };
    let pid_len = if f.header & 0x06 == 0 { 0 } else { 2 };
    let props_at = at
        .saturating_add(2)
        .saturating_add(usize::from(u16::from_be_bytes([hi, lo])))
        .saturating_add(pid_len);
    // The property length: a Variable Byte Integer of at most four bytes,
    // each inside the packet (as check_body and Properties::parse).
    let mut len: usize = 0;
    let mut head_len = None;
    for i in 0..4 {
        let pos = props_at.saturating_add(i);
        if pos >= total {
            return Err(Error::ProtocolError);
        }
        let Some(&b) = buf.get(pos) else {
            return Ok(Err(pos.saturating_add(1)));
        };
        len |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            head_len = Some(pos.saturating_add(1).saturating_add(len));
            break;
        }
    }
    match head_len {
        Some(n) if n <= total => Ok(if buf.len() < n { Err(n) } else { Ok(n) }),
        // A fifth length byte, or a block that overruns the packet.
        _ => Err(Error::ProtocolError),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(bytes: &[u8]) -> bool {
        parse(bytes) == Err(Error::ProtocolError)
    }

    fn ok(bytes: &[u8]) -> bool {
        matches!(parse(bytes), Ok(Frame::Packet(f)) if f.total() == bytes.len())
    }

    #[test]
    fn acks_take_two_three_or_more_bytes() {
        assert!(ok(&[0x40, 0x02, 0, 1]));
        assert!(ok(&[0x40, 0x03, 0, 1, 0x10]));
        assert!(ok(&[0x50, 0x04, 0, 1, 0x80, 0]));
        assert!(ok(&[0x62, 0x02, 0, 1]));
        assert!(err(&[0x60, 0x02, 0, 1]));
        assert!(err(&[0x70, 0x01, 0]));
        assert!(err(&[0x40, 0x00]));
    }

    #[test]
    fn connack_suback_and_unsuback_need_their_property_length() {
        assert!(err(&[0x20, 0x02, 0, 0]));
        assert!(ok(&[0x20, 0x03, 0, 0, 0]));
        assert!(err(&[0x90, 0x03, 0, 1, 0]));
        assert!(ok(&[0x90, 0x04, 0, 1, 0, 0]));
        assert!(err(&[0xb0, 0x02, 0, 1]));
        assert!(ok(&[0xb0, 0x04, 0, 1, 0, 0x11]));
    }

    #[test]
    fn disconnect_and_auth_come_from_a_server_and_may_be_empty() {
        assert!(ok(&[0xe0, 0x00]));
        assert!(ok(&[0xe0, 0x01, 0x8e]));
        assert!(ok(&[0xf0, 0x00]));
        assert!(err(&[0xe2, 0x00]));
        assert!(err(&[0xf1, 0x00]));
    }

    #[test]
    fn a_publish_holds_its_topic_packet_id_and_property_length() {
        assert!(ok(&[0x30, 0x03, 0, 0, 0]));
        assert!(err(&[0x30, 0x02, 0, 0]));
        assert!(ok(&[0x32, 0x06, 0, 1, b't', 0, 1, 0]));
        assert!(err(&[0x32, 0x05, 0, 1, b't', 0, 1]));
        assert!(err(&[0x30, 0x04, 0, 2, b'a', b'b']));
        assert!(err(&[0x36, 0x03, 0, 0, 0]));
    }

    #[test]
    fn server_only_types_are_refused_and_short_buffers_ask_for_more() {
        for b in [0x00u8, 0x10, 0x82, 0xa2, 0xc0] {
            assert!(err(&[b, 0x00]), "{b:#x}");
        }
        assert_eq!(parse(&[]), Ok(Frame::NeedMore(2)));
        assert_eq!(parse(&[0x40, 0x03, 0, 1]), Ok(Frame::NeedMore(5)));
        assert!(err(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]));
    }
}
