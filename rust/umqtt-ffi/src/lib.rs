//! C ABI of the umqtt protocol core: the session driver
//! (`umqtt_core::Driver`) behind `extern "C"` functions.
//!
//! The caller allocates `UMQTT_CORE_SIZE` bytes aligned to `UMQTT_CORE_ALIGN`
//! and builds a core in them with `umqtt_core_init`; the core never allocates.
//! Every function returns a `UmqttStatus` (or a plain value) and writes its
//! results through out-pointers; every pointer is NULL-checked
//! (`UMQTT_STATUS_BAD_ARGUMENT`). Byte views handed out (a message's topic
//! and payload) point into the caller's receive buffer.
//!
//! Calling order (one thread at a time, under the caller's lock): commands
//! (connect, publish, subscribe, unsubscribe, ping, disconnect, close); inputs
//! (handle_transport_up/down, handle_data_received, handle_rx +
//! accept_message, handle_timeout); then drain poll_transmit (answering
//! CONNECT / PUBLISH / SUBSCRIBE requests with encode_*) and poll_event; then
//! wait until poll_timeout. See `umqtt_core::driver` for the rules.
//!
//! Time: `now_ms` is a free-running `uint32_t` millisecond counter
//! (`mp_hal_ticks_ms()`), compared only by wrapping difference.
//!
//! Files: `types.rs` (what cbindgen exports), `ptr.rs` (the only place raw
//! pointers become references), this file (the exported functions). No
//! function panics; the panic handler (needed to link a `no_std` staticlib)
//! calls the C hook `umqtt_port_panic()`.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::missing_safety_doc)]

#[cfg(feature = "mqtt5")]
pub mod props;
mod ptr;
pub mod types;

use cty::{c_char, c_void};
use ptr::{bytes, encoder, finish, input, optional, out, Core};
pub use types::*;
use umqtt_core::driver::{Event, Rx};
use umqtt_core::{
    BadSubOption, ConnectResult, Error, Identity, Op, Settings, SubOptions, TicketResult, Transmit, Will,
};

/// Storage the caller provides for one core, in bytes (checked at compile time: the core is 1024 bytes
/// on 64-bit hosts, less on 32-bit ARM).
#[cfg(not(feature = "mqtt5"))]
pub const UMQTT_CORE_SIZE: usize = 1024;
/// With MQTT 5: its topic aliases and limits (checked at compile time: 1712 bytes on 64-bit hosts).
#[cfg(feature = "mqtt5")]
pub const UMQTT_CORE_SIZE: usize = 1792;
/// Alignment of that storage.
pub const UMQTT_CORE_ALIGN: usize = 8;
/// Outgoing QoS 1/2 publishes in flight at once (slots 0..UMQTT_MAX_INFLIGHT-1).
pub const UMQTT_MAX_INFLIGHT: usize = 16;
/// Incoming QoS 2 ids awaiting PUBREL held in the core; more need a lent map.
pub const UMQTT_MAX_INBOUND_QOS2: usize = 128;
/// Bytes of the map umqtt_core_lend_inbound_map takes (every packet id).
pub const UMQTT_INBOUND_MAP_BYTES: usize = 8192;
/// Subscriptions remembered for a restore (slots 0..UMQTT_MAX_SUBSCRIPTIONS-1).
pub const UMQTT_MAX_SUBSCRIPTIONS: usize = 16;
/// Longest MQTT string.
pub const UMQTT_MAX_STRING: usize = 65535;
/// "No slot" for the slot arguments of subscribe/unsubscribe.
pub const UMQTT_NO_SLOT: i32 = -1;
/// MQTT 5: the largest Topic Alias Maximum a client may advertise (incoming aliases 1..=this).
#[cfg(feature = "mqtt5")]
pub const UMQTT_MAX_RX_ALIASES: u16 = 16;

const _: () = {
    assert!(core::mem::size_of::<Core>() <= UMQTT_CORE_SIZE);
    assert!(core::mem::align_of::<Core>() <= UMQTT_CORE_ALIGN);
    assert!(UMQTT_MAX_INFLIGHT == umqtt_core::MAX_INFLIGHT);
    assert!(UMQTT_MAX_INBOUND_QOS2 == umqtt_core::MAX_INBOUND_QOS2);
    assert!(UMQTT_INBOUND_MAP_BYTES == umqtt_core::inbound::INBOUND_MAP_BYTES);
    assert!(UMQTT_MAX_SUBSCRIPTIONS == umqtt_core::MAX_SUBSCRIPTIONS);
    assert!(UMQTT_MAX_STRING == umqtt_core::MAX_STRING);
};
#[cfg(feature = "mqtt5")]
const _: () = assert!(UMQTT_MAX_RX_ALIASES == umqtt_core::v5::link::MAX_RX_ALIASES);

fn slot_arg(slot: i32) -> Option<u8> {
    u8::try_from(slot).ok()
}

