//! The connection state machine.
//!
//! Vocabulary: inputs are `handle_*` ([`Client::handle_rx`]), commands are
//! verbs ([`Client::connect`], [`Client::publish`], ...), and
//! [`Client::poll_timers`] says what keep-alive wants and when to call again.
//!
//! Order of use: `connect` (write its bytes), then feed every received byte
//! through `handle_rx` (write each event's `reply`), call `poll_timers` at the
//! latest when its wait has passed (write the PINGREQ it returns), issue
//! commands as the application asks, and read tickets with `ticket_result`.
//! When the transport breaks call `connection_lost`; after reconnecting with
//! `clean_session` false and an accepted CONNACK, walk `resend_item(0..)` and
//! send each again (`encode_resend` for a PUBLISH, the item's PUBREL bytes
//! otherwise) before new publishes. Every command encodes
//! into a slice the caller lends; a short slice gives
//! [`Error::BufferTooSmall`] with the exact size and changes nothing.

use crate::codec::{self, ConnectFields, Incoming, WillFields};
use crate::frame::RxBound;
use crate::keepalive::{Due, KeepAlive};
use crate::session::{Ack, Added, OpKind, ResendItem, Session, TicketResult};
use crate::sub_options::SubOptions;
use crate::{topic, Error, ACK_MAX};

#[cfg(feature = "mqtt5")]
mod v5;

/// Connection state.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum ConnState {
    Disconnected,
    /// CONNECT encoded, CONNACK not yet received.
    Connecting,
    Connected,
}

/// The last will.
#[derive(Clone, Copy)]
pub struct Will<'a> {
    pub topic: &'a [u8],
    pub payload: &'a [u8],
    pub qos: u8,
    pub retain: bool,
}

/// What `connect` sends.
#[derive(Clone, Copy)]
pub struct ConnectOptions<'a> {
    /// May be empty only with `clean_session`; 1..=23 bytes for MQTT 3.1.
    pub client_id: &'a [u8],
    pub user: Option<&'a [u8]>,
    /// Without `user` only for MQTT 3.1.1 (`protocol_level` 4).
    pub password: Option<&'a [u8]>,
    pub will: Option<Will<'a>>,
    pub clean_session: bool,
    /// Seconds; 0 disables keep-alive.
    pub keepalive_s: u16,
    /// 3 = MQTT 3.1 ("MQIsdp"), 4 = MQTT 3.1.1 ("MQTT").
    pub protocol_level: u8,
    /// PINGREQs that may be re-sent after a missed PINGRESP before the
    /// connection counts as dead (0: the first miss is fatal).
    pub ping_max_missed: u8,
    /// MQTT 5: the application's connect properties, encoded (a block's
    /// content without its length; checked here). Empty for 3/4.
    pub props: &'a [u8],
    /// MQTT 5: the will's properties, encoded likewise.
    pub will_props: &'a [u8],
    /// MQTT 5: the Maximum Packet Size to advertise (0: none), added to
    /// the connect properties unless `props` carry one.
    pub max_packet: u32,
}

impl Default for ConnectOptions<'_> {
    fn default() -> Self {
        ConnectOptions {
            client_id: b"",
            user: None,
            password: None,
            will: None,
            clean_session: true,
            keepalive_s: 0,
            protocol_level: 4,
            ping_max_missed: 0,
            props: b"",
            will_props: b"",
            max_packet: 0,
        }
    }
}

/// Kind of a received-packet event.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum EventKind {
    /// Nothing for the application (e.g. an ack for an unknown id).
    None,
    /// CONNACK accepted (`session_present` set) or refused (`code`).
    Connack,
    /// Incoming PUBLISH; `deliver` is false for a re-sent QoS 2 already delivered.
    Message,
    /// PUBACK (QoS 1) or PUBCOMP (QoS 2) completed `ticket`.
    PublishDone,
    /// PUBREC for `ticket`; `reply` holds the PUBREL.
    Pubrec,
    /// PUBREL; `reply` holds the PUBCOMP.
    Pubrel,
    /// SUBACK for `ticket`; `code` is the granted QoS or 0x80.
    Suback,
    /// UNSUBACK for `ticket`.
    Unsuback,
    Pingresp,
}

