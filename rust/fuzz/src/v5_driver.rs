//! v5_driver: the [`Driver`] at protocol level 5 against a generated,
//! hostile but structured MQTT 5 broker, driven in the C shim's calling order
//! (`handle_data_received` + `handle_rx` until it needs more, two-phase
//! delivery with `accept_message`, `Busy` drained, `poll_transmit` answered
//! with `encode_connect` / `encode_publish_with` / `encode_subscribe` from the
//! objects kept per slot, `poll_event`, `handle_timeout` at each deadline).
//!
//! Checked after every call (a failed `assert!` is a finding):
//! - no panic, no endless loop;
//! - every packet the client writes parses (own parser, [`parse_client`])
//!   as a valid MQTT 5 client packet: CONNECT at level 5, PUBLISH,
//!   PUBACK/PUBREC/PUBREL/PUBCOMP, SUBSCRIBE, UNSUBSCRIBE, PINGREQ,
//!   DISCONNECT, each with a valid property block of its kind; nothing but
//!   CONNECT is written before the CONNACK;
//! - no PUBLISH is larger than the Maximum Packet Size of the CONNACK of its
//!   connection;
//! - Receive Maximum: when a *new* QoS 1/2 PUBLISH is written, the number of
//!   unacknowledged outgoing QoS 1/2 messages (it included, and the ones
//!   carried over from earlier connections) is at most the smaller of the
//!   broker's Receive Maximum and the window (`max_inflight`). Re-sends of
//!   carried-over messages are exempt (they were admitted under the window
//!   of their own connection, and MQTT 5 keeps them in flight), but while
//!   they hold the window full no new one goes out; `InflightFull` only when
//!   the window is full;
//! - outgoing topic aliases: never 0 nor above the broker's Topic Alias
//!   Maximum of this connection; an empty topic only with an alias set on
//!   this connection to the very topic the application published; a
//!   re-send (DUP) names its topic in full; an alias set maps to the topic;
//! - incoming aliases: a message handed to the application with an empty
//!   topic carries an alias; the shim-side table (filled, as
//!   `umqtt_v5_topic` in cmodule/umqtt/umqtt_v5.c does, only from the
//!   messages delivered to it) resolves it to the topic the broker set under
//!   it on this connection (the truth: every PUBLISH the driver accepted);
//! - QoS 2 incoming: delivered at most once per packet id until its PUBREL;
//!   a PUBLISH consumed without delivery is only such a duplicate;
//! - every QoS 1/2 application publish is acknowledged (ticket `Done(code)`
//!   with the code of the model: 0, the failure reason of a PUBACK/PUBREC,
//!   0x95 for a re-send too large for the broker now connected) or still
//!   `Pending` (in-flight count equal to the model's), never dropped;
//! - a PUBREL is written only for a packet id whose PUBREC was successful
//!   (never after a failure code).

use crate::{pick, varint};
use arbitrary::{Result as AResult, Unstructured};
use std::collections::{BTreeSet, HashMap, HashSet};
use umqtt_core::driver::{Driver, Event, Identity, Rx, Settings, Status, Transmit};
use umqtt_core::v5::decode::{decode, Decoded, Incoming};
use umqtt_core::v5::properties::{encoded_size, id, put, PacketKind, Properties, Property, Value};
use umqtt_core::{Error, SubOptions, TicketResult, MAX_INFLIGHT};

const OPS: usize = 80;
const GUARD: usize = 10_000;
const OUT: usize = 8192;

/// Topics the application publishes to: short ones (more than the 8
/// aliases the core keeps), one of exactly 64 bytes, two longer than 64.
pub fn topics() -> Vec<Vec<u8>> {
    let mut t: Vec<Vec<u8>> = [
        "a", "a/b", "s/t1", "x/y/z", "t", "u/1", "u/2", "u/3", "u/4", "long",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    t.push(vec![b'q'; 64]);
    t.push(vec![b'r'; 65]);
    let mut l = b"very/long/".to_vec();
    l.resize(200, b'z');
    t.push(l);
    t
}

const FILTERS: [&[u8]; 4] = [b"a/#", b"+/b", b"#", b"s/+"];
const CLIENT_ID: &[u8] = b"fz5";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    Puback,
    Pubrec,
    Pubcomp,
    Done(u8),
}

#[derive(Clone, Debug)]
struct OutMsg {
    ticket: u32,
    pid: u16,
    slot: u8,
    topic: Vec<u8>,
    state: St,
}

/// What one connection agreed (reset by each accepted CONNACK).
#[derive(Default, Debug)]
struct Conn {
    max_packet: u32,
    recv_max: u16,
    tx_alias_max: u16,
    tx_aliases: HashMap<u16, Vec<u8>>,
    /// Incoming aliases as the shim keeps them (from delivered messages).
    shim_aliases: HashMap<u16, Vec<u8>>,
    /// Incoming aliases as the broker set them (every PUBLISH the driver took).
    truth_aliases: HashMap<u16, Vec<u8>>,
}

/// The shim around a level-5 driver, with the model.
pub struct Sim5 {
    pub d: Driver<'static>,
    settings: Settings,
    now: u32,
    up: bool,
    rxbuf: Vec<u8>,
    open_ok: bool,
    connect_props: Vec<u8>,
    pub_objs: Vec<Option<(Vec<u8>, Vec<u8>, Vec<u8>)>>,
    sub_objs: Vec<Option<Vec<u8>>>,
    conn: Conn,
    connected: bool,
    out: Vec<OutMsg>,
    /// Packet ids whose successful PUBREC was handled (a PUBREL may follow).
    pubrel_ok: HashSet<u16>,
    inbound_q2: BTreeSet<u16>,
    /// The topic of the application's publish being written (new publish).
    publishing: Option<Vec<u8>>,
    trace: bool,
    topics: Vec<Vec<u8>>,
}

/// One parsed client packet.
#[derive(Debug)]
pub enum Client5 {
    Connect { clean: bool, props: Vec<u8> },
    Publish { dup: bool, qos: u8, topic: Vec<u8>, pid: u16, alias: Option<u16>, props: Vec<u8>, payload: Vec<u8> },
    Ack { kind: u8, pid: u16, reason: u8 },
    Subscribe { pid: u16 },
    Unsubscribe { pid: u16 },
    Pingreq,
    Disconnect,
}

fn rd_varint(b: &[u8], at: &mut usize) -> Option<usize> {
    let mut v = 0usize;
    for i in 0..4 {
        let c = *b.get(*at)?;
        *at += 1;
        v |= usize::from(c & 0x7f) << (7 * i);
        if c & 0x80 == 0 {
            // Minimal encoding only (what a client writes).
            if i > 0 && c == 0 {
                return None;
            }
            return Some(v);
        }
    }
    None
}

fn rd_u16(b: &[u8], at: &mut usize) -> Option<u16> {
    let v = u16::from_be_bytes([*b.get(*at)?, *b.get(*at + 1)?]);
    *at += 2;
    Some(v)
}

fn rd_str<'a>(b: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    let n = usize::from(rd_u16(b, at)?);
    let s = b.get(*at..*at + n)?;
    *at += n;
    let st = std::str::from_utf8(s).ok()?;
    if st.contains('\0') {
        return None;
    }
    Some(s)
}