/// Writes a command's result into `*op` (len = size needed on BUFFER_TOO_SMALL).
// Inlined into its two callers: out of line the `Result<Op, Error>` went
// through the stack.
#[inline(always)]
fn finish_op(r: Result<Op, Error>, op: &mut UmqttOp) -> UmqttStatus {
    *op = UmqttOp {
        len: 0,
        ticket: 0,
        slot: 0,
    };
    match r {
        Ok(o) => {
            *op = UmqttOp {
                len: o.len,
                ticket: o.ticket,
                slot: o.slot,
            };
            UmqttStatus::Ok
        }
        Err(e) => {
            if let Error::BufferTooSmall(n) = e {
                op.len = n;
            }
            e.into()
        }
    }
}

// ----- life ------------------------------------------------------------------

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
    unsafe { ptr::init(storage) };
    UmqttStatus::Ok
}

/// Set how the session runs, before connecting or on a live session (the receive bound holds
/// from the next packet, the rest from the next CONNECT or attempt): BAD_ARGUMENT for a
/// protocol level other than 3/4, a timeout of 0 or >= 2^31 ms, or max_inflight outside
/// 1..=UMQTT_MAX_INFLIGHT.
///
/// # Safety
/// `core` from umqtt_core_init; `settings` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_configure(
    core: *mut c_void,
    settings: *const UmqttSettings,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    let (Some(d), Some(s)) = (unsafe { ptr::driver_mut(core) }, unsafe { input(settings) }) else {
        return UmqttStatus::BadArgument;
    };
    let s = Settings {
        keepalive_s: s.keepalive_s,
        ping_max_missed: s.ping_max_missed,
        protocol_level: s.protocol_level,
        timeout_ms: s.timeout_ms,
        reconnect: s.reconnect,
        max_inflight: s.max_inflight,
        max_packet: s.max_packet,
        chunked: s.chunked,
    };
    match d.configure(s) {
        Ok(()) => UmqttStatus::Ok,
        Err(e) => e.into(),
    }
}

/// Seed the jitter of the reconnect back-off.
///
/// # Safety
/// `core` from umqtt_core_init (NULL ignored).
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_seed(core: *mut c_void, seed: u32) {
    // SAFETY: the caller's promise.
    if let Some(d) = unsafe { ptr::driver_mut(core) } {
        d.seed(seed);
    }
}

// ----- commands --------------------------------------------------------------

/// Start a connection: an OPEN_TRANSPORT event follows. One attempt, bounded by the timeout; no automatic
/// retry until a connection has been accepted. `clean_session` forgets the whole session first (every
/// ticket and slot).
///
/// # Safety
/// `core` from umqtt_core_init.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_connect(
    core: *mut c_void,
    clean_session: bool,
    now_ms: u32,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    match unsafe { ptr::driver_mut(core) } {
        Some(d) => {
            d.connect(clean_session, now_ms);
            UmqttStatus::Ok
        }
        None => UmqttStatus::BadArgument,
    }
}

/// Where the connection started by umqtt_core_connect stands: OK (connected; *session_present), PENDING,
/// or why it failed (TIMEOUT, IO, CONNECTION_REFUSED with *refused_code, PROTOCOL_ERROR, ...).
///
/// # Safety
/// `core` from umqtt_core_init; the out-pointers NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_connect_result(
    core: *const c_void,
    session_present: *mut bool,
    refused_code: *mut u8,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    let (Some(d), Some(sp), Some(code)) = (
        unsafe { ptr::driver_ref(core) },
        unsafe { out(session_present) },
        unsafe { out(refused_code) },
    ) else {
        return UmqttStatus::BadArgument;
    };
    *sp = false;
    *code = 0;
    match d.connect_result() {
        ConnectResult::Pending => UmqttStatus::Pending,
        ConnectResult::Connected { session_present } => {
            *sp = session_present;
            UmqttStatus::Ok
        }
        ConnectResult::Failed(e) => {
            *code = refused_code_of(e);
            e.into()
        }
    }
}

fn sub_option(bad: BadSubOption) -> UmqttSubOption {
    match bad {
        BadSubOption::Qos => UmqttSubOption::Qos,
        BadSubOption::RetainHandling => UmqttSubOption::RetainHandling,
        BadSubOption::Id => UmqttSubOption::SubscriptionIdentifier,
        BadSubOption::NeedsV5 => UmqttSubOption::Version,
    }
}

fn refused_code_of(e: Error) -> u8 {
    types::refused_code(e)
}