/// One received packet, as the application sees it. `topic` and `payload`
/// borrow from the buffer given to `handle_rx`.
#[derive(Clone, Copy)]
pub struct Event<'a> {
    pub kind: EventKind,
    pub code: u8,
    pub session_present: bool,
    pub qos: u8,
    pub retain: bool,
    pub dup: bool,
    pub deliver: bool,
    pub packet_id: u16,
    pub ticket: u32,
    /// SUBACK/UNSUBACK: the subscription slot the operation was about.
    pub sub: Option<u8>,
    pub topic: &'a [u8],
    pub payload: &'a [u8],
    /// The first byte of the acknowledgement the caller must send now for
    /// `packet_id` ([`codec::ack`]; see [`Event::reply`]), 0 for none: one
    /// byte, so that each packet's handling sets a constant rather than
    /// building the four bytes.
    pub ack: u8,
    /// MQTT 5: the packet's properties (a checked block's content), for a
    /// message or a CONNACK; empty otherwise.
    pub props: &'a [u8],
    /// MQTT 5: a message's Topic Alias (0: none). With an empty `topic` the
    /// topic is the one kept under this alias; else keep `topic` under it.
    pub alias: u16,
}

impl<'a> Event<'a> {
    fn new(kind: EventKind) -> Self {
        Event {
            kind,
            code: 0,
            session_present: false,
            qos: 0,
            retain: false,
            dup: false,
            deliver: false,
            packet_id: 0,
            ticket: 0,
            sub: None,
            topic: &[],
            payload: &[],
            ack: 0,
            props: &[],
            alias: 0,
        }
    }

    /// Answered by `first` for `packet_id` (set before).
    fn with_reply(mut self, first: u8) -> Self {
        self.ack = first;
        self
    }

    /// The acknowledgement to send now, if any.
    pub fn reply(&self) -> Option<[u8; ACK_MAX]> {
        (self.ack != 0).then(|| codec::ack(self.ack, self.packet_id))
    }
}

/// Result of [`Client::handle_rx`].
#[derive(Clone, Copy)]
pub enum Rx<'a> {
    /// No whole packet yet: the packet needs this many bytes in total (a lower
    /// bound while its length bytes are incomplete).
    NeedMore(usize),
    /// One packet of `consumed` bytes was handled.
    Event { consumed: usize, event: Event<'a> },
    /// CONNACK with a refusal code (1..=5): the core is disconnected again.
    Refused { consumed: usize, code: u8 },
}

/// Who a SUBSCRIBE/UNSUBSCRIBE is for ([`Client::op`]).
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub struct OpOwner {
    /// The subscription slot it is about (SUBSCRIBE).
    pub sub: Option<u8>,
    /// Nobody waits for its ticket (a restore): dropped once acknowledged.
    pub forgotten: bool,
}

impl OpOwner {
    /// An application call that waits for the ticket, about no slot.
    pub const WAITER: OpOwner = OpOwner {
        sub: None,
        forgotten: false,
    };
}

/// A PUBLISH encoded by [`Client::publish`].
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub struct Sent {
    /// Bytes written to the output slice.
    pub len: usize,
    /// QoS 1/2: the ticket to ask [`Client::ticket_result`] about; QoS 0: 0.
    pub ticket: u32,
    /// QoS 1/2: the slot whose topic and payload the caller keeps for a re-send.
    pub slot: u8,
}

/// The protocol core of one client connection (and its session).
pub struct Client<'m> {
    state: ConnState,
    session: Session<'m>,
    keepalive: KeepAlive,
    /// Proof of life comes only from bytes arriving ([`Client::on_received`])
    /// once connected, not from handling packets (see [`Client::driven`]).
    life_from_bytes: bool,
    /// The protocol level of the last CONNECT (3, 4 or 5).
    level: u8,
    /// The longest packets taken ([`Client::set_rx_bound`]).
    rx_bound: RxBound,
    /// MQTT 5: what this connection agreed (limits, topic aliases).
    #[cfg(feature = "mqtt5")]
    v5: crate::v5::link::Link5,
}

/// What a decoded packet carries beyond the 3.1.1 fields (MQTT 5).
#[derive(Clone, Copy, Default)]
struct Extra<'a> {
    /// An acknowledgement's reason code (0: success).
    reason: u8,
    /// The property block's content (checked).
    props: &'a [u8],
}

