//! Counting semaphores: P (`sem_wait`) and V (`sem_post`).
//!
//! The kernel remembers which processes hold units taken and not posted, so a
//! deadlock report can name them. A post hands its unit straight to the first
//! waiter (FIFO among equal priorities), so a unit is never stolen by a later
//! arrival.

use crate::kernel::{Flow, Kernel};
use crate::object::Body;
use crate::process::Wait;
use crate::{CapId, Error, KResult, ObjId, Pid, Ret, Rights, Timeout};

/// Largest semaphore value (Linux's SEMVMX).
pub const SEM_VALUE_MAX: u64 = 32767;

impl Kernel {
    pub(crate) fn sys_sem_wait(&mut self, pid: Pid, cap: CapId, timeout: Timeout) -> Flow {
        let (obj, rights, _) = match self.need(pid, cap, Rights::WAIT) {
            Ok(x) => x,
            Err(f) => return f,
        };
        let prio = self.procs[pid.index()].priority;
        let Some(o) = self.objs.get_mut(obj.0) else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        let Body::Semaphore { value, waiters } = &mut o.body else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        if *value > 0 {
            *value -= 1;
            o.hint_unit_holder(cap, rights);
            self.hold_unit(pid, obj, 1);
            return Flow::Done(Ok(Ret::Unit));
        }
        if timeout.is_nowait() {
            return Flow::Done(Err(Error::WouldBlock));
        }
        waiters.push(prio, pid);
        self.block(pid, Wait::Semaphore, Some(obj), Some(cap), timeout)
    }

    pub(crate) fn sys_sem_post(&mut self, pid: Pid, cap: CapId) -> KResult<Ret> {
        let obj = self.lookup(pid, cap, Rights::POST)?.obj;
        let Some(o) = self.objs.get_mut(obj.0) else {
            return Err(Error::InvalidArgument);
        };
        let Body::Semaphore { value, waiters } = &mut o.body else {
            return Err(Error::InvalidArgument);
        };
        let next = waiters.pop();
        match next {
            None => {
                if *value >= SEM_VALUE_MAX {
                    return Err(Error::LimitReached);
                }
                *value += 1;
            }
            Some(w) => {
                // The unit goes to `w`, through the capability it waits with.
                let through = self.procs[w.index()].blocked().and_then(|b| b.through);
                if let Some((c, n)) = through.and_then(|c| Some((c, self.caps.get(c.0)?))) {
                    o.hint_unit_holder(c, n.rights);
                }
            }
        }
        self.hold_unit(pid, obj, -1);
        if let Some(w) = next {
            self.hold_unit(w, obj, 1);
            self.unblock_dequeued(w);
            self.finish_wait(w, Ok(Ret::Unit), true);
        }
        Ok(Ret::Unit)
    }

    pub(crate) fn hold_unit(&mut self, pid: Pid, obj: ObjId, delta: i64) {
        let held = &mut self.procs[pid.index()].sem_held;
        if let Some(i) = held.iter().position(|(o, _)| *o == obj) {
            if delta > 0 {
                held[i].1 += 1;
            } else if held[i].1 <= 1 {
                // Units are usually posted in the reverse order of taking them:
                // the last entry goes without a memmove.
                if i + 1 == held.len() {
                    held.pop();
                } else {
                    held.remove(i);
                }
            } else {
                held[i].1 -= 1;
            }
        } else if delta > 0 {
            held.push((obj, 1));
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
