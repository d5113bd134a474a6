//! Session state: bounded tables, packet ids and tickets.
//!
//! - Outgoing QoS 1/2 publishes, each in [`OutState`] (`AwaitPuback`,
//!   `AwaitPubrec`, `AwaitPubcomp`) until acknowledged, then `Done` until its
//!   ticket is read. At most [`MAX_INFLIGHT`] entries; when full, the oldest
//!   `Done` entry is dropped (its ticket turns unknown) and, if none is done,
//!   the publish is refused with `InflightFull`. [`Session::set_max_inflight`]
//!   lowers the number of unacknowledged ones allowed at run time.
//! - A resumed session re-sends the unacknowledged publishes in the order they
//!   were first published ([`Session::resend_item`]; MQTT 3.1.1 4.4, 4.6).
//! - Incoming QoS 2 packet ids between PUBLISH and PUBREL, so a re-sent QoS 2
//!   PUBLISH is not delivered twice ([`crate::inbound`]). At most
//!   [`crate::MAX_INBOUND_QOS2`] unless the caller lends a bitmap; when full,
//!   a new one is refused (`InboundFull`) rather than an old id forgotten,
//!   which could deliver that message twice.
//! - SUBSCRIBE/UNSUBSCRIBE awaiting their ack, then `Done(code)` until read.
//!   At most [`MAX_PENDING_OPS`], same eviction rule as publishes.
//!
//! A ticket is `(sequence << 16) | packet_id`; the sequence counts every
//! ticket handed out, so a ticket stays unique even when its packet id is
//! reused. Tickets are never 0 (packet ids are never 0).

use crate::inbound::Inbound;
use crate::pid::{PacketId, PidAllocator};
use crate::{Error, MAX_INFLIGHT, MAX_PENDING_OPS};
use heapless::Vec;

/// Acknowledged tickets remembered after their entry was reused (at least
/// one per thread that may wait on a publish at once, beyond the window).
const COMPLETED_TICKETS: usize = 16;

const _: () = assert!(MAX_INFLIGHT > 0 && MAX_INFLIGHT <= u8::MAX as usize);

/// Where an outgoing QoS 1/2 publish stands.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum OutState {
    /// QoS 1, PUBLISH sent.
    AwaitPuback,
    /// QoS 2, PUBLISH sent.
    AwaitPubrec,
    /// QoS 2, PUBREC received and PUBREL sent.
    AwaitPubcomp,
    /// Acknowledged; kept until the ticket is read or the slot is needed.
    Done,
}

impl OutState {
    /// What a resumed session has to send again for a message in this state
    /// (total mapping): the PUBLISH with DUP, the PUBREL, or nothing.
    pub fn on_reconnect(self) -> Resend {
        match self {
            OutState::AwaitPuback | OutState::AwaitPubrec => Resend::Publish,
            OutState::AwaitPubcomp => Resend::Pubrel,
            OutState::Done => Resend::Nothing,
        }
    }
}

/// See [`OutState::on_reconnect`].
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum Resend {
    Publish,
    Pubrel,
    Nothing,
}

/// One message a resumed session must complete ([`Session::resend_item`]).
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub struct ResendItem {
    /// The slot (0..MAX_INFLIGHT) whose topic and payload the caller keeps.
    pub slot: u8,
    /// `Publish` (again, with DUP) or `Pubrel`; never `Nothing`.
    pub kind: Resend,
    pub ticket: u32,
    pub packet_id: u16,
    pub qos: u8,
}

#[derive(Clone, Copy)]
struct Outgoing {
    pid: u16,
    seq: u16,
    state: OutState,
    /// The caller gave up on the ticket: drop the entry once acknowledged.
    forgotten: bool,
    /// Index of the caller's topic/payload objects; unique among entries.
    slot: u8,
    retain: bool,
    /// Its PUBLISH was handed out whole (a re-send carries DUP).
    sent: bool,
    /// To be sent again on the connection just accepted.
    resend: bool,
    /// Once `Done`: the failure reason code of its PUBACK/PUBREC (MQTT 5), or 0.
    #[cfg(feature = "mqtt5")]
    code: u8,
}

impl Outgoing {
    fn code(&self) -> u8 {
        #[cfg(feature = "mqtt5")]
        return self.code;
        #[cfg(not(feature = "mqtt5"))]
        0
    }
}

/// SUBSCRIBE or UNSUBSCRIBE.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum OpKind {
    Subscribe,
    Unsubscribe,
}

