//! The C shim in miniature around a [`Driver`], on a fake clock, and the
//! broker's side of the wire.
//!
//! [`Shim`] calls the driver only as the shim does: commands, the
//! transport's coming up or going down, received bytes through
//! `handle_data_received` + `handle_rx` (+ `accept_message`),
//! `handle_timeout` when `poll_timeout` says, and draining `poll_transmit`
//! (answering `Connect`/`Publish`/`Subscribe` from the objects it keeps per
//! slot) and `poll_event` (answering `OpenTransport` as the scenario wants).
//! The test plays the broker: it reads what the client wrote from
//! [`Shim::wire`] and answers with bytes ([`Shim::broker_sends`]).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use umqtt_core::codec;
use umqtt_core::driver::{Driver, Event, Identity, Op, Rx, Settings, Transmit};
use umqtt_core::pid::PacketId;
use umqtt_core::{Error, MAX_INFLIGHT, MAX_SUBSCRIPTIONS};

/// The fake clock's start.
pub const START: u32 = 1_000;
pub const CLIENT_ID: &[u8] = b"test";

/// What the shim does when the driver asks it to open the transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Open {
    /// The transport opens at once (`handle_transport_up`).
    Up,
    /// Opening fails at once (`handle_transport_down(Io)`).
    Fail,
    /// Opening never finishes (a black-holed SYN): only the deadline ends it.
    Hang,
}

/// A message copied out of the borrowed one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    pub topic: Vec<u8>,
    pub payload: Vec<u8>,
    pub qos: u8,
    pub retain: bool,
    pub dup: bool,
    pub packet_id: u16,
    /// MQTT 5: the properties' bytes and the Topic Alias.
    pub props: Vec<u8>,
    pub alias: u16,
}

/// The shim.
pub struct Shim {
    pub d: Driver<'static>,
    pub now: u32,
    pub open: Open,
    /// Accept messages (false: the shim runs out of memory building them).
    pub accept: bool,
    /// The transport is open.
    pub up: bool,
    /// Received bytes not yet consumed.
    pub rxbuf: Vec<u8>,
    /// Every packet written, oldest first.
    pub wire: Vec<Vec<u8>>,
    pub events: Vec<Event>,
    /// Times at which `OpenTransport` was handled.
    pub opens: Vec<u32>,
    /// `Err`s of `handle_rx` / `handle_timeout`, with their time.
    pub errors: Vec<(u32, Error)>,
    /// `Err`s of `accept_message`.
    pub accept_errors: Vec<Error>,
    /// PINGRESPs to the driver's own keep-alive pings (`Rx::KeepAlive`).
    pub keepalive_pingresps: usize,
    /// Messages accepted (delivered to the application).
    pub delivered: Vec<Msg>,
    /// Messages returned by `handle_rx` and not accepted.
    pub offered: Vec<Msg>,
    /// Topic and payload kept per in-flight slot.
    pub pub_objs: Vec<Option<(Vec<u8>, Vec<u8>)>>,
    /// MQTT 5: each slot's encoded properties, and CONNECT's.
    pub pub_props: Vec<Vec<u8>>,
    pub connect_props: Vec<u8>,
    /// Filter kept per subscription slot.
    pub sub_objs: Vec<Option<Vec<u8>>>,
}

/// Settings with everything else at its default.
pub fn settings(keepalive_s: u16, reconnect: bool) -> Settings {
    Settings {
        keepalive_s,
        reconnect,
        ..Settings::default()
    }
}

const GUARD: usize = 100_000;

impl Shim {
    pub fn new(s: Settings) -> Self {
        Self::at(s, START)
    }

    /// A shim whose clock starts at `now`.
    pub fn at(s: Settings, now: u32) -> Self {
        let mut d = Driver::new();
        d.configure(s).unwrap();
        Shim {
            d,
            now,
            open: Open::Up,
            accept: true,
            up: false,
            rxbuf: Vec::new(),
            wire: Vec::new(),
            events: Vec::new(),
            opens: Vec::new(),
            errors: Vec::new(),
            accept_errors: Vec::new(),
            keepalive_pingresps: 0,
            delivered: Vec::new(),
            offered: Vec::new(),
            pub_objs: vec![None; MAX_INFLIGHT],
            pub_props: vec![Vec::new(); MAX_INFLIGHT],
            connect_props: Vec::new(),
            sub_objs: vec![None; MAX_SUBSCRIPTIONS],
        }
    }

    /// Connected (clean session, CONNACK without session), wire and
    /// events cleared.
    pub fn connected(s: Settings) -> Self {
        Self::connected_at(s, START)
    }

