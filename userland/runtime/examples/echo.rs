//! An echo server and three clients written in Rust over `Sys`, on the
//! deterministic runtime: the same exchange as `scenarios/echo.ipc`, without
//! the scenario language. Prints the kernel's events and the closing report.
//!
//! `cargo run --release -p ipcsim-runtime --example echo`

use ipcsim_kernel::{Data, EventKind, KernelConfig, ObjectKind, ObjectOptions, ProcessSpec, Rights, Timeout};
use ipcsim_runtime::{Runtime, Sys};

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
    let server = rt
        .spawn(
            ProcessSpec {
                priority: 1,
                daemon: true,
                ..ProcessSpec::new("server")
            },
            |sys: Sys| async move {
                let cap = sys.boot_cap(0);
                // Serve for ever: reply to each call and wait for the next in one system call.
                let mut m = sys.recv(cap, Timeout::Never).await?;
                loop {
                    m = sys.reply_recv(cap, m.data, Timeout::Never).await?;
                }
            },
        )
        .expect("server");
    rt.kernel_mut().grant(server, ep, Rights::RECV, 0).expect("grant");
    for (i, word) in ["hello", "bonjour", "hallo"].into_iter().enumerate() {
        let client = rt
            .spawn(ProcessSpec::new(format!("client{i}")), move |sys: Sys| async move {
                let r = sys.call(sys.boot_cap(0), Data::str(word), Timeout::Ticks(10)).await?;
                assert_eq!(r.data, Data::str(word));
                Ok(())
            })
            .expect("client");
        // Each client's capability carries its own badge: the server can tell them apart.
        rt.kernel_mut()
            .grant(client, ep, Rights::SEND, i as u64 + 1)
            .expect("grant");
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
