//! The baton: blocking processes run on their own OS threads, and exactly one
//! of all the runtime's threads runs at a time, the one holding the baton.
//!
//! The baton is the right to touch the kernel. The executor (the thread that
//! called [`crate::Runtime::run`], "main") holds it while it polls async
//! processes; when the kernel schedules a blocking process, main lends the
//! kernel to the [`World`] and hands the baton to that process's thread. The
//! thread runs its body until a system call switches it out; then it asks the
//! kernel who runs next itself and, when that is another blocking process,
//! hands the baton straight to that thread (one thread handoff per switch,
//! as a bare Mutex+Condvar ping-pong has); otherwise it gives the baton back
//! to main with the kernel's answer. Every decision is the kernel's, taken in
//! the same order as for async processes: OS thread timing decides only how
//! long a handoff takes, never what happens.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::JoinHandle;

use ipcsim_kernel::{Ending, Error, Kernel, KernelConfig, Next, Pid};
use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::blocking::{BlockingSys, Unwind};
use crate::ProcResult;

/// A blocking process's body.
pub(crate) type Body = Box<dyn FnOnce(&BlockingSys) -> ProcResult + Send>;

/// The stack size of a blocking process's thread unless its
/// [`crate::ThreadSpec`] says otherwise: 256 KiB (Rust's own default is 2 MiB;
/// a simulated process's body is small, and a run may hold thousands).
pub const DEFAULT_STACK_SIZE: usize = 256 * 1024;

/// How many blocking processes one run may have alive at once unless
/// [`crate::Runtime::set_blocking_limit`] says otherwise; one more is
/// refused with [`Error::LimitReached`].
pub const DEFAULT_BLOCKING_LIMIT: usize = 4096;

/// Who holds the baton.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Holder {
    /// The executor.
    Main,
    /// The thread of this blocking process.
    Proc(Pid),
}

/// A blocking process's thread, as the world sees it.
struct Slot {
    /// Where its thread waits for the baton.
    cv: Arc<Condvar>,
    /// Its body has returned (or was never run): it will not take the baton again.
    finished: bool,
}

/// What the threads share: the baton and, while a thread holds it, the kernel.
pub(crate) struct State {
    /// The kernel while a blocking process's thread holds the baton; a spare
    /// (never run) while main holds it.
    pub(crate) kernel: Kernel,
    pub(crate) holder: Holder,
    slots: Vec<Option<Slot>>,
    /// Threads whose body has not finished.
    live: usize,
    pub(crate) limit: usize,
    pub(crate) stack_size: usize,
    /// Threads hand the baton to each other (no sink needs every step's events).
    direct: bool,
    /// The log records events (cleared after each step when threads hand directly).
    logging: bool,
    /// Steps left before the runtime's step limit (main's count, lent with the kernel).
    budget: u64,
    /// The kernel's system call count when the current step began.
    step_calls: u64,
    /// What the kernel said runs next, when a thread asked and must leave it to main.
    handback: Option<Next>,
    /// The run is over: blocking calls are refused with [`Error::Ended`].
    pub(crate) over: bool,
    joins: Vec<JoinHandle<()>>,
}

/// The blocking processes of one runtime.
pub(crate) struct World {
    pub(crate) state: Mutex<State>,
    main_cv: Condvar,
}

impl World {
    pub(crate) fn new() -> Arc<World> {
        Arc::new(World {
            state: Mutex::new(State {
                kernel: Kernel::new(KernelConfig::default()),
                holder: Holder::Main,
                slots: Vec::new(),
                live: 0,
                limit: DEFAULT_BLOCKING_LIMIT,
                stack_size: DEFAULT_STACK_SIZE,
                direct: false,
                logging: false,
                budget: 0,
                step_calls: 0,
                handback: None,
                over: false,
                joins: Vec::new(),
            }),
            main_cv: Condvar::new(),
        })
    }

    /// Whether `pid` is a blocking process whose body may still run.
    pub(crate) fn has(&self, pid: Pid) -> bool {
        self.state.lock().is_live(pid)
    }

    /// Threads started and not yet joined.
    pub(crate) fn threads(&self) -> usize {
        self.state.lock().joins.len()
    }

    /// Starts the thread of blocking process `pid` (created in the kernel
    /// already); it waits for the baton before its body runs. Refused when
    /// the run has its limit of live blocking processes, or the OS refuses a
    /// thread.
    pub(crate) fn start(
        self: &Arc<Self>,
        st: &mut State,
        pid: Pid,
        name: &str,
        stack: usize,
        body: Body,
    ) -> Result<(), Error> {
        if !st.has_room() {
            return Err(Error::LimitReached);
        }
        let cv = Arc::new(Condvar::new());
        let world = self.clone();
        let own = cv.clone();
        let handle = std::thread::Builder::new()
            .name(format!("ipcsim:{name}"))
            .stack_size(stack)
            .spawn(move || thread_main(world, pid, own, body))
            .map_err(|_| Error::LimitReached)?;
        if st.slots.len() <= pid.index() {
            st.slots.resize_with(pid.index() + 1, || None);
        }
        st.slots[pid.index()] = Some(Slot { cv, finished: false });
        st.live += 1;
        st.joins.push(handle);
        Ok(())
    }

