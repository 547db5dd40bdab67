//! `Sys`: a process's handle on the kernel, one async method per system call.
//!
//! A call submits itself on first poll; if the kernel answers `Done`, the
//! future is ready at once and the process keeps running in the same poll (no
//! round trip through the executor). Otherwise it returns `Pending`, and is
//! polled again only when the kernel schedules the process, with its result
//! stored in the kernel.
//!
//! `call` and `reply_recv`, the calls a server and its clients loop on, enter
//! the kernel by its typed entries ([`Issue`]); every other call by a
//! [`Syscall`] value. [`Sys::enter`] lets a caller (the scenario interpreter)
//! sort the kernel's answer where it is returned, without moving it.

use std::cell::RefCell;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use ipcsim_kernel::{
    CapId, Data, Error, Kernel, Message, Outcome, Pid, ProcessSpec, Ret, Signal, SysResult, Syscall, Time,
};

use crate::executor::{ProcFuture, Shared};
use crate::ProcResult;

/// A process's handle on the kernel.
#[derive(Clone)]
pub struct Sys {
    pub(crate) pid: Pid,
    pub(crate) shared: Rc<Shared>,
}

/// How a [`SysCall`] enters the kernel: a [`Syscall`] value through
/// [`Kernel::syscall`], or a closure calling one of the kernel's typed
/// entries ([`Kernel::call`], [`Kernel::sem_wait`]...), which take the call's
/// own arguments instead of a 96-byte enum to build, move and match.
pub trait Issue {
    /// Issues the call for `pid`.
    fn issue(self, k: &mut Kernel, pid: Pid) -> Outcome;
}

impl Issue for Syscall {
    #[inline]
    fn issue(self, k: &mut Kernel, pid: Pid) -> Outcome {
        k.syscall(pid, self)
    }
}

impl<F: FnOnce(&mut Kernel, Pid) -> Outcome> Issue for F {
    #[inline]
    fn issue(self, k: &mut Kernel, pid: Pid) -> Outcome {
        self(k, pid)
    }
}

/// The future of one system call. It borrows its process's [`Sys`] (no
/// reference count to move per call).
pub struct SysCall<'a, I = Syscall> {
    pid: Pid,
    shared: &'a Shared,
    call: Option<I>,
    /// Submitted elsewhere and switched out: the first poll must yield to the
    /// executor (the result may already be stored, but the process must wait
    /// until the kernel schedules it, e.g. after a `compute`).
    switched: bool,
}

impl<I: Issue + Unpin> Future for SysCall<'_, I> {
    type Output = SysResult;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<SysResult> {
        let this = &mut *self;
        if std::mem::take(&mut this.switched) {
            return Poll::Pending;
        }
        let mut k = this.shared.kernel.borrow_mut();
        if let Some(call) = this.call.take() {
            debug_assert_running(&k, this.pid);
            return match call.issue(&mut k, this.pid) {
                Outcome::Done(r) => Poll::Ready(r),
                Outcome::Switched => Poll::Pending,
            };
        }
        match k.take_result(this.pid) {
            Some(r) => Poll::Ready(r),
            None => Poll::Pending,
        }
    }
}

/// A future that gives the executor one step and then is ready: see [`Sys::pause`].
#[derive(Debug)]
pub struct Pause {
    paused: bool,
}

impl Future for Pause {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.paused, true) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// What a [`Sys`] method's call returns, taken from the kernel's result (a
/// result of another shape is `InvalidArgument`). A trait rather than a
/// function pointer in [`Mapped`], so the conversion is inlined.
pub trait FromRet: Sized {
    /// The conversion.
    fn from_ret(r: SysResult) -> Result<Self, Error>;
}

impl FromRet for () {
    #[inline]
    fn from_ret(r: SysResult) -> Result<(), Error> {
        r.map(|_| ())
    }
}

impl FromRet for Message {
    #[inline]
    fn from_ret(r: SysResult) -> Result<Message, Error> {
        match r? {
            Ret::Msg(m) => Ok(m),
            _ => Err(Error::InvalidArgument),
        }
    }
}

impl FromRet for i64 {
    #[inline]
    fn from_ret(r: SysResult) -> Result<i64, Error> {
        match r? {
            Ret::Int(i) => Ok(i),
            _ => Err(Error::InvalidArgument),
        }
    }
}

impl FromRet for Data {
    #[inline]
    fn from_ret(r: SysResult) -> Result<Data, Error> {
        match r? {
            Ret::Bytes(d) => Ok(d),
            _ => Err(Error::InvalidArgument),
        }
    }
}

