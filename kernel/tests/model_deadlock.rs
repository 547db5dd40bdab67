//! Model-based property test of deadlock detection.
//!
//! Random processes hold random rights on two endpoints (sending, calling,
//! receiving, replying), a one-slot mailbox,
//! a semaphore, a keyed semaphore (which any process may open: its mode
//! lets every uid in) and a notification (signalled, waited on, and watched:
//! a watched process signals it by ending) and a pipe of four bytes, and run
//! random scripts of sends, receives, semaphore
//! operations, sleeps, kills and signal handlers, some with timeouts. After
//! every step the processes the kernel has found in a deadlock are checked
//! against a reference computed from scratch by the contract's definition: a
//! process blocked for ever whose possible unblockers (live holders of the
//! right that completes its wait, the server a caller awaits, the live
//! processes a notification watches, or every live process for the keyed
//! semaphore and for rights a program could bring (`set_spawnable`), and
//! when it catches a signal it does not block), taken transitively, are all blocked for ever,
//! with a non-daemon among them.
//! - every such process is flagged by the end of the step that formed its
//!   deadlock (detection when it forms, not only at the run's end);
//! - a process newly flagged in a step is one of them (no false deadlock).
//!
//! The kernel's detector looks only around the process that just blocked or
//! ended, and prunes what it looks at; this holds it to the whole-state answer.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

mod common;

use ipcsim_kernel::*;
use proptest::prelude::*;
// Explicit, so it wins over the kernel's own `Strategy` enum from the glob above.
use proptest::strategy::Strategy;

/// The objects, by index: two endpoints, a mailbox of one slot, a
/// semaphore, a semaphore opened by key (`KEYED`), a notification (`NOTE`),
/// a pipe (`PIPE`).
const OBJECTS: usize = 7;
const SEM: usize = 3;
const KEYED: usize = 4;
const NOTE: usize = 5;
const PIPE: usize = 6;

#[derive(Clone, Debug)]
enum Op {
    Send { obj: usize, t: u8 },
    Recv { obj: usize, t: u8 },
    Call { obj: usize, t: u8 },
    Reply,
    Wait { sem: usize, t: u8 },
    Post { sem: usize },
    Signal,
    WaitNote { t: u8 },
    Watch { target: usize },
    Write { t: u8 },
    Read { t: u8 },
    Close { obj: usize },
    Sleep,
    Kill { target: usize, usr1: bool },
    Catch,
    Exit,
}

/// A timeout: mostly for ever (the waits a deadlock is made of).
fn timeout(t: u8) -> Timeout {
    match t {
        0 => Timeout::Ticks(0),
        1 => Timeout::Ticks(5),
        _ => Timeout::Never,
    }
}

fn op(procs: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 0u8..6).prop_map(|(obj, t)| Op::Send { obj, t }),
        4 => (0..3usize, 0u8..6).prop_map(|(obj, t)| Op::Recv { obj, t }),
        2 => (0..2usize, 0u8..6).prop_map(|(obj, t)| Op::Call { obj, t }),
        2 => Just(Op::Reply),
        3 => (SEM..=KEYED, 0u8..6).prop_map(|(sem, t)| Op::Wait { sem, t }),
        2 => (SEM..=KEYED).prop_map(|sem| Op::Post { sem }),
        1 => Just(Op::Signal),
        2 => (0u8..6).prop_map(|t| Op::WaitNote { t }),
        2 => (0..procs).prop_map(|target| Op::Watch { target }),
        2 => (0u8..6).prop_map(|t| Op::Write { t }),
        2 => (0u8..6).prop_map(|t| Op::Read { t }),
        1 => (0..OBJECTS).prop_map(|obj| Op::Close { obj }),
        1 => Just(Op::Sleep),
        1 => (0..procs, any::<bool>()).prop_map(|(target, usr1)| Op::Kill { target, usr1 }),
        1 => Just(Op::Catch),
        1 => Just(Op::Exit),
    ]
}

