//! The types cbindgen exports: statuses, settings, and what the driver's
//! `poll_*` and `handle_rx` hand out, as plain C structs and enums.

use umqtt_core::{Error, Status};

/// Result of every call.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum UmqttStatus {
    Ok = 0,
    /// The output buffer is too small: the size needed was written where the length goes; nothing changed.
    BufferTooSmall = 2,
    /// NULL pointer, bad length, qos > 2, protocol level, client id etc.
    BadArgument = 3,
    /// Empty, not UTF-8, contains NUL, > 65535 bytes, wildcard in a publish topic, bad filter.
    InvalidTopic = 4,
    /// No connection, and none coming by itself: give up.
    NotConnected = 5,
    /// The in-flight window is full: pump the connection and try again until the call's deadline.
    InflightFull = 6,
    /// Malformed or unexpected packet from the peer; the connection is lost.
    ProtocolError = 7,
    /// Remaining length > 268435455 or a string > 65535.
    PacketTooLarge = 8,
    /// A PINGRESP (and its allowed retries) went unanswered; the connection is lost.
    KeepaliveTimeout = 9,
    /// The broker refused the connection (the CONNACK code is reported separately).
    ConnectionRefused = 10,
    /// ticket_result / connect_result: not yet.
    Pending = 11,
    /// ticket_result: never issued, already read, or forgotten; encode_*: the slot holds nothing to send.
    UnknownTicket = 12,
    /// connect while connecting/connected.
    AlreadyConnected = 13,
    /// More incoming QoS 2 messages await PUBREL than the core's table holds: lend a map
    /// (umqtt_core_lend_inbound_map) and accept again, or drop the connection.
    InboundFull = 14,
    /// Not now (connecting, reconnecting, re-sends first): pump the connection and try again until the
    /// call's deadline.
    WouldBlock = 15,
    /// Opening the connection (transport and CONNACK) took longer than the timeout.
    Timeout = 16,
    /// The transport failed (reported by the caller).
    Io = 17,
    /// The broker closed the connection (end of stream).
    PeerClosed = 18,
    /// Every subscription slot is taken.
    SubscriptionsFull = 19,
    /// ticket_result: the connection is closed and will not come back by itself; stop waiting.
    Lost = 20,
    /// MQTT 5: the broker sent DISCONNECT (its reason code: umqtt_core_cause_code); the connection is
    /// lost.
    ServerDisconnect = 21,
    /// ticket_result: done, and the broker refused the command: `*code` is its acknowledgement's failure
    /// code (a SUBACK's 0x80; MQTT 5: a reason code from 0x80). The ticket is released.
    Refused = 22,
}

/// What the driver has done (umqtt_core_stats): wrapping counters.
#[repr(C)]
#[derive(Clone, Copy, Default)]
#[cfg_attr(test, derive(Debug, PartialEq, Eq))]
pub struct UmqttStats {
    /// Connections accepted, and automatic reconnects among them.
    pub connects: u32,
    pub reconnects: u32,
    /// Messages published, by QoS.
    pub published: [u32; 3],
    /// Messages delivered to the application, by QoS.
    pub received: [u32; 3],
    /// PUBLISH packets sent again after a reconnect.
    pub resent: u32,
    /// Incoming QoS 2 messages sent again by the broker and not delivered twice.
    pub duplicates_dropped: u32,
    /// PINGREQs sent, and PINGRESPs that did not come in time.
    pub pings: u32,
    pub pings_missed: u32,
    /// Round trip of the last answered PINGREQ, ms (0xFFFFFFFF: none yet).
    pub last_ping_rtt_ms: u32,
}

/// How the session is run (umqtt_core_configure).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct UmqttSettings {
    /// Seconds; 0 disables keep-alive.
    pub keepalive_s: u16,
    /// PINGREQs re-sent after a missed PINGRESP before the link counts as dead (QuecPython pingmaxnum).
    pub ping_max_missed: u8,
    /// 3 = MQTT 3.1 ("MQIsdp"), 4 = MQTT 3.1.1 ("MQTT").
    pub protocol_level: u8,
    /// Bound on opening one connection: transport and CONNACK together (1..2^31 ms).
    pub timeout_ms: u32,
    /// Reconnect with back-off once a connection has been accepted.
    pub reconnect: bool,
    /// Unacknowledged QoS 1/2 publishes allowed (1..=UMQTT_MAX_INFLIGHT).
    pub max_inflight: u8,
    /// Messages longer than max_packet are taken in pieces: a long PUBLISH comes
    /// through umqtt_core_handle_rx_head (other packets stay bounded), and MQTT 5
    /// advertises no Maximum Packet Size.
    pub chunked: bool,
    /// Longest packet taken from the broker, fixed header included (0: no bound): a longer
    /// one ends the connection with PACKET_TOO_LARGE as soon as its fixed header is read.
    /// MQTT 5 advertises it as the Maximum Packet Size unless chunked or the connect
    /// properties carry one.
    pub max_packet: u32,
}

