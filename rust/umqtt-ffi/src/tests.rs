//! The extern functions called as C would: through raw, caller-owned storage.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use core::ptr::{null, null_mut};

#[repr(C, align(8))]
struct Storage([u8; UMQTT_CORE_SIZE]);

fn storage() -> Box<Storage> {
    Box::new(Storage([0xa5; UMQTT_CORE_SIZE]))
}

fn b(s: &[u8]) -> UmqttBytes {
    UmqttBytes {
        ptr: s.as_ptr(),
        len: s.len(),
    }
}

const NONE: UmqttBytes = UmqttBytes {
    ptr: null(),
    len: 0,
};

fn opts(client_id: &[u8]) -> UmqttConnectOptions {
    UmqttConnectOptions {
        client_id: b(client_id),
        user: NONE,
        password: NONE,
        will_topic: NONE,
        will_payload: NONE,
        will_qos: 0,
        will_retain: false,
        clean_session: true,
        keepalive_s: 60,
        protocol_level: 4,
        ping_max_missed: 0,
    }
}

unsafe fn rx(core: *mut c_void, bytes: &[u8], ev: &mut UmqttEvent) -> (UmqttStatus, usize) {
    let mut consumed = 99usize;
    let st =
        unsafe { umqtt_core_handle_rx(core, bytes.as_ptr(), bytes.len(), 0, &mut consumed, ev) };
    (st, consumed)
}

/// A core connected to a broker that accepted it.
unsafe fn connected(s: &mut Storage) -> *mut c_void {
    let core = s.0.as_mut_ptr().cast::<c_void>();
    unsafe {
        assert_eq!(umqtt_core_init(core, UMQTT_CORE_SIZE), UmqttStatus::Ok);
        let mut out = [0u8; 64];
        let mut n = 0;
        assert_eq!(
            umqtt_core_connect(core, &opts(b"c"), 0, out.as_mut_ptr(), out.len(), &mut n),
            UmqttStatus::Ok
        );
        let mut ev = empty_event();
        assert_eq!(rx(core, &[0x20, 2, 0, 0], &mut ev), (UmqttStatus::Ok, 4));
        assert_eq!(ev.kind, UmqttEventKind::Connack);
    }
    core
}

#[test]
fn the_core_fits_its_storage_on_this_target() {
    eprintln!(
        "size_of Core = {}, Client = {}, align = {}",
        core::mem::size_of::<Core>(),
        core::mem::size_of::<Client>(),
        core::mem::align_of::<Core>()
    );
    assert!(core::mem::size_of::<Core>() <= UMQTT_CORE_SIZE);
    assert!(
        core::mem::size_of::<Core>() > UMQTT_CORE_SIZE - 64,
        "UMQTT_CORE_SIZE could shrink"
    );
}

#[test]
fn init_refuses_null_short_or_misaligned_storage() {
    let mut s = storage();
    let p = s.0.as_mut_ptr().cast::<c_void>();
    unsafe {
        assert_eq!(
            umqtt_core_init(null_mut(), UMQTT_CORE_SIZE),
            UmqttStatus::BadArgument
        );
        assert_eq!(
            umqtt_core_init(p, UMQTT_CORE_SIZE - 1),
            UmqttStatus::BadArgument
        );
        let mut big = [0u64; UMQTT_CORE_SIZE / 8 + 1];
        let odd = big.as_mut_ptr().cast::<u8>().add(1).cast::<c_void>();
        assert_eq!(
            umqtt_core_init(odd, UMQTT_CORE_SIZE),
            UmqttStatus::BadArgument
        );
        assert_eq!(umqtt_core_init(p, UMQTT_CORE_SIZE), UmqttStatus::Ok);
        assert_eq!(umqtt_core_state(p), UmqttConnState::Disconnected);
        assert_eq!(umqtt_core_inflight_count(p), 0);
    }
}

#[test]
fn calls_on_storage_never_initialised_are_refused() {
    let mut s = storage();
    let p = s.0.as_mut_ptr().cast::<c_void>();
    let mut out = [0u8; 8];
    let mut n = 0;
    unsafe {
        assert_eq!(
            umqtt_core_ping(p, 0, out.as_mut_ptr(), 8, &mut n),
            UmqttStatus::BadArgument
        );
        assert_eq!(umqtt_core_state(p), UmqttConnState::Disconnected);
    }
}

