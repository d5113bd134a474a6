//! The extern functions called as C would: through raw, caller-owned storage.
//!
//! Every core lives in bytes the test allocates (`Mem`, filled with garbage
//! first, as `malloc` would leave them) and is only reached through the
//! `void *` the C shim would hold. Nothing here creates a reference into the
//! storage; buffers handed to the core outlive every use of it, so the tests
//! are meant to pass under Miri as well (`cargo +nightly miri test -p umqtt-ffi`).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use core::ffi::CStr;
use core::ptr::{null, null_mut};

/// Caller storage for one core, as the header asks for it.
#[repr(C, align(8))]
struct Storage([u8; UMQTT_CORE_SIZE]);

/// Storage with room to place a core at a misaligned address.
#[repr(C, align(8))]
struct Wide([u8; UMQTT_CORE_SIZE + 8]);

const _: () = assert!(core::mem::align_of::<Storage>() == UMQTT_CORE_ALIGN);

/// Heap storage owned by the test and reached only through a raw pointer.
struct Mem<T>(*mut T);

impl<T> Mem<T> {
    fn new(v: T) -> Self {
        Mem(Box::into_raw(Box::new(v)))
    }

    fn bytes(&self) -> *mut u8 {
        self.0.cast()
    }
}

impl<T> Drop for Mem<T> {
    fn drop(&mut self) {
        // SAFETY: from Box::into_raw, freed once; no core in it is used after this.
        drop(unsafe { Box::from_raw(self.0) });
    }
}

/// Never-initialised storage: every byte `fill`.
fn raw_storage(fill: u8) -> Mem<Storage> {
    Mem::new(Storage([fill; UMQTT_CORE_SIZE]))
}

const START: u32 = 1_000;
const TOPIC: &[u8] = b"a/b";
const PAYLOAD: &[u8] = b"hi";
const CONNACK: [u8; 4] = [0x20, 2, 0, 0];

fn b(s: &[u8]) -> UmqttBytes {
    UmqttBytes {
        ptr: s.as_ptr(),
        len: s.len(),
    }
}

const ABSENT: UmqttBytes = UmqttBytes {
    ptr: null(),
    len: 0,
};

/// An identity with only a client id.
fn identity(client_id: &[u8]) -> UmqttIdentity {
    UmqttIdentity {
        client_id: b(client_id),
        user: ABSENT,
        password: ABSENT,
        will_topic: ABSENT,
        will_payload: ABSENT,
        will_qos: 0,
        will_retain: false,
        props: ABSENT,
        will_props: ABSENT,
    }
}

fn settings(keepalive_s: u16, timeout_ms: u32, reconnect: bool) -> UmqttSettings {
    UmqttSettings {
        keepalive_s,
        ping_max_missed: 0,
        protocol_level: 4,
        timeout_ms,
        reconnect,
        max_inflight: UMQTT_MAX_INFLIGHT as u8,
        chunked: false,
        max_packet: 0,
    }
}

fn blank_op() -> UmqttOp {
    UmqttOp {
        len: 99,
        ticket: 99,
        slot: 99,
    }
}

fn blank_packed() -> UmqttSubPacked {
    UmqttSubPacked {
        options: 99,
        sub_id: 99,
        refused: UmqttSubOption::Qos,
        lo: 99,
        hi: 99,
    }
}

/// subscribe()'s QoS, Retain Handling and identifier as a script gives them (no flags).
fn sub_given(qos: u8, retain_handling: isize, id: Option<isize>) -> UmqttSubOptions {
    UmqttSubOptions {
        qos,
        retain_handling,
        id: id.unwrap_or(-99),
        has_id: id.is_some(),
        no_local: false,
        retain_as_published: false,
    }
}

/// umqtt_core_sub_options on `given` for `level`: the status and the answer.
fn sub_options(level: u8, given: &UmqttSubOptions) -> (UmqttStatus, UmqttSubPacked) {
    let mut p = blank_packed();
    // SAFETY: both pointers from live locals.
    let st = unsafe { umqtt_core_sub_options(level, given, &mut p) };
    (st, p)
}

fn blank_tx() -> UmqttTransmit {
    UmqttTransmit {
        kind: UmqttTransmitKind::Subscribe,
        len: 99,
        slot: 99,
    }
}

fn blank_rx() -> UmqttRx {
    UmqttRx {
        kind: UmqttRxKind::Busy,
        n: 99,
        topic: null(),
        topic_len: 99,
        payload: null(),
        payload_len: 99,
        qos: 99,
        retain: true,
        dup: true,
        packet_id: 99,
        body_len: 99,
        props: null(),
        props_len: 99,
        alias: 99,
    }
}

fn blank_event() -> UmqttEvent {
    UmqttEvent {
        kind: UmqttEventKind::ReconnectSuccess,
        session_present: true,
        cause: UmqttStatus::Lost,
        code: 99,
    }
}

/// A QoS 2 PUBLISH from the broker: topic "q", payload "m".
fn incoming_qos2(pid: u16) -> [u8; 8] {
    let [h, l] = pid.to_be_bytes();
    [0x34, 6, 0, 1, b'q', h, l, b'm']
}

/// A client as the C shim drives it: a core in raw storage and a clock.
struct Abi {
    mem: Mem<Storage>,
    now: u32,
}

// SAFETY (every method): `self.core()` is a core built by umqtt_core_init in
// storage this struct owns; every other pointer comes from a live local or
// argument that outlives the call (or, for the lent map, the core).
impl Abi {
    /// A core built in garbage storage.
    fn new() -> Self {
        let mem = raw_storage(0xa5);
        assert_eq!(
            unsafe { umqtt_core_init(mem.bytes().cast(), UMQTT_CORE_SIZE) },
            UmqttStatus::Ok
        );
        Abi { mem, now: START }
    }

    fn core(&self) -> *mut c_void {
        self.mem.bytes().cast()
    }

    fn tick(&mut self, ms: u32) {
        self.now = self.now.wrapping_add(ms);
    }

    fn configure(&mut self, s: &UmqttSettings) -> UmqttStatus {
        unsafe { umqtt_core_configure(self.core(), s) }
    }

    fn connect(&mut self, clean: bool) -> UmqttStatus {
        unsafe { umqtt_core_connect(self.core(), clean, self.now) }
    }

    fn connect_result(&self) -> (UmqttStatus, bool, u8) {
        let (mut sp, mut code) = (true, 99);
        let st = unsafe { umqtt_core_connect_result(self.core(), &mut sp, &mut code) };
        (st, sp, code)
    }

    fn status(&self) -> UmqttConnStatus {
        unsafe { umqtt_core_status(self.core()) }
    }

    fn cause(&self) -> UmqttStatus {
        unsafe { umqtt_core_cause(self.core()) }
    }

    fn poll_timeout(&self) -> u32 {
        unsafe { umqtt_core_poll_timeout(self.core(), self.now) }
    }

    fn slot_in_use(&self, slot: u8) -> bool {
        unsafe { umqtt_core_slot_in_use(self.core(), slot) }
    }

    fn event(&mut self) -> Option<UmqttEvent> {
        let mut ev = blank_event();
        unsafe { umqtt_core_poll_event(self.core(), &mut ev) }.then_some(ev)
    }

    /// The kinds of the events waiting, drained.
    fn events(&mut self) -> Vec<UmqttEventKind> {
        core::iter::from_fn(|| self.event())
            .map(|e| e.kind)
            .collect()
    }

    /// One poll_transmit into 256 bytes (must succeed): the transmit and the bytes it wrote.
    fn transmit(&mut self) -> (UmqttTransmit, Vec<u8>) {
        let mut out = [0u8; 256];
        let mut tx = blank_tx();
        let st = unsafe {
            umqtt_core_poll_transmit(self.core(), self.now, out.as_mut_ptr(), out.len(), &mut tx)
        };
        assert_eq!(st, UmqttStatus::Ok);
        let n = if tx.kind == UmqttTransmitKind::Bytes {
            tx.len
        } else {
            0
        };
        (tx, out[..n].to_vec())
    }

    fn transmit_kind(&mut self) -> UmqttTransmitKind {
        self.transmit().0.kind
    }

    /// Bytes from the broker: handle_data_received, then handle_rx on them.
    fn rx(&mut self, bytes: &[u8]) -> (UmqttStatus, UmqttRx) {
        let mut rx = blank_rx();
        let st = unsafe {
            umqtt_core_handle_data_received(self.core(), self.now);
            umqtt_core_handle_rx(self.core(), bytes.as_ptr(), bytes.len(), self.now, &mut rx)
        };
        (st, rx)
    }

    /// handle_rx on a packet that must be consumed whole (a CONNACK is
    /// handed out as such, with its properties).
    fn rx_consumed(&mut self, bytes: &[u8]) {
        let (st, rx) = self.rx(bytes);
        let kind = if bytes.first() == Some(&0x20) {
            UmqttRxKind::Connack
        } else {
            UmqttRxKind::Consumed
        };
        assert_eq!((st, rx.kind, rx.n), (UmqttStatus::Ok, kind, bytes.len()));
    }

    fn accept(&mut self) -> (UmqttStatus, usize) {
        let mut n = 99;
        let st = unsafe { umqtt_core_accept_message(self.core(), self.now, &mut n) };
        (st, n)
    }

