//! Model-based property test of the buffered objects: a mailbox against a
//! VecDeque, a message queue against a list with type selection, a pipe
//! against byte counts per writer, a semaphore against a unit count.
//!
//! Random operations from several processes (with timeouts, kills and a
//! mailbox destruction) are checked as they happen, through the event log and
//! the results: nothing lost, nothing duplicated, capacity never exceeded,
//! order kept (FIFO for the mailbox, per type for the queue, per writer for
//! the pipe), units conserved, and `check_invariants()` after every step.

use std::collections::{BTreeMap, VecDeque};

mod common;

use ipcsim_kernel::*;
use proptest::prelude::*;
// Explicit, so it wins over the kernel's own `Strategy` enum from the glob above.
use proptest::strategy::Strategy;

#[derive(Clone, Debug)]
enum Op {
    MbSend {
        t: u8,
    },
    MbRecv {
        t: u8,
    },
    MqSnd {
        ty: u8,
        len: u8,
        t: u8,
    },
    /// `msgctl set bytes N`: a new limit, smaller or larger than what is queued.
    MqSet {
        bytes: u8,
    },
    /// `size` (3.. bytes, so a cut message keeps its id), `noerror`, `except`.
    MqRcv {
        sel: i8,
        t: u8,
        size: Option<u8>,
        noerror: bool,
        except: bool,
    },
    PipeWrite {
        len: u8,
        t: u8,
    },
    PipeRead {
        max: u8,
        t: u8,
    },
    PipeClose,
    SemWait {
        t: u8,
    },
    SemPost,
    Sleep,
    Yield,
    Kill {
        target: u8,
    },
    DestroyMailbox,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..5).prop_map(|t| Op::MbSend { t }),
        4 => (0u8..5).prop_map(|t| Op::MbRecv { t }),
        4 => (1u8..4, 0u8..6, 0u8..5).prop_map(|(ty, len, t)| Op::MqSnd { ty, len, t }),
        1 => (2u8..16).prop_map(|bytes| Op::MqSet { bytes }),
        4 => (-4i8..5, 0u8..5, prop_oneof![2 => Just(None), 1 => (3u8..7).prop_map(Some)], any::<bool>(), prop_oneof![3 => Just(false), 1 => Just(true)])
            .prop_map(|(sel, t, size, noerror, except)| Op::MqRcv { sel, t, size, noerror, except }),
        3 => (1u8..7, 0u8..5).prop_map(|(len, t)| Op::PipeWrite { len, t }),
        3 => (0u8..8, 0u8..5).prop_map(|(max, t)| Op::PipeRead { max, t }),
        1 => Just(Op::PipeClose),
        3 => (0u8..5).prop_map(|t| Op::SemWait { t }),
        3 => Just(Op::SemPost),
        1 => Just(Op::Sleep),
        2 => Just(Op::Yield),
        1 => (0u8..3).prop_map(|target| Op::Kill { target }),
        1 => Just(Op::DestroyMailbox),
    ]
}

fn timeout(t: u8) -> Timeout {
    match t {
        0 => Timeout::Never,
        1 => Timeout::NOWAIT,
        n => Timeout::Ticks(u64::from(n)),
    }
}

/// What the reference models hold.
#[derive(Default)]
struct Model {
    /// Mailbox buffer: message ids, oldest first.
    mb: VecDeque<u64>,
    mb_capacity: Option<usize>,
    mb_delivered: BTreeMap<u64, u32>,
    /// Message queue: (type, id, bytes), oldest first.
    mq: Vec<(i64, u64, u64)>,
    mq_limit: u64,
    mq_delivered: BTreeMap<u64, u32>,
    /// Pipe: bytes written per writer letter, and read back.
    written: BTreeMap<u8, u64>,
    read: BTreeMap<u8, u64>,
    /// Last `msgsnd` type and `msgrcv` selector of each process, from the event log.
    last_type: BTreeMap<Pid, i64>,
    last_sel: BTreeMap<Pid, i64>,
    /// Each process's last `msgrcv` buffer and flags (it issues no other call while it waits).
    last_rcv: BTreeMap<Pid, RcvOpts>,
}