/// Encode PUBLISH into `out`; write it at once. QoS 1/2 take a slot (keep the topic, payload and properties
/// objects there until the ticket is done) and a ticket. `props`: MQTT 5 properties, encoded
/// (umqtt_props_put_*; NULL/0 for none, and for 3/4). WOULD_BLOCK / INFLIGHT_FULL: not now (pump and
/// retry); NOT_CONNECTED: no connection is coming; PACKET_TOO_LARGE: above MQTT's limit or the broker's
/// Maximum Packet Size (MQTT 5), nothing written.
///
/// # Safety
/// `core` from umqtt_core_init; `topic`/`payload`/`props` NULL (length 0) or readable for their lengths;
/// `out` NULL (capacity 0) or writable for `out_cap`; `op` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_publish(
    core: *mut c_void,
    topic: *const u8,
    topic_len: usize,
    payload: *const u8,
    payload_len: usize,
    qos: u8,
    retain: bool,
    props: *const u8,
    props_len: usize,
    now_ms: u32,
    out_buf: *mut u8,
    out_cap: usize,
    op: *mut UmqttOp,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    let (Some(d), Some(t), Some(p), Some(pr), Some(o), Some(op)) = (unsafe {
        (
            ptr::driver_mut(core),
            bytes(topic, topic_len),
            bytes(payload, payload_len),
            bytes(props, props_len),
            ptr::out_bytes(out_buf, out_cap),
            out(op),
        )
    }) else {
        return UmqttStatus::BadArgument;
    };
    finish_op(d.publish_with(t, p, qos, retain, pr, now_ms, o), op)
}

/// Check a subscription's options as the script gave them, for protocol level `level`, and pack them
/// into `*packed` for umqtt_core_subscribe: OK; BAD_ARGUMENT with `packed->refused` naming the first
/// option refused (in the order of subscribe()'s arguments: the QoS, Retain Handling, the identifier, then
/// any option beyond the QoS below level 5) and, for a value out of range, the range it must be in
/// (`lo..=hi`); BAD_ARGUMENT without writing for a NULL pointer.
///
/// # Safety
/// `given` NULL or valid; `packed` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_sub_options(
    level: u8,
    given: *const UmqttSubOptions,
    packed: *mut UmqttSubPacked,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    let (Some(g), Some(p)) = (unsafe { input(given) }, unsafe { out(packed) }) else {
        return UmqttStatus::BadArgument;
    };
    // Any value: one beyond u32 is out of every range, as u32::MAX is.
    let value = |v: isize| u32::try_from(v).unwrap_or(u32::MAX);
    let id = g.has_id.then(|| value(g.id));
    let r = SubOptions::new(
        level,
        g.qos.into(),
        g.no_local,
        g.retain_as_published,
        value(g.retain_handling),
        id,
    );
    let (o, refused, (lo, hi)) = match r {
        Ok(o) => (o, UmqttSubOption::None, (0, 0)),
        Err(bad) => (SubOptions::default(), sub_option(bad), bad.range()),
    };
    *p = UmqttSubPacked {
        options: o.options,
        sub_id: o.id,
        refused,
        lo,
        hi,
    };
    if refused == UmqttSubOption::None {
        UmqttStatus::Ok
    } else {
        UmqttStatus::BadArgument
    }
}

/// Encode SUBSCRIBE for one filter, remembered in a subscription slot for restores (`slot`: the slot the
/// caller already holds an equal filter in, else UMQTT_NO_SLOT). Keep the filter object in op->slot.
/// `options` and `sub_id` (MQTT 5's Subscription Identifier, 0: none): from umqtt_core_sub_options (the
/// options byte: the QoS, and MQTT 5's No Local << 2 | Retain As Published << 3 | Retain Handling << 4).
///
/// # Safety
/// As umqtt_core_publish.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_subscribe(
    core: *mut c_void,
    filter: *const u8,
    filter_len: usize,
    options: u8,
    sub_id: u32,
    slot: i32,
    now_ms: u32,
    out_buf: *mut u8,
    out_cap: usize,
    op: *mut UmqttOp,
) -> UmqttStatus {
    let sub = Some(umqtt_core::SubOptions {
        options,
        id: sub_id,
    });
    // SAFETY: the caller's promise.
    unsafe {
        filter_op(
            core, filter, filter_len, sub, slot, now_ms, out_buf, out_cap, op,
        )
    }
}

/// Encode UNSUBSCRIBE; the subscription in `slot` (UMQTT_NO_SLOT: none) is forgotten.
///
/// # Safety
/// As umqtt_core_publish.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_unsubscribe(
    core: *mut c_void,
    filter: *const u8,
    filter_len: usize,
    slot: i32,
    now_ms: u32,
    out_buf: *mut u8,
    out_cap: usize,
    op: *mut UmqttOp,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    unsafe {
        filter_op(
            core, filter, filter_len, None, slot, now_ms, out_buf, out_cap, op,
        )
    }
}

/// umqtt_core_subscribe (`sub` holds its options) and umqtt_core_unsubscribe
/// (`sub` is `None`): one body for the pointer checks of both.
///
/// # Safety
/// As umqtt_core_publish.
#[allow(clippy::too_many_arguments)]
unsafe fn filter_op(
    core: *mut c_void,
    filter: *const u8,
    filter_len: usize,
    sub: Option<umqtt_core::SubOptions>,
    slot: i32,
    now_ms: u32,
    out_buf: *mut u8,
    out_cap: usize,
    op: *mut UmqttOp,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    let (Some(d), Some(f), Some(o), Some(op)) = (unsafe {
        (
            ptr::driver_mut(core),
            bytes(filter, filter_len),
            ptr::out_bytes(out_buf, out_cap),
            out(op),
        )
    }) else {
        return UmqttStatus::BadArgument;
    };
    finish_op(d.filter_op(f, sub, slot_arg(slot), now_ms, o), op)
}

