//! A hot loop for profilers (`perf record`, `valgrind --tool=callgrind`): N
//! call/reply round trips through the kernel API or the runtime.
//!
//! `cargo run --release -p ipcsim-tests --example hot_loop -- kernel 10000000`
//! (modes: `kernel` (typed entries), `kernel-generic` (`Kernel::syscall`),
//! `kernel-log` with the event log on, `runtime`, `runtime-log`, `floor`)
//!
//! `hot_loop ratios [ROUNDS] [N]` times every mode in turn, N round trips at
//! a time (default 200,000), ROUNDS times (default 60), and prints each one's
//! ratio to the floor: the best against the floor's best, and the median of
//! each round's ratio to the floor timed just before it. Criterion times one
//! bench after another, seconds apart, and on a noisy machine the floor and a
//! subject then meet different loads; here they are milliseconds apart.

use std::time::Instant;

#[path = "../benches/common/mod.rs"]
mod common;

/// The modes, in the order `ratios` prints them.
const MODES: [&str; 6] = [
    "floor",
    "kernel",
    "kernel-generic",
    "kernel-log",
    "runtime",
    "runtime-log",
];

/// Runs `n` round trips of `mode`; nanoseconds per round trip, set-up left out.
fn time(mode: &str, n: u64) -> f64 {
    let t;
    match mode {
        "floor" => {
            let mut f = common::Floor::default();
            t = Instant::now();
            for i in 0..n {
                std::hint::black_box(f.roundtrip(i));
            }
        }
        "runtime" | "runtime-log" => {
            let mut rt = common::runtime_pingpong(n, mode == "runtime-log");
            t = Instant::now();
            std::hint::black_box(rt.run());
        }
        _ => {
            let mut pair = common::KernelPair::new(mode == "kernel-log");
            let generic = mode == "kernel-generic";
            t = Instant::now();
            for i in 0..n as i64 {
                if generic {
                    std::hint::black_box(pair.roundtrip_generic(i));
                } else {
                    std::hint::black_box(pair.roundtrip(i));
                }
            }
        }
    }
    t.elapsed().as_nanos() as f64 / n as f64
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ratios(rounds: usize, n: u64) {
    // Per mode: its times, and its ratio to the floor of the same round.
    let mut times = vec![Vec::with_capacity(rounds); MODES.len()];
    let mut rel = vec![Vec::with_capacity(rounds); MODES.len()];
    for _ in 0..rounds {
        for (i, mode) in MODES.iter().enumerate().skip(1) {
            let floor = time("floor", n);
            let t = time(mode, n);
            times[0].push(floor);
            times[i].push(t);
            rel[i].push(t / floor);
        }
    }
    let floor_best = times[0].iter().copied().fold(f64::INFINITY, f64::min);
    println!("{rounds} rounds of {n} round trips, each mode timed right after the floor");
    println!(
        "{:<15} {:>9} {:>11} {:>10} {:>13}",
        "mode", "best ns", "median ns", "best/best", "median ratio"
    );
    for (i, mode) in MODES.iter().enumerate() {
        let best = times[i].iter().copied().fold(f64::INFINITY, f64::min);
        let med = median(&mut times[i]);
        if i == 0 {
            println!("{mode:<15} {best:>9.1} {med:>11.1} {:>10} {:>13}", "1.00x", "1.00x");
        } else {
            let r = median(&mut rel[i]);
            println!(
                "{mode:<15} {best:>9.1} {med:>11.1} {:>9.2}x {r:>12.2}x",
                best / floor_best
            );
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "kernel".into());
    if what == "ratios" {
        let rounds = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
        let n = args.next().and_then(|s| s.parse().ok()).unwrap_or(200_000);
        ratios(rounds, n);
        return;
    }
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
    let mode = MODES.iter().find(|m| **m == what).copied().unwrap_or("kernel");
    let per = time(mode, n);
    eprintln!("{what}: {n} round trips, {per:.1} ns each");
}
