//! Buffered objects: mailboxes, notifications, message queues, pipes,
//! semaphores, shared memory, and signals; their error paths.

mod common;

use common::*;
use ipcsim_kernel::*;

const NEVER: Timeout = Timeout::Never;

#[test]
fn mailbox_buffers_to_capacity_then_blocks_and_keeps_fifo() {
    let mut s = Sim::new();
    let mb = s.obj_opts(
        ObjectKind::Mailbox,
        "mb",
        ObjectOptions {
            capacity: Some(2),
            ..Default::default()
        },
    );
    let p = s.proc("p");
    let c = s.cap(p, mb, Rights::SEND | Rights::RECV);
    assert_eq!(s.done(p, Sim::send(c, 1, NEVER)), Ok(Ret::Unit));
    assert_eq!(s.done(p, Sim::send(c, 2, NEVER)), Ok(Ret::Unit));
    assert_eq!(s.done(p, Sim::send(c, 3, Timeout::NOWAIT)), Err(Error::WouldBlock));
    assert_eq!(msg_int(s.done(p, Sim::recv(c, NEVER))), 1);
    assert_eq!(msg_int(s.done(p, Sim::recv(c, NEVER))), 2);
    assert_eq!(s.done(p, Sim::recv(c, Timeout::NOWAIT)), Err(Error::WouldBlock));
    let call = Sim::call(c, 1, NEVER);
    assert_eq!(s.done(p, call), Err(Error::InvalidArgument), "call needs an endpoint");
}

#[test]
fn destroying_a_mailbox_reports_its_queued_messages() {
    let mut s = Sim::new();
    let mb = s.obj(ObjectKind::Mailbox, "mb");
    let p = s.proc("p");
    let c = s.cap(p, mb, ObjectKind::Mailbox.rights());
    let _ = s.done(p, Sim::send(c, 5, NEVER));
    let _ = s.done(p, Syscall::Destroy { cap: c });
    let lost: Vec<_> =
        s.k.log()
            .drain()
            .filter_map(|e| match e.kind {
                EventKind::Discarded { data, .. } => Some(data),
                _ => None,
            })
            .collect();
    assert_eq!(lost, vec![vec![Data::Int(5)]]);
}

#[test]
fn notification_ors_bits_and_wait_clears_them() {
    let mut s = Sim::new();
    let n = s.obj(ObjectKind::Notification, "n");
    let p = s.proc("p");
    let c = s.cap(p, n, Rights::SIGNAL | Rights::WAIT);
    let _ = s.done(p, Syscall::Signal { cap: c, bits: 3 });
    let _ = s.done(p, Syscall::Signal { cap: c, bits: 6 });
    assert_eq!(s.done(p, Syscall::Wait { cap: c, timeout: NEVER }), Ok(Ret::Word(7)));
    assert_eq!(
        s.done(
            p,
            Syscall::Wait {
                cap: c,
                timeout: Timeout::NOWAIT
            }
        ),
        Err(Error::WouldBlock)
    );
}

#[test]
fn msgqueue_typed_receive_and_byte_limit() {
    let mut s = Sim::new();
    let q = s.obj_opts(
        ObjectKind::MsgQueue,
        "q",
        ObjectOptions {
            size: Some(10),
            ..Default::default()
        },
    );
    let p = s.proc("p");
    let c = s.cap(p, q, Rights::SEND | Rights::RECV);
    let snd = |t, d: &str| Syscall::MsgSnd {
        cap: c,
        mtype: t,
        data: Data::str(d),
        timeout: Timeout::NOWAIT,
    };
    assert_eq!(s.done(p, snd(2, "bb")), Ok(Ret::Unit));
    assert_eq!(s.done(p, snd(1, "aaaa")), Ok(Ret::Unit));
    assert_eq!(s.done(p, snd(3, "cccccc")), Err(Error::WouldBlock), "2+4+6 > 10 bytes");
    assert_eq!(s.done(p, snd(3, "c")), Ok(Ret::Unit));
    assert_eq!(
        s.done(p, snd(0, "x")),
        Err(Error::InvalidArgument),
        "types are positive"
    );
    // Linux: one bigger than msg_qbytes but within msgmax waits (here: nowait);
    // one bigger than msgmax (8192) is EINVAL.
    assert_eq!(s.done(p, snd(1, "12345678901")), Err(Error::WouldBlock));
    assert_eq!(s.done(p, snd(1, &"x".repeat(8193))), Err(Error::InvalidArgument));
    let rcv = |t| Syscall::MsgRcv {
        cap: c,
        mtype: t,
        opts: RcvOpts::default(),
        timeout: Timeout::NOWAIT,
    };
    let got = |r: SysResult| match r {
        Ok(Ret::Msg(m)) => (m.mtype, m.data),
        other => panic!("{other:?}"),
    };
    assert_eq!(got(s.done(p, rcv(-3))), (1, Data::str("aaaa")));
    assert_eq!(got(s.done(p, rcv(3))), (3, Data::str("c")));
    assert_eq!(
        s.done(p, Syscall::MsgStat { cap: c }),
        Ok(Ret::Stat {
            count: 1,
            bytes: 2,
            qbytes: 10
        })
    );
    assert_eq!(s.done(p, rcv(7)), Err(Error::WouldBlock));
}

