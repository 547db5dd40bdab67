//! Model-based property test of System V semaphore sets against a reference:
//! a vector of values, a FIFO of blocked operation lists, and per-process undo
//! adjustments. Random `semop`s (several operations, undo, nowait, timeouts),
//! `semctl setval`, exits and kills from four processes are checked step by
//! step: the values, who waits, what each call returns, and the invariants.
//!
//! The reference is Linux's rule written plainly: a `semop` applies all its
//! operations or none; whenever values change, the queue is scanned in order
//! and every waiter that can apply its operations does, the scan starting over
//! after each one that changed a value; at exit a process's adjustments are
//! added back, each value kept between 0 and the maximum; `setval` clears
//! every adjustment for its semaphore.

use std::collections::BTreeMap;

use ipcsim_kernel::sem::SEM_VALUE_MAX;
use ipcsim_kernel::*;
use proptest::prelude::*;
// Explicit, so it wins over the kernel's own `Strategy` enum from the glob above.
use proptest::strategy::Strategy;

const NSEMS: usize = 3;

#[derive(Clone, Debug)]
enum Op {
    Semop {
        ops: Vec<(u8, i8)>,
        undo: bool,
        t: u8,
    },
    /// `sem_wait` / `sem_post` (with their fast paths): -1 / +1 on semaphore 0.
    Plain {
        post: bool,
        t: u8,
    },
    SetVal {
        num: u8,
        v: u8,
    },
    Exit,
    Kill {
        target: u8,
    },
    Sleep,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (proptest::collection::vec((0u8..NSEMS as u8, -2i8..=2), 1..4), any::<bool>(), 0u8..4)
            .prop_map(|(ops, undo, t)| Op::Semop { ops, undo, t }),
        3 => (any::<bool>(), 0u8..4).prop_map(|(post, t)| Op::Plain { post, t }),
        1 => (0u8..NSEMS as u8, 0u8..3).prop_map(|(num, v)| Op::SetVal { num, v }),
        1 => Just(Op::Exit),
        1 => (0u8..4).prop_map(|target| Op::Kill { target }),
        2 => Just(Op::Sleep),
    ]
}

/// 0: nowait; 1, 2: that many ticks; 3: for ever.
fn timeout(t: u8) -> Timeout {
    match t {
        0 => Timeout::NOWAIT,
        3 => Timeout::Never,
        n => Timeout::Ticks(u64::from(n)),
    }
}

/// A `semop`'s operations: (semaphore, value).
type Ops = Vec<(usize, i64)>;

#[derive(Default, Debug)]
struct Model {
    vals: Vec<i64>,
    /// Blocked, in the order they came: (pid, operations, undo).
    queue: Vec<(Pid, Ops, bool)>,
    adj: BTreeMap<(Pid, usize), i64>,
    /// What each process's blocked call will return when it runs again.
    outcome: BTreeMap<Pid, Result<(), Error>>,
}

impl Model {
    /// The values after `ops`, or None if they must wait. (Ranges are never
    /// exceeded here: values stay far below the maximum.)
    fn apply(&self, ops: &[(usize, i64)]) -> Option<Vec<i64>> {
        let mut v = self.vals.clone();
        for (n, o) in ops {
            if *o == 0 {
                if v[*n] != 0 {
                    return None;
                }
            } else {
                v[*n] += o;
                if v[*n] < 0 {
                    return None;
                }
            }
        }
        Some(v)
    }

    fn commit(&mut self, p: Pid, ops: &[(usize, i64)], undo: bool, new: Vec<i64>) {
        self.vals = new;
        if undo {
            for (n, o) in ops {
                *self.adj.entry((p, *n)).or_default() -= o;
            }
        }
    }

