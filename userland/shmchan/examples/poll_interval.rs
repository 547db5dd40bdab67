//! The price of polling, measured: a client and a server ping-pong over two
//! one-slot channels in one segment, at several poll intervals, under a cost
//! model. Prints, per round trip, the latency, the CPU both sides burnt, the
//! looks at a flag that found nothing, and the kernel's copies (always 0).
//! The crate's tests run the same ping-pong (`ping_pong`).
//!
//! `cargo run --release -p ipcsim-shmchan --example poll_interval`

use std::cell::Cell;
use std::rc::Rc;

use ipcsim_kernel::{Costs, Error, KernelConfig, ObjectKind, ObjectOptions, Pid, ProcessSpec, Rights, Timeout};
use ipcsim_runtime::{Report, Runtime, Sys};
use ipcsim_shmchan::{Layout, Poll, Receiver, Sender};

/// What one ping-pong run gave.
pub struct PingPong {
    /// Mean ticks from request to answer.
    pub latency: u64,
    /// The server's looks at a flag that found nothing, in all.
    pub idle_polls: u64,
    /// The closing report.
    pub report: Report,
    /// The server and the client.
    pub server: Pid,
    /// The client (it fails if an answer is wrong).
    pub client: Pid,
}

/// `rounds` round trips at poll interval `interval`; before request `i` the
/// client sleeps `think(i)` ticks (the server keeps polling meanwhile). The
/// server answers each request in upper case.
pub fn ping_pong(costs: Costs, interval: u64, rounds: u64, think: fn(u64) -> u64) -> PingPong {
    let req = Layout::one_slot(0, 16);
    let rep = Layout::one_slot(req.bytes(), 16);
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
    let (latency, idle) = (Rc::new(Cell::new(0u64)), Rc::new(Cell::new(0u64)));
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
                    tx.send(&m.to_uppercase(), Timeout::Never).await?;
                    idle_s.set(rx.stats().idle_polls + tx.stats().idle_polls);
                }
            },
        )
        .expect("server");
    let client = rt
        .spawn(ProcessSpec::new("client"), move |sys: Sys| async move {
            let tx = Sender::attach(&sys, sys.boot_cap(0), req, Poll::Sleep(interval)).await?;
            let rx = Receiver::attach(&sys, sys.boot_cap(0), rep, Poll::Sleep(interval)).await?;
            for i in 0..rounds {
                sys.sleep(think(i)).await?;
                let t0 = sys.now();
                tx.send(&format!("ping{i}"), Timeout::Never).await?;
                if rx.recv(Timeout::Never).await? != format!("PING{i}") {
                    return Err(Error::InvalidArgument);
                }
                lat.set(lat.get() + (sys.now() - t0));
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
    PingPong {
        latency: latency.get() / rounds.max(1),
        idle_polls: idle.get(),
        report,
        server,
        client,
    }
}

fn main() {
    const ROUNDS: u64 = 50;
    let costs = Costs {
        syscall_ticks: 100,
        switch_ticks: 500,
        copy_per_byte_ticks: 1,
        poll_ticks: 20,
    };
    println!("cost model: syscall=100 switch=500 poll=20 ticks; requests 10,000 ticks apart; {ROUNDS} round trips");
    println!(
        "| poll interval | latency (ticks) | CPU per round trip | server's idle looks per round trip | kernel copies |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: |");
    for interval in [100, 300, 1000, 3000, 10_000] {
        // Requests come 10,000 ticks apart; the server keeps looking meanwhile.
        let r = ping_pong(costs, interval, ROUNDS, |_| 10_000);
        let cpu: u64 = r.report.processes.iter().map(|p| p.cpu).sum();
        println!(
            "| {interval} | {} | {} | {} | {} |",
            r.latency,
            cpu / ROUNDS,
            r.idle_polls / ROUNDS,
            r.report.stats.copies()
        );
    }
}