#[test]
fn keyed_get_checks_ipc_perm_and_exclusive_creation() {
    let mut s = Sim::new();
    let p = s.proc("p");
    let other =
        s.k.create_process(
            &ProcessSpec {
                uid: 2000,
                gid: 2000,
                ..ProcessSpec::new("o")
            },
            None,
        )
        .expect("o");
    let get = |create, exclusive, mode| Syscall::Get {
        kind: ObjectKind::MsgQueue,
        key: 42,
        flags: GetFlags {
            create,
            exclusive,
            mode,
            mode_asked: false,
            nsems: 0,
        },
        size: 0,
    };
    assert_eq!(s.done(p, get(false, false, 0o600)), Err(Error::NotFound));
    assert!(matches!(s.done(p, get(true, true, 0o600)), Ok(Ret::Cap(_))));
    assert_eq!(s.done(p, get(true, true, 0o600)), Err(Error::Exists));
    s.k.exit(p, Ending::Exited);
    // Linux: msgget(key, 0) asks for no bits and succeeds; the capability
    // carries what 0600 gives uid 2000 (nothing), so msgrcv is EACCES.
    let none = match s.done(other, get(false, false, 0)) {
        Ok(Ret::Cap(c)) => c,
        r => panic!("{r:?}"),
    };
    assert_eq!(s.k.cap_info(other, none).map(|i| i.2), Some(Rights::empty()));
    let rcv = Syscall::MsgRcv {
        cap: none,
        mtype: 0,
        opts: RcvOpts::default(),
        timeout: Timeout::NOWAIT,
    };
    assert_eq!(s.done(other, rcv), Err(Error::PermissionDenied));
    // Asking for read permission is refused at the get.
    let asked = Syscall::Get {
        kind: ObjectKind::MsgQueue,
        key: 42,
        flags: GetFlags {
            create: false,
            exclusive: false,
            mode: 0o400,
            mode_asked: true,
            nsems: 0,
        },
        size: 0,
    };
    assert_eq!(s.done(other, asked), Err(Error::PermissionDenied));
}

#[test]
fn pipe_reads_what_is_there_and_sees_end_of_file() {
    let mut s = Sim::new();
    let pipe = s.obj_opts(
        ObjectKind::Pipe,
        "p",
        ObjectOptions {
            capacity: Some(4),
            ..Default::default()
        },
    );
    let w = s.proc("w");
    let r = s.proc("r");
    let wc = s.cap(w, pipe, Rights::WRITE);
    let rc = s.cap(r, pipe, Rights::READ);
    let write = |d: &str| Syscall::Write {
        cap: wc,
        data: Data::str(d),
        timeout: NEVER,
    };
    // Six bytes into four: the writer blocks with two left over.
    s.blocks(w, write("abcdef"));
    assert_eq!(
        s.done(
            r,
            Syscall::Read {
                cap: rc,
                max: 3,
                timeout: NEVER
            }
        ),
        Ok(Ret::Bytes(Data::str("abc")))
    );
    assert_eq!(
        s.done(
            r,
            Syscall::Read {
                cap: rc,
                max: 10,
                timeout: NEVER
            }
        ),
        Ok(Ret::Bytes(Data::str("def")))
    );
    s.blocks(
        r,
        Syscall::Read {
            cap: rc,
            max: 10,
            timeout: NEVER,
        },
    );
    // A write returns its count: all six bytes.
    assert_eq!(s.result(w), Ok(Ret::Int(6)));
    assert_eq!(s.done(w, Syscall::Close { cap: wc }), Ok(Ret::Unit));
    s.k.exit(w, Ending::Exited);
    assert_eq!(s.result(r), Ok(Ret::Bytes(Data::str(""))));
}

#[test]
fn a_nonblocking_write_writes_what_fits_unless_it_is_atomic() {
    let mut s = Sim::new();
    let pipe = s.obj_opts(
        ObjectKind::Pipe,
        "p",
        ObjectOptions {
            capacity: Some(4),
            ..Default::default()
        },
    );
    let w = s.proc("w");
    let r = s.proc("r");
    let wc = s.cap(w, pipe, Rights::WRITE);
    let _rc = s.cap(r, pipe, Rights::READ);
    let nowait = |d: &str| Syscall::Write {
        cap: wc,
        data: Data::str(d),
        timeout: Timeout::NOWAIT,
    };
    // Larger than the pipe (so not atomic): what fits goes in, and the count says so.
    assert_eq!(s.done(w, nowait("abcdef")), Ok(Ret::Int(4)));
    // Nothing fits: EAGAIN.
    assert_eq!(s.done(w, nowait("gh")), Err(Error::WouldBlock));
}

