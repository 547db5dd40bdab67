//! The price of polling, measured: a client and a server ping-pong over two
//! one-slot channels in one segment, at several poll intervals, under a cost
//! model. Prints, per round trip, the latency, the CPU both sides burnt, the
//! looks at a flag that found nothing, and the kernel's copies (always 0).
//!
//! `cargo run --release -p ipcsim-shmchan --example poll_interval`

use std::cell::RefCell;
use std::rc::Rc;

use ipcsim_kernel::{Costs, KernelConfig, ObjectKind, ObjectOptions, ProcessSpec, Rights, Timeout};
use ipcsim_runtime::{Runtime, Sys};
use ipcsim_shmchan::{Layout, Poll, Receiver, Sender};

const ROUNDS: u64 = 50;

/// (mean latency, CPU per round trip, idle polls per round trip, copies) at one interval.
fn measure(interval: u64) -> (u64, u64, u64, u64) {
    let req = Layout::one_slot(0, 16);
    let rep = Layout::one_slot(req.bytes(), 16);
    let costs = Costs {
        syscall_ticks: 100,
        switch_ticks: 500,
        copy_per_byte_ticks: 1,
        poll_ticks: 20,
    };
    let mut rt = Runtime::new(KernelConfig {
        costs,
        ..KernelConfig::default()
    });
    let opts = ObjectOptions {
        size: Some(rep.bytes() as u64),
        ..ObjectOptions::default()
    };
    let seg = rt
        .kernel_mut()
        .create_object(ObjectKind::Shm, "seg", &opts)
        .expect("segment");
    let latency = Rc::new(RefCell::new(0u64));
    let idle = Rc::new(RefCell::new(0u64));
    let (lat, idle_s) = (latency.clone(), idle.clone());
    let server = rt
        .spawn(
            ProcessSpec {
                daemon: true,
                ..ProcessSpec::new("server")
            },
            move |sys: Sys| async move {
                let rx = Receiver::attach(&sys, sys.boot_cap(0), req, Poll::Sleep(interval)).await?;
                let tx = Sender::attach(&sys, sys.boot_cap(0), rep, Poll::Sleep(interval)).await?;
                loop {
                    let m = rx.recv(Timeout::Never).await?;
                    tx.send(&m, Timeout::Never).await?;
                    *idle_s.borrow_mut() = rx.stats().idle_polls + tx.stats().idle_polls;
                }
            },
        )
        .expect("server");
    let client = rt
        .spawn(ProcessSpec::new("client"), move |sys: Sys| async move {
            let tx = Sender::attach(&sys, sys.boot_cap(0), req, Poll::Sleep(interval)).await?;
            let rx = Receiver::attach(&sys, sys.boot_cap(0), rep, Poll::Sleep(interval)).await?;
            for i in 0..ROUNDS {
                // Requests come 10,000 ticks apart; the server keeps looking meanwhile.
                sys.sleep(10_000).await?;
                let t0 = sys.now();
                tx.send(&format!("ping{i}"), Timeout::Never).await?;
                rx.recv(Timeout::Never).await?;
                *lat.borrow_mut() += sys.now() - t0;
            }
            Ok(())
        })
        .expect("client");
    for p in [server, client] {
        rt.kernel_mut()
            .grant(p, seg, Rights::READ | Rights::WRITE, 0)
            .expect("grant");
    }
    let report = rt.run();
    let cpu: u64 = report.processes.iter().map(|p| p.cpu).sum();
    let l = *latency.borrow() / ROUNDS;
    let i = *idle.borrow() / ROUNDS;
    (l, cpu / ROUNDS, i, report.stats.copies())
}

fn main() {
    println!("cost model: syscall=100 switch=500 poll=20 ticks; requests 10,000 ticks apart; {ROUNDS} round trips");
    println!(
        "| poll interval | latency (ticks) | CPU per round trip | server's idle looks per round trip | kernel copies |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: |");
    for interval in [100, 300, 1000, 3000, 10_000] {
        let (latency, cpu, idle, copies) = measure(interval);
        println!("| {interval} | {latency} | {cpu} | {idle} | {copies} |");
    }
}