fn rd_props<'a>(b: &'a [u8], at: &mut usize, kind: PacketKind) -> Option<&'a [u8]> {
    let n = rd_varint(b, at)?;
    let c = b.get(*at..*at + n)?;
    *at += n;
    Properties::check_content(c, kind).ok()?;
    Some(c)
}

/// Parses one whole packet a client writes at MQTT 5; `Err` names what is wrong.
pub fn parse_client(p: &[u8]) -> Result<Client5, String> {
    let e = |m: &str| format!("{m}: {p:02x?}");
    let h = *p.first().ok_or_else(|| e("empty write"))?;
    let mut at = 1;
    let len = rd_varint(p, &mut at).ok_or_else(|| e("bad remaining length"))?;
    if at + len != p.len() {
        return Err(e("remaining length is not the packet's"));
    }
    let flags = h & 0x0f;
    let r = match h >> 4 {
        1 => {
            if flags != 0 {
                return Err(e("CONNECT flags"));
            }
            let name = rd_str(p, &mut at).ok_or_else(|| e("CONNECT name"))?;
            if name != b"MQTT" || p.get(at) != Some(&5) {
                return Err(e("CONNECT not MQTT level 5"));
            }
            let f = *p.get(at + 1).ok_or_else(|| e("CONNECT flags byte"))?;
            at += 2;
            rd_u16(p, &mut at).ok_or_else(|| e("keepalive"))?;
            if f & 1 != 0 || f & 0xc4 != 0 {
                return Err(e("CONNECT flags (reserved, will, user, password)"));
            }
            let props = rd_props(p, &mut at, PacketKind::Connect).ok_or_else(|| e("CONNECT properties"))?.to_vec();
            let id = rd_str(p, &mut at).ok_or_else(|| e("client id"))?;
            if id != CLIENT_ID {
                return Err(e("client id"));
            }
            Client5::Connect { clean: f & 2 != 0, props }
        }
        3 => {
            let qos = (flags >> 1) & 3;
            let dup = flags & 8 != 0;
            if qos == 3 || (qos == 0 && dup) {
                return Err(e("PUBLISH QoS/DUP"));
            }
            let topic = rd_str(p, &mut at).ok_or_else(|| e("PUBLISH topic"))?.to_vec();
            if topic.iter().any(|&c| c == b'+' || c == b'#') {
                return Err(e("PUBLISH topic with a wildcard"));
            }
            let pid = if qos > 0 { rd_u16(p, &mut at).ok_or_else(|| e("PUBLISH id"))? } else { 0 };
            if qos > 0 && pid == 0 {
                return Err(e("PUBLISH id 0"));
            }
            let props = rd_props(p, &mut at, PacketKind::Publish).ok_or_else(|| e("PUBLISH properties"))?;
            let pr = Properties::check_content(props, PacketKind::Publish).map_err(|_| e("props"))?;
            if pr.subscription_ids().count() > 0 {
                return Err(e("a client PUBLISH with a Subscription Identifier"));
            }
            let aliases = pr.iter().filter(|x| x.id == id::TOPIC_ALIAS).count();
            if aliases > 1 {
                return Err(e("two Topic Aliases"));
            }
            let alias = pr.topic_alias();
            let rest: Vec<u8> = {
                let mut v = Vec::new();
                let mut buf = vec![0u8; props.len()];
                let mut n = 0;
                for x in pr.iter().filter(|x| x.id != id::TOPIC_ALIAS) {
                    n = put(&mut buf, n, &x).map_err(|_| e("re-encode a property"))?;
                }
                v.extend_from_slice(&buf[..n]);
                v
            };
            Client5::Publish { dup, qos, topic, pid, alias, props: rest, payload: p[at..].to_vec() }
        }
        4..=7 => {
            let kind = h >> 4;
            let want = if kind == 6 { 2 } else { 0 };
            if flags != want {
                return Err(e("acknowledgement flags"));
            }
            let pid = rd_u16(p, &mut at).ok_or_else(|| e("ack id"))?;
            if pid == 0 {
                return Err(e("ack id 0"));
            }
            let mut reason = 0;
            if at < p.len() {
                reason = p[at];
                at += 1;
                let ok: &[u8] = match kind {
                    4 | 5 => &[0, 0x10, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x99],
                    _ => &[0, 0x92],
                };
                if !ok.contains(&reason) {
                    return Err(e("ack reason code"));
                }
                if at < p.len() {
                    let k = [PacketKind::Puback, PacketKind::Pubrec, PacketKind::Pubrel, PacketKind::Pubcomp]
                        [usize::from(kind - 4)];
                    rd_props(p, &mut at, k).ok_or_else(|| e("ack properties"))?;
                }
            }
            if at != p.len() {
                return Err(e("ack trailing bytes"));
            }
            Client5::Ack { kind, pid, reason }
        }
        8 | 10 => {
            if flags != 2 {
                return Err(e("SUBSCRIBE/UNSUBSCRIBE flags"));
            }
            let pid = rd_u16(p, &mut at).ok_or_else(|| e("op id"))?;
            if pid == 0 {
                return Err(e("op id 0"));
            }
            let sub = h >> 4 == 8;
            let kind = if sub { PacketKind::Subscribe } else { PacketKind::Unsubscribe };
            let props = rd_props(p, &mut at, kind).ok_or_else(|| e("op properties"))?;
            if sub {
                let pr = Properties::check_content(props, kind).map_err(|_| e("props"))?;
                if pr.subscription_ids().any(|i| i == 0) || pr.subscription_ids().count() > 1 {
                    return Err(e("Subscription Identifier"));
                }
            }
            let mut n = 0;
            while at < p.len() {
                let f = rd_str(p, &mut at).ok_or_else(|| e("filter"))?;
                if f.is_empty() {
                    return Err(e("empty filter"));
                }
                if sub {
                    let o = *p.get(at).ok_or_else(|| e("options"))?;
                    at += 1;
                    if o & 0xc0 != 0 || o & 3 == 3 || (o >> 4) & 3 == 3 {
                        return Err(e("subscription options"));
                    }
                }
                n += 1;
            }
            if n == 0 {
                return Err(e("no filter"));
            }
            if sub {
                Client5::Subscribe { pid }
            } else {
                Client5::Unsubscribe { pid }
            }
        }
        12 => {
            if p != [0xc0, 0] {
                return Err(e("PINGREQ"));
            }
            Client5::Pingreq
        }
        14 => {
            if flags != 0 {
                return Err(e("DISCONNECT flags"));
            }
            if at < p.len() {
                let code = p[at];
                at += 1;
                if code >= 0x80 && code != 0x80 && code != 0x83 && code != 0x90 && code != 0x95 {
                    return Err(e("DISCONNECT reason"));
                }
                if at < p.len() {
                    rd_props(p, &mut at, PacketKind::Disconnect).ok_or_else(|| e("DISCONNECT props"))?;
                }
                if at != p.len() {
                    return Err(e("DISCONNECT trailing"));
                }
            }
            Client5::Disconnect
        }
        _ => return Err(e("not a client packet")),
    };
    Ok(r)
}

fn is_closed(s: Status) -> bool {
    matches!(s, Status::Closed | Status::ServerClosed)
}

