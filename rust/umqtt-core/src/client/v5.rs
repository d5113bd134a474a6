//! The client's MQTT 5 side (feature `mqtt5`, protocol level 5): the
//! CONNECT with properties, PUBLISH with properties and outgoing topic
//! aliases, SUBSCRIBE with options, and the decoding of what arrives into
//! the packets the 3.1.1 state machine already handles, plus what 5 adds
//! (reason codes, properties, aliases, DISCONNECT from the broker).

use super::{Client, Extra};
use crate::codec::Incoming;
use crate::v5::decode::{self, Incoming as In5};
use crate::v5::link::TxAlias;
use crate::v5::properties::{id, PacketKind, Properties, Value};
use crate::Error;

fn ack(a: decode::Ack<'_>) -> (u16, Extra<'_>) {
    (
        a.pid,
        Extra {
            reason: a.reason,
            props: a.properties.as_bytes(),
        },
    )
}

impl<'m> Client<'m> {
    /// The property blocks of an MQTT 5 CONNECT, and its connect
    /// properties checked (for [`crate::v5::link::Link5::on_connect`] once
    /// it is encoded).
    pub(super) fn connect_props_v5<'a>(
        o: &super::ConnectOptions<'a>,
    ) -> Result<(crate::codec::ConnectProps<'a>, Properties<'a>), Error> {
        let props = Properties::check_content(o.props, PacketKind::Connect)?;
        // A 3.1.1 script switched to 5 keeps its session as before.
        let keep = !o.clean_session && props.get(id::SESSION_EXPIRY_INTERVAL).is_none();
        // The script's own Maximum Packet Size stands alone.
        let max_packet = match props.get(id::MAXIMUM_PACKET_SIZE) {
            Some(_) => 0,
            None => o.max_packet,
        };
        let v5 = crate::codec::ConnectProps {
            session_kept: keep,
            max_packet,
            raw: o.props,
            will_raw: o.will_props,
        };
        Ok((v5, props))
    }

    /// The accepted CONNACK's properties: the broker's limits for this
    /// connection (Receive Maximum, Maximum Packet Size, Topic Alias
    /// Maximum, Server Keep Alive).
    /// A CONNACK whose limits leave no room for what the client must be
    /// able to send (a Maximum Packet Size below an acknowledgement's 4
    /// bytes) is refused before anything changes: the connection is dropped
    /// as a protocol error (the spec forbids sending above it, and a session
    /// that cannot acknowledge cannot work).
    pub(super) fn check_connack_v5(&self, props: &[u8]) -> Result<(), Error> {
        match Properties::trusted(props).get(id::MAXIMUM_PACKET_SIZE) {
            Some(Value::FourByte(v)) if v < crate::ACK_MAX as u32 => Err(Error::ProtocolError),
            _ => Ok(()),
        }
    }

    pub(super) fn on_connack_v5(&mut self, props: &[u8]) {
        let p = Properties::trusted(props);
        self.v5.on_connack(&p);
        if let Some(Value::TwoByte(rm)) = p.get(id::RECEIVE_MAXIMUM) {
            self.session.set_peer_max(rm);
        }
        if let Some(Value::TwoByte(ka)) = p.get(id::SERVER_KEEP_ALIVE) {
            self.keepalive.set_interval_s(ka);
        }
    }

    /// An incoming PUBLISH's Topic Alias ([`crate::client::Event::alias`]).
    pub(super) fn rx_alias_v5(&mut self, topic: &[u8], props: &[u8]) -> Result<u16, Error> {
        let alias = Properties::trusted(props).topic_alias();
        Ok(match self.v5.rx_alias(topic, alias)? {
            crate::v5::link::RxAlias::None => 0,
            crate::v5::link::RxAlias::Set(n) | crate::v5::link::RxAlias::Use(n) => n,
        })
    }

    /// Makes `p` (the PUBLISH of `p.topic`) an MQTT 5 one: its properties
    /// `props` checked, its topic's alias chosen (the topic left out when
    /// the alias stands for it). Returns the alias, for
    /// [`crate::v5::link::Link5::tx_sent`] once it is sent.
    pub(super) fn publish_v5<'a>(
        &self,
        p: &mut crate::codec::Pub<'a>,
        props: &'a [u8],
    ) -> Result<TxAlias, Error> {
        let checked = Properties::check_content(props, PacketKind::Publish)?;
        // The core chooses aliases; a Subscription Identifier is the broker's.
        if checked
            .iter()
            .any(|p| p.id == id::TOPIC_ALIAS || p.id == id::SUBSCRIPTION_IDENTIFIER)
        {
            return Err(Error::BadArgument);
        }
        let alias = self.v5.tx_alias(p.topic);
        if matches!(alias, TxAlias::Use(_)) {
            p.topic = b"";
        }
        p.v5 = true;
        p.alias = alias.number().unwrap_or(0);
        p.raw = props;
        Ok(alias)
    }

    /// Decodes the body of a framed MQTT 5 packet (a PUBLISH's head, from
    /// `handle_rx_head`: fixed header, topic, packet id, properties) into
    /// what the 3.1.1 handling takes; DISCONNECT from the broker and AUTH
    /// end the connection here.
    pub(super) fn decode_v5<'a>(
        &mut self,
        header: u8,
        body: &'a [u8],
    ) -> Result<(Incoming<'a>, Extra<'a>), Error> {
        let packet = decode::decode_body(header, body)?;
        let mut extra = Extra::default();
        let packet = match packet {
            In5::Connack {
                session_present,
                reason,
                properties,
            } => {
                extra.props = properties.as_bytes();
                Incoming::Connack {
                    session_present,
                    code: reason,
                }
            }
            In5::Publish {
                dup,
                qos,
                retain,
                topic,
                pid,
                properties,
                payload,
            } => {
                extra.props = properties.as_bytes();
                Incoming::Publish {
                    dup,
                    qos,
                    retain,
                    topic,
                    pid,
                    payload,
                }
            }
            In5::Puback(a) => {
                let (pid, x) = ack(a);
                extra = x;
                Incoming::Puback(pid)
            }
            In5::Pubrec(a) => {
                let (pid, x) = ack(a);
                extra = x;
                Incoming::Pubrec(pid)
            }
            In5::Pubrel(a) => Incoming::Pubrel(a.pid),
            In5::Pubcomp(a) => Incoming::Pubcomp(a.pid),
            In5::Suback(s) => Incoming::Suback {
                pid: s.pid,
                code: s.reasons.first().copied().unwrap_or(0x80),
            },
            In5::Unsuback(s) => {
                extra.reason = s.reasons.first().copied().unwrap_or(0);
                Incoming::Unsuback(s.pid)
            }
            In5::Pingresp => Incoming::Pingresp,
            In5::Disconnect { reason, .. } => return Err(Error::ServerDisconnect(reason.into())),
            // No enhanced authentication was asked for: AUTH is unexpected.
            In5::Auth { .. } => return Err(Error::ProtocolError),
        };
        Ok((packet, extra))
    }
}
