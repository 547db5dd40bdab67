//! The `echo` example written blocking-style: the server and the clients are
//! plain functions over `BlockingSys` on their own threads, passing one
//! baton, on the same deterministic runtime. It prints what
//! `--example echo` prints, byte for byte.
//!
//! `cargo run --release -p ipcsim-runtime --example echo_blocking`

use ipcsim_kernel::{Data, Error, EventKind, KernelConfig, ObjectKind, ObjectOptions, ProcessSpec, Rights, Timeout};
use ipcsim_runtime::{BlockingSys, Runtime};

/// Serves for ever: replies to each call and waits for the next in one system call.
fn serve(sys: &BlockingSys) -> Result<(), Error> {
    let cap = sys.boot_cap(0);
    let mut m = sys.recv(cap, Timeout::Never)?;
    loop {
        m = sys.reply_recv(cap, m.data, Timeout::Never)?;
    }
}

/// Calls once with `word` and checks the echo.
fn client(sys: &BlockingSys, word: &str) -> Result<(), Error> {
    let r = sys.call(sys.boot_cap(0), Data::str(word), Timeout::Ticks(10))?;
    assert_eq!(r.data, Data::str(word));
    Ok(())
}

fn main() {
    let mut rt = Runtime::new(KernelConfig::default());
    rt.set_sink(|k, events| {
        for e in events {
            if let EventKind::Deliver { from, data, badge, .. } = &e.kind {
                println!(
                    "t={} {} <- {data} from {} (badge {badge})",
                    e.time,
                    k.process_name(e.pid),
                    k.process_name(*from)
                );
            }
        }
    });
    let ep = rt
        .kernel_mut()
        .create_object(ObjectKind::Endpoint, "echo", &ObjectOptions::default())
        .expect("endpoint");
    let spec = ProcessSpec {
        priority: 1,
        daemon: true,
        ..ProcessSpec::new("server")
    };
    let server = rt.spawn_blocking(spec, serve).expect("server");
    rt.kernel_mut().grant(server, ep, Rights::RECV, 0).expect("grant");
    for (i, word) in ["hello", "bonjour", "hallo"].into_iter().enumerate() {
        let c = rt
            .spawn_blocking(ProcessSpec::new(format!("client{i}")), move |sys| client(sys, word))
            .expect("client");
        // Each client's capability carries its own badge: the server can tell them apart.
        rt.kernel_mut().grant(c, ep, Rights::SEND, i as u64 + 1).expect("grant");
    }
    let report = rt.run();
    for p in &report.processes {
        println!("{:<8} {}", p.name, p.state);
    }
    println!(
        "t={}, {} system calls, {} switches ({} transfers), {} messages",
        report.time,
        report.stats.syscalls,
        report.stats.switches,
        report.stats.transfers,
        report.stats.messages()
    );
}