#[test]
fn writing_to_a_pipe_with_no_reader_raises_sigpipe() {
    let mut s = Sim::new();
    let pipe = s.obj(ObjectKind::Pipe, "p");
    let w = s.proc("w");
    let wc = s.cap(w, pipe, Rights::WRITE);
    let ign = Syscall::SigAction {
        flags: ipcsim_kernel::SaFlags::empty(),
        signal: Signal::SIGPIPE,
        action: Disposition::Ignore,
    };
    assert_eq!(s.done(w, ign), Ok(Ret::Unit));
    let write = Syscall::Write {
        cap: wc,
        data: Data::str("x"),
        timeout: NEVER,
    };
    assert_eq!(s.done(w, write.clone()), Err(Error::BrokenPipe));
    let dfl = Syscall::SigAction {
        flags: ipcsim_kernel::SaFlags::empty(),
        signal: Signal::SIGPIPE,
        action: Disposition::Default,
    };
    assert_eq!(s.done(w, dfl), Ok(Ret::Unit));
    assert_eq!(s.sys(w, write), Outcome::Switched);
    assert_eq!(s.k.ending(w), Some(Ending::Killed(Signal::SIGPIPE)));
}

#[test]
fn semaphore_hands_units_to_waiters_in_order_and_remembers_holders() {
    let mut s = Sim::new();
    let sem = s.obj_opts(
        ObjectKind::Semaphore,
        "s",
        ObjectOptions {
            value: 1,
            ..Default::default()
        },
    );
    let a = s.proc("a");
    let b = s.proc("b");
    let ca = s.cap(a, sem, Rights::WAIT | Rights::POST);
    let cb = s.cap(b, sem, Rights::WAIT | Rights::POST);
    assert_eq!(
        s.done(
            a,
            Syscall::SemWait {
                cap: ca,
                timeout: NEVER
            }
        ),
        Ok(Ret::Unit)
    );
    assert_eq!(s.sem_holders_of(sem), vec![a]);
    assert_eq!(s.sys(a, Syscall::Yield), Outcome::Switched);
    s.blocks(
        b,
        Syscall::SemWait {
            cap: cb,
            timeout: NEVER,
        },
    );
    assert_eq!(s.done(a, Syscall::SemPost { cap: ca }), Ok(Ret::Unit));
    assert_eq!(s.sem_holders_of(sem), vec![b]);
    assert_eq!(
        s.done(
            a,
            Syscall::SemWait {
                cap: ca,
                timeout: Timeout::NOWAIT
            }
        ),
        Err(Error::WouldBlock)
    );
}

#[test]
fn shared_memory_maps_at_per_process_bases_and_faults_outside() {
    let mut s = Sim::new();
    let shm = s.obj_opts(
        ObjectKind::Shm,
        "m",
        ObjectOptions {
            size: Some(16),
            ..Default::default()
        },
    );
    let a = s.proc("a");
    let b = s.proc("b");
    let ca = s.cap(a, shm, Rights::READ | Rights::WRITE);
    let cb = s.cap(b, shm, Rights::READ);
    let base_a = match s.done(
        a,
        Syscall::Attach {
            cap: ca,
            readonly: false,
        },
    ) {
        Ok(Ret::Int(x)) => x,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        s.done(
            a,
            Syscall::Store {
                cap: ca,
                offset: 0,
                data: Data::str("hi")
            }
        ),
        Ok(Ret::Unit)
    );
    assert_eq!(
        s.done(
            a,
            Syscall::Poke {
                addr: base_a + 14,
                data: Data::str("xyz")
            }
        ),
        Err(Error::SegFault)
    );
    assert_eq!(
        s.done(a, Syscall::Peek { addr: base_a, len: 2 }),
        Ok(Ret::Bytes(Data::str("hi")))
    );
    s.k.exit(a, Ending::Exited);
    assert_eq!(
        s.done(
            b,
            Syscall::Attach {
                cap: cb,
                readonly: false
            }
        ),
        Err(Error::PermissionDenied)
    );
    let base_b = match s.done(
        b,
        Syscall::Attach {
            cap: cb,
            readonly: true,
        },
    ) {
        Ok(Ret::Int(x)) => x,
        other => panic!("{other:?}"),
    };
    assert_ne!(base_a, base_b);
    assert_eq!(
        s.done(b, Syscall::Peek { addr: base_a, len: 2 }),
        Err(Error::SegFault),
        "a's address means nothing in b"
    );
    assert_eq!(
        s.done(
            b,
            Syscall::Load {
                cap: cb,
                offset: 0,
                len: 2
            }
        ),
        Ok(Ret::Bytes(Data::str("hi")))
    );
    assert_eq!(
        s.done(
            b,
            Syscall::Poke {
                addr: base_b,
                data: Data::str("no")
            }
        ),
        Err(Error::SegFault),
        "read-only"
    );
}