#[derive(Clone, Debug)]
struct Setup {
    /// Per process: daemon, rights bits per object (see `rights`), script.
    procs: Vec<(bool, [u8; OBJECTS], Vec<Op>)>,
    sem_value: u64,
    /// Per object: rights bits (see `rights`) some program could bring.
    spawnable: [u8; OBJECTS],
}

fn setup() -> impl Strategy<Value = Setup> {
    (2usize..6)
        .prop_flat_map(|n| {
            (
                prop::collection::vec(
                    (
                        prop::bool::weighted(0.3),
                        prop::array::uniform7(0u8..4),
                        prop::collection::vec(op(n), 0..8),
                    ),
                    n,
                ),
                0u64..2,
                prop::array::uniform7(prop_oneof![3 => Just(0u8), 1 => 1u8..4]),
            )
        })
        .prop_map(|(procs, sem_value, spawnable)| Setup {
            procs,
            sem_value,
            spawnable,
        })
}

/// The rights bits 0..4 give on object `i`: none, one, the other, both.
fn rights(i: usize, bits: u8) -> Rights {
    let (a, b) = match i {
        SEM | KEYED => (Rights::WAIT, Rights::POST),
        NOTE => (Rights::WAIT, Rights::SIGNAL),
        PIPE => (Rights::READ, Rights::WRITE),
        _ => (Rights::SEND, Rights::RECV),
    };
    let mut r = Rights::empty();
    if bits & 1 != 0 {
        r |= a;
    }
    if bits & 2 != 0 {
        r |= b;
    }
    r
}

/// The right whose live holders could complete a wait of this kind.
fn completes(kind: WaitKind) -> Option<Rights> {
    match kind {
        WaitKind::Send | WaitKind::Room => Some(Rights::RECV),
        WaitKind::Recv => Some(Rights::SEND),
        WaitKind::Semaphore => Some(Rights::POST),
        WaitKind::Notification => Some(Rights::SIGNAL),
        WaitKind::PipeRead => Some(Rights::WRITE),
        WaitKind::PipeWrite => Some(Rights::READ),
        _ => None,
    }
}

/// What the test knows of the run besides the kernel's answers.
struct Known<'a> {
    pids: &'a [Pid],
    daemon: &'a [bool],
    /// Rights each process holds on each object (granted at boot).
    held: &'a BTreeMap<(Pid, ObjId), Rights>,
    /// Rights a program could bring, per object.
    spawnable: &'a BTreeMap<ObjId, Rights>,
    /// Processes whose end signals the notification.
    watched: &'a BTreeSet<Pid>,
    keyed: ObjId,
    note: ObjId,
}

/// The processes in a deadlock, by the contract's definition, from scratch.
fn reference(k: &Kernel, m: &Known) -> BTreeSet<Pid> {
    let Known {
        pids,
        daemon,
        held,
        spawnable,
        watched,
        keyed,
        note,
    } = *m;
    let live = |p: Pid| k.ending(p).is_none();
    let for_ever = |p: Pid| live(p) && matches!(k.waiting_on(p), Some((_, _, None)));
    let unblockers = |q: Pid| -> Vec<Pid> {
        let mut out = Vec::new();
        if let Some((WaitKind::Reply(server), _, _)) = k.waiting_on(q) {
            if live(server) {
                out.push(server);
            }
        }
        if let Some((kind, Some(obj), _)) = k.waiting_on(q) {
            if let Some(need) = completes(kind) {
                if obj == note {
                    out.extend(watched.iter().copied().filter(|p| *p != q && live(*p)));
                }
                let anyone = obj == keyed || spawnable.get(&obj).is_some_and(|r| r.contains(need));
                out.extend(pids.iter().copied().filter(|p| {
                    *p != q && live(*p) && (anyone || held.get(&(*p, obj)).is_some_and(|r| r.contains(need)))
                }));
            }
        }
        if k.signal_state(q).is_some_and(|s| s.has_unblocked_handler()) {
            out.extend(pids.iter().copied().filter(|p| *p != q && live(*p)));
        }
        out
    };
    let mut found = BTreeSet::new();
    for &s in pids {
        if !for_ever(s) {
            continue;
        }
        let mut set = vec![s];
        let mut seen = BTreeSet::from([s]);
        let mut closed = true;
        let mut i = 0;
        while i < set.len() && closed {
            for u in unblockers(set[i]) {
                if !for_ever(u) {
                    closed = false;
                    break;
                }
                if seen.insert(u) {
                    set.push(u);
                }
            }
            i += 1;
        }
        if closed && set.iter().any(|p| !daemon[p.index()]) {
            found.extend(set);
        }
    }
    found
}

