//! Sockets across simulated hosts (issue 17): a stream round trip between
//! two hosts through the runtime beside the endpoint round trip of the same
//! run (goal: at most 3x), datagram throughput, and a scenario of 10 and of
//! 1,000 client hosts calling one server host (goal: per round trip, 1,000
//! hosts cost at most 1.5x what 10 do). `make bench-ratios` prints the same
//! ratios from runs milliseconds apart.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn roundtrips(c: &mut Criterion) {
    let mut g = c.benchmark_group("sockets");
    g.measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(1));
    g.bench_function("endpoint_runtime_roundtrip", |b| {
        b.iter_custom(|iters| {
            let mut rt = common::runtime_pingpong(iters, false);
            let t = Instant::now();
            black_box(rt.run());
            t.elapsed()
        })
    });
    g.bench_function("stream_two_hosts_runtime_roundtrip", |b| {
        b.iter_custom(|iters| {
            let mut rt = common::net::stream_pingpong(iters, false);
            let t = Instant::now();
            black_box(rt.run());
            t.elapsed()
        })
    });
    g.bench_function("datagram_two_hosts_runtime", |b| {
        b.iter_custom(|iters| {
            let n = iters.div_ceil(common::net::BURST) * common::net::BURST;
            let mut rt = common::net::datagram_flow(n, false);
            let t = Instant::now();
            black_box(rt.run());
            // Criterion divides by `iters`: scale to what was sent.
            t.elapsed().mul_f64(iters as f64 / n as f64)
        })
    });
    g.finish();
}

fn many_hosts(c: &mut Criterion) {
    let mut g = c.benchmark_group("hosts");
    g.measurement_time(Duration::from_secs(5));
    g.sample_size(10);
    const ROUNDS: u64 = 20;
    for hosts in [10usize, 1000] {
        let src = common::net::many_hosts_src(hosts, ROUNDS);
        // One element per round trip: the per-round-trip cost is comparable.
        g.throughput(Throughput::Elements(hosts as u64 * ROUNDS));
        g.bench_function(format!("scenario_{hosts}_client_hosts"), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| common::run_scenario(&src)).sum())
        });
    }
    g.finish();
}

criterion_group!(benches, roundtrips, many_hosts);
criterion_main!(benches);