#[test]
fn connect_encodes_the_expected_bytes() {
    let mut s = storage();
    let core = s.0.as_mut_ptr().cast::<c_void>();
    let mut out = [0u8; 64];
    let mut n = 0;
    unsafe {
        umqtt_core_init(core, UMQTT_CORE_SIZE);
        let mut o = opts(b"dev1");
        o.user = b(b"u");
        o.password = b(b"pw");
        o.keepalive_s = 30;
        assert_eq!(
            umqtt_core_connect(core, &o, 0, out.as_mut_ptr(), out.len(), &mut n),
            UmqttStatus::Ok
        );
        assert_eq!(umqtt_core_state(core), UmqttConnState::Connecting);
    }
    assert_eq!(
        &out[..n],
        &[
            0x10, 23, 0, 4, b'M', b'Q', b'T', b'T', 4, 0xc2, 0, 30, 0, 4, b'd', b'e', b'v', b'1',
            0, 1, b'u', 0, 2, b'p', b'w'
        ]
    );
}

#[test]
fn connect_with_a_short_buffer_reports_the_size_and_stays_disconnected() {
    let mut s = storage();
    let core = s.0.as_mut_ptr().cast::<c_void>();
    let mut n = 0;
    unsafe {
        umqtt_core_init(core, UMQTT_CORE_SIZE);
        assert_eq!(
            umqtt_core_connect(core, &opts(b"cid"), 0, null_mut(), 0, &mut n),
            UmqttStatus::BufferTooSmall
        );
        assert_eq!(n, 17);
        assert_eq!(umqtt_core_state(core), UmqttConnState::Disconnected);
    }
}

#[test]
fn connect_validates_its_options() {
    let mut s = storage();
    let core = s.0.as_mut_ptr().cast::<c_void>();
    let mut out = [0u8; 128];
    let mut n = 0;
    let mut try_connect = |o: &UmqttConnectOptions| unsafe {
        umqtt_core_connect(core, o, 0, out.as_mut_ptr(), out.len(), &mut n)
    };
    unsafe { umqtt_core_init(core, UMQTT_CORE_SIZE) };
    let mut o = opts(b"");
    o.clean_session = false;
    assert_eq!(
        try_connect(&o),
        UmqttStatus::BadArgument,
        "empty id needs clean session"
    );
    let mut o = opts(b"c");
    o.protocol_level = 5;
    assert_eq!(try_connect(&o), UmqttStatus::BadArgument);
    let mut o = opts(b"c");
    o.protocol_level = 3;
    o.password = b(b"p");
    assert_eq!(
        try_connect(&o),
        UmqttStatus::BadArgument,
        "3.1: password needs user"
    );
    let mut o = opts(b"abcdefghijklmnopqrstuvwx");
    o.protocol_level = 3;
    assert_eq!(
        try_connect(&o),
        UmqttStatus::BadArgument,
        "3.1: id of 24 bytes"
    );
    let mut o = opts(b"c");
    o.will_topic = b(b"w/+");
    assert_eq!(try_connect(&o), UmqttStatus::InvalidTopic);
    let mut o = opts(b"c");
    o.will_topic = b(b"w");
    o.will_qos = 3;
    assert_eq!(try_connect(&o), UmqttStatus::BadArgument);
    let mut o = opts(b"c");
    o.user = UmqttBytes {
        ptr: null(),
        len: 0,
    };
    o.client_id = UmqttBytes {
        ptr: null(),
        len: 5,
    };
    assert_eq!(
        try_connect(&o),
        UmqttStatus::BadArgument,
        "NULL with a length"
    );
    let mut o = opts(b"c");
    o.password = b(b"p");
    assert_eq!(
        try_connect(&o),
        UmqttStatus::BadArgument,
        "3.1.1: a password needs a user name (3.1.2.9)"
    );
    assert_eq!(try_connect(&opts(b"c")), UmqttStatus::Ok);
    assert_eq!(try_connect(&opts(b"c")), UmqttStatus::AlreadyConnected);
}