#[derive(Clone, Copy)]
struct PendingOp {
    pid: u16,
    seq: u16,
    kind: OpKind,
    /// `None` while pending, `Some(code)` once acknowledged.
    done: Option<u8>,
    /// Subscription slot this operation is about (SUBSCRIBE only).
    sub: Option<u8>,
    /// Nobody waits: drop it once acknowledged.
    forgotten: bool,
}

/// An acknowledgement of something the client sent ([`Session::on_ack`]).
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum Ack {
    Puback,
    Pubrec,
    Pubcomp,
    /// PUBREL of an incoming QoS 2 message: always known (ticket 0).
    Pubrel,
    /// PINGRESP: nothing in the session; always known (ticket 0).
    Pingresp,
    /// A PUBACK or PUBREC with this failure reason code (MQTT 5).
    Failed(u8),
    /// SUBACK with its (first) return code.
    Suback(u8),
    /// UNSUBACK with its reason code (0 before MQTT 5).
    Unsuback(u8),
}

/// What [`Session::ticket_result`] knows of a ticket.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum TicketResult {
    /// Not acknowledged yet.
    Pending,
    /// Acknowledged; the code is the SUBACK return code, an MQTT 5 failure
    /// reason code of a PUBACK/PUBREC/UNSUBACK, or 0. The entry has been
    /// released.
    Done(u8),
    /// Never issued, already read, forgotten or invalidated.
    Unknown,
    /// The connection is closed and will not come back by itself: stop
    /// waiting ([`crate::Driver::ticket_result`]).
    Lost,
}

/// The bounded session tables.
pub struct Session<'m> {
    outgoing: Vec<Outgoing, MAX_INFLIGHT>,
    /// Tickets of acknowledged publishes whose entry made room for a new one
    /// before their waiter read them (many threads publishing at once).
    completed: Vec<Completed, COMPLETED_TICKETS>,
    inbound: Inbound<'m>,
    ops: Vec<PendingOp, MAX_PENDING_OPS>,
    pids: PidAllocator,
    seq: u16,
    /// Unacknowledged publishes allowed (1..=MAX_INFLIGHT).
    max_inflight: u8,
    /// The broker's Receive Maximum (MQTT 5; `u16::MAX` when it set none):
    /// the window is the smaller of the two.
    peer_max: u16,
}

impl Default for Session<'_> {
    fn default() -> Self {
        Self::new()
    }
}

/// A read-later ticket and, with MQTT 5, its failure reason code.
#[cfg(feature = "mqtt5")]
type Completed = (u32, u8);
#[cfg(not(feature = "mqtt5"))]
type Completed = (u32, ());

fn completed(t: u32, code: u8) -> Completed {
    #[cfg(not(feature = "mqtt5"))]
    let code = {
        let _ = code;
    };
    (t, code)
}

#[cfg(feature = "mqtt5")]
fn completed_code(c: &Completed) -> u8 {
    c.1
}
#[cfg(not(feature = "mqtt5"))]
fn completed_code(_: &Completed) -> u8 {
    0
}

fn ticket(seq: u16, pid: u16) -> u32 {
    (u32::from(seq) << 16) | u32::from(pid)
}

/// A publish just added: its packet id, ticket and slot.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub struct Added {
    pub pid: PacketId,
    pub ticket: u32,
    pub slot: u8,
}

impl<'m> Session<'m> {
    pub const fn new() -> Self {
        Session {
            outgoing: Vec::new(),
            completed: Vec::new(),
            inbound: Inbound::new(),
            ops: Vec::new(),
            pids: PidAllocator::START,
            seq: 0,
            max_inflight: MAX_INFLIGHT as u8,
            peer_max: u16::MAX,
        }
    }

    /// Forgets everything (a clean session); every ticket turns unknown.
    pub fn clear(&mut self) {
        self.outgoing.clear();
        self.completed.clear();
        self.inbound.clear();
        self.ops.clear();
        self.seq = self.seq.wrapping_add(1);
    }

    /// The connection is gone: SUBSCRIBE/UNSUBSCRIBE tickets turn unknown.
    pub fn drop_ops(&mut self) {
        self.ops.clear();
    }

    /// The broker kept no session: forget the incoming QoS 2 ids.
    pub fn clear_inbound_qos2(&mut self) {
        self.inbound.clear();
    }

    pub fn set_max_inflight(&mut self, max: usize) -> Result<(), Error> {
        match u8::try_from(max) {
            Ok(m) if m > 0 && max <= MAX_INFLIGHT => {
                self.max_inflight = m;
                Ok(())
            }
            _ => Err(Error::BadArgument),
        }
    }

