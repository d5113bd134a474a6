//! Replays inputs without libFuzzer, printing every step:
//! `cargo run --example replay -- driver_model|split_rx|v5_decode FILE...`
fn main() {
    let mut args = std::env::args().skip(1);
    let target = args.next().unwrap_or_default();
    for path in args {
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        eprintln!("== {path}");
        match target.as_str() {
            "driver_model" => umqtt_fuzz::run_model_traced(&data, true),
            "split_rx" => umqtt_fuzz::run_split(&data),
            "v5_decode" => umqtt_fuzz::v5::run_v5(&data),
            t => panic!("unknown target {t}"),
        }
    }
}
