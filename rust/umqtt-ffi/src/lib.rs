//! C ABI of the umqtt protocol core.
//!
//! The caller allocates `UMQTT_CORE_SIZE` bytes aligned to `UMQTT_CORE_ALIGN`
//! and builds a core in them with `umqtt_core_init`; the core never allocates.
//! Every function returns a `UmqttStatus` and writes its results through
//! out-pointers; every pointer is NULL-checked (`UMQTT_STATUS_BAD_ARGUMENT`)
//! except where a comment allows NULL. Byte views handed out (an event's topic
//! and payload) point into the caller's receive buffer.
//!
//! Time: `now_ms` is a free-running `uint32_t` millisecond counter
//! (`mp_hal_ticks_ms()`), compared only by wrapping difference.
//!
//! Output buffers must not overlap input buffers. No function panics; the
//! panic handler (needed to link a `no_std` staticlib) calls the C hook
//! `umqtt_port_panic()`.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::missing_safety_doc)]

use core::ptr;
use cty::{c_char, c_void};
use umqtt_core::{
    Client, ConnState, ConnectOptions, Error, EventKind, Resend, Rx, TicketResult, Will,
};

/// Storage the caller provides for one core, in bytes (checked at compile time).
pub const UMQTT_CORE_SIZE: usize = 448;
/// Alignment of that storage.
pub const UMQTT_CORE_ALIGN: usize = 8;
/// Outgoing QoS 1/2 publishes in flight at once.
pub const UMQTT_MAX_INFLIGHT: usize = 16;
/// Incoming QoS 2 ids awaiting PUBREL.
pub const UMQTT_MAX_INBOUND_QOS2: usize = 128;
/// SUBSCRIBE/UNSUBSCRIBE awaiting their ack.
pub const UMQTT_MAX_PENDING_OPS: usize = 4;
/// Longest MQTT string.
pub const UMQTT_MAX_STRING: usize = 65535;
/// Longest fixed header.
pub const UMQTT_FIXED_HEADER_MAX: usize = 5;
/// Longest `reply` of an event.
pub const UMQTT_ACK_MAX: usize = 4;

const _: () = {
    assert!(core::mem::size_of::<Core>() <= UMQTT_CORE_SIZE);
    assert!(core::mem::align_of::<Core>() <= UMQTT_CORE_ALIGN);
    assert!(UMQTT_MAX_INFLIGHT == umqtt_core::MAX_INFLIGHT);
    assert!(UMQTT_MAX_INBOUND_QOS2 == umqtt_core::MAX_INBOUND_QOS2);
    assert!(UMQTT_MAX_PENDING_OPS == umqtt_core::MAX_PENDING_OPS);
    assert!(UMQTT_MAX_STRING == umqtt_core::MAX_STRING);
    assert!(UMQTT_FIXED_HEADER_MAX == umqtt_core::FIXED_HEADER_MAX);
    assert!(UMQTT_ACK_MAX == umqtt_core::ACK_MAX);
};

/// Result of every call.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum UmqttStatus {
    Ok = 0,
    /// handle_rx: buffer holds no complete packet; ev->need = total bytes wanted.
    NeedMore = 1,
    /// encode: *out_len = bytes needed; nothing changed in the core.
    BufferTooSmall = 2,
    /// NULL pointer, bad length, qos > 2, protocol level, client id etc.
    BadArgument = 3,
    /// Empty, not UTF-8, contains NUL, > 65535 bytes, wildcard in a publish topic, bad filter.
    InvalidTopic = 4,
    /// publish/subscribe/ping before CONNACK accepted.
    NotConnected = 5,
    /// No free slot for another QoS1/2 publish or sub/unsub.
    InflightFull = 6,
    /// Malformed or unexpected packet from the peer: drop the connection.
    ProtocolError = 7,
    /// Remaining length > 268435455 or a string > 65535.
    PacketTooLarge = 8,
    /// poll_timers: PINGRESP overdue: the connection is dead.
    KeepaliveTimeout = 9,
    /// handle_rx got CONNACK with code != 0 (ev->code holds it); core is now disconnected.
    ConnectionRefused = 10,
    /// ticket_result: not yet acknowledged.
    Pending = 11,
    /// ticket_result: ticket unknown/invalidated (session cleared or forgotten); resend_item: idx past the
    /// end; encode_resend: the ticket is no PUBLISH awaiting PUBACK/PUBREC.
    UnknownTicket = 12,
    /// connect while connecting/connected.
    AlreadyConnected = 13,
    /// handle_rx: more incoming QoS 2 messages await PUBREL than UMQTT_MAX_INBOUND_QOS2 (the broker's
    /// in-flight window is larger); nothing was delivered, the connection must be dropped.
    InboundFull = 14,
}

