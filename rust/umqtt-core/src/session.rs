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
//!   PUBLISH is not delivered twice. At most [`MAX_INBOUND_QOS2`]; when full,
//!   a new one is refused (`InboundFull`) rather than an old id forgotten,
//!   which could deliver that message twice.
//! - SUBSCRIBE/UNSUBSCRIBE awaiting their ack, then `Done(code)` until read.
//!   At most [`MAX_PENDING_OPS`], same eviction rule as publishes.
//!
//! A ticket is `(sequence << 16) | packet_id`; the sequence counts every
//! ticket handed out, so a ticket stays unique even when its packet id is
//! reused. Tickets are never 0 (packet ids are never 0).

use crate::pid::{PacketId, PidAllocator};
use crate::{Error, MAX_INBOUND_QOS2, MAX_INFLIGHT, MAX_PENDING_OPS};
use heapless::Vec;

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
}

/// What [`Session::ticket_result`] knows of a ticket.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum TicketResult {
    /// Not acknowledged yet.
    Pending,
    /// Acknowledged; the code is the SUBACK return code (0 otherwise). The
    /// entry has been released.
    Done(u8),
    /// Never issued, already read, forgotten or invalidated.
    Unknown,
}

/// The bounded session tables.
pub struct Session {
    outgoing: Vec<Outgoing, MAX_INFLIGHT>,
    inbound_qos2: Vec<u16, MAX_INBOUND_QOS2>,
    ops: Vec<PendingOp, MAX_PENDING_OPS>,
    pids: PidAllocator,
    seq: u16,
    /// Unacknowledged publishes allowed (1..=MAX_INFLIGHT).
    max_inflight: u8,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

fn ticket(seq: u16, pid: u16) -> u32 {
    (u32::from(seq) << 16) | u32::from(pid)
}

fn split(ticket: u32) -> (u16, u16) {
    ((ticket >> 16) as u16, ticket as u16)
}

impl Session {
    pub const fn new() -> Self {
        Session {
            outgoing: Vec::new(),
            inbound_qos2: Vec::new(),
            ops: Vec::new(),
            pids: PidAllocator::START,
            seq: 0,
            max_inflight: MAX_INFLIGHT as u8,
        }
    }

    /// Forgets everything (clean session): in-flight publishes, incoming QoS 2
    /// ids, pending operations. Outstanding tickets become unknown; the
    /// sequence keeps counting so no new ticket equals an old one.
    pub fn clear(&mut self) {
        self.outgoing.clear();
        self.inbound_qos2.clear();
        self.ops.clear();
        self.seq = self.seq.wrapping_add(1);
    }

    /// Drops pending SUBSCRIBE/UNSUBSCRIBE (the connection is gone).
    pub fn drop_ops(&mut self) {
        self.ops.clear();
    }

    /// Forgets the incoming QoS 2 ids (the broker lost the session), so a
    /// re-sent incoming QoS 2 PUBLISH is delivered again.
    pub fn clear_inbound_qos2(&mut self) {
        self.inbound_qos2.clear();
    }

    /// Limits the unacknowledged publishes to `max` (1..=[`MAX_INFLIGHT`],
    /// else `BadArgument`). Lowering it below the current count only refuses
    /// new publishes until enough are acknowledged.
    pub fn set_max_inflight(&mut self, max: usize) -> Result<(), Error> {
        match u8::try_from(max) {
            Ok(m) if m > 0 && max <= MAX_INFLIGHT => {
                self.max_inflight = m;
                Ok(())
            }
            _ => Err(Error::BadArgument),
        }
    }

    /// The current limit of unacknowledged publishes.
    pub fn max_inflight(&self) -> usize {
        usize::from(self.max_inflight)
    }

    /// A packet id is used by any entry (acknowledged or not).
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

    /// There is room for another publish (possibly by dropping a done one).
    pub fn can_publish(&self) -> bool {
        self.inflight_count() < self.max_inflight()
            && (!self.outgoing.is_full() || self.outgoing.iter().any(|o| o.state == OutState::Done))
    }