/// A subscribe given up on (its deadline passed): the ticket and the subscription slot are forgotten.
///
/// # Safety
/// `core` from umqtt_core_init (NULL ignored).
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_abandon_subscribe(core: *mut c_void, ticket: u32, slot: u8) {
    // SAFETY: the caller's promise.
    if let Some(d) = unsafe { ptr::driver_mut(core) } {
        d.abandon_subscribe(ticket, slot);
    }
}

/// Encode PINGREQ.
///
/// # Safety
/// `core` from umqtt_core_init; `out` NULL (capacity 0) or writable; `out_len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_ping(
    core: *mut c_void,
    now_ms: u32,
    out_buf: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    match unsafe { encoder(core, out_buf, out_cap, out_len) } {
        Some((d, o, len)) => finish(d.ping(now_ms, o), len),
        None => UmqttStatus::BadArgument,
    }
}

/// Encode DISCONNECT when connected (*out_len 0 otherwise) and close: no reconnect until umqtt_core_connect.
///
/// # Safety
/// As umqtt_core_ping.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_disconnect(
    core: *mut c_void,
    out_buf: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    match unsafe { encoder(core, out_buf, out_cap, out_len) } {
        Some((d, o, len)) => finish(d.disconnect(o), len),
        None => UmqttStatus::BadArgument,
    }
}

/// Close without a word to the broker: no reconnect until umqtt_core_connect.
///
/// # Safety
/// `core` from umqtt_core_init (NULL ignored).
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_close(core: *mut c_void) {
    // SAFETY: the caller's promise.
    if let Some(d) = unsafe { ptr::driver_mut(core) } {
        d.close();
    }
}

// ----- inputs ----------------------------------------------------------------

/// The transport asked for by OPEN_TRANSPORT is open. false: the attempt had already ended (its deadline
/// passed, or close): close this transport again.
///
/// # Safety
/// `core` from umqtt_core_init (NULL: false).
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_handle_transport_up(core: *mut c_void, now_ms: u32) -> bool {
    // SAFETY: the caller's promise.
    unsafe { ptr::driver_mut(core) }.is_some_and(|d| d.handle_transport_up(now_ms))
}

/// The transport failed to open, broke (IO), timed out (TIMEOUT) or was closed by the broker
/// (PEER_CLOSED); other causes count as IO. Close it.
///
/// # Safety
/// `core` from umqtt_core_init (NULL ignored).
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_handle_transport_down(
    core: *mut c_void,
    now_ms: u32,
    cause: UmqttStatus,
) {
    // SAFETY: the caller's promise.
    if let Some(d) = unsafe { ptr::driver_mut(core) } {
        d.handle_transport_down(now_ms, cause.as_cause());
    }
}

/// Bytes arrived from the broker (proof of life for keep-alive).
///
/// # Safety
/// `core` from umqtt_core_init (NULL ignored).
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_handle_data_received(core: *mut c_void, now_ms: u32) {
    // SAFETY: the caller's promise.
    if let Some(d) = unsafe { ptr::driver_mut(core) } {
        d.handle_data_received(now_ms);
    }
}

/// Handle the packet at the start of `buf` (see UmqttRxKind). An error status (PROTOCOL_ERROR,
/// CONNECTION_REFUSED, PACKET_TOO_LARGE, ...) means the connection is already lost: close the transport.
///
/// # Safety
/// `core` from umqtt_core_init; `buf` NULL (length 0) or readable for `len`; `rx` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_handle_rx(
    core: *mut c_void,
    buf: *const u8,
    len: usize,
    now_ms: u32,
    rx: *mut UmqttRx,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    unsafe { receive(core, buf, len, now_ms, rx, false) }
}

/// As umqtt_core_handle_rx, but a PUBLISH whose payload is not all in `buf` is handled once its head
/// (fixed header, topic, packet id) is there: `rx->n` counts the head, `rx->payload_len` is 0 and
/// `rx->body_len` payload bytes follow on the stream. The caller reads them itself (MESSAGE: into the
/// payload object, then umqtt_core_accept_message; CONSUMED: a QoS 2 duplicate's, skipped) and feeds
/// nothing else meanwhile. A packet whole in `buf`, or not a PUBLISH, is handled as by handle_rx.
///
/// # Safety
/// As umqtt_core_handle_rx.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_handle_rx_head(
    core: *mut c_void,
    buf: *const u8,
    len: usize,
    now_ms: u32,
    rx: *mut UmqttRx,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    unsafe { receive(core, buf, len, now_ms, rx, true) }
}