/// One step.
#[derive(Clone, Debug)]
pub enum Op5 {
    Connect { clean: bool },
    SetOpen(bool),
    TransportDown,
    Publish { topic: usize, qos: u8, retain: bool, props: Vec<u8>, payload: usize },
    Subscribe { filter: usize, options: u8, sid: u32 },
    Unsubscribe { filter: usize },
    Disconnect,
    Advance { ms: u32 },
    Broker { bytes: Vec<u8>, splits: Vec<usize>, pump_between: bool },
}

impl Sim5 {
    pub fn new(settings: Settings, connect_props: Vec<u8>, now: u32, trace: bool) -> Self {
        let mut d = Driver::new();
        d.configure(settings).unwrap_or_else(|e| panic!("configure {settings:?}: {e:?}"));
        Sim5 {
            d,
            settings,
            now,
            up: false,
            rxbuf: Vec::new(),
            open_ok: true,
            connect_props,
            pub_objs: vec![None; MAX_INFLIGHT],
            sub_objs: vec![None; umqtt_core::MAX_SUBSCRIPTIONS],
            conn: Conn::default(),
            connected: false,
            out: Vec::new(),
            pubrel_ok: HashSet::new(),
            inbound_q2: BTreeSet::new(),
            publishing: None,
            trace,
            topics: topics(),
        }
    }

    fn sync(&mut self) {
        self.connected = self.d.status() == Status::Connected;
        if !self.connected && !self.up {
            self.rxbuf.clear();
        }
    }

    fn close_transport(&mut self) {
        self.up = false;
        self.rxbuf.clear();
    }

    fn unacked(&self) -> usize {
        self.out.iter().filter(|o| !matches!(o.state, St::Done(_))).count()
    }

    fn window(&self) -> usize {
        usize::from(self.settings.max_inflight).min(usize::from(self.conn.recv_max.max(1)))
    }

    /// Writes `bytes` (the client's packet) after checking it. `resend`: the
    /// re-send of this slot.
    fn write(&mut self, bytes: &[u8], resend: Option<u8>) {
        assert!(self.up, "asked to write {bytes:02x?} with no transport");
        if self.trace {
            eprintln!("      -> {bytes:02x?}");
        }
        let pkt = parse_client(bytes).unwrap_or_else(|m| panic!("the client wrote an invalid MQTT 5 packet: {m}"));
        if !matches!(pkt, Client5::Connect { .. }) {
            assert!(self.connected, "{pkt:?} written before the CONNACK");
            if !matches!(pkt, Client5::Publish { .. }) && bytes.len() as u64 > u64::from(self.conn.max_packet) {
                // MQTT-3.1.2-24 (finding 4 in RELIABILITY.md, fixed).
                panic!(
                    "a {}-byte packet above the broker's Maximum Packet Size {}: {pkt:?}",
                    bytes.len(),
                    self.conn.max_packet
                );
            }
        }
        match pkt {
            Client5::Connect { .. } => {}
            Client5::Publish { dup, qos, topic, pid, alias, props, payload } => {
                let size = bytes.len();
                assert!(
                    size as u64 <= u64::from(self.conn.max_packet),
                    "a PUBLISH of {size} bytes above the broker's Maximum Packet Size {}",
                    self.conn.max_packet
                );
                // Which topic the application meant.
                let (meant, obj_props, obj_payload) = match resend {
                    Some(slot) => {
                        let (t, pl, pr) = self.pub_objs[usize::from(slot)].clone().expect("re-send of an empty slot");
                        (t, pr, pl)
                    }
                    None => {
                        let t = self.publishing.clone().expect("a PUBLISH from nowhere");
                        (t, Vec::new(), Vec::new())
                    }
                };
                if resend.is_some() {
                    self.tag("resend");
                    if self.unacked() > self.window() {
                        // Carried over from a connection with a larger window.
                        self.tag("resend-above-receive-maximum");
                    }
                    assert!(dup && qos > 0, "a re-send without DUP (all our publishes went out)");
                    assert_eq!(props, obj_props, "a re-send's properties");
                    assert_eq!(payload, obj_payload, "a re-send's payload");
                    assert!(!topic.is_empty(), "a re-send (DUP) without its topic in full");
                    let o = self.out.iter().find(|o| o.slot == resend.unwrap() && !matches!(o.state, St::Done(_)));
                    let o = o.unwrap_or_else(|| panic!("re-send of slot {resend:?}, no message in flight there"));
                    assert!(matches!(o.state, St::Puback | St::Pubrec), "re-send of a PUBLISH past PUBREC");
                    assert_eq!(o.pid, pid, "a re-send's packet id");
                    assert_eq!(o.topic, topic, "a re-send's topic");
                } else {
                    assert!(!dup, "a new publish with DUP");
                }
                match alias {
                    Some(a) => {
                        assert!(
                            a >= 1 && a <= self.conn.tx_alias_max,
                            "outgoing Topic Alias {a} with the broker's maximum {}",
                            self.conn.tx_alias_max
                        );
                        self.tag(if topic.is_empty() { "tx-alias-use" } else { "tx-alias-set" });
                        if topic.is_empty() {
                            let known = self.conn.tx_aliases.get(&a);
                            assert_eq!(
                                known,
                                Some(&meant),
                                "alias {a} used for {:?}, set on this connection to {:?}",
                                String::from_utf8_lossy(&meant),
                                known.map(|k| String::from_utf8_lossy(k).to_string())
                            );
                        } else {
                            assert_eq!(topic, meant, "the topic written");
                            self.conn.tx_aliases.insert(a, topic.clone());
                        }
                    }
                    None => {
                        assert!(!topic.is_empty(), "an empty topic without a Topic Alias");
                        assert_eq!(topic, meant, "the topic written");
                    }
                }
                if resend.is_none() && qos > 0 {
                    // Checked by the caller once the model has the message.
                    self.pubrel_ok.remove(&pid);
                }
            }
            Client5::Ack { kind, pid, .. } => {
                if kind == 6 {
                    self.tag("pubrel");
                    assert!(
                        self.pubrel_ok.contains(&pid),
                        "PUBREL {pid} written without a successful PUBREC for it (after a failure code?)"
                    );
                    if let Some(o) = self.out.iter().find(|o| o.pid == pid && !matches!(o.state, St::Done(_))) {
                        assert_eq!(o.state, St::Pubcomp, "PUBREL for a message in {:?}", o.state);
                    }
                }
            }
            _ => {}
        }
    }

    fn tag(&self, what: &str) {
        if self.trace {
            eprintln!("      TAG {what}");
        }
    }

    fn transport_lost(&mut self, cause: Error) {
        self.close_transport();
        self.d.handle_transport_down(self.now, cause);
        self.sync();
    }