#[test]
fn caught_signal_interrupts_a_blocked_call_ignored_one_does_not() {
    let mut s = Sim::new();
    let ep = s.obj(ObjectKind::Endpoint, "ep");
    let t = s.proc("t");
    let k = s.proc("k");
    let c = s.cap(t, ep, Rights::RECV);
    let _ = s.done(
        t,
        Syscall::SigAction {
            flags: ipcsim_kernel::SaFlags::empty(),
            signal: Signal::SIGUSR1,
            action: Disposition::Catch,
        },
    );
    let _ = s.done(
        t,
        Syscall::SigAction {
            flags: ipcsim_kernel::SaFlags::empty(),
            signal: Signal::SIGUSR2,
            action: Disposition::Ignore,
        },
    );
    s.blocks(t, Sim::recv(c, NEVER));
    assert_eq!(
        s.done(
            k,
            Syscall::Kill {
                target: t,
                signal: Signal::SIGUSR2
            }
        ),
        Ok(Ret::Unit)
    );
    assert!(s.k.waiting_on(t).is_some(), "an ignored signal interrupts nothing");
    assert_eq!(
        s.done(
            k,
            Syscall::Kill {
                target: t,
                signal: Signal::SIGUSR1
            }
        ),
        Ok(Ret::Unit)
    );
    s.k.exit(k, Ending::Exited);
    assert_eq!(s.result(t), Err(Error::Interrupted));
    assert_eq!(s.k.take_signal(t), Some(Signal::SIGUSR1));
    assert_eq!(s.k.take_signal(t), None);
}

#[test]
fn kill_needs_the_same_uid_and_sigkill_cannot_be_caught() {
    let mut s = Sim::new();
    let root =
        s.k.create_process(
            &ProcessSpec {
                uid: 0,
                ..ProcessSpec::new("root")
            },
            None,
        )
        .expect("root");
    let other =
        s.k.create_process(
            &ProcessSpec {
                uid: 7,
                ..ProcessSpec::new("other")
            },
            None,
        )
        .expect("other");
    let me = s.proc("me");
    let catch_kill = Syscall::SigAction {
        flags: ipcsim_kernel::SaFlags::empty(),
        signal: Signal::SIGKILL,
        action: Disposition::Catch,
    };
    assert_eq!(s.done(root, catch_kill), Err(Error::InvalidArgument));
    let _ = s.sys(root, Syscall::Yield);
    let _ = s.sys(other, Syscall::Yield);
    assert_eq!(
        s.done(
            me,
            Syscall::Kill {
                target: other,
                signal: Signal::SIGTERM
            }
        ),
        Err(Error::PermissionDenied)
    );
    let _ = s.sys(me, Syscall::Yield);
    assert_eq!(
        s.done(
            root,
            Syscall::Kill {
                target: other,
                signal: Signal::SIGKILL
            }
        ),
        Ok(Ret::Unit)
    );
    assert_eq!(s.k.ending(other), Some(Ending::Killed(Signal::SIGKILL)));
    assert_eq!(
        s.done(
            root,
            Syscall::Kill {
                target: other,
                signal: Signal::SIGTERM
            }
        ),
        Err(Error::NotFound)
    );
}

trait SemExt {
    fn sem_holders_of(&self, obj: ObjId) -> Vec<Pid>;
}

impl SemExt for Sim {
    fn sem_holders_of(&self, obj: ObjId) -> Vec<Pid> {
        self.k.sem_holders(obj)
    }
}

#[test]
fn watch_signals_a_notification_when_the_watched_process_ends() {
    let mut s = Sim::new();
    let n = s.obj(ObjectKind::Notification, "died");
    let sup = s.proc("supervisor");
    let worker = s.proc("worker");
    let c = s.cap(sup, n, Rights::SIGNAL | Rights::WAIT);
    assert_eq!(
        s.done(
            sup,
            Syscall::Watch {
                target: worker,
                cap: c,
                bits: 4
            }
        ),
        Ok(Ret::Unit)
    );
    s.blocks(sup, Syscall::Wait { cap: c, timeout: NEVER });
    // The supervisor's wait is not a deadlock: the worker can end.
    assert!(s.k.deadlocks().is_empty());
    s.k.exit(worker, Ending::Failed(Error::InvalidArgument));
    assert_eq!(s.result(sup), Ok(Ret::Word(4)));
    // Watching a process that has already ended tells at once.
    assert_eq!(
        s.done(
            sup,
            Syscall::Watch {
                target: worker,
                cap: c,
                bits: 8
            }
        ),
        Ok(Ret::Unit)
    );
    assert_eq!(
        s.done(
            sup,
            Syscall::Wait {
                cap: c,
                timeout: Timeout::NOWAIT
            }
        ),
        Ok(Ret::Word(8))
    );
    let no_signal = s.cap(sup, n, Rights::WAIT);
    assert_eq!(
        s.done(
            sup,
            Syscall::Watch {
                target: worker,
                cap: no_signal,
                bits: 1
            }
        ),
        Err(Error::PermissionDenied)
    );
}

