//! Blocking processes (issue 18): a call/reply round trip between two
//! blocking processes, beside a bare parking_lot Mutex+Condvar ping-pong
//! between two threads (the physical floor of a thread handoff) and the
//! async runtime's round trip, measured in the same run. Goal: at most 1.5x
//! the bare ping-pong, on one CPU (`taskset -c 0 make bench`) and on two.
//! `make bench-ratios` prints the ratios from interleaved rounds.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn blocking(c: &mut Criterion) {
    let mut g = c.benchmark_group("blocking");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("baseline_parking_lot_pingpong", |b| {
        b.iter_custom(common::blocking::parking_lot_pingpong)
    });
    g.bench_function("runtime_blocking_log_off", |b| {
        b.iter_custom(|iters| {
            let mut rt = common::blocking::blocking_pingpong(iters, false);
            let t = Instant::now();
            black_box(rt.run());
            t.elapsed()
        })
    });
    g.bench_function("runtime_async_log_off", |b| {
        b.iter_custom(|iters| {
            let mut rt = common::runtime_pingpong(iters, false);
            let t = Instant::now();
            black_box(rt.run());
            t.elapsed()
        })
    });
    g.finish();
}

criterion_group!(benches, blocking);
criterion_main!(benches);
