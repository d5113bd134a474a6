//! MQTT 5 reason codes (2.4): which packet may carry which, and their names
//! for an exception's text.

use super::packed;
use super::properties::PacketKind;

/// Short lower-case name of a reason code ("not authorized" for 0x87).
/// 0x00 is "success" whatever the packet (the spec also calls it "normal
/// disconnection" and "granted QoS 0"); an unassigned code is "unknown".
pub fn name(code: u8) -> &'static str {
    // The codes with a name, and their names in the same order
    // ([`packed`]): far smaller on a device than a match of string slices.
    const CODES: [u8; 43] = [
        0x00, 0x01, 0x02, 0x04, 0x10, 0x11, 0x18, 0x19, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86,
        0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95,
        0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
    ];
    const NAMES: &str = "success\0granted qos 1\0granted qos 2\0disconnect with will message\0\
      no matching subscribers\0no subscription existed\0\
      continue authentication\0re-authenticate\0unspecified error\0\
      malformed packet\0protocol error\0implementation specific error\0\
      unsupported protocol version\0client identifier not valid\0\
      bad user name or password\0not authorized\0server unavailable\0\
      server busy\0banned\0server shutting down\0bad authentication method\0\
      keep alive timeout\0session taken over\0topic filter invalid\0\
      topic name invalid\0packet identifier in use\0\
      packet identifier not found\0receive maximum exceeded\0\
      topic alias invalid\0packet too large\0message rate too high\0\
      quota exceeded\0administrative action\0payload format invalid\0\
      retain not supported\0qos not supported\0use another server\0\
      server moved\0shared subscriptions not supported\0\
      connection rate exceeded\0maximum connect time\0\
      subscription identifiers not supported\0\
      wildcard subscriptions not supported\0";
    CODES
        .iter()
        .position(|&c| c == code)
        .and_then(|i| packed::nth(NAMES, i))
        .unwrap_or("unknown")
}

/// The reason code of the DISCONNECT a client sends before it drops a
/// connection for what the broker sent (4.13.1: it SHOULD say why), 0 for
/// a cause that is not the broker's doing (the transport, the keep-alive,
/// our own memory). The core has one error for both of the spec's
/// Malformed Packet and Protocol Error: it names the wider one, 0x81 ("the
/// received packet does not conform to this specification").
pub const fn for_dropping(e: crate::Error) -> u8 {
    match e {
        crate::Error::ProtocolError => 0x81,
        crate::Error::PacketTooLarge => crate::PACKET_TOO_LARGE,
        _ => 0,
    }
}

/// May a packet of `kind` carry `code`, whoever sends it (the spec's table
/// 2-6)? [`from_server`] and [`from_client`] narrow it by sender.
pub const fn allowed(kind: PacketKind, code: u8) -> bool {
    match kind {
        PacketKind::Connack => matches!(
            code,
            0x00 | 0x80..=0x8a | 0x8c | 0x90 | 0x95 | 0x97 | 0x99..=0x9d | 0x9f
        ),
        PacketKind::Puback | PacketKind::Pubrec => matches!(
            code,
            0x00 | 0x10 | 0x80 | 0x83 | 0x87 | 0x90 | 0x91 | 0x97 | 0x99
        ),
        PacketKind::Pubrel | PacketKind::Pubcomp => matches!(code, 0x00 | 0x92),
        PacketKind::Suback => matches!(
            code,
            0x00..=0x02 | 0x80 | 0x83 | 0x87 | 0x8f | 0x91 | 0x97 | 0x9e | 0xa1 | 0xa2
        ),
        PacketKind::Unsuback => matches!(code, 0x00 | 0x11 | 0x80 | 0x83 | 0x87 | 0x8f | 0x91),
        // Either side's codes: 0x04 comes only from a client, 0x8b..0x8e only
        // from a server.
        PacketKind::Disconnect => matches!(
            code,
            0x00 | 0x04 | 0x80..=0x83 | 0x87 | 0x89 | 0x8b..=0x90 | 0x93..=0xa2
        ),
        PacketKind::Auth => matches!(code, 0x00 | 0x18 | 0x19),
        PacketKind::Connect
        | PacketKind::Publish
        | PacketKind::Will
        | PacketKind::Subscribe
        | PacketKind::Unsubscribe => false,
    }
}

/// May a server send `code` in a packet of `kind`? The decoders refuse any
/// other code as a protocol error: a DISCONNECT "with will message" (0x04)
/// and an AUTH "re-authenticate" (0x19) come only from a client (3.14.2.1,
/// 3.15.2.1).
pub fn from_server(kind: PacketKind, code: u8) -> bool {
    has(&FROM_SERVER, kind, code)
}