    /// Main's side: runs blocking process `pid` (which the kernel scheduled),
    /// and whatever blocking processes it hands the baton to, until the baton
    /// comes back. Gives what the kernel said runs next, if a thread asked it.
    pub(crate) fn resume(
        &self,
        kernel: &mut Kernel,
        pid: Pid,
        budget: &mut u64,
        direct: bool,
        logging: bool,
    ) -> Option<Next> {
        let mut st = self.state.lock();
        std::mem::swap(kernel, &mut st.kernel);
        st.budget = *budget;
        st.direct = direct;
        st.logging = logging;
        st.step_calls = st.kernel.stats().syscalls;
        st.handback = None;
        st.pass(pid);
        while st.holder != Holder::Main {
            self.main_cv.wait(&mut st);
        }
        std::mem::swap(kernel, &mut st.kernel);
        *budget = st.budget;
        st.handback.take()
    }

    /// The run is over: every thread whose body has not finished gets the
    /// baton in turn (pid order), its pending and later calls fail
    /// [`Error::Ended`], and its body unwinds; then every thread is joined.
    /// A thread that never ran does not run its body.
    pub(crate) fn release_all(&self, kernel: &mut Kernel) {
        let mut st = self.state.lock();
        st.over = true;
        // Lent so that a body's queries while it unwinds still answer.
        std::mem::swap(kernel, &mut st.kernel);
        for i in 0..st.slots.len() {
            if st.slots[i].as_ref().is_some_and(|s| !s.finished) {
                st.pass(Pid(i as u32));
                while st.holder != Holder::Main {
                    self.main_cv.wait(&mut st);
                }
            }
        }
        std::mem::swap(kernel, &mut st.kernel);
        let joins = std::mem::take(&mut st.joins);
        drop(st);
        for j in joins {
            // The body's panic was caught on its own thread: join cannot fail
            // but for a panic in the runtime itself, which must not be hidden.
            if let Err(p) = j.join() {
                std::panic::resume_unwind(p);
            }
        }
    }

    /// The step of the baton holder `me` has ended (switched out, or its body
    /// finished): the next step's process gets the baton.
    pub(crate) fn step_ended(&self, st: &mut State) {
        let calls = st.kernel.stats().syscalls - st.step_calls;
        st.budget = st.budget.saturating_sub(calls.saturating_sub(1));
        if !st.direct {
            // A sink reads every step's events: main flushes, and asks the kernel.
            return self.to_main(st, None);
        }
        if st.logging {
            st.kernel.log().clear();
        }
        match st.kernel.schedule() {
            Next::Run(q) if st.budget > 0 && st.is_live(q) => {
                st.budget -= 1;
                st.step_calls = st.kernel.stats().syscalls;
                st.pass(q);
            }
            next => self.to_main(st, Some(next)),
        }
    }

    fn to_main(&self, st: &mut State, next: Option<Next>) {
        st.handback = next;
        st.holder = Holder::Main;
        self.main_cv.notify_one();
    }

    /// Blocking process `pid`'s body has returned (or will never run):
    /// the kernel ends it, and the baton moves on.
    fn finish(&self, pid: Pid, outcome: Option<std::thread::Result<ProcResult>>) {
        let mut st = self.state.lock();
        if let Some(s) = st.slots.get_mut(pid.index()).and_then(Option::as_mut) {
            s.finished = true;
        }
        st.live -= 1;
        let ending = match outcome {
            _ if st.over => None,
            None => None,
            Some(Ok(Ok(()))) => Some(Ending::Exited),
            Some(Ok(Err(e))) => Some(Ending::Failed(e)),
            Some(Err(payload)) if payload.is::<Unwind>() => None,
            Some(Err(payload)) => {
                st.kernel.note(pid, format!("panicked: {}", panic_message(&*payload)));
                Some(Ending::Failed(Error::Panicked))
            }
        };
        match ending {
            Some(e) => {
                st.kernel.exit(pid, e);
                self.step_ended(&mut st);
            }
            None => self.to_main(&mut st, None),
        }
    }
}

impl State {
    /// Whether one more blocking process may start.
    pub(crate) fn has_room(&self) -> bool {
        self.live < self.limit && !self.over
    }

    fn is_live(&self, pid: Pid) -> bool {
        self.slots
            .get(pid.index())
            .and_then(Option::as_ref)
            .is_some_and(|s| !s.finished)
    }

    /// Hands the baton to `pid`'s thread (nothing to do if it holds it).
    fn pass(&mut self, pid: Pid) {
        if self.holder == Holder::Proc(pid) {
            return;
        }
        self.holder = Holder::Proc(pid);
        if let Some(s) = self.slots.get(pid.index()).and_then(Option::as_ref) {
            s.cv.notify_one();
        }
    }
}

/// Waits on `cv` until `pid` holds the baton.
pub(crate) fn wait_for_baton(st: &mut MutexGuard<'_, State>, cv: &Condvar, pid: Pid) {
    while st.holder != Holder::Proc(pid) {
        cv.wait(st);
    }
}

fn thread_main(world: Arc<World>, pid: Pid, cv: Arc<Condvar>, body: Body) {
    let started = {
        let mut st = world.state.lock();
        wait_for_baton(&mut st, &cv, pid);
        !st.over
    };
    let outcome = started.then(|| {
        let sys = BlockingSys::new(pid, world.clone(), cv);
        catch_unwind(AssertUnwindSafe(|| body(&sys)))
    });
    world.finish(pid, outcome);
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(a panic payload that is not a string)"
    }
}