/// A byte string.
#[repr(C)]
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug))]
pub struct UmqttBytes {
    /// NULL = absent (for optional fields); may be NULL when len == 0.
    pub ptr: *const u8,
    pub len: usize,
}

/// The strings of CONNECT (umqtt_core_encode_connect).
#[repr(C)]
pub struct UmqttIdentity {
    /// May be empty (only with a clean session).
    pub client_id: UmqttBytes,
    /// ptr NULL = absent.
    pub user: UmqttBytes,
    /// ptr NULL = absent (present-but-empty is ptr != NULL, len 0).
    pub password: UmqttBytes,
    /// ptr NULL = no will.
    pub will_topic: UmqttBytes,
    pub will_payload: UmqttBytes,
    pub will_qos: u8,
    pub will_retain: bool,
    /// MQTT 5: connect properties, encoded (umqtt_props_put_*); empty for 3/4.
    pub props: UmqttBytes,
    /// MQTT 5: will properties, encoded.
    pub will_props: UmqttBytes,
}

/// What to write next (umqtt_core_poll_transmit).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum UmqttTransmitKind {
    /// Nothing more now.
    Nothing = 0,
    /// `len` bytes of the output buffer.
    Bytes = 1,
    /// CONNECT: call umqtt_core_encode_connect.
    Connect = 2,
    /// Re-send: call umqtt_core_encode_publish with the topic and payload of `slot`.
    Publish = 3,
    /// Restore: call umqtt_core_encode_subscribe with the filter of `slot`.
    Subscribe = 4,
}

#[repr(C)]
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug))]
pub struct UmqttTransmit {
    pub kind: UmqttTransmitKind,
    pub len: usize,
    pub slot: u8,
}

/// What happened to the connection (umqtt_core_poll_event).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum UmqttEventKind {
    /// Open the transport now (within umqtt_core_open_timeout), then report it up or down.
    OpenTransport = 1,
    /// A CONNACK accepted the connection; `session_present` set.
    Connected = 2,
    /// An accepted connection was lost; `cause` says why.
    ConnectionLost = 3,
    /// Reconnecting after a loss.
    ReconnectStart = 4,
    /// The reconnect succeeded.
    ReconnectSuccess = 5,
}

#[repr(C)]
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug))]
pub struct UmqttEvent {
    pub kind: UmqttEventKind,
    pub session_present: bool,
    pub cause: UmqttStatus,
    /// CONNACK code when `cause` is CONNECTION_REFUSED.
    pub code: u8,
}

/// What umqtt_core_handle_rx found at the start of the buffer.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum UmqttRxKind {
    /// No whole packet yet: `n` = bytes the packet needs in total (a lower bound while its length is
    /// incomplete).
    NeedMore = 0,
    /// One packet of `n` bytes was handled: consume them. MQTT 5: a QoS 2 duplicate with `alias` set
    /// names `topic`: keep it under that alias.
    Consumed = 1,
    /// A message to deliver (topic, payload, ...; `n` bytes of the buffer, its head only from
    /// umqtt_core_handle_rx_head): make its objects, then umqtt_core_accept_message.
    Message = 2,
    /// Drain umqtt_core_poll_transmit first, then call again.
    Busy = 3,
    /// No connection to receive on: leave the bytes.
    Idle = 4,
    /// The PINGRESP to the driver's own keep-alive PINGREQ (`n` bytes) was handled: consume them;
    /// nothing for the application (a blocking wait for messages goes on).
    KeepAlive = 5,
    /// The CONNACK accepting the connection (`n` bytes): consume them; `props` are its properties
    /// (MQTT 5), valid until the buffer changes.
    Connack = 6,
}

#[repr(C)]
#[cfg_attr(test, derive(Debug))]
pub struct UmqttRx {
    pub kind: UmqttRxKind,
    pub n: usize,
    /// MESSAGE: point into the caller's buffer; valid until it changes.
    pub topic: *const u8,
    pub topic_len: usize,
    pub payload: *const u8,
    pub payload_len: usize,
    pub qos: u8,
    pub retain: bool,
    pub dup: bool,
    pub packet_id: u16,
    /// umqtt_core_handle_rx_head: payload bytes that follow the `n` consumed on the stream, not in
    /// the buffer given (MESSAGE: read them into the message's payload, then accept it; CONSUMED: a
    /// QoS 2 duplicate's, to skip). 0 from umqtt_core_handle_rx.
    pub body_len: usize,
    /// MQTT 5, MESSAGE and CONNACK: the property block's content (checked), in the caller's buffer.
    pub props: *const u8,
    pub props_len: usize,
    /// MQTT 5, MESSAGE: its Topic Alias (0: none). With an empty topic, the topic is the one the
    /// caller keeps under this alias; else keep this topic under it (for the connection's life).
    pub alias: u16,
}

