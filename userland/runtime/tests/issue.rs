//! `Sys::call` and `Sys::reply_recv` enter the kernel by its typed entries;
//! the same calls issued as `Syscall` values through `Sys::syscall` must give
//! the same run: every event, the report, under plain and seeded schedules,
//! with timeouts that fire and a server that dies under its clients.

use std::cell::RefCell;
use std::rc::Rc;

use ipcsim_kernel::{
    Data, Error, KernelConfig, Message, ObjectKind, ObjectOptions, ProcessSpec, Ret, Rights, SysResult, Syscall,
    Timeout,
};
use ipcsim_runtime::{Report, Runtime, Sys};

/// How the processes issue their message calls.
#[derive(Clone, Copy)]
enum Door {
    Typed,
    Generic,
}

async fn call(sys: &Sys, door: Door, cap: ipcsim_kernel::CapId, v: i64, timeout: Timeout) -> Result<Message, Error> {
    match door {
        Door::Typed => sys.call(cap, Data::Int(v), timeout).await,
        Door::Generic => message(
            sys.syscall(Syscall::Call {
                cap,
                msg: Message::new(Data::Int(v)),
                timeout,
            })
            .await,
        ),
    }
}

async fn reply_recv(sys: &Sys, door: Door, cap: ipcsim_kernel::CapId, data: Data) -> Result<Message, Error> {
    match door {
        Door::Typed => sys.reply_recv(cap, data, Timeout::Never).await,
        Door::Generic => message(
            sys.syscall(Syscall::ReplyRecv {
                cap,
                msg: Message::new(data),
                timeout: Timeout::Never,
            })
            .await,
        ),
    }
}

fn message(r: SysResult) -> Result<Message, Error> {
    match r? {
        Ret::Msg(m) => Ok(m),
        _ => Err(Error::InvalidArgument),
    }
}

/// A server answering two clients (one with a tight timeout) for a while,
/// then ending while they still call; the events as text and the report.
fn run(door: Door, seed: Option<u64>, log: bool) -> (Vec<String>, Report) {
    let mut rt = Runtime::new(KernelConfig {
        record_events: log,
        seed,
        ..KernelConfig::default()
    });
    let events = Rc::new(RefCell::new(Vec::new()));
    let sink = events.clone();
    rt.set_sink(move |_, evs| sink.borrow_mut().extend(evs.iter().map(|e| format!("{e:?}"))));
    let ep = rt
        .kernel_mut()
        .create_object(ObjectKind::Endpoint, "ep", &ObjectOptions::default())
        .expect("endpoint");
    let server = rt
        .spawn(ProcessSpec::new("server"), move |sys: Sys| async move {
            let cap = sys.boot_cap(0);
            let mut m = sys.recv(cap, Timeout::Never).await?;
            for _ in 0..12 {
                let answer = match m.data {
                    Data::Int(i) => Data::Int(i * 2),
                    other => other,
                };
                sys.compute(1).await?;
                m = reply_recv(&sys, door, cap, answer).await?;
            }
            Ok(())
        })
        .expect("server");
    rt.kernel_mut().grant(server, ep, Rights::RECV, 0).expect("cap");
    for (name, timeout) in [("patient", Timeout::Never), ("hasty", Timeout::Ticks(1))] {
        let client = rt
            .spawn(ProcessSpec::new(name), move |sys: Sys| async move {
                let cap = sys.boot_cap(0);
                for i in 0..10 {
                    match call(&sys, door, cap, i, timeout).await {
                        Ok(r) => sys.print(format!("{i} -> {:?}", r.data)),
                        Err(e) => sys.print(format!("{i} failed: {e}")),
                    }
                }
                Ok(())
            })
            .expect("client");
        rt.kernel_mut().grant(client, ep, Rights::SEND, 7).expect("cap");
    }
    let report = rt.run();
    let seen = events.take();
    (seen, report)
}

#[test]
fn typed_and_generic_calls_make_the_same_run() {
    for log in [true, false] {
        for seed in [None, Some(0), Some(1), Some(2), Some(3), Some(5), Some(8), Some(13)] {
            let typed = run(Door::Typed, seed, log);
            let generic = run(Door::Generic, seed, log);
            assert_eq!(typed.0, generic.0, "events, seed {seed:?}, log {log}");
            assert_eq!(typed.1, generic.1, "report, seed {seed:?}, log {log}");
            if log {
                // The run did what the test means it to: replies, timeouts, a dead server.
                let all = typed.0.join("\n");
                assert!(all.contains("Reply {"), "{all}");
                assert!(all.contains("Timeout") || all.contains("PeerDied"), "{all}");
            }
        }
    }
}