    /// A publish into `cap` bytes: the status, the op and the bytes written.
    fn publish(
        &mut self,
        topic: &[u8],
        payload: &[u8],
        qos: u8,
        cap: usize,
    ) -> (UmqttStatus, UmqttOp, Vec<u8>) {
        let mut out = vec![0u8; cap];
        let mut op = blank_op();
        let st = unsafe {
            umqtt_core_publish(
                self.core(),
                topic.as_ptr(),
                topic.len(),
                payload.as_ptr(),
                payload.len(),
                qos,
                false,
                null(),
                0,
                self.now,
                out.as_mut_ptr(),
                out.len(),
                &mut op,
            )
        };
        out.truncate(if st == UmqttStatus::Ok { op.len } else { 0 });
        (st, op, out)
    }

    fn subscribe(&mut self, filter: &[u8], qos: u8, slot: i32) -> (UmqttStatus, UmqttOp, Vec<u8>) {
        let mut out = [0u8; 64];
        let mut op = blank_op();
        let st = unsafe {
            umqtt_core_subscribe(
                self.core(),
                filter.as_ptr(),
                filter.len(),
                qos,
                0,
                slot,
                self.now,
                out.as_mut_ptr(),
                out.len(),
                &mut op,
            )
        };
        let n = if st == UmqttStatus::Ok { op.len } else { 0 };
        (st, op, out[..n].to_vec())
    }

    fn ticket(&mut self, ticket: u32) -> (UmqttStatus, u8) {
        let mut code = 99;
        let st = unsafe { umqtt_core_ticket_result(self.core(), ticket, &mut code) };
        (st, code)
    }

    /// encode_connect into `cap` bytes (NULL when 0): the status, *out_len and the bytes.
    fn encode_connect(&mut self, id: &UmqttIdentity, cap: usize) -> (UmqttStatus, usize, Vec<u8>) {
        let mut out = vec![0u8; cap];
        let p = if cap == 0 {
            null_mut()
        } else {
            out.as_mut_ptr()
        };
        let mut n = 99;
        let st = unsafe { umqtt_core_encode_connect(self.core(), id, self.now, p, cap, &mut n) };
        let written = if st == UmqttStatus::Ok { n } else { 0 };
        out.truncate(written);
        (st, n, out)
    }

    fn encode_publish(&mut self, slot: u8, topic: &[u8], payload: &[u8]) -> (UmqttStatus, Vec<u8>) {
        let mut out = [0u8; 64];
        let mut n = 99;
        let st = unsafe {
            umqtt_core_encode_publish(
                self.core(),
                slot,
                topic.as_ptr(),
                topic.len(),
                payload.as_ptr(),
                payload.len(),
                null(),
                0,
                self.now,
                out.as_mut_ptr(),
                out.len(),
                &mut n,
            )
        };
        let written = if st == UmqttStatus::Ok { n } else { 0 };
        (st, out[..written].to_vec())
    }

    fn transport_up(&mut self) -> bool {
        unsafe { umqtt_core_handle_transport_up(self.core(), self.now) }
    }

    fn transport_down(&mut self, cause: UmqttStatus) {
        unsafe { umqtt_core_handle_transport_down(self.core(), self.now, cause) }
    }

    fn handle_timeout(&mut self) -> UmqttStatus {
        unsafe { umqtt_core_handle_timeout(self.core(), self.now) }
    }

    /// The transport opens (OPEN_TRANSPORT already polled or not) and CONNECT goes out.
    fn open_and_send_connect(&mut self) {
        assert!(self.transport_up());
        assert_eq!(self.transmit_kind(), UmqttTransmitKind::Connect);
        let (st, n, bytes) = self.encode_connect(&identity(b"c"), 64);
        assert_eq!((st, n, bytes[0]), (UmqttStatus::Ok, 15, 0x10));
        assert_eq!(self.transmit_kind(), UmqttTransmitKind::Nothing);
    }
}

// ----- 1. NULL pointers and bad storage --------------------------------------

/// What an exported function returned, whatever its C type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Got {
    Status(UmqttStatus),
    Bool(bool),
    U32(u32),
    Conn(UmqttConnStatus),
    /// A `void` function that returned.
    Void,
}

use Got::{Bool, Conn, Status, Void, U32};
const BAD: Got = Status(UmqttStatus::BadArgument);

/// The out-parameters and buffers a row may point at.
struct Scratch {
    out: [u8; 64],
    len: usize,
    op: UmqttOp,
    tx: UmqttTransmit,
    rx: UmqttRx,
    ev: UmqttEvent,
    code: u8,
    flag: bool,
    stats: UmqttStats,
}

impl Scratch {
    fn new() -> Self {
        Scratch {
            out: [0; 64],
            len: 0,
            op: blank_op(),
            tx: blank_tx(),
            rx: blank_rx(),
            ev: blank_event(),
            code: 0,
            flag: false,
            stats: UmqttStats::default(),
        }
    }

    fn o(&mut self) -> *mut u8 {
        self.out.as_mut_ptr()
    }
}

/// The "what is bad" of a row whose only bad argument is the core.
const CORE: &str = "core";

/// One call: the export, what is wrong with the call, what it must return, the call itself.
type Row = (
    &'static str,
    &'static str,
    Got,
    Box<dyn Fn(*mut c_void, &mut Scratch) -> Got>,
);

fn row(
    func: &'static str,
    bad: &'static str,
    refused: Got,
    call: impl Fn(*mut c_void, &mut Scratch) -> Got + 'static,
) -> Row {
    (func, bad, refused, Box::new(call))
}

