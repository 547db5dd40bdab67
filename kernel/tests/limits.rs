//! Resource bounds: a scenario cannot make the kernel hold more than its
//! documented limits; past one, the operation fails `LimitReached` before it
//! has any effect (issue 21).

mod common;

use common::*;
use ipcsim_kernel::*;

fn small(memory_bytes_max: u64, buffered_messages_max: usize) -> Sim {
    Sim::with(KernelConfig {
        limits: Limits {
            memory_bytes_max,
            buffered_messages_max,
            ..Limits::default()
        },
        ..KernelConfig::default()
    })
}

fn shm_get(key: i64, size: u64) -> Syscall {
    Syscall::Get {
        kind: ObjectKind::Shm,
        key,
        flags: GetFlags {
            create: true,
            exclusive: false,
            mode: 0o600,
            mode_asked: false,
            nsems: 0,
        },
        size,
    }
}

#[test]
fn segments_beyond_the_memory_budget_are_refused_and_freed_ones_give_room() {
    let mut s = small(3 * 4096, 1000);
    let p = s.proc("p");
    let a = match s.done(p, shm_get(1, 8192)) {
        Ok(Ret::Cap(c)) => c,
        other => panic!("{other:?}"),
    };
    assert_eq!(s.k.held().bytes, 8192);
    // A second segment would pass the budget: refused, and no key is taken.
    assert_eq!(s.done(p, shm_get(2, 8192)), Err(Error::LimitReached));
    assert_eq!(s.k.held().bytes, 8192);
    assert!(s
        .k
        .create_object(
            ObjectKind::Shm,
            "x",
            &ObjectOptions {
                size: Some(8192),
                ..Default::default()
            }
        )
        .is_err());
    // Removing the first gives its memory back.
    assert_eq!(s.done(p, Syscall::Remove { cap: a }), Ok(Ret::Unit));
    assert_eq!(s.k.held().bytes, 0);
    assert!(matches!(s.done(p, shm_get(2, 8192)), Ok(Ret::Cap(_))));
}

#[test]
fn an_unbounded_mailbox_stops_at_the_kernel_wide_message_budget() {
    let mut s = small(1 << 30, 3);
    let mb = s.obj_opts(
        ObjectKind::Mailbox,
        "mb",
        ObjectOptions {
            unbounded: true,
            ..Default::default()
        },
    );
    let p = s.proc("p");
    let c = s.cap(p, mb, ObjectKind::Mailbox.rights());
    for i in 0..3 {
        assert_eq!(s.done(p, Sim::send(c, i, Timeout::Never)), Ok(Ret::Unit));
    }
    assert_eq!(s.done(p, Sim::send(c, 9, Timeout::Never)), Err(Error::LimitReached));
    assert_eq!(s.k.held().messages, 3);
    // A receive frees one: the next send fits again, and nothing was lost.
    assert_eq!(msg_int(s.done(p, Sim::recv(c, Timeout::Never))), 0);
    assert_eq!(s.done(p, Sim::send(c, 3, Timeout::Never)), Ok(Ret::Unit));
    for want in 1..4 {
        assert_eq!(msg_int(s.done(p, Sim::recv(c, Timeout::Never))), want);
    }
    assert_eq!(s.k.held(), Held::default());
}

#[test]
fn buffered_message_bytes_count_against_the_memory_budget() {
    let mut s = small(100, 1000);
    let mb = s.obj_opts(
        ObjectKind::Mailbox,
        "mb",
        ObjectOptions {
            capacity: Some(100),
            ..Default::default()
        },
    );
    let p = s.proc("p");
    let c = s.cap(p, mb, ObjectKind::Mailbox.rights());
    let big = |n: usize| Syscall::Send {
        cap: c,
        msg: Message::new(Data::str(&"x".repeat(n))),
        timeout: Timeout::Never,
    };
    assert_eq!(s.done(p, big(60)), Ok(Ret::Unit));
    assert_eq!(s.done(p, big(60)), Err(Error::LimitReached));
    assert_eq!(s.done(p, big(40)), Ok(Ret::Unit));
    assert_eq!(s.k.held().bytes, 100);
}

#[test]
fn private_mappings_reserve_their_copy_until_unmapped_or_the_process_ends() {
    let mut s = small(3 * 4096, 1000);
    let f = s.obj_opts(
        ObjectKind::File,
        "f",
        ObjectOptions {
            path: Some("f".into()),
            contents: b"data".to_vec(),
            ..Default::default()
        },
    );
    let _ = f;
    let p = s.proc("p");
    let mmap = || Syscall::Mmap {
        path: Some("f".into()),
        cap: None,
        shared: false,
    };
    // The file's page plus two private copies fill the budget; a third is refused.
    let m1 = match s.done(p, mmap()) {
        Ok(Ret::Cap(c)) => c,
        other => panic!("{other:?}"),
    };
    assert!(matches!(s.done(p, mmap()), Ok(Ret::Cap(_))));
    assert_eq!(s.done(p, mmap()), Err(Error::LimitReached));
    assert_eq!(s.done(p, Syscall::Detach { cap: m1 }), Ok(Ret::Unit));
    assert!(matches!(s.done(p, mmap()), Ok(Ret::Cap(_))));
    s.k.exit(p, Ending::Exited);
    assert_eq!(s.k.held().bytes, 4096, "only the file's own page is left");
}

#[test]
fn real_time_signals_queue_up_to_their_limit() {
    let mut s = Sim::new();
    let target = s.proc("target");
    let sender = s.proc("sender");
    let rt = Signal::from_name("SIGRTMIN+1").expect("a real-time signal");
    s.run(target);
    assert_eq!(
        s.done(
            target,
            Syscall::SigMask {
                signal: rt,
                block: true
            }
        ),
        Ok(Ret::Unit)
    );
    let _ = s.sys(target, Syscall::Yield);
    for _ in 0..signal::RT_SIGNALS_QUEUED_MAX {
        assert_eq!(s.done(sender, Syscall::Kill { target, signal: rt }), Ok(Ret::Unit));
    }
    assert_eq!(
        s.done(sender, Syscall::Kill { target, signal: rt }),
        Err(Error::LimitReached)
    );
    // Standard signals are bits, never queued: always accepted.
    assert_eq!(
        s.done(
            sender,
            Syscall::Kill {
                target,
                signal: Signal::SIGCHLD
            }
        ),
        Ok(Ret::Unit)
    );
}

#[test]
fn stale_timers_never_outnumber_the_processes_by_much() {
    // A call with a long timeout that is answered at once leaves its timer
    // behind; a loop of them used to grow the timer queue without bound.
    let mut s = Sim::new();
    let ep = s.obj(ObjectKind::Endpoint, "ep");
    let srv = s.proc_prio("server", 1);
    let cli = s.proc("client");
    let sc = s.cap(srv, ep, Rights::RECV);
    let cc = s.cap(cli, ep, Rights::SEND);
    s.blocks(srv, Sim::recv(sc, Timeout::Never));
    for i in 0..10_000 {
        s.blocks(cli, Sim::call(cc, i, Timeout::Ticks(1_000_000)));
        s.blocks(
            srv,
            Syscall::ReplyRecv {
                cap: sc,
                msg: Message::new(Data::Int(i)),
                timeout: Timeout::Never,
            },
        );
        assert_eq!(msg_int(s.result(cli)), i);
    }
    assert!(
        s.k.timers_queued() <= 2 * 2 + 64 + 1,
        "{} timers queued",
        s.k.timers_queued()
    );
}