/// [`from_server`]'s rule, which builds its table.
const fn server_rule(kind: PacketKind, code: u8) -> bool {
    allowed(kind, code)
        && !matches!(
            (kind, code),
            (PacketKind::Disconnect, 0x04) | (PacketKind::Auth, 0x19)
        )
}

/// May a client send `code` in a packet of `kind`? The encoders refuse any
/// other code as a bad argument: DISCONNECT's server-only codes (not
/// authorized, server busy, session taken over, use another server, ...),
/// AUTH's success, anything in CONNACK, SUBACK or UNSUBACK.
pub fn from_client(kind: PacketKind, code: u8) -> bool {
    has(&FROM_CLIENT, kind, code)
}

/// [`from_client`]'s rule, which builds its table.
const fn client_rule(kind: PacketKind, code: u8) -> bool {
    match kind {
        PacketKind::Disconnect => {
            matches!(code, 0x00 | 0x04 | 0x80..=0x83 | 0x90 | 0x93..=0x99)
        }
        PacketKind::Auth => matches!(code, 0x18 | 0x19),
        PacketKind::Connack | PacketKind::Suback | PacketKind::Unsuback => false,
        _ => allowed(kind, code),
    }
}

/// The assigned reason codes below 0x80.
const LOW: [u8; 8] = [0x00, 0x01, 0x02, 0x04, 0x10, 0x11, 0x18, 0x19];

/// A reason code's bit in a packet kind's set: 0x80..=0xa2 are bits 0..=34,
/// the eight assigned codes below 0x80 ([`LOW`]) bits 35..=42; no other code
/// is assigned (a table built with one would not compile).
const fn index(code: u8) -> Option<usize> {
    if code >= 0x80 {
        return if code <= 0xa2 {
            Some((code - 0x80) as usize)
        } else {
            None
        };
    }
    let mut rest: &[u8] = &LOW;
    let mut i = 35;
    while let [c, tail @ ..] = rest {
        if *c == code {
            return Some(i);
        }
        rest = tail;
        i += 1;
    }
    None
}

/// Whether `code` is in `kind`'s set of `table` (in 32-bit words: no
/// 64-bit shifts on a 32-bit device).
fn has(table: &[[u32; 2]; 14], kind: PacketKind, code: u8) -> bool {
    match (table.get(kind as usize), index(code)) {
        (Some(&[lo, hi]), Some(i)) => (if i < 32 { lo } else { hi }) >> (i % 32) & 1 != 0,
        _ => false,
    }
}

/// A rule as one set of codes per packet kind, computed when compiling:
/// a table of 14 words is far smaller on a device than the rule's matches.
// Evaluated only when compiling (FROM_SERVER, FROM_CLIENT): an index out of
// range or a code without a bit fails the build, never a device.
#[allow(clippy::indexing_slicing)]
const fn table(server: bool) -> [[u32; 2]; 14] {
    let mut t = [[0u32; 2]; 14];
    let mut k = 0;
    while k < PacketKind::ALL.len() {
        let mut code = 0usize;
        while code < 256 {
            let c = code as u8;
            let ok = if server {
                server_rule(PacketKind::ALL[k], c)
            } else {
                client_rule(PacketKind::ALL[k], c)
            };
            if ok {
                assert!(index(c).is_some(), "a reason code without a bit");
                if let Some(i) = index(c) {
                    t[k][i / 32] |= 1 << (i % 32);
                }
            }
            code += 1;
        }
        assert!(PacketKind::ALL[k] as usize == k, "PacketKind::ALL out of order");
        k += 1;
    }
    t
}