#[test]
fn null_pointers_give_bad_argument_everywhere() {
    let mut s = storage();
    let core = unsafe { connected(&mut s) };
    let mut out = [0u8; 64];
    let o = out.as_mut_ptr();
    let mut n = 0usize;
    let mut t = 0u32;
    let mut w = 0u32;
    let mut code = 0u8;
    let mut consumed = 0usize;
    let mut ev = empty_event();
    use UmqttStatus::BadArgument as B;
    unsafe {
        assert_eq!(umqtt_core_connect(core, null(), 0, o, 64, &mut n), B);
        assert_eq!(
            umqtt_core_connect(null_mut(), &opts(b"c"), 0, o, 64, &mut n),
            B
        );
        assert_eq!(
            umqtt_core_connect(core, &opts(b"c"), 0, o, 64, null_mut()),
            B
        );
        assert_eq!(
            umqtt_core_publish(
                null_mut(),
                b"t".as_ptr(),
                1,
                null(),
                0,
                0,
                false,
                0,
                o,
                64,
                &mut n,
                &mut t
            ),
            B
        );
        assert_eq!(
            umqtt_core_publish(
                core,
                null(),
                0,
                null(),
                0,
                0,
                false,
                0,
                o,
                64,
                &mut n,
                &mut t
            ),
            B
        );
        assert_eq!(
            umqtt_core_publish(
                core,
                b"t".as_ptr(),
                1,
                null(),
                3,
                0,
                false,
                0,
                o,
                64,
                &mut n,
                &mut t
            ),
            B
        );
        assert_eq!(
            umqtt_core_publish(
                core,
                b"t".as_ptr(),
                1,
                null(),
                0,
                0,
                false,
                0,
                null_mut(),
                64,
                &mut n,
                &mut t
            ),
            B
        );
        assert_eq!(
            umqtt_core_publish(
                core,
                b"t".as_ptr(),
                1,
                null(),
                0,
                0,
                false,
                0,
                o,
                64,
                null_mut(),
                &mut t
            ),
            B
        );
        assert_eq!(
            umqtt_core_publish(
                core,
                b"t".as_ptr(),
                1,
                null(),
                0,
                0,
                false,
                0,
                o,
                64,
                &mut n,
                null_mut()
            ),
            B
        );
        assert_eq!(
            umqtt_core_subscribe(core, null(), 0, 0, 0, o, 64, &mut n, &mut t),
            B
        );
        assert_eq!(
            umqtt_core_subscribe(core, b"t".as_ptr(), 1, 0, 0, o, 64, &mut n, null_mut()),
            B
        );
        assert_eq!(
            umqtt_core_unsubscribe(core, null(), 0, 0, o, 64, &mut n, &mut t),
            B
        );
        assert_eq!(
            umqtt_core_unsubscribe(null_mut(), b"t".as_ptr(), 1, 0, o, 64, &mut n, &mut t),
            B
        );
        assert_eq!(umqtt_core_ping(null_mut(), 0, o, 64, &mut n), B);
        assert_eq!(umqtt_core_ping(core, 0, o, 64, null_mut()), B);
        assert_eq!(
            umqtt_core_handle_rx(core, null(), 2, 0, &mut consumed, &mut ev),
            B
        );
        assert_eq!(
            umqtt_core_handle_rx(core, [0xd0u8, 0].as_ptr(), 2, 0, null_mut(), &mut ev),
            B
        );
        assert_eq!(
            umqtt_core_handle_rx(core, [0xd0u8, 0].as_ptr(), 2, 0, &mut consumed, null_mut()),
            B
        );
        assert_eq!(
            umqtt_core_handle_rx(
                null_mut(),
                [0xd0u8, 0].as_ptr(),
                2,
                0,
                &mut consumed,
                &mut ev
            ),
            B
        );
        assert_eq!(umqtt_core_ticket_result(core, 1, null_mut()), B);
        assert_eq!(umqtt_core_ticket_result(null_mut(), 1, &mut code), B);
        assert_eq!(
            umqtt_core_poll_timers(core, 0, o, 64, null_mut(), &mut w),
            B
        );
        assert_eq!(
            umqtt_core_poll_timers(core, 0, o, 64, &mut n, null_mut()),
            B
        );
        assert_eq!(
            umqtt_core_poll_timers(null_mut(), 0, o, 64, &mut n, &mut w),
            B
        );
        assert_eq!(umqtt_core_disconnect(null_mut(), o, 64, &mut n), B);
        assert_eq!(umqtt_core_disconnect(core, o, 64, null_mut()), B);
        umqtt_core_forget(null_mut(), 1);
        umqtt_core_connection_lost(null_mut());
        assert_eq!(umqtt_core_state(null()), UmqttConnState::Disconnected);
        assert_eq!(umqtt_core_inflight_count(null()), 0);
        // Nothing above disturbed the connection.
        assert_eq!(umqtt_core_state(core), UmqttConnState::Connected);
    }
}