/// Every exported function taking pointers, called with each pointer bad in turn. A `CORE` row is
/// run with bad cores only (the other arguments are valid); any other row passes one bad pointer or
/// storage argument and is run with the bad cores and with a valid core, which it must leave alone.
#[rustfmt::skip]
fn null_table() -> Vec<Row> {
    const T: &[u8] = TOPIC;
    const P: &[u8] = PAYLOAD;
    const F: &[u8] = b"a/#";
    // SAFETY (every row): each pointer is NULL, a bad core, or points into the row's Scratch or a
    // constant, valid for the length passed with it.
    vec![
        row("umqtt_core_init", "NULL storage", BAD, |_, _| unsafe {
            Status(umqtt_core_init(null_mut(), UMQTT_CORE_SIZE))
        }),
        row("umqtt_core_init", "misaligned storage", BAD, |_, _| {
            let wide = Mem::new(Wide([0xa5; UMQTT_CORE_SIZE + 8]));
            // SAFETY: in bounds of `wide`; UMQTT_CORE_SIZE bytes follow.
            Status(unsafe { umqtt_core_init(wide.bytes().add(1).cast(), UMQTT_CORE_SIZE) })
        }),
        row("umqtt_core_init", "storage one byte short", BAD, |_, _| {
            let s = raw_storage(0xa5);
            Status(unsafe { umqtt_core_init(s.bytes().cast(), UMQTT_CORE_SIZE - 1) })
        }),
        row("umqtt_core_configure", CORE, BAD, |c, _| unsafe {
            Status(umqtt_core_configure(c, &settings(10, 5000, true)))
        }),
        row("umqtt_core_configure", "NULL settings", BAD, |c, _| unsafe {
            Status(umqtt_core_configure(c, null()))
        }),
        row("umqtt_core_seed", CORE, Void, |c, _| unsafe {
            umqtt_core_seed(c, 7);
            Void
        }),
        row("umqtt_core_connect", CORE, BAD, |c, _| unsafe {
            Status(umqtt_core_connect(c, true, 0))
        }),
        row("umqtt_core_connect_result", CORE, BAD, |c, s| unsafe {
            Status(umqtt_core_connect_result(c, &mut s.flag, &mut s.code))
        }),
        row("umqtt_core_connect_result", "NULL session_present", BAD, |c, s| unsafe {
            Status(umqtt_core_connect_result(c, null_mut(), &mut s.code))
        }),
        row("umqtt_core_connect_result", "NULL refused_code", BAD, |c, s| unsafe {
            Status(umqtt_core_connect_result(c, &mut s.flag, null_mut()))
        }),
        row("umqtt_core_publish", CORE, BAD, |c, s| unsafe {
            Status(umqtt_core_publish(c, T.as_ptr(), T.len(), P.as_ptr(), P.len(), 1, false, null(), 0, 0, s.o(), 64, &mut s.op))
        }),
        row("umqtt_core_publish", "NULL topic of length 3", BAD, |c, s| unsafe {
            Status(umqtt_core_publish(c, null(), 3, P.as_ptr(), P.len(), 1, false, null(), 0, 0, s.o(), 64, &mut s.op))
        }),
        row("umqtt_core_publish", "NULL payload of length 2", BAD, |c, s| unsafe {
            Status(umqtt_core_publish(c, T.as_ptr(), T.len(), null(), 2, 1, false, null(), 0, 0, s.o(), 64, &mut s.op))
        }),
        row("umqtt_core_publish", "NULL out_buf of capacity 64", BAD, |c, s| unsafe {
            Status(umqtt_core_publish(c, T.as_ptr(), T.len(), P.as_ptr(), P.len(), 1, false, null(), 0, 0, null_mut(), 64, &mut s.op))
        }),
        row("umqtt_core_publish", "NULL op", BAD, |c, s| unsafe {
            Status(umqtt_core_publish(c, T.as_ptr(), T.len(), P.as_ptr(), P.len(), 1, false, null(), 0, 0, s.o(), 64, null_mut()))
        }),
        row("umqtt_core_subscribe", CORE, BAD, |c, s| unsafe {
            Status(umqtt_core_subscribe(c, F.as_ptr(), F.len(), 1, 0, UMQTT_NO_SLOT, 0, s.o(), 64, &mut s.op))
        }),
        row("umqtt_core_subscribe", "NULL filter of length 3", BAD, |c, s| unsafe {
            Status(umqtt_core_subscribe(c, null(), 3, 1, 0, UMQTT_NO_SLOT, 0, s.o(), 64, &mut s.op))
        }),
        row("umqtt_core_subscribe", "NULL out_buf of capacity 64", BAD, |c, s| unsafe {
            Status(umqtt_core_subscribe(c, F.as_ptr(), F.len(), 1, 0, UMQTT_NO_SLOT, 0, null_mut(), 64, &mut s.op))
        }),
        row("umqtt_core_subscribe", "NULL op", BAD, |c, s| unsafe {
            Status(umqtt_core_subscribe(c, F.as_ptr(), F.len(), 1, 0, UMQTT_NO_SLOT, 0, s.o(), 64, null_mut()))
        }),
        row("umqtt_core_unsubscribe", CORE, BAD, |c, s| unsafe {
            Status(umqtt_core_unsubscribe(c, F.as_ptr(), F.len(), UMQTT_NO_SLOT, 0, s.o(), 64, &mut s.op))
        }),
        row("umqtt_core_unsubscribe", "NULL filter of length 3", BAD, |c, s| unsafe {
            Status(umqtt_core_unsubscribe(c, null(), 3, UMQTT_NO_SLOT, 0, s.o(), 64, &mut s.op))
        }),
        row("umqtt_core_unsubscribe", "NULL out_buf of capacity 64", BAD, |c, s| unsafe {
            Status(umqtt_core_unsubscribe(c, F.as_ptr(), F.len(), UMQTT_NO_SLOT, 0, null_mut(), 64, &mut s.op))
        }),
        row("umqtt_core_unsubscribe", "NULL op", BAD, |c, s| unsafe {
            Status(umqtt_core_unsubscribe(c, F.as_ptr(), F.len(), UMQTT_NO_SLOT, 0, s.o(), 64, null_mut()))
        }),
        row("umqtt_core_abandon_subscribe", CORE, Void, |c, _| unsafe {
            umqtt_core_abandon_subscribe(c, 0x0001_0001, 0);
            Void
        }),
        row("umqtt_core_ping", CORE, BAD, |c, s| unsafe {
            Status(umqtt_core_ping(c, 0, s.o(), 64, &mut s.len))
        }),
        row("umqtt_core_ping", "NULL out_buf of capacity 64", BAD, |c, s| unsafe {
            Status(umqtt_core_ping(c, 0, null_mut(), 64, &mut s.len))
        }),
        row("umqtt_core_ping", "NULL out_len", BAD, |c, s| unsafe {
            Status(umqtt_core_ping(c, 0, s.o(), 64, null_mut()))
        }),
        row("umqtt_core_disconnect", CORE, BAD, |c, s| unsafe {
            Status(umqtt_core_disconnect(c, s.o(), 64, &mut s.len))
        }),
        row("umqtt_core_disconnect", "NULL out_buf of capacity 64", BAD, |c, s| unsafe {
            Status(umqtt_core_disconnect(c, null_mut(), 64, &mut s.len))
        }),
        row("umqtt_core_disconnect", "NULL out_len", BAD, |c, s| unsafe {
            Status(umqtt_core_disconnect(c, s.o(), 64, null_mut()))
        }),
        row("umqtt_core_close", CORE, Void, |c, _| unsafe {
            umqtt_core_close(c);
            Void
        }),
        row("umqtt_core_handle_transport_up", CORE, Bool(false), |c, _| unsafe {
            Bool(umqtt_core_handle_transport_up(c, 0))
        }),
        row("umqtt_core_handle_transport_down", CORE, Void, |c, _| unsafe {
            umqtt_core_handle_transport_down(c, 0, UmqttStatus::Io);
            Void
        }),
        row("umqtt_core_handle_data_received", CORE, Void, |c, _| unsafe {
            umqtt_core_handle_data_received(c, 0);
            Void
        }),
        row("umqtt_core_handle_rx", CORE, BAD, |c, s| unsafe {
            Status(umqtt_core_handle_rx(c, [0xd0u8, 0].as_ptr(), 2, 0, &mut s.rx))
        }),
        row("umqtt_core_handle_rx", "NULL buf of length 2", BAD, |c, s| unsafe {
            Status(umqtt_core_handle_rx(c, null(), 2, 0, &mut s.rx))
        }),
        row("umqtt_core_handle_rx", "NULL rx", BAD, |c, _| unsafe {
            Status(umqtt_core_handle_rx(c, [0xd0u8, 0].as_ptr(), 2, 0, null_mut()))
        }),
        row("umqtt_core_handle_rx_head", CORE, BAD, |c, s| unsafe {
            Status(umqtt_core_handle_rx_head(c, [0xd0u8, 0].as_ptr(), 2, 0, &mut s.rx))
        }),
        row("umqtt_core_handle_rx_head", "NULL buf of length 2", BAD, |c, s| unsafe {
            Status(umqtt_core_handle_rx_head(c, null(), 2, 0, &mut s.rx))
        }),
        row("umqtt_core_handle_rx_head", "NULL rx", BAD, |c, _| unsafe {
            Status(umqtt_core_handle_rx_head(c, [0xd0u8, 0].as_ptr(), 2, 0, null_mut()))
        }),
        row("umqtt_core_accept_message", CORE, BAD, |c, s| unsafe {
            Status(umqtt_core_accept_message(c, 0, &mut s.len))
        }),
        row("umqtt_core_accept_message", "NULL consumed", BAD, |c, _| unsafe {
            Status(umqtt_core_accept_message(c, 0, null_mut()))
        }),
        // A refused map is not kept, so the row's own buffer may go away after the call.
        row("umqtt_core_lend_inbound_map", CORE, BAD, |c, _| unsafe {
            let mut map = vec![0u8; UMQTT_INBOUND_MAP_BYTES];
            Status(umqtt_core_lend_inbound_map(c, map.as_mut_ptr(), map.len()))
        }),
        row("umqtt_core_lend_inbound_map", "NULL map of length 8192", BAD, |c, _| unsafe {
            Status(umqtt_core_lend_inbound_map(c, null_mut(), UMQTT_INBOUND_MAP_BYTES))
        }),
        row("umqtt_core_handle_timeout", CORE, BAD, |c, _| unsafe {
            Status(umqtt_core_handle_timeout(c, 0))
        }),
        row("umqtt_core_poll_transmit", CORE, BAD, |c, s| unsafe {
            Status(umqtt_core_poll_transmit(c, 0, s.o(), 64, &mut s.tx))
        }),
        row("umqtt_core_poll_transmit", "NULL out_buf of capacity 64", BAD, |c, s| unsafe {
            Status(umqtt_core_poll_transmit(c, 0, null_mut(), 64, &mut s.tx))
        }),
        row("umqtt_core_poll_transmit", "NULL tx", BAD, |c, s| unsafe {
            Status(umqtt_core_poll_transmit(c, 0, s.o(), 64, null_mut()))
        }),
        row("umqtt_core_encode_connect", CORE, BAD, |c, s| unsafe {
            Status(umqtt_core_encode_connect(c, &identity(b"c"), 0, s.o(), 64, &mut s.len))
        }),
        row("umqtt_core_encode_connect", "NULL id", BAD, |c, s| unsafe {
            Status(umqtt_core_encode_connect(c, null(), 0, s.o(), 64, &mut s.len))
        }),
        row("umqtt_core_encode_connect", "NULL client_id of length 3", BAD, |c, s| unsafe {
            let mut id = identity(b"c");
            id.client_id = UmqttBytes { ptr: null(), len: 3 };
            Status(umqtt_core_encode_connect(c, &id, 0, s.o(), 64, &mut s.len))
        }),
        row("umqtt_core_encode_connect", "NULL will_payload of length 3", BAD, |c, s| unsafe {
            let mut id = identity(b"c");
            id.will_topic = b(b"w");
            id.will_payload = UmqttBytes { ptr: null(), len: 3 };
            Status(umqtt_core_encode_connect(c, &id, 0, s.o(), 64, &mut s.len))
        }),
        row("umqtt_core_encode_connect", "NULL out_buf of capacity 64", BAD, |c, s| unsafe {
            Status(umqtt_core_encode_connect(c, &identity(b"c"), 0, null_mut(), 64, &mut s.len))
        }),
        row("umqtt_core_encode_connect", "NULL out_len", BAD, |c, s| unsafe {
            Status(umqtt_core_encode_connect(c, &identity(b"c"), 0, s.o(), 64, null_mut()))
        }),
        row("umqtt_core_encode_publish", CORE, BAD, |c, s| unsafe {
            Status(umqtt_core_encode_publish(c, 0, T.as_ptr(), T.len(), P.as_ptr(), P.len(), null(), 0, 0, s.o(), 64, &mut s.len))
        }),
        row("umqtt_core_encode_publish", "NULL topic of length 3", BAD, |c, s| unsafe {
            Status(umqtt_core_encode_publish(c, 0, null(), 3, P.as_ptr(), P.len(), null(), 0, 0, s.o(), 64, &mut s.len))
        }),
        row("umqtt_core_encode_publish", "NULL payload of length 2", BAD, |c, s| unsafe {
            Status(umqtt_core_encode_publish(c, 0, T.as_ptr(), T.len(), null(), 2, null(), 0, 0, s.o(), 64, &mut s.len))
        }),
        row("umqtt_core_encode_publish", "NULL out_buf of capacity 64", BAD, |c, s| unsafe {
            Status(umqtt_core_encode_publish(c, 0, T.as_ptr(), T.len(), P.as_ptr(), P.len(), null(), 0, 0, null_mut(), 64, &mut s.len))
        }),
        row("umqtt_core_encode_publish", "NULL out_len", BAD, |c, s| unsafe {
            Status(umqtt_core_encode_publish(c, 0, T.as_ptr(), T.len(), P.as_ptr(), P.len(), null(), 0, 0, s.o(), 64, null_mut()))
        }),
        row("umqtt_core_encode_subscribe", CORE, BAD, |c, s| unsafe {
            Status(umqtt_core_encode_subscribe(c, 0, F.as_ptr(), F.len(), 0, s.o(), 64, &mut s.len))
        }),
        row("umqtt_core_encode_subscribe", "NULL filter of length 3", BAD, |c, s| unsafe {
            Status(umqtt_core_encode_subscribe(c, 0, null(), 3, 0, s.o(), 64, &mut s.len))
        }),
        row("umqtt_core_encode_subscribe", "NULL out_buf of capacity 64", BAD, |c, s| unsafe {
            Status(umqtt_core_encode_subscribe(c, 0, F.as_ptr(), F.len(), 0, null_mut(), 64, &mut s.len))
        }),
        row("umqtt_core_encode_subscribe", "NULL out_len", BAD, |c, s| unsafe {
            Status(umqtt_core_encode_subscribe(c, 0, F.as_ptr(), F.len(), 0, s.o(), 64, null_mut()))
        }),
        row("umqtt_core_poll_event", CORE, Bool(false), |c, s| unsafe {
            Bool(umqtt_core_poll_event(c, &mut s.ev))
        }),
        row("umqtt_core_poll_event", "NULL ev", Bool(false), |c, _| unsafe {
            Bool(umqtt_core_poll_event(c, null_mut()))
        }),
        row("umqtt_core_poll_timeout", CORE, U32(u32::MAX), |c, _| unsafe {
            U32(umqtt_core_poll_timeout(c, 0))
        }),
        row("umqtt_core_open_timeout", CORE, U32(0), |c, _| unsafe {
            U32(umqtt_core_open_timeout(c, 0))
        }),
        row("umqtt_core_ticket_result", CORE, BAD, |c, s| unsafe {
            Status(umqtt_core_ticket_result(c, 0x0001_0001, &mut s.code))
        }),
        row("umqtt_core_ticket_result", "NULL code", BAD, |c, _| unsafe {
            Status(umqtt_core_ticket_result(c, 0x0001_0001, null_mut()))
        }),
        row("umqtt_core_slot_in_use", CORE, Bool(false), |c, _| unsafe {
            Bool(umqtt_core_slot_in_use(c, 0))
        }),
        row("umqtt_core_forget", CORE, Void, |c, _| unsafe {
            umqtt_core_forget(c, 0x0001_0001);
            Void
        }),
        row("umqtt_core_mark_unsent", CORE, Void, |c, _| unsafe {
            umqtt_core_mark_unsent(c, 0x0001_0001);
            Void
        }),
        row("umqtt_core_status", CORE, Conn(UmqttConnStatus::Closed), |c, _| unsafe {
            Conn(umqtt_core_status(c))
        }),
        row("umqtt_core_session_present", CORE, Bool(false), |c, _| unsafe {
            Bool(umqtt_core_session_present(c))
        }),
        row("umqtt_core_stats", CORE, BAD, |c, s| unsafe {
            Status(umqtt_core_stats(c, &mut s.stats))
        }),
        row("umqtt_core_stats", "NULL stats", BAD, |c, _| unsafe {
            Status(umqtt_core_stats(c, null_mut()))
        }),
        row("umqtt_core_cause", CORE, Status(UmqttStatus::Ok), |c, _| unsafe {
            Status(umqtt_core_cause(c))
        }),
        row("umqtt_core_cause_code", CORE, U32(0), |c, _| unsafe {
            U32(umqtt_core_cause_code(c).into())
        }),
        row("umqtt_core_check_topic", "NULL topic of length 3", BAD, |_, _| unsafe {
            Status(umqtt_core_check_topic(null(), 3, false))
        }),
        row("umqtt_core_sub_options", "NULL given", BAD, |_, _| unsafe {
            let mut p = blank_packed();
            Status(umqtt_core_sub_options(5, null(), &mut p))
        }),
        row("umqtt_core_sub_options", "NULL packed", BAD, |_, _| unsafe {
            Status(umqtt_core_sub_options(5, &sub_given(1, 0, None), null_mut()))
        }),
    ]
}

