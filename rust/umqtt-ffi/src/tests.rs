//! The extern functions called as C would: through raw, caller-owned storage.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

#[test]
fn the_core_fits_its_storage() {
    println!("size_of::<Core>() = {}", core::mem::size_of::<ptr::Core>());
    assert!(core::mem::size_of::<ptr::Core>() <= UMQTT_CORE_SIZE);
}