    /// The window: ours, bounded by the broker's Receive Maximum.
    pub fn max_inflight(&self) -> usize {
        usize::from(self.max_inflight).min(usize::from(self.peer_max))
    }

    /// The broker's Receive Maximum for this connection (`u16::MAX`: none;
    /// 0 is refused by the decoder). Messages already in flight above it stay.
    pub fn set_peer_max(&mut self, max: u16) {
        self.peer_max = max.max(1);
    }

    fn pid_in_use(&self, pid: u16) -> bool {
        self.outgoing.iter().any(|o| o.pid == pid) || self.ops.iter().any(|o| o.pid == pid)
    }

    /// Publishes not yet acknowledged.
    pub fn inflight_count(&self) -> usize {
        self.outgoing
            .iter()
            .filter(|o| o.state != OutState::Done)
            .count()
    }

    /// Whether `add_publish` would find room.
    pub fn can_publish(&self) -> bool {
        self.publish_room().is_some()
    }

    /// Where `add_publish` finds room: `None` nowhere (the in-flight limit,
    /// or a full table with no done entry), `Some(None)` a free place,
    /// `Some(Some(i))` done entry `i` of a full table (the oldest), which
    /// makes room. The client asks once and adds with the answer.
    pub(crate) fn publish_room(&self) -> Option<Option<usize>> {
        if self.inflight_count() >= self.max_inflight() {
            return None;
        }
        if !self.outgoing.is_full() {
            return Some(None);
        }
        self.outgoing
            .iter()
            .position(|o| o.state == OutState::Done)
            .map(Some)
    }

    pub fn can_add_op(&self) -> bool {
        !self.ops.is_full() || self.ops.iter().any(|o| o.done.is_some())
    }

    /// A free packet id and the next sequence number; `None` when every id
    /// is in use (an `Option`, returned in registers, where a `Result`
    /// would go through the stack).
    fn next_pid_and_seq(&mut self) -> Option<(PacketId, u16)> {
        let mut alloc = self.pids;
        let pid = alloc.alloc(|p| self.pid_in_use(p))?;
        self.pids = alloc;
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        Some((pid, seq))
    }

    fn free_slot(&self) -> Option<u8> {
        (0..MAX_INFLIGHT as u8).find(|s| !self.outgoing.iter().any(|o| o.slot == *s))
    }

    /// Adds an outgoing QoS 1/2 publish; the oldest `Done` entry makes room
    /// when the table is full.
    pub fn add_publish(&mut self, qos: u8, retain: bool) -> Result<Added, Error> {
        if !matches!(qos, 1 | 2) {
            return Err(Error::BadArgument);
        }
        let room = self.publish_room().ok_or(Error::InflightFull)?;
        self.add_publish_in(qos, retain, room)
    }

    /// [`Session::add_publish`] of a QoS 1 or 2 (`qos` 1: 1, else 2) in the
    /// `room` [`Session::publish_room`] found (the client asks that first,
    /// before it encodes).
    pub(crate) fn add_publish_in(
        &mut self,
        qos: u8,
        retain: bool,
        room: Option<usize>,
    ) -> Result<Added, Error> {
        let state = if qos == 1 {
            OutState::AwaitPuback
        } else {
            OutState::AwaitPubrec
        };
        if let Some(i) = room {
            let o = self.outgoing.remove(i);
            if self.completed.is_full() {
                self.completed.remove(0);
            }
            let _ = self.completed.push(completed(ticket(o.seq, o.pid), o.code()));
        }
        let slot = self.free_slot().ok_or(Error::InflightFull)?;
        let (pid, seq) = self.next_pid_and_seq().ok_or(Error::InflightFull)?;
        self.outgoing
            .push(Outgoing {
                pid: pid.get(),
                seq,
                state,
                forgotten: false,
                slot,
                retain,
                sent: true,
                resend: false,
                #[cfg(feature = "mqtt5")]
                code: 0,
            })
            .map_err(|_| Error::InflightFull)?;
        Ok(Added {
            pid,
            ticket: ticket(seq, pid.get()),
            slot,
        })
    }

    /// Adds a SUBSCRIBE/UNSUBSCRIBE awaiting its acknowledgement.
    pub fn add_op(
        &mut self,
        kind: OpKind,
        sub: Option<u8>,
        forgotten: bool,
    ) -> Result<(PacketId, u32), Error> {
        if self.ops.is_full() {
            match self.ops.iter().position(|o| o.done.is_some()) {
                Some(i) => {
                    self.ops.remove(i);
                }
                None => return Err(Error::InflightFull),
            }
        }
        let (pid, seq) = self.next_pid_and_seq().ok_or(Error::InflightFull)?;
        self.ops
            .push(PendingOp {
                pid: pid.get(),
                seq,
                kind,
                done: None,
                sub,
                forgotten,
            })
            .map_err(|_| Error::InflightFull)?;
        Ok((pid, ticket(seq, pid.get())))
    }

