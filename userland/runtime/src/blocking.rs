//! `BlockingSys`: a blocking process's handle on the kernel, one method per
//! system call that returns when the kernel completes the call.
//!
//! The methods of the system calls themselves are listed with the async
//! [`crate::Sys`]'s in `calls.rs`; this file holds what they share (entering
//! the kernel, waiting for the baton) and the calls that are not system calls
//! (queries, prints, signals, spawning).

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::Arc;

use ipcsim_kernel::{
    CapId, Ending, Error, Kernel, ObjId, Outcome, Pid, ProcessSpec, Ret, Rights, Signal, SysResult, Syscall, Time,
};
use parking_lot::{Condvar, MutexGuard};

use crate::baton::{wait_for_baton, Holder, State, World};
use crate::sys::{FromRet, Issue};
use crate::ProcResult;

/// How many calls a body may make after it was told [`Error::Ended`] before
/// its thread is unwound: a body that ignores the error and calls on must not
/// keep the run from ending.
const REFUSALS_MAX: u32 = 1000;

/// The panic payload that unwinds a body which calls on after its end (never
/// reported as a panic: its process has ended already).
pub(crate) struct Unwind;

/// How a blocking process's thread is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadSpec {
    /// The thread's stack, in bytes (default [`crate::DEFAULT_STACK_SIZE`]).
    pub stack_size: usize,
}

impl Default for ThreadSpec {
    fn default() -> Self {
        ThreadSpec {
            stack_size: crate::DEFAULT_STACK_SIZE,
        }
    }
}

/// A blocking process's handle on the kernel: the same system calls as
/// [`crate::Sys`], each returning when the kernel completes it.
///
/// Only the thread holding the baton runs, so a body is plain sequential
/// code. The handle stays on its process's thread (it is neither `Send` nor
/// `Sync`): a call from any other thread could not be ordered by the kernel.
/// Once the process has ended (killed, or the run is over) every call fails
/// [`Error::Ended`] and changes nothing; a body that calls on regardless is
/// unwound.
pub struct BlockingSys {
    pid: Pid,
    world: Arc<World>,
    cv: Arc<Condvar>,
    refusals: Cell<u32>,
    _on_its_thread: PhantomData<std::rc::Rc<()>>,
}

impl BlockingSys {
    pub(crate) fn new(pid: Pid, world: Arc<World>, cv: Arc<Condvar>) -> Self {
        BlockingSys {
            pid,
            world,
            cv,
            refusals: Cell::new(0),
            _on_its_thread: PhantomData,
        }
    }

    /// This process's id.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Virtual time now (not a system call).
    pub fn now(&self) -> Time {
        self.world.state.lock().kernel.now()
    }

    /// Runs `f` with the kernel borrowed (for queries; not a system call).
    pub fn with_kernel<R>(&self, f: impl FnOnce(&Kernel) -> R) -> R {
        f(&self.world.state.lock().kernel)
    }

    /// The `i`-th capability this process was given before it started, in
    /// grant order; [`CapId::NONE`] past the end.
    pub fn boot_cap(&self, i: usize) -> CapId {
        self.with_kernel(|k| k.boot_caps(self.pid).get(i).copied().unwrap_or(CapId::NONE))
    }

    /// Issues any system call.
    pub fn syscall(&self, call: Syscall) -> SysResult {
        self.enter(call)
    }

    /// Ends this step without a system call, as [`crate::Sys::pause`] does:
    /// the process keeps the CPU, but the step counts against the step limit.
    pub fn pause(&self) {
        let mut st = self.world.state.lock();
        if self.refused(&st) {
            return;
        }
        // Run again at once (nothing was asked of the kernel, so no result).
        let _ = self.step_again(&mut st, false);
    }

    /// Takes the next caught signal whose handler must run now (not a system call).
    pub fn take_signal(&self) -> Option<Signal> {
        self.mutate(|k, pid| k.take_signal(pid)).flatten()
    }

    /// Takes the next caught signal and starts its handler (see [`crate::Sys::begin_handler`]).
    pub fn begin_handler(&self) -> Option<(Signal, bool)> {
        self.mutate(|k, pid| k.begin_handler(pid)).flatten()
    }

    /// The handler of `signal` ended: one that arrived meanwhile is delivered now.
    pub fn end_handler(&self, signal: Signal) {
        self.mutate(|k, pid| k.end_handler(pid, signal));
    }