    pub fn connected_at(s: Settings, now: u32) -> Self {
        let mut sh = Self::at(s, now);
        sh.connect(true);
        assert_eq!(kinds(&sh.wire), [1], "CONNECT");
        sh.broker_sends(&connack(false));
        assert_eq!(
            sh.events,
            [
                Event::OpenTransport,
                Event::Connected {
                    session_present: false
                }
            ]
        );
        sh.wire.clear();
        sh.events.clear();
        sh
    }

    // ----- commands ---------------------------------------------------------

    /// `connect()`: any transport is closed first (the driver drops the
    /// link silently), then the outputs are drained.
    pub fn connect(&mut self, clean: bool) {
        self.close_transport();
        self.d.connect(clean, self.now);
        self.pump();
    }

    pub fn publish(&mut self, topic: &[u8], payload: &[u8], qos: u8) -> Result<Op, Error> {
        let (op, bytes) = self.publish_encoded(topic, payload, qos)?;
        self.write(bytes);
        Ok(op)
    }

    /// A publish whose write fails: `mark_unsent`, then the transport is
    /// reported down.
    pub fn publish_failing(&mut self, topic: &[u8], payload: &[u8], qos: u8) -> Result<Op, Error> {
        let (op, _) = self.publish_encoded(topic, payload, qos)?;
        if op.ticket != 0 {
            self.d.mark_unsent(op.ticket);
        }
        self.transport_down(Error::Io);
        Ok(op)
    }

    fn publish_encoded(
        &mut self,
        topic: &[u8],
        payload: &[u8],
        qos: u8,
    ) -> Result<(Op, Vec<u8>), Error> {
        self.publish_encoded_with(topic, payload, qos, &[])
    }

    /// MQTT 5: a publish with properties (kept with the slot's objects).
    pub fn publish_with(
        &mut self,
        topic: &[u8],
        payload: &[u8],
        qos: u8,
        props: &[u8],
    ) -> Result<Op, Error> {
        let (op, bytes) = self.publish_encoded_with(topic, payload, qos, props)?;
        self.write(bytes);
        Ok(op)
    }

    fn publish_encoded_with(
        &mut self,
        topic: &[u8],
        payload: &[u8],
        qos: u8,
        props: &[u8],
    ) -> Result<(Op, Vec<u8>), Error> {
        let mut out = vec![0u8; topic.len() + payload.len() + props.len() + 32];
        let op = self
            .d
            .publish_with(topic, payload, qos, false, props, self.now, &mut out)?;
        if qos > 0 {
            self.pub_objs[usize::from(op.slot)] = Some((topic.to_vec(), payload.to_vec()));
            self.pub_props[usize::from(op.slot)] = props.to_vec();
        }
        out.truncate(op.len);
        Ok((op, out))
    }

    pub fn subscribe(&mut self, filter: &[u8], qos: u8) -> Result<Op, Error> {
        let mut out = vec![0u8; filter.len() + 16];
        let op = self.d.subscribe(filter, qos, None, self.now, &mut out)?;
        self.sub_objs[usize::from(op.slot)] = Some(filter.to_vec());
        out.truncate(op.len);
        self.write(out);
        Ok(op)
    }

    pub fn unsubscribe(&mut self, filter: &[u8], slot: Option<u8>) -> Result<Op, Error> {
        let mut out = vec![0u8; filter.len() + 16];
        let op = self.d.unsubscribe(filter, slot, self.now, &mut out)?;
        if let Some(s) = slot {
            self.sub_objs[usize::from(s)] = None;
        }
        out.truncate(op.len);
        self.write(out);
        Ok(op)
    }

    pub fn ping(&mut self) -> Result<(), Error> {
        let mut out = [0u8; 2];
        let n = self.d.ping(self.now, &mut out)?;
        self.write(out[..n].to_vec());
        Ok(())
    }

    pub fn disconnect(&mut self) {
        let mut out = [0u8; 2];
        let n = self.d.disconnect(&mut out).unwrap();
        if n > 0 {
            self.write(out[..n].to_vec());
        }
        self.close_transport();
        self.pump();
    }

    pub fn close(&mut self) {
        self.d.close();
        self.close_transport();
        self.pump();
    }

    // ----- inputs -----------------------------------------------------------

    /// The transport broke (or the broker closed it).
    pub fn transport_down(&mut self, cause: Error) {
        self.close_transport();
        self.d.handle_transport_down(self.now, cause);
        self.pump();
    }

    fn close_transport(&mut self) {
        self.up = false;
        self.rxbuf.clear();
    }

