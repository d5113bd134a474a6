//! The unsafe pointer surface: every raw pointer from C becomes a Rust
//! reference or slice here, and nowhere else. Each helper checks NULL (and
//! alignment, and the core's magic number) and returns `None` when the
//! pointer cannot be used; the exported functions turn `None` into
//! `UMQTT_STATUS_BAD_ARGUMENT`.

use crate::types::{UmqttBytes, UmqttRx, UmqttStatus};
use core::ptr;
use cty::c_void;
use umqtt_core::{Driver, Error};

const MAGIC: u32 = 0x554d_5154; // "UMQT"

/// What lives in the caller's storage.
#[repr(C)]
pub struct Core {
    magic: u32,
    pub driver: Driver<'static>,
}

/// Builds a core in `storage`.
///
/// # Safety
/// `storage` is non-NULL, aligned for `Core` and points to `size_of::<Core>()` writable bytes.
pub unsafe fn init(storage: *mut c_void) {
    // SAFETY: the caller's promise.
    unsafe {
        storage.cast::<Core>().write(Core {
            magic: MAGIC,
            driver: Driver::new(),
        })
    };
}

/// `p` as a core, if it is non-NULL, aligned and initialised.
///
/// # Safety
/// `p` is NULL or points to `UMQTT_CORE_SIZE` readable bytes.
unsafe fn core_ptr(p: *const c_void) -> Option<*mut Core> {
    if p.is_null() || (p as usize) % core::mem::align_of::<Core>() != 0 {
        return None;
    }
    let core = p.cast::<Core>().cast_mut();
    // SAFETY: aligned and non-NULL; `magic` (a u32 at offset 0 of a repr(C)
    // struct) is valid for any bit pattern. The rest is only used once it matches.
    let magic = unsafe { ptr::addr_of!((*core).magic).read() };
    (magic == MAGIC).then_some(core)
}

/// The driver in `p` for a mutating call.
///
/// # Safety
/// As [`core_ptr`], and the bytes are writable and not otherwise borrowed
/// during the call (the caller's lock).
pub unsafe fn driver_mut<'a>(p: *mut c_void) -> Option<&'a mut Driver<'static>> {
    // SAFETY: forwarded; an initialised core.
    unsafe { core_ptr(p).map(|c| &mut (*c).driver) }
}

/// The driver in `p` for a reading call.
///
/// # Safety
/// As [`core_ptr`], and the bytes are not mutated during the call.
pub unsafe fn driver_ref<'a>(p: *const c_void) -> Option<&'a Driver<'static>> {
    // SAFETY: forwarded; an initialised core, only read.
    unsafe { core_ptr(p).map(|c| &(*c).driver) }
}

/// A byte slice from C: NULL allowed only with length 0.
///
/// # Safety
/// A non-NULL `p` points to `len` readable bytes living for `'a`.
pub unsafe fn bytes<'a>(p: *const u8, len: usize) -> Option<&'a [u8]> {
    if p.is_null() {
        return if len == 0 { Some(&[]) } else { None };
    }
    if len > isize::MAX as usize {
        return None;
    }
    // SAFETY: the caller's promise.
    Some(unsafe { core::slice::from_raw_parts(p, len) })
}

/// An output slice from C: NULL allowed only with capacity 0.
///
/// # Safety
/// A non-NULL `p` points to `cap` writable bytes living for `'a`.
pub unsafe fn out_bytes<'a>(p: *mut u8, cap: usize) -> Option<&'a mut [u8]> {
    if p.is_null() {
        return if cap == 0 { Some(&mut []) } else { None };
    }
    if cap > isize::MAX as usize {
        return None;
    }
    // SAFETY: the caller's promise.
    Some(unsafe { core::slice::from_raw_parts_mut(p, cap) })
}

/// An optional field: NULL pointer = absent.
///
/// # Safety
/// As [`bytes`].
pub unsafe fn optional<'a>(b: UmqttBytes) -> Option<&'a [u8]> {
    if b.ptr.is_null() {
        None
    } else {
        // SAFETY: forwarded.
        unsafe { bytes(b.ptr, b.len) }
    }
}

/// A writable out-parameter.
///
/// # Safety
/// `p` is NULL or points to a writable, aligned `T`.
pub unsafe fn out<'a, T>(p: *mut T) -> Option<&'a mut T> {
    // SAFETY: the caller's promise.
    unsafe { p.as_mut() }
}

/// The receive result out-parameter, every byte zeroed: one memset where
/// a struct literal stores field by field around the padding.
///
/// # Safety
/// `p` is non-NULL and points to a writable, aligned `UmqttRx`.
pub unsafe fn zeroed_rx<'a>(p: *mut UmqttRx) -> &'a mut UmqttRx {
    // SAFETY: the caller's promise; all-zero bytes are a valid `UmqttRx`
    // (kind 0 is NEED_MORE, NULL pointers, 0, false).
    unsafe {
        p.write_bytes(0, 1);
        &mut *p
    }
}

/// A readable in-parameter.
///
/// # Safety
/// `p` is NULL or points to a readable, aligned `T`.
pub unsafe fn input<'a, T>(p: *const T) -> Option<&'a T> {
    // SAFETY: the caller's promise.
    unsafe { p.as_ref() }
}

/// The common preamble of every encoding call: the driver, the output slice
/// and the length out-parameter, or `None` when any pointer is unusable.
///
/// # Safety
/// As [`driver_mut`], [`out_bytes`] and [`out`].
// Inlined: out of line its four-word answer came back through the stack
// and every caller loaded it again.
#[inline(always)]
pub unsafe fn encoder<'a>(
    core: *mut c_void,
    out_buf: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> Option<(&'a mut Driver<'static>, &'a mut [u8], &'a mut usize)> {
    // SAFETY: forwarded.
    unsafe {
        let len = out(out_len)?;
        *len = 0;
        Some((driver_mut(core)?, out_bytes(out_buf, out_cap)?, len))
    }
}

/// Writes an encode result: `*len` = length written, or the size needed for
/// BUFFER_TOO_SMALL, or 0.
pub fn finish(r: Result<usize, Error>, len: &mut usize) -> UmqttStatus {
    match r {
        Ok(n) => {
            *len = n;
            UmqttStatus::Ok
        }
        Err(e) => {
            *len = match e {
                Error::BufferTooSmall(n) => n,
                _ => 0,
            };
            e.into()
        }
    }
}