#[test]
fn removing_a_message_queue_frees_its_key_and_wakes_waiters() {
    let mut s = Sim::new();
    let r = s.proc("r");
    let w = s.proc("w");
    let get = |create| Syscall::Get {
        kind: ObjectKind::MsgQueue,
        key: 9,
        flags: GetFlags {
            create,
            exclusive: false,
            mode: 0o600,
            mode_asked: false,
            nsems: 0,
        },
        size: 0,
    };
    let q = match s.done(r, get(true)) {
        Ok(Ret::Cap(c)) => c,
        other => panic!("{other:?}"),
    };
    s.blocks(
        r,
        Syscall::MsgRcv {
            cap: q,
            mtype: 0,
            opts: RcvOpts::default(),
            timeout: NEVER,
        },
    );
    let wq = match s.done(w, get(false)) {
        Ok(Ret::Cap(c)) => c,
        other => panic!("{other:?}"),
    };
    let ro = match s.done(
        w,
        Syscall::Derive {
            cap: wq,
            rights: Some(Rights::RECV),
            badge: None,
        },
    ) {
        Ok(Ret::Cap(c)) => c,
        other => panic!("{other:?}"),
    };
    // Removal is decided by ownership (IPC_RMID), not by a right: the owner
    // may remove through a receive-only capability.
    let _ = wq;
    assert_eq!(s.done(w, Syscall::Remove { cap: ro }), Ok(Ret::Unit));
    let wq = ro;
    assert_eq!(s.done(w, get(false)), Err(Error::NotFound), "the key is free at once");
    assert_eq!(s.done(w, Syscall::MsgStat { cap: wq }), Err(Error::InvalidCap));
    s.k.exit(w, Ending::Exited);
    assert_eq!(s.result(r), Err(Error::ObjectGone));
}

#[test]
fn opening_a_fifo_waits_for_the_other_end() {
    let mut s = Sim::new();
    let a = s.proc("a");
    let b = s.proc("b");
    let open = |write, timeout| Syscall::Open {
        path: "/f".into(),
        write,
        timeout,
    };
    assert_eq!(s.done(a, open(false, NEVER)), Err(Error::NotFound));
    assert_eq!(
        s.done(
            a,
            Syscall::Mkfifo {
                path: "/f".into(),
                mode: 0o600
            }
        ),
        Ok(Ret::Unit)
    );
    assert_eq!(
        s.done(
            a,
            Syscall::Mkfifo {
                path: "/f".into(),
                mode: 0o600
            }
        ),
        Err(Error::Exists)
    );
    assert_eq!(
        s.done(a, open(true, Timeout::NOWAIT)),
        Err(Error::WouldBlock),
        "no reader yet"
    );
    assert!(
        matches!(s.done(a, open(false, Timeout::NOWAIT)), Ok(Ret::Cap(_))),
        "nowait read opens at once"
    );
    assert!(
        matches!(s.done(a, open(true, NEVER)), Ok(Ret::Cap(_))),
        "a reader exists: write opens at once"
    );
    // A reader with no writer waits; the writer's open wakes it with its end.
    let openg = |write| Syscall::Open {
        path: "/g".into(),
        write,
        timeout: NEVER,
    };
    assert_eq!(
        s.done(
            a,
            Syscall::Mkfifo {
                path: "/g".into(),
                mode: 0o666
            }
        ),
        Ok(Ret::Unit)
    );
    assert_eq!(s.sys(a, Syscall::Yield), Outcome::Switched);
    s.blocks(b, openg(false));
    assert!(matches!(s.done(a, openg(true)), Ok(Ret::Cap(_))));
    s.k.exit(a, Ending::Exited);
    assert!(matches!(s.result(b), Ok(Ret::Cap(_))));
}

#[test]
fn copies_are_counted_per_mechanism_exactly() {
    for (remap, per) in [(false, 2u64), (true, 1)] {
        let mut s = Sim::with(KernelConfig {
            copy_remap: remap,
            ..KernelConfig::default()
        });
        let mb = s.obj(ObjectKind::Mailbox, "mb");
        let pipe = s.obj(ObjectKind::Pipe, "p");
        let shm = s.obj_opts(
            ObjectKind::Shm,
            "m",
            ObjectOptions {
                size: Some(8),
                ..Default::default()
            },
        );
        let p = s.proc("p");
        let cm = s.cap(p, mb, Rights::SEND | Rights::RECV);
        let cp = s.cap(p, pipe, Rights::READ | Rights::WRITE);
        let cs = s.cap(p, shm, Rights::READ | Rights::WRITE);
        let _ = s.done(
            p,
            Syscall::Send {
                cap: cm,
                msg: Message::new(Data::str("abcd")),
                timeout: NEVER,
            },
        );
        let _ = s.done(p, Sim::recv(cm, NEVER));
        let _ = s.done(
            p,
            Syscall::Write {
                cap: cp,
                data: Data::str("xyz"),
                timeout: NEVER,
            },
        );
        let _ = s.done(
            p,
            Syscall::Attach {
                cap: cs,
                readonly: false,
            },
        );
        let _ = s.done(
            p,
            Syscall::Store {
                cap: cs,
                offset: 0,
                data: Data::str("hi"),
            },
        );
        let st = s.k.stats();
        assert_eq!(
            (
                st.of(ObjectKind::Mailbox).copies,
                st.of(ObjectKind::Mailbox).bytes_copied
            ),
            (per, 4 * per)
        );
        assert_eq!(
            (st.of(ObjectKind::Pipe).copies, st.of(ObjectKind::Pipe).bytes_copied),
            (per, 3 * per)
        );
        assert_eq!(
            (st.of(ObjectKind::Shm).messages, st.of(ObjectKind::Shm).copies),
            (1, 0),
            "shared memory copies nothing"
        );
    }
}