    fn find_out(&self, pid: u16, state: OutState) -> Option<usize> {
        self.outgoing
            .iter()
            .position(|o| o.pid == pid && o.state == state)
    }

    /// Whether `t` is a publish still held (in flight, or done and unread).
    pub fn holds_publish(&self, t: u32) -> bool {
        self.find_ticket(t).is_some()
    }

    fn find_ticket(&self, t: u32) -> Option<usize> {
        // One comparison of the whole ticket (LLVM may load the adjacent
        // `pid` and `seq` as one word).
        self.outgoing.iter().position(|o| ticket(o.seq, o.pid) == t)
    }

    /// The SUBSCRIBE/UNSUBSCRIBE of ticket `t`: at most one, as no two
    /// entries share a packet id ([`Session::next_pid_and_seq`]).
    fn find_op(&self, t: u32) -> Option<usize> {
        self.ops.iter().position(|o| ticket(o.seq, o.pid) == t)
    }

    /// A PUBACK or PUBREC with a failure reason code (MQTT 5): the message
    /// is finished, its ticket reads `Done(code)`, nothing more is sent.
    pub fn on_failed_ack(&mut self, pid: u16, code: u8) -> Option<u32> {
        let i = self
            .find_out(pid, OutState::AwaitPuback)
            .or_else(|| self.find_out(pid, OutState::AwaitPubrec))?;
        self.complete_with(i, code)
    }

    /// The message in `slot` cannot be sent (MQTT 5: above the broker's
    /// Maximum Packet Size): finished with `code`, as a failed acknowledgement.
    pub fn fail_slot(&mut self, slot: u8, code: u8) -> Option<u32> {
        let i = self
            .outgoing
            .iter()
            .position(|o| o.slot == slot && o.state != OutState::Done)?;
        self.complete_with(i, code)
    }

    fn complete(&mut self, i: usize) -> Option<u32> {
        self.complete_with(i, 0)
    }

    fn complete_with(&mut self, i: usize, code: u8) -> Option<u32> {
        let o = self.outgoing.get_mut(i)?;
        #[cfg(feature = "mqtt5")]
        {
            o.code = code;
        }
        #[cfg(not(feature = "mqtt5"))]
        let _ = code;
        let t = ticket(o.seq, o.pid);
        // Acknowledged before its re-send went out (a broker that answers
        // the first copy after a reconnect): nothing is owed any more, and a
        // re-send left marked would hold every later one behind it.
        o.resend = false;
        if o.forgotten {
            self.outgoing.remove(i);
        } else {
            o.state = OutState::Done;
        }
        Some(t)
    }

    pub fn on_puback(&mut self, pid: u16) -> Option<u32> {
        let i = self.find_out(pid, OutState::AwaitPuback)?;
        #[cfg(feature = "fuzz-plant-wrong-ack")] // planted bug (tools/fuzz-planted.sh)
        let i = match self.outgoing.iter().position(|o| o.state == OutState::AwaitPuback) {
            Some(first) if self.inflight_count() >= 3 => first,
            _ => i,
        };
        self.complete(i)
    }

    pub fn on_pubrec(&mut self, pid: u16) -> Option<u32> {
        let i = self
            .find_out(pid, OutState::AwaitPubrec)
            .or_else(|| self.find_out(pid, OutState::AwaitPubcomp))?;
        let o = self.outgoing.get_mut(i)?;
        o.state = OutState::AwaitPubcomp;
        Some(ticket(o.seq, o.pid))
    }

    pub fn on_pubcomp(&mut self, pid: u16) -> Option<u32> {
        let i = self.find_out(pid, OutState::AwaitPubcomp)?;
        self.complete(i)
    }

    /// SUBACK/UNSUBACK: the ticket and the subscription slot it was about.
    pub fn on_op_ack(&mut self, kind: OpKind, pid: u16, code: u8) -> Option<(u32, Option<u8>)> {
        let i = self
            .ops
            .iter()
            .position(|o| o.pid == pid && o.kind == kind && o.done.is_none())?;
        let o = self.ops.get_mut(i)?;
        let result = (ticket(o.seq, o.pid), o.sub);
        if o.forgotten {
            self.ops.remove(i);
        } else {
            o.done = Some(code);
        }
        Some(result)
    }