/// The exported functions the header declares.
fn header_functions() -> Vec<&'static str> {
    include_str!("../include/umqtt_core.h")
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .filter_map(|l| {
            let start = l.find("umqtt_core_")?;
            let rest = &l[start..];
            let name = &rest[..rest.find('(')?];
            name.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_')
                .then_some(name)
        })
        .collect()
}

#[test]
fn every_pointer_taking_export_has_a_row_in_the_null_pointer_table() {
    let funcs = header_functions();
    assert!(funcs.len() > 30, "header parsed: {funcs:?}");
    let table = null_table();
    let without_pointers = ["umqtt_core_strerror", "umqtt_core_connack_text", "umqtt_core_refusal_code"];
    for f in &funcs {
        if without_pointers.contains(f) {
            continue;
        }
        assert!(
            table.iter().any(|r| r.0 == *f),
            "{f} has no row in null_table()"
        );
    }
    for r in &table {
        assert!(
            funcs.contains(&r.0),
            "row {} names no function of the header",
            r.0
        );
    }
}

#[test]
fn every_export_refuses_null_pointers_and_storage_that_holds_no_core() {
    // The bad cores: NULL, garbage and zeroed storage (never initialised), and a byte-for-byte
    // copy of a live core one byte off its alignment (the magic is right, the address is not).
    let garbage = raw_storage(0xa5);
    let zeroed = raw_storage(0);
    let live = Abi::new();
    let wide = Mem::new(Wide([0; UMQTT_CORE_SIZE + 8]));
    // SAFETY: both regions are UMQTT_CORE_SIZE bytes inside their allocations; an untyped copy.
    let misaligned = unsafe {
        let dst = wide.bytes().add(1);
        core::ptr::copy_nonoverlapping(live.mem.bytes(), dst, UMQTT_CORE_SIZE);
        dst.cast::<c_void>()
    };
    let bad_cores: [(&str, *mut c_void); 4] = [
        ("NULL", null_mut()),
        ("garbage storage", garbage.bytes().cast()),
        ("zeroed storage", zeroed.bytes().cast()),
        ("a core copied to a misaligned address", misaligned),
    ];

    // The valid core for the rows whose bad argument is not the core: connected, its CONNECTED
    // event still waiting, so that any row that touched it would show.
    let mut valid = Abi::new();
    assert_eq!(valid.configure(&settings(10, 5000, true)), UmqttStatus::Ok);
    assert_eq!(valid.connect(true), UmqttStatus::Ok);
    assert_eq!(
        valid.event().map(|e| e.kind),
        Some(UmqttEventKind::OpenTransport)
    );
    valid.open_and_send_connect();
    valid.rx_consumed(&CONNACK);

    let table = null_table();
    for (func, bad, refused, call) in &table {
        for (what, core) in bad_cores {
            let got = call(core, &mut Scratch::new());
            assert_eq!(got, *refused, "{func} with {what} (row: {bad})");
        }
        if *bad != CORE {
            let got = call(valid.core(), &mut Scratch::new());
            assert_eq!(got, *refused, "{func} with a valid core and {bad}");
        }
    }
    println!(
        "{} rows x {} bad cores, and a valid core",
        table.len(),
        bad_cores.len()
    );

    // SAFETY: the storage is live and UMQTT_CORE_SIZE bytes long; plain bytes, all initialised.
    let bytes = |m: &Mem<Storage>| unsafe {
        core::slice::from_raw_parts(m.bytes(), UMQTT_CORE_SIZE).to_vec()
    };
    assert!(
        bytes(&garbage).iter().all(|&x| x == 0xa5),
        "garbage storage written to"
    );
    assert!(
        bytes(&zeroed).iter().all(|&x| x == 0),
        "zeroed storage written to"
    );

    // The valid core is as it was: connected, nothing sent, nothing taken, its event still there.
    assert_eq!(valid.status(), UmqttConnStatus::Connected);
    assert_eq!(valid.connect_result(), (UmqttStatus::Ok, false, 0));
    assert_eq!(valid.transmit_kind(), UmqttTransmitKind::Nothing);
    assert!(!valid.slot_in_use(0));
    assert_eq!(valid.events(), [UmqttEventKind::Connected]);
    let (st, op, bytes) = valid.publish(TOPIC, PAYLOAD, 1, 64);
    assert_eq!(
        (st, op.slot, op.ticket & 0xffff),
        (UmqttStatus::Ok, 0, 1),
        "packet id 1 still unused"
    );
    assert_eq!(bytes.len(), 11);
}