/// Connection state.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum UmqttConnState {
    Disconnected = 0,
    /// CONNECT encoded, waiting for CONNACK.
    Connecting = 1,
    Connected = 2,
}

/// What handle_rx found.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum UmqttEventKind {
    None = 0,
    /// Accepted: code 0, session_present set.
    Connack = 1,
    /// Incoming PUBLISH: topic/payload/qos/retain/dup/packet_id; deliver=false for a re-sent QoS 2 already delivered.
    Message = 2,
    /// PUBACK (qos1) or PUBCOMP (qos2) completed `ticket`.
    PublishDone = 3,
    /// PUBREC received for `ticket`; reply holds PUBREL.
    Pubrec = 4,
    /// PUBREL received; reply holds PUBCOMP.
    Pubrel = 5,
    /// `ticket` done, code = granted QoS (0,1,2) or 0x80 failure.
    Suback = 6,
    /// `ticket` done.
    Unsuback = 7,
    Pingresp = 8,
}

/// One handled packet.
#[repr(C)]
pub struct UmqttEvent {
    pub kind: UmqttEventKind,
    pub code: u8,
    pub session_present: bool,
    pub qos: u8,
    pub retain: bool,
    pub dup: bool,
    pub deliver: bool,
    pub packet_id: u16,
    pub ticket: u32,
    /// Points into the caller's rx buffer; valid until that buffer changes.
    pub topic: *const u8,
    pub topic_len: usize,
    pub payload: *const u8,
    pub payload_len: usize,
    /// NEED_MORE: total bytes the current packet needs (a lower bound while its length is incomplete).
    pub need: usize,
    /// Bytes the caller must write to the transport (PUBACK, PUBREC, PUBREL, PUBCOMP).
    pub reply: [u8; UMQTT_ACK_MAX],
    /// 0 when nothing to send.
    pub reply_len: usize,
}

/// What a resumed session re-sends for one message.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum UmqttResendKind {
    /// Re-send the PUBLISH (DUP=1, same packet id and qos): encode with umqtt_core_encode_resend.
    Publish = 0,
    /// Re-send PUBREL: the 4 bytes are in item->pubrel.
    Pubrel = 1,
}

/// One unacknowledged outgoing QoS 1/2 message (umqtt_core_resend_item).
#[repr(C)]
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug))]
pub struct UmqttResendItem {
    pub kind: UmqttResendKind,
    /// The ticket umqtt_core_publish returned for this message.
    pub ticket: u32,
    pub packet_id: u16,
    pub qos: u8,
    /// PUBREL bytes when kind == PUBREL.
    pub pubrel: [u8; UMQTT_ACK_MAX],
}

/// A byte string.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct UmqttBytes {
    /// May be NULL when len == 0.
    pub ptr: *const u8,
    pub len: usize,
}

/// Arguments of umqtt_core_connect.
#[repr(C)]
pub struct UmqttConnectOptions {
    /// May be empty (only with clean_session).
    pub client_id: UmqttBytes,
    /// ptr NULL = absent.
    pub user: UmqttBytes,
    /// ptr NULL = absent (present-but-empty is ptr!=NULL,len 0).
    pub password: UmqttBytes,
    /// ptr NULL = no will.
    pub will_topic: UmqttBytes,
    pub will_payload: UmqttBytes,
    pub will_qos: u8,
    pub will_retain: bool,
    pub clean_session: bool,
    pub keepalive_s: u16,
    /// 3 = MQTT 3.1 ("MQIsdp"), 4 = MQTT 3.1.1 ("MQTT").
    pub protocol_level: u8,
    /// PINGREQs that may still be sent after a missed PINGRESP before KEEPALIVE_TIMEOUT (QuecPython pingmaxnum; 0 = the first miss is fatal).
    pub ping_max_missed: u8,
}

const MAGIC: u32 = 0x554d_5154; // "UMQT"

/// What lives in the caller's storage.
#[repr(C)]
struct Core {
    magic: u32,
    client: Client,
}

/// `p` as a core, if it is non-NULL, aligned and initialised.
///
/// # Safety
/// `p` is NULL or points to `UMQTT_CORE_SIZE` readable bytes.
unsafe fn core_ptr(p: *const c_void) -> Option<*mut Core> {
    if p.is_null() || (p as usize) % core::mem::align_of::<Core>() != 0 {
        return None;
    }
    let core = p.cast::<Core>().cast_mut();
    // SAFETY: aligned and non-NULL; `magic` (a u32 at offset 0 of a repr(C)
    // struct) is valid for any bit pattern. The rest is only used once it matches.
    let magic = unsafe { ptr::addr_of!((*core).magic).read() };
    (magic == MAGIC).then_some(core)
}

