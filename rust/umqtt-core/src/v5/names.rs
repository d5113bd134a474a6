//! The snake_case names applications use for MQTT 5 properties (the keys
//! of a properties dict), both ways. Two names are lists rather than one
//! value: `user_properties` (User Property, repeated) and
//! `subscription_identifiers` (Subscription Identifier in a PUBLISH).

use super::properties::id;

const NAMES: [(u8, &str); 27] = [
    (id::PAYLOAD_FORMAT_INDICATOR, "payload_format_indicator"),
    (id::MESSAGE_EXPIRY_INTERVAL, "message_expiry_interval"),
    (id::CONTENT_TYPE, "content_type"),
    (id::RESPONSE_TOPIC, "response_topic"),
    (id::CORRELATION_DATA, "correlation_data"),
    (id::SUBSCRIPTION_IDENTIFIER, "subscription_identifiers"),
    (id::SESSION_EXPIRY_INTERVAL, "session_expiry_interval"),
    (id::ASSIGNED_CLIENT_IDENTIFIER, "assigned_client_identifier"),
    (id::SERVER_KEEP_ALIVE, "server_keep_alive"),
    (id::AUTHENTICATION_METHOD, "authentication_method"),
    (id::AUTHENTICATION_DATA, "authentication_data"),
    (
        id::REQUEST_PROBLEM_INFORMATION,
        "request_problem_information",
    ),
    (id::WILL_DELAY_INTERVAL, "will_delay_interval"),
    (
        id::REQUEST_RESPONSE_INFORMATION,
        "request_response_information",
    ),
    (id::RESPONSE_INFORMATION, "response_information"),
    (id::SERVER_REFERENCE, "server_reference"),
    (id::REASON_STRING, "reason_string"),
    (id::RECEIVE_MAXIMUM, "receive_maximum"),
    (id::TOPIC_ALIAS_MAXIMUM, "topic_alias_maximum"),
    (id::TOPIC_ALIAS, "topic_alias"),
    (id::MAXIMUM_QOS, "maximum_qos"),
    (id::RETAIN_AVAILABLE, "retain_available"),
    (id::USER_PROPERTY, "user_properties"),
    (id::MAXIMUM_PACKET_SIZE, "maximum_packet_size"),
    (
        id::WILDCARD_SUBSCRIPTION_AVAILABLE,
        "wildcard_subscription_available",
    ),
    (
        id::SUBSCRIPTION_IDENTIFIER_AVAILABLE,
        "subscription_identifiers_available",
    ),
    (
        id::SHARED_SUBSCRIPTION_AVAILABLE,
        "shared_subscription_available",
    ),
];

/// The name of property `id` (`None`: unknown).
pub fn name(id: u8) -> Option<&'static str> {
    NAMES.iter().find(|(i, _)| *i == id).map(|(_, n)| *n)
}

/// The property a name stands for (`None`: no such name).
pub fn id(name: &[u8]) -> Option<u8> {
    NAMES
        .iter()
        .find(|(_, n)| n.as_bytes() == name)
        .map(|(i, _)| *i)
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
        assert_eq!(id(b"user_properties"), Some(0x26));
        assert_eq!(id(b"no_such"), None);
    }
}
