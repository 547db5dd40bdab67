//! Replays one input through one fuzz target on stable (to study a crash
//! libFuzzer saved): `cargo run -p ipcsim-fuzz --example replay -- TARGET FILE`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(target), Some(file)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: replay TARGET FILE");
        std::process::exit(2);
    };
    let data = std::fs::read(file).expect("readable input");
    match target.as_str() {
        "scenario" => ipcsim_fuzz::scenario::check(&data),
        "kernel_calls" => ipcsim_fuzz::kernel_calls::check(&data),
        "schedule" => ipcsim_fuzz::schedule::check(&data),
        "cli_args" => ipcsim_fuzz::cli_args::check(&data),
        other => {
            eprintln!("unknown target {other}");
            std::process::exit(2);
        }
    }
    eprintln!("no crash");
}