/// The client in `p` for a mutating call.
///
/// # Safety
/// As [`core_ptr`], and the bytes are writable and not otherwise borrowed during the call.
unsafe fn client_mut<'a>(p: *mut c_void) -> Option<&'a mut Client> {
    // SAFETY: forwarded; an initialised core.
    unsafe { core_ptr(p).map(|c| &mut (*c).client) }
}

/// The client in `p` for a reading call.
///
/// # Safety
/// As [`core_ptr`], and the bytes are not mutated during the call.
unsafe fn client_ref<'a>(p: *const c_void) -> Option<&'a Client> {
    // SAFETY: forwarded; an initialised core, only read.
    unsafe { core_ptr(p).map(|c| &(*c).client) }
}

/// A byte slice from C: NULL allowed only with length 0.
///
/// # Safety
/// A non-NULL `p` points to `len` readable bytes living for `'a`.
unsafe fn bytes<'a>(p: *const u8, len: usize) -> Option<&'a [u8]> {
    if p.is_null() {
        return if len == 0 { Some(&[]) } else { None };
    }
    if len > isize::MAX as usize {
        return None;
    }
    // SAFETY: the caller's promise.
    Some(unsafe { core::slice::from_raw_parts(p, len) })
}

/// An output slice from C: NULL allowed only with capacity 0.
///
/// # Safety
/// A non-NULL `p` points to `cap` writable bytes living for `'a`.
unsafe fn out_bytes<'a>(p: *mut u8, cap: usize) -> Option<&'a mut [u8]> {
    if p.is_null() {
        return if cap == 0 { Some(&mut []) } else { None };
    }
    if cap > isize::MAX as usize {
        return None;
    }
    // SAFETY: the caller's promise.
    Some(unsafe { core::slice::from_raw_parts_mut(p, cap) })
}

/// An optional field: NULL pointer = absent.
///
/// # Safety
/// As [`bytes`].
unsafe fn optional<'a>(b: UmqttBytes) -> Option<&'a [u8]> {
    if b.ptr.is_null() {
        None
    } else {
        // SAFETY: forwarded.
        unsafe { bytes(b.ptr, b.len) }
    }
}

fn status_of(e: Error) -> UmqttStatus {
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
    }
}

/// Writes an encode result: `*out_len` = length written, or the size needed
/// for BUFFER_TOO_SMALL, or 0.
fn finish(r: Result<usize, Error>, out_len: &mut usize) -> UmqttStatus {
    match r {
        Ok(n) => {
            *out_len = n;
            UmqttStatus::Ok
        }
        Err(e) => {
            *out_len = match e {
                Error::BufferTooSmall(n) => n,
                _ => 0,
            };
            status_of(e)
        }
    }
}

/// Build a core in caller storage (size >= UMQTT_CORE_SIZE, aligned to UMQTT_CORE_ALIGN).
///
/// # Safety
/// `storage` is NULL or points to `size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_init(storage: *mut c_void, size: usize) -> UmqttStatus {
    if storage.is_null() || size < UMQTT_CORE_SIZE || (storage as usize) % UMQTT_CORE_ALIGN != 0 {
        return UmqttStatus::BadArgument;
    }
    // SAFETY: non-NULL, aligned (UMQTT_CORE_ALIGN >= align_of::<Core>()), large enough.
    unsafe {
        storage.cast::<Core>().write(Core {
            magic: MAGIC,
            client: Client::new(),
        })
    };
    UmqttStatus::Ok
}

