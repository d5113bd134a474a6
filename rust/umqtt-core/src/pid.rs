//! Packet identifiers: never 0, wrapping 65 535 -> 1, skipping ids in use.

use core::num::NonZeroU16;

/// A packet identifier (1..=65 535).
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub struct PacketId(NonZeroU16);

impl PacketId {
    /// The first identifier.
    pub const ONE: PacketId = PacketId(NonZeroU16::MIN);

    /// `None` for 0.
    pub fn new(v: u16) -> Option<Self> {
        NonZeroU16::new(v).map(PacketId)
    }

    /// The raw value.
    pub fn get(self) -> u16 {
        self.0.get()
    }

    /// The following identifier, 65 535 wrapping to 1.
    pub fn next(self) -> Self {
        match NonZeroU16::new(self.0.get().wrapping_add(1)) {
            Some(n) => PacketId(n),
            None => Self::ONE,
        }
    }
}

/// Hands out identifiers in order, skipping those the caller says are in use.
#[derive(Clone, Copy)]
pub struct PidAllocator {
    next: PacketId,
}

impl Default for PidAllocator {
    fn default() -> Self {
        Self::START
    }
}

impl PidAllocator {
    /// An allocator whose first identifier is 1.
    pub const START: PidAllocator = PidAllocator {
        next: PacketId::ONE,
    };

    /// The next identifier for which `in_use` is false, or `None` when all
    /// 65 535 are taken.
    pub fn alloc(&mut self, in_use: impl Fn(u16) -> bool) -> Option<PacketId> {
        let mut candidate = self.next;
        for _ in 0..u16::MAX {
            if !in_use(candidate.get()) {
                self.next = candidate.next();
                return Some(candidate);
            }
            candidate = candidate.next();
        }
        None
    }

    /// Makes the next identifier `v` (tests: jump near the wrap).
    pub fn set_next(&mut self, v: PacketId) {
        self.next = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_start_at_one_and_count_up() {
        let mut a = PidAllocator::default();
        assert_eq!(a.alloc(|_| false).map(PacketId::get), Some(1));
        assert_eq!(a.alloc(|_| false).map(PacketId::get), Some(2));
    }

    #[test]
    fn identifier_65535_wraps_to_one_never_zero() {
        assert_eq!(PacketId::new(65_535).map(|p| p.next().get()), Some(1));
        assert!(PacketId::new(0).is_none());
    }

    #[test]
    fn identifiers_in_use_are_skipped_across_the_wrap() {
        let mut a = PidAllocator::default();
        a.set_next(PacketId::new(65_534).unwrap());
        let used = [65_535u16, 1, 2];
        assert_eq!(
            a.alloc(|p| used.contains(&p)).map(PacketId::get),
            Some(65_534)
        );
        assert_eq!(a.alloc(|p| used.contains(&p)).map(PacketId::get), Some(3));
    }

    #[test]
    fn allocation_fails_only_when_every_identifier_is_taken() {
        let mut a = PidAllocator::default();
        assert!(a.alloc(|_| true).is_none());
        assert_eq!(a.alloc(|p| p != 40_000).map(PacketId::get), Some(40_000));
    }
}
