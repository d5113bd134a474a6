//! The MQTT 5 codec (feature `mqtt5`), used by the client when the
//! protocol level is 5.
//!
//! The same layers as 3.1.1, by concept:
//! - [`frame`]: the fixed header and MQTT 5's per-type remaining-length
//!   rules for a packet a client receives, checked before any decoder looks;
//! - [`properties`]: a property block read in place (no copy) and checked
//!   whole once (known identifier, allowed in this packet, well-formed value,
//!   no duplicate), then iterated as typed [`properties::Property`] values;
//!   and the same typed values written into a block;
//! - [`decode`]: what a v5 client receives ([`decode::Incoming`]);
//! - [`encode`]: what it sends, size first, into a caller slice;
//! - [`reason`]: reason codes, which packet may carry which, their names;
//! - [`names`]: the properties' names in a properties dict, both ways;
//! - [`packed`]: both lists of names kept as one NUL-separated string.
//!
//! Errors are the crate's: the spec's Malformed Packet and Protocol Error
//! are both [`Error::ProtocolError`] (the connection is dead either way), a
//! caller's bad property or reason code is [`Error::BadArgument`], a field
//! too long for its length prefix [`Error::PacketTooLarge`].
//!
//! AUTH is decoded (reason code and properties) so that a later enhanced
//! authentication can be built on it; nothing here encodes one yet.

pub mod decode;
pub mod encode;
pub mod frame;
pub mod link;
pub mod names;
pub mod packed;
pub mod properties;
pub mod reason;

use crate::{Error, MAX_REMAINING_LENGTH};

/// MQTT 5's protocol level in CONNECT.
pub const PROTOCOL_LEVEL: u8 = 5;

/// Reads a Variable Byte Integer (1.5.5) at the start of `buf`: its value
/// and its length. More than four bytes, a truncated one, or one longer than
/// needed (`80 00`, refused by [MQTT-1.5.5-1]) is a protocol error.
/// Inlined around [`varint_at`], which is not: its `Option` comes back in
/// registers, where a `Result` would go through the stack.
#[inline(always)]
pub fn read_varint(buf: &[u8]) -> Result<(u32, usize), Error> {
    varint_at(buf).ok_or(Error::ProtocolError)
}

/// [`read_varint`]'s reading: `None` for a malformed integer.
pub(crate) fn varint_at(buf: &[u8]) -> Option<(u32, usize)> {
    let mut value: u32 = 0;
    for (i, &b) in buf.iter().take(4).enumerate() {
        value |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            // A last byte of 0 after the first one means a byte too many.
            return if i > 0 && b == 0 {
                None
            } else {
                Some((value, i + 1))
            };
        }
    }
    None
}

/// Bytes a Variable Byte Integer takes for `v` (`None` above 268 435 455:
/// an `Option`, returned in registers where a `Result` would go through
/// the stack; the callers name the error).
pub fn varint_size(v: usize) -> Option<usize> {
    (v <= MAX_REMAINING_LENGTH).then(|| crate::codec::varint_len(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_read_minimal_encodings_only() {
        assert_eq!(read_varint(&[0x00]), Ok((0, 1)));
        assert_eq!(read_varint(&[0x7f, 0xff]), Ok((127, 1)));
        assert_eq!(read_varint(&[0x80, 0x01]), Ok((128, 2)));
        assert_eq!(read_varint(&[0xff, 0xff, 0xff, 0x7f]), Ok((268_435_455, 4)));
        assert_eq!(read_varint(&[0x80, 0x00]), Err(Error::ProtocolError));
        assert_eq!(read_varint(&[0x80]), Err(Error::ProtocolError));
        assert_eq!(read_varint(&[]), Err(Error::ProtocolError));
        assert_eq!(
            read_varint(&[0x80, 0x80, 0x80, 0x80, 0x01]),
            Err(Error::ProtocolError)
        );
    }
}