/// Encode CONNECT into out; state -> CONNECTING. Validates options (strings <= 65535, qos <= 2, level 3|4,
/// password without user allowed only for level 4, empty client id needs clean_session,
/// MQTT 3.1 client id 1..23 bytes).
///
/// The accepted CONNACK: after clean_session=true the session is empty. After clean_session=false with
/// session_present=1 everything is kept (outgoing in flight, incoming QoS 2 ids); with session_present=0
/// (the broker lost the session) the outgoing in-flight publishes are KEPT (re-send them via
/// umqtt_core_resend_item; one in AwaitPubcomp re-sends its PUBREL) and the incoming QoS 2 ids are
/// CLEARED. Tickets of kept messages stay valid across the reconnect.
///
/// # Safety
/// `core` from umqtt_core_init; `opts` NULL or valid, its non-NULL byte pointers valid for their
/// lengths; `out` NULL (with out_cap 0) or `out_cap` writable bytes; `out_len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_connect(
    core: *mut c_void,
    opts: *const UmqttConnectOptions,
    now_ms: u32,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> UmqttStatus {
    // SAFETY: the caller's promises, checked for NULL.
    unsafe {
        let Some(out_len) = out_len.as_mut() else {
            return UmqttStatus::BadArgument;
        };
        *out_len = 0;
        let (Some(c), Some(o), Some(out)) =
            (client_mut(core), opts.as_ref(), out_bytes(out, out_cap))
        else {
            return UmqttStatus::BadArgument;
        };
        let Some(client_id) = bytes(o.client_id.ptr, o.client_id.len) else {
            return UmqttStatus::BadArgument;
        };
        let will = if o.will_topic.ptr.is_null() {
            None
        } else {
            let (Some(topic), Some(payload)) = (
                bytes(o.will_topic.ptr, o.will_topic.len),
                bytes(o.will_payload.ptr, o.will_payload.len),
            ) else {
                return UmqttStatus::BadArgument;
            };
            Some(Will {
                topic,
                payload,
                qos: o.will_qos,
                retain: o.will_retain,
            })
        };
        let opts = ConnectOptions {
            client_id,
            user: optional(o.user),
            password: optional(o.password),
            will,
            clean_session: o.clean_session,
            keepalive_s: o.keepalive_s,
            protocol_level: o.protocol_level,
            ping_max_missed: o.ping_max_missed,
        };
        if (!o.user.ptr.is_null() && opts.user.is_none())
            || (!o.password.ptr.is_null() && opts.password.is_none())
        {
            return UmqttStatus::BadArgument;
        }
        finish(c.connect(&opts, now_ms, out), out_len)
    }
}

/// Writes a (length, ticket) result.
fn finish_ticketed(
    r: Result<(usize, u32), Error>,
    out_len: &mut usize,
    ticket: &mut u32,
) -> UmqttStatus {
    match r {
        Ok((n, t)) => {
            *ticket = t;
            finish(Ok(n), out_len)
        }
        Err(e) => finish(Err(e), out_len),
    }
}

/// Encode PUBLISH (one contiguous packet). qos 1/2: allocates a packet id not in flight (wraps 65535 -> 1),
/// records it in flight, *ticket identifies it. qos 0: *ticket = 0. `payload` may be NULL when
/// `payload_len` is 0; `out` may be NULL when `out_cap` is 0 (size query: BUFFER_TOO_SMALL).
///
/// # Safety
/// `core` from umqtt_core_init; every non-NULL pointer valid for its length; `out` does not
/// overlap `topic` or `payload`.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_publish(
    core: *mut c_void,
    topic: *const u8,
    topic_len: usize,
    payload: *const u8,
    payload_len: usize,
    qos: u8,
    retain: bool,
    now_ms: u32,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
    ticket: *mut u32,
) -> UmqttStatus {
    // SAFETY: the caller's promises, checked for NULL.
    unsafe {
        let (Some(out_len), Some(ticket)) = (out_len.as_mut(), ticket.as_mut()) else {
            return UmqttStatus::BadArgument;
        };
        *out_len = 0;
        *ticket = 0;
        if topic.is_null() {
            return UmqttStatus::BadArgument;
        }
        let (Some(c), Some(t), Some(p), Some(out)) = (
            client_mut(core),
            bytes(topic, topic_len),
            bytes(payload, payload_len),
            out_bytes(out, out_cap),
        ) else {
            return UmqttStatus::BadArgument;
        };
        finish_ticketed(c.publish(t, p, qos, retain, now_ms, out), out_len, ticket)
    }
}

/// Whether the bytes received so far start a PUBLISH (a message for the
/// application). The background keep-alive handles acknowledgements and
/// PINGRESP while the application is elsewhere, and leaves messages for the
/// application's own wait_msg()/check_msg(). False for an empty buffer.
///
/// # Safety
/// `buf` valid for `len` bytes (may be NULL when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_next_is_message(buf: *const u8, len: usize) -> bool {
    // SAFETY: the caller's promise, checked for NULL.
    match unsafe { bytes(buf, len) } {
        Some(b) => b.first().is_some_and(|&first| first >> 4 == 3),
        None => false,
    }
}

/// Check a topic name (`is_filter` false: PUBLISH and will topics, no
/// wildcards) or a topic filter (`is_filter` true: SUBSCRIBE) without encoding
/// anything, so the shim can refuse a bad argument when it is given.
/// OK or INVALID_TOPIC; BAD_ARGUMENT for a NULL `topic` with a non-zero length.
///
/// # Safety
/// `topic` valid for `topic_len` bytes (may be NULL when `topic_len` is 0).
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_check_topic(
    topic: *const u8,
    topic_len: usize,
    is_filter: bool,
) -> UmqttStatus {
    // SAFETY: the caller's promise, checked for NULL.
    let Some(t) = (unsafe { bytes(topic, topic_len) }) else {
        return UmqttStatus::BadArgument;
    };
    let checked = if is_filter {
        umqtt_core::topic::topic_filter(t).map(|_| ())
    } else {
        umqtt_core::topic::topic_name(t).map(|_| ())
    };
    match checked {
        Ok(()) => UmqttStatus::Ok,
        Err(e) => status_of(e),
    }
}