#[test]
fn init_builds_a_core_only_in_storage_that_is_large_and_aligned_enough() {
    let wide = Mem::new(Wide([0xa5; UMQTT_CORE_SIZE + 8]));
    for off in 1..UMQTT_CORE_ALIGN {
        // SAFETY: `off` + UMQTT_CORE_SIZE is within the allocation.
        let p = unsafe { wide.bytes().add(off) };
        assert_eq!(
            unsafe { umqtt_core_init(p.cast(), UMQTT_CORE_SIZE) },
            UmqttStatus::BadArgument,
            "offset {off}"
        );
    }
    let p = wide.bytes().cast::<c_void>();
    // SAFETY: aligned, UMQTT_CORE_SIZE + 8 bytes.
    unsafe {
        assert_eq!(
            umqtt_core_init(p, UMQTT_CORE_SIZE - 1),
            UmqttStatus::BadArgument
        );
        assert_eq!(umqtt_core_status(p), UmqttConnStatus::Closed);
        assert_eq!(umqtt_core_poll_timeout(p, 0), u32::MAX);
        assert_eq!(umqtt_core_init(p, UMQTT_CORE_SIZE + 8), UmqttStatus::Ok);
        assert_eq!(umqtt_core_status(p), UmqttConnStatus::Closed);
        assert_eq!(
            umqtt_core_configure(p, &settings(0, 1, false)),
            UmqttStatus::Ok
        );
        for bad in [settings(0, 0, false), settings(0, 0x8000_0000, false)] {
            assert_eq!(umqtt_core_configure(p, &bad), UmqttStatus::BadArgument);
        }
        let mut s = settings(0, 1000, false);
        s.protocol_level = 5;
        let five = if cfg!(feature = "mqtt5") {
            UmqttStatus::Ok
        } else {
            UmqttStatus::BadArgument
        };
        assert_eq!(umqtt_core_configure(p, &s), five, "MQTT 5 with the feature only");
        s.protocol_level = 6;
        assert_eq!(umqtt_core_configure(p, &s), UmqttStatus::BadArgument);
        for m in [0, UMQTT_MAX_INFLIGHT as u8 + 1] {
            s = settings(0, 1000, false);
            s.max_inflight = m;
            assert_eq!(
                umqtt_core_configure(p, &s),
                UmqttStatus::BadArgument,
                "max_inflight {m}"
            );
        }
    }
}

// ----- 2. a whole conversation -------------------------------------------------