    pub fn apply(&mut self, op: &Op5) {
        match op {
            Op5::Connect { clean } => {
                self.close_transport();
                self.d.connect(*clean, self.now);
                if *clean {
                    self.out.clear();
                    self.pubrel_ok.clear();
                    self.inbound_q2.clear();
                }
                self.sync();
                self.pump();
            }
            Op5::SetOpen(ok) => self.open_ok = *ok,
            Op5::TransportDown => {
                if self.up {
                    self.transport_lost(Error::Io);
                    self.pump();
                }
            }
            Op5::Publish { topic, qos, retain, props, payload } => {
                let t = self.topics[*topic % self.topics.len()].clone();
                let pl = vec![b'p'; *payload];
                let mut out = vec![0u8; OUT];
                let before = self.unacked();
                let r = self.d.publish_with(&t, &pl, *qos, *retain, props, self.now, &mut out);
                match r {
                    Ok(op) => {
                        assert!(self.connected && self.up, "publish accepted while not connected");
                        let ok = Properties::check_content(props, PacketKind::Publish)
                            .is_ok_and(|p| !p.iter().any(|x| x.id == id::TOPIC_ALIAS || x.id == id::SUBSCRIPTION_IDENTIFIER));
                        assert!(ok, "publish took properties a client may not send: {props:02x?}");
                        if *qos > 0 {
                            assert_ne!(op.ticket, 0);
                            self.pub_objs[usize::from(op.slot)] = Some((t.clone(), pl.clone(), props.clone()));
                        }
                        self.publishing = Some(t.clone());
                        let bytes = out[..op.len].to_vec();
                        self.write(&bytes, None);
                        self.publishing = None;
                        let Ok(Client5::Publish { pid, props: wp, payload: wpl, qos: wq, .. }) = parse_client(&bytes) else {
                            unreachable!()
                        };
                        assert_eq!((wq, &wp, &wpl), (*qos, props, &pl), "the PUBLISH written is not the one asked");
                        if *qos > 0 {
                            assert_eq!(op.ticket & 0xffff, u32::from(pid), "ticket's low half");
                            assert!(
                                !self.out.iter().any(|o| o.pid == pid && !matches!(o.state, St::Done(_))),
                                "packet id {pid} already in flight"
                            );
                            self.out.push(OutMsg {
                                ticket: op.ticket,
                                pid,
                                slot: op.slot,
                                topic: t,
                                state: if *qos == 1 { St::Puback } else { St::Pubrec },
                            });
                            let n = self.unacked();
                        if n == self.window() && self.conn.recv_max < 16 {
                            self.tag("receive-maximum-reached");
                        }
                            assert!(
                                n <= self.window(),
                                "{n} unacknowledged QoS 1/2 publishes with the broker's Receive Maximum {} (window {})",
                                self.conn.recv_max,
                                self.settings.max_inflight
                            );
                        }
                    }
                    Err(Error::InflightFull) => {
                        self.tag("inflight-full");
                        assert!(*qos > 0 && before >= self.window(), "InflightFull with {before} of {}", self.window());
                    }
                    Err(Error::PacketTooLarge) => {
                        self.tag("publish-too-large");
                        assert!(self.conn.max_packet < 1 << 20, "PacketTooLarge without a small Maximum Packet Size");
                    }
                    Err(Error::BadArgument) => {
                        let bad = match Properties::check_content(props, PacketKind::Publish) {
                            Err(_) => true,
                            Ok(p) => p.iter().any(|x| x.id == id::TOPIC_ALIAS || x.id == id::SUBSCRIPTION_IDENTIFIER),
                        };
                        assert!(bad, "publish refused valid properties {props:02x?}");
                    }
                    Err(Error::NotConnected | Error::WouldBlock) => {}
                    Err(e) => panic!("publish: {e:?}"),
                }
                self.pump();
            }
            Op5::Subscribe { filter, options, sid } => {
                let f = FILTERS[*filter % FILTERS.len()];
                let slot = self.sub_objs.iter().position(|s| s.as_deref() == Some(f)).map(|s| s as u8);
                let mut out = vec![0u8; OUT];
                let opts = SubOptions { options: *options, id: *sid };
                match self.d.subscribe_with(f, opts, slot, self.now, &mut out) {
                    Ok(op) => {
                        self.sub_objs[usize::from(op.slot)] = Some(f.to_vec());
                        let bytes = out[..op.len].to_vec();
                        self.write(&bytes, None);
                    }
                    Err(Error::BadArgument) => {
                        let o = *options;
                        assert!(
                            o & 0xc0 != 0 || o & 3 == 3 || (o >> 4) & 3 == 3 || *sid > 268_435_455,
                            "subscribe refused options {o:#04x} id {sid}"
                        );
                    }
                    Err(Error::PacketTooLarge) => {
                        // Finding 4, fixed: above this connection's Maximum Packet Size.
                        assert!(self.conn.max_packet != u32::MAX, "subscribe: PacketTooLarge without a limit");
                    }
                    Err(Error::NotConnected | Error::WouldBlock | Error::InflightFull | Error::SubscriptionsFull) => {}
                    Err(e) => panic!("subscribe: {e:?}"),
                }
                self.pump();
            }
            Op5::Unsubscribe { filter } => {
                let f = FILTERS[*filter % FILTERS.len()];
                let slot = self.sub_objs.iter().position(|s| s.as_deref() == Some(f)).map(|s| s as u8);
                let mut out = vec![0u8; OUT];
                match self.d.unsubscribe(f, slot, self.now, &mut out) {
                    Ok(op) => {
                        if let Some(s) = slot {
                            self.sub_objs[usize::from(s)] = None;
                        }
                        let bytes = out[..op.len].to_vec();
                        self.write(&bytes, None);
                    }
                    Err(Error::PacketTooLarge) => {
                        assert!(self.conn.max_packet != u32::MAX, "unsubscribe: PacketTooLarge without a limit");
                    }
                    Err(Error::NotConnected | Error::WouldBlock | Error::InflightFull) => {}
                    Err(e) => panic!("unsubscribe: {e:?}"),
                }
                self.pump();
            }
            Op5::Disconnect => {
                let mut out = [0u8; 64];
                let n = self.d.disconnect(&mut out).unwrap_or_else(|e| panic!("disconnect: {e:?}"));
                if n > 0 {
                    self.write(&out[..n].to_vec(), None);
                }
                self.close_transport();
                self.sync();
                self.pump();
            }
            Op5::Advance { ms } => self.advance(*ms),
            Op5::Broker { bytes, splits, pump_between } => {
                let mut at = 0;
                for &s in splits.iter().chain(std::iter::once(&bytes.len())) {
                    let s = s.clamp(at, bytes.len());
                    if s > at {
                        self.rx(&bytes[at..s]);
                        if *pump_between {
                            self.pump();
                        }
                    }
                    at = s;
                }
                self.pump();
            }
        }
        self.check();
    }

    fn rx(&mut self, bytes: &[u8]) {
        if !self.up {
            return;
        }
        self.rxbuf.extend_from_slice(bytes);
        self.d.handle_data_received(self.now);
        self.process();
    }

