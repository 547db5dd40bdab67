//! Throughput of the buffered mechanisms, beside a real Linux pipe carrying
//! the same data between two threads of this process, in the same run:
//! - mailbox: messages per second, one producer and one consumer, capacity 64;
//! - pipe: bytes per second, 1 KiB writes through a 4 KiB pipe.

use std::hint::black_box;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ipcsim_kernel::*;
use ipcsim_runtime::{Runtime, Sys};

const MESSAGES: u64 = 100_000;
const CHUNK: usize = 1024;
const CHUNKS: u64 = 10_000;

fn mailbox_run() -> Runtime {
    let mut rt = Runtime::new(KernelConfig {
        record_events: false,
        ..KernelConfig::default()
    });
    let mb = rt
        .kernel_mut()
        .create_object(
            ObjectKind::Mailbox,
            "mb",
            &ObjectOptions {
                capacity: Some(64),
                ..Default::default()
            },
        )
        .expect("mailbox");
    let p = rt
        .spawn(ProcessSpec::new("producer"), |sys: Sys| async move {
            let c = sys.boot_cap(0);
            for i in 0..MESSAGES {
                sys.send(c, Data::Int(i as i64), Timeout::Never).await?;
            }
            Ok(())
        })
        .expect("producer");
    let q = rt
        .spawn(ProcessSpec::new("consumer"), |sys: Sys| async move {
            let c = sys.boot_cap(0);
            for _ in 0..MESSAGES {
                black_box(sys.recv(c, Timeout::Never).await?);
            }
            Ok(())
        })
        .expect("consumer");
    rt.kernel_mut().grant(p, mb, Rights::SEND, 0).expect("cap");
    rt.kernel_mut().grant(q, mb, Rights::RECV, 0).expect("cap");
    rt
}

fn pipe_run() -> Runtime {
    let mut rt = Runtime::new(KernelConfig {
        record_events: false,
        ..KernelConfig::default()
    });
    let pipe = rt
        .kernel_mut()
        .create_object(ObjectKind::Pipe, "p", &ObjectOptions::default())
        .expect("pipe");
    let chunk: String = "x".repeat(CHUNK);
    let w = rt
        .spawn(ProcessSpec::new("writer"), move |sys: Sys| async move {
            let c = sys.boot_cap(0);
            let data = Data::str(&chunk);
            for _ in 0..CHUNKS {
                sys.syscall(Syscall::Write {
                    cap: c,
                    data: data.clone(),
                    timeout: Timeout::Never,
                })
                .await?;
            }
            sys.syscall(Syscall::Close { cap: c }).await?;
            Ok(())
        })
        .expect("writer");
    let r = rt
        .spawn(ProcessSpec::new("reader"), |sys: Sys| async move {
            let c = sys.boot_cap(0);
            loop {
                match sys
                    .syscall(Syscall::Read {
                        cap: c,
                        max: 4096,
                        timeout: Timeout::Never,
                    })
                    .await?
                {
                    Ret::Bytes(Data::Str(s)) if s.is_empty() => return Ok(()),
                    other => {
                        black_box(other);
                    }
                }
            }
        })
        .expect("reader");
    rt.kernel_mut().grant(w, pipe, Rights::WRITE, 0).expect("cap");
    rt.kernel_mut().grant(r, pipe, Rights::READ, 0).expect("cap");
    rt
}

/// The same bytes through a real Linux pipe between two threads.
fn linux_pipe() -> Duration {
    let (mut rx, mut tx) = std::io::pipe().expect("pipe");
    let t = Instant::now();
    let writer = std::thread::spawn(move || {
        let chunk = vec![b'x'; CHUNK];
        for _ in 0..CHUNKS {
            tx.write_all(&chunk).expect("write");
        }
    });
    let mut buf = vec![0u8; 4096];
    let mut total = 0u64;
    loop {
        let n = rx.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    writer.join().expect("writer");
    assert_eq!(total, CHUNKS * CHUNK as u64);
    t.elapsed()
}

fn throughput(c: &mut Criterion) {
    let mut g = c.benchmark_group("throughput");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(4));
    g.throughput(Throughput::Elements(MESSAGES));
    g.bench_function("mailbox_cap64_messages", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let mut rt = mailbox_run();
                    let t = Instant::now();
                    black_box(rt.run());
                    t.elapsed()
                })
                .sum()
        })
    });
    g.throughput(Throughput::Bytes(CHUNKS * CHUNK as u64));
    g.bench_function("pipe_1k_writes_bytes", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let mut rt = pipe_run();
                    let t = Instant::now();
                    black_box(rt.run());
                    t.elapsed()
                })
                .sum()
        })
    });
    g.bench_function("linux_pipe_two_threads_bytes", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| linux_pipe()).sum())
    });
    g.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
