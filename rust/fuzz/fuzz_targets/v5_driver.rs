//! The driver at MQTT 5 against a generated hostile broker, with the
//! session's invariants checked (umqtt_fuzz::v5_driver, RELIABILITY.md).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| umqtt_fuzz::v5_driver::run_v5_driver(data));
