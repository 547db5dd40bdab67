//! Blocking-process drivers (issue 18): a call/reply ping-pong between two
//! blocking processes, and the physical floor it is measured against, a bare
//! parking_lot Mutex+Condvar ping-pong between two threads.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ipcsim_kernel::{Data, KernelConfig, ObjectKind, ObjectOptions, ProcessSpec, Rights, Timeout};
use ipcsim_runtime::{BlockingSys, Runtime};
use parking_lot::{Condvar, Mutex};

/// `n` round trips of a bare ping-pong between two threads: one Mutex
/// saying whose turn it is and a Condvar per thread (two handoffs per round
/// trip, as a call and its reply between two blocking processes). The time
/// of the round trips, thread start-up left out.
pub fn parking_lot_pingpong(n: u64) -> Duration {
    struct Court {
        /// True: the pong thread's turn.
        turn: Mutex<bool>,
        cv: [Condvar; 2],
    }
    let court = Arc::new(Court {
        turn: Mutex::new(false),
        cv: [Condvar::new(), Condvar::new()],
    });
    let other = court.clone();
    let pong = std::thread::spawn(move || {
        for _ in 0..n {
            let mut t = other.turn.lock();
            while !*t {
                other.cv[1].wait(&mut t);
            }
            *t = false;
            other.cv[0].notify_one();
        }
    });
    let start = Instant::now();
    for i in 0..n {
        let mut t = court.turn.lock();
        *t = true;
        court.cv[1].notify_one();
        while *t {
            court.cv[0].wait(&mut t);
        }
        black_box(i);
    }
    let d = start.elapsed();
    pong.join().expect("pong");
    d
}

/// A runtime with a blocking echo server and a blocking client making `n`
/// calls (no sink: the threads pass the baton to each other directly).
pub fn blocking_pingpong(n: u64, record: bool) -> Runtime {
    let mut rt = Runtime::new(KernelConfig {
        record_events: record,
        ..KernelConfig::default()
    });
    let ep = rt
        .kernel_mut()
        .create_object(ObjectKind::Endpoint, "ep", &ObjectOptions::default())
        .expect("ep");
    let spec = ProcessSpec {
        daemon: true,
        ..ProcessSpec::new("server")
    };
    let server = rt
        .spawn_blocking(spec, |sys: &BlockingSys| {
            let cap = sys.boot_cap(0);
            let mut m = sys.recv(cap, Timeout::Never)?;
            loop {
                m = sys.reply_recv(cap, m.data, Timeout::Never)?;
            }
        })
        .expect("server");
    let client = rt
        .spawn_blocking(ProcessSpec::new("client"), move |sys: &BlockingSys| {
            let cap = sys.boot_cap(0);
            for i in 0..n {
                black_box(sys.call(cap, Data::Int(i as i64), Timeout::Never)?);
            }
            Ok(())
        })
        .expect("client");
    rt.kernel_mut().grant(server, ep, Rights::RECV, 0).expect("cap");
    rt.kernel_mut().grant(client, ep, Rights::SEND, 0).expect("cap");
    rt
}

/// A runtime with `servers` blocking echo servers, each with
/// `clients_per_server` blocking clients making `calls` calls: many threads
/// in one run (for its peak memory).
pub fn blocking_crowd(servers: usize, clients_per_server: usize, calls: u64) -> Runtime {
    let mut rt = Runtime::new(KernelConfig {
        record_events: false,
        ..KernelConfig::default()
    });
    for s in 0..servers {
        let ep = rt
            .kernel_mut()
            .create_object(ObjectKind::Endpoint, &format!("ep{s}"), &ObjectOptions::default())
            .expect("ep");
        let spec = ProcessSpec {
            daemon: true,
            ..ProcessSpec::new(format!("server{s}"))
        };
        let server = rt
            .spawn_blocking(spec, |sys: &BlockingSys| {
                let cap = sys.boot_cap(0);
                let mut m = sys.recv(cap, Timeout::Never)?;
                loop {
                    m = sys.reply_recv(cap, m.data, Timeout::Never)?;
                }
            })
            .expect("server");
        rt.kernel_mut().grant(server, ep, Rights::RECV, 0).expect("cap");
        for c in 0..clients_per_server {
            let client = rt
                .spawn_blocking(ProcessSpec::new(format!("client{s}.{c}")), move |sys: &BlockingSys| {
                    for i in 0..calls {
                        black_box(sys.call(sys.boot_cap(0), Data::Int(i as i64), Timeout::Never)?);
                    }
                    Ok(())
                })
                .expect("client");
            rt.kernel_mut().grant(client, ep, Rights::SEND, 0).expect("cap");
        }
    }
    rt
}
