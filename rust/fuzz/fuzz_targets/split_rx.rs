//! The broker's bytes read whole or in chunks give the same outcome.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| umqtt_fuzz::run_split(data));
