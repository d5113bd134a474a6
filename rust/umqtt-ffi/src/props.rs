//! MQTT 5 properties across the C ABI (feature `mqtt5`): the shim turns a
//! properties dict into an encoded block one property at a time
//! (`umqtt_props_put_*`, by name), and a received block back into a dict
//! (`umqtt_props_next`). Names, types, ranges and which packet may carry
//! what are the core's ([`umqtt_core::v5`]); the shim only marshals values.

use crate::ptr::{bytes, out, out_bytes};
use crate::types::{UmqttBytes, UmqttStatus};
use umqtt_core::v5::names;
use umqtt_core::v5::properties::{self, Properties, Property, Value, ValueType};
use umqtt_core::Error;

/// The value type of a property (umqtt_props_lookup, UmqttProperty).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum UmqttPropType {
    /// No such property.
    Unknown = 0,
    /// An integer (Byte, Two Byte, Four Byte or Variable Byte Integer): `value`.
    Int = 1,
    /// A UTF-8 string: `a`.
    Utf8 = 2,
    /// Binary data: `a`.
    Binary = 3,
    /// A UTF-8 string pair (User Property): `a` and `b`.
    Pair = 4,
}

/// One property read from a block (umqtt_props_next).
#[repr(C)]
#[cfg_attr(test, derive(Debug))]
pub struct UmqttProperty {
    pub id: u8,
    pub kind: UmqttPropType,
    /// Repeated under one name (User Property, Subscription Identifier): a list in a dict.
    pub list: bool,
    pub value: u32,
    pub a: UmqttBytes,
    pub b: UmqttBytes,
}

fn prop_type(ty: ValueType) -> UmqttPropType {
    match ty {
        ValueType::Byte | ValueType::TwoByte | ValueType::FourByte | ValueType::VarInt => {
            UmqttPropType::Int
        }
        ValueType::Utf8 => UmqttPropType::Utf8,
        ValueType::Binary => UmqttPropType::Binary,
        ValueType::Pair => UmqttPropType::Pair,
    }
}

/// The property a snake_case name stands for: its identifier (0: no such name) and type into `*kind`.
///
/// # Safety
/// `name` NULL (length 0) or readable for `len`; `kind` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_props_lookup(
    name: *const u8,
    len: usize,
    kind: *mut UmqttPropType,
) -> u8 {
    // SAFETY: the caller's promise.
    let (Some(n), Some(k)) = (unsafe { bytes(name, len) }, unsafe { out(kind) }) else {
        return 0;
    };
    *k = UmqttPropType::Unknown;
    let Some(id) = names::id(n) else { return 0 };
    if let Some((ty, _)) = properties::spec(id) {
        *k = prop_type(ty);
    }
    id
}

/// Whether property `id`'s value in a dict is a list of values, one property each (User Property,
/// Subscription Identifier), as UmqttProperty.list says on reading.
#[no_mangle]
pub extern "C" fn umqtt_props_is_list(id: u8) -> bool {
    names::is_list(id)
}

/// The snake_case name of property `id` (NULL: unknown), `*len` bytes, not NUL-terminated.
///
/// # Safety
/// `len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_props_name(id: u8, len: *mut usize) -> *const u8 {
    // SAFETY: the caller's promise.
    let Some(l) = (unsafe { out(len) }) else {
        return core::ptr::null();
    };
    let n = names::name(id).unwrap_or("");
    *l = n.len();
    if n.is_empty() {
        core::ptr::null()
    } else {
        n.as_ptr()
    }
}

/// Appends property `id` with an integer value at `*len` in `buf`: BAD_ARGUMENT when it is not an
/// integer property or the value is out of its range, BUFFER_TOO_SMALL (`*len` untouched) when it does not
/// fit. A Topic Alias Maximum above UMQTT_MAX_RX_ALIASES is written as that: the most the core keeps.
///
/// # Safety
/// `buf` NULL (capacity 0) or writable for `cap`; `len` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn umqtt_props_put_int(
    buf: *mut u8,
    cap: usize,
    len: *mut usize,
    id: u8,
    value: u32,
) -> UmqttStatus {
    let value = if id == properties::id::TOPIC_ALIAS_MAXIMUM {
        value.min(u32::from(crate::UMQTT_MAX_RX_ALIASES))
    } else {
        value
    };
    let value = match properties::spec(id).map(|(ty, _)| ty) {
        Some(ValueType::Byte) => u8::try_from(value).map(Value::Byte).ok(),
        Some(ValueType::TwoByte) => u16::try_from(value).map(Value::TwoByte).ok(),
        Some(ValueType::FourByte) => Some(Value::FourByte(value)),
        Some(ValueType::VarInt) if value <= 268_435_455 => Some(Value::VarInt(value)),
        _ => None,
    };
    match value {
        // SAFETY: the caller's promise.
        Some(v) => unsafe { put(buf, cap, len, Property { id, value: v }) },
        None => UmqttStatus::BadArgument,
    }
}