/// umqtt_core_handle_rx and umqtt_core_handle_rx_head.
///
/// # Safety
/// As umqtt_core_handle_rx.
unsafe fn receive(
    core: *mut c_void,
    buf: *const u8,
    len: usize,
    now_ms: u32,
    rx: *mut UmqttRx,
    head: bool,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    let (Some(d), Some(b), false) = (
        unsafe { ptr::driver_mut(core) },
        unsafe { bytes(buf, len) },
        rx.is_null(),
    ) else {
        return UmqttStatus::BadArgument;
    };
    // SAFETY: the caller's promise (non-NULL: checked); written only once
    // every argument is good.
    let rx = unsafe { ptr::zeroed_rx(rx) };
    match d.receive(b, now_ms, head) {
        Ok((r, body_len)) => {
            rx.body_len = body_len;
            fill_rx(rx, r);
            UmqttStatus::Ok
        }
        Err(e) => {
            rx.kind = UmqttRxKind::Idle;
            e.into()
        }
    }
}

/// Fills the zeroed `rx` with `r`: the kind and byte count of every
/// result, set in one place, and the fields of those that carry more.
fn fill_rx(rx: &mut UmqttRx, r: Rx<'_>) {
    let (kind, n) = match r {
        Rx::NeedMore(n) => (UmqttRxKind::NeedMore, n),
        Rx::Consumed(n) => (UmqttRxKind::Consumed, n),
        Rx::Duplicate {
            consumed,
            topic,
            alias,
        } => {
            rx.topic = topic.as_ptr();
            rx.topic_len = topic.len();
            rx.alias = alias;
            (UmqttRxKind::Consumed, consumed)
        }
        Rx::KeepAlive(n) => (UmqttRxKind::KeepAlive, n),
        Rx::Connack { consumed, properties } => {
            rx.props = properties.as_ptr();
            rx.props_len = properties.len();
            (UmqttRxKind::Connack, consumed)
        }
        Rx::Message(m) => {
            rx.props = m.properties.as_ptr();
            rx.props_len = m.properties.len();
            rx.alias = m.alias;
            rx.topic = m.topic.as_ptr();
            rx.topic_len = m.topic.len();
            rx.payload = m.payload.as_ptr();
            rx.payload_len = m.payload.len();
            rx.qos = m.qos;
            rx.retain = m.retain;
            rx.dup = m.dup;
            rx.packet_id = m.packet_id;
            (UmqttRxKind::Message, m.consumed)
        }
        Rx::Busy => (UmqttRxKind::Busy, 0),
        Rx::Idle => (UmqttRxKind::Idle, 0),
    };
    rx.kind = kind;
    rx.n = n;
}

/// The message handle_rx returned is held by the caller: deliver it (*consumed = bytes to drop from the
/// buffer). INBOUND_FULL: nothing recorded; lend a map and accept again, or drop the connection.
///
/// # Safety
/// `core` from umqtt_core_init; `consumed` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_accept_message(
    core: *mut c_void,
    now_ms: u32,
    consumed: *mut usize,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    let (Some(d), Some(c)) = (unsafe { ptr::driver_mut(core) }, unsafe { out(consumed) }) else {
        return UmqttStatus::BadArgument;
    };
    finish(d.accept_message(now_ms), c)
}

/// Lend the map that holds every incoming QoS 2 id: UMQTT_INBOUND_MAP_BYTES bytes that stay valid, and
/// untouched by the caller, for the life of the core (on MicroPython: a GC block the client object
/// references). BAD_ARGUMENT when too short or a map was lent already.
///
/// # Safety
/// `map` NULL or `len` writable bytes that outlive the core and are not used by anyone else.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_lend_inbound_map(
    core: *mut c_void,
    map: *mut u8,
    len: usize,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    let Some(d) = (unsafe { ptr::driver_mut(core) }) else {
        return UmqttStatus::BadArgument;
    };
    // Refused before the bytes become a slice: a second call may pass the map the core already holds,
    // and a new `&mut` over it would alias the one the core keeps (UB by Rust's aliasing rules).
    if d.client().session().has_inbound_map() {
        return UmqttStatus::BadArgument;
    }
    // SAFETY: the caller's promise: the bytes live as long as the core.
    let Some(m) = (unsafe { ptr::out_bytes(map, len) }) else {
        return UmqttStatus::BadArgument;
    };
    match d.lend_inbound_map(m) {
        Ok(()) => UmqttStatus::Ok,
        Err(e) => e.into(),
    }
}

/// Act on the deadlines that have come (call when umqtt_core_poll_timeout has passed). An error status
/// (TIMEOUT, KEEPALIVE_TIMEOUT) means the connection is lost: close the transport.
///
/// # Safety
/// `core` from umqtt_core_init.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_handle_timeout(core: *mut c_void, now_ms: u32) -> UmqttStatus {
    // SAFETY: the caller's promise.
    match unsafe { ptr::driver_mut(core) } {
        Some(d) => match d.handle_timeout(now_ms) {
            Ok(()) => UmqttStatus::Ok,
            Err(e) => e.into(),
        },
        None => UmqttStatus::BadArgument,
    }
}

// ----- outputs ---------------------------------------------------------------

