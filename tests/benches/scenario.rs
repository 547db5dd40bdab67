//! The scenario interpreter's cost per round trip: a client making many calls
//! to an echo server (`repeat`), run as `ipcsim run --trace none` runs it,
//! beside the same exchange written in Rust over the runtime and a tokio
//! ping-pong, in the same run. Then 10,000 clients spawned at run time by one
//! launcher, 100 calls each, against one client making the same 100 calls.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ipcsim_scenario::RunOptions;

/// The echo exchange as the Rust runtime version runs it: the server answers
/// and waits for the next call in one system call (`reply_recv`).
fn echo_src(calls: u64) -> String {
    format!(
        "endpoint echo\n\
         process server priority 1 daemon caps(echo: recv) {{\n  recv echo -> m\n  loop {{\n    reply_recv echo m.data -> m\n  }}\n}}\n\
         process client caps(echo: send) {{\n  repeat {calls} {{\n    call echo 42 -> r\n  }}\n}}\n\
         expect client exited\n"
    )
}

/// The textbook server: `recv`, then `reply` (one system call more per round trip).
fn echo_recv_reply_src(calls: u64) -> String {
    format!(
        "endpoint echo\n\
         process server priority 1 daemon caps(echo: recv) {{\n  loop {{\n    recv echo -> m\n    reply m.data\n  }}\n}}\n\
         process client caps(echo: send) {{\n  repeat {calls} {{\n    call echo 42 -> r\n  }}\n}}\n\
         expect client exited\n"
    )
}

fn spawn_src(clients: u64, calls: u64) -> String {
    format!(
        "endpoint echo\n\
         process server priority 1 daemon caps(echo: recv) {{\n  loop {{\n    recv echo -> m\n    reply m.data\n  }}\n}}\n\
         program client caps(echo: send) {{\n  repeat {calls} {{\n    call echo 42 -> r\n  }}\n}}\n\
         process launcher {{\n  repeat {clients} {{\n    spawn client\n    wait_child -> c\n  }}\n}}\n\
         expect launcher exited\n"
    )
}

fn scenario(c: &mut Criterion) {
    let mut g = c.benchmark_group("scenario");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    let calls = 100_000u64;
    g.throughput(Throughput::Elements(calls));
    g.bench_function("echo_repeat_scenario", |b| {
        let src = echo_src(calls);
        b.iter_custom(|iters| (0..iters).map(|_| common::run_scenario(&src)).sum())
    });
    g.bench_function("echo_repeat_scenario_recv_then_reply", |b| {
        let src = echo_recv_reply_src(calls);
        b.iter_custom(|iters| (0..iters).map(|_| common::run_scenario(&src)).sum())
    });
    g.bench_function("echo_rust_runtime", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let mut rt = common::runtime_pingpong(calls, false);
                    let t = Instant::now();
                    black_box(rt.run());
                    t.elapsed()
                })
                .sum()
        })
    });
    g.bench_function("echo_tokio_mpsc", |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                black_box(common::tokio_pingpong(calls));
            }
            t.elapsed()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("spawned_clients");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(100));
    g.bench_function("one_client_100_calls", |b| {
        let src = spawn_src(1, 100);
        b.iter_custom(|iters| (0..iters).map(|_| common::run_scenario(&src)).sum())
    });
    g.throughput(Throughput::Elements(10_000 * 100));
    g.bench_function("10k_clients_100_calls", |b| {
        let src = spawn_src(10_000, 100);
        b.iter_custom(|iters| (0..iters).map(|_| common::run_scenario(&src)).sum())
    });
    g.finish();
}

/// Four processes, about forty steps each, two locks taken in one order: the
/// shape of the lock-order scenario that `ipcsim explore` runs many times
/// (a file, so `make bench-instr` counts the same runs' instructions).
const LOCK_ORDER_4: &str = include_str!("lock_order_4x40.ipc");

/// Explored runs per second on one core: each iteration runs one seed of an
/// already checked scenario, as `ipcsim explore` does per schedule.
fn explore(c: &mut Criterion) {
    let mut g = c.benchmark_group("explore");
    g.throughput(Throughput::Elements(1));
    g.bench_function("lock_order_4x40_one_seeded_run", |b| {
        let mut seed = 0u64;
        let parsed = std::rc::Rc::new(ipcsim_scenario::load(LOCK_ORDER_4).expect("loads"));
        // As `ipcsim explore` does: parse once per thread, share it with every
        // run, and reset one runtime per thread for each run.
        let mut rt = ipcsim_runtime::Runtime::new(ipcsim_kernel::KernelConfig::default());
        b.iter(|| {
            seed += 1;
            let sc = parsed.clone();
            let opts = RunOptions {
                seed: Some(seed),
                ..Default::default()
            };
            let o = ipcsim_scenario::run_in(&mut rt, sc, "lock.ipc", &opts, None);
            black_box(o.exit_code())
        })
    });
    // All cores, as `ipcsim explore` runs: each thread parses once and takes
    // seeds from a shared counter. Throughput is runs per second in total.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    g.bench_function(format!("lock_order_4x40_seeded_runs_on_{threads}_threads"), |b| {
        b.iter_custom(|iters| {
            let next = std::sync::atomic::AtomicU64::new(0);
            let start = std::time::Instant::now();
            std::thread::scope(|scope| {
                for _ in 0..threads {
                    scope.spawn(|| {
                        let parsed = std::rc::Rc::new(ipcsim_scenario::load(LOCK_ORDER_4).expect("loads"));
                        let mut rt = ipcsim_runtime::Runtime::new(ipcsim_kernel::KernelConfig::default());
                        loop {
                            let seed = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            if seed >= iters {
                                break;
                            }
                            let opts = RunOptions {
                                seed: Some(seed),
                                ..Default::default()
                            };
                            let o = ipcsim_scenario::run_in(&mut rt, parsed.clone(), "lock.ipc", &opts, None);
                            black_box(o.exit_code());
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
    g.finish();
}

criterion_group!(benches, scenario, explore);
criterion_main!(benches);
