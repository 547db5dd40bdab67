//! The socket benches' goals as ratios from runs milliseconds apart (issue
//! 17): a stream round trip across two hosts against the endpoint round trip
//! through the runtime (goal: at most 3x), datagram throughput, and a round
//! trip in a scenario of 1,000 client hosts against one of 10 (goal: at most
//! 1.5x).
//!
//! `cargo run --release -p ipcsim-tests --example net_ratios -- [ROUNDS] [N]`
//! (default 15 rounds of N = 100,000 round trips and datagrams).
//!
//! `net_ratios stream|datagram|hosts N` runs one subject alone, for a profiler.

use std::time::{Duration, Instant};

#[path = "../benches/common/mod.rs"]
mod common;

/// Round trips per client in the many-hosts scenarios.
const ROUNDS_PER_CLIENT: u64 = 20;

/// Nanoseconds per unit of `run`, which does `units` of work (set-up left out).
fn per(units: u64, run: impl FnOnce() -> Duration) -> f64 {
    run().as_nanos() as f64 / units as f64
}

fn timed(mut rt: ipcsim_runtime::Runtime) -> Duration {
    let t = Instant::now();
    let r = rt.run();
    let d = t.elapsed();
    assert_eq!(r.finish, ipcsim_kernel::Finish::AllEnded, "{r:?}");
    d
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs one subject `n` times (for `perf record`); false if `what` names none.
fn alone(what: &str, n: u64) -> bool {
    let d = match what {
        "stream" => timed(common::net::stream_pingpong(n, false)),
        "datagram" => timed(common::net::datagram_flow(n, false)),
        "hosts" => common::run_scenario(&common::net::many_hosts_src(1000, n.div_ceil(1000))),
        _ => return false,
    };
    eprintln!("{what}: {n} in {d:?}");
    true
}

fn main() {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if let Some(what) = &first {
        let n = args.next().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
        if alone(what, n) {
            return;
        }
    }
    let mut args = first.into_iter().chain(args);
    let rounds: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(15);
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let n = n.div_ceil(common::net::BURST) * common::net::BURST;
    let src10 = common::net::many_hosts_src(10, ROUNDS_PER_CLIENT);
    let src1000 = common::net::many_hosts_src(1000, ROUNDS_PER_CLIENT);
    // Per round: each subject, then its ratio to its reference timed just before.
    let (mut ep, mut st, mut dg, mut h10, mut h1000) = (vec![], vec![], vec![], vec![], vec![]);
    let (mut stream_ratio, mut hosts_ratio) = (vec![], vec![]);
    for _ in 0..rounds {
        let e = per(n, || timed(common::runtime_pingpong(n, false)));
        let s = per(n, || timed(common::net::stream_pingpong(n, false)));
        let d = per(n, || timed(common::net::datagram_flow(n, false)));
        // The same number of round trips at either scale: 10 hosts run 100 times.
        let ten = per(100 * 10 * ROUNDS_PER_CLIENT, || {
            (0..100).map(|_| common::run_scenario(&src10)).sum()
        });
        let thousand = per(1000 * ROUNDS_PER_CLIENT, || common::run_scenario(&src1000));
        stream_ratio.push(s / e);
        hosts_ratio.push(thousand / ten);
        ep.push(e);
        st.push(s);
        dg.push(d);
        h10.push(ten);
        h1000.push(thousand);
    }
    println!("{rounds} rounds; medians, each ratio taken within a round");
    println!("endpoint round trip (runtime)        {:>8.1} ns", median(&mut ep));
    println!("stream round trip, two hosts         {:>8.1} ns", median(&mut st));
    println!(
        "  ratio to endpoint (goal <= 3x)     {:>8.2}x",
        median(&mut stream_ratio)
    );
    let d = median(&mut dg);
    println!(
        "datagram, two hosts                  {d:>8.1} ns ({:.2} M datagrams/s)",
        1e3 / d
    );
    println!("round trip, 10 client hosts          {:>8.1} ns", median(&mut h10));
    println!("round trip, 1000 client hosts        {:>8.1} ns", median(&mut h1000));
    println!(
        "  ratio 1000 to 10 (goal <= 1.5x)    {:>8.2}x",
        median(&mut hosts_ratio)
    );
}
