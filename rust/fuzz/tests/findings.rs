//! Defects the fuzzer found in the driver, as minimal tests on the public
//! API (RELIABILITY.md, "Findings"). A defect's test was `#[ignore]`d while
//! it stood; each runs now that it is fixed.
use umqtt_core::driver::{Driver, Event, Identity, Rx, Settings, Transmit};
use umqtt_core::Error;

const NOW: u32 = 1_000;

/// Opens the transport and sends CONNECT as the shim does.
fn open(d: &mut Driver<'static>, clean: bool) {
    while d.poll_event().is_some() {}
    d.connect(clean, NOW);
    assert_eq!(d.poll_event(), Some(Event::OpenTransport));
    assert!(d.handle_transport_up(NOW));
    let mut out = [0u8; 64];
    assert_eq!(d.poll_transmit(NOW, &mut out), Ok(Transmit::Connect));
    let id = Identity {
        client_id: b"fuzz",
        ..Identity::default()
    };
    d.encode_connect(&id, NOW, &mut out).expect("CONNECT");
}

fn rx(d: &mut Driver<'static>, bytes: &[u8]) -> usize {
    match d.handle_rx(bytes, NOW) {
        Ok(Rx::Consumed(n) | Rx::Connack { consumed: n, .. }) => n,
        other => panic!("{other:?}"),
    }
}

/// Finding 1. A resumed session owes the re-sends of two QoS 1 messages;
/// the broker's PUBACK for the first arrives (in the same read as the
/// CONNACK) before the client re-sent it. The driver must then re-send only
/// the second. It asks instead for the re-send of the acknowledged one
/// (`Transmit::Publish { slot: 0 }`), which `encode_publish` refuses with
/// `UnknownTicket`, and asks for it again on every `poll_transmit`: the
/// second message, subscription restores and keep-alive PINGREQs stay
/// behind it and `publish()` answers `WouldBlock`, until the first
/// message's ticket is read (or forgotten).
#[test]
fn an_acknowledgement_ahead_of_its_resend_does_not_block_the_other_resends() {
    let mut d = Driver::new();
    d.configure(Settings::default()).expect("settings");
    open(&mut d, true);
    rx(&mut d, &[0x20, 2, 0, 0]);
    let mut out = [0u8; 64];
    let a = d.publish(b"a", b"1", 1, false, NOW, &mut out).expect("publish a");
    let b = d.publish(b"b", b"2", 1, false, NOW, &mut out).expect("publish b");
    assert_eq!((a.slot, b.slot), (0, 1));

    // The application reconnects, resuming the session.
    open(&mut d, false);
    let read = [0x20, 2, 1, 0, 0x40, 2, 0, 1]; // CONNACK(session present), PUBACK 1
    let n = rx(&mut d, &read);
    rx(&mut d, &read[n..]);
    assert_eq!(d.client().inflight_count(), 1, "message a is acknowledged");

    // Only b is owed.
    assert_eq!(d.poll_transmit(NOW, &mut out), Ok(Transmit::Publish { slot: 1 }));
    assert_eq!(d.encode_publish(1, b"b", b"2", NOW, &mut out).map(|n| out[0] & 0x08 != 0 && n > 0), Ok(true));
    assert_eq!(d.poll_transmit(NOW, &mut out), Ok(Transmit::Nothing));
    assert!(d.is_ready());
}