/// The pointer checks SUBSCRIBE and UNSUBSCRIBE share: NULL `out_len`,
/// `ticket`, `filter` or core give BAD_ARGUMENT; `encode` gets the checked
/// core, filter and output slice.
///
/// # Safety
/// As umqtt_core_publish.
#[allow(clippy::too_many_arguments)]
unsafe fn filter_request(
    core: *mut c_void,
    filter: *const u8,
    filter_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
    ticket: *mut u32,
    encode: impl FnOnce(&mut Client, &[u8], &mut [u8]) -> Result<(usize, u32), Error>,
) -> UmqttStatus {
    // SAFETY: the caller's promises, checked for NULL.
    unsafe {
        let (Some(out_len), Some(ticket)) = (out_len.as_mut(), ticket.as_mut()) else {
            return UmqttStatus::BadArgument;
        };
        *out_len = 0;
        *ticket = 0;
        if filter.is_null() {
            return UmqttStatus::BadArgument;
        }
        let (Some(c), Some(f), Some(out)) = (
            client_mut(core),
            bytes(filter, filter_len),
            out_bytes(out, out_cap),
        ) else {
            return UmqttStatus::BadArgument;
        };
        finish_ticketed(encode(c, f, out), out_len, ticket)
    }
}

/// Encode SUBSCRIBE for one filter; *ticket identifies it (result: the SUBACK code).
///
/// # Safety
/// As umqtt_core_publish.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_subscribe(
    core: *mut c_void,
    filter: *const u8,
    filter_len: usize,
    qos: u8,
    now_ms: u32,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
    ticket: *mut u32,
) -> UmqttStatus {
    // SAFETY: the caller's promises, passed on.
    unsafe {
        filter_request(core, filter, filter_len, out, out_cap, out_len, ticket, |c, f, out| {
            c.subscribe(f, qos, now_ms, out)
        })
    }
}

/// Encode UNSUBSCRIBE for one filter; *ticket identifies it.
///
/// # Safety
/// As umqtt_core_publish.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_unsubscribe(
    core: *mut c_void,
    filter: *const u8,
    filter_len: usize,
    now_ms: u32,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
    ticket: *mut u32,
) -> UmqttStatus {
    // SAFETY: the caller's promises, passed on.
    unsafe {
        filter_request(core, filter, filter_len, out, out_cap, out_len, ticket, |c, f, out| {
            c.unsubscribe(f, now_ms, out)
        })
    }
}

/// PINGREQ (2 bytes). Allowed only when connected.
///
/// # Safety
/// `core` from umqtt_core_init; `out` NULL (with out_cap 0) or `out_cap` writable bytes; `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_ping(
    core: *mut c_void,
    now_ms: u32,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> UmqttStatus {
    // SAFETY: the caller's promises, checked for NULL.
    unsafe {
        let Some(out_len) = out_len.as_mut() else {
            return UmqttStatus::BadArgument;
        };
        *out_len = 0;
        let (Some(c), Some(out)) = (client_mut(core), out_bytes(out, out_cap)) else {
            return UmqttStatus::BadArgument;
        };
        finish(c.ping(now_ms, out), out_len)
    }
}

/// DISCONNECT (2 bytes, encoded in any state); state -> DISCONNECTED (as connection_lost).
///
/// # Safety
/// As umqtt_core_ping.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_disconnect(
    core: *mut c_void,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> UmqttStatus {
    // SAFETY: the caller's promises, checked for NULL.
    unsafe {
        let Some(out_len) = out_len.as_mut() else {
            return UmqttStatus::BadArgument;
        };
        *out_len = 0;
        let (Some(c), Some(out)) = (client_mut(core), out_bytes(out, out_cap)) else {
            return UmqttStatus::BadArgument;
        };
        finish(c.disconnect(out), out_len)
    }
}

/// The transport is gone (EOF, error, timeout). state -> DISCONNECTED. Pending SUB/UNSUB tickets become unknown.
/// In-flight publishes are kept (a later persistent-session reconnect re-sends them).
///
/// # Safety
/// `core` NULL or from umqtt_core_init.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_connection_lost(core: *mut c_void) {
    // SAFETY: the caller's promise, checked for NULL.
    if let Some(c) = unsafe { client_mut(core) } {
        c.connection_lost();
    }
}