    /// Bytes from the broker arrive (lost when no transport is open);
    /// `handle_rx` runs until it needs more. No output is drained except
    /// when `handle_rx` is `Busy`. Returns whether the bytes arrived.
    pub fn rx(&mut self, bytes: &[u8]) -> bool {
        if !self.up {
            return false;
        }
        self.rxbuf.extend_from_slice(bytes);
        self.d.handle_data_received(self.now);
        self.process();
        true
    }

    /// [`Shim::rx`], then the outputs are drained.
    pub fn broker_sends(&mut self, bytes: &[u8]) -> bool {
        let r = self.rx(bytes);
        self.pump();
        r
    }

    /// Runs `handle_rx` on what is buffered (again).
    pub fn process(&mut self) {
        for _ in 0..GUARD {
            if !self.up {
                return;
            }
            let r = self.d.handle_rx(&self.rxbuf, self.now);
            match r {
                Ok(Rx::NeedMore(_) | Rx::Idle) => return,
                Ok(Rx::Consumed(n) | Rx::Connack { consumed: n, .. } | Rx::Duplicate { consumed: n, .. }) => {
                    assert!(n > 0 && n <= self.rxbuf.len(), "consumed {n}");
                    self.rxbuf.drain(..n);
                }
                Ok(Rx::KeepAlive(n)) => {
                    assert!(n == 2 && n <= self.rxbuf.len(), "consumed {n}");
                    self.rxbuf.drain(..n);
                    self.keepalive_pingresps += 1;
                }
                Ok(Rx::Busy) => self.drain_transmit(),
                Ok(Rx::Message(m)) => {
                    let msg = Msg {
                        props: m.properties.to_vec(),
                        alias: m.alias,
                        topic: m.topic.to_vec(),
                        payload: m.payload.to_vec(),
                        qos: m.qos,
                        retain: m.retain,
                        dup: m.dup,
                        packet_id: m.packet_id,
                    };
                    assert!(self.d.message_pending());
                    if !self.accept {
                        self.offered.push(msg);
                        return;
                    }
                    match self.d.accept_message(self.now) {
                        Ok(n) => {
                            assert!(n > 0 && n <= self.rxbuf.len(), "consumed {n}");
                            self.rxbuf.drain(..n);
                            self.delivered.push(msg);
                        }
                        Err(e) => {
                            self.accept_errors.push(e);
                            return;
                        }
                    }
                }
                Err(e) => {
                    // As the C shim: what the driver owes the broker (an
                    // MQTT 5 DISCONNECT) is written before the transport closes.
                    self.errors.push((self.now, e));
                    self.drain_transmit();
                    self.close_transport();
                    return;
                }
            }
        }
        panic!("handle_rx never settles");
    }

    // ----- outputs ----------------------------------------------------------

    fn write(&mut self, bytes: Vec<u8>) {
        assert!(self.up, "asked to write {bytes:?} with no transport");
        self.wire.push(bytes);
    }

    /// One `poll_transmit`, answered and written; `None` when it had nothing.
    pub fn transmit_one(&mut self) -> Option<Transmit> {
        let mut out = vec![0u8; 4096];
        let t = self.d.poll_transmit(self.now, &mut out).unwrap();
        let n = match t {
            Transmit::Nothing => return None,
            Transmit::Bytes(n) => n,
            Transmit::Connect => {
                let id = Identity {
                    client_id: CLIENT_ID,
                    props: &self.connect_props,
                    ..Identity::default()
                };
                self.d.encode_connect(&id, self.now, &mut out).unwrap()
            }
            Transmit::Publish { slot } => {
                let (t, p) = self.pub_objs[usize::from(slot)]
                    .clone()
                    .unwrap_or_else(|| panic!("no objects in slot {slot}"));
                let props = self.pub_props[usize::from(slot)].clone();
                self.d
                    .encode_publish_with(slot, &t, &p, &props, self.now, &mut out)
                    .unwrap()
            }
            Transmit::Subscribe { slot } => {
                let f = self.sub_objs[usize::from(slot)]
                    .clone()
                    .unwrap_or_else(|| panic!("no filter in slot {slot}"));
                self.d
                    .encode_subscribe(slot, &f, self.now, &mut out)
                    .unwrap()
            }
        };
        self.write(out[..n].to_vec());
        Some(t)
    }

    /// Drains `poll_transmit`.
    pub fn drain_transmit(&mut self) {
        for _ in 0..GUARD {
            if self.transmit_one().is_none() {
                return;
            }
        }
        panic!("poll_transmit never settles");
    }