fn run(s: &Setup) -> Result<(), TestCaseError> {
    let mut k = Kernel::new(KernelConfig::default());
    let mut objs = Vec::new();
    for i in 0..OBJECTS {
        let (kind, opts) = match i {
            2 => (
                ObjectKind::Mailbox,
                ObjectOptions {
                    capacity: Some(1),
                    ..ObjectOptions::default()
                },
            ),
            SEM => (
                ObjectKind::Semaphore,
                ObjectOptions {
                    value: s.sem_value,
                    ..ObjectOptions::default()
                },
            ),
            KEYED => (
                ObjectKind::Semaphore,
                ObjectOptions {
                    value: s.sem_value,
                    key: Some(7),
                    perm: Some(IpcPerm {
                        uid: 1000,
                        gid: 1000,
                        mode: 0o600,
                    }),
                    ..ObjectOptions::default()
                },
            ),
            NOTE => (ObjectKind::Notification, ObjectOptions::default()),
            PIPE => (
                ObjectKind::Pipe,
                ObjectOptions {
                    capacity: Some(4),
                    ..ObjectOptions::default()
                },
            ),
            _ => (ObjectKind::Endpoint, ObjectOptions::default()),
        };
        objs.push(k.create_object(kind, &format!("o{i}"), &opts).expect("object"));
    }
    let mut spawnable = BTreeMap::new();
    for (i, bits) in s.spawnable.iter().enumerate() {
        let r = rights(i, *bits);
        if !r.is_empty() {
            k.set_spawnable(objs[i], r);
            spawnable.insert(objs[i], r);
        }
    }
    let mut pids = Vec::new();
    let mut daemon = Vec::new();
    let mut caps = BTreeMap::new();
    let mut held = BTreeMap::new();
    let mut scripts = Vec::new();
    for (i, (d, bits, script)) in s.procs.iter().enumerate() {
        let pid = k
            .create_process(
                &ProcessSpec {
                    daemon: *d,
                    ..ProcessSpec::new(format!("p{i}"))
                },
                None,
            )
            .expect("process");
        pids.push(pid);
        daemon.push(*d);
        scripts.push(script.iter().cloned().collect::<VecDeque<_>>());
        for (j, b) in bits.iter().enumerate() {
            let r = rights(j, *b);
            if !r.is_empty() {
                caps.insert((pid, j), k.grant(pid, objs[j], r, 0).expect("grant"));
                held.insert((pid, objs[j]), r);
            }
        }
    }
    let mut flagged: BTreeSet<Pid> = BTreeSet::new();
    let mut watched: BTreeSet<Pid> = BTreeSet::new();
    let mut watching: Option<Pid> = None;
    let mut closing: Option<usize> = None;
    for _ in 0..120 {
        let pid = match k.schedule() {
            Next::Run(p) => p,
            Next::Finished(_) => break,
        };
        let _ = k.take_result(pid);
        while k.take_signal(pid).is_some() {}
        // A process with no capability to the object uses one that names
        // nothing (the default handle would name the first one granted).
        let cap = |j: usize| caps.get(&(pid, j)).copied().unwrap_or(CapId::from_bits(u64::MAX));
        let call = match scripts[pid.index()].pop_front().unwrap_or(Op::Exit) {
            Op::Send { obj, t } => Syscall::Send {
                cap: cap(obj),
                msg: Message::new(Data::Int(1)),
                timeout: timeout(t),
            },
            Op::Recv { obj, t } => Syscall::Recv {
                cap: cap(obj),
                timeout: timeout(t),
            },
            Op::Call { obj, t } => Syscall::Call {
                cap: cap(obj),
                msg: Message::new(Data::Int(2)),
                timeout: timeout(t),
            },
            Op::Reply => Syscall::Reply {
                msg: Message::new(Data::Int(3)),
            },
            Op::Wait { sem, t } => Syscall::SemWait {
                cap: cap(sem),
                timeout: timeout(t),
            },
            Op::Post { sem } => Syscall::SemPost { cap: cap(sem) },
            Op::Signal => Syscall::Signal {
                cap: cap(NOTE),
                bits: 1,
            },
            Op::Write { t } => Syscall::Write {
                cap: cap(PIPE),
                data: Data::Str("abc".into()),
                timeout: timeout(t),
            },
            Op::Read { t } => Syscall::Read {
                cap: cap(PIPE),
                max: 2,
                timeout: timeout(t),
            },
            Op::Close { obj } => {
                closing = Some(obj);
                Syscall::Close { cap: cap(obj) }
            }
            Op::WaitNote { t } => Syscall::Wait {
                cap: cap(NOTE),
                timeout: timeout(t),
            },
            Op::Watch { target } => {
                watching = Some(pids[target % pids.len()]);
                Syscall::Watch {
                    target: pids[target % pids.len()],
                    cap: cap(NOTE),
                    bits: 1,
                }
            }
            Op::Sleep => Syscall::Sleep { ticks: 3 },
            Op::Kill { target, usr1 } => Syscall::Kill {
                target: pids[target % pids.len()],
                signal: if usr1 { Signal::SIGUSR1 } else { Signal::SIGTERM },
            },
            Op::Catch => Syscall::SigAction {
                flags: ipcsim_kernel::SaFlags::empty(),
                signal: Signal::SIGUSR1,
                action: Disposition::Catch,
            },
            Op::Exit => {
                k.exit(pid, Ending::Exited);
                Syscall::Yield
            }
        };
        if k.ending(pid).is_none() {
            let out = k.syscall(pid, call);
            // A watch that took (its target still live) is one more way to the notification.
            if let (Some(t), Outcome::Done(Ok(_))) = (watching.take(), &out) {
                if k.ending(t).is_none() {
                    watched.insert(t);
                }
            }
        }
        watching = None;
        // A closed capability no longer counts as held.
        if let Some(obj) = closing.take() {
            caps.remove(&(pid, obj));
            held.remove(&(pid, objs[obj]));
        }
        k.check_invariants()
            .map_err(|e| TestCaseError::fail(format!("invariants: {e}")))?;
        let want = reference(
            &k,
            &Known {
                pids: &pids,
                daemon: &daemon,
                held: &held,
                spawnable: &spawnable,
                watched: &watched,
                keyed: objs[KEYED],
                note: objs[NOTE],
            },
        );
        let now: BTreeSet<Pid> = pids.iter().copied().filter(|p| k.is_deadlocked(*p)).collect();
        let missed: Vec<_> = want.difference(&now).collect();
        prop_assert!(missed.is_empty(), "deadlocked but not detected: {missed:?}");
        let false_ones: Vec<_> = now.difference(&flagged).filter(|p| !want.contains(p)).collect();
        prop_assert!(false_ones.is_empty(), "flagged but in no deadlock: {false_ones:?}");
        flagged = now;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(30000))]

    #[test]
    fn detected_deadlocks_match_the_definition(s in setup()) {
        run(&s)?;
    }
}