#[test]
fn a_qos1_publish_completes_through_its_ticket() {
    let mut s = storage();
    let core = unsafe { connected(&mut s) };
    let mut out = [0u8; 64];
    let mut n = 0;
    let mut t = 0;
    let mut code = 9u8;
    let mut ev = empty_event();
    unsafe {
        assert_eq!(
            umqtt_core_publish(
                core,
                b"a/b".as_ptr(),
                3,
                b"hi".as_ptr(),
                2,
                1,
                false,
                5,
                out.as_mut_ptr(),
                64,
                &mut n,
                &mut t
            ),
            UmqttStatus::Ok
        );
        assert_eq!(
            &out[..n],
            &[0x32, 9, 0, 3, b'a', b'/', b'b', 0, 1, b'h', b'i']
        );
        assert_eq!(t & 0xffff, 1);
        assert_eq!(umqtt_core_inflight_count(core), 1);
        assert_eq!(
            umqtt_core_ticket_result(core, t, &mut code),
            UmqttStatus::Pending
        );
        assert_eq!(rx(core, &[0x40, 2, 0, 1], &mut ev), (UmqttStatus::Ok, 4));
        assert_eq!(ev.kind, UmqttEventKind::PublishDone);
        assert_eq!(ev.ticket, t);
        assert_eq!(umqtt_core_inflight_count(core), 0);
        assert_eq!(
            umqtt_core_ticket_result(core, t, &mut code),
            UmqttStatus::Ok
        );
        assert_eq!(code, 0);
        assert_eq!(
            umqtt_core_ticket_result(core, t, &mut code),
            UmqttStatus::UnknownTicket
        );
    }
}

#[test]
fn a_qos0_publish_with_a_null_empty_payload_has_ticket_zero() {
    let mut s = storage();
    let core = unsafe { connected(&mut s) };
    let mut out = [0u8; 64];
    let mut n = 0;
    let mut t = 7;
    unsafe {
        assert_eq!(
            umqtt_core_publish(
                core,
                b"t".as_ptr(),
                1,
                null(),
                0,
                0,
                true,
                0,
                out.as_mut_ptr(),
                64,
                &mut n,
                &mut t
            ),
            UmqttStatus::Ok
        );
    }
    assert_eq!((t, &out[..n]), (0, &[0x31u8, 3, 0, 1, b't'][..]));
}

#[test]
fn an_incoming_message_points_into_the_rx_buffer() {
    let mut s = storage();
    let core = unsafe { connected(&mut s) };
    let mut ev = empty_event();
    let pkt = [0x34u8, 8, 0, 2, b'a', b'b', 0x12, 0x34, b'x', b'y'];
    unsafe {
        assert_eq!(rx(core, &pkt, &mut ev), (UmqttStatus::Ok, 10));
        assert_eq!(ev.kind, UmqttEventKind::Message);
        assert_eq!((ev.qos, ev.packet_id, ev.deliver), (2, 0x1234, true));
        assert_eq!(core::slice::from_raw_parts(ev.topic, ev.topic_len), b"ab");
        assert_eq!(ev.topic, pkt.as_ptr().add(4));
        assert_eq!(
            core::slice::from_raw_parts(ev.payload, ev.payload_len),
            b"xy"
        );
        assert_eq!(&ev.reply[..ev.reply_len], &[0x50, 2, 0x12, 0x34]);
        assert_eq!(rx(core, &pkt, &mut ev), (UmqttStatus::Ok, 10));
        assert!(!ev.deliver);
        assert_eq!(
            rx(core, &[0x62, 2, 0x12, 0x34], &mut ev),
            (UmqttStatus::Ok, 4)
        );
        assert_eq!(ev.kind, UmqttEventKind::Pubrel);
        assert_eq!(&ev.reply[..ev.reply_len], &[0x70, 2, 0x12, 0x34]);
    }
}