/// A subscription's options as the script gave them, for umqtt_core_sub_options to check and pack.
#[repr(C)]
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug))]
pub struct UmqttSubOptions {
    /// Retain Handling and the Subscription Identifier (when `has_id`) as given, of any value: the core
    /// checks them (and the QoS, which the shim checks first for publish()'s message).
    pub retain_handling: isize,
    pub id: isize,
    pub qos: u8,
    pub has_id: bool,
    pub no_local: bool,
    pub retain_as_published: bool,
}

/// Which option umqtt_core_sub_options refused.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum UmqttSubOption {
    /// None: the options are good.
    None = 0,
    /// A value not in `lo..=hi`: the QoS, Retain Handling, the Subscription Identifier.
    Qos = 1,
    RetainHandling = 2,
    SubscriptionIdentifier = 3,
    /// An option beyond the QoS (MQTT 5's) below protocol level 5.
    Version = 4,
}

/// umqtt_core_sub_options's answer.
#[repr(C)]
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug))]
pub struct UmqttSubPacked {
    /// What umqtt_core_subscribe takes: the options byte, the Subscription Identifier (0: none).
    pub options: u8,
    pub sub_id: u32,
    /// The option refused (NONE: good), and the values a refused value may take (`lo..=hi`).
    pub refused: UmqttSubOption,
    pub lo: u32,
    pub hi: u32,
}

/// A command that went out (publish, subscribe, unsubscribe).
#[repr(C)]
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug))]
pub struct UmqttOp {
    /// Bytes to write now (BUFFER_TOO_SMALL: the size needed).
    pub len: usize,
    /// For umqtt_core_ticket_result; 0 for QoS 0 (nothing to wait for).
    pub ticket: u32,
    /// The slot whose objects the caller keeps: a QoS 1/2 message's topic and payload, a subscription's
    /// filter.
    pub slot: u8,
}

/// Where the connection stands; the values are QuecPython's get_mqttsta().
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum UmqttConnStatus {
    Connected = 0,
    /// Opening, awaiting CONNACK, or waiting to retry.
    Connecting = 1,
    /// Closed by the broker and not reconnecting.
    ServerClosed = 2,
    Closed = -1,
}

impl From<Status> for UmqttConnStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Connected => UmqttConnStatus::Connected,
            Status::Connecting => UmqttConnStatus::Connecting,
            Status::ServerClosed => UmqttConnStatus::ServerClosed,
            Status::Closed => UmqttConnStatus::Closed,
        }
    }
}

impl From<Error> for UmqttStatus {
    fn from(e: Error) -> Self {
        match e {
            Error::BufferTooSmall(_) => UmqttStatus::BufferTooSmall,
            Error::BadArgument => UmqttStatus::BadArgument,
            Error::InvalidTopic => UmqttStatus::InvalidTopic,
            Error::NotConnected => UmqttStatus::NotConnected,
            Error::AlreadyConnected => UmqttStatus::AlreadyConnected,
            Error::InflightFull => UmqttStatus::InflightFull,
            Error::ProtocolError => UmqttStatus::ProtocolError,
            Error::PacketTooLarge => UmqttStatus::PacketTooLarge,
            Error::KeepaliveTimeout => UmqttStatus::KeepaliveTimeout,
            Error::UnknownTicket => UmqttStatus::UnknownTicket,
            Error::InboundFull => UmqttStatus::InboundFull,
            Error::WouldBlock => UmqttStatus::WouldBlock,
            Error::Timeout => UmqttStatus::Timeout,
            Error::Refused(_) => UmqttStatus::ConnectionRefused,
            Error::Io => UmqttStatus::Io,
            Error::PeerClosed => UmqttStatus::PeerClosed,
            Error::SubscriptionsFull => UmqttStatus::SubscriptionsFull,
            Error::ServerDisconnect(_) => UmqttStatus::ServerDisconnect,
        }
    }
}

impl UmqttStatus {
    /// The core's error for a cause the caller reports (handle_transport_down), or for a command's
    /// refusal (umqtt_core_refusal_code). Inlined: out of line it cost 28 bytes on Cortex-M3.
    #[inline(always)]
    pub fn as_cause(self) -> Error {
        match self {
            UmqttStatus::PeerClosed => Error::PeerClosed,
            UmqttStatus::Timeout => Error::Timeout,
            UmqttStatus::ProtocolError => Error::ProtocolError,
            UmqttStatus::InboundFull => Error::InboundFull,
            UmqttStatus::KeepaliveTimeout => Error::KeepaliveTimeout,
            UmqttStatus::PacketTooLarge => Error::PacketTooLarge,
            _ => Error::Io,
        }
    }
}

/// The CONNACK code of a refusal, the reason code of the broker's
/// DISCONNECT (MQTT 5), 0 otherwise.
pub fn refused_code(e: Error) -> u8 {
    match e {
        Error::Refused(code) | Error::ServerDisconnect(code) => code as u8,
        _ => 0,
    }
}
