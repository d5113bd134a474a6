//! The committed seeds replay without a failure (no libFuzzer needed):
//! `cargo test` in rust/fuzz.
use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.expect("entry").path();
        run(&std::fs::read(&p).expect("seed"));
        n += 1;
    }
    assert!(n > 0, "no seeds in {}", dir.display());
}

#[test]
fn the_driver_model_seeds_pass() {
    replay("driver_model", umqtt_fuzz::run_model);
}

#[test]
fn the_split_rx_seeds_pass() {
    replay("split_rx", umqtt_fuzz::run_split);
}

#[test]
fn the_v5_decode_seeds_pass() {
    replay("v5_decode", umqtt_fuzz::v5::run_v5);
}

#[test]
fn the_v5_decode_seeds_are_whole_valid_packets() {
    use umqtt_core::v5::decode::{decode, Decoded};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/v5_decode");
    for e in std::fs::read_dir(&dir).expect("seeds") {
        let p = e.expect("entry").path();
        let bytes = std::fs::read(&p).expect("seed");
        match decode(&bytes) {
            Ok(Decoded::Packet { consumed, .. }) if consumed == bytes.len() => {}
            other => panic!("{}: {other:?}", p.display()),
        }
    }
}

#[test]
fn empty_and_tiny_inputs_pass() {
    for data in [&[][..], &[0], &[0xff; 7], &[1, 2, 3, 4, 5, 6, 7, 8, 9]] {
        umqtt_fuzz::run_model(data);
        umqtt_fuzz::run_split(data);
        umqtt_fuzz::v5::run_v5(data);
    }
}