/// The next packet to write (see UmqttTransmitKind); call until NOTHING.
///
/// # Safety
/// `core` from umqtt_core_init; `out` NULL (capacity 0) or writable; `tx` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_poll_transmit(
    core: *mut c_void,
    now_ms: u32,
    out_buf: *mut u8,
    out_cap: usize,
    tx: *mut UmqttTransmit,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    let (Some(d), Some(o), Some(tx)) = (
        unsafe { ptr::driver_mut(core) },
        unsafe { ptr::out_bytes(out_buf, out_cap) },
        unsafe { out(tx) },
    ) else {
        return UmqttStatus::BadArgument;
    };
    *tx = UmqttTransmit {
        kind: UmqttTransmitKind::Nothing,
        len: 0,
        slot: 0,
    };
    match d.poll_transmit(now_ms, o) {
        Ok(Transmit::Nothing) => {}
        Ok(Transmit::Bytes(n)) => {
            tx.kind = UmqttTransmitKind::Bytes;
            tx.len = n;
        }
        Ok(Transmit::Connect) => tx.kind = UmqttTransmitKind::Connect,
        Ok(Transmit::Publish { slot }) => {
            tx.kind = UmqttTransmitKind::Publish;
            tx.slot = slot;
        }
        Ok(Transmit::Subscribe { slot }) => {
            tx.kind = UmqttTransmitKind::Subscribe;
            tx.slot = slot;
        }
        Err(e) => {
            if let Error::BufferTooSmall(n) = e {
                tx.len = n;
            }
            return e.into();
        }
    }
    UmqttStatus::Ok
}

/// Encode the CONNECT that a CONNECT transmit asked for. An error other than BUFFER_TOO_SMALL (a bad
/// client id for MQTT 3.1, a password without a user, ...) ends the attempt: close the transport.
///
/// # Safety
/// As umqtt_core_ping; `id` NULL or valid, its non-NULL byte pointers readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_encode_connect(
    core: *mut c_void,
    id: *const UmqttIdentity,
    now_ms: u32,
    out_buf: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    let (Some((d, o, len)), Some(id)) = (
        unsafe { encoder(core, out_buf, out_cap, out_len) },
        unsafe { input(id) },
    ) else {
        return UmqttStatus::BadArgument;
    };
    // SAFETY: the caller's promise on the identity's byte pointers.
    let strings = unsafe {
        (
            bytes(id.client_id.ptr, id.client_id.len),
            optional(id.user),
            optional(id.password),
            optional(id.will_topic),
            bytes(id.will_payload.ptr, id.will_payload.len),
            bytes(id.props.ptr, id.props.len),
            bytes(id.will_props.ptr, id.will_props.len),
        )
    };
    let (Some(client_id), user, password, will_topic, Some(will_payload), Some(props), Some(will_props)) =
        strings
    else {
        return UmqttStatus::BadArgument;
    };
    let ident = Identity {
        client_id,
        user,
        password,
        will: will_topic.map(|topic| Will {
            topic,
            payload: will_payload,
            qos: id.will_qos,
            retain: id.will_retain,
        }),
        props,
        will_props,
    };
    finish(d.encode_connect(&ident, now_ms, o), len)
}

/// Encode the re-send that a PUBLISH transmit asked for, from the topic, payload and properties kept in
/// `slot`.
///
/// # Safety
/// As umqtt_core_publish, with `out_len` for the length.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_encode_publish(
    core: *mut c_void,
    slot: u8,
    topic: *const u8,
    topic_len: usize,
    payload: *const u8,
    payload_len: usize,
    props: *const u8,
    props_len: usize,
    now_ms: u32,
    out_buf: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    let (Some((d, o, len)), Some(t), Some(p), Some(pr)) = (
        unsafe { encoder(core, out_buf, out_cap, out_len) },
        unsafe { bytes(topic, topic_len) },
        unsafe { bytes(payload, payload_len) },
        unsafe { bytes(props, props_len) },
    ) else {
        return UmqttStatus::BadArgument;
    };
    finish(d.encode_publish_with(slot, t, p, pr, now_ms, o), len)
}

/// Encode the restore that a SUBSCRIBE transmit asked for, from the filter kept in `slot`.
///
/// # Safety
/// As umqtt_core_encode_publish.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_encode_subscribe(
    core: *mut c_void,
    slot: u8,
    filter: *const u8,
    filter_len: usize,
    now_ms: u32,
    out_buf: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    let (Some((d, o, len)), Some(f)) = (
        unsafe { encoder(core, out_buf, out_cap, out_len) },
        unsafe { bytes(filter, filter_len) },
    ) else {
        return UmqttStatus::BadArgument;
    };
    finish(d.encode_subscribe(slot, f, now_ms, o), len)
}

