//! The driver: every decision of an MQTT session, sans-IO.
//!
//! [`Driver`] owns the connection's life (opening, CONNECT, CONNACK deadline,
//! keep-alive, loss, back-off and reconnect), what is re-sent after a
//! reconnect and in which order, the slots of in-flight messages and of
//! subscriptions, and when a received message counts as delivered. The caller
//! moves bytes, keeps the topic/payload objects of each slot and runs the
//! application's callbacks; it makes no protocol decision.
//!
//! # Calling order
//! One thread at a time (the caller's lock), each call with the current time
//! (`u32` ms, compared by wrapping difference):
//! 1. **Commands** as the application asks: [`Driver::connect`],
//!    [`Driver::publish`], [`Driver::subscribe`], [`Driver::unsubscribe`],
//!    [`Driver::ping`], [`Driver::disconnect`], [`Driver::close`]. Commands
//!    that send encode into the caller's slice; write those bytes at once.
//!    [`Error::WouldBlock`] and [`Error::InflightFull`] mean "not now": pump
//!    and try again until the call's own deadline.
//! 2. **Inputs** as they happen: [`Driver::handle_transport_up`] /
//!    [`Driver::handle_transport_down`] after opening (or failing to open)
//!    the transport, [`Driver::handle_data_received`] whenever bytes arrive,
//!    [`Driver::handle_rx`] on the received bytes until it needs more (after
//!    an [`Rx::Message`], build the message's objects, then
//!    [`Driver::accept_message`]), [`Driver::handle_timeout`] once
//!    [`Driver::poll_timeout`] has passed. An `Err` from `handle_rx` or
//!    `handle_timeout` means the connection is already declared lost: drain
//!    [`Driver::poll_transmit`] (MQTT 5 owes a broker whose packet it
//!    refused a DISCONNECT with the reason code), then close the transport.
//! 3. **Outputs** after any of the above: drain [`Driver::poll_transmit`]
//!    (write each packet; a `Connect`, `Publish` or `Subscribe` asks for the
//!    caller's strings through `encode_*`), then [`Driver::poll_event`]
//!    (open the transport on [`Event::OpenTransport`]), then sleep until
//!    [`Driver::poll_timeout`] or until bytes arrive.
//!
//! # Rules it decides
//! - A message is delivered (PUBACK/PUBREC queued, a QoS 2 id remembered)
//!   only in [`Driver::accept_message`], once the caller holds its objects:
//!   running out of memory before that loses nothing, and the broker's re-send
//!   of a delivered QoS 2 message is answered but not delivered again.
//! - Outgoing QoS 1/2 messages survive every reconnect and are re-sent first
//!   on the next accepted connection, in the order first published (PUBREL
//!   for those past PUBREC), before any new publish; a message whose PUBLISH
//!   never reached the transport is withdrawn when its waiter gives up on a
//!   closed connection (it was never sent), one that was sent stays until
//!   acknowledged. Only `connect(clean_session=True)` forgets them.
//! - Subscriptions are restored after a connection without a session.
//! - With `reconnect` on, a connection lost after one was accepted is retried
//!   with exponential back-off ([`crate::reconnect`]) until
//!   [`Driver::disconnect`]/[`Driver::close`]; each attempt (opening and
//!   CONNACK together) is bounded by `timeout_ms`.
//! - Keep-alive: PINGREQ after a quiet interval, `ping_max_missed` re-tries,
//!   any received byte proves the broker alive (so an unread message does not
//!   stop it); only packets handed out by `poll_transmit` count as sent.

use crate::client::{Client, ConnectOptions, EventKind, OpOwner, Rx as ClientRx, Sent, Will};
use crate::sub_options::SubOptions;
use crate::codec;
use crate::frame::RxBound;
use crate::keepalive::Due;
use crate::reconnect::Backoff;
use crate::session::{OpKind, Resend, TicketResult};
use crate::subs::Subs;
use crate::{topic, Error, MAX_INFLIGHT};
use heapless::{Deque, Vec};

/// Acknowledgements waiting for `poll_transmit`.
const ACK_QUEUE: usize = 8;
/// Events waiting for `poll_event`.
const EVENT_QUEUE: usize = 8;

/// How the session is run; set with [`Driver::configure`], before the
/// first connection or on a live one (each setting is read where it acts:
/// the receive bound on every packet, the rest on the next CONNECT or
/// attempt).
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub struct Settings {
    /// Seconds; 0 disables keep-alive.
    pub keepalive_s: u16,
    /// PINGREQs re-sent after a missed PINGRESP before the link is dead.
    pub ping_max_missed: u8,
    /// 3 = MQTT 3.1, 4 = MQTT 3.1.1, 5 = MQTT 5 (feature `mqtt5`).
    pub protocol_level: u8,
    /// Bound on opening a connection (transport and CONNACK together).
    pub timeout_ms: u32,
    /// Reconnect by itself once a connection has been accepted.
    pub reconnect: bool,
    /// Unacknowledged QoS 1/2 publishes allowed (1..=MAX_INFLIGHT).
    pub max_inflight: u8,
    /// The longest packet taken from the broker, in bytes (fixed header
    /// included; 0: no bound). One that announces more ends the connection
    /// with [`Error::PacketTooLarge`] as soon as its fixed header is read,
    /// as any broken packet does. MQTT 5 advertises it in every CONNECT as
    /// the Maximum Packet Size (at most 268,435,460, the largest packet
    /// there is), unless `chunked` or the connect properties carry one.
    pub max_packet: u32,
    /// A PUBLISH longer than `max_packet` is taken anyway: the caller reads
    /// its payload past its buffer, in pieces, after
    /// [`Driver::handle_rx_head`]. Any other packet stays bounded. MQTT 5
    /// then advertises no Maximum Packet Size.
    pub chunked: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            keepalive_s: 0,
            ping_max_missed: 0,
            protocol_level: 4,
            timeout_ms: 10_000,
            reconnect: true,
            max_inflight: MAX_INFLIGHT as u8,
            max_packet: 0,
            chunked: false,
        }
    }
}