    /// Any acknowledgement for `pid` (a PUBREL, a PINGRESP too): the ticket it
    /// completes or advances and, for a SUBACK/UNSUBACK, the subscription slot the operation was
    /// about; `None` for an id nothing awaits. One entry for the client's
    /// handling, which then builds one event for all of them.
    pub fn on_ack(&mut self, ack: Ack, pid: u16) -> Option<(u32, Option<u8>)> {
        let ticket = match ack {
            Ack::Puback => self.on_puback(pid),
            Ack::Pubrec => self.on_pubrec(pid),
            Ack::Pubcomp => self.on_pubcomp(pid),
            Ack::Pubrel => {
                self.on_pubrel(pid);
                Some(0)
            }
            Ack::Pingresp => Some(0),
            Ack::Failed(code) => self.on_failed_ack(pid, code),
            Ack::Suback(code) => return self.on_op_ack(OpKind::Subscribe, pid, code),
            Ack::Unsuback(code) => return self.on_op_ack(OpKind::Unsubscribe, pid, code),
        };
        ticket.map(|t| (t, None))
    }

    /// Whether an incoming QoS 2 `pid` was delivered and awaits its PUBREL.
    pub fn inbound_contains(&self, pid: u16) -> bool {
        self.inbound.contains(pid)
    }

    /// Records an incoming QoS 2 `pid` as delivered: `Ok(true)` newly,
    /// `Ok(false)` already, `InboundFull` when there is no room.
    pub fn on_incoming_qos2(&mut self, pid: u16) -> Result<bool, Error> {
        self.inbound.insert(pid)
    }

    pub fn on_pubrel(&mut self, pid: u16) {
        self.inbound.remove(pid);
    }

    pub fn inbound_qos2_count(&self) -> usize {
        self.inbound.len()
    }

    /// Lends the bitmap that lifts the bound on incoming QoS 2 ids.
    pub fn lend_inbound_map(&mut self, map: &'m mut [u8]) -> Result<(), Error> {
        self.inbound.lend_map(map)
    }

    pub fn has_inbound_map(&self) -> bool {
        self.inbound.has_map()
    }

    /// Where a ticket stands; a `Done` one is released by reading it.
    pub fn ticket_result(&mut self, t: u32) -> TicketResult {
        if let Some(i) = self.find_ticket(t) {
            return match self.outgoing.get(i).map(|o| o.state) {
                Some(OutState::Done) => {
                    let o = self.outgoing.remove(i);
                    TicketResult::Done(o.code())
                }
                Some(_) => TicketResult::Pending,
                None => TicketResult::Unknown,
            };
        }
        if let Some(i) = self.find_op(t) {
            return match self.ops.get(i).and_then(|o| o.done) {
                Some(code) => {
                    self.ops.remove(i);
                    TicketResult::Done(code)
                }
                None => TicketResult::Pending,
            };
        }
        // The first entry's code; any later entry with the same ticket goes
        // too (possible only after the sequence number wrapped).
        let mut code = None;
        while let Some(i) = self.completed.iter().position(|c| c.0 == t) {
            let c = self.completed.remove(i);
            code.get_or_insert(completed_code(&c));
        }
        code.map_or(TicketResult::Unknown, TicketResult::Done)
    }

    /// Whether an outgoing entry holds `slot` (its objects are still needed).
    pub fn slot_in_use(&self, slot: u8) -> bool {
        self.outgoing.iter().any(|o| o.slot == slot)
    }

    /// Nobody waits for `t` any more: an operation is dropped, a publish
    /// stays in flight (re-sent on a resumed session) until acknowledged.
    pub fn forget(&mut self, t: u32) {
        if let Some(i) = self.find_op(t) {
            self.ops.remove(i);
        }
        if let Some(i) = self.find_ticket(t) {
            if let Some(o) = self.outgoing.get_mut(i) {
                if o.state == OutState::Done {
                    self.outgoing.remove(i);
                } else {
                    o.forgotten = true;
                }
            }
        }
    }

    /// The PUBLISH of `t` never reached the transport whole.
    pub fn mark_unsent(&mut self, t: u32) {
        if let Some(o) = self.find_ticket(t).and_then(|i| self.outgoing.get_mut(i)) {
            o.sent = false;
        }
    }