#[test]
fn file_mappings_shared_private_and_refused() {
    let mut s = Sim::new();
    let perm = Some(IpcPerm {
        uid: 1000,
        gid: 1000,
        mode: 0o600,
    });
    let opts = ObjectOptions {
        contents: b"abc".to_vec(),
        path: Some("f".into()),
        perm,
        ..Default::default()
    };
    let _ = s.obj_opts(ObjectKind::File, "f", opts);
    let a = s.proc("a");
    let other =
        s.k.create_process(
            &ProcessSpec {
                uid: 7,
                gid: 7,
                ..ProcessSpec::new("o")
            },
            None,
        )
        .expect("o");
    let mmap = |path: &str, shared| Syscall::Mmap {
        path: Some(path.into()),
        cap: None,
        shared,
    };
    assert_eq!(s.done(a, mmap("nope", true)), Err(Error::NotFound));
    let sh = match s.done(a, mmap("f", true)) {
        Ok(Ret::Cap(c)) => c,
        other => panic!("{other:?}"),
    };
    let pr = match s.done(
        a,
        Syscall::Mmap {
            path: None,
            cap: Some(sh),
            shared: false,
        },
    ) {
        Ok(Ret::Cap(c)) => c,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        s.done(
            a,
            Syscall::Store {
                cap: pr,
                offset: 0,
                data: Data::str("P")
            }
        ),
        Ok(Ret::Unit)
    );
    assert_eq!(
        s.done(
            a,
            Syscall::Store {
                cap: sh,
                offset: 1,
                data: Data::str("S")
            }
        ),
        Ok(Ret::Unit)
    );
    assert_eq!(
        s.k.file_contents("f"),
        Some(&b"aSc"[..]),
        "shared writes reach the file, private ones never"
    );
    assert_eq!(
        s.done(
            a,
            Syscall::Load {
                cap: pr,
                offset: 0,
                len: 3
            }
        ),
        Ok(Ret::Bytes(Data::str("Pbc")))
    );
    assert_eq!(
        s.done(
            a,
            Syscall::Store {
                cap: sh,
                offset: 4096,
                data: Data::str("x")
            }
        ),
        Err(Error::SegFault)
    );
    assert_eq!(s.done(a, Syscall::Msync { cap: sh }), Ok(Ret::Unit));
    assert_eq!(s.done(a, Syscall::Detach { cap: sh }), Ok(Ret::Unit));
    assert_eq!(s.done(a, Syscall::Detach { cap: pr }), Ok(Ret::Unit));
    assert_eq!(
        s.done(a, Syscall::Msync { cap: sh }),
        Err(Error::InvalidArgument),
        "no mapping left"
    );
    s.k.exit(a, Ending::Exited);
    assert_eq!(
        s.done(other, mmap("f", false)),
        Err(Error::PermissionDenied),
        "mode 0600 gives others nothing"
    );
}

#[test]
fn only_the_owner_or_root_removes_a_keyed_object() {
    // Linux IPC_RMID: the owner, the creator or a privileged process; any
    // other uid is EPERM whatever its permission bits give it.
    let mut s = Sim::new();
    let spec = |name: &str, uid| ProcessSpec {
        uid,
        ..ProcessSpec::new(name)
    };
    let stranger = s.k.create_process(&spec("stranger", 2000), None).expect("p");
    let root = s.k.create_process(&spec("root", 0), None).expect("p");
    let perm = Some(IpcPerm {
        uid: 1000,
        gid: 1000,
        mode: 0o666,
    });
    let kinds = [ObjectKind::MsgQueue, ObjectKind::Semaphore, ObjectKind::Shm];
    let objs: Vec<ObjId> = kinds
        .iter()
        .map(|kind| {
            let o = ObjectOptions {
                perm,
                size: Some(16),
                ..Default::default()
            };
            s.obj_opts(*kind, "o", o)
        })
        .collect();
    for (kind, o) in kinds.iter().zip(&objs) {
        let c = s.cap(stranger, *o, kind.rights());
        assert_eq!(
            s.done(stranger, Syscall::Remove { cap: c }),
            Err(Error::PermissionDenied),
            "{kind:?}"
        );
    }
    s.k.exit(stranger, Ending::Exited);
    for (kind, o) in kinds.iter().zip(&objs) {
        let rc = s.cap(root, *o, Rights::empty());
        assert_eq!(s.done(root, Syscall::Remove { cap: rc }), Ok(Ret::Unit), "{kind:?}");
    }
}

#[test]
fn key_zero_is_ipc_private() {
    let mut s = Sim::new();
    let p = s.proc("p");
    let get = |create| Syscall::Get {
        kind: ObjectKind::MsgQueue,
        key: 0,
        flags: GetFlags {
            create,
            exclusive: true,
            mode: 0o600,
            mode_asked: false,
            nsems: 0,
        },
        size: 0,
    };
    let obj = |s: &mut Sim, r: SysResult| match r {
        Ok(Ret::Cap(c)) => s.k.cap_info(p, c).expect("held").0,
        other => panic!("{other:?}"),
    };
    let a = s.done(p, get(false));
    let a = obj(&mut s, a);
    let b = s.done(p, get(true));
    let b = obj(&mut s, b);
    assert_ne!(a, b, "each get with IPC_PRIVATE makes a new queue");
}