#[test]
fn need_more_and_protocol_errors_come_through_the_abi() {
    let mut s = storage();
    let core = unsafe { connected(&mut s) };
    let mut ev = empty_event();
    unsafe {
        assert_eq!(
            rx(core, &[0x30, 10, 0], &mut ev),
            (UmqttStatus::NeedMore, 0)
        );
        assert_eq!(ev.need, 12);
        let mut consumed = 5;
        assert_eq!(
            umqtt_core_handle_rx(core, null(), 0, 0, &mut consumed, &mut ev),
            UmqttStatus::NeedMore
        );
        assert_eq!((consumed, ev.need), (0, 2));
        assert_eq!(
            rx(core, &[0x40, 0], &mut ev),
            (UmqttStatus::ProtocolError, 0)
        );
        assert_eq!(umqtt_core_state(core), UmqttConnState::Disconnected);
    }
}

#[test]
fn a_refused_connack_reports_its_code() {
    let mut s = storage();
    let core = s.0.as_mut_ptr().cast::<c_void>();
    let mut out = [0u8; 64];
    let mut n = 0;
    let mut ev = empty_event();
    unsafe {
        umqtt_core_init(core, UMQTT_CORE_SIZE);
        umqtt_core_connect(core, &opts(b"c"), 0, out.as_mut_ptr(), 64, &mut n);
        assert_eq!(
            rx(core, &[0x20, 2, 0, 5], &mut ev),
            (UmqttStatus::ConnectionRefused, 4)
        );
        assert_eq!((ev.kind, ev.code), (UmqttEventKind::Connack, 5));
        assert_eq!(umqtt_core_state(core), UmqttConnState::Disconnected);
    }
}

#[test]
fn subscribe_ticket_carries_the_suback_code() {
    let mut s = storage();
    let core = unsafe { connected(&mut s) };
    let mut out = [0u8; 64];
    let mut n = 0;
    let mut t = 0;
    let mut code = 0;
    let mut ev = empty_event();
    unsafe {
        assert_eq!(
            umqtt_core_subscribe(
                core,
                b"a/#".as_ptr(),
                3,
                1,
                0,
                out.as_mut_ptr(),
                64,
                &mut n,
                &mut t
            ),
            UmqttStatus::Ok
        );
        assert_eq!(&out[..n], &[0x82, 8, 0, 1, 0, 3, b'a', b'/', b'#', 1]);
        assert_eq!(
            rx(core, &[0x90, 3, 0, 1, 0x80], &mut ev),
            (UmqttStatus::Ok, 5)
        );
        assert_eq!(
            (ev.kind, ev.code, ev.ticket),
            (UmqttEventKind::Suback, 0x80, t)
        );
        assert_eq!(
            umqtt_core_ticket_result(core, t, &mut code),
            UmqttStatus::Ok
        );
        assert_eq!(code, 0x80);
        assert_eq!(
            umqtt_core_subscribe(
                core,
                b"a/#/b".as_ptr(),
                5,
                1,
                0,
                out.as_mut_ptr(),
                64,
                &mut n,
                &mut t
            ),
            UmqttStatus::InvalidTopic
        );
        assert_eq!(
            umqtt_core_unsubscribe(
                core,
                b"a".as_ptr(),
                1,
                0,
                out.as_mut_ptr(),
                64,
                &mut n,
                &mut t
            ),
            UmqttStatus::Ok
        );
        umqtt_core_forget(core, t);
        assert_eq!(
            umqtt_core_ticket_result(core, t, &mut code),
            UmqttStatus::UnknownTicket
        );
    }
}

