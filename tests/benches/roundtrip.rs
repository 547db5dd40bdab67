//! Call/reply round trips: the kernel API alone and through the runtime, each
//! with the event log off and on, beside two baselines measured in the same
//! run: a VecDeque ping-pong (the in-memory floor) and a tokio current-thread
//! two-task ping-pong over `tokio::sync::mpsc`. Compare ratios, not times.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn roundtrips(c: &mut Criterion) {
    let mut g = c.benchmark_group("roundtrip");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("baseline_vecdeque", |b| {
        let mut f = common::Floor::default();
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            black_box(f.roundtrip(i))
        })
    });
    g.bench_function("baseline_tokio_mpsc", |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            black_box(common::tokio_pingpong(iters));
            t.elapsed()
        })
    });
    for (name, record) in [("kernel_api_log_off", false), ("kernel_api_log_on", true)] {
        g.bench_function(name, |b| {
            let mut pair = common::KernelPair::new(record);
            let mut i = 0i64;
            b.iter(|| {
                i += 1;
                black_box(pair.roundtrip(i))
            })
        });
    }
    // The same round trip through the generic entry (a `Syscall` value),
    // for API users who do not use the typed entries.
    g.bench_function("kernel_api_generic_entry_log_off", |b| {
        let mut pair = common::KernelPair::new(false);
        let mut i = 0i64;
        b.iter(|| {
            i += 1;
            black_box(pair.roundtrip_generic(i))
        })
    });
    for (name, record) in [("runtime_log_off", false), ("runtime_log_on", true)] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut rt = common::runtime_pingpong(iters, record);
                let t = Instant::now();
                black_box(rt.run());
                t.elapsed()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, roundtrips);
criterion_main!(benches);
