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
        self.call_by::<true>(pid, cap, msg, timeout)
    }

    /// [`Kernel::call`] as [`Kernel::syscall`] routes it: the observed copy
    /// out of line, and inlined only where the compiler sees fit.
    #[inline]
    pub(crate) fn call_routed(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        self.call_by::<false>(pid, cap, msg, timeout)
    }

    /// [`Kernel::call`], with the observed copy inlined (`INLINE`) or not.
    #[inline(always)]
    fn call_by<const INLINE: bool>(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        if !self.typed_prologue(pid) {
            return self.syscall_general(pid, Syscall::Call { cap, msg, timeout });
        }
        if self.observed {
            return if INLINE {
                self.call_observed(pid, cap, msg, timeout)
            } else {
                self.call_observed_apart(pid, cap, msg, timeout)
            };
        }
        self.call_fast(pid, cap, msg, timeout)
    }

    /// `reply_recv`: the same as [`Kernel::syscall`] with [`Syscall::ReplyRecv`].
    #[inline]
    pub fn reply_recv(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        self.reply_recv_by::<true>(pid, cap, msg, timeout)
    }

    /// [`Kernel::reply_recv`] as [`Kernel::syscall`] routes it: the observed copy
    /// out of line, and inlined only where the compiler sees fit.
    #[inline]
    pub(crate) fn reply_recv_routed(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        self.reply_recv_by::<false>(pid, cap, msg, timeout)
    }

    /// [`Kernel::reply_recv`], with the observed copy inlined (`INLINE`) or not.
    #[inline(always)]
    fn reply_recv_by<const INLINE: bool>(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        if !self.typed_prologue(pid) {
            return self.syscall_general(pid, Syscall::ReplyRecv { cap, msg, timeout });
        }
        if self.observed {
            return if INLINE {
                self.reply_recv_observed(pid, cap, msg, timeout)
            } else {
                self.reply_recv_observed_apart(pid, cap, msg, timeout)
            };
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

    // The message-passing entries keep two copies of their fast path: one
    // where the compiler knows nobody observes and drops every event site
    // (about a tenth of a round trip), and one for an observed call, which
    // records the call's `syscall` event with the fast path's other events as
    // one log entry, or, when the fast path declines (having changed
    // nothing), on its own before the general path. A caller of the typed
    // entry gets both inline: the events then cost what their stores cost
    // (out of line, the observed copy loses what the caller's code tells
    // the compiler, and a round trip cost the log 60% more instead of 30%).
    // `Kernel::syscall` routes here with the observed copy out of line:
    // two inlined copies of two fast paths in the dispatcher made every
    // unobserved call through it dearer (the runtime's round trip by 7%).

    #[inline(always)]
    fn call_fast(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        match self.fast_call::<false>(pid, cap, msg, timeout, false) {
            Ok(out) => out,
            Err(msg) => self.general(pid, Syscall::Call { cap, msg, timeout }, false),
        }
    }

    #[inline(never)]
    fn call_observed_apart(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        self.call_observed(pid, cap, msg, timeout)
    }

    #[inline(always)]
    fn call_observed(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        match self.fast_call::<true>(pid, cap, msg, timeout, true) {
            Ok(out) => out,
            Err(msg) => {
                self.record_typed(pid, "call", cap, Some(&msg.data));
                self.general(pid, Syscall::Call { cap, msg, timeout }, false)
            }
        }
    }

    #[inline(always)]
    fn reply_recv_fast(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        match self.fast_reply_recv::<false>(pid, cap, msg, timeout, false) {
            Ok(out) => out,
            Err(msg) => self.general(pid, Syscall::ReplyRecv { cap, msg, timeout }, false),
        }
    }

    #[inline(never)]
    fn reply_recv_observed_apart(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        self.reply_recv_observed(pid, cap, msg, timeout)
    }

    #[inline(always)]
    fn reply_recv_observed(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        match self.fast_reply_recv::<true>(pid, cap, msg, timeout, true) {
            Ok(out) => out,
            Err(msg) => {
                self.record_typed(pid, "reply_recv", cap, Some(&msg.data));
                self.general(pid, Syscall::ReplyRecv { cap, msg, timeout }, false)
            }
        }
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