/// An acknowledgement's (a PUBREL's, a PINGRESP's) event kind (when
/// something awaited it), what the session makes of it, and its packet id;
/// `None` for a CONNACK or a PUBLISH.
fn ack_of(packet: Incoming<'_>, reason: u8) -> Option<(EventKind, Ack, u16)> {
    Some(match packet {
        // MQTT 5: refused; the message is finished, nothing follows.
        Incoming::Puback(pid) | Incoming::Pubrec(pid) if crate::is_failure(reason) => {
            (EventKind::PublishDone, Ack::Failed(reason), pid)
        }
        Incoming::Puback(pid) => (EventKind::PublishDone, Ack::Puback, pid),
        Incoming::Pubcomp(pid) => (EventKind::PublishDone, Ack::Pubcomp, pid),
        Incoming::Pubrec(pid) => (EventKind::Pubrec, Ack::Pubrec, pid),
        Incoming::Pubrel(pid) => (EventKind::Pubrel, Ack::Pubrel, pid),
        Incoming::Pingresp => (EventKind::Pingresp, Ack::Pingresp, 0),
        Incoming::Suback { pid, code } => (EventKind::Suback, Ack::Suback(code), pid),
        Incoming::Unsuback(pid) => (EventKind::Unsuback, Ack::Unsuback(reason), pid),
        _ => return None,
    })
}

impl Default for Client<'_> {
    fn default() -> Self {
        Self::new()
    }
}

fn check_out_qos(qos: u8) -> Result<(), Error> {
    if qos > 2 {
        Err(Error::BadArgument)
    } else {
        Ok(())
    }
}

/// A UTF-8 string without NUL of at most 65 535 bytes, or `err`.
fn mqtt_string(b: &[u8], err: Error) -> Result<(), Error> {
    if b.len() > crate::MAX_STRING {
        return Err(Error::PacketTooLarge);
    }
    if !crate::mqtt_utf8(b) {
        return Err(err);
    }
    Ok(())
}

impl<'m> Client<'m> {
    /// A disconnected client with an empty session.
    pub const fn new() -> Self {
        Client {
            state: ConnState::Disconnected,
            session: Session::new(),
            keepalive: KeepAlive::new(),
            life_from_bytes: false,
            level: 4,
            rx_bound: RxBound::NONE,
            #[cfg(feature = "mqtt5")]
            v5: crate::v5::link::Link5::new(),
        }
    }

    /// A client whose caller reports every arrival of bytes
    /// ([`Client::on_received`], as the driver's `handle_data_received`
    /// does): only that, and the CONNACK, prove the link alive. Handling a
    /// packet does not, since the caller may hand over old bytes again (a
    /// message offered again after a `MemoryError`), which must not hold
    /// off the PINGRESP deadline of a link that has died since.
    pub const fn driven() -> Self {
        let mut c = Client::new();
        c.life_from_bytes = true;
        c
    }

    pub fn state(&self) -> ConnState {
        self.state
    }

    /// The protocol level of the last CONNECT (3, 4 or 5).
    pub fn level(&self) -> u8 {
        self.level
    }

    /// Outgoing QoS 1/2 publishes not yet acknowledged.
    pub fn inflight_count(&self) -> usize {
        self.session.inflight_count()
    }