    /// Drains `poll_transmit` and `poll_event` until both are empty.
    pub fn pump(&mut self) {
        for _ in 0..GUARD {
            let before = (self.wire.len(), self.events.len());
            self.drain_transmit();
            while let Some(e) = self.d.poll_event() {
                self.events.push(e);
                if e == Event::OpenTransport {
                    self.opens.push(self.now);
                    self.close_transport();
                    assert!(self.d.open_timeout(self.now) > 0);
                    match self.open {
                        Open::Up => {
                            self.up = self.d.handle_transport_up(self.now);
                            assert!(self.up, "opening was asked for");
                        }
                        Open::Fail => self.d.handle_transport_down(self.now, Error::Io),
                        Open::Hang => {}
                    }
                }
            }
            if before == (self.wire.len(), self.events.len()) {
                return;
            }
        }
        panic!("the outputs never settle");
    }

    /// Lets `ms` pass as the shim sleeps: `handle_timeout` at each deadline
    /// `poll_timeout` gives, outputs drained after each.
    pub fn advance(&mut self, ms: u32) {
        let end = self.now.wrapping_add(ms);
        self.pump();
        for _ in 0..GUARD {
            let left = end.wrapping_sub(self.now);
            let t = self.d.poll_timeout(self.now);
            if t > left {
                self.now = end;
                return;
            }
            self.now = self.now.wrapping_add(t);
            self.timeout();
        }
        panic!("poll_timeout keeps saying 0");
    }

    /// `handle_timeout` now, outputs drained.
    pub fn timeout(&mut self) {
        if let Err(e) = self.d.handle_timeout(self.now) {
            self.errors.push((self.now, e));
            self.close_transport();
        }
        self.pump();
    }

    /// Packets written since the last call.
    pub fn take_wire(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.wire)
    }

    /// Events since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}

// ----- the broker's side ----------------------------------------------------

pub fn connack(session_present: bool) -> [u8; 4] {
    [0x20, 2, u8::from(session_present), 0]
}

pub fn refused(code: u8) -> [u8; 4] {
    [0x20, 2, 0, code]
}

/// A PUBLISH from the broker.
pub fn incoming(topic: &str, payload: &[u8], qos: u8, pid: u16, dup: bool) -> Vec<u8> {
    let mut out = vec![0u8; topic.len() + payload.len() + 16];
    let n = codec::encode_publish(
        topic,
        payload,
        qos,
        PacketId::new(pid),
        false,
        dup,
        &mut out,
    )
    .unwrap();
    out.truncate(n);
    out
}

pub fn suback(pid: u16, code: u8) -> Vec<u8> {
    let [h, l] = pid.to_be_bytes();
    vec![0x90, 3, h, l, code]
}

pub const PINGREQ: [u8; 2] = [0xc0, 0];
pub const PINGRESP: [u8; 2] = [0xd0, 0];

/// The packet types (first byte >> 4) of `packets`.
pub fn kinds(packets: &[Vec<u8>]) -> Vec<u8> {
    packets.iter().map(|p| p[0] >> 4).collect()
}

/// Offset of the variable header (after the fixed header).
fn body(p: &[u8]) -> usize {
    let mut i = 1;
    while p[i] & 0x80 != 0 {
        i += 1;
    }
    i + 1
}

/// Packet id of a PUBLISH (QoS > 0), an ack, a SUBSCRIBE or UNSUBSCRIBE.
pub fn pid_of(p: &[u8]) -> u16 {
    let at = body(p);
    if p[0] >> 4 == 3 {
        let topic_len = usize::from(u16::from_be_bytes([p[at], p[at + 1]]));
        let i = at + 2 + topic_len;
        u16::from_be_bytes([p[i], p[i + 1]])
    } else {
        u16::from_be_bytes([p[at], p[at + 1]])
    }
}

/// Topic of a PUBLISH, filter of a SUBSCRIBE/UNSUBSCRIBE.
pub fn topic_of(p: &[u8]) -> Vec<u8> {
    let mut at = body(p);
    if p[0] >> 4 != 3 {
        at += 2;
    }
    let len = usize::from(u16::from_be_bytes([p[at], p[at + 1]]));
    p[at + 2..at + 2 + len].to_vec()
}

/// Payload of a PUBLISH.
pub fn payload_of(p: &[u8]) -> Vec<u8> {
    let at = body(p);
    let len = usize::from(u16::from_be_bytes([p[at], p[at + 1]]));
    let qos = (p[0] >> 1) & 3;
    p[at + 2 + len + if qos > 0 { 2 } else { 0 }..].to_vec()
}

/// The DUP flag of a PUBLISH.
pub fn dup_of(p: &[u8]) -> bool {
    p[0] & 0x08 != 0
}

/// Whether the CONNECT `p` asks for a clean session.
pub fn connect_clean(p: &[u8]) -> bool {
    // 3.1.1: fixed header, "\0\x04MQTT", level, flags.
    p[body(p) + 7] & 0x02 != 0
}
