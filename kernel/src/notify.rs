//! Notifications: an asynchronous word of signal bits.
//!
//! `signal` ORs bits in and never blocks; `wait` takes the whole non-zero word
//! and clears it, blocking while it is zero. Bits that arrive while nobody
//! waits accumulate; nothing is queued per signal.

use crate::kernel::{Flow, Kernel};
use crate::object::Body;
use crate::process::Wait;
use crate::{CapId, Error, Pid, Ret, Rights, Timeout};

impl Kernel {
    pub(crate) fn sys_signal(&mut self, pid: Pid, cap: CapId, bits: u64) -> Flow {
        let (obj, _, _) = match self.need(pid, cap, Rights::SIGNAL) {
            Ok(x) => x,
            Err(f) => return f,
        };
        if !matches!(self.objs.get(obj.0).map(|o| &o.body), Some(Body::Notification { .. })) {
            return Flow::Done(Err(Error::InvalidArgument));
        }
        self.signal_bits(obj, bits);
        Flow::Done(Ok(Ret::Unit))
    }

    /// ORs bits into a notification's word, handing the word to the first waiter.
    pub(crate) fn signal_bits(&mut self, obj: crate::ObjId, bits: u64) {
        let Some(Body::Notification { word, waiters }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) else {
            return;
        };
        *word |= bits;
        if *word != 0 {
            if let Some(w) = waiters.pop() {
                let taken = std::mem::take(word);
                self.unblock_dequeued(w);
                self.finish_wait(w, Ok(Ret::Word(taken)), true);
            }
        }
    }

    /// `watch`: the end of `target` will OR `bits` into the notification.
    pub(crate) fn sys_watch(&mut self, pid: Pid, target: Pid, cap: CapId, bits: u64) -> crate::KResult<Ret> {
        let obj = self.lookup(pid, cap, Rights::SIGNAL)?.obj;
        if !matches!(self.objs.get(obj.0).map(|o| &o.body), Some(Body::Notification { .. })) {
            return Err(Error::InvalidArgument);
        }
        let t = self.procs.get(target.index()).ok_or(Error::NotFound)?;
        if t.host != self.procs[pid.index()].host {
            return Err(Error::NotFound);
        }
        if t.is_ended() {
            // Already over: tell the watcher at once rather than never.
            self.signal_bits(obj, bits);
            return Ok(Ret::Unit);
        }
        self.procs[target.index()].watchers.push((obj, bits));
        if let Some(o) = self.objs.get_mut(obj.0) {
            o.watched.push(target);
            self.open_objs.insert(obj);
        }
        Ok(Ret::Unit)
    }

    pub(crate) fn sys_wait(&mut self, pid: Pid, cap: CapId, timeout: Timeout) -> Flow {
        let (obj, _, _) = match self.need(pid, cap, Rights::WAIT) {
            Ok(x) => x,
            Err(f) => return f,
        };
        let prio = self.procs[pid.index()].priority;
        let Some(Body::Notification { word, waiters }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        if *word != 0 {
            return Flow::Done(Ok(Ret::Word(std::mem::take(word))));
        }
        if timeout.is_nowait() {
            return Flow::Done(Err(Error::WouldBlock));
        }
        waiters.push(prio, pid);
        self.block(pid, Wait::Notification, Some(obj), Some(cap), timeout)
    }
}