/// The strings of CONNECT, which the caller keeps.
#[derive(Clone, Copy, Default)]
pub struct Identity<'a> {
    pub client_id: &'a [u8],
    pub user: Option<&'a [u8]>,
    pub password: Option<&'a [u8]>,
    pub will: Option<Will<'a>>,
    /// MQTT 5: connect properties, encoded ([`ConnectOptions::props`]).
    pub props: &'a [u8],
    /// MQTT 5: will properties, encoded.
    pub will_props: &'a [u8],
}

/// What [`Driver::poll_transmit`] asks the caller to write.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum Transmit {
    /// Nothing more now.
    Nothing,
    /// The first `n` bytes of the slice.
    Bytes(usize),
    /// CONNECT: call [`Driver::encode_connect`] with the identity.
    Connect,
    /// A re-send: call [`Driver::encode_publish`] with this slot's topic,
    /// payload (and properties, MQTT 5).
    Publish { slot: u8 },
    /// A restore: call [`Driver::encode_subscribe`] with this slot's filter.
    Subscribe { slot: u8 },
}

/// What [`Driver::poll_event`] tells the caller.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum Event {
    /// Open the transport now (within [`Driver::open_timeout`]), then
    /// report it with `handle_transport_up` or `handle_transport_down`.
    OpenTransport,
    /// A CONNACK accepted the connection.
    Connected { session_present: bool },
    /// An accepted connection was lost.
    ConnectionLost { cause: Error },
    /// Reconnecting after a loss (`reconnect` on).
    ReconnectStart,
    /// The reconnect succeeded.
    ReconnectSuccess,
}

/// Where the connection stands (QuecPython's `get_mqttsta()`).
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum Status {
    Connected,
    /// Opening, awaiting CONNACK, or waiting to retry.
    Connecting,
    /// Closed by the broker (end of stream) and not reconnecting.
    ServerClosed,
    Closed,
}

/// What `connect()` waits for.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum ConnectResult {
    Pending,
    Connected { session_present: bool },
    Failed(Error),
}

/// An incoming message, borrowed from the buffer given to `handle_rx`.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub struct Message<'a> {
    /// MQTT 5: its properties (a checked block's content; empty for 3/4).
    pub properties: &'a [u8],
    /// MQTT 5: its Topic Alias (0: none). With an empty `topic`, the topic
    /// is the one the caller keeps under this alias; else the caller keeps
    /// `topic` under it (for the connection's life).
    pub alias: u16,
    /// Bytes of the buffer the packet takes (its head only, from
    /// [`Driver::handle_rx_head`]); consumed once accepted.
    pub consumed: usize,
    pub topic: &'a [u8],
    pub payload: &'a [u8],
    pub qos: u8,
    pub retain: bool,
    pub dup: bool,
    pub packet_id: u16,
}

/// Result of [`Driver::handle_rx`].
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum Rx<'a> {
    /// No whole packet yet: it needs this many bytes in total.
    NeedMore(usize),
    /// One packet of this many bytes was handled.
    Consumed(usize),
    /// A message to deliver; nothing consumed until `accept_message`.
    Message(Message<'a>),
    /// The PINGRESP to the driver's own keep-alive PINGREQ, of this many
    /// bytes, was handled: nothing for the application (a blocking
    /// `wait_msg()` goes on waiting).
    KeepAlive(usize),
    /// Drain `poll_transmit` first, then call again.
    Busy,
    /// No connection to receive on: leave the bytes.
    Idle,
    /// The CONNACK accepting the connection, of `consumed` bytes, with its
    /// properties (MQTT 5; empty for 3/4), readable until the next call.
    Connack { consumed: usize, properties: &'a [u8] },
    /// MQTT 5: a QoS 2 message delivered before (answered, not delivered
    /// again), of `consumed` bytes, that sets a Topic Alias: keep `topic`
    /// under `alias`, as for a message (a broker re-sending it on a new
    /// connection may name the topic there for the messages that follow).
    Duplicate { consumed: usize, topic: &'a [u8], alias: u16 },
}

/// A publish or subscription command that went out.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub struct Op {
    /// Bytes to write now.
    pub len: usize,
    /// Ask [`Driver::ticket_result`] about it (0: QoS 0, nothing to wait for).
    pub ticket: u32,
    /// The slot whose objects the caller keeps (publish: topic/payload of a
    /// QoS 1/2 message; subscribe: the filter).
    pub slot: u8,
}

#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
enum Link {
    Closed,
    /// `OpenTransport` handed out; the caller is opening it.
    Opening {
        deadline: u32,
    },
    /// Transport up, CONNECT due or sent, CONNACK awaited.
    Connecting {
        deadline: u32,
    },
    Up,
    /// Waiting to retry.
    Backoff {
        until: u32,
    },
}

#[derive(Clone, Copy)]
struct PendingMessage {
    consumed: usize,
    qos: u8,
    pid: u16,
}

/// The session driver of one client.
pub struct Driver<'m> {
    client: Client<'m>,
    settings: Settings,
    link: Link,
    clean_session: bool,
    /// May reconnect by itself (a connection was accepted, no disconnect since).
    auto: bool,
    /// Between `ReconnectStart` and `ReconnectSuccess`.
    reconnecting: bool,
    /// The attempt started by `connect` got its CONNACK (even if the
    /// connection was lost right after: that is the next call's news).
    accepted: bool,
    backoff: Backoff,
    send_connect: bool,
    ping_due: bool,
    /// PINGREQs of the application's own `ping` whose PINGRESP has not come.
    user_pings: u8,
    session_present: bool,
    /// Why the link last went down.
    cause: Option<Error>,
    /// Re-sends may be left on this connection (cheap check before the table).
    resend_left: bool,
    /// Subscription restores may be left on this connection.
    restoring: bool,
    /// An accepted connection ended by the broker's end of stream
    /// (`get_mqttsta()` 2); a failed attempt is plain `Closed`.
    server_closed: bool,
    /// MQTT 5: the reason code of the DISCONNECT owed to a broker whose
    /// packet ended the connection (0: none), handed out once by
    /// `poll_transmit` before the caller closes the transport; forgotten
    /// when the next transport opens.
    #[cfg(feature = "mqtt5")]
    farewell: u8,
    acks: Deque<[u8; 4], ACK_QUEUE>,
    events: Vec<Event, EVENT_QUEUE>,
    pending: Option<PendingMessage>,
    subs: Subs,
    counters: crate::stats::Counters,
}

