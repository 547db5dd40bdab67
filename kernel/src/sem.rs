//! Counting semaphores: P (`sem_wait`) and V (`sem_post`).
//!
//! The kernel remembers which processes hold units taken and not posted, so a
//! deadlock report can name them. A post hands its unit straight to the first
//! waiter (FIFO among equal priorities), so a unit is never stolen by a later
//! arrival.

use crate::kernel::{Flow, Kernel};
use crate::object::Body;
use crate::process::{Carry, Wait};
use crate::semop::SemOp;
use crate::{CapId, Error, ObjId, Pid, Ret, Rights, Timeout};

/// Largest semaphore value (Linux's SEMVMX).
pub const SEM_VALUE_MAX: u64 = 32767;

impl Kernel {
    /// P: `semop` of -1 on semaphore 0. A unit free with nobody waiting is
    /// taken here at once (the common case, kept as cheap as it was before
    /// sets); anything else goes through `semop`'s general rule.
    pub(crate) fn sys_sem_wait(&mut self, pid: Pid, cap: CapId, timeout: Timeout) -> Flow {
        let (obj, rights, _) = match self.need(pid, cap, Rights::WAIT) {
            Ok(x) => x,
            Err(f) => return f,
        };
        let prio = self.procs[pid.index()].priority;
        if let Some(o) = self.objs.get_mut(obj.0) {
            if let Body::Semaphore { value, waiters, .. } = &mut o.body {
                if *value > 0 && waiters.is_empty() {
                    *value -= 1;
                    o.hint_unit_holder(cap, rights);
                    self.hold_unit(pid, obj, 1);
                    return Flow::Done(Ok(Ret::Unit));
                }
                // No unit: a plain P waits, carrying nothing (its operation is implied).
                if *value == 0 {
                    if timeout.is_nowait() {
                        return Flow::Done(Err(Error::WouldBlock));
                    }
                    waiters.push(prio, pid);
                    return self.block(pid, Wait::Semaphore, Some(obj), Some(cap), timeout);
                }
            }
        }
        self.semop_cold(pid, cap, -1, timeout)
    }

    /// V: `semop` of +1 on semaphore 0 (the first waiter that can take the
    /// unit takes it at once). With nobody waiting, done here.
    pub(crate) fn sys_sem_post(&mut self, pid: Pid, cap: CapId) -> Flow {
        let obj = match self.lookup(pid, cap, Rights::POST) {
            Ok(n) => n.obj,
            Err(e) => return Flow::Done(Err(e)),
        };
        let Some(o) = self.objs.get_mut(obj.0) else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        let Body::Semaphore { value, waiters, others } = &mut o.body else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        let Some(w) = waiters.front() else {
            if *value >= SEM_VALUE_MAX {
                return Flow::Done(Err(Error::LimitReached));
            }
            *value += 1;
            self.hold_unit(pid, obj, -1);
            return Flow::Done(Ok(Ret::Unit));
        };
        // The first waiter is a plain P on a single semaphore at 0: the unit
        // goes straight to it, which is what the general rescan would decide
        // (nobody else could go at 0 before, and the value is 0 again after).
        // `complete_semop_waiter` does the same in general; called here it
        // cost 8% more instructions per explored run of lock_order_4x40.
        if *value == 0 && others.is_empty() && matches!(self.procs[w.index()].carry, Carry::Nothing) {
            waiters.pop();
            let through = self.procs[w.index()].blocked().and_then(|b| b.through);
            if let Some((c, n)) = through.and_then(|c| Some((c, self.caps.get(c.0)?))) {
                o.hint_unit_holder(c, n.rights);
            }
            self.hold_unit(pid, obj, -1);
            self.hold_unit(w, obj, 1);
            self.unblock_dequeued(w);
            self.finish_wait(w, Ok(Ret::Unit), true);
            return Flow::Done(Ok(Ret::Unit));
        }
        self.semop_cold(pid, cap, 1, Timeout::Never)
    }

    /// A P or V that its quick cases above do not cover (a set, a waiter
    /// that is not a plain P): `semop`'s general rule, out of line so the
    /// quick cases stay small.
    #[cold]
    #[inline(never)]
    fn semop_cold(&mut self, pid: Pid, cap: CapId, op: i64, timeout: Timeout) -> Flow {
        self.sys_semop(pid, cap, &[SemOp { num: 0, op }], false, timeout)
    }

    /// `delta` units of `obj` taken (positive) or given back (negative) by
    /// `pid`: who holds units, for deadlock reports.
    #[inline(always)]
    pub(crate) fn hold_unit(&mut self, pid: Pid, obj: ObjId, delta: i64) {
        let held = &mut self.procs[pid.index()].sem_held;
        if let Some(i) = held.iter().position(|(o, _)| *o == obj) {
            if delta > 0 {
                held[i].1 += delta as u64;
            } else if held[i].1 <= delta.unsigned_abs() {
                // Units are usually posted in the reverse order of taking them:
                // the last entry goes without a memmove.
                if i + 1 == held.len() {
                    held.pop();
                } else {
                    held.remove(i);
                }
            } else {
                held[i].1 -= delta.unsigned_abs();
            }
        } else if delta > 0 {
            held.push((obj, delta as u64));
        }
    }

    /// A semaphore's free units (None for another kind of object).
    pub fn sem_value(&self, obj: ObjId) -> Option<u64> {
        match self.objs.get(obj.0).map(|o| &o.body) {
            Some(Body::Semaphore { value, .. }) => Some(*value),
            _ => None,
        }
    }

    /// Processes holding units of a semaphore, for deadlock reports.
    pub fn sem_holders(&self, obj: ObjId) -> Vec<Pid> {
        self.procs
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.is_ended() && p.sem_held.iter().any(|(o, _)| *o == obj))
            .map(|(i, _)| Pid(i as u32))
            .collect()
    }
}