/// Many processes blocked on one endpoint, each holding only the right that
/// cannot unblock the others, each in its own deadlock: every one is found
/// when it blocks. The detector walked every waiter from every other (N^2
/// steps per block, so this took hours); it must stay about linear.
#[test]
fn many_waiters_on_one_object_are_each_found_deadlocked() {
    const N: usize = 10_000;
    let mut s = common::Sim::new();
    let ep = s.obj(ObjectKind::Endpoint, "jobs");
    let mut pids = Vec::new();
    for i in 0..N {
        let pid = s.proc(&format!("w{i}"));
        pids.push((pid, s.cap(pid, ep, Rights::RECV)));
    }
    let k = &mut s.k;
    for &(pid, cap) in &pids {
        assert_eq!(k.schedule(), Next::Run(pid));
        assert_eq!(
            k.syscall(
                pid,
                Syscall::Recv {
                    cap,
                    timeout: Timeout::Never
                }
            ),
            Outcome::Switched
        );
        assert!(k.is_deadlocked(pid), "{pid:?} is deadlocked when it blocks");
    }
    assert_eq!(k.deadlocks().len(), N);
}

/// A caller in a deadlock with its server (which sends where nobody
/// receives) is woken with PeerDied when a third process kills the server;
/// its next wait, a receive nobody can answer, is a new deadlock and is
/// reported as one. The flag from the first one used to stay set, and the
/// detector took the new wait for part of the old, closed deadlock: nothing
/// was reported, and the caller's partners in the new one were never
/// flagged (found by the proptest above, shrunk from a planted bug).
#[test]
fn a_process_woken_from_a_deadlock_is_found_in_the_next() {
    let mut s = common::Sim::new();
    let svc = s.obj(ObjectKind::Endpoint, "svc");
    let out = s.obj(ObjectKind::Endpoint, "out");
    let back = s.obj(ObjectKind::Endpoint, "back");
    let client = s.proc("client");
    let server = s.proc("server");
    let killer = s.proc("killer");
    let call = s.cap(client, svc, Rights::SEND);
    let wait = s.cap(client, back, Rights::RECV);
    let serve = s.cap(server, svc, Rights::RECV);
    let send = s.cap(server, out, Rights::SEND);
    s.blocks(client, common::Sim::call(call, 1, Timeout::Never));
    assert!(s.done(server, common::Sim::recv(serve, Timeout::Never)).is_ok());
    s.blocks(server, common::Sim::send(send, 1, Timeout::Never));
    assert!(s.k.is_deadlocked(client) && s.k.is_deadlocked(server));
    let reports = s.k.deadlocks().len();
    let kill = Syscall::Kill {
        target: server,
        signal: Signal::SIGTERM,
    };
    assert!(s.done(killer, kill).is_ok());
    s.k.exit(killer, Ending::Exited);
    assert_eq!(s.result(client), Err(Error::PeerDied));
    assert!(!s.k.is_deadlocked(client), "woken: out of its deadlock");
    s.blocks(client, common::Sim::recv(wait, Timeout::Never));
    assert!(s.k.is_deadlocked(client), "nobody can send on `back`");
    assert_eq!(s.k.deadlocks().len(), reports + 1, "the new deadlock is reported");
}