fn empty_event() -> UmqttEvent {
    UmqttEvent {
        kind: UmqttEventKind::None,
        code: 0,
        session_present: false,
        qos: 0,
        retain: false,
        dup: false,
        deliver: false,
        packet_id: 0,
        ticket: 0,
        topic: ptr::null(),
        topic_len: 0,
        payload: ptr::null(),
        payload_len: 0,
        need: 0,
        reply: [0; UMQTT_ACK_MAX],
        reply_len: 0,
    }
}

fn kind_of(k: EventKind) -> UmqttEventKind {
    match k {
        EventKind::None => UmqttEventKind::None,
        EventKind::Connack => UmqttEventKind::Connack,
        EventKind::Message => UmqttEventKind::Message,
        EventKind::PublishDone => UmqttEventKind::PublishDone,
        EventKind::Pubrec => UmqttEventKind::Pubrec,
        EventKind::Pubrel => UmqttEventKind::Pubrel,
        EventKind::Suback => UmqttEventKind::Suback,
        EventKind::Unsuback => UmqttEventKind::Unsuback,
        EventKind::Pingresp => UmqttEventKind::Pingresp,
    }
}

/// Frame and handle the packet at the start of buf[0..len].  OK: *consumed = its size, ev filled.
/// NEED_MORE: *consumed = 0, ev->need set. CONNECTION_REFUSED: *consumed = its size, ev->kind CONNACK,
/// ev->code the refusal. Any error: connection must be dropped (the core is already DISCONNECTED).
/// `buf` may be NULL when `len` is 0.
///
/// # Safety
/// `core` from umqtt_core_init; `buf` valid for `len` bytes; `consumed` and `ev` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_handle_rx(
    core: *mut c_void,
    buf: *const u8,
    len: usize,
    now_ms: u32,
    consumed: *mut usize,
    ev: *mut UmqttEvent,
) -> UmqttStatus {
    // SAFETY: the caller's promises, checked for NULL; `ev` is written whole, never read.
    unsafe {
        if consumed.is_null() || ev.is_null() {
            return UmqttStatus::BadArgument;
        }
        consumed.write(0);
        ev.write(empty_event());
        let (Some(c), Some(buf)) = (client_mut(core), bytes(buf, len)) else {
            return UmqttStatus::BadArgument;
        };
        let ev = &mut *ev;
        match c.handle_rx(buf, now_ms) {
            Ok(Rx::NeedMore(n)) => {
                ev.need = n;
                UmqttStatus::NeedMore
            }
            Ok(Rx::Refused { consumed: n, code }) => {
                consumed.write(n);
                ev.kind = UmqttEventKind::Connack;
                ev.code = code;
                UmqttStatus::ConnectionRefused
            }
            Ok(Rx::Event {
                consumed: n,
                event: e,
            }) => {
                consumed.write(n);
                ev.kind = kind_of(e.kind);
                ev.code = e.code;
                ev.session_present = e.session_present;
                ev.qos = e.qos;
                ev.retain = e.retain;
                ev.dup = e.dup;
                ev.deliver = e.deliver;
                ev.packet_id = e.packet_id;
                ev.ticket = e.ticket;
                if e.kind == EventKind::Message {
                    ev.topic = e.topic.as_ptr();
                    ev.topic_len = e.topic.len();
                    ev.payload = e.payload.as_ptr();
                    ev.payload_len = e.payload.len();
                }
                ev.reply = e.reply;
                ev.reply_len = e.reply_len;
                UmqttStatus::Ok
            }
            Err(e) => status_of(e),
        }
    }
}

/// Result of a ticket: PENDING, OK (*code = SUBACK code for subscribe, 0 otherwise; the entry is released),
/// or UNKNOWN_TICKET. Publish tickets are OK once PUBACK/PUBCOMP arrived.
///
/// # Safety
/// `core` from umqtt_core_init; `code` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_ticket_result(
    core: *mut c_void,
    ticket: u32,
    code: *mut u8,
) -> UmqttStatus {
    // SAFETY: the caller's promises, checked for NULL.
    unsafe {
        let Some(code) = code.as_mut() else {
            return UmqttStatus::BadArgument;
        };
        *code = 0;
        let Some(c) = client_mut(core) else {
            return UmqttStatus::BadArgument;
        };
        match c.ticket_result(ticket) {
            TicketResult::Pending => UmqttStatus::Pending,
            TicketResult::Done(v) => {
                *code = v;
                UmqttStatus::Ok
            }
            TicketResult::Unknown => UmqttStatus::UnknownTicket,
        }
    }
}