const FROM_SERVER: [[u32; 2]; 14] = table(true);
const FROM_CLIENT: [[u32; 2]; 14] = table(false);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_agree_with_the_rules_for_every_kind_and_code() {
        for kind in PacketKind::ALL {
            for code in 0..=255u8 {
                assert_eq!(
                    from_server(kind, code),
                    server_rule(kind, code),
                    "{kind:?} {code:#x}"
                );
                assert_eq!(
                    from_client(kind, code),
                    client_rule(kind, code),
                    "{kind:?} {code:#x}"
                );
            }
        }
    }

    /// The match `name` was before its table.
    fn name_by_match(code: u8) -> &'static str {
        match code {
            0x00 => "success",
            0x01 => "granted qos 1",
            0x02 => "granted qos 2",
            0x04 => "disconnect with will message",
            0x10 => "no matching subscribers",
            0x11 => "no subscription existed",
            0x18 => "continue authentication",
            0x19 => "re-authenticate",
            0x80 => "unspecified error",
            0x81 => "malformed packet",
            0x82 => "protocol error",
            0x83 => "implementation specific error",
            0x84 => "unsupported protocol version",
            0x85 => "client identifier not valid",
            0x86 => "bad user name or password",
            0x87 => "not authorized",
            0x88 => "server unavailable",
            0x89 => "server busy",
            0x8a => "banned",
            0x8b => "server shutting down",
            0x8c => "bad authentication method",
            0x8d => "keep alive timeout",
            0x8e => "session taken over",
            0x8f => "topic filter invalid",
            0x90 => "topic name invalid",
            0x91 => "packet identifier in use",
            0x92 => "packet identifier not found",
            0x93 => "receive maximum exceeded",
            0x94 => "topic alias invalid",
            0x95 => "packet too large",
            0x96 => "message rate too high",
            0x97 => "quota exceeded",
            0x98 => "administrative action",
            0x99 => "payload format invalid",
            0x9a => "retain not supported",
            0x9b => "qos not supported",
            0x9c => "use another server",
            0x9d => "server moved",
            0x9e => "shared subscriptions not supported",
            0x9f => "connection rate exceeded",
            0xa0 => "maximum connect time",
            0xa1 => "subscription identifiers not supported",
            0xa2 => "wildcard subscriptions not supported",
            _ => "unknown",
        }
    }

    #[test]
    fn the_name_table_agrees_with_the_match_for_every_code() {
        for code in 0..=255u8 {
            assert_eq!(name(code), name_by_match(code), "{code:#x}");
        }
    }

    #[test]
    fn names_are_short_and_known_codes_have_one() {
        assert_eq!(name(0x87), "not authorized");
        assert_eq!(name(0x00), "success");
        assert_eq!(name(0x9c), "use another server");
        assert_eq!(name(0x03), "unknown");
        for code in 0..=255u8 {
            let kinds = [
                PacketKind::Connack,
                PacketKind::Puback,
                PacketKind::Pubrel,
                PacketKind::Suback,
                PacketKind::Unsuback,
                PacketKind::Disconnect,
                PacketKind::Auth,
            ];
            if kinds.iter().any(|&k| allowed(k, code)) {
                assert_ne!(name(code), "unknown", "{code:#x}");
            }
            assert!(name(code).len() <= 40);
        }
    }

    #[test]
    fn each_packet_has_its_own_codes() {
        assert!(allowed(PacketKind::Connack, 0x87));
        assert!(!allowed(PacketKind::Connack, 0x8b));
        assert!(allowed(PacketKind::Puback, 0x10));
        assert!(!allowed(PacketKind::Pubrel, 0x10));
        assert!(allowed(PacketKind::Pubcomp, 0x92));
        assert!(allowed(PacketKind::Suback, 0x02));
        assert!(!allowed(PacketKind::Suback, 0x03));
        assert!(allowed(PacketKind::Unsuback, 0x11));
        assert!(allowed(PacketKind::Disconnect, 0x8e));
        assert!(!allowed(PacketKind::Disconnect, 0x84));
        assert!(allowed(PacketKind::Auth, 0x18));
    }

    #[test]
    fn a_dropped_connection_names_a_code_a_client_may_send() {
        use crate::Error;
        assert_eq!(for_dropping(Error::ProtocolError), 0x81);
        assert_eq!(for_dropping(Error::PacketTooLarge), 0x95);
        for e in [Error::Io, Error::PeerClosed, Error::KeepaliveTimeout, Error::InboundFull, Error::ServerDisconnect(0x8e)] {
            assert_eq!(for_dropping(e), 0, "{e:?}");
        }
        for e in [Error::ProtocolError, Error::PacketTooLarge] {
            assert!(from_client(PacketKind::Disconnect, for_dropping(e)));
        }
    }

    #[test]
    fn some_codes_only_one_side_sends() {
        assert!(from_client(PacketKind::Disconnect, 0x04));
        assert!(!from_server(PacketKind::Disconnect, 0x04));
        assert!(from_server(PacketKind::Disconnect, 0x8e));
        assert!(!from_client(PacketKind::Disconnect, 0x8e));
        assert!(from_server(PacketKind::Auth, 0x00) && !from_client(PacketKind::Auth, 0x00));
        assert!(from_client(PacketKind::Auth, 0x19) && !from_server(PacketKind::Auth, 0x19));
        assert!(from_client(PacketKind::Puback, 0x10) && from_server(PacketKind::Puback, 0x10));
        for code in 0..=255u8 {
            assert!(
                !from_client(PacketKind::Disconnect, code) || allowed(PacketKind::Disconnect, code)
            );
        }
    }
}