    /// There is room for another SUBSCRIBE/UNSUBSCRIBE.
    pub fn can_add_op(&self) -> bool {
        !self.ops.is_full() || self.ops.iter().any(|o| o.done.is_some())
    }

    fn next_pid_and_seq(&mut self) -> Result<(PacketId, u16), Error> {
        let mut alloc = self.pids;
        let pid = alloc
            .alloc(|p| self.pid_in_use(p))
            .ok_or(Error::InflightFull)?;
        self.pids = alloc;
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        Ok((pid, seq))
    }

    /// Records an outgoing QoS 1 or 2 publish; returns its packet id and ticket.
    pub fn add_publish(&mut self, qos: u8) -> Result<(PacketId, u32), Error> {
        let state = match qos {
            1 => OutState::AwaitPuback,
            2 => OutState::AwaitPubrec,
            _ => return Err(Error::BadArgument),
        };
        if self.inflight_count() >= self.max_inflight() {
            return Err(Error::InflightFull);
        }
        if self.outgoing.is_full() {
            match self.outgoing.iter().position(|o| o.state == OutState::Done) {
                Some(i) => {
                    self.outgoing.remove(i);
                }
                None => return Err(Error::InflightFull),
            }
        }
        let (pid, seq) = self.next_pid_and_seq()?;
        self.outgoing
            .push(Outgoing {
                pid: pid.get(),
                seq,
                state,
                forgotten: false,
            })
            .map_err(|_| Error::InflightFull)?;
        Ok((pid, ticket(seq, pid.get())))
    }

    /// Records an outgoing SUBSCRIBE/UNSUBSCRIBE; returns its packet id and ticket.
    pub fn add_op(&mut self, kind: OpKind) -> Result<(PacketId, u32), Error> {
        if self.ops.is_full() {
            match self.ops.iter().position(|o| o.done.is_some()) {
                Some(i) => {
                    self.ops.remove(i);
                }
                None => return Err(Error::InflightFull),
            }
        }
        let (pid, seq) = self.next_pid_and_seq()?;
        self.ops
            .push(PendingOp {
                pid: pid.get(),
                seq,
                kind,
                done: None,
            })
            .map_err(|_| Error::InflightFull)?;
        Ok((pid, ticket(seq, pid.get())))
    }

    fn find_out(&self, pid: u16, state: OutState) -> Option<usize> {
        self.outgoing
            .iter()
            .position(|o| o.pid == pid && o.state == state)
    }

    fn complete(&mut self, i: usize) -> Option<u32> {
        let o = self.outgoing.get_mut(i)?;
        let t = ticket(o.seq, o.pid);
        if o.forgotten {
            self.outgoing.remove(i);
        } else {
            o.state = OutState::Done;
        }
        Some(t)
    }

    /// PUBACK: completes a QoS 1 publish. `None` if no such publish awaits it.
    pub fn on_puback(&mut self, pid: u16) -> Option<u32> {
        let i = self.find_out(pid, OutState::AwaitPuback)?;
        self.complete(i)
    }

    /// PUBREC: a QoS 2 publish moves to `AwaitPubcomp` (a repeated PUBREC
    /// finds it there). `None` if no such publish.
    pub fn on_pubrec(&mut self, pid: u16) -> Option<u32> {
        let i = self
            .find_out(pid, OutState::AwaitPubrec)
            .or_else(|| self.find_out(pid, OutState::AwaitPubcomp))?;
        let o = self.outgoing.get_mut(i)?;
        o.state = OutState::AwaitPubcomp;
        Some(ticket(o.seq, o.pid))
    }

    /// PUBCOMP: completes a QoS 2 publish. `None` if no such publish.
    pub fn on_pubcomp(&mut self, pid: u16) -> Option<u32> {
        let i = self.find_out(pid, OutState::AwaitPubcomp)?;
        self.complete(i)
    }

    /// SUBACK / UNSUBACK: completes the pending operation.
    pub fn on_op_ack(&mut self, kind: OpKind, pid: u16, code: u8) -> Option<u32> {
        let o = self
            .ops
            .iter_mut()
            .find(|o| o.pid == pid && o.kind == kind && o.done.is_none())?;
        o.done = Some(code);
        Some(ticket(o.seq, o.pid))
    }