    fn process(&mut self) {
        for _ in 0..GUARD {
            if !self.up {
                return;
            }
            let buf = self.rxbuf.clone();
            let r = self.d.handle_rx(&buf, self.now);
            match r {
                Ok(Rx::NeedMore(_) | Rx::Idle) => return,
                Ok(Rx::Busy) => {
                    if !self.drain_transmit() {
                        return;
                    }
                }
                Ok(Rx::Connack { consumed, properties }) => {
                    let Ok(Decoded::Packet { consumed: c, packet: Incoming::Connack { session_present, reason, properties: p } }) =
                        decode(&buf)
                    else {
                        panic!("Rx::Connack from {buf:02x?}")
                    };
                    assert_eq!(c, consumed);
                    assert_eq!(reason, 0, "a refused CONNACK accepted");
                    assert_eq!(p.as_bytes(), properties, "the CONNACK's properties");
                    self.on_connack(session_present, &p);
                    self.rxbuf.drain(..consumed);
                    self.sync();
                    assert!(self.connected, "Rx::Connack and not connected");
                }
                Ok(Rx::Duplicate { consumed, topic, alias }) => {
                    // A QoS 2 duplicate naming a topic under an alias: the
                    // shim keeps it (umqtt_v5_topic), as for a message.
                    let Ok(Decoded::Packet { consumed: c, packet }) = decode(&buf) else {
                        panic!("a duplicate from {buf:02x?}")
                    };
                    assert_eq!(c, consumed, "consumed other than one packet");
                    let Incoming::Publish { qos: 2, pid, topic: t, properties, .. } = packet else {
                        panic!("Rx::Duplicate for {packet:?}")
                    };
                    assert!(self.inbound_q2.contains(&pid), "Rx::Duplicate for id {pid} not held");
                    assert_eq!((topic, Some(alias)), (t, properties.topic_alias()));
                    self.tag("rx-alias-set-by-duplicate");
                    self.conn.shim_aliases.insert(alias, topic.to_vec());
                    self.on_consumed(&packet);
                    self.rxbuf.drain(..consumed);
                }
                Ok(Rx::Consumed(n) | Rx::KeepAlive(n)) => {
                    let Ok(Decoded::Packet { consumed: c, packet }) = decode(&buf) else {
                        panic!("consumed from {buf:02x?}")
                    };
                    assert_eq!(c, n, "consumed other than one packet");
                    if matches!(r, Ok(Rx::KeepAlive(_))) {
                        assert!(matches!(packet, Incoming::Pingresp), "KeepAlive for {packet:?}");
                    }
                    self.on_consumed(&packet);
                    self.rxbuf.drain(..n);
                }
                Ok(Rx::Message(m)) => {
                    let Ok(Decoded::Packet { consumed: c, packet: Incoming::Publish { qos, pid, topic, properties, payload, .. } }) =
                        decode(&buf)
                    else {
                        panic!("a message from {buf:02x?}")
                    };
                    assert_eq!(c, m.consumed);
                    assert_eq!((m.qos, m.packet_id, m.topic, m.payload), (qos, pid, topic, payload));
                    assert_eq!(m.properties, properties.as_bytes(), "a message's properties");
                    assert_eq!(m.alias, properties.topic_alias().unwrap_or(0), "a message's alias");
                    assert!(self.connected, "a message before the CONNACK");
                    if qos == 2 {
                        assert!(
                            !self.inbound_q2.contains(&pid),
                            "QoS 2 message id {pid} delivered again before its PUBREL"
                        );
                    }
                    if m.topic.is_empty() {
                        self.tag("rx-alias-use");
                        assert_ne!(m.alias, 0, "a message with an empty topic and no alias");
                        let truth = self.conn.truth_aliases.get(&m.alias).cloned();
                        assert!(truth.is_some(), "alias {} used before the broker set it on this connection", m.alias);
                        let shim = self.conn.shim_aliases.get(&m.alias).cloned();
                        assert_eq!(
                            shim.as_deref().map(String::from_utf8_lossy),
                            truth.as_deref().map(String::from_utf8_lossy),
                            "incoming alias {} resolves, by what the shim was given, to another topic than the broker set",
                            m.alias
                        );
                    }
                    let consumed = self.d.accept_message(self.now);
                    match consumed {
                        Ok(n) => {
                            assert_eq!(n, c);
                            if !topic.is_empty() && m.alias != 0 {
                                self.conn.shim_aliases.insert(m.alias, topic.to_vec());
                                self.conn.truth_aliases.insert(m.alias, topic.to_vec());
                            }
                            if qos == 2 {
                                self.inbound_q2.insert(pid);
                            }
                            self.rxbuf.drain(..n);
                        }
                        Err(Error::InboundFull) => {
                            self.transport_lost(Error::InboundFull);
                            return;
                        }
                        Err(e) => panic!("accept_message: {e:?}"),
                    }
                }
                Err(e) => {
                    if self.trace {
                        eprintln!("      handle_rx: {e:?}");
                    }
                    self.close_transport();
                    self.sync();
                    assert_ne!(self.d.status(), Status::Connected, "handle_rx failed and the link is up");
                    return;
                }
            }
        }
        panic!("handle_rx never settles");
    }

    fn on_connack(&mut self, session_present: bool, p: &Properties<'_>) {
        let two = |i| match p.get(i) {
            Some(Value::TwoByte(v)) => Some(v),
            _ => None,
        };
        self.conn = Conn {
            max_packet: match p.get(id::MAXIMUM_PACKET_SIZE) {
                Some(Value::FourByte(v)) => v,
                _ => u32::MAX,
            },
            recv_max: two(id::RECEIVE_MAXIMUM).unwrap_or(u16::MAX),
            tx_alias_max: two(id::TOPIC_ALIAS_MAXIMUM).unwrap_or(0),
            ..Conn::default()
        };
        if !session_present {
            self.inbound_q2.clear();
        }
    }

    fn fail_or_done(&mut self, pid: u16, states: &[St], to: St) -> bool {
        for s in states {
            if let Some(o) = self.out.iter_mut().find(|o| o.pid == pid && o.state == *s) {
                o.state = to;
                return true;
            }
        }
        false
    }

    fn on_consumed(&mut self, packet: &Incoming<'_>) {
        assert!(self.connected, "{packet:?} consumed before the CONNACK");
        match packet {
            Incoming::Publish { qos, pid, topic, properties, .. } => {
                assert!(
                    *qos == 2 && self.inbound_q2.contains(pid),
                    "a QoS {qos} PUBLISH (id {pid}) consumed without delivery"
                );
                if let (false, Some(a)) = (topic.is_empty(), properties.topic_alias()) {
                    // The broker set the alias. The shim learns the topic only
                    // from an Rx::Duplicate (finding 3 in RELIABILITY.md, fixed):
                    // consumed any other way, a later use of the alias is caught
                    // as a wrong topic.
                    self.conn.truth_aliases.insert(a, topic.to_vec());
                }
            }
            Incoming::Puback(a) if a.reason >= 0x80 => {
                self.fail_or_done(a.pid, &[St::Puback, St::Pubrec], St::Done(a.reason));
            }
            Incoming::Pubrec(a) if a.reason >= 0x80 => {
                self.fail_or_done(a.pid, &[St::Puback, St::Pubrec], St::Done(a.reason));
            }
            Incoming::Puback(a) => {
                self.fail_or_done(a.pid, &[St::Puback], St::Done(0));
            }
            Incoming::Pubrec(a) => {
                if self.fail_or_done(a.pid, &[St::Pubrec, St::Pubcomp], St::Pubcomp) {
                    self.pubrel_ok.insert(a.pid);
                }
            }
            Incoming::Pubcomp(a) => {
                self.fail_or_done(a.pid, &[St::Pubcomp], St::Done(0));
            }
            Incoming::Pubrel(a) => {
                self.inbound_q2.remove(&a.pid);
            }
            Incoming::Connack { .. } => panic!("a CONNACK consumed as another packet"),
            _ => {}
        }
    }