#[test]
fn a_sent_message_passes_a_waiter_whose_buffer_is_too_small_to_the_next() {
    // Linux's pipelined_send: the first waiting receiver (4-byte buffer)
    // wakes with E2BIG; the message goes to the next (no limit).
    let mut s = Sim::new();
    let q = s.obj(ObjectKind::MsgQueue, "q");
    let small = s.proc("small");
    let any = s.proc("any");
    let tx = s.proc("tx");
    let (sc, ac, tc) = (
        s.cap(small, q, Rights::RECV),
        s.cap(any, q, Rights::RECV),
        s.cap(tx, q, Rights::SEND),
    );
    let rcv = |cap, max| Syscall::MsgRcv {
        cap,
        mtype: 0,
        opts: RcvOpts {
            max,
            ..RcvOpts::default()
        },
        timeout: Timeout::Never,
    };
    s.blocks(small, rcv(sc, Some(4)));
    s.blocks(any, rcv(ac, None));
    let snd = Syscall::MsgSnd {
        cap: tc,
        mtype: 1,
        data: Data::str("0123456789"),
        timeout: Timeout::Never,
    };
    assert_eq!(s.done(tx, snd), Ok(Ret::Unit));
    s.blocks(tx, Syscall::Sleep { ticks: 1 });
    assert_eq!(s.result(small), Err(Error::MessageTooLarge));
    s.k.exit(small, Ending::Exited);
    match s.result(any) {
        Ok(Ret::Msg(m)) => assert_eq!(m.data, Data::str("0123456789")),
        r => panic!("{r:?}"),
    }
    s.k.exit(any, Ending::Exited);
    // Queued and too long: refused, kept; then cut with noerror.
    let snd = Syscall::MsgSnd {
        cap: tc,
        mtype: 1,
        data: Data::str("héllo"),
        timeout: Timeout::Never,
    };
    assert_eq!(s.result(tx), Ok(Ret::Unit));
    assert_eq!(s.done(tx, snd), Ok(Ret::Unit));
    let qc = s.cap(tx, q, Rights::RECV);
    let nowait = |max, noerror| Syscall::MsgRcv {
        cap: qc,
        mtype: 0,
        opts: RcvOpts {
            max: Some(max),
            noerror,
            except: false,
        },
        timeout: Timeout::NOWAIT,
    };
    assert_eq!(s.done(tx, nowait(3, false)), Err(Error::MessageTooLarge));
    // 3 bytes of "héllo" would cut the é in two: the cut is at a character.
    match s.done(tx, nowait(3, true)) {
        Ok(Ret::Msg(m)) => assert_eq!(m.data, Data::str("h\u{e9}")),
        r => panic!("{r:?}"),
    }
    assert_eq!(s.done(tx, nowait(3, true)), Err(Error::WouldBlock));
}

#[test]
fn kill_with_signal_0_checks_and_sends_nothing() {
    let mut s = Sim::new();
    let me =
        s.k.create_process(
            &ProcessSpec {
                uid: 2000,
                gid: 2000,
                ..ProcessSpec::new("me")
            },
            None,
        )
        .expect("me");
    let peer =
        s.k.create_process(
            &ProcessSpec {
                uid: 2000,
                gid: 2000,
                ..ProcessSpec::new("peer")
            },
            None,
        )
        .expect("peer");
    let other =
        s.k.create_process(
            &ProcessSpec {
                uid: 1000,
                gid: 1000,
                ..ProcessSpec::new("other")
            },
            None,
        )
        .expect("other");
    let kill = |target| Syscall::Kill {
        target,
        signal: Signal::NONE,
    };
    assert_eq!(s.done(me, kill(peer)), Ok(Ret::Unit));
    // Nothing was sent: no pending signal, and the peer runs on.
    assert!(s.k.signal_state(peer).is_some_and(|st| st.pending().is_empty()));
    assert_eq!(s.k.ending(peer), None);
    assert_eq!(s.done(me, kill(other)), Err(Error::PermissionDenied));
    s.k.exit(peer, Ending::Exited);
    assert_eq!(s.done(me, kill(peer)), Err(Error::NotFound));
    // Not a signal number either.
    let bad = Syscall::Kill {
        target: other,
        signal: Signal(65),
    };
    assert_eq!(s.done(me, bad), Err(Error::InvalidArgument));
}

