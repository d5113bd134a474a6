//! Incoming QoS 2 packet identifiers between PUBLISH and PUBREL.
//!
//! A message counts as delivered once its identifier is recorded here; a
//! re-sent PUBLISH with a recorded identifier is answered but not delivered
//! again. An identifier is never forgotten before its PUBREL (forgetting could
//! deliver a message twice), so the table's size bounds the broker's window:
//!
//! - [`MAX_INBOUND_QOS2`] identifiers fit in the core itself;
//! - beyond that the caller may lend a bitmap of [`INBOUND_MAP_BYTES`] bytes
//!   (one bit for each of the 65 535 identifiers, so any window fits); the
//!   table's identifiers move into it and it is used from then on;
//! - without a map, a new identifier beyond the table is refused with
//!   [`Error::InboundFull`] and nothing is recorded.

use crate::{Error, MAX_INBOUND_QOS2};
use heapless::Vec;

/// Bytes of the bitmap that holds every identifier (65 536 bits).
pub const INBOUND_MAP_BYTES: usize = 8192;

/// The identifiers awaiting PUBREL.
pub struct Inbound<'m> {
    table: Vec<u16, MAX_INBOUND_QOS2>,
    map: Option<&'m mut [u8]>,
}

impl Default for Inbound<'_> {
    fn default() -> Self {
        Self::new()
    }
}

fn bit(pid: u16) -> (usize, u8) {
    (usize::from(pid >> 3), 1u8 << (pid & 7))
}

impl<'m> Inbound<'m> {
    pub const fn new() -> Self {
        Inbound {
            table: Vec::new(),
            map: None,
        }
    }

    /// Whether `pid` is recorded.
    #[allow(clippy::manual_contains)] // smaller on Cortex-M: see below
    pub fn contains(&self, pid: u16) -> bool {
        match &self.map {
            Some(map) => {
                let (byte, mask) = bit(pid);
                map.get(byte).is_some_and(|b| b & mask != 0)
            }
            // A plain loop: `contains` on integers unrolls in blocks of 32.
            None => self.table.iter().any(|&p| p == pid),
        }
    }

    /// Records `pid`: `Ok(true)` newly, `Ok(false)` already there,
    /// `InboundFull` when neither the table nor a map has room.
    pub fn insert(&mut self, pid: u16) -> Result<bool, Error> {
        if self.contains(pid) {
            return Ok(false);
        }
        match &mut self.map {
            Some(map) => {
                let (byte, mask) = bit(pid);
                let b = map.get_mut(byte).ok_or(Error::InboundFull)?;
                *b |= mask;
            }
            None => self.table.push(pid).map_err(|_| Error::InboundFull)?,
        }
        Ok(true)
    }

    /// Forgets `pid` (its PUBREL came).
    pub fn remove(&mut self, pid: u16) {
        match &mut self.map {
            Some(map) => {
                let (byte, mask) = bit(pid);
                if let Some(b) = map.get_mut(byte) {
                    *b &= !mask;
                }
            }
            // Recorded once at most (`insert`), in no order that matters.
            None => {
                if let Some(i) = self.table.iter().position(|&p| p == pid) {
                    self.table.swap_remove(i);
                }
            }
        }
    }

    /// Forgets every identifier (the broker kept no session).
    pub fn clear(&mut self) {
        self.table.clear();
        if let Some(map) = &mut self.map {
            map.fill(0);
        }
    }

    /// Identifiers recorded (counts the map's bits when one is lent).
    pub fn len(&self) -> usize {
        match &self.map {
            Some(map) => map.iter().map(|b| b.count_ones() as usize).sum(),
            None => self.table.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a map has been lent.
    pub fn has_map(&self) -> bool {
        self.map.is_some()
    }

    /// Takes `map` (at least [`INBOUND_MAP_BYTES`] long, else `BadArgument`)
    /// and moves the table's identifiers into it. A second map is refused.
    pub fn lend_map(&mut self, map: &'m mut [u8]) -> Result<(), Error> {
        if map.len() < INBOUND_MAP_BYTES || self.map.is_some() {
            return Err(Error::BadArgument);
        }
        map.fill(0);
        for &pid in self.table.iter() {
            let (byte, mask) = bit(pid);
            if let Some(b) = map.get_mut(byte) {
                *b |= mask;
            }
        }
        self.table.clear();
        self.map = Some(map);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identifier_is_recorded_once_until_removed() {
        let mut i = Inbound::new();
        assert_eq!(i.insert(5), Ok(true));
        assert_eq!(i.insert(5), Ok(false));
        assert!(i.contains(5));
        i.remove(5);
        assert!(!i.contains(5));
        assert_eq!(i.insert(5), Ok(true));
    }

    #[test]
    fn a_full_table_refuses_a_new_identifier_and_forgets_none() {
        let mut i = Inbound::new();
        for p in 1..=(MAX_INBOUND_QOS2 as u16) {
            assert_eq!(i.insert(p), Ok(true));
        }
        assert_eq!(i.insert(999), Err(Error::InboundFull));
        assert_eq!(i.len(), MAX_INBOUND_QOS2);
        assert!((1..=(MAX_INBOUND_QOS2 as u16)).all(|p| i.contains(p)));
    }

    #[test]
    fn a_lent_map_takes_the_table_and_holds_every_identifier() {
        let mut i = Inbound::new();
        for p in 1..=(MAX_INBOUND_QOS2 as u16) {
            i.insert(p).unwrap();
        }
        let map = vec![0xffu8; INBOUND_MAP_BYTES].leak();
        i.lend_map(map).unwrap();
        assert!(i.has_map());
        assert_eq!(i.len(), MAX_INBOUND_QOS2);
        for p in 1..=u16::MAX {
            assert_eq!(i.insert(p), Ok(p > MAX_INBOUND_QOS2 as u16));
        }
        assert_eq!(i.len(), 65_535);
        i.remove(65_535);
        assert!(!i.contains(65_535) && i.contains(65_534));
        i.clear();
        assert!(i.is_empty());
    }

    #[test]
    fn a_short_map_is_refused() {
        let mut i = Inbound::new();
        let map = vec![0u8; INBOUND_MAP_BYTES - 1].leak();
        assert_eq!(i.lend_map(map), Err(Error::BadArgument));
        assert!(!i.has_map());
    }
}