    fn transmit_one(&mut self) -> Option<()> {
        let mut out = vec![0u8; OUT];
        let t = self.d.poll_transmit(self.now, &mut out).unwrap_or_else(|e| panic!("poll_transmit: {e:?}"));
        match t {
            Transmit::Nothing => None,
            Transmit::Bytes(n) => {
                self.write(&out[..n].to_vec(), None);
                Some(())
            }
            Transmit::Connect => {
                let id = Identity { client_id: CLIENT_ID, props: &self.connect_props, ..Identity::default() };
                match self.d.encode_connect(&id, self.now, &mut out) {
                    Ok(n) => {
                        self.write(&out[..n].to_vec(), None);
                        Some(())
                    }
                    Err(e) => panic!("encode_connect: {e:?}"),
                }
            }
            Transmit::Publish { slot } => {
                let (topic, payload, props) =
                    self.pub_objs[usize::from(slot)].clone().unwrap_or_else(|| panic!("re-send of slot {slot}, never filled"));
                match self.d.encode_publish_with(slot, &topic, &payload, &props, self.now, &mut out) {
                    Ok(n) => {
                        self.write(&out[..n].to_vec(), Some(slot));
                        Some(())
                    }
                    Err(Error::PacketTooLarge) => {
                        assert!(self.conn.max_packet != u32::MAX, "PacketTooLarge without a Maximum Packet Size");
                        let o = self
                            .out
                            .iter_mut()
                            .find(|o| o.slot == slot && !matches!(o.state, St::Done(_)))
                            .unwrap_or_else(|| panic!("re-send of slot {slot} refused, nothing in flight there"));
                        o.state = St::Done(0x95);
                        self.tag("resend-too-large");
                        Some(())
                    }
                    Err(e) => panic!("encode_publish_with: {e:?}"),
                }
            }
            Transmit::Subscribe { slot } => {
                let f = self.sub_objs[usize::from(slot)].clone().unwrap_or_else(|| panic!("restore of slot {slot}"));
                match self.d.encode_subscribe(slot, &f, self.now, &mut out) {
                    Ok(n) => {
                        self.write(&out[..n].to_vec(), None);
                        Some(())
                    }
                    Err(_) => None,
                }
            }
        }
    }

    fn drain_transmit(&mut self) -> bool {
        for _ in 0..GUARD {
            if !self.up {
                return false;
            }
            if self.transmit_one().is_none() {
                return self.up;
            }
        }
        panic!("poll_transmit never settles");
    }

    fn pump(&mut self) {
        for _ in 0..GUARD {
            self.drain_transmit();
            let mut any = false;
            while let Some(e) = self.d.poll_event() {
                any = true;
                if self.trace {
                    eprintln!("      event {e:?}");
                }
                if e == Event::OpenTransport {
                    self.close_transport();
                    if self.d.open_timeout(self.now) == 0 {
                        continue;
                    }
                    if self.open_ok {
                        assert!(self.d.handle_transport_up(self.now));
                        self.up = true;
                    } else {
                        self.transport_lost(Error::Io);
                    }
                }
            }
            self.sync();
            if !any {
                return;
            }
        }
        panic!("the outputs never settle");
    }

    fn advance(&mut self, ms: u32) {
        let end = self.now.wrapping_add(ms);
        for _ in 0..256 {
            let left = end.wrapping_sub(self.now);
            let t = self.d.poll_timeout(self.now);
            if t > left {
                self.now = end;
                return;
            }
            self.now = self.now.wrapping_add(t);
            self.timeout();
        }
        self.now = end;
        self.timeout();
    }

    fn timeout(&mut self) {
        if self.d.handle_timeout(self.now).is_err() {
            self.close_transport();
        }
        self.sync();
        self.pump();
    }

    /// After every step: tickets and the in-flight count against the model.
    pub fn check(&mut self) {
        self.sync();
        if self.connected {
            assert!(self.up, "connected with no transport");
        }
        // Acknowledged ones: read now (as a waiting caller does), with their code.
        let done: Vec<(u32, u8)> = self
            .out
            .iter()
            .filter_map(|o| match o.state {
                St::Done(c) => Some((o.ticket, c)),
                _ => None,
            })
            .collect();
        for (t, c) in done {
            if c != 0 {
                self.tag("done-with-failure");
            }
            let r = self.d.ticket_result(t);
            assert_eq!(r, TicketResult::Done(c), "ticket {t:#x}: the model has it done with {c:#04x}");
            self.out.retain(|o| o.ticket != t);
        }
        assert_eq!(
            self.d.client().inflight_count(),
            self.unacked(),
            "in-flight count (model: {:?})",
            self.out
        );
        if !is_closed(self.d.status()) {
            let pending: Vec<u32> = self.out.iter().map(|o| o.ticket).collect();
            for t in pending {
                assert_eq!(self.d.ticket_result(t), TicketResult::Pending, "ticket {t:#x} of a message in flight");
            }
        }
        for o in &self.out {
            assert!(self.d.slot_in_use(o.slot), "slot {} of a message in flight is free", o.slot);
        }
    }
}

// ----- the generated broker ---------------------------------------------

fn packet(header: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![header];
    varint(body.len(), &mut v);
    v.extend_from_slice(body);
    v
}

fn block(props: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    varint(props.len(), &mut v);
    v.extend_from_slice(props);
    v
}

fn prop(buf: &mut Vec<u8>, p: Property<'_>) {
    let mut tmp = vec![0u8; encoded_size(&p).expect("size")];
    let n = put(&mut tmp, 0, &p).expect("put");
    buf.extend_from_slice(&tmp[..n]);
}

/// A random (valid, mostly) property block content for a broker packet.
fn gen_misc_props(u: &mut Unstructured<'_>, kind: PacketKind) -> AResult<Vec<u8>> {
    let mut v = Vec::new();
    for _ in 0..u.int_in_range(0..=2)? {
        match u.int_in_range(0u8..=4)? {
            0 => prop(&mut v, Property { id: id::USER_PROPERTY, value: Value::Pair(b"k", b"v") }),
            1 if !matches!(kind, PacketKind::Publish) => {
                let n = *u.choose(&[1usize, 20, 200, 3000])?;
                let s = "r".repeat(n);
                prop(&mut v, Property { id: id::REASON_STRING, value: Value::Utf8(s.as_bytes()) })
            }
            2 => {
                // Raw bytes: maybe not a valid block at all.
                let n = u.int_in_range(0..=6)?;
                v.extend_from_slice(u.bytes(n)?);
            }
            _ => {}
        }
    }
    Ok(v)
}

struct Gen<'s> {
    sim: &'s Sim5,
    /// Aliases the broker set on this connection (as it believes), in order.
    broker_aliases: &'s mut HashMap<u16, Vec<u8>>,
    our_alias_max: u16,
}

fn some_pid(u: &mut Unstructured<'_>, known: &[u16]) -> AResult<u16> {
    if !known.is_empty() && u.ratio(7u8, 8u8)? {
        return Ok(pick(u, known)?.unwrap_or(1));
    }
    u.int_in_range(1..=20)
}