#[test]
fn a_whole_conversation_runs_through_the_c_abi() {
    let mut a = Abi::new();

    // --- before connect
    assert_eq!(a.configure(&settings(10, 5000, true)), UmqttStatus::Ok);
    unsafe { umqtt_core_seed(a.core(), 12345) };
    assert_eq!(a.status(), UmqttConnStatus::Closed);
    assert_eq!(a.poll_timeout(), u32::MAX);
    assert_eq!(a.event().map(|e| e.kind), None);
    assert_eq!(a.connect_result(), (UmqttStatus::NotConnected, false, 0));
    let (st, ..) = a.publish(TOPIC, PAYLOAD, 1, 64);
    assert_eq!(st, UmqttStatus::NotConnected);

    // --- connect: OPEN_TRANSPORT, transport up, CONNECT, CONNACK
    assert_eq!(a.connect(true), UmqttStatus::Ok);
    assert_eq!(a.status(), UmqttConnStatus::Connecting);
    assert_eq!(a.connect_result().0, UmqttStatus::Pending);
    let ev = a.event().unwrap();
    assert_eq!(ev.kind, UmqttEventKind::OpenTransport);
    assert_eq!(a.event().map(|e| e.kind), None);
    assert_eq!(unsafe { umqtt_core_open_timeout(a.core(), a.now) }, 5000);
    assert_eq!(a.poll_timeout(), 5000);
    let (st, ..) = a.publish(TOPIC, PAYLOAD, 1, 64);
    assert_eq!(st, UmqttStatus::WouldBlock, "publish while connecting");
    assert_eq!(
        a.transmit_kind(),
        UmqttTransmitKind::Nothing,
        "nothing before the transport is up"
    );
    a.tick(10);
    assert!(a.transport_up());
    assert!(
        !a.transport_up(),
        "a second transport_up: no attempt is opening"
    );
    assert_eq!(a.transmit().0.kind, UmqttTransmitKind::Connect);

    let will_payload = b"bye";
    let id = UmqttIdentity {
        client_id: b(b"dev1"),
        user: b(b"u"),
        password: b(b"pw"),
        will_topic: b(b"w/t"),
        will_payload: b(will_payload),
        will_qos: 1,
        will_retain: true,
        props: ABSENT,
        will_props: ABSENT,
    };
    // Size query first: NULL output of capacity 0, the size comes back and nothing changes.
    let (st, n, _) = a.encode_connect(&id, 0);
    assert_eq!((st, n), (UmqttStatus::BufferTooSmall, 35));
    assert_eq!(
        a.transmit_kind(),
        UmqttTransmitKind::Connect,
        "still asks for CONNECT"
    );
    let (st, n, connect) = a.encode_connect(&id, 64);
    assert_eq!((st, n), (UmqttStatus::Ok, 35));
    #[rustfmt::skip]
    assert_eq!(connect, [
        0x10, 33,                                   // CONNECT, remaining length
        0, 4, b'M', b'Q', b'T', b'T', 4,            // protocol name, level 4
        0xee,                                       // user, password, will retain, will QoS 1, will, clean
        0, 10,                                      // keep-alive 10 s
        0, 4, b'd', b'e', b'v', b'1',               // client id
        0, 3, b'w', b'/', b't',                     // will topic
        0, 3, b'b', b'y', b'e',                     // will payload
        0, 1, b'u',                                 // user
        0, 2, b'p', b'w',                           // password
    ]);
    assert_eq!(a.transmit_kind(), UmqttTransmitKind::Nothing);
    assert_eq!(
        a.encode_connect(&id, 64).0,
        UmqttStatus::NotConnected,
        "no CONNECT asked for"
    );
    assert_eq!(a.connect_result().0, UmqttStatus::Pending);

    a.tick(10);
    let (st, rx) = a.rx(&CONNACK[..3]);
    assert_eq!(
        (st, rx.kind, rx.n),
        (UmqttStatus::Ok, UmqttRxKind::NeedMore, 4)
    );
    a.rx_consumed(&CONNACK);
    let ev = a.event().unwrap();
    assert_eq!(
        (ev.kind, ev.session_present, ev.cause),
        (UmqttEventKind::Connected, false, UmqttStatus::Ok)
    );
    assert_eq!(a.event().map(|e| e.kind), None);
    assert_eq!(a.connect_result(), (UmqttStatus::Ok, false, 0));
    assert_eq!(a.status(), UmqttConnStatus::Connected);
    assert!(!unsafe { umqtt_core_session_present(a.core()) });
    assert_eq!(a.cause(), UmqttStatus::Ok);
    assert_eq!(unsafe { umqtt_core_open_timeout(a.core(), a.now) }, 0);
    let w = a.poll_timeout();
    assert!(w > 0 && w <= 10_000, "keep-alive wait {w}");

    // --- publish QoS 1: too small a buffer first (the exact size, nothing changes), then for real
    a.tick(10);
    let (st, op, _) = a.publish(TOPIC, PAYLOAD, 1, 10);
    assert_eq!(
        (st, op.len, op.ticket),
        (UmqttStatus::BufferTooSmall, 11, 0)
    );
    assert!(!a.slot_in_use(0));
    assert_eq!(a.transmit_kind(), UmqttTransmitKind::Nothing);
    let (st, op, bytes) = a.publish(TOPIC, PAYLOAD, 1, 11);
    assert_eq!(st, UmqttStatus::Ok);
    assert_eq!(bytes, [0x32, 9, 0, 3, b'a', b'/', b'b', 0, 1, b'h', b'i']);
    assert_eq!(
        (op.len, op.ticket & 0xffff, op.slot),
        (11, 1, 0),
        "packet id 1, slot 0"
    );
    let t1 = op.ticket;
    assert!(a.slot_in_use(0));
    assert_eq!(a.ticket(t1), (UmqttStatus::Pending, 0));
    a.rx_consumed(&[0x40, 2, 0, 1]);
    assert_eq!(a.ticket(t1), (UmqttStatus::Ok, 0));
    assert_eq!(a.ticket(t1), (UmqttStatus::UnknownTicket, 0));
    assert!(!a.slot_in_use(0));

    // --- an incoming QoS 2 message: delivered (PUBREC queued) only once accepted
    a.tick(10);
    assert_eq!(
        a.accept(),
        (UmqttStatus::BadArgument, 0),
        "no message to accept"
    );
    let msg = [0x34u8, 8, 0, 2, b'a', b'b', 0x12, 0x34, b'x', b'y'];
    let (st, rx) = a.rx(&msg);
    assert_eq!((st, rx.kind), (UmqttStatus::Ok, UmqttRxKind::Message));
    assert_eq!(
        (rx.qos, rx.retain, rx.dup, rx.packet_id),
        (2, false, false, 0x1234)
    );
    assert_eq!(
        rx.topic,
        msg[4..].as_ptr(),
        "topic points into the caller's buffer"
    );
    assert_eq!(
        rx.payload,
        msg[8..].as_ptr(),
        "payload points into the caller's buffer"
    );
    // SAFETY: pointers into `msg`, which is alive and unchanged.
    unsafe {
        assert_eq!(core::slice::from_raw_parts(rx.topic, rx.topic_len), b"ab");
        assert_eq!(
            core::slice::from_raw_parts(rx.payload, rx.payload_len),
            b"xy"
        );
    }
    assert_eq!(
        a.transmit_kind(),
        UmqttTransmitKind::Nothing,
        "no PUBREC before accept"
    );
    assert_eq!(a.accept(), (UmqttStatus::Ok, 10));
    let (tx, bytes) = a.transmit();
    assert_eq!(
        (tx.kind, tx.len, bytes),
        (UmqttTransmitKind::Bytes, 4, vec![0x50, 2, 0x12, 0x34])
    );
    assert_eq!(a.transmit_kind(), UmqttTransmitKind::Nothing);
    assert_eq!(a.accept(), (UmqttStatus::BadArgument, 0), "accepted once");
    // The broker's re-send (DUP) is answered, not delivered again.
    let mut dup = msg;
    dup[0] |= 0x08;
    a.rx_consumed(&dup);
    assert_eq!(a.transmit().1, [0x50, 2, 0x12, 0x34]);
    a.rx_consumed(&[0x62, 2, 0x12, 0x34]);
    assert_eq!(a.transmit().1, [0x70, 2, 0x12, 0x34], "PUBCOMP");

    // --- 128 unreleased QoS 2 ids fill the core's table; a lent map takes over
    for pid in 1..=UMQTT_MAX_INBOUND_QOS2 as u16 {
        let p = incoming_qos2(pid);
        assert_eq!(a.rx(&p).1.kind, UmqttRxKind::Message, "id {pid}");
        assert_eq!(a.accept(), (UmqttStatus::Ok, 8), "id {pid}");
        let [h, l] = pid.to_be_bytes();
        assert_eq!(a.transmit().1, [0x50, 2, h, l]);
    }
    let p129 = incoming_qos2(129);
    assert_eq!(a.rx(&p129).1.kind, UmqttRxKind::Message);
    assert_eq!(a.accept(), (UmqttStatus::InboundFull, 0));
    assert_eq!(
        a.transmit_kind(),
        UmqttTransmitKind::Nothing,
        "nothing recorded"
    );
    // The map must outlive the core: leaked here, reclaimed at the very end (Miri reports leaks).
    let map: *mut [u8] = Box::into_raw(vec![0u8; UMQTT_INBOUND_MAP_BYTES].into_boxed_slice());
    let map_ptr = map.cast::<u8>();
    // SAFETY: `map` is UMQTT_INBOUND_MAP_BYTES writable bytes outliving the core; the short one
    // is a prefix of it, so even a wrongly kept short map would stay valid.
    unsafe {
        assert_eq!(
            umqtt_core_lend_inbound_map(a.core(), map_ptr, UMQTT_INBOUND_MAP_BYTES - 1),
            UmqttStatus::BadArgument,
            "short map"
        );
        assert_eq!(
            umqtt_core_lend_inbound_map(a.core(), map_ptr, UMQTT_INBOUND_MAP_BYTES),
            UmqttStatus::Ok
        );
        assert_eq!(
            umqtt_core_lend_inbound_map(a.core(), map_ptr, UMQTT_INBOUND_MAP_BYTES),
            UmqttStatus::BadArgument,
            "a map was lent already"
        );
    }
    assert_eq!(
        a.accept(),
        (UmqttStatus::Ok, 8),
        "the held message is accepted now"
    );
    assert_eq!(a.transmit().1, [0x50, 2, 0, 129]);
    // The 128 ids moved into the map: a re-send of id 1 is not delivered again.
    let mut again = incoming_qos2(1);
    again[0] |= 0x08;
    a.rx_consumed(&again);
    assert_eq!(a.transmit().1, [0x50, 2, 0, 1]);
    assert_eq!(a.transmit_kind(), UmqttTransmitKind::Nothing);

    // --- subscribe without a slot; SUBACK 0x80 (failure): REFUSED with it, the ticket released
    let (st, op, bytes) = a.subscribe(b"a/#", 1, UMQTT_NO_SLOT);
    assert_eq!((st, op.slot, op.len), (UmqttStatus::Ok, 0, 10));
    let (ph, pl) = (bytes[2], bytes[3]);
    assert_eq!(bytes, [0x82, 8, ph, pl, 0, 3, b'a', b'/', b'#', 1]);
    assert_eq!(op.ticket & 0xffff, u32::from(u16::from_be_bytes([ph, pl])));
    assert_eq!(a.ticket(op.ticket), (UmqttStatus::Pending, 0));
    a.rx_consumed(&[0x90, 3, ph, pl, 0x80]);
    assert_eq!(a.ticket(op.ticket), (UmqttStatus::Refused, 0x80));
    assert_eq!(a.ticket(op.ticket).0, UmqttStatus::UnknownTicket, "released");
    // A granted one, restored after a reconnect without session.
    let (st, op, bytes) = a.subscribe(b"s/+", 0, UMQTT_NO_SLOT);
    assert_eq!(st, UmqttStatus::Ok);
    assert_eq!(op.slot, 0, "the failed subscription freed its slot");
    let sub_slot = op.slot;
    a.rx_consumed(&[0x90, 3, bytes[2], bytes[3], 0]);
    assert_eq!(a.ticket(op.ticket), (UmqttStatus::Ok, 0));

    // --- the link breaks with a QoS 1 publish in flight: back-off, reconnect, re-send with DUP
    a.tick(10);
    let (st, op, bytes) = a.publish(TOPIC, b"again", 1, 64);
    assert_eq!(st, UmqttStatus::Ok);
    assert_eq!(bytes[0], 0x32);
    let (t2, slot2) = (op.ticket, op.slot);
    let [qh, ql] = [bytes[7], bytes[8]];
    a.tick(10);
    a.transport_down(UmqttStatus::Io);
    let ev = a.event().unwrap();
    assert_eq!(
        (ev.kind, ev.cause, ev.code),
        (UmqttEventKind::ConnectionLost, UmqttStatus::Io, 0)
    );
    assert_eq!(a.events(), [UmqttEventKind::ReconnectStart]);
    assert_eq!(a.status(), UmqttConnStatus::Connecting);
    assert_eq!(a.cause(), UmqttStatus::Io);
    assert_eq!(
        a.ticket(t2),
        (UmqttStatus::Pending, 0),
        "still in flight while reconnecting"
    );
    assert_eq!(a.publish(TOPIC, PAYLOAD, 1, 64).0, UmqttStatus::WouldBlock);
    assert_eq!(a.transmit_kind(), UmqttTransmitKind::Nothing);
    assert_eq!(
        a.rx(&CONNACK).1.kind,
        UmqttRxKind::Idle,
        "no connection to receive on"
    );
    let backoff = a.poll_timeout();
    assert!(
        (500..=1000).contains(&backoff),
        "first back-off {backoff} ms"
    );
    a.tick(backoff - 1);
    assert_eq!(a.handle_timeout(), UmqttStatus::Ok);
    assert!(a.events().is_empty(), "not yet");
    a.tick(1);
    assert_eq!(a.poll_timeout(), 0);
    assert_eq!(a.handle_timeout(), UmqttStatus::Ok);
    assert_eq!(a.events(), [UmqttEventKind::OpenTransport]);
    assert_eq!(a.poll_timeout(), 5000);
    a.open_and_send_connect();
    a.rx_consumed(&CONNACK);
    let ev = a.event().unwrap();
    assert_eq!(
        (ev.kind, ev.session_present),
        (UmqttEventKind::Connected, false)
    );
    assert_eq!(a.events(), [UmqttEventKind::ReconnectSuccess]);
    assert_eq!(a.status(), UmqttConnStatus::Connected);
    assert!(!unsafe { umqtt_core_session_present(a.core()) });
    assert_eq!(
        a.publish(TOPIC, PAYLOAD, 1, 64).0,
        UmqttStatus::WouldBlock,
        "re-sends first"
    );
    let (tx, _) = a.transmit();
    assert_eq!((tx.kind, tx.slot), (UmqttTransmitKind::Publish, slot2));
    let (st, bytes) = a.encode_publish(slot2, TOPIC, b"again");
    assert_eq!(st, UmqttStatus::Ok);
    assert_eq!(
        bytes,
        [0x3a, 12, 0, 3, b'a', b'/', b'b', qh, ql, b'a', b'g', b'a', b'i', b'n'],
        "DUP set"
    );
    // Then the subscription restore (the failed one is not among them).
    let (tx, _) = a.transmit();
    assert_eq!((tx.kind, tx.slot), (UmqttTransmitKind::Subscribe, sub_slot));
    let mut out = [0u8; 64];
    let mut n = 99;
    // SAFETY: "s/+" and `out` are live for the lengths passed.
    let st = unsafe {
        umqtt_core_encode_subscribe(
            a.core(),
            sub_slot,
            b"s/+".as_ptr(),
            3,
            a.now,
            out.as_mut_ptr(),
            out.len(),
            &mut n,
        )
    };
    assert_eq!((st, n), (UmqttStatus::Ok, 10));
    let (rh, rl) = (out[2], out[3]);
    assert_eq!(out[..n], [0x82, 8, rh, rl, 0, 3, b's', b'/', b'+', 0]);
    assert_eq!(a.transmit_kind(), UmqttTransmitKind::Nothing);
    a.rx_consumed(&[0x90, 3, rh, rl, 0]);
    assert_eq!(
        a.publish(TOPIC, b"", 0, 64).0,
        UmqttStatus::Ok,
        "QoS 0 goes out again"
    );
    a.rx_consumed(&[0x40, 2, qh, ql]);
    assert_eq!(a.ticket(t2), (UmqttStatus::Ok, 0));

    // --- disconnect: e0 00, closed, no reconnect
    let mut out = [0u8; 2];
    let mut n = 99;
    // SAFETY: `out` is 2 writable bytes.
    assert_eq!(
        unsafe { umqtt_core_disconnect(a.core(), out.as_mut_ptr(), 2, &mut n) },
        UmqttStatus::Ok
    );
    assert_eq!((n, out), (2, [0xe0, 0]));
    assert_eq!(a.status(), UmqttConnStatus::Closed);
    assert_eq!(a.poll_timeout(), u32::MAX);
    assert!(a.events().is_empty());
    // SAFETY: NULL output of capacity 0.
    assert_eq!(
        unsafe { umqtt_core_disconnect(a.core(), null_mut(), 0, &mut n) },
        UmqttStatus::Ok
    );
    assert_eq!(n, 0, "nothing to say when not connected");
    a.transport_down(UmqttStatus::PeerClosed);
    assert_eq!(
        (a.status(), a.events()),
        (UmqttConnStatus::Closed, vec![]),
        "a late end of stream is ignored"
    );

    // --- reconnect off: a publish that never reached the transport is LOST when the link drops
    assert_eq!(a.configure(&settings(10, 5000, false)), UmqttStatus::Ok);
    assert_eq!(a.connect(true), UmqttStatus::Ok);
    assert_eq!(a.events(), [UmqttEventKind::OpenTransport]);
    a.open_and_send_connect();
    a.rx_consumed(&CONNACK);
    assert_eq!(a.events(), [UmqttEventKind::Connected]);
    let (st, op, _) = a.publish(TOPIC, b"lost", 1, 64);
    assert_eq!(st, UmqttStatus::Ok);
    let (t3, slot3) = (op.ticket, op.slot);
    assert!(a.slot_in_use(slot3));
    unsafe { umqtt_core_mark_unsent(a.core(), t3) };
    a.transport_down(UmqttStatus::Io);
    let ev = a.event().unwrap();
    assert_eq!(
        (ev.kind, ev.cause),
        (UmqttEventKind::ConnectionLost, UmqttStatus::Io)
    );
    assert!(
        a.events().is_empty(),
        "no RECONNECT_START with reconnect off"
    );
    assert_eq!(a.status(), UmqttConnStatus::Closed);
    assert_eq!(a.poll_timeout(), u32::MAX);
    assert_eq!(a.ticket(t3), (UmqttStatus::Lost, 0));
    assert!(
        !a.slot_in_use(slot3),
        "the never-sent publish was withdrawn"
    );

    drop(a);
    // SAFETY: from Box::into_raw above; the core that held it is gone.
    drop(unsafe { Box::from_raw(map) });
}

