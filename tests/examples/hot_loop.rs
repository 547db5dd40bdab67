//! A hot loop for profilers (`perf record`, `valgrind --tool=callgrind`): N
//! call/reply round trips through the kernel API or the runtime.
//!
//! `cargo run --release -p ipcsim-tests --example hot_loop -- kernel 10000000`
//! (modes: `kernel` (typed entries), `kernel-generic` (`Kernel::syscall`),
//! `kernel-log` with the event log on, `runtime`, `runtime-log`, `floor`)

#[path = "../benches/common/mod.rs"]
mod common;

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "kernel".into());
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
    let t = std::time::Instant::now();
    match what.as_str() {
        "floor" => {
            let mut f = common::Floor::default();
            for i in 0..n {
                std::hint::black_box(f.roundtrip(i));
            }
        }
        "runtime" => {
            let mut rt = common::runtime_pingpong(n, false);
            std::hint::black_box(rt.run());
        }
        "runtime-log" => {
            let mut rt = common::runtime_pingpong(n, true);
            std::hint::black_box(rt.run());
        }
        "kernel-generic" => {
            let mut pair = common::KernelPair::new(false);
            for i in 0..n as i64 {
                std::hint::black_box(pair.roundtrip_generic(i));
            }
        }
        "kernel-log" => {
            let mut pair = common::KernelPair::new(true);
            for i in 0..n as i64 {
                std::hint::black_box(pair.roundtrip(i));
            }
        }
        _ => {
            let mut pair = common::KernelPair::new(false);
            for i in 0..n as i64 {
                std::hint::black_box(pair.roundtrip(i));
            }
        }
    }
    let per = t.elapsed().as_nanos() as f64 / n as f64;
    eprintln!("{what}: {n} round trips, {per:.1} ns each");
}