    /// Incoming QoS 2 PUBLISH: `Ok(true)` the first time (deliver it),
    /// `Ok(false)` while the id awaits its PUBREL (a re-send), `InboundFull`
    /// when the table holds no more ids.
    pub fn on_incoming_qos2(&mut self, pid: u16) -> Result<bool, Error> {
        if self.inbound_qos2.contains(&pid) {
            return Ok(false);
        }
        self.inbound_qos2.push(pid).map_err(|_| Error::InboundFull)?;
        Ok(true)
    }

    /// PUBREL: the incoming QoS 2 id is released.
    pub fn on_pubrel(&mut self, pid: u16) {
        self.inbound_qos2.retain(|&p| p != pid);
    }

    /// Incoming QoS 2 ids awaiting PUBREL.
    pub fn inbound_qos2_count(&self) -> usize {
        self.inbound_qos2.len()
    }

    /// Where a ticket stands; reading a done ticket releases it.
    pub fn ticket_result(&mut self, t: u32) -> TicketResult {
        let (seq, pid) = split(t);
        if let Some(i) = self
            .outgoing
            .iter()
            .position(|o| o.seq == seq && o.pid == pid)
        {
            return match self.outgoing.get(i).map(|o| o.state) {
                Some(OutState::Done) => {
                    self.outgoing.remove(i);
                    TicketResult::Done(0)
                }
                Some(_) => TicketResult::Pending,
                None => TicketResult::Unknown,
            };
        }
        if let Some(i) = self.ops.iter().position(|o| o.seq == seq && o.pid == pid) {
            return match self.ops.get(i).and_then(|o| o.done) {
                Some(code) => {
                    self.ops.remove(i);
                    TicketResult::Done(code)
                }
                None => TicketResult::Pending,
            };
        }
        TicketResult::Unknown
    }

    /// The caller stops waiting: a SUBSCRIBE/UNSUBSCRIBE entry is released;
    /// a publish stays in flight but is dropped once acknowledged.
    pub fn forget(&mut self, t: u32) {
        let (seq, pid) = split(t);
        self.ops.retain(|o| !(o.seq == seq && o.pid == pid));
        if let Some(i) = self
            .outgoing
            .iter()
            .position(|o| o.seq == seq && o.pid == pid)
        {
            if let Some(o) = self.outgoing.get_mut(i) {
                if o.state == OutState::Done {
                    self.outgoing.remove(i);
                } else {
                    o.forgotten = true;
                }
            }
        }
    }

    /// The in-flight publishes a resumed session must complete, in the order
    /// they were first published (entries are only ever appended, and removal
    /// keeps the order). Acknowledged ones waiting for their ticket to be read
    /// are not listed.
    pub fn resend_list(&self) -> impl Iterator<Item = ResendItem> + '_ {
        self.outgoing
            .iter()
            .filter(|o| o.state != OutState::Done)
            .map(|o| ResendItem {
                kind: o.state.on_reconnect(),
                ticket: ticket(o.seq, o.pid),
                packet_id: o.pid,
                qos: if o.state == OutState::AwaitPuback {
                    1
                } else {
                    2
                },
            })
    }

    /// The `idx`-th (0-based) entry of [`Session::resend_list`].
    pub fn resend_item(&self, idx: usize) -> Option<ResendItem> {
        self.resend_list().nth(idx)
    }

    /// Packet id and QoS of the publish `t` whose PUBLISH must be re-sent
    /// (`AwaitPuback` or `AwaitPubrec`), if any.
    pub fn publish_to_resend(&self, t: u32) -> Option<(PacketId, u8)> {
        let (seq, pid) = split(t);
        let o = self
            .outgoing
            .iter()
            .find(|o| o.seq == seq && o.pid == pid)?;
        let qos = match o.state {
            OutState::AwaitPuback => 1,
            OutState::AwaitPubrec => 2,
            OutState::AwaitPubcomp | OutState::Done => return None,
        };
        Some((PacketId::new(pid)?, qos))
    }

