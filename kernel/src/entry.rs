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

/// `WHICH` of the message-passing typed entries: `call`.
pub(crate) const CALL: bool = false;
/// `WHICH` of the message-passing typed entries: `reply_recv`.
pub(crate) const REPLY_RECV: bool = true;

/// The `Syscall` value of `call` or `reply_recv` (`WHICH`), for the general path.
#[inline(always)]
fn message_syscall<const WHICH: bool>(cap: CapId, msg: Message, timeout: Timeout) -> Syscall {
    if WHICH == REPLY_RECV {
        Syscall::ReplyRecv { cap, msg, timeout }
    } else {
        Syscall::Call { cap, msg, timeout }
    }
}

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
        self.message_entry::<CALL, true>(pid, cap, msg, timeout)
    }

    /// `reply_recv`: the same as [`Kernel::syscall`] with [`Syscall::ReplyRecv`].
    #[inline]
    pub fn reply_recv(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        self.message_entry::<REPLY_RECV, true>(pid, cap, msg, timeout)
    }

    /// `call` or `reply_recv` (`WHICH`) as [`Kernel::syscall`] routes it: the
    /// observed copy out of line, and inlined only where the compiler sees fit.
    #[inline]
    pub(crate) fn message_routed<const WHICH: bool>(
        &mut self,
        pid: Pid,
        cap: CapId,
        msg: Message,
        timeout: Timeout,
    ) -> Outcome {
        self.message_entry::<WHICH, false>(pid, cap, msg, timeout)
    }

    /// The typed entry of `call` or `reply_recv` (`WHICH`), with the observed
    /// copy of its fast path inlined (`INLINE`) or not.
    #[inline(always)]
    fn message_entry<const WHICH: bool, const INLINE: bool>(
        &mut self,
        pid: Pid,
        cap: CapId,
        msg: Message,
        timeout: Timeout,
    ) -> Outcome {
        if !self.typed_prologue(pid) {
            return self.syscall_general(pid, message_syscall::<WHICH>(cap, msg, timeout));
        }
        if self.observed {
            return if INLINE {
                self.message_observed::<WHICH>(pid, cap, msg, timeout)
            } else {
                self.message_observed_apart::<WHICH>(pid, cap, msg, timeout)
            };
        }
        match self.message_fast::<WHICH, false>(pid, cap, msg, timeout, false) {
            Ok(out) => out,
            Err(msg) => self.general(pid, message_syscall::<WHICH>(cap, msg, timeout), false),
        }
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
        let flow = self.sys_sem_post(pid, cap);
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

    /// The fast path of `call` or `reply_recv` (`WHICH`); `OBS` and
    /// `syscall` as `fast_call` takes them.
    #[inline(always)]
    fn message_fast<const WHICH: bool, const OBS: bool>(
        &mut self,
        pid: Pid,
        cap: CapId,
        msg: Message,
        timeout: Timeout,
        syscall: bool,
    ) -> Result<Outcome, Message> {
        if WHICH == REPLY_RECV {
            self.fast_reply_recv::<OBS>(pid, cap, msg, timeout, syscall)
        } else {
            self.fast_call::<OBS>(pid, cap, msg, timeout, syscall)
        }
    }

    #[inline(never)]
    fn message_observed_apart<const WHICH: bool>(
        &mut self,
        pid: Pid,
        cap: CapId,
        msg: Message,
        timeout: Timeout,
    ) -> Outcome {
        self.message_observed::<WHICH>(pid, cap, msg, timeout)
    }

    #[inline(always)]
    fn message_observed<const WHICH: bool>(&mut self, pid: Pid, cap: CapId, msg: Message, timeout: Timeout) -> Outcome {
        match self.message_fast::<WHICH, true>(pid, cap, msg, timeout, true) {
            Ok(out) => out,
            Err(msg) => {
                let name = if WHICH == REPLY_RECV { "reply_recv" } else { "call" };
                self.record_typed(pid, name, cap, Some(&msg.data));
                self.general(pid, message_syscall::<WHICH>(cap, msg, timeout), false)
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