#[test]
fn poll_timers_and_ping_follow_the_keepalive() {
    let mut s = storage();
    let core = unsafe { connected(&mut s) };
    let mut out = [0u8; 8];
    let mut n = 9;
    let mut w = 0;
    unsafe {
        assert_eq!(
            umqtt_core_poll_timers(core, 1000, out.as_mut_ptr(), 8, &mut n, &mut w),
            UmqttStatus::Ok
        );
        assert_eq!((n, w), (0, 54_000));
        assert_eq!(
            umqtt_core_poll_timers(core, 55_000, null_mut(), 0, &mut n, &mut w),
            UmqttStatus::BufferTooSmall
        );
        assert_eq!((n, w), (2, 0));
        assert_eq!(
            umqtt_core_poll_timers(core, 55_000, out.as_mut_ptr(), 8, &mut n, &mut w),
            UmqttStatus::Ok
        );
        assert_eq!((n, &out[..2], w), (2, &[0xc0u8, 0][..], 30_000));
        assert_eq!(
            umqtt_core_poll_timers(core, 85_000, out.as_mut_ptr(), 8, &mut n, &mut w),
            UmqttStatus::KeepaliveTimeout
        );
        assert_eq!(w, u32::MAX);
        assert_eq!(umqtt_core_state(core), UmqttConnState::Disconnected);
        assert_eq!(
            umqtt_core_ping(core, 0, out.as_mut_ptr(), 8, &mut n),
            UmqttStatus::NotConnected
        );
    }
}

#[test]
fn disconnect_encodes_two_bytes_and_disconnects() {
    let mut s = storage();
    let core = unsafe { connected(&mut s) };
    let mut out = [0u8; 2];
    let mut n = 0;
    unsafe {
        assert_eq!(
            umqtt_core_disconnect(core, out.as_mut_ptr(), 2, &mut n),
            UmqttStatus::Ok
        );
        assert_eq!((n, out), (2, [0xe0, 0]));
        assert_eq!(umqtt_core_state(core), UmqttConnState::Disconnected);
    }
}

#[test]
fn every_status_and_connack_code_has_text() {
    for st in 0..=13u32 {
        // SAFETY: every value 0..=13 is a declared discriminant.
        let st: UmqttStatus = unsafe { core::mem::transmute(st) };
        let p = umqtt_core_strerror(st);
        assert!(!p.is_null());
        assert!(!unsafe { core::ffi::CStr::from_ptr(p) }
            .to_bytes()
            .is_empty());
    }
    for code in 0..=255u8 {
        assert!(!umqtt_core_connack_text(code).is_null());
    }
    let s = unsafe { core::ffi::CStr::from_ptr(umqtt_core_connack_text(4)) };
    assert_eq!(s.to_str().unwrap(), "bad user name or password");
}

#[test]
fn check_topic_accepts_names_and_filters_and_refuses_wildcards_in_names() {
    let ok = |t: &[u8], f: bool| unsafe { umqtt_core_check_topic(t.as_ptr(), t.len(), f) };
    assert_eq!(ok(b"a/b", false), UmqttStatus::Ok);
    assert_eq!(ok(b"a/+", false), UmqttStatus::InvalidTopic);
    assert_eq!(ok(b"a/#", false), UmqttStatus::InvalidTopic);
    assert_eq!(ok(b"", false), UmqttStatus::InvalidTopic);
    assert_eq!(ok(b"a/+/c/#", true), UmqttStatus::Ok);
    assert_eq!(ok(b"a/b#", true), UmqttStatus::InvalidTopic);
    assert_eq!(
        unsafe { umqtt_core_check_topic(core::ptr::null(), 3, false) },
        UmqttStatus::BadArgument
    );
}

/// A QoS `qos` publish of topic `t`, payload `m` through the ABI: its ticket.
unsafe fn publish(core: *mut c_void, t: &[u8], m: &[u8], qos: u8) -> (UmqttStatus, u32) {
    let mut out = [0u8; 64];
    let (mut n, mut ticket) = (0, 0);
    let st = unsafe {
        umqtt_core_publish(
            core,
            t.as_ptr(),
            t.len(),
            m.as_ptr(),
            m.len(),
            qos,
            false,
            0,
            out.as_mut_ptr(),
            out.len(),
            &mut n,
            &mut ticket,
        )
    };
    (st, ticket)
}

/// encode_resend of `ticket` (topic `t`, payload `m`) into 64 bytes.
unsafe fn encode_resend(
    core: *mut c_void,
    ticket: u32,
    t: &[u8],
    m: &[u8],
) -> (UmqttStatus, Vec<u8>) {
    let mut out = [0u8; 64];
    let mut n = 99;
    let st = unsafe {
        umqtt_core_encode_resend(
            core,
            ticket,
            t.as_ptr(),
            t.len(),
            m.as_ptr(),
            m.len(),
            false,
            0,
            out.as_mut_ptr(),
            out.len(),
            &mut n,
        )
    };
    (st, out[..n].to_vec())
}