fn select(q: &[(i64, u64, u64)], sel: i64, except: bool) -> Option<usize> {
    if sel == 0 {
        return if q.is_empty() { None } else { Some(0) };
    }
    if sel > 0 {
        return q.iter().position(|(t, _, _)| (*t == sel) != except);
    }
    let mut best: Option<usize> = None;
    for (i, (t, _, _)) in q.iter().enumerate() {
        if *t <= -sel && best.is_none_or(|b| *t < q[b].0) {
            best = Some(i);
        }
    }
    best
}

/// A queue message's id: the digits it starts with (it is padded with dots after).
fn id_of(s: &str) -> u64 {
    s.trim_end_matches('.').parse().unwrap_or(0)
}

impl Model {
    fn last_sel_of(&self, call: &Syscall) -> i64 {
        match call {
            Syscall::MsgRcv { mtype, .. } => *mtype,
            _ => 0,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn buffered_objects_follow_their_models(
        mb_cap in prop_oneof![Just(None), (0u64..4).prop_map(Some)],
        mq_limit in 4u64..16,
        pipe_cap in 1u64..8,
        sem_value in 0u64..3,
        ops in proptest::collection::vec(op(), 1..150),
        // Both ways: the semaphore fast paths and the general ones keep the same model.
        fast_paths in any::<bool>(),
        // Semaphore calls through the typed entries, or through `syscall`.
        typed in any::<bool>(),
    ) {
        let mut k = Kernel::new(KernelConfig { max_time: 5_000, fast_paths, ..KernelConfig::default() });
        let mb = k.create_object(ObjectKind::Mailbox, "mb", &ObjectOptions { capacity: mb_cap, unbounded: mb_cap.is_none(), ..Default::default() }).unwrap();
        let mq = k.create_object(ObjectKind::MsgQueue, "mq", &ObjectOptions { size: Some(mq_limit), ..Default::default() }).unwrap();
        let pipe = k.create_object(ObjectKind::Pipe, "pipe", &ObjectOptions { capacity: Some(pipe_cap), ..Default::default() }).unwrap();
        let sem = k.create_object(ObjectKind::Semaphore, "sem", &ObjectOptions { value: sem_value, ..Default::default() }).unwrap();
        let mut m = Model { mb_capacity: mb_cap.map(|c| c as usize), mq_limit, ..Default::default() };
        let mut new_units = sem_value;
        let _ = pipe_cap;
        let mut procs = Vec::new();
        let mut caps: BTreeMap<(Pid, &str), CapId> = BTreeMap::new();
        for i in 0..3 {
            let p = k.create_process(&ProcessSpec::new(format!("p{i}")), None).unwrap();
            caps.insert((p, "mb"), k.grant(p, mb, ObjectKind::Mailbox.rights(), 0).unwrap());
            caps.insert((p, "mq"), k.grant(p, mq, Rights::SEND | Rights::RECV, 0).unwrap());
            // p0 reads the pipe; everyone writes it, each with its own letter.
            let pr = if i == 0 { Rights::READ | Rights::WRITE } else { Rights::WRITE };
            caps.insert((p, "pipe"), k.grant(p, pipe, pr, 0).unwrap());
            caps.insert((p, "sem"), k.grant(p, sem, Rights::WAIT | Rights::POST, 0).unwrap());
            procs.push(p);
        }
        let mut next_id = 1u64;
        let mut pending: BTreeMap<Pid, ()> = BTreeMap::new();
        let mut ops = ops.into_iter();
        for _ in 0..500 {
            let next = k.schedule();
            absorb(&mut m, &mut k, mb, mq, pipe)?;
            let p = match next { Next::Run(p) => p, Next::Finished(_) => break };
            if pending.remove(&p).is_some() {
                let r = k.take_result(p);
                prop_assert!(r.is_some(), "scheduled with no result");
                if let Some(Ok(Ret::Bytes(Data::Str(s)))) = r {
                    for b in s.bytes() {
                        *m.read.entry(b).or_default() += 1;
                    }
                }
                continue;
            }
            let Some(op) = ops.next() else {
                k.exit(p, Ending::Exited);
                continue;
            };
            let cap = |name: &str| caps[&(p, name)];
            let letter = b'a' + p.0 as u8;
            let call = match op {
                Op::MbSend { t } => {
                    next_id += 1;
                    Syscall::Send { cap: cap("mb"), msg: Message::new(Data::Int(next_id as i64)), timeout: timeout(t) }
                }
                Op::MbRecv { t } => Syscall::Recv { cap: cap("mb"), timeout: timeout(t) },
                Op::MqSnd { ty, len, t } => {
                    next_id += 1;
                    // Data: the id, padded after it to `len` bytes so the byte limit is
                    // exercised and a message cut to 3 bytes or more keeps its id.
                    let d = format!("{:.<width$}", next_id, width = len as usize);
                    Syscall::MsgSnd { cap: cap("mq"), mtype: i64::from(ty), data: Data::str(&d), timeout: timeout(t) }
                }
                Op::MqSet { bytes } => Syscall::MsgSet { cap: cap("mq"), bytes: Some(u64::from(bytes)), mode: None },
                Op::MqRcv { sel: s, t, size, noerror, except } => {
                    let opts = RcvOpts { max: size.map(u64::from), noerror, except };
                    m.last_rcv.insert(p, opts);
                    Syscall::MsgRcv { cap: cap("mq"), mtype: i64::from(s), opts, timeout: timeout(t) }
                }
                Op::PipeWrite { len, t } => {
                    let d: String = std::iter::repeat_n(letter as char, len as usize).collect();
                    Syscall::Write { cap: cap("pipe"), data: Data::str(&d), timeout: timeout(t) }
                }
                Op::PipeRead { max, t } => Syscall::Read { cap: cap("pipe"), max: u64::from(max), timeout: timeout(t) },
                Op::PipeClose => Syscall::Close { cap: cap("pipe") },
                Op::SemWait { t } => Syscall::SemWait { cap: cap("sem"), timeout: timeout(t) },
                Op::SemPost => Syscall::SemPost { cap: cap("sem") },
                Op::Sleep => Syscall::Sleep { ticks: 2 },
                Op::Yield => Syscall::Yield,
                Op::Kill { target } => Syscall::Kill { target: procs[target as usize % 3], signal: Signal::SIGKILL },
                Op::DestroyMailbox => Syscall::Destroy { cap: cap("mb") },
            };
            let is_post = matches!(call, Syscall::SemPost { .. });
            let held_before = k.sem_held(p).iter().any(|(o, n)| *o == sem && *n > 0);
            let rcv = matches!(call, Syscall::MsgRcv { .. }).then(|| (m.last_rcv[&p], m.last_sel_of(&call)));
            let new_limit = match call { Syscall::MsgSet { bytes, .. } => bytes, _ => None };
            let out = common::enter(&mut k, p, call, typed);
            k.check_invariants().map_err(TestCaseError::fail)?;
            // A new limit holds from now on (the messages queued stay, even above it).
            if let (Outcome::Done(Ok(_)), Some(b)) = (&out, new_limit) {
                m.mq_limit = b;
            }
            // A receive refused at once for its buffer: the message its selector picks is
            // longer, and stays.
            if let (Outcome::Done(Err(Error::MessageTooLarge)), Some((opts, sel))) = (&out, rcv) {
                let pos = select(&m.mq, sel, opts.except);
                prop_assert!(
                    pos.is_some_and(|i| !opts.noerror && opts.max.is_some_and(|max| m.mq[i].2 > max)),
                    "msgrcv {} {:?} refused MessageTooLarge with {:?} queued", sel, opts, m.mq
                );
            }
            match out {
                Outcome::Done(r) => {
                    pending.remove(&p);
                    if let Ok(Ret::Bytes(Data::Str(s))) = &r {
                        for b in s.bytes() {
                            *m.read.entry(b).or_default() += 1;
                        }
                    }
                    if is_post && r.is_ok() && !held_before {
                        new_units += 1;
                    }
                }
                Outcome::Switched => {
                    if k.ending(p).is_none() {
                        pending.insert(p, ());
                    }
                }
            }
            absorb(&mut m, &mut k, mb, mq, pipe)?;
            // Units are conserved: free units plus units held equal what was ever put in.
            let held: u64 = procs.iter().map(|q| k.sem_held(*q).iter().filter(|(o, _)| *o == sem).map(|(_, n)| *n).sum::<u64>()).sum();
            prop_assert_eq!(k.sem_value(sem).unwrap_or(0) + held, new_units, "semaphore units not conserved");
        }
        // Nothing read that was never written, per writer (order within a writer is
        // trivially kept: each writes one letter).
        for (b, n) in &m.read {
            prop_assert!(*n <= m.written.get(b).copied().unwrap_or(0), "read {} of {:?} but only {} written", n, *b as char, m.written.get(b).copied().unwrap_or(0));
        }
    }
}

/// Applies the events of one step to the models, checking each.
fn absorb(m: &mut Model, k: &mut Kernel, mb: ObjId, mq: ObjId, pipe: ObjId) -> Result<(), TestCaseError> {
    let evs: Vec<Event> = k.log().drain().collect();
    for e in evs {
        match e.kind {
            EventKind::Syscall {
                name: "msgsnd",
                arg: Some(t),
                ..
            } => {
                m.last_type.insert(e.pid, t);
            }
            EventKind::Syscall {
                name: "msgrcv",
                arg: Some(t),
                ..
            } => {
                m.last_sel.insert(e.pid, t);
            }
            EventKind::Enqueue {
                obj,
                data: Data::Int(id),
            } if obj == mb => {
                m.mb.push_back(id as u64);
                if let Some(c) = m.mb_capacity {
                    prop_assert!(m.mb.len() <= c, "mailbox over capacity {}", c);
                }
            }
            EventKind::Deliver {
                obj: Some(obj),
                data: Data::Int(id),
                ..
            } if obj == mb => {
                let id = id as u64;
                let n = m.mb_delivered.entry(id).or_default();
                *n += 1;
                prop_assert_eq!(*n, 1, "mailbox message {} delivered twice", id);
                if let Some(front) = m.mb.front().copied() {
                    prop_assert_eq!(front, id, "mailbox FIFO broken");
                    m.mb.pop_front();
                }
            }
            EventKind::Enqueue {
                obj,
                data: Data::Str(s),
            } if obj == mq => {
                let id = id_of(&s);
                let ty = m.last_type.get(&e.pid).copied().unwrap_or(0);
                m.mq.push((ty, id, s.len() as u64));
                let bytes: u64 = m.mq.iter().map(|x| x.2).sum();
                prop_assert!(bytes <= m.mq_limit, "queue over its byte limit");
            }
            EventKind::Deliver {
                obj: Some(obj),
                data: Data::Str(s),
                ..
            } if obj == mq => {
                let id = id_of(&s);
                let n = m.mq_delivered.entry(id).or_default();
                *n += 1;
                prop_assert_eq!(*n, 1, "queue message {} delivered twice", id);
                let opts = m.last_rcv.get(&e.pid).copied().unwrap_or_default();
                // Never more than the buffer holds.
                prop_assert!(
                    opts.max.is_none_or(|max| s.len() as u64 <= max),
                    "{} bytes into a buffer of {:?}",
                    s.len(),
                    opts.max
                );
                if let Some(pos) = m.mq.iter().position(|x| x.1 == id) {
                    // A buffered message must be the one msgrcv's selector picks, whole,
                    // or cut only with noerror.
                    let sel = m.last_sel.get(&e.pid).copied().unwrap_or(0);
                    prop_assert_eq!(
                        select(&m.mq, sel, opts.except),
                        Some(pos),
                        "msgrcv {} {:?} took the wrong message",
                        sel,
                        opts
                    );
                    let whole = m.mq[pos].2;
                    prop_assert!(
                        s.len() as u64 == whole || (opts.noerror && opts.max == Some(s.len() as u64)),
                        "a {}-byte message delivered as {} bytes with {:?}",
                        whole,
                        s.len(),
                        opts
                    );
                    m.mq.remove(pos);
                }
            }
            EventKind::Syscall {
                name: "write",
                obj: Some(obj),
                data: Some(Data::Str(s)),
                ..
            } if obj == pipe => {
                // Counted as written once it is issued; a write that fails early writes nothing,
                // so this is an upper bound, which is what the read check needs.
                for b in s.bytes() {
                    *m.written.entry(b).or_default() += 1;
                }
            }
            EventKind::Discarded { obj, data } if obj == mb => {
                for d in data {
                    if let Data::Int(id) = d {
                        m.mb.retain(|x| *x != id as u64);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}