    /// Removes the publish of `t` if its PUBLISH was never sent; returns
    /// whether it did. A sent one stays in flight (it may have arrived).
    pub fn withdraw_unsent(&mut self, t: u32) -> bool {
        match self.find_ticket(t) {
            Some(i) if self.outgoing.get(i).is_some_and(|o| !o.sent) => {
                self.outgoing.remove(i);
                true
            }
            _ => false,
        }
    }

    /// Marks every unacknowledged publish (and PUBREL) to be sent again.
    pub fn mark_all_for_resend(&mut self) {
        for o in self.outgoing.iter_mut() {
            o.resend = o.state != OutState::Done;
        }
    }

    /// Whether anything marked by [`Session::mark_all_for_resend`] is left.
    pub fn resend_pending(&self) -> bool {
        self.outgoing.iter().any(|o| o.resend)
    }

    /// The first entry still to be re-sent, in the order first published.
    pub fn next_resend(&self) -> Option<ResendItem> {
        self.outgoing
            .iter()
            .find(|o| o.resend)
            .map(|o| self.item(o))
    }

    /// The re-send of `slot` is on its way.
    pub fn resent(&mut self, slot: u8) {
        if let Some(o) = self.outgoing.iter_mut().find(|o| o.slot == slot) {
            o.resend = false;
            o.sent = true;
        }
    }

    fn item(&self, o: &Outgoing) -> ResendItem {
        ResendItem {
            slot: o.slot,
            kind: o.state.on_reconnect(),
            ticket: ticket(o.seq, o.pid),
            packet_id: o.pid,
            qos: if o.state == OutState::AwaitPuback {
                1
            } else {
                2
            },
        }
    }