/// A queue of N callers behind a server that is busy (asleep, so not
/// blocked for ever: nobody is in a deadlock), and N other holders of the
/// send right that end one by one (half of them deleting it first), then
/// the run's closing check. The
/// detector's work stays linear: an end or a deletion re-checks only the
/// waiters the capabilities could have unblocked (none here: they could only send), and
/// a check stops at the first free unblocker. It re-checked every waiter of
/// every object the ended process held (N checks per end), and collected all
/// N holders of the endpoint for each caller in the closing check: a fuzzed
/// scenario whose clients spawned faster than their server answered ran for
/// minutes.
#[test]
fn deadlock_work_stays_linear_behind_a_long_queue() {
    const N: u64 = 2_000;
    let mut s = common::Sim::new();
    let ep = s.obj(ObjectKind::Endpoint, "svc");
    let server = s.proc("server");
    s.cap(server, ep, Rights::RECV);
    let callers: Vec<(Pid, CapId)> = (0..N)
        .map(|i| {
            let pid = s.proc(&format!("caller{i}"));
            (pid, s.cap(pid, ep, Rights::SEND))
        })
        .collect();
    let quitters: Vec<(Pid, CapId)> = (0..N)
        .map(|i| {
            let pid = s.proc(&format!("quitter{i}"));
            (pid, s.cap(pid, ep, Rights::SEND))
        })
        .collect();
    let k = &mut s.k;
    assert_eq!(k.schedule(), Next::Run(server));
    assert_eq!(
        k.syscall(server, Syscall::Sleep { ticks: 1_000_000 }),
        Outcome::Switched
    );
    for &(pid, cap) in &callers {
        assert_eq!(k.schedule(), Next::Run(pid));
        assert_eq!(
            k.syscall(pid, common::Sim::call(cap, 1, Timeout::Never)),
            Outcome::Switched
        );
    }
    // Half of them delete their capability first (a deletion re-checked
    // every waiter of the object too).
    for (i, &(pid, cap)) in quitters.iter().enumerate() {
        assert_eq!(k.schedule(), Next::Run(pid));
        if i % 2 == 0 {
            assert_eq!(k.syscall(pid, Syscall::Delete { cap }), Outcome::Done(Ok(Ret::Unit)));
        }
        k.exit(pid, Ending::Exited);
    }
    k.final_deadlock_check();
    k.check_invariants().expect("invariants");
    assert!(
        k.deadlocks().is_empty(),
        "the sleeping server can still answer every caller"
    );
    let work = k.deadlock_work();
    assert!(
        work < 20 * N,
        "deadlock detection looked at {work} things for {N} callers and {N} ends"
    );
}

