//! The subscriptions to restore when a broker kept no session.
//!
//! The core keeps each subscription's options (QoS, and MQTT 5's options
//! and Subscription Identifier) and state in a numbered slot; the
//! caller keeps the filter's bytes (a MicroPython object) at the same index,
//! so the core stores no string. A subscription is `Pending` from the
//! SUBSCRIBE until its SUBACK, `Active` after a granted one, and freed by a
//! refusal or by UNSUBSCRIBE. Both states are restored after a reconnect
//! without a session (a SUBSCRIBE lost with the connection is sent again).

use crate::sub_options::SubOptions;
use crate::MAX_SUBSCRIPTIONS;

/// A slot: free, or a subscription `Pending` or `Active`; only `state`
/// counts in a free slot. An empty table is all zero bytes (rather than
/// `Option`'s `None`, whose tag alone is set), so clearing it is one
/// `memset`.
#[derive(Clone, Copy)]
struct Sub {
    /// [`FREE`], [`PENDING`] or [`ACTIVE`].
    state: u8,
    /// The options byte (the QoS alone for 3.1.1).
    options: u8,
    /// To be sent again on the connection just accepted.
    restore: bool,
}

const FREE: u8 = 0;
const PENDING: u8 = 1;
const ACTIVE: u8 = 2;

impl Sub {
    const FREE: Sub = Sub {
        state: FREE,
        options: 0,
        restore: false,
    };
    /// An empty table, as one constant (all zero bytes: a `memset`; an
    /// array expression built at run time is a loop).
    const EMPTY: [Sub; MAX_SUBSCRIPTIONS] = [Sub::FREE; MAX_SUBSCRIPTIONS];

    fn used(&self) -> bool {
        self.state != FREE
    }
}

/// The subscription slots.
pub struct Subs {
    table: [Sub; MAX_SUBSCRIPTIONS],
    /// MQTT 5: each slot's Subscription Identifier (0: none), apart so
    /// that a 3.1.1 build keeps its size.
    #[cfg(feature = "mqtt5")]
    ids: [u32; MAX_SUBSCRIPTIONS],
}

impl Default for Subs {
    fn default() -> Self {
        Self::new()
    }
}

impl Subs {
    pub const fn new() -> Self {
        Subs {
            table: Sub::EMPTY,
            #[cfg(feature = "mqtt5")]
            ids: [0; MAX_SUBSCRIPTIONS],
        }
    }

    /// `slot` if it is valid, else the first free slot.
    pub fn choose(&self, slot: Option<u8>) -> Option<u8> {
        match slot {
            Some(s) if usize::from(s) < MAX_SUBSCRIPTIONS => Some(s),
            _ => (0..MAX_SUBSCRIPTIONS as u8).find(|&s| self.get(s).is_none()),
        }
    }

    fn get(&self, slot: u8) -> Option<Sub> {
        self.table.get(usize::from(slot)).copied().filter(Sub::used)
    }

    /// A SUBSCRIBE for `slot` at `qos` went out.
    pub fn subscribed(&mut self, slot: u8, qos: u8) {
        self.subscribed_with(slot, SubOptions::qos(qos));
    }

    /// A SUBSCRIBE for `slot` with these options went out.
    pub fn subscribed_with(&mut self, slot: u8, opts: SubOptions) {
        #[cfg(feature = "mqtt5")]
        if let Some(id) = self.ids.get_mut(usize::from(slot)) {
            *id = opts.id;
        }
        if let Some(e) = self.table.get_mut(usize::from(slot)) {
            let state = if e.state == ACTIVE { ACTIVE } else { PENDING };
            *e = Sub {
                state,
                options: opts.options,
                restore: false,
            };
        }
    }

    /// The SUBACK for `slot`: granted, or refused (the slot is freed).
    pub fn acknowledged(&mut self, slot: u8, granted: bool) {
        if let Some(e) = self.table.get_mut(usize::from(slot)) {
            e.state = if e.used() && granted { ACTIVE } else { FREE };
        }
    }