/// A system call whose result is converted on completion: a plain struct
/// rather than an `async fn`, so the hot calls add no state machine of their own.
pub struct Mapped<'a, T, I = Syscall> {
    inner: SysCall<'a, I>,
    _out: PhantomData<fn() -> T>,
}

impl<T: FromRet, I: Issue + Unpin> Future for Mapped<'_, T, I> {
    type Output = Result<T, Error>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.inner).poll(cx).map(T::from_ret)
    }
}

impl Sys {
    /// This process's id.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Virtual time now (not a system call).
    pub fn now(&self) -> Time {
        self.shared.kernel.borrow().now()
    }

    /// Runs `f` with the kernel borrowed (for queries; not a system call).
    pub fn with_kernel<R>(&self, f: impl FnOnce(&Kernel) -> R) -> R {
        f(&self.shared.kernel.borrow())
    }

    /// The `i`-th capability this process was given before it started
    /// (by [`ipcsim_kernel::Kernel::grant`] or a spawn's `share`), in grant order;
    /// [`CapId::NONE`] past the end.
    pub fn boot_cap(&self, i: usize) -> CapId {
        self.shared
            .kernel
            .borrow()
            .boot_caps(self.pid)
            .get(i)
            .copied()
            .unwrap_or(CapId::NONE)
    }

    /// Issues any system call.
    pub fn syscall(&self, call: Syscall) -> SysCall<'_> {
        SysCall {
            pid: self.pid,
            shared: &self.shared,
            call: Some(call),
            switched: false,
        }
    }

    /// Issues a system call at once, without a future: `Some(result)` if it
    /// completed and this process keeps the CPU, `None` if the process was
    /// switched out; then await [`Sys::result`] for the result. This is the
    /// interpreter's fast path: most calls complete at once, and no future
    /// is built for them.
    pub fn submit(&self, call: Syscall) -> Option<SysResult> {
        match self.enter(|k, pid| k.syscall(pid, call)) {
            Outcome::Done(r) => Some(r),
            Outcome::Switched => None,
        }
    }

    /// Issues a system call through `f` (which calls the kernel for this
    /// process, by [`Kernel::syscall`] or a typed entry such as
    /// [`Kernel::call`]) and gives back what `f` makes of the kernel's answer: a
    /// caller that sorts the [`Outcome`] where it is returned reads the usual
    /// answer by its tag, without moving it. When the outcome was
    /// [`Outcome::Switched`], await [`Sys::result`] for the result, as after
    /// [`Sys::submit`].
    #[inline]
    pub fn enter<R>(&self, f: impl FnOnce(&mut Kernel, Pid) -> R) -> R {
        let mut k = self.shared.kernel.borrow_mut();
        debug_assert_running(&k, self.pid);
        f(&mut k, self.pid)
    }

    /// Hands the executor one step without a system call: the process keeps
    /// the CPU (the kernel runs it again at once: no event, no switch), but
    /// the step counts against the run's step limit. For a process that
    /// makes call after call that completes at once, so that a loop of them
    /// (reading "" at end of file for ever) meets the limit.
    pub fn pause(&self) -> Pause {
        Pause { paused: false }
    }

    /// The result of the call [`Sys::submit`] left pending: ready when the
    /// kernel schedules this process again.
    pub fn result(&self) -> SysCall<'_> {
        SysCall {
            pid: self.pid,
            shared: &self.shared,
            call: None,
            switched: true,
        }
    }

    pub(crate) fn mapped<T: FromRet, I: Issue>(&self, call: I) -> Mapped<'_, T, I> {
        Mapped {
            inner: SysCall {
                pid: self.pid,
                shared: &self.shared,
                call: Some(call),
                switched: false,
            },
            _out: PhantomData,
        }
    }

    /// Takes the next caught signal whose handler must run now (not a system call).
    pub fn take_signal(&self) -> Option<Signal> {
        self.shared.kernel.borrow_mut().take_signal(self.pid)
    }

    /// Takes the next caught signal and starts its handler: the signal stays
    /// blocked until [`Sys::end_handler`] (POSIX), unless caught `SA_NODEFER`;
    /// with it, whether the handler was set with `SA_RESTART`.
    pub fn begin_handler(&self) -> Option<(Signal, bool)> {
        self.shared.kernel.borrow_mut().begin_handler(self.pid)
    }

    /// The handler of `signal` ended: one that arrived meanwhile is delivered now.
    pub fn end_handler(&self, signal: Signal) {
        self.shared.kernel.borrow_mut().end_handler(self.pid, signal);
    }

    /// Records a line in the trace (not a system call).
    pub fn print(&self, text: String) {
        self.shared.kernel.borrow_mut().note(self.pid, text);
    }

    /// Spawns a process running `body`, with fresh capabilities `grants` (the
    /// program image's, granted first) and copies of `share`. The child is
    /// registered with the executor before anything else can run.
    pub async fn spawn<F, Fut>(
        &self,
        spec: ProcessSpec,
        share: Vec<CapId>,
        grants: Vec<(ipcsim_kernel::ObjId, ipcsim_kernel::Rights, u64)>,
        body: F,
    ) -> Result<Pid, Error>
    where
        F: FnOnce(Sys) -> Fut,
        Fut: Future<Output = ProcResult> + 'static,
    {
        self.spawn_boxed(spec, share, grants, |sys| Box::pin(body(sys))).await
    }

    /// [`Sys::spawn`] for a body that is boxed already (no second box).
    pub async fn spawn_boxed(
        &self,
        spec: ProcessSpec,
        share: Vec<CapId>,
        grants: Vec<(ipcsim_kernel::ObjId, ipcsim_kernel::Rights, u64)>,
        body: impl FnOnce(Sys) -> ProcFuture,
    ) -> Result<Pid, Error> {
        let expected = Pid(self.shared.kernel.borrow().process_count() as u32);
        // Submitted now, synchronously, so the child's body exists before it can be scheduled.
        let first = {
            let mut k = self.shared.kernel.borrow_mut();
            debug_assert_running(&k, self.pid);
            k.syscall(self.pid, Syscall::Spawn { spec, share, grants })
        };
        let created = self.shared.kernel.borrow().process_count() > expected.index();
        if created {
            let child = Sys {
                pid: expected,
                shared: self.shared.clone(),
            };
            self.shared.spawned.borrow_mut().push((expected, body(child)));
            self.shared.spawn_pending.set(true);
        }
        let r = match first {
            Outcome::Done(r) => r,
            // Switched out (a seeded preemption at this boundary): the result
            // is taken when the kernel runs this process again, never before.
            Outcome::Switched => self.result().await,
        };
        match r? {
            Ret::Pid(p) => Ok(p),
            _ => Err(Error::InvalidArgument),
        }
    }
}