// ----- 3. texts ----------------------------------------------------------------

/// Every status, in declaration order.
const ALL_STATUSES: [UmqttStatus; 22] = {
    use UmqttStatus::*;
    [
        Ok,
        BufferTooSmall,
        BadArgument,
        InvalidTopic,
        NotConnected,
        InflightFull,
        ProtocolError,
        PacketTooLarge,
        KeepaliveTimeout,
        ConnectionRefused,
        Pending,
        UnknownTicket,
        AlreadyConnected,
        InboundFull,
        WouldBlock,
        Timeout,
        Io,
        PeerClosed,
        SubscriptionsFull,
        Lost,
        ServerDisconnect,
        Refused,
    ]
};

/// The receive bound and `chunked` reach the driver through umqtt_core_configure, on a live
/// session too: a PUBLISH of 129 bytes against max_packet 64 is PACKET_TOO_LARGE from its
/// fixed header, and with chunked it comes through handle_rx_head.
#[test]
fn max_packet_and_chunked_reach_the_driver_through_configure() {
    let mut a = Abi::new();
    let bounded = |chunked| UmqttSettings {
        max_packet: 64,
        chunked,
        ..settings(10, 5000, true)
    };
    assert_eq!(a.configure(&bounded(true)), UmqttStatus::Ok);
    assert_eq!(a.connect(true), UmqttStatus::Ok);
    assert_eq!(a.events(), [UmqttEventKind::OpenTransport]);
    a.open_and_send_connect();
    a.rx_consumed(&CONNACK);
    assert_eq!(a.events(), [UmqttEventKind::Connected]);
    let head = [0x30, 0x7f, 0, 1, b't', 0xAA];
    let mut rx = blank_rx();
    let st = unsafe { umqtt_core_handle_rx_head(a.core(), head.as_ptr(), head.len(), a.now, &mut rx) };
    assert_eq!((st, rx.kind, rx.n, rx.body_len), (UmqttStatus::Ok, UmqttRxKind::Message, 5, 124));
    assert_eq!(a.accept(), (UmqttStatus::Ok, 5));
    assert_eq!(a.configure(&bounded(false)), UmqttStatus::Ok);
    assert_eq!(a.status(), UmqttConnStatus::Connected, "a live session goes on");
    let (st, _) = a.rx(&head[..2]);
    assert_eq!(st, UmqttStatus::PacketTooLarge);
    assert_eq!(a.cause(), UmqttStatus::PacketTooLarge);
    assert_eq!(
        a.events(),
        [UmqttEventKind::ConnectionLost, UmqttEventKind::ReconnectStart]
    );
}

/// Fails to compile when a status is added without being put in `ALL_STATUSES`.
#[allow(dead_code)]
fn all_statuses_is_complete(s: UmqttStatus) -> usize {
    use UmqttStatus::*;
    match s {
        Ok | BufferTooSmall | BadArgument | InvalidTopic | NotConnected | InflightFull
        | ProtocolError | PacketTooLarge | KeepaliveTimeout | ConnectionRefused | Pending
        | UnknownTicket | AlreadyConnected | InboundFull | WouldBlock | Timeout | Io
        | PeerClosed | SubscriptionsFull | Lost | ServerDisconnect | Refused => ALL_STATUSES.len(),
    }
}

/// The text behind a C string pointer.
fn text(p: *const c_char) -> &'static str {
    assert!(!p.is_null());
    // SAFETY: non-NULL; the functions under test return static NUL-terminated strings.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap()
}

#[test]
fn every_status_and_every_connack_code_has_static_text() {
    let mut seen = Vec::new();
    for st in ALL_STATUSES {
        let t = text(umqtt_core_strerror(st));
        assert!(!t.is_empty() && t.len() < 80, "{st:?}: {t:?}");
        assert!(!seen.contains(&t), "{st:?} shares its text {t:?}");
        seen.push(t);
        assert_eq!(
            umqtt_core_strerror(st),
            umqtt_core_strerror(st),
            "static, not built per call"
        );
    }
    assert_eq!(text(umqtt_core_strerror(UmqttStatus::Ok)), "ok");
    let mut known = Vec::new();
    for code in 0..=255u8 {
        let t = text(umqtt_core_connack_text(code));
        assert!(!t.is_empty() && t.len() < 80, "code {code}: {t:?}");
        if code <= 5 {
            assert!(!known.contains(&t), "code {code} shares its text");
            known.push(t);
        } else {
            assert_eq!(t, "unknown return code", "code {code}");
        }
    }
    assert_eq!(
        text(umqtt_core_connack_text(4)),
        "bad user name or password"
    );
}

/// Subscription options from a script's values: packed for umqtt_core_subscribe, or the first one
/// refused named with the range it must be in, whatever the integers (negative, above 32 bits).
#[test]
fn subscription_options_are_packed_or_the_refused_one_is_named_with_its_range() {
    use UmqttSubOption as O;
    let packed = |(st, p): (UmqttStatus, UmqttSubPacked)| (st, p.options, p.sub_id, p.refused);
    let refused = |(st, p): (UmqttStatus, UmqttSubPacked)| (st, p.refused, p.lo, p.hi);
    let bad = UmqttStatus::BadArgument;
    for level in [3, 4, 5] {
        for qos in 0..=2 {
            let got = packed(sub_options(level, &sub_given(qos, 0, None)));
            assert_eq!(got, (UmqttStatus::Ok, qos, 0, O::None), "level {level}");
        }
        for qos in [3, 0xff] {
            let got = refused(sub_options(level, &sub_given(qos, 0, None)));
            assert_eq!(got, (bad, O::Qos, 0, 2), "qos {qos}");
        }
        for rh in [3, -1, isize::MAX] {
            let got = refused(sub_options(level, &sub_given(1, rh, None)));
            assert_eq!(got, (bad, O::RetainHandling, 0, 2), "retain_handling {rh}");
        }
        for id in [0, -5, 268_435_456, isize::MAX] {
            let got = refused(sub_options(level, &sub_given(1, 0, Some(id))));
            assert_eq!(got, (bad, O::SubscriptionIdentifier, 1, 268_435_455), "id {id}");
        }
    }
    // Beyond the QoS: level 5 only (and only with MQTT 5).
    let mut all = sub_given(1, 2, Some(300));
    all.no_local = true;
    all.retain_as_published = true;
    for level in [3, 4] {
        assert_eq!(refused(sub_options(level, &all)).1, O::Version, "level {level}");
        let mut nl = sub_given(0, 0, None);
        nl.no_local = true;
        assert_eq!(refused(sub_options(level, &nl)).1, O::Version, "no_local, level {level}");
    }
    let expected = if cfg!(feature = "mqtt5") {
        (UmqttStatus::Ok, 0x2d, 300, O::None)
    } else {
        (bad, 0, 0, O::Version)
    };
    assert_eq!(packed(sub_options(5, &all)), expected);
}

/// What umqtt_core_sub_options packed is what umqtt_core_subscribe sends; below MQTT 5 a refused
/// command carries no reason code.
#[test]
fn packed_options_go_on_the_wire() {
    let mut a = Abi::new();
    assert_eq!(a.configure(&settings(0, 5000, false)), UmqttStatus::Ok);
    assert_eq!(a.connect(true), UmqttStatus::Ok);
    a.open_and_send_connect();
    a.rx_consumed(&CONNACK);
    let (st, p) = sub_options(4, &sub_given(2, 0, None));
    assert_eq!(st, UmqttStatus::Ok);
    let (st, _, bytes) = a.subscribe(b"a", p.options, UMQTT_NO_SLOT);
    assert_eq!(st, UmqttStatus::Ok);
    assert_eq!(bytes[4..], [0, 1, b'a', 2]);
}