fn gen_connack(u: &mut Unstructured<'_>) -> AResult<Vec<u8>> {
    let sp: bool = u.arbitrary()?;
    let reason = if u.ratio(1u8, 10u8)? { *u.choose(&[0x80u8, 0x87, 0x8c, 0x9c, 0x95])? } else { 0 };
    let mut p = Vec::new();
    if u.ratio(2u8, 3u8)? {
        prop(&mut p, Property { id: id::RECEIVE_MAXIMUM, value: Value::TwoByte(u.int_in_range(1..=5)?) });
    }
    if u.ratio(1u8, 2u8)? {
        let mps = *u.choose(&[12u32, 20, 40, 64, 90, 128, 300, 1000, 100_000])?;
        prop(&mut p, Property { id: id::MAXIMUM_PACKET_SIZE, value: Value::FourByte(mps) });
    }
    if u.ratio(2u8, 3u8)? {
        prop(&mut p, Property { id: id::TOPIC_ALIAS_MAXIMUM, value: Value::TwoByte(u.int_in_range(0..=10)?) });
    }
    if u.ratio(1u8, 4u8)? {
        prop(&mut p, Property { id: id::SERVER_KEEP_ALIVE, value: Value::TwoByte(*u.choose(&[0u16, 1, 5, 60])?) });
    }
    if u.ratio(1u8, 4u8)? {
        prop(&mut p, Property { id: id::ASSIGNED_CLIENT_IDENTIFIER, value: Value::Utf8(b"assigned-1") });
    }
    if u.ratio(1u8, 4u8)? {
        p.extend(gen_misc_props(u, PacketKind::Connack)?);
    }
    let mut body = vec![u8::from(sp), reason];
    body.extend(block(&p));
    Ok(packet(0x20, &body))
}

impl Gen<'_> {
    fn publish(&mut self, u: &mut Unstructured<'_>) -> AResult<Vec<u8>> {
        let qos = u.int_in_range(0u8..=2)?;
        let held: Vec<u16> = self.sim.inbound_q2.iter().copied().collect();
        let pid = if qos == 2 && !held.is_empty() && u.arbitrary()? {
            pick(u, &held)?.unwrap_or(1)
        } else {
            u.int_in_range(1..=12)?
        };
        let topics = [&b"a"[..], b"a/b", b"s/t1", b"x/y/z", b"t/longer/topic/name"];
        let mut topic = pick(u, &topics)?.unwrap_or(b"a").to_vec();
        let mut p = Vec::new();
        let max = self.our_alias_max;
        match u.int_in_range(0u8..=5)? {
            // Set an alias (sometimes one above our maximum or 0).
            0 | 1 => {
                let a = if u.ratio(1u8, 10u8)? { *u.choose(&[0u16, max + 1])? } else { u.int_in_range(1..=max.max(1))? };
                prop(&mut p, Property { id: id::TOPIC_ALIAS, value: Value::TwoByte(a) });
                self.broker_aliases.insert(a, topic.clone());
            }
            // Use one (set before, or not).
            2 | 3 => {
                let set: Vec<u16> = self.broker_aliases.keys().copied().collect();
                let a = if !set.is_empty() && u.ratio(7u8, 8u8)? {
                    let mut s = set;
                    s.sort_unstable();
                    pick(u, &s)?.unwrap_or(1)
                } else {
                    u.int_in_range(0..=max + 1)?
                };
                prop(&mut p, Property { id: id::TOPIC_ALIAS, value: Value::TwoByte(a) });
                topic.clear();
            }
            _ => {}
        }
        if u.ratio(1u8, 3u8)? {
            prop(&mut p, Property { id: id::SUBSCRIPTION_IDENTIFIER, value: Value::VarInt(u.int_in_range(1..=300)?) });
        }
        if u.ratio(1u8, 3u8)? {
            prop(&mut p, Property { id: id::CONTENT_TYPE, value: Value::Utf8(b"text/plain") });
        }
        if u.ratio(1u8, 4u8)? {
            p.extend(gen_misc_props(u, PacketKind::Publish)?);
        }
        let dup = qos > 0 && u.arbitrary()?;
        let retain: bool = u.arbitrary()?;
        let mut body = Vec::new();
        body.extend_from_slice(&(topic.len() as u16).to_be_bytes());
        body.extend_from_slice(&topic);
        if qos > 0 {
            body.extend_from_slice(&pid.to_be_bytes());
        }
        body.extend(block(&p));
        let n = *u.choose(&[0usize, 1, 5, 100])?;
        body.extend(std::iter::repeat(b'm').take(n));
        let h = 0x30 | (u8::from(dup) << 3) | (qos << 1) | u8::from(retain);
        Ok(packet(h, &body))
    }

    fn ack(&mut self, u: &mut Unstructured<'_>, kind: u8) -> AResult<Vec<u8>> {
        let known: Vec<u16> = match kind {
            4 => self.sim.out.iter().filter(|o| o.state == St::Puback).map(|o| o.pid).collect(),
            5 => self.sim.out.iter().filter(|o| o.state == St::Pubrec).map(|o| o.pid).collect(),
            6 => self.sim.inbound_q2.iter().copied().collect(),
            _ => self.sim.out.iter().filter(|o| o.state == St::Pubcomp).map(|o| o.pid).collect(),
        };
        let pid = some_pid(u, &known)?;
        let mut body = pid.to_be_bytes().to_vec();
        let fails: &[u8] = match kind {
            4 | 5 => &[0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99, 0x10],
            _ => &[0x92],
        };
        match u.int_in_range(0u8..=3)? {
            0 => {}
            1 => body.push(0),
            2 => {
                body.push(*u.choose(fails)?);
                if u.arbitrary()? {
                    body.extend(block(&gen_misc_props(u, PacketKind::Puback)?));
                }
            }
            _ => {
                body.push(if u.arbitrary()? { 0 } else { *u.choose(fails)? });
                body.extend(block(&gen_misc_props(u, PacketKind::Puback)?));
            }
        }
        let h = (kind << 4) | if kind == 6 { 2 } else { 0 };
        Ok(packet(h, &body))
    }

    fn packet(&mut self, u: &mut Unstructured<'_>) -> AResult<Vec<u8>> {
        Ok(match u.int_in_range(0u8..=19)? {
            0 | 1 => {
                self.broker_aliases.clear();
                gen_connack(u)?
            }
            2..=6 => self.publish(u)?,
            7..=9 => self.ack(u, 4)?,
            10 | 11 => self.ack(u, 5)?,
            12 => self.ack(u, 6)?,
            13 | 14 => self.ack(u, 7)?,
            15 => {
                let mut body = u.int_in_range(1u16..=8)?.to_be_bytes().to_vec();
                body.extend(block(&gen_misc_props(u, PacketKind::Suback)?));
                body.push(*u.choose(&[0u8, 1, 2, 0x80, 0x87, 0x8f, 0xa2])?);
                packet(if u.arbitrary()? { 0x90 } else { 0xb0 }, &body)
            }
            16 => {
                let code = *u.choose(&[0u8, 0x04, 0x80, 0x81, 0x82, 0x87, 0x89, 0x8b, 0x8d, 0x93, 0x94, 0x95, 0x9c])?;
                let mut body = Vec::new();
                if u.arbitrary()? {
                    body.push(code);
                    if u.arbitrary()? {
                        body.extend(block(&gen_misc_props(u, PacketKind::Disconnect)?));
                    }
                }
                packet(0xe0, &body)
            }
            17 => vec![0xd0, 0],
            _ => {
                // Garbage or a short random packet.
                let n = u.int_in_range(1..=8)?;
                u.bytes(n)?.to_vec()
            }
        })
    }
}

