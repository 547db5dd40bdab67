//! Model-based property test of endpoints and capabilities.
//!
//! Random system calls from whichever process the kernel runs (sends, calls,
//! receives, replies, derivations, deletions, revocations, forged
//! capabilities, timeouts, kills) are checked after every step against a small
//! reference model:
//! - FIFO service of blocked senders (priority-ordered, FIFO among equals);
//! - no message lost or delivered twice: a delivered message is delivered
//!   once; a plain send that succeeded was delivered, one that failed was not;
//! - a reply right is used at most once, and a reply never blocks;
//! - a blocked process is woken exactly once (one stored result, taken once);
//! - capabilities match a reference derivation tree: rights never grow,
//!   revocation removes every descendant, deleted ones are unusable;
//! - `check_invariants()` holds after every step, and nothing panics.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

mod common;

use ipcsim_kernel::*;
use proptest::prelude::*;
// Explicit, so it wins over the kernel's own `Strategy` enum from the glob above.
use proptest::strategy::Strategy;

#[derive(Clone, Debug)]
enum Op {
    Send {
        ep: u8,
        t: u8,
    },
    /// A send carrying one of the sender's capabilities (`with`).
    Grant {
        ep: u8,
        cap: u8,
        t: u8,
    },
    Call {
        ep: u8,
        t: u8,
    },
    Recv {
        ep: u8,
        t: u8,
    },
    Reply,
    ReplyRecv {
        ep: u8,
        t: u8,
    },
    Derive {
        cap: u8,
        rights: u8,
        badge: u8,
    },
    Delete {
        cap: u8,
    },
    Revoke {
        cap: u8,
    },
    Forged,
    Sleep {
        t: u8,
    },
    Yield,
    Kill {
        target: u8,
    },
    Exit,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..2, any::<u8>(), 0u8..6).prop_map(|(ep, cap, t)| Op::Grant { ep, cap, t }),
        4 => (0u8..2, 0u8..6).prop_map(|(ep, t)| Op::Send { ep, t }),
        4 => (0u8..2, 0u8..6).prop_map(|(ep, t)| Op::Call { ep, t }),
        5 => (0u8..2, 0u8..6).prop_map(|(ep, t)| Op::Recv { ep, t }),
        3 => Just(Op::Reply),
        2 => (0u8..2, 0u8..6).prop_map(|(ep, t)| Op::ReplyRecv { ep, t }),
        2 => (any::<u8>(), 0u8..8, 0u8..3).prop_map(|(cap, rights, badge)| Op::Derive { cap, rights, badge }),
        1 => any::<u8>().prop_map(|cap| Op::Delete { cap }),
        1 => any::<u8>().prop_map(|cap| Op::Revoke { cap }),
        1 => Just(Op::Forged),
        1 => (1u8..4).prop_map(|t| Op::Sleep { t }),
        2 => Just(Op::Yield),
        1 => (0u8..4).prop_map(|target| Op::Kill { target }),
        1 => Just(Op::Exit),
    ]
}