    /// The session tables (read-only).
    pub fn session(&self) -> &Session<'m> {
        &self.session
    }

    /// The session tables (tests and tools).
    pub fn session_mut(&mut self) -> &mut Session<'m> {
        &mut self.session
    }

    /// The keep-alive state (read-only).
    pub fn keepalive(&self) -> &KeepAlive {
        &self.keepalive
    }

    /// Encodes CONNECT; the state becomes `Connecting`. The session is left
    /// as it is: clearing it for a clean session is the caller's decision
    /// ([`Session::clear`]), as a reconnect keeps its outgoing messages.
    ///
    /// On the accepted CONNACK: `session_present` 1 keeps everything;
    /// `session_present` 0 (the broker has no session) keeps the outgoing
    /// publishes (re-sent through `resend_item`, a duplicate being better
    /// than a loss; one in `AwaitPubcomp` re-sends its PUBREL) but forgets
    /// the incoming QoS 2 ids. Tickets of kept messages stay valid.
    pub fn connect(
        &mut self,
        o: &ConnectOptions<'_>,
        now: u32,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        if self.state != ConnState::Disconnected {
            return Err(Error::AlreadyConnected);
        }
        // MQTT 3.1.1 section 3.1.2.9 (and 3.1): no password flag without a
        // user name flag.
        if o.password.is_some() && o.user.is_none() {
            return Err(Error::BadArgument);
        }
        match o.protocol_level {
            3 => {
                if o.client_id.is_empty() || o.client_id.len() > 23 {
                    return Err(Error::BadArgument);
                }
            }
            4 => {}
            #[cfg(feature = "mqtt5")]
            5 => {}
            _ => return Err(Error::BadArgument),
        }
        if o.protocol_level != 5 && !(o.props.is_empty() && o.will_props.is_empty()) {
            return Err(Error::BadArgument);
        }
        // MQTT 5 lets the broker assign an identifier to a resumed session too.
        if o.client_id.is_empty() && !o.clean_session && o.protocol_level != 5 {
            return Err(Error::BadArgument);
        }
        mqtt_string(o.client_id, Error::BadArgument)?;
        if let Some(u) = o.user {
            mqtt_string(u, Error::BadArgument)?;
        }
        if o.password.is_some_and(|p| p.len() > crate::MAX_STRING) {
            return Err(Error::PacketTooLarge);
        }
        let will = match &o.will {
            Some(w) => {
                check_out_qos(w.qos)?;
                topic::topic_name(w.topic)?;
                Some(WillFields {
                    topic: w.topic,
                    payload: w.payload,
                    qos: w.qos,
                    retain: w.retain,
                })
            }
            None => None,
        };
        let fields = ConnectFields {
            protocol_level: o.protocol_level,
            clean_session: o.clean_session,
            keepalive_s: o.keepalive_s,
            client_id: o.client_id,
            will,
            user: o.user,
            password: o.password,
        };
        // One call of the CONNECT encoder for every level (inlined once).
        #[cfg(feature = "mqtt5")]
        let n = {
            let v5 = match o.protocol_level {
                5 => Some(Self::connect_props_v5(o)?),
                _ => None,
            };
            let n = codec::connect_with(&fields, v5.as_ref().map(|(p, _)| p), out)?;
            if let Some((_, props)) = &v5 {
                self.v5.on_connect(props)?;
            }
            n
        };
        #[cfg(not(feature = "mqtt5"))]
        let n = codec::encode_connect(&fields, out)?;
        self.level = o.protocol_level;
        self.session.set_peer_max(u16::MAX);
        self.session.drop_ops();
        self.keepalive.start(o.keepalive_s, o.ping_max_missed, now);
        self.state = ConnState::Connecting;
        Ok(n)
    }

    fn require_connected(&self) -> Result<(), Error> {
        if self.state == ConnState::Connected {
            Ok(())
        } else {
            Err(Error::NotConnected)
        }
    }

    /// Encodes PUBLISH. QoS 1/2 get a packet id not in flight, a ticket and
    /// a slot; QoS 0 has ticket 0 (and slot 0, meaningless).
    pub fn publish(
        &mut self,
        topic_name: &[u8],
        payload: &[u8],
        qos: u8,
        retain: bool,
        now: u32,
        out: &mut [u8],
    ) -> Result<Sent, Error> {
        self.publish_with(topic_name, payload, qos, retain, &[], now, out)
    }

    /// [`Client::publish`] with MQTT 5 properties (encoded, as
    /// [`ConnectOptions::props`]; must be empty for 3/4).
    #[allow(clippy::too_many_arguments)]
    pub fn publish_with(
        &mut self,
        topic_name: &[u8],
        payload: &[u8],
        qos: u8,
        retain: bool,
        props: &[u8],
        now: u32,
        out: &mut [u8],
    ) -> Result<Sent, Error> {
        check_out_qos(qos)?;
        topic::topic_name(topic_name)?;
        self.require_connected()?;
        let mut p = codec::Pub {
            topic: topic_name,
            payload,
            qos,
            pid: None,
            retain,
            dup: false,
            v5: false,
            alias: 0,
            raw: &[],
        };
        // MQTT 5 adds its properties and alias; then one `publish_pub` call
        // for every level (inlined once).
        #[cfg(feature = "mqtt5")]
        let alias = match self.level {
            5 => Some(self.publish_v5(&mut p, props)?),
            _ => None,
        };
        if !props.is_empty() && !p.v5 {
            return Err(Error::BadArgument);
        }
        let sent = self.publish_pub(&mut p, now, out)?;
        #[cfg(feature = "mqtt5")]
        if let Some(a) = alias {
            self.v5.tx_sent(topic_name, a);
        }
        Ok(sent)
    }

    /// Sizes `p` (its `pid` set by the session for QoS 1/2), checks it
    /// against the broker's limit (MQTT 5) and the room, adds it to the
    /// session and encodes it: the publish of every level.
    pub(super) fn publish_pub(
        &mut self,
        p: &mut codec::Pub<'_>,
        now: u32,
        out: &mut [u8],
    ) -> Result<Sent, Error> {
        // Sized with a placeholder id (same length) before anything changes.
        p.pid = if p.qos > 0 {
            crate::pid::PacketId::new(1)
        } else {
            None
        };
        let (rem, size) = p.sizes()?;
        #[cfg(feature = "mqtt5")]
        if p.v5 {
            self.v5.check_size(size)?;
        }
        // Where a QoS 1/2 message goes, found before the room in `out` is
        // checked (that order of errors) and used once it is.
        let room = match p.qos {
            0 => None,
            _ => Some(self.session.publish_room().ok_or(Error::InflightFull)?),
        };
        if out.len() < size {
            return Err(Error::BufferTooSmall(size));
        }
        let (ticket, slot) = match room {
            Some(room) => {
                let a: Added = self.session.add_publish_in(p.qos, p.retain, room)?;
                p.pid = Some(a.pid);
                (a.ticket, a.slot)
            }
            None => (0, 0),
        };
        p.encode(rem, out)?;
        self.keepalive.on_sent(now);
        Ok(Sent {
            len: size,
            ticket,
            slot,
        })
    }

    /// Encodes the PUBLISH in `slot` again (it awaits PUBACK or PUBREC)
    /// with its original packet id, QoS and retain flag, DUP set when it was
    /// sent before, from the topic and payload the caller kept.
    /// `UnknownTicket` when the slot holds no such PUBLISH. Counts as a sent
    /// packet for keep-alive.
    pub fn encode_resend(
        &mut self,
        slot: u8,
        topic_name: &[u8],
        payload: &[u8],
        props: &[u8],
        now: u32,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        topic::topic_name(topic_name)?;
        self.require_connected()?;
        let (pid, qos, retain, dup) = self
            .session
            .publish_in_slot(slot)
            .ok_or(Error::UnknownTicket)?;
        // A re-send names its topic in full: the aliases were the lost
        // connection's.
        let p = codec::Pub {
            topic: topic_name,
            payload,
            qos,
            pid: Some(pid),
            retain,
            dup,
            v5: self.level == 5,
            alias: 0,
            raw: props,
        };
        #[cfg(feature = "mqtt5")]
        if p.v5 {
            crate::v5::properties::Properties::check_content(
                props,
                crate::v5::properties::PacketKind::Publish,
            )?;
        }
        let (rem, size) = p.sizes()?;
        #[cfg(feature = "mqtt5")]
        if p.v5 {
            self.v5.check_size(size)?;
        }
        if out.len() < size {
            return Err(Error::BufferTooSmall(size));
        }
        p.encode(rem, out)?;
        self.session.resent(slot);
        self.keepalive.on_sent(now);
        Ok(size)
    }

    /// The `idx`-th (0-based) unacknowledged outgoing QoS 1/2 message, in
    /// the order first published: what a resumed session re-sends.
    pub fn resend_item(&self, idx: usize) -> Option<ResendItem> {
        self.session.resend_item(idx)
    }

    /// Limits the unacknowledged QoS 1/2 publishes to `max`
    /// (1..=[`crate::MAX_INFLIGHT`], else `BadArgument`); `publish` answers
    /// `InflightFull` at the limit.
    pub fn set_max_inflight(&mut self, max: usize) -> Result<(), Error> {
        self.session.set_max_inflight(max)
    }

    /// From the next packet on, one above `bound` is refused with
    /// [`Error::PacketTooLarge`] (the connection lost) as soon as its fixed
    /// header is in the buffer given to `handle_rx` (none: [`RxBound::NONE`]).
    pub fn set_rx_bound(&mut self, bound: RxBound) {
        self.rx_bound = bound;
    }

    /// Encodes SUBSCRIBE or UNSUBSCRIBE for one filter; `owner` says which
    /// subscription slot it is about and whether anyone will wait.
    pub fn op(
        &mut self,
        kind: OpKind,
        filter: &[u8],
        qos: u8,
        owner: OpOwner,
        now: u32,
        out: &mut [u8],
    ) -> Result<(usize, u32), Error> {
        self.op_with(kind, filter, SubOptions::qos(qos), owner, now, out)
    }

    /// [`Client::op`] with MQTT 5 subscription options (3/4: the QoS alone).
    pub fn op_with(
        &mut self,
        kind: OpKind,
        filter: &[u8],
        o: SubOptions,
        owner: OpOwner,
        now: u32,
        out: &mut [u8],
    ) -> Result<(usize, u32), Error> {
        let mut done = (0, 0);
        self.op_into(kind, filter, o, owner, now, out, &mut done)?;
        Ok(done)
    }

    /// [`Client::op_with`] answering the length and the ticket through
    /// `done` (the driver's calls): a `Result<(), Error>` comes back in
    /// registers, the pair beside an error through the stack.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn op_into(
        &mut self,
        kind: OpKind,
        filter: &[u8],
        o: SubOptions,
        owner: OpOwner,
        now: u32,
        out: &mut [u8],
        done: &mut (usize, u32),
    ) -> Result<(), Error> {
        check_out_qos(o.options & 3)?;
        topic::topic_filter(filter)?;
        self.require_connected()?;
        if !self.session.can_add_op() {
            return Err(Error::InflightFull);
        }
        let sub = kind == OpKind::Subscribe;
        #[cfg(feature = "mqtt5")]
        let v5 = self.level == 5;
        #[cfg(not(feature = "mqtt5"))]
        let v5 = false;
        let sid = if v5 {
            // Subscription options (3.8.3.1): reserved bits 0, retain
            // handling 0..=2; a Subscription Identifier 1..=268 435 455
            // (SUBSCRIBE only; 0: none).
            if o.options & 0xc0 != 0 || o.options >> 4 & 3 == 3 || (sub && o.id > 268_435_455) {
                return Err(Error::BadArgument);
            }
            if sub {
                o.id
            } else {
                0
            }
        } else {
            if o.options > 2 || o.id != 0 {
                return Err(Error::BadArgument);
            }
            0
        };
        let op = codec::Op {
            sub,
            filter,
            options: o.options,
            v5,
            sid,
        };
        let (rem, size) = op.sizes()?;
        // MQTT 5: the broker's Maximum Packet Size holds for every packet
        // (finding 4 of the v5_driver fuzz target: a SUBSCRIBE went above it).
        #[cfg(feature = "mqtt5")]
        if v5 {
            self.v5.check_size(size)?;
        }
        if out.len() < size {
            return Err(Error::BufferTooSmall(size));
        }
        let (pid, ticket) = self.session.add_op(kind, owner.sub, owner.forgotten)?;
        op.encode(rem, pid, out)?;
        self.keepalive.on_sent(now);
        *done = (size, ticket);
        Ok(())
    }

    /// Encodes SUBSCRIBE for one filter; returns the length and a ticket.
    pub fn subscribe(
        &mut self,
        filter: &[u8],
        qos: u8,
        now: u32,
        out: &mut [u8],
    ) -> Result<(usize, u32), Error> {
        self.op(OpKind::Subscribe, filter, qos, OpOwner::WAITER, now, out)
    }

    /// Encodes UNSUBSCRIBE for one filter; returns the length and a ticket.
    pub fn unsubscribe(
        &mut self,
        filter: &[u8],
        now: u32,
        out: &mut [u8],
    ) -> Result<(usize, u32), Error> {
        self.op(OpKind::Unsubscribe, filter, 0, OpOwner::WAITER, now, out)
    }

    /// A packet was handed to the transport (keep-alive's quiet interval).
    pub fn on_sent(&mut self, now: u32) {
        self.keepalive.on_sent(now);
    }

    /// Bytes arrived (keep-alive: the broker is alive).
    pub fn on_received(&mut self, now: u32) {
        self.keepalive.on_received(now);
    }

    /// Encodes PINGREQ (connected only): the two bytes of [`codec::PINGREQ`]
    /// (no length returned: a `Result<(), Error>` comes back in registers).
    pub fn ping(&mut self, now: u32, out: &mut [u8]) -> Result<(), Error> {
        self.require_connected()?;
        codec::encode_fixed(codec::PINGREQ, out)?;
        self.keepalive.ping_sent(now);
        Ok(())
    }

    /// Encodes DISCONNECT; the state becomes `Disconnected` (pending
    /// SUBSCRIBE/UNSUBSCRIBE tickets turn unknown, publishes stay in flight).
    pub fn disconnect(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        let n = codec::encode_fixed(codec::DISCONNECT, out)?;
        self.connection_lost();
        Ok(n)
    }

    /// The transport is gone: `Disconnected`; pending SUBSCRIBE/UNSUBSCRIBE
    /// tickets turn unknown; in-flight publishes and incoming QoS 2 ids are
    /// kept for a resumed session.
    pub fn connection_lost(&mut self) {
        self.state = ConnState::Disconnected;
        self.session.drop_ops();
    }

    /// Where a ticket stands; a done ticket is released by reading it.
    pub fn ticket_result(&mut self, ticket: u32) -> TicketResult {
        self.session.ticket_result(ticket)
    }

    /// The caller stopped waiting on a ticket.
    pub fn forget(&mut self, ticket: u32) {
        self.session.forget(ticket);
    }

    /// Keep-alive: `Ok((0, wait))` nothing to send, `Ok((2, wait))` a PINGREQ
    /// was written to `out`; `wait` = ms until the next call is due
    /// (`u32::MAX`: none). `KeepaliveTimeout`: the connection is dead (the
    /// core is `Disconnected`).
    pub fn poll_timers(&mut self, now: u32, out: &mut [u8]) -> Result<(usize, u32), Error> {
        if self.state != ConnState::Connected {
            return Ok((0, u32::MAX));
        }
        match self.keepalive.due(now) {
            Due::Wait(w) => Ok((0, w)),
            Due::Ping => {
                let n = codec::encode_fixed(codec::PINGREQ, out)?;
                self.keepalive.ping_sent(now);
                Ok((n, self.keepalive.wait_after_ping(now)))
            }
            Due::Timeout => {
                self.connection_lost();
                Err(Error::KeepaliveTimeout)
            }
        }
    }

    /// Frames and handles the packet at the start of `buf`. Any error means
    /// the connection must be dropped (the core is already `Disconnected`).
    pub fn handle_rx<'a>(&mut self, buf: &'a [u8], now: u32) -> Result<Rx<'a>, Error> {
        self.receive(buf, now, false).map(|(rx, _)| rx)
    }

    /// As [`Client::handle_rx`], but a PUBLISH whose payload is not all in
    /// `buf` is handled from its head: the event's payload is empty, the
    /// head's bytes are consumed, and the second value says how many payload
    /// bytes follow them on the stream (0 for a packet handled whole).
    pub fn handle_rx_head<'a>(
        &mut self,
        buf: &'a [u8],
        now: u32,
    ) -> Result<(Rx<'a>, usize), Error> {
        self.receive(buf, now, true)
    }

    /// [`Client::handle_rx`] and [`Client::handle_rx_head`] (one body: the
    /// firmware carries one copy of the packet handling).
    pub fn receive<'a>(
        &mut self,
        buf: &'a [u8],
        now: u32,
        head: bool,
    ) -> Result<(Rx<'a>, usize), Error> {
        if self.state == ConnState::Disconnected {
            return Err(Error::NotConnected);
        }
        let r = self.handle_packet(buf, now, head);
        if matches!(
            r,
            Err(Error::ProtocolError
                | Error::PacketTooLarge
                | Error::InboundFull
                | Error::ServerDisconnect(_))
        ) {
            self.connection_lost();
        }
        r
    }

    fn handle_packet<'a>(
        &mut self,
        buf: &'a [u8],
        now: u32,
        head: bool,
    ) -> Result<(Rx<'a>, usize), Error> {
        let bound = self.rx_bound;
        // Both versions frame through one call and decode into the same
        // packet, handled by one call (the firmware carries one copy of the
        // framing and of the handling, inlined).
        #[cfg(feature = "mqtt5")]
        let (consumed, packet, extra, body_len) = {
            let v5 = self.level == 5;
            let found = crate::v5::frame::parse_packet_either(buf, head, v5, bound)?;
            let b = match crate::frame::body_of(buf, found)? {
                Ok(b) => b,
                Err(need) => return Ok((Rx::NeedMore(need), 0)),
            };
            // A head is a PUBLISH's: decoded with an empty payload.
            let (packet, extra) = if v5 {
                self.decode_v5(b.header, b.body)?
            } else {
                (codec::decode_body(b.header, b.body)?, Extra::default())
            };
            (b.consumed, packet, extra, b.body_len)
        };
        #[cfg(not(feature = "mqtt5"))]
        let (consumed, packet, extra, body_len) = match codec::decode_packet(buf, head, bound)? {
            (codec::Decoded::NeedMore(need), _) => return Ok((Rx::NeedMore(need), 0)),
            (codec::Decoded::Packet { consumed, packet }, body_len) => {
                (consumed, packet, Extra::default(), body_len)
            }
        };
        self.handle_packet_decoded(consumed, packet, extra, now)
            .map(|rx| (rx, body_len))
    }

    fn handle_packet_decoded<'a>(
        &mut self,
        consumed: usize,
        packet: Incoming<'a>,
        extra: Extra<'a>,
        now: u32,
    ) -> Result<Rx<'a>, Error> {
        let connecting = self.state == ConnState::Connecting;
        if connecting != matches!(packet, Incoming::Connack { .. }) {
            // CONNACK only (and first) while connecting.
            return Err(Error::ProtocolError);
        }
        if connecting || !self.life_from_bytes {
            self.keepalive.on_received(now);
        }
        if let Some((kind, ack, pid)) = ack_of(packet, extra.reason) {
            return Ok(Rx::Event {
                consumed,
                event: self.ack_event(kind, ack, pid),
            });
        }
        let ev = match packet {
            Incoming::Connack {
                session_present,
                code,
            } => {
                if code != 0 {
                    self.connection_lost();
                    return Ok(Rx::Refused { consumed, code });
                }
                #[cfg(feature = "mqtt5")]
                self.check_connack_v5(extra.props)?;
                if !session_present {
                    // The broker forgot the incoming QoS 2 ids; our outgoing
                    // publishes are kept and re-sent (see `connect`).
                    self.session.clear_inbound_qos2();
                }
                #[cfg(feature = "mqtt5")]
                self.on_connack_v5(extra.props);
                self.state = ConnState::Connected;
                let mut ev = Event::new(EventKind::Connack);
                ev.session_present = session_present;
                ev.props = extra.props;
                ev
            }
            Incoming::Publish {
                dup,
                qos,
                retain,
                topic: topic_bytes,
                pid,
                payload,
            } => {
                let mut ev = Event::new(EventKind::Message);
                #[cfg(feature = "mqtt5")]
                if self.level == 5 {
                    ev.alias = self.rx_alias_v5(topic_bytes, extra.props)?;
                }
                if !(topic_bytes.is_empty() && ev.alias != 0)
                    && !topic::decoded_name_ok(topic_bytes)
                {
                    return Err(Error::ProtocolError);
                }
                ev.props = extra.props;
                ev.retain = retain;
                ev.dup = dup;
                ev.topic = topic_bytes;
                ev.payload = payload;
                ev.qos = qos;
                ev.packet_id = pid;
                ev.deliver = true;
                match qos {
                    0 => ev,
                    1 => ev.with_reply(codec::PUBACK),
                    _ => {
                        // Recorded only once the caller has taken the
                        // message (`Session::on_incoming_qos2`).
                        ev.deliver = !self.session.inbound_contains(pid);
                        #[cfg(feature = "fuzz-plant-qos2-dup")]
                        if pid == 7 {
                            ev.deliver = true; // planted bug (tools/fuzz-planted.sh)
                        }
                        ev.with_reply(codec::PUBREC)
                    }
                }
            }
            // Handled above.
            Incoming::Pingresp
            | Incoming::Puback(_)
            | Incoming::Pubrec(_)
            | Incoming::Pubcomp(_)
            | Incoming::Pubrel(_)
            | Incoming::Suback { .. }
            | Incoming::Unsuback(_) => Event::new(EventKind::None),
        };
        Ok(Rx::Event {
            consumed,
            event: ev,
        })
    }

    /// The event of an acknowledgement (`kind` when something awaited it,
    /// else `None`): one body for every kind, called from one place once
    /// inlined.
    fn ack_event<'a>(&mut self, kind: EventKind, ack: Ack, pid: u16) -> Event<'a> {
        let found = self.session.on_ack(ack, pid);
        let mut ev = Event::new(if found.is_some() { kind } else { EventKind::None });
        if let Some((ticket, sub)) = found {
            ev.ticket = ticket;
            ev.sub = sub;
        }
        ev.packet_id = pid;
        match ack {
            // A refusal or an UNSUBACK's reason code, known id or not.
            Ack::Failed(code) | Ack::Unsuback(code) => ev.code = code,
            Ack::Suback(code) if found.is_some() => ev.code = code,
            Ack::Pubrec if found.is_some() => ev.ack = codec::PUBREL,
            Ack::Pubrel => ev.ack = codec::PUBCOMP,
            _ => {}
        }
        ev
    }
}