    /// Records a line in the trace (not a system call).
    pub fn print(&self, text: String) {
        self.mutate(|k, pid| k.note(pid, text));
    }

    /// Spawns a blocking process running `body` on a thread of the default
    /// [`ThreadSpec`], with fresh capabilities `grants` and copies of `share`
    /// (as [`crate::Sys::spawn`]).
    pub fn spawn(
        &self,
        spec: ProcessSpec,
        share: Vec<CapId>,
        grants: Vec<(ObjId, Rights, u64)>,
        body: impl FnOnce(&BlockingSys) -> ProcResult + Send + 'static,
    ) -> Result<Pid, Error> {
        let stack = self.world.state.lock().stack_size;
        self.spawn_with(spec, ThreadSpec { stack_size: stack }, share, grants, body)
    }

    /// [`BlockingSys::spawn`] on a thread made as `thread` says.
    pub fn spawn_with(
        &self,
        spec: ProcessSpec,
        thread: ThreadSpec,
        share: Vec<CapId>,
        grants: Vec<(ObjId, Rights, u64)>,
        body: impl FnOnce(&BlockingSys) -> ProcResult + Send + 'static,
    ) -> Result<Pid, Error> {
        let name = spec.name.clone();
        let mut st = self.world.state.lock();
        if self.refused(&st) {
            return Err(Error::Ended);
        }
        // Checked before the kernel creates anything.
        if !st.has_room() {
            return Err(Error::LimitReached);
        }
        let child = Pid(st.kernel.process_count() as u32);
        let first = st.kernel.syscall(self.pid, Syscall::Spawn { spec, share, grants });
        if st.kernel.process_count() > child.index() {
            if let Err(e) = self
                .world
                .start(&mut st, child, &name, thread.stack_size, Box::new(body))
            {
                // The OS refused a thread: the child ends before it runs.
                st.kernel.exit(child, Ending::Failed(e));
            }
        }
        let r = match first {
            Outcome::Done(r) => r,
            Outcome::Switched => self.step_again(&mut st, true),
        };
        match r? {
            Ret::Pid(p) => Ok(p),
            _ => Err(Error::InvalidArgument),
        }
    }

    /// Issues `call` and converts its result (the system call methods).
    #[inline]
    pub(crate) fn issue<T: FromRet>(&self, call: impl Issue) -> Result<T, Error> {
        T::from_ret(self.enter(call))
    }

    /// Issues a call and waits, the baton passed on, until the kernel runs
    /// this process again with its result.
    fn enter(&self, call: impl Issue) -> SysResult {
        let mut st = self.world.state.lock();
        if self.refused(&st) {
            return Err(Error::Ended);
        }
        debug_assert_eq!(st.holder, Holder::Proc(self.pid), "a blocking call without the baton");
        match call.issue(&mut st.kernel, self.pid) {
            Outcome::Done(r) => r,
            Outcome::Switched => self.step_again(&mut st, true),
        }
    }

    /// This process's step ended (the kernel switched it out, or it paused):
    /// the baton moves on, and comes back when the kernel runs this process
    /// again; then its call's result is taken, if `result` says it has one.
    fn step_again(&self, st: &mut MutexGuard<'_, State>, result: bool) -> SysResult {
        loop {
            self.world.step_ended(st);
            wait_for_baton(st, &self.cv, self.pid);
            if st.over {
                return Err(Error::Ended);
            }
            if !result {
                return Ok(Ret::Unit);
            }
            if let Some(r) = st.kernel.take_result(self.pid) {
                return r;
            }
            // Run with its result not stored yet: the step ends again, as an
            // async call polled too early is pending again.
        }
    }

    /// Whether a call must be refused: the process has ended. Counts the
    /// refusals, and unwinds a body that calls on after many.
    fn refused(&self, st: &State) -> bool {
        if !st.over && st.kernel.ending(self.pid).is_none() {
            return false;
        }
        let n = self.refusals.get() + 1;
        self.refusals.set(n);
        if n > REFUSALS_MAX {
            std::panic::resume_unwind(Box::new(Unwind));
        }
        true
    }

    /// Runs `f` on the kernel for this process unless it has ended.
    fn mutate<R>(&self, f: impl FnOnce(&mut Kernel, Pid) -> R) -> Option<R> {
        let mut st = self.world.state.lock();
        if self.refused(&st) {
            return None;
        }
        Some(f(&mut st.kernel, self.pid))
    }
}