/// The next event into *ev; false when there is none.
///
/// # Safety
/// `core` from umqtt_core_init; `ev` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_poll_event(core: *mut c_void, ev: *mut UmqttEvent) -> bool {
    // SAFETY: the caller's promise.
    let (Some(d), Some(ev)) = (unsafe { ptr::driver_mut(core) }, unsafe { out(ev) }) else {
        return false;
    };
    let Some(e) = d.poll_event() else {
        return false;
    };
    *ev = UmqttEvent {
        kind: UmqttEventKind::OpenTransport,
        session_present: false,
        cause: UmqttStatus::Ok,
        code: 0,
    };
    match e {
        Event::OpenTransport => {}
        Event::Connected { session_present } => {
            ev.kind = UmqttEventKind::Connected;
            ev.session_present = session_present;
        }
        Event::ConnectionLost { cause } => {
            ev.kind = UmqttEventKind::ConnectionLost;
            ev.cause = cause.into();
            ev.code = refused_code_of(cause);
        }
        Event::ReconnectStart => ev.kind = UmqttEventKind::ReconnectStart,
        Event::ReconnectSuccess => ev.kind = UmqttEventKind::ReconnectSuccess,
    }
    true
}

/// Milliseconds until umqtt_core_handle_timeout is due (0: now; UINT32_MAX: nothing scheduled).
///
/// # Safety
/// `core` from umqtt_core_init (NULL: UINT32_MAX).
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_poll_timeout(core: *const c_void, now_ms: u32) -> u32 {
    // SAFETY: the caller's promise.
    unsafe { ptr::driver_ref(core) }.map_or(u32::MAX, |d| d.poll_timeout(now_ms))
}

/// Milliseconds left to open the transport after OPEN_TRANSPORT (0 when not opening).
///
/// # Safety
/// `core` from umqtt_core_init (NULL: 0).
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_open_timeout(core: *const c_void, now_ms: u32) -> u32 {
    // SAFETY: the caller's promise.
    unsafe { ptr::driver_ref(core) }.map_or(0, |d| d.open_timeout(now_ms))
}

// ----- tickets and state -----------------------------------------------------

/// Where a ticket stands: OK (done; *code = SUBACK code, else 0; the ticket is released), REFUSED (done,
/// and the acknowledgement's *code is a failure: a SUBACK's 0x80, an MQTT 5 reason code from 0x80, or
/// "packet too large" for a re-send above the broker's Maximum Packet Size; released), PENDING,
/// UNKNOWN_TICKET (never issued, read, or dropped with its connection: issue it again) or LOST (the
/// connection is closed and none is coming: a never-sent publish was withdrawn, a sent one stays in
/// flight for a resumed session).
///
/// # Safety
/// `core` from umqtt_core_init; `code` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_ticket_result(
    core: *mut c_void,
    ticket: u32,
    code: *mut u8,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    let (Some(d), Some(c)) = (unsafe { ptr::driver_mut(core) }, unsafe { out(code) }) else {
        return UmqttStatus::BadArgument;
    };
    *c = 0;
    match d.ticket_result(ticket) {
        TicketResult::Done(v) => {
            *c = v;
            if umqtt_core::is_failure(v) {
                UmqttStatus::Refused
            } else {
                UmqttStatus::Ok
            }
        }
        TicketResult::Pending => UmqttStatus::Pending,
        TicketResult::Unknown => UmqttStatus::UnknownTicket,
        TicketResult::Lost => UmqttStatus::Lost,
    }
}

/// Whether the objects kept for publish slot `slot` are still needed (false: let them go).
///
/// # Safety
/// `core` from umqtt_core_init (NULL: false).
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_slot_in_use(core: *const c_void, slot: u8) -> bool {
    // SAFETY: the caller's promise.
    unsafe { ptr::driver_ref(core) }.is_some_and(|d| d.slot_in_use(slot))
}

/// Nobody waits for `ticket` any more (a publish stays in flight until acknowledged).
///
/// # Safety
/// `core` from umqtt_core_init (NULL ignored).
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_forget(core: *mut c_void, ticket: u32) {
    // SAFETY: the caller's promise.
    if let Some(d) = unsafe { ptr::driver_mut(core) } {
        d.forget(ticket);
    }
}

/// The PUBLISH of `ticket` never reached the transport whole (call before handle_transport_down).
///
/// # Safety
/// `core` from umqtt_core_init (NULL ignored).
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_mark_unsent(core: *mut c_void, ticket: u32) {
    // SAFETY: the caller's promise.
    if let Some(d) = unsafe { ptr::driver_mut(core) } {
        d.mark_unsent(ticket);
    }
}

/// Where the connection stands (QuecPython's get_mqttsta() values).
///
/// # Safety
/// `core` from umqtt_core_init (NULL: CLOSED).
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_status(core: *const c_void) -> UmqttConnStatus {
    // SAFETY: the caller's promise.
    unsafe { ptr::driver_ref(core) }.map_or(UmqttConnStatus::Closed, |d| d.status().into())
}

/// The last CONNACK's session-present flag.
///
/// # Safety
/// `core` from umqtt_core_init (NULL: false).
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_session_present(core: *const c_void) -> bool {
    // SAFETY: the caller's promise.
    unsafe { ptr::driver_ref(core) }.is_some_and(|d| d.session_present())
}

