//! What one MQTT 5 connection agreed: the broker's limits from its CONNACK
//! (Maximum Packet Size, Topic Alias Maximum) and the topic aliases of both
//! directions. Everything here lasts one connection ([MQTT-3.3.2-7]): a new
//! CONNACK starts it afresh.
//!
//! Incoming aliases: the core remembers only which alias numbers the broker
//! has set (a bit each, up to [`MAX_RX_ALIASES`], the most it lets an
//! application advertise); the caller keeps each alias's topic object,
//! indexed by the number, as it keeps a slot's objects.
//!
//! Outgoing aliases: the core chooses them. It keeps up to [`TX_ALIASES`]
//! topics of at most [`TX_ALIAS_TOPIC_MAX`] bytes (first come, for the
//! connection's life: a device publishes to a few fixed topics), so that a
//! repeated topic goes out as an empty topic and a two-byte alias.

use super::properties::{id, Properties, Value};
use crate::Error;

/// Largest Topic Alias Maximum an application may advertise.
pub const MAX_RX_ALIASES: u16 = 16;
/// Topics aliased on the way out per connection.
pub const TX_ALIASES: usize = 8;
/// Longest topic given an outgoing alias.
pub const TX_ALIAS_TOPIC_MAX: usize = 64;

/// How a PUBLISH names its topic ([`Link5::tx_alias`]).
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum TxAlias {
    /// The topic alone.
    None,
    /// The topic and a new alias for it.
    Set(u16),
    /// The alias alone (an empty topic).
    Use(u16),
}

impl TxAlias {
    pub fn number(self) -> Option<u16> {
        match self {
            TxAlias::None => None,
            TxAlias::Set(a) | TxAlias::Use(a) => Some(a),
        }
    }
}

/// How an incoming PUBLISH named its topic ([`Link5::rx_alias`]).
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum RxAlias {
    None,
    /// The topic is given and is now alias `n`: keep it under `n`.
    Set(u16),
    /// The topic is empty: it is the one kept under `n`.
    Use(u16),
}

/// One MQTT 5 connection's agreements.
pub struct Link5 {
    /// The broker's Maximum Packet Size (`u32::MAX`: it set none).
    max_packet: u32,
    /// The Topic Alias Maximum we advertised.
    rx_alias_max: u16,
    /// Bit `n`: the broker has set alias `n` (1..=16).
    rx_set: u32,
    /// Aliases we may use (the broker's maximum, at most `TX_ALIASES`).
    tx_alias_max: u8,
    tx_used: u8,
    tx_len: [u8; TX_ALIASES],
    tx_topics: [[u8; TX_ALIAS_TOPIC_MAX]; TX_ALIASES],
}

impl Default for Link5 {
    fn default() -> Self {
        Self::new()
    }
}

impl Link5 {
    pub const fn new() -> Self {
        Link5 {
            max_packet: u32::MAX,
            rx_alias_max: 0,
            rx_set: 0,
            tx_alias_max: 0,
            tx_used: 0,
            tx_len: [0; TX_ALIASES],
            tx_topics: [[0; TX_ALIAS_TOPIC_MAX]; TX_ALIASES],
        }
    }

    /// A CONNECT with these (checked) properties goes out: remembers the
    /// Topic Alias Maximum advertised; `BadArgument` above [`MAX_RX_ALIASES`].
    pub fn on_connect(&mut self, props: &Properties<'_>) -> Result<(), Error> {
        let max = match props.get(id::TOPIC_ALIAS_MAXIMUM) {
            Some(Value::TwoByte(v)) => v,
            _ => 0,
        };
        if max > MAX_RX_ALIASES {
            return Err(Error::BadArgument);
        }
        // What `Link5::new()` holds, set in place (a new value was built on
        // the stack and copied, 532 bytes); the alias topics' bytes stay,
        // as only the first `tx_used` are ever read.
        self.max_packet = u32::MAX;
        self.rx_alias_max = max;
        self.rx_set = 0;
        self.tx_alias_max = 0;
        self.tx_used = 0;
        self.tx_len = [0; TX_ALIASES];
        Ok(())
    }

    /// The CONNACK accepted the connection with these properties.
    pub fn on_connack(&mut self, props: &Properties<'_>) {
        self.max_packet = match props.get(id::MAXIMUM_PACKET_SIZE) {
            Some(Value::FourByte(v)) => v,
            _ => u32::MAX,
        };
        self.tx_alias_max = match props.get(id::TOPIC_ALIAS_MAXIMUM) {
            Some(Value::TwoByte(v)) => u8::try_from(v).unwrap_or(u8::MAX).min(TX_ALIASES as u8),
            _ => 0,
        };
        self.tx_used = 0;
        self.rx_set = 0;
    }

    /// A packet of `size` bytes may be sent (`PacketTooLarge`: above the
    /// broker's Maximum Packet Size).
    pub fn check_size(&self, size: usize) -> Result<(), Error> {
        match u32::try_from(size) {
            Ok(s) if s <= self.max_packet => Ok(()),
            _ => Err(Error::PacketTooLarge),
        }
    }