/// Settings, the connect properties and the clock's start.
pub fn gen_setup(u: &mut Unstructured<'_>) -> AResult<(Settings, Vec<u8>, u16, u32)> {
    let s = Settings {
        keepalive_s: *u.choose(&[0u16, 0, 1, 10, 60])?,
        ping_max_missed: u.int_in_range(0..=2)?,
        protocol_level: 5,
        timeout_ms: *u.choose(&[1000u32, 10_000, 60_000])?,
        reconnect: u.arbitrary()?,
        max_inflight: u.int_in_range(1..=MAX_INFLIGHT as u8)?,
        // Not drawn from the input (the corpus keeps its meaning): no bound.
        max_packet: 0,
        chunked: false,
    };
    let mut p = Vec::new();
    let mut alias_max = 0;
    if u.ratio(3u8, 4u8)? {
        alias_max = u.int_in_range(0..=16)?;
        prop(&mut p, Property { id: id::TOPIC_ALIAS_MAXIMUM, value: Value::TwoByte(alias_max) });
    }
    if u.arbitrary()? {
        prop(&mut p, Property { id: id::RECEIVE_MAXIMUM, value: Value::TwoByte(u.int_in_range(1..=100)?) });
    }
    if u.ratio(1u8, 4u8)? {
        prop(&mut p, Property { id: id::SESSION_EXPIRY_INTERVAL, value: Value::FourByte(u.arbitrary()?) });
    }
    let start = if u.arbitrary()? { 1000 } else { u.arbitrary()? };
    Ok((s, p, alias_max, start))
}

fn gen_pub_props(u: &mut Unstructured<'_>) -> AResult<Vec<u8>> {
    let mut v = Vec::new();
    // Each at most once, but User Properties (the spec forbids the rest twice).
    let mut used = HashSet::new();
    for _ in 0..u.int_in_range(0..=3)? {
        let k = u.int_in_range(0u8..=5)?;
        if k != 0 && k != 4 && !used.insert(k) {
            continue;
        }
        match k {
            0 => prop(&mut v, Property { id: id::USER_PROPERTY, value: Value::Pair(b"key", b"value") }),
            1 => prop(&mut v, Property { id: id::CONTENT_TYPE, value: Value::Utf8(b"application/json") }),
            2 => prop(&mut v, Property { id: id::PAYLOAD_FORMAT_INDICATOR, value: Value::Byte(1) }),
            3 => prop(&mut v, Property { id: id::MESSAGE_EXPIRY_INTERVAL, value: Value::FourByte(60) }),
            4 => {
                let s = "u".repeat(*u.choose(&[10usize, 100, 400])?);
                prop(&mut v, Property { id: id::USER_PROPERTY, value: Value::Pair(b"big", s.as_bytes()) })
            }
            _ => prop(&mut v, Property { id: id::CORRELATION_DATA, value: Value::Binary(b"\x00\x01") }),
        }
    }
    Ok(v)
}

fn gen_op(u: &mut Unstructured<'_>, sim: &Sim5, g: &mut HashMap<u16, Vec<u8>>, alias_max: u16) -> AResult<Op5> {
    Ok(match u.int_in_range(0u8..=24)? {
        0 | 1 => Op5::Connect { clean: u.ratio(1u8, 3u8)? },
        2 => Op5::SetOpen(u.ratio(3u8, 4u8)?),
        3 => Op5::TransportDown,
        4..=8 => Op5::Publish {
            topic: u.int_in_range(0..=12)?,
            qos: u.int_in_range(0..=2)?,
            retain: u.arbitrary()?,
            props: match u.int_in_range(0u8..=9)? {
                0..=4 => Vec::new(),
                5..=7 => gen_pub_props(u)?,
                // Raw bytes (often not a valid block), or what only the core
                // or the broker may put there.
                8 => {
                    let n = u.int_in_range(1..=6)?;
                    u.bytes(n)?.to_vec()
                }
                _ => {
                    let mut v = gen_pub_props(u)?;
                    let p = if u.arbitrary()? {
                        Property { id: id::TOPIC_ALIAS, value: Value::TwoByte(1) }
                    } else {
                        Property { id: id::SUBSCRIPTION_IDENTIFIER, value: Value::VarInt(5) }
                    };
                    prop(&mut v, p);
                    v
                }
            },
            payload: *u.choose(&[0usize, 3, 30, 200])?,
        },
        9 => Op5::Subscribe {
            filter: u.int_in_range(0..=3)?,
            options: if u.ratio(1u8, 8u8)? { u.arbitrary()? } else { u.int_in_range(0..=0x3f)? },
            sid: match u.int_in_range(0u8..=7)? {
                0..=3 => 0,
                7 => u.arbitrary()?,
                _ => u.int_in_range(1..=268_435_455)?,
            },
        },
        10 => Op5::Unsubscribe { filter: u.int_in_range(0..=3)? },
        11 => Op5::Disconnect,
        12 | 13 => Op5::Advance { ms: *u.choose(&[10u32, 1000, 5000, 30_000, 200_000])? },
        _ => {
            let mut bytes = Vec::new();
            let mut gen = Gen { sim, broker_aliases: g, our_alias_max: alias_max };
            // A CONNACK first when the driver waits for one.
            if sim.up && !sim.connected && u.ratio(3u8, 4u8)? {
                gen.broker_aliases.clear();
                bytes.extend(gen_connack(u)?);
            }
            for _ in 0..u.int_in_range(1..=3)? {
                bytes.extend(gen.packet(u)?);
            }
            if !bytes.is_empty() && u.ratio(1u8, 12u8)? {
                let i = u.int_in_range(0..=bytes.len() - 1)?;
                bytes[i] ^= u.int_in_range(1..=255)?;
            }
            let mut splits = Vec::new();
            for _ in 0..u.int_in_range(0..=2)? {
                splits.push(u.int_in_range(0..=bytes.len())?);
            }
            splits.sort_unstable();
            Op5::Broker { bytes, splits, pump_between: u.arbitrary()? }
        }
    })
}

/// The target.
pub fn run_v5_driver(data: &[u8]) {
    run_v5_driver_traced(data, false);
}

/// [`run_v5_driver`], printing each step and what was written (`trace`).
pub fn run_v5_driver_traced(data: &[u8], trace: bool) {
    let mut u = Unstructured::new(data);
    let Ok((settings, props, alias_max, start)) = gen_setup(&mut u) else { return };
    if trace {
        eprintln!("setup {settings:?} connect props {props:02x?} start {start}");
    }
    let mut sim = Sim5::new(settings, props, start, trace);
    let mut broker_aliases = HashMap::new();
    sim.check();
    for _ in 0..OPS {
        if u.is_empty() {
            break;
        }
        let Ok(op) = gen_op(&mut u, &sim, &mut broker_aliases, alias_max) else { break };
        if trace {
            eprintln!("@{} {:?} up={} -> {op:02x?}", sim.now, sim.d.status(), sim.up);
        }
        sim.apply(&op);
    }
    // Nothing dropped: every message of the model is still in flight.
    assert_eq!(sim.d.client().inflight_count(), sim.unacked());
}