#[test]
fn msgctl_set_is_for_owners_and_queues_and_lets_waiting_senders_in() {
    let mut s = Sim::new();
    let perm = Some(IpcPerm {
        uid: 1000,
        gid: 1000,
        mode: 0o666,
    });
    let q = s.obj_opts(
        ObjectKind::MsgQueue,
        "q",
        ObjectOptions {
            perm,
            size: Some(10),
            ..Default::default()
        },
    );
    let pipe = s.obj(ObjectKind::Pipe, "p");
    let owner =
        s.k.create_process(
            &ProcessSpec {
                uid: 1000,
                gid: 1000,
                ..ProcessSpec::new("owner")
            },
            None,
        )
        .expect("owner");
    let other =
        s.k.create_process(
            &ProcessSpec {
                uid: 2000,
                gid: 2000,
                ..ProcessSpec::new("other")
            },
            None,
        )
        .expect("other");
    let (oq, op) = (
        s.cap(owner, q, Rights::SEND | Rights::RECV),
        s.cap(owner, pipe, Rights::WRITE),
    );
    let xq = s.cap(other, q, Rights::SEND | Rights::RECV);
    let set = |cap, bytes| Syscall::MsgSet {
        cap,
        bytes: Some(bytes),
        mode: None,
    };
    assert_eq!(s.done(owner, set(op, 100)), Err(Error::InvalidArgument));
    assert_eq!(s.done(owner, set(oq, 20_000)), Err(Error::PermissionDenied));
    let send = |cap, d: &str| Syscall::MsgSnd {
        cap,
        mtype: 1,
        data: Data::str(d),
        timeout: Timeout::Never,
    };
    assert_eq!(s.done(owner, send(oq, "12345678")), Ok(Ret::Unit));
    s.blocks(owner, Syscall::Sleep { ticks: 1 });
    // 8 + 8 > 10: the other waits; not the owner, it may not raise the limit.
    s.blocks(other, send(xq, "abcdefgh"));
    assert_eq!(s.result(owner), Ok(Ret::Unit));
    assert_eq!(s.done(owner, set(oq, 16)), Ok(Ret::Unit));
    match s.done(owner, Syscall::MsgStat { cap: oq }) {
        Ok(Ret::Stat { count, bytes, qbytes }) => assert_eq!((count, bytes, qbytes), (2, 16, 16)),
        r => panic!("{r:?}"),
    }
    // Lowered below what is queued: the messages stay.
    assert_eq!(s.done(owner, set(oq, 4)), Ok(Ret::Unit));
    s.k.exit(owner, Ending::Exited);
    assert_eq!(s.result(other), Ok(Ret::Unit));
    assert_eq!(s.done(other, set(xq, 50)), Err(Error::PermissionDenied));
}

#[test]
fn sigpending_says_whether_a_blocked_signal_waits() {
    let mut s = Sim::new();
    let p = s.proc("p");
    let pending = |signal| Syscall::SigPending { signal };
    let mask = Syscall::SigMask {
        signal: Signal::SIGUSR1,
        block: true,
    };
    assert_eq!(s.done(p, mask), Ok(Ret::Unit));
    assert_eq!(s.done(p, pending(Signal::SIGUSR1)), Ok(Ret::Int(0)));
    let kill = Syscall::Kill {
        target: p,
        signal: Signal::SIGUSR1,
    };
    assert_eq!(s.done(p, kill), Ok(Ret::Unit));
    assert_eq!(s.done(p, pending(Signal::SIGUSR1)), Ok(Ret::Int(1)));
    assert_eq!(s.done(p, pending(Signal::SIGUSR2)), Ok(Ret::Int(0)));
    assert_eq!(s.done(p, pending(Signal(0))), Err(Error::InvalidArgument));
    assert_eq!(s.done(p, pending(Signal(99))), Err(Error::InvalidArgument));
}

#[test]
fn semop_refuses_an_undo_adjustment_past_semvmx_and_an_op_past_a_short() {
    let mut s = Sim::new();
    let set = s.obj_opts(
        ObjectKind::Semaphore,
        "s",
        ObjectOptions {
            nsems: 1,
            ..Default::default()
        },
    );
    let p = s.proc("p");
    let c = s.cap(p, set, ObjectKind::Semaphore.rights());
    let op = |v: i64, undo: bool| Syscall::SemOp {
        cap: c,
        ops: vec![SemOp { num: 0, op: v }].into(),
        undo,
        timeout: Timeout::NOWAIT,
    };
    // A V with undo, then a P without: the value goes back to 0, the
    // adjustment goes down by one each time.
    for _ in 0..32768 {
        assert_eq!(s.done(p, op(1, true)), Ok(Ret::Unit));
        assert_eq!(s.done(p, op(-1, false)), Ok(Ret::Unit));
    }
    // The adjustment is at -32768: one more is ERANGE, and nothing changed.
    assert_eq!(s.done(p, op(1, true)), Err(Error::LimitReached));
    assert_eq!(s.k.sem_values(set), Some(vec![0]));
    // Without undo it goes in.
    assert_eq!(s.done(p, op(1, false)), Ok(Ret::Unit));
    // sem_op is a short (Linux): anything wider is refused before any effect.
    assert_eq!(s.done(p, op(40_000, false)), Err(Error::InvalidArgument));
    assert_eq!(s.done(p, op(i64::MIN, false)), Err(Error::InvalidArgument));
    assert_eq!(s.k.sem_values(set), Some(vec![1]));
}
