//! System V semaphore sets as Linux runs them: `semop` (several operations on
//! the semaphores of one set, applied together or not at all; wait for zero;
//! `undo`, reversed when the process ends) and `semctl` (getval, setval,
//! getncnt, getzcnt).
//!
//! A semaphore object is a set of one or more values; `sem_wait`/`sem_post`
//! are `semop` of -1/+1 on semaphore 0. A blocked `semop` carries its
//! operations (`Carry::SemOps`); whenever a set's values change, its queue
//! is scanned in order and every waiter whose operations can all be applied
//! now completes (Linux `update_queue`), so a smaller request is never held
//! up behind a larger one that cannot go yet.

use crate::kernel::{Flow, Kernel};
use crate::object::Body;
use crate::process::{Carry, Wait};
use crate::sem::SEM_VALUE_MAX;
use crate::{CapId, Error, KResult, ObjId, Pid, Ret, Rights, Timeout};

/// Most operations in one `semop` (Linux's SEMOPM, 500 since 5.x).
pub const SEMOPM: usize = 500;
/// Most semaphores in one set (Linux's SEMMSL).
pub const SEMMSL: u32 = 32000;

/// One operation of a `semop` (Linux's `struct sembuf`, without its flags:
/// `undo` and `nowait` apply to the whole call).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemOp {
    /// Which semaphore of the set, from 0.
    pub num: u32,
    /// Negative: take that many (waits until the value is large enough);
    /// positive: give; 0: wait until the value is zero.
    pub op: i64,
}

/// What a `semctl` asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SemCmd {
    /// `GETVAL`: the value (needs read permission).
    GetVal,
    /// `SETVAL`: set the value (needs alter permission); every process's
    /// undo adjustment for that semaphore is cleared, as Linux does.
    SetVal(u64),
    /// `GETNCNT`: how many processes wait for the value to grow.
    GetNcnt,
    /// `GETZCNT`: how many processes wait for it to be zero.
    GetZcnt,
}

/// Why a set of operations cannot be applied now.
enum Stop {
    /// Operation `i` would wait (a value too small, or not zero).
    Waits(usize),
    /// A result beyond [`SEM_VALUE_MAX`] (Linux ERANGE).
    Range,
}

/// A set's values: on the stack for a single semaphore (`sem_wait` and
/// `sem_post` off their fast paths allocate nothing), else on the heap.
#[derive(Clone, Debug)]
enum Vals {
    One([u64; 1]),
    Many(Vec<u64>),
}

impl From<&[u64]> for Vals {
    fn from(v: &[u64]) -> Vals {
        match v {
            [x] => Vals::One([*x]),
            _ => Vals::Many(v.to_vec()),
        }
    }
}

impl std::ops::Deref for Vals {
    type Target = [u64];
    fn deref(&self) -> &[u64] {
        match self {
            Vals::One(v) => v,
            Vals::Many(v) => v,
        }
    }
}

impl std::ops::DerefMut for Vals {
    fn deref_mut(&mut self) -> &mut [u64] {
        match self {
            Vals::One(v) => v,
            Vals::Many(v) => v,
        }
    }
}

/// Applies `ops` to a copy of `vals`: the new values, or why not.
fn apply(vals: &[u64], ops: &[SemOp]) -> Result<Vals, Stop> {
    let mut v = Vals::from(vals);
    for (i, o) in ops.iter().enumerate() {
        let cur = v[o.num as usize] as i64;
        if o.op == 0 {
            if cur != 0 {
                return Err(Stop::Waits(i));
            }
            continue;
        }
        let next = cur.checked_add(o.op).ok_or(Stop::Range)?;
        if next < 0 {
            return Err(Stop::Waits(i));
        }
        if next > SEM_VALUE_MAX as i64 {
            return Err(Stop::Range);
        }
        v[o.num as usize] = next as u64;
    }
    Ok(v)
}

/// A `semop`'s operations as the language writes them (`0:-1 1:1 undo`), for traces.
pub fn ops_words(ops: &[SemOp], undo: bool) -> String {
    let mut w: Vec<String> = ops.iter().map(|o| format!("{}:{}", o.num, o.op)).collect();
    if undo {
        w.push("undo".into());
    }
    w.join(" ")
}

