//! Typed entries for the system calls processes loop on: `call`,
//! `reply_recv`, `sem_wait` and `sem_post` without building a [`Syscall`].
//!
//! [`Kernel::syscall`] takes every call as one enum: the caller assembles a
//! 96-byte value, the kernel moves it on to the handler, and drops it after.
//! In a round trip that plumbing cost about as much as the work. A typed entry
//! takes the call's own arguments, counts it and records its `syscall`
//! event as [`Kernel::syscall`] would, and goes straight to its fast path
//! (`fastpath.rs`). When the fast path declines (it changes nothing when
//! it does), `call` and `reply_recv` build a `Syscall` for the general path;
//! the semaphore entries call their handler and the general path's ending
//! (`Kernel::finish_call`) directly, as `dispatch` would. With the fast paths
//! off, fault injection on, or a caller that is not running, the entry
//! takes the general entry whole. [`Kernel::syscall`] itself routes these
//! four calls here, so there is one path per call whichever door it came
//! through; the model tests hold the fast paths to the general ones (fast
//! paths off) with the log on and off.

use crate::event::EventKind;
use crate::kernel::Kernel;
use crate::syscall::Syscall;
use crate::{CapId, Data, Message, Outcome, Pid, Ret, Timeout};

impl Kernel {
    /// The part of [`Kernel::syscall`] before its fast paths, for a typed
    /// entry: false (nothing done) when the fast paths are off, faults are
    /// injected or `pid` is not running, and the entry then goes through
    /// `syscall` whole. True when the call is counted; the entry then records
    /// its `syscall` event if anyone observes (kept apart so the message's
    /// address is taken only on that cold path).
    #[inline(always)]
    fn typed_prologue(&mut self, pid: Pid) -> bool {
        self.refresh_observed();
        if !self.fastpath_allowed() || self.faults_on || self.current != Some(pid) {
            return false;
        }
        self.stats.syscalls += 1;
        true
    }

    /// The `syscall` event a typed entry's call records (the one
    /// [`Kernel::syscall`] records for the same call).
    #[inline(never)]
    fn record_typed(&mut self, pid: Pid, name: &'static str, cap: CapId, data: Option<&Data>) {
        let obj = self.caps.get(cap.0).map(|n| n.obj);
        self.record(pid, || EventKind::Syscall {
            name,
            obj,
            data: data.cloned(),
            arg: None,
        });
    }

    /// `call`: the same as [`Kernel::syscall`] with [`Syscall::Call`].
    #[inline]
    pub fn call(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        if !self.typed_prologue(pid) {
            return self.syscall_general(pid, Syscall::Call { cap, msg, timeout });
        }
        if self.observed {
            return self.call_observed(pid, cap, msg, timeout);
        }
        self.call_fast(pid, cap, msg, timeout)
    }

    /// `reply_recv`: the same as [`Kernel::syscall`] with [`Syscall::ReplyRecv`].
    #[inline]
    pub fn reply_recv(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        if !self.typed_prologue(pid) {
            return self.syscall_general(pid, Syscall::ReplyRecv { cap, msg, timeout });
        }
        if self.observed {
            return self.reply_recv_observed(pid, cap, msg, timeout);
        }
        self.reply_recv_fast(pid, cap, msg, timeout)
    }

    /// `sem_wait`: the same as [`Kernel::syscall`] with [`Syscall::SemWait`].
    #[inline]
    pub fn sem_wait(&mut self, pid: Pid, cap: CapId, timeout: Timeout) -> Outcome {
        if !self.typed_prologue(pid) {
            return self.syscall_general(pid, Syscall::SemWait { cap, timeout });
        }
        if self.observed {
            self.record_typed(pid, "sem_wait", cap, None);
        }
        if self.fast_sem(pid, cap, true) {
            return self.fast_sem_done(pid);
        }
        // `general` with `dispatch`'s arm for this call, without the enum:
        // a semaphore wait that blocks is as common as one that does not.
        let flow = self.sys_sem_wait(pid, cap, timeout);
        self.finish_call(pid, flow, self.cfg.costs.syscall_ticks, false)
    }

    /// `sem_post`: the same as [`Kernel::syscall`] with [`Syscall::SemPost`].
    #[inline]
    pub fn sem_post(&mut self, pid: Pid, cap: CapId) -> Outcome {
        if !self.typed_prologue(pid) {
            return self.syscall_general(pid, Syscall::SemPost { cap });
        }
        if self.observed {
            self.record_typed(pid, "sem_post", cap, None);
        }
        if self.fast_sem(pid, cap, false) {
            return self.fast_sem_done(pid);
        }
        // As in `sem_wait`: a post that wakes a waiter, without the enum.
        let flow = crate::kernel::Flow::Done(self.sys_sem_post(pid, cap));
        self.finish_call(pid, flow, self.cfg.costs.syscall_ticks, false)
    }

    // The message-passing entries keep two copies of their fast path: inline,
    // where the compiler knows nobody observes and drops every event site
    // (about a tenth of a round trip), and out of line, after recording.

    #[inline(always)]
    fn call_fast(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        match self.fast_call(pid, cap, msg, timeout) {
            Ok(out) => out,
            Err(msg) => self.general(pid, Syscall::Call { cap, msg, timeout }, false),
        }
    }

    #[inline(never)]
    fn call_observed(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        self.record_typed(pid, "call", cap, Some(&msg.data));
        self.call_fast(pid, cap, msg, timeout)
    }

    #[inline(always)]
    fn reply_recv_fast(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        match self.fast_reply_recv(pid, cap, msg, timeout) {
            Ok(out) => out,
            Err(msg) => self.general(pid, Syscall::ReplyRecv { cap, msg, timeout }, false),
        }
    }

    #[inline(never)]
    fn reply_recv_observed(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        self.record_typed(pid, "reply_recv", cap, Some(&msg.data));
        self.reply_recv_fast(pid, cap, msg, timeout)
    }

    /// After a semaphore fast path: nobody was readied, so only the seeded
    /// scheduler may switch here.
    #[inline]
    pub(crate) fn fast_sem_done(&mut self, pid: Pid) -> Outcome {
        if self.seeded_preempt(pid) {
            self.procs[pid.index()].result = Some(Ok(Ret::Unit));
            return Outcome::Switched;
        }
        Outcome::Done(Ok(Ret::Unit))
    }
}