    /// State of the unacknowledged publish holding `pid`, if any.
    pub fn state_of(&self, pid: u16) -> Option<OutState> {
        self.outgoing
            .iter()
            .find(|o| o.pid == pid && o.state != OutState::Done)
            .map(|o| o.state)
    }

    /// Makes the next packet id `v` (tests: start near the wrap).
    pub fn set_next_pid(&mut self, v: PacketId) {
        self.pids.set_next(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_qos1_publish_is_pending_until_puback_then_done_once() {
        let mut s = Session::new();
        let (pid, t) = s.add_publish(1).unwrap();
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
        let (_, t) = s.add_publish(2).unwrap();
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
            s.add_publish(1).unwrap();
        }
        assert!(!s.can_publish());
        assert_eq!(s.add_publish(1), Err(Error::InflightFull));
        s.on_puback(3).unwrap();
        assert!(s.can_publish());
        let (pid, _) = s.add_publish(1).unwrap();
        assert_eq!(pid.get(), 17);
    }

    #[test]
    fn a_forgotten_publish_is_dropped_when_acknowledged() {
        let mut s = Session::new();
        let (_, t) = s.add_publish(1).unwrap();
        s.forget(t);
        assert_eq!(s.ticket_result(t), TicketResult::Pending);
        assert_eq!(s.on_puback(1), Some(t));
        assert_eq!(s.ticket_result(t), TicketResult::Unknown);
    }

    #[test]
    fn clearing_the_session_makes_every_ticket_unknown() {
        let mut s = Session::new();
        let (_, t1) = s.add_publish(1).unwrap();
        let (_, t2) = s.add_op(OpKind::Subscribe).unwrap();
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
        let (pid, t) = s.add_op(OpKind::Subscribe).unwrap();
        assert_eq!(s.on_op_ack(OpKind::Unsubscribe, pid.get(), 0), None);
        assert_eq!(s.on_op_ack(OpKind::Subscribe, pid.get(), 0x80), Some(t));
        assert_eq!(s.ticket_result(t), TicketResult::Done(0x80));
        assert_eq!(s.ticket_result(t), TicketResult::Unknown);
    }

    #[test]
    fn packet_ids_are_shared_between_publishes_and_subscriptions() {
        let mut s = Session::new();
        let (a, _) = s.add_publish(1).unwrap();
        let (b, _) = s.add_op(OpKind::Subscribe).unwrap();
        let (c, _) = s.add_publish(2).unwrap();
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
        let (a, ta) = s.add_publish(2).unwrap();
        let (b, tb) = s.add_publish(1).unwrap();
        let (c, tc) = s.add_publish(1).unwrap();
        assert_eq!((a.get(), b.get(), c.get()), (65_534, 65_535, 1));
        s.on_pubrec(a.get()).unwrap();
        s.on_puback(b.get()).unwrap();
        let items: std::vec::Vec<_> = s.resend_list().collect();
        assert_eq!(
            items,
            [
                ResendItem {
                    kind: Resend::Pubrel,
                    ticket: ta,
                    packet_id: 65_534,
                    qos: 2
                },
                ResendItem {
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
        s.add_publish(1).unwrap();
        s.add_publish(2).unwrap();
        assert!(!s.can_publish());
        assert_eq!(s.add_publish(1), Err(Error::InflightFull));
        s.on_puback(1).unwrap();
        assert!(s.can_publish());
        s.add_publish(1).unwrap();
        s.clear();
        assert_eq!(s.max_inflight(), 2, "a setting, not session state");
    }

    #[test]
    fn tickets_differ_when_a_packet_id_is_reused() {
        let mut s = Session::new();
        let (p1, t1) = s.add_publish(1).unwrap();
        s.on_puback(p1.get());
        assert_eq!(s.ticket_result(t1), TicketResult::Done(0));
        s.set_next_pid(p1);
        let (p2, t2) = s.add_publish(1).unwrap();
        assert_eq!(p1, p2);
        assert_ne!(t1, t2);
        assert_eq!(s.ticket_result(t1), TicketResult::Unknown);
    }
}