/// The last reader of a pipe ends while two writers wait for room: both
/// wake with BrokenPipe before either takes its SIGPIPE (which kills it). A
/// caller whose only receiver is the second writer is deadlocked once that
/// writer is dead, and the report names the caller alone. (SIGPIPE used to
/// go to each writer as it woke: the first one's death re-checked the
/// second while it was off the queue but not yet woken, and reported it in
/// a deadlock it was about to leave.)
#[test]
fn writers_woken_by_a_broken_pipe_are_in_no_deadlock() {
    let mut s = common::Sim::new();
    let four = ObjectOptions {
        capacity: Some(4),
        ..ObjectOptions::default()
    };
    let pipe = s.obj_opts(ObjectKind::Pipe, "pp", four);
    let ep = s.obj(ObjectKind::Endpoint, "e1");
    // A program could bring the send right to the endpoint (as in a scenario
    // with `program w caps(e1: send)`): deaths then re-check its waiters.
    s.k.set_spawnable(ep, Rights::SEND);
    let p: Vec<Pid> = (0..4).map(|i| s.proc(&format!("p{i}"))).collect();
    let call = s.cap(p[0], ep, Rights::SEND);
    let w0 = s.cap(p[0], pipe, Rights::WRITE);
    let w1 = s.cap(p[1], pipe, Rights::WRITE);
    s.cap(p[2], ep, Rights::RECV);
    let w2 = s.cap(p[2], pipe, Rights::WRITE);
    s.cap(p[3], pipe, Rights::READ);
    let k = &mut s.k;
    let write = |cap, timeout| Syscall::Write {
        cap,
        data: Data::Str("abc".into()),
        timeout,
    };
    assert_eq!(k.schedule(), Next::Run(p[0]));
    assert!(matches!(
        k.syscall(p[0], write(w0, Timeout::Ticks(0))),
        Outcome::Done(Ok(_))
    ));
    let msg = Message::new(Data::Int(1));
    assert_eq!(k.call(p[0], call, msg, Timeout::Never), Outcome::Switched);
    assert_eq!(k.schedule(), Next::Run(p[1]));
    assert_eq!(k.syscall(p[1], write(w1, Timeout::Ticks(5))), Outcome::Switched);
    assert_eq!(k.schedule(), Next::Run(p[2]));
    assert_eq!(k.syscall(p[2], write(w2, Timeout::Never)), Outcome::Switched);
    assert_eq!(k.schedule(), Next::Run(p[3]));
    k.exit(p[3], Ending::Exited);
    k.check_invariants().expect("invariants");
    assert!(
        k.ending(p[1]).is_some() && k.ending(p[2]).is_some(),
        "both writers die of SIGPIPE"
    );
    let members: Vec<Vec<Pid>> = k.deadlocks().iter().map(|d| d.members.clone()).collect();
    assert_eq!(members, vec![vec![p[0]]]);
}