    fn update(&mut self) {
        'scan: loop {
            for i in 0..self.queue.len() {
                if let Some(new) = self.apply(&self.queue[i].1) {
                    let (p, ops, undo) = self.queue.remove(i);
                    self.commit(p, &ops, undo, new);
                    self.outcome.insert(p, Ok(()));
                    // Starting over is the same as going on after a wait for
                    // zero (it changed nothing, so no earlier waiter can go).
                    continue 'scan;
                }
            }
            return;
        }
    }

    fn ends(&mut self, p: Pid) {
        self.queue.retain(|(q, _, _)| *q != p);
        self.outcome.remove(&p);
        let mine: Vec<((Pid, usize), i64)> = self
            .adj
            .iter()
            .filter(|((q, _), _)| *q == p)
            .map(|(k, v)| (*k, *v))
            .collect();
        for ((_, n), d) in mine {
            self.adj.remove(&(p, n));
            self.vals[n] = (self.vals[n] + d).clamp(0, SEM_VALUE_MAX as i64);
        }
        self.update();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn semaphore_sets_follow_their_model(
        init in 0u64..3,
        ops in proptest::collection::vec(op(), 1..120),
        fast_paths in any::<bool>(),
    ) {
        let mut k = Kernel::new(KernelConfig { max_time: 5_000, fast_paths, ..KernelConfig::default() });
        let set = k.create_object(ObjectKind::Semaphore, "set", &ObjectOptions { value: init, nsems: NSEMS as u32, ..Default::default() }).unwrap();
        let mut m = Model { vals: vec![init as i64; NSEMS], ..Default::default() };
        let mut procs = Vec::new();
        let mut caps = BTreeMap::new();
        for i in 0..4 {
            let p = k.create_process(&ProcessSpec::new(format!("p{i}")), None).unwrap();
            caps.insert(p, k.grant(p, set, ObjectKind::Semaphore.rights(), 0).unwrap());
            procs.push(p);
        }
        let mut ops = ops.into_iter();
        for _ in 0..600 {
            let next = k.schedule();
            // Waiters the kernel let go that the model did not: timed out.
            let queued: Vec<Pid> = m.queue.iter().map(|(q, _, _)| *q).collect();
            for q in queued {
                if k.waiting_on(q).is_none() {
                    m.queue.retain(|(x, _, _)| *x != q);
                    m.outcome.insert(q, Err(Error::TimedOut));
                }
            }
            let p = match next { Next::Run(p) => p, Next::Finished(_) => break };
            if let Some(want) = m.outcome.remove(&p) {
                let got = k.take_result(p).map(|r| r.map(|_| ()));
                prop_assert_eq!(got, Some(want), "{:?} woke with the wrong result", p);
                continue;
            }
            let unexpected = k.take_result(p);
            prop_assert!(unexpected.is_none(), "{:?} woke with {:?}, the model has it {}", p, unexpected,
                if m.queue.iter().any(|(q, _, _)| *q == p) { "waiting" } else { "running" });
            let Some(op) = ops.next() else {
                k.exit(p, Ending::Exited);
                m.ends(p);
                continue;
            };
            let cap = caps[&p];
            match op {
                Op::Semop { .. } | Op::Plain { .. } => {
                    let (raw, undo, t, plain) = match op {
                        Op::Semop { ops, undo, t } => (ops, undo, t, None),
                        Op::Plain { post, t } => (vec![(0, if post { 1 } else { -1 })], false, if post { 3 } else { t }, Some(post)),
                        _ => unreachable!(),
                    };
                    let mops: Vec<(usize, i64)> = raw.iter().map(|(n, o)| (*n as usize, i64::from(*o))).collect();
                    let kops: Box<[SemOp]> = raw.iter().map(|(n, o)| SemOp { num: u32::from(*n), op: i64::from(*o) }).collect();
                    let out = match plain {
                        Some(true) => k.sem_post(p, cap),
                        Some(false) => k.sem_wait(p, cap, timeout(t)),
                        None => k.syscall(p, Syscall::SemOp { cap, ops: kops, undo, timeout: timeout(t) }),
                    };
                    match m.apply(&mops) {
                        Some(new) => {
                            prop_assert_eq!(out, Outcome::Done(Ok(Ret::Unit)), "semop {:?} on {:?}", raw, m.vals);
                            m.commit(p, &mops, undo, new);
                            if mops.iter().any(|(_, o)| *o != 0) {
                                m.update();
                            }
                        }
                        None if t == 0 => prop_assert_eq!(out, Outcome::Done(Err(Error::WouldBlock))),
                        None => {
                            prop_assert_eq!(out, Outcome::Switched, "semop {:?} on {:?} should wait", raw, m.vals);
                            m.queue.push((p, mops, undo));
                        }
                    }
                }
                Op::SetVal { num, v } => {
                    let out = k.syscall(p, Syscall::SemCtl { cap, num: u32::from(num), cmd: SemCmd::SetVal(u64::from(v)) });
                    prop_assert_eq!(out, Outcome::Done(Ok(Ret::Unit)));
                    m.vals[num as usize] = i64::from(v);
                    m.adj.retain(|(_, n), _| *n != num as usize);
                    m.update();
                }
                Op::Exit => {
                    k.exit(p, Ending::Exited);
                    m.ends(p);
                }
                Op::Kill { target } => {
                    let q = procs[target as usize];
                    let alive = k.ending(q).is_none();
                    let out = k.syscall(p, Syscall::Kill { target: q, signal: Signal::SIGKILL });
                    if alive {
                        m.ends(q);
                        if q != p {
                            prop_assert_eq!(out, Outcome::Done(Ok(Ret::Unit)));
                        }
                    }
                }
                Op::Sleep => {
                    if k.syscall(p, Syscall::Sleep { ticks: 1 }) == Outcome::Switched {
                        m.outcome.insert(p, Ok(()));
                    }
                }
            }
            k.check_invariants().map_err(TestCaseError::fail)?;
            let vals: Vec<i64> = k.sem_values(set).unwrap().into_iter().map(|v| v as i64).collect();
            prop_assert_eq!(&vals, &m.vals, "values differ from the model");
            for (q, _, _) in &m.queue {
                prop_assert!(k.waiting_on(*q).is_some(), "{:?} should still wait", q);
            }
        }
    }
}