/// The driver's counters into `*out`: BAD_ARGUMENT for a NULL pointer.
///
/// # Safety
/// `core` from umqtt_core_init; `stats` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_stats(core: *const c_void, stats: *mut UmqttStats) -> UmqttStatus {
    // SAFETY: the caller's promise.
    let (Some(d), Some(o)) = (unsafe { ptr::driver_ref(core) }, unsafe { out(stats) }) else {
        return UmqttStatus::BadArgument;
    };
    let s = d.stats();
    *o = UmqttStats {
        connects: s.connects,
        reconnects: s.reconnects,
        published: s.published,
        received: s.received,
        resent: s.resent,
        duplicates_dropped: s.duplicates_dropped,
        pings: s.pings,
        pings_missed: s.pings_missed,
        last_ping_rtt_ms: s.last_ping_rtt_ms,
    };
    UmqttStatus::Ok
}

/// Why the link last went down (OK if it has not).
///
/// # Safety
/// `core` from umqtt_core_init (NULL: OK).
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_cause(core: *const c_void) -> UmqttStatus {
    // SAFETY: the caller's promise.
    unsafe { ptr::driver_ref(core) }
        .and_then(|d| d.cause())
        .map_or(UmqttStatus::Ok, |e| e.into())
}

/// The code of the last loss's cause: the CONNACK code of a refusal, the reason code of the broker's
/// DISCONNECT (MQTT 5); 0 otherwise.
///
/// # Safety
/// `core` from umqtt_core_init (NULL: 0).
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_cause_code(core: *const c_void) -> u8 {
    // SAFETY: the caller's promise.
    unsafe { ptr::driver_ref(core) }
        .and_then(|d| d.cause())
        .map_or(0, refused_code_of)
}

/// The MQTT 5 reason code a command refused with `status` carries under protocol `level` (0: none,
/// raise the status; always 0 below level 5): "packet too large" (0x95) for PACKET_TOO_LARGE, above the
/// broker's Maximum Packet Size or MQTT's own limit.
#[no_mangle]
pub extern "C" fn umqtt_core_refusal_code(level: u8, status: UmqttStatus) -> u8 {
    umqtt_core::refusal_code(level, status.as_cause())
}

/// Validate a topic name (`is_filter` false) or filter without encoding anything.
///
/// # Safety
/// `topic` NULL (length 0) or readable for `len`.
#[no_mangle]
pub unsafe extern "C" fn umqtt_core_check_topic(
    topic: *const u8,
    len: usize,
    is_filter: bool,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    let Some(t) = (unsafe { bytes(topic, len) }) else {
        return UmqttStatus::BadArgument;
    };
    let r = if is_filter {
        umqtt_core::topic::topic_filter(t)
    } else {
        umqtt_core::topic::topic_name(t)
    };
    match r {
        Ok(_) => UmqttStatus::Ok,
        Err(e) => e.into(),
    }
}

/// Static English text for a status (never NULL).
#[no_mangle]
pub extern "C" fn umqtt_core_strerror(status: UmqttStatus) -> *const c_char {
    let s: &'static core::ffi::CStr = match status {
        UmqttStatus::Ok => c"ok",
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
        UmqttStatus::InboundFull => c"too many incoming QoS 2 messages awaiting PUBREL",
        UmqttStatus::WouldBlock => c"not ready: connecting",
        UmqttStatus::Timeout => c"timed out",
        UmqttStatus::Io => c"connection lost",
        UmqttStatus::PeerClosed => c"connection closed by the broker",
        UmqttStatus::SubscriptionsFull => c"too many subscriptions",
        UmqttStatus::Lost => c"connection lost before the acknowledgement",
        UmqttStatus::ServerDisconnect => c"disconnected by the broker",
        UmqttStatus::Refused => c"refused by the broker",
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

/// Thumb-2 devices (Cortex-M3 and up): the ARM EABI memory helpers the
/// compiler calls (`__aeabi_memcpy`, `__aeabi_memmove`, `__aeabi_memset`,
/// `__aeabi_memclr` and their 4/8 variants), written small: a word at a time
/// (these cores load and store unaligned words, as LLVM's own code for them
/// assumes), then the last bytes. About 100 bytes in place of
/// compiler_builtins' `memcpy`, `memmove`, `memset` (about 1.1 KB of flash
/// on Cortex-M3), which these strong definitions override (its are weak)
/// and which then drop out at `--gc-sections`. Local to the Rust object like
/// the rest (tools/build-rust-object.sh keeps only umqtt_* global).
/// `__aeabi_memmove` copies forwards unless the destination starts inside
/// the source (the test compiler_builtins makes), else backwards.
/// Argument orders: `memcpy`/`memmove(dest, src, n)`, `__aeabi_memset(dest,
/// n, c)`, `__aeabi_memclr(dest, n)`.
/// cbindgen:ignore
#[cfg(all(
    not(test),
    target_arch = "arm",
    target_os = "none",
    target_feature = "thumb-mode",
    target_feature = "thumb2"
))]
mod aeabi_mem {
    // The same text is assembled alone by tests_py/on_target/test_aeabi_mem.py.
    core::arch::global_asm!(include_str!("aeabi_mem.s"));
}

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: a C function without arguments that never returns.
    unsafe { port::umqtt_port_panic() }
}

#[cfg(test)]
mod tests;