    /// How to name `topic` in the next PUBLISH (nothing is recorded).
    pub fn tx_alias(&self, topic: &[u8]) -> TxAlias {
        if self.tx_alias_max == 0 || topic.len() > TX_ALIAS_TOPIC_MAX {
            return TxAlias::None;
        }
        let known = (0..self.tx_used).find(|&i| self.tx_topic(i) == Some(topic));
        match known {
            Some(i) => TxAlias::Use(u16::from(i) + 1),
            None if self.tx_used < self.tx_alias_max => TxAlias::Set(u16::from(self.tx_used) + 1),
            None => TxAlias::None,
        }
    }

    fn tx_topic(&self, i: u8) -> Option<&[u8]> {
        let i = usize::from(i);
        let len = usize::from(*self.tx_len.get(i)?);
        self.tx_topics.get(i)?.get(..len)
    }

    /// The PUBLISH that [`Link5::tx_alias`] named went out.
    pub fn tx_sent(&mut self, topic: &[u8], alias: TxAlias) {
        let TxAlias::Set(n) = alias else { return };
        let i = usize::from(n - 1);
        if let (Some(dst), Some(len)) = (
            self.tx_topics
                .get_mut(i)
                .and_then(|t| t.get_mut(..topic.len())),
            self.tx_len.get_mut(i),
        ) {
            dst.copy_from_slice(topic);
            *len = topic.len() as u8;
            self.tx_used = self.tx_used.max(n as u8);
        }
    }

    /// Checks an incoming PUBLISH's topic and Topic Alias: an alias of 0 or
    /// above what we advertised, an empty topic without an alias, or an
    /// alias used before it was set, is a protocol error (3.3.2.3.4: the
    /// spec's "Topic Alias invalid").
    pub fn rx_alias(&mut self, topic: &[u8], alias: Option<u16>) -> Result<RxAlias, Error> {
        let Some(n) = alias else {
            return if topic.is_empty() {
                Err(Error::ProtocolError)
            } else {
                Ok(RxAlias::None)
            };
        };
        if n == 0 || n > self.rx_alias_max {
            return Err(Error::ProtocolError);
        }
        let bit = 1u32 << n;
        if topic.is_empty() {
            if self.rx_set & bit == 0 {
                return Err(Error::ProtocolError);
            }
            Ok(RxAlias::Use(n))
        } else {
            self.rx_set |= bit;
            Ok(RxAlias::Set(n))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(bytes: &[u8], kind: super::super::properties::PacketKind) -> Properties<'_> {
        Properties::check_content(bytes, kind).unwrap()
    }

    #[test]
    fn outgoing_aliases_are_set_once_then_used_up_to_the_brokers_maximum() {
        use super::super::properties::PacketKind;
        let mut l = Link5::new();
        assert_eq!(
            l.tx_alias(b"a/b"),
            TxAlias::None,
            "no aliases before a CONNACK allows them"
        );
        l.on_connack(&props(&[0x22, 0, 2], PacketKind::Connack));
        assert_eq!(l.tx_alias(b"a/b"), TxAlias::Set(1));
        l.tx_sent(b"a/b", TxAlias::Set(1));
        assert_eq!(l.tx_alias(b"a/b"), TxAlias::Use(1));
        assert_eq!(l.tx_alias(b"c"), TxAlias::Set(2));
        l.tx_sent(b"c", TxAlias::Set(2));
        assert_eq!(l.tx_alias(b"d"), TxAlias::None, "the broker allows two");
        assert_eq!(l.tx_alias(&[b'x'; 65]), TxAlias::None, "too long to keep");
        l.on_connack(&props(&[0x22, 0, 2], PacketKind::Connack));
        assert_eq!(
            l.tx_alias(b"c"),
            TxAlias::Set(1),
            "a new connection starts afresh"
        );
    }

    #[test]
    fn incoming_aliases_must_be_set_before_use_and_within_our_maximum() {
        use super::super::properties::PacketKind;
        let mut l = Link5::new();
        l.on_connect(&props(&[0x22, 0, 4], PacketKind::Connect))
            .unwrap();
        assert_eq!(l.rx_alias(b"t", None), Ok(RxAlias::None));
        assert_eq!(l.rx_alias(b"", None), Err(Error::ProtocolError));
        assert_eq!(
            l.rx_alias(b"", Some(1)),
            Err(Error::ProtocolError),
            "never set"
        );
        assert_eq!(
            l.rx_alias(b"t", Some(5)),
            Err(Error::ProtocolError),
            "above 4"
        );
        assert_eq!(l.rx_alias(b"t", Some(4)), Ok(RxAlias::Set(4)));
        assert_eq!(l.rx_alias(b"", Some(4)), Ok(RxAlias::Use(4)));
        l.on_connack(&props(&[], PacketKind::Connack));
        assert_eq!(
            l.rx_alias(b"", Some(4)),
            Err(Error::ProtocolError),
            "forgotten with the connection"
        );
        assert_eq!(
            l.on_connect(&props(&[0x22, 0, 17], PacketKind::Connect)),
            Err(Error::BadArgument)
        );
    }

    #[test]
    fn the_brokers_maximum_packet_size_bounds_what_is_sent() {
        use super::super::properties::PacketKind;
        let mut l = Link5::new();
        assert_eq!(l.check_size(1 << 20), Ok(()));
        l.on_connack(&props(&[0x27, 0, 0, 0, 100], PacketKind::Connack));
        assert_eq!(l.check_size(100), Ok(()));
        assert_eq!(l.check_size(101), Err(Error::PacketTooLarge));
    }
}