/// The operations of a plain `sem_wait`.
const P: [SemOp; 1] = [SemOp { num: 0, op: -1 }];

/// The rights a set of operations needs: take (negative) needs `wait`, give
/// (positive) `post`, wait-for-zero `read` (Linux: any nonzero operation
/// needs alter permission, zero ones read permission).
pub fn rights_for(ops: &[SemOp]) -> Rights {
    let mut r = Rights::empty();
    for o in ops {
        r |= match o.op {
            0 => Rights::READ,
            x if x < 0 => Rights::WAIT,
            _ => Rights::POST,
        };
    }
    r
}

impl Kernel {
    /// A semaphore set's values, in order (None for another kind of object).
    pub fn sem_values(&self, obj: ObjId) -> Option<Vec<u64>> {
        self.sem_vals(obj).map(|v| v.to_vec())
    }

    fn sem_vals(&self, obj: ObjId) -> Option<Vals> {
        match &self.objs.get(obj.0)?.body {
            Body::Semaphore { value, others, .. } if others.is_empty() => Some(Vals::One([*value])),
            Body::Semaphore { value, others, .. } => Some(Vals::Many(
                std::iter::once(*value).chain(others.iter().copied()).collect(),
            )),
            _ => None,
        }
    }

    fn set_sem_values(&mut self, obj: ObjId, vals: &[u64]) {
        if let Some(Body::Semaphore { value, others, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) {
            *value = vals[0];
            others.copy_from_slice(&vals[1..]);
        }
    }

    /// Whether waiter `w` of semaphore object `o` could apply its operations
    /// now (never, between system calls: an invariant).
    pub(crate) fn semop_could_go(&self, o: &crate::object::Object, w: Pid) -> bool {
        let Body::Semaphore { value, others, .. } = &o.body else {
            return false;
        };
        let vals: Vals = if others.is_empty() {
            Vals::One([*value])
        } else {
            Vals::Many(std::iter::once(*value).chain(others.iter().copied()).collect())
        };
        apply(&vals, self.waiting_ops(w)).is_ok()
    }

    /// The operations `w` waits to apply (a plain `sem_wait` carries none: -1 on 0).
    fn waiting_ops(&self, w: Pid) -> &[SemOp] {
        match &self.procs[w.index()].carry {
            Carry::SemOps { ops, .. } => ops,
            _ => &P,
        }
    }

    /// `semop CAP OPS [undo]`: every operation applied, or none.
    pub(crate) fn sys_semop(&mut self, pid: Pid, cap: CapId, ops: &[SemOp], undo: bool, timeout: Timeout) -> Flow {
        if ops.is_empty() {
            return Flow::Done(Err(Error::InvalidArgument));
        }
        if ops.len() > SEMOPM {
            return Flow::Done(Err(Error::LimitReached));
        }
        let (obj, rights, _) = match self.need(pid, cap, rights_for(ops)) {
            Ok(x) => x,
            Err(f) => return f,
        };
        let Some(vals) = self.sem_vals(obj) else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        // Linux EFBIG: a semaphore the set does not have; sem_op is a short.
        if ops
            .iter()
            .any(|o| o.num as usize >= vals.len() || i16::try_from(o.op).is_err())
        {
            return Flow::Done(Err(Error::InvalidArgument));
        }
        if undo && !self.undo_fits(pid, obj, ops) {
            return Flow::Done(Err(Error::LimitReached));
        }
        match apply(&vals, ops) {
            Ok(new) => {
                self.commit_semop(pid, obj, ops, undo, &new);
                if let Some(o) = self.objs.get(obj.0) {
                    if ops.iter().any(|o| o.op < 0) {
                        o.hint_unit_holder(cap, rights);
                    }
                }
                let waiting = matches!(self.objs.get(obj.0).map(|o| &o.body),
                    Some(Body::Semaphore { waiters, .. }) if !waiters.is_empty());
                if waiting && ops.iter().any(|o| o.op != 0) {
                    self.update_sem_queue(obj);
                }
                Flow::Done(Ok(Ret::Unit))
            }
            Err(Stop::Range) => Flow::Done(Err(Error::LimitReached)),
            Err(Stop::Waits(_)) if timeout.is_nowait() => Flow::Done(Err(Error::WouldBlock)),
            Err(Stop::Waits(i)) => {
                let wait = if ops[i].op == 0 { Wait::SemZero } else { Wait::Semaphore };
                let prio = self.procs[pid.index()].priority;
                if let Some(Body::Semaphore { waiters, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) {
                    waiters.push(prio, pid);
                }
                // A plain P waits with nothing carried (the common case, no allocation).
                if undo || ops != P {
                    self.procs[pid.index()].carry = Carry::SemOps { ops: ops.into(), undo };
                }
                self.block(pid, wait, Some(obj), Some(cap), timeout)
            }
        }
    }

    /// Whether `pid`'s undo adjustments stay within ±32767 after `ops`
    /// (Linux: ERANGE otherwise, before any effect). Checked when the call is
    /// made: while it waits only `setval` touches them, toward 0.
    fn undo_fits(&self, pid: Pid, obj: ObjId, ops: &[SemOp]) -> bool {
        let adj = &self.procs[pid.index()].sem_undo;
        let mut next: Vec<(u32, i64)> = Vec::new();
        for o in ops {
            let cur = match next.iter().position(|(n, _)| *n == o.num) {
                Some(i) => next[i].1,
                None => adj.iter().find(|(b, n, _)| *b == obj && *n == o.num).map_or(0, |a| a.2),
            };
            let v = cur - o.op;
            if !(-(SEM_VALUE_MAX as i64) - 1..=SEM_VALUE_MAX as i64).contains(&v) {
                return false;
            }
            match next.iter_mut().find(|(n, _)| *n == o.num) {
                Some(e) => e.1 = v,
                None => next.push((o.num, v)),
            }
        }
        true
    }

    /// Writes the new values of a `semop` that applies, and what it leaves
    /// behind: units held (for deadlock reports), undo adjustments.
    fn commit_semop(&mut self, pid: Pid, obj: ObjId, ops: &[SemOp], undo: bool, new: &[u64]) {
        self.set_sem_values(obj, new);
        for o in ops.iter().filter(|o| o.op != 0) {
            self.hold_unit(pid, obj, -o.op);
            if undo {
                let adj = &mut self.procs[pid.index()].sem_undo;
                match adj.iter_mut().find(|(b, n, _)| *b == obj && *n == o.num) {
                    Some(a) => a.2 -= o.op,
                    None => adj.push((obj, o.num, -o.op)),
                }
            }
        }
    }

    /// After a set's values changed: completes, in queue order, every waiter
    /// whose operations can all be applied now, starting over after each one
    /// that changed a value (it may have let an earlier waiter go).
    pub(crate) fn update_sem_queue(&mut self, obj: ObjId) {
        'scan: loop {
            let Some(vals) = self.sem_vals(obj) else { return };
            // By position, not a copy of the queue: a completed waiter leaves
            // it, and the next one takes its place.
            let mut i = 0;
            loop {
                let Some(Body::Semaphore { waiters, .. }) = self.objs.get(obj.0).map(|o| &o.body) else {
                    return;
                };
                let Some(w) = waiters.get(i) else { return };
                match apply(&vals, self.waiting_ops(w)) {
                    Ok(new) => {
                        if self.complete_semop_waiter(obj, w, &new) {
                            continue 'scan;
                        }
                    }
                    Err(_) => i += 1,
                }
            }
        }
    }

    /// Applies the operations waiter `w` of `obj` waits for (`new`: the
    /// values after them) and wakes it. True if they changed a value.
    fn complete_semop_waiter(&mut self, obj: ObjId, w: Pid, new: &[u64]) -> bool {
        // A plain P carries nothing: its operations are `P`, with no allocation.
        let carried = match std::mem::take(&mut self.procs[w.index()].carry) {
            Carry::SemOps { ops, undo } => Some((ops, undo)),
            other => {
                self.procs[w.index()].carry = other;
                None
            }
        };
        let (ops, undo): (&[SemOp], bool) = match &carried {
            Some((ops, undo)) => (ops, *undo),
            None => (&P, false),
        };
        if let Some(Body::Semaphore { waiters, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) {
            waiters.remove(w);
        }
        let through = self.procs[w.index()].blocked().and_then(|b| b.through);
        if let Some((c, n)) = through.and_then(|c| Some((c, self.caps.get(c.0)?))) {
            if ops.iter().any(|o| o.op < 0) {
                if let Some(o) = self.objs.get(obj.0) {
                    o.hint_unit_holder(c, n.rights);
                }
            }
        }
        self.commit_semop(w, obj, ops, undo, new);
        let altered = ops.iter().any(|o| o.op != 0);
        self.unblock_dequeued(w);
        self.finish_wait(w, Ok(Ret::Unit), true);
        altered
    }

    /// `semctl CAP CMD N`.
    pub(crate) fn sys_semctl(&mut self, pid: Pid, cap: CapId, num: u32, cmd: SemCmd) -> KResult<Ret> {
        let need = match cmd {
            SemCmd::SetVal(_) => Rights::WAIT | Rights::POST,
            _ => Rights::READ,
        };
        let obj = self.lookup(pid, cap, need)?.obj;
        let vals = self.sem_vals(obj).ok_or(Error::InvalidArgument)?;
        let n = num as usize;
        if n >= vals.len() {
            return Err(Error::InvalidArgument);
        }
        match cmd {
            SemCmd::GetVal => Ok(Ret::Int(vals[n] as i64)),
            SemCmd::SetVal(v) => {
                if v > SEM_VALUE_MAX {
                    return Err(Error::LimitReached);
                }
                let mut new = vals;
                new[n] = v;
                self.set_sem_values(obj, &new);
                for p in &mut self.procs {
                    p.sem_undo.retain(|(o, k, _)| !(*o == obj && *k == num));
                }
                self.update_sem_queue(obj);
                Ok(Ret::Unit)
            }
            SemCmd::GetNcnt | SemCmd::GetZcnt => {
                let zero = cmd == SemCmd::GetZcnt;
                let Some(Body::Semaphore { waiters, .. }) = self.objs.get(obj.0).map(|o| &o.body) else {
                    return Err(Error::InvalidArgument);
                };
                // A waiter counts on the semaphore whose operation holds it up
                // (SUSv3; Linux since 4.1), as its operations stand now.
                let count = waiters
                    .iter()
                    .filter(|w| {
                        let ops = self.waiting_ops(*w);
                        matches!(apply(&vals, ops), Err(Stop::Waits(i))
                            if ops[i].num == num && (ops[i].op == 0) == zero)
                    })
                    .count();
                Ok(Ret::Int(count as i64))
            }
        }
    }

    /// Records the undo adjustments a process ending is about to have
    /// applied (before its end, so nothing of it is traced after).
    pub(crate) fn record_semundo(&mut self, pid: Pid) {
        for i in 0..self.procs[pid.index()].sem_undo.len() {
            let (obj, num, delta) = self.procs[pid.index()].sem_undo[i];
            if delta != 0 && self.objs.get(obj.0).is_some() {
                self.record(pid, || crate::EventKind::SemUndo { obj, num, delta });
            }
        }
    }

    /// A process ends: its undo adjustments are applied (each value kept
    /// within 0 and the maximum, as Linux's `exit_sem` clamps), and waiters
    /// that can go now go.
    pub(crate) fn undo_semops(&mut self, pid: Pid) {
        let adj = std::mem::take(&mut self.procs[pid.index()].sem_undo);
        let mut touched: Vec<ObjId> = Vec::new();
        for (obj, num, d) in adj {
            let Some(mut vals) = self.sem_vals(obj) else { continue };
            let Some(v) = vals.get_mut(num as usize) else { continue };
            *v = (*v as i64).saturating_add(d).clamp(0, SEM_VALUE_MAX as i64) as u64;
            self.set_sem_values(obj, &vals);
            if !touched.contains(&obj) {
                touched.push(obj);
            }
        }
        for obj in touched {
            self.update_sem_queue(obj);
        }
    }
}