    /// Frees `slot` (UNSUBSCRIBE, or a SUBSCRIBE given up on).
    pub fn remove(&mut self, slot: u8) {
        if let Some(e) = self.table.get_mut(usize::from(slot)) {
            e.state = FREE;
        }
    }

    /// Forgets every subscription (a clean session).
    pub fn clear(&mut self) {
        self.table = Sub::EMPTY;
    }

    /// Marks the subscriptions to send again on a connection just accepted:
    /// every one when the broker kept no session, else those never
    /// acknowledged.
    pub fn mark_for_restore(&mut self, session_present: bool) {
        for s in self.table.iter_mut().filter(|s| s.used()) {
            s.restore = !(session_present && s.state == ACTIVE);
        }
    }

    /// Marks every subscription to be sent again.
    pub fn mark_all_for_restore(&mut self) {
        self.mark_for_restore(false);
    }

    /// Marks the subscriptions never acknowledged to be sent again.
    pub fn mark_pending_for_restore(&mut self) {
        self.mark_for_restore(true);
    }

    /// No restore left to send.
    pub fn cancel_restore(&mut self) {
        for s in self.table.iter_mut() {
            s.restore = false;
        }
    }

    /// The first slot still to be restored, with its QoS.
    pub fn next_restore(&self) -> Option<(u8, u8)> {
        (0..MAX_SUBSCRIPTIONS as u8).find_map(|slot| match self.get(slot) {
            Some(s) if s.restore => Some((slot, s.options & 3)),
            _ => None,
        })
    }

    /// The QoS of the subscription in `slot`.
    pub fn qos(&self, slot: u8) -> Option<u8> {
        self.get(slot).map(|s| s.options & 3)
    }

    /// The options of the subscription in `slot`.
    pub fn options(&self, slot: u8) -> Option<SubOptions> {
        let s = self.get(slot)?;
        #[cfg(feature = "mqtt5")]
        let id = self.ids.get(usize::from(slot)).copied().unwrap_or(0);
        #[cfg(not(feature = "mqtt5"))]
        let id = 0;
        Some(SubOptions {
            options: s.options,
            id,
        })
    }

    /// Subscriptions held.
    pub fn count(&self) -> usize {
        self.table.iter().filter(|s| s.used()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_subscription_frees_its_slot_and_a_granted_one_stays() {
        let mut s = Subs::new();
        let a = s.choose(None).unwrap();
        s.subscribed(a, 1);
        let b = s.choose(None).unwrap();
        assert_ne!(a, b);
        s.subscribed(b, 2);
        s.acknowledged(a, true);
        s.acknowledged(b, false);
        assert_eq!((s.qos(a), s.qos(b), s.count()), (Some(1), None, 1));
        assert_eq!(s.choose(None), Some(b));
    }

    #[test]
    fn restore_walks_the_slots_in_order_once() {
        let mut s = Subs::new();
        for (slot, qos) in [(0, 0), (1, 2), (2, 1)] {
            s.subscribed(slot, qos);
        }
        s.acknowledged(0, true);
        s.mark_pending_for_restore();
        assert_eq!(s.next_restore(), Some((1, 2)));
        s.subscribed(1, 2);
        assert_eq!(s.next_restore(), Some((2, 1)));
        s.mark_all_for_restore();
        assert_eq!(s.next_restore(), Some((0, 0)));
        s.cancel_restore();
        assert_eq!(s.next_restore(), None);
    }

    #[test]
    fn a_full_table_has_no_slot_to_choose() {
        let mut s = Subs::new();
        for slot in 0..MAX_SUBSCRIPTIONS as u8 {
            s.subscribed(slot, 0);
        }
        assert_eq!(s.choose(None), None);
        assert_eq!(s.choose(Some(3)), Some(3), "an existing slot is reused");
        assert_eq!(s.choose(Some(MAX_SUBSCRIPTIONS as u8)), None);
    }
}
