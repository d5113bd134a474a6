//! The MQTT 5 codec on arbitrary bytes: decode, decode_head and
//! Properties::parse never panic and agree with each other and with the
//! encoders (umqtt_fuzz::v5).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| umqtt_fuzz::v5::run_v5(data));
