//! A scripted broker on a fake clock: the test plays the broker, the core is
//! driven only through its public API.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use umqtt_core::{Client, ConnState, ConnectOptions, Error, EventKind, Rx};

/// An event copied out of the borrowed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ev {
    pub kind: EventKind,
    pub code: u8,
    pub session_present: bool,
    pub qos: u8,
    pub retain: bool,
    pub dup: bool,
    pub deliver: bool,
    pub packet_id: u16,
    pub ticket: u32,
    pub topic: Vec<u8>,
    pub payload: Vec<u8>,
    pub reply: Vec<u8>,
}

/// What one handle_rx call gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Got {
    NeedMore(usize),
    Event(usize, Ev),
    Refused(usize, u8),
}

pub fn got(r: Result<Rx<'_>, Error>) -> Result<Got, Error> {
    r.map(|rx| match rx {
        Rx::NeedMore(n) => Got::NeedMore(n),
        Rx::Refused { consumed, code } => Got::Refused(consumed, code),
        Rx::Event { consumed, event: e } => Got::Event(
            consumed,
            Ev {
                kind: e.kind,
                code: e.code,
                session_present: e.session_present,
                qos: e.qos,
                retain: e.retain,
                dup: e.dup,
                deliver: e.deliver,
                packet_id: e.packet_id,
                ticket: e.ticket,
                topic: e.topic.to_vec(),
                payload: e.payload.to_vec(),
                reply: e.reply().map(|r| r.to_vec()).unwrap_or_default(),
            },
        ),
    })
}

/// The client under test, its fake clock and its outgoing wire.
pub struct Pair {
    pub client: Client<'static>,
    pub now: u32,
}

impl Default for Pair {
    fn default() -> Self {
        Self::new()
    }
}

impl Pair {
    pub fn new() -> Self {
        Pair {
            client: Client::new(),
            now: 1_000,
        }
    }

    pub fn opts(keepalive_s: u16) -> ConnectOptions<'static> {
        ConnectOptions {
            client_id: b"test",
            keepalive_s,
            ..ConnectOptions::default()
        }
    }

    /// CONNECT with `o`; returns its bytes.
    pub fn connect_with(&mut self, o: &ConnectOptions<'_>) -> Vec<u8> {
        let mut out = vec![0u8; 512];
        let n = self.client.connect(o, self.now, &mut out).unwrap();
        out.truncate(n);
        out
    }

    /// CONNECT + accepted CONNACK.
    pub fn connected(keepalive_s: u16) -> Self {
        let mut p = Pair::new();
        p.connect_with(&Self::opts(keepalive_s));
        let e = p.rx_event(&[0x20, 2, 0, 0]);
        assert_eq!(e.kind, EventKind::Connack);
        assert_eq!(p.client.state(), ConnState::Connected);
        p
    }

    /// Feeds bytes that must hold exactly one packet.
    /// A delivered QoS 2 message is taken at once, as the driver's
    /// `accept_message` does once the caller holds it.
    pub fn rx(&mut self, bytes: &[u8]) -> Result<Got, Error> {
        let g = got(self.client.handle_rx(bytes, self.now))?;
        if let Got::Event(_, e) = &g {
            if e.kind == EventKind::Message && e.qos == 2 && e.deliver {
                self.client.session_mut().on_incoming_qos2(e.packet_id)?;
            }
        }
        Ok(g)
    }

    /// Re-encodes the PUBLISH of ticket `t` (by its slot).
    pub fn resend(&mut self, t: u32, topic: &[u8], payload: &[u8]) -> Result<Vec<u8>, Error> {
        let slot = self
            .client
            .session()
            .slot_of(t)
            .ok_or(Error::UnknownTicket)?;
        let mut out = vec![0u8; 64 + payload.len()];
        let n = self
            .client
            .encode_resend(slot, topic, payload, &[], self.now, &mut out)?;
        out.truncate(n);
        Ok(out)
    }

    /// Feeds one whole packet and returns its event.
    pub fn rx_event(&mut self, bytes: &[u8]) -> Ev {
        match self.rx(bytes) {
            Ok(Got::Event(n, e)) => {
                assert_eq!(n, bytes.len(), "consumed");
                e
            }
            other => panic!("expected an event, got {other:?}"),
        }
    }

    pub fn publish(
        &mut self,
        topic: &[u8],
        payload: &[u8],
        qos: u8,
    ) -> Result<(Vec<u8>, u32), Error> {
        let mut out = vec![0u8; payload.len() + topic.len() + 16];
        let sent = self
            .client
            .publish(topic, payload, qos, false, self.now, &mut out)?;
        out.truncate(sent.len);
        Ok((out, sent.ticket))
    }

    pub fn subscribe(&mut self, filter: &[u8], qos: u8) -> Result<(Vec<u8>, u32), Error> {
        let mut out = vec![0u8; filter.len() + 16];
        let (n, t) = self.client.subscribe(filter, qos, self.now, &mut out)?;
        out.truncate(n);
        Ok((out, t))
    }

    pub fn unsubscribe(&mut self, filter: &[u8]) -> Result<(Vec<u8>, u32), Error> {
        let mut out = vec![0u8; filter.len() + 16];
        let (n, t) = self.client.unsubscribe(filter, self.now, &mut out)?;
        out.truncate(n);
        Ok((out, t))
    }

    /// poll_timers at the current time: (bytes to send, wait).
    pub fn poll(&mut self) -> Result<(Vec<u8>, u32), Error> {
        let mut out = [0u8; 8];
        let (n, w) = self.client.poll_timers(self.now, &mut out)?;
        Ok((out[..n].to_vec(), w))
    }

    /// Jumps the clock to the next wake-up and polls there.
    pub fn step(&mut self) -> Result<(Vec<u8>, u32), Error> {
        let (_, w) = self.poll()?;
        assert_ne!(w, u32::MAX, "nothing scheduled");
        self.now = self.now.wrapping_add(w);
        self.poll()
    }
}

/// Packet id of a QoS > 0 PUBLISH we encoded.
pub fn publish_pid(bytes: &[u8]) -> u16 {
    let mut i = 1;
    while bytes[i] & 0x80 != 0 {
        i += 1;
    }
    let topic_len = u16::from_be_bytes([bytes[i + 1], bytes[i + 2]]) as usize;
    let at = i + 3 + topic_len;
    u16::from_be_bytes([bytes[at], bytes[at + 1]])
}

pub fn ack(first: u8, pid: u16) -> [u8; 4] {
    let [h, l] = pid.to_be_bytes();
    [first, 2, h, l]
}