fn blank_item() -> UmqttResendItem {
    UmqttResendItem {
        kind: UmqttResendKind::Pubrel,
        ticket: 99,
        packet_id: 99,
        qos: 99,
        pubrel: [9; UMQTT_ACK_MAX],
    }
}

#[test]
fn the_new_calls_refuse_null_pointers_with_bad_argument() {
    let mut s = storage();
    let core = unsafe { connected(&mut s) };
    let mut out = [0u8; 64];
    let o = out.as_mut_ptr();
    let mut n = 0usize;
    let mut item = blank_item();
    use UmqttStatus::BadArgument as B;
    unsafe {
        let (_, t) = publish(core, b"t", b"x", 1);
        assert_eq!(umqtt_core_resend_item(null(), 0, &mut item), B);
        assert_eq!(
            (item.ticket, item.packet_id),
            (0, 0),
            "item written even on error"
        );
        assert_eq!(umqtt_core_resend_item(core, 0, null_mut()), B);
        let p = b"x".as_ptr();
        let tp = b"t".as_ptr();
        let f = umqtt_core_encode_resend;
        assert_eq!(f(null_mut(), t, tp, 1, p, 1, false, 0, o, 64, &mut n), B);
        assert_eq!(f(core, t, null(), 0, p, 1, false, 0, o, 64, &mut n), B);
        assert_eq!(f(core, t, tp, 1, null(), 1, false, 0, o, 64, &mut n), B);
        assert_eq!(f(core, t, tp, 1, p, 1, false, 0, null_mut(), 64, &mut n), B);
        assert_eq!(f(core, t, tp, 1, p, 1, false, 0, o, 64, null_mut()), B);
        assert_eq!(umqtt_core_set_max_inflight(null_mut(), 1), B);
        // Storage never initialised is refused like NULL.
        let mut raw = storage();
        let raw = raw.0.as_mut_ptr().cast::<c_void>();
        assert_eq!(umqtt_core_resend_item(raw, 0, &mut item), B);
        assert_eq!(umqtt_core_set_max_inflight(raw, 1), B);
        assert_eq!(f(raw, t, tp, 1, p, 1, false, 0, o, 64, &mut n), B);
        // The core is unchanged.
        assert_eq!(umqtt_core_inflight_count(core), 1);
        assert_eq!(umqtt_core_state(core), UmqttConnState::Connected);
    }
}

