//! The driver against a reference model (see src/lib.rs and RELIABILITY.md).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| umqtt_fuzz::run_model(data));
