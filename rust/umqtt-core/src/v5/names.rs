//! The snake_case names applications use for MQTT 5 properties (the keys
//! of a properties dict), both ways. Two names are lists rather than one
//! value: `user_properties` (User Property, repeated) and
//! `subscription_identifiers` (Subscription Identifier in a PUBLISH).

use super::packed;
use super::properties::id;

/// The properties with a name, and their names in the same order
/// ([`packed`](super::packed): far smaller on a device than pairs of a code
/// and a string slice).
const IDS: [u8; 27] = [
    id::PAYLOAD_FORMAT_INDICATOR,
    id::MESSAGE_EXPIRY_INTERVAL,
    id::CONTENT_TYPE,
    id::RESPONSE_TOPIC,
    id::CORRELATION_DATA,
    id::SUBSCRIPTION_IDENTIFIER,
    id::SESSION_EXPIRY_INTERVAL,
    id::ASSIGNED_CLIENT_IDENTIFIER,
    id::SERVER_KEEP_ALIVE,
    id::AUTHENTICATION_METHOD,
    id::AUTHENTICATION_DATA,
    id::REQUEST_PROBLEM_INFORMATION,
    id::WILL_DELAY_INTERVAL,
    id::REQUEST_RESPONSE_INFORMATION,
    id::RESPONSE_INFORMATION,
    id::SERVER_REFERENCE,
    id::REASON_STRING,
    id::RECEIVE_MAXIMUM,
    id::TOPIC_ALIAS_MAXIMUM,
    id::TOPIC_ALIAS,
    id::MAXIMUM_QOS,
    id::RETAIN_AVAILABLE,
    id::USER_PROPERTY,
    id::MAXIMUM_PACKET_SIZE,
    id::WILDCARD_SUBSCRIPTION_AVAILABLE,
    id::SUBSCRIPTION_IDENTIFIER_AVAILABLE,
    id::SHARED_SUBSCRIPTION_AVAILABLE,
];
const NAMES: &str =
    "payload_format_indicator\0message_expiry_interval\0content_type\0response_topic\0\
    correlation_data\0subscription_identifiers\0session_expiry_interval\0\
    assigned_client_identifier\0server_keep_alive\0authentication_method\0\
    authentication_data\0request_problem_information\0will_delay_interval\0\
    request_response_information\0response_information\0server_reference\0\
    reason_string\0receive_maximum\0topic_alias_maximum\0topic_alias\0maximum_qos\0\
    retain_available\0user_properties\0maximum_packet_size\0\
    wildcard_subscription_available\0subscription_identifiers_available\0\
    shared_subscription_available\0";

/// The name of property `id` (`None`: unknown).
pub fn name(id: u8) -> Option<&'static str> {
    let index = IDS.iter().position(|&i| i == id)?;
    packed::nth(NAMES, index)
}

/// The property a name stands for (`None`: no such name).
pub fn id(name: &[u8]) -> Option<u8> {
    let index = packed::index_of(NAMES, name)?;
    IDS.get(index).copied()
}

/// Whether the name stands for a list of values (repeated property).
pub fn is_list(id: u8) -> bool {
    id == id::USER_PROPERTY || id == id::SUBSCRIPTION_IDENTIFIER
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v5::properties::spec;

    #[test]
    fn every_known_property_has_one_name_and_back() {
        for i in 0..=255u8 {
            match (spec(i), name(i)) {
                (Some(_), Some(n)) => assert_eq!(id(n.as_bytes()), Some(i)),
                (None, None) => {}
                other => panic!("property {i:#x}: {other:?}"),
            }
        }
        assert_eq!(packed::names(NAMES).count(), IDS.len());
        assert_eq!(id(b"user_properties"), Some(0x26));
        assert_eq!(id(b"no_such"), None);
    }
}