/// Give up waiting on a ticket (caller timed out): releases a pending SUB/UNSUB entry; a publish stays in flight
/// (and is dropped once acknowledged).
///
/// # Safety
/// `core` NULL or from umqtt_core_init.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_forget(core: *mut c_void, ticket: u32) {
    // SAFETY: the caller's promise, checked for NULL.
    if let Some(c) = unsafe { client_mut(core) } {
        c.forget(ticket);
    }
}

/// Keep-alive. OK with *out_len 0: nothing to do; OK with *out_len 2: PINGREQ to send now;
/// KEEPALIVE_TIMEOUT: a PINGREQ went unanswered too long (the core is now DISCONNECTED).
/// *wait_ms = ms until the next call is due (UINT32_MAX = none).
///
/// # Safety
/// `core` from umqtt_core_init; `out` NULL (with out_cap 0) or `out_cap` writable bytes;
/// `out_len`, `wait_ms` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_poll_timers(
    core: *mut c_void,
    now_ms: u32,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
    wait_ms: *mut u32,
) -> UmqttStatus {
    // SAFETY: the caller's promises, checked for NULL.
    unsafe {
        let (Some(out_len), Some(wait_ms)) = (out_len.as_mut(), wait_ms.as_mut()) else {
            return UmqttStatus::BadArgument;
        };
        *out_len = 0;
        *wait_ms = u32::MAX;
        let (Some(c), Some(out)) = (client_mut(core), out_bytes(out, out_cap)) else {
            return UmqttStatus::BadArgument;
        };
        match c.poll_timers(now_ms, out) {
            Ok((n, w)) => {
                *out_len = n;
                *wait_ms = w;
                UmqttStatus::Ok
            }
            Err(Error::BufferTooSmall(n)) => {
                *out_len = n;
                *wait_ms = 0;
                UmqttStatus::BufferTooSmall
            }
            Err(e) => status_of(e),
        }
    }
}

/// Connection state (DISCONNECTED for NULL).
///
/// # Safety
/// `core` NULL or from umqtt_core_init.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_state(core: *const c_void) -> UmqttConnState {
    // SAFETY: the caller's promise, checked for NULL.
    match unsafe { client_ref(core) }.map(Client::state) {
        Some(ConnState::Connecting) => UmqttConnState::Connecting,
        Some(ConnState::Connected) => UmqttConnState::Connected,
        Some(ConnState::Disconnected) | None => UmqttConnState::Disconnected,
    }
}

/// Outgoing QoS 1/2 publishes not yet acknowledged (0 for NULL).
///
/// # Safety
/// `core` NULL or from umqtt_core_init.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_inflight_count(core: *const c_void) -> u32 {
    // SAFETY: the caller's promise, checked for NULL.
    unsafe { client_ref(core) }.map_or(0, |c| c.inflight_count() as u32)
}

/// The idx-th (0-based) outgoing QoS 1/2 message still unacknowledged, in the order the messages were first
/// published (MQTT 3.1.1 section 4.4/4.6). Valid once a CONNACK was accepted on a reconnect (state CONNECTED).
/// OK with *item filled; UNKNOWN_TICKET when idx >= number of such messages. Completed-but-unread entries
/// (acked, waiting for ticket_result) are NOT listed.
///
/// # Safety
/// `core` NULL or from umqtt_core_init; `item` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_resend_item(
    core: *const c_void,
    idx: usize,
    item: *mut UmqttResendItem,
) -> UmqttStatus {
    // SAFETY: the caller's promises, checked for NULL; `item` is written whole, never read.
    unsafe {
        if item.is_null() {
            return UmqttStatus::BadArgument;
        }
        let mut it = UmqttResendItem {
            kind: UmqttResendKind::Publish,
            ticket: 0,
            packet_id: 0,
            qos: 0,
            pubrel: [0; UMQTT_ACK_MAX],
        };
        let status = match client_ref(core) {
            None => UmqttStatus::BadArgument,
            Some(c) => match c.resend_item(idx) {
                None => UmqttStatus::UnknownTicket,
                Some(r) => {
                    if r.kind == Resend::Pubrel {
                        it.kind = UmqttResendKind::Pubrel;
                        it.pubrel = umqtt_core::codec::ack(umqtt_core::codec::PUBREL, r.packet_id);
                    }
                    it.ticket = r.ticket;
                    it.packet_id = r.packet_id;
                    it.qos = r.qos;
                    UmqttStatus::Ok
                }
            },
        };
        item.write(it);
        status
    }
}