    /// Every unacknowledged outgoing message, in the order first published.
    pub fn resend_list(&self) -> impl Iterator<Item = ResendItem> + '_ {
        self.outgoing
            .iter()
            .filter(|o| o.state != OutState::Done)
            .map(|o| self.item(o))
    }

    pub fn resend_item(&self, idx: usize) -> Option<ResendItem> {
        self.resend_list().nth(idx)
    }

    /// The packet id, QoS, retain flag and DUP flag of the PUBLISH in `slot`
    /// when it awaits PUBACK/PUBREC.
    pub fn publish_in_slot(&self, slot: u8) -> Option<(PacketId, u8, bool, bool)> {
        let o = self.outgoing.iter().find(|o| o.slot == slot)?;
        let qos = match o.state {
            OutState::AwaitPuback => 1,
            OutState::AwaitPubrec => 2,
            OutState::AwaitPubcomp | OutState::Done => return None,
        };
        Some((PacketId::new(o.pid)?, qos, o.retain, o.sent))
    }

    /// The packet id and QoS of a PUBLISH awaiting PUBACK/PUBREC.
    pub fn publish_to_resend(&self, t: u32) -> Option<(PacketId, u8)> {
        let o = self.outgoing.get(self.find_ticket(t)?)?;
        let qos = match o.state {
            OutState::AwaitPuback => 1,
            OutState::AwaitPubrec => 2,
            OutState::AwaitPubcomp | OutState::Done => return None,
        };
        Some((PacketId::new(o.pid)?, qos))
    }

    /// The slot of ticket `t`'s publish.
    pub fn slot_of(&self, t: u32) -> Option<u8> {
        self.outgoing.get(self.find_ticket(t)?).map(|o| o.slot)
    }

    pub fn state_of(&self, pid: u16) -> Option<OutState> {
        self.outgoing
            .iter()
            .find(|o| o.pid == pid && o.state != OutState::Done)
            .map(|o| o.state)
    }

    pub fn set_next_pid(&mut self, v: PacketId) {
        self.pids.set_next(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MAX_INBOUND_QOS2;

    #[test]
    fn a_qos1_publish_is_pending_until_puback_then_done_once() {
        let mut s = Session::new();
        let Added { pid, ticket: t, .. } = s.add_publish(1, false).unwrap();
        assert_eq!(pid.get(), 1);
        assert_eq!(s.ticket_result(t), TicketResult::Pending);
        assert_eq!(s.on_puback(1), Some(t));
        assert_eq!(s.inflight_count(), 0);
        assert_eq!(s.ticket_result(t), TicketResult::Done(0));
        assert_eq!(s.ticket_result(t), TicketResult::Unknown);
    }

    #[test]
    fn a_qos2_publish_walks_pubrec_then_pubcomp() {
        let mut s = Session::new();
        let Added { ticket: t, .. } = s.add_publish(2, false).unwrap();
        assert_eq!(s.on_puback(1), None);
        assert_eq!(s.on_pubcomp(1), None);
        assert_eq!(s.on_pubrec(1), Some(t));
        assert_eq!(s.state_of(1), Some(OutState::AwaitPubcomp));
        assert_eq!(
            s.on_pubrec(1),
            Some(t),
            "a repeated PUBREC is answered again"
        );
        assert_eq!(s.on_pubcomp(1), Some(t));
        assert_eq!(s.ticket_result(t), TicketResult::Done(0));
    }

    #[test]
    fn incoming_puback_for_an_unknown_id_is_handled_gracefully() {
        let mut s = Session::new();
        assert_eq!(s.on_puback(77), None);
        assert_eq!(s.on_pubrec(77), None);
        assert_eq!(s.on_pubcomp(77), None);
        assert_eq!(s.on_op_ack(OpKind::Subscribe, 77, 0), None);
    }

    #[test]
    fn the_inflight_table_refuses_a_seventeenth_unacknowledged_publish() {
        let mut s = Session::new();
        for _ in 0..MAX_INFLIGHT {
            s.add_publish(1, false).unwrap();
        }
        assert!(!s.can_publish());
        assert_eq!(s.add_publish(1, false), Err(Error::InflightFull));
        s.on_puback(3).unwrap();
        assert!(s.can_publish());
        let Added { pid, .. } = s.add_publish(1, false).unwrap();
        assert_eq!(pid.get(), 17);
    }

    #[test]
    fn an_acknowledged_ticket_whose_entry_was_reused_before_it_was_read_still_reads_done() {
        let mut s = Session::new();
        let mut tickets = std::vec::Vec::new();
        for _ in 0..MAX_INFLIGHT {
            let a = s.add_publish(1, false).unwrap();
            tickets.push(a.ticket);
            s.on_puback(a.pid.get()).unwrap();
        }
        // Sixteen more publishes reuse the sixteen done entries, unread.
        for _ in 0..MAX_INFLIGHT {
            s.add_publish(1, false).unwrap();
        }
        for t in tickets {
            assert_eq!(s.ticket_result(t), TicketResult::Done(0));
            assert_eq!(s.ticket_result(t), TicketResult::Unknown, "read once");
        }
    }

    #[test]
    fn a_forgotten_publish_is_dropped_when_acknowledged() {
        let mut s = Session::new();
        let Added { ticket: t, .. } = s.add_publish(1, false).unwrap();
        s.forget(t);
        assert_eq!(s.ticket_result(t), TicketResult::Pending);
        assert_eq!(s.on_puback(1), Some(t));
        assert_eq!(s.ticket_result(t), TicketResult::Unknown);
    }

    #[test]
    fn clearing_the_session_makes_every_ticket_unknown() {
        let mut s = Session::new();
        let Added { ticket: t1, .. } = s.add_publish(1, false).unwrap();
        let (_, t2) = s.add_op(OpKind::Subscribe, None, false).unwrap();
        assert_eq!(s.on_incoming_qos2(9), Ok(true));
        s.clear();
        assert_eq!(s.ticket_result(t1), TicketResult::Unknown);
        assert_eq!(s.ticket_result(t2), TicketResult::Unknown);
        assert_eq!(s.on_incoming_qos2(9), Ok(true));
    }

    #[test]
    fn an_incoming_qos2_id_is_delivered_once_until_pubrel() {
        let mut s = Session::new();
        assert_eq!(s.on_incoming_qos2(5), Ok(true));
        assert_eq!(s.on_incoming_qos2(5), Ok(false));
        s.on_pubrel(5);
        assert_eq!(s.on_incoming_qos2(5), Ok(true));
    }

    #[test]
    fn a_full_inbound_table_refuses_a_new_id_and_forgets_none() {
        let mut s = Session::new();
        for p in 1..=(MAX_INBOUND_QOS2 as u16) {
            assert_eq!(s.on_incoming_qos2(p), Ok(true));
        }
        let next = MAX_INBOUND_QOS2 as u16 + 1;
        assert_eq!(s.on_incoming_qos2(next), Err(Error::InboundFull));
        assert_eq!(s.inbound_qos2_count(), MAX_INBOUND_QOS2);
        // Every id still recorded: a re-send of any of them is not delivered.
        for p in 1..=(MAX_INBOUND_QOS2 as u16) {
            assert_eq!(s.on_incoming_qos2(p), Ok(false));
        }
        s.on_pubrel(1);
        assert_eq!(s.on_incoming_qos2(next), Ok(true));
    }

    #[test]
    fn suback_code_is_returned_once_through_the_ticket() {
        let mut s = Session::new();
        let (pid, t) = s.add_op(OpKind::Subscribe, None, false).unwrap();
        assert_eq!(s.on_op_ack(OpKind::Unsubscribe, pid.get(), 0), None);
        assert_eq!(
            s.on_op_ack(OpKind::Subscribe, pid.get(), 0x80),
            Some((t, None))
        );
        assert_eq!(s.ticket_result(t), TicketResult::Done(0x80));
        assert_eq!(s.ticket_result(t), TicketResult::Unknown);
    }

    #[test]
    fn packet_ids_are_shared_between_publishes_and_subscriptions() {
        let mut s = Session::new();
        let Added { pid: a, .. } = s.add_publish(1, false).unwrap();
        let (b, _) = s.add_op(OpKind::Subscribe, None, false).unwrap();
        let Added { pid: c, .. } = s.add_publish(2, false).unwrap();
        assert_eq!((a.get(), b.get(), c.get()), (1, 2, 3));
    }

    #[test]
    fn the_reconnect_mapping_is_total() {
        assert_eq!(OutState::AwaitPuback.on_reconnect(), Resend::Publish);
        assert_eq!(OutState::AwaitPubrec.on_reconnect(), Resend::Publish);
        assert_eq!(OutState::AwaitPubcomp.on_reconnect(), Resend::Pubrel);
        assert_eq!(OutState::Done.on_reconnect(), Resend::Nothing);
    }

    #[test]
    fn the_resend_list_keeps_publish_order_and_skips_acknowledged_ones() {
        let mut s = Session::new();
        s.set_next_pid(PacketId::new(65_534).unwrap());
        let Added {
            pid: a, ticket: ta, ..
        } = s.add_publish(2, false).unwrap();
        let Added {
            pid: b, ticket: tb, ..
        } = s.add_publish(1, false).unwrap();
        let Added {
            pid: c, ticket: tc, ..
        } = s.add_publish(1, false).unwrap();
        assert_eq!((a.get(), b.get(), c.get()), (65_534, 65_535, 1));
        s.on_pubrec(a.get()).unwrap();
        s.on_puback(b.get()).unwrap();
        let items: std::vec::Vec<_> = s.resend_list().collect();
        assert_eq!(
            items,
            [
                ResendItem {
                    slot: 0,
                    kind: Resend::Pubrel,
                    ticket: ta,
                    packet_id: 65_534,
                    qos: 2
                },
                ResendItem {
                    slot: 2,
                    kind: Resend::Publish,
                    ticket: tc,
                    packet_id: 1,
                    qos: 1
                },
            ]
        );
        assert_eq!(s.resend_item(1), items.get(1).copied());
        assert_eq!(s.resend_item(2), None);
        assert_eq!(s.publish_to_resend(ta), None, "PUBREL, not PUBLISH");
        assert_eq!(s.publish_to_resend(tb), None, "acknowledged");
        assert_eq!(s.publish_to_resend(tc), Some((c, 1)));
    }

    #[test]
    fn max_inflight_limits_unacknowledged_publishes_only() {
        let mut s = Session::new();
        assert_eq!(s.max_inflight(), MAX_INFLIGHT);
        assert_eq!(s.set_max_inflight(0), Err(Error::BadArgument));
        assert_eq!(
            s.set_max_inflight(MAX_INFLIGHT + 1),
            Err(Error::BadArgument)
        );
        assert_eq!(s.set_max_inflight(usize::MAX), Err(Error::BadArgument));
        s.set_max_inflight(2).unwrap();
        s.add_publish(1, false).unwrap();
        s.add_publish(2, false).unwrap();
        assert!(!s.can_publish());
        assert_eq!(s.add_publish(1, false), Err(Error::InflightFull));
        s.on_puback(1).unwrap();
        assert!(s.can_publish());
        s.add_publish(1, false).unwrap();
        s.clear();
        assert_eq!(s.max_inflight(), 2, "a setting, not session state");
    }

    #[test]
    fn tickets_differ_when_a_packet_id_is_reused() {
        let mut s = Session::new();
        let Added {
            pid: p1,
            ticket: t1,
            ..
        } = s.add_publish(1, false).unwrap();
        s.on_puback(p1.get());
        assert_eq!(s.ticket_result(t1), TicketResult::Done(0));
        s.set_next_pid(p1);
        let Added {
            pid: p2,
            ticket: t2,
            ..
        } = s.add_publish(1, false).unwrap();
        assert_eq!(p1, p2);
        assert_ne!(t1, t2);
        assert_eq!(s.ticket_result(t1), TicketResult::Unknown);
    }
}