impl Default for Driver<'_> {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether `deadline` has come, by wrapping difference.
fn reached(now: u32, deadline: u32) -> bool {
    now.wrapping_sub(deadline) < 0x8000_0000
}

fn remaining(now: u32, deadline: u32) -> u32 {
    if reached(now, deadline) {
        0
    } else {
        deadline.wrapping_sub(now)
    }
}

impl<'m> Driver<'m> {
    pub const fn new() -> Self {
        Driver {
            client: Client::driven(),
            settings: Settings {
                keepalive_s: 0,
                ping_max_missed: 0,
                protocol_level: 4,
                timeout_ms: 10_000,
                reconnect: true,
                max_inflight: MAX_INFLIGHT as u8,
                max_packet: 0,
                chunked: false,
            },
            link: Link::Closed,
            clean_session: true,
            auto: false,
            reconnecting: false,
            accepted: false,
            backoff: Backoff::new(),
            send_connect: false,
            ping_due: false,
            user_pings: 0,
            session_present: false,
            cause: None,
            resend_left: false,
            restoring: false,
            server_closed: false,
            #[cfg(feature = "mqtt5")]
            farewell: 0,
            acks: Deque::new(),
            events: Vec::new(),
            pending: None,
            subs: Subs::new(),
            counters: crate::stats::Counters::new(),
        }
    }

    /// Sets how the session runs; `BadArgument` for a protocol level other
    /// than 3/4, a zero timeout or a window outside 1..=MAX_INFLIGHT.
    pub fn configure(&mut self, s: Settings) -> Result<(), Error> {
        let level_ok = matches!(s.protocol_level, 3 | 4) || (cfg!(feature = "mqtt5") && s.protocol_level == 5);
        if !level_ok || s.timeout_ms == 0 || s.timeout_ms >= 0x8000_0000 {
            return Err(Error::BadArgument);
        }
        self.client.set_max_inflight(usize::from(s.max_inflight))?;
        self.client.set_rx_bound(RxBound::new(s.max_packet, s.chunked));
        self.settings = s;
        Ok(())
    }

    /// Seeds the back-off jitter.
    pub fn seed(&mut self, seed: u32) {
        self.backoff.seed(seed);
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The connection state machine under the driver (read-only).
    pub fn client(&self) -> &Client<'m> {
        &self.client
    }

    // ----- commands ---------------------------------------------------------

    /// Starts a connection (one attempt, bounded by `timeout_ms`; no
    /// automatic retry until one is accepted). Any current link is dropped
    /// silently. `clean_session` forgets the whole session first.
    pub fn connect(&mut self, clean_session: bool, now: u32) {
        self.drop_link();
        if clean_session {
            self.client.session_mut().clear();
            self.subs.clear();
        }
        self.clean_session = clean_session;
        self.auto = false;
        self.reconnecting = false;
        self.accepted = false;
        self.server_closed = false;
        self.backoff.reset();
        self.cause = None;
        self.open(now);
    }

    /// Where the connection started by [`Driver::connect`] stands.
    pub fn connect_result(&self) -> ConnectResult {
        match self.link {
            _ if self.accepted => ConnectResult::Connected {
                session_present: self.session_present,
            },
            Link::Closed => ConnectResult::Failed(self.cause.unwrap_or(Error::NotConnected)),
            _ => ConnectResult::Pending,
        }
    }

    /// Encodes PUBLISH. QoS 1/2 take a slot and a ticket.
    pub fn publish(
        &mut self,
        topic_name: &[u8],
        payload: &[u8],
        qos: u8,
        retain: bool,
        now: u32,
        out: &mut [u8],
    ) -> Result<Op, Error> {
        self.publish_with(topic_name, payload, qos, retain, &[], now, out)
    }