#[test]
fn a_resumed_session_lists_and_reencodes_its_messages_through_the_abi() {
    let mut s = storage();
    let core = unsafe { connected(&mut s) };
    let mut ev = empty_event();
    let mut item = blank_item();
    let mut code = 0u8;
    unsafe {
        let (_, t1) = publish(core, b"a", b"1", 1);
        let (_, t2) = publish(core, b"b", b"2", 2);
        assert_eq!(rx(core, &[0x50, 2, 0, 2], &mut ev), (UmqttStatus::Ok, 4));
        umqtt_core_connection_lost(core);
        let mut o = opts(b"c");
        o.clean_session = false;
        let mut out = [0u8; 64];
        let mut n = 0;
        assert_eq!(
            umqtt_core_connect(core, &o, 0, out.as_mut_ptr(), out.len(), &mut n),
            UmqttStatus::Ok
        );
        assert_eq!(rx(core, &[0x20, 2, 1, 0], &mut ev), (UmqttStatus::Ok, 4));
        assert!(ev.session_present);

        assert_eq!(umqtt_core_resend_item(core, 0, &mut item), UmqttStatus::Ok);
        assert_eq!(
            (
                item.kind,
                item.ticket,
                item.packet_id,
                item.qos,
                item.pubrel
            ),
            (UmqttResendKind::Publish, t1, 1, 1, [0; 4])
        );
        assert_eq!(umqtt_core_resend_item(core, 1, &mut item), UmqttStatus::Ok);
        assert_eq!(
            (
                item.kind,
                item.ticket,
                item.packet_id,
                item.qos,
                item.pubrel
            ),
            (UmqttResendKind::Pubrel, t2, 2, 2, [0x62, 2, 0, 2])
        );
        assert_eq!(
            umqtt_core_resend_item(core, 2, &mut item),
            UmqttStatus::UnknownTicket
        );

        assert_eq!(
            encode_resend(core, t1, b"a", b"1"),
            (UmqttStatus::Ok, vec![0x3a, 6, 0, 1, b'a', 0, 1, b'1'])
        );
        assert_eq!(
            encode_resend(core, t2, b"b", b"2").0,
            UmqttStatus::UnknownTicket
        );
        // Size query: NULL output, capacity 0.
        n = 0;
        let st = umqtt_core_encode_resend(
            core,
            t1,
            b"a".as_ptr(),
            1,
            b"1".as_ptr(),
            1,
            false,
            0,
            null_mut(),
            0,
            &mut n,
        );
        assert_eq!((st, n), (UmqttStatus::BufferTooSmall, 8));

        assert_eq!(rx(core, &[0x40, 2, 0, 1], &mut ev), (UmqttStatus::Ok, 4));
        assert_eq!((ev.kind, ev.ticket), (UmqttEventKind::PublishDone, t1));
        assert_eq!(rx(core, &[0x70, 2, 0, 2], &mut ev), (UmqttStatus::Ok, 4));
        assert_eq!((ev.kind, ev.ticket), (UmqttEventKind::PublishDone, t2));
        assert_eq!(
            umqtt_core_ticket_result(core, t1, &mut code),
            UmqttStatus::Ok
        );
        assert_eq!(
            umqtt_core_ticket_result(core, t2, &mut code),
            UmqttStatus::Ok
        );
        assert_eq!(
            umqtt_core_resend_item(core, 0, &mut item),
            UmqttStatus::UnknownTicket
        );

        umqtt_core_connection_lost(core);
        assert_eq!(
            encode_resend(core, t1, b"a", b"1").0,
            UmqttStatus::NotConnected
        );
    }
}

#[test]
fn set_max_inflight_bounds_publishes_and_refuses_out_of_range_values() {
    let mut s = storage();
    let core = unsafe { connected(&mut s) };
    unsafe {
        for bad in [0, UMQTT_MAX_INFLIGHT as u32 + 1, u32::MAX] {
            assert_eq!(
                umqtt_core_set_max_inflight(core, bad),
                UmqttStatus::BadArgument
            );
        }
        assert_eq!(umqtt_core_set_max_inflight(core, 1), UmqttStatus::Ok);
        assert_eq!(publish(core, b"t", b"", 2).0, UmqttStatus::Ok);
        assert_eq!(publish(core, b"t", b"", 1).0, UmqttStatus::InflightFull);
        assert_eq!(publish(core, b"t", b"", 0).0, UmqttStatus::Ok);
        assert_eq!(
            umqtt_core_set_max_inflight(core, UMQTT_MAX_INFLIGHT as u32),
            UmqttStatus::Ok
        );
        assert_eq!(publish(core, b"t", b"", 1).0, UmqttStatus::Ok);
    }
}

#[test]
fn backoff_ms_through_the_abi_is_the_core_policy() {
    assert_eq!(umqtt_core_backoff_ms(0, 0, 60_000, 12_345), 0);
    assert_eq!(umqtt_core_backoff_ms(0, 1_000, 60_000, 0), 500);
    assert_eq!(umqtt_core_backoff_ms(0, 1_000, 60_000, 500), 1_000);
    assert_eq!(umqtt_core_backoff_ms(3, 1_000, 60_000, 4_000), 8_000);
    let v = umqtt_core_backoff_ms(u32::MAX, 1_000, 60_000, u32::MAX);
    assert!((30_000..=60_000).contains(&v));
}

#[test]
fn next_is_message_tells_a_publish_from_other_packets() {
    let is = |b: &[u8]| unsafe { umqtt_core_next_is_message(b.as_ptr(), b.len()) };
    assert!(is(&[0x30, 0x05]));
    assert!(is(&[0x3b]));
    assert!(!is(&[0xd0, 0x00]));
    assert!(!is(&[0x62, 0x02, 0x00, 0x01]));
    assert!(!is(&[]));
    assert!(!unsafe { umqtt_core_next_is_message(core::ptr::null(), 0) });
}