/// Appends property `id` with a string, binary (`b` NULL) or string pair value: BAD_ARGUMENT when the
/// type is not the property's or a string is not UTF-8 without NUL.
///
/// # Safety
/// As umqtt_props_put_int; `a`, `b` NULL (length 0) or readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn umqtt_props_put_bytes(
    buf: *mut u8,
    cap: usize,
    len: *mut usize,
    id: u8,
    a: *const u8,
    a_len: usize,
    b: *const u8,
    b_len: usize,
) -> UmqttStatus {
    // SAFETY: the caller's promise.
    let (Some(a), Some(b)) = (unsafe { bytes(a, a_len) }, unsafe { bytes(b, b_len) }) else {
        return UmqttStatus::BadArgument;
    };
    fn text(v: &[u8]) -> Option<&[u8]> {
        properties::utf8(v)
    }
    let value = match properties::spec(id).map(|(ty, _)| ty) {
        Some(ValueType::Utf8) => text(a).map(Value::Utf8),
        Some(ValueType::Binary) => Some(Value::Binary(a)),
        Some(ValueType::Pair) => text(a).zip(text(b)).map(|(k, v)| Value::Pair(k, v)),
        _ => None,
    };
    match value {
        // SAFETY: the caller's promise.
        Some(v) => unsafe { put(buf, cap, len, Property { id, value: v }) },
        None => UmqttStatus::BadArgument,
    }
}

/// # Safety
/// As umqtt_props_put_int.
unsafe fn put(buf: *mut u8, cap: usize, len: *mut usize, p: Property<'_>) -> UmqttStatus {
    // SAFETY: the caller's promise.
    let (Some(o), Some(l)) = (unsafe { out_bytes(buf, cap) }, unsafe { out(len) }) else {
        return UmqttStatus::BadArgument;
    };
    match properties::put(o, *l, &p) {
        Ok(end) => {
            *l = end;
            UmqttStatus::Ok
        }
        Err(Error::BufferTooSmall(_)) => UmqttStatus::BufferTooSmall,
        Err(e) => e.into(),
    }
}

/// Reads the property at `*offset` of a block's content (as handed out by handle_rx) into `*prop` and
/// moves `*offset` past it; false at the end (or on bytes that are not a property block).
///
/// # Safety
/// `block` NULL (length 0) or readable for `len`; `offset` and `prop` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn umqtt_props_next(
    block: *const u8,
    len: usize,
    offset: *mut usize,
    prop: *mut UmqttProperty,
) -> bool {
    // SAFETY: the caller's promise.
    let (Some(b), Some(off), Some(p)) = (
        unsafe { bytes(block, len) },
        unsafe { out(offset) },
        unsafe { out(prop) },
    ) else {
        return false;
    };
    let Some(rest) = b.get(*off..) else {
        return false;
    };
    // Blocks from handle_rx were checked whole; anything else is re-checked
    // property by property here, and reading stops at the first bad one.
    let Some((next, size)) = Properties::first(rest) else {
        return false;
    };
    let empty = UmqttBytes {
        ptr: core::ptr::null(),
        len: 0,
    };
    let view = |v: &[u8]| UmqttBytes {
        ptr: v.as_ptr(),
        len: v.len(),
    };
    *p = UmqttProperty {
        id: next.id,
        kind: UmqttPropType::Int,
        list: names::is_list(next.id),
        value: 0,
        a: empty,
        b: empty,
    };
    match next.value {
        Value::Byte(v) => p.value = v.into(),
        Value::TwoByte(v) => p.value = v.into(),
        Value::FourByte(v) | Value::VarInt(v) => p.value = v,
        Value::Utf8(s) => {
            p.kind = UmqttPropType::Utf8;
            p.a = view(s);
        }
        Value::Binary(v) => {
            p.kind = UmqttPropType::Binary;
            p.a = view(v);
        }
        Value::Pair(k, v) => {
            p.kind = UmqttPropType::Pair;
            p.a = view(k);
            p.b = view(v);
        }
    }
    *off += size;
    true
}

/// The name of an MQTT 5 reason code ("not authorized" for 0x87), `*len` bytes, not NUL-terminated.
///
/// # Safety
/// `len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_reason_name(code: u8, len: *mut usize) -> *const u8 {
    // SAFETY: the caller's promise.
    let Some(l) = (unsafe { out(len) }) else {
        return core::ptr::null();
    };
    let n = umqtt_core::v5::reason::name(code);
    *l = n.len();
    n.as_ptr()
}