    /// [`Driver::publish`] with MQTT 5 properties (encoded; the caller keeps
    /// them with the slot's topic and payload for a re-send). `PacketTooLarge`
    /// also when the broker's Maximum Packet Size is exceeded.
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
    ) -> Result<Op, Error> {
        if self.resending() {
            return Err(Error::WouldBlock);
        }
        match self
            .client
            .publish_with(topic_name, payload, qos, retain, props, now, out)
        {
            Ok(Sent { len, ticket, slot }) => {
                self.counters.published(qos);
                Ok(Op { len, ticket, slot })
            }
            Err(e) => Err(self.unless_up(e)),
        }
    }

    /// Encodes SUBSCRIBE for one filter, remembered in a subscription slot
    /// (`slot`: the one the caller already holds this filter in, if any).
    pub fn subscribe(
        &mut self,
        filter: &[u8],
        qos: u8,
        slot: Option<u8>,
        now: u32,
        out: &mut [u8],
    ) -> Result<Op, Error> {
        self.subscribe_with(filter, SubOptions::qos(qos), slot, now, out)
    }

    /// [`Driver::subscribe`] with MQTT 5 options, kept for a restore.
    pub fn subscribe_with(
        &mut self,
        filter: &[u8],
        opts: SubOptions,
        slot: Option<u8>,
        now: u32,
        out: &mut [u8],
    ) -> Result<Op, Error> {
        self.filter_op(filter, Some(opts), slot, now, out)
    }

    /// Encodes UNSUBSCRIBE; the subscription in `slot` (if any) is forgotten.
    pub fn unsubscribe(
        &mut self,
        filter: &[u8],
        slot: Option<u8>,
        now: u32,
        out: &mut [u8],
    ) -> Result<Op, Error> {
        self.filter_op(filter, None, slot, now, out)
    }

    /// [`Driver::subscribe_with`] (`sub`: its options) or
    /// [`Driver::unsubscribe`] (`sub` `None`): one body for both, which a
    /// caller offering both through one call (the C API) uses directly.
    pub fn filter_op(
        &mut self,
        filter: &[u8],
        sub: Option<SubOptions>,
        slot: Option<u8>,
        now: u32,
        out: &mut [u8],
    ) -> Result<Op, Error> {
        if let Some(opts) = sub {
            topic::topic_filter(filter)?;
            if opts.options & 3 > 2 {
                return Err(Error::BadArgument);
            }
        }
        if self.resending() {
            return Err(Error::WouldBlock);
        }
        // A SUBSCRIBE takes a subscription slot; an UNSUBSCRIBE frees one.
        let (kind, opts, sub_slot) = match sub {
            Some(opts) => {
                let s = self.subs.choose(slot).ok_or(Error::SubscriptionsFull)?;
                (OpKind::Subscribe, opts, Some(s))
            }
            None => (OpKind::Unsubscribe, SubOptions::qos(0), None),
        };
        let owner = OpOwner {
            sub: sub_slot,
            forgotten: false,
        };
        let mut done = (0, 0);
        let r = self.client.op_into(kind, filter, opts, owner, now, out, &mut done);
        r.map_err(|e| self.unless_up(e))?;
        let (len, ticket) = done;
        let slot = match sub_slot {
            Some(s) => {
                self.subs.subscribed_with(s, opts);
                s
            }
            None => {
                if let Some(s) = slot {
                    self.subs.remove(s);
                }
                slot.unwrap_or(u8::MAX)
            }
        };
        Ok(Op { len, ticket, slot })
    }

    /// A subscribe given up on: its ticket and its slot are forgotten.
    pub fn abandon_subscribe(&mut self, ticket: u32, slot: u8) {
        self.client.forget(ticket);
        self.subs.remove(slot);
    }

    /// Encodes PINGREQ.
    pub fn ping(&mut self, now: u32, out: &mut [u8]) -> Result<usize, Error> {
        self.client.ping(now, out).map_err(|e| self.unless_up(e))?;
        self.user_pings = self.user_pings.saturating_add(1);
        self.counters.ping_sent(now);
        Ok(codec::PINGREQ.len())
    }

    /// Encodes DISCONNECT when connected (else writes nothing) and closes:
    /// no reconnect until the next `connect`.
    pub fn disconnect(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        let n = if self.link == Link::Up {
            codec::encode_fixed(codec::DISCONNECT, out)?
        } else {
            0
        };
        self.close();
        Ok(n)
    }

    /// Closes without a word to the broker: no reconnect until `connect`.
    pub fn close(&mut self) {
        self.drop_link();
        self.link = Link::Closed;
        self.server_closed = false;
        self.auto = false;
        self.reconnecting = false;
    }

    // ----- inputs -----------------------------------------------------------

    /// The transport asked for by `OpenTransport` is open. `false`: the
    /// attempt had already ended (its deadline passed, or `close`): close
    /// this transport again.
    pub fn handle_transport_up(&mut self, _now: u32) -> bool {
        match self.link {
            Link::Opening { deadline } => {
                self.link = Link::Connecting { deadline };
                self.send_connect = true;
                true
            }
            _ => false,
        }
    }

    /// The transport failed to open, broke or was closed by the broker
    /// (`cause`: [`Error::Io`], [`Error::PeerClosed`], ...). Ignored while
    /// no transport is open or opening (closed, or waiting to retry): a late
    /// report, such as the end of stream after a refused CONNACK, changes
    /// neither the cause, the status nor the back-off.
    pub fn handle_transport_down(&mut self, now: u32, cause: Error) {
        if matches!(self.link, Link::Closed | Link::Backoff { .. }) {
            return;
        }
        self.lost(now, cause);
    }

    /// Bytes arrived from the broker: proof of life for keep-alive, even
    /// while an undelivered message keeps them from being handled.
    pub fn handle_data_received(&mut self, now: u32) {
        if self.link == Link::Up {
            self.client.on_received(now);
        }
    }

    /// Handles the packet at the start of `buf`. One longer than
    /// [`Settings::max_packet`] is `Err(PacketTooLarge)` as soon as its
    /// fixed header is in `buf` (a PUBLISH with [`Settings::chunked`] is
    /// taken: `NeedMore` of its whole size here, its head through
    /// [`Driver::handle_rx_head`]).
    pub fn handle_rx<'a>(&mut self, buf: &'a [u8], now: u32) -> Result<Rx<'a>, Error> {
        self.receive(buf, now, false).map(|(rx, _)| rx)
    }

    /// As [`Driver::handle_rx`], but a PUBLISH whose payload is not all in
    /// `buf` is handled once its head (fixed header, topic, packet id) is
    /// there, so that its payload can go from the transport straight into
    /// the object or buffer the application gets. The second value is how
    /// many payload bytes follow the head on the stream: the caller reads
    /// them itself (into the message's payload for [`Rx::Message`], to
    /// nowhere for the [`Rx::Consumed`] of a QoS 2 duplicate) and calls
    /// [`Driver::accept_message`] for a message once it holds them all,
    /// feeding nothing else meanwhile. The message's `payload` is the empty
    /// slice; `consumed` counts the head only. A transport lost meanwhile
    /// forgets the message (the broker sends it again, QoS 1/2).
    pub fn handle_rx_head<'a>(&mut self, buf: &'a [u8], now: u32) -> Result<(Rx<'a>, usize), Error> {
        self.receive(buf, now, true)
    }

    /// [`Driver::handle_rx_head`] when `head`, else [`Driver::handle_rx`]
    /// (its second value then 0): for a caller that offers both through one
    /// call, as the C API does.
    pub fn receive<'a>(
        &mut self,
        buf: &'a [u8],
        now: u32,
        head: bool,
    ) -> Result<(Rx<'a>, usize), Error> {
        self.pending = None;
        if !matches!(self.link, Link::Up | Link::Connecting { .. }) || self.send_connect {
            return Ok((Rx::Idle, 0));
        }
        if self.acks.is_full() {
            return Ok((Rx::Busy, 0));
        }
        let (handled, body_len) = match self.client.receive(buf, now, head) {
            Ok((rx, body_len)) => (Ok(rx), body_len),
            Err(e) => (Err(e), 0),
        };
        self.on_handled(handled, now).map(|rx| (rx, body_len))
    }

    /// What the client's handling of one packet means for the driver.
    fn on_handled<'a>(&mut self, handled: Result<ClientRx<'a>, Error>, now: u32) -> Result<Rx<'a>, Error> {
        match handled {
            Err(e) => {
                self.lost(now, e);
                // MQTT 5 says why before the transport closes (4.13.1).
                #[cfg(feature = "mqtt5")]
                if self.client.level() == crate::v5::PROTOCOL_LEVEL {
                    self.farewell = crate::v5::reason::for_dropping(e);
                }
                Err(e)
            }
            Ok(ClientRx::NeedMore(n)) => Ok(Rx::NeedMore(n)),
            Ok(ClientRx::Refused { code, .. }) => {
                self.lost(now, Error::Refused(code.into()));
                Err(Error::Refused(code.into()))
            }
            Ok(ClientRx::Event { consumed, event }) => {
                let mut done = Rx::Consumed(consumed);
                if event.kind == EventKind::Message && !event.deliver {
                    let d = &mut self.counters.stats.duplicates_dropped;
                    *d = d.wrapping_add(1);
                    if event.alias != 0 && !event.topic.is_empty() {
                        done = Rx::Duplicate {
                            consumed,
                            topic: event.topic,
                            alias: event.alias,
                        };
                    }
                }
                if event.kind == EventKind::Message && event.deliver {
                    self.pending = Some(PendingMessage {
                        consumed,
                        qos: event.qos,
                        pid: event.packet_id,
                    });
                    return Ok(Rx::Message(Message {
                        properties: event.props,
                        alias: event.alias,
                        consumed,
                        topic: event.topic,
                        payload: event.payload,
                        qos: event.qos,
                        retain: event.retain,
                        dup: event.dup,
                        packet_id: event.packet_id,
                    }));
                }
                match event.kind {
                    EventKind::Connack => {
                        self.on_connack(event.session_present);
                        return Ok(Rx::Connack {
                            consumed,
                            properties: event.props,
                        });
                    }
                    EventKind::Suback => {
                        if let Some(slot) = event.sub {
                            self.subs.acknowledged(slot, !crate::is_failure(event.code));
                        }
                    }
                    EventKind::Pingresp => {
                        self.counters.pingresp(now);
                        if self.user_pings == 0 {
                            return Ok(Rx::KeepAlive(consumed));
                        }
                        self.user_pings -= 1;
                    }
                    _ => {}
                }
                // PUBREC for a re-sent QoS 2 message, PUBREL, PUBCOMP.
                self.queue_ack(event.ack, event.packet_id);
                Ok(done)
            }
        }
    }

    /// The caller holds the objects of the message `handle_rx` returned: it
    /// is delivered now. Returns the bytes to consume. `InboundFull`: no
    /// room to remember a QoS 2 id; lend a map ([`Driver::lend_inbound_map`])
    /// and accept again, or drop the connection; nothing was recorded.
    pub fn accept_message(&mut self, _now: u32) -> Result<usize, Error> {
        let p = self.pending.ok_or(Error::BadArgument)?;
        let first = match p.qos {
            0 => 0,
            1 => codec::PUBACK,
            _ => {
                self.client.session_mut().on_incoming_qos2(p.pid)?;
                codec::PUBREC
            }
        };
        self.pending = None;
        self.counters.received(p.qos);
        self.queue_ack(first, p.pid);
        Ok(p.consumed)
    }

    /// Lends the bitmap that holds every incoming QoS 2 id
    /// ([`crate::inbound::INBOUND_MAP_BYTES`] bytes).
    pub fn lend_inbound_map(&mut self, map: &'m mut [u8]) -> Result<(), Error> {
        self.client.session_mut().lend_inbound_map(map)
    }

    /// Acts on the deadlines that have come. `Err`: the connection is lost.
    pub fn handle_timeout(&mut self, now: u32) -> Result<(), Error> {
        match self.link {
            Link::Opening { deadline } | Link::Connecting { deadline }
                if reached(now, deadline) =>
            {
                self.lost(now, Error::Timeout);
                Err(Error::Timeout)
            }
            Link::Backoff { until } if reached(now, until) => {
                self.open(now);
                Ok(())
            }
            Link::Up => match self.client.keepalive().due(now) {
                Due::Wait(_) => Ok(()),
                Due::Ping => {
                    if self.client.keepalive().outstanding() && !self.ping_due {
                        self.pings_missed();
                    }
                    self.ping_due = true;
                    Ok(())
                }
                Due::Timeout => {
                    self.pings_missed();
                    self.lost(now, Error::KeepaliveTimeout);
                    Err(Error::KeepaliveTimeout)
                }
            },
            _ => Ok(()),
        }
    }

    // ----- outputs ----------------------------------------------------------

    /// The next packet to write, in order: CONNECT, PINGREQ,
    /// acknowledgements, the re-sends of a resumed session, subscription
    /// restores.
    pub fn poll_transmit(&mut self, now: u32, out: &mut [u8]) -> Result<Transmit, Error> {
        #[cfg(feature = "mqtt5")]
        if self.farewell != 0 {
            return self.say_farewell(out);
        }
        match self.link {
            Link::Connecting { .. } if self.send_connect => return Ok(Transmit::Connect),
            Link::Up => {}
            _ => return Ok(Transmit::Nothing),
        }
        // The owed PINGREQ first: acknowledgements refilled by every packet
        // of an inbound flood would otherwise hold it back (and its PINGRESP
        // deadline) for as long as the flood lasts.
        if self.ping_due {
            self.client.ping(now, out)?;
            self.ping_due = false;
            self.counters.ping_sent(now);
            return Ok(Transmit::Bytes(codec::PINGREQ.len()));
        }
        if let Some(ack) = self.acks.front().copied() {
            self.put(&ack, now, out)?;
            self.acks.pop_front();
            return Ok(Transmit::Bytes(ack.len()));
        }
        if let Some(item) = self.next_resend() {
            if item.kind != Resend::Pubrel {
                return Ok(Transmit::Publish { slot: item.slot });
            }
            self.put(&codec::ack(codec::PUBREL, item.packet_id), now, out)?;
            self.client.session_mut().resent(item.slot);
            return Ok(Transmit::Bytes(4));
        }
        if self.restoring && self.client.session().can_add_op() {
            match self.subs.next_restore() {
                Some((slot, _)) => return Ok(Transmit::Subscribe { slot }),
                None => self.restoring = false,
            }
        }
        Ok(Transmit::Nothing)
    }

    /// The DISCONNECT owed after a broker's bad packet (the link is down
    /// already): `e0 01` and the reason code, the shortest form with one
    /// (3.14.2.2: no property length when the remaining length is 1).
    #[cfg(feature = "mqtt5")]
    fn say_farewell(&mut self, out: &mut [u8]) -> Result<Transmit, Error> {
        let packet = [0xe0, 0x01, self.farewell];
        out.get_mut(..packet.len())
            .ok_or(Error::BufferTooSmall(packet.len()))?
            .copy_from_slice(&packet);
        self.farewell = 0;
        Ok(Transmit::Bytes(packet.len()))
    }

    /// Copies `bytes` out, counting them as sent.
    fn put(&mut self, bytes: &[u8], now: u32, out: &mut [u8]) -> Result<(), Error> {
        out.get_mut(..bytes.len())
            .ok_or(Error::BufferTooSmall(bytes.len()))?
            .copy_from_slice(bytes);
        self.client.on_sent(now);
        Ok(())
    }

    /// Encodes the CONNECT that `Transmit::Connect` asked for. An error
    /// other than `BufferTooSmall` (a bad identity) ends the attempt.
    pub fn encode_connect(
        &mut self,
        id: &Identity<'_>,
        now: u32,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        if !self.send_connect {
            return Err(Error::NotConnected);
        }
        let o = ConnectOptions {
            client_id: id.client_id,
            user: id.user,
            password: id.password,
            will: id.will,
            props: id.props,
            will_props: id.will_props,
            max_packet: self.advertised_max_packet(),
            clean_session: self.clean_session,
            keepalive_s: self.settings.keepalive_s,
            protocol_level: self.settings.protocol_level,
            ping_max_missed: self.settings.ping_max_missed,
        };
        match self.client.connect(&o, now, out) {
            Ok(n) => {
                self.send_connect = false;
                Ok(n)
            }
            Err(Error::BufferTooSmall(n)) => Err(Error::BufferTooSmall(n)),
            Err(e) => {
                self.auto = false;
                self.lost(now, e);
                Err(e)
            }
        }
    }

    /// The Maximum Packet Size an MQTT 5 CONNECT advertises (0: none): the
    /// receive bound, unless long messages are taken in pieces. Read for
    /// each CONNECT, so a reconnect advertises the settings of its time.
    fn advertised_max_packet(&self) -> u32 {
        /// The largest packet there is: 5 header bytes and the largest
        /// remaining length.
        const LARGEST: u32 = 268_435_460;
        if self.settings.chunked {
            0
        } else {
            self.settings.max_packet.min(LARGEST)
        }
    }

    /// Encodes the re-send that `Transmit::Publish { slot }` asked for.
    pub fn encode_publish(
        &mut self,
        slot: u8,
        topic_name: &[u8],
        payload: &[u8],
        now: u32,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        self.encode_publish_with(slot, topic_name, payload, &[], now, out)
    }

    /// [`Driver::encode_publish`] with the message's MQTT 5 properties.
    pub fn encode_publish_with(
        &mut self,
        slot: u8,
        topic_name: &[u8],
        payload: &[u8],
        props: &[u8],
        now: u32,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let n = match self.client.encode_resend(slot, topic_name, payload, props, now, out) {
            Ok(n) => n,
            Err(Error::PacketTooLarge) => {
                // Above what this broker takes (MQTT 5's Maximum Packet Size,
                // smaller than the last one's): it can never go, so it is
                // finished with "packet too large" and the re-sends go on.
                self.client.session_mut().fail_slot(slot, crate::PACKET_TOO_LARGE);
                return Err(Error::PacketTooLarge);
            }
            Err(e) => return Err(e),
        };
        self.counters.stats.resent = self.counters.stats.resent.wrapping_add(1);
        Ok(n)
    }

    /// Encodes the restore that `Transmit::Subscribe { slot }` asked for.
    pub fn encode_subscribe(
        &mut self,
        slot: u8,
        filter: &[u8],
        now: u32,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let opts = self.subs.options(slot).ok_or(Error::UnknownTicket)?;
        let mut done = (0, 0);
        let r = self.client.op_into(
            OpKind::Subscribe,
            filter,
            opts,
            OpOwner {
                sub: Some(slot),
                forgotten: true,
            },
            now,
            out,
            &mut done,
        );
        match r {
            Ok(()) => {
                self.subs.subscribed_with(slot, opts);
                Ok(done.0)
            }
            Err(Error::BufferTooSmall(n)) => Err(Error::BufferTooSmall(n)),
            Err(e) => {
                // A filter the broker cannot be sent: not restored.
                self.subs.remove(slot);
                Err(e)
            }
        }
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<Event> {
        if self.events.is_empty() {
            return None;
        }
        Some(self.events.remove(0))
    }

    /// Milliseconds until `handle_timeout` is next due (0: now; `u32::MAX`:
    /// nothing scheduled).
    pub fn poll_timeout(&self, now: u32) -> u32 {
        match self.link {
            Link::Opening { deadline } | Link::Connecting { deadline } => remaining(now, deadline),
            Link::Backoff { until } => remaining(now, until),
            // The PINGREQ is owed: nothing is due until it has been handed
            // out (its PINGRESP deadline starts then). Saying 0 would make an
            // asyncio shim whose socket is full (it takes nothing from
            // poll_transmit meanwhile) step again and again; its own write
            // deadline bounds that wait.
            Link::Up if self.ping_due => u32::MAX,
            Link::Up => match self.client.keepalive().due(now) {
                Due::Wait(w) => w,
                Due::Ping | Due::Timeout => 0,
            },
            Link::Closed => u32::MAX,
        }
    }

    /// Milliseconds left to open the transport (0 when not opening).
    pub fn open_timeout(&self, now: u32) -> u32 {
        match self.link {
            Link::Opening { deadline } => remaining(now, deadline).max(1),
            _ => 0,
        }
    }

    // ----- tickets and state ------------------------------------------------

    /// Where a ticket stands. On a closed connection a pending one is `Lost`:
    /// its publish is withdrawn if it was never sent (the ticket is then
    /// unknown), else it stays in flight for a resumed session and its
    /// ticket stays valid: a caller that waits on after a reconnect (as
    /// umqtt.robust retries) learns of its acknowledgement, one that gives
    /// up calls [`Driver::forget`]. A pending operation is dropped.
    pub fn ticket_result(&mut self, ticket: u32) -> TicketResult {
        let r = self.client.ticket_result(ticket);
        if self.link != Link::Closed || !matches!(r, TicketResult::Pending | TicketResult::Unknown)
        {
            return r;
        }
        let session = self.client.session_mut();
        if !session.withdraw_unsent(ticket) && !session.holds_publish(ticket) {
            session.forget(ticket);
        }
        TicketResult::Lost
    }

    /// Whether the objects kept for `slot` are still needed (a message in
    /// flight, or acknowledged and not yet read, holds it).
    pub fn slot_in_use(&self, slot: u8) -> bool {
        self.client.session().slot_in_use(slot)
    }

    /// Nobody waits for `ticket` any more (a publish stays in flight).
    pub fn forget(&mut self, ticket: u32) {
        self.client.forget(ticket);
    }

    /// The PUBLISH of `ticket` never reached the transport whole.
    pub fn mark_unsent(&mut self, ticket: u32) {
        self.client.session_mut().mark_unsent(ticket);
    }

    pub fn status(&self) -> Status {
        match self.link {
            Link::Up => Status::Connected,
            Link::Closed if self.server_closed => Status::ServerClosed,
            Link::Closed => Status::Closed,
            _ => Status::Connecting,
        }
    }

    /// The connection is accepted and nothing is left to re-send first.
    pub fn is_ready(&self) -> bool {
        self.link == Link::Up && !self.resending()
    }

    /// The last CONNACK's session-present flag.
    pub fn session_present(&self) -> bool {
        self.session_present
    }

    /// Why the link last went down, if it did.
    pub fn cause(&self) -> Option<Error> {
        self.cause
    }

    /// What the driver has done so far ([`crate::Stats`]).
    pub fn stats(&self) -> crate::Stats {
        self.counters.stats
    }

    /// A message awaits `accept_message`.
    pub fn message_pending(&self) -> bool {
        self.pending.is_some()
    }

    // ----- internals --------------------------------------------------------

    fn pings_missed(&mut self) {
        let m = &mut self.counters.stats.pings_missed;
        *m = m.wrapping_add(1);
    }

    /// Re-sends of the accepted connection are still to go (checks the
    /// table only while the cheap flag says there may be some).
    fn resending(&self) -> bool {
        self.resend_left && self.client.session().resend_pending()
    }

    fn next_resend(&mut self) -> Option<crate::session::ResendItem> {
        if !self.resend_left {
            return None;
        }
        let item = self.client.session().next_resend();
        self.resend_left = item.is_some();
        item
    }

    #[inline(never)]
    fn unless_up(&self, e: Error) -> Error {
        match (e, self.link) {
            (Error::NotConnected, Link::Closed) => Error::NotConnected,
            (Error::NotConnected, _) => Error::WouldBlock,
            _ => e,
        }
    }

    /// Queues the acknowledgement `first` ([`codec::ack`]) for `pid`; 0: none.
    /// (`receive` checked there is room.)
    fn queue_ack(&mut self, first: u8, pid: u16) {
        if first != 0 {
            let _ = self.acks.push_back(codec::ack(first, pid));
        }
    }

    fn push(&mut self, e: Event) {
        if self.events.is_full() {
            self.events.remove(0);
        }
        let _ = self.events.push(e);
    }

    fn open(&mut self, now: u32) {
        // What was owed to the last broker never goes on a new transport.
        #[cfg(feature = "mqtt5")]
        {
            self.farewell = 0;
        }
        self.link = Link::Opening {
            deadline: now.wrapping_add(self.settings.timeout_ms),
        };
        self.push(Event::OpenTransport);
    }

    /// Forgets the current link's transient state (not the session).
    fn drop_link(&mut self) {
        self.client.connection_lost();
        self.acks.clear();
        self.ping_due = false;
        self.user_pings = 0;
        self.counters.link_down();
        self.send_connect = false;
        self.pending = None;
        self.subs.cancel_restore();
        self.resend_left = false;
        self.restoring = false;
    }

    fn on_connack(&mut self, session_present: bool) {
        self.link = Link::Up;
        self.accepted = true;
        self.session_present = session_present;
        self.auto = self.settings.reconnect;
        self.cause = None;
        self.backoff.reset();
        self.client.session_mut().mark_all_for_resend();
        self.resend_left = true;
        self.restoring = true;
        self.subs.mark_for_restore(session_present);
        self.push(Event::Connected { session_present });
        let st = &mut self.counters.stats;
        st.connects = st.connects.wrapping_add(1);
        if self.reconnecting {
            st.reconnects = st.reconnects.wrapping_add(1);
            self.reconnecting = false;
            self.push(Event::ReconnectSuccess);
        }
    }

    fn lost(&mut self, now: u32, cause: Error) {
        let was = self.link;
        self.drop_link();
        self.cause = Some(cause);
        self.server_closed = was == Link::Up && cause == Error::PeerClosed;
        self.link = Link::Closed;
        if matches!(was, Link::Up) {
            self.push(Event::ConnectionLost { cause });
            if self.auto {
                self.reconnecting = true;
                self.push(Event::ReconnectStart);
                self.backoff.reset();
            }
        }
        // Any link but a closed one retries when reconnecting is on (one
        // call for the lost connection and the failed attempt).
        if self.auto && !matches!(was, Link::Closed) {
            self.retry_later(now);
        }
    }

    fn retry_later(&mut self, now: u32) {
        self.link = Link::Backoff {
            until: now.wrapping_add(self.backoff.next_delay()),
        };
    }
}