impl Sys {
    /// Spawns a blocking process running `body` on its own thread (of the
    /// default [`crate::ThreadSpec`]), as [`Sys::spawn`] spawns an async one:
    /// an async process may start blocking programs. Fails
    /// `LimitReached` past the run's limit of blocking processes, before the
    /// kernel creates anything.
    pub async fn spawn_blocking(
        &self,
        spec: ProcessSpec,
        share: Vec<CapId>,
        grants: Vec<(ipcsim_kernel::ObjId, ipcsim_kernel::Rights, u64)>,
        body: impl FnOnce(&crate::BlockingSys) -> ProcResult + Send + 'static,
    ) -> Result<Pid, Error> {
        let world = self.shared.world();
        let stack = {
            let st = world.state.lock();
            if !st.has_room() {
                return Err(Error::LimitReached);
            }
            st.stack_size
        };
        let name = spec.name.clone();
        let child = Pid(self.shared.kernel.borrow().process_count() as u32);
        let first = self.enter(|k, pid| k.syscall(pid, Syscall::Spawn { spec, share, grants }));
        if self.shared.kernel.borrow().process_count() > child.index() {
            let started = world.start(&mut world.state.lock(), child, &name, stack, Box::new(body));
            if let Err(e) = started {
                // The OS refused a thread: the child ends before it runs.
                self.shared
                    .kernel
                    .borrow_mut()
                    .exit(child, ipcsim_kernel::Ending::Failed(e));
            }
        }
        let r = match first {
            Outcome::Done(r) => r,
            Outcome::Switched => self.result().await,
        };
        match r? {
            Ret::Pid(p) => Ok(p),
            _ => Err(Error::InvalidArgument),
        }
    }
}

/// A process issues calls only while the kernel runs it: the executor polls
/// the process the kernel schedules, and a call that switched it out is
/// awaited (its result is taken when the kernel runs it again). A body that
/// ran on after being switched out would have its next call refused; tests
/// (built with debug assertions) stop at the first such call instead.
#[inline]
fn debug_assert_running(k: &Kernel, pid: Pid) {
    debug_assert!(
        k.current() == Some(pid) || k.ending(pid).is_some(),
        "{} issued a call while {:?} has the CPU",
        k.process_name(pid),
        k.current()
    );
}

/// Shared kernel cell type.
pub(crate) type KernelCell = RefCell<Kernel>;