/// Encode the re-sent PUBLISH of `ticket` (state AwaitPuback or AwaitPubrec) with DUP=1, its original packet id
/// and qos, from the topic/payload/retain the caller kept. BUFFER_TOO_SMALL (*out_len = needed) as for publish;
/// UNKNOWN_TICKET when the ticket is not a PUBLISH awaiting PUBACK/PUBREC; NOT_CONNECTED when not connected.
/// Counts as a sent packet for keep-alive.
///
/// # Safety
/// As umqtt_core_publish.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_encode_resend(
    core: *mut c_void,
    ticket: u32,
    topic: *const u8,
    topic_len: usize,
    payload: *const u8,
    payload_len: usize,
    retain: bool,
    now_ms: u32,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> UmqttStatus {
    // SAFETY: the caller's promises, checked for NULL.
    unsafe {
        let Some(out_len) = out_len.as_mut() else {
            return UmqttStatus::BadArgument;
        };
        *out_len = 0;
        if topic.is_null() {
            return UmqttStatus::BadArgument;
        }
        let (Some(c), Some(t), Some(p), Some(out)) = (
            client_mut(core),
            bytes(topic, topic_len),
            bytes(payload, payload_len),
            out_bytes(out, out_cap),
        ) else {
            return UmqttStatus::BadArgument;
        };
        finish(c.encode_resend(ticket, t, p, retain, now_ms, out), out_len)
    }
}

/// Limit the outgoing in-flight window at run time: 1..=UMQTT_MAX_INFLIGHT (else BAD_ARGUMENT). publish with
/// qos>0 returns INFLIGHT_FULL when `max` messages are unacknowledged. Default UMQTT_MAX_INFLIGHT.
///
/// # Safety
/// `core` NULL or from umqtt_core_init.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_set_max_inflight(core: *mut c_void, max: u32) -> UmqttStatus {
    // SAFETY: the caller's promise, checked for NULL.
    let Some(c) = (unsafe { client_mut(core) }) else {
        return UmqttStatus::BadArgument;
    };
    match usize::try_from(max)
        .map_err(|_| Error::BadArgument)
        .and_then(|m| c.set_max_inflight(m))
    {
        Ok(()) => UmqttStatus::Ok,
        Err(e) => status_of(e),
    }
}

/// Reconnect back-off (pure function, the "reconnect policy"): the delay before reconnect attempt `attempt`
/// (0 = first retry after a loss): d = min(cap_ms, base_ms * 2^attempt) (no overflow for any attempt),
/// returned jittered uniformly in [d/2, d] using `random` (any u32 the caller draws). base_ms 0 -> 0.
#[no_mangle]
pub extern "C" fn umqtt_core_backoff_ms(
    attempt: u32,
    base_ms: u32,
    cap_ms: u32,
    random: u32,
) -> u32 {
    umqtt_core::backoff_ms(attempt, base_ms, cap_ms, random)
}

/// Static English text for a status (never NULL).
#[no_mangle]
pub extern "C" fn umqtt_core_strerror(status: UmqttStatus) -> *const c_char {
    let s: &'static core::ffi::CStr = match status {
        UmqttStatus::Ok => c"ok",
        UmqttStatus::NeedMore => c"need more bytes",
        UmqttStatus::BufferTooSmall => c"buffer too small",
        UmqttStatus::BadArgument => c"bad argument",
        UmqttStatus::InvalidTopic => c"invalid topic",
        UmqttStatus::NotConnected => c"not connected",
        UmqttStatus::InflightFull => c"too many messages in flight",
        UmqttStatus::ProtocolError => c"protocol error",
        UmqttStatus::PacketTooLarge => c"packet too large",
        UmqttStatus::KeepaliveTimeout => c"keep-alive timeout",
        UmqttStatus::ConnectionRefused => c"connection refused",
        UmqttStatus::Pending => c"pending",
        UmqttStatus::UnknownTicket => c"unknown ticket",
        UmqttStatus::AlreadyConnected => c"already connected",
        UmqttStatus::InboundFull => c"too many incoming QoS 2 messages awaiting PUBREL (broker window too large)",
    };
    s.as_ptr()
}

/// Static English text for a CONNACK return code (never NULL).
#[no_mangle]
pub extern "C" fn umqtt_core_connack_text(code: u8) -> *const c_char {
    let s: &'static core::ffi::CStr = match code {
        0 => c"connection accepted",
        1 => c"unacceptable protocol version",
        2 => c"identifier rejected",
        3 => c"server unavailable",
        4 => c"bad user name or password",
        5 => c"not authorized",
        _ => c"unknown return code",
    };
    s.as_ptr()
}

/// The C shim's hook (not part of the generated header).
/// cbindgen:ignore
#[cfg(not(test))]
mod port {
    extern "C" {
        /// Defined by the C shim: report and reset. Never returns.
        pub fn umqtt_port_panic() -> !;
    }
}

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: a C function without arguments that never returns.
    unsafe { port::umqtt_port_panic() }
}

#[cfg(test)]
mod tests;