fn timeout(t: u8) -> Timeout {
    match t {
        0 | 1 => Timeout::Never,
        2 => Timeout::NOWAIT,
        n => Timeout::Ticks(u64::from(n) - 2),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Pending,
    Delivered,
    Failed,
}

#[derive(Clone, Debug)]
struct MCap {
    owner: Pid,
    rights: Rights,
    parent: Option<CapId>,
    /// Set once: a child of a badged capability keeps the badge.
    badge: u64,
}

#[derive(Clone, Copy, Debug)]
enum Pending {
    Send(u64),
    Call(u64),
    Recv,
    Other,
}

struct Model {
    msgs: BTreeMap<u64, (Status, bool, Pid)>,
    delivered_to: BTreeMap<u64, Pid>,
    received: BTreeSet<u64>,
    queues: BTreeMap<ObjId, VecDeque<(i64, Pid, u64)>>,
    pending: BTreeMap<Pid, Pending>,
    reply_owed: BTreeMap<Pid, u64>,
    caps: BTreeMap<CapId, MCap>,
    gone: BTreeSet<CapId>,
    prio: BTreeMap<Pid, i64>,
    next_id: u64,
    /// Capabilities in messages not yet received: message id -> (the capability
    /// passed and its ancestors, its rights, whether a revoke has deleted the copy).
    /// Per message carrying a capability: the chain it descends from, its rights, whether a revoke reached it, its badge.
    inflight: BTreeMap<u64, (Vec<CapId>, Rights, bool, u64)>,
}

impl Model {
    fn children(&self, c: CapId) -> Vec<CapId> {
        self.caps
            .iter()
            .filter(|(_, m)| m.parent == Some(c))
            .map(|(id, _)| *id)
            .collect()
    }
    fn delete(&mut self, c: CapId) {
        let Some(m) = self.caps.remove(&c) else { return };
        for ch in self.children(c) {
            if let Some(x) = self.caps.get_mut(&ch) {
                x.parent = m.parent;
            }
        }
        self.gone.insert(c);
    }
    fn chain(&self, c: CapId) -> Vec<CapId> {
        let mut v = vec![c];
        let mut at = c;
        while let Some(p) = self.caps.get(&at).and_then(|m| m.parent) {
            v.push(p);
            at = p;
        }
        v
    }
    fn revoke(&mut self, c: CapId) {
        // A copy travelling in a message is a descendant of the capability passed.
        for (chain, _, dead, _) in self.inflight.values_mut() {
            if chain.contains(&c) {
                *dead = true;
            }
        }
        let mut stack = self.children(c);
        while let Some(d) = stack.pop() {
            stack.extend(self.children(d));
            self.caps.remove(&d);
            self.gone.insert(d);
        }
    }
    fn owned(&self, p: Pid) -> Vec<CapId> {
        self.caps
            .iter()
            .filter(|(_, m)| m.owner == p)
            .map(|(c, _)| *c)
            .collect()
    }
    fn forget_queued(&mut self, p: Pid) {
        for q in self.queues.values_mut() {
            q.retain(|(_, x, _)| *x != p);
        }
    }
    fn enqueue(&mut self, obj: ObjId, p: Pid, id: u64) {
        let prio = self.prio[&p];
        let q = self.queues.entry(obj).or_default();
        let at = q.iter().rposition(|(pr, _, _)| *pr >= prio).map_or(0, |i| i + 1);
        q.insert(at, (prio, p, id));
    }
    /// A message arrived at a receiver: exactly once, and from the head of the queue if it was queued.
    fn delivered(&mut self, obj: ObjId, id: u64) -> Result<(), TestCaseError> {
        let st = self
            .msgs
            .get_mut(&id)
            .ok_or_else(|| TestCaseError::fail(format!("unknown message {id}")))?;
        prop_assert_eq!(st.0, Status::Pending, "message {} delivered twice or after failing", id);
        st.0 = Status::Delivered;
        let q = self.queues.entry(obj).or_default();
        if let Some(pos) = q.iter().position(|(_, _, m)| *m == id) {
            prop_assert_eq!(pos, 0, "FIFO: message {} served ahead of {:?}", id, q.front());
            q.pop_front();
        }
        Ok(())
    }
}

fn msg_id(m: &Message) -> u64 {
    match m.data {
        Data::Int(i) => i as u64,
        _ => u64::MAX,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn endpoints_and_capabilities_follow_the_model(
        prios in proptest::collection::vec(0i64..2, 4),
        ops in proptest::collection::vec(op(), 1..120),
        // Hot calls through the typed entries, or all through `syscall`.
        typed in any::<bool>(),
    ) {
        let mut k = Kernel::new(KernelConfig { max_time: 10_000, ..KernelConfig::default() });
        let eps: Vec<ObjId> = (0..2)
            .map(|i| k.create_object(ObjectKind::Endpoint, &format!("ep{i}"), &ObjectOptions::default()).unwrap())
            .collect();
        let mut m = Model {
            msgs: BTreeMap::new(), delivered_to: BTreeMap::new(), received: BTreeSet::new(), queues: BTreeMap::new(), pending: BTreeMap::new(), reply_owed: BTreeMap::new(),
            caps: BTreeMap::new(), gone: BTreeSet::new(), prio: BTreeMap::new(), next_id: 1,
            inflight: BTreeMap::new(),
        };
        let mut procs = Vec::new();
        let mut roots: BTreeMap<(Pid, usize), CapId> = BTreeMap::new();
        for (i, pr) in prios.iter().enumerate() {
            let p = k.create_process(&ProcessSpec { priority: *pr, ..ProcessSpec::new(format!("p{i}")) }, None).unwrap();
            m.prio.insert(p, *pr);
            for (e, ep) in eps.iter().enumerate() {
                let c = k.grant(p, *ep, ObjectKind::Endpoint.rights(), u64::from(p.0) + 1).unwrap();
                m.caps.insert(c, MCap { owner: p, rights: ObjectKind::Endpoint.rights(), parent: None, badge: u64::from(p.0) + 1 });
                roots.insert((p, e), c);
            }
            procs.push(p);
        }
        let mut ops = ops.into_iter();
        for _step in 0..400 {
            let next = k.schedule();
            absorb(&mut m, &mut k)?;
            let p = match next {
                Next::Run(p) => p,
                Next::Finished(_) => break,
            };
            if let Some(pend) = m.pending.remove(&p) {
                // Woken (or preempted) exactly once: one stored result, taken once.
                let r = k.take_result(p);
                prop_assert!(r.is_some(), "{:?} scheduled with no result for its pending call", p);
                prop_assert!(k.take_result(p).is_none(), "a second result for one call");
                let r = r.unwrap();
                settle(&mut m, &k, p, pend, r)?;
                k.check_invariants().map_err(TestCaseError::fail)?;
                continue;
            }
            let Some(op) = ops.next() else {
                k.exit(p, Ending::Exited);
                on_end(&mut m, p);
                continue;
            };
            let root = |e: u8| roots[&(p, e as usize)];
            let mine = m.owned(p);
            let pick = |i: u8| if mine.is_empty() { CapId::from_bits(0xffff_0000_ffff) } else { mine[i as usize % mine.len()] };
            let (call, pend) = match op {
                Op::Send { ep, t } | Op::Call { ep, t } => {
                    let id = m.next_id;
                    m.next_id += 1;
                    let is_call = matches!(op, Op::Call { .. });
                    m.msgs.insert(id, (Status::Pending, is_call, p));
                    let msg = Message::new(Data::Int(id as i64));
                    let c = root(ep);
                    if is_call {
                        (Syscall::Call { cap: c, msg, timeout: timeout(t) }, Pending::Call(id))
                    } else {
                        (Syscall::Send { cap: c, msg, timeout: timeout(t) }, Pending::Send(id))
                    }
                }
                Op::Grant { ep, cap, t } => {
                    let id = m.next_id;
                    m.next_id += 1;
                    m.msgs.insert(id, (Status::Pending, false, p));
                    let pass = pick(cap);
                    if let Some(mc) = m.caps.get(&pass).filter(|mc| mc.owner == p) {
                        m.inflight.insert(id, (m.chain(pass), mc.rights, false, mc.badge));
                    }
                    let msg = Message { data: Data::Int(id as i64), cap: Some(pass), ..Default::default() };
                    (Syscall::Send { cap: root(ep), msg, timeout: timeout(t) }, Pending::Send(id))
                }
                Op::Recv { ep, t } => (Syscall::Recv { cap: root(ep), timeout: timeout(t) }, Pending::Recv),
                Op::ReplyRecv { ep, t } => {
                    let msg = Message::new(Data::Int(0));
                    m.reply_owed.remove(&p);
                    (Syscall::ReplyRecv { cap: root(ep), msg, timeout: timeout(t) }, Pending::Recv)
                }
                Op::Reply => (Syscall::Reply { msg: Message::new(Data::Int(0)) }, Pending::Other),
                Op::Derive { cap, rights, badge } => {
                    let r = Rights::from_bits_truncate(u16::from(rights)) & ObjectKind::Endpoint.rights();
                    (Syscall::Derive { cap: pick(cap), rights: Some(r), badge: Some(u64::from(badge)) }, Pending::Other)
                }
                Op::Delete { cap } => (Syscall::Delete { cap: pick(cap) }, Pending::Other),
                Op::Revoke { cap } => (Syscall::Revoke { cap: pick(cap) }, Pending::Other),
                Op::Forged => (Syscall::Recv { cap: CapId::from_bits(0x1234_5678_9abc), timeout: Timeout::NOWAIT }, Pending::Other),
                Op::Sleep { t } => (Syscall::Sleep { ticks: u64::from(t) }, Pending::Other),
                Op::Yield => (Syscall::Yield, Pending::Other),
                Op::Kill { target } => {
                    let t = procs[target as usize % procs.len()];
                    (Syscall::Kill { target: t, signal: Signal::SIGKILL }, Pending::Other)
                }
                Op::Exit => {
                    k.exit(p, Ending::Exited);
                    on_end(&mut m, p);
                    k.check_invariants().map_err(TestCaseError::fail)?;
                    continue;
                }
            };
            let was_owed = m.reply_owed.get(&p).copied();
            let derive_parent = if let Syscall::Derive { cap, rights, badge } = &call { Some((*cap, rights.unwrap_or(Rights::all()), *badge)) } else { None };
            let revoke_of = if let Syscall::Revoke { cap } = &call { Some(*cap) } else { None };
            let delete_of = if let Syscall::Delete { cap } = &call { Some(*cap) } else { None };
            let kill_of = if let Syscall::Kill { target, .. } = &call { Some(*target) } else { None };
            let is_reply = matches!(call, Syscall::Reply { .. });
            let out = common::enter(&mut k, p, call, typed);
            k.check_invariants().map_err(TestCaseError::fail)?;
            absorb(&mut m, &mut k)?;
            // A send or call that blocked waits in the endpoint's queue: FIFO from here.
            if let Some((WaitKind::Send, Some(obj), _)) = k.waiting_on(p) {
                match pend {
                    Pending::Send(id) | Pending::Call(id) => m.enqueue(obj, p, id),
                    _ => {}
                }
            }
            if let Some(t) = kill_of {
                if k.ending(t).is_some() && !m.owned(t).is_empty() || k.ending(t).is_some() {
                    on_end(&mut m, t);
                }
            }
            match out {
                Outcome::Done(r) => {
                    if is_reply {
                        match &r {
                            Ok(_) => prop_assert!(was_owed.is_some(), "a reply succeeded with no reply right"),
                            Err(e) => prop_assert_eq!(*e, Error::NoReplyTarget),
                        }
                        m.reply_owed.remove(&p);
                    }
                    if let (Some((parent, want, asked)), Ok(Ret::Cap(c))) = (derive_parent, &r) {
                        let (pr, pb) = m.caps.get(&parent).map(|x| (x.rights, x.badge)).unwrap_or((Rights::empty(), 0));
                        prop_assert!(pr.contains(want), "derive granted rights its parent lacks");
                        prop_assert!(pb == 0 || asked.is_none_or(|b| b == pb), "derive changed a badge");
                        let badge = if pb != 0 { pb } else { asked.unwrap_or(0) };
                        prop_assert_eq!(k.cap_info(p, *c).map(|i| i.3), Some(badge), "derived badge");
                        m.caps.insert(*c, MCap { owner: p, rights: want, parent: Some(parent), badge });
                    }
                    if let (Some((parent, want, asked)), Err(e)) = (derive_parent, &r) {
                        match m.caps.get(&parent) {
                            Some(x) => {
                                let rebadge = x.badge != 0 && asked.is_some_and(|b| b != x.badge);
                                prop_assert!((!x.rights.contains(want) || rebadge) && *e == Error::PermissionDenied || *e == Error::LimitReached)
                            }
                            None => prop_assert_eq!(*e, Error::InvalidCap),
                        }
                    }
                    if let (Some(c), Ok(_)) = (revoke_of, &r) {
                        m.revoke(c);
                    }
                    if let (Some(c), Ok(_)) = (delete_of, &r) {
                        m.delete(c);
                    }
                    if let Some(c) = revoke_of.or(delete_of) {
                        if r.is_err() {
                            prop_assert!(!m.caps.contains_key(&c) || m.caps[&c].owner != p);
                        }
                    }
                    if !is_reply {
                        settle(&mut m, &k, p, pend, r)?;
                    }
                }
                Outcome::Switched => {
                    if is_reply {
                        // A reply may preempt its caller out of the CPU, but it never blocks.
                        prop_assert!(k.waiting_on(p).is_none(), "reply blocked");
                        m.reply_owed.remove(&p);
                    }
                    if k.ending(p).is_none() {
                        m.pending.insert(p, pend);
                    } else {
                        on_end(&mut m, p);
                    }
                }
            }
            // Capabilities agree with the reference tree, and gone ones stay gone.
            for (c, mc) in &m.caps {
                let info = k.cap_info(mc.owner, *c);
                prop_assert!(info.is_some(), "capability {:?} of {:?} missing in the kernel", c, mc.owner);
                prop_assert_eq!(info.map(|i| i.2), Some(mc.rights));
            }
            // Confinement: every capability a process holds was reached by derivation
            // or transfer from an initial grant (it is in the model), unless its receive
            // has not been settled yet.
            for q in &procs {
                if m.pending.contains_key(q) {
                    continue;
                }
                for c in k.held_caps(*q) {
                    prop_assert!(m.caps.contains_key(c), "{:?} holds a capability the model never saw", q);
                }
            }
            for c in &m.gone {
                for q in &procs {
                    prop_assert!(k.cap_info(*q, *c).is_none(), "deleted or revoked capability still usable");
                }
            }
        }
        // Every message was delivered, or failed back to its sender, or its sender
        // is still waiting for the outcome (or died with it).
        for (id, (st, _, sender)) in &m.msgs {
            if *st == Status::Pending {
                let waiting = m.pending.contains_key(sender) || k.waiting_on(*sender).is_some();
                prop_assert!(waiting || k.ending(*sender).is_some(), "message {} vanished", id);
            }
        }
    }
}

/// Applies a call's final result to the model.
fn settle(m: &mut Model, k: &Kernel, p: Pid, pend: Pending, r: SysResult) -> Result<(), TestCaseError> {
    match pend {
        Pending::Send(id) => {
            m.forget_queued(p);
            let st = m.msgs[&id].0;
            match r {
                Ok(_) => prop_assert_eq!(st, Status::Delivered, "send {} succeeded but nobody got it", id),
                Err(_) => {
                    prop_assert_ne!(st, Status::Delivered, "send {} failed yet was delivered", id);
                    m.msgs.get_mut(&id).unwrap().0 = Status::Failed;
                    // The copy it carried went nowhere and is gone.
                    m.inflight.remove(&id);
                }
            }
        }
        Pending::Call(id) => {
            m.forget_queued(p);
            let st = m.msgs[&id].0;
            match r {
                Ok(_) => prop_assert_eq!(st, Status::Delivered, "call {} answered but never received", id),
                Err(_) if st == Status::Pending => m.msgs.get_mut(&id).unwrap().0 = Status::Failed,
                Err(_) => {}
            }
        }
        Pending::Recv => {
            if let Ok(Ret::Msg(msg)) = &r {
                let id = msg_id(msg);
                if id != 0 {
                    prop_assert_eq!(
                        m.delivered_to.get(&id),
                        Some(&p),
                        "message {} received by the wrong process",
                        id
                    );
                    prop_assert!(m.received.insert(id), "message {} received twice", id);
                    if let Some((chain, rights, dead, badge)) = m.inflight.remove(&id) {
                        // A capability received is a copy of the one sent: same rights, and a
                        // descendant of the nearest ancestor still alive; unless a revoke
                        // reached it on the way, in which case it is gone.
                        match (msg.cap, dead) {
                            (Some(c), false) => {
                                let info = k.cap_info(p, c);
                                prop_assert_eq!(info.map(|i| i.2), Some(rights), "transferred rights changed");
                                let parent = chain.iter().copied().find(|a| m.caps.contains_key(a));
                                prop_assert_eq!(info.map(|i| i.3), Some(badge), "a transfer changed the badge");
                                m.caps.insert(
                                    c,
                                    MCap {
                                        owner: p,
                                        rights,
                                        parent,
                                        badge,
                                    },
                                );
                            }
                            (Some(c), true) => {
                                prop_assert!(k.cap_info(p, c).is_none(), "a revoked copy survived transfer")
                            }
                            (None, _) => {}
                        }
                    } else {
                        prop_assert!(
                            msg.cap.is_none() || msg.cap.is_some_and(|c| k.cap_info(p, c).is_none()),
                            "a capability came from nowhere"
                        );
                    }
                    if msg.is_call {
                        m.reply_owed.insert(p, id);
                    } else {
                        m.reply_owed.remove(&p);
                    }
                }
            } else if !matches!(
                r,
                Err(Error::InvalidCap | Error::PermissionDenied | Error::InvalidArgument)
            ) {
                // A receive that got past its checks dropped any unused reply right.
                m.reply_owed.remove(&p);
            }
        }
        Pending::Other => {}
    }
    Ok(())
}

/// Learns of deliveries from the kernel's event log, as they happen.
fn absorb(m: &mut Model, k: &mut Kernel) -> Result<(), TestCaseError> {
    let evs: Vec<Event> = k.log().drain().collect();
    for e in evs {
        // A sender that leaves its queue (timeout, interruption, death) leaves the model's too.
        if matches!(
            e.kind,
            EventKind::Timeout | EventKind::Wake { error: Some(_) } | EventKind::End { .. }
        ) {
            m.forget_queued(e.pid);
        }
        if let EventKind::Deliver {
            obj: Some(obj),
            data: Data::Int(id),
            ..
        } = e.kind
        {
            let id = id as u64;
            if id != 0 {
                m.delivered(obj, id)?;
                m.delivered_to.insert(id, e.pid);
            }
        }
    }
    Ok(())
}

fn on_end(m: &mut Model, p: Pid) {
    m.pending.remove(&p);
    m.reply_owed.remove(&p);
    m.forget_queued(p);
    for c in m.owned(p) {
        m.delete(c);
    }
}

/// Runs one op sequence on a kernel, returning everything observable at each step.
/// What a run shows: each step's outcome and process states, the counters,
/// then (with `record`) every event.
fn observe(prios: &[i64], ops: &[Op], fast_paths: bool, typed: bool, record: bool) -> Vec<String> {
    let mut k = Kernel::new(KernelConfig {
        max_time: 10_000,
        fast_paths,
        record_events: record,
        ..KernelConfig::default()
    });
    let eps: Vec<ObjId> = (0..2)
        .map(|i| {
            k.create_object(ObjectKind::Endpoint, &format!("ep{i}"), &ObjectOptions::default())
                .unwrap()
        })
        .collect();
    let mut procs = Vec::new();
    let mut roots = BTreeMap::new();
    for (i, pr) in prios.iter().enumerate() {
        let p = k
            .create_process(
                &ProcessSpec {
                    priority: *pr,
                    ..ProcessSpec::new(format!("p{i}"))
                },
                None,
            )
            .unwrap();
        for (e, ep) in eps.iter().enumerate() {
            roots.insert(
                (p, e),
                k.grant(p, *ep, ObjectKind::Endpoint.rights(), u64::from(p.0) + 1)
                    .unwrap(),
            );
        }
        procs.push(p);
    }
    let mut out = Vec::new();
    let mut evs = Vec::new();
    let mut ops = ops.iter();
    let mut waiting = BTreeSet::new();
    for _ in 0..400 {
        let p = match k.schedule() {
            Next::Run(p) => p,
            Next::Finished(f) => {
                out.push(format!("finished {f:?} at {}", k.now()));
                break;
            }
        };
        if waiting.remove(&p) {
            out.push(format!("{p:?} result {:?} at {}", k.take_result(p), k.now()));
            continue;
        }
        let Some(op) = ops.next() else {
            k.exit(p, Ending::Exited);
            continue;
        };
        let root = |e: u8| roots[&(p, e as usize)];
        let call = match op {
            Op::Send { ep, t } => Syscall::Send {
                cap: root(*ep),
                msg: Message::new(Data::Int(1)),
                timeout: timeout(*t),
            },
            Op::Call { ep, t } => Syscall::Call {
                cap: root(*ep),
                msg: Message::new(Data::Int(2)),
                timeout: timeout(*t),
            },
            Op::Recv { ep, t } => Syscall::Recv {
                cap: root(*ep),
                timeout: timeout(*t),
            },
            Op::ReplyRecv { ep, t } => Syscall::ReplyRecv {
                cap: root(*ep),
                msg: Message::new(Data::Int(3)),
                timeout: timeout(*t),
            },
            Op::Reply => Syscall::Reply {
                msg: Message::new(Data::Int(4)),
            },
            Op::Sleep { t } => Syscall::Sleep { ticks: u64::from(*t) },
            Op::Kill { target } => Syscall::Kill {
                target: procs[*target as usize % procs.len()],
                signal: Signal::SIGKILL,
            },
            Op::Exit => {
                k.exit(p, Ending::Exited);
                continue;
            }
            _ => Syscall::Yield,
        };
        let o = common::enter(&mut k, p, call, typed);
        if o == Outcome::Switched && k.ending(p).is_none() {
            waiting.insert(p);
        }
        let states: Vec<String> = procs
            .iter()
            .map(|q| format!("{:?}/{:?}", k.ending(*q), k.waiting_on(*q)))
            .collect();
        out.push(format!("{p:?} {o:?} now {} {states:?}", k.now()));
        evs.extend(k.log().drain().map(|e| format!("{e:?}")));
        k.check_invariants().expect("invariants");
    }
    evs.extend(k.log().drain().map(|e| format!("{e:?}")));
    out.push(format!("{:?}", k.stats()));
    // The same events in the same order (a fast path may record a switch a
    // little earlier in wall-clock terms, never in sequence).
    out.extend(evs);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The fast paths have exactly the effects, and record exactly the events,
    /// of the slow ones, entered through `syscall` or through the typed entries.
    #[test]
    fn fast_paths_match_slow_paths(prios in proptest::collection::vec(0i64..2, 3), ops in proptest::collection::vec(op(), 1..100)) {
        let slow = observe(&prios, &ops, false, false, true);
        prop_assert_eq!(&observe(&prios, &ops, true, false, true), &slow);
        prop_assert_eq!(&observe(&prios, &ops, true, true, true), &slow);
        prop_assert_eq!(&observe(&prios, &ops, false, true, true), &slow);
        // Unobserved, the typed entries take their own copy of each fast path:
        // the same steps and counters (the log is what is left out).
        let quiet = observe(&prios, &ops, false, false, false);
        prop_assert_eq!(&observe(&prios, &ops, true, true, false), &quiet);
        prop_assert_eq!(&quiet[..], &slow[..quiet.len()]);
    }
}
