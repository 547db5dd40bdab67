//! The blocking-process goals as ratios from runs milliseconds apart (issue
//! 18): a call/reply round trip between two blocking processes against a
//! bare parking_lot Mutex+Condvar ping-pong between two threads (goal: at
//! most 1.5x; run it under `taskset -c 0` for one CPU), beside the async
//! runtime's round trip; then 1,000 blocking processes in one run, with the
//! peak memory.
//!
//! `cargo run --release -p ipcsim-tests --example blocking_ratios -- [ROUNDS] [N]`
//! (default 15 rounds of N = 20,000 round trips).
//!
//! `blocking_ratios crowd P` runs P blocking processes alone and reports the
//! peak memory (VmHWM) before and after.

use std::time::{Duration, Instant};

#[path = "../benches/common/mod.rs"]
mod common;

fn timed(mut rt: ipcsim_runtime::Runtime) -> Duration {
    let t = Instant::now();
    let r = rt.run();
    let d = t.elapsed();
    assert_eq!(r.finish, ipcsim_kernel::Finish::AllEnded, "{r:?}");
    assert_eq!(rt.blocking_threads(), 0);
    d
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ns(d: Duration, n: u64) -> f64 {
    d.as_nanos() as f64 / n as f64
}

/// The process's peak resident memory so far, in KiB (Linux's VmHWM).
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// `procs` blocking processes (one server per ten) in one run: time and peak memory.
fn crowd(procs: usize) {
    let servers = procs.div_ceil(10);
    let before = peak_kib();
    let rt = common::blocking::blocking_crowd(servers, 9, 10);
    let started = peak_kib();
    let d = timed(rt);
    let after = peak_kib();
    println!(
        "{} blocking processes ({servers} servers, 9 clients each, 10 calls per client): run {:?}; \
         peak memory {before} KiB before, {started} KiB with every thread started, {after} KiB after the run: \
         {:.1} KiB per process",
        servers * 10,
        d,
        after.saturating_sub(before) as f64 / (servers * 10) as f64
    );
}

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("crowd") {
        args.next();
        crowd(args.next().and_then(|s| s.parse().ok()).unwrap_or(1000));
        return;
    }
    let rounds: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(15);
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let cpus = std::thread::available_parallelism().map_or(1, |c| c.get());
    let (mut bare, mut blocking, mut asynch, mut ratio) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let b = ns(common::blocking::parking_lot_pingpong(n), n);
        let t = ns(timed(common::blocking::blocking_pingpong(n, false)), n);
        let a = ns(timed(common::runtime_pingpong(n, false)), n);
        bare.push(b);
        blocking.push(t);
        asynch.push(a);
        ratio.push(t / b);
    }
    println!(
        "on {cpus} CPU(s), median of {rounds} rounds of {n} round trips: bare parking_lot ping-pong {:.0} ns, \
         blocking processes {:.0} ns ({:.2}x the ping-pong; goal at most 1.5x), async runtime {:.1} ns",
        median(&mut bare),
        median(&mut blocking),
        median(&mut ratio),
        median(&mut asynch)
    );
    crowd(1000);
}