/// The reason code of a refused command: "packet too large" under MQTT 5 only, nothing else.
#[test]
fn a_refused_command_carries_packet_too_large_under_mqtt_5_only() {
    for st in ALL_STATUSES {
        for level in [3, 4, 5] {
            let expected = if level == 5 && st == UmqttStatus::PacketTooLarge { 0x95 } else { 0 };
            assert_eq!(umqtt_core_refusal_code(level, st), expected, "{st:?} level {level}");
        }
    }
}

/// MQTT 5 through the ABI: a SUBACK's reason code from 0x80 is REFUSED, one below it OK; a command
/// above the broker's Maximum Packet Size carries "packet too large".
#[cfg(feature = "mqtt5")]
#[test]
fn mqtt5_failure_codes_and_the_reason_code_of_a_refused_command() {
    let mut a = Abi::new();
    let mut s = settings(0, 5000, false);
    s.protocol_level = 5;
    assert_eq!(a.configure(&s), UmqttStatus::Ok);
    assert_eq!(a.connect(true), UmqttStatus::Ok);
    assert!(a.transport_up());
    assert_eq!(a.transmit_kind(), UmqttTransmitKind::Connect);
    let (st, ..) = a.encode_connect(&identity(b"c"), 64);
    assert_eq!(st, UmqttStatus::Ok);
    // CONNACK: Maximum Packet Size 20; a publish above it carries "packet too large".
    a.rx_consumed(&[0x20, 8, 0, 0, 5, 0x27, 0, 0, 0, 20]);
    let (st, ..) = a.publish(TOPIC, &[0; 30], 1, 64);
    assert_eq!((st, umqtt_core_refusal_code(5, st)), (UmqttStatus::PacketTooLarge, 0x95));
    for (code, expected) in [(0x01, UmqttStatus::Ok), (0x87, UmqttStatus::Refused), (0xa2, UmqttStatus::Refused)] {
        let (_, p) = sub_options(5, &sub_given(1, 0, Some(7)));
        let (st, op, bytes) = a.subscribe(b"s/#", p.options, UMQTT_NO_SLOT);
        assert_eq!(st, UmqttStatus::Ok);
        a.rx_consumed(&[0x90, 4, bytes[2], bytes[3], 0, code]);
        assert_eq!(a.ticket(op.ticket), (expected, code), "SUBACK {code:#x}");
    }
}

// ----- 4. static checks --------------------------------------------------------

#[test]
fn the_core_fits_its_storage() {
    let (size, align) = (
        core::mem::size_of::<ptr::Core>(),
        core::mem::align_of::<ptr::Core>(),
    );
    println!("size_of::<Core>() = {size} (UMQTT_CORE_SIZE {UMQTT_CORE_SIZE}), align_of = {align}");
    assert!(size <= UMQTT_CORE_SIZE);
    assert!(align <= UMQTT_CORE_ALIGN);
}

#[test]
fn the_header_defines_the_same_constants_as_the_crate() {
    let h = include_str!("../include/umqtt_core.h");
    let define = |name: &str| -> i64 {
        let line = h
            .lines()
            .find(|l| {
                l.strip_prefix("#define ")
                    .and_then(|r| r.strip_prefix(name))
                    .is_some_and(|r| r.starts_with(' '))
            })
            .unwrap_or_else(|| panic!("no #define {name}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    // One size per build: without MQTT 5 first, then with it (#if UMQTT_MQTT5).
    let sizes: Vec<i64> = h
        .lines()
        .filter_map(|l| l.strip_prefix("#define UMQTT_CORE_SIZE "))
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(sizes.len(), 2, "{sizes:?}");
    assert_eq!(
        sizes[usize::from(cfg!(feature = "mqtt5"))],
        UMQTT_CORE_SIZE as i64
    );
    assert_eq!(define("UMQTT_CORE_ALIGN"), UMQTT_CORE_ALIGN as i64);
    assert_eq!(define("UMQTT_MAX_INFLIGHT"), UMQTT_MAX_INFLIGHT as i64);
    assert_eq!(
        define("UMQTT_MAX_INBOUND_QOS2"),
        UMQTT_MAX_INBOUND_QOS2 as i64
    );
    assert_eq!(
        define("UMQTT_INBOUND_MAP_BYTES"),
        UMQTT_INBOUND_MAP_BYTES as i64
    );
    assert_eq!(
        define("UMQTT_MAX_SUBSCRIPTIONS"),
        UMQTT_MAX_SUBSCRIPTIONS as i64
    );
    assert_eq!(define("UMQTT_MAX_STRING"), UMQTT_MAX_STRING as i64);
    assert_eq!(define("UMQTT_NO_SLOT"), i64::from(UMQTT_NO_SLOT));
    let mut in_header: Vec<i32> = h
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("UMQTT_STATUS_"))
        .map(|l| {
            l.split(" = ")
                .nth(1)
                .unwrap()
                .trim_end_matches(',')
                .parse()
                .unwrap()
        })
        .collect();
    in_header.sort_unstable();
    let mut in_crate: Vec<i32> = ALL_STATUSES.iter().map(|&s| s as i32).collect();
    in_crate.sort_unstable();
    assert_eq!(in_header, in_crate, "the statuses of the header");
}

/// MQTT 5's property functions: a dict's worth of properties written by
/// name and read back; bad values and NULLs refused.
#[cfg(feature = "mqtt5")]
#[test]
fn properties_are_written_by_name_and_read_back() {
    use crate::props::*;
    let lookup = |name: &str| {
        let mut kind = UmqttPropType::Unknown;
        let id = unsafe { umqtt_props_lookup(name.as_ptr(), name.len(), &mut kind) };
        (id, kind, umqtt_props_is_list(id))
    };
    assert_eq!(lookup("content_type"), (0x03, UmqttPropType::Utf8, false));
    assert_eq!(lookup("user_properties"), (0x26, UmqttPropType::Pair, true));
    assert_eq!(lookup("subscription_identifiers"), (0x0b, UmqttPropType::Int, true), "a list of ints");
    assert_eq!(lookup("message_expiry_interval"), (0x02, UmqttPropType::Int, false));
    assert_eq!(lookup("nope"), (0, UmqttPropType::Unknown, false));
    // Topic Alias Maximum: at most what the core keeps.
    for (asked, written) in [(5u32, 5u8), (16, 16), (17, 16), (u32::MAX, 16)] {
        let mut b = [0u8; 8];
        let mut n = 0usize;
        let st = unsafe { umqtt_props_put_int(b.as_mut_ptr(), 8, &mut n, 0x22, asked) };
        assert_eq!((st, &b[..n]), (UmqttStatus::Ok, &[0x22, 0, written][..]), "asked {asked}");
    }
    let mut buf = [0u8; 64];
    let mut len = 0usize;
    unsafe {
        let b = buf.as_mut_ptr();
        assert_eq!(umqtt_props_put_int(b, 64, &mut len, 0x02, 3600), UmqttStatus::Ok);
        assert_eq!(umqtt_props_put_int(b, 64, &mut len, 0x01, 256), UmqttStatus::BadArgument, "not a byte");
        assert_eq!(umqtt_props_put_int(b, 64, &mut len, 0x03, 1), UmqttStatus::BadArgument, "not an integer");
        let (k, v) = (b"k", b"v1");
        assert_eq!(
            umqtt_props_put_bytes(b, 64, &mut len, 0x26, k.as_ptr(), 1, v.as_ptr(), 2),
            UmqttStatus::Ok
        );
        let bad = [0xffu8];
        assert_eq!(
            umqtt_props_put_bytes(b, 64, &mut len, 0x03, bad.as_ptr(), 1, null(), 0),
            UmqttStatus::BadArgument,
            "not UTF-8"
        );
        let before = len;
        assert_eq!(
            umqtt_props_put_bytes(b, 12, &mut len, 0x09, bad.as_ptr(), 1, null(), 0),
            UmqttStatus::BufferTooSmall
        );
        assert_eq!(len, before, "untouched when it does not fit");
        assert_eq!(umqtt_props_put_int(null_mut(), 0, &mut len, 0x02, 1), UmqttStatus::BufferTooSmall);
        assert_eq!(umqtt_props_put_int(b, 64, null_mut(), 0x02, 1), UmqttStatus::BadArgument);
    }
    assert_eq!(&buf[..len], &[0x02, 0, 0, 0x0e, 0x10, 0x26, 0, 1, b'k', 0, 2, b'v', b'1']);
    let mut off = 0usize;
    let mut p = UmqttProperty {
        id: 0,
        kind: UmqttPropType::Unknown,
        list: false,
        value: 0,
        a: ABSENT,
        b: ABSENT,
    };
    let mut seen = Vec::new();
    while unsafe { umqtt_props_next(buf.as_ptr(), len, &mut off, &mut p) } {
        let a = if p.a.ptr.is_null() {
            vec![]
        } else {
            unsafe { core::slice::from_raw_parts(p.a.ptr, p.a.len) }.to_vec()
        };
        seen.push((p.id, p.kind, p.list, p.value, a));
        let mut n = 0;
        assert!(!unsafe { umqtt_props_name(p.id, &mut n) }.is_null());
    }
    assert_eq!(off, len);
    assert_eq!(
        seen,
        [
            (0x02, UmqttPropType::Int, false, 3600, vec![]),
            (0x26, UmqttPropType::Pair, true, 0, b"k".to_vec()),
        ]
    );
    assert!(!unsafe { umqtt_props_next(buf.as_ptr(), 2, &mut 0, &mut p) }, "a cut property");
    assert!(!unsafe { umqtt_props_next(null(), 2, &mut 0, &mut p) });
    let mut n = 0;
    let name = unsafe { umqtt_reason_name(0x87, &mut n) };
    assert_eq!(unsafe { core::slice::from_raw_parts(name, n) }, b"not authorized");
}
